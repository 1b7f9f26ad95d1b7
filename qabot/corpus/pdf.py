"""The reader for ``.pdf`` files, with pypdfium2: one document per file, its paragraphs on their pages.

PDFium gives each page's text line by line (``get_text_range``) and where each line
sits (the box and font size of its characters); ``pdf_layout`` rebuilds from that what
the layout only shows (paragraphs, sections, pages, and the furniture it drops).

A PDF that cannot be opened (encrypted, damaged, truncated), has no pages, or has
no text layer (a scan) is skipped with a warning that names the file and the reason; the pages
of a PDF that show images and no text (a scanned appendix, a signed page) are named in a warning.
Text in a font without a character map, which PDFium gives as whatever its codes are
(``garbled``), is left out with a warning that names the pages; a PDF with nothing else
is skipped.

What PDFium builds whole is bounded before it builds it. First, what the file's
compressed streams inflate to (``check_streams``, before PDFium opens the file): like a
zip bomb, 500 KB of PDF can inflate to a page content stream of 350 MB, which PDFium parses
whole when it loads the page (it ran out of memory at 6 GB), and 40 KB to one text object
of 15 million characters (a text page of 2.9 GB). Each stream that may be page content (not
an image, a font program or an attachment), and the streams a page's ``/Contents`` names
together (whatever their dictionaries say), may inflate to at most
``QABOT_READER_MAX_INFLATED_MB`` (the largest of a real manual is 250 KB; within 4 MB, a
page's text page may still take 0.9 GB and 2 s); all of them, with the fonts' programs
(which PDFium inflates whole), to at most ``QABOT_READER_MAX_FILE_MB``. So may a page's content with the form XObjects it draws, each
as many times as it is drawn, with the forms it draws in turn (``pdf_forms``): PDFium parses
them all when it loads the page, so a form of 733 bytes that draws itself twice grew past
7.7 GB and aborted the process, and a form of 2 MB drawn 100,000 times (7 KB of PDF) aborted
it within 8 s. A form that draws itself, through others or not, skips the file. Each is inflated a chunk at a time and never held. Then a
page's text: its text page takes some 200 bytes a character, so a page of 300,000 lines
would take 4 GB, and a process over its memory is killed, not warned. Loading the page
costs a tenth of that and tells how many objects it draws: a page of more than
``PAGE_OBJECTS_PER_MB`` for each MB of ``QABOT_READER_MAX_INFLATED_MB`` (40,000 by
default; the densest page of a real manual draws one or two thousand) skips the file.
And a page label: one longer than ``MAX_LABEL_CHARS`` is no printed page number (a
``/PageLabels`` prefix of a million characters would be a megabyte for every page), and
the document's labels are left out, with a warning. And the pages themselves: each page
PDFium counts is loaded (or tried) and laid out, some 370 bytes and 20 µs even where the file
does not hold it, so a page tree of 600 bytes whose ``/Count`` said a million took 370 MB;
a PDF that lists more than ``PAGES_PER_MB`` pages for each MB of it (begun) is skipped
before any page is loaded (PDFium counts at most about a million).
"""

from __future__ import annotations

import bisect
import ctypes
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

from qabot.corpus import limits
from qabot.corpus.files import CorpusFile, Warn
from qabot.corpus.garbled import mixed_scripts, unreadable
from qabot.corpus.pdf_answers import unread_answers
from qabot.corpus.pdf_layout import Line, Spaces, document
from qabot.corpus.pdf_streams import check_streams
from qabot.corpus.pdf_tables import CELL_GAP, MAX_CELLS, ROW_GAP
from qabot.models import Document
from qabot.text import first_line

SUFFIXES = frozenset({".pdf"})
PAGE_OBJECTS_PER_MB = 10_000  # a line of text is about 100 bytes of a page's content stream, parsed whole like markup
PAGES_PER_MB = 10_000  # pages a PDF may list for each MB of it, begun: a real one takes a few KB a page, 150 bytes at least
MAX_LABEL_CHARS = 64  # a printed page number ("iv", "A-12") is a few characters
MAX_ROW_CHARS = 300  # a longer line is no table's row
# A bold font's name, where the font states no weight: "Helvetica-Bold", "Arial,Bold", "MyriadPro-Semibold",
# "Roboto-Black", "Futura-Heavy", "Garamond-Demi", TeX's "CMBX10" (bold extended) and "CMB10".
_BOLD_NAME = re.compile(r"(?i)bold|black|heavy|demi(?!light)|\Acmbx?\d")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SPACE_RUN = re.compile(r" +")
_UNMAPPED = ("its font shows glyphs without saying which characters they are (no character map), so the text is not "
             "the page's")


