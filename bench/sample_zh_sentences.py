"""Draw the sentences of the Chinese linking dev set from the laws in ``corpora/policy-cn``.

    python bench/sample_zh_sentences.py [--n 160] [--seed 4754] [--out bench/data/zh_dev_sentences.jsonl]
    python bench/sample_zh_sentences.py --check      # the committed file holds exactly this draw

Sentences
    Only the body of each law is used: the title and history block above ``<!-- INFO END -->`` and
    the chapter headings (lines starting with ``#``) are skipped. Each remaining line is a
    paragraph, cut after every 。！？； (the mark stays with its sentence). A leading article number
    (``第十二条``) is left out of the sentence, surrounding white space is trimmed, and a sentence
    of fewer than ``MIN_CHARS`` characters is dropped. A text that occurs more than once (the 1996
    and 2022 vocational education laws share whole articles) is kept at its first occurrence only,
    in file-name order.

The draw
    Stratified, seeded (``random.Random(seed)``): half the sentences (rounded up) come from those
    holding at least one of ``KEYWORDS``, domain words that often sit in or next to a name of a
    programme, occupation, skill, industry or technology; the rest are drawn uniformly from all
    the sentences not yet drawn. The keyword test is a plain substring test, independent of the
    linker, so the set does not favour what the linker already finds.

The output
    One JSON object per line, in file and offset order: ``id``, ``source`` (file name), ``start``
    and ``end`` (character offsets into the file, ``text == file[start:end]``), ``stratum``
    (``keyword`` or ``uniform``) and ``text``; then the hand annotation, ``mentions`` and ``gaps``
    (see ``bench/data/README_zh_dev.md``). When the output file exists, the annotation of every
    sentence that is drawn again (same source, offsets and text) is kept, so re-running the script
    never loses annotation work; a new sentence starts with empty lists.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpora" / "policy-cn"
DEFAULT_OUT = ROOT / "bench" / "data" / "zh_dev_sentences.jsonl"

KEYWORDS = ("专业", "职业", "技能", "技术", "产业", "行业", "企业", "教师", "工程", "制造", "信息", "人才")
MIN_CHARS = 8
HEADER_END = "<!-- INFO END -->"

_SENTENCE = re.compile(r"[^。！？；]+[。！？；]?")
_ARTICLE = re.compile(r"第[一二三四五六七八九十百零〇]+条[\s　]*")


def split_sentences(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` offsets of the sentences of one law's file text."""
    marker = text.find(HEADER_END)
    pos = marker + len(HEADER_END) if marker >= 0 else 0
    for line in text[pos:].splitlines(keepends=True):
        line_start, pos = pos, pos + len(line)
        if line.lstrip().startswith("#"):
            continue
        for match in _SENTENCE.finditer(line.rstrip("\r\n")):
            start, end = match.start(), match.end()
            if start == 0:
                article = _ARTICLE.match(line)
                if article:
                    start = article.end()
            piece = line[start:end]
            start += len(piece) - len(piece.lstrip())
            end -= len(piece) - len(piece.rstrip())
            if end - start >= MIN_CHARS:
                yield line_start + start, line_start + end


def all_sentences(corpus: Path = CORPUS) -> list[dict]:
    """Every distinct sentence of the laws, in file-name and offset order."""
    seen: set[str] = set()
    out = []
    for path in sorted(corpus.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for start, end in split_sentences(text):
            sentence = text[start:end]
            if sentence in seen:
                continue
            seen.add(sentence)
            out.append({"source": path.name, "start": start, "end": end, "text": sentence})
    return out


def has_keyword(sentence: str) -> bool:
    return any(word in sentence for word in KEYWORDS)


def draw(sentences: list[dict], n: int, seed: int) -> list[dict]:
    """The stratified sample, in file and offset order, with ids and strata."""
    rng = random.Random(seed)
    keyed = [i for i, s in enumerate(sentences) if has_keyword(s["text"])]
    n_keyword = min((n + 1) // 2, len(keyed))
    chosen = {i: "keyword" for i in rng.sample(keyed, n_keyword)}
    rest = [i for i in range(len(sentences)) if i not in chosen]
    chosen.update({i: "uniform" for i in rng.sample(rest, min(n - n_keyword, len(rest)))})
    sample = []
    for number, i in enumerate(sorted(chosen), start=1):
        s = sentences[i]
        sample.append(
            {
                "id": f"zhdev-{number:03d}",
                "source": s["source"],
                "start": s["start"],
                "end": s["end"],
                "stratum": chosen[i],
                "text": s["text"],
            }
        )
    return sample


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _key(record: dict) -> tuple:
    return record["source"], record["start"], record["end"], record["text"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=160, help="sentences to draw (default 160)")
    parser.add_argument("--seed", type=int, default=4754)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="only check that --out holds this draw")
    args = parser.parse_args(argv)

    sentences = all_sentences(args.corpus)
    sample = draw(sentences, args.n, args.seed)
    old = {_key(r): r for r in read_jsonl(args.out)} if args.out.exists() else {}

    if args.check:
        same = [_key(r) for r in sample] == [_key(r) for r in old.values()]
        print(f"{args.out}: {'matches' if same else 'does NOT match'} the draw (n={args.n}, seed={args.seed})")
        return 0 if same else 1

    kept = 0
    for record in sample:
        previous = old.get(_key(record))
        kept += previous is not None
        record["mentions"] = previous["mentions"] if previous else []
        record["gaps"] = previous["gaps"] if previous else []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as handle:
        for record in sample:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    n_keyword = sum(r["stratum"] == "keyword" for r in sample)
    print(
        f"{len(sentences)} distinct sentences, {sum(has_keyword(s['text']) for s in sentences)} with a keyword; "
        f"wrote {len(sample)} ({n_keyword} keyword, {len(sample) - n_keyword} uniform; "
        f"{kept} kept their annotation) to {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
