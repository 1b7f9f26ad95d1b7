"""The reader for Word ``.docx`` files, with python-docx: one document per file.

The body is read in order: a paragraph in a heading style (``Heading 1`` ... ``Heading 9``,
or ``Title``), or at a heading's outline level (a template's own heading style, a level set
on the paragraph), names the section of what follows; every other paragraph with text is a
paragraph; each table row is one paragraph, its cells joined by `` | `` (a merged cell,
which python-docx repeats, once), and a table inside a cell follows the row it is in,
laid out the same way. A paragraph of a numbered list starts with the number Word shows before
it ("1. Park the mount.", "a) Rain sensor."; ``docx_numbering``), which python-docx does not
read; a bullet is left out. The core properties give the title, the author and the date
(created), but for those of python-docx's own template (the author "python-docx", created
2013-12-23), which a file saved by python-docx, or a tool built on it, keeps unless it
sets its own: they say nothing of the file. Nor does a title that a template or a tool set
("Proceedings Template - WORD", ``titles``): where the file has none of its own, its title is the
paragraph in the Title style, else a Heading 1 that opens it and is its only one.

Real documents wrap text in elements python-docx does not read through: tracked
insertions (``w:ins``), content controls (``w:sdt``), simple fields, smart tags and
custom XML. ``Document.iter_inner_content`` skips paragraphs and tables in a body-level
content control, ``Paragraph.text`` reads only the runs directly in a paragraph or a
hyperlink, ``_Table.rows`` and ``_Row.cells`` skip rows and cells in a content control (a
cover page's, a repeating section's), and ``_Cell.text`` skips tables in a cell, so each of
these is walked here: their text is read as Word shows it with the changes accepted (tracked deletions,
``w:del`` and ``w:moveFrom``, left out), and a content control that shows its placeholder
(Word's prompt, "Click here to enter text.") left out too. A table of contents (paragraphs in Word's ``toc 1``
... ``toc 9`` and ``TOC Heading`` styles) is left out: its entries ("Closing the dome 4")
would be passages that repeat the headings with page numbers. The text of a text box (a
warning, a tip, a sidebar), which python-docx does not read, follows the paragraph it is
anchored in; so does the text of a footnote or endnote, after the paragraph that first
refers to it.

A file that is not a Word document (a ``.docx`` that is a zip of something else, or not a zip at all), or a
damaged one, is skipped with a warning that names it, and says which without quoting the file or its path.
"""

from __future__ import annotations

import errno
import functools
import re
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

from qabot.corpus import limits
from qabot.corpus.derived import DerivedText
from qabot.corpus.docx_numbering import Numbering
from qabot.corpus.docx_package import archived_page, open_word
from qabot.corpus.docx_tables import row_cells
from qabot.corpus.files import CorpusFile, Warn
from qabot.corpus.titles import own_title
from qabot.models import Document
from qabot.text import first_line

SUFFIXES = frozenset({".docx"})
CONTAINER = "zip"  # its unpacked size is bounded before python-docx unpacks it (qabot.corpus.limits)
_SPACES = re.compile(r"[^\S\n]+")
_HEADING_STYLE = re.compile(r"(?i)^(heading\s*\d|title|subtitle)$")
_LXML_WHERE = re.compile(r" \(<string>, line \d+\)$")  # lxml's own "where", which says nothing here
_TOC_STYLE = re.compile(r"(?i)^toc\s*(\d|heading)$")  # Word's table of contents: "toc 1" ... "toc 9", "TOC Heading"


