"""Hostile text through the pipeline and the document graph writer, on the shipped vocabularies.

Any Unicode text (controls, CJK, right-to-left scripts, combining marks, runs of 60,000 characters
without a space) gives mentions whose offsets lie inside the text and whose ``text`` is the text
at those offsets; text that cannot be text (a lone surrogate) is refused with a ``TextError`` that
names where. Whatever the pipeline found, with whatever metadata a manifest let through, the writer's
N-Quads are read back by Oxigraph with every literal intact.
"""

from __future__ import annotations

import pyoxigraph as ox
from fuzz_support import ANY_TEXT, KNOWN_ABOUTS, VALID_TEXT, encodable, fuzz
from hypothesis import example, given
from hypothesis import strategies as st

import chaingraph
from chaingraph.corpus import Document, TextError, content_id
from chaingraph.nlp.pipeline import extract_text
from chaingraph.rdf.document_graph import document_nquads
from chaingraph.rdf.namespaces import CG, CLASSES, DCTERMS, UnknownConceptCode

#: ``about`` values that must resolve (the others may be refused as unknown codes).
RESOLVABLE = ("cip:48.0508", "onet:51-4121.06", "soc:17-2112", "isco:7212", "https://example.org/ok")


def check_mentions(text: str, mentions: list, profile: str) -> None:
    """What every list of mentions must be, whatever the text."""
    assert isinstance(mentions, list)
    end_of_previous = 0
    for mention in mentions:
        assert 0 <= mention.start < mention.end <= len(text), mention
        assert text[mention.start : mention.end] == mention.text, mention
        assert mention.start >= end_of_previous, f"{mention} overlaps the mention before it"
        end_of_previous = mention.end
        assert mention.cls in CLASSES, mention
        if mention.concept or profile == "fast":  # only the accurate profile keeps unlinked candidates
            ox.NamedNode(mention.concept)
            assert 0 < mention.score <= 1, mention
        else:  # the similarity of the nearest label, kept even when the linker declined the words
            assert 0 <= mention.score <= 1, mention
        for alternative in mention.alternatives:
            ox.NamedNode(alternative)


@fuzz(160)
@given(
    text=st.one_of(VALID_TEXT, VALID_TEXT, ANY_TEXT),
    lang=st.sampled_from(["en", "zh"]),
    about=st.one_of(st.none(), st.none(), st.sampled_from(KNOWN_ABOUTS)),
    profile=st.sampled_from(["fast", "fast", "fast", "accurate"]),
)
@example(text="\ud800", lang="en", about=None, profile="fast")  # issue 13, row 7
@example(text="Graduates write SQL queries\udcff.", lang="zh", about=None, profile="fast")
@example(text="SQL " * 5 + "x" * 1_100_000, lang="en", about=None, profile="fast")  # over one spaCy piece
def test_extract_gives_mentions_inside_the_text_or_refuses_invalid_text(text, lang, about, profile):
    try:
        mentions = chaingraph.extract(text, lang=lang, about=about, profile=profile)
    except UnknownConceptCode:
        assert about not in RESOLVABLE
        return
    except TextError as error:
        assert not encodable(text), f"valid text refused: {error}"
        first = next(i for i, char in enumerate(text) if 0xD800 <= ord(char) <= 0xDFFF)
        assert f"at offset {first} " in str(error), f"the refusal does not name where: {error}"
        return
    assert encodable(text), "text with a lone surrogate was taken as text"
    check_mentions(text, mentions, profile)


# ---------------------------------------------------------------------- the document graph writer

LANG_TAGS = st.one_of(
    st.sampled_from(["en", "zh", "zh-CN", "EN-gb", "de-CH-1996", "x-private", "i-klingon", "en-a", "en--", "e"]),
    st.from_regex(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}", fullmatch=True),
)
#: What ``Document.about`` may hold once a reference is resolved: IRIs, and text that only looks like one.
ABOUT_IRIS = (
    "https://w3id.org/chaingraph/id/cip/48.0508",
    "http://data.europa.eu/esco/skill/598de5b0-5b58-4ea7-8058-a4bc4d18c742",
    "urn:x",
    "https://exa mple.org/<bad>",
    "http://x.org/a> } SERVICE <http://127.0.0.1:9/> { ?c ?p ?o } } #",
    "relative",
)
METADATA = st.fixed_dictionaries(
    {
        "title": ANY_TEXT,
        "path": ANY_TEXT,
        "kind": st.sampled_from(["policy", "standard", "curriculum", "job_posting", "other"]),
        "lang": LANG_TAGS,
        "date": st.one_of(st.none(), st.sampled_from(["2020", "2020-02", "2020-02-29"])),
        "issuer": st.one_of(st.none(), ANY_TEXT),
        "about": st.one_of(st.none(), st.sampled_from(ABOUT_IRIS)),
    }
)


def literals(quads: list[ox.Quad], predicate: str) -> list[ox.Literal]:
    return [quad.object for quad in quads if quad.predicate.value == predicate]


def storable(metadata: dict) -> bool:
    """Whether Oxigraph can hold the metadata: text it can encode, a language tag and an IRI it accepts."""
    if not all(encodable(value) for value in metadata.values() if isinstance(value, str)):
        return False
    try:
        ox.Literal("", language=metadata["lang"])
        if metadata["about"]:
            ox.NamedNode(metadata["about"])
    except ValueError:
        return False
    return True


@fuzz(120)
@given(text=VALID_TEXT, metadata=METADATA)
def test_document_graph_is_nquads_oxigraph_reads_back(text, metadata):
    extraction = extract_text(text, lang="en")
    document = Document(id=content_id(text), text=text, **metadata)
    try:
        nquads = document_nquads(document, extraction)
    except ValueError:  # documented: metadata the store would reject
        assert not storable(metadata), "storable metadata refused"
        return
    assert storable(metadata), "unstorable metadata written"
    quads = list(ox.parse(nquads.encode("utf-8"), format=ox.RdfFormat.N_QUADS))
    assert [title.value for title in literals(quads, DCTERMS + "title")] == [metadata["title"]]
    assert [path.value for path in literals(quads, CG + "sourcePath")] == [metadata["path"]]
    if metadata["issuer"]:
        assert [issuer.value for issuer in literals(quads, DCTERMS + "publisher")] == [metadata["issuer"]]
    written = sorted(literal.value for literal in literals(quads, CG + "text"))
    sentences = [text[start:end] for start, end in extraction.sentences]
    assert written == sorted([mention.text for mention in extraction.mentions] + sentences)
    if metadata["about"]:
        assert [q.object for q in quads if q.predicate.value == CG + "about"] == [ox.NamedNode(metadata["about"])]
