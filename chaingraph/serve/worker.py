"""A query worker: one process that evaluates SPARQL requests on a store generation, one at a time.

pyoxigraph cannot interrupt a query it is evaluating, so the endpoint evaluates each query in
one of these processes and kills the process when the query runs past its time limit; the
server itself never blocks on the store. A worker talks to the server over its standard input
and output in frames (see :func:`encode_frame`): the server sends a request (its SPARQL text as
the frame's body), the worker answers with a status, headers and the finished body, the results
document exactly as the client gets it, so the server only forwards bytes. The row limit is
enforced here: pyoxigraph writes the document and the worker checks that it holds no more
solutions than allowed; the first rows of a longer answer (``truncate``) are read and written
row by row.

The worker imports only the standard library, pyoxigraph and :mod:`chaingraph.store`, so that a
replacement for a killed worker starts in a few tens of milliseconds.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import signal
import struct
import sys
from functools import lru_cache
from itertools import islice
from typing import BinaryIO

import pyoxigraph as ox

from chaingraph.serve.results import OXIGRAPH_FORMATS, holds_more_than, write_boolean, write_solutions

__all__ = ["FRAME_HEADER", "encode_frame", "encode_meta", "decode_meta", "read_frame", "evaluate", "update", "main"]

#: Every frame starts with the length of its JSON metadata and the length of its body.
FRAME_HEADER = struct.Struct(">IQ")

#: Bytes of an answer pyoxigraph may write before the worker reads the rows itself instead.
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


def encode_frame(meta: dict, body: bytes = b"") -> bytes:
    """One message: a fixed header, JSON metadata, then the raw body.

    >>> frame = encode_frame({"status": 200}, b"ok")
    >>> import io
    >>> read_frame(io.BytesIO(frame))
    ({'status': 200}, b'ok')
    """
    data = encode_meta(meta)
    return FRAME_HEADER.pack(len(data), len(body)) + data + body


def encode_meta(meta: dict) -> bytes:
    """The JSON of a frame's metadata; remembered for the few shapes that repeat (a 200 answer,
    a query request without a dataset), which saves a JSON encoder per request on both sides."""
    try:
        # (Equal values share an entry: True and 1 would, but no field takes both.)
        return _encoded(tuple(meta.items()))
    except TypeError:  # a list inside (a dataset's graphs): not hashable, not worth keeping
        return json.dumps(meta, separators=(",", ":")).encode("utf-8")


@lru_cache(maxsize=256)
def _encoded(items: tuple) -> bytes:
    return json.dumps(dict(items), separators=(",", ":")).encode("utf-8")


@lru_cache(maxsize=256)
def _decoded(data: bytes) -> dict:
    return json.loads(data)


def decode_meta(data: bytes | bytearray) -> dict:
    """A frame's metadata as a new dict (the decoding of a repeated one is remembered)."""
    return dict(_decoded(bytes(data)))


def read_frame(stream: BinaryIO) -> tuple[dict, bytes] | None:
    """The next message from a blocking binary stream, or ``None`` at its end."""
    header = _read_exactly(stream, FRAME_HEADER.size)
    if header is None:
        return None
    meta_length, body_length = FRAME_HEADER.unpack(header)
    meta = _read_exactly(stream, meta_length)
    body = _read_exactly(stream, body_length) if body_length else b""
    if meta is None or body is None:
        return None
    return decode_meta(meta), body


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    chunks, missing = [], size
    while missing:
        chunk = stream.read(missing)
        if not chunk:
            return None
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


class _Stores:
    """The read handle on the generation the server names; re-opened when the store moves on."""

    def __init__(self) -> None:
        self.generation: str | None = None
        self.store: ox.Store = ox.Store()

    def get(self, generation: str | None) -> ox.Store:
        if generation != self.generation:
            self.store = ox.Store()  # drop the old handle before opening the new generation
            gc.collect()
            self.store = ox.Store.read_only(generation) if generation else ox.Store()
            self.generation = generation
        return self.store


def evaluate(store: ox.Store, request: dict) -> tuple[dict, bytes]:
    """Answer one query request on ``store``: ``({"status", "format", ...}, body)``.

    ``request`` holds ``sparql``, ``solutions`` and ``graph`` (the negotiated format of each
    kind, or ``None``), ``max_rows``, ``truncate`` (cut a longer answer to ``max_rows`` rather
    than refuse it with 422) and either ``default_graph``/``named_graphs`` (lists of IRIs) or
    neither, for the union of all graphs as the default graph.
    """
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
        return meta, ox.serialize(triples[:max_rows], format=GRAPH_FORMATS[fmt], prefixes=prefixes)
    except SyntaxError as error:
        return {"status": 400, "message": f"malformed SPARQL query: {error}"}, b""
    except (OSError, ValueError, RuntimeError) as error:
        return {"status": 500, "message": f"query failed: {error}"}, b""


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


def update(store_path: str, sparql: str) -> tuple[dict, bytes]:
    """Apply a SPARQL update the way a build does: on a copy of the live generation, published at the end."""
    from chaingraph.store import StoreError, open_store

    try:
        with open_store(store_path).transaction() as db:
            db.update(sparql)
    except SyntaxError as error:
        return {"status": 400, "message": f"malformed SPARQL update: {error}"}, b""
    except (OSError, StoreError, ValueError, RuntimeError) as error:
        return {"status": 500, "message": f"update failed: {error}"}, b""
    return {"status": 204}, b""


def _die_with_parent() -> None:
    """Ask Linux to kill this worker if the server dies, so no orphan keeps a query running."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return


def main() -> None:
    """Serve requests from standard input until it closes."""
    parent = os.getppid()
    _die_with_parent()
    if os.getppid() != parent:  # the server died before the request above took effect
        return
    source = sys.stdin.buffer
    # Frames go to a private copy of stdout; anything else printed lands on stderr.
    sink = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the server decides
    try:
        _serve(source, sink)
    except BrokenPipeError:  # the server went away mid-answer: nothing left to do
        return


def _serve(source: BinaryIO, sink: BinaryIO) -> None:
    stores = _Stores()
    sink.write(encode_frame({"ready": os.getpid()}))
    sink.flush()
    while (frame := read_frame(source)) is not None:
        request, text = frame
        request["sparql"] = text.decode("utf-8")  # the SPARQL text travels as the body, unescaped
        if request.get("op") == "update":
            stores.get(None)  # release the old generation: the update replaces it
            meta, body = update(request["store"], request["sparql"])
        else:
            try:
                store = stores.get(request.get("generation"))
            except OSError as error:
                meta, body = {"status": 500, "message": f"cannot open the store: {error}"}, b""
            else:
                meta, body = evaluate(store, request)
        sink.write(encode_frame(meta, body))
        sink.flush()


if __name__ == "__main__":
    main()
