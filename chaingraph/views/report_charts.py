"""The report's charts, drawn here as inline SVG: the coupling heatmap, the demand-gap bars, sparklines."""

from __future__ import annotations

from itertools import pairwise

import networkx as nx

from chaingraph.align.coupling import CHAIN_ORDER
from chaingraph.align.gaps import DEMAND
from chaingraph.views.report_text import counted, escaped, label_in, percent, related_by, shortened

__all__ = ["coupling_heatmap", "demand_gap_bars", "share_colour", "sparkline"]

# Colour scale of the heatmap, light (no concept linked) to dark (every concept linked).
_SCALE = (
    (0.0, (247, 251, 255)),
    (0.25, (198, 219, 239)),
    (0.5, (107, 174, 214)),
    (0.75, (33, 113, 181)),
    (1.0, (8, 48, 107)),
)
_EMPTY_FILL = "#e4e4e4"  # a chain with no concepts: nothing to measure, so not on the scale
_HOT, _PLAIN = "#d95f02", "#8c96a0"


def share_colour(share: float) -> str:
    """The heatmap colour (``#rrggbb``) of a coupling share between 0 and 1."""
    share = min(max(float(share), 0.0), 1.0)
    for (low, start), (high, end) in pairwise(_SCALE):
        if share <= high:
            t = (share - low) / (high - low)
            return "#" + "".join(f"{round(a + (b - a) * t):02x}" for a, b in zip(start, end, strict=True))
    return "#08306b"


def coupling_heatmap(records: list[dict]) -> str:
    """The SVG heatmap of the coupling records: chain by chain, the share linked, with its scale."""
    cell_w, cell_h, left, head = 132, 80, 130, 58
    size = {r["source"]: r["concepts"] for r in records if r["source"] == r["target"]}
    width, height = left + 4 * cell_w + 250, head + 4 * cell_h + 10
    parts = [
        f'<svg id="coupling-heatmap" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Coupling of the four chains">',
        '<text x="8" y="24" font-size="12" fill="#5b6670">from ↓  to →</text>',
    ]
    for j, chain in enumerate(CHAIN_ORDER):
        x = left + j * cell_w + cell_w / 2
        parts.append(
            f'<text x="{x:g}" y="{head - 12}" text-anchor="middle" font-size="14" font-weight="600">{chain}</text>'
        )
    for i, chain in enumerate(CHAIN_ORDER):
        y = head + i * cell_h
        parts.append(
            f'<text x="{left - 10}" y="{y + 36}" text-anchor="end" font-size="14" font-weight="600">{chain}</text>'
        )
        parts.append(
            f'<text x="{left - 10}" y="{y + 54}" text-anchor="end" font-size="11" fill="#5b6670">'
            f"{counted(size.get(chain, 0), 'concept', 'concepts')}</text>"
        )
    for record in records:
        i, j = CHAIN_ORDER.index(record["source"]), CHAIN_ORDER.index(record["target"])
        x, y, share = left + j * cell_w, head + i * cell_h, record["share"]
        empty = not record["concepts"] or not size.get(record["target"])
        fill = _EMPTY_FILL if empty else share_colour(share)
        ink = "#ffffff" if not empty and share > 0.55 else "#1d2733"
        tip = f"{record['source']} → {record['target']}: {record['linked']} of {record['concepts']} linked"
        parts.append(
            f'<g class="cell" data-source="{record["source"]}" data-target="{record["target"]}" '
            f'data-share="{share}" data-mass="{record["mass"]}"><title>{escaped(tip)}</title>'
            f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="{fill}"/>'
        )
        cx = x + (cell_w - 2) / 2
        if empty:  # say which side has nothing: the row's chain, or the column's
            lines = ["no concepts"] if not record["concepts"] else ["no concepts", f"in {record['target']}"]
            for n, line in enumerate(lines):
                parts.append(
                    f'<text x="{cx:g}" y="{y + 40 + 16 * n}" text-anchor="middle" font-size="12" fill="#6b747c">'
                    f"{line}</text>"
                )
        else:
            parts.append(
                f'<text x="{cx:g}" y="{y + 30}" text-anchor="middle" font-size="20" font-weight="700" fill="{ink}">'
                f"{percent(share)}</text>"
                f'<text x="{cx:g}" y="{y + 50}" text-anchor="middle" font-size="11" fill="{ink}">'
                f"{record['linked']} of {record['concepts']}</text>"
                f'<text x="{cx:g}" y="{y + 66}" text-anchor="middle" font-size="11" fill="{ink}">'
                f"mass {record['mass']:.1f}</text>"
            )
        parts.append("</g>")
    lx = left + 4 * cell_w + 30
    parts.append(
        '<defs><linearGradient id="share-scale" x1="0" y1="1" x2="0" y2="0">'
        + "".join(f'<stop offset="{at:g}" stop-color="{share_colour(at)}"/>' for at, _ in _SCALE)
        + "</linearGradient></defs>"
        f'<text x="{lx}" y="{head - 12}" font-size="12" font-weight="600">share linked</text>'
        f'<rect x="{lx}" y="{head}" width="22" height="{3 * cell_h}" fill="url(#share-scale)" stroke="#c0c8d0"/>'
    )
    for at in (0.0, 0.25, 0.5, 0.75, 1.0):
        ty = head + 3 * cell_h * (1 - at)
        parts.append(f'<text x="{lx + 30}" y="{ty + 4:g}" font-size="11">{at * 100:.0f}%</text>')
    ey = head + 3 * cell_h + 20
    parts.append(
        f'<rect x="{lx}" y="{ey}" width="22" height="16" fill="{_EMPTY_FILL}"/>'
        f'<text x="{lx + 30}" y="{ey + 12}" font-size="11">a chain with no concepts</text></svg>'
    )
    return "".join(parts)


