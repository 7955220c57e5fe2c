"""``chaingraph.serve.http``: a real :class:`HttpServer` on 127.0.0.1, run by its own event loop
(uvloop when installed, as in production) in a background thread, talked to over raw sockets so the
exact bytes on the wire are checked: keep-alive, pipelining, HTTP/1.0, ``100-continue``, limits,
malformed requests, ``HEAD``, targets, failures, clients that leave, idle connections, shutdown,
upgrades, the access log and flow control."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import queue
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http import HTTPStatus

import pytest

from chaingraph.serve import http

try:
    import uvloop

    new_loop = uvloop.new_event_loop  # not uvloop.install(): that would change every later test's loop
except ImportError:  # pragma: no cover - uvloop is a serving dependency
    new_loop = asyncio.new_event_loop

HELLO = b"hello world\n"
TOO_LARGE = b"HTTP/1.1 413 " + HTTPStatus(413).phrase.encode()  # its phrase depends on the Python version
BIG = b"x" * 2**20


class Site:
    """The handler: a few paths, and what they saw in ``events`` (kind, path, monotonic time)."""

    def __init__(self) -> None:
        self.events: queue.Queue[tuple[str, str, float]] = queue.Queue()

    async def __call__(self, request: http.Request) -> http.Response:
        path = request.path
        self.events.put(("begin", path, time.monotonic()))
        if path == "/echo":
            seen = {
                "method": request.method,
                "path": path,
                "query": request.query_string.decode("latin-1"),
                "body": request.body.decode("latin-1"),
                "keep_alive": request.keep_alive,
                "x-test": (request.header(b"x-test") or b"").decode("latin-1"),
            }
            return 200, [(b"content-type", b"application/json")], json.dumps(seen).encode()
        if path == "/hello":
            return 200, [(b"content-type", b"text/plain"), (b"x-a", b"1")], HELLO
        if path == "/big":
            return 200, [], BIG
        if path == "/slow":  # /slow?MS
            await asyncio.sleep(int(request.query_string) / 1000)
            self.events.put(("end", path, time.monotonic()))
            return 200, [], b"slept %s" % request.query_string
        if path == "/wait":
            try:
                await asyncio.Future()
            except asyncio.CancelledError:
                self.events.put(("cancelled", path, time.monotonic()))
                raise
        if path == "/fail":
            raise RuntimeError("the handler failed")
        return 404, [], b""

    def next(self, timeout: float = 5.0) -> tuple[str, str, float]:
        return self.events.get(timeout=timeout)

    def quiet(self, seconds: float) -> bool:
        """Whether nothing more happens for ``seconds``."""
        try:
            self.events.get(timeout=seconds)
        except queue.Empty:
            return True
        return False


@dataclass
class Live:
    server: http.HttpServer
    site: Site
    loop: asyncio.AbstractEventLoop
    port: int
    opened: list = field(default_factory=list)

    def connect(self):
        """A client socket and a buffered reader over it."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        reader = sock.makefile("rb")
        self.opened += (reader, sock)
        return sock, reader

    def run(self, coroutine):
        """Start ``coroutine`` on the server's loop; a concurrent future of its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)


@pytest.fixture
def serve():
    """Start servers (``serve(access_log=...)``); all stopped, their loops closed, at the end."""
    started: list[tuple[Live, threading.Thread]] = []

    def start(*, access_log: bool = False) -> Live:
        loop = new_loop()
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        site = Site()
        server = http.HttpServer(site, access_log=access_log)
        sock = socket.create_server(("127.0.0.1", 0))
        live = Live(server, site, loop, sock.getsockname()[1])
        live.run(server.start(sock)).result(5)
        started.append((live, thread))
        return live

    yield start

    async def stop(server: http.HttpServer) -> None:
        await server.shutdown(0)
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    for live, thread in started:
        for opened in live.opened:
            opened.close()
        live.run(stop(live.server)).result(5)
        live.loop.call_soon_threadsafe(live.loop.stop)
        thread.join(5)
        live.loop.close()


@pytest.fixture
def live(serve) -> Live:
    return serve()


def get(target: str, *, method: str = "GET", version: str = "1.1", headers: str = "") -> bytes:
    return f"{method} {target} HTTP/{version}\r\nHost: test\r\n{headers}\r\n".encode("latin-1")


def post(target: str, body: bytes, *, headers: str = "") -> bytes:
    return get(target, method="POST", headers=f"Content-Length: {len(body)}\r\n{headers}") + body


def read_answer(reader, *, head: bool = False):
    """The status line, headers (in order) and ``content-length`` body of the next final answer."""
    line = reader.readline()
    assert line.endswith(b"\r\n"), f"no answer, read {line!r}"
    headers = []
    while (header := reader.readline()) != b"\r\n":
        assert header.endswith(b"\r\n"), f"the headers end early: {header!r}"
        name, _, value = header[:-2].partition(b": ")
        headers.append((name, value))
    if line.startswith(b"HTTP/1.1 1"):  # an interim answer (100 Continue): the final one follows
        return read_answer(reader, head=head)
    length = 0 if head else int(dict(headers).get(b"content-length", b"0"))
    return line[:-2], headers, reader.read(length)


def echoed(answer: bytes, **seen) -> tuple[dict, dict]:
    """The echo ``answer`` decoded, and what it should be."""
    expected = {"method": "GET", "path": "/echo", "query": "", "body": "", "keep_alive": True, "x-test": ""}
    return json.loads(answer), expected | seen


def check_date(headers) -> None:
    """The ``date`` header is an HTTP date within a few seconds of now."""
    value = dict(headers)[b"date"].decode("ascii")
    assert value.endswith(" GMT")
    assert abs(parsedate_to_datetime(value).timestamp() - time.time()) < 3


def json_headers(body: bytes, *, close: bool = False, date: bytes) -> list:
    expected = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body)), (b"date", date)]
    return expected + [(b"connection", b"close")] * close


# ---------------------------------------------------------------------------------- connections


def test_keep_alive_answers_two_requests_on_one_connection(live):
    sock, reader = live.connect()
    for query in ("a=1", "b=2"):
        sock.sendall(get(f"/echo?{query}", headers="X-Test: kept\r\n"))
        line, headers, body = read_answer(reader)
        assert line == b"HTTP/1.1 200 OK"
        assert headers == json_headers(body, date=dict(headers)[b"date"])  # no connection: close
        check_date(headers)
        seen, expected = echoed(body, query=query, **{"x-test": "kept"})
        assert seen == expected


def test_pipelined_requests_are_answered_in_order_one_at_a_time(live):
    sock, reader = live.connect()
    sock.sendall(get("/slow?200") + get("/echo?second"))
    assert read_answer(reader)[::2] == (b"HTTP/1.1 200 OK", b"slept 200")
    line, headers, body = read_answer(reader)
    assert line == b"HTTP/1.1 200 OK"
    seen, expected = echoed(body, query="second")
    assert seen == expected
    # The second request only began once the first was answered.
    assert [live.site.next()[:2] for _ in range(3)] == [("begin", "/slow"), ("end", "/slow"), ("begin", "/echo")]


def test_more_pipelined_requests_than_read_ahead_are_all_answered(live):
    """Over ``_PENDING`` requests at once: reading pauses and resumes, nothing is lost."""
    sock, reader = live.connect()
    sock.sendall(b"".join(get(f"/echo?{i}") for i in range(100)))
    for i in range(100):
        seen, expected = echoed(read_answer(reader)[2], query=str(i))
        assert seen == expected


def test_answers_the_client_does_not_read_wait_for_it(live):
    """Flow control: 20 MiB of answers asked for at once, read only later, all arrive in order."""
    sock, reader = live.connect()
    sock.sendall(get("/big") * 20 + get("/hello"))
    time.sleep(0.2)  # let the server fill the socket buffers and pause
    for _ in range(20):
        line, headers, body = read_answer(reader)
        assert (line, len(body), body == BIG) == (b"HTTP/1.1 200 OK", len(BIG), True)
    assert read_answer(reader)[2] == HELLO


def test_http10_closes_unless_asked_to_keep_alive(live):
    sock, reader = live.connect()
    sock.sendall(get("/echo", version="1.0"))
    line, headers, body = read_answer(reader)
    assert line == b"HTTP/1.1 200 OK"
    assert headers == json_headers(body, close=True, date=dict(headers)[b"date"])
    seen, expected = echoed(body, keep_alive=False)
    assert seen == expected
    assert reader.read() == b""  # the server closed

    sock, reader = live.connect()
    for _ in range(2):
        sock.sendall(get("/echo", version="1.0", headers="Connection: keep-alive\r\n"))
        line, headers, body = read_answer(reader)
        assert line == b"HTTP/1.1 200 OK"
        # An HTTP/1.0 client assumes the connection closes unless the answer says otherwise.
        keep = [(b"connection", b"keep-alive")]
        assert headers == json_headers(body, date=dict(headers)[b"date"]) + keep
        seen, expected = echoed(body)
        assert seen == expected


def test_expect_100_continue_is_answered_before_the_body_is_sent(live):
    sock, reader = live.connect()
    sock.sendall(get("/echo", method="POST", headers="Content-Length: 5\r\nExpect: 100-continue\r\n"))
    assert reader.readline() == b"HTTP/1.1 100 Continue\r\n"
    assert reader.readline() == b"\r\n"
    sock.sendall(b"hello")
    line, headers, body = read_answer(reader)
    assert line == b"HTTP/1.1 200 OK"
    assert headers == json_headers(body, date=dict(headers)[b"date"])
    seen, expected = echoed(body, method="POST", body="hello")
    assert seen == expected


def test_expect_100_continue_is_not_answered_to_http10(live):
    """RFC 9110, 10.1.1: a server MUST ignore a 100-continue expectation in an HTTP/1.0 request."""
    sock, reader = live.connect()
    head = "Content-Length: 5\r\nExpect: 100-continue\r\nConnection: keep-alive\r\n"
    sock.sendall(get("/echo", method="POST", version="1.0", headers=head) + b"hello")
    first = reader.readline()
    assert first == b"HTTP/1.1 200 OK\r\n", f"an HTTP/1.0 client was sent {first!r}"


def test_100_continue_of_a_pipelined_request_waits_for_the_answers_before_it(live):
    """RFC 9112, 9.3.2: answers in request order, so the 100 of a second request follows the first's answer."""
    sock, reader = live.connect()
    sock.sendall(
        get("/slow?200") + get("/echo", method="POST", headers="Content-Length: 2\r\nExpect: 100-continue\r\n")
    )
    first = reader.readline()
    assert first == b"HTTP/1.1 200 OK\r\n", f"the first request's answer was preceded by {first!r}"