def read(file: CorpusFile, warn: Warn) -> Iterator[Document]:
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError

    try:
        word = open_word(file, warn)  # read without a part its relationships name and its zip lacks, as Word does
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        why = "not a zip package" if isinstance(exc, PackageNotFoundError) else first_line(exc)  # not its path
        warn(f"skipping {file.name}: not a Word document ({why})")
        return
    except (XMLSyntaxError, AttributeError) as exc:  # python-docx parses every part as it opens the package
        warn(f"skipping {file.name}: a damaged Word document ({_damaged_part(file) or first_line(exc)})")
        return
    except (zlib.error, EOFError, OSError) as exc:  # a corrupt part, or a zip header pointing before the file's start
        damaged = not isinstance(exc, OSError) or exc.errno == errno.EINVAL
        warn(f"skipping {file.name}: " + ("a damaged Word document (its zip does not unpack)" if damaged
                                          else f"cannot be read ({exc.strerror or exc})"))
        return
    result = document(file.name, word, warn)
    if not result.paragraphs:
        warn(f"skipping {file.name}: the document has no text")
        return
    yield result


def _damaged_part(file: CorpusFile) -> str | None:
    """Which part of a package python-docx could not open is not well-formed XML, and why; None where none is.
    Read only on failure, from a package whose unpacked size ``limits`` already bounded."""
    from lxml import etree

    with zipfile.ZipFile(file.path) as package:
        for name in (n for n in package.namelist() if n.endswith((".xml", ".rels"))):
            try:
                etree.fromstring(package.read(name), etree.XMLParser(resolve_entities=False, no_network=True))
            except etree.XMLSyntaxError as exc:
                return f"{name} is not well-formed XML: {_LXML_WHERE.sub('', first_line(exc))}"
    return None


def _flat(text: str) -> str:
    return " ".join(_SPACES.sub(" ", text).split())


def _qn(*tags: str) -> tuple[str, ...]:
    """The Clark names of WordprocessingML tags (``docx.oxml.ns.qn``, without importing python-docx to read none)."""
    return tuple(f"{{http://schemas.openxmlformats.org/wordprocessingml/2006/main}}{tag}" for tag in tags)


# Around paragraphs and tables: a content control (its w:sdtPr, the settings, is not text) and custom XML.
_BLOCK_WRAPPERS = _qn("sdt", "sdtContent", "customXml")
# Around runs in a paragraph: a tracked insertion or move, a hyperlink, a content control, a simple
# field (its result), a smart tag, custom XML, and bidirectional text. Tracked deletions are not among them.
_RUN_WRAPPERS = _qn("ins", "moveTo", "hyperlink", "sdt", "sdtContent", "fldSimple", "smartTag", "customXml",
                    "dir", "bdo")
_P, _TBL, _R, _TXBX, _SDT, _SDT_CONTENT = _qn("p", "tbl", "r", "txbxContent", "sdt", "sdtContent")
_BR, _FLD_CHAR, _FLD_CHAR_TYPE, _ALT_CHUNK = _qn("br", "fldChar", "fldCharType", "altChunk")
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_VANISH = "/".join(_qn("rPr", "vanish"))
_RUN_CONTENT = _qn("t", "tab", "br", "cr", "noBreakHyphen", "ptab")  # what python-docx's Run.text reads
_SYM, _FONT, _CHAR = _qn("sym", "font", "char")
# Word's Insert > Symbol from the Symbol font (w:sym): its codes as Adobe's Symbol encoding has them, the Greek letters
# and the signs of mathematics a text cites ("p < 0.05, α = 0.01", "± 2 °C"). python-docx reads none.
_SYMBOL_FONT = dict(zip(
    range(0x41, 0x5B), "ΑΒΧΔΕΦΓΗΙϑΚΛΜΝΟΠΘΡΣΤΥςΩΞΨΖ", strict=True)) | dict(zip(
    range(0x61, 0x7B), "αβχδεφγηιϕκλμνοπθρστυϖωξψζ", strict=True)) | {
    0xA2: "′", 0xA3: "≤", 0xA5: "∞", 0xAC: "←", 0xAD: "↑", 0xAE: "→", 0xAF: "↓", 0xB0: "°", 0xB1: "±", 0xB2: "″",
    0xB3: "≥", 0xB4: "×", 0xB5: "∝", 0xB6: "∂", 0xB7: "•", 0xB8: "÷", 0xB9: "≠", 0xBA: "≡", 0xBB: "≈", 0xC5: "⊕",
    0xC6: "∅", 0xC7: "∩", 0xC8: "∪", 0xCE: "∈", 0xCF: "∉", 0xD0: "∠", 0xD1: "∇", 0xD5: "∏", 0xD6: "√", 0xDB: "⇔",
    0xDE: "⇒", 0xE5: "∑", 0xF2: "∫", 0x22: "∀", 0x24: "∃", 0x27: "∋", 0x2A: "∗", 0x2D: "−", 0x40: "≅", 0x5E: "⊥"}
