"""Relation cues: the words that say how two concepts of a sentence are related.

A cue is a token pattern (spaCy :class:`~spacy.matcher.Matcher`) plus a table saying, for the
class of a mention on its left and the class of a mention on its right, which relation the
sentence states and which of the two is the subject:

* "Welders **use** AutoCAD": Occupation on the left, Technology on the right → ``uses``, left
  is the subject;
* "AutoCAD is **used in** construction": Technology left, Industry right → ``uses``, the right
  one is the subject (the industry uses the technology).

A *bracket* cue encloses its left side: in "**use** robots **in** welding shops" the left side is
what stands between "use" and "in". English patterns are written on ``LOWER`` with the few
inflected forms spelled out (cheaper than a lemmatizer stage, and the verbs are few); Chinese
patterns on ``ORTH`` of the jieba words.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from spacy.attrs import LOWER, ORTH

__all__ = ["Cue", "CUES", "CUE_PATTERNS", "anchor_of"]

_EDU = ("Programme", "Course")
_DEMAND = ("Occupation", "Industry")


class Cue(NamedTuple):
    """What a matched cue means.

    ``pairs`` maps ``(left class, right class)`` to ``(predicate, left_is_subject)``; a pair not
    in the table is left to co-mention. ``about_left``: the document's subject may stand on the
    left when no mention of the sentence does ("Includes instruction in SQL" in a curriculum).
    ``bracket``: the pattern's first and last tokens enclose the left side. ``not_after``: words
    that, just before the cue, make its verb a noun ("the use of", "end-use").
    """

    name: str
    pairs: dict[tuple[str, str], tuple[str, bool]]
    about_left: bool = False
    bracket: bool = False
    not_after: frozenset[str] = frozenset()


def _table(lefts, rights, predicate: str, left_is_subject: bool = True) -> dict:
    return {(a, b): (predicate, left_is_subject) for a in lefts for b in rights}


_TEACHES = {
    **_table(_EDU, ["Skill"], "teaches"),
    **_table(_EDU, ["Technology"], "covers"),
}
_PREPARES = {**_TEACHES, **_table(_EDU, ["Occupation"], "preparesFor")}
_NEEDS = {
    **_table(_DEMAND, ["Skill"], "requires"),
    **_table(_DEMAND, ["Technology"], "uses"),
}
_NEEDED_BY = {  # "SQL is required by analysts": the right side is the subject
    **_table(["Skill"], _DEMAND, "requires", False),
    **_table(["Technology"], _DEMAND, "uses", False),
}
_NOUN_BEFORE = frozenset({"the", "a", "an", "its", "their", "this", "that", "whose", "-"})
_APPLIED = _table(["Technology"], ["Industry"], "drives")
_ENGAGED_IN = {  # 从事 / 面向: a programme prepares for the work, an occupation does it
    **_table(_EDU, ["Occupation"], "preparesFor"),
    **_table(["Occupation"], ["Industry"], "employedIn"),
    **_table(["Occupation"], ["Skill"], "requires"),
}

CUES: dict[str, Cue] = {
    cue.name: cue
    for cue in (
        Cue("instruction", _TEACHES, about_left=True),
        Cue("prepares", _PREPARES, about_left=True),
        Cue("requires", _NEEDS, about_left=True),
        Cue("required-by", _NEEDED_BY),
        Cue("uses", _NEEDS, about_left=True, not_after=_NOUN_BEFORE),
        Cue("used-in", _NEEDED_BY),
        Cue("use-in", _NEEDED_BY, bracket=True, not_after=_NOUN_BEFORE),
        Cue("applied-in", _APPLIED),
        Cue("apply-in", _APPLIED, bracket=True),
        # Chinese
        Cue("培养", _PREPARES, about_left=True),
        Cue("从事", _ENGAGED_IN, about_left=True),
        Cue("需要", _NEEDS, about_left=True),
        Cue("掌握", {**_NEEDS, **_table(_EDU, ["Skill"], "teaches")}, about_left=True),
        Cue("使用", _NEEDS, about_left=True),
        Cue("应用于", _APPLIED),
        Cue("课程包括", _TEACHES, about_left=True),
    )
}


def _any(*words: str) -> dict:
    return {"IN": list(words)}


_INCLUDE = ("include", "includes", "included", "including")
_PREPARE = ("prepare", "prepares", "prepared", "preparing")
_PEOPLE = ("individuals", "students", "graduates", "learners", "people", "persons", "trainees", "workers", "them")
_REQUIRE = ("require", "requires", "required", "requiring")
_USE = (
    "use",
    "uses",
    "used",
    "using",
    "utilize",
    "utilizes",
    "utilized",
    "utilizing",
    "utilise",
    "utilises",
    "utilised",
    "utilising",
)
_USED = ("used", "utilized", "utilised", "deployed", "adopted")
_APPLY = ("apply", "applies", "applied", "applying")
_WHERE = ("in", "across", "throughout", "within")

#: Patterns per language: cue name -> Matcher patterns.
CUE_PATTERNS: dict[str, dict[str, list[list[dict]]]] = {
    "en": {
        "instruction": [[{"LOWER": _any(*_INCLUDE), "OP": "?"}, {"LOWER": "instruction"}, {"LOWER": _any("in", "on")}]],
        "prepares": [[{"LOWER": _any(*_PREPARE)}, {"LOWER": _any(*_PEOPLE), "OP": "?"}, {"LOWER": _any("to", "for")}]],
        "requires": [[{"LOWER": _any(*_REQUIRE)}]],
        "required-by": [[{"LOWER": _any("required", "needed", "necessary")}, {"LOWER": _any("for", "by", "in")}]],
        "uses": [[{"LOWER": _any(*_USE)}]],
        "used-in": [[{"LOWER": _any(*_USED)}, {"LOWER": _any(*_WHERE, "by")}]],
        "use-in": [[{"LOWER": _any(*_USE)}, {"OP": "{1,8}"}, {"LOWER": _any(*_WHERE)}]],
        "applied-in": [[{"LOWER": _any(*_APPLY)}, {"LOWER": _any("in", "to", "within", "across")}]],
        "apply-in": [
            [{"LOWER": _any(*_APPLY)}, {"OP": "{1,8}"}, {"LOWER": _any("in", "to", "within", "across")}],
            [
                {"LOWER": _any("application", "applications")},
                {"LOWER": "of"},
                {"OP": "{1,8}"},
                {"LOWER": _any("in", "to", "within", "across")},
            ],
        ],
    },
    "zh": {
        "培养": [[{"ORTH": _any("培养", "培育")}]],
        "从事": [[{"ORTH": _any("从事", "面向")}]],
        "需要": [[{"ORTH": _any("需要", "要求", "具备", "需具备", "应具备", "需")}]],
        "掌握": [[{"ORTH": _any("掌握", "熟练掌握")}]],
        "使用": [[{"ORTH": _any("使用", "运用", "采用", "利用")}]],
        "应用于": [
            [{"ORTH": _any("应用于", "用于", "运用于", "广泛应用于")}],
            [{"ORTH": _any("应用", "广泛应用", "运用", "广泛用于")}, {"ORTH": "于"}],
        ],
        "课程包括": [
            [{"TEXT": {"REGEX": "课程|教学"}}, {"OP": "{0,3}"}, {"ORTH": _any("包括", "涵盖", "包含", "主要包括")}]
        ],
    },
}


def anchor_of(patterns: list[list[dict]]) -> tuple[int, set[str], int, int]:
    """The attribute one cue's patterns test, their anchor words, and how far a match reaches around its anchor.

    A pattern's anchor is its first required token with a literal ``LOWER``/``ORTH`` value; the
    reach is the most tokens a match can hold before and after the anchor.
    """
    attr, words, before, after = None, set(), 0, 0
    for pattern in patterns:
        sizes = [_most_tokens(token) for token in pattern]
        for k, token in enumerate(pattern):
            name = next((key for key in ("LOWER", "ORTH") if key in token), None)
            if name is None or token.get("OP") == "?":
                continue
            if attr not in (None, name):
                raise ValueError("the patterns of one cue must all test LOWER or all ORTH")
            attr = name
            value = token[name]
            words.update(value["IN"] if isinstance(value, dict) else [value])
            before, after = max(before, sum(sizes[:k])), max(after, sum(sizes[k + 1 :]))
            break
        else:
            raise ValueError(f"cue pattern {pattern!r} has no required LOWER or ORTH token to anchor it")
    return (LOWER if attr == "LOWER" else ORTH), words, before, after


def _most_tokens(token: dict) -> int:
    """How many tokens one pattern token can match; unbounded operators are refused."""
    op = token.get("OP")
    if op in (None, "!", "?", "1"):
        return 1
    bounds = re.fullmatch(r"\{(\d*),?(\d+)\}", op or "")
    if bounds is None:
        raise ValueError(f"cue pattern operator {op!r} is unbounded; use {{n,m}}")
    return int(bounds.group(2))