# ---------------------------------------------------------------------------------- refusals


def test_content_length_over_max_body_is_refused_413_and_closed(live, monkeypatch):
    monkeypatch.setattr(http, "MAX_BODY", 1000)
    sock, reader = live.connect()
    sock.sendall(get("/echo", method="POST", headers="Content-Length: 1001\r\nExpect: 100-continue\r\n"))
    wire = reader.read()  # all the server sends, up to its close
    assert wire.startswith(TOO_LARGE + b"\r\n")  # no 100 Continue first
    rest = io.BytesIO(wire)
    line, headers, body = read_answer(rest)
    assert rest.read() == b""
    assert line == TOO_LARGE
    assert [name for name, _ in headers] == [b"content-type", b"content-length", b"date", b"connection"]
    assert dict(headers)[b"content-type"] == b"text/plain; charset=utf-8"
    assert dict(headers)[b"connection"] == b"close"
    assert body == b"the request body is over 1,000 bytes\n"
    assert live.site.quiet(0.1)  # the handler never saw it


def test_chunked_body_growing_over_max_body_is_refused_413(live, monkeypatch):
    monkeypatch.setattr(http, "MAX_BODY", 1000)
    sock, reader = live.connect()
    chunk = b"258\r\n" + b"a" * 600 + b"\r\n"  # 0x258 = 600 bytes
    sock.sendall(get("/echo", method="POST", headers="Transfer-Encoding: chunked\r\n") + chunk * 2 + b"0\r\n\r\n")
    line, headers, body = read_answer(reader)
    assert line == TOO_LARGE
    assert dict(headers)[b"connection"] == b"close"
    assert body.startswith(b"the request body is over ")
    assert reader.read() == b""
    assert live.site.quiet(0.1)


