"""Alignment at scale: time and peak memory of every ``chaingraph.align`` step on a synthetic graph.

Builds a seeded synthetic concept graph of the four chains, shaped like a large corpus's
projection (:func:`chaingraph.align.projection.concept_graph`), directly as the ``nx.DiGraph``
the align functions take (no store), then runs and times each alignment step on it:

* ``coupling`` (the 4×4 records) and ``unit_coupling`` per Programme, Occupation and Industry;
* ``weak_links``: every cross-chain relation ranked by fragility (bridge cuts included);
* ``islands``, ``demand_gaps`` and ``supply_gaps``;
* ``suggest_links`` Programme → Occupation, top 10 for every programme (skipped, and said so,
  when :mod:`chaingraph.align.suggest` cannot be imported).

Shape of the graph (at 1 M edges; node counts scale with the square root of ``--edges``):
about 2,000 programmes, 500 courses, 3,000 occupations, 14,000 skills, 1,500 industries and
9,000 technologies. Every concept has a heavy-tailed popularity (a power law of a random rank),
so a few hub skills ("communication", "teamwork", ...) are linked to thousands of concepts and
most concepts to a handful; some concepts have no relation at all. Relations are typed by the
classes they join (``teaches``, ``preparesFor``, ``covers``, ``requires``, ``employedIn``,
``uses``, ``drives``) with a share of ``relatedTo``; their document and sentence counts are
skewed (most relations rest on one document) and ``weight = documents + log2(1 + sentences)``.
Some technologies are hot or in demand. Small one-chain islands float apart from the rest, and
small one-chain clusters hang on the rest by a single cross-chain relation (bridges).

Peak memory is the process's resident high-water mark (``resource.getrusage`` ``ru_maxrss``).
Where Linux allows it (``/proc/self/clear_refs``), the mark is reset before graph construction
and before each step, so every row shows that step's own peak (graph included); otherwise the
column is the running peak of the process. Each step's result is dropped before the next one,
as when each runs in its own ``chaingraph align`` command.

    python bench/align.py [--edges 1000000] [--seed 7]
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from chaingraph.rdf.namespaces import CHAIN_OF_CLASS

#: Concepts per class at 1 M edges.
BASE_NODES: dict[str, int] = {
    "Programme": 2_000,
    "Course": 500,
    "Occupation": 3_000,
    "Skill": 14_000,
    "Industry": 1_500,
    "Technology": 9_000,
}

#: Popularity exponent per class: how heavy the tail of its degree distribution is.
SKEW: dict[str, float] = {
    "Programme": 0.5,
    "Course": 0.5,
    "Occupation": 0.6,
    "Skill": 0.95,
    "Industry": 0.7,
    "Technology": 0.9,
}

#: (source class, target class, predicate, share of the edges).
EDGE_MIX: tuple[tuple[str, str, str, float], ...] = (
    ("Programme", "Skill", "teaches", 0.15),
    ("Course", "Skill", "teaches", 0.04),
    ("Programme", "Occupation", "preparesFor", 0.03),
    ("Course", "Occupation", "preparesFor", 0.005),
    ("Programme", "Technology", "covers", 0.06),
    ("Course", "Technology", "covers", 0.015),
    ("Occupation", "Skill", "requires", 0.25),
    ("Industry", "Skill", "requires", 0.06),
    ("Occupation", "Industry", "employedIn", 0.03),
    ("Occupation", "Technology", "uses", 0.12),
    ("Industry", "Technology", "uses", 0.04),
    ("Technology", "Industry", "drives", 0.03),
    ("Skill", "Skill", "relatedTo", 0.07),
    ("Skill", "Technology", "relatedTo", 0.04),
    ("Technology", "Technology", "relatedTo", 0.03),
    ("Occupation", "Occupation", "relatedTo", 0.01),
    ("Programme", "Course", "relatedTo", 0.01),
    ("Industry", "Industry", "relatedTo", 0.005),
    ("Programme", "Programme", "relatedTo", 0.005),
)

#: Labels of the most popular skills (the hubs).
HUB_SKILLS = (
    "communication",
    "teamwork",
    "problem solving",
    "use digital tools",
    "critical thinking",
    "work safely",
    "manage time",
    "customer service",
    "English",
    "attention to detail",
)

_IRI_BASE: dict[str, str] = {
    "Programme": "https://w3id.org/chaingraph/id/cip/",
    "Course": "https://w3id.org/chaingraph/id/course/",
    "Occupation": "https://w3id.org/chaingraph/id/onet/",
    "Skill": "http://data.europa.eu/esco/skill/",
    "Industry": "https://w3id.org/chaingraph/id/gbt4754/",
    "Technology": "https://w3id.org/chaingraph/id/onet-tech/",
}
_SCHEME = {
    "Programme": "cip",
    "Course": "course",
    "Occupation": "onet",
    "Skill": "esco",
    "Industry": "gbt4754",
    "Technology": "onet-tech",
}


def _code(cls: str, index: int, rng: np.random.Generator) -> str:
    """A vocabulary-looking code for the ``index``-th concept of ``cls``."""
    if cls == "Programme":
        return f"{index // 100 + 1:02d}.{index % 100 * 97 % 10000:04d}"
    if cls == "Occupation":
        return f"{index // 1000 + 11}-{index % 1000 * 7 % 10000:04d}.{index % 10:02d}"
    if cls == "Skill":
        return "-".join(rng.bytes(n).hex() for n in (4, 2, 2, 2, 6))
    if cls == "Industry":
        return f"{chr(65 + index % 20)}{index:04d}"
    if cls == "Technology":
        return f"product-{index:05d}"
    return f"C{index:04d}"


def _add_concepts(
    graph: nx.DiGraph, cls: str, count: int, rng: np.random.Generator, *, tag: str = ""
) -> tuple[list[str], np.ndarray]:
    """Add ``count`` concepts of ``cls``; return their IRIs and popularity weights (summing to 1)."""
    rank = rng.permutation(count)
    popularity = (rank + 1.0) ** -SKEW[cls]
    popularity /= popularity.sum()
    iris = []
    for index in range(count):
        code = _code(cls, index, rng) + tag
        iri = _IRI_BASE[cls] + code
        hub = cls == "Skill" and rank[index] < len(HUB_SKILLS)
        label = HUB_SKILLS[rank[index]] if hub else f"{cls.lower()} {code}"
        hot = in_demand = False
        if cls == "Technology":  # popular technologies are likelier to be flagged
            chance = 0.02 + (0.25 if rank[index] < count * 0.05 else 0.0)
            hot = bool(rng.random() < chance)
            in_demand = bool(rng.random() < 2 * chance)
        documents = int(min(rng.zipf(1.8), 5_000))
        graph.add_node(
            iri,
            cls=cls,
            chain=CHAIN_OF_CLASS[cls],
            label=label,
            labels={"en": label},
            scheme=_SCHEME[cls],
            code=code,
            mentions=documents + int(rng.integers(0, 4 * documents + 1)),
            documents=documents,
            hot=hot,
            in_demand=in_demand,
        )
        iris.append(iri)
    return iris, popularity


def _sample_pairs(
    n_source: int, p_source: np.ndarray, n_target: int, p_target: np.ndarray, count: int, same: bool, rng
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` distinct (source, target) index pairs drawn by popularity (no self-loops if ``same``)."""
    count = min(count, n_source * n_target - (n_source if same else 0))
    found = np.empty(0, dtype=np.int64)
    draw = int(count * 1.2) + 16
    while True:
        s = rng.choice(n_source, size=draw, p=p_source)
        t = rng.choice(n_target, size=draw, p=p_target)
        keys = s.astype(np.int64) * n_target + t
        if same:
            keys = keys[s != t]
        found = np.unique(np.concatenate([found, keys]))
        if len(found) >= count:
            break
        draw *= 2  # hubs saturate: later draws hit more duplicates
    chosen = rng.choice(found, size=count, replace=False)
    return chosen // n_target, chosen % n_target