def demand_gap_bars(graph: nx.DiGraph, gaps: list[dict], lang: str) -> str:
    """The SVG bar chart of demand gaps: how many occupations need each, hot technologies marked."""
    left, bar_w, row = 330, 380, 24
    most = max((g["demanded_by"] for g in gaps), default=1)
    height = 34 + row * len(gaps)
    parts = [
        f'<svg id="demand-gaps" width="{left + bar_w + 250}" height="{height}" '
        'role="img" aria-label="Top demand gaps">',
        f'<rect x="{left}" y="6" width="12" height="12" fill="{_HOT}"/>'
        f'<text x="{left + 18}" y="16" font-size="12">hot or in-demand technology (O*NET)</text>'
        f'<rect x="{left + 260}" y="6" width="12" height="12" fill="{_PLAIN}"/>'
        f'<text x="{left + 278}" y="16" font-size="12">other</text>',
    ]
    for n, gap in enumerate(gaps):
        y = 30 + n * row
        colour = _HOT if gap["hot"] or gap["in_demand"] else _PLAIN
        width = max(2.0, bar_w * gap["demanded_by"] / most)
        name = label_in(graph, gap["concept"], lang)
        demanders = ", ".join(label_in(graph, d, lang) for d in related_by(graph, gap["concept"], DEMAND))
        flags = "".join(f" · {f}" for f, on in (("hot", gap["hot"]), ("in demand", gap["in_demand"])) if on)
        parts.append(
            f'<g class="bar"><title>{escaped(name)} ({escaped(gap["cls"])}), needed by: {escaped(demanders)}</title>'
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-size="12">{escaped(shortened(name, 48))}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{width:.1f}" height="{row - 7}" fill="{colour}"/>'
            f'<text x="{left + width + 6:.1f}" y="{y + 15}" font-size="11" fill="#3b4650">'
            f"needed by {gap['demanded_by']} · {gap['documents']} doc{'s' if gap['documents'] != 1 else ''}"
            f"{flags}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def sparkline(shares: list[float | None]) -> str:
    """A small line of shares over periods; ``None`` (nothing to measure) leaves a gap."""
    width, height = 120, 30
    step = (width - 10) / max(len(shares) - 1, 1)
    points = [(5 + i * step, height - 4 - v * (height - 8)) for i, v in enumerate(shares) if v is not None]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#2171b5"/>' for x, y in points)
    path = f'<polyline points="{line}" fill="none" stroke="#2171b5" stroke-width="1.5"/>' if len(points) > 1 else ""
    return (
        f'<svg class="spark" width="{width}" height="{height}">'
        f'<line x1="0" y1="{height - 4}" x2="{width}" y2="{height - 4}" stroke="#d8dee4"/>{path}{dots}</svg>'
    )
