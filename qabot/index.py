"""Build, save atomically, load and check the index against its manifest.

Layout of the index folder (``embeddings/`` by default)::

    manifest.json      the commit point: names the live build and everything it was built from
    build-<id>/        passages.sqlite (chunk store), dense.faiss, passages.f32 and
                       sentences.f16 (vectors), bm25/ (bm25s), and what the rerank
                       reads per question without touching SQLite: passage_sentences.u32
                       (sentences per passage), sentence_terms.u32 with
                       sentence_terms_count.u32 (each sentence's term ids)
    cache/             embedding cache, reused by later builds
    models/            locally exported accelerated models (see qabot.accelerate)

A build writes everything into ``.tmp-<id>/``, renames it to ``build-<id>/`` and only
then replaces ``manifest.json`` (write to a temp file, fsync, ``os.replace``). A crash
at any point leaves the previous manifest naming the previous, complete build. Loading
checks every artifact's size (and checksum, when the index is small enough to hash
quickly), so a damaged index is reported and rebuilt, never half-loaded.

A build streams: passages are embedded in batches of ``BATCH`` and their vectors
appended to ``passages.f32`` and ``sentences.f16``, their BM25 terms spilled to disk
(``LexicalBuilder``), their rows written to SQLite; FAISS is filled from the vector
file memory-mapped. Memory stays flat from two documents to a million passages.
Loading memory-maps what FAISS can map (flat codes, HNSW storage, IVF lists), the
vector files and, for large indexes, the BM25 matrix, so several processes serving the
same index share one copy in the page cache.

``open_index`` is what every entry point calls: it builds a missing or stale index
(a corpus file added, changed or removed; another model or chunking), rebuilds a
corrupt one, and returns a loaded ``Index``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import itertools
import json
import logging
import os
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ValidationError

from qabot import chunking, corpus
from qabot.errors import CorpusError, CorruptIndexError, IndexStoreError
from qabot.lexical import LexicalBuilder, LexicalIndex, term_ids, tokenize
from qabot.models import Document, Passage
from qabot.store import Store, StoreWriter

log = logging.getLogger(__name__)

FORMAT_VERSION = 3  # 2: sentence term ids and per-passage sentence counts; 3: sign-offs are not headings
INDEX_TEXT = "title-prefix-v1"  # how a passage is turned into the text the model and BM25 see
MANIFEST = "manifest.json"
HASH_LIMIT = 256 << 20  # artifacts are checksummed on load when the index is smaller than this
BATCH = 1024  # passages per model call: sorted by length within it, so fewer padded tokens (19 % at 256, 5 % at 1024 on SciFact)
LARGE = 200_000  # passages from which BM25 is loaded memory-mapped too
# Query-time accuracy of approximate FAISS indexes: candidates HNSW visits, IVF lists
# probed. efSearch=256 is the 1M-passage benchmark's choice (docs/performance.md): recall@10
# 0.986 at p95 16 ms, where 128 gave 0.937. nprobe is a starting point, not measured at 1M.
SEARCH_PARAMS = {"efSearch": 256, "nprobe": 64}


class Artifact(BaseModel):
    size: int
    blake2b: str | None = None


class Manifest(BaseModel):
    """What a build was made from, and what it holds."""

    format_version: int
    model: str
    dimension: int
    passage_chars: int
    sentence_chars: int
    index_text: str
    index_factory: str
    index_factory_used: str
    build: str
    files: dict[str, str]
    skipped: list[str] = []
    documents: int
    passages: int
    sentences: int
    artifacts: dict[str, Artifact]
    built_at: str
    seconds: float
    embedded: int = 0
    cached: int = 0


@dataclass(frozen=True)
class BuildConfig:
    """The settings a build depends on: a change to any of them makes the index stale."""

    corpus_dir: Path
    index_dir: Path
    passage_chars: int = 600
    index_factory: str = "Flat"
    use_cache: bool = True


# -- index text ---------------------------------------------------------------------


def indexed_text(passage: Passage) -> tuple[str, int]:
    """The text the model and BM25 see for a passage, and where the passage starts in it.

    The document title is prefixed so that a title helps match its passages.
    """
    prefix = f"{passage.title.strip()}. " if passage.title and passage.title.strip() else ""
    return prefix + passage.text, len(prefix)


# -- status -------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """Whether the index on disk can be used as it is."""

    manifest: Manifest | None
    files: dict[str, str]
    reason: str | None  # None: fresh

    @property
    def fresh(self) -> bool:
        return self.reason is None


def read_manifest(index_dir: Path) -> Manifest | None:
    path = index_dir / MANIFEST
    if not path.exists():
        return None
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except (ValidationError, ValueError, OSError) as exc:
        raise CorruptIndexError(f"index manifest {path} is unreadable ({_first_line(exc)})") from exc


def corpus_files(corpus_dir: Path, warn: Callable[[str], None] | None = None) -> list[corpus.CorpusFile]:
    files = corpus.find_files(corpus_dir, warn)
    if not files:
        raise CorpusError(f"corpus folder {str(corpus_dir)!r} has no .txt, .md or .jsonl files to index")
    return files


def check(config: BuildConfig, model: str) -> Status:
    """Compare the manifest with the corpus and settings; ``reason`` says why a rebuild is needed.

    Silent about skipped files: the build that follows a change reports them.
    """
    files = {f.name: corpus.file_digest(f.path) for f in corpus_files(config.corpus_dir, lambda _m: None)}
    try:
        manifest = read_manifest(config.index_dir)
    except CorruptIndexError as exc:
        return Status(None, files, str(exc))
    if manifest is None:
        return Status(None, files, "no index yet")
    return Status(manifest, files, _stale_reason(manifest, config, model, files))


def _stale_reason(manifest: Manifest, config: BuildConfig, model: str, files: dict[str, str]) -> str | None:
    if manifest.format_version != FORMAT_VERSION or manifest.index_text != INDEX_TEXT:
        return "the index format changed"
    if manifest.model != model:
        return f"the model changed ({manifest.model} -> {model})"
    if manifest.passage_chars != config.passage_chars or manifest.sentence_chars != chunking.MAX_SENTENCE_CHARS:
        return "the chunking settings changed"
    if manifest.index_factory != config.index_factory:
        return f"the index type changed ({manifest.index_factory} -> {config.index_factory})"
    added = sorted(set(files) - set(manifest.files))
    removed = sorted(set(manifest.files) - set(files))
    changed = sorted(name for name in set(files) & set(manifest.files) if files[name] != manifest.files[name])
    parts = [f"{label} {_names(names)}" for label, names in (("added", added), ("changed", changed), ("removed", removed)) if names]
    return "corpus files " + "; ".join(parts) if parts else None


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


# -- building -----------------------------------------------------------------------


@contextlib.contextmanager
def build_lock(index_dir: Path, timeout: float = 600.0) -> Iterator[None]:
    """Only one process builds an index folder at a time; the others wait, then reuse its work."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise IndexStoreError(f"another qabot process has been building {index_dir} for too long") from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build(
    config: BuildConfig,
    embedder,  # noqa: ANN001 - SentenceTransformerEmbedder or any Embedder with embed_with_spans
    *,
    files: dict[str, str] | None = None,
    progress: bool = True,
    warn: Callable[[str], None] | None = None,
) -> Manifest:
    """Build the index for ``config.corpus_dir`` and commit it atomically. Returns its manifest."""
    started = time.perf_counter()
    skipped: list[str] = []

    def note(message: str) -> None:
        skipped.append(message)
        (warn or log.warning)(message)

    found = corpus_files(config.corpus_dir, note)
    if files is None:
        files = {f.name: corpus.file_digest(f.path) for f in found}
    index_dir = config.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    build_id = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    tmp = index_dir / f".tmp-{build_id}"
    tmp.mkdir()
    try:
        manifest = _build_into(tmp, build_id, config, embedder, found, files, skipped, note, progress, started)
        final = index_dir / f"build-{build_id}"
        _fsync_tree(tmp)
        tmp.rename(final)
        _write_manifest(index_dir, manifest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _remove_old_builds(index_dir, keep={f"build-{build_id}"})
    return manifest


def _build_into(tmp, build_id, config, embedder, found, files, skipped, note, progress, started) -> Manifest:  # noqa: ANN001, PLR0913
    from tqdm.auto import tqdm

    from qabot.cache import EmbeddingCache, cache_key

    store = StoreWriter(tmp / "passages.sqlite")
    cache = EmbeddingCache(config.index_dir / "cache", embedder.name) if config.use_cache else None
    lexical = LexicalBuilder(tmp / ".bm25-spill")
    total_bytes = sum(f.path.stat().st_size for f in found)
    bar = tqdm(
        total=total_bytes, unit="B", unit_scale=True, desc="Indexing", disable=not progress,
        file=sys.stderr, dynamic_ncols=True, mininterval=0.5,
    )
    dimension = 0
    embedded = 0
    with (
        open(tmp / "passages.f32", "wb") as text_out,
        open(tmp / "sentences.f16", "wb") as span_out,
        open(tmp / "passage_sentences.u32", "wb") as counts_out,
        open(tmp / "sentence_terms.u32", "wb") as terms_out,
        open(tmp / "sentence_terms_count.u32", "wb") as term_counts_out,
    ):
        pending: list[tuple[int, Passage]] = []

        def flush() -> None:
            nonlocal dimension, embedded
            if not pending:
                return
            texts, spans, keys = [], [], []
            for _, passage in pending:
                text, shift = indexed_text(passage)
                relative = [(s - passage.start + shift, e - passage.start + shift) for s, e in passage.sentences]
                texts.append(text)
                spans.append(relative)
                keys.append(cache_key(embedder.name, text, relative) if cache is not None else None)
            results = [cache.get(key) if cache is not None else None for key in keys]
            todo = [i for i, r in enumerate(results) if r is None]
            if todo:
                vectors, span_vectors = _embed_spans(embedder, [texts[i] for i in todo], [spans[i] for i in todo])
                embedded += len(todo)
                for slot, i in enumerate(todo):
                    results[i] = (vectors[slot], span_vectors[slot])
                    if cache is not None:
                        cache.put(keys[i], vectors[slot], span_vectors[slot])
            dimension = results[0][0].shape[0]
            text_out.write(np.stack([vector for vector, _ in results]).astype(np.float32).tobytes())
            span_out.write(np.concatenate([spans for _, spans in results]).astype(np.float16).tobytes())
            for doc_row, run in itertools.groupby(pending, key=lambda item: item[0]):
                store.add_passages(doc_row, [passage for _, passage in run])
            for (_, passage), text, relative in zip(pending, texts, spans):
                # BM25 sees the title and the passage; each sentence keeps its own term ids.
                words = tokenize(text[: relative[0][0]]) if relative else []
                sentence_ids = []
                for start, end in relative:
                    tokens = tokenize(text[start:end])
                    words += tokens
                    sentence_ids.append(term_ids(tokens))
                lexical.add(words)
                counts_out.write(np.uint32(len(relative)).tobytes())
                term_counts_out.write(np.array([len(ids) for ids in sentence_ids], dtype=np.uint32).tobytes())
                if sentence_ids:
                    terms_out.write(np.concatenate(sentence_ids).tobytes())
            pending.clear()

        for document in corpus.load_corpus(found, note):
            paras = corpus.paragraphs(document.text, document.body_start)
            doc_row = store.add_document(document, paras)
            for passage in chunking.passages(document, paras, config.passage_chars):
                pending.append((doc_row, passage))
                if len(pending) >= BATCH:
                    flush()
            bar.update(min(len(document.text), total_bytes - bar.n))  # characters: close enough to bytes
        flush()
    bar.update(max(0, total_bytes - bar.n))
    bar.close()
    store.close()
    if store.passages == 0:
        raise CorpusError(f"nothing to index: the files in {str(config.corpus_dir)!r} hold no text")

    vectors = np.memmap(tmp / "passages.f32", dtype=np.float32, mode="r", shape=(store.passages, dimension))
    factory_used = _build_faiss(vectors, config.index_factory, tmp / "dense.faiss")
    del vectors
    lexical.build(LexicalIndex.K1, LexicalIndex.B).save(tmp / "bm25")
    if cache is not None:
        cache.flush()

    artifacts = _describe_artifacts(tmp)
    return Manifest(
        format_version=FORMAT_VERSION,
        model=embedder.name,
        dimension=dimension,
        passage_chars=config.passage_chars,
        sentence_chars=chunking.MAX_SENTENCE_CHARS,
        index_text=INDEX_TEXT,
        index_factory=config.index_factory,
        index_factory_used=factory_used,
        build=f"build-{build_id}",
        files=files,
        skipped=skipped,
        documents=store.documents,
        passages=store.passages,
        sentences=store.sentences,
        artifacts=artifacts,
        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        seconds=round(time.perf_counter() - started, 3),
        embedded=embedded,
        cached=store.passages - embedded,
    )


def _embed_spans(embedder, texts: list[str], spans: list[list[tuple[int, int]]]) -> tuple[np.ndarray, list[np.ndarray]]:  # noqa: ANN001
    if hasattr(embedder, "embed_with_spans"):
        return embedder.embed_with_spans(texts, spans)
    # A plain Embedder: embed each sentence on its own (slower, same shape of result).
    vectors = embedder.embed(texts)
    flat = [text[s:e] for text, pairs in zip(texts, spans) for s, e in pairs]
    flat_vectors = embedder.embed(flat) if flat else np.zeros((0, vectors.shape[1]), np.float32)
    out, cursor = [], 0
    for pairs in spans:
        out.append(flat_vectors[cursor : cursor + len(pairs)])
        cursor += len(pairs)
    return vectors, out


def _build_faiss(vectors: np.ndarray, factory: str, path: Path) -> str:
    import faiss

    count, dimension = vectors.shape
    used = factory
    if factory.strip().lower() == "flat":
        index = faiss.IndexFlatIP(dimension)
    else:
        try:
            index = faiss.index_factory(dimension, factory, faiss.METRIC_INNER_PRODUCT)
        except RuntimeError as exc:
            raise IndexStoreError(f"bad QABOT_INDEX_FACTORY {factory!r}: {_first_line(exc)}") from None
        if not index.is_trained:
            sample = _training_sample(vectors, index)
            if sample is None:
                log.warning("%d passages are too few to train %r; using exact search (Flat)", count, factory)
                index, used = faiss.IndexFlatIP(dimension), "Flat"
            else:
                index.train(sample)
    for lo in range(0, count, 65536):
        index.add(np.ascontiguousarray(vectors[lo : lo + 65536], dtype=np.float32))
    faiss.write_index(index, str(path))
    return used


def _training_sample(vectors: np.ndarray, index) -> np.ndarray | None:  # noqa: ANN001
    import faiss

    ivf = faiss.try_extract_index_ivf(index)
    needed = 39 * ivf.nlist if ivf is not None else 10_000
    if len(vectors) < needed:
        return None
    take = min(len(vectors), max(needed, 100_000))
    rows = np.sort(np.random.default_rng(0).choice(len(vectors), size=take, replace=False))
    return np.ascontiguousarray(vectors[rows], dtype=np.float32)


def _describe_artifacts(folder: Path) -> dict[str, Artifact]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    total = sum(p.stat().st_size for p in files)
    return {
        p.relative_to(folder).as_posix(): Artifact(size=p.stat().st_size, blake2b=_blake2b(p) if total <= HASH_LIMIT else None)
        for p in files
    }


def _blake2b(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def _write_manifest(index_dir: Path, manifest: Manifest) -> None:
    tmp = index_dir / f".{MANIFEST}.{uuid.uuid4().hex[:8]}"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(manifest.model_dump_json(indent=2))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, index_dir / MANIFEST)
    with contextlib.suppress(OSError):
        directory = os.open(index_dir, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def _remove_old_builds(index_dir: Path, keep: set[str]) -> None:
    for path in index_dir.iterdir():
        if path.name in keep:
            continue
        if path.name.startswith(("build-", ".tmp-")) and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(f".{MANIFEST}."):
            path.unlink(missing_ok=True)


# -- loading ------------------------------------------------------------------------


class Index:
    """A loaded, verified index: FAISS, vectors, BM25 and the chunk store."""

    def __init__(self, folder: Path, manifest: Manifest) -> None:
        import faiss

        self.folder = folder
        self.manifest = manifest
        self._verify()
        try:
            # MMAP_IFC maps the codes in place (Flat, HNSW storage, IVF lists): read-only and
            # shared between processes. Combined with IO_FLAG_MMAP, IVF indexes fail to load.
            flags = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY
            self.dense = faiss.read_index(str(folder / "dense.faiss"), flags)
            self.tune(**SEARCH_PARAMS)
            shape = (manifest.passages, manifest.dimension)
            self.passage_vectors = np.memmap(folder / "passages.f32", dtype=np.float32, mode="r", shape=shape)
            self.sentence_vectors = np.memmap(
                folder / "sentences.f16", dtype=np.float16, mode="r", shape=(manifest.sentences, manifest.dimension)
            )
            self.lexical = LexicalIndex.load(folder / "bm25", mmap=manifest.passages > LARGE)
            self.store = Store(folder / "passages.sqlite")
            # Where each passage's sentences, and each sentence's term ids, start.
            self.sentence_start = run_starts(np.fromfile(folder / "passage_sentences.u32", dtype=np.uint32))
            self.term_start = run_starts(np.fromfile(folder / "sentence_terms_count.u32", dtype=np.uint32))
            self.terms = np.memmap(folder / "sentence_terms.u32", dtype=np.uint32, mode="r") if self.term_start[-1] else (
                np.zeros(0, dtype=np.uint32)
            )
        except CorruptIndexError:
            raise
        except Exception as exc:  # noqa: BLE001 - faiss, numpy, sqlite and json all fail differently
            raise CorruptIndexError(f"index in {folder} cannot be read ({_first_line(exc)})") from exc
        if (
            self.dense.ntotal != manifest.passages
            or self.lexical.size != manifest.passages
            or len(self.sentence_start) != manifest.passages + 1
            or self.sentence_start[-1] != manifest.sentences
            or len(self.term_start) != manifest.sentences + 1
        ):
            raise CorruptIndexError(f"index in {folder} is inconsistent (passage or sentence counts differ)")

    def _verify(self) -> None:
        for name, artifact in self.manifest.artifacts.items():
            path = self.folder / name
            if not path.is_file():
                raise CorruptIndexError(f"index file {path} is missing")
            if path.stat().st_size != artifact.size:
                raise CorruptIndexError(f"index file {path} has the wrong size")
            if artifact.blake2b and _blake2b(path) != artifact.blake2b:
                raise CorruptIndexError(f"index file {path} is damaged (checksum mismatch)")

    def tune(self, efSearch: int | None = None, nprobe: int | None = None) -> None:  # noqa: N803 - FAISS's names
        """Set how hard an approximate FAISS index searches; exact (Flat) indexes ignore it."""
        import faiss

        index = faiss.downcast_index(self.dense)
        if efSearch is not None and hasattr(index, "hnsw"):
            index.hnsw.efSearch = int(efSearch)
        ivf = faiss.try_extract_index_ivf(index)
        if nprobe is not None and ivf is not None:
            ivf.nprobe = min(int(nprobe), ivf.nlist)

    def close(self) -> None:
        self.store.close()


def run_starts(counts: np.ndarray) -> np.ndarray:
    """[0, c0, c0+c1, ...]: where each run starts in the flat array the counts describe."""
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def load(index_dir: Path) -> Index:
    """Load the committed index in ``index_dir``; raises ``CorruptIndexError`` if it is damaged."""
    manifest = read_manifest(index_dir)
    if manifest is None:
        raise CorruptIndexError(f"no index in {index_dir}")
    folder = index_dir / manifest.build
    if not folder.is_dir():
        raise CorruptIndexError(f"index build folder {folder} is missing")
    return Index(folder, manifest)


def open_index(
    config: BuildConfig,
    embedder,  # noqa: ANN001
    *,
    rebuild: bool = False,
    progress: bool = True,
    notify: Callable[[str], None] | None = None,
) -> Index:
    """Load the index, building it first when it is missing, stale, corrupt or ``rebuild`` is set."""
    notify = notify or log.warning
    status = check(config, embedder.name)
    if status.fresh and not rebuild:
        try:
            return load(config.index_dir)
        except CorruptIndexError as exc:
            notify(f"rebuilding the index: {exc}")
    elif not rebuild and status.manifest is not None or (status.reason or "").startswith("index manifest"):
        notify(f"rebuilding the index: {status.reason}")
    with build_lock(config.index_dir):
        # Another process may have built it while this one waited for the lock.
        status = check(config, embedder.name)
        if rebuild or not status.fresh or not _loads(config.index_dir):
            build(config, embedder, files=status.files, progress=progress)
    return load(config.index_dir)


def _loads(index_dir: Path) -> bool:
    try:
        load(index_dir).close()
    except CorruptIndexError:
        return False
    return True


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
