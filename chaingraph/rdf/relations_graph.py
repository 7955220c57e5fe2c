"""The corpus-wide relations graph: each relation with its evidence summed over all documents.

Per document, an assertion (``cg:Assertion``) says which sentences of that document support
``subject predicate object``. This graph sums them up: one ``cg:Relation`` per triple with its
sentence count, document count and a weight, linked to the assertions behind it.

Weight
------
``weight = documentCount + log2(1 + sentenceCount)``: each independent document counts fully;
further sentences add less and less, so one long text repeating a pair cannot outweigh several
documents that each state it once.

Confidence
----------
``score`` is the highest score of the relation's assertions: the linker's confidence in the
mentions times that of the evidence (1.0 when the document is about the subject, 0.8 when cue words
of a sentence state the relation, 0.5 for a bare co-mention; see :mod:`chaingraph.nlp.relations`).
It does not enter the weight: a query can keep the relations some sentence states outright.

Keeping it up to date
---------------------
Every count is a sum over documents, so a build never reads all assertions again. Extracting a
document also gives its :class:`Support` of each relation (assertions, distinct sentences, best
score); :class:`RelationChanges` adds the support of the documents a build loads and subtracts
that of the documents it drops (read from their graphs only, :func:`stored_support`), and
:func:`write_relations` applies the difference to the stored rows of the relations it touches.
Only a relation that lost its best-scored assertion reads the scores of its remaining evidence.
:data:`AGGREGATE_QUERY` (:func:`relations_nquads`) computes the same graph from every assertion
in the store: the reference, and what a store that is not changed in one transaction uses.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

import pyoxigraph as ox

from chaingraph.rdf.namespaces import CG, CG_GRAPH, CG_ID, RDF, XSD
from chaingraph.rdf.terms import parse_iri, term_text

__all__ = [
    "RELATIONS_GRAPH",
    "AGGREGATE_QUERY",
    "Support",
    "RelationChanges",
    "relation_iri",
    "relation_weight",
    "relations_nquads",
    "relations_quads",
    "rewrite_relations",
    "stored_support",
    "remove_evidence",
    "write_relations",
]

RELATIONS_GRAPH = CG_GRAPH + "relations"

AGGREGATE_QUERY = f"""
PREFIX cg: <{CG}>
SELECT ?s ?p ?o (COUNT(DISTINCT ?sentence) AS ?sentences) (COUNT(DISTINCT ?doc) AS ?docs)
       (GROUP_CONCAT(DISTINCT STR(?a); separator=" ") AS ?assertions) (MAX(?score) AS ?confidence)
