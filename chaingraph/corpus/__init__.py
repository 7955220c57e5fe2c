"""The corpus layer: reading a folder of policy texts, standards and curricula into documents.

>>> from chaingraph.corpus import read_corpus
>>> corpus = read_corpus("corpora")  # doctest: +SKIP
>>> corpus.documents[0].kind, [str(problem) for problem in corpus.errors]  # doctest: +SKIP
"""

from chaingraph.corpus.document import (
    KINDS,
    CorpusProblem,
    Document,
    DocumentError,
    TextError,
    check_text,
    content_id,
    detect_lang,
    replace_surrogates,
)
from chaingraph.corpus.folder import Corpus, EmptyCorpusError, corpus_candidates, iter_corpus, read_corpus
from chaingraph.corpus.manifest import (
    COLUMNS,
    MANIFEST_NAMES,
    Manifest,
    ManifestEntry,
    Metadata,
    check_metadata,
    read_manifest,
)
from chaingraph.corpus.readers import (
    SUPPORTED_SUFFIXES,
    SourceText,
    decode_text,
    is_supported,
    read_file_bytes,
    read_source,
    read_text,
    split_front_matter,
)
from chaingraph.corpus.snapshot import Snapshot

__all__ = [
    "KINDS",
    "COLUMNS",
    "MANIFEST_NAMES",
    "SUPPORTED_SUFFIXES",
    "Corpus",
    "CorpusProblem",
    "Document",
    "DocumentError",
    "EmptyCorpusError",
    "Manifest",
    "ManifestEntry",
    "Metadata",
    "Snapshot",
    "SourceText",
    "TextError",
    "check_metadata",
    "check_text",
    "content_id",
    "corpus_candidates",
    "decode_text",
    "detect_lang",
    "is_supported",
    "iter_corpus",
    "read_corpus",
    "read_file_bytes",
    "read_manifest",
    "read_source",
    "read_text",
    "replace_surrogates",
    "split_front_matter",
]
