"""Chinese labels: the rules a clean Chinese term follows, and the curated core -> ``zh.ttl.gz``.

A concept is one node whether a Chinese regulation or an English standard names it, so Chinese
terms are put on the existing English concepts rather than minted anew. Two committed files
under ``ontologies/vocab/sources`` say how:

* ``zh_core_labels.csv`` (``iri, class, zh_pref, zh_alt, en_label, decision``): Chinese labels for
  ESCO, O*NET and CIP concepts. ``decision`` opens with one word: ``exact`` (the concept has this
  meaning: ``zh_pref`` becomes its ``skos:prefLabel``@zh), ``broader`` or ``narrower`` (the
  nearest concept is broader or narrower than the Chinese term: the term becomes an
  ``skos:altLabel``@zh only, so the concept is never named by a term that does not fit it), or
  ``minted`` (the concept is one of the emerging technologies below); a note may follow ``:``.
* ``emerging_tech.csv`` (``slug, zh_pref, zh_alt, en_pref, en_alt, definition_en,
  close_match_iris, note``): innovation-chain concepts that ESCO, O*NET and CIP lack ("new energy
  vehicle"), minted as ``cg:Technology`` at ``concept_iri("cg", slug)`` with labels in both
  languages and ``skos:closeMatch`` links to the nearest existing concepts.

The build checks the files against the built English vocabularies and fails loudly: every
mapped IRI exists with the stated class and English prefLabel, no concept gets two
prefLabels@zh, and no two concepts of one class share a zh prefLabel.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from chaingraph.rdf.namespaces import CG, CLASSES, DCTERMS, RDF, SKOS, concept_iri, scheme_iri, slug
from chaingraph.vocab.skos import (
    ConceptRecord,
    VocabGraph,
    VocabImportError,
    VocabStats,
    checked_iri,
    clean_label,
    read_rows,
    require_file,
)

__all__ = [
    "ZH_CORE_FILE",
    "EMERGING_TECH_FILE",
    "ENGLISH_VOCABULARIES",
    "DECISIONS",
    "clean_zh_label",
    "zh_label_problem",
    "without_parentheticals",
    "CoreMapping",
    "EmergingTech",
    "EnglishConcept",
    "read_core_mappings",
    "read_emerging_techs",
    "read_english_concepts",
    "import_zh",
]

ZH_CORE_FILE = "zh_core_labels.csv"
EMERGING_TECH_FILE = "emerging_tech.csv"
#: The built vocabularies whose concepts the curated labels attach to.
ENGLISH_VOCABULARIES = ("esco.ttl.gz", "onet.ttl.gz", "cip.ttl.gz")
#: Built Chinese vocabularies whose zh prefLabels are compared with the curated ones (report only).
_CHINESE_VOCABULARIES = ("cnmajor.ttl.gz", "gbt4754.ttl.gz")
#: The first word of ``decision``.
DECISIONS = ("exact", "broader", "narrower", "minted")

_SOURCE = "chaingraph curated labels: ontologies/vocab/sources/zh_core_labels.csv and emerging_tech.csv"
_LICENSE = "Apache-2.0, as chaingraph (curated by the chaingraph contributors)"

# --------------------------------------------------------------------------- clean terms

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
# Spaces are kept only between two Latin letters or digits ("Visual Basic"), never next to Chinese.
_SPACE_NEAR_CJK = re.compile(rf"\s+(?=[{_CJK}（）、·])|(?<=[{_CJK}（）、·])\s+")
_ALLOWED = re.compile(rf"^[{_CJK}A-Za-z0-9 （）、·/\-+.#&]+$")
_PARENTHETICAL = re.compile(r"（[^（）]*）")
_LEVEL_WORDS = ("中职", "高职", "专科", "本科")
# Opening or closing characters that make a fragment rather than a term.
_BAD_EDGE = "、·/-.&"


def clean_zh_label(text: str) -> str:
    """``text`` as a clean Chinese term: full-width parentheses, ASCII letters and digits, and no
    stray spaces next to Chinese characters.

    >>> clean_zh_label(" 三维（3D)打印技术推广服务 ")
    '三维（3D）打印技术推广服务'
    >>> clean_zh_label("ＰＬＣ 编程")
    'PLC编程'
    """
    # NFKC folds full-width Latin letters and digits; it also folds full-width parentheses,
    # which Chinese text writes full-width, so those are restored afterwards.
    text = unicodedata.normalize("NFKC", text).replace("(", "（").replace(")", "）")
    return _SPACE_NEAR_CJK.sub("", clean_label(text))


def zh_label_problem(text: str) -> str | None:
    """What makes ``text`` unfit as a Chinese label, or ``None`` when it is a clean term.

    >>> zh_label_problem("工业机器人技术") is None
    True
    >>> zh_label_problem("数控技术（高职专科）")
    'carries an education level in parentheses'
    """
    if not text:
        return "is empty"
    if text != clean_zh_label(text):
        return "is not in clean form (spaces, half-width parentheses or full-width Latin)"
    if not _ALLOWED.match(text):
        odd = "".join(sorted({c for c in text if not _ALLOWED.match(c)}))
        return f"holds characters a term does not: {odd!r}"
    if text.count("（") != text.count("）") or _PARENTHETICAL.sub("", text).count("（"):
        return "has unbalanced parentheses"
    if text[0] in _BAD_EDGE + "）" or text[-1] in _BAD_EDGE + "（":
        return "starts or ends with punctuation"
    if any(word in inner for inner in _PARENTHETICAL.findall(text) for word in _LEVEL_WORDS):
        return "carries an education level in parentheses"
    return None


def without_parentheticals(text: str) -> list[str]:
    """The term with its parenthetical qualifiers dropped, when that still leaves a term.

    >>> without_parentheticals("门诊部（所）")
    ['门诊部']
    >>> without_parentheticals("瓶（罐）装饮用水制造")
    ['瓶装饮用水制造']
    >>> without_parentheticals("稻谷种植")
    []
    """
    bare = _PARENTHETICAL.sub("", text).strip()
    return [bare] if bare and bare != text and len(bare) > 1 and zh_label_problem(bare) is None else []


# --------------------------------------------------------------------------- the curated files


@dataclass(frozen=True)
class CoreMapping:
    """One row of ``zh_core_labels.csv``."""

    line: int
    iri: str
    cls: str
    zh_pref: str
    zh_alt: tuple[str, ...]
    en_label: str
    decision: str  # one of DECISIONS
    note: str


@dataclass(frozen=True)
class EmergingTech:
    """One row of ``emerging_tech.csv``: a minted ``cg:Technology``."""

    line: int
    slug: str
    zh_pref: str
    zh_alt: tuple[str, ...]
    en_pref: str
    en_alt: tuple[str, ...]
    definition: str
    close_matches: tuple[str, ...]
    note: str

    @property
    def iri(self) -> str:
        """The minted IRI, ``concept_iri("cg", slug)``."""
        return concept_iri("cg", self.slug)


@dataclass
class EnglishConcept:
    """A concept of the built vocabularies: its class and its prefLabels by language."""

    cls: str = ""
    pref_labels: dict[str, list[str]] = field(default_factory=dict)
    labels: set[str] = field(default_factory=set)  # every label text, lower case, any kind


def _zh_terms(cell: str, where: str) -> tuple[str, ...]:
    terms = []
    for raw in cell.split("|"):
        if not raw.strip():
            continue
        term = clean_zh_label(raw)
        problem = zh_label_problem(term)
        if problem:
            raise VocabImportError(f"zh: {where}: {raw.strip()!r} {problem}")
        if term not in terms:
            terms.append(term)
    return tuple(terms)


def read_core_mappings(path: Path) -> list[CoreMapping]:
    """The rows of ``zh_core_labels.csv``, with labels cleaned and checked.

    Raises
    ------
    VocabImportError
        On an unknown class or decision, a missing zh_pref, an unusable IRI or a label that is
        not a clean Chinese term (each naming the file and line).
    """
    columns = ("iri", "class", "zh_pref", "zh_alt", "en_label", "decision")
    rows = []
    for line, row in enumerate(read_rows(path, columns=columns), start=2):
        where = f"{path.name} line {line}"
        try:
            iri = checked_iri(row["iri"])
        except ValueError as error:
            raise VocabImportError(f"zh: {where}: {error}") from None
        cls = row["class"].strip()
        if cls not in CLASSES:
            raise VocabImportError(f"zh: {where}: class {cls!r} is not one of {', '.join(CLASSES)}")
        kind, _, note = row["decision"].partition(":")
        kind = kind.strip().lower()
        if kind not in DECISIONS:
            raise VocabImportError(f"zh: {where}: decision must start with one of {', '.join(DECISIONS)}")
        pref = _zh_terms(row["zh_pref"], where)
        if len(pref) != 1:
            raise VocabImportError(f"zh: {where}: zh_pref must hold exactly one term")
        alts = tuple(t for t in _zh_terms(row["zh_alt"], where) if t != pref[0])
        rows.append(CoreMapping(line, iri, cls, pref[0], alts, clean_label(row["en_label"]), kind, note.strip()))
    return rows


def read_emerging_techs(path: Path) -> list[EmergingTech]:
    """The rows of ``emerging_tech.csv``, with labels cleaned and checked.

    Raises
    ------
    VocabImportError
        On a slug that is not in slug form or repeats, a missing label or definition, an
        unusable closeMatch IRI or a zh label that is not a clean term.
    """
    columns = ("slug", "zh_pref", "zh_alt", "en_pref", "en_alt", "definition_en", "close_match_iris", "note")
    techs: list[EmergingTech] = []
    seen: set[str] = set()
    for line, row in enumerate(read_rows(path, columns=columns), start=2):
        where = f"{path.name} line {line}"
        name = row["slug"].strip()
        if not name or slug(name) != name or name in seen:
            raise VocabImportError(f"zh: {where}: slug {name!r} is empty, repeated or not in slug form")
        seen.add(name)
        pref = _zh_terms(row["zh_pref"], where)
        en_pref = clean_label(row["en_pref"])
        definition = clean_label(row["definition_en"])
        if len(pref) != 1 or not en_pref or not definition:
            raise VocabImportError(f"zh: {where}: {name} needs one zh_pref, an en_pref and a definition_en")
        try:
            matches = tuple(checked_iri(i) for i in row["close_match_iris"].split("|") if i.strip())
        except ValueError as error:
            raise VocabImportError(f"zh: {where}: {error}") from None
        en_alt = tuple(dict.fromkeys(t for t in (clean_label(a) for a in row["en_alt"].split("|")) if t))
        techs.append(
            EmergingTech(
                line,
                name,
                pref[0],
                tuple(t for t in _zh_terms(row["zh_alt"], where) if t != pref[0]),
                en_pref,
                en_alt,
                definition,
                matches,
                clean_label(row["note"]),
            )
        )
    return techs


def read_english_concepts(paths: Iterable[Path]) -> dict[str, EnglishConcept]:
    """Every typed concept in the built vocabulary files ``paths``, with class and labels.

    Raises
    ------
    VocabImportError
        When a file is missing (the English vocabularies must be built first).
    """
    rdf_type = RDF + "type"
    label_predicates = {SKOS + "prefLabel", SKOS + "altLabel", SKOS + "hiddenLabel"}
    classes = {CG + cls: cls for cls in CLASSES}
    concepts: dict[str, EnglishConcept] = defaultdict(EnglishConcept)
    for path in paths:
        if not path.is_file():
            raise VocabImportError(f"zh: {path.name} not found in {path.parent}; build esco, onet and cip before zh")
        with gzip.open(path, "rb") as handle:
            for triple in ox.parse(handle, format=ox.RdfFormat.TURTLE):
                predicate = triple.predicate.value
                if predicate == rdf_type and triple.object.value in classes:
                    concepts[triple.subject.value].cls = classes[triple.object.value]
                elif predicate in label_predicates:
                    literal = triple.object
                    concept = concepts[triple.subject.value]
                    concept.labels.add(literal.value.casefold())
                    if predicate == SKOS + "prefLabel":
                        concept.pref_labels.setdefault(literal.language or "", []).append(literal.value)
    return {iri: concept for iri, concept in concepts.items() if concept.cls}


# --------------------------------------------------------------------------- checks and build


def _check_mappings(
    mappings: list[CoreMapping], techs: list[EmergingTech], english: dict[str, EnglishConcept]
) -> Counter[str]:
    """Fail on any mapping that does not fit the built vocabularies; count what is only reported."""
    counts: Counter[str] = Counter()
    minted = {tech.iri: tech for tech in techs}
    known_labels = set().union(*(concept.labels for concept in english.values()))
    problems: list[str] = []
    for row in mappings:
        where = f"{ZH_CORE_FILE} line {row.line}"
        if row.decision == "minted":
            tech = minted.get(row.iri)
            if tech is None:
                problems.append(f"{where}: {row.iri} is marked minted but is not in {EMERGING_TECH_FILE}")
            elif (row.cls, row.zh_pref, set(row.zh_alt), row.en_label) != (
                "Technology",
                tech.zh_pref,
                set(tech.zh_alt),
                tech.en_pref,
            ):
                problems.append(f"{where}: {row.iri} disagrees with {EMERGING_TECH_FILE} line {tech.line}")
            continue
        concept = english.get(row.iri)
        if concept is None:
            problems.append(f"{where}: {row.iri} is not a concept of the built English vocabularies")
            continue
        if concept.cls != row.cls:
            problems.append(f"{where}: {row.iri} is a {concept.cls}, not a {row.cls}")
        if row.en_label not in concept.pref_labels.get("en", []):
            problems.append(f"{where}: {row.iri} is {concept.pref_labels.get('en')!r}, not {row.en_label!r}")
        if concept.pref_labels.get("zh"):
            problems.append(f"{where}: {row.iri} already has a zh prefLabel in the English vocabularies")
    for tech in techs:
        for target in tech.close_matches:
            if target not in english:
                problems.append(f"{EMERGING_TECH_FILE} line {tech.line}: closeMatch {target} is not a known concept")
        clash = [label for label in (tech.en_pref, *tech.en_alt) if label.casefold() in known_labels]
        if clash:
            counts["emerging-tech English labels that existing concepts also carry"] += len(clash)

    pref_of: dict[str, list[CoreMapping]] = defaultdict(list)
    for row in mappings:
        if row.decision in ("exact", "minted"):
            pref_of[row.iri].append(row)
    for iri, rows in pref_of.items():
        if len({r.zh_pref for r in rows}) > 1:
            lines = ", ".join(str(r.line) for r in rows)
            problems.append(f"{ZH_CORE_FILE} lines {lines}: {iri} would get several zh prefLabels")

    iris_of_pref: dict[tuple[str, str], set[str]] = defaultdict(set)
    iris_of_label: dict[str, set[str]] = defaultdict(set)
    for row in mappings:
        if row.decision in ("exact", "minted"):
            iris_of_pref[(row.cls, row.zh_pref)].add(row.iri)
        for term in (row.zh_pref, *row.zh_alt):
            iris_of_label[term].add(row.iri)
    for (cls, term), iris in sorted(iris_of_pref.items()):
        if len(iris) > 1:
            problems.append(f"{ZH_CORE_FILE}: zh prefLabel {term!r} names {len(iris)} {cls} concepts: {sorted(iris)}")
    shared_prefs = Counter(term for _, term in iris_of_pref)
    counts["zh prefLabels shared by concepts of different classes (reported)"] = sum(
        1 for n in shared_prefs.values() if n > 1
    )
    counts["zh labels of any kind on several concepts (reported)"] = sum(
        1 for iris in iris_of_label.values() if len(iris) > 1
    )
    if problems:
        shown = "\n  ".join(problems[:25])
        more = f"\n  … and {len(problems) - 25} more" if len(problems) > 25 else ""
        raise VocabImportError(f"zh: the curated labels do not fit the built vocabularies:\n  {shown}{more}")
    return counts


def _chinese_pref_labels(paths: Iterable[Path]) -> set[str]:
    found: set[str] = set()
    for path in paths:
        if path.is_file():
            for concept in read_english_concepts([path]).values():
                found.update(concept.pref_labels.get("zh", []))
    return found


def import_zh(
    source_dir: Path,
    out_path: Path,
    vocab_paths: Iterable[Path] | None = None,
) -> VocabStats:
    """Build ``zh.ttl.gz`` from the curated files in ``source_dir``.

    Parameters
    ----------
    source_dir : Path
        The folder with ``zh_core_labels.csv`` and ``emerging_tech.csv``
        (``ontologies/vocab/sources``).
    out_path : Path
        Where to write ``zh.ttl.gz``.
    vocab_paths : iterable of Path, optional
        The built English vocabularies to check against; default ``esco.ttl.gz``,
        ``onet.ttl.gz`` and ``cip.ttl.gz`` beside ``out_path``.

    Returns
    -------
    VocabStats
        The minted technologies as concepts, and counts of labels, mappings per decision and
        class, and shared labels.

    Raises
    ------
    VocabImportError
        When a file is missing or a mapping does not fit the built vocabularies.
    """
    mappings = read_core_mappings(require_file(source_dir, ZH_CORE_FILE, "zh"))
    techs = read_emerging_techs(require_file(source_dir, EMERGING_TECH_FILE, "zh"))
    paths = list(vocab_paths) if vocab_paths is not None else [out_path.with_name(n) for n in ENGLISH_VOCABULARIES]
    english = read_english_concepts(paths)
    counts = _check_mappings(mappings, techs, english)

    graph = VocabGraph()
    graph.add_scheme("cg", "chaingraph emerging technologies", _SOURCE, _LICENSE)
    graph.add(scheme_iri("cg"), DCTERMS + "title", graph.text("chaingraph 新兴技术", "zh"))
    for tech in techs:
        record = ConceptRecord(tech.iri, "Technology", "cg")
        record.set_pref(tech.zh_pref, "zh")
        record.add_alt(tech.zh_alt, "zh")
        record.set_pref(tech.en_pref, "en")
        record.add_alt(tech.en_alt, "en")
        record.set_definition(tech.definition, "en")
        graph.add_concept(record)
        for target in tech.close_matches:
            graph.add(tech.iri, SKOS + "closeMatch", target)
        counts["emerging-tech closeMatch links"] += len(tech.close_matches)

    # Label triples only on the existing concepts: their class, scheme and English labels stay
    # in their own files. The zh prefLabel comes from an exact row alone.
    pref: dict[str, str] = {row.iri: row.zh_pref for row in mappings if row.decision == "exact"}
    for row in mappings:
        counts[f"curated rows: {row.cls}"] += 1
        counts[f"curated rows: {row.decision}"] += 1
        if row.decision == "minted":
            continue
        terms = row.zh_alt if row.decision == "exact" else (row.zh_pref, *row.zh_alt)
        if row.decision == "exact":
            graph.add(row.iri, SKOS + "prefLabel", graph.text(row.zh_pref, "zh"))
        for term in terms:
            if term != pref.get(row.iri):
                graph.add(row.iri, SKOS + "altLabel", graph.text(term, "zh"))

    chinese = _chinese_pref_labels(out_path.with_name(name) for name in _CHINESE_VOCABULARIES)
    curated = {row.zh_pref for row in mappings} | {tech.zh_pref for tech in techs}
    counts["curated zh prefLabels also naming a cnmajor/gbt4754 concept (reported)"] = len(curated & chinese)
    counts["concepts given zh labels"] = len({row.iri for row in mappings} | {tech.iri for tech in techs})
    return graph.write(out_path, "zh", dict(counts))
