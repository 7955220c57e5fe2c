"""The SPARQL endpoint: routes, limits, the query page; started by :func:`serve`.

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
``OPTIONS`` on any of these
    CORS preflight: any origin may send the methods and headers it asks for.

Answers: 200 with the results; 400 for a malformed query (the parser's message is the body) or
a ``default-graph-uri``/``named-graph-uri`` that is not an IRI; 403 for a refused update; 404 for
another path; 405 for a method the path does not take; 406 when the client accepts no format for
the result; 408 for a request that did not arrive whole within ``request_timeout`` (the
connection is closed); 413 for a request body over 16 MiB; 415 for a body type the protocol does
not define; 422 for a result longer than the row limit; 431 for a request line and headers over
1 MiB; 500 when the server failed (the body names an error id, the server log has the traceback
under it); 503 when the query ran past the time limit (its serving process retires, which stops
it: :mod:`chaingraph.serve.supervisor`) or no evaluation thread came free in time.

Fair sharing: in each serving process, a client (peer address) with fewer than ``client_limit``
queries never waits behind a client with more (:mod:`chaingraph.serve.evaluator`).

The row limit (``--max-rows``, solutions of a SELECT or triples of a CONSTRUCT/DESCRIBE): by
default a longer result is refused with 422 and a message saying to page with LIMIT/OFFSET,
because SPARQL clients (SPARQLWrapper, rdflib, chaingraph's own remote store) read no custom
header and would take a cut result for the whole. A client that wants the first rows anyway
asks with the parameter ``truncate=true`` and gets them, 200, flagged with the header
``Chaingraph-Truncated: max-rows=N`` (the query page does this and says so).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from chaingraph.serve.cache import AnswerCache, Generation
from chaingraph.serve.evaluator import Evaluator, default_client_limit, default_threads
from chaingraph.serve.http import KEEP_ALIVE, REQUEST_TIMEOUT, Request, Response
from chaingraph.serve.protocol import CORS_HEADERS, PROTOCOL_PATHS, TEXT_HEADERS, TRUNCATED_HEADER, SparqlProtocol
from chaingraph.sparql_guard import SparqlGuard
from chaingraph.store import open_store

__all__ = ["ServeConfig", "Endpoint", "create_app", "serve", "default_workers", "TRUNCATED_HEADER", "MIN_TOKEN_LENGTH"]

#: Update tokens shorter than this draw a warning: a short token can be guessed.
MIN_TOKEN_LENGTH = 16

# What a browser may send cross-origin, answered to its preflight (OPTIONS) request.
_PREFLIGHT = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
    (b"access-control-max-age", b"3600"),
]


def default_workers() -> int:
    """Serving processes: two per core (at least two, so one retiring never leaves none).

    Each process runs its HTTP work and the Python side of its queries under one GIL, so one
    per core left the cores waiting on it: on 2 cores, four processes answered the label lookup
    of ``bench/serve_load.py`` at 79-90 % of a bare Oxigraph server, two at 57-63 %.
    """
    return max(2, 2 * (os.cpu_count() or 1))


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
        Serving processes (sharing one listening socket); default two per core, at least 2.
    threads:
        Queries each serving process evaluates at once, on threads; default 2.
    allow_update:
        Whether SPARQL updates are accepted at all (with the token); default no.
    update_token:
        The bearer token an update must carry; required when ``allow_update``.
    cache_mb:
        Memory for answers kept per store generation (repeated queries skip evaluation);
        0 turns the cache off. Default 64.
    client_limit:
        Queries a client (peer address) may have in a serving process before the next waits its
        turn like everyone's: a client under it never waits behind one over it, its query gets a
        thread of its own. Default half of ``threads``, at least 1.
    request_timeout:
        Seconds a request may take to arrive whole (line, headers, body) from its first byte;
        then it is answered 408 and its connection closed. Default 30.
    idle_timeout:
        Seconds a kept-alive connection may wait for its next request before it is closed.
        Default 5.
    allow_service:
        URL prefixes that SERVICE in a query (and LOAD in an update) may call; default none, so
        nothing any client sends makes the server call another (:mod:`chaingraph.sparql_guard`).
    """

    store: Path
    timeout: float = 30.0
    max_rows: int = 100_000
    workers: int = field(default_factory=default_workers)
    threads: int = field(default_factory=default_threads)
    allow_update: bool = False
    update_token: str | None = None
    cache_mb: float = 64.0
    client_limit: int | None = None
    request_timeout: float = REQUEST_TIMEOUT
    idle_timeout: float = KEEP_ALIVE
    allow_service: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "allow_service", SparqlGuard(allow_service=tuple(self.allow_service)).allow_service)
        if str(self.store).startswith(("http://", "https://")):
            raise ValueError(f"{self.store}: chaingraph serve serves a store directory, not a remote endpoint")
        if self.timeout <= 0 or self.max_rows < 0 or self.workers < 1 or self.threads < 1 or self.cache_mb < 0:
            raise ValueError("timeout, workers and threads must be positive, max-rows and cache-mb not negative")
        if self.client_limit is not None and self.client_limit < 1:
            raise ValueError("--client-limit must be at least 1")
        if self.request_timeout <= 0 or self.idle_timeout <= 0:
            raise ValueError("--request-timeout and --idle-timeout must be positive")
        if self.allow_update and not self.update_token:
            raise ValueError("updates need a token: give --update-token or set CHAINGRAPH_UPDATE_TOKEN")

    @property
    def client_share(self) -> int:
        """The ``client_limit`` in effect."""
        return self.client_limit if self.client_limit is not None else default_client_limit(self.threads)

    def warnings(self) -> list[str]:
        """What in this configuration works but is unsafe, one line each (the server logs them)."""
        token = self.update_token or ""
        if self.allow_update and len(token) < MIN_TOKEN_LENGTH:
            advice = "python -c 'import secrets; print(secrets.token_urlsafe())' makes one"
            return [
                f"the update token has {len(token)} characters: whoever guesses it can change the store; "
                f"use {MIN_TOKEN_LENGTH} or more random ones ({advice})"
            ]
        return []


