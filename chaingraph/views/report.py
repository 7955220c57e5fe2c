"""A self-contained HTML report on how the four chains meet, with every table as CSV and JSON.

The page is written to be forwarded: it loads nothing from anywhere (no script, font, stylesheet
or image), its charts are inline SVG drawn here, and every text that comes from the corpus or the
vocabularies is escaped, so a document title or a label is shown as text and never becomes markup.

>>> from chaingraph.views.report import write_report
>>> write_report("chaingraph-store", "report")  # doctest: +SKIP
PosixPath('report/index.html')
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from html import escape
from itertools import pairwise
from pathlib import Path

import networkx as nx

from chaingraph.align.coupling import CHAIN_ORDER, coupling, coupling_trend
from chaingraph.align.gaps import DEMAND, SUPPLY, demand_gaps, supply_gaps
from chaingraph.align.projection import concept_graph, period_graphs, relation_evidence
from chaingraph.align.weak_links import islands, weak_links
from chaingraph.store import EmbeddedStore, StoreError, open_store

__all__ = ["TABLES", "share_colour", "write_report"]

#: The tables written beside the page, each as ``<name>.csv`` and ``<name>.json``.
TABLES = ("coupling", "demand_gaps", "supply_gaps", "weak_links", "islands", "trend", "suggestions")

# Leading CSV columns of each table (any further fields follow); JSON keeps every field as is.
_COLUMNS = {
    "coupling": ["source", "target", "concepts", "linked", "share", "mass"],
    "demand_gaps": ["rank", "label", "cls", "demanded_by", "documents", "hot", "in_demand", "demanders", "concept"],
    "supply_gaps": ["rank", "label", "cls", "supplied_by", "suppliers", "concept"],
    "weak_links": ["source_label", "predicate", "target_label", "chains", "fragility", "evidence"],
    "islands": ["chain", "size", "labels", "concepts"],
    "trend": ["period", "source", "target", "concepts", "linked", "share", "mass"],
    "suggestions": ["source", "target", "score", "rank", "existing", "explanation"],
}

# Colour scale of the heatmap, light (no concept linked) to dark (every concept linked).
_SCALE = (
    (0.0, (247, 251, 255)),
    (0.25, (198, 219, 239)),
    (0.5, (107, 174, 214)),
    (0.75, (33, 113, 181)),
    (1.0, (8, 48, 107)),
)
_EMPTY_FILL = "#e4e4e4"  # a chain with no concepts: nothing to measure, so not on the scale
_HOT, _PLAIN = "#d95f02", "#8c96a0"

_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","PingFang SC","Microsoft YaHei",sans-serif;
 color:#1d2733;max-width:1120px;margin:0 auto;padding:20px 32px 48px;background:#fff}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:36px 0 6px;border-bottom:1px solid #d8dee4;padding-bottom:4px}
p.meta,.note{color:#5b6670;font-size:13px}.summary{background:#f4f7fa;border-left:4px solid #2171b5;padding:10px 16px}
.summary li{margin:2px 0}nav a{margin-right:14px;font-size:14px}a{color:#1f5fa6}
table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0}
th,td{border-bottom:1px solid #e3e7eb;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f0f3f6}td.n{text-align:right;white-space:nowrap;width:1%}td.ev{width:45%}
tr:nth-child(even) td{background:#fafbfc}q{font-style:italic}.doc{color:#5b6670}svg text{font-family:inherit}
"""


def share_colour(share: float) -> str:
    """The heatmap colour (``#rrggbb``) of a coupling share between 0 and 1."""
    share = min(max(float(share), 0.0), 1.0)
    for (low, start), (high, end) in pairwise(_SCALE):
        if share <= high:
            t = (share - low) / (high - low)
            return "#" + "".join(f"{round(a + (b - a) * t):02x}" for a, b in zip(start, end, strict=True))
    return "#08306b"


