"""The chunk store: documents, paragraphs and passages in one SQLite file.

Passage rows are numbered from 0 in the order they were embedded, so a passage's row
is also its FAISS id and its row in the vector files. The store is written once, while
a build runs in its temporary folder, and then only read (opened immutable), so one
connection guarded by a lock serves every thread.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from qabot.index.engine import ParagraphRow, PassageRow
from qabot.models import Document, Paragraph, Passage, SourceInfo

_SCHEMA = """
CREATE TABLE documents (
    row INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, source TEXT NOT NULL, title TEXT,
    author TEXT, date TEXT, url TEXT, text TEXT NOT NULL, passages INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE paragraphs (
    doc INTEGER NOT NULL, number INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
    section TEXT, heading INTEGER NOT NULL, duplicate INTEGER NOT NULL
);
CREATE TABLE passages (
    row INTEGER PRIMARY KEY, doc INTEGER NOT NULL, section TEXT, paragraph INTEGER NOT NULL,
    start INTEGER NOT NULL, end INTEGER NOT NULL, text TEXT NOT NULL,
    sent0 INTEGER NOT NULL, sents TEXT NOT NULL
);
"""
_INDEXES = """
CREATE INDEX paragraphs_by_doc ON paragraphs (doc, start);
CREATE INDEX passages_by_doc ON passages (doc, start);
CREATE INDEX documents_by_source ON documents (source);
"""


class StoreWriter:
    """Appends documents and passages while a build runs."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path)
        self._db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
        self.documents = 0
        self.passages = 0
        self.sentences = 0

    def add_document(self, document: Document, paragraphs: Sequence[Paragraph]) -> int:
        row = self.documents
        self._db.execute(
            "INSERT INTO documents (row, doc_id, source, title, author, date, url, text) VALUES (?,?,?,?,?,?,?,?)",
            (row, document.doc_id, document.source, document.title, document.author, document.date,
             document.url, document.text),
        )
        self._db.executemany(
            "INSERT INTO paragraphs VALUES (?,?,?,?,?,?,?)",
            [(row, p.number, p.start, p.end, p.section, int(p.heading), int(p.duplicate)) for p in paragraphs],
        )
        self.documents += 1
        return row

    def add_passages(self, doc_row: int, passages: Iterable[Passage]) -> None:
        rows = []
        for passage in passages:
            rows.append((self.passages, doc_row, passage.section, passage.paragraph, passage.start,
                         passage.end, passage.text, self.sentences, json.dumps(passage.sentences)))
            self.passages += 1
            self.sentences += len(passage.sentences)
        self._db.executemany("INSERT INTO passages VALUES (?,?,?,?,?,?,?,?,?)", rows)
        self._db.execute("UPDATE documents SET passages = passages + ? WHERE row = ?", (len(rows), doc_row))

    def close(self) -> None:
        self._db.executescript(_INDEXES)
        self._db.commit()
        self._db.close()


class Store:
    """Read access to a finished chunk store."""

    def __init__(self, path: Path) -> None:
        uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
        self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            # Reading the schema fails fast on a file that is not a qabot store.
            self._db.execute("SELECT row, sent0, sents FROM passages LIMIT 1").fetchall()

    def _query(self, sql: str, args: Sequence = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def passages(self, rows: Sequence[int]) -> dict[int, PassageRow]:
        if not rows:
            return {}
        marks = ",".join("?" * len(rows))
        found = self._query(
            "SELECT p.row, p.doc, d.doc_id, d.source, d.title, d.url, p.section, p.paragraph, p.start, p.end,"
            f" p.text, p.sent0, p.sents FROM passages p JOIN documents d ON d.row = p.doc WHERE p.row IN ({marks})",
            [int(r) for r in rows],
        )
        return {r[0]: PassageRow(*r[:12], tuple(tuple(s) for s in json.loads(r[12]))) for r in found}

    def doc_ids(self, rows: Sequence[int]) -> dict[int, str]:
        """The document id of each passage row (without reading the passages' text)."""
        if not rows:
            return {}
        marks = ",".join("?" * len(rows))
        found = self._query(
            f"SELECT p.row, d.doc_id FROM passages p JOIN documents d ON d.row = p.doc WHERE p.row IN ({marks})",
            [int(r) for r in rows],
        )
        return dict(found)

    def passage_count(self) -> int:
        return int(self._query("SELECT count(*) FROM passages")[0][0])

    def text(self, doc: int, start: int, end: int) -> str:
        """``document.text[start:end]`` without loading the whole document."""
        found = self._query("SELECT substr(text, ?, ?) FROM documents WHERE row = ?", (start + 1, end - start, doc))
        return found[0][0] if found else ""

    def document_length(self, doc: int) -> int:
        return int(self._query("SELECT length(text) FROM documents WHERE row = ?", (doc,))[0][0])

    def passages_near(self, doc: int, start: int, end: int) -> list[PassageRow]:
        """Passages of ``doc`` that overlap or touch [start, end], plus one on each side."""
        rows = self._query(
            "SELECT row FROM passages WHERE doc = ? AND end >= ? AND start <= ? ORDER BY start", (doc, start, end)
        )
        ids = [r[0] for r in rows]
        if ids:
            ids = [ids[0] - 1, *ids, ids[-1] + 1]
        found = self.passages([i for i in ids if i >= 0])
        return [found[i] for i in sorted(found) if found[i].doc == doc]

    def paragraphs(self, doc: int) -> list[ParagraphRow]:
        rows = self._query(
            "SELECT number, start, end, section, heading, duplicate FROM paragraphs WHERE doc = ? ORDER BY start",
            (doc,),
        )
        return [ParagraphRow(r[0], r[1], r[2], r[3], bool(r[4]), bool(r[5])) for r in rows]

    def paragraph_at(self, doc: int, offset: int) -> ParagraphRow | None:
        """The paragraph of ``doc`` that contains ``offset``."""
        rows = self._query(
            "SELECT number, start, end, section, heading, duplicate FROM paragraphs"
            " WHERE doc = ? AND start <= ? ORDER BY start DESC LIMIT 1",
            (doc, offset),
        )
        return ParagraphRow(rows[0][0], rows[0][1], rows[0][2], rows[0][3], bool(rows[0][4]), bool(rows[0][5])) if rows else None

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
