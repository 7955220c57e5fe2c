"""The concepts and labels the linker knows, read from the SKOS vocabularies.

A :class:`Gazetteer` holds every concept (IRI, class, scheme, code, preferred labels) and, per
normalised label key, the concepts that carry that label and how (preferred, alternative or hidden
label, or a form generated from the labels: :func:`generated_labels`). Labels too generic to
link on their own ("management", "design") are kept out by a stop-list; short acronyms whose
lower case is a common word ("IT") are kept but matched only with their exact case.
"""

from __future__ import annotations

import gzip
import hashlib
import pickle
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pyoxigraph as ox

from chaingraph.nlp.loose_labels import loose_labels
from chaingraph.rdf.namespaces import CG, CLASSES, RDF, SCHEMES, SKOS
from chaingraph.resources import ontologies_dir, vocab_dir

__all__ = [
    "LabelPolicy",
    "segmenter_terms",
    "ConceptInfo",
    "LabelEntry",
    "Gazetteer",
    "PREF",
    "ALT",
    "HIDDEN",
    "GENERATED",
    "generated_labels",
    "read_concepts",
    "load_stop_labels",
    "vocab_files",
]

#: Label kinds, best first. GENERATED labels are not in the vocabulary: the linker derives them
#: from its labels (:func:`generated_labels`) and they never outrank a vocabulary label.
PREF, ALT, HIDDEN, GENERATED = 0, 1, 2, 3
_KIND_OF_PREDICATE = {SKOS + "prefLabel": PREF, SKOS + "altLabel": ALT, SKOS + "hiddenLabel": HIDDEN}
_CLASS_OF_TYPE = {CG + cls: cls for cls in CLASSES}
_PREFIX_OF_SCHEME = {scheme: prefix for prefix, (scheme, _ns) in SCHEMES.items()}
_NOT_A_LABEL = re.compile(r"^[\W\d_]*$")  # punctuation and digits only
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9&]{1,5}$")
#: Residual classes ("Other Manufacturing", "其他法律服务") hold what a classification leaves over.
_RESIDUAL = ("Other ", "其他")
_UNKNOWN_WORD = -20.0  # below any word the English unigram table knows
_TITLE_WORDS = re.compile(r"^(?:[A-Z0-9][\w.+#/&'-]*)(?:\s+[A-Z0-9][\w.+#/&'-]*)*$")  # every word capitalised


@dataclass(slots=True)
class ConceptInfo:
    """One concept the linker can link to."""

    iri: str
    cls: str = ""
    scheme: str = ""
    notation: str | None = None
    pref_labels: dict[str, str] = field(default_factory=dict)
    labels: list[tuple[str, str, int]] = field(default_factory=list)  # (text, lang, kind)

    def label(self, lang: str = "en") -> str:
        """The preferred label in ``lang``, else in English, else any, else the IRI."""
        return (
            self.pref_labels.get(lang)
            or self.pref_labels.get("en")
            or next(iter(self.pref_labels.values()), None)
            or self.iri
        )


#: How a label must appear in text to link (LabelEntry.mode).
ANY_CASE, EXACT_CASE, PROPER_NAME, NAMED_AS_MAJOR = 0, 1, 2, 3

_ROMAN = re.compile(r"^(?=[ivxlc]+$)c{0,3}(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$", re.IGNORECASE)
_EDGE_WORDS = frozenset(
    ["and", "or", "of", "for", "to", "in", "on", "with", "by", "at", "from", "as", "the", "a", "an"]
)
#: Single-word alternative labels at least this common in English are left out: ESCO lists
#: "determination", "initiative", "conduct" as synonyms of competences, O*NET "Register",
#: "Charter" as job titles; in running text these words are almost never the concept.
COMMON_ALT_WORD = -13.7
#: Single-word technology names at least this common are English words too ("Python", "Excel",
#: "Forth"): they link only capitalised as the name and not at the start of a sentence.
COMMON_TECH_WORD = -14.5


class LabelEntry(NamedTuple):
    """A concept reachable through one label key."""

    concept: int  # index into Gazetteer.concepts
    kind: int  # PREF, ALT or HIDDEN
    text: str  # the label as written in the vocabulary
    mode: int  # ANY_CASE, EXACT_CASE (acronyms) or PROPER_NAME (capitalised, not sentence-initial)


