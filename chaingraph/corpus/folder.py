"""Reading a corpus folder: manifest rows first, then every other readable file, streamed.

Metadata precedence for each field: manifest row, then Markdown front matter, then what the file
itself suggests (HTML ``<title>``, first heading or line, detected language), then the defaults.

Reading stays inside the folder: a symbolic link (to a file or a folder) that leads outside it is
skipped with a warning unless ``follow_links`` is given, and a folder reached twice through links
(a loop) is walked once. Files whose names are not UTF-8, and anything but regular files (a FIFO
would block the read), are named and skipped.
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from chaingraph.corpus.document import CorpusProblem, Document, DocumentError, content_id, detect_lang
from chaingraph.corpus.manifest import MANIFEST_NAMES, Metadata, check_metadata, read_manifest
from chaingraph.corpus.paths import name_problem, outside_target, printable, real_root
from chaingraph.corpus.readers import SUPPORTED_SUFFIXES, SourceText, read_file_bytes, read_source
from chaingraph.corpus.snapshot import Snapshot

__all__ = [
    "Corpus",
    "EmptyCorpusError",
    "iter_corpus",
    "read_corpus",
    "corpus_candidates",
    "MAX_TITLE",
    "FILE_TO_TEXT_RATIO",
]

#: Longest title derived from a document's first line.
MAX_TITLE = 200

#: A file more than this many times the text limit on disk is refused before it is read: PDF, DOCX
#: and HTML give less text than their bytes, a plain text file as much, never more than this.
FILE_TO_TEXT_RATIO = 4

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


class EmptyCorpusError(RuntimeError):
    """A corpus folder from which no document could be read: building it would empty the store.

    Parameters
    ----------
    root
        The corpus folder.
    problems
        What went wrong with its files (empty when it holds none that could be documents).
    """

    def __init__(self, root: Path, problems: tuple[CorpusProblem, ...] | list[CorpusProblem] = ()) -> None:
        self.root = Path(root)
        self.problems = tuple(problems)
        failed = sum(1 for problem in self.problems if problem.severity == "error")
        if failed:
            why = f"none of its files could be read ({failed} failed)"
        elif self.problems:  # links that lead outside, duplicates
            why = f"no document was read ({len(self.problems)} file(s) skipped)"
        else:
            why = "it holds no .txt, .md, .html, .pdf or .docx document"
        super().__init__(
            f"corpus folder {printable(str(root))!r}: {why}; the store was left as it was "
            "(--allow-empty builds it anyway, removing every document from the store)"
        )


def _check_root(root: Path) -> Path:
    root = Path(root)
    if not root.exists():
        raise FileNotFoundError(f"corpus folder {str(root)!r} does not exist")
    if not root.is_dir():
        raise NotADirectoryError(f"corpus folder {str(root)!r} is a file; give the folder that holds the documents")
    return root


def iter_corpus(root: Path, *, follow_links: bool = False) -> Iterator[Document | CorpusProblem]:
    """Stream the documents of a folder, and the problems met on the way, one file at a time.

    Parameters
    ----------
    root
        The corpus folder; an optional ``manifest.csv``/``manifest.jsonl`` at its top gives
        per-document metadata. Hidden files and folders, manifests, root-level README/LICENSE
        files and unsupported file types are not documents.
    follow_links
        Also read links that lead outside the folder (default False: they are skipped and named).

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        At once (not on the first ``next``) when ``root`` is not a folder.
    """
    return _iter_documents(_check_root(root), None, follow_links)


def read_corpus(root: Path, *, follow_links: bool = False, max_document_mb: float | None = None) -> Corpus:
    """Read a whole folder into a :class:`Corpus` (see :func:`iter_corpus`), with a
    :class:`~chaingraph.corpus.snapshot.Snapshot` of what it read.

    Parameters
    ----------
    root
        The corpus folder.
    follow_links
        Also read links that lead outside the folder (default False: they are skipped and named).
    max_document_mb
        The most text a document may have, in MB (10^6 bytes of UTF-8), or None for no limit. A
        file of more than :data:`FILE_TO_TEXT_RATIO` times that many bytes is named as an error
        without being read, so that a huge file never fills the memory; a document whose text
        passes the limit is named as an error after reading.
    """
    root = _check_root(root)
    snapshot = Snapshot(root, follow_links=follow_links)
    documents: list[Document] = []
    problems: list[CorpusProblem] = []
    for item in _iter_documents(root, snapshot, follow_links, max_document_mb):
        if isinstance(item, Document):
            documents.append(item)
        else:
            problems.append(item)
    return Corpus(Path(root), tuple(documents), tuple(problems), snapshot)


def _iter_documents(
    root: Path, snapshot: Snapshot | None, follow_links: bool, max_document_mb: float | None = None
) -> Iterator[Document | CorpusProblem]:
    manifest = read_manifest(root, snapshot, follow_links=follow_links)
    yield from manifest.problems
    first_path_of: dict[str, str] = {}
    listed = set()
    for entry in manifest.entries:
        listed.add(entry.path)
        yield from _build(root, entry.path, entry.metadata, first_path_of, snapshot, max_document_mb)
    candidates, skipped = _walk(root, follow_links)
    if snapshot is not None:
        snapshot.candidates = candidates
    named = listed | {problem.path for problem in manifest.problems}  # a listed file is named once
    yield from (problem for problem in skipped if problem.path not in named)
    for path in candidates:
        if path not in listed:
            yield from _build(root, path, Metadata(), first_path_of, snapshot, max_document_mb)


def corpus_candidates(root: Path, *, follow_links: bool = False) -> list[str]:
    """Relative POSIX paths of the files of ``root`` that are documents unless the manifest lists
    them, sorted: readable types, not hidden, not a manifest or a root-level README/LICENSE, regular
    files with UTF-8 names, inside the folder (or anywhere with ``follow_links``).

    Parameters
    ----------
    root
        The corpus folder.
    follow_links
        Also take links that lead outside the folder, and walk the folders they lead to.
    """
    return _walk(root, follow_links)[0]


def _walk(root: Path, follow_links: bool) -> tuple[list[str], list[CorpusProblem]]:
    """The candidate files of ``root`` (see :func:`corpus_candidates`), and the files skipped on the way, named."""
    inside = real_root(root)
    found: list[str] = []
    problems: list[CorpusProblem] = []
    walked: set[tuple[int, int]] = set()  # (device, inode) of each folder walked: a link loop is walked once
    # Strings and scandir, not Path objects: a rebuild with nothing to do walks 10,000 files in this loop.
    pending = [("", str(root))]
    while pending:
        prefix, directory = pending.pop()
        where = printable(prefix.rstrip("/")) or "."
        try:
            info = os.stat(directory)
            if (info.st_dev, info.st_ino) in walked:
                problems.append(
                    CorpusProblem(where, "a link to a folder already read (a link loop?); skipped", "warning")
                )
                continue
            walked.add((info.st_dev, info.st_ino))
            entries = list(os.scandir(directory))
        except OSError as error:
            problems.append(
                CorpusProblem(where, f"cannot list the folder: {error.strerror or error}; its files are not read")
            )
            continue
        for entry in entries:
            name = entry.name
            if name.startswith((".", "~$")):  # hidden files and folders (.git, .venv), Office lock files
                continue
            path = prefix + name
            link = entry.is_symlink()
            try:
                is_folder = entry.is_dir()  # for a link: what it leads to
            except OSError:
                is_folder = False
            if not is_folder and not _is_candidate(name, at_root=not prefix):
                continue
            # Without follow_links no folder link is walked, so only a link itself can lead outside.
            target = outside_target(entry.path, inside) if link else None
            if target is not None and not follow_links:
                reason = f"links outside the corpus to {printable(target)}; skipped (--follow-links reads it)"
                problems.append(CorpusProblem(printable(path), reason, "warning"))
                continue
            if is_folder:
                # A link to a folder inside the corpus is not walked: its files are read where they are.
                if not link or target is not None:
                    pending.append((path + "/", entry.path))
                continue
            problem = name_problem(path)
            if problem is not None:
                problems.append(CorpusProblem(printable(path), problem))
                continue
            if not _regular(entry, link):
                problems.append(CorpusProblem(path, "not a regular file (a device, FIFO or socket); skipped"))
                continue
            found.append(path)
    return sorted(found), sorted(problems, key=lambda problem: problem.path)


def _is_candidate(name: str, *, at_root: bool) -> bool:
    """Whether a file of this name may be a document: a readable type, not the folder's manifest or README."""
    stem, suffix = os.path.splitext(name)
    if suffix.lower() not in SUPPORTED_SUFFIXES:
        return False
    return not at_root or (name.lower() not in MANIFEST_NAMES and stem.lower() not in _FOLDER_DOCS)


