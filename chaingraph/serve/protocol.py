"""The SPARQL 1.1 Protocol at ``/query``, ``/sparql`` and ``/update``, as a bare ASGI application.

Every query request comes through here, so this path is written against ASGI directly rather
than through Starlette's routing, middleware and request objects: on the 2-core machine this was
measured on, that layering cost more per request than evaluating a simple query
(``bench/serve_load.py``). What it does for a request, in order: a kept answer is sent at once
(:mod:`chaingraph.serve.cache`); else the parameters (query string and form or direct body) are
read, the formats negotiated (:mod:`chaingraph.serve.formats`), and an evaluation thread
(:mod:`chaingraph.serve.evaluator`) answers the query under the time and row limits
(:mod:`chaingraph.serve.answers`) with the finished body, which is sent as it came. Updates go
through :mod:`chaingraph.serve.updates`. Every answer carries the CORS headers that let a
browser tool on any origin read it (a preflight ``OPTIONS`` is answered by the Starlette app).
"""

from __future__ import annotations

import asyncio
import binascii
import hmac
import re
import time
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from chaingraph.serve.answers import ReadHandles, evaluate
from chaingraph.serve.cache import CACHE_HEADER, AnswerCache, Generation, is_volatile
from chaingraph.serve.evaluator import Evaluator, QueryTimeout
from chaingraph.serve.formats import MEDIA_TYPES, Choice, UnknownFormat, negotiate
from chaingraph.serve.updates import UpdateBusy, apply_update

__all__ = ["SparqlProtocol", "PROTOCOL_PATHS", "TRUNCATED_HEADER", "CORS_HEADERS", "parse_form"]

TRUNCATED_HEADER = "Chaingraph-Truncated"
#: The request paths this application answers (``/update`` takes updates only).
PROTOCOL_PATHS = frozenset({"/query", "/sparql", "/update"})
#: Sent with every answer: any origin may read it, and the two headers of our own.
CORS_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", f"{TRUNCATED_HEADER}, {CACHE_HEADER}".encode()),
]
_MAX_BODY = 16 * 2**20
_WATCH_AFTER = 0.2  # seconds a query runs before the server starts watching for its client leaving
_FORM = "application/x-www-form-urlencoded"
_TEXT = [(b"content-type", b"text/plain; charset=utf-8"), *CORS_HEADERS]
_RAW_TYPES = {name: media.encode("latin-1") for name, media in MEDIA_TYPES.items()}
_BROKEN_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
T = TypeVar("T")