class LabelPolicy:
    """Decides whether and how a vocabulary label may link on its own.

    Multi-word labels link in any case unless they are on the stop-list. Single words need more
    care, because vocabularies hold many everyday words as labels:

    * programme names link only written as titles, as the vocabulary writes them, and Chinese
      major names only where the clause calls them a major (专业);
    * all-capital acronyms ("SQL", "PLC", "IT") link only in capitals (a plural "PLCs" too);
    * single letters and Roman numerals ("C", "II") never link alone;
    * stop-listed words never link (except as acronyms, above);
    * with ``word_logprob`` (case-sensitive English unigram log-probabilities): common words
      used as alternative or hidden labels are dropped (``COMMON_ALT_WORD``), and technology
      names that are also English words link only as proper names, and only if English writes
      them capitalised more often than not (``COMMON_TECH_WORD``); so do skills ESCO writes
      capitalised ("Angular", "Polish"), since ESCO writes every other skill in lower case;
    * technology names written as titles ("Adapt It", "Power Systems") link only as written, and
      capitalised single-word alternatives that are English words ("Encoder") only as names;
    * residual industry classes ("Other Manufacturing", "其他法律服务") never link.
    """

    def __init__(self, stop_labels: set[str], word_logprob=None) -> None:
        self.stop_labels = stop_labels
        self.word_logprob = word_logprob

    def match_mode(self, text: str, key: str, n_tokens: int, kind: int, cls: str) -> int | None:
        """``ANY_CASE``, ``EXACT_CASE`` or ``PROPER_NAME``; None when the label must not link alone."""
        words = key.split()
        if words[0] in _EDGE_WORDS or words[-1] in _EDGE_WORDS:
            return None  # a fragment such as "and procedures"
        if cls == "Industry" and text.startswith(_RESIDUAL):
            return None  # "other manufacturing", "其他法律": in text these words are "other …"
        if cls == "Programme":
            if key in self.stop_labels or _ROMAN.match(text):
                return None
            if _HAN.search(text):
                # A Chinese major's name is also the name of its field ("工业互联网技术"): it names
                # the major only where the clause calls it one ("…技术专业", "…、…等专业").
                return ANY_CASE if text.endswith("专业") else NAMED_AS_MAJOR
            # Programme names are titles: "Computer Science" names the programme, while
            # "computer science" or "architecture" in running text names the subject.
            return EXACT_CASE if n_tokens > 1 else PROPER_NAME
        if cls == "Technology" and n_tokens > 1 and _TITLE_WORDS.match(text):
            # A product's name written as a title links as written: "adapt it" and "power systems"
            # in lower case are common words.
            return None if key in self.stop_labels else EXACT_CASE
        if n_tokens > 1:
            return None if key in self.stop_labels else ANY_CASE
        if len(text) < 2 or _ROMAN.match(text):
            return None
        if _ACRONYM.match(text):
            return EXACT_CASE
        if key in self.stop_labels:
            return None
        if self.word_logprob is None:
            return ANY_CASE
        logprob = max(self.word_logprob(text.lower()), self.word_logprob(key))
        # ESCO writes skills in lower case: a capitalised one is a name ("Angular", "Polish").
        skill_name = cls == "Skill" and kind == PREF and text[:1].isupper()
        if (cls == "Technology" or skill_name) and logprob > COMMON_TECH_WORD:
            # A product name that is also a word: keep it only where English writes it capitalised
            # more often than not ("Python", "Linux", "Oracle"; not "Director", "Library").
            capitalised = self.word_logprob(text[:1].upper() + text[1:])
            named = text[:1].isupper() and (skill_name or capitalised >= self.word_logprob(text.lower()))
            return PROPER_NAME if named and kind != HIDDEN else None
        if kind != PREF and logprob > COMMON_ALT_WORD:
            return None
        if cls == "Technology" and kind != PREF and text[:1].isupper() and logprob > _UNKNOWN_WORD:
            return PROPER_NAME  # "Encoder" of "3M Encoder": "encoders" are any encoders
        return ANY_CASE


