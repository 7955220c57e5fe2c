"""Short aliases for vocabulary labels: the forms people actually write in running text.

Policy texts say "SolidWorks", "MATLAB" or "SQL", not "Dassault Systemes SolidWorks" or
"Structured query language SQL". These functions derive such forms from the official names:

* :func:`learn_vendors` finds vendor names from the data itself (a leading word sequence that
  starts several product names), and :func:`technology_aliases` strips them;
* a trailing acronym is split off when it really abbreviates the words before it;
* a trailing generic "software" and a trailing parenthetical qualifier are dropped;
* :func:`programme_aliases` shortens CIP titles; :func:`bare_form` serves ESCO labels.

They only propose aliases. Which ones are too generic to match on their own (e.g. "Word") is
the linker's decision, not this module's.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = [
    "VendorLexicon",
    "common_words",
    "learn_vendors",
    "technology_aliases",
    "is_software_category",
    "trailing_acronym",
    "drop_generic_suffix",
    "bare_form",
    "split_parenthetical",
    "programme_aliases",
    "is_usable_alias",
    "LIGHT_VERBS",
    "verb_object_aliases",
    "AcronymTable",
    "respelled",
    "irregular_plural",
]

# A label ending in a parenthetical: "Python (computer programming)" -> ("Python", "computer programming").
_TRAILING_PAREN = re.compile(r"^(?P<bare>.*?\S)\s*\((?P<inner>[^()]*)\)$")
# An acronym token: no lowercase letters, starts with a letter or digit, at least two characters.
_ACRONYM = re.compile(r"^[A-Z0-9][A-Z0-9&/+.\-]*[A-Z0-9]$")
_GENERIC_SUFFIXES = ("software",)
# Lowercase words allowed inside (not at either end of) a vendor name: "Bank of America".
_VENDOR_CONNECTORS = frozenset({"of", "and", "&", "for", "de", "la", "du", "und"})
# A leading article alone is never a vendor ("The" starts many names); "The MathWorks" can be.
_ARTICLES = frozenset({"the", "a", "an"})
# Words that mark a longer prefix as still being the company name ("Cisco Systems", "Amazon
# Web Services") rather than a product line under the vendor ("Microsoft Visual").
_CORPORATE_WORDS = frozenset(
    {
        "associates",
        "co",
        "co.",
        "communications",
        "company",
        "corp",
        "corp.",
        "corporation",
        "graphics",
        "group",
        "healthcare",
        "inc",
        "inc.",
        "informatics",
        "instruments",
        "international",
        "labs",
        "laboratories",
        "llc",
        "ltd",
        "ltd.",
        "networks",
        "reuters",
        "research",
        "robotics",
        "sciences",
        "scientific",
        "services",
        "software",
        "solutions",
        "systemes",
        "systems",
        "technologies",
        "technology",
    }
)
# A longer vendor prefix also wins when nearly every name under the shorter one continues with it
# ("Dassault" is always followed by "Systemes").
_DOMINANCE = 0.75


def _looks_like_name(token: str) -> bool:
    """Whether ``token`` reads as part of a proper name: it has a capital letter or a digit."""
    return any(ch.isupper() or ch.isdigit() for ch in token)


def _has_letter(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def is_usable_alias(alias: str, pref_label: str) -> bool:
    """Whether ``alias`` may be emitted next to ``pref_label``.

    Never empty, a single character, free of letters (purely numeric or punctuation), a bare
    generic suffix like "software", or the prefLabel itself.
    """
    alias = alias.strip()
    if len(alias) < 2 or not _has_letter(alias):
        return False
    if alias.casefold() in _GENERIC_SUFFIXES:
        return False
    return alias.casefold() != pref_label.strip().casefold()


def split_parenthetical(label: str) -> tuple[str, str] | None:
    """``(bare, qualifier)`` for a label ending in a parenthetical, else ``None``."""
    match = _TRAILING_PAREN.match(label.strip())
    if not match:
        return None
    bare = match.group("bare").strip()
    inner = match.group("inner").strip()
    if not bare or "(" in bare or ")" in bare:
        return None
    return bare, inner


def bare_form(label: str) -> str | None:
    """The label without its trailing parenthetical qualifier, if it has one worth keeping.

    ``"Python (computer programming)"`` -> ``"Python"``.
    """
    parts = split_parenthetical(label)
    if parts is None:
        return None
    bare = parts[0]
    return bare if is_usable_alias(bare, label) else None


def drop_generic_suffix(name: str) -> str | None:
    """``name`` without a trailing generic word ("... software"), or ``None`` if it has none."""
    tokens = name.split()
    if len(tokens) >= 2 and tokens[-1].casefold() in _GENERIC_SUFFIXES:
        return " ".join(tokens[:-1])
    return None


_LONG_FORM_STOPWORDS = frozenset({"a", "an", "and", "&", "for", "in", "of", "on", "or", "the", "to", "with"})
_SUBWORD_SPLIT = re.compile(r"[\s\-/]+")


def _abbreviates(acronym: str, words: list[str]) -> bool:
    """Whether ``acronym`` abbreviates ``words`` (lowercased sub-words, hyphens split).

    Each letter of the acronym either continues inside the word the previous letter came from
    ("3D" in "3DSSPP") or opens a later word; only small function words
    ("and", "of", "for") may be passed over, and the last word must be used. The first letter
    opens the first word, or is the "x" of a word starting "ex" ("XML": Extensible markup language).
    """
    chars = [ch for ch in acronym.lower() if ch.isalnum()]
    if not chars or not words:
        return False
    first = words[0]
    if first[0] == chars[0]:
        start = 1
    elif chars[0] == "x" and first.startswith("ex"):
        start = 2
    else:
        return False

    def match(ci: int, wi: int, pos: int) -> bool:
        if ci == len(chars):
            return wi == len(words) - 1
        ch = chars[ci]
        # Continue inside the current word.
        found = words[wi].find(ch, pos)
        if found >= 0 and match(ci + 1, wi, found + 1):
            return True
        # Or open a later word, passing over function words only.
        for wj in range(wi + 1, len(words)):
            if words[wj][0] == ch and match(ci + 1, wj, 1):
                return True
            if words[wj] not in _LONG_FORM_STOPWORDS:
                break
        return False

    return match(1, 0, start)


def trailing_acronym(name: str) -> tuple[str, str] | None:
    """``(acronym, long_form)`` when ``name`` ends with an acronym of the words before it.

    ``"Structured query language SQL"`` -> ``("SQL", "Structured query language")``;
    ``"Microsoft Visual Basic for Applications VBA"`` -> ``("VBA", "Visual Basic for Applications")``.
    A final all-caps token that abbreviates nothing before it ("Microsoft Dynamics GP") gives ``None``.
    """
    tokens = name.split()
    if len(tokens) < 2:
        return None
    acronym = tokens[-1]
    if not _ACRONYM.match(acronym) or not any(ch.isalpha() for ch in acronym):
        return None
    before = tokens[:-1]
    letters = sum(ch.isalnum() for ch in acronym)
    # The shortest span of trailing words the acronym abbreviates; cap the span so a short
    # acronym cannot claim a whole long name.
    for start in range(len(before) - 1, max(-1, len(before) - letters - 3), -1):
        span = before[start:]
        subwords = [w for w in _SUBWORD_SPLIT.split(" ".join(span).lower()) if w]
        if _abbreviates(acronym, subwords):
            return acronym, " ".join(span)
    return None


@dataclass(frozen=True)
class VendorLexicon:
    """Vendor-name prefixes learned from a list of product names.

    ``prefixes`` maps a vendor prefix (as a tuple of words) to how many distinct names it opens.
    """

    prefixes: dict[tuple[str, ...], int] = field(default_factory=dict)

    def __contains__(self, vendor: str) -> bool:
        return tuple(vendor.split()) in self.prefixes

    def __len__(self) -> int:
        return len(self.prefixes)

    def vendors(self) -> list[str]:
        """All learned vendor names, most frequent first."""
        ordered = sorted(self.prefixes.items(), key=lambda item: (-item[1], item[0]))
        return [" ".join(words) for words, _ in ordered]

    def vendor_of(self, name: str) -> str | None:
        """The vendor prefix to strip from ``name``, or ``None``.

        Among the learned prefixes that open ``name`` and leave a product-like remainder, start
        from the shortest and move to a longer one only when it is still the company name (it
        adds a corporate word, or the shorter prefix is nearly always followed by it).
        """
        tokens = name.split()
        matches = [
            tuple(tokens[:k])
            for k in range(1, len(tokens))
            if tuple(tokens[:k]) in self.prefixes and _looks_like_name(tokens[k])
        ]
        if not matches:
            return None
        chosen = matches[0]
        for longer in matches[1:]:
            added = longer[len(chosen) :]
            corporate = any(word.casefold() in _CORPORATE_WORDS for word in added)
            dominant = self.prefixes[longer] >= _DOMINANCE * self.prefixes[chosen]
            if corporate or dominant:
                chosen = longer
        # "Financial Industry Computer Systems Loan Accountant": a corporate word right after the
        # (at most three-word) prefix still belongs to the company name.
        rest = tokens[len(chosen) :]
        if len(rest) > 1 and rest[0].casefold() in _CORPORATE_WORDS and _looks_like_name(rest[1]):
            chosen = chosen + (rest[0],)
        return " ".join(chosen)


def _vendor_candidates(tokens: list[str], max_words: int, ordinary_words: frozenset[str]) -> Iterable[tuple[str, ...]]:
    """The leading word sequences of ``tokens`` that could be a vendor name."""
    for k in range(1, min(max_words, len(tokens) - 1) + 1):
        prefix = tokens[:k]
        if not _looks_like_name(tokens[k]):
            if tokens[k].casefold() in _VENDOR_CONNECTORS:
                continue  # "Bank of ...": a longer prefix may still be a vendor.
            # "Data entry software": a lowercase word follows, so "Data" is not a vendor here.
            break
        if k == 1 and (prefix[0].casefold() in _ARTICLES or prefix[0].casefold() in ordinary_words):
            # "Red" opens "Red Hat ..." and "Red Giant ...": a common word alone names no vendor,
            # but the longer "Red Hat" still can.
            continue
        if not _looks_like_name(prefix[0]) or not _looks_like_name(prefix[-1]):
            continue
        if any(not _looks_like_name(w) and w.casefold() not in _VENDOR_CONNECTORS for w in prefix):
            continue
        yield tuple(prefix)


_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")


def common_words(texts: Iterable[str]) -> frozenset[str]:
    """The words written in lowercase somewhere in ``texts`` (ordinary vocabulary, not names)."""
    return frozenset(token for text in texts for token in _WORD.findall(text) if token.islower())


def learn_vendors(
    names: Iterable[str],
    ordinary_words: Iterable[str] = (),
    min_names: int = 3,
    max_words: int = 3,
) -> VendorLexicon:
    """Learn vendor prefixes from product names.

    A vendor is 1..``max_words`` leading words that open ≥ ``min_names`` distinct names, each
    time followed by a capitalised product word (so "Data entry software" does not make "Data" a
    vendor). ``ordinary_words`` are lowercase words seen in ordinary running text (e.g. O*NET task
    statements): a single such word ("Data", "Medical", "Red") is never a vendor by itself.
    """
    common = frozenset(word.casefold() for word in ordinary_words)
    counts: Counter[tuple[str, ...]] = Counter()
    for name in sorted(set(names)):
        tokens = name.split()
        for prefix in _vendor_candidates(tokens, max_words, common):
            counts[prefix] += 1
    return VendorLexicon({prefix: n for prefix, n in counts.items() if n >= min_names})


def technology_aliases(name: str, vendors: VendorLexicon | None = None, category: bool = False) -> list[str]:
    """Short aliases of a technology name, in a stable order, without duplicates.

    ``"Dassault Systemes SolidWorks"`` -> ``["SolidWorks"]``;
    ``"Amazon Web Services AWS software"`` -> ``[..., "AWS", "Amazon Web Services", ...]``.
    A category of software (``category``, e.g. a UNSPSC commodity, or :func:`is_software_category`)
    only gets aliases that still end in "software": ``"LAN software"`` gets none.
    """
    name = " ".join(name.split())
    if category or is_software_category(name):
        return _category_aliases(name)
    forms = [name]
    out: list[str] = []
    paren = split_parenthetical(name)
    if paren is not None:
        bare, inner = paren
        forms.append(bare)
        if _ACRONYM.match(inner) and _has_letter(inner):
            out.append(inner)
    for form in list(forms):
        shorter = drop_generic_suffix(form)
        if shorter:
            forms.append(shorter)
    for form in forms:
        split = trailing_acronym(form)
        if split:
            out.extend(split)
    vendor = vendors.vendor_of(name) if vendors is not None else None
    if vendor:
        for form in forms:
            if paren is not None and form.endswith(")"):
                continue  # the bare form already stands for it
            if form.startswith(vendor + " "):
                rest = form[len(vendor) + 1 :].strip()
                if rest and _looks_like_name(rest.split()[0]):
                    out.append(rest)
    out.extend(forms[1:])
    return _usable(out, name)


def is_software_category(name: str) -> bool:
    """Whether ``name`` is a category of software written in common words, not a product name.

    O*NET and UNSPSC name categories in sentence case ("Data input software", "Local area
    network LAN software"): after the first word only lower-case words and acronyms. Without
    "software" such words name the activity or the thing ("data input", "a local area network"),
    so a category gets no alias that drops it. One word before "software" says nothing by its case
    ("Minitab software"), and a capitalised word marks a product ("Amazon Web Services AWS software").

    >>> is_software_category("Work order software"), is_software_category("Amazon Web Services AWS software")
    (True, False)
    """
    words = name.split()
    if len(words) < 3 or words[-1] != "software":
        return False
    inner = words[1:-1]
    return any(w.islower() for w in inner) and all(w.islower() or _ACRONYM.match(w) for w in inner)


def _category_aliases(name: str) -> list[str]:
    """A software category's aliases, all still ending in "software" ("LAN software")."""
    if not name.endswith(" software"):
        return []
    bare = " ".join(name.split()[:-1])
    out = []
    split = trailing_acronym(bare)
    if split:
        acronym, long_form = split
        out += [f"{acronym} software", f"{long_form} software"]
    return _usable(out, name)


_GENERAL_SUFFIX = re.compile(r",\s*(General|Other)$")


def programme_aliases(title: str) -> list[str]:
    """Hidden-label aliases of a CIP title.

    Drops a trailing ", General" / ", Other"; for slash titles keeps the first segment when it
    has at least two words ("Welding Technology/Welder" -> "Welding Technology", never "Welder").
    """
    title = " ".join(title.split())
    out: list[str] = []
    forms = [title]
    trimmed = _GENERAL_SUFFIX.sub("", title)
    if trimmed != title:
        forms.append(trimmed)
        out.append(trimmed)
    for form in forms:
        if "/" in form:
            first = form.split("/", 1)[0].strip()
            if len(first.split()) >= 2:
                out.append(first)
    return _usable(out, title)


def _usable(aliases: Iterable[str], pref_label: str) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for alias in aliases:
        alias = " ".join(alias.split())
        key = alias.casefold()
        if key in seen or not is_usable_alias(alias, pref_label):
            continue
        seen.add(key)
        out.append(alias)
    return out


# --- Aliases the linker generates at load time (switchable: ``generated_aliases``) -------------

#: Verbs that add nothing to the thing an ESCO skill names: "use CAD software" is the skill of
#: CAD software. Verbs that change the meaning ("teach mathematics", "design bridges") are absent.
LIGHT_VERBS = ("carry out", "use", "utilise", "utilize", "apply", "operate", "perform", "conduct", "execute", "employ")
# Words that open a clause or a qualifier: an object holding one is not a compact noun phrase.
_OBJECT_BREAKS = frozenset(
    ["to", "for", "in", "on", "of", "into", "with", "using", "utilising", "utilizing", "under", "from", "at"]
    + ["by", "as", "according", "when", "while", "during", "through", "within", "via", "and", "or", "&", "such"]
)
_MAX_OBJECT_WORDS = 4
# Objects that name the occasion, not the thing: "education activities" in a policy is no skill.
_GENERIC_OBJECTS = frozenset(["activity", "activities", "task", "tasks", "duty", "duties", "session", "sessions"])
_ADJECTIVE_ENDINGS = ("ary", "al", "ive", "ous", "ic", "able", "ible", "ful", "less", "ly")


def verb_object_aliases(label: str) -> list[str]:
    """The object of a skill label that opens with a light verb, as the skill's alias.

    ``"use CAD software"`` -> ``["CAD software", "CAD"]``; ``"operate a forklift"`` ->
    ``["forklift"]``; labels whose object carries a clause ("use tools to fix a car") give ``[]``.
    """
    label = " ".join(label.split())
    lower = label.casefold()
    for verb in LIGHT_VERBS:
        if lower.startswith(verb + " "):
            words = label[len(verb) + 1 :].split()
            break
    else:
        return []
    if words and words[0].casefold() in _ARTICLES:
        words = words[1:]
    if not words or len(words) > _MAX_OBJECT_WORDS or any(w.casefold() in _OBJECT_BREAKS for w in words):
        return []
    if words[-1].casefold() in _GENERIC_OBJECTS:
        return []
    if len(words) == 1 and words[0].casefold().endswith(_ADJECTIVE_ENDINGS):
        return []  # "apply multidisciplinary": an adjective names no thing
    obj = " ".join(words)
    out = [obj]
    shorter = drop_generic_suffix(obj)
    # "CAD software" -> "CAD", but "typesetting software" is not "typesetting".
    if shorter and _looks_like_name(shorter):
        out.append(shorter)
    return _usable(out, label)


class AcronymTable:
    """Acronyms and their expansions (``ontologies/vocab/sources/acronyms-en.csv``).

    :meth:`aliases` writes a label with its expansion abbreviated ("computer numerical control
    machine operator" -> "CNC machine operator") and with its acronym spelled out (the first
    expansion listed for it), and splits a parenthetical acronym off a label
    ("Customer Relationship Management (CRM)" -> "CRM").
    """

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.pairs = [(a.strip(), " ".join(e.split())) for a, e in pairs if a.strip() and e.strip()]
        self.expansion_of: dict[str, str] = {}
        acronym_of: dict[str, str] = {}
        for acronym, expansion in self.pairs:
            self.expansion_of.setdefault(acronym, expansion)
            acronym_of.setdefault(_expansion_key(expansion), acronym)
        self._acronym_of = acronym_of
        # Longest expansion first, so "computer numerically controlled" wins over a shorter one.
        expansions = sorted({e for _, e in self.pairs}, key=len, reverse=True)
        pattern = "|".join(_expansion_pattern(e) for e in expansions) or r"(?!)"
        self._expansions = re.compile(rf"(?<![\w\-])(?:{pattern})(?P<plural>s?)(?![\w\-])", re.IGNORECASE)
        acronyms = sorted(self.expansion_of, key=len, reverse=True)
        pattern = "|".join(re.escape(a) for a in acronyms) or r"(?!)"
        self._acronyms = re.compile(rf"(?<![\w\-/])(?:{pattern})(?![\w\-/])")

    @classmethod
    def read(cls, path) -> AcronymTable:
        """The table in the CSV file ``path`` (columns ``acronym``, ``expansion``)."""
        import csv

        with open(path, encoding="utf-8", newline="") as stream:
            return cls((row["acronym"], row["expansion"]) for row in csv.DictReader(stream))

    def aliases(self, label: str, spell_out: bool = True) -> list[str]:
        """The label with its expansions abbreviated and (``spell_out``) its acronyms spelled out.

        A label ending in a parenthetical acronym of the words before it also gives the acronym.
        """
        label = " ".join(label.split())
        out: list[str] = []
        paren = split_parenthetical(label)
        if paren is not None:
            bare, inner = paren
            words = [w for w in _SUBWORD_SPLIT.split(bare.lower()) if w]
            if _ACRONYM.match(inner) and _has_letter(inner) and _abbreviates(inner, words):
                out.append(inner)
            label = bare  # the qualifier is no part of what people write
        # "Computer aided design CAD software" already names its acronym.
        if not self._acronyms.search(label):
            short = self._expansions.sub(self._abbreviate, label)
            if short != label:
                out.append(short)
        if spell_out and not self._expansions.search(label):
            long = self._acronyms.sub(lambda m: self.expansion_of[m.group(0)], label)
            if long != label:
                out.append(long)
        return _usable(out, label)

    def _abbreviate(self, match: re.Match) -> str:
        # The plural needs no mark: "GIS" and "geographic information systems" both norm to "gis".
        found = match.group(0)[: len(match.group(0)) - len(match.group("plural"))]
        return self._acronym_of.get(_expansion_key(found), found)


def _expansion_key(text: str) -> str:
    return " ".join(w for w in re.split(r"[\s,\-]+", text.casefold()) if w)


def _expansion_pattern(expansion: str) -> str:
    # Hyphens, commas and spaces between the words vary between vocabularies.
    return r"[\s,\-]+".join(re.escape(w) for w in re.split(r"[\s,\-]+", expansion) if w)


def respelled(label: str, variant_of) -> str | None:
    """``label`` with each word that has another spelling replaced ("organise" -> "organize").

    ``variant_of`` maps a lower-case word to its variant or ``None`` (the linker passes spaCy's
    English ``lexeme_norm`` table, which holds British -> American spellings).
    """
    words = label.split()
    changed = False
    for k, word in enumerate(words):
        variant = variant_of(word.casefold()) if word.isalpha() else None
        if variant:
            words[k] = variant.capitalize() if word[:1].isupper() else variant
            changed = True
    return " ".join(words) if changed else None


def irregular_plural(label: str, plural_of) -> str | None:
    """``label`` with its last word in an irregular plural ("data analysis" -> "data analyses").

    ``plural_of`` maps a lower-case noun to its irregular plural or ``None``.
    """
    words = label.split()
    if not words or not words[-1].isalpha():
        return None
    plural = plural_of(words[-1].casefold())
    if not plural:
        return None
    return " ".join([*words[:-1], plural])
