"""Where extraction runs: in this process, in a pool of forked processes, or on a Dask cluster.

The unit of work is a :class:`Batch`: documents of one pipeline (language and profile). A worker
extracts them and turns them into their named graphs serialised as N-Quads, so what travels back
is bytes the store's bulk loader reads directly, never spaCy objects or millions of Python quads.
Results are yielded as batches complete, with a bounded number in flight, so memory stays flat
however large the corpus.

The pipeline is loaded once per worker process (:func:`chaingraph.nlp.pipeline.load_pipeline`
caches it): forked workers inherit it from the parent, Dask workers load it on their first batch.
"""

from __future__ import annotations

import functools
import os
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
    from chaingraph.nlp.pipeline import extract_docs
    from chaingraph.rdf.document_graph import document_graph

    if batch.vocabulary_key and _current_vocabulary_key(batch.lang) != batch.vocabulary_key:
        raise ExecutorError(
            f"worker process {os.getpid()} reads other vocabularies than the build "
            f"(from {_vocab_location()}): give every worker the same ontologies folder "
            "(CHAINGRAPH_ONTOLOGIES) and chaingraph version"
        )
    nlp = load_pipeline_for(batch.lang, batch.profile, batch.vocabulary_key)
    graphs: list[bytes] = []
    support = []
    failed = []
    items = [(d.text, d.about) for d in batch.documents]
    for document, extraction in zip(batch.documents, extract_docs(nlp, items), strict=True):
        try:
            text, relations = document_graph(document, extraction, vocab_key=batch.pipeline_key)
        except ValueError as error:  # an IRI, language tag or character the store rejects
            failed.append((document.id, document.path, f"could not be turned into RDF: {error}"))
            continue
        graphs.append(text.encode("utf-8"))
        support += relations
    nquads = b"".join(graphs)
    return BatchResult(
        nquads=nquads,
        paths=tuple(d.path for d in batch.documents),
        failed=tuple(failed),
        quads=nquads.count(b"\n"),
        words=sum(len(d.text.split()) for d in batch.documents),
        support=tuple(support),
    )


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
    if executor == "dask":
        with _dask_runner(workers, scheduler) as run:
            yield run
        return
    if workers <= 1 or not hasattr(os, "fork"):
        yield lambda batches: map(extract_batch, batches)
        return
    for lang, profile, vocabulary_key in langs:
        load_pipeline_for(lang, profile, vocabulary_key)  # inherited by the forked workers
    with _fork_runner(workers) as run:
        yield run


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
