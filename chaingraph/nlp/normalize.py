"""Token normalisation shared by vocabulary labels and text, so that both match alike.

The linker matches on spaCy's ``NORM`` attribute. We set the vocabulary's ``NORM`` getter to a
light, context-free normaliser: lower case, and plural nouns / third-person verbs reduced to
their stem ("queries" -> "query", "PLCs" -> "plc"). Only ``-s`` forms are reduced: "-ing" and
"-ed" forms are left alone because they separate concepts ("engineering" is not "engineer").
A lexeme's norm is computed once per vocabulary entry, so this costs nothing per token.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from spacy.attrs import NORM
from spacy.vocab import Vocab

__all__ = ["light_norm", "install_norm", "NORM_VERSION"]

#: Bumped whenever light_norm changes: cached label indexes built with the old one are stale.
NORM_VERSION = "2"

_ACRONYM_PLURAL = re.compile(r"^[A-Z][A-Z0-9]+s$")


@functools.cache
def _plural_lemmas() -> dict[str, str]:
    """Inflected ``-s`` forms -> lemma, from spaCy's English lookup table (spacy-lookups-data)."""
    from spacy.lookups import load_lookups

    table = load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")
    lemmas: dict[str, str] = {}
    for form, lemma in table.items():
        if not isinstance(form, str) or not isinstance(lemma, str):
            continue
        form_l, lemma_l = form.lower(), lemma.lower()
        # Keep only true -s inflections: the lemma is the form minus s/es, or -ies -> -y.
        if (
            len(form_l) > 3
            and form_l.endswith("s")
            and lemma_l != form_l
            and (
                form_l[:-1] == lemma_l
                or form_l[:-2] == lemma_l
                or (form_l.endswith("ies") and form_l[:-3] + "y" == lemma_l)
            )
        ):
            lemmas[form_l] = lemma_l
    return lemmas


def light_norm(text: str) -> str:
    """The normal form of one token: lower case, ``-s`` inflections reduced.

    >>> light_norm("Queries"), light_norm("PLCs"), light_norm("engineering"), light_norm("operators")
    ('query', 'plc', 'engineering', 'operator')
    >>> light_norm("process"), light_norm("processes"), light_norm("analysis"), light_norm("SQL")
    ('process', 'process', 'analysis', 'sql')
    """
    if not text.isascii():
        # Full-width letters and digits ("ＰＬＣ", "３Ｄ") are the same word as their ASCII forms.
        text = unicodedata.normalize("NFKC", text)
    if _ACRONYM_PLURAL.match(text):
        return text[:-1].lower()
    lower = text.lower()
    if lower.endswith("s") and len(lower) > 3 and lower.isalpha():
        known = _plural_lemmas().get(lower)
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


def install_norm(vocab: Vocab) -> None:
    """Make ``vocab`` compute ``NORM`` with :func:`light_norm`, including lexemes it already holds."""
    vocab.lex_attr_getters[NORM] = light_norm
    for lexeme in vocab:
        lexeme.norm_ = light_norm(lexeme.orth_)
