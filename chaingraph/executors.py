"""Where extraction runs: in this process, in a pool of forked processes, or on a Dask cluster.

The unit of work is a :class:`Batch`: documents of one pipeline (language and profile). A worker
extracts them and turns them into their named graphs serialised as N-Quads, so what travels back
is bytes the store's bulk loader reads directly, never spaCy objects or millions of Python quads.
Results are yielded as batches complete, with a bounded number in flight, so memory stays flat
however large the corpus.

The pipeline is loaded once per worker process (:func:`chaingraph.nlp.pipeline.load_pipeline`
caches it): forked workers inherit it from the parent, Dask workers load it on their first batch.

Memory stays bounded for any document too: a long one is extracted window by window and its graph
written as it goes (:class:`chaingraph.rdf.document_graph.DocumentGraphWriter`); when a batch's
N-Quads grow past :data:`SPOOL_BYTES` they go to a file in the batch's ``spool_dir`` (a temporary
folder of the run, on this machine) that the builder streams into the store and deletes.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chaingraph.corpus.document import Document

if TYPE_CHECKING:
    from chaingraph.rdf.relations_graph import Support

__all__ = ["ExecutorError", "Batch", "BatchResult", "extract_batch", "load_pipeline_for", "run_batches", "EXECUTORS"]

EXECUTORS = ("local", "dask")

#: Words per batch: big enough that shipping and scheduling cost little, small enough that a few
#: batches in flight hold little memory (about 10 MB of N-Quads each).
BATCH_WORDS = 40_000

#: A batch whose N-Quads grow past this many bytes writes them to a file in its ``spool_dir``
#: (one long document can make gigabytes of them); below it they travel back as bytes.
SPOOL_BYTES = 64 << 20

#: Bytes of N-Quads per chunk read back from a spool file.
_CHUNK_BYTES = 8 << 20


class ExecutorError(RuntimeError):
    """Extraction cannot run where it was asked to: a scheduler out of reach, workers that differ."""


@dataclass(frozen=True, slots=True)
class Batch:
    """Documents of one pipeline to extract together."""

    documents: tuple[Document, ...]
    lang: str
    profile: str
    pipeline_key: str  # what the documents' fingerprints record (see chaingraph.invalidation)
    vocabulary_key: str = ""  # the vocabularies the parent expects; a worker with others refuses
    spool_dir: str = ""  # a folder of this machine for N-Quads past SPOOL_BYTES ("": keep them in memory)


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What a worker sends back for a batch: plain data."""

    nquads: bytes  # the named graphs of the documents that could be turned into RDF
    paths: tuple[str, ...]  # every document of the batch, in order (for progress)
    failed: tuple[tuple[str, str, str], ...]  # (document id, path, reason) of those that could not
    quads: int
    words: int
    #: Each document's support of each relation it asserts (see chaingraph.rdf.relations_graph).
    support: tuple[Support, ...] = ()
    #: The file holding the N-Quads instead of ``nquads`` (a spooled batch), and for each document
    #: where its graph ends in it and whether it may be cut (a long document: its fingerprint last).
    nquads_file: str = ""
    document_ends: tuple[tuple[int, bool], ...] = ()

    def nquads_chunks(self, size: int = _CHUNK_BYTES) -> Iterator[bytes]:
        """The N-Quads in chunks of about ``size`` bytes that each hold whole document graphs, except
        that a long document's may be cut at line ends (it comes with its fingerprint last, see
        :class:`~chaingraph.rdf.document_graph.DocumentGraphWriter`); a spool file is deleted once read.
        """
        if not self.nquads_file:
            if self.nquads:
                yield self.nquads
            return
        try:
            with open(self.nquads_file, "rb") as stream:
                done = previous = 0  # bytes given out; end of the last whole document not yet given
                for end, may_cut in self.document_ends:
                    if end - done > size and previous > done:  # documents gathered so far: one chunk
                        yield stream.read(previous - done)
                        done = previous
                    while may_cut and end - done > size:
                        block = stream.read(size)
                        if not block.endswith(b"\n"):
                            block += stream.readline()  # the document ends with a line end: never beyond it
                        done += len(block)
                        yield block
                    previous = end
                if previous > done:
                    yield stream.read(previous - done)
        finally:
            os.unlink(self.nquads_file)


#: (lang, profile) -> the vocabulary key of the pipeline this process holds.
_loaded_with: dict[tuple[str, str], str] = {}


def load_pipeline_for(lang: str, profile: str, vocabulary_key: str = ""):
    """The shared pipeline for ``lang`` and ``profile`` over the vocabularies ``vocabulary_key`` names.

    The pipeline module caches one pipeline per language and folder; when the files in that folder
    changed since (a long-lived process, a test), the cache is dropped so the new ones are read.
    """
    from chaingraph.nlp import pipeline as pipeline_module

    if vocabulary_key:
        seen = _loaded_with.get((lang, profile))
        if seen is not None and seen != vocabulary_key:
            for value in vars(pipeline_module).values():
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()
        _loaded_with[(lang, profile)] = vocabulary_key
    return pipeline_module.load_pipeline(lang, profile=profile)


