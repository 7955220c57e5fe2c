"""``chaingraph serve`` and ``chaingraph query`` against hostile literals and clients: real servers on
127.0.0.1 over a real store, real sockets. Every literal comes back through every result format
(XML carries what XML 1.0 can), a bad dataset IRI is a 400, a server error leaves its traceback in
the log and none in the answer, a client sending a byte at a time or nothing is closed, one client's
heavy queries do not hold back another client's quick one, and a short update token is warned of."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import shutil
import socket
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
from http.client import HTTPConnection
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.plugins.sparql.results.tsvresults import TSVResultParser
from test_serve import RUNAWAY, Server, get, wait_for
from typer.testing import CliRunner

from chaingraph.cli import app
from chaingraph.serve.evaluator import Evaluator, QueryTimeout
from chaingraph.store import open_store

EX = "http://example.org/"
VALUE = EX + "value"
LITERAL_GRAPH = EX + "graph/literals"
SELECT = f"SELECT ?item ?value WHERE {{ ?item <{VALUE}> ?value }}"
CONSTRUCT = f"CONSTRUCT {{ ?item <{VALUE}> ?value }} WHERE {{ ?item <{VALUE}> ?value }}"
LONG_TOKEN = "a-long-enough-update-token-0123456789"
SPARQL_RESULTS = "{http://www.w3.org/2005/sparql-results#}"

# Made by hand: what broke XML answers (control characters), what trips writers of other formats
# (quotes, separators, line breaks, markup, CDATA ends), and text beyond ASCII. No lone surrogate:
# RDF text is Unicode scalar values, so no store can hold one (pyoxigraph refuses it).
LITERALS = [
    "plain",
    "tab\there",
    "line\nbreak",
    "carriage\rreturn",
    "crlf\r\n",
    "bell\x07",
    "nul\x00",
    "escape \x1b[31mred",
    "vertical\x0b and form\x0c feeds",
    "unit\x1f separator",
    "delete\x7f and C1 \x85\x9f",
    "non-characters \ufffe\uffff",
    "emoji 😀 👩\u200d🔧",
    "中文 标签 焊接",
    "quotes \" ' `",
    "]]>",
    "<script>alert(1)</script>",
    "&amp; &#0; &lt;",
    "back\\slash",
    "separators\u2028\u2029",
    'comma, semicolon; and "quoted"',
    " spaced ",
    "[/bold] markup",
    "",
]
# A few with a language tag, written another way in every format (an attribute in XML).
TAGGED = {f"{EX}tagged/0": ("tab\tand bell\x07", "en"), f"{EX}tagged/1": ("焊接\r\n", "zh")}
ITEMS = {f"{EX}literal/{n}": text for n, text in enumerate(LITERALS)} | {k: text for k, (text, _) in TAGGED.items()}


def xml_carries(text: str) -> str:
    """``text`` as an XML answer carries it: what XML 1.0 forbids replaced by U+FFFD."""
    forbidden = {*(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"), "\ufffe", "\uffff"}
    return "".join("\ufffd" if c in forbidden else c for c in text)


XML_ITEMS = {item: xml_carries(text) for item, text in ITEMS.items()}


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """The literals, and 300 filler triples for heavy queries (a four-way join of them never ends)."""
    path = tmp_path_factory.mktemp("hardening") / "store"
    literals, filler = ox.NamedNode(LITERAL_GRAPH), ox.NamedNode(EX + "graph/filler")
    tags = {item: language for item, (_, language) in TAGGED.items()}
    with open_store(path).transaction() as db:
        db.extend(
            ox.Quad(ox.NamedNode(item), ox.NamedNode(VALUE), ox.Literal(text, language=tags.get(item)), literals)
            for item, text in ITEMS.items()
        )
        db.extend(
            ox.Quad(ox.NamedNode(f"{EX}filler/{n}"), ox.NamedNode(EX + "n"), ox.Literal(n), filler) for n in range(300)
        )
    return path


@pytest.fixture(scope="module")
def server(store):
    running = Server(store, "--workers", "1", "--allow-update", "--update-token", LONG_TOKEN)
    yield running
    running.stop()


# ---------------------------------------------------------------------- parsing answers back


def from_json(body: bytes) -> dict[str, str]:
    bindings = json.loads(body)["results"]["bindings"]
    return {b["item"]["value"]: b["value"]["value"] for b in bindings}


def from_xml(body: bytes) -> dict[str, str]:
    found = {}
    for result in ET.fromstring(body).iter(SPARQL_RESULTS + "result"):
        bound = {b.get("name"): b[0] for b in result.iter(SPARQL_RESULTS + "binding")}
        found[bound["item"].text] = bound["value"].text or ""
    return found


def from_csv(body: bytes) -> dict[str, str]:
    header, *rows = csv.reader(io.StringIO(body.decode("utf-8"), newline=""))
    assert header == ["item", "value"]
    return dict(rows)


def from_tsv(body: bytes) -> dict[str, str]:
    result = TSVResultParser().parse(io.StringIO(body.decode("utf-8")))
    return {str(b[rdflib.Variable("item")]): str(b[rdflib.Variable("value")]) for b in result.bindings}


RESULT_FORMATS = {
    "json": ("application/sparql-results+json", from_json, ITEMS),
    "xml": ("application/sparql-results+xml", from_xml, XML_ITEMS),
    "csv": ("text/csv", from_csv, ITEMS),
    "tsv": ("text/tab-separated-values", from_tsv, ITEMS),
}
GRAPH_FORMATS = {
    "turtle": ("text/turtle", ITEMS),
    "nt": ("application/n-triples", ITEMS),
    "json-ld": ("application/ld+json", ITEMS),
    "xml": ("application/rdf+xml", XML_ITEMS),  # rdflib's name for RDF/XML
}


class TestEveryLiteralInEveryFormat:
    def test_no_literal_holds_a_lone_surrogate(self):
        with pytest.raises(ValueError):
            ox.Literal("\ud800")

    @pytest.mark.parametrize("truncate", [False, True], ids=["pyoxigraph-writes", "rows-written-here"])
    @pytest.mark.parametrize("fmt", RESULT_FORMATS)
    def test_select_answers_parse_back(self, server, fmt, truncate):
        accept, parse, expected = RESULT_FORMATS[fmt]
        params = {"truncate": "true"} if truncate else {}
        status, headers, body = get(server, SELECT, accept=accept, **params)
        assert status == 200, body
        assert headers["content-type"].startswith(accept)
        assert parse(body) == expected

    def test_sparqlwrapper_reads_the_xml_answer(self, server):
        from SPARQLWrapper import XML, SPARQLWrapper

        client = SPARQLWrapper(server.url + "/query")
        client.setQuery(SELECT)
        client.setReturnFormat(XML)
        document = client.query().convert()  # xml.dom.minidom: failed on the control characters before
        found = {}
        for result in document.getElementsByTagName("result"):
            bound = {b.getAttribute("name"): b for b in result.getElementsByTagName("binding")}
            item = bound["item"].getElementsByTagName("uri")[0].firstChild.data
            nodes = bound["value"].getElementsByTagName("literal")[0].childNodes
            found[item] = "".join(node.data for node in nodes)
        assert found == XML_ITEMS

    @pytest.mark.parametrize("fmt", GRAPH_FORMATS)
    def test_construct_answers_parse_back(self, server, fmt):
        accept, expected = GRAPH_FORMATS[fmt]
        status, headers, body = get(server, CONSTRUCT, accept=accept)
        assert status == 200, body
        graph = rdflib.Graph().parse(data=body, format=fmt)
        assert {str(s): str(o) for s, o in graph.subject_objects(rdflib.URIRef(VALUE))} == expected

    @pytest.mark.parametrize("fmt", RESULT_FORMATS)
    def test_cli_query_writes_documents_that_parse_back(self, store, fmt):
        _, parse, expected = RESULT_FORMATS[fmt]
        result = CliRunner().invoke(app, ["query", SELECT, "--store", str(store), "--format", fmt])
        assert result.exit_code == 0, result.output
        assert parse(result.stdout_bytes) == expected

    def test_cli_table_shows_literals_as_text(self, store):
        items = " ".join(
            f"<{item}>" for item, text in ITEMS.items() if text in ("escape \x1b[31mred", "[/bold] markup")
        )
        sparql = f"SELECT ?value WHERE {{ VALUES ?item {{ {items} }} ?item <{VALUE}> ?value }} ORDER BY ?value"
        result = CliRunner().invoke(app, ["query", sparql, "--store", str(store)])
        assert result.exit_code == 0, result.output  # "[/bold]" was read as a closing tag: a traceback
        assert "[/bold] markup" in result.stdout
        assert "escape \\x1b[31mred" in result.stdout  # shown, not sent to the terminal
        assert "\x1b" not in result.stdout


class TestDatasetParameters:
    @pytest.mark.parametrize("parameter", ["default-graph-uri", "named-graph-uri"])
    @pytest.mark.parametrize("value", ["not an iri", "http://exa mple.org/g", "relative/path", ""])
    def test_a_value_that_is_not_an_iri_is_400_naming_the_parameter(self, server, parameter, value):
        status, headers, body = get(server, SELECT, **{parameter: value})
        assert status == 400
        assert headers["content-type"] == "text/plain; charset=utf-8"
        assert body.decode().startswith(f"{parameter} {value!r} is not an absolute IRI")

    def test_iris_choose_the_dataset(self, server):
        status, _, body = get(server, SELECT, **{"default-graph-uri": LITERAL_GRAPH})
        assert status == 200 and from_json(body) == ITEMS
        status, _, body = get(server, SELECT, **{"default-graph-uri": EX + "graph/filler"})
        assert status == 200 and from_json(body) == {}


# ---------------------------------------------------------------------- the server log


@pytest.fixture(scope="module")
def damaged(tmp_path_factory, store):
    """A server with a log file and a short update token, over a store whose live generation lost
    its files (a failure no query can cause, so it is a server error, 500)."""
    folder = tmp_path_factory.mktemp("damaged")
    copy = folder / "store"
    with open_store(copy).transaction() as db:
        db.add(ox.Quad(ox.NamedNode(EX + "a"), ox.NamedNode(VALUE), ox.Literal("a"), ox.NamedNode(LITERAL_GRAPH)))
    generation = copy / (copy / "CURRENT").read_text(encoding="utf-8").strip()
    for part in generation.iterdir():
        if part.is_dir():
            shutil.rmtree(part)
        else:
            part.unlink()
    log = folder / "serve.log"
    running = Server(copy, "--workers", "1", "--log", str(log), "--allow-update", "--update-token", "abc")
    yield running, log
    running.stop()


class TestServerLog:
    def test_a_server_error_names_an_id_whose_traceback_is_in_the_log_file(self, damaged):
        server, log = damaged
        status, _, body = get(server, "ASK {}")
        assert status == 500
        message = body.decode()
        named = re.fullmatch(r"cannot open the store: .+ \(error ([0-9a-f]{8}); see the server log\)\n", message)
        assert named, message
        assert "Traceback" not in message and "File " not in message
        written = wait_for(
            lambda: log.read_text(encoding="utf-8") if named[1] in log.read_text(encoding="utf-8") else ""
        )
        entry = written[written.index(f"error {named[1]} answering GET /query: cannot open the store") :]
        assert entry.splitlines()[1] == "Traceback (most recent call last):"
        # Standard error keeps the one line, the traceback goes to the file only.
        output = server.output()
        line = next(line for line in output.splitlines() if f"error {named[1]}" in line)
        assert line.startswith("ERROR:") and "Traceback" not in output

    def test_the_log_file_has_what_standard_error_has(self, damaged):
        server, log = damaged
        written = log.read_text(encoding="utf-8")
        assert "serving processes answering" in written and "serving processes answering" in server.output()
        # Each record with its time and process; only a traceback's lines follow one unstamped.
        stamped = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[\d+\] (INFO|WARNING|ERROR): +\S")
        records = [line for line in written.splitlines() if re.search(r"(INFO|WARNING|ERROR): ", line)]
        assert len(records) >= 3 and all(stamped.match(line) for line in records)

    def test_a_short_update_token_is_warned_of_in_one_line(self, damaged, server):
        short, log = damaged
        warnings = [line for line in short.output().splitlines() if "update token" in line]
        assert warnings == [
            "WARNING:  the update token has 3 characters: whoever guesses it can change the store; use 16 or more "
            "random ones (python -c 'import secrets; print(secrets.token_urlsafe())' makes one)"
        ]
        assert "the update token has 3 characters" in log.read_text(encoding="utf-8")
        assert "update token" not in server.output()  # the long one is not warned of

    def test_a_log_file_that_cannot_be_written_is_one_line(self, store, tmp_path):
        missing = tmp_path / "missing" / "serve.log"
        result = CliRunner().invoke(app, ["serve", "--store", str(store), "--port", "0", "--log", str(missing)])
        assert result.exit_code == 1
        assert result.output.splitlines()[-1] == f"error: {missing}: cannot write the log: No such file or directory"
        assert "Traceback" not in result.output


# ---------------------------------------------------------------------- slow and idle clients


@pytest.fixture(scope="module")
def impatient(store):
    running = Server(store, "--workers", "1", "--request-timeout", "1", "--idle-timeout", "1")
    yield running
    running.stop()


def trickle(port: int, data: bytes, pause: float) -> tuple[bytes, int]:
    """Send ``data`` a byte per ``pause`` seconds until the server answers or closes the connection:
    what it answered (empty if it only closed), and how many bytes were sent by then."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.settimeout(pause)
        for sent, byte in enumerate(data, start=1):
            try:
                sock.sendall(bytes([byte]))
                answer = sock.recv(4096)
            except TimeoutError:
                continue  # nothing from the server yet
            except (BrokenPipeError, ConnectionResetError):
                return b"", sent
            sock.settimeout(5)
            try:
                while chunk := sock.recv(4096):
                    answer += chunk
            except ConnectionResetError:
                pass
            return answer, sent
    return b"", len(data)


