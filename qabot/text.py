"""Small text helpers shared across the pipeline: one home for each, no copies.

- ``fold``: casefolded, accent-stripped text, the form lexical matching compares in;
- ``dedup_key``: letters and digits only, casefolded: two texts with the same key repeat;
- ``flat``: text on one line, whitespace runs collapsed (sources may be hard-wrapped);
- ``first_line``: the first line of an exception's message, for one-line errors;
- ``strip_controls``: control and invisible format characters replaced by spaces (a joiner that joins, kept);
- ``visible``: the same characters shown as harmless visible text, for output;
  ``json_safe`` escapes them in JSON output;
- ``blank``: whether a text shows nothing (whitespace, invisible characters, blank fillers);
- ``QUESTION_MARKS`` and ``asks_mark``: the question marks people type, and whether a text holds one;
- ``SURROGATE``: a lone surrogate, which JSON and broken decoding can give but is no character.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

# C0 and C1 controls (but tab and newline), zero-width and bidi format characters, BOM.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_NOT_ALNUM = re.compile(r"[\W_]+")
SURROGATE = re.compile("[\ud800-\udfff]")  # a lone surrogate: it cannot be encoded, printed or sent
LABEL_CHARS = 150  # the most of a title, a section or an author that a citation shows (a hostile file's: a megabyte)


@lru_cache(maxsize=1)
def _combining() -> dict[int, None]:
    """A str.translate table deleting every combining mark, and the soft hyphen (built once, in about 0.05 s)."""
    # No code point past plane 1 has a combining class (the last is U+1E94A in Unicode 14).
    return {cp: None for cp in range(0x20000) if unicodedata.combining(chr(cp))} | {0xAD: None}


def fold(text: str) -> str:
    """Casefold and strip accents: the form both sides of a lexical match are compared in. A soft hyphen (U+00AD,
    where a word may break if it must: "spec\u00adtro\u00adgraph") is dropped, as a page shows the word whole."""
    folded = text.casefold()
    if folded.isascii():  # nothing to decompose or strip
        return folded
    # The same as dropping each character with unicodedata.combining(ch) (and U+00AD), in one C loop:
    # this runs for every sentence the highlight scores, so it is worth the table.
    return _decomposed(folded).translate(_combining())


# NFKD puts a run of accents in order with an insertion sort: a chat message of 64,000 accents of two kinds took
# seconds. Only accents are ever put in another order, and fold and dedup_key drop every one of them, so the text is
# decomposed in pieces of this many characters, which gives the same result in a time that grows with its length.
_PIECE = 256


def _decomposed(text: str) -> str:
    """NFKD, in pieces: the same as one call wherever what follows drops every combining mark."""
    if len(text) <= _PIECE:
        return unicodedata.normalize("NFKD", text)
    return "".join(unicodedata.normalize("NFKD", text[at : at + _PIECE]) for at in range(0, len(text), _PIECE))


_ASCII_NOT_ALNUM = {cp: None for cp in range(128) if not chr(cp).isalnum()}


def dedup_key(text: str) -> str:
    """Casefolded letters and digits only: two paragraphs with the same key are the same."""
    folded = text.casefold()
    if folded.isascii():  # NFKD changes nothing, and one C loop drops what the pattern would
        return folded.translate(_ASCII_NOT_ALNUM)
    return _NOT_ALNUM.sub("", _decomposed(folded))  # no combining mark is a letter or a digit


def flat(text: str) -> str:
    """One line: whitespace runs, line breaks included, become single spaces."""
    return " ".join(text.split())


def strip_controls(text: str) -> str:
    """``text`` with control and invisible format characters replaced by spaces, but a joiner that joins two
    characters into what a reader sees (a Persian word, an emoji sequence: ``visible`` shows it so too)."""
    return _UNJOINED_CONTROL.sub(" ", text)


# Bidi overrides and isolates, and the other invisible format characters (the Arabic letter mark, the Mongolian
# vowel separator, tag characters): shown by name, so that text cannot be reordered or hidden on screen.
INVISIBLE = (*range(0x200B, 0x2010), *range(0x2028, 0x202F), *range(0x2060, 0x206A), 0xFEFF, 0x061C, 0x180E,
             *range(0xE0000, 0xE0080))


# What shows nothing besides whitespace: those invisible characters, the soft hyphen and the combining grapheme
# joiner, and the blank "letters" (Hangul fillers, the Braille blank) that Discord members post as an empty message.
_BLANK = dict.fromkeys((*INVISIBLE, 0x00AD, 0x034F, 0x115F, 0x1160, 0x2800, 0x3164, 0xFFA0))


def blank(text: str) -> bool:
    """Whether ``text`` shows nothing: whitespace and invisible characters alone."""
    return not text.translate(_BLANK).strip()


def _visible_table() -> dict[int, str]:
    table = {cp: chr(0x2400 + cp) for cp in range(0x20)}  # C0 controls: their Control Pictures, ␛ for ESC
    table[0x7F] = "\u2421"  # ␡
    table.update({cp: f"\\x{cp:02x}" for cp in range(0x80, 0xA0)})  # C1 controls, CSI (0x9b) among them
    table.update({cp: f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}" for cp in INVISIBLE})
    return table


_VISIBLE = _visible_table()
_VISIBLE_KEEP_LINES = {cp: v for cp, v in _VISIBLE.items() if cp not in (0x09, 0x0A)}
# What joins the characters around it into what a reader sees, and is shown so: a zero-width joiner or non-joiner
# between two shown characters (an emoji sequence, "🧑\u200d💻"; Persian and Indic words, "می\u200cشود"), and an
# emoji tag sequence (the flag of Scotland: a black flag, tag letters, a cancel tag). Anywhere else they are escaped.
_SHOWN = r"[^\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufeff\U000e0000-\U000e007f]"
_JOINER = rf"(?<={_SHOWN})[\u200c\u200d](?={_SHOWN})"
_JOINED = re.compile(rf"{_JOINER}|\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")
_UNJOINED_CONTROL = re.compile(rf"(?!{_JOINER}){CONTROL.pattern}")


def visible(text: str, *, lines: bool = False) -> str:
    """``text`` with every control and invisible format character shown as visible text.

    ESC becomes ␛, NUL ␀, a C1 control ``\\x9b``, a bidi override ``\\u202e``: nothing a
    document holds can then move the cursor, recolour, retitle or reorder a terminal.
    Tab and newline are kept when ``lines`` is set. A joiner that joins two characters, and
    an emoji tag sequence, are shown as they are (``_JOINED``): they reorder nothing, and
    escaped they broke emoji ("👨\\u200d👩\\u200d👧") and Persian or Hindi words.
    """
    table = _VISIBLE_KEEP_LINES if lines else _VISIBLE
    if "\u200c" not in text and "\u200d" not in text and "\U000e007f" not in text:
        return text.translate(table)
    shown, at = [], 0
    for match in _JOINED.finditer(text):
        shown += (text[at : match.start()].translate(table), match.group())
        at = match.end()
    shown.append(text[at:].translate(table))
    return "".join(shown)


# What JSON leaves raw (it escapes C0 controls itself) and a terminal may act on: DEL, C1 controls, the invisible.
_JSON_UNSAFE = re.compile("[" + "".join(re.escape(chr(cp)) for cp in (*range(0x7F, 0xA0), *INVISIBLE)) + "]")


def json_safe(text: str) -> str:
    """JSON text with the characters JSON leaves raw but a terminal may act on escaped as ``\\uXXXX``.

    Still the same JSON: those characters can only stand inside strings, where any
    character may be written escaped.
    """
    return _JSON_UNSAFE.sub(lambda m: _json_escape(ord(m.group())), text)


def _json_escape(cp: int) -> str:
    if cp <= 0xFFFF:
        return f"\\u{cp:04x}"
    cp -= 0x10000  # past the BMP, JSON spells a character as its UTF-16 surrogate pair
    return f"\\u{0xD800 + (cp >> 10):04x}\\u{0xDC00 + (cp & 0x3FF):04x}"


# "?", the full-width one Chinese and Japanese keyboards type, and the Arabic one
QUESTION_MARKS = ("?", "\uff1f", "\u061f")


def asks_mark(text: str) -> bool:
    """Whether ``text`` holds a question mark (``QUESTION_MARKS``)."""
    return any(mark in text for mark in QUESTION_MARKS)


def first_line(exc: BaseException) -> str:
    """The first line of an error's message, or its type's name when it has none."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def scalar_text(value: object) -> str | None:
    """A JSON field's text: a string, or a number written as one; None for anything else (a list, an object, true),
    which would otherwise be cited as Python writes it ("['x']")."""
    if isinstance(value, str):
        return value
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def listed(value: object) -> list:
    """A JSON field's items: the list, or none for anything else (true, 1.5, an object), which iterating would
    fail on or read letter by letter."""
    return value if isinstance(value, list) else []


