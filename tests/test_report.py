"""The HTML report on a small corpus over the mini vocabulary: the page loads nothing from the
network, the heatmap carries the coupling worked out by hand, the files agree with the align
functions, hostile text stays text, and a real headless Chromium renders the heatmap in colour."""

from __future__ import annotations

import csv
import json
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chaingraph import api
from chaingraph.align.coupling import coupling, coupling_trend
from chaingraph.align.gaps import demand_gaps, supply_gaps
from chaingraph.align.projection import concept_graph, period_graphs
from chaingraph.align.weak_links import islands, weak_links
from chaingraph.store import open_store
from chaingraph.views import report as report_module
from chaingraph.views.report import TABLES, share_colour, write_report

HOSTILE = "<img src=x onerror=alert(1)>"
EX = "https://example.org/c/"
WELDING_PROGRAMME = "https://w3id.org/chaingraph/id/cip/48.0508"
WELDER = "https://w3id.org/chaingraph/id/onet/51-4121.06"
TOP = 30

FILES = {
    "welding.md": "# Welding Technology\n\nStudents learn SQL and PLC programming.\n\n"
    "Welders read programmable logic controller output.\n",
    "welder.txt": "Welders\n\nWelders use Tableau daily.\n",
    "notes.txt": "Teams follow a design process with information technology.\n\n"
    'Trainees use "quoted" <tools> every day.\n',
}
MANIFEST = (
    "path,title,kind,about,date\n"
    "welding.md,Welding curriculum,curriculum,cip:48.0508,2020\n"
    f"welder.txt,{HOSTILE},standard,onet:51-4121.06,2021\n"
    "notes.txt,Design notes,policy,,2021\n"
)

# The graph, by hand. Concepts: education {Welding Technology}; talent {Welders, SQL, PLC, design,
# information technology, use "quoted" <tools>} (6); industry {}; innovation {Tableau}.
# Relations: the curriculum is about the programme: teaches SQL, teaches PLC, preparesFor Welders;
# its sentences co-mention SQL+PLC and Welders+PLC. The standard is about Welders: uses Tableau.
# The notes co-mention design + information technology; "use quoted tools" stands alone.
# Share(A, B) = concepts of A related to B / concepts of A:
EXPECTED_SHARE = {
    ("education", "talent"): 1.0,  # the programme
    ("talent", "education"): 0.5,  # Welders, SQL, PLC of 6
    ("talent", "talent"): 0.8333,  # all but "use quoted tools": 5 of 6
    ("talent", "innovation"): 0.1667,  # Welders, 1 of 6
    ("innovation", "talent"): 1.0,  # Tableau
}  # every other ordered pair: 0


