#!/usr/bin/env python
"""Build the SKOS vocabularies in ontologies/vocab/ from the raw public releases.

    python scripts/build_vocab.py [--data ../shared/data] [--out ontologies/vocab] [--only cip ...]

Re-runnable: the same releases always give byte-identical ``.ttl.gz`` files. ``zh`` (the curated
Chinese labels) reads its sources from ``ontologies/vocab/sources`` unless ``--data`` holds them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # run from a checkout without installing the package

from chaingraph.vocab.importers import VOCAB_ORDER, VocabImportError, import_vocab  # noqa: E402

DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"
DEFAULT_OUT = REPO_ROOT / "ontologies" / "vocab"


def main(argv: list[str] | None = None) -> int:
    """Run the importers and print what each one wrote; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"shared data folder (default {DEFAULT_DATA})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=VOCAB_ORDER,
        default=list(VOCAB_ORDER),
        help="build only these vocabularies (crosswalks needs esco and onet built; zh needs esco, onet and cip)",
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in (name for name in VOCAB_ORDER if name in args.only):
        started = time.perf_counter()
        try:
            stats = import_vocab(name, args.data, args.out)
        except VocabImportError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"{stats.summary()}\n    ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
