"""Shared fixtures: a hand-made mini vocabulary for exact tests, and the real vocabularies once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA = ROOT.parent / "shared" / "data"

MINI_STOP_LABELS = "design\nit\nprocess\n"


@pytest.fixture(scope="session")
def mini_ontologies(tmp_path_factory) -> Path:
    """An ``ontologies/`` folder holding the real ontology and shapes but only the mini vocabulary."""
    folder = tmp_path_factory.mktemp("ontologies")
    for name in ("chaingraph.ttl", "shapes.ttl"):
        shutil.copy(ROOT / "ontologies" / name, folder / name)
    shutil.copytree(FIXTURES / "mini_vocab", folder / "vocab")
    (folder / "stoplabels-en.txt").write_text(MINI_STOP_LABELS, encoding="utf-8")
    return folder


@pytest.fixture
def mini_env(mini_ontologies, monkeypatch, tmp_path) -> Path:
    """Point chaingraph at the mini vocabulary (and a private gazetteer cache) for one test."""
    monkeypatch.setenv("CHAINGRAPH_ONTOLOGIES", str(mini_ontologies))
    monkeypatch.setenv("CHAINGRAPH_CACHE", str(tmp_path / "cache"))
    return mini_ontologies


@pytest.fixture(scope="session")
def mini_nlp(mini_ontologies, tmp_path_factory):
    """A pipeline over the mini vocabulary."""
    import os

    from chaingraph.nlp.pipeline import build_pipeline

    old = os.environ.get("CHAINGRAPH_ONTOLOGIES")
    os.environ["CHAINGRAPH_ONTOLOGIES"] = str(mini_ontologies)
    try:
        return build_pipeline("en", vocab_path=str(mini_ontologies / "vocab"))
    finally:
        if old is None:
            del os.environ["CHAINGRAPH_ONTOLOGIES"]
        else:
            os.environ["CHAINGRAPH_ONTOLOGIES"] = old


@pytest.fixture(scope="session")
def full_nlp():
    """The real pipeline over the shipped vocabularies (seconds to load; shared by the session)."""
    from chaingraph.nlp.pipeline import load_pipeline

    return load_pipeline("en")
