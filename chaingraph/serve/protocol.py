"""The SPARQL 1.1 Protocol at ``/query``, ``/sparql`` and ``/update``.

Every query request comes through here. What it does for a request, in order: a kept answer is
returned at once (:mod:`chaingraph.serve.cache`); else the parameters (query string and form or
direct body) are read, the formats negotiated (:mod:`chaingraph.serve.formats`), and an
evaluation thread (:mod:`chaingraph.serve.evaluator`) answers the query under the time and row
limits (:mod:`chaingraph.serve.answers`) with the finished body, which is returned as it came.
Updates go through :mod:`chaingraph.serve.updates`. Every answer carries the CORS headers that
let a browser tool on any origin read it. A client that leaves while its query runs has the
request cancelled by its connection (:mod:`chaingraph.serve.http`), which stops the query.
"""

from __future__ import annotations

import binascii
import hmac
import logging
import re
import time
from traceback import format_exc
from urllib.parse import parse_qsl

import pyoxigraph as ox

from chaingraph.serve.answers import ReadHandles, evaluate
from chaingraph.serve.cache import CACHE_HEADER, AnswerCache, Generation, is_volatile
from chaingraph.serve.evaluator import Evaluator, QueryTimeout
from chaingraph.serve.formats import MEDIA_TYPES, Choice, UnknownFormat, negotiate
from chaingraph.serve.http import Refusal, Request, Response, error_id
from chaingraph.serve.updates import UpdateBusy, apply_update
from chaingraph.sparql_guard import DEFAULT_GUARD, QueryRefused, SparqlGuard

__all__ = ["SparqlProtocol", "PROTOCOL_PATHS", "TRUNCATED_HEADER", "CORS_HEADERS", "TEXT_HEADERS", "parse_form"]

TRUNCATED_HEADER = "Chaingraph-Truncated"
#: The request paths this application answers (``/update`` takes updates only).
PROTOCOL_PATHS = frozenset({"/query", "/sparql", "/update"})
#: Sent with every answer: any origin may read it, and the two headers of our own.
CORS_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", f"{TRUNCATED_HEADER}, {CACHE_HEADER}".encode()),
]
_FORM = "application/x-www-form-urlencoded"
#: The headers of a plain-text answer (an error message), readable cross-origin.
TEXT_HEADERS = [(b"content-type", b"text/plain; charset=utf-8"), *CORS_HEADERS]
_RAW_TYPES = {name: media.encode("latin-1") for name, media in MEDIA_TYPES.items()}
_BROKEN_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")

log = logging.getLogger("chaingraph.serve")


