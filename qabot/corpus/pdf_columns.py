"""A PDF's body text set in two columns: where its left column ends (``pdf_layout``'s yardstick of a full line).

A line of a paragraph that ends a sentence and is short of the text's right edge is the
paragraph's last. In two columns, the text's right edge is the right column's, so every
line of the left column was short: one that happened to end with a full stop ended its
paragraph, cut in two. Where the body is set in two columns, a line of the left column is
measured against that column's own right edge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qabot.corpus.pdf_layout import Line

SHARE = 0.25  # of the body's lines, in each column at least, for the body to be set in two


def left_column_right(body: list[Line], left: float, right: float) -> float:
    """The right edge of the body's left column (most of its lines end there or before), or 0.0 where the body is
    not set in two columns: a quarter of its lines at least start at the left edge and end before the middle, a
    quarter start past the middle's near side, and the left column is as wide as a column of text (a chart's columns
    of short entries, "✂ a2 [x2702]", are no columns of text)."""
    width = right - left
    middle = left + width / 2
    ends = sorted(line.right for line in body if line.left < left + 0.1 * width and line.right < middle)
    seconds = sum(1 for line in body if line.left > left + 0.45 * width)
    if not body or len(ends) < SHARE * len(body) or seconds < SHARE * len(body):
        return 0.0
    edge = ends[len(ends) * 9 // 10]
    return edge if edge - left >= 0.35 * width else 0.0  # a column of text, not a chart's column of short entries


def in_left_column(line: Line, column: float, left: float, right: float) -> bool:
    """Whether ``line`` is a line of the left column, where the body has one (``column``, its right edge)."""
    return bool(column) and line.right <= column + 0.05 * (right - left) and line.left < left + 0.1 * (right - left)
