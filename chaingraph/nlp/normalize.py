"""Token normalisation shared by vocabulary labels and text, so that both match alike.

The linker matches on spaCy's ``NORM`` attribute. We set the vocabulary's ``NORM`` getter to a
light, context-free normaliser: lower case, and plural nouns / third-person verbs reduced to
their stem ("queries" -> "query", "PLCs" -> "plc"). Only ``-s`` forms are reduced: "-ing" and
"-ed" forms are left alone because they separate concepts ("engineering" is not "engineer").
spaCy's English lemma table (spacy-lookups-data) decides the ``-s`` forms it knows ("buses" ->
"bus"), rules the rest. A lexeme's norm is computed once per vocabulary entry, so this costs
nothing per token. The module also reads spelling variants and irregular plurals from spaCy's
tables, for the linker's generated labels.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from spacy.attrs import NORM
from spacy.vocab import Vocab

__all__ = ["light_norm", "install_norm", "NORM_VERSION", "spelling_variant", "irregular_plural_of"]

#: Bumped whenever light_norm changes: cached label indexes built with the old one are stale.
NORM_VERSION = "4"

_ACRONYM_PLURAL = re.compile(r"^[A-Z][A-Z0-9]+s$")


def _table_plural(word: str) -> str | None:
    """The lemma of a lower-case word ending in -s per spaCy's English lookup table, else None.

    Only true ``-s`` inflections count (the lemma is the form minus s/es, or -ies -> -y), so
    "buses" -> "bus" and "lenses" -> "lens", where the rules alone give "buse" and "lense"; and
    "lens" stays "lens" (the rules would give "len").
    """
    table = _lemma_table()
    lemma = table.get(word)
    if not isinstance(lemma, str):
        # A singular the table knows as the lemma of its plural ("lens" of "lenses") stays whole.
        return word if word in (table.get(word + "es"), table.get(word + "s")) else None
    lemma = lemma.lower()
    if lemma != word and (
        word[:-1] == lemma or word[:-2] == lemma or (word.endswith("ies") and word[:-3] + "y" == lemma)
    ):
        return lemma
    return None


def light_norm(text: str, lookup: bool = True) -> str:
    """The normal form of one token: lower case, ``-s`` inflections reduced.

    With ``lookup`` (the default) spaCy's lemma table decides first and the rules cover the
    words it does not know; without it the rules alone decide (the linker's behaviour up to
    LINKER_VERSION 5, kept for ``generated_aliases=False``).

    >>> light_norm("Queries"), light_norm("PLCs"), light_norm("engineering"), light_norm("operators")
    ('query', 'plc', 'engineering', 'operator')
    >>> light_norm("process"), light_norm("processes"), light_norm("analysis"), light_norm("SQL")
    ('process', 'process', 'analysis', 'sql')
    >>> light_norm("buses"), light_norm("buses", lookup=False)
    ('bus', 'buse')
    """
    if not text.isascii():
        # Full-width letters and digits ("ＰＬＣ", "３Ｄ") are the same word as their ASCII forms.
        text = unicodedata.normalize("NFKC", text)
    if _ACRONYM_PLURAL.match(text):
        return text[:-1].lower()
    lower = text.lower()
    if lower.endswith("s") and len(lower) > 3 and lower.isalpha():
        known = _table_plural(lower) if lookup else None
        if known:
            return known
        return _strip_s(lower)
    return lower


def _strip_s(word: str) -> str:
    """Rule-based ``-s`` removal for words the lookup table does not know ("operators")."""
    if word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    return word[:-1]


def install_norm(vocab: Vocab, lookup: bool = True) -> None:
    """Make ``vocab`` compute ``NORM`` with :func:`light_norm`, including lexemes it already holds."""
    norm = light_norm if lookup else _rule_norm
    vocab.lex_attr_getters[NORM] = norm
    for lexeme in vocab:
        lexeme.norm_ = norm(lexeme.orth_)


def _rule_norm(text: str) -> str:
    return light_norm(text, lookup=False)


#: Words that lexeme_norm merges with another word, or with a form rare in labels.
_NOT_VARIANTS = frozenset(["analyses", "buses", "disc", "discs", "gases", "gauge", "gauges", "aesthetic", "aesthetics"])


@functools.cache
def _lexeme_norms():
    from spacy.lookups import load_lookups

    return load_lookups("en", ["lexeme_norm"]).get_table("lexeme_norm")


@functools.cache
def spelling_variant(word: str) -> str | None:
    """The American spelling of a lower-case British word ("organise" -> "organize"), else None.

    From spaCy's English ``lexeme_norm`` table, kept to true spelling variants: same opening
    letters, nearly the same length (the table also maps slang such as "cuz" -> "because").
    """
    if word in _NOT_VARIANTS:
        return None
    from spacy.strings import hash_string

    variant = _lexeme_norms().get(hash_string(word))
    if not isinstance(variant, str) or variant == word or not variant.isalpha():
        return None
    if variant[:3] != word[:3] and variant[:1] != word[:1] or abs(len(variant) - len(word)) > 2:
        return None
    return variant


# Irregular noun plurals by the ending of the singular: "analysis" -> "analyses", "knife" -> "knives".
_PLURAL_ENDINGS = (
    ("is", "es"),
    ("fe", "ves"),
    ("f", "ves"),
    ("man", "men"),
    ("ix", "ices"),
    ("ex", "ices"),
    ("um", "a"),
)


# Plurals that are words of their own in labels ("media", "data", "bases").
_NOT_PLURALS = frozenset(["medium", "datum", "basis"])


@functools.cache
def _lemma_table():
    from spacy.lookups import load_lookups

    return load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")


@functools.cache
def irregular_plural_of(word: str) -> str | None:
    """The irregular plural of a lower-case noun that light_norm does not reduce
    ("analysis" -> "analyses", "craftsman" -> "craftsmen"), confirmed by spaCy's lemma table; else None."""
    if word in _NOT_PLURALS:
        return None
    table = _lemma_table()
    for singular_end, plural_end in _PLURAL_ENDINGS:
        if word.endswith(singular_end) and len(word) > len(singular_end) + 1:
            plural = word[: len(word) - len(singular_end)] + plural_end
            if table.get(plural) == word and light_norm(plural) != light_norm(word):
                return plural
    return None