def read(file: CorpusFile, warn: Warn) -> Iterator[Document]:
    import pypdfium2 as pdfium

    check_streams(file.path, limits.current())  # before PDFium parses any of them
    try:
        pdf = pdfium.PdfDocument(file.path)
    except pdfium.PdfiumError as exc:
        warn(f"skipping {file.name}: {_why(exc)}")
        return
    except OSError as exc:
        warn(f"skipping {file.name}: cannot be read ({exc.strerror or exc})")
        return
    try:
        count = len(pdf)
        if count == 0:
            warn(f"skipping {file.name}: the PDF has no pages")
            return
        if count > (most := limits.per_mb(PAGES_PER_MB, file.path.stat().st_size)):
            raise limits.OverLimit(f"its page tree lists {count:,} pages, more than {PAGES_PER_MB:,} for each MB of the "
                                   f"file ({most:,} here)")
        pages, garbled, scanned, broken, answers = [], [], [], [], {}
        most = int(PAGE_OBJECTS_PER_MB * limits.current().max_inflated_mb)
        for index in range(count):
            limits.check()  # a page without text takes time too
            try:
                lines, left_out, answers[index + 1] = _page_lines(pdf, index, most)
            except pdfium.PdfiumError as exc:  # a damaged page: the others are read
                if len(broken) == index == count - 1:
                    raise  # no page loads: the file is skipped, and says why
                pages.append([])
                broken.append((index + 1, first_line(exc)))
                continue
            pages.append(lines)
            if left_out:
                garbled.append(index + 1)
            elif not lines and _shows_images(pdf, index, most):
                scanned.append(index + 1)
        labels = _labels(pdf, count, file.name, warn)
        meta = pdf.get_metadata_dict(skip_empty=True)
    except pdfium.PdfiumError as exc:
        warn(f"skipping {file.name}: {_why(exc)}")
        return
    finally:
        pdf.close()
    doc = document(file.name, pages, labels, meta) if any(pages) else None
    if doc is None or not doc.paragraphs:
        warn(f"skipping {file.name}: {_why_empty(garbled, doc is None)}")
        return
    if broken:
        warn(f"{file.name}: {_pages([number for number, _ in broken])} left out: {'they' if len(broken) > 1 else 'it'} "
             f"cannot be loaded (damaged: {broken[0][1]})")
    if garbled:
        warn(f"{file.name}: text left out on {_pages(garbled)}: {_UNMAPPED}")
    if scanned:
        warn(f"{file.name}: {_pages(scanned)} left out: {'they show' if len(scanned) > 1 else 'it shows'} images and no "
             "text (scanned? qabot does not read text in images)")
    if unread := sum(answers.values()):
        warn(f"{file.name}: the answers filled in its form are not read ({unread} field{'s' if unread > 1 else ''}, "
             f"on {_pages([number for number, count in answers.items() if count])})")
    yield doc


def _pages(numbers: list[int]) -> str:
    """'page 3', 'pages 2, 3, 4', 'pages 1, ..., 10 and 5 more': pages named in a warning."""
    shown = ", ".join(map(str, numbers[:10])) + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")
    return f"page{'s' if len(numbers) > 1 else ''} {shown}"


def _shows_images(pdf: Any, index: int, most: int) -> bool:
    """Whether a page (one without text) shows an image over half of it or more, itself or in a form it draws: a
    scan, unread (not a logo on a page left blank, nor a page of drawings)."""
    from pypdfium2 import raw

    page = pdf[index]
    try:
        area = page.get_width() * page.get_height()
        seen = 0

        def image_in(parent: Any, form: bool) -> Iterator[Any]:
            """The objects of ``parent`` drawn at its top that are, or (a form) hold, an image."""
            nonlocal seen
            count_objects, get_object = ((raw.FPDFFormObj_CountObjects, raw.FPDFFormObj_GetObject) if form else
                                         (raw.FPDFPage_CountObjects, raw.FPDFPage_GetObject))
            for at in range(max(0, count_objects(parent))):
                seen += 1
                if seen > most:
                    return
                drawn = get_object(parent, at)
                kind = raw.FPDFPageObj_GetType(drawn)
                if kind == raw.FPDF_PAGEOBJ_IMAGE or (kind == raw.FPDF_PAGEOBJ_FORM and next(image_in(drawn, True),
                                                                                              None) is not None):
                    yield drawn

        for drawn in image_in(page.raw, False):
            box = [ctypes.c_float() for _ in range(4)]
            if raw.FPDFPageObj_GetBounds(drawn, *(ctypes.byref(side) for side in box)):
                left, bottom, right, top = (side.value for side in box)
                if (right - left) * (top - bottom) >= area / 2:
                    return True
        return False
    finally:
        page.close()


