"""What a change of vocabulary or pipeline invalidates: exactly the documents whose graph can change.

A document's graph is a function of its text and metadata, of the pipeline that read it (language,
profile, versions) and of the vocabularies that pipeline links to. The first two are in the
document's fingerprint (:func:`pipeline_key`): a change re-extracts that document, and a new
pipeline version or another profile re-extracts the documents of that language only.

Vocabularies are shared by every document, so they are tracked per pipeline instead: the store
remembers, for each pipeline, the :func:`vocabulary_key` (a hash of the files its linker reads)
and a :class:`LabelIndex` (a short digest of every label key and of every concept, as the linker
sees them). When the key differs, the old and new indexes are compared and only these documents
are extracted again (:func:`affected_documents`):

* documents about a concept whose class, scheme or preferred label changed, appeared or vanished;
* documents whose token sequence contains a label key that was added, removed, or now reaches
  other concepts (or the same concepts differently). The linker matches label keys on token
  norms, so a document without any such key links exactly as before. A cheap substring test on
  the lower-cased text rules most documents out first; the rest are tokenised and matched.

Everything else re-extracts the whole pipeline's documents: a Chinese segmenter whose dictionary
(the vocabularies' Chinese terms) changed cuts every text anew, a pipeline with a stage that reads
all labels at once (the fuzzy linker of the accurate profile) may change anywhere, and a store
without an index (built by an older chaingraph) cannot be compared.
"""

from __future__ import annotations

import base64
import hashlib
import json
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from chaingraph.corpus.document import Document
from chaingraph.resources import ontologies_dir

# The pipeline modules (and spaCy with them) are imported where a key is computed, not here: a
# build that finds nothing changed never needs them (see chaingraph.builder).

__all__ = ["LabelIndex", "pipeline_key", "vocabulary_key", "label_index", "affected_documents", "EXACT_STAGES"]

#: Pipeline stages (spaCy factories) whose output depends on the vocabularies only through the
#: label keys a text contains, or not at all. A pipeline with any other stage re-extracts all its
#: documents when its vocabularies change.
EXACT_STAGES = frozenset({"chaingraph_sentences", "chaingraph_concepts", "chaingraph_relations"})

#: Above this many changed label keys the substring pre-test costs more than tokenising.
_MAX_KEYS_FOR_SUBSTRING_TEST = 64


def label_languages(lang: str) -> tuple[str, ...]:
    """The label languages the pipeline for ``lang`` indexes (a Chinese pipeline links English too)."""
    return (lang,) if lang == "en" else (lang, "en")


def pipeline_key(lang: str, profile: str) -> str:
    """The identity of the pipeline a document goes through; part of the document's fingerprint.

    Two profiles that build the same pipeline for a language (the Chinese pipeline has no
    accurate variant) have the same key, so switching profiles leaves those documents alone.
    """
    from chaingraph.nlp.normalize import NORM_VERSION
    from chaingraph.nlp.pipeline import pipeline_version

    return f"{lang}/{pipeline_version(profile, lang)}/norm-{NORM_VERSION}"


def vocabulary_key(lang: str, vocab_hashes: dict[str, str], directory: Path | None = None) -> str:
    """A hash of everything the linker of the ``lang`` pipeline reads: vocabularies and stop-lists.

    ``vocab_hashes`` maps each vocabulary file name to its content hash (computed once per build).
    """
    from chaingraph.nlp.linker import LINKER_VERSION
    from chaingraph.nlp.normalize import NORM_VERSION

    directory = directory or ontologies_dir()
    digest = hashlib.sha256(f"{LINKER_VERSION} {NORM_VERSION} {lang}".encode())
    for name, value in sorted(vocab_hashes.items()):
        digest.update(f" {name}={value}".encode())
    for label_lang in label_languages(lang):
        path = directory / f"stoplabels-{label_lang}.txt"
        digest.update(f" stop-{label_lang}=".encode())
        if path.exists():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:24]


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()


@dataclass
class LabelIndex:
    """What the linker of one pipeline knows, in digests: enough to tell what a new vocabulary changes.

    Parameters
    ----------
    exact:
        False when the pipeline has stages outside :data:`EXACT_STAGES` (then keys are not kept).
    segmenter:
        Digest of the words added to the Chinese segmenter ("" for other languages).
    keys:
        Label key -> digest of the concepts it reaches and how (kind, match mode, label text).
    concepts:
        Concept IRI -> digest of its class, scheme and preferred label.
    """

    exact: bool
    segmenter: str = ""
    keys: dict[str, str] = field(default_factory=dict)
    concepts: dict[str, str] = field(default_factory=dict)

    def encode(self) -> str:
        """A compact text form (zlib-compressed JSON in base64), stored in the meta graph."""
        payload = {"exact": self.exact, "segmenter": self.segmenter, "keys": self.keys, "concepts": self.concepts}
        raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
        return base64.b64encode(zlib.compress(raw, 6)).decode("ascii")

    @classmethod
    def decode(cls, text: str) -> LabelIndex:
        """The inverse of :meth:`encode`."""
        payload = json.loads(zlib.decompress(base64.b64decode(text)))
        return cls(payload["exact"], payload["segmenter"], payload["keys"], payload["concepts"])


