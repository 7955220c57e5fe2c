"""``chaingraph align …``: coupling, weak links, gaps, islands, suggestions and trends."""

from __future__ import annotations

from typing import Annotated

import typer

from chaingraph.cli.main import StoreOption, app, fail, out
from chaingraph.cli.render import RecordFormat, emit

align_app = typer.Typer(help="Where the four chains meet and where they fail to.", no_args_is_help=True)
app.add_typer(align_app, name="align")

FormatOption = Annotated[RecordFormat, typer.Option("--format", "-f")]
LangOption = Annotated[str, typer.Option("--lang", help="Language of labels: en or zh (falls back to English).")]
WeightingOption = Annotated[
    str, typer.Option("--weighting", help="evidence, documents, sentences or idf (see the README).")
]


def _graph(store, weighting: str, lang: str = "en"):
    from chaingraph import api
    from chaingraph.store import StoreError

    try:
        return api.concept_graph(store, weighting=weighting, lang=lang), api.open_store(store or _default())
    except (StoreError, ValueError) as error:
        raise fail(str(error)) from None


def _default() -> str:
    from chaingraph.resources import default_store_path

    return default_store_path()


@align_app.command("coupling")
def coupling_command(
    store: StoreOption = None,
    fmt: FormatOption = RecordFormat.table,
    weighting: WeightingOption = "evidence",
    lang: LangOption = "en",
    unit: Annotated[str | None, typer.Option(help="Per concept of this class (Programme, Occupation, ...).")] = None,
) -> None:
    """The 4×4 coupling of the chains (share of concepts linked, evidence mass), or per unit."""
    from chaingraph.align.coupling import coupling, unit_coupling

    graph, _ = _graph(store, weighting, lang)
    if unit:
        records = unit_coupling(graph, unit)
        for record in records:
            for chain, n in record["links"].items():
                record[f"links_{chain}"] = n
        columns = ["label", "cls", "links_education", "links_talent", "links_industry", "links_innovation",
                   "isolated_from", "concept"]  # fmt: skip
        emit(records, fmt, columns, out, title=f"coupling per {unit}")
        return
    emit(coupling(graph), fmt, ["source", "target", "concepts", "linked", "share", "mass"], out, title="coupling")


@align_app.command("weak-links")
def weak_links_command(
    store: StoreOption = None,
    fmt: FormatOption = RecordFormat.table,
    weighting: WeightingOption = "evidence",
    lang: LangOption = "en",
    top: Annotated[int, typer.Option(help="How many to show.")] = 20,
) -> None:
    """Cross-chain relations ranked by fragility, with the sentences behind each."""
    from chaingraph.align.projection import relation_evidence
    from chaingraph.align.weak_links import weak_links

    graph, db = _graph(store, weighting, lang)
    records = weak_links(graph, limit=top)
    evidence = relation_evidence(db, [(r["source"], r["target"]) for r in records], per_pair=2)
    for record in records:
        items = evidence[(record["source"], record["target"])]
        record["evidence"] = items
        record["sentences_text"] = [f"{e['sentence']} ({e['document']})" for e in items]
    columns = ["source_label", "predicate", "target_label", "chains", "documents", "sentences", "embeddedness",
               "bridge", "cut_off", "chains_lost", "fragility", "sentences_text"]  # fmt: skip
    emit(records, fmt, columns, out, title="weak links")


@align_app.command("gaps")
def gaps_command(
    store: StoreOption = None,
    fmt: FormatOption = RecordFormat.table,
    side: Annotated[str, typer.Option(help="demand (needed, not taught) or supply (taught, not needed).")] = "demand",
    top: Annotated[int, typer.Option(help="How many to show.")] = 30,
    lang: LangOption = "en",
) -> None:
    """Skills and technologies demanded and not taught (or taught and not demanded)."""
    from chaingraph.align.gaps import demand_gaps, supply_gaps

    graph, _ = _graph(store, "evidence", lang)
    if side == "demand":
        columns = ["rank", "label", "cls", "demanded_by", "documents", "hot", "in_demand", "demanders", "concept"]
        emit(demand_gaps(graph)[:top], fmt, columns, out, title="demand without supply")
    elif side == "supply":
        columns = ["rank", "label", "cls", "supplied_by", "suppliers", "concept"]
        emit(supply_gaps(graph)[:top], fmt, columns, out, title="supply without demand")
    else:
        raise fail("--side is demand or supply", 2)


@align_app.command("islands")
def islands_command(store: StoreOption = None, fmt: FormatOption = RecordFormat.table, lang: LangOption = "en") -> None:
    """Groups of concepts connected among themselves but to no other chain."""
    from chaingraph.align.weak_links import islands

    graph, _ = _graph(store, "evidence", lang)
    emit(islands(graph), fmt, ["chain", "size", "labels"], out, title="islands")


@align_app.command("trend")
def trend_command(
    store: StoreOption = None,
    fmt: FormatOption = RecordFormat.table,
    years: Annotated[int, typer.Option(help="Years per period.")] = 1,
) -> None:
    """The coupling of the chains per period of the documents' dates."""
    from chaingraph.align.coupling import coupling_trend
    from chaingraph.align.projection import period_graphs

    graph, db = _graph(store, "evidence")
    records = coupling_trend(period_graphs(db, graph, years_per_period=years))
    emit(records, fmt, ["period", "source", "target", "concepts", "linked", "share", "mass"], out, title="trend")


@align_app.command("suggest")
def suggest_command(
    source_class: Annotated[str, typer.Option("--from", help="Class of the sources.")] = "Programme",
    target_class: Annotated[str, typer.Option("--to", help="Class of the targets.")] = "Occupation",
    source_scheme: Annotated[str | None, typer.Option("--from-scheme", help="cip, onet, esco, cnmajor, ...")] = None,
    target_scheme: Annotated[str | None, typer.Option("--to-scheme")] = None,
    top: Annotated[int, typer.Option("--top", help="Suggestions per source.")] = 10,
    store: StoreOption = None,
    fmt: FormatOption = RecordFormat.table,
    lang: LangOption = "en",
) -> None:
    """Rank the links a source probably has or almost has (programme → occupation by default)."""
    from chaingraph.align.suggest import enrich_with_vocabulary, suggest_links

    graph, db = _graph(store, "evidence", lang)
    # The vocabularies' facts (O*NET technologies, ESCO skills, titles) complete thin profiles.
    enrich_with_vocabulary(graph, db)
    records = suggest_links(
        graph, source_class, target_class, top, source_scheme=source_scheme, target_scheme=target_scheme
    )
    if fmt == RecordFormat.csv:
        emit(records, fmt, ["source", "target", "score", "rank", "explanation"], out)
        return
    for record in records:
        record["source_label"] = graph.nodes[record["source"]].get("label")
        record["target_label"] = graph.nodes[record["target"]].get("label")
    columns = ["source_label", "rank", "target_label", "score", "existing", "explanation"]
    emit(records, fmt, columns, out, title=f"suggested {source_class} → {target_class}")
