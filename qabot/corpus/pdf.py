"""The reader for ``.pdf`` files, with pypdfium2: one document per file, its paragraphs on their pages.

PDFium gives each page's text line by line (``get_text_range``) and where each line
sits (the box and font size of its characters). From that this reader rebuilds what the
layout only shows:

- **paragraphs**: lines are rejoined where the next one continues the text (the same
  font size, the usual line spacing, no first-line indent after a finished sentence);
  PDFium's mark for a word hyphenated at a line end, and soft hyphens, are dropped;
- **sections**: a short line in a larger or bold font, or numbered like ``2.4. The glob
  files``, is a heading, and names the section of the paragraphs after it;
- **pages**: every paragraph keeps its page (1-based) and, where the PDF defines page
  labels (printed numbers such as "iv"), its label. A paragraph that runs over a page
  break is cut there, and its two parts share a ``group``, so they stay in one passage;
- **furniture**: a running header or footer (a line near the top or bottom edge that
  repeats on several pages, a page number), table-of-contents dot leaders and notes in
  the margin are dropped.

The document text is the paragraphs, each on one line, separated by blank lines; the
index stores it, and offsets point into it. A PDF that cannot be opened (encrypted,
damaged, truncated), has no pages, or has no text layer (a scan) is skipped with a
warning that names the file and the reason.

What PDFium builds whole is bounded before it builds it. First, what the file's
compressed streams inflate to (``check_streams``, before PDFium opens the file): like a
zip bomb, 500 KB of PDF can inflate to a page content stream of 350 MB, which PDFium parses
whole when it loads the page (it ran out of memory at 6 GB), and 40 KB to one text object
of 15 million characters (a text page of 2.9 GB). Each stream that may be page content (not
an image, a font program or an attachment), and the streams a page's ``/Contents`` names
together (whatever their dictionaries say), may inflate to at most
``QABOT_READER_MAX_INFLATED_MB`` (the largest of a real manual is 250 KB; within 4 MB, a
page's text page may still take 0.9 GB and 2 s); all of them to at most
``QABOT_READER_MAX_FILE_MB``. Each is inflated a chunk at a time and never held. Then a
page's text: its text page takes some 200 bytes a character, so a page of 300,000 lines
would take 4 GB, and a process over its memory is killed, not warned. Loading the page
costs a tenth of that and tells how many objects it draws: a page of more than
``PAGE_OBJECTS_PER_MB`` for each MB of ``QABOT_READER_MAX_INFLATED_MB`` (40,000 by
default; the densest page of a real manual draws one or two thousand) skips the file.
And a page label: one longer than ``MAX_LABEL_CHARS`` is no printed page number (a
``/PageLabels`` prefix of a million characters would be a megabyte for every page), and
the document's labels are left out, with a warning.
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from qabot.corpus import limits
from qabot.corpus.derived import DerivedText
from qabot.corpus.files import CorpusFile, Warn
from qabot.corpus.pdf_streams import check_streams
from qabot.models import Document
from qabot.text import first_line

SUFFIXES = frozenset({".pdf"})
MAX_HEADING_CHARS = 100
PAGE_OBJECTS_PER_MB = 10_000  # a line of text is about 100 bytes of a page's content stream, parsed whole like markup
MAX_LABEL_CHARS = 64  # a printed page number ("iv", "A-12") is a few characters
EDGE = 0.12  # running headers and footers sit in this share of the page height, at the top or bottom
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_HYPHEN_MARKS = str.maketrans("", "", "\ufffe\x02\xad")  # PDFium's hyphen-at-line-end marks, soft hyphens
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # glyphs PDFium could not map (a math symbol as \x0f)
_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                            "\ufb05": "st", "\ufb06": "st"})
_SPACES = re.compile(r"\s+")
_DOT_LEADER = re.compile(r"(?:\.\s*){4,}\S*\s*$|(?:\s\.){3,}")
_PAGE_NUMBER = re.compile(r"(?i)^(?:page\s+)?(?:\d+|[ivxlcdm]+)(?:\s*(?:of|/)\s*\d+)?$")
_NUMBERED_HEADING = re.compile(r"^(?:\d+(?:\.\d+)+\.?|[A-Z]\.\d+(?:\.\d+)*\.?|(?:Chapter|Appendix|Part)\s+\w+)\s+\S")
_ENDS_SENTENCE = re.compile(r"[.!?:;\"”’)\]]$")
_NOT_HEADING_END = re.compile(r"[.,;:]$")
_CAPTION = re.compile(r"(?i)^(?:figure|fig\.|table|listing|plate)\s*[\dA-Z]")
_TOC_ENTRY = re.compile(r"\d+$")  # on a table-of-contents page, an entry without dot leaders


@dataclass
class _Line:
    text: str
    left: float
    right: float
    bottom: float  # of its first character, as a share of the page height
    size: float
    bold: bool
    end: float  # the bottom of its last character: where a word hyphenated at a line end took it (see _page_lines)


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
        pages = []
        most = int(PAGE_OBJECTS_PER_MB * limits.current().max_inflated_mb)
        for index in range(count):
            limits.check()  # a page without text takes time too
            pages.append(_page_lines(pdf, index, most))
        labels = _labels(pdf, count, file.name, warn)
        meta = pdf.get_metadata_dict(skip_empty=True)
    except pdfium.PdfiumError as exc:
        warn(f"skipping {file.name}: {_why(exc)}")
        return
    finally:
        pdf.close()
    if not any(pages):
        warn(f"skipping {file.name}: no text layer (a scanned PDF? qabot does not read text in images)")
        return
    yield document(file.name, pages, labels, meta)


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


def _page_lines(pdf: object, index: int, most: int) -> list[_Line]:
    """The lines of one page, in PDFium's reading order, with their position and font size.

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
        lines = []
        position = 0
        for piece in _LINE_BREAK.split(text):
            start, position = position, position + len(piece)
            position += 2 if text.startswith("\r\n", position) else 1
            stripped = piece.strip()
            if not stripped:
                continue
            lead = len(piece) - len(piece.lstrip())
            chars = [raw.FPDFText_GetCharIndexFromTextIndex(textpage.raw, start + lead + len(stripped) * k // 4)
                     for k in range(4)]
            first = chars[0]
            last = raw.FPDFText_GetCharIndexFromTextIndex(textpage.raw, start + lead + len(stripped) - 1)
            if first < 0 or last < 0:
                continue
            left, bottom, _, _ = textpage.get_charbox(first, loose=True)
            # PDFium reads a word hyphenated at a line end ("retriev-" / "ers are ...") and the rest of the line
            # after it as one line (the hyphen marked \ufffe): it ends a line lower than it begins.
            _, end, right, _ = textpage.get_charbox(last, loose=True)
            # The usual size of a few of its characters: one in a symbol or scaled font says little.
            probes = [(raw.FPDFText_GetFontSize(textpage.raw, c), c) for c in chars if c >= 0]
            probes = sorted((size, c) for size, c in probes if size >= 2) or probes
            size, probe = probes[len(probes) // 2]
            size = round(size, 1)
            bold = raw.FPDFText_GetFontWeight(textpage.raw, probe) >= 600
            lines.append(_Line(stripped, left, right, bottom / height if height else 0.0, size, bold,
                               end / height if height else 0.0))
        return lines
    finally:
        textpage.close()
        page.close()


# -- layout ---------------------------------------------------------------------------


@dataclass
class _Layout:
    """What the body text of the whole document looks like: the yardstick for every page."""

    size: float
    pitch: float  # baseline to baseline, as a share of the page height
    left: float
    right: float

    @classmethod
    def of(cls, pages: list[list[_Line]]) -> _Layout:
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
        return cls(
            size=size,
            pitch=statistics.median(steps) if steps else 0.015,
            left=lefts[len(lefts) // 10],
            right=rights[min(len(rights) - 1, len(rights) * 9 // 10)],
        )


def _running(pages: list[list[_Line]]) -> set[tuple[int, int]]:
    """(page, line) of every running header or footer and page number near the top or bottom edge."""
    def edge(line: _Line) -> bool:
        return line.bottom > 1 - EDGE or line.bottom < EDGE

    def key(line: _Line) -> str:
        return re.sub(r"\d+", "#", " ".join(line.text.lower().split()))

    counts = Counter(key(line) for page in pages for line in page if edge(line))
    repeats = max(2, min(3, math.ceil(len(pages) / 2)))
    return {
        (p, i)
        for p, page in enumerate(pages)
        for i, line in enumerate(page)
        if edge(line) and (counts[key(line)] >= repeats or _PAGE_NUMBER.match(line.text))
    }


def _clean(text: str) -> str:
    return _SPACES.sub(" ", _CONTROL.sub("", text.translate(_HYPHEN_MARKS).translate(_LIGATURES))).strip()


def _continues(previous: _Line, line: _Line, layout: _Layout) -> bool:
    """Whether ``line`` goes on with the paragraph that ``previous`` is in."""
    if abs(previous.size - line.size) > 0.6 or previous.bold != line.bold:
        return False
    step = previous.end - line.bottom
    if step <= 0.3 * layout.pitch or step > 1.3 * layout.pitch * max(1.0, line.size / layout.size) + 0.002:
        return False  # a gap, or a jump back up (the next column)
    width = layout.right - layout.left
    finished = bool(_ENDS_SENTENCE.search(previous.text))
    if finished and line.left > previous.left + 0.15 * line.size:
        return False  # a first-line indent after a finished sentence
    return not (finished and previous.right < layout.right - 0.15 * width)


def _blocks(page: list[_Line], drop: set[int], layout: _Layout) -> list[list[_Line]]:
    toc = sum(1 for line in page if _DOT_LEADER.search(line.text)) >= 3
    blocks: list[list[_Line]] = []
    for index, line in enumerate(page):
        if index in drop or _DOT_LEADER.search(line.text) or line.right < layout.left - 2:
            continue  # furniture, a table-of-contents entry, a note in the margin
        if toc and _TOC_ENTRY.search(line.text):
            continue
        previous = blocks[-1][-1] if blocks else None
        if previous is not None and _same_line(previous, line, layout):
            # A superscript (a footnote mark) or a run in another font, on the same line.
            gap = line.left - previous.right
            previous.text += ("" if gap < 0.15 * layout.size else " ") + line.text
            previous.right, previous.end = line.right, line.end
        elif previous is not None and (_continues(previous, line, layout) or _next_column(previous, line, layout)):
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return blocks


def _next_column(previous: _Line, line: _Line, layout: _Layout) -> bool:
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


def _same_line(previous: _Line, line: _Line, layout: _Layout) -> bool:
    return line.left >= previous.right - 1 and abs(line.bottom - previous.end) < 0.6 * layout.pitch


def _join(lines: list[_Line]) -> str:
    """The lines of a paragraph as one line: a word hyphenated at a line end is whole again."""
    text = ""
    for line in lines:
        piece = _clean(line.text)
        if not piece:
            continue
        if re.search(r"[^\W\d_]-$", text) and piece[0].islower():
            text = text[:-1] + piece
        else:
            text = f"{text} {piece}" if text else piece
    return text


def _is_heading(block: list[_Line], text: str, layout: _Layout) -> bool:
    if len(block) > 2 or len(text) > MAX_HEADING_CHARS or _NOT_HEADING_END.search(text):
        return False
    if not any(ch.isalpha() for ch in text) or _PAGE_NUMBER.match(text) or _CAPTION.match(text):
        return False
    line = block[0]
    return line.size >= 1.12 * layout.size or (line.bold and len(text) < 80) or bool(_NUMBERED_HEADING.match(text))


def document(name: str, pages: list[list[_Line]], labels: list[str | None], meta: dict[str, str]) -> Document:
    """The document of a PDF's pages of lines: text, and paragraphs with their sections and pages."""
    layout = _Layout.of(pages)
    running = _running(pages)
    text = DerivedText()
    groups = 0
    last_size = 0.0  # the font size of the last paragraph: a footnote does not run on to the next page
    for page_index, page in enumerate(pages):
        drop = {i for p, i in running if p == page_index}
        first_on_page = True
        for block in _blocks(page, drop, layout):
            joined = _join(block)
            if not joined or (len(joined) <= 4 and not any(ch.isalpha() for ch in joined)):
                continue  # nothing, or a lone footnote number
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
    title = " ".join(meta.get("Title", "").split()) or _title(pages, layout) or next(
        (text.parts[i] for i, p in enumerate(text.paragraphs) if p.heading and p.page == 1), None
    )
    return text.document(name, title=title, author=meta.get("Author", "").strip() or None,
                         date=_date(meta.get("CreationDate", "")))


def _title(pages: list[list[_Line]], layout: _Layout) -> str | None:
    """A title for a PDF without one in its metadata: the first page's largest text, or its running header.

    Text half as large again as the body on the first page is a title page's: it is the
    title, its lines joined ("Everything we know about CRC but afraid to" / "forget").
    Otherwise the line at the top edge that repeats on most pages (dropped from the text
    as furniture) is, where there is one; and otherwise the first page's largest text
    if it stands out at all (a section heading on a first page that is not a title page
    gives way to the running header). Both are looked at before furniture is dropped,
    since a title often repeats at the top of every page.
    """
    first = [line for line in pages[0] if any(ch.isalpha() for ch in line.text) and not _PAGE_NUMBER.match(line.text)]
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
        headers.update({_clean(line.text) for line in page if line.bottom > 1 - EDGE and not _PAGE_NUMBER.match(line.text)
                        and any(ch.isalpha() for ch in line.text)})
    header, count = headers.most_common(1)[0] if headers else ("", 0)
    if count >= max(2, min(3, math.ceil(len(pages) / 2))):
        return header
    return largest[1] if largest and largest[0] >= 1.12 else None


def _runs_on(previous: str, text: str) -> bool:
    """Whether a page's first paragraph goes on with the last one of the page before."""
    return not _ENDS_SENTENCE.search(previous) and (text[:1].islower() or previous.endswith((",", "-")))


def _date(value: str) -> str | None:
    """A PDF date (``D:20020501184600+01'00'``) as ``2002-05-01``."""
    match = re.match(r"(?:D:)?(\d{4})(\d{2})?(\d{2})?", value.strip())
    if not match:
        return None
    year, month, day = match.groups()
    return "-".join(part for part in (year, month, day) if part)
