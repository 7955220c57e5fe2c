"""SPARQL strings for the fuzz suite: token soup, grammar-shaped queries over the welding store, deep
nesting, and every spelling of a call out (SERVICE, LOAD, FROM) aimed at the outbound listener.

Queries join at most two triple patterns (the welding store holds 630 quads, so no answer passes a
few hundred thousand rows): an unbounded query is not what these tests look for.
"""

from __future__ import annotations

import functools

from fuzz_support import SHORT_TEXT, SHORT_VALID_TEXT
from hypothesis import strategies as st


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


PREFIXES = (
    "PREFIX cg: <https://w3id.org/chaingraph/ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
    "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> "
)
VARIABLES = ("?s", "?p", "?o", "?x", "$y", "?label", "?g", "?_", "?ü")
IRIS = (
    "cg:teaches",
    "skos:prefLabel",
    "rdf:type",
    "<https://w3id.org/chaingraph/id/cip/48.0508>",
    "<https://w3id.org/chaingraph/id/onet/51-4121.06>",
    "<https://example.org/c/sql>",
    "<https://w3id.org/chaingraph/ontology#Mention>",
    "<urn:x>",
)
#: IRIs the parser must refuse.
BAD_IRIS = ("<>", "<#x>", "<http://exa mple.org/<bad>>", "<http://x.org/%zz>", "undefined:x", "<http://x.org/\\u0020>")
PATHS = ("a", "skos:broader*", "(cg:teaches|cg:requires)+", "^cg:teaches", "!rdf:type", "skos:prefLabel?", "cg:x/cg:y")
LITERALS = (
    '"SQL"',
    "'x'",
    '"Welders"@en',
    '"1"^^xsd:integer',
    '"x"^^xsd:integer',
    '"2020-02-30"^^xsd:date',
    '"""a\nb"""',
    "1",
    "-0",
    "1.5",
    "1e308",
    "1e309",
    "99999999999999999999999999",
    "true",
    '"\\u0000"',
    '"\\u0001\\u001f\\u007f"',
    '"\\uD800"',
    '"\\U0010FFFF"',
    '"\\U00110000"',
    '""@en-a',
    '"x"@zh-CN',
    '"\\\\"',
)
FUNCTIONS_1 = _words(
    "STR LANG DATATYPE IRI BNODE STRLEN UCASE LCASE ENCODE_FOR_URI isIRI isBLANK isLITERAL isNUMERIC ABS CEIL "
    "FLOOR ROUND YEAR MONTH TZ TIMEZONE MD5 SHA1 SHA256 SHA512 xsd:integer xsd:dateTime xsd:double xsd:boolean "
    "xsd:decimal xsd:string"
)
FUNCTIONS_2 = _words(
    "CONCAT CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER SUBSTR REGEX LANGMATCHES STRDT STRLANG sameTerm COALESCE"
)
OPERATORS = ("=", "!=", "<", ">=", "&&", "||", "+", "-", "*", "/")
REGEX_PATTERNS = ('"(a*)*b"', '"a{1000}{1000}"', '"["', '"\\\\p{L}+"', '"^$"', '"(?i)sql"')


