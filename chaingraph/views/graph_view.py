"""Interactive views of the concept graph: one self-contained HTML page, or GEXF, GraphML and CSV.

A *view* is a selection of the concept graph (:func:`chaingraph.align.projection.concept_graph`):
the concepts of some chains or classes, the relations with at least some weight, the neighbourhood
of a focus concept, and at most ``max_nodes`` concepts: those with the most evidence, or those
closest to the focus. What the selection leaves out is counted, so the page can say so.

The page inlines vis-network's script and style (the files bundled with the installed ``pyvis``
package), the data and its own script: it opens offline, from a file or an e-mail. Positions are
computed in Python (igraph's grid Fruchterman–Reingold) and physics is off once the page is drawn,
so 20,000 concepts draw in seconds where vis-network's own layout takes minutes for 1,000.
Every label, sentence and title reaches the page as JSON and is shown as text, never as HTML.

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
>>> graph_view(g).html.count("<script src=")
0
"""

from __future__ import annotations

import csv
import html
import importlib.util
import io
import json
import math
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import networkx as nx

from chaingraph.rdf.namespaces import CHAINS, CLASSES

if TYPE_CHECKING:
    from typing import TypeAlias

    from chaingraph.store import EmbeddedStore

    # What a view is made from: a concept graph, a store, a store's directory (None: the default store).
    Source: TypeAlias = nx.DiGraph | EmbeddedStore | str | os.PathLike[str] | None