def _why_empty(garbled: list[int], no_lines: bool) -> str:
    """Why a PDF gives nothing to index: its only text was garbled, it has none, or none the layout keeps."""
    if garbled:
        return _UNMAPPED
    if no_lines:
        return "no text layer (a scanned PDF? qabot does not read text in images)"
    return "nothing on its pages reads as text to index (page numbers, marks, one long word)"


def _why(exc: Exception) -> str:
    message = first_line(exc)
    if "password" in message.lower():
        return "the PDF is encrypted (it needs a password)"
    return f"a damaged, truncated or empty PDF ({message})"


def _labels(pdf: object, count: int, name: str, warn: Warn) -> list[str | None]:
    """Each page's label (its printed number, such as "iv"), or none at all where one is no page number.

    PDFium builds a label whole each time it is asked for one, so its length is asked
    first: at the first label over ``MAX_LABEL_CHARS``, the labels are left out.
    """
    from pypdfium2 import raw

    labels: list[str | None] = []
    for index in range(count):
        limits.check()
        size = raw.FPDF_GetPageLabel(pdf.raw, index, None, 0)  # type: ignore[attr-defined]
        if size > 2 * (MAX_LABEL_CHARS + 1):  # bytes of UTF-16, and a NUL
            warn(f"{name}: page labels left out: page {index + 1}'s has {size // 2 - 1:,} characters, "
                 f"over the {MAX_LABEL_CHARS} of a page number")
            return [None] * count
        labels.append(pdf.get_page_label(index) or None)  # type: ignore[attr-defined]
    return labels


def _objects(parent: object, most: int, form: bool = False) -> int:
    """The objects a page (or a form XObject on it) draws, those in its forms too, counted until over ``most``."""
    from pypdfium2 import raw

    count_objects, get_object = ((raw.FPDFFormObj_CountObjects, raw.FPDFFormObj_GetObject) if form else
                                 (raw.FPDFPage_CountObjects, raw.FPDFPage_GetObject))
    count = max(0, count_objects(parent))
    for index in range(count):
        if count > most:
            break
        drawn = get_object(parent, index)
        if raw.FPDFPageObj_GetType(drawn) == raw.FPDF_PAGEOBJ_FORM:
            count += _objects(drawn, most - count, form=True)
    return count


Box = tuple[float, float, float, float]  # left, bottom, right, top


def _upright(page: Any) -> Callable[[Box], Box]:
    """A character's box (PDFium's, in the page's own space) as the page is shown: turned as its ``/Rotate`` says.

    A landscape table or chart is often set on a page turned a quarter (LaTeX's pdflscape, a scanner's "rotate
    page"): its lines run up the page's own space, so that every line looked like a paragraph of its own and the
    page's heading like a line of the one before, unless the boxes are turned as the reader sees them.
    """
    turn = page.get_rotation() % 360
    width, height = (page.get_height(), page.get_width()) if turn in (90, 270) else (page.get_width(),
                                                                                      page.get_height())
    if turn == 90:
        return lambda box: (box[1], width - box[2], box[3], width - box[0])
    if turn == 180:
        return lambda box: (width - box[2], height - box[3], width - box[0], height - box[1])
    if turn == 270:
        return lambda box: (height - box[3], box[0], height - box[1], box[2])
    return lambda box: box


