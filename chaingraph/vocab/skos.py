"""Shared SKOS building blocks for the vocabulary importers.

Each importer fills a :class:`VocabGraph` with :class:`ConceptRecord` objects and a few extra
triples, then writes it with :meth:`VocabGraph.write`. Writing sorts every triple and gzips with a
zero timestamp, so the same input always yields a byte-identical ``.ttl.gz``.
"""

from __future__ import annotations

import csv
import gzip
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from chaingraph.rdf.namespaces import (
    CG,
    CG_ID,
    CHAIN_OF_CLASS,
    DCTERMS,
    ESCO,
    RDF,
    SKOS,
    XSD,
    scheme_iri,
)

__all__ = [
    "DEFAULT_LANG",
    "VocabImportError",
    "read_rows",
    "require_file",
    "checked_iri",
    "ConceptRecord",
    "VocabGraph",
    "VocabStats",
    "clean_label",
    "collection_iri",
    "split_labels",
    "TURTLE_PREFIXES",
]

DEFAULT_LANG = "en"

#: Prefixes written at the top of every vocabulary file; order is fixed so output is stable.
TURTLE_PREFIXES: dict[str, str] = {
    "rdf": RDF,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "xsd": XSD,
    "cg": CG,
    "escoscheme": ESCO + "concept-scheme/",
    "escoskill": ESCO + "skill/",
    "escoocc": ESCO + "occupation/",
    "isco": ESCO + "isco/",
    "cgscheme": CG_ID + "scheme/",
    "cgcol": CG_ID + "collection/",
    "onet": CG_ID + "onet/",
    "tech": CG_ID + "onet-tech/",
    "unspsc": CG_ID + "unspsc/",
    "cip": CG_ID + "cip/",
}

RDF_TYPE = RDF + "type"
_TYPE_NODE = ox.NamedNode(RDF_TYPE)
_XSD_BOOLEAN = ox.NamedNode(XSD + "boolean")
_XSD_INTEGER = ox.NamedNode(XSD + "integer")

# Predicates listed here come first within a subject, in this order, so a concept reads
# type -> labels -> notation -> definition -> hierarchy; everything else follows sorted by IRI.
_PREDICATE_ORDER = {
    iri: rank
    for rank, iri in enumerate(
        [
            RDF_TYPE,
            SKOS + "prefLabel",
            SKOS + "altLabel",
            SKOS + "hiddenLabel",
            SKOS + "notation",
            SKOS + "definition",
            SKOS + "inScheme",
            CG + "chain",
            SKOS + "broader",
        ]
    )
}

_WHITESPACE = re.compile(r"\s+")
# A published IRI taken from a data file must not carry characters that break Turtle.
_SAFE_IRI = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")


class VocabImportError(RuntimeError):
    """A vocabulary release cannot be imported (missing file, wrong folder, unexpected columns)."""


def require_file(source_dir: Path, filename: str, importer: str) -> Path:
    """``source_dir / filename``, or a :class:`VocabImportError` that names the missing file."""
    path = source_dir / filename
    if not path.is_file():
        if not source_dir.is_dir():
            raise VocabImportError(f"{importer}: source folder {source_dir} does not exist")
        raise VocabImportError(
            f"{importer}: missing file {filename!r} in {source_dir} (is this the right release folder?)"
        )
    return path