class TestSlowClients:
    def test_a_request_sent_a_byte_at_a_time_is_closed_while_others_are_answered(self, impatient):
        slow = f"GET /query?query={urllib.parse.quote('ASK {}')} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode() * 4
        outcome: dict = {}
        thread = threading.Thread(target=lambda: outcome.update(slow=trickle(impatient.port, slow, 0.1)))
        thread.start()
        # Meanwhile others are answered (the serving process is not held up by the slow connection).
        while thread.is_alive():
            assert get(impatient, "ASK { ?s ?p ?o }")[0] == 200
            thread.join(0.2)
        answer, sent = outcome["slow"]
        assert sent < len(slow) // 2  # closed long before the request could arrive
        if answer:  # (unless the close overtook it: then the client only sees the connection reset)
            assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer
            assert answer.endswith(b"\r\n\r\nthe request did not arrive whole within 1 s; the connection is closed\n")
            assert b"\r\nconnection: close\r\n" in answer

    @pytest.mark.parametrize("data", [b"", b"\r\n" * 400], ids=["silent", "blank-lines"])
    def test_a_connection_that_begins_no_request_is_closed_after_the_idle_timeout(self, impatient, data):
        if data:
            answer, sent = trickle(impatient.port, data, 0.1)
            assert (answer, sent < len(data) // 2) == (b"", True)
            return
        with socket.create_connection(("127.0.0.1", impatient.port), timeout=30) as sock:
            assert sock.recv(4096) == b""  # closed by the server, not timed out here

    def test_a_kept_alive_connection_answers_until_it_idles(self, impatient):
        connection = HTTPConnection("127.0.0.1", impatient.port, timeout=30)
        path = "/query?" + urllib.parse.urlencode({"query": "ASK {}"})
        for _ in range(3):
            connection.request("GET", path)
            response = connection.getresponse()
            assert (response.status, json.loads(response.read())["boolean"]) == (200, True)
        assert connection.sock.recv(1) == b""  # then the server closes it
        connection.close()


# ---------------------------------------------------------------------- fair sharing


def send_query(port: int, sparql: str, source: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=60, source_address=(source, 0))
    target = "/query?" + urllib.parse.urlencode({"query": sparql})
    sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    return sock


class TestFairSharing:
    def test_heavy_queries_of_one_client_do_not_hold_back_another_clients_quick_one(self, store):
        shared = Server(store, "--workers", "1", "--threads", "2", "--timeout", "30")
        heavy: list[socket.socket] = []
        try:
            # One client (127.0.0.1) asks four queries that run for minutes: more than the threads.
            heavy = [send_query(shared.port, RUNAWAY + f" # {n}", "127.0.0.1") for n in range(4)]
            time.sleep(1)  # they are read and evaluating
            # Another client (127.0.0.2, another address on the loopback) asks a quick one.
            quick = HTTPConnection("127.0.0.1", shared.port, timeout=60, source_address=("127.0.0.2", 0))
            quick.request("GET", "/query?" + urllib.parse.urlencode({"query": f"ASK {{ <{EX}literal/0> ?p ?o }}"}))
            response = quick.getresponse()
            assert (response.status, json.loads(response.read())["boolean"]) == (200, True)
            quick.close()
            # Answered while every heavy query still runs (with the threads shared first come, first
            # served, as with --client-limit 10, it waited until their time limit stopped them).
            for sock in heavy:
                sock.setblocking(False)
                with pytest.raises(BlockingIOError):
                    sock.recv(1)
        finally:
            for sock in heavy:
                sock.close()  # their queries are stopped: the process retires
            shared.stop()


class TestEvaluatorShares:
    """The shares of :class:`Evaluator`, with calls that block on an event instead of queries."""

    @staticmethod
    def scenario(client_limit: int, quick_client: str) -> tuple[object, list[bool], list]:
        release = threading.Event()

        async def run() -> tuple[object, list[bool], list]:
            evaluator = Evaluator(2, client_limit=client_limit)
            evaluator.start()
            try:
                heavy = [
                    asyncio.ensure_future(evaluator.run(time.monotonic() + 5, release.wait, client="a"))
                    for _ in range(4)
                ]
                await asyncio.sleep(0.1)
                try:
                    quick = await evaluator.run(time.monotonic() + 0.5, sum, (1, 2), client=quick_client)
                except QueryTimeout as error:
                    quick = error
                waiting = [not call.done() for call in heavy]
                release.set()
                return quick, waiting, await asyncio.gather(*heavy)
            finally:
                release.set()
                evaluator.close()

        return asyncio.run(run())

    def test_a_client_under_its_share_gets_a_thread_while_another_holds_them_all(self):
        quick, waiting, heavy = self.scenario(client_limit=1, quick_client="b")
        assert (quick, waiting, heavy) == (3, [True] * 4, [True] * 4)

    def test_without_shares_the_quick_call_waits_for_the_heavy_ones(self):
        quick, waiting, heavy = self.scenario(client_limit=10, quick_client="b")  # nobody holds more
        assert isinstance(quick, QueryTimeout) and "stayed busy" in str(quick)
        assert (waiting, heavy) == ([True] * 4, [True] * 4)

    def test_a_client_beyond_its_share_waits_its_turn(self):
        quick, waiting, heavy = self.scenario(client_limit=1, quick_client="a")
        assert isinstance(quick, QueryTimeout) and (waiting, heavy) == ([True] * 4, [True] * 4)

    def test_a_client_may_use_threads_nobody_else_needs(self):
        release = threading.Event()

        async def run() -> tuple[object, bool]:
            evaluator = Evaluator(2, client_limit=1)
            evaluator.start()
            try:
                busy = asyncio.ensure_future(evaluator.run(time.monotonic() + 5, release.wait, client="a"))
                await asyncio.sleep(0.05)
                quick = await evaluator.run(time.monotonic() + 5, sum, (1, 2), client="a")  # the free thread
                return quick, busy.done()
            finally:
                release.set()
                evaluator.close()

        assert asyncio.run(run()) == (3, False)
