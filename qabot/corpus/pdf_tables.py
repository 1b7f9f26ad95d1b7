"""A PDF page's tables, for ``qabot.corpus.pdf_layout``: which lines are a table's rows, their cells, and a row whose
cells wrapped onto lines of their own put back together.

PDFium reads a row's cells as one line, a space between them (``mark_rows`` tells the rows;
``cells`` parts their cells, written `` | `` in the text, as the HTML and Word readers write
them). But where a cell's text wrapped, PDFium reads the row a cell at a time, in the order
the PDF draws them: fpdf2 (and a word processor) draws "Hydrogen alpha", the three lines of
the note beside it, then "600 s 12" (the short cells set in the middle of the row's height).
Each line not a row was a paragraph of its own, cut from its row. ``rebuild`` lays such a
table out again from where its text sits: each piece of text in the column it starts in,
the pieces of a column one line apart one cell, and the cells whose lines overlap in height
one row (a row whose first cell is on a line with other cells starts one, whatever the
height: a table without padding).
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qabot.corpus.pdf_layout import Line, _Layout

ROW_GAP = 2.0  # ems between two words of a line that part a table's cells (a word space is a third of one)
CELL_GAP = 0.5  # ems between two words that may part two cells of a table's row (a word space is a quarter of one)
MAX_CELLS = 16  # wide gaps kept of a line
ROW_REACH = 8  # lines from one row to the next, a row's wrapped text between them
CELL = "\x1f"  # in a row's text, where one cell ends and the next starts
_MARKER = re.compile(r"[•◦▪▫‣∙·●○■□–—*-]|\(?(?:\d{1,3}|[A-Za-z]|[ivxIVX]{1,5})[.)]")  # a list item's bullet or number
_HYPHENATED = re.compile(r"[^\W\d_]-$")


def rows(lines: list[Line], layout: _Layout) -> list[Line]:
    """The page's lines with its tables' rows marked and their cells parted, each row's wrapped cells in it."""
    mark_rows(lines, layout)
    return rebuild(lines, layout)
def mark_rows(lines: list[Line], layout: _Layout) -> None:
    """Mark the rows of tables: lines with a wide gap where the line above or below has one too.

    PDFium reads a row's cells as one line, a space between them: the gap between two
    columns (or after a list item's bullet) is wider than any space between words, and it
    is there in the rows above and below too: the gaps of the next line overlap, or, where
    a row's text wrapped onto lines of its own (``ROW_REACH`` at most), a later row's next
    cell starts where this one's does. A line of justified text with a wide space has none
    in line with it, and where all its spaces are as wide and it is a full line, it is none
    whatever its neighbours.
    """
    width = layout.right - layout.left
    gapped = [index for index, line in enumerate(lines)
              if line.gaps and not (line.even and line.right >= layout.right - 0.05 * width)]
    for i, j in itertools.pairwise(gapped):
        above, below = lines[i], lines[j]
        if (j == i + 1 and any(a < y and b < x for a, x in above.gaps for b, y in below.gaps)) or (
                j - i <= ROW_REACH and any(abs(x - y) <= 0.1 * below.size for _, x in above.gaps for _, y in below.gaps)):
            above.row = below.row = True
    columns = sorted({start for line in lines if line.row for _, start in line.gaps})
    for line in lines:
        if line.row:
            line.text, line.cells = cells(line, columns)


def cells(row: Line, columns: list[float]) -> tuple[str, tuple[float, ...]]:
    """A row's text with its cells parted (by ``CELL``): where a space is wider than ``ROW_GAP`` ems, or the word
    after it starts where a cell of a row on the page does, past a wide gap (two cells a little more than a word
    space apart: "Exposure Frames" in a header over "120 s" and "40"). A list item's bullet or number is no cell.
    And where each cell starts.
    """
    parts = row.text.split("\t")
    if len(parts) != len(row.cuts) + 1:
        return row.text, (row.left,)  # a tab of the PDF's own: no cells told, as before
    text, starts = parts[0], [row.left]
    for number, ((left, right), part) in enumerate(zip(row.cuts, parts[1:], strict=True)):
        at = bisect.bisect_left(columns, right - 0.3 * row.size)
        cell = right - left > ROW_GAP * row.size or (at < len(columns) and columns[at] <= right + 0.3 * row.size)
        cell = cell and not (number == 0 and _MARKER.fullmatch(text.strip()))
        text += (CELL if cell else " ") + part
        starts += [right] * cell
    return text, tuple(starts)


@dataclass(slots=True)
class _Piece:
    """A cell's text on one line of the page, where it sits."""

    text: str
    left: float
    top: float  # the bottom of its line's first character, as a share of the page height
    line: Line
    column: int = 0


