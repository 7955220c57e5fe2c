"""SPARQL updates: one at a time across every serving process, each in a process of its own.

An update is applied the way a build is (:meth:`chaingraph.store.EmbeddedStore.transaction`): on
a copy of the live generation, published at the end. Two at once would each copy the same
generation and one would be lost, so an update first takes an exclusive lock on a file in the
store directory (``flock``: shared by all the serving processes, released by the kernel if the
holder dies). It then runs in a child process, which is killed if it passes the time limit: the
copy is never published and the store stays as it was. Updates are rare; the ~0.1 s a child
takes to start buys an update that can really be stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import sys
import time
from pathlib import Path

from chaingraph.serve.evaluator import QueryTimeout
from chaingraph.serve.processes import die_with_parent, module_command

__all__ = ["LOCK_FILE", "UpdateBusy", "apply_update", "update", "main"]

#: The file in the store directory whose lock the update holding the store keeps.
LOCK_FILE = ".update.lock"
_POLL = 0.02  # seconds between attempts at the lock


class UpdateBusy(RuntimeError):
    """Another update held the store until the time limit."""


async def apply_update(store_path: str, sparql: str, deadline: float) -> tuple[dict, bytes]:
    """Apply ``sparql`` to the store by ``deadline`` (a :func:`time.monotonic` time).

    Returns ``({"status": 204}, b"")``, or a 400/500 status with a ``message``.

    Raises
    ------
    UpdateBusy
        If another update held the store until the deadline.
    QueryTimeout
        If the update itself ran past the deadline (it was stopped; the store is unchanged).
    """
    Path(store_path).mkdir(parents=True, exist_ok=True)  # a store never built: the update makes it
    lock = os.open(Path(store_path) / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() + _POLL > deadline:
                    raise UpdateBusy("another update held the store past the time limit") from None
                await asyncio.sleep(_POLL)
        child = await asyncio.create_subprocess_exec(
            *module_command("chaingraph.serve.updates", store_path, str(os.getpid())),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        try:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                output, _ = await child.communicate(sparql.encode("utf-8"))
        except (TimeoutError, asyncio.CancelledError) as error:
            with contextlib.suppress(ProcessLookupError):
                child.kill()  # SIGKILL: the copy is never published
            await child.wait()
            if isinstance(error, TimeoutError):
                raise QueryTimeout("the update ran past the time limit and was stopped") from None
            raise
    finally:
        os.close(lock)  # releases the lock
    try:
        return json.loads(output), b""
    except ValueError:
        return {"status": 500, "message": f"the update process died (exit status {child.returncode})"}, b""


def update(store_path: str, sparql: str) -> dict:
    """Apply a SPARQL update the way a build does: on a copy of the live generation, published at the end."""
    from chaingraph.store import StoreError, open_store

    try:
        with open_store(store_path).transaction() as db:
            db.update(sparql)
    except SyntaxError as error:
        return {"status": 400, "message": f"malformed SPARQL update: {error}"}
    except (OSError, StoreError, ValueError, RuntimeError) as error:
        return {"status": 500, "message": f"update failed: {error}"}
    return {"status": 204}


def main() -> None:
    """The update process: the SPARQL update on standard input, its outcome as JSON on standard output."""
    store_path, parent = sys.argv[1], int(sys.argv[2])
    if not die_with_parent(parent):
        return
    sparql = sys.stdin.buffer.read().decode("utf-8")
    outcome = update(store_path, sparql)
    sys.stdout.write(json.dumps(outcome))
    sys.stdout.flush()
