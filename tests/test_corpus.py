"""Tests of the corpus layer: readers, manifest, folder reading and the bundled demo corpus."""

from __future__ import annotations

import codecs
import dataclasses
import hashlib
import importlib.util
import random
import sys
from collections import Counter
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from chaingraph.corpus import (
    CorpusProblem,
    Document,
    DocumentError,
    content_id,
    detect_lang,
    iter_corpus,
    read_corpus,
    read_manifest,
    read_source,
    read_text,
    split_front_matter,
)

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO / "corpora"
SHARED_DATA = REPO.parent / "shared" / "data"

ZH_SIMPLIFIED = "职业教育是与普通教育具有同等重要地位的教育类型。国家推进产教融合、校企合作。"
ZH_TRADITIONAL = "職業教育是與普通教育具有同等重要地位的教育類型。國家推進產教融合、校企合作。"


def minimal_pdf(pages: list[str]) -> bytes:
    """A valid PDF with one line of Helvetica text per page, xref offsets computed here."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    page_ids = [4 + 2 * index for index in range(len(pages))]
    kids = " ".join(f"{page_id} 0 R" for page_id in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for page_id, text in zip(page_ids, pages, strict=True):
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (page_id + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    # Each xref entry is exactly 20 bytes: 10-digit offset, 5-digit generation, flag, EOL.
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref_at)
    return bytes(out)


def make_docx(path: Path) -> None:
    document = docx.Document()
    document.add_heading("Welding programme", level=1)
    document.add_paragraph("Learners practise arc welding.")
    table = document.add_table(rows=2, cols=2)
    for (row, column), text in {
        (0, 0): "Skill",
        (0, 1): "Level",
        (1, 0): "TIG welding",
        (1, 1): "advanced",
    }.items():
        table.cell(row, column).text = text
    document.add_paragraph("")  # empty paragraphs leave no trace
    document.add_paragraph("Closing paragraph.")
    document.save(str(path))


# --- readers -----------------------------------------------------------------------------------


def test_txt_utf8_newlines_normalised(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes("Line one\r\nLine two\rLine three\nCafé\n".encode())
    assert read_text(path) == "Line one\nLine two\nLine three\nCafé\n"


def test_txt_utf8_bom(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(codecs.BOM_UTF8 + "Café policy".encode())
    assert read_text(path) == "Café policy"


def test_txt_utf16_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes("Robotics 机器人".encode("utf-16"))
    assert read_text(path) == "Robotics 机器人"


def test_txt_gb18030(tmp_path: Path) -> None:
    path = tmp_path / "zh.txt"
    path.write_bytes(ZH_SIMPLIFIED.encode("gb18030"))
    assert read_text(path) == ZH_SIMPLIFIED


def test_txt_big5(tmp_path: Path) -> None:
    path = tmp_path / "zh.txt"
    path.write_bytes(ZH_TRADITIONAL.encode("big5"))
    assert read_text(path) == ZH_TRADITIONAL


def test_markdown_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "std.md"
    path.write_text(
        "---\ntitle: Robotics Technician Standard\nkind: standard\nlang: en\ndate: 2024-05-01\n"
        'issuer: "Skills Council"\nabout: onet:17-3024.01\n---\n\n# Heading\n\nRobots need maintenance.\n',
        encoding="utf-8",
    )
    source = read_source(path)
    assert source.text == "# Heading\n\nRobots need maintenance.\n"
    assert source.title == "Heading"
    assert source.metadata == {
        "title": "Robotics Technician Standard",
        "kind": "standard",
        "lang": "en",
        "date": "2024-05-01",
        "issuer": "Skills Council",
        "about": "onet:17-3024.01",
    }
    (document,) = read_corpus(tmp_path).documents
    assert document == Document(
        id=content_id("# Heading\n\nRobots need maintenance.\n"),
        text="# Heading\n\nRobots need maintenance.\n",
        path="std.md",
        title="Robotics Technician Standard",
        kind="standard",
        lang="en",
        date="2024-05-01",
        issuer="Skills Council",
        about="https://w3id.org/chaingraph/id/onet/17-3024.01",
    )


def test_markdown_rule_is_not_front_matter() -> None:
    text = "---\nJust a rule, then prose: with a colon.\n"
    assert split_front_matter(text) == ({}, text)
    assert split_front_matter("---\nkey: value\n") == ({}, "---\nkey: value\n")  # never closed


def test_html_drops_scripts_and_keeps_paragraphs_apart(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<!DOCTYPE html><html><head><title>Skills  Plan</title><style>p {color: red}</style></head>"
        '<body><nav><a href="/">Home</a></nav>'
        '<script>document.write("secret tracking code");</script>'
        "<h1>Skills plan</h1><p>Robotics training\n   for technicians.</p>"
        "<p>Welding &amp; fabrication<br>second line</p><!-- a comment -->"
        "<div>Loose text <span>inline</span> here</div></body></html>",
        encoding="utf-8",
    )
    source = read_source(path)
    assert source.text == (
        "Skills plan\n\nRobotics training for technicians.\n\nWelding & fabrication\nsecond line"
        "\n\nLoose text inline here"
    )
    assert source.title == "Skills Plan"
    assert "secret" not in source.text and "Home" not in source.text


def test_pdf_pages_joined_by_blank_line(tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(minimal_pdf(["Hello PDF world", "Second page text"]))
    assert len(PdfReader(path, strict=True).pages) == 2  # the hand-built PDF is well formed
    assert read_text(path) == "Hello PDF world\n\nSecond page text"


def test_docx_paragraphs_and_table_cells(tmp_path: Path) -> None:
    path = tmp_path / "prog.docx"
    make_docx(path)
    assert read_text(path) == (
        "Welding programme\n\nLearners practise arc welding.\n\nSkill\n\nLevel\n\nTIG welding\n\n"
        "advanced\n\nClosing paragraph."
    )


@pytest.mark.parametrize(
    ("name", "data", "cause"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.md", b"  \n\t\r\n", "empty"),
        ("nul.txt", b"abc\x00def", "NUL"),
        ("junk.txt", b"\x81\xfe\x80\xff" * 50, "cannot decode"),
        ("broken.pdf", random.Random(7).randbytes(2000), "corrupt PDF"),
        ("blank.pdf", minimal_pdf([""]), "no extractable text"),
        ("notes.odt", b"whatever", "unsupported file type"),
    ],
)
def test_reader_errors(tmp_path: Path, name: str, data: bytes, cause: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DocumentError, match=cause):
        read_text(path)


def test_truncated_docx(tmp_path: Path) -> None:
    good = tmp_path / "good.docx"
    make_docx(good)
    path = tmp_path / "cut.docx"
    path.write_bytes(good.read_bytes()[:3000])
    with pytest.raises(DocumentError, match="corrupt DOCX"):
        read_text(path)


# --- identity and language ---------------------------------------------------------------------


def test_content_id_and_fingerprint(tmp_path: Path) -> None:
    assert content_id("abc") == hashlib.sha256(b"abc").hexdigest()[:24]
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "a.txt").write_text("Same words.", encoding="utf-8")
    (tmp_path / "two" / "b.md").write_text("Same words.", encoding="utf-8")
    first = read_corpus(tmp_path / "one").documents[0]
    second = read_corpus(tmp_path / "two").documents[0]
    assert first.id == second.id == content_id("Same words.")
    assert first.fingerprint != second.fingerprint  # the paths differ
    retitled = dataclasses.replace(first, title="Another title")
    assert retitled.id == first.id
    assert retitled.fingerprint != first.fingerprint


def test_detect_lang() -> None:
    assert detect_lang(ZH_SIMPLIFIED) == "zh"
    assert detect_lang("机器人技术 and robotics") == "zh"  # 5 of 16 letters: 31 %
    assert detect_lang("机器人 and robotics") == "en"  # 3 of 14 letters: 21 %
    assert detect_lang("2024 — 42") == "en"


# --- folders and manifests ---------------------------------------------------------------------


def test_folder_with_bad_inputs(tmp_path: Path) -> None:
    (tmp_path / "manifest.csv").write_text(
        "path,title,kind,lang,date,issuer,about\n"
        "good.txt,Good document,policy,en,2021-03-05,Ministry,cip:15.0613\n"
        "missing.txt,Gone,,,,,\n"
        "badabout.txt,,standard,,,,cip:not-a-code\n"
        "badkind.txt,,memo,,,,\n",
        encoding="utf-8",
    )
    (tmp_path / "good.txt").write_text("A good policy text.\n", encoding="utf-8")
    (tmp_path / "badabout.txt").write_text("Robot maintenance standard.\n", encoding="utf-8")
    (tmp_path / "badkind.txt").write_text("A memo.\n", encoding="utf-8")
    (tmp_path / "dup.txt").write_text("A good policy text.\n", encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_bytes(b" \n\t \n")
    (tmp_path / "nul.txt").write_bytes(b"text\x00with nul")
    (tmp_path / "binary.txt").write_bytes(b"\x81\xfe\x80\xff" * 50)
    (tmp_path / "broken.pdf").write_bytes(random.Random(1).randbytes(1500))
    make_docx(tmp_path / "whole.docx")
    (tmp_path / "truncated.docx").write_bytes((tmp_path / "whole.docx").read_bytes()[:2500])
    (tmp_path / "whole.docx").unlink()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "zh.txt").write_bytes(ZH_SIMPLIFIED.encode("gb18030"))
    # Never documents: the folder's README, other CSVs, hidden files and folders.
    (tmp_path / "README.md").write_text("# About this folder\n", encoding="utf-8")
    (tmp_path / "notes.csv").write_text("a,b\n", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("hidden\n", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD.txt").write_text("ref\n", encoding="utf-8")

    corpus = read_corpus(tmp_path)

    assert [document.path for document in corpus.documents] == [
        "good.txt",
        "badabout.txt",
        "badkind.txt",
        "sub/zh.txt",
    ]
    good, badabout, badkind, chinese = corpus.documents
    assert (good.title, good.kind, good.lang, good.date, good.issuer, good.about) == (
        "Good document",
        "policy",
        "en",
        "2021-03-05",
        "Ministry",
        "https://w3id.org/chaingraph/id/cip/15.0613",
    )
    assert (badabout.kind, badabout.about, badabout.title) == (
        "standard",
        None,
        "Robot maintenance standard.",
    )
    assert badkind.kind == "other"
    assert (chinese.text, chinese.lang, chinese.title) == (ZH_SIMPLIFIED, "zh", ZH_SIMPLIFIED)

    expected = {
        "missing.txt": ("error", ["manifest.csv line 3", "does not exist"]),
        "badabout.txt": ("warning", ["manifest.csv line 4", "cip:not-a-code"]),
        "badkind.txt": ("warning", ["manifest.csv line 5", "memo"]),
        "binary.txt": ("error", ["cannot decode"]),
        "blank.txt": ("error", ["empty"]),
        "broken.pdf": ("error", ["corrupt PDF"]),
        "dup.txt": ("warning", ["same text as good.txt"]),
        "empty.txt": ("error", ["empty"]),
        "nul.txt": ("error", ["NUL bytes"]),
        "truncated.docx": ("error", ["corrupt DOCX"]),
    }
    assert sorted(problem.path for problem in corpus.problems) == sorted(expected)
    for problem in corpus.problems:
        severity, fragments = expected[problem.path]
        assert problem.severity == severity, problem
        for fragment in fragments:
            assert fragment in problem.reason, problem
    assert len(corpus.errors) == 7 and len(corpus.warnings) == 3


def test_manifest_overrides_front_matter_and_defaults(tmp_path: Path) -> None:
    (tmp_path / "manifest.csv").write_bytes(
        codecs.BOM_UTF8 + b"path,title,kind,lang,date,issuer,about,notes\n"
        b"docs/std.md,Listed title,,,2020,,soc:17-2112,free comment\n"
    )
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "std.md").write_text(
        "---\ntitle: Front title\nkind: standard\nabout: cip:15.0613\n---\nIndustrial engineers plan.\n",
        encoding="utf-8",
    )
    (document,) = read_corpus(tmp_path).documents
    assert (document.title, document.kind, document.date, document.about) == (
        "Listed title",
        "standard",
        "2020",
        "https://w3id.org/chaingraph/id/onet/17-2112.00",
    )


def test_manifest_jsonl(tmp_path: Path) -> None:
    (tmp_path / "manifest.jsonl").write_text(
        '{"path": "posting.txt", "kind": "job_posting", "date": 2023, "about": "isco:7212"}\n\n{not json\n',
        encoding="utf-8",
    )
    (tmp_path / "posting.txt").write_text("Welder wanted.\n", encoding="utf-8")
    manifest = read_manifest(tmp_path)
    assert manifest.name == "manifest.jsonl"
    (entry,) = manifest.entries
    assert (entry.path, entry.line, entry.metadata.kind, entry.metadata.date, entry.metadata.about) == (
        "posting.txt",
        1,
        "job_posting",
        "2023",
        "http://data.europa.eu/esco/isco/C7212",
    )
    (problem,) = manifest.problems
    assert (problem.path, problem.severity) == ("manifest.jsonl", "error")
    assert "manifest.jsonl line 3" in problem.reason and "not valid JSON" in problem.reason


def test_manifest_structure_problems(tmp_path: Path) -> None:
    (tmp_path / "manifest.csv").write_text("file,title\na.txt,A\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("Text A\n", encoding="utf-8")
    corpus = read_corpus(tmp_path)
    assert [document.title for document in corpus.documents] == ["Text A"]  # read with defaults
    assert corpus.problems == (
        CorpusProblem("manifest.csv", "manifest.csv has no 'path' column (found: 'file', 'title'); "
                      "the manifest is ignored", "error"),
    )  # fmt: skip

    (tmp_path / "manifest.csv").write_text("path\n../outside.txt\n\na.txt\na.txt\n", encoding="utf-8")
    problems = read_manifest(tmp_path).problems
    assert [(problem.path, problem.severity) for problem in problems] == [
        ("../outside.txt", "error"),
        ("a.txt", "warning"),
    ]
    assert "line 2" in problems[0].reason and "inside it" in problems[0].reason
    assert "listed again in manifest.csv line 5 (first on line 4)" in problems[1].reason


def test_default_titles(tmp_path: Path) -> None:
    (tmp_path / "long.txt").write_text("\n\n   " + "x" * 250 + "\nsecond line\n", encoding="utf-8")
    (tmp_path / "plain.md").write_text("Intro line\n\n## Later heading ##\n", encoding="utf-8")
    (tmp_path / "untitled.html").write_text("<p>First  paragraph</p><p>Second</p>", encoding="utf-8")
    titles = {document.path: document.title for document in read_corpus(tmp_path).documents}
    assert titles == {"long.txt": "x" * 200, "plain.md": "Later heading", "untitled.html": "First paragraph"}


def test_root_must_be_a_folder(tmp_path: Path) -> None:
    file = tmp_path / "a.txt"
    file.write_text("text", encoding="utf-8")
    with pytest.raises(NotADirectoryError, match="is a file"):
        iter_corpus(file)  # raised at the call, before iteration
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_corpus(tmp_path / "nowhere")


# --- bundled corpus ----------------------------------------------------------------------------


def test_bundled_corpus() -> None:
    expected = Counter(
        curriculum=len(list((CORPORA / "curricula").glob("*.md"))),
        standard=len(list((CORPORA / "standards").glob("*.txt"))),
        policy=len(list((CORPORA / "policy").glob("*.html"))) + len(list((CORPORA / "policy-cn").glob("*.txt"))),
    )
    corpus = read_corpus(CORPORA)
    assert corpus.errors == ()
    assert corpus.warnings == ()
    assert Counter(document.kind for document in corpus.documents) == expected
    assert 60 <= len(corpus.documents) <= 120
    languages = Counter(document.lang for document in corpus.documents)
    assert languages == {"en": len(corpus.documents) - 9, "zh": 9}  # the nine Chinese laws
    for document in corpus.documents:
        assert (document.about is None) == (document.kind == "policy"), document.path
    welding = next(document for document in corpus.documents if document.path == "curricula/cip-48.0508.md")
    assert welding.title == "Welding Technology/Welder"
    assert welding.about == "https://w3id.org/chaingraph/id/cip/48.0508"


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="the shared/data sources are not on this machine")
def test_build_corpus_is_deterministic_and_up_to_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("build_corpus", REPO / "scripts" / "build_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the script executes.
    monkeypatch.setitem(sys.modules, "build_corpus", module)
    spec.loader.exec_module(module)
    module.build(SHARED_DATA, tmp_path)
    built = sorted(path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*") if path.is_file())
    bundled = sorted(path.relative_to(CORPORA).as_posix() for path in CORPORA.rglob("*") if path.is_file())
    assert built == bundled
    for relative in built:
        assert (tmp_path / relative).read_bytes() == (CORPORA / relative).read_bytes(), relative
