"""Generated aliases: each rule on its own (label in, aliases out), the linker with and without
them on a hand-made vocabulary, and acronym linking on the vocabularies that ship."""

from __future__ import annotations

import csv

import pytest

from chaingraph.nlp.normalize import irregular_plural_of, light_norm, spelling_variant
from chaingraph.nlp.pipeline import build_pipeline, extract_text
from chaingraph.resources import vocab_dir
from chaingraph.vocab.aliases import AcronymTable, irregular_plural, respelled, verb_object_aliases

EX = "https://example.org/c/"
ESCO_SKILL = "http://data.europa.eu/esco/skill/"

TABLE = AcronymTable(
    [
        ("CNC", "computer numerical control"),
        ("GIS", "geographic information system"),
        ("HVAC", "heating, ventilation and air conditioning"),
        ("HVAC", "heating, ventilation, air conditioning"),
        ("SQL", "structured query language"),
    ]
)


class TestVerbObjectAliases:
    @pytest.mark.parametrize(
        ("label", "aliases"),
        [
            ("use CAD software", ["CAD software", "CAD"]),
            ("operate a forklift", ["forklift"]),
            ("carry out statistical forecasts", ["statistical forecasts"]),
            ("perform welding", ["welding"]),  # the LabelPolicy drops it: "welding" is a common word
            # A generic word left after "software" is no product name.
            ("use typesetting software", ["typesetting software"]),
        ],
    )
    def test_light_verb_object(self, label, aliases):
        assert verb_object_aliases(label) == aliases

    @pytest.mark.parametrize(
        "label",
        [
            "teach mathematics",  # not a light verb: the object alone is another concept
            "use tools to repair a car",  # a clause, not a compact noun phrase
            "use of welding equipment",
            "conduct educational activities",  # names the occasion, not the thing
            "apply multidisciplinary",  # an adjective names nothing
            "operate large industrial heavy lifting cranes",  # longer than four words
        ],
    )
    def test_no_alias(self, label):
        assert verb_object_aliases(label) == []


class TestAcronymTable:
    @pytest.mark.parametrize(
        ("label", "aliases"),
        [
            ("computer numerical control machine operator", ["CNC machine operator"]),
            ("geographic information systems", ["GIS"]),  # the plural needs no mark: both norm alike
            ("heating, ventilation, air conditioning engineer", ["HVAC engineer"]),
            ("HVAC engineer", ["heating, ventilation and air conditioning engineer"]),
            ("Customer Relationship Management (CRM)", ["CRM"]),  # a parenthetical acronym of the words before
            ("Computer aided design CAD software", []),  # names its acronym already; CAD not in this table
            ("SQL Server", ["structured query language Server"]),
        ],
    )
    def test_aliases(self, label, aliases):
        assert TABLE.aliases(label) == aliases

    def test_acronyms_in_product_names_are_not_spelled_out(self):
        assert TABLE.aliases("SQL Server", spell_out=False) == []
        assert TABLE.aliases("CNC machine operator", spell_out=False) == []

    def test_parenthetical_acronym_must_abbreviate_the_words_before(self):
        assert TABLE.aliases("quality manager (QM)") == ["QM"]
        assert TABLE.aliases("welding inspector (EU)") == []

    def test_shipped_table_reads(self):
        table = AcronymTable.read(vocab_dir() / "sources" / "acronyms-en.csv")
        assert table.expansion_of["PLC"] == "programmable logic controller"
        assert table.aliases("personal protective equipment") == ["PPE"]


