"""The concept linker (``chaingraph_concepts``) on the mini vocabulary, where every expected
mention can be read off tests/fixtures/mini_vocab/mini.ttl, and on the real vocabularies."""

from __future__ import annotations

import json

import pytest

from chaingraph.nlp.pipeline import extract_text

EX = "https://example.org/c/"
WELDING_PROGRAMME = "https://w3id.org/chaingraph/id/cip/48.0508"
WELDER = "https://w3id.org/chaingraph/id/onet/51-4121.06"


def spans(extraction):
    return [(m.text, m.start, m.end, m.concept, m.cls, m.score) for m in extraction.mentions]


class TestMatching:
    def test_exact_offsets_and_classes(self, mini_nlp):
        text = "Graduates write SQL queries, build dashboards in Tableau and program a programmable logic controller."
        assert spans(extract_text(text, nlp=mini_nlp)) == [
            ("SQL", 16, 19, EX + "sql", "Skill", 1.0),
            ("Tableau", 49, 56, EX + "tableau", "Technology", 1.0),
            ("programmable logic controller", 71, 100, EX + "plc", "Skill", 1.0),
        ]

    def test_longest_match_wins_over_nested_label(self, mini_nlp):
        # "logic controller" is a label of its own, nested inside the longer one.
        found = spans(extract_text("A programmable logic controller and a logic controller.", nlp=mini_nlp))
        assert [(t, c) for t, _, _, c, _, _ in found] == [
            ("programmable logic controller", EX + "plc"),
            ("logic controller", EX + "controller"),
        ]

    def test_case_and_plural_insensitive(self, mini_nlp):
        found = spans(extract_text("Two Programmable Logic Controllers and three PLCs.", nlp=mini_nlp))
        assert [(t, c, s) for t, _, _, c, _, s in found] == [
            ("Programmable Logic Controllers", EX + "plc", 1.0),
            ("PLCs", EX + "plc", 0.9),  # an altLabel scores below a prefLabel
        ]

    def test_stop_label_is_not_linked_alone_but_inside_a_longer_label(self, mini_nlp):
        # "design" is on the stop-list; "design process" is a longer label and still links.
        found = spans(extract_text("We design things. The design process matters.", nlp=mini_nlp))
        assert [(t, c) for t, _, _, c, _, _ in found] == [("design process", EX + "design")]

    def test_acronym_of_a_common_word_links_only_in_capitals(self, mini_nlp):
        found = spans(extract_text("It is IT work, and it shows.", nlp=mini_nlp))
        assert [(t, s, e) for t, s, e, _, _, _ in found] == [("IT", 6, 8)]

    def test_ambiguous_label_keeps_alternatives_and_lowers_score(self, mini_nlp):
        # "SQL" is the prefLabel of a Skill and an altLabel of a Technology: the prefLabel wins and
        # keeps its full score (the kinds differ); the Technology is kept as an alternative.
        (mention,) = extract_text("SQL", nlp=mini_nlp).mentions
        assert (mention.concept, mention.score) == (EX + "sql", 1.0)
        assert mention.alternatives == (EX + "sql-tech",)

    def test_hostile_label_text_is_matched_as_text(self, mini_nlp):
        text = 'They use "quoted" <tools> daily.'
        (mention,) = extract_text(text, nlp=mini_nlp).mentions
        assert (mention.text, mention.concept) == ('use "quoted" <tools>', EX + "quote")
        assert text[mention.start : mention.end] == mention.text

    def test_no_mentions_in_plain_text(self, mini_nlp):
        assert extract_text("Nothing here names a concept.", nlp=mini_nlp).mentions == ()


class TestSentences:
    def test_blank_line_ends_a_sentence_without_a_full_stop(self, mini_nlp):
        text = "Section 1\n\nWelders use SQL"
        extraction = extract_text(text, nlp=mini_nlp)
        assert extraction.sentences == ((11, 26),)
        assert text[11:26] == "Welders use SQL"