class Endpoint:
    """Every route of the endpoint in one serving process (the protocol paths answered by
    :class:`~chaingraph.serve.protocol.SparqlProtocol`, the query page and the catalogue here).

    Call :meth:`start` on the event loop before the first request and :meth:`close` after the last.
    """

    def __init__(self, protocol: SparqlProtocol) -> None:
        self.protocol = protocol
        self._page: bytes | None = None
        self._catalogue: bytes | None = None

    def start(self) -> None:
        """Start the evaluation threads and the watch on the store's generation."""
        self.protocol.evaluator.start()
        self.protocol.generation.watch(asyncio.get_running_loop())

    def close(self) -> None:
        self.protocol.generation.unwatch(asyncio.get_running_loop())
        self.protocol.evaluator.close()

    async def respond(self, request: Request) -> Response:
        """The answer to any request."""
        path, method = request.path, request.method
        if path in PROTOCOL_PATHS:
            if method == "POST" or (path != "/update" and (method == "GET" or method == "HEAD")):
                return await self.protocol.respond(request)
            allowed = b"POST, OPTIONS" if path == "/update" else b"GET, HEAD, POST, OPTIONS"
        elif path == "/" or path == "/queries":
            if method == "GET" or method == "HEAD":
                return 200, *(self._page_answer() if path == "/" else self._catalogue_answer())
            allowed = b"GET, HEAD, OPTIONS"
        else:
            return 404, TEXT_HEADERS, f"nothing here: {path} (try / for the query page, /query for SPARQL)\n".encode()
        if method == "OPTIONS":
            return _preflight(request, allowed)
        return 405, [(b"allow", allowed), *TEXT_HEADERS], f"{method} is not allowed on {path}\n".encode()

    def _page_answer(self) -> tuple[list[tuple[bytes, bytes]], bytes]:
        if self._page is None:
            self._page = resources.files("chaingraph.serve").joinpath("static/query.html").read_bytes()
        return [(b"content-type", b"text/html; charset=utf-8")], self._page

    def _catalogue_answer(self) -> tuple[list[tuple[bytes, bytes]], bytes]:
        if self._catalogue is None:
            from chaingraph.serve.queries import named_queries

            listed = [
                {"name": q.name, "summary": q.summary, "parameters": q.parameters, "text": q.text}
                for q in named_queries().values()
            ]
            self._catalogue = json.dumps(listed, ensure_ascii=False).encode("utf-8")
        return [(b"content-type", b"application/json"), *CORS_HEADERS], self._catalogue


def _preflight(request: Request, allowed: bytes) -> Response:
    """A CORS preflight is answered for any origin and the headers it asks for; a plain
    ``OPTIONS`` gets the methods the path allows."""
    if request.header(b"origin") is None or request.header(b"access-control-request-method") is None:
        return 204, [(b"allow", allowed), *CORS_HEADERS], b""
    asked = request.header(b"access-control-request-headers")
    headers = [*_PREFLIGHT, (b"access-control-allow-headers", asked)] if asked else list(_PREFLIGHT)
    return 200, [*headers, (b"content-type", b"text/plain; charset=utf-8")], b"OK"


def create_app(config: ServeConfig, on_retire: Callable[[str], None] | None = None) -> Endpoint:
    """The endpoint for ``config`` in this process.

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
    Endpoint
        Serve it with :class:`chaingraph.serve.http.HttpServer` (``endpoint.respond`` is the
        handler), or see :func:`chaingraph.serve.serve`.
    """
    store = open_store(config.store)
    protocol = SparqlProtocol(
        Evaluator(config.threads, on_retire, config.client_share),
        Generation(store),
        AnswerCache(int(config.cache_mb * 2**20)) if config.cache_mb else None,
        str(store.path),
        timeout=config.timeout,
        max_rows=config.max_rows,
        allow_update=config.allow_update,
        update_token=config.update_token,
        guard=SparqlGuard(allow_service=config.allow_service),
    )
    return Endpoint(protocol)


def serve(
    config: ServeConfig,
    host: str = "127.0.0.1",
    port: int = 7878,
    *,
    access_log: bool = False,
    log_file: str | os.PathLike[str] | None = None,
) -> None:
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
    log_file:
        Append the server log to this file too, with timestamps and the traceback of every
        server error (500); standard error then gets one line per record, no tracebacks.

    Raises
    ------
    ServeError
        If the address cannot be listened on, the log file cannot be written, or the serving
        processes cannot start.
    """
    from chaingraph.serve.supervisor import supervise

    supervise(config, host, port, access_log=access_log, log_file=log_file)
