"""Train the span finder of the "accurate" profile and calibrate the fuzzy linker's threshold.

The span finder is a spaCy entity recognizer with one label (``SKILL``) over a small CNN
``tok2vec`` (hash embeddings of the lower-case form, prefix, suffix and shape; no pretrained
vectors), so it runs on one CPU core and ships in a few MB. It learns from:

* **SkillSpan train** (Zhang et al., NAACL 2022; ``skillspan_{house,tech}_train.conll``: token,
  skill BIO, knowledge BIO). Skill and knowledge spans are merged into one layer; where they
  overlap the longer span wins (a skill span usually contains the knowledge it names: "develop
  services in *Java*").
* **Vocabulary frames** (distant supervision): SkillSpan train sentences with one gold span
  replaced by a Skill or Technology label of the vocabularies, so the tagger sees the
  vocabularies' wording in real sentence frames.
* **Corpus mentions** (distant supervision): sentences of the bundled corpus (``corpora/``)
  labelled with the fast linker's Skill and Technology mentions. The linker's silence is not
  evidence that a phrase is not a skill, so the other tokens are marked *missing*, not *outside*.

Hyper-parameters are chosen on a held-out slice of SkillSpan *train* (``--search``); SkillSpan
dev is never read here (it is the test set). The final model is trained on all of train with the
chosen settings for the chosen number of epochs. A setting is judged by held-out loose F1 plus
strict F1: loose F1 is the target, strict F1 keeps the boundaries honest.

The similarity threshold of the fuzzy linker is calibrated on the vocabularies alone: every
alternative label of a Skill or Technology concept is a query whose right answer is known; the
index holds the preferred labels only (so the query's own text is not in it). The threshold is
the lowest similarity at which the top-1 concept of the queries scoring at least that much is
right at least ``--precision`` of the time. It is written to the model's ``meta.json``.

    python scripts/train_span_finder.py [--search] [--data DIR] [--out chaingraph/models/span-finder-en]

Deterministic: fixed seed, one thread.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # other jobs share the machine; numpy/blis stay on one core
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "skillspan-dev"
DEFAULT_OUT = ROOT / "chaingraph" / "models" / "span-finder-en"
LABEL = "SKILL"
SEED = 0

Sentence = tuple[list[str], list[tuple[int, int]]]  # words, merged (start, end) token spans


# ---------------------------------------------------------------------- SkillSpan


def _bio_spans(tags: list[str]) -> list[tuple[int, int]]:
    spans, start = [], None
    for i, tag in enumerate([*tags, "O"]):
        if start is not None and not tag.startswith("I"):
            spans.append((start, i))
            start = None
        if tag.startswith("B") or (tag.startswith("I") and start is None):
            start = i
    return spans


def merge_spans(*layers: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """One layer of spans from several: longest first, then leftmost; overlapping shorter spans go."""
    taken: set[int] = set()
    kept = []
    for start, end in sorted({s for layer in layers for s in layer}, key=lambda s: (s[0] - s[1], s[0])):
        if taken.isdisjoint(range(start, end)):
            taken.update(range(start, end))
            kept.append((start, end))
    return sorted(kept)


def read_conll(path: Path) -> list[Sentence]:
    """Sentences of a SkillSpan CoNLL file, with skill and knowledge spans merged."""
    sentences, words, skill, knowledge = [], [], [], []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if words:
                sentences.append((words, merge_spans(_bio_spans(skill), _bio_spans(knowledge))))
            words, skill, knowledge = [], [], []
            continue
        token, s_tag, k_tag = line.split("\t")[:3]
        words.append(token)
        skill.append(s_tag)
        knowledge.append(k_tag)
    return sentences


# ---------------------------------------------------------------------- distant supervision


def vocabulary_labels(gazetteer, classes=("Skill", "Technology")) -> list[str]:
    """Preferred English labels of the vocabularies' Skill and Technology concepts, sorted."""
    labels = {
        c.pref_labels["en"]
        for c in gazetteer.concepts
        if c.cls in classes and "en" in c.pref_labels and 2 <= len(c.pref_labels["en"].split()) <= 6
    }
    return sorted(labels)


