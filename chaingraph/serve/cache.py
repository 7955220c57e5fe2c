"""Which store generation is live, and the answers already given for it.

A published generation never changes, so the answer to a GET request for one generation stays
right until a build (or an update) publishes the next: the endpoint keeps answers the way an
HTTP cache would, keyed by the request's URL and ``Accept`` header (its ``Vary``) plus the
generation, and forgets them all when the generation changes. The protocol application
(:mod:`chaingraph.serve.protocol`) answers a repeated request from here before anything is
parsed, so a dashboard polling the same queries costs the server little more than the HTTP
exchange. POST requests are never cached, as in HTTP.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import re
import struct
import sys
from collections import OrderedDict
from pathlib import Path

from chaingraph.serve.http import Request
from chaingraph.store import EmbeddedStore

__all__ = ["Generation", "AnswerCache", "CACHE_HEADER", "is_volatile"]

CACHE_HEADER = "Chaingraph-Cache"
# Functions whose value changes from one evaluation to the next: such answers are never kept.
_VOLATILE = re.compile(r"\b(NOW|RAND|UUID|STRUUID|BNODE)\s*\(", re.IGNORECASE)

Headers = list[tuple[bytes, bytes]]


def is_volatile(sparql: str) -> bool:
    """Whether the query calls a function (``NOW()``, ``RAND()``, ...) that makes answers differ.

    >>> is_volatile("SELECT (NOW() AS ?t) {}"), is_volatile("SELECT ?now { ?now ?p ?o }")
    (True, False)
    """
    return _VOLATILE.search(sparql) is not None


class Generation:
    """The live generation of the store, re-read only when the ``CURRENT`` file is replaced.

    A build publishes a generation by renaming a new ``CURRENT`` into place. Once
    :meth:`watch` is called (on Linux), the kernel reports every change to the store directory
    (inotify) and nothing is checked per request; else a ``stat`` per request (inode and mtime)
    notices it. A ``stat`` releases the GIL, which the evaluation threads then take: per request
    that hand-over cost more than the rest of the generation check together.
    """

    def __init__(self, store: EmbeddedStore) -> None:
        self._store = store
        self._marker = store.path / "CURRENT"
        self._stamp: tuple[int, int] | None = None
        self._watch: int | None = None  # the inotify descriptor, while the directory is watched
        self._stale = True  # a change was reported since CURRENT was last read
        self.path: str | None = None

    def current(self) -> str | None:
        """The live generation's directory, or ``None`` for a store never built."""
        if self._watch is not None and not self._stale:
            return self.path
        self._stale = False  # before reading: a change reported from now on is read next time
        try:
            info = os.stat(self._marker)
            stamp: tuple[int, int] | None = (info.st_ino, info.st_mtime_ns)
        except OSError:
            stamp = None
        if stamp != self._stamp or self.path is None:
            generation = self._store._current_generation()
            self.path = str(generation) if generation is not None else None
            self._stamp = stamp
        return self.path

    def watch(self, loop: asyncio.AbstractEventLoop) -> None:
        """Have ``loop`` learn of changes to the store directory instead of checking per request.

        Does nothing where inotify is missing or the directory does not exist yet (a store
        never built): then every request checks.
        """
        descriptor = _watch_directory(self._store.path)
        if descriptor is None:
            return
        self._watch, self._stale = descriptor, True
        loop.add_reader(descriptor, self._changed, loop)

    def unwatch(self, loop: asyncio.AbstractEventLoop) -> None:
        """Stop watching (every request checks again)."""
        if self._watch is not None:
            loop.remove_reader(self._watch)
            os.close(self._watch)
            self._watch = None

    def _changed(self, loop: asyncio.AbstractEventLoop) -> None:
        self._stale = True
        assert self._watch is not None
        try:
            events = os.read(self._watch, 65536)
        except BlockingIOError:
            return
        # The directory itself went away or moved (IN_IGNORED follows): check per request again.
        if any(_IN_IGNORED & mask for (mask,) in _event_masks(events)):
            self.unwatch(loop)


_IN_CLOSE_WRITE, _IN_MOVED_FROM, _IN_MOVED_TO, _IN_CREATE, _IN_DELETE = 0x8, 0x40, 0x80, 0x100, 0x200
_IN_DELETE_SELF, _IN_MOVE_SELF, _IN_IGNORED = 0x400, 0x800, 0x8000
_WATCHED = _IN_CLOSE_WRITE | _IN_MOVED_FROM | _IN_MOVED_TO | _IN_CREATE | _IN_DELETE | _IN_DELETE_SELF | _IN_MOVE_SELF
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, length of the name that follows


def _event_masks(data: bytes) -> list[tuple[int]]:
    masks, offset = [], 0
    while offset + _EVENT.size <= len(data):
        _, mask, _, length = _EVENT.unpack_from(data, offset)
        masks.append((mask,))
        offset += _EVENT.size + length
    return masks


def _watch_directory(path: Path) -> int | None:
    """A non-blocking inotify descriptor reporting changes in ``path``, or ``None``."""
    if not sys.platform.startswith("linux") or not path.is_dir():
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        descriptor = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    except (OSError, AttributeError):
        return None
    if descriptor < 0:
        return None
    if libc.inotify_add_watch(descriptor, os.fsencode(path), _WATCHED) < 0:
        os.close(descriptor)
        return None
    return descriptor


class AnswerCache:
    """Finished answers (body and headers) by key, least recently used out first.

    Parameters
    ----------
    max_bytes:
        Memory for bodies; one answer may take at most an eighth of it.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, tuple[bytes, Headers]] = OrderedDict()
        self._bytes = 0
        self._generation: str | None = None

    @staticmethod
    def key(generation: str | None, request: Request) -> tuple | None:
        """The key of a request: its generation, path, query string and Accept; ``None`` if not a GET
        (or HEAD, the same answer without its body)."""
        if request.method != "GET" and request.method != "HEAD":
            return None
        accept = b""
        for name, value in request.headers:
            if name == b"accept":
                accept = value
                break
        return (generation, request.path, request.query_string, accept)

    def get(self, key: tuple | None) -> tuple[bytes, Headers] | None:
        """The body and headers kept for ``key``, if any."""
        entry = self._entries.get(key) if key is not None else None
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: tuple, body: bytes, headers: Headers) -> None:
        """Keep an answer (its body and headers, lower-case names, no length); a key of a new
        generation first empties the cache. The kept headers say ``Chaingraph-Cache: hit``."""
        if key[0] != self._generation:
            self._entries.clear()
            self._bytes, self._generation = 0, key[0]
        if len(body) > self.max_bytes // 8 or key in self._entries:
            return  # one large answer must not push out everything else
        self._entries[key] = (body, [*headers, (CACHE_HEADER.lower().encode(), b"hit")])
        self._bytes += len(body)
        while self._bytes > self.max_bytes:
            _, (old, _) = self._entries.popitem(last=False)
            self._bytes -= len(old)
