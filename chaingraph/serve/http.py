"""HTTP/1.1 for a serving process: connections read by httptools, every request answered by one handler.

Why not uvicorn, which this replaced: on the 2-core machine of ``bench/serve_load.py``, uvicorn's
per-request machinery (its request cycle, the ASGI messages, header checks) cost more CPU than
evaluating a simple query, and that alone kept the endpoint below the target against a bare
Oxigraph server. The endpoint needs little of what uvicorn offers (no streaming, no websockets,
no lifespan protocol), so a connection here does only what the endpoint needs, in plain
callbacks: httptools (the parser uvicorn uses) reads the request, and the handler's answer is
written with one ``write``.

What a connection does:

* keeps itself alive between requests (HTTP/1.1 by default; HTTP/1.0 only when asked), and
  closes after :data:`KEEP_ALIVE` seconds without a request (bytes that begin none, such as blank
  lines, do not count);
* gives a request :data:`REQUEST_TIMEOUT` seconds from its first byte to arrive whole (line,
  headers and body), else answers 408 and closes: a client sending a byte at a time holds no
  connection for long;
* answers its requests one at a time, in order (pipelined ones wait their turn);
* answers ``Expect: 100-continue``, refuses a body over :data:`MAX_BODY` bytes (413) or a request
  line and headers over :data:`MAX_HEAD` (431), and a malformed request (400), closing after these;
* answers ``HEAD`` as ``GET`` without the body;
* stops reading while its client does not read the answers (flow control);
* when the client leaves while a request is running, cancels the handler (which stops the query,
  :mod:`chaingraph.serve.evaluator`) once the request has run :data:`LEAVE_GRACE` seconds, so a
  quick answer is let finish rather than stopped;
* answers a handler's failure 500 with an error id, and logs the traceback under that id; the
  answer never holds a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from urllib.parse import unquote

import httptools

__all__ = [
    "Request",
    "Response",
    "Handler",
    "HttpServer",
    "Refusal",
    "MAX_BODY",
    "MAX_HEAD",
    "KEEP_ALIVE",
    "REQUEST_TIMEOUT",
    "LEAVE_GRACE",
    "error_id",
]

log = logging.getLogger("chaingraph.serve")

MAX_BODY = 16 * 2**20  # bytes of a request body
MAX_HEAD = 1 * 2**20  # bytes of a request line and headers (a SPARQL query may travel in the URL)
KEEP_ALIVE = 5.0  # seconds an idle connection is kept open
REQUEST_TIMEOUT = 30.0  # seconds a request may take to arrive whole, from its first byte
LEAVE_GRACE = 0.2  # seconds a request whose client left may run on before it is stopped
_PENDING = 32  # requests read ahead on one connection before reading pauses

Headers = list[tuple[bytes, bytes]]
#: An answer: status, headers (lower-case names, no ``content-length``: it is added) and body.
Response = tuple[int, Headers, bytes]


@dataclass(slots=True)
class Request:
    """One HTTP request, read whole."""

    method: str
    path: str
    query_string: bytes
    headers: Headers  # names lower-case, in the order received
    body: bytes
    keep_alive: bool
    version: str  # "1.1" or "1.0"
    target: bytes  # the request target as sent, for the access log
    client: str = ""  # the peer's address (without its port): whose request it is, for fair sharing

    def header(self, name: bytes) -> bytes | None:
        """The first value of header ``name`` (lower-case), if any."""
        return _header(self.headers, name)


Handler = Callable[[Request], Awaitable[Response]]

_REASONS = {status.value: status.phrase.encode("ascii") for status in HTTPStatus}
_TEXT = [(b"content-type", b"text/plain; charset=utf-8")]


class Refusal(Exception):
    """A request answered with an error status and this message, rather than what it asked for."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def error_id() -> str:
    """A short random id for one failure: the answer names it, the log line with the details too."""
    return secrets.token_hex(4)


