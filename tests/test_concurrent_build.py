"""One writer at a time per store, and no generation removed while it is read.

Real ``chaingraph build`` processes run into one store at once (with and without ``--wait``),
a build holding the store is killed, readers hold generations while builds publish newer ones,
and a build runs while ``chaingraph serve`` answers from the store. Every end state is compared
with a clean build of one of the two corpora (canonical quads), worked out independently.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pyoxigraph as ox
import pytest
from corpus_helpers import all_quads, welding_corpus, write_corpus
from test_serve import Server, children, http, wait_for

from chaingraph import api
from chaingraph.rdf.namespaces import CG
from chaingraph.serve.answers import ReadHandles
from chaingraph.store import EmbeddedStore, StoreBusy, open_store

#: A second corpus sharing no document with the welding one (which has two documents).
OTHER_CORPUS = {
    "sql.txt": "Welders use SQL every day.\n",
    "plc.md": "# PLC\n\nStudents learn PLC programming and Tableau.\n",
    "dashboards.txt": "Analysts build dashboards in Tableau with structured query language.\n",
}
DOCUMENTS = {"welding": 2, "other": 3}
COUNT_DOCUMENTS = f"PREFIX cg: <{CG}> SELECT (COUNT(?d) AS ?n) WHERE {{ ?d a cg:Document }}"

#: A build that stops inside the writer lock (at its first extracted document) until a file appears.
GATED_BUILD = """
import sys, time
from pathlib import Path
import chaingraph
corpus, store, inside, gate, workers = sys.argv[1:6]
def progress(done, total, path):
    Path(inside).touch()
    while not Path(gate).exists():
        time.sleep(0.02)
