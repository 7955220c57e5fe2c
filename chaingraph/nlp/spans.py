"""The span finder: a small statistical tagger that finds skill and knowledge phrases in running text.

Registered as the spaCy factory ``chaingraph_span_finder``. It runs the entity recognizer of a
trained model (by default the one shipped in ``chaingraph/models/span-finder-en``, trained by
``scripts/train_span_finder.py`` on SkillSpan and distant supervision from the vocabularies) and
puts the spans it finds into ``doc.spans[spans_key]``, leaving ``doc.ents`` as it was. The spans
are *candidates*: :mod:`chaingraph.nlp.fuzzy` links them to concepts or keeps them unlinked.

The model is read from disk when the pipeline is built; nothing is downloaded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import minibatch

__all__ = ["SPANS_VERSION", "DEFAULT_MODEL", "SpanFinder", "make_span_finder", "model_meta"]

#: Bumped whenever the shipped model or the way its spans are read changes.
SPANS_VERSION = "1"

#: The model that ships with chaingraph.
DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "span-finder-en"

#: Tokens the recognizer reads in one pass. Its activations grow with the pass; past some 20,000
#: tokens they no longer stay in cache, and a pass of 64 long documents runs a quarter slower. Each
#: doc's spans are the same whatever the pass holds.
_TOKENS_PER_PASS = 5000


def model_meta(model_path: str | Path | None = None) -> dict:
    """The ``meta.json`` of a span-finder model (default: the shipped one)."""
    path = Path(model_path or DEFAULT_MODEL) / "meta.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise FileNotFoundError(
            f"{path}: the span-finder model is missing ({error.strerror}); "
            "reinstall chaingraph or run scripts/train_span_finder.py"
        ) from None


class SpanFinder:
    """Find candidate skill spans with a trained entity recognizer.

    Parameters
    ----------
    nlp:
        The pipeline the component joins (its string store learns the span label).
    model:
        Folder of a spaCy pipeline holding an ``ner`` component; default: the shipped model.
    spans_key:
        ``doc.spans`` key the spans are written to (default ``"chaingraph_candidates"``).
    min_chars:
        Spans shorter than this many characters are dropped (default 2).
    """

    def __init__(
        self,
        nlp: Language,
        name: str = "chaingraph_span_finder",
        *,
        model: str | None = None,
        spans_key: str = "chaingraph_candidates",
        min_chars: int = 2,
    ) -> None:
        self.name = name
        self.spans_key = spans_key
        self.min_chars = min_chars
        path = Path(model) if model else DEFAULT_MODEL
        model_meta(path)  # a clear message when the folder is missing
        trained = spacy.load(path)
        self.recognizer = trained.get_pipe("ner")
        for label in self.recognizer.labels:
            nlp.vocab.strings.add(label)

    def __call__(self, doc: Doc) -> Doc:
        self._annotate([doc])
        return doc

    def pipe(self, stream: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        """Find spans in a stream of docs, a batch at a time."""
        for batch in minibatch(stream, size=batch_size):
            for part in _passes(batch, _TOKENS_PER_PASS):
                self._annotate(part)
            yield from batch

    def _annotate(self, docs: list[Doc]) -> None:
        kept = [doc.ents for doc in docs]
        states = self.recognizer.predict(docs)
        self.recognizer.set_annotations(docs, states)
        for doc, ents in zip(docs, kept, strict=True):
            spans = [
                Span(doc, e.start, e.end, label=e.label)
                for e in doc.ents
                if e.end_char - e.start_char >= self.min_chars
            ]
            doc.ents = ents  # the recognizer writes doc.ents; a user's own entities stay untouched
            doc.spans[self.spans_key] = spans


def _passes(docs: list[Doc], tokens: int) -> Iterator[list[Doc]]:
    """Consecutive runs of ``docs`` holding about ``tokens`` tokens each (a longer doc runs alone)."""
    part: list[Doc] = []
    size = 0
    for doc in docs:
        if part and size + len(doc) > tokens:
            yield part
            part, size = [], 0
        part.append(doc)
        size += len(doc)
    if part:
        yield part


@Language.factory(
    "chaingraph_span_finder",
    default_config={"model": None, "spans_key": "chaingraph_candidates", "min_chars": 2},
)
def make_span_finder(nlp: Language, name: str, model: str | None, spans_key: str, min_chars: int) -> SpanFinder:
    """Create the span finder (see :class:`SpanFinder` for the settings)."""
    return SpanFinder(nlp, name, model=model, spans_key=spans_key, min_chars=min_chars)
