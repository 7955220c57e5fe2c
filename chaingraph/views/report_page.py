"""The report's HTML page: the summary, the sections with their tables and charts, the style.

Every text from the corpus or the vocabularies goes through :func:`~chaingraph.views.report_text.escaped`,
so it is shown as text and never becomes markup.
"""

from __future__ import annotations

import networkx as nx

from chaingraph.align.coupling import CHAIN_ORDER
from chaingraph.align.gaps import SUPPLY
from chaingraph.views.report_charts import coupling_heatmap, demand_gap_bars, sparkline
from chaingraph.views.report_tables import TABLES, cell_text
from chaingraph.views.report_text import counted, escaped, label_in, percent, related_by, shortened

__all__ = ["report_page"]

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


def _table(headers: list[str], rows: list[list[str]], classes: dict[int, str] | None = None) -> str:
    """An HTML table from cells that are already escaped HTML; ``classes`` styles columns by index."""
    classes = classes or {}
    head = "".join(f"<th>{escaped(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f"<td{f' class={classes[i]}' if i in classes else ''}>{c}</td>" for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _list(labels: list[str], shown: int) -> str:
    more = f" … and {len(labels) - shown} more" if len(labels) > shown else ""
    return escaped(", ".join(labels[:shown]) + more)


def _summary(graph: nx.DiGraph, tables: dict[str, list[dict]], lang: str) -> str:
    size = {r["source"]: r["concepts"] for r in tables["coupling"] if r["source"] == r["target"]}
    by_chain = ", ".join(f"{size.get(c, 0):,} in {c}" for c in CHAIN_ORDER)
    items = [
        f"<li>{counted(graph.graph.get('documents', 0), 'document mentions', 'documents mention')} "
        f"{counted(graph.number_of_nodes(), 'concept', 'concepts')} ({by_chain}), joined by "
        f"{counted(graph.number_of_edges(), 'relation', 'relations')} found in the text.</li>"
    ]
    pairs = [
        r for r in tables["coupling"] if r["source"] != r["target"] and size.get(r["source"]) and size.get(r["target"])
    ]
    pairs.sort(key=lambda r: (r["share"], r["mass"], CHAIN_ORDER.index(r["source"]), CHAIN_ORDER.index(r["target"])))
    if pairs:
        weakest = "; ".join(
            f"<b>{r['source']} → {r['target']}</b>: {percent(r['share'])} of {r['source']} concepts relate to "
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
    first = ", ".join(escaped(label_in(graph, g["concept"], lang)) for g in demand[:3])
    items.append(
        f"<li>{counted(len(demand), 'skill or technology is', 'skills and technologies are')} needed by "
        f"occupations but taught by no programme{' (first: ' + first + ')' if first else ''}; "
        f"{counted(len(supply), 'is', 'are')} taught but needed by none.</li>"
    )
    if tables["islands"]:
        group = counted(len(tables["islands"]), "concept or group of concepts relates", "concepts or groups relate")
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
            f"<q>{escaped(shortened(e['sentence'], 220))}</q> <span class=doc>— {escaped(e['document'])}</span>"
            for e in r["evidence"]
        )
        link = (
            f"<b>{escaped(label_in(graph, r['source'], lang))}</b> <i>{escaped(r['predicate'])}</i> "
            f"<b>{escaped(label_in(graph, r['target'], lang))}</b><br><span class=doc>{escaped(r['chains'])}</span>"
        )
        rows.append(
            [link, f"{r['documents']} / {r['sentences']}", f"{r['fragility']:.2f}", escaped("; ".join(why)), said]
        )
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
            cells = ["—" if v is None else percent(v) for v in values]
            rows.append([f"{a} → {b}", *cells, sparkline(values)])
    note = (
        f"All dated documents fall in one period ({escaped(periods[0])}); a trend needs documents from at least two. "
        if len(periods) == 1
        else ""
    )
    table = _table(["chains", *periods, "trend"], rows, dict.fromkeys(range(1, len(periods) + 1), "n"))
    return f'<p class="note">{note}A dash: no concept of one of the two chains in that period.</p>{table}'


def _section(anchor: str, title: str, note: str, content: str) -> tuple[str, str, str]:
    return anchor, title, f'<p class="note">{note}</p>{content}'


def report_page(
    graph: nx.DiGraph, tables: dict[str, list[dict]], *, lang: str, top: int, problem: str | None, stamp: str | None
) -> str:
    """The report's page from its tables; ``problem`` says why suggestions are missing, ``stamp`` when it was made."""
    sizes = {r["source"]: r["concepts"] for r in tables["coupling"] if r["source"] == r["target"]}

    def lab(node: str) -> str:
        return escaped(label_in(graph, node, lang))

    demand = tables["demand_gaps"][:top]
    supply = tables["supply_gaps"][:top]
    supply_rows = [
        [
            str(g["rank"]),
            lab(g["concept"]),
            escaped(g["cls"]),
            str(g["supplied_by"]),
            _list([label_in(graph, s, lang) for s in related_by(graph, g["concept"], SUPPLY)], 5),
        ]
        for g in supply
    ]
    island_rows = [
        [escaped(i["chain"]), str(i["size"]), _list([label_in(graph, c, lang) for c in i["concepts"]], 15)]
        for i in tables["islands"][:top]
    ]
    if problem is not None:
        suggested = f'<p class="note">Suggestions are not available here ({escaped(problem)}).</p>'
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
                    escaped(s.get("rank", "")),
                    "yes" if s.get("existing") else "no",
                    escaped(cell_text(s.get("explanation"))),
                ]
                for s in ranked[:top]
            ],
            {2: "n", 3: "n"},
        )
    files = "".join(
        f'<li><a href="{n}.csv">{n}.csv</a> · <a href="{n}.json">{n}.json</a> '
        f"({counted(len(tables[n]), 'row', 'rows')})</li>"
        for n in TABLES
    )
    weak_headers = ["relation", "documents / sentences", "fragility", "why fragile", "sentence — document"]
    sections = [
        _section(
            "coupling",
            "Coupling of the chains",
            "Each cell: of the concepts in the row's chain, the share related to at least one concept of the "
            "column's chain (and how many of how many); mass is the summed evidence weight of those relations.",
            coupling_heatmap(tables["coupling"]),
        ),
        _section(
            "demand-gaps",
            f"Top demand gaps ({len(demand)} of {len(tables['demand_gaps'])})",
            "Skills and technologies that occupations need and no programme teaches; the bar is how many "
            "occupations need it.",
            demand_gap_bars(graph, demand, lang)
            if demand
            else "<p>None: every skill or technology needed is also taught.</p>",
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
    nav = "".join(f'<a href="#{anchor}">{escaped(title.split(" (")[0])}</a>' for anchor, title, _ in sections)
    body = "".join(
        f'<section id="{anchor}"><h2>{escaped(title)}</h2>{html}</section>' for anchor, title, html in sections
    )
    meta = f'<p class="meta">Generated {escaped(stamp)} by chaingraph.</p>' if stamp else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>How the four chains meet — chaingraph report</title>"
        f"<style>{_CSS}</style></head><body><h1>How the four chains meet</h1>"
        "<p>Education, talent, industry and innovation, as the documents describe them.</p>"
        f"{meta}{_summary(graph, tables, lang)}<nav>{nav}</nav>{body}</body></html>\n"
    )
