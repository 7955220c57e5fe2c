"""Chinese vocabularies: the MOE major catalogue, GB/T 4754-2017 and the curated zh labels.

Expected facts were read off the raw files (``vocational_major_catalog_2021_zh.csv``,
``GBT4754-2017_industry_classification_zh.csv``) and the curated CSVs, not off the output.
"""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from chaingraph.rdf.namespaces import CG, ESCO, RDF, SKOS, concept_iri, scheme_iri
from chaingraph.resources import vocab_dir
from chaingraph.vocab import VocabImportError, import_vocab
from chaingraph.vocab.skos import ConceptRecord, VocabGraph
from chaingraph.vocab.zh_core import (
    EMERGING_TECH_FILE,
    ZH_CORE_FILE,
    clean_zh_label,
    import_zh,
    zh_label_problem,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SOURCES = vocab_dir() / "sources"
MAJORS_CSV = DATA / "cn-vocational-major-catalog-2021" / "vocational_major_catalog_2021_zh.csv"
INDUSTRY_CSV = DATA / "gbt4754-2017-cn" / "GBT4754-2017_industry_classification_zh.csv"

WELDING_TECHNIQUES = ESCO + "skill/530cb489-d900-46ab-9350-4d50ccd49eea"
WELDER = ESCO + "occupation/7aedaa07-3884-4c5b-88f9-80997b2aa54b"
PRINCIPLES_OF_AI = ESCO + "skill/e465a154-93f7-4973-9ce1-31659fe16dd2"
CNC_OPERATOR = ESCO + "occupation/5c082067-ea18-4ccb-8c43-e70b18ad8120"
LABEL_PREDICATES = {SKOS + "prefLabel", SKOS + "altLabel", SKOS + "hiddenLabel"}


def zh(text: str) -> ox.Literal:
    return ox.Literal(text, language="zh")


def en(text: str) -> ox.Literal:
    return ox.Literal(text, language="en")


def load(*paths: Path) -> ox.Store:
    store = ox.Store()
    for path in paths:
        with gzip.open(path, "rb") as handle:
            store.bulk_load(handle.read(), format=ox.RdfFormat.TURTLE)
    return store


def objects(store: ox.Store, subject: str, predicate: str) -> set:
    return {q.object for q in store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None)}


def raw_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """cnmajor, gbt4754 and zh built into a temporary folder (zh checked against the shipped
    English vocabularies)."""
    if not DATA.is_dir():
        pytest.skip(f"shared data not found at {DATA}")
    out = tmp_path_factory.mktemp("vocab")
    stats = {name: import_vocab(name, DATA, out) for name in ("cnmajor", "gbt4754")}
    english = [vocab_dir() / f"{name}.ttl.gz" for name in ("esco", "onet", "cip")]
    stats["zh"] = import_zh(SOURCES, out / "zh.ttl.gz", vocab_paths=english)
    store = load(*(out / f"{name}.ttl.gz" for name in stats))
    return {"out": out, "stats": stats, "store": store}


# -- 职业教育专业目录（2021）--------------------------------------------------------------------


