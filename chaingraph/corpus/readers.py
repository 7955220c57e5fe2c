"""Text extraction from the file formats a corpus may hold: plain text, Markdown, HTML, PDF, DOCX.

Every reader returns the text with newlines normalised to ``"\\n"`` and otherwise unchanged, or
raises :class:`~chaingraph.corpus.document.DocumentError` with a reason a user can act on.

Each reader first checks that the bytes are what the suffix claims (content sniffing): text that
decodes to text for ``.txt``, ``.md`` and ``.html``, a ``%PDF-`` header for ``.pdf``, a zip package
with a Word document part for ``.docx``; random bytes under a text name are refused, not built.
What a parsing library warns about (pypdf's log, BeautifulSoup's warnings) is kept with the text
as notes, so that the caller can name the file they concern instead of letting them print bare.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from chaingraph.corpus.document import DocumentError, replace_surrogates
from chaingraph.corpus.notes import library_notes

__all__ = [
    "SUPPORTED_SUFFIXES",
    "SourceText",
    "is_supported",
    "read_file_bytes",
    "read_source",
    "read_text",
    "decode_text",
    "split_front_matter",
]

#: Share of control characters (other than whitespace) above which decoded bytes count as binary.
_MAX_CONTROL_SHARE = 0.01
#: charset-normalizer's "mess" ratio above which a guessed encoding is not trusted.
_MAX_CHAOS = 0.2
#: Share of control characters and undecodable bytes (U+FFFD) above which an HTML file's text counts as binary.
_MAX_HTML_JUNK_SHARE = 0.01
#: How far into a file a PDF reader looks for the ``%PDF-`` header (Acrobat's own tolerance).
_PDF_HEADER_WITHIN = 1024

# The content type of a WordprocessingML main document part (.docx, .docm, .dotx, .dotm) in [Content_Types].xml.
_WORD_MAIN_PART = re.compile(rb"(?:wordprocessingml|ms-word)\.[\w.]*main\+xml")

# Unicode category Cc (C0, DEL, C1) minus the whitespace controls \t \n \v \f \r.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")

_UNDECODABLE = "cannot decode: not UTF-8, GB18030 or Big5 (tried charset detection)"


@dataclass(frozen=True)
class SourceText:
    """What a reader extracts from one file.

    Parameters
    ----------
    text
        The text, newlines normalised to ``"\\n"``, Markdown front matter removed.
    title
        A title the format itself offers (HTML ``<title>``, first Markdown heading), or None.
    metadata
        Markdown front matter as raw ``key -> value`` strings (keys lower-cased); empty otherwise.
    notes
        What reading the file warned about, one phrase each (``"pypdf: ..."``): the file was read,
        but a user may want to know.
    """

    text: str
    title: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def _describe(exc: BaseException) -> str:
    """An exception as a short phrase, falling back to its type when it carries no message."""
    message = str(exc).strip()
    return message or type(exc).__name__


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _reject_binary(text: str) -> None:
    """Raise when decoded text is mostly control characters, i.e. a binary file that happened to decode."""
    controls = len(_CONTROL.findall(text))
    if controls and controls > _MAX_CONTROL_SHARE * len(text):
        raise DocumentError(f"binary data: {controls} control characters in {len(text)}; not a text file")


def decode_text(data: bytes) -> str:
    """Decode the bytes of a text file: UTF-8 (with or without BOM), UTF-16/32 with BOM, else a
    confident charset-normalizer guess (GB18030, Big5, Windows-1252, ...).

    Parameters
    ----------
    data
        The raw file content.

    Raises
    ------
    DocumentError
        For NUL bytes (binary files), bytes no encoding explains confidently, or decoded text
        that is mostly control characters.
    """
    # UTF-32 first: its little-endian BOM starts with the UTF-16 one.
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise DocumentError(
                    f"cannot decode: starts with a {encoding.upper()} byte-order mark but byte "
                    f"{exc.start} is not valid {encoding.upper()}"
                ) from exc
            _reject_binary(text)
            return text
    if b"\x00" in data:
        # Without a UTF-16/32 BOM a NUL byte means a binary file; decoding would yield junk.
        raise DocumentError("binary data: contains NUL bytes; not a text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = _detect_and_decode(data)
    _reject_binary(text)
    return text


def _detect_and_decode(data: bytes) -> str:
    import charset_normalizer

    best = charset_normalizer.from_bytes(data, threshold=_MAX_CHAOS).best()
    if best is None or best.chaos > _MAX_CHAOS:
        raise DocumentError(_UNDECODABLE)
    return str(best)


_FRONT_MATTER_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*:\s*(.*)$")


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split simple front matter (``---`` / ``key: value`` lines / ``---``) from Markdown text.

    Only flat ``key: value`` lines are understood (no YAML lists or nesting); values lose
    surrounding quotes. When the block is not well formed the text is returned unchanged, so
    a Markdown horizontal rule is never mistaken for front matter.

    Parameters
    ----------
    text
        Markdown text with ``"\\n"`` newlines.

    Returns
    -------
    tuple
        ``(metadata, body)``: keys lower-cased; body without the block and the blank lines after it.
    """
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    metadata: dict[str, str] = {}
    for index in range(1, len(lines)):
        line = lines[index]
        if line.strip() in ("---", "..."):
            body = "\n".join(lines[index + 1 :]).lstrip("\n")
            return metadata, body
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _FRONT_MATTER_KEY.match(line)
        if match is None:
            return {}, text
        value = match.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        metadata[match.group(1).lower()] = value
    # No closing delimiter: this was a horizontal rule, not front matter.
    return {}, text