def vocab_files(directory: Path | None = None) -> list[Path]:
    """The vocabulary files in ``directory`` (default ``ontologies/vocab``), sorted by name."""
    directory = directory or vocab_dir()
    return sorted(p for p in directory.iterdir() if p.name.endswith((".ttl", ".ttl.gz", ".nt", ".nt.gz")))


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")


def _format(path: Path) -> ox.RdfFormat:
    name = path.name.removesuffix(".gz")
    return ox.RdfFormat.N_TRIPLES if name.endswith(".nt") else ox.RdfFormat.TURTLE


def read_concepts(paths: Iterable[Path]) -> list[ConceptInfo]:
    """Every typed concept in the SKOS files ``paths``, with its labels, class, scheme and code."""
    concepts: dict[str, ConceptInfo] = {}

    def info(iri: str) -> ConceptInfo:
        found = concepts.get(iri)
        if found is None:
            found = concepts[iri] = ConceptInfo(iri)
        return found

    rdf_type, in_scheme, notation = RDF + "type", SKOS + "inScheme", SKOS + "notation"
    for path in paths:
        with _open(path) as stream:
            for triple in ox.parse(stream, format=_format(path)):
                predicate = triple.predicate.value
                subject = triple.subject
                if not isinstance(subject, ox.NamedNode):
                    continue
                kind = _KIND_OF_PREDICATE.get(predicate)
                if kind is not None:
                    literal = triple.object
                    lang = literal.language or "en"
                    concept = info(subject.value)
                    concept.labels.append((literal.value, lang, kind))
                    if kind == PREF:
                        concept.pref_labels.setdefault(lang, literal.value)
                elif predicate == rdf_type:
                    cls = _CLASS_OF_TYPE.get(triple.object.value)
                    if cls:
                        info(subject.value).cls = cls
                elif predicate == in_scheme:
                    prefix = _PREFIX_OF_SCHEME.get(triple.object.value)
                    if prefix and not info(subject.value).scheme:
                        info(subject.value).scheme = prefix
                elif predicate == notation:
                    info(subject.value).notation = triple.object.value
    return [c for c in concepts.values() if c.cls]


_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def segmenter_terms(concepts: list[ConceptInfo], lang: str) -> list[str]:
    """The labels in ``lang`` that hold Han characters: words a Chinese segmenter must not split.

    Programme names are left out: a major's name is its field's term plus a suffix
    ("工业互联网" + "技术"), and as one word it would hide the field's term wherever the name
    does not stand for the major. They still match, as the same sequence of words.
    """
    terms = {
        " ".join(text.split())
        for c in concepts
        if c.cls != "Programme"
        for text, label_lang, _ in c.labels
        if label_lang.split("-")[0] == lang and _HAN.search(text) and len(text.strip()) > 1
    }
    return sorted(terms)


def generated_labels(concepts: list[ConceptInfo], acronyms=None) -> Iterator[tuple[int, str, str]]:
    """English labels derived from the vocabulary's own, as ``(concept index, text, "en")``.

    Forms people write that the vocabularies do not list: the object of a skill that opens with
    a light verb ("use CAD software" -> "CAD software"), acronyms and expansions swapped through
    ``acronyms`` (an :class:`~chaingraph.vocab.aliases.AcronymTable`), American spellings of
    British labels ("organise" -> "organize") and irregular plurals ("analysis" -> "analyses"),
    the last two not for technologies (product names). Programme names are titles and get none.
    Whether a form may link at all is still the :class:`LabelPolicy`'s decision.
    """
    from chaingraph.nlp.normalize import irregular_plural_of, spelling_variant
    from chaingraph.vocab.aliases import irregular_plural, respelled, verb_object_aliases

    for i, c in enumerate(concepts):
        if c.cls == "Programme":
            continue
        seen: set[str] = set()
        for text, lang, kind in c.labels:
            if lang.split("-")[0] != "en":
                continue
            forms = []
            if c.cls == "Skill":
                # An alternative label may drift from the concept ("use public transportation" is
                # an altLabel of "adopt ways to reduce pollution"): its object must be in the prefLabel,
                # and the prefLabel must be that object's use ("use production schedules" is an
                # altLabel of "follow production schedule": the schedules are not the competence).
                pref = c.label("en")
                forms.extend(obj for obj in verb_object_aliases(text) if kind == PREF or _names_its_use(obj, pref))
            if acronyms is not None:
                # Spelling an acronym out inside a product name ("SQL Server") names no product.
                forms.extend(acronyms.aliases(text, spell_out=c.cls in ("Skill", "Occupation")))
            # A product keeps its own spelling and number: "Sceptre" is no "Scepter", and
            # "Failure analysis software" is a product while "failure analyses" are not.
            if c.cls != "Technology":
                for form in [text, *forms]:
                    variants = (respelled(form, spelling_variant), irregular_plural(form, irregular_plural_of))
                    forms.extend(v for v in variants if v)
            for form in forms:
                key = form.casefold()
                if key not in seen:
                    seen.add(key)
                    yield i, form, "en"


