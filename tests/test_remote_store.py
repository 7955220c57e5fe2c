"""Build, query and align against a real SPARQL server: ``oxigraph serve`` started on 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from corpus_helpers import all_quads, welding_corpus

from chaingraph import api
from chaingraph.align.projection import concept_graph
from chaingraph.store import open_store


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(found).exists():
        pytest.fail("the `oxigraph` server (PyPI package oxigraph, a test dependency) is not installed")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [oxigraph_binary(), "serve", "--location", str(tmp_path / "oxigraph"), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/query?query=ASK%7B%7D", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("oxigraph serve did not start")
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def corpus(tmp_path, mini_env):
    return welding_corpus(tmp_path / "corpus")


def test_remote_build_equals_embedded_build(server, corpus, tmp_path):
    remote = api.build(corpus, server)
    local = api.build(corpus, tmp_path / "local")
    assert (remote.documents, remote.extracted, remote.partial) == (2, 2, False)
    assert all_quads(server) == all_quads(tmp_path / "local")
    assert api.stats(server) == api.stats(tmp_path / "local")
    assert local.documents == 2


def test_remote_rebuild_change_and_removal(server, corpus):
    api.build(corpus, server)
    again = api.build(corpus, server)
    assert (again.extracted, again.unchanged) == (0, 2)
    (corpus / "welder.txt").write_text("Welders\n\nWelders write SQL.\n", encoding="utf-8")
    changed = api.build(corpus, server)
    assert (changed.extracted, changed.unchanged) == (1, 1)
    welder = "https://w3id.org/chaingraph/id/onet/51-4121.06"
    uses = list(api.query(f"SELECT ?o WHERE {{ <{welder}> <https://w3id.org/chaingraph/ontology#uses> ?o }}", server))
    assert uses == []
    documents = [r["p"].value for r in api.query(
        "SELECT ?p WHERE { ?d <https://w3id.org/chaingraph/ontology#sourcePath> ?p } ORDER BY ?p", server
    )]  # fmt: skip
    assert documents == ["welder.txt", "welding.md"]


def test_align_reads_a_remote_store(server, corpus, tmp_path):
    api.build(corpus, server)
    api.build(corpus, tmp_path / "local")
    remote, local = concept_graph(open_store(server)), concept_graph(open_store(tmp_path / "local"))
    assert sorted(remote.edges(data=True)) == sorted(local.edges(data=True))
    assert dict(remote.nodes(data=True)) == dict(local.nodes(data=True))


def test_malformed_query_and_unreachable_server(server):
    from chaingraph.store import QueryError, StoreError

    with pytest.raises(QueryError):
        api.query("SELEKT nothing", server)
    with pytest.raises(StoreError, match="cannot reach"):
        api.query("ASK {}", f"http://127.0.0.1:{free_port()}")
