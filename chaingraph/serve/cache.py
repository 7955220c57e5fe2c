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

import os
import re
from collections import OrderedDict
from collections.abc import MutableMapping
from typing import Any

from chaingraph.store import EmbeddedStore

__all__ = ["Generation", "AnswerCache", "CACHE_HEADER", "is_volatile"]

CACHE_HEADER = "Chaingraph-Cache"
# Functions whose value changes from one evaluation to the next: such answers are never kept.
_VOLATILE = re.compile(r"\b(NOW|RAND|UUID|STRUUID|BNODE)\s*\(", re.IGNORECASE)

Scope = MutableMapping[str, Any]
Headers = list[tuple[bytes, bytes]]


def is_volatile(sparql: str) -> bool:
    """Whether the query calls a function (``NOW()``, ``RAND()``, ...) that makes answers differ.

    >>> is_volatile("SELECT (NOW() AS ?t) {}"), is_volatile("SELECT ?now { ?now ?p ?o }")
    (True, False)
    """
    return _VOLATILE.search(sparql) is not None


class Generation:
    """The live generation of the store, re-read only when the ``CURRENT`` file is replaced.

    A build publishes a generation by renaming a new ``CURRENT`` into place, so a ``stat`` per
    request (inode and mtime) notices it without reading the file every time.
    """

    def __init__(self, store: EmbeddedStore) -> None:
        self._store = store
        self._marker = store.path / "CURRENT"
        self._stamp: tuple[int, int] | None = None
        self.path: str | None = None

    def current(self) -> str | None:
        """The live generation's directory, or ``None`` for a store never built."""
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
    def key(generation: str | None, scope: Scope) -> tuple | None:
        """The key of a request: its generation, path, query string and Accept; ``None`` if not a GET."""
        if scope["method"] != "GET":
            return None
        accept = b""
        for name, value in scope["headers"]:
            if name == b"accept":
                accept = value
                break
        return (generation, scope["path"], scope["query_string"], accept)

    def get(self, key: tuple | None) -> tuple[bytes, Headers] | None:
        """The body and headers kept for ``key``, if any."""
        entry = self._entries.get(key) if key is not None else None
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: tuple, body: bytes, headers: Headers) -> None:
        """Keep an answer (its body and ASGI headers, lower-case names, no length); a key of a new
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
