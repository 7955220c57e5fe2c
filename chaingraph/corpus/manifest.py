"""The optional manifest beside a corpus, and the checks shared by manifest rows and front matter.

A manifest is ``manifest.csv`` (UTF-8, BOM allowed) or ``manifest.jsonl`` at the corpus root, one
row per document with the columns ``path, title, kind, lang, date, issuer, about``; only ``path``
is required and unknown columns are ignored. Every problem names the manifest line it comes from.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from chaingraph.corpus.document import KINDS, CorpusProblem, replace_surrogates
from chaingraph.corpus.paths import name_problem, outside_target, printable, real_root
from chaingraph.corpus.readers import SUPPORTED_SUFFIXES, is_supported
from chaingraph.corpus.snapshot import Snapshot
from chaingraph.rdf.namespaces import UnknownConceptCode, resolve_concept

__all__ = [
    "MANIFEST_NAMES",
    "COLUMNS",
    "Metadata",
    "ManifestEntry",
    "Manifest",
    "check_metadata",
    "normalise_path",
    "read_manifest",
]

#: File names recognised as a manifest at the corpus root, in order of preference.
MANIFEST_NAMES = ("manifest.csv", "manifest.jsonl")
#: Manifest columns; only ``path`` is required.
COLUMNS = ("path", "title", "kind", "lang", "date", "issuer", "about")

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def _storable_tag(lang: str) -> bool:
    """Whether the store takes ``lang`` as a language tag: BCP 47's rules go further than the pattern
    (``aa-0`` is no tag: a one-character subtag opens an extension that must follow)."""
    try:
        ox.Literal("", language=lang)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Metadata:
    """Checked document metadata from one source (a manifest row or front matter).

    Each field is None when the source does not give it, or gives a value that failed its check,
    so that the next source in line (or the default) applies.

    Parameters
    ----------
    title, kind, lang, date, issuer
        As in :class:`~chaingraph.corpus.document.Document`.
    about
        The resolved concept IRI.
    """

    title: str | None = None
    kind: str | None = None
    lang: str | None = None
    date: str | None = None
    issuer: str | None = None
    about: str | None = None


@dataclass(frozen=True)
class ManifestEntry:
    """One usable manifest row: a file that exists, with its checked metadata.

    Parameters
    ----------
    path
        Normalised POSIX path relative to the corpus root.
    line
        Line of the manifest the row starts on (the header is line 1).
    metadata
        The row's checked metadata.
    """

    path: str
    line: int
    metadata: Metadata


@dataclass(frozen=True)
class Manifest:
    """The manifest of a corpus folder.

    Parameters
    ----------
    name
        ``"manifest.csv"``, ``"manifest.jsonl"`` or None when the folder has no manifest.
    entries
        Usable rows in manifest order.
    problems
        Everything wrong with the manifest or its rows, each naming the line.
    """

    name: str | None
    entries: tuple[ManifestEntry, ...] = ()
    problems: tuple[CorpusProblem, ...] = ()


def _clean(value: object) -> str | None:
    """A stripped string, or None for missing or blank values."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def check_metadata(raw: Mapping[str, object], where: str, path: str) -> tuple[Metadata, list[CorpusProblem]]:
    """Check and normalise the metadata fields of one source.

    Invalid values become warnings and are dropped (the document falls back to defaults); a
    bad value never stops the document from being read.

    Parameters
    ----------
    raw
        Field name -> raw value; names other than the metadata columns are ignored.
    where
        Where the values come from, for messages (``"manifest.csv line 7"``, ``"front matter"``).
    path
        The document path the problems are reported against.
    """
    problems: list[CorpusProblem] = []

    def warn(message: str) -> None:
        problems.append(CorpusProblem(path, f"{where}: {message}", "warning"))

    kind = _clean(raw.get("kind"))
    if kind is not None:
        kind = kind.lower().replace("-", "_").replace(" ", "_")
        if kind not in KINDS:
            warn(f"kind {raw.get('kind')!r} is not one of {', '.join(KINDS)}; using 'other'")
            kind = None

    lang = _clean(raw.get("lang"))
    if lang is not None:
        lang = lang.replace("_", "-")
        if _LANG.match(lang) and _storable_tag(lang):
            # Primary language subtags are lower case by convention ("EN-gb" -> "en-gb").
            primary, _, rest = lang.partition("-")
            lang = primary.lower() + ("-" + rest if rest else "")
        else:
            warn(f"lang {raw.get('lang')!r} is not a BCP-47 tag such as 'en' or 'zh-CN'; detecting it")
            lang = None

    date = _clean(raw.get("date"))
    if date is not None and not _valid_date(date):
        warn(f"date {date!r} is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD); left empty")
        date = None

    about = _clean(raw.get("about"))
    if about is not None:
        try:
            about = resolve_concept(about)
        except UnknownConceptCode as exc:
            warn(f"about {about!r} cannot be resolved to a concept ({exc}); left empty")
            about = None

    title = _clean(raw.get("title"))
    if title is not None:
        title = " ".join(title.split())
    metadata = Metadata(
        title=title,
        kind=kind,
        lang=lang,
        date=date,
        issuer=_clean(raw.get("issuer")),
        about=about,
    )
    return metadata, problems


