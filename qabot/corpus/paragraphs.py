"""Paragraphs of a document's text, with exact offsets; headings name sections; repeats are marked.

Works on plain text whatever its layout: paragraphs separated by blank lines, one per
line, or hard-wrapped (no line longer than 120 characters). Headings are Markdown ``#``
or underlined lines, or a short line without closing punctuation followed by text; an
author's sign-off (a line naming an earlier "... by Jane Roe" byline) closes the signed
piece. A paragraph that repeats an earlier one (an image caption printed twice) is
marked ``duplicate`` and not indexed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from qabot.models import Paragraph
from qabot.text import dedup_key

_ENDS_SENTENCE = re.compile(r"[.!?…,;\"”’'»)\]]\s*$")
_WRAP_LIMIT = 120  # lines no longer than this, in a file whose lines all are, were hard-wrapped
# "... by Jane Roe" at the end of a short line: a byline or a credit. A later line that is
# only that name is the author signing off: it closes the piece and names no section.
_BYLINE = re.compile(r"\bby\s+((?:[A-Z][\w.'’-]*\s+){0,3}[A-Z][\w.'’-]*)\s*$")
MAX_HEADING_CHARS = 80
MAX_HEADING_WORDS = 12


@dataclass
class _Line:
    start: int
    end: int  # without the newline
    text: str


def paragraphs(text: str, body_start: int = 0) -> list[Paragraph]:
    """Split ``text[body_start:]`` into paragraphs with exact offsets.

    Blank lines always end a paragraph. Inside a block of consecutive lines, a line
    starts a new paragraph unless the file is hard-wrapped (no line longer than 120
    characters), the line before it is full (reaches most of the wrap width), and it
    does not open a Markdown block (a list item, a quote, a table, a heading, a fence).
    Headings (Markdown ``#`` / underlined, or a short line without closing punctuation
    that is followed by text) name the section of what follows and are not numbered.
    Repeated paragraphs (like an image caption printed twice) are marked ``duplicate``.
    """
    lines = _lines(text, body_start)
    raw = _group(lines, _Markdown(text[body_start:]))
    return _classify(text, raw)


def _lines(text: str, body_start: int) -> list[_Line]:
    out = []
    pos = body_start
    for piece in text[body_start:].split("\n"):
        out.append(_Line(pos, pos + len(piece), piece))
        pos += len(piece) + 1
    return out


class _Markdown:
    """The Markdown block structure of a text, by line number, from markdown-it-py (CommonMark and tables).

    Only the block level is parsed. Indented code is not recognised (indented paragraphs
    are common in plain text), and neither is raw HTML.
    """

    _BLOCKS = ("heading_open", "list_item_open", "blockquote_open", "table_open", "fence", "hr")
    # Every Markdown block but a paragraph starts its line (after up to three spaces) with one
    # of these, and a table's delimiter row is made of them: a text without any is plain.
    _MAYBE = re.compile(r"^ {0,3}[#>*+\-=|:~`\d]", re.MULTILINE)

    def __init__(self, body: str) -> None:
        self.headings: dict[int, str] = {}  # first line of a heading -> its text
        self.heading_lines: dict[int, int] = {}  # every line of a heading -> its first line
        self.code: set[int] = set()  # lines of fenced code, the fences included
        self.starts: set[int] = set()  # first lines of blocks other than paragraphs
        if self._MAYBE.search(body):
            self._parse(body)

    def _parse(self, body: str) -> None:
        from markdown_it import MarkdownIt

        md = MarkdownIt("commonmark").enable("table")
        md.core.ruler.disable(["inline", "text_join"])
        md.block.ruler.disable(["code", "html_block"])
        # markdown-it reads a lone CR as a line break; str.split("\n") does not.
        tokens = md.parse(body.replace("\r", " "))
        for i, token in enumerate(tokens):
            if token.map is None or token.type not in self._BLOCKS:
                continue
            first, end = token.map
            self.starts.add(first)
            if token.type == "fence":
                self.code.update(range(first, end))
            elif token.type == "heading_open":
                content = tokens[i + 1].content.strip() if i + 1 < len(tokens) else ""
                # An underlined heading of several lines is, in plain text, more often a
                # paragraph above a rule than a heading: only one line counts.
                if content and (token.markup not in ("=", "-") or end - first == 2):
                    self.headings[first] = content
                    self.heading_lines.update(dict.fromkeys(range(first, end), first))


def _group(lines: list[_Line], markdown: _Markdown) -> list[tuple[int, int, str | None]]:
    """(start, end, heading text when it is a Markdown heading) of every paragraph."""
    lengths = sorted(len(line.text.rstrip()) for line in lines if line.text.strip())
    if not lengths:
        return []
    width = lengths[-1]
    wrapped = width <= _WRAP_LIMIT and len(lengths) > 1
    full = 0.7 * width

    out: list[tuple[int, int, str | None]] = []
    current: list[_Line] = []

    def span(first: _Line, last: _Line) -> tuple[int, int]:
        return first.start + (len(first.text) - len(first.text.lstrip())), last.start + len(last.text.rstrip())

    def flush() -> None:
        if current:
            out.append((*span(current[0], current[-1]), None))
            current.clear()

    heading: list[_Line] = []
    for number, line in enumerate(lines):
        if number in markdown.heading_lines:
            flush()
            first = markdown.heading_lines[number]
            heading.append(line)
            if number + 1 not in markdown.heading_lines or markdown.heading_lines[number + 1] != first:
                # "Title\n=====": the underline is not part of the heading's text.
                text_lines = heading[:-1] if len(heading) > 1 and _is_underline(heading[-1].text) else heading
                out.append((*span(text_lines[0], text_lines[-1]), markdown.headings[first]))
                heading = []
            continue
        if not line.text.strip():
            flush()
            continue
        if current and number not in markdown.code:
            previous = current[-1].text.rstrip()
            continues = wrapped and len(previous) >= full and number not in markdown.starts
            if not continues:
                flush()
        current.append(line)
    flush()
    return out


def _is_underline(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and set(stripped) <= {"=", "-"}


def _classify(text: str, raw: list[tuple[int, int, bool]]) -> list[Paragraph]:
    bodies = [text[start:end] for start, end, _ in raw]
    keys = [dedup_key(body) for body in bodies]
    heading_like = [md is None and _looks_like_heading(body) for (_, _, md), body in zip(raw, bodies, strict=True)]
    result: list[Paragraph] = []
    section: str | None = None
    number = 0
    seen: set[str] = set()
    signatures: set[str] = set()  # names from earlier bylines
    for index, (start, end, md_heading) in enumerate(raw):
        if md_heading is not None:
            section = md_heading
            result.append(Paragraph(start=start, end=end, number=0, section=section, heading=True))
            continue
        key = keys[index]
        repeated = key in seen or (index > 0 and _near_duplicate(key, keys[index - 1]))
        byline = _BYLINE.search(bodies[index]) if len(bodies[index]) <= 300 else None
        if byline:
            signatures.add(dedup_key(byline.group(1)))
        if key in signatures and heading_like[index]:
            # An author signing off: it closes the piece (like a heading, it is not passage
            # text), and what follows is not part of the signed piece's section.
            section = None
            result.append(Paragraph(start=start, end=end, number=0, section=None, heading=True))
            continue
        if not repeated and _starts_section(index, keys, heading_like):
            section = " ".join(bodies[index].split())
            result.append(Paragraph(start=start, end=end, number=0, section=section, heading=True))
            continue
        number += 1
        result.append(Paragraph(start=start, end=end, number=number, section=section, duplicate=repeated))
        seen.add(key)
    return result


def _starts_section(index: int, keys: list[str], heading_like: list[bool]) -> bool:
    """A heading-like line heads a section if it starts a run of such lines that text follows.

    The rest of the run (a subtitle, a byline) stays text. A line repeated right after
    itself is a caption, not a heading.
    """
    if not heading_like[index] or (index > 0 and heading_like[index - 1]):
        return False
    if index + 1 >= len(keys) or _near_duplicate(keys[index], keys[index + 1]):
        return False
    following = index + 1
    while following < len(keys) and heading_like[following]:
        following += 1
    return following < len(keys)


def _looks_like_heading(line: str) -> bool:
    line = line.strip()
    if not line or "\n" in line or len(line) > MAX_HEADING_CHARS:
        return False
    if len(line.split()) > MAX_HEADING_WORDS or _ENDS_SENTENCE.search(line):
        return False
    first = line[0]
    return first.isupper() or first.isdigit() or not first.isalpha()


def _near_duplicate(a: str, b: str) -> bool:
    # Only short neighbours are compared (captions, pull quotes): cheap, and long
    # paragraphs that differ by a few letters are rare and better kept.
    if a == b:
        return True
    if not a or not b or max(len(a), len(b)) > 400 or abs(len(a) - len(b)) > 0.1 * max(len(a), len(b)):
        return False
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.9