def rebuild(lines: list[Line], layout: _Layout) -> list[Line]:
    """The lines of the page with each table whose cells wrapped laid out again: one line for each row (see the
    module's doc). A table is its rows (marked) and the lines among them and right after its last that each sit in
    one of its columns; one with a line that does not (a paragraph between two tables) is left as it is."""
    out: list[Line] = []
    index = 0
    while index < len(lines):
        if not lines[index].row:
            out.append(lines[index])
            index += 1
            continue
        end = index + 1  # the table's lines: to its last row, rows at most ROW_REACH lines apart
        while (after := next((n for n in range(end, min(end + ROW_REACH, len(lines))) if lines[n].row), None)) is not None:
            end = after + 1
        table = lines[index:end]
        columns = _columns(table)
        low = min(line.end for line in table)  # the table's lowest line, so far
        while end < len(lines) and len(columns) > 1 and _trails(lines[end], low, columns, layout):
            table.append(lines[end])
            low = min(low, lines[end].end)
            end += 1
        laid = _laid_out(table, columns, layout) if len(columns) > 1 and any(not line.row for line in table) else None
        out += laid or table
        index = end
    return out


def _columns(table: list[Line]) -> list[float]:
    """Where the table's columns start: where its rows' cells do, those within half an em one."""
    columns: list[float] = []
    for start in sorted(start for line in table if line.row for start in line.cells):
        if not columns or start - columns[-1] > 0.5 * table[0].size:
            columns.append(start)
    return columns


def _column(columns: list[float], left: float, size: float) -> int:
    return max(0, bisect.bisect_right(columns, left + 0.5 * size) - 1)


def _fits(line: Line, columns: list[float]) -> bool:
    """Whether a line that is no row sits in one column: it starts there and ends before the next one starts."""
    at = _column(columns, line.left, line.size)
    return line.left >= columns[0] - 0.5 * line.size and (at + 1 == len(columns) or line.right <= columns[at + 1])


def _trails(line: Line, low: float, columns: list[float], layout: _Layout) -> bool:
    """Whether a line after a table's last row is its cell's text, wrapped: in a column but the first, a line under
    the table's lowest line (``low``)."""
    return (not line.row and _fits(line, columns) and _column(columns, line.left, line.size) > 0  # in the first: a row
            and 0 < low - line.bottom <= 1.3 * layout.pitch * line.size / layout.size)


def _laid_out(table: list[Line], columns: list[float], layout: _Layout) -> list[Line] | None:
    """A line for each row of the table, its cells' text in them; None where a line sits in no one column.

    A row starts at a line (in the order PDFium reads them, which is the order the PDF
    draws them: a row's cells one after another) that starts in the first column, but for a
    line of the first cell's own text wrapped: right under a line of that cell alone (with
    the cells beside it that PDFium read on its line: a cell set a little lower, centred).
    """
    # The table's own line spacing (a table may set its lines further apart than the body's): the least between
    # two lines one under the other in a column, as a wrapped cell's are.
    steps = [above.end - below.bottom for above, below in itertools.pairwise(table)
             if abs(above.left - below.left) <= 0.5 * below.size and above.end - below.bottom > 0.3 * layout.pitch]
    step = 1.3 * min(steps, default=layout.pitch * max(line.size for line in table) / layout.size)
    rows: list[list[_Piece]] = []
    previous: Line | None = None
    for line in table:
        if line.row:
            parts = line.text.split(CELL)
            if len(parts) != len(line.cells):
                return None
            pieces = [_Piece(text, left, line.bottom, line) for text, left in zip(parts, line.cells, strict=True)]
        elif _fits(line, columns):
            pieces = [_Piece(line.text, line.left, line.bottom, line)]
        else:
            return None
        for piece in pieces:
            piece.column = _column(columns, piece.left, line.size)
        first = pieces[0].column == 0
        wrapped = (first and previous is not None and not previous.row
                   and _column(columns, previous.left, previous.size) == 0 and 0 < previous.end - line.bottom <= step)
        if not rows or (first and not wrapped):
            rows.append([])
        rows[-1] += pieces
        previous = line
    return [_row(row, columns) for row in rows]


def _row(pieces: list[_Piece], columns: list[float]) -> Line:
    """One line for a row: its cells' text in column order (each cell's lines from the top), its lines' place and
    the gaps of its columns."""
    texts = [""] * len(columns)
    for piece in sorted(pieces, key=lambda piece: -piece.top):  # stable: pieces of one line stay in their order
        text, word = texts[piece.column], " ".join(piece.text.split())
        texts[piece.column] = (text[:-1] + word if _HYPHENATED.search(text) and word[:1].islower()
                               else f"{text} {word}" if text else word)
    lines = [piece.line for piece in pieces]
    first = max(lines, key=lambda line: (line.row, line.bottom))
    return replace(first, text=CELL.join(texts), left=min(line.left for line in lines),
                   right=max(line.right for line in lines), bottom=max(line.bottom for line in lines),
                   end=min(line.end for line in lines), row=True, cuts=(), cells=tuple(columns),
                   gaps=tuple((start - 1.0, start) for start in columns[1:])[:MAX_CELLS])