__all__ = [
    "CHAIN_COLOURS",
    "CLASS_SHAPES",
    "DEFAULT_MAX_NODES",
    "EXPORT_FORMATS",
    "GraphView",
    "ViewError",
    "describe_view",
    "export_view",
    "graph_view",
    "layout_positions",
    "select_view",
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
DEFAULT_MAX_NODES = 2000
EXPORT_FORMATS = ("gexf", "graphml", "csv")
SIZE_BY = ("evidence", "degree")

_PHYSICS_UP_TO = 300  # small views get a short physics polish in the browser; larger ones are drawn as laid out
_ASSETS = Path(__file__).with_name("assets")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML 1.0


class ViewError(ValueError):
    """A view that cannot be made as asked (unknown chain, class or focus); the message says what to give."""


# ---------------------------------------------------------------------- selection


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


# ---------------------------------------------------------------------- layout


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


def _ensure_positions(view: nx.DiGraph) -> None:
    if all("x" in a and "y" in a for _, a in view.nodes(data=True)):
        return
    for n, (x, y) in layout_positions(view).items():
        view.nodes[n]["x"], view.nodes[n]["y"] = x, y


def _node_sizes(view: nx.DiGraph, size_by: str) -> dict:
    if size_by not in SIZE_BY:
        raise ViewError(f"unknown size-by {size_by!r}; choose evidence or degree")
    key = "strength" if size_by == "evidence" else "degree"
    top = max((a.get(key, 0) for _, a in view.nodes(data=True)), default=0) or 1
    # Area, not radius, follows the value: a hub reads as big without swallowing its neighbours.
    return {n: round(8 + 24 * math.sqrt(max(a.get(key, 0), 0) / top), 1) for n, a in view.nodes(data=True)}


def _edge_widths(view: nx.DiGraph) -> dict:
    top = max((a.get("weight", 0) for _, _, a in view.edges(data=True)), default=0) or 1
    return {
        (s, o): round(0.5 + 4.5 * math.sqrt(max(a.get("weight", 0), 0) / top), 2) for s, o, a in view.edges(data=True)
    }


# ---------------------------------------------------------------------- the page


def _vis_assets() -> tuple[str, str]:
    """vis-network's script and style from the installed pyvis package (newest bundled version)."""
    # Found, not imported: importing pyvis pulls in IPython, a third of a second for nothing.
    spec = importlib.util.find_spec("pyvis")
    try:
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError("no pyvis package")
        lib = Path(next(iter(spec.submodule_search_locations))) / "templates" / "lib"
        folders = sorted(lib.glob("vis-*"), key=lambda p: [int(x) for x in re.findall(r"\d+", p.name)])
        script = (folders[-1] / "vis-network.min.js").read_text(encoding="utf-8")
        style = (folders[-1] / "vis-network.css").read_text(encoding="utf-8")
    except (OSError, IndexError) as error:
        raise ViewError(
            f"vis-network was not found in the pyvis package ({error}); install it: pip install 'pyvis>=0.3.2'"
        ) from None
    # A source map comment would make developer tools fetch a file that is not there.
    script = re.sub(r"//# sourceMappingURL=\S+", "", script)
    if "</script" in script.lower() or "</style" in style.lower():
        raise ViewError("the bundled vis-network cannot be inlined safely (it contains a closing tag)")
    return script, style


def _json_for_html(value) -> str:
    # Inside <script> only "</" could end the element early; escaping <, > and & rules it out.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _columns(rows: list[dict]) -> dict[str, list]:
    return {key: [row[key] for row in rows] for key in rows[0]} if rows else {}


def _page_data(view: nx.DiGraph, evidence: dict, title: str, size_by: str) -> dict:
    nodes = list(view)
    index = {n: i for i, n in enumerate(nodes)}
    # Any networkx graph can be viewed: concepts without class or chain get a grey "other".
    cls_of = {n: str(a.get("cls") or "Concept") for n, a in view.nodes(data=True)}
    chain_of = {cls_of[n]: str(a.get("chain") or "other") for n, a in view.nodes(data=True)}
    classes = [c for c in CLASSES if c in chain_of] + sorted(set(chain_of) - set(CLASSES))
    class_index = {c: i for i, c in enumerate(classes)}
    sizes, widths = _node_sizes(view, size_by), _edge_widths(view)
    documents: dict[str, int] = {}
    sentences: dict[tuple[str, str], int] = {}
    ev = {"sentence": [], "document": [], "path": []}

    def evidence_index(pair) -> int:
        records = evidence.get(pair) or []
        if not records:
            return -1
        record = records[0]
        key = (record["sentence"], record["document"])
        if key not in sentences:
            sentences[key] = len(ev["sentence"])
            ev["sentence"].append(record["sentence"])
            ev["document"].append(documents.setdefault(record["document"], len(documents)))
            ev["path"].append(record.get("path", ""))
        return sentences[key]

    strongest = {}
    for s, o, _ in sorted(view.edges(data="weight", default=0), key=lambda e: e[2]):
        if evidence.get((s, o)):
            strongest[s] = strongest[o] = (s, o)  # sorted ascending: the last write is the strongest
    lang = view.graph.get("view", {}).get("filters", {}).get("lang", "en")
    node_rows = []
    for n in nodes:
        a = view.nodes[n]
        others = [v for k, v in sorted((a.get("labels") or {}).items()) if k != lang and v != a["label"]]
        node_rows.append(
            {
                "label": str(a.get("label", n)), "alt": " / ".join(map(str, others)), "iri": str(n),
                "cls": class_index[cls_of[n]], "scheme": a.get("scheme") or "", "code": a.get("code") or "",
                "mentions": a.get("mentions", 0), "documents": a.get("documents", 0),
                "degree": a.get("degree", view.degree(n)), "strength": a.get("strength", 0),
                "hot": bool(a.get("hot")), "x": a["x"], "y": a["y"], "size": sizes[n],
                "evidence": evidence_index(strongest[n]) if n in strongest else -1,
                "focus": a.get("distance") == 0,
            }
        )  # fmt: skip
    predicates = sorted({str(p) for _, _, p in view.edges(data="predicate", default="relatedTo")})
    edge_rows = [
        {
            "from": index[s], "to": index[o], "predicate": predicates.index(str(a.get("predicate", "relatedTo"))),
            "documents": a.get("documents", 0), "sentences": a.get("sentences", 0), "weight": a.get("weight", 0),
            "width": widths[(s, o)], "evidence": evidence_index((s, o)),
        }
        for s, o, a in view.edges(data=True)
    ]  # fmt: skip
    counts = Counter(cls_of.values())
    chains_present = [c for c in CHAINS if c in chain_of.values()] + sorted(set(chain_of.values()) - set(CHAINS))
    return {
        "title": title,
        "summary": describe_view(view) if "view" in view.graph else [],
        "physics": len(nodes) <= _PHYSICS_UP_TO,
        "chains": [
            {
                "name": c,
                "colour": CHAIN_COLOURS.get(c, "#999999"),
                "count": sum(counts[k] for k in classes if chain_of.get(k) == c),
            }
            for c in chains_present
        ],
        "classes": [
            {
                "name": c,
                "chain": chain_of.get(c, ""),
                "shape": CLASS_SHAPES.get(c, ("dot", "\u25cf"))[0],
                "symbol": CLASS_SHAPES.get(c, ("dot", "\u25cf"))[1],
                "count": counts[c],
            }
            for c in classes
        ],  # fmt: skip
        "predicates": predicates,
        "documents": list(documents),
        "evidence": ev,
        # Columns, not records: a third smaller, and quicker to parse for 20,000 nodes.
        "nodes": _columns(node_rows),
        "edges": _columns(edge_rows),
    }


def render_page(
    view: nx.DiGraph, *, evidence: dict | None = None, title: str = "chaingraph", size_by: str = "evidence"
) -> str:
    """The self-contained HTML page of a view (laid out first if its nodes have no ``x``/``y``)."""
    _ensure_positions(view)
    script, style = _vis_assets()
    data = _page_data(view, evidence or {}, title, size_by)
    lang = view.graph.get("view", {}).get("filters", {}).get("lang", "en")
    slots = {
        "TITLE": html.escape(title),
        "LANG": html.escape(lang),
        "VIS_CSS": style,
        "VIS_JS": script,
        "DATA": _json_for_html(data),
    }
    template = (_ASSETS / "graph_view.html").read_text(encoding="utf-8")
    # One pass, so text put into one slot is never searched for another.
    return re.sub(r"@@([A-Z_]+)@@", lambda m: slots[m.group(1)], template)


@dataclass
class GraphView:
    """A view ready to show: the selected graph, the evidence behind its relations, and its page.

    In Jupyter the object displays itself (a sandboxed ``<iframe srcdoc>``: no file, no server).
    """

    graph: nx.DiGraph
    evidence: dict = field(default_factory=dict, repr=False)
    title: str = "chaingraph"
    size_by: str = "evidence"

    @cached_property
    def html(self) -> str:
        """The page: one HTML document with every script and style inlined."""
        return render_page(self.graph, evidence=self.evidence, title=self.title, size_by=self.size_by)

    @property
    def summary(self) -> list[str]:
        """What the view shows and leaves out, in sentences."""
        return describe_view(self.graph)

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` (replaced only once fully written); returns the path."""
        path = Path(path)
        _write_atomically(path, self.html.encode("utf-8"))
        return path

    def _repr_html_(self) -> str:
        # srcdoc keeps the page self-contained; the sandbox gives it an origin of its own, away from
        # the notebook's cookies and token.
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
            'style="width:100%;height:720px;border:1px solid #ddd" title="chaingraph view"></iframe>'
        )

    def show(self, path: str | os.PathLike[str] | None = None, *, notebook: bool = True):
        """Display the view: inline in a notebook, else written to ``path`` and opened in a browser.

        Unlike pyvis 0.3.2's ``Network.show`` (WestHealth/pyvis#216) either mode works whatever
        the object was made with, and the notebook mode needs no file (``path``, if given, is
        written too).
        """
        if notebook:
            if path is not None:
                self.write(path)
            return self  # Jupyter displays it through _repr_html_: no server, no IPython import
        import webbrowser

        target = self.write(path or Path(tempfile.mkdtemp(prefix="chaingraph-")) / "view.html")
        webbrowser.open(target.resolve().as_uri())
        return target


def _source_graph(source: Source, weighting: str) -> tuple[nx.DiGraph, EmbeddedStore | None]:
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


def _view_evidence(store: EmbeddedStore, view: nx.DiGraph, limit: int) -> dict:
    """One sentence for each node's strongest relation and for the strongest relations, up to ``limit`` pairs."""
    from chaingraph.align.projection import relation_evidence

    by_weight = sorted(view.edges(data="weight"), key=lambda e: (-(e[2] or 0), e[0], e[1]))
    pairs: dict[tuple[str, str], None] = {}
    seen: set[str] = set()
    for s, o, _ in by_weight:  # strongest relation of each concept first, so every tooltip has a sentence
        if s not in seen or o not in seen:
            pairs[(s, o)] = None
            seen.update((s, o))
    for s, o, _ in by_weight:
        if len(pairs) >= limit:
            break
        pairs.setdefault((s, o), None)
    return relation_evidence(store, list(pairs), per_pair=1)


def graph_view(
    source: Source = None,
    *,
    focus: str | Iterable[str] | None = None,
    depth: int = 1,
    chains: Iterable[str] | None = None,
    classes: Iterable[str] | None = None,
    min_weight: float = 0.0,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    lang: str = "en",
    size_by: str = "evidence",
    weighting: str = "evidence",
    evidence: dict | None = None,
    evidence_limit: int = 5000,
    title: str | None = None,
) -> GraphView:
    """A view of a concept graph or of a store's graph, ready to write, show or display in Jupyter.

    Parameters
    ----------
    source : nx.DiGraph, EmbeddedStore, str or Path, optional
        A concept graph, or a store (or its directory) to project one from, with its evidence;
        by default the default store (``$CHAINGRAPH_STORE`` or ``./chaingraph-store``).
    focus, depth, chains, classes, min_weight, max_nodes, lang
        The selection; see :func:`select_view`.
    size_by : {"evidence", "degree"}, default "evidence"
        Node size from the sum of relation weights or from the number of relations.
    weighting : str, default "evidence"
        Edge weight when projecting from a store (see :mod:`chaingraph.align.projection`).
    evidence : dict, optional
        ``{(subject, object): [{"sentence", "document", "path"}]}``; read from the store if not given.
    evidence_limit : int, default 5000
        How many relations at most to read a sentence for (every concept's strongest first).
    title : str, optional
        The page's title.
    """
    graph, store = _source_graph(source, weighting)
    view = select_view(
        graph, focus=focus, depth=depth, chains=chains, classes=classes,
        min_weight=min_weight, max_nodes=max_nodes, lang=lang,
    )  # fmt: skip
    if evidence is None:
        evidence = _view_evidence(store, view, evidence_limit) if store is not None else {}
    _node_sizes(view, size_by)  # reject a bad size_by now, not when the page is first rendered
    if title is None:
        focus_labels = view.graph["view"]["filters"]["focus"]
        title = "chaingraph: " + (", ".join(focus_labels) if focus_labels else "the four chains")
    return GraphView(view, evidence, title, size_by)


# ---------------------------------------------------------------------- exports


def _write_atomically(path: Path, payload: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    try:
        tmp.write_bytes(payload)
        tmp.replace(path)  # an interrupted write never leaves half a file in place
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def _text(value) -> str:
    return _CONTROL.sub("", str(value))


def _flat_graph(view: nx.DiGraph, size_by: str, fmt: str) -> nx.DiGraph:
    """A copy with only scalar attributes (what GEXF and GraphML hold), colours, sizes and positions."""
    sizes = _node_sizes(view, size_by)
    flat = nx.DiGraph()
    for n, a in view.nodes(data=True):
        attrs = {
            "label": _text(a.get("label", n)), "cls": a.get("cls", ""), "chain": a.get("chain", ""),
            "scheme": _text(a.get("scheme") or ""), "code": _text(a.get("code") or ""),
            "mentions": int(a.get("mentions", 0)), "documents": int(a.get("documents", 0)),
            "degree": int(a.get("degree", 0)), "strength": float(a.get("strength", 0.0)),
            "hot": bool(a.get("hot", False)), "in_demand": bool(a.get("in_demand", False)),
        }  # fmt: skip
        for lang, label in sorted((a.get("labels") or {}).items()):
            attrs[f"label_{lang}"] = _text(label)
        colour = CHAIN_COLOURS.get(a.get("chain", ""), "#999999")
        if fmt == "gexf":  # Gephi opens the file with the page's colours, sizes and layout
            r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
            attrs["viz"] = {
                "color": {"r": r, "g": g, "b": b, "a": 1.0},
                "size": sizes[n],
                "position": {"x": a["x"], "y": -a["y"], "z": 0.0},
            }
        else:
            attrs.update(colour=colour, size=sizes[n], x=a["x"], y=a["y"])
        flat.add_node(_text(n), **attrs)
    for s, o, a in view.edges(data=True):
        flat.add_edge(
            _text(s), _text(o), label=_text(a.get("predicate", "")), predicate=_text(a.get("predicate", "")),
            documents=int(a.get("documents", 0)), sentences=int(a.get("sentences", 0)),
            evidence=float(a.get("evidence", a.get("weight", 0.0))), weight=float(a.get("weight", 0.0)),
        )  # fmt: skip
    return flat


def _cell(value) -> str | int | float | bool:
    # A spreadsheet runs a cell starting with = + - @ as a formula: keep text as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_bytes(header: list[str], rows: Iterable[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


def export_view(
    graph_or_store: Source,
    path: str | os.PathLike[str] | BinaryIO,
    fmt: str,
    *,
    size_by: str = "evidence",
    weighting: str = "evidence",
    **filters,
) -> list[Path]:
    """Write a view as GEXF or GraphML (for Gephi, yEd, Cytoscape) or CSV (for spreadsheets and Gephi).

    Parameters
    ----------
    graph_or_store : nx.DiGraph, EmbeddedStore, str or Path
        A concept graph, or a store (or its directory) to project one from.
    path : str, Path or binary file
        Where to write. For ``csv`` this is the relation table (``Source``, ``Target``, ``Weight``,
        ``Label`` and both ends' label, class and chain: one sheet a spreadsheet can use alone);
        the concept table is written beside it as ``<name>.nodes.csv`` when ``path`` is a path.
    fmt : {"gexf", "graphml", "csv"}
    size_by, weighting
        As for :func:`graph_view`.
    **filters
        ``focus``, ``depth``, ``chains``, ``classes``, ``min_weight``, ``max_nodes`` (default: no
        limit, since Gephi copes with large graphs) and ``lang``, as for :func:`select_view`.

    Returns
    -------
    list of Path
        The files written (empty when writing to a file object).
    """
    if fmt not in EXPORT_FORMATS:
        raise ViewError(f"unknown export format {fmt!r}; choose from {', '.join(EXPORT_FORMATS)}")
    graph, _ = _source_graph(graph_or_store, weighting)
    filters.setdefault("max_nodes", None)
    view = select_view(graph, **filters)
    _ensure_positions(view)
    flat = _flat_graph(view, size_by, fmt)
    outputs: list[tuple[object, bytes]] = []
    if fmt in ("gexf", "graphml"):
        buffer = io.BytesIO()
        if fmt == "gexf":
            nx.write_gexf(flat, buffer, version="1.2draft")
        else:
            nx.write_graphml(flat, buffer)
        outputs.append((path, buffer.getvalue()))
    else:
        ends = ("label", "cls", "chain")
        edge_rows = (
            [s, o, "Directed", a["weight"], a["predicate"], a["documents"], a["sentences"], a["evidence"]]
            + [flat.nodes[s][k] for k in ends]
            + [flat.nodes[o][k] for k in ends]
            for s, o, a in flat.edges(data=True)
        )
        header = ["Source", "Target", "Type", "Weight", "Label", "documents", "sentences", "evidence"]
        header += [f"source_{k}" for k in ends] + [f"target_{k}" for k in ends]
        outputs.append((path, _csv_bytes(header, edge_rows)))
        if isinstance(path, str | os.PathLike):
            columns = ["label", "cls", "chain", "scheme", "code", "mentions", "documents", "degree", "strength",
                       "hot", "in_demand", "x", "y", "colour", "size"]  # fmt: skip
            node_rows = ([n] + [a.get(k, "") for k in columns] for n, a in flat.nodes(data=True))
            nodes_path = Path(path).with_name(Path(path).stem + ".nodes" + (Path(path).suffix or ".csv"))
            outputs.append((nodes_path, _csv_bytes(["Id", "Label"] + columns[1:], node_rows)))
    written = []
    for target, payload in outputs:
        if isinstance(target, str | os.PathLike):
            _write_atomically(Path(target), payload)
            written.append(Path(target))
        else:
            target.write(payload)
    return written
