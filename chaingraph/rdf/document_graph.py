"""One document's named graph: its metadata, sentences, mentions and relation assertions.

Everything a document contributes lives in its own named graph, so replacing or removing the
document is replacing or dropping one graph. Evidence follows PROV-O: a mention and an assertion
are ``prov:Entity`` derived (``cg:inSentence``, ``cg:evidence``) from sentences of the document.
The plain relation triple (``programme cg:teaches skill``) is asserted in the same graph, so a
query over the union of graphs sees the typed edges directly.

A long document comes from the pipeline in parts (:func:`chaingraph.nlp.pipeline.extract_parts`);
:class:`DocumentGraphWriter` turns each part into N-Quads as it comes and keeps only what the
assertions need (per assertion, its sentences as numbers and its best score), so the quads of
one document are never all in memory.
"""

from __future__ import annotations

import functools
import hashlib
from array import array
from bisect import bisect_right

import pyoxigraph as ox

from chaingraph.corpus.document import Document
from chaingraph.nlp.pipeline import PIPELINE_VERSION, Extraction
from chaingraph.rdf.namespaces import CG, CG_ID, DCTERMS, PROV, RDF, XSD, document_graph_iri, document_iri
from chaingraph.rdf.relations_graph import Support

__all__ = [
    "DocumentGraphWriter",
    "document_quads",
    "document_nquads",
    "document_graph",
    "document_fingerprint",
    "pipeline_agent_iri",
]

