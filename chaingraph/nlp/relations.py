"""The relation stage: turns linked mentions into typed relation candidates between concepts.

Registered as the spaCy factory ``chaingraph_relations``. Three sources of evidence:

* **about**: a document about concept X (a curriculum about a programme, a standard about an
  occupation) that mentions concept Y in a sentence is evidence for the relation between X and Y
  ("programme X teaches skill Y");
* **cue**: words of the sentence say how two of its concepts (or a concept and the document's
  subject) relate: "the programme *prepares individuals to* work as welders", "welders *use*
  AutoCAD", "robots *are applied in* automotive manufacturing". The cue decides predicate and
  direction where the pair of classes allows (:mod:`chaingraph.nlp.cues`), and its relation
  replaces the co-mention of the same pair in that sentence;
* **co-mention**: two concepts mentioned in the same sentence.

A co-mention is typed by the pair of classes (:func:`relation_for`); pairs with no specific type
are ``relatedTo``. Confidence: the mention score times 1.0 (about), 0.8 (cue) or 0.5 (co-mention).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import NamedTuple

from spacy.attrs import LOWER
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from chaingraph.nlp.cues import CUE_PATTERNS, CUES, Cue, anchor_of

__all__ = [
    "RelationCandidate",
    "relation_for",
    "sentence_bounds",
    "cue_pieces",
    "RelationTyper",
    "RELATIONS_VERSION",
    "MAX_CUE_CHARS",
]

RELATIONS_VERSION = "2"

#: Cue words are read in pieces of at most this many characters of a sentence. Far above any real
#: sentence (the longest in the demo corpus, SkillSpan, USAJOBS, CIP, SOC and O*NET texts has 3,574),
#: it bounds the work on a run without sentence ends (a PDF without punctuation, a huge table row).
MAX_CUE_CHARS = 10_000

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

_BASIS_CONFIDENCE = {"about": 1.0, "cue": 0.8, "co-mention": 0.5}

# What may stand between two enumerated mentions: "SQL, Python and R", "数控加工、焊接".
_ENUMERATION = re.compile(r"\s*(?:[,，、/&;；]\s*)?(?:(?:and|or|as well as|和|及|与|以及|或)\s*)?", re.IGNORECASE)


class RelationCandidate(NamedTuple):
    """One sentence's evidence for a relation between two concepts."""

    subject: str
    predicate: str  # local name in the cg: namespace, e.g. "teaches"
    object: str
    sentence_start: int
    sentence_end: int
    basis: str  # "about", "cue" or "co-mention"
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
    """Turn the mentions of each sentence into relation candidates (about, cue and co-mention).

    Cue words are looked for only in sentences where some cue could relate two of the classes
    present, and there only around an anchor word of a cue (see :mod:`chaingraph.nlp.cues`);
    mentions with an empty concept (unlinked candidates) are left out.

    Parameters
    ----------
    max_mentions_per_sentence:
        Co-mentions are not paired in sentences with more distinct concepts than this: long
        enumerations (a list of 40 skills) say little about which pairs belong together.
        Cue relations are found in any sentence.
    cues:
        Find relations stated by cue words (default True; patterns exist for ``en`` and ``zh``).
    max_cue_chars:
        A sentence longer than this is read for cue words in pieces of at most this many
        characters (see :func:`cue_pieces`), so that no sentence costs more than its length
        times a constant (default :data:`MAX_CUE_CHARS`).
    """

    def __init__(
        self,
        nlp: Language | None = None,
        name: str = "chaingraph_relations",
        *,
        max_mentions_per_sentence: int = 12,
        cues: bool = True,
        max_cue_chars: int = MAX_CUE_CHARS,
    ) -> None:
        self.name = name
        self.max_mentions_per_sentence = max_mentions_per_sentence
        self.max_cue_chars = max_cue_chars
        # The Matcher costs more than the rest of the stage (its IN-list tests call back into Python
        # on every token), so each cue gets a Matcher of its own that only sees the few tokens
        # around an anchor: a word every match of the cue contains ("use", "培养").
        self._by_anchor: dict[int, list[tuple[str, Matcher | None, int, int]]] = {}
        patterns = CUE_PATTERNS.get(nlp.lang) if nlp is not None and cues else None
        attrs = set()
        for cue_name, cue_patterns in (patterns or {}).items():
            attr, words, before, after = anchor_of(cue_patterns)
            attrs.add(attr)
            matcher = None
            if any(len(pattern) > 1 or set(pattern[0]) - {"LOWER", "ORTH"} for pattern in cue_patterns):
                matcher = Matcher(nlp.vocab)
                matcher.add(cue_name, cue_patterns)
            for word in words:
                entry = (cue_name, matcher, before, after)
                self._by_anchor.setdefault(nlp.vocab.strings.add(word), []).append(entry)
        if len(attrs) > 1:
            raise ValueError(f"the cue patterns of language {nlp.lang!r} must all test LOWER or all ORTH")
        # The anchors are found by a PhraseMatcher of one-word patterns: it reads only the tokens
        # of the sentences asked about, and in C. A pattern's key is its word, which is also the
        # value of the attribute it matches (so an anchor written in capitals never matches LOWER).
        self._anchor_matcher = None
        if self._by_anchor:
            attr_name = "LOWER" if attrs.pop() == LOWER else "ORTH"
            self._anchor_matcher = PhraseMatcher(nlp.vocab, attr=attr_name)
            for key in self._by_anchor:
                word = nlp.vocab.strings[key]
                pattern = Doc(nlp.vocab, words=[word])
                if (pattern[0].lower if attr_name == "LOWER" else pattern[0].orth) == key:
                    self._anchor_matcher.add(word, [pattern])
        # The pairs of classes some cue of this language relates (most sentences hold none).
        self._pairs = {pair for cue_name in patterns or () for pair in CUES[cue_name].pairs}
        self._lefts_of: dict[str, set[str]] = {}  # right class -> the left classes a cue relates to it
        for left, right in self._pairs:
            self._lefts_of.setdefault(right, set()).add(left)

    def _typeable(self, mentions: list, about_cls: str | None) -> bool:
        """Whether some cue could relate two of the mentions (or the document's subject and one)."""
        seen = {about_cls} if about_cls else set()
        for mention in mentions:
            if not seen.isdisjoint(self._lefts_of.get(mention.cls, ())):
                return True
            seen.add(mention.cls)
        return False

    def _anchors_in(self, doc: Doc, s_start: int, s_end: int) -> list[tuple[int, int]]:
        """The cue anchors of one sentence, in order: their token indexes and words.

        Only the sentence is read: few sentences hold two classes a cue could relate.
        """
        sentence = doc.char_span(s_start, s_end)
        if sentence is None:  # not on token boundaries: no cue can be matched there either
            return []
        return [(start, word) for word, start, _end in self._anchor_matcher(sentence)]

    def __call__(self, doc: Doc) -> Doc:
        extensions = doc._  # made anew on every access: once is enough
        mentions = extensions.mentions or []
        # Unlinked candidates (empty concept, from the accurate profile's span finder) relate nothing.
        mentions = [m for m in mentions if m.concept]
        relations: list[RelationCandidate] = []
        if mentions:
            about, about_cls = extensions.about, extensions.about_class
            bounds = sentence_bounds(doc)
            starts = [start for start, _ in bounds]
            by_sentence: dict[tuple[int, int], dict[str, tuple[str, float]]] = {}
            in_sentence: dict[tuple[int, int], list] = {}
            for mention in mentions:
                sentence = bounds[bisect_right(starts, mention.start) - 1]
                in_sentence.setdefault(sentence, []).append(mention)
                concepts = by_sentence.setdefault(sentence, {})
                known = concepts.get(mention.concept)
                if known is None or known[1] < mention.score:
                    concepts[mention.concept] = (mention.cls, mention.score)
            seen: set[tuple] = set()

            def emit(candidate: RelationCandidate) -> None:
                if candidate[:6] not in seen:
                    seen.add(candidate[:6])
                    relations.append(candidate)

            for (s_start, s_end), concepts in by_sentence.items():
                items = sorted(concepts.items())
                if about and about_cls:
                    for iri, (cls, score) in items:
                        if iri == about:
                            continue
                        triple = relation_for(about_cls, about, cls, iri, subject_first=True)
                        emit(RelationCandidate(*triple, s_start, s_end, "about", round(score, 3)))
                cued: set[frozenset] = set()
                sentence_mentions = in_sentence[(s_start, s_end)]
                if self._by_anchor and self._typeable(sentence_mentions, about_cls):
                    for p_start, p_end, piece_mentions in cue_pieces(
                        doc, s_start, s_end, sentence_mentions, self.max_cue_chars
                    ):
                        if piece_mentions is not sentence_mentions and not self._typeable(piece_mentions, about_cls):
                            continue
                        tokens = self._anchors_in(doc, p_start, p_end)
                        if not tokens:  # no cue word: skip the matcher
                            continue
                        for candidate in self._cued(
                            doc, p_start, p_end, tokens, piece_mentions, about, about_cls, sentence=(s_start, s_end)
                        ):
                            cued.add(frozenset((candidate.subject, candidate.object)))
                            emit(candidate)
                if len(items) > self.max_mentions_per_sentence:
                    continue
                for i, (iri_a, (cls_a, score_a)) in enumerate(items):
                    for iri_b, (cls_b, score_b) in items[i + 1 :]:
                        if frozenset((iri_a, iri_b)) in cued:  # the cue said how they relate
                            continue
                        triple = relation_for(cls_a, iri_a, cls_b, iri_b)
                        score = round(min(score_a, score_b) * _BASIS_CONFIDENCE["co-mention"], 3)
                        emit(RelationCandidate(*triple, s_start, s_end, "co-mention", score))
        extensions.relations = relations
        return doc

    def _matches(self, doc: Doc, s_start: int, s_end: int, anchors: list[tuple[int, int]]):
        """Cue matches of one sentence, found by the anchors' cues in windows around them."""
        sentence = doc.char_span(s_start, s_end)
        if sentence is None:
            return
        seen: set[tuple[str, int, int]] = set()
        for i, word in anchors:
            for cue_name, matcher, before, after in self._by_anchor[word]:
                if matcher is None:  # a one-word cue: the anchor is the match
                    found = [(cue_name, i, i + 1)]
                else:
                    a = max(sentence.start, i - before)
                    window = doc[a : min(sentence.end, i + after + 1)]
                    found = [(cue_name, a + start, a + end) for _, start, end in matcher(window)]
                for match in found:
                    if match not in seen:
                        seen.add(match)
                        yield match

    def _cues_in(
        self, doc: Doc, s_start: int, s_end: int, anchors: list[tuple[int, int]], mentions: list
    ) -> list[_CueMatch]:
        """The cues of one sentence that lie outside every mention, in text order."""
        bracketed: dict[tuple[str, int], _CueMatch] = {}
        plain: list[_CueMatch] = []
        inside_mention = _MentionCover(mentions)
        for cue_name, start, end in self._matches(doc, s_start, s_end, anchors):
            cue = CUES[cue_name]
            first, last = doc[start], doc[end - 1]
            start_char, end_char = first.idx, last.idx + len(last)
            if inside_mention(start_char, first.idx + len(first)) or inside_mention(last.idx, end_char):
                continue  # "use CAD software" is an ESCO skill, not a cue
            if cue.not_after and start > 0 and doc[start - 1].lower_ in cue.not_after:
                continue
            if cue.bracket:
                # Left side between the outer words; the shortest reach wins ("use X in Y in Z").
                found = _CueMatch(cue, start_char, end_char, first.idx + len(first), last.idx)
                key = (cue.name, start)
                if key not in bracketed or bracketed[key].end > found.end:
                    bracketed[key] = found
            else:
                plain.append(_CueMatch(cue, start_char, end_char, s_start, start_char))
        # Of overlapping plain cues the longest wins: "required for" over "required".
        plain.sort(key=lambda c: (c.start, -c.end))
        kept: list[_CueMatch] = []
        for found in plain:
            if kept and found.start < kept[-1].end:
                continue
            kept.append(found)
        return sorted(kept + list(bracketed.values()), key=lambda c: (c.end, c.start))

    def _cued(
        self,
        doc: Doc,
        s_start: int,
        s_end: int,
        anchors: list[tuple[int, int]],
        mentions: list,
        about,
        about_cls,
        *,
        sentence: tuple[int, int] | None = None,
    ) -> list[RelationCandidate]:
        """Relations stated by cue words in one sentence, or a piece of one (see :mod:`chaingraph.nlp.cues`).

        Each mention right of a cue is related to the nearest mention left of it whose classes the
        cue's table types (or to the document's subject, for cues that allow it); when several
        cues precede a mention, the nearest one that can type it decides. A mention that could
        itself be the left side, standing between the cue and the mention, ends the cue's reach:
        in "welders use AutoCAD, electricians Python", Python is not the welders'.

        ``s_start, s_end`` bound the text read (a piece of the sentence ``sentence``, by default
        the whole of it). Only the cues that can type a mention's class are tried for it, the
        nearest subject standing before a mention is looked up rather than searched for, and a
        cue's left side is worked out once per class: the work grows with the cues and mentions,
        not with their product.
        """
        cues = self._cues_in(doc, s_start, s_end, anchors, mentions)
        if not cues:
            return []
        sentence_start, sentence_end = sentence or (s_start, s_end)
        cue_ends = [cue_match.end for cue_match in cues]
        latest = _LatestByClass(mentions)
        relevant: dict[str, list[int]] = {}  # right class -> indexes of the cues that can type it
        left_sides: dict[tuple[int, str], list] = {}
        found: list[RelationCandidate] = []
        for right in mentions:
            usable = relevant.get(right.cls)
            if usable is None:
                usable = relevant[right.cls] = [
                    k for k, c in enumerate(cues) if any(r == right.cls for _, r in c.cue.pairs)
                ]
            # Cues ending after the mention starts are not before it (cues are sorted by end).
            before = bisect_right(cue_ends, right.start)
            for k in reversed(usable[: bisect_right(usable, before - 1)]):
                cue_match = cues[k]
                cue = cue_match.cue
                if latest.any_between(cue.pairs, right.cls, cue_match.end, right.start):
                    continue  # another subject stands between the cue and this mention
                lefts = left_sides.get((k, right.cls))
                if lefts is None:
                    lefts = left_sides[(k, right.cls)] = _left_side(doc, mentions, cue_match, right.cls)
                if not lefts and cue.about_left and about and (about_cls, right.cls) in cue.pairs:
                    lefts = [(about, about_cls, 1.0)]
                if not lefts:
                    continue
                for iri, cls, score in lefts:
                    if iri == right.concept:
                        continue
                    predicate, left_is_subject = cue.pairs[(cls, right.cls)]
                    subject, obj = (iri, right.concept) if left_is_subject else (right.concept, iri)
                    confidence = round(min(score, right.score) * _BASIS_CONFIDENCE["cue"], 3)
                    found.append(
                        RelationCandidate(subject, predicate, obj, sentence_start, sentence_end, "cue", confidence)
                    )
                break
        return found


