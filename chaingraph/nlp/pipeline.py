"""Assembling the extraction pipeline and running it over documents.

The pipeline is plain spaCy: a blank language, a sentence splitter that also splits at blank
lines (``chaingraph_sentences``: paragraphs of laws and standards often lack a final full stop), the concept linker
(``chaingraph_concepts``) and the relation stage (``chaingraph_relations``). A user can swap a
stage by name in the usual spaCy way.

Two profiles, chosen by name (:data:`PROFILES`):

* ``fast``: the stages above; vocabulary labels only, hundreds of thousands of words a second;
* ``accurate``: adds, after the concept linker, a statistical span finder
  (``chaingraph_span_finder``, a small entity recognizer shipped in the package) and the fuzzy
  linker (``chaingraph_fuzzy_linker``), which links each span the concept linker did not cover to
  the concept with the most similar label, or keeps it as an unlinked candidate (empty
  ``concept``). The span finder is trained on English job postings, so for Chinese the accurate
  profile is the fast one.
"""

from __future__ import annotations

import functools
import logging
import weakref
from bisect import bisect_right
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import spacy
from spacy.language import Language
from spacy.tokenizer import Tokenizer

from chaingraph.nlp import linker as _linker  # noqa: F401  (registers the factory)
from chaingraph.nlp import relations as _relations  # noqa: F401  (registers the factory)
from chaingraph.nlp import sentences as _sentences  # noqa: F401  (registers the factory)
from chaingraph.nlp import spans as _spans  # noqa: F401  (registers the factory)
from chaingraph.nlp.fuzzy import FUZZY_VERSION
from chaingraph.nlp.linker import LINKER_VERSION, Mention
from chaingraph.nlp.relations import RELATIONS_VERSION, RelationCandidate, sentence_bounds
from chaingraph.nlp.spans import SPANS_VERSION
from chaingraph.nlp.windows import MIN_PIECE_CHARS, piece_chars, read_in_windows
from chaingraph.resources import vocab_dir

__all__ = [
    "Extraction",
    "PIPELINE_VERSION",
    "PROFILES",
    "pipeline_version",
    "build_pipeline",
    "load_pipeline",
    "extract_text",
    "extract_docs",
    "extract_parts",
]

PIPELINE_VERSION = f"linker-{LINKER_VERSION}.relations-{RELATIONS_VERSION}"

#: The pipeline profiles, by name; the first is the default.
PROFILES = ("fast", "accurate")

#: Languages the span finder has a model for; other languages run the fast profile for both.
_SPAN_FINDER_LANGS = ("en",)


def _check_profile(profile: str) -> None:
    if profile not in PROFILES:
        raise ValueError(f"unknown pipeline profile {profile!r}: choose one of {', '.join(PROFILES)}")


def pipeline_version(profile: str = "fast", lang: str = "en") -> str:
    """The version of the pipeline a profile builds: a change tells an incremental build to extract again.

    >>> pipeline_version("fast") == PIPELINE_VERSION
    True
    >>> pipeline_version("accurate", "zh") == PIPELINE_VERSION
    True
    """
    _check_profile(profile)
    if profile == "fast" or lang not in _SPAN_FINDER_LANGS:
        return PIPELINE_VERSION
    return f"{PIPELINE_VERSION}.spans-{SPANS_VERSION}.fuzzy-{FUZZY_VERSION}"


# Largest text handed to spaCy in one piece: a run this long without a sentence end is cut.
MAX_CHARS = 1_000_000


@dataclass(frozen=True, slots=True)
class Extraction:
    """What the pipeline found in one text: plain data, cheap to ship between processes."""

    mentions: tuple[Mention, ...]
    relations: tuple[RelationCandidate, ...]
    sentences: tuple[tuple[int, int], ...]  # (start, end) of each sentence holding a mention


def build_pipeline(
    lang: str = "en", *, profile: str = "fast", vocab_path: str | None = None, linker_config: dict | None = None
) -> Language:
    """A new pipeline for ``lang`` with the sentencizer, concept linker and relation stage.

    Parameters
    ----------
    lang:
        Language code, ``"en"`` (default) or ``"zh"``.
    profile:
        ``"fast"`` (default) or ``"accurate"``, which adds the span finder and the fuzzy linker
        (English only: for other languages it is the fast profile).
    vocab_path:
        Folder of SKOS vocabularies; default ``ontologies/vocab``.
    linker_config:
        Settings of the concept linker (``chaingraph_concepts``).

    Raises
    ------
    ValueError
        For a profile not in :data:`PROFILES`.
    """
    _check_profile(profile)
    if lang == "zh":
        import jieba

        jieba.setLogLevel(logging.WARNING)  # it reports loading its dictionary on stderr
        # jieba's dictionary ships inside its package: nothing is downloaded.
        nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
        # A dictionary of this pipeline's own: the linker adds its vocabulary's terms to it, and
        # jieba's module-level one is shared by every pipeline (and test) in the process.
        nlp.tokenizer.jieba_seg = jieba.Tokenizer()
    else:
        nlp = spacy.blank(lang)
    nlp.max_length = MAX_CHARS + 1
    nlp.add_pipe("chaingraph_sentences")
    config = dict(linker_config or {})
    if vocab_path is not None:
        config["vocab_path"] = vocab_path
    nlp.add_pipe("chaingraph_concepts", config=config)
    if profile == "accurate" and lang in _SPAN_FINDER_LANGS:
        nlp.add_pipe("chaingraph_span_finder")
        nlp.add_pipe("chaingraph_fuzzy_linker")
    nlp.add_pipe("chaingraph_relations")
    return nlp


