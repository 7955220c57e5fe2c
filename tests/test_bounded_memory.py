"""Bounded memory for any input: a long document is read in pieces and gives the graph of the whole,
a run without a sentence end is cut and builds, a batch's large N-Quads travel through a file, and
a document over ``--max-document-mb`` is refused by name while the rest builds."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from corpus_helpers import all_quads, rows, write_corpus
from typer.testing import CliRunner

from chaingraph import api, executors
from chaingraph.cli import EXIT_PARTIAL, app
from chaingraph.corpus import folder, read_corpus
from chaingraph.corpus.document import Document, content_id
from chaingraph.invalidation import pipeline_key
from chaingraph.nlp import pipeline, relations
from chaingraph.nlp.pipeline import MAX_CHARS, extract_parts, load_pipeline
from chaingraph.rdf.document_graph import DocumentGraphWriter, document_graph
from chaingraph.rdf.namespaces import CG, document_graph_iri

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def corpus_text(lang: str, chars: int) -> tuple[str, str | None]:
    """The demo corpus's texts in ``lang``, one after the other (repeated) up to ``chars`` characters,
    cut at a paragraph end; and the subject of the first of them."""
    documents = [d for d in read_corpus(ROOT / "corpora").documents if (d.lang == "zh") == (lang == "zh")]
    text = ""
    while len(text) < chars:
        text += "\n\n".join(d.text for d in documents) + "\n\n"
    return text[: text.rfind("\n\n", 0, chars)], documents[0].about


def graph_in_parts(nlp, document: Document, piece_size: int) -> tuple[list[str], list, int]:
    """The document's graph as sorted N-Quads lines, its support, and how many parts the pipeline gave."""
    writer = DocumentGraphWriter(document, fingerprint_last=True)
    text, parts = [], 0
    for _index, part in extract_parts(nlp, [(document.text, document.about)], piece_size=piece_size):
        text.append(writer.add(part))
        parts += 1
    tail, support = writer.finish()
    return sorted("".join(text + [tail]).splitlines()), sorted(support), parts


