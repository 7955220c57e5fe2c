"""A seeded synthetic corpus that reads like the real one, at any size.

Sentences are real sentence frames from the bundled corpus (``corpora/``: curricula, standards,
Perkins V, the Chinese vocational education law) with words replaced by labels of the real
vocabularies (``ontologies/vocab``), drawn with a heavy-tailed popularity so that a few concepts
are everywhere and most are rare, as in real texts. Documents are about 1,000 words, grouped in
paragraphs, with a manifest giving each a kind and, for curricula and standards, the programme
or occupation it is about.

    python bench/synthetic_corpus.py OUT_DIR [--words 1000000] [--seed 7] [--zh-share 0.05]
"""

from __future__ import annotations

import argparse
import csv
import random
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_SENTENCE_END = re.compile(r"(?<=[.!?。！？；])\s*|\n+")
_HAN = re.compile(r"[\u3400-\u9fff]")


@dataclass
class Material:
    """What documents are assembled from."""

    frames: dict[str, list[list[str]]]  # lang -> sentences cut into words (zh: into clauses of chars)
    labels: dict[str, list[str]]  # lang -> labels, most popular first
    programmes: list[str]  # IRIs documents can be about
    occupations: list[str]


def load_material(seed: int = 7) -> Material:
    """Sentence frames from ``corpora/`` and labels from the shipped vocabularies."""
    from chaingraph.corpus import read_corpus
    from chaingraph.nlp.gazetteer import read_concepts, vocab_files

    frames: dict[str, list[list[str]]] = {"en": [], "zh": []}
    for document in read_corpus(ROOT / "corpora").documents:
        lang = "zh" if document.lang.startswith("zh") else "en"
        for sentence in _SENTENCE_END.split(document.text):
            sentence = " ".join(sentence.split())
            if lang == "en" and 6 <= len(sentence.split()) <= 60 and not sentence.startswith("#"):
                frames["en"].append(sentence.split())
            elif lang == "zh" and 10 <= len(sentence) <= 150 and _HAN.search(sentence):
                frames["zh"].append(list(sentence))
    labels: dict[str, list[str]] = {"en": [], "zh": []}
    programmes, occupations = [], []
    for concept in read_concepts(vocab_files()):
        if concept.cls == "Programme":
            programmes.append(concept.iri)
        elif concept.cls == "Occupation":
            occupations.append(concept.iri)
        for text, lang, _kind in concept.labels:
            key = "zh" if lang.startswith("zh") else "en" if lang.startswith("en") else None
            if key and 1 < len(text) < 60:
                labels[key].append(text)
    rng = random.Random(seed)
    for values in labels.values():
        values.sort()
        rng.shuffle(values)  # the order is the popularity rank
    programmes.sort()
    occupations.sort()
    return Material(frames, labels, programmes, occupations)


def _popular(rng: random.Random, items: list[str], weights: list[float]) -> str:
    return rng.choices(items, cum_weights=weights)[0]


def _cumulative(n: int, skew: float = 0.9) -> list[float]:
    total, out = 0.0, []
    for rank in range(n):
        total += 1.0 / (rank + 1) ** skew
        out.append(total)
    return out


def write_corpus(out: Path, words: int, *, seed: int = 7, zh_share: float = 0.05, doc_words: int = 1000) -> dict:
    """Write about ``words`` words of documents and ``manifest.csv`` into ``out``; returns a summary."""
    material = load_material(seed)
    rng = random.Random(seed)
    weights = {lang: _cumulative(len(items)) for lang, items in material.labels.items()}
    out.mkdir(parents=True, exist_ok=True)
    rows, written, index = [], 0, 0
    kinds = ["curriculum"] * 4 + ["standard"] * 2 + ["policy"] * 3 + ["job_posting"]
    while written < words:
        lang = "zh" if material.frames["zh"] and rng.random() < zh_share else "en"
        kind = rng.choice(kinds)
        about = ""
        if kind == "curriculum" and material.programmes:
            about = rng.choice(material.programmes)
        elif kind == "standard" and material.occupations:
            about = rng.choice(material.occupations)
        text, count = _document(rng, material, weights, lang, doc_words)
        path = f"docs/{index // 1000:03d}/{index:06d}.{'txt' if lang == 'zh' else 'md'}"
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text(text, encoding="utf-8")
        rows.append({"path": path, "title": f"Document {index}", "kind": kind, "lang": lang, "about": about})
        written += count
        index += 1
    with (out / "manifest.csv").open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, ["path", "title", "kind", "lang", "about"])
        writer.writeheader()
        writer.writerows(rows)
    return {"documents": index, "words": written, "seed": seed, "zh_share": zh_share}


def _document(rng: random.Random, material: Material, weights, lang: str, doc_words: int) -> tuple[str, int]:
    frames, labels = material.frames[lang], material.labels[lang]
    paragraphs, paragraph, count = [], [], 0
    target = int(doc_words * rng.uniform(0.6, 1.4))
    while count < target:
        words = list(rng.choice(frames))
        for _ in range(rng.choice((0, 0, 0, 0, 0, 0, 1, 1))):  # near the real corpus's density of mentions
            label = _popular(rng, labels, weights[lang])
            position = rng.randrange(len(words))
            if lang == "zh":
                words[position : position + len(label)] = list(label)
            else:
                words[position] = label
        sentence = "".join(words) if lang == "zh" else " ".join(words)
        paragraph.append(sentence)
        # Chinese has no spaces: count about 1.5 characters a word.
        count += int(len(sentence) / 1.5) if lang == "zh" else len(sentence.split())
        if len(paragraph) >= rng.randint(3, 7):
            paragraphs.append(("" if lang == "zh" else " ").join(paragraph))
            paragraph = []
    if paragraph:
        paragraphs.append(("" if lang == "zh" else " ").join(paragraph))
    return "\n\n".join(paragraphs) + "\n", count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--zh-share", type=float, default=0.05)
    args = parser.parse_args()
    print(write_corpus(args.out, args.words, seed=args.seed, zh_share=args.zh_share))


if __name__ == "__main__":
    main()