def test_chunked_body_under_max_body_is_echoed_whole(live, monkeypatch):
    monkeypatch.setattr(http, "MAX_BODY", 1000)
    sock, reader = live.connect()
    chunks = b"3\r\nabc\r\n" + b"1f4\r\n" + b"d" * 500 + b"\r\n0\r\n\r\n"  # 0x1f4 = 500
    sock.sendall(get("/echo", method="POST", headers="Transfer-Encoding: chunked\r\n") + chunks)
    line, headers, body = read_answer(reader)
    assert line == b"HTTP/1.1 200 OK"
    seen, expected = echoed(body, method="POST", body="abc" + "d" * 500)
    assert seen == expected


def test_body_of_exactly_max_body_bytes_is_accepted(live, monkeypatch):
    """MAX_BODY bounds the body: the request line and headers must not count towards it."""
    monkeypatch.setattr(http, "MAX_BODY", 1000)
    sock, reader = live.connect()
    sock.sendall(post("/echo", b"b" * 1000))
    line, headers, body = read_answer(reader)
    assert line == b"HTTP/1.1 200 OK", f"a body of MAX_BODY bytes was answered {line!r}: {body!r}"
    seen, expected = echoed(body, method="POST", body="b" * 1000)
    assert seen == expected


def test_request_head_over_max_head_is_refused_431_and_closed(live, monkeypatch):
    monkeypatch.setattr(http, "MAX_HEAD", 1000)
    for request in (get("/echo?" + "q" * 1100), get("/echo", headers=f"X-Test: {'h' * 1100}\r\n")):
        sock, reader = live.connect()
        sock.sendall(request)
        line, headers, body = read_answer(reader)
        assert line == b"HTTP/1.1 431 Request Header Fields Too Large"
        assert dict(headers)[b"connection"] == b"close"
        assert dict(headers)[b"content-type"] == b"text/plain; charset=utf-8"
        assert body.startswith(b"the request line and headers are over ")
        assert reader.read() == b""
    assert live.site.quiet(0.1)
    # Just under the limit is fine.
    sock, reader = live.connect()
    sock.sendall(get("/echo?" + "q" * 900))
    assert read_answer(reader)[0] == b"HTTP/1.1 200 OK"


