"""Context rules: where the words of a label stand in a sentence for something else than the concept.

The concept linker asks :func:`read_otherwise` about every candidate of a :class:`Match`; a
``True`` drops the candidate. Each rule names a kind of context, not a word:

* **part of a longer name**: a Title-Cased skill or industry that runs on into more capitalised
  words or a number is a piece of a name ("National Center for Education *Statistics*", "*IT*
  Security", "*Public Law* 92-189"), and so is a programme's name after a capitalised modifier
  ("Total Ship *Systems Engineering*"); product names keep their sense inside a longer name
  ("Python Programming") and occupations are left to the linker's own rule for names;
* **part of a hyphenated compound**: "electro-*mechanical systems*", "waste-to-*energy
  conversion*" are other things than the span;
* **an occupation used as a tool**: "using hand tools or *welders*", "operate *laser cutters*":
  people are not used or operated, so these are the tools that share the workers' names;
* **an English industry in the plural**: sector names are mass nouns ("accommodation",
  "finance"); their plurals are things ("accommodations for students");
* **a Chinese industry word inside a department's name**: "农业农村、卫生健康等部门",
  "人力资源社会保障行政部门" name agencies;
* **a Chinese industry word naming a field of science**: "农业科学技术", "农业科技成果";
* **research and development as a firm's activity or a cost**: GB/T 4754 M73 is the R&D
  industry, while "企业科学技术研究开发仪器" (a firm's instruments) and "研究开发经费" (spending on
  R&D across all sectors) are not; the judging guidelines name "企业研究开发费用" as their example.

The linker's own tests of a match's surroundings (an occupation's or programme's name inside a
longer name or a heading, "专业" after a field's name) read the words through ``_Words``, defined
here with the rules above.
"""

from __future__ import annotations

from bisect import bisect_right

from spacy.strings import hash_string
from spacy.tokens import Doc, Span

__all__ = [
    "Match",
    "read_otherwise",
    "DEPARTMENT_HEADS",
    "OTHER_HEADS",
    "SCIENCE_WORDS",
    "IN_HOUSE_ACTIVITIES",
    "SPENDING_WORDS",
    "FIRM_WORDS",
]

#: Words that close an enumeration of government bodies ("…等有关部门", "…行政部门").
DEPARTMENT_HEADS = ("部门", "机关")
#: Other head nouns: the enumeration before them names firms, institutions or sectors.
OTHER_HEADS = ("企业", "机构", "组织", "行业", "产业", "单位", "院校", "学校", "领域")
#: Where a Chinese sentence stops being one noun phrase ("的" makes what precedes a modifier).
_ENUMERATION_BREAKS = frozenset("，。；：！？\n的与对在向为由从")
_SCAN = 160  # characters: enumerations of departments run long
#: "农业科学技术", "农业科技": the industry's word names the field of knowledge studied.
SCIENCE_WORDS = ("科学技术", "科技", "科学")
#: GB/T 4754 classes whose name is an activity every sector does in-house (research and development).
IN_HOUSE_ACTIVITIES = ("M73",)
#: What is spent on such an activity or bought for it ("研究开发经费", "研究开发仪器"): its cost, not
#: the industry's output.
SPENDING_WORDS = ("经费", "费用", "投入", "资金", "仪器", "设备")
#: A firm's own activity ("企业研究开发费用", "企业科学技术研究开发仪器").
FIRM_WORDS = ("企业", "公司")
_NAME_PART_CLASSES = frozenset(["Skill", "Industry", "Programme"])
#: Words inside a name ("Center for Education Statistics"); not "and", which joins two names.
_NAME_JOINERS = frozenset(["of", "for", "the", "on"])
#: People are not used or operated: the object of "using" is a tool ("using hand tools or welders").
_USE_WORDS = frozenset(["use", "uses", "using", "used", "operate", "operates", "operating", "operated"])
#: Words that end the object of "using" when reading back from a mention.
_OBJECT_ENDS = frozenset([".", ";", ":", "(", ")", "to", "by", "with", "for", "of", "who", "that", "which"])
_OBJECT_WINDOW = 12
# The same words as hashes (a token's ``lower``/``orth``): comparing ints spares a string per token read.
_HYPHEN = hash_string("-")
_NAME_JOINER_IDS = frozenset(map(hash_string, _NAME_JOINERS))
_USE_WORD_IDS = frozenset(map(hash_string, _USE_WORDS))
_OBJECT_END_IDS = frozenset(map(hash_string, _OBJECT_ENDS))


