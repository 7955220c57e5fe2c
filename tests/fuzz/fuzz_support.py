"""What the fuzz suite shares: its Hypothesis settings, the hostile inputs it draws (text, file names
and contents, manifest values, SPARQL), and a listener on 127.0.0.1 that counts outbound calls."""

from __future__ import annotations

import contextlib
import functools
import io
import os
import re
import socket
import threading

import docx
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

#: ``CHAINGRAPH_FUZZ_SCALE=N`` runs N times the examples, drawn afresh on every run (a longer hunt on
#: a developer's machine); unset, every run draws the same examples, so CI is reproducible.
SCALE = float(os.environ.get("CHAINGRAPH_FUZZ_SCALE", "1"))

#: Every fuzz test: reproducible in CI (the same examples on every run, nothing kept between runs),
#: no per-example deadline (the machine is shared), and the number of examples set per test.
FUZZ = settings(
    deadline=None,
    derandomize=SCALE == 1,
    database=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
)


def fuzz(max_examples: int, *, shrink: bool = True) -> settings:
    """The suite's settings with ``max_examples`` examples; ``shrink=False`` for tests whose examples
    take seconds (a build, a server request), which report the failing example as found."""
    phases = tuple(settings.default.phases) if shrink else (Phase.explicit, Phase.generate)
    return settings(FUZZ, max_examples=max(1, round(max_examples * SCALE)), phases=phases)


def encodable(text: str) -> bool:
    """Whether ``text`` can be written out as UTF-8 (it holds no lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# ---------------------------------------------------------------------- text

#: Labels of the shipped vocabularies and words the linker's context rules look at, so that generated
#: text holds mentions (and near misses) among the noise.
LABELS = (
    "SQL",
    "Tableau",
    "programmable logic controller",
    "PLCs",
    "IT",
    "Python",
    "C++",
    "welding",
    "Welders",
    "Welding Technology",
    "research and development",
    "National Center for Education Statistics",
    "工业机器人技术专业",
    "数控加工",
    "工业互联网",
    "人工智能",
    "焊接",
    "农业科学技术",
    "研究开发经费",
    "使用工具",
    'use "quoted" <tools>',
)
SEPARATORS = (" ", "\n", "\n\n", "\t", "\r\n", "\r", "\u00a0", "\u3000", "\u2028", "\u0085", ".", "。", "，", ",", ";")
SEPARATORS += ("(", ")", "-", "'s", "’", "/", "#", "*", "<", ">", "&", '"', "\\", "\ufeff", "\u200b", "\u200d")
BIDI = ("\u202e", "\u202b", "\u200f", "\u2066", "\u2069", "\u061c")

_CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
_RTL = st.characters(min_codepoint=0x0590, max_codepoint=0x06FF)
_MARKS = st.characters(categories=["Mn", "Me", "Mc"])
_CONTROLS = st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Co"])
SURROGATE = st.characters(categories=["Cs"])

#: One short piece of hostile but valid text (no lone surrogate): labels, separators, scripts, marks, controls.
SHORT_FRAGMENT = st.one_of(
    st.sampled_from(LABELS),
    st.sampled_from(SEPARATORS + BIDI),
    st.text(_CJK, min_size=1, max_size=20),
    st.text(_RTL, min_size=1, max_size=20),
    st.text(_MARKS, min_size=1, max_size=5),
    st.text(_CONTROLS, min_size=1, max_size=5),
    st.text(max_size=20),
    st.builds(lambda label, mark: label + mark, st.sampled_from(LABELS), st.text(_MARKS, min_size=1, max_size=2)),
)
#: The same, or a run of up to 60,000 characters without a space.
FRAGMENT = st.one_of(
    SHORT_FRAGMENT,
    st.builds(lambda piece, times: piece * times, st.text(min_size=1, max_size=3), st.integers(1, 60_000)),
)


def _joined(fragments: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Fragments joined, each followed by a separator or nothing."""
    separated = st.tuples(fragments, st.sampled_from(SEPARATORS[:6] + ("",))).map("".join)
    return st.lists(separated, max_size=25).map("".join)


def _with_surrogates(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """``valid`` text, or the same with a lone surrogate inside (what ``json.loads`` or ``surrogateescape``
    can give Python), or any code points at all."""
    return st.one_of(
        valid,
        st.builds(
            lambda text, cut, surrogate: text[:cut] + surrogate + text[cut:], valid, st.integers(0, 50), SURROGATE
        ),
        st.text(st.characters(codec=None, exclude_categories=()), max_size=50),
    )


VALID_TEXT = _joined(FRAGMENT)
SHORT_VALID_TEXT = _joined(SHORT_FRAGMENT)
ANY_TEXT = _with_surrogates(VALID_TEXT)
#: Short values (titles, manifest cells): no long runs.
SHORT_TEXT = _with_surrogates(SHORT_VALID_TEXT)
#: Text a user would call ordinary: words and CJK, no controls; a document of it must be built.
PLAIN_TEXT = st.lists(
    st.one_of(
        st.sampled_from(LABELS), st.from_regex(r"[A-Za-z]{1,12}", fullmatch=True), st.text(_CJK, min_size=1, max_size=8)
    ),
    min_size=1,
    max_size=20,
).map(" ".join)

# ---------------------------------------------------------------------- concept references and IRIs

#: ``about`` values: codes good and bad, IRIs good and malformed, and SPARQL-injection shapes whose
#: SERVICE call goes to ``port`` (the outbound listener) if the text ever reaches a query.
KNOWN_ABOUTS = (
    "cip:48.0508",
    "onet:51-4121.06",
    "soc:17-2112",
    "isco:7212",
    "esco:skill/598de5b0-5b58-4ea7-8058-a4bc4d18c742",
    "cip:99",
    "cip:1.2.3",
    "nope:1",
    "onet:",
    ":",
    "http://",
    "https://exa mple.org/<bad>",
    'http://example.org/a"b',
    "http://example.org/%zz",
    "https://example.org/ok",
    "urn:x",
)


@functools.cache
def injections(port: int) -> st.SearchStrategy[str]:
    """IRIs built to leave the ``<...>`` they are spliced into and call the listener on ``port``."""
    target = f"http://127.0.0.1:{port}/"
    return st.builds(
        lambda head, closing, path, tail: f"{head}{closing} SERVICE <{target}{path}> {{ ?c ?p ?o }} {tail}",
        st.sampled_from(["http://x.org/a", "https://w3id.org/chaingraph/id/cip/48.0508", "http://"]),
        st.sampled_from(["> }", ">}", "> } }", ">) }", "> ."]),
        st.from_regex(r"[a-z]{0,8}", fullmatch=True),
        st.sampled_from(["} #", "} }\n#", "#", "} } #", "}"]),
    )


@functools.cache
def abouts(port: int) -> st.SearchStrategy[str]:
    """Any ``about`` a manifest or front matter may hold."""
    return st.one_of(st.sampled_from(KNOWN_ABOUTS), injections(port), SHORT_TEXT)


# ---------------------------------------------------------------------- files

SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".TXT", ".Md", ".HTML", ".rq", "")
_NAME_CHAR = st.characters(codec="utf-8", exclude_characters="/\x00", exclude_categories=("Cs",))