def _concept_stage(nlp):
    for name in nlp.pipe_names:
        if nlp.get_pipe_meta(name).factory == "chaingraph_concepts":
            return nlp.get_pipe(name)
    return None


def label_index(nlp) -> LabelIndex:
    """The :class:`LabelIndex` of a loaded pipeline."""
    factories = {nlp.get_pipe_meta(name).factory for name in nlp.pipe_names}
    linker = _concept_stage(nlp)
    if linker is None or not factories <= EXACT_STAGES:
        return LabelIndex(exact=False)
    gazetteer = linker.gazetteer
    lang = nlp.lang
    concepts = gazetteer.concepts
    concept_digest = {c.iri: _digest(f"{c.cls}\t{c.scheme}\t{c.label(lang)}") for c in concepts}
    keys = {}
    for key, entries in gazetteer.entries.items():
        lines = sorted(
            f"{concepts[e.concept].iri}\t{concept_digest[concepts[e.concept].iri]}\t{e.kind}\t{e.mode}\t{e.text}"
            for e in entries
        )
        keys[key] = _digest("\n".join(lines))
    terms = getattr(gazetteer, "segmenter_terms", None) or []
    segmenter = _digest("\n".join(terms)) if terms else ""
    return LabelIndex(exact=True, segmenter=segmenter, keys=keys, concepts=concept_digest)


def _changed(old: dict[str, str], new: dict[str, str]) -> set[str]:
    return {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}


def _exception_norms(nlp) -> set[str]:
    """Norms the tokenizer's special cases give that need not appear in the text ("Feb." -> "february")."""
    from spacy.attrs import NORM

    norms = set()
    for pieces in getattr(nlp.tokenizer, "rules", {}).values():
        for attrs in pieces:
            norm = attrs.get(NORM)
            if isinstance(norm, str):
                norms.add(norm.lower())
    return norms


def _needles(key: str, exception_norms: set[str]) -> list[str]:
    """Strings the lower-cased text must contain wherever the key's tokens occur.

    A token's norm is its lower-cased text, with an ``-s`` inflection taken off ("controllers") or
    ``-ies`` turned to ``-y`` ("queries"): so the norm, without a final "y", starts the word.
    """
    needles = []
    for word in key.split(" "):
        if word in exception_norms:
            continue
        needle = word[:-1] if word.endswith("y") else word
        if needle:
            needles.append(needle)
    return needles


def affected_documents(
    nlp, documents: Iterable[Document], old: LabelIndex | None, new: LabelIndex
) -> tuple[list[Document], str]:
    """The documents whose extraction can differ between the ``old`` and ``new`` label indexes.

    ``nlp`` is the pipeline over the new vocabularies. Returns the documents and the reason
    (for the build report): "all" when the pipeline must re-extract everything, else "keys".
    """
    documents = list(documents)
    if old is None or not (old.exact and new.exact) or old.segmenter != new.segmenter:
        return documents, "all"
    changed_keys = _changed(old.keys, new.keys)
    changed_concepts = _changed(old.concepts, new.concepts)
    affected = [d for d in documents if d.about and d.about in changed_concepts]
    rest = [d for d in documents if not (d.about and d.about in changed_concepts)]
    if not changed_keys or not rest:
        return affected, "keys"

    if len(changed_keys) <= _MAX_KEYS_FOR_SUBSTRING_TEST:
        exception_norms = _exception_norms(nlp)
        needles = [_needles(key, exception_norms) for key in changed_keys]

        def may_contain(document: Document) -> bool:
            text = document.text if document.text.isascii() else unicodedata.normalize("NFKC", document.text)
            text = text.lower()
            return any(all(n in text for n in words) for words in needles)

        rest = [d for d in rest if may_contain(d)]
    if rest:
        affected += _matching(nlp, rest, changed_keys)
    return affected, "keys"


def _matching(nlp, documents: list[Document], keys: set[str]) -> list[Document]:
    """The documents whose tokens contain one of ``keys`` (token norms joined by spaces)."""
    from spacy.matcher import PhraseMatcher

    from chaingraph.nlp.pipeline import _chunks

    linker = _concept_stage(nlp)
    patterns = linker.gazetteer.patterns if linker is not None else {}
    strings = nlp.vocab.strings
    matcher = PhraseMatcher(nlp.vocab, attr="NORM")
    matcher.add("changed", [patterns.get(key) or tuple(strings.add(w) for w in key.split(" ")) for key in keys])
    found = []
    for document in documents:
        for _offset, piece in _chunks(document.text):
            if matcher(nlp.make_doc(piece)):
                found.append(document)
                break
    return found
