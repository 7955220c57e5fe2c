"""The graph store: an embedded, persistent Oxigraph database in a directory.

A build never writes into the database that readers see. The directory holds numbered
generations (``gen-000001/`` …) and a small ``CURRENT`` file naming the live one. A build copies
the live generation (an Oxigraph backup: hard links, cheap), changes the copy, and only when all
went well replaces ``CURRENT`` atomically. A build that fails or is killed leaves the previous
graph intact and queryable; its half-written generation is swept away by the next build.

One process writes at a time (:meth:`EmbeddedStore.writer`, a lock that dies with its process): a
build or an update holds the store from reading what it holds until its generation is published,
so the next one starts from that result; generation numbers are chosen under that lock. A process
reading a generation holds a read lease on it (:mod:`chaingraph.locks`): a writer removes a
replaced generation only once nobody reads it, else a later writer does.

Beside them, ``BUILD-RECORD.json`` may hold what the build that made the live generation read
(:meth:`EmbeddedStore.build_record`), so that the next build can tell quickly that nothing changed.
It names its generation and is dropped before another one is published: a record never speaks
for a graph it was not written for.

:func:`open_store` is the one entry point; the rest of chaingraph never needs to know which kind
of store it got.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from chaingraph.locks import SWEPT_SUFFIX, WRITER_FILE, ReadLease, WriterLock, lease_generation, remove_unread

if TYPE_CHECKING:
    from chaingraph.sparql_guard import SparqlGuard

__all__ = ["StoreError", "StoreBusy", "QueryError", "EmbeddedStore", "open_store"]

_CURRENT = "CURRENT"
_RECORD = "BUILD-RECORD.json"
_GENERATION = re.compile(r"^gen-(\d{6})$")
_NUMBERED = re.compile(r"^gen-(\d{6})(?:" + re.escape(SWEPT_SUFFIX) + r")?$")  # generations, and those being removed
_READ_ATTEMPTS = 10  # times a reader tries again when the generation it named was removed under it


class StoreError(RuntimeError):
    """The store cannot be opened or changed; the message says which store and why."""


class StoreBusy(StoreError):
    """Another process (or thread) is writing the store; the message names it."""


class QueryError(ValueError):
    """A SPARQL query the store rejected (syntax or evaluation error), with the parser's message."""


