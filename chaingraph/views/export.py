"""Exports of a view for other tools: GEXF and GraphML (Gephi, yEd, Cytoscape), CSV (spreadsheets, Gephi)."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import networkx as nx

from chaingraph.views.layout import CHAIN_COLOURS, ensure_positions, node_sizes
from chaingraph.views.selection import ViewError, select_view, source_graph

if TYPE_CHECKING:
    from chaingraph.views.selection import Source

__all__ = ["EXPORT_FORMATS", "export_view", "write_atomically"]

EXPORT_FORMATS = ("gexf", "graphml", "csv")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML 1.0


def write_atomically(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` through a ``.part`` file, so ``path`` is never left half written."""
    tmp = path.with_name(path.name + ".part")
    try:
        tmp.write_bytes(payload)
        tmp.replace(path)  # an interrupted write never leaves half a file in place
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def _text(value) -> str:
    return _CONTROL.sub("", str(value))


def _flat_graph(view: nx.DiGraph, size_by: str, fmt: str) -> nx.DiGraph:
    """A copy with only scalar attributes (what GEXF and GraphML hold), colours, sizes and positions."""
    sizes = node_sizes(view, size_by)
    flat = nx.DiGraph()
    for n, a in view.nodes(data=True):
        attrs = {
            "label": _text(a.get("label", n)), "cls": a.get("cls", ""), "chain": a.get("chain", ""),
            "scheme": _text(a.get("scheme") or ""), "code": _text(a.get("code") or ""),
            "mentions": int(a.get("mentions", 0)), "documents": int(a.get("documents", 0)),
            "degree": int(a.get("degree", 0)), "strength": float(a.get("strength", 0.0)),
            "hot": bool(a.get("hot", False)), "in_demand": bool(a.get("in_demand", False)),
        }  # fmt: skip
        for lang, label in sorted((a.get("labels") or {}).items()):
            attrs[f"label_{lang}"] = _text(label)
        colour = CHAIN_COLOURS.get(a.get("chain", ""), "#999999")
        if fmt == "gexf":  # Gephi opens the file with the page's colours, sizes and layout
            r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
            attrs["viz"] = {
                "color": {"r": r, "g": g, "b": b, "a": 1.0},
                "size": sizes[n],
                "position": {"x": a["x"], "y": -a["y"], "z": 0.0},
            }
        else:
            attrs.update(colour=colour, size=sizes[n], x=a["x"], y=a["y"])
        flat.add_node(_text(n), **attrs)
    for s, o, a in view.edges(data=True):
        flat.add_edge(
            _text(s), _text(o), label=_text(a.get("predicate", "")), predicate=_text(a.get("predicate", "")),
            documents=int(a.get("documents", 0)), sentences=int(a.get("sentences", 0)),
            evidence=float(a.get("evidence", a.get("weight", 0.0))), weight=float(a.get("weight", 0.0)),
        )  # fmt: skip
    return flat


def _cell(value) -> str | int | float | bool:
    # A spreadsheet runs a cell starting with = + - @ as a formula: keep text as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_bytes(header: list[str], rows: Iterable[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


def export_view(
    graph_or_store: Source,
    path: str | os.PathLike[str] | BinaryIO,
    fmt: str,
    *,
    size_by: str = "evidence",
    weighting: str = "evidence",
    **filters,
) -> list[Path]:
    """Write a view as GEXF or GraphML (for Gephi, yEd, Cytoscape) or CSV (for spreadsheets and Gephi).

    Parameters
    ----------
    graph_or_store : nx.DiGraph, EmbeddedStore, str or Path
        A concept graph, or a store (or its directory) to project one from.
    path : str, Path or binary file
        Where to write. For ``csv`` this is the relation table (``Source``, ``Target``, ``Weight``,
        ``Label`` and both ends' label, class and chain: one sheet a spreadsheet can use alone);
        the concept table is written beside it as ``<name>.nodes.csv`` when ``path`` is a path.
    fmt : {"gexf", "graphml", "csv"}
    size_by, weighting
        As for :func:`graph_view`.
    **filters
        ``focus``, ``depth``, ``chains``, ``classes``, ``min_weight``, ``max_nodes`` (default: no
        limit, since Gephi copes with large graphs) and ``lang``, as for :func:`select_view`.

    Returns
    -------
    list of Path
        The files written (empty when writing to a file object).
    """
    if fmt not in EXPORT_FORMATS:
        raise ViewError(f"unknown export format {fmt!r}; choose from {', '.join(EXPORT_FORMATS)}")
    graph, _ = source_graph(graph_or_store, weighting)
    filters.setdefault("max_nodes", None)
    view = select_view(graph, **filters)
    ensure_positions(view)
    flat = _flat_graph(view, size_by, fmt)
    outputs: list[tuple[object, bytes]] = []
    if fmt in ("gexf", "graphml"):
        buffer = io.BytesIO()
        if fmt == "gexf":
            nx.write_gexf(flat, buffer, version="1.2draft")
        else:
            nx.write_graphml(flat, buffer)
        outputs.append((path, buffer.getvalue()))
    else:
        ends = ("label", "cls", "chain")
        edge_rows = (
            [s, o, "Directed", a["weight"], a["predicate"], a["documents"], a["sentences"], a["evidence"]]
            + [flat.nodes[s][k] for k in ends]
            + [flat.nodes[o][k] for k in ends]
            for s, o, a in flat.edges(data=True)
        )
        header = ["Source", "Target", "Type", "Weight", "Label", "documents", "sentences", "evidence"]
        header += [f"source_{k}" for k in ends] + [f"target_{k}" for k in ends]
        outputs.append((path, _csv_bytes(header, edge_rows)))
        if isinstance(path, str | os.PathLike):
            columns = ["label", "cls", "chain", "scheme", "code", "mentions", "documents", "degree", "strength",
                       "hot", "in_demand", "x", "y", "colour", "size"]  # fmt: skip
            node_rows = ([n] + [a.get(k, "") for k in columns] for n, a in flat.nodes(data=True))
            nodes_path = Path(path).with_name(Path(path).stem + ".nodes" + (Path(path).suffix or ".csv"))
            outputs.append((nodes_path, _csv_bytes(["Id", "Label"] + columns[1:], node_rows)))
    written = []
    for target, payload in outputs:
        if isinstance(target, str | os.PathLike):
            write_atomically(Path(target), payload)
            written.append(Path(target))
        else:
            target.write(payload)
    return written
