"""The relation stage: turns linked mentions into typed relation candidates between concepts.

Registered as the spaCy factory ``chaingraph_relations``. Two sources of evidence:

* **about**: a document about concept X (a curriculum about a programme, a standard about an
  occupation) that mentions concept Y in a sentence is evidence for the relation between X and Y
  ("programme X teaches skill Y");
* **co-mention**: two concepts mentioned in the same sentence.

The relation is typed by the pair of classes (:func:`relation_for`); pairs with no specific type
are ``relatedTo``.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import NamedTuple

from spacy.language import Language
from spacy.tokens import Doc

__all__ = ["RelationCandidate", "relation_for", "sentence_bounds", "RelationTyper", "RELATIONS_VERSION"]

RELATIONS_VERSION = "1"

_EDUCATION = ("Programme", "Course")
# (subject class, object class) -> predicate local name.
_TYPED: dict[tuple[str, str], str] = {}
for _edu in _EDUCATION:
    _TYPED[(_edu, "Skill")] = "teaches"
    _TYPED[(_edu, "Occupation")] = "preparesFor"
    _TYPED[(_edu, "Technology")] = "covers"
_TYPED[("Occupation", "Skill")] = "requires"
_TYPED[("Industry", "Skill")] = "requires"
_TYPED[("Occupation", "Industry")] = "employedIn"
_TYPED[("Occupation", "Technology")] = "uses"
_TYPED[("Technology", "Industry")] = "drives"

_BASIS_CONFIDENCE = {"about": 1.0, "co-mention": 0.5}


class RelationCandidate(NamedTuple):
    """One sentence's evidence for a relation between two concepts."""

    subject: str
    predicate: str  # local name in the cg: namespace, e.g. "teaches"
    object: str
    sentence_start: int
    sentence_end: int
    basis: str  # "about" or "co-mention"
    score: float


def relation_for(
    cls_a: str, iri_a: str, cls_b: str, iri_b: str, *, subject_first: bool = False
) -> tuple[str, str, str]:
    """The typed relation between two concepts: ``(subject, predicate, object)``.

    The direction follows the type (a programme teaches a skill, whichever is named first).
    ``relatedTo`` is symmetric, so its two ends are put in a fixed order; with
    ``subject_first`` (an about-relation) an industry document's technologies are ``uses``.

    >>> relation_for("Skill", "s", "Programme", "p")
    ('p', 'teaches', 's')
    >>> relation_for("Skill", "b", "Skill", "a")
    ('a', 'relatedTo', 'b')
    """
    if subject_first and (cls_a, cls_b) == ("Industry", "Technology"):
        return iri_a, "uses", iri_b
    predicate = _TYPED.get((cls_a, cls_b))
    if predicate:
        return iri_a, predicate, iri_b
    predicate = _TYPED.get((cls_b, cls_a))
    if predicate:
        return iri_b, predicate, iri_a
    return (iri_a, "relatedTo", iri_b) if iri_a <= iri_b else (iri_b, "relatedTo", iri_a)


def sentence_bounds(doc: Doc) -> list[tuple[int, int]]:
    """Character offsets ``(start, end)`` of each sentence, surrounding whitespace excluded."""
    known = doc._.sentence_bounds if Doc.has_extension("sentence_bounds") else None
    if known is not None:
        return known
    bounds = []
    text = doc.text
    for sent in doc.sents:
        start, end = sent.start_char, sent.end_char
        while end > start and text[end - 1].isspace():
            end -= 1
        while start < end and text[start].isspace():
            start += 1
        bounds.append((start, end))
    return bounds


if not Doc.has_extension("relations"):
    Doc.set_extension("relations", default=None)
if not Doc.has_extension("about_class"):
    Doc.set_extension("about_class", default=None)


class RelationTyper:
    """Turn the mentions of each sentence into relation candidates.

    Parameters
    ----------
    max_mentions_per_sentence:
        Co-mentions are not paired in sentences with more distinct concepts than this: long
        enumerations (a list of 40 skills) say little about which pairs belong together.
    """

    def __init__(self, name: str = "chaingraph_relations", *, max_mentions_per_sentence: int = 12) -> None:
        self.name = name
        self.max_mentions_per_sentence = max_mentions_per_sentence

    def __call__(self, doc: Doc) -> Doc:
        mentions = doc._.mentions or []
        relations: list[RelationCandidate] = []
        if mentions:
            about, about_cls = doc._.about, doc._.about_class
            bounds = sentence_bounds(doc)
            starts = [start for start, _ in bounds]
            by_sentence: dict[tuple[int, int], dict[str, tuple[str, float]]] = {}
            for mention in mentions:
                sentence = bounds[bisect_right(starts, mention.start) - 1]
                concepts = by_sentence.setdefault(sentence, {})
                known = concepts.get(mention.concept)
                if known is None or known[1] < mention.score:
                    concepts[mention.concept] = (mention.cls, mention.score)
            seen: set[tuple] = set()
            for (s_start, s_end), concepts in by_sentence.items():
                items = sorted(concepts.items())
                if about and about_cls:
                    for iri, (cls, score) in items:
                        if iri == about:
                            continue
                        triple = relation_for(about_cls, about, cls, iri, subject_first=True)
                        candidate = RelationCandidate(*triple, s_start, s_end, "about", round(score, 3))
                        if candidate[:6] not in seen:
                            seen.add(candidate[:6])
                            relations.append(candidate)
                if len(items) > self.max_mentions_per_sentence:
                    continue
                for i, (iri_a, (cls_a, score_a)) in enumerate(items):
                    for iri_b, (cls_b, score_b) in items[i + 1 :]:
                        triple = relation_for(cls_a, iri_a, cls_b, iri_b)
                        score = round(min(score_a, score_b) * _BASIS_CONFIDENCE["co-mention"], 3)
                        candidate = RelationCandidate(*triple, s_start, s_end, "co-mention", score)
                        if candidate[:6] not in seen:
                            seen.add(candidate[:6])
                            relations.append(candidate)
        doc._.relations = relations
        return doc


@Language.factory("chaingraph_relations", default_config={"max_mentions_per_sentence": 12})
def make_relation_typer(nlp: Language, name: str, max_mentions_per_sentence: int) -> RelationTyper:
    """Create the relation stage (see :class:`RelationTyper`)."""
    return RelationTyper(name, max_mentions_per_sentence=max_mentions_per_sentence)
