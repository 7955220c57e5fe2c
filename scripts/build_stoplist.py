"""Write ontologies/stoplabels-en.txt: vocabulary labels too generic to link on their own.

Three sources, each kept visible in the file:
1. a curated list of words that vocabularies use as labels but that ordinary policy prose uses
   in their everyday sense ("design", "management", "support", "plan", ...);
2. every single-word label in the vocabularies whose unigram log-probability in spaCy's English
   lexeme table (spacy-lookups-data) is above THRESHOLD, i.e. a very common English word;
3. two-word verb phrases (an article may stand between) made of a generic verb and a generic
   object, which ESCO lists as skills but which any administrative sentence contains
   ("manage a process", "provide information", "review information").

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
#: Occupation names are common nouns that still name the occupation ("teacher", "doctor",
#: "manager"), so only the very commonest words are stopped for them.
OCCUPATION_THRESHOLD = -9.5

CURATED = """
# everyday words of policy and programme prose that name ESCO skills or O*NET technologies
administration analysis assessment assistance business care consultation construction
coordination development education engineering evaluation experience guidance implementation
instruction learning maintenance management manufacturing monitoring operation operations
organisation organization planning production programming project projects research science services
supervision teaching technology training transport writing
# everyday nouns that name an occupation or a programme only in rare senses
drawing model printer scribe
"""

#: Phrases that vocabularies list as labels of one specific concept but that prose uses for any
#: ("technical skills" is a hidden label of one ESCO competence).
CURATED_PHRASES = ("technical skill", "technical skills")


GENERIC_VERBS = frozenset(
    """assess coordinate create define design develop ensure evaluate handle identify implement improve
    manage monitor organise organize perform plan prepare provide review support""".split()  # noqa: SIM905
)
GENERIC_OBJECTS = frozenset(
    """action activity approach change decision design development document goal improvement information
    issue measure meeting method need objective operation outcome performance plan policy problem procedure
    process programme program progress project quality report requirement resource result review service
    solution standard strategy support system task work""".split()  # noqa: SIM905
)
ARTICLES = {"a", "an", "the"}


def is_generic_phrase(words: list[str]) -> bool:
    """A generic verb and a generic object, with at most an article between them."""
    content = [w for w in words if w not in ARTICLES]
    return len(content) == 2 and content[0] in GENERIC_VERBS and content[1] in GENERIC_OBJECTS


def curated_words() -> list[str]:
    words = []
    for line in CURATED.splitlines():
        line = line.split("#", 1)[0]
        for word in line.split():
            words.append(word.replace("(s)", ""))
    return words


def main() -> None:
    import spacy
    from spacy.lookups import load_lookups

    from chaingraph.nlp.normalize import install_norm, light_norm

    tokenizer = spacy.blank("en")
    install_norm(tokenizer.vocab)
    probs = load_lookups("en", ["lexeme_prob"]).get_table("lexeme_prob")
    common, phrases = set(), set()
    for concept in read_concepts(vocab_files()):
        for text, lang, _kind in concept.labels:
            if lang != "en":
                continue
            words = text.strip().split()
            if 2 <= len(words) <= 3:
                norms = [t.norm_ for t in tokenizer.make_doc(" ".join(words)) if not t.is_space]
                if is_generic_phrase(norms):
                    phrases.add(" ".join(norms))
            limit = OCCUPATION_THRESHOLD if concept.cls == "Occupation" else THRESHOLD
            if len(words) == 1:
                # "processes" is rarer than "process", but both link as the key "process".
                key = light_norm(words[0])
                if max(probs.get(words[0].lower(), -99.0), probs.get(key, -99.0)) > limit:
                    common.add(key)
    curated = {light_norm(w) for w in curated_words()}
    for phrase in CURATED_PHRASES:
        curated.add(" ".join(t.norm_ for t in tokenizer.make_doc(phrase) if not t.is_space))
    curated = sorted(curated)
    lines = [
        "# Labels too generic to link on their own (normalised: lower case, plural -s removed).",
        "# Produced by scripts/build_stoplist.py; edit the script, not this file.",
        "# An all-capitals acronym whose lower case is listed here (IT, ACCESS) still links, in capitals only.",
        "",
        "# curated",
        *curated,
        "",
        f"# single-word vocabulary labels with English log-probability > {THRESHOLD}"
        f" ({OCCUPATION_THRESHOLD} for occupations)",
        *sorted(common - set(curated)),
        "",
        "# generic verb + generic object",
        *sorted(phrases),
    ]
    out = ROOT / "ontologies" / "stoplabels-en.txt"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(
        f"{out.relative_to(ROOT)}: {len(curated)} curated + {len(common - set(curated))} common words"
        f" + {len(phrases)} generic phrases"
    )


if __name__ == "__main__":
    main()
