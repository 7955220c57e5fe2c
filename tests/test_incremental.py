"""Incremental builds re-extract exactly what a change affects: a document's text or metadata, a
vocabulary or stop-list, or the pipeline of one language; the result is always the graph a fresh
build of the same corpus gives."""

from __future__ import annotations

import shutil

import pytest
from corpus_helpers import all_quads, write_corpus

from chaingraph import api

WELDING_ABOUT = "https://w3id.org/chaingraph/id/cip/48.0508"

FILES = {
    "sql.txt": "Welders use SQL daily.\n",
    "students.txt": "Students learn Tableau.\n",
    "controller.txt": "The logic controller is old.\n",
    "plain.txt": "Nothing relevant here at all.\n",
    "zh.txt": "学生使用工具学习SQL。\n",
    "mixed.md": "学生学习。Welders write reports.\n",
    "about.txt": "Apprentices practise in the workshop.\n",
}
MANIFEST = "path,kind,about\nabout.txt,curriculum,cip:48.0508\n"


@pytest.fixture
def ontologies(tmp_path, mini_ontologies, monkeypatch):
    """A private copy of the mini ontologies folder, which a test may edit."""
    folder = tmp_path / "ontologies"
    shutil.copytree(mini_ontologies, folder)
    monkeypatch.setenv("CHAINGRAPH_ONTOLOGIES", str(folder))
    monkeypatch.setenv("CHAINGRAPH_CACHE", str(tmp_path / "cache"))
    return folder


@pytest.fixture
def corpus(tmp_path, ontologies):
    return write_corpus(tmp_path / "corpus", dict(FILES), MANIFEST)


def rebuilt_equals_fresh(corpus, store, tmp_path, name="fresh"):
    fresh = tmp_path / name
    api.build(corpus, fresh)
    return all_quads(store) == all_quads(fresh)


def edit_vocabulary(ontologies, old: str, new: str) -> None:
    path = ontologies / "vocab" / "mini.ttl"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


class TestDocuments:
    def test_added_changed_and_removed_documents(self, corpus, tmp_path):
        store = tmp_path / "store"
        first = api.build(corpus, store)
        assert (first.extracted, first.unchanged) == (7, 0)
        (corpus / "new.txt").write_text("Welders read the programmable logic controller.\n", encoding="utf-8")
        (corpus / "students.txt").write_text("Students learn SQL.\n", encoding="utf-8")
        (corpus / "plain.txt").unlink()
        report = api.build(corpus, store)
        # The changed text has a new identity: its old graph goes with the removed document's.
        assert (report.extracted, report.unchanged, report.removed) == (2, 5, 2)
        assert report.reextracted_for_vocabulary == []
        assert rebuilt_equals_fresh(corpus, store, tmp_path)

    def test_unchanged_rebuild_loads_no_pipeline(self, corpus, tmp_path, monkeypatch):
        store = tmp_path / "store"
        api.build(corpus, store)

        def refuse(*args, **kwargs):
            raise AssertionError("an unchanged rebuild loaded a pipeline")

        monkeypatch.setattr("chaingraph.builder.load_pipeline_for", refuse)
        monkeypatch.setattr("chaingraph.executors.load_pipeline_for", refuse)
        report = api.build(corpus, store)
        assert (report.extracted, report.unchanged) == (0, 7)


