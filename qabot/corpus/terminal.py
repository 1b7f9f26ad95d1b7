"""Text formatted for a terminal, as a reader sees it: a man page saved from ``man``, a coloured log.

Programs that write for a terminal mark their text up in two ways: ANSI escape
sequences (``ESC[1m`` bold, colours, ``ESC[0m``), and overstrike, a character, a
backspace and a character again (``b\\bb`` bold, ``_\\bb`` underlined), which ``man``
writes when its output is not a terminal and ``MAN_KEEP_FORMATTING`` is set. groff also
hyphenates words at line ends ("notifica‐" then "tions" on the next line).

``plain(text)`` is the text a reader sees on the terminal: escape sequences (read with
rich's ANSI decoder, one line at a time) and overstrike removed, and each word
hyphenated at a line end whole again at the end of its first line (the rest of the next
line stays where it was, so the layout, and the paragraphs found in it, stay as they
were). The hyphen is dropped, except in a compound whose two halves are words of the
text ("in-" "memory") unless the joined word is one too ("file‐" "name"). groff's
hyphen (U+2010) is undone in any text; an ASCII ``-`` only in text that holds terminal
markup or begins with a man page's header (``ZLIB(3) ... ZLIB(3)``), where it is
groff's too. A text with none of this is returned unchanged, so a plain file keeps
offsets into the file as it is; so is a text with a stray escape sequence or two that
sets no attributes (``ESC[2J`` in a note): those are characters of the text, quoted
verbatim and shown inert. So is a text of more than ``LINES_PER_MB`` lines for each MB of
``QABOT_READER_MAX_INFLATED_MB`` (a million by default, a man page has thousands): undoing its
markup holds it as a string a line, and 60 MB of two-letter lines took 1.5 GB that way.
"""

from __future__ import annotations

import re
from collections import Counter

from qabot.corpus import limits
from qabot.corpus.hyphens import WORD, compound

_ESCAPE = "\x1b"
_SGR = re.compile(r"\x1b\[[0-9;:]*m")  # Select Graphic Rendition: bold, underline, colours, reset
_STRUCK = re.compile(r"([^\n\x08])\x08\1|_\x08[^\n\x08]")  # "b\bb" bold, "_\bb" underlined
_LOOK = 1 << 20  # a terminal's markup starts early: the first million characters are enough to tell
_OVERSTRIKE = re.compile(r"[^\n\x08]\x08")  # what the backspace goes back over is written over: the last one shows
_FIRST_CHARACTER = re.compile(r"\S")
_MAN_NAME = re.compile(r"\S+\(\w+\)")  # "ZLIB(3)"
MAX_HEADER_CHARS = 256  # a man page's header is one line of a terminal
_HYPHENS = "\u2010-"
_LINE_END_HYPHEN = re.compile(r"(?<![^\W\d_])([^\W\d_]+)([\u2010-])$")  # from a word's start: linear in the line
LINES_PER_MB = 250_000  # lines of a text read as a terminal shows it, for each MB of QABOT_READER_MAX_INFLATED_MB


def formatted(text: str) -> bool:
    """Whether ``text`` was formatted for a terminal: it sets character attributes (``ESC[1m``) or overstrikes.

    Twice at least: a stray escape sequence (``ESC[2J`` in a note) is a character of the
    text, kept and quoted verbatim like any other (and shown inert, as ``␛[2J``).
    """
    return len(_SGR.findall(text, 0, _LOOK)) >= 2 or len(_STRUCK.findall(text, 0, _LOOK)) >= 2


def plain(text: str) -> str:
    """``text`` as a terminal shows it (see the module's docstring); ``text`` itself when nothing changes."""
    if text.count("\n") >= LINES_PER_MB * limits.current().max_inflated_mb:
        return text  # too long to hold a line at a time: its markup is text, shown inert
    marked = formatted(text)
    if marked:
        text = _strip_markup(text)
    man = marked or _man_header(text)
    if "\u2010\n" in text or (man and "-\n" in text):
        text = _join_hyphenated(text, _HYPHENS if man else "\u2010")
    return text


def _man_header(text: str) -> bool:
    """Whether ``text`` begins with a man page's header: ``ZLIB(3)   Library Functions Manual   ZLIB(3)``.

    Its first line that is not blank, looked at alone, without a pattern that backtracks: one
    (``\\s{2,}.*\\s{2,}\\1``) took 80 s over a line of 4,000 spaces, in one call no time limit stops.
    """
    first = _FIRST_CHARACTER.search(text)
    if first is None:
        return False
    line = text[first.start() : first.start() + MAX_HEADER_CHARS + 1].partition("\n")[0].rstrip(" \t")
    name = line.split(maxsplit=1)[0]
    middle = line[len(name) : len(line) - len(name)]
    return (len(line) <= MAX_HEADER_CHARS and bool(_MAN_NAME.fullmatch(name)) and line.endswith(name)
            and len(middle) >= 4 and middle[:2].isspace() and middle[-2:].isspace())


def _strip_markup(text: str) -> str:
    from rich.text import Text

    lines = text.split("\n")
    for number, line in enumerate(limits.checked(lines)):  # rich takes its time over a line of escapes
        if _ESCAPE in line:
            # rich reads a CR as "back to the start of the line": a CRLF file keeps its CR.
            body, end = (line[:-1], "\r") if line.endswith("\r") else (line, "")
            lines[number] = Text.from_ansi(body).plain + end
        if "\x08" in lines[number]:
            lines[number] = _OVERSTRIKE.sub("", lines[number])
    return "\n".join(lines)


def _join_hyphenated(text: str, hyphens: str) -> str:
    lines = text.split("\n")
    sites = []  # (line number, the hyphen's match, the first word of the next line, the rest of that line)
    for number in limits.checked(range(len(lines) - 1)):
        match = _LINE_END_HYPHEN.search(lines[number])
        rest = lines[number + 1].lstrip(" \t")
        # groff's own hyphen may break a name too ("ZSTDMT_NB‐" "WORKERS_MAX"); an ASCII one only a word.
        goes_on = rest[:1].islower() or (rest[:1].isalpha() and bool(match) and match.group(2) == "\u2010")
        if match and match.group(2) in hyphens and goes_on:
            piece, _, after = rest.partition(" ")
            sites.append((number, match, piece, after))
    # The text's own words, less the halves of the hyphenated ones: is "in" + "memory" a compound?
    words = Counter(match.group().lower() for match in limits.checked(WORD.finditer(text)))  # never all held
    halves = [(match.group(1).lower(), _first_word(piece)) for _, match, piece, _ in sites]
    words.subtract(half for pair in halves for half in pair)
    dropped: set[int] = set()
    for (number, match, piece, after), (head, tail) in zip(sites, halves, strict=True):
        if number in dropped:  # its own first word went up to the line before: nothing left to join
            continue
        keeps = compound(words, head, tail)
        # From the end: the line's start may have gone up to the line before it already.
        lines[number] = lines[number][:-1] + (match.group(2) if keeps else "") + piece
        following = lines[number + 1]
        if after.strip():
            lines[number + 1] = following[: len(following) - len(following.lstrip(" \t"))] + after.lstrip(" ")
        else:
            dropped.add(number + 1)  # the word was all of its line
    return "\n".join(line for number, line in enumerate(lines) if number not in dropped)


def _first_word(piece: str) -> str:
    match = WORD.match(piece)
    return match.group(0).lower() if match else ""
