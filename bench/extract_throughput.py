"""Extraction throughput with the full vocabularies, in words per second on one core.

Feeds the bundled corpus, repeated until it holds at least --words words, through the whole
extraction pipeline (tokenizer, sentencizer, concept linker, relation stage; with ``--profile
accurate`` also the span finder and the fuzzy linker) in one process and prints words/s. Words
are whitespace-separated tokens of the input. Each copy of the corpus is read as new text: what a
component remembers by span text is forgotten between copies (:func:`forget_texts`).

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


def corpus_copies(min_words: int) -> tuple[list[list[str]], int]:
    """Copies of the bundled corpus's English documents, enough for ``min_words`` words."""
    from chaingraph.corpus import read_corpus

    # English documents: the Chinese laws go through the Chinese pipeline, measured on its own.
    base = [d.text for d in read_corpus(ROOT / "corpora").documents if d.lang == "en"]
    per_copy = sum(len(text.split()) for text in base)
    copies = -(-min_words // per_copy)
    return [base] * copies, copies * per_copy


def forget_texts(nlp) -> None:
    """Empty every pipeline component's memory of span texts seen before.

    The input repeats one corpus; a component remembering results by text (the fuzzy linker)
    would find every span of a second copy remembered, which no real corpus offers. Each copy is
    therefore read as new text: only the repetition inside one copy of the corpus is reused.
    Caches bounded by the vocabulary (labels, words) stay warm, as in any long build.
    """
    for _name, component in nlp.pipeline:
        forget = getattr(component, "forget_texts", None)
        if forget is not None:
            forget()


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
    copies, words = corpus_copies(args.words)
    texts = [text for copy in copies for text in copy]
    list(extract_docs(nlp, [(t, None) for t in texts[:20]]))  # warm up lexeme caches

    rates, mentions, unlinked = [], 0, 0
    for _ in range(args.repeat):
        start = time.perf_counter()
        mentions = unlinked = 0
        for copy in copies:
            forget_texts(nlp)
            for extraction in extract_docs(nlp, ((t, None) for t in copy)):
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
