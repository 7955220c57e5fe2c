"""Interactive views of the concept graph: one self-contained HTML page, or GEXF, GraphML and CSV.

The entry points: :func:`graph_view` makes a :class:`GraphView` from a concept graph or a store,
ready to write, show or display in Jupyter; :func:`export_view` writes one for other tools. The
work is done by :mod:`~chaingraph.views.selection` (what a view shows and leaves out),
:mod:`~chaingraph.views.layout` (positions and sizes), :mod:`~chaingraph.views.page` (the HTML page)
and :mod:`~chaingraph.views.export` (GEXF, GraphML, CSV); their public names are importable from here too.

Examples
--------
>>> import networkx as nx
>>> g = nx.DiGraph()
>>> g.add_node("ex:p", cls="Programme", chain="education", label="Welding", labels={"en": "Welding"})
>>> g.add_node("ex:s", cls="Skill", chain="talent", label="SQL", labels={"en": "SQL"})
>>> g.add_edge("ex:p", "ex:s", predicate="teaches", documents=1, sentences=2, weight=2.6)
>>> graph_view(g).html.count("<script src=")
0
"""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx

from chaingraph.views.export import EXPORT_FORMATS, export_view, write_atomically
from chaingraph.views.layout import CHAIN_COLOURS, CLASS_SHAPES, SIZE_BY, layout_positions, node_sizes
from chaingraph.views.page import render_page
from chaingraph.views.selection import DEFAULT_MAX_NODES, ViewError, describe_view, select_view, source_graph

if TYPE_CHECKING:
    from chaingraph.store import EmbeddedStore
    from chaingraph.views.selection import Source

__all__ = [
    "CHAIN_COLOURS",
    "CLASS_SHAPES",
    "DEFAULT_MAX_NODES",
    "EXPORT_FORMATS",
    "SIZE_BY",
    "GraphView",
    "ViewError",
    "describe_view",
    "export_view",
    "graph_view",
    "layout_positions",
    "select_view",
]


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
        write_atomically(path, self.html.encode("utf-8"))
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
    graph, store = source_graph(source, weighting)
    view = select_view(
        graph, focus=focus, depth=depth, chains=chains, classes=classes,
        min_weight=min_weight, max_nodes=max_nodes, lang=lang,
    )  # fmt: skip
    if evidence is None:
        evidence = _view_evidence(store, view, evidence_limit) if store is not None else {}
    node_sizes(view, size_by)  # reject a bad size_by now, not when the page is first rendered
    if title is None:
        focus_labels = view.graph["view"]["filters"]["focus"]
        title = "chaingraph: " + (", ".join(focus_labels) if focus_labels else "the four chains")
    return GraphView(view, evidence, title, size_by)
