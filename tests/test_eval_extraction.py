"""``bench/eval_extraction.py``: the strict and loose span scores, worked out by hand."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ev():
    spec = importlib.util.spec_from_file_location("eval_extraction", ROOT / "bench" / "eval_extraction.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_extraction"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


class TestScore:
    # sentence 1: gold (0,2) (4,5); predicted (0,2) exact, (3,5) overlapping (4,5), (7,8) spurious
    # sentence 2: gold (1,4); predicted (0,2) and (3,4), both overlapping it, neither exact
    # sentence 3: gold (2,3); nothing predicted
    GOLD = [{(0, 2), (4, 5)}, {(1, 4)}, {(2, 3)}]
    PRED = [{(0, 2), (3, 5), (7, 8)}, {(0, 2), (3, 4)}, set()]

    def test_strict(self, ev):
        strict = ev.score(self.GOLD, self.PRED)["strict"]
        # 1 exact of 5 predicted, of 4 gold
        assert (strict.p_hits, strict.n_pred, strict.g_hits, strict.n_gold) == (1, 5, 1, 4)
        assert strict.precision == pytest.approx(0.2)
        assert strict.recall == pytest.approx(0.25)
        assert strict.f1 == pytest.approx(2 * 0.2 * 0.25 / 0.45)  # 0.2222

    def test_loose(self, ev):
        loose = ev.score(self.GOLD, self.PRED)["loose"]
        # predictions touching gold: (0,2) (3,5) | (0,2) (3,4) = 4 of 5;
        # gold touched: (0,2) (4,5) | (1,4) = 3 of 4
        assert (loose.p_hits, loose.n_pred, loose.g_hits, loose.n_gold) == (4, 5, 3, 4)
        assert loose.precision == pytest.approx(0.8)
        assert loose.recall == pytest.approx(0.75)
        assert loose.f1 == pytest.approx(2 * 0.8 * 0.75 / 1.55)  # 0.7742

    def test_nothing_predicted_scores_zero_not_an_error(self, ev):
        scores = ev.score([{(0, 1)}], [set()])
        assert (scores["strict"].precision, scores["strict"].recall, scores["strict"].f1) == (0.0, 0.0, 0.0)

    def test_sentence_counts_must_agree(self, ev):
        with pytest.raises(ValueError, match="same number of sentences"):
            ev.score([set()], [])


class TestReading:
    def test_bio_spans(self, ev):
        assert ev.bio_spans(["O", "B-Skill", "I-Skill", "O", "I-Skill", "B-Skill", "B-Skill"]) == {
            (1, 3),
            (4, 5),
            (5, 6),
            (6, 7),
        }

    def test_read_conll_merges_layers(self, ev, tmp_path):
        path = tmp_path / "x.conll"
        path.write_text(
            "Strong\tO\tO\nPython\tB-Skill\tB-Knowledge\nskills\tI-Skill\tO\n\nUse\tB-Skill\tO\nGit\tI-Skill\tB-Knowledge\n\n",
            encoding="utf-8",
        )
        first, second = ev.read_conll(path)
        assert first.tokens == ("Strong", "Python", "skills")
        assert (first.skill, first.knowledge, first.merged) == ({(1, 3)}, {(1, 2)}, {(1, 3), (1, 2)})
        assert (second.skill, second.knowledge) == ({(0, 2)}, {(1, 2)})

    def test_bad_line_names_file_and_line(self, ev, tmp_path):
        path = tmp_path / "bad.conll"
        path.write_text("Python\tB-Skill\n", encoding="utf-8")
        with pytest.raises(ValueError, match=r"bad.conll:1"):
            ev.read_conll(path)

    def test_character_offsets_map_to_token_spans(self, ev):
        text, starts = ev.joined(["Use", "problem-solving", "and", "SQL"])
        assert text == "Use problem-solving and SQL"
        assert ev.token_span(starts, text.index("SQL"), len(text)) == (3, 4)
        # a mention cutting a token is widened to the whole token
        assert ev.token_span(starts, 4, 11) == (1, 2)
        assert ev.token_span(starts, 0, text.index(" and")) == (0, 2)


def test_judged_precision_counts_only_what_the_profile_produces(ev):
    records = [
        {"profiles": ["fast", "accurate"], "correct": True},
        {"profiles": ["accurate"], "correct": False},
        {"profiles": ["fast"], "correct": None},
        {"profiles": ["fast"], "correct": False},
    ]
    assert ev.judged_precision(records, "fast") == {
        "sample": 4,
        "produced": 3,
        "judged": 2,
        "correct": 1,
        "precision": 0.5,
    }
    assert ev.judged_precision(records, "spine")["precision"] is None


def test_spine_against_fast_weighs_the_census_of_differences_by_the_links_both_produce(ev):
    links = {"spine": 102, "fast": 110, "both": 100}
    # Links both produce: 3 of the 4 in the judged sample are right (0.75); the accurate-only
    # and unjudged items do not count.
    sample = [{"profiles": ["spine", "fast", "accurate"], "correct": c} for c in (True, True, True, False)]
    sample += [{"profiles": ["accurate"], "correct": False}, {"profiles": ["spine", "fast"], "correct": None}]
    # Every link only one produces: fast's 10 extra (8 right), the spine's 2 extra (0 right).
    differences = [{"profiles": ["fast", "accurate"], "correct": i < 8, "links": links} for i in range(10)]
    differences += [{"profiles": ["spine"], "correct": False, "links": links} for _ in range(2)]
    compared = ev.spine_against_fast(differences, sample)
    assert compared["p_both"] == 0.75 and compared["both_judged"] == 4
    # spine: (0.75 * 100 + 0) / 102 = 0.73529...; fast: (0.75 * 100 + 8) / 110 = 0.75454...
    assert compared["spine"] == {"extra": 2, "extra_correct": 0, "precision": 0.7353}
    assert compared["fast"] == {"extra": 10, "extra_correct": 8, "precision": 0.7545}
    # Not every difference judged yet: no comparison.
    differences[0] = {**differences[0], "correct": None}
    assert ev.spine_against_fast(differences, sample) is None