def _literal(text: str) -> str:
    """Any text as a SPARQL string literal (every character kept, the four that must be escaped escaped)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


LITERAL = st.one_of(st.sampled_from(LITERALS), SHORT_VALID_TEXT.map(_literal))
IRI = st.sampled_from(IRIS)
TERM = st.one_of(st.sampled_from(VARIABLES), IRI, LITERAL)


def _compound(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds("({} {} {})".format, inner, st.sampled_from(OPERATORS), inner),
        st.builds("{}({})".format, st.sampled_from(FUNCTIONS_1), inner),
        st.builds("{}({}, {})".format, st.sampled_from(FUNCTIONS_2), inner, inner),
        st.builds("REGEX({}, {})".format, inner, st.sampled_from(REGEX_PATTERNS)),
        st.builds("REPLACE({}, {}, {})".format, inner, st.sampled_from(REGEX_PATTERNS), inner),
        st.builds("IF({}, {}, {})".format, inner, inner, inner),
        st.builds("({} IN ({}, {}))".format, inner, inner, inner),
        st.builds("!{}".format, inner),
        st.builds("-{}".format, inner),
    )


EXPRESSION = st.recursive(TERM, _compound, max_leaves=10)


def _triple(port: int) -> st.SearchStrategy[str]:
    subject = st.one_of(st.sampled_from(VARIABLES), IRI, st.just("[]"))
    predicate = st.one_of(st.sampled_from(VARIABLES), IRI, st.sampled_from(PATHS))
    obj = st.one_of(subject, LITERAL, st.just(f"<http://127.0.0.1:{port}/>"))
    return st.builds("{} {} {} .".format, subject, predicate, obj)


def _escaped(iri: str, chosen: list[bool]) -> str:
    """``iri`` with the characters ``chosen`` written as ``\\uXXXX`` escapes (the parser undoes them)."""
    chosen = chosen + [False] * (len(iri) - len(chosen))
    return "".join(f"\\u{ord(char):04X}" if escape else char for char, escape in zip(iri, chosen, strict=False))


def _any_case(word: str, upper: list[bool]) -> str:
    """``word`` with the letters ``upper`` in upper case, the others in lower case."""
    return "".join(char.upper() if up else char.lower() for char, up in zip(word, upper, strict=True))


@functools.cache
def endpoints(port: int) -> st.SearchStrategy[str]:
    """The listener named as an endpoint: every spelling of its address, escaped or not, and names
    that resolve to it through a ``PREFIX l:`` or ``BASE`` the query may declare, or a variable."""
    spellings = [
        f"http://127.0.0.1:{port}/",
        f"http://127.0.0.1:{port}/sparql?x=1#f",
        f"HTTP://127.0.0.1:{port}",
        f"http://127.1:{port}/",
        f"http://2130706433:{port}/",
        f"http://0x7f.0.0.1:{port}/",
        f"http://[::ffff:127.0.0.1]:{port}/",
        f"http://localhost:{port}/",
        f"http://user@127.0.0.1:{port}/",
    ]
    written = st.builds(
        lambda iri, chosen: f"<{_escaped(iri, chosen)}>",
        st.sampled_from(spellings),
        st.lists(st.sampled_from([False, False, False, True]), max_size=40),
    )
    return st.one_of(written, written, st.sampled_from(["l:x", "l:", "<x>", "<>", "?e", "$e"]))


@functools.cache
def calls_out(port: int) -> st.SearchStrategy[str]:
    """Ways to call the listener from a query: ``SERVICE`` in any case, spacing and comments, in any
    group, with any endpoint spelling, and the forms a keyword scanner may misread."""
    url = f"http://127.0.0.1:{port}/"
    space = st.sampled_from([" ", "", "\t", "\n", " # a comment } SERVICE\n", "\r\n", "  "])
    keyword = st.builds(_any_case, st.just("SERVICE"), st.lists(st.booleans(), min_size=7, max_size=7))
    silent = st.sampled_from(["", "", "SILENT", "silent"])
    call = st.builds(
        lambda a, kw, b, quiet, c, endpoint, d: f"{a}{kw}{b}{quiet}{c}{endpoint}{d}{{ ?s ?p ?o }}",
        space,
        keyword,
        space.filter(bool),
        silent,
        space,
        endpoints(port),
        space,
    )
    around = st.sampled_from(
        [
            "{}",
            "OPTIONAL {{ {} }}",
            "{{ SELECT * WHERE {{ {} }} }}",
            "FILTER EXISTS {{ {} }}",
            "FILTER NOT EXISTS {{ {} }}",
            "MINUS {{ {} }}",
            "GRAPH ?g {{ {} }}",
            "{{ }} UNION {{ {} }}",
            f"VALUES ?e {{{{ <{url}> }}}} {{}}",
            f"BIND(<{url}> AS ?e) {{}}",
        ]
    )
    misreadings = st.sampled_from(
        [
            f"?s ?p trueSERVICE<{url}>{{ }}",
            "?s ?p ?o SERVICEl:x { }",
            f"FILTER(?a<'x> ') SERVICE <{url}> {{ }} #'",
            f"?s ?p l:a.b.SERVICE<{url}>{{ }}",
            f"?s ?p 1.SERVICE<{url}>{{ }}",
            f'?s ?p """a"""SERVICE<{url}>{{ }}',
            f"?s ?p ?o .SERVICE<{url}>{{}}",
        ]
    )
    return st.one_of(st.builds(str.format, around, call), misreadings)


def _group(port: int) -> st.SearchStrategy[str]:
    """The inside of a WHERE clause: one or two triple patterns and the forms around them."""
    triple = _triple(port)
    extra = st.one_of(
        st.just(""),
        st.builds("FILTER({})".format, EXPRESSION),
        st.builds("BIND({} AS ?b)".format, EXPRESSION),
        st.builds("OPTIONAL {{ {} }}".format, triple),
        st.builds("MINUS {{ {} }}".format, triple),
        st.builds("{{ {} }} UNION {{ {} }}".format, triple, st.just("")),
        st.builds("GRAPH ?g {{ {} }}".format, triple),
        st.builds("VALUES ?x {{ {} {} }}".format, LITERAL, IRI),
        st.builds("FILTER NOT EXISTS {{ {} }}".format, triple),
        calls_out(port),
    )
    return st.builds(
        "{} {} {}".format, triple, extra, st.one_of(st.just(""), st.builds("FILTER({})".format, EXPRESSION))
    )


@functools.cache
def grammar_queries(port: int) -> st.SearchStrategy[str]:
    """Queries shaped by the SPARQL grammar, most of them valid, over the welding store."""
    group = _group(port)
    projection = st.one_of(
        st.just("*"),
        st.lists(st.sampled_from(VARIABLES), min_size=1, max_size=3, unique=True).map(" ".join),
        st.builds("({} AS ?z)".format, EXPRESSION),
        st.sampled_from(
            [
                "(COUNT(*) AS ?n)",
                '(GROUP_CONCAT(?o; separator="\\u0000") AS ?c)',
                "(SUM(?o) AS ?t) (AVG(?o) AS ?a)",
                "(SAMPLE(?s) AS ?x) (MIN(?o) AS ?m) (MAX(?o) AS ?M)",
            ]
        ),
    )
    modifiers = st.builds(
        "{} {} {}".format,
        st.sampled_from(["", "GROUP BY ?s", "ORDER BY ?o", "ORDER BY DESC(?s) ?p"]),
        st.one_of(st.just(""), st.integers(-1, 2**64).map("LIMIT {}".format)),
        st.one_of(st.just(""), st.integers(0, 1000).map("OFFSET {}".format)),
    )
    body = st.one_of(
        st.builds(
            "SELECT {} {} WHERE {{ {} }} {}".format,
            st.sampled_from(["", "DISTINCT", "REDUCED"]),
            projection,
            group,
            modifiers,
        ),
        st.builds("ASK {{ {} }}".format, group),
        st.builds("CONSTRUCT {{ ?s ?p ?o . ?s <urn:p> ?b }} WHERE {{ {} }} LIMIT 500".format, group),
        st.builds("CONSTRUCT WHERE {{ {} }}".format, _triple(port)),
        st.builds("DESCRIBE {} WHERE {{ {} }} LIMIT 5".format, st.sampled_from(["?s", "*", "?o"]), group),
        st.builds("DESCRIBE {}".format, IRI),
    )
    prologue = st.sampled_from(["", "", f"PREFIX l: <http://127.0.0.1:{port}/> ", f"BASE <http://127.0.0.1:{port}/> "])
    dataset = st.sampled_from(["", "", f"FROM <http://127.0.0.1:{port}/> ", "FROM NAMED <urn:x> "])
    return st.builds(
        lambda p, b, d: p + PREFIXES + (b.replace(" WHERE", " " + d + "WHERE", 1) if d else b), prologue, body, dataset
    )


#: Words, marks and names of the SPARQL grammar, for token soup.
TOKENS = _words(
    "SELECT ASK CONSTRUCT DESCRIBE WHERE FILTER OPTIONAL UNION MINUS GRAPH SERVICE SILENT BIND VALUES LIMIT OFFSET "
    "ORDER BY GROUP HAVING DISTINCT REDUCED AS PREFIX BASE FROM NAMED LOAD INTO INSERT DELETE DATA CLEAR DROP "
    "EXISTS NOT IN a true false UNDEF COUNT GROUP_CONCAT SUM { } ( ) [ ] . ; , * = != < > <= >= && || ! + - / ^ "
    "^^ | ? $ @ # _:b <<( )>> TRIPLE"
)


@functools.cache
def token_soup(port: int) -> st.SearchStrategy[str]:
    """Tokens of the grammar, terms and expressions, in any order."""
    token = st.one_of(st.sampled_from(TOKENS), TERM, st.sampled_from(BAD_IRIS), calls_out(port), SHORT_TEXT)
    return st.lists(token, max_size=40).map(" ".join)


@functools.cache
def deep_nesting() -> st.SearchStrategy[str]:
    """Brackets, operators and groups nested up to 16,483 deep (as many of each order of magnitude), balanced
    or not."""

    def nest(kind: str, depth: int, balanced: bool) -> str:
        opening, middle, closing = {
            "paren": ("(", "1", ")"),
            "not": ("!", "true", ""),
            "minus": ("-", "1", ""),
            "brace": ("{", "", "}"),
            "blank": ("[ <urn:p> ", "1", " ]"),
            "subquery": ("{ SELECT * WHERE ", "{}", " }"),
            "optional": ("OPTIONAL { ", "", " }"),
            "path": ("(", "<urn:p>", ")/<urn:p>"),
            "function": ("STR(", "1", ")"),
        }[kind]
        inner = opening * depth + middle + (closing * depth if balanced else "")
        if kind in ("paren", "not", "minus", "function"):
            return f"SELECT * WHERE {{ FILTER({inner}) }}"
        if kind == "blank":
            return f"SELECT * WHERE {{ ?s <urn:p> {inner} }}"
        if kind == "path":
            return f"SELECT * WHERE {{ ?s {inner} ?o }}"
        return f"SELECT * WHERE {{ {inner} }}"

    return st.builds(
        nest,
        st.sampled_from(["paren", "not", "minus", "brace", "blank", "subquery", "optional", "path", "function"]),
        st.builds(lambda power, extra: 2**power + extra, st.integers(0, 14), st.integers(0, 99)),  # log-uniform
        st.booleans(),
    )


@functools.cache
def any_query(port: int) -> st.SearchStrategy[str]:
    """Any of the above, or any text at all."""
    return st.one_of(grammar_queries(port), grammar_queries(port), token_soup(port), deep_nesting(), SHORT_TEXT)