class Match:
    """One match of a label in a doc, with the facts of its context that every candidate shares.

    The linker asks :func:`read_otherwise` once per candidate concept of a match; what does not
    depend on the concept is worked out once, and only when a candidate's class asks for it.
    """

    __slots__ = ("doc", "start", "end", "span", "text", "_hyphenated", "_tool", "_in_a_name")

    def __init__(self, span: Span, text: str | None = None) -> None:
        self.doc, self.start, self.end = span.doc, span.start, span.end
        self.span = span
        self.text = span.text if text is None else text
        self._hyphenated: bool | None = None
        self._tool: bool | None = None
        self._in_a_name: dict[bool, bool] = {}

    @property
    def hyphenated(self) -> bool:
        if self._hyphenated is None:
            self._hyphenated = _in_hyphen_compound(self.doc, self.start, self.end)
        return self._hyphenated

    @property
    def used_as_a_tool(self) -> bool:
        if self._tool is None:
            self._tool = _used_as_a_tool(self.doc, self.start)
        return self._tool

    def part_of_a_name(self, as_modifier: bool) -> bool:
        """:func:`_part_of_a_name` of the span, worked out once per ``as_modifier``."""
        known = self._in_a_name.get(as_modifier)
        if known is None:
            known = self._in_a_name[as_modifier] = _part_of_a_name(self.doc, self.start, self.end, as_modifier)
        return known


def read_otherwise(match: Match, entry, concept) -> bool:
    """Whether ``match`` does not name ``concept`` here (``entry``: the matched label)."""
    cls = concept.cls
    text = match.text
    if match.hyphenated:
        return True
    # Occupations and programmes in running text are the linker's own name rule; a programme's
    # name after a modifier is another programme's ("Total Ship Systems Engineering"). A span
    # all in lower case is no part of a name (the test needs every word capitalised).
    if cls in _NAME_PART_CLASSES and not text.islower() and text.isascii() and match.part_of_a_name(cls != "Programme"):
        return True
    if cls == "Occupation" and match.used_as_a_tool:
        return True
    if cls != "Industry":
        return False
    if text.isascii():
        label = entry.text.lower()
        return text.lower() == label + "s" and not label.endswith("s")
    span = match.span
    full, stop = match.doc.text, span.end_char
    if _names_a_department(full, stop):
        return True
    if full.startswith(SCIENCE_WORDS, stop) and not text.endswith("服务"):
        return True  # but "资本市场服务科技创新": a service serves science
    if concept.scheme == "gbt4754" and concept.iri.rsplit("/", 1)[-1].startswith(IN_HOUSE_ACTIVITIES):
        return full.startswith(SPENDING_WORDS, stop) or full[: span.start_char].endswith(FIRM_WORDS)
    return False


def _names_a_department(text: str, stop: int) -> bool:
    """Whether the noun phrase running on from ``stop`` is closed by a word for government bodies.

    The phrase may be an enumeration ("…、农业农村、商务、…等部门"): items separated by "、" are
    read through, up to the first head noun; a clause break or "的" ends the search.
    """
    for i in range(stop, min(len(text), stop + _SCAN)):
        if text.startswith(DEPARTMENT_HEADS, i):
            return True
        if text.startswith(OTHER_HEADS, i) or text[i] in _ENUMERATION_BREAKS:
            return False
    return False


def _used_as_a_tool(doc: Doc, start: int) -> bool:
    """Whether the span is in the object of "use" ("using machine tools, hand tools, or [welders]")."""
    for i in range(start - 1, max(0, start - _OBJECT_WINDOW) - 1, -1):
        token = doc[i]
        word = token.lower
        if word in _USE_WORD_IDS:
            return True
        if word in _OBJECT_END_IDS or token.is_sent_start:
            return False
    return False


def _capitalised(token) -> bool:
    text = token.text
    return token.is_alpha and text[:1].isupper()


def _part_of_a_name(doc: Doc, start: int, end: int, as_modifier: bool = True) -> bool:
    """Whether a Title-Cased span is only part of a longer capitalised name or designation.

    A capitalised word before the span always counts; one after it (the span modifies a longer
    name: "IT Security") only ``as_modifier``.
    """
    has_words = False
    for i in range(start, end):
        token = doc[i]
        if token.is_alpha:
            if not token.text[:1].isupper():
                return False
            has_words = True
    if not has_words:
        return False
    before = start - 1
    while before > start - 3 and before >= 0 and doc[before].lower in _NAME_JOINER_IDS:
        before -= 1
    # A sentence's first word is capitalised whatever it is ("Use SQL").
    if before >= 0:
        token = doc[before]
        if _capitalised(token) and not token.is_sent_start:
            return True  # "Education [Statistics]", "Total Ship [Systems Engineering]"
    if not as_modifier:
        return False
    after = end
    n = len(doc)
    while after < n and doc[after].lower in _NAME_JOINER_IDS and after < end + 2:
        after += 1
    # "[IT] Security", "[Public Law] 92-189"
    if after >= n:
        return False
    token = doc[after]
    return _capitalised(token) or (after == end and token.text[:1].isdigit())


