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
from spacy.attrs import IDX, IS_SPACE, LENGTH, ORTH, SENT_START
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
        self.punct = np.array(sorted({self.strings.add(p) for p in (punct_chars or DEFAULT_PUNCT)}), dtype=np.uint64)

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
        arr = doc.to_array([ORTH, IS_SPACE, IDX, LENGTH])
        orth, space = arr[:, 0].astype(np.uint64), arr[:, 1].astype(bool)
        idx, length = arr[:, 2].astype(np.int64), arr[:, 3].astype(np.int64)
        # Membership in the small sorted punctuation array, without np.isin's sort of the doc.
        at = np.minimum(np.searchsorted(self.punct, orth), len(self.punct) - 1)
        ends = self.punct[at] == orth
        if space.any():  # whitespace tokens repeat ("\n\n"): look at each distinct one once
            for value in np.unique(orth[space]).tolist():
                if self._is_paragraph_break(value):
                    ends |= orth == value
        # A token starts a sentence when it follows a sentence end and is not one itself.
        starts = np.zeros(n, dtype=bool)
        starts[0] = True
        starts[1:] = ends[:-1] & ~ends[1:]
        sent_start = np.where(starts, 1, -1).astype(np.uint64).reshape(-1, 1)
        doc.from_array([SENT_START], sent_start)
        first = np.flatnonzero(starts)
        last = np.append(first[1:], n) - 1
        # Trim whitespace tokens at either end (few sentences have any) so offsets cover the text only.
        for k in np.flatnonzero(space[first] | space[last]).tolist():
            a, b = int(first[k]), int(last[k])
            while a < b and space[a]:
                a += 1
            while b > a and space[b]:
                b -= 1
            first[k], last[k] = a, b
        keep = ~space[first]
        bounds = list(zip(idx[first][keep].tolist(), (idx[last] + length[last])[keep].tolist(), strict=True))
        doc._.sentence_bounds = bounds
        return doc


@Language.factory("chaingraph_sentences", default_config={"punct_chars": None})
def make_sentence_splitter(nlp: Language, name: str, punct_chars: list[str] | None) -> SentenceSplitter:
    """Create the sentence splitter (see :class:`SentenceSplitter`)."""
    return SentenceSplitter(nlp, name, punct_chars=punct_chars)
