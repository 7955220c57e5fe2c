"""Gaps: demand without supply, and supply without demand.

*Demand* for a skill or technology is a relation from an occupation or an industry that needs it
(``requires``, ``uses``); *supply* is a relation from a programme or course that develops it
(``teaches``, ``covers``). A demanded concept nobody supplies is a **demand gap**; a supplied
concept nobody in the corpus demands is a **supply gap** (supply without demand).
"""

from __future__ import annotations

import networkx as nx

__all__ = ["DEMAND", "SUPPLY", "demand_gaps", "supply_gaps"]

#: (class of the demanding or supplying concept, predicate) pairs.
DEMAND = {("Occupation", "requires"), ("Industry", "requires"), ("Occupation", "uses"), ("Industry", "uses")}
SUPPLY = {("Programme", "teaches"), ("Course", "teaches"), ("Programme", "covers"), ("Course", "covers")}
_DEMANDED = ("Skill", "Technology")


def _sides(graph: nx.DiGraph, node, cls_of: dict) -> tuple[list, list, int]:
    """Who demands and who supplies ``node`` (unsorted), and the documents behind the demand."""
    demanders, suppliers, documents = [], [], 0
    for source, attrs in graph.pred[node].items():
        key = (cls_of[source], attrs.get("predicate"))
        if key in DEMAND:
            demanders.append(source)
            documents += attrs.get("documents", 0)
        elif key in SUPPLY:
            suppliers.append(source)
    return demanders, suppliers, documents


def demand_gaps(graph: nx.DiGraph, *, classes: tuple[str, ...] = _DEMANDED) -> list[dict]:
    """Skills and technologies that occupations or industries need and no programme or course teaches.

    Ranked by demand: hot or in-demand technologies (O*NET flags) first, then by how many
    occupations/industries demand the concept, then by the documents behind that demand.
    Each record: ``concept``, ``label``, ``cls``, ``demanded_by`` (count), ``demanders`` (labels),
    ``documents``, ``hot``, ``in_demand``, ``rank``.
    """
    cls_of = dict(graph.nodes(data="cls"))
    records = []
    for node, attrs in graph.nodes(data=True):
        if attrs.get("cls") not in classes:
            continue
        demanders, suppliers, documents = _sides(graph, node, cls_of)
        if demanders and not suppliers:
            records.append(
                {
                    "concept": node,
                    "label": attrs.get("label", node),
                    "cls": attrs.get("cls"),
                    "demanded_by": len(demanders),
                    "demanders": [graph.nodes[d].get("label", d) for d in sorted(demanders)],
                    "documents": documents,
                    "hot": bool(attrs.get("hot")),
                    "in_demand": bool(attrs.get("in_demand")),
                }
            )
    records.sort(key=lambda r: (not (r["hot"] or r["in_demand"]), -r["demanded_by"], -r["documents"], r["concept"]))
    for rank, record in enumerate(records, 1):
        record["rank"] = rank
    return records


def supply_gaps(graph: nx.DiGraph, *, classes: tuple[str, ...] = _DEMANDED) -> list[dict]:
    """Skills and technologies that programmes teach and no occupation or industry in the corpus needs.

    Ranked by how many programmes supply the concept. Each record: ``concept``, ``label``,
    ``cls``, ``supplied_by`` (count), ``suppliers`` (labels), ``rank``.
    """
    cls_of = dict(graph.nodes(data="cls"))
    records = []
    for node, attrs in graph.nodes(data=True):
        if attrs.get("cls") not in classes:
            continue
        demanders, suppliers, _ = _sides(graph, node, cls_of)
        if suppliers and not demanders:
            records.append(
                {
                    "concept": node,
                    "label": attrs.get("label", node),
                    "cls": attrs.get("cls"),
                    "supplied_by": len(suppliers),
                    "suppliers": [graph.nodes[s].get("label", s) for s in sorted(suppliers)],
                }
            )
    records.sort(key=lambda r: (-r["supplied_by"], r["concept"]))
    for rank, record in enumerate(records, 1):
        record["rank"] = rank
    return records
