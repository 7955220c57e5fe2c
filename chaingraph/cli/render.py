"""Printing lists of records as a rich table, CSV or JSON; writing SPARQL results documents."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum

from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = ["RecordFormat", "emit", "results_document", "terminal_text"]


# Control characters but tab and line feed, shown as escapes in a terminal: a literal holding
# escape sequences would otherwise drive the terminal (colours, its title, the clipboard).
_VISIBLE = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0)) if c not in (0x09, 0x0A)}


def terminal_text(value: str) -> Text:
    """``value`` as a table cell for a terminal: no rich markup read in it (a label holding
    ``[/b]`` is text, not a closing tag), control characters shown as escapes.

    >>> terminal_text("[/b] \\x1b[31mred").plain
    '[/b] \\\\x1b[31mred'
    """
    return Text(value.translate(_VISIBLE))


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
        table.add_row(*(terminal_text(_cell(record.get(c))) for c in columns))
    console.print(table)


def results_document(results, fmt: str) -> bytes:
    """The SPARQL results document (``csv``, ``tsv``, ``json`` or ``xml``) of pyoxigraph ``results``,
    as ``chaingraph serve`` answers it: XML made well-formed whatever the literals hold
    (:func:`chaingraph.serve.results.xml_safe`), the others carrying every literal exactly.

    >>> import pyoxigraph as ox
    >>> document = results_document(ox.Store().query('SELECT ?x { VALUES ?x { "bell \\u0007" } }'), "xml")
    >>> document.split(b"<literal>")[1].split(b"</literal>")[0]
    b'bell \\xef\\xbf\\xbd'
    """
    from chaingraph.serve.results import OXIGRAPH_FORMATS, xml_safe

    document = results.serialize(format=OXIGRAPH_FORMATS[fmt])
    return xml_safe(document) if fmt == "xml" else document
