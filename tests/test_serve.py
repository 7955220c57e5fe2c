"""``chaingraph serve``: a real server on 127.0.0.1 over a store built from the mini vocabulary,
queried by real clients (SPARQLWrapper, rdflib's SPARQLStore, plain HTTP): protocol, formats,
limits, the update guard, the query page, saved queries, the supervisor of the serving processes
(a runaway query retires its process, a replacement takes over), and a clean stop."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from pathlib import Path

import pyoxigraph as ox
import pytest
from corpus_helpers import built_welding_store
from typer.testing import CliRunner

from chaingraph import api
from chaingraph.serve import answers
from chaingraph.serve.evaluator import Evaluator, QueryTimeout
from chaingraph.serve.formats import Choice, negotiate
from chaingraph.serve.protocol import parse_form
from chaingraph.serve.queries import NamedQueryError, bind_parameters, load_named_query, named_queries
from chaingraph.serve.results import OXIGRAPH_FORMATS, holds_more_than, write_solutions

CG = "https://w3id.org/chaingraph/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
EX = "https://example.org/c/"
WELDING_PROGRAMME = "https://w3id.org/chaingraph/id/cip/48.0508"
WELDER = "https://w3id.org/chaingraph/id/onet/51-4121.06"
PREFIXES = f"PREFIX cg: <{CG}> PREFIX skos: <{SKOS}> "
MAX_ROWS = 50
TIMEOUT = 2.0
# Four copies of every triple joined: ~10^11 combinations on the mini store, counted before any
# answer can be written, so the query runs until it is killed.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
TOKEN = "s3cret-token"
ORIGINAL_STAT = os.stat
BROWSER = "text/html, application/xml;q=0.9, */*;q=0.8"  # what a browser's address bar sends

CURRICULUM = (
    "# Welding Technology\n\nStudents learn SQL and PLC programming.\n\n"
    "Welders read programmable logic controller output.\n"
)
STANDARD = "Welders\n\nWelders use Tableau daily.\n"
MANIFEST = (
    "path,title,kind,about,date\n"
    "welding.md,Welding curriculum,curriculum,cip:48.0508,2020\n"
    "welder.txt,Welder standard,standard,onet:51-4121.06,2025\n"
)


# ---------------------------------------------------------------------- a real server


def write_corpus(folder: Path, files: dict[str, str], manifest: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    if manifest:
        (folder / "manifest.csv").write_text(manifest, encoding="utf-8")
    return folder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> set[int]:
    """Live child processes of ``pid`` (Linux /proc)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found.update(int(p) for p in task.read_text().split())
    return found


def wait_for(condition, seconds: float = 15):
    """The first true value of ``condition()`` within ``seconds``, else its last value."""
    deadline = time.monotonic() + seconds
    while not (value := condition()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return value


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Server:
    """``chaingraph serve`` in a child process, on a free loopback port."""

    def __init__(self, store: Path, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable,
            "-c",
            "from chaingraph.cli.serve import app; app()",  # the serve command registers itself on the app
            "serve",
            "--store",
            str(store),
            "--port",
            str(self.port),
            *args,
        ]
        # A file, not a pipe: a pipe nobody reads would block the server once full.
        self.log = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chaingraph serve exited: {self.output()}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError("chaingraph serve did not answer within 60 s")
        # One process answering is not all of them: the supervisor says when every one serves.
        if not wait_for(lambda: "serving processes answering" in self.output(), 60):
            self.stop()
            raise RuntimeError(f"not every serving process started: {self.output()}")
        self.workers = children(self.process.pid)  # the serving processes

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> None:
        """SIGTERM, as a service manager would; the server must shut down cleanly, workers too."""
        serving = children(self.process.pid) & self.workers  # (a replacement may be still starting)
        workers = children(self.process.pid) | self.workers
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        output = self.output()
        self.log.close()
        assert self.process.returncode == 0, output
        # Each serving process finished its requests and stopped, rather than being killed.
        for pid in serving:
            assert f"serving process {pid} stopped" in output, output
        deadline = time.monotonic() + 5
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in workers if alive(pid)], "serving processes outlived the server"


