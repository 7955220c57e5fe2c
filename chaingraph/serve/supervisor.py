"""The supervisor: one listening socket, ``workers`` serving processes answering on it, and a
replacement started at once for each one that retires or dies.

A serving process answers with the endpoint (:func:`chaingraph.serve.app.create_app`, over
:mod:`chaingraph.serve.http`) on the listening socket it inherits; whichever process is free
accepts the next connection. A process
*retires* when one of its queries cannot be stopped (past the time limit, or its client gone:
:mod:`chaingraph.serve.evaluator`): it writes ``R`` on its status pipe, and the supervisor
starts a replacement; the retiring process stops accepting connections, answers its other
requests (each has its own deadline), closes its idle keep-alive connections (clients open new
ones, as HTTP allows) and exits, which ends the runaway query. Connections that come meanwhile
wait in the socket's queue for the other processes or the replacement; the socket stays open in
the supervisor throughout, so no client is refused.

The status pipe: ``S`` once the process serves, ``R`` when it retires, end of file when it is
gone. A process that dies without retiring (killed, out of memory) is replaced too; if several in
a row die before serving (a store that cannot be read, say), the server stops with their messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from chaingraph.serve.processes import die_with_parent, module_command

__all__ = ["ServeError", "supervise", "configure_log", "main"]

log = logging.getLogger("chaingraph.serve")

_START_TIMEOUT = 60.0  # seconds a serving process may take to start
_STOP_TIMEOUT = 10.0  # seconds the processes get to finish their requests when the server stops
_GRACE = 5.0  # seconds a serving process waits for its running requests when told to stop
_RESTARTS = 5  # processes in a row that may die before serving before the supervisor gives up


# libuv (under uvloop) accepts every pending connection at once by default, so the process
# woken first took all 50 of a burst of clients and the other served none (measured: one
# process answered all 10,000 requests of the bench). One accept at a time, then a yield,
# lets the processes share them.
_CHILD_ENVIRONMENT = {**os.environ, "UV_TCP_SINGLE_ACCEPT": "1"}


class ServeError(RuntimeError):
    """The endpoint cannot run: the address is taken, or the serving processes do not start."""


def supervise(
    config, host: str, port: int, *, access_log: bool = False, log_file: str | os.PathLike[str] | None = None
) -> None:
    """Listen on ``host:port`` and keep ``config.workers`` serving processes answering until a
    SIGTERM or SIGINT (Ctrl-C), then stop them cleanly.

    Parameters
    ----------
    config:
        A :class:`chaingraph.serve.app.ServeConfig`.
    host, port:
        The address to listen on.
    access_log:
        Log one line per request.
    log_file:
        Also append the log to this file, with timestamps and tracebacks (see :func:`configure_log`).

    Raises
    ------
    ServeError
        If the address cannot be listened on, the log file cannot be written, or the serving
        processes do not start.
    """
    log_file = str(log_file) if log_file is not None else None
    try:
        configure_log(log_file)
    except OSError as error:
        raise ServeError(f"{log_file}: cannot write the log: {error.strerror or error}") from None
    for warning in config.warnings():
        log.warning("%s", warning)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        listener = socket.create_server((host, port), family=family, backlog=2048)
    except OSError as error:
        raise ServeError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    settings = {
        "config": {**dataclasses.asdict(config), "store": str(config.store)},
        "access_log": access_log,
        "log_file": log_file,
        "listener": listener.fileno(),
        "parent": os.getpid(),
    }
    try:
        _Supervisor(config.workers, config.timeout, listener, settings).run()
    finally:
        listener.close()


class _Child:
    """One serving process and the read end of its status pipe."""

    def __init__(self, process: subprocess.Popen, status: int) -> None:
        self.process = process
        self.status = status
        self.state = "starting"  # then "serving", "retiring"
        self.since = time.monotonic()


class _Supervisor:
    def __init__(self, workers: int, timeout: float, listener: socket.socket, settings: dict) -> None:
        self.workers = workers
        self.timeout = timeout
        self.listener = listener
        self.settings = settings
        self.children: dict[int, _Child] = {}  # by status pipe
        self.selector = selectors.DefaultSelector()
        self.stopping = False
        self.failures = 0  # processes in a row that died before serving

    def run(self) -> None:
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_read, False)
        os.set_blocking(wake_write, False)
        self.selector.register(wake_read, selectors.EVENT_READ)
        previous_wakeup = signal.set_wakeup_fd(wake_write)
        handlers = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for _ in range(self.workers):
                self._spawn()
            self._wait_until_serving()
            pids = ", ".join(str(c.process.pid) for c in self.children.values())
            log.info("%d serving processes answering (%s)", len(self.children), pids)
            while not self.stopping:
                self._step(1.0)
                self._end_overdue()
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
            signal.set_wakeup_fd(previous_wakeup)
            self._stop_children()
            self.selector.close()
            os.close(wake_read)
            os.close(wake_write)

    def _stop(self, signum: int, frame: object) -> None:
        self.stopping = True

    def _spawn(self) -> None:
        status_read, status_write = os.pipe()
        settings = {**self.settings, "status": status_write}
        try:
            process = subprocess.Popen(
                module_command("chaingraph.serve.supervisor"),
                stdin=subprocess.PIPE,
                pass_fds=(self.listener.fileno(), status_write),
                env=_CHILD_ENVIRONMENT,
            )
            assert process.stdin is not None
            # On standard input, not the command line: the settings hold the update token.
            process.stdin.write(json.dumps(settings).encode("utf-8"))
            process.stdin.close()
        except OSError as error:
            os.close(status_read)
            raise ServeError(f"cannot start a serving process: {error}") from None
        finally:
            os.close(status_write)
        self.children[status_read] = _Child(process, status_read)
        self.selector.register(status_read, selectors.EVENT_READ)

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        while any(c.state == "starting" for c in self.children.values()):
            if self.stopping:
                return
            if time.monotonic() > deadline:
                raise ServeError(f"the serving processes did not start within {_START_TIMEOUT:g} s")
            self._step(0.5)

    def _step(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for news from the children (or a signal) and act on it."""
        for key, _ in self.selector.select(timeout):
            child = self.children.get(key.fd)
            if child is None:  # the signal pipe: the handler has already run
                while True:
                    try:
                        if not os.read(key.fd, 512):
                            break
                    except BlockingIOError:
                        break
                continue
            news = os.read(child.status, 64)
            if not news:
                self._gone(child)
                continue
            if b"S" in news and child.state == "starting":
                child.state, child.since = "serving", time.monotonic()
                self.failures = 0
            if b"R" in news and child.state != "retiring":
                child.state, child.since = "retiring", time.monotonic()
                if not self.stopping:
                    self._spawn()

    def _gone(self, child: _Child) -> None:
        """A child closed its status pipe: it has exited (or is about to)."""
        self.selector.unregister(child.status)
        os.close(child.status)
        del self.children[child.status]
        try:
            code = child.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.process.kill()
            code = child.process.wait()
        if self.stopping or child.state == "retiring":
            return
        if child.state == "starting":
            self.failures += 1
            if self.failures >= _RESTARTS:
                raise ServeError(f"{self.failures} serving processes in a row exited as they started; see above")
        log.error("serving process %d exited (status %s); starting another", child.process.pid, code)
        self._spawn()

    def _end_overdue(self) -> None:
        """Kill a retiring process still there long after its requests' deadlines passed."""
        now = time.monotonic()
        for child in self.children.values():
            if child.state == "retiring" and now - child.since > self.timeout + _GRACE + 10:
                child.process.kill()

    def _stop_children(self) -> None:
        """SIGTERM to every child, then SIGKILL to those still there after :data:`_STOP_TIMEOUT`."""
        self.stopping = True
        for child in self.children.values():
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + _STOP_TIMEOUT
        for child in list(self.children.values()):
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
            os.close(child.status)
        self.children.clear()


