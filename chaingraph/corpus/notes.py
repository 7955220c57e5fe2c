"""What a parsing library says while it reads one file, kept as notes on that file.

pypdf logs what it repairs ("incorrect startxref pointer") and BeautifulSoup warns about what it
could not decode; left alone, both print to the console without saying which file they mean. A
reader wraps its parse in :func:`library_notes`, and the corpus layer turns each note into a
warning on the file's path.

>>> import logging
>>> with library_notes("pypdf", "pypdf") as notes:
...     logging.getLogger("pypdf._reader").warning("incorrect startxref pointer(1)")
>>> notes
['pypdf: incorrect startxref pointer(1)']
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections import Counter
from collections.abc import Iterator

__all__ = ["MAX_NOTES", "library_notes"]

#: At most this many distinct messages are kept per file; the rest are counted.
MAX_NOTES = 5

# Warnings about the code that calls a library (an API to be removed), not about the file being read.
_WARNINGS_ABOUT_CODE = (DeprecationWarning, PendingDeprecationWarning, FutureWarning, ImportWarning, ResourceWarning)


class _NoteHandler(logging.Handler):
    def __init__(self, notes: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.notes = notes

    def emit(self, record: logging.LogRecord) -> None:
        self.notes.append(record.getMessage())


@contextlib.contextmanager
def library_notes(logger_name: str, label: str) -> Iterator[list[str]]:
    """Collect what a parsing library logs (``logger_name``) or warns while reading one file.

    The list it yields is filled when the block ends: distinct messages, each prefixed with
    ``label`` and counted when repeated, at most :data:`MAX_NOTES`. Nothing reaches the console.
    """
    logger = logging.getLogger(logger_name)
    messages: list[str] = []
    handler = _NoteHandler(messages)
    notes: list[str] = []
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False  # else the root logger's last-resort handler prints it, nameless
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield notes
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
        for warning in caught:
            if issubclass(warning.category, _WARNINGS_ABOUT_CODE):  # not about the file: passed on as they came
                warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
            else:
                messages.append(str(warning.message))
        counts = Counter(" ".join(message.split()) for message in messages)
        for message, count in list(counts.items())[:MAX_NOTES]:
            notes.append(f"{label}: {message}" + (f" ({count} times)" if count > 1 else ""))
        if len(counts) > MAX_NOTES:
            notes.append(f"{label}: {len(counts) - MAX_NOTES} other warnings")
