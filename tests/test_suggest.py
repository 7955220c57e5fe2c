"""Link suggestions on small hand-built graphs, every expected value worked out by hand."""

from __future__ import annotations

import math

import networkx as nx
import pyoxigraph as ox
import pytest

from chaingraph.align.suggest import METHODS, enrich_with_vocabulary, suggest_links

CG = "https://w3id.org/chaingraph/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"

# Link evidence only: the exact resource-allocation / Adamic-Adar values are the scores.
LINK_ONLY = {"lexical_weight": 0.0, "direct_weight": 0.0}

SKILLS = {
    "s1": "welding",
    "s2": "blueprint reading",
    "s3": "CNC machining",
    "s4": "quality control",
    "s5": "forklift operation",
}


def add_concept(g: nx.DiGraph, iri: str, cls: str, label: str, scheme: str, **attrs) -> None:
    g.add_node(iri, cls=cls, label=label, scheme=scheme, code=iri, **attrs)


def relate(g: nx.DiGraph, s: str, o: str, predicate: str, weight: float = 1.0, **attrs) -> None:
    g.add_edge(s, o, predicate=predicate, sentences=1, documents=1, evidence=weight, weight=weight, **attrs)


def two_programmes() -> nx.DiGraph:
    """Two programmes, three O*NET occupations, one ESCO occupation and five skills.

    p1 teaches s1 s2 s3         o1 requires s1 s2
    p2 teaches s3 s4            o2 requires s2 s3 s5
                                o3 requires s3 s4 s5
                                e1 (ESCO) requires s1

    Degree = programmes + occupations linked to the skill:
    deg(s1) = 3 (p1 o1 e1), deg(s2) = 3 (p1 o1 o2), deg(s3) = 4 (p1 p2 o2 o3),
    deg(s4) = 2 (p2 o3), deg(s5) = 2 (o2 o3).
    """
    g = nx.DiGraph()
    add_concept(g, "p1", "Programme", "Welding Technology", "cip")
    add_concept(g, "p2", "Programme", "Machine Tool Technology", "cip")
    for occ in ("o1", "o2", "o3"):
        add_concept(g, occ, "Occupation", f"Occupation {occ}", "onet")
    add_concept(g, "e1", "Occupation", "welder", "esco")
    for iri, label in SKILLS.items():
        add_concept(g, iri, "Skill", label, "esco")
    for s in ("s1", "s2", "s3"):
        relate(g, "p1", s, "teaches")
    for s in ("s3", "s4"):
        relate(g, "p2", s, "teaches")
    for occ, skills in {"o1": "s1 s2", "o2": "s2 s3 s5", "o3": "s3 s4 s5", "e1": "s1"}.items():
        for s in skills.split():
            relate(g, occ, s, "requires")
    return g


def ranked(records: list[dict], source: str) -> list[tuple[str, float]]:
    return [(r["target"], r["score"]) for r in records if r["source"] == source]