def _current_vocabulary_key(lang: str) -> str:
    """The vocabulary key of the files this process sees (cached while they are not touched)."""
    from chaingraph.nlp.gazetteer import vocab_files
    from chaingraph.resources import ontologies_dir

    files = [*vocab_files(), *sorted(ontologies_dir().glob("stoplabels-*.txt"))]
    stamp = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    return _vocabulary_key_of(lang, stamp)


@functools.lru_cache(maxsize=8)
def _vocabulary_key_of(lang: str, stamp: tuple) -> str:
    from chaingraph.invalidation import vocabulary_key
    from chaingraph.nlp.gazetteer import vocab_files

    return vocabulary_key(lang, {p.name: _hash_file(p) for p in vocab_files()})


def _hash_file(path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()[:24]


def extract_batch(batch: Batch) -> BatchResult:
    """Extract a batch and serialise its documents' graphs as N-Quads (runs in a worker)."""
    from chaingraph.nlp.pipeline import MAX_CHARS, extract_parts
    from chaingraph.nlp.windows import piece_chars
    from chaingraph.rdf.document_graph import DocumentGraphWriter

    if batch.vocabulary_key and _current_vocabulary_key(batch.lang) != batch.vocabulary_key:
        raise ExecutorError(
            f"worker process {os.getpid()} reads other vocabularies than the build "
            f"(from {_vocab_location()}): give every worker the same ontologies folder "
            "(CHAINGRAPH_ONTOLOGIES) and chaingraph version"
        )
    nlp = load_pipeline_for(batch.lang, batch.profile, batch.vocabulary_key)
    sink = _NQuadsSink(batch.spool_dir)
    support = []
    failed = []
    long_text = piece_chars(MAX_CHARS)

    def writer_for(document: Document) -> DocumentGraphWriter | None:
        try:
            # A document read in parts may reach the store in several requests: its fingerprint last.
            return DocumentGraphWriter(
                document, vocab_key=batch.pipeline_key, fingerprint_last=len(document.text) > long_text
            )
        except ValueError as error:  # an IRI, language tag or character the store rejects
            failed.append((document.id, document.path, f"could not be turned into RDF: {error}"))
            return None

    def finish(writer: DocumentGraphWriter | None) -> None:
        if writer is not None:
            tail, relations = writer.finish()
            sink.write(tail)
            sink.end_document(may_cut=writer.fingerprint_last)
            support.extend(relations)

    try:
        current, writer = None, None
        items = [(d.text, d.about) for d in batch.documents]
        for index, part in extract_parts(nlp, items, piece_size=long_text):
            if index != current:  # parts of one document come together, documents in order
                if current is not None:
                    finish(writer)
                current, writer = index, writer_for(batch.documents[index])
            if writer is not None:
                sink.write(writer.add(part))
        if current is not None:
            finish(writer)
        result = sink.close()
    except BaseException:
        sink.discard()
        raise
    nquads, path, ends, quads = result
    return BatchResult(
        nquads=nquads,
        paths=tuple(d.path for d in batch.documents),
        failed=tuple(failed),
        quads=quads,
        words=sum(word_count(d.text) for d in batch.documents),
        support=tuple(support),
        nquads_file=path,
        document_ends=ends,
    )


def word_count(text: str, window: int = 1 << 20) -> int:
    """``len(text.split())`` without making a list of every word of a long text.

    >>> word_count("Welders  read\\nblueprints."), word_count("ab cd ef", window=4)
    (3, 3)
    """
    if len(text) <= window:
        return len(text.split())
    count = 0
    for start in range(0, len(text), window):
        count += len(text[start : start + window].split())
        # A word running across the window's start was counted on both sides.
        if start and not text[start - 1].isspace() and not text[start].isspace():
            count -= 1
    return count


class _NQuadsSink:
    """Where a batch's N-Quads go: memory, or past :data:`SPOOL_BYTES` a file in ``spool_dir``."""

    def __init__(self, spool_dir: str) -> None:
        self.spool_dir = spool_dir
        self.parts: list[bytes] = []
        self.size = 0
        self.quads = 0
        self.file = None
        self.ends: list[tuple[int, bool]] = []

    def write(self, text: str) -> None:
        if not text:
            return
        data = text.encode("utf-8")
        self.quads += data.count(b"\n")
        self.size += len(data)
        if self.file is not None:
            self.file.write(data)
            return
        self.parts.append(data)
        if self.spool_dir and self.size > SPOOL_BYTES:
            self.file = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed by close or discard)
                "wb", dir=self.spool_dir, prefix="batch-", suffix=".nq", delete=False
            )
            for part in self.parts:
                self.file.write(part)
            self.parts = []

    def end_document(self, may_cut: bool) -> None:
        self.ends.append((self.size, may_cut))

    def close(self) -> tuple[bytes, str, tuple[tuple[int, bool], ...], int]:
        """(N-Quads in memory, or b"" and the spool file's path; document ends; quads)."""
        if self.file is None:
            return b"".join(self.parts), "", (), self.quads
        self.file.close()
        return b"", self.file.name, tuple(self.ends), self.quads

    def discard(self) -> None:
        if self.file is not None:
            self.file.close()
            os.unlink(self.file.name)