class TestPieces:
    @pytest.mark.parametrize(("lang", "chars", "piece_size"), [("en", 900_000, 20_000), ("zh", 40_000, 2_000)])
    def test_a_document_read_in_pieces_has_the_graph_of_the_whole(self, lang, chars, piece_size):
        nlp = load_pipeline(lang)
        text, about = corpus_text(lang, chars)
        document = Document(content_id(text), text, "long.txt", "Long", lang=lang, about=about)
        whole, whole_support, whole_parts = graph_in_parts(nlp, document, MAX_CHARS)
        pieces, pieces_support, pieces_parts = graph_in_parts(nlp, document, piece_size)
        assert whole_parts == 1 and pieces_parts >= chars // piece_size
        # The reference is the graph of the whole text in one spaCy doc, as a short document gets it.
        one_piece, one_support = document_graph(document, next(pipeline.extract_docs(nlp, [(text, about)])))
        assert sorted(one_piece.splitlines()) == whole
        assert sum(line.startswith("<") and "#Mention>" in line for line in whole) > 100
        assert pieces == whole
        assert pieces_support == whole_support == sorted(one_support)

    def test_a_run_without_sentence_end_is_cut_at_whitespace_and_builds(self, tmp_path, mini_env, monkeypatch):
        # 160,000 characters with no full stop and no line break, "SQL" every 25 words.
        words = ["SQL" if i % 25 == 0 else f"zq{i % 7}" for i in range(40_000)]
        text = " ".join(words)
        monkeypatch.setenv("CHAINGRAPH_PIECE_CHARS", "3000")  # runs without a sentence end: 30,000 at most
        corpus = write_corpus(tmp_path / "corpus", {"run.txt": text})
        report = api.build(corpus, tmp_path / "store")
        assert (report.documents, report.partial) == (1, False)

        expected = [m.start() for m in re.finditer(r"\bSQL\b", text)]
        found = rows(tmp_path / "store", "SELECT ?s ?t WHERE { ?m a cg:Mention ; cg:start ?s ; cg:text ?t }")
        assert sorted(int(start) for start, _ in found) == expected
        assert {t for _, t in found} == {"SQL"}
        sentences = [
            (int(s), int(e))
            for s, e in rows(tmp_path / "store", "SELECT ?s ?e WHERE { ?x a cg:Sentence ; cg:start ?s ; cg:end ?e }")
        ]
        assert len(sentences) > len(text) // 30_000
        for start, end in sentences:
            assert end - start <= 30_000
            assert start == 0 or text[start - 1] == " "  # cut at whitespace, never inside a word
            assert end == len(text) or text[end] == " "
        # Every mention lies in the sentence its graph names.
        inside = rows(
            tmp_path / "store",
            "SELECT ?m WHERE { ?m cg:start ?ms ; cg:inSentence ?x . ?x cg:start ?s ; cg:end ?e "
            "FILTER(?ms >= ?s && ?ms < ?e) }",
        )
        assert len(inside) == len(expected)

    def test_a_build_in_small_pieces_gives_the_graph_of_a_build_in_one(self, tmp_path, mini_env, monkeypatch):
        paragraph = "Welders use SQL and Tableau. The programme teaches PLC programming!\n\nStudents learn SQL; "
        files = {"long.md": paragraph * 400, "short.txt": "Welders read programmable logic controller output.\n"}
        manifest = "path,kind,about\nlong.md,curriculum,cip:48.0508\nshort.txt,standard,onet:51-4121.06\n"
        corpus = write_corpus(tmp_path / "corpus", files, manifest)
        api.build(corpus, tmp_path / "whole")
        monkeypatch.setenv("CHAINGRAPH_PIECE_CHARS", "2000")
        report = api.build(corpus, tmp_path / "pieces", workers=2)
        assert report.documents == 2
        assert all_quads(tmp_path / "pieces") == all_quads(tmp_path / "whole")
        assert len(rows(tmp_path / "whole", "SELECT ?m WHERE { ?m a cg:Mention }")) > 1_000


class TestSpooling:
    def test_large_nquads_come_back_from_a_file_in_chunks_of_whole_graphs(self, tmp_path, mini_env, monkeypatch):
        texts = ["Welders use SQL.", "Students learn SQL and Tableau daily.\n\n" * 300, "Welders read PLC output."]
        documents = tuple(Document(content_id(t), t, f"d{i}.txt", f"D{i}") for i, t in enumerate(texts))
        monkeypatch.setenv("CHAINGRAPH_PIECE_CHARS", "2000")
        batch = executors.Batch(documents, "en", "fast", pipeline_key("en", "fast"))
        in_memory = executors.extract_batch(batch)
        assert in_memory.nquads and not in_memory.nquads_file

        monkeypatch.setattr(executors, "SPOOL_BYTES", 1_000)
        spooled = executors.extract_batch(dataclasses.replace(batch, spool_dir=str(tmp_path)))
        assert spooled.nquads == b"" and Path(spooled.nquads_file).parent == tmp_path
        assert spooled.quads == in_memory.quads == in_memory.nquads.count(b"\n")
        chunks = list(spooled.nquads_chunks(size=4_000))
        assert not Path(spooled.nquads_file).exists()  # read once, then deleted
        assert b"".join(chunks) == in_memory.nquads
        graphs = [document_graph_iri(d.id) for d in documents]
        holding = [{q.graph_name.value for q in ox.parse(chunk, format=ox.RdfFormat.N_QUADS)} for chunk in chunks]
        # The short documents' graphs each arrive in one chunk; the long one's in several, its
        # fingerprint in the last of them.
        assert sum(graphs[0] in held for held in holding) == sum(graphs[2] in held for held in holding) == 1
        long_chunks = [i for i, held in enumerate(holding) if graphs[1] in held]
        assert len(long_chunks) > 2
        lines = [line for chunk in chunks for line in chunk.splitlines() if graphs[1].encode() in line]
        assert [i for i, line in enumerate(lines) if f"<{CG}fingerprint>".encode() in line] == [len(lines) - 1]

    def test_word_count_is_that_of_split(self):
        text = "Welders  read\nblueprints. 焊接技术 x " * 50 + "end"
        for window in (3, 7, 10, 64):
            assert executors.word_count(text, window=window) == len(text.split())


