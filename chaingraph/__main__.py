"""``python -m chaingraph``: the same as the ``chaingraph`` command."""

from chaingraph.cli import app

if __name__ == "__main__":
    app()