_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)


def _read_plain(data: bytes) -> SourceText:
    return SourceText(_normalise_newlines(decode_text(data)))


def _read_markdown(data: bytes) -> SourceText:
    text = _normalise_newlines(decode_text(data))
    metadata, body = split_front_matter(text)
    # The regex tries every line; most long texts have no "#" at all, and this test is a memchr.
    heading = _ATX_HEADING.search(body) if "#" in body else None
    title = heading.group(1).strip() if heading else None
    return SourceText(body, title or None, metadata)


# Elements whose text is never document content.
_HTML_DROP = frozenset({"script", "style", "nav", "noscript", "template", "head", "svg", "iframe", "object", "button"})
# Elements that start and end a paragraph; everything else is inline.
_HTML_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "dialog",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
        "h4", "h5", "h6", "header", "hr", "html", "legend", "li", "main", "ol", "p", "section",
        "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip


def _read_html(data: bytes) -> SourceText:
    with library_notes("bs4", "BeautifulSoup") as notes:
        source = _parse_html(data)
    return replace(source, notes=tuple(notes))


def _parse_html(data: bytes) -> SourceText:
    from bs4 import BeautifulSoup

    try:
        # Bytes, not str: BeautifulSoup honours a BOM or <meta charset> before guessing.
        soup = BeautifulSoup(data, "lxml")
    except Exception as exc:  # lxml errors on hopeless input vary by version
        raise DocumentError(f"cannot parse HTML: {_describe(exc)}") from exc
    title = None
    if soup.title is not None:
        title = " ".join(soup.title.get_text().split()) or None
    for element in soup.find_all(sorted(_HTML_DROP)):
        element.decompose()
    paragraphs: list[str] = []
    try:
        _collect_html(soup, paragraphs, [])
    except RecursionError as exc:
        raise DocumentError("cannot parse HTML: elements nested too deeply") from exc
    text = "\n\n".join(paragraphs)
    _reject_binary_html(text)  # any bytes parse as HTML: what decides is whether the text in it is text
    return SourceText(text, title)


