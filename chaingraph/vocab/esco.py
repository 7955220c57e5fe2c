"""ESCO v1.1.1 (CSV release) -> ``esco.ttl.gz``.

Writes ESCO occupations and skills under their published IRIs, the ISCO-08 groups ESCO ships
with, occupation-skill relations and the thematic skill collections. See ``ontologies/vocab/README.md``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from chaingraph.rdf.namespaces import CG, ESCO, concept_iri
from chaingraph.vocab.aliases import bare_form
from chaingraph.vocab.skos import (
    ConceptRecord,
    VocabGraph,
    VocabImportError,
    VocabStats,
    checked_iri,
    read_rows,
    require_file,
    split_labels,
)

__all__ = ["import_esco", "ESCO_FOLDER", "ESCO_ATTRIBUTION", "required_files"]

#: The folder name of the release under the shared data directory.
ESCO_FOLDER = "esco-v1.1.1-en"
ESCO_ATTRIBUTION = "This service uses the ESCO classification of the European Commission."
_SOURCE = "ESCO v1.1.1 classification, CSV download (https://esco.ec.europa.eu/en/use-esco/download)"
_LICENSE = "Reuse authorised under Commission Decision 2011/833/EU, with attribution: " + ESCO_ATTRIBUTION
_ISCO_LICENSE = (
    "ISCO-08 is a classification of the International Labour Organization, as republished in ESCO; " + _LICENSE
)

_ISCO_PREFIX = ESCO + "isco/C"

#: (collection name, file stem without language suffix, label). Names become
#: ``.../id/collection/esco-<name>``.
_COLLECTIONS = (
    ("digital", "digitalSkillsCollection", "ESCO digital skills"),
    ("digcomp", "digCompSkillsCollection", "ESCO DigComp skills"),
    ("green", "greenSkillsCollection", "ESCO green skills"),
    ("language", "languageSkillsCollection", "ESCO language skills"),
    ("research", "researchSkillsCollection", "ESCO research skills"),
    ("transversal", "transversalSkillsCollection", "ESCO transversal skills"),
    ("research-occupations", "researchOccupationsCollection", "ESCO research occupations"),
)


def required_files(lang: str = "en") -> dict[str, str]:
    """The release files the importer reads, by role."""
    files = {
        "skills": f"skills_{lang}.csv.gz",
        "occupations": f"occupations_{lang}.csv.gz",
        "isco": f"ISCOGroups_{lang}.csv.gz",
        "occupation_skills": "occupationSkillRelations.csv.gz",
        "occupation_broader": "broaderRelationsOccPillar.csv.gz",
        "skill_broader": "broaderRelationsSkillPillar.csv.gz",
    }
    for name, stem, _ in _COLLECTIONS:
        files[f"collection:{name}"] = f"{stem}_{lang}.csv.gz"
    return files


def _add_labels(record: ConceptRecord, row: dict[str, str], lang: str) -> None:
    """Pref/alt/hidden labels of an ESCO row, plus the bare form of any label that ends in a
    parenthetical qualifier ("Python (computer programming)" -> hidden "Python")."""
    record.set_pref(row["preferredLabel"], lang)
    record.add_alt(split_labels(row.get("altLabels")), lang)
    record.add_hidden(split_labels(row.get("hiddenLabels")), lang)
    labels = [record.pref_labels.get(lang, "")]
    labels += [text for text, tag in record.alt_labels + record.hidden_labels if tag == lang]
    record.add_hidden([bare for bare in map(bare_form, labels) if bare], lang)


def _definition(row: dict[str, str]) -> str:
    # ESCO fills ``description``; the ``definition`` column is almost always empty.
    return row.get("description", "").strip() or row.get("definition", "").strip()


def import_esco(source_dir: Path, out_path: Path, lang: str = "en") -> VocabStats:
    """Import an ESCO CSV release from ``source_dir`` and write ``out_path`` (``esco.ttl.gz``)."""
    files = {role: require_file(source_dir, name, "esco") for role, name in required_files(lang).items()}
    graph = VocabGraph()
    counts: Counter[str] = Counter()
    graph.add_scheme("esco", "ESCO v1.1.1 occupations and skills", _SOURCE, _LICENSE)
    graph.add_scheme("isco", "ISCO-08 groups (as published in ESCO v1.1.1)", _SOURCE, _ISCO_LICENSE)

    # ISCO-08 groups: the parent of a group is its code minus the last digit.
    isco_codes: set[str] = set()
    isco_records = []
    for row in read_rows(files["isco"], columns=("code", "preferredLabel")):
        code = row["code"].strip()
        record = ConceptRecord(concept_iri("isco", code), "Occupation", "isco", notation=code)
        _add_labels(record, row, lang)
        record.set_definition(_definition(row), lang)
        isco_codes.add(code)
        isco_records.append(record)
    for record in isco_records:
        code = record.notation or ""
        if len(code) > 1 and code[:-1] in isco_codes:
            record.broader.append(concept_iri("isco", code[:-1]))
        graph.add_concept(record)

    # Occupations: broader = the parent in the occupation pillar (an occupation or an ISCO unit
    # group); the iscoGroup column is the fallback.
    parents: dict[str, list[str]] = {}
    for row in read_rows(files["occupation_broader"], columns=("conceptUri", "broaderUri")):
        if row["conceptType"] == "Occupation":
            parents.setdefault(row["conceptUri"].strip(), []).append(checked_iri(row["broaderUri"]))
    occupations: list[ConceptRecord] = []
    for row in read_rows(files["occupations"], columns=("conceptUri", "preferredLabel", "code", "iscoGroup")):
        iri = checked_iri(row["conceptUri"])
        record = ConceptRecord(iri, "Occupation", "esco", notation=row["code"].strip() or None)
        _add_labels(record, row, lang)
        record.set_definition(_definition(row), lang)
        isco = row["iscoGroup"].strip()
        record.broader = parents.get(iri) or ([concept_iri("isco", isco)] if isco in isco_codes else [])
        occupations.append(record)
    occupation_iris = {record.iri for record in occupations}
    for record in occupations:
        # Keep only parents that are written in this file.
        record.broader = [p for p in record.broader if p in occupation_iris or p.startswith(_ISCO_PREFIX)]
        graph.add_concept(record)

    # Skills (knowledge and skill/competence), with type and reuse level.
    skills: list[tuple[ConceptRecord, dict[str, str]]] = []
    for row in read_rows(files["skills"], columns=("conceptUri", "preferredLabel", "skillType", "reuseLevel")):
        record = ConceptRecord(checked_iri(row["conceptUri"]), "Skill", "esco")
        _add_labels(record, row, lang)
        record.set_definition(_definition(row), lang)
        skills.append((record, row))
    skill_iris = {record.iri for record, _ in skills}
    skill_parents: dict[str, list[str]] = {}
    for row in read_rows(files["skill_broader"], columns=("conceptType", "conceptUri", "broaderType", "broaderUri")):
        # Only skill -> skill links: skill groups are not imported as concepts.
        child, parent = row["conceptUri"].strip(), row["broaderUri"].strip()
        if child in skill_iris and parent in skill_iris:
            skill_parents.setdefault(child, []).append(parent)
    for record, row in skills:
        record.broader = sorted(set(skill_parents.get(record.iri, [])))
        graph.add_concept(record)
        if row["skillType"].strip():
            graph.add(record.iri, CG + "skillType", graph.plain(row["skillType"].strip()))
        if row["reuseLevel"].strip():
            graph.add(record.iri, CG + "reuseLevel", graph.plain(row["reuseLevel"].strip()))
    counts["skill broader links"] = sum(len(p) for p in skill_parents.values())

    # Occupation -> skill requirements.
    predicates = {"essential": CG + "essentialSkill", "optional": CG + "optionalSkill"}
    for row in read_rows(files["occupation_skills"], columns=("occupationUri", "relationType", "skillUri")):
        occupation, skill = row["occupationUri"].strip(), row["skillUri"].strip()
        predicate = predicates.get(row["relationType"].strip())
        if predicate is None or occupation not in occupation_iris or skill not in skill_iris:
            counts["occupation-skill relations dropped"] += 1
            continue
        graph.add(occupation, predicate, skill)
        counts[f"{row['relationType'].strip()} skill relations"] += 1

    # Thematic collections: members must be concepts of this file.
    for name, _, label in _COLLECTIONS:
        members = [
            row["conceptUri"].strip()
            for row in read_rows(files[f"collection:{name}"], columns=("conceptUri",))
            if graph.has_concept(row["conceptUri"].strip())
        ]
        counts[f"collection esco-{name}"] = graph.add_collection(f"esco-{name}", label, members)

    if not skills or not occupations:
        raise VocabImportError(f"esco: no skills or occupations read from {source_dir}")
    counts["ISCO groups"] = len(isco_records)
    counts["ESCO occupations"] = len(occupations)
    counts["ESCO skills"] = len(skills)
    return graph.write(out_path, "esco", dict(counts))
