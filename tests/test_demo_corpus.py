"""The bundled corpus built with the real vocabularies: the README's query, SHACL conformance,
and the vocabulary sizes the linker must hold."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import rdflib

from chaingraph import api
from chaingraph.rdf.validate import validate_graph

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("demo") / "store"
    report = api.build(ROOT / "corpora", store)
    assert not report.problems, report.problems
    return store


def readme_query() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```sparql\n(.*?)```", readme, flags=re.S)
    return block


def test_every_manifest_row_is_a_document(demo_store):
    with (ROOT / "corpora" / "manifest.csv").open(encoding="utf-8") as rows:
        expected = sum(1 for _ in csv.DictReader(rows))
    assert api.stats(demo_store)["documents"] == expected


def test_the_linker_holds_the_vocabularies(demo_store):
    numbers = api.stats(demo_store)
    by_class, by_scheme = numbers["concepts_by_class"], numbers["concepts_by_scheme"]
    assert by_scheme["esco"] >= 3000 + 13000  # ESCO occupations and skills
    assert by_class["Skill"] >= 13000
    assert by_scheme["onet"] >= 1000
    assert by_class["Technology"] >= 5000
    assert by_scheme["cip"] >= 2000


def test_readme_query_runs_as_shown(demo_store):
    result = api.query(readme_query(), demo_store)
    rows = [(r["skill"].value, r["sentence"].value, r["document"].value) for r in result]
    curriculum = (ROOT / "corpora" / "curricula" / "cip-15.0406.md").read_text(encoding="utf-8")
    assert rows, "the README query returned nothing"
    skills = {skill for skill, _, _ in rows}
    # The CIP 15.0406 definition names both in its "Includes instruction in ..." sentence.
    assert {"programmable logic controller", "robotics"} <= skills
    for _skill, sentence, document in rows:
        assert sentence in curriculum
        assert document == "Automation Engineer Technology/Technician"


def test_built_graph_conforms_to_the_shapes(demo_store):
    report = api.validate(demo_store)
    assert report.conforms, report.text
    assert report.triples_checked > 10_000


def test_shapes_reject_a_broken_graph():
    # A mention with no concept and a negative offset, and a "teaches" from an occupation.
    data = rdflib.Graph().parse(
        data="""
        @prefix cg: <https://w3id.org/chaingraph/ontology#> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <urn:d> a cg:Document .
        <urn:s> a cg:Sentence ; cg:inDocument <urn:d> ; cg:start 0 ; cg:end 5 ; cg:text "Hello" .
        <urn:m> a cg:Mention ; cg:inDocument <urn:d> ; cg:inSentence <urn:s> ; cg:start -1 ; cg:end 3 ;
            cg:text "Hel" ; cg:score 0.5 .
        <urn:o> a skos:Concept, cg:Occupation ; cg:chain cg:talent ; skos:prefLabel "o"@en ; skos:inScheme <urn:x> .
        <urn:k> a skos:Concept, cg:Skill ; cg:chain cg:talent ; skos:prefLabel "k"@en ; skos:inScheme <urn:x> .
        <urn:o> cg:teaches <urn:k> .
        """,
        format="turtle",
    )
    report = validate_graph(data)
    assert not report.conforms
    assert "cg:denotes" in report.text or "ontology#denotes" in report.text
    assert "minInclusive" in report.text.replace("MinInclusive", "minInclusive")
    assert "teaches" in report.text or "Only a programme or a course" in report.text


def test_one_concept_reached_from_english_and_chinese_documents(demo_store):
    # Perkins V names "entrepreneurship"; the Employment Promotion Law names 创业. Both are the
    # ESCO skill that carries the curated Chinese label, so the graph has one node for them.
    query = """
    PREFIX cg: <https://w3id.org/chaingraph/ontology#>
    PREFIX dcterms: <http://purl.org/dc/terms/>
    SELECT DISTINCT ?concept ?en_text ?zh_text WHERE {
      GRAPH ?g1 { ?m1 cg:denotes ?concept ; cg:text ?en_text ; cg:inDocument ?d1 . ?d1 dcterms:language "en" }
      GRAPH ?g2 { ?m2 cg:denotes ?concept ; cg:text ?zh_text ; cg:inDocument ?d2 . ?d2 dcterms:language "zh" }
    }"""
    rows = {(r["concept"].value, r["en_text"].value.lower(), r["zh_text"].value) for r in api.query(query, demo_store)}
    entrepreneurship = "http://data.europa.eu/esco/skill/658605f2-1c95-49f0-bd98-0af7b15ad0b0"
    assert (entrepreneurship, "entrepreneurship", "创业") in rows
