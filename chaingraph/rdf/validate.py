"""Checking the built graph against the SHACL shapes in ``ontologies/shapes.ttl`` (pyshacl)."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
import pyshacl
import rdflib

from chaingraph.rdf.namespaces import CG, CG_GRAPH, RDF, SKOS
from chaingraph.resources import ontology_file, shapes_file
from chaingraph.store import EmbeddedStore

__all__ = ["ValidationReport", "validate_store", "validate_graph"]


@dataclass
class ValidationReport:
    """The outcome of a SHACL validation."""

    conforms: bool
    triples_checked: int
    text: str  # pyshacl's human-readable report


def _corpus_data(store: EmbeddedStore, include_vocabularies: bool) -> bytes:
    """The documents' graphs, the relations graph and the concepts they reference, as N-Triples."""
    docs = f'STRSTARTS(STR(?g), "{CG_GRAPH}doc/") || ?g = <{CG_GRAPH}relations>'
    parts = [store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER({docs}) }}")]
    vocab = f'STRSTARTS(STR(?v), "{CG_GRAPH}vocab/")'
    if include_vocabularies:
        parts.append(store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH ?v {{ ?s ?p ?o }} FILTER({vocab}) }}"))
    else:
        parts.append(
            store.query(
                f"""PREFIX cg: <{CG}> PREFIX skos: <{SKOS}> PREFIX rdf: <{RDF}>
                CONSTRUCT {{ ?c ?p ?o }} WHERE {{
                  {{ SELECT DISTINCT ?c WHERE {{
                      GRAPH ?g {{ {{ ?x cg:denotes ?c }} UNION {{ ?x cg:subject ?c }} UNION {{ ?x cg:object ?c }}
                                 UNION {{ ?x cg:about ?c }} }}
                      FILTER({docs}) }} }}
                  GRAPH ?v {{ ?c ?p ?o }} FILTER({vocab})
                  FILTER(?p IN (rdf:type, cg:chain, skos:prefLabel, skos:inScheme))
                }}"""
            )
        )
    return b"".join(ox.serialize(part, format=ox.RdfFormat.N_TRIPLES) for part in parts)


def validate_graph(data: rdflib.Graph) -> ValidationReport:
    """Validate an rdflib graph against chaingraph's shapes, with the ontology for class hierarchy."""
    shapes = rdflib.Graph().parse(shapes_file(), format="turtle")
    ontology = rdflib.Graph().parse(ontology_file(), format="turtle")
    conforms, _graph, text = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none", allow_warnings=True
    )
    return ValidationReport(bool(conforms), len(data), text)


def validate_store(store: EmbeddedStore, *, include_vocabularies: bool = False) -> ValidationReport:
    """Validate the built graph: every document graph, the relations graph and the concepts they use.

    With ``include_vocabularies`` every concept of every vocabulary is checked too (slow: about a
    million triples go through pyshacl).
    """
    data = rdflib.Graph()
    data.parse(data=_corpus_data(store, include_vocabularies), format="nt")
    return validate_graph(data)
