"""Running headers, footers and page numbers of a PDF's pages, and contents entries: the lines ``pdf_layout`` leaves
out.

A line near the top or bottom edge is furniture where it repeats on several pages (its
text, or its text with a number that goes up with the page), or is a page number, or names a
heading of the document in a smaller type than the text's (a short chapter's running head); only
the lines between the body and the edge are, so a table's row or a list's item that
happens to sit near the edge stays text.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qabot.corpus.pdf_layout import Line

EDGE = 0.12  # running headers and footers sit in this share of the page height, at the top or bottom
# A page number: "12", "Page 3 of 10", or a roman numeral up to 89 in one case ("xiv", "XIV"): not any word of those
# letters ("CV", "Mix", "Civil", "did" at a flyer's foot were dropped as page numbers).
_ROMAN = r"(?=[ivxl])(?:xl|lx{0,3}|x{0,3})(?:ix|iv|v?i{0,3})|(?=[IVXL])(?:XL|LX{0,3}|X{0,3})(?:IX|IV|V?I{0,3})"
PAGE_NUMBER = re.compile(rf"^(?:(?i:page)\s+)?(?:\d+|{_ROMAN})(?:\s*(?:(?i:of)|/)\s*\d+)?$")
_SPACED_DOTS = re.compile(r"(?:\s\.){3,}")  # " . . .": a leader set with spaces, anywhere on the line
_DOTS_AND_SPACES = re.compile(r"[.\s]*")


def dot_leader(text: str) -> bool:
    """Whether a line holds a contents entry's dot leaders: four dots or more (spaced or not) and then at most a
    word (its page) to its end, or " . . ." anywhere.

    Found from the line's end, not by a pattern, which split a run of dots every way it could: a line of 4,000
    dots took four minutes, in one call.
    """
    line = text.rstrip()
    word = line.rsplit(None, 1)[-1] if line else ""  # the page number, or the end of the leader itself
    before = line[: len(line) - len(word.lstrip("."))]  # the dots it opens with go with the leader
    return ("...." in word or _DOTS_AND_SPACES.match(before[::-1]).group().count(".") >= 4
            or _SPACED_DOTS.search(text) is not None)


def running_lines(pages: list[list[Line]], pitch: float = 0.015, size: float = 0.0) -> set[tuple[int, int]]:
    """(page, line) of every running header or footer and page number near the top or bottom edge.

    Near an edge is within ``EDGE`` of it; or, for a line that names something (not a page
    number, nor a superscript over an equation), within twice that, on the line nearest it:
    a journal sets its running header over a deeper top margin (13 to 19% of the page down,
    in Springer's, SIAM's and ACM's layouts), and nothing is above it.
    """
    tops = [max((line.bottom for line in page), default=0.0) for page in pages]
    feet = [min((line.bottom for line in page), default=1.0) for page in pages]

    def edge(line: Line, page: int) -> bool:
        if line.bottom > 1 - EDGE or line.bottom < EDGE:
            return True
        return sum(ch.isalpha() for ch in line.text) >= 4 and (line.bottom > max(1 - 2 * EDGE, tops[page] - 0.005)
                                                             or line.bottom < min(2 * EDGE, feet[page] + 0.005))

    def keys(line: Line, page: int) -> set[str]:
        """The line as it repeats: its text, and its text with a number that goes up with the page (a page number,
        "Report, page 7") as its offset from the page's index. Not any number as any other: a table's rows ("34 |
        Replace filter 34", "Tesco 12.50"), the items of a checklist and "Chapter 2" differ only in their numbers."""
        text = ("^ " if line.bottom >= 0.5 else "_ ") + " ".join(line.text.lower().split())  # at the top, or the foot
        found = {text}
        for number in itertools.islice(re.finditer(r"(?<!\d)\d{1,9}(?!\d)", text), 12):  # no page's is longer
            found.add(f"{text[:number.start()]}#{int(number[0]) - page}{text[number.end():]}")
        return found

    # Pages, not lines: a line that repeats down one page (a paragraph of like sentences, a table's "Yes") runs nowhere.
    counts = Counter(found for p, page in enumerate(pages)
                     for found in {key for line in page if edge(line, p) for key in keys(line, p)})
    repeats = max(2, min(3, math.ceil(len(pages) / 2)))
    # A line in a heading's size (a slide's title, "Exercises" or "Summary" opening a page) runs only where it heads
    # most pages: a few slides or sections of one title are no running header.
    most = max(repeats, len(pages) // 2 + 1)

    # A running head in a smaller type than the text's that names a heading of the document (a chapter's, set in a
    # heading's size): a short chapter's name heads a page or two only, too few to repeat.
    headings = {" ".join(line.text.lower().split()) for page in pages for line in page
                if size and line.size >= 1.12 * size}

    def running(line: Line, page: int) -> bool:
        needed = most if size and line.size >= 1.12 * size else repeats
        return edge(line, page) and (bool(PAGE_NUMBER.match(line.text))
                                     or any(counts[key] >= needed for key in keys(line, page))
                                     or (line.size < 0.95 * size and " ".join(line.text.lower().split()) in headings))

    # Furniture is what lies between the body and the page's edge: from each edge inwards, the lines that run, up to
    # the first that does not (a table's row at the foot of two pages, a "Yes" in its wrapped cell, is under body text).
    found = set()
    for p, page in enumerate(pages):
        runs = [running(line, p) for line in page]
        order = sorted(range(len(page)), key=lambda i: -page[i].bottom)
        top = [i for i in order if page[i].bottom >= 0.5]
        foot = [i for i in reversed(order) if page[i].bottom < 0.5]
        for side, sign in ((top, 1), (foot, -1)):
            stop = next((page[i].bottom for i in side if not runs[i]), None)
            # Not a line level with the first that does not run: a table's row, its cells set at different heights.
            found |= {(p, i) for i in side if runs[i]
                      and (stop is None or sign * (page[i].bottom - stop) > 0.6 * pitch
                           or PAGE_NUMBER.match(page[i].text))}  # a page number (or a note's) wherever it is
    return found
