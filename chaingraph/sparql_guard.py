"""What a SPARQL query or update may do, checked on its text before anything evaluates it.

Two things a query can make the evaluator (pyoxigraph) do must not happen on their own:

* call out. ``SERVICE <url>`` sends an HTTP request to ``url``, and so does ``LOAD <url>`` in an
  update; on an endpoint that any web page can reach that is a request forgery. Both are refused
  unless the IRI starts with a prefix the caller allowed (``--allow-service URL-PREFIX``).
* crash. pyoxigraph parses and plans recursively, and a query nested or chained deep enough
  overflows the stack of the thread evaluating it: SIGSEGV, the whole process gone. Text longer
  than :attr:`SparqlGuard.max_length`, brackets nested deeper than :attr:`SparqlGuard.max_depth`,
  and one group holding more than :attr:`SparqlGuard.max_group` terms, operators and keywords are
  refused. ``VALUES`` and ``INSERT DATA``/``DELETE DATA`` blocks and ``IN`` lists, flat however
  long, count operators only. The defaults sit well below the first crash and far above real
  queries (measured: ``docs/sparql-guard.md``).

A refusal is a :class:`QueryRefused` naming the line and the reason.

How the text is read
--------------------
A keyword counts only where the parser can see it: not in a string, an IRI, a comment, a variable
(``?service``) or a prefixed name (``ex:SERVICE``). The lexer matches SPARQL's terminals as
Oxigraph's parser does, which differs from a plain lexer in a few places a query can exploit:

* keywords are matched without a word boundary (``SERVICEex:a { }`` calls ``ex:a``; ``true`` too:
  ``?s ?p trueSERVICE<u>{ }``), so every name-like token starting with ``SERVICE`` (or ``LOAD``)
  is taken for the keyword when an endpoint and ``{`` follow;
* ``<`` after an operand inside parentheses may be the less-than operator rather than the start of
  an IRI (``FILTER(?a<'x> ') SERVICE <u> { } #'``); a prefixed name whose IRI turns out invalid
  ends at its colon (``ex:SERVICEe:a\\#{ }``, or ``ex:SERVICEe:a{ }`` with ``ex:`` declared as
  ``<http://h:>``, whose port cannot hold letters); and Oxigraph ends a local name at its second
  run of dots (``ex:a.b.SERVICE<u>{ }``). At each such place every reading is followed, until it
  meets the first one again.

Prefixed endpoints are resolved with every ``PREFIX`` the text declares; an endpoint that is a
variable, a relative IRI or an undeclared prefix cannot be checked and is refused.

>>> guard = SparqlGuard(allow_service=("http://127.0.0.1:3030/",))
>>> guard.check_query('SELECT ?service { ?service <http://e.org/SERVICE> "SERVICE" } # SERVICE')
>>> guard.check_query("SELECT * { SERVICE <http://127.0.0.1:3030/ds> { ?s ?p ?o } }")
>>> guard.check_query("SELECT * { sErViCe <http://example.org/sparql> { ?s ?p ?o } }")
Traceback (most recent call last):
    ...
chaingraph.sparql_guard.QueryRefused: line 1: SERVICE <http://example.org/sparql> is not allowed: ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from chaingraph.store import QueryError

__all__ = ["QueryRefused", "SparqlGuard", "DEFAULT_GUARD", "service_prefix"]


class QueryRefused(QueryError):
    """A query or update the guard does not let through: it would call another server, or it is
    longer, deeper or more chained than the evaluator survives. The message says which and where."""


# ---------------------------------------------------------------------- terminals

_BASE_CHARS = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c\u200d\u2070-\u218f"
    "\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_U_CHARS = _BASE_CHARS + "_"
_NAME_CHARS = _U_CHARS + r"\-0-9\u00b7\u0300-\u036f\u203f\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PREFIX_NAME = f"[{_BASE_CHARS}](?:[{_NAME_CHARS}.]*[{_NAME_CHARS}])?"
_LOCAL_START = f"(?:[{_U_CHARS}:0-9]|{_PLX})"
_LOCAL_CHAR = f"(?:[{_NAME_CHARS}:]|{_PLX})"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_ECHAR = r"""\\[tbnrf"'\\]"""

# Oxigraph's local names take one run of dots at most (``ex:a.b.c`` ends after ``b``); the grammar's take any.
_PNAME_OXIGRAPH = re.compile(f"(?:{_PREFIX_NAME})?:(?:{_LOCAL_START}{_LOCAL_CHAR}*(?:\\.+{_LOCAL_CHAR}+)?)?")
_PNAME_GRAMMAR = re.compile(f"(?:{_PREFIX_NAME})?:(?:{_LOCAL_START}(?:(?:{_LOCAL_CHAR}|\\.)*{_LOCAL_CHAR})?)?")
_PNAME_FULL = re.compile(_PNAME_GRAMMAR.pattern + r"\Z")
_IRIREF = f'<(?:[^<>"{{}}|^`\\\\\\x00-\\x20]++|{_UCHAR})*+>'
_STRINGS = (  # in this order, as Oxigraph's String rule tries them
    f"'''(?:(?:''|')?(?:[^'\\\\]|{_ECHAR}|{_UCHAR}))*'''",
    f'"""(?:(?:""|")?(?:[^"\\\\]|{_ECHAR}|{_UCHAR}))*"""',
    f"'(?:[^'\\\\\\n\\r]|{_ECHAR}|{_UCHAR})*'",
    f'"(?:[^"\\\\\\n\\r]|{_ECHAR}|{_UCHAR})*"',
)
# One token and the space and comments before it; the group that matched names its kind. Past the
# last token, or where no terminal starts (an unterminated string), nothing matches.
_TOKEN = re.compile(
    r"(?:[ \t\r\n]+|#[^\r\n]*)*(?:"
    f"(?P<iri>{_IRIREF})"
    f"|(?P<string>{'|'.join(_STRINGS)})"
    f"|(?P<var>[?$][{_U_CHARS}0-9][{_U_CHARS}0-9\\u00b7\\u0300-\\u036f\\u203f\\u2040]*)"
    f"|(?P<bnode>_:[{_U_CHARS}0-9](?:[{_NAME_CHARS}.]*[{_NAME_CHARS}])?)"
    f"|(?P<pname>{_PNAME_OXIGRAPH.pattern})"
    "|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<number>\d+\.\d*[eE][+-]?\d+|\.\d+[eE][+-]?\d+|\d+[eE][+-]?\d+|\d*\.\d+|\d+)"
    r"|(?P<langtag>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*(?:--[a-zA-Z]+)?)"
    r"""|(?P<sign>\^\^|\|\||&&|!=|<=|>=|<<|>>|[^ \t\r\n'"])"""
    ")"
)
# A run of the data a VALUES or DATA block lists, read at once: no bracket, keyword or prefixed name in it.
_LISTED_RUN = re.compile(
    r"(?:[ \t\r\n]*(?:"
    f"{_IRIREF}|{'|'.join(_STRINGS)}"
    r"|\d+\.\d*[eE][+-]?\d+|\.\d+[eE][+-]?\d+|\d+[eE][+-]?\d+|\d*\.\d+|\d+"
    f"|[?$][{_U_CHARS}0-9][{_U_CHARS}0-9\\u00b7\\u0300-\\u036f\\u203f\\u2040]*"
    r"|@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*(?:--[a-zA-Z]+)?|\^\^|[,;.]))+"
)
_OPENING = {"(": ")", "[": "]", "{": "}", "<<": ">>"}
_CLOSING = {")", "]", "}", ">>"}
# After these the parser expects an operand, so a "<" that follows cannot be less-than.
_NOT_OPERAND = {"(", "[", "{", ",", ";", "||", "&&", "=", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "!"}
_NOT_OPERAND |= {"|", "^", "^^", "<<", "?", "~", "start"}
# Tokens a VALUES row, an IN list or a DATA block holds without limit.
_LISTED = {"iri", "pname", "var", "bnode", "string", "number", "langtag", "name", ",", ".", ";", "^^"}
_FAST_SIGNS = re.compile(r"[(\[{<]")
_SERVICE_WORD = re.compile("service", re.IGNORECASE)
_LOAD_WORD = re.compile("load", re.IGNORECASE)
_CALL_WORDS = re.compile("service|load", re.IGNORECASE)
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_RISKY_LOCAL = re.compile("[\\\\%\U00010000-\U0010ffff]")
_UCHAR_ESCAPE = re.compile(_UCHAR)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _unescape(text: str) -> str:
    """``\\uXXXX`` and ``\\UXXXXXXXX`` written out, as Oxigraph reads them in an IRI."""
    return _UCHAR_ESCAPE.sub(lambda m: chr(int(m.group(0)[2:], 16)), text)


def _starts(token: str, word: str) -> bool:
    """Whether ``token`` begins with the keyword ``word`` as the parser matches it (ASCII, any case)."""
    head = token[: len(word)]
    return head.isascii() and head.lower() == word


# ---------------------------------------------------------------------- readings


class _Frame:
    """One open bracket: its kind, whether ``<`` may be less-than in it, whether it lists data."""

    __slots__ = ("kind", "expression", "listed", "data", "count")

    def __init__(self, kind: str, expression: bool, listed: bool, data: bool, count: int = 0) -> None:
        self.kind, self.expression, self.listed, self.data, self.count = kind, expression, listed, data, count

    def copy(self) -> _Frame:
        return _Frame(self.kind, self.expression, self.listed, self.data, self.count)


class _Reading:
    """The state of one way of cutting the text into tokens."""

    __slots__ = ("pos", "stack", "prev", "pending", "last_name", "service", "prefix", "load", "counted")

    def __init__(self) -> None:
        self.pos = 0
        self.stack: list[_Frame] = []
        self.prev = "start"
        self.pending: str | None = None  # "values", "in" or "data": what the next bracket opens
        self.last_name = ""
        self.service: tuple[tuple[str, ...], ...] = ()  # the ways a SERVICE read so far may go on
        self.prefix: tuple[str, str] | None = None  # a PREFIX declaration read so far
        self.load = False  # a LOAD waiting for its IRI
        self.counted = 0  # tokens this reading counted into groups

    def fork(self) -> _Reading:
        other = _Reading()
        other.pos, other.prev, other.pending, other.last_name = self.pos, self.prev, self.pending, self.last_name
        other.stack = [frame.copy() for frame in self.stack]
        other.service, other.prefix, other.load = self.service, self.prefix, self.load
        return other

    def signature(self) -> tuple:
        """What must be equal for two readings at one position to read the rest alike."""
        kinds = tuple((f.kind, f.expression, f.listed, f.data) for f in self.stack)
        return kinds, self.prev in _NOT_OPERAND, self.pending, self.last_name, self.service, self.prefix, self.load


class _Call:
    """A SERVICE or LOAD found in the text, with its endpoint as written (IRI, prefixed name or variable)."""

    __slots__ = ("keyword", "kind", "text", "pos")

    def __init__(self, keyword: str, kind: str, text: str, pos: int) -> None:
        self.keyword, self.kind, self.text, self.pos = keyword, kind, text, pos


class _Scan:
    """Every reading of one text: the calls they make, the prefixes they declare, their depth and width."""

    def __init__(self, text: str, guard: SparqlGuard, update: bool) -> None:
        self.text, self.guard, self.update = text, guard, update
        self.calls: list[_Call] = []
        self.prefixes: dict[str, set[str]] = {}
        self.forks: list[_Reading] = []
        self.first = True  # the first reading (IRIs before less-than, Oxigraph's local names) is running
        self.signatures: dict[int, tuple] = {}  # the first reading's, from its first fork on
        self.seen: set[tuple[int, tuple]] = set()
        self.tokens = 0
        self.widest = 0  # the most tokens the first reading counted in one group
        self.extra = 0  # tokens the other readings counted before they met the first one again

    def refuse(self, pos: int, message: str) -> QueryRefused:
        line = self.text.count("\n", 0, pos) + 1
        return QueryRefused(f"line {line}: {message}")

    def run(self) -> None:
        self._follow(_Reading())
        self.first = False
        budget = 4 * self.tokens + 256
        while self.forks:
            reading = self.forks.pop()
            key = (reading.pos, reading.signature())
            if key in self.seen:
                continue
            self.seen.add(key)
            self._follow(reading)
            if self.tokens > budget:
                raise self.refuse(reading.pos, "too many ways to read this text to check it; put spaces around '<'")
        if self.extra and self.widest + self.extra > self.guard.max_group:
            raise self.refuse(0, self._group_message())

    def _group_message(self) -> str:
        return (
            f"a group holds more than {self.guard.max_group:,} terms, operators and keywords, more than the "
            "evaluator survives; split it, or list the values in VALUES"
        )

    # ------------------------------------------------------------------ one reading

    def _follow(self, r: _Reading) -> None:
        text = self.text
        while True:
            top = r.stack[-1] if r.stack else None
            if top is not None and top.listed and not top.expression and self.first and not self.forks:
                run = None if r.service or r.load or r.prefix else _LISTED_RUN.match(text, r.pos)
                if run:  # plain data: nothing in it to count, follow or fork on
                    r.pos, r.prev, r.last_name = run.end(), "iri", ""
            found = _TOKEN.match(text, r.pos)
            if found is None:
                return  # the end, or no terminal starts here: then the parser stops too
            kind = found.lastgroup
            r.pos = found.start(kind)
            if self.first:
                if self.forks:
                    self.signatures[r.pos] = r.signature()
            elif self.signatures.get(r.pos) == r.signature():
                self.extra += r.counted
                return  # from here on it reads as the first reading did
            self.tokens += 1
            self._step(r, kind, found.group(kind), found.end())

    def _step(self, r: _Reading, kind: str, token: str, end: int) -> None:
        """Read one token, and set aside the other readings the parser may take here."""
        pos, text = r.pos, self.text
        if token[0] == "<" and kind in ("iri", "sign"):
            top = r.stack[-1] if r.stack else None
            if top is not None and top.expression and r.prev not in _NOT_OPERAND:
                # After an operand inside parentheses the parser may take "<" for less-than.
                if kind == "iri":
                    self._fork(r, "<", "<", pos + 1)
                    if text.startswith(("<<", "<="), pos):
                        self._fork(r, text[pos : pos + 2], text[pos : pos + 2], pos + 2)
                elif token != "<":
                    self._fork(r, "<", "<", pos + 1)
        elif kind == "pname":
            colon = token.index(":")
            if text.startswith(".", end):  # a parser of the grammar takes in a second run of dots
                longer = _PNAME_GRAMMAR.match(text, pos)
                if longer.end() > end:
                    self._fork(r, "pname", longer.group(0), longer.end())
            local = token[colon + 1 :]
            if local and (_RISKY_LOCAL.search(local) or _CALL_WORDS.search(local)):
                # When prefix and local name make no valid IRI (<http://h:> and "SERVICEe:a": a port
                # of letters), the parser takes the name to end at ":" and reads on from there.
                self._fork(r, "pname", token[: colon + 1], pos + colon + 1)
        elif token == ">>" and (not r.stack or r.stack[-1].kind != "<<"):
            token, end = ">", pos + 1  # greater-than; the next ">" is a token of its own
        self._token(r, token if kind == "sign" else kind, token, end)

    def _fork(self, r: _Reading, kind: str, token: str, end: int) -> None:
        """Follow later the reading in which the token at ``r.pos`` is ``token``, ending at ``end``."""
        other = r.fork()
        self._token(other, kind, token, end)
        self.forks.append(other)

    # ------------------------------------------------------------------ what a token does

    def _token(self, r: _Reading, kind: str, token: str, end: int) -> None:
        """Take ``token`` (of ``kind``, ending at ``end``) into reading ``r``."""
        pos, r.pos = r.pos, end
        self._calls(r, kind, token, pos)
        if kind in _CLOSING:
            if r.stack:
                r.stack.pop()
            if not (kind == ")" and r.pending == "values"):
                r.pending = None
            r.last_name = ""
        else:
            self._count(r, kind, pos)
            if kind in _OPENING:
                self._open(r, kind, pos)
            else:
                self._pending(r, kind, token)
        r.prev = kind

    def _count(self, r: _Reading, kind: str, pos: int) -> None:
        if not r.stack:
            return  # the clauses around the groups (SELECT ?a ?b, ORDER BY ...) are read flat
        frame = r.stack[-1]
        if frame.listed and (kind in _LISTED or kind in _OPENING):
            return
        frame.count += 1
        r.counted += 1
        if self.first:
            self.widest = max(self.widest, frame.count)
        if frame.count > self.guard.max_group:
            raise self.refuse(pos, self._group_message())

    def _open(self, r: _Reading, kind: str, pos: int) -> None:
        parent = r.stack[-1] if r.stack else None
        data = parent is not None and parent.data
        if r.pending == "values" and kind in ("(", "{"):
            frame = _Frame(kind, False, True, True)  # the variables or the block of a VALUES
            if kind == "{":
                r.pending = None
        elif kind == "{" and (r.pending == "data" or data):
            frame = _Frame(kind, False, True, True)  # INSERT DATA / DELETE DATA, the GRAPH blocks in them
            r.pending = None
        elif kind == "(" and r.pending == "in":
            frame = _Frame(kind, True, True, False)  # IN (...): a list of expressions
            r.pending = None
        else:
            frame = _Frame(kind, kind == "(" and not data, False, data)
            r.pending = None
        r.last_name = ""
        r.stack.append(frame)
        if len(r.stack) > self.guard.max_depth:
            raise self.refuse(
                pos, f"brackets nested more than {self.guard.max_depth} deep, more than the evaluator survives"
            )

    def _pending(self, r: _Reading, kind: str, token: str) -> None:
        """Keywords that decide what the next bracket opens."""
        word = token.lower() if kind == "name" and token.isascii() else ""
        if word == "values":
            r.pending = "values"
        elif word == "in":
            r.pending = "in"
        elif word in ("insertdata", "deletedata") or (word == "data" and r.last_name in ("insert", "delete")):
            r.pending = "data"
        elif not (r.pending == "values" and kind == "var"):
            r.pending = None
        r.last_name = word

    # ------------------------------------------------------------------ SERVICE, LOAD, PREFIX

    def _calls(self, r: _Reading, kind: str, token: str, pos: int) -> None:
        """Follow SERVICE, LOAD and PREFIX through the tokens after them."""
        if r.service:
            ways: list[tuple[str, ...]] = []
            for way in r.service:
                if way[0] == "awaiting":
                    ways += [("endpoint", *endpoint) for endpoint in _endpoints(kind, token)]
                    if kind in ("name", "pname") and _starts(token, "silent"):
                        ways.append(("endpoint", "pname", token[6:]) if token[6:] else ("awaiting",))
                elif kind == "{":
                    self.calls.append(_Call("SERVICE", way[1], way[2], pos))
            r.service = tuple(ways)
        if r.load:
            r.load = False
            self.calls += [_Call("LOAD", *endpoint, pos) for endpoint in _endpoints(kind, token)]
            if kind in ("name", "pname") and _starts(token, "silent"):
                if token[6:]:
                    self.calls.append(_Call("LOAD", "pname", token[6:], pos))
                else:
                    r.load = True
        if r.prefix is not None:
            step, name = r.prefix
            r.prefix = None
            if step == "name" and kind == "pname" and token.endswith(":"):
                r.prefix = ("iri", token[:-1])
            elif step == "iri" and kind == "iri":
                self.prefixes.setdefault(name, set()).add(_unescape(token[1:-1]))
        if kind not in ("name", "pname"):
            return
        for boolean in ("true", "false"):  # the parser ends a boolean where it likes: trueSERVICE
            if token.startswith(boolean) and _starts(token[len(boolean) :], "service"):
                token = token[len(boolean) :]
        if _starts(token, "service"):
            rests = [token[7:]]
            if _starts(token[7:], "silent"):
                rests.append(token[13:])
            ways = list(r.service)
            for rest in rests:
                if not rest:
                    ways.append(("awaiting",))
                elif _PNAME_FULL.match(rest):
                    ways.append(("endpoint", "pname", rest))
            r.service = tuple(ways)
        if self.update and not r.stack and _starts(token, "load"):
            rests = [token[4:]] + ([token[10:]] if _starts(token[4:], "silent") else [])
            for rest in rests:
                if not rest:
                    r.load = True
                elif _PNAME_FULL.match(rest):
                    self.calls.append(_Call("LOAD", "glued", rest, pos))
        if _starts(token, "prefix"):
            rest = token[6:]
            if not rest:
                r.prefix = ("name", "")
            elif rest.endswith(":") and _PNAME_FULL.match(rest):
                r.prefix = ("iri", rest[:-1])


def _endpoints(kind: str, token: str) -> list[tuple[str, str]]:
    """The endpoint a token names, if it can name one."""
    return [(kind, token)] if kind in ("iri", "var", "pname") else []


# ---------------------------------------------------------------------- the guard


def service_prefix(text: str) -> str:
    """``text`` checked as an allowed SERVICE prefix: an absolute http(s) URL with a host.

    Raises
    ------
    ValueError
        Naming the value and what it should look like.
    """
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c in text for c in ' <>"{}|\\^`'):
        raise ValueError(f"--allow-service {text!r}: give an http(s) URL prefix such as http://127.0.0.1:3030/")
    return text


