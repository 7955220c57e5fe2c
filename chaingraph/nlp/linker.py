"""The concept linker: finds vocabulary labels in text and links each span to one concept.

Registered as the spaCy factory ``chaingraph_concepts``. It matches every label of the
vocabularies on the ``NORM`` attribute (lower case, light plural/verb-s normalisation, see
:mod:`chaingraph.nlp.normalize`) with a :class:`~spacy.matcher.PhraseMatcher`; the longest match
wins and overlaps are resolved left to right; when one label names several concepts the choice is
made by label kind, class priority and context (the scheme of the document's subject) and the
others are kept as alternatives with a lower score.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import unicodedata
from pathlib import Path
from typing import NamedTuple

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from chaingraph.nlp.context import (
    _MAJOR_WORD,
    _TITLE_CLASSES,
    Match,
    _common_noun_in_a_name,
    _WordFlags,
    _Words,
    read_otherwise,
)
from chaingraph.nlp.gazetteer import (
    ALT,
    ANY_CASE,
    EXACT_CASE,
    GENERATED,
    HIDDEN,
    NAMED_AS_MAJOR,
    PREF,
    PROPER_NAME,
    Gazetteer,
    LabelPolicy,
    dump_cache,
    fingerprint_files,
    generated_labels,
    load_stop_labels,
    read_concepts,
    segmenter_terms,
    vocab_files,
)
from chaingraph.nlp.normalize import NORM_VERSION, install_norm
from chaingraph.rdf.namespaces import CLASSES, SCHEMES

__all__ = ["Mention", "ConceptLinker", "make_concept_linker", "LINKER_VERSION"]

#: Bumped whenever the linker's output for the same input can change: invalidates cached
#: gazetteers and tells an incremental build to extract documents again.
LINKER_VERSION = "7"

#: The acronym table, beside the other curated sources of the vocabularies (``sources/``): kept
#: by hand, one row per acronym and expansion, each row naming the vocabulary labels that attest
#: the pair; tests/test_aliases.py checks every expansion is written in the vocabularies.
ACRONYMS_FILE = "acronyms-en.csv"

# A derived label is a guess about what people write, so it scores below every vocabulary label.
_BASE_SCORE = {PREF: 1.0, ALT: 0.9, HIDDEN: 0.8, GENERATED: 0.7}
_SAME_CLASS_AMBIGUITY = 0.85  # another concept of the same class shares the label
_CROSS_CLASS_AMBIGUITY = 0.75  # a concept of another class shares the label


class Mention(NamedTuple):
    """A linked span: plain data, cheap to pickle between processes."""

    start: int  # character offsets into the document text
    end: int
    text: str
    concept: str  # concept IRI
    label: str  # the concept's preferred label
    cls: str  # Programme, Course, Occupation, Skill, Industry or Technology
    score: float
    alternatives: tuple[str, ...] = ()  # other concepts the same words could name


if not Doc.has_extension("mentions"):
    Doc.set_extension("mentions", default=None)
if not Doc.has_extension("about"):
    Doc.set_extension("about", default=None)
if not Doc.has_extension("declined"):
    # Token ranges whose label matched but whose case or context says they name something else.
    Doc.set_extension("declined", default=None)


_PACKAGE = Path(__file__).resolve().parents[1]
#: The modules whose code decides what a cached gazetteer holds.
_GAZETTEER_CODE = tuple(
    _PACKAGE / name
    for name in ("nlp/gazetteer.py", "nlp/loose_labels.py", "nlp/normalize.py", "nlp/linker.py", "vocab/aliases.py")
)


def _cache_dir() -> Path:
    base = os.environ.get("CHAINGRAPH_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "chaingraph"
    )
    return Path(base)


def _acronym_file(paths: list[Path]) -> Path | None:
    """The acronym table in the vocabularies' ``sources/`` folder, if there is one."""
    folder = paths[0].parent if paths else None
    path = folder / "sources" / ACRONYMS_FILE if folder else None
    return path if path is not None and path.exists() else None


def _add_segmenter_terms(segmenter, terms: list[str]) -> None:
    if segmenter is None:
        return
    for term in terms:
        segmenter.add_word(term)


def _word_logprob(lang: str):
    """Unigram log-probabilities of words in ``lang`` (spacy-lookups-data), or None if it has none."""
    from spacy.lookups import load_lookups

    try:
        table = load_lookups(lang, ["lexeme_prob"]).get_table("lexeme_prob")
    except (ValueError, KeyError):
        return None
    return lambda word: table.get(word, -99.0)


