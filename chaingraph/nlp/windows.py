"""Reading a long text in windows: spaCy docs of bounded size that together give the whole text's sentences.

A text longer than the window size is read one window at a time. Each window *owns* the sentences
that start in its own part, ``[own_start, own_end)``: it reaches a margin before its own part (so
the first owned sentence, and the words before it that the linker's context rules read, are cut
into tokens and sentences as in the whole text) and at least a margin beyond it (the last owned
sentence ends before the margin starts, and the next window owns from there on). Every stage of
the pipeline looks at most a sentence and a few words beyond a mention, far less than the margin,
so what a window finds in the sentences it owns is what the whole text gives there.

A run with no sentence end longer than a window is read in a window as long as ``longest``; a run
longer than that is cut where that window ends (after whitespace or punctuation when there is
any), the window read as if the text ended there and the next one starting at the cut.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator

__all__ = ["PIECE_CHARS", "PIECE_MARGIN", "piece_chars", "read_in_windows"]

#: Texts longer than this many characters are read in windows of about this size, so that neither
#: spaCy's objects nor the quads of one document are ever all in memory at once.
#: ``CHAINGRAPH_PIECE_CHARS`` sets another size (tests use small ones).
PIECE_CHARS = 100_000

#: Characters read on each side of a window's own part: far more than any stage looks beyond a
#: sentence (the linker's context rules: a dozen words back, 160 characters ahead).
PIECE_MARGIN = 2_000

#: The smallest window size taken.
MIN_PIECE_CHARS = 1_000

# Where a window may end or start: after whitespace or punctuation, so that no word is cut in two.
_LAST_BREAK = re.compile(r".*[\s.,;:!?\u3001\u3002\uff0c\uff1b\uff1a\uff01\uff1f]", re.DOTALL)


def piece_chars(largest: int) -> int:
    """The window size: ``$CHAINGRAPH_PIECE_CHARS``, else :data:`PIECE_CHARS`, at most ``largest``.

    >>> piece_chars(1_000_000) == min(int(os.environ.get("CHAINGRAPH_PIECE_CHARS", PIECE_CHARS)), 1_000_000)
    True
    """
    configured = os.environ.get("CHAINGRAPH_PIECE_CHARS", "").strip()
    try:
        value = int(configured) if configured else PIECE_CHARS
    except ValueError:
        raise ValueError(f"CHAINGRAPH_PIECE_CHARS={configured!r} is not a whole number of characters") from None
    return min(max(value, MIN_PIECE_CHARS), largest)


def read_in_windows(
    read: Callable[[str], tuple[object, list[int]]], text: str, *, size: int, longest: int
) -> Iterator[tuple]:
    """Read ``text`` window by window: ``(what read gave, offset, own_start, own_end)`` for each window.

    Parameters
    ----------
    read:
        Reads one window's text (through the pipeline); returns what it made (a doc) and where
        in the window's text its sentences start, in order.
    text:
        The whole text.
    size:
        Window size in characters.
    longest:
        The longest run without a sentence end read whole (at least ``size``).

    ``offset`` is where the window starts in ``text``; the window owns the sentences whose start
    (in ``text``) lies in ``[own_start, own_end)``. The own parts follow one another and cover
    the text.

    >>> def read(part):  # a sentence: a run up to a full stop
    ...     return part, [found.start() for found in re.finditer(r"\\S[^.]*\\.", part)]
    >>> text = "Welders weld. " * 1_000
    >>> windows = [window[1:] for window in read_in_windows(read, text, size=4_000, longest=40_000)]
    >>> windows[:2], windows[-1][2] == len(text)
    ([(0, 0, 3486), (2982, 3486, 6468)], True)
    """
    margin = min(PIECE_MARGIN, size // 8)
    n = len(text)
    own_start = window_start = 0
    while own_start < n:
        window_end = _cut_before(text, window_start + size, window_start + size - margin)
        doc, starts = read(text[window_start:window_end])
        own_end = n if window_end >= n else _start_before(starts, window_start, own_start, window_end - margin)
        if own_end is None:
            # A sentence longer than the window: read a window of the longest run before cutting it.
            window_end = _cut_before(text, window_start + longest, window_start + longest // 2)
            if window_end > window_start + size:
                doc, starts = read(text[window_start:window_end])
            own_end = n if window_end >= n else _start_before(starts, window_start, own_start, window_end - margin)
            # Still none: cut the run where this window ends, which the window read as the end of a text.
            own_end = own_end if own_end is not None else window_end
        yield doc, window_start, own_start, own_end
        del doc, starts
        if own_end == window_end:  # a cut without a sentence end: the next window starts at the cut
            window_start = own_start = own_end
        else:
            own_start = own_end
            window_start = _cut_before(text, own_start - margin, own_start - 2 * margin)


def _start_before(starts: list[int], offset: int, after: int, until: int) -> int | None:
    """The last of ``starts`` (sentence starts in a window at ``offset``) that lies after ``after`` and at
    or before ``until`` in the whole text, as an offset of the whole text; or None."""
    index = bisect_right(starts, until - offset) - 1
    return starts[index] + offset if index >= 0 and starts[index] + offset > after else None


def _cut_before(text: str, position: int, earliest: int) -> int:
    """The last place at or before ``position`` (not before ``earliest``) that follows whitespace or
    punctuation; ``position`` itself when there is none. Never beyond the text, never below 0."""
    position = min(position, len(text))
    earliest = max(0, earliest)
    if position <= earliest:
        return max(position, 0)
    found = _LAST_BREAK.match(text, earliest, position)
    return found.end() if found is not None else position
