"""Reading a corpus folder: manifest rows first, then every other readable file, streamed.

Metadata precedence for each field: manifest row, then Markdown front matter, then what the file
itself suggests (HTML ``<title>``, first heading or line, detected language), then the defaults.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from chaingraph.corpus.document import CorpusProblem, Document, DocumentError, content_id, detect_lang
from chaingraph.corpus.manifest import MANIFEST_NAMES, Metadata, check_metadata, read_manifest
from chaingraph.corpus.readers import SUPPORTED_SUFFIXES, SourceText, read_file_bytes, read_source
from chaingraph.corpus.snapshot import Snapshot

__all__ = ["Corpus", "iter_corpus", "read_corpus", "corpus_candidates", "MAX_TITLE"]

#: Longest title derived from a document's first line.
MAX_TITLE = 200

# Root-level files that document the folder itself rather than belong to the corpus
# (a corpus README names its sources); compared on the lower-cased stem.
_FOLDER_DOCS = frozenset({"readme", "license", "licence", "notice", "changelog"})


@dataclass(frozen=True)
class Corpus:
    """Everything read from one folder.

    Parameters
    ----------
    root
        The corpus folder.
    documents
        The documents, manifest rows first (in manifest order), then the other files sorted by path.
    problems
        Errors (file not read) and warnings (file read with a default, or skipped as a duplicate).
    snapshot
        What the read looked at (see :mod:`chaingraph.corpus.snapshot`), or None.
    """

    root: Path
    documents: tuple[Document, ...]
    problems: tuple[CorpusProblem, ...]
    snapshot: Snapshot | None = field(default=None, compare=False, repr=False)

    @property
    def errors(self) -> tuple[CorpusProblem, ...]:
        """The problems that kept a file out of the corpus."""
        return tuple(problem for problem in self.problems if problem.severity == "error")

    @property
    def warnings(self) -> tuple[CorpusProblem, ...]:
        """The problems that left a document with a default value, or skipped a duplicate."""
        return tuple(problem for problem in self.problems if problem.severity == "warning")

    def __len__(self) -> int:
        return len(self.documents)

    def __iter__(self) -> Iterator[Document]:
        return iter(self.documents)


def _check_root(root: Path) -> Path:
    root = Path(root)
    if not root.exists():
        raise FileNotFoundError(f"corpus folder {str(root)!r} does not exist")
    if not root.is_dir():
        raise NotADirectoryError(f"corpus folder {str(root)!r} is a file; give the folder that holds the documents")
    return root


def iter_corpus(root: Path) -> Iterator[Document | CorpusProblem]:
    """Stream the documents of a folder, and the problems met on the way, one file at a time.

    Parameters
    ----------
    root
        The corpus folder; an optional ``manifest.csv``/``manifest.jsonl`` at its top gives
        per-document metadata. Hidden files and folders, manifests, root-level README/LICENSE
        files and unsupported file types are not documents.

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        At once (not on the first ``next``) when ``root`` is not a folder.
    """
    return _iter_documents(_check_root(root), None)


def read_corpus(root: Path) -> Corpus:
    """Read a whole folder into a :class:`Corpus` (see :func:`iter_corpus`), with a
    :class:`~chaingraph.corpus.snapshot.Snapshot` of what it read.

    Parameters
    ----------
    root
        The corpus folder.
    """
    root = _check_root(root)
    snapshot = Snapshot(root)
    documents: list[Document] = []
    problems: list[CorpusProblem] = []
    for item in _iter_documents(root, snapshot):
        if isinstance(item, Document):
            documents.append(item)
        else:
            problems.append(item)
    return Corpus(Path(root), tuple(documents), tuple(problems), snapshot)


def _iter_documents(root: Path, snapshot: Snapshot | None) -> Iterator[Document | CorpusProblem]:
    manifest = read_manifest(root, snapshot)
    yield from manifest.problems
    first_path_of: dict[str, str] = {}
    listed = set()
    for entry in manifest.entries:
        listed.add(entry.path)
        yield from _build(root, entry.path, entry.metadata, first_path_of, snapshot)
    candidates = corpus_candidates(root)
    if snapshot is not None:
        snapshot.candidates = candidates
    for path in candidates:
        if path not in listed:
            yield from _build(root, path, Metadata(), first_path_of, snapshot)


def corpus_candidates(root: Path) -> list[str]:
    """Relative POSIX paths of the files of ``root`` that are documents unless the manifest lists
    them, sorted: readable types, not hidden, not a manifest or a root-level README/LICENSE.

    Parameters
    ----------
    root
        The corpus folder.
    """
    found: list[str] = []
    # Plain strings, not Path objects: a rebuild with nothing to do walks 10,000 files in this loop.
    for directory, folders, files in os.walk(root):
        # Pruning in place keeps os.walk out of hidden folders (.git, .venv, ...).
        folders[:] = [folder for folder in folders if not folder.startswith(".")]
        relative_dir = os.path.relpath(directory, root).replace(os.sep, "/")
        at_root = relative_dir == "."
        prefix = "" if at_root else relative_dir + "/"
        for name in files:
            if name.startswith((".", "~$")):  # hidden files and Office lock files
                continue
            suffix = os.path.splitext(name)[1].lower()
            if suffix not in SUPPORTED_SUFFIXES:
                continue
            if at_root and (name.lower() in MANIFEST_NAMES or Path(name).stem.lower() in _FOLDER_DOCS):
                continue
            found.append(prefix + name)
    return sorted(found)


def _build(
    root: Path, path: str, listed: Metadata, first_path_of: dict[str, str], snapshot: Snapshot | None
) -> Iterator[Document | CorpusProblem]:
    """Read one file and merge its metadata; yields its problems, then the document if any."""
    try:
        data = read_file_bytes(root / path, snapshot.read) if snapshot is not None else None
        source = read_source(root / path, data)
    except DocumentError as exc:
        yield CorpusProblem(path, str(exc), "error")
        return
    front, warnings = check_metadata(source.metadata, "front matter", path)
    yield from warnings
    text = source.text
    doc_id = content_id(text)
    if doc_id in first_path_of:
        yield CorpusProblem(path, f"same text as {first_path_of[doc_id]}; skipped", "warning")
        return
    first_path_of[doc_id] = path
    yield Document(
        id=doc_id,
        text=text,
        path=path,
        title=listed.title or front.title or _default_title(source, path),
        kind=listed.kind or front.kind or "other",
        lang=listed.lang or front.lang or detect_lang(text),
        date=listed.date or front.date,
        issuer=listed.issuer or front.issuer,
        about=listed.about or front.about,
    )


def _default_title(source: SourceText, path: str) -> str:
    """The format's own title, else the first non-empty line, else the file stem."""
    candidate = source.title
    if not candidate or not candidate.strip():
        candidate = next((line for line in source.text.split("\n") if line.strip()), None)
    if candidate:
        return " ".join(candidate.split())[:MAX_TITLE].rstrip()
    return Path(path).stem
