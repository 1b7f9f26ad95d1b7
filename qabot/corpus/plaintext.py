"""The reader for ``.txt``, ``.md`` and ``.mdx`` files: one document per file, UTF-8 (or UTF-16 or UTF-32 with a
byte-order mark).

The text is exactly what decoding the file gives (``files.read_text``), so offsets point
into the file as a reader sees it; except for text formatted for a terminal (a man page
saved from ``man``: escape sequences, overstrike, words hyphenated at line ends), which
is read as the terminal shows it (``qabot.corpus.terminal``). Like a PDF's, that text is
derived: the index stores it, and offsets point into it. Optional front matter
(``title``, ``author``, ``date``, ``url``) at the top gives the citation its fields;
paragraphs and headings are found by ``qabot.corpus.paragraphs`` as ``load_file``
reads the file, on its time, in the Markdown ``dialect`` its name says: a ``.md`` file's
HTML comments and lines of tags are not text, nor an ``.mdx`` file's imports, exports and
``{...}`` expressions; a page of an MkDocs project links its headings to the ids MkDocs gives them
(``qabot.corpus.mkdocs``). A ``.txt`` mbox of many messages (a mailing list's archive) is a
document per message (``qabot.corpus.mbox``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from qabot.corpus import mbox, mkdocs, terminal
from qabot.corpus.files import CorpusFile, Warn, parse_front_matter, read_text
from qabot.corpus.markdown import Dialect
from qabot.corpus.paragraphs import paragraphs
from qabot.models import Document

SUFFIXES = frozenset({".txt", ".md", ".markdown", ".mdx"})
_DIALECTS: dict[str, Dialect] = {".md": "markdown", ".markdown": "markdown", ".mdx": "mdx"}


def read(file: CorpusFile, warn: Warn) -> Iterator[Document]:
    """The file as one document; an undecodable or binary file warns and yields nothing."""
    text = read_text(file, warn)
    if text is None:
        return
    if looks_binary(text):
        hint = "; it reads as UTF-16 text without a byte-order mark: save it as UTF-8" if _utf16(text) else ""
        warn(f"skipping {file.name}: looks like a binary file ({text.count(chr(0)):,} NUL characters){hint}")
        return
    if dialect(file.name) == "text" and len(at := mbox.starts(text)) > 1:  # a list's archive: a document a message
        yield from mbox.documents(file.name, text, at)
        return
    page = document(file.name, text)
    if dialect(file.name) != "text" and mkdocs.is_page(file):  # its headings' ids are MkDocs' slugs, not GitHub's
        found = paragraphs(page.text, page.body_start, dialect(file.name))
        page = page.model_copy(update={"paragraphs": tuple(mkdocs.anchors(found))})
    yield page


def looks_binary(text: str) -> bool:
    """More than 1 % NUL characters (and more than a few): not text, though it decodes as UTF-8.

    A UTF-16 file without a byte-order mark is the usual case. A text with a stray NUL or
    two is text, and is indexed verbatim, NULs included.
    """
    nuls = text.count("\0")
    return nuls > 8 and nuls > len(text) // 100


def _utf16(text: str) -> bool:
    """Whether ``text`` (bytes decoded as UTF-8) is UTF-16 without its byte-order mark: in its first 4,000 characters,
    a NUL at every other place (after each character, or before it), the others characters of text."""
    head = text[:4000]
    for nuls, chars in ((head[1::2], head[::2]), (head[::2], head[1::2])):
        if len(nuls) >= 4 and nuls.count("\0") >= 0.9 * len(nuls) and "\0" not in chars:
            return True
    return False


def dialect(source: str) -> Dialect:
    """How much of Markdown a document is read with, by its file's name: plain text (``.txt``, ``.jsonl``), Markdown
    with its raw HTML (``.md``), or MDX (``.mdx``)."""
    return _DIALECTS.get(PurePosixPath(source).suffix.lower(), "text")


def document(name: str, text: str) -> Document:
    text = terminal.plain(text)
    meta, body_start = parse_front_matter(text)
    return Document(doc_id=name, source=name, text=text, body_start=body_start, **meta)