class TestLinkPrediction:
    def test_resource_allocation_values_and_order(self):
        records = suggest_links(two_programmes(), method="resource_allocation", target_scheme="onet", **LINK_ONLY)
        # p1-o1: s1 1/3 + s2 1/3 = 2/3;  p1-o2: s2 1/3 + s3 1/4 = 7/12;  p1-o3: s3 1/4
        assert ranked(records, "p1") == [
            ("o1", pytest.approx(2 / 3)),
            ("o2", pytest.approx(7 / 12)),
            ("o3", pytest.approx(1 / 4)),
        ]
        # p2-o3: s3 1/4 + s4 1/2 = 3/4;  p2-o2: s3 1/4;  p2-o1 shares nothing and is not listed
        assert ranked(records, "p2") == [("o3", pytest.approx(3 / 4)), ("o2", pytest.approx(1 / 4))]
        assert [r["rank"] for r in records] == [1, 2, 3, 1, 2]

    def test_adamic_adar_values(self):
        records = suggest_links(two_programmes(), method="adamic_adar", target_scheme="onet", **LINK_ONLY)
        # p1-o1: 2/ln 3 = 1.8205;  p1-o2: 1/ln 3 + 1/ln 4 = 1.6316;  p1-o3: 1/ln 4 = 0.7213
        assert ranked(records, "p1") == [
            ("o1", pytest.approx(2 / math.log(3))),
            ("o2", pytest.approx(1 / math.log(3) + 1 / math.log(4))),
            ("o3", pytest.approx(1 / math.log(4))),
        ]
        # p2-o3: 1/ln 4 + 1/ln 2 = 2.1640;  p2-o2: 1/ln 4
        assert ranked(records, "p2") == [
            ("o3", pytest.approx(1 / math.log(4) + 1 / math.log(2))),
            ("o2", pytest.approx(1 / math.log(4))),
        ]

    def test_jaccard_and_cosine_values(self):
        g = two_programmes()
        # N = 6 concepts; idf = ln(6/deg): s1 = s2 = ln 2, s3 = ln 1.5, s4 = s5 = ln 3.
        # p1-o1: shared idf = 2 ln 2; |p1| = 2 ln 2 + ln 1.5; |o1| = 2 ln 2;
        # Jaccard = 2 ln 2 / (2 ln 2 + ln 1.5 + 2 ln 2 - 2 ln 2) = 0.7737
        jac = suggest_links(g, method="jaccard", target_scheme="onet", sources=["p1"], **LINK_ONLY)
        ln2, ln15, ln3 = math.log(2), math.log(1.5), math.log(3)
        assert jac[0]["target"] == "o1"
        assert jac[0]["score"] == pytest.approx(2 * ln2 / (2 * ln2 + ln15))
        # cosine of idf vectors: p1 = (ln2, ln2, ln1.5), o1 = (ln2, ln2)
        # = 2 ln2^2 / (sqrt(2 ln2^2 + ln1.5^2) * sqrt(2 ln2^2))
        cos = suggest_links(g, method="cosine_idf", target_scheme="onet", sources=["p1"], **LINK_ONLY)
        expected = 2 * ln2**2 / (math.sqrt(2 * ln2**2 + ln15**2) * math.sqrt(2 * ln2**2))
        assert cos[0]["target"] == "o1" and cos[0]["score"] == pytest.approx(expected)
        # p1-o3 cosine: shared s3 only: ln1.5^2 / (|p1| * sqrt(ln1.5^2 + 2 ln3^2))
        o3 = next(r for r in cos if r["target"] == "o3")
        assert o3["score"] == pytest.approx(
            ln15**2 / (math.sqrt(2 * ln2**2 + ln15**2) * math.sqrt(ln15**2 + 2 * ln3**2))
        )

    def test_target_scheme_filter_and_degrees_over_the_whole_class(self):
        g = two_programmes()
        everything = suggest_links(g, method="resource_allocation", **LINK_ONLY)
        # without the filter the ESCO occupation e1 (shares s1: 1/3) ranks third for p1
        assert [t for t, _ in ranked(everything, "p1")] == ["o1", "o2", "e1", "o3"]
        onet = suggest_links(g, method="resource_allocation", target_scheme="onet", **LINK_ONLY)
        assert "e1" not in {r["target"] for r in onet}
        # e1 still counts in deg(s1) = 3 when filtered out: p1-o1 stays 2/3
        assert ranked(onet, "p1")[0][1] == pytest.approx(2 / 3)

    def test_source_filters(self):
        g = two_programmes()
        add_concept(g, "m1", "Programme", "Welding major", "cnmajor")
        relate(g, "m1", "s4", "teaches")  # deg(s4) is now 3
        only_cip = suggest_links(g, method="resource_allocation", source_scheme="cip", **LINK_ONLY)
        assert {r["source"] for r in only_cip} == {"p1", "p2"}
        # p2-o3: s3 1/4 + s4 1/3 = 7/12
        assert ranked(only_cip, "p2")[0] == ("o3", pytest.approx(7 / 12))
        chosen = suggest_links(g, method="resource_allocation", sources=["p2"], **LINK_ONLY)
        assert {r["source"] for r in chosen} == {"p2"}

    def test_k_cuts_each_source(self):
        records = suggest_links(two_programmes(), k=1, method="resource_allocation", **LINK_ONLY)
        assert [(r["source"], r["target"], r["rank"]) for r in records] == [("p1", "o1", 1), ("p2", "o3", 1)]

    def test_degree_cap_drops_hub_skills(self):
        # cap 3 drops s3 (degree 4): p1-o2 = s2 1/3; p1-o3 shares nothing; p2-o3 = s4 1/2
        records = suggest_links(
            two_programmes(), method="resource_allocation", target_scheme="onet", degree_cap=3, **LINK_ONLY
        )
        assert ranked(records, "p1") == [("o1", pytest.approx(2 / 3)), ("o2", pytest.approx(1 / 3))]
        assert ranked(records, "p2") == [("o3", pytest.approx(1 / 2))]

    def test_edge_weights_scale_contributions(self):
        g = two_programmes()
        g.edges["o2", "s3"]["weight"] = 3.0
        # p1-o2 = s2 1*1/3 + s3 1*3/4 = 13/12, now above p1-o1 (2/3)
        weighted = suggest_links(g, method="resource_allocation", sources=["p1"], target_scheme="onet", **LINK_ONLY)
        assert ranked(weighted, "p1")[0] == ("o2", pytest.approx(13 / 12))
        binary = suggest_links(
            g, method="resource_allocation", sources=["p1"], target_scheme="onet", weight=None, **LINK_ONLY
        )
        assert ranked(binary, "p1")[0] == ("o1", pytest.approx(2 / 3))

    def test_hierarchy_parents_count_at_a_fraction(self):
        g = nx.DiGraph()
        add_concept(g, "p", "Programme", "P", "cip")
        add_concept(g, "o", "Occupation", "O", "onet")
        add_concept(g, "child", "Skill", "TIG welding", "esco")
        add_concept(g, "parent", "Skill", "welding", "esco")
        relate(g, "p", "child", "teaches")
        relate(g, "o", "parent", "requires")
        relate(g, "child", "parent", "broader", broader=True, source="vocabulary")
        # without the hierarchy p and o share nothing
        assert suggest_links(g, hierarchy=0.0, method="resource_allocation", **LINK_ONLY) == []
        # with it p holds "welding" at 0.5; deg(parent) = 2 (p, o): RA = 0.5 * 1 / 2 = 0.25
        records = suggest_links(g, hierarchy=0.5, method="resource_allocation", **LINK_ONLY)
        assert ranked(records, "p") == [("o", pytest.approx(0.25))]
        assert records[0]["shared"][0]["label"] == "welding"

    def test_ties_are_broken_by_iri(self):
        g = nx.DiGraph()
        add_concept(g, "p", "Programme", "P", "cip")
        add_concept(g, "s", "Skill", "welding", "esco")
        relate(g, "p", "s", "teaches")
        for occ in ("occ/z", "occ/b", "occ/m"):  # inserted out of order on purpose
            add_concept(g, occ, "Occupation", occ, "onet")
            relate(g, occ, "s", "requires")
        records = suggest_links(g, method="resource_allocation", **LINK_ONLY)
        # deg(s) = 4: every occupation scores 1/4
        assert [(r["target"], r["score"], r["rank"]) for r in records] == [
            ("occ/b", 0.25, 1),
            ("occ/m", 0.25, 2),
            ("occ/z", 0.25, 3),
        ]
        assert suggest_links(g, method="resource_allocation", **LINK_ONLY) == records

    def test_unknown_method(self):
        with pytest.raises(ValueError, match="unknown method"):
            suggest_links(two_programmes(), method="preferential_attachment")
        assert set(METHODS) >= {"adamic_adar", "resource_allocation", "jaccard", "cosine_idf"}


