"""Registry of the vocabulary importers: ``import_vocab("cip", source_dir, out_dir)``.

``source_dir`` may be the release folder itself (``.../cip2020``) or the shared data folder
that holds it (``.../data``); the importer picks its release folder from the latter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chaingraph.vocab import cip, crosswalks, esco, onet
from chaingraph.vocab.skos import VocabImportError, VocabStats

__all__ = ["IMPORTERS", "VOCAB_ORDER", "Importer", "import_vocab", "VocabImportError", "VocabStats"]


@dataclass(frozen=True)
class Importer:
    """One vocabulary: its release folder name, the file that identifies it, and its function."""

    name: str
    folder: str
    marker: str
    run: Callable[[Path, Path], VocabStats]

    def release_dir(self, source_dir: Path) -> Path:
        """The folder holding this release: ``source_dir`` or its ``folder`` child."""
        if (source_dir / self.marker).is_file():
            return source_dir
        nested = source_dir / self.folder
        if (nested / self.marker).is_file():
            return nested
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
}

#: Build order: crosswalks read the ESCO and O*NET outputs.
VOCAB_ORDER = ("esco", "onet", "cip", "crosswalks")


def import_vocab(name: str, source_dir: Path, out_dir: Path) -> VocabStats:
    """Import vocabulary ``name`` (esco | onet | cip | crosswalks) into ``out_dir/<name>.ttl.gz``.

    Raises :class:`VocabImportError` naming the missing file when ``source_dir`` is wrong.
    """
    importer = IMPORTERS.get(name)
    if importer is None:
        raise VocabImportError(f"unknown vocabulary {name!r}; choose one of {', '.join(IMPORTERS)}")
    release = importer.release_dir(Path(source_dir))
    out_dir = Path(out_dir)
    return importer.run(release, out_dir / f"{name}.ttl.gz")
