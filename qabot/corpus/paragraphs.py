"""Paragraphs of a document's text, with exact offsets; headings name sections; repeats are marked.

Works on plain text whatever its layout: paragraphs separated by blank lines, one per
line, or hard-wrapped (nearly every line no longer than 120 characters). Headings are
Markdown ``#`` or underlined lines, or a short line that reads as a title followed by
text: not a line of code (``#endif``, ``#include <zlib.h>``, ``CPPFLAGS=-DPNG_X``), not
one that ends in ``:`` or other punctuation, and not a fragment of a sentence (one that
ends in "to" or "the", that holds the end of a sentence, or that the next line goes on
with in lower case); an
author's sign-off (a line naming an earlier "... by Jane Roe" byline) closes the signed
piece. A paragraph that repeats an earlier one (an image caption printed twice) is
marked ``duplicate`` and not indexed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher

from qabot.corpus import limits, text_pages
from qabot.corpus.markdown import Dialect, Markdown
from qabot.models import Paragraph
from qabot.text import dedup_key

# A section's number at a heading's start, without its closing dot: "2.1" of "2.1.  OPEN" (not "1990 was ...").
_SECTION_NUMBER = re.compile(r"(\d{1,3}(?:\.\d{1,3})*)\.?\s+\S")
_LEADERS = re.compile(r"(?:\.\s?){4,}\s*(?:\d+|[ivxlc]+|[IVXLC]+)\s*$")  # a contents entry's dots to its page
_ENDS_SENTENCE = re.compile(r"[.!?…,;:\"”’'»)\]]\s*$")
# Code, a command, a setting or a column layout, not a title: an identifier_with_underscores,
# "=", ";", braces, angle brackets, a call "f(", a backslash, or a gap of three spaces.
_CODE = re.compile(r"[^\W_]_[^\W_]|[=;{}<>\\]|\w\(|\S {3,}\S")
_SENTENCE_INSIDE = re.compile(r"[a-z]{2}[.!?][\"”’')]*\s+\S")  # "... from libpng.  Your" (not "II. Structures")
# A title does not end on these: "With this format the final image must be re-encoded to".
_DANGLING = re.compile(r"(?i)\b(?:a|an|the|to|of|and|or|nor|but|with|from|at|in|on|by|for|into|that|which|is|are|"
                       r"be|as|than|like|if|its|their|your|our|this|these|those)$|,\s*[a-z]+$")  # or "..., use"
# "  II. Structures", "A. Changing pnglibconf.h", "3.6. Cat pages": a numbered entry or heading.
_ENUMERATED = re.compile(r"^\s*(?:[IVXLC]+|[A-Z]|\d+(?:\.\d+)*)\.\s+[A-Z]")
_LIST_ITEM = re.compile(r"^\d+[:)]\s")  # "2: keep only if safe-to-copy"
# "27 February 1940, Coyoacan", "December 18, 1995": a dateline, not a title.
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATELINE = re.compile(rf"(?i)\b(?:\d{{1,2}}\s+{_MONTH}|{_MONTH}\s+\d{{1,2}},?)\s+\d{{4}}\b")
_COPYRIGHT = re.compile(r"(?i)^copyright\b|\(c\)|©")
_WRAP_LIMIT = 120  # lines no longer than this, in a file where nearly all are, were hard-wrapped
_USUAL_WRAP = 80  # editors and mailers wrap at this width or less: a line past it in a wrapped text may be an outlier
_WRAPPED_SHARE = 0.95  # of a file's lines: one long line (a URL, a badge) does not make it unwrapped
# "... by Jane Roe" at the end of a short line: a byline or a credit. A later line that is
# only that name is the author signing off: it closes the piece and names no section.
_BYLINE = re.compile(r"\bby\s+((?:[A-Z][\w.'’-]*\s+){0,3}[A-Z][\w.'’-]*)\s*$")
# A changelog's kinds of change (Keep a Changelog's, and release notes' usual ones): under a version's heading, such
# a heading names no section alone ("§ Changed" in every version), so its section is the version's and its own,
# "[2.0.0] - 2024-01-10 › Changed", cited so and read with its passages (``ingest.indexed_text``).
_CHANGE_KIND = re.compile(r"(?i)(?:added|changed|deprecated|removed|fixed|fixes|bug ?fixes|security|(?:new )?features|"
                          r"breaking changes?|improvements|enhancements|performance|documentation|dependencies|"
                          r"other changes|miscellaneous|misc|internal)\W*")
_VERSION_HEADING = re.compile(r"(?i)^\W*(?:v(?:ersion)?\s*)?\d+\.\d+|^\W*unreleased\b")  # "[2.0.0] - ...", "v1.2", "Unreleased"
CHANGES = " › "


def changes_section(section: str) -> bool:
    """Whether ``section`` is a changelog's version and kind of change as ``_classify`` names it, not any heading that
    holds a " › " (a breadcrumb's "Settings › Advanced")."""
    version, separator, kind = section.rpartition(CHANGES)
    return bool(separator) and _VERSION_HEADING.search(version) is not None and _CHANGE_KIND.fullmatch(kind) is not None
MAX_HEADING_CHARS = 80
MAX_HEADING_WORDS = 12
_BLOCK = 1 << 16  # characters split into lines at a time


@dataclass(slots=True)
class _Line:
    start: int
    text: str  # without the newline


def paragraphs(text: str, body_start: int = 0, dialect: Dialect = "text") -> list[Paragraph]:
    """Split ``text[body_start:]`` into paragraphs with exact offsets.

    Blank lines end a paragraph, but in fenced code (a fenced block is one paragraph).
    Inside a block of consecutive lines, a line starts a new paragraph unless the file is
    hard-wrapped (no line longer than 120 characters), the line before it is full
    (reaches most of the wrap width), and it does not open a Markdown block (a list item,
    a quote, a table, a heading, a fence); in Markdown, the lines of one paragraph are one
    paragraph, as the page shows them, wrapped or not. A fence parts a paragraph from its code even
    with no blank line between them. A table's delimiter row (``|---|---|``) is no
    paragraph.
    Headings (Markdown ``#`` / underlined, or a short line without closing punctuation
    that is followed by text) name the section of what follows and are not numbered.
    Repeated paragraphs (like an image caption printed twice) are marked ``duplicate``.
    A byte-order mark at the start is part of no paragraph, so "# Title" after it is a
    heading; offsets still point into ``text`` as it is, the mark included.

    In Markdown (``dialect`` "markdown", a ``.md`` file), what a reader of the rendered
    page never sees is no paragraph: a rule (``---``), a link reference definition, a line of
    images (badges), an HTML comment, a line of HTML tags alone (``<p align="center">``,
    ``</details>``, an ``<img>``, a tag over several lines, a JSX tag with ``{...}``
    attributes), a GitHub alert's ``> [!NOTE]``, a ``<script>`` or
    ``<style>`` block; the text between tags (a ``<summary>``'s) is a paragraph, its tags
    around it left out of its span; nor is an admonition's fence (``:::note``, ``:::``,
    MkDocs' ``!!! note`` and content tab ``=== "pip"``, MyST's ``:::{note}`` and its
    ``:class:`` options), though its title (``:::tip[Faster]``, ``pip``) is a paragraph, nor
    a MyST target (``(install)=``); an MkDocs admonition's or tab's indented body is read as
    Markdown of its own (a fence in it is code, and ends with it), and so is a MyST
    directive's in a code fence (``{note}``, not ``{code-block}``); nor is a paragraph of
    ES module imports (``import X from '...'``, as Docusaurus reads a ``.md`` file), a Hugo
    shortcode (``{{< note >}}``; its ``title="..."`` is text) at a line's start or end, a Liquid include alone
    on its line (Jekyll's ``{% include note.html content="..." %}``; its content is text), or an
    attribute list alone on its line (``{.lead}``). In MDX
    (``"mdx"``) so are ``import``/``export`` blocks and ``{...}`` expressions (``{/* a comment */}``).
    A heading's section is its text without tags or an id (``## Install <Badge/> {#install}``).
    The text itself is not changed.

    Time and memory grow with the length of the text; read by ``load_file``, it counts
    toward the file's time (``qabot.corpus.limits``).
    """
    if text.startswith("\ufeff", body_start):
        body_start += 1
    anchors: dict[int, str] = {}
    raw = _group(text, body_start, Markdown(text[body_start:], dialect), anchors)
    if dialect == "text":  # a text laid out in pages: their numbers and running heads are no paragraphs
        dropped = text_pages.furniture(text, raw)
        raw = [span for index, span in enumerate(raw) if index not in dropped]
    return _classify(text, raw, anchors)


def _blocks(text: str, body_start: int) -> Iterator[tuple[int, list[str]]]:
    """The lines of ``text[body_start:]`` as ``str.split("\\n")`` gives them, a block of about
    ``_BLOCK`` characters at a time, each with the offset of its first line.

    A file of millions of short lines is never held as millions of strings (30 MB of
    "ab" lines cost 2.7 GB that way), and the file's time is checked between blocks.
    """
    start = body_start
    while True:
        limits.check()
        stop = text.find("\n", start + _BLOCK)  # a block ends with a whole line
        if stop < 0:
            yield start, text[start:].split("\n")
            return
        yield start, text[start:stop].split("\n")
        start = stop + 1


def _lines(text: str, body_start: int) -> Iterator[_Line]:
    for start, block in _blocks(text, body_start):
        for piece in block:
            yield _Line(start, piece)
            start += len(piece) + 1


def _wrap_width(histogram: list[int], lines: int) -> int:
    """The width a text was hard-wrapped at, from how many of its ``lines`` are each length (``histogram``): the
    longest length that any line has, but past ``_USUAL_WRAP`` columns (wider than editors wrap) not one that only
    the longest tenth of the lines reach. One command or URL of 110 characters in a text wrapped at 72 made every
    other line "not full", a paragraph of its own."""
    width, above, outliers = len(histogram) - 1, 0, max(1, lines // 10)
    while width > 0 and (not histogram[width] or width > _USUAL_WRAP and above + histogram[width] <= outliers):
        above += histogram[width]
        width -= 1
    return width


def _group(text: str, body_start: int, markdown: Markdown,
           anchors: dict[int, str]) -> list[tuple[int, int, str | None]]:
    """(start, end, heading text when it is a Markdown heading) of every paragraph; ``""`` for the text of HTML in
    Markdown (a ``<summary>``'s) and a Markdown list item, which are never headings by the plain-text rules.
    ``anchors`` is given each Markdown heading's id on its page, by where the heading starts: GitHub's slugger's
    own, a slug seen before taking "-1", "-2" and so on.

    Two passes over the lines, neither of which holds them: the first finds the width
    of a hard-wrapped text, the second the paragraphs.
    """
    count = short = 0  # lines that are not blank, and those of them no longer than _WRAP_LIMIT
    longest = 0
    histogram = [0] * (_WRAP_LIMIT + 1)  # how many lines are so long, of those no longer than _WRAP_LIMIT
    number = 0
    for _, block in _blocks(text, body_start):
        lengths = [len(line.rstrip()) for n, line in enumerate(block, number) if line.strip() and n not in markdown.hidden]
        number += len(block)
        shorts = [length for length in lengths if length <= _WRAP_LIMIT]
        for length in shorts:
            histogram[length] += 1
        count, short = count + len(lengths), short + len(shorts)
        longest = max(longest, max(lengths, default=0))
    if not count:
        return []
    wrapped = count > 1 and short >= _WRAPPED_SHARE * count
    width = _wrap_width(histogram, short) if wrapped else longest
    full = 0.7 * width

    out: list[tuple[int, int, str | None]] = []
    current: list[_Line] = []  # the first and the last line of the paragraph being gathered
    html = False  # whether it holds the text of a line of HTML, or opens a Markdown list item: never a heading

    def span(first: _Line, last: _Line) -> tuple[int, int]:
        return first.start + (len(first.text) - len(first.text.lstrip())), last.start + len(last.text.rstrip())

    def flush() -> None:
        nonlocal html
        if current:
            out.append((*span(current[0], current[-1]), "" if html else None))
            current.clear()
            html = False
            if not len(out) % limits.CHECK_EVERY:
                limits.paragraphs(len(out))  # before any of them is described: millions of one-letter lines

    titled = bool(markdown.headings)  # Markdown that has headings: its paragraphs are never titles by the text's rules
    seen_anchors: dict[str, int] = {}  # each heading's anchor so far, and how many times it was taken again
    heading: list[_Line] = []
    for number, line in enumerate(_lines(text, body_start)):
        if number in markdown.heading_lines:
            flush()
            first = markdown.heading_lines[number]
            heading.append(line)
            if number + 1 not in markdown.heading_lines or markdown.heading_lines[number + 1] != first:
                # "Title\n=====": the underline is not part of the heading's text.
                text_lines = heading[:-1] if len(heading) > 1 and _is_underline(heading[-1].text) else heading
                out.append((*span(text_lines[0], text_lines[-1]), markdown.headings[first]))
                if (anchor := markdown.anchors.get(first)) is not None:
                    taken = anchor
                    while taken in seen_anchors:
                        seen_anchors[anchor] += 1
                        taken = f"{anchor}-{seen_anchors[anchor]}"
                    seen_anchors.setdefault(taken, 0)
                    anchors[out[-1][0]] = taken
                heading = []
            continue
        if not line.text.strip() and number in markdown.code and current:
            continue  # a blank line in fenced code: the block is one paragraph, which ends with its last line of text
        if not line.text.strip() or number in markdown.hidden:
            flush()  # a comment or a line of tags alone, in Markdown, is no text: it parts paragraphs as a blank line
            continue
        if number in markdown.shown:  # the text of a line of HTML, without the tags around it
            left, right = markdown.shown[number]
            line = _Line(line.start + left, line.text[left:right])
        if number in markdown.code and number in markdown.starts and number not in markdown.joined:
            flush()  # a fence opens a block of its own: it may interrupt a paragraph, as CommonMark reads it
        elif current and number not in markdown.code:
            previous = current[-1].text.rstrip()
            # An entry of a numbered list under another ("  IX. ...", "   X. ..."), not prose ("J. Edgar ...").
            listed = bool(_ENUMERATED.match(line.text) and _ENUMERATED.match(current[-1].text))
            # Full: it reaches most of the width, or the next line's first word would not have fitted on it (a URL).
            filled = len(previous) >= full or len(previous) + 1 + len(line.text.split(maxsplit=1)[0]) > width
            continues = (wrapped and filled and number not in markdown.starts and not listed
                         or number in markdown.joined)
            if not continues:
                flush()
        html = html or number in markdown.shown or number in markdown.items or (number in markdown.prose and titled)
        current[1:] = [line]
    flush()
    return out


def _is_underline(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and set(stripped) <= {"=", "-"}


def _classify(text: str, raw: list[tuple[int, int, str | None]], anchors: dict[int, str]) -> list[Paragraph]:
    bodies = [text[start:end] for start, end, _ in limits.checked(raw)]
    keys = [dedup_key(body) for body in limits.checked(bodies)]
    heading_like = [
        md is None and _looks_like_heading(body) and not _goes_on(text, raw, index)
        for index, ((_, _, md), body) in enumerate(limits.checked(zip(raw, bodies, strict=True)))
    ]
    # The last paragraph that is not heading-like: a heading-like line before it has text below its run.
    last_text = next((index for index in range(len(raw) - 1, -1, -1) if not heading_like[index]), -1)
    result: list[Paragraph] = []
    section: str | None = None
    anchor: str | None = None  # a Markdown heading's, where the section is one's
    number = 0
    seen: set[str] = set()
    signatures: set[str] = set()  # names from earlier bylines
    run: set[str] = set()  # keys of the run of heading-like lines right above, all but its last line
    version: str | None = None  # the changelog version whose changes follow, if any
    for index, (start, end, md_heading) in enumerate(limits.checked(raw)):
        if index >= 2 and heading_like[index - 1] and heading_like[index - 2]:
            run.add(keys[index - 2])
        else:
            run.clear()
        if md_heading:
            if version is not None and _CHANGE_KIND.fullmatch(md_heading):
                md_heading = f"{version}{CHANGES}{md_heading}"
            else:
                version = md_heading if _VERSION_HEADING.search(md_heading) else None
            section, anchor = md_heading, anchors.get(start)
            result.append(Paragraph(start=start, end=end, number=0, section=section, heading=True, anchor=anchor))
            continue
        key = keys[index]
        repeated = key in seen or (index > 0 and _near_duplicate(key, keys[index - 1]))
        byline = _BYLINE.search(bodies[index]) if len(bodies[index]) <= 300 else None
        if byline:
            signatures.add(dedup_key(byline.group(1)))
        if key in signatures and heading_like[index]:
            # An author signing off: it closes the piece (like a heading, it is not passage
            # text), and what follows is not part of the signed piece's section.
            section = anchor = None
            result.append(Paragraph(start=start, end=end, number=0, section=None, heading=True))
            continue
        # A heading may repeat an earlier line (its entry in a table of contents); a caption printed
        # twice, one right after the other, is no heading.
        if _starts_section(index, keys, heading_like, run, last_text, bodies) and not (
                index > 0 and _near_duplicate(key, keys[index - 1])):
            section, anchor = " ".join(bodies[index].split()), None
            result.append(Paragraph(start=start, end=end, number=0, section=section, heading=True))
            continue
        number += 1
        result.append(Paragraph(start=start, end=end, number=number, section=section, duplicate=repeated,
                                anchor=anchor))
        seen.add(key)
    return result


def _starts_section(index: int, keys: list[str], heading_like: list[bool], run: set[str], last_text: int,
                    bodies: list[str]) -> bool:
    """A heading-like line heads a section if it starts a run of such lines that text follows.

    The rest of the run (a subtitle, a byline) stays text, but a line numbered one level under the line above it
    ("2.1. OPEN" under "2. Messages", as an RFC sets them) heads a section of its own. A line repeated right after
    itself is a caption, not a heading. ``run`` holds the keys of the lines of the run
    above but the last, and ``last_text`` is the last paragraph that is not heading-like:
    both kept as the paragraphs go, so a run of 40,000 short lines ("Item 1", "Item 2",
    ...) is not read again for each of them (that took a minute).
    """
    if not heading_like[index] or (index > 0 and heading_like[index - 1] and not _repeats_run(index, keys, run)
                                   and not _numbered_under(bodies[index], bodies[index - 1])):
        return False
    if index + 1 >= len(keys) or _near_duplicate(keys[index], keys[index + 1]):
        return False
    return index < last_text


def _numbered_under(line: str, above: str) -> bool:
    """Whether ``line`` is numbered one level under ``above`` ("2.1. OPEN" under "2. Messages" or "2 Messages")."""
    number, parent = _SECTION_NUMBER.match(line.strip()), _SECTION_NUMBER.match(above.strip())
    return bool(number and parent and number.group(1).rpartition(".")[0] == parent.group(1))


def _repeats_run(index: int, keys: list[str], run: set[str]) -> bool:
    """Whether line ``index`` repeats a line of the run of heading-like lines above it: a table of
    contents, then the first chapter's heading ("I. Introduction")."""
    # Not the line right above (not in ``run``): a caption printed twice is a caption.
    return keys[index] in run and not _near_duplicate(keys[index], keys[index - 1])


def _looks_like_heading(line: str) -> bool:
    """A short line that reads as a title: not code, not a sentence or a piece of one, not a copyright line."""
    line = line.strip()
    if not line or "\n" in line or len(line) > MAX_HEADING_CHARS:
        return False
    if len(line.split()) > MAX_HEADING_WORDS or _ENDS_SENTENCE.search(line) or _DANGLING.search(line):
        return False
    if _CODE.search(line) and not _ENUMERATED.match(line):  # "B. Configuration using DFA_XTRA" is a title
        return False
    if any(pattern.search(line) for pattern in (_SENTENCE_INSIDE, _COPYRIGHT, _DATELINE, _LIST_ITEM, _BYLINE)):
        return False
    if _LEADERS.search(line) or not any(char.isalpha() for char in line):
        return False  # a table of contents' entry ("2.  OVERVIEW ........ 5"), or a number alone ("5")
    if line.count("(") != line.count(")") or line.count("[") != line.count("]"):
        return False  # "Each of these returns 0 [signifying ... if both": a bracket the next line closes
    first = line[0]
    # A capital, a number ("2.4 The glob files"), a quote, or a script without case; not
    # "#endif", "/* ... */", "./configure", "--enable-x", "(such as ...)" or a bullet.
    return (first.isalpha() and not first.islower()) or first.isdigit() or first in "\"“‘'«"


def _goes_on(text: str, raw: list[tuple[int, int, str | None]], index: int) -> bool:
    """Whether the next line, right below paragraph ``index``, goes on with its sentence in lower case.

    A line of its own in a hard-wrapped paragraph ("It is technically equivalent" above
    "to the PNG specification ...") is a piece of a sentence, not a heading; text indented
    under a line (a man page's "NAME") is not a continuation.
    """
    if index + 1 >= len(raw):
        return False
    end, following = raw[index][1], raw[index + 1][0]
    if text.count("\n", end, following) != 1 or not text[following].islower():
        return False
    return _column(text, following) <= _column(text, raw[index][0])


def _column(text: str, offset: int) -> int:
    return offset - (text.rfind("\n", 0, offset) + 1)


def _near_duplicate(a: str, b: str) -> bool:
    """Whether two paragraphs' keys (``dedup_key``) are one caption printed twice: the same, or, for 24 letters and
    more, but for one letter (a typo in one copy: "Ignae Reiss" under "Ignace Reiss"). "Version 2.0 requires Python 3.8" above "Version 3.0
    requires Python 3.10" is two paragraphs, and so is any pair that differs by a number or a word."""
    # Only short neighbours are compared (captions, pull quotes): cheap, and long
    # paragraphs that differ by a letter are rare and better kept.
    if a == b:
        return True
    if min(len(a), len(b)) < 24 or max(len(a), len(b)) > 400 or abs(len(a) - len(b)) > 1:
        return False  # a letter tells "turn it on" from "turn it of(f)"
    edits = [(a[i:j], b[k:m]) for op, i, j, k, m in SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
             if op != "equal"]
    return len(edits) == 1 and max(map(len, edits[0])) == 1 and not any(c.isdigit() for c in "".join(edits[0]))