def _edge_attrs(count: int, rng: np.random.Generator) -> tuple[list[int], list[int], list[float]]:
    """Skewed evidence: most relations rest on one document and a sentence or two."""
    documents = np.minimum(rng.zipf(2.3, size=count), 2_000)
    sentences = documents + np.minimum(rng.zipf(1.9, size=count) - 1, 10_000)
    weight = np.round(documents + np.log2(1 + sentences), 6)
    return documents.tolist(), sentences.tolist(), weight.tolist()


def _small_cluster(
    graph: nx.DiGraph, classes: tuple[str, str], size: int, rng: np.random.Generator, tag: str
) -> list[str]:
    """A connected cluster of ``size`` new concepts of one chain (a random tree of relations)."""
    nodes: list[str] = []
    for i in range(size):
        cls = classes[0] if i == 0 else classes[1]
        iris, _ = _add_concepts(graph, cls, 1, rng, tag=f"{tag}-{i}")
        nodes.append(iris[0])
    for i in range(1, size):
        parent = nodes[int(rng.integers(0, i))]
        u, v = (parent, nodes[i]) if rng.random() < 0.5 or i == 1 else (nodes[i], parent)
        cu, cv = graph.nodes[u]["cls"], graph.nodes[v]["cls"]
        predicate = "requires" if (cu, cv) == ("Occupation", "Skill") else "relatedTo"
        graph.add_edge(u, v, predicate=predicate, sentences=1, documents=1, evidence=2.0, weight=2.0)
    return nodes


