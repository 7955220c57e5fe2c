"""Alternative labels too loose to link alone (chaingraph.nlp.loose_labels), rule by rule."""

from __future__ import annotations

import pytest

from chaingraph.nlp.gazetteer import ALT, HIDDEN, PREF
from chaingraph.nlp.loose_labels import generic_titles, is_head_of, loose_labels, related_terms, shares_a_word


class TestIsHeadOf:
    @pytest.mark.parametrize(
        ("title", "pref", "expected"),
        [
            ("educator", "zoo educator", True),  # leading modifier removed
            ("educators", "zoo educator", True),  # in the plural too
            ("Fabricator", "Structural Metal Fabricators and Fitters", True),  # head of one conjunct
            ("Technologist", "Electrical and Electronic Engineering Technologists and Technicians", True),
            ("Education Teacher", "Education Teachers, Postsecondary", True),  # qualifier removed
            ("Production Worker", "Production Workers, All Other", True),
            ("Controller", "Treasurers and Controllers", False),  # a whole conjunct names it
            ("Welder", "Welders, Cutters, Solderers, and Brazers", False),  # commas of a list
            ("paramedic", "paramedic in emergency responses", False),  # not a tail
            ("zoo educator", "zoo educator", False),  # the label itself
            ("nurse", "welder", False),
        ],
    )
    def test_cases(self, title, pref, expected):
        assert is_head_of(title, pref) is expected


def occupation(index, scheme, text, kind, pref):
    return (index, "Occupation", scheme, text, kind, pref)


class TestGenericTitles:
    def test_title_shared_within_one_vocabulary_is_generic_in_every_vocabulary(self):
        labels = [
            occupation(0, "onet", "Nuclear Technicians", PREF, "Nuclear Technicians"),
            occupation(0, "onet", "Equipment Operator", ALT, "Nuclear Technicians"),
            occupation(1, "onet", "Crane and Tower Operators", PREF, "Crane and Tower Operators"),
            occupation(1, "onet", "Equipment Operator", ALT, "Crane and Tower Operators"),
            occupation(2, "esco", "plant operator", PREF, "plant operator"),
            occupation(2, "esco", "equipment operators", ALT, "plant operator"),
            occupation(3, "esco", "crane operator", PREF, "crane operator"),
            occupation(3, "esco", "tower crane operator", ALT, "crane operator"),
        ]
        expected = {(0, "Equipment Operator"), (1, "Equipment Operator"), (2, "equipment operators")}
        assert generic_titles(labels) == expected

    def test_one_carrier_per_vocabulary_is_not_shared(self):
        # ESCO and O*NET each give one occupation "Robotics Technician": the same occupation twice.
        labels = [
            occupation(0, "esco", "robotics technician", ALT, "robotics engineering technician"),
            occupation(1, "onet", "Robotics Technician", ALT, "Robotics Technicians"),
        ]
        assert generic_titles(labels) == set()

    def test_a_title_that_is_some_occupations_preferred_label_is_left_to_the_linker(self):
        labels = [
            occupation(0, "esco", "welder", PREF, "welder"),
            occupation(1, "onet", "Welder", ALT, "Welders, Cutters, Solderers, and Brazers"),
            occupation(2, "onet", "Welder", ALT, "Welding Machine Tenders"),
        ]
        assert generic_titles(labels) == set()

    def test_head_of_its_own_title(self):
        labels = [
            occupation(0, "esco", "zoo educator", PREF, "zoo educator"),
            occupation(0, "esco", "educator", ALT, "zoo educator"),
            occupation(0, "esco", "zoo education officer", ALT, "zoo educator"),
        ]
        assert generic_titles(labels) == {(0, "educator")}


class TestRelatedTerms:
    def test_skill_labels_sharing_no_word_with_the_preferred_label(self):
        labels = [
            (0, "Skill", "esco", "environmental engineering", PREF, "environmental engineering"),
            (0, "Skill", "esco", "sustainability", ALT, "environmental engineering"),
            (0, "Skill", "esco", "environmental engineering principles", ALT, "environmental engineering"),
            (1, "Skill", "esco", "programmable logic controller", PREF, "programmable logic controller"),
            (1, "Skill", "esco", "PLCs", ALT, "programmable logic controller"),  # an acronym is a name
            (2, "Skill", "esco", "advise others", PREF, "advise others"),
            (2, "Skill", "esco", "mentoring", HIDDEN, "advise others"),
            (3, "Technology", "onet-tech", "Excel", ALT, "Microsoft Excel"),  # skills only
            (4, "Skill", "esco", "statistics", PREF, "statistics"),
            (4, "Skill", "esco", "statistical methods", ALT, "statistics"),  # "statis-" is shared
        ]
        assert related_terms(labels) == {(0, "sustainability"), (2, "mentoring")}

    def test_shares_a_word(self):
        assert shares_a_word("computing", "computer science")
        assert not shares_a_word("software design", "computer engineering")
        assert not shares_a_word("of the", "the art of war")  # function words do not count

    def test_loose_labels_is_both(self):
        labels = [
            occupation(0, "esco", "educator", ALT, "zoo educator"),
            (1, "Skill", "esco", "sustainability", ALT, "environmental engineering"),
        ]
        assert loose_labels(iter(labels)) == {(0, "educator"), (1, "sustainability")}
