"""A change to a Milvus build: rows for what it adds, deletes for what it removes, then the commit.

Documents are numbered in the build's order (``Head.next_doc``). A change numbers the
documents it adds from there on, and readers never see a document whose number is at or
past the committed ``next_doc``, so rows inserted before the commit stay invisible (and
those of a document the change takes back, ``withdraw``, are deleted at once). The
commit stores the manifest as the build's next version, then the head that names it,
with the new ``next_doc`` and the documents this change deletes (``pending``), which
readers leave out from that moment; only then are their rows deleted, and the head
written once more without them. A change that dies half-way leaves rows no reader sees:
the next writer deletes them first. A new build (the first, or a rebuild) goes into a new
set of collections, and the alias is switched to it when it is complete; the build it
replaces is kept for replicas not yet switched, without the rows of documents it had
deleted, until the first change ``GRACE_SECONDS`` later drops it.

Milvus's own BM25 statistics count the rows inserted, visible or not: while a change is
being written, BM25 scores may shift slightly; which passages a question sees does not.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np

from qabot.errors import CorpusError, CorruptIndexError, QABotError
from qabot.index.embedded.segment import Prepared
from qabot.index.ingest import stored_key
from qabot.index.manifest import Manifest
from qabot.index.milvus import meta
from qabot.index.milvus.client import Connection
from qabot.index.milvus.config import BuildNames, MilvusConfig
from qabot.index.milvus.records import DocumentRows, passage_record, quote
from qabot.index.milvus.schema import (
    LAYOUT,
    MAX_DOCS,
    PASSAGE_FIELDS,
    bm25_text,
    create_build,
    dense_index,
    passage_id,
    passage_row,
    sentence_id,
)
from qabot.models import Document, Paragraph
from qabot.text import clipped

Note = Callable[[str], None]
IN_LIST = 1000  # values per "x in [...]" filter


class MilvusTransaction:
    """One change of a Milvus build (a ``qabot.index.changes.Transaction``)."""

    def __init__(self, conn: Connection, mconfig: MilvusConfig, stored: meta.Stored | None, factory: str,
                 model: str, note: Note, lease: meta.Lease, corpus: str) -> None:
        self.conn, self.mconfig, self.stored, self.factory, self.model, self.note = (
            conn, mconfig, stored, factory, model, note)
        self.lease = lease
        if stored is not None:
            self.names, self.head = stored.names, stored.head
            self.created = True
            # The store refused a build of another corpus folder: one built before builds recorded theirs is this one's.
            self.head = replace(drop_kept(conn, mconfig, clean_up(conn, self.names, self.head)), corpus=corpus)
            if meta.counting(conn, mconfig, self.names):
                recount_terms(conn, self.names, self.head)
                meta.set_counting(conn, mconfig, self.names, False)
        else:
            self.names = BuildNames(f"{mconfig.collection}_b{datetime.now(UTC):%Y%m%d%H%M%S}{uuid.uuid4().hex[:6]}")
            self.head = meta.Head(schema=LAYOUT, corpus=corpus)
            self.created = False
        self.first_doc = self.next_doc = self.head.next_doc
        self.known: dict[str, dict[str, tuple[int, str, dict]]] = {}  # source -> doc_id -> (doc, digest, meta)
        self.deleted: dict[int, dict] = {}  # doc -> its meta (counts)
        self.df: Counter[str] = Counter()
        self.open: dict[int, DocumentRows] = {}  # documents whose passages are still coming
        self.rows: list[dict] = []  # document rows waiting for the collections to exist
        self.dimension = 0
        self.added = [0, 0, 0]  # documents, passages, sentences

    # -- what is there ------------------------------------------------------------------

    def _visible(self) -> str:
        return f"chunk == 0 and doc < {self.first_doc}"

    def _documents(self, source: str) -> dict[str, tuple[int, str, dict]]:
        if source not in self.known:
            rows = _query_all(self.conn, self.names.documents, f"{self._visible()} and source == {quote(source)}",
                              ["doc", "doc_id", "digest", "meta"]) if self.created else iter(())
            hidden = self.head.hidden()
            self.known[source] = {r["doc_id"]: (int(r["doc"]), r["digest"], r["meta"]) for r in rows
                                  if int(r["doc"]) not in hidden}
        return self.known[source]

    def documents(self, source: str) -> dict[str, str]:
        return {doc_id: digest for doc_id, (doc, digest, _) in self._documents(source).items()
                if doc not in self.deleted}

    def sources_of(self, doc_ids: Iterable[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        if not self.created:
            return out
        for part in _in_lists(list(doc_ids)):
            expr = f"{self._visible()} and doc_id in [{', '.join(quote(d) for d in part)}]"
            for row in _query_all(self.conn, self.names.documents, expr, ["doc", "doc_id", "source"]):
                if int(row["doc"]) not in self.deleted and int(row["doc"]) not in self.head.hidden():
                    out.setdefault(row["doc_id"], []).append(row["source"])
        return out

    def reuse(self, source: str, doc_ids: Iterable[str]) -> dict[bytes, tuple[np.ndarray, np.ndarray]]:
        known = self._documents(source)
        docs = [known[d][0] for d in doc_ids if d in known]
        out: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}
        for part in _in_lists(docs):
            for entity in _query_all(self.conn, self.names.passages, f"doc in {part}", ["vector", *PASSAGE_FIELDS]):
                row = passage_row(entity)
                ids = [sentence_id(row.row, i) for i in range(len(row.sentences))]
                found = {int(e["id"]): e["vector"] for e in self.conn.call(
                    "get", self.names.sentences, ids=ids, output_fields=["vector"], **meta.STRONG) or []}
                if len(found) == len(ids):
                    out[stored_key(self.model, row)] = (
                        np.asarray(entity["vector"], dtype=np.float32),
                        np.array([found[i] for i in ids], dtype=np.float32).reshape(len(ids), -1))
        return out

    # -- changing it --------------------------------------------------------------------

    def delete(self, source: str, doc_ids: Iterable[str]) -> None:
        known = self._documents(source)
        for doc_id in doc_ids:
            if doc_id in known:
                doc, _, stored_meta = known[doc_id]
                self.deleted[doc] = stored_meta or {}

    def add(self, document: Document, paragraphs: list[Paragraph], digest: str, api: bool) -> int | None:
        if self.next_doc >= MAX_DOCS:
            raise CorpusError(f"more than {MAX_DOCS} documents have been written to {self.names.passages}: rebuild it")
        rows = DocumentRows.of(self.next_doc, document, paragraphs, digest, api)
        if rows.problem:
            self.note(f"skipping {clipped(document.source, 200)} document {clipped(document.doc_id)!r}: {rows.problem}")
            return None
        self.open[rows.doc] = rows
        self.next_doc += 1
        return rows.doc

    def add_passages(self, batch: list[tuple[int, Prepared]]) -> None:
        if not batch:
            return
        self.dimension = int(batch[0][1].vector.shape[0])
        if not self.created:
            create_build(self.conn, self.names, self.dimension, self.factory)
            self.created = True
        passages, sentences = [], []
        for handle, p in batch:
            document = self.open[handle]
            row = passage_id(handle, document.add_passage(p.passage))
            self.df.update(set(bm25_text(p.tokens).split()))
            record = passage_record(handle, p.passage, document.document)
            passages.append({"id": row, "vector": p.vector.astype("float32"), "terms": bm25_text(p.tokens), **record})
            sentences += [
                {"id": sentence_id(row, i), "doc": handle, "vector": np.asarray(v, dtype=np.float32),
                 "terms": t.astype("int64"), "flags": int(f)}
                for i, (v, t, f) in enumerate(zip(p.sentence_vectors, p.sentence_terms, p.flags, strict=True))
            ]
        for lo in range(0, len(passages), 256):
            self.conn.call("insert", self.names.passages, passages[lo : lo + 256])
        for lo in range(0, len(sentences), 1024):
            self.conn.call("insert", self.names.sentences, sentences[lo : lo + 1024])
        self.added[1] += len(passages)
        self.added[2] += len(sentences)
        self.lease.renew()

    def next_handle(self) -> int:
        return self.next_doc

    def withdraw(self, since: int) -> None:
        """No reader sees a document numbered past ``first_doc`` before the commit: the rows of those taken back are
        deleted now, and what they held is counted out."""
        if since >= self.next_doc:
            return
        opened = [handle for handle in self.open if handle >= since]
        for handle in opened:
            del self.open[handle]
        self.added[0] -= self.next_doc - since - len(opened)  # every number from ``since`` on was a document added
        self.rows = [row for row in self.rows if row["doc"] < since]
        if self.created:
            expr = f"doc >= {since} and doc < {self.next_doc}"
            for row in _query_all(self.conn, self.names.passages, expr, ["terms", "sentences"]):
                self.df.subtract(set(row["terms"].split()))
                self.added[1] -= 1
                self.added[2] -= len(row["sentences"]) // 2  # stored as a flat list of (start, end)
            for name in (self.names.passages, self.names.sentences, self.names.documents):
                self.conn.call("delete", name, filter=expr)

    def done(self, handle: int) -> None:
        self.rows += self.open.pop(handle).rows()
        self.added[0] += 1
        self._write_rows()

    def _write_rows(self) -> None:
        if self.rows and self.created:  # a new build's collections come with its first vectors
            for lo in range(0, len(self.rows), 256):
                self.conn.call("insert", self.names.documents, self.rows[lo : lo + 256])
            self.rows = []

    def counts(self) -> tuple[int, int, int]:
        base = self.stored.manifest if self.stored is not None else None
        gone = Counter()
        for stored_meta in self.deleted.values():
            gone.update({"passages": stored_meta.get("passages", 0), "sentences": stored_meta.get("sentences", 0)})
        return ((base.documents if base else 0) - len(self.deleted) + self.added[0] + len(self.open),
                (base.passages if base else 0) - gone["passages"] + self.added[1],
                (base.sentences if base else 0) - gone["sentences"] + self.added[2])

    def commit(self, manifest: Manifest) -> Manifest:
        for handle in list(self.open):
            self.done(handle)
        self._write_rows()
        if not self.created:
            raise CorpusError("nothing to index: no document holds text")
        deleted = sorted(self.deleted)
        for part in _in_lists(deleted):
            for row in _query_all(self.conn, self.names.passages, f"doc in {part}", ["terms"]):
                self.df.subtract(set(row["terms"].split()))
        meta.set_counting(self.conn, self.mconfig, self.names, True)
        _store_df(self.conn, self.names, self.df)
        for name in self.names.all:
            self.conn.call("flush", name)
        manifest.dimension = self.dimension or manifest.dimension
        manifest.index_factory_used = f"milvus {dense_index(self.factory)[0]['index_type']}"
        manifest.segments = []
        now = time.time()
        head = replace(self.head, next_doc=self.next_doc, pending=[*self.head.pending, *([d, now] for d in deleted)])
        before = meta.serving(self.conn, self.mconfig) if self.stored is None else None
        if before is not None:
            head.kept = [before.passages, now]
        meta.commit(self.conn, self.mconfig, self.names, head, manifest)
        if self.stored is None:
            _switch(self.conn, self.mconfig, self.names, before)
        with contextlib.suppress(QABotError):  # still marked, the next writer counts again: slower, never wrong
            meta.set_counting(self.conn, self.mconfig, self.names, False)
        return manifest

    def abort(self) -> None:
        """Remove what this change wrote and no commit names; a commit whose reply was lost may have landed."""
        with contextlib.suppress(QABotError):
            if self.stored is None:
                if meta.serving(self.conn, self.mconfig) != self.names:
                    meta.forget(self.conn, self.mconfig, self.names)  # a new build that never went into service
            elif self.next_doc > self.first_doc:
                head = meta.read_head(self.conn, self.mconfig, self.names)
                _delete_from(self.conn, self.names, max(self.first_doc, head.next_doc if head else 0))


def clean_up(conn: Connection, names: BuildNames, head: meta.Head) -> meta.Head:
    """What a change that died left (rows past ``next_doc``), and deleted rows past their grace; the head without them.

    The head keeps naming the deleted documents whose rows are gone too, until the change
    under way commits it: readers of the version in service must go on hiding nothing more.
    """
    _delete_from(conn, names, head.next_doc)
    due = [int(doc) for doc, since in head.pending if time.time() - since > meta.GRACE_SECONDS]
    if not due:
        return head
    _delete_docs(conn, names, due)
    return replace(head, pending=[p for p in head.pending if int(p[0]) not in set(due)])


def drop_kept(conn: Connection, mconfig: MilvusConfig, head: meta.Head) -> meta.Head:
    """Drop the build the one in service replaced, once replicas have had ``GRACE_SECONDS`` to switch: it would keep
    the text of documents deleted since; the head without it."""
    if not head.kept or time.time() - float(head.kept[1]) <= meta.GRACE_SECONDS:
        return head
    meta.forget(conn, mconfig, BuildNames(str(head.kept[0])))
    return replace(head, kept=[])


def recount_terms(conn: Connection, names: BuildNames, head: meta.Head) -> None:
    """Count each term's documents again from the passages ``head`` shows (a change died writing the counts)."""
    hidden = head.hidden()
    delta: Counter[str] = Counter()
    for row in _query_all(conn, names.passages, f"doc < {head.next_doc}", ["doc", "terms"]):
        if int(row["doc"]) not in hidden:
            delta.update(set(row["terms"].split()))
    for row in _query_all(conn, names.terms, 'id != ""', ["df"]):
        delta[row["id"]] -= int(row["df"])
    _store_df(conn, names, delta)