def read_rows(path: Path, delimiter: str = ",", columns: Iterable[str] = ()) -> Iterator[dict[str, str]]:
    """The rows of a CSV/TSV file (gzipped or not) as dicts, checking that ``columns`` exist.

    Tab-separated files are read without quote handling: O*NET cells may hold bare ``"``.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter, quoting=quoting)
        missing = [column for column in columns if column not in (reader.fieldnames or [])]
        if missing:
            raise VocabImportError(f"{path.name}: missing column(s) {', '.join(missing)}")
        for row in reader:
            yield {key: (value or "") for key, value in row.items() if key is not None}


def clean_label(text: str) -> str:
    """``text`` trimmed, with internal runs of whitespace collapsed to one space."""
    return _WHITESPACE.sub(" ", text).strip()


def split_labels(cell: str | None, separator: str = "\n") -> list[str]:
    """The non-empty, cleaned labels of a multi-valued cell (ESCO packs them one per line)."""
    if not cell:
        return []
    return [label for label in (clean_label(part) for part in cell.split(separator)) if label]


def collection_iri(name: str) -> str:
    """The IRI of a chaingraph ``skos:Collection``: ``esco-digital`` -> ``.../id/collection/esco-digital``."""
    return f"{CG_ID}collection/{name}"


def checked_iri(iri: str) -> str:
    """``iri`` unchanged if it is a plain http(s) IRI; raises ``ValueError`` otherwise."""
    iri = iri.strip()
    if not _SAFE_IRI.match(iri):
        raise ValueError(f"not a usable IRI: {iri!r}")
    return iri


@dataclass
class ConceptRecord:
    """One SKOS concept before it becomes triples.

    Labels are (text, language) pairs so that further languages can be added to the same record.
    Label clashes are resolved only when triples are produced: per language, a text (compared
    case-insensitively) appears once, and prefLabel beats altLabel beats hiddenLabel.
    """

    iri: str
    cls: str
    scheme: str
    pref_labels: dict[str, str] = field(default_factory=dict)
    alt_labels: list[tuple[str, str]] = field(default_factory=list)
    hidden_labels: list[tuple[str, str]] = field(default_factory=list)
    definitions: dict[str, str] = field(default_factory=dict)
    notation: str | None = None
    broader: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.cls not in CHAIN_OF_CLASS:
            raise ValueError(f"unknown concept class {self.cls!r}")

    def set_pref(self, text: str, lang: str = DEFAULT_LANG) -> None:
        """Set the preferred label in ``lang`` (one per language)."""
        text = clean_label(text)
        if text:
            self.pref_labels[lang] = text

    def add_alt(self, texts: Iterable[str] | str, lang: str = DEFAULT_LANG) -> None:
        """Add alternative labels in ``lang``."""
        self.alt_labels.extend(_tagged(texts, lang))

    def add_hidden(self, texts: Iterable[str] | str, lang: str = DEFAULT_LANG) -> None:
        """Add hidden labels (search-only variants) in ``lang``."""
        self.hidden_labels.extend(_tagged(texts, lang))

    def set_definition(self, text: str | None, lang: str = DEFAULT_LANG) -> None:
        """Set the definition in ``lang`` when ``text`` is not blank."""
        if text and text.strip():
            self.definitions[lang] = text.strip()

    def resolved_labels(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """The (alt, hidden) labels left after removing duplicates and the prefLabel."""
        seen = {(lang, text.casefold()) for lang, text in self.pref_labels.items()}
        kept: list[list[tuple[str, str]]] = []
        for labels in (self.alt_labels, self.hidden_labels):
            out = []
            for text, lang in labels:
                key = (lang, text.casefold())
                if key not in seen:
                    seen.add(key)
                    out.append((text, lang))
            kept.append(out)
        return kept[0], kept[1]


def _tagged(texts: Iterable[str] | str, lang: str) -> list[tuple[str, str]]:
    if isinstance(texts, str):
        texts = [texts]
    return [(text, lang) for text in (clean_label(t) for t in texts) if text]


@dataclass
class VocabStats:
    """What an importer wrote: concepts per class, triples, and named side counts."""

    name: str
    path: Path
    triples: int
    concepts: dict[str, int]
    size_bytes: int
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """A one-paragraph, human-readable account of the import."""
        classes = ", ".join(f"{cls} {n:,}" for cls, n in sorted(self.concepts.items())) or "no concepts"
        extra = "".join(f"\n    {key}: {value:,}" for key, value in sorted(self.counts.items()))
        return (
            f"{self.name}: {classes}; {self.triples:,} triples; "
            f"{self.size_bytes / 1_048_576:.2f} MiB -> {self.path}{extra}"
        )

    def __str__(self) -> str:
        return self.summary()

    def __rich__(self) -> object:
        # Printed by ``rich`` (the CLI): plain text, so paths with brackets are not read as markup.
        from rich.text import Text

        return Text(self.summary())


class VocabGraph:
    """A set of triples for one vocabulary file, plus a tally of concepts per class."""

    def __init__(self) -> None:
        self._triples: set[ox.Triple] = set()
        self._concepts: dict[str, str] = {}

    # -- term helpers -------------------------------------------------------------------------
    @staticmethod
    def node(iri: str) -> ox.NamedNode:
        """A named node for ``iri``."""
        return ox.NamedNode(iri)

    @staticmethod
    def text(value: str, lang: str = DEFAULT_LANG) -> ox.Literal:
        """A language-tagged string."""
        return ox.Literal(value, language=lang)

    @staticmethod
    def plain(value: str) -> ox.Literal:
        """A plain ``xsd:string`` literal (codes, notations)."""
        return ox.Literal(value)

    @staticmethod
    def boolean(value: bool) -> ox.Literal:
        """An ``xsd:boolean`` literal."""
        return ox.Literal("true" if value else "false", datatype=_XSD_BOOLEAN)

    @staticmethod
    def integer(value: int) -> ox.Literal:
        """An ``xsd:integer`` literal."""
        return ox.Literal(str(int(value)), datatype=_XSD_INTEGER)

    # -- adding -------------------------------------------------------------------------------
    def add(self, subject: str, predicate: str, obj: ox.NamedNode | ox.Literal | str) -> None:
        """Add one triple; a ``str`` object is taken as an IRI."""
        if isinstance(obj, str):
            obj = ox.NamedNode(obj)
        self._triples.add(ox.Triple(ox.NamedNode(subject), ox.NamedNode(predicate), obj))

    def add_scheme(self, prefix: str, title: str, source: str, license_text: str) -> None:
        """Describe the concept scheme ``prefix`` (a key of ``SCHEMES``)."""
        iri = scheme_iri(prefix)
        self.add(iri, RDF_TYPE, SKOS + "ConceptScheme")
        self.add(iri, DCTERMS + "title", self.text(title))
        self.add(iri, DCTERMS + "source", self.plain(source))
        self.add(iri, DCTERMS + "license", self.plain(license_text))
        self.add(iri, CG + "prefix", self.plain(prefix))

    def add_concept(self, record: ConceptRecord) -> None:
        """Add every triple of ``record``; a concept needs at least one prefLabel."""
        if not record.pref_labels:
            raise ValueError(f"concept {record.iri} has no prefLabel")
        iri = record.iri
        previous = self._concepts.get(iri)
        if previous is not None and previous != record.cls:
            raise ValueError(f"{iri} added as both {previous} and {record.cls}")
        self._concepts[iri] = record.cls
        self.add(iri, RDF_TYPE, SKOS + "Concept")
        self.add(iri, RDF_TYPE, CG + record.cls)
        self.add(iri, CG + "chain", CG + CHAIN_OF_CLASS[record.cls])
        self.add(iri, SKOS + "inScheme", scheme_iri(record.scheme))
        for lang, text in record.pref_labels.items():
            self.add(iri, SKOS + "prefLabel", self.text(text, lang))
        alt, hidden = record.resolved_labels()
        for text, lang in alt:
            self.add(iri, SKOS + "altLabel", self.text(text, lang))
        for text, lang in hidden:
            self.add(iri, SKOS + "hiddenLabel", self.text(text, lang))
        if record.notation:
            self.add(iri, SKOS + "notation", self.plain(record.notation))
        for lang, text in record.definitions.items():
            self.add(iri, SKOS + "definition", self.text(text, lang))
        for parent in record.broader:
            if parent != iri:
                self.add(iri, SKOS + "broader", parent)

    def add_collection(self, name: str, label: str, members: Iterable[str]) -> int:
        """Add a ``skos:Collection`` named ``name``; returns how many members it got."""
        iri = collection_iri(name)
        self.add(iri, RDF_TYPE, SKOS + "Collection")
        self.add(iri, SKOS + "prefLabel", self.text(label))
        count = 0
        for member in sorted(set(members)):
            self.add(iri, SKOS + "member", member)
            count += 1
        return count

    def has_concept(self, iri: str) -> bool:
        """Whether a concept with ``iri`` has been added."""
        return iri in self._concepts

    def concept_counts(self) -> dict[str, int]:
        """Concepts added per class."""
        return dict(Counter(self._concepts.values()))

    def __len__(self) -> int:
        return len(self._triples)

    # -- writing ------------------------------------------------------------------------------
    def sorted_triples(self) -> list[ox.Triple]:
        """All triples in a stable order: by subject, then predicate rank, then object."""

        def key(triple: ox.Triple) -> tuple[str, int, str, str]:
            predicate = triple.predicate.value
            return (
                triple.subject.value,
                _PREDICATE_ORDER.get(predicate, len(_PREDICATE_ORDER)),
                predicate,
                str(triple.object),
            )

        return sorted(self._triples, key=key)

    def write(self, path: Path, name: str, counts: dict[str, int] | None = None) -> VocabStats:
        """Write the graph as gzipped Turtle to ``path`` (atomically) and report what was written."""
        path.parent.mkdir(parents=True, exist_ok=True)
        turtle = _stable_prefix_order(
            ox.serialize(self.sorted_triples(), format=ox.RdfFormat.TURTLE, prefixes=TURTLE_PREFIXES) or b""
        )
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            # mtime=0 and an empty file name keep the gzip header identical across rebuilds.
            gz.write(turtle)
        os.replace(tmp, path)
        return VocabStats(
            name=name,
            path=path,
            triples=len(self._triples),
            concepts=self.concept_counts(),
            size_bytes=path.stat().st_size,
            counts=dict(counts or {}),
        )


def _stable_prefix_order(turtle: bytes) -> bytes:
    """``turtle`` with its ``@prefix`` header sorted, so the byte output never depends on the
    order in which the serializer happens to emit prefixes."""
    lines = turtle.split(b"\n")
    head = 0
    while head < len(lines) and lines[head].startswith(b"@prefix "):
        head += 1
    return b"\n".join(sorted(lines[:head]) + lines[head:])
