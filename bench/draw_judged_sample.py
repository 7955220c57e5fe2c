"""Draw linked mentions of the demo corpus at random, for judging linking precision by hand.

    python bench/draw_judged_sample.py [--corpus corpora] [--n 200] [--seed 20261128]
                                       [--out bench/data/judged_mentions.jsonl] [--force]
                                       [--keep-judged EARLIER.jsonl] [--differences]

Every document of the corpus goes through its language's pipeline (English or Chinese, chosen as
the build chooses, :func:`chaingraph.builder.pipeline_language`, with the document's ``about`` as
context) once per profile: ``spine`` (vocabulary labels only), ``fast`` and ``accurate``. The pool
is the union of the *linked* mentions (concept not empty) of the fast and accurate profiles, one
item per distinct ``(document, start, end, concept)``; ``--n`` items are drawn from it uniformly
without replacement: the ``--n`` with the smallest seeded hash of their key. A hash rather than a
shuffle keeps an item's chance independent of the rest of the pool, so a redraw after a pipeline
change keeps the items still in the pool and their judgements (``--keep-judged``).

Each item records which of the three profiles produce exactly that link, so the precision of a
profile is estimated on the items it produces: for fast and accurate a uniform sample of their
own output. The spine profile's links outside the pool (the script
prints how many) are not represented.

With ``--differences`` the pool is instead the links that one of the spine and fast profiles
produces and the other does not: whether fast loses precision against the spine depends only on
them and on the precision of the links both produce. With ``--n`` at least the pool's size every
one of them is drawn (a census, no sampling error). Each item then also records ``links``: how
many links the spine and fast profiles produce and how many both do, for the comparison
``bench/eval_extraction.py`` prints.

Each line of the output is one item: ``id``, ``document`` (content hash), ``path``, ``lang``,
``start``, ``end`` (character offsets into the document text), ``text``, ``sentence`` (the text of
the sentence holding it), ``sentence_start`` (its offset), ``concept`` (IRI), ``label`` (preferred
label in the document's language, else English), ``label_en``, ``cls``, ``profiles`` and
``scores`` (per profile), and ``correct`` (null until judged) with ``reason``. Judging guidelines:
``bench/data/README_judged.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from bisect import bisect_right
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "bench" / "data" / "judged_mentions.jsonl"
PROFILES = ("spine", "fast", "accurate")
POOL_PROFILES = ("fast", "accurate")


def build(lang: str, profile: str):
    """The pipeline of one profile row (as in ``bench/eval_extraction.py``) for ``lang``."""
    from chaingraph.nlp.pipeline import build_pipeline

    if profile == "spine":
        return build_pipeline(lang, linker_config={"generated_aliases": False})
    return build_pipeline(lang, profile=profile)


def linked_mentions(documents, lang_of: dict[str, str], profile: str) -> dict[tuple, tuple]:
    """``(document id, start, end, concept)`` -> ``(mention, sentence bounds)`` for one profile."""
    from chaingraph.nlp.pipeline import extract_docs

    found: dict[tuple, tuple] = {}
    for lang in sorted(set(lang_of.values())):
        nlp = build(lang, profile)
        docs = [d for d in documents if lang_of[d.id] == lang]
        for document, extraction in zip(docs, extract_docs(nlp, [(d.text, d.about) for d in docs]), strict=True):
            sentences = sorted(extraction.sentences)
            starts = [s for s, _ in sentences]
            for mention in extraction.mentions:
                if not mention.concept:
                    continue
                index = bisect_right(starts, mention.start) - 1
                bounds = sentences[index] if index >= 0 else (mention.start, mention.end)
                found[(document.id, mention.start, mention.end, mention.concept)] = (mention, bounds)
        del nlp
    return found


def _rank(seed: int, key: tuple) -> str:
    return hashlib.sha256(f"{seed} {key[0]} {key[1]} {key[2]} {key[3]}".encode()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpora")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--force", action="store_true", help="overwrite a file that already holds judgements")
    parser.add_argument(
        "--keep-judged", type=Path, help="carry over the judgements of this earlier draw for the items drawn again"
    )
    parser.add_argument(
        "--differences", action="store_true", help="draw from the links only one of spine and fast produces"
    )
    args = parser.parse_args(argv)

    if args.out.exists() and not args.force:
        with args.out.open(encoding="utf-8") as handle:
            if any(json.loads(line).get("correct") is not None for line in handle if line.strip()):
                parser.error(f"{args.out} already holds judgements; pass --force to draw anew over them")

    from chaingraph.builder import pipeline_language
    from chaingraph.corpus import read_corpus
    from chaingraph.nlp.gazetteer import read_concepts, vocab_files

    started = time.perf_counter()
    documents = read_corpus(args.corpus).documents
    by_id = {d.id: d for d in documents}
    lang_of = {d.id: pipeline_language(d) for d in documents}
    per_profile: dict[str, dict] = {}
    for profile in PROFILES:
        try:
            per_profile[profile] = linked_mentions(documents, lang_of, profile)
        except (TypeError, ValueError, KeyError, ImportError, OSError) as error:
            # A checkout without this profile (or its model): draw from the profiles that exist.
            print(f"profile {profile} not available, left out: {type(error).__name__}: {error}", file=sys.stderr)
    pooled = [p for p in POOL_PROFILES if p in per_profile]
    if not pooled:
        parser.error("neither the fast nor the accurate profile could be built")
    pool = sorted(set().union(*(per_profile[p] for p in pooled)))
    if args.differences:
        if "fast" not in per_profile or "spine" not in per_profile:
            parser.error("--differences needs the spine and fast profiles")
        pooled = ["fast △ spine"]
        pool = sorted(set(per_profile["fast"]) ^ set(per_profile["spine"]))
    drawn = sorted(sorted(pool, key=lambda key: _rank(args.seed, key))[: args.n])
    wanted = {key[3] for key in drawn}
    labels = {c.iri: c for c in read_concepts(vocab_files()) if c.iri in wanted}

    kept: dict[tuple, dict] = {}
    if args.keep_judged:
        with args.keep_judged.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    r = json.loads(line)
                    if r.get("correct") is not None:
                        kept[(r["document"], r["start"], r["end"], r["concept"])] = r
    if args.differences:  # how many links each profile makes, and both: the same for every record
        spine, fast = set(per_profile["spine"]), set(per_profile["fast"])
        links = {"spine": len(spine), "fast": len(fast), "both": len(spine & fast)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as out:
        for number, key in enumerate(drawn, 1):
            doc_id, start, end, concept = key
            document = by_id[doc_id]
            producers = [p for p in per_profile if key in per_profile[p]]
            mention, (s_start, s_end) = per_profile[producers[0]][key]
            info = labels.get(concept)
            label_en = (info.pref_labels.get("en") or info.label("en")) if info else mention.label
            lang = document.lang or "en"
            record = {
                "id": number,
                "document": doc_id,
                "path": document.path,
                "lang": lang,
                "start": start,
                "end": end,
                "text": mention.text,
                "sentence": document.text[s_start:s_end],
                "sentence_start": s_start,
                "concept": concept,
                "label": (info.label(lang) if info else None) or label_en,
                "label_en": label_en,
                "cls": mention.cls,
                "profiles": producers,
                "scores": {p: per_profile[p][key][0].score for p in producers},
                "correct": None,
                "reason": "",
            }
            if args.differences:
                record["links"] = links
            earlier = kept.get((doc_id, start, end, concept))
            if earlier:
                record["correct"], record["reason"] = earlier["correct"], earlier.get("reason", "")
            out.write(json.dumps(record, ensure_ascii=False) + "\n")

    counts = ", ".join(f"{p} {len(found)}" for p, found in per_profile.items())
    print(f"linked mentions per profile: {counts}; pool ({' ∪ '.join(pooled)}): {len(pool)}")
    if "spine" in per_profile and not args.differences:
        print(f"spine links outside the pool (not represented): {len(set(per_profile['spine']) - set(pool))}")
    langs = {}
    for key in drawn:
        langs[lang_of[key[0]]] = langs.get(lang_of[key[0]], 0) + 1
    produced = {p: sum(1 for key in drawn if key in found) for p, found in per_profile.items()}
    print(f"drew {len(drawn)} (seed {args.seed}): by pipeline language {langs}; produced by {produced}")
    if args.keep_judged:
        carried = sum(1 for key in drawn if key in kept)
        print(f"judgements carried over from {args.keep_judged}: {carried} of {len(drawn)}")
    print(f"wrote {args.out} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
