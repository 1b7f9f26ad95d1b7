"""The chunk store: the documents' text, paragraphs and passages, as flat files read by offset.

Passage rows are numbered from 0 in the order they were embedded, so a passage's row
is also its FAISS id and its row in the vector files. Everything a question reads is an
array or a memory-mapped file, so answering costs no SQL per candidate and no parsing:

    text.u32            every document's text, UTF-32 (one 4-byte unit per code point),
                        one after another: any slice by character offsets is exact, NUL,
                        control characters and lone surrogates included
    documents.i64       per document: where its text starts in text.u32, and where its
                        paragraphs start in paragraphs.bin (one row more, at the end)
    paragraphs.bin      per paragraph (by document, then offset): start, end, number,
                        section, heading and repeat flags, page and group (-1: none),
                        and where the reader gave them the page label, anchor, url,
                        author, date and role in a chat's exchange
    passages.bin        per passage: document, start, end, paragraph number, section, page
    sentence_spans.i64  per sentence (in passage order): start, end in its document
    sections.json       the strings the two .bin files point into (section names,
                        page labels, anchors, urls, authors, dates, roles; -1: none)
    documents.sqlite    per document: id, source file, title, author, date, url

The store is written once, while a build runs in its temporary folder, then only read.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from qabot.index.engine import ParagraphRow, PassageRow
from qabot.models import Document, Paragraph, Passage, SourceInfo

PASSAGE = np.dtype(
    [("doc", "<i4"), ("start", "<i8"), ("end", "<i8"), ("paragraph", "<i4"), ("section", "<i4"), ("page", "<i4")]
)
# Strings a reader may give a paragraph (qabot.models.Paragraph), each an id into sections.json.
PARAGRAPH_STRINGS = ("page_label", "anchor", "url", "author", "date", "role")
PARAGRAPH = np.dtype(
    [("start", "<i8"), ("end", "<i8"), ("number", "<i4"), ("section", "<i4"), ("flags", "u1"), ("page", "<i4"),
     ("group", "<i4")]
    + [(name, "<i4") for name in PARAGRAPH_STRINGS]
)
HEADING, DUPLICATE = 1, 2
NO_SECTION = -1
NO_PAGE = NO_GROUP = -1
TEXT_CODEC = "utf-32-le"
FILES = ("text.u32", "documents.i64", "paragraphs.bin", "passages.bin", "sentence_spans.i64")
_SCHEMA = """
CREATE TABLE documents (
    row INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, source TEXT NOT NULL, title TEXT,
    author TEXT, date TEXT, url TEXT, passages INTEGER NOT NULL DEFAULT 0
);
"""
_CACHED_DOCUMENTS = 4096


def encode(text: str) -> bytes:
    """``text`` as the store keeps it: 4 bytes per code point, lone surrogates too."""
    return text.encode(TEXT_CODEC, "surrogatepass")


def decode(data: bytes | memoryview) -> str:
    return str(data, TEXT_CODEC, "surrogatepass")


class StoreWriter:
    """Appends documents and passages while a build runs."""

    def __init__(self, folder: Path) -> None:
        self._db = sqlite3.connect(folder / "documents.sqlite")
        self._db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
        self.folder = folder
        self._out: dict[str, BinaryIO] = {name: open(folder / name, "wb") for name in FILES}  # noqa: SIM115
        self._sections: dict[str, int] = {}
        self._chars = 0
        self._paragraphs = 0
        self._counts: dict[int, int] = {}
        self.documents = 0
        self.passages = 0
        self.sentences = 0

    def _section(self, name: str | None) -> int:
        """The id of a string in sections.json (a section name, a page label, a url ...); -1 for None."""
        return NO_SECTION if name is None else self._sections.setdefault(name, len(self._sections))

    def add_document(self, document: Document, paragraphs: Sequence[Paragraph]) -> int:
        row = self.documents
        self._db.execute(
            "INSERT INTO documents (row, doc_id, source, title, author, date, url) VALUES (?,?,?,?,?,?,?)",
            (row, document.doc_id, document.source, document.title, document.author, document.date, document.url),
        )
        self._out["documents.i64"].write(np.array([self._chars, self._paragraphs], dtype="<i8").tobytes())
        self._out["text.u32"].write(encode(document.text))
        self._chars += len(document.text)
        records = np.zeros(len(paragraphs), dtype=PARAGRAPH)
        for record, p in zip(records, paragraphs, strict=True):
            record["start"], record["end"], record["number"] = p.start, p.end, p.number
            record["section"] = self._section(p.section)
            record["flags"] = (HEADING if p.heading else 0) | (DUPLICATE if p.duplicate else 0)
            record["page"] = NO_PAGE if p.page is None else p.page
            record["group"] = NO_GROUP if p.group is None else p.group
            for name in PARAGRAPH_STRINGS:
                record[name] = self._section(getattr(p, name))
        self._out["paragraphs.bin"].write(records.tobytes())
        self._paragraphs += len(paragraphs)
        self.documents += 1
        return row

    def add_passages(self, doc_row: int, passages: Iterable[Passage]) -> None:
        passages = list(passages)
        records = np.zeros(len(passages), dtype=PASSAGE)
        for record, passage in zip(records, passages, strict=True):
            record["doc"], record["start"], record["end"] = doc_row, passage.start, passage.end
            record["paragraph"], record["section"] = passage.paragraph, self._section(passage.section)
            record["page"] = NO_PAGE if passage.page is None else passage.page
            if passage.sentences:
                self._out["sentence_spans.i64"].write(np.asarray(passage.sentences, dtype="<i8").tobytes())
            self.sentences += len(passage.sentences)
        self._out["passages.bin"].write(records.tobytes())
        self.passages += len(passages)
        self._counts[doc_row] = self._counts.get(doc_row, 0) + len(passages)

    def close(self) -> None:
        self._out["documents.i64"].write(np.array([self._chars, self._paragraphs], dtype="<i8").tobytes())
        for handle in self._out.values():
            handle.close()
        (self.folder / "sections.json").write_text(json.dumps(list(self._sections)), encoding="utf-8")
        self._db.executemany("UPDATE documents SET passages = ? WHERE row = ?", [(n, d) for d, n in self._counts.items()])
        self._db.execute("CREATE INDEX documents_by_source ON documents (source)")
        self._db.commit()
        self._db.close()


def _page(value: int) -> int | None:
    """A stored page or group number: -1 is None."""
    return None if value == NO_PAGE else value


def _mapped(path: Path, dtype: np.dtype | str) -> np.ndarray:
    """The file as a read-only array, memory-mapped (an empty file is an empty array).

    A plain ndarray view of the map: indexing a np.memmap costs a Python call more each time.
    """
    if path.stat().st_size == 0:
        return np.zeros(0, dtype=dtype)
    return np.asarray(np.memmap(path, dtype=dtype, mode="r"))


class Store:
    """Read access to a finished chunk store."""

    def __init__(self, folder: Path, sentence_start: np.ndarray) -> None:
        self.sentence_start = sentence_start
        self.documents = np.fromfile(folder / "documents.i64", dtype="<i8").reshape(-1, 2)
        self._text = _mapped(folder / "text.u32", "<u4")
        # The same bytes, sliced without numpy: one memoryview slice per read.
        self._bytes = memoryview(self._text).cast("B") if len(self._text) else memoryview(b"")  # type: ignore[arg-type]
        self.paragraph_rows = _mapped(folder / "paragraphs.bin", PARAGRAPH)
        self.passage_rows = _mapped(folder / "passages.bin", PASSAGE)
        self.sentence_spans = _mapped(folder / "sentence_spans.i64", "<i8").reshape(-1, 2)
        self.sections: list[str] = json.loads((folder / "sections.json").read_text(encoding="utf-8"))
        uri = f"{(folder / 'documents.sqlite').resolve().as_uri()}?mode=ro&immutable=1"
        self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._lock = threading.RLock()
        self._meta: dict[int, tuple[str, str, str | None, str | None]] = {}
        self._grouped: dict[int, bool] = {}
        # Reading the schema fails fast on a file that is not a qabot store.
        self._query("SELECT row, doc_id, source, title, url FROM documents LIMIT 1")

    @property
    def document_count(self) -> int:
        return len(self.documents) - 1

    def _query(self, sql: str, args: Sequence[object] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _section(self, number: int) -> str | None:
        return self.sections[number] if number >= 0 else None

    def _metadata(self, docs: Iterable[int]) -> dict[int, tuple[str, str, str | None, str | None]]:
        """(doc_id, source, title, url) of each document: one query for those not seen lately."""
        wanted = {int(d) for d in docs}
        with self._lock:
            missing = sorted(wanted - self._meta.keys())
            if missing:
                if len(self._meta) + len(missing) > _CACHED_DOCUMENTS:
                    self._meta = {}
                    missing = sorted(wanted)
                marks = ",".join("?" * len(missing))
                sql = f"SELECT row, doc_id, source, title, url FROM documents WHERE row IN ({marks})"
                for row, *meta in self._query(sql, missing):
                    self._meta[row] = tuple(meta)  # type: ignore[assignment]
            return {d: self._meta[d] for d in wanted}

    def text(self, doc: int, start: int, end: int) -> str:
        """``document.text[start:end]``, exact for any code point."""
        base, stop = int(self.documents[doc, 0]), int(self.documents[doc + 1, 0])
        lo, hi = min(base + max(start, 0), stop), min(base + max(end, 0), stop)
        return decode(self._bytes[4 * lo : 4 * hi]) if hi > lo else ""

    def passages(self, rows: Sequence[int]) -> dict[int, PassageRow]:
        rows = [int(r) for r in rows if 0 <= int(r) < len(self.passage_rows)]
        if not rows:
            return {}
        records = np.asarray(self.passage_rows[rows]).tolist()  # plain tuples: no numpy per field
        meta = self._metadata(r[0] for r in records)
        out = {}
        for row, (doc, start, end, paragraph, section, page) in zip(rows, records, strict=True):
            doc_id, source, title, url = meta[doc]
            first, last = int(self.sentence_start[row]), int(self.sentence_start[row + 1])
            out[row] = PassageRow(
                row=row, doc=doc, doc_id=doc_id, source=source, title=title, url=url,
                section=self._section(section), paragraph=paragraph, start=start, end=end,
                text=self.text(doc, start, end), sent0=first,
                sentences=tuple(map(tuple, np.asarray(self.sentence_spans[first:last]).tolist())),
                page=_page(page),
            )
        return out

    def doc_ids(self, rows: Sequence[int]) -> dict[int, str]:
        """The document id of each passage row (without reading the passages' text)."""
        rows = [int(r) for r in rows]
        docs = self.passage_rows["doc"][rows] if rows else np.zeros(0, dtype="<i4")
        meta = self._metadata(docs)
        return {row: meta[int(doc)][0] for row, doc in zip(rows, docs, strict=True)}

    def neighbour_sentences(self, passage: PassageRow) -> list[tuple[int, int]]:
        """Sentence spans of the passages that overlap or touch ``passage``, plus one on each side,
        of its document and section, in order."""
        lo, hi = max(0, passage.row - 4), min(len(self.passage_rows), passage.row + 5)
        window = np.asarray(self.passage_rows[lo:hi]).tolist()
        near = [lo + i for i, (doc, start, end, *_) in enumerate(window)
                if doc == passage.doc and end >= passage.start and start <= passage.end]
        section = window[passage.row - lo][4]
        rows = [r for r in range(near[0] - 1, near[-1] + 2)
                if lo <= r < hi and window[r - lo][0] == passage.doc and window[r - lo][4] == section]
        own = self._group_at(passage.doc, passage.start) if self._has_groups(passage.doc) else None
        if own is not None:  # a group of paragraphs (a chat's conversation): stay inside it
            rows = [r for r in rows if r == passage.row or self._group_at(passage.doc, window[r - lo][1]) in (None, own)]
        spans = [self.sentence_spans[self.sentence_start[r] : self.sentence_start[r + 1]] for r in rows]
        return sorted(set(map(tuple, np.concatenate(spans).tolist())))

    def _has_groups(self, doc: int) -> bool:
        """Whether any paragraph of ``doc`` belongs to a group (remembered for the documents seen lately)."""
        known = self._grouped.get(doc)
        if known is None:
            lo, hi = self._paragraph_range(doc)
            known = bool((self.paragraph_rows["group"][lo:hi] != NO_GROUP).any())
            if len(self._grouped) >= _CACHED_DOCUMENTS:
                self._grouped.clear()
            self._grouped[doc] = known
        return known

    def _group_at(self, doc: int, offset: int) -> int | None:
        para = self.paragraph_at(doc, offset)
        return para.group if para else None

    def _paragraph_range(self, doc: int) -> tuple[int, int]:
        return int(self.documents[doc, 1]), int(self.documents[doc + 1, 1])

    def _paragraph(self, record: np.void) -> ParagraphRow:
        # One tuple of plain ints (in PARAGRAPH's field order), not a numpy scalar per field.
        start, end, number, section, flags, page, group, *strings = record.item()
        return ParagraphRow(number, start, end, self._section(section), bool(flags & HEADING),
                            bool(flags & DUPLICATE), _page(page), group=_page(group),
                            **dict(zip(PARAGRAPH_STRINGS, map(self._section, strings), strict=True)))

    def paragraphs(self, doc: int) -> list[ParagraphRow]:
        lo, hi = self._paragraph_range(doc)
        return [self._paragraph(record) for record in np.asarray(self.paragraph_rows[lo:hi])]

    def paragraph_at(self, doc: int, offset: int) -> ParagraphRow | None:
        """The paragraph of ``doc`` that starts last at or before ``offset``."""
        lo, hi = self._paragraph_range(doc)
        at = int(np.searchsorted(self.paragraph_rows["start"][lo:hi], offset, side="right")) - 1
        return self._paragraph(self.paragraph_rows[lo + at]) if at >= 0 else None

    def source_names(self) -> list[str]:
        """Every distinct source file."""
        return [r[0] for r in self._query("SELECT DISTINCT source FROM documents")]

    def document_rows(self, sources: Sequence[str]) -> list[int]:
        """The rows of the documents of these source files."""
        rows: list[int] = []
        for lo in range(0, len(sources), 500):
            part = list(sources[lo : lo + 500])
            marks = ",".join("?" * len(part))
            rows += [r[0] for r in self._query(f"SELECT row FROM documents WHERE source IN ({marks})", part)]
        return rows

    def sources(self) -> list[SourceInfo]:
        """Each corpus file, with its title when it holds one document, and its counts."""
        return [
            SourceInfo(source=r[0], title=r[1] if r[2] == 1 else None, documents=r[2], passages=r[3])
            for r in self._query(
                "SELECT source, max(title), count(*), sum(passages) FROM documents GROUP BY source ORDER BY source"
            )
        ]

    def close(self) -> None:
        with self._lock:
            self._db.close()