class TestRecords:
    def test_shared_concepts_and_explanation(self):
        records = suggest_links(two_programmes(), method="resource_allocation", target_scheme="onet", **LINK_ONLY)
        p1_o2 = next(r for r in records if (r["source"], r["target"]) == ("p1", "o2"))
        # s2 contributes 1/3, s3 1/4: largest first, and they sum to the score
        assert [(s["concept"], s["label"]) for s in p1_o2["shared"]] == [
            ("s2", "blueprint reading"),
            ("s3", "CNC machining"),
        ]
        assert [s["contribution"] for s in p1_o2["shared"]] == [pytest.approx(1 / 3), pytest.approx(1 / 4)]
        assert sum(s["contribution"] for s in p1_o2["shared"]) == pytest.approx(p1_o2["score"])
        assert p1_o2["explanation"] == "shares blueprint reading and CNC machining"
        p1_o1 = records[0]
        # equal contributions (1/3 each) are listed by IRI: s1 before s2
        assert p1_o1["explanation"] == "shares welding and blueprint reading"

    def test_existing_marks_pairs_the_graph_already_links(self):
        g = two_programmes()
        relate(g, "p1", "o2", "preparesFor")
        records = suggest_links(g, method="resource_allocation", target_scheme="onet", **LINK_ONLY)
        existing = {(r["source"], r["target"]) for r in records if r["existing"]}
        assert existing == {("p1", "o2")}
        # with direct evidence off, naming o2 does not change its score (7/12)
        assert ranked(records, "p1")[1] == ("o2", pytest.approx(7 / 12))

    def test_direct_evidence_and_close_matches(self):
        g = two_programmes()
        relate(g, "p1", "o3", "preparesFor")
        relate(g, "p2", "e1", "preparesFor")
        relate(g, "e1", "o1", "closeMatch", close_match=True, source="vocabulary")
        records = suggest_links(
            g, method="resource_allocation", target_scheme="onet", lexical_weight=0.0, direct_weight=1.0
        )
        # link term = 0.1 * RA / 0.75 (the largest RA score of the call, p2-o3)
        # p1: o3 = 1 (named) + 0.1 * 0.25/0.75 = 1.0333; o1 = 0.1 * (2/3)/0.75 = 0.0889; o2 = 0.0778
        assert ranked(records, "p1") == [
            ("o3", pytest.approx(1 + 0.1 / 3)),
            ("o1", pytest.approx(0.1 * (2 / 3) / 0.75)),
            ("o2", pytest.approx(0.1 * (7 / 12) / 0.75)),
        ]
        # p2 names e1, whose close match is o1: evidence 0.5, above o3's 0.1 * 0.75/0.75
        assert ranked(records, "p2") == [
            ("o1", pytest.approx(0.5)),
            ("o3", pytest.approx(0.1)),
            ("o2", pytest.approx(0.1 * 0.25 / 0.75)),
        ]
        first = records[0]
        assert first["direct"] == 1.0 and first["link"] == pytest.approx(0.25)
        assert first["explanation"] == "named in the source's documents; shares CNC machining"
        assert records[3]["explanation"] == "a close match is named in the source's documents"

    def test_lexical_evidence_matches_titles_in_the_text(self):
        g = nx.DiGraph()
        add_concept(g, "p", "Programme", "Welding", "cip")
        add_concept(g, "o", "Occupation", "Welder", "onet")
        add_concept(g, "x", "Occupation", "Chef", "onet")
        # one word on each side, both stemmed to "weld": the cosine is exactly 1
        records = suggest_links(g, direct_weight=0.0)
        assert [(r["target"], r["score"]) for r in records] == [("o", pytest.approx(1.0))]
        assert records[0]["lexical"] == pytest.approx(1.0)
        assert records[0]["terms"][0]["term"] == "welder"
        assert records[0]["explanation"] == 'matches its titles on "welder"'

    def test_lexical_uses_alternative_titles_and_text(self):
        g = nx.DiGraph()
        add_concept(g, "p", "Programme", "Culinary Arts", "cip", text="Prepares individuals to work as cooks.")
        add_concept(g, "o", "Occupation", "Chefs and Head Cooks", "onet", alt_labels=["Executive Chef"])
        add_concept(g, "x", "Occupation", "Economists", "onet", alt_labels=["Econometrician"])
        records = suggest_links(g, direct_weight=0.0)
        assert [r["target"] for r in records] == ["o"]
        assert records[0]["terms"][0]["term"] == "cooks"

    def test_records_are_plain_json(self):
        import json

        records = suggest_links(two_programmes())
        assert json.loads(json.dumps(records)) == records
        assert set(records[0]) >= {"source", "target", "score", "rank", "explanation", "shared", "existing"}

    def test_empty_graph(self):
        assert suggest_links(nx.DiGraph()) == []


