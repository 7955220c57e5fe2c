"""Writing the graph out in standard RDF serialisations (Turtle, N-Triples, TriG, N-Quads, JSON-LD)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from chaingraph.rdf.namespaces import CG, CG_GRAPH, DCTERMS, PROV, RDF, RDFS, SKOS, XSD
from chaingraph.store import EmbeddedStore

__all__ = ["EXPORT_FORMATS", "PREFIXES", "export_graph", "selected_graphs"]

#: Format name on the command line -> pyoxigraph format.
EXPORT_FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "trig": ox.RdfFormat.TRIG,
    "nq": ox.RdfFormat.N_QUADS,
    "jsonld": ox.RdfFormat.JSON_LD,
}

PREFIXES = {
    "cg": CG,
    "skos": SKOS,
    "prov": PROV,
    "dcterms": DCTERMS,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "esco": "http://data.europa.eu/esco/",
    "cgid": "https://w3id.org/chaingraph/id/",
}


def selected_graphs(store: EmbeddedStore, *, include_vocabularies: bool = False) -> list[str]:
    """The named graphs an export covers: documents and relations, plus ontology and vocabularies if asked."""
    graphs = []
    for graph in store.named_graphs():
        if (
            graph.startswith(CG_GRAPH + "doc/")
            or graph == CG_GRAPH + "relations"
            or include_vocabularies
            and graph != CG_GRAPH + "meta"
        ):
            graphs.append(graph)
    return graphs


def _quads(store: EmbeddedStore, graphs: list[str]) -> Iterator[ox.Quad]:
    for graph in graphs:
        yield from store.quads(graph)


def export_graph(
    store: EmbeddedStore,
    output: str | Path | BinaryIO,
    fmt: str = "trig",
    *,
    include_vocabularies: bool = False,
) -> int:
    """Serialise the store's graph to ``output``; returns the number of quads written.

    Dataset formats (``trig``, ``nq``, ``jsonld``) keep one named graph per document; triple
    formats (``ttl``, ``nt``) merge the graphs.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    rdf_format = EXPORT_FORMATS[fmt]
    graphs = selected_graphs(store, include_vocabularies=include_vocabularies)
    count = 0

    def counted(items):
        nonlocal count
        for item in items:
            count += 1
            yield item

    quads = _quads(store, graphs)
    items = quads if rdf_format.supports_datasets else (q.triple for q in quads)
    prefixes = PREFIXES if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
    target = str(output) if isinstance(output, Path) else output
    ox.serialize(counted(items), target, format=rdf_format, prefixes=prefixes)
    return count
