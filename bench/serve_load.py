"""Load test: ``chaingraph serve`` against a bare ``oxigraph serve-read-only`` on the same data.

Sends GET requests of one query shape from 50 concurrent keep-alive HTTP/1.1 clients to three
servers over the loopback interface, in one run:

* ``chaingraph serve`` as it ships (answers of repeated queries cached per store generation),
* ``chaingraph serve --cache-mb 0`` (every request evaluated: the figure the target is judged on),
* ``oxigraph serve-read-only --union-default-graph --cors`` on an Oxigraph backup of the same
  store generation (the PyPI package ``oxigraph``; ``--timeout-s`` only if asked for, see below).

The query shapes (``--query``, several to run them one after the other on the same servers):

``two-hop`` (the default, the shape of issue #4)
    From a programme to the skills it teaches (``cg:teaches``), then to the occupations that
    require them (``cg:requires``), with English labels, ordered: 25-45 rows on the demo store.
``label``
    The programme's labels: one triple pattern, so mostly the cost of HTTP and of handing the
    query to an evaluation thread.

Each request asks about the next of ``--anchors`` programmes in turn (CIP 15.0406 first, then
those with the longest two-hop answers), so the uncached servers evaluate a different query
each time and the cached one holds several answers, as it would for real clients.

The requests go in rounds, the servers taking turns, so that the load of a shared machine
falls on all three alike. Every answer is checked against the first one for its anchor; a
different body, an HTTP error or a broken connection counts as an error. Prints requests/s,
p50/p95 latency, errors, the server's CPU time and context switches per request (its processes,
their threads and children) for each, and the chaingraph / oxigraph ratio.

    python bench/serve_load.py [--store DIR] [--query two-hop label] [--requests 10000]
                               [--concurrency 50] [--rounds 5] [--anchors 8] [--workers N] [--threads N]

Without ``--store`` (or if the store is empty) the bundled corpus is built into a temporary
store first. Bounded: each server gets ``--requests`` requests per query shape and the whole
run stops after ``--time-limit`` seconds. Needs ``pip install oxigraph==0.5.13`` for the bare
server.

``oxigraph serve-read-only --timeout-s N`` starts one timer thread per query that lives for the
whole N seconds, so under this load it runs out of threads and answers 500 (measured: 3,000
threads after 3,000 requests with N = 30); pass ``--oxigraph-timeout N`` to see it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANCHOR = "https://w3id.org/chaingraph/id/cip/15.0406"  # the example programme, asked first
PREFIXES = "PREFIX cg: <https://w3id.org/chaingraph/ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
#: The query shapes, each with an ``{anchor}`` programme.
QUERIES = {
    # The shape: from one programme to the skills it teaches, then to the occupations
    # that require them, with English labels (25-45 rows on the demo store).
    "two-hop": PREFIXES
    + "SELECT ?skill ?skillLabel ?occupation ?occupationLabel WHERE {{ "
    + "<{anchor}> cg:teaches ?skill . ?skill skos:prefLabel ?skillLabel . "
    + 'FILTER(LANGMATCHES(LANG(?skillLabel), "en")) '
    + "?occupation cg:requires ?skill . ?occupation skos:prefLabel ?occupationLabel . "
    + 'FILTER(LANGMATCHES(LANG(?occupationLabel), "en")) }} ORDER BY ?skill ?occupation',
    # A single-pattern lookup: the programme's labels (mostly HTTP and hand-over cost).
    "label": PREFIXES + "SELECT ?label WHERE {{ <{anchor}> skos:prefLabel ?label }} ORDER BY ?label",
}
# Programmes whose two-hop answer is not empty, most rows first.
ANCHORS_QUERY = PREFIXES + (
    "SELECT ?programme (COUNT(*) AS ?rows) WHERE { ?programme a cg:Programme ; cg:teaches ?skill . "
    "?occupation cg:requires ?skill } GROUP BY ?programme ORDER BY DESC(?rows) ?programme"
)


@dataclass
class Target:
    """One server under test."""

    name: str
    command: list[str]
    port: int
    process: subprocess.Popen | None = None
    expected: dict[int, bytes] = field(default_factory=dict)  # anchor number -> first answer
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cache_hits: int = 0
    seconds: float = 0.0
    cpu_ticks: int = 0
    switches: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/query"


# ---------------------------------------------------------------------- load generator


async def client(target: Target, requests: list[bytes], budget: list[int], deadline: float) -> None:
    """One keep-alive connection sending requests until the shared budget or the time is spent.

    Each request asks about the next anchor in turn (``budget`` counts down across clients).
    """
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while budget[0] > 0 and time.perf_counter() < deadline:
        budget[0] -= 1
        anchor = budget[0] % len(requests)
        request = requests[anchor]
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", target.port)
            assert reader is not None
            writer.write(request)
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            status = int(head[0].split(" ", 2)[1])
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if "content-length" in headers:
                body = await reader.readexactly(int(headers["content-length"]))
            else:  # chunked (oxigraph streams its answers)
                chunks = []
                while size := int((await reader.readline()).split(b";")[0], 16):
                    chunks.append(await reader.readexactly(size))
                    await reader.readexactly(2)
                await reader.readexactly(2)
                body = b"".join(chunks)
            elapsed = time.perf_counter() - started
            if status != 200:
                target.errors.append(f"HTTP {status}")
            elif target.expected.setdefault(anchor, body) != body:
                target.errors.append("unexpected body")
            else:
                target.latencies.append(elapsed)
                target.cache_hits += headers.get("chaingraph-cache") == "hit"
            if headers.get("connection", "").lower() == "close":
                writer.close()
                writer = None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as error:
            target.errors.append(type(error).__name__)
            if writer is not None:
                writer.close()
            writer = None
    if writer is not None:
        writer.close()


async def load(target: Target, queries: list[str], requests: int, concurrency: int, deadline: float) -> None:
    """``requests`` GETs, taking ``queries`` in turn, from ``concurrency`` clients; adds to the tallies."""
    encoded = []
    for query in queries:
        path = urllib.parse.urlsplit(target.url).path + "?" + urllib.parse.urlencode({"query": query})
        encoded.append(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{target.port}\r\n"
            "Accept: application/sparql-results+json\r\n\r\n".encode()
        )
    budget = [requests]
    cpu_before, switches_before = server_ticks(target), server_switches(target)
    started = time.perf_counter()
    await asyncio.gather(*(client(target, encoded, budget, deadline) for _ in range(concurrency)))
    target.seconds += time.perf_counter() - started
    target.cpu_ticks += server_ticks(target) - cpu_before
    target.switches += server_switches(target) - switches_before


# ---------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_pids(target: Target) -> list[int]:
    """The server process and its live children (chaingraph's serving processes)."""
    assert target.process is not None
    pids = [target.process.pid]
    for task in Path(f"/proc/{target.process.pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):  # a thread may end between listing and reading
            pids += [int(p) for p in task.read_text().split()]
    return pids


def server_switches(target: Target) -> int:
    """Context switches so far of every thread of the server's processes (voluntary and not)."""
    total = 0
    for pid in server_pids(target):
        for status in Path(f"/proc/{pid}/task").glob("*/status"):
            with contextlib.suppress(OSError):
                for line in status.read_text().splitlines():
                    if "ctxt_switches:" in line:
                        total += int(line.split()[1])
    return total


def server_ticks(target: Target) -> int:
    """CPU time (clock ticks) of the server process and its live children."""
    total = 0
    for pid in server_pids(target):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def start(target: Target, log_dir: Path) -> None:
    log = (log_dir / f"{target.port}.log").open("w")
    target.process = subprocess.Popen(target.command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    probe = target.url + "?" + urllib.parse.urlencode({"query": "ASK {}"})
    while time.monotonic() < deadline:
        if target.process.poll() is not None:
            raise SystemExit(f"{target.name} exited: {(log_dir / f'{target.port}.log').read_text()}")
        try:
            with urllib.request.urlopen(probe, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{target.name} did not answer within 120 s")


def stop(target: Target) -> None:
    if target.process is None or target.process.poll() is not None:
        return
    target.process.send_signal(signal.SIGTERM)
    try:
        target.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(target.process.pid, signal.SIGKILL)
        target.process.wait()


def prepare_store(store: Path | None, work: Path) -> Path:
    """The store to serve: the one given, or the bundled corpus built into ``work``."""
    from chaingraph.store import open_store

    if store is not None and open_store(store).exists():
        return store
    built = work / "store"
    print(f"building the bundled corpus into {built} …", file=sys.stderr)
    from chaingraph import api

    api.build(ROOT / "corpora", built)
    return built


def anchors_of(store: Path, count: int) -> list[str]:
    """The programmes the queries ask about, in turn: CIP 15.0406 first if it has a two-hop
    answer, then those with the longest ones."""
    from chaingraph.store import open_store

    found = [row["programme"].value for row in open_store(store).query(ANCHORS_QUERY)]
    if not found:
        raise SystemExit(f"{store} holds no programme that teaches a skill some occupation requires")
    if ANCHOR in found:
        found.remove(ANCHOR)
        found.insert(0, ANCHOR)
    return found[:count]


def answer(target: Target, query: str) -> str:
    """The server's solutions to ``query``, normalised, to check the servers agree."""
    url = target.url + "?" + urllib.parse.urlencode({"query": query})
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.dumps(json.loads(response.read())["results"], sort_keys=True)


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(found).exists():
        raise SystemExit("the bare server needs the oxigraph binary: pip install oxigraph==0.5.13")
    return found


# ---------------------------------------------------------------------- report


def report(
    targets: list[Target], args: argparse.Namespace, name: str, anchors: list[str], loads: tuple[float, float]
) -> None:
    print(
        f"query {name!r}: {args.requests:,} requests per server, {args.concurrency} concurrent "
        f"keep-alive clients, in {args.rounds} rounds taking turns"
    )
    print(QUERIES[name].format(anchor=anchors[0]))
    print(f"anchors, one per request in turn: {', '.join(a.rsplit('/', 1)[-1] for a in anchors)}")
    print(f"load average {loads[0]:.1f} before, {loads[1]:.1f} after")
    print()
    tick = os.sysconf("SC_CLK_TCK")
    header = f"{'server':<34}{'requests':>9}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
    header += f"{'CPU µs/req':>12}{'switches/req':>14}{'cached':>8}"
    print(header)
    print("-" * len(header))
    for t in targets:
        done = len(t.latencies)
        ordered = sorted(t.latencies)
        p50 = statistics.median(ordered) * 1000 if ordered else float("nan")
        p95 = ordered[int(0.95 * (len(ordered) - 1))] * 1000 if ordered else float("nan")
        rate = done / t.seconds if t.seconds else 0.0
        cpu = t.cpu_ticks / tick / max(done, 1) * 1e6
        switches = t.switches / max(done, 1)
        cached = f"{100 * t.cache_hits / done:.0f} %" if done and t.name.startswith("chaingraph") else "-"
        print(
            f"{t.name:<34}{done + len(t.errors):>9,}{len(t.errors):>8}{rate:>9.0f}{p50:>9.2f}{p95:>9.2f}"
            f"{cpu:>12.0f}{switches:>14.2f}{cached:>8}"
        )
        if t.errors:
            kinds = {e: t.errors.count(e) for e in set(t.errors)}
            print(f"{'':<4}errors: {kinds}")
    print()
    bare = targets[-1]
    bare_rate = len(bare.latencies) / bare.seconds if bare.seconds else 0.0
    for t in targets[:-1]:
        rate = len(t.latencies) / t.seconds if t.seconds else 0.0
        ratio = rate / bare_rate if bare_rate else 0.0
        verdict = "met" if ratio >= 0.8 and not t.errors else "not met"
        print(f"{t.name} / {bare.name}: {100 * ratio:.0f} % of the requests/s (target ≥ 80 %, 0 errors: {verdict})")
    print()


# ---------------------------------------------------------------------- main


def measure(targets: list[Target], args: argparse.Namespace, queries: list[str], deadline: float) -> None:
    """Warm every server up, then load them in rounds taking turns; the tallies start afresh."""
    for target in targets:
        target.expected = {}  # the warm-up's answers are the ones every later answer must match
        asyncio.run(load(target, queries, args.warmup, args.concurrency, deadline))
        target.latencies, target.errors, target.cache_hits = [], [], 0
        target.seconds, target.cpu_ticks, target.switches = 0, 0, 0
    per_round = [args.requests // args.rounds + (i < args.requests % args.rounds) for i in range(args.rounds)]
    for number, count in enumerate(per_round):
        order = targets[number % 3 :] + targets[: number % 3]  # take turns going first
        for target in order:
            asyncio.run(load(target, queries, count, args.concurrency, deadline))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=None, help="store directory (default: build the demo corpus)")
    parser.add_argument(
        "--query",
        nargs="+",
        choices=sorted(QUERIES),
        default=["two-hop"],
        help="query shapes to measure, one after the other on the same servers (default: two-hop)",
    )
    parser.add_argument("--anchors", type=int, default=8, help="programmes asked about in turn")
    parser.add_argument("--requests", type=int, default=10_000, help="requests per server")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5, help="turns each server gets (requests split evenly)")
    parser.add_argument("--warmup", type=int, default=500, help="requests per server before measuring")
    parser.add_argument("--time-limit", type=float, default=900.0, help="seconds for the whole measurement")
    parser.add_argument("--oxigraph-timeout", type=int, default=None, help="pass --timeout-s N to oxigraph")
    parser.add_argument("--workers", type=int, default=None, help="pass --workers N to chaingraph serve")
    parser.add_argument("--threads", type=int, default=None, help="pass --threads N to chaingraph serve")
    args = parser.parse_args()

    with contextlib.suppress(ImportError):
        import uvloop  # a faster event loop keeps the load generator from being the bottleneck

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())

    with tempfile.TemporaryDirectory(prefix="serve-load-") as scratch:
        work = Path(scratch)
        store = prepare_store(args.store, work)
        anchors = anchors_of(store, args.anchors)

        import pyoxigraph as ox

        from chaingraph.store import open_store

        # The bare server reads an Oxigraph backup of the very generation chaingraph serves.
        generation = open_store(store)._current_generation()
        ox.Store.read_only(str(generation)).backup(str(work / "oxigraph"))

        serve = [sys.executable, "-c", "from chaingraph.cli.serve import app; app()", "serve", "--store", str(store)]
        if args.workers:
            serve += ["--workers", str(args.workers)]
        if args.threads:
            serve += ["--threads", str(args.threads)]
        ports = [free_port() for _ in range(3)]
        bare = [oxigraph_binary(), "serve-read-only", "--location", str(work / "oxigraph")]
        bare += ["--bind", f"127.0.0.1:{ports[2]}", "--cors", "--union-default-graph"]
        if args.oxigraph_timeout:
            bare += ["--timeout-s", str(args.oxigraph_timeout)]
        targets = [
            Target("chaingraph serve", [*serve, "--port", str(ports[0])], ports[0]),
            Target("chaingraph serve --cache-mb 0", [*serve, "--port", str(ports[1]), "--cache-mb", "0"], ports[1]),
            Target("oxigraph serve-read-only", bare, ports[2]),
        ]
        try:
            for target in targets:
                start(target, work)
            print(
                f"machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} cores, Python "
                f"{platform.python_version()}; store {store}\n"
            )
            deadline = time.perf_counter() + args.time_limit
            for name in args.query:
                queries = [QUERIES[name].format(anchor=anchor) for anchor in anchors]
                for query in queries:
                    expected = {answer(target, query) for target in targets}
                    if len(expected) != 1:
                        raise SystemExit(f"the servers disagree on the answer to {query}: {expected}")
                loads_before = os.getloadavg()[0]
                measure(targets, args, queries, deadline)
                report(targets, args, name, anchors, (loads_before, os.getloadavg()[0]))
        finally:
            for target in targets:
                stop(target)


if __name__ == "__main__":
    main()