@pytest.mark.usefixtures("full_nlp")
class TestRealVocabularies:
    """The acceptance sentences of the spine issue, on the vocabularies that ship."""

    def test_sql_plc_and_tableau(self, full_nlp):
        text = "Graduates write SQL queries, build dashboards in Tableau and program a programmable logic controller."
        found = {m.text: m for m in extract_text(text, nlp=full_nlp).mentions}
        assert found["SQL"].cls == "Skill"
        assert found["SQL"].concept.startswith("http://data.europa.eu/esco/skill/")
        assert found["SQL"].label == "SQL"
        assert found["programmable logic controller"].cls == "Skill"
        assert found["programmable logic controller"].concept.startswith("http://data.europa.eu/esco/skill/")
        assert found["Tableau"].cls == "Technology"

    def test_plain_policy_wording_yields_nothing(self, full_nlp):
        text = "The committee shall design and manage a process to review the plan."
        assert extract_text(text, nlp=full_nlp).mentions == ()

    def test_mentions_serialise_to_json(self, full_nlp):
        (mention, *_) = extract_text("Welders use AutoCAD.", nlp=full_nlp).mentions
        record = json.loads(json.dumps(mention._asdict()))
        assert record["text"] == "Welders"


class TestChinese:
    """The Chinese issue's acceptance sentence, on the vocabularies that ship."""

    SENTENCE = "学校开设工业机器人技术专业，培养掌握数控加工和工业互联网技术的技能人才。"

    def test_major_skill_and_technologies_with_offsets(self):
        from chaingraph.nlp.pipeline import load_pipeline

        found = extract_text(self.SENTENCE, nlp=load_pipeline("zh")).mentions
        by_text = {m.text: m for m in found}
        major = by_text["工业机器人技术专业"]
        assert (major.cls, major.concept) == ("Programme", "https://w3id.org/chaingraph/id/cnmajor/460305")
        assert by_text["数控加工"].cls in {"Skill", "Technology"}
        assert by_text["工业互联网"].cls in {"Skill", "Technology"}
        for mention in found:
            assert self.SENTENCE[mention.start : mention.end] == mention.text
        # "工业互联网技术" is also a major's name, but this clause does not call it a major.
        assert "工业互联网技术" not in by_text

    def test_names_in_an_enumeration_of_majors_are_programmes(self):
        from chaingraph.nlp.pipeline import load_pipeline

        found = extract_text("学院开设工业机器人技术、数控技术等专业。", nlp=load_pipeline("zh")).mentions
        assert [(m.text, m.cls) for m in found] == [("工业机器人技术", "Programme"), ("数控技术", "Programme")]


class TestCapitalisedCommonNouns:
    """A label the vocabulary writes as a common noun, capitalised inside a sentence, is part of a name."""

    @pytest.mark.parametrize(
        "text",
        [
            "Each year the report is sent to the Secretary for review.",
            "The Comptroller General shall report the findings to the committee.",
            "Funds are allocated under the Higher Education Act of 1965 to the states.",
            "The Secretary of Education shall publish the rules in the register.",
        ],
    )
    def test_title_or_name_in_running_text_is_not_linked(self, full_nlp, text):
        found = extract_text(text, nlp=full_nlp).mentions
        assert not [m for m in found if m.cls in ("Occupation", "Programme")]

    def test_common_noun_in_lower_case_and_at_sentence_start_still_links(self, full_nlp):
        for text in ("The secretary files the reports.", "Secretary duties include filing."):
            found = extract_text(text, nlp=full_nlp).mentions
            assert [m.label for m in found if m.cls == "Occupation"] == ["secretary"]

    def test_headings_and_programme_names_still_link(self, full_nlp):
        found = extract_text("Students in the Welding Technology Program learn to weld.", nlp=full_nlp).mentions
        assert WELDING_PROGRAMME in {m.concept for m in found}
        heading = extract_text("Unit 4: Secretary Skills and Office Practice", nlp=full_nlp).mentions
        assert "secretary" in {m.label for m in heading}


class TestChineseIndustryNames:
    def test_field_name_before_a_major_word_is_not_the_industry(self):
        from chaingraph.nlp.pipeline import load_pipeline

        nlp = load_pipeline("zh")
        found = extract_text("学校开设农业专业和农业类课程。", nlp=nlp).mentions
        assert not [m for m in found if m.cls == "Industry"]
        found = extract_text("发展现代农业，提高农业生产效率。", nlp=nlp).mentions
        assert [m.label for m in found if m.cls == "Industry"] == ["农业"]

    def test_everyday_words_are_not_industries(self):
        from chaingraph.nlp.pipeline import load_pipeline

        found = extract_text("企业加大研发投入，推进人力资源市场建设。", nlp=load_pipeline("zh")).mentions
        assert not [m for m in found if m.cls == "Industry"]
