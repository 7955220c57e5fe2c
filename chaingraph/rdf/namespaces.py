"""IRIs of the chaingraph ontology, its identifiers and the vocabularies it reuses.

Concepts reuse published IRIs where they exist (ESCO, ISCO via ESCO); codes without a
published IRI are minted under ``https://w3id.org/chaingraph/id/<scheme>/<code>`` so that the
IRI ends with the code and the code can be read back from it.
"""

from __future__ import annotations

import re
from urllib.parse import quote

__all__ = [
    "CG",
    "CG_ID",
    "CG_GRAPH",
    "SKOS",
    "PROV",
    "DCTERMS",
    "RDF",
    "RDFS",
    "OWL",
    "XSD",
    "ESCO",
    "CLASSES",
    "CHAINS",
    "CHAIN_OF_CLASS",
    "SCHEMES",
    "concept_iri",
    "scheme_iri",
    "vocab_graph_iri",
    "document_iri",
    "document_graph_iri",
    "slug",
    "resolve_concept",
    "UnknownConceptCode",
]

CG = "https://w3id.org/chaingraph/ontology#"
CG_ID = "https://w3id.org/chaingraph/id/"
CG_GRAPH = "https://w3id.org/chaingraph/graph/"

SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
ESCO = "http://data.europa.eu/esco/"

#: The six concept classes, in the order the linker prefers them when a label is ambiguous.
CLASSES = ("Skill", "Technology", "Occupation", "Programme", "Course", "Industry")

#: The four chains and the classes that belong to each.
CHAINS = {
    "education": ("Programme", "Course"),
    "talent": ("Occupation", "Skill"),
    "industry": ("Industry",),
    "innovation": ("Technology",),
}
CHAIN_OF_CLASS = {cls: chain for chain, classes in CHAINS.items() for cls in classes}

#: Vocabulary schemes: prefix -> (scheme IRI, namespace under which its concepts live).
#: ESCO and ISCO reuse the IRIs the European Commission publishes.
SCHEMES: dict[str, tuple[str, str]] = {
    "esco": ("http://data.europa.eu/esco/concept-scheme/esco", ESCO),
    "isco": ("http://data.europa.eu/esco/concept-scheme/isco", ESCO + "isco/C"),
    "onet": (CG_ID + "scheme/onet", CG_ID + "onet/"),
    "onet-tech": (CG_ID + "scheme/onet-tech", CG_ID + "onet-tech/"),
    "unspsc": (CG_ID + "scheme/unspsc", CG_ID + "unspsc/"),
    "cip": (CG_ID + "scheme/cip", CG_ID + "cip/"),
    "soc": (CG_ID + "scheme/soc", CG_ID + "soc/"),
    "cnmajor": (CG_ID + "scheme/cnmajor", CG_ID + "cnmajor/"),
    "gbt4754": (CG_ID + "scheme/gbt4754", CG_ID + "gbt4754/"),
    "cg": (CG_ID + "scheme/cg", CG_ID + "cg/"),
}

_SLUG_DROP = re.compile(r"[^0-9a-z]+")


def slug(text: str) -> str:
    """A lowercase ASCII slug of ``text`` for minting IRIs from names (``"C++"`` -> ``"c-plus-plus"``)."""
    text = text.lower().replace("++", "-plus-plus").replace("#", "-sharp").replace("+", "-plus")
    text = _SLUG_DROP.sub("-", text).strip("-")
    return text or "x"


def scheme_iri(prefix: str) -> str:
    """The IRI of the concept scheme with the given prefix (``cip`` -> its scheme IRI)."""
    return SCHEMES[prefix][0]


def vocab_graph_iri(name: str) -> str:
    """The named graph holding one imported vocabulary in the store."""
    return f"{CG_GRAPH}vocab/{name}"


def concept_iri(prefix: str, code: str) -> str:
    """The IRI of the concept with ``code`` in the scheme ``prefix``.

    The code is percent-encoded where it holds characters an IRI cannot carry, so a hostile
    code never breaks a serialisation; ordinary codes (``15.0613``, ``17-2112.00``) stay readable.
    """
    if prefix not in SCHEMES:
        raise UnknownConceptCode(f"unknown scheme prefix {prefix!r}; known: {', '.join(sorted(SCHEMES))}")
    namespace = SCHEMES[prefix][1]
    return namespace + quote(code.strip(), safe="-._~/")


def document_iri(content_hash: str) -> str:
    """A document's IRI, derived from its content hash so that a rebuild mints the same one."""
    return f"{CG_ID}doc/{content_hash}"


def document_graph_iri(content_hash: str) -> str:
    """The named graph holding one document's mentions, relations and provenance."""
    return f"{CG_GRAPH}doc/{content_hash}"


class UnknownConceptCode(ValueError):
    """A concept reference (code or IRI) that names no known scheme."""


_CODE_PATTERNS = {
    "cip": re.compile(r"^\d{2}(\.\d{2}(\d{2})?)?$"),
    "soc": re.compile(r"^\d{2}-\d{4}$"),
    "onet": re.compile(r"^\d{2}-\d{4}\.\d{2}$"),
    "isco": re.compile(r"^\d{1,4}$"),
}


def resolve_concept(reference: str) -> str:
    """The concept IRI a user means by ``reference``.

    Accepts ``cip:15.0613``, ``soc:17-2112`` (the O*NET occupation ``17-2112.00``),
    ``onet:17-2112.00``, ``isco:7212``, ``esco:skill/<uuid>``, any other ``prefix:code`` whose
    prefix is a known scheme, or a full ``http(s)://`` IRI (returned as it is). The result is
    checked as an IRI (:func:`chaingraph.rdf.terms.parse_iri`), so that what a manifest or a
    command line names can never become anything else in a query or a graph.

    >>> resolve_concept("cip:15.0613")
    'https://w3id.org/chaingraph/id/cip/15.0613'
    >>> resolve_concept("soc:17-2112")
    'https://w3id.org/chaingraph/id/onet/17-2112.00'
    >>> resolve_concept("isco:7212")
    'http://data.europa.eu/esco/isco/C7212'
    >>> resolve_concept("http://exa mple.org/<bad>")
    Traceback (most recent call last):
        ...
    chaingraph.rdf.namespaces.UnknownConceptCode: 'http://exa mple.org/<bad>' is not an IRI: Invalid IRI code point ' '
    """
    iri = _resolve(reference.strip())
    from chaingraph.rdf.terms import InvalidIRI, parse_iri

    try:
        parse_iri(iri)
    except InvalidIRI as error:
        raise UnknownConceptCode(str(error)) from None
    return iri


def _resolve(reference: str) -> str:
    if reference.startswith(("http://", "https://")):
        return reference
    if ":" not in reference:
        raise UnknownConceptCode(f"{reference!r} is neither a full IRI nor prefix:code (e.g. cip:15.0613)")
    prefix, code = reference.split(":", 1)
    prefix = prefix.lower().strip()
    code = code.strip()
    pattern = _CODE_PATTERNS.get(prefix)
    if pattern is not None and not pattern.match(code):
        raise UnknownConceptCode(f"{reference!r}: {code!r} is not a valid {prefix} code")
    if prefix == "soc":
        # SOC 2018 detailed occupations are O*NET-SOC codes ending in .00.
        return concept_iri("onet", code + ".00")
    if prefix == "esco":
        return ESCO + code.lstrip("/")
    return concept_iri(prefix, code)
