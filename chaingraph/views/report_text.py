"""How the report words what it shows: escaped text, short labels in a language, percentages, counts."""

from __future__ import annotations

from html import escape

import networkx as nx

__all__ = ["counted", "escaped", "label_in", "percent", "related_by", "shortened"]


def escaped(value: object) -> str:
    """The value as text safe in HTML, quotes included."""
    return escape(str(value), quote=True)


def shortened(text: str, size: int) -> str:
    """The text cut to ``size`` characters, an ellipsis last when cut."""
    return text if len(text) <= size else text[: size - 1] + "…"


def label_in(graph: nx.DiGraph, node: str, lang: str) -> str:
    """The concept's label in ``lang``, else in English, else any label, else its IRI."""
    attrs = graph.nodes[node] if node in graph else {}
    labels = attrs.get("labels") or {}
    return labels.get(lang) or labels.get("en") or attrs.get("label") or node


def related_by(graph: nx.DiGraph, node: str, kinds: set[tuple[str, str]]) -> list[str]:
    """The concepts that demand or supply ``node`` (as in :mod:`chaingraph.align.gaps`), by IRI."""
    return sorted(
        s for s, _, a in graph.in_edges(node, data=True) if (graph.nodes[s].get("cls"), a.get("predicate")) in kinds
    )


def percent(share: float) -> str:
    """A share as a percentage, in HTML (a tiny share reads "<1%", not "0%")."""
    return "&lt;1%" if 0 < share < 0.005 else f"{share * 100:.0f}%"


def counted(n: int, one: str, many: str) -> str:
    """``n`` with the singular or plural word: ``1 row``, ``2,000 rows``."""
    return f"{n:,} {one if n == 1 else many}"
