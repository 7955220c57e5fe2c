"""``chaingraph serve``: the store as a SPARQL 1.1 Protocol endpoint, safe by default.

Read-only unless started with ``--allow-update`` and a token; bound to 127.0.0.1; every query
under a time limit (its process is killed when it runs over) and a row limit; the default graph
is the union of all graphs, as for ``chaingraph query``; a new generation published by
``chaingraph build`` is served from the next request on. :mod:`chaingraph.serve.app` lists the
routes and answers, :mod:`chaingraph.serve.queries` the saved competency queries.

Design
------
A small supervisor (:mod:`chaingraph.serve.supervisor`) holds the listening socket and keeps
``--workers`` serving processes answering on it. In each, a small HTTP/1.1 layer on httptools
and uvloop (:mod:`chaingraph.serve.http`) reads the requests and the endpoint
(:mod:`chaingraph.serve.app`) answers them, the protocol paths through
:mod:`chaingraph.serve.protocol`. Queries are
evaluated on ``--threads`` threads of the serving process (:mod:`chaingraph.serve.evaluator`):
pyoxigraph releases the GIL while it evaluates and writes the results, so the event loop goes on
with HTTP meanwhile. The finished results document (written by pyoxigraph, checked against the
row limit: :mod:`chaingraph.serve.answers`) is sent as it is; answers to repeated GET requests
are kept per generation in each process (:mod:`chaingraph.serve.cache`). A query still running
at its time limit, or whose client has gone, cannot be interrupted: it is answered 503 and its
process *retires*: the supervisor starts a replacement at once, the retiring process accepts no
more connections, answers its other requests and exits, which ends the query. Each process
holds a read lease on the generation it answers from, so a build never removes it under a query
(:mod:`chaingraph.locks`). Updates take the store's writer lock, as builds do, one at a time,
each in a child process killed at the time limit, so the store stays as it was
(:mod:`chaingraph.serve.updates`).

Why, as measured on the 2-core x86_64 machine this was built on (shared with other jobs, so
figures moved with its load), over the demo store (95 documents, 682 k triples), 50 keep-alive
clients, ``bench/serve_load.py --query two-hop label`` (10,000 requests per server, against
``oxigraph serve-read-only`` on a backup of the same generation, in the same run):

* ``oxigraph serve-read-only`` (PyPI ``oxigraph`` 0.5.13), supervised: fastest at evaluating,
  but its ``--timeout-s`` did not stop ``SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f .
  ?g ?h ?i }``: with ``--timeout-s 3`` the query was still running, and the client waiting,
  ten minutes later. The timeout also starts a thread per query that lives the whole timeout
  (3,005 threads after 3,000 requests with 30 s); on the busy machine 3,690 of 10,000 requests
  failed with HTTP 500 ("Resource temporarily unavailable"), on a quiet one it kept up at half
  its speed. No row limit, no update token, no query page: it would need a front anyway.
* rdflib-endpoint (0.6.3, FastAPI, on oxrdflib), or Starlette + uvicorn over pyoxigraph, each
  evaluating in the one server process: a runaway query held the process (rdflib-endpoint
  answered a trivial ``ASK {}`` neither in 15 s nor 40 s later, and the query went on using a
  core after its client had gone).
* Evaluation in worker processes, one request at a time each, killed at the time limit (the
  first design): the issue's anchored 2-hop SELECT (programme -> skills -> occupations, with
  labels, 25-45 rows) uncached at 71-94 % of Oxigraph's requests/s, the single-pattern label
  lookup at 17-34 %, at 400-476 µs of CPU per request against Oxigraph's 99-124. The hand-over
  to another process (a pipe each way, both processes woken) cost more than the label lookup's
  evaluation: 2.3 context switches per request against Oxigraph's 1.05.
* Threads in the serving process (seven runs, load average 5-31 from other jobs on the
  machine, on uvicorn): the 2-hop query uncached
  at 227-420 requests/s, 91-150 % of Oxigraph's 250-331 (112, 137, 91, 112, 127, 150, 111 %),
  at 1,680-2,040 µs of CPU per request against its 1,490-1,710; the label lookup uncached at
  2,490-4,130 requests/s, 34-88 % of Oxigraph's 4,680-8,810 (87, 47, 48, 43, 63, 88, 34 %), at
  200-260 µs against its 94-151, 2.5-6.7 context switches per request against its 0.02-0.2 (the
  GIL passed between the event loop and the evaluation threads). One more thing mattered: libuv
  accepts every pending connection at once, so one serving process took all 50 clients of the
  bench and the other none, until the processes were started with ``UV_TCP_SINGLE_ACCEPT=1``.
  The generation check no longer calls ``stat`` on ``CURRENT`` per request (a ``stat``
  releases the GIL, and taking it back from the evaluation threads cost a hand-over): inotify
  reports changes to the store directory.
* On a quiet machine (load average below 1 before each run, four runs), still on uvicorn: the
  2-hop query uncached at 79, 87 % of Oxigraph with two threads per process and 89, 81 % with one
  (967-1,191 against 1,195-1,408 requests/s; 1,546-1,876 µs of CPU per request against
  1,276-1,513); the label lookup at 50-63 % (5,181-6,791 against 9,852-11,334). Without the
  other jobs' load Oxigraph uses both cores fully, and what separates the two is CPU per request.
* What was left on the label lookup was mostly uvicorn: a uvicorn app answering a fixed body cost
  135 µs of CPU per request under the bench's load generator, more than Oxigraph's whole request
  (114 µs in the same run); the lookup's evaluation is ~50 µs. A prototype answering the same
  queries from a bare asyncio protocol on httptools, evaluating on the same threads, cost 129-145
  µs per request against the endpoint's 166-257 in the same runs, so the serving processes now
  answer from their own HTTP layer (:mod:`chaingraph.serve.http`). On the quiet machine, three
  runs each: with two processes of two threads (the default then) the 2-hop query uncached at 80,
  83, 83 % of Oxigraph (1,144-1,203 against 1,398-1,445 requests/s; 1,532-1,615 µs of CPU per
  request against 1,253-1,292), the label lookup at 57, 63, 60 % (5,894-7,349 against
  10,324-12,294; 186-232 µs against 110-130). Each process does its HTTP work and the Python side
  of its queries under one GIL, so the processes, not the cores, were the limit: with four (two
  per core, now the default) the 2-hop query at 81, 88, 80, 85, 82, 82 % in six runs
  (1,167-1,540 against 1,457-1,813 requests/s; 1,222-1,592 µs against 1,000-1,240) and the label
  lookup at 88, 80, 75, 76, 81, 85 % (7,701-11,305 against 9,534-13,988; 140-211 µs against
  98-144). Four processes of one thread gave 91/90 and 79/86 %
  (2-hop/label), three of one 84/85 %, six of two 78/80 and 79/79 %: within the runs' noise of
  four of two, which keeps a second thread for a query arriving beside a runaway one. The
  threads' hand-overs remain (1-5 context switches per request against Oxigraph's 0.1-0.5).
* Tried and dropped: four threads per process (more hand-overs of the GIL: 4.6-6.4 context
  switches per request against 1.3-4 with two); the event loop waiting, blocked, 2-10 ms for a
  thread's answer before going on with other requests (22-50 % of Oxigraph on the label
  lookup, 8-17 context switches per request); one thread in each of four processes; a shorter GIL switch
  interval; pyoxigraph writing the answer to bytes rather than to a writer that stops at
  64 MB (all within the noise of the loaded machine; the 64 MB guard is kept). Evaluating on
  the event loop itself is cheapest but would stall every other client of that process behind
  a runaway query.
* Still from the first design: the answer is pyoxigraph's own results document, its solutions
  counted in its bytes for the row limit (reading the rows and writing them in Python cost
  ~600 µs for 45 rows); query strings are decoded in C. A serving process starts without
  importing spaCy (50 MB, not 114).

The HTTP layer is chaingraph's own (under 400 lines over httptools, the parser uvicorn uses)
because uvicorn's per-request work was the largest cost left on simple queries (above) and the
endpoint uses none of what it adds (streaming, websockets, lifespan, ASGI middleware). FastAPI
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
