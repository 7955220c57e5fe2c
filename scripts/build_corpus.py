"""Build the bundled demo corpus ``corpora/`` from the public sources in ``shared/data``.

One coherent sector, advanced manufacturing and ICT, in three kinds of document:

- curricula: CIP 2020 programme definitions (``curricula/cip-<code>.md``);
- occupational standards: O*NET 29.2 descriptions and task statements (``standards/onet-<code>.txt``);
- policy: the US Perkins V act (20 U.S.C. ch. 44) split at its subchapter parts
  (``policy/perkins-v-part-<n>.html``).

plus ``manifest.csv`` (metadata, ``about`` codes) and ``README.md`` (sources and licences).
The output is deterministic: re-running with the same sources rewrites nothing.

Usage::

    python scripts/build_corpus.py [--data ../shared/data] [--out corpora]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import html
import io
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "corpora"

#: CIP 2020 programmes: computing, engineering, engineering technology, maintenance and precision
#: production programmes that feed manufacturing and ICT occupations.
CIP_CODES = (
    # 11 Computer and Information Sciences
    "11.0101", "11.0102", "11.0103", "11.0201", "11.0701", "11.0802", "11.0901", "11.0902",
    "11.1001", "11.1003", "11.1006",
    # 14 Engineering
    "14.0901", "14.0903", "14.1001", "14.1901", "14.3501", "14.3601", "14.4101", "14.4201",
    "14.4701",
    # 15 Engineering/Engineering-related Technologies/Technicians
    "15.0303", "15.0403", "15.0405", "15.0406", "15.0407", "15.0612", "15.0613", "15.0614",
    "15.0616", "15.0702", "15.0805", "15.1201", "15.1302", "15.1307",
    # 47 Mechanic and Repair Technologies
    "47.0105", "47.0303",
    # 48 Precision Production
    "48.0501", "48.0507", "48.0508", "48.0510",
)  # fmt: skip

#: O*NET-SOC occupations of the same sector: computer occupations, engineers, engineering
#: technicians, production and maintenance workers and their managers. (CNC operators and
#: programmers are 51-9161/51-9162 in the O*NET-SOC 2019 taxonomy, not 51-4011/51-4012.)
ONET_CODES = (
    "11-3051.00", "11-9041.00",
    "15-1211.00", "15-1212.00", "15-1221.00", "15-1231.00", "15-1241.00", "15-1244.00",
    "15-1251.00", "15-1252.00", "15-1253.00", "15-1299.08", "15-2051.00",
    "17-2061.00", "17-2071.00", "17-2072.00", "17-2112.00", "17-2112.03", "17-2131.00",
    "17-2141.00", "17-2199.05", "17-2199.08",
    "17-3012.00", "17-3013.00", "17-3023.00", "17-3024.00", "17-3024.01", "17-3026.00",
    "17-3027.00", "17-3028.00",
    "49-2094.00", "49-9041.00",
    "51-1011.00", "51-2022.00", "51-4041.00", "51-4111.00", "51-4121.00", "51-4122.00",
    "51-9161.00", "51-9162.00",
)  # fmt: skip

PERKINS_FILE = "policy-texts-en/us_20USC_ch44_perkins_v_career_technical_education.txt"
CIP_FILE = "cip2020/CIPCode2020.csv"
ONET_DIR = "onet-29.2"

MANIFEST_COLUMNS = ("path", "title", "kind", "lang", "date", "issuer", "about")
CN_POLICY_DIR = "policy-texts-cn"
GENERATED_DIRS = ("curricula", "standards", "policy", "policy-cn")

ONET_ATTRIBUTION = (
    "This product includes information from the O*NET 29.2 Database by the U.S. Department of "
    "Labor, Employment and Training Administration (USDOL/ETA). Used under the CC BY 4.0 license. "
    "O*NET® is a trademark of USDOL/ETA."
)


@dataclass(frozen=True)
class Item:
    """One generated document: where it goes, its content and its manifest row."""

    path: str
    content: str
    title: str
    kind: str
    date: str
    issuer: str
    about: str
    lang: str = "en"


def squash(text: str) -> str:
    """Collapse runs of whitespace (the CIP file has double spaces after full stops)."""
    return " ".join(text.split())


def curricula(data: Path) -> Iterator[Item]:
    """One Markdown file per CIP programme: title, definition, examples, cross-references."""
    with open(data / CIP_FILE, encoding="utf-8-sig", newline="") as handle:
        # Codes stay text: "01.0101" must keep its leading zero.
        rows = {row["CIPCode"].strip(): row for row in csv.DictReader(handle)}
    for code in CIP_CODES:
        row = rows.get(code)
        if row is None:
            raise SystemExit(f"CIP code {code} is not in {CIP_FILE}")
        if row["Action"].strip().lower().startswith(("deleted", "moved")):
            raise SystemExit(f"CIP code {code} is {row['Action'].strip()!r} in CIP 2020")
        title = squash(row["CIPTitle"]).rstrip(".")
        paragraphs = [f"# {title}", squash(row["CIPDefinition"])]
        if row["Examples"].strip():
            paragraphs.append(squash(row["Examples"]))
        if row["CrossReferences"].strip():
            paragraphs.append("Cross-references: " + squash(row["CrossReferences"]))
        yield Item(
            path=f"curricula/cip-{code}.md",
            content="\n\n".join(paragraphs) + "\n",
            title=title,
            kind="curriculum",
            date="2020",
            issuer="NCES (CIP 2020)",
            about=f"cip:{code}",
        )


def read_onet(data: Path, name: str) -> list[dict[str, str]]:
    """Rows of one gzipped O*NET TSV table (tabs inside cells were replaced upstream)."""
    with gzip.open(data / ONET_DIR / f"{name}.txt.gz", "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def standards(data: Path) -> Iterator[Item]:
    """One text file per O*NET occupation: title, description, task statements in Task ID order."""
    occupations = {row["O*NET-SOC Code"]: row for row in read_onet(data, "Occupation Data")}
    tasks: dict[str, list[tuple[int, str]]] = {}
    for row in read_onet(data, "Task Statements"):
        tasks.setdefault(row["O*NET-SOC Code"], []).append((int(row["Task ID"]), squash(row["Task"])))
    for code in ONET_CODES:
        occupation = occupations.get(code)
        if occupation is None:
            raise SystemExit(f"O*NET code {code} is not in Occupation Data")
        if not tasks.get(code):
            raise SystemExit(f"O*NET code {code} has no task statements")
        title = squash(occupation["Title"])
        paragraphs = [title, squash(occupation["Description"]), "Tasks:"]
        paragraphs.extend(task for _, task in sorted(tasks[code]))
        yield Item(
            path=f"standards/onet-{code}.txt",
            content="\n\n".join(paragraphs) + "\n",
            title=title,
            kind="standard",
            date="2025",
            issuer="USDOL/ETA (O*NET 29.2)",
            about=f"onet:{code}",
        )


@dataclass
class PolicyPart:
    """A run of Perkins V lines under one subchapter part (or the chapter's opening provisions)."""

    headings: list[tuple[int, str]]
    lines: list[str]


_SECTION = re.compile(r"^#### §\s*(\d+[a-z]?)\.")  # the source has a narrow no-break space after §
_PART = re.compile(r"^Part ([A-Z])— (.+)$")
_SUBCHAPTER = re.compile(r"^SUBCHAPTER ([IVX]+)— ")


def split_perkins(text: str) -> list[PolicyPart]:
    """Split the act at its ``Part X—`` headings; each part repeats its subchapter heading as h1."""
    parts = [PolicyPart([], [])]
    subchapter = None
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        if _SUBCHAPTER.match(line):
            subchapter = line
        elif _PART.match(line):
            if subchapter is None:
                raise SystemExit(f"{PERKINS_FILE}: {line!r} comes before any SUBCHAPTER heading")
            parts.append(PolicyPart([(1, subchapter), (2, line)], []))
        else:
            parts[-1].lines.append(line)
    return parts


def part_title(part: PolicyPart) -> str:
    """A title naming the subchapter, part and section range of one piece of the act."""
    sections = [match.group(1) for match in map(_SECTION.match, part.lines) if match]
    span = f"§§ {sections[0]}–{sections[-1]}" if len(sections) > 1 else f"§ {sections[0]}"
    if not part.headings:
        return f"Perkins V (20 U.S.C. ch. 44), general provisions ({span})"
    subchapter = _SUBCHAPTER.match(part.headings[0][1])
    part_heading = _PART.match(part.headings[1][1])
    assert subchapter and part_heading  # guaranteed by split_perkins
    return (
        f"Perkins V (20 U.S.C. ch. 44), Subchapter {subchapter.group(1)}, "
        f"Part {part_heading.group(1)}: {part_heading.group(2)} ({span})"
    )


def part_html(part: PolicyPart, title: str) -> str:
    """The part as HTML: headings by level, one <p> per paragraph, all text escaped."""
    out = io.StringIO()
    out.write('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n')
    out.write(f"<title>{html.escape(title)}</title>\n</head>\n<body>\n")
    for level, heading in part.headings:
        out.write(f"<h{level}>{html.escape(heading)}</h{level}>\n")
    for line in part.lines:
        # Markdown heading marks of the source: "#" title, "###" chapter, "####" section,
        # "#####" subsection. Sections become h3 and subsections h4 in every part.
        marks = len(line) - len(line.lstrip("#"))
        if marks:
            level = {1: 1, 2: 2, 3: 2, 4: 3}.get(marks, 4)
            body = line[marks:].strip()
            out.write(f"<h{level}>{html.escape(body)}</h{level}>\n")
        else:
            out.write(f"<p>{html.escape(line)}</p>\n")
    out.write("</body>\n</html>\n")
    return out.getvalue()


def policy(data: Path) -> Iterator[Item]:
    """The Perkins V act as one HTML file per part."""
    text = (data / PERKINS_FILE).read_text(encoding="utf-8")
    for number, part in enumerate(split_perkins(text), start=1):
        title = part_title(part)
        yield Item(
            path=f"policy/perkins-v-part-{number}.html",
            content=part_html(part, title),
            title=title,
            kind="policy",
            date="2018",
            issuer="U.S. Congress",
            about="",
        )


_CN_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")


def cn_policy(data: Path) -> Iterator[Item]:
    """The Chinese laws and local regulations, as they are, dated by their latest revision."""
    for source in sorted((data / CN_POLICY_DIR).glob("*.txt")):
        text = source.read_text(encoding="utf-8")
        heading = next(line for line in text.splitlines() if line.startswith("# "))[2:].strip()
        header = text.split("<!-- INFO END -->", 1)[0]
        # The header lists when the law was passed and each revision: the newest date is this version's.
        dates = sorted(f"{y}-{int(m):02d}-{int(d):02d}" for y, m, d in _CN_DATE.findall(header))
        date = dates[-1]
        if heading.startswith("北京市"):
            issuer = "北京市人民代表大会常务委员会"
        elif heading.startswith("宁波市"):
            issuer = "宁波市人民代表大会常务委员会"
        else:
            issuer = "全国人民代表大会常务委员会"
        yield Item(
            path=f"policy-cn/{source.name}",
            content=text,
            title=f"{heading}（{date[:4]}）",
            kind="policy",
            date=date,
            issuer=issuer,
            about="",
            lang="zh",
        )


def manifest_csv(items: list[Item]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    for item in items:
        writer.writerow([item.path, item.title, item.kind, item.lang, item.date, item.issuer, item.about])
    return out.getvalue()


def readme(items: list[Item]) -> str:
    counts = {
        kind: sum(1 for item in items if item.kind == kind and item.lang == "en")
        for kind in ("curriculum", "standard", "policy")
    }
    counts["policy-cn"] = sum(1 for item in items if item.lang == "zh")
    return f"""# chaingraph demo corpus: advanced manufacturing and ICT

Produced by `scripts/build_corpus.py` from the public sources in `shared/data`; do not edit by
hand, re-run the script instead (`python scripts/build_corpus.py`). The output is deterministic.

| folder | documents | kind | source |
|---|---|---|---|
| `curricula/` | {counts["curriculum"]} | curriculum | CIP 2020 programme titles, definitions, examples |
| `standards/` | {counts["standard"]} | standard | O*NET 29.2 occupation descriptions and task statements |
| `policy/` | {counts["policy"]} | policy | US Code Title 20, chapter 44 (Perkins V), in parts |
| `policy-cn/` | {counts["policy-cn"]} | policy (zh) | PRC laws and local regulations (education, S&T, employment) |

`manifest.csv` gives each document's title, kind, language, date, issuer and the concept it is
about (`cip:<code>` for a programme, `onet:<code>` for an occupation).

## Sources and licences

- **CIP 2020** (Classification of Instructional Programs), National Center for Education
  Statistics (NCES), US Department of Education; from `cip2020/CIPCode2020.csv`. A US federal
  work, in the public domain.
- **O*NET 29.2 Database**, tables Occupation Data and Task Statements (`onet-29.2/`). The tables
  were converted from the official Excel distribution to tab-separated text before use.

  {ONET_ATTRIBUTION}
- **US Code Title 20, chapter 44** (Career and Technical Education: the Carl D. Perkins Career and
  Technical Education Act as amended by the Strengthening Career and Technical Education for the
  21st Century Act, P.L. 115-224), §§ 2301–2414, from
  `policy-texts-en/us_20USC_ch44_perkins_v_career_technical_education.txt`. US Code text is a
  US federal work, in the public domain.

- **PRC laws and local regulations** (职业教育法 2022 and 1996, 教育法, 高等教育法, 科学技术进步法,
  促进科技成果转化法, 就业促进法, 北京市实施《职业教育法》办法, 宁波市职业教育校企合作促进条例), from
  `policy-texts-cn/`, as published by the National People's Congress database. Laws and regulations
  are excluded from copyright protection (PRC Copyright Law, Article 5).

See each source's `SOURCE.md` in `shared/data` for the exact upstream files and versions.
"""


def write_if_changed(path: Path, content: str) -> bool:
    """Write ``content`` with "\\n" newlines unless the file already holds exactly that."""
    data = content.encode("utf-8")
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def build(data: Path, out: Path) -> list[Item]:
    """Write the corpus under ``out`` and return its documents in manifest order."""
    items = [*curricula(data), *standards(data), *policy(data), *cn_policy(data)]
    written = {item.path for item in items}
    for item in items:
        write_if_changed(out / item.path, item.content)
    # Files left over from an earlier selection would be read as unlisted documents.
    for folder in GENERATED_DIRS:
        for stale in sorted((out / folder).glob("*")):
            if stale.is_file() and stale.relative_to(out).as_posix() not in written:
                stale.unlink()
    write_if_changed(out / "manifest.csv", manifest_csv(items))
    write_if_changed(out / "README.md", readme(items))
    return items


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared/data folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the corpus folder to write")
    args = parser.parse_args(argv)
    if not (args.data / CIP_FILE).is_file():
        parser.error(f"{args.data} does not look like shared/data (no {CIP_FILE})")
    items = build(args.data, args.out)
    kinds = sorted({item.kind for item in items})
    summary = ", ".join(f"{sum(item.kind == kind for item in items)} {kind}" for kind in kinds)
    print(f"wrote {len(items)} documents to {args.out} ({summary})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
