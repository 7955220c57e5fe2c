"""The public Python API: everything the command line does, a notebook can do with the same calls.

>>> import chaingraph
>>> report = chaingraph.build("corpora", "chaingraph-store")          # doctest: +SKIP
>>> chaingraph.stats("chaingraph-store")["documents"]                 # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from chaingraph.builder import BuildReport, Progress
from chaingraph.builder import build as _build
from chaingraph.corpus import check_text
from chaingraph.rdf.namespaces import resolve_concept
from chaingraph.resources import default_store_path
from chaingraph.stats import store_stats
from chaingraph.store import EmbeddedStore, open_store

# spaCy (the pipeline) and pyshacl (validation) take seconds to import: only the calls that use
# them import them, so that ``import chaingraph`` and a build with nothing to do stay quick.
if TYPE_CHECKING:
    from chaingraph.nlp.linker import Mention
    from chaingraph.rdf.validate import ValidationReport

__all__ = [
    "labels",
    "build",
    "extract",
    "query",
    "stats",
    "export",
    "validate",
    "concept_graph",
    "open_store",
    "resolve_concept",
]


def _store(store: str | Path | EmbeddedStore | None) -> EmbeddedStore:
    if hasattr(store, "transaction"):  # an opened store, embedded or remote
        return store
    return open_store(store if store is not None else default_store_path())


def build(
    corpus_dir: str | Path,
    store: str | Path | None = None,
    *,
    progress: Progress | None = None,
    workers: int = 1,
    profile: str = "fast",
    executor: str = "local",
    scheduler: str | None = None,
    wait: float | None = 0,
    waiting: Callable[[str], None] | None = None,
    follow_links: bool = False,
    allow_empty: bool = False,
    max_document_mb: float | None = None,
) -> BuildReport:
    """Build the graph of a corpus folder into a store (default ``./chaingraph-store``).

    ``profile`` is the pipeline profile, ``"fast"`` or ``"accurate"``. ``executor="dask"`` extracts
    on a Dask cluster: the one at ``scheduler`` (``tcp://HOST:PORT``), else a ``LocalCluster`` of
    ``workers`` processes. One process writes a store at a time: while another does, the build
    waits up to ``wait`` seconds (0: none, None: as long as it takes; ``waiting(holder)`` is
    called when it starts waiting), then raises :class:`chaingraph.store.StoreBusy` naming it.

    Reading stays inside ``corpus_dir``: links that lead outside it are skipped and named unless
    ``follow_links``. A folder from which no document can be read raises
    :class:`chaingraph.corpus.EmptyCorpusError` and leaves the store as it was, unless
    ``allow_empty`` (then the store keeps no document).

    A document with more than ``max_document_mb`` MB of text (default 25) is not built and is
    named in the report's problems; the rest of the corpus builds.
    """
    return _build(
        corpus_dir,
        _store(store),
        progress=progress,
        workers=workers,
        profile=profile,
        executor=executor,
        scheduler=scheduler,
        wait=wait,
        waiting=waiting,
        follow_links=follow_links,
        allow_empty=allow_empty,
        max_document_mb=max_document_mb,
    )


def extract(text: str, *, lang: str = "en", about: str | None = None, profile: str = "fast") -> list[Mention]:
    """The concept mentions the pipeline finds in ``text`` (``about`` is a code or IRI, optional).

    With ``profile="accurate"`` the list also holds unlinked candidates: mentions whose
    ``concept`` is empty, phrases the span finder found that match no concept well enough.

    Raises :class:`chaingraph.corpus.TextError` (a ``ValueError``) naming the offset when ``text``
    is not valid Unicode (lone surrogates, as undecodable bytes become): the caller holds the text
    and knows better than a silent replacement what it should say. (Files are read with a warning
    instead: see :func:`chaingraph.corpus.read_source`.)
    """
    check_text(text)  # before the pipeline's import: a refusal costs nothing
    from chaingraph.nlp.pipeline import extract_text

    about_iri = resolve_concept(about) if about else None
    return list(extract_text(text, lang=lang, about=about_iri, profile=profile).mentions)


def query(sparql: str, store: str | Path | EmbeddedStore | None = None, *, allow_service: Iterable[str] = ()):
    """Run a SPARQL query on the store; the default graph is the union of all graphs.

    The query is checked first (:mod:`chaingraph.sparql_guard`): SERVICE may call only endpoints
    under an ``allow_service`` URL prefix, and a query nested or chained deeper than the evaluator
    survives is refused; both raise :class:`chaingraph.sparql_guard.QueryRefused`.
    """
    from chaingraph.sparql_guard import SparqlGuard

    guard = SparqlGuard(allow_service=tuple(allow_service)) if allow_service else None
    return _store(store).query(sparql, guard=guard)


def stats(store: str | Path | EmbeddedStore | None = None) -> dict:
    """Counts of documents, mentions, relations, triples and vocabulary concepts."""
    return store_stats(_store(store))


def export(
    output, fmt: str = "trig", store: str | Path | EmbeddedStore | None = None, *, include_vocabularies=False
) -> int:
    """Serialise the graph (``ttl``, ``nt``, ``trig``, ``nq`` or ``jsonld``); returns the quads written."""
    from chaingraph.rdf.export import export_graph

    return export_graph(_store(store), output, fmt, include_vocabularies=include_vocabularies)


def validate(
    store: str | Path | EmbeddedStore | None = None, *, include_vocabularies: bool = False
) -> ValidationReport:
    """Check the graph against the SHACL shapes."""
    from chaingraph.rdf.validate import validate_store

    return validate_store(_store(store), include_vocabularies=include_vocabularies)


def concept_graph(store: str | Path | EmbeddedStore | None = None, *, weighting: str = "evidence", lang: str = "en"):
    """The corpus's concepts and relations as a networkx ``DiGraph`` (see :mod:`chaingraph.align`)."""
    from chaingraph.align.projection import concept_graph as _concept_graph

    return _concept_graph(_store(store), weighting=weighting, lang=lang)


def labels(iris, lang: str = "en", store: str | Path | EmbeddedStore | None = None) -> dict[str, str]:
    """The preferred label of each concept IRI in ``lang``, falling back to English, then to any language."""
    from chaingraph.rdf.terms import InvalidIRI, parse_iri, values_block

    nodes = []
    for iri in sorted(set(iris)):
        try:
            nodes.append(parse_iri(iri))
        except InvalidIRI:
            continue  # not an IRI: nothing in the store can label it
    found: dict[str, dict[str, str]] = {}
    db = _store(store)
    for start in range(0, len(nodes), 1000):
        values = values_block("c", nodes[start : start + 1000])
        pref = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
        rows = db.query(f"SELECT ?c ?label WHERE {{ {values} ?c {pref} ?label }}")
        for row in rows:
            found.setdefault(row["c"].value, {}).setdefault(row["label"].language or "", row["label"].value)
    return {
        iri: by_lang.get(lang) or by_lang.get("en") or next(iter(by_lang.values()))
        for iri, by_lang in found.items()
        if by_lang
    }