def _delete_from(conn: Connection, names: BuildNames, first_doc: int) -> None:
    for name in (names.passages, names.sentences, names.documents):
        conn.call("delete", name, filter=f"doc >= {first_doc}")


def _delete_docs(conn: Connection, names: BuildNames, docs: list[int]) -> None:
    for part in _in_lists(docs):
        for name in (names.passages, names.sentences, names.documents):
            conn.call("delete", name, filter=f"doc in {part}")


def _in_lists(values: list) -> list[list]:
    return [values[lo : lo + IN_LIST] for lo in range(0, len(values), IN_LIST)]


def _query_all(conn: Connection, collection: str, expr: str, fields: list[str]) -> Iterator[dict]:
    """Every row ``expr`` matches (a plain query stops at Milvus's result window of 16,384 rows)."""
    iterator = conn.call("query_iterator", collection, batch_size=4096, filter=expr, output_fields=fields,
                         **meta.STRONG)
    try:
        while batch := iterator.next():
            yield from batch
    except QABotError:
        raise
    except Exception as exc:  # noqa: BLE001 - pymilvus's iterator raises its own errors
        raise conn.error(exc) from None
    finally:
        iterator.close()


def _store_df(conn: Connection, names: BuildNames, delta: Counter[str]) -> None:
    """Apply the change in each term's document frequency to the terms collection."""
    from qabot.index.milvus.schema import PLACEHOLDER, PLACEHOLDER_VECTOR

    keys = [k for k, v in delta.items() if v and len(k.encode()) <= 1000]
    for part in [keys[lo : lo + 2000] for lo in range(0, len(keys), 2000)]:
        found = conn.call("get", names.terms, ids=part, output_fields=["df"], **meta.STRONG) or []
        old = {r["id"]: int(r["df"]) for r in found}
        new = {k: old.get(k, 0) + delta[k] for k in part}
        keep = [{"id": k, "df": v, PLACEHOLDER: PLACEHOLDER_VECTOR} for k, v in new.items() if v > 0]
        if keep:
            conn.call("upsert", names.terms, keep)
        drop = [k for k, v in new.items() if v <= 0 and k in old]
        if drop:
            conn.call("delete", names.terms, ids=drop)