class _Store:
    """The one method of a chaingraph store that enrichment uses, over an in-memory Oxigraph."""

    def __init__(self, turtle: str) -> None:
        self.db = ox.Store()
        self.db.load(turtle.encode("utf-8"), ox.RdfFormat.TURTLE)

    def query(self, sparql: str):
        return self.db.query(sparql, use_default_graph_as_union=True)


ONET_OCC = "https://w3id.org/chaingraph/id/onet/51-4121.06"
AUTOCAD = "https://w3id.org/chaingraph/id/onet-tech/autocad"
ESCO = "http://data.europa.eu/esco/"
WELD, READ, JOIN = ESCO + "skill/weld", ESCO + "skill/read", ESCO + "skill/join"
VOCAB = f"""
@prefix cg: <{CG}> . @prefix skos: <{SKOS}> .
<https://w3id.org/chaingraph/id/scheme/onet> cg:prefix "onet" .
<{ESCO}concept-scheme/esco> cg:prefix "esco" .
<{ONET_OCC}> a cg:Occupation ; skos:prefLabel "Welders"@en ; skos:altLabel "Pipe Welder"@en ;
    skos:definition "Weld components."@en ; cg:technologyUsed <{AUTOCAD}> .
<{AUTOCAD}> a cg:Technology ; skos:prefLabel "AutoCAD"@en .
<{ESCO}occupation/a> skos:closeMatch <{ONET_OCC}> ; cg:essentialSkill <{WELD}> ; cg:optionalSkill <{READ}> .
<{ESCO}occupation/b> skos:closeMatch <{ONET_OCC}> ; cg:essentialSkill <{WELD}> .
<{WELD}> a cg:Skill ; skos:prefLabel "welding"@en ; skos:broader <{JOIN}> ; skos:inScheme <{ESCO}concept-scheme/esco> .
<{READ}> a cg:Skill ; skos:prefLabel "blueprint reading"@en .
<{JOIN}> a cg:Skill ; skos:prefLabel "metal joining"@en .
"""


