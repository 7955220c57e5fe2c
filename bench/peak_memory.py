"""Peak memory of a build: one very long document, and a large corpus.

Two builds, each run as a child process (``chaingraph.api.build``) while the memory of its process
tree is sampled every 0.2 s (:class:`run_all.TreeMemory`: the sum of PSS over the build process and
its children, from ``/proc/PID/smaps_rollup``, and the sum of RSS beside it):

* **document**: one document of ``--megabytes`` MB (default 50) made of real sentence frames with
  vocabulary labels (:mod:`synthetic_corpus`), in paragraphs, or with ``--one-line`` as a single
  line (no line break at all); built with ``max_document_mb`` raised above its size;
* **corpus**: a seeded synthetic corpus of ``--words`` words (default 10 M, as ``run_all.py``) built
  with ``--workers`` workers.

Each reports wall time, documents, quads, the peak PSS and RSS of the tree, and the machine's load
average before and after (other work on the machine inflates time, not memory). The target is a
peak under 3 GiB for the 50 MB document.

    python bench/peak_memory.py [--megabytes 50] [--one-line] [--document-workers 1]
                                [--words 10000000] [--workers 2] [--only document|corpus] [--keep DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

TARGET_PEAK_GIB = 3.0

_BUILD = """
import json, sys, time
from chaingraph import api
started = time.perf_counter()
report = api.build(sys.argv[1], sys.argv[2], workers=int(sys.argv[3]), max_document_mb=float(sys.argv[4]))
print(json.dumps({"seconds": time.perf_counter() - started, "documents": report.documents,
                  "quads": report.quads_loaded, "words": report.words_extracted,
                  "errors": [str(p) for p in report.errors], "timings": report.timings}))
"""


def write_long_document(folder: Path, megabytes: float, *, seed: int = 7, one_line: bool = False) -> dict:
    """Write one English document of about ``megabytes`` MB (10^6 bytes) into ``folder``; returns a summary."""
    from synthetic_corpus import _cumulative, _document, load_material

    material = load_material(seed)
    rng = random.Random(seed)
    weights = {lang: _cumulative(len(items)) for lang, items in material.labels.items()}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "long.txt"
    size = words = 0
    with path.open("w", encoding="utf-8") as stream:
        while size < megabytes * 1e6:
            text, count = _document(rng, material, weights, "en", 1000)
            if one_line:
                text = " ".join(text.split()) + " "
            stream.write(text)
            size += len(text.encode("utf-8"))
            words += count
    return {"path": str(path), "bytes": size, "words": words, "one_line": one_line, "seed": seed}


def measure_build(corpus: Path, store: Path, workers: int, max_document_mb: float) -> dict:
    """One build in a child process: wall time and the peak memory of its process tree."""
    from run_all import measured_build

    load_before = os.getloadavg()
    result, wall, memory = measured_build(_BUILD, corpus, store, workers, max_document_mb)
    result.update(
        workers=workers,
        wall_seconds=round(wall, 1),
        peak_pss_gib=round(memory.peak_pss / 2**20, 3),
        peak_rss_sum_gib=round(memory.peak_rss / 2**20, 3),
        load_average_before=[round(x, 2) for x in load_before],
        load_average_after=[round(x, 2) for x in os.getloadavg()],
    )
    return result


def render(results: dict) -> str:
    lines = [f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}", ""]
    lines.append(f"{'build':<44} {'wall s':>8} {'quads':>11} {'peak PSS GiB':>13} {'peak RSS GiB':>13}  load 1 min")
    lines.append("-" * 106)
    for name, build in results.items():
        if name == "document":
            what = build["input"]
            shape = " on one line" if what["one_line"] else ""
            label = f"one document, {what['bytes'] / 1e6:.0f} MB{shape}, {build['workers']} worker(s)"
        else:
            label = f"corpus, {build['input']['words']:,} words, {build['workers']} workers"
        load = f"{build['load_average_before'][0]:.1f} -> {build['load_average_after'][0]:.1f}"
        lines.append(
            f"{label:<44} {build['wall_seconds']:>8.1f} {build['quads']:>11,} {build['peak_pss_gib']:>13.2f} "
            f"{build['peak_rss_sum_gib']:>13.2f}  {load}"
        )
    if "document" in results:
        peak = results["document"]["peak_pss_gib"]
        verdict = "ok" if peak < TARGET_PEAK_GIB else "MISSED"
        lines += ["", f"target: the long document's build under {TARGET_PEAK_GIB:.0f} GiB (PSS of the tree): {verdict}"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=50.0, help="size of the long document (10^6 bytes)")
    parser.add_argument("--one-line", action="store_true", help="write the long document without line breaks")
    parser.add_argument("--words", type=int, default=10_000_000, help="size of the corpus in words")
    parser.add_argument("--workers", type=int, default=2, help="workers of the corpus build")
    parser.add_argument("--document-workers", type=int, default=1, help="workers of the long document's build")
    parser.add_argument("--only", choices=("document", "corpus"), help="run one of the two builds")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="keep the inputs and stores in this folder")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args()

    from synthetic_corpus import write_corpus

    work = args.keep or Path(tempfile.mkdtemp(prefix="chaingraph-peak-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    try:
        if args.only in (None, "document"):
            folder, store = work / "document", work / "document-store"
            shutil.rmtree(folder, ignore_errors=True)
            shutil.rmtree(store, ignore_errors=True)
            summary = write_long_document(folder, args.megabytes, seed=args.seed, one_line=args.one_line)
            limit = summary["bytes"] / 1e6 + 1  # the default refuses documents this large
            results["document"] = measure_build(folder, store, args.document_workers, limit) | {"input": summary}
        if args.only in (None, "corpus"):
            folder, store = work / "corpus", work / "corpus-store"
            shutil.rmtree(folder, ignore_errors=True)
            shutil.rmtree(store, ignore_errors=True)
            summary = write_corpus(folder, args.words, seed=args.seed)
            results["corpus"] = measure_build(folder, store, args.workers, 25.0) | {"input": summary}
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2) if args.json else render(results))


if __name__ == "__main__":
    main()
