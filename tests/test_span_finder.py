"""The accurate profile: the shipped span finder, the fuzzy linker and unlinked candidates in the graph."""

from __future__ import annotations

import math
import socket
from collections import Counter

import pyoxigraph as ox
import pytest
import rdflib
import spacy
from spacy.tokens import Span
from typer.testing import CliRunner

from chaingraph.cli import app
from chaingraph.corpus.document import Document, content_id
from chaingraph.nlp import fuzzy as fuzzy_module
from chaingraph.nlp import spans as spans_module
from chaingraph.nlp.fuzzy import FuzzyLinker, LabelIndex, calibrated_threshold, char_ngrams
from chaingraph.nlp.linker import Mention
from chaingraph.nlp.pipeline import (
    PIPELINE_VERSION,
    PROFILES,
    Extraction,
    _extraction_of,
    build_pipeline,
    pipeline_version,
)
from chaingraph.nlp.spans import DEFAULT_MODEL, SpanFinder, model_meta
from chaingraph.rdf.document_graph import document_quads
from chaingraph.rdf.namespaces import CG
from chaingraph.rdf.validate import validate_graph

EX = "https://example.org/c/"
KEY = "chaingraph_candidates"


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CHAINGRAPH_CACHE", str(tmp_path / "cache"))


def reference_cosine(query: str, labels: list[str]) -> list[float]:
    """Cosine of char 3-gram TF-IDF vectors, written out plainly (no n-gram is dropped: few labels)."""
    grams = [Counter(char_ngrams(label)) for label in labels]
    n = len(labels)
    df = Counter(g for counts in grams for g in counts)

    def idf(gram):
        return math.log((1 + n) / (1 + df.get(gram, 0))) + 1

    def vector(counts):
        weights = {g: c * idf(g) for g, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        return {g: w / norm for g, w in weights.items()}

    q = vector(Counter(char_ngrams(query)))
    return [sum(w * vector(counts).get(g, 0.0) for g, w in q.items()) for counts in grams]


class TestLabelIndex:
    LABELS = ["welding", "welding robots", "machine learning", "project management"]

    def test_scores_are_tf_idf_cosines(self):
        index = LabelIndex(self.LABELS, ["w", "wr", "ml", "pm"])
        for query in ("welding robot", "machine-learning", "manage projects", "robots"):
            expected = reference_cosine(query, self.LABELS)
            best = max(range(len(expected)), key=lambda i: (expected[i], -i))
            label, score = index.best([query])[0]
            assert label == best
            assert score == pytest.approx(expected[best], abs=1e-5)

    def test_exact_label_in_any_case_scores_one(self):
        index = LabelIndex(self.LABELS, ["w", "wr", "ml", "pm"])
        [(label, score)] = index.best(["MACHINE  Learning"])
        assert (index.targets[label], score) == ("ml", pytest.approx(1.0))

    def test_no_shared_ngram_finds_nothing(self):
        assert LabelIndex(self.LABELS, ["w", "wr", "ml", "pm"]).best(["xyz"]) == [(-1, 0.0)]

    def test_first_given_label_wins_a_duplicate(self):
        index = LabelIndex(["SQL", "sql", "SQL server"], ["skill", "tech", "server"])
        assert index.labels == ["SQL", "SQL server"]
        assert index.targets[index.best(["sql"])[0][0]] == "skill"


@pytest.fixture
def fuzzy(mini_nlp, private_cache):
    """A fuzzy linker over the mini vocabulary, threshold 0.6."""
    return FuzzyLinker(mini_nlp, threshold=0.6)


def run_with_candidates(nlp, linker, text: str, phrases: list[str]):
    """Run the fast stages, put ``phrases`` in as the span finder's candidates, then the fuzzy linker."""
    doc = nlp.make_doc(text)
    for _name, stage in nlp.pipeline:
        if _name == "chaingraph_relations":
            continue
        doc = stage(doc)
    spans = []
    for phrase in phrases:
        start = text.index(phrase)
        spans.append(doc.char_span(start, start + len(phrase), label="SKILL"))
    doc.spans[KEY] = spans
    doc = linker(doc)
    return nlp.get_pipe("chaingraph_relations")(doc)


class TestFuzzyLinker:
    TEXT = "You will program a programmable logic controler and practise underwater basket weaving."

    def test_near_variant_links_and_unknown_phrase_stays_unlinked(self, mini_nlp, fuzzy):
        doc = run_with_candidates(
            mini_nlp, fuzzy, self.TEXT, ["programmable logic controler", "underwater basket weaving"]
        )
        linked, unlinked = doc._.mentions
        start = self.TEXT.index("programmable logic controler")
        assert linked[:6] == (
            start, start + 28, "programmable logic controler", EX + "plc", "programmable logic controller", "Skill"
        )  # fmt: skip
        assert linked.score >= 0.6
        start = self.TEXT.index("underwater")
        assert unlinked[:6] == (
            start, start + 25, "underwater basket weaving", "", "underwater basket weaving", "Skill"
        )  # fmt: skip
        assert 0.0 <= unlinked.score < 0.6
        assert unlinked.alternatives == ()

    def test_unlinked_candidates_take_part_in_no_relation(self, mini_nlp, fuzzy):
        doc = mini_nlp.make_doc("Welders use SQL and underwater basket weaving.")
        for _name, stage in mini_nlp.pipeline[:-1]:
            doc = stage(doc)
        doc.spans[KEY] = [doc.char_span(20, 45)]
        doc = mini_nlp.get_pipe("chaingraph_relations")(fuzzy(doc))
        assert [m.concept for m in doc._.mentions] == [
            "https://w3id.org/chaingraph/id/onet/51-4121.06", EX + "sql", "",
        ]  # fmt: skip
        assert {(r.subject, r.object) for r in doc._.relations} == {
            ("https://w3id.org/chaingraph/id/onet/51-4121.06", EX + "sql")
        }

    def test_threshold_boundary(self, mini_nlp, private_cache):
        [(concept, score)] = FuzzyLinker(mini_nlp, threshold=0.0).link(["programmable logic controler"])
        # At exactly the reported score the span links; a thousandth above, it does not.
        at = FuzzyLinker(mini_nlp, threshold=score)
        above = FuzzyLinker(mini_nlp, threshold=round(score + 0.001, 3))
        concepts = mini_nlp.get_pipe("chaingraph_concepts").gazetteer.concepts
        assert concepts[concept].iri == EX + "plc"
        assert at.link(["programmable logic controler"]) == [(concept, score)]
        assert above.link(["programmable logic controler"]) == [(None, score)]

    def test_span_overlapping_a_vocabulary_mention_is_left_to_it(self, mini_nlp, fuzzy):
        doc = run_with_candidates(mini_nlp, fuzzy, "Strong SQL skills.", ["Strong SQL skills"])
        assert [(m.text, m.concept) for m in doc._.mentions] == [("SQL", EX + "sql")]

    def test_only_the_chosen_classes_are_searched(self, mini_nlp, private_cache):
        linker = FuzzyLinker(mini_nlp, threshold=0.3, classes=["Occupation"])
        [(concept, _score)] = linker.link(["welding operators"])
        concepts = mini_nlp.get_pipe("chaingraph_concepts").gazetteer.concepts
        assert concepts[concept].iri == "https://w3id.org/chaingraph/id/onet/51-4121.06"

    def test_remembered_links_are_the_searched_ones(self, mini_nlp, private_cache, monkeypatch):
        texts = ["programmable logic controler", "underwater basket weaving", "sql", "programmable logic controler"]
        searched = [FuzzyLinker(mini_nlp, threshold=0.6).link([text])[0] for text in texts]
        # Search one text at a time and forget past two: every path of the memory is taken.
        monkeypatch.setattr(fuzzy_module, "_SEARCH_BATCH", 1)
        monkeypatch.setattr(fuzzy_module, "_KNOWN_TEXTS", 2)
        linker = FuzzyLinker(mini_nlp, threshold=0.6)
        assert linker.link(texts[:2]) == searched[:2]
        assert linker.link(texts) == searched  # two remembered, one new: past the bound
        assert linker.link(texts[::-1]) == searched[::-1]

    def test_pipe_links_as_one_doc_at_a_time(self, mini_nlp, fuzzy):
        items = [(self.TEXT, ["programmable logic controler", "underwater basket weaving"]),
                 ("Strong SQL skills.", ["Strong SQL skills"]), ("No candidates.", None),
                 ("Weld and practise underwater basket weaving.", ["underwater basket weaving"])]  # fmt: skip

        def prepared():
            for text, phrases in items:
                doc = mini_nlp.make_doc(text)
                for name, stage in mini_nlp.pipeline:
                    if name != "chaingraph_relations":
                        doc = stage(doc)
                if phrases is not None:
                    doc.spans[KEY] = [doc.char_span(text.index(p), text.index(p) + len(p)) for p in phrases]
                yield doc

        alone = [fuzzy(doc)._.mentions for doc in prepared()]
        assert [doc._.mentions for doc in fuzzy.pipe(prepared(), batch_size=3)] == alone
        assert [m.text for m in alone[0]] == ["programmable logic controler", "underwater basket weaving"]

    def test_shipped_threshold_is_calibrated(self):
        threshold = calibrated_threshold()
        meta = model_meta()["chaingraph"]
        assert 0.0 < threshold < 1.0
        assert meta["precision_at_threshold"] >= meta["target_precision"]


class TestShippedSpanFinder:
    def test_loads_without_network_and_finds_a_skill(self, monkeypatch):
        def no_network(*args, **kwargs):
            raise AssertionError("the span finder must not touch the network")

        monkeypatch.setattr(socket.socket, "connect", no_network)
        nlp = spacy.blank("en")
        finder = nlp.add_pipe("chaingraph_span_finder")
        assert isinstance(finder, SpanFinder)
        text = "You have experience with software development and project management in agile teams."
        doc = nlp(text)
        spans = doc.spans[KEY]
        assert spans, "no span found"
        assert all(isinstance(s, Span) and s.label_ == "SKILL" for s in spans)
        assert doc.ents == ()  # the recognizer's entities do not leak into doc.ents

    def test_spans_do_not_depend_on_the_pass(self, monkeypatch):
        nlp = spacy.blank("en")
        nlp.add_pipe("chaingraph_span_finder")
        texts = [
            "You have experience with software development and project management in agile teams.",
            "Knowledge of SQL.",
            "We need a welder who can read blueprints, operate forklifts and maintain hydraulic equipment.",
        ]
        alone = [[(s.start, s.end) for s in doc.spans[KEY]] for doc in [nlp(text) for text in texts]]
        monkeypatch.setattr(spans_module, "_TOKENS_PER_PASS", 16)  # one doc or two per pass
        piped = list(nlp.pipe(texts, batch_size=3))
        assert [[(s.start, s.end) for s in doc.spans[KEY]] for doc in piped] == alone
        assert any(alone)

    def test_is_small(self):
        size = sum(p.stat().st_size for p in DEFAULT_MODEL.rglob("*") if p.is_file())
        assert size < 15_000_000

    def test_missing_model_is_named(self, tmp_path):
        with pytest.raises(FileNotFoundError, match="span-finder model is missing"):
            SpanFinder(spacy.blank("en"), model=str(tmp_path / "nowhere"))


class TestProfiles:
    def test_profiles(self):
        assert PROFILES == ("fast", "accurate")

    def test_unknown_profile_names_the_valid_ones(self):
        with pytest.raises(ValueError, match="unknown pipeline profile 'precise': choose one of fast, accurate"):
            build_pipeline("en", profile="precise")
        with pytest.raises(ValueError, match="fast, accurate"):
            pipeline_version("precise")

    def test_accurate_adds_the_span_finder_and_fuzzy_linker(self, mini_ontologies, private_cache):
        nlp = build_pipeline("en", profile="accurate", vocab_path=str(mini_ontologies / "vocab"))
        assert nlp.pipe_names == [
            "chaingraph_sentences", "chaingraph_concepts", "chaingraph_span_finder",
            "chaingraph_fuzzy_linker", "chaingraph_relations",
        ]  # fmt: skip
        text = "You will develop web applications and maintain a programmable logic controller."
        mentions = _extraction_of(nlp(text)).mentions
        assert (text.index("programmable"), EX + "plc") in {(m.start, m.concept) for m in mentions}

    def test_chinese_accurate_is_fast(self, mini_ontologies, private_cache):
        vocab = str(mini_ontologies / "vocab")
        fast = build_pipeline("zh", vocab_path=vocab).pipe_names
        assert build_pipeline("zh", profile="accurate", vocab_path=vocab).pipe_names == fast
        assert pipeline_version("accurate", "zh") == PIPELINE_VERSION

    def test_versions_differ(self):
        assert pipeline_version("fast") == PIPELINE_VERSION
        assert pipeline_version("accurate").startswith(PIPELINE_VERSION + ".spans-")


class TestUnlinkedInTheGraph:
    TEXT = "Welders need SQL and underwater basket weaving."

    def quads(self):
        document = Document(content_id(self.TEXT), self.TEXT, "jobs/w.txt", "Welders")
        extraction = Extraction(
            (
                Mention(13, 16, "SQL", EX + "sql", "SQL", "Skill", 1.0),
                Mention(21, 46, "underwater basket weaving", "", "underwater basket weaving", "Skill", 0.312),
            ),
            (),
            ((0, 47),),
        )
        return document, document_quads(document, extraction)

    def graph(self, quads, extra: str = "") -> rdflib.Graph:
        data = rdflib.Graph().parse(
            data=ox.serialize([q.triple for q in quads], format=ox.RdfFormat.N_TRIPLES), format="nt"
        )
        data.parse(
            data=f"""@prefix cg: <{CG}> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
            <{EX}sql> a skos:Concept, cg:Skill ; cg:chain cg:talent ; skos:prefLabel "SQL"@en ;
                skos:inScheme <{EX}scheme> . {extra}""",
            format="turtle",
        )
        return data

    def test_unlinked_mention_has_a_candidate_class_and_no_concept(self):
        document, quads = self.quads()
        node = ox.NamedNode(f"https://w3id.org/chaingraph/id/doc/{document.id}/m/21-46")
        about = {(q.predicate.value.removeprefix(CG), q.object.value) for q in quads if q.subject == node}
        assert about == {
            ("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", CG + "Mention"),
            ("inDocument", f"https://w3id.org/chaingraph/id/doc/{document.id}"),
            ("inSentence", f"https://w3id.org/chaingraph/id/doc/{document.id}/s/0-47"),
            ("start", "21"),
            ("end", "46"),
            ("text", "underwater basket weaving"),
            ("candidateClass", CG + "Skill"),
            ("score", "0.312"),
        }

    def test_conforms_to_the_shapes(self):
        _document, quads = self.quads()
        report = validate_graph(self.graph(quads))
        assert report.conforms, report.text

    def test_a_mention_with_a_concept_and_a_candidate_class_does_not_conform(self):
        document, quads = self.quads()
        linked = f"<https://w3id.org/chaingraph/id/doc/{document.id}/m/13-16>"
        report = validate_graph(self.graph(quads, f"{linked} cg:candidateClass cg:Skill ."))
        assert not report.conforms
        assert "exactly one of the two" in report.text


class TestCommandLine:
    def test_extract_with_a_profile(self, mini_env):
        runner = CliRunner()
        text = "Welders use SQL."
        result = runner.invoke(app, ["extract", "--profile", "accurate", "--text", text], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert EX + "sql" in result.output
        result = runner.invoke(app, ["extract", "--profile", "precise", "--text", text])
        assert result.exit_code == 2
        assert "fast" in result.output and "accurate" in result.output


class TestSameTerm:
    """The fuzzy linker's decision: whole strings alike, every content word matched both ways."""

    @pytest.mark.parametrize(
        "span, label",
        [
            ("programmable logic controler", "programmable logic controller"),
            ("operate a forklift", "operate forklifts"),
            ("SQL", "sql"),
        ],
    )
    def test_same_term(self, span, label):
        from chaingraph.nlp.fuzzy import same_term

        assert same_term(span, label)

    @pytest.mark.parametrize(
        "span, label",
        [
            ("coordinate", "coordinate care"),
            ("programming", "monitor programming"),
            ("Operate equipment", "maintain equipment"),
            ("systems", "manage production systems"),
            ("control circuits", "patrol areas"),
        ],
    )
    def test_part_or_neighbour_is_not_the_term(self, span, label):
        from chaingraph.nlp.fuzzy import same_term

        assert not same_term(span, label)

    def test_similarity_is_symmetric_and_whole(self):
        from chaingraph.nlp.fuzzy import term_similarity

        # " sq", "sql", "ql " against " sq", "sql", "ql ", "l s", " se", ... "er ": 3 shared of 3 and 10 grams.
        assert term_similarity("SQL", "SQL server") == term_similarity("SQL server", "SQL")
        assert term_similarity("SQL", "SQL server") == pytest.approx(3 / (3**0.5 * 10**0.5), abs=1e-6)

    def test_acronym_label_links_only_in_capitals(self, fuzzy):
        concepts = fuzzy.concepts
        [(concept, score)] = fuzzy.link(["SQL"])
        assert (concepts[concept].iri, score) == (EX + "sql", 1.0)
        assert fuzzy.link(["sql"]) == [(None, 0.0)]
