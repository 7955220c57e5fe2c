"""Alignment functions on a small hand-built graph whose coupling, weak links, bridges, gaps and
islands are worked out by hand below, and the projection from a real store."""

from __future__ import annotations

import math

import networkx as nx
import pytest

from chaingraph import api
from chaingraph.align.coupling import coupling, coupling_matrix, coupling_trend, unit_coupling
from chaingraph.align.gaps import demand_gaps, supply_gaps
from chaingraph.align.projection import concept_graph, period_graphs, relation_evidence, reweight
from chaingraph.align.weak_links import bridge_cuts, islands, weak_links
from chaingraph.store import open_store

CHAIN = {
    "Programme": "education",
    "Occupation": "talent",
    "Skill": "talent",
    "Industry": "industry",
    "Technology": "innovation",
}


def w(documents: int, sentences: int) -> float:
    return documents + math.log2(1 + sentences)


@pytest.fixture
def graph() -> nx.DiGraph:
    """
    P1 -teaches-> S1 (2 docs, 3 sentences), P1 -teaches-> S2 (1, 1)
    P2 -covers-> T2 (1, 1), P2 -covers-> T3 (1, 1)
    O1 -requires-> S1 (3, 3), O1 -requires-> S3 (1, 1), O1 -uses-> T1 (1, 2; T1 is hot)
    O2 -requires-> S3 (2, 2), O1 -employedIn-> I1 (1, 1)
    S8 -relatedTo-> S9 (1, 1)  (a talent-only island)
    """
    g = nx.DiGraph(documents=10)
    nodes = {
        "P1": "Programme", "P2": "Programme", "O1": "Occupation", "O2": "Occupation",
        "S1": "Skill", "S2": "Skill", "S3": "Skill", "S8": "Skill", "S9": "Skill",
        "T1": "Technology", "T2": "Technology", "T3": "Technology", "I1": "Industry",
    }  # fmt: skip
    for name, cls in nodes.items():
        g.add_node("ex:" + name, cls=cls, chain=CHAIN[cls], label=name.lower(), hot=name == "T1", in_demand=False)
    edges = [
        ("P1", "S1", "teaches", 2, 3), ("P1", "S2", "teaches", 1, 1), ("P2", "T2", "covers", 1, 1),
        ("P2", "T3", "covers", 1, 1), ("O1", "S1", "requires", 3, 3), ("O1", "S3", "requires", 1, 1),
        ("O1", "T1", "uses", 1, 2), ("O2", "S3", "requires", 2, 2), ("O1", "I1", "employedIn", 1, 1),
        ("S8", "S9", "relatedTo", 1, 1),
    ]  # fmt: skip
    for s, o, p, d, n in edges:
        g.add_edge("ex:" + s, "ex:" + o, predicate=p, documents=d, sentences=n, evidence=w(d, n), weight=w(d, n))
    return g


