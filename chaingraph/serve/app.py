"""The SPARQL endpoint as a Starlette application: protocol, negotiation, limits, update guard.

Routes
------
``GET /``
    The query page (offline: no script, style or font is fetched from anywhere).
``GET|POST /query`` and ``/sparql``
    SPARQL 1.1 Protocol queries: ``GET ?query=``, ``POST`` form-encoded ``query=`` or a direct
    ``application/sparql-query`` body; ``default-graph-uri``/``named-graph-uri`` choose the
    dataset, else the default graph is the union of all graphs. ``format=`` overrides ``Accept``.
``POST /update`` (and ``/sparql``, ``/query`` with ``update=`` or ``application/sparql-update``)
    SPARQL updates: 403 unless the server allows updates and the request carries
    ``Authorization: Bearer TOKEN``.
``GET /queries``
    The saved competency queries as JSON (name, summary, parameters, text).

Answers: 200 with the results; 400 for a malformed query (the parser's message is the body);
403 for a refused update; 406 when the client accepts no format for the result; 413 for a
request body over 16 MiB; 415 for a body type the protocol does not define; 422 for a result
longer than the row limit; 503 when the query ran past the time limit (its worker is killed, so
it stops) or no worker came free in time.

The row limit (``--max-rows``, solutions of a SELECT or triples of a CONSTRUCT/DESCRIBE): by
default a longer result is refused with 422 and a message saying to page with LIMIT/OFFSET,
because SPARQL clients (SPARQLWrapper, rdflib, chaingraph's own remote store) read no custom
header and would take a cut result for the whole. A client that wants the first rows anyway
asks with the parameter ``truncate=true`` and gets them, 200, flagged with the header
``Chaingraph-Truncated: max-rows=N`` (the query page does this and says so).
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from chaingraph.serve.cache import CACHE_HEADER, AnswerCache, AnswerCacheMiddleware, Generation, is_volatile
from chaingraph.serve.formats import MEDIA_TYPES, Choice, UnknownFormat, negotiate
from chaingraph.serve.pool import PoolError, QueryTimeout, WorkerPool, default_workers
from chaingraph.store import open_store

__all__ = ["ServeConfig", "create_app", "serve", "TRUNCATED_HEADER"]

TRUNCATED_HEADER = "Chaingraph-Truncated"
_MAX_BODY = 16 * 2**20
_WATCH_AFTER = 0.2  # seconds a query runs before the server starts watching for its client leaving
T = TypeVar("T")


@dataclass(frozen=True)
class ServeConfig:
    """How the endpoint runs.

    Parameters
    ----------
    store:
        The store directory (an :class:`~chaingraph.store.EmbeddedStore`).
    timeout:
        Seconds a query (or update) may run before its worker is killed; default 30.
    max_rows:
        Solutions (or triples) per answer; a longer result is refused (422) unless the request
        says ``truncate=true``, then cut and flagged; default 100,000.
    workers:
        Worker processes evaluating queries at once; default one per core, at least 2.
    allow_update:
        Whether SPARQL updates are accepted at all (with the token); default no.
    update_token:
        The bearer token an update must carry; required when ``allow_update``.
    cache_mb:
        Memory for answers kept per store generation (repeated queries skip evaluation);
        0 turns the cache off. Default 64.
    """

    store: Path
    timeout: float = 30.0
    max_rows: int = 100_000
    workers: int = field(default_factory=default_workers)
    allow_update: bool = False
    update_token: str | None = None
    cache_mb: float = 64.0

    def __post_init__(self) -> None:
        if str(self.store).startswith(("http://", "https://")):
            raise ValueError(f"{self.store}: chaingraph serve serves a store directory, not a remote endpoint")
        if self.timeout <= 0 or self.max_rows < 0 or self.workers < 1 or self.cache_mb < 0:
            raise ValueError("timeout and workers must be positive, max-rows and cache-mb not negative")
        if self.allow_update and not self.update_token:
            raise ValueError("updates need a token: give --update-token or set CHAINGRAPH_UPDATE_TOKEN")


class _Endpoint:
    """The handlers, sharing one worker pool, generation tracker and answer cache."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.store = open_store(config.store)
        self.generation = Generation(self.store)
        self.pool = WorkerPool(config.workers)
        self.cache = AnswerCache(int(config.cache_mb * 2**20)) if config.cache_mb else None
        # One update at a time: each copies the live generation, so two at once would lose one.
        self._updating = asyncio.Lock()
        self._page: str | None = None

    # ------------------------------------------------------------------ query page and catalogue

    async def page(self, request: Request) -> Response:
        if self._page is None:
            self._page = resources.files("chaingraph.serve").joinpath("static/query.html").read_text(encoding="utf-8")
        return HTMLResponse(self._page)

    async def catalogue(self, request: Request) -> Response:
        from chaingraph.serve.queries import named_queries

        return JSONResponse(
            [
                {"name": q.name, "summary": q.summary, "parameters": q.parameters, "text": q.text}
                for q in named_queries().values()
            ]
        )

    # ------------------------------------------------------------------ SPARQL protocol

    async def sparql(self, request: Request) -> Response:
        return await self._protocol(request, queries_allowed=True)

    async def update(self, request: Request) -> Response:
        return await self._protocol(request, queries_allowed=False)

    async def _protocol(self, request: Request, *, queries_allowed: bool) -> Response:
        params = list(request.query_params.multi_items())
        query: str | None = None
        update: str | None = None
        if request.method == "POST":
            kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
            try:
                body = await _read_body(request)
            except ValueError as error:
                return _text(413, str(error))
            text = body.decode("utf-8", errors="replace")
            if kind == "application/x-www-form-urlencoded":
                params += parse_qsl(text, keep_blank_values=True)
            elif kind == "application/sparql-query":
                query = text
            elif kind == "application/sparql-update":
                update = text
            else:
                return _text(415, "POST a form (query= or update=), or application/sparql-query or -update")
        queries = [v for k, v in params if k == "query"]
        updates = [v for k, v in params if k == "update"]
        if query is not None:
            queries.append(query)
        if update is not None:
            updates.append(update)
        if len(queries) + len(updates) != 1:
            return _text(400, "give exactly one SPARQL query (query=) or one update (update=)")
        if not updates and not queries_allowed:
            return _text(400, "this is the update endpoint; send queries to /query")
        if updates:
            if request.method != "POST":
                return _text(400, "a SPARQL update must be sent with POST")
            return await self._update(request, updates[0], params)
        formats = [v for k, v in params if k == "format"]
        try:
            choice = negotiate(request.headers.get("accept"), formats[-1] if formats else None)
        except UnknownFormat as error:
            return _text(400, str(error))
        default_graph = [v for k, v in params if k == "default-graph-uri"]
        named_graphs = [v for k, v in params if k == "named-graph-uri"]
        truncate = any(k == "truncate" and v.lower() in ("true", "1", "yes") for k, v in params)
        return await self._query(request, queries[0], choice, default_graph, named_graphs, truncate)

    async def _query(
        self,
        http: Request,
        sparql: str,
        choice: Choice,
        default_graph: list[str],
        named_graphs: list[str],
        truncate: bool,
    ) -> Response:
        generation = self.generation.current()
        request = {
            "op": "query",
            "sparql": sparql,
            "generation": generation,
            "solutions": choice.solutions,
            "graph": choice.graph,
            "max_rows": self.config.max_rows,
            "truncate": truncate,
            "default_graph": default_graph,
            "named_graphs": named_graphs,
        }
        deadline = time.monotonic() + self.config.timeout
        try:
            reply = await _while_connected(http, self.pool.run(request, deadline))
            if reply.meta["status"] == 500 and self.generation.current() != generation:
                # A build replaced the generation under the query (its files may be gone): once more.
                request["generation"] = self.generation.current()
                reply = await _while_connected(http, self.pool.run(request, deadline))
        except _ClientGone:
            return _text(503, "the client went away; the query was stopped")
        except QueryTimeout as error:
            return _text(503, f"{error} ({self.config.timeout:g} s); narrow the query or add a LIMIT")
        except PoolError as error:
            return _text(500, str(error))
        meta = reply.meta
        if meta["status"] != 200:
            return _text(meta["status"], meta.get("message", ""))
        headers = {"content-type": MEDIA_TYPES[meta["format"]], "vary": "Accept"}
        if meta.get("truncated"):
            headers[TRUNCATED_HEADER] = f"max-rows={self.config.max_rows}"
        if self.cache is not None:
            key = self.cache.key(generation, http.scope)
            if key is not None and not is_volatile(sparql):
                self.cache.put(key, reply.body, headers)
            headers[CACHE_HEADER] = "miss"
        return Response(reply.body, headers=headers)

    async def _update(self, request: Request, sparql: str, params: list[tuple[str, str]]) -> Response:
        if not self.config.allow_update:
            return _text(403, "this endpoint is read-only: updates need chaingraph serve --allow-update")
        authorization = request.headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        expected = self.config.update_token or ""
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
            return _text(403, "an update needs the header 'Authorization: Bearer TOKEN' with the server's update token")
        if any(k in ("using-graph-uri", "using-named-graph-uri") for k, _ in params):
            return _text(400, "using-graph-uri and using-named-graph-uri are not supported; use USING in the update")
        request_frame = {"op": "update", "sparql": sparql, "store": str(self.store.path)}
        deadline = time.monotonic() + self.config.timeout
        try:
            async with asyncio.timeout(self.config.timeout):
                await self._updating.acquire()
        except TimeoutError:
            return _text(503, f"another update held the store past the time limit ({self.config.timeout:g} s)")
        try:
            reply = await self.pool.run(request_frame, deadline)
        except QueryTimeout as error:
            return _text(503, f"{error} ({self.config.timeout:g} s); the store was left unchanged")
        except PoolError as error:
            return _text(500, str(error))
        finally:
            self._updating.release()
        if reply.meta["status"] != 204:
            return _text(reply.meta["status"], reply.meta.get("message", ""))
        return Response(status_code=204)


