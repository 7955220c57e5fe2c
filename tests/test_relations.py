"""The relation stage (``chaingraph_relations``): cue words type relations, co-mention stays the fallback.

Every expected candidate can be read off the mini vocabulary (tests/fixtures/mini_vocab) plus the
few concepts of ``CUE_VOCAB`` below.
"""

from __future__ import annotations

import shutil
from typing import NamedTuple

import pytest

from chaingraph.nlp.linker import Mention
from chaingraph.nlp.pipeline import extract_text
from chaingraph.nlp.relations import RelationCandidate

EX = "https://example.org/c/"
SQL, TABLEAU, QUOTE = EX + "sql", EX + "tableau", EX + "quote"
WELDERS = "https://w3id.org/chaingraph/id/onet/51-4121.06"
WELDING = "https://w3id.org/chaingraph/id/cip/48.0508"
AUTO, ROBOTS = EX + "automotive", EX + "robots"
ZH_MAJOR, ZH_WELDING, ZH_CNC, ZH_WELDER = EX + "zh-major", EX + "zh-welding", EX + "zh-cnc", EX + "zh-welder"

CUE_VOCAB = """
@prefix cg:   <https://w3id.org/chaingraph/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex:   <https://example.org/c/> .

<https://w3id.org/chaingraph/id/scheme/gbt4754> a skos:ConceptScheme ; cg:prefix "gbt4754" .
<https://w3id.org/chaingraph/id/scheme/cnmajor> a skos:ConceptScheme ; cg:prefix "cnmajor" .

ex:automotive a skos:Concept, cg:Industry ; cg:chain cg:industry ;
    skos:inScheme <https://w3id.org/chaingraph/id/scheme/gbt4754> ;
    skos:prefLabel "automotive industry"@en, "汽车制造业"@zh .
ex:robots a skos:Concept, cg:Technology ; cg:chain cg:innovation ;
    skos:inScheme <https://w3id.org/chaingraph/id/scheme/onet-tech> ;
    skos:prefLabel "industrial robots"@en, "工业机器人"@zh .
ex:zh-major a skos:Concept, cg:Programme ; cg:chain cg:education ;
    skos:inScheme <https://w3id.org/chaingraph/id/scheme/cnmajor> ;
    skos:prefLabel "工业机器人技术"@zh .
ex:zh-welding a skos:Concept, cg:Skill ; cg:chain cg:talent ;
    skos:inScheme <http://data.europa.eu/esco/concept-scheme/esco> ;
    skos:prefLabel "焊接"@zh .
ex:zh-cnc a skos:Concept, cg:Technology ; cg:chain cg:innovation ;
    skos:inScheme <https://w3id.org/chaingraph/id/scheme/onet-tech> ;
    skos:prefLabel "数控加工"@zh .
ex:zh-welder a skos:Concept, cg:Occupation ; cg:chain cg:talent ;
    skos:inScheme <https://w3id.org/chaingraph/id/scheme/onet> ;
    skos:prefLabel "焊工"@zh .
"""


@pytest.fixture(scope="module")
def cue_vocab(mini_ontologies, tmp_path_factory):
    folder = tmp_path_factory.mktemp("cue-vocab")
    for path in (mini_ontologies / "vocab").iterdir():
        shutil.copy(path, folder / path.name)
    (folder / "cues.ttl").write_text(CUE_VOCAB, encoding="utf-8")
    return folder


def _pipeline(lang, vocab, ontologies):
    import os

    from chaingraph.nlp.pipeline import build_pipeline

    old = os.environ.get("CHAINGRAPH_ONTOLOGIES")
    os.environ["CHAINGRAPH_ONTOLOGIES"] = str(ontologies)
    try:
        return build_pipeline(lang, vocab_path=str(vocab))
    finally:
        if old is None:
            del os.environ["CHAINGRAPH_ONTOLOGIES"]
        else:
            os.environ["CHAINGRAPH_ONTOLOGIES"] = old


@pytest.fixture(scope="module")
def en_nlp(cue_vocab, mini_ontologies):
    return _pipeline("en", cue_vocab, mini_ontologies)


@pytest.fixture(scope="module")
def zh_nlp(cue_vocab, mini_ontologies):
    # The linker adds vocabulary terms to jieba's dictionary, which is global to the process: put
    # it back afterwards, or these few terms would change how other tests cut their sentences.
    import jieba

    jieba.dt.check_initialized()
    freq, total = dict(jieba.dt.FREQ), jieba.dt.total
    yield _pipeline("zh", cue_vocab, mini_ontologies)
    jieba.dt.FREQ, jieba.dt.total = freq, total


def relations(nlp, text, about=None):
    """The relation candidates of a one-sentence text, without the sentence's offsets."""
    found = extract_text(text, nlp=nlp, about=about).relations
    assert all((r.sentence_start, r.sentence_end) == (0, len(text)) for r in found)
    return [R(r.subject, r.predicate, r.object, r.basis, r.score) for r in found]