WHERE {{
  GRAPH ?g {{
    ?a a cg:Assertion ; cg:subject ?s ; cg:predicate ?p ; cg:object ?o ; cg:inDocument ?doc .
    OPTIONAL {{ ?a cg:evidence ?sentence }}
    OPTIONAL {{ ?a cg:score ?score }}
  }}
}}
GROUP BY ?s ?p ?o
"""

_GRAPH = f"<{RELATIONS_GRAPH}>"
_EVIDENCE = f"<{CG}evidence>"
_INTEGER = f"^^<{XSD}integer>"
_DECIMAL = f"^^<{XSD}decimal>"
_COUNTS = ("sentenceCount", "documentCount", "weight", "score")  # what a change of support rewrites
_IDENTITY = (f"<{RDF}type>", f"<{CG}subject>", f"<{CG}predicate>", f"<{CG}object>")


class Support(NamedTuple):
    """One document's support for ``subject predicate object``: its assertions of that triple.

    Terms are full IRIs. ``sentences`` counts the distinct sentences the assertions cite as
    evidence; ``score`` is the highest of their scores (None when none has one).
    """

    subject: str
    predicate: str
    object: str
    assertions: tuple[str, ...]
    sentences: int
    score: float | None


def relation_iri(subject: str, predicate: str, obj: str) -> str:
    """The IRI of the relation ``subject predicate object`` (the same in every build)."""
    digest = hashlib.sha1(f"{subject} {predicate} {obj}".encode()).hexdigest()[:20]
    return f"{CG_ID}relation/{digest}"


def relation_weight(sentence_count: int, document_count: int) -> float:
    """Evidence weight of a relation (see the module docstring).

    >>> relation_weight(1, 1), relation_weight(3, 1), relation_weight(2, 2)
    (2.0, 3.0, 3.585)
    """
    return round(document_count + math.log2(1 + sentence_count), 3)


def _higher(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    return a if b is None or a >= b else b


def _identity_nquads(iri: str, triple: tuple[str, str, str]) -> str:
    """What a relation is: its type, subject, predicate and object."""
    node = f"<{iri}>"
    s, p, o = triple
    return (
        f"{node} {_IDENTITY[0]} <{CG}Relation> {_GRAPH} .\n"
        f"{node} {_IDENTITY[1]} <{s}> {_GRAPH} .\n"
        f"{node} {_IDENTITY[2]} <{p}> {_GRAPH} .\n"
        f"{node} {_IDENTITY[3]} <{o}> {_GRAPH} .\n"
    )


def _counts_nquads(iri: str, sentences: int, documents: int, score: float | None) -> str:
    """What the evidence of a relation adds up to: its counts, weight and score."""
    node = f"<{iri}>"
    weight = f'"{relation_weight(sentences, documents):.3f}"{_DECIMAL}'
    lines = [
        f'{node} <{CG}sentenceCount> "{sentences}"{_INTEGER} {_GRAPH} .\n',
        f'{node} <{CG}documentCount> "{documents}"{_INTEGER} {_GRAPH} .\n',
        f"{node} <{CG}weight> {weight} {_GRAPH} .\n",
    ]
    if score is not None:
        lines.append(f'{node} <{CG}score> "{score:.3f}"{_DECIMAL} {_GRAPH} .\n')
    return "".join(lines)


# ---------------------------------------------------------------------- from every assertion


def relations_nquads(db) -> Iterator[str]:
    """The relations graph as N-Quads text (one relation a string), from every assertion in ``db``."""
    for row in db.query(AGGREGATE_QUERY):
        triple = (row["s"].value, row["p"].value, row["o"].value)
        sentences, docs = int(row["sentences"].value), int(row["docs"].value)
        confidence = row["confidence"]
        score = float(confidence.value) if confidence is not None else None
        iri = relation_iri(*triple)
        evidence = "".join(f"<{iri}> {_EVIDENCE} <{a}> {_GRAPH} .\n" for a in row["assertions"].value.split())
        yield _identity_nquads(iri, triple) + _counts_nquads(iri, sentences, docs, score) + evidence


def relations_quads(db: ox.Store) -> list[ox.Quad]:
    """The quads of the relations graph, computed from the assertions now in ``db`` (the reference)."""
    text = "".join(relations_nquads(db)).encode("utf-8")
    return list(ox.parse(text, format=ox.RdfFormat.N_QUADS))


def rewrite_relations(db) -> None:
    """Replace the relations graph by the one computed from every assertion in ``db``."""
    graph = ox.NamedNode(RELATIONS_GRAPH)
    if db.contains_named_graph(graph):
        db.remove_graph(graph)
    _load(db, relations_nquads(db))


def _load(db, texts: Iterable[str]) -> None:
    if hasattr(db, "load_nquads_chunks"):  # a remote store: bounded requests
        db.load_nquads_chunks(_chunks(texts, 8 << 20))
        return
    for chunk in _chunks(texts, 64 << 20):
        # The bulk loader writes new files: worth it for many quads, not for the few of an update.
        if len(chunk) < 2 << 20:
            db.load(chunk, format=ox.RdfFormat.N_QUADS)
        else:
            db.bulk_load(chunk, format=ox.RdfFormat.N_QUADS)


def _chunks(texts: Iterable[str], size: int) -> Iterator[bytes]:
    buffer: list[str] = []
    length = 0
    for text in texts:
        buffer.append(text)
        length += len(text)
        if length >= size:
            yield "".join(buffer).encode("utf-8")
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


# ---------------------------------------------------------------------- from what changes


@dataclass(slots=True)
class _Change:
    iri: str
    identified: bool = False  # its identity quads went out with the evidence
    sentences: int = 0
    documents: int = 0
    added_score: float | None = None  # best score among the support added
    removed_score: float | None = None  # best score among the support removed


class RelationChanges:
    """The support a build adds (documents it loads) and removes (documents it drops), per relation."""

    def __init__(self) -> None:
        self._changes: dict[tuple[str, str, str], _Change] = {}

    def __len__(self) -> int:
        return len(self._changes)

    def _change(self, support: Support) -> _Change:
        triple = (support.subject, support.predicate, support.object)
        change = self._changes.get(triple)
        if change is None:
            change = self._changes[triple] = _Change(relation_iri(*triple))
        return change

    def add(self, supports: Iterable[Support]) -> str:
        """Count the support of documents being loaded; returns their evidence links as N-Quads, with
        the identity of each relation met for the first time (stored already, it is written again:
        a store holds a quad once)."""
        lines = []
        for support in supports:
            change = self._change(support)
            if not change.identified:
                lines.append(_identity_nquads(change.iri, (support.subject, support.predicate, support.object)))
                change.identified = True
            change.sentences += support.sentences
            change.documents += 1
            change.added_score = _higher(change.added_score, support.score)
            node = f"<{change.iri}>"
            lines += [f"{node} {_EVIDENCE} <{assertion}> {_GRAPH} .\n" for assertion in support.assertions]
        return "".join(lines)

    def remove(self, supports: Iterable[Support]) -> None:
        """Subtract the support of documents being dropped (see :func:`stored_support`)."""
        for support in supports:
            change = self._change(support)
            change.sentences -= support.sentences
            change.documents -= 1
            change.removed_score = _higher(change.removed_score, support.score)

    def items(self) -> Iterator[tuple[tuple[str, str, str], _Change]]:
        return iter(self._changes.items())


def stored_support(db: ox.Store, graphs: list[str]) -> list[Support]:
    """The support of the documents whose graphs are ``graphs``, read from those graphs only."""
    supports = []
    for graph in graphs:  # one query per graph: with the graph named, the store reads that graph only
        rows = db.query(
            f"""PREFIX cg: <{CG}> SELECT ?s ?p ?o ?a ?score ?sentence WHERE {{ GRAPH {term_text(parse_iri(graph))} {{
              ?a a cg:Assertion ; cg:subject ?s ; cg:predicate ?p ; cg:object ?o ; cg:inDocument ?doc .
              OPTIONAL {{ ?a cg:evidence ?sentence }} OPTIONAL {{ ?a cg:score ?score }} }} }}"""
        )
        found: dict[tuple[str, str, str], tuple[set, set, list]] = {}
        for row in rows:
            assertions, sentences, best = found.setdefault(
                (row["s"].value, row["p"].value, row["o"].value), (set(), set(), [None])
            )
            assertions.add(row["a"].value)
            if row["sentence"] is not None:
                sentences.add(row["sentence"].value)
            if row["score"] is not None:
                best[0] = _higher(best[0], float(row["score"].value))
        for (s, p, o), (assertions, sentences, best) in found.items():
            supports.append(Support(s, p, o, tuple(sorted(assertions)), len(sentences), best[0]))
    return supports


def remove_evidence(db: ox.Store, supports: Iterable[Support]) -> None:
    """Remove the evidence links of ``supports`` from the relations graph (before their documents go)."""
    # Every IRI here was read from the store; each is checked again and written by pyoxigraph.
    links = []
    for s in supports:
        relation = term_text(parse_iri(relation_iri(s.subject, s.predicate, s.object)))
        links += [f"{relation} {_EVIDENCE} {term_text(parse_iri(a))} ." for a in s.assertions]
    for start in range(0, len(links), 5000):
        db.update(f"DELETE DATA {{ GRAPH {_GRAPH} {{ {' '.join(links[start : start + 5000])} }} }}")


class _OutOfStep(Exception):
    """The stored relations do not match the documents' support (a store changed by other means)."""


