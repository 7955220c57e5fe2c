"""The ``chaingraph`` command line (typer + rich), a thin layer over :mod:`chaingraph.api`."""

from chaingraph.cli import align as _align  # noqa: F401  (registers the align commands)
from chaingraph.cli import report as _report  # noqa: F401  (registers the report command)
from chaingraph.cli import serve as _serve  # noqa: F401  (registers the serve command)
from chaingraph.cli import view as _view  # noqa: F401  (registers the view command)
from chaingraph.cli.main import EXIT_FAILURE, EXIT_PARTIAL, app

__all__ = ["app", "EXIT_FAILURE", "EXIT_PARTIAL"]