def _reject_binary_html(text: str) -> None:
    """Raise when the text of an HTML file is mostly control characters or undecodable bytes (U+FFFD)."""
    junk = len(_CONTROL.findall(text)) + text.count("\ufffd")
    if junk and junk > _MAX_HTML_JUNK_SHARE * len(text):
        raise DocumentError(
            f"binary data: {junk} of {len(text)} characters are control characters or undecodable bytes; "
            "not an HTML file"
        )


def _collect_html(node: object, paragraphs: list[str], buffer: list[str]) -> None:
    """Walk the tree, gathering inline text into ``buffer`` and flushing it at block boundaries."""
    from bs4 import CData, NavigableString, Tag

    for child in node.children:  # type: ignore[attr-defined]
        if isinstance(child, NavigableString):
            # Comments, doctypes and processing instructions are NavigableStrings too.
            if type(child) is NavigableString or isinstance(child, CData):
                buffer.append(re.sub(r"\s+", " ", str(child)))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name.lower()
        if name == "br":
            buffer.append("\n")
        elif name == "pre":
            _flush_html(paragraphs, buffer)
            # Preformatted text keeps its layout; only the surrounding blank lines go.
            text = _normalise_newlines(child.get_text()).strip("\n")
            if text.strip():
                paragraphs.append(text)
        elif name in _HTML_BLOCKS:
            _flush_html(paragraphs, buffer)
            _collect_html(child, paragraphs, buffer)
            _flush_html(paragraphs, buffer)
        else:
            _collect_html(child, paragraphs, buffer)


def _flush_html(paragraphs: list[str], buffer: list[str]) -> None:
    if not buffer:
        return
    lines = (" ".join(line.split()) for line in "".join(buffer).split("\n"))
    paragraph = "\n".join(line for line in lines if line)
    buffer.clear()
    if paragraph:
        paragraphs.append(paragraph)


def _read_pdf(data: bytes) -> SourceText:
    if b"%PDF-" not in data[:_PDF_HEADER_WITHIN]:
        raise DocumentError(f"corrupt PDF: no %PDF- header in the first {_PDF_HEADER_WITHIN:,} bytes; not a PDF file")
    with library_notes("pypdf", "pypdf") as notes:
        source = _parse_pdf(data)
    return replace(source, notes=tuple(notes))


