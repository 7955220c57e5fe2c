"""The pool of query workers: hands requests to idle workers and kills those that overrun.

Each worker (:mod:`chaingraph.serve.worker`) is a child process evaluating one request at a
time. A request that is not answered by its deadline gets its worker killed (SIGKILL: the query
stops using the CPU at once) and a fresh worker started in its place, while the other workers
go on answering. A request that finds every worker busy waits in line for one until its own
deadline; a free worker goes to the longest-waiting request, and with none waiting, the worker
that finished last takes the next request (its memory is still in the CPU caches).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from chaingraph.serve.worker import FRAME_HEADER, decode_meta, encode_frame

__all__ = ["WorkerPool", "PoolError", "QueryTimeout", "WorkerReply", "default_workers"]

log = logging.getLogger("chaingraph.serve")

_START_TIMEOUT = 60.0

# Runs a worker without executing chaingraph/__init__.py, which imports spaCy and the whole
# pipeline (a second and 100 MB per process) that a worker never needs: the package is
# registered as a bare namespace pointing at its folder, then the worker module is imported.
_BOOTSTRAP = (
    "import sys, types\n"
    "package = types.ModuleType('chaingraph')\n"
    "package.__path__ = [sys.argv[1]]\n"
    "sys.modules['chaingraph'] = package\n"
    "from chaingraph.serve.worker import main\n"
    "main()\n"
)


class PoolError(RuntimeError):
    """No worker could answer: one crashed, or none could be started."""


class QueryTimeout(PoolError):
    """The request ran past its time limit; its worker was killed."""


@dataclass
class WorkerReply:
    """What a worker answered: its metadata (``status``, ``format``, ...) and the body."""

    meta: dict
    body: bytes


class _Channel(asyncio.SubprocessProtocol):
    """The server's end of one worker's pipes: cuts the answer frames out of the bytes as they come.

    A protocol rather than stream readers: one callback per chunk and one future per answer
    keep the cost per request small on the event loop that also serves HTTP.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.SubprocessTransport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[dict, bytes]] | None = None
        self.exited: asyncio.Future[None] = loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio subclass

    def pipe_data_received(self, fd: int, data: bytes | bytearray) -> None:
        if fd == 1:
            self.buffer += data
            self._deliver()

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        if fd == 1:
            self._fail(ConnectionError("the worker closed its output"))

    def process_exited(self) -> None:
        self._fail(ConnectionError("the worker exited"))
        if not self.exited.done():
            self.exited.set_result(None)

    def expect(self) -> asyncio.Future[tuple[dict, bytes]]:
        """A future for the next frame the worker writes."""
        self.waiter = self.loop.create_future()
        self._deliver()
        return self.waiter

    def send(self, frame: bytes) -> None:
        assert self.transport is not None
        pipe = self.transport.get_pipe_transport(0)
        if pipe is None or pipe.is_closing():
            raise ConnectionError("the worker's input is closed")
        pipe.write(frame)

    def _deliver(self) -> None:
        waiter = self.waiter
        if waiter is None or waiter.done() or len(self.buffer) < FRAME_HEADER.size:
            return
        meta_length, body_length = FRAME_HEADER.unpack_from(self.buffer)
        end_of_meta = FRAME_HEADER.size + meta_length
        end = end_of_meta + body_length
        if len(self.buffer) < end:
            return
        try:
            meta = decode_meta(self.buffer[FRAME_HEADER.size : end_of_meta])
        except ValueError as error:
            waiter.set_exception(ConnectionError(f"the worker wrote a broken frame: {error}"))
            return
        body = bytes(self.buffer[end_of_meta:end])
        del self.buffer[:end]
        self.waiter = None
        waiter.set_result((meta, body))

    def _fail(self, error: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(error)


class _Expired(Exception):
    """The deadline of a request passed before its answer came."""


def _expire(answer: asyncio.Future) -> None:
    if not answer.done():
        answer.set_exception(_Expired())


@dataclass(eq=False)  # identity, not value: workers live in a set
class _Worker:
    transport: asyncio.SubprocessTransport
    channel: _Channel

    @property
    def pid(self) -> int:
        return self.transport.get_pid()


class WorkerPool:
    """A fixed number of worker processes.

    Parameters
    ----------
    size:
        How many workers evaluate queries at once (at least 1).
    """

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        # The idle workers, the last one to finish on top: the next request goes to the worker
        # whose memory is still in the CPU's caches (taking them in turn cost ~40 % more CPU per
        # request when requests came one at a time).
        self._idle: list[_Worker] = []
        self._waiting: collections.deque[asyncio.Future[_Worker]] = collections.deque()
        self._all: set[_Worker] = set()
        self._starting: set[asyncio.Task] = set()
        self._closed = False
        self._start_error: str | None = None

    @property
    def pids(self) -> list[int]:
        """The process ids of the live workers."""
        return sorted(w.pid for w in self._all)

    async def start(self) -> None:
        """Start every worker; raises :class:`PoolError` if they cannot start."""
        workers = await asyncio.gather(*(self._spawn() for _ in range(self.size)), return_exceptions=True)
        errors = [w for w in workers if isinstance(w, BaseException)]
        for worker in workers:
            if isinstance(worker, _Worker):
                self._release(worker)
        if errors:
            await self.close()
            raise PoolError(f"cannot start the query workers: {errors[0]}")

    async def _spawn(self) -> _Worker:
        loop = asyncio.get_running_loop()
        package_dir = str(Path(__file__).resolve().parents[1])
        transport, channel = await loop.subprocess_exec(
            lambda: _Channel(loop), sys.executable, "-c", _BOOTSTRAP, package_dir, stderr=None
        )
        worker = _Worker(transport, channel)
        self._all.add(worker)
        try:
            async with asyncio.timeout(_START_TIMEOUT):
                meta, _ = await channel.expect()
        except (TimeoutError, ConnectionError) as error:
            await self._kill(worker)
            raise PoolError(f"a query worker did not start ({error or 'timeout'}); see the messages above") from None
        if meta.get("ready") != worker.pid:
            await self._kill(worker)
            raise PoolError("a query worker answered nonsense when starting")
        return worker

    def _replace(self) -> None:
        """Start a worker in the background to take the place of a killed one."""
        if self._closed:
            return

        async def spawn() -> None:
            try:
                worker = await self._spawn()
            except PoolError as error:
                self._start_error = str(error)
                log.error("%s", error)
                return
            if self._closed:
                await self._kill(worker)
            else:
                self._start_error = None
                self._release(worker)

        task = asyncio.get_running_loop().create_task(spawn())
        self._starting.add(task)
        task.add_done_callback(self._starting.discard)

    async def _kill(self, worker: _Worker) -> None:
        self._all.discard(worker)
        with contextlib.suppress(ProcessLookupError):
            worker.transport.kill()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await worker.channel.exited
        worker.transport.close()

    async def run(self, request: dict, deadline: float, body: bytes = b"") -> WorkerReply:
        """Have a worker answer ``request`` by ``deadline`` (a :func:`time.monotonic` time).

        Raises
        ------
        QueryTimeout
            If no worker was free in time, or the answer did not come in time (that worker is
            killed and replaced).
        PoolError
            If the worker died while answering.
        """
        if self._start_error and not self._all:
            raise PoolError(self._start_error)
        loop = asyncio.get_running_loop()
        # Timers run on the event loop's clock; the deadline is on time.monotonic's.
        when = loop.time() + (deadline - time.monotonic())
        if self._idle:
            worker = self._idle.pop()
        else:
            worker = await self._wait_for_worker(loop, when)
        # One timer that fails the answer's future, not a timeout context: this runs per request.
        answer = worker.channel.expect()
        timer = loop.call_at(when, _expire, answer)
        try:
            worker.channel.send(encode_frame(request, body))
            meta, data = await answer
        except _Expired:
            await self._discard(worker)
            raise QueryTimeout("the query ran past the time limit and was stopped") from None
        except ConnectionError as error:
            await self._discard(worker)
            raise PoolError(f"the query worker died while answering ({error})") from None
        except BaseException:
            # Cancelled (the client went away, the server stops): the worker is mid-request, so
            # it cannot be reused; killing it also stops the query.
            await self._discard(worker)
            raise
        finally:
            timer.cancel()
        self._release(worker)
        return WorkerReply(meta, data)

    async def _wait_for_worker(self, loop: asyncio.AbstractEventLoop, when: float) -> _Worker:
        turn: asyncio.Future[_Worker] = loop.create_future()
        self._waiting.append(turn)
        timer = loop.call_at(when, _expire, turn)
        try:
            return await turn
        except _Expired:
            raise QueryTimeout("every query worker stayed busy until the time limit") from None
        except BaseException:
            if turn.done() and not turn.cancelled() and turn.exception() is None:
                self._release(turn.result())  # handed over just as the request was cancelled
            raise
        finally:
            timer.cancel()  # a turn given up stays in the line, done: _release passes over it

    def _release(self, worker: _Worker) -> None:
        """Give an idle worker to the longest-waiting request, else put it on top of the idle ones."""
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(worker)
                return
        self._idle.append(worker)

    async def _discard(self, worker: _Worker) -> None:
        await self._kill(worker)
        self._replace()

    async def close(self) -> None:
        """Stop every worker (closing its input first, then killing what remains)."""
        self._closed = True
        for task in list(self._starting):
            task.cancel()
        workers = list(self._all)
        for worker in workers:
            pipe = worker.transport.get_pipe_transport(0)
            if pipe is not None:
                pipe.close()  # end of input: the worker's loop ends
        for worker in workers:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    await worker.channel.exited
            await self._kill(worker)


def default_workers() -> int:
    """Two workers at least (so one slow query never blocks the rest), else one per core."""
    return max(2, os.cpu_count() or 1)
