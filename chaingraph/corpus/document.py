"""The records the corpus layer produces: a read document, or a problem with one file."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "KINDS",
    "Document",
    "CorpusProblem",
    "DocumentError",
    "TextError",
    "check_text",
    "content_id",
    "replace_surrogates",
    "detect_lang",
    "count_characters",
]

#: The document kinds a manifest or front matter may name; anything else falls back to "other".
KINDS = ("policy", "standard", "curriculum", "job_posting", "other")

#: Share of CJK ideographs among the letters from which a text counts as Chinese.
ZH_SHARE = 0.30

# CJK Unified Ideographs with extensions A-F and the compatibility block: the characters
# that make a text Chinese. Kana and Hangul are deliberately not counted.
_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef\U00030000-\U0003134f]+")
# Letters: word characters that are neither digits nor the underscore (regex runs in C,
# several times faster than a per-character loop on long texts).
_LETTER = re.compile(r"[^\W\d_]+")
# Characters read at a time when counting: bounds the list of runs a count makes.
_COUNT_CHUNK = 1 << 20


class DocumentError(Exception):
    """A file that cannot become a document; the message says why, in words a user can act on."""


class TextError(ValueError):
    """Text that is not valid Unicode (it holds lone surrogates), so it can be neither read nor stored."""


# Surrogate code points: never characters on their own. Python strings hold them for undecodable
# bytes of file names and argv (U+DC80..U+DCFF, "surrogateescape") and for a "\ud800" JSON escape.
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_text(text: str) -> None:
    """Raise :class:`TextError` naming the first character of ``text`` that is not valid Unicode.

    >>> check_text("Welders \\udcff read.")
    Traceback (most recent call last):
    ...
    chaingraph.corpus.document.TextError: byte 0xff at offset 8 is not valid UTF-8 (1 such character); give Unicode text
    """
    match = _SURROGATE.search(text)
    if match is None:
        return
    code = ord(match.group())
    count = len(_SURROGATE.findall(text))
    if 0xDC80 <= code <= 0xDCFF:  # a byte that did not decode as UTF-8, kept by "surrogateescape"
        what = f"byte 0x{code - 0xDC00:02x} at offset {match.start()} is not valid UTF-8"
    else:
        what = f"a lone surrogate U+{code:04X} at offset {match.start()} is not a character"
    raise TextError(f"{what} ({count} such character{'s' if count > 1 else ''}); give Unicode text")


def replace_surrogates(text: str) -> tuple[str, int]:
    """``text`` with every lone surrogate replaced by U+FFFD (one for one, so offsets hold), and how many.

    >>> replace_surrogates("a\\ud800b")
    ('a\ufffdb', 1)
    """
    if text.isascii():
        return text, 0
    return _SURROGATE.subn("\ufffd", text)


def content_id(text: str) -> str:
    """The identifier of a text: the first 24 hex digits of the SHA-256 of its UTF-8 bytes.

    Parameters
    ----------
    text
        The document text exactly as read (after newline normalisation).
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def detect_lang(text: str) -> str:
    """``"zh"`` when CJK ideographs make up at least 30 % of the letters of ``text``, else ``"en"``.

    Parameters
    ----------
    text
        Any text; digits, punctuation and spaces are ignored.
    """
    letters = count_characters(_LETTER, text)
    if letters and count_characters(_CJK, text) / letters >= ZH_SHARE:
        return "zh"
    return "en"


def count_characters(runs: re.Pattern, text: str) -> int:
    r"""How many characters of ``text`` lie in the matches of ``runs``, a pattern of runs of one
    character class (``[...]+``), without a list of every match: the text is read a megabyte at a time.

    >>> count_characters(re.compile(r"[^\W\d_]+"), "Welders weld 2 beams.")
    16
    """
    chunks = range(0, len(text), _COUNT_CHUNK)
    return sum(len(run) for start in chunks for run in runs.findall(text, start, start + _COUNT_CHUNK))


@dataclass(frozen=True)
class Document:
    """One document of a corpus: its text and the metadata the rest of the pipeline needs.

    Parameters
    ----------
    id
        Content hash of ``text`` (see :func:`content_id`): the same text always gets the same id,
        wherever it lives, so a rebuild mints the same document IRIs.
    text
        The extracted text. Character offsets into it are kept downstream, so it is never
        rewritten after reading.
    path
        POSIX path relative to the corpus root.
    title
        Human-readable title.
    kind
        One of :data:`KINDS`.
    lang
        BCP-47 language tag, e.g. ``"en"`` or ``"zh"``.
    date
        ISO date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) or None.
    issuer
        The body that issued the document, or None.
    about
        The IRI of the concept the document describes (a programme for a curriculum, an
        occupation for an occupational standard), or None.
    """

    id: str
    text: str
    path: str
    title: str
    kind: str = "other"
    lang: str = "en"
    date: str | None = None
    issuer: str | None = None
    about: str | None = None

    @property
    def fingerprint(self) -> str:
        """SHA-256 over the text and every metadata field.

        Unlike :attr:`id`, it changes when only the metadata changes (a corrected ``about``,
        a new title), so an incremental build knows to redo the document's graph.
        """
        payload = [self.text, self.path, self.title, self.kind, self.lang, self.date, self.issuer, self.about]
        # JSON keeps field boundaries unambiguous ("ab"+"c" differs from "a"+"bc").
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CorpusProblem:
    """A file, or a manifest row, that could not be read as intended.

    Parameters
    ----------
    path
        POSIX path relative to the corpus root of the file concerned (the manifest itself for
        problems with its structure).
    reason
        A sentence saying what is wrong and, where it helps, what was done instead.
    severity
        ``"error"``: the document was not built. ``"warning"``: it was built, with a default in
        place of the faulty value (or it was skipped as a duplicate).
    """

    path: str
    reason: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        return f"{self.severity}: {one_line(self.path)}: {one_line(self.reason)}"


# Characters that would break a problem's one line or reach the terminal as commands: C0 and C1
# controls, DEL, and the Unicode line and paragraph separators.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    r"""``text`` safe to print as part of one line: control characters and line breaks escaped.

    >>> one_line("a\nb\x1b[31m")
    'a\\nb\\x1b[31m'
    """
    escaped = _UNPRINTABLE.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)
    return escaped.encode("utf-8", "backslashreplace").decode("utf-8")  # lone surrogates too