def write_relations(db: ox.Store, changes: RelationChanges, *, fresh: bool) -> None:
    """Write the relations ``changes`` touches, once their documents' graphs and evidence are in ``db``.

    ``fresh``: the relations graph held nothing before this build (every stored document was
    dropped); else the stored rows are updated. Stored rows that do not add up (a store changed
    by other means) are recomputed from every assertion instead.
    """
    if fresh:
        _load(db, (_counts_nquads(c.iri, c.sentences, c.documents, c.added_score) for _, c in changes.items()))
        return
    try:
        _update(db, changes)
    except _OutOfStep:
        rewrite_relations(db)


def _update(db: ox.Store, changes: RelationChanges) -> None:
    """Apply ``changes`` to the stored rows of the relations they touch (index lookups, no scan)."""
    graph = ox.NamedNode(RELATIONS_GRAPH)
    counts = [ox.NamedNode(CG + name) for name in _COUNTS]
    identity = [ox.NamedNode(term[1:-1]) for term in _IDENTITY]
    rows = []
    stale: list[ox.Quad] = []  # stored quads to remove
    for _, change in changes.items():
        node = ox.NamedNode(change.iri)
        old = {p.value.removeprefix(CG): list(db.quads_for_pattern(node, p, None, graph)) for p in counts}
        stale += (q for quads in old.values() for q in quads)
        if any(len(quads) > 1 for quads in old.values()):
            raise _OutOfStep(change.iri)
        sentences = change.sentences + sum(int(q.object.value) for q in old["sentenceCount"])
        documents = change.documents + sum(int(q.object.value) for q in old["documentCount"])
        old_score = float(old["score"][0].object.value) if old["score"] else None
        if documents < 0 or sentences < 0 or (documents == 0 and sentences != 0):
            raise _OutOfStep(change.iri)
        if documents == 0:  # no document supports it any more
            stale += (q for p in identity for q in db.quads_for_pattern(node, p, None, graph))
            continue
        score = _higher(old_score, change.added_score)
        # The best-scored assertion may have left and nothing added matches it: read the evidence left.
        lost_best = change.removed_score is not None and (old_score is None or change.removed_score >= old_score)
        matched = old_score is not None and change.added_score is not None and change.added_score >= old_score
        if lost_best and not matched:
            score = _best_score(db, node, graph)
        rows.append((change.iri, sentences, documents, score))
    for quad in stale:
        db.remove(quad)
    _load(db, (_counts_nquads(*row) for row in rows))


def _best_score(db: ox.Store, node: ox.NamedNode, graph: ox.NamedNode) -> float | None:
    """The highest score among the assertions ``node`` now links to as evidence."""
    score = ox.NamedNode(CG + "score")
    best = None
    for link in db.quads_for_pattern(node, ox.NamedNode(CG + "evidence"), None, graph):
        for quad in db.quads_for_pattern(link.object, score, None, None):
            best = _higher(best, float(quad.object.value))
    return best