def test_malformed_request_is_refused_400_and_closed(live):
    sock, reader = live.connect()
    sock.sendall(b"GARBAGE\r\n\r\n")
    line, headers, body = read_answer(reader)
    assert line == b"HTTP/1.1 400 Bad Request"
    assert [name for name, _ in headers] == [b"content-type", b"content-length", b"date", b"connection"]
    assert dict(headers)[b"content-type"] == b"text/plain; charset=utf-8"
    assert dict(headers)[b"connection"] == b"close"
    assert body.startswith(b"malformed HTTP request: ") and body.endswith(b"\n")
    assert reader.read() == b""
    # The server goes on.
    sock, reader = live.connect()
    sock.sendall(get("/echo"))
    seen, expected = echoed(read_answer(reader)[2])
    assert seen == expected


def test_request_read_before_malformed_bytes_is_answered_then_the_refusal(live):
    """A good request pipelined ahead of garbage was read whole: it is answered, then the 400."""
    sock, reader = live.connect()
    sock.sendall(get("/slow?100") + b"GARBAGE\r\n\r\n")
    line, headers, body = read_answer(reader)
    assert (line, body) == (b"HTTP/1.1 200 OK", b"slept 100")
    assert [name for name, _ in headers] == [b"content-length", b"date"]
    line, headers, body = read_answer(reader)
    assert line == b"HTTP/1.1 400 Bad Request"
    assert dict(headers)[b"connection"] == b"close"
    assert body.startswith(b"malformed HTTP request: ")
    assert reader.read() == b""


def test_nothing_follows_an_answer_with_connection_close(live):
    """Bytes after a request that closes the connection (HTTP/1.0 without keep-alive) are not answered."""
    sock, reader = live.connect()
    sock.sendall(get("/echo", version="1.0") + b"GARBAGE\r\n\r\n")
    line, headers, body = read_answer(reader)
    assert line == b"HTTP/1.1 200 OK"
    assert dict(headers)[b"connection"] == b"close"
    rest = reader.read()
    assert rest == b"", f"after an answer with connection: close the server sent {rest!r}"


# ---------------------------------------------------------------------------------- requests


