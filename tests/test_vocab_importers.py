"""Vocabulary importers on the real public releases, plus the alias rules on hand-made names.

Expected facts were read off the raw files (ESCO CSV, O*NET TSV, CIP CSV, Nesta/BLS CSV), not
off the importer output.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pyoxigraph as ox
import pytest

from chaingraph.rdf.namespaces import CG, ESCO, SKOS, concept_iri, scheme_iri, slug
from chaingraph.vocab import VocabImportError, import_vocab
from chaingraph.vocab.aliases import (
    bare_form,
    is_usable_alias,
    learn_vendors,
    programme_aliases,
    technology_aliases,
    trailing_acronym,
)
from chaingraph.vocab.cip import normalise_cip_code
from chaingraph.vocab.onet import technology_slugs
from chaingraph.vocab.skos import ConceptRecord, VocabGraph

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
XSD = "http://www.w3.org/2001/XMLSchema#"

PYTHON_SKILL = ESCO + "skill/ccd0a1d9-afda-43d9-b901-96344886e14d"
COMPUTER_PROGRAMMING = ESCO + "skill/21d2f96d-35f7-4e3f-9745-c533d2dd6e97"
SAAS_SKILL = ESCO + "skill/eeca3780-8049-499f-a268-95a7ad26642c"
TECHNICAL_DIRECTOR = ESCO + "occupation/00030d09-2b3a-4efd-87cc-c4ea39d27c34"
WELDER = ESCO + "occupation/7aedaa07-3884-4c5b-88f9-80997b2aa54b"
MEMBER_OF_PARLIAMENT = ESCO + "occupation/5bca96fd-4203-400b-be58-9e9b50bc98da"
FIRE_COMMISSIONER = ESCO + "occupation/f2413988-f76a-4636-a4b1-9952517aa21f"


def tech(name: str) -> str:
    return concept_iri("onet-tech", slug(name))


# -- importers on the real data ---------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    if not DATA.is_dir():
        pytest.skip(f"shared data not found at {DATA}")
    out = tmp_path_factory.mktemp("vocab")
    stats = {name: import_vocab(name, DATA, out) for name in ("esco", "onet", "cip", "crosswalks")}
    store = ox.Store()
    for name in stats:
        with gzip.open(out / f"{name}.ttl.gz", "rb") as handle:
            store.bulk_load(handle.read(), format=ox.RdfFormat.TURTLE)
    return {"out": out, "stats": stats, "store": store}


def objects(store: ox.Store, subject: str, predicate: str) -> set:
    return {q.object for q in store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None)}


def texts(store: ox.Store, subject: str, predicate: str) -> set[str]:
    return {term.value for term in objects(store, subject, predicate)}


def en(text: str) -> ox.Literal:
    return ox.Literal(text, language="en")


def test_counts(built: dict) -> None:
    stats = built["stats"]
    assert stats["esco"].concepts["Skill"] == 13_896
    assert stats["esco"].counts["ESCO occupations"] == 3_007
    assert stats["esco"].counts["ISCO groups"] == 619
    assert stats["onet"].concepts["Occupation"] == 1_016
    assert stats["onet"].concepts["Technology"] >= 5_000
    # 2,848 rows minus 149 "Moved from" and 12 "Deleted".
    assert stats["cip"].concepts["Programme"] == 2_687
    for name, stat in stats.items():
        assert stat.triples > 1_000, name
        assert stat.size_bytes < 20_000_000, name


def test_every_concept_has_class_chain_scheme_and_one_pref_label(built: dict) -> None:
    query = f"""
        PREFIX skos: <{SKOS}> PREFIX cg: <{CG}>
        SELECT (COUNT(*) AS ?n) WHERE {{
          {{ SELECT ?c (COUNT(?l) AS ?k) WHERE {{
               ?c a skos:Concept . OPTIONAL {{ ?c skos:prefLabel ?l FILTER(lang(?l) = "en") }}
             }} GROUP BY ?c }}
          FILTER(?k != 1 || NOT EXISTS {{ ?c cg:chain ?chain ; skos:inScheme ?s }})
        }}"""
    assert int(next(iter(built["store"].query(query)))["n"].value) == 0


def test_esco_skill_labels_type_and_hierarchy(built: dict) -> None:
    store = built["store"]
    assert texts(store, PYTHON_SKILL, SKOS + "prefLabel") == {"Python (computer programming)"}
    assert en("Python3") in objects(store, PYTHON_SKILL, SKOS + "altLabel")
    # "Python" is an altLabel in ESCO already, so the bare-form rule adds no hiddenLabel copy.
    assert en("Python") in objects(store, PYTHON_SKILL, SKOS + "altLabel")
    assert en("Python") not in objects(store, PYTHON_SKILL, SKOS + "hiddenLabel")
    assert texts(store, PYTHON_SKILL, CG + "skillType") == {"knowledge"}
    assert texts(store, PYTHON_SKILL, CG + "reuseLevel") == {"sector-specific"}
    assert texts(store, PYTHON_SKILL, SKOS + "broader") == {COMPUTER_PROGRAMMING}
    assert texts(store, PYTHON_SKILL, CG + "chain") == {CG + "talent"}
    assert texts(store, PYTHON_SKILL, SKOS + "inScheme") == {scheme_iri("esco")}
    digital = "https://w3id.org/chaingraph/id/collection/esco-digital"
    assert ox.NamedNode(PYTHON_SKILL) in objects(store, digital, SKOS + "member")
    assert en("ESCO digital skills") in objects(store, digital, SKOS + "prefLabel")


def test_esco_trailing_qualifier_becomes_hidden_label(built: dict) -> None:
    store = built["store"]
    assert texts(store, SAAS_SKILL, SKOS + "prefLabel") == {"SaaS (service-oriented modelling)"}
    assert en("SaaS") in objects(store, SAAS_SKILL, SKOS + "hiddenLabel")
    assert en("SaaS model") in objects(store, SAAS_SKILL, SKOS + "altLabel")


def test_esco_occupation_notation_broader_and_skills(built: dict) -> None:
    store = built["store"]
    assert texts(store, TECHNICAL_DIRECTOR, SKOS + "prefLabel") == {"technical director"}
    assert texts(store, TECHNICAL_DIRECTOR, SKOS + "notation") == {"2654.1.7"}
    assert texts(store, TECHNICAL_DIRECTOR, SKOS + "broader") == {
        ESCO + "occupation/cb93fd23-1f51-4495-867a-936c1967066b"
    }
    # The prefLabel is listed among ESCO's altLabels too; it must not be repeated.
    assert en("technical director") not in objects(store, TECHNICAL_DIRECTOR, SKOS + "altLabel")
    assert en("head of technical") in objects(store, TECHNICAL_DIRECTOR, SKOS + "altLabel")
    essential = texts(store, TECHNICAL_DIRECTOR, CG + "essentialSkill")
    assert ESCO + "skill/fed5b267-73fa-461d-9f69-827c78beb39d" in essential  # theatre techniques
    assert ESCO + "skill/05bc7677-5a64-4e0c-ade3-0140348d4125" in essential  # organise rehearsals
    assert texts(store, WELDER, SKOS + "broader") == {concept_iri("isco", "7212")}


def test_isco_groups(built: dict) -> None:
    store = built["store"]
    group = concept_iri("isco", "7212")
    assert group == ESCO + "isco/C7212"
    assert texts(store, group, SKOS + "prefLabel") == {"Welders and flamecutters"}
    assert texts(store, group, SKOS + "notation") == {"7212"}
    assert texts(store, group, SKOS + "broader") == {concept_iri("isco", "721")}
    assert texts(store, group, SKOS + "inScheme") == {scheme_iri("isco")}
    assert texts(store, concept_iri("isco", "7"), SKOS + "broader") == set()


def test_cip_programme(built: dict) -> None:
    store = built["store"]
    iri = concept_iri("cip", "15.0613")
    assert texts(store, iri, SKOS + "prefLabel") == {"Manufacturing Engineering Technology/Technician"}
    assert objects(store, iri, SKOS + "notation") == {ox.Literal("15.0613")}
    assert texts(store, iri, SKOS + "broader") == {concept_iri("cip", "15.06")}
    assert texts(store, concept_iri("cip", "15.06"), SKOS + "broader") == {concept_iri("cip", "15")}
    assert en("Manufacturing Engineering Technology") in objects(store, iri, SKOS + "hiddenLabel")
    assert texts(store, iri, CG + "chain") == {CG + "education"}
    (definition,) = texts(store, iri, SKOS + "definition")
    assert definition.startswith("A program that prepares individuals to apply basic engineering")
    # A 4-digit series only points at its codes; that is not a definition.
    assert texts(store, concept_iri("cip", "15.06"), SKOS + "definition") == set()


def test_cip_slash_and_general_aliases_and_moved_codes(built: dict) -> None:
    store = built["store"]
    welding = concept_iri("cip", "48.0508")
    labels = texts(store, welding, SKOS + "hiddenLabel") | texts(store, welding, SKOS + "altLabel")
    assert labels == {"Welding Technology"}
    general = concept_iri("cip", "01.0101")
    assert texts(store, general, SKOS + "hiddenLabel") == {"Agricultural Business and Management"}
    # Veterinary medicine moved from 51.2401 to 01.8001 in CIP 2020.
    assert texts(store, concept_iri("cip", "51.2401"), SKOS + "prefLabel") == set()
    assert texts(store, concept_iri("cip", "01.8001"), SKOS + "prefLabel") == {"Veterinary Medicine"}


def test_onet_occupation(built: dict) -> None:
    store = built["store"]
    iri = concept_iri("onet", "17-2112.00")
    assert texts(store, iri, SKOS + "prefLabel") == {"Industrial Engineers"}
    assert texts(store, iri, SKOS + "notation") == {"17-2112.00"}
    alt = texts(store, iri, SKOS + "altLabel")
    assert {"Continuous Improvement Engineer", "Quality Assurance Engineer (QA Engineer)"} <= alt
    assert "QA Engineer" in alt  # Short Title column
    assert "Industrial Engineers" not in alt
    # "Industrial Engineer" is both an alternate and a reported title: written once.
    store_alt = [q for q in store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(SKOS + "altLabel"), None)]
    assert sum(1 for q in store_alt if q.object.value.casefold() == "industrial engineer") == 1
    assert ox.NamedNode(tech("Dassault Systemes SolidWorks")) in objects(store, iri, CG + "technologyUsed")


def test_technology_flags_counts_and_commodity(built: dict) -> None:
    store = built["store"]
    true = ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))
    false = ox.Literal("false", datatype=ox.NamedNode(XSD + "boolean"))
    solidworks = tech("Dassault Systemes SolidWorks")
    assert texts(store, solidworks, SKOS + "prefLabel") == {"Dassault Systemes SolidWorks"}
    assert objects(store, solidworks, CG + "hotTechnology") == {true}
    assert objects(store, solidworks, CG + "inDemand") == {true}
    assert objects(store, solidworks, CG + "occupationCount") == {
        ox.Literal("58", datatype=ox.NamedNode(XSD + "integer"))
    }
    # Listed 55 times under CAD software (43232604) and 3 times elsewhere.
    assert texts(store, solidworks, SKOS + "broader") == {concept_iri("unspsc", "43232604")}
    assert texts(store, concept_iri("unspsc", "43232604"), SKOS + "prefLabel") == {"Computer aided design CAD software"}
    assert texts(store, concept_iri("unspsc", "43232604"), SKOS + "notation") == {"43232604"}
    minitab = tech("Minitab")
    assert objects(store, minitab, CG + "hotTechnology") == {false}
    assert objects(store, minitab, CG + "inDemand") == {false}
    assert texts(store, minitab, CG + "occupationCount") == {"70"}
    facebook = tech("Facebook")
    assert objects(store, facebook, CG + "hotTechnology") == {true}
    assert objects(store, facebook, CG + "inDemand") == {false}
    assert texts(store, solidworks, CG + "chain") == {CG + "innovation"}


@pytest.mark.parametrize(
    ("name", "alias"),
    [
        ("Dassault Systemes SolidWorks", "SolidWorks"),
        ("The MathWorks MATLAB", "MATLAB"),
        ("Amazon Web Services AWS software", "AWS"),
        ("Structured query language SQL", "SQL"),
        ("Structured query language SQL", "Structured query language"),
        ("Microsoft Word", "Word"),
    ],
)
def test_technology_aliases_in_output(built: dict, name: str, alias: str) -> None:
    assert alias in texts(built["store"], tech(name), SKOS + "altLabel")


def test_crosswalks(built: dict) -> None:
    store = built["store"]
    # Nesta: member of parliament -> legislators, confidence 2.
    assert texts(store, MEMBER_OF_PARLIAMENT, SKOS + "closeMatch") == {concept_iri("onet", "11-1031.00")}
    # Confidence 0.5 is only a related match.
    assert texts(store, FIRE_COMMISSIONER, SKOS + "relatedMatch") == {concept_iri("onet", "11-1011.00")}
    assert texts(store, FIRE_COMMISSIONER, SKOS + "closeMatch") == set()
    # BLS: ISCO 1111 Legislators -> SOC 11-1031.
    assert concept_iri("onet", "11-1031.00") in texts(store, concept_iri("isco", "1111"), SKOS + "closeMatch")
    counts = built["stats"]["crosswalks"].counts
    assert counts["nesta dropped (O*NET code not in O*NET 29.2)"] == 325


def test_rebuild_is_byte_identical(built: dict, tmp_path: Path) -> None:
    again = import_vocab("cip", DATA / "cip2020", tmp_path)
    assert again.path.read_bytes() == (built["out"] / "cip.ttl.gz").read_bytes()
    assert again.path.read_bytes()[4:8] == b"\0\0\0\0"  # gzip mtime 0


def test_wrong_source_dir_names_the_missing_file(tmp_path: Path) -> None:
    with pytest.raises(VocabImportError, match="CIPCode2020.csv"):
        import_vocab("cip", tmp_path, tmp_path)
    with pytest.raises(VocabImportError, match="skills_en.csv.gz"):
        import_vocab("esco", tmp_path, tmp_path)
    with pytest.raises(VocabImportError, match="unknown vocabulary"):
        import_vocab("nace", tmp_path, tmp_path)


def test_crosswalks_need_built_vocabularies(tmp_path: Path) -> None:
    if not DATA.is_dir():
        pytest.skip("shared data not found")
    with pytest.raises(VocabImportError, match="esco.ttl.gz"):
        import_vocab("crosswalks", DATA, tmp_path)


# -- building blocks on hand-made input -------------------------------------------------------


def test_awkward_literals_round_trip(tmp_path: Path) -> None:
    graph = VocabGraph()
    graph.add_scheme("cg", "test", "hand-made", "none")
    record = ConceptRecord(concept_iri("cg", 'x y<z>"'), "Skill", "cg")
    record.set_pref('say "hi" <b> & 焊接技术')
    record.add_alt(["  焊工 ", 'say "HI" <b> & 焊接技术', "alt\tone"])
    record.set_pref("soldadura", "es")
    graph.add_concept(record)
    stats = graph.write(tmp_path / "t.ttl.gz", "t")
    with gzip.open(stats.path, "rb") as handle:
        triples = list(ox.parse(handle, format=ox.RdfFormat.TURTLE))
    labels = {t.object for t in triples if t.predicate.value == SKOS + "prefLabel"}
    assert labels == {en('say "hi" <b> & 焊接技术'), ox.Literal("soldadura", language="es")}
    alts = {t.object for t in triples if t.predicate.value == SKOS + "altLabel"}
    assert alts == {en("焊工"), en("alt one")}  # the case-variant of the prefLabel is dropped
    assert stats.concepts == {"Skill": 1}


def test_technology_slugs_never_collide() -> None:
    names = ["C++", "c plus plus", "C Plus Plus", "c-plus-plus-2", "Python"]
    slugs = technology_slugs(names)
    assert len(set(slugs.values())) == 5
    assert slugs["c-plus-plus-2"] == "c-plus-plus-2"  # a natural slug is never taken by a suffix
    clashing = {slugs[name] for name in ("C++", "c plus plus", "C Plus Plus")}
    assert clashing == {"c-plus-plus", "c-plus-plus-3", "c-plus-plus-4"}
    assert technology_slugs(list(reversed(names))) == slugs  # order of input does not matter


def test_normalise_cip_code() -> None:
    assert normalise_cip_code('="01.0101"') == "01.0101"
    assert normalise_cip_code('"15.0613"') == "15.0613"
    assert normalise_cip_code("1.0101") == "01.0101"
    assert normalise_cip_code("1.1") == "01.10"
    assert normalise_cip_code("5") == "05"
    assert normalise_cip_code("CIP") is None


PRODUCTS = [
    "Acme Widgets Designer",
    "Acme Widgets Studio",
    "Acme Widgets Cloud",
    "Acme Report Writer",
    "Acme Planner",
    "Data entry software",
    "Data mining software",
    "Data analysis software",
    "Globex Corp Ledger",
    "Globex Corp Payroll",
    "Globex Corp HR",
    "Red Hat OpenShift",
    "Red Hat Enterprise Linux",
    "Red Hat Ansible",
    "Red Giant Trapcode",
]


def test_learn_vendors() -> None:
    vendors = learn_vendors(PRODUCTS, ordinary_words=["data", "red", "report"])
    assert "Acme" in vendors
    assert "Globex Corp" in vendors
    assert "Red Hat" in vendors
    assert "Data" not in vendors  # followed by lowercase words: generic names
    assert "Red" not in vendors  # an ordinary word alone is no vendor
    assert vendors.vendor_of("Acme Widgets Designer") == "Acme"  # "Widgets" is a product line
    assert vendors.vendor_of("Globex Corp Ledger") == "Globex Corp"
    assert vendors.vendor_of("Data entry software") is None


def test_technology_aliases_rules() -> None:
    vendors = learn_vendors(PRODUCTS, ordinary_words=["data", "red"])
    assert technology_aliases("Red Hat OpenShift", vendors) == ["OpenShift"]
    assert technology_aliases("Globex Corp HR", vendors) == ["HR"]
    # A category of software keeps "software": "data entry" alone is the activity.
    assert technology_aliases("Data entry software", vendors) == []
    assert technology_aliases("Accounting software", vendors) == ["Accounting"]
    assert technology_aliases("Acme Widgets Studio", vendors) == ["Widgets Studio"]
    aliases = technology_aliases("Google Compute Engine (GCE)")
    assert "GCE" in aliases and "Google Compute Engine" in aliases
    assert technology_aliases("Acme X", learn_vendors(["Acme X", "Acme Y", "Acme Z"])) == []  # 1 char
    assert technology_aliases("Acme 2020", learn_vendors(["Acme 2020", "Acme 2021", "Acme 3"])) == []


def test_trailing_acronym() -> None:
    assert trailing_acronym("Structured query language SQL") == ("SQL", "Structured query language")
    assert trailing_acronym("Amazon Web Services AWS") == ("AWS", "Amazon Web Services")
    assert trailing_acronym("Extensible markup language XML") == ("XML", "Extensible markup language")
    assert trailing_acronym("Microsoft Visual Basic for Applications VBA") == (
        "VBA",
        "Visual Basic for Applications",
    )
    assert trailing_acronym("Microsoft Dynamics GP") is None  # GP abbreviates nothing here
    assert trailing_acronym("Benchmark Systems Benchmark Clinical EHR") is None
    assert trailing_acronym("SQL") is None


def test_is_usable_alias() -> None:
    assert not is_usable_alias("", "Word")
    assert not is_usable_alias("R", "GNU R")
    assert not is_usable_alias("2010", "Office 2010")
    assert not is_usable_alias("matlab", "MATLAB")
    assert not is_usable_alias("software", "Acme software")
    assert is_usable_alias("Word", "Microsoft Word")


def test_programme_aliases() -> None:
    assert programme_aliases("Welding Technology/Welder") == ["Welding Technology"]
    assert programme_aliases("Mechanical Engineering/Mechanical Technology/Technician") == ["Mechanical Engineering"]
    assert programme_aliases("Agricultural Business and Management, General") == [
        "Agricultural Business and Management"
    ]
    assert programme_aliases("Engineering Technologies/Technicians, Other") == [
        "Engineering Technologies/Technicians",
        "Engineering Technologies",
    ]
    assert programme_aliases("Drafting/Design Engineering Technologies/Technicians") == []
    assert programme_aliases("Mechanical Engineering") == []


def test_bare_form() -> None:
    assert bare_form("Python (computer programming)") == "Python"
    assert bare_form("C (computer programming)") is None  # a single character
    assert bare_form("project management") is None
