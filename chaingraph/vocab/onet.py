"""O*NET 29.2 (tab-separated text) -> ``onet.ttl.gz``.

Writes O*NET-SOC occupations (talent chain) with their alternate and reported job titles, and the
technologies of the "Technology Skills" table (innovation chain): one concept per UNSPSC commodity
and one per product example, with hot/in-demand flags and the occupations that use them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from chaingraph.rdf.namespaces import CG, concept_iri, slug
from chaingraph.vocab.aliases import common_words, learn_vendors, technology_aliases
from chaingraph.vocab.skos import (
    ConceptRecord,
    VocabGraph,
    VocabImportError,
    VocabStats,
    read_rows,
    require_file,
)

__all__ = ["import_onet", "ONET_FOLDER", "ONET_ATTRIBUTION", "required_files", "technology_slugs"]

ONET_FOLDER = "onet-29.2"
ONET_ATTRIBUTION = (
    "This product includes information from the O*NET 29.2 Database by the U.S. Department of Labor, "
    "Employment and Training Administration (USDOL/ETA). Used under the CC BY 4.0 license. "
    "O*NET® is a trademark of USDOL/ETA."
)
_SOURCE = "O*NET 29.2 Database (February 2025), https://www.onetcenter.org/database.html; Excel tables converted to TSV"
_LICENSE = "CC BY 4.0. " + ONET_ATTRIBUTION

_CODE = "O*NET-SOC Code"
_FILES = {
    "occupations": "Occupation Data.txt.gz",
    "alternate_titles": "Alternate Titles.txt.gz",
    "reported_titles": "Sample of Reported Titles.txt.gz",
    "technology": "Technology Skills.txt.gz",
}
# Optional: task statements only widen the "ordinary English words" list used to tell vendor
# names ("Oracle") from common words that merely start many names ("Data", "Medical").
_OPTIONAL_TASKS = "Task Statements.txt.gz"


def required_files() -> dict[str, str]:
    """The release files the importer needs, by role."""
    return dict(_FILES)


@dataclass
class _Technology:
    """What the Technology Skills rows say about one product example."""

    name: str
    commodities: Counter[str] = field(default_factory=Counter)
    occupations: set[str] = field(default_factory=set)
    hot: bool = False
    in_demand: bool = False

    def commodity(self) -> str:
        """The commodity the example is listed under most often (ties: lowest code)."""
        return min(self.commodities.items(), key=lambda item: (-item[1], item[0]))[0]


def technology_slugs(names: list[str]) -> dict[str, str]:
    """A distinct IRI slug for every name.

    Names that share a slug ("C++" vs "c plus plus") keep it in sorted order: the first gets the
    bare slug, later ones ``-2``, ``-3``... skipping any slug another name already owns.
    """
    by_slug: dict[str, list[str]] = defaultdict(list)
    for name in sorted(set(names)):
        by_slug[slug(name)].append(name)
    taken = set(by_slug)
    out: dict[str, str] = {}
    for base in sorted(by_slug):
        first, *rest = by_slug[base]
        out[first] = base
        number = 2
        for name in rest:
            while f"{base}-{number}" in taken:
                number += 1
            out[name] = f"{base}-{number}"
            taken.add(out[name])
    return out


def import_onet(source_dir: Path, out_path: Path) -> VocabStats:
    """Import the O*NET text release in ``source_dir`` and write ``out_path`` (``onet.ttl.gz``)."""
    files = {role: require_file(source_dir, name, "onet") for role, name in _FILES.items()}
    graph = VocabGraph()
    counts: Counter[str] = Counter()
    graph.add_scheme("onet", "O*NET-SOC 2019 occupations (O*NET 29.2)", _SOURCE, _LICENSE)
    graph.add_scheme("onet-tech", "O*NET 29.2 technology skill examples", _SOURCE, _LICENSE)
    graph.add_scheme("unspsc", "UNSPSC commodities used by O*NET 29.2 Technology Skills", _SOURCE, _LICENSE)

    # Occupations.
    occupations: dict[str, ConceptRecord] = {}
    descriptions: list[str] = []
    for row in read_rows(files["occupations"], "\t", (_CODE, "Title", "Description")):
        code = row[_CODE].strip()
        record = ConceptRecord(concept_iri("onet", code), "Occupation", "onet", notation=code)
        record.set_pref(row["Title"])
        record.set_definition(row["Description"])
        occupations[code] = record
        descriptions.append(row["Description"])
    if not occupations:
        raise VocabImportError(f"onet: no occupations in {files['occupations']}")
    for row in read_rows(files["alternate_titles"], "\t", (_CODE, "Alternate Title", "Short Title")):
        record = occupations.get(row[_CODE].strip())
        if record is not None:
            record.add_alt([row["Alternate Title"], row["Short Title"]])
    for row in read_rows(files["reported_titles"], "\t", (_CODE, "Reported Job Title")):
        record = occupations.get(row[_CODE].strip())
        if record is not None:
            record.add_alt(row["Reported Job Title"])
    for record in occupations.values():
        # ConceptRecord drops case-insensitive duplicates and titles equal to the prefLabel.
        graph.add_concept(record)

    # Technologies: aggregate the rows per example first.
    commodity_titles: dict[str, str] = {}
    technologies: dict[str, _Technology] = {}
    usage_rows: list[tuple[str, str]] = []
    columns = (_CODE, "Example", "Commodity Code", "Commodity Title", "Hot Technology", "In Demand")
    for row in read_rows(files["technology"], "\t", columns):
        code, name = row[_CODE].strip(), " ".join(row["Example"].split())
        commodity = row["Commodity Code"].strip()
        if not name or not commodity:
            counts["technology rows skipped (blank)"] += 1
            continue
        commodity_titles.setdefault(commodity, row["Commodity Title"].strip())
        tech = technologies.setdefault(name, _Technology(name))
        tech.commodities[commodity] += 1
        tech.hot |= row["Hot Technology"].strip().upper() == "Y"
        tech.in_demand |= row["In Demand"].strip().upper() == "Y"
        if code in occupations:
            tech.occupations.add(code)
            usage_rows.append((code, name))
        else:
            counts["technology rows with unknown occupation"] += 1

    english = _english_words(source_dir, descriptions, list(commodity_titles.values()), list(technologies))
    vendors = learn_vendors(list(technologies), ordinary_words=english)
    counts["learned vendor prefixes"] = len(vendors)

    for commodity, title in sorted(commodity_titles.items()):
        record = ConceptRecord(concept_iri("unspsc", commodity), "Technology", "unspsc", notation=commodity)
        record.set_pref(title)
        # Commodity titles are generic ("Customer relationship management CRM software"): only
        # the acronym and suffix rules apply, no vendor stripping.
        record.add_alt(technology_aliases(title, category=True))
        graph.add_concept(record)

    slugs = technology_slugs(list(technologies))
    tech_iris = {name: concept_iri("onet-tech", slugs[name]) for name in technologies}
    for name, tech in sorted(technologies.items()):
        iri = tech_iris[name]
        record = ConceptRecord(iri, "Technology", "onet-tech")
        record.set_pref(name)
        record.add_alt(technology_aliases(name, vendors))
        record.broader.append(concept_iri("unspsc", tech.commodity()))
        graph.add_concept(record)
        graph.add(iri, CG + "hotTechnology", graph.boolean(tech.hot))
        graph.add(iri, CG + "inDemand", graph.boolean(tech.in_demand))
        graph.add(iri, CG + "occupationCount", graph.integer(len(tech.occupations)))
        counts["hot technologies"] += tech.hot
        counts["in-demand technologies"] += tech.in_demand
    for code, name in usage_rows:
        graph.add(occupations[code].iri, CG + "technologyUsed", tech_iris[name])
    counts["technologyUsed links"] = len(set(usage_rows))
    counts["O*NET occupations"] = len(occupations)
    counts["UNSPSC commodities"] = len(commodity_titles)
    counts["technology examples"] = len(technologies)
    counts["examples listed under several commodities"] = sum(
        1 for tech in technologies.values() if len(tech.commodities) > 1
    )
    return graph.write(out_path, "onet", dict(counts))


def _english_words(
    source_dir: Path, descriptions: list[str], commodity_titles: list[str], names: list[str]
) -> frozenset[str]:
    """Lowercase words of ordinary O*NET prose: occupation descriptions, commodity titles, the
    lowercase words inside product names, and task statements when the release has them."""
    texts = descriptions + commodity_titles + names
    tasks = source_dir / _OPTIONAL_TASKS
    if tasks.is_file():
        texts += [row["Task"] for row in read_rows(tasks, "\t", ("Task",))]
    return common_words(texts)