def load_pipeline(lang: str = "en", profile: str = "fast") -> Language:
    """The shared pipeline for ``lang`` and ``profile`` over the current vocabularies (built once per process)."""
    _check_profile(profile)
    if lang not in _SPAN_FINDER_LANGS:
        profile = "fast"  # the same pipeline: share it
    return _shared_pipeline(lang, profile, str(vocab_dir()))


@functools.lru_cache(maxsize=4)
def _shared_pipeline(lang: str, profile: str, vocab_path: str) -> Language:
    # Loading the vocabularies costs seconds, so every caller in a process shares one pipeline.
    return build_pipeline(lang, profile=profile, vocab_path=vocab_path)


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """Cut an over-long text at paragraph breaks into pieces spaCy accepts, with their offsets."""
    start = 0
    while len(text) - start > MAX_CHARS:
        cut = text.rfind("\n\n", start, start + MAX_CHARS)
        if cut <= start:
            cut = text.rfind(" ", start, start + MAX_CHARS)
        if cut <= start:
            cut = start + MAX_CHARS
        yield start, text[start:cut]
        start = cut
    yield start, text[start:]


def _shift(extraction: Extraction, offset: int) -> Extraction:
    if not offset:
        return extraction
    return Extraction(
        tuple(m._replace(start=m.start + offset, end=m.end + offset) for m in extraction.mentions),
        tuple(
            r._replace(sentence_start=r.sentence_start + offset, sentence_end=r.sentence_end + offset)
            for r in extraction.relations
        ),
        tuple((s + offset, e + offset) for s, e in extraction.sentences),
    )


def _extraction_of(doc) -> Extraction:
    extensions = doc._  # made anew on every access: once is enough
    mentions = tuple(extensions.mentions or ())
    relations = tuple(extensions.relations or ())
    sentences: tuple[tuple[int, int], ...] = ()
    if mentions:
        bounds = sentence_bounds(doc)
        starts = [s for s, _ in bounds]
        used = sorted({bounds[bisect_right(starts, m.start) - 1] for m in mentions})
        sentences = tuple(used)
    return Extraction(mentions, relations, sentences)


def extract_docs(nlp: Language, items: Iterable[tuple[str, str | None]], batch_size: int = 64) -> Iterator[Extraction]:
    """Run ``nlp`` over ``(text, about_iri)`` pairs, yielding one :class:`Extraction` per text.

    A long text's parts (see :func:`extract_parts`) are merged into one: a caller that writes a
    document's graph as it goes reads :func:`extract_parts` instead.
    """
    current, parts = None, []
    for index, part in extract_parts(nlp, items, batch_size):
        if current is not None and index != current:
            yield _merge(parts)
            parts = []
        current = index
        parts.append(part)
    if parts:
        yield _merge(parts)


def extract_parts(
    nlp: Language, items: Iterable[tuple[str, str | None]], batch_size: int = 64, *, piece_size: int | None = None
) -> Iterator[tuple[int, Extraction]]:
    """Run ``nlp`` over ``(text, about_iri)`` pairs, yielding ``(index of the text, part of its Extraction)``.

    A text of at most ``piece_size`` characters (default :data:`~chaingraph.nlp.windows.PIECE_CHARS`,
    or ``$CHAINGRAPH_PIECE_CHARS``) is one part, and
    short texts go through ``nlp.pipe`` together. A longer one is read in windows of about
    ``piece_size`` characters, one after the other, each yielding the part of the text it owns:
    the sentences starting in it, their mentions and relations, in offsets of the whole text. A
    window ends a margin beyond the last sentence it owns and the next starts a margin before its
    first (see :mod:`chaingraph.nlp.windows`), so every stage sees around each sentence what it
    would see in the whole text and the parts together are the extraction of the whole text. A run with no
    sentence end over ten windows (:data:`MAX_CHARS` characters at the default size) is cut at
    whitespace, or wherever it reaches that length, and read as two sentences.

    Parameters
    ----------
    nlp:
        A pipeline of :func:`build_pipeline`.
    items:
        ``(text, about)`` pairs; ``about`` is the IRI of the concept the text describes, or None.
    batch_size:
        Texts per ``nlp.pipe`` batch.
    piece_size:
        Window size in characters (at least 1,000).

    >>> nlp = load_pipeline("en")
    >>> [(index, len(part.mentions)) for index, part in extract_parts(nlp, [("Welders read blueprints.", None)])]
    [(0, 2)]
    """
    limit = max(piece_size or piece_chars(MAX_CHARS), MIN_PIECE_CHARS)
    gazetteer = nlp.get_pipe("chaingraph_concepts").gazetteer
    warm = _tokenizer_warmer(nlp)

    def make(text: str, context: tuple) -> object:
        warm(text)
        doc = nlp.make_doc(text)
        extensions = doc._  # made anew on every access: once is enough
        extensions.about, extensions.about_class = context
        return doc

    source = iter(enumerate(items))
    long_text: list = []  # the long text that ended the current run of short ones

    def short_docs():
        for index, (text, about) in source:
            info = gazetteer.concept(about) if about else None
            context = (about if info else None, info.cls if info else None)
            if len(text) > limit:
                long_text.append((index, text, context))
                return
            yield make(text, context), index

    while True:
        for doc, index in _pipe(nlp, short_docs(), batch_size):
            yield index, _extraction_of(doc)
        if not long_text:
            return
        index, text, context = long_text.pop()
        for part in _windows(nlp, text, context, make, limit):
            yield index, part


