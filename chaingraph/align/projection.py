"""Projection: the store's concepts and evidence-weighted relations as a networkx graph.

The graph is read with SPARQL (the store aggregates; Python only receives rows) into an
``nx.DiGraph`` whose nodes are concept IRIs and whose edges are relations:

* node attributes: ``cls`` (Programme, Skill, ...), ``chain``, ``label``, ``labels`` (by
  language), ``scheme`` (cip, onet, esco, ...), ``code``, ``mentions`` (how many mentions in the
  corpus), ``documents`` (how many documents mention it or are about it), and for technologies
  ``hot`` / ``in_demand`` (O*NET flags);
* edge attributes: ``predicate`` (teaches, requires, ...), ``sentences``, ``documents``,
  ``weight`` and ``evidence`` (the evidence weight before re-weighting).

Weighting
---------
``weighting`` names how ``weight`` is computed from the evidence of a relation:

``"evidence"`` (default)
    ``documents + log2(1 + sentences)``: every supporting document counts fully, more sentences
    add less and less (the ``cg:weight`` the build stores).
``"documents"``
    the number of supporting documents.
``"sentences"``
    the number of supporting sentences.
``"idf"``
    the evidence weight times the inverse document frequency of the edge's rarer end,
    ``log(1 + N / df)``: a link to a concept every document mentions says little.
"""

from __future__ import annotations

import contextlib
import math

import networkx as nx

from chaingraph.rdf.namespaces import CG, CG_GRAPH, CHAIN_OF_CLASS, CLASSES, SKOS
from chaingraph.rdf.relations_graph import RELATIONS_GRAPH
from chaingraph.rdf.terms import InvalidIRI, parse_iri, values_block
from chaingraph.sparql_guard import DEFAULT_GUARD
from chaingraph.store import EmbeddedStore

__all__ = ["WEIGHTINGS", "concept_graph", "reweight", "period_graphs", "relation_evidence"]

WEIGHTINGS = ("evidence", "documents", "sentences", "idf")

_PREFIXES = f"PREFIX cg: <{CG}> PREFIX skos: <{SKOS}> "
_IN_DOCS = f'FILTER(STRSTARTS(STR(?g), "{CG_GRAPH}doc/"))'
_CLASS_LIST = ", ".join(f"cg:{c}" for c in CLASSES)

_RELATIONS = (
    _PREFIXES
    + f"""SELECT ?s ?p ?o ?sentences ?docs ?weight WHERE {{ GRAPH <{RELATIONS_GRAPH}> {{
    ?r a cg:Relation ; cg:subject ?s ; cg:predicate ?p ; cg:object ?o ;
       cg:sentenceCount ?sentences ; cg:documentCount ?docs ; cg:weight ?weight }} }}"""
)

# Every concept the corpus mentions or is about, with how often, over the document graphs (%s: the
# graph clause).
_CORPUS_CONCEPTS = (
    _PREFIXES
    + """SELECT ?c (COUNT(DISTINCT ?m) AS ?mentions) (COUNT(DISTINCT ?d) AS ?docs) WHERE {
    %s GRAPH ?g { { ?m cg:denotes ?c ; cg:inDocument ?d } UNION { ?d cg:about ?c } }
} GROUP BY ?c"""
)
_DOCUMENT_GRAPHS = f"{CG_GRAPH}doc/"


def _in_document_graphs(store) -> str:
    """The clause that keeps ``?g`` to document graphs.

    An embedded store lists its graphs at no cost: naming them, rather than filtering ?g on its IRI,
    spares it from spelling out the graph of every one of millions of mentions (the same rows in
    about half the time on a 10 M-word corpus). A remote server would have to scan every quad to
    list its graphs, so it gets the filter, and so does a corpus whose list would pass the length a
    query may have (:data:`chaingraph.sparql_guard.DEFAULT_GUARD`: some 15,000 documents).
    """
    if not isinstance(store, EmbeddedStore):
        return _IN_DOCS
    clause = values_block("g", [parse_iri(g) for g in store.named_graphs() if g.startswith(_DOCUMENT_GRAPHS)])
    return clause if len(clause) + len(_CORPUS_CONCEPTS) <= DEFAULT_GUARD.max_length else _IN_DOCS


