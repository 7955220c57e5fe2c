"""One command for the build benchmarks: synthetic corpus, extraction, store load, build, rebuild, align.

Generates a seeded synthetic corpus of ``--words`` words (:mod:`synthetic_corpus`: real sentence
frames from ``corpora/``, real vocabulary labels, about 1,000 words a document) and measures:

* **extraction** words/s with 1 and 2 local workers (each profile of ``--profiles``): pipeline,
  RDF quads and N-Quads serialisation, as a build runs them, on a sample of ``--sample-words``;
* **store load** triples/s of the build's own loading path (a new store generation, N-Quads
  streamed into the bulk loader, published) against pyoxigraph's ``bulk_load`` of the same file
  into a fresh on-disk store, each timed twice in alternating order, best kept;
* **build**: the whole ``chaingraph.api.build`` with ``--workers``, run as a child process: wall
  time, and peak memory of its process tree (sum of PSS from ``/proc``, sampled every 0.2 s; the
  peak RSS of the largest process from ``getrusage(RUSAGE_CHILDREN)`` too);
* **rebuild unchanged**: the same build again. It normally trusts the build record and shows one
  phase, ``compare``; when chaingraph's own code changed while the build ran (someone editing the
  pipeline), it compares the corpus with the store in full, and shows a ``vocabulary`` phase too;
* **rebuild changed**: again after one document in 100 changed (paragraphs reordered) and one in
  100 removed: its phases show what an incremental build costs (the relations graph is updated
  from the changed documents only);
* **align**: ``concept_graph`` and each ``chaingraph.align`` step on the built store.

Then it prints the figures against the targets (2 cores): a 10 M-word build with 2 workers in
under 4 minutes and 4 GiB, 2 workers extracting at least 1.7 times as fast as one, an unchanged
rebuild under 5 % of the build, and a store load at least 80 % of pyoxigraph's bulk load. Smaller
runs project the build time to 10 M words (marked "projected"): the phases that grow with the
corpus (extraction and load, relations) scale linearly, the fixed ones (interpreter, pipeline and
vocabulary loading) are counted once.

    python bench/run_all.py [--words 10000000] [--workers 2] [--profiles fast,accurate]
                            [--sample-words 1000000] [--keep DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

TARGET_WORDS = 10_000_000
TARGETS = {
    "build_seconds_10m": 240.0,
    "peak_memory_gib": 4.0,
    "extraction_speedup": 1.7,
    "rebuild_share": 0.05,
    "load_ratio": 0.8,
}


# ---------------------------------------------------------------------- memory of a process tree


def _children_of() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stream:
                fields = stream.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return children


def _tree(root: int) -> list[int]:
    children = _children_of()
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _memory_kib(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process in KiB; PSS falls back to RSS where smaps_rollup is missing."""
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as stream:
            for line in stream:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1])
        return pss or rss, rss
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as stream:
            rss = int(stream.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
        return rss, rss
    except OSError:
        return 0, 0


class TreeMemory:
    """Samples the memory of a process and its descendants until stopped; keeps the peaks."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid, self.interval = pid, interval
        self.peak_pss = self.peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            pss = rss = 0
            for pid in _tree(self.pid):
                p, r = _memory_kib(pid)
                pss, rss = pss + p, rss + r
            self.peak_pss, self.peak_rss = max(self.peak_pss, pss), max(self.peak_rss, rss)
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


_BUILD = """
import json, sys, time
from chaingraph import api
started = time.perf_counter()
report = api.build(sys.argv[1], sys.argv[2], workers=int(sys.argv[3]), profile=sys.argv[4])
print(json.dumps({"seconds": time.perf_counter() - started, "extracted": report.extracted,
                  "unchanged": report.unchanged, "documents": report.documents,
                  "quads": report.quads_loaded, "words": report.words_extracted,
                  "errors": len(report.errors), "timings": report.timings}))
"""


def measured_build(script: str, corpus: Path, *args: object) -> tuple[dict, float, TreeMemory]:
    """Run a build ``script`` (``python -c``, given the corpus and ``args``) in a child process while
    sampling the memory of its tree; (the JSON its last line printed, wall seconds, the memory)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(corpus), *map(str, args)], stdout=subprocess.PIPE, text=True
    )
    memory = TreeMemory(process.pid)
    out, _ = process.communicate()
    memory.stop()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"the build of {corpus} failed (exit {process.returncode})")
    return json.loads(out.strip().splitlines()[-1]), wall, memory


