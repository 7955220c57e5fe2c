"""Hostile and careless input: reading stays inside the corpus, bad input is named, and the command
line ends every failure in one line with the documented exit code (issue 13, rows 5, 7 and 8)."""

from __future__ import annotations

import errno
import io
import json
import logging
import os
import random
import re
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from corpus_helpers import all_quads, rows, write_corpus
from pypdf import PdfReader
from test_corpus import make_docx, minimal_pdf
from typer.testing import CliRunner

import chaingraph
from chaingraph import api
from chaingraph.cli import EXIT_FAILURE, EXIT_PARTIAL, app
from chaingraph.corpus import (
    CorpusProblem,
    DocumentError,
    EmptyCorpusError,
    Snapshot,
    TextError,
    corpus_candidates,
    read_corpus,
    read_source,
)

EXIT_USAGE = 2
REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()

OUTSIDE_TEXT = "Outside text about welding robots.\n"


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def problems(corpus) -> list[tuple[str, str, str]]:
    return sorted((problem.path, problem.severity, problem.reason) for problem in corpus.problems)


def outside_reason(target: Path) -> str:
    return f"links outside the corpus to {os.path.realpath(target)}; skipped (--follow-links reads it)"


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder beside the corpus, holding one text: what no corpus link may read unasked."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text(OUTSIDE_TEXT, encoding="utf-8")
    return folder


# --- symbolic links ----------------------------------------------------------------------------


