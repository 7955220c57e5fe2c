"""The ``chaingraph`` command line: parse, call :mod:`chaingraph.api`, render with rich.

Exit codes: 0 success, 1 failure (nothing changed), 2 usage error, 3 partial (some files could
not be built; the rest were). Every failure ends in one line (:mod:`chaingraph.cli.errors`).
"""

from __future__ import annotations

import json
import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from chaingraph.cli.errors import ErrorBoundary, open_log, report

app = typer.Typer(
    name="chaingraph",
    help="Knowledge graph of the education, talent, industry and innovation chains.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=ErrorBoundary,
)
vocab_app = typer.Typer(
    help="Import vocabularies (ESCO, O*NET, CIP, 职业教育专业目录, GB/T 4754) from their raw releases.",
    no_args_is_help=True,
)
app.add_typer(vocab_app, name="vocab")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)

EXIT_FAILURE, EXIT_PARTIAL = 1, 3

logger = logging.getLogger("chaingraph.cli")

StoreOption = Annotated[
    str | None,
    typer.Option("--store", "-s", help="Store directory (default: $CHAINGRAPH_STORE or ./chaingraph-store)."),
]


class TableFormat(StrEnum):
    table = "table"
    json = "json"


class ExtractFormat(StrEnum):
    json = "json"
    table = "table"


class Profile(StrEnum):
    """Pipeline profiles (chaingraph.nlp.pipeline.PROFILES)."""

    fast = "fast"
    accurate = "accurate"


ProfileOption = Annotated[
    Profile,
    typer.Option(
        "--profile",
        "-p",
        help="fast: vocabulary labels only; accurate: also a trained span finder and fuzzy linking "
        "(unlinked candidates have an empty concept).",
    ),
]


class Executor(StrEnum):
    """Where extraction runs (chaingraph.executors)."""

    local = "local"
    dask = "dask"


class QueryFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    tsv = "tsv"
    xml = "xml"


class ExportFormat(StrEnum):
    ttl = "ttl"
    nt = "nt"
    trig = "trig"
    nq = "nq"
    jsonld = "jsonld"
    gexf = "gexf"
    graphml = "graphml"
    csv = "csv"


def fail(message: str, code: int = EXIT_FAILURE) -> typer.Exit:
    """Print one red line (logged with the traceback being handled, under ``--log``) and return the exit to raise."""
    report(message)
    return typer.Exit(code)


@app.callback()
def _options(
    ctx: typer.Context,
    log: Annotated[
        Path | None,
        typer.Option(
            "--log",
            metavar="FILE",
            dir_okay=False,
            help="Append warnings, errors and their tracebacks to FILE (errors print as one line).",
        ),
    ] = None,
) -> None:
    """Options for every command: chaingraph [--log FILE] COMMAND ..."""
    if log is not None:
        open_log(ctx, log)


def _print_problems(problems) -> None:
    """Each corpus problem on one line: severity, path, reason (also logged, under ``--log``)."""
    from chaingraph.corpus.document import one_line

    for problem in problems:
        colour = "red" if problem.severity == "error" else "yellow"
        # A file may be named "[red].txt", or hold a line break: one line, no markup.
        line = escape(f"{one_line(problem.path)}: {one_line(problem.reason)}")
        err.print(f"[{colour}]{problem.severity}:[/{colour}] {line}", markup=True, soft_wrap=True)
        logger.warning("%s", problem)


# ---------------------------------------------------------------------- build


