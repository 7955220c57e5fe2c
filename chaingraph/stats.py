"""Counts that describe a built store: documents, mentions per class, relations, triples, vocabularies."""

from __future__ import annotations

from chaingraph.rdf.namespaces import CG, CG_GRAPH, CLASSES, RDF, SKOS
from chaingraph.rdf.relations_graph import RELATIONS_GRAPH
from chaingraph.store import EmbeddedStore

__all__ = ["store_stats"]

_DOC_GRAPHS = CG_GRAPH + "doc/"
_VOCAB_GRAPHS = CG_GRAPH + "vocab/"
_CLASS_FILTER = ", ".join(f"cg:{c}" for c in CLASSES)


def _count(store: EmbeddedStore, query: str) -> int:
    rows = list(store.query(f"PREFIX cg: <{CG}> PREFIX skos: <{SKOS}> PREFIX rdf: <{RDF}> " + query))
    return int(rows[0]["n"].value) if rows and rows[0]["n"] is not None else 0


def _grouped(store: EmbeddedStore, query: str, key: str) -> dict[str, int]:
    rows = store.query(f"PREFIX cg: <{CG}> PREFIX skos: <{SKOS}> PREFIX rdf: <{RDF}> " + query)
    return {row[key].value.rsplit("#", 1)[-1].rsplit("/", 1)[-1]: int(row["n"].value) for row in rows}


def store_stats(store: EmbeddedStore) -> dict:
    """What the store holds, as plain data (the JSON of ``chaingraph stats``).

    Keys: ``documents``, ``mentions``, ``mentions_by_class`` (linked mentions, by the class of
    their concept), ``unlinked_mentions`` (candidates of the accurate profile that name no
    concept; counted in ``mentions`` too), ``relations``,
    ``relations_by_predicate``, ``triples``, ``concepts_by_class`` (concepts the vocabularies
    define, i.e. what the linker can link to) and ``concepts_by_scheme``.
    """
    in_docs = f'FILTER(STRSTARTS(STR(?g), "{_DOC_GRAPHS}"))'
    in_vocab = f'FILTER(STRSTARTS(STR(?g), "{_VOCAB_GRAPHS}"))'
    mentions_by_class = dict.fromkeys(CLASSES, 0)
    mentions_by_class.update(
        _grouped(
            store,
            f"SELECT ?cls (COUNT(?m) AS ?n) WHERE {{ GRAPH ?g {{ ?m a cg:Mention ; cg:denotes ?c }} {in_docs} "
            f"GRAPH ?v {{ ?c a ?cls }} FILTER(?cls IN ({_CLASS_FILTER})) }} GROUP BY ?cls",
            "cls",
        )
    )
    concepts_by_class = dict.fromkeys(CLASSES, 0)
    concepts_by_class.update(
        _grouped(
            store,
            f"SELECT ?cls (COUNT(DISTINCT ?c) AS ?n) WHERE {{ GRAPH ?g {{ ?c a ?cls }} {in_vocab} "
            f"FILTER(?cls IN ({_CLASS_FILTER})) }} GROUP BY ?cls",
            "cls",
        )
    )
    schemes = store.query(
        f"PREFIX cg: <{CG}> PREFIX skos: <{SKOS}> SELECT ?prefix (COUNT(DISTINCT ?c) AS ?n) WHERE {{ "
        f"GRAPH ?g {{ ?c skos:inScheme ?s }} {in_vocab} GRAPH ?h {{ ?s cg:prefix ?prefix }} }} GROUP BY ?prefix"
    )
    return {
        "documents": _count(store, f"SELECT (COUNT(?d) AS ?n) WHERE {{ GRAPH ?g {{ ?d a cg:Document }} {in_docs} }}"),
        "mentions": _count(store, f"SELECT (COUNT(?m) AS ?n) WHERE {{ GRAPH ?g {{ ?m a cg:Mention }} {in_docs} }}"),
        "mentions_by_class": mentions_by_class,
        "unlinked_mentions": _count(
            store,
            f"SELECT (COUNT(?m) AS ?n) WHERE {{ GRAPH ?g {{ ?m a cg:Mention ; cg:candidateClass ?cls }} {in_docs} }}",
        ),
        "relations": _count(
            store, f"SELECT (COUNT(?r) AS ?n) WHERE {{ GRAPH <{RELATIONS_GRAPH}> {{ ?r a cg:Relation }} }}"
        ),
        "relations_by_predicate": _grouped(
            store,
            f"SELECT ?p (COUNT(?r) AS ?n) WHERE {{ GRAPH <{RELATIONS_GRAPH}> {{ ?r cg:predicate ?p }} }} GROUP BY ?p",
            "p",
        ),
        "triples": _count(store, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"),
        "concepts_by_class": concepts_by_class,
        "concepts_by_scheme": {row["prefix"].value: int(row["n"].value) for row in schemes},
    }
