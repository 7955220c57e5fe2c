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
    "content_id",
    "detect_lang",
]

#: The document kinds a manifest or front matter may name; anything else falls back to "other".
KINDS = ("policy", "standard", "curriculum", "job_posting", "other")

#: Share of CJK ideographs among the letters from which a text counts as Chinese.
ZH_SHARE = 0.30

# CJK Unified Ideographs with extensions A-F and the compatibility block: the characters
# that make a text Chinese. Kana and Hangul are deliberately not counted.
_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef\U00030000-\U0003134f]")
# Letters: word characters that are neither digits nor the underscore (regex runs in C,
# several times faster than a per-character loop on long texts).
_LETTER = re.compile(r"[^\W\d_]")


class DocumentError(Exception):
    """A file that cannot become a document; the message says why, in words a user can act on."""


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
    letters = len(_LETTER.findall(text))
    if letters and len(_CJK.findall(text)) / letters >= ZH_SHARE:
        return "zh"
    return "en"


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
        return f"{self.severity}: {self.path}: {self.reason}"
