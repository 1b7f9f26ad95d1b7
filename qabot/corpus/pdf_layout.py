"""How a PDF's lines become a document: paragraphs, sections, pages and furniture (``document``).

``qabot.corpus.pdf`` reads each page's lines with PDFium, with where each sits (``Line``:
its box and font size); from them alone, this module rebuilds what the layout only shows:

- **paragraphs**: lines are rejoined where the next one continues the text (the same
  font size, the usual line spacing, no first-line indent after a finished sentence);
  a word PDFium marks as hyphenated at a line end is whole again, with its hyphen where it
  is a compound ("self-aware": ``qabot.corpus.hyphens``), and soft hyphens are dropped. A
  paragraph that runs on from the foot of a column into the next is one, and the
  footnotes at that foot come after it, each a paragraph of its own. Each row of a table
  (and each item of a list with a hanging indent) is a paragraph of its own, its cells
  parted by `` | `` as the HTML and Word readers part them, and a cell wrapped onto lines
  of its own kept in its row (``pdf_tables``);
- **sections**: a short line in a larger or bold font, or numbered like ``2.4. The glob
  files``, is a heading, and names the section of the paragraphs after it;
- **pages**: every paragraph keeps its page (1-based) and, where the PDF defines page
  labels (printed numbers such as "iv"), its label. A paragraph that runs over a page
  break is cut there, and its two parts share a ``group``, so they stay in one passage
  (the footnotes at the first page's foot come after them);
- **furniture**: a running header or footer (a line near the top or bottom edge that
  repeats on several pages, a page number), table-of-contents dot leaders and notes in
  the margin are dropped.

The document text is the paragraphs, each on one line, separated by blank lines; the
index stores it, and offsets point into it.
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace

from qabot.corpus import pdf_columns as columns
from qabot.corpus import pdf_tables as tables
from qabot.corpus.derived import DerivedText
from qabot.corpus.hyphens import WORD, compound
from qabot.corpus.pdf_running import EDGE, PAGE_NUMBER, dot_leader, running_lines
from qabot.corpus.pdf_tables import CELL, CELL_GAP, MAX_CELLS, ROW_GAP
from qabot.corpus.titles import own_title, pdf_date
from qabot.models import Document

MAX_HEADING_CHARS = 100
BOLD_SIZE = 0.9  # of the text's type size, at least, for a line in bold to be a heading (a figure's labels are smaller)
MAX_FOOTNOTES = 8  # blocks of small print at a column's foot, under a paragraph that goes on in the next column
FOOT = 1 / 3  # footnotes sit in this share of the page height, at the bottom
# A word PDFium marks as hyphenated at a line end; from a word's start, so a long run of letters is read once.
_MARKED = re.compile(r"(?<![^\W\d_])([^\W\d_]+)[\ufffe\x02]([^\W\d_]+)")
_HYPHEN_MARKS = str.maketrans("", "", "\ufffe\x02\xad")  # PDFium's hyphen-at-line-end marks, soft hyphens
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # glyphs PDFium could not map (a math symbol as \x0f)
_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                            "\ufb05": "st", "\ufb06": "st"})
_SPACES = re.compile(r"\s+")
# The accents TeX sets as characters of their own over a letter, and the combining marks they are (not the grave
# accent, U+0060, which is a backquote in code).
_ACCENTS_SPACING = {"\u00a8": "\u0308", "\u00b4": "\u0301", "\u02c6": "\u0302", "\u02dc": "\u0303", "\u00b8": "\u0327",
                    "\u02c7": "\u030c", "\u02d8": "\u0306", "\u02d9": "\u0307", "\u02da": "\u030a", "\u00af": "\u0304",
                    "\u02dd": "\u030b"}
_ACCENTED = re.compile(f"([^\\W\\d_]?)([{''.join(_ACCENTS_SPACING)}])([^\\W\\d_]?)")
_NUMBERED_HEADING = re.compile(r"^(?:\d+(?:\.\d+)+\.?|[A-Z]\.\d+(?:\.\d+)*\.?|(?:Chapter|Appendix|Part)\s+\w+)\s+\S")
_ENDS_SENTENCE = re.compile(r"[.!?:;\"”’)\]]$")
_NOT_HEADING_END = re.compile(r"[.,;:]$")
_CAPTION = re.compile(r"(?i)^(?:figure|fig\.|table|listing|plate)\s*[\dA-Z]")
_NOTE_MARK = re.compile(r"\d{1,3}|[*†‡§¶]+")  # a footnote's number or mark, alone: not "$99", "87%", "4.5", "2024"
_BULLET = re.compile(r"[•◦▪▫‣●○■□➢►✓✔❖]\s+\w")  # a line that opens a list's item
_TOC_ENTRY = re.compile(r"\d$")  # on a contents page, an entry without leaders (its page: not \d+, quadratic)
Spaces = tuple[tuple[float, float], ...]  # from and to, of spaces of a line


@dataclass
class Line:
    """A line of a page as PDFium reads it, with where it sits."""

    text: str  # a tab where a space is wider than CELL_GAP ems; a row's, its cells parted (see pdf_tables.cells)
    left: float
    right: float
    bottom: float  # of its first character, as a share of the page height
    size: float
    bold: bool
    end: float  # the bottom of its last character: where a word hyphenated at a line end took it (see pdf._page_lines)
    gaps: tuple[tuple[float, float], ...] = ()  # from and to, of its gaps between words wider than ROW_GAP ems
    even: bool = False  # three spaces or more, all as wide: a line of justified text, where it is a full line
    row: bool = False  # a table's row, its cells on one line (see pdf_tables.mark_rows)
    cuts: Spaces = ()  # where each tab in text is
    cells: tuple[float, ...] = ()  # where each cell of a row starts (see pdf_tables.cells)


@dataclass
class _Layout:
    """What the body text of the whole document looks like: the yardstick for every page."""

    size: float
    pitch: float  # baseline to baseline, as a share of the page height
    left: float
    right: float
    column: float = 0.0  # the right edge of the left column, where the body is set in two (pdf_columns)

    @classmethod
    def of(cls, pages: list[list[Line]]) -> _Layout:
        sizes: Counter[float] = Counter()
        for line in (line for page in pages for line in page):
            sizes[line.size] += len(line.text)
        size = sizes.most_common(1)[0][0]
        body = [line for page in pages for line in page if line.size == size]
        steps = [
            a.end - b.bottom
            for page in pages
            for a, b in itertools.pairwise(page)
            if a.size == b.size == size and 0 < a.end - b.bottom < 0.05
        ]
        lefts = sorted(line.left for line in body)
        rights = sorted(line.right for line in body)
        left, right = lefts[len(lefts) // 10], rights[min(len(rights) - 1, len(rights) * 9 // 10)]
        pitch = statistics.median(steps) if steps else 0.015
        return cls(size=size, pitch=pitch, left=left, right=right, column=columns.left_column_right(body, left, right))


def _clean(text: str) -> str:
    text = _SPACES.sub(" ", _CONTROL.sub("", text.translate(_HYPHEN_MARKS).translate(_LIGATURES))).strip()
    return _ACCENTED.sub(_accented, text)


def _accented(match: re.Match[str]) -> str:
    """An accent TeX set over a letter (``Sch¨onhage``, ``Andr´e``, ``na¨ıve``, its dotless i) and that letter, as
    one character: the letter after it, or else the one before it (``Franc¸ois``), where the two make one. Any
    other stays as it is (a bar over a variable, ``x¯``)."""
    before, accent, after = match.group(1), match.group(2), match.group(3)
    mark = _ACCENTS_SPACING[accent]
    if after and len(one := unicodedata.normalize("NFC", after.replace("ı", "i") + mark)) == 1:  # "na¨ıve": TeX's \i
        return before + one
    if before and len(one := unicodedata.normalize("NFC", before + mark)) == 1:
        return one + after
    return match.group(0)


def _continues(previous: Line, line: Line, layout: _Layout, spaced: bool = False) -> bool:
    """Whether ``line`` goes on with the paragraph that ``previous`` is in (``spaced``: the step between them is a
    paragraph's set wider than the document's lines, ``_spaced``)."""
    if abs(previous.size - line.size) > 0.6 or previous.bold != line.bold:
        return False
    step = previous.end - line.bottom
    width = layout.right - layout.left
    finished = bool(_ENDS_SENTENCE.search(previous.text))
    if spaced and not finished and _wraps(previous, line, layout):
        pass  # a sentence wrapped at a wider spacing, as the lines around it are
    elif step <= 0.3 * layout.pitch or step > 1.3 * layout.pitch * max(1.0, line.size / layout.size) + 0.002:
        return False  # a gap, or a jump back up (the next column)
    if _BULLET.match(line.text):
        return False  # the next item of a list (its bullet a few points from its text: no table's gap)
    if finished and line.left > previous.left + 0.15 * line.size:
        return False  # a first-line indent after a finished sentence
    if columns.in_left_column(previous, layout.column, layout.left, layout.right):
        return not (finished and previous.right < layout.column - 0.15 * (layout.column - layout.left))
    return not (finished and previous.right < layout.right - 0.15 * width)


def _wraps(previous: Line, line: Line, layout: _Layout) -> bool:
    """Whether a line looks wrapped onto ``line``: full (to the column's right edge), long, and ``line`` under it
    at its left edge (or under its first-line indent), not centred under it as a title page's lines are."""
    width = layout.right - layout.left
    indent = previous.left - line.left
    return (previous.right >= layout.right - 0.15 * width and len(previous.text) >= 40
            and -0.5 * line.size <= indent <= 4 * line.size)


def _blocks(page: list[Line], drop: set[int], layout: _Layout) -> list[list[Line]]:
    lines = _lines(page, drop, layout)
    lines = tables.rows(lines, layout)
    blocks: list[list[Line]] = []
    notes: list[list[Line]] = []  # footnotes set aside while the paragraph above them goes on in the next column
    for index, line in enumerate(lines):
        if blocks and _goes_on(blocks[-1], line, layout, lines[index + 1] if index + 1 < len(lines) else None):
            blocks[-1].append(line)
        elif (not line.row and (foot := _notes(blocks, layout)) < len(blocks) and not blocks[foot - 1][0].row
              and _next_column(blocks[foot - 1][-1], line, layout)):
            # The paragraph above the column's footnotes goes on in the next column: it is one, the notes after it.
            notes += blocks[foot:]
            del blocks[foot:]
            blocks[-1].append(line)
        else:
            blocks += notes
            notes = []
            blocks.append([line])
    return blocks + notes


def _lines(page: list[Line], drop: set[int], layout: _Layout) -> list[Line]:
    """The page's lines that are text, those PDFium read apart on one line of the page joined."""
    leaders = [dot_leader(line.text) for line in page]
    toc = sum(leaders) >= 3
    lines: list[Line] = []
    for index, line in enumerate(page):
        if index in drop or leaders[index] or line.right < layout.left - 2:
            continue  # furniture, a table-of-contents entry, a note in the margin
        if toc and _TOC_ENTRY.search(line.text):
            continue
        previous = lines[-1] if lines else None
        if previous is not None and _same_line(previous, line, layout):
            # A superscript (a footnote mark) or a run in another font, on the same line; or a table's next cell.
            gap = line.left - previous.right
            cut = gap > CELL_GAP * line.size
            previous.text += ("" if gap < 0.15 * layout.size else "\t" if cut else " ") + line.text
            wide = ((previous.right, line.left),) if gap > ROW_GAP * line.size else ()
            previous.gaps = (previous.gaps + wide + line.gaps)[:MAX_CELLS]
            previous.cuts += ((previous.right, line.left),) * cut + line.cuts
            previous.right, previous.end = line.right, line.end
        else:
            lines.append(line)
    return lines


def _goes_on(block: list[Line], line: Line, layout: _Layout, after: Line | None) -> bool:
    """Whether ``line`` goes on with the paragraph of ``block`` (``after``: the line after it).

    A table's row is a paragraph of its own, its cells in reading order; a line under it
    goes on with it only where it starts in its last cell (that cell's text wrapped, as a
    list item's text does under its bullet).
    """
    previous = block[-1]
    if line.row:
        return False
    if block[0].row:
        cell = max(right for _, right in block[0].gaps)
        return line.left >= cell - 0.2 * line.size and _continues(previous, line, layout)
    spaced = _spaced(previous.end - line.bottom, block[-2] if len(block) > 1 else line,
                     previous if len(block) > 1 else after, layout)
    return _continues(previous, line, layout, spaced) or _next_column(previous, line, layout)


def _spaced(step: float, upper: Line | None, lower: Line | None, layout: _Layout) -> bool:
    """Whether ``step`` (from a line to the next) is the spacing of a paragraph set wider than the document's lines
    (a quotation at one and a half, a passage double-spaced): wider, at most two and a half lines, and the same
    (within a tenth) as the step from ``upper`` to ``lower`` next to it, the paragraph's line before or after."""
    if upper is None or lower is None or not 1.3 * layout.pitch < step <= 2.5 * layout.pitch:
        return False
    return abs(upper.end - lower.bottom - step) <= 0.1 * step and abs(upper.size - lower.size) <= 0.6


def _notes(blocks: list[list[Line]], layout: _Layout) -> int:
    """Where the footnotes at the end of ``blocks`` start (``len(blocks)`` where there are none).

    Footnotes are in smaller type than the body, under the paragraph above them, in the
    page's bottom third (``FOOT``): at a column's foot, between the halves of a paragraph
    that runs on into the next column or page. At most ``MAX_FOOTNOTES`` blocks are looked
    at (no page of small print is looked over again for every line of it).
    """
    def small(block: list[Line]) -> bool:
        return all(line.size < layout.size - 0.6 for line in block)

    start = len(blocks)
    while start > max(0, len(blocks) - MAX_FOOTNOTES) and small(blocks[start - 1]):
        start -= 1
    if start in (0, len(blocks)) or small(blocks[start - 1]):
        return len(blocks)  # none, or more small print than notes are (a table in small type)
    last = blocks[start - 1][-1]
    if any(line.bottom > min(last.end - 0.75 * layout.pitch, FOOT) for block in blocks[start:] for line in block):
        return len(blocks)  # not under the paragraph at the foot: a subscript, a table, a caption, a figure's labels
    return start


def _next_column(previous: Line, line: Line, layout: _Layout) -> bool:
    """Whether ``line`` opens the next column with the rest of the paragraph that ends the one before.

    In a two-column paper a sentence often runs from the foot of one column to the head of
    the next, on the same page: its halves are one paragraph, so no excerpt or highlight
    stops mid-sentence. The line before is a full line of a column (a third of the body's
    width at least), not a label in a figure. (PDFium itself runs a word hyphenated at the
    foot of a column on into the head of the next, as one line.)
    """
    width = layout.right - layout.left
    return (abs(previous.size - line.size) <= 0.6 and previous.bold == line.bold
            and previous.right - previous.left >= width / 3
            and line.bottom > previous.end + 2 * layout.pitch and line.left > previous.left + width / 4
            and _runs_on(previous.text, line.text))


def _same_line(previous: Line, line: Line, layout: _Layout) -> bool:
    return line.left >= previous.right - 1 and abs(line.bottom - previous.end) < 0.6 * layout.pitch


def _join(lines: list[Line]) -> str:
    """The lines of a paragraph as one line: a word hyphenated at a line end is whole again, and a table's row has
    its cells parted by `` | `` (as the HTML and Word readers part them), an empty one left out."""
    text = ""
    for line in lines:
        piece = " | ".join(cell for part in line.text.split(CELL) if (cell := _clean(part))) if line.row else _clean(line.text)
        if not piece:
            continue
        if re.search(r"[^\W\d_]-$", text) and piece[0].islower():
            text = text[:-1] + piece
        else:
            text = f"{text} {piece}" if text else piece
    return text


def _is_heading(block: list[Line], text: str, layout: _Layout) -> bool:
    if len(block) > 2 or len(text) > MAX_HEADING_CHARS or _NOT_HEADING_END.search(text):
        return False
    if _letters(text) < 2 or PAGE_NUMBER.match(text) or _CAPTION.match(text):
        return False  # nor is a letter alone: a figure's or a drawing's label ("T", "A"), never a section's name
    line = block[0]
    # A table's bold header row is a row; a figure's labels, bold in a smaller type than the text's, are no heading.
    bold = line.bold and len(text) < 80 and not line.row and not line.cells and line.size >= BOLD_SIZE * layout.size
    return line.size >= 1.12 * layout.size or bold or bool(_NUMBERED_HEADING.match(text))


def _letters(text: str) -> int:
    """How many letters ``text`` has, one of CJK or a later block counting as two: "序" (a preface) heads a section."""
    return sum(1 + (ord(ch) >= 0x2E80) for ch in text if ch.isalpha())


def document(name: str, pages: list[list[Line]], labels: list[str | None], meta: dict[str, str]) -> Document:
    """The document of a PDF's pages of lines: text, and paragraphs with their sections and pages."""
    pages = _rejoined(pages)
    layout = _Layout.of(pages)
    running = running_lines(pages, layout.pitch, layout.size)
    text = DerivedText()
    groups = 0
    last_size = 0.0  # the font size of the last paragraph: a footnote does not run on to the next page
    dropped: dict[int, set[int]] = {}  # each page's running lines, found once: not looked for among all pages' a page
    for page_index, line_index in running:
        dropped.setdefault(page_index, set()).add(line_index)
    pages_blocks = [_blocks(page, dropped.get(index, set()), layout) for index, page in enumerate(pages)]
    for placed in _placed(pages_blocks, layout):
        first_on_page = True
        for page_index, block in placed:
            joined = _join(block)
            if not joined or _NOTE_MARK.fullmatch(joined) or (
                    len(joined) <= 4 and not any(ch.isalnum() for ch in joined)):
                continue  # nothing, or a lone footnote number or mark
            where = {"page": page_index + 1, "page_label": labels[page_index]}
            if _is_heading(block, joined, layout):
                text.heading(joined, **where)
            else:
                previous = text.paragraphs[-1] if text.paragraphs else None
                body = abs(block[0].size - layout.size) <= 0.6 and abs(last_size - layout.size) <= 0.6
                if (first_on_page and body and previous is not None and not previous.heading
                        and _runs_on(text.parts[-1], joined)):
                    if previous.group is None:
                        groups += 1
                        text.paragraphs[-1] = previous.model_copy(update={"group": groups})
                    where["group"] = groups
                text.paragraph(joined, **where)
            first_on_page = False
            last_size = block[-1].size
    title = own_title(meta.get("Title")) or _title(pages, layout) or next(
        (text.parts[i] for i, p in enumerate(text.paragraphs) if p.heading and p.page == 1), None
    )
    return text.document(name, title=title, author=meta.get("Author", "").strip() or None,
                         date=pdf_date(meta.get("CreationDate", "")))


def _rejoined(pages: list[list[Line]]) -> list[list[Line]]:
    """The pages with each word PDFium marks as hyphenated at a line end ("self\ufffeaware") whole again: with its
    hyphen where the document's own words make it a compound, else without."""
    if not any(_has_mark(line.text) for page in pages for line in page):
        return pages
    # The document's words, less the halves of its marked ones.
    words = Counter(word.lower() for page in pages for line in page
                    for word in WORD.findall(_MARKED.sub(" ", line.text) if _has_mark(line.text) else line.text))

    def whole(match: re.Match[str]) -> str:
        return match[1] + ("-" if compound(words, match[1], match[2]) else "") + match[2]

    return [[replace(line, text=_MARKED.sub(whole, line.text)) if _has_mark(line.text) else line for line in page]
            for page in pages]


def _has_mark(text: str) -> bool:
    return "\ufffe" in text or "\x02" in text


def _placed(pages: list[list[list[Line]]], layout: _Layout) -> list[list[tuple[int, list[Line]]]]:
    """Each page's blocks, with the page each is on, in the order they are read.

    PDFium reads the footnotes at a page's foot before the next page: where the paragraph
    above them goes on at the head of the next page, they come after that page's first
    block, so the paragraph's two parts are next to each other (one group, one passage);
    the notes keep their page.
    """
    placed = [[(index, block) for block in blocks] for index, blocks in enumerate(pages)]
    for index in range(len(pages) - 2, -1, -1):  # from the end: the page looked at is still as it was read
        foot = _notes(pages[index], layout)
        if foot == len(pages[index]) or not placed[index + 1]:
            continue
        above, first = pages[index][foot - 1], placed[index + 1][0][1]
        before, after = _join(above), _join(first)
        full = above[-1].right >= layout.right - 0.15 * (layout.right - layout.left)  # not a caption, a short line
        if (full and all(abs(line.size - layout.size) <= 0.6 for line in (above[-1], first[0]))
                and any(ch.isalpha() for ch in after) and _runs_on(before, after)
                and not _is_heading(above, before, layout) and not _is_heading(first, after, layout)):
            placed[index + 1][1:1] = placed[index][foot:]
            del placed[index][foot:]
    return placed


def _title(pages: list[list[Line]], layout: _Layout) -> str | None:
    """A title for a PDF without one in its metadata (or with a tool's placeholder: ``titles``): the first page's
    largest text, or its running header.

    Text half as large again as the body on the first page is a title page's: it is the
    title, its lines joined ("Everything we know about CRC but afraid to" / "forget").
    Otherwise the line at the top edge that repeats on most pages (dropped from the text
    as furniture) is, where there is one; and otherwise the first page's largest text
    if it stands out at all (a section heading on a first page that is not a title page
    gives way to the running header). Both are looked at before furniture is dropped,
    since a title often repeats at the top of every page.
    """
    first = [line for line in pages[0] if any(ch.isalpha() for ch in line.text) and not PAGE_NUMBER.match(line.text)
             and own_title(line.text)]  # not arXiv's stamp up the margin, in larger type than the title
    largest = None
    if first:
        top = max(line.size for line in first)
        start = next(i for i, line in enumerate(first) if line.size == top)
        lines = list(itertools.takewhile(lambda line: abs(line.size - top) <= 0.6, first[start : start + 3]))
        text = _clean(" ".join(line.text for line in lines))
        if len(text) <= 2 * MAX_HEADING_CHARS:
            largest = (top / layout.size, text)
    if largest and largest[0] >= 1.5:
        return largest[1]
    headers: Counter[str] = Counter()
    for page in pages:
        headers.update({_clean(line.text) for line in page
                        if line.bottom > 1 - EDGE and not PAGE_NUMBER.match(line.text)
                        and any(ch.isalpha() for ch in line.text)})
    header, count = headers.most_common(1)[0] if headers else ("", 0)
    if count >= max(2, min(3, math.ceil(len(pages) / 2))):
        return header
    return largest[1] if largest and largest[0] >= 1.12 else None


def _runs_on(previous: str, text: str) -> bool:
    """Whether a page's first paragraph goes on with the last one of the page before."""
    return not _ENDS_SENTENCE.search(previous) and (text[:1].islower() or previous.endswith((",", "-")))