class TestVocabularies:
    def test_new_label_reextracts_the_documents_that_contain_it(self, corpus, ontologies, tmp_path):
        store = tmp_path / "store"
        api.build(corpus, store)
        edit_vocabulary(
            ontologies, '"structured query language"@en .', '"structured query language"@en, "use SQL"@en .'
        )
        report = api.build(corpus, store)
        assert report.reextracted_for_vocabulary == ["sql.txt"]
        assert (report.extracted, report.unchanged) == (1, 6)
        assert rebuilt_equals_fresh(corpus, store, tmp_path)

    def test_removed_concept_reextracts_the_documents_that_mention_it(self, corpus, ontologies, tmp_path):
        store = tmp_path / "store"
        api.build(corpus, store)
        edit_vocabulary(ontologies, 'skos:prefLabel "logic controller"@en .', 'skos:prefLabel "logic board"@en .')
        report = api.build(corpus, store)
        assert report.reextracted_for_vocabulary == ["controller.txt"]
        assert rebuilt_equals_fresh(corpus, store, tmp_path)

    def test_changed_concept_reextracts_the_documents_about_it(self, corpus, ontologies, tmp_path):
        store = tmp_path / "store"
        api.build(corpus, store)
        # Welding Technology becomes a course: the document about it relates its mentions differently,
        # though its text holds none of the programme's labels.
        edit_vocabulary(
            ontologies,
            "<https://w3id.org/chaingraph/id/cip/48.0508> a skos:Concept, cg:Programme",
            "<https://w3id.org/chaingraph/id/cip/48.0508> a skos:Concept, cg:Course",
        )
        report = api.build(corpus, store)
        assert report.reextracted_for_vocabulary == ["about.txt"]
        assert rebuilt_equals_fresh(corpus, store, tmp_path)

    def test_chinese_stop_list_leaves_english_documents_alone(self, corpus, ontologies, tmp_path):
        store = tmp_path / "store"
        api.build(corpus, store)
        (ontologies / "stoplabels-zh.txt").write_text("使用工具\n", encoding="utf-8")
        report = api.build(corpus, store)
        assert report.reextracted_for_vocabulary == ["zh.txt"]
        assert rebuilt_equals_fresh(corpus, store, tmp_path)

    def test_english_stop_list_reaches_both_pipelines(self, corpus, ontologies, tmp_path):
        store = tmp_path / "store"
        api.build(corpus, store)
        stop = ontologies / "stoplabels-en.txt"
        stop.write_text(stop.read_text(encoding="utf-8") + "welder\n", encoding="utf-8")
        report = api.build(corpus, store)
        # "Welders" is in one English document and in the mixed one, which the Chinese pipeline reads.
        assert report.reextracted_for_vocabulary == ["mixed.md", "sql.txt"]
        assert rebuilt_equals_fresh(corpus, store, tmp_path)

    def test_vocabulary_change_that_touches_no_document(self, corpus, ontologies, tmp_path):
        store = tmp_path / "store"
        api.build(corpus, store)
        edit_vocabulary(ontologies, 'skos:altLabel "welding operator"@en', 'skos:altLabel "welding machinist"@en')
        report = api.build(corpus, store)
        assert (report.extracted, report.reextracted_for_vocabulary) == (0, [])
        assert report.vocabularies_loaded == ["mini.ttl"]
        assert rebuilt_equals_fresh(corpus, store, tmp_path)


def test_pipeline_change_reextracts_its_language_only(corpus, tmp_path, monkeypatch):
    from chaingraph import invalidation

    store = tmp_path / "store"
    api.build(corpus, store)
    original = invalidation.pipeline_key
    monkeypatch.setattr(
        "chaingraph.builder.pipeline_key",
        lambda lang, profile: original(lang, profile) + ("-next" if lang == "zh" else ""),
    )
    # A new pipeline version is new code, which keeps the build from trusting its record.
    monkeypatch.setattr("chaingraph.builder._code_digest", lambda: "the next version")
    report = api.build(corpus, store)
    assert (report.extracted, report.unchanged) == (2, 5)  # zh.txt and mixed.md
    assert rebuilt_equals_fresh(corpus, store, tmp_path)