class R(NamedTuple):
    """A :class:`RelationCandidate` without its sentence offsets."""

    subject: str
    predicate: str
    object: str
    basis: str
    score: float


class TestEnglishCues:
    def test_includes_instruction_in_with_the_document_subject(self, en_nlp):
        text = "Includes instruction in SQL and Tableau."
        assert relations(en_nlp, text, about=WELDING) == [
            R(WELDING, "teaches", SQL, "about", 1.0),
            R(WELDING, "covers", TABLEAU, "about", 1.0),
            R(WELDING, "teaches", SQL, "cue", 0.8),
            R(WELDING, "covers", TABLEAU, "cue", 0.8),
            R(SQL, "relatedTo", TABLEAU, "co-mention", 0.5),
        ]

    def test_includes_instruction_in_with_a_programme_mention(self, en_nlp):
        assert relations(en_nlp, "Welding Technology includes instruction in SQL.") == [
            R(WELDING, "teaches", SQL, "cue", 0.8),
        ]

    def test_prepares_students_for(self, en_nlp):
        assert relations(en_nlp, "Welding Technology prepares students for work as welders.") == [
            R(WELDING, "preparesFor", WELDERS, "cue", 0.8),
        ]

    def test_prepares_individuals_to_reaches_past_a_cue_that_cannot_type(self, en_nlp):
        # "use" relates an occupation or industry to a technology; no such subject here, so the
        # earlier cue decides: the programme covers Tableau.
        assert relations(en_nlp, "Welding Technology prepares individuals to use Tableau.") == [
            R(WELDING, "covers", TABLEAU, "cue", 0.8),
        ]

    def test_requires(self, en_nlp):
        assert relations(en_nlp, "Welders require SQL.") == [R(WELDERS, "requires", SQL, "cue", 0.8)]

    def test_required_by_turns_the_direction(self, en_nlp):
        assert relations(en_nlp, "SQL is required by welders.") == [R(WELDERS, "requires", SQL, "cue", 0.8)]

    def test_uses(self, en_nlp):
        assert relations(en_nlp, "Welders use Tableau.") == [R(WELDERS, "uses", TABLEAU, "cue", 0.8)]

    def test_used_in(self, en_nlp):
        assert relations(en_nlp, "Tableau is used in the automotive industry.") == [
            R(AUTO, "uses", TABLEAU, "cue", 0.8),
        ]

    def test_use_something_in(self, en_nlp):
        # Welders use Tableau (the verb), the industry uses it (use ... in); welders and the
        # industry are only co-mentioned.
        assert relations(en_nlp, "Welders use Tableau in the automotive industry.") == [
            R(WELDERS, "uses", TABLEAU, "cue", 0.8),
            R(AUTO, "uses", TABLEAU, "cue", 0.8),
            R(WELDERS, "employedIn", AUTO, "co-mention", 0.5),
        ]

    def test_is_applied_in(self, en_nlp):
        assert relations(en_nlp, "Industrial robots are applied in the automotive industry.") == [
            R(ROBOTS, "drives", AUTO, "cue", 0.8),
        ]

    def test_apply_something_to(self, en_nlp):
        assert relations(en_nlp, "Firms apply industrial robots to the automotive industry.") == [
            R(ROBOTS, "drives", AUTO, "cue", 0.8),
        ]

    def test_the_nearest_cue_and_subject_decide(self, en_nlp):
        text = "Welders use Tableau and the automotive industry requires SQL."
        assert relations(en_nlp, text) == [
            R(WELDERS, "uses", TABLEAU, "cue", 0.8),
            R(AUTO, "requires", SQL, "cue", 0.8),
            # co-mentions of the pairs no cue relates (the co-mention of Tableau and the industry
            # is typed by class: a technology drives an industry)
            R(TABLEAU, "drives", AUTO, "co-mention", 0.5),
            R(WELDERS, "employedIn", AUTO, "co-mention", 0.5),
            R(SQL, "relatedTo", TABLEAU, "co-mention", 0.5),
            R(WELDERS, "requires", SQL, "co-mention", 0.5),
        ]

    def test_an_enumeration_left_of_the_cue(self, en_nlp):
        assert relations(en_nlp, "SQL and Tableau are used by welders.") == [
            R(WELDERS, "uses", TABLEAU, "cue", 0.8),
            R(WELDERS, "requires", SQL, "cue", 0.8),
            R(SQL, "relatedTo", TABLEAU, "co-mention", 0.5),
        ]