def _windows(nlp: Language, text: str, context: tuple, make, size: int) -> Iterator[Extraction]:
    """The parts of a long text, read window by window (see :mod:`chaingraph.nlp.windows`)."""

    def read(window: str):
        doc = next(iter(nlp.pipe([make(window, context)])))
        return doc, [start for start, _end in sentence_bounds(doc)]

    for doc, offset, own_start, own_end in read_in_windows(read, text, size=size, longest=min(MAX_CHARS, 10 * size)):
        yield _owned_part(doc, offset, own_start, own_end)


def _owned_part(doc, offset: int, own_start: int, own_end: int) -> Extraction:
    """What ``doc`` (a window at ``offset`` of the whole text) found in the sentences starting in
    ``[own_start, own_end)``, in offsets of the whole text."""
    extensions = doc._  # made anew on every access: once is enough
    bounds = sentence_bounds(doc)
    starts = [start for start, _end in bounds]
    low, high = own_start - offset, own_end - offset

    def sentence_of(position: int) -> tuple[int, int] | None:
        index = bisect_right(starts, position) - 1
        return bounds[index] if index >= 0 else None

    mentions, used = [], set()
    for mention in extensions.mentions or ():
        sentence = sentence_of(mention.start)
        if low <= (sentence[0] if sentence else mention.start) < high:
            mentions.append(mention)
            if sentence:
                used.add(sentence)
    relations = tuple(r for r in extensions.relations or () if low <= r.sentence_start < high)
    return _shift(Extraction(tuple(mentions), relations, tuple(sorted(used))), offset)


class _TokenizerWarmer:
    """Puts each new word of a text into the tokenizer's cache before the text is tokenized.

    spaCy's tokenizer caches how it cut each whitespace-separated word, but within one text it
    stops caching at the first special case it meets (its guard against #1250 is per text), so
    after a "State’s" early in a long law every later word is cut by the affix rules again, in
    every text. Tokenizing a new word on its own caches it as spaCy would in a text without
    special cases; the cut is the same either way, so only the time changes.
    """

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer
        self.seen: set[str] = set()

    def __call__(self, text: str) -> None:
        # The cache stops growing at max_cache_size: beyond it, warming would only cost.
        if len(self.seen) >= self.tokenizer.max_cache_size:
            return
        new = set(text.split()).difference(self.seen)
        if new:
            self.seen |= new
            tokenize = self.tokenizer
            for word in new:
                tokenize(word)


_warmers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _tokenizer_warmer(nlp: Language):
    """The :class:`_TokenizerWarmer` of ``nlp`` (kept for its life), or a no-op for other tokenizers (jieba)."""
    if not isinstance(nlp.tokenizer, Tokenizer):
        return lambda text: None
    warmer = _warmers.get(nlp)
    if warmer is None or warmer.tokenizer is not nlp.tokenizer:
        warmer = _warmers[nlp] = _TokenizerWarmer(nlp.tokenizer)
    return warmer


def _pipe(nlp: Language, docs, batch_size: int):
    """``nlp.pipe`` over pre-made docs, keeping each doc's context."""
    contexts: deque = deque()

    def only_docs():
        for doc, context in docs:
            contexts.append(context)
            yield doc

    for doc in nlp.pipe(only_docs(), batch_size=batch_size):
        yield doc, contexts.popleft()


def _merge(parts: list[Extraction]) -> Extraction:
    if len(parts) == 1:
        return parts[0]
    return Extraction(
        tuple(m for p in parts for m in p.mentions),
        tuple(r for p in parts for r in p.relations),
        tuple(s for p in parts for s in p.sentences),
    )


def extract_text(
    text: str, *, lang: str = "en", about: str | None = None, nlp: Language | None = None, profile: str = "fast"
) -> Extraction:
    """Link the concepts in one text (and, with ``about``, relate them to that concept).

    ``profile`` chooses the shared pipeline (see :data:`PROFILES`) when no ``nlp`` is given.
    """
    nlp = nlp or load_pipeline(lang, profile)
    return next(extract_docs(nlp, [(text, about)]))
