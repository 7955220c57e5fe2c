"""The SPARQL guard (:mod:`chaingraph.sparql_guard`): no query, update, manifest or parameter makes
chaingraph call another server unless that server was allowed, and no query crashes the evaluator.

Outbound calls are caught by a real socket listening on 127.0.0.1 (it answers like a SPARQL endpoint,
with one row). Each refusal of the lexer is paired with proof that pyoxigraph itself calls the
listener for that very text, so a refusal that guards nothing fails its test; the endpoint, the
command line, saved queries, the Python API and a real build are tried end to end.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import subprocess
import sys
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox
import pytest
from corpus_helpers import CURRICULUM, built_welding_store, write_corpus
from test_serve import Server, children, get, http
from typer.testing import CliRunner

from chaingraph import api
from chaingraph.cli import app
from chaingraph.rdf.namespaces import CG
from chaingraph.sparql_guard import DEFAULT_GUARD, QueryRefused, SparqlGuard
from chaingraph.store import open_store

TOKEN = "a-long-enough-update-token"
ANSWER = {"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "literal", "value": "from the listener"}}]}}
DEEP = "SELECT * WHERE { FILTER(" + "(" * 6000 + "1" + ")" * 6000 + ") }"  # SIGSEGV in pyoxigraph 0.5.13

runner = CliRunner()


class Listener:
    """A socket listening on 127.0.0.1 that counts the connections made to it and answers each
    request like a SPARQL endpoint: one solution, ``?x = "from the listener"``."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.accepted = 0
        self.lock = threading.Lock()
        self.open = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.open:
            if not select.select([self.socket], [], [], 0.05)[0]:
                continue
            connection, _ = self.socket.accept()
            with self.lock:
                self.accepted += 1
            with connection, contextlib.suppress(OSError):  # a client that left: nothing to answer
                self._answer(connection)

    @staticmethod
    def _answer(connection: socket.socket) -> None:
        connection.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lengths = [
            int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        ]
        while len(body) < (lengths[0] if lengths else 0):
            chunk = connection.recv(65536)
            if not chunk:
                return
            body += chunk
        answer = json.dumps(ANSWER).encode()
        connection.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
            + f"Content-Length: {len(answer)}\r\nConnection: close\r\n\r\n".encode()
            + answer
        )

    def connections(self) -> int:
        """Connections accepted so far, once none is left waiting in the backlog."""
        while select.select([self.socket], [], [], 0.1)[0]:  # the serving thread takes it in a moment
            pass
        with self.lock:
            return self.accepted

    def close(self) -> None:
        self.open = False
        self.thread.join()
        self.socket.close()


@pytest.fixture(scope="module")
def listener():
    listening = Listener()
    yield listening
    listening.close()


def unguarded(listener: Listener, sparql: str) -> int:
    """Connections the listener got while pyoxigraph itself ran ``sparql`` (no guard), on a store whose
    data lets every pattern of the texts below match."""
    store = ox.Store()
    s, p = ox.NamedNode("http://e.org/s"), ox.NamedNode("http://e.org/p")
    objects = [ox.Literal(True), ox.Literal(1)] + [ox.NamedNode(f"http://x.org{o}") for o in ("/a.b", "/#", ":")]
    for o in objects:
        store.add(ox.Quad(s, p, o))
    before = listener.connections()
    try:
        result = store.query(sparql)
        if not isinstance(result, ox.QueryBoolean):
            list(result)
    except (SyntaxError, OSError, RuntimeError):
        pass
    return listener.connections() - before


def service_query(listener: Listener, path: str = "/sparql") -> str:
    return f"SELECT ?x WHERE {{ SERVICE <{listener.url}{path}> {{ ?s ?p ?x }} }}"


# ---------------------------------------------------------------------- the lexer


