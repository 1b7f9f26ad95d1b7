"""Loading the default engine, and ``open_index``: load a fresh index, or build it first.

``Index`` is the embedded engine of ``qabot.index.engine``: FAISS for dense search, bm25s
for BM25, the SQLite chunk store for text, and the flat arrays the rerank reads. Loading
checks every artifact's size (and checksum, when the index is small enough to hash
quickly), so a damaged index is reported and rebuilt, never half-loaded. What can be
memory-mapped is (FAISS codes, the vector files, and for large indexes the BM25 matrix),
so several processes serving one index share one copy in the page cache.

``open_index`` is what every entry point calls: it builds a missing or stale index (a
corpus file added, changed or removed; another model or chunking), rebuilds a corrupt
one, and returns a loaded ``Index``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qabot.embedding import Embedder
from qabot.errors import CorruptIndexError, IndexStoreError, QABotError
from qabot.index import dense as dense_index
from qabot.index.build import build, build_lock
from qabot.index.engine import Candidates, Evidence, ParagraphRow, PassageRow, half_to_float32, ranges, run_starts
from qabot.index.leases import Lease
from qabot.index.lexical import LexicalIndex
from qabot.index.manifest import BuildConfig, Manifest, check, read_manifest, verify_artifacts
from qabot.index.scope import Scope
from qabot.index.store import Store
from qabot.models import SourceInfo
from qabot.text import first_line

log = logging.getLogger(__name__)

LARGE = 200_000  # passages from which BM25 is loaded memory-mapped too


class Index:
    """A loaded, verified index: FAISS, vectors, BM25 and the chunk store (a ``SearchEngine``)."""

    def __init__(self, folder: Path, manifest: Manifest) -> None:
        self.folder = folder
        self.manifest = manifest
        self._lease = Lease(folder)  # first: the build cannot be removed while it is read
        self._scopes: dict[Scope, np.ndarray] = {}
        self._scope_lock = threading.Lock()
        try:
            self._open(folder, manifest)
        except BaseException:
            self._lease.release()
            raise

    def _open(self, folder: Path, manifest: Manifest) -> None:
        verify_artifacts(folder, manifest)
        try:
            shape = (manifest.passages, manifest.dimension)
            # Plain ndarray views of the mapped files: indexing a np.memmap costs a Python call more.
            self.passage_vectors = np.asarray(np.memmap(folder / "passages.f32", dtype=np.float32, mode="r", shape=shape))
            self.dense: Any = dense_index.open_dense(folder, manifest.index_factory_used, self.passage_vectors)
            self.sentence_vectors = np.asarray(np.memmap(
                folder / "sentences.f16", dtype=np.float16, mode="r", shape=(manifest.sentences, manifest.dimension)
            ))
            self.flags = np.fromfile(folder / "sentence_flags.u8", dtype=np.uint8)
            self.lexical = LexicalIndex.load(folder / "bm25", mmap=manifest.passages > LARGE)
            # Where each passage's sentences, and each sentence's term ids, start.
            self.sentence_start = run_starts(np.fromfile(folder / "passage_sentences.u32", dtype=np.uint32))
            self.store = Store(folder, self.sentence_start)
            self.term_start = run_starts(np.fromfile(folder / "sentence_terms_count.u32", dtype=np.uint32))
            self.terms = (
                np.asarray(np.memmap(folder / "sentence_terms.u32", dtype=np.uint32, mode="r"))
                if self.term_start[-1]
                else np.zeros(0, dtype=np.uint32)
            )
        except CorruptIndexError:
            raise
        except Exception as exc:
            raise CorruptIndexError(f"index in {folder} cannot be read ({first_line(exc)})") from exc
        if (
            self.dense.ntotal != manifest.passages
            or self.lexical.size != manifest.passages
            or len(self.sentence_start) != manifest.passages + 1
            or self.sentence_start[-1] != manifest.sentences
            or len(self.term_start) != manifest.sentences + 1
            or len(self.flags) != manifest.sentences
            or len(self.store.passage_rows) != manifest.passages
            or len(self.store.sentence_spans) != manifest.sentences
            or self.store.document_count != manifest.documents
        ):
            raise CorruptIndexError(f"index in {folder} is inconsistent (passage or sentence counts differ)")

    def tune(self, efSearch: int | None = None, nprobe: int | None = None) -> None:
        """Set how hard an approximate FAISS index searches; exact (Flat) indexes ignore it."""
        dense_index.tune(self.dense, efSearch=efSearch, nprobe=nprobe)

    # -- the SearchEngine contract ------------------------------------------------------

    def candidates(
        self, vector: np.ndarray, tokens: list[str], n: int, *, dense: bool, lexical: bool, scope: Scope | None = None
    ) -> Candidates:
        lexical_all = self.lexical.scores(tokens)
        dense_rows = np.empty(0, dtype=np.int64)
        lexical_rows = np.empty(0, dtype=np.int64)
        allowed = self._allowed(scope)
        if allowed is not None:
            lexical_all = np.where(allowed, lexical_all, 0.0).astype(np.float32)
        if dense:
            params = dense_index.restricted(self.dense, allowed) if allowed is not None else None
            _, found = self.dense.search(vector[None, :].astype(np.float32), n, params=params)
            dense_rows = found[0][found[0] >= 0].astype(np.int64)
        if lexical:
            lexical_rows = top_rows(lexical_all, n)
        rows = np.unique(np.concatenate([dense_rows, lexical_rows]))
        vectors = np.asarray(self.passage_vectors[rows], dtype=np.float32)
        return Candidates(
            rows=rows,
            vectors=vectors,
            dense=vectors @ vector,
            lexical=lexical_all[rows].astype(np.float32),
            dense_rows=dense_rows,
            lexical_rows=lexical_rows,
            top_lexical=float(lexical_all.max(initial=0.0)) or 1.0,
        )

    def _allowed(self, scope: Scope | None) -> np.ndarray | None:
        """Which passages are in ``scope`` (a mask over all rows), remembered per scope."""
        if scope is None:
            return None
        with self._scope_lock:
            mask = self._scopes.get(scope)
            if mask is None:
                docs = np.zeros(self.store.document_count, dtype=bool)
                docs[self.store.document_rows([s for s in self.store.source_names() if scope.matches(s)])] = True
                mask = docs[self.store.passage_rows["doc"]] if len(self.store.passage_rows) else np.zeros(0, bool)
                if len(self._scopes) >= 64:
                    self._scopes.clear()
                self._scopes[scope] = mask
            return mask

    def idf(self, tokens: list[str]) -> dict[str, float]:
        return self.lexical.idf(tokens)

    def evidence(self, rows: np.ndarray) -> Evidence:
        first, last = self.sentence_start[rows], self.sentence_start[rows + 1]
        counts = (last - first).astype(np.int64)
        sentences = ranges(first, counts)
        lo, hi = self.term_start[sentences], self.term_start[sentences + 1]
        return Evidence(
            counts=counts,
            vectors=half_to_float32(self.sentence_vectors[sentences]),
            term_counts=hi - lo,
            terms=np.asarray(self.terms[ranges(lo, hi - lo)]),
            flags=self.flags[sentences],
        )

    def passages(self, rows: Sequence[int]) -> dict[int, PassageRow]:
        return self.store.passages(rows)

    def neighbour_sentences(self, passage: PassageRow) -> list[tuple[int, int]]:
        return self.store.neighbour_sentences(passage)

    def text(self, doc: int, start: int, end: int) -> str:
        return self.store.text(doc, start, end)

    def paragraph_at(self, doc: int, offset: int) -> ParagraphRow | None:
        return self.store.paragraph_at(doc, offset)

    def paragraphs(self, doc: int) -> list[ParagraphRow]:
        return self.store.paragraphs(doc)

    def doc_ids(self, rows: Sequence[int]) -> dict[int, str]:
        return self.store.doc_ids(rows)

    def sources(self, scope: Scope | None = None) -> list[SourceInfo]:
        found = self.store.sources()
        return found if scope is None else [s for s in found if scope.matches(s.source)]

    def close(self) -> None:
        """Stop serving from this build: it may be removed once no process reads it."""
        self.store.close()
        self._lease.release()


def top_rows(scores: np.ndarray, n: int) -> np.ndarray:
    """Rows of the ``n`` highest scores, best first, leaving out rows that score 0 or less."""
    n = min(n, scores.shape[0])
    if n <= 0:
        return np.empty(0, dtype=np.int64)
    rows = np.argpartition(-scores, n - 1)[:n]
    rows = rows[np.argsort(-scores[rows], kind="stable")]
    return rows[scores[rows] > 0].astype(np.int64)


def load(index_dir: Path) -> Index:
    """Load the committed index in ``index_dir``; raises ``CorruptIndexError`` if it is damaged."""
    for _attempt in range(3):
        manifest = read_manifest(index_dir)
        if manifest is None:
            raise CorruptIndexError(f"no index in {index_dir}")
        folder = index_dir / manifest.build
        try:
            if not folder.is_dir():
                raise CorruptIndexError(f"index build folder {folder} is missing")
            return Index(folder, manifest)
        except CorruptIndexError:
            # Another process may have committed a new build, and removed this one, between
            # reading the manifest and taking the lease: then read the new manifest.
            if read_manifest(index_dir) == manifest:
                raise
    raise CorruptIndexError(f"the index in {index_dir} keeps changing while it is loaded")


def open_index(
    config: BuildConfig,
    embedder: Embedder,
    *,
    rebuild: bool = False,
    progress: bool | Callable[[int, int], None] = True,
    notify: Callable[[str], None] | None = None,
    warn: Callable[[str], None] | None = None,
    fallback: bool = True,
) -> Index:
    """Load the index, building it first when it is missing, stale, corrupt or ``rebuild`` is set.

    ``notify`` hears why a rebuild happens; ``warn`` hears each file the build skips. When
    the build fails (disk full, a read-only folder, a bad setting) and ``fallback`` is on,
    the previous build is served if it still loads, and ``notify`` says why; otherwise
    the error is raised (an ``IndexStoreError`` for a failure of the file system).
    """
    notify = notify or log.warning
    status = check(config, embedder.name)
    if status.fresh and not rebuild:
        try:
            return load(config.index_dir)
        except CorruptIndexError as exc:
            notify(f"rebuilding the index: {exc}")
    elif (not rebuild and status.manifest is not None) or (status.reason or "").startswith("index manifest"):
        notify(f"rebuilding the index: {status.reason}")
    try:
        with build_lock(config.index_dir):
            # Another process may have built it while this one waited for the lock.
            status = check(config, embedder.name)
            if rebuild or not status.fresh or not _loads(config.index_dir):
                build(config, embedder, progress=progress, warn=warn)
        return load(config.index_dir)
    except (QABotError, OSError) as exc:
        error = exc if isinstance(exc, QABotError) else IndexStoreError(
            f"cannot build the index in {config.index_dir}: {exc.strerror or first_line(exc)}"
        )
        previous = _last_good(config.index_dir, embedder) if fallback else None
        if previous is None:
            raise error from exc
        notify(f"could not rebuild the index ({error}); serving the previous build, from {previous.manifest.built_at}")
        return previous


def _last_good(index_dir: Path, embedder: Embedder) -> Index | None:
    """The committed build, if it loads and holds vectors of ``embedder``'s model."""
    try:
        index = load(index_dir)
    except (QABotError, OSError):
        return None
    if index.manifest.model != embedder.name:
        index.close()
        return None
    return index


def _loads(index_dir: Path) -> bool:
    try:
        load(index_dir).close()
    except CorruptIndexError:
        return False
    return True
