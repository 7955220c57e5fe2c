"""How long a graph view takes to make in Python and to draw in headless Chromium.

Builds synthetic concept graphs shaped like the real one (six classes over the four chains, typed
relations, hubs by preferential attachment, a sentence and a document behind every relation),
writes each view with :func:`chaingraph.views.graph_view.graph_view`, opens it in headless
Chromium (no network) and reads back what the page recorded when vis-network first drew.

    python bench/view_render.py                 # 2,000 and 20,000 concepts, 3 loads each
    python bench/view_render.py --nodes 5000 --repeat 1 --keep /tmp/views

Figures: ``make`` is selection + layout + page in Python; ``draw`` is ``performance.now()`` at
vis-network's first ``afterDrawing`` (navigation start to a drawn canvas); ``ready`` is the wall
time from navigation until the page has published its state. The browser driver is the one the
tests use (``tests/test_view.py``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np

from chaingraph.rdf.namespaces import CHAIN_OF_CLASS
from chaingraph.views.graph_view import graph_view

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_view import HeadlessChromium, find_chromium  # noqa: E402  (the tests' browser driver)

# Share of each class among concepts, roughly as in the demo corpus.
CLASS_SHARE = {"Skill": 0.45, "Technology": 0.2, "Occupation": 0.15, "Programme": 0.1, "Course": 0.05, "Industry": 0.05}
# Predicate by (subject class, object class), as the relation extractor types them.
PREDICATE = {
    ("Programme", "Skill"): "teaches", ("Course", "Skill"): "teaches", ("Programme", "Occupation"): "preparesFor",
    ("Programme", "Technology"): "covers", ("Course", "Technology"): "covers", ("Occupation", "Skill"): "requires",
    ("Industry", "Skill"): "requires", ("Occupation", "Industry"): "employedIn", ("Occupation", "Technology"): "uses",
    ("Industry", "Technology"): "uses", ("Technology", "Industry"): "drives",
}  # fmt: skip


def synthetic_graph(n: int, *, per_node: int = 3, seed: int = 1) -> tuple[nx.DiGraph, dict]:
    """A concept graph of ``n`` concepts and about ``per_node * n`` relations, with one sentence each."""
    rng = np.random.default_rng(seed)
    classes = rng.choice(list(CLASS_SHARE), size=n, p=list(CLASS_SHARE.values()))
    graph = nx.DiGraph(documents=n // 4)
    for i, cls in enumerate(classes):
        graph.add_node(
            f"ex:{i}", cls=str(cls), chain=CHAIN_OF_CLASS[str(cls)], label=f"{cls.lower()} {i}",
            labels={"en": f"{cls.lower()} {i}"}, scheme="ex", code=str(i),
            mentions=int(rng.integers(1, 50)), documents=int(rng.integers(1, 20)), hot=False, in_demand=False,
        )  # fmt: skip
    ends: list[int] = [0, 1]  # every endpoint once per relation: picking from it favours hubs
    evidence = {}
    for i in range(2, n):
        for j in {int(ends[k]) for k in rng.integers(0, len(ends), size=per_node)}:
            s, o = (i, j) if (classes[i], classes[j]) in PREDICATE else (j, i)
            docs, sentences = int(rng.integers(1, 6)), int(rng.integers(1, 12))
            weight = round(docs + float(np.log2(1 + sentences)), 3)
            predicate = PREDICATE.get((str(classes[s]), str(classes[o])), "relatedTo")
            graph.add_edge(f"ex:{s}", f"ex:{o}", predicate=predicate, documents=docs, sentences=sentences,
                           evidence=weight, weight=weight)  # fmt: skip
            evidence[(f"ex:{s}", f"ex:{o}")] = [
                {"sentence": f"Graduates of {s} practise {o} every day, says the standard.",
                 "document": f"Occupational standard {s % 500}", "path": f"standards/{s % 500}.pdf"}
            ]  # fmt: skip
            ends += [i, j]
    return graph, evidence


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--repeat", type=int, default=3, help="Page loads per size (the median is shown).")
    parser.add_argument("--keep", type=Path, help="Folder to keep the pages in.")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="chaingraph-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    browser = HeadlessChromium(find_chromium())
    print(f"{'concepts':>9} {'relations':>9} {'drawn':>13} {'make s':>7} {'page MB':>8} {'draw s':>7} {'ready s':>8}")
    try:
        for n in args.nodes:
            graph, evidence = synthetic_graph(n)
            start = time.perf_counter()
            view = graph_view(graph, max_nodes=n, evidence=evidence, title=f"{n:,} synthetic concepts")
            page = view.write(folder / f"view-{n}.html")
            made = time.perf_counter() - start
            draws, readies, drawn = [], [], ""
            for _ in range(args.repeat):
                result = browser.load(page.resolve().as_uri(), timeout=120)
                state = result["state"]
                if state is None:
                    raise SystemExit(f"{page}: the page did not draw within 120 s")
                draws.append(state["drawMs"] / 1000)
                readies.append(result["wall"])
                drawn = f"{state['nodes']:,}/{state['edges']:,}"
            print(
                f"{n:>9,} {graph.number_of_edges():>9,} {drawn:>13} {made:>7.2f} "
                f"{page.stat().st_size / 1e6:>8.1f} {statistics.median(draws):>7.2f} {statistics.median(readies):>8.2f}"
            )
    finally:
        browser.close()
    print(f"pages in {folder}")


if __name__ == "__main__":
    main()
