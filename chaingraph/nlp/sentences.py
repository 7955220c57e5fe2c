"""Sentence boundaries at sentence-final punctuation and at blank lines, computed on arrays.

Registered as the spaCy factory ``chaingraph_sentences``. It follows the rule of spaCy's
``sentencizer`` (a sentence ends after a run of sentence-final punctuation) and also ends a
sentence at a blank line, because the paragraphs of laws, standards and curricula often lack a
final full stop. It works on the token arrays rather than on ``Token`` objects: creating a Python
object per token cost more than the rest of the pipeline together. The boundaries are set as
``SENT_START`` (so ``doc.sents`` works as usual) and kept as character offsets in
``doc._.sentence_bounds`` for the later stages.
"""

from __future__ import annotations

import numpy as np
from spacy.attrs import IDX, IS_SPACE, ORTH, SENT_START
from spacy.language import Language
from spacy.pipeline.sentencizer import Sentencizer
from spacy.tokens import Doc

__all__ = ["SentenceSplitter", "DEFAULT_PUNCT"]

#: Sentence-final punctuation: spaCy's list (many scripts) plus the Chinese semicolon.
DEFAULT_PUNCT = sorted(set(Sentencizer.default_punct_chars) | {"；"})

if not Doc.has_extension("sentence_bounds"):
    Doc.set_extension("sentence_bounds", default=None)


class SentenceSplitter:
    """Split a ``Doc`` into sentences (see the module docstring).

    Parameters
    ----------
    punct_chars:
        Tokens that end a sentence.
    """

    def __init__(self, nlp: Language, name: str = "chaingraph_sentences", *, punct_chars: list[str] | None = None):
        self.name = name
        self.strings = nlp.vocab.strings
        self._breaks: dict[int, bool] = {}
        self._lengths: dict[int, int] = {}  # word -> its length in characters
        self.punct = np.array(sorted({self.strings.add(p) for p in (punct_chars or DEFAULT_PUNCT)}), dtype=np.uint64)

    def _length(self, orth: int) -> int:
        known = self._lengths.get(orth)
        if known is None:
            known = self._lengths[orth] = len(self.strings[orth])
        return known

    def _is_paragraph_break(self, orth: int) -> bool:
        known = self._breaks.get(orth)
        if known is None:
            known = self._breaks[orth] = self.strings[orth].count("\n") >= 2
        return known

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if n == 0:
            doc._.sentence_bounds = np.zeros((0, 2), dtype=np.int64)
            return doc
        # Each column costs a call into spaCy per token, so only these three; lengths are looked
        # up for the few tokens that end a sentence.
        arr = doc.to_array([ORTH, IS_SPACE, IDX])
        orth, space = arr[:, 0], arr[:, 1].astype(bool)
        # Membership in the small sorted punctuation array, without np.isin's sort of the doc.
        at = np.minimum(np.searchsorted(self.punct, orth), len(self.punct) - 1)
        ends = self.punct[at] == orth
        blanks = np.flatnonzero(space)
        if len(blanks):
            # Whitespace tokens are few (about one a line) and repeat ("\n\n"): ask each distinct one.
            blank_words = orth[blanks]
            for value in set(blank_words.tolist()):
                if self._is_paragraph_break(value):
                    ends[blanks[blank_words == value]] = True
        # A token starts a sentence when it follows a sentence end and is not one itself.
        starts = np.zeros(n, dtype=bool)
        starts[0] = True
        starts[1:] = ends[:-1] & ~ends[1:]
        sent_start = np.where(starts, 1, -1).astype(np.uint64).reshape(-1, 1)
        doc.from_array([SENT_START], sent_start)
        first = np.flatnonzero(starts)
        last = np.append(first[1:], n) - 1
        if len(blanks):
            # Trim whitespace tokens at either end so offsets cover the text only: each sentence
            # runs from its first to its last non-space token, and one of spaces only is dropped.
            at = np.arange(n)
            next_word = np.minimum.accumulate(np.where(space, n, at)[::-1])[::-1]
            last_word = np.maximum.accumulate(np.where(space, -1, at))
            first = next_word[first]
            keep = first <= last
            first, last = first[keep], last_word[last[keep]]
        idx = arr[:, 2]
        length = self._length
        ends_at = [i + length(word) for i, word in zip(idx[last].tolist(), orth[last].tolist(), strict=True)]
        bounds = list(zip(idx[first].tolist(), ends_at, strict=True))
        doc._.sentence_bounds = bounds
        return doc


@Language.factory("chaingraph_sentences", default_config={"punct_chars": None})
def make_sentence_splitter(nlp: Language, name: str, punct_chars: list[str] | None) -> SentenceSplitter:
    """Create the sentence splitter (see :class:`SentenceSplitter`)."""
    return SentenceSplitter(nlp, name, punct_chars=punct_chars)
