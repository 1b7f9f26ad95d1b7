"""A segment of the embedded engine: an immutable folder of documents, their passages, vectors and postings.

An index is a list of segments (``manifest.json`` names them, in order) plus, per segment,
the documents deleted from it since it was written. A change writes a new, small segment
with the documents it adds and a new deletion list for each segment it deletes from;
nothing already written is rewritten. Merges (``qabot.index.embedded.merge``) later copy
the live documents of several segments into one.

A segment folder holds::

    text.u32, documents.i64, paragraphs.bin, passages.bin, sentence_spans.i64,
    sections.json, documents.sqlite     the chunk store (qabot.index.embedded.store)
    passages.f32, sentences.f16         passage and sentence vectors, by row
    passage_sentences.u32               sentences per passage
    sentence_terms.u32, sentence_terms_count.u32, sentence_flags.u8
                                        what the rerank reads per sentence: its term ids, its flags
    bm25/                               postings (qabot.index.embedded.bm25)
    dense.faiss                         a FAISS index, for factories other than Flat (exact search)
    .readers                            the lease file (qabot.index.embedded.leases)
"""

from __future__ import annotations

import contextlib
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from cachetools import LRUCache

from qabot.errors import CorruptIndexError
from qabot.index.embedded import dense as dense_index
from qabot.index.embedded.bm25 import Postings, PostingsWriter
from qabot.index.embedded.leases import LEASE, Lease
from qabot.index.embedded.store import Store, StoreWriter
from qabot.index.engine import half_to_float32, run_starts
from qabot.index.manifest import SegmentInfo, describe_artifacts, verify_artifacts
from qabot.index.scope import Scope
from qabot.models import Document, Paragraph, Passage
from qabot.text import first_line

VECTOR_FILES = ("passages.f32", "sentences.f16", "passage_sentences.u32", "sentence_terms.u32",
                "sentence_terms_count.u32", "sentence_flags.u8")


@dataclass
class Prepared:
    """A passage ready to be written: embedded, tokenised, flagged (``qabot.index.ingest``)."""

    passage: Passage
    vector: np.ndarray  # float32 (dimension,)
    sentence_vectors: np.ndarray  # (sentences, dimension)
    tokens: list[str]  # what BM25 counts: the title's words, then the passage's
    sentence_terms: list[np.ndarray]  # each sentence's term ids (uint32), for the rerank's coverage
    flags: list[int]  # each sentence's chunking.sentence_flags


@dataclass
class Taken:
    """What the documents a change took back held (``SegmentWriter.withdraw``)."""

    documents: int = 0
    passages: int = 0
    sentences: int = 0
    length: int = 0  # BM25 tokens


