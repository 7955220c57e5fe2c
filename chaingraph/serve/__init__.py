"""``chaingraph serve``: the store as a SPARQL 1.1 Protocol endpoint, safe by default.

Read-only unless started with ``--allow-update`` and a token; bound to 127.0.0.1; every query
under a time limit (its process is killed when it runs over) and a row limit; the default graph
is the union of all graphs, as for ``chaingraph query``; a new generation published by
``chaingraph build`` is served from the next request on. :mod:`chaingraph.serve.app` lists the
routes and answers, :mod:`chaingraph.serve.queries` the saved competency queries.

Design
------
A Starlette application on uvicorn (httptools, uvloop) takes the HTTP requests; a pool of
worker processes (:mod:`chaingraph.serve.pool`), each holding a read-only pyoxigraph handle on
the live generation, evaluates them; answers to repeated GET requests are kept per generation
(:mod:`chaingraph.serve.cache`).

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
  each (``bench/serve_load.py``, three runs): with the answer cache 15,100-20,600 requests/s,
  111-129 % of Oxigraph's 11,700-15,900, at 47-61 µs of CPU per request against its 80-114 µs;
  every request evaluated (``--cache-mb 0``): 2,750-3,650 requests/s, 20-24 %, at 400-480 µs
  (the Python HTTP layer ~200 µs, the hop to the worker and pyoxigraph ~200 µs).

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
