"""Skill and knowledge extraction on SkillSpan dev, and linking precision on the judged sample, per profile.

    python bench/eval_extraction.py [--data DIR] [--profiles spine,fast,accurate] [--limit N]
                                    [--judged bench/data/judged_mentions.jsonl] [--json FILE]

Data
    SkillSpan (Zhang et al., NAACL 2022) dev, subsets HOUSE and TECH: English job-posting sentences
    with one token per line, ``token TAB skill-BIO TAB knowledge-BIO`` and a blank line between
    sentences (``../shared/data/skillspan-dev/SOURCE.md`` beside the project). Only the dev split is read: the
    accurate profile's span finder must not have seen it.

Gold
    The skill spans and the knowledge spans of a sentence, merged into one set of token spans
    (a span annotated in both layers counts once). Each layer is also scored on its own.

Predicted
    The pipeline runs over the sentence's tokens joined by single spaces, so it tokenises as it
    does real text; its mentions of class ``Skill`` or ``Technology`` and its unlinked candidates
    (mentions with concept ``""``) are mapped back to token spans: from the token holding the
    mention's first character to the token holding its last. A mention that cuts a token
    ("problem" in "problem-solving") is thereby widened to whole tokens.

Scores (micro-averaged over all sentences)
    - ``strict``: a predicted span is right when a gold span of the same sentence has exactly its
      first and last token. P = right / predicted, R = right / gold.
    - ``loose``: a predicted span is right when it shares at least one token with some gold span
      of its sentence, and a gold span is found when at least one predicted span shares a token
      with it. P = right predicted / predicted, R = found gold / gold (several predictions may
      find one gold span and one prediction may find several, so the two counts can differ).

    F1 is the harmonic mean of P and R (0 when both are 0).

Profiles (rows)
    ``spine``: the concept linker on the vocabulary labels alone (``build_pipeline("en",
    linker_config={"generated_aliases": False})``); ``fast``: the default profile (labels and the
    forms generated from them); ``accurate``: ``fast`` plus the statistical span finder and the
    fuzzy linker (``build_pipeline("en", profile="accurate")``). A profile this checkout cannot
    build is reported and skipped.

Judged sample
    ``bench/data/judged_mentions.jsonl`` (drawn by ``bench/draw_judged_sample.py``, judged by hand,
    guidelines in ``bench/data/README_judged.md``) lists linked mentions of the demo corpus with
    the profiles that produce each. Linking precision of a profile = judged correct / judged,
    over the sample's mentions that profile produces.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from scoring import PRF  # noqa: E402  (a sibling script of bench/, not a package)

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "skillspan-dev"
DEFAULT_JUDGED = ROOT / "bench" / "data" / "judged_mentions.jsonl"
DEFAULT_DIFFERENCES = ROOT / "bench" / "data" / "judged_differences.jsonl"
SUBSETS = ("house", "tech")
PROFILES = ("spine", "fast", "accurate")
#: Mentions of these classes are skill or knowledge predictions; so are unlinked candidates.
PREDICTED_CLASSES = frozenset({"Skill", "Technology"})

Span = tuple[int, int]  # first token, one past the last token


class Sentence(NamedTuple):
    """One SkillSpan sentence: its tokens and the gold token spans of each layer."""

    tokens: tuple[str, ...]
    skill: frozenset[Span]
    knowledge: frozenset[Span]

    @property
    def merged(self) -> frozenset[Span]:
        return self.skill | self.knowledge


def bio_spans(tags: Sequence[str]) -> frozenset[Span]:
    """Token spans of a BIO tag sequence; an ``I-`` after ``O`` starts a span.

    >>> sorted(bio_spans(["B-Skill", "I-Skill", "O", "I-Skill", "B-Skill"]))
    [(0, 2), (3, 4), (4, 5)]
    """
    spans, start = [], None
    for i, tag in enumerate(tags):
        if tag.startswith("B-") or (tag.startswith("I-") and start is None):
            if start is not None:
                spans.append((start, i))
            start = i
        elif not tag.startswith("I-"):
            if start is not None:
                spans.append((start, i))
            start = None
    if start is not None:
        spans.append((start, len(tags)))
    return frozenset(spans)


def read_conll(path: Path) -> list[Sentence]:
    """The sentences of one SkillSpan CoNLL file."""
    sentences: list[Sentence] = []
    rows: list[list[str]] = []

    def flush() -> None:
        if rows:
            tokens = tuple(r[0] for r in rows)
            sentences.append(Sentence(tokens, bio_spans([r[1] for r in rows]), bio_spans([r[2] for r in rows])))
            rows.clear()

    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            line = line.rstrip("\n")
            if not line.strip():
                flush()
                continue
            fields = line.split("\t")
            if len(fields) != 3:
                raise ValueError(f"{path}:{number}: expected token TAB skill-BIO TAB knowledge-BIO, got {line!r}")
            rows.append(fields)
    flush()
    return sentences


def joined(tokens: Sequence[str]) -> tuple[str, list[int]]:
    """The tokens joined by single spaces, and each token's start offset in that text."""
    starts, offset = [], 0
    for token in tokens:
        starts.append(offset)
        offset += len(token) + 1
    return " ".join(tokens), starts