class SegmentWriter:
    """Writes one segment into ``folder``: documents, then their passages, in order."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.store = StoreWriter(folder)
        self.postings = PostingsWriter(folder / "bm25")
        self.out: dict[str, BinaryIO] = {name: open(folder / name, "wb") for name in VECTOR_FILES}  # noqa: SIM115
        self.dimension = 0
        self.withdrawn: list[range] = []  # rows taken back (``withdraw``): deleted from the segment as it is born
        self.taken = Taken()  # what they held
        self._closed = False

    @property
    def passages(self) -> int:
        return self.store.passages

    def withdraw(self, since: int) -> None:
        """Take back the documents from row ``since`` on, with their passages written so far, which are the last
        written (``qabot.index.changes.Transaction.withdraw``). They stay in the segment's files, rows that
        ``withdrawn`` lists and ``taken`` counts, for its first deletion list."""
        rows = range(max(since, self.withdrawn[-1].stop if self.withdrawn else 0), self.store.documents)
        if not rows:
            return
        passages = self.store.passages_of(rows)
        first = self.store.passages - passages
        self.out["passage_sentences.u32"].flush()
        sentences = np.fromfile(self.folder / "passage_sentences.u32", dtype=np.uint32, count=passages,
                                offset=first * 4)
        self.withdrawn.append(rows)
        taken = self.taken
        taken.documents, taken.passages = taken.documents + len(rows), taken.passages + passages
        taken.sentences += int(sentences.sum(dtype=np.int64))
        taken.length += self.postings.length_of(first, self.store.passages)

    def add_document(self, document: Document, paragraphs: list[Paragraph], digest: str, api: bool) -> int:
        return self.store.add_document(document, paragraphs, digest, api)

    def add(self, batch: list[tuple[int, Prepared]]) -> None:
        """Passages, each with its document's row, in document order: written a batch at a time."""
        if not batch:
            return
        prepared = [p for _, p in batch]
        self.dimension = int(prepared[0].vector.shape[0])
        self.out["passages.f32"].write(np.stack([p.vector for p in prepared]).astype(np.float32).tobytes())
        sentence_vectors = [p.sentence_vectors for p in prepared if len(p.sentence_vectors)]
        if sentence_vectors:
            self.out["sentences.f16"].write(np.concatenate(sentence_vectors).astype(np.float16).tobytes())
        self.store.add_passages([(doc_row, p.passage) for doc_row, p in batch])
        for p in prepared:
            self.postings.add(p.tokens)
        counts = [len(p.sentence_terms) for p in prepared]
        self.out["passage_sentences.u32"].write(np.array(counts, dtype=np.uint32).tobytes())
        terms = [ids for p in prepared for ids in p.sentence_terms]
        self.out["sentence_terms_count.u32"].write(np.array([len(ids) for ids in terms], dtype=np.uint32).tobytes())
        self.out["sentence_flags.u8"].write(np.array([f for p in prepared for f in p.flags], dtype=np.uint8).tobytes())
        if terms:
            self.out["sentence_terms.u32"].write(np.concatenate(terms).astype(np.uint32).tobytes())

    def append_raw(self, name: str, data: np.ndarray) -> None:
        """Bytes for one of ``VECTOR_FILES``, as a merge copies them."""
        self.out[name].write(np.ascontiguousarray(data).tobytes())

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            for handle in self.out.values():
                handle.close()
            self.store.close()

    def discard(self) -> None:
        """Give the segment up: close its files unfinished (on a full disk their last flush fails too), remove it."""
        self._closed = True
        for handle in self.out.values():
            with contextlib.suppress(OSError):
                handle.close()
        self.store.discard()
        shutil.rmtree(self.folder, ignore_errors=True)

    def finish(self, name: str, factory: str, deleted: str | None = None) -> SegmentInfo:
        """Close the files, add BM25's postings and the FAISS index; what the manifest says of the segment
        (``deleted``: the name of its deletion list, where documents were taken back)."""
        self.close()
        length = self.postings.finish()
        store = self.store
        used = dense_index.FLAT
        if store.passages and not dense_index.is_flat(factory):
            vectors = np.memmap(self.folder / "passages.f32", dtype=np.float32, mode="r",
                                shape=(store.passages, self.dimension))
            used = dense_index.build_faiss(vectors, factory, self.folder / "dense.faiss")
            del vectors
        (self.folder / LEASE).touch()  # not an artifact: readers hold a lock on it
        taken = self.taken
        return SegmentInfo(name=name, documents=store.documents, passages=store.passages, sentences=store.sentences,
                           length=length, factory=used, artifacts=describe_artifacts(self.folder),
                           deleted=deleted if taken.documents else None, deleted_documents=taken.documents,
                           deleted_passages=taken.passages, deleted_sentences=taken.sentences,
                           deleted_length=taken.length)

    def withdrawn_rows(self) -> np.ndarray:
        """The rows ``withdraw`` took back, ascending: the segment's first deletion list."""
        return np.concatenate([np.arange(rows.start, rows.stop, dtype=np.uint32) for rows in self.withdrawn]
                              or [np.zeros(0, dtype=np.uint32)])


# A segment whose sentence vectors take at most this much as float32 keeps them widened in memory, once: the rerank
# reads a few hundred of them per question, and widening float16 per question was ~0.1 ms of a 1.3 ms question on
# the default corpus. Larger segments (SciFact's 100,000+ sentences) widen only the rows a question reads.
WIDENED_BYTES = 16 * 2**20