def test_relations_follow_changed_and_removed_documents(tmp_path, ontologies):
    """The relations graph an incremental build updates is the one the aggregate over every
    assertion gives, down to the counts and the best score of a relation whose documents changed."""
    import pyoxigraph as ox
    from corpus_helpers import rows

    from chaingraph.rdf.relations_graph import RELATIONS_GRAPH, relations_quads
    from chaingraph.store import open_store

    files = {
        "two.txt": "Welders use SQL daily.\n\nWelders write SQL reports.\n",
        "one.txt": "Welders use SQL.\n",
        "both.txt": "Welders and SQL and Tableau.\n",
        "about.txt": "They use SQL every day.\n\nSQL and Tableau.\n",
    }
    corpus = write_corpus(tmp_path / "corpus", files, "path,kind,about\nabout.txt,standard,onet:51-4121.06\n")
    store = tmp_path / "store"
    api.build(corpus, store)
    welder_sql = """SELECT ?sentences ?docs ?score (COUNT(?a) AS ?evidence) WHERE {
        ?r a cg:Relation ; cg:subject <https://w3id.org/chaingraph/id/onet/51-4121.06> ; cg:predicate cg:requires ;
           cg:object <https://example.org/c/sql> ; cg:sentenceCount ?sentences ; cg:documentCount ?docs ;
           cg:score ?score ; cg:evidence ?a } GROUP BY ?sentences ?docs ?score"""
    assert rows(store, welder_sql) == [("6", "4", "1", "6")]

    # One document changes (a sentence more), the one about the welder (the best score) leaves.
    (corpus / "one.txt").write_text("Welders use SQL.\n\nWelders need SQL.\n", encoding="utf-8")
    (corpus / "about.txt").unlink()
    (corpus / "manifest.csv").unlink()
    report = api.build(corpus, store)
    assert (report.extracted, report.unchanged, report.removed) == (1, 2, 2)
    assert rows(store, welder_sql) == [("5", "3", "0.8", "5")]

    def graph(quads) -> set[str]:
        dataset = ox.Store()
        dataset.extend(quads)
        return {str(q) for q in dataset.quads_for_pattern(None, None, None, ox.NamedNode(RELATIONS_GRAPH))}

    reference = relations_quads(open_store(store))
    assert graph(open_store(store).quads(RELATIONS_GRAPH)) == graph(reference)
    assert rebuilt_equals_fresh(corpus, store, tmp_path)


def test_relations_out_of_step_with_their_documents_are_recomputed(corpus, tmp_path):
    """Stored rows that do not add up (a store edited by hand) are recomputed from every assertion."""
    import pyoxigraph as ox

    from chaingraph.rdf.namespaces import CG
    from chaingraph.rdf.relations_graph import RELATIONS_GRAPH
    from chaingraph.store import open_store

    store = tmp_path / "store"
    api.build(corpus, store)
    with open_store(store).transaction() as db:
        counts = list(
            db.quads_for_pattern(None, ox.NamedNode(CG + "documentCount"), None, ox.NamedNode(RELATIONS_GRAPH))
        )
        assert counts
        for quad in counts:
            db.remove(quad)
    (corpus / "sql.txt").write_text("Welders use SQL every day.\n", encoding="utf-8")
    api.build(corpus, store)
    assert rebuilt_equals_fresh(corpus, store, tmp_path)


