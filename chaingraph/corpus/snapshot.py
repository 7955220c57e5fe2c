"""What reading a corpus folder looked at, so that a later build can tell cheaply, and surely, that
nothing in it changed.

A :class:`Snapshot` is filled while the folder is read (:func:`chaingraph.corpus.read_corpus`): the
files the folder walk found, and for every path the reader looked at what it found there: nothing,
something other than a file, a file it only checked the existence of, or a file it read, with its
``stat`` and the SHA-256 of the very bytes that were parsed.

:meth:`Snapshot.changed` then says whether reading the folder again would see the same inputs. The
rule, in the manner of git's index:

* the walk must find the same candidate files, and each path must still be missing, not a file,
  a file, or a link that leads outside the corpus folder, as it was (outside counts only when
  links are not followed: :mod:`chaingraph.corpus.paths`);
* a file that was read is unchanged when its size, ``mtime_ns``, ``ctime_ns``, inode and device are
  all the same, and it was not *racy*; otherwise its bytes are read and hashed again, and it is
  unchanged only when the digest is the same.

``ctime`` is what makes the ``stat`` trustworthy: any write, and any ``utime`` that puts an old
``mtime`` back, sets it to the current time, and no user call can set it back. What is left is a
write within the same clock tick as the recorded ``ctime``; so a file whose ``ctime`` (or
``mtime``) was less than :data:`RACY_SECONDS` before it was read is racy, and always hashed again.
On platforms where ``st_ctime`` is not the change time (Windows: the creation time) no ``stat``
is trusted and every file is hashed.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from chaingraph.corpus.paths import outside_target, real_root

__all__ = ["Snapshot", "RACY_SECONDS", "file_digest"]

#: A file changed less than this long before it was read is hashed again at every check: it may
#: have been written again within the timestamp's clock tick (coarse clocks, network file systems).
RACY_SECONDS = 2.0

# Only where ctime is the inode change time can a stat stand for the content.
_TRUST_STAT = os.name == "posix"

_MISSING, _OTHER, _EXISTS, _READ, _OUTSIDE = "missing", "other", "exists", "read", "outside"


def file_digest(data: bytes) -> str:
    """The digest of a file's bytes recorded in a snapshot (SHA-256, hex)."""
    return hashlib.sha256(data).hexdigest()


def _state(path: str | Path, inside: str | None = None) -> tuple[str, os.stat_result | None]:
    """What ``path`` is and its stat; with ``inside`` (a resolved corpus folder), a path that leads
    outside it is ``"outside"`` whatever it is."""
    if inside is not None and outside_target(path, inside) is not None:
        return _OUTSIDE, None
    try:
        info = os.stat(path)
    except OSError as error:
        # The errors for which Path.exists() says False (no such path, a parent that is a file, a
        # symlink loop), and a name too long to be any file's (a manifest row can hold one).
        if error.errno in (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP, errno.ENAMETOOLONG):
            return _MISSING, None
        raise
    return (_EXISTS if _is_file(info) else _OTHER), info


def _is_file(info: os.stat_result) -> bool:
    return stat.S_ISREG(info.st_mode)


def _key(info: os.stat_result) -> list[int]:
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev]


def _read_entry(path: str | Path) -> tuple[list, bytes]:
    """The entry of a file that is read, and its bytes."""
    with open(path, "rb") as stream:
        info = os.fstat(stream.fileno())  # the stat of the very file whose bytes are read
        now = time.time_ns()
        data = stream.read()
    changed_at = max(info.st_mtime_ns, info.st_ctime_ns)
    racy = not _TRUST_STAT or now - changed_at < RACY_SECONDS * 1e9
    return [_READ, *_key(info), file_digest(data), racy], data