class ConceptLinker:
    """Link vocabulary labels in a ``Doc`` to concepts.

    Parameters
    ----------
    nlp:
        The pipeline; its tokenizer tokenises labels exactly as it tokenises text.
    vocab_path:
        Folder of SKOS vocabularies (``.ttl``/``.ttl.gz``); default ``ontologies/vocab``.
    class_priority:
        Order in which classes win when one label names concepts of several classes.
    scheme_priority:
        Order in which vocabularies win between concepts of the same class.
    min_score:
        Mentions scoring below this are dropped.
    generated_aliases:
        Also link forms derived from the labels (light-verb objects of skills, acronyms and
        their expansions, American spellings, irregular plurals; see
        :func:`~chaingraph.nlp.gazetteer.generated_labels`), as label kind ``GENERATED``, and
        reduce plurals with spaCy's lemma table as well as by rule ("buses" -> "bus").
        ``False`` links exactly as LINKER_VERSION 5 did. Default True.
    """

    def __init__(
        self,
        nlp: Language,
        name: str = "chaingraph_concepts",
        *,
        vocab_path: str | None = None,
        class_priority: list[str] | None = None,
        scheme_priority: list[str] | None = None,
        min_score: float = 0.0,
        generated_aliases: bool = True,
    ) -> None:
        self.name = name
        self.generated_aliases = generated_aliases
        self.lang = nlp.lang
        self.min_score = min_score
        self.class_rank = {c: i for i, c in enumerate(class_priority or CLASSES)}
        self.scheme_rank = {s: i for i, s in enumerate(scheme_priority or SCHEMES)}
        # Plural lemmas from spaCy's table are part of the wider matching, so the switch also
        # restores the rule-only norm of the spine linker.
        install_norm(nlp.vocab, lookup=generated_aliases)
        paths = vocab_files(Path(vocab_path) if vocab_path else None)
        acronyms = _acronym_file(paths) if generated_aliases else None
        self.gazetteer = self._load_gazetteer(nlp, paths, acronyms)
        # One match key for all labels: the matched span's norms name the label key again, and a
        # key per label would cost a vocabulary entry each (seconds at start-up for 200 k labels).
        self.matcher = PhraseMatcher(nlp.vocab, attr="NORM")
        self.matcher.add(self.name, list(self.gazetteer.iter_patterns()))
        entries = self.gazetteer.entries
        self._entries_by_pattern = {pattern: entries[key] for key, pattern in self.gazetteer.patterns.items()}
        self._word_flags = _WordFlags(nlp.vocab)
        self._labels: dict[tuple[int, ...], _Label] = {}  # matched label keys, by their norms

    def _load_gazetteer(self, nlp: Language, paths: list[Path], acronyms: Path | None) -> Gazetteer:
        langs = (self.lang,) if self.lang == "en" else (self.lang, "en")
        stop_labels = {lang: load_stop_labels(lang) for lang in langs}
        generated = ()
        if self.generated_aliases:
            generated = ("generated", acronyms.read_text(encoding="utf-8") if acronyms else "")
        # The code that builds the gazetteer is part of its key: a rule changed without a version
        # bump must never be served a gazetteer built by the old rule.
        key = fingerprint_files(
            [*paths, *_GAZETTEER_CODE],
            *langs,
            LINKER_VERSION,
            NORM_VERSION,
            *(w for lang in langs for w in sorted(stop_labels[lang])),
            *generated,
        )
        cache = _cache_dir() / f"gazetteer-{self.lang}-{key}.pickle"
        segmenter = getattr(nlp.tokenizer, "jieba_seg", None)
        if cache.exists():
            try:
                with cache.open("rb") as stream:
                    gazetteer = pickle.load(stream)
                _add_segmenter_terms(segmenter, gazetteer.segmenter_terms)
                return gazetteer
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
                pass  # a stale or broken cache is rebuilt below
        concepts = read_concepts(paths)
        # Vocabulary terms go into the segmenter before any label or text is cut into words,
        # so "工业机器人技术" stays one word on both sides.
        terms = segmenter_terms(concepts, self.lang) if segmenter is not None else []
        _add_segmenter_terms(segmenter, terms)
        tokenizer = nlp.tokenizer

        def tokenize(labels):
            for doc in tokenizer.pipe(" ".join(label.split()) for label in labels):
                tokens = [t for t in doc if not t.is_space]
                yield tuple(t.norm for t in tokens), " ".join(t.norm_ for t in tokens)

        policies = {lang: LabelPolicy(stop_labels[lang], _word_logprob(lang)) for lang in langs}
        derived, generic = [], ()
        if self.generated_aliases:
            from chaingraph.vocab.aliases import AcronymTable

            table = AcronymTable.read(acronyms) if acronyms else None
            derived = list(generated_labels(concepts, table))
            generic = table.expansion_of if table else ()
        gazetteer = Gazetteer(concepts, policies, tokenize, derived, generic)
        gazetteer.segmenter_terms = terms
        # Caching is an optimisation: a read-only home must not stop linking.
        with contextlib.suppress(OSError):
            dump_cache(gazetteer, cache)
        return gazetteer

    def __call__(self, doc: Doc) -> Doc:
        matches = self.matcher(doc)
        mentions: list[Mention] = []
        spans: list[Span] = []
        declined: list[tuple[int, int]] = []
        extensions = doc._  # made anew on every access: once is enough
        if matches:
            about = extensions.about
            info = self.gazetteer.concept(about) if about else None
            about_scheme = info.scheme if info else ""
            words = _Words(doc, self._word_flags)
            concepts = self.gazetteer.concepts
            labels = self._labels
            taken = bytearray(len(doc))
            longest = len(doc) + 1
            # Longest match first, then leftmost: "programmable logic controller" beats "controller".
            for _match_id, start, end in sorted(matches, key=lambda m: (m[1] - m[2]) * longest + m[1]):
                if taken.find(1, start, end) != -1:  # overlaps a longer match already taken
                    continue
                # The matched words' norms name the label key; tokens one by one, since most
                # matches are a word or two and a NORM column of the whole doc costs more.
                if end - start == 1:  # most matches: one token, read once for its norm and text
                    token = doc[start]
                    key = (token.norm,)
                else:
                    token = None
                    key = tuple([doc[i].norm for i in range(start, end)])
                label = labels.get(key)
                if label is None:
                    entries = self._entries_by_pattern.get(key)
                    if not entries:
                        continue
                    label = labels[key] = _Label(entries, concepts)
                candidates = label.entries
                if label.as_major:
                    candidates = [e for e in candidates if e.mode != NAMED_AS_MAJOR or words.called_a_major(end)]
                if label.industry and words.flags(end) & _MAJOR_WORD:
                    # "农业专业", "农业类": the field's name names a major or a group of majors here.
                    candidates = [e for e in candidates if concepts[e.concept].cls != "Industry"]
                if not candidates:
                    continue
                # A token's own text is the one-token span's: the span is made only for a match that
                # gets as far as its context (most declined ones are one word).
                if token is not None:
                    span, text = None, token.text
                else:
                    span = Span(doc, start, end)
                    text = span.text
                # Only occupations and programmes care whether the span is part of a name, and only
                # capitals make one.
                if label.title and not text.islower():
                    named = words.inside_a_name(start, end)
                    if named:
                        candidates = [
                            e for e in candidates if not _common_noun_in_a_name(e, concepts[e.concept].cls, named)
                        ]
                        if not candidates:
                            continue
                if not label.case_free:
                    sentence_initial = label.proper_name and words.sent_start(start)
                    if candidates is label.entries:  # the usual case: what fits depends on the text alone
                        case = (text, sentence_initial)
                        fitting = label.fitting.get(case)
                        if fitting is None:
                            fitting = label.fitting[case] = _fitting(candidates, text, sentence_initial)
                        candidates = fitting
                    else:
                        candidates = _fitting(candidates, text, sentence_initial)
                    if not candidates:
                        declined.append((start, end))  # written otherwise than the name ("polish", "it")
                        continue
                if span is None:
                    span = Span(doc, start, end)
                match = Match(span, text)
                kept = [e for e in candidates if not read_otherwise(match, e, concepts[e.concept])]
                if len(kept) < len(candidates):
                    if not kept:
                        declined.append((start, end))  # the fuzzy linker must not link these words either
                        continue
                    candidates = kept
                chosen = self._choose(label, candidates, about_scheme, about)
                if chosen[3] < self.min_score:
                    continue
                taken[start:end] = b"\x01" * (end - start)
                mentions.append(Mention(span.start_char, span.end_char, text, *chosen))
                span.label_, span.kb_id_ = chosen[2], chosen[0]
                spans.append(span)
            mentions.sort()
            spans.sort()
        extensions.mentions = mentions
        extensions.declined = declined
        doc.spans[self.name] = spans
        return doc

    def _choose(
        self, label: _Label, candidates: list, about_scheme: str, about: str | None = None
    ) -> tuple[str, str, str, float, tuple]:
        """``(concept, label, class, score, alternatives)`` of the best of ``candidates`` (entries of ``label``).

        The choice depends on the candidates, the subject's scheme and, when the label can name
        the subject itself, the subject; so each label keeps the choices it made.
        """
        key = about_scheme if candidates is label.entries else (tuple(candidates), about_scheme)
        if about is not None and about in label.iris:
            key = (key, about)
        else:
            about = None
        chosen = label.chosen.get(key)
        if chosen is None:
            chosen = label.chosen[key] = self._rank(candidates, about_scheme, about)
        return chosen

    def _rank(self, candidates: list, about_scheme: str, about: str | None) -> tuple[str, str, str, float, tuple]:
        concepts = self.gazetteer.concepts
        # The document's own subject, named in it as well as any other concept ("# Computer Science"
        # atop CIP 11.0701), is that subject; not through a lesser label ("welding engineers" is an
        # altLabel of Materials Engineers but the prefLabel of ESCO's welding engineer).
        if about is not None:
            best = min(e.kind for e in candidates)
            candidates = [e for e in candidates if e.kind == best and concepts[e.concept].iri == about] or candidates

        def rank(entry):
            c = concepts[entry.concept]
            return (
                entry.kind,
                self.class_rank.get(c.cls, 99),
                c.scheme != about_scheme,
                self.scheme_rank.get(c.scheme, 99),
                c.iri,
            )

        candidates = sorted(candidates, key=rank)
        best = candidates[0]
        chosen = concepts[best.concept]
        score = _BASE_SCORE[best.kind]
        others = []
        for entry in candidates[1:]:
            other = concepts[entry.concept]
            if other.iri != chosen.iri and other.iri not in others:
                others.append(other.iri)
                if entry.kind == best.kind:
                    factor = _SAME_CLASS_AMBIGUITY if other.cls == chosen.cls else _CROSS_CLASS_AMBIGUITY
                    score = min(score, _BASE_SCORE[best.kind] * factor)
        return chosen.iri, chosen.label(self.lang), chosen.cls, round(score, 3), tuple(others)


