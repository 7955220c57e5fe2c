"""GB/T 4754-2017 国民经济行业分类 -> ``gbt4754.ttl.gz``: China's industry classification.

The standard has four levels: 门类 (sections, letters ``A``-``T``), 大类 (divisions, two digits),
中类 (groups, three digits) and 小类 (classes, four digits). Every node is a ``cg:Industry`` in
scheme ``gbt4754``. The digit codes are unique on their own, but the IRI and the first notation
carry the section letter at every level (``C``, ``C34``, ``C341``, ``C3411``), the form used in
statistical and business-registration practice, so that a code always shows its section; the
bare digits as printed in the standard (``3411``) are a second notation.

The source transcription leaves out a group that holds a single class of the same name (the
class code then ends in 0: group 783, class 7830 城乡市容管理). Such groups are added with the
class's name, so that every class has a group and the tree has the standard's 473 groups.
The 说明 column becomes ``skos:scopeNote``@zh; English labels for the sections and divisions come
from the committed file ``ontologies/vocab/sources/gbt4754_en_labels.csv``.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from chaingraph.rdf.namespaces import CG, DCTERMS, SKOS, concept_iri, scheme_iri
from chaingraph.resources import vocab_dir
from chaingraph.vocab.skos import (
    ConceptRecord,
    VocabGraph,
    VocabImportError,
    VocabStats,
    clean_label,
    read_rows,
    require_file,
)
from chaingraph.vocab.zh_core import clean_zh_label, without_parentheticals, zh_label_problem

__all__ = [
    "import_gbt4754",
    "GBT4754_FOLDER",
    "GBT4754_FILE",
    "EN_LABELS_FILE",
    "LEVELS",
    "Industry",
    "read_industries",
    "read_en_labels",
]

GBT4754_FOLDER = "gbt4754-2017-cn"
GBT4754_FILE = "GBT4754-2017_industry_classification_zh.csv"
#: English labels (code, en_label, note), written for chaingraph; under ``ontologies/vocab/sources``.
EN_LABELS_FILE = "gbt4754_en_labels.csv"
#: The ``level`` column (1-4) -> the ``cg:level`` value written for it.
LEVELS: dict[int, str] = {1: "section", 2: "division", 3: "group", 4: "class"}
_PLURAL = {1: "sections (门类)", 2: "divisions (大类)", 3: "groups (中类)", 4: "classes (小类)"}

_TITLE_ZH = "国民经济行业分类（GB/T 4754-2017）"
_TITLE_EN = "Industrial Classification for National Economic Activities (GB/T 4754-2017)"
_SOURCE = (
    "GB/T 4754-2017 国民经济行业分类 (SAC/SPC; code list republished by the National Bureau of Statistics, "
    "stats.gov.cn), as transcribed in github.com/zmshe/capital src/utils/category.js at "
    "0b8f1ae480aadd9f35aca2fd0efb934e9a7101e8; English section and division labels written for chaingraph"
)
_LICENSE = (
    "The GB/T standard text is copyright SAC/SPC; the code list and names are republished publicly by the "
    "National Bureau of Statistics of China. Not checked against Amendment No. 1 (2019)."
)


@dataclass(frozen=True)
class Industry:
    """One node of the classification, with its letter-prefixed code and its parent's."""

    code: str  # "C3411"
    digits: str  # "3411" ("C" for a section)
    level: int  # 1 section, 2 division, 3 group, 4 class
    name: str  # cleaned Chinese name
    remark: str
    parent: str | None
    implicit: bool = False  # a group the source leaves out (single class of the same name)


def read_industries(path: Path) -> dict[str, Industry]:
    """The classification in ``path`` by letter-prefixed code, with the implicit groups added.

    Raises
    ------
    VocabImportError
        On an unknown level, a repeated code, a code inconsistent with its section/division/group
        columns, or a name that is not a clean Chinese term.
    """
    columns = ("level", "section", "division", "group", "class", "code", "name", "remark")
    found: dict[str, Industry] = {}
    for line, row in enumerate(read_rows(path, columns=columns), start=2):
        try:
            level = int(row["level"])
        except ValueError:
            level = 0
        section, digits = row["section"].strip(), row["code"].strip()
        where = f"{path.name} line {line} ({digits})"
        expected = {1: section, 2: row["division"], 3: row["group"], 4: row["class"]}.get(level, "").strip()
        if level not in LEVELS or not section or digits != expected:
            raise VocabImportError(f"gbt4754: {where}: level {row['level']!r} does not fit the code columns")
        code = section if level == 1 else section + digits
        parent = None if level == 1 else section if level == 2 else section + digits[: level - 1]
        name = clean_zh_label(row["name"])
        problem = zh_label_problem(name)
        if problem:
            raise VocabImportError(f"gbt4754: {where}: name {row['name']!r} {problem}")
        if code in found:
            raise VocabImportError(f"gbt4754: {where}: code {code} appears twice")
        found[code] = Industry(code, digits, level, name, clean_label(row["remark"]), parent)

    for item in sorted((i for i in found.values() if i.level == 4), key=lambda i: i.code):
        if item.parent not in found and item.digits.endswith("0"):
            found[item.parent] = Industry(item.parent, item.digits[:3], 3, item.name, "", item.code[:3], implicit=True)
    missing = sorted(i.code for i in found.values() if i.parent and i.parent not in found)
    if missing:
        raise VocabImportError(f"gbt4754: {path.name}: codes without a parent: {', '.join(missing[:10])}")
    return found