class TestNothingChanged:
    """A rebuild that finds the corpus and every other input as the last build left them returns that
    build's report without reading the corpus or opening the store (chaingraph.corpus.snapshot)."""

    @pytest.fixture(autouse=True)
    def loaded_code(self, monkeypatch):
        """This process runs the code on disk now, though files changed since it imported chaingraph
        (a test session is long): else no build of it would trust or write a record."""
        from chaingraph import builder

        monkeypatch.setattr(builder, "_LOADED_CODE", builder._code_digest())

    @pytest.fixture
    def trusted(self, monkeypatch):
        """Files count as written long before they were read, so their stat is trusted (not racy)."""
        monkeypatch.setattr("chaingraph.corpus.snapshot.RACY_SECONDS", -1.0)

    @staticmethod
    def refuse_to_read(monkeypatch):
        def refuse(*args, **kwargs):
            raise AssertionError("the corpus was read")

        monkeypatch.setattr("chaingraph.builder.read_corpus", refuse)
        monkeypatch.setattr("chaingraph.corpus.snapshot._read_entry", refuse)

    def test_unchanged_rebuild_returns_the_recorded_report(self, tmp_path, ontologies, trusted, monkeypatch):
        files = {**FILES, "novel.md": "---\nkind: novel\n---\nWelders read.\n"}
        manifest = MANIFEST + "gone.txt,policy,\n"
        corpus = write_corpus(tmp_path / "corpus", files, manifest)
        store = tmp_path / "store"
        first = api.build(corpus, store)
        self.refuse_to_read(monkeypatch)
        second = api.build(corpus, store)
        assert (second.extracted, second.unchanged, second.documents, second.removed) == (0, 8, 8, 0)
        assert [str(p) for p in second.problems] == [str(p) for p in first.problems]
        assert [p.path for p in second.problems] == ["gone.txt", "novel.md"]

    @pytest.mark.parametrize("change", ["same size, mtime put back", "added", "removed", "manifest", "listed appears"])
    def test_every_change_is_seen_though_stats_are_trusted(self, corpus, tmp_path, trusted, change):
        import os

        store = tmp_path / "store"
        api.build(corpus, store)
        expected = {
            "same size, mtime put back": (1, 6, 1),
            "added": (1, 7, 0),
            "removed": (0, 6, 1),
            "manifest": (1, 6, 0),  # the same text: its graph is rewritten, not removed
            "listed appears": (1, 7, 0),
        }[change]
        if change == "same size, mtime put back":
            path = corpus / "students.txt"
            before = path.stat()
            path.write_text("Students learn Tableaux\n", encoding="utf-8")
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
            after = path.stat()
            assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
        elif change == "added":
            (corpus / "sub").mkdir()
            (corpus / "sub" / "new.txt").write_text("Welders use Tableau.\n", encoding="utf-8")
        elif change == "removed":
            (corpus / "plain.txt").unlink()
        elif change == "manifest":
            (corpus / "manifest.csv").write_text(MANIFEST.replace("curriculum", "standard"), encoding="utf-8")
        else:
            (corpus / "manifest.csv").write_text(MANIFEST + ".hidden/later.txt,policy,\n", encoding="utf-8")
            report = api.build(corpus, store)
            assert (report.extracted, [p.path for p in report.errors]) == (0, [".hidden/later.txt"])
            (corpus / ".hidden").mkdir()
            (corpus / ".hidden" / "later.txt").write_text("Welders use Tableau.\n", encoding="utf-8")
        report = api.build(corpus, store)
        assert (report.extracted, report.unchanged, report.removed) == expected
        assert rebuilt_equals_fresh(corpus, store, tmp_path)

    def test_a_touched_file_is_hashed_once_then_trusted(self, corpus, tmp_path, trusted, monkeypatch):
        import os

        store = tmp_path / "store"
        api.build(corpus, store)
        os.utime(corpus / "sql.txt", ns=(0, 10**18))
        monkeypatch.setattr("chaingraph.builder.read_corpus", lambda *a, **k: pytest.fail("the corpus was read"))
        hashed = []
        from chaingraph.corpus import snapshot

        original = snapshot._read_entry
        monkeypatch.setattr(snapshot, "_read_entry", lambda path: hashed.append(path) or original(path))
        assert api.build(corpus, store).unchanged == 7
        assert [os.path.basename(p) for p in hashed] == ["sql.txt"]  # same bytes: the record is renewed
        assert api.build(corpus, store).unchanged == 7
        assert len(hashed) == 1

    def test_a_racy_file_is_always_hashed(self, corpus, tmp_path, monkeypatch):
        """Files changed shortly before they were read are hashed at each check."""
        from chaingraph.corpus import snapshot

        monkeypatch.setattr(snapshot, "RACY_SECONDS", 3600.0)  # every file of the corpus is that recent
        store = tmp_path / "store"
        api.build(corpus, store)
        hashed = []
        original = snapshot._read_entry
        monkeypatch.setattr(snapshot, "_read_entry", lambda path: hashed.append(path) or original(path))
        assert api.build(corpus, store).unchanged == 7
        assert len(hashed) == 8  # the seven documents and the manifest

    def test_other_inputs_and_store_versions_are_not_trusted(self, corpus, tmp_path, trusted, monkeypatch):
        import pyoxigraph as ox

        from chaingraph.rdf.namespaces import CG_GRAPH
        from chaingraph.store import open_store

        store = tmp_path / "store"
        api.build(corpus, store)
        calls = []
        from chaingraph import builder

        original = builder.read_corpus
        monkeypatch.setattr(
            builder, "read_corpus", lambda root, **options: calls.append(root) or original(root, **options)
        )
        monkeypatch.setattr(builder, "_installed", lambda names: ["lxml-99.dist-info"])  # compared in full
        assert api.build(corpus, store).unchanged == 7
        assert len(calls) == 1
        with open_store(store).transaction() as db:  # another generation: its record is gone
            db.add(
                ox.Quad(
                    ox.NamedNode("https://example.org/s"),
                    ox.NamedNode("https://example.org/p"),
                    ox.Literal("o"),
                    ox.NamedNode(CG_GRAPH + "extra"),
                )
            )
        assert not (store / "BUILD-RECORD.json").exists()
        assert api.build(corpus, store).unchanged == 7
        assert len(calls) == 2
        assert api.build(corpus, store).unchanged == 7
        assert len(calls) == 2

    def test_code_changed_under_a_running_process_is_not_trusted(self, corpus, tmp_path, trusted, monkeypatch):
        from chaingraph import builder

        store = tmp_path / "store"
        api.build(corpus, store)
        record = (store / "BUILD-RECORD.json").read_bytes()
        calls = []
        original = builder.read_corpus
        monkeypatch.setattr(
            builder, "read_corpus", lambda root, **options: calls.append(root) or original(root, **options)
        )
        monkeypatch.setattr(builder, "_LOADED_CODE", "what this process imported before the files changed")
        assert api.build(corpus, store).unchanged == 7
        assert len(calls) == 1
        assert (store / "BUILD-RECORD.json").read_bytes() == record  # neither trusted nor rewritten


