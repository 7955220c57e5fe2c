"""Where and how a view's concepts are drawn: positions, node sizes, edge widths, colours and shapes.

Positions are computed in Python (igraph's grid Fruchterman–Reingold), so 20,000 concepts are laid
out in seconds where vis-network's own layout takes minutes for 1,000.
"""

from __future__ import annotations

import math

import networkx as nx

from chaingraph.views.selection import ViewError

__all__ = [
    "CHAIN_COLOURS",
    "CLASS_SHAPES",
    "SIZE_BY",
    "edge_widths",
    "ensure_positions",
    "layout_positions",
    "node_sizes",
]

#: Okabe–Ito colours: told apart by colour-blind readers too.
CHAIN_COLOURS = {"education": "#0072B2", "talent": "#E69F00", "industry": "#009E73", "innovation": "#CC79A7"}
#: vis-network shape of each class (the two classes of a chain share its colour), and its legend symbol.
CLASS_SHAPES = {
    "Programme": ("square", "\u25a0"),
    "Course": ("triangle", "\u25b2"),
    "Occupation": ("diamond", "\u25c6"),
    "Skill": ("dot", "\u25cf"),
    "Industry": ("hexagon", "\u2b22"),
    "Technology": ("star", "\u2605"),
}
SIZE_BY = ("evidence", "degree")


def layout_positions(graph: nx.Graph, *, seed: int = 7, spacing: float = 90.0) -> dict:
    """Positions in pixels for every node: Fruchterman–Reingold (igraph, on a grid above 1,000 nodes).

    The same graph and ``seed`` give the same layout; ``spacing`` is roughly the room per node.
    """
    import random

    import igraph
    import numpy as np

    nodes = list(graph)
    if not nodes:
        return {}
    index = {n: i for i, n in enumerate(nodes)}
    spread = math.sqrt(len(nodes))
    # A wide start: the grid algorithm slows down sharply when it starts (or gets) crowded.
    start = np.random.default_rng(seed).normal(scale=spread / 3, size=(len(nodes), 2))
    shape = igraph.Graph(n=len(nodes), edges=[(index[s], index[o]) for s, o in graph.edges()])
    # igraph draws its jitter from a global generator: lend it a seeded one so layouts repeat.
    igraph.set_random_number_generator(random.Random(seed))
    try:
        coords = np.array(
            shape.layout_fruchterman_reingold(
                seed=start.tolist(), niter=500 if len(nodes) <= 5000 else 300, grid="auto"
            ).coords
        )
    finally:
        igraph.set_random_number_generator(random)
    coords -= np.median(coords, axis=0)
    # Scale by the bulk, not the extremes: a few far-flung islands must not shrink the rest.
    extent = max(float(np.percentile(np.hypot(coords[:, 0], coords[:, 1]), 95)), 1e-9)
    coords *= spacing * spread / 2 / extent
    return {n: (round(float(x), 1), round(float(y), 1)) for n, (x, y) in zip(nodes, coords, strict=True)}


def ensure_positions(view: nx.DiGraph) -> None:
    """Give every node ``x`` and ``y`` from :func:`layout_positions`, unless all have them already."""
    if all("x" in a and "y" in a for _, a in view.nodes(data=True)):
        return
    for n, (x, y) in layout_positions(view).items():
        view.nodes[n]["x"], view.nodes[n]["y"] = x, y


def node_sizes(view: nx.DiGraph, size_by: str) -> dict:
    """Each node's size in pixels (8 to 32) from its evidence or degree; :class:`ViewError` for another ``size_by``."""
    if size_by not in SIZE_BY:
        raise ViewError(f"unknown size-by {size_by!r}; choose evidence or degree")
    key = "strength" if size_by == "evidence" else "degree"
    top = max((a.get(key, 0) for _, a in view.nodes(data=True)), default=0) or 1
    # Area, not radius, follows the value: a hub reads as big without swallowing its neighbours.
    return {n: round(8 + 24 * math.sqrt(max(a.get(key, 0), 0) / top), 1) for n, a in view.nodes(data=True)}


def edge_widths(view: nx.DiGraph) -> dict:
    """Each relation's width in pixels (0.5 to 5), by ``(subject, object)``, from its weight."""
    top = max((a.get("weight", 0) for _, _, a in view.edges(data=True)), default=0) or 1
    return {
        (s, o): round(0.5 + 4.5 * math.sqrt(max(a.get("weight", 0), 0) / top), 2) for s, o, a in view.edges(data=True)
    }
