"""``EmbeddedEngine``: the default engine, segments of flat files in the index folder, memory-mapped.

Layout of the index folder (``embeddings/`` by default)::

    manifest.json                 the commit point: the segments in service, in order, and their deletion lists
    recovery.json                 its copy, less the corpus files: a damaged or missing manifest loses no
                                  document-API document
    seg-<id>/                     a segment (qabot.index.embedded.segment), never changed once written
    seg-<id>.<generation>.deleted the rows of the documents deleted from a segment, as of that generation
    cache/                        the embedding cache, which full builds use (qabot.index.cache)
    models/                       locally exported ONNX models (qabot.embedding.export)
    .lock                         one writer at a time

``open`` reads the manifest and gives a ``Snapshot``; segments already open in this
process are shared, so a new state after a small change costs the new small segment
and the deletion lists, never the large ones. ``begin`` starts a change
(``qabot.index.embedded.writer``), ``maintain`` merges segments when they pile up, and ``purge``
rewrites those that hold deleted documents (``qabot.index.embedded.merge``).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from qabot.errors import CorruptIndexError, IndexStoreError
from qabot.index.cache import remove_unfinished
from qabot.index.changes import Note
from qabot.index.embedded import dense as dense_index
from qabot.index.embedded import leases, store
from qabot.index.embedded.segment import Segment
from qabot.index.embedded.snapshot import Part, Snapshot
from qabot.index.embedded.writer import EmbeddedTransaction
from qabot.index.locks import folder_lock
from qabot.index.manifest import (
    MANIFEST,
    RECOVERY,
    BuildConfig,
    Manifest,
    SegmentInfo,
    new_manifest,
    read_manifest,
    read_recovery,
    unreadable,
    verify_artifacts,
    write_recovery,
)
from qabot.models import Document
from qabot.text import first_line


class EmbeddedEngine:
    """The index folder of ``config``, as the lifecycle drives it (a ``qabot.index.changes.Engine``)."""

    read_only = False

    def __init__(self, config: BuildConfig, model: str) -> None:
        self.config = config
        self.index_dir = config.index_dir
        self.model = model
        self._segments: dict[str, Segment] = {}  # open in this process, shared by its snapshots
        self._guard = threading.RLock()
        self._writing = threading.Lock()
        self._current: set[str] = set()
        self._read: tuple[tuple[int, int, int], Manifest] | None = None  # the manifest last parsed, and its file's stat

    def describe(self) -> str:
        return f"index in {self.index_dir}"

    def committed(self) -> Manifest | None:
        """The manifest, parsed again only when the file changed (a commit replaces it: a new inode).

        None: no index yet. A manifest missing where a commit left its copy or a segment (deleted "to force a
        rebuild", left out of a backup) is damage, not "no index yet": the rebuild reads the document API's
        documents back (``salvage``), or says that it cannot.
        """
        path = self.index_dir / MANIFEST
        try:
            stat = path.stat()
        except FileNotFoundError:
            if (self.index_dir / RECOVERY).exists() or self._segment_folders():
                raise CorruptIndexError(f"index manifest {path} is missing") from None
            return None
        except OSError as exc:
            raise unreadable("the index manifest", path, exc) from exc
        key = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        with self._guard:
            if self._read is not None and self._read[0] == key:
                return self._read[1]
        manifest = read_manifest(self.index_dir)
        with self._guard:
            self._read = (key, manifest) if manifest is not None else None
        return manifest

    def remember(self, manifest: Manifest) -> None:
        """The manifest this process has just committed: what ``committed`` gives without parsing it again."""
        with contextlib.suppress(OSError):
            stat = (self.index_dir / MANIFEST).stat()
            with self._guard:
                self._read = ((stat.st_ino, stat.st_size, stat.st_mtime_ns), manifest)

    def stale(self, manifest: Manifest) -> str | None:
        return None  # the manifest says all: its format version covers the layout

    @contextlib.contextmanager
    def lock(self, wait: bool = True) -> Iterator[None]:
        """One writer per index folder: a thread lock in this process, a file lock across processes."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with self._writing, folder_lock(self.index_dir, wait=wait):
            # What a change that died (SIGKILL, a power cut) left goes first, whether or not this writer
            # changes anything (it would stay until some later change otherwise); a half-written segment
            # may also hold the space a change needs. No other change is under way.
            leases.remove_unused(self.index_dir, keep=leases.current_files(self.index_dir), temporary=True)
            remove_unfinished(self.index_dir / "cache")
            self._mend_recovery()
            yield

    def _mend_recovery(self) -> None:
        """The manifest's copy written again if it is not of the state committed (a commit killed between the two,
        an index from before copies): for as long as it is not, a damaged manifest would lose what it names."""
        try:
            manifest = self.committed()
        except IndexStoreError:  # damaged (the copy is what the rebuild reads), or unreadable: left as it is
            return
        if manifest is not None and getattr(read_recovery(self.index_dir), "build", None) != manifest.build:
            write_recovery(self.index_dir, manifest)

    # -- reading --------------------------------------------------------------------------

    def open(self) -> Snapshot:
        """The state the manifest names, for questions; ``CorruptIndexError`` if it is missing or damaged."""
        for _attempt in range(3):
            manifest = self.committed()
            if manifest is None:
                raise CorruptIndexError(f"no index in {self.index_dir}")
            try:
                return self._snapshot(manifest)
            except (CorruptIndexError, FileNotFoundError) as exc:
                # Another process may have committed, and removed what this one was about to
                # open, between reading the manifest and opening it: then read the new manifest.
                if read_manifest(self.index_dir) == manifest:
                    if isinstance(exc, CorruptIndexError):
                        raise
                    raise CorruptIndexError(f"index file {exc.filename} is missing") from None
        raise CorruptIndexError(f"the index in {self.index_dir} keeps changing while it is opened")

    def _snapshot(self, manifest: Manifest) -> Snapshot:
        parts: list[Part] = []
        held: list[Segment] = []
        base = doc_base = 0
        try:
            for info in manifest.segments:
                segment = self._segment(info, manifest.dimension)
                held.append(segment)
                deleted = _read_rows(self.index_dir / info.deleted, info) if info.deleted else np.zeros(0, dtype=np.uint32)
                dead_docs, dead = segment.dead(deleted) if len(deleted) else (None, None)
                parts.append(Part(segment, info, base, doc_base, deleted, dead_docs, dead))
                base += info.passages
                doc_base += info.documents
        except BaseException:
            self._let_go(held)
            raise
        with self._guard:
            self._current = {info.name for info in manifest.segments}
            # Segments no snapshot holds and the manifest no longer names: let them go now.
            stale = [name for name, segment in self._segments.items()
                     if segment.users <= 0 and name not in self._current]
            closing = [self._segments.pop(name) for name in stale]
        for segment in closing:
            segment.close()
        return Snapshot(manifest, parts, lambda snapshot: self._let_go([p.segment for p in snapshot.parts]))

    def _segment(self, info: SegmentInfo, dimension: int) -> Segment:
        with self._guard:
            segment = self._segments.get(info.name)
            if segment is None:
                segment = self._segments[info.name] = Segment(self.index_dir / info.name, info, dimension)
            segment.users += 1
            return segment

    def _let_go(self, segments: list[Segment]) -> None:
        closing = []
        with self._guard:
            for segment in segments:
                segment.users -= 1
                if segment.users <= 0 and segment.name not in self._current:
                    closing.append(self._segments.pop(segment.name))
        for segment in closing:
            segment.close()

    def api_documents(self) -> Iterator[Document]:
        """The document API's live documents, segment by segment, from each one's document database alone.

        Those of the segments the manifest names, or when it is damaged or missing, its copy (``RECOVERY``);
        with that copy unreadable too, none: ``CorruptIndexError`` (a deleted document must not come back).

        A rebuild after damage reads them, so a segment is not opened whole: one whose vectors or
        postings are damaged still gives its documents. One whose database or deletion list fails
        its check gives none (a deleted document must not come back), nor does a document whose
        JSON does not parse; once the others have been given, ``CorruptIndexError`` names them all.
        """
        try:
            manifest = self.committed()
        except CorruptIndexError as exc:
            if (manifest := read_recovery(self.index_dir)) is None:
                raise CorruptIndexError(f"{exc}; its copy {RECOVERY} cannot be read either, so which documents of "
                                        "the segments are live is unknown") from exc
        if manifest is None:
            return
        lost: list[str] = []
        for info in manifest.segments:
            folder = self.index_dir / info.name
            try:
                verify_artifacts(folder, {name: a for name, a in info.artifacts.items() if name == "documents.sqlite"})
                rows = store.api_documents(folder)
                dead = set(_read_rows(self.index_dir / info.deleted, info).tolist()) if info.deleted else set()
            except CorruptIndexError as exc:
                lost.append(str(exc))
                continue
            except (sqlite3.DatabaseError, FileNotFoundError) as exc:
                lost.append(f"index segment {folder} cannot be read ({first_line(exc)})")
                continue
            for row, doc_id, source, body in rows:
                if row in dead:
                    continue
                try:
                    document = Document.model_validate_json(body)
                except ValueError:
                    lost.append(f"document {doc_id!r} of {source!r} in {folder} is damaged")
                    continue
                yield document
        if lost:
            raise CorruptIndexError("; ".join(lost))

    def salvage(self) -> Manifest | None:
        """The copy of the manifest its last commit left (``write_manifest``), for when ``manifest.json`` is damaged
        or missing. That copy damaged or missing too, one that stands for it, counting the document API's documents
        the segments hold (which are live is unknown, and ``api_documents`` gives none), for the line that says they
        could not be read back; None: no segment holds any."""
        if (copy := read_recovery(self.index_dir)) is not None:
            return copy
        named: set[tuple[str, str]] = set()
        for folder in self._segment_folders():
            with contextlib.suppress(sqlite3.DatabaseError, OSError, ValueError):
                named.update(self._api_keys(folder))
        if not named:
            return None
        stand_in = new_manifest(self.config, self.model, 0, "")
        stand_in.api_documents = len(named)
        return stand_in

    def _api_keys(self, folder: Path) -> set[tuple[str, str]]:
        """(source, doc_id) of the document API's documents in a segment no manifest names, less those its newest
        deletion list names: what a rebuild would have read back from it, for a count only."""
        lists = {int(generation): path for path in self.index_dir.glob(f"{folder.name}.*{leases.DELETED}")
                 if (generation := path.name[len(folder.name) + 1 : -len(leases.DELETED)]).isdigit()}
        dead = set(np.fromfile(lists[max(lists)], dtype="<u4").tolist()) if lists else set()
        return {(source, doc_id) for row, doc_id, source, _ in store.api_documents(folder) if row not in dead}

    def _segment_folders(self) -> list[Path]:
        """The segments in the index folder, named by a manifest or not (a folder of the user's named seg-... that
        holds no document database is none: the index folder may hold other things)."""
        try:
            return [path for path in self.index_dir.iterdir()
                    if path.name.startswith("seg-") and (path / "documents.sqlite").is_file()]
        except OSError:
            return []

    # -- changing -------------------------------------------------------------------------

    def begin(self, base: Manifest | None, note: Note) -> EmbeddedTransaction:
        if (known := base or self._readable()) is not None:  # a factory FAISS cannot make fails now, not once all is read
            dense_index.check_factory(self.config.index_factory, known.dimension)
        snapshot = self.open() if base is not None else None
        return EmbeddedTransaction(self, base, snapshot, self.model)

    def _readable(self) -> Manifest | None:
        """The committed manifest, or None where there is none to read (a damaged one is recovery's to report)."""
        try:
            return self.committed()
        except (CorruptIndexError, OSError):
            return None

    def wants_maintenance(self, manifest: Manifest) -> bool:
        from qabot.index.embedded.merge import plan

        return plan(manifest.segments) is not None

    def maintain(self) -> bool:
        from qabot.index.embedded.merge import merge_if_needed

        return merge_if_needed(self)

    def purge(self) -> bool:
        from qabot.index.embedded.merge import purge

        return purge(self)

    def close(self) -> None:
        """Close the segments no snapshot holds any more (a snapshot in use closes its own when it ends)."""
        with self._guard:
            self._current = set()
            idle = [name for name, segment in self._segments.items() if segment.users <= 0]
            closing = [self._segments.pop(name) for name in idle]
        for segment in closing:
            segment.close()


def _read_rows(path: Path, info: SegmentInfo) -> np.ndarray:
    """A segment's deletion list: as many rows as the manifest counts, ascending, each a document of the segment."""
    try:
        rows = np.fromfile(path, dtype="<u4")
    except FileNotFoundError:
        raise
    except PermissionError as exc:
        raise unreadable("index file", path, exc) from exc
    except OSError as exc:
        raise CorruptIndexError(f"index file {path} cannot be read ({first_line(exc)})") from exc
    # Damaged, it would bring deleted documents back, or fail every question that reads it.
    if len(rows) != info.deleted_documents or (len(rows) and (
            rows[-1] >= info.documents or (np.diff(rows.astype(np.int64)) <= 0).any())):
        raise CorruptIndexError(f"index file {path} is damaged (not the deleted rows the manifest counts)")
    return rows