def clipped(text: str, most: int = 80) -> str:
    """``text``, cut to ``most`` characters with an ellipsis when longer: a name quoted in a one-line message."""
    return text if len(text) <= most else text[: most - 1] + "…"


def render_table(title: str, header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table (rich's, without colour), for reports printed by the CLI.

    Every cell is shown with ``visible``: a title or a cell can come from a file's name.
    """
    import io

    from rich import box
    from rich.console import Console
    from rich.table import Table

    title, header, rows = visible(title), [visible(h) for h in header], [[visible(c) for c in r] for r in rows]
    table = Table(*header, box=box.SIMPLE_HEAD, pad_edge=False)
    for row in rows:
        table.add_row(*row)
    out = io.StringIO()
    Console(file=out, width=max(80, table_width(header, rows)), color_system=None, emoji=False,
            markup=False, highlight=False).print(table)
    body = "\n".join(line.rstrip() for line in out.getvalue().splitlines()).strip("\n")
    # The title above, as a line of its own: rich's would be wrapped to the width of a narrow table.
    return f"{title}\n\n{body}" if title else body


def table_width(header: list[str], rows: list[list[str]]) -> int:
    """Wide enough that no cell wraps: the widest cell of each column, plus padding."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    return sum(widths) + 3 * len(widths) + 2


def lines(text: str) -> Iterator[str]:
    """``text.split("\\n")``, one line at a time: a file of millions of short lines is never held as a list."""
    start = 0
    while (end := text.find("\n", start)) >= 0:
        yield text[start:end]
        start = end + 1
    yield text[start:]


def bounded(name: str) -> str:
    """``name`` as a pattern not inside a longer word: where it starts or ends with a letter or a digit, no other
    may stand beside it there (a name that starts or ends with a sign is found wherever it is)."""
    before, after = r"(?<!\w)" if re.match(r"\w", name) else "", r"(?!\w)" if re.match(r"\w", name[-1]) else ""
    return before + re.escape(name) + after
