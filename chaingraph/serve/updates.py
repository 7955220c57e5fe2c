"""SPARQL updates: one writer at a time, builds included, each update in a process of its own.

An update is applied the way a build is (:meth:`chaingraph.store.EmbeddedStore.transaction`): on
a copy of the live generation, published at the end. It runs in a child process, which first
takes the store's writer lock (:meth:`chaingraph.store.EmbeddedStore.writer`), the same one a
``chaingraph build`` holds: updates from every serving process and builds take turns, and none
copies a generation another is about to replace. The child says when it holds the lock; if it
passes the time limit it is killed (SIGKILL), the kernel releases the lock with it, and the copy
is never published. Updates are rare; the ~0.1 s a child takes to start buys an update that can
really be stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from chaingraph.serve.evaluator import QueryTimeout
from chaingraph.serve.processes import die_with_parent, module_command

__all__ = ["UpdateBusy", "apply_update", "update", "main"]

#: The line the update process writes once it holds the store's writer lock.
_HOLDING = b"holding the store\n"


class UpdateBusy(RuntimeError):
    """Another writer (an update, a build) held the store until the time limit; the message names it."""


async def apply_update(store_path: str, sparql: str, deadline: float) -> tuple[dict, bytes]:
    """Apply ``sparql`` to the store by ``deadline`` (a :func:`time.monotonic` time).

    Returns ``({"status": 204}, b"")``, or a 400/500 status with a ``message``.

    Raises
    ------
    UpdateBusy
        If another writer held the store until the deadline.
    QueryTimeout
        If the update itself ran past the deadline (it was stopped; the store is unchanged).
    """
    from chaingraph.store import EmbeddedStore

    Path(store_path).mkdir(parents=True, exist_ok=True)  # a store never built: the update makes it
    wait = max(0.0, deadline - time.monotonic())
    child = await asyncio.create_subprocess_exec(
        *module_command("chaingraph.serve.updates", store_path, str(os.getpid()), f"{wait:.3f}"),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None
    holding = False
    try:
        async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
            child.stdin.write(sparql.encode("utf-8"))
            await child.stdin.drain()
            child.stdin.close()
            line = await child.stdout.readline()
            holding = line == _HOLDING
            output = await child.stdout.read() if holding else line
            await child.wait()
    except (TimeoutError, asyncio.CancelledError, ConnectionError) as error:
        with contextlib.suppress(ProcessLookupError):
            child.kill()  # SIGKILL: the copy is never published, the writer lock goes with the process
        await child.wait()
        if isinstance(error, TimeoutError):
            if holding:
                raise QueryTimeout("the update ran past the time limit and was stopped") from None
            holder = EmbeddedStore(store_path).writer_holder() or "another writer"
            raise UpdateBusy(f"the store was being written by {holder} past the time limit") from None
        if isinstance(error, asyncio.CancelledError):
            raise
        output = b""  # the child died before reading the update
    try:
        outcome = json.loads(output)
    except ValueError:
        return {"status": 500, "message": f"the update process died (exit status {child.returncode})"}, b""
    if outcome.get("busy"):
        raise UpdateBusy(outcome["message"])
    return outcome, b""


def update(store_path: str, sparql: str, wait: float = 0, holding: Callable[[], None] | None = None) -> dict:
    """Apply a SPARQL update the way a build does: on a copy of the live generation, published at the end.

    Waits up to ``wait`` seconds for the store's writer lock, then calls ``holding()`` (if given)
    before writing. Returns ``{"status": 204}``, a 400/500 status with a ``message``, or
    ``{"busy": True, "message": ...}`` if another writer held the store all that time.
    """
    from chaingraph.store import StoreBusy, StoreError, open_store

    try:
        store = open_store(store_path)
        with store.writer(wait, purpose=f"a SPARQL update of chaingraph serve (process {os.getppid()})"):
            if holding is not None:
                holding()
            with store.transaction() as db:
                db.update(sparql)
    except StoreBusy as error:
        return {"busy": True, "message": str(error)}
    except SyntaxError as error:
        return {"status": 400, "message": f"malformed SPARQL update: {error}"}
    except (OSError, StoreError, ValueError, RuntimeError) as error:
        return {"status": 500, "message": f"update failed: {error}", "traceback": traceback.format_exc()}
    return {"status": 204}


def main() -> None:
    """The update process: the SPARQL update on standard input; a line once it holds the store's
    writer lock, then its outcome as JSON, on standard output."""
    store_path, parent, wait = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    if not die_with_parent(parent):
        return
    sparql = sys.stdin.buffer.read().decode("utf-8")

    def holding() -> None:
        sys.stdout.buffer.write(_HOLDING)
        sys.stdout.flush()

    outcome = update(store_path, sparql, wait, holding)
    sys.stdout.write(json.dumps(outcome))
    sys.stdout.flush()