class TestMajorCatalogue:
    def test_counts_match_the_raw_file(self, built: dict) -> None:
        rows = raw_rows(MAJORS_CSV)
        counts = built["stats"]["cnmajor"].counts
        assert built["stats"]["cnmajor"].concepts == {"Programme": len(rows)} == {"Programme": 1_681}
        assert counts["majors"] == sum(r["item_level"] == "MAJOR" for r in rows) == 1_349
        assert counts["majors, 中职"] == 358
        assert counts["majors, 高职专科"] == 744
        assert counts["majors, 高职本科"] == 247
        assert counts["classes (类), 高职专科"] == 97

    def test_a_major_with_its_level_and_parent(self, built: dict) -> None:
        store, iri = built["store"], concept_iri("cnmajor", "460305")
        assert objects(store, iri, SKOS + "prefLabel") == {zh("工业机器人技术")}
        assert objects(store, iri, SKOS + "notation") == {ox.Literal("460305")}
        assert objects(store, iri, SKOS + "broader") == {ox.NamedNode(concept_iri("cnmajor", "4603"))}
        assert objects(store, iri, CG + "educationLevel") == {zh("高职专科"), en("higher vocational (associate)")}
        assert objects(store, iri, CG + "level") == {ox.Literal("major")}
        assert objects(store, iri, SKOS + "inScheme") == {ox.NamedNode(scheme_iri("cnmajor"))}
        assert objects(store, iri, RDF + "type") == {ox.NamedNode(SKOS + "Concept"), ox.NamedNode(CG + "Programme")}
        parent = concept_iri("cnmajor", "4603")
        assert objects(store, parent, SKOS + "prefLabel") == {zh("自动化类")}
        assert objects(store, parent, SKOS + "broader") == {ox.NamedNode(concept_iri("cnmajor", "46"))}
        assert objects(store, concept_iri("cnmajor", "46"), CG + "level") == {ox.Literal("category")}

    def test_controlled_major_keeps_its_k(self, built: dict) -> None:
        store, iri = built["store"], concept_iri("cnmajor", "520101K")
        assert iri.endswith("/cnmajor/520101K")
        assert objects(store, iri, SKOS + "prefLabel") == {zh("临床医学")}
        assert objects(store, iri, SKOS + "notation") == {ox.Literal("520101K"), ox.Literal("520101")}

    def test_one_name_at_several_levels_stays_several_concepts(self, built: dict) -> None:
        # 数控技术 is both 高职专科 460103 and 高职本科 260103 in the raw file.
        store = built["store"]
        for code, level in (("460103", "高职专科"), ("260103", "高职本科")):
            iri = concept_iri("cnmajor", code)
            assert objects(store, iri, SKOS + "prefLabel") == {zh("数控技术")}
            assert zh(level) in objects(store, iri, CG + "educationLevel")
            assert objects(store, iri, SKOS + "hiddenLabel") == {zh("数控技术专业")}


# -- GB/T 4754-2017 --------------------------------------------------------------------------


