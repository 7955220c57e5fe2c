"""The fuzzy linker: links free-standing skill spans to the concept whose label they resemble most.

Registered as the spaCy factory ``chaingraph_fuzzy_linker``. It reads the candidate spans that the
span finder (:mod:`chaingraph.nlp.spans`) left in ``doc.spans``, skips those that overlap a mention
of the concept linker, and looks each remaining span up among the labels of the chosen classes
(Skill and Technology by default) by the cosine of their character 3-gram TF-IDF vectors
(:class:`LabelIndex`). The search only proposes: a span links to its nearest label's concept only
when the two are the same term (:func:`same_term`: close in length, every content word of each
matched in the other) and the similarity of the whole strings (:func:`term_similarity`) reaches
``threshold``. Any other span becomes an *unlinked candidate*: a
:class:`~chaingraph.nlp.linker.Mention` with an empty ``concept``, so that what the vocabularies
lack shows up in the graph instead of being dropped.

The threshold is calibrated on the vocabularies alone (``scripts/train_span_finder.py``) and
recorded in the shipped span-finder model's ``meta.json``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import pickle
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
from scipy import sparse
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import minibatch

from chaingraph.nlp.gazetteer import dump_cache
from chaingraph.nlp.linker import Mention, _cache_dir
from chaingraph.nlp.normalize import light_norm
from chaingraph.nlp.spans import DEFAULT_MODEL
from chaingraph.rdf.namespaces import CLASSES

__all__ = [
    "FUZZY_VERSION",
    "LabelIndex",
    "FuzzyLinker",
    "char_ngrams",
    "term_similarity",
    "same_term",
    "label_table",
    "calibrated_threshold",
    "make_fuzzy_linker",
]

#: Bumped whenever the fuzzy linker's output for the same input can change.
FUZZY_VERSION = "5"

_SPACES = re.compile(r"\s+")
_MIN_DROPPED_DF = 1000
_WORDLESS = re.compile(r"^[\W\d_]*$")
_WORDS = re.compile(r"\w+")
#: Words that carry no term of their own: "operate a forklift" and "operate forklift" are one term.
_FUNCTION_WORDS = frozenset(
    ["a", "an", "the", "and", "or", "of", "for", "to", "in", "on", "with", "by", "at", "from", "as", "&"]
)
#: The shorter of a span and a label must be at least this share of the longer (in characters):
#: "coordinate" is no name of "coordinate care".
MIN_LENGTH_RATIO = 0.7
#: Span texts searched in one go: large enough to spread the fixed cost of a sparse product, small
#: enough that its candidate arrays stay in cache.
_SEARCH_BATCH = 128
#: Span texts whose search result a linker keeps; past this it forgets them all and starts again.
_KNOWN_TEXTS = 200_000


def char_ngrams(text: str, n: int = 3) -> list[str]:
    """The character ``n``-grams of ``text``, lower-cased and padded with one space at each end.

    >>> char_ngrams("SQL")
    [' sq', 'sql', 'ql ']
    """
    padded = f" {_SPACES.sub(' ', text.lower()).strip()} "
    if len(padded) < n:
        return [padded]
    return [padded[i : i + n] for i in range(len(padded) - n + 1)]


def term_similarity(a: str, b: str, n: int = 3) -> float:
    """The cosine of the character ``n``-gram count vectors of two whole strings (symmetric, in [0, 1]).

    Unlike the search's TF-IDF score no n-gram is left out, so every character of both sides counts.

    >>> term_similarity("SQL", "sql"), round(term_similarity("welder", "welders"), 3)
    (1.0, 0.772)
    """
    left, right = Counter(char_ngrams(a, n)), Counter(char_ngrams(b, n))
    dot = sum(count * right[gram] for gram, count in left.items())
    norm = math.sqrt(sum(c * c for c in left.values()) * sum(c * c for c in right.values()))
    return round(min(dot / norm, 1.0), 6) if norm else 0.0


def _same_word(a: str, b: str) -> bool:
    """Whether two lower-case words are one word up to inflection or a slip ("controler", "programming")."""
    if a == b or light_norm(a) == light_norm(b):
        return True
    shared = len(os.path.commonprefix([a, b]))
    return shared >= 4 and shared >= min(len(a), len(b)) - 3 and shared >= max(len(a), len(b)) - 4


def same_term(span: str, label: str) -> bool:
    """Whether ``span`` and ``label`` can be the same term, not one a part or a kind of the other.

    Their lengths differ by less than ``MIN_LENGTH_RATIO`` allows, and every content word of each
    side is matched by a word of the other, up to inflection: "Operate equipment" is not
    "maintain equipment", nor "systems" "manage production systems".

    >>> same_term("programmable logic controlers", "programmable logic controller")
    True
    >>> same_term("coordinate", "coordinate care"), same_term("control circuits", "patrol areas")
    (False, False)
    """
    a, b = " ".join(span.lower().split()), " ".join(label.lower().split())
    if not a or not b or min(len(a), len(b)) < MIN_LENGTH_RATIO * max(len(a), len(b)):
        return False
    left = [w for w in _WORDS.findall(a) if w not in _FUNCTION_WORDS]
    right = [w for w in _WORDS.findall(b) if w not in _FUNCTION_WORDS]
    if not left or not right:
        return False
    return all(any(_same_word(w, v) for v in right) for w in left) and all(
        any(_same_word(v, w) for w in left) for v in right
    )


def term_scores(index: LabelIndex, texts: Sequence[str]) -> list[tuple[int, float]]:
    """For each text, its nearest label in ``index`` and the score a link is decided on.

    The score is :func:`term_similarity` of the whole text and label, rounded to a thousandth,
    and 0.0 when they are not :func:`same_term`: the search only proposes, this decides.
    """
    found = []
    for text, (label, _similarity) in zip(texts, index.best(texts), strict=True):
        if label < 0:
            found.append((label, 0.0))
            continue
        name = index.labels[label]
        # An acronym label names its concept only in capitals: "fit" is no "FIT".
        acronym = name.isupper() and " " not in name.strip()
        if acronym and text.strip() not in (name.strip(), name.strip() + "s"):
            score = 0.0
        else:
            score = round(term_similarity(text, name), 3) if same_term(text, name) else 0.0
        found.append((label, score))
    return found


class LabelIndex:
    """Character n-gram TF-IDF vectors of labels, searched by cosine similarity.

    Parameters
    ----------
    labels:
        The label texts; equal texts (after lower-casing) are indexed once.
    targets:
        For each label, what a match on it returns (a concept index, an IRI, ...); for a text
        given several times the first target wins, so order ``labels`` by preference.
    n:
        The n-gram length (default 3).
    max_df:
        n-grams found in more than this share of the labels (" co", "ing"), and in more than
        1000 labels, are left out of every vector, labels' and queries' alike: they say little,
        and their long posting lists would make up most of the cost of a search. Small
        vocabularies keep every n-gram.
    rare_df, near, candidates:
        A search first scores the labels through the n-grams found in at most ``rare_df``
        labels only, keeps those within ``near`` of the best such score, and scores them
        exactly; a query with no such n-gram is compared with every label, and its
        ``candidates`` best are kept. On the vocabularies' own labels (the calibration in
        ``scripts/train_span_finder.py``) this finds what the full search finds at a fraction
        of its cost.
    """

    def __init__(
        self,
        labels: Sequence[str],
        targets: Sequence,
        n: int = 3,
        max_df: float = 0.03,
        rare_df: int = 2000,
        candidates: int = 20,
        near: float = 0.85,
    ) -> None:
        self.n = n
        self.rare_df = rare_df
        self.candidates = candidates
        self.near = near
        keys: dict[str, int] = {}
        self.labels: list[str] = []
        self.targets: list = []
        for label, target in zip(labels, targets, strict=True):
            key = _SPACES.sub(" ", label.lower()).strip()
            if key and key not in keys:
                keys[key] = len(self.labels)
                self.labels.append(label)
                self.targets.append(target)
        self.columns: dict[str, int] = {}
        rows, cols, counts = [], [], []
        for row, label in enumerate(self.labels):
            grams: dict[int, int] = {}
            for gram in char_ngrams(label, n):
                col = self.columns.setdefault(gram, len(self.columns))
                grams[col] = grams.get(col, 0) + 1
            rows.extend([row] * len(grams))
            cols.extend(grams)
            counts.extend(grams.values())
        shape = (len(self.labels), max(len(self.columns), 1))
        tf = sparse.csr_matrix((np.asarray(counts, dtype=np.float32), (rows, cols)), shape=shape)
        df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=shape[1])
        # Smoothed IDF; an n-gram no label has gets the largest weight (it was seen in none).
        self.idf = np.log((1 + shape[0]) / (1 + df)).astype(np.float32) + 1.0
        self.idf[df > max(max_df * shape[0], _MIN_DROPPED_DF)] = 0.0
        self.unseen_idf = float(math.log(1 + shape[0]) + 1.0)
        weighted = tf.multiply(self.idf[np.newaxis, :]).tocsr()
        weighted.eliminate_zeros()
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        # Label-major rows score a few candidates exactly; n-gram-major rows find candidates.
        self.matrix = sparse.csr_matrix(sparse.diags(1.0 / norms).dot(weighted), dtype=np.float32)
        self.matrix_t = self.matrix.T.tocsr()
        # Candidates come from the rare n-grams only (short posting lists); the rest only rescore.
        rare = sparse.diags((df <= self.rare_df).astype(np.float32))
        self.rare_t = sparse.csr_matrix(rare.dot(self.matrix_t), dtype=np.float32)
        self.rare_t.eliminate_zeros()

    def __len__(self) -> int:
        return len(self.labels)

    def _query_matrix(self, texts: Sequence[str]) -> sparse.csr_matrix:
        rows, cols, values = [], [], []
        columns = self.columns
        idf = self.idf.tolist()  # the same values as Python floats, far cheaper to read one by one
        unseen_weight = self.unseen_idf**2
        for row, text in enumerate(texts):
            weights: dict[int, float] = {}
            unseen = 0
            for gram, count in Counter(char_ngrams(text, self.n)).items():
                col = columns.get(gram)
                if col is None:
                    unseen += count
                elif idf[col]:
                    weights[col] = count * idf[col]
            # n-grams unknown to every label still count in the query's length: "xyzzy" is far from everything.
            norm = math.sqrt(sum(w * w for w in weights.values()) + unseen * unseen_weight) or 1.0
            rows.extend([row] * len(weights))
            cols.extend(weights)
            values.extend(w / norm for w in weights.values())
        return sparse.csr_matrix(
            (np.asarray(values, dtype=np.float32), (rows, cols)), shape=(len(texts), self.matrix.shape[1])
        )

    def best(self, texts: Sequence[str]) -> list[tuple[int, float]]:
        """For each text, the index of its most similar label and their cosine similarity (-1, 0.0 if none)."""
        if not texts:
            return []
        queries = self._query_matrix(texts)
        partial = queries.dot(self.rare_t).tocsr()
        counts = np.diff(partial.indptr)
        row_of = np.repeat(np.arange(len(texts)), counts)
        label_of = partial.indices
        if len(partial.data):
            # Candidates: labels whose partial score comes near the row's best (whole arrays, no loop).
            row_max = np.zeros(len(texts), dtype=np.float32)
            filled = counts > 0
            row_max[filled] = np.maximum.reduceat(partial.data, partial.indptr[:-1][filled])
            keep = partial.data >= np.repeat(row_max * self.near, counts)
            row_of, label_of = row_of[keep], label_of[keep]
        label_of = label_of.astype(np.int64)  # only the few kept: most partial scores are far from the best
        for row in np.flatnonzero(counts == 0):
            # No rare n-gram ("sql", "team player"): compare with every label.
            found = queries[int(row)].dot(self.matrix_t).tocsr()
            if found.nnz:
                top = found.indices[np.argpartition(-found.data, min(self.candidates, found.nnz) - 1)]
                top = top[: self.candidates]
                row_of = np.concatenate([row_of, np.full(len(top), row, dtype=np.int64)])
                label_of = np.concatenate([label_of, top.astype(np.int64)])
        best: list[tuple[int, float]] = [(-1, 0.0)] * len(texts)
        if not len(label_of):
            return best
        exact = np.asarray(self.matrix[label_of].multiply(queries[row_of]).sum(axis=1)).ravel()
        # Highest score first; of equal scores (up to float noise) the label indexed first wins.
        order = np.lexsort((label_of, -np.round(exact, 6), row_of))
        previous = -1
        for i in order:
            row = int(row_of[i])
            if row != previous:
                previous = row
                if exact[i] > 0:
                    best[row] = (int(label_of[i]), min(float(exact[i]), 1.0))
        return best


def label_table(gazetteer, classes: Sequence[str]) -> tuple[list[str], list[int], list[int]]:
    """The labels of ``classes`` the gazetteer links, with their concept indexes and label kinds.

    Ordered by preference: preferred labels first, then by the order of ``classes``, then by
    IRI, so that of two concepts sharing a label the index keeps the preferred one.
    """
    concepts = gazetteer.concepts
    rank = {cls: i for i, cls in enumerate(classes)}
    labelled = sorted(
        (entry.kind, rank[concepts[entry.concept].cls], concepts[entry.concept].iri, entry.text, entry.concept)
        for entries in gazetteer.entries.values()
        for entry in entries
        if concepts[entry.concept].cls in rank
    )
    return [x[3] for x in labelled], [x[4] for x in labelled], [x[0] for x in labelled]


def calibrated_threshold(model_path: str | Path | None = None) -> float:
    """The similarity threshold calibrated for the shipped model (``meta.json`` → ``chaingraph.link_threshold``)."""
    meta = Path(model_path or DEFAULT_MODEL) / "meta.json"
    try:
        return float(json.loads(meta.read_text(encoding="utf-8"))["chaingraph"]["link_threshold"])
    except (OSError, KeyError, ValueError) as error:
        raise ValueError(
            f"{meta}: no calibrated link threshold ({error}); run scripts/train_span_finder.py or pass threshold="
        ) from None


def _index_key(labels: list[str], targets: list, settings: dict) -> str:
    digest = hashlib.sha256(f"{FUZZY_VERSION} {sorted(settings.items())}".encode())
    for label, target in zip(labels, targets, strict=True):
        digest.update(f"{label}\x00{target}\x01".encode())
    return digest.hexdigest()[:24]


def cached_index(labels: list[str], targets: list, **settings) -> LabelIndex:
    """A :class:`LabelIndex` (``settings`` as there), loaded from the chaingraph cache folder when one for the same
    labels is there."""
    path = _cache_dir() / f"fuzzy-{_index_key(labels, targets, settings)}.pickle"
    if path.exists():
        try:
            with path.open("rb") as stream:
                return pickle.load(stream)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            pass  # a stale or broken cache is rebuilt below
    index = LabelIndex(labels, targets, **settings)
    with contextlib.suppress(OSError):  # caching is an optimisation: a read-only home must not stop linking
        dump_cache(index, path)
    return index


class FuzzyLinker:
    """Link the span finder's candidate spans to concepts by label similarity, or keep them unlinked.

    Parameters
    ----------
    nlp:
        The pipeline; it must already hold the concept linker (``concepts_pipe``), whose
        vocabulary the labels come from.
    threshold:
        Smallest cosine similarity that links a span; ``None`` (default) takes the value
        calibrated for the shipped model (:func:`calibrated_threshold`).
    classes:
        Classes whose labels are searched (default ``["Skill", "Technology"]``).
    spans_key:
        ``doc.spans`` key the candidate spans are read from (default ``"chaingraph_candidates"``).
    concepts_pipe:
        Name of the concept linker in the pipeline (default ``"chaingraph_concepts"``).
    unlinked_class:
        Class given to unlinked candidates (default ``"Skill"``).
    """

    def __init__(
        self,
        nlp: Language,
        name: str = "chaingraph_fuzzy_linker",
        *,
        threshold: float | None = None,
        classes: Iterable[str] = ("Skill", "Technology"),
        spans_key: str = "chaingraph_candidates",
        concepts_pipe: str = "chaingraph_concepts",
        unlinked_class: str = "Skill",
    ) -> None:
        if unlinked_class not in CLASSES:
            raise ValueError(f"unlinked_class {unlinked_class!r} is not one of {', '.join(CLASSES)}")
        self.name = name
        self.lang = nlp.lang
        self.threshold = calibrated_threshold() if threshold is None else float(threshold)
        self.spans_key = spans_key
        self.unlinked_class = unlinked_class
        self.classes = tuple(classes)
        gazetteer = nlp.get_pipe(concepts_pipe).gazetteer
        self.concepts = gazetteer.concepts
        labels, targets, _kinds = label_table(gazetteer, self.classes)
        self.index = cached_index(labels, targets)
        # Nearest label and score by span text: they depend on the text alone, and the same
        # phrases ("communication skills") come back in document after document.
        self._scores: dict[str, tuple[int, float]] = {}

    def link(self, texts: Sequence[str]) -> list[tuple[int | None, float]]:
        """For each text, the index of the concept it links to (None below the threshold) and the similarity."""
        found = []
        for label, score in self._term_scores(texts):
            # The score a mention reports is the one compared; 0.0 when no label is the same term.
            concept = self.index.targets[label] if label >= 0 and score > 0 and score >= self.threshold else None
            found.append((concept, score))
        return found

    def _term_scores(self, texts: Sequence[str]) -> list[tuple[int, float]]:
        """:func:`term_scores` of ``texts``, searching only the texts not seen before."""
        known = self._scores
        found = {text: known.get(text) for text in texts}
        new = [text for text, scores in found.items() if scores is None]
        for start in range(0, len(new), _SEARCH_BATCH):
            chunk = new[start : start + _SEARCH_BATCH]
            found.update(zip(chunk, term_scores(self.index, chunk), strict=True))
        if new:
            if len(known) + len(new) > _KNOWN_TEXTS:
                known.clear()  # a bound on memory; what comes back is searched again
            known.update((text, found[text]) for text in new)
        return [found[text] for text in texts]

    def forget_texts(self) -> None:
        """Drop the remembered span texts, as a fresh process has none (benchmarks call it)."""
        self._scores.clear()

    def __call__(self, doc: Doc) -> Doc:
        self._link_docs([doc])
        return doc

    def pipe(self, stream: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        """Link the candidates of a stream of docs, searching the spans of a whole batch at once."""
        for batch in minibatch(stream, size=batch_size):
            self._link_docs(batch)
            yield from batch

    def _link_docs(self, docs: Sequence[Doc]) -> None:
        free = [self._free_candidates(doc) for doc in docs]
        links = self.link([text for spans in free if spans for _span, text in spans])
        done = 0
        for doc, spans in zip(docs, free, strict=True):
            mentions = list(doc._.mentions or [])
            if spans is not None:
                # Words the concept linker matched but declined (written otherwise than the name, or
                # named something else in context) stay unlinked candidates: a look-alike label must
                # not link them in its place.
                declined = bytearray(len(doc))
                for start, end in doc._.declined or ():
                    declined[start:end] = b"\x01" * (end - start)
                for (span, text), (concept, score) in zip(spans, links[done : done + len(spans)], strict=True):
                    if concept is None or any(declined[span.start : span.end]):
                        mention = Mention(span.start_char, span.end_char, text, "", text, self.unlinked_class, score)
                    else:
                        info = self.concepts[concept]
                        mention = Mention(
                            span.start_char, span.end_char, text, info.iri, info.label(self.lang), info.cls, score
                        )
                    mentions.append(mention)
                done += len(spans)
                mentions.sort()
            doc._.mentions = mentions

    def _free_candidates(self, doc: Doc) -> list[tuple[Span, str]] | None:
        """The candidate spans of ``doc`` that overlap no mention of the concept linker and hold a word, with
        their texts (None when the span finder left no candidate at all)."""
        candidates = doc.spans.get(self.spans_key, [])
        if not candidates:
            return None
        taken = bytearray(len(doc))
        for mention in doc._.mentions or ():
            span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
            if span is not None:
                taken[span.start : span.end] = b"\x01" * len(span)
        free = []
        for span in candidates:
            if not any(taken[span.start : span.end]):
                text = span.text  # built token by token: read once
                if not _WORDLESS.match(text):
                    free.append((span, text))
        return free


@Language.factory(
    "chaingraph_fuzzy_linker",
    default_config={
        "threshold": None,
        "classes": ["Skill", "Technology"],
        "spans_key": "chaingraph_candidates",
        "concepts_pipe": "chaingraph_concepts",
        "unlinked_class": "Skill",
    },
)
def make_fuzzy_linker(
    nlp: Language,
    name: str,
    threshold: float | None,
    classes: list[str],
    spans_key: str,
    concepts_pipe: str,
    unlinked_class: str,
) -> FuzzyLinker:
    """Create the fuzzy linker (see :class:`FuzzyLinker` for the settings)."""
    return FuzzyLinker(
        nlp,
        name,
        threshold=threshold,
        classes=classes,
        spans_key=spans_key,
        concepts_pipe=concepts_pipe,
        unlinked_class=unlinked_class,
    )