class TestCoupling:
    def test_shares(self, graph):
        m = coupling_matrix(graph)
        # education = {P1, P2}: P1 reaches talent (S1, S2), P2 reaches innovation (T2, T3).
        assert m["education"] == {"education": 0.0, "talent": 0.5, "industry": 0.0, "innovation": 0.5}
        # talent has 7 concepts: S1, S2 reach education; O1 innovation and industry;
        # O1, S1, S3, O2, S8, S9 have a relation inside talent.
        assert m["talent"] == {"education": 0.2857, "talent": 0.8571, "industry": 0.1429, "innovation": 0.1429}
        assert m["industry"] == {"education": 0.0, "talent": 1.0, "industry": 0.0, "innovation": 0.0}
        # innovation = {T1, T2, T3}: T2, T3 reach education, T1 talent.
        assert m["innovation"] == {"education": 0.6667, "talent": 0.3333, "industry": 0.0, "innovation": 0.0}

    def test_mass_is_summed_weight(self, graph):
        m = coupling_matrix(graph, "mass")
        assert m["education"]["talent"] == m["talent"]["education"] == pytest.approx(w(2, 3) + w(1, 1))  # 6
        assert m["talent"]["talent"] == pytest.approx(round(w(3, 3) + w(1, 1) + w(2, 2) + w(1, 1), 4))
        assert m["innovation"]["talent"] == pytest.approx(round(w(1, 2), 4))

    def test_records_count_concepts(self, graph):
        record = next(r for r in coupling(graph) if (r["source"], r["target"]) == ("talent", "education"))
        assert (record["concepts"], record["linked"]) == (7, 2)

    def test_predicate_filter(self, graph):
        m = coupling_matrix(graph, predicates={"teaches"})
        assert m["education"]["innovation"] == 0.0 and m["education"]["talent"] == 0.5

    def test_unit_coupling_most_isolated_first(self, graph):
        p2, p1 = unit_coupling(graph, "Programme")
        # Both are isolated from two chains; P2's mass (4) is below P1's (6), so it comes first.
        assert p2["concept"] == "ex:P2" and p2["isolated_from"] == ["talent", "industry"]
        assert p1["links"] == {"education": 0, "talent": 2, "industry": 0, "innovation": 0}
        assert p1["isolated_from"] == ["industry", "innovation"]


class TestWeakLinks:
    def test_bridge_cuts(self, graph):
        cuts = bridge_cuts(graph)
        # The graph is a forest, so every relation is a bridge.
        assert len(cuts) == graph.number_of_edges()
        # Removing P1-S1 strands {P1, S2}, which then reaches neither industry nor innovation.
        assert cuts[frozenset(("ex:P1", "ex:S1"))] == {
            "cut_off": 2,
            "chains_lost": ["industry", "innovation"],
            "side": "ex:P1",
        }
        # Removing O1-T1 strands T1 from every other chain.
        assert cuts[frozenset(("ex:O1", "ex:T1"))] == {
            "cut_off": 1,
            "chains_lost": ["education", "industry", "talent"],
            "side": "ex:T1",
        }
        # Removing P2-T2 strands T2 (1 concept) from {P2, T3}: it loses education only.
        assert cuts[frozenset(("ex:P2", "ex:T2"))]["chains_lost"] == ["education"]

    def test_fragility_order(self, graph):
        ranked = [(r["source"][3:], r["target"][3:], r["fragility"]) for r in weak_links(graph)]
        # fragility = [docs<=1] + [sentences<=1] + 1/(1+embeddedness) + (1 + log2(cut_off)):
        # O1-I1, P1-S2, P2-T2, P2-T3: 1+1+1+1 = 4 (weight 2 each, then by IRI);
        # O1-T1: 1+0+1+1 = 3 (weight 2.585); P1-S1: 0+0+1+(1+1) = 3 (weight 4).
        assert ranked == [
            ("O1", "I1", 4.0),
            ("P1", "S2", 4.0),
            ("P2", "T2", 4.0),
            ("P2", "T3", 4.0),
            ("O1", "T1", 3.0),
            ("P1", "S1", 3.0),
        ]

    def test_embeddedness_counts_shared_neighbours(self, graph):
        # Close a triangle: P1 also teaches S3, so P1-S1 and O1-S1 now share neighbours.
        graph.add_edge("ex:P1", "ex:S3", predicate="teaches", documents=1, sentences=1, evidence=2.0, weight=2.0)
        graph.add_edge("ex:P1", "ex:O1", predicate="preparesFor", documents=1, sentences=1, evidence=2.0, weight=2.0)
        record = next(r for r in weak_links(graph) if (r["source"], r["target"]) == ("ex:P1", "ex:S1"))
        assert record["embeddedness"] == 1  # O1 is a neighbour of both P1 and S1
        assert record["bridge"] is False and record["local_bridge"] is False

    def test_islands(self, graph):
        assert islands(graph) == [
            {"chain": "talent", "size": 2, "concepts": ["ex:S8", "ex:S9"], "labels": ["s8", "s9"]}
        ]