# Terms are written as N-Quads text, not pyoxigraph objects: a build makes millions of them, and
# formatting a string costs a tenth of creating a Quad (the store's bulk loader parses the text).
_TYPE = f"<{RDF}type>"
_INTEGER = f"^^<{XSD}integer>"
_DECIMAL = f"^^<{XSD}decimal>"
_ESCAPES = str.maketrans({'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r"})


@functools.cache
def _cg(name: str) -> str:
    return f"<{CG}{name}>"


def _iri(value: str) -> str:
    """An IRI the pipeline made or read from the vocabularies (already valid)."""
    return f"<{value}>"


def _string(text: str, lang: str | None = None) -> str:
    quoted = '"' + text.translate(_ESCAPES) + '"'
    return f"{quoted}@{lang}" if lang else quoted


def pipeline_agent_iri() -> str:
    """The software agent (pipeline and its version) to which extracted statements are attributed."""
    return f"{CG_ID}agent/pipeline/{PIPELINE_VERSION}"


def _int(value: int) -> str:
    return f'"{value}"{_INTEGER}'


def _decimal(value: float) -> str:
    return f'"{value:.3f}"{_DECIMAL}'


def document_quads(document: Document, extraction: Extraction, *, vocab_key: str = "") -> list[ox.Quad]:
    """The quads of ``document``'s named graph, built from what the pipeline found in it.

    ``vocab_key`` identifies the pipeline that read the document; it goes into the fingerprint so
    that a new pipeline makes an incremental build extract the document again.
    """
    text = document_nquads(document, extraction, vocab_key=vocab_key).encode("utf-8")
    return list(ox.parse(text, format=ox.RdfFormat.N_QUADS))


def document_nquads(document: Document, extraction: Extraction, *, vocab_key: str = "") -> str:
    """The named graph of ``document`` as N-Quads text (see :func:`document_quads`)."""
    return document_graph(document, extraction, vocab_key=vocab_key)[0]


def document_graph(document: Document, extraction: Extraction, *, vocab_key: str = "") -> tuple[str, list[Support]]:
    """The named graph of ``document`` as N-Quads text, and the document's support of each relation
    (what it adds to the relations graph, see :mod:`chaingraph.rdf.relations_graph`).

    Raises
    ------
    ValueError
        For metadata the store would reject (an ``about`` that is not an IRI, a bad language tag).
    """
    writer = DocumentGraphWriter(document, vocab_key=vocab_key)
    head = writer.add(extraction)
    tail, supports = writer.finish()
    return head + tail, supports


class DocumentGraphWriter:
    """Writes the named graph of one document as N-Quads, one part of its extraction at a time.

    :meth:`add` returns the N-Quads of a part (the document's metadata with the first), its
    sentences and mentions; :meth:`finish` returns the assertions, which sum the evidence of every
    part, and the document's support of each relation. For one part the text is the one
    :func:`document_graph` gives.

    Parameters
    ----------
    document:
        The document; its metadata is checked at once.
    vocab_key:
        The key of the pipeline that read it (see :func:`document_fingerprint`).
    fingerprint_last:
        Write ``cg:fingerprint`` with the assertions, at the very end, instead of with the other
        metadata (default False). A store that receives the quads in several requests then holds
        no fingerprint for a graph it got only in part, and the next build extracts it again.

    Raises
    ------
    ValueError
        For metadata the store would reject (an ``about`` that is not an IRI, a bad language tag).

    >>> from chaingraph.corpus.document import content_id
    >>> document = Document(content_id("Welders weld."), "Welders weld.", "a.txt", "A")
    >>> writer = DocumentGraphWriter(document)
    >>> writer.add(Extraction((), (), ())).count("\\n"), writer.finish()
    (8, ('', []))
    """

    def __init__(self, document: Document, *, vocab_key: str = "", fingerprint_last: bool = False) -> None:
        self.graph = _iri(document_graph_iri(document.id))
        self.fingerprint_last = fingerprint_last
        self.doc_iri = document_iri(document.id)
        self.text = document.text
        # Metadata comes from manifests: pyoxigraph checks it (and normalises the language tag).
        self.lang = ox.Literal("", language=document.lang or "en").language
        doc = _iri(self.doc_iri)
        fingerprint = (doc, _cg("fingerprint"), _string(document_fingerprint(document, vocab_key)))
        head = [
            (doc, _TYPE, _cg("Document")),
            (doc, _iri(DCTERMS + "title"), _string(document.title, self.lang)),
            (doc, _cg("kind"), _string(document.kind)),
            (doc, _iri(DCTERMS + "language"), _string(document.lang or "en")),
            (doc, _cg("contentHash"), _string(document.id)),
        ]
        if not fingerprint_last:
            head.append(fingerprint)
        head += [
            (doc, _cg("sourcePath"), _string(document.path)),
            (doc, _iri(PROV + "wasAttributedTo"), _iri(pipeline_agent_iri())),
        ]
        if document.date:
            head.append((doc, _iri(DCTERMS + "date"), _string(document.date)))
        if document.issuer:
            head.append((doc, _iri(DCTERMS + "publisher"), _string(document.issuer)))
        if document.about:
            head.append((doc, _cg("about"), str(ox.NamedNode(document.about))))
        self._pending = self._lines(head)  # written with the first part
        self._fingerprint = self._lines([fingerprint]) if fingerprint_last else ""
        # (subject, predicate, object, basis) -> supporting sentences as (start, end, written) numbers
        # and the best score: all an assertion needs, however many parts and sentences.
        self._assertions: dict[tuple[str, str, str, str], tuple[array, list[float]]] = {}

    def _lines(self, triples) -> str:
        graph = self.graph
        return "".join(f"{s} {p} {o} {graph} .\n" for s, p, o in triples)

    def _sentence(self, start: int, end: int) -> str:
        return f"<{self.doc_iri}/s/{start}-{end}>"

    def add(self, extraction: Extraction) -> str:
        """The N-Quads of one part: its sentences holding a mention, and its mentions."""
        doc, lang, text = _iri(self.doc_iri), self.lang, self.text
        lines: list[str] = [self._pending]
        self._pending = ""
        graph = self.graph

        def add(subject, predicate, obj) -> None:
            lines.append(f"{subject} {predicate} {obj} {graph} .\n")

        sentences = set()
        for start, end in extraction.sentences:
            node = self._sentence(start, end)
            sentences.add((start, end))
            add(node, _TYPE, _cg("Sentence"))
            add(node, _cg("inDocument"), doc)
            add(node, _cg("start"), _int(start))
            add(node, _cg("end"), _int(end))
            add(node, _cg("text"), _string(text[start:end], lang))

        starts = sorted(sentences)
        for mention in extraction.mentions:
            node = f"<{self.doc_iri}/m/{mention.start}-{mention.end}>"
            add(node, _TYPE, _cg("Mention"))
            add(node, _cg("inDocument"), doc)
            sentence = _sentence_of(starts, mention.start)
            if sentence is not None:
                add(node, _cg("inSentence"), self._sentence(*sentence))
            add(node, _cg("start"), _int(mention.start))
            add(node, _cg("end"), _int(mention.end))
            add(node, _cg("text"), _string(mention.text, lang))
            if mention.concept:
                add(node, _cg("denotes"), _iri(mention.concept))
            else:  # an unlinked candidate: the span finder's phrase that no concept's label matched well
                add(node, _cg("candidateClass"), _cg(mention.cls))
            add(node, _cg("score"), _decimal(mention.score))

        assertions = self._assertions
        for relation in extraction.relations:
            key = (relation.subject, relation.predicate, relation.object, relation.basis)
            found = assertions.get(key)
            if found is None:
                found = assertions[key] = (array("q"), [relation.score])
            bounds = (relation.sentence_start, relation.sentence_end)
            found[0].extend((*bounds, bounds in sentences))
            if relation.score > found[1][0]:
                found[1][0] = relation.score
        return "".join(lines)

    def finish(self) -> tuple[str, list[Support]]:
        """The N-Quads of the assertions (one per subject, predicate, object and basis, listing every
        supporting sentence), and the document's support of each relation."""
        doc = _iri(self.doc_iri)
        lines: list[str] = [self._pending]
        self._pending = ""
        graph = self.graph

        def add(subject, predicate, obj) -> None:
            lines.append(f"{subject} {predicate} {obj} {graph} .\n")

        # Per relation triple: its assertions here, the distinct sentences they cite, their best score.
        backing: dict[tuple[str, str, str], tuple[list[str], set[str], list[float]]] = {}
        for (subject, predicate, obj, basis), (numbers, best) in sorted(self._assertions.items()):
            digest = hashlib.sha1(f"{subject} {predicate} {obj} {basis}".encode()).hexdigest()[:16]
            node = f"<{self.doc_iri}/a/{digest}>"
            s, p, o = _iri(subject), _cg(predicate), _iri(obj)
            add(s, p, o)
            add(node, _TYPE, _cg("Assertion"))
            add(node, _cg("subject"), s)
            add(node, _cg("predicate"), p)
            add(node, _cg("object"), o)
            add(node, _cg("basis"), _string(basis))
            add(node, _cg("inDocument"), doc)
            written = {}
            for index in range(0, len(numbers), 3):
                bounds = (numbers[index], numbers[index + 1])
                written[bounds] = written.get(bounds, False) or bool(numbers[index + 2])
            sentences = sorted(written)
            add(node, _cg("sentenceCount"), _int(len(sentences)))
            score = _decimal(best[0])
            add(node, _cg("score"), score)
            nodes, cited, scores = backing.setdefault((subject, CG + predicate, obj), ([], set(), []))
            nodes.append(node[1:-1])
            scores.append(float(score.split('"')[1]))  # the score as stored: rounded like the literal
            for sentence in sentences:
                if written[sentence]:  # a sentence of the graph (one holding a mention)
                    sentence_iri = self._sentence(*sentence)
                    add(node, _cg("evidence"), sentence_iri)
                    cited.add(sentence_iri)
        self._assertions = {}
        lines.append(self._fingerprint)
        supports = [
            Support(s, p, o, tuple(nodes), len(cited), max(scores))
            for (s, p, o), (nodes, cited, scores) in backing.items()
        ]
        return "".join(lines), supports


def document_fingerprint(document: Document, vocab_key: str = "") -> str:
    """The document's fingerprint with ``vocab_key``, the key of the pipeline that reads it (language,
    profile, versions; see :func:`chaingraph.invalidation.pipeline_key`): a change to either re-extracts."""
    return hashlib.sha256(f"{document.fingerprint} {PIPELINE_VERSION} {vocab_key}".encode()).hexdigest()[:32]


def _sentence_of(starts: list[tuple[int, int]], offset: int) -> tuple[int, int] | None:
    index = bisect_right(starts, (offset, float("inf"))) - 1
    if index < 0:
        return None
    start, end = starts[index]
    return (start, end) if start <= offset < end or start <= offset <= end else None