def _in_hyphen_compound(doc: Doc, start: int, end: int) -> bool:
    """Whether the span is glued by a hyphen to a word before or after it ("electro-mechanical")."""
    # The hyphen is read first: most spans have none beside them.
    if start >= 2:
        hyphen = doc[start - 1]
        if hyphen.orth == _HYPHEN and not hyphen.whitespace_:
            word = doc[start - 2]
            if not word.whitespace_ and word.is_alpha:
                return True
    if end + 1 < len(doc):
        hyphen = doc[end]
        if hyphen.orth == _HYPHEN and not hyphen.whitespace_ and not doc[end - 1].whitespace_ and doc[end + 1].is_alpha:
            return True
    return False


# The words around a match, for the linker's own name rule (occupations and programmes in
# running text) and its other tests: read token by token, a property table per vocabulary.

_MAJOR_WORDS = frozenset(["专业", "类", "专业类"])
_CLAUSE_END = frozenset("，。；！？,;!?\n")

# Words after a capitalised programme name that still leave it the programme's name.
_PROGRAMME_NOUNS = frozenset(
    ["program", "programme", "programs", "programmes", "degree", "diploma", "certificate", "major", "course"]
    + ["courses", "pathway", "option", "concentration", "track", "curriculum", "aas", "as", "bs", "ba"]
)
_LOWER_JOINERS = frozenset(["of", "for", "and", "on", "the", "&"])
#: A sentence whose words are at least this share capitalised is a heading or title, where
#: capitals say nothing about names ("Welding Safety and Quality Control").
_HEADING_CAPITALS = 0.6
_HEADING_MAX_TOKENS = 40
TITLE_IN_A_NAME, TITLE_IN_TEXT = 2, 1
_TITLE_CLASSES = frozenset(["Occupation", "Programme"])

# What the linker asks of a word, as bits of one int per distinct word (see _word_flags).
_ALPHA, _TITLE, _CAPITAL, _JOINER, _CONTENT, _PROGRAMME_NOUN = 1, 2, 4, 8, 16, 32
_BLANK, _FULL_STOP, _MAJOR_WORD, _SAYS_MAJOR, _ENDS_CLAUSE = 64, 128, 256, 512, 1024


def _title_cased(text: str) -> bool:
    return text[:1].isupper() and not text.isupper() if text[:1].isalpha() else False


def _word_flags(text: str, is_alpha: bool) -> int:
    """The bits of ``text`` (a token's text; ``is_alpha`` its lexeme's flag) the linker tests."""
    lower = text.lower()
    tail = text.rstrip()
    flags = _ALPHA if is_alpha else 0
    if _title_cased(text):
        flags |= _TITLE
    if _title_cased(text) or text.isupper():
        flags |= _CAPITAL
    if lower in _LOWER_JOINERS:
        flags |= _JOINER
    if is_alpha and lower not in _LOWER_JOINERS and len(text) > 2:
        flags |= _CONTENT  # counts towards telling a heading from running text
    if lower in _PROGRAMME_NOUNS:
        flags |= _PROGRAMME_NOUN
    if not tail:
        flags |= _BLANK
    elif tail.endswith("."):
        flags |= _FULL_STOP
    if text in _MAJOR_WORDS:
        flags |= _MAJOR_WORD
    if "专业" in text:
        flags |= _SAYS_MAJOR
    if text in _CLAUSE_END or "\n" in text:
        flags |= _ENDS_CLAUSE
    return flags


class _WordFlags(dict):
    """Word (``ORTH``) -> its :func:`_word_flags`, computed once per word of the vocabulary."""

    def __init__(self, vocab) -> None:
        super().__init__()
        self.vocab = vocab

    def __missing__(self, orth: int) -> int:
        lexeme = self.vocab[orth]
        flags = self[orth] = _word_flags(lexeme.orth_, lexeme.is_alpha)
        return flags