def _words_in(phrase: str, label: str) -> bool:
    """Whether every word of ``phrase`` is a word of ``label`` (ignoring case and plural -s)."""
    from chaingraph.nlp.normalize import light_norm

    words = {light_norm(w) for w in re.findall(r"\w+", label)}
    return all(light_norm(w) in words for w in re.findall(r"\w+", phrase))


def _names_its_use(obj: str, pref: str) -> bool:
    """Whether ``pref`` is ``obj`` or its use: its other words are light verbs and function words.

    >>> _names_its_use("CAD software", "use CAD software"), _names_its_use("SQL", "SQL")
    (True, True)
    >>> _names_its_use("production schedules", "follow production schedule")
    False
    """
    from chaingraph.nlp.normalize import light_norm
    from chaingraph.vocab.aliases import LIGHT_VERBS

    if not _words_in(obj, pref):
        return False
    allowed = {w for verb in LIGHT_VERBS for w in verb.split()} | _EDGE_WORDS
    allowed |= {light_norm(w) for w in re.findall(r"\w+", obj)}
    return all(light_norm(w) in allowed for w in re.findall(r"\w+", pref))


def _vendor_stripped(text: str, concept: ConceptInfo) -> bool:
    """Whether ``text`` is a product name left by removing a vendor from the technology's preferred label.

    "Virtual Server" (of "Microsoft Virtual Server") names the product only as written: in lower
    case, "virtual servers" are any virtual servers.
    """
    if concept.cls != "Technology" or not any(ch.isupper() for ch in text):
        return False
    pref = concept.pref_labels.get("en", "")
    return pref != text and pref.endswith(" " + text) and pref[: -len(text) - 1][:1].isupper()


def load_stop_labels(lang: str = "en", directory: Path | None = None) -> set[str]:
    """Label keys too generic to link alone, from ``ontologies/stoplabels-<lang>.txt`` (one per line, # comments)."""
    path = (directory or ontologies_dir()) / f"stoplabels-{lang}.txt"
    if not path.exists():
        return set()
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.add(line.lower())
    return words