def _parse_pdf(data: bytes) -> SourceText:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError("encrypted PDF: it needs a password; save an unencrypted copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except Exception as exc:  # pypdf raises many exception types for damaged files
        raise DocumentError(f"corrupt PDF: {_describe(exc)}") from exc
    # Empty pages (figures, scans) would only add runs of blank lines.
    text = "\n\n".join(page.rstrip() for page in map(_normalise_newlines, pages) if page.strip())
    if not text:
        raise DocumentError(f"no extractable text in PDF ({len(pages)} pages): a scanned PDF needs OCR first")
    return SourceText(text)


def _read_docx(data: bytes) -> SourceText:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    _check_word_package(data)
    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[str] = []
        _collect_docx(document, blocks)
    except (PackageNotFoundError, zipfile.BadZipFile) as exc:
        # python-docx's own message repeats the absolute path and says nothing more.
        raise DocumentError("corrupt DOCX: not a readable Word (zip) package; truncated or not .docx") from exc
    except Exception as exc:  # broken XML inside the zip surfaces as various exception types
        raise DocumentError(f"corrupt DOCX: {_describe(exc)}") from exc
    return SourceText(_normalise_newlines("\n\n".join(blocks)))


def _check_word_package(data: bytes) -> None:
    """Raise unless ``data`` is a zip package whose content types declare a Word main document part."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise DocumentError("corrupt DOCX: not a zip package (a .docx is one); truncated or not .docx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package, package.open("[Content_Types].xml") as types:
            declared = types.read(1 << 20)  # a real one is a few kilobytes
    except KeyError:
        declared = b""
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise DocumentError(f"corrupt DOCX: {_describe(exc)}") from exc
    if not _WORD_MAIN_PART.search(declared):
        raise DocumentError(
            "corrupt DOCX: a zip package without a Word document part (word/document.xml); "
            "another Office file or a plain zip renamed .docx?"
        )


def _collect_docx(container: object, blocks: list[str]) -> None:
    """Paragraphs and table cells in document order; cells spanning merged ranges count once."""
    from docx.table import Table

    for item in container.iter_inner_content():  # type: ignore[attr-defined]
        if isinstance(item, Table):
            # Holding the cell elements (not their id()s) keeps lxml's proxies alive, so a
            # merged cell met again is the same object.
            seen: set[object] = set()
            for row in item.rows:
                for cell in row.cells:
                    if cell._tc in seen:
                        continue
                    seen.add(cell._tc)
                    _collect_docx(cell, blocks)
        elif item.text.strip():
            blocks.append(item.text)


# Each reader takes the file's bytes: the caller reads them once, so what it hashes (see
# chaingraph.corpus.snapshot) is exactly what was parsed.
_READERS: dict[str, Callable[[bytes], SourceText]] = {
    ".txt": _read_plain,
    ".md": _read_markdown,
    ".html": _read_html,
    ".htm": _read_html,
    ".pdf": _read_pdf,
    ".docx": _read_docx,
}

#: File suffixes (lower case) that are read as documents.
SUPPORTED_SUFFIXES = frozenset(_READERS)


def is_supported(path: Path) -> bool:
    """Whether ``path`` has a suffix this module can read (case-insensitive).

    Parameters
    ----------
    path
        Any file path.
    """
    return path.suffix.lower() in _READERS


def read_source(path: Path, data: bytes | None = None) -> SourceText:
    """Extract the text, format-given title and front matter of one file.

    Parameters
    ----------
    path
        A file with one of :data:`SUPPORTED_SUFFIXES`.
    data
        The file's bytes when the caller has read them already (default None: read ``path``).

    Raises
    ------
    DocumentError
        When the format is unsupported, the file cannot be read, decoded or parsed, or no text
        remains after extraction.
    """
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise DocumentError(f"unsupported file type {path.suffix or '(none)'!r}; supported: {supported}")
    if data is None:
        data = read_file_bytes(path)
    source = _valid_unicode(reader(data))
    if not source.text.strip():
        raise DocumentError("empty: no text after extraction")
    return source


def _valid_unicode(source: SourceText) -> SourceText:
    """``source`` with lone surrogates (a PDF's broken character map can yield them) replaced by U+FFFD, noted.

    One character for one keeps every offset; the graph and its files need valid Unicode.
    """
    text, replaced = replace_surrogates(source.text)
    title, in_title = replace_surrogates(source.title or "")
    metadata = {key: replace_surrogates(value) for key, value in source.metadata.items()}
    replaced += in_title + sum(count for _value, count in metadata.values())
    if not replaced:
        return source
    note = f"{replaced} character(s) that are not valid Unicode (lone surrogates) replaced by U+FFFD"
    clean = {key: value for key, (value, _count) in metadata.items()}
    return SourceText(text, title or source.title, clean, (*source.notes, note))


def read_file_bytes(path: Path, read: Callable[[Path], bytes] = Path.read_bytes) -> bytes:
    """The bytes of one file, read with ``read``; an OS error becomes a :class:`DocumentError`.

    Parameters
    ----------
    path
        Any file.
    read
        How to read it (default ``Path.read_bytes``; a corpus snapshot passes its own, which records
        what it read).
    """
    try:
        return read(Path(path))
    except OSError as exc:
        raise DocumentError(f"cannot read file: {exc.strerror or _describe(exc)}") from exc


def read_text(path: Path) -> str:
    """The text of one file (see :func:`read_source`), dispatching on its suffix.

    Parameters
    ----------
    path
        A ``.txt``, ``.md``, ``.html``/``.htm``, ``.pdf`` or ``.docx`` file.
    """
    return read_source(path).text
