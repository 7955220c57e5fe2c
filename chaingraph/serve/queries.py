"""Saved competency queries: ``ontologies/queries/NAME.rq``, runnable by name with parameters.

Each file opens with a comment header: a paragraph saying what the query answers, then one
``# Parameter ?name: ...`` line per parameter. A parameter is a one-variable ``VALUES`` block in
the query, ``VALUES ?name { UNDEF }`` by default (UNDEF leaves the variable free: the query
answers for every value). :func:`load_named_query` fills the blocks from ``name=value`` pairs::

    chaingraph query --name evidence-for-link --param subject=cip:15.0406 --param predicate=cg:teaches

A value is a concept code (``cip:15.0406``, ``onet:51-4121.06``, ``esco:skill/<uuid>``), a full
IRI (``https://...`` or ``<...>``), a prefixed name the query declares (``cg:teaches``), a
number, a plain word (a string: ``kind=curriculum``), a quoted literal (``'"welding"@en'``) or
``UNDEF``; a parameter given twice takes both values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from chaingraph.rdf.terms import XSD, InvalidIRI, parse_iri, term_text
from chaingraph.resources import ontologies_dir
from chaingraph.store import QueryError

__all__ = [
    "NamedQuery",
    "NamedQueryError",
    "queries_dir",
    "named_queries",
    "load_named_query",
    "bind_parameters",
]

_SHIPPED = Path(__file__).resolve().parents[2] / "ontologies" / "queries"
_PARAMETER_LINE = re.compile(r"^#\s*Parameter\s+\?(\w+)\s*:\s*(.*)$", re.IGNORECASE)
_PREFIX = re.compile(r"PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^<>\s]*)>", re.IGNORECASE)
_LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"(?:@([A-Za-z]+(?:-[A-Za-z0-9]+)*)|\^\^<([^<>"\s]+)>)?')
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


class NamedQueryError(QueryError):
    """An unknown saved query, an unknown parameter or a value that cannot be read."""


@dataclass(frozen=True)
class NamedQuery:
    """A saved query: its name, what it answers, its parameters and its SPARQL text."""

    name: str
    path: Path
    summary: str
    text: str
    parameters: dict[str, str] = field(default_factory=dict)


def queries_dir() -> Path:
    """The folder of saved queries: ``queries/`` in the ontologies folder, else the shipped one.

    The fallback matters when ``$CHAINGRAPH_ONTOLOGIES`` points at a folder of vocabularies only.
    """
    folder = ontologies_dir() / "queries"
    return folder if folder.is_dir() else _SHIPPED


def _read(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    summary_lines: list[str] = []
    parameters: dict[str, str] = {}
    in_summary = True
    last_parameter: str | None = None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        if match := _PARAMETER_LINE.match(line):
            last_parameter = match.group(1)
            parameters[last_parameter] = match.group(2).strip()
            in_summary = False
            continue
        content = line.lstrip("#").strip()
        if not content:
            in_summary = in_summary and not summary_lines
            last_parameter = None
        elif last_parameter is not None:  # a parameter's description goes on until a blank line
            parameters[last_parameter] += " " + content
        elif in_summary:
            summary_lines.append(content)
    return NamedQuery(path.stem, path, " ".join(summary_lines), text, parameters)


def named_queries() -> dict[str, NamedQuery]:
    """Every saved query, by name (the file name without ``.rq``)."""
    folder = queries_dir()
    return {path.stem: _read(path) for path in sorted(folder.glob("*.rq"))}


def load_named_query(name: str, params: Mapping[str, str | Sequence[str]] | Iterable[str] = ()) -> str:
    """The SPARQL text of the saved query ``name``, with its parameters filled in.

    Parameters
    ----------
    name:
        The query's file name without ``.rq`` (``skills-demanded-not-taught``).
    params:
        ``name=value`` strings (as the command line gives them) or a mapping of parameter name
        to one value or a list of values; see the module docstring for the value syntax.

    Returns
    -------
    str
        The query, ready to run.

    Raises
    ------
    NamedQueryError
        For an unknown query (the message lists the known ones), an unknown parameter (it lists
        the query's parameters) or a value that is neither a code, an IRI nor a literal.
    """
    queries = named_queries()
    query = queries.get(name.removesuffix(".rq"))
    if query is None:
        known = ", ".join(queries) or f"none: {queries_dir()} holds no .rq file"
        raise NamedQueryError(f"no saved query named {name!r}; available: {known}")
    return bind_parameters(query.text, params, query_name=query.name)


def bind_parameters(
    sparql: str, params: Mapping[str, str | Sequence[str]] | Iterable[str], *, query_name: str = "the query"
) -> str:
    """Fill the one-variable ``VALUES`` blocks of ``sparql`` named by ``params``.

    >>> q = "PREFIX ex: <http://e.org/> SELECT ?o { VALUES ?p { UNDEF } VALUES ?s { UNDEF } ?s ?p ?o }"
    >>> bound = bind_parameters(q, ["p=ex:a", "p=ex:b", "s=cip:15.0406"])
    >>> for block in re.findall(r"VALUES [^}]*}", bound):
    ...     print(block)
    VALUES ?p { <http://e.org/a> <http://e.org/b> }
    VALUES ?s { <https://w3id.org/chaingraph/id/cip/15.0406> }
    """
    values = _collect(params)
    prefixes = {match.group(1) or "": match.group(2) for match in _PREFIX.finditer(sparql)}
    for variable, raw_values in values.items():
        pattern = re.compile(r"(VALUES\s+\?" + re.escape(variable) + r"\s*\{)[^{}]*(\})", re.IGNORECASE)
        if not pattern.search(sparql):
            declared = re.findall(r"VALUES\s+\?(\w+)\s*\{", sparql, re.IGNORECASE)
            listed = ", ".join(declared) if declared else "none"
            raise NamedQueryError(f"{query_name} has no parameter {variable!r}; its parameters: {listed}")
        terms = " ".join(_term(value, prefixes, variable) for value in raw_values)
        sparql = pattern.sub(lambda m, terms=terms: f"{m.group(1)} {terms} {m.group(2)}", sparql, count=1)
    return sparql


def _collect(params: Mapping[str, str | Sequence[str]] | Iterable[str]) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    if isinstance(params, Mapping):
        for name, value in params.items():
            values.setdefault(name.lstrip("?"), []).extend([value] if isinstance(value, str) else value)
        return values
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise NamedQueryError(f"parameter {item!r} is not NAME=VALUE (e.g. subject=cip:15.0406)")
        values.setdefault(name.strip().lstrip("?"), []).append(value)
    return values


def _term(value: str, prefixes: dict[str, str], variable: str) -> str:
    """The SPARQL term for one parameter value: a checked pyoxigraph term, written by pyoxigraph."""
    from chaingraph.rdf.namespaces import UnknownConceptCode, resolve_concept

    value = value.strip()
    try:
        if value.upper() == "UNDEF":
            return "UNDEF"
        if value.startswith("<") and value.endswith(">"):
            return term_text(parse_iri(value[1:-1]))
        if value.startswith(('"', "'")):
            return term_text(_literal(value, variable))
        if _NUMBER.fullmatch(value):
            kind = "double" if "e" in value.lower() else "decimal" if "." in value else "integer"
            return term_text(ox.Literal(value, datatype=ox.NamedNode(XSD + kind)))
        prefix, sep, local = value.partition(":")
        if not sep:
            # A plain word is a string (a document kind, a label), as a user would mean it.
            return term_text(ox.Literal(value))
        if prefix in prefixes and not local.startswith("//"):
            return term_text(parse_iri(prefixes[prefix] + local))
        return term_text(parse_iri(resolve_concept(value)))
    except (InvalidIRI, UnknownConceptCode) as error:
        raise NamedQueryError(f"?{variable}: {error}") from None


def _literal(value: str, variable: str) -> ox.Literal:
    """A quoted parameter value (``'"welding"@en'``, ``'welding'``) as a literal."""
    text = '"' + value[1:-1] + '"' if value.startswith("'") and value.endswith("'") else value
    found = _LITERAL.fullmatch(text)
    if found is None:
        raise NamedQueryError(f"?{variable}: {value!r} is not a well-formed literal (e.g. '\"welding\"@en')")
    body, language, datatype = found.group(1), found.group(2), found.group(3)
    try:
        lexical = _ESCAPE.sub(_unescape, body)
    except KeyError as error:
        escape = "\\" + error.args[0]
        raise NamedQueryError(f"?{variable}: {value!r} holds the escape {escape}, which SPARQL has not") from None
    try:
        if language:
            return ox.Literal(lexical, language=language)
        return ox.Literal(lexical, datatype=parse_iri(datatype)) if datatype else ox.Literal(lexical)
    except ValueError as error:
        raise NamedQueryError(f"?{variable}: {value!r}: {error}") from None


_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(match: re.Match) -> str:
    escape = match.group(1)
    if escape[0] in "uU":
        return chr(int(escape[1:], 16))
    return _ESCAPES[escape]