class _Words:
    """The tokens of one doc where the linker's tests look: around a few matches.

    Those tests read a handful of tokens per doc, so they read them one by one (a column of the
    whole doc would cost more) and ask a table kept per vocabulary for the word's properties.
    """

    def __init__(self, doc: Doc, word_flags: _WordFlags) -> None:
        self.doc = doc
        self.n = len(doc)
        self.word_flags = word_flags
        self._starts: list[int] | None | bool = False  # sentence starts, read when first asked

    def flags(self, i: int) -> int:
        return self.word_flags[self.doc[i].orth] if i < self.n else 0

    def sent_start(self, i: int) -> bool:
        """Token.is_sent_start, as a bool."""
        return self.doc[i].is_sent_start is True

    def called_a_major(self, end: int, window: int = 12) -> bool:
        """Whether "专业" follows within the clause: "开设工业机器人技术、数控技术等专业"."""
        for i in range(end, min(end + window, self.n)):
            flags = self.flags(i)
            if flags & _SAYS_MAJOR:
                return True
            if flags & _ENDS_CLAUSE:
                return False
        return False

    def sentence_of(self, i: int) -> tuple[int, int]:
        """The token range of the sentence holding token ``i`` (as ``Token.sent`` has it)."""
        if self._starts is False:
            self._starts = _sentence_starts(self.doc)
        starts = self._starts
        if starts is not None:
            k = bisect_right(starts, i)
            return starts[k - 1], starts[k] if k < len(starts) else self.n
        try:
            sentence = self.doc[i].sent
        except ValueError:  # no sentence boundaries (the linker used without the sentence stage)
            return 0, self.n
        return sentence.start, sentence.end

    def inside_a_name(self, start: int, end: int) -> int:
        """How a Title-Cased span sits in running text: 0 (not so), ``TITLE_IN_TEXT`` or ``TITLE_IN_A_NAME``.

        Only words capitalised in the middle of a sentence that is not itself a heading count:
        "the Secretary" (``TITLE_IN_TEXT``), "Comptroller General", "Higher Education Act",
        "Secretary of Education" (``TITLE_IN_A_NAME``: the span runs on into more capitalised words).
        """
        words = [f for f in map(self.flags, range(start, end)) if f & _ALPHA]
        if not words or not all(f & _TITLE for f in words) or self.sent_start(start):
            return 0
        first, last = self.sentence_of(start)
        # A heading is short and has no full stop; a sentence of a law full of names ("the Comptroller
        # General of the United States shall submit ... to the Committee on ...") has one. Long
        # unpunctuated runs (lists) are not headings either, and scanning them would cost dearly.
        if last - first <= _HEADING_MAX_TOKENS and not self._ends_with_full_stop(first, last):
            # The span itself and the sentence's first word are capitalised whatever the sentence is.
            content = capitals = 0
            for token in Span(self.doc, first, last):  # not doc[first:last], which checks the slice in Python
                if start <= token.i < end or token.is_sent_start:
                    continue
                word = self.word_flags[token.orth]
                if word & _CONTENT:
                    content += 1
                    if word & _CAPITAL:
                        capitals += 1
            if content and capitals >= _HEADING_CAPITALS * content:
                return 0
        if start > 0 and not self.sent_start(start - 1) and self.flags(start - 1) & _TITLE:
            return TITLE_IN_A_NAME
        after = end
        while after < self.n and after < end + 2 and self.flags(after) & _JOINER:
            after += 1  # "Secretary of Education", "Department of Labor"
        if after < self.n and self.flags(after) & _TITLE and not self.flags(end) & _PROGRAMME_NOUN:
            return TITLE_IN_A_NAME
        return TITLE_IN_TEXT

    def _ends_with_full_stop(self, first: int, last: int) -> bool:
        """Whether the text of tokens ``first`` to ``last - 1``, trailing space stripped, ends with "."."""
        for i in range(last - 1, first - 1, -1):
            flags = self.flags(i)
            if not flags & _BLANK:
                return bool(flags & _FULL_STOP)
        return False


def _sentence_starts(doc: Doc) -> list[int] | None:
    """The first token of each sentence as the sentence stage marked them, or None to ask ``Token.sent``.

    ``Token.sent`` makes two spans per call; the stage's list says the same while nothing has
    changed the boundaries since (the relation stage reads the stage's offsets likewise). Docs
    with sentence hooks, or without the stage, are left to spaCy.
    """
    if doc.user_hooks or doc.user_token_hooks or doc.user_span_hooks or not Doc.has_extension("sentence_starts"):
        return None
    starts = doc._.sentence_starts
    return starts if starts else None


def _common_noun_in_a_name(entry, cls: str, named: int) -> bool:
    """Whether a Title-Cased span in running text must not link to ``entry``.

    Only occupations and programmes: their names are what offices, acts and institutions are
    named after, while a skill capitalised for emphasis ("Programmable Logic Controllers") is
    still the skill. A label the vocabulary writes in lower case is a common noun ("secretary"):
    capitalised inside a sentence it is a title or part of a name ("the Secretary"). Labels the
    vocabulary writes capitalised (O*NET and CIP titles) say nothing by their case; they are left
    out only where the capitals run on into a longer name ("Comptroller General", "Higher
    Education Act").
    """
    if cls not in _TITLE_CLASSES:
        return False
    if not any(ch.isupper() for ch in entry.text):
        return True
    return named == TITLE_IN_A_NAME
