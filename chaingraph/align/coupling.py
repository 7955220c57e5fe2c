"""Coupling: how well the four chains are linked to each other.

For chains A and B, the **share** is the fraction of A's concepts with at least one relation (in
either direction) to a concept of B, and the **mass** is the summed weight of the relations
between A and B:

.. math::

    \\mathrm{share}(A, B) = \\frac{|\\{a \\in A : \\exists b \\in B,\\ (a, b) \\in E \\lor (b, a) \\in E\\}|}{|A|}
    \\qquad
    \\mathrm{mass}(A, B) = \\sum_{(u, v) \\in E,\\ u \\in A,\\ v \\in B\\ \\mathrm{or}\\ u \\in B,\\ v \\in A} w(u, v)

On the diagonal (A = B) both count relations inside the chain. Share is not symmetric: every
programme may reach the talent chain while most skills are taught by no programme.

>>> import networkx as nx
>>> G = nx.DiGraph()
>>> G.add_node("p", chain="education"); G.add_node("s", chain="talent"); G.add_node("t", chain="talent")
>>> G.add_edge("p", "s", weight=2.0)
>>> coupling_matrix(G)["education"]["talent"], coupling_matrix(G)["talent"]["education"]
(1.0, 0.5)
"""

from __future__ import annotations

from collections import Counter

import networkx as nx

from chaingraph.rdf.namespaces import CHAINS

__all__ = ["coupling", "coupling_matrix", "unit_coupling", "coupling_trend"]

CHAIN_ORDER = tuple(CHAINS)


def coupling(graph: nx.DiGraph, *, predicates: set[str] | None = None) -> list[dict]:
    """One record per ordered pair of chains: ``source``, ``target``, ``concepts`` (in source),
    ``linked`` (of those, linked to target), ``share`` and ``mass``.

    Parameters
    ----------
    graph:
        A concept graph (see :func:`chaingraph.align.projection.concept_graph`): nodes carry
        ``chain``, edges ``weight`` (and ``predicate``).
    predicates:
        Count only relations with these predicates (default: all).
    """
    size = Counter(chain for _, chain in graph.nodes(data="chain"))
    chains: dict = {}  # chain -> small integer
    code_of = {node: chains.setdefault(attrs["chain"], len(chains)) for node, attrs in graph.nodes(data=True)
               if "chain" in attrs}  # fmt: skip
    k = len(chains)
    # Per node, one bit per chain it has a relation with; per ordered pair of chains, the weight
    # summed in edge order (so the sums are the same floats as one edge at a time).
    reached = dict.fromkeys(code_of, 0)
    mass_by_code = [[0] * k for _ in range(k)]
    for u, successors in graph.adjacency():
        if not successors:
            continue
        a = code_of[u]
        row, seen = mass_by_code[a], 0
        for v, attrs in successors.items():
            if predicates is not None and attrs.get("predicate") not in predicates:
                continue
            b = code_of[v]
            seen |= 1 << b
            reached[v] |= 1 << a
            weight = attrs.get("weight", 1.0)
            row[b] += weight
            if a != b:
                mass_by_code[b][a] += weight
        if seen:
            reached[u] |= seen
    linked: Counter = Counter()  # (a, b) -> concepts of a with a relation to b
    for node, mask in reached.items():
        a = code_of[node]
        for b in range(k):
            if mask >> b & 1:
                linked[(a, b)] += 1
    records = []
    for a in CHAIN_ORDER:
        for b in CHAIN_ORDER:
            n = size.get(a, 0)
            pair = (chains.get(a, -1), chains.get(b, -1))
            hits = linked.get(pair, 0)
            records.append(
                {
                    "source": a,
                    "target": b,
                    "concepts": n,
                    "linked": hits,
                    "share": round(hits / n, 4) if n else 0.0,
                    # a pair with a linked concept has relations; the others weigh 0.0
                    "mass": round(mass_by_code[pair[0]][pair[1]], 4) if hits else 0.0,
                }
            )
    return records


def coupling_matrix(
    graph: nx.DiGraph, value: str = "share", *, predicates: set[str] | None = None
) -> dict[str, dict[str, float]]:
    """The 4×4 matrix ``matrix[source_chain][target_chain]`` of ``share`` (default) or ``mass``."""
    matrix: dict[str, dict[str, float]] = {a: {} for a in CHAIN_ORDER}
    for record in coupling(graph, predicates=predicates):
        matrix[record["source"]][record["target"]] = record[value]
    return matrix


def unit_coupling(graph: nx.DiGraph, cls: str | None = None) -> list[dict]:
    """Per concept (of class ``cls``, or all): its relations into each chain, most isolated first.

    Each record: ``concept``, ``label``, ``cls``, ``chain``, ``links`` and ``mass`` (dicts by
    chain) and ``isolated_from`` (the other chains it has no relation with), sorted by how many
    chains it is isolated from, then by total mass, then by IRI.
    """
    chain_of = {node: attrs["chain"] for node, attrs in graph.nodes(data=True) if "chain" in attrs}
    successors, predecessors = graph.succ, graph.pred
    records = []
    for node, attrs in graph.nodes(data=True):
        if cls is not None and attrs.get("cls") != cls:
            continue
        links: dict = {}
        mass: dict = {}
        for neighbours in (successors[node], predecessors[node]):  # a self-loop counts both ways
            for other, relation in neighbours.items():
                chain = chain_of[other]
                links[chain] = links.get(chain, 0) + 1
                mass[chain] = mass.get(chain, 0) + relation.get("weight", 1.0)
        isolated = [c for c in CHAIN_ORDER if c != attrs["chain"] and not links.get(c)]
        records.append(
            {
                "concept": node,
                "label": attrs.get("label", node),
                "cls": attrs.get("cls"),
                "chain": attrs["chain"],
                "links": {c: links.get(c, 0) for c in CHAIN_ORDER},
                "mass": {c: round(mass.get(c, 0.0), 4) for c in CHAIN_ORDER},
                "isolated_from": isolated,
            }
        )
    records.sort(key=lambda r: (-len(r["isolated_from"]), sum(r["mass"].values()), r["concept"]))
    return records


def coupling_trend(graphs: dict[str, nx.DiGraph], *, predicates: set[str] | None = None) -> list[dict]:
    """Coupling per period: ``coupling`` records of each period's graph, each with ``period``.

    ``graphs`` maps a period label ("2018", "2020-2024") to the concept graph of the documents
    dated in it (:func:`chaingraph.align.projection.period_graphs`).
    """
    records = []
    for period in sorted(graphs):
        for record in coupling(graphs[period], predicates=predicates):
            records.append({"period": period, **record})
    return records