class TestLinks:
    def test_links_outside_are_skipped_and_named(self, tmp_path, outside):
        corpus = write_corpus(tmp_path / "corpus", {"a.txt": "Welders use SQL.\n"})
        (corpus / "secret.txt").symlink_to(outside / "secret.txt")
        (corpus / "ext").symlink_to(outside, target_is_directory=True)
        (corpus / "same.txt").symlink_to(corpus / "a.txt")  # inside: read (and a duplicate)
        (corpus / "self").symlink_to(corpus, target_is_directory=True)  # inside: never walked twice
        (corpus / "picture.png").symlink_to(outside / "secret.txt")  # not a document type: not named

        read = read_corpus(corpus)

        assert [document.path for document in read.documents] == ["a.txt"]
        assert problems(read) == [
            ("ext", "warning", outside_reason(outside)),
            ("same.txt", "warning", "same text as a.txt; skipped"),
            ("secret.txt", "warning", outside_reason(outside / "secret.txt")),
        ]
        assert read.snapshot.candidates == ["a.txt", "same.txt"]
        assert corpus_candidates(corpus) == ["a.txt", "same.txt"]

    def test_follow_links_reads_them(self, tmp_path, outside):
        corpus = write_corpus(tmp_path / "corpus", {"a.txt": "Welders use SQL.\n"})
        (corpus / "secret.txt").symlink_to(outside / "secret.txt")
        (corpus / "ext").symlink_to(outside, target_is_directory=True)

        read = read_corpus(corpus, follow_links=True)

        # Manifest rows first, then the files by path: ext/secret.txt is met before secret.txt.
        assert [document.path for document in read.documents] == ["a.txt", "ext/secret.txt"]
        assert problems(read) == [("secret.txt", "warning", "same text as ext/secret.txt; skipped")]
        assert corpus_candidates(corpus, follow_links=True) == ["a.txt", "ext/secret.txt", "secret.txt"]

    def test_link_loops_end(self, tmp_path, outside):
        corpus = write_corpus(tmp_path / "corpus", {"a.txt": "Welders use SQL.\n"})
        (corpus / "one.txt").symlink_to(corpus / "two.txt")
        (corpus / "two.txt").symlink_to(corpus / "one.txt")
        (corpus / "ext").symlink_to(outside, target_is_directory=True)
        (outside / "back").symlink_to(outside, target_is_directory=True)  # a loop once links are followed

        read = read_corpus(corpus, follow_links=True)

        loop = f"cannot read file: {os.strerror(errno.ELOOP)}"
        assert [document.path for document in read.documents] == ["a.txt", "ext/secret.txt"]
        assert problems(read) == [
            ("ext/back", "warning", "a link to a folder already read (a link loop?); skipped"),
            ("one.txt", "error", loop),
            ("two.txt", "error", loop),
        ]

    def test_manifest_paths_stay_inside(self, tmp_path, outside):
        inside_rule = "the path must be relative to the corpus folder and stay inside it"
        manifest = (
            "path,title\n"
            "../outside/secret.txt,Up and out\n"
            f"{outside / 'secret.txt'},Absolute\n"
            "listed.txt,A link\n"
            "a.txt,Fine\n"
        )
        corpus = write_corpus(tmp_path / "corpus", {"a.txt": "Welders use SQL.\n"}, manifest)
        (corpus / "listed.txt").symlink_to(outside / "secret.txt")

        read = read_corpus(corpus)

        assert [(document.path, document.title) for document in read.documents] == [("a.txt", "Fine")]
        target = os.path.realpath(outside / "secret.txt")
        assert problems(read) == sorted(
            [
                ("../outside/secret.txt", "error", f"manifest.csv line 2: {inside_rule}"),
                (
                    "listed.txt",
                    "error",
                    f"listed in manifest.csv line 4 but it links outside the corpus to {target} "
                    "(--follow-links reads it)",
                ),
                (str(outside / "secret.txt"), "error", f"manifest.csv line 3: {inside_rule}"),
            ]
        )
        followed = read_corpus(corpus, follow_links=True)
        assert [document.title for document in followed.documents] == ["A link", "Fine"]

    def test_a_manifest_that_links_outside_is_ignored(self, tmp_path, outside):
        (outside / "manifest.csv").write_text("path,title\na.txt,From outside\n", encoding="utf-8")
        corpus = write_corpus(tmp_path / "corpus", {"a.txt": "Welders use SQL.\n"})
        (corpus / "manifest.csv").symlink_to(outside / "manifest.csv")
        read = read_corpus(corpus)
        assert [(document.path, document.title) for document in read.documents] == [("a.txt", "Welders use SQL.")]
        assert problems(read) == [
            ("manifest.csv", "error", "ignored: manifest.csv links outside the corpus (--follow-links reads it)")
        ]

    def test_the_build_record_follows_the_same_rule(self, tmp_path, outside):
        """A listed link turned from outside to inside (or back) is a change, though nothing else moved."""
        # In a hidden folder the link is no candidate of the walk: only the snapshot's entry can tell.
        listed = ".hidden/listed.txt"
        corpus = write_corpus(tmp_path / "corpus", {"a.txt": "Welders use SQL.\n"}, f"path\n{listed}\n")
        (corpus / ".hidden").mkdir()
        (corpus / ".hidden" / "inside.txt").write_text("Inside text.\n", encoding="utf-8")
        (corpus / listed).symlink_to(outside / "secret.txt")
        first = read_corpus(corpus)
        assert [document.path for document in first.documents] == ["a.txt"]
        assert first.snapshot.entries[listed] == ["outside"]
        record = Snapshot.from_json(json.loads(json.dumps(first.snapshot.to_json())), corpus)
        assert record.changed(corpus_candidates(corpus)) is None

        (corpus / listed).unlink()
        (corpus / listed).symlink_to(corpus / ".hidden" / "inside.txt")
        assert record.changed(corpus_candidates(corpus)) == listed
        second = read_corpus(corpus)
        assert [document.path for document in second.documents] == [listed, "a.txt"]

        (corpus / listed).unlink()
        (corpus / listed).symlink_to(outside / "secret.txt")
        again = Snapshot.from_json(json.loads(json.dumps(second.snapshot.to_json())), corpus)
        assert again.changed(corpus_candidates(corpus)) == listed

    def test_fifo_is_named_not_read(self, tmp_path):
        corpus = write_corpus(tmp_path / "corpus", {"a.txt": "Welders use SQL.\n"})
        os.mkfifo(corpus / "pipe.txt")  # reading it would block the build for ever
        read = read_corpus(corpus)
        assert [document.path for document in read.documents] == ["a.txt"]
        assert problems(read) == [("pipe.txt", "error", "not a regular file (a device, FIFO or socket); skipped")]


# --- content sniffing --------------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, data in members.items():
            package.writestr(name, data)
    return buffer.getvalue()


XLSX_TYPES = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
)


