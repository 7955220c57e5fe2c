"""chaingraph: a knowledge graph of an economy's education, talent, industry and innovation chains.

The public API lives in :mod:`chaingraph.api` and is re-exported here::

    import chaingraph
    chaingraph.build("corpora")
    chaingraph.query("SELECT ...")
"""

from chaingraph import api as _api
from chaingraph.api import *  # noqa: F403  (the public API, re-exported as it is)

__all__ = list(_api.__all__)
__version__ = "0.1.0"