_CONCEPT_FACTS = (
    _PREFIXES
    + f"""SELECT ?c ?cls ?label ?scheme ?code ?hot ?demand WHERE {{
    %s
    ?c a ?cls . FILTER(?cls IN ({_CLASS_LIST}))
    OPTIONAL {{ ?c skos:prefLabel ?label }}
    OPTIONAL {{ ?c skos:inScheme ?s . ?s cg:prefix ?scheme }}
    OPTIONAL {{ ?c skos:notation ?code }}
    OPTIONAL {{ ?c cg:hotTechnology ?hot }}
    OPTIONAL {{ ?c cg:inDemand ?demand }}
}}"""
)


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1]


def _nodes(iris: list[str]) -> list:
    """The IRIs as checked terms (one that is not an IRI names nothing in the store)."""
    nodes = []
    for iri in iris:
        with contextlib.suppress(InvalidIRI):
            nodes.append(parse_iri(iri))
    return nodes


def concept_graph(store, *, weighting: str = "evidence", lang: str = "en", batch: int = 2000) -> nx.DiGraph:
    """The concepts of the corpus and their relations, as a directed graph.

    Parameters
    ----------
    store:
        An opened store (:func:`chaingraph.store.open_store`).
    weighting:
        How edge ``weight`` is computed; one of :data:`WEIGHTINGS` (see the module docstring).
    lang:
        Language of each node's ``label`` (falling back to English, then to any label).
    batch:
        How many concepts to describe per query.
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f"unknown weighting {weighting!r}; choose one of {', '.join(WEIGHTINGS)}")
    graph = nx.DiGraph(weighting=weighting)
    usage = {
        row["c"].value: (int(row["mentions"].value), int(row["docs"].value))
        for row in store.query(_CORPUS_CONCEPTS % _in_document_graphs(store))
    }
    edges = []
    for row in store.query(_RELATIONS):
        edges.append(
            (
                row["s"].value,
                row["o"].value,
                {
                    "predicate": _local(row["p"].value),
                    "sentences": int(row["sentences"].value),
                    "documents": int(row["docs"].value),
                    "evidence": float(row["weight"].value),
                },
            )
        )
        usage.setdefault(row["s"].value, (0, 0))
        usage.setdefault(row["o"].value, (0, 0))
    nodes = _nodes(sorted(usage))
    for start in range(0, len(nodes), batch):
        for row in store.query(_CONCEPT_FACTS % values_block("c", nodes[start : start + batch])):
            iri = row["c"].value
            attrs = graph.nodes[iri] if iri in graph else None
            if attrs is None:
                cls = _local(row["cls"].value)
                mentions, docs = usage[iri]
                graph.add_node(
                    iri, cls=cls, chain=CHAIN_OF_CLASS[cls], labels={}, scheme="", code="",
                    mentions=mentions, documents=docs, hot=False, in_demand=False,
                )  # fmt: skip
                attrs = graph.nodes[iri]
            label = row["label"]
            if label is not None:
                attrs["labels"].setdefault(label.language or "en", label.value)
            if row["scheme"] is not None:
                attrs["scheme"] = row["scheme"].value
            if row["code"] is not None:
                attrs["code"] = row["code"].value
            if row["hot"] is not None:
                attrs["hot"] = row["hot"].value == "true"
            if row["demand"] is not None:
                attrs["in_demand"] = row["demand"].value == "true"
    for _iri, attrs in graph.nodes(data=True):
        labels = attrs["labels"]
        attrs["label"] = labels.get(lang) or labels.get("en") or next(iter(labels.values()), _iri)
    graph.add_edges_from((s, o, a) for s, o, a in edges if s in graph and o in graph)
    graph.graph["documents"] = _document_count(store)
    reweight(graph, weighting)
    return graph


def _document_count(store) -> int:
    rows = list(
        store.query(_PREFIXES + f"SELECT (COUNT(?d) AS ?n) WHERE {{ GRAPH ?g {{ ?d a cg:Document }} {_IN_DOCS} }}")
    )
    return int(rows[0]["n"].value) if rows else 0


def reweight(graph: nx.DiGraph, weighting: str) -> nx.DiGraph:
    """Set every edge's ``weight`` by the named ``weighting`` (in place; returns the graph)."""
    if weighting not in WEIGHTINGS:
        raise ValueError(f"unknown weighting {weighting!r}; choose one of {', '.join(WEIGHTINGS)}")
    n_docs = max(graph.graph.get("documents", 0), 1)
    for s, o, attrs in graph.edges(data=True):
        if weighting == "evidence":
            weight = attrs["evidence"]
        elif weighting == "documents":
            weight = float(attrs["documents"])
        elif weighting == "sentences":
            weight = float(attrs["sentences"])
        else:
            df = max(min(graph.nodes[s].get("documents", 1), graph.nodes[o].get("documents", 1)), 1)
            weight = attrs["evidence"] * math.log(1 + n_docs / df)
        attrs["weight"] = round(weight, 6)
    graph.graph["weighting"] = weighting
    return graph


