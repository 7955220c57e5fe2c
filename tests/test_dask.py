"""Extraction on a Dask cluster: a two-process ``LocalCluster`` builds the same graph as one process."""

from __future__ import annotations

import logging

import pytest
from corpus_helpers import all_quads, write_corpus

from chaingraph import api

distributed = pytest.importorskip("distributed")


@pytest.fixture
def corpus(tmp_path, mini_env):
    files = {
        f"doc{i}.txt": f"Welders number {i} use SQL and Tableau.\n\nA programmable logic controller {i}.\n"
        for i in range(8)
    }
    files["zh.txt"] = "学生使用工具学习SQL。"
    files["curriculum.md"] = "# Welding Technology\n\nStudents learn SQL and PLC programming.\n"
    manifest = "path,kind,about\ncurriculum.md,curriculum,cip:48.0508\n"
    return write_corpus(tmp_path / "corpus", files, manifest)


def test_two_worker_cluster_builds_the_serial_graph(corpus, tmp_path, monkeypatch):
    serial = api.build(corpus, tmp_path / "serial")
    monkeypatch.setattr("chaingraph.executors.BATCH_WORDS", 20)  # a few documents per batch: both workers work
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    )
    try:
        seen = []
        report = api.build(
            corpus,
            tmp_path / "dask",
            executor="dask",
            scheduler=cluster.scheduler_address,
            progress=lambda done, total, path: seen.append(path),
        )
    finally:
        cluster.close()
    assert (report.extracted, report.partial) == (serial.extracted, False) == (10, False)
    assert sorted(seen) == sorted([f"doc{i}.txt" for i in range(8)] + ["curriculum.md", "zh.txt"])
    assert all_quads(tmp_path / "dask") == all_quads(tmp_path / "serial")


def test_dask_without_a_scheduler_starts_a_local_cluster(corpus, tmp_path):
    report = api.build(corpus, tmp_path / "store", executor="dask", workers=1)
    assert report.extracted == 10
    again = api.build(corpus, tmp_path / "store", executor="dask", workers=1)
    assert (again.extracted, again.unchanged) == (0, 10)  # nothing to do: no cluster needed either


def test_unreachable_scheduler_is_a_clear_error(corpus, tmp_path):
    from chaingraph.executors import ExecutorError

    (corpus / "doc0.txt").write_text("Welders use SQL.\n", encoding="utf-8")
    with pytest.raises(ExecutorError, match="cannot reach the Dask scheduler"):
        api.build(corpus, tmp_path / "store", executor="dask", scheduler="tcp://127.0.0.1:9")
    assert not (tmp_path / "store" / "CURRENT").exists()