def vocabulary_frames(sentences: list[Sentence], labels: list[str], count: int, rng: random.Random) -> list[Sentence]:
    """``count`` sentences in which one gold span is replaced by a vocabulary label."""
    with_spans = [s for s in sentences if s[1]]
    frames = []
    for _ in range(count):
        words, spans = rng.choice(with_spans)
        start, end = rng.choice(spans)
        label = rng.choice(labels).split()
        shift = len(label) - (end - start)
        new_words = words[:start] + label + words[end:]
        new_spans = [
            (s, e) if e <= start else (start, start + len(label)) if s == start else (s + shift, e + shift)
            for s, e in spans
        ]
        frames.append((new_words, new_spans))
    return frames


def corpus_sentences(nlp_fast, limit: int, rng: random.Random) -> list[tuple[list[str], list[tuple[int, int]]]]:
    """Sentences of the bundled English corpus with the fast linker's Skill/Technology mentions (token spans)."""
    from chaingraph.corpus import read_corpus
    from chaingraph.nlp.pipeline import extract_docs

    documents = [d for d in read_corpus(ROOT / "corpora").documents if d.lang == "en"]
    found = []
    extractions = extract_docs(nlp_fast, [(d.text, None) for d in documents])
    for document, extraction in zip(documents, extractions, strict=True):
        text = document.text
        for s_start, s_end in extraction.sentences:
            mentions = [
                (m.start - s_start, m.end - s_start)
                for m in extraction.mentions
                if s_start <= m.start < s_end and m.cls in ("Skill", "Technology")
            ]
            sentence = text[s_start:s_end]
            if mentions and 5 <= len(sentence.split()) <= 80:
                found.append((sentence, mentions))
    rng.shuffle(found)
    tokenizer = nlp_fast.tokenizer
    result = []
    for sentence, mentions in found[:limit]:
        doc = tokenizer(sentence)
        spans = []
        for start, end in mentions:
            span = doc.char_span(start, end)
            if span is not None:
                spans.append((span.start, span.end))
        words = [t.text for t in doc if not t.is_space]
        if spans and len(words) == len(doc):
            result.append((words, merge_spans(spans)))
    return result


# ---------------------------------------------------------------------- the model