class _CueMatch(NamedTuple):
    cue: Cue
    start: int  # character offsets of the cue words
    end: int
    left_start: int  # where the cue's left side lies: before it, or inside a bracket cue
    left_end: int


def _text(doc: Doc, start: int, end: int) -> str:
    # Not doc.text[start:end]: doc.text is built anew from all the tokens on every access.
    span = doc.char_span(start, end) if start < end else None
    return span.text_with_ws if span is not None else ""


class _LatestByClass:
    """Where the mentions of each class lie, to ask "is there one of these classes between two
    offsets?" in a few steps. ``mentions`` in text order, as the linker leaves them."""

    def __init__(self, mentions: list) -> None:
        by_class: dict[str, list[tuple[int, int]]] = {}
        for mention in mentions:
            by_class.setdefault(mention.cls, []).append((mention.end, mention.start))
        self._ends: dict[str, list[int]] = {}
        self._latest_start: dict[str, list[int]] = {}  # the latest start among the mentions ending so far
        for cls, spans in by_class.items():
            spans.sort()
            self._ends[cls] = [end for end, _ in spans]
            latest, starts = -1, []
            for _, start in spans:
                latest = max(latest, start)
                starts.append(latest)
            self._latest_start[cls] = starts
        self._lefts: dict[tuple[int, str], tuple[str, ...]] = {}

    def any_between(self, pairs: dict, right_cls: str, start: int, end: int) -> bool:
        """Whether a mention whose class ``pairs`` relates to ``right_cls`` lies within ``[start, end]``."""
        lefts = self._lefts.get((id(pairs), right_cls))
        if lefts is None:
            lefts = self._lefts[(id(pairs), right_cls)] = tuple(cls for cls in self._ends if (cls, right_cls) in pairs)
        for cls in lefts:
            index = bisect_right(self._ends[cls], end) - 1
            if index >= 0 and self._latest_start[cls][index] >= start:
                return True
        return False


