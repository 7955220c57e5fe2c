"""Building the graph: corpus folder -> linked concepts -> named graphs in the store.

A build is a sync: documents new to the store or whose text, metadata or pipeline changed are
extracted and their graph (re)written; graphs of documents no longer in the corpus are dropped;
unchanged documents are left alone. The vocabularies and the ontology live in the store too,
each in its own named graph, reloaded only when their files change. The whole change is applied
to a new version of the store that replaces the old one only when everything succeeded.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from chaingraph.corpus import CorpusProblem, Document, read_corpus
from chaingraph.nlp.gazetteer import vocab_files
from chaingraph.nlp.pipeline import extract_docs, load_pipeline
from chaingraph.rdf.document_graph import document_fingerprint, document_quads
from chaingraph.rdf.namespaces import CG, CG_GRAPH, document_graph_iri, vocab_graph_iri
from chaingraph.rdf.relations_graph import RELATIONS_GRAPH, relations_quads
from chaingraph.resources import ontology_file
from chaingraph.sparql_store import SparqlStore
from chaingraph.store import EmbeddedStore, open_store

__all__ = ["BuildReport", "build", "META_GRAPH", "ONTOLOGY_GRAPH"]

META_GRAPH = CG_GRAPH + "meta"
ONTOLOGY_GRAPH = CG_GRAPH + "ontology"

#: Called as progress(done, total, path) while documents are extracted.
Progress = Callable[[int, int, str], None]


@dataclass
class BuildReport:
    """What a build did."""

    store: str
    documents: int = 0  # documents in the corpus that are now in the store
    extracted: int = 0  # of those, (re)extracted in this build
    unchanged: int = 0
    removed: int = 0  # graphs dropped because their document left the corpus (or changed)
    vocabularies_loaded: list[str] = field(default_factory=list)
    problems: list[CorpusProblem] = field(default_factory=list)

    @property
    def errors(self) -> list[CorpusProblem]:
        """Problems that kept a file out of the graph."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def partial(self) -> bool:
        """True when some files could not be built (the rest were)."""
        return bool(self.errors)


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:24]


def _stored_fingerprints(store: EmbeddedStore) -> dict[str, str]:
    """Document graph IRI -> fingerprint, for every document graph in the store."""
    if not store.exists():
        return {}
    rows = store.query(
        f"PREFIX cg: <{CG}> SELECT ?g ?fp WHERE {{ GRAPH ?g {{ ?d a cg:Document ; cg:fingerprint ?fp }} }}",
        use_default_graph_as_union=False,
    )
    return {row["g"].value: row["fp"].value for row in rows}


def _stored_hashes(store: EmbeddedStore) -> dict[str, str]:
    """Graph IRI -> content hash of the file it was loaded from (vocabularies, ontology)."""
    if not store.exists():
        return {}
    rows = store.query(
        f"PREFIX cg: <{CG}> SELECT ?g ?h WHERE {{ GRAPH <{META_GRAPH}> {{ ?g cg:contentHash ?h }} }}",
        use_default_graph_as_union=False,
    )
    return {row["g"].value: row["h"].value for row in rows}


def _load_rdf_file(db: ox.Store, path: Path, graph: str) -> None:
    name = path.name.removesuffix(".gz")
    fmt = ox.RdfFormat.N_TRIPLES if name.endswith(".nt") else ox.RdfFormat.TURTLE
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as stream:
        db.bulk_load(stream, format=fmt, to_graph=ox.NamedNode(graph))


def _reference_files() -> dict[str, Path]:
    """Graph IRI -> file for the ontology and each vocabulary."""
    files = {ONTOLOGY_GRAPH: ontology_file()}
    for path in vocab_files():
        files[vocab_graph_iri(path.name.split(".")[0])] = path
    return files


#: Languages with a pipeline of their own; documents in other languages use the English one.
PIPELINE_LANGUAGES = ("en", "zh")


#: Share of Han characters among the letters from which a document goes through the Chinese
#: pipeline even when it is mostly in another language: that pipeline links English labels too,
#: while the English one cannot cut Chinese into words.
HAN_SHARE_FOR_ZH = 0.05


def pipeline_language(document: Document) -> str:
    """The pipeline a document goes through: "zh" for Chinese or mixed Chinese text, else "en"."""
    primary = (document.lang or "en").split("-")[0].lower()
    if primary == "zh":
        return "zh"
    letters = han = 0
    for char in document.text:
        if char.isalpha():
            letters += 1
            han += "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"
    if letters and han / letters >= HAN_SHARE_FOR_ZH:
        return "zh"
    return primary if primary in PIPELINE_LANGUAGES else "en"


