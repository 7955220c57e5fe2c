"""Where pyoxigraph's evaluator crashes: the nesting and chain lengths of SPARQL shapes that kill it.

pyoxigraph parses and plans a query recursively, on the stack of the thread that runs it; a query
nested or chained deep enough overflows it and the process dies (SIGSEGV). For each shape this
finds, by bisection, the smallest size that crashes a fresh process evaluating the query on a thread
with the default stack size (as ``chaingraph serve`` does) on an empty store, and the time the
largest surviving size took. The limits of :mod:`chaingraph.sparql_guard` are chosen well below the
smallest crash (see ``docs/sparql-guard.md``)::

    python bench/sparql_crash_depths.py                 # every shape
    python bench/sparql_crash_depths.py paren union     # some
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

#: Shape name -> (query of size n, what n counts).
SHAPES = {
    "brace": (lambda n: "SELECT * WHERE " + "{ " * n + "}" * n, "nested { }"),
    "paren": (lambda n: "SELECT * WHERE { FILTER(" + "(" * n + "1" + ")" * n + ") }", "nested ( ) in an expression"),
    "exists": (
        lambda n: "ASK { " + "FILTER(EXISTS { " * n + "}) " * n + "}",
        "nested FILTER(EXISTS { }), two brackets each",
    ),
    "subselect": (lambda n: "SELECT * WHERE " + "{ SELECT * WHERE " * n + "{}" + " }" * n, "nested subqueries"),
    "path": (lambda n: "SELECT * WHERE { ?s " + "(" * n + "<http://e.org/p>" + ")" * n + " ?o }", "nested path ( )"),
    "not": (lambda n: "SELECT * WHERE { FILTER(" + "!" * n + "true) }", "chained !"),
    "plus": (lambda n: "SELECT * WHERE { FILTER(" + "+".join(["1"] * n) + ") }", "terms of 1+1+..."),
    "or": (lambda n: "SELECT * WHERE { BIND(1 AS ?a) FILTER(" + " || ".join(["?a"] * n) + ") }", "terms of ?a || ..."),
    "alternative": (lambda n: "SELECT * WHERE { ?s " + "|".join(["<http://e.org/p>"] * n) + " ?o }", "path p|p|..."),
    "union": (lambda n: "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * n) + " }", "UNION branches"),
    "bind": (lambda n: "SELECT * WHERE { " + " ".join(f"BIND({i} AS ?v{i})" for i in range(n)) + " }", "BINDs"),
    "minus": (lambda n: "SELECT * WHERE { ?s ?p ?o" + " MINUS { ?s ?p ?o }" * n + " }", "MINUS blocks"),
    "filter": (lambda n: "SELECT * WHERE { BIND(1 AS ?a)" + " FILTER(?a)" * n + " }", "FILTERs"),
    "collection": (lambda n: "SELECT * WHERE { ?s ?p ( " + " ".join(["1"] * n) + " ) }", "items of one ( ) list"),
}

_RUN = """
import json, sys, threading, time, pyoxigraph as ox
query = sys.stdin.read()
took = {}
def run():
    start = time.perf_counter()
    try:
        result = ox.Store().query(query)
        if not isinstance(result, ox.QueryBoolean):
            list(result)
    except (SyntaxError, OSError, RuntimeError):
        pass
    took["seconds"] = time.perf_counter() - start
thread = threading.Thread(target=run)
thread.start()
thread.join()
print(json.dumps(took))
"""


def attempt(query: str, timeout: float) -> tuple[str, float]:
    """("crash" | "ok" | "slow", seconds) for one query in a fresh process."""
    start = time.perf_counter()
    try:
        command = [sys.executable, "-c", _RUN]
        done = subprocess.run(command, input=query, text=True, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "slow", time.perf_counter() - start
    if done.returncode < 0:
        return "crash", time.perf_counter() - start
    return "ok", json.loads(done.stdout)["seconds"]


def first_crash(shape: str, *, start: int = 250, limit: int = 64_000, timeout: float = 60) -> dict:
    """The smallest size of ``shape`` that crashes (to 2 %), the largest that did not, and its time."""
    make = SHAPES[shape][0]
    ok, ok_seconds, crash, size = 0, 0.0, None, start
    while crash is None and size <= limit:
        outcome, seconds = attempt(make(size), timeout)
        if outcome == "slow":
            return {"shape": shape, "ok": ok, "seconds": round(ok_seconds, 3), "crash": None, "slow_at": size}
        if outcome == "crash":
            crash = size
        else:
            ok, ok_seconds, size = size, seconds, size * 2
    while crash is not None and crash - ok > max(10, ok // 50):
        middle = (ok + crash) // 2
        outcome, seconds = attempt(make(middle), timeout)
        if outcome == "slow":
            break
        if outcome == "crash":
            crash = middle
        else:
            ok, ok_seconds = middle, seconds
    return {"shape": shape, "ok": ok, "seconds": round(ok_seconds, 3), "crash": crash, "slow_at": None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shapes", nargs="*", help=f"shapes to measure (default: all): {', '.join(SHAPES)}")
    parser.add_argument("--timeout", type=float, default=60, help="seconds one attempt may take (default 60)")
    args = parser.parse_args()
    unknown = [shape for shape in args.shapes if shape not in SHAPES]
    if unknown:
        parser.error(f"unknown shape {', '.join(unknown)}; choose from {', '.join(SHAPES)}")
    import pyoxigraph

    print(f"pyoxigraph {pyoxigraph.__version__}, Python {sys.version.split()[0]}")
    print(f"{'shape':12} {'size survived':>13} {'in s':>7} {'first crash':>11}  what the size counts")
    for shape in args.shapes or SHAPES:
        found = first_crash(shape, timeout=args.timeout)
        crash = found["crash"] if found["crash"] else f"slow at {found['slow_at']}" if found["slow_at"] else "none"
        print(f"{shape:12} {found['ok']:>13,} {found['seconds']:>7} {crash!s:>11}  {SHAPES[shape][1]}", flush=True)


if __name__ == "__main__":
    main()
