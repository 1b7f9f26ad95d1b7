"""The reader for Word ``.docx`` files, with python-docx: one document per file.

The body is read in order (``Document.iter_inner_content``): a paragraph in a heading
style (``Heading 1`` ... ``Heading 9``, or ``Title``) names the section of what follows;
every other paragraph with text is a paragraph; each table row is one paragraph, its
cells joined by `` | `` (a merged cell, which python-docx repeats, once). The core
properties give the title, the author and the date (created).

A file that is not a Word document (a ``.docx`` that is a zip of something else, or
not a zip at all) is skipped with a warning that names it.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from typing import Any

from qabot.corpus import limits
from qabot.corpus.derived import DerivedText
from qabot.corpus.files import CorpusFile, Warn
from qabot.models import Document
from qabot.text import first_line

SUFFIXES = frozenset({".docx"})
CONTAINER = "zip"  # its unpacked size is bounded before python-docx unpacks it (qabot.corpus.limits)
_SPACES = re.compile(r"[^\S\n]+")
_HEADING_STYLE = re.compile(r"(?i)^(heading\s*\d|title|subtitle)$")


def read(file: CorpusFile, warn: Warn) -> Iterator[Document]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        word = docx.Document(str(file.path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        warn(f"skipping {file.name}: not a Word document ({first_line(exc)})")
        return
    except OSError as exc:
        warn(f"skipping {file.name}: cannot be read ({exc.strerror or exc})")
        return
    result = document(file.name, word)
    if not result.paragraphs:
        warn(f"skipping {file.name}: the document has no text")
        return
    yield result


def _flat(text: str) -> str:
    return " ".join(_SPACES.sub(" ", text).split())


def _blocks(word: Any) -> Iterator[tuple[bool, str]]:
    """(is a heading, text) of every paragraph and table row of the body, in order."""
    from docx.table import Table

    for item in word.iter_inner_content():
        limits.check()  # empty paragraphs yield no text, but take time
        if isinstance(item, Table):
            for row in item.rows:
                cells: list[str] = []
                seen: set[int] = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:
                        continue  # a merged cell: python-docx gives it once per grid column
                    seen.add(id(cell._tc))
                    if text := _flat(cell.text):
                        cells.append(text)
                if cells:
                    yield False, " | ".join(cells)
            continue
        text = _flat(item.text)
        if text:
            style = item.style.name if item.style is not None else ""
            yield bool(_HEADING_STYLE.match(style or "")), text


def document(name: str, word: Any) -> Document:
    props = word.core_properties
    text = DerivedText()
    for heading, block in _blocks(word):
        (text.heading if heading else text.paragraph)(block)
    created = props.created
    return text.document(
        name,
        title=_flat(props.title or "") or None,
        author=_flat(props.author or "") or None,
        date=created.date().isoformat() if created else None,
    )
