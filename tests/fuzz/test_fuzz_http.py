"""Any HTTP request to a real ``chaingraph serve`` on 127.0.0.1, sent over a raw socket: methods,
targets, query strings, headers and bodies drawn at random, and bytes that are no request at all.

The server answers each request with one well-formed HTTP answer (or closes on bytes it cannot
read), never a 5xx for what a client sent, in the format its ``Content-Type`` declares; it calls
nobody (the outbound listener stays silent); and after all of it, every serving process it started
with is still there and a normal query gets its answer.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import re
import socket
import time
import xml.etree.ElementTree as ET
from urllib.parse import quote_from_bytes

import pyoxigraph as ox
import pytest
from fuzz_support import SHORT_TEXT, fuzz
from hypothesis import given
from hypothesis import strategies as st
from sparql_strategies import any_query, deep_nesting, grammar_queries
from test_serve import Server, children

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

_STATUS_LINE = re.compile(rb"HTTP/1\.1 ([1-5]\d\d) [^\r\n]*\r\n")
_HEADER_LINE = re.compile(rb"([!#$%&'*+.^_`|~0-9a-z-]+): ([^\r\n]*)\r\n")
#: Header names whose value frames the request: set by the test, so that every request is complete.
_FRAMING = {"content-length", "transfer-encoding", "connection", "expect", "upgrade", "host"}

METHODS = st.one_of(
    st.sampled_from(["GET", "GET", "POST", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "TRACE", "get"]),
    st.from_regex(r"[A-Z]{1,12}", fullmatch=True),
)
PATHS = st.one_of(
    st.sampled_from(["/query", "/query", "/sparql", "/update", "/", "/queries", "/query/", "//query", "/%71uery"]),
    st.sampled_from(["/nope", "*", "/..%2f..%2fetc/passwd", "/%00", "/%ff", "/query;x", "http://127.0.0.1/query"]),
    st.from_regex(r"/[A-Za-z0-9%._~!$&'()*+,;=:@/-]{0,30}", fullmatch=True),
)
FORMATS = ("json", "xml", "csv", "tsv", "turtle", "nt", "jsonld", "rdfxml", "json-ld", "bogus", "", "JSON")
GRAPH_IRIS = ("urn:x", "https://w3id.org/chaingraph/graph/relations", "http://exa mple.org/<bad>", "", "not an iri")
ACCEPTS = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
    "text/turtle",
    "application/n-triples",
    "application/ld+json",
    "application/rdf+xml",
    "application/json",
    "application/xml",
    "text/xml",
    "text/plain",
    "text/html",
    "*/*",
    "text/*",
    "image/png",
    "application/sparql-results+json;q=0",
    "*/*;q=abc",
    ",,,",
    "x/y;q=0.5, application/*;q=1.5",
)
CONTENT_TYPES = (
    "application/x-www-form-urlencoded",
    "application/sparql-query",
    "application/sparql-update",
    "APPLICATION/SPARQL-QUERY; charset=latin-1",
    "application/x-www-form-urlencoded; charset=utf-16",
    "multipart/form-data; boundary=x",
    "text/plain",
    "",
)
HEADER_VALUE = st.binary(max_size=60).filter(lambda value: not set(value) & {0, 10, 13})
HEADER_NAME = st.from_regex(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,20}", fullmatch=True).filter(
    lambda name: name.lower() not in _FRAMING
)


def _text(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")


@functools.cache
def parameters(port: int) -> st.SearchStrategy[bytes]:
    """A query string or form: SPARQL, formats, dataset IRIs, flags and odd names, percent-encoded or raw."""
    value = {
        "query": any_query(port),
        "update": st.one_of(
            st.just("INSERT DATA { <urn:a> <urn:b> <urn:c> }"), st.just(f"LOAD <http://127.0.0.1:{port}/>")
        ),
        "format": st.sampled_from(FORMATS),
        "default-graph-uri": st.sampled_from(GRAPH_IRIS),
        "named-graph-uri": st.sampled_from(GRAPH_IRIS),
        "truncate": st.sampled_from(["true", "1", "no", "TRUE", ""]),
    }
    pair = st.one_of(
        *(st.tuples(st.just(name), strategy) for name, strategy in value.items()),
        st.tuples(SHORT_TEXT, SHORT_TEXT),
    )
    encoded = st.lists(pair, max_size=4).map(
        lambda pairs: b"&".join(
            quote_from_bytes(_text(n)).encode() + b"=" + quote_from_bytes(_text(v)).encode() for n, v in pairs
        )
    )
    raw = st.binary(max_size=200).filter(lambda data: not set(data) & {9, 10, 13, 32, 35})
    return st.one_of(
        encoded,
        encoded,
        raw,
        st.builds(lambda a, b: a + b"&" + b, encoded, st.sampled_from([b"%", b"%zz", b"=", b"&&", b"query", b"+"])),
    )


def _request(method: str, target: bytes, headers: list[tuple[str, bytes]], body: bytes) -> tuple[str, bytes]:
    """(method, the bytes of a complete request that asks for the connection to close)."""
    lines = [b"%s %s HTTP/1.1" % (method.encode(), target), b"Host: 127.0.0.1"]
    lines += [name.encode() + b": " + value for name, value in headers]
    lines += [b"Content-Length: %d" % len(body), b"Connection: close"]
    return method, b"\r\n".join(lines) + b"\r\n\r\n" + body


@functools.cache
def protocol_requests(port: int) -> st.SearchStrategy[tuple[str, bytes]]:
    """Requests as SPARQL clients send them (GET with ``query=``, POST as a form or a direct body),
    with any query, format, dataset and Accept header: the ones that reach the evaluator."""
    query = st.one_of(grammar_queries(port), grammar_queries(port), any_query(port), deep_nesting())
    options = st.lists(
        st.one_of(
            st.tuples(st.just("format"), st.sampled_from(FORMATS)),
            st.tuples(st.sampled_from(["default-graph-uri", "named-graph-uri"]), st.sampled_from(GRAPH_IRIS)),
            st.tuples(st.just("truncate"), st.sampled_from(["true", "no"])),
        ),
        max_size=2,
    )
    form = st.builds(
        lambda query, pairs: b"&".join(
            quote_from_bytes(_text(name)).encode() + b"=" + quote_from_bytes(_text(value)).encode()
            for name, value in [("query", query), *pairs]
        ),
        query,
        options,
    )
    accept = st.lists(st.tuples(st.just("Accept"), st.sampled_from(ACCEPTS).map(str.encode)), max_size=2)
    form_type = [("Content-Type", b"application/x-www-form-urlencoded")]
    return st.one_of(
        st.builds(lambda q, a: _request("GET", b"/query?" + q, a, b""), form, accept),
        st.builds(lambda q, a: _request("POST", b"/sparql", a + form_type, q), form, accept),
        st.builds(
            lambda q, a: _request("POST", b"/query", [*a, ("Content-Type", b"application/sparql-query")], _text(q)),
            query,
            accept,
        ),
    )


@functools.cache
def any_requests(port: int) -> st.SearchStrategy[tuple[str, bytes]]:
    """Requests with every part drawn: method, target, query string, headers (names and bytes), body."""
    headers = st.lists(
        st.one_of(
            st.tuples(st.just("Accept"), st.sampled_from(ACCEPTS).map(str.encode)),
            st.tuples(st.just("Content-Type"), st.sampled_from(CONTENT_TYPES).map(str.encode)),
            st.tuples(st.sampled_from(["Authorization", "Origin", "Access-Control-Request-Method"]), HEADER_VALUE),
            st.tuples(st.just("Access-Control-Request-Headers"), HEADER_VALUE),
            st.tuples(HEADER_NAME, HEADER_VALUE),
        ),
        max_size=5,
    )
    body = st.one_of(
        st.just(b""),
        parameters(port),
        any_query(port).map(_text),
        grammar_queries(port).map(lambda query: query.encode("utf-16", "surrogatepass")),
        st.binary(max_size=4096),
    )
    target = st.builds(
        lambda path, query: path.encode() + (b"?" + query if query is not None else b""),
        PATHS,
        st.one_of(st.none(), parameters(port)),
    )
    return st.builds(_request, METHODS, target, headers, body)


def read_until_closed(sock: socket.socket, *, silence: float | None = None) -> bytes:
    """Everything the server sends until it closes; with ``silence``, stop writing once it has been
    quiet that long (a request it waits to hear the end of), and read on until it closes."""
    received = bytearray()
    sock.settimeout(silence or 30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            if silence is None:
                break
            sock.shutdown(socket.SHUT_WR)  # the end of what the client had to say
            sock.settimeout(10)
            silence = None
            continue
        except ConnectionResetError:  # closed before reading all the client sent: the kernel resets
            return bytes(received)
        if not chunk:
            return bytes(received)
        received += chunk
    pytest.fail(f"the server kept the connection open; it sent {bytes(received[:300])!r}")


def answers(data: bytes, *, head: bool = False) -> list[tuple[int, dict[bytes, bytes], bytes]]:
    """The answers in ``data``, each (status, headers, body); fails on anything that is not HTTP/1.1."""
    found = []
    while data:
        status_line = _STATUS_LINE.match(data)
        assert status_line, f"not an HTTP answer: {data[:200]!r}"
        position, headers = status_line.end(), {}
        while not data.startswith(b"\r\n", position):
            header = _HEADER_LINE.match(data, position)
            assert header, f"malformed header at {data[position : position + 100]!r}"
            headers[header.group(1)] = header.group(2)
            position = header.end()
        position += 2
        status = int(status_line.group(1))
        if status < 200:  # an interim answer: the final one follows
            data = data[position:]
            continue
        length = 0 if status in (204, 304) else int(headers[b"content-length"])
        # A HEAD answer has no body, unless the request could not be read (then the server could not
        # know it was a HEAD): a refusal with its message, then the close.
        if head and not (status in (400, 413, 431) and len(data) - position == length):
            length = 0
        body = data[position : position + length]
        assert len(body) == length, f"a body of {len(body)} bytes, not the {length} announced"
        found.append((status, headers, body))
        data = data[position + length :]
    return found


def check_body(content_type: bytes, body: bytes) -> None:
    """``body`` reads as the media type it is declared to be."""
    media = content_type.split(b";")[0].strip().decode("latin-1")
    results = {
        "application/sparql-results+json": ox.QueryResultsFormat.JSON,
        "application/sparql-results+xml": ox.QueryResultsFormat.XML,
        "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    }
    graphs = {
        "text/turtle": ox.RdfFormat.TURTLE,
        "application/n-triples": ox.RdfFormat.N_TRIPLES,
        "application/ld+json": ox.RdfFormat.JSON_LD,
        "application/rdf+xml": ox.RdfFormat.RDF_XML,
    }
    if media in results:
        if media.endswith("json"):
            json.loads(body)
        elif media.endswith("xml"):
            ET.fromstring(body)  # a strict XML 1.0 parser, as SPARQLWrapper's
        parsed = ox.parse_query_results(body, format=results[media])
        if isinstance(parsed, ox.QuerySolutions):
            list(parsed)
    elif media in graphs:
        if media == "application/ld+json":
            json.loads(body)
        elif media == "application/rdf+xml":
            ET.fromstring(body)
        list(ox.parse(body, format=graphs[media]))
    elif media == "text/csv":
        list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    elif media == "application/json":
        json.loads(body)
    elif media in ("text/plain", "text/html"):
        body.decode("utf-8")
    else:
        pytest.fail(f"an answer of an undeclared type {content_type!r}")


@pytest.fixture(scope="module")
def server(welding_store):
    running = Server(welding_store, "--timeout", "2", "--max-rows", "50", "--workers", "2")
    yield running
    running.stop()


def exchange(server: Server, request: bytes, *, silence: float | None = None) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # refused early: its answer is read below
            sock.sendall(request)
        return read_until_closed(sock, silence=silence)


@fuzz(200, shrink=False)
@given(data=st.data())
def test_every_request_gets_one_well_formed_answer_never_5xx(server, listener, data):
    port = listener.port
    method, request = data.draw(st.one_of(protocol_requests(port), protocol_requests(port), any_requests(port)))
    received = exchange(server, request)
    listener.check_silent()
    found = answers(received, head=method == "HEAD")
    assert len(found) == 1, f"{len(found)} answers to one request"
    status, headers, body = found[0]
    assert status < 500, f"{status} for {request[:500]!r}: {body[:500]!r}"
    if status == 200 and method != "HEAD":
        check_body(headers.get(b"content-type", b""), body)
    elif body:
        body.decode("utf-8")  # an error message


@fuzz(40, shrink=False)
@given(query=deep_nesting(), accept=st.sampled_from(ACCEPTS[:3]))
def test_deeply_nested_queries_are_answered_or_refused_and_the_process_lives(server, query, accept):
    request = _request(
        "POST", b"/query", [("Content-Type", b"application/sparql-query"), ("Accept", accept.encode())], query.encode()
    )[1]
    found = answers(exchange(server, request))
    assert len(found) == 1, f"no answer to {query[:60]!r}... ({len(query)} characters)"
    status, headers, body = found[0]
    assert status in (200, 400), f"{status}: {body[:300]!r}"
    if status == 200:
        check_body(headers[b"content-type"], body)


RAW_STARTS = (
    b"",
    b"GET /query?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /query HTTP/1.1\r\nContent-Type: application/sparql-query\r\n",
    b"GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\n",
    b"GET / HTTP/1.0\r\n",
    b"GET /query?query=",
)


@fuzz(40, shrink=False)
@given(start=st.sampled_from(RAW_STARTS), noise=st.binary(max_size=2000), end=st.sampled_from([b"", b"\r\n\r\n"]))
def test_bytes_that_are_no_request_get_a_400_or_a_close(server, listener, start, noise, end):
    received = exchange(server, start + noise + end, silence=0.5)
    listener.check_silent()
    for status, _, body in answers(received):
        assert status < 500, f"{status} for {start + noise!r}: {body[:300]!r}"


def test_the_server_still_serves_with_every_process_it_started_with(server):
    """Last in the module: after the fuzzing, no serving process died or retired, nothing was logged as
    a failure, and a normal query gets its answer."""
    query = quote_from_bytes(
        b"SELECT ?l WHERE { <https://w3id.org/chaingraph/id/cip/48.0508> ?p ?l FILTER(isLiteral(?l)) }"
    )
    request = f"GET /query?query={query} HTTP/1.1\r\nHost: x\r\nAccept: text/csv\r\nConnection: close\r\n\r\n"
    [(status, _, body)] = answers(exchange(server, request.encode()))
    assert status == 200 and "Welding Technology" in body.decode("utf-8")
    assert children(server.process.pid) == server.workers
    assert "Traceback" not in server.output()