def _regular(entry: os.DirEntry, link: bool) -> bool:
    """Whether ``entry`` is (or leads to) a regular file; reading anything else could block (a FIFO)."""
    if not link:
        return entry.is_file(follow_symlinks=False)  # from the folder listing: no system call
    try:
        return stat.S_ISREG(entry.stat().st_mode)
    except OSError:
        return True  # a broken link or a link loop: reading it names the reason


def _build(
    root: Path,
    path: str,
    listed: Metadata,
    first_path_of: dict[str, str],
    snapshot: Snapshot | None,
    max_document_mb: float | None = None,
) -> Iterator[Document | CorpusProblem]:
    """Read one file and merge its metadata; yields its problems, then the document if any."""
    too_large = _too_large(root / path, max_document_mb)
    if too_large is not None:
        if snapshot is not None:
            snapshot.complete = False  # a file not read is a file the build record cannot vouch for
        yield CorpusProblem(path, too_large, "error")
        return
    try:
        data = read_file_bytes(root / path, snapshot.read) if snapshot is not None else None
        source = read_source(root / path, data)
    except DocumentError as exc:
        yield CorpusProblem(path, str(exc), "error")
        return
    for note in source.notes:  # what the file's reader warned about (pypdf, BeautifulSoup), named here
        yield CorpusProblem(path, note, "warning")
    front, warnings = check_metadata(source.metadata, "front matter", path)
    yield from warnings
    text = source.text
    too_long = _too_long(text, max_document_mb)
    if too_long is not None:
        yield CorpusProblem(path, too_long, "error")
        return
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


