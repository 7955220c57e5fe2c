"""A build killed with SIGKILL in the middle of writing leaves the previous graph intact and
queryable; the next build completes the work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from corpus_helpers import CURRICULUM, STANDARD, all_quads, write_corpus

from chaingraph import api
from chaingraph.store import open_store

ROOT = Path(__file__).resolve().parents[1]


def test_sigkill_mid_build_then_rebuild(tmp_path, mini_env):
    corpus = write_corpus(tmp_path / "corpus", {"welding.md": CURRICULUM, "welder.txt": STANDARD})
    store = tmp_path / "store"
    api.build(corpus, store)
    before = all_quads(store)

    # The real ontologies make the next build reload every vocabulary graph: seconds of writing
    # into the new version of the store, long enough to be caught in the act.
    env = {**os.environ, "CHAINGRAPH_ONTOLOGIES": str(ROOT / "ontologies")}
    command = [sys.executable, "-m", "chaingraph", "build", str(corpus), "--store", str(store)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    new_version = store / "gen-000002"
    while not new_version.exists():
        assert process.poll() is None, "the build ended before it started writing"
        assert time.monotonic() < deadline, "the build never started writing"
        time.sleep(0.05)
    time.sleep(0.5)  # well inside the vocabulary load
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    assert (store / "CURRENT").read_text(encoding="utf-8").strip() == "gen-000001"
    assert all_quads(store) == before  # the previous graph, intact and queryable
    assert api.stats(store)["documents"] == 2

    env_run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert env_run.returncode == 0, env_run.stderr
    assert not new_version.exists() or (store / "CURRENT").read_text(encoding="utf-8").strip() == "gen-000002"
    assert sorted(p.name for p in store.iterdir() if p.name.startswith("gen-")) == [
        (store / "CURRENT").read_text(encoding="utf-8").strip()
    ]
    assert api.stats(open_store(store))["concepts_by_class"]["Skill"] > 13_000
