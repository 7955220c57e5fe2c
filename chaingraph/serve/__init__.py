"""``chaingraph serve``: the store as a SPARQL 1.1 Protocol endpoint, safe by default.

Read-only unless started with ``--allow-update`` and a token; bound to 127.0.0.1; every query
under a time limit (its process is killed when it runs over) and a row limit; the default graph
is the union of all graphs, as for ``chaingraph query``; a new generation published by
``chaingraph build`` is served from the next request on. :mod:`chaingraph.serve.app` lists the
routes and answers, :mod:`chaingraph.serve.queries` the saved competency queries.

Design
------
uvicorn (httptools, uvloop) takes the HTTP requests. The protocol paths go straight to a bare
ASGI application (:mod:`chaingraph.serve.protocol`), the query page and the rest to Starlette. A
pool of worker processes (:mod:`chaingraph.serve.pool`), each holding a read-only pyoxigraph
handle on the live generation, evaluates the queries and returns the finished results document
(written by pyoxigraph, checked against the row limit), which the server forwards as it is;
answers to repeated GET requests are kept per generation (:mod:`chaingraph.serve.cache`).

Why, as measured on the 2-core x86_64 machine this was built on (shared, so figures moved
with its load), over the demo store (95 documents, 682 k triples), 50 keep-alive clients:

* ``oxigraph serve-read-only`` (PyPI ``oxigraph`` 0.5.13), supervised: fastest at evaluating,
  but its ``--timeout-s`` did not stop ``SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f .
  ?g ?h ?i }``: with ``--timeout-s 3`` the query was still running, and the client waiting,
  ten minutes later. The timeout also starts a thread per query that lives the whole timeout
  (3,005 threads after 3,000 requests with 30 s); on the busy machine 3,690 of 10,000 requests
  failed with HTTP 500 ("Resource temporarily unavailable"), on a quiet one it kept up at half
  its speed. No row limit, no update token, no query page: it would need a front anyway.
* rdflib-endpoint (0.6.3, FastAPI, on oxrdflib): evaluates in the server process. 1,400
  requests/s at 710 µs of CPU per request; the runaway query above stopped it answering
  anything (a trivial ``ASK {}`` got no answer in 15 s, nor 40 s later) and went on using a
  core after its client had gone.
* Starlette + uvicorn over pyoxigraph in the server process: 1,500-1,800 requests/s, but the
  same trap: pyoxigraph cannot interrupt a query, so a runaway one holds the process.
* Chosen: the same front, with evaluation in worker processes. A query over its time limit
  gets its worker killed (SIGKILL: the CPU is free at once) and replaced in ~80 ms while the
  other workers answer (a concurrent query: ~25 ms); a query whose client disconnects is
  stopped too. A worker starts without importing spaCy: 32 MB and 80 ms, not 114 MB and 1 s.
  Against ``oxigraph serve-read-only`` on a backup of the same generation, 10,000 requests
  each (``bench/serve_load.py --query two-hop label``, three runs, the machine shared with other
  jobs): the issue's anchored 2-hop SELECT (programme -> skills -> occupations, with labels, 25-45
  rows) with every request evaluated (``--cache-mb 0``) at 233-566 requests/s, 71-91 % of
  Oxigraph's 284-620 (82, 91 and 71 %), at 1,790-2,130 µs of CPU per request against its
  1,300-1,520; with the answer cache 6,400-10,600 requests/s. The single-pattern label lookup:
  cached 7,500-8,400 requests/s, 113-153 % of Oxigraph's 4,900-7,400; uncached 900-1,700,
  17-26 %, at 400-476 µs against its 99-124: what is left is a fixed cost per request.
* Where that fixed cost goes (label lookup, 50 clients): the front process ~150 µs of CPU per
  request (uvicorn itself ~35 µs: a bare ASGI app answering a fixed body costs 31-36 µs; the
  protocol handler ~35 µs; the rest the hand-over), the worker ~140 µs around a 35-45 µs
  evaluation. The worker's own Python is ~15 µs of that (measured in one process: 43 µs against
  35 µs for pyoxigraph's query and serialisation); the rest is being woken for every request:
  one worker driven over its pipe one request at a time spends 109 µs per request on what takes
  45 µs in a loop. ``perf stat``: 2.3 context switches per request against Oxigraph's 1.05. So
  the gap is the process boundary the time limit needs (a thread cannot be killed), not code
  on either side of it.
* Cut from the cost per request (before, in a shorter run of the same bench: the 2-hop query at
  61 % of Oxigraph, 3,530 µs of CPU per request; the label lookup at 23 %, 583 µs): the protocol
  paths skip Starlette's routing and middleware (a bare ASGI application); the worker sends
  pyoxigraph's own results document instead of reading the rows and writing them in Python (~600 µs
  for 45 rows, a third of the evaluation's time) and counts the solutions in its bytes for
  the row limit; the SPARQL text goes to the worker as raw bytes; query strings are decoded in
  C; the JSON of the frames' metadata is kept for the shapes that repeat (no JSON encoder per
  request on either side); a free worker goes to the request waiting longest, else the worker
  that finished last takes the next request. That last one matters when requests come one at a
  time (one client, a quiet server): with the workers taking turns, the label
  lookup cost 690-790 µs of CPU (front and worker), the 2-hop query 2,500-3,400; now
  320-380 and 1,930-2,280 (Oxigraph: 100-105 and 1,450-1,580). Under 50 clients both workers are
  always busy and it changes nothing measurable: the 2-hop query at 1,800-2,260 µs against
  Oxigraph's 1,390-1,670 (1.27-1.38 times, four runs), 72-94 % of its requests/s (75 % in the
  one run on a quiet machine, load average 2-5). Tried and dropped: one write for the head and
  body of an answer (no gain); more workers than cores (3 and 4 on 2 cores: 69 and 72 %, no
  better within the noise of the loaded machine); two requests queued per worker so that it
  never sleeps between them (about 10 % less CPU on the label lookup, within the noise, and a
  request queued behind a runaway query would wait for its kill); workers pinned to cores, or
  run as ``SCHED_BATCH`` (no measurable change).

Starlette and uvicorn are small, typed, widely used and maintained by the Encode team; FastAPI
would add validation the protocol does not need. The evaluation stays pyoxigraph's, the same
engine and version as the rest of chaingraph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chaingraph.serve.app import ServeConfig, create_app, serve
    from chaingraph.serve.queries import NamedQueryError, bind_parameters, load_named_query, named_queries

__all__ = [
    "ServeConfig",
    "create_app",
    "serve",
    "load_named_query",
    "bind_parameters",
    "named_queries",
    "NamedQueryError",
]

_HOMES = {
    "ServeConfig": "chaingraph.serve.app",
    "create_app": "chaingraph.serve.app",
    "serve": "chaingraph.serve.app",
    "load_named_query": "chaingraph.serve.queries",
    "bind_parameters": "chaingraph.serve.queries",
    "named_queries": "chaingraph.serve.queries",
    "NamedQueryError": "chaingraph.serve.queries",
}


def __getattr__(name: str) -> Any:
    # Imported on first use: the query workers import this package and need none of it.
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'chaingraph.serve' has no attribute {name!r}")