@pytest.fixture(scope="module")
def store(mini_ontologies, tmp_path_factory) -> Path:
    """The corpus above, built once for the module on the mini vocabulary."""
    root = tmp_path_factory.mktemp("report")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in FILES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    (corpus / "manifest.csv").write_text(MANIFEST, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHAINGRAPH_ONTOLOGIES", str(mini_ontologies))
        patch.setenv("CHAINGRAPH_CACHE", str(root / "cache"))
        report = api.build(corpus, root / "store")
    assert (report.documents, report.partial) == (3, False)
    return root / "store"


@pytest.fixture(scope="module")
def written(store, tmp_path_factory) -> Path:
    return write_report(store, tmp_path_factory.mktemp("out"), top=TOP, stamp=False)


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of <style> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def _tags(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


class TestPage:
    def test_loads_nothing_from_the_network(self, written):
        page = _tags(written.read_text(encoding="utf-8"))
        names = {tag for tag, _ in page.tags}
        assert not names & {"script", "link", "img", "iframe", "object", "embed"}
        referenced = [a.get(k) or "" for _, a in page.tags for k in ("src", "href", "xlink:href")]
        referenced += [style for style in page.styles + [a.get("style") or "" for _, a in page.tags]]
        assert not [r for r in referenced if "http://" in r or "https://" in r or "@import" in r]
        links = [a["href"] for tag, a in page.tags if tag == "a"]
        assert {f"{name}.{ext}" for name in TABLES for ext in ("csv", "json")} <= set(links)
        assert all(h.startswith("#") or (written.parent / h).is_file() for h in links)

    def test_heatmap_has_the_coupling_worked_out_by_hand(self, written):
        page = _tags(written.read_text(encoding="utf-8"))
        assert [a.get("id") for t, a in page.tags if t == "svg"].count("coupling-heatmap") == 1
        cells = [a for _, a in page.tags if "cell" in (a.get("class") or "").split()]
        assert len(cells) == 16
        found = {(c["data-source"], c["data-target"]): float(c["data-share"]) for c in cells}
        chains = ("education", "talent", "industry", "innovation")
        assert found == {(a, b): EXPECTED_SHARE.get((a, b), 0.0) for a in chains for b in chains}

    def test_hostile_title_and_label_are_text(self, written):
        html = written.read_text(encoding="utf-8")
        assert HOSTILE not in html and "<img" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html  # the weak link Welders uses Tableau cites it
        assert "use &quot;quoted&quot; &lt;tools&gt;" in html  # a label from the vocabulary, an island

    def test_labels_in_the_chosen_language_fall_back_to_english(self, store, tmp_path):
        html = write_report(store, tmp_path, lang="zh", stamp=False).read_text(encoding="utf-8")
        assert "使用工具" in html and "use &quot;quoted&quot;" not in html
        assert "Welding Technology" in html  # no Chinese label: English

    def test_output_is_deterministic_and_stamp_is_optional(self, store, written, tmp_path):
        again = write_report(store, tmp_path / "again", top=TOP, stamp=False)
        for name in ["index.html"] + [f"{t}.{e}" for t in TABLES for e in ("csv", "json")]:
            assert (again.parent / name).read_bytes() == (written.parent / name).read_bytes(), name
        stamped = write_report(store, tmp_path / "stamped", top=TOP).read_text(encoding="utf-8")
        assert "Generated " in stamped and "Generated " not in written.read_text(encoding="utf-8")

    def test_a_single_period_is_said_plainly(self, store, tmp_path, monkeypatch):
        def first_period_only(db, graph, **kwargs):
            periods = period_graphs(db, graph, **kwargs)
            return {"2020": periods["2020"]}

        monkeypatch.setattr(report_module, "period_graphs", first_period_only)
        html = write_report(store, tmp_path, stamp=False).read_text(encoding="utf-8")
        assert "All dated documents fall in one period (2020)" in html
        assert {r["period"] for r in json.loads((tmp_path / "trend.json").read_text(encoding="utf-8"))} == {"2020"}

    def test_unbuilt_store_is_an_error_naming_it(self, tmp_path):
        from chaingraph.store import StoreError

        with pytest.raises(StoreError, match="no graph has been built"):
            write_report(tmp_path / "nothing", tmp_path / "out")


class TestFiles:
    def _json(self, written, name):
        return json.loads((written.parent / f"{name}.json").read_text(encoding="utf-8"))

    def _csv(self, written, name):
        with (written.parent / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    def test_json_files_are_the_align_records(self, store, written):
        db = open_store(store)
        graph = concept_graph(db)
        assert self._json(written, "coupling") == coupling(graph)
        assert self._json(written, "demand_gaps") == demand_gaps(graph)
        assert self._json(written, "supply_gaps") == supply_gaps(graph)
        assert self._json(written, "islands") == islands(graph)
        assert self._json(written, "trend") == coupling_trend(period_graphs(db, graph))
        fragile = self._json(written, "weak_links")
        assert [{k: v for k, v in r.items() if k != "evidence"} for r in fragile] == weak_links(graph, limit=TOP)
        uses = next(r for r in fragile if (r["source"], r["target"]) == (WELDER, EX + "tableau"))
        assert uses["evidence"] == [
            {"document": HOSTILE, "path": "welder.txt", "sentence": "Welders use Tableau daily."}
        ]

    def test_the_hand_worked_gaps_and_islands(self, written):
        assert [g["concept"] for g in self._json(written, "demand_gaps")] == [EX + "tableau"]
        assert [g["concept"] for g in self._json(written, "supply_gaps")] == [EX + "sql"]
        assert [i["concepts"] for i in self._json(written, "islands")] == [[EX + "design", EX + "it"], [EX + "quote"]]
        assert {r["period"] for r in self._json(written, "trend")} == {"2020", "2021"}

    def test_csv_files_hold_the_same_rows(self, written):
        for name in TABLES:
            records, rows = self._json(written, name), self._csv(written, name)
            assert len(rows) == len(records), name
        shares = {(r["source"], r["target"]): float(r["share"]) for r in self._csv(written, "coupling")}
        assert shares == {(r["source"], r["target"]): r["share"] for r in self._json(written, "coupling")}
        (gap,) = self._csv(written, "demand_gaps")
        assert (gap["label"], gap["demanders"], gap["hot"]) == ("Tableau", "Welders", "false")

    def test_suggestions_are_those_of_suggest_links(self, store, written):
        from chaingraph.align.suggest import enrich_with_vocabulary, suggest_links

        graph = concept_graph(open_store(store))
        enrich_with_vocabulary(graph, open_store(store))
        expected = suggest_links(graph, "Programme", "Occupation", 3)
        assert expected, "the test corpus should give at least one suggestion"
        assert self._json(written, "suggestions") == json.loads(json.dumps(expected))


def test_cli_prints_the_page_path(store, tmp_path):
    from chaingraph.cli import app

    result = CliRunner().invoke(app, ["report", "--store", str(store), "--out", str(tmp_path), "--top", "5"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(tmp_path / "index.html")
    result = CliRunner().invoke(app, ["report", "--store", str(tmp_path / "none"), "--out", str(tmp_path / "x")])
    assert result.exit_code == 1 and "no graph has been built" in " ".join(result.stderr.split())


# ---------------------------------------------------------------------- in a real browser


def _chromium() -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.fail(
            "chromium is not installed, and the report's browser check needs it: "
            "apt-get install -y chromium (CI installs it in .ci/run)"
        )
    return binary


def _png_pixels(path: Path) -> tuple[int, int, list[bytes], int]:
    """Width, height, rows of bytes and bytes per pixel of an 8-bit RGB or RGBA, non-interlaced PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, chunks = 8, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert (depth, interlace) == (8, 0) and colour in (2, 6), "unexpected PNG layout"
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(b"".join(chunks)), width * bpp
    rows, prior = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        if kind == 1:  # sub
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind == 2:  # up
            line = bytearray((a + b) & 255 for a, b in zip(line, prior, strict=True))
        elif kind == 3:  # average
            for i in range(stride):
                line[i] = (line[i] + ((line[i - bpp] if i >= bpp else 0) + prior[i]) // 2) & 255
        elif kind == 4:  # paeth
            for i in range(stride):
                a, b, c = (line[i - bpp] if i >= bpp else 0), prior[i], (prior[i - bpp] if i >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prior = line
    return width, height, rows, bpp


def test_chromium_renders_the_heatmap_and_keeps_hostile_text_inert(written, tmp_path):
    binary = _chromium()
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
    url = written.resolve().as_uri()
    shot = tmp_path / "report.png"
    # Screenshot and DOM in parallel: each is a whole browser start.
    screenshot = subprocess.Popen(
        [binary, *flags, f"--user-data-dir={tmp_path / 'a'}", f"--screenshot={shot}", "--window-size=1200,1600", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    dom = subprocess.run(
        [binary, *flags, f"--user-data-dir={tmp_path / 'b'}", "--window-size=1200,1600", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    _, errors = screenshot.communicate(timeout=60)
    assert shot.is_file(), f"chromium wrote no screenshot: {errors.decode(errors='replace')[-2000:]}"

    # The DOM after parsing: the hostile title is text, no element came out of it.
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "&lt;img src=x onerror=alert(1)&gt;" in dom.stdout
    parsed = _tags(dom.stdout)
    assert not [t for t, _ in parsed.tags if t == "img"]
    assert not [a for _, attrs in parsed.tags for a in attrs if a.startswith("on")]
    assert sum(1 for _, a in parsed.tags if "cell" in (a.get("class") or "").split()) == 16

    # The heatmap is painted: the fill of the fully linked cells (education → talent and
    # innovation → talent) and of talent → education covers most of their 130 × 78 pixels.
    width, height, rows, bpp = _png_pixels(shot)
    assert (width, height) == (1200, 1600)
    for share, cells in ((1.0, 2), (0.5, 1)):
        pixel = bytes.fromhex(share_colour(share)[1:]) + (b"\xff" if bpp == 4 else b"")
        # bytes.count finds the colour fast; a match across two pixels would need both to carry
        # exactly this rare mix of channels, so the count is the number of such pixels.
        per_row = [row.count(pixel) for row in rows]
        band = [y for y, n in enumerate(per_row) if n]
        assert sum(per_row) > cells * 5000, f"heatmap colour {share_colour(share)}: {sum(per_row)} pixels"
        assert 60 <= band[-1] - band[0] < 400, f"heatmap colour {share_colour(share)} spans rows {band[0]}-{band[-1]}"