def _gaps(textpage: object, start: int, text: str, size: float,
          upright: Callable[[Box], Box]) -> tuple[Spaces, bool, str, Spaces]:
    """Where the line of ``text`` (at ``start`` in the page's text) has a space wider than ``ROW_GAP`` ems (from and
    to), whether its spaces are three or more, all as wide as each other; and its text with a tab for each space
    wider than ``CELL_GAP`` ems, with where each is (where a table's row may part its cells: see
    ``pdf_tables.cells``).

    PDFium reads the cells of a table's row as one line, with a space where the row leaves a
    gap between them; a loose line of justified text has its spaces all as wide (a long word
    can make them wider than that). A line over ``MAX_ROW_CHARS`` is no row and has none (no
    long line is looked at space by space), and at most ``MAX_CELLS`` are kept.
    """
    from pypdfium2 import raw

    if len(text) > MAX_ROW_CHARS or size <= 0:
        return (), False, text, ()
    spaces: list[tuple[float, float]] = []
    box = raw.FS_RECTF()  # one box for every character asked about (a page asks about thousands)

    def edge(text_index: int, side: int) -> float | None:
        char = raw.FPDFText_GetCharIndexFromTextIndex(textpage.raw, text_index)  # type: ignore[attr-defined]
        if char < 0 or not raw.FPDFText_GetLooseCharBox(textpage.raw, char, box):  # type: ignore[attr-defined]
            return None
        return upright((box.left, box.bottom, box.right, box.top))[side]

    parts, cuts, at = [], [], 0
    for space in _SPACE_RUN.finditer(text):
        left, right = edge(start + space.start() - 1, 2), edge(start + space.end(), 0)
        if left is not None and right is not None:
            spaces.append((left, right))
            if right - left > CELL_GAP * size:
                parts += (text[at : space.start()], "\t")
                cuts.append((left, right))
                at = space.end()
    widths = [right - left for left, right in spaces]
    even = len(widths) >= 3 and min(widths) > 0 and max(widths) <= 1.05 * min(widths)
    wide = tuple((left, right) for left, right in spaces if right - left > ROW_GAP * size)[:MAX_CELLS]
    return wide, even, "".join((*parts, text[at:])), tuple(cuts)


def _bold(raw: Any, textpage: Any, index: int) -> bool:
    """Whether a character is set in a bold font: by the weight its font says, else by its name. A standard font (the
    14 every reader has, "Helvetica-Bold") and many embedded ones ("ABCDEF+Arial-BoldMT", TeX's "CMBX10") state no
    weight, and PDFium gives 0 for them."""
    weight = raw.FPDFText_GetFontWeight(textpage.raw, index)
    if weight > 0:
        return bool(weight >= 600)
    name = ctypes.create_string_buffer(128)
    raw.FPDFText_GetFontInfo(textpage.raw, index, name, len(name), None)
    return bool(_BOLD_NAME.search(name.value.decode("latin-1").rpartition("+")[2]))


def _dropped_spaces(raw: Any, textpage: Any, length: int, upright: Callable[[Box], Box]) -> list[int]:
    """Where word spaces that PDFium's text leaves out belong (places in the page's text, of ``length``).

    A font whose space glyph maps to no character (no character map, no glyph name) shows it as its code, 2, which
    PDFium counts as a character but leaves out of the text, so "The Theory of" read "TheTheoryof". Such a glyph
    between two characters on one line, the second to the right of the first, is a space. (PDFium's own mark of a
    word hyphenated at a line end is 2 as well, but it is in the text, and what follows it is on the next line.)
    """
    count = textpage.count_chars()
    if count <= length:  # every character is in the text: the usual case, and nothing to look at
        return []
    found = []
    for char in limits.checked(range(1, count - 1)):  # a page of glyphs without characters may be long
        if raw.FPDFText_GetUnicode(textpage.raw, char) != 2 or raw.FPDFText_GetTextIndexFromCharIndex(
                textpage.raw, char) >= 0:
            continue
        at = raw.FPDFText_GetTextIndexFromCharIndex(textpage.raw, char + 1)
        _, bottom, right, top = upright(textpage.get_charbox(char - 1, loose=True))  # the font's line, not its ink
        left, below, _, _ = upright(textpage.get_charbox(char + 1, loose=True))
        if at > 0 and abs(below - bottom) < (top - bottom) / 2 and left >= right:
            found.append(at)
    return found


def _spaced(cells: str, text: str, places: set[int]) -> str:
    """``cells`` (a line's ``text`` as ``_gaps`` made it: a run of spaces may be a tab) with a space at each of
    ``places`` in ``text``, all between two characters that are not spaces (where ``_dropped_spaces`` found them)."""
    marks, seen = set(), 0  # a place, as how many characters that are no space come before it
    for at, char in enumerate(text):
        if at in places:
            marks.add(seen)
        seen += not char.isspace()
    out, seen = [], 0
    for char in cells:
        out.append(char)
        if not char.isspace():
            seen += 1
            if seen in marks:
                out.append(" ")
    return "".join(out)