def test_head_is_answered_like_get_without_the_body(live):
    sock, reader = live.connect()
    sock.sendall(get("/hello", method="HEAD") + get("/hello"))  # one write: a stray body would show
    head_line, head_headers, nothing = read_answer(reader, head=True)
    line, headers, body = read_answer(reader)
    assert (head_line, line, nothing, body) == (b"HTTP/1.1 200 OK", b"HTTP/1.1 200 OK", b"", HELLO)
    expected = [(b"content-type", b"text/plain"), (b"x-a", b"1"), (b"content-length", b"12")]
    assert head_headers[:3] == headers[:3] == expected
    assert [name for name, _ in head_headers[3:]] == [name for name, _ in headers[3:]] == [b"date"]


def test_path_is_percent_decoded_and_query_passed_raw(live):
    sock, reader = live.connect()
    sock.sendall(get("/ech%6F?a=%20b&c=%2F"))
    seen, expected = echoed(read_answer(reader)[2], query="a=%20b&c=%2F")
    assert seen == expected


def test_absolute_form_target_gives_path_and_query(live):
    sock, reader = live.connect()
    sock.sendall(get(f"http://127.0.0.1:{live.port}/echo?x=1") + get(f"http://127.0.0.1:{live.port}/ech%6F"))
    seen, expected = echoed(read_answer(reader)[2], query="x=1")
    assert seen == expected
    seen, expected = echoed(read_answer(reader)[2])
    assert seen == expected


def test_handler_failure_is_answered_500_and_the_connection_goes_on(live, caplog):
    sock, reader = live.connect()
    sock.sendall(get("/fail"))
    line, headers, body = read_answer(reader)
    assert line == b"HTTP/1.1 500 Internal Server Error"
    assert headers[:2] == [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"%d" % len(body))]
    assert [name for name, _ in headers] == [b"content-type", b"content-length", b"date"]  # kept alive
    named = re.fullmatch(rb"the server failed to answer this request \(error ([0-9a-f]{8})\); see its log\n", body)
    assert named, body
    # The log has the traceback under the id the answer names.
    (record,) = [r for r in caplog.records if named[1].decode() in r.getMessage()]
    assert record.getMessage() == f"error {named[1].decode()} answering GET /fail"
    assert record.exc_info[0] is RuntimeError and str(record.exc_info[1]) == "the handler failed"
    sock.sendall(get("/echo"))
    seen, expected = echoed(read_answer(reader)[2])
    assert seen == expected