class TestDocumentSizeLimit:
    def test_a_larger_document_is_refused_by_name_and_the_rest_builds(self, tmp_path, mini_env):
        big = "Welders use SQL and Tableau.\n\n" * 5_000  # 150,000 bytes
        corpus = write_corpus(tmp_path / "corpus", {"big.txt": big, "small.txt": "Welders use SQL.\n"})
        store = tmp_path / "store"
        result = runner.invoke(app, ["build", str(corpus), "--store", str(store), "--max-document-mb", "0.1"])
        assert result.exit_code == EXIT_PARTIAL, result.output
        lines = [line for line in result.stderr.splitlines() if "big.txt" in line]
        assert len(lines) == 1
        assert "0.15 MB of text" in lines[0] and "the 0.1 MB" in lines[0] and "--max-document-mb 1 " in lines[0]
        assert "Traceback" not in result.output
        assert rows(store, "SELECT ?p WHERE { ?d cg:sourcePath ?p }") == [("small.txt",)]

        result = runner.invoke(app, ["build", str(corpus), "--store", str(store), "--max-document-mb", "1"])
        assert result.exit_code == 0, result.output
        assert rows(store, "SELECT ?p WHERE { ?d cg:sourcePath ?p }") == [("big.txt",), ("small.txt",)]

    def test_the_limit_must_be_more_than_zero(self, tmp_path, mini_env):
        corpus = write_corpus(tmp_path / "corpus", {"small.txt": "Welders use SQL.\n"})
        result = runner.invoke(app, ["build", str(corpus), "--store", str(tmp_path / "s"), "--max-document-mb", "0"])
        assert result.exit_code == 2
        assert "--max-document-mb" in result.output
        with pytest.raises(ValueError, match="max_document_mb"):
            api.build(corpus, tmp_path / "s", max_document_mb=-1)