class TestIndustryClassification:
    def test_counts_per_level(self, built: dict) -> None:
        raw = Counter(r["level"] for r in raw_rows(INDUSTRY_CSV))
        counts = built["stats"]["gbt4754"].counts
        assert counts["sections (门类)"] == raw["1"] == 20
        assert counts["divisions (大类)"] == raw["2"] == 97
        assert counts["classes (小类)"] == raw["4"] == 1_381
        # 274 explicit group rows plus 199 groups the transcription leaves out (single class).
        assert counts["groups (中类)"] == 473 == raw["3"] + counts["groups added (single class of the same name)"]

    def test_section_c_is_manufacturing(self, built: dict) -> None:
        store, iri = built["store"], concept_iri("gbt4754", "C")
        assert objects(store, iri, SKOS + "prefLabel") == {zh("制造业"), en("Manufacturing")}
        assert objects(store, iri, CG + "level") == {ox.Literal("section")}
        assert objects(store, iri, SKOS + "broader") == set()

    def test_class_with_letter_code_digits_and_parent(self, built: dict) -> None:
        store, iri = built["store"], concept_iri("gbt4754", "C3411")
        assert objects(store, iri, SKOS + "notation") == {ox.Literal("C3411"), ox.Literal("3411")}
        assert objects(store, iri, SKOS + "broader") == {ox.NamedNode(concept_iri("gbt4754", "C341"))}
        assert objects(store, concept_iri("gbt4754", "C34"), SKOS + "prefLabel") == {
            zh("通用设备制造业"),
            en("Manufacture of General-purpose Machinery"),
        }

    def test_scope_note_and_parenthetical_variant(self, built: dict) -> None:
        store = built["store"]
        note = objects(store, concept_iri("gbt4754", "A0111"), SKOS + "scopeNote")
        assert note == set()  # 稻谷种植 has no 说明
        assert objects(store, concept_iri("gbt4754", "A011"), SKOS + "scopeNote") == {
            zh("指以收获籽实为主的农作物的种植，包括稻谷、小麦、玉米等农作物的种植和作为饲料和工业原料的谷物的种植")
        }
        # The raw name mixes half- and full-width parentheses: "三维（3D)打印技术推广服务".
        iri = concept_iri("gbt4754", "M7517")
        assert objects(store, iri, SKOS + "prefLabel") == {zh("三维（3D）打印技术推广服务")}
        # Also the name without its generic ending 服务, as texts write it.
        assert objects(store, iri, SKOS + "hiddenLabel") == {zh("三维打印技术推广服务"), zh("三维（3D）打印技术推广")}

    def test_names_without_their_ending_and_curated_aliases(self, built: dict) -> None:
        store = built["store"]
        hidden = objects(store, concept_iri("gbt4754", "L7262"), SKOS + "hiddenLabel")
        assert hidden == {zh("职业中介")}  # 职业中介服务
        research = objects(store, concept_iri("gbt4754", "M73"), SKOS + "hiddenLabel")
        assert zh("科学技术研究开发") in research
        # A firm's own 研发 is not the R&D industry; 人力资源 (without 服务) is the workforce.
        assert zh("研发") not in research and zh("研究开发") not in research
        assert zh("人力资源") not in objects(store, concept_iri("gbt4754", "L726"), SKOS + "hiddenLabel")
        assert zh("职业培训") in objects(store, concept_iri("gbt4754", "P8391"), SKOS + "hiddenLabel")

    def test_group_left_out_by_the_source_is_added(self, built: dict) -> None:
        store = built["store"]
        group, cls = concept_iri("gbt4754", "N783"), concept_iri("gbt4754", "N7830")
        assert objects(store, group, SKOS + "prefLabel") == {zh("城乡市容管理")}
        assert objects(store, group, SKOS + "broader") == {ox.NamedNode(concept_iri("gbt4754", "N78"))}
        assert objects(store, cls, SKOS + "broader") == {ox.NamedNode(group)}

    def test_every_section_and_division_has_english(self, built: dict) -> None:
        store = built["store"]
        for row in raw_rows(INDUSTRY_CSV):
            if row["level"] in ("1", "2"):
                code = row["section"] + ("" if row["level"] == "1" else row["code"])
                labels = objects(store, concept_iri("gbt4754", code), SKOS + "prefLabel")
                assert {label.language for label in labels} == {"zh", "en"}, code


# -- the curated core and the emerging technologies --------------------------------------------


