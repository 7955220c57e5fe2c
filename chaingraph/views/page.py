"""The self-contained HTML page of a view: vis-network, the view's data and the page's script, inlined.

The page inlines vis-network's script and style (the files bundled with the installed ``pyvis``
package), the data and its own script: it opens offline, from a file or an e-mail. Nodes arrive
laid out (:mod:`chaingraph.views.layout`) and physics is off once the page is drawn.
Every label, sentence and title reaches the page as JSON and is shown as text, never as HTML.
"""

from __future__ import annotations

import html
import importlib.util
import json
import re
from collections import Counter
from pathlib import Path

import networkx as nx

from chaingraph.rdf.namespaces import CHAINS, CLASSES
from chaingraph.views.layout import CHAIN_COLOURS, CLASS_SHAPES, edge_widths, ensure_positions, node_sizes
from chaingraph.views.selection import ViewError, describe_view

__all__ = ["render_page"]

_PHYSICS_UP_TO = 300  # small views get a short physics polish in the browser; larger ones are drawn as laid out
_ASSETS = Path(__file__).with_name("assets")


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
    sizes, widths = node_sizes(view, size_by), edge_widths(view)
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
    ensure_positions(view)
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