class TestSnapshot:
    def test_records_what_was_read_and_looked_at(self, tmp_path):
        from chaingraph.corpus import read_corpus

        corpus = write_corpus(tmp_path / "corpus", {"a.txt": "Alpha.\n", "b.md": "Beta.\n"}, "path\na.txt\nnone.txt\n")
        snapshot = read_corpus(corpus).snapshot
        assert sorted(snapshot.entries) == ["a.txt", "b.md", "manifest.csv", "manifest.jsonl", "none.txt"]
        assert [snapshot.entries[name][0] for name in ("manifest.jsonl", "none.txt")] == ["missing", "missing"]
        assert snapshot.entries["a.txt"][0] == "read" and snapshot.entries["a.txt"][-1] is True  # just written
        assert snapshot.candidates == ["a.txt", "b.md"]
        assert snapshot.complete

    def test_changed_names_the_first_difference(self, tmp_path):
        from chaingraph.corpus import Snapshot, corpus_candidates, read_corpus

        corpus = write_corpus(tmp_path / "corpus", {"a.txt": "Alpha.\n", "b.md": "Beta.\n"})
        snapshot = read_corpus(corpus).snapshot
        again = Snapshot.from_json(snapshot.to_json(), corpus)
        assert again.changed(corpus_candidates(corpus)) is None
        (corpus / "b.md").write_text("Bet.\n\n", encoding="utf-8")
        assert again.changed(corpus_candidates(corpus)) == "b.md"
        (corpus / "c.txt").write_text("Gamma.\n", encoding="utf-8")
        assert again.changed(corpus_candidates(corpus)) == "."

    def test_unreadable_file_makes_it_incomplete(self, tmp_path, monkeypatch):
        from chaingraph.corpus import corpus_candidates, read_corpus

        corpus = write_corpus(tmp_path / "corpus", {"a.txt": "Alpha.\n"})

        def unreadable(path):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr("chaingraph.corpus.snapshot._read_entry", unreadable)
        read = read_corpus(corpus)
        assert [p.reason for p in read.problems] == ["cannot read file: Permission denied"]
        assert not read.snapshot.complete
        assert read.snapshot.changed(corpus_candidates(corpus)) == "."