def http(
    url: str, *, method: str | None = None, data: bytes | None = None, headers: dict | None = None, timeout: float = 30
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def get(server: Server, sparql: str, *, accept: str | None = None, **params: str):
    query = urllib.parse.urlencode({"query": sparql, **params})
    return http(f"{server.url}/query?{query}", headers={"Accept": accept} if accept else {})


@pytest.fixture(scope="module")
def store(tmp_path_factory, mini_ontologies) -> Path:
    return built_welding_store(tmp_path_factory.mktemp("serve"), mini_ontologies)


@pytest.fixture(scope="module")
def server(store):
    running = Server(store, "--timeout", str(TIMEOUT), "--max-rows", str(MAX_ROWS), "--workers", "2")
    yield running
    running.stop()


# ---------------------------------------------------------------------- real clients


class TestClients:
    def test_sparqlwrapper_json(self, server):
        from SPARQLWrapper import JSON, SPARQLWrapper

        client = SPARQLWrapper(server.url + "/query")
        client.setQuery(PREFIXES + f"SELECT ?label WHERE {{ <{WELDING_PROGRAMME}> skos:prefLabel ?label }}")
        client.setReturnFormat(JSON)
        bindings = client.query().convert()["results"]["bindings"]
        assert bindings == [{"label": {"type": "literal", "value": "Welding Technology", "xml:lang": "en"}}]

    def test_sparqlwrapper_csv_with_post(self, server):
        from SPARQLWrapper import CSV, POST, SPARQLWrapper

        client = SPARQLWrapper(server.url + "/sparql")
        client.setMethod(POST)
        client.setQuery(PREFIXES + f"SELECT ?skill WHERE {{ <{WELDING_PROGRAMME}> cg:teaches ?skill }} ORDER BY ?skill")
        client.setReturnFormat(CSV)
        rows = list(csv.reader(io.StringIO(client.query().convert().decode("utf-8"))))
        assert rows == [["skill"], [EX + "plc"], [EX + "sql"]]

    def test_rdflib_sparqlstore(self, server):
        from rdflib import Graph, Literal, URIRef
        from rdflib.namespace import SKOS as RDFLIB_SKOS
        from rdflib.plugins.stores.sparqlstore import SPARQLStore

        graph = Graph(store=SPARQLStore(server.url + "/query"))
        labels = set(graph.objects(URIRef(WELDER), RDFLIB_SKOS.prefLabel))
        assert labels == {Literal("Welders", lang="en")}
        uses = list(graph.query(PREFIXES + "SELECT ?occupation ?technology WHERE { ?occupation cg:uses ?technology }"))
        assert [(str(a), str(b)) for a, b in uses] == [(WELDER, EX + "tableau")]
        constructed = graph.query(PREFIXES + "CONSTRUCT { ?s cg:teaches ?o } WHERE { ?s cg:teaches ?o }")
        assert {(str(s), str(o)) for s, _, o in constructed} == {
            (WELDING_PROGRAMME, EX + "sql"),
            (WELDING_PROGRAMME, EX + "plc"),
        }


# ---------------------------------------------------------------------- protocol and formats


SELECT_TEACHES = PREFIXES + (
    f"SELECT ?skill ?label WHERE {{ <{WELDING_PROGRAMME}> cg:teaches ?skill . ?skill skos:prefLabel ?label }}"
)
CONSTRUCT_TEACHES = PREFIXES + "CONSTRUCT { ?s cg:teaches ?o } WHERE { ?s cg:teaches ?o }"


def solutions(body: bytes, fmt: ox.QueryResultsFormat) -> set[tuple]:
    if fmt == ox.QueryResultsFormat.CSV:  # pyoxigraph will not read CSV back (it drops term types)
        return {tuple(row) for row in list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))[1:]}
    parsed = ox.parse_query_results(body, format=fmt)
    names = [v.value for v in parsed.variables]
    return {tuple(str(row[n]) for n in names) for row in parsed}


