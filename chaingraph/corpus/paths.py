"""Paths inside a corpus folder: where a link really leads, and names that are not UTF-8.

Reading stays inside the corpus: a path that resolves (through a symbolic link, its own or a
folder's) to a place outside the corpus folder is not read unless the caller opts in. A file name
the operating system hands over as bytes that are not UTF-8 (Python keeps them as lone surrogates)
cannot be written to the graph, so it is named with its bytes escaped, never printed raw.

>>> outside_target("corpus/passwd.txt", "/home/me/corpus")  # doctest: +SKIP
'/etc/passwd'
>>> printable("bad\\udcff.txt")
'bad\\\\xff.txt'
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["name_problem", "outside_target", "printable", "real_root"]


def real_root(root: str | Path) -> str:
    """The corpus folder with every symbolic link resolved: what "inside the corpus" is measured against."""
    return os.path.realpath(root)


def outside_target(path: str | Path, root: str) -> str | None:
    """Where ``path`` leads when that is outside the folder ``root``, else None.

    Parameters
    ----------
    path
        A path inside the corpus as walked or listed (links not resolved).
    root
        The corpus folder as :func:`real_root` gives it.

    A link loop resolves to a path inside the folder (Python stops resolving it), so it counts
    as inside; reading it then fails with a named error instead of hanging.
    """
    target = os.path.realpath(path)
    if target == root or target.startswith(root.rstrip(os.sep) + os.sep):
        return None
    return target


def name_problem(name: str) -> str | None:
    """Why ``name`` (a path as the OS gave it) cannot name a document, or None when it can.

    >>> name_problem("bad\\udcff.txt")
    'the file name is not valid UTF-8 (byte 0xff); rename the file to build it'
    """
    if "\x00" in name:  # a manifest can hold one; no file name can
        return "the path holds a NUL character, which no file name can"
    if name.isascii():  # the common case, in C
        return None
    for character in name:
        if "\udc80" <= character <= "\udcff":  # how Python keeps a byte of a file name that is not UTF-8
            return (
                f"the file name is not valid UTF-8 (byte 0x{ord(character) - 0xDC00:02x}); rename the file to build it"
            )
        if "\ud800" <= character <= "\udfff":
            return f"the path holds a lone surrogate (U+{ord(character):04X}), which is not a character"
    return None


def printable(name: str) -> str:
    """``name`` with undecodable bytes shown as ``\\xff`` and lone surrogates as ``\\ud800``: safe to print, store."""
    try:
        data = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that stands for no byte
        return name.encode("utf-8", "backslashreplace").decode("utf-8")
    return data.decode("utf-8", "backslashreplace")
