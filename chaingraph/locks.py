"""Locks on a store that die with their process: one writer at a time, and the generations being read.

Both are ``flock`` locks on directories, so the kernel releases them when the process holding
them ends, ``kill -9`` included: a lock is never stale, and no lock file is left to clean up.

* The **writer lock** is an exclusive lock on the store directory. A build holds it from reading
  what the store holds until it has published its generation and written its build record; a
  SPARQL update from ``chaingraph serve`` holds it the same way. While it is held, the file
  ``WRITER`` in the directory says who holds it (process, host, command, since when), so that a
  caller turned away can say who to wait for.
* A **read lease** is a shared lock on one generation directory, held by every process reading
  that generation. The writer removes a generation only if it can lock it exclusively at once;
  one still being read is left for a later writer.

A forked child (an extraction worker) does not keep its parent's locks: they are closed in the
child right after the fork, so workers outliving a killed build do not keep the store locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
import sys
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

__all__ = ["WRITER_FILE", "SWEPT_SUFFIX", "WriterLock", "ReadLease", "lease_generation", "remove_unread"]

#: The file naming the process that holds a store's writer lock (present only while it is held).
WRITER_FILE = "WRITER"
#: The suffix a generation gets while it is being removed (so no reader can open it any more).
SWEPT_SUFFIX = ".swept"
_POLL = 0.05  # seconds between attempts at a busy writer lock
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


@dataclass
class _Hold:
    """The writer lock this process holds on one store: its descriptor, the thread, how many holds."""

    descriptor: int
    thread: int
    depth: int


#: Store directory (resolved) -> the writer lock this process holds on it.
_held: dict[str, _Hold] = {}
_guard = threading.Lock()


class WriterLock:
    """The writer lock of one store directory (see the module docstring).

    Re-entrant within a thread: a build holds it and the transaction it opens takes it again.
    Another thread of the same process finds it busy, as another process would.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def acquire(
        self, wait: float | None = 0, *, purpose: str = "", waiting: Callable[[str], None] | None = None
    ) -> bool:
        """Take the lock; False if another holder kept it ``wait`` seconds (``None``: as long as it takes).

        ``purpose`` says what the holder does (default: this process's command line);
        ``waiting(holder)`` is called once, with :meth:`holder`, if the lock is busy and there is time to wait.
        """
        key = os.path.realpath(self.directory)
        deadline = None if wait is None else time.monotonic() + wait
        told = False
        while True:
            with _guard:
                hold = _held.get(key)
                if hold is not None and hold.thread == threading.get_ident():
                    hold.depth += 1
                    return True
                if hold is None and (descriptor := _try_lock(key, fcntl.LOCK_EX)) is not None:
                    _held[key] = _Hold(descriptor, threading.get_ident(), 1)
                    self._describe_holder(purpose)
                    return True
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            if not told and waiting is not None:
                waiting(self.holder() or "another process")
                told = True
            time.sleep(_POLL if remaining is None else min(_POLL, remaining))

    def release(self) -> None:
        """Give back one hold of this thread's; the last one unlocks the store."""
        key = os.path.realpath(self.directory)
        with _guard:
            hold = _held.get(key)
            if hold is None or hold.thread != threading.get_ident():
                return
            hold.depth -= 1
            if hold.depth:
                return
            del _held[key]
            with contextlib.suppress(OSError):
                (self.directory / WRITER_FILE).unlink(missing_ok=True)
            os.close(hold.descriptor)  # the only descriptor of the lock in this process: it is released

    def held(self) -> bool:
        """Whether this thread holds the lock."""
        hold = _held.get(os.path.realpath(self.directory))
        return hold is not None and hold.thread == threading.get_ident()

    def holder(self) -> str | None:
        """Who holds the lock, as ``WRITER`` says ("process 123 on host (chaingraph build c) since
        2025-06-01T12:00:03+02:00"); None if nobody says (no holder, or one that has not written it yet).

        Only reads: asking never gets in the way of a writer taking the lock.
        """
        try:
            record = json.loads((self.directory / WRITER_FILE).read_text(encoding="utf-8"))
            pid, host, command, since = record["pid"], record["host"], record["command"], record["since"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if host == socket.gethostname() and not _alive(pid):
            return None  # left by a holder that was killed
        return f"process {pid} on {host} ({command}) since {since}"

    def _describe_holder(self, purpose: str) -> None:
        program = Path(sys.argv[0])
        name = program.parent.name if program.name == "__main__.py" else program.name  # python -m chaingraph
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": purpose or " ".join([name, *sys.argv[1:]]),
            "since": datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        # Only a description: a store the holder cannot write to still works, just without it.
        with contextlib.suppress(OSError):
            (self.directory / WRITER_FILE).write_text(json.dumps(record), encoding="utf-8")


def _try_lock(directory: str, operation: int) -> int | None:
    """A descriptor of ``directory`` holding ``operation`` (``LOCK_EX``/``LOCK_SH``), or None if busy."""
    descriptor = os.open(directory, _DIRECTORY)
    try:
        fcntl.flock(descriptor, operation | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    return descriptor


def _alive(pid: object) -> bool:
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


class ReadLease:
    """A shared lock on one generation directory: while any process holds one, no writer removes it.

    Released by :meth:`release`, when the lease is garbage collected, or when the process ends.
    """

    def __init__(self, descriptor: int) -> None:
        self._descriptor: int | None = descriptor
        _leases.add(self)

    def release(self) -> None:
        """Stop claiming the generation (a later writer may remove it)."""
        descriptor, self._descriptor = self._descriptor, None
        if descriptor is not None:
            with contextlib.suppress(OSError):
                os.close(descriptor)

    def __del__(self) -> None:
        self.release()


_leases: weakref.WeakSet[ReadLease] = weakref.WeakSet()


def lease_generation(generation: Path) -> ReadLease | None:
    """A read lease on ``generation``, or None if it is gone (replaced and removed since it was named).

    Waits only while a writer is moving the generation away, which takes a rename.

    Raises
    ------
    OSError
        If the generation exists but cannot be opened (no permission, say).
    """
    try:
        descriptor = os.open(generation, _DIRECTORY)
    except (FileNotFoundError, NotADirectoryError):
        return None
    fcntl.flock(descriptor, fcntl.LOCK_SH)
    try:
        here = os.stat(generation)
        mine = os.fstat(descriptor)
        same = (here.st_dev, here.st_ino) == (mine.st_dev, mine.st_ino)
    except OSError:
        same = False
    if not same:  # moved aside for removal before the lease was taken
        os.close(descriptor)
        return None
    return ReadLease(descriptor)


def remove_unread(generation: Path) -> bool:
    """Remove ``generation`` unless a process holds a read lease on it (then False: a later writer will).

    The caller holds the store's writer lock. The generation is first renamed (``.swept``), so a
    reader that named it a moment ago finds it gone rather than half deleted.
    """
    try:
        descriptor = _try_lock(str(generation), fcntl.LOCK_EX)
    except (FileNotFoundError, NotADirectoryError):
        return True
    if descriptor is None:
        return False
    swept = generation.with_name(generation.name + SWEPT_SUFFIX)
    try:
        os.rename(generation, swept)
    finally:
        os.close(descriptor)
    shutil.rmtree(swept, ignore_errors=True)
    return True


def _forget_in_child() -> None:
    """After a fork, in the child: hold none of the parent's locks (closing keeps them held by the parent)."""
    global _guard
    _guard = threading.Lock()  # another thread of the parent may have held it at the fork
    for hold in _held.values():
        with contextlib.suppress(OSError):
            os.close(hold.descriptor)
    _held.clear()
    for lease in list(_leases):
        lease.release()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)
