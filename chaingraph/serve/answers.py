"""Answering one query on a store generation: the results document exactly as the client gets it.

The serving processes (:mod:`chaingraph.serve.app`) call :func:`evaluate` on their evaluation
threads (:mod:`chaingraph.serve.evaluator`): pyoxigraph releases the GIL while it evaluates a
query and writes its results, so the threads evaluate side by side while the event loop goes on
serving HTTP. The row limit is enforced here: pyoxigraph writes the document and the solutions
in it are counted from its bytes; the first rows of a longer answer (``truncate``) are read and
written row by row.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path

import pyoxigraph as ox

from chaingraph.locks import ReadLease, lease_generation
from chaingraph.serve.results import OXIGRAPH_FORMATS, holds_more_than, write_boolean, write_solutions, xml_safe
from chaingraph.sparql_guard import DEFAULT_GUARD, QueryRefused

__all__ = ["SERIALIZED_LIMIT", "GRAPH_FORMATS", "TURTLE_PREFIXES", "ReadHandles", "evaluate"]

#: Bytes of an answer pyoxigraph may write before the rows are read and written in Python instead.
SERIALIZED_LIMIT = 64 * 2**20

#: Graph format name -> pyoxigraph format.
GRAPH_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}

#: Prefixes written in Turtle answers, so a CONSTRUCT result reads like the ontology.
TURTLE_PREFIXES = {
    "cg": "https://w3id.org/chaingraph/ontology#",
    "dcterms": "http://purl.org/dc/terms/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "prov": "http://www.w3.org/ns/prov#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


class ReadHandles:
    """The read-only handles on the generations requests name, shared by the evaluation threads.

    Each handle holds a read lease on its generation (:mod:`chaingraph.locks`), so no build or
    update removes the generation while a query reads it. A new generation (a build, an update)
    gets a new handle; the old one and its lease are let go when the last query reading it is done.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current = _Handle(None, ox.Store(), None)

    @contextmanager
    def reading(self, generation: str | None) -> Iterator[ox.Store]:
        """The handle on ``generation`` (a directory), or an empty store for ``None``, for the block.

        Raises
        ------
        OSError
            If the generation cannot be opened (FileNotFoundError: it was replaced and removed).
        """
        handle = self._take(generation)
        try:
            yield handle.store
        finally:
            with self._lock:
                handle.readers -= 1
                if not handle.readers and handle is not self._current:
                    handle.close()

    def _take(self, generation: str | None) -> _Handle:
        with self._lock:  # one opening per new generation, however many threads ask at once
            handle = self._current
            if handle.generation != generation:
                handle = _Handle.open(generation)
                old, self._current = self._current, handle
                if not old.readers:
                    old.close()
            handle.readers += 1
            return handle


class _Handle:
    """One generation's read handle, its lease, and how many queries are reading it."""

    def __init__(self, generation: str | None, store: ox.Store, lease: ReadLease | None) -> None:
        self.generation, self.store, self.lease = generation, store, lease
        self.readers = 0

    @classmethod
    def open(cls, generation: str | None) -> _Handle:
        if generation is None:
            return cls(None, ox.Store(), None)
        lease = lease_generation(Path(generation))
        if lease is None:
            raise FileNotFoundError(f"the store generation {generation} was replaced and removed")
        try:
            return cls(generation, ox.Store.read_only(generation), lease)
        except BaseException:
            lease.release()
            raise

    def close(self) -> None:
        """Drop the handle, then the lease (a writer may remove the generation from now on)."""
        self.store = ox.Store()
        if self.lease is not None:
            self.lease.release()


