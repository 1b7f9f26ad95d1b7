"""Text that a PDF shows but does not say: glyphs of a font without a character map.

A PDF's text is the character codes its fonts draw. Where a font has no map from its codes
to characters (no ``/ToUnicode``, an embedded subset with made-up glyph names), PDFium
gives what it can: the code's own value as a character. What comes out is not the text
on the page: unmapped glyphs (U+FFFD), control characters ("\\x01\\x04"), or letters from half
a dozen writing systems in one word ("¢һӍΉʽী", "̽ଋҨǥƹ̽ୡȥ"). Such text
would be indexed and quoted as if it were the document's, so the PDF reader leaves it out
and says so.

Two signs, neither of which real text gives: a line whose characters are mostly unmapped
glyphs or control characters (``unreadable``), and a page where many words mix three
or more writing systems (``mixed_scripts``). Japanese mixes kanji, hiragana and katakana, and
Korean hangul with hanja, so those count as one system; Latin with Greek (a formula) is two.
A font that maps its codes to the wrong Latin letters (a Caesar shift: "0SVIQMTWYQ") is
not caught: it reads as a word of some other language.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

MIXED_WORDS = 5  # words mixing three or more writing systems that make a page garbled, where they are also
MIXED_SHARE = 0.3  # at least this share of its words of three letters or more
# The first word of a letter's Unicode name, for the writing systems that share one text: CJK ideographs, kana,
# hangul and their half- and full-width forms.
_SAME_SYSTEM = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "CJK", "HALFWIDTH": "CJK", "IDEOGRAPHIC": "CJK",
                "BOPOMOFO": "CJK", "FULLWIDTH": "LATIN"}


def unreadable(line: str) -> bool:
    """Whether most of a line's characters (spaces aside) are no text: unmapped glyphs or controls."""
    shown = [char for char in line if not char.isspace()]
    return bool(shown) and sum(map(_no_text, shown)) > len(shown) / 2


def mixed_scripts(lines: Iterable[str]) -> bool:
    """Whether a page's words (``lines``) are garbled: at least ``MIXED_WORDS`` of them, and ``MIXED_SHARE`` of
    those of three letters or more, mix letters of three or more writing systems."""
    words = [word for line in lines for word in line.split() if len(word) >= 3]
    mixed = sum(not word.isascii() and len({_system(char) for char in word if char.isalpha()}) >= 3 for word in words)
    return mixed >= MIXED_WORDS and mixed >= MIXED_SHARE * len(words)


def _no_text(char: str) -> bool:
    """An unmapped glyph (U+FFFD) or a control character (the code itself, where a font names no character).

    Not a private-use character: fonts map symbols to them that Unicode has no place for (the Symbol font's
    bracket pieces, Adobe's small capitals), and PDFium gives them as the font says."""
    return char == "\ufffd" or unicodedata.category(char) == "Cc"  # a space, tab or line break is no control here


def _system(letter: str) -> str:
    """A letter's writing system, as the first word of its Unicode name ("CYRILLIC", "GREEK", "LATIN")."""
    first = unicodedata.name(letter, "?").split(" ", 1)[0]
    return _SAME_SYSTEM.get(first, first)