def read_en_labels(path: Path, industries: dict[str, Industry]) -> dict[str, str]:
    """English labels by code from ``path``; every section and division must have one.

    Raises
    ------
    VocabImportError
        When the file names a code the classification does not have, repeats a code, or leaves a
        section or division without a label.
    """
    if not path.is_file():
        raise VocabImportError(f"gbt4754: English labels {path} not found (ontologies/vocab/sources/{EN_LABELS_FILE})")
    labels: dict[str, str] = {}
    for line, row in enumerate(read_rows(path, columns=("code", "en_label", "note")), start=2):
        code, label = row["code"].strip(), clean_label(row["en_label"])
        if code not in industries:
            raise VocabImportError(f"gbt4754: {path.name} line {line}: code {code!r} is not in GB/T 4754-2017")
        if code in labels or not label:
            raise VocabImportError(f"gbt4754: {path.name} line {line}: code {code} repeated or without a label")
        labels[code] = label
    unlabelled = sorted(i.code for i in industries.values() if i.level <= 2 and i.code not in labels)
    if unlabelled:
        raise VocabImportError(f"gbt4754: {path.name}: no English label for {', '.join(unlabelled)}")
    return labels


ZH_ALIASES_FILE = "gbt4754_zh_aliases.csv"


def read_zh_aliases(path: Path, industries: dict) -> dict[str, list[str]]:
    """Curated Chinese aliases per code (``code, aliases`` with ``|`` between aliases), checked against the codes.

    An alias written ``-名称`` withholds that name instead: the short name the importer would
    otherwise derive (人力资源服务 -> 人力资源, which in texts is the workforce, not the industry).
    """
    if not path.is_file():
        return {}
    aliases: dict[str, list[str]] = {}
    with path.open(encoding="utf-8", newline="") as stream:
        for line, row in enumerate(csv.DictReader(stream), start=2):
            code = row["code"].strip()
            if code not in industries:
                raise VocabImportError(f"gbt4754: {path.name} line {line}: unknown code {code!r}")
            aliases[code] = [a.strip() for a in row["aliases"].split("|") if a.strip()]
    return aliases


def import_gbt4754(source_dir: Path, out_path: Path, en_labels: Path | None = None) -> VocabStats:
    """Import GB/T 4754-2017 from ``source_dir`` and write ``out_path`` (``gbt4754.ttl.gz``).

    Parameters
    ----------
    source_dir : Path
        The release folder (``gbt4754-2017-cn``).
    out_path : Path
        Where to write ``gbt4754.ttl.gz``.
    en_labels : Path, optional
        The English labels file; default ``ontologies/vocab/sources/gbt4754_en_labels.csv``.

    Returns
    -------
    VocabStats
        Concepts written and counts per level.
    """
    path = require_file(source_dir, GBT4754_FILE, "gbt4754")
    industries = read_industries(path)
    english = read_en_labels(en_labels or vocab_dir() / "sources" / EN_LABELS_FILE, industries)
    aliases = read_zh_aliases(vocab_dir() / "sources" / ZH_ALIASES_FILE, industries)
    graph = VocabGraph()
    graph.add_scheme("gbt4754", _TITLE_EN, _SOURCE, _LICENSE)
    graph.add(scheme_iri("gbt4754"), DCTERMS + "title", graph.text(_TITLE_ZH, "zh"))
    counts: Counter[str] = Counter()

    for code, item in sorted(industries.items()):
        iri = concept_iri("gbt4754", code)
        record = ConceptRecord(iri, "Industry", "gbt4754", notation=code)
        record.set_pref(item.name, "zh")
        record.add_hidden(without_parentheticals(item.name), "zh")
        # Texts drop the generic ending: 职业中介服务 is written 职业中介, 资本市场服务 资本市场.
        curated = aliases.get(code, ())
        withheld = {a[1:] for a in curated if a.startswith("-")}
        if item.name.endswith("服务") and len(item.name) >= 6 and item.name[:-2] not in withheld:
            record.add_hidden([item.name[:-2]], "zh")
        for alias in curated:
            if not alias.startswith("-"):
                record.add_hidden([alias], "zh")
        if code in english:
            record.set_pref(english[code], "en")
        if item.parent:
            record.broader.append(concept_iri("gbt4754", item.parent))
        graph.add_concept(record)
        if item.digits != code:
            graph.add(iri, SKOS + "notation", graph.plain(item.digits))
        if item.remark:
            graph.add(iri, SKOS + "scopeNote", graph.text(item.remark, "zh"))
            counts["scope notes"] += 1
        graph.add(iri, CG + "level", graph.plain(LEVELS[item.level]))
        counts[_PLURAL[item.level]] += 1
        if item.implicit:
            counts["groups added (single class of the same name)"] += 1
    counts["English labels"] = len(english)
    return graph.write(out_path, "gbt4754", dict(counts))
