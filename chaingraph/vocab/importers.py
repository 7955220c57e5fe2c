"""Registry of the vocabulary importers: ``import_vocab("cip", source_dir, out_dir)``.

``source_dir`` may be the release folder itself (``.../cip2020``) or the shared data folder
that holds it (``.../data``); the importer picks its release folder from the latter. The
curated Chinese labels (``zh``) are committed with chaingraph, in ``ontologies/vocab/sources``;
that folder is used when ``source_dir`` does not hold them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chaingraph.resources import vocab_dir
from chaingraph.vocab import cip, cnmajor, crosswalks, esco, gbt4754, onet, zh_core
from chaingraph.vocab.skos import VocabImportError, VocabStats

__all__ = ["IMPORTERS", "VOCAB_ORDER", "Importer", "import_vocab", "VocabImportError", "VocabStats"]


@dataclass(frozen=True)
class Importer:
    """One vocabulary: its release folder name, the file that identifies it, and its function."""

    name: str
    folder: str
    marker: str
    run: Callable[[Path, Path], VocabStats]
    #: A folder shipped with chaingraph to fall back on (the curated sources), if any.
    bundled: Callable[[], Path] | None = None

    def release_dir(self, source_dir: Path) -> Path:
        """The folder holding this release: ``source_dir``, its ``folder`` child, or the bundled one."""
        if (source_dir / self.marker).is_file():
            return source_dir
        nested = source_dir / self.folder
        if (nested / self.marker).is_file():
            return nested
        if self.bundled is not None and (self.bundled() / self.marker).is_file():
            return self.bundled()
        if not source_dir.is_dir():
            raise VocabImportError(f"{self.name}: source folder {source_dir} does not exist")
        raise VocabImportError(f"{self.name}: missing file {self.marker!r}: looked in {source_dir} and {nested}")


IMPORTERS: dict[str, Importer] = {
    "esco": Importer("esco", esco.ESCO_FOLDER, "skills_en.csv.gz", esco.import_esco),
    "onet": Importer("onet", onet.ONET_FOLDER, "Occupation Data.txt.gz", onet.import_onet),
    "cip": Importer("cip", cip.CIP_FOLDER, cip.CIP_FILE, cip.import_cip),
    "crosswalks": Importer(
        "crosswalks", crosswalks.CROSSWALK_FOLDER, crosswalks.NESTA_FILE, crosswalks.import_crosswalks
    ),
    "cnmajor": Importer("cnmajor", cnmajor.CNMAJOR_FOLDER, cnmajor.CNMAJOR_FILE, cnmajor.import_cnmajor),
    "gbt4754": Importer("gbt4754", gbt4754.GBT4754_FOLDER, gbt4754.GBT4754_FILE, gbt4754.import_gbt4754),
    "zh": Importer("zh", "sources", zh_core.ZH_CORE_FILE, zh_core.import_zh, bundled=lambda: vocab_dir() / "sources"),
}

#: Build order: crosswalks read the ESCO and O*NET outputs; zh reads ESCO, O*NET and CIP (and
#: compares its labels with cnmajor and gbt4754).
VOCAB_ORDER = ("esco", "onet", "cip", "crosswalks", "cnmajor", "gbt4754", "zh")


def import_vocab(name: str, source_dir: Path, out_dir: Path) -> VocabStats:
    """Import vocabulary ``name`` (esco | onet | cip | crosswalks | cnmajor | gbt4754 | zh) into
    ``out_dir/<name>.ttl.gz``.

    Raises :class:`VocabImportError` naming the missing file when ``source_dir`` is wrong.
    """
    importer = IMPORTERS.get(name)
    if importer is None:
        raise VocabImportError(f"unknown vocabulary {name!r}; choose one of {', '.join(IMPORTERS)}")
    release = importer.release_dir(Path(source_dir))
    out_dir = Path(out_dir)
    return importer.run(release, out_dir / f"{name}.ttl.gz")
