"""Sentence boundaries at sentence-final punctuation and at blank lines, computed on arrays.

Registered as the spaCy factory ``chaingraph_sentences``. It follows the rule of spaCy's
``sentencizer`` (a sentence ends after a run of sentence-final punctuation) and also ends a
sentence at a blank line, because the paragraphs of laws, standards and curricula often lack a
final full stop. It works on the token arrays rather than on ``Token`` objects: creating a Python
object per token cost more than the rest of the pipeline together. The boundaries are set as
``SENT_START`` (so ``doc.sents`` works as usual) and kept as character offsets in
``doc._.sentence_bounds`` (and as first-token indexes in ``doc._.sentence_starts``) for the later
stages.
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
if not Doc.has_extension("sentence_starts"):
    # Token index of each sentence's first token, whitespace included (where SENT_START is 1).
    Doc.set_extension("sentence_starts", default=None)


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
        self._mask, self._slots = _slot_table(self.punct.tolist())

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
        extensions = doc._  # made anew on every access: once is enough
        if n == 0:
            extensions.sentence_bounds = np.zeros((0, 2), dtype=np.int64)
            extensions.sentence_starts = []
            return doc
        # Each column costs a call into spaCy per token, so only these three; lengths are looked
        # up for the few tokens that end a sentence.
        arr = doc.to_array([ORTH, IS_SPACE, IDX])
        orth = arr[:, 0]
        # Punctuation by the slot of its hash's low bits: one lookup per token, no search.
        ends = np.flatnonzero(self._slots[orth & self._mask] == orth).tolist()
        blanks = np.flatnonzero(arr[:, 1]).tolist()
        if blanks:
            # Whitespace tokens are few (about one a line) and repeat ("\n\n"): ask each distinct one.
            blank_words = orth[blanks].tolist()
            breaks = {word for word in set(blank_words) if self._is_paragraph_break(word)}
            if breaks:
                # A set: a configured punctuation mark may itself be a paragraph break.
                ends = sorted({*ends, *(i for i, word in zip(blanks, blank_words, strict=True) if word in breaks)})
        # A token starts a sentence when it follows a sentence end and is not one itself; the
        # sentence ends are a few per hundred tokens, so the boundaries are worked out in Python.
        is_end = set(ends)
        firsts = [0] + [i + 1 for i in ends if i + 1 < n and i + 1 not in is_end]
        sent_start = np.full(n, _NOT_A_START, dtype=np.uint64)
        sent_start[firsts] = 1
        doc.from_array([SENT_START], sent_start)
        extensions.sentence_starts = firsts
        lasts = [i - 1 for i in firsts[1:]]
        lasts.append(n - 1)
        if blanks:
            # Trim whitespace tokens at either end so offsets cover the text only: each sentence
            # runs from its first to its last non-space token, and one of spaces only is dropped.
            firsts, lasts = _trimmed(firsts, lasts, set(blanks))
        # A row per last token (word, space flag, offset): one call into numpy for both columns.
        lengths, length = self._lengths, self._length
        ends_at = [i + (lengths.get(word) or length(word)) for word, _, i in arr[lasts].tolist()]
        bounds = list(zip(arr[firsts, 2].tolist(), ends_at, strict=True))
        extensions.sentence_bounds = bounds
        return doc


#: SENT_START of a token inside a sentence (-1 as the unsigned value spaCy's arrays hold).
_NOT_A_START = np.uint64(2**64 - 1)


def _slot_table(words: list[int]) -> tuple[int, np.ndarray]:
    """A mask and a table holding each of ``words`` at the slot of its masked hash, no two in one slot.

    ``table[orth & mask] == orth`` then tells whether ``orth`` is one of the words (an empty slot
    holds 0, which is no word's hash).
    """
    bits = 8
    while len({word & ((1 << bits) - 1) for word in words}) < len(words):
        bits += 1
    mask = (1 << bits) - 1
    table = np.zeros(1 << bits, dtype=np.uint64)
    for word in words:
        table[word & mask] = word
    return mask, table


def _trimmed(firsts: list[int], lasts: list[int], blanks: set[int]) -> tuple[list[int], list[int]]:
    """Sentence token ranges without whitespace tokens at either end; whitespace-only ones dropped."""
    kept_firsts, kept_lasts = [], []
    for first, last in zip(firsts, lasts, strict=True):
        while first <= last and first in blanks:
            first += 1
        if first > last:
            continue
        while last in blanks:
            last -= 1
        kept_firsts.append(first)
        kept_lasts.append(last)
    return kept_firsts, kept_lasts


@Language.factory("chaingraph_sentences", default_config={"punct_chars": None})
def make_sentence_splitter(nlp: Language, name: str, punct_chars: list[str] | None) -> SentenceSplitter:
    """Create the sentence splitter (see :class:`SentenceSplitter`)."""
    return SentenceSplitter(nlp, name, punct_chars=punct_chars)