@dataclass
class Snapshot:
    """The inputs one read of a corpus folder depended on (see the module docstring).

    Parameters
    ----------
    root
        The corpus folder.
    entries
        Path relative to ``root`` -> ``[kind]``, or for a read file ``["read", size, mtime_ns,
        ctime_ns, inode, device, digest, racy]``.
    candidates
        The files the folder walk found (before the manifest's own were set aside), or None when
        no walk was recorded.
    complete
        False when some file could not be read (its content is then unknown): such a snapshot
        never vouches for the folder.
    follow_links
        Whether the read followed links that lead outside the folder; when not, such a path is
        recorded as ``"outside"`` and never read.
    """

    root: Path
    entries: dict[str, list] = field(default_factory=dict)
    candidates: list[str] | None = None
    complete: bool = True
    follow_links: bool = False
    renewed: bool = field(default=False, compare=False)

    @functools.cached_property
    def _inside(self) -> str | None:
        """The resolved folder that paths must stay in, or None when links are followed anywhere."""
        return None if self.follow_links else real_root(self.root)

    # ------------------------------------------------------------------ recording

    def _relative(self, path: Path) -> str:
        return Path(path).relative_to(self.root).as_posix()

    def stat(self, path: Path) -> os.stat_result | None:
        """``os.stat`` of ``path`` (None when it does not exist), recording what kind of entry it is."""
        kind, info = _state(path, self._inside)
        name = self._relative(path)
        if self.entries.get(name, [None])[0] != _READ:  # what was read says more than a look
            self.entries[name] = [kind]
        return info

    def read(self, path: Path) -> bytes:
        """The bytes of ``path``, recording its ``stat`` and their digest; raises ``OSError``."""
        name = self._relative(path)
        try:
            entry, data = _read_entry(path)
        except OSError:
            self.complete = False
            self.entries.pop(name, None)
            raise
        self.entries[name] = entry
        return data

    # ------------------------------------------------------------------ checking

    def changed(self, candidates: list[str]) -> str | None:
        """The first path whose state differs from the recorded one, or None when none does.

        ``candidates`` is what the folder walk finds now; a differing list is reported as ``"."``.
        A file whose bytes had to be hashed and proved the same gets its entry renewed (and
        :attr:`renewed` set), so that saving the snapshot spares the next check that work.
        """
        if not self.complete:
            return "."
        if self.candidates is not None and candidates != self.candidates:
            return "."
        root = str(self.root)
        inside = self._inside
        for name, recorded in self.entries.items():
            path = os.path.join(root, name)  # a string: Path objects cost more than the stat
            try:
                # Where a link leads is checked for what was only looked at; a read file is
                # checked below when its stat differs (a link turned elsewhere has another inode).
                kind, info = _state(path, inside if recorded[0] != _READ else None)
            except OSError:  # no longer even stat-able (permissions): not as it was
                return name
            if recorded[0] != _READ:
                if kind != recorded[0]:
                    return name
                continue
            if kind != _EXISTS:
                return name
            *key, digest, racy = recorded[1:]
            if not racy and _key(info) == key:
                continue
            if inside is not None and outside_target(path, inside) is not None:
                return name
            try:
                entry, _data = _read_entry(path)
            except OSError:
                return name
            if entry[-2] != digest:
                return name
            if entry != recorded:
                self.entries[name] = entry
                self.renewed = True
        return None

    # ------------------------------------------------------------------ storing

    def to_json(self) -> dict:
        """Plain data for :meth:`from_json` (without the root: the caller knows which folder it is)."""
        return {
            "entries": self.entries,
            "candidates": self.candidates,
            "complete": self.complete,
            "follow_links": self.follow_links,
        }

    @classmethod
    def from_json(cls, data: dict, root: Path) -> Snapshot:
        """The inverse of :meth:`to_json`; raises ``KeyError``, ``TypeError`` or ``ValueError`` on
        malformed data."""
        entries = {str(name): list(entry) for name, entry in data["entries"].items()}
        for entry in entries.values():
            kind = entry[0] if entry else None
            if kind not in (_MISSING, _OTHER, _EXISTS, _READ, _OUTSIDE) or (kind == _READ) != (len(entry) == 8):
                raise ValueError(f"malformed snapshot entry {entry!r}")
        candidates = data["candidates"]
        follow_links = bool(data.get("follow_links", False))
        return cls(
            Path(root), entries, None if candidates is None else list(candidates), bool(data["complete"]), follow_links
        )
