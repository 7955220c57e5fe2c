"""Weak links between chains, the bridges whose loss splits a chain off, and islands.

A cross-chain relation is **fragile** when it rests on little evidence or on a thin structure:

* *thin evidence*: one document, or one sentence;
* *low embeddedness*: its ends share few neighbours (0 makes it a local bridge, see
  :func:`networkx.local_bridges`);
* *bridge*: removing it disconnects the graph, and the smaller side then loses every path into
  some chain it could reach before.

The fragility score adds these up (see :func:`weak_links`). Islands are the weakly connected
components that touch only one chain.
"""

from __future__ import annotations

import math
from collections import Counter

import networkx as nx

__all__ = ["weak_links", "bridge_cuts", "islands"]


def _undirected(graph: nx.DiGraph) -> nx.Graph:
    undirected = nx.Graph()
    undirected.add_nodes_from(graph.nodes)
    undirected.add_edges_from(graph.edges)
    return undirected


def bridge_cuts(graph: nx.DiGraph) -> dict[frozenset, dict]:
    """For every bridge of the undirected graph, what its removal cuts off.

    Returns ``{frozenset({u, v}): {"cut_off": n, "chains_lost": [...], "side": node}}`` where
    ``cut_off`` is the number of concepts on the smaller side, ``side`` is the bridge end on that
    side and ``chains_lost`` the chains reachable before that the smaller side can no longer reach.

    Uses the bridge tree: contract the 2-edge-connected components, then one traversal per
    tree gives every bridge's two sides, so the cost is linear in the graph size.
    """
    undirected = _undirected(graph)
    bridges = list(nx.bridges(undirected))
    if not bridges:
        return {}
    inner = undirected.copy()
    inner.remove_edges_from(bridges)
    component_of: dict = {}
    members: list[Counter] = []
    for index, nodes in enumerate(nx.connected_components(inner)):
        chains: Counter = Counter()
        for node in nodes:
            component_of[node] = index
            chains[graph.nodes[node].get("chain")] += 1
        members.append(chains)
    tree = nx.Graph()
    tree.add_nodes_from(range(len(members)))
    for u, v in bridges:
        tree.add_edge(component_of[u], component_of[v], bridge=(u, v))
    cuts = {}
    for nodes in nx.connected_components(tree):
        root = min(nodes)
        total: Counter = Counter()
        for c in nodes:
            total.update(members[c])
        subtree: dict[int, Counter] = {}
        parent = dict(nx.bfs_predecessors(tree, root))
        # Post-order: children before parents, so each subtree sum is ready when its parent needs it.
        for c in reversed(list(nx.dfs_preorder_nodes(tree, root))):
            counts = Counter(members[c])
            for child in tree.neighbors(c):
                if parent.get(child) == c:
                    counts.update(subtree[child])
            subtree[c] = counts
        for child, up in parent.items():
            u, v = tree.edges[child, up]["bridge"]
            below = subtree[child]
            above = total - below
            small, large = (below, above) if sum(below.values()) <= sum(above.values()) else (above, below)
            child_side = u if component_of[u] == child else v
            side = child_side if small is below else (v if child_side == u else u)
            lost = sorted(c for c in large if c not in small)
            cuts[frozenset((u, v))] = {"cut_off": sum(small.values()), "chains_lost": lost, "side": side}
    return cuts


def weak_links(
    graph: nx.DiGraph,
    *,
    cross_chain_only: bool = True,
    limit: int | None = None,
) -> list[dict]:
    """Cross-chain relations ranked by fragility, most fragile first.

    Fragility = ``[documents <= 1] + [sentences <= 1] + 1 / (1 + embeddedness)
    + [bridge that cuts a chain off] * (1 + log2(concepts cut off))``: a bridge that strands a
    whole cluster outranks one that strands a single concept. Ties go to the lighter relation,
    then by IRIs.

    Each record: ``source``, ``target``, ``predicate``, ``source_label``, ``target_label``,
    ``chains`` ("education→talent"), ``documents``, ``sentences``, ``weight``, ``embeddedness``
    (shared neighbours), ``local_bridge``, ``bridge``, ``cut_off``, ``chains_lost``, ``fragility``.
    """
    undirected = _undirected(graph)
    cuts = bridge_cuts(graph)
    records = []
    for u, v, attrs in graph.edges(data=True):
        cu, cv = graph.nodes[u]["chain"], graph.nodes[v]["chain"]
        if cross_chain_only and cu == cv:
            continue
        small, large = undirected._adj[u], undirected._adj[v]
        if len(small) > len(large):  # walk the shorter adjacency: hubs have thousands of neighbours
            small, large = large, small
        shared = sum(1 for w in small if w in large and w != u and w != v)
        cut = cuts.get(frozenset((u, v)))
        splits_chain = bool(cut and cut["chains_lost"])
        cut_weight = 1 + math.log2(cut["cut_off"]) if splits_chain else 0.0
        fragility = (attrs.get("documents", 0) <= 1) + (attrs.get("sentences", 0) <= 1) + 1 / (1 + shared) + cut_weight
        records.append(
            {
                "source": u,
                "target": v,
                "predicate": attrs.get("predicate"),
                "source_label": graph.nodes[u].get("label", u),
                "target_label": graph.nodes[v].get("label", v),
                "chains": f"{cu}→{cv}",
                "documents": attrs.get("documents", 0),
                "sentences": attrs.get("sentences", 0),
                "weight": attrs.get("weight", 0.0),
                "embeddedness": shared,
                "local_bridge": shared == 0,
                "bridge": cut is not None,
                "cut_off": cut["cut_off"] if cut else 0,
                "chains_lost": cut["chains_lost"] if cut else [],
                "fragility": round(fragility, 4),
            }
        )
    records.sort(key=lambda r: (-r["fragility"], r["weight"], r["source"], r["target"]))
    return records[:limit] if limit is not None else records


def islands(graph: nx.DiGraph) -> list[dict]:
    """Weakly connected components that touch only one chain, largest first.

    Each record: ``chain``, ``size``, ``concepts`` (IRIs, sorted) and ``labels`` (in the same order).
    """
    records = []
    for nodes in nx.weakly_connected_components(graph):
        chains = {graph.nodes[n]["chain"] for n in nodes}
        if len(chains) != 1:
            continue
        ordered = sorted(nodes)
        records.append(
            {
                "chain": next(iter(chains)),
                "size": len(ordered),
                "concepts": ordered,
                "labels": [graph.nodes[n].get("label", n) for n in ordered],
            }
        )
    records.sort(key=lambda r: (-r["size"], r["chain"], r["concepts"][0]))
    return records
