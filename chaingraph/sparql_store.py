"""A chaingraph store behind any SPARQL 1.1 server: Query, Update and Graph Store protocols.

``open_store("http://host:7878")`` returns a :class:`SparqlStore` that offers the same methods
as the embedded store, so build, query and align work against a remote server unchanged. The
URL is the server's base: queries go to ``BASE/query``, updates to ``BASE/update`` and graph
uploads to ``BASE/store`` (the layout of ``oxigraph serve``; other servers can be reached by
giving the three URLs explicitly).

A remote build is applied graph by graph, not as one transaction: changed document graphs are
dropped, then uploaded in batches, each request holding whole graphs, so a build that fails
half-way leaves every graph either old, new or absent, and the next build (which compares
fingerprints) completes the work.

Every query and update is checked before it is sent (:mod:`chaingraph.sparql_guard`): no SERVICE
or LOAD leaves for a server that was not allowed, whoever would send it. The graph names in the
queries chaingraph writes itself are checked IRIs, written by pyoxigraph.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pyoxigraph as ox

from chaingraph.rdf.terms import parse_iri, term_text

if TYPE_CHECKING:
    from chaingraph.sparql_guard import SparqlGuard

__all__ = ["SparqlStore"]

_CHUNK = 200_000  # quads per upload: bounded request bodies, few round trips


class SparqlStore:
    """A store reached over the SPARQL 1.1 protocols.

    Parameters
    ----------
    base:
        The server's base URL (``http://127.0.0.1:7878``).
    query_url, update_url, store_url:
        Override the endpoints derived from ``base``.
    timeout:
        Seconds to wait for one HTTP request.
    """

    def __init__(
        self,
        base: str,
        *,
        query_url: str | None = None,
        update_url: str | None = None,
        store_url: str | None = None,
        timeout: float = 300.0,
    ) -> None:
        base = base.rstrip("/")
        self.path = base  # what reports print as "the store"
        self.query_url = query_url or base + "/query"
        self.update_url = update_url or base + "/update"
        self.store_url = store_url or base + "/store"
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"SparqlStore({self.path!r})"

    # ------------------------------------------------------------------ HTTP

    def _request(self, url: str, data: bytes | None, content_type: str | None, accept: str | None = None) -> bytes:
        from chaingraph.store import QueryError, StoreError

        headers = {}
        if content_type:
            headers["Content-Type"] = content_type
        if accept:
            headers["Accept"] = accept
        request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data is not None else "GET")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            message = " ".join(error.read().decode("utf-8", "replace").split())[:500]
            if error.code == 400:
                raise QueryError(f"the server at {self.path} rejected the request: {message}") from None
            raise StoreError(f"{url}: HTTP {error.code} {error.reason}: {message}") from None
        except (urllib.error.URLError, OSError) as error:
            raise StoreError(f"cannot reach the SPARQL server at {self.path}: {error}") from None

    def _update(self, sparql: str, guard: SparqlGuard | None = None) -> None:
        from chaingraph.sparql_guard import DEFAULT_GUARD

        (guard or DEFAULT_GUARD).check_update(sparql)
        self._request(self.update_url, sparql.encode("utf-8"), "application/sparql-update")

    # ------------------------------------------------------------------ reading

    def query(self, sparql: str, *, use_default_graph_as_union: bool = True, guard: SparqlGuard | None = None):
        """Run a query; SELECT/ASK give pyoxigraph results, CONSTRUCT/DESCRIBE a list of triples.

        ``guard`` checks the text first, as for the embedded store
        (:meth:`chaingraph.store.EmbeddedStore.query`).
        """
        from chaingraph.sparql_guard import DEFAULT_GUARD

        (guard or DEFAULT_GUARD).check_query(sparql)
        params = {"union-default-graph": ""} if use_default_graph_as_union else {}
        url = self.query_url + ("?" + urllib.parse.urlencode(params) if params else "")
        body = self._request(
            url,
            sparql.encode("utf-8"),
            "application/sparql-query",
            accept="application/sparql-results+json, application/n-triples;q=0.9",
        )
        if body.lstrip().startswith(b"{"):
            return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        return list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))

    def exists(self) -> bool:
        """Whether a build has completed into this store (it holds chaingraph's meta graph)."""
        from chaingraph.builder import META_GRAPH

        graph = term_text(parse_iri(META_GRAPH))
        return bool(self.query(f"ASK {{ GRAPH {graph} {{ ?s ?p ?o }} }}", use_default_graph_as_union=False))

    def named_graphs(self) -> list[str]:
        """The IRIs of the named graphs on the server."""
        rows = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", use_default_graph_as_union=False)
        return sorted(row["g"].value for row in rows)

    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        """Every quad, or those of one named graph."""
        graphs = [graph] if graph else self.named_graphs()
        for name in graphs:
            node = parse_iri(name)
            triples = self.query(
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {term_text(node)} {{ ?s ?p ?o }} }}",
                use_default_graph_as_union=False,
            )
            for triple in triples:
                yield ox.Quad(triple.subject, triple.predicate, triple.object, node)

    def close(self) -> None:
        """Nothing to release: every request is its own connection."""

    # ------------------------------------------------------------------ writing

    @contextmanager
    def transaction(self) -> Iterator[_RemoteWriter]:
        """A writer that applies each change on the server as it is made (see the module docstring)."""
        yield _RemoteWriter(self)