def _too_long(text: str, max_document_mb: float | None) -> str | None:
    """Why ``text`` is too long to be one document (more than ``max_document_mb`` MB of UTF-8), or None."""
    if max_document_mb is None:
        return None
    size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    if size <= max_document_mb * 1e6:
        return None
    return (
        f"{size / 1e6:,.2f} MB of text, more than the {max_document_mb:g} MB a document may have; not built "
        f"(--max-document-mb {math.ceil(size / 1e6)} or more builds it)"
    )


def _too_large(path: Path, max_document_mb: float | None) -> str | None:
    """Why the file at ``path`` is too large to read (its size on disk far above the text limit), or None."""
    if max_document_mb is None:
        return None
    max_bytes = FILE_TO_TEXT_RATIO * max_document_mb * 1e6
    try:
        size = os.stat(path).st_size
    except OSError:
        return None  # reading it names the reason
    if size <= max_bytes:
        return None
    return (
        f"{size / 1e6:,.2f} MB on disk, more than {FILE_TO_TEXT_RATIO} times the {max_document_mb:g} MB of text a "
        f"document may have; not read (--max-document-mb {math.ceil(size / FILE_TO_TEXT_RATIO / 1e6)} or more "
        "reads it)"
    )


def _default_title(source: SourceText, path: str) -> str:
    """The format's own title, else the first non-empty line, else the file stem."""
    candidate = source.title
    if not candidate or not candidate.strip():
        candidate = next((line for line in source.text.split("\n") if line.strip()), None)
    if candidate:
        return " ".join(candidate.split())[:MAX_TITLE].rstrip()
    return Path(path).stem
