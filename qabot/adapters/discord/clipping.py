"""Cutting text to a length, at a word boundary when there is one and never inside a character cluster (a letter and
its accents, an emoji sequence), the cut marked with an ellipsis. Discord counts characters as code points, as
Python's ``len`` does."""

from __future__ import annotations

import re
import unicodedata

ELLIPSIS = "…"

_JOINERS = {"\u200d", "\ufe0e", "\ufe0f"}  # zero-width joiner, text/emoji variation selectors
_SPACE = re.compile(r"\s")


def _continues(char: str) -> bool:
    """True for a character that belongs to the cluster before it (an accent, a skin tone, a joiner)."""
    return (
        unicodedata.category(char) in ("Mn", "Mc", "Me")
        or char in _JOINERS
        or 0x1F3FB <= ord(char) <= 0x1F3FF
        or 0xE0020 <= ord(char) <= 0xE007F  # emoji tag sequences
    )


def _flag(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF  # regional indicators: a flag is a pair of them


def _splits(text: str, cut: int) -> bool:
    """True when cutting ``text`` at ``cut`` would split a character cluster."""
    if not 0 < cut < len(text):
        return False
    if _continues(text[cut]) or text[cut - 1] == "\u200d":
        return True
    if _flag(text[cut]) and _flag(text[cut - 1]):
        run = 0
        while run < cut and _flag(text[cut - 1 - run]):
            run += 1
        return run % 2 == 1  # an odd number of indicators before the cut: inside a flag
    return False


def _cluster_end(text: str, end: int) -> int:
    """The largest cut position <= ``end`` that does not split a character cluster."""
    while _splits(text, end):
        end -= 1
    return end


def _cluster_start(text: str, start: int) -> int:
    """The smallest cut position >= ``start`` that does not split a character cluster."""
    while _splits(text, start):
        start += 1
    return start


def clip(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else its start cut at a word boundary, with '…'.

    A word longer than half of what is kept (a long file name) is cut inside: going back to
    the space before it would keep little or nothing ("[3]…" for a source's citation).
    """
    if len(text) <= limit:
        return text
    if limit < 2:
        return ELLIPSIS[:limit]
    end = limit - len(ELLIPSIS)
    if not text[end].isspace():  # the cut would fall inside a word: go back to the last space
        space = max((m.start() for m in _SPACE.finditer(text, 0, end)), default=-1)
        if space >= end // 2:
            end = space
    end = _cluster_end(text, end)
    return text[:end].rstrip() + ELLIPSIS


def clip_start(text: str, limit: int) -> str:
    """``text`` if it fits, else its end (cut at a word boundary, unless the word is longer than half of what is
    kept), after '…'."""
    if len(text) <= limit:
        return text
    if limit < 2:
        return ELLIPSIS[:limit]
    start = len(text) - (limit - len(ELLIPSIS))
    if not text[start - 1].isspace():  # inside a word: go forward to the next space
        space = _SPACE.search(text, start)
        if space is not None and space.end() - start <= (len(text) - start) // 2:
            start = space.end()
    start = _cluster_start(text, start)
    return ELLIPSIS + text[start:].lstrip()
