"""The text of a derived document (a PDF, a web page, a Word file, a chat export), built paragraph by paragraph.

Every reader of derived text lays it out the same way: each paragraph (or heading) on
one line (or on lines without a blank one, where its lines matter: a web page's code
block, a chat message), paragraphs separated by a blank line, so the offsets of each are
known as it is added. Headings name the section of what follows and are not numbered; a paragraph
that repeats an earlier one is marked ``duplicate`` (not indexed), as in plain text::

    text = DerivedText()
    text.heading("2.4 The glob files", page=3)
    text.paragraph("Every project keeps its patterns in ...", page=3)
    document = text.document("manual.pdf", title="The Glob Tool Manual")
"""

from __future__ import annotations

from typing import Any

from qabot.corpus import limits
from qabot.models import Document, Paragraph
from qabot.text import dedup_key

SEPARATOR = "\n\n"


class DerivedText:
    """``charged``: the text was charged to the file's limits already, where it was read (a chat's messages, which
    are laid out only once the whole channel is read)."""

    def __init__(self, *, mark_repeats: bool = True, charged: bool = False) -> None:
        self.parts: list[str] = []
        self.paragraphs: list[Paragraph] = []
        self.section: str | None = None
        self.numbered = 0
        self._offset = 0
        self._seen: set[str] | None = set() if mark_repeats else None
        self._charged = charged

    def _add(self, text: str, **fields: Any) -> Paragraph:
        if not self._charged:
            limits.spend(len(text) + len(SEPARATOR))  # the file's text and time bounds, as it is built
        para = Paragraph(start=self._offset, end=self._offset + len(text), **fields)
        self.paragraphs.append(para)
        self.parts.append(text)
        self._offset += len(text) + len(SEPARATOR)
        return para

    def heading(self, text: str, **where: Any) -> Paragraph:
        """A heading: it names the section of the paragraphs after it."""
        self.section = text
        return self._add(text, number=0, section=text, heading=True, **where)

    def paragraph(self, text: str, number: int | None = None, **where: Any) -> Paragraph:
        """A paragraph of the current section; ``where`` holds its page, anchor, author ... (see ``Paragraph``).

        Paragraphs are numbered in the order they are added, unless ``number`` says otherwise
        (a chat laid out by conversation keeps each message's place in the channel).
        """
        self.numbered += 1
        repeat = False
        if self._seen is not None:
            key = dedup_key(text)
            repeat = key in self._seen
            self._seen.add(key)
        return self._add(text, number=self.numbered if number is None else number, section=self.section,
                         duplicate=repeat, **where)

    def document(self, name: str, doc_id: str | None = None, **meta: Any) -> Document:
        """The document (``source`` is ``name``, and ``doc_id`` too unless given); ``meta`` gives its title, author,
        date, url."""
        return Document(doc_id=doc_id or name, source=name, text=SEPARATOR.join(self.parts),
                        paragraphs=tuple(self.paragraphs), **meta)
