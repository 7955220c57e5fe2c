"""The SPARQL endpoint as an ASGI application: routes, limits, the query page; started by :func:`serve`.

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
longer than the row limit; 503 when the query ran past the time limit (its serving process
retires, which stops it: :mod:`chaingraph.serve.supervisor`) or no evaluation thread came free in
time.

The row limit (``--max-rows``, solutions of a SELECT or triples of a CONSTRUCT/DESCRIBE): by
default a longer result is refused with 422 and a message saying to page with LIMIT/OFFSET,
because SPARQL clients (SPARQLWrapper, rdflib, chaingraph's own remote store) read no custom
header and would take a cut result for the whole. A client that wants the first rows anyway
asks with the parameter ``truncate=true`` and gets them, 200, flagged with the header
``Chaingraph-Truncated: max-rows=N`` (the query page does this and says so).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from chaingraph.serve.cache import CACHE_HEADER, AnswerCache, Generation
from chaingraph.serve.evaluator import Evaluator, default_threads
from chaingraph.serve.protocol import PROTOCOL_PATHS, TRUNCATED_HEADER, Receive, Scope, Send, SparqlProtocol
from chaingraph.store import open_store

__all__ = ["ServeConfig", "create_app", "serve", "default_workers", "TRUNCATED_HEADER"]


def default_workers() -> int:
    """Serving processes: one per core, at least two (so one retiring never leaves none)."""
    return max(2, os.cpu_count() or 1)


@dataclass(frozen=True)
class ServeConfig:
    """How the endpoint runs.

    Parameters
    ----------
    store:
        The store directory (an :class:`~chaingraph.store.EmbeddedStore`).
    timeout:
        Seconds a query (or update) may run before it is stopped; default 30.
    max_rows:
        Solutions (or triples) per answer; a longer result is refused (422) unless the request
        says ``truncate=true``, then cut and flagged; default 100,000.
    workers:
        Serving processes (sharing one listening socket); default one per core, at least 2.
    threads:
        Queries each serving process evaluates at once, on threads; default 2.
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
    threads: int = field(default_factory=default_threads)
    allow_update: bool = False
    update_token: str | None = None
    cache_mb: float = 64.0

    def __post_init__(self) -> None:
        if str(self.store).startswith(("http://", "https://")):
            raise ValueError(f"{self.store}: chaingraph serve serves a store directory, not a remote endpoint")
        if self.timeout <= 0 or self.max_rows < 0 or self.workers < 1 or self.threads < 1 or self.cache_mb < 0:
            raise ValueError("timeout, workers and threads must be positive, max-rows and cache-mb not negative")
        if self.allow_update and not self.update_token:
            raise ValueError("updates need a token: give --update-token or set CHAINGRAPH_UPDATE_TOKEN")


class _Endpoint:
    """The query page and the catalogue of saved queries (the protocol paths are elsewhere)."""

    def __init__(self) -> None:
        self._page: str | None = None

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


class _Dispatch:
    """Sends GET and POST requests of the protocol paths straight to the protocol application
    (their hot path: no routing or middleware), everything else to Starlette."""

    def __init__(self, protocol: SparqlProtocol, app: Starlette) -> None:
        self.protocol = protocol
        self.app = app
        self.state = app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in PROTOCOL_PATHS:
            method = scope["method"]
            if method == "POST" or (method == "GET" and scope["path"] != "/update"):
                await self.protocol(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(config: ServeConfig, on_retire: Callable[[str], None] | None = None) -> _Dispatch:
    """The endpoint for ``config`` in this process; its evaluation threads start with the app's lifespan.

    Parameters
    ----------
    config:
        Store, limits and update policy.
    on_retire:
        Called when a query could not be stopped (past its time limit, or its client gone) and
        the process must retire to stop it (:mod:`chaingraph.serve.supervisor` does so); by
        default only logged, the query then runs on to its end.

    Returns
    -------
    ASGI application
        Run it with uvicorn, or see :func:`chaingraph.serve.serve`. Its ``state.protocol`` is the
        :class:`~chaingraph.serve.protocol.SparqlProtocol` answering the protocol paths.
    """
    store = open_store(config.store)
    evaluator = Evaluator(config.threads, on_retire)
    protocol = SparqlProtocol(
        evaluator,
        Generation(store),
        AnswerCache(int(config.cache_mb * 2**20)) if config.cache_mb else None,
        str(store.path),
        timeout=config.timeout,
        max_rows=config.max_rows,
        allow_update=config.allow_update,
        update_token=config.update_token,
    )
    endpoint = _Endpoint()

    @asynccontextmanager
    async def lifespan(app: Starlette):
        evaluator.start()
        loop = asyncio.get_running_loop()
        protocol.generation.watch(loop)
        try:
            yield
        finally:
            protocol.generation.unwatch(loop)
            evaluator.close()

    app = Starlette(
        routes=[
            Route("/", endpoint.page, methods=["GET"]),
            Route("/queries", endpoint.catalogue, methods=["GET"]),
            # Reached only for the methods the dispatch does not take (405) and CORS preflights.
            Route("/query", protocol, methods=["GET", "POST"]),
            Route("/sparql", protocol, methods=["GET", "POST"]),
            Route("/update", protocol, methods=["POST"]),
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
        ],
        lifespan=lifespan,
    )
    app.state.protocol = protocol
    return _Dispatch(protocol, app)


def serve(config: ServeConfig, host: str = "127.0.0.1", port: int = 7878, *, access_log: bool = False) -> None:
    """Run the endpoint until interrupted (Ctrl-C or SIGTERM stop it cleanly): ``config.workers``
    serving processes under a supervisor (:mod:`chaingraph.serve.supervisor`).

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

    Raises
    ------
    ServeError
        If the address cannot be listened on or the serving processes cannot start.
    """
    from chaingraph.serve.supervisor import supervise

    supervise(config, host, port, access_log=access_log)