def cue_pieces(doc: Doc, start: int, end: int, mentions: list, limit: int = MAX_CUE_CHARS) -> list[tuple]:
    """The pieces of a sentence read for cue words: ``(start, end, mentions in the piece)``.

    A sentence of at most ``limit`` characters is one piece (with ``mentions`` itself); a longer
    one is cut, from its start, where a token follows whitespace outside every mention, as far on
    as ``limit`` allows (in text without spaces, between any two tokens outside a mention).

    >>> from spacy.lang.en import English
    >>> doc = English()("SQL and R " * 3)
    >>> [(a, b) for a, b, _ in cue_pieces(doc, 0, 29, [], limit=12)]
    [(0, 9), (10, 19), (20, 29)]
    """
    if end - start <= limit:
        return [(start, end, mentions)]
    sentence = doc.char_span(start, end, alignment_mode="expand")
    if sentence is None:
        return [(start, end, mentions)]
    cuts, spaced = [], []  # token starts outside every mention; those after whitespace
    ends_before: dict[int, int] = {}  # cut -> where the token before it ends (a piece ends there)
    reach, m = -1, 0  # the furthest end of the mentions starting before the token
    for token in sentence:
        position = token.idx
        while m < len(mentions) and mentions[m].start < position:
            reach = max(reach, mentions[m].end)
            m += 1
        if position <= start or position < reach:
            continue
        previous = doc[token.i - 1]
        cuts.append(position)
        ends_before[position] = previous.idx + len(previous)
        if previous.whitespace_:
            spaced.append(position)
    pieces, starts = [], [mention.start for mention in mentions]
    position = start
    while end - position > limit:
        cut = _last_at_most(spaced, position, position + limit) or _last_at_most(cuts, position, position + limit)
        if cut is None:  # no place to cut within the limit: at the next one
            index = bisect_right(cuts, position)
            if index == len(cuts):
                break
            cut = cuts[index]
        pieces.append((position, ends_before[cut]))
        position = cut
    pieces.append((position, end))
    return [(a, b, mentions[bisect_left(starts, a) : bisect_left(starts, b)]) for a, b in pieces]


