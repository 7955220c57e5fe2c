"""RDF terms for SPARQL text: IRIs checked before use, and ``VALUES`` blocks written from checked terms only.

chaingraph never splices a string into SPARQL. A term that comes from a user, a corpus or a store
becomes a pyoxigraph term first (``NamedNode`` refuses anything that is not an IRI), and only
pyoxigraph's own rendering of it (``str(term)``: ``<iri>``, ``"text"@lang`` with every escape SPARQL
needs) is written into a query.

>>> values_block("c", [parse_iri("https://w3id.org/chaingraph/id/cip/15.0613")])
'VALUES ?c { <https://w3id.org/chaingraph/id/cip/15.0613> }'
>>> values_block(("s", "o"), [(ox.NamedNode("http://e.org/a"), ox.Literal('say "hi"'))])
'VALUES (?s ?o) { (<http://e.org/a> "say \\\\"hi\\\\"") }'
>>> parse_iri("http://exa mple.org/<bad>")
Traceback (most recent call last):
    ...
chaingraph.rdf.terms.InvalidIRI: 'http://exa mple.org/<bad>' is not an IRI: Invalid IRI code point ' '
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import pyoxigraph as ox

__all__ = ["XSD", "InvalidIRI", "parse_iri", "term_text", "values_block"]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
XSD = "http://www.w3.org/2001/XMLSchema#"
# SPARQL's numeric literals (INTEGER, DECIMAL, DOUBLE, with a sign) by the datatype they stand for.
_NUMERALS = {
    XSD + "integer": re.compile(r"[+-]?[0-9]+"),
    XSD + "decimal": re.compile(r"[+-]?[0-9]*\.[0-9]+"),
    XSD + "double": re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+"),
}
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class InvalidIRI(ValueError):
    """A value that should be an absolute IRI and is not; the message quotes it and says why."""


def parse_iri(text: str) -> ox.NamedNode:
    """``text`` as a checked IRI: absolute (it has a scheme) and valid by RFC 3987.

    Raises
    ------
    InvalidIRI
        With the value and pyoxigraph's reason.
    """
    if not isinstance(text, str) or not _SCHEME.match(text):
        raise InvalidIRI(f"{text!r} is not an IRI: it has no scheme (such as https:)")
    try:
        return ox.NamedNode(text)
    except ValueError as error:
        raise InvalidIRI(f"{text!r} is not an IRI: {error}") from None


def term_text(term: ox.NamedNode | ox.Literal) -> str:
    r"""The SPARQL text of a pyoxigraph IRI or literal, as pyoxigraph writes it (escaped); a number
    whose lexical form is SPARQL's own short form is written that way (``2``, not ``"2"^^xsd:integer``).

    >>> term_text(ox.Literal("2", datatype=ox.NamedNode(XSD + "integer"))), term_text(ox.Literal("a\nb"))
    ('2', '"a\\nb"')
    """
    if not isinstance(term, ox.NamedNode | ox.Literal):
        raise TypeError(f"only pyoxigraph NamedNode and Literal terms are written into SPARQL, not {term!r}")
    if isinstance(term, ox.Literal):
        short = _NUMERALS.get(term.datatype.value)
        if short is not None and short.fullmatch(term.value):
            return term.value
    return str(term)


def values_block(
    variables: str | Sequence[str], rows: Iterable[ox.NamedNode | ox.Literal | Sequence[ox.NamedNode | ox.Literal]]
) -> str:
    """A SPARQL ``VALUES`` block binding ``variables`` to ``rows`` of pyoxigraph terms.

    One variable name gives ``VALUES ?v { t1 t2 }`` from single terms; several give
    ``VALUES (?a ?b) { (t1 t2) }`` from tuples.
    """
    names = [variables] if isinstance(variables, str) else list(variables)
    for name in names:
        if not _VARIABLE.match(name):
            raise ValueError(f"{name!r} is not a SPARQL variable name")
    if isinstance(variables, str):
        body = " ".join(term_text(term) for term in rows)  # type: ignore[arg-type]
        return f"VALUES ?{variables} {{ {body} }}"
    lines = []
    for row in rows:
        if isinstance(row, ox.NamedNode | ox.Literal) or len(row) != len(names):  # type: ignore[arg-type]
            raise ValueError(f"a row of VALUES ({' '.join(names)}) needs {len(names)} terms: {row!r}")
        lines.append("(" + " ".join(term_text(term) for term in row) + ")")  # type: ignore[union-attr]
    return f"VALUES ({' '.join('?' + name for name in names)}) {{ {' '.join(lines)} }}"