def _switch(conn: Connection, mconfig: MilvusConfig, names: BuildNames, before: BuildNames | None) -> None:
    """Point the alias at the new build; keep the one before it, for replicas that have not switched yet, but not
    the text it had deleted (``_purge``); drop older ones."""
    if conn.call("describe_alias", mconfig.collection, missing_ok=True):
        conn.call("alter_alias", names.passages, mconfig.collection)
    else:
        conn.call("create_alias", names.passages, mconfig.collection)
    keep = {names.passages, before.passages if before else ""}
    for old in meta.builds(conn, mconfig):
        if old.passages not in keep:
            meta.forget(conn, mconfig, old)
    if before is not None:
        _purge(conn, mconfig, before)


def _purge(conn: Connection, mconfig: MilvusConfig, names: BuildNames) -> None:
    """Delete the rows of a build out of service that its head hides: deleted documents still in their grace period
    (a forgotten message's text must not outlive a rebuild) and what a change that died left. A replica still on a
    version that showed one of them leaves it out until it switches. Milvus drops deleted rows from its segments
    when it compacts them: asked for now. A head that cannot be read cannot say which rows those are, and no
    replica can read its build: the build is dropped."""
    try:
        head = meta.read_head(conn, mconfig, names)
    except CorruptIndexError:
        head = None
    if head is None:
        meta.forget(conn, mconfig, names)
        return
    _delete_from(conn, names, head.next_doc)
    if head.pending:
        _delete_docs(conn, names, sorted(head.hidden()))
        for name in (names.passages, names.sentences, names.documents):
            with contextlib.suppress(QABotError):  # a server that refuses it compacts on its own once enough is deleted
                conn.call("compact", name)