class TestSpellingAndPlurals:
    def test_spelling_variants_from_spacy_lookups(self):
        assert [spelling_variant(w) for w in ("organise", "colour", "modelling", "welding", "analyses")] == [
            "organize",
            "color",
            "modeling",
            None,
            None,  # "analyses" is a plural noun as well as a verb
        ]

    def test_respelled(self):
        assert respelled("organise training", spelling_variant) == "organize training"
        assert respelled("Colour theory", spelling_variant) == "Color theory"
        assert respelled("welding equipment", spelling_variant) is None

    def test_irregular_plurals_from_spacy_lookups(self):
        assert [irregular_plural_of(w) for w in ("analysis", "repairman", "knife", "medium", "controller")] == [
            "analyses",
            "repairmen",
            "knives",
            None,  # "media" is a word of its own
            None,  # light_norm already reduces "controllers"
        ]

    def test_norm_reads_plurals_from_the_lemma_table(self):
        assert [light_norm(w) for w in ("buses", "lenses", "lens", "sizes", "queries", "processes")] == [
            "bus",
            "lens",
            "lens",  # a singular the table knows as a lemma stays whole
            "size",
            "query",
            "process",
        ]
        # Without the table, the rules alone (the spine linker's norm).
        assert [light_norm(w, lookup=False) for w in ("buses", "lenses", "lens", "sizes")] == [
            "buse",
            "lense",
            "len",
            "siz",
        ]

    def test_irregular_plural(self):
        assert irregular_plural("data analysis", irregular_plural_of) == "data analyses"
        assert irregular_plural("Bicycle repairman", irregular_plural_of) == "Bicycle repairmen"
        assert irregular_plural("welding equipment", irregular_plural_of) is None


ALIAS_VOCAB = """
@prefix cg:   <https://w3id.org/chaingraph/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex:   <https://example.org/c/> .

<http://data.europa.eu/esco/concept-scheme/esco> a skos:ConceptScheme ; cg:prefix "esco" .
<https://w3id.org/chaingraph/id/scheme/onet-tech> a skos:ConceptScheme ; cg:prefix "onet-tech" .

ex:ppe a skos:Concept, cg:Skill ; skos:inScheme <http://data.europa.eu/esco/concept-scheme/esco> ;
    skos:prefLabel "personal protective equipment"@en .
ex:weld a skos:Concept, cg:Skill ; skos:inScheme <http://data.europa.eu/esco/concept-scheme/esco> ;
    skos:prefLabel "use welding equipment"@en .
ex:train a skos:Concept, cg:Skill ; skos:inScheme <http://data.europa.eu/esco/concept-scheme/esco> ;
    skos:prefLabel "organise training"@en .
ex:analysis a skos:Concept, cg:Skill ; skos:inScheme <http://data.europa.eu/esco/concept-scheme/esco> ;
    skos:prefLabel "data analysis"@en .
ex:cnc-operator a skos:Concept, cg:Occupation ; skos:inScheme <http://data.europa.eu/esco/concept-scheme/esco> ;
    skos:prefLabel "computer numerical control machine operator"@en .
ex:lens a skos:Concept, cg:Skill ; skos:inScheme <http://data.europa.eu/esco/concept-scheme/esco> ;
    skos:prefLabel "optical lens"@en .
ex:forklift a skos:Concept, cg:Technology ; skos:inScheme <https://w3id.org/chaingraph/id/scheme/onet-tech> ;
    skos:prefLabel "forklift truck"@en .
ex:drive-forklift a skos:Concept, cg:Skill ; skos:inScheme <http://data.europa.eu/esco/concept-scheme/esco> ;
    skos:prefLabel "operate forklift truck"@en .
"""