class TestContentSniffing:
    RANDOM = random.Random(13).randbytes(4000)

    @pytest.mark.parametrize("name", ["page.html", "notes.txt", "chapter.md", "page.htm"])
    def test_random_bytes_under_a_text_name(self, tmp_path, name):
        corpus = write_corpus(tmp_path / "corpus", {"a.txt": "Welders use SQL.\n", name: self.RANDOM})
        read = read_corpus(corpus)
        assert [document.path for document in read.documents] == ["a.txt"]
        ((path, severity, reason),) = problems(read)
        assert (path, severity) == (name, "error")
        assert reason.startswith("binary data: "), reason

    def test_html_reason_counts_the_junk(self, tmp_path):
        # 100 characters of text, then 3 control characters: 3 % of the text is junk.
        page = b"<html><body><p>" + b"x" * 100 + b"\x01\x02\x03</p></body></html>"
        with pytest.raises(DocumentError, match=re.escape("binary data: 3 of 103 characters")):
            read_source(Path("page.html"), page)
        # Below 1 %: a stray control character in a real page does not refuse it.
        assert read_source(Path("page.html"), page.replace(b"\x02\x03", b"yy")).text == "x" * 100 + "\x01yy"

    def test_pdf_without_header(self, tmp_path):
        corpus = write_corpus(tmp_path / "corpus", {"a.txt": "Welders use SQL.\n", "fake.pdf": b"Just text.\n" * 9})
        assert problems(read_corpus(corpus)) == [
            ("fake.pdf", "error", "corrupt PDF: no %PDF- header in the first 1,024 bytes; not a PDF file")
        ]

    def test_docx_that_is_not_a_word_package(self, tmp_path):
        files = {
            "a.txt": "Welders use SQL.\n",
            "plain.docx": b"Just text, not a zip.\n",
            "archive.docx": _zip({"notes.txt": b"hello"}),
            "sheet.docx": _zip({"[Content_Types].xml": XLSX_TYPES, "xl/workbook.xml": b"<workbook/>"}),
        }
        corpus = write_corpus(tmp_path / "corpus", files)
        not_word = (
            "corrupt DOCX: a zip package without a Word document part (word/document.xml); "
            "another Office file or a plain zip renamed .docx?"
        )
        assert problems(read_corpus(corpus)) == [
            ("archive.docx", "error", not_word),
            ("plain.docx", "error", "corrupt DOCX: not a zip package (a .docx is one); truncated or not .docx"),
            ("sheet.docx", "error", not_word),
        ]

    def test_real_documents_still_read(self, tmp_path):
        corpus = write_corpus(
            tmp_path / "corpus",
            {"a.html": "<html><head><title>T</title></head><body><p>Welders use SQL.</p></body></html>"},
        )
        (corpus / "b.pdf").write_bytes(minimal_pdf(["Welders read blueprints."]))
        make_docx(corpus / "c.docx")
        read = read_corpus(corpus)
        assert [document.path for document in read.documents] == ["a.html", "b.pdf", "c.docx"]
        assert read.problems == ()


# --- pypdf's warnings --------------------------------------------------------------------------


def _pypdf_notes(data: bytes) -> list[str]:
    """What pypdf itself logs while reading ``data``, captured here independently of chaingraph, as
    the notes chaingraph should make of it: each message once, with a count when repeated."""
    messages: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    logger = logging.getLogger("pypdf")
    handler = Keep(logging.WARNING)
    logger.addHandler(handler)
    try:
        for page in PdfReader(io.BytesIO(data)).pages:
            page.extract_text()
    finally:
        logger.removeHandler(handler)
    counts = Counter(messages)
    return [f"pypdf: {message}" + (f" ({count} times)" if count > 1 else "") for message, count in counts.items()]


def test_pypdf_warnings_name_the_file(tmp_path, capfd):
    pdf = minimal_pdf(["Welders read blueprints."])
    damaged = b"junk\n" + pdf  # pypdf reads it, warning about the header and the shifted offsets
    expected = _pypdf_notes(damaged)
    assert expected, "pypdf no longer warns about this file: choose another damage"
    capfd.readouterr()
    corpus = write_corpus(tmp_path / "corpus", {"damaged.pdf": damaged})

    read = read_corpus(corpus)

    assert [document.text for document in read.documents] == ["Welders read blueprints."]
    assert problems(read) == sorted(("damaged.pdf", "warning", note) for note in expected)
    assert capfd.readouterr().err == ""  # nothing printed without the file's name