class TestEnrichment:
    def graph(self) -> nx.DiGraph:
        g = nx.DiGraph()
        add_concept(g, ONET_OCC, "Occupation", "Welders", "onet")
        return g

    def test_vocabulary_facts_become_marked_edges(self):
        g = self.graph()
        added = enrich_with_vocabulary(g, _Store(VOCAB))
        occ, weld, read = ONET_OCC, WELD, READ
        edges = {o: attrs for _, o, attrs in g.out_edges(occ, data=True)}
        assert edges[AUTOCAD]["predicate"] == "uses"
        # both close matches list welding as essential: share 2/2 = 1; reading is optional for
        # one of the two: 0.5 / 2 = 0.25
        assert edges[weld]["predicate"] == "requires" and edges[weld]["weight"] == 1.0
        assert edges[read]["weight"] == 0.25
        assert all(attrs["source"] == "vocabulary" for attrs in edges.values())
        assert g.edges[weld, JOIN]["broader"] is True
        assert g.nodes[weld]["cls"] == "Skill" and g.nodes[weld]["label"] == "welding"
        assert g.nodes[occ]["alt_labels"] == ["Pipe Welder"]
        assert g.nodes[occ]["definition"] == "Weld components."
        assert added["uses"] == 1 and added["requires"] == 2 and added["broader"] == 1

    def test_text_edges_are_kept(self):
        g = self.graph()
        occ, weld = ONET_OCC, WELD
        add_concept(g, weld, "Skill", "welding", "esco")
        relate(g, occ, weld, "requires", weight=2.5)
        enrich_with_vocabulary(g, _Store(VOCAB))
        assert g.edges[occ, weld]["weight"] == 2.5 and "source" not in g.edges[occ, weld]