def _vocab_location() -> str:
    from chaingraph.resources import vocab_dir

    return str(vocab_dir())


def make_batches(
    documents: Iterable[Document],
    lang: str,
    profile: str,
    pipeline_key: str,
    vocabulary_key: str = "",
    words: int | None = None,
) -> Iterator[Batch]:
    """Cut documents of one pipeline into batches of about ``words`` words (default :data:`BATCH_WORDS`)."""
    words = words or BATCH_WORDS
    current: list[Document] = []
    size = 0
    for document in documents:
        current.append(document)
        size += document.text.count(" ") + 1
        if size >= words:
            yield Batch(tuple(current), lang, profile, pipeline_key, vocabulary_key)
            current, size = [], 0
    if current:
        yield Batch(tuple(current), lang, profile, pipeline_key, vocabulary_key)


@contextmanager
def run_batches(
    *,
    executor: str = "local",
    workers: int = 1,
    scheduler: str | None = None,
    langs: Iterable[tuple[str, str, str]] = (),
):
    """A context giving ``run(batches) -> iterator of BatchResult`` on the chosen executor.

    Parameters
    ----------
    executor:
        ``"local"``: this process (``workers=1``) or a pool of forked processes; ``"dask"``: a
        Dask cluster, the one at ``scheduler`` or else a ``LocalCluster`` of ``workers`` processes.
    workers:
        Local processes, or the size of the ``LocalCluster``.
    scheduler:
        ``tcp://HOST:PORT`` of a running Dask scheduler.
    langs:
        ``(lang, profile, vocabulary_key)`` of the pipelines the batches will need; local workers load them before
        forking so that they share them.

    Results come in completion order (not submission order).
    """
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}: use one of {', '.join(EXECUTORS)}")
    # Workers of this machine spool large results to files here; the caller reads each result's
    # chunks (BatchResult.nquads_chunks) before leaving the context, which removes what is left.
    with tempfile.TemporaryDirectory(prefix="chaingraph-spool-") as spool:
        if executor == "dask":
            # A scheduler elsewhere has workers elsewhere: their results come back as bytes.
            with _dask_runner(workers, scheduler) as run:
                yield _spooling(run, spool if scheduler is None else "")
            return
        if workers <= 1 or not hasattr(os, "fork"):
            yield _spooling(lambda batches: map(extract_batch, batches), spool)
            return
        for lang, profile, vocabulary_key in langs:
            load_pipeline_for(lang, profile, vocabulary_key)  # inherited by the forked workers
        with _fork_runner(workers) as run:
            yield _spooling(run, spool)


def _spooling(run, spool_dir: str):
    """``run`` with every batch told to spool large results into ``spool_dir``."""
    if not spool_dir:
        return run
    return lambda batches: run(dataclasses.replace(batch, spool_dir=spool_dir) for batch in batches)


def _process_id(_index: int) -> int:
    return os.getpid()


def _windowed(submit, wait_one, batches: Iterable[Batch], window: int) -> Iterator[BatchResult]:
    """Keep at most ``window`` batches in flight; yield results as they complete."""
    pending = set()
    source = iter(batches)
    exhausted = False
    while True:
        while not exhausted and len(pending) < window:
            batch = next(source, None)
            if batch is None:
                exhausted = True
                break
            pending.add(submit(batch))
        if not pending:
            return
        done = wait_one(pending)
        pending.discard(done)
        yield done.result()


@contextmanager
def _fork_runner(workers: int):
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        # Start every worker now, before the caller opens the store (forking a process whose
        # database threads are running is asking for trouble).
        list(pool.map(_process_id, range(workers)))

        def wait_one(pending):
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            return next(iter(done))

        yield lambda batches: _windowed(lambda batch: pool.submit(extract_batch, batch), wait_one, batches, 2 * workers)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _dask_runner(workers: int, scheduler: str | None):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ExecutorError("the dask executor needs dask.distributed: pip install 'chaingraph[dask]'") from None
    import logging

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=max(1, workers),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
    try:
        client = Client(cluster if cluster is not None else scheduler)
    except OSError as error:
        if cluster is not None:
            cluster.close()
        raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from error
    try:
        slots = max(1, sum(client.nthreads().values()))

        def run(batches: Iterable[Batch]) -> Iterator[BatchResult]:
            from distributed import as_completed

            futures = as_completed()
            source = iter(batches)
            for _, batch in zip(range(2 * slots), source, strict=False):
                futures.add(client.submit(extract_batch, batch, pure=False))
            for future in futures:
                result = future.result()
                future.release()
                batch = next(source, None)
                if batch is not None:
                    futures.add(client.submit(extract_batch, batch, pure=False))
                yield result

        yield run
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