class SparqlProtocol:
    """The answers of the protocol paths, sharing the process's evaluator, generation and cache.

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
        guard: SparqlGuard | None = None,
    ) -> None:
        self.evaluator = evaluator
        self.guard = guard or DEFAULT_GUARD  # what a query or update may do (no SERVICE by default)
        self.handles = ReadHandles()
        self.generation = generation
        self.cache = cache
        self.store_path = store_path
        self.timeout = timeout
        self.max_rows = max_rows
        self.allow_update = allow_update
        self.update_token = update_token

    async def respond(self, request: Request) -> Response:
        """The answer to a GET or POST request of a protocol path."""
        cache = self.cache
        if cache is not None:
            hit = cache.get(cache.key(self.generation.current(), request))
            if hit is not None:
                return 200, hit[1], hit[0]
        try:
            return await self._answer(request)
        except Refusal as refusal:
            return refusal.status, TEXT_HEADERS, (str(refusal) + "\n").encode("utf-8")

    async def _answer(self, request: Request) -> Response:
        params = parse_form(request.query_string)
        accept = kind = authorization = None
        for name, value in request.headers:
            if name == b"accept":  # several Accept headers make one list (RFC 9110, 5.3)
                accept = value.decode("latin-1") if accept is None else f"{accept}, {value.decode('latin-1')}"
            elif name == b"content-type":
                kind = value.decode("latin-1").split(";")[0].strip().lower()
            elif name == b"authorization":
                authorization = value.decode("latin-1")
        query: str | None = None
        update: str | None = None
        post = request.method == "POST"
        if post:
            body = request.body
            if kind == _FORM:
                params += parse_form(body)
            elif kind == "application/sparql-query":
                query = body.decode("utf-8", errors="replace")
            elif kind == "application/sparql-update":
                update = body.decode("utf-8", errors="replace")
            else:
                raise Refusal(415, "POST a form (query= or update=), or application/sparql-query or -update")
        queries = [v for k, v in params if k == "query"]
        updates = [v for k, v in params if k == "update"]
        if query is not None:
            queries.append(query)
        if update is not None:
            updates.append(update)
        if len(queries) + len(updates) != 1:
            raise Refusal(400, "give exactly one SPARQL query (query=) or one update (update=)")
        if queries and request.path == "/update":
            raise Refusal(400, "this is the update endpoint; send queries to /query")
        if updates:
            if not post:
                raise Refusal(400, "a SPARQL update must be sent with POST")
            await self._update(request, updates[0], params, authorization)
            return 204, CORS_HEADERS, b""
        formats = [v for k, v in params if k == "format"]
        try:
            choice = negotiate(accept, formats[-1] if formats else None)
        except UnknownFormat as error:
            raise Refusal(400, str(error)) from None
        dataset = (
            _graph_iris(params, "default-graph-uri"),
            _graph_iris(params, "named-graph-uri"),
        )
        truncate = any(k == "truncate" and v.lower() in ("true", "1", "yes") for k, v in params)
        return await self._query(request, queries[0], choice, dataset, truncate)

    async def _query(
        self,
        request: Request,
        sparql: str,
        choice: Choice,
        dataset: tuple[list[str], list[str]],
        truncate: bool,
    ) -> Response:
        generation = self.generation.current()
        question = {
            "sparql": sparql,
            "solutions": choice.solutions,
            "graph": choice.graph,
            "max_rows": self.max_rows,
            "truncate": truncate,
            "guard": self.guard,  # checked on the evaluation thread: a long text takes a while
        }
        if dataset[0] or dataset[1]:  # else the union of all graphs
            question["default_graph"], question["named_graphs"] = dataset
        deadline = time.monotonic() + self.timeout
        run, client = self.evaluator.run, request.client
        try:
            meta, body = await run(deadline, self._evaluate, generation, question, client=client)
            if meta["status"] == 500 and self.generation.current() != generation:
                # A build replaced the generation under the query (its files may be gone): once more.
                generation = self.generation.current()
                meta, body = await run(deadline, self._evaluate, generation, question, client=client)
        except QueryTimeout as error:
            raise Refusal(503, f"{error} ({self.timeout:g} s); narrow the query or add a LIMIT") from None
        if meta["status"] != 200:
            raise Refusal(meta["status"], _logged(request, meta))
        headers = [(b"content-type", _RAW_TYPES[meta["format"]]), (b"vary", b"Accept"), *CORS_HEADERS]
        if meta.get("truncated"):
            headers.append((TRUNCATED_HEADER.lower().encode(), f"max-rows={self.max_rows}".encode()))
        if self.cache is not None:
            key = self.cache.key(generation, request)
            if key is not None and not is_volatile(sparql):
                self.cache.put(key, body, headers)
            headers.append((CACHE_HEADER.lower().encode(), b"miss"))
        return 200, headers, body

    def _evaluate(self, generation: str | None, question: dict) -> tuple[dict, bytes]:
        """On an evaluation thread: the answer to ``question`` on ``generation``."""
        try:
            with self.handles.reading(generation) as store:  # no writer removes it while it is read
                return evaluate(store, question)
        except OSError as error:  # opening the generation failed (evaluate answers its own errors)
            return {"status": 500, "message": f"cannot open the store: {error}", "traceback": format_exc()}, b""

    async def _update(
        self, request: Request, sparql: str, params: list[tuple[str, str]], authorization: str | None
    ) -> None:
        if not self.allow_update:
            raise Refusal(403, "this endpoint is read-only: updates need chaingraph serve --allow-update")
        scheme, _, token = (authorization or "").partition(" ")
        expected = self.update_token or ""
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
            raise Refusal(
                403, "an update needs the header 'Authorization: Bearer TOKEN' with the server's update token"
            )
        if any(k in ("using-graph-uri", "using-named-graph-uri") for k, _ in params):
            raise Refusal(400, "using-graph-uri and using-named-graph-uri are not supported; use USING in the update")
        try:
            self.guard.check_update(sparql)  # LOAD and SERVICE call out; a deep update crashes
        except QueryRefused as error:
            raise Refusal(400, f"update refused: {error}") from None
        deadline = time.monotonic() + self.timeout
        try:
            meta, _ = await apply_update(self.store_path, sparql, deadline)
        except UpdateBusy as error:
            raise Refusal(503, f"{error} ({self.timeout:g} s)") from None
        except QueryTimeout as error:
            raise Refusal(503, f"{error} ({self.timeout:g} s); the store was left unchanged") from None
        if meta["status"] != 204:
            raise Refusal(meta["status"], _logged(request, meta))


def _graph_iris(params: list[tuple[str, str]], name: str) -> list[str]:
    """The values of the dataset parameter ``name``, each checked to be an IRI (else 400 naming it)."""
    values = [v for k, v in params if k == name]
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError as error:
            raise Refusal(400, f"{name} {value[:200]!r} is not an absolute IRI: {error}") from None
    return values


def _logged(request: Request, meta: dict) -> str:
    """The message for the client of a failed evaluation; a server error (500) is first logged
    with its traceback under an error id, which the message names (the traceback stays here)."""
    message = meta.get("message", "")
    if meta["status"] < 500:
        return message
    failure = error_id()
    details = {"details": meta.get("traceback") or "(no traceback)"}
    log.error("error %s answering %s %s: %s", failure, request.method, request.path, message, extra=details)
    return f"{message} (error {failure}; see the server log)"


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
