"""Where the data that ships with chaingraph lives: ontology, shapes, vocabularies, queries."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ontologies_dir", "vocab_dir", "ontology_file", "shapes_file", "default_store_path"]


def ontologies_dir() -> Path:
    """The ``ontologies/`` folder: ``$CHAINGRAPH_ONTOLOGIES`` if set, else the one beside the package."""
    override = os.environ.get("CHAINGRAPH_ONTOLOGIES")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "ontologies"


def vocab_dir() -> Path:
    """The folder of built SKOS vocabularies (``ontologies/vocab``)."""
    return ontologies_dir() / "vocab"


def ontology_file() -> Path:
    """The OWL ontology (``ontologies/chaingraph.ttl``)."""
    return ontologies_dir() / "chaingraph.ttl"


def shapes_file() -> Path:
    """The SHACL shapes (``ontologies/shapes.ttl``)."""
    return ontologies_dir() / "shapes.ttl"


def default_store_path() -> str:
    """The store every command uses unless told otherwise: ``$CHAINGRAPH_STORE`` or ``./chaingraph-store``."""
    return os.environ.get("CHAINGRAPH_STORE", "chaingraph-store")
