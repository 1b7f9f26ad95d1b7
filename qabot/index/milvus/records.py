"""The rows a document becomes in Milvus, checked against Milvus's size limits before they are sent.

A document that does not fit (a title or a heading longer than a VARCHAR holds, a
passage or a paragraph table too large) is skipped with a warning that names it, as a
file that cannot be read is: it never stops the build.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from qabot.index.engine import ParagraphRow
from qabot.index.lexical import tokenize
from qabot.index.milvus.schema import (
    CHUNK_CHARS,
    MAX_JSON,
    MAX_VARCHAR,
    ORDINAL_BITS,
    PASSAGE_COLUMNS,
    PLACEHOLDER,
    PLACEHOLDER_VECTOR,
    SENTENCE_BITS,
    bm25_text,
    chunk_id,
    encode_paragraphs,
    encode_value,
)
from qabot.models import Document, Paragraph, Passage

DOCUMENT_FIELDS = tuple(f for f in Document.model_fields if f not in ("text", "body_start", "paragraphs"))


def quote(text: str) -> str:
    """``text`` as a string literal of a Milvus filter expression."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return '"' + escaped.replace("\t", "\\t") + '"'


def _too_long(value: Any, limit: int = MAX_VARCHAR) -> bool:
    return isinstance(value, str) and len(value.encode("utf-8")) > limit


@dataclass
class DocumentRows:
    """A document's rows in the documents collection, and the passages written for it so far."""

    doc: int
    document: Document
    paragraphs: list[Paragraph]
    digest: str = ""
    api: bool = False  # came through the document API: a rebuild reads it back from these rows
    problem: str | None = None
    passages: int = 0
    sentences: int = 0
    chunks: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, doc: int, document: Document, paragraphs: list[Paragraph], digest: str = "", api: bool = False
           ) -> DocumentRows:
        rows = cls(doc, document, paragraphs, digest, api)
        rows.problem = rows._check()
        return rows

    def _check(self) -> str | None:
        document = self.document
        try:
            document.text.encode("utf-8")
        except UnicodeEncodeError:
            return "its text holds code points Milvus cannot store"
        for name in DOCUMENT_FIELDS:
            if _too_long(getattr(document, name), 4096):
                return f"its {name} is longer than 4,096 bytes"
        if _too_long(document.doc_id, 4096) or _too_long(document.source, 4096):
            return "its id or source is longer than 4,096 bytes"
        if document.title and len(bm25_text(tokenize(document.title)).encode("utf-8")) > MAX_VARCHAR - 8192:
            return "its title holds too many words to index"
        for paragraph in self.paragraphs:
            if _too_long(paragraph.section, 4096):
                return f"the section name at offset {paragraph.start} is longer than 4,096 bytes"
        self.chunks = self._chunks()
        for chunk in self.chunks:
            if len(json.dumps(chunk["paragraphs"]).encode("utf-8")) > MAX_JSON:
                return f"too many paragraphs near offset {chunk['chunk'] * CHUNK_CHARS} to store"
        if len(self.chunks) > 1 << ORDINAL_BITS:
            return "it is too long to store"
        return None

    def _chunks(self) -> list[dict[str, Any]]:
        text = self.document.text
        count = max(1, -(-len(text) // CHUNK_CHARS))
        by_chunk: list[list[ParagraphRow]] = [[] for _ in range(count)]
        for p in self.paragraphs:
            row = ParagraphRow(**{f.name: getattr(p, f.name, None) for f in dataclasses.fields(ParagraphRow)})
            by_chunk[min(p.start // CHUNK_CHARS, count - 1)].append(row)
        return [
            {"id": chunk_id(self.doc, c), "doc": self.doc, "chunk": c, "source": self.document.source,
             "doc_id": self.document.doc_id, "digest": self.digest,
             "text": text[c * CHUNK_CHARS : (c + 1) * CHUNK_CHARS], "paragraphs": encode_paragraphs(by_chunk[c]),
             "meta": None, PLACEHOLDER: PLACEHOLDER_VECTOR}
            for c in range(count)
        ]

    def add_passage(self, passage: Passage) -> int:
        """The passage's place in the document (its ordinal); counts it."""
        if self.passages >= 1 << ORDINAL_BITS or len(passage.sentences) >= 1 << SENTENCE_BITS:
            raise ValueError(f"{self.document.source}: passage {self.passages} cannot be numbered")
        self.passages += 1
        self.sentences += len(passage.sentences)
        return self.passages - 1

    def rows(self) -> list[dict[str, Any]]:
        """The chunk rows, chunk 0 carrying the document's metadata and counts."""
        doc = self.document
        self.chunks[0]["meta"] = {
            **{name: getattr(doc, name) for name in DOCUMENT_FIELDS},
            "length": len(doc.text), "chunks": len(self.chunks), "passages": self.passages,
            "sentences": self.sentences,
            # A document of the document API, read back whole by a rebuild: how it was given.
            "api": {"body_start": doc.body_start, "paragraphs": doc.paragraphs is not None} if self.api else None,
        }
        return self.chunks


def passage_record(doc: int, passage: Passage, document: Document) -> dict[str, Any]:
    """The ``PassageRow`` fields of a passage, each taken from the passage or else its document, by name."""
    out: dict[str, Any] = {}
    for column in PASSAGE_COLUMNS:
        if column.name == "doc":
            value: Any = doc
        elif hasattr(passage, column.name):
            value = getattr(passage, column.name)
        else:
            value = getattr(document, column.name, None)
        out[column.name] = encode_value(column, value)
    return out