class EmbeddedStore:
    """A chaingraph store in a local directory (embedded Oxigraph, on disk).

    Parameters
    ----------
    path:
        The store directory; created on the first build.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._reader: ox.Store | None = None
        self._reader_generation: Path | None = None
        self._lease: ReadLease | None = None  # keeps the generation being read from removal

    def __repr__(self) -> str:
        return f"EmbeddedStore({str(self.path)!r})"

    # ------------------------------------------------------------------ reading

    def exists(self) -> bool:
        """Whether a build has ever completed into this store."""
        return self._current_generation() is not None

    def _current_generation(self) -> Path | None:
        marker = self.path / _CURRENT
        if not marker.is_file():
            return None
        name = marker.read_text(encoding="utf-8").strip()
        generation = self.path / name
        return generation if _GENERATION.match(name) and generation.is_dir() else None

    def _read_store(self) -> ox.Store:
        """The read handle on the live generation, held under a read lease until a newer one is live."""
        for _ in range(_READ_ATTEMPTS):
            generation = self._current_generation()
            if generation is None:
                self._drop_reader()
                return ox.Store()  # an empty in-memory store: queries on a never-built store find nothing
            if self._reader is not None and self._reader_generation == generation:
                return self._reader
            try:
                lease = lease_generation(generation)
                if lease is None:  # replaced and removed since CURRENT named it: read CURRENT again
                    continue
                reader = ox.Store.read_only(str(generation))
            except OSError as error:
                raise StoreError(f"cannot open the store at {self.path}: {error}") from error
            self._drop_reader()
            self._reader, self._reader_generation, self._lease = reader, generation, lease
            return reader
        raise StoreError(f"cannot open the store at {self.path}: its live generation kept changing; try again")

    def query(self, sparql: str, *, use_default_graph_as_union: bool = True, guard: SparqlGuard | None = None):
        """Run a SPARQL query; returns pyoxigraph's solutions, boolean or triples.

        By default the default graph is the union of all named graphs, so a query need not name
        the document and vocabulary graphs it reads. The text is checked first by ``guard`` (a
        :class:`chaingraph.sparql_guard.SparqlGuard`; default: no SERVICE, the default limits), which
        raises :class:`chaingraph.sparql_guard.QueryRefused` for a query that would call another
        server or crash the evaluator.
        """
        from chaingraph.sparql_guard import DEFAULT_GUARD  # it imports this module

        (guard or DEFAULT_GUARD).check_query(sparql)
        store = self._read_store()
        try:
            return store.query(sparql, use_default_graph_as_union=use_default_graph_as_union)
        except SyntaxError as error:  # the parser's message lists what it expected over several lines
            raise QueryError(f"malformed SPARQL query: {' '.join(str(error).split())}") from error
        except OSError as error:
            raise QueryError(f"query failed: {error}") from error

    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        """Every quad, or those of one named graph."""
        store = self._read_store()
        graph_node = ox.NamedNode(graph) if graph else None
        return store.quads_for_pattern(None, None, None, graph_node)

    def named_graphs(self) -> list[str]:
        """The IRIs of the named graphs in the store."""
        return sorted(g.value for g in self._read_store().named_graphs() if isinstance(g, ox.NamedNode))

    def build_record(self) -> dict | None:
        """The build record kept for the live generation (see :meth:`save_build_record`), or None."""
        current = self._current_generation()
        if current is None:
            return None
        try:
            record = json.loads((self.path / _RECORD).read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("generation") != current.name:
            return None
        return record

    def save_build_record(self, record: dict) -> None:
        """Keep ``record`` (plain JSON data) for the live generation, replacing any other.

        It is a cache: when it cannot be written (a read-only store) nothing else goes wrong.
        It is written under the writer lock (taken here if the caller does not hold it); while
        another process writes the store, it is not written at all.
        """
        lock = WriterLock(self.path)
        if not self.path.is_dir() or not lock.acquire(0):
            return
        try:
            current = self._current_generation()
            if current is None:
                return
            tmp = self.path / (_RECORD + ".tmp")
            try:
                tmp.write_text(json.dumps({**record, "generation": current.name}), encoding="utf-8")
                os.replace(tmp, self.path / _RECORD)
            except OSError:
                with contextlib.suppress(OSError):
                    tmp.unlink(missing_ok=True)
        finally:
            lock.release()

    def close(self) -> None:
        """Release the read handle and its lease (the generation may be removed once replaced)."""
        self._reader = None
        gc.collect()
        self._drop_reader()

    def _drop_reader(self) -> None:
        """Forget the read handle, then the lease that kept its generation from removal."""
        self._reader = self._reader_generation = None
        lease, self._lease = self._lease, None
        if lease is not None:
            lease.release()

    # ------------------------------------------------------------------ writing

    @contextmanager
    def writer(
        self, wait: float | None = 0, *, purpose: str = "", waiting: Callable[[str], None] | None = None
    ) -> Iterator[None]:
        """Hold the store's writer lock for the block: one build or update at a time, in any process.

        Re-entrant in one thread (a build holds it and its transaction takes it again). The lock
        dies with its process, so a killed build never leaves the store locked.

        Parameters
        ----------
        wait:
            Seconds to wait for a busy store; 0 (the default) refuses at once, None waits as long as it takes.
        purpose:
            What the holder is doing, shown to those turned away (default: this process's command line).
        waiting:
            Called once with a description of the holder when the store is busy and this call waits.

        Raises
        ------
        StoreBusy
            If another holder kept the store past ``wait``; the message names it.

        >>> # with store.writer(wait=60): ...read, then write with store.transaction()
        """
        self.path.mkdir(parents=True, exist_ok=True)
        lock = WriterLock(self.path)
        if not lock.acquire(wait, purpose=purpose, waiting=waiting):
            waited = f" (waited {wait:g} s)" if wait else ""
            holder = lock.holder() or "another process"
            raise StoreBusy(f"the store at {self.path} is being written by {holder}{waited}")
        try:
            yield
        finally:
            lock.release()

    def writer_holder(self) -> str | None:
        """Who is writing the store, as the holder of the writer lock says; None if nobody says."""
        return WriterLock(self.path).holder()

    @contextmanager
    def transaction(self) -> Iterator[ox.Store]:
        """A writable copy of the live graph; it becomes the live graph only if the block succeeds.

        Holds the writer lock (see :meth:`writer`; taken here if the caller does not hold it).

        >>> # with store.transaction() as db: db.remove_graph(...); db.bulk_extend(quads)

        Raises
        ------
        StoreBusy
            If another process is writing the store.
        """
        with self.writer():
            self.close()
            self._sweep()
            current = self._current_generation()
            new = self.path / f"gen-{self._next_number():06d}"
            try:
                if current is not None:
                    ox.Store.read_only(str(current)).backup(str(new))
                    gc.collect()
                db = ox.Store(str(new))
            except OSError as error:
                shutil.rmtree(new, ignore_errors=True)
                raise StoreError(f"cannot prepare a new version of the store at {self.path}: {error}") from error
            try:
                yield db
                db.flush()
            except BaseException:
                del db
                gc.collect()
                shutil.rmtree(new, ignore_errors=True)
                raise
            del db
            gc.collect()
            (self.path / _RECORD).unlink(missing_ok=True)  # it describes the generation being replaced
            self._publish(new.name)
            self._sweep()  # the replaced generation, unless a process still reads it

    def _publish(self, name: str) -> None:
        tmp = self.path / (_CURRENT + ".tmp")
        with tmp.open("w", encoding="utf-8") as out:
            out.write(name + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.path / _CURRENT)

    def _next_number(self) -> int:
        """One more than any generation present, under the writer lock: never shared by two writers.

        A number is taken again only after a generation that was never published, so never read.
        """
        numbers = [int(m.group(1)) for p in self.path.iterdir() if (m := _NUMBERED.match(p.name))]
        return max(numbers, default=0) + 1

    def _sweep(self) -> None:
        """Remove the generations that are not live and that no process reads (the writer's job).

        Those are the leftovers of failed or killed builds and the generations replaced since; one
        still read is left for a later writer, and a removal that was interrupted is finished.
        """
        current = self._current_generation()
        for entry in sorted(self.path.iterdir()):
            if entry.name.endswith(SWEPT_SUFFIX) and _NUMBERED.match(entry.name):
                shutil.rmtree(entry, ignore_errors=True)
            elif _GENERATION.match(entry.name) and entry != current:
                remove_unread(entry)


def open_store(location: str | os.PathLike[str]):
    """The store at ``location``: a directory path opens the embedded Oxigraph store, an
    ``http(s)://`` URL a SPARQL 1.1 server (:class:`chaingraph.sparql_store.SparqlStore`).

    Raises
    ------
    StoreError
        For a location that is not a store directory (an existing plain file, say).
    """
    text = str(location)
    if text.startswith(("http://", "https://")):
        from chaingraph.sparql_store import SparqlStore

        return SparqlStore(text)
    path = Path(location)
    if path.exists() and not path.is_dir():
        raise StoreError(f"{path} is a file, not a store directory")
    if (
        path.is_dir()
        and any(path.iterdir())
        and not (path / _CURRENT).exists()
        and not any(_NUMBERED.match(p.name) or p.name == WRITER_FILE for p in path.iterdir())
    ):
        raise StoreError(f"{path} is not a chaingraph store (no {_CURRENT} file); refusing to write into it")
    return EmbeddedStore(path)
