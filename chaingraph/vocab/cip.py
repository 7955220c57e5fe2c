"""NCES CIP 2020 -> ``cip.ttl.gz``: every 2-, 4- and 6-digit instructional programme code.

CIP 2020 lists codes that left the taxonomy too: rows whose Action is "Moved from" (the old
position of a relocated programme, e.g. 51.2401 -> 01.8001) or "Deleted" are not imported; the
"Moved to" rows are the programme's valid 2020 code and are kept.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from chaingraph.rdf.namespaces import concept_iri
from chaingraph.vocab.aliases import programme_aliases
from chaingraph.vocab.skos import (
    ConceptRecord,
    VocabGraph,
    VocabImportError,
    VocabStats,
    read_rows,
    require_file,
)

__all__ = ["import_cip", "CIP_FOLDER", "CIP_FILE", "normalise_cip_code", "EXCLUDED_ACTIONS"]

CIP_FOLDER = "cip2020"
CIP_FILE = "CIPCode2020.csv"
#: Actions whose code is no longer a CIP 2020 programme.
EXCLUDED_ACTIONS = frozenset({"moved from", "deleted"})
_SOURCE = "NCES Classification of Instructional Programs 2020, CIPCode2020.csv (https://nces.ed.gov/ipeds/cipcode/)"
_LICENSE = "Public domain (U.S. federal government work, National Center for Education Statistics)"

_CODE = re.compile(r"^(\d{1,2})(?:\.(\d{1,4}))?$")
# Definitions that only point elsewhere ("Instructional content is defined in code 01.0000.").
_POINTER_DEFINITION = re.compile(r"^Instructional content (?:for this group of programs )?is defined in code", re.I)


def normalise_cip_code(raw: str) -> str | None:
    """A CIP code as text with its leading zeros (``"1.0101"``, ``'="01.0101"'`` -> ``"01.0101"``).

    Spreadsheet exports may wrap codes as ``="01.0101"``, add stray quotes, or drop the leading
    zero of the family and trailing zeros of the series; ``None`` if it is no CIP code.
    """
    text = raw.strip().lstrip("=").strip().strip("\"'").strip()
    match = _CODE.match(text)
    if not match:
        return None
    family, rest = match.group(1).zfill(2), match.group(2)
    if rest is None:
        return family
    # "01.1" read as a number was "01.10"; a 4-digit code has 2 digits after the point, 6-digit 4.
    rest = rest.ljust(2, "0") if len(rest) <= 2 else rest.ljust(4, "0")
    return f"{family}.{rest}"


def _parent(code: str) -> str | None:
    if len(code) == 7:
        return code[:5]
    if len(code) == 5:
        return code[:2]
    return None


def import_cip(source_dir: Path, out_path: Path) -> VocabStats:
    """Import ``CIPCode2020.csv`` from ``source_dir`` and write ``out_path`` (``cip.ttl.gz``)."""
    path = require_file(source_dir, CIP_FILE, "cip")
    graph = VocabGraph()
    counts: Counter[str] = Counter()
    graph.add_scheme("cip", "Classification of Instructional Programs (CIP 2020)", _SOURCE, _LICENSE)

    records: dict[str, ConceptRecord] = {}
    for row in read_rows(path, columns=("CIPCode", "Action", "CIPTitle", "CIPDefinition")):
        code = normalise_cip_code(row["CIPCode"])
        if code is None:
            counts["rows with unreadable code"] += 1
            continue
        action = row["Action"].strip().lower()
        if action in EXCLUDED_ACTIONS:
            counts[f"skipped ({action})"] += 1
            continue
        title = row["CIPTitle"].strip().rstrip(".").strip()
        record = ConceptRecord(concept_iri("cip", code), "Programme", "cip", notation=code)
        record.set_pref(title)
        record.add_hidden(programme_aliases(title))
        definition = row["CIPDefinition"].strip()
        if not _POINTER_DEFINITION.match(definition):
            record.set_definition(definition)
        else:
            counts["pointer definitions left out"] += 1
        if code in records:
            counts["duplicate codes ignored"] += 1
            continue
        records[code] = record
    if not records:
        raise VocabImportError(f"cip: no CIP codes read from {path}")

    for code, record in sorted(records.items()):
        parent = _parent(code)
        if parent is not None:
            if parent in records:
                record.broader.append(concept_iri("cip", parent))
            else:
                counts["codes without a parent"] += 1
        graph.add_concept(record)
        counts[f"{len(code.replace('.', ''))}-digit codes"] += 1
    return graph.write(out_path, "cip", dict(counts))