_BY_YEAR = (
    _PREFIXES
    + f"""PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?year ?s ?p ?o (COUNT(DISTINCT ?sentence) AS ?sentences) (COUNT(DISTINCT ?doc) AS ?docs) WHERE {{
  GRAPH ?g {{
    ?a a cg:Assertion ; cg:subject ?s ; cg:predicate ?p ; cg:object ?o ; cg:inDocument ?doc .
    OPTIONAL {{ ?a cg:evidence ?sentence }}
    ?doc dcterms:date ?date .
  }}
  {_IN_DOCS}
  BIND(SUBSTR(STR(?date), 1, 4) AS ?year)
}} GROUP BY ?year ?s ?p ?o"""
)


def period_graphs(store, graph: nx.DiGraph, *, years_per_period: int = 1) -> dict[str, nx.DiGraph]:
    """One concept graph per period, from the documents dated in it (undated documents are left out).

    Parameters
    ----------
    store:
        The store the ``graph`` was projected from.
    graph:
        The whole corpus's concept graph: node attributes and the weighting are taken from it.
    years_per_period:
        Width of a period; periods are aligned on multiples of it ("2015-2019" for 5).
    """
    from chaingraph.rdf.relations_graph import relation_weight

    periods: dict[str, nx.DiGraph] = {}
    for row in store.query(_BY_YEAR):
        year = row["year"].value
        if not year.isdigit():
            continue
        s, o = row["s"].value, row["o"].value
        if s not in graph or o not in graph:
            continue
        start = int(year) - int(year) % years_per_period
        label = str(start) if years_per_period == 1 else f"{start}-{start + years_per_period - 1}"
        period = periods.get(label)
        if period is None:
            period = periods[label] = nx.DiGraph(weighting=graph.graph.get("weighting"), period=label)
        sentences, docs = int(row["sentences"].value), int(row["docs"].value)
        for node in (s, o):
            if node not in period:
                period.add_node(node, **graph.nodes[node])
        if period.has_edge(s, o):  # the same pair in two years of one period
            attrs = period.edges[s, o]
            sentences += attrs["sentences"]
            docs += attrs["documents"]
        period.add_edge(
            s,
            o,
            predicate=_local(row["p"].value),
            sentences=sentences,
            documents=docs,
            evidence=relation_weight(sentences, docs),
        )
    for period in periods.values():
        period.graph["documents"] = graph.graph.get("documents", 0)
        reweight(period, graph.graph.get("weighting", "evidence"))
    return periods


_EVIDENCE = (
    _PREFIXES
    + """PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?s ?o ?title ?path ?text WHERE {
  %s
  GRAPH ?g {
    ?a a cg:Assertion ; cg:subject ?s ; cg:object ?o ; cg:inDocument ?doc ; cg:evidence ?sentence .
    ?sentence cg:text ?text .
    ?doc dcterms:title ?title ; cg:sourcePath ?path .
  }
} ORDER BY ?s ?o ?path ?text"""
)


def relation_evidence(store, pairs: list[tuple[str, str]], *, per_pair: int = 3) -> dict[tuple[str, str], list[dict]]:
    """The sentences and documents behind relations: ``{(subject, object): [{document, path, sentence}]}``.

    At most ``per_pair`` sentences are returned for each pair, in document order.
    """
    found: dict[tuple[str, str], list[dict]] = {pair: [] for pair in pairs}
    checked = []
    for s, o in pairs:
        with contextlib.suppress(InvalidIRI):
            checked.append((parse_iri(s), parse_iri(o)))
    for start in range(0, len(checked), 500):
        for row in store.query(_EVIDENCE % values_block(("s", "o"), checked[start : start + 500])):
            items = found[(row["s"].value, row["o"].value)]
            record = {"document": row["title"].value, "path": row["path"].value, "sentence": row["text"].value}
            if len(items) < per_pair and record not in items:
                items.append(record)
    return found
