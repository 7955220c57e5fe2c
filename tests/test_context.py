"""Where the linker's words name something else (chaingraph.nlp.context) and the label policy for
loose labels, on the vocabularies that ship: each rule with the exact mentions it leaves."""

from __future__ import annotations

import pytest

from chaingraph.nlp.pipeline import extract_text, load_pipeline

CS_PROGRAMME = "https://w3id.org/chaingraph/id/cip/11.0701"
CS_SKILL = "http://data.europa.eu/esco/skill/7b5cce4d-c7fe-4119-b48f-70aa05391787"


def linked(text, nlp, about=None):
    return [(m.text, m.label) for m in extract_text(text, nlp=nlp, about=about).mentions]


@pytest.fixture(scope="module")
def zh_nlp():
    return load_pipeline("zh")


class TestLooseLabels:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            # "Equipment Operator" is an O*NET title of fifteen occupations.
            (
                "Examine work orders and converse with equipment operators to detect problems.",
                [("detect problems", "identify problems")],
            ),
            # "educator" is ESCO's title of "zoo educator" minus its modifier.
            ("Support the recruitment and training of effective educators.", []),
            ("Supervise technologists, technicians, and drafters.", [("drafters", "drafter")]),
            # "Technical Education Teacher" (two occupations), "Education Teacher" (", Postsecondary").
            ("The program prepares career and technical education teachers.", []),
            # ESCO altLabels of environmental / computer engineering sharing no word with them.
            ("Sustainability and software design matter.", []),
            (
                "Students learn computer engineering and environmental engineering.",
                [
                    ("computer engineering", "computer engineering"),
                    ("environmental engineering", "environmental engineering"),
                ],
            ),
        ],
    )
    def test_generic_titles_and_related_terms_do_not_link(self, full_nlp, text, expected):
        assert linked(text, full_nlp) == expected

    def test_object_of_another_activity_is_no_alias(self, full_nlp):
        text = "Communicate manufacturing capabilities, production schedules, or other information."
        assert linked(text, full_nlp) == []


class TestNames:
    def test_capitalised_skill_name_is_a_name_only_capitalised(self, full_nlp):
        assert linked("Compute angular and linear dimensions, radii, and curvatures.", full_nlp) == []
        assert linked("Developers build single-page applications in Angular and speak Polish.", full_nlp) == [
            ("Angular", "Angular"),
            ("speak Polish", "interact verbally in Polish"),
        ]

    def test_product_title_in_lower_case_is_not_the_product(self, full_nlp):
        text = "Modify existing software to correct errors, adapt it to new hardware, or replace encoders."
        assert [label for _, label in linked(text, full_nlp)] == ["Data Entry Keyers"]  # not Adapt It, 3M Encoder

    def test_part_of_a_longer_name(self, full_nlp):
        text = "The National Center for Education Statistics shall collect statistics on enrolment."
        assert linked(text, full_nlp) == [("statistics", "statistics")]
        text = "Examples: - Information Assurance, - IT Security, - Total Ship Systems Engineering"
        assert linked(text, full_nlp) == []
        assert linked("The Act (Public Law 92-189) amended public law.", full_nlp) == [("public law", "public law")]

    def test_declined_words_are_recorded_for_the_fuzzy_linker(self, full_nlp):
        doc = full_nlp("Examples: - Information Assurance, - IT Security, - Total Ship Systems Engineering")
        assert sorted(doc._.declined) == [(7, 8), (13, 15)]

    def test_words_written_otherwise_than_the_name_are_declined(self, full_nlp):
        doc = full_nlp("Smooth and polish flat surfaces.")
        assert (doc._.mentions, doc._.declined) == ([], [(2, 3)])

    def test_fuzzy_linker_leaves_declined_words_unlinked(self):
        found = extract_text("Smooth and polish flat surfaces.", profile="accurate").mentions
        assert [(m.text, m.concept) for m in found] == [("Smooth", ""), ("polish", "")]

    def test_the_documents_subject_named_in_it_is_that_subject(self, full_nlp):
        text = "# Computer Science\n\nComputer Science students learn computer science."
        assert [m.concept for m in extract_text(text, nlp=full_nlp, about=CS_PROGRAMME).mentions] == [
            CS_PROGRAMME,
            CS_PROGRAMME,
            CS_SKILL,
        ]
        assert [m.concept for m in extract_text(text, nlp=full_nlp).mentions] == [CS_SKILL] * 3

    def test_the_documents_subject_does_not_win_through_a_lesser_label(self, full_nlp):
        # "Welding Engineer" is an altLabel of O*NET Materials Engineers, "welding engineer" ESCO's prefLabel.
        text = "Includes metallurgists and welding engineers."
        assert linked(text, full_nlp, about="https://w3id.org/chaingraph/id/onet/17-2131.00") == [
            ("metallurgists", "metallurgist"),
            ("welding engineers", "welding engineer"),
        ]


