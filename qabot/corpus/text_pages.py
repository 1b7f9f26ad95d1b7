"""Page furniture of plain text laid out in pages: an RFC, a manual or a report printed to a text file.

Such a file ends each page with its number ("[Page 12]", "Postel   Standards Track   [Page 12]", "Page 12",
"- 12 -") and opens the next with a running head: a date and a title, often the chapter's name, after a form feed.
Read as text, each was a paragraph, and a short one a heading that named the section of the page's text: an RFC's
paragraphs were cited as "§ September 1981".

Where a file has ``MIN_PAGES`` page marks or more, their numbers going up, each mark's paragraph is furniture, and so
are the short paragraphs right after it, before the page's text: one whose first line heads ``MIN_PAGES`` pages or
more (the date and title), or, after such a one, two (a chapter's name over its pages). A heading that opens one
page (an RFC's "PREFACE") stays.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter

from qabot.corpus import limits

MIN_PAGES = 3  # page marks in a file, and pages a running head opens, for either to be taken as one
HEAD = 3  # paragraphs at a page's top that may be its running head
HEAD_CHARS = 80  # a running head's line is no longer
# A page's number at the end of its last line: "[Page 12]" (an RFC's, after its author and category), "Page 12",
# "Page 3 of 10", "- 12 -"; a roman one in the front matter ("[Page iii]").
_MARK = re.compile(r"(?i)(?:^|\s)(?:\[Page\s+(\d+|[ivxlc]+)\]|Page\s+(\d+)(?:\s+of\s+\d+)?|-\s+(\d+)\s+-)\s*\Z")
_DIGITS = re.compile(r"\d+")


def furniture(text: str, raw: list[tuple[int, int, str | None]]) -> set[int]:
    """The places in ``raw`` (paragraphs' start, end and Markdown heading) of the page furniture of ``text``."""
    marks: list[int] = []
    numbers: list[int] = []
    for index, (start, end, _) in enumerate(limits.checked(raw)):
        body = text[start:end].strip()
        found = _MARK.search(body) if "\n" not in body and len(body) <= HEAD_CHARS else None
        if found:
            marks.append(index)
            number = next((group for group in found.groups() if group), "")
            if number.isdigit():
                numbers.append(int(number))
    if len(marks) < MIN_PAGES or any(later <= earlier for earlier, later in itertools.pairwise(numbers)):
        return set()
    heads = {mark: _head(text, raw, mark) for mark in marks}
    tops = Counter(key for zone in heads.values() for key in {key for _, key in zone})
    dropped = set(marks)
    for zone in heads.values():
        after_head = False
        for index, key in zone:
            if tops[key] >= MIN_PAGES or (after_head and tops[key] >= 2):
                dropped.add(index)
                after_head = True
            else:
                break
    return dropped


def _head(text: str, raw: list[tuple[int, int, str | None]], mark: int) -> list[tuple[int, str]]:
    """The paragraphs after a page's mark that may be the next page's running head, each with its first line as a
    key (spaces collapsed, numbers as "#"): up to ``HEAD`` short ones, of short lines."""
    zone = []
    for index in range(mark + 1, min(mark + 1 + HEAD, len(raw))):
        start, end, _ = raw[index]
        lines = text[start:end].strip().splitlines()
        if not lines or len(lines) > HEAD or any(len(line.strip()) > HEAD_CHARS for line in lines):
            break
        zone.append((index, _DIGITS.sub("#", " ".join(lines[0].split()))))
    return zone