def token_span(starts: Sequence[int], start: int, end: int) -> Span:
    """The tokens holding characters ``start`` to ``end - 1`` of the joined text."""
    from bisect import bisect_right

    return bisect_right(starts, start) - 1, bisect_right(starts, end - 1)


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score(gold: Sequence[Iterable[Span]], pred: Sequence[Iterable[Span]]) -> dict[str, PRF]:
    """Strict and loose scores of ``pred`` against ``gold``, one collection of spans per sentence."""
    if len(gold) != len(pred):
        raise ValueError("gold and pred must hold the same number of sentences")
    strict = loose_p = loose_g = n_gold = n_pred = 0
    for g, p in zip(gold, pred, strict=True):
        g, p = set(g), set(p)
        n_gold += len(g)
        n_pred += len(p)
        strict += len(g & p)
        loose_p += sum(1 for x in p if any(_overlaps(x, y) for y in g))
        loose_g += sum(1 for y in g if any(_overlaps(x, y) for x in p))
    return {"strict": PRF.exact(strict, n_pred, n_gold), "loose": PRF(loose_p, n_pred, loose_g, n_gold)}


def build_profile(name: str):
    """The English pipeline of a profile row (see the module docstring)."""
    from chaingraph.nlp.pipeline import build_pipeline

    if name == "spine":
        return build_pipeline("en", linker_config={"generated_aliases": False})
    if name in ("fast", "accurate"):
        return build_pipeline("en", profile=name)
    raise ValueError(f"unknown profile {name!r}: choose from {', '.join(PROFILES)}")


def predict(nlp, sentences: Sequence[Sentence]) -> list[set[Span]]:
    """Skill and knowledge token spans the pipeline finds in each sentence."""
    from chaingraph.nlp.pipeline import extract_docs

    texts = [joined(s.tokens) for s in sentences]
    found = []
    for (_text, starts), extraction in zip(texts, extract_docs(nlp, ((t, None) for t, _ in texts)), strict=True):
        found.append(
            {
                token_span(starts, m.start, m.end)
                for m in extraction.mentions
                if m.cls in PREDICTED_CLASSES or not m.concept
            }
        )
    return found


def judged_precision(records: Sequence[dict], profile: str) -> dict:
    """Linking precision of ``profile`` over the judged mentions it produces."""
    produced = [r for r in records if profile in r.get("profiles", ())]
    judged = [r for r in produced if r.get("correct") is not None]
    right = sum(1 for r in judged if r["correct"])
    return {
        "sample": len(records),
        "produced": len(produced),
        "judged": len(judged),
        "correct": right,
        "precision": round(right / len(judged), 4) if judged else None,
    }


def spine_against_fast(differences: Sequence[dict], sample: Sequence[dict]) -> dict | None:
    """Each profile's precision over all its links, from the census of the links where the spine and
    fast profiles differ and the sample's precision over the links both produce (see the module)."""
    judged = [r for r in differences if r.get("correct") is not None]
    both = [r for r in sample if r.get("correct") is not None and {"spine", "fast"} <= set(r.get("profiles", ()))]
    if not judged or len(judged) < len(differences) or not both or "links" not in differences[0]:
        return None
    links = differences[0]["links"]
    p_both = sum(r["correct"] for r in both) / len(both)
    result = {"p_both": round(p_both, 4), "both_judged": len(both), "links": links}
    for profile in ("spine", "fast"):
        own = [r for r in judged if set(r["profiles"]) - {"accurate"} == {profile}]
        right = sum(r["correct"] for r in own)
        result[profile] = {
            "extra": len(own),
            "extra_correct": right,
            "precision": round((p_both * links["both"] + right) / links[profile], 4),
        }
    return result