class Gazetteer:
    """Concepts and the label keys that reach them, for the label languages of one pipeline.

    Parameters
    ----------
    concepts:
        The concepts, as read by :func:`read_concepts`.
    policies:
        Label language -> the :class:`LabelPolicy` for its labels; labels in other languages are
        not indexed. A Chinese pipeline indexes Chinese and English labels, since Chinese texts
        name many technologies in English ("PLC", "Python").
    tokenize:
        Turns labels into ``(pattern, key)`` pairs: the label's token ``NORM`` hashes and the
        normalised key (norms joined by spaces) the text side will produce. The linker passes
        its spaCy tokenizer here so both sides agree.
    generated:
        ``(concept index, text, lang)`` labels derived from the vocabulary's own
        (:func:`generated_labels`), indexed as ``GENERATED`` under keys that no vocabulary label
        holds: where a curated label already names something, a derived form is more likely wrong.
    generic_acronyms:
        Acronyms of common terms (the acronym table's: "CNC", "PLC"). Left over from a product's
        name once its vendor is removed ("FANUC CNC"), they do not name that product. Multi-word
        names left so ("Virtual Server") link only as written.
    """

    def __init__(
        self,
        concepts: list[ConceptInfo],
        policies: dict[str, LabelPolicy],
        tokenize,
        generated: Iterable[tuple[int, str, str]] = (),
        generic_acronyms: Iterable[str] = (),
    ) -> None:
        self.langs = tuple(policies)
        self.generic_acronyms = frozenset(generic_acronyms)
        self.concepts = concepts
        self.index_of = {c.iri: i for i, c in enumerate(concepts)}
        self.entries: dict[str, list[LabelEntry]] = {}
        self.patterns: dict[str, tuple[int, ...]] = {}  # key -> NORM hashes of its tokens
        self.dropped_generic = 0
        # "educator" of "zoo educator", "Equipment Operator" of fifteen O*NET occupations,
        # "sustainability" of "environmental engineering".
        loose = loose_labels(
            (i, c.cls, c.scheme, text, kind, c.pref_labels.get("en", ""))
            for i, c in enumerate(concepts)
            for text, label_lang, kind in c.labels
            if label_lang.split("-")[0] == "en"
        )
        labels = [
            (i, text.strip(), kind, policies[label_lang.split("-")[0]])
            for i, c in enumerate(concepts)
            for text, label_lang, kind in c.labels
            if label_lang.split("-")[0] in policies
            and not _NOT_A_LABEL.match(text)
            and len(text.strip()) > 1
            and (i, text) not in loose
        ]
        self._index(concepts, labels, tokenize)
        self.generated = 0
        extra = [
            (i, text, GENERATED, policies[lang.split("-")[0]])
            for i, text, lang in generated
            if lang.split("-")[0] in policies and not _NOT_A_LABEL.match(text) and len(text.strip()) > 1
        ]
        if extra:
            curated = set(self.entries)
            self.generated = self._index(concepts, extra, tokenize, skip=curated)
        for c in concepts:
            c.labels = []  # only needed while indexing; keeps the cached gazetteer small

    def _index(self, concepts, labels, tokenize, skip: set[str] = frozenset()) -> int:
        """Index ``(concept, text, kind, policy)`` labels; keys in ``skip`` are left alone."""
        added = 0
        tokens = tokenize(label[1] for label in labels)
        for (i, text, kind, policy), (pattern, key) in zip(labels, tokens, strict=True):
            if not key or key in skip:
                continue
            mode = policy.match_mode(text, key, len(pattern), kind, concepts[i].cls)
            if mode is None:
                self.dropped_generic += 1
                continue
            if kind != PREF and _vendor_stripped(text, concepts[i]):
                if text in self.generic_acronyms:
                    # "CNC" of "FANUC CNC" is any computer numerical control, not the vendor's product.
                    self.dropped_generic += 1
                    continue
                if mode == ANY_CASE and " " in text:
                    mode = EXACT_CASE
            bucket = self.entries.setdefault(key, [])
            if any(e.concept == i for e in bucket) and kind == GENERATED:
                continue  # another derived form of the same concept already holds the key
            entry = LabelEntry(i, kind, text, mode)
            if entry not in bucket:
                bucket.append(entry)
                added += 1
            self.patterns.setdefault(key, pattern)
        return added

    def __len__(self) -> int:
        return len(self.concepts)

    def concept(self, iri: str) -> ConceptInfo | None:
        """The concept with this IRI, if the gazetteer holds it."""
        index = self.index_of.get(iri)
        return None if index is None else self.concepts[index]

    def counts_by_class(self) -> dict[str, int]:
        """How many concepts of each class the gazetteer holds."""
        counts = dict.fromkeys(CLASSES, 0)
        for c in self.concepts:
            counts[c.cls] += 1
        return counts

    def iter_patterns(self) -> Iterator[tuple[int, ...]]:
        """The token NORM hashes of every label key, for the phrase matcher."""
        return iter(self.patterns.values())


def fingerprint_files(paths: Iterable[Path], *extra: str) -> str:
    """A hash over the files' contents and ``extra`` strings: the key of a cached gazetteer."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for item in extra:
        digest.update(item.encode())
    return digest.hexdigest()[:24]


def dump_cache(obj: object, path: Path) -> None:
    """Write ``obj`` to ``path`` atomically (a half-written cache must never be read)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("wb") as out:
        pickle.dump(obj, out, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