chaingraph.build(corpus, store, progress=progress, workers=int(workers))
"""


@pytest.fixture(scope="module")
def setting(tmp_path_factory, mini_ontologies):
    """The two corpora, a clean build of each (canonical quads), and the environment of every build here."""
    folder = tmp_path_factory.mktemp("concurrent")
    env = {"CHAINGRAPH_ONTOLOGIES": str(mini_ontologies), "CHAINGRAPH_CACHE": str(folder / "cache")}
    corpora = {"welding": welding_corpus(folder / "welding"), "other": write_corpus(folder / "other", OTHER_CORPUS)}
    clean = {}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        for name, corpus in corpora.items():
            api.build(corpus, folder / f"clean-{name}")
            clean[name] = all_quads(folder / f"clean-{name}")
    assert clean["welding"] and clean["other"] and clean["welding"] != clean["other"]
    (folder / "gated_build.py").write_text(GATED_BUILD, encoding="utf-8")
    return {"corpora": corpora, "clean": clean, "env": {**os.environ, **env}, "script": folder / "gated_build.py"}


@pytest.fixture
def in_setting(setting, monkeypatch):
    """Builds in this process see the same vocabulary as those in child processes."""
    for name in ("CHAINGRAPH_ONTOLOGIES", "CHAINGRAPH_CACHE"):
        monkeypatch.setenv(name, setting["env"][name])
    return setting


def cli_build(setting, corpus: str, store: Path, *options: str, **popen) -> subprocess.Popen:
    command = [sys.executable, "-m", "chaingraph", "build", str(setting["corpora"][corpus]), "--store", str(store)]
    return subprocess.Popen([*command, *options], env=setting["env"], text=True, **popen)


class GatedBuild:
    """A build in a child process that holds the store's writer lock until :meth:`open` is called."""

    def __init__(self, setting, corpus: str, store: Path, tmp_path: Path, workers: int = 1) -> None:
        self.inside, self.gate = tmp_path / f"inside-{corpus}", tmp_path / f"gate-{corpus}"
        arguments = [str(setting["corpora"][corpus]), str(store), str(self.inside), str(self.gate), str(workers)]
        self.process = subprocess.Popen(
            [sys.executable, str(setting["script"]), *arguments],
            env=setting["env"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while not self.inside.exists():
            assert self.process.poll() is None, self.process.communicate()
            assert time.monotonic() < deadline, "the gated build never reached its first document"
            time.sleep(0.05)

    def open(self) -> int:
        self.gate.touch()
        _, stderr = self.process.communicate(timeout=120)
        assert self.process.returncode == 0, stderr
        return self.process.returncode


def live_generation(store: Path) -> Path:
    name = (store / "CURRENT").read_text(encoding="utf-8").strip()
    assert (store / name).is_dir(), f"CURRENT names {name}, which is missing"
    return store / name


def generations(store: Path) -> list[str]:
    return sorted(p.name for p in store.iterdir() if p.name.startswith("gen-"))


def removed(stdout: str) -> int:
    """The documents a CLI build reports as removed: those of the corpus built before it."""
    found = re.search(r"built \d+ documents into .* \((\d+) extracted, (\d+) unchanged, (\d+) removed\)", stdout)
    assert found, stdout
    return int(found.group(3))


def canonical(quads) -> set[str]:
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return {str(q) for q in dataset}


# ---------------------------------------------------------------------- two builds at once


@pytest.mark.parametrize("delay", [0.0, 0.5, 1.5])
def test_builds_at_once_with_wait_end_as_a_clean_build_of_the_last(setting, tmp_path, delay):
    store = tmp_path / "store"
    first = cli_build(setting, "welding", store, "--wait", "300", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(delay)
    second = cli_build(setting, "other", store, "--wait", "300", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    outcomes = {name: process.communicate(timeout=300) for name, process in (("welding", first), ("other", second))}
    assert first.returncode == 0 and second.returncode == 0, outcomes
    # The build that took the store second synced against the first's graph: it removed its documents.
    removals = {name: removed(stdout) for name, (stdout, _) in outcomes.items()}
    last = max(removals, key=removals.get)
    earlier = "other" if last == "welding" else "welding"
    assert removals == {earlier: 0, last: DOCUMENTS[earlier]}
    for name, (_, stderr) in outcomes.items():
        # Only the second can have waited; when it did, it said so.
        assert ("waiting up to 300 s for the store" in stderr) <= (name == last), stderr
    live_generation(store)
    assert all_quads(store) == setting["clean"][last]  # one corpus's graph: never empty, never mixed
    assert api.stats(store)["documents"] == DOCUMENTS[last]


def test_busy_store_is_refused_at_once_naming_the_holder(setting, tmp_path):
    store = tmp_path / "store"
    holder = GatedBuild(setting, "welding", store, tmp_path)
    refused = cli_build(setting, "other", store, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, stderr = refused.communicate(timeout=120)
    assert refused.returncode == 1
    message = " ".join(stderr.split())
    assert message.startswith("error: the store at") and "Traceback" not in stderr
    assert f"is being written by process {holder.process.pid} on " in message
    assert "gated_build.py" in message and "--wait SECONDS" in message
    holder.open()
    assert all_quads(store) == setting["clean"]["welding"]  # the holder's result, intact
    assert not (store / "WRITER").exists()


def test_waiting_build_starts_from_the_holders_result(setting, tmp_path):
    store = tmp_path / "store"
    holder = GatedBuild(setting, "welding", store, tmp_path)
    log = tmp_path / "waiting.log"
    with log.open("w", encoding="utf-8") as stderr:
        waiting = cli_build(setting, "other", store, "--wait", "300", stdout=subprocess.PIPE, stderr=stderr)
        assert wait_for(lambda: "waiting up to 300 s" in log.read_text(encoding="utf-8"), 120), log.read_text()
        assert waiting.poll() is None
        assert f"process {holder.process.pid}" in " ".join(log.read_text(encoding="utf-8").split())
        holder.open()
        stdout, _ = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, log.read_text(encoding="utf-8")
    assert removed(stdout) == DOCUMENTS["welding"]
    assert all_quads(store) == setting["clean"]["other"]
    assert generations(store) == [live_generation(store).name]


def test_killed_holder_leaves_the_graph_and_no_lock(setting, in_setting, tmp_path):
    store = tmp_path / "store"
    api.build(setting["corpora"]["other"], store)
    # Forked extraction workers outlive their killed parent for a while: they must not keep the lock.
    holder = GatedBuild(setting, "welding", store, tmp_path, workers=2)
    workers = children(holder.process.pid)
    assert workers, "the build forked no workers"
    try:
        holder.process.send_signal(signal.SIGKILL)
        holder.process.wait(timeout=30)
        assert all_quads(store) == setting["clean"]["other"]  # the previous graph, intact
        assert api.build(setting["corpora"]["welding"], store).removed == DOCUMENTS["other"]
    finally:
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert all_quads(store) == setting["clean"]["welding"]
    assert generations(store) == [live_generation(store).name]  # the killed build's copy is swept


def test_writer_lock_is_reentrant_in_its_thread_and_busy_for_others(tmp_path):
    store = EmbeddedStore(tmp_path / "store")
    outcome: list[str] = []

    def other_thread() -> None:
        try:
            with store.writer(wait=0.2):
                outcome.append("taken")
        except StoreBusy as error:
            outcome.append(str(error))

    with store.writer(purpose="a test holding the store"):
        with store.transaction() as db:  # a build's transaction takes the lock its build holds
            db.add(ox.Quad(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.Literal("o"), ox.NamedNode("urn:x:g")))
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        assert open_store(store.path).writer_holder().startswith(f"process {os.getpid()} on ")
    expected = (
        f"the store at {re.escape(str(store.path))} is being written by process {os.getpid()} on "
        rf"{re.escape(socket.gethostname())} \(a test holding the store\) since \S+ \(waited 0.2 s\)"
    )
    assert len(outcome) == 1 and re.fullmatch(expected, outcome[0]), outcome
    assert open_store(store.path).writer_holder() is None and not (store.path / "WRITER").exists()
    with store.writer(wait=0):  # free again
        pass
    assert [str(q.object.value) for q in store.quads()] == ["o"]


# ---------------------------------------------------------------------- readers keep their generation


def test_reader_keeps_its_generation_until_it_lets_go(setting, in_setting, tmp_path):
    store = tmp_path / "store"
    api.build(setting["corpora"]["welding"], store)
    held = live_generation(store)
    reader = open_store(store)
    rows = reader.quads()
    first = next(rows)
    api.build(setting["corpora"]["other"], store)  # publishes a newer generation
    assert live_generation(store) != held and held.is_dir()
    assert canonical([first, *rows]) == setting["clean"]["welding"]  # still read from the held one
    assert all_quads(store) == setting["clean"]["other"]
    reader.close()
    api.build(setting["corpora"]["welding"], store)  # the next writer removes what nobody reads
    assert generations(store) == [live_generation(store).name]


def test_serving_handles_keep_their_generation_while_queries_read_it(setting, in_setting, tmp_path):
    store = tmp_path / "store"
    api.build(setting["corpora"]["welding"], store)
    old = live_generation(store)
    handles = ReadHandles()

    def documents(db: ox.Store) -> int:
        return int(next(iter(db.query(COUNT_DOCUMENTS, use_default_graph_as_union=True)))["n"].value)

    with handles.reading(str(old)) as db:
        api.build(setting["corpora"]["other"], store)
        new = live_generation(store)
        assert new != old and old.is_dir()
        assert documents(db) == DOCUMENTS["welding"]
    with handles.reading(str(new)) as db:  # the next request moves to the new generation...
        assert documents(db) == DOCUMENTS["other"]
    api.build(setting["corpora"]["welding"], store)
    # ...and lets the old one go, while the one it serves is kept.
    assert not old.exists() and new.is_dir()
    assert generations(store) == sorted([new.name, live_generation(store).name])


# ---------------------------------------------------------------------- a store being served


def served_documents(server: Server) -> tuple[int, int | None]:
    query = urllib.parse.urlencode({"query": COUNT_DOCUMENTS})
    status, _, body = http(f"{server.url}/query?{query}", headers={"Accept": "application/sparql-results+json"})
    if status != 200:
        return status, None
    return status, int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


def test_build_while_serving_keeps_answering_and_serves_the_new_graph(setting, in_setting, tmp_path):
    store = tmp_path / "store"
    api.build(setting["corpora"]["welding"], store)
    server = Server(store, "--workers", "2")
    answers: list[tuple[int, int | None]] = []
    building = threading.Event()
    try:

        def ask_while_building() -> None:
            while building.is_set():
                answers.append(served_documents(server))
                time.sleep(0.01)

        building.set()
        asking = threading.Thread(target=ask_while_building)
        asking.start()
        try:
            build = cli_build(setting, "other", store, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            _, stderr = build.communicate(timeout=300)
        finally:
            building.clear()
            asking.join()
        assert build.returncode == 0, stderr
        assert answers and all(status == 200 for status, _ in answers), answers
        assert {count for _, count in answers} <= {DOCUMENTS["welding"], DOCUMENTS["other"]}
        assert wait_for(lambda: served_documents(server) == (200, DOCUMENTS["other"]), 15)
        # Both serving processes moved to it (requests go to either).
        assert [served_documents(server) for _ in range(6)] == [(200, DOCUMENTS["other"])] * 6
    finally:
        server.stop()


def test_updates_and_builds_take_turns(setting, in_setting, tmp_path):
    store = tmp_path / "store"
    api.build(setting["corpora"]["welding"], store)
    token = "a-token-long-enough-1234"
    server = Server(store, "--allow-update", "--update-token", token, "--timeout", "4", "--workers", "2")
    headers = {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {token}"}
    insert = b"INSERT DATA { GRAPH <urn:x-test:notes> { <urn:x-test:a> <urn:x-test:b> 1 } }"
    ask = "ASK { GRAPH <urn:x-test:notes> { ?s ?p ?o } }"

    def noted() -> bool:
        query = urllib.parse.urlencode({"query": ask})
        status, _, body = http(f"{server.url}/query?{query}", headers={"Accept": "application/sparql-results+json"})
        assert status == 200, body
        return json.loads(body)["boolean"]

    try:
        # A writer holds the store past the time limit: the update is refused, naming it.
        with open_store(store).writer(purpose="a test holding the store"):
            status, _, body = http(server.url + "/update", data=insert, headers=headers)
        assert status == 503 and b"a test holding the store" in body, body
        assert not noted()
        assert http(server.url + "/update", data=insert, headers=headers)[0] == 204
        assert noted()

        # An update that runs past the limit holds the store while it runs, then is killed with its lock.
        # Every triple against every pair of triples (the named graphs: an update's default graph is empty),
        # compared as text: hundreds of millions of comparisons that no index shortens, finding nothing.
        runaway = (
            b"INSERT { GRAPH <urn:x-test:big> { ?a ?b ?c } } WHERE { GRAPH ?x { ?a ?b ?c } GRAPH ?y { ?d ?e ?f } "
            b'GRAPH ?z { ?g ?h ?i } FILTER(STR(?c) = CONCAT(STR(?f), STR(?i), "!")) }'
        )
        outcome: list = []
        thread = threading.Thread(
            target=lambda: outcome.append(http(server.url + "/update", data=runaway, headers=headers))
        )
        thread.start()
        try:
            assert wait_for(lambda: "SPARQL update" in (open_store(store).writer_holder() or ""), 10)
            with pytest.raises(StoreBusy, match="SPARQL update of chaingraph serve"):
                api.build(setting["corpora"]["other"], store)
        finally:
            thread.join()
        status, _, body = outcome[0]
        assert status == 503 and b"ran past the time limit" in body, body
        with open_store(store).writer(wait=0):  # the killed update process took its lock with it
            pass
        report = api.build(setting["corpora"]["other"], store)
        assert report.removed == DOCUMENTS["welding"]
        assert noted()  # the update's graph stays: a build changes only what it built
    finally:
        server.stop()