class TestGaps:
    def test_demand_without_supply(self, graph):
        gaps = [(r["rank"], r["concept"], r["demanded_by"], r["documents"], r["hot"]) for r in demand_gaps(graph)]
        # S3 is required by O1 and O2 (1 + 2 documents) and taught by nobody; T1 is used by O1 only
        # but is a hot technology, so it ranks first. S1 is taught by P1: no gap.
        assert gaps == [(1, "ex:T1", 1, 1, True), (2, "ex:S3", 2, 3, False)]

    def test_supply_without_demand(self, graph):
        gaps = [(r["rank"], r["concept"], r["suppliers"]) for r in supply_gaps(graph)]
        assert gaps == [(1, "ex:S2", ["p1"]), (2, "ex:T2", ["p2"]), (3, "ex:T3", ["p2"])]


class TestWeighting:
    def test_named_weightings(self, graph):
        edge = ("ex:O1", "ex:S1")
        assert reweight(graph, "documents").edges[edge]["weight"] == 3
        assert reweight(graph, "sentences").edges[edge]["weight"] == 3
        graph.nodes["ex:O1"]["documents"], graph.nodes["ex:S1"]["documents"] = 4, 2
        # idf: evidence * log(1 + N / df) with the rarer end's df = 2 and N = 10.
        assert reweight(graph, "idf").edges[edge]["weight"] == pytest.approx(round(w(3, 3) * math.log(6), 6))
        with pytest.raises(ValueError, match="unknown weighting"):
            reweight(graph, "pmi")


class TestProjectionFromStore:
    def test_graph_matches_the_relations_in_the_store(self, tmp_path, mini_env):
        corpus = tmp_path / "corpus"
        corpus.mkdir()
        (corpus / "a.md").write_text("# Welding Technology\n\nStudents learn SQL.\n", encoding="utf-8")
        (corpus / "b.txt").write_text("Welders use Tableau and SQL.\n", encoding="utf-8")
        (corpus / "manifest.csv").write_text(
            "path,kind,about,date\na.md,curriculum,cip:48.0508,2020\nb.txt,standard,onet:51-4121.06,2024\n",
            encoding="utf-8",
        )
        store = tmp_path / "store"
        api.build(corpus, store)
        g = concept_graph(open_store(store))
        programme = "https://w3id.org/chaingraph/id/cip/48.0508"
        welder = "https://w3id.org/chaingraph/id/onet/51-4121.06"
        sql, tableau = "https://example.org/c/sql", "https://example.org/c/tableau"
        assert g.nodes[programme]["cls"] == "Programme" and g.nodes[programme]["code"] == "48.0508"
        assert g.nodes[programme]["scheme"] == "cip" and g.nodes[programme]["label"] == "Welding Technology"
        assert {(s, o, a["predicate"]) for s, o, a in g.edges(data=True)} == {
            (programme, sql, "teaches"),
            (welder, sql, "requires"),
            (welder, tableau, "uses"),
            (sql, tableau, "relatedTo"),
        }
        assert g.edges[welder, sql]["documents"] == 1 and g.edges[welder, sql]["weight"] == 2.0
        periods = period_graphs(open_store(store), g)
        assert sorted(periods) == ["2020", "2024"]
        assert set(periods["2020"].edges) == {(programme, sql)}
        trend = {(r["period"], r["source"], r["target"]): r["share"] for r in coupling_trend(periods)}
        assert trend[("2020", "education", "talent")] == 1.0
        evidence = relation_evidence(open_store(store), [(welder, tableau)])
        assert evidence[(welder, tableau)] == [
            {"document": "Welders use Tableau and SQL.", "path": "b.txt", "sentence": "Welders use Tableau and SQL."}
        ]
