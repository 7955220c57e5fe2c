"""Small corpora and graph comparisons shared by the build, store and remote-store tests."""

from __future__ import annotations

import pyoxigraph as ox

from chaingraph import api
from chaingraph.rdf.namespaces import CG
from chaingraph.store import open_store

PREFIXES = f"PREFIX cg: <{CG}> PREFIX dcterms: <http://purl.org/dc/terms/> "
WELDING_MANIFEST = (
    "path,title,kind,about,date\n"
    "welding.md,Welding curriculum,curriculum,cip:48.0508,2020\n"
    "welder.txt,Welder standard,standard,onet:51-4121.06,2025\n"
)

CURRICULUM = (
    "# Welding Technology\n\n"
    "Students learn SQL and PLC programming.\n\n"
    "Welders read programmable logic controller output.\n"
)
STANDARD = "Welders\n\nWelders use Tableau daily.\n"


def write_corpus(folder, files: dict[str, str], manifest: str | None = None):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = folder / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    if manifest is not None:
        (folder / "manifest.csv").write_text(manifest, encoding="utf-8")
    return folder


def rows(store, sparql: str) -> list[tuple]:
    result = api.query(PREFIXES + sparql, store)
    names = [v.value for v in result.variables]
    return sorted(tuple(None if r[n] is None else r[n].value for n in names) for r in result)


def all_quads(store) -> set[str]:
    """The store's quads with blank nodes canonically renamed, so equal graphs compare equal."""
    dataset = ox.Dataset(open_store(store).quads())
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return {str(q) for q in dataset}


def welding_corpus(folder):
    """A curriculum about CIP 48.0508 and a standard about O*NET 51-4121.06, with their manifest."""
    return write_corpus(folder, {"welding.md": CURRICULUM, "welder.txt": STANDARD}, WELDING_MANIFEST)


def built_welding_store(folder, ontologies):
    """``folder/store``: the welding corpus (in ``folder/corpus``) built with the vocabularies in ``ontologies``."""
    import pytest  # only tests call this

    corpus = welding_corpus(folder / "corpus")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHAINGRAPH_ONTOLOGIES", str(ontologies))
        patch.setenv("CHAINGRAPH_CACHE", str(folder / "cache"))
        api.build(corpus, folder / "store")
    return folder / "store"
