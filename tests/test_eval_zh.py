"""The Chinese linking dev set is well formed, and ``bench/eval_zh.py`` scores as computed by hand."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "bench" / "data" / "zh_dev_sentences.jsonl"
CORPUS = ROOT / "corpora" / "policy-cn"
CLASSES = {"Programme", "Course", "Occupation", "Skill", "Industry", "Technology"}


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def eval_zh():
    return _load("eval_zh")


@pytest.fixture(scope="module")
def records() -> list[dict]:
    with DEV.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def test_dev_set_sentences_are_drawn_from_the_laws(records):
    assert len(records) >= 150
    assert len({r["id"] for r in records}) == len(records)
    assert len({r["text"] for r in records}) == len(records)
    files = {}
    for r in records:
        assert set(r) == {"id", "source", "start", "end", "stratum", "text", "mentions", "gaps"}, r["id"]
        assert r["stratum"] in {"keyword", "uniform"}
        if r["source"] not in files:
            files[r["source"]] = (CORPUS / r["source"]).read_text(encoding="utf-8")
        assert files[r["source"]][r["start"] : r["end"]] == r["text"], r["id"]
    strata = [r["stratum"] for r in records]
    assert abs(strata.count("keyword") - strata.count("uniform")) <= 1


def test_dev_set_spans_match_their_text(records):
    n_mentions = 0
    for r in records:
        text, taken = r["text"], []
        for m in r["mentions"]:
            assert set(m) == {"start", "end", "text", "concept"}, r["id"]
            assert 0 <= m["start"] < m["end"] <= len(text) and text[m["start"] : m["end"]] == m["text"], (r["id"], m)
            taken.append((m["start"], m["end"]))
            n_mentions += 1
        for g in r["gaps"]:
            assert set(g) == {"start", "end", "text", "note"} and g["note"], r["id"]
            assert text[g["start"] : g["end"]] == g["text"], (r["id"], g)
            taken.append((g["start"], g["end"]))
        taken.sort()
        for (_, end), (start, _) in zip(taken, taken[1:], strict=False):
            assert end <= start, f"{r['id']}: mentions and gaps must not overlap"
    assert n_mentions >= 50


def test_dev_set_sample_is_reproducible():
    sampler = _load("sample_zh_sentences")
    assert sampler.main(["--check", "--out", str(DEV)]) == 0


def test_every_gold_concept_is_in_the_shipped_vocabularies(records):
    from chaingraph.nlp.gazetteer import read_concepts, vocab_files

    wanted = {m["concept"] for r in records for m in r["mentions"]}
    found = {c.iri: c for c in read_concepts(vocab_files()) if c.iri in wanted}
    assert wanted - set(found) == set()
    for iri, concept in found.items():
        assert concept.cls in CLASSES, iri
        assert concept.pref_labels.get("zh") or concept.pref_labels.get("en"), iri


def test_scores_on_a_hand_computed_example(eval_zh):
    gold = [[(0, 2, "A"), (3, 5, "B")], [(0, 4, "C")]]
    pred = [[(0, 2, "A"), (3, 6, "B"), (7, 9, "D")], [(0, 4, "X")]]
    s = eval_zh.score(gold, pred)
    # strict: only (0, 2, A) is right; 4 predicted, 3 gold
    assert (s["strict"].p_hits, s["strict"].n_pred, s["strict"].n_gold) == (1, 4, 3)
    assert s["strict"].precision == pytest.approx(1 / 4) and s["strict"].recall == pytest.approx(1 / 3)
    assert s["strict"].f1 == pytest.approx(2 * (1 / 4) * (1 / 3) / (1 / 4 + 1 / 3))
    # overlap: (3, 6, B) overlaps (3, 5, B) as well
    assert s["overlap"].precision == pytest.approx(2 / 4) and s["overlap"].recall == pytest.approx(2 / 3)
    # concept level: {A, B, D} vs {A, B} and {X} vs {C}
    assert (s["concept"].p_hits, s["concept"].n_pred, s["concept"].n_gold) == (2, 4, 3)
    # identifying X with C makes the second sentence right at every level
    s = eval_zh.score(gold, pred, {"X": "C"})
    assert s["strict"].precision == pytest.approx(2 / 4) and s["strict"].recall == pytest.approx(2 / 3)
    assert s["concept"].recall == pytest.approx(3 / 3)
    # nothing predicted: precision and F1 are 0, not an error
    s = eval_zh.score(gold, [[], []])
    assert (s["strict"].precision, s["strict"].recall, s["strict"].f1) == (0.0, 0.0, 0.0)


def test_overlap_matching_is_one_to_one(eval_zh):
    gold = [(0, 4, "A")]
    pred = [(0, 2, "A"), (2, 4, "A")]
    assert eval_zh.match_overlap(gold, pred) == [(0, 0)]


def test_same_name_group_and_class_are_one_industry(eval_zh):
    from chaingraph.resources import vocab_dir

    same = eval_zh.same_industries(vocab_dir())
    g = "https://w3id.org/chaingraph/id/gbt4754/"
    assert same[g + "P835"] == g + "P8350"  # 特殊教育: a group holding one class of its name
    assert g + "P834" not in same  # 高等教育 holds two classes
    assert g + "M753" in same and same[g + "M753"] == g + "M7530"