def make_nlp(width: int, depth: int, rows: int, hidden: int):
    import spacy

    nlp = spacy.blank("en")
    embed_rows = [rows, rows // 2, rows // 2, rows // 4]
    model = {
        "@architectures": "spacy.TransitionBasedParser.v2",
        "state_type": "ner",
        "extra_state_tokens": False,
        "hidden_width": hidden,
        "maxout_pieces": 2,
        "use_upper": True,
        "nO": None,
        "tok2vec": {
            "@architectures": "spacy.Tok2Vec.v2",
            "embed": {
                "@architectures": "spacy.MultiHashEmbed.v2",
                "width": width,
                # LOWER, not NORM: the concept linker replaces NORM with its own normaliser.
                "attrs": ["LOWER", "PREFIX", "SUFFIX", "SHAPE"],
                "rows": embed_rows,
                "include_static_vectors": False,
            },
            "encode": {
                "@architectures": "spacy.MaxoutWindowEncoder.v2",
                "width": width,
                "depth": depth,
                "window_size": 1,
                "maxout_pieces": 3,
            },
        },
    }
    ner = nlp.add_pipe("ner", config={"model": model})
    ner.add_label(LABEL)
    return nlp


def to_example(nlp, words: list[str], spans: list[tuple[int, int]], missing_outside: bool = False):
    from spacy.tokens import Doc, Span
    from spacy.training import Example

    reference = Doc(nlp.vocab, words=words)
    reference.set_ents(
        [Span(reference, s, e, label=LABEL) for s, e in spans], default="missing" if missing_outside else "outside"
    )
    return Example(Doc(nlp.vocab, words=words), reference)


def predict_spans(nlp, sentences: list[Sentence]) -> list[list[tuple[int, int]]]:
    from spacy.tokens import Doc

    docs = [Doc(nlp.vocab, words=words) for words, _ in sentences]
    return [[(e.start, e.end) for e in doc.ents] for doc in nlp.pipe(docs, batch_size=256)]


def score(gold: list[list[tuple[int, int]]], predicted: list[list[tuple[int, int]]]) -> dict[str, float]:
    """Strict (exact boundaries) and loose (any overlap) span precision, recall and F1."""

    def overlaps(a, b):
        return a[0] < b[1] and b[0] < a[1]

    n_gold = sum(len(g) for g in gold)
    n_pred = sum(len(p) for p in predicted)
    exact = sum(len(set(g) & set(p)) for g, p in zip(gold, predicted, strict=True))
    pred_hit = sum(sum(any(overlaps(x, y) for y in g) for x in p) for g, p in zip(gold, predicted, strict=True))
    gold_hit = sum(sum(any(overlaps(y, x) for x in p) for y in g) for g, p in zip(gold, predicted, strict=True))

    def f1(p, r):
        return 2 * p * r / (p + r) if p + r else 0.0

    sp, sr = exact / max(n_pred, 1), exact / max(n_gold, 1)
    lp, lr = pred_hit / max(n_pred, 1), gold_hit / max(n_gold, 1)
    return {
        "strict_p": sp, "strict_r": sr, "strict_f1": f1(sp, sr),
        "loose_p": lp, "loose_r": lr, "loose_f1": f1(lp, lr),
    }  # fmt: skip


def _selection_score(result: dict[str, float]) -> float:
    """What the search maximises: loose F1 (the target) plus strict F1 (boundaries), held-out scores alike noisy."""
    return result["loose_f1"] + result["strict_f1"]


def train(settings: dict, train_set: list, corpus_set: list, frames: list, heldout: list | None, log=print):
    """Train one model; returns (nlp, per-epoch held-out scores)."""
    from spacy.util import compounding, fix_random_seed, minibatch
    from thinc.api import Adam

    fix_random_seed(SEED)
    rng = random.Random(SEED)
    nlp = make_nlp(settings["width"], settings["depth"], settings["rows"], settings["hidden"])
    examples = [to_example(nlp, w, s) for w, s in train_set]
    examples += [to_example(nlp, w, s) for w, s in frames]
    examples += [to_example(nlp, w, s, missing_outside=True) for w, s in corpus_set]
    optimizer = Adam(settings["learn_rate"])
    nlp.initialize(lambda: examples, sgd=optimizer)
    history = []
    for epoch in range(settings["epochs"]):
        rng.shuffle(examples)
        losses: dict = {}
        started = time.perf_counter()
        for batch in minibatch(examples, size=compounding(8.0, 32.0, 1.001)):
            nlp.update(batch, drop=settings["dropout"], sgd=optimizer, losses=losses)
        line = f"  epoch {epoch + 1}: loss {losses.get('ner', 0):.0f} ({time.perf_counter() - started:.0f} s)"
        if heldout is not None:
            result = score([s for _, s in heldout], predict_spans(nlp, heldout))
            history.append(result)
            line += f"; held-out loose F1 {result['loose_f1']:.3f}, strict F1 {result['strict_f1']:.3f}"
        log(line)
        if heldout is not None:
            best = max(range(len(history)), key=lambda i: _selection_score(history[i]))
            if len(history) - 1 - best >= PATIENCE:
                break
    return nlp, history


# ---------------------------------------------------------------------- calibration


def calibrate_threshold(gazetteer, precision: float, limit: int, rng: random.Random) -> dict:
    """The lowest similarity threshold at which top-1 links of held-out vocabulary labels are right often enough.

    Queries are ``limit`` alternative or hidden labels of Skill and Technology concepts; the
    index is the fuzzy linker's own (:func:`~chaingraph.nlp.fuzzy.label_table`) less every
    label with a query's text, so a query cannot find itself, only its concept's other labels.
    """
    import numpy as np

    from chaingraph.nlp.fuzzy import LabelIndex, label_table, term_scores

    classes = ("Skill", "Technology")
    labels, targets, kinds = label_table(gazetteer, classes)
    preferred = {text.lower() for text, kind in zip(labels, kinds, strict=True) if kind == 0}
    candidates = sorted(
        {(text, target) for text, target, kind in zip(labels, targets, kinds, strict=True) if kind != 0}
    )
    # A text that is also some concept's preferred label has two right answers at best: not a query.
    candidates = [(text, target) for text, target in candidates if text.lower() not in preferred]
    rng.shuffle(candidates)
    queries = candidates[:limit]
    held_out = {text.lower() for text, _ in queries}
    kept = [(text, target) for text, target in zip(labels, targets, strict=True) if text.lower() not in held_out]
    index = LabelIndex([text for text, _ in kept], [target for _, target in kept])
    reachable = set(index.targets)
    queries = [(text, target) for text, target in queries if target in reachable]
    # The linker's own decision: nearest label, then the same-term check and whole-string score.
    found = term_scores(index, [q for q, _ in queries])
    scores = np.array([s for _, s in found])
    right = np.array(
        [i >= 0 and s > 0 and index.targets[i] == t for (i, s), (_, t) in zip(found, queries, strict=True)]
    )
    order = np.argsort(-scores, kind="stable")
    ranked = scores[order]
    precision_above = np.cumsum(right[order]) / np.arange(1, len(order) + 1)
    # A cut keeps every query scoring at least its score: only the last of tied scores is a cut.
    cuts = [k for k in range(len(order)) if k == len(order) - 1 or ranked[k + 1] < ranked[k]]
    good = [k for k in cuts if precision_above[k] >= precision and ranked[k] > 0]
    threshold = round(float(ranked[max(good)]), 3) if good else 1.0
    kept = scores >= threshold
    return {
        "link_threshold": threshold,
        "target_precision": precision,
        "queries": len(queries),
        "precision_at_threshold": round(float(right[kept].mean()) if kept.any() else 1.0, 4),
        "coverage_at_threshold": round(float(kept.mean()), 4),
        "top1_accuracy": round(float(right.mean()), 4),
    }


# ---------------------------------------------------------------------- main


SOURCES = [
    {
        "name": "SkillSpan (train splits, house and tech)",
        "url": "https://github.com/kris927b/SkillSpan",
        "license": "MIT",
        "author": "Zhang, Jensen, Sonniks, Plank (2022), SkillSpan: Hard and Soft Skill Extraction from English "
        "Job Postings, NAACL",
    },
    {"name": "chaingraph vocabularies and corpus (distant supervision)", "url": "ontologies/vocab/README.md"},
]

DEFAULTS = {
    "width": 64, "depth": 2, "rows": 10000, "hidden": 64, "dropout": 0.2, "learn_rate": 0.001, "epochs": 8,
    "frames": 0.5, "corpus": 1000,
}  # fmt: skip

# Width and depth are fixed by speed (the accurate profile must run at 20 k words/s on one core:
# width 64, depth 2 runs the recognizer at about 37 k words/s of CPU time; width 96, depth 4 at
# 12 k); the search is over the data mix and regularisation.
SEARCH = [
    {},
    {"frames": 0.0, "corpus": 0},
    {"frames": 1.0},
]
PATIENCE = 3  # a trial stops after this many epochs without a better held-out score


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of skillspan_*_train.conll")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--search", action="store_true", help="choose settings on a held-out slice of train first")
    parser.add_argument("--heldout", type=float, default=0.15, help="share of train held out by --search")
    parser.add_argument("--precision", type=float, default=0.95, help="precision the link threshold must keep")
    parser.add_argument("--calibration-queries", type=int, default=20000)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting")
    parser.add_argument(
        "--calibrate-only", action="store_true", help="only calibrate the link threshold again into --out's meta.json"
    )
    args = parser.parse_args(argv)

    from chaingraph.nlp.pipeline import build_pipeline

    if args.calibrate_only:
        gazetteer = build_pipeline("en", profile="fast").get_pipe("chaingraph_concepts").gazetteer
        calibration = calibrate_threshold(gazetteer, args.precision, args.calibration_queries, random.Random(SEED))
        print(f"calibration: {calibration}")
        meta_path = args.out / "meta.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        meta["chaingraph"].update(calibration)
        meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        return

    began = time.perf_counter()
    rng = random.Random(SEED)
    sentences = []
    for subset in ("house", "tech"):
        sentences += read_conll(args.data / f"skillspan_{subset}_train.conll")
    print(f"SkillSpan train: {len(sentences)} sentences, {sum(len(s) for _, s in sentences)} merged spans")
    nlp_fast = build_pipeline("en", profile="fast")
    gazetteer = nlp_fast.get_pipe("chaingraph_concepts").gazetteer
    labels = vocabulary_labels(gazetteer)
    corpus_all = corpus_sentences(nlp_fast, 100_000, random.Random(SEED))
    print(f"distant supervision: {len(labels)} vocabulary labels, {len(corpus_all)} corpus sentences with mentions")

    settings = dict(DEFAULTS)
    for item in args.set:
        key, value = item.split("=", 1)
        settings[key] = type(DEFAULTS[key])(value)

    search_log = []
    if args.search:
        shuffled = sentences[:]
        random.Random(SEED).shuffle(shuffled)
        cut = int(len(shuffled) * args.heldout)
        heldout, rest = shuffled[:cut], shuffled[cut:]
        best = None
        for change in SEARCH:
            trial = {**settings, **change}
            print(f"trial {change or 'defaults'}")
            frames = vocabulary_frames(rest, labels, int(trial["frames"] * len(rest)), random.Random(SEED))
            _nlp, history = train(trial, rest, corpus_all[: trial["corpus"]], frames, heldout)
            epoch = max(range(len(history)), key=lambda i: _selection_score(history[i]))
            result = {**history[epoch], "epochs": epoch + 1}
            search_log.append({"change": change, **{k: round(v, 4) for k, v in result.items()}})
            key = _selection_score(result)
            if best is None or key > best[0]:
                best = (key, {**trial, "epochs": epoch + 1})
        settings = best[1]
        print(f"chosen: {settings}")

    frames = vocabulary_frames(sentences, labels, int(settings["frames"] * len(sentences)), rng)
    print(f"training on all of train: {settings}")
    nlp, _ = train(settings, sentences, corpus_all[: settings["corpus"]], frames, None)
    calibration = calibrate_threshold(gazetteer, args.precision, args.calibration_queries, random.Random(SEED))
    print(f"calibration: {calibration}")

    if args.out.exists():
        shutil.rmtree(args.out)
    nlp.meta["name"] = "span_finder_en"
    nlp.meta["version"] = "1.0.0"
    nlp.meta["description"] = "chaingraph span finder (one label, SKILL), trained by scripts/train_span_finder.py"
    nlp.meta["sources"] = SOURCES
    nlp.meta["chaingraph"] = {
        **calibration,
        "settings": settings,
        "search": search_log,
        "seed": SEED,
        "training_data": {
            "skillspan_train_sentences": len(sentences),
            "vocabulary_frames": len(frames),
            "corpus_sentences": min(settings["corpus"], len(corpus_all)),
        },
        "training_seconds": round(time.perf_counter() - began),
    }
    nlp.to_disk(args.out)
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"wrote {args.out} ({size / 1e6:.1f} MB) in {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