def _page_lines(pdf: object, index: int, most: int) -> tuple[list[Line], bool, int]:
    """The lines of one page, in PDFium's reading order, with their position and font size, whether text was
    left out as garbled (``qabot.corpus.garbled``: a line of unmapped glyphs, or the whole page where its words mix
    writing systems), and how many of its form fields' answers its text does not hold (``pdf_answers``).

    A page that draws more than ``most`` objects raises ``OverLimit`` before its text page is built.
    """
    from pypdfium2 import raw

    page = pdf[index]  # type: ignore[index]
    if _objects(page.raw, most) > most:
        page.close()
        raise limits.OverLimit(f"page {index + 1} draws more than {most:,} objects, the limit for a page "
                               f"({PAGE_OBJECTS_PER_MB:,} per MB of QABOT_READER_MAX_INFLATED_MB)")
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        height = page.get_height()
        lines: list[Line] = []
        position = 0
        left_out = False
        matrix = raw.FS_MATRIX()  # one for every character asked about
        upright = _upright(page)
        dropped = _dropped_spaces(raw, textpage, len(text), upright)
        for piece in _LINE_BREAK.split(text):
            start, position = position, position + len(piece)
            position += 2 if text.startswith("\r\n", position) else 1
            stripped = piece.strip()
            if not stripped:
                continue
            if unreadable(stripped):  # unmapped glyphs, not text
                left_out = True
                continue
            lead = len(piece) - len(piece.lstrip())
            chars = [raw.FPDFText_GetCharIndexFromTextIndex(textpage.raw, start + lead + len(stripped) * k // 4)
                     for k in range(4)]
            first = chars[0]
            last = raw.FPDFText_GetCharIndexFromTextIndex(textpage.raw, start + lead + len(stripped) - 1)
            if first < 0 or last < 0:
                continue
            left, bottom, _, _ = upright(textpage.get_charbox(first, loose=True))
            # PDFium reads a word hyphenated at a line end ("retriev-" / "ers are ...") and the rest of the line
            # after it as one line (the hyphen marked \ufffe): it ends a line lower than it begins.
            _, end, right, _ = upright(textpage.get_charbox(last, loose=True))
            # The usual size of a few of its characters: one in a symbol or scaled font says little.
            probes = [(_size(textpage, c, matrix), c) for c in chars if c >= 0]
            probes = sorted((size, c) for size, c in probes if size >= 2) or probes
            size, probe = probes[len(probes) // 2]
            size = round(size, 1)
            bold = _bold(raw, textpage, probe)
            gaps, even, cells, cuts = _gaps(textpage, start + lead, stripped, size, upright)
            begin = start + lead
            inside = dropped[bisect.bisect_right(dropped, begin) : bisect.bisect_left(dropped, begin + len(stripped))]
            if inside:
                cells = _spaced(cells, stripped, {at - begin for at in inside})
            lines.append(Line(cells, left, right, bottom / height if height else 0.0, size, bold,
                              end / height if height else 0.0, gaps, even, cuts=cuts))
        if mixed_scripts(line.text for line in lines):
            return [], True, unread_answers(raw, page.raw, text)
        return lines, left_out, unread_answers(raw, page.raw, text)
    finally:
        textpage.close()
        page.close()


def _size(textpage: object, char: int, matrix: object) -> float:
    """The size a character shows at, in points: its font's size scaled by its matrix.

    A PDF that Acrobat Distiller or Ghostscript made of a word processor's printout sets
    every run in a font of size 1 (``/F1 1 Tf``) and scales it by the text matrix
    (``12 0 0 12 72 700 Tm``); ``FPDFText_GetFontSize`` gives the 1, the matrix the 12.
    """
    from pypdfium2 import raw

    size = raw.FPDFText_GetFontSize(textpage.raw, char)  # type: ignore[attr-defined]
    if raw.FPDFText_GetMatrix(textpage.raw, char, matrix):  # type: ignore[attr-defined]
        size *= math.hypot(matrix.c, matrix.d)  # type: ignore[attr-defined]  # the glyph's height, turned or not
    return size
