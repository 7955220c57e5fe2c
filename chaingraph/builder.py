"""Building the graph: corpus folder -> linked concepts -> named graphs in the store.

A build is a sync: documents new to the store or whose text, metadata or pipeline changed are
extracted and their graph (re)written; graphs of documents no longer in the corpus are dropped;
unchanged documents are left alone. The vocabularies and the ontology live in the store too,
each in its own named graph, reloaded only when their files change. The whole change is applied
to a new version of the store that replaces the old one only when everything succeeded.

What is extracted again
-----------------------
* a document whose text or metadata changed, or that is new;
* the documents of one language and profile whose pipeline changed (a new pipeline version, or
  the build asked for another ``profile``): the pipeline's identity is in each fingerprint;
* after a vocabulary or stop-list change, only the documents whose graph can change: those of a
  pipeline whose linker reads the changed files, and among them those about a changed concept
  or whose tokens contain a label key that was added, removed or changed. A change to the
  Chinese stop-list or Chinese labels never touches documents read by the English pipeline. See
  :mod:`chaingraph.invalidation` for the exact rule and the cases that re-extract a whole
  pipeline's documents.

Nothing is loaded that the build does not need: an unchanged corpus is read and hashed, compared
with the fingerprints in the store, and left alone without loading any pipeline.

Extraction runs in batches (:mod:`chaingraph.executors`: this process, forked workers or a Dask
cluster); each batch comes back as N-Quads bytes that stream into the store's bulk loader, so
the corpus's quads are never all in memory.

The relations graph is brought up to date from what changed, never from all assertions: each
batch also brings its documents' support of each relation, dropped documents' support is read
from their graphs, and only the relations either touches are rewritten
(:mod:`chaingraph.rdf.relations_graph`). A remote store, changed request by request rather than in
one transaction, recomputes it from every assertion instead.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from chaingraph.corpus import CorpusProblem, Document, read_corpus
from chaingraph.executors import BatchResult, load_pipeline_for, make_batches, run_batches
from chaingraph.invalidation import LabelIndex, affected_documents, label_index, pipeline_key, vocabulary_key
from chaingraph.nlp.gazetteer import vocab_files
from chaingraph.rdf.document_graph import document_fingerprint
from chaingraph.rdf.namespaces import CG, CG_GRAPH, CG_ID, CLASSES, document_graph_iri, vocab_graph_iri
from chaingraph.rdf.relations_graph import (
    RELATIONS_GRAPH,
    RelationChanges,
    remove_evidence,
    rewrite_relations,
    stored_support,
    write_relations,
)
from chaingraph.resources import ontology_file
from chaingraph.sparql_store import SparqlStore
from chaingraph.store import EmbeddedStore, open_store

__all__ = ["BuildReport", "build", "META_GRAPH", "ONTOLOGY_GRAPH", "pipeline_language"]

META_GRAPH = CG_GRAPH + "meta"
ONTOLOGY_GRAPH = CG_GRAPH + "ontology"
_PIPELINE_STATE = CG_ID + "pipeline-state/"

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
    #: Paths of the documents extracted again because the vocabularies changed (not their text).
    reextracted_for_vocabulary: list[str] = field(default_factory=list)
    quads_loaded: int = 0  # document quads streamed into the store
    words_extracted: int = 0
    #: Seconds spent in each phase (compare, vocabulary, reference_load, extract_and_load, relations, publish).
    timings: dict[str, float] = field(default_factory=dict)

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


def _stored_fingerprints(store) -> dict[str, str]:
    """Document graph IRI -> fingerprint, for every document graph in the store."""
    if not store.exists():
        return {}
    rows = store.query(
        f"PREFIX cg: <{CG}> SELECT ?g ?fp WHERE {{ GRAPH ?g {{ ?d a cg:Document ; cg:fingerprint ?fp }} }}",
        use_default_graph_as_union=False,
    )
    return {row["g"].value: row["fp"].value for row in rows}


def _stored_hashes(store) -> dict[str, str]:
    """Graph IRI -> content hash of the file it was loaded from (vocabularies, ontology)."""
    if not store.exists():
        return {}
    rows = store.query(
        f"PREFIX cg: <{CG}> SELECT ?g ?h WHERE {{ GRAPH <{META_GRAPH}> {{ ?g cg:contentHash ?h }} }}",
        use_default_graph_as_union=False,
    )
    return {row["g"].value: row["h"].value for row in rows}


def _stored_vocabulary_keys(store) -> dict[str, str]:
    """Pipeline key -> the vocabulary key its documents in the store were extracted with."""
    if not store.exists():
        return {}
    rows = store.query(
        f"PREFIX cg: <{CG}> SELECT ?s ?k WHERE {{ GRAPH <{META_GRAPH}> {{ ?s cg:vocabularyKey ?k }} }}",
        use_default_graph_as_union=False,
    )
    return {row["s"].value.removeprefix(_PIPELINE_STATE): row["k"].value for row in rows}


def _stored_label_index(store, pipeline: str) -> LabelIndex | None:
    state = f"<{_PIPELINE_STATE}{pipeline}>"
    rows = store.query(
        f"PREFIX cg: <{CG}> SELECT ?x WHERE {{ GRAPH <{META_GRAPH}> {{ {state} cg:labelIndex ?x }} }}",
        use_default_graph_as_union=False,
    )
    for row in rows:
        try:
            return LabelIndex.decode(row["x"].value)
        except (ValueError, KeyError):
            return None
    return None


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
_HAN = re.compile("[\u3400-\u9fff\uf900-\ufaff]")
_LETTER = re.compile(r"[^\W\d_]")


def pipeline_language(document: Document) -> str:
    """The pipeline a document goes through: "zh" for Chinese or mixed Chinese text, else "en"."""
    primary = (document.lang or "en").split("-")[0].lower()
    if primary == "zh":
        return "zh"
    if not document.text.isascii() and _HAN.search(document.text):
        letters = len(_LETTER.findall(document.text))
        if letters and len(_HAN.findall(document.text)) / letters >= HAN_SHARE_FOR_ZH:
            return "zh"
    return primary if primary in PIPELINE_LANGUAGES else "en"


class _NQuadsStream(io.RawIOBase):
    """A readable stream over the N-Quads of batch results, for the store's bulk loader.

    Pulling from it drives the extraction; an exception met on the way is kept, so the build
    raises it rather than the loader's I/O error that wraps it.
    """

    def __init__(self, results: Iterator[bytes]) -> None:
        self._results = results
        self._buffer = memoryview(b"")
        self.error: BaseException | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._buffer:
            try:
                self._buffer = memoryview(next(self._results))
            except StopIteration:
                return 0
            except BaseException as error:
                self.error = error
                raise
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def _load_nquads(db, chunks: Iterator[bytes]) -> None:
    """Stream N-Quads chunks (each holding whole document graphs) into the store being written."""
    if hasattr(db, "load_nquads_chunks"):  # a remote store: one upload per chunk
        db.load_nquads_chunks(chunks)
        return
    reader = _NQuadsStream(chunks)
    try:
        db.bulk_load(io.BufferedReader(reader, 1 << 20), format=ox.RdfFormat.N_QUADS)
    except Exception:
        if reader.error is not None:
            raise reader.error from None
        raise


def _drop_graphs(db, graphs: list[str]) -> None:
    if hasattr(db, "remove_graphs"):  # a remote store drops many graphs per request
        db.remove_graphs(graphs)
        return
    for graph in graphs:
        db.remove_graph(ox.NamedNode(graph))


def _unknown_abouts(db, documents: Iterable[Document]) -> set[str]:
    """The ``about`` IRIs that are not a typed concept of the vocabularies in ``db``."""
    abouts = sorted({d.about for d in documents if d.about})
    known: set[str] = set()
    classes = " ".join(f"<{CG}{cls}>" for cls in CLASSES)
    for start in range(0, len(abouts), 500):
        values = " ".join(f"<{iri}>" for iri in abouts[start : start + 500])
        rows = db.query(
            f"SELECT DISTINCT ?c WHERE {{ VALUES ?c {{ {values} }} VALUES ?t {{ {classes} }} ?c a ?t }}",
            use_default_graph_as_union=True,
        )
        known.update(row["c"].value for row in rows)
    return set(abouts) - known


def build(
    corpus_dir: str | Path,
    store: str | Path | EmbeddedStore | SparqlStore,
    *,
    progress: Progress | None = None,
    workers: int = 1,
    profile: str = "fast",
    executor: str = "local",
    scheduler: str | None = None,
) -> BuildReport:
    """Build (or bring up to date) the graph of the corpus in ``corpus_dir`` into ``store``.

    Parameters
    ----------
    corpus_dir:
        A folder of documents, optionally with ``manifest.csv`` / ``manifest.jsonl``.
    store:
        The store directory, a SPARQL server URL, or an opened store.
    progress:
        Called after each extracted document as ``progress(done, total, path)``.
    workers:
        Extract in this many processes (local: forked, on platforms that can fork; 1 extracts in
        this one), or the number of workers of the Dask ``LocalCluster``.
    profile:
        The extraction profile (``"fast"`` or ``"accurate"``); part of every document's
        fingerprint, so switching profiles re-extracts the documents.
    executor:
        ``"local"`` or ``"dask"``.
    scheduler:
        With ``executor="dask"``: the scheduler's address (``tcp://HOST:PORT``); None starts a
        ``LocalCluster`` of ``workers`` processes for this build.

    Returns
    -------
    BuildReport
        Counts and the problems met; ``report.partial`` is true when some files failed.
    """
    clock = _Clock()
    db_store = store if hasattr(store, "transaction") else open_store(store)
    corpus = read_corpus(Path(corpus_dir))
    report = BuildReport(store=str(db_store.path), problems=list(corpus.problems))

    reference = _reference_files()
    reference_hashes = {graph: _file_hash(path) for graph, path in reference.items()}
    vocab_hashes = {reference[g].name: h for g, h in reference_hashes.items() if g != ONTOLOGY_GRAPH}

    # Which pipeline reads each document, and with which vocabularies.
    lang_of = {document.id: pipeline_language(document) for document in corpus.documents}
    pipelines = {lang: pipeline_key(lang, profile) for lang in sorted(set(lang_of.values()))}
    vocab_keys = {lang: vocabulary_key(lang, vocab_hashes) for lang in pipelines}

    stored = _stored_fingerprints(db_store)
    wanted = {document_graph_iri(d.id): d for d in corpus.documents}
    to_extract: list[Document] = []
    unchanged: list[Document] = []
    for graph, document in wanted.items():
        if stored.get(graph) == document_fingerprint(document, pipelines[lang_of[document.id]]):
            unchanged.append(document)
        else:
            to_extract.append(document)

    report.timings["compare"] = clock.lap()
    # Vocabularies changed since the unchanged documents were extracted: find those affected.
    stored_vocab_keys = _stored_vocabulary_keys(db_store)
    new_indexes: dict[str, LabelIndex] = {}
    stale_pipelines = {lang for lang in pipelines if stored_vocab_keys.get(pipelines[lang]) != vocab_keys[lang]}
    for lang in sorted(stale_pipelines):
        nlp = load_pipeline_for(lang, profile, vocab_keys[lang])
        new_indexes[lang] = label_index(nlp)
        own = [d for d in unchanged if lang_of[d.id] == lang]
        if not own:
            continue
        old = _stored_label_index(db_store, pipelines[lang]) if pipelines[lang] in stored_vocab_keys else None
        affected, _reason = affected_documents(nlp, own, old, new_indexes[lang])
        if affected:
            ids = {d.id for d in affected}
            unchanged = [d for d in unchanged if d.id not in ids]
            to_extract += affected
            report.reextracted_for_vocabulary += sorted(d.path for d in affected)
    report.reextracted_for_vocabulary.sort()
    report.timings["vocabulary"] = clock.lap()
    report.unchanged = len(unchanged)

    extracting = {document_graph_iri(d.id) for d in to_extract}
    to_drop = [g for g in stored if g not in wanted or g in extracting]
    report.removed = sum(1 for g in stored if g not in wanted)

    stored_hashes = _stored_hashes(db_store)
    stale = [g for g in reference if stored_hashes.get(g) != reference_hashes[g]]
    gone = [g for g in stored_hashes if g not in reference]

    if not to_extract and not to_drop and not stale and not gone and not stale_pipelines and db_store.exists():
        report.documents = len(wanted)
        _warn_unknown_abouts(report, db_store, corpus.documents)
        return report

    # Documents go out in batches of one pipeline each; their graphs come back as N-Quads.
    by_lang: dict[str, list[Document]] = {}
    for document in to_extract:
        by_lang.setdefault(lang_of[document.id], []).append(document)
    batches = [
        batch
        for lang, documents in sorted(by_lang.items())
        for batch in make_batches(documents, lang, profile, pipelines[lang], vocab_keys[lang])
    ]
    total = len(to_extract)
    done = 0

    def stream(results: Iterable[BatchResult], changes: RelationChanges | None) -> Iterator[bytes]:
        nonlocal done
        for result in results:
            for document_id, path, reason in result.failed:
                report.problems.append(CorpusProblem(path, reason))
                wanted.pop(document_graph_iri(document_id), None)
            report.extracted += len(result.paths) - len(result.failed)
            report.quads_loaded += result.quads
            report.words_extracted += result.words
            if progress:
                for path in result.paths:
                    done += 1
                    progress(done, total, path)
            if result.nquads:
                yield result.nquads
            if changes is not None and result.support:
                yield changes.add(result.support).encode("utf-8")  # evidence links of the relations graph

    # The meta graph keeps the state of the pipelines the corpus uses now, recomputed or carried over.
    stored_states = _stored_states(db_store)
    states = {}
    for lang, key in pipelines.items():
        index = new_indexes.get(lang)
        if index is not None:
            states[_PIPELINE_STATE + key] = (vocab_keys[lang], index.encode() if index.exact else None)
        else:
            states[_PIPELINE_STATE + key] = stored_states[_PIPELINE_STATE + key]
    needed = [(lang, profile, vocab_keys[lang]) for lang in sorted(by_lang)]
    # Workers start (forked, or a Dask cluster) only when there is something to extract.
    workers_context = (
        run_batches(executor=executor, workers=workers, scheduler=scheduler, langs=needed)
        if batches
        else contextlib.nullcontext(None)
    )
    with workers_context as run, db_store.transaction() as db:
        # The relations graph follows the documents' support (chaingraph.rdf.relations_graph): what
        # dropped documents gave is taken off, before their graphs go; what loaded ones give is added.
        # A store not changed in one transaction (a remote server) recomputes it from all assertions,
        # so that a build that stopped half-way cannot leave it out of step.
        changes = RelationChanges() if getattr(db, "transactional", True) else None
        kept = len(to_drop) < len(stored)  # some stored documents stay: update their relations
        removing = _Clock()
        if changes is not None and kept and to_drop:
            removed = stored_support(db, to_drop)
            changes.remove(removed)
            remove_evidence(db, removed)
        elif changes is not None and not kept and db.contains_named_graph(ox.NamedNode(RELATIONS_GRAPH)):
            db.remove_graph(ox.NamedNode(RELATIONS_GRAPH))
        removing_seconds = removing.lap()
        _drop_graphs(db, to_drop + gone)
        for graph in stale:
            if db.contains_named_graph(ox.NamedNode(graph)):
                db.remove_graph(ox.NamedNode(graph))
            _load_rdf_file(db, reference[graph], graph)
            report.vocabularies_loaded.append(reference[graph].name)
        report.timings["reference_load"] = round(clock.lap() - removing_seconds, 3)
        if batches:
            _load_nquads(db, stream(run(batches), changes))
        report.timings["extract_and_load"] = clock.lap()
        if changes is not None:
            write_relations(db, changes, fresh=not kept)
        else:
            rewrite_relations(db)
        report.timings["relations"] = round(clock.lap() + removing_seconds, 3)
        _write_meta(db, reference_hashes, states)
        _warn_unknown_abouts(report, db, corpus.documents)
    report.timings["publish"] = clock.lap()
    report.documents = len(wanted)
    return report


class _Clock:
    def __init__(self) -> None:
        self.last = time.perf_counter()

    def lap(self) -> float:
        now = time.perf_counter()
        seconds, self.last = now - self.last, now
        return round(seconds, 3)


def _warn_unknown_abouts(report: BuildReport, db, documents: Iterable[Document]) -> None:
    unknown = _unknown_abouts(db, documents)
    for document in documents:
        if document.about in unknown:
            report.problems.append(
                CorpusProblem(
                    document.path,
                    f"about {document.about} is not a concept of the vocabularies; the document is built "
                    "but its mentions are not related to it",
                    "warning",
                )
            )


def _stored_states(store) -> dict[str, tuple[str, str | None]]:
    """Pipeline state IRI -> (vocabulary key, encoded label index or None), as the store has them."""
    if not store.exists():
        return {}
    rows = store.query(
        f"PREFIX cg: <{CG}> SELECT ?s ?k ?x WHERE {{ GRAPH <{META_GRAPH}> {{ ?s cg:vocabularyKey ?k "
        "OPTIONAL { ?s cg:labelIndex ?x } } }",
        use_default_graph_as_union=False,
    )
    return {row["s"].value: (row["k"].value, row["x"].value if row["x"] is not None else None) for row in rows}


def _write_meta(db, reference_hashes: dict[str, str], states: dict[str, tuple[str, str | None]]) -> None:
    """Rewrite the meta graph: file hashes, and per pipeline its vocabulary key and label index."""
    meta = ox.NamedNode(META_GRAPH)
    if db.contains_named_graph(meta):
        db.remove_graph(meta)
    quads = [
        ox.Quad(ox.NamedNode(graph), ox.NamedNode(CG + "contentHash"), ox.Literal(digest), meta)
        for graph, digest in sorted(reference_hashes.items())
    ]
    for state, (key, index) in sorted(states.items()):
        quads.append(ox.Quad(ox.NamedNode(state), ox.NamedNode(CG + "vocabularyKey"), ox.Literal(key), meta))
        if index is not None:
            quads.append(ox.Quad(ox.NamedNode(state), ox.NamedNode(CG + "labelIndex"), ox.Literal(index), meta))
    db.extend(quads)
