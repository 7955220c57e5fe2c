"""Extraction throughput with the full vocabularies, in words per second on one core.

Feeds the bundled corpus, repeated until it holds at least --words words, through the whole
extraction pipeline (tokenizer, sentencizer, concept linker, relation stage; with ``--profile
accurate`` also the span finder and the fuzzy linker) in one process and prints words/s. Words
are whitespace-separated tokens of the input.

    python bench/extract_throughput.py [--profile fast|accurate] [--words 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def corpus_texts(min_words: int) -> tuple[list[str], int]:
    from chaingraph.corpus import read_corpus

    # English documents: the Chinese laws go through the Chinese pipeline, measured on its own.
    base = [d.text for d in read_corpus(ROOT / "corpora").documents if d.lang == "en"]
    texts, words = [], 0
    while words < min_words:
        for text in base:
            texts.append(text)
            words += len(text.split())
    return texts, words


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", choices=("fast", "accurate"), default="fast")
    args = parser.parse_args()

    from chaingraph.nlp.pipeline import extract_docs, load_pipeline

    started = time.perf_counter()
    nlp = load_pipeline("en", args.profile)
    load_seconds = time.perf_counter() - started
    gazetteer = nlp.get_pipe("chaingraph_concepts").gazetteer
    texts, words = corpus_texts(args.words)
    list(extract_docs(nlp, [(t, None) for t in texts[:20]]))  # warm up lexeme caches

    rates, mentions, unlinked = [], 0, 0
    for _ in range(args.repeat):
        start = time.perf_counter()
        mentions = unlinked = 0
        for extraction in extract_docs(nlp, ((t, None) for t in texts)):
            mentions += len(extraction.mentions)
            unlinked += sum(1 for m in extraction.mentions if not m.concept)
        rates.append(words / (time.perf_counter() - start))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"vocabulary: {len(gazetteer):,} concepts, {len(gazetteer.entries):,} label keys; "
        f"loaded in {load_seconds:.1f} s"
    )
    print(f"profile: {args.profile} ({', '.join(nlp.pipe_names)})")
    print(f"input: {words:,} words in {len(texts):,} documents; {mentions:,} mentions per pass ({unlinked:,} unlinked)")
    print(
        f"throughput: {statistics.median(rates):,.0f} words/s (median of {args.repeat}; "
        f"min {min(rates):,.0f}, max {max(rates):,.0f}) on one core"
    )


if __name__ == "__main__":
    main()