class TestCuratedLabels:
    def test_counts(self, built: dict) -> None:
        rows = raw_rows(SOURCES / ZH_CORE_FILE)
        techs = raw_rows(SOURCES / EMERGING_TECH_FILE)
        assert len(rows) >= 400
        assert len(techs) >= 40
        assert built["stats"]["zh"].concepts == {"Technology": len(techs)}
        assert {r["class"] for r in rows} >= {"Occupation", "Skill", "Technology", "Programme"}

    def test_welding(self, built: dict) -> None:
        store = built["store"]
        assert objects(store, WELDING_TECHNIQUES, SKOS + "prefLabel") == {zh("焊接技术")}
        assert zh("焊接") in objects(store, WELDING_TECHNIQUES, SKOS + "altLabel")
        assert objects(store, WELDER, SKOS + "prefLabel") == {zh("焊工")}

    def test_nearest_broader_concept_gets_only_an_alt_label(self, built: dict) -> None:
        # 数控车工 (CNC lathe operator) has no ESCO concept of its own: it is an altLabel of the
        # CNC machine operator, whose zh prefLabel comes from the exact row.
        store = built["store"]
        assert objects(store, CNC_OPERATOR, SKOS + "prefLabel") == {zh("数控机床操作工")}
        assert zh("数控车工") in objects(store, CNC_OPERATOR, SKOS + "altLabel")

    def test_emerging_technology_with_close_match(self, built: dict) -> None:
        store, iri = built["store"], concept_iri("cg", "artificial-intelligence")
        assert objects(store, iri, SKOS + "prefLabel") == {zh("人工智能"), en("artificial intelligence")}
        assert objects(store, iri, SKOS + "inScheme") == {ox.NamedNode(scheme_iri("cg"))}
        assert objects(store, iri, CG + "chain") == {ox.NamedNode(CG + "innovation")}
        assert ox.NamedNode(PRINCIPLES_OF_AI) in objects(store, iri, SKOS + "closeMatch")
        assert objects(store, iri, SKOS + "definition")

    def test_only_labels_on_existing_concepts(self, built: dict) -> None:
        minted = {concept_iri("cg", r["slug"]) for r in raw_rows(SOURCES / EMERGING_TECH_FILE)}
        with gzip.open(built["out"] / "zh.ttl.gz", "rb") as handle:
            for triple in ox.parse(handle, format=ox.RdfFormat.TURTLE):
                subject = triple.subject.value
                if subject not in minted and subject != scheme_iri("cg"):
                    assert triple.predicate.value in {SKOS + "prefLabel", SKOS + "altLabel"}, triple
                    assert triple.object.language == "zh", triple

    def test_at_most_one_zh_pref_label_per_concept(self, built: dict) -> None:
        per_concept = Counter(
            q.subject.value
            for q in built["store"].quads_for_pattern(None, ox.NamedNode(SKOS + "prefLabel"), None)
            if q.object.language == "zh"
        )
        assert per_concept and max(per_concept.values()) == 1

    def test_every_zh_label_is_a_clean_term(self, built: dict) -> None:
        seen = 0
        for quad in built["store"]:
            if quad.predicate.value in LABEL_PREDICATES and quad.object.language == "zh":
                assert zh_label_problem(quad.object.value) is None, quad.object.value
                seen += 1
        assert seen > 5_000

    def test_rebuild_is_byte_identical_to_the_shipped_files(self, built: dict) -> None:
        for name in ("cnmajor", "gbt4754", "zh"):
            assert (built["out"] / f"{name}.ttl.gz").read_bytes() == (vocab_dir() / f"{name}.ttl.gz").read_bytes()


# -- validation on small hand-made vocabularies -------------------------------------------------


TOY_SKILL = ESCO + "skill/toy-welding"
TOY_OCCUPATION = ESCO + "occupation/toy-welder"
HEADER = "iri,class,zh_pref,zh_alt,en_label,decision\n"
TECH_HEADER = "slug,zh_pref,zh_alt,en_pref,en_alt,definition_en,close_match_iris,note\n"
TECH_ROW = f"toy-tech,玩具技术,,toy technology,,A technology for tests.,{TOY_SKILL},\n"


@pytest.fixture()
def toy(tmp_path: Path) -> dict:
    graph = VocabGraph()
    for iri, cls, label in ((TOY_SKILL, "Skill", "welding"), (TOY_OCCUPATION, "Occupation", "welder")):
        record = ConceptRecord(iri, cls, "esco")
        record.set_pref(label)
        graph.add_concept(record)
    english = tmp_path / "toy.ttl.gz"
    graph.write(english, "toy")
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / EMERGING_TECH_FILE).write_text(TECH_HEADER + TECH_ROW, encoding="utf-8")
    return {"english": english, "sources": sources, "out": tmp_path / "zh.ttl.gz"}


def run_toy(toy: dict, rows: str) -> None:
    (toy["sources"] / ZH_CORE_FILE).write_text(HEADER + rows, encoding="utf-8")
    import_zh(toy["sources"], toy["out"], vocab_paths=[toy["english"]])


