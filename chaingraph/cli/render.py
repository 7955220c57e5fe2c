"""Printing lists of records as a rich table, CSV or JSON."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum

from rich.console import Console
from rich.table import Table

__all__ = ["RecordFormat", "emit"]


class RecordFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return "; ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def emit(records: list[dict], fmt: RecordFormat, columns: list[str], console: Console, title: str = "") -> None:
    """Print ``records`` (only ``columns`` in table and CSV form; JSON keeps every field)."""
    if fmt == RecordFormat.json:
        json.dump(records, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        sys.stdout.flush()
        return
    if fmt == RecordFormat.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for record in records:
            writer.writerow([_cell(record.get(c)) for c in columns])
        sys.stdout.flush()
        return
    table = Table(*columns, title=title or None)
    for record in records:
        table.add_row(*(_cell(record.get(c)) for c in columns))
    console.print(table)