class _Columns(logging.Formatter):
    """``INFO:     message``: the level in a column, then the message; with ``details``, the
    traceback of a failure below it (``exc_info``, or the ``details`` a record carries: the
    traceback of a failure in an evaluation thread or an update process)."""

    def __init__(self, *, details: bool, timestamps: bool = False) -> None:
        super().__init__()
        self.details = details
        self.timestamps = timestamps

    def format(self, record: logging.LogRecord) -> str:
        text = f"{record.levelname + ':':<9} {record.getMessage()}"
        if self.timestamps:
            text = f"{self.formatTime(record)} [{record.process}] {text}"
        if not self.details:
            return text
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info).rstrip("\n")
        details = getattr(record, "details", None)
        if details:
            text += "\n" + str(details).rstrip("\n")
        return text


def configure_log(log_file: str | None = None) -> None:
    """The server log (logger ``chaingraph.serve``): on standard error, with the tracebacks of
    server errors; with ``log_file``, also appended to that file with timestamps and the
    tracebacks, standard error then keeping one line per record.

    Raises
    ------
    OSError
        If ``log_file`` cannot be opened for appending.
    """
    handlers: list[logging.Handler] = []
    if log_file is not None:
        # Every serving process appends to the file on its own (O_APPEND: a record of a few KiB
        # is one write, so records of several processes do not mix).
        handlers.append(logging.FileHandler(log_file, mode="a", encoding="utf-8"))
        handlers[-1].setFormatter(_Columns(details=True, timestamps=True))
    for old in [h for h in log.handlers if getattr(h, "chaingraph_serve", False)]:
        log.removeHandler(old)
        old.close()
    if not log.handlers:  # unless the program running the server logs its own way
        handlers.append(logging.StreamHandler(sys.stderr))
        handlers[-1].setFormatter(_Columns(details=log_file is None))
    for handler in handlers:
        handler.chaingraph_serve = True  # type: ignore[attr-defined]  (ours, replaced on the next call)
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