def evaluate(store: ox.Store, request: dict) -> tuple[dict, bytes]:
    """Answer one query request on ``store``: ``({"status", "format", ...}, body)``.

    ``request`` holds ``sparql``, ``solutions`` and ``graph`` (the negotiated format of each
    kind, or ``None``), ``max_rows``, ``truncate`` (cut a longer answer to ``max_rows`` rather
    than refuse it with 422) and either ``default_graph``/``named_graphs`` (lists of IRIs) or
    neither, for the union of all graphs as the default graph. An error status comes with a
    ``message`` for the client, a 500 also with the ``traceback`` for the server log. XML answers
    are made well-formed whatever the literals hold (:func:`~chaingraph.serve.results.xml_safe`).
    The query is checked first by ``request["guard"]`` (default: no SERVICE, the default limits):
    a refused one is a 400 (:mod:`chaingraph.sparql_guard`).
    """
    try:
        (request.get("guard") or DEFAULT_GUARD).check_query(request["sparql"])
    except QueryRefused as error:
        return {"status": 400, "message": f"query refused: {error}"}, b""
    options: dict = {"use_default_graph_as_union": True}
    if request.get("default_graph") or request.get("named_graphs"):
        options = {
            "default_graph": [ox.NamedNode(iri) for iri in request.get("default_graph") or []] or None,
            "named_graphs": [ox.NamedNode(iri) for iri in request.get("named_graphs") or []] or None,
        }
    max_rows = int(request["max_rows"])
    truncate = bool(request.get("truncate"))
    try:
        result = store.query(request["sparql"], **options)
        if isinstance(result, ox.QueryBoolean):
            fmt = request.get("solutions")
            if fmt is None:
                return _not_acceptable("an ASK result")
            return {"status": 200, "format": fmt}, write_boolean(fmt, result)
        if isinstance(result, ox.QuerySolutions):
            fmt = request.get("solutions")
            if fmt is None:
                return _not_acceptable("SELECT results")
            if not truncate:
                document = _serialized(result, fmt)
                if document is not None:
                    if holds_more_than(fmt, document, max_rows):
                        return _too_long(max_rows, "solutions")
                    if fmt == "xml":
                        document = xml_safe(document)
                    return {"status": 200, "format": fmt, "truncated": False}, document
                result = store.query(request["sparql"], **options)  # too long to keep whole: read the rows
            variables = [v.value for v in result.variables]
            rows = list(islice(result, max_rows + 1))  # one more than allowed tells a result too long
            if len(rows) > max_rows and not truncate:
                return _too_long(max_rows, "solutions")
            meta = {"status": 200, "format": fmt, "truncated": len(rows) > max_rows}
            return meta, write_solutions(fmt, variables, rows[:max_rows])
        fmt = request.get("graph")
        if fmt is None:
            return _not_acceptable("a graph (CONSTRUCT or DESCRIBE)")
        triples = list(islice(result, max_rows + 1))
        if len(triples) > max_rows and not truncate:
            return _too_long(max_rows, "triples")
        meta = {"status": 200, "format": fmt, "truncated": len(triples) > max_rows}
        prefixes = TURTLE_PREFIXES if fmt == "turtle" else None
        document = ox.serialize(triples[:max_rows], format=GRAPH_FORMATS[fmt], prefixes=prefixes)
        return meta, xml_safe(document) if fmt == "rdfxml" else document
    except SyntaxError as error:
        return {"status": 400, "message": f"malformed SPARQL query: {error}"}, b""
    except (OSError, ValueError, RuntimeError) as error:
        # The traceback is for the server log (the protocol writes it there), never for the client.
        return {"status": 500, "message": f"query failed: {error}", "traceback": traceback.format_exc()}, b""


class _Overflow(Exception):
    """The answer passed :data:`SERIALIZED_LIMIT` bytes."""


class _Document:
    """Where pyoxigraph writes an answer, up to :data:`SERIALIZED_LIMIT` bytes."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > SERIALIZED_LIMIT:
            raise _Overflow
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


def _serialized(result: ox.QuerySolutions, fmt: str) -> bytes | None:
    """The whole results document as pyoxigraph writes it, or ``None`` past :data:`SERIALIZED_LIMIT`.

    pyoxigraph writes a document several times faster than Python can read the rows and write
    them; whether it holds too many solutions is found from the bytes afterwards.
    """
    document = _Document()
    try:
        result.serialize(document, format=OXIGRAPH_FORMATS[fmt])
    except _Overflow:
        return None
    return b"".join(document.parts)


def _too_long(max_rows: int, what: str) -> tuple[dict, bytes]:
    message = (
        f"the answer has more than {max_rows:,} {what}, this server's limit (--max-rows): "
        "page through it with LIMIT and OFFSET, or ask for the first ones with truncate=true"
    )
    return {"status": 422, "message": message}, b""


def _not_acceptable(what: str) -> tuple[dict, bytes]:
    return {"status": 406, "message": f"the Accept header or format parameter allows no format for {what}"}, b""