class Segment:
    """A committed segment, open for reading, shared by every snapshot that holds it."""

    def __init__(self, folder: Path, info: SegmentInfo, dimension: int) -> None:
        self.folder = folder
        self.info = info
        self.name = info.name
        self._lease = Lease(folder)  # first: the segment cannot be removed while it is read
        self._scopes: LRUCache[Scope, np.ndarray] = LRUCache(64)
        self._lock = threading.Lock()
        self.users = 0  # snapshots holding it (qabot.index.embedded.engine)
        self._widened: np.ndarray | None = None
        try:
            self._open(folder, info, dimension)
        except BaseException:
            self._lease.release()
            raise

    def _open(self, folder: Path, info: SegmentInfo, dimension: int) -> None:
        if not folder.is_dir():
            raise CorruptIndexError(f"index segment {folder} is missing")
        verify_artifacts(folder, info.artifacts)
        try:
            self.passage_vectors = _vectors(folder / "passages.f32", np.float32, (info.passages, dimension))
            self.sentence_vectors = _vectors(folder / "sentences.f16", np.float16, (info.sentences, dimension))
            self.dense: Any = dense_index.open_dense(folder, info.factory, self.passage_vectors)
            self.flags = np.fromfile(folder / "sentence_flags.u8", dtype=np.uint8)
            self.sentence_start = run_starts(np.fromfile(folder / "passage_sentences.u32", dtype=np.uint32))
            self.term_start = run_starts(np.fromfile(folder / "sentence_terms_count.u32", dtype=np.uint32))
            self.terms = (np.asarray(np.memmap(folder / "sentence_terms.u32", dtype=np.uint32, mode="r"))
                          if self.term_start[-1] else np.zeros(0, dtype=np.uint32))
            self.store = Store(folder, self.sentence_start)
            self.postings = Postings(folder / "bm25")
        except CorruptIndexError:
            raise
        except Exception as exc:
            raise CorruptIndexError(f"index segment {folder} cannot be read ({first_line(exc)})") from exc
        if (
            self.dense.ntotal != info.passages
            or self.postings.size != info.passages
            or len(self.sentence_start) != info.passages + 1
            or self.sentence_start[-1] != info.sentences
            or len(self.term_start) != info.sentences + 1
            or len(self.flags) != info.sentences
            or len(self.store.passage_rows) != info.passages
            or len(self.store.sentence_spans) != info.sentences
            or self.store.document_count != info.documents
        ):
            raise CorruptIndexError(f"index segment {folder} is inconsistent (passage or sentence counts differ)")

    def sentence_vectors32(self, sentences: np.ndarray) -> np.ndarray:
        """The vectors of these sentences (rows), as float32: bit for bit ``sentence_vectors[sentences]`` widened."""
        if self.info.sentences * self.sentence_vectors.shape[1] * 4 > WIDENED_BYTES:
            return half_to_float32(self.sentence_vectors[sentences])
        if self._widened is None:
            with self._lock:
                if self._widened is None:
                    self._widened = half_to_float32(self.sentence_vectors)
        return self._widened[sentences]

    def dead(self, deleted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per document and per passage: deleted, given the deleted documents' rows."""
        docs = np.zeros(self.info.documents, dtype=bool)
        docs[deleted] = True
        return docs, docs[self.store.passage_rows["doc"]] if self.info.passages else np.zeros(0, dtype=bool)

    def allowed(self, scope: Scope) -> np.ndarray:
        """Per passage: its source is in ``scope`` (remembered per scope: a segment never changes)."""
        with self._lock:
            mask = self._scopes.get(scope)
            if mask is None:
                docs = np.array([scope.matches(source) for source, _, _ in self.store.table()], dtype=bool)
                mask = docs[self.store.passage_rows["doc"]] if self.info.passages else np.zeros(0, dtype=bool)
                self._scopes[scope] = mask
            return mask

    def close(self) -> None:
        """Stop reading it: it may be removed once no process reads it and the manifest no longer names it."""
        self.store.close()
        self._lease.release()


def _vectors(path: Path, dtype: type, shape: tuple[int, int]) -> np.ndarray:
    """A plain ndarray view of the memory-mapped file (indexing a np.memmap costs a Python call more)."""
    if shape[0] == 0:
        return np.zeros(shape, dtype=dtype)
    return np.asarray(np.memmap(path, dtype=dtype, mode="r", shape=shape))