def _valid_date(value: str) -> bool:
    if not _DATE.match(value):
        return False
    parts = [int(part) for part in value.split("-")]
    try:
        dt.date(parts[0], *(parts[1:] + [1] * (3 - len(parts))))
    except ValueError:
        return False
    return True


def normalise_path(raw: str) -> str | None:
    """A manifest path as a clean POSIX path relative to the corpus root, or None if it leaves it.

    Backslashes count as separators and ``.`` segments are dropped; absolute paths, drive
    letters and ``..`` segments are refused so a manifest cannot reach outside its folder.

    Parameters
    ----------
    raw
        The path as written in the manifest.
    """
    raw = raw.strip().replace("\\", "/")
    if raw.startswith("/") or re.match(r"^[A-Za-z]:", raw):
        return None
    parts = [part for part in raw.split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def _kind(path: Path, snapshot: Snapshot | None, inside: str | None) -> str:
    """What ``path`` is: "file", "other", "missing" or, with ``inside`` (the resolved corpus folder),
    "outside" when it leads out of it; recorded in ``snapshot`` when there is one."""
    if snapshot is not None:
        info = snapshot.stat(path)
        if info is None:
            return "outside" if inside is not None and outside_target(path, inside) is not None else "missing"
        return "file" if stat.S_ISREG(info.st_mode) else "other"
    if inside is not None and outside_target(path, inside) is not None:
        return "outside"
    try:
        info = path.stat()
    except OSError:  # no such file, a symlink loop, a name too long to be a file's
        return "missing"
    return "file" if stat.S_ISREG(info.st_mode) else "other"


def read_manifest(root: Path, snapshot: Snapshot | None = None, *, follow_links: bool = False) -> Manifest:
    """Read ``manifest.csv`` or ``manifest.jsonl`` at ``root``, checking every row.

    Rows whose file is missing, outside the folder, of an unsupported type or listed twice are
    dropped with an error (a warning for repeats); rows with a bad ``kind``, ``lang``, ``date``
    or ``about`` are kept with that field empty and a warning.

    Parameters
    ----------
    root
        The corpus folder.
    snapshot
        Records every path looked at and the manifest's bytes (default None: nothing recorded).
    follow_links
        Also read files (the manifest included) that links lead to outside the folder (default
        False: a row naming one is refused).
    """
    root = Path(root)
    inside = None if follow_links else real_root(root)
    kinds = {name: _kind(root / name, snapshot, inside) for name in MANIFEST_NAMES}
    problems: list[CorpusProblem] = [
        CorpusProblem(name, f"ignored: {name} links outside the corpus (--follow-links reads it)")
        for name, kind in kinds.items()
        if kind == "outside"
    ]
    present = [name for name, kind in kinds.items() if kind == "file"]
    if not present:
        return Manifest(None, (), tuple(problems))
    name = present[0]
    problems += [
        CorpusProblem(other, f"ignored: {name} is used when both manifests exist", "warning") for other in present[1:]
    ]
    data = snapshot.read(root / name) if snapshot is not None else (root / name).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(CorpusProblem(name, f"cannot decode {name}: byte {exc.start} is not UTF-8; save it as UTF-8"))
        return Manifest(name, (), tuple(problems))
    rows = _csv_rows(text, name, problems) if name.endswith(".csv") else _jsonl_rows(text, name, problems)
    entries: list[ManifestEntry] = []
    first_line: dict[str, int] = {}
    for line, row in rows:
        entry = _entry(root, name, line, row, first_line, problems, snapshot, inside)
        if entry is not None:
            entries.append(entry)
    return Manifest(name, tuple(entries), tuple(problems))


def _csv_rows(text: str, name: str, problems: list[CorpusProblem]) -> Iterable[tuple[int, dict[str, object]]]:
    """(start line, row) pairs; a row may span lines when a quoted cell holds newlines."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return
        columns = [column.strip().lower() for column in header]
        if "path" not in columns:
            found = ", ".join(repr(column) for column in columns) or "none"
            problems.append(
                CorpusProblem(name, f"{name} has no 'path' column (found: {found}); the manifest is ignored")
            )
            return
        previous = reader.line_num
        for cells in reader:
            line = previous + 1
            previous = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(columns):
                problems.append(
                    CorpusProblem(
                        name,
                        f"{name} line {line} has {len(cells)} cells but the header has {len(columns)} "
                        "(an unquoted comma?); the extra cells are ignored",
                        "warning",
                    )
                )
            yield line, dict(zip(columns, cells, strict=False))
    except csv.Error as exc:
        problems.append(
            CorpusProblem(name, f"{name} line {reader.line_num}: not valid CSV ({exc}); the rest is ignored")
        )


def _jsonl_rows(text: str, name: str, problems: list[CorpusProblem]) -> Iterable[tuple[int, dict[str, object]]]:
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append(CorpusProblem(name, f"{name} line {line}: not valid JSON ({exc.msg}); row ignored"))
            continue
        if not isinstance(row, dict):
            problems.append(CorpusProblem(name, f"{name} line {line}: not a JSON object; row ignored"))
            continue
        clean: dict[str, object] = {}
        for key, value in row.items():
            key = str(key).strip().lower()
            if isinstance(value, str) and key in COLUMNS and key != "path":
                # A "\ud800" escape decodes to a lone surrogate, which no file or graph can hold;
                # the path is checked (and refused) with the row.
                value, replaced = replace_surrogates(value)
                if replaced:
                    problems.append(
                        CorpusProblem(
                            name,
                            f"{name} line {line}: {key} holds {replaced} lone surrogate(s) (\\ud800 to \\udfff), "
                            "which are not characters; replaced by U+FFFD",
                            "warning",
                        )
                    )
            if value is None or isinstance(value, str | int | float) and not isinstance(value, bool):
                clean[key] = value
            elif key in COLUMNS:
                problems.append(
                    CorpusProblem(
                        name,
                        f"{name} line {line}: {key} must be a string, not {type(value).__name__}; ignored",
                        "warning",
                    )
                )
        yield line, clean


def _entry(
    root: Path,
    name: str,
    line: int,
    row: Mapping[str, object],
    first_line: dict[str, int],
    problems: list[CorpusProblem],
    snapshot: Snapshot | None = None,
    inside: str | None = None,
) -> ManifestEntry | None:
    """Check one row; report its problems and return the entry when the file can be read."""
    raw_path = _clean(row.get("path"))
    if raw_path is None:
        problems.append(CorpusProblem(name, f"{name} line {line} has no path; row ignored"))
        return None
    invalid = name_problem(raw_path)
    if invalid is not None:
        problems.append(CorpusProblem(printable(raw_path), f"{name} line {line}: {invalid}"))
        return None
    path = normalise_path(raw_path)
    if path is None:
        problems.append(
            CorpusProblem(
                raw_path,
                f"{name} line {line}: the path must be relative to the corpus folder and stay inside it",
            )
        )
        return None
    if path in first_line:
        problems.append(
            CorpusProblem(
                path,
                f"listed again in {name} line {line} (first on line {first_line[path]}); repeat ignored",
                "warning",
            )
        )
        return None
    file = root / path
    kind = _kind(file, snapshot, inside)
    if kind == "outside":
        target = outside_target(file, real_root(root))
        problems.append(
            CorpusProblem(
                path,
                f"listed in {name} line {line} but it links outside the corpus to {printable(str(target))} "
                "(--follow-links reads it)",
            )
        )
        return None
    if kind == "missing":
        problems.append(CorpusProblem(path, f"listed in {name} line {line} but the file does not exist"))
        return None
    if kind != "file":
        problems.append(CorpusProblem(path, f"listed in {name} line {line} but it is a folder, not a file"))
        return None
    if not is_supported(file):
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        problems.append(
            CorpusProblem(
                path,
                f"listed in {name} line {line} but {file.suffix or 'files without a suffix'!s} "
                f"cannot be read (supported: {supported})",
            )
        )
        return None
    first_line[path] = line
    metadata, warnings = check_metadata(row, f"{name} line {line}", path)
    problems.extend(warnings)
    return ManifestEntry(path, line, metadata)
