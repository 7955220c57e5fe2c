"""Fixtures of the fuzz suite: the outbound listener, and a small store built from the mini vocabulary."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_helpers import built_welding_store
from fuzz_support import Listener


@pytest.fixture(scope="session")
def listener():
    """The listener every outbound call would reach; each test checks it was never called."""
    running = Listener()
    yield running
    running.close()


@pytest.fixture(scope="session")
def welding_store(tmp_path_factory, mini_ontologies) -> Path:
    """A store of the two welding documents over the mini vocabulary (630 quads with the ontology)."""
    return built_welding_store(tmp_path_factory.mktemp("fuzz-store"), mini_ontologies)