class TestSurroundings:
    def test_part_of_a_hyphenated_compound(self, full_nlp):
        text = "Design computer controlled electro-mechanical systems and mechanical systems."
        assert linked(text, full_nlp) == [("mechanical systems", "mechanical systems")]
        assert extract_text(text, nlp=full_nlp).mentions[0].start == text.rindex("mechanical systems") == 58

    def test_residual_industry_classes_do_not_link(self, full_nlp, zh_nlp):
        text = "Machine tools, jigs and other manufacturing equipment; Other Manufacturing."
        assert linked(text, full_nlp) == [("Machine tools", "machine tools")]
        assert linked("用人单位应当依照本法以及其他法律、法规的规定，保障劳动者的合法权益。", zh_nlp) == []

    def test_industry_in_the_plural_is_not_the_sector(self, full_nlp):
        assert linked("Teachers provide appropriate accommodations for students with disabilities.", full_nlp) == []
        assert linked("Accommodation and food services employ many workers.", full_nlp) == [
            ("Accommodation", "Accommodation"),
            ("food services", "food service operations"),
        ]

    def test_occupation_used_as_a_tool(self, full_nlp):
        text = "Repair dies, jigs, and tools, using machine tools, hand tools, or welders."
        assert linked(text, full_nlp) == [
            ("using machine tools", "operate machine tools"),
            ("hand tools", "use hand tools"),
        ]
        assert linked("Welders join metal parts.", full_nlp) == [("Welders", "welder"), ("join metal", "join metals")]


class TestChinese:
    def test_industry_words_in_department_names(self, zh_nlp):
        text = (
            "市和区县人力资源社会保障、发展改革、财政、农业农村、卫生健康、市场监督管理等部门"
            "在各自职责范围内负责校企合作。"
        )
        assert linked(text, zh_nlp) == []
        text = "国务院教育行政部门、人力资源社会保障行政部门和其他有关部门负责有关的职业教育工作。"
        assert linked(text, zh_nlp) == []
        assert linked("鼓励农业企业与有关部门合作，发挥资本市场服务科技创新的融资功能。", zh_nlp) == [
            ("农业", "农业"),
            ("资本市场服务", "资本市场服务"),
        ]

    def test_industry_word_naming_a_field_of_science(self, zh_nlp):
        text = "国家鼓励和支持农业科学技术的应用研究，加快农业科技成果转化，促进农业产业化发展。"
        found = extract_text(text, nlp=zh_nlp).mentions
        assert [(m.text, m.label, m.start) for m in found] == [("农业", "农业", text.index("农业产业化"))]

    def test_research_and_development_as_a_cost_or_a_firms_activity(self, zh_nlp):
        text = (
            "全社会科学技术研究开发经费应当逐步提高，企业科学技术研究开发仪器可以加速折旧，"
            "国家支持科学技术研究开发机构建设。"
        )
        found = extract_text(text, nlp=zh_nlp).mentions
        expected = [("科学技术研究开发", "研究和试验发展", text.rindex("科学"))]  # only the institutions
        assert [(m.text, m.label, m.start) for m in found] == expected