class HttpServer:
    """Connections on a listening socket, each request answered by ``handler``.

    Parameters
    ----------
    handler:
        Answers a request; an exception it raises is logged and answered 500.
    access_log:
        Log one line per request.
    idle_timeout:
        Seconds a connection may wait for its next request; default :data:`KEEP_ALIVE`.
    request_timeout:
        Seconds a request may take to arrive whole, from its first byte (then 408 and the
        connection is closed); default :data:`REQUEST_TIMEOUT`.
    """

    def __init__(
        self,
        handler: Handler,
        *,
        access_log: bool = False,
        idle_timeout: float | None = None,
        request_timeout: float | None = None,
    ) -> None:
        self.handler = handler
        self.access_log = access_log
        self.idle_timeout = idle_timeout
        self.request_timeout = request_timeout
        self.connections: set[_Connection] = set()
        self.stopping = False
        self.date = formatdate(usegmt=True).encode("ascii")
        self._server: asyncio.AbstractServer | None = None
        self._sweeper: asyncio.TimerHandle | None = None

    async def start(self, sock) -> None:
        """Accept connections on the listening socket ``sock``."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), sock=sock)
        self._sweep()

    def stop_accepting(self) -> None:
        """Accept no more connections (those already open go on)."""
        if self._server is not None:
            self._server.close()

    async def shutdown(self, grace: float) -> None:
        """Stop: accept nothing more, close idle connections, give running requests up to ``grace``
        seconds to be answered (then with ``Connection: close``), and close the rest."""
        self.stopping = True
        self.stop_accepting()
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            for connection in list(self.connections):
                if connection.idle:
                    connection.close()
            if not self.connections:
                break
            await asyncio.sleep(0.05)
        for connection in list(self.connections):
            connection.close()
        if self._sweeper is not None:
            self._sweeper.cancel()

    def _sweep(self) -> None:
        """Once a second (more often for shorter timeouts): the ``Date`` of answers, connections
        idle too long closed, and requests arriving too slowly refused (408)."""
        now = time.monotonic()
        self.date = formatdate(usegmt=True).encode("ascii")
        idle_timeout = KEEP_ALIVE if self.idle_timeout is None else self.idle_timeout
        request_timeout = REQUEST_TIMEOUT if self.request_timeout is None else self.request_timeout
        for connection in list(self.connections):
            if not connection.idle:
                continue  # a request is being answered: the client waits for the server
            if connection.reading_since is None or connection.paused:  # (paused: not reading answers)
                if now - connection.idle_since > idle_timeout:
                    connection.close()
            elif now - connection.reading_since > request_timeout:
                connection.time_out(request_timeout)
        interval = min(1.0, max(0.05, min(idle_timeout, request_timeout) / 4))
        self._sweeper = asyncio.get_running_loop().call_later(interval, self._sweep)


class _Connection(asyncio.Protocol):
    """One client connection (see the module's description)."""

    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.client = ""
        self.pending: deque[Request] = deque()
        self.running: asyncio.Task | None = None
        self.running_since = 0.0
        self.idle_since = time.monotonic()  # since when the connection waits for its client
        self.reading_since: float | None = None  # since when a request is arriving (its first byte)
        self.paused = False  # the client is not reading its answers
        self.closed = False
        self.upgrade = False
        self._url = b""
        self._headers: Headers = []
        self._body: list[bytes] = []
        self._head_size = 0
        self._body_size = 0
        self._refusal: Refusal | None = None  # to send once the running request is answered

    @property
    def idle(self) -> bool:
        return self.running is None and not self.pending

    # ------------------------------------------------------------------ asyncio callbacks

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.client = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else ""
        self.peer = peer[0] if isinstance(peer, tuple) else ""
        self.server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.server.connections.discard(self)
        self.pending.clear()
        task = self.running
        if task is not None and not task.done():
            # Nobody will read the answer: stop the work, unless it is about to be done anyway.
            delay = LEAVE_GRACE - (time.monotonic() - self.running_since)
            if delay <= 0:
                task.cancel()
            else:
                asyncio.get_running_loop().call_later(delay, task.cancel)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # No protocol upgrade here: the request is answered in HTTP/1.1 and the connection
            # closed (what followed the request was meant for the other protocol).
            self.upgrade = True
            self.transport.pause_reading()
        except httptools.HttpParserCallbackError as error:
            refusal = error.__context__
            if not isinstance(refusal, Refusal):
                raise
            self._refuse(refusal.status, str(refusal))
        except httptools.HttpParserError as error:
            self._refuse(400, f"malformed HTTP request: {error}")

    def pause_writing(self) -> None:
        self.paused = True
        self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.paused = False
        self._resume_reading()
        self._next()

    def _resume_reading(self) -> None:
        # Not after an upgrade or a refusal: what follows on the connection is not read any more.
        if not self.closed and not self.upgrade and self._refusal is None:
            self.transport.resume_reading()

    # ------------------------------------------------------------------ httptools callbacks

    def on_message_begin(self) -> None:
        self.reading_since = time.monotonic()
        self._url, self._headers, self._body = b"", [], []
        self._head_size = self._body_size = 0

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._grow(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.lower(), value))
        self._grow(len(name) + len(value))

    def on_headers_complete(self) -> None:
        length = _header(self._headers, b"content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY:
            raise Refusal(413, f"the request body is over {_amount(MAX_BODY)}")
        expect = _header(self._headers, b"expect")
        if (
            expect is not None
            and expect.lower() == b"100-continue"
            and self.parser.get_http_version() != "1.0"  # not an HTTP/1.0 expectation (RFC 9110, 10.1.1)
            and self.running is None  # nothing may go out before earlier answers: the client
            and not self.pending  # then sends its body after waiting a moment, as it does anyway
        ):
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self._body_size += len(body)
        if self._body_size > MAX_BODY:
            raise Refusal(413, f"the request body is over {_amount(MAX_BODY)}")
        self._body.append(body)

    def on_message_complete(self) -> None:
        self.reading_since = None
        url = self._url
        if not url.startswith(b"/"):  # absolute form (through a proxy), or "*"
            parsed = httptools.parse_url(url) if b"://" in url else None
            path, query = (parsed.path or b"/", parsed.query or b"") if parsed else (url, b"")
        else:
            path, _, query = url.partition(b"?")
            query = query.partition(b"#")[0]
        text = path.decode("latin-1")
        self.pending.append(
            Request(
                method=self.parser.get_method().decode("ascii"),
                path=unquote(text) if "%" in text else text,
                query_string=query,
                headers=self._headers,
                body=b"".join(self._body),
                keep_alive=self.parser.should_keep_alive() and not self.upgrade,
                version=self.parser.get_http_version(),
                target=url,
                client=self.peer,
            )
        )
        if len(self.pending) >= _PENDING:
            self.transport.pause_reading()
        if self.running is None:
            self._next()

    def _grow(self, size: int) -> None:
        self._head_size += size
        if self._head_size > MAX_HEAD:
            raise Refusal(431, f"the request line and headers are over {_amount(MAX_HEAD)}")

    # ------------------------------------------------------------------ answering

    def _next(self) -> None:
        """Start answering the next request read, if the connection is free for it."""
        if self.running is not None or self.paused or self.closed or not self.pending:
            return
        request = self.pending.popleft()
        if len(self.pending) == _PENDING // 4:
            self._resume_reading()
        self.running_since = time.monotonic()
        self.running = asyncio.get_running_loop().create_task(self._answer(request))

    async def _answer(self, request: Request) -> None:
        try:
            status, headers, body = await self.server.handler(request)
        except asyncio.CancelledError:
            self.running = None  # the client has gone: nobody to answer
            return
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:  # also a panic on pyoxigraph's Rust side (pyo3's PanicException is no Exception)
            failure = error_id()
            log.exception("error %s answering %s %s", failure, request.method, request.target[:200].decode("latin-1"))
            status, headers = 500, _TEXT
            body = f"the server failed to answer this request (error {failure}); see its log\n".encode()
        self.running = None
        if self.closed:
            return
        keep_alive = request.keep_alive and not self.server.stopping and not self.upgrade
        self._send(status, headers, body, keep_alive, head=request.method == "HEAD", version=request.version)
        self._log(request.method, request.target, status)
        if keep_alive and self._refusal is not None:  # what came after this request could not be read
            self._send(self._refusal.status, _TEXT, f"{self._refusal}\n".encode(), keep_alive=False)
            self._log("-", b"(unreadable request)", self._refusal.status)
            self.close()
        elif keep_alive:
            now = self.idle_since = time.monotonic()
            if self.reading_since is not None:  # the next request was arriving meanwhile: its time starts now
                self.reading_since = max(self.reading_since, now)
            self._next()
        else:
            self.close()

    def _send(
        self, status: int, headers: Headers, body: bytes, keep_alive: bool, *, head: bool = False, version: str = "1.1"
    ) -> None:
        parts = [b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b"Unknown"))]
        for name, value in headers:
            parts += (name, b": ", value, b"\r\n")
        if status != 204 and status != 304:  # answers without a body have no length (RFC 9110, 8.6)
            parts.append(b"content-length: %d\r\n" % len(body))
        parts += (b"date: ", self.server.date, b"\r\n")
        if not keep_alive:
            parts.append(b"connection: close\r\n")
        elif version == "1.0":  # an HTTP/1.0 client assumes the connection closes unless told
            parts.append(b"connection: keep-alive\r\n")
        parts.append(b"\r\n")
        if not head and status != 204 and status != 304:
            parts.append(body)
        self.transport.write(b"".join(parts))

    def _refuse(self, status: int, message: str) -> None:
        """Answer a request the connection cannot read on with an error and close, after the
        answer to the request running, if any (the requests read after it are dropped)."""
        self.pending.clear()
        if self.closed:
            return
        self.transport.pause_reading()
        if self.running is not None:
            self._refusal = Refusal(status, message)
            return
        self._send(status, _TEXT, (message + "\n").encode("utf-8"), keep_alive=False)
        self._log("-", b"(unreadable request)", status)
        self.close()

    def time_out(self, limit: float) -> None:
        """Refuse the request arriving too slowly (408) and close."""
        self._refuse(408, f"the request did not arrive whole within {limit:g} s; the connection is closed")

    def _log(self, method: str, target: bytes, status: int) -> None:
        if self.server.access_log:
            log.info('%s - "%s %s" %d', self.client, method, target.decode("latin-1"), status)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(RuntimeError):  # the loop is closing
                self.transport.close()


def _amount(size: int) -> str:
    return f"{size // 2**20} MiB" if size % 2**20 == 0 else f"{size:,} bytes"


def _header(headers: Headers, name: bytes) -> bytes | None:
    for key, value in headers:
        if key == name:
            return value
    return None