def calls_out(base: str) -> dict[str, str]:
    """Texts that make pyoxigraph call ``base`` (the listener's URL): plain, and every way found to
    hide the keyword from a lexer that does not read SPARQL exactly as Oxigraph's parser does."""
    u = base + "/sparql"
    return {
        "plain": f"SELECT * WHERE {{ SERVICE <{u}> {{ ?s ?p ?o }} }}",
        "mixed case": f"SELECT * WHERE {{ SeRvIcE <{u}> {{ ?s ?p ?o }} }}",
        "no spaces": f"SELECT * WHERE {{SERVICE<{u}>{{?s ?p ?o}}}}",
        "silent": f"SELECT * WHERE {{ SERVICE SILENT <{u}> {{ ?s ?p ?o }} }}",
        "silent glued": f"SELECT * WHERE {{ SERVICESILENT<{u}> {{ ?s ?p ?o }} }}",
        "escaped IRI": f"SELECT * WHERE {{ SERVICE <{base}/\\u0078> {{ ?s ?p ?o }} }}",
        "prefixed endpoint": f"PREFIX e: <{base}/> SELECT * WHERE {{ SERVICE e:x {{ ?s ?p ?o }} }}",
        "glued to a prefixed name": f"PREFIX ex: <{base}/> SELECT * {{ SERVICEex:x {{ ?s ?p ?o }} }}",
        "glued to the empty prefix": f"PREFIX : <{base}/> SELECT * {{ SERVICE:x {{ ?s ?p ?o }} }}",
        "after true": f"SELECT * WHERE {{ ?s ?p trueSERVICE<{u}>{{ ?a ?b ?c }} }}",
        "after a number": f"SELECT * WHERE {{ ?s ?p 1SERVICE<{u}>{{ ?a ?b ?c }} }}",
        "less-than or IRI, quote": (
            f"SELECT * WHERE {{ BIND(1 AS ?a) FILTER(?a<'x> ' || true) SERVICE <{u}> {{ ?s ?p ?o }} #'\n}}"
        ),
        "less-than or IRI, hash": (
            f"PREFIX ex: <http://e.org/> SELECT * {{ BIND(1 AS ?a) FILTER(?a<ex:a#b>\n || true) SERVICE <{u}> {{ }} }}"
        ),
        "prefixed name ending at its colon": (
            f"PREFIX ex: <http://x.org/#> PREFIX e: <{base}/> SELECT * {{ ?s ?p ex:SERVICEe:a\\#{{ ?a ?b ?c }} }}"
        ),
        "prefixed name ending at its colon, port": (
            f"PREFIX ex: <http://x.org:> PREFIX e: <{base}/> SELECT * {{ ?s ?p ex:SERVICEe:a{{ ?a ?b ?c }} }}"
        ),
        "second run of dots": f"PREFIX ex: <http://x.org/> SELECT * {{ ?s ?p ex:a.b.SERVICE<{u}>{{ ?a ?b ?c }} }}",
        "relative IRI": f"BASE <{base}/> SELECT * WHERE {{ SERVICE <x> {{ ?s ?p ?o }} }}",
        "inside EXISTS": f"ASK {{ FILTER EXISTS {{ SERVICE <{u}> {{ ?s ?p ?o }} }} }}",
        "CONSTRUCT": f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{u}> {{ ?s ?p ?o }} }}",
    }