class _Refused(Exception):
    """A request answered with an error status before any evaluation."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class SparqlProtocol:
    """The ASGI application of the protocol paths, sharing the process's evaluator, generation and cache.

    Parameters
    ----------
    evaluator:
        The evaluation threads.
    generation:
        The live generation of the store.
    cache:
        Answers kept for repeated GET requests, or ``None`` for none.
    store_path:
        The store directory (updates open it to publish a new generation).
    timeout, max_rows, allow_update, update_token:
        As in :class:`chaingraph.serve.app.ServeConfig`.
    """

    def __init__(
        self,
        evaluator: Evaluator,
        generation: Generation,
        cache: AnswerCache | None,
        store_path: str,
        *,
        timeout: float,
        max_rows: int,
        allow_update: bool = False,
        update_token: str | None = None,
    ) -> None:
        self.evaluator = evaluator
        self.handles = ReadHandles()
        self.generation = generation
        self.cache = cache
        self.store_path = store_path
        self.timeout = timeout
        self.max_rows = max_rows
        self.allow_update = allow_update
        self.update_token = update_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cache = self.cache
        if cache is not None:
            hit = cache.get(cache.key(self.generation.current(), scope))
            if hit is not None:
                await _send(send, 200, hit[1], hit[0])
                return
        try:
            status, headers, body = await self._answer(scope, receive)
        except _Refused as refusal:
            status, headers, body = refusal.status, _TEXT, (str(refusal) + "\n").encode("utf-8")
        await _send(send, status, headers, body)

    async def _answer(self, scope: Scope, receive: Receive) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        params = parse_form(scope["query_string"])
        accept = kind = authorization = None
        for name, value in scope["headers"]:
            if name == b"accept":  # several Accept headers make one list (RFC 9110, 5.3)
                accept = value.decode("latin-1") if accept is None else f"{accept}, {value.decode('latin-1')}"
            elif name == b"content-type":
                kind = value.decode("latin-1").split(";")[0].strip().lower()
            elif name == b"authorization":
                authorization = value.decode("latin-1")
        query: str | None = None
        update: str | None = None
        post = scope["method"] == "POST"
        if post:
            body = await _read_body(receive)
            if kind == _FORM:
                params += parse_form(body)
            elif kind == "application/sparql-query":
                query = body.decode("utf-8", errors="replace")
            elif kind == "application/sparql-update":
                update = body.decode("utf-8", errors="replace")
            else:
                raise _Refused(415, "POST a form (query= or update=), or application/sparql-query or -update")
        queries = [v for k, v in params if k == "query"]
        updates = [v for k, v in params if k == "update"]
        if query is not None:
            queries.append(query)
        if update is not None:
            updates.append(update)
        if len(queries) + len(updates) != 1:
            raise _Refused(400, "give exactly one SPARQL query (query=) or one update (update=)")
        if queries and scope["path"] == "/update":
            raise _Refused(400, "this is the update endpoint; send queries to /query")
        if updates:
            if not post:
                raise _Refused(400, "a SPARQL update must be sent with POST")
            await self._update(updates[0], params, authorization)
            return 204, CORS_HEADERS, b""
        formats = [v for k, v in params if k == "format"]
        try:
            choice = negotiate(accept, formats[-1] if formats else None)
        except UnknownFormat as error:
            raise _Refused(400, str(error)) from None
        dataset = (
            [v for k, v in params if k == "default-graph-uri"],
            [v for k, v in params if k == "named-graph-uri"],
        )
        truncate = any(k == "truncate" and v.lower() in ("true", "1", "yes") for k, v in params)
        return await self._query(scope, receive, queries[0], choice, dataset, truncate)

    async def _query(
        self,
        scope: Scope,
        receive: Receive,
        sparql: str,
        choice: Choice,
        dataset: tuple[list[str], list[str]],
        truncate: bool,
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        generation = self.generation.current()
        request = {
            "sparql": sparql,
            "solutions": choice.solutions,
            "graph": choice.graph,
            "max_rows": self.max_rows,
            "truncate": truncate,
        }
        if dataset[0] or dataset[1]:  # else the union of all graphs
            request["default_graph"], request["named_graphs"] = dataset
        deadline = time.monotonic() + self.timeout
        run = self.evaluator.run
        try:
            meta, body = await _while_connected(receive, run(deadline, self._evaluate, generation, request))
            if meta["status"] == 500 and self.generation.current() != generation:
                # A build replaced the generation under the query (its files may be gone): once more.
                generation = self.generation.current()
                meta, body = await _while_connected(receive, run(deadline, self._evaluate, generation, request))
        except _ClientGone:
            raise _Refused(503, "the client went away; the query was stopped") from None
        except QueryTimeout as error:
            raise _Refused(503, f"{error} ({self.timeout:g} s); narrow the query or add a LIMIT") from None
        if meta["status"] != 200:
            raise _Refused(meta["status"], meta.get("message", ""))
        headers = [(b"content-type", _RAW_TYPES[meta["format"]]), (b"vary", b"Accept"), *CORS_HEADERS]
        if meta.get("truncated"):
            headers.append((TRUNCATED_HEADER.lower().encode(), f"max-rows={self.max_rows}".encode()))
        if self.cache is not None:
            key = self.cache.key(generation, scope)
            if key is not None and not is_volatile(sparql):
                self.cache.put(key, body, headers)
            headers.append((CACHE_HEADER.lower().encode(), b"miss"))
        return 200, headers, body

    def _evaluate(self, generation: str | None, request: dict) -> tuple[dict, bytes]:
        """On an evaluation thread: the answer to ``request`` on ``generation``."""
        try:
            store = self.handles.get(generation)
        except OSError as error:
            return {"status": 500, "message": f"cannot open the store: {error}"}, b""
        return evaluate(store, request)

    async def _update(self, sparql: str, params: list[tuple[str, str]], authorization: str | None) -> None:
        if not self.allow_update:
            raise _Refused(403, "this endpoint is read-only: updates need chaingraph serve --allow-update")
        scheme, _, token = (authorization or "").partition(" ")
        expected = self.update_token or ""
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
            raise _Refused(
                403, "an update needs the header 'Authorization: Bearer TOKEN' with the server's update token"
            )
        if any(k in ("using-graph-uri", "using-named-graph-uri") for k, _ in params):
            raise _Refused(400, "using-graph-uri and using-named-graph-uri are not supported; use USING in the update")
        deadline = time.monotonic() + self.timeout
        try:
            meta, _ = await apply_update(self.store_path, sparql, deadline)
        except UpdateBusy as error:
            raise _Refused(503, f"{error} ({self.timeout:g} s)") from None
        except QueryTimeout as error:
            raise _Refused(503, f"{error} ({self.timeout:g} s); the store was left unchanged") from None
        if meta["status"] != 204:
            raise _Refused(meta["status"], meta.get("message", ""))


def parse_form(data: bytes) -> list[tuple[str, str]]:
    """The ``name=value`` pairs of a query string or form body, as :func:`urllib.parse.parse_qsl`
    reads them from the body decoded as UTF-8 (blank values kept), about four times faster.

    A SPARQL query in a URL is mostly percent escapes, and ``parse_qsl`` undoes them in Python
    (40 µs for a 700-character query, a tenth of the server's own time per request). Here the
    escapes are undone by :func:`binascii.a2b_qp`, in C: quoted-printable writes ``=XX`` where a
    URL writes ``%XX``, so every ``=`` of the text is first escaped itself (``=3D``), then every
    ``%`` becomes ``=``. A ``%`` not followed by two hex digits, which ``parse_qsl`` keeps as it is,
    sends the whole text to ``parse_qsl``.

    >>> parse_form(b"query=SELECT%20%3Fs%20%7B%20%3Fs%20%3Fp%20%22%E4%B8%AD%22%20%7D&format=json&x")
    [('query', 'SELECT ?s { ?s ?p "中" }'), ('format', 'json'), ('x', '')]
    >>> parse_form(b"query=ASK+{+FILTER(1+=+1)+}")
    [('query', 'ASK { FILTER(1 = 1) }')]
    """
    if _BROKEN_ESCAPE.search(data):
        return parse_qsl(data.decode("utf-8", errors="replace"), keep_blank_values=True)
    pairs = []
    for field in data.split(b"&"):
        if field:
            name, _, value = field.partition(b"=")
            pairs.append((_unquote(name), _unquote(value)))
    return pairs


def _unquote(data: bytes) -> str:
    if b"%" in data or b"+" in data:
        data = binascii.a2b_qp(data.replace(b"+", b" ").replace(b"=", b"=3D").replace(b"%", b"="))
    return data.decode("utf-8", errors="replace")


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    if status != 204:  # a 204 has no body, so no length either (RFC 9110, 8.6)
        headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Refused(400, "the client closed the connection before sending the whole body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > _MAX_BODY:
            raise _Refused(413, f"the request body is over {_MAX_BODY // 2**20} MiB")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class _ClientGone(Exception):
    """The client closed the connection before its answer was ready."""


async def _while_connected(receive: Receive, work: Coroutine[Any, Any, T]) -> T:
    """Await ``work``, cancelling it (which stops its query) if the client disconnects first.

    A client that gives up on a slow query (a closed browser tab, an interrupted script) must
    not leave it running until the time limit. Only requests still running after a
    moment are watched, so a quick answer costs one timer.
    """
    task = asyncio.current_task()
    assert task is not None
    gone = False
    watcher: asyncio.Task | None = None

    async def watch() -> None:
        nonlocal gone
        while (await receive())["type"] != "http.disconnect":  # the body is read: only this can come
            pass
        gone = True
        task.cancel()

    def start_watching() -> None:
        nonlocal watcher
        watcher = asyncio.ensure_future(watch())

    timer = asyncio.get_running_loop().call_later(_WATCH_AFTER, start_watching)
    try:
        return await work
    except asyncio.CancelledError:
        if not gone:
            raise
        task.uncancel()  # the cancellation was ours: answer normally instead
        raise _ClientGone from None
    finally:
        timer.cancel()
        if watcher is not None:
            watcher.cancel()
