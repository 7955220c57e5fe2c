"""Occupation crosswalks -> ``crosswalks.ttl.gz``.

* Nesta's ESCO -> O*NET crosswalk (Kanders et al. 2020): each ESCO occupation's best-matching
  O*NET occupation with a confidence of 0.5, 1 or 2 (highest). The mapping is many-to-one (several
  ESCO occupations share one O*NET occupation), so it never claims equivalence: confidence 1 and 2
  become ``skos:closeMatch``; the low-confidence 0.5 matches become ``skos:relatedMatch``.
* BLS ISCO-08 -> SOC 2010: ``<ISCO group> skos:closeMatch <O*NET occupation code + ".00">``.

A mapping is written only when both ends are concepts of the ESCO and O*NET vocabularies (read
from the already built ``esco.ttl.gz`` and ``onet.ttl.gz``); the rest is counted as dropped.
"""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pyoxigraph as ox

from chaingraph.rdf.namespaces import CG, RDF, SKOS, concept_iri
from chaingraph.vocab.skos import VocabGraph, VocabImportError, VocabStats, read_rows, require_file

__all__ = ["import_crosswalks", "CROSSWALK_FOLDER", "NESTA_FILE", "BLS_FILE", "occupation_iris"]

CROSSWALK_FOLDER = "onet-esco-crosswalk-nesta"
NESTA_FILE = "esco_onet_crosswalk_Nov2020.csv"
BLS_FILE = "BLS_ISCO08_to_SOC2010_crosswalk.csv"
#: Nesta confidence at or above which a match is a closeMatch (below: relatedMatch).
CLOSE_MATCH_CONFIDENCE = 1.0


def occupation_iris(vocab_path: Path) -> set[str]:
    """The IRIs typed ``cg:Occupation`` in a built vocabulary file."""
    if not vocab_path.is_file():
        raise VocabImportError(
            f"crosswalks: {vocab_path.name} not found in {vocab_path.parent}; import esco and onet before crosswalks"
        )
    occupation = ox.NamedNode(CG + "Occupation")
    rdf_type = ox.NamedNode(RDF + "type")
    with gzip.open(vocab_path, "rb") as handle:
        return {
            triple.subject.value
            for triple in ox.parse(handle, format=ox.RdfFormat.TURTLE)
            if triple.predicate == rdf_type and triple.object == occupation
        }


def _soc_to_onet(code: str) -> str:
    # SOC "15-1252" is the O*NET-SOC occupation "15-1252.00".
    code = code.strip()
    return code if "." in code else code + ".00"


def import_crosswalks(
    source_dir: Path,
    out_path: Path,
    esco_path: Path | None = None,
    onet_path: Path | None = None,
) -> VocabStats:
    """Import the Nesta and BLS crosswalks in ``source_dir`` and write ``out_path``.

    ``esco_path``/``onet_path`` default to ``esco.ttl.gz``/``onet.ttl.gz`` next to ``out_path``.
    """
    nesta = require_file(source_dir, NESTA_FILE, "crosswalks")
    bls = require_file(source_dir, BLS_FILE, "crosswalks")
    known = occupation_iris(esco_path or out_path.with_name("esco.ttl.gz"))
    known |= occupation_iris(onet_path or out_path.with_name("onet.ttl.gz"))
    graph = VocabGraph()
    counts: Counter[str] = Counter()

    for row in read_rows(nesta, columns=("concept_uri", "onet_code", "confidence")):
        esco = row["concept_uri"].strip()
        onet = concept_iri("onet", row["onet_code"].strip())
        try:
            confidence = float(row["confidence"])
        except ValueError:
            counts["nesta rows with unreadable confidence"] += 1
            continue
        if esco not in known or onet not in known:
            reason = "ESCO occupation unknown" if esco not in known else "O*NET code not in O*NET 29.2"
            counts[f"nesta dropped ({reason})"] += 1
            continue
        if confidence >= CLOSE_MATCH_CONFIDENCE:
            graph.add(esco, SKOS + "closeMatch", onet)
            counts[f"nesta closeMatch (confidence {confidence:g})"] += 1
        else:
            graph.add(esco, SKOS + "relatedMatch", onet)
            counts["nesta relatedMatch (confidence 0.5)"] += 1

    for row in read_rows(bls, columns=("ISCO-08 Code", "2010 SOC Code")):
        isco = concept_iri("isco", row["ISCO-08 Code"].strip())
        onet = concept_iri("onet", _soc_to_onet(row["2010 SOC Code"]))
        if isco not in known or onet not in known:
            reason = "ISCO group unknown" if isco not in known else "SOC 2010 code not an O*NET 29.2 occupation"
            counts[f"bls dropped ({reason})"] += 1
            continue
        graph.add(isco, SKOS + "closeMatch", onet)
        counts["bls closeMatch"] += 1

    if len(graph) == 0:
        raise VocabImportError(f"crosswalks: no mapping survived; check {source_dir} and the built vocabularies")
    return graph.write(out_path, "crosswalks", dict(counts))