@app.command()
def build(
    corpus_dir: Annotated[Path, typer.Argument(help="Folder of documents (optional manifest.csv / .jsonl).")],
    store: StoreOption = None,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Extract in this many processes.")] = 1,
    profile: ProfileOption = Profile.fast,
    executor: Annotated[
        Executor, typer.Option("--executor", help="local: this machine's processes; dask: a Dask cluster.")
    ] = Executor.local,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler address (tcp://HOST:PORT); default: a local cluster."),
    ] = None,
    wait: Annotated[
        float,
        typer.Option(
            "--wait", min=0, metavar="SECONDS", help="If another process is writing the store, wait this long for it."
        ),
    ] = 0,
    follow_links: Annotated[
        bool, typer.Option("--follow-links", help="Also read files and folders that links lead to outside CORPUS_DIR.")
    ] = False,
    allow_empty: Annotated[
        bool,
        typer.Option(
            "--allow-empty", help="Build even when no document can be read (the store then keeps no document)."
        ),
    ] = False,
    max_document_mb: Annotated[
        float,
        typer.Option(
            "--max-document-mb",
            min=0,
            metavar="MB",
            help="Do not build documents with more text than this (MB of UTF-8); the rest builds.",
        ),
    ] = 25.0,
) -> None:
    """Build or update the graph of a corpus folder in the store."""
    from chaingraph import api
    from chaingraph.corpus import EmptyCorpusError
    from chaingraph.executors import ExecutorError
    from chaingraph.store import StoreBusy, StoreError

    if not max_document_mb > 0:
        raise typer.BadParameter("must be more than 0", param_hint="'--max-document-mb'")
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,  # piped or logged: only the lines that say something
    ) as bar:
        task = bar.add_task("loading vocabularies", total=None)

        def progress(done: int, total: int, path: str) -> None:
            bar.update(task, description="extracting", completed=done, total=total)

        def waiting(holder: str) -> None:
            message = f"waiting up to {wait:g} s for the store: it is being written by {holder}"
            err.print(message, markup=False, soft_wrap=True)
            bar.update(task, description="waiting for the store")

        try:
            report = api.build(
                corpus_dir,
                store,
                progress=progress,
                workers=workers,
                profile=profile.value,
                executor=executor.value,
                scheduler=scheduler,
                wait=wait,
                waiting=waiting,
                follow_links=follow_links,
                allow_empty=allow_empty,
                max_document_mb=max_document_mb,
            )
        except EmptyCorpusError as error:  # each file's reason, then what was refused
            _print_problems(error.problems)
            raise fail(str(error)) from None
        except StoreBusy as error:
            hint = "; try again when it is done, or wait for it with --wait SECONDS" if not wait else ""
            raise fail(f"{error}{hint}") from None
        except (OSError, StoreError) as error:
            raise fail(str(error)) from None
        except ExecutorError as error:  # a scheduler out of reach, workers with other vocabularies
            raise fail(str(error)) from None
    _print_problems(report.problems)
    stats = api.stats(store)
    out.print(
        f"built {report.documents} documents into {report.store} "
        f"({report.extracted} extracted, {report.unchanged} unchanged, {report.removed} removed)",
        markup=False,
    )
    if report.vocabularies_loaded:
        out.print("loaded: " + ", ".join(report.vocabularies_loaded))
    _print_stats(stats)
    if report.partial:
        err.print(f"[yellow]partial build:[/yellow] {len(report.errors)} file(s) could not be built", markup=True)
        raise typer.Exit(EXIT_PARTIAL)


# ---------------------------------------------------------------------- extract


@app.command()
def extract(
    file: Annotated[Path | None, typer.Argument(help="A document (.txt .md .html .pdf .docx).")] = None,
    text: Annotated[str | None, typer.Option("--text", "-t", help="Text to link instead of a file.")] = None,
    about: Annotated[str | None, typer.Option(help="Concept the text is about (cip:15.0613, onet:...).")] = None,
    fmt: Annotated[ExtractFormat, typer.Option("--format", "-f")] = ExtractFormat.json,
    profile: ProfileOption = Profile.fast,
) -> None:
    """Link the concepts mentioned in a file or a text."""
    from chaingraph import api
    from chaingraph.corpus import DocumentError, TextError, check_text, detect_lang, read_source
    from chaingraph.corpus.paths import printable
    from chaingraph.rdf.namespaces import UnknownConceptCode

    if (file is None) == (text is None):
        raise fail("give either a FILE or --text", 2)
    if file is not None:
        try:
            source = read_source(file)
        except (DocumentError, OSError) as error:
            raise fail(f"{printable(str(file))}: {error}") from None
        for note in source.notes:
            line = escape(f"{printable(str(file))}: {note}")
            err.print(f"[yellow]warning:[/yellow] {line}", markup=True, soft_wrap=True)
        text = source.text
    assert text is not None
    try:
        check_text(text)  # bytes that are not UTF-8 reach argv as lone surrogates
    except TextError as error:
        raise fail(f"--text: {error}", 2) from None
    try:
        mentions = api.extract(text, lang=detect_lang(text), about=about, profile=profile.value)
    except UnknownConceptCode as error:
        raise fail(str(error), 2) from None
    if fmt == ExtractFormat.json:
        for m in mentions:
            record = {
                "text": m.text,
                "start": m.start,
                "end": m.end,
                "concept": m.concept,
                "label": m.label,
                "class": m.cls,
                "score": m.score,
                "alternatives": list(m.alternatives),
            }
            out.print(json.dumps(record, ensure_ascii=False), markup=False)
        return
    table = Table("text", "start", "end", "class", "label", "concept", "score")
    for m in mentions:
        table.add_row(m.text, str(m.start), str(m.end), m.cls, m.label, m.concept, f"{m.score:.2f}")
    out.print(table)


# ---------------------------------------------------------------------- query


