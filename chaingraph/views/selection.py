"""Selecting a view: the part of the concept graph a page or an export shows, and what it leaves out.

A *view* is a selection of the concept graph (:func:`chaingraph.align.projection.concept_graph`):
the concepts of some chains or classes, the relations with at least some weight, the neighbourhood
of a focus concept, and at most ``max_nodes`` concepts: those with the most evidence, or those
closest to the focus. What the selection leaves out is counted, so the page can say so.

Examples
--------
>>> import networkx as nx
>>> g = nx.DiGraph()
>>> g.add_node("ex:p", cls="Programme", chain="education", label="Welding", labels={"en": "Welding"})
>>> g.add_node("ex:s", cls="Skill", chain="talent", label="SQL", labels={"en": "SQL"})
>>> g.add_edge("ex:p", "ex:s", predicate="teaches", documents=1, sentences=2, weight=2.6)
>>> view = select_view(g, chains=["talent"])
>>> sorted(view), view.graph["view"]["left_out"]["concepts"]
(['ex:s'], 1)
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx

from chaingraph.rdf.namespaces import CHAINS, CLASSES

if TYPE_CHECKING:
    from typing import TypeAlias

    from chaingraph.store import EmbeddedStore

    # What a view is made from: a concept graph, a store, a store's directory (None: the default store).
    Source: TypeAlias = nx.DiGraph | EmbeddedStore | str | os.PathLike[str] | None

__all__ = ["DEFAULT_MAX_NODES", "ViewError", "describe_view", "select_view", "source_graph"]

DEFAULT_MAX_NODES = 2000


class ViewError(ValueError):
    """A view that cannot be made as asked (unknown chain, class or focus); the message says what to give."""


def _names(given: Iterable[str] | None, known: Iterable[str], what: str) -> set[str] | None:
    if given is None:
        return None
    by_lower = {name.lower(): name for name in known}
    chosen = set()
    for name in given:
        name = name.strip()
        if not name:
            continue
        if name.lower() not in by_lower:
            raise ViewError(f"unknown {what} {name!r}; choose from {', '.join(by_lower.values())}")
        chosen.add(by_lower[name.lower()])
    return chosen or None


def _focus_nodes(graph: nx.DiGraph, focus: str | Iterable[str]) -> list[str]:
    """The concepts a user means: IRIs, ``prefix:code`` references or labels (any language, any case)."""
    from chaingraph.rdf.namespaces import UnknownConceptCode, resolve_concept

    found: list[str] = []
    for reference in [focus] if isinstance(focus, str) else focus:
        if reference in graph:
            found.append(reference)
            continue
        try:
            iri = resolve_concept(reference)
        except UnknownConceptCode:
            iri = None
        if iri in graph:
            found.append(iri)
            continue
        wanted = reference.strip().casefold()
        matches = [
            n
            for n, a in graph.nodes(data=True)
            if wanted == str(a.get("label", "")).casefold()
            or any(wanted == str(v).casefold() for v in (a.get("labels") or {}).values())
        ]
        if not matches:
            near = sorted(
                {
                    str(a.get("label", n))
                    for n, a in graph.nodes(data=True)
                    if wanted in str(a.get("label", "")).casefold()
                }
            )
            hint = f"; did you mean {', '.join(repr(x) for x in near[:5])}?" if near else ""
            raise ViewError(f"no concept of the graph is labelled or identified by {reference!r}{hint}")
        found.extend(matches)  # several concepts with one label: show all their neighbourhoods
    return list(dict.fromkeys(found))


def select_view(
    graph: nx.DiGraph,
    *,
    focus: str | Iterable[str] | None = None,
    depth: int = 1,
    chains: Iterable[str] | None = None,
    classes: Iterable[str] | None = None,
    min_weight: float = 0.0,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    lang: str = "en",
) -> nx.DiGraph:
    """The part of ``graph`` a view shows, with a count of what it leaves out.

    Parameters
    ----------
    graph : nx.DiGraph
        A concept graph (node ``cls``, ``chain``, ``label``, ``labels``; edge ``weight``).
    focus : str or list of str, optional
        Concepts to centre on, by IRI, ``prefix:code`` or label; only concepts within ``depth``
        relations of them (either direction) are kept.
    depth : int, default 1
        How many relations away from the focus to go.
    chains, classes : list of str, optional
        Keep only concepts of these chains (``education``, ``talent``, ...) and classes (``Skill``, ...).
    min_weight : float, default 0
        Keep only relations of at least this weight; concepts left with none are dropped too.
    max_nodes : int or None, default 2000
        Keep at most this many concepts: those with the most evidence (sum of relation weights),
        or with a focus, the nearest first. ``None`` keeps all.
    lang : str, default "en"
        Language of the labels shown (falls back to English, then any).

    Returns
    -------
    nx.DiGraph
        A new graph; nodes gain ``label`` (in ``lang``), ``degree``, ``strength`` and, with a focus,
        ``distance``; ``graph.graph["view"]`` records the filters and what was left out.
    """
    chain_set = _names(chains, CHAINS, "chain")
    class_set = _names(classes, CLASSES, "class")
    if depth < 0:
        raise ViewError("depth must be 0 or more")
    if max_nodes is not None and max_nodes < 1:
        raise ViewError("max-nodes must be at least 1")
    kept = [
        n
        for n, a in graph.nodes(data=True)
        if (chain_set is None or a.get("chain") in chain_set) and (class_set is None or a.get("cls") in class_set)
    ]
    view = nx.DiGraph()
    view.add_nodes_from((n, dict(graph.nodes[n])) for n in kept)
    inside = graph.subgraph(kept)
    view.add_edges_from((s, o, dict(a)) for s, o, a in inside.edges(data=True) if a.get("weight", 0.0) >= min_weight)
    if min_weight > 0:  # a concept whose every relation is too thin says nothing at this threshold
        view.remove_nodes_from([n for n in list(view) if view.degree(n) == 0 and inside.degree(n) > 0])

    focus_nodes: list[str] = []
    distance: dict[str, int] = {}
    if focus is not None:
        focus_nodes = _focus_nodes(graph, focus)
        missing = [n for n in focus_nodes if n not in view]
        if missing:
            what = ", ".join(f"{graph.nodes[n].get('label', n)} ({graph.nodes[n].get('cls')})" for n in missing)
            raise ViewError(f"the focus {what} is left out by the chain, class or weight filters")
        distance = dict(
            nx.multi_source_dijkstra_path_length(
                view.to_undirected(as_view=True), focus_nodes, cutoff=depth, weight=None
            )
        )
        view.remove_nodes_from([n for n in list(view) if n not in distance])
    filtered_nodes, filtered_edges = view.number_of_nodes(), view.number_of_edges()

    for n, attrs in view.nodes(data=True):
        attrs["degree"] = view.degree(n)
        attrs["strength"] = round(view.degree(n, weight="weight"), 6)
        labels = attrs.get("labels") or {}
        attrs["label"] = labels.get(lang) or attrs.get("label") or next(iter(labels.values()), n)
        if distance:
            attrs["distance"] = distance[n]

    left_out: list[str] = []
    if max_nodes is not None and view.number_of_nodes() > max_nodes:
        # Nearest the focus first, then the most evidence; labels break ties so a view is reproducible.
        ranked = sorted(
            view.nodes(data=True),
            key=lambda item: (
                item[1].get("distance", 0),
                -item[1]["strength"],
                -item[1].get("mentions", 0),
                item[1]["label"],
                item[0],
            ),
        )
        left_out = [n for n, _ in ranked[max_nodes:]]
        by_chain = Counter(view.nodes[n].get("chain", "") for n in left_out)
        strongest = [view.nodes[n]["label"] for n in sorted(left_out, key=lambda n: -view.nodes[n]["strength"])[:8]]
        view.remove_nodes_from(left_out)
        cut_edges = filtered_edges - view.number_of_edges()
        cut = {
            "concepts": len(left_out),
            "relations": cut_edges,
            "by_chain": dict(by_chain.most_common()),
            "strongest": strongest,
        }
    else:
        cut = {"concepts": 0, "relations": 0, "by_chain": {}, "strongest": []}

    view.graph.update({k: v for k, v in graph.graph.items() if k != "view"})
    view.graph["view"] = {
        "concepts": graph.number_of_nodes(),
        "relations": graph.number_of_edges(),
        "filtered": {"concepts": filtered_nodes, "relations": filtered_edges},
        "shown": {"concepts": view.number_of_nodes(), "relations": view.number_of_edges()},
        "left_out": {
            "concepts": graph.number_of_nodes() - view.number_of_nodes(),
            "relations": graph.number_of_edges() - view.number_of_edges(),
        },
        "cut": cut,
        "filters": {
            "chains": sorted(chain_set) if chain_set else None,
            "classes": sorted(class_set) if class_set else None,
            "min_weight": min_weight,
            "focus": [graph.nodes[n].get("label", n) for n in focus_nodes] or None,
            "depth": depth if focus_nodes else None,
            "max_nodes": max_nodes,
            "lang": lang,
        },
    }
    return view


def describe_view(view: nx.DiGraph) -> list[str]:
    """Sentences saying what a view from :func:`select_view` shows and what it leaves out."""
    info = view.graph["view"]
    shown, filters, cut = info["shown"], info["filters"], info["cut"]
    lines = [
        f"Showing {shown['concepts']:,} of {info['concepts']:,} concepts "
        f"and {shown['relations']:,} of {info['relations']:,} relations."
    ]
    applied = []
    if filters["focus"]:
        applied.append(f"within {filters['depth']} relations of {'; '.join(filters['focus'])}")
    if filters["chains"]:
        applied.append("chains " + ", ".join(filters["chains"]))
    if filters["classes"]:
        applied.append("classes " + ", ".join(filters["classes"]))
    if filters["min_weight"]:
        applied.append(f"relations of weight {filters['min_weight']:g} or more")
    filtered = info["filtered"]
    if applied:
        lines.append(
            f"Selected {filtered['concepts']:,} concepts and {filtered['relations']:,} relations: "
            + "; ".join(applied)
            + "."
        )
    if cut["concepts"]:
        rule = (
            "those nearest the focus, then with the most evidence"
            if filters["focus"]
            else "those with the most evidence"
        )
        chains = ", ".join(f"{chain} {n:,}" for chain, n in cut["by_chain"].items())
        lines.append(
            f"Left out by max-nodes {filters['max_nodes']:,} (kept {rule}): {cut['concepts']:,} concepts ({chains}) "
            f"and {cut['relations']:,} relations; the strongest left out: {'; '.join(cut['strongest'])}."
        )
    return lines


def source_graph(source: Source, weighting: str) -> tuple[nx.DiGraph, EmbeddedStore | None]:
    """``(graph, store or None)`` for a concept graph, a store or a store path (None: the default store)."""
    if isinstance(source, nx.Graph):
        return source, None
    from chaingraph.align.projection import concept_graph
    from chaingraph.resources import default_store_path
    from chaingraph.store import EmbeddedStore, StoreError, open_store

    if source is None:
        source = default_store_path()

    if not isinstance(source, EmbeddedStore):
        path = Path(source)
        if not path.is_dir():
            raise StoreError(f"no store at {path}: build one first (chaingraph build CORPUS_DIR --store {path})")
        source = open_store(path)
    return concept_graph(source, weighting=weighting), source