@pytest.fixture(scope="module")
def alias_vocab(tmp_path_factory):
    folder = tmp_path_factory.mktemp("alias_vocab")
    (folder / "alias.ttl").write_text(ALIAS_VOCAB, encoding="utf-8")
    (folder / "sources").mkdir()
    with (folder / "sources" / "acronyms-en.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["acronym", "expansion", "attested_in"])
        writer.writerow(["PPE", "personal protective equipment", "test"])
        writer.writerow(["CNC", "computer numerical control", "test"])
    return folder


@pytest.fixture(scope="module")
def alias_nlps(alias_vocab, tmp_path_factory):
    """The pipeline over the hand-made vocabulary with and without generated aliases."""
    mp = pytest.MonkeyPatch()
    mp.setenv("CHAINGRAPH_CACHE", str(tmp_path_factory.mktemp("cache")))
    try:
        yield (
            build_pipeline("en", vocab_path=str(alias_vocab)),
            build_pipeline("en", vocab_path=str(alias_vocab), linker_config={"generated_aliases": False}),
        )
    finally:
        mp.undo()


def found(text, nlp):
    return [(m.text, m.concept, m.score) for m in extract_text(text, nlp=nlp).mentions]


SENTENCE = (
    "The CNC machine operators wear PPE, check welding equipment and a forklift truck, "
    "organize training and share data analyses."
)


class TestLinkerWithGeneratedAliases:
    def test_generated_aliases_link_with_a_lower_score(self, alias_nlps):
        nlp, _ = alias_nlps
        assert found(SENTENCE, nlp) == [
            ("CNC machine operators", EX + "cnc-operator", 0.7),
            ("PPE", EX + "ppe", 0.7),
            ("welding equipment", EX + "weld", 0.7),
            ("forklift truck", EX + "forklift", 1.0),
            ("organize training", EX + "train", 0.7),
            ("data analyses", EX + "analysis", 0.7),
        ]

    def test_switched_off_links_only_vocabulary_labels(self, alias_nlps):
        _, spine = alias_nlps
        assert found(SENTENCE, spine) == [("forklift truck", EX + "forklift", 1.0)]

    def test_a_vocabulary_label_keeps_its_key(self, alias_nlps):
        # "forklift truck" is the object of "operate forklift truck" and the prefLabel of a
        # technology: the curated label wins alone, with no generated alternative.
        (mention,) = extract_text("A forklift truck.", nlp=alias_nlps[0]).mentions
        assert (mention.concept, mention.score, mention.alternatives) == (EX + "forklift", 1.0, ())

    def test_plurals_from_the_lemma_table(self, alias_nlps):
        # The rules alone norm "lenses" to "lense"; spaCy's lemma table knows it is "lens".
        nlp, spine = alias_nlps
        assert found("Grind optical lenses.", nlp) == [("optical lenses", EX + "lens", 1.0)]
        assert found("Grind optical lenses.", spine) == []

    def test_acronym_links_only_in_capitals(self, alias_nlps):
        assert found("Bring ppe and PPE.", alias_nlps[0]) == [("PPE", EX + "ppe", 0.7)]


@pytest.mark.usefixtures("full_nlp")
class TestAcronymsOnRealVocabularies:
    def test_cnc_plc_and_cad(self, full_nlp):
        text = "Students learn CNC machining, program a PLC and draw parts in CAD."
        assert [(m.text, m.concept, m.cls) for m in extract_text(text, nlp=full_nlp).mentions] == [
            ("CNC machining", "https://w3id.org/chaingraph/id/cg/cnc-machining", "Technology"),
            ("PLC", ESCO_SKILL + "6468e5fb-f3be-4025-87be-4b6556755c61", "Skill"),
            # The O*NET category "Computer aided design CAD software" keeps only "CAD software" as an
            # alias; "CAD" is the object of ESCO's "use CAD software".
            ("CAD", ESCO_SKILL + "b34e2ba1-9080-48c9-9b42-ee9192a4d3f1", "Skill"),
        ]

    def test_generated_acronyms_and_objects(self, full_nlp):
        text = "Technicians use hand tools and carry out NDT on welds; staff need PPE."
        mentions = {m.text: m for m in extract_text(text, nlp=full_nlp).mentions}
        assert (mentions["NDT"].label, mentions["NDT"].score) == ("non-destructive testing", 0.7)
        assert mentions["NDT"].concept == ESCO_SKILL + "75697ed4-c1a3-47dc-93e3-bb50f21aa2f6"
        assert mentions["PPE"].label == "personal protective equipment"
        assert mentions["PPE"].concept == ESCO_SKILL + "66ea3249-a079-45ad-b4f2-e6a79b59f10f"
        assert mentions["use hand tools"].score == 1.0  # the vocabulary's own label, not the generated "hand tools"

    def test_every_expansion_is_in_the_vocabularies(self, full_nlp):
        linker = full_nlp.get_pipe("chaingraph_concepts")
        keys = list(linker.gazetteer.entries)
        table = AcronymTable.read(vocab_dir() / "sources" / "acronyms-en.csv")
        missing = []
        for _acronym, expansion in table.pairs:
            key = " ".join(t.norm_ for t in full_nlp.make_doc(expansion))
            if not any(key in k for k in keys):
                missing.append(expansion)
        assert missing == []


class TestSoftwareCategories:
    """O*NET technology categories are common words plus "software": no alias drops "software"."""

    @pytest.mark.parametrize(
        "name, aliases",
        [
            ("Data input software", []),
            ("Work order software", []),
            ("Local area network LAN software", ["LAN software", "Local area network software"]),
            ("Amazon Web Services AWS software", ["AWS", "Amazon Web Services", "Amazon Web Services AWS"]),
            ("Minitab software", ["Minitab"]),
        ],
    )
    def test_category_aliases(self, name, aliases):
        from chaingraph.vocab.aliases import technology_aliases

        assert technology_aliases(name) == aliases

    def test_category_words_and_vendor_stripped_names_in_lower_case_do_not_link(self, full_nlp):
        text = "Staff handle data input, work orders, local area networks and virtual servers with technical skills."
        assert extract_text(text, nlp=full_nlp).mentions == () or all(
            m.cls != "Technology" and "technical" not in m.text for m in extract_text(text, nlp=full_nlp).mentions
        )

    def test_vendor_stripped_name_links_as_written(self, full_nlp):
        found = extract_text("The lab runs Virtual Server on two hosts.", nlp=full_nlp).mentions
        assert [m.label for m in found if m.cls == "Technology"] == ["Microsoft Virtual Server"]

    def test_lan_acronym_is_no_software(self, full_nlp):
        found = extract_text("Each classroom has a LAN connection.", nlp=full_nlp).mentions
        assert "https://w3id.org/chaingraph/id/onet-tech/local-area-network-lan-software" not in {
            m.concept for m in found
        }


def test_technical_skills_are_stop_listed():
    from chaingraph.nlp.gazetteer import load_stop_labels

    assert "technical skill" in load_stop_labels("en")


class TestVerbObjectOfAnotherActivity:
    """An alternative label's object is an alias only when the preferred label is that object's use."""

    @staticmethod
    def skill(pref, *alts):
        from chaingraph.nlp.gazetteer import ALT, PREF, ConceptInfo

        labels = [(pref, "en", PREF)] + [(alt, "en", ALT) for alt in alts]
        return ConceptInfo(EX + "s", "Skill", "esco", None, {"en": pref}, labels)

    def test_object_of_an_alt_label_of_another_activity_is_no_alias(self):
        from chaingraph.nlp.gazetteer import generated_labels

        # "use production schedules" is an altLabel of "follow production schedule".
        concept = self.skill("follow production schedule", "use production schedules")
        assert list(generated_labels([concept])) == []

    def test_object_of_a_use_skill_stays_an_alias(self):
        from chaingraph.nlp.gazetteer import generated_labels

        concept = self.skill("use CAD software", "apply CAD software")
        assert list(generated_labels([concept])) == [(0, "CAD software", "en"), (0, "CAD", "en")]

    def test_object_of_a_knowledge_concept_stays_an_alias(self):
        from chaingraph.nlp.gazetteer import generated_labels

        concept = self.skill("SQL", "use SQL")
        assert list(generated_labels([concept])) == [(0, "SQL", "en")]