@app.command()
def query(
    sparql: Annotated[str | None, typer.Argument(help="A SPARQL query.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Read the query from a .rq file.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Run a saved query, ontologies/queries/NAME.rq.")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE for --name; repeatable.")] = None,
    store: StoreOption = None,
    fmt: Annotated[QueryFormat, typer.Option("--format", "-f")] = QueryFormat.table,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang", help="Add a label column (en or zh, falling back) beside each concept IRI: table/csv/tsv."
        ),
    ] = None,
    allow_service: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-service",
            metavar="URL-PREFIX",
            help="Let SERVICE call endpoints under this URL prefix (repeatable); by default no query calls out.",
        ),
    ] = None,
) -> None:
    """Run a SPARQL query (the default graph is the union of all graphs).

    The query is checked before it runs: SERVICE (a call to another server) and queries nested or
    chained deeper than the evaluator survives are refused with exit code 2.
    """
    import pyoxigraph as ox

    from chaingraph import api
    from chaingraph.serve.queries import load_named_query
    from chaingraph.sparql_guard import QueryRefused, SparqlGuard
    from chaingraph.store import QueryError, StoreError

    try:
        SparqlGuard(allow_service=tuple(allow_service or ()))
    except ValueError as error:
        raise fail(str(error), 2) from None

    if [sparql, file, name].count(None) != 2:
        raise fail("give one of: a SPARQL query, --file Q.rq, --name NAME", 2)
    if name is not None:
        try:
            sparql = load_named_query(name, param or [])
        except QueryError as error:  # an unknown name (the message lists the saved ones) or parameter
            raise fail(str(error), 2) from None
    if file is not None:
        try:
            sparql = file.read_text(encoding="utf-8")
        except OSError as error:
            raise fail(f"{file}: {error}") from None
        except UnicodeDecodeError as error:
            raise fail(f"{file}: byte {error.start} is not UTF-8; save the query as UTF-8", 2) from None
    try:
        results = api.query(sparql, store, allow_service=allow_service or ())
    except QueryRefused as error:  # it would call out, or crash the evaluator: the query is at fault
        where = f"{file}: " if file is not None else f"saved query {name}: " if name is not None else ""
        raise fail(f"{where}refused: {error}", 2) from None
    except (QueryError, StoreError) as error:
        raise fail(str(error)) from None
    try:
        if isinstance(results, ox.QueryBoolean):
            out.print("true" if bool(results) else "false")
        elif not isinstance(results, ox.QuerySolutions):  # CONSTRUCT / DESCRIBE triples
            sys.stdout.buffer.write(ox.serialize(results, format=ox.RdfFormat.TURTLE))
        elif lang and fmt in (QueryFormat.table, QueryFormat.csv, QueryFormat.tsv):
            _print_labelled(results, lang, store, fmt)
        elif fmt == QueryFormat.table:
            _print_solutions(results)
        else:
            from chaingraph.cli.render import results_document

            sys.stdout.buffer.write(results_document(results, fmt.value))  # XML well-formed for any literal
            sys.stdout.flush()
    except OSError as error:
        raise fail(f"query failed: {error}") from None


def _print_labelled(results, lang: str, store, fmt: QueryFormat) -> None:
    """Solutions with a ``<variable>_label`` column beside each variable that holds concept IRIs."""
    import csv

    import pyoxigraph as ox

    from chaingraph import api

    names = [v.value for v in results.variables]
    rows = [[row[n] for n in names] for row in results]
    iris = {term.value for row in rows for term in row if isinstance(term, ox.NamedNode)}
    label_of = api.labels(iris, lang, store)
    labelled = [
        i for i, _ in enumerate(names) if any(isinstance(r[i], ox.NamedNode) and r[i].value in label_of for r in rows)
    ]
    header: list[str] = []
    for i, name in enumerate(names):
        header.append(name)
        if i in labelled:
            header.append(f"{name}_label")
    table_rows = []
    for row in rows:
        cells: list[str] = []
        for i, term in enumerate(row):
            cells.append("" if term is None else term.value)
            if i in labelled:
                cells.append(label_of.get(term.value, "") if isinstance(term, ox.NamedNode) else "")
        table_rows.append(cells)
    if fmt == QueryFormat.table:
        from chaingraph.cli.render import terminal_text

        table = Table(*header)
        for cells in table_rows:
            table.add_row(*map(terminal_text, cells))  # literals are text: no markup, no terminal controls
        out.print(table)
        return
    writer = csv.writer(sys.stdout, delimiter="\t" if fmt == QueryFormat.tsv else ",", lineterminator="\n")
    writer.writerow(header)
    writer.writerows(table_rows)
    sys.stdout.flush()


def _print_solutions(results) -> None:
    from chaingraph.cli.render import terminal_text

    names = [v.value for v in results.variables]
    table = Table(*names)
    for row in results:  # literals are text: no markup, no terminal controls
        table.add_row(*(terminal_text("" if row[n] is None else row[n].value) for n in names))
    out.print(table)


# ---------------------------------------------------------------------- stats, export, validate


