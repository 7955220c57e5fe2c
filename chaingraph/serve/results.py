"""SPARQL results documents (JSON, XML, CSV, TSV): counting the solutions of one, writing one from rows.

The evaluation (:mod:`chaingraph.serve.answers`) lets pyoxigraph write a whole answer (several
times faster than Python) and checks afterwards, with :func:`holds_more_than`, that it is within
the row limit. pyoxigraph
serialises a whole :class:`pyoxigraph.QuerySolutions` iterator, though, and offers no way to
stop after *n* rows or to rebuild the iterator from rows already read; so for the first rows of
a longer answer (``truncate=true``) it reads ``max_rows + 1`` rows and writes them with
the functions here, which follow the W3C formats term by term (including RDF 1.2 triple terms
and directional language tags, as pyoxigraph does).

This module needs only the standard library and pyoxigraph.

>>> import pyoxigraph as ox
>>> rows = list(ox.Store().query('SELECT ?x WHERE { VALUES ?x { "a"@en 1 } }'))
>>> write_solutions("csv", ["x"], rows)
b'x\\r\\na\\r\\n1\\r\\n'
>>> write_solutions("tsv", ["x"], rows)
b'?x\\n"a"@en\\n1\\n'
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from json.encoder import encode_basestring as _json_string  # a JSON string, non-ASCII kept as is
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

__all__ = [
    "SOLUTION_FORMATS",
    "OXIGRAPH_FORMATS",
    "write_solutions",
    "write_boolean",
    "holds_more_than",
    "xml_safe",
]

_XSD = "http://www.w3.org/2001/XMLSchema#"
_XSD_STRING = _XSD + "string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_RDF_DIR_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#dirLangString"
_ITS = "http://www.w3.org/2005/11/its"

# TSV may write numbers and booleans bare, as SPARQL does; only forms SPARQL reads back the same.
_BARE_TSV = {
    _XSD + "integer": re.compile(r"[+-]?\d+"),
    _XSD + "decimal": re.compile(r"[+-]?\d*\.\d+"),
    _XSD + "double": re.compile(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+"),
    _XSD + "boolean": re.compile(r"true|false"),
}

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

# A TSV literal is a Turtle string: its separators (tab, line breaks), quote and backslash escaped,
# the rest as it is, as pyoxigraph writes it (``\u0007`` is Turtle too, but rdflib's TSV reader
# does not read it).
_TSV_ESCAPES = str.maketrans({"\t": "\\t", "\n": "\\n", "\r": "\\r", '"': '\\"', "\\": "\\\\"})

# What XML 1.0 cannot carry, not even as a character reference: the C0 controls but tab, line feed
# and carriage return, and U+FFFE, U+FFFF (UTF-8 EF BF BE/BF; no surrogate reaches here: RDF text is
# Unicode scalar values). A raw carriage return is allowed but read back as a line feed.
_NOT_XML = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")
_XML_SUSPECT_BYTES = bytes([*range(0x09), 0x0B, 0x0C, 0x0D, *range(0x0E, 0x20)])
_REPLACEMENT = "\ufffd".encode()


# ---------------------------------------------------------------------- JSON


def _json_term(term: Term) -> str:
    """One term as its JSON object, written directly: ~2.5 times faster than building dicts for
    :func:`json.dumps`, which matters at a few hundred terms per answer."""
    kind = type(term)
    if kind is ox.NamedNode:
        return '{"type":"uri","value":' + _json_string(term.value) + "}"
    if kind is ox.Literal:
        value = '{"type":"literal","value":' + _json_string(term.value)
        language = term.language
        if language:
            value += ',"xml:lang":' + _json_string(language)
            if term.direction is not None:
                value += ',"its:dir":' + _json_string(str(term.direction))
            return value + "}"
        datatype = term.datatype.value
        if datatype != _XSD_STRING:
            return value + ',"datatype":' + _json_string(datatype) + "}"
        return value + "}"
    if kind is ox.BlankNode:
        return '{"type":"bnode","value":' + _json_string(term.value) + "}"
    return (
        '{"type":"triple","value":{"subject":'
        + _json_term(term.subject)
        + ',"predicate":'
        + _json_term(term.predicate)
        + ',"object":'
        + _json_term(term.object)
        + "}}"
    )


def _json(variables: Sequence[str], rows: Sequence[ox.QuerySolution]) -> bytes:
    keys = [_json_string(name) + ":" for name in variables]
    bindings = []
    for row in rows:
        # A row iterates over its values in the order of the variables, unbound ones as None.
        bound = [key + _json_term(term) for key, term in zip(keys, row, strict=True) if term is not None]
        bindings.append("{" + ",".join(bound) + "}")
    head = '{"head":{"vars":[' + ",".join(_json_string(name) for name in variables) + ']},"results":{"bindings":['
    return (head + ",".join(bindings) + "]}}").encode("utf-8")


# ---------------------------------------------------------------------- XML


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Triple):
        return (
            f"<triple><subject>{_xml_term(term.subject)}</subject>"
            f"<predicate>{_xml_term(term.predicate)}</predicate>"
            f"<object>{_xml_term(term.object)}</object></triple>"
        )
    if term.language:
        attributes = f" xml:lang={quoteattr(term.language)}"
        if term.direction is not None:
            attributes += f' its:dir="{term.direction}" xmlns:its="{_ITS}" its:version="2.0"'
    elif term.datatype.value != _XSD_STRING:
        attributes = f" datatype={quoteattr(term.datatype.value)}"
    else:
        attributes = ""
    return f"<literal{attributes}>{escape(term.value)}</literal>"


def xml_safe(document: bytes) -> bytes:
    """An XML document (UTF-8) made well-formed whatever its literals hold.

    pyoxigraph (and :func:`xml.sax.saxutils.escape`) escape the markup in a literal's text, not the
    rest, so a literal holding a control character made an answer no XML parser reads. Each
    character XML 1.0 forbids becomes U+FFFD (the replacement character: the answer says something
    was there; JSON and the RDF syntaxes carry it exactly), and a raw carriage return becomes
    ``&#13;``, so that it is read back as itself. Only literal text can hold either (IRIs, language
    tags and blank node names cannot), so the document is mended byte by byte; one that needs
    nothing (nearly all) is returned as it is.

    >>> xml_safe(b"<literal>tab\\t, bell \\x07, CR \\r</literal>")
    b'<literal>tab\\t, bell \\xef\\xbf\\xbd, CR &#13;</literal>'
    """
    if (
        len(document.translate(None, _XML_SUSPECT_BYTES)) == len(document)
        and b"\xef\xbf\xbe" not in document
        and b"\xef\xbf\xbf" not in document
    ):
        return document
    return _NOT_XML.sub(_REPLACEMENT, document).replace(b"\r", b"&#13;")


def _xml(variables: Sequence[str], rows: Sequence[ox.QuerySolution]) -> bytes:
    parts = ['<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
    parts.extend(f"<variable name={quoteattr(name)}/>" for name in variables)
    parts.append("</head><results>")
    for row in rows:
        parts.append("<result>")
        for name in variables:
            term = row[name]
            if term is not None:
                parts.append(f"<binding name={quoteattr(name)}>{_xml_term(term)}</binding>")
        parts.append("</result>")
    parts.append("</results></sparql>")
    return xml_safe("".join(parts).encode("utf-8"))


# ---------------------------------------------------------------------- CSV and TSV


def _csv_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        text = "_:" + term.value
    elif isinstance(term, ox.Triple):
        text = " ".join(_csv_value(part) for part in (term.subject, term.predicate, term.object))
    else:
        text = term.value
    # RFC 4180: quote a field holding a separator, a quote or a line break; double inner quotes.
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv(variables: Sequence[str], rows: Sequence[ox.QuerySolution]) -> bytes:
    lines = [",".join(variables)]
    lines.extend(",".join(_csv_value(row[name]) for name in variables) for row in rows)
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _tsv_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Triple):
        parts = (term.subject, term.predicate, term.object)
        return "<<( " + " ".join(_tsv_value(part) for part in parts) + " )>>"
    if not isinstance(term, ox.Literal):
        return str(term)  # an IRI or a blank node, in N-Triples syntax
    text = '"' + term.value.translate(_TSV_ESCAPES) + '"'
    if term.language:
        direction = f"--{term.direction}" if term.direction is not None else ""
        return f"{text}@{term.language}{direction}"
    datatype = term.datatype.value
    bare = _BARE_TSV.get(datatype)
    if bare is not None and bare.fullmatch(term.value):
        return term.value
    return text if datatype == _XSD_STRING else f"{text}^^<{datatype}>"


def _tsv(variables: Sequence[str], rows: Sequence[ox.QuerySolution]) -> bytes:
    lines = ["\t".join("?" + name for name in variables)]
    lines.extend("\t".join(_tsv_value(row[name]) for name in variables) for row in rows)
    return ("\n".join(lines) + "\n").encode("utf-8")


#: Result format name -> writer of a solutions document.
SOLUTION_FORMATS: dict[str, Callable[[Sequence[str], Sequence[ox.QuerySolution]], bytes]] = {
    "json": _json,
    "xml": _xml,
    "csv": _csv,
    "tsv": _tsv,
}

#: Result format name -> pyoxigraph's writer of it.
OXIGRAPH_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


def write_solutions(fmt: str, variables: Sequence[str], rows: Sequence[ox.QuerySolution]) -> bytes:
    """A SPARQL results document holding ``rows``.

    Parameters
    ----------
    fmt:
        ``json``, ``xml``, ``csv`` or ``tsv``.
    variables:
        The projected variable names, in order (without ``?``).
    rows:
        The solutions to write.

    Returns
    -------
    bytes
        The document, UTF-8.
    """
    return SOLUTION_FORMATS[fmt](variables, rows)


def write_boolean(fmt: str, answer: ox.QueryBoolean) -> bytes:
    """The results document of an ``ASK`` query in format ``fmt`` (pyoxigraph writes these)."""
    return answer.serialize(format=OXIGRAPH_FORMATS[fmt])


def holds_more_than(fmt: str, document: bytes, limit: int) -> bool:
    """Whether a solutions document in format ``fmt`` holds more than ``limit`` solutions.

    Cheap for the usual answer: a document too short to hold more (every JSON solution takes at
    least three bytes, ``{},``; every CSV one two, its line break) is not read at all; XML and
    TSV solutions are counted by their one marker each (``<result>``; a line, TSV escaping line
    breaks inside terms), only longer JSON and CSV documents are parsed.

    >>> holds_more_than("json", b'{"head":{"vars":[]},"results":{"bindings":[{},{}]}}', 1)
    True
    >>> holds_more_than("tsv", b"?x\\n1\\n2\\n", 2)
    False
    """
    if fmt == "xml":
        return document.count(b"<result>") > limit
    if fmt == "tsv":
        return document.count(b"\n") - 1 > limit
    if len(document) <= (3 if fmt == "json" else 2) * limit:
        return False
    if fmt == "json":
        return len(json.loads(document)["results"]["bindings"]) > limit
    lines = csv.reader(io.StringIO(document.decode("utf-8"), newline=""))
    return sum(1 for _ in lines) - 1 > limit