@dataclass(frozen=True)
class SparqlGuard:
    """What queries and updates may do; :meth:`check_query` and :meth:`check_update` raise
    :class:`QueryRefused` for anything else.

    Parameters
    ----------
    allow_service:
        URL prefixes that SERVICE (and LOAD, in updates) may call, e.g. ``("http://127.0.0.1:3030/",)``;
        a prefix that ends at the host or port allows that host and port only. Default: none.
    max_length:
        Characters of text; default 1,000,000.
    max_depth:
        Brackets (``( [ { <<``) open inside one another; default 128.
    max_group:
        Terms, operators and keywords inside one bracket (``VALUES``, ``IN`` and data blocks count
        their operators only); default 2,000.
    """

    allow_service: tuple[str, ...] = ()
    max_length: int = 1_000_000
    max_depth: int = 128
    max_group: int = 2000
    _prefixes: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        given = (self.allow_service,) if isinstance(self.allow_service, str) else tuple(self.allow_service)
        allowed = tuple(service_prefix(prefix) for prefix in given)
        object.__setattr__(self, "allow_service", allowed)
        # A prefix that ends at the port must not let "http://host:80@elsewhere/" or "http://host:8080/" through.
        object.__setattr__(self, "_prefixes", tuple(p if urlsplit(p).path else p + "/" for p in allowed))

    def allows(self, iri: str) -> bool:
        """Whether SERVICE or LOAD may call ``iri``."""
        return any(iri.startswith(prefix) or iri + "/" == prefix for prefix in self._prefixes)

    def check_query(self, sparql: str) -> None:
        """Refuse (:class:`QueryRefused`) a query that would call out or that the evaluator would not survive."""
        self._check(sparql, update=False)

    def check_update(self, sparql: str) -> None:
        """The same for an update, in which LOAD calls out too."""
        self._check(sparql, update=True)

    def _check(self, text: str, *, update: bool) -> None:
        what = "update" if update else "query"
        if len(text) > self.max_length:
            raise QueryRefused(f"the {what} is {len(text):,} characters long; the limit is {self.max_length:,}")
        surrogate = _SURROGATE.search(text)
        if surrogate:  # what undecodable bytes become; no character, and the evaluator cannot take it
            line = text.count("\n", 0, surrogate.start()) + 1
            raise QueryRefused(f"line {line}: the {what} holds U+{ord(surrogate.group()):04X}, which is no character")
        calls = _SERVICE_WORD.search(text) or (update and _LOAD_WORD.search(text))
        if not calls and len(_FAST_SIGNS.findall(text)) <= self.max_depth:
            tokens_at_most = len(text) - sum(text.count(space) for space in " \t\r\n")
            if tokens_at_most <= self.max_group:
                return  # nothing that calls out, too little to nest or chain too far
        scan = _Scan(text, self, update)
        scan.run()
        for call in scan.calls:
            self._check_call(scan, call)

    def _check_call(self, scan: _Scan, call: _Call) -> None:
        named = f"{call.keyword} {call.text}"
        if call.kind == "var":
            raise scan.refuse(call.pos, f"{named}: an endpoint held in a variable cannot be checked")
        if call.kind == "iri":
            candidates = [_unescape(call.text[1:-1])]
        else:
            prefix, _, local = call.text.partition(":")
            declared = scan.prefixes.get(prefix)
            if not declared:
                if call.kind == "glued":
                    return  # a name that starts with LOAD and no declared prefix: no LOAD the parser reads
                raise scan.refuse(call.pos, f"{named}: its prefix is not declared in the text, so it cannot be checked")
            local = re.sub(r"\\(.)", r"\1", local)
            candidates = [base + local for base in sorted(declared)]
        for iri in candidates:
            if not _ABSOLUTE.match(iri):
                raise scan.refuse(call.pos, f"{named}: a relative IRI cannot be checked; write it in full")
            if not self.allows(iri):
                raise scan.refuse(
                    call.pos,
                    f"{call.keyword} <{iri}> is not allowed: chaingraph calls no other server unless it is "
                    "started with --allow-service URL-PREFIX (allow_service= from Python)",
                )


#: The guard stores use unless given another: no call out, the default limits.
DEFAULT_GUARD = SparqlGuard()