_MATH_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
_MATH = (f"{_MATH_NS}oMath", f"{_MATH_NS}oMathPara")  # an equation (Word's, pandoc's): its m:t text, in order
_MATH_TEXT = f"{_MATH_NS}t"
_RUBY_BASE = "/".join(_qn("ruby", "rubyBase"))
_SHOWING_PLACEHOLDER_IN = "/".join(_qn("sdtPr", "showingPlcHdr"))  # a content control's setting
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_ID, _TYPE, _VAL, _OUTLINE_LEVEL = _qn("id", "type", "val", "outlineLvl")
_BODY_LEVEL = 9  # Word's outline level of body text; 0 to 8 are a heading's
_MAX_BASED_ON = 32  # styles looked at, each based on the one before
_REFERENCES = _qn("footnoteReference", "endnoteReference")
_REFERENCES_TO = dict(zip(_REFERENCES, _qn("footnote", "endnote"), strict=True))


def _inner(element: Any, parent: Any, notes: _Notes) -> Iterator[Any]:
    """Each paragraph and table of a body or a cell, in order, as python-docx's ``iter_inner_content`` gives
    them, and those in content controls and custom XML too, which it skips; and after a paragraph, those of the
    text boxes anchored in it (``_boxes``), then those of the footnotes and endnotes it refers to."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in element.iterchildren(_P, _TBL, _ALT_CHUNK, *_BLOCK_WRAPPERS):
        limits.check()  # empty paragraphs yield no text, but take time
        if child.tag == _ALT_CHUNK:
            yield child  # read by ``_chunk``
        elif child.tag == _P:
            yield Paragraph(child, parent)
            for box in (*_boxes(child), *notes.referred(child)):
                yield from _inner(box, parent, notes)
        elif child.tag == _TBL:
            yield Table(child, parent)
        elif not _placeholder(child):
            yield from _inner(child, parent, notes)


class _Notes:
    """A Word file's footnotes and endnotes, each read once, after the first paragraph that refers to it.

    python-docx does not read them: the note's text is in the footnotes (endnotes) part, the
    paragraph holds only its mark (``w:footnoteReference``). The separator lines Word keeps
    there are no notes.
    """

    def __init__(self, word: Any, name: str, warn: Warn) -> None:
        from docx.oxml import parse_xml
        from lxml.etree import XMLSyntaxError

        self._notes: dict[tuple[str, str | None], Any] = {}
        for rel in word.part.rels.values():
            kind = rel.reltype.rsplit("/", 1)[-1]
            if rel.is_external or kind not in ("footnotes", "endnotes"):
                continue
            part = rel.target_part
            try:
                root = part.element if hasattr(part, "element") else parse_xml(part.blob)
            except XMLSyntaxError as exc:  # the body is read all the same
                warn(f"{name}: {kind} left out: {first_line(exc)}")
                continue
            (tag,) = _qn(kind[:-1])
            for note in root.iterchildren(tag):
                if note.get(_TYPE, "normal") == "normal":
                    self._notes[(tag, note.get(_ID))] = note

    def referred(self, paragraph: Any) -> Iterator[Any]:
        """The notes whose marks are in ``paragraph`` and not read yet, in order."""
        for mark in paragraph.iter(*_REFERENCES):
            note = self._notes.pop((_REFERENCES_TO[mark.tag], mark.get(_ID)), None)
            if note is not None:
                yield note


def _boxes(paragraph: Any) -> Iterator[Any]:
    """The text boxes anchored in a paragraph (``w:txbxContent``), in order, each once.

    Word 2010 and later write a text box twice: as a shape (``mc:Choice``) and again in
    VML for older readers (``mc:Fallback``), which is left out; Word 2007 wrote VML alone.
    A text box in a text box is the outer one's, read with it.
    """
    for box in paragraph.iter(_TXBX):
        outer = box.getparent()
        while outer is not None and outer is not paragraph and outer.tag not in (_FALLBACK, _TXBX):
            outer = outer.getparent()
        if outer is paragraph:
            yield box


def _text(element: Any) -> str:
    """The text of a paragraph's runs, in order, those in the wrappers of ``_RUN_WRAPPERS`` included.

    Each run is read as python-docx reads it (``w:t``, and ``w:tab``, ``w:br`` ... as their characters);
    only the runs of a hyperlink or directly in the paragraph are in ``Paragraph.text``. Of a run with ruby
    (Japanese with its reading over it), the text under the reading (``w:rubyBase``), which python-docx skips.
    """
    return "".join(_run_text(child) + "".join(_text(base) for base in child.iterfind(_RUBY_BASE)) if child.tag == _R
                   else "".join(t.text or "" for t in child.iter(_MATH_TEXT)) if child.tag in _MATH
                   else _text(child)
                   for child in element.iterchildren(_R, *_MATH, *_RUN_WRAPPERS) if not _placeholder(child))


def _run_text(run: Any) -> str:
    """A run's text as python-docx reads it (``Run.text``), but a page or column break parts the words on either
    side as a line break does: python-docx reads those as nothing ("end.Next"). Hidden text (``w:vanish``: a
    teacher's answers, an author's note, text Word does not show) is none: it was read, and could be quoted."""
    hidden = run.find(_VANISH)
    if hidden is not None and hidden.get(_VAL, "true").lower() not in ("0", "false", "off"):
        return ""
    return "".join("\n" if item.tag == _BR else _symbol(item) if item.tag == _SYM else str(item)
                   for item in run.iterchildren(*_RUN_CONTENT, _SYM))


def _symbol(sym: Any) -> str:
    """The character a ``w:sym`` shows: from the Symbol font, as its encoding has it; from a text font, its code
    (outside the private-use area that icon fonts such as Wingdings map to); else nothing."""
    try:
        code = int(sym.get(_CHAR, ""), 16)
    except ValueError:
        return ""
    font = (sym.get(_FONT) or "").strip().lower()
    if font == "symbol":
        return _SYMBOL_FONT.get(code & 0xFF, "")
    if font.startswith(("wingdings", "webdings", "marlett")) or (
            0xE000 <= code <= 0xF8FF) or 0xD800 <= code <= 0xDFFF or not 0x20 <= code <= 0x10FFFF:
        return ""
    return chr(code)


def _placeholder(element: Any) -> bool:
    """Whether ``element`` is a content control that shows its placeholder: Word's prompt ("Click here to enter
    text.", "[Job Title]"), in grey until it is filled in, the same in every document made from the template."""
    return element.tag == _SDT and element.find(_SHOWING_PLACEHOLDER_IN) is not None


