"""One place where the command line turns an error into one line and an exit code.

Every command runs inside :class:`ErrorBoundary`. An exception a user can cause (a file that
cannot be read, a corpus with nothing to build, a busy store, a code that names no concept, ...)
carries a message written for users: it ends as ``error: MESSAGE`` and the exit code of
:data:`USER_ERRORS`. Anything else is a bug: ``internal error: ...`` and exit 1. Neither prints a
traceback; ``chaingraph --log FILE COMMAND ...`` writes them, and every error line, to FILE.

>>> exit_code_for(FileNotFoundError(2, "No such file or directory", "corpus"))
1
>>> exit_code_for(KeyError("x")) is None
True
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup
from typer.exceptions import TyperException

__all__ = ["ErrorBoundary", "USER_ERRORS", "exit_code_for", "open_log", "report"]

logger = logging.getLogger("chaingraph.cli")
# Without --log nothing is logged anywhere: not even by Python's last-resort handler, which would
# print each error line a second time, traceback and all.
logger.addHandler(logging.NullHandler())

_stderr = Console(stderr=True, highlight=False, soft_wrap=True)

#: (module, exception class, exit code) for the exceptions whose message is written for users; the
#: first that matches wins (2: wrong usage, a bad option value; 1: failed, nothing changed). Named,
#: not imported: the modules are loaded only by the commands that use them, and an exception of a
#: class whose module is not loaded cannot have been raised.
USER_ERRORS: tuple[tuple[str, str, int], ...] = (
    ("chaingraph.corpus.document", "TextError", 2),
    ("chaingraph.rdf.namespaces", "UnknownConceptCode", 2),
    ("chaingraph.views.selection", "ViewError", 2),
    ("chaingraph.corpus.document", "DocumentError", 1),
    ("chaingraph.corpus.folder", "EmptyCorpusError", 1),
    ("chaingraph.store", "StoreError", 1),
    ("chaingraph.sparql_guard", "QueryRefused", 2),  # before QueryError: a query that would call out or crash
    ("chaingraph.store", "QueryError", 1),
    ("chaingraph.executors", "ExecutorError", 1),
    ("chaingraph.vocab.skos", "VocabImportError", 1),
    ("chaingraph.serve.supervisor", "ServeError", 1),
    ("builtins", "OSError", 1),  # a file or folder named on the command line: the message names it
)

_LOG_KEY = "chaingraph.log"  # where the --log path is kept in the click context's meta


def exit_code_for(error: BaseException) -> int | None:
    """The exit code for an error whose message is written for users, or None for an unexpected one."""
    for module_name, class_name, code in USER_ERRORS:
        cls = getattr(sys.modules.get(module_name), class_name, None)
        if isinstance(cls, type) and isinstance(error, cls):
            return code
    return None


def _one_line(error: BaseException) -> str:
    """The message of ``error`` on one line, printable whatever it holds (a lone surrogate, control characters)."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def report(message: str, *, internal: bool = False) -> None:
    """Print ``message`` as the one red line of a failed command, and log it (with the traceback being handled)."""
    label = "internal error" if internal else "error"
    _stderr.print(f"[red]{label}:[/red] {escape(message)}", markup=True, highlight=False)
    logger.error("%s: %s", label, message, exc_info=sys.exc_info()[0] is not None)


def open_log(ctx: typer.Context, path: Path) -> None:
    """Send chaingraph's log (warnings, each error line and its traceback) to ``path``, appended, for this command.

    Raises ``typer.BadParameter`` (exit 2) when the file cannot be opened for writing.
    """
    try:
        handler = logging.FileHandler(path, mode="a", encoding="utf-8", errors="backslashreplace")
    except OSError as error:
        raise typer.BadParameter(f"cannot write {path}: {error.strerror or error}", param_hint="--log") from None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    root, own = logging.getLogger(), logging.getLogger("chaingraph")
    # Other libraries' warnings pass the root logger's default level; chaingraph's information too.
    previous_level = own.level
    own.setLevel(logging.INFO)
    root.addHandler(handler)
    ctx.meta[_LOG_KEY] = path

    def close() -> None:
        root.removeHandler(handler)
        own.setLevel(previous_level)
        handler.close()

    ctx.call_on_close(close)


class ErrorBoundary(TyperGroup):
    """The top-level command group: whatever a command raises ends in one line and an exit code."""

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):
            raise  # a command that said why (typer.Exit), usage errors (exit 2), Ctrl-C
        except BrokenPipeError:
            # The reader of our output has gone (`chaingraph query ... | head`). Quietly, with exit 1, as
            # Python's own documentation and rich (which prints most of our output) do; stdout points at
            # /dev/null so that flushing it at exit does not fail a second time.
            with contextlib.suppress(OSError, ValueError):
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(1) from None
        except Exception as error:
            code = exit_code_for(error)
            if code is not None:
                report(_one_line(error))
                raise typer.Exit(code) from None
            log = ctx.meta.get(_LOG_KEY)
            where = f"details in {log}" if log else "run with chaingraph --log FILE ... for the details"
            report(f"{type(error).__name__}: {_one_line(error)} ({where})", internal=True)
            raise typer.Exit(1) from None