def write_report(
    store: EmbeddedStore | str | Path,
    out_dir: str | Path,
    *,
    lang: str = "en",
    top: int = 30,
    weighting: str = "evidence",
    suggestions_per_programme: int = 3,
    stamp: bool = True,
) -> Path:
    """Write ``index.html`` and its tables (CSV and JSON) into ``out_dir``; return the page's path.

    Parameters
    ----------
    store:
        An opened store or the path of one (it must have been built).
    out_dir:
        Folder to write into (created if missing; files already there are replaced).
    lang:
        Language of concept labels, default ``"en"``; English where a label is missing in it.
    top:
        Rows shown per table and chart; the weak-links files hold these rows too (with their
        evidence), the other files hold every row.
    weighting:
        Edge weighting of the concept graph (see :mod:`chaingraph.align.projection`).
    suggestions_per_programme:
        Occupations suggested per programme, when :mod:`chaingraph.align.suggest` is available.
    stamp:
        Print when the page was generated (turn off for byte-identical output).
    """
    if top < 1:
        raise ValueError(f"top must be at least 1, not {top}")
    db = open_store(store) if isinstance(store, str | Path) else store
    if isinstance(db, EmbeddedStore) and not db.exists():
        raise StoreError(f"{db.path}: no graph has been built here; run `chaingraph build CORPUS --store {db.path}`")
    graph = concept_graph(db, weighting=weighting)
    fragile = weak_links(graph, limit=top)
    evidence = relation_evidence(db, [(r["source"], r["target"]) for r in fragile], per_pair=2)
    for record in fragile:
        record["evidence"] = evidence[(record["source"], record["target"])]
    suggestions, problem = _suggestions(graph, db, suggestions_per_programme)
    tables = {
        "coupling": coupling(graph),
        "demand_gaps": demand_gaps(graph),
        "supply_gaps": supply_gaps(graph),
        "weak_links": fragile,
        "islands": islands(graph),
        "trend": coupling_trend(period_graphs(db, graph)),
        "suggestions": suggestions,
    }
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        (out / f"{name}.json").write_text(
            json.dumps(tables[name], ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        (out / f"{name}.csv").write_text(_csv(tables[name], _COLUMNS[name]), encoding="utf-8")
    stamp_text = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC") if stamp else None
    page = _page(graph, tables, lang=lang, top=top, problem=problem, stamp=stamp_text)
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def _suggestions(graph: nx.DiGraph, db, k: int) -> tuple[list[dict], str | None]:
    """Programme → occupation suggestions, or no rows and the reason they are missing."""
    try:
        from chaingraph.align.suggest import enrich_with_vocabulary, suggest_links

        # Suggestions read the vocabularies' own facts too; the other tables stay corpus-only.
        enriched = graph.copy()
        enrich_with_vocabulary(enriched, db)
        records = suggest_links(enriched, "Programme", "Occupation", k)
        # Plain JSON values (numpy scalars become numbers), so writing the files cannot fail later.
        plain = json.loads(json.dumps(list(records), default=lambda v: v.item() if hasattr(v, "item") else str(v)))
    except Exception as error:  # an optional section must not cost the planner the whole report
        return [], f"{type(error).__name__}: {error}"
    return plain, None


# ---------------------------------------------------------------------- files


def _cell(value) -> str:
    if isinstance(value, list | tuple) and not any(isinstance(v, dict) for v in value):
        return "; ".join(_cell(v) for v in value)
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _csv(records: list[dict], leading: list[str]) -> str:
    columns = list(leading)
    for record in records:
        columns.extend(key for key in record if key not in columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([_cell(record.get(c)) for c in columns])
    return buffer.getvalue()


# ---------------------------------------------------------------------- page


def _e(value) -> str:
    return escape(str(value), quote=True)


def _short(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _label(graph: nx.DiGraph, node: str, lang: str) -> str:
    attrs = graph.nodes[node] if node in graph else {}
    labels = attrs.get("labels") or {}
    return labels.get(lang) or labels.get("en") or attrs.get("label") or node


def _ends(graph: nx.DiGraph, node: str, kinds: set[tuple[str, str]]) -> list[str]:
    """The concepts that demand or supply ``node`` (as in :mod:`chaingraph.align.gaps`), by IRI."""
    return sorted(
        s for s, _, a in graph.in_edges(node, data=True) if (graph.nodes[s].get("cls"), a.get("predicate")) in kinds
    )


def _percent(share: float) -> str:
    """A share as a percentage, in HTML (a tiny share reads "<1%", not "0%")."""
    return "&lt;1%" if 0 < share < 0.005 else f"{share * 100:.0f}%"


def _table(headers: list[str], rows: list[list[str]], classes: dict[int, str] | None = None) -> str:
    """An HTML table from cells that are already escaped HTML; ``classes`` styles columns by index."""
    classes = classes or {}
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f"<td{f' class={classes[i]}' if i in classes else ''}>{c}</td>" for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _list(labels: list[str], shown: int) -> str:
    more = f" … and {len(labels) - shown} more" if len(labels) > shown else ""
    return _e(", ".join(labels[:shown]) + more)


def _heatmap(records: list[dict]) -> str:
    cell_w, cell_h, left, head = 132, 80, 130, 58
    size = {r["source"]: r["concepts"] for r in records if r["source"] == r["target"]}
    width, height = left + 4 * cell_w + 250, head + 4 * cell_h + 10
    parts = [
        f'<svg id="coupling-heatmap" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Coupling of the four chains">',
        '<text x="8" y="24" font-size="12" fill="#5b6670">from ↓  to →</text>',
    ]
    for j, chain in enumerate(CHAIN_ORDER):
        x = left + j * cell_w + cell_w / 2
        parts.append(
            f'<text x="{x:g}" y="{head - 12}" text-anchor="middle" font-size="14" font-weight="600">{chain}</text>'
        )
    for i, chain in enumerate(CHAIN_ORDER):
        y = head + i * cell_h
        parts.append(
            f'<text x="{left - 10}" y="{y + 36}" text-anchor="end" font-size="14" font-weight="600">{chain}</text>'
        )
        parts.append(
            f'<text x="{left - 10}" y="{y + 54}" text-anchor="end" font-size="11" fill="#5b6670">'
            f"{_count(size.get(chain, 0), 'concept', 'concepts')}</text>"
        )
    for record in records:
        i, j = CHAIN_ORDER.index(record["source"]), CHAIN_ORDER.index(record["target"])
        x, y, share = left + j * cell_w, head + i * cell_h, record["share"]
        empty = not record["concepts"] or not size.get(record["target"])
        fill = _EMPTY_FILL if empty else share_colour(share)
        ink = "#ffffff" if not empty and share > 0.55 else "#1d2733"
        tip = f"{record['source']} → {record['target']}: {record['linked']} of {record['concepts']} linked"
        parts.append(
            f'<g class="cell" data-source="{record["source"]}" data-target="{record["target"]}" '
            f'data-share="{share}" data-mass="{record["mass"]}"><title>{_e(tip)}</title>'
            f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="{fill}"/>'
        )
        cx = x + (cell_w - 2) / 2
        if empty:  # say which side has nothing: the row's chain, or the column's
            lines = ["no concepts"] if not record["concepts"] else ["no concepts", f"in {record['target']}"]
            for n, line in enumerate(lines):
                parts.append(
                    f'<text x="{cx:g}" y="{y + 40 + 16 * n}" text-anchor="middle" font-size="12" fill="#6b747c">'
                    f"{line}</text>"
                )
        else:
            parts.append(
                f'<text x="{cx:g}" y="{y + 30}" text-anchor="middle" font-size="20" font-weight="700" fill="{ink}">'
                f"{_percent(share)}</text>"
                f'<text x="{cx:g}" y="{y + 50}" text-anchor="middle" font-size="11" fill="{ink}">'
                f"{record['linked']} of {record['concepts']}</text>"
                f'<text x="{cx:g}" y="{y + 66}" text-anchor="middle" font-size="11" fill="{ink}">'
                f"mass {record['mass']:.1f}</text>"
            )
        parts.append("</g>")
    lx = left + 4 * cell_w + 30
    parts.append(
        '<defs><linearGradient id="share-scale" x1="0" y1="1" x2="0" y2="0">'
        + "".join(f'<stop offset="{at:g}" stop-color="{share_colour(at)}"/>' for at, _ in _SCALE)
        + "</linearGradient></defs>"
        f'<text x="{lx}" y="{head - 12}" font-size="12" font-weight="600">share linked</text>'
        f'<rect x="{lx}" y="{head}" width="22" height="{3 * cell_h}" fill="url(#share-scale)" stroke="#c0c8d0"/>'
    )
    for at in (0.0, 0.25, 0.5, 0.75, 1.0):
        ty = head + 3 * cell_h * (1 - at)
        parts.append(f'<text x="{lx + 30}" y="{ty + 4:g}" font-size="11">{at * 100:.0f}%</text>')
    ey = head + 3 * cell_h + 20
    parts.append(
        f'<rect x="{lx}" y="{ey}" width="22" height="16" fill="{_EMPTY_FILL}"/>'
        f'<text x="{lx + 30}" y="{ey + 12}" font-size="11">a chain with no concepts</text></svg>'
    )
    return "".join(parts)


def _bars(graph: nx.DiGraph, gaps: list[dict], lang: str) -> str:
    left, bar_w, row = 330, 380, 24
    most = max((g["demanded_by"] for g in gaps), default=1)
    height = 34 + row * len(gaps)
    parts = [
        f'<svg id="demand-gaps" width="{left + bar_w + 250}" height="{height}" '
        'role="img" aria-label="Top demand gaps">',
        f'<rect x="{left}" y="6" width="12" height="12" fill="{_HOT}"/>'
        f'<text x="{left + 18}" y="16" font-size="12">hot or in-demand technology (O*NET)</text>'
        f'<rect x="{left + 260}" y="6" width="12" height="12" fill="{_PLAIN}"/>'
        f'<text x="{left + 278}" y="16" font-size="12">other</text>',
    ]
    for n, gap in enumerate(gaps):
        y = 30 + n * row
        colour = _HOT if gap["hot"] or gap["in_demand"] else _PLAIN
        width = max(2.0, bar_w * gap["demanded_by"] / most)
        name = _label(graph, gap["concept"], lang)
        demanders = ", ".join(_label(graph, d, lang) for d in _ends(graph, gap["concept"], DEMAND))
        flags = "".join(f" · {f}" for f, on in (("hot", gap["hot"]), ("in demand", gap["in_demand"])) if on)
        parts.append(
            f'<g class="bar"><title>{_e(name)} ({_e(gap["cls"])}), needed by: {_e(demanders)}</title>'
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-size="12">{_e(_short(name, 48))}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{width:.1f}" height="{row - 7}" fill="{colour}"/>'
            f'<text x="{left + width + 6:.1f}" y="{y + 15}" font-size="11" fill="#3b4650">'
            f"needed by {gap['demanded_by']} · {gap['documents']} doc{'s' if gap['documents'] != 1 else ''}"
            f"{flags}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _sparkline(shares: list[float | None]) -> str:
    """A small line of shares over periods; ``None`` (nothing to measure) leaves a gap."""
    width, height = 120, 30
    step = (width - 10) / max(len(shares) - 1, 1)
    points = [(5 + i * step, height - 4 - v * (height - 8)) for i, v in enumerate(shares) if v is not None]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#2171b5"/>' for x, y in points)
    path = f'<polyline points="{line}" fill="none" stroke="#2171b5" stroke-width="1.5"/>' if len(points) > 1 else ""
    return (
        f'<svg class="spark" width="{width}" height="{height}">'
        f'<line x1="0" y1="{height - 4}" x2="{width}" y2="{height - 4}" stroke="#d8dee4"/>{path}{dots}</svg>'
    )


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _summary(graph: nx.DiGraph, tables: dict[str, list[dict]], lang: str) -> str:
    size = {r["source"]: r["concepts"] for r in tables["coupling"] if r["source"] == r["target"]}
    by_chain = ", ".join(f"{size.get(c, 0):,} in {c}" for c in CHAIN_ORDER)
    items = [
        f"<li>{_count(graph.graph.get('documents', 0), 'document mentions', 'documents mention')} "
        f"{_count(graph.number_of_nodes(), 'concept', 'concepts')} ({by_chain}), joined by "
        f"{_count(graph.number_of_edges(), 'relation', 'relations')} found in the text.</li>"
    ]
    pairs = [
        r for r in tables["coupling"] if r["source"] != r["target"] and size.get(r["source"]) and size.get(r["target"])
    ]
    pairs.sort(key=lambda r: (r["share"], r["mass"], CHAIN_ORDER.index(r["source"]), CHAIN_ORDER.index(r["target"])))
    if pairs:
        weakest = "; ".join(
            f"<b>{r['source']} → {r['target']}</b>: {_percent(r['share'])} of {r['source']} concepts relate to "
            f"any {r['target']} concept"
            for r in pairs[:3]
        )
        items.append(f"<li>Weakest connections between chains: {weakest}.</li>")
    empty = [c for c in CHAIN_ORDER if not size.get(c)]
    if empty:
        chains = "chain" if len(empty) == 1 else "chains"
        items.append(
            f"<li>No concepts of the {' or '.join(empty)} {chains} were found in the documents, so links to "
            f"{'it' if len(empty) == 1 else 'them'} cannot be judged.</li>"
        )
    demand, supply = tables["demand_gaps"], tables["supply_gaps"]
    first = ", ".join(_e(_label(graph, g["concept"], lang)) for g in demand[:3])
    items.append(
        f"<li>{_count(len(demand), 'skill or technology is', 'skills and technologies are')} needed by "
        f"occupations but taught by no programme{' (first: ' + first + ')' if first else ''}; "
        f"{_count(len(supply), 'is', 'are')} taught but needed by none.</li>"
    )
    if tables["islands"]:
        group = _count(len(tables["islands"]), "concept or group of concepts relates", "concepts or groups relate")
        items.append(f"<li>{group} to no other chain.</li>")
    return f'<ul class="summary">{"".join(items)}</ul>'


def _weak_rows(graph: nx.DiGraph, records: list[dict], lang: str) -> list[list[str]]:
    rows = []
    for r in records:
        why = [w for w, on in (("one document", r["documents"] <= 1), ("one sentence", r["sentences"] <= 1)) if on]
        if r["local_bridge"]:
            why.append("no shared neighbour")
        if r["chains_lost"]:
            why.append(f"only path: {r['cut_off']} concept(s) would lose {' and '.join(r['chains_lost'])}")
        said = "<br>".join(
            f"<q>{_e(_short(e['sentence'], 220))}</q> <span class=doc>— {_e(e['document'])}</span>"
            for e in r["evidence"]
        )
        link = (
            f"<b>{_e(_label(graph, r['source'], lang))}</b> <i>{_e(r['predicate'])}</i> "
            f"<b>{_e(_label(graph, r['target'], lang))}</b><br><span class=doc>{_e(r['chains'])}</span>"
        )
        rows.append([link, f"{r['documents']} / {r['sentences']}", f"{r['fragility']:.2f}", _e("; ".join(why)), said])
    return rows


def _trend(records: list[dict], sizes: dict[str, int]) -> str:
    periods = sorted({r["period"] for r in records})
    if not periods:
        return '<p class="note">No document carries a date, so there is no trend to show.</p>'
    share = {(r["period"], r["source"], r["target"]): r["share"] for r in records}
    # A period whose documents name no concept of either chain measures nothing: a gap, not 0%.
    present = {(r["period"], r["source"]) for r in records if r["source"] == r["target"] and r["concepts"]}
    rows = []
    for a in CHAIN_ORDER:
        for b in CHAIN_ORDER:
            if a == b or not sizes.get(a) or not sizes.get(b):
                continue
            values = [share[(p, a, b)] if {(p, a), (p, b)} <= present else None for p in periods]
            cells = ["—" if v is None else _percent(v) for v in values]
            rows.append([f"{a} → {b}", *cells, _sparkline(values)])
    note = (
        f"All dated documents fall in one period ({_e(periods[0])}); a trend needs documents from at least two. "
        if len(periods) == 1
        else ""
    )
    table = _table(["chains", *periods, "trend"], rows, dict.fromkeys(range(1, len(periods) + 1), "n"))
    return f'<p class="note">{note}A dash: no concept of one of the two chains in that period.</p>{table}'


def _section(anchor: str, title: str, note: str, content: str) -> tuple[str, str, str]:
    return anchor, title, f'<p class="note">{note}</p>{content}'


def _page(
    graph: nx.DiGraph, tables: dict[str, list[dict]], *, lang: str, top: int, problem: str | None, stamp: str | None
) -> str:
    sizes = {r["source"]: r["concepts"] for r in tables["coupling"] if r["source"] == r["target"]}

    def lab(node: str) -> str:
        return _e(_label(graph, node, lang))

    demand = tables["demand_gaps"][:top]
    supply = tables["supply_gaps"][:top]
    supply_rows = [
        [
            str(g["rank"]),
            lab(g["concept"]),
            _e(g["cls"]),
            str(g["supplied_by"]),
            _list([_label(graph, s, lang) for s in _ends(graph, g["concept"], SUPPLY)], 5),
        ]
        for g in supply
    ]
    island_rows = [
        [_e(i["chain"]), str(i["size"]), _list([_label(graph, c, lang) for c in i["concepts"]], 15)]
        for i in tables["islands"][:top]
    ]
    if problem is not None:
        suggested = f'<p class="note">Suggestions are not available here ({_e(problem)}).</p>'
    else:
        # New links first, strongest first: those are what a planner can act on.
        ranked = sorted(tables["suggestions"], key=lambda s: (bool(s.get("existing")), -float(s.get("score", 0))))
        suggested = _table(
            ["programme", "suggested occupation", "score", "rank", "already linked", "why"],
            [
                [
                    lab(s["source"]),
                    lab(s["target"]),
                    f"{float(s.get('score', 0)):.3f}",
                    _e(s.get("rank", "")),
                    "yes" if s.get("existing") else "no",
                    _e(_cell(s.get("explanation"))),
                ]
                for s in ranked[:top]
            ],
            {2: "n", 3: "n"},
        )
    files = "".join(
        f'<li><a href="{n}.csv">{n}.csv</a> · <a href="{n}.json">{n}.json</a> '
        f"({_count(len(tables[n]), 'row', 'rows')})</li>"
        for n in TABLES
    )
    weak_headers = ["relation", "documents / sentences", "fragility", "why fragile", "sentence — document"]
    sections = [
        _section(
            "coupling",
            "Coupling of the chains",
            "Each cell: of the concepts in the row's chain, the share related to at least one concept of the "
            "column's chain (and how many of how many); mass is the summed evidence weight of those relations.",
            _heatmap(tables["coupling"]),
        ),
        _section(
            "demand-gaps",
            f"Top demand gaps ({len(demand)} of {len(tables['demand_gaps'])})",
            "Skills and technologies that occupations need and no programme teaches; the bar is how many "
            "occupations need it.",
            _bars(graph, demand, lang) if demand else "<p>None: every skill or technology needed is also taught.</p>",
        ),
        _section(
            "weak-links",
            f"Weakest links ({len(tables['weak_links'])} most fragile)",
            "Relations between chains that rest on little evidence or are the only path between two parts of "
            "the graph, with the sentences and documents behind them.",
            _table(weak_headers, _weak_rows(graph, tables["weak_links"], lang), {1: "n", 2: "n", 4: "ev"}),
        ),
        _section(
            "islands",
            f"Islands ({len(tables['islands'])})",
            "Concepts, alone or in groups, that the documents relate to no other chain.",
            _table(["chain", "concepts", "which"], island_rows, {1: "n"}),
        ),
        _section(
            "supply-gaps",
            f"Supply gaps ({len(supply)} of {len(tables['supply_gaps'])})",
            "Skills and technologies that programmes teach and no occupation in the documents needs.",
            _table(["rank", "concept", "class", "taught by", "programmes"], supply_rows, {0: "n", 3: "n"}),
        ),
        _section(
            "suggestions",
            "Suggested programme → occupation links",
            "Occupations a programme probably prepares for, from the skills and technologies they share.",
            suggested,
        ),
        _section(
            "trend",
            "Trend",
            "Share of each chain's concepts related to another chain, per year of the documents' dates.",
            _trend(tables["trend"], sizes),
        ),
        _section("data", "Data", "Every table behind this page, in files beside it:", f"<ul>{files}</ul>"),
    ]
    nav = "".join(f'<a href="#{anchor}">{_e(title.split(" (")[0])}</a>' for anchor, title, _ in sections)
    body = "".join(f'<section id="{anchor}"><h2>{_e(title)}</h2>{html}</section>' for anchor, title, html in sections)
    meta = f'<p class="meta">Generated {_e(stamp)} by chaingraph.</p>' if stamp else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>How the four chains meet — chaingraph report</title>"
        f"<style>{_CSS}</style></head><body><h1>How the four chains meet</h1>"
        "<p>Education, talent, industry and innovation, as the documents describe them.</p>"
        f"{meta}{_summary(graph, tables, lang)}<nav>{nav}</nav>{body}</body></html>\n"
    )
