"""The graph store: an embedded, persistent Oxigraph database in a directory.

A build never writes into the database that readers see. The directory holds numbered
generations (``gen-000001/`` …) and a small ``CURRENT`` file naming the live one. A build copies
the live generation (an Oxigraph backup: hard links, cheap), changes the copy, and only when all
went well replaces ``CURRENT`` atomically. A build that fails or is killed leaves the previous
graph intact and queryable; its half-written generation is swept away by the next build.

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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox

__all__ = ["StoreError", "QueryError", "EmbeddedStore", "open_store"]

_CURRENT = "CURRENT"
_RECORD = "BUILD-RECORD.json"
_GENERATION = re.compile(r"^gen-(\d{6})$")


class StoreError(RuntimeError):
    """The store cannot be opened or changed; the message says which store and why."""


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
        generation = self._current_generation()
        if generation is None:
            self._reader = None
            return ox.Store()  # an empty in-memory store: queries on a never-built store find nothing
        if self._reader is None or self._reader_generation != generation:
            try:
                self._reader = ox.Store.read_only(str(generation))
            except OSError as error:
                raise StoreError(f"cannot open the store at {self.path}: {error}") from error
            self._reader_generation = generation
        return self._reader

    def query(self, sparql: str, *, use_default_graph_as_union: bool = True):
        """Run a SPARQL query; returns pyoxigraph's solutions, boolean or triples.

        By default the default graph is the union of all named graphs, so a query need not name
        the document and vocabulary graphs it reads.
        """
        store = self._read_store()
        try:
            return store.query(sparql, use_default_graph_as_union=use_default_graph_as_union)
        except SyntaxError as error:
            raise QueryError(f"malformed SPARQL query: {error}") from error
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
        """
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

    def close(self) -> None:
        """Release the read handle (the database lock is held until then)."""
        self._reader = None
        gc.collect()

    # ------------------------------------------------------------------ writing

    @contextmanager
    def transaction(self) -> Iterator[ox.Store]:
        """A writable copy of the live graph; it becomes the live graph only if the block succeeds.

        >>> # with store.transaction() as db: db.remove_graph(...); db.bulk_extend(quads)
        """
        self.path.mkdir(parents=True, exist_ok=True)
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
        if current is not None:
            shutil.rmtree(current, ignore_errors=True)

    def _publish(self, name: str) -> None:
        tmp = self.path / (_CURRENT + ".tmp")
        with tmp.open("w", encoding="utf-8") as out:
            out.write(name + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.path / _CURRENT)

    def _next_number(self) -> int:
        numbers = [int(m.group(1)) for p in self.path.iterdir() if (m := _GENERATION.match(p.name))]
        return max(numbers, default=0) + 1

    def _sweep(self) -> None:
        """Remove generations left by failed or killed builds."""
        current = self._current_generation()
        for entry in self.path.iterdir():
            if _GENERATION.match(entry.name) and entry != current:
                shutil.rmtree(entry, ignore_errors=True)


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
        and not any(_GENERATION.match(p.name) for p in path.iterdir())
    ):
        raise StoreError(f"{path} is not a chaingraph store (no {_CURRENT} file); refusing to write into it")
    return EmbeddedStore(path)