class TestLexer:
    @pytest.mark.parametrize("case", list(calls_out("http://127.0.0.1:1")))
    def test_every_way_to_call_out_is_refused(self, listener, case):
        sparql = calls_out(listener.url)[case]
        assert unguarded(listener, sparql) == 1, "pyoxigraph does not call out for this text: it proves nothing"
        with pytest.raises(QueryRefused, match="SERVICE"):
            DEFAULT_GUARD.check_query(sparql)

    def test_a_variable_endpoint_is_refused(self):
        with pytest.raises(QueryRefused, match=r"SERVICE \?e: an endpoint held in a variable"):
            DEFAULT_GUARD.check_query("SELECT * { VALUES ?e { <http://e.org/> } SERVICE ?e { ?s ?p ?o } }")

    def test_the_word_where_the_parser_sees_no_keyword(self, listener):
        u = listener.url + "/sparql"
        for sparql in (
            f'SELECT * {{ ?s ?p "SERVICE <{u}> {{ }}" }}',
            f"SELECT * {{ ?s ?p 'SERVICE <{u}> {{ }}' }}",
            f'SELECT * {{ ?s ?p """SERVICE <{u}> {{ }}""" }}',
            f"SELECT * {{ ?s ?p '''\nSERVICE <{u}> {{ }}\n''' }}",
            "SELECT * { ?s <http://e.org/SERVICE> ?o }",
            f"SELECT * {{ ?s ?p ?o }} # SERVICE <{u}> {{ }}",
            "PREFIX ex: <http://e.org/> SELECT * { ?s ex:SERVICE ?o }",
            "SELECT ?service { ?service ?p ?o }",
            "SELECT * { _:service ?p ?o }",
            "SELECT * { ?s ?p 'x'@service }",
            "PREFIX services: <http://e.org/> SELECT * { services:a ?p ?o }",
        ):
            DEFAULT_GUARD.check_query(sparql)  # not refused
            assert unguarded(listener, sparql) == 0

    def test_an_allowed_prefix_lets_its_endpoints_through_and_no_other(self, listener):
        guard = SparqlGuard(allow_service=(listener.url + "/allowed/",))
        guard.check_query(f"SELECT * {{ SERVICE <{listener.url}/allowed/ds> {{ ?s ?p ?o }} }}")
        with pytest.raises(QueryRefused, match="not allowed"):
            guard.check_query(f"SELECT * {{ SERVICE <{listener.url}/other> {{ ?s ?p ?o }} }}")

    def test_a_prefix_that_ends_at_the_port_allows_that_host_and_port_only(self):
        guard = SparqlGuard(allow_service=("http://127.0.0.1:3030",))
        guard.check_query("SELECT * { SERVICE <http://127.0.0.1:3030/ds> { } }")
        guard.check_query("SELECT * { SERVICE <http://127.0.0.1:3030> { } }")
        for other in ("http://127.0.0.1:30301/ds", "http://127.0.0.1:3030@evil.example/ds", "http://127.0.0.2:3030/"):
            with pytest.raises(QueryRefused):
                guard.check_query(f"SELECT * {{ SERVICE <{other}> {{ }} }}")

    def test_an_allowed_prefix_must_be_an_http_url(self):
        for bad in ("127.0.0.1:3030", "file:///etc/", "http://", "http://a b/"):
            with pytest.raises(ValueError, match="--allow-service"):
                SparqlGuard(allow_service=(bad,))

    def test_load_in_an_update_is_refused_and_the_word_elsewhere_is_not(self, listener):
        for update in (
            f"LOAD <{listener.url}/data.ttl>",
            f"LOAD SILENT <{listener.url}/x> INTO GRAPH <http://e.org/g>",
        ):
            with pytest.raises(QueryRefused, match="LOAD"):
                DEFAULT_GUARD.check_update(update)
            before = listener.connections()
            with contextlib.suppress(OSError, RuntimeError):  # the answer is not RDF
                ox.Store().update(update)
            assert listener.connections() == before + 1  # pyoxigraph itself fetches it
        DEFAULT_GUARD.check_update("INSERT DATA { <http://e.org/load> <http://e.org/p> 'LOAD <http://x/>' }")
        DEFAULT_GUARD.check_update("DELETE WHERE { ?load ?p ?o }")
        with pytest.raises(QueryRefused, match="SERVICE"):
            DEFAULT_GUARD.check_update(f"INSERT {{ ?s ?p 1 }} WHERE {{ SERVICE <{listener.url}/> {{ ?s ?p ?o }} }}")


# ---------------------------------------------------------------------- limits