class TestLongSentences:
    DENSE = "Welders use Python, Electricians use AutoCAD, Nurses use SQL "

    def cue_typing(self, monkeypatch, text: str) -> tuple[list[tuple[int, int, int]], list]:
        """Extract ``text``: each span the relation stage read for cues with its blocker look-ups, and the relations."""
        spans, lookups = [], [0]
        cued, any_between = relations.RelationTyper._cued, relations._LatestByClass.any_between

        def counted_cued(self, doc, s_start, s_end, *args, **kwargs):
            before = lookups[0]
            found = cued(self, doc, s_start, s_end, *args, **kwargs)
            spans.append((s_start, s_end, lookups[0] - before))
            return found

        def counted_lookup(self, *args):
            lookups[0] += 1
            return any_between(self, *args)

        with monkeypatch.context() as patch:
            patch.setattr(relations.RelationTyper, "_cued", counted_cued)
            patch.setattr(relations._LatestByClass, "any_between", counted_lookup)
            found = [r for _index, part in extract_parts(load_pipeline("en"), [(text, None)]) for r in part.relations]
        return spans, found

    def test_cue_typing_of_a_run_without_sentence_end_grows_with_its_length(self, monkeypatch):
        # 50,000 and 200,000 characters of occupations, technologies and "use", no full stop, no
        # line break: each is one sentence, which the relation stage reads in pieces of at most
        # MAX_CUE_CHARS, so that no piece costs more look-ups in the longer text (read whole, the
        # look-ups of one sentence grow with its mentions times its cues).
        short = (self.DENSE * 3_400)[:50_000].rsplit(" ", 1)[0]
        long = (self.DENSE * 3_400)[:200_000].rsplit(" ", 1)[0]
        short_spans, _ = self.cue_typing(monkeypatch, short)
        spans, found = self.cue_typing(monkeypatch, long)
        assert len(spans) >= len(long) // relations.MAX_CUE_CHARS
        assert all(end - start <= relations.MAX_CUE_CHARS for start, end, _ in spans)
        assert all(long[start - 1] == " " for start, _, _ in spans if start)  # cut at whitespace
        most = max(lookups for _, _, lookups in short_spans)
        assert most > 10_000 and max(lookups for _, _, lookups in spans) <= 1.05 * most  # pieces differ slightly
        # Every relation names the sentence, the whole run, not a piece of it.
        assert {(r.sentence_start, r.sentence_end) for r in found} == {(0, len(long))}
        assert "uses" in {r.predicate for r in found if r.basis == "cue"}

    def test_pieces_are_cut_at_whitespace_outside_mentions(self):
        nlp = load_pipeline("en")
        text = "Welders use a programmable logic controller and SQL " * 40
        doc = nlp(text)
        mentions = [m for m in doc._.mentions if m.concept]
        assert any(" " in m.text for m in mentions)
        pieces = relations.cue_pieces(doc, 0, len(text.rstrip()), mentions, limit=100)
        assert relations.cue_pieces(doc, 0, len(text.rstrip()), mentions, limit=len(text)) == [
            (0, len(text.rstrip()), mentions)
        ]
        assert len(pieces) >= len(text) // 100
        assert [m for _, _, inside in pieces for m in inside] == mentions  # each mention in one piece
        for start, end, inside in pieces:
            assert end - start <= 100
            assert start == 0 or text[start - 1] == " "
            assert all(start <= m.start and m.end <= end for m in inside)
        # Without spaces (Chinese), pieces end between tokens, still outside every mention.
        zh = load_pipeline("zh")
        text = "焊工使用数控机床和焊接技术，" * 30
        doc = zh(text.replace("，", "、"))
        mentions = [m for m in doc._.mentions if m.concept]
        pieces = relations.cue_pieces(doc, 0, len(text), mentions, limit=40)
        assert len(pieces) >= len(text) // 40 and all(end - start <= 40 for start, end, _ in pieces)
        assert [m for _, _, inside in pieces for m in inside] == mentions
        assert all(start <= m.start and m.end <= end for start, end, inside in pieces for m in inside)


class TestFileSizeLimit:
    def test_a_file_far_over_the_limit_is_refused_without_being_read(self, tmp_path, mini_env, monkeypatch):
        corpus = write_corpus(tmp_path / "corpus", {"small.txt": "Welders use SQL.\n"})
        with open(corpus / "huge.txt", "wb") as huge:
            huge.truncate(2_000_000)  # 2 MB on disk (sparse), more than 4 x the 0.1 MB text limit
        read = []
        real_read = folder.read_file_bytes
        monkeypatch.setattr(
            folder, "read_file_bytes", lambda path, *args: read.append(path.name) or real_read(path, *args)
        )
        store = tmp_path / "store"
        result = runner.invoke(app, ["build", str(corpus), "--store", str(store), "--max-document-mb", "0.1"])
        assert result.exit_code == EXIT_PARTIAL, result.output
        assert read == ["small.txt"]
        lines = [line for line in result.stderr.splitlines() if "huge.txt" in line]
        assert len(lines) == 1 and "2.00 MB on disk" in lines[0] and "not read" in lines[0]
        assert "--max-document-mb 1 " in lines[0] and "Traceback" not in result.output
        assert rows(store, "SELECT ?p WHERE { ?d cg:sourcePath ?p }") == [("small.txt",)]

        # The unread file leaves the build record unable to vouch: made small, it is built next time.
        (corpus / "huge.txt").write_text("Nurses use Tableau.\n", encoding="utf-8")
        result = runner.invoke(app, ["build", str(corpus), "--store", str(store), "--max-document-mb", "0.1"])
        assert result.exit_code == 0, result.output
        assert rows(store, "SELECT ?p WHERE { ?d cg:sourcePath ?p } ORDER BY ?p") == [("huge.txt",), ("small.txt",)]