def _numbered(item: Any, numbering: Numbering) -> str:
    """A paragraph's text, after the number Word shows before it in a numbered list ("1. Park the mount.")."""
    text = _flat(_text(item._p))
    label = numbering.label(item._p)  # an empty item is counted too, as Word numbers it
    return f"{label} {text}" if label and text else text


def _rows(table: Any, read: set[Any], numbering: Numbering, notes: _Notes) -> Iterator[str]:
    """Each row of ``table`` with text, then each row of the tables in its cells, laid out the same way.

    ``read`` holds the cells whose tables are read already: python-docx gives a vertically merged cell
    again in every row it spans, and the row's text repeats it, but its tables are read once.
    """
    from docx.table import Table, _Cell

    above: dict[int, Any] = {}  # the cell at each grid column of the row before, where one starts there
    for row in table.rows:
        cells: list[str] = []
        inner: list[Any] = []
        for tc in row_cells(row._tr, above):
            cell = _Cell(tc, table)
            texts: list[str] = []
            tables: list[Any] = []
            for item in _inner(cell._tc, cell, notes):
                if isinstance(item, Table):
                    tables.append(item)
                elif text := _numbered(item, numbering):
                    texts.append(text)
            if tables and cell._tc not in read:
                read.add(cell._tc)
                inner.extend(tables)
            if texts:
                cells.append(" ".join(texts))
        if cells:
            yield " | ".join(cells)
        for nested in inner:
            yield from _rows(nested, read, numbering, notes)