def _last_at_most(positions: list[int], after: int, limit: int) -> int | None:
    """The last of the sorted ``positions`` above ``after`` and at most ``limit``, or None."""
    index = bisect_right(positions, limit) - 1
    return positions[index] if index >= 0 and positions[index] > after else None


class _MentionCover:
    """Whether some mention overlaps ``[start, end)``, in a few steps: ``mentions`` in text order."""

    def __init__(self, mentions: list) -> None:
        self._starts = [m.start for m in mentions]
        self._furthest = []  # the furthest end among the mentions so far
        furthest = -1
        for mention in mentions:
            furthest = max(furthest, mention.end)
            self._furthest.append(furthest)

    def __call__(self, start: int, end: int) -> bool:
        index = bisect_left(self._starts, end) - 1  # the mentions starting before ``end``
        return index >= 0 and self._furthest[index] > start


def _left_side(doc: Doc, mentions: list, cue_match: _CueMatch, right_cls: str) -> list[tuple[str, str, float]]:
    """The nearest mention left of the cue that the cue relates to ``right_cls``, with the mentions
    enumerated together with it ("SQL, Python and R are used in ...")."""
    pairs = cue_match.cue.pairs
    side = [m for m in mentions if cue_match.left_start <= m.start and m.end <= cue_match.left_end]
    for k in range(len(side) - 1, -1, -1):
        if (side[k].cls, right_cls) not in pairs:
            continue
        chosen = [side[k]]
        while (
            k > 0
            and (side[k - 1].cls, right_cls) in pairs
            and _ENUMERATION.fullmatch(_text(doc, side[k - 1].end, side[k].start))
        ):
            k -= 1
            chosen.append(side[k])
        return [(m.concept, m.cls, m.score) for m in chosen]
    return []


@Language.factory("chaingraph_relations", default_config={"max_mentions_per_sentence": 12, "cues": True})
def make_relation_typer(nlp: Language, name: str, max_mentions_per_sentence: int, cues: bool) -> RelationTyper:
    """Create the relation stage (see :class:`RelationTyper`)."""
    return RelationTyper(nlp, name, max_mentions_per_sentence=max_mentions_per_sentence, cues=cues)
