"""One document's named graph: its metadata, sentences, mentions and relation assertions.

Everything a document contributes lives in its own named graph, so replacing or removing the
document is replacing or dropping one graph. Evidence follows PROV-O: a mention and an assertion
are ``prov:Entity`` derived (``cg:inSentence``, ``cg:evidence``) from sentences of the document.
The plain relation triple (``programme cg:teaches skill``) is asserted in the same graph, so a
query over the union of graphs sees the typed edges directly.
"""

from __future__ import annotations

import functools
import hashlib
from collections import defaultdict

import pyoxigraph as ox

from chaingraph.corpus.document import Document
from chaingraph.nlp.pipeline import PIPELINE_VERSION, Extraction
from chaingraph.rdf.namespaces import CG, CG_ID, DCTERMS, PROV, RDF, XSD, document_graph_iri, document_iri
from chaingraph.rdf.relations_graph import Support

__all__ = ["document_quads", "document_nquads", "document_graph", "document_fingerprint", "pipeline_agent_iri"]

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
    graph = _iri(document_graph_iri(document.id))
    doc_iri = document_iri(document.id)
    doc = _iri(doc_iri)
    lines: list[str] = []

    def add(subject, predicate, obj) -> None:
        lines.append(f"{subject} {predicate} {obj} {graph} .\n")

    # Metadata comes from manifests: pyoxigraph checks it (and normalises the language tag).
    lang = ox.Literal("", language=document.lang or "en").language
    add(doc, _TYPE, _cg("Document"))
    add(doc, _iri(DCTERMS + "title"), _string(document.title, lang))
    add(doc, _cg("kind"), _string(document.kind))
    add(doc, _iri(DCTERMS + "language"), _string(document.lang or "en"))
    add(doc, _cg("contentHash"), _string(document.id))
    add(doc, _cg("fingerprint"), _string(document_fingerprint(document, vocab_key)))
    add(doc, _cg("sourcePath"), _string(document.path))
    add(doc, _iri(PROV + "wasAttributedTo"), _iri(pipeline_agent_iri()))
    if document.date:
        add(doc, _iri(DCTERMS + "date"), _string(document.date))
    if document.issuer:
        add(doc, _iri(DCTERMS + "publisher"), _string(document.issuer))
    if document.about:
        add(doc, _cg("about"), str(ox.NamedNode(document.about)))

    text = document.text
    sentence_node: dict[tuple[int, int], str] = {}
    for start, end in extraction.sentences:
        node = f"<{doc_iri}/s/{start}-{end}>"
        sentence_node[(start, end)] = node
        add(node, _TYPE, _cg("Sentence"))
        add(node, _cg("inDocument"), doc)
        add(node, _cg("start"), _int(start))
        add(node, _cg("end"), _int(end))
        add(node, _cg("text"), _string(text[start:end], lang))

    starts = sorted(sentence_node)
    for mention in extraction.mentions:
        node = f"<{doc_iri}/m/{mention.start}-{mention.end}>"
        add(node, _TYPE, _cg("Mention"))
        add(node, _cg("inDocument"), doc)
        sentence = _sentence_of(starts, mention.start)
        if sentence is not None:
            add(node, _cg("inSentence"), sentence_node[sentence])
        add(node, _cg("start"), _int(mention.start))
        add(node, _cg("end"), _int(mention.end))
        add(node, _cg("text"), _string(mention.text, lang))
        if mention.concept:
            add(node, _cg("denotes"), _iri(mention.concept))
        else:  # an unlinked candidate: the span finder's phrase that no concept's label matched well
            add(node, _cg("candidateClass"), _cg(mention.cls))
        add(node, _cg("score"), _decimal(mention.score))

    # One assertion per (subject, predicate, object, basis), listing every supporting sentence.
    assertions: dict[tuple[str, str, str, str], list] = defaultdict(list)
    # Per relation triple: its assertions here, the distinct sentences they cite, their best score.
    backing: dict[tuple[str, str, str], tuple[list[str], set[str], list[float]]] = {}
    for relation in extraction.relations:
        key = (relation.subject, relation.predicate, relation.object, relation.basis)
        assertions[key].append(relation)
    for (subject, predicate, obj, basis), support in sorted(assertions.items()):
        digest = hashlib.sha1(f"{subject} {predicate} {obj} {basis}".encode()).hexdigest()[:16]
        node = f"<{doc_iri}/a/{digest}>"
        s, p, o = _iri(subject), _cg(predicate), _iri(obj)
        add(s, p, o)
        add(node, _TYPE, _cg("Assertion"))
        add(node, _cg("subject"), s)
        add(node, _cg("predicate"), p)
        add(node, _cg("object"), o)
        add(node, _cg("basis"), _string(basis))
        add(node, _cg("inDocument"), doc)
        sentences = sorted({(r.sentence_start, r.sentence_end) for r in support})
        add(node, _cg("sentenceCount"), _int(len(sentences)))
        score = _decimal(max(r.score for r in support))
        add(node, _cg("score"), score)
        nodes, cited, scores = backing.setdefault((subject, CG + predicate, obj), ([], set(), []))
        nodes.append(node[1:-1])
        scores.append(float(score.split('"')[1]))  # the score as stored: rounded like the literal
        for sentence in sentences:
            sentence_iri = sentence_node.get(sentence)
            if sentence_iri is not None:
                add(node, _cg("evidence"), sentence_iri)
                cited.add(sentence_iri)
    supports = [
        Support(s, p, o, tuple(nodes), len(cited), max(scores)) for (s, p, o), (nodes, cited, scores) in backing.items()
    ]
    return "".join(lines), supports


def document_fingerprint(document: Document, vocab_key: str = "") -> str:
    """The document's fingerprint with ``vocab_key``, the key of the pipeline that reads it (language,
    profile, versions; see :func:`chaingraph.invalidation.pipeline_key`): a change to either re-extracts."""
    return hashlib.sha256(f"{document.fingerprint} {PIPELINE_VERSION} {vocab_key}".encode()).hexdigest()[:32]


def _sentence_of(starts: list[tuple[int, int]], offset: int) -> tuple[int, int] | None:
    from bisect import bisect_right

    index = bisect_right(starts, (offset, float("inf"))) - 1
    if index < 0:
        return None
    start, end = starts[index]
    return (start, end) if start <= offset < end or start <= offset <= end else None
