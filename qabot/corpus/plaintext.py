"""The reader for ``.txt`` and ``.md`` files: one document per file, UTF-8.

The text is exactly what ``Path.read_text(encoding="utf-8")`` returns, so offsets point
into the file as a reader sees it. Optional front matter (``title``, ``author``, ``date``,
``url``) at the top gives the citation its fields; paragraphs and headings are found
later, by ``qabot.corpus.paragraphs``.
"""

from __future__ import annotations

from collections.abc import Iterator

from qabot.corpus.files import CorpusFile, Warn, parse_front_matter, read_text
from qabot.models import Document

SUFFIXES = frozenset({".txt", ".md", ".markdown"})


def read(file: CorpusFile, warn: Warn) -> Iterator[Document]:
    """The file as one document; an undecodable file warns and yields nothing."""
    text = read_text(file, warn)
    if text is None:
        return
    yield document(file.name, text)


def document(name: str, text: str) -> Document:
    meta, body_start = parse_front_matter(text)
    return Document(doc_id=name, source=name, text=text, body_start=body_start, **meta)