def build_graph(edges: int, seed: int) -> nx.DiGraph:
    """A seeded synthetic four-chain concept graph of about ``edges`` relations (see the module docstring)."""
    rng = np.random.default_rng(seed)
    scale = max(edges / 1_000_000, 0.0025) ** 0.5
    graph = nx.DiGraph(weighting="evidence", documents=max(int(40_000 * scale), 100))
    concepts: dict[str, tuple[list[str], np.ndarray]] = {}
    for cls, base in BASE_NODES.items():
        concepts[cls] = _add_concepts(graph, cls, max(int(base * scale), 12), rng)

    # Small structures first so that their edges count towards the total.
    cluster_kinds = [("Occupation", "Skill"), ("Programme", "Course"), ("Technology", "Technology"),
                     ("Industry", "Industry")]  # fmt: skip
    n_islands, n_peninsulas = max(int(60 * scale), 4), max(int(40 * scale), 4)
    for i in range(n_islands):
        _small_cluster(graph, cluster_kinds[i % 4], int(rng.integers(2, 9)), rng, f"island{i}")
    attach = {"Occupation": "Programme", "Programme": "Occupation", "Technology": "Occupation",
              "Industry": "Occupation"}  # fmt: skip
    for i in range(n_peninsulas):
        kind = cluster_kinds[i % 4]
        nodes = _small_cluster(graph, kind, int(rng.integers(2, 7)), rng, f"cape{i}")
        iris, popularity = concepts[attach[kind[0]]]
        anchor = iris[int(rng.choice(len(iris), p=popularity))]
        graph.add_edge(anchor, nodes[0], predicate="relatedTo", sentences=1, documents=1, evidence=2.0, weight=2.0)

    remaining = edges - graph.number_of_edges()
    batches = []
    for source_cls, target_cls, predicate, share in EDGE_MIX:
        (s_iris, s_pop), (t_iris, t_pop) = concepts[source_cls], concepts[target_cls]
        s, t = _sample_pairs(
            len(s_iris), s_pop, len(t_iris), t_pop, round(remaining * share), source_cls == target_cls, rng
        )
        batches.append((s_iris, t_iris, predicate, s.tolist(), t.tolist()))
    total = sum(len(b[3]) for b in batches)
    documents, sentences, weight = _edge_attrs(total, rng)
    order = rng.permutation(total).tolist()  # edges arrive in no particular order, as from a query
    flat: list[tuple[str, str, str]] = []
    for s_iris, t_iris, predicate, s, t in batches:
        flat.extend((s_iris[a], t_iris[b], predicate) for a, b in zip(s, t, strict=True))
    graph.add_edges_from(
        (
            flat[i][0],
            flat[i][1],
            {
                "predicate": flat[i][2],
                "sentences": sentences[i],
                "documents": documents[i],
                "evidence": weight[i],
                "weight": weight[i],
            },
        )
        for i in order
    )
    return graph


# --- measurement -------------------------------------------------------------------------------

_CLEAR_REFS = Path("/proc/self/clear_refs")


