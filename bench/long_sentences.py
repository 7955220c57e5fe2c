"""Extraction time of text without sentence ends: the cost of one sentence must grow with its length only.

Two texts, each one run without a full stop or a line break, extracted by the fast English pipeline
(:func:`chaingraph.nlp.pipeline.extract_parts`, as a build does):

* **plain**: ``--plain-chars`` characters (default 1,000,000) of ordinary words drawn (seeded) from the
  sentence frames of the synthetic corpus (:mod:`synthetic_corpus`) with their full stops removed;
* **dense**: ``--dense-chars`` characters (default 200,000) of occupations, technologies and cue words
  ("Welders use Python, Electricians use AutoCAD, Nurses use SQL ..."), the worst case for cue typing.

Each reports seconds, mentions, relations and the pieces the relation stage read the sentence in
(:func:`chaingraph.nlp.relations.cue_pieces`).

    python bench/long_sentences.py [--plain-chars 1000000] [--dense-chars 200000] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

DENSE_UNIT = "Welders use Python, Electricians use AutoCAD, Nurses use SQL "


def plain_text(chars: int, seed: int = 7) -> str:
    """Ordinary English words, no full stop, no line break: ``chars`` characters cut at a space."""
    from synthetic_corpus import load_material

    from chaingraph.nlp.sentences import DEFAULT_PUNCT

    material = load_material(seed)
    rng = random.Random(seed)
    ends = str.maketrans("", "", "".join(DEFAULT_PUNCT))
    words = [word.translate(ends) for frame in material.frames["en"] for word in frame]
    words = [word for word in words if word]
    parts, size = [], 0
    while size < chars:
        word = rng.choice(words)
        parts.append(word)
        size += len(word) + 1
    return " ".join(parts)[:chars].rsplit(" ", 1)[0]


def dense_text(chars: int) -> str:
    """Mentions and cue words back to back, no sentence end: ``chars`` characters cut at a space."""
    return (DENSE_UNIT * (chars // len(DENSE_UNIT) + 1))[:chars].rsplit(" ", 1)[0]


def measure(name: str, text: str) -> dict:
    """Extract ``text`` as one document and time it."""
    from chaingraph.nlp import relations
    from chaingraph.nlp.pipeline import extract_parts, load_pipeline

    nlp = load_pipeline("en")
    pieces = 0
    cue_pieces = relations.cue_pieces

    def counted(*args, **kwargs):
        nonlocal pieces
        found = cue_pieces(*args, **kwargs)
        pieces += len(found)
        return found

    relations.cue_pieces = counted
    try:
        started = time.perf_counter()
        parts = [part for _index, part in extract_parts(nlp, [(text, None)])]
        seconds = time.perf_counter() - started
    finally:
        relations.cue_pieces = cue_pieces
    return {
        "text": name,
        "characters": len(text),
        "seconds": round(seconds, 2),
        "mentions": sum(len(part.mentions) for part in parts),
        "relations": sum(len(part.relations) for part in parts),
        "cue_pieces": pieces,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plain-chars", type=int, default=1_000_000)
    parser.add_argument("--dense-chars", type=int, default=200_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = [
        measure("plain", plain_text(args.plain_chars)),
        measure("dense", dense_text(args.dense_chars)),
    ]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for row in results:
        print(
            f"{row['text']:>6}: {row['characters']:>9,} characters without a sentence end in {row['seconds']:7.2f} s"
            f" ({row['mentions']:,} mentions, {row['relations']:,} relations, {row['cue_pieces']} cue pieces)"
        )


if __name__ == "__main__":
    main()
