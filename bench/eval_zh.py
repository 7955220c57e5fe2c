"""Precision and recall of the Chinese concept linker on the hand-annotated dev set.

    python bench/eval_zh.py [--data bench/data/zh_dev_sentences.jsonl] [--show 25] [--json FILE] [--iris-as-is]

Runs the ``zh`` pipeline (:func:`chaingraph.nlp.pipeline.load_pipeline`) over the ``text`` of every
sentence of the dev set (``bench/data/README_zh_dev.md`` describes the file and the annotation
guidelines) and compares its mentions with the gold ``mentions``. The ``gaps`` (spans a reader
would link but no concept exists for) are not scored.

The scores (micro-averaged over all sentences)
    - ``strict``: a predicted mention is right when a gold mention of the same sentence has the
      same start, end and concept;
    - ``overlap``: same concept, spans overlapping (one-to-one, in text order);
    - ``concept``: per sentence, the set of distinct predicted concepts against the set of gold
      concepts, whatever the spans.

    Precision is right / predicted, recall is right / gold, F1 their harmonic mean (0 when
    undefined). Concepts are compared after one identification: a GB/T 4754 group that holds a
    single class of the same name was added to the vocabulary with that class's label
    (``ontologies/vocab/README.md``), so the two IRIs name one industry and count as the same
    concept (``P835`` = ``P8350`` 特殊教育); ``--iris-as-is`` turns this off.

Also printed: the strict counts per class (the gold class for recall, the predicted class for
precision), the scores per sampling stratum, and the false positives and misses grouped by span
text and concept, most frequent first. A false positive is ``wrong concept`` when a gold mention
has the same span, ``boundary`` when one overlaps it with the same concept, ``overlaps gold`` when
one overlaps it with another concept, and ``spurious`` otherwise. A miss shows what was predicted
over it, or else whether its concept has no Chinese label, has the span as a Chinese label (the
linker did not match it), or has other Chinese labels only (listed).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from scoring import PRF  # noqa: E402  (a sibling script of bench/, not a package)

DEFAULT_DATA = ROOT / "bench" / "data" / "zh_dev_sentences.jsonl"

SKOS = "http://www.w3.org/2004/02/skos/core#"
CG = "https://w3id.org/chaingraph/ontology#"

Span = tuple[int, int, str]  # (start, end, concept IRI)


def _canon(canon: dict[str, str] | None, iri: str) -> str:
    return canon.get(iri, iri) if canon else iri


def match_strict(gold: Iterable[Span], pred: Iterable[Span], canon: dict[str, str] | None = None) -> set[Span]:
    """The predicted spans (canonical concept) that a gold span equals."""
    g = {(s, e, _canon(canon, c)) for s, e, c in gold}
    return {(s, e, _canon(canon, c)) for s, e, c in pred} & g


def match_overlap(
    gold: Sequence[Span], pred: Sequence[Span], canon: dict[str, str] | None = None
) -> list[tuple[int, int]]:
    """One-to-one pairs ``(gold index, pred index)`` with the same concept and overlapping spans."""
    used: set[int] = set()
    pairs = []
    for j, (ps, pe, pc) in sorted(enumerate(pred), key=lambda x: (x[1][0], x[1][1])):
        pc = _canon(canon, pc)
        for i, (gs, ge, gc) in sorted(enumerate(gold), key=lambda x: (x[1][0], x[1][1])):
            if i not in used and gs < pe and ps < ge and _canon(canon, gc) == pc:
                used.add(i)
                pairs.append((i, j))
                break
    return pairs


def score(
    gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]], canon: dict[str, str] | None = None
) -> dict[str, PRF]:
    """Strict, overlap and concept-level scores of ``pred`` against ``gold`` (one list per sentence)."""
    if len(gold) != len(pred):
        raise ValueError("gold and pred must hold the same number of sentences")
    strict = overlap = concept = 0
    n_gold = n_pred = n_gold_c = n_pred_c = 0
    for g, p in zip(gold, pred, strict=True):
        g_set = {(s, e, _canon(canon, c)) for s, e, c in g}
        p_set = {(s, e, _canon(canon, c)) for s, e, c in p}
        n_gold += len(g_set)
        n_pred += len(p_set)
        strict += len(match_strict(g_set, p_set))
        overlap += len(match_overlap(sorted(g_set), sorted(p_set)))
        g_c, p_c = {c for _, _, c in g_set}, {c for _, _, c in p_set}
        n_gold_c += len(g_c)
        n_pred_c += len(p_c)
        concept += len(g_c & p_c)
    return {
        "strict": PRF.exact(strict, n_pred, n_gold),
        "overlap": PRF.exact(overlap, n_pred, n_gold),
        "concept": PRF.exact(concept, n_pred_c, n_gold_c),
    }


def read_dev(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def same_industries(vocab_path: Path) -> dict[str, str]:
    """GB/T 4754 group IRI -> class IRI, for groups holding a single class of the same zh name."""
    import pyoxigraph as ox

    path = vocab_path / "gbt4754.ttl.gz"
    if not path.exists():
        return {}
    zh: dict[str, str] = {}
    children: dict[str, list[str]] = defaultdict(list)
    with gzip.open(path, "rb") as stream:
        for t in ox.parse(stream, format=ox.RdfFormat.TURTLE):
            p = t.predicate.value
            if p == SKOS + "prefLabel" and t.object.language == "zh":
                zh[t.subject.value] = t.object.value
            elif p == SKOS + "broader":
                children[t.object.value].append(t.subject.value)
    return {
        parent: kids[0]
        for parent, kids in children.items()
        if len(kids) == 1 and parent in zh and zh.get(kids[0]) == zh[parent]
    }


def chinese_labels(iris: set[str]) -> dict[str, set[str]]:
    """Every zh label (pref, alt, hidden) of the concepts ``iris``, from the shipped vocabularies."""
    from chaingraph.nlp.gazetteer import read_concepts, vocab_files

    return {
        c.iri: {text for text, lang, _kind in c.labels if lang == "zh"}
        for c in read_concepts(vocab_files())
        if c.iri in iris
    }


def _spans(items: Iterable[dict]) -> list[Span]:
    return [(m["start"], m["end"], m["concept"]) for m in items]


def _fmt(name: str, pr: PRF) -> str:
    return (
        f"{name:<15}{pr.precision:>7.3f}{pr.recall:>8.3f}{pr.f1:>8.3f}"
        f"   ({pr.p_hits} right / {pr.n_pred} predicted / {pr.n_gold} gold)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--show", type=int, default=25, help="false positives and misses to list (default 25 each)")
    parser.add_argument("--json", type=Path, help="also write the scores and errors to this file")
    parser.add_argument(
        "--iris-as-is", action="store_true", help="do not identify a GB/T group with its single same-name class"
    )
    args = parser.parse_args(argv)

    from chaingraph.nlp.pipeline import extract_text, load_pipeline
    from chaingraph.resources import vocab_dir

    records = read_dev(args.data)
    t0 = time.perf_counter()
    nlp = load_pipeline("zh")
    gazetteer = nlp.get_pipe("chaingraph_concepts").gazetteer
    canon = {} if args.iris_as_is else same_industries(vocab_dir())
    t1 = time.perf_counter()

    def cls_of(iri: str) -> str:
        info = gazetteer.concept(iri)
        return info.cls if info else "?"

    def label_of(iri: str) -> str:
        info = gazetteer.concept(iri)
        if not info:
            return iri
        zh, en = info.pref_labels.get("zh"), info.pref_labels.get("en")
        return " / ".join(x for x in (zh, en) if x) or iri

    zh_labels = chinese_labels({iri for r in records for iri in (m["concept"] for m in r["mentions"])})

    def why_missed(iri: str, span: str) -> str:
        labels = zh_labels.get(iri, set())
        if not labels:
            return "concept has no zh label"
        if span in labels:
            return "span is a zh label of the concept"
        return "zh labels: " + "|".join(sorted(labels))

    gold, pred, pred_cls = [], [], []
    for record in records:
        mentions = extract_text(record["text"], nlp=nlp).mentions
        gold.append(_spans(record["mentions"]))
        pred.append([(m.start, m.end, m.concept) for m in mentions])
        pred_cls.append({(m.start, m.end, m.concept): m.cls for m in mentions})
    t2 = time.perf_counter()

    scores = score(gold, pred, canon)
    n_gaps = sum(len(r.get("gaps", ())) for r in records)
    print(
        f"zh linking dev set {args.data.relative_to(ROOT) if args.data.is_relative_to(ROOT) else args.data}: "
        f"{len(records)} sentences, {scores['strict'].n_gold} gold mentions ({n_gaps} vocabulary gaps, not scored), "
        f"{scores['strict'].n_pred} predicted"
    )
    print(f"(pipeline loaded in {t1 - t0:.1f} s, linked in {t2 - t1:.1f} s)\n")
    print(f"{'':<15}{'P':>7}{'R':>8}{'F1':>8}")
    for name in ("strict", "overlap", "concept"):
        print(_fmt(name, scores[name]))

    # per class, strict
    per_gold, per_pred, per_tp = Counter(), Counter(), Counter()
    for g, p, pc in zip(gold, pred, pred_cls, strict=True):
        right = match_strict(g, p, canon)
        for s, e, c in g:
            per_gold[cls_of(c)] += 1
            if (s, e, _canon(canon, c)) in right:
                per_tp[cls_of(c)] += 1
        for span in p:
            per_pred[pc[span]] += 1
    print("\nper class (strict): class, gold, predicted, right, P, R")
    for cls in sorted(set(per_gold) | set(per_pred)):
        precision = per_tp[cls] / per_pred[cls] if per_pred[cls] else 0.0
        recall = per_tp[cls] / per_gold[cls] if per_gold[cls] else 0.0
        print(f"  {cls:<11}{per_gold[cls]:>5}{per_pred[cls]:>6}{per_tp[cls]:>6}{precision:>8.3f}{recall:>8.3f}")

    strata = sorted({r.get("stratum", "") for r in records})
    if len(strata) > 1:
        print("\nper stratum (strict P / R, concept P / R):")
        for stratum in strata:
            idx = [i for i, r in enumerate(records) if r.get("stratum", "") == stratum]
            sub = score([gold[i] for i in idx], [pred[i] for i in idx], canon)
            print(
                f"  {stratum:<9}{len(idx):>4} sentences, {sub['strict'].n_gold:>3} gold: "
                f"strict {sub['strict'].precision:.3f} / {sub['strict'].recall:.3f}, "
                f"concept {sub['concept'].precision:.3f} / {sub['concept'].recall:.3f}"
            )

    # errors, grouped by span text and concept
    fps: dict[tuple, list[str]] = defaultdict(list)
    misses: dict[tuple, list[str]] = defaultdict(list)
    for record, g, p, pc in zip(records, gold, pred, pred_cls, strict=True):
        text, right = record["text"], match_strict(g, p, canon)
        for s, e, c in p:
            if (s, e, _canon(canon, c)) in right:
                continue
            same_span = [gc for gs, ge, gc in g if (gs, ge) == (s, e)]
            over = [gc for gs, ge, gc in g if gs < e and s < ge]
            if same_span:
                kind = f"wrong concept (gold: {label_of(same_span[0])})"
            elif any(_canon(canon, gc) == _canon(canon, c) for gc in over):
                kind = "boundary"
            elif over:
                kind = f"overlaps gold {label_of(over[0])}"
            else:
                kind = "spurious"
            fps[(text[s:e], c, pc[(s, e, c)], kind)].append(record["id"])
        right_gold = {(s, e, c) for s, e, c in g if (s, e, _canon(canon, c)) in right}
        for s, e, c in g:
            if (s, e, c) in right_gold:
                continue
            found = [pc[(ps, pe, x)] + ":" + label_of(x) for ps, pe, x in p if ps < e and s < pe]
            kind = "predicted " + "; ".join(found) if found else why_missed(c, text[s:e])
            misses[(text[s:e], c, cls_of(c), kind)].append(record["id"])

    def show(title: str, groups: dict[tuple, list[str]]) -> None:
        total = sum(len(v) for v in groups.values())
        print(f"\n{title}: {total} ({len(groups)} distinct)")
        ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0][0]))
        for (span, concept, cls, kind), ids in ranked[: args.show]:
            where = ", ".join(ids[:3]) + (" …" if len(ids) > 3 else "")
            print(f"  {len(ids):>3}× {span}  → {label_of(concept)} [{cls}]  {kind}  ({where})")

    show("false positives (strict)", fps)
    show("misses (strict)", misses)

    if args.json:
        payload = {
            "data": str(args.data),
            "sentences": len(records),
            "gaps": n_gaps,
            "scores": {k: v.as_dict() for k, v in scores.items()},
            "false_positives": [
                {"text": k[0], "concept": k[1], "cls": k[2], "kind": k[3], "ids": v} for k, v in fps.items()
            ],
            "misses": [{"text": k[0], "concept": k[1], "cls": k[2], "kind": k[3], "ids": v} for k, v in misses.items()],
        }
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
