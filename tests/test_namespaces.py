"""Concept references: every way a user may name a concept resolves to one IRI, or fails clearly."""

from __future__ import annotations

import pytest

from chaingraph.rdf.namespaces import UnknownConceptCode, concept_iri, resolve_concept, slug

ID = "https://w3id.org/chaingraph/id/"


@pytest.mark.parametrize(
    ("reference", "iri"),
    [
        ("cip:15.0613", ID + "cip/15.0613"),
        ("CIP: 15.0613 ", ID + "cip/15.0613"),
        ("soc:17-2112", ID + "onet/17-2112.00"),
        ("onet:17-2112.00", ID + "onet/17-2112.00"),
        ("isco:7212", "http://data.europa.eu/esco/isco/C7212"),
        (
            "esco:skill/598de5b0-5b58-4ea7-8058-a4bc4d18c742",
            "http://data.europa.eu/esco/skill/598de5b0-5b58-4ea7-8058-a4bc4d18c742",
        ),
        ("http://data.europa.eu/esco/occupation/x", "http://data.europa.eu/esco/occupation/x"),
    ],
)
def test_resolves(reference, iri):
    assert resolve_concept(reference) == iri


@pytest.mark.parametrize("reference", ["cip:15.06133", "soc:172112", "nope:1", "15.0613", "onet:17-2112"])
def test_rejects(reference):
    with pytest.raises(UnknownConceptCode):
        resolve_concept(reference)


def test_hostile_codes_stay_inside_the_iri():
    iri = concept_iri("cnmajor", '<460301> "x"')
    assert iri == ID + "cnmajor/%3C460301%3E%20%22x%22"
    assert slug("C++") == "c-plus-plus" and slug("C#") == "c-sharp" and slug("<script>") == "script"
