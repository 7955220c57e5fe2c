"""Starting the server's own child processes lean, and tying their lives to their parent's."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from pathlib import Path

__all__ = ["module_command", "die_with_parent"]

# Runs a module's main() without executing chaingraph/__init__.py, which imports spaCy and the
# whole pipeline (a second and 100 MB per process) that the server's children never need: the
# package is registered as a bare namespace pointing at its folder, then the module is imported.
_BOOTSTRAP = (
    "import sys, types, importlib\n"
    "package = types.ModuleType('chaingraph')\n"
    "package.__path__ = [sys.argv[1]]\n"
    "sys.modules['chaingraph'] = package\n"
    "module = importlib.import_module(sys.argv[2])\n"
    "del sys.argv[1:3]\n"
    "module.main()\n"
)


def module_command(module: str, *args: str) -> list[str]:
    """The command that runs ``module.main()`` (a ``chaingraph.`` module) in a lean interpreter."""
    package_dir = str(Path(__file__).resolve().parents[1])
    return [sys.executable, "-c", _BOOTSTRAP, package_dir, module, *args]


def die_with_parent(parent: int) -> bool:
    """Ask Linux to kill this process when ``parent`` dies, so no orphan keeps a query running.

    Returns False if ``parent`` is already gone (the request would never fire): exit then.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    return os.getppid() == parent