def _unwrap(body: Any) -> None:
    """Put the rows and cells of a table that are in content controls in the control's place.

    python-docx reads only the rows that are a table's children, and the cells that are a
    row's: Word's cover pages put each cell in one (bound to the title, the author ...), and a
    repeating section each row. Only this read's copy of the document is changed.
    """
    while controls := body.xpath("./descendant::w:sdt[parent::w:tbl or parent::w:tr]"):
        for control in controls:
            limits.check()
            content = control.find(_SDT_CONTENT)
            for child in list(content) if content is not None else []:
                if _placeholder(control):  # the cell (or row) stays, without its prompt
                    for run in child.xpath("./descendant::w:p/*[not(self::w:pPr)]"):
                        run.getparent().remove(run)
                control.addprevious(child)
            control.getparent().remove(control)


def _drop_field_codes(body: Any) -> None:
    """Take out the text of every complex field's code (between its ``begin`` and ``separate``), nested fields'
    results in it included: Word shows only the outer field's result (``{ IF { PAGE } = 3 "three" }`` shows
    "three"; the PAGE field's cached "3" is part of the code). A code is taken out only once it is read whole (its
    ``separate`` or ``end`` found): a field left open by a damaged file takes nothing after it along. Only this
    read's copy of the document is changed."""
    fields: list[list[Any] | None] = []  # each field open where the walk is: its code's runs while it is read
    reading: list[list[Any]] = []  # of those, the fields whose code is being read, innermost last
    code: list[Any] = []
    for element in body.iter(_FLD_CHAR, _R):
        if element.tag == _FLD_CHAR:
            kind = element.get(_FLD_CHAR_TYPE)
            if kind == "begin":
                fields.append(runs := [])
                reading.append(runs)
            elif kind in ("separate", "end") and fields:
                if (runs := fields[-1]) is not None:  # its code, read whole
                    code.extend(runs)
                    reading.pop()  # the innermost field is the innermost being read
                    fields[-1] = None
                if kind == "end":
                    fields.pop()
        elif reading:  # a run in the code of the innermost field whose code is being read
            reading[-1].append(element)
    for run in code:  # after the walk: the tree is not changed under it
        for text in list(run.iterchildren(*_RUN_CONTENT)):
            run.remove(text)


def _blocks(word: Any, name: str, warn: Warn) -> Iterator[tuple[bool, str, str]]:
    """(is a heading, text, its style's name: "" but for a paragraph's) of every paragraph and table row of the body,
    in order."""
    from docx.table import Table

    _unwrap(word.element.body)
    _drop_field_codes(word.element.body)
    numbering, notes = Numbering(word), _Notes(word, name, warn)
    for item in _inner(word.element.body, word, notes):
        if getattr(item, "tag", None) == _ALT_CHUNK:
            yield from _chunk(word, item, name, warn)
            continue
        if isinstance(item, Table):
            for row in _rows(item, set(), numbering, notes):
                yield False, row, ""
            continue
        text = _numbered(item, numbering)
        if not text:
            continue  # before its style, which python-docx looks up slowly: a file of empty paragraphs is quick
        style = item.style
        name = (style.name if style is not None else "") or ""
        if not _TOC_STYLE.match(name):
            yield bool(_HEADING_STYLE.match(name)) or _outline_level(item, style) < _BODY_LEVEL, text, name


