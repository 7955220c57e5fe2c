"""chaingraph: a knowledge graph of an economy's education, talent, industry and innovation chains.

The public API lives in :mod:`chaingraph.api` and is re-exported here::

    import chaingraph
    chaingraph.build("corpora")
    chaingraph.query("SELECT ...")
"""

from chaingraph.api import (
    build,
    concept_graph,
    export,
    extract,
    open_store,
    query,
    resolve_concept,
    stats,
    validate,
)

__all__ = [
    "build",
    "extract",
    "query",
    "stats",
    "export",
    "validate",
    "concept_graph",
    "open_store",
    "resolve_concept",
]
__version__ = "0.1.0"
