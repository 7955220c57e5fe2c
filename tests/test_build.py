"""Building a store from a corpus folder, on the mini vocabulary: graph content, idempotent
rebuilds, changed and removed documents, bad input, and a failed build that must not damage
the store."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from corpus_helpers import CURRICULUM, STANDARD, all_quads, rows, welding_corpus, write_corpus

from chaingraph import api
from chaingraph.rdf.namespaces import CG, document_graph_iri
from chaingraph.store import open_store

EX = "https://example.org/c/"
WELDING_PROGRAMME = "https://w3id.org/chaingraph/id/cip/48.0508"
WELDER = "https://w3id.org/chaingraph/id/onet/51-4121.06"


@pytest.fixture
def corpus(tmp_path, mini_env):
    return welding_corpus(tmp_path / "corpus")


class TestGraphContent:
    def test_about_relations_with_sentence_evidence(self, corpus, tmp_path):
        store = tmp_path / "store"
        report = api.build(corpus, store)
        assert (report.documents, report.extracted, report.partial) == (2, 2, False)
        # The curriculum is about the welding programme: its skill mentions become "teaches",
        # its occupation mention "preparesFor"; each with the sentence that supports it.
        found = rows(
            store,
            f"""SELECT ?p ?o ?text WHERE {{
                ?a a cg:Assertion ; cg:subject <{WELDING_PROGRAMME}> ; cg:predicate ?p ; cg:object ?o ;
                   cg:basis "about" ; cg:evidence ?s . ?s cg:text ?text }}""",
        )
        assert found == sorted(
            [
                (CG + "teaches", EX + "sql", "Students learn SQL and PLC programming."),
                (CG + "teaches", EX + "plc", "Students learn SQL and PLC programming."),
                (CG + "teaches", EX + "plc", "Welders read programmable logic controller output."),
                (CG + "preparesFor", WELDER, "Welders read programmable logic controller output."),
            ]
        )

    def test_relation_weights_are_queryable(self, corpus, tmp_path):
        store = tmp_path / "store"
        api.build(corpus, store)
        # Welder requires PLC: co-mentioned in one curriculum sentence. Welder uses Tableau: the
        # standard is about the welder and mentions Tableau once.
        found = rows(
            store,
            f"""SELECT ?p ?o ?sentences ?docs ?weight WHERE {{
                ?r a cg:Relation ; cg:subject <{WELDER}> ; cg:predicate ?p ; cg:object ?o ;
                   cg:sentenceCount ?sentences ; cg:documentCount ?docs ; cg:weight ?weight }}""",
        )
        assert found == [
            (CG + "requires", EX + "plc", "1", "1", "2"),
            (CG + "uses", EX + "tableau", "1", "1", "2"),
        ]

    def test_mentions_carry_offsets_into_the_document(self, corpus, tmp_path):
        store = tmp_path / "store"
        api.build(corpus, store)
        found = rows(
            store,
            """SELECT ?start ?end ?text WHERE { ?d cg:sourcePath "welding.md" .
                ?m a cg:Mention ; cg:inDocument ?d ; cg:start ?start ; cg:end ?end ; cg:text ?text }""",
        )
        for start, end, text in found:
            assert CURRICULUM[int(start) : int(end)] == text
        assert sorted(t for _, _, t in found) == sorted(
            ["Welding Technology", "SQL", "PLC", "Welders", "programmable logic controller"]
        )

    def test_vocabularies_and_ontology_are_in_their_own_graphs(self, corpus, tmp_path):
        store = tmp_path / "store"
        api.build(corpus, store)
        graphs = open_store(store).named_graphs()
        assert "https://w3id.org/chaingraph/graph/vocab/mini" in graphs
        assert "https://w3id.org/chaingraph/graph/ontology" in graphs
        assert rows(
            store, f"SELECT ?n WHERE {{ <{WELDING_PROGRAMME}> <http://www.w3.org/2004/02/skos/core#notation> ?n }}"
        ) == [("48.0508",)]

    def test_stats(self, corpus, tmp_path):
        store = tmp_path / "store"
        api.build(corpus, store)
        numbers = api.stats(store)
        assert numbers["documents"] == 2
        # welding.md: Welding Technology, SQL, PLC, Welders, programmable logic controller;
        # welder.txt: Welders (title line), Welders, Tableau.
        assert numbers["mentions"] == 8
        assert numbers["mentions_by_class"]["Occupation"] == 3
        assert numbers["concepts_by_class"]["Skill"] == 6
        assert numbers["triples"] == len(all_quads(store))


class TestRebuild:
    def test_rebuild_is_idempotent(self, corpus, tmp_path):
        first, second = tmp_path / "a", tmp_path / "b"
        api.build(corpus, first)
        before = all_quads(first)
        report = api.build(corpus, first)
        assert (report.extracted, report.unchanged) == (0, 2)
        assert all_quads(first) == before
        api.build(corpus, second)  # a fresh store built from the same corpus is the same graph
        assert all_quads(second) == before

    def test_changed_document_replaces_its_graph(self, corpus, tmp_path):
        store = tmp_path / "store"
        api.build(corpus, store)
        old_graphs = set(open_store(store).named_graphs())
        (corpus / "welder.txt").write_text("Welders\n\nWelders write SQL.\n", encoding="utf-8")
        report = api.build(corpus, store)
        assert (report.extracted, report.unchanged) == (1, 1)
        new_graphs = set(open_store(store).named_graphs())
        assert len(old_graphs - new_graphs) == 1 and len(new_graphs - old_graphs) == 1
        assert rows(store, f"SELECT ?o WHERE {{ <{WELDER}> cg:uses ?o }}") == []
        assert rows(store, f"SELECT ?o WHERE {{ <{WELDER}> cg:requires ?o }}") == sorted([(EX + "plc",), (EX + "sql",)])

    def test_removed_document_graph_goes_away(self, corpus, tmp_path):
        store = tmp_path / "store"
        api.build(corpus, store)
        (corpus / "welder.txt").unlink()
        report = api.build(corpus, store)
        assert (report.documents, report.removed, report.partial) == (1, 1, True)  # manifest names a missing file
        assert rows(store, "SELECT ?p WHERE { ?d cg:sourcePath ?p }") == [("welding.md",)]
        assert rows(store, f"SELECT ?r WHERE {{ ?r cg:subject <{WELDER}> ; cg:object <{EX}tableau> }}") == []

    def test_metadata_change_alone_rebuilds_the_document(self, corpus, tmp_path):
        store = tmp_path / "store"
        api.build(corpus, store)
        manifest = (corpus / "manifest.csv").read_text(encoding="utf-8")
        (corpus / "manifest.csv").write_text(manifest.replace("Welder standard", "Welding standard"), encoding="utf-8")
        report = api.build(corpus, store)
        assert (report.extracted, report.unchanged) == (1, 1)
        assert ("Welding standard",) in rows(store, "SELECT ?t WHERE { ?d a cg:Document ; dcterms:title ?t }")


class TestBadInput:
    def test_bad_files_are_named_and_the_rest_builds(self, tmp_path, mini_env):
        folder = write_corpus(
            tmp_path / "corpus",
            {
                "good.txt": "Welders use SQL.\n",
                "empty.txt": "",
                "corrupt.pdf": b"%PDF-1.4 this is not really a pdf \x00\x01\x02",
                "undecodable.txt": bytes(range(256)) * 4,
            },
            "path,kind\ngood.txt,standard\nmissing.txt,policy\n",
        )
        report = api.build(folder, tmp_path / "store")
        assert report.partial
        assert report.documents == 1
        reasons = {p.path: p.reason for p in report.errors}
        assert set(reasons) == {"empty.txt", "corrupt.pdf", "undecodable.txt", "missing.txt"}
        assert "empty" in reasons["empty.txt"]
        assert "pdf" in reasons["corrupt.pdf"].lower()
        assert "does not exist" in reasons["missing.txt"]
        assert rows(tmp_path / "store", "SELECT ?p WHERE { ?d cg:sourcePath ?p }") == [("good.txt",)]

    def test_hostile_metadata_survives_every_serialisation(self, tmp_path, mini_env):
        title = '<script>alert("x")</script> "quoted" 职业教育 \\ end'
        folder = write_corpus(
            tmp_path / "corpus",
            {"a.txt": "Welders use SQL.\n"},
            f'path,title,issuer\na.txt,"{title.replace(chr(34), chr(34) * 2)}",<b>issuer</b>\n',
        )
        store = tmp_path / "store"
        api.build(folder, store)
        assert rows(store, "SELECT ?t WHERE { ?d a cg:Document ; dcterms:title ?t }") == [(title,)]
        for fmt, rdf_format in [
            ("ttl", ox.RdfFormat.TURTLE),
            ("nt", ox.RdfFormat.N_TRIPLES),
            ("trig", ox.RdfFormat.TRIG),
            ("nq", ox.RdfFormat.N_QUADS),
            ("jsonld", ox.RdfFormat.JSON_LD),
        ]:
            out = tmp_path / f"export.{fmt}"
            written = api.export(out, fmt, store)
            parsed = list(ox.parse(path=str(out), format=rdf_format))
            assert len(parsed) == written > 0
            assert any(getattr(q.object, "value", None) == title for q in parsed)

    def test_failed_build_leaves_the_store_intact(self, corpus, tmp_path, monkeypatch):
        store = tmp_path / "store"
        api.build(corpus, store)
        before = all_quads(store)
        listing = sorted(p.name for p in store.iterdir())  # with the build record, when one was written
        (corpus / "welder.txt").write_text("Welders write SQL.\n", encoding="utf-8")

        def explode(*args, **kwargs):
            raise RuntimeError("disk full (simulated)")

        monkeypatch.setattr("chaingraph.builder.write_relations", explode)
        with pytest.raises(RuntimeError, match="simulated"):
            api.build(corpus, store)
        assert all_quads(store) == before
        assert sorted(p.name for p in store.iterdir()) == listing
        assert [name for name in listing if name != "BUILD-RECORD.json"] == ["CURRENT", "gen-000001"]

    def test_store_path_that_is_a_file_is_refused(self, corpus, tmp_path):
        from chaingraph.store import StoreError

        not_a_store = tmp_path / "file"
        not_a_store.write_text("keep me", encoding="utf-8")
        with pytest.raises(StoreError, match="is a file"):
            api.build(corpus, not_a_store)
        assert not_a_store.read_text(encoding="utf-8") == "keep me"

    def test_graph_iri_of_a_document_derives_from_its_text(self, corpus, tmp_path):
        from chaingraph.corpus import content_id

        store = tmp_path / "store"
        api.build(corpus, store)
        assert document_graph_iri(content_id(STANDARD)) in open_store(store).named_graphs()


class TestLanguages:
    def test_chinese_gb18030_big5_and_mixed_documents_build(self, tmp_path, mini_env):
        folder = write_corpus(
            tmp_path / "corpus",
            {
                "gb.txt": "学生使用工具学习SQL。".encode("gb18030"),
                "big5.txt": "學生使用工具。Welders use Tableau.".encode("big5"),
                "mixed.md": "# 课程\n\n学生使用工具。Graduates write SQL and use Tableau.\n",
            },
        )
        store = tmp_path / "store"
        report = api.build(folder, store)
        assert (report.documents, report.partial) == (3, False)
        found = rows(
            store,
            "SELECT ?path ?text WHERE { ?m a cg:Mention ; cg:text ?text ; cg:inDocument ?d . ?d cg:sourcePath ?path }",
        )
        assert found == sorted(
            [
                ("gb.txt", "使用工具"),
                ("gb.txt", "SQL"),
                ("mixed.md", "使用工具"),
                ("mixed.md", "SQL"),
                ("mixed.md", "Tableau"),
                ("big5.txt", "使用工具"),
                ("big5.txt", "Welders"),
                ("big5.txt", "Tableau"),
            ]
        )
        # The Big5 and mixed files are mostly English letters, so they are tagged "en"; their Chinese
        # share still sends them through the Chinese pipeline, which links English labels as well.
        languages = rows(store, "SELECT ?path ?lang WHERE { ?d cg:sourcePath ?path ; dcterms:language ?lang }")
        assert languages == [("big5.txt", "en"), ("gb.txt", "zh"), ("mixed.md", "en")]


def test_parallel_extraction_gives_the_same_graph(tmp_path, mini_env):
    files = {
        f"doc{i}.txt": f"Welders number {i} use SQL and Tableau.\n\nA programmable logic controller {i}.\n"
        for i in range(9)
    }
    files["zh.txt"] = "学生使用工具学习SQL。"
    folder = write_corpus(tmp_path / "corpus", files)
    serial = api.build(folder, tmp_path / "serial", workers=1)
    parallel = api.build(folder, tmp_path / "parallel", workers=2)
    assert (serial.extracted, parallel.extracted) == (10, 10)
    assert all_quads(tmp_path / "parallel") == all_quads(tmp_path / "serial")
