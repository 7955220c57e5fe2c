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

from spacy.attrs import NORM
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from chaingraph.nlp.context import read_otherwise
from chaingraph.nlp.gazetteer import (
    ALT,
    ANY_CASE,
    EXACT_CASE,
    GENERATED,
    HIDDEN,
    NAMED_AS_MAJOR,
    PREF,
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
LINKER_VERSION = "8"

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

    def _load_gazetteer(self, nlp: Language, paths: list[Path], acronyms: Path | None) -> Gazetteer:
        langs = (self.lang,) if self.lang == "en" else (self.lang, "en")
        stop_labels = {lang: load_stop_labels(lang) for lang in langs}
        generated = ()
        if self.generated_aliases:
            generated = ("generated", acronyms.read_text(encoding="utf-8") if acronyms else "")
        key = fingerprint_files(
            paths,
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
        if matches:
            about = doc._.about
            info = self.gazetteer.concept(about) if about else None
            about_scheme = info.scheme if info else ""
            # Plain arrays, not Token objects: a Python object per token would cost more than matching.
            norms = doc.to_array(NORM)
            concepts = self.gazetteer.concepts

            def concepts_cls(entry):
                return concepts[entry.concept].cls

            taken = bytearray(len(doc))
            # Longest match first, then leftmost: "programmable logic controller" beats "controller".
            for _match_id, start, end in sorted(matches, key=lambda m: (m[1] - m[2], m[1])):
                if any(taken[start:end]):
                    continue
                candidates = self._entries_by_pattern.get(tuple(norms[start:end].tolist()))
                if not candidates:
                    continue
                span = doc[start:end]
                if any(e.mode == NAMED_AS_MAJOR for e in candidates):
                    candidates = [e for e in candidates if e.mode != NAMED_AS_MAJOR or _called_a_major(doc, end)]
                if end < len(doc) and doc[end].text in _MAJOR_WORDS:
                    # "农业专业", "农业类": the field's name names a major or a group of majors here.
                    candidates = [e for e in candidates if concepts_cls(e) != "Industry"]
                    if not candidates:
                        continue
                named = _inside_a_name(doc, start, end)
                if named:
                    candidates = [e for e in candidates if not _common_noun_in_a_name(e, concepts_cls(e), named)]
                    if not candidates:
                        continue
                candidates = [e for e in candidates if not read_otherwise(doc, start, end, e, concepts[e.concept])]
                if not candidates:
                    declined.append((start, end))  # the fuzzy linker must not link these words either
                    continue
                mention = self._choose(
                    span.text, span.start_char, span.end_char, span[0].is_sent_start, candidates, about_scheme, about
                )
                if mention is None:
                    declined.append((start, end))  # written otherwise than the name ("polish", "it")
                    continue
                if mention.score < self.min_score:
                    continue
                taken[start:end] = b"\x01" * (end - start)
                mentions.append(mention)
                spans.append(Span(doc, start, end, label=mention.cls, kb_id=mention.concept))
            mentions.sort()
            spans.sort()
        doc._.mentions = mentions
        doc._.declined = declined
        doc.spans[self.name] = spans
        return doc

    def _choose(
        self,
        text: str,
        start: int,
        end: int,
        sentence_initial: bool,
        entries: list,
        about_scheme: str,
        about: str | None = None,
    ) -> Mention | None:
        candidates = [
            e for e in entries if e.mode in (ANY_CASE, NAMED_AS_MAJOR) or _case_fits(e, text, sentence_initial)
        ]
        if not candidates:
            return None
        concepts = self.gazetteer.concepts
        # The document's own subject, named in it as well as any other concept ("# Computer Science"
        # atop CIP 11.0701), is that subject; not through a lesser label ("welding engineers" is an
        # altLabel of Materials Engineers but the prefLabel of ESCO's welding engineer).
        best = min(e.kind for e in candidates)
        own = [e for e in candidates if e.kind == best and concepts[e.concept].iri == about]
        candidates = own or candidates

        def rank(entry):
            c = concepts[entry.concept]
            return (
                entry.kind,
                self.class_rank.get(c.cls, 99),
                c.scheme != about_scheme,
                self.scheme_rank.get(c.scheme, 99),
                c.iri,
            )

        candidates.sort(key=rank)
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
        return Mention(
            start, end, text, chosen.iri, chosen.label(self.lang), chosen.cls, round(score, 3), tuple(others)
        )


_MAJOR_WORDS = frozenset(["专业", "类", "专业类"])
_CLAUSE_END = frozenset("，。；！？,;!?\n")


def _called_a_major(doc: Doc, end: int, window: int = 12) -> bool:
    """Whether "专业" follows within the clause: "开设工业机器人技术、数控技术等专业"."""
    for token in doc[end : end + window]:
        if "专业" in token.text:
            return True
        if token.text in _CLAUSE_END or "\n" in token.text:
            return False
    return False


# Words after a capitalised programme name that still leave it the programme's name.
_PROGRAMME_NOUNS = frozenset(
    ["program", "programme", "programs", "programmes", "degree", "diploma", "certificate", "major", "course"]
    + ["courses", "pathway", "option", "concentration", "track", "curriculum", "aas", "as", "bs", "ba"]
)
_LOWER_JOINERS = frozenset(["of", "for", "and", "on", "the", "&"])
#: A sentence whose words are at least this share capitalised is a heading or title, where
#: capitals say nothing about names ("Welding Safety and Quality Control").
_HEADING_CAPITALS = 0.6
_HEADING_MAX_TOKENS = 40
TITLE_IN_A_NAME, TITLE_IN_TEXT = 2, 1
_TITLE_CLASSES = frozenset(["Occupation", "Programme"])


def _title_cased(token) -> bool:
    text = token.text
    return text[:1].isupper() and not text.isupper() if text[:1].isalpha() else False


def _inside_a_name(doc: Doc, start: int, end: int) -> int:
    """How a Title-Cased span sits in running text: 0 (not so), ``TITLE_IN_TEXT`` or ``TITLE_IN_A_NAME``.

    Only words capitalised in the middle of a sentence that is not itself a heading count:
    "the Secretary" (``TITLE_IN_TEXT``), "Comptroller General", "Higher Education Act",
    "Secretary of Education" (``TITLE_IN_A_NAME``: the span runs on into more capitalised words).
    """
    words = [t for t in doc[start:end] if t.is_alpha]
    if not words or not all(_title_cased(t) for t in words) or doc[start].is_sent_start:
        return 0
    try:
        sentence = doc[start].sent
    except ValueError:  # no sentence boundaries (the linker used without the sentence stage)
        sentence = doc[:]
    # A heading is short and has no full stop; a sentence of a law full of names ("the Comptroller
    # General of the United States shall submit ... to the Committee on ...") has one. Long
    # unpunctuated runs (lists) are not headings either, and scanning them would cost dearly.
    if len(sentence) <= _HEADING_MAX_TOKENS and not sentence.text.rstrip().endswith("."):
        # The span itself and the sentence's first word are capitalised whatever the sentence is.
        content = [
            t
            for t in sentence
            if t.is_alpha
            and not t.is_sent_start
            and not start <= t.i < end
            and t.text.lower() not in _LOWER_JOINERS
            and len(t) > 2
        ]
        capitals = sum(_title_cased(t) or t.text.isupper() for t in content)
        if content and capitals >= _HEADING_CAPITALS * len(content):
            return 0
    before = doc[start - 1] if start > 0 else None
    if before is not None and not before.is_sent_start and _title_cased(before):
        return TITLE_IN_A_NAME
    after = end
    while after < len(doc) and after < end + 2 and doc[after].text.lower() in _LOWER_JOINERS:
        after += 1  # "Secretary of Education", "Department of Labor"
    if after < len(doc) and _title_cased(doc[after]) and doc[end].text.lower() not in _PROGRAMME_NOUNS:
        return TITLE_IN_A_NAME
    return TITLE_IN_TEXT


def _common_noun_in_a_name(entry, cls: str, named: int) -> bool:
    """Whether a Title-Cased span in running text must not link to ``entry``.

    Only occupations and programmes: their names are what offices, acts and institutions are
    named after, while a skill capitalised for emphasis ("Programmable Logic Controllers") is
    still the skill. A label the vocabulary writes in lower case is a common noun ("secretary"):
    capitalised inside a sentence it is a title or part of a name ("the Secretary"). Labels the
    vocabulary writes capitalised (O*NET and CIP titles) say nothing by their case; they are left
    out only where the capitals run on into a longer name ("Comptroller General", "Higher
    Education Act").
    """
    if cls not in _TITLE_CLASSES:
        return False
    if not any(ch.isupper() for ch in entry.text):
        return True
    return named == TITLE_IN_A_NAME


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