def _chunk(word: Any, element: Any, name: str, warn: Warn) -> Iterator[tuple[bool, str, str]]:
    """(is a heading, text) of the paragraphs of a part imported whole (``w:altChunk``): a page of HTML, or a web
    archive (``.mht``), that Word converts when it opens the file. html-docx-js and other HTML-to-Word tools write
    the whole document so, and python-docx reads none of it: such a file was skipped as empty."""
    from qabot.corpus.html import document as page_document

    part = word.part.related_parts.get(element.get(_REL_ID))
    if part is None:
        return
    kind, data = part.content_type, part.blob
    if kind == "message/rfc822" or str(part.partname).lower().endswith((".mht", ".mhtml")):
        data = archived_page(data)
    elif kind not in ("text/html", "application/xhtml+xml"):
        warn(f"{name}: an imported part of type {kind} left out")
        return
    page = page_document(f"{name}{part.partname}", data) if data else None
    for paragraph in (page.paragraphs or ()) if page is not None else ():
        yield paragraph.heading, page.text[paragraph.start : paragraph.end], ""


def _outline_level(paragraph: Any, style: Any) -> int:
    """The outline level Word gives a paragraph (0 to 8 a heading's, in its navigation pane; 9 body text): its own,
    or its style's (``style``), or that of the style that one is based on, and so on.

    A template's own heading styles ("Section Heading", "Chapter") and a page pasted from the web (an ``<h3>``,
    as a level set on the paragraph) are headings so, whatever their styles are named.
    """
    ppr = paragraph._p.pPr
    for _ in range(_MAX_BASED_ON):  # styles may be based on each other in a ring
        level = ppr.find(_OUTLINE_LEVEL) if ppr is not None else None
        if level is not None:
            value = level.get(_VAL, "")
            # Not int() of "²" (a digit to isdigit) or of 5,000 digits (Python converts 4,300 at most): body text
            return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else _BODY_LEVEL
        if style is None:
            break
        ppr, style = style.element.pPr, style.base_style
    return _BODY_LEVEL


@functools.cache
def _template() -> tuple[str | None, Any]:
    """The author and the creation time of python-docx's own template (``docx.Document()``), as python-docx reads
    them: "python-docx", 2013-12-23 23:15 UTC."""
    import docx

    props = docx.Document().core_properties
    return props.author, props.created


def document(name: str, word: Any, warn: Warn | None = None) -> Document:
    # A file without core properties gets python-docx's defaults (the title "Word Document"), which are not its own.
    own = any(rel.reltype.endswith("/core-properties") for rel in word.part.package.rels.values())
    props = word.core_properties if own else None
    text = DerivedText()
    titles: list[str] = []  # the paragraphs in the Title style
    ones: list[int] = []  # where each Heading 1 is among the blocks
    for at, (heading, block, style) in enumerate(_blocks(word, name, warn or (lambda _: None))):
        (text.heading if heading else text.paragraph)(block)
        if heading and style.lower() == "title":
            titles.append(block)
        elif heading and style.lower() == "heading 1":
            ones.append(at)
    # Where the properties give no title of its own, the one the first page shows: the paragraph in the Title style,
    # else a Heading 1 that opens the document and is its only one (the sections under it are Heading 2s).
    shown = titles[0] if titles else text.parts[0] if ones == [0] else None
    author, created = (props.author, props.created) if props is not None else (None, None)
    template_author, template_created = _template()
    return text.document(
        name,
        title=(own_title(props.title) if props is not None else None) or own_title(shown),
        author=_flat(author or "") or None if author != template_author else None,
        date=created.date().isoformat() if created and created != template_created else None,
    )