class TestNoCue:
    def test_sentence_without_a_cue_stays_co_mention(self, en_nlp):
        assert relations(en_nlp, "Welders and SQL, every day.") == [
            R(WELDERS, "requires", SQL, "co-mention", 0.5),
        ]

    def test_cue_word_for_classes_it_cannot_type_stays_co_mention(self, en_nlp):
        assert relations(en_nlp, "SQL uses Tableau.") == [R(SQL, "relatedTo", TABLEAU, "co-mention", 0.5)]

    def test_cue_word_inside_a_mention_is_no_cue(self, en_nlp):
        # 'use "quoted" <tools>' is a skill label (ESCO has many: "use CAD software").
        assert relations(en_nlp, 'Welders use "quoted" <tools>.') == [
            R(WELDERS, "requires", QUOTE, "co-mention", 0.5),
        ]

    def test_the_noun_use_is_no_cue(self, en_nlp):
        assert relations(en_nlp, "Welders control the use of Tableau.") == [
            R(WELDERS, "uses", TABLEAU, "co-mention", 0.5),
        ]

    def test_cues_can_be_switched_off(self, cue_vocab, mini_ontologies):
        nlp = _pipeline("en", cue_vocab, mini_ontologies)
        nlp.replace_pipe("chaingraph_relations", "chaingraph_relations", config={"cues": False})
        assert relations(nlp, "Welders use Tableau.") == [R(WELDERS, "uses", TABLEAU, "co-mention", 0.5)]

    def test_unlinked_candidates_are_skipped(self, en_nlp):
        doc = en_nlp.make_doc("Welders use Tableau and forklifts.")
        for name in ("chaingraph_sentences",):
            doc = en_nlp.get_pipe(name)(doc)
        doc._.mentions = [
            Mention(0, 7, "Welders", WELDERS, "Welders", "Occupation", 1.0),
            Mention(12, 19, "Tableau", TABLEAU, "Tableau", "Technology", 1.0),
            Mention(24, 33, "forklifts", "", "", "Technology", 0.6),
        ]
        doc = en_nlp.get_pipe("chaingraph_relations")(doc)
        assert doc._.relations == [RelationCandidate(WELDERS, "uses", TABLEAU, 0, 34, "cue", 0.8)]


class TestChineseCues:
    def test_cultivate(self, zh_nlp):
        text = "本专业培养掌握数控加工的技能人才。"
        assert relations(zh_nlp, text, about=ZH_MAJOR) == [
            R(ZH_MAJOR, "covers", ZH_CNC, "about", 1.0),
            R(ZH_MAJOR, "covers", ZH_CNC, "cue", 0.8),
        ]

    def test_applied_in(self, zh_nlp):
        assert relations(zh_nlp, "工业机器人广泛应用于汽车制造业。") == [R(ROBOTS, "drives", AUTO, "cue", 0.8)]

    def test_needs(self, zh_nlp):
        assert relations(zh_nlp, "焊工需要具备焊接能力。") == [R(ZH_WELDER, "requires", ZH_WELDING, "cue", 0.8)]

    def test_uses(self, zh_nlp):
        assert relations(zh_nlp, "焊工采用工业机器人。") == [R(ZH_WELDER, "uses", ROBOTS, "cue", 0.8)]

    def test_courses_include(self, zh_nlp):
        assert relations(zh_nlp, "主要课程包括焊接、数控加工。", about=ZH_MAJOR) == [
            R(ZH_MAJOR, "covers", ZH_CNC, "about", 1.0),
            R(ZH_MAJOR, "teaches", ZH_WELDING, "about", 1.0),
            R(ZH_MAJOR, "teaches", ZH_WELDING, "cue", 0.8),
            R(ZH_MAJOR, "covers", ZH_CNC, "cue", 0.8),
            R(ZH_CNC, "relatedTo", ZH_WELDING, "co-mention", 0.5),
        ]

    def test_no_cue_stays_co_mention(self, zh_nlp):
        assert relations(zh_nlp, "焊工和焊接。") == [R(ZH_WELDER, "requires", ZH_WELDING, "co-mention", 0.5)]


class TestCuePatterns:
    def test_anchor_and_reach(self):
        from spacy.attrs import LOWER, ORTH

        from chaingraph.nlp.cues import CUE_PATTERNS, anchor_of

        attr, words, before, after = anchor_of(CUE_PATTERNS["en"]["use-in"])
        assert (attr, "using" in words, before, after) == (LOWER, True, 0, 9)  # use, up to 8 words, in
        attr, words, before, after = anchor_of(CUE_PATTERNS["en"]["instruction"])
        assert (words, before, after) == ({"instruction"}, 1, 1)  # the optional "includes" is no anchor
        attr, words, before, after = anchor_of(CUE_PATTERNS["zh"]["课程包括"])
        assert (attr, "涵盖" in words, before, after) == (ORTH, True, 4, 0)

    def test_unbounded_operator_is_refused(self):
        from chaingraph.nlp.cues import anchor_of

        with pytest.raises(ValueError, match="unbounded"):
            anchor_of([[{"LOWER": "use"}, {"OP": "*"}, {"LOWER": "in"}]])

    def test_every_cue_has_patterns_in_some_language(self):
        from chaingraph.nlp.cues import CUE_PATTERNS, CUES

        assert set(CUES) == {name for patterns in CUE_PATTERNS.values() for name in patterns}
