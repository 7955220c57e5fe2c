"""Weak links between chains, the bridges whose loss splits a chain off, and islands.

A cross-chain relation is **fragile** when it rests on little evidence or on a thin structure:

* *thin evidence*: one document, or one sentence;
* *low embeddedness*: its ends share few neighbours (0 makes it a local bridge, see
  :func:`networkx.local_bridges`);
* *bridge*: removing it disconnects the graph, and the smaller side then loses every path into
  some chain it could reach before.

The fragility score adds these up (see :func:`weak_links`). Islands are the weakly connected
components that touch only one chain.

Bridges are found on integer arrays (numpy and :mod:`scipy.sparse.csgraph`) rather than with
:func:`networkx.bridges`, whose chain decomposition takes seconds per million relations: one
breadth-first spanning forest, then every relation outside the forest covers the forest path
between its ends, and a forest edge that no such path covers is a bridge.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, connected_components

__all__ = ["weak_links", "bridge_cuts", "islands"]


class _Edges(NamedTuple):
    """A graph as integer arrays: nodes in graph order, relations in ``graph.edges`` order."""

    nodes: list
    tails: np.ndarray  # node index of each relation's source
    heads: np.ndarray  # node index of each relation's target
    attrs: list[dict]  # each relation's attribute dict (the graph's own, not a copy)
    low: np.ndarray  # the undirected simple edges (low < high), sorted, self-loops left out
    high: np.ndarray


def _edges(graph: nx.DiGraph) -> _Edges:
    """Number the nodes (graph order) and list the relations and undirected edges as index arrays."""
    nodes = list(graph)
    index = {node: i for i, node in enumerate(nodes)}
    n = len(nodes)
    counts = np.empty(n, dtype=np.int64)
    heads: list[int] = []
    attrs: list[dict] = []
    for i, (_, successors) in enumerate(graph.adjacency()):
        counts[i] = len(successors)
        heads.extend(map(index.__getitem__, successors))
        attrs.extend(successors.values())
    tails = np.repeat(np.arange(n, dtype=np.int64), counts)
    head_array = np.asarray(heads, dtype=np.int64)
    low, high = np.minimum(tails, head_array), np.maximum(tails, head_array)
    keep = low != high
    keys = np.unique(low[keep] * n + high[keep])
    return _Edges(nodes, tails, head_array, attrs, keys // n, keys % n)


def _spanning_forest(n: int, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A breadth-first spanning forest of the undirected graph on ``n`` nodes with edges ``a``–``b``.

    Every connected component is rooted at its first node (in graph order). A virtual super-root
    ``n`` is the parent of the roots, so one traversal covers the forest.

    Returns
    -------
    parent, labels, roots
        ``parent[x]`` (the super-root is its own parent), the component of each node, and the
        root (first node) of each component.
    """
    adjacency = sp.csr_array((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    n_components, labels = connected_components(adjacency, directed=False)
    _, roots = np.unique(labels, return_index=True)  # first node of each component
    rows = np.concatenate([a, b, np.full(n_components, n), roots])
    cols = np.concatenate([b, a, roots, np.full(n_components, n)])
    rooted = sp.csr_array((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n + 1, n + 1))
    _, predecessors = breadth_first_order(rooted, n, directed=True, return_predecessors=True)
    parent = predecessors.astype(np.int64)
    parent[n] = n
    return parent, labels, roots


def _ancestors(parent: np.ndarray, top: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Binary lifting: ``up[k][x]`` is the ``2**k``-th ancestor of ``x`` (capped at ``top``), and depths."""
    up = [parent]
    depth = (np.arange(len(parent)) != top).astype(np.int64)  # distance to up[-1]
    while True:
        last = up[-1]
        if (last == top).all():
            break
        depth = depth + depth[last]
        up.append(last[last])
    return up, depth


def _lowest_common_ancestors(x: np.ndarray, y: np.ndarray, up: list[np.ndarray], depth: np.ndarray) -> np.ndarray:
    """The lowest common ancestor of each pair ``x[i]``, ``y[i]``: lift to equal depth, then together."""
    deeper = depth[x] < depth[y]
    x, y = np.where(deeper, y, x), np.where(deeper, x, y)
    gap = depth[x] - depth[y]
    for k, ancestor in enumerate(up):
        step = ((gap >> k) & 1).astype(bool)
        x = np.where(step, ancestor[x], x)
    for ancestor in reversed(up):
        ax, ay = ancestor[x], ancestor[y]
        move = ax != ay
        x, y = np.where(move, ax, x), np.where(move, ay, y)
    return np.where(x == y, x, up[0][x])


def _subtree_sums(values: np.ndarray, parent: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """``values`` (one row per node) summed over every node's subtree, deepest level first.

    One vectorised step per level: cheap for the shallow forests of concept graphs (a long
    path-like component would take one step per node).
    """
    order = np.argsort(depth, kind="stable")
    bounds = np.searchsorted(depth[order], np.arange(int(depth.max()) + 2))
    sums = values.copy()
    for level in range(int(depth.max()), 0, -1):
        members = order[bounds[level] : bounds[level + 1]]
        np.add.at(sums, parent[members], sums[members])
    return sums


def _bridges(graph: nx.DiGraph, edges: _Edges) -> list[tuple[int, int, dict]]:
    """Every bridge as ``(a, b, cut)`` with ``a``, ``b`` node indices (see :func:`bridge_cuts`)."""
    nodes, a, b = edges.nodes, edges.low, edges.high
    n = len(nodes)
    if not len(a):
        return []
    parent, labels, roots = _spanning_forest(n, a, b)
    up, depth = _ancestors(parent, n)
    tree = (parent[a] == b) | (parent[b] == a)
    x, y = a[~tree], b[~tree]
    # Each relation outside the forest covers the forest path between its ends: +1 at both ends,
    # -2 at their lowest common ancestor, so a subtree's sum counts the relations leaving it.
    cover = np.zeros(n + 1, dtype=np.int64)
    if len(x):
        lca = _lowest_common_ancestors(x, y, up, depth)
        cover += np.bincount(x, minlength=n + 1) + np.bincount(y, minlength=n + 1)
        cover -= 2 * np.bincount(lca, minlength=n + 1)
    chain_values: list = []
    chain_column: dict = {}
    column = np.empty(n, dtype=np.int64)
    for i, (_, chain) in enumerate(graph.nodes(data="chain")):
        if chain not in chain_column:
            chain_column[chain] = len(chain_values)
            chain_values.append(chain)
        column[i] = chain_column[chain]
    values = np.zeros((n + 1, 1 + len(chain_values)), dtype=np.int64)
    values[:, 0] = cover
    values[np.arange(n), 1 + column] = 1
    sums = _subtree_sums(values, parent, depth)
    children = np.flatnonzero((sums[:n, 0] == 0) & (parent[:n] != n))
    bridges = []
    for child in children.tolist():
        up_end = int(parent[child])
        below = sums[child, 1:]
        total = sums[roots[labels[child]], 1:]
        above = total - below
        below_size, above_size = int(below.sum()), int(above.sum())
        # The side holding the component's first node is "above"; a tie cuts off "below".
        if below_size <= above_size:
            small, large, side, size = below, above, child, below_size
        else:
            small, large, side, size = above, below, up_end, above_size
        lost = sorted(chain_values[c] for c in np.flatnonzero((large > 0) & (small == 0)).tolist())
        bridges.append((up_end, child, {"cut_off": size, "chains_lost": lost, "side": nodes[side]}))
    return bridges


def bridge_cuts(graph: nx.DiGraph) -> dict[frozenset, dict]:
    """For every bridge of the undirected graph, what its removal cuts off.

    Returns ``{frozenset({u, v}): {"cut_off": n, "chains_lost": [...], "side": node}}`` where
    ``cut_off`` is the number of concepts on the smaller side, ``side`` is the bridge end on that
    side and ``chains_lost`` the chains reachable before that the smaller side can no longer reach.
    When both sides are the same size, the smaller side is the one without the first node (in
    graph order) of the connected component.

    One breadth-first spanning forest, the forest paths that the other relations cover (lowest
    common ancestors by binary lifting) and per-subtree counts, all on arrays: the cost is about
    linear in the graph size.

    Parameters
    ----------
    graph:
        A concept graph: nodes carry ``chain``. Direction is ignored.

    Returns
    -------
    dict
        One entry per bridge, keyed by the frozenset of its two ends.

    Examples
    --------
    >>> g = nx.DiGraph()
    >>> g.add_nodes_from([("a", {"chain": "talent"}), ("b", {"chain": "talent"}), ("c", {"chain": "industry"})])
    >>> g.add_edges_from([("a", "b"), ("b", "a"), ("b", "c")])
    >>> bridge_cuts(g)[frozenset({"b", "c"})]
    {'cut_off': 1, 'chains_lost': ['talent'], 'side': 'c'}
    """
    edges = _edges(graph)
    nodes = edges.nodes
    return {frozenset((nodes[a], nodes[b])): cut for a, b, cut in _bridges(graph, edges)}


def _shared_neighbours(edges: _Edges, tails: np.ndarray, heads: np.ndarray, *, block: int = 1 << 22) -> np.ndarray:
    """How many neighbours (either direction, the two ends excluded) each relation's ends share.

    That is the number of triangles on the relation's undirected edge. Each undirected edge is
    oriented from its lower-degree end to its higher-degree end; every triangle is then found
    exactly once, as the common out-neighbours of the ends of its lowest edge, and credited to
    its three edges. A hub's oriented neighbourhood is small (it points only at higher-degree
    concepts), so the set intersections are cheap even where the plain ones would walk
    thousands of neighbours. ``block`` bounds how many triangles are held at a time.
    """
    n = len(edges.nodes)
    low, high = edges.low, edges.high
    degree = np.bincount(low, minlength=n) + np.bincount(high, minlength=n)
    rank = np.empty(n, dtype=np.int64)
    rank[np.lexsort((np.arange(n), degree))] = np.arange(n)
    forward = rank[low] < rank[high]
    first, second = np.where(forward, low, high), np.where(forward, high, low)
    keys = first * n + second
    order = np.argsort(keys)
    keys, first, second = keys[order], first[order], second[order]  # edge id = position in keys
    bounds = np.concatenate([[0], np.cumsum(np.bincount(first, minlength=n))]).tolist()
    second_list = second.tolist()
    out = [set(second_list[bounds[i] : bounds[i + 1]]) for i in range(n)]
    triangles = np.zeros(len(keys), dtype=np.int64)
    done, sizes, found = 0, [], []
    for x, y in zip(first.tolist(), second_list, strict=True):
        common = out[x] & out[y]  # C-level, walks the smaller set
        sizes.append(len(common))
        found.extend(common)
        if len(found) >= block:
            _credit(triangles, keys, (first, second), n, done, sizes, found)
            done += len(sizes)
            sizes, found = [], []
    _credit(triangles, keys, (first, second), n, done, sizes, found)

    shared = np.zeros(len(tails), dtype=np.int64)
    loops = tails == heads
    shared[loops] = degree[tails[loops]]  # a self-loop: every other neighbour is shared
    t, h = tails[~loops], heads[~loops]
    forward = rank[t] < rank[h]
    wanted = np.where(forward, t, h) * n + np.where(forward, h, t)
    shared[~loops] = triangles[np.searchsorted(keys, wanted)]
    return shared


def _credit(
    triangles: np.ndarray,
    keys: np.ndarray,
    ends: tuple[np.ndarray, np.ndarray],
    n: int,
    done: int,
    sizes: list[int],
    found: list[int],
) -> None:
    """Add the triangles found on edges ``done, done + 1, ...`` to all three of their edges (in place)."""
    counts = np.asarray(sizes, dtype=np.int64)
    ids = np.arange(done, done + len(sizes))
    triangles[ids] += counts
    if not found:
        return
    third = np.asarray(found, dtype=np.int64)
    owner = np.repeat(ids, counts)
    for end in ends:  # the edges from each end of the lowest edge to the third corner
        triangles += np.bincount(np.searchsorted(keys, end[owner] * n + third), minlength=len(keys))


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

    Parameters
    ----------
    graph:
        A concept graph: nodes carry ``chain`` (and ``label``), edges ``documents``,
        ``sentences``, ``weight`` and ``predicate``.
    cross_chain_only:
        Rank only relations between two chains (default); ``False`` ranks every relation.
    limit:
        Return only the first ``limit`` records (every relation is still ranked; only these
        records are built).

    Returns
    -------
    list of dict
        The records, most fragile first.
    """
    edges = _edges(graph)
    nodes, n = edges.nodes, len(edges.nodes)
    chains = [chain for _, chain in graph.nodes(data="chain")]
    chain_code = _codes(chains)
    selected = np.arange(len(edges.tails))
    if cross_chain_only:
        selected = selected[chain_code[edges.tails] != chain_code[edges.heads]]
    tails, heads = edges.tails[selected], edges.heads[selected]
    attrs = [edges.attrs[i] for i in selected.tolist()]
    shared = _shared_neighbours(edges, tails, heads)

    cut_of: dict[int, dict] = {}
    for a, b, cut in _bridges(graph, edges):
        cut_of[min(a, b) * n + max(a, b)] = cut
    undirected_key = np.minimum(tails, heads) * n + np.maximum(tails, heads)
    on_bridge = np.flatnonzero(np.isin(undirected_key, np.fromiter(cut_of, dtype=np.int64, count=len(cut_of))))
    cuts: dict[int, dict] = {int(i): cut_of[int(undirected_key[i])] for i in on_bridge}
    cut_weight = np.zeros(len(selected))
    for i, cut in cuts.items():
        if cut["chains_lost"]:
            cut_weight[i] = 1 + math.log2(cut["cut_off"])
    thin = np.fromiter(
        ((a.get("documents", 0) <= 1) + (a.get("sentences", 0) <= 1) for a in attrs), dtype=np.float64, count=len(attrs)
    )
    # The same float operations, in the same order, as the scalar formula; Python rounds.
    fragility = [round(f, 4) for f in (thin + 1.0 / (1.0 + shared) + cut_weight).tolist()]
    weights = [a.get("weight", 0.0) for a in attrs]
    order = _rank(fragility, weights, tails, heads, nodes)
    if limit is not None:
        order = order[:limit]

    label = {node: attrs.get("label", node) for node, attrs in graph.nodes(data=True)}
    shared_list, tail_list, head_list = shared.tolist(), tails.tolist(), heads.tolist()
    records = []
    with _gc_paused():
        for i in order:
            u, v, relation = nodes[tail_list[i]], nodes[head_list[i]], attrs[i]
            cut = cuts.get(i)
            records.append(
                {
                    "source": u,
                    "target": v,
                    "predicate": relation.get("predicate"),
                    "source_label": label[u],
                    "target_label": label[v],
                    "chains": f"{chains[tail_list[i]]}→{chains[head_list[i]]}",
                    "documents": relation.get("documents", 0),
                    "sentences": relation.get("sentences", 0),
                    "weight": relation.get("weight", 0.0),
                    "embeddedness": shared_list[i],
                    "local_bridge": shared_list[i] == 0,
                    "bridge": cut is not None,
                    "cut_off": cut["cut_off"] if cut else 0,
                    "chains_lost": cut["chains_lost"] if cut else [],
                    "fragility": fragility[i],
                }
            )
    return records


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector while building many records that form no cycles.

    Each of its full passes walks every object of the graph; over half a million new records
    it would otherwise run several of them, for more time than the records take to build.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _codes(values: list) -> np.ndarray:
    """Small integers standing for ``values`` (equal values, equal codes)."""
    code: dict = {}
    return np.fromiter((code.setdefault(value, len(code)) for value in values), dtype=np.int64, count=len(values))


def _rank(fragility: list[float], weights: list, tails: np.ndarray, heads: np.ndarray, nodes: list) -> list[int]:
    """Positions of the relations by (-fragility, weight, source, target)."""
    try:
        position = np.empty(len(nodes), dtype=np.int64)
        position[sorted(range(len(nodes)), key=nodes.__getitem__)] = np.arange(len(nodes))
        weight = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):  # nodes or weights numpy cannot order: compare the values themselves
        keys = [(-f, w, nodes[t], nodes[h]) for f, w, t, h in zip(fragility, weights, tails, heads, strict=True)]
        return sorted(range(len(keys)), key=keys.__getitem__)
    if not fragility:
        return []
    return np.lexsort((position[heads], position[tails], weight, -np.asarray(fragility))).tolist()


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
