"""Evaluation threads: queries run beside the event loop, under a time limit that retires the process.

pyoxigraph releases the GIL while it evaluates a query and writes its results, so a few threads
of the serving process evaluate side by side while its event loop goes on with HTTP; handing a
query to a thread needs no pipe and no second process woken per request. What a thread cannot be is
stopped: pyoxigraph has no way to interrupt a query. So a query still running at its time limit
(or when its client has gone) is answered 503 and the process *retires*: it tells its supervisor
(which starts a replacement at once), stops accepting connections, finishes its other requests
and exits, which ends the runaway query with it (:mod:`chaingraph.serve.supervisor`).

Fair sharing: queries wait for a free thread first come, first served, except that a client (a
peer address) with fewer than ``client_limit`` queries in the process never waits behind a client
with more than that: when every thread is busy while another client holds more than its share,
its query gets a thread of its own (at most ``threads`` such threads at once). So ten heavy
queries from one client cannot make another client's quick query wait for their time limit, and
a lone client (or every client behind one proxy) is served exactly as without sharing: its own
second query still takes the thread its runaway one left free.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["Evaluator", "QueryTimeout", "default_threads", "default_client_limit"]

log = logging.getLogger("chaingraph.serve")


class QueryTimeout(RuntimeError):
    """The request ran past its time limit."""


class _Expired(Exception):
    """The deadline of a request passed before its answer came."""


def _expire(answer: asyncio.Future) -> None:
    if not answer.done():
        answer.set_exception(_Expired())


def _deliver(answer: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if answer.done():  # expired or cancelled meanwhile: nobody waits for it
        return
    if error is not None:
        answer.set_exception(error)
    else:
        answer.set_result(result)


class _Job:
    __slots__ = ("loop", "answer", "function", "args", "claim", "own_thread")

    def __init__(self, loop: asyncio.AbstractEventLoop, answer: asyncio.Future, function: Callable, args: tuple):
        self.loop = loop
        self.answer = answer
        self.function = function
        self.args = args
        # Taken (popped: atomic under the GIL) by the thread that starts the job, or by the
        # request giving up on it before any thread did: never both.
        self.claim = [True]
        self.own_thread = False  # run on a thread started for it (fair sharing), not by the pool

    def run(self) -> None:
        """On a thread: run the job unless the request gave it up, and hand the result over."""
        try:
            self.claim.pop()
        except IndexError:
            return  # the request gave up before its turn came
        try:
            result, error = self.function(*self.args), None
        except BaseException as exception:  # handed to the request, which raises it
            result, error = None, exception
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits any more
            self.loop.call_soon_threadsafe(_deliver, self.answer, result, error)


class Evaluator:
    """A fixed number of evaluation threads in this process.

    Parameters
    ----------
    threads:
        How many queries this process evaluates at once (at least 1).
    on_retire:
        Called once, on the event loop, when a query could not be stopped (it ran past its time
        limit, or its client left): the process must retire. ``None``: only log it.
    client_limit:
        Queries each client may have in the process before it waits its turn like everyone (see
        the module's description); default :func:`default_client_limit` of ``threads``.
    """

    def __init__(
        self, threads: int, on_retire: Callable[[str], None] | None = None, client_limit: int | None = None
    ) -> None:
        self.threads = max(1, threads)
        self.on_retire = on_retire
        self.client_limit = max(1, client_limit if client_limit is not None else default_client_limit(self.threads))
        self.retiring: str | None = None
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []
        # On the event loop only: calls running or waiting, in all and per client, and those on threads of their own.
        self._calls = 0
        self._held: dict[str, int] = {}
        self._own_threads = 0

    def start(self) -> None:
        """Start the threads."""
        for _ in range(self.threads):
            self._add_thread()

    def close(self) -> None:
        """Let the idle threads end (a thread still evaluating ends with the process)."""
        for _ in self._workers:
            self._jobs.put(None)
        self._workers = []

    def _add_thread(self) -> None:
        # Daemon threads: a process that retires exits without waiting for its runaway query.
        thread = threading.Thread(target=self._work, name="chaingraph-evaluation", daemon=True)
        thread.start()
        self._workers.append(thread)

    def _work(self) -> None:
        jobs = self._jobs
        while (job := jobs.get()) is not None:
            job.run()

    async def run(self, deadline: float, function: Callable[..., Any], *args: Any, client: str = "") -> Any:
        """``function(*args)`` on an evaluation thread, by ``deadline`` (a :func:`time.monotonic` time),
        for ``client`` (a peer address: see the module's description on fair sharing).

        Raises
        ------
        QueryTimeout
            If no thread was free in time, or the answer did not come in time (the process
            then retires: the query cannot be stopped otherwise).
        """
        loop = asyncio.get_running_loop()
        answer = loop.create_future()
        job = _Job(loop, answer, function, args)
        held = self._held.get(client, 0)
        if self._calls >= self.threads and held < self.client_limit and self._others_beyond_share():
            job.own_thread = True
            self._own_threads += 1
            threading.Thread(target=job.run, name="chaingraph-evaluation", daemon=True).start()
        else:
            self._jobs.put(job)
        self._calls += 1
        self._held[client] = held + 1
        # One timer that fails the answer's future, not a timeout context: this runs per request.
        timer = loop.call_at(loop.time() + (deadline - time.monotonic()), _expire, answer)
        try:
            return await answer
        except _Expired:
            if self._give_up(job, "a query ran past the time limit"):
                raise QueryTimeout("every evaluation thread stayed busy until the time limit") from None
            raise QueryTimeout("the query ran past the time limit and was stopped") from None
        except asyncio.CancelledError:
            self._give_up(job, "the client of a running query went away")
            raise
        finally:
            timer.cancel()
            self._calls -= 1
            held = self._held[client] - 1
            if held:
                self._held[client] = held
            else:
                del self._held[client]
            if job.own_thread:
                self._own_threads -= 1

    def _others_beyond_share(self) -> bool:
        """Whether a client holds more calls than its share while threads may still be started for others."""
        if self._own_threads >= self.threads:
            return False
        return any(held > self.client_limit for held in self._held.values())

    def _give_up(self, job: _Job, reason: str) -> bool:
        """Withdraw ``job``; True if no thread had started it, else the process retires."""
        try:
            job.claim.pop()
        except IndexError:
            if not job.own_thread:
                self._add_thread()  # its thread is lost to the query: the other requests keep theirs
            self.retire(reason)
            return False
        return True

    def retire(self, reason: str) -> None:
        """Mark this process as retiring (once) and tell :attr:`on_retire`."""
        if self.retiring is not None:
            return
        self.retiring = reason
        log.warning("%s: serving process %d retires, a new one takes its place", reason, os.getpid())
        if self.on_retire is not None:
            self.on_retire(reason)


def default_client_limit(threads: int) -> int:
    """Queries each client may have in a serving process before it waits its turn like everyone:
    half the threads, at least one."""
    return max(1, threads // 2)


def default_threads() -> int:
    """Evaluation threads per serving process: two, so a runaway query leaves one free; more only
    fight over the GIL (on 2 cores, 4 threads cost more context switches per request than 2)."""
    return 2
