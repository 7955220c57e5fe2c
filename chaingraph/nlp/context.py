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
"""

from __future__ import annotations

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


class Match:
    """One match of a label in a doc, with the facts of its context that every candidate shares.

    The linker asks :func:`read_otherwise` once per candidate concept of a match; what does not
    depend on the concept is worked out once, and only when a candidate's class asks for it.
    """

    __slots__ = ("doc", "start", "end", "span", "text", "_hyphenated", "_tool")

    def __init__(self, span: Span, text: str | None = None) -> None:
        self.doc, self.start, self.end = span.doc, span.start, span.end
        self.span = span
        self.text = span.text if text is None else text
        self._hyphenated: bool | None = None
        self._tool: bool | None = None

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


def read_otherwise(match: Match, entry, concept) -> bool:
    """Whether ``match`` does not name ``concept`` here (``entry``: the matched label)."""
    cls = concept.cls
    text = match.text
    if match.hyphenated:
        return True
    # Occupations and programmes in running text are the linker's own name rule; a programme's
    # name after a modifier is another programme's ("Total Ship Systems Engineering"). A span
    # all in lower case is no part of a name (the test needs every word capitalised).
    if (
        cls in _NAME_PART_CLASSES
        and not text.islower()
        and text.isascii()
        and _part_of_a_name(match.doc, match.start, match.end, cls != "Programme")
    ):
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
    for token in reversed(doc[max(0, start - _OBJECT_WINDOW) : start]):
        word = token.lower_
        if word in _USE_WORDS:
            return True
        if word in _OBJECT_ENDS or token.is_sent_start:
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
    words = [t for t in doc[start:end] if t.is_alpha]
    if not words or not all(_capitalised(t) for t in words):
        return False
    before = start - 1
    while before > start - 3 and before >= 0 and doc[before].lower_ in _NAME_JOINERS:
        before -= 1
    # A sentence's first word is capitalised whatever it is ("Use SQL").
    if before >= 0 and _capitalised(doc[before]) and not doc[before].is_sent_start:
        return True  # "Education [Statistics]", "Total Ship [Systems Engineering]"
    if not as_modifier:
        return False
    after = end
    while after < len(doc) and doc[after].lower_ in _NAME_JOINERS and after < end + 2:
        after += 1
    # "[IT] Security", "[Public Law] 92-189"
    return after < len(doc) and (_capitalised(doc[after]) or (after == end and doc[after].text[:1].isdigit()))


def _in_hyphen_compound(doc: Doc, start: int, end: int) -> bool:
    """Whether the span is glued by a hyphen to a word before or after it ("electro-mechanical")."""
    if start >= 2:
        hyphen, word = doc[start - 1], doc[start - 2]
        if hyphen.text == "-" and not hyphen.whitespace_ and not word.whitespace_ and word.is_alpha:
            return True
    if end + 1 < len(doc):
        last, hyphen, word = doc[end - 1], doc[end], doc[end + 1]
        if hyphen.text == "-" and not last.whitespace_ and not hyphen.whitespace_ and word.is_alpha:
            return True
    return False