def _reset_peak() -> bool:
    """Reset the resident high-water mark, if the kernel allows it."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _rss_mib() -> float:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return float("nan")
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


Row = tuple[str, float, float, float, str]  # step, wall seconds, CPU seconds, peak MiB, records


def _measure(name: str, step: Callable[[], Any], rows: list[Row], resettable: bool) -> None:
    """Run ``step`` and append ``(name, wall s, CPU s, peak MiB, result size)`` to ``rows``.

    The result is dropped before the next step.
    """
    gc.collect()
    if resettable:
        _reset_peak()
    cpu, start = time.process_time(), time.perf_counter()
    result = step()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    size = f"{len(result):,}" if hasattr(result, "__len__") else ""
    rows.append((name, seconds, cpu, _peak_mib(), size))
    print(f"  {name:<40} {seconds:8.2f} s  (CPU {cpu:6.2f} s)  peak {rows[-1][3]:8.0f} MiB  {size}", flush=True)


def _suggest_step() -> tuple[Callable[[nx.DiGraph], Any] | None, str]:
    try:
        from chaingraph.align.suggest import suggest_links
    except ImportError as error:
        return None, f"skipped: chaingraph.align.suggest not importable ({error})"
    return suggest_links, ""


def main() -> None:
    """Build the graph, run every alignment step, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", type=int, default=1_000_000, help="relations in the synthetic graph")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    from chaingraph.align.coupling import coupling, unit_coupling
    from chaingraph.align.gaps import demand_gaps, supply_gaps
    from chaingraph.align.weak_links import islands, weak_links

    print(
        f"machine: {_cpu_model()}, {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}, networkx {nx.__version__}, numpy {np.__version__}"
    )
    resettable = _reset_peak()
    build_cpu, start = time.process_time(), time.perf_counter()
    graph = build_graph(args.edges, args.seed)
    build_seconds, build_cpu = time.perf_counter() - start, time.process_time() - build_cpu
    build_peak = _peak_mib()
    gc.collect()
    by_class: dict[str, int] = {}
    for _, cls in graph.nodes(data="cls"):
        by_class[cls] = by_class.get(cls, 0) + 1
    degrees = sorted((d for _, d in graph.degree()), reverse=True)
    print(
        f"graph: {graph.number_of_nodes():,} concepts ("
        + ", ".join(f"{c} {n:,}" for c, n in by_class.items())
        + f"), {graph.number_of_edges():,} relations; degree max {degrees[0]:,}, "
        f"median {degrees[len(degrees) // 2]}, zero-degree {sum(1 for d in degrees if d == 0):,}"
    )
    print(f"built in {build_seconds:.1f} s, peak {build_peak:.0f} MiB, resident after build {_rss_mib():.0f} MiB")
    print("alignment:" + ("" if resettable else " (peak column is the running process peak)"), flush=True)

    rows: list[Row] = []
    _measure("coupling", lambda: coupling(graph), rows, resettable)
    for cls in ("Programme", "Occupation", "Industry"):
        _measure(f"unit_coupling {cls}", lambda cls=cls: unit_coupling(graph, cls), rows, resettable)
    _measure("weak_links (all cross-chain)", lambda: weak_links(graph), rows, resettable)
    _measure("islands", lambda: islands(graph), rows, resettable)
    _measure("demand_gaps", lambda: demand_gaps(graph), rows, resettable)
    _measure("supply_gaps", lambda: supply_gaps(graph), rows, resettable)
    suggest_links, skipped = _suggest_step()
    if suggest_links is not None:
        _measure(
            "suggest_links Programme→Occupation k=10",
            lambda: suggest_links(graph, "Programme", "Occupation", 10),
            rows,
            resettable,
        )

    align_seconds, align_cpu = sum(r[1] for r in rows), sum(r[2] for r in rows)
    align_peak = max(r[3] for r in rows)
    whole_peak = max(build_peak, align_peak)
    rule = "-" * 88
    print(f"\n{'step':<42} {'wall s':>8} {'CPU s':>8} {'peak RSS MiB':>13} {'records':>12}\n{rule}")
    print(f"{'graph construction (not alignment)':<42} {build_seconds:8.2f} {build_cpu:8.2f} {build_peak:13.0f}")
    for name, seconds, cpu, peak, size in rows:
        print(f"{name:<42} {seconds:8.2f} {cpu:8.2f} {peak:13.0f} {size:>12}")
    if skipped:
        print(f"{'suggest_links Programme→Occupation k=10':<42} {skipped}")
    print(rule)
    print(f"{'alignment total':<42} {align_seconds:8.2f} {align_cpu:8.2f} {align_peak:13.0f}")
    whole = build_seconds + align_seconds
    print(f"{'whole run (construction + alignment)':<42} {whole:8.2f} {build_cpu + align_cpu:8.2f} {whole_peak:13.0f}")
    verdict = "met" if align_seconds < 60 and whole_peak < 4 * 1024 else "NOT met"
    budget = "alignment < 60 s wall, peak RSS < 4096 MiB"
    print(f"\nbudget ({budget}): {verdict} — {align_seconds:.1f} s, {whole_peak:.0f} MiB")
    try:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "unknown"
    print(f"load average during the run (1, 5, 15 min): {load} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