def _print_stats(stats: dict) -> None:
    table = Table("what", "count", title="graph")
    for key in ("documents", "mentions", "relations", "triples"):
        table.add_row(key, f"{stats[key]:,}")
    for cls, n in stats["mentions_by_class"].items():
        table.add_row(f"  mentions of {cls}", f"{n:,}")
    for predicate, n in sorted(stats["relations_by_predicate"].items()):
        table.add_row(f"  relations {predicate}", f"{n:,}")
    for cls, n in stats["concepts_by_class"].items():
        table.add_row(f"concepts: {cls}", f"{n:,}")
    out.print(table)


@app.command()
def stats(
    store: StoreOption = None, fmt: Annotated[TableFormat, typer.Option("--format", "-f")] = TableFormat.table
) -> None:
    """Counts of documents, mentions, relations, triples and vocabulary concepts."""
    from chaingraph import api
    from chaingraph.store import StoreError

    try:
        numbers = api.stats(store)
    except StoreError as error:
        raise fail(str(error)) from None
    if fmt == TableFormat.json:
        out.print(json.dumps(numbers, indent=2), markup=False)
    else:
        _print_stats(numbers)


@app.command()
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.trig,
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write (default: standard output).")
    ] = None,
    store: StoreOption = None,
    include_vocabularies: Annotated[bool, typer.Option("--all", help="Include the ontology and vocabularies.")] = False,
    focus: Annotated[str | None, typer.Option(help="gexf/graphml/csv: centre on a concept (label, IRI, code).")] = None,
    depth: Annotated[int | None, typer.Option(min=0, help="gexf/graphml/csv: hops from --focus (default 1).")] = None,
    chains: Annotated[str | None, typer.Option(help="gexf/graphml/csv: only these chains, comma-separated.")] = None,
    classes: Annotated[str | None, typer.Option(help="gexf/graphml/csv: only these classes, comma-separated.")] = None,
    min_weight: Annotated[float, typer.Option(min=0, help="gexf/graphml/csv: only relations this heavy.")] = 0.0,
    max_nodes: Annotated[int | None, typer.Option(min=1, help="gexf/graphml/csv: at most this many concepts.")] = None,
    lang: Annotated[str, typer.Option(help="gexf/graphml/csv: language of the labels (en, zh).")] = "en",
) -> None:
    """Write the graph as Turtle, N-Triples, TriG, N-Quads or JSON-LD; or a concept view as GEXF, GraphML or CSV."""
    from chaingraph import api

    if fmt in (ExportFormat.gexf, ExportFormat.graphml, ExportFormat.csv):
        from chaingraph.cli.view import export_graph_view

        filters = {"focus": focus, "depth": depth, "chains": chains, "classes": classes}
        export_graph_view(fmt.value, output, store, **filters, min_weight=min_weight, max_nodes=max_nodes, lang=lang)
        return

    if output is None:
        count = api.export(sys.stdout.buffer, fmt.value, store, include_vocabularies=include_vocabularies)
        sys.stdout.flush()
    else:
        tmp = output.with_name(output.name + ".part")
        try:
            count = api.export(tmp, fmt.value, store, include_vocabularies=include_vocabularies)
            tmp.replace(output)  # an interrupted export never leaves a half-written file in place
        except OSError as error:
            tmp.unlink(missing_ok=True)
            raise fail(f"{output}: {error}") from None
    err.print(f"{count:,} statements written")


@app.command()
def validate(
    store: StoreOption = None,
    include_vocabularies: Annotated[
        bool, typer.Option("--all", help="Also check every vocabulary concept (slow).")
    ] = False,
) -> None:
    """Check the graph against the SHACL shapes (ontologies/shapes.ttl)."""
    from chaingraph import api

    report = api.validate(store, include_vocabularies=include_vocabularies)
    if report.conforms:
        out.print(f"conforms: {report.triples_checked:,} triples checked against ontologies/shapes.ttl")
        return
    out.print(report.text, markup=False)
    raise fail("the graph does not conform to the SHACL shapes")


# ---------------------------------------------------------------------- vocab


@vocab_app.command("import")
def vocab_import(
    name: Annotated[str, typer.Argument(help="esco, onet, cip, crosswalks, cnmajor, gbt4754 or zh")],
    source_dir: Annotated[Path, typer.Argument(help="Folder of the raw release.")],
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Where to write SKOS (default ontologies/vocab).")
    ] = None,
) -> None:
    """Read a raw vocabulary release and write it as SKOS into ontologies/vocab."""
    from chaingraph.resources import vocab_dir
    from chaingraph.vocab import VocabImportError, import_vocab

    try:
        result = import_vocab(name, source_dir, out_dir or vocab_dir())
    except VocabImportError as error:
        raise fail(str(error)) from None
    out.print(result)


def main() -> None:  # pragma: no cover - console entry point
    app()