class TestProtocol:
    @pytest.mark.parametrize(
        ("accept", "content_type", "fmt"),
        [
            ("application/sparql-results+json", "application/sparql-results+json", ox.QueryResultsFormat.JSON),
            ("application/sparql-results+xml", "application/sparql-results+xml", ox.QueryResultsFormat.XML),
            ("text/csv", "text/csv", ox.QueryResultsFormat.CSV),
            ("text/tab-separated-values", "text/tab-separated-values", ox.QueryResultsFormat.TSV),
            (None, "application/sparql-results+json", ox.QueryResultsFormat.JSON),
            (BROWSER, "application/sparql-results+xml", ox.QueryResultsFormat.XML),
        ],
    )
    def test_select_in_every_format(self, server, accept, content_type, fmt):
        status, headers, body = get(server, SELECT_TEACHES, accept=accept)
        assert status == 200, body
        assert headers["content-type"].startswith(content_type)
        rows = solutions(body, fmt)
        if fmt in (ox.QueryResultsFormat.CSV,):  # CSV drops term types: compare plain values
            assert {r[0] for r in rows} == {EX + "plc", EX + "sql"}
        else:
            assert {r[0] for r in rows} == {f"<{EX}plc>", f"<{EX}sql>"}

    @pytest.mark.parametrize(
        ("accept", "content_type", "fmt"),
        [
            ("text/turtle", "text/turtle", ox.RdfFormat.TURTLE),
            ("application/ld+json", "application/ld+json", ox.RdfFormat.JSON_LD),
            ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
            ("application/rdf+xml", "application/rdf+xml", ox.RdfFormat.RDF_XML),
            (None, "text/turtle", ox.RdfFormat.TURTLE),
        ],
    )
    def test_construct_as_turtle_jsonld_ntriples_rdfxml(self, server, accept, content_type, fmt):
        status, headers, body = get(server, CONSTRUCT_TEACHES, accept=accept)
        assert status == 200, body
        assert headers["content-type"].startswith(content_type)
        triples = {(t.subject.value, t.object.value) for t in ox.parse(body, format=fmt)}
        assert triples == {(WELDING_PROGRAMME, EX + "sql"), (WELDING_PROGRAMME, EX + "plc")}

    def test_turtle_uses_the_ontology_prefixes(self, server):
        _, _, body = get(server, CONSTRUCT_TEACHES, accept="text/turtle")
        assert b"@prefix cg:" in body and b"cg:teaches" in body

    def test_format_parameter_beats_accept(self, server):
        status, headers, body = get(server, SELECT_TEACHES, accept="application/sparql-results+json", format="tsv")
        assert (status, headers["content-type"].split(";")[0]) == (200, "text/tab-separated-values")
        assert body.startswith(b"?skill\t?label\n")
        status, headers, _ = get(server, CONSTRUCT_TEACHES, format="jsonld")
        assert (status, headers["content-type"]) == (200, "application/ld+json")
        assert get(server, SELECT_TEACHES, format="yaml")[0] == 400

    def test_ask(self, server):
        status, _, body = get(server, PREFIXES + f"ASK {{ <{WELDER}> cg:uses ?t }}")
        assert (status, json.loads(body)["boolean"]) == (200, True)

    def test_no_acceptable_format_is_406(self, server):
        status, _, body = get(server, CONSTRUCT_TEACHES, accept="text/csv")
        assert status == 406 and b"graph" in body

    def test_post_form_and_direct_body(self, server):
        form = urllib.parse.urlencode({"query": SELECT_TEACHES}).encode()
        status, _, body = http(
            server.url + "/query", data=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 2
        status, _, body = http(
            server.url + "/query",
            data=SELECT_TEACHES.encode(),
            headers={"Content-Type": "application/sparql-query; charset=utf-8", "Accept": "text/csv"},
        )
        assert status == 200 and body.startswith(b"skill,label\r\n")
        assert http(server.url + "/query", data=b"x", headers={"Content-Type": "text/plain"})[0] == 415
        assert http(server.url + "/query")[0] == 400  # no query at all

    def test_named_graph_parameters_choose_the_dataset(self, server):
        count = PREFIXES + "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        union = json.loads(get(server, count)[2])["results"]["bindings"][0]["n"]["value"]
        ontology = json.loads(
            get(server, count, **{"default-graph-uri": "https://w3id.org/chaingraph/graph/ontology"})[2]
        )
        assert 0 < int(ontology["results"]["bindings"][0]["n"]["value"]) < int(union)

    def test_malformed_query_is_400_with_the_parser_message(self, server):
        status, headers, body = get(server, "SELECT ?x WHERE { ?x ?y }")
        assert status == 400
        assert headers["content-type"].startswith("text/plain")
        assert b"malformed SPARQL query" in body and b"error at 1:" in body
        status, _, body = get(server, "")  # an empty query is malformed too, not a broken worker
        assert status == 400 and b"malformed SPARQL query" in body

    def test_every_answer_can_be_read_cross_origin(self, server):
        # Answers come straight from the protocol application, errors included.
        for status, headers, _ in (get(server, "ASK {}"), get(server, "SELECT ?x WHERE { ?x ?y }")):
            assert headers["access-control-allow-origin"] == "*", status
            assert "chaingraph-cache" in headers["access-control-expose-headers"].lower()
        assert http(server.url + "/update")[0] == 405  # updates are POSTed
        assert http(server.url + "/query", method="PUT", data=b"")[0] == 405

    def test_cors(self, server):
        status, headers, _ = http(
            server.url + "/query?" + urllib.parse.urlencode({"query": "ASK {}"}),
            headers={"Origin": "https://tools.example"},
        )
        assert status == 200 and headers["access-control-allow-origin"] == "*"
        assert "chaingraph-truncated" in headers["access-control-expose-headers"].lower()
        status, headers, _ = http(
            server.url + "/update",
            method="OPTIONS",
            headers={
                "Origin": "https://tools.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert status == 200
        assert "authorization" in headers["access-control-allow-headers"].lower()


# ---------------------------------------------------------------------- limits


class TestLimits:
    def test_results_over_the_row_limit_are_refused_by_default(self, server):
        # A client that reads no custom header must not take a cut result for the whole one.
        for sparql in ("SELECT * WHERE { ?s ?p ?o }", "CONSTRUCT WHERE { ?s ?p ?o }"):
            status, _, body = get(server, sparql)
            assert status == 422
            assert f"more than {MAX_ROWS}" in body.decode() and b"LIMIT and OFFSET" in body
        from SPARQLWrapper import JSON, SPARQLWrapper
        from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

        client = SPARQLWrapper(server.url + "/query")
        client.setQuery("SELECT * WHERE { ?s ?p ?o }")
        client.setReturnFormat(JSON)
        with pytest.raises((SPARQLWrapperException, urllib.error.HTTPError)):
            client.query()

    @pytest.mark.parametrize(
        "accept",
        ["application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values"],
    )
    def test_row_limit_in_every_format(self, server, accept):
        rows = "SELECT ?s WHERE { ?s ?p ?o } LIMIT "
        assert get(server, rows + str(MAX_ROWS), accept=accept)[0] == 200
        status, _, body = get(server, rows + str(MAX_ROWS + 1), accept=accept)
        assert status == 422 and f"more than {MAX_ROWS}" in body.decode()

    def test_truncate_true_cuts_at_the_row_limit_and_flags_it(self, server):
        status, headers, body = get(server, "SELECT * WHERE { ?s ?p ?o }", truncate="true")
        assert status == 200
        assert headers["chaingraph-truncated"] == f"max-rows={MAX_ROWS}"
        assert len(json.loads(body)["results"]["bindings"]) == MAX_ROWS
        status, headers, body = get(
            server, "CONSTRUCT WHERE { ?s ?p ?o }", accept="application/n-triples", truncate="true"
        )
        assert headers["chaingraph-truncated"] == f"max-rows={MAX_ROWS}"
        assert len(body.splitlines()) == MAX_ROWS
        # Exactly at the limit is no cut.
        status, headers, body = get(server, f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {MAX_ROWS}")
        assert status == 200 and "chaingraph-truncated" not in headers
        assert len(json.loads(body)["results"]["bindings"]) == MAX_ROWS

    def test_runaway_query_is_stopped_while_others_are_answered(self, server):
        before = children(server.process.pid)
        outcome: dict = {}

        def runaway() -> None:
            started = time.monotonic()
            outcome["runaway"] = get(server, RUNAWAY)
            outcome["runaway_seconds"] = time.monotonic() - started

        thread = threading.Thread(target=runaway)
        thread.start()
        time.sleep(0.5)  # the runaway query now holds one worker
        started = time.monotonic()
        # A query no test asked before, so a worker answers it (not the cache).
        status, headers, body = get(server, PREFIXES + f"ASK {{ <{WELDER}> cg:uses ?technology }}")
        simple_seconds = time.monotonic() - started
        assert (status, json.loads(body)["boolean"], headers["chaingraph-cache"]) == (200, True, "miss")
        assert simple_seconds < 1.5, "a simple query waited behind the runaway one"
        assert "runaway" not in outcome  # it was still running when the simple one came back
        thread.join(timeout=TIMEOUT + 30)
        status, _, body = outcome["runaway"]
        assert status == 503
        assert b"time limit" in body
        assert TIMEOUT <= outcome["runaway_seconds"] < TIMEOUT + 5
        # Stopped, not abandoned: its serving process retired and a fresh one took its place.
        assert len(wait_for(lambda: {pid for pid in before if not alive(pid)})) == 1
        assert len(wait_for(lambda: len(children(server.process.pid)) == 2 and children(server.process.pid))) == 2
        assert get(server, "ASK {}")[0] == 200


def test_a_query_whose_client_leaves_is_stopped(store):
    patient = Server(store, "--timeout", "60", "--workers", "2")
    try:
        before = set(patient.workers)
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            urllib.request.urlopen(patient.url + "/query?" + urllib.parse.urlencode({"query": RUNAWAY}), timeout=1)
        while all(alive(pid) for pid in before) and time.monotonic() - started < 15:
            time.sleep(0.1)
        assert len([pid for pid in before if not alive(pid)]) == 1, "the abandoned query kept running"
        assert time.monotonic() - started < 15  # long before the 60 s time limit
    finally:
        patient.stop()


# ---------------------------------------------------------------------- updates


class TestUpdates:
    INSERT = f"PREFIX cg: <{CG}> INSERT DATA {{ GRAPH <urn:x-test:notes> {{ <{WELDER}> cg:uses <{EX}excel> }} }}"

    def test_read_only_server_refuses_updates(self, server):
        form = urllib.parse.urlencode({"update": self.INSERT}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Bearer {TOKEN}"}
        status, _, body = http(server.url + "/update", data=form, headers=headers)
        assert status == 403 and b"read-only" in body
        status, _, _ = http(
            server.url + "/query", data=self.INSERT.encode(), headers={"Content-Type": "application/sparql-update"}
        )
        assert status == 403
        # An update smuggled in as a query never reaches the store: it does not parse as a query.
        assert get(server, self.INSERT)[0] == 400

    def test_updates_need_the_flag_and_the_token_and_new_generations_are_picked_up(self, store, tmp_path, mini_env):
        import shutil

        copy = tmp_path / "store"
        shutil.copytree(store, copy)
        writable = Server(copy, "--allow-update", "--update-token", TOKEN, "--workers", "2")
        try:
            url = writable.url + "/update"
            body = self.INSERT.encode()
            plain = {"Content-Type": "application/sparql-update"}
            assert http(url, data=body, headers=plain)[0] == 403
            assert http(url, data=body, headers={**plain, "Authorization": "Bearer wrong"})[0] == 403
            ask = PREFIXES + f"ASK {{ <{WELDER}> cg:uses <{EX}excel> }}"
            # Each serving process keeps its own answers: ask twice on one connection.
            connection = HTTPConnection("127.0.0.1", writable.port, timeout=30)
            path = "/query?" + urllib.parse.urlencode({"query": ask})
            for expected in ("miss", "hit"):
                connection.request("GET", path)
                response = connection.getresponse()
                assert json.loads(response.read())["boolean"] is False
                assert response.getheader("Chaingraph-Cache") == expected
            connection.close()
            status, _, _ = http(url, data=body, headers={**plain, "Authorization": f"Bearer {TOKEN}"})
            assert status == 204
            status, headers, answer = get(writable, ask)
            assert json.loads(answer)["boolean"] is True and headers["chaingraph-cache"] == "miss"
            # Updates at once are applied one after the other: none is lost.
            inserts = [
                f"INSERT DATA {{ GRAPH <urn:x-test:notes> {{ <{WELDER}> <urn:x-test:note> {n} }} }}".encode()
                for n in range(3)
            ]
            with ThreadPoolExecutor(3) as pool:
                statuses = list(
                    pool.map(
                        lambda b: http(url, data=b, headers={**plain, "Authorization": f"Bearer {TOKEN}"})[0], inserts
                    )
                )
            assert statuses == [204, 204, 204]
            notes = json.loads(get(writable, f"SELECT ?n WHERE {{ <{WELDER}> <urn:x-test:note> ?n }}")[2])
            assert sorted(b["n"]["value"] for b in notes["results"]["bindings"]) == ["0", "1", "2"]
            malformed = http(url, data=b"INSERT NOTHING", headers={**plain, "Authorization": f"Bearer {TOKEN}"})
            assert malformed[0] == 400 and b"malformed SPARQL update" in malformed[2]
            # A build publishes a new generation: the running server answers from it, no restart.
            documents = PREFIXES + "SELECT (COUNT(?d) AS ?n) WHERE { ?d a cg:Document }"
            assert json.loads(get(writable, documents)[2])["results"]["bindings"][0]["n"]["value"] == "2"
            corpus = write_corpus(
                tmp_path / "corpus",
                {"welding.md": CURRICULUM, "welder.txt": STANDARD, "more.txt": "Welders use SQL.\n"},
                MANIFEST,
            )
            api.build(corpus, copy)
            assert json.loads(get(writable, documents)[2])["results"]["bindings"][0]["n"]["value"] == "3"
        finally:
            writable.stop()


# ---------------------------------------------------------------------- query page and saved queries


class TestQueryPage:
    def test_page_is_offline(self, server):
        status, headers, body = http(server.url + "/")
        assert status == 200 and headers["content-type"].startswith("text/html")
        page = body.decode("utf-8")
        assert "<textarea" in page and "<button" in page and 'createElement("table")' in page
        assert "http://" not in page and "https://" not in page
        assert "<script src" not in page and "<link" not in page and "@import" not in page

    def test_saved_queries_are_listed(self, server):
        status, _, body = http(server.url + "/queries")
        listed = {q["name"]: q for q in json.loads(body)}
        assert status == 200
        assert {
            "skills-demanded-not-taught",
            "technologies-without-programme",
            "evidence-for-link",
            "programmes-of-industry",
        } <= set(listed)
        assert set(listed["evidence-for-link"]["parameters"]) == {"subject", "predicate", "object"}


def run_named(server: Server, name: str, *params: str) -> list[dict]:
    status, _, body = get(server, load_named_query(name, list(params)))
    assert status == 200, body
    return json.loads(body)["results"]["bindings"]


class TestSavedQueries:
    def test_every_saved_query_has_a_header_and_runs(self, server):
        for query in named_queries().values():
            assert query.summary, f"{query.path} has no comment header"
            run_named(server, query.name)

    def test_skills_demanded_not_taught(self, server):
        # The welder uses Tableau, which no programme covers; the welder requires PLC, which the
        # welding programme teaches, so PLC is no gap.
        rows = run_named(server, "skills-demanded-not-taught")
        assert [(r["concept"]["value"], r["occupations"]["value"]) for r in rows] == [(EX + "tableau", "1")]
        assert run_named(server, "skills-demanded-not-taught", "class=cg:Skill") == []

    def test_technologies_without_programme(self, server):
        rows = run_named(server, "technologies-without-programme")
        assert [(r["technology"]["value"], r["documents"]["value"]) for r in rows] == [(EX + "tableau", "1")]
        assert run_named(server, "technologies-without-programme", "kind=curriculum") == []

    def test_evidence_for_link(self, server):
        rows = run_named(
            server, "evidence-for-link", "subject=cip:48.0508", "predicate=cg:teaches", f"object=<{EX}plc>"
        )
        assert sorted(r["sentence"]["value"] for r in rows) == [
            "Students learn SQL and PLC programming.",
            "Welders read programmable logic controller output.",
        ]
        assert {r["title"]["value"] for r in rows} == {"Welding curriculum"}

    def test_programmes_of_industry_finds_nothing_without_industries(self, server):
        assert run_named(server, "programmes-of-industry") == []
        assert run_named(server, "programmes-of-industry", "industry=gbt4754:C34") == []

    def test_programmes_of_industry_with_an_industry(self):
        # A hand-made graph with every path: a direct relation, through an occupation and
        # through a technology, to a class of industry two levels below a section.
        data = f"""
            @prefix cg: <{CG}> . @prefix ex: <{EX}> . @prefix skos: <{SKOS}> .
            ex:welding a cg:Programme . ex:robotics a cg:Programme . ex:cad a cg:Programme .
            ex:welder a cg:Occupation . ex:plc a cg:Technology .
            ex:metal a cg:Industry ; skos:broader ex:metalwork . ex:metalwork a cg:Industry ; skos:broader ex:C .
            ex:C a cg:Industry . ex:farming a cg:Industry .
            ex:r1 a cg:Relation ; cg:subject ex:welding ; cg:predicate cg:preparesFor ; cg:object ex:welder .
            ex:r2 a cg:Relation ; cg:subject ex:welder ; cg:predicate cg:employedIn ; cg:object ex:metal .
            ex:r3 a cg:Relation ; cg:subject ex:robotics ; cg:predicate cg:covers ; cg:object ex:plc .
            ex:r4 a cg:Relation ; cg:subject ex:plc ; cg:predicate cg:drives ; cg:object ex:metal .
            ex:r5 a cg:Relation ; cg:subject ex:metal ; cg:predicate cg:relatedTo ; cg:object ex:cad .
            ex:r1 cg:weight 3 . ex:r2 cg:weight 2 . ex:r3 cg:weight 1 . ex:r4 cg:weight 5 . ex:r5 cg:weight 4 .
        """
        graph = ox.Store()
        graph.load(data.encode(), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:x-test:g"))

        def found(*params: str) -> list[tuple[str, str, str, str]]:
            sparql = load_named_query("programmes-of-industry", list(params))
            return [
                (r["path"].value, r["programme"].value, r["linked"].value, r["weight"].value)
                for r in graph.query(sparql, use_default_graph_as_union=True)
            ]

        # Strongest first; a path weighs what its weakest link does.
        expected = [
            ("direct", EX + "cad", EX + "metal", "4"),
            ("occupation", EX + "welding", EX + "metal", "2"),
            ("technology", EX + "robotics", EX + "metal", "1"),
        ]
        assert found(f"industry=<{EX}metal>") == expected
        assert found(f"industry=<{EX}C>") == expected  # the section takes in its classes
        assert found() == expected  # every industry: each programme once, under the industry named
        assert found(f"industry=<{EX}farming>") == []

    def test_unknown_names_and_parameters_are_clear_errors(self):
        with pytest.raises(NamedQueryError, match="available: .*skills-demanded-not-taught"):
            load_named_query("skills-not-taught")
        with pytest.raises(NamedQueryError, match="its parameters: subject, predicate, object"):
            load_named_query("evidence-for-link", ["industry=cip:15.0406"])
        with pytest.raises(NamedQueryError, match="NAME=VALUE"):
            load_named_query("evidence-for-link", ["subject"])
        with pytest.raises(NamedQueryError, match="unknown scheme prefix"):
            load_named_query("evidence-for-link", ["subject=nope:1"])

    def test_parameter_values(self):
        sparql = "PREFIX cg: <https://w3id.org/chaingraph/ontology#>\nSELECT * { VALUES ?v { UNDEF } }"
        bound = bind_parameters(
            sparql, {"v": ["cg:teaches", "onet:51-4121.06", "https://e.org/x", "curriculum", '"a"@en', "2", "UNDEF"]}
        )
        assert bound.endswith(
            f'VALUES ?v {{ <{CG}teaches> <{WELDER}> <https://e.org/x> "curriculum" "a"@en 2 UNDEF }} }}'
        )


# ---------------------------------------------------------------------- pieces


class TestResultsWriters:
    def test_written_results_read_back_as_pyoxigraph_writes_them(self):
        sparql = """SELECT ?a ?b ?c WHERE {
            VALUES (?a ?b) {
                ("tab\\there, \\"quoted\\"\\nnew line"@en <urn:x:a>) (<<( <urn:x:s> <urn:x:p> "o" )>> UNDEF)
                (1 2.5e0) (true "x"^^<urn:x:dt>) ("rtl"@ar--rtl "é & <b>")
            }
            BIND(BNODE("n") AS ?c) }"""
        store = ox.Store()
        for name, fmt in (
            ("json", ox.QueryResultsFormat.JSON),
            ("xml", ox.QueryResultsFormat.XML),
            ("tsv", ox.QueryResultsFormat.TSV),
            ("csv", ox.QueryResultsFormat.CSV),
        ):
            rows = list(store.query(sparql))
            ours = solutions(write_solutions(name, ["a", "b", "c"], rows), fmt)
            theirs = solutions(store.query(sparql).serialize(format=fmt), fmt)
            # Blank node labels differ from one evaluation to the next: compare the other columns.
            assert {r[:2] for r in ours} == {r[:2] for r in theirs}, name
            assert all(r[2].startswith("_:") for r in ours) or name == "csv"
        ET.fromstring(write_solutions("xml", ["a"], list(store.query("SELECT ?a { BIND('<&>' AS ?a) }"))))


class TestSolutionCount:
    SPARQL = """SELECT ?a ?b WHERE {{ VALUES (?a ?b) {{
        (UNDEF UNDEF) ("line\\nbreak, \\"quoted\\" <result>" UNDEF) ('{{"a":1}},{{"b":2}}' <urn:x>) (1 2)
        (<<( <urn:s> <urn:p> "o" )>> "rtl"@ar--rtl) }} }} LIMIT {}"""

    @pytest.mark.parametrize("fmt", sorted(OXIGRAPH_FORMATS))
    @pytest.mark.parametrize("rows", [0, 1, 2, 5])
    def test_counts_what_pyoxigraph_wrote(self, fmt, rows):
        document = ox.Store().query(self.SPARQL.format(rows)).serialize(format=OXIGRAPH_FORMATS[fmt])
        for limit in range(0, 7):
            assert holds_more_than(fmt, document, limit) == (rows > limit), (fmt, rows, limit)

    def test_a_long_answer_is_read_row_by_row_as_before(self, monkeypatch):
        store = ox.Store()
        store.add(ox.Quad(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "p"), ox.Literal("x"), ox.DefaultGraph()))
        request = {"sparql": "SELECT * WHERE { ?s ?p ?o }", "solutions": "json", "graph": None, "max_rows": 5}
        written = answers.evaluate(store, request)
        monkeypatch.setattr(answers, "SERIALIZED_LIMIT", 10)  # pyoxigraph's document is too long to keep
        read = answers.evaluate(store, request)
        assert read[0] == written[0] == {"status": 200, "format": "json", "truncated": False}
        assert json.loads(read[1]) == json.loads(written[1])
        assert answers.evaluate(store, {**request, "max_rows": 0})[0]["status"] == 422


class TestEvaluator:
    """The evaluation threads, driven with functions that block on an event instead of queries."""

    def test_a_call_past_its_deadline_retires_the_process_while_the_others_are_answered(self):
        release, retired = threading.Event(), []

        async def scenario() -> list:
            evaluator = Evaluator(2, on_retire=retired.append)
            evaluator.start()
            try:
                stuck = evaluator.run(time.monotonic() + 0.3, release.wait)
                quick = [evaluator.run(time.monotonic() + 5, sum, (n, 1)) for n in range(5)]
                return await asyncio.gather(stuck, *quick, return_exceptions=True)
            finally:
                release.set()
                evaluator.close()

        stuck, *quick = asyncio.run(scenario())
        assert isinstance(stuck, QueryTimeout) and "ran past the time limit" in str(stuck)
        assert quick == [1, 2, 3, 4, 5]
        assert retired == ["a query ran past the time limit"]

    def test_a_call_waiting_for_a_thread_gives_up_at_its_deadline_and_never_runs(self):
        release, retired, ran = threading.Event(), [], []

        async def scenario() -> list:
            evaluator = Evaluator(1, on_retire=retired.append)
            evaluator.start()
            loop = asyncio.get_running_loop()
            try:
                loop.call_later(0.5, release.set)
                busy = evaluator.run(time.monotonic() + 5, release.wait)
                behind = evaluator.run(time.monotonic() + 0.2, ran.append, "behind")
                first = await asyncio.gather(busy, behind, return_exceptions=True)
                return [*first, await evaluator.run(time.monotonic() + 5, ran.append, "after")]
            finally:
                evaluator.close()

        busy, behind, after = asyncio.run(scenario())
        assert busy is True
        assert isinstance(behind, QueryTimeout) and "stayed busy" in str(behind)
        assert (after, ran, retired) == (None, ["after"], [])

    def test_a_cancelled_call_retires_the_process_only_if_it_had_started(self):
        release, retired, ran = threading.Event(), [], []

        async def scenario() -> None:
            evaluator = Evaluator(1, on_retire=retired.append)
            evaluator.start()
            try:
                started = asyncio.ensure_future(evaluator.run(time.monotonic() + 5, release.wait))
                queued = asyncio.ensure_future(evaluator.run(time.monotonic() + 5, ran.append, "queued"))
                await asyncio.sleep(0.2)
                queued.cancel()
                await asyncio.sleep(0.05)
                assert retired == []  # the queued call had not started: nothing to stop
                started.cancel()
                await asyncio.gather(started, queued, return_exceptions=True)
            finally:
                release.set()
                evaluator.close()

        asyncio.run(scenario())
        assert retired == ["the client of a running query went away"]
        assert ran == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify")
class TestGeneration:
    def test_a_watched_store_is_reread_only_when_its_directory_changes(self, tmp_path, monkeypatch):
        from chaingraph.serve.cache import Generation
        from chaingraph.store import EmbeddedStore

        for name in ("gen-000001", "gen-000002"):
            (tmp_path / name).mkdir()
        (tmp_path / "CURRENT").write_text("gen-000001\n")
        generation = Generation(EmbeddedStore(tmp_path))
        checks = []  # stat calls on CURRENT

        def counting_stat(path, *args, **kwargs):
            if str(path).endswith("CURRENT"):
                checks.append(path)
            return ORIGINAL_STAT(path, *args, **kwargs)

        async def scenario() -> tuple[str | None, list, list, str | None]:
            loop = asyncio.get_running_loop()
            generation.watch(loop)
            first = generation.current()
            monkeypatch.setattr(os, "stat", counting_stat)
            unchanged = [generation.current() for _ in range(3)]
            monkeypatch.undo()
            (tmp_path / "CURRENT.tmp").write_text("gen-000002\n")
            os.replace(tmp_path / "CURRENT.tmp", tmp_path / "CURRENT")  # as a build publishes
            await asyncio.sleep(0.05)  # the loop reads the directory's events
            changed = generation.current()
            generation.unwatch(loop)
            return first, unchanged, list(checks), changed

        first, unchanged, checked, changed = asyncio.run(scenario())
        assert first == str(tmp_path / "gen-000001") and unchanged == [first] * 3
        assert checked == []  # nothing checked per request while nothing changed
        assert changed == str(tmp_path / "gen-000002")


class TestParseForm:
    def test_reads_what_parse_qsl_reads(self):
        import random

        pieces = ["%", "+", "=", "&", "a", "F", "9", "e4", "\r\n", " ", "é", "%3D", "%0A", "%20", "%e4%b8%ad",
                  "%ff", "%C3", "%A9", ";", "=3D", "\xff", "%%", "%4"]  # fmt: skip
        generator = random.Random(7)
        for _ in range(20_000):
            data = "".join(generator.choice(pieces) for _ in range(generator.randint(0, 12))).encode("utf-8")
            expected = urllib.parse.parse_qsl(data.decode("utf-8", errors="replace"), keep_blank_values=True)
            assert parse_form(data) == expected, data

    def test_a_real_query(self):
        sparql = SELECT_TEACHES + ' FILTER(?label != "a=b & c+d 100%")'
        encoded = urllib.parse.urlencode({"query": sparql, "format": "json", "truncate": ""}).encode()
        assert parse_form(encoded) == [("query", sparql), ("format", "json"), ("truncate", "")]


class TestNegotiation:
    def test_choices(self):
        assert negotiate(None) == Choice("json", "turtle")
        assert negotiate("text/csv") == Choice("csv", None)
        assert negotiate("application/sparql-results+xml, application/rdf+xml") == Choice("xml", "rdfxml")
        assert negotiate("text/csv;q=0.5, text/tab-separated-values") == Choice("tsv", None)
        assert negotiate("application/json") == Choice("json", "jsonld")
        assert negotiate("text/*") == Choice("xml", "turtle")  # text/xml: the first text/* it offers
        assert negotiate("image/png") == Choice(None, None)
        assert negotiate("text/csv", "ttl") == Choice("json", "turtle")


class TestCommand:
    def test_allow_update_without_token_is_a_usage_error(self, tmp_path, monkeypatch):
        from chaingraph.cli.serve import app

        monkeypatch.delenv("CHAINGRAPH_UPDATE_TOKEN", raising=False)
        result = CliRunner().invoke(app, ["serve", "--store", str(tmp_path / "s"), "--allow-update"])
        assert result.exit_code == 2
        assert "update-token" in result.output

    def test_a_remote_store_is_a_usage_error(self):
        from chaingraph.cli.serve import app

        result = CliRunner().invoke(app, ["serve", "--store", "http://127.0.0.1:9/"])
        assert result.exit_code == 2
        assert "store directory" in result.output


def test_server_leaves_no_process_behind(store):
    server = Server(store, "--workers", "2")
    workers = set(server.workers)
    assert len(workers) == 2 and all(alive(pid) for pid in workers)
    server.stop()
    assert not any(alive(pid) for pid in workers)


# ---------------------------------------------------------------------- the supervisor


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
class TestSupervisor:
    def test_a_runaway_query_retires_its_process_and_the_replacement_serves(self, store):
        single = Server(store, "--timeout", str(TIMEOUT), "--workers", "1")
        try:
            (first,) = single.workers
            outcome: dict = {}
            thread = threading.Thread(target=lambda: outcome.update(runaway=get(single, RUNAWAY)))
            thread.start()
            time.sleep(0.5)  # the runaway query now holds one thread of the only serving process
            # That process answers a concurrent query on another of its threads.
            status, _, body = get(single, PREFIXES + f"ASK {{ <{WELDER}> cg:teaches ?skill }}")
            assert (status, json.loads(body)["boolean"]) == (200, False)
            assert "runaway" not in outcome
            thread.join(timeout=TIMEOUT + 30)
            status, headers, body = outcome["runaway"]
            assert status == 503 and headers["access-control-allow-origin"] == "*"
            assert body.decode().startswith("the query ran past the time limit and was stopped (2 s)")
            # Asked at once: the retiring process accepts no more, the query waits for the replacement.
            status, _, body = get(single, PREFIXES + f"ASK {{ <{WELDING_PROGRAMME}> cg:teaches ?skill }}")
            assert (status, json.loads(body)["boolean"]) == (200, True)
            assert wait_for(lambda: not alive(first)), "the retired process kept running the runaway query"
            replacements = children(single.process.pid)
            assert len(replacements) == 1 and first not in replacements
            status, _, body = get(single, SELECT_TEACHES, accept="text/csv")
            assert status == 200 and body.startswith(b"skill,label\r\n")
            assert "a query ran past the time limit: serving process" in single.output()
        finally:
            single.stop()

    def test_a_serving_process_that_dies_is_replaced(self, store):
        pair = Server(store, "--workers", "2")
        try:
            victim = min(pair.workers)
            os.kill(victim, signal.SIGKILL)
            now = wait_for(lambda: victim not in children(pair.process.pid) and len(children(pair.process.pid)) == 2)
            assert now, pair.output()
            serving = children(pair.process.pid)
            assert victim not in serving and len(serving) == 2
            assert [get(pair, "ASK {}")[0] for _ in range(10)] == [200] * 10
            assert f"serving process {victim} exited" in pair.output()
        finally:
            pair.stop()

    def test_a_taken_port_is_one_clear_error(self, store):
        from chaingraph.cli.serve import app

        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            result = CliRunner().invoke(app, ["serve", "--store", str(store), "--port", str(port)])
        assert result.exit_code == 1
        assert f"cannot listen on 127.0.0.1:{port}" in result.output
