"""A change to the embedded engine: one new segment for what it adds, one deletion list per segment it deletes from.

Nothing already written is touched. The new segment is written in ``.tmp-<id>/`` and
renamed to ``seg-<id>/``; each segment a change deletes from gets a new deletion list,
``<segment>.<generation>.deleted`` (the rows of all its deleted documents so far), and so
does the new segment where the change took documents back (``withdraw``: a file skipped
part way); then ``manifest.json`` is replaced, which is the commit. A crash at any point
leaves the previous manifest naming the previous segments and lists, all still there:
the next writer removes what the crash left behind.

A new index (``base`` None: the first build, or a rebuild) is one new segment, and its
commit lets go of every segment before it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qabot.index.embedded import leases
from qabot.index.embedded.leases import DELETED
from qabot.index.embedded.segment import Prepared, SegmentWriter
from qabot.index.embedded.snapshot import Part, Snapshot
from qabot.index.engine import half_to_float32
from qabot.index.ingest import stored_key
from qabot.index.manifest import Manifest, SegmentInfo, fsync_folder, new_build_id, now, write_manifest
from qabot.models import Document, Paragraph

if TYPE_CHECKING:
    from qabot.index.embedded.engine import EmbeddedEngine


class EmbeddedTransaction:
    """One change of the embedded engine (a ``qabot.index.changes.Transaction``)."""

    def __init__(self, engine: EmbeddedEngine, base: Manifest | None, snapshot: Snapshot | None, model: str) -> None:
        self.engine = engine
        self.base = base
        self.snapshot = snapshot  # the state being changed (None: a new index)
        self.model = model
        self.segment_id = new_build_id()
        self.tmp = engine.index_dir / f".tmp-{self.segment_id}"
        self.writer: SegmentWriter | None = None
        self.deleted: dict[str, set[int]] = {}  # segment -> rows of documents this change deletes

    # -- what is there ------------------------------------------------------------------

    def _parts(self) -> list[Part]:
        return self.snapshot.parts if self.snapshot is not None else []

    def _live(self, part: Part, row: int) -> bool:
        dead = part.dead_docs is not None and bool(part.dead_docs[row])
        return not dead and row not in self.deleted.get(part.info.name, ())

    def documents(self, source: str) -> dict[str, str]:
        out = {}
        for part in self._parts():
            for row, doc_id, digest in part.segment.store.by_source(source):
                if self._live(part, row):
                    out[doc_id] = digest
        return out

    def sources_of(self, doc_ids: Iterable[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for part in self._parts():
            for row, doc_id, source, _digest in part.segment.store.by_id(list(doc_ids)):
                if self._live(part, row):
                    out.setdefault(doc_id, []).append(source)
        return out

    def _rows(self, source: str, doc_ids: Iterable[str]) -> list[tuple[Part, int]]:
        wanted = set(doc_ids)
        return [(part, row) for part in self._parts() for row, doc_id, _ in part.segment.store.by_source(source)
                if doc_id in wanted and self._live(part, row)]

    def reuse(self, source: str, doc_ids: Iterable[str]) -> dict[bytes, tuple[np.ndarray, np.ndarray]]:
        out = {}
        for part, doc in self._rows(source, doc_ids):
            seg = part.segment
            first, last = seg.store.doc_passages(doc)
            for local, row in seg.store.passages(list(range(first, last))).items():
                lo, hi = int(seg.sentence_start[local]), int(seg.sentence_start[local + 1])
                out[stored_key(self.model, row)] = (
                    np.asarray(seg.passage_vectors[local], dtype=np.float32),
                    half_to_float32(seg.sentence_vectors[lo:hi]))
        return out

    # -- changing it --------------------------------------------------------------------

    def delete(self, source: str, doc_ids: Iterable[str]) -> None:
        for part, row in self._rows(source, doc_ids):
            self.deleted.setdefault(part.info.name, set()).add(row)

    def add(self, document: Document, paragraphs: list[Paragraph], digest: str, api: bool) -> int | None:
        if self.writer is None:
            self.writer = SegmentWriter(self.tmp)
        return self.writer.add_document(document, paragraphs, digest, api)

    def add_passages(self, batch: list[tuple[int, Prepared]]) -> None:
        assert self.writer is not None
        self.writer.add(batch)

    def next_handle(self) -> int:
        return self.writer.store.documents if self.writer is not None else 0

    def withdraw(self, since: int) -> None:
        if self.writer is not None:
            self.writer.withdraw(since)

    def done(self, handle: int) -> None:
        pass  # a document's row was written when it was added

    def counts(self) -> tuple[int, int, int]:
        documents = passages = sentences = 0
        for info in self._infos():
            documents += info.documents - info.deleted_documents
            passages += info.passages - info.deleted_passages
            sentences += info.sentences - info.deleted_sentences
        if self.writer is not None:
            store, taken = self.writer.store, self.writer.taken
            documents, passages, sentences = (documents + store.documents - taken.documents,
                                              passages + store.passages - taken.passages,
                                              sentences + store.sentences - taken.sentences)
        return documents, passages, sentences

    def _infos(self) -> list[SegmentInfo]:
        """The segments of the state being changed, with this change's deletions counted in."""
        out = []
        for part in self._parts():
            rows = self.deleted.get(part.info.name)
            out.append(part.info if not rows else _with_deletions(part, rows, None))
        return out

    def commit(self, manifest: Manifest) -> Manifest:
        index_dir = self.engine.index_dir
        generation = (self.base.generation if self.base is not None else 0) + 1
        segments: list[SegmentInfo] = []
        for part in self._parts():
            rows = self.deleted.get(part.info.name)
            if not rows:
                segments.append(part.info)
                continue
            info = _with_deletions(part, rows, f"{part.info.name}.{generation}{DELETED}")
            if info.deleted_documents < info.documents:  # a segment with nothing live left is let go
                assert info.deleted is not None
                _write_rows(index_dir / info.deleted, _all_deleted(part, rows))
                segments.append(info)
        if self.writer is not None and self.writer.store.documents > self.writer.taken.documents:
            name = f"seg-{self.segment_id}"
            info = self.writer.finish(name, manifest.index_factory, f"{name}.{generation}{DELETED}")
            if info.deleted is not None:  # documents it took back (a file skipped part way): deleted as it is born
                _write_rows(index_dir / info.deleted, self.writer.withdrawn_rows())
            _fsync_tree(self.tmp)
            self.tmp.rename(index_dir / name)
            segments.append(info)
            manifest.dimension = manifest.dimension or self.writer.dimension
        elif self.writer is not None:
            self.writer.close()
        manifest.segments = segments
        manifest.generation = generation
        changed = self.base is None or segments != self.base.segments
        # A commit that only records new file times keeps its build: what questions see is the same.
        manifest.build = f"g{generation}-{self.segment_id}" if changed else self.base.build
        manifest.built_at = now()
        manifest.documents, manifest.passages, manifest.sentences = (
            sum(s.documents - s.deleted_documents for s in segments),
            sum(s.passages - s.deleted_passages for s in segments),
            sum(s.sentences - s.deleted_sentences for s in segments))
        largest = max(segments, key=lambda s: s.passages, default=None)
        manifest.index_factory_used = largest.factory if largest is not None else manifest.index_factory
        fsync_folder(index_dir)
        write_manifest(index_dir, manifest)
        self.engine.remember(manifest)
        self._release()
        shutil.rmtree(self.tmp, ignore_errors=True)
        leases.remove_unused(index_dir, keep=_names(manifest), temporary=True)
        return manifest

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.discard()
        self._release()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _release(self) -> None:
        if self.snapshot is not None:
            self.snapshot.close()
            self.snapshot = None


