"""Alternative labels too loose to link alone: a broader kind, or a related term, not a name of the concept.

Vocabularies list among a concept's alternative labels words that are not its names. Two kinds,
both read from the vocabularies alone (:func:`loose_labels`):

**Generic occupation titles.** ESCO gives *zoo educator* the title "educator", O*NET gives
*Structural Metal Fabricators and Fitters* "Fabricator" and fifteen occupations "Equipment
Operator". In text these words name any educator, fabricator or equipment operator; linked to
the one occupation they would put a narrower concept in the graph than the text named. A title
is generic when

* one vocabulary gives it to several occupations as a non-preferred label, and it is no
  occupation's preferred label, so the words do not tell which is meant; or
* it is the concept's preferred label (or one of the occupations its label joins with "and",
  "or", "/" or commas) with its leading modifiers or its qualifier removed: "educator" of "zoo
  educator", "Technologist" of "Electrical and Electronic Engineering Technologists and
  Technicians", "Education Teacher" of "Education Teachers, Postsecondary".

Titles equal to one whole conjunct of an unqualified preferred label stay ("Controller" of
"Treasurers and Controllers"). The titles of O*NET's catch-all occupations ("Project Leader" of
"Managers, All Other") are all narrower than the concept, so none links to it.

**Related terms of skills.** ESCO's alternative and hidden labels of skills hold related terms
beside synonyms: "sustainability" of *environmental engineering*, "software design" of
*computer engineering*, "mentoring" of *advise others*, "hoppers" of *blow moulding machine
parts*. A label that shares no word (up to its first letters: "statistical" is "statistics")
with the skill's preferred label is such a term; acronyms ("PLCs") are names and stay.

Preferred labels are never affected.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from chaingraph.nlp.normalize import light_norm

__all__ = [
    "loose_labels",
    "generic_titles",
    "related_terms",
    "title_words",
    "is_head_of",
    "shares_a_word",
]

_WORD = re.compile(r"[^\W_]+")
_CONJUNCTS = re.compile(r",|/|\(|\)|\band\b|\bor\b|&", re.IGNORECASE)
_LIST_ENDS = ("and ", "or ", "& ")
#: O*NET's catch-all occupations ("Managers, All Other") are broader than any title filed under them.
_RESIDUAL = ", All Other"
_PREF = 0


def title_words(text: str) -> tuple[str, ...]:
    """The words of a title, lower case and singular: "Equipment Operators" -> ("equipment", "operator")."""
    return tuple(light_norm(w) for w in _WORD.findall(text))


def is_head_of(title: str, pref: str) -> bool:
    """Whether ``title`` is ``pref`` (or one of its conjuncts) with leading modifiers or a qualifier removed.

    A last comma part that does not continue a list ("Education Teachers, Postsecondary",
    "Production Workers, All Other") qualifies the whole title, so even a whole conjunct is broader.

    >>> is_head_of("educator", "zoo educator"), is_head_of("Fabricator", "Structural Metal Fabricators and Fitters")
    (True, True)
    >>> is_head_of("Education Teacher", "Education Teachers, Postsecondary")
    True
    >>> is_head_of("Controller", "Treasurers and Controllers")
    False
    >>> is_head_of("paramedic", "paramedic in emergency responses")
    False
    """
    words = title_words(title)
    if not words:
        return False
    head, comma, qualifier = pref.rpartition(",")
    qualified = bool(comma) and not qualifier.strip().lower().startswith(_LIST_ENDS)
    named = head if qualified else pref
    parts = [p for p in (title_words(part) for part in [*_CONJUNCTS.split(named), named]) if p]
    if not qualified and words in parts:
        return False
    n = len(words)
    return any(len(p) >= n and p[-n:] == words for p in parts) and (qualified or any(len(p) > n for p in parts))


def generic_titles(labels: Iterable[tuple[int, str, str, str, int, str]]) -> set[tuple[int, str]]:
    """The ``(concept index, label text)`` pairs of English occupation titles too generic to link.

    ``labels`` holds ``(concept index, class, scheme, text, kind, English preferred label)`` for
    every label; kinds as in :mod:`chaingraph.nlp.gazetteer` (0 = preferred).
    """
    carriers: dict[tuple[str, tuple[str, ...]], set[int]] = defaultdict(set)
    preferred: set[tuple[str, ...]] = set()
    candidates = []
    for index, cls, scheme, text, kind, pref in labels:
        if cls != "Occupation":
            continue
        words = title_words(text)
        if kind == _PREF:
            preferred.add(words)
            continue
        carriers[(scheme, words)].add(index)
        candidates.append((index, text, words, pref))
    # One vocabulary giving a title to several occupations shows it generic for all of them: the
    # other vocabularies' single carrier ("computer operator" of ESCO's ICT technician) included.
    shared = {words for (_scheme, words), found in carriers.items() if len(found) > 1} - preferred
    generic = set()
    for index, text, words, pref in candidates:
        if words in shared or is_head_of(text, pref) or pref.endswith(_RESIDUAL):
            generic.add((index, text))
    return generic


#: Words too slight to make two labels related.
_SLIGHT = frozenset(["a", "an", "the", "of", "and", "or", "to", "in", "for", "with", "on", "by", "as", "at"])
_STEM = 5  # letters: "statistical" and "statistics", "computing" and "computer" share a word
_ACRONYM = re.compile(r"[A-Z].*[A-Z]")


def _words(text: str) -> list[str]:
    return [w for w in (light_norm(w) for w in _WORD.findall(text)) if w not in _SLIGHT and len(w) > 2]


def _same_stem(a: str, b: str) -> bool:
    """Whether two words begin alike: "statistical"/"statistics", "team"/"teamwork"."""
    n = min(_STEM, len(a), len(b))
    return a[:n] == b[:n]


def shares_a_word(label: str, pref: str) -> bool:
    """Whether two labels share a word, up to its first letters.

    >>> shares_a_word("statistical methods", "statistics"), shares_a_word("sustainability", "environmental engineering")
    (True, False)
    >>> shares_a_word("teamwork", "work in teams")
    True
    """
    theirs = _words(pref)
    return any(_same_stem(word, other) for word in _words(label) for other in theirs)


def related_terms(labels: Iterable[tuple[int, str, str, str, int, str]]) -> set[tuple[int, str]]:
    """The ``(concept index, label text)`` pairs of English skill labels that are related terms, not names.

    ``labels`` as for :func:`generic_titles`.
    """
    return {
        (index, text)
        for index, cls, _scheme, text, kind, pref in labels
        if cls == "Skill" and kind != _PREF and pref and not _ACRONYM.search(text) and not shares_a_word(text, pref)
    }


def loose_labels(labels: Iterable[tuple[int, str, str, str, int, str]]) -> set[tuple[int, str]]:
    """Generic occupation titles and related terms of skills (module docstring), as ``(concept index, text)``."""
    labels = list(labels)
    return generic_titles(labels) | related_terms(labels)
