"""Write ontologies/stoplabels-en.txt: vocabulary labels too generic to link on their own.

Two sources, both kept visible in the file:
1. a curated list of words that vocabularies use as labels but that ordinary policy prose uses
   in their everyday sense ("design", "management", "support", "plan", ...);
2. every single-word label in the vocabularies whose unigram log-probability in spaCy's English
   lexeme table (spacy-lookups-data) is above THRESHOLD, i.e. a very common English word.

Re-run after the vocabularies change:  python scripts/build_stoplist.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chaingraph.nlp.gazetteer import read_concepts, vocab_files  # noqa: E402

#: Words at least this common (log-probability) are too generic as single-word labels.
#: -10.6 keeps "physics" (-10.65), "marketing" (-10.68) and "communication" (-10.82) linkable
#: and stops "management" (-10.53), "review" (-10.21), "design" (-9.59).
THRESHOLD = -10.6

CURATED = """
# everyday words of policy and programme prose that name ESCO skills or O*NET technologies
administration analysis assessment assistance business care construction
coordination development education engineering evaluation experience guidance implementation
instruction learning maintenance management manufacturing monitoring operation operations
organisation organization planning production programming project projects research science services
supervision teaching technology training transport writing
"""


def curated_words() -> list[str]:
    words = []
    for line in CURATED.splitlines():
        line = line.split("#", 1)[0]
        for word in line.split():
            words.append(word.replace("(s)", ""))
    return words


def main() -> None:
    from spacy.lookups import load_lookups

    from chaingraph.nlp.normalize import light_norm

    probs = load_lookups("en", ["lexeme_prob"]).get_table("lexeme_prob")
    common = set()
    for concept in read_concepts(vocab_files()):
        for text, lang, _kind in concept.labels:
            if lang != "en":
                continue
            words = text.strip().split()
            if len(words) == 1 and probs.get(words[0].lower(), -99.0) > THRESHOLD:
                common.add(light_norm(words[0]))
    curated = sorted({light_norm(w) for w in curated_words()})
    lines = [
        "# Labels too generic to link on their own (normalised: lower case, plural -s removed).",
        "# Produced by scripts/build_stoplist.py; edit the script, not this file.",
        "# An all-capitals acronym whose lower case is listed here (IT, ACCESS) still links, in capitals only.",
        "",
        "# curated",
        *curated,
        "",
        f"# single-word vocabulary labels with English log-probability > {THRESHOLD}",
        *sorted(common - set(curated)),
    ]
    out = ROOT / "ontologies" / "stoplabels-en.txt"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{out.relative_to(ROOT)}: {len(curated)} curated + {len(common - set(curated))} common words")


if __name__ == "__main__":
    main()