def _extract_by_language(documents: list[Document], workers: int = 1):
    """``(document, extraction)`` for each document, each through its language's pipeline.

    With ``workers > 1`` the documents are shared out to forked processes that inherit the loaded
    pipeline; only plain tuples travel back (shipping spaCy ``Doc`` objects between processes
    costs more than the extraction itself).
    """
    by_language: dict[str, list[Document]] = {}
    for document in documents:
        by_language.setdefault(pipeline_language(document), []).append(document)
    for lang, group in by_language.items():
        nlp = load_pipeline(lang)
        items = [(d.text, d.about) for d in group]
        if workers <= 1 or len(group) < 2 * workers:
            yield from zip(group, extract_docs(nlp, items), strict=True)
            continue
        import multiprocessing

        global _WORKER_NLP
        _WORKER_NLP = nlp  # inherited by the forked workers
        context = multiprocessing.get_context("fork")
        chunk = max(1, min(16, len(items) // (workers * 4)))
        with context.Pool(workers) as pool:
            yield from zip(group, pool.imap(_extract_in_worker, items, chunksize=chunk), strict=True)


_WORKER_NLP = None


def _extract_in_worker(item: tuple[str, str | None]):
    return next(extract_docs(_WORKER_NLP, [item]))


def build(
    corpus_dir: str | Path,
    store: str | Path | EmbeddedStore | SparqlStore,
    *,
    progress: Progress | None = None,
    workers: int = 1,
) -> BuildReport:
    """Build (or bring up to date) the graph of the corpus in ``corpus_dir`` into ``store``.

    Parameters
    ----------
    corpus_dir:
        A folder of documents, optionally with ``manifest.csv`` / ``manifest.jsonl``.
    store:
        The store directory (or an opened store).
    progress:
        Called after each extracted document as ``progress(done, total, path)``.
    workers:
        Extract in this many processes (on platforms that can fork); 1 extracts in this one.

    Returns
    -------
    BuildReport
        Counts and the problems met; ``report.partial`` is true when some files failed.
    """
    db_store = store if hasattr(store, "transaction") else open_store(store)
    corpus = read_corpus(Path(corpus_dir))
    report = BuildReport(store=str(db_store.path), problems=list(corpus.problems))

    reference = _reference_files()
    reference_hashes = {graph: _file_hash(path) for graph, path in reference.items()}
    vocab_key = hashlib.sha256(
        " ".join(f"{g}={h}" for g, h in sorted(reference_hashes.items()) if g != ONTOLOGY_GRAPH).encode()
    ).hexdigest()[:24]

    stored = _stored_fingerprints(db_store)
    wanted = {document_graph_iri(d.id): d for d in corpus.documents}
    nlp = load_pipeline("en")
    gazetteer = nlp.get_pipe("chaingraph_concepts").gazetteer
    for document in corpus.documents:
        if document.about and gazetteer.concept(document.about) is None:
            report.problems.append(
                CorpusProblem(
                    document.path,
                    f"about {document.about} is not a concept of the vocabularies; the document is built "
                    "but its mentions are not related to it",
                    "warning",
                )
            )
    to_extract: list[Document] = []
    for graph, document in wanted.items():
        if stored.get(graph) == document_fingerprint(document, vocab_key):
            report.unchanged += 1
        else:
            to_extract.append(document)
    to_drop = [g for g in stored if g not in wanted or g in {document_graph_iri(d.id) for d in to_extract}]
    report.removed = sum(1 for g in stored if g not in wanted)

    stored_hashes = _stored_hashes(db_store)
    stale = [g for g in reference if stored_hashes.get(g) != reference_hashes[g]]
    gone = [g for g in stored_hashes if g not in reference]

    if not to_extract and not to_drop and not stale and not gone and db_store.exists():
        report.documents = len(wanted)
        return report

    extracted_quads: list[ox.Quad] = []
    for done, (document, extraction) in enumerate(_extract_by_language(to_extract, workers), 1):
        try:
            extracted_quads.extend(document_quads(document, extraction, vocab_key=vocab_key))
            report.extracted += 1
        except (ValueError, TypeError) as error:  # an IRI or literal the store rejects
            report.problems.append(CorpusProblem(document.path, f"could not be turned into RDF: {error}"))
            wanted.pop(document_graph_iri(document.id), None)
        if progress:
            progress(done, len(to_extract), document.path)

    with db_store.transaction() as db:
        for graph in to_drop + gone:
            db.remove_graph(ox.NamedNode(graph))
        for graph in stale:
            if db.contains_named_graph(ox.NamedNode(graph)):
                db.remove_graph(ox.NamedNode(graph))
            _load_rdf_file(db, reference[graph], graph)
            report.vocabularies_loaded.append(reference[graph].name)
        db.bulk_extend(extracted_quads)
        if db.contains_named_graph(ox.NamedNode(RELATIONS_GRAPH)):
            db.remove_graph(ox.NamedNode(RELATIONS_GRAPH))
        db.bulk_extend(relations_quads(db))
        if db.contains_named_graph(ox.NamedNode(META_GRAPH)):
            db.remove_graph(ox.NamedNode(META_GRAPH))
        meta = ox.NamedNode(META_GRAPH)
        db.extend(
            ox.Quad(ox.NamedNode(graph), ox.NamedNode(CG + "contentHash"), ox.Literal(digest), meta)
            for graph, digest in sorted(reference_hashes.items())
        )
    report.documents = len(wanted)
    return report