def test_upgrade_is_answered_in_http11_and_closed(live):
    sock, reader = live.connect()
    upgrade = "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"
    sock.sendall(get("/hello", headers=upgrade) + b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    line, headers, body = read_answer(reader)
    assert line == b"HTTP/1.1 200 OK"
    assert headers[:3] == [(b"content-type", b"text/plain"), (b"x-a", b"1"), (b"content-length", b"12")]
    assert [name for name, _ in headers[3:]] == [b"date", b"connection"]
    assert dict(headers)[b"connection"] == b"close"
    assert body == HELLO
    assert reader.read() == b""


# ---------------------------------------------------------------------------------- leaving, idling, stopping


def test_request_whose_client_left_is_cancelled_after_the_grace(live, monkeypatch):
    monkeypatch.setattr(http, "LEAVE_GRACE", 0.2)
    sock = socket.create_connection(("127.0.0.1", live.port), timeout=5)
    sock.sendall(get("/wait"))
    kind, path, began = live.site.next()
    assert (kind, path) == ("begin", "/wait")
    sock.close()
    kind, path, cancelled = live.site.next()
    assert (kind, path) == ("cancelled", "/wait")
    assert 0.18 <= cancelled - began < 1.0  # not before the grace


def test_request_whose_client_left_after_the_grace_is_cancelled_at_once(live, monkeypatch):
    monkeypatch.setattr(http, "LEAVE_GRACE", 0.2)
    sock = socket.create_connection(("127.0.0.1", live.port), timeout=5)
    sock.sendall(get("/wait"))
    assert live.site.next()[:2] == ("begin", "/wait")
    time.sleep(0.3)  # past the grace
    left = time.monotonic()
    sock.close()
    kind, path, cancelled = live.site.next()
    assert (kind, path) == ("cancelled", "/wait")
    assert cancelled - left < 0.15


def test_request_whose_client_left_finishes_within_the_grace(live, monkeypatch):
    monkeypatch.setattr(http, "LEAVE_GRACE", 0.2)
    sock = socket.create_connection(("127.0.0.1", live.port), timeout=5)
    sock.sendall(get("/slow?50"))
    assert live.site.next()[:2] == ("begin", "/slow")
    sock.close()
    assert live.site.next()[:2] == ("end", "/slow")
    assert live.site.quiet(0.3)  # no cancellation
    # The server goes on.
    sock, reader = live.connect()
    sock.sendall(get("/hello"))
    assert read_answer(reader)[2] == HELLO


def test_idle_connections_are_closed_after_keep_alive(live, monkeypatch):
    monkeypatch.setattr(http, "KEEP_ALIVE", 0.3)
    used, used_reader = live.connect()
    used.sendall(get("/hello"))
    assert read_answer(used_reader)[2] == HELLO
    _, silent_reader = live.connect()  # never sends a request
    start = time.monotonic()
    assert used_reader.read() == b""
    assert silent_reader.read() == b""
    assert 0.3 <= time.monotonic() - start < 2.5  # the sweep runs once a second


def test_shutdown_answers_running_requests_closes_idle_ones_and_accepts_no_more(live):
    busy, busy_reader = live.connect()
    idle, idle_reader = live.connect()
    idle.sendall(get("/hello"))
    assert read_answer(idle_reader)[2] == HELLO
    busy.sendall(get("/slow?300"))
    assert live.site.next()[:2] == ("begin", "/hello")
    assert live.site.next()[:2] == ("begin", "/slow")
    stopped = live.run(live.server.shutdown(2.0))
    assert idle_reader.read() == b""
    with pytest.raises(ConnectionRefusedError):  # the listening socket is closed
        socket.create_connection(("127.0.0.1", live.port), timeout=5).close()
    line, headers, body = read_answer(busy_reader)
    assert (line, body) == (b"HTTP/1.1 200 OK", b"slept 300")
    assert [name for name, _ in headers] == [b"content-length", b"date", b"connection"]
    assert dict(headers)[b"connection"] == b"close"
    assert busy_reader.read() == b""
    stopped.result(5)
    assert not live.server.connections


def test_shutdown_closes_requests_outlasting_the_grace(live, monkeypatch):
    monkeypatch.setattr(http, "LEAVE_GRACE", 0.2)
    sock, reader = live.connect()
    sock.sendall(get("/wait"))
    assert live.site.next()[:2] == ("begin", "/wait")
    start = time.monotonic()
    live.run(live.server.shutdown(0.3)).result(5)
    assert reader.read() == b""  # no answer
    assert 0.25 <= time.monotonic() - start < 2.0
    assert live.site.next()[:2] == ("cancelled", "/wait")


# ---------------------------------------------------------------------------------- access log


def test_access_log_has_one_line_per_request(serve, caplog):
    caplog.set_level(logging.INFO, logger="chaingraph.serve")
    live = serve(access_log=True)
    sock, reader = live.connect()
    sock.sendall(get("/echo?a=1") + get("/fail") + get("/hello", method="HEAD"))
    assert [read_answer(reader, head=i == 2)[0] for i in range(3)] == [
        b"HTTP/1.1 200 OK",
        b"HTTP/1.1 500 Internal Server Error",
        b"HTTP/1.1 200 OK",
    ]

    def lines():
        return [r.getMessage() for r in caplog.records if r.name == "chaingraph.serve" and r.levelno == logging.INFO]

    deadline = time.monotonic() + 5  # the line is logged just after the answer is written
    while len(lines()) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    client = f"127.0.0.1:{sock.getsockname()[1]}"
    assert lines() == [
        f'{client} - "GET /echo?a=1" 200',
        f'{client} - "GET /fail" 500',
        f'{client} - "HEAD /hello" 200',
    ]


def test_no_access_log_unless_asked(live, caplog):
    caplog.set_level(logging.INFO, logger="chaingraph.serve")
    sock, reader = live.connect()
    sock.sendall(get("/hello"))
    assert read_answer(reader)[2] == HELLO
    sock.sendall(get("/hello"))  # the first request's turn is over once the second is answered
    assert read_answer(reader)[2] == HELLO
    assert [r for r in caplog.records if r.name == "chaingraph.serve"] == []
