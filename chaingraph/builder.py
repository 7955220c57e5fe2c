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

Quicker still, a build that finds nothing changed since the last one neither reads the corpus nor
opens the store. Each build keeps a record beside the store's live generation
(:meth:`chaingraph.store.EmbeddedStore.build_record`): a snapshot of what reading the corpus looked
at (:mod:`chaingraph.corpus.snapshot`: every file's ``stat`` and content digest), a digest of
everything else the graph depends on (the profile, chaingraph's own code, the vocabularies,
ontology and stop-lists, the Python and file-reader versions), and the report. When that digest is
the same and the snapshot finds every file as it was, the graph is the one a full comparison
would leave as it is, and the recorded report is returned. Any difference, or any doubt (no
record, a record for another generation, a file that could not be read, a document that failed),
falls back to the full comparison above, which writes a new record.

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
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from chaingraph.corpus import (
    CorpusProblem,
    Document,
    EmptyCorpusError,
    Snapshot,
    corpus_candidates,
    read_corpus,
)
from chaingraph.corpus.document import count_characters
from chaingraph.executors import BatchResult, load_pipeline_for, make_batches, run_batches
from chaingraph.invalidation import LabelIndex, affected_documents, label_index, pipeline_key, vocabulary_key
from chaingraph.rdf.namespaces import CG, CG_GRAPH, CG_ID, CLASSES, RDF, document_graph_iri, vocab_graph_iri
from chaingraph.rdf.relations_graph import (
    RELATIONS_GRAPH,
    RelationChanges,
    remove_evidence,
    rewrite_relations,
    stored_support,
    write_relations,
)
from chaingraph.resources import ontologies_dir, ontology_file, vocab_dir
from chaingraph.store import EmbeddedStore, open_store

if TYPE_CHECKING:
    from chaingraph.sparql_store import SparqlStore

__all__ = ["BuildReport", "build", "MAX_DOCUMENT_MB", "META_GRAPH", "ONTOLOGY_GRAPH", "pipeline_language"]

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


def _stored_pairs(store, query: str) -> list[tuple[str, str]]:
    """The two columns of ``query``'s rows as text, over the store's named graphs (none without a store)."""
    if not store.exists():
        return []
    return [(row[0].value, row[1].value) for row in store.query(query, use_default_graph_as_union=False)]


def _stored_fingerprints(store) -> dict[str, str]:
    """Document graph IRI -> fingerprint, for every document graph in the store."""
    # Only documents have a fingerprint; also matching their type makes the query twice as slow.
    query = f"PREFIX cg: <{CG}> SELECT ?g ?fp WHERE {{ GRAPH ?g {{ ?d cg:fingerprint ?fp }} }}"
    return dict(_stored_pairs(store, query))


def _stored_hashes(store) -> dict[str, str]:
    """Graph IRI -> content hash of the file it was loaded from (vocabularies, ontology)."""
    query = f"PREFIX cg: <{CG}> SELECT ?g ?h WHERE {{ GRAPH <{META_GRAPH}> {{ ?g cg:contentHash ?h }} }}"
    return dict(_stored_pairs(store, query))


def _stored_vocabulary_keys(store) -> dict[str, str]:
    """Pipeline key -> the vocabulary key its documents in the store were extracted with."""
    query = f"PREFIX cg: <{CG}> SELECT ?s ?k WHERE {{ GRAPH <{META_GRAPH}> {{ ?s cg:vocabularyKey ?k }} }}"
    return {subject.removeprefix(_PIPELINE_STATE): key for subject, key in _stored_pairs(store, query)}


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
    from chaingraph.nlp.gazetteer import vocab_files  # imports spaCy: not on the path of a no-op rebuild

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
_HAN = re.compile("[\u3400-\u9fff\uf900-\ufaff]+")
_LETTER = re.compile(r"[^\W\d_]+")


def pipeline_language(document: Document) -> str:
    """The pipeline a document goes through: "zh" for Chinese or mixed Chinese text, else "en"."""
    primary = (document.lang or "en").split("-")[0].lower()
    if primary == "zh":
        return "zh"
    if not document.text.isascii() and _HAN.search(document.text):
        letters = count_characters(_LETTER, document.text)  # counted, not listed: a text may have 25 MB
        if letters and count_characters(_HAN, document.text) / letters >= HAN_SHARE_FOR_ZH:
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
    """The ``about`` IRIs that are not a typed concept of the vocabularies in ``db``.

    An ``about`` comes from a manifest or front matter: it is looked up as a checked IRI, never
    written into query text by hand (one that is not an IRI is unknown).
    """
    from chaingraph.rdf.terms import InvalidIRI, parse_iri, term_text, values_block

    abouts = sorted({d.about for d in documents if d.about})
    nodes = []
    for iri in abouts:
        with contextlib.suppress(InvalidIRI):
            nodes.append(parse_iri(iri))
    classes = [ox.NamedNode(CG + cls) for cls in CLASSES]
    known: set[str] = set()
    if isinstance(db, ox.Store):  # the store being written: an index lookup per IRI and class
        typed = ox.NamedNode(RDF + "type")
        for node in nodes:
            if any(next(db.quads_for_pattern(node, typed, cls, None), None) for cls in classes):
                known.add(node.value)
        return set(abouts) - known
    class_list = ", ".join(term_text(cls) for cls in classes)
    for start in range(0, len(nodes), 500):
        # A FILTER, not VALUES on the type: Oxigraph would join with every typed node of the store
        # (millions of sentences and mentions) instead of looking up each IRI.
        rows = db.query(
            f"SELECT DISTINCT ?c WHERE {{ {values_block('c', nodes[start : start + 500])} ?c a ?t "
            f"FILTER(?t IN ({class_list})) }}",
            use_default_graph_as_union=True,
        )
        known.update(row["c"].value for row in rows)
    return set(abouts) - known


#: The most text one document may have, in MB of UTF-8 (see ``max_document_mb`` of :func:`build`).
MAX_DOCUMENT_MB = 25.0


def build(
    corpus_dir: str | Path,
    store: str | Path | EmbeddedStore | SparqlStore,
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
    wait:
        Seconds to wait while another process writes the (embedded) store: 0 refuses at once,
        None waits as long as it takes. The build holds the store from reading what it holds
        until it has published its result, so a build that waited starts from the other's graph.
    waiting:
        Called once with a description of the process writing the store, if this build waits for it.
    follow_links:
        Also read files and folders that symbolic links lead to outside ``corpus_dir`` (default
        False: they are skipped, each named by a warning).
    allow_empty:
        Build a corpus from which no document could be read, removing every document from the
        store (default False: :class:`~chaingraph.corpus.EmptyCorpusError`, the store untouched).
    max_document_mb:
        Documents with more text than this many MB (of UTF-8, 1 MB = 10^6 bytes) are not built,
        each named by an error; default :data:`MAX_DOCUMENT_MB`. Memory stays bounded below it
        (long documents are extracted in pieces), but the text of a document is held whole.

    Returns
    -------
    BuildReport
        Counts and the problems met; ``report.partial`` is true when some files failed.

    Raises
    ------
    ValueError
        If ``max_document_mb`` is not more than 0.
    chaingraph.store.StoreBusy
        If another process kept writing the store past ``wait`` seconds; the message names it.
    chaingraph.corpus.EmptyCorpusError
        If no document could be read from ``corpus_dir`` and ``allow_empty`` is False.
    """
    max_document_mb = MAX_DOCUMENT_MB if max_document_mb is None else max_document_mb
    if not max_document_mb > 0:
        raise ValueError(f"max_document_mb must be more than 0, not {max_document_mb:g}")
    db_store = store if hasattr(store, "transaction") else open_store(store)
    # A remote store cannot be locked from here (see the README): it is written request by request.
    embedded = isinstance(db_store, EmbeddedStore)
    with db_store.writer(wait, waiting=waiting) if embedded else contextlib.nullcontext():
        return _sync(
            corpus_dir,
            db_store,
            progress=progress,
            workers=workers,
            profile=profile,
            executor=executor,
            scheduler=scheduler,
            follow_links=follow_links,
            allow_empty=allow_empty,
            max_document_mb=max_document_mb,
        )


def _sync(
    corpus_dir: str | Path,
    db_store: EmbeddedStore | SparqlStore,
    *,
    progress: Progress | None,
    workers: int,
    profile: str,
    executor: str,
    scheduler: str | None,
    follow_links: bool = False,
    allow_empty: bool = False,
    max_document_mb: float = 0.0,
) -> BuildReport:
    """The body of :func:`build`, run while the store's writer lock is held."""
    clock = _Clock()
    hashes = _ReferenceHashes()
    inputs = _inputs_digest(profile, hashes, max_document_mb)
    recorded = _unchanged_since_record(db_store, Path(corpus_dir), inputs, follow_links)
    if recorded is not None and (recorded.documents or allow_empty):  # an empty corpus is refused below
        recorded.timings["compare"] = clock.lap()
        return recorded
    reference = _reference_files()
    reference_hashes = {graph: hashes(path) for graph, path in reference.items()}

    # Imported here: it brings the pipeline modules, which only a build with changes needs.
    from chaingraph.rdf.document_graph import document_fingerprint

    corpus = read_corpus(Path(corpus_dir), follow_links=follow_links, max_document_mb=max_document_mb)
    if not corpus.documents and not allow_empty:
        # Nothing read (an empty folder, or every file failed): building it would wipe the graph.
        raise EmptyCorpusError(Path(corpus_dir), corpus.problems)
    report = BuildReport(store=str(db_store.path), problems=list(corpus.problems))
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
        _save_record(db_store, Path(corpus_dir), inputs, corpus.snapshot, report)
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
    failed: list[str] = []  # documents that could not become RDF: tried again by the next build

    def stream(results: Iterable[BatchResult], changes: RelationChanges | None) -> Iterator[bytes]:
        nonlocal done
        for result in results:
            for document_id, path, reason in result.failed:
                report.problems.append(CorpusProblem(path, reason))
                wanted.pop(document_graph_iri(document_id), None)
                failed.append(path)
            report.extracted += len(result.paths) - len(result.failed)
            report.quads_loaded += result.quads
            report.words_extracted += result.words
            if progress:
                for path in result.paths:
                    done += 1
                    progress(done, total, path)
            yield from result.nquads_chunks()  # a long document's graph comes in several
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
    if not failed:
        _save_record(db_store, Path(corpus_dir), inputs, corpus.snapshot, report)
    return report


#: The form of the build record; a record of another form is ignored.
_RECORD_VERSION = 1

# Third-party libraries whose version can change the text read from a file.
_READER_LIBRARIES = ("charset-normalizer", "beautifulsoup4", "lxml", "pypdf", "python-docx")


# Parts of chaingraph that only read a built graph: changing them changes no graph.
_READERS_OF_THE_GRAPH = frozenset({"align", "cli", "serve", "views"})


def _code_digest() -> str:
    """A digest of chaingraph's code and models that a graph depends on (the pipeline, the file
    readers, the RDF it writes); a new module counts unless it is in a reader-only folder."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if relative.parts[0] in _READERS_OF_THE_GRAPH or "__pycache__" in relative.parts or not path.is_file():
            continue
        digest.update(f"{relative.as_posix()}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _installed(names: Iterable[str]) -> list[str]:
    """The ``*.dist-info`` folders (name and version) of the distributions ``names`` on ``sys.path``.

    A directory listing, not ``importlib.metadata``: that costs more to import than a rebuild with
    nothing to do takes otherwise.
    """
    # Folder names spell a distribution with "-" or "_" (charset-normalizer, charset_normalizer).
    prefixes = tuple(name.lower().replace("-", "_") + "_" for name in names)
    found = []
    for entry in sys.path:
        try:
            names_here = os.listdir(entry or ".")
        except OSError:  # a zip file, or a folder that is gone
            continue
        found += [
            name
            for name in names_here
            if name.endswith(".dist-info") and name.lower().replace("-", "_").startswith(prefixes)
        ]
    return sorted(found)


#: The code as this process found it on import. What a process runs is what it imported, so when the
#: files differ since (edited under a long-lived process), its builds neither trust nor write a record.
_LOADED_CODE = _code_digest()


class _ReferenceHashes:
    """``_file_hash`` of a path, computed once per build."""

    def __init__(self) -> None:
        self._known: dict[Path, str] = {}

    def __call__(self, path: Path) -> str:
        if path not in self._known:
            self._known[path] = _file_hash(path)
        return self._known[path]


def _inputs_digest(profile: str, hashes: _ReferenceHashes, max_document_mb: float = 0.0) -> str | None:
    """A digest of everything the graph depends on besides the corpus files, or None when the code on
    disk is not the code this process runs.

    A rebuild may skip comparing the corpus with the store only when this is the same as when the
    store's record was written (see the module docstring). It is deliberately broader than what
    the full comparison checks: any change to chaingraph's code or to a vocabulary file only costs
    one full comparison.
    """
    code = _code_digest()
    if code != _LOADED_CODE:
        return None
    stop_lists = sorted(ontologies_dir().glob("stoplabels-*.txt"))
    # Every file beside the vocabularies, not only those the gazetteer reads (it imports spaCy): a
    # superset can only make a change count that did not need to.
    vocabularies = sorted(path for path in vocab_dir().iterdir() if path.is_file())
    parts = {
        "version": _RECORD_VERSION,
        "profile": profile,
        "max_document_mb": max_document_mb,  # a raised limit builds what the last build refused
        "python": sys.version,
        "code": code,
        "libraries": _installed(_READER_LIBRARIES),
        "ontology": [str(ontology_file()), hashes(ontology_file())],
        "vocabularies": [[str(path), hashes(path)] for path in vocabularies],
        "stop_lists": {path.name: hashes(path) for path in stop_lists},
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()


def _unchanged_since_record(
    db_store, corpus_dir: Path, inputs: str | None, follow_links: bool = False
) -> BuildReport | None:
    """The report of the build that made the store's live graph, when the corpus and every other
    input are as that build found them; else None (then the corpus is compared with the store)."""
    if not isinstance(db_store, EmbeddedStore) or inputs is None:
        return None
    record = db_store.build_record()
    if not record or record.get("version") != _RECORD_VERSION or record.get("inputs") != inputs:
        return None
    if record.get("corpus") != str(corpus_dir.resolve()) or not corpus_dir.is_dir():
        return None
    try:
        snapshot = Snapshot.from_json(record["snapshot"], corpus_dir)
        report = BuildReport(
            store=str(db_store.path),
            documents=int(record["documents"]),
            unchanged=int(record["documents"]),
            problems=[CorpusProblem(path, reason, severity) for path, reason, severity in record["problems"]],
        )
    except (KeyError, TypeError, ValueError):
        return None
    if snapshot.follow_links != follow_links:
        return None
    if snapshot.changed(corpus_candidates(corpus_dir, follow_links=follow_links)) is not None:
        return None
    if snapshot.renewed:  # files whose content had to be checked: note their new stat
        db_store.save_build_record({**record, "snapshot": snapshot.to_json()})
    return report


def _save_record(
    db_store, corpus_dir: Path, inputs: str | None, snapshot: Snapshot | None, report: BuildReport
) -> None:
    """Record what this build read, for the next one (see :func:`_unchanged_since_record`)."""
    if not isinstance(db_store, EmbeddedStore) or inputs is None or snapshot is None or not snapshot.complete:
        return
    db_store.save_build_record(
        {
            "version": _RECORD_VERSION,
            "inputs": inputs,
            "corpus": str(corpus_dir.resolve()),
            "snapshot": snapshot.to_json(),
            "documents": report.documents,
            "problems": [[p.path, p.reason, p.severity] for p in report.problems],
        }
    )


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