class TestValidation:
    def test_a_good_file_builds(self, toy: dict) -> None:
        run_toy(toy, f"{TOY_SKILL},Skill,焊接,焊接技术,welding,exact\n{TOY_OCCUPATION},Occupation,焊工,,welder,exact\n")
        store = load(toy["out"])
        assert objects(store, TOY_SKILL, SKOS + "prefLabel") == {zh("焊接")}
        assert objects(store, TOY_SKILL, SKOS + "altLabel") == {zh("焊接技术")}

    @pytest.mark.parametrize(
        ("rows", "message"),
        [
            (f"{ESCO}skill/missing,Skill,焊接,,welding,exact\n", "not a concept of the built English"),
            (f"{TOY_SKILL},Occupation,焊接,,welding,exact\n", "is a Skill, not a Occupation"),
            (f"{TOY_SKILL},Skill,焊接,,soldering,exact\n", "not 'soldering'"),
            (
                f"{TOY_SKILL},Skill,焊接,,welding,exact\n{TOY_SKILL},Skill,电焊,,welding,exact\n",
                "several zh prefLabels",
            ),
            (
                f"{TOY_SKILL},Skill,焊接,,welding,exact\n{TOY_OCCUPATION},Skill,焊接,,welder,exact\n",
                "is a Occupation, not a Skill",
            ),
            (f"{TOY_SKILL},Skill,焊接,,welding,guessed\n", "decision must start with"),
            (f"{TOY_SKILL},Skill,焊接（高职专科）,,welding,exact\n", "education level"),
            (f"{TOY_SKILL},Skill,、焊接,,welding,exact\n", "punctuation"),
            (f"{concept_iri('cg', 'other')},Technology,玩具技术,,toy technology,minted\n", "not in emerging_tech"),
        ],
    )
    def test_bad_mappings_fail_loudly(self, toy: dict, rows: str, message: str) -> None:
        with pytest.raises(VocabImportError, match=message):
            run_toy(toy, rows)

    def test_same_class_duplicate_pref_fails(self, toy: dict, tmp_path: Path) -> None:
        graph = VocabGraph()
        for iri in (TOY_SKILL, TOY_SKILL + "-2"):
            record = ConceptRecord(iri, "Skill", "esco")
            record.set_pref("welding")
            graph.add_concept(record)
        graph.write(toy["english"], "toy")
        with pytest.raises(VocabImportError, match="names 2 Skill concepts"):
            run_toy(toy, f"{TOY_SKILL},Skill,焊接,,welding,exact\n{TOY_SKILL}-2,Skill,焊接,,welding,exact\n")

    def test_close_match_must_exist(self, toy: dict) -> None:
        (toy["sources"] / EMERGING_TECH_FILE).write_text(
            TECH_HEADER + f"toy-tech,玩具技术,,toy technology,,A technology.,{ESCO}skill/missing,\n", encoding="utf-8"
        )
        with pytest.raises(VocabImportError, match="closeMatch"):
            run_toy(toy, "")


def test_clean_zh_label_normalises_width_and_spaces() -> None:
    assert clean_zh_label("羽毛(绒)加工 ") == "羽毛（绒）加工"
    assert clean_zh_label("工业 机器人") == "工业机器人"
    assert clean_zh_label("Visual  Basic编程") == "Visual Basic编程"
    assert zh_label_problem("羽毛（绒加工") == "has unbalanced parentheses"


def test_registry_falls_back_to_the_shipped_sources(tmp_path: Path) -> None:
    from chaingraph.vocab.importers import IMPORTERS, VOCAB_ORDER

    assert VOCAB_ORDER.index("zh") > max(VOCAB_ORDER.index(n) for n in ("esco", "onet", "cip"))
    assert IMPORTERS["zh"].release_dir(tmp_path) == SOURCES
    with pytest.raises(VocabImportError, match="build esco, onet and cip before zh"):
        import_vocab("zh", tmp_path, tmp_path)