def run_build(corpus: Path, store: Path, workers: int, profile: str) -> dict:
    """One build in a child process: its own timing, the wall time and the memory of its tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result, wall, memory = measured_build(_BUILD, corpus, store, workers, profile)
    result.update(
        wall_seconds=wall,
        peak_pss_gib=memory.peak_pss / 2**20,
        peak_rss_sum_gib=memory.peak_rss / 2**20,
        largest_process_rss_gib=max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 2**20,
    )
    return result


def change_documents(corpus: Path, every: int = 100) -> tuple[int, int]:
    """Reorder the paragraphs of one document in ``every`` and remove another; returns the counts."""
    import csv

    manifest = corpus / "manifest.csv"
    with manifest.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    kept, changed = [], 0
    for index, row in enumerate(rows):
        path = corpus / row["path"]
        if index % every == every - 1:
            path.unlink()
            continue
        if index % every == every // 2:
            paragraphs = path.read_text(encoding="utf-8").split("\n\n")
            path.write_text("\n\n".join(reversed(paragraphs)), encoding="utf-8")
            changed += 1
        kept.append(row)
    with manifest.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, list(rows[0]))
        writer.writeheader()
        writer.writerows(kept)
    return changed, len(rows) - len(kept)


# ---------------------------------------------------------------------- extraction and load


def sample_documents(corpus: Path, words: int):
    from chaingraph.corpus import read_corpus

    documents, count = [], 0
    for document in read_corpus(corpus).documents:
        documents.append(document)
        count += len(document.text.split())
        if count >= words:
            break
    return documents


def measure_extraction(documents, workers: int, profile: str, nquads_out: Path | None = None) -> dict:
    """Words/s of extraction (pipeline + quads + N-Quads) with ``workers`` local processes."""
    from chaingraph.builder import pipeline_language
    from chaingraph.executors import make_batches, run_batches
    from chaingraph.invalidation import pipeline_key

    by_lang: dict[str, list] = {}
    for document in documents:
        by_lang.setdefault(pipeline_language(document), []).append(document)
    batches = [
        batch
        for lang, group in sorted(by_lang.items())
        for batch in make_batches(group, lang, profile, pipeline_key(lang, profile))
    ]
    langs = [(lang, profile, "") for lang in by_lang]
    words = quads = 0
    sink = nquads_out.open("wb") if nquads_out else None
    with run_batches(workers=workers, langs=langs) as run:
        if workers <= 1:  # load the pipelines outside the timing, as forked workers have them
            from chaingraph.executors import load_pipeline_for

            for lang, prof, _ in langs:
                load_pipeline_for(lang, prof)
        started = time.perf_counter()
        for result in run(batches):
            words += result.words
            quads += result.quads
            if sink:
                sink.write(result.nquads)
        seconds = time.perf_counter() - started
    if sink:
        sink.close()
    return {
        "workers": workers,
        "profile": profile,
        "words": words,
        "quads": quads,
        "seconds": seconds,
        "words_per_s": words / seconds,
    }


def measure_load(nquads: Path, quads: int, scratch: Path, rounds: int = 2) -> dict:
    """Triples/s of the build's loading path against pyoxigraph's bulk_load of the same N-Quads.

    Each is timed ``rounds`` times in alternating order (ours, theirs, theirs, ours, ...) and
    its best time kept, so that neither gains from going second (a warm page cache, the other's
    compactions finished).
    """
    import pyoxigraph as ox

    from chaingraph.builder import _load_nquads
    from chaingraph.store import EmbeddedStore

    def chunks():
        with nquads.open("rb") as stream:
            while True:
                block = stream.read(8 << 20)
                if not block:
                    return
                yield block

    def ours() -> float:
        folder = scratch / "load-ours"
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        store = EmbeddedStore(folder)
        with store.transaction() as db:
            _load_nquads(db, chunks())
        seconds = time.perf_counter() - started
        del store
        shutil.rmtree(folder, ignore_errors=True)
        return seconds

    def theirs() -> float:
        folder = scratch / "load-pyoxigraph"
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        db = ox.Store(str(folder))
        db.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
        db.flush()
        del db
        seconds = time.perf_counter() - started
        shutil.rmtree(folder, ignore_errors=True)
        return seconds

    times: dict[str, list[float]] = {"ours": [], "theirs": []}
    for round_ in range(rounds):
        order = (("ours", ours), ("theirs", theirs))
        for name, load in order if round_ % 2 == 0 else reversed(order):
            times[name].append(load())
    best_ours, best_theirs = min(times["ours"]), min(times["theirs"])
    return {
        "quads": quads,
        "ours_per_s": quads / best_ours,
        "pyoxigraph_per_s": quads / best_theirs,
        "ratio": best_theirs / best_ours,
        "rounds": rounds,
        "ours_seconds": [round(t, 1) for t in times["ours"]],
        "pyoxigraph_seconds": [round(t, 1) for t in times["theirs"]],
    }


def measure_align(store: Path) -> dict:
    """Seconds of concept_graph and each alignment step on the built store."""
    from chaingraph.align.coupling import coupling
    from chaingraph.align.gaps import demand_gaps, supply_gaps
    from chaingraph.align.projection import concept_graph
    from chaingraph.align.weak_links import islands, weak_links
    from chaingraph.store import open_store

    timings = {}
    started = time.perf_counter()
    graph = concept_graph(open_store(store))
    timings["concept_graph"] = time.perf_counter() - started
    steps = {
        "coupling": lambda: coupling(graph),
        "weak_links": lambda: weak_links(graph),
        "islands": lambda: islands(graph),
        "demand_gaps": lambda: demand_gaps(graph),
        "supply_gaps": lambda: supply_gaps(graph),
    }
    try:
        from chaingraph.align.suggest import suggest_links

        steps["suggest_links"] = lambda: suggest_links(graph, "Programme", "Occupation", 10)
    except ImportError:
        pass
    for name, step in steps.items():
        started = time.perf_counter()
        step()
        timings[name] = time.perf_counter() - started
    timings["total"] = sum(timings.values())
    timings["nodes"], timings["edges"] = graph.number_of_nodes(), graph.number_of_edges()
    return timings


# ---------------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def render(results: dict) -> str:
    lines = []
    corpus = results["corpus"]
    lines.append(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"corpus: {corpus['words']:,} words in {corpus['documents']:,} documents (seed {corpus['seed']}), "
        f"generated in {corpus['seconds']:.1f} s"
    )
    lines.append("")
    lines.append(f"{'measure':<46} {'value':>16}   {'target':>14}   verdict")
    lines.append("-" * 90)

    def row(name: str, value: str, target: str = "", ok: bool | None = None) -> None:
        lines.append(f"{name:<46} {value:>16}   {target:>14}   {'' if ok is None else verdict(ok)}")

    for profile, by_workers in results["extraction"].items():
        for workers, measured in sorted(by_workers.items()):
            row(f"extraction {profile}, {workers} worker(s) (words/s)", f"{measured['words_per_s']:,.0f}")
        if 1 in by_workers and 2 in by_workers:
            speedup = by_workers[2]["words_per_s"] / by_workers[1]["words_per_s"]
            target = TARGETS["extraction_speedup"]
            row(f"  speed-up {profile}, 2 workers / 1", f"{speedup:.2f}x", f">= {target}x", speedup >= target)
    load = results["load"]
    row("store load, our build path (quads/s, best of each)", f"{load['ours_per_s']:,.0f}")
    row("store load, pyoxigraph bulk_load (quads/s, best)", f"{load['pyoxigraph_per_s']:,.0f}")
    row("  load times ours / pyoxigraph (s)", f"{load['ours_seconds']} / {load['pyoxigraph_seconds']}")
    row(
        "  ratio ours / pyoxigraph",
        f"{load['ratio']:.0%}",
        f">= {TARGETS['load_ratio']:.0%}",
        load["ratio"] >= TARGETS["load_ratio"],
    )
    build = results["build"]
    words = corpus["words"]
    row(f"build, {build['workers']} workers (s)", f"{build['wall_seconds']:.1f}")
    # Loading the pipeline and the vocabularies costs the same at any size: only the rest scales.
    timings = build.get("timings", {})
    scaling = timings.get("extract_and_load", 0.0) + timings.get("relations", 0.0)
    scaling = scaling or build["wall_seconds"]
    projected = build["wall_seconds"] - scaling + scaling * TARGET_WORDS / words
    label = "  for 10 M words (s)" if words >= TARGET_WORDS else "  for 10 M words, projected (s)"
    row(label, f"{projected:.0f}", f"< {TARGETS['build_seconds_10m']:.0f}", projected < TARGETS["build_seconds_10m"])
    row("  build words/s (end to end)", f"{words / build['wall_seconds']:,.0f}")
    row("  quads written", f"{build['quads']:,}")
    for phase, seconds in build.get("timings", {}).items():
        row(f"  phase {phase} (s)", f"{seconds:.1f}")
    row(
        "  peak memory, process tree PSS (GiB)",
        f"{build['peak_pss_gib']:.2f}",
        f"< {TARGETS['peak_memory_gib']:.0f}",
        build["peak_pss_gib"] < TARGETS["peak_memory_gib"],
    )
    row("  peak memory, sum of RSS (GiB)", f"{build['peak_rss_sum_gib']:.2f}")
    row("  largest process RSS (GiB)", f"{build['largest_process_rss_gib']:.2f}")
    rebuild = results["rebuild"]
    share = rebuild["wall_seconds"] / build["wall_seconds"]
    row("rebuild unchanged (s)", f"{rebuild['wall_seconds']:.1f}")
    if rebuild.get("extracted"):  # the code or the vocabularies changed while the benchmark ran
        row("  documents re-extracted (should be 0)", f"{rebuild['extracted']:,}")
    row("  share of the build", f"{share:.1%}", f"< {TARGETS['rebuild_share']:.0%}", share < TARGETS["rebuild_share"])
    for phase, seconds in rebuild.get("timings", {}).items():  # only "compare" when the build record held
        row(f"  phase {phase} (s)", f"{seconds:.2f}")
    changed = results.get("rebuild_changed")
    if changed:
        row(
            f"rebuild, {changed['extracted']} re-extracted, {changed['removed']} removed (s)",
            f"{changed['wall_seconds']:.1f}",
        )
        for phase, seconds in changed.get("timings", {}).items():
            row(f"  phase {phase} (s)", f"{seconds:.1f}")
    align = results["align"]
    row(f"align total ({align['nodes']:,} concepts, {align['edges']:,} edges) (s)", f"{align['total']:.1f}")
    for name, seconds in align.items():
        if name not in ("total", "nodes", "edges"):
            row(f"  {name} (s)", f"{seconds:.2f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=TARGET_WORDS, help="corpus size in words")
    parser.add_argument("--workers", type=int, default=2, help="workers of the end-to-end build")
    parser.add_argument("--profiles", default="fast", help="profiles to measure extraction with, comma-separated")
    parser.add_argument("--sample-words", type=int, default=1_000_000, help="words of the extraction sample")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--zh-share", type=float, default=0.05, help="share of Chinese documents")
    parser.add_argument("--keep", type=Path, help="keep the corpus and stores in this folder")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args()

    from synthetic_corpus import write_corpus

    from chaingraph.nlp.pipeline import PROFILES

    work = args.keep or Path(tempfile.mkdtemp(prefix="chaingraph-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    corpus, store = work / "corpus", work / "store"
    shutil.rmtree(store, ignore_errors=True)
    results: dict = {}
    try:
        started = time.perf_counter()
        if corpus.exists():
            shutil.rmtree(corpus)
        summary = write_corpus(corpus, args.words, seed=args.seed, zh_share=args.zh_share)
        summary["seconds"] = time.perf_counter() - started
        results["corpus"] = summary
        (work / "corpus-summary.json").write_text(json.dumps(summary), encoding="utf-8")

        documents = sample_documents(corpus, min(args.sample_words, args.words))
        nquads = work / "sample.nq"
        results["extraction"] = {}
        for profile in [p for p in args.profiles.split(",") if p]:
            if profile not in PROFILES:
                raise SystemExit(f"unknown profile {profile!r}: choose from {', '.join(PROFILES)}")
            results["extraction"][profile] = {}
            for workers in (1, 2):
                keep = nquads if (profile, workers) == ("fast", 1) else None
                results["extraction"][profile][workers] = measure_extraction(documents, workers, profile, keep)
        quads = results["extraction"].get("fast", {}).get(1, {}).get("quads")
        if quads is None:  # fast not measured: produce the N-Quads for the load comparison anyway
            quads = measure_extraction(documents, 1, "fast", nquads)["quads"]
        results["load"] = measure_load(nquads, quads, work)
        nquads.unlink(missing_ok=True)

        build = run_build(corpus, store, args.workers, "fast")
        build["workers"] = args.workers
        results["build"] = build
        results["rebuild"] = run_build(corpus, store, args.workers, "fast")
        changed, removed = change_documents(corpus)
        results["rebuild_changed"] = run_build(corpus, store, args.workers, "fast")
        results["rebuild_changed"].update(changed=changed, removed=removed)
        results["align"] = measure_align(store)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2, default=str))
    else:
        print(render(results))


if __name__ == "__main__":
    main()
