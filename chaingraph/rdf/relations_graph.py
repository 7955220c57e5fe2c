"""The corpus-wide relations graph: each relation with its evidence summed over all documents.

Per document, an assertion (``cg:Assertion``) says which sentences of that document support
``subject predicate object``. This graph sums them up: one ``cg:Relation`` per triple with its
sentence count, document count and a weight, linked to the assertions behind it.

Weight
------
``weight = documentCount + log2(1 + sentenceCount)``: each independent document counts fully;
further sentences add less and less, so one long text repeating a pair cannot outweigh several
documents that each state it once.
"""

from __future__ import annotations

import hashlib
import math

import pyoxigraph as ox

from chaingraph.rdf.namespaces import CG, CG_GRAPH, CG_ID, RDF, XSD

__all__ = ["RELATIONS_GRAPH", "relation_weight", "relations_quads", "AGGREGATE_QUERY"]

RELATIONS_GRAPH = CG_GRAPH + "relations"

AGGREGATE_QUERY = f"""
PREFIX cg: <{CG}>
SELECT ?s ?p ?o (COUNT(DISTINCT ?sentence) AS ?sentences) (COUNT(DISTINCT ?doc) AS ?docs)
       (GROUP_CONCAT(DISTINCT STR(?a); separator=" ") AS ?assertions)
WHERE {{
  GRAPH ?g {{
    ?a a cg:Assertion ; cg:subject ?s ; cg:predicate ?p ; cg:object ?o ; cg:inDocument ?doc .
    OPTIONAL {{ ?a cg:evidence ?sentence }}
  }}
}}
GROUP BY ?s ?p ?o
"""


def relation_weight(sentence_count: int, document_count: int) -> float:
    """Evidence weight of a relation (see the module docstring).

    >>> relation_weight(1, 1), relation_weight(3, 1), relation_weight(2, 2)
    (2.0, 3.0, 3.585)
    """
    return round(document_count + math.log2(1 + sentence_count), 3)


def relations_quads(db: ox.Store) -> list[ox.Quad]:
    """The quads of the relations graph, computed from the assertions now in ``db``."""
    graph = ox.NamedNode(RELATIONS_GRAPH)
    integer = ox.NamedNode(XSD + "integer")
    decimal = ox.NamedNode(XSD + "decimal")
    rdf_type = ox.NamedNode(RDF + "type")
    cg = {
        name: ox.NamedNode(CG + name)
        for name in (
            "Relation",
            "subject",
            "predicate",
            "object",
            "sentenceCount",
            "documentCount",
            "weight",
            "evidence",
        )
    }
    quads: list[ox.Quad] = []
    for row in db.query(AGGREGATE_QUERY):
        s, p, o = row["s"], row["p"], row["o"]
        sentences, docs = int(row["sentences"].value), int(row["docs"].value)
        digest = hashlib.sha1(f"{s.value} {p.value} {o.value}".encode()).hexdigest()[:20]
        node = ox.NamedNode(f"{CG_ID}relation/{digest}")
        quads += [
            ox.Quad(node, rdf_type, cg["Relation"], graph),
            ox.Quad(node, cg["subject"], s, graph),
            ox.Quad(node, cg["predicate"], p, graph),
            ox.Quad(node, cg["object"], o, graph),
            ox.Quad(node, cg["sentenceCount"], ox.Literal(str(sentences), datatype=integer), graph),
            ox.Quad(node, cg["documentCount"], ox.Literal(str(docs), datatype=integer), graph),
            ox.Quad(node, cg["weight"], ox.Literal(f"{relation_weight(sentences, docs):.3f}", datatype=decimal), graph),
        ]
        for assertion in row["assertions"].value.split():
            quads.append(ox.Quad(node, cg["evidence"], ox.NamedNode(assertion), graph))
    return quads