def crashes(*queries: str) -> bool:
    """Whether pyoxigraph, unguarded, kills its process evaluating ``queries`` one after the other on a
    thread with the default stack size (as ``chaingraph serve`` evaluates them)."""
    program = (
        "import json, sys, threading, pyoxigraph as ox\n"
        "def run():\n"
        "    for query in json.load(sys.stdin):\n"
        "        try:\n"
        "            result = ox.Store().query(query)\n"
        "            if not isinstance(result, ox.QueryBoolean):\n"
        "                list(result)\n"
        "        except (SyntaxError, OSError, RuntimeError):\n"
        "            pass\n"
        "thread = threading.Thread(target=run)\n"
        "thread.start()\n"
        "thread.join()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], input=json.dumps(queries), text=True, capture_output=True, timeout=120
    )
    assert done.returncode <= 0, done.stderr  # killed by a signal, or a clean exit
    return done.returncode < 0


DEEPEST = 128  # DEFAULT_GUARD.max_depth
WIDEST = 2000  # DEFAULT_GUARD.max_group


class TestLimits:
    def test_the_defaults(self):
        assert (DEFAULT_GUARD.max_depth, DEFAULT_GUARD.max_group, DEFAULT_GUARD.max_length) == (
            DEEPEST,
            WIDEST,
            1_000_000,
        )

    def test_a_nesting_that_crashes_pyoxigraph_is_refused(self):
        assert crashes(DEEP)
        with pytest.raises(QueryRefused, match="nested more than 128 deep"):
            DEFAULT_GUARD.check_query(DEEP)

    def test_a_chain_that_crashes_pyoxigraph_is_refused(self):
        sparql = "SELECT * WHERE { " + " ".join(f"BIND({i} AS ?v{i})" for i in range(3000)) + " }"
        assert crashes(sparql)
        with pytest.raises(QueryRefused, match="more than 2,000 terms"):
            DEFAULT_GUARD.check_query(sparql)

    def test_the_most_the_guard_lets_through_does_not_crash(self):
        """At the limits, the shapes that crashed first when measured (docs/sparql-guard.md) are
        evaluated one after the other, on a thread with the default stack, without a crash."""
        at_the_limits = (
            "SELECT * WHERE " + "{ " * DEEPEST + "}" * DEEPEST,
            "ASK { " + "FILTER(EXISTS { " * (DEEPEST // 2 - 1) + "}) " * (DEEPEST // 2 - 1) + "}",
            "SELECT * WHERE { " + " ".join(f"BIND({i} AS ?v{i})" for i in range(WIDEST // 2)) + " }",
            "SELECT * WHERE { " + " MINUS { ?s ?p ?o }" * (WIDEST // 2) + " }",
            "SELECT * WHERE { FILTER(" + "+".join(["1"] * (WIDEST // 2)) + ") }",
            "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * (WIDEST // 2)) + " }",
        )
        for sparql in at_the_limits:
            DEFAULT_GUARD.check_query(sparql)
        assert not crashes(*at_the_limits)

    def test_one_level_deeper_or_wider_is_refused(self):
        with pytest.raises(QueryRefused, match="nested"):
            DEFAULT_GUARD.check_query("SELECT * WHERE " + "{ " * (DEEPEST + 1) + "}" * (DEEPEST + 1))
        with pytest.raises(QueryRefused, match="terms, operators and keywords"):
            DEFAULT_GUARD.check_query("SELECT * WHERE { FILTER(" + "+".join(["1"] * (WIDEST // 2 + 1)) + ") }")

    def test_long_flat_lists_are_not_limited(self):
        iris = " ".join(f"<http://e.org/c{i}>" for i in range(20_000))
        DEFAULT_GUARD.check_query(f"SELECT * WHERE {{ VALUES ?c {{ {iris} }} ?c ?p ?o }}")
        pairs = " ".join(f"(<http://e.org/c{i}#a> {i})" for i in range(5000))
        DEFAULT_GUARD.check_query(f"SELECT * WHERE {{ VALUES (?c ?n) {{ {pairs} }} }}")
        DEFAULT_GUARD.check_query("SELECT * WHERE { FILTER(1 IN (" + ", ".join(["1"] * 20_000) + ")) }")
        triples = " . ".join(f"<http://e.org/s{i}> <http://e.org/p> {i}" for i in range(5000))
        DEFAULT_GUARD.check_update(f"INSERT DATA {{ GRAPH <http://e.org/g> {{ {triples} }} }}")
        DEFAULT_GUARD.check_update(" ;\n".join(f"DROP SILENT GRAPH <http://e.org/g{i}>" for i in range(3000)))

    def test_text_length_and_custom_limits(self):
        with pytest.raises(QueryRefused, match="the query is 1,000,011 characters long; the limit is 1,000,000"):
            DEFAULT_GUARD.check_query("ASK {" + " " * 1_000_005 + "}")
        small = SparqlGuard(max_length=100, max_depth=3, max_group=5)
        with pytest.raises(QueryRefused, match="nested more than 3 deep"):
            small.check_query("ASK { { { { } } } }")
        with pytest.raises(QueryRefused, match="more than 5 terms"):
            small.check_query("ASK { ?a ?b ?c . ?d ?e ?f }")
        small.check_query("ASK { ?a ?b ?c }")

    def test_the_line_of_a_refusal_is_named(self):
        with pytest.raises(QueryRefused, match="^line 3: SERVICE <http://e.org/sparql> is not allowed"):
            DEFAULT_GUARD.check_query("SELECT *\nWHERE {\n  SERVICE <http://e.org/sparql> { ?s ?p ?o }\n}")


# ---------------------------------------------------------------------- a real store: the API and the CLI


@pytest.fixture(scope="module")
def store(tmp_path_factory, mini_ontologies) -> Path:
    return built_welding_store(tmp_path_factory.mktemp("guard"), mini_ontologies)


class TestPython:
    def test_query_refuses_service(self, store, listener):
        before = listener.connections()
        with pytest.raises(QueryRefused, match="not allowed"):
            api.query(service_query(listener), store)
        with pytest.raises(QueryRefused):
            open_store(store).query(service_query(listener))
        assert listener.connections() == before

    def test_allow_service_reaches_the_named_endpoint(self, store, listener):
        before = listener.connections()
        allowed = [listener.url + "/allowed/"]
        rows = list(api.query(service_query(listener, "/allowed/ds"), store, allow_service=allowed))
        assert [row["x"].value for row in rows] == ["from the listener"]
        assert listener.connections() == before + 1

    def test_a_remote_store_sends_no_refused_query(self, listener):
        remote = open_store(listener.url)  # the listener stands in for a SPARQL server
        before = listener.connections()
        with pytest.raises(QueryRefused):
            remote.query(service_query(listener))
        with pytest.raises(QueryRefused, match="LOAD"):
            remote._update(f"LOAD <{listener.url}/data.ttl>")
        assert listener.connections() == before
        assert [row["x"].value for row in remote.query("SELECT ?x {}")] == ["from the listener"]
        assert listener.connections() == before + 1

    def test_labels_of_values_that_are_not_iris_are_none(self, store):
        welding = "https://w3id.org/chaingraph/id/cip/48.0508"
        injected = f"{welding}> }} SERVICE <http://127.0.0.1:1/> {{"
        assert api.labels([welding, injected, "not an iri"], store=store) == {welding: "Welding Technology"}


class TestCommandLine:
    def test_service_is_exit_2_with_one_line(self, store, listener):
        before = listener.connections()
        result = runner.invoke(app, ["query", service_query(listener), "--store", str(store)])
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "error: refused: line 1: SERVICE" in lines[0] and "--allow-service" in lines[0]
        assert listener.connections() == before

    def test_allow_service_reaches_the_listener(self, store, listener):
        before = listener.connections()
        command = ["query", service_query(listener, "/allowed/q"), "--store", str(store)]
        result = runner.invoke(app, [*command, "--allow-service", listener.url + "/allowed/"])
        assert result.exit_code == 0, result.output
        assert "from the listener" in result.stdout
        assert listener.connections() == before + 1
        result = runner.invoke(app, ["query", "ASK {}", "--store", str(store), "--allow-service", "not-a-url"])
        assert result.exit_code == 2 and "--allow-service 'not-a-url'" in result.stderr

    def test_an_about_that_is_no_iri_is_exit_2(self):
        result = runner.invoke(app, ["extract", "--text", "Welders weld.", "--about", "http://exa mple.org/<bad>"])
        assert result.exit_code == 2, result.output
        assert result.stderr.strip() == "error: 'http://exa mple.org/<bad>' is not an IRI: Invalid IRI code point ' '"

    def test_a_deep_query_file_exits_2_with_a_message_not_139(self, store, tmp_path):
        deep = tmp_path / "deep.rq"
        deep.write_text(DEEP, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "chaingraph", "query", "--file", str(deep), "--store", str(store)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2, done.stderr
        assert " ".join(done.stderr.split()) == (
            f"error: {deep}: refused: line 1: brackets nested more than 128 deep, more than the evaluator survives"
        )

    def test_a_saved_query_that_calls_out_is_refused(self, store, listener, mini_ontologies, tmp_path, monkeypatch):
        ontologies = tmp_path / "ontologies"
        ontologies.mkdir()
        for entry in Path(mini_ontologies).iterdir():
            (ontologies / entry.name).symlink_to(entry)
        (ontologies / "queries").mkdir()
        saved = service_query(listener)[:-1] + "VALUES ?s { UNDEF } }"
        (ontologies / "queries" / "calls-out.rq").write_text(
            f"# Calls another server.\n# Parameter ?s: anything\n{saved}\n", encoding="utf-8"
        )
        monkeypatch.setenv("CHAINGRAPH_ONTOLOGIES", str(ontologies))
        before = listener.connections()
        result = runner.invoke(app, ["query", "--name", "calls-out", "--store", str(store)])
        assert result.exit_code == 2, result.output
        assert "saved query calls-out: refused: line 3: SERVICE" in result.stderr
        assert listener.connections() == before

    def test_a_parameter_cannot_become_sparql(self, store, listener):
        before = listener.connections()
        call = f"}} SERVICE <{listener.url}/x> {{ ?s ?p ?o }}"
        for parameter, reason in (
            (f"predicate=<http://e.org/p> {call} #>", "is not an IRI"),
            (f"subject=cip:48.0508> {call} VALUES ?s {{", "is not a valid cip code"),
            (f"subject=<http://e.org/a> {call} VALUES ?s {{", "unknown scheme prefix"),
            (f'object="a" {call} "', "not a well-formed literal"),
        ):
            result = runner.invoke(
                app, ["query", "--name", "evidence-for-link", "-p", parameter, "--store", str(store)]
            )
            assert result.exit_code == 2, result.output
            assert reason in result.stderr
        assert listener.connections() == before


# ---------------------------------------------------------------------- the endpoint


@pytest.fixture(scope="module")
def server(store, listener):
    running = Server(
        store,
        *("--workers", "2", "--threads", "2", "--timeout", "20"),
        *("--allow-update", "--update-token", TOKEN, "--allow-service", listener.url + "/allowed/"),
    )
    yield running
    running.stop()


def post(server: Server, path: str, body: str, kind: str, **headers: str) -> tuple[int, bytes]:
    status, _, answer = http(server.url + path, data=body.encode(), headers={"Content-Type": kind, **headers})
    return status, answer


class TestEndpoint:
    def test_service_by_get_and_post_is_400_and_calls_nobody(self, server, listener):
        before = listener.connections()
        status, _, body = get(server, service_query(listener), accept="application/sparql-results+json")
        assert status == 400 and f"SERVICE <{listener.url}/sparql> is not allowed".encode() in body
        form = urllib.parse.urlencode({"query": service_query(listener)})
        for body, kind in (
            (form, "application/x-www-form-urlencoded"),
            (service_query(listener), "application/sparql-query"),
        ):
            status, answer = post(server, "/query", body, kind)
            assert status == 400 and b"query refused" in answer
        assert listener.connections() == before

    def test_an_allowed_endpoint_is_called(self, server, listener):
        before = listener.connections()
        status, _, body = get(server, service_query(listener, "/allowed/q"), accept="application/sparql-results+json")
        assert status == 200, body
        assert json.loads(body)["results"]["bindings"] == ANSWER["results"]["bindings"]
        assert listener.connections() == before + 1

    def test_load_in_an_update_calls_nobody(self, server, listener):
        before = listener.connections()
        for update in (
            f"LOAD <{listener.url}/data.ttl>",
            f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{listener.url}/x> {{ ?s ?p ?o }} }}",
        ):
            status, answer = post(
                server, "/update", update, "application/sparql-update", Authorization=f"Bearer {TOKEN}"
            )
            assert status == 400 and b"update refused" in answer, answer
        assert listener.connections() == before

    def test_nested_queries_are_refused_while_others_are_answered(self, server):
        workers = children(server.process.pid)
        plain = f"PREFIX cg: <{CG}> SELECT ?skill WHERE {{ ?programme cg:teaches ?skill }}"
        queries = [DEEP, plain] * 8
        with ThreadPoolExecutor(8) as pool:
            answers = list(
                pool.map(
                    lambda sparql: post(
                        server, "/query", sparql, "application/sparql-query", Accept="application/sparql-results+json"
                    ),
                    queries,
                )
            )
        for (status, body), sparql in zip(answers, queries, strict=True):
            if sparql is DEEP:
                assert status == 400 and b"nested more than 128 deep" in body
            else:
                assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 2
        assert children(server.process.pid) == workers  # no serving process died or retired


# ---------------------------------------------------------------------- a real build


def test_a_manifest_about_cannot_call_out_and_a_bad_one_is_named(tmp_path, mini_env, listener):
    injection = f"http://x.org/a> }} SERVICE <{listener.url}/x> {{ ?c ?p ?o }} }} #"
    front = f"http://x.org/b> }} SERVICE <{listener.url}/y> {{ ?c ?p ?o }} }} #"
    corpus = write_corpus(
        tmp_path / "corpus",
        {
            "welding.md": CURRICULUM,
            "evil.txt": "Students learn SQL.\n",
            "bad.txt": "Welders use Tableau.\n",
            "front.md": f"---\ntitle: Front\nabout: {front}\n---\n\nWelders weld.\n",
        },
        "path,title,kind,about\n"
        "welding.md,Welding,curriculum,cip:48.0508\n"
        f'evil.txt,Evil,curriculum,"{injection}"\n'
        'bad.txt,Bad,standard,"http://exa mple.org/<bad>"\n',
    )
    before = listener.connections()
    result = runner.invoke(app, ["build", str(corpus), "--store", str(tmp_path / "store")])
    assert result.exit_code == 0, result.output
    assert listener.connections() == before
    output = " ".join((result.stdout + result.stderr).split())
    assert f"warning: evil.txt: manifest.csv line 3: about {injection!r} cannot be resolved" in output
    assert "warning: bad.txt: manifest.csv line 4: about 'http://exa mple.org/<bad>' cannot be resolved" in output
    assert "warning: front.md: front matter: about 'http://x.org/b> }" in output
    assert "built 4 documents" in output
    found = api.query(
        f"PREFIX cg: <{CG}> SELECT ?path ?about WHERE {{ ?d cg:sourcePath ?path OPTIONAL {{ ?d cg:about ?about }} }}",
        tmp_path / "store",
    )
    abouts = {row["path"].value: row["about"].value if row["about"] is not None else None for row in found}
    welding = "https://w3id.org/chaingraph/id/cip/48.0508"
    assert abouts == {"welding.md": welding, "evil.txt": None, "bad.txt": None, "front.md": None}
