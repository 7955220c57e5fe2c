"""职业教育专业目录（2021）-> ``cnmajor.ttl.gz``: China's vocational education major catalogue.

The Ministry of Education's 2021 catalogue lists majors at three education levels: 中职
(secondary vocational), 高职专科 (higher vocational, associate) and 高职本科 (higher vocational,
bachelor). Each level has its own tree of 大类 (categories), 类 (classes) and 专业 (majors), and
its own codes, so one major name can appear at several levels under different codes.

Every node of the three trees becomes a ``cg:Programme`` in scheme ``cnmajor``, IRI
``concept_iri("cnmajor", code)``, with ``skos:broader`` to its parent. Categories and classes are
concepts of the same scheme (not ``skos:Collection``), because policy texts cite them as
programmes ("装备制造大类") and the hierarchy must stay walkable with ``skos:broader``; their
``cg:level`` ("category", "class", "major") tells them apart from majors. A major keeps its code as
published, including the ``K`` of a nationally controlled major (``520101K``); the code without the
``K`` is a second notation, because documents often drop the letter.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from chaingraph.rdf.namespaces import CG, DCTERMS, SKOS, concept_iri, scheme_iri
from chaingraph.vocab.skos import (
    ConceptRecord,
    VocabGraph,
    VocabImportError,
    VocabStats,
    read_rows,
    require_file,
)
from chaingraph.vocab.zh_core import clean_zh_label, zh_label_problem

__all__ = [
    "import_cnmajor",
    "CNMAJOR_FOLDER",
    "CNMAJOR_FILE",
    "EDUCATION_LEVELS",
    "ITEM_LEVELS",
    "major_hidden_labels",
]

CNMAJOR_FOLDER = "cn-vocational-major-catalog-2021"
CNMAJOR_FILE = "vocational_major_catalog_2021_zh.csv"

#: The catalogue's education levels: Chinese name -> English name (both go into ``cg:educationLevel``).
EDUCATION_LEVELS: dict[str, str] = {
    "中职": "secondary vocational",
    "高职专科": "higher vocational (associate)",
    "高职本科": "higher vocational (bachelor)",
}
#: The catalogue's ``item_level`` column -> the ``cg:level`` value written for it.
ITEM_LEVELS: dict[str, str] = {"CATEGORY": "category", "CLASS": "class", "MAJOR": "major"}
_PLURAL = {"category": "categories (大类)", "class": "classes (类)", "major": "majors"}

_TITLE_ZH = "职业教育专业目录（2021年）"
_TITLE_EN = "Catalogue of Vocational Education Majors (2021), Ministry of Education of the PRC"
_SOURCE = (
    "Ministry of Education of the PRC, 职业教育专业目录（2021年）, "
    "moe.gov.cn/srcsite/A07/moe_953/202103/W020210319595911145604.docx; rows as transcribed in "
    "github.com/p180j/gk-job-helper (src/main/resources/major-catalog/vocational-2021.csv), re-typed as code and name"
)
_LICENSE = (
    "Official document of the Ministry of Education of the PRC, excluded from copyright protection "
    "under Article 5 of the Copyright Law of the PRC"
)
_MAJOR_SUFFIX = "专业"


def major_hidden_labels(name: str) -> list[str]:
    """Search variants of a major's name: the name followed by 专业, as texts write it.

    >>> major_hidden_labels("工业机器人技术")
    ['工业机器人技术专业']
    >>> major_hidden_labels("护理专业")
    []
    """
    return [] if name.endswith(_MAJOR_SUFFIX) else [name + _MAJOR_SUFFIX]


def _base_code(code: str) -> str:
    # "520101K" -> "520101": the K marks a nationally controlled major, it is not part of the number.
    return code[:-1] if code.endswith("K") else code


def import_cnmajor(source_dir: Path, out_path: Path) -> VocabStats:
    """Import ``vocational_major_catalog_2021_zh.csv`` from ``source_dir`` and write ``out_path``.

    Parameters
    ----------
    source_dir : Path
        The release folder (``cn-vocational-major-catalog-2021``).
    out_path : Path
        Where to write ``cnmajor.ttl.gz``.

    Returns
    -------
    VocabStats
        Concepts written and counts per education level and catalogue level.

    Raises
    ------
    VocabImportError
        When the file is missing, a row has an unknown level, a code repeats, a parent is
        missing, or a name is not a clean Chinese term.
    """
    path = require_file(source_dir, CNMAJOR_FILE, "cnmajor")
    columns = ("level", "item_level", "code", "name", "parent_code", "national_control_K")
    rows = list(read_rows(path, columns=columns))
    graph = VocabGraph()
    graph.add_scheme("cnmajor", _TITLE_EN, _SOURCE, _LICENSE)
    graph.add(scheme_iri("cnmajor"), DCTERMS + "title", graph.text(_TITLE_ZH, "zh"))
    counts: Counter[str] = Counter()

    codes = {row["code"].strip() for row in rows}
    base_codes = Counter(_base_code(code) for code in codes)
    for line, row in enumerate(rows, start=2):
        code, parent = row["code"].strip(), row["parent_code"].strip()
        level, item = row["level"].strip(), row["item_level"].strip()
        where = f"{path.name} line {line} ({code})"
        if level not in EDUCATION_LEVELS or item not in ITEM_LEVELS:
            raise VocabImportError(f"cnmajor: {where}: unknown level {level!r} / item_level {item!r}")
        if parent and parent not in codes:
            raise VocabImportError(f"cnmajor: {where}: parent {parent!r} is not in the catalogue")
        if (item == "CATEGORY") != (not parent):
            raise VocabImportError(f"cnmajor: {where}: only a 大类 may be without a parent")
        name = clean_zh_label(row["name"])
        problem = zh_label_problem(name)
        if problem:
            raise VocabImportError(f"cnmajor: {where}: name {row['name']!r} {problem}")
        iri = concept_iri("cnmajor", code)
        if graph.has_concept(iri):
            raise VocabImportError(f"cnmajor: {where}: code {code} appears twice")

        record = ConceptRecord(iri, "Programme", "cnmajor", notation=code)
        record.set_pref(name, "zh")
        if item == "MAJOR":
            record.add_hidden(major_hidden_labels(name), "zh")
        if parent:
            record.broader.append(concept_iri("cnmajor", parent))
        graph.add_concept(record)
        base = _base_code(code)
        if base != code:
            # The K-less number is unambiguous only if no other node uses it; the check keeps it so.
            if base_codes[base] > 1 or base in codes:
                raise VocabImportError(f"cnmajor: {where}: {base} would name two concepts")
            graph.add(iri, SKOS + "notation", graph.plain(base))
            counts["nationally controlled majors (K)"] += 1
        graph.add(iri, CG + "level", graph.plain(ITEM_LEVELS[item]))
        graph.add(iri, CG + "educationLevel", graph.text(level, "zh"))
        graph.add(iri, CG + "educationLevel", graph.text(EDUCATION_LEVELS[level], "en"))
        counts[f"{_PLURAL[ITEM_LEVELS[item]]}, {level}"] += 1

    majors = sum(n for key, n in counts.items() if key.startswith("majors, "))
    if majors == 0:
        raise VocabImportError(f"cnmajor: no majors read from {path}")
    counts["majors"] = majors
    return graph.write(out_path, "cnmajor", dict(counts))
