"""One document's named graph: its metadata, sentences, mentions and relation assertions.

Everything a document contributes lives in its own named graph, so replacing or removing the
document is replacing or dropping one graph. Evidence follows PROV-O: a mention and an assertion
are ``prov:Entity`` derived (``cg:inSentence``, ``cg:evidence``) from sentences of the document.
The plain relation triple (``programme cg:teaches skill``) is asserted in the same graph, so a
query over the union of graphs sees the typed edges directly.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

import pyoxigraph as ox

from chaingraph.corpus.document import Document
from chaingraph.nlp.pipeline import PIPELINE_VERSION, Extraction
from chaingraph.rdf.namespaces import CG, CG_ID, DCTERMS, PROV, RDF, XSD, document_graph_iri, document_iri

__all__ = ["document_quads", "document_fingerprint", "pipeline_agent_iri"]

_TYPE = ox.NamedNode(RDF + "type")
_INTEGER = ox.NamedNode(XSD + "integer")
_DECIMAL = ox.NamedNode(XSD + "decimal")


def _cg(name: str) -> ox.NamedNode:
    return ox.NamedNode(CG + name)


def pipeline_agent_iri() -> str:
    """The software agent (pipeline and its version) to which extracted statements are attributed."""
    return f"{CG_ID}agent/pipeline/{PIPELINE_VERSION}"


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_INTEGER)


def _decimal(value: float) -> ox.Literal:
    return ox.Literal(f"{value:.3f}", datatype=_DECIMAL)


def document_quads(document: Document, extraction: Extraction, *, vocab_key: str = "") -> list[ox.Quad]:
    """The quads of ``document``'s named graph, built from what the pipeline found in it.

    ``vocab_key`` identifies the vocabularies the linker used; it goes into the fingerprint so
    that new vocabularies make an incremental build extract the document again.
    """
    graph = ox.NamedNode(document_graph_iri(document.id))
    doc = ox.NamedNode(document_iri(document.id))
    quads: list[ox.Quad] = []

    def add(subject, predicate, obj) -> None:
        quads.append(ox.Quad(subject, predicate, obj, graph))

    lang = document.lang or "en"
    add(doc, _TYPE, _cg("Document"))
    add(doc, ox.NamedNode(DCTERMS + "title"), ox.Literal(document.title, language=lang))
    add(doc, _cg("kind"), ox.Literal(document.kind))
    add(doc, ox.NamedNode(DCTERMS + "language"), ox.Literal(lang))
    add(doc, _cg("contentHash"), ox.Literal(document.id))
    add(doc, _cg("fingerprint"), ox.Literal(document_fingerprint(document, vocab_key)))
    add(doc, _cg("sourcePath"), ox.Literal(document.path))
    add(doc, ox.NamedNode(PROV + "wasAttributedTo"), ox.NamedNode(pipeline_agent_iri()))
    if document.date:
        add(doc, ox.NamedNode(DCTERMS + "date"), ox.Literal(document.date))
    if document.issuer:
        add(doc, ox.NamedNode(DCTERMS + "publisher"), ox.Literal(document.issuer))
    if document.about:
        add(doc, _cg("about"), ox.NamedNode(document.about))

    text = document.text
    sentence_node: dict[tuple[int, int], ox.NamedNode] = {}
    for start, end in extraction.sentences:
        node = ox.NamedNode(f"{doc.value}/s/{start}-{end}")
        sentence_node[(start, end)] = node
        add(node, _TYPE, _cg("Sentence"))
        add(node, _cg("inDocument"), doc)
        add(node, _cg("start"), _int(start))
        add(node, _cg("end"), _int(end))
        add(node, _cg("text"), ox.Literal(text[start:end], language=lang))

    starts = sorted(sentence_node)
    for mention in extraction.mentions:
        node = ox.NamedNode(f"{doc.value}/m/{mention.start}-{mention.end}")
        add(node, _TYPE, _cg("Mention"))
        add(node, _cg("inDocument"), doc)
        sentence = _sentence_of(starts, mention.start)
        if sentence is not None:
            add(node, _cg("inSentence"), sentence_node[sentence])
        add(node, _cg("start"), _int(mention.start))
        add(node, _cg("end"), _int(mention.end))
        add(node, _cg("text"), ox.Literal(mention.text, language=lang))
        add(node, _cg("denotes"), ox.NamedNode(mention.concept))
        add(node, _cg("score"), _decimal(mention.score))

    # One assertion per (subject, predicate, object, basis), listing every supporting sentence.
    assertions: dict[tuple[str, str, str, str], list] = defaultdict(list)
    for relation in extraction.relations:
        key = (relation.subject, relation.predicate, relation.object, relation.basis)
        assertions[key].append(relation)
    for (subject, predicate, obj, basis), support in sorted(assertions.items()):
        digest = hashlib.sha1(f"{subject} {predicate} {obj} {basis}".encode()).hexdigest()[:16]
        node = ox.NamedNode(f"{doc.value}/a/{digest}")
        s, p, o = ox.NamedNode(subject), _cg(predicate), ox.NamedNode(obj)
        add(s, p, o)
        add(node, _TYPE, _cg("Assertion"))
        add(node, _cg("subject"), s)
        add(node, _cg("predicate"), p)
        add(node, _cg("object"), o)
        add(node, _cg("basis"), ox.Literal(basis))
        add(node, _cg("inDocument"), doc)
        sentences = sorted({(r.sentence_start, r.sentence_end) for r in support})
        add(node, _cg("sentenceCount"), _int(len(sentences)))
        add(node, _cg("score"), _decimal(max(r.score for r in support)))
        for sentence in sentences:
            sentence_iri = sentence_node.get(sentence)
            if sentence_iri is not None:
                add(node, _cg("evidence"), sentence_iri)
    return quads


def document_fingerprint(document: Document, vocab_key: str = "") -> str:
    """The document's fingerprint with the pipeline version and vocabularies: a change to any re-extracts."""
    return hashlib.sha256(f"{document.fingerprint} {PIPELINE_VERSION} {vocab_key}".encode()).hexdigest()[:32]


def _sentence_of(starts: list[tuple[int, int]], offset: int) -> tuple[int, int] | None:
    from bisect import bisect_right

    index = bisect_right(starts, (offset, float("inf"))) - 1
    if index < 0:
        return None
    start, end = starts[index]
    return (start, end) if start <= offset < end or start <= offset <= end else None