class _ClientGone(Exception):
    """The client closed the connection before its answer was ready."""


async def _while_connected(request: Request, work: Coroutine[Any, Any, T]) -> T:
    """Await ``work``, cancelling it (which kills its worker) if the client disconnects first.

    A client that gives up on a slow query (a closed browser tab, an interrupted script) must
    not leave it holding a worker until the time limit. Only requests still running after a
    moment are watched, so a quick answer costs one timer.
    """
    task = asyncio.current_task()
    assert task is not None
    gone = False
    watcher: asyncio.Task | None = None

    async def watch() -> None:
        nonlocal gone
        await _disconnected(request)
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


async def _disconnected(request: Request) -> None:
    """Return when the client has disconnected (the request body is already read)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


async def _read_body(request: Request) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _MAX_BODY:
            raise ValueError(f"the request body is over {_MAX_BODY // 2**20} MiB")
        chunks.append(chunk)
    return b"".join(chunks)


def _text(status: int, message: str) -> Response:
    return PlainTextResponse(message + "\n", status_code=status)


def create_app(config: ServeConfig) -> Starlette:
    """The endpoint for ``config``; its worker processes start and stop with the app's lifespan.

    Parameters
    ----------
    config:
        Store, limits and update policy.

    Returns
    -------
    starlette.applications.Starlette
        An ASGI application (run it with uvicorn, or see :func:`chaingraph.serve.serve`).
    """
    endpoint = _Endpoint(config)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        await endpoint.pool.start()
        try:
            yield
        finally:
            await endpoint.pool.close()

    methods = ["GET", "POST"]
    app = Starlette(
        routes=[
            Route("/", endpoint.page, methods=["GET"]),
            Route("/queries", endpoint.catalogue, methods=["GET"]),
            Route("/query", endpoint.sparql, methods=methods),
            Route("/sparql", endpoint.sparql, methods=methods),
            Route("/update", endpoint.update, methods=["POST"]),
        ],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["*"],
                expose_headers=[TRUNCATED_HEADER, CACHE_HEADER],
                max_age=3600,
            ),
            *(
                [Middleware(AnswerCacheMiddleware, endpoint.cache, endpoint.generation, ("/query", "/sparql"))]
                if endpoint.cache is not None
                else []
            ),
        ],
        lifespan=lifespan,
    )
    app.state.endpoint = endpoint
    return app


def serve(config: ServeConfig, host: str = "127.0.0.1", port: int = 7878, *, access_log: bool = False) -> None:
    """Run the endpoint with uvicorn until interrupted (Ctrl-C or SIGTERM stop it cleanly).

    Parameters
    ----------
    config:
        Store, limits and update policy.
    host:
        Address to listen on; the loopback address by default, so nothing outside the machine
        can reach the store unless asked for.
    port:
        TCP port; default 7878 (Oxigraph's).
    access_log:
        Log one line per request (off by default: it costs throughput).
    """
    import uvicorn

    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        log_level="info",
        access_log=access_log,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
