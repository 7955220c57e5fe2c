"""A self-contained HTML report on how the four chains meet, with every table as CSV and JSON.

The page is written to be forwarded: it loads nothing from anywhere (no script, font, stylesheet
or image), its charts are inline SVG (:mod:`chaingraph.views.report_charts`), and every text that
comes from the corpus or the vocabularies is escaped (:mod:`chaingraph.views.report_page`), so a
document title or a label is shown as text and never becomes markup. The tables are written as
files by :mod:`chaingraph.views.report_tables`.

>>> from chaingraph.views.report import write_report
>>> write_report("chaingraph-store", "report")  # doctest: +SKIP
PosixPath('report/index.html')
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import networkx as nx

from chaingraph.align.coupling import coupling, coupling_trend
from chaingraph.align.gaps import demand_gaps, supply_gaps
from chaingraph.align.projection import concept_graph, period_graphs, relation_evidence
from chaingraph.align.weak_links import islands, weak_links
from chaingraph.store import EmbeddedStore, StoreError, open_store
from chaingraph.views.report_charts import share_colour
from chaingraph.views.report_page import report_page
from chaingraph.views.report_tables import CSV_COLUMNS, TABLES, table_csv

__all__ = ["TABLES", "share_colour", "write_report"]


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
        (out / f"{name}.csv").write_text(table_csv(tables[name], CSV_COLUMNS[name]), encoding="utf-8")
    stamp_text = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC") if stamp else None
    page = report_page(graph, tables, lang=lang, top=top, problem=problem, stamp=stamp_text)
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