def _name_bytes(stem: bytes, suffix: str) -> bytes:
    """A file name at most 255 bytes long (the Linux limit), suffix kept."""
    tail = suffix.encode()
    return stem[: 255 - len(tail)] + tail


#: File names (bytes, as the file system holds them): unicode, spaces, leading dashes and dots, names
#: at the length limit, bytes that are not UTF-8, names the corpus reader treats specially.
FILE_NAMES = st.builds(
    _name_bytes,
    st.one_of(
        st.builds(
            lambda prefix, stem: (prefix + stem).encode(),
            st.sampled_from(
                ["", "-", "--", " ", ".", "..", "~$", "-rf ", "#", "'", "\\", "\n", "\r", "\t", "\x1b[31m"]
            ),
            st.text(_NAME_CHAR, min_size=1, max_size=40),
        ),
        st.sampled_from([b"README", b"readme", b"LICENSE", b"manifest", b"a b", b"-", b"..."]),
        st.builds(
            lambda char, times: (char * times).encode(), st.sampled_from(["a", "é", "中", "😀"]), st.integers(1, 255)
        ),
        st.binary(min_size=1, max_size=30).filter(lambda raw: b"/" not in raw and b"\x00" not in raw),
    ),
    st.sampled_from(SUFFIXES),
).filter(lambda name: name not in (b".", b".."))


def _front_matter(fields: dict[str, str], body: str) -> str:
    return "---\n" + "".join(f"{key}: {value}\n" for key, value in fields.items()) + "---\n" + body


def _docx(paragraphs: list[str]) -> bytes:
    """A real DOCX holding ``paragraphs`` (python-docx refuses what XML cannot hold, so those are dropped)."""
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", "", paragraph))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@functools.cache
def file_contents(port: int) -> st.SearchStrategy[bytes]:
    """The bytes of a corpus file: random bytes, text in several encodings, shaped like the format it
    claims (PDF and ZIP headers, HTML, front matter with hostile values), real DOCX files."""
    text = st.one_of(_joined(SHORT_FRAGMENT), PLAIN_TEXT)
    return st.one_of(
        st.binary(max_size=3000),
        text.map(lambda t: t.encode("utf-8")),
        text.map(lambda t: t.encode("utf-16")),
        PLAIN_TEXT.map(lambda t: t.encode("gb18030")),
        st.builds(lambda raw: b"%PDF-1.4\n" + raw, st.binary(max_size=2000)),
        st.builds(lambda raw: b"PK\x03\x04" + raw, st.binary(max_size=2000)),
        st.builds(lambda title, body: f"<html><title>{title}</title><p>{body}".encode(), text, text),
        st.builds(
            lambda fields, body: _front_matter(fields, body).encode("utf-8", "surrogatepass"),
            st.dictionaries(
                st.sampled_from(["title", "kind", "lang", "date", "issuer", "about", "x"]),
                st.one_of(abouts(port), st.sampled_from(["en", "zh", "en-a", "x-", "2020-02-30", "policy"])),
                max_size=4,
            ),
            PLAIN_TEXT,
        ),
        st.lists(text, min_size=1, max_size=4).map(_docx),
    )


# ---------------------------------------------------------------------- the outbound listener


class Listener:
    """A socket on 127.0.0.1 that accepts every connection, records what was sent on it and closes it,
    so that a client calling out fails at once instead of hanging, and the call is seen."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.calls: list[bytes] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:  # closed
                return
            with connection:
                connection.settimeout(1)
                try:
                    first = connection.recv(4096)
                except OSError:
                    first = b""
                with self._lock:
                    self.calls.append(first or b"(connected, sent nothing)")

    def take(self) -> list[bytes]:
        """The calls seen since the last ``take``."""
        with self._lock:
            calls, self.calls = self.calls, []
        return calls

    def check_silent(self) -> None:
        """Fail if anything called the listener since the last check (the first thing each test checks)."""
        calls = self.take()
        assert not calls, f"{len(calls)} outbound call(s) reached 127.0.0.1:{self.port}, first: {calls[0][:300]!r}"

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)  # wakes the thread waiting in accept
        self.socket.close()
        self._thread.join(5)
