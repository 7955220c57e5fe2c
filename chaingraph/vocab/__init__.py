"""Vocabulary importers: raw public releases (ESCO, O*NET, CIP, crosswalks) -> SKOS Turtle."""

from chaingraph.vocab.aliases import learn_vendors, programme_aliases, technology_aliases
from chaingraph.vocab.importers import IMPORTERS, VOCAB_ORDER, import_vocab
from chaingraph.vocab.skos import ConceptRecord, VocabGraph, VocabImportError, VocabStats

__all__ = [
    "IMPORTERS",
    "VOCAB_ORDER",
    "ConceptRecord",
    "VocabGraph",
    "VocabImportError",
    "VocabStats",
    "import_vocab",
    "learn_vendors",
    "programme_aliases",
    "technology_aliases",
]
