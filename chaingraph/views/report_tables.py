"""The report's tables as files: their names, their leading CSV columns, and how a value reads in a cell."""

from __future__ import annotations

import csv
import io
import json

__all__ = ["CSV_COLUMNS", "TABLES", "cell_text", "table_csv"]

#: The tables written beside the page, each as ``<name>.csv`` and ``<name>.json``.
TABLES = ("coupling", "demand_gaps", "supply_gaps", "weak_links", "islands", "trend", "suggestions")

# Leading CSV columns of each table (any further fields follow); JSON keeps every field as is.
CSV_COLUMNS = {
    "coupling": ["source", "target", "concepts", "linked", "share", "mass"],
    "demand_gaps": ["rank", "label", "cls", "demanded_by", "documents", "hot", "in_demand", "demanders", "concept"],
    "supply_gaps": ["rank", "label", "cls", "supplied_by", "suppliers", "concept"],
    "weak_links": ["source_label", "predicate", "target_label", "chains", "fragility", "evidence"],
    "islands": ["chain", "size", "labels", "concepts"],
    "trend": ["period", "source", "target", "concepts", "linked", "share", "mass"],
    "suggestions": ["source", "target", "score", "rank", "existing", "explanation"],
}


def cell_text(value: object) -> str:
    """A value as CSV cell text: lists joined by ``; ``, records as JSON, booleans as true/false."""
    if isinstance(value, list | tuple) and not any(isinstance(v, dict) for v in value):
        return "; ".join(cell_text(v) for v in value)
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def table_csv(records: list[dict], leading: list[str]) -> str:
    """The records as CSV: the ``leading`` columns first, then any other field in the order first met."""
    columns = list(leading)
    for record in records:
        columns.extend(key for key in record if key not in columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([cell_text(record.get(c)) for c in columns])
    return buffer.getvalue()