def read_judged(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _row(name: str, scores: dict[str, PRF]) -> str:
    s, lo = scores["strict"], scores["loose"]
    return (
        f"{name:<10}{s.precision:>7.3f}{s.recall:>7.3f}{s.f1:>7.3f}"
        f"   {lo.precision:>7.3f}{lo.recall:>7.3f}{lo.f1:>7.3f}   {s.n_pred:>6} pred"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of skillspan_{house,tech}_dev.conll")
    parser.add_argument("--profiles", default=",".join(PROFILES), help="comma-separated rows (default: all)")
    parser.add_argument("--limit", type=int, help="score only the first N sentences")
    parser.add_argument("--judged", type=Path, default=DEFAULT_JUDGED, help="the judged sample (jsonl)")
    parser.add_argument("--json", type=Path, help="also write the scores to this file")
    parser.add_argument(
        "--differences", type=Path, default=DEFAULT_DIFFERENCES, help="the judged links where spine and fast differ"
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    sentences: list[Sentence] = []
    for subset in SUBSETS:
        path = args.data / f"skillspan_{subset}_dev.conll"
        if not path.exists():
            parser.error(f"{path} not found: pass --data with the folder holding the SkillSpan dev files")
        sentences += read_conll(path)
    if args.limit:
        sentences = sentences[: args.limit]
    gold = {
        "merged": [s.merged for s in sentences],
        "skill": [s.skill for s in sentences],
        "knowledge": [s.knowledge for s in sentences],
    }
    judged = read_judged(args.judged)
    names = [n.strip() for n in args.profiles.split(",") if n.strip()]

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"SkillSpan dev (house + tech): {len(sentences)} sentences, {sum(len(s.tokens) for s in sentences)} tokens, "
        f"gold spans: {sum(map(len, gold['merged']))} merged "
        f"({sum(map(len, gold['skill']))} skill, {sum(map(len, gold['knowledge']))} knowledge)"
    )
    results: dict[str, dict] = {}
    unavailable: dict[str, str] = {}
    for name in names:
        t0 = time.perf_counter()
        try:
            nlp = build_profile(name)
        except (TypeError, ValueError, KeyError, ImportError, OSError) as error:
            # An older checkout lacks a profile or a linker switch: report it, score the rest.
            unavailable[name] = f"{type(error).__name__}: {error}".splitlines()[0][:200]
            print(f"  {name}: not available in this checkout ({unavailable[name]})")
            continue
        t1 = time.perf_counter()
        pred = predict(nlp, sentences)
        t2 = time.perf_counter()
        del nlp
        results[name] = {
            "pipeline_seconds": round(t1 - t0, 1),
            "extract_seconds": round(t2 - t1, 1),
            "scores": {layer: score(g, pred) for layer, g in gold.items()},
            "judged": judged_precision(judged, name) if judged else None,
        }

    for layer in ("merged", "skill", "knowledge"):
        title = "skill + knowledge merged" if layer == "merged" else f"{layer} layer only (predictions untyped)"
        print(f"\n{title}")
        print(f"{'':<10}{'strict P':>9}{'R':>5}{'F1':>7}   {'loose P':>8}{'R':>6}{'F1':>7}")
        for name, result in results.items():
            print(_row(name, result["scores"][layer]))

    print(f"\nlinking precision on the judged sample ({args.judged.name}):")
    if not judged:
        print("  no judged sample yet (bench/draw_judged_sample.py draws it)")
    for name, result in results.items():
        j = result["judged"]
        if not j:
            continue
        if j["precision"] is None:
            print(f"  {name:<10} no judged mention (produces {j['produced']} of {j['sample']})")
        else:
            print(
                f"  {name:<10}{j['precision']:>6.3f}  (n = {j['judged']} judged; {j['correct']} correct; "
                f"produces {j['produced']} of {j['sample']})"
            )
    compared = spine_against_fast(read_judged(args.differences), judged) if judged else None
    if compared:
        links = compared["links"]
        print(
            f"\nspine against fast over all their links ({args.differences.name}: every link only one produces, "
            f"judged; links both produce: {links['both']}, precision {compared['p_both']:.3f} on the "
            f"{compared['both_judged']} of them in the judged sample):"
        )
        for name in ("spine", "fast"):
            c = compared[name]
            print(
                f"  {name:<10}{c['precision']:>6.3f}  ({links[name]} links; {c['extra']} only {name} produces, "
                f"{c['extra_correct']} of them correct)"
            )
    for name, result in results.items():
        built, ran = result["pipeline_seconds"], result["extract_seconds"]
        print(f"  ({name}: pipeline built in {built} s, extracted in {ran} s)")
    elapsed = time.perf_counter() - started
    print(f"time taken: {elapsed:.1f} s")

    if args.json:
        payload = {
            "machine": {"arch": platform.machine(), "cores": os.cpu_count(), "python": platform.python_version()},
            "data": str(args.data),
            "sentences": len(sentences),
            "unavailable": unavailable,
            "profiles": {
                name: {
                    **{k: v for k, v in result.items() if k != "scores"},
                    "scores": {
                        layer: {kind: prf.as_dict() for kind, prf in scores.items()}
                        for layer, scores in result["scores"].items()
                    },
                }
                for name, result in results.items()
            },
            "spine_against_fast": compared,
            "seconds": round(elapsed, 1),
        }
        args.json.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