class _RemoteWriter:
    """The subset of ``pyoxigraph.Store`` that a build uses, over HTTP."""

    #: Each change is applied as it is made, not all at the end (see the module docstring).
    transactional = False

    def __init__(self, store: SparqlStore) -> None:
        self.store = store

    def query(self, sparql: str, **kwargs):
        return self.store.query(sparql, **kwargs)

    def contains_named_graph(self, graph: ox.NamedNode) -> bool:
        return bool(
            self.store.query(f"ASK {{ GRAPH {term_text(graph)} {{ ?s ?p ?o }} }}", use_default_graph_as_union=False)
        )

    def remove_graph(self, graph: ox.NamedNode) -> None:
        self.store._update(f"DROP SILENT GRAPH {term_text(graph)}")

    def remove_graphs(self, graphs: list[str]) -> None:
        """Drop many graphs, a few hundred per update request."""
        for start in range(0, len(graphs), 500):
            batch = graphs[start : start + 500]
            self.store._update(" ;\n".join(f"DROP SILENT GRAPH {term_text(parse_iri(g))}" for g in batch))

    def bulk_load(self, stream, format: ox.RdfFormat, to_graph: ox.NamedNode | None = None) -> None:  # noqa: A002
        data = stream.read() if hasattr(stream, "read") else stream
        if isinstance(data, str):
            data = data.encode("utf-8")
        url = self.store.store_url
        if to_graph is not None:
            url += "?" + urllib.parse.urlencode({"graph": to_graph.value})
        self.store._request(url, data, format.media_type)

    def load_nquads_chunks(self, chunks: Iterable[bytes]) -> None:
        """Upload N-Quads as they come, one request per chunk (each chunk holds whole graphs, so a
        build that stops between two requests leaves every document graph either old or new)."""
        for chunk in chunks:
            self.store._request(self.store.store_url, chunk, "application/n-quads")

    def extend(self, quads: Iterable[ox.Quad]) -> None:
        self.bulk_extend(quads)

    def bulk_extend(self, quads: Iterable[ox.Quad]) -> None:
        batch: list[ox.Quad] = []
        for quad in quads:
            batch.append(quad)
            if len(batch) >= _CHUNK:
                self._upload(batch)
                batch = []
        if batch:
            self._upload(batch)

    def _upload(self, quads: list[ox.Quad]) -> None:
        body = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
        self.store._request(self.store.store_url, body, "application/n-quads")

    def flush(self) -> None:
        """Changes are already on the server."""