class _Label:
    """The concepts one label key can name, and what the linker's tests need to know of them.

    Made once per label key the text matches, so the tests ask a flag instead of looking at
    every candidate of every match.
    """

    __slots__ = ("entries", "iris", "as_major", "industry", "title", "case_free", "proper_name", "chosen", "fitting")

    def __init__(self, entries: list, concepts: list) -> None:
        self.entries = entries
        self.iris = frozenset(concepts[e.concept].iri for e in entries)
        modes = {e.mode for e in entries}
        classes = {concepts[e.concept].cls for e in entries}
        self.as_major = NAMED_AS_MAJOR in modes
        self.industry = "Industry" in classes
        self.title = bool(classes & _TITLE_CLASSES)
        self.case_free = modes <= {ANY_CASE, NAMED_AS_MAJOR}
        self.proper_name = PROPER_NAME in modes
        # What _choose chose: by the subject's scheme when all entries are candidates, else by
        # (candidates, scheme).
        self.chosen: dict = {}
        self.fitting: dict = {}  # (text, sentence-initial) -> the entries whose case the text fits


def _fitting(entries: list, text: str, sentence_initial: bool) -> list:
    """The entries that may link ``text``: any-case ones, and the others whose case it has."""
    return [e for e in entries if e.mode in (ANY_CASE, NAMED_AS_MAJOR) or _case_fits(e, text, sentence_initial)]


def _case_fits(entry, text: str, sentence_initial: bool) -> bool:
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)  # full-width "ＳＱＬ" is "SQL"
    if " " in text or "\n" in text:
        text = " ".join(text.split())
    same = text == entry.text or text == entry.text + "s"  # "PLCs" for "PLC"
    if entry.mode == EXACT_CASE:
        return same
    # PROPER_NAME: capitalised as the name, and not merely capitalised by starting a sentence.
    return same and not sentence_initial


@Language.factory(
    "chaingraph_concepts",
    default_config={
        "vocab_path": None,
        "class_priority": None,
        "scheme_priority": None,
        "min_score": 0.0,
        "generated_aliases": True,
    },
)
def make_concept_linker(
    nlp: Language,
    name: str,
    vocab_path: str | None,
    class_priority: list[str] | None,
    scheme_priority: list[str] | None,
    min_score: float,
    generated_aliases: bool,
) -> ConceptLinker:
    """Create the concept linker (see :class:`ConceptLinker` for the settings)."""
    return ConceptLinker(
        nlp,
        name,
        vocab_path=vocab_path,
        class_priority=class_priority,
        scheme_priority=scheme_priority,
        min_score=min_score,
        generated_aliases=generated_aliases,
    )
