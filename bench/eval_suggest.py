"""Programme -> occupation suggestions against the expert CIP 2020 -> SOC 2018 links (dev split).

Builds an evaluation corpus in a temporary folder, laid out as ``shared/data/eval-dev/README.md``
asks, builds it into a store, ranks O*NET occupations for every dev programme with
:func:`chaingraph.align.suggest.suggest_links` and scores the rankings, beside a plain TF-IDF
cosine baseline on the same texts::

    python bench/eval_suggest.py [--data ../shared/data] [--store DIR] [--k 10] [--json FILE]

The corpus
    ``curricula/cip-<code>.md``: one per dev programme, its CIP 2020 title, definition and
    examples (``about=cip:<code>``); ``standards/onet-<code>.txt``: one per O*NET 29.2
    occupation (all 1,016), its title, description and task statements in Task ID order
    (``about=onet:<code>``). ``--store DIR`` keeps the built store there and reuses it when it is
    already up to date (a build is a sync, so an unchanged corpus extracts nothing).

The gold standard
    ``eval-dev/cip2020_soc2018_dev.csv``. Rows with SOC ``99-9999`` ("no matching occupation")
    are dropped, and programmes left with no SOC code are not scored: a ranking cannot be right
    or wrong about a programme that has no relevant occupation. The file is read only here, to
    measure; nothing of it reaches the graph or the ranking.

The metrics
    A ranking of O*NET-SOC occupations is mapped to SOC 2018 codes by their first 7 characters
    (``17-2112.03`` -> ``17-2112``); a SOC code counts at its first position only, and the list is
    cut at ``k`` distinct SOC codes (``3 k`` occupations are asked for, so that detailed O*NET
    codes sharing a SOC code do not leave the list short). With ``R`` the programme's relevant SOC
    codes and ``rel_i`` 1 when the code at position ``i`` is in ``R``:

    - ``AP@k = sum_{i<=k} rel_i * precision@i / min(|R|, k)``, so a perfect list scores 1 even
      when ``|R| > k``; ``MAP@k`` is its mean over the scored programmes;
    - ``recall@k = |R in top k| / |R|``;
    - ``MRR = mean of 1 / (position of the first relevant code)``, 0 when none is in the top k.

The baseline
    TF-IDF cosine between each programme's document text and each occupation's document text:
    lower-cased alphanumeric words of two or more characters, English function words removed,
    no stemming, sublinear term frequency ``1 + log tf``, smoothed IDF ``log((1 + N)/(1 + df)) + 1``
    over all documents, L2-normalised vectors. Implemented here with numpy/scipy.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
GOLD_FILE = "eval-dev/cip2020_soc2018_dev.csv"
CIP_FILE = "cip2020/CIPCode2020.csv"
ONET_DIR = "onet-29.2"
NO_MATCH = "99-9999"

# --- corpus ------------------------------------------------------------------------------------


def squash(text: str) -> str:
    """Collapse runs of whitespace."""
    return " ".join(text.split())


def read_gold(data: Path) -> dict[str, set[str]]:
    """CIP code -> relevant SOC 2018 codes, "no match" rows dropped, empty programmes left out."""
    gold: dict[str, set[str]] = {}
    with open(data / GOLD_FILE, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["SOC2018Code"].strip() != NO_MATCH:
                gold.setdefault(row["CIP2020Code"].strip(), set()).add(row["SOC2018Code"].strip())
    return gold


def dev_programmes(data: Path) -> list[str]:
    """Every CIP code of the dev file, "no match" programmes included (they are built, not scored)."""
    with open(data / GOLD_FILE, encoding="utf-8-sig", newline="") as handle:
        return sorted({row["CIP2020Code"].strip() for row in csv.DictReader(handle)})


def read_onet(data: Path, name: str) -> list[dict[str, str]]:
    """Rows of one gzipped O*NET table."""
    with gzip.open(data / ONET_DIR / f"{name}.txt.gz", "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def write_corpus(data: Path, out: Path) -> dict[str, str]:
    """Write the evaluation corpus under ``out``; returns ``about`` code -> document text."""
    with open(data / CIP_FILE, encoding="utf-8-sig", newline="") as handle:
        cip = {row["CIPCode"].strip(): row for row in csv.DictReader(handle)}
    rows, texts = [], {}
    for code in dev_programmes(data):
        entry = cip[code]
        title = squash(entry["CIPTitle"]).rstrip(".")
        paragraphs = [f"# {title}", squash(entry["CIPDefinition"])]
        if entry["Examples"].strip():
            paragraphs.append(squash(entry["Examples"]))
        rows.append((f"curricula/cip-{code}.md", title, "curriculum", "2020", "NCES (CIP 2020)", f"cip:{code}"))
        texts[f"cip:{code}"] = "\n\n".join(paragraphs) + "\n"
    tasks: dict[str, list[tuple[int, str]]] = {}
    for row in read_onet(data, "Task Statements"):
        tasks.setdefault(row["O*NET-SOC Code"], []).append((int(row["Task ID"]), squash(row["Task"])))
    for row in sorted(read_onet(data, "Occupation Data"), key=lambda r: r["O*NET-SOC Code"]):
        code, title = row["O*NET-SOC Code"], squash(row["Title"])
        paragraphs = [title, squash(row["Description"])]
        if tasks.get(code):
            paragraphs.append("Tasks:")
            paragraphs.extend(task for _, task in sorted(tasks[code]))
        rows.append((f"standards/onet-{code}.txt", title, "standard", "2025", "USDOL/ETA (O*NET 29.2)", f"onet:{code}"))
        texts[f"onet:{code}"] = "\n\n".join(paragraphs) + "\n"
    for (path, *_), text in zip(rows, texts.values(), strict=True):
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    with open(out / "manifest.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("path", "title", "kind", "lang", "date", "issuer", "about"))
        for path, title, kind, date, issuer, about in rows:
            writer.writerow((path, title, kind, "en", date, issuer, about))
    return texts


# --- metrics -----------------------------------------------------------------------------------


def soc_list(onet_codes: list[str], k: int) -> list[str]:
    """O*NET-SOC codes -> the first ``k`` distinct SOC 2018 codes, in order."""
    out: list[str] = []
    for code in onet_codes:
        soc = code[:7]
        if soc not in out:
            out.append(soc)
            if len(out) == k:
                break
    return out


def score_rankings(rankings: dict[str, list[str]], gold: dict[str, set[str]], k: int) -> dict[str, float]:
    """MAP@k, recall@k and MRR over the gold programmes (see the module docstring)."""
    aps, recalls, rrs = [], [], []
    for cip, relevant in sorted(gold.items()):
        socs = soc_list(rankings.get(cip, []), k)
        hits, ap, first = 0, 0.0, 0
        for position, soc in enumerate(socs, start=1):
            if soc in relevant:
                hits += 1
                ap += hits / position
                first = first or position
        aps.append(ap / min(len(relevant), k))
        recalls.append(hits / len(relevant))
        rrs.append(1.0 / first if first else 0.0)
    return {
        "map": float(np.mean(aps)),
        "recall": float(np.mean(recalls)),
        "mrr": float(np.mean(rrs)),
        "programmes": len(aps),
    }


# --- TF-IDF baseline ---------------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9][a-z0-9]+")
_FUNCTION_WORD_LIST = (
    "a about an and are as at be been but by can for from has have in into is it its may not of "
    "on or other such than that the their them these they this those through to under was were "
    "which while who will with within without"
)
_FUNCTION_WORDS = frozenset(_FUNCTION_WORD_LIST.split())


def tfidf_rankings(texts: dict[str, str], k: int) -> dict[str, list[str]]:
    """Per CIP code, the O*NET codes by TF-IDF cosine of their documents (ties by code)."""
    keys = sorted(texts)
    vocab: dict[str, int] = {}
    rows, cols, vals = [], [], []
    for r, key in enumerate(keys):
        counts = Counter(w for w in _WORD.findall(texts[key].lower()) if w not in _FUNCTION_WORDS)
        for word in sorted(counts):
            rows.append(r)
            cols.append(vocab.setdefault(word, len(vocab)))
            vals.append(1.0 + math.log(counts[word]))
    tf = sp.csr_array((vals, (rows, cols)), shape=(len(keys), len(vocab)))
    df = np.bincount(tf.indices, minlength=len(vocab))
    weighted = tf @ sp.diags_array(np.log((1.0 + len(keys)) / (1.0 + df)) + 1.0)
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    unit = sp.csr_array(sp.diags_array(1.0 / np.maximum(norms, 1e-12)) @ weighted)
    progs = [i for i, key in enumerate(keys) if key.startswith("cip:")]
    occs = [i for i, key in enumerate(keys) if key.startswith("onet:")]
    scores = (unit[progs] @ unit[occs].T).toarray()
    out = {}
    for r, i in enumerate(progs):
        order = np.argsort(-np.round(scores[r], 12), kind="stable")[: 3 * k]
        out[keys[i][4:]] = [keys[occs[j]][5:] for j in order]
    return out


# --- the graph methods -------------------------------------------------------------------------


def graph_rankings(graph, k: int, **options) -> dict[str, list[str]]:
    """Per CIP code, the O*NET codes ``suggest_links`` ranks for it."""
    from chaingraph.align.suggest import suggest_links

    out: dict[str, list[str]] = {}
    for record in suggest_links(
        graph, "Programme", "Occupation", 3 * k, source_scheme="cip", target_scheme="onet", **options
    ):
        source, target = graph.nodes[record["source"]], graph.nodes[record["target"]]
        out.setdefault(source["code"], []).append(target["code"])
    return out


def runs(methods: tuple[str, ...]) -> list[tuple[str, str, dict]]:
    """(label, graph, options): every method three ways, then the levers one at a time."""
    pure = {"lexical_weight": 0.0, "direct_weight": 0.0}
    out = []
    for method in methods:
        out.append((f"{method}: link only, text-mined graph", "plain", {"method": method, **pure}))
    for method in methods:
        options = {"method": method, "lexical_weight": 0.0, "direct_weight": 1.0}
        out.append((f"{method}: link + direct, enriched graph", "enriched", options))
    for method in methods:
        out.append((f"{method}: default (lexical + direct + link)", "enriched", {"method": method}))
    levers = [
        ("lever: link, binary, no hierarchy, text-mined", "plain", {**pure, "weight": None, "hierarchy": 0.0}),
        ("lever: + evidence weights", "plain", {**pure, "hierarchy": 0.0}),
        ("lever: + vocabulary enrichment", "enriched", {**pure, "hierarchy": 0.0}),
        ("lever: + hierarchy smoothing", "enriched", pure),
        ("lever: + degree cap off", "enriched", {**pure, "degree_cap": None}),
        ("lever: + direct preparesFor (+closeMatch)", "enriched", {"lexical_weight": 0.0, "direct_weight": 1.0}),
        ("lever: lexical only (titles in text)", "enriched", {"link_weight": 0.0, "direct_weight": 0.0}),
        ("lever: lexical + direct", "enriched", {"link_weight": 0.0}),
        ("lever: lexical + link", "enriched", {"direct_weight": 0.0}),
        ("default on the text-mined graph (not enriched: labels only)", "plain", {}),
    ]
    return out + levers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared/data folder")
    parser.add_argument("--store", type=Path, help="build the store here (reused when up to date)")
    parser.add_argument("--k", type=int, default=10, help="cut-off of the metrics (default 10)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if not (args.data / GOLD_FILE).is_file():
        parser.error(f"{args.data} does not look like shared/data (no {GOLD_FILE})")

    import chaingraph
    from chaingraph.align.projection import concept_graph
    from chaingraph.align.suggest import METHODS, enrich_with_vocabulary

    started = time.perf_counter()
    gold = read_gold(args.data)
    with tempfile.TemporaryDirectory(prefix="chaingraph-eval-") as tmp:
        corpus = Path(tmp) / "corpus"
        texts = write_corpus(args.data, corpus)
        store_path = args.store or Path(tmp) / "store"
        report = chaingraph.build(corpus, store_path)
        if report.errors:
            for problem in report.errors:
                print(f"build problem: {problem}", file=sys.stderr)
        built = time.perf_counter()
        store = chaingraph.open_store(store_path)
        plain = concept_graph(store)
        enriched = plain.copy()
        added = enrich_with_vocabulary(enriched, store)
        store.close()
    prepared = time.perf_counter()
    print(
        f"corpus: {sum(k.startswith('cip:') for k in texts)} programmes, {sum(k.startswith('onet:') for k in texts)} "
        f"occupations; build {built - started:.0f} s ({report.extracted} extracted), graph + enrichment "
        f"{prepared - built:.0f} s; vocabulary added {added}"
    )

    tick = time.perf_counter()
    baseline = score_rankings(tfidf_rankings(texts, args.k), gold, args.k)
    results = [("TF-IDF cosine baseline (programme text vs occupation text)", baseline, time.perf_counter() - tick)]
    graphs = {"plain": plain, "enriched": enriched}
    for label, which, options in runs(METHODS):
        tick = time.perf_counter()
        figures = score_rankings(graph_rankings(graphs[which], args.k, **options), gold, args.k)
        results.append((label, figures, time.perf_counter() - tick))

    k = args.k
    print(f"\n| ranking | MAP@{k} | recall@{k} | MRR | programmes | seconds |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, figures, seconds in results:
        print(
            f"| {label} | {figures['map']:.3f} | {figures['recall']:.3f} | {figures['mrr']:.3f} | "
            f"{figures['programmes']} | {seconds:.1f} |"
        )
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    if args.json:
        payload = [{"ranking": label, **figures, "seconds": round(seconds, 2)} for label, figures, seconds in results]
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
