"""The cells of a Word table's row, read from its XML: what python-docx's ``row.cells`` gives, without its failures.

python-docx resolves a vertical merge's continuation (``w:vMerge`` with no value) by the
cell at the same grid column in the row above, and raises where there is none ("no tr above
topmost tr", "no `tc` element at grid_offset=1": converters write such tables, and Word shows
them); and it repeats a cell once for each grid column it spans, 2**31 times for a hostile
``w:gridSpan``. A row is read here cell by cell instead, each cell once.
"""

from __future__ import annotations

from typing import Any


def row_cells(tr: Any, above: dict[int, Any]) -> list[Any]:
    """The ``w:tc`` of each cell of a row (``w:tr``), once each, in order; a vertical merge's continuation as the
    cell it continues, or as itself where no cell starts at its column in the row before. ``above`` maps each grid
    column of the row before where a cell starts to that cell (empty for a table's first row), and is made this
    row's."""
    column, found, seen, now = tr.grid_before, [], set(), {}
    for tc in tr.tc_lst:
        cell = above.get(column, tc) if tc.vMerge == "continue" else tc
        now[column] = cell
        if id(cell) not in seen:
            seen.add(id(cell))
            found.append(cell)
        column += tc.grid_span
    above.clear()
    above.update(now)
    return found