def _names(manifest: Manifest) -> set[str]:
    return {s.name for s in manifest.segments} | {s.deleted for s in manifest.segments if s.deleted}


def _all_deleted(part: Part, rows: set[int]) -> np.ndarray:
    return np.union1d(part.deleted_rows, np.fromiter(rows, dtype=np.int64, count=len(rows))).astype(np.uint32)


def _with_deletions(part: Part, rows: set[int], name: str | None) -> SegmentInfo:
    """The segment's record with ``rows`` deleted too; what they held is counted from the store, row by row."""
    seg = part.segment
    new = sorted(r for r in rows if part.dead_docs is None or not part.dead_docs[r])
    passages = sentences = length = 0
    for row in new:
        first, last = seg.store.doc_passages(row)
        passages += last - first
        sentences += int(seg.sentence_start[last] - seg.sentence_start[first])
        length += int(np.asarray(seg.postings.lengths[first:last]).sum(dtype=np.int64))
    info = part.info
    return info.model_copy(update={
        "deleted": name,
        "deleted_documents": info.deleted_documents + len(new),
        "deleted_passages": info.deleted_passages + passages,
        "deleted_sentences": info.deleted_sentences + sentences,
        "deleted_length": info.deleted_length + length,
    })


def _write_rows(path: Path, rows: np.ndarray) -> None:
    with open(path, "wb") as handle:
        handle.write(rows.astype("<u4").tobytes())
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    fsync_folder(folder)