# --- names and text that are not valid Unicode -------------------------------------------------


def test_file_name_not_utf8(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", {"a.txt": "Welders use SQL.\n"})
    (corpus / "sub").mkdir()
    with open(os.fsencode(corpus / "sub") + b"/bad\xff.txt", "wb") as stream:
        stream.write(b"Welders read blueprints.\n")
    read = read_corpus(corpus)
    assert [document.path for document in read.documents] == ["a.txt"]
    assert read.problems == (
        CorpusProblem(
            "sub/bad\\xff.txt", "the file name is not valid UTF-8 (byte 0xff); rename the file to build it", "error"
        ),
    )


def test_jsonl_surrogates(tmp_path):
    lines = [
        {"path": "a.txt", "title": "Bad \ud800 title", "issuer": "Ministry \udfff"},
        {"path": "b\udcff.txt", "title": "Names no file that can exist"},
    ]
    manifest = "".join(json.dumps(line) + "\n" for line in lines)  # ASCII JSON: "\ud800" escapes
    corpus = write_corpus(tmp_path / "corpus", {"a.txt": "Welders use SQL.\n"})
    (corpus / "manifest.jsonl").write_text(manifest, encoding="utf-8")

    read = read_corpus(corpus)

    (document,) = read.documents
    assert (document.title, document.issuer) == ("Bad \ufffd title", "Ministry \ufffd")
    replaced = "holds 1 lone surrogate(s) (\\ud800 to \\udfff), which are not characters; replaced by U+FFFD"
    assert problems(read) == [
        (
            "b\\xff.txt",
            "error",
            "manifest.jsonl line 2: the file name is not valid UTF-8 (byte 0xff); rename the file to build it",
        ),
        ("manifest.jsonl", "warning", f"manifest.jsonl line 1: issuer {replaced}"),
        ("manifest.jsonl", "warning", f"manifest.jsonl line 1: title {replaced}"),
    ]


def test_api_extract_refuses_lone_surrogates():
    with pytest.raises(ValueError) as raised:
        chaingraph.extract("\ud800")
    assert isinstance(raised.value, TextError)
    assert (
        str(raised.value)
        == "a lone surrogate U+D800 at offset 0 is not a character (1 such character); give Unicode text"
    )
    with pytest.raises(TextError, match=re.escape("byte 0xff at offset 8 is not valid UTF-8 (2 such characters)")):
        chaingraph.extract("Welders \udcff\udcfe read.")


# --- an empty or unreadable corpus -------------------------------------------------------------


def test_manifest_paths_no_file_can_have(tmp_path):
    """Found by the fuzz suite: a NUL or a name longer than the file system allows aborted the whole read."""
    long_name = "a" * 300 + ".txt"
    corpus = write_corpus(tmp_path / "corpus", {"b.txt": "Welders use SQL.\n"})
    rows_ = [{"path": "x\x00.txt"}, {"path": long_name}, {"path": "b.txt", "lang": "aa-0"}]
    (corpus / "manifest.jsonl").write_text("\n".join(json.dumps(row) for row in rows_) + "\n", encoding="utf-8")

    read = read_corpus(corpus)

    assert [d.path for d in read.documents] == ["b.txt"]
    assert read.documents[0].lang == "en"  # "aa-0" is no BCP 47 tag (a one-letter subtag opens an extension)
    assert problems(read) == [
        (long_name, "error", "listed in manifest.jsonl line 2 but the file does not exist"),
        (
            "b.txt",
            "warning",
            "manifest.jsonl line 3: lang 'aa-0' is not a BCP-47 tag such as 'en' or 'zh-CN'; detecting it",
        ),
        ("x\x00.txt", "error", "manifest.jsonl line 1: the path holds a NUL character, which no file name can"),
    ]
    nul = next(problem for problem in read.problems if problem.path.startswith("x"))
    assert str(nul).startswith("error: x\\x00.txt: ")  # printed escaped, on one line


def test_problem_lines_escape_line_breaks_and_controls():
    problem = CorpusProblem("\n0.txt", "bad \x1b[31m\u2028 text")
    assert str(problem) == "error: \\n0.txt: bad \\x1b[31m\\u2028 text"


class TestEmptyCorpus:
    @pytest.fixture
    def store(self, tmp_path, mini_env):
        store = tmp_path / "store"
        corpus = write_corpus(tmp_path / "first", {"a.txt": "Welders use SQL and Tableau.\n"})
        assert api.build(corpus, store).documents == 1
        return store

    def test_empty_folder_leaves_the_store_as_it_was(self, tmp_path, store):
        before = all_quads(store)
        empty = tmp_path / "empty"
        empty.mkdir()
        (empty / "notes.csv").write_text("not,a,document\n", encoding="utf-8")
        with pytest.raises(EmptyCorpusError) as raised:
            api.build(empty, store)
        assert raised.value.problems == ()
        assert str(raised.value) == (
            f"corpus folder {str(empty)!r}: it holds no .txt, .md, .html, .pdf or .docx document; the store was "
            "left as it was (--allow-empty builds it anyway, removing every document from the store)"
        )
        assert all_quads(store) == before

        report = api.build(empty, store, allow_empty=True)
        assert (report.documents, report.removed) == (0, 1)
        assert api.stats(store)["documents"] == 0
        # The record of that build does not excuse the next one from the check.
        with pytest.raises(EmptyCorpusError):
            api.build(empty, store)

    def test_every_file_failed(self, tmp_path, store):
        before = all_quads(store)
        corpus = write_corpus(tmp_path / "broken", {"empty.txt": "", "noise.html": random.Random(2).randbytes(900)})
        with pytest.raises(EmptyCorpusError, match="none of its files could be read \\(2 failed\\)") as raised:
            api.build(corpus, store)
        assert [(problem.path, problem.severity) for problem in raised.value.problems] == [
            ("empty.txt", "error"),
            ("noise.html", "error"),
        ]
        assert all_quads(store) == before

    def test_only_links_outside(self, tmp_path, store, outside):
        before = all_quads(store)
        corpus = tmp_path / "links"
        corpus.mkdir()
        (corpus / "secret.txt").symlink_to(outside / "secret.txt")
        with pytest.raises(EmptyCorpusError, match=re.escape(": no document was read (1 file(s) skipped); ")):
            api.build(corpus, store)
        assert all_quads(store) == before
        assert api.build(corpus, store, follow_links=True).documents == 1

    def test_command_line(self, tmp_path, store):
        before = all_quads(store)
        corpus = write_corpus(tmp_path / "broken", {"empty.txt": ""})
        result = run("build", str(corpus), "--store", str(store))
        assert result.exit_code == EXIT_FAILURE
        assert result.stderr.splitlines() == [
            "error: empty.txt: empty: no text after extraction",
            f"error: corpus folder {str(corpus)!r}: none of its files could be read (1 failed); the store was left "
            "as it was (--allow-empty builds it anyway, removing every document from the store)",
        ]
        assert result.stdout == ""
        assert all_quads(store) == before

        result = run("build", str(corpus), "--store", str(store), "--allow-empty")
        assert result.exit_code == EXIT_PARTIAL, result.output
        assert "built 0 documents" in result.stdout
        assert api.stats(store)["documents"] == 0


# --- the command line: one line, the documented exit code --------------------------------------


class TestCommandLine:
    def test_links_and_bad_names_in_a_build(self, tmp_path, outside, mini_env):
        corpus = write_corpus(tmp_path / "corpus", {"a.txt": "Welders use SQL.\n"})
        (corpus / "secret.txt").symlink_to(outside / "secret.txt")
        with open(os.fsencode(corpus) + b"/bad\xfe.txt", "wb") as stream:
            stream.write(b"Welders use Tableau.\n")
        store = tmp_path / "store"

        result = run("build", str(corpus), "--store", str(store))

        assert result.exit_code == EXIT_PARTIAL
        assert result.stderr.splitlines() == [
            "error: bad\\xfe.txt: the file name is not valid UTF-8 (byte 0xfe); rename the file to build it",
            f"warning: secret.txt: {outside_reason(outside / 'secret.txt')}",
            "partial build: 1 file(s) could not be built",
        ]
        paths = "SELECT ?p WHERE { ?d a cg:Document ; cg:sourcePath ?p }"
        assert rows(store, paths) == [("a.txt",)]

        result = run("build", str(corpus), "--store", str(store), "--follow-links")
        assert result.exit_code == EXIT_PARTIAL
        assert rows(store, paths) == [("a.txt",), ("secret.txt",)]

    def test_extract_text_with_bytes_that_are_not_utf8(self):
        """Through a real process: the shell hands over bytes, Python keeps the bad ones as surrogates."""
        command = [sys.executable, "-m", "chaingraph", "extract", "--text", b"Welders \xff read blueprints."]
        env = {**os.environ, "PYTHONUTF8": "1"}  # argv decoded as UTF-8 whatever the locale
        result = subprocess.run(command, capture_output=True, timeout=120, cwd=REPO, env=env)
        assert result.returncode == EXIT_USAGE
        assert result.stdout == b""
        assert result.stderr.decode("utf-8").splitlines() == [
            "error: --text: byte 0xff at offset 8 is not valid UTF-8 (1 such character); give Unicode text"
        ]

    def test_extract_file_names_reader_warnings(self, tmp_path, mini_env):
        pdf = tmp_path / "damaged.pdf"
        pdf.write_bytes(b"junk\n" + minimal_pdf(["Welders read blueprints."]))
        result = run("extract", str(pdf))
        assert result.exit_code == 0
        assert result.stderr.splitlines() == [f"warning: {pdf}: {note}" for note in _pypdf_notes(pdf.read_bytes())]

    def test_missing_corpus_folder(self, tmp_path):
        result = run("build", str(tmp_path / "nowhere"), "--store", str(tmp_path / "store"))
        assert result.exit_code == EXIT_FAILURE
        assert result.stderr.splitlines() == [f"error: corpus folder {str(tmp_path / 'nowhere')!r} does not exist"]

    def test_log_file_keeps_the_traceback(self, tmp_path):
        log = tmp_path / "chaingraph.log"
        empty = tmp_path / "empty"
        empty.mkdir()
        result = run("--log", str(log), "build", str(empty), "--store", str(tmp_path / "store"))
        assert result.exit_code == EXIT_FAILURE
        assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
        written = log.read_text(encoding="utf-8")
        assert "Traceback (most recent call last)" in written
        assert "chaingraph.corpus.folder.EmptyCorpusError: corpus folder" in written
        # The log is closed with the command.
        assert all(getattr(handler, "baseFilename", None) != str(log) for handler in logging.getLogger().handlers)

    def test_internal_error_is_one_line(self, tmp_path, monkeypatch):
        def broken(store=None):
            raise KeyError("documents")  # a bug, not something a user did

        monkeypatch.setattr(api, "stats", broken)
        result = run("stats", "--store", str(tmp_path / "store"))
        assert result.exit_code == EXIT_FAILURE
        assert result.stderr.splitlines() == [
            "internal error: KeyError: 'documents' (run with chaingraph --log FILE ... for the details)"
        ]

        log = tmp_path / "details.log"
        result = run("--log", str(log), "stats", "--store", str(tmp_path / "store"))
        assert result.stderr.splitlines() == [f"internal error: KeyError: 'documents' (details in {log})"]
        written = log.read_text(encoding="utf-8")
        assert 'raise KeyError("documents")' in written and "Traceback (most recent call last)" in written

    def test_log_file_that_cannot_be_written_is_a_usage_error(self, tmp_path):
        result = run("--log", str(tmp_path / "no" / "such" / "dir" / "x.log"), "stats")
        assert result.exit_code == EXIT_USAGE
        assert "--log" in result.stderr and "cannot write" in result.stderr

    def test_reader_that_stops_early_is_not_an_error(self, tmp_path):
        """`chaingraph extract ... | head -1`: the reader leaves; the command ends quietly (exit 1, as
        Python's documentation for SIGPIPE advises), not with a traceback or an error line."""
        text = tmp_path / "long.txt"
        text.write_text("Welders write SQL. " * 20_000, encoding="utf-8")
        command = [sys.executable, "-m", "chaingraph", "extract", str(text)]
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO) as process:
            first = process.stdout.readline()
            process.stdout.close()  # more than a pipe's buffer is still to come
            stderr = process.stderr.read()
            code = process.wait(timeout=120)
        assert json.loads(first)["text"] == "Welders"
        assert (code, stderr) == (1, b"")