# ---------------------------------------------------------------------- a serving process


def main() -> None:
    """A serving process: the endpoint on the inherited socket, until it retires or is stopped."""
    settings = json.loads(sys.stdin.buffer.read())
    if not die_with_parent(settings["parent"]):
        return
    configure_log(settings.get("log_file"))
    try:  # uvloop: a faster event loop, where it exists
        from uvloop import run
    except ImportError:
        run = asyncio.run
    status = settings["status"]

    def tell(news: bytes) -> None:
        with contextlib.suppress(OSError):  # the supervisor is gone: this process is about to be killed
            os.write(status, news)

    run(_serve(settings, tell))
    # Not a normal interpreter exit: a runaway query's thread cannot be joined, only ended.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


async def _serve(settings: dict, tell) -> None:
    from chaingraph.serve.app import ServeConfig, create_app
    from chaingraph.serve.http import HttpServer

    config = ServeConfig(**{**settings["config"], "store": Path(settings["config"]["store"])})
    loop = asyncio.get_running_loop()
    stop: asyncio.Future[float] = loop.create_future()  # its result: seconds given to running requests

    def stop_within(grace: float) -> None:
        if not stop.done():
            stop.set_result(grace)

    def retire(reason: str) -> None:
        tell(b"R")
        # Accept nothing more from now on (before the runaway's 503 goes out): the supervisor's
        # replacement and the other processes take the new connections.
        server.stop_accepting()
        # Every request still running has its own deadline: give them all the time to answer.
        stop_within(config.timeout + _GRACE)

    endpoint = create_app(config, on_retire=retire)
    server = HttpServer(
        endpoint.respond,
        access_log=settings["access_log"],
        idle_timeout=config.idle_timeout,
        request_timeout=config.request_timeout,
    )
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop_within, _GRACE)
    endpoint.start()
    await server.start(socket.socket(fileno=settings["listener"]))
    tell(b"S")
    grace = await stop
    await server.shutdown(grace)
    endpoint.close()
    log.info("serving process %d stopped", os.getpid())
