"""Which format to answer in: HTTP content negotiation for SPARQL results and RDF graphs.

A SPARQL request does not say in advance whether the query is a ``SELECT``/``ASK`` (answered as
a results document) or a ``CONSTRUCT``/``DESCRIBE`` (answered as an RDF graph), so the endpoint
picks one format of each kind from the ``Accept`` header (or the ``format`` parameter) and the
evaluation uses whichever the query needs.

>>> negotiate("text/csv")
Choice(solutions='csv', graph=None)
>>> negotiate("application/sparql-results+xml, application/rdf+xml")
Choice(solutions='xml', graph='rdfxml')
>>> negotiate(None, "jsonld")
Choice(solutions='json', graph='jsonld')
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

__all__ = ["Choice", "negotiate", "UnknownFormat", "MEDIA_TYPES", "FORMAT_NAMES"]

#: Format name -> the Content-Type the endpoint answers with.
MEDIA_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "turtle": "text/turtle; charset=utf-8",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}

# Media types a client may ask for, in the endpoint's order of preference for each kind.
_SOLUTION_TYPES = (
    ("application/sparql-results+json", "json"),
    ("application/json", "json"),
    ("application/sparql-results+xml", "xml"),
    ("application/xml", "xml"),
    ("text/xml", "xml"),
    ("text/csv", "csv"),
    ("text/tab-separated-values", "tsv"),
)
_GRAPH_TYPES = (
    ("text/turtle", "turtle"),
    ("application/x-turtle", "turtle"),
    ("application/n-triples", "ntriples"),
    ("text/plain", "ntriples"),
    ("application/ld+json", "jsonld"),
    ("application/json", "jsonld"),
    ("application/rdf+xml", "rdfxml"),
    ("application/xml", "rdfxml"),
    ("text/xml", "rdfxml"),
)

#: What the ``format`` parameter accepts: a short name -> (results format, graph format).
FORMAT_NAMES: dict[str, tuple[str | None, str | None]] = {
    "json": ("json", "jsonld"),
    "xml": ("xml", "rdfxml"),
    "csv": ("csv", None),
    "tsv": ("tsv", None),
    "turtle": (None, "turtle"),
    "ttl": (None, "turtle"),
    "ntriples": (None, "ntriples"),
    "nt": (None, "ntriples"),
    "jsonld": (None, "jsonld"),
    "json-ld": (None, "jsonld"),
    "rdfxml": (None, "rdfxml"),
    "rdf": (None, "rdfxml"),
}


class Choice(NamedTuple):
    """The format for a results document and the one for a graph; ``None`` where nothing fits."""

    solutions: str | None
    graph: str | None


class UnknownFormat(ValueError):
    """A ``format`` parameter the endpoint does not know."""


DEFAULT = Choice("json", "turtle")


def negotiate(accept: str | None, fmt: str | None = None) -> Choice:
    """The formats to answer in, from the ``format`` parameter if given, else the ``Accept`` header.

    Parameters
    ----------
    accept:
        The request's ``Accept`` header, or ``None``.
    fmt:
        The ``format`` parameter: a short name (``json``, ``csv``, ``ttl``, ...) or a media type.
        It wins over ``Accept`` so that a link or a browser address bar can choose.

    Returns
    -------
    Choice
        ``Choice(solutions, graph)``; a ``None`` member means the client accepts no format of
        that kind (the endpoint answers 406 if the query needs it).

    Raises
    ------
    UnknownFormat
        If ``fmt`` names no format.
    """
    if fmt:
        key = fmt.strip().lower()
        if key in FORMAT_NAMES:
            solutions, graph = FORMAT_NAMES[key]
            # A named format of one kind still lets the other kind be answered in its default.
            return Choice(solutions or DEFAULT.solutions, graph or DEFAULT.graph)
        if "/" not in key:
            raise UnknownFormat(f"unknown format {fmt!r}; use one of {', '.join(sorted(FORMAT_NAMES))}")
        accept = key
    if not accept or not accept.strip():
        return DEFAULT
    return _negotiate_accept(accept)


@lru_cache(maxsize=256)
def _negotiate_accept(accept: str) -> Choice:
    ranges = _parse_accept(accept)
    return Choice(_best(ranges, _SOLUTION_TYPES), _best(ranges, _GRAPH_TYPES))


def _parse_accept(accept: str) -> list[tuple[str, float, int]]:
    """``(media range, q, position)`` for each entry of an Accept header."""
    ranges = []
    for position, entry in enumerate(accept.split(",")):
        media, *params = (part.strip() for part in entry.split(";"))
        if not media:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranges.append((media.lower(), q, position))
    return ranges


def _best(ranges: list[tuple[str, float, int]], offered: tuple[tuple[str, str], ...]) -> str | None:
    """The offered format of highest quality; ties go to the client's earlier entry, then ours."""
    best: tuple[float, int, int] | None = None
    chosen = None
    for rank, (media, name) in enumerate(offered):
        quality = _quality(ranges, media)
        if quality is None or quality[0] <= 0:
            continue
        key = (quality[0], -quality[1], -rank)
        if best is None or key > best:
            best, chosen = key, name
    return chosen


def _quality(ranges: list[tuple[str, float, int]], media: str) -> tuple[float, int] | None:
    """The q and position of the most specific range matching ``media`` (RFC 9110, 12.5.1)."""
    kind = media.split("/")[0]
    match = None
    for specificity, pattern in ((2, media), (1, kind + "/*"), (0, "*/*")):
        for candidate, q, position in ranges:
            if candidate == pattern:
                match = (q, position if specificity else 1_000_000)
                break
        if match is not None:
            return match
    return None
