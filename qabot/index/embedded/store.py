"""A segment's chunk store: its documents' text, paragraphs and passages, as flat files read by offset.

Passage rows are numbered from 0 in the order they were embedded, so a passage's row
is also its row in the segment's vector files. Everything a question reads is an
array or a memory-mapped file, so answering costs no SQL per candidate and no parsing:

    text.u32            every document's text, UTF-32 (one 4-byte unit per code point),
                        one after another: any slice by character offsets is exact, NUL,
                        control characters and lone surrogates included
    documents.i64       per document: where its text starts in text.u32, and where its
                        paragraphs start in paragraphs.bin (one row more, at the end)
    paragraphs.bin      per paragraph (by document, then offset): start, end, number,
                        section, heading and repeat flags, page, group and the message
                        a chat message replies to (-1: none),
                        and where the reader gave them the page label, anchor, url,
                        author, date and role in a chat's exchange
    passages.bin        per passage: document, start, end, paragraph number, section, page
    sentence_spans.i64  per sentence (in passage order): start, end in its document
    sections.json       the strings the two .bin files point into (section names,
                        page labels, anchors, urls, authors, dates, roles; -1: none)
    documents.sqlite    per document: id, source file, title, author, date, url, a digest
                        of the document (what an update compares), and for a document
                        that came through the document API (``QABot.upsert``), the
                        document itself as JSON, so that a rebuild can index it again

The store is written once, while its segment is made in a temporary folder, then only read.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np
from cachetools import LRUCache

from qabot.index.engine import ParagraphRow, PassageRow
from qabot.models import Document, Paragraph, Passage

PASSAGE = np.dtype(
    [("doc", "<i4"), ("start", "<i8"), ("end", "<i8"), ("paragraph", "<i4"), ("section", "<i4"), ("page", "<i4")]
)
# Strings a reader may give a paragraph (qabot.models.Paragraph), each an id into sections.json.
PARAGRAPH_STRINGS = ("page_label", "anchor", "url", "author", "date", "role")
PARAGRAPH = np.dtype(
    [("start", "<i8"), ("end", "<i8"), ("number", "<i4"), ("section", "<i4"), ("flags", "u1"), ("page", "<i4"),
     ("group", "<i4"), ("reply_to", "<i4")]
    + [(name, "<i4") for name in PARAGRAPH_STRINGS]
)
HEADING, DUPLICATE = 1, 2
NO_SECTION = -1
NO_PAGE = NO_GROUP = NO_REPLY = -1
TEXT_CODEC = "utf-32-le"
FILES = ("text.u32", "documents.i64", "paragraphs.bin", "passages.bin", "sentence_spans.i64")
_SCHEMA = """
CREATE TABLE documents (
    row INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, source TEXT NOT NULL, title TEXT,
    author TEXT, date TEXT, url TEXT, passages INTEGER NOT NULL DEFAULT 0,
    digest TEXT NOT NULL DEFAULT '', api TEXT
);
"""
_CACHED_DOCUMENTS = 4096
# Passages built lately: a question reads its candidates' neighbours, and the next question
# mostly the same ones. About 4 MB of text at 1,000 characters a passage.
_CACHED_PASSAGES = 4096
_CACHED_PARAGRAPHS = 16384
# A document read whole through that cache at most this long (a chat exchange of up to 100 messages, whose roles a
# question reads): a book's thousands of paragraphs, read whole for an excerpt's context, are built as they are, not
# pushed through it.
_CACHED_WHOLE = 256
DOCUMENT_META = "doc_id, source, title, author, date, url, digest, api"


def encode(text: str) -> bytes:
    """``text`` as the store keeps it: 4 bytes per code point, lone surrogates too."""
    return text.encode(TEXT_CODEC, "surrogatepass")


def decode(data: bytes | memoryview) -> str:
    return str(data, TEXT_CODEC, "surrogatepass")


class StoreWriter:
    """Appends documents and passages while a build runs."""

    def __init__(self, folder: Path) -> None:
        with _written():
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

    def add_document(self, document: Document, paragraphs: Sequence[Paragraph], digest: str = "",
                     api: bool = False) -> int:
        """Append a document; ``api``: it came through the document API, and is kept whole for rebuilds."""
        meta = (document.doc_id, document.source, document.title, document.author, document.date, document.url,
                digest, document.model_dump_json() if api else None)
        return self.copy_document(meta, document.text, self.paragraph_records(paragraphs))

    def copy_document(self, meta: Sequence[object], text: str, records: np.ndarray) -> int:
        """Append a document from its metadata (``DOCUMENT_META``'s order), text and ``PARAGRAPH`` records."""
        row = self.documents
        with _written():
            self._db.execute(f"INSERT INTO documents (row, {DOCUMENT_META}) VALUES (?,?,?,?,?,?,?,?,?)", (row, *meta))
        self._out["documents.i64"].write(np.array([self._chars, self._paragraphs], dtype="<i8").tobytes())
        self._out["text.u32"].write(encode(text))
        self._chars += len(text)
        self._out["paragraphs.bin"].write(records.tobytes())
        self._paragraphs += len(records)
        self.documents += 1
        return row

    def strings(self, names: Sequence[str]) -> np.ndarray:
        """The ids of these strings in this store's sections.json (to renumber another store's records)."""
        return np.array([self._section(name) for name in names], dtype="<i4")

    def paragraph_records(self, paragraphs: Sequence[Paragraph]) -> np.ndarray:
        strings = self._section
        return np.array([
            (p.start, p.end, p.number, strings(p.section), (HEADING if p.heading else 0) | (DUPLICATE if p.duplicate else 0),
             NO_PAGE if p.page is None else p.page, NO_GROUP if p.group is None else p.group,
             NO_REPLY if p.reply_to is None else p.reply_to,
             *(strings(getattr(p, name)) for name in PARAGRAPH_STRINGS))
            for p in paragraphs], dtype=PARAGRAPH)

    def add_passages(self, passages: Sequence[tuple[int, Passage]]) -> None:
        """Passages, each with its document's row, in document order."""
        records = np.array([(doc_row, p.start, p.end, p.paragraph, self._section(p.section),
                             NO_PAGE if p.page is None else p.page) for doc_row, p in passages], dtype=PASSAGE)
        spans = [pair for _, p in passages for pair in p.sentences]
        self.copy_passages(records, np.array(spans, dtype="<i8").reshape(-1, 2))

    def copy_passages(self, records: np.ndarray, spans: np.ndarray) -> None:
        """Append ``PASSAGE`` records (their ``doc`` already this store's row) and their sentences' spans."""
        self._out["passages.bin"].write(records.tobytes())
        self._out["sentence_spans.i64"].write(np.ascontiguousarray(spans, dtype="<i8").tobytes())
        self.sentences += len(spans)
        self.passages += len(records)
        for doc_row, count in zip(*np.unique(records["doc"], return_counts=True), strict=True):
            self._counts[int(doc_row)] = self._counts.get(int(doc_row), 0) + int(count)

    def passages_of(self, rows: range) -> int:
        """The passages written so far of the documents at ``rows``."""
        return sum(self._counts.get(row, 0) for row in rows)

    def close(self) -> None:
        self._out["documents.i64"].write(np.array([self._chars, self._paragraphs], dtype="<i8").tobytes())
        for handle in self._out.values():
            handle.close()
        (self.folder / "sections.json").write_text(json.dumps(list(self._sections)), encoding="utf-8")
        with _written():
            self._db.executemany("UPDATE documents SET passages = ? WHERE row = ?",
                                 [(n, d) for d, n in self._counts.items()])
            self._db.execute("CREATE INDEX documents_by_source ON documents (source)")
            self._db.execute("CREATE INDEX documents_by_id ON documents (doc_id)")
            self._db.commit()
        self._db.close()

    def discard(self) -> None:
        """Close the files unfinished: what was written is thrown away."""
        for handle in self._out.values():
            with contextlib.suppress(OSError):
                handle.close()
        self._db.close()


@contextlib.contextmanager
def _written() -> Iterator[None]:
    """SQLite's failures to write (a full disk, an I/O error) as the ``OSError`` any other file of a segment gives."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        raise OSError(str(exc)) from exc


def api_documents(folder: Path) -> list[tuple[int, str, str, str]]:
    """(row, doc_id, source, document JSON) of the documents of a store that came through the document API.

    Read from its documents.sqlite alone, so that a segment whose other files are damaged still gives them.
    """
    db = sqlite3.connect(_read_only_uri(folder), uri=True)
    try:
        return db.execute("SELECT row, doc_id, source, api FROM documents WHERE api IS NOT NULL ORDER BY row").fetchall()
    finally:
        db.close()


def _read_only_uri(folder: Path) -> str:
    return f"{(folder / 'documents.sqlite').resolve().as_uri()}?mode=ro&immutable=1"


def _page(value: int) -> int | None:
    """A stored page, group or message number: -1 is None."""
    return None if value == NO_PAGE else value


def _mapped(path: Path, dtype: np.dtype | str) -> np.ndarray:
    """The file as a read-only array, memory-mapped (an empty file is an empty array).

    A plain ndarray view of the map: indexing a np.memmap costs a Python call more each time.
    """
    if path.stat().st_size == 0:
        return np.zeros(0, dtype=dtype)
    return np.asarray(np.memmap(path, dtype=dtype, mode="r"))


class Store:
    """Read access to a finished chunk store. Rows and documents are the segment's own (from 0);
    the ``row_base`` and ``doc_base`` a caller passes number them as its snapshot does."""

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
        self._db = sqlite3.connect(_read_only_uri(folder), uri=True, check_same_thread=False)
        self._lock = threading.RLock()
        self._meta: LRUCache[int, tuple[str, str, str | None, str | None]] = LRUCache(_CACHED_DOCUMENTS)
        self._passages: LRUCache[tuple[int, int, int], PassageRow] = LRUCache(_CACHED_PASSAGES)
        self._paragraphs: LRUCache[int, ParagraphRow] = LRUCache(_CACHED_PARAGRAPHS)
        self._table: list[tuple[str, str | None, int]] | None = None
        # Reading the schema fails fast on a file that is not a qabot store.
        self._query(f"SELECT row, {DOCUMENT_META} FROM documents LIMIT 1")

    @property
    def document_count(self) -> int:
        return len(self.documents) - 1

    def _query(self, sql: str, args: Sequence[object] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _section(self, number: int) -> str | None:
        return self.sections[number] if number >= 0 else None

    def _metadata(self, docs: Iterable[int]) -> dict[int, tuple[str, str, str | None, str | None]]:
        """(doc_id, source, title, url) of each document: one query for those not read lately."""
        wanted = {int(d) for d in docs}
        with self._lock:
            found = {d: meta for d in wanted if (meta := self._meta.get(d)) is not None}
            missing = sorted(wanted - found.keys())
            for lo in range(0, len(missing), 500):
                part = missing[lo : lo + 500]
                sql = f"SELECT row, doc_id, source, title, url FROM documents WHERE row IN ({','.join('?' * len(part))})"
                for row, *meta in self._query(sql, part):
                    found[row] = self._meta[row] = tuple(meta)  # type: ignore[assignment]
            return found

    def text(self, doc: int, start: int, end: int) -> str:
        """``document.text[start:end]``, exact for any code point."""
        base, stop = int(self.documents[doc, 0]), int(self.documents[doc + 1, 0])
        lo, hi = min(base + max(start, 0), stop), min(base + max(end, 0), stop)
        return decode(self._bytes[4 * lo : 4 * hi]) if hi > lo else ""

    def length(self, doc: int) -> int:
        return int(self.documents[doc + 1, 0] - self.documents[doc, 0])

    def passages(self, rows: Sequence[int], row_base: int = 0, doc_base: int = 0) -> dict[int, PassageRow]:
        """The stored passages at these (segment) rows, keyed and numbered by ``row + row_base``; built ones are
        kept (``_CACHED_PASSAGES``), since a segment never changes."""
        rows = [int(r) for r in rows if 0 <= int(r) < len(self.passage_rows)]
        with self._lock:
            found = {row: passage for row in rows if (passage := self._passages.get((row, row_base, doc_base)))}
        missing = [row for row in rows if row not in found]
        if missing:
            records = np.asarray(self.passage_rows[missing]).tolist()  # plain tuples: no numpy per field
            meta = self._metadata(r[0] for r in records)
            for row, (doc, start, end, paragraph, section, page) in zip(missing, records, strict=True):
                doc_id, source, title, url = meta[doc]
                first, last = int(self.sentence_start[row]), int(self.sentence_start[row + 1])
                found[row] = PassageRow(
                    row=row + row_base, doc=doc + doc_base, doc_id=doc_id, source=source, title=title, url=url,
                    section=self._section(section), paragraph=paragraph, start=start, end=end,
                    text=self.text(doc, start, end),
                    sentences=tuple(map(tuple, np.asarray(self.sentence_spans[first:last]).tolist())),
                    page=_page(page),
                )
            with self._lock:
                for row in missing:
                    self._passages[(row, row_base, doc_base)] = found[row]
        return {row + row_base: found[row] for row in rows}

    def doc_ids(self, rows: Sequence[int]) -> list[str]:
        """The document id of each passage row (without reading the passages' text)."""
        docs = self.passage_rows["doc"][list(rows)].tolist() if len(rows) else []
        meta = self._metadata(docs)
        return [meta[doc][0] for doc in docs]

    def doc_passages(self, doc: int) -> tuple[int, int]:
        """The rows of a document's passages: [first, last), consecutive."""
        docs = self.passage_rows["doc"]
        return int(np.searchsorted(docs, doc, side="left")), int(np.searchsorted(docs, doc, side="right"))

    def _paragraph_range(self, doc: int) -> tuple[int, int]:
        return int(self.documents[doc, 1]), int(self.documents[doc + 1, 1])

    def _paragraph(self, record: np.void) -> ParagraphRow:
        # One tuple of plain ints (in PARAGRAPH's field order), not a numpy scalar per field.
        start, end, number, section, flags, page, group, reply_to, *strings = record.item()
        return ParagraphRow(number, start, end, self._section(section), bool(flags & HEADING),
                            bool(flags & DUPLICATE), _page(page), group=_page(group), reply_to=_page(reply_to),
                            **dict(zip(PARAGRAPH_STRINGS, map(self._section, strings), strict=True)))

    def paragraph_records(self, doc: int) -> np.ndarray:
        lo, hi = self._paragraph_range(doc)
        return np.asarray(self.paragraph_rows[lo:hi])

    def paragraphs(self, doc: int) -> list[ParagraphRow]:
        lo, hi = self._paragraph_range(doc)
        if hi - lo > _CACHED_WHOLE:
            return [self._paragraph(record) for record in self.paragraph_rows[lo:hi]]
        return [self._paragraph_of(row) for row in range(lo, hi)]

    def paragraph_at(self, doc: int, offset: int) -> ParagraphRow | None:
        """The paragraph of ``doc`` that starts last at or before ``offset``."""
        lo, hi = self._paragraph_range(doc)
        at = int(np.searchsorted(self.paragraph_rows["start"][lo:hi], offset, side="right")) - 1
        return self._paragraph_of(lo + at) if at >= 0 else None

    def _paragraph_of(self, row: int) -> ParagraphRow:
        """The paragraph in ``row`` of the segment's paragraphs, built once while questions keep reading it."""
        with self._lock:
            found = self._paragraphs.get(row)
        if found is None:
            found = self._paragraph(self.paragraph_rows[row])
            with self._lock:
                self._paragraphs[row] = found
        return found

    # -- documents, for listings and updates --------------------------------------------

    def table(self) -> list[tuple[str, str | None, int]]:
        """(source, title, passages) of every document, by row (read once)."""
        with self._lock:
            if self._table is None:
                self._table = [(r[0], r[1], r[2]) for r in self._query(
                    "SELECT source, title, passages FROM documents ORDER BY row")]
            return self._table

    def by_source(self, source: str) -> list[tuple[int, str, str]]:
        """(row, doc_id, digest) of the documents of one source."""
        return [(r[0], r[1], r[2]) for r in self._query(
            "SELECT row, doc_id, digest FROM documents WHERE source = ?", (source,))]

    def by_id(self, doc_ids: Sequence[str]) -> list[tuple[int, str, str, str]]:
        """(row, doc_id, source, digest) of the documents with these ids."""
        out: list[tuple[int, str, str, str]] = []
        for lo in range(0, len(doc_ids), 500):
            part = list(doc_ids[lo : lo + 500])
            out += [(r[0], r[1], r[2], r[3]) for r in self._query(
                f"SELECT row, doc_id, source, digest FROM documents WHERE doc_id IN ({','.join('?' * len(part))})",
                part)]
        return out

    def meta(self, doc: int) -> tuple:
        """A document's metadata, in ``DOCUMENT_META``'s order (what ``StoreWriter.copy_document`` takes)."""
        return self._query(f"SELECT {DOCUMENT_META} FROM documents WHERE row = ?", (doc,))[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
