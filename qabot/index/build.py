"""Building an index: stream the corpus through chunking and the model, then commit atomically.

Layout of the index folder (``embeddings/`` by default)::

    manifest.json      the commit point: names the live build and everything it was built from
    build-<id>/        the chunk store (text.u32, documents.*, paragraphs.bin,
                       passages.bin, sentence_spans.i64, sections.json: see
                       qabot.index.store), passages.f32 and sentences.f16
                       (vectors), dense.faiss (FAISS, but for Flat: exact search reads
                       passages.f32), bm25/ (bm25s), and what the rerank reads per question:
                       passage_sentences.u32 (sentences per passage), sentence_terms.u32
                       with sentence_terms_count.u32 (each sentence's term ids),
                       sentence_flags.u8 (caption-like and asking sentences)
    cache/             embedding cache, reused by later builds
    models/            locally exported ONNX models (see qabot.embedding.export)

A build writes everything into ``.tmp-<id>/``, renames it to ``build-<id>/`` and only
then replaces ``manifest.json``. A crash at any point leaves the previous manifest
naming the previous, complete build.

A build streams: passages are embedded in batches of ``BATCH`` and their vectors
appended to ``passages.f32`` and ``sentences.f16``, their BM25 terms spilled to disk
(``LexicalBuilder``), their rows written to SQLite; FAISS is filled from the vector
file memory-mapped. Memory stays flat from two documents to a million passages.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

import numpy as np
from filelock import FileLock, Timeout

from qabot import chunking, corpus
from qabot.chunking import sentence_flags
from qabot.embedding import Embedder
from qabot.errors import CorpusError, CorruptIndexError, IndexStoreError
from qabot.index import leases
from qabot.index.cache import EmbeddingCache, cache_key
from qabot.index.dense import build_faiss
from qabot.index.lexical import LexicalBuilder, LexicalIndex, term_ids, tokenize
from qabot.index.manifest import (
    FORMAT_VERSION,
    INDEX_TEXT,
    BuildConfig,
    Manifest,
    corpus_files,
    describe_artifacts,
    read_manifest,
    write_manifest,
)
from qabot.index.store import StoreWriter
from qabot.models import Document, Paragraph, Passage

log = logging.getLogger(__name__)

Progress = bool | Callable[[int, int], None]  # a bar on stderr, nothing, or a function of (done, total)
BATCH = 1024  # passages per model call: sorted by length within it, so fewer padded tokens (19 % at 256, 5 % at 1024 on SciFact)
LOCK_TIMEOUT = 600.0
Spans = list[tuple[int, int]]


def indexed_text(passage: Passage) -> tuple[str, int]:
    """The text the model and BM25 see for a passage, and where the passage starts in it.

    The document title is prefixed so that a title helps match its passages.
    """
    prefix = f"{passage.title.strip()}. " if passage.title and passage.title.strip() else ""
    return prefix + passage.text, len(prefix)


def model_input(passage: Passage) -> tuple[str, Spans]:
    """``indexed_text`` and the passage's sentence spans inside it."""
    text, shift = indexed_text(passage)
    return text, [(s - passage.start + shift, e - passage.start + shift) for s, e in passage.sentences]


@contextlib.contextmanager
def build_lock(index_dir: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Only one process builds an index folder at a time; the others wait, then reuse its work."""
    index_dir.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(index_dir / ".lock", timeout=timeout):
            yield
    except Timeout:
        raise IndexStoreError(f"another qabot process has been building {index_dir} for too long") from None


def listing(config: BuildConfig, note: Callable[[str], None]) -> tuple[list[corpus.CorpusFile], dict[str, str]]:
    """The corpus files a build reads, and each one's digest; ``note`` hears each file skipped."""
    found = corpus_files(config.corpus_dir, note, external_links=config.corpus_external_links)
    files = corpus.digests(found, note)
    return [f for f in found if f.name in files], files


def build(
    config: BuildConfig,
    embedder: Embedder,
    *,
    progress: Progress = True,
    warn: Callable[[str], None] | None = None,
) -> Manifest:
    """Build the index for ``config.corpus_dir`` and commit it atomically. Returns its manifest.

    ``progress`` is a bar on stderr (True), nothing (False), or a function that hears
    ``(characters done, characters in all)`` after each document.

    A file that cannot be found, read, decoded or parsed is skipped with a warning that
    names it (``warn``, and the manifest's ``skipped``); the rest is indexed.
    """
    started = time.perf_counter()
    skipped: list[str] = []

    def note(message: str) -> None:
        skipped.append(message)
        (warn or log.warning)(message)

    found, files = listing(config, note)
    index_dir = config.index_dir
    try:
        before = read_manifest(index_dir)
    except CorruptIndexError:
        before = None
    previous = before.files if before else {}
    index_dir.mkdir(parents=True, exist_ok=True)
    build_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    tmp = index_dir / f".tmp-{build_id}"
    tmp.mkdir()
    try:
        writer = _BuildWriter(tmp, config, embedder)
        try:
            indexed = stream(found, config, writer, note, progress)
        finally:
            writer.close()
        manifest = writer.finish(build_id, files, skipped, started)
        manifest.indexed_files = len(indexed)
        manifest.unchanged_files = sum(1 for name in indexed if previous.get(name) == files[name])
        (tmp / leases.LEASE).touch()  # not an artifact: readers hold a lock on it (qabot.index.leases)
        _fsync_tree(tmp)
        tmp.rename(index_dir / manifest.build)
        write_manifest(index_dir, manifest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    leases.remove_unused(index_dir, keep=manifest.build, temporary=True)
    return manifest


class PassageSink(Protocol):
    """What ``stream`` feeds: a document's row, then its passages, then a final flush."""

    def add_document(self, document: Document, paragraphs: list[Paragraph]) -> int | None: ...

    def add(self, doc_row: int, passage: Passage) -> None: ...

    def flush(self) -> None: ...


def stream(found: list[corpus.CorpusFile], config: BuildConfig, writer: PassageSink,
           note: Callable[[str], None], progress: Progress) -> set[str]:
    """Read, chunk and hand every passage to ``writer``, with a progress bar over the corpus bytes.

    Returns the files that gave at least one document. A writer may refuse a document
    (``add_document`` returns None, having said why): its passages are left out.
    """
    from tqdm.auto import tqdm

    total_bytes = sum(_size(f.path) for f in found)
    hear = progress if callable(progress) else None
    with tqdm(total=total_bytes, unit="B", unit_scale=True, desc="Indexing", disable=progress is not True,
              file=sys.stderr, dynamic_ncols=True, mininterval=0.5) as bar:
        sources: set[str] = set()
        done = 0  # the bar's own count stays 0 when it is disabled

        def advance(step: int) -> None:
            nonlocal done
            step = max(0, min(step, total_bytes - done))
            done += step
            bar.update(step)
            if hear is not None and step:
                hear(done, total_bytes)

        for file in found:
            # The file being read: a large PDF takes a while before its first passage.
            bar.set_postfix_str(file.name if len(file.name) <= 40 else "…" + file.name[-39:], refresh=False)
            size, read = _size(file.path), 0
            for document in corpus.load_file(file, note, config.reader_limits):
                paras = corpus.document_paragraphs(document)
                doc_row = writer.add_document(document, paras)
                if doc_row is not None:
                    sources.add(document.source)
                    for passage in chunking.passages(document, paras, config.passage_chars):
                        writer.add(doc_row, passage)
                step = min(len(document.text), size - read)  # characters: close enough to bytes
                read += step
                advance(step)  # a .jsonl of a million documents moves document by document
            advance(size - read)  # derived text is shorter than its file (a PDF's bytes)
        writer.flush()
        bar.update(max(0, total_bytes - bar.n))
    return sources


def embed_inputs(
    embedder: Embedder, cache: EmbeddingCache | None, inputs: list[tuple[str, Spans]]
) -> tuple[list[tuple[np.ndarray, np.ndarray]], int]:
    """(passage vector, sentence vectors) of each ``model_input``: from the cache, or embedded now.

    Returns them and how many had to be embedded. Every engine's build embeds through here.
    """
    name = embedder.name
    keys = [cache_key(name, text, spans) for text, spans in inputs] if cache is not None else None
    results: list[tuple[np.ndarray, np.ndarray] | None] = (
        [cache.get(key, len(spans)) for key, (_, spans) in zip(keys, inputs, strict=True)]
        if cache is not None and keys is not None
        else [None] * len(inputs)
    )
    todo = [i for i, found in enumerate(results) if found is None]
    if todo:
        vectors, span_vectors = embedder.embed_with_spans([inputs[i][0] for i in todo], [inputs[i][1] for i in todo])
        for slot, i in enumerate(todo):
            results[i] = (vectors[slot], span_vectors[slot])
            if cache is not None and keys is not None:
                cache.put(keys[i], vectors[slot], span_vectors[slot])
    return results, len(todo)  # type: ignore[return-value] - every slot is filled now


def passage_terms(text: str, spans: Spans) -> tuple[list[str], list[np.ndarray]]:
    """BM25's tokens of a ``model_input`` (the title and the passage), and each sentence's term ids for the rerank."""
    words = tokenize(text[: spans[0][0]]) if spans else []
    sentence_ids = []
    for start, end in spans:
        tokens = tokenize(text[start:end])
        words += tokens
        sentence_ids.append(term_ids(tokens))
    return words, sentence_ids


def open_cache(config: BuildConfig, embedder: Embedder) -> EmbeddingCache | None:
    """The embedding cache of ``config.index_dir``, when the build uses one."""
    if not config.embedding_cache:
        return None
    return EmbeddingCache(config.index_dir / "cache", embedder.name, lambda: embedder.dimension)


class _BuildWriter:
    """Everything a build writes, fed one passage at a time and flushed ``BATCH`` passages at a time."""

    FILES = ("passages.f32", "sentences.f16", "passage_sentences.u32", "sentence_terms.u32", "sentence_terms_count.u32",
             "sentence_flags.u8")

    def __init__(self, folder: Path, config: BuildConfig, embedder: Embedder) -> None:
        self.folder = folder
        self.config = config
        self.embedder = embedder
        self.store = StoreWriter(folder)
        self.cache = open_cache(config, embedder)
        self.lexical = LexicalBuilder(folder / ".bm25-spill")
        self.out: dict[str, BinaryIO] = {name: open(folder / name, "wb") for name in self.FILES}  # noqa: SIM115
        self.pending: list[tuple[int, Passage]] = []
        self.dimension = 0
        self.embedded = 0

    def add_document(self, document: Document, paragraphs: list[Paragraph]) -> int:
        return self.store.add_document(document, paragraphs)

    def add(self, doc_row: int, passage: Passage) -> None:
        self.pending.append((doc_row, passage))
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        inputs = [model_input(passage) for _, passage in self.pending]
        vectors = self._vectors(inputs)
        self.dimension = vectors[0][0].shape[0]
        self.out["passages.f32"].write(np.stack([v for v, _ in vectors]).astype(np.float32).tobytes())
        self.out["sentences.f16"].write(np.concatenate([s for _, s in vectors]).astype(np.float16).tobytes())
        for doc_row, run in itertools.groupby(self.pending, key=lambda item: item[0]):
            self.store.add_passages(doc_row, [passage for _, passage in run])
        for text, spans in inputs:
            self._add_terms(text, spans)
        self.pending.clear()

    def _vectors(self, inputs: list[tuple[str, Spans]]) -> list[tuple[np.ndarray, np.ndarray]]:
        results, embedded = embed_inputs(self.embedder, self.cache, inputs)
        self.embedded += embedded
        return results

    def _add_terms(self, text: str, spans: Spans) -> None:
        words, sentence_ids = passage_terms(text, spans)
        self.lexical.add(words)
        self.out["passage_sentences.u32"].write(np.uint32(len(spans)).tobytes())
        self.out["sentence_terms_count.u32"].write(np.array([len(ids) for ids in sentence_ids], dtype=np.uint32).tobytes())
        flags = [sentence_flags(text[start:end]) for start, end in spans]
        self.out["sentence_flags.u8"].write(np.array(flags, dtype=np.uint8).tobytes())
        if sentence_ids:
            self.out["sentence_terms.u32"].write(np.concatenate(sentence_ids).tobytes())

    def close(self) -> None:
        for handle in self.out.values():
            handle.close()
        self.store.close()

    def finish(self, build_id: str, files: dict[str, str], skipped: list[str], started: float) -> Manifest:
        """FAISS and BM25 from what was streamed, then the manifest that describes it all."""
        store, folder = self.store, self.folder
        if store.passages == 0:
            raise CorpusError(f"nothing to index: the files in {str(self.config.corpus_dir)!r} hold no text")
        vectors = np.memmap(folder / "passages.f32", dtype=np.float32, mode="r", shape=(store.passages, self.dimension))
        factory_used = build_faiss(vectors, self.config.index_factory, folder / "dense.faiss")
        del vectors
        self.lexical.build(LexicalIndex.K1, LexicalIndex.B).save(folder / "bm25")
        if self.cache is not None:
            self.cache.flush()
        return Manifest(
            format_version=FORMAT_VERSION,
            model=self.embedder.name,
            dimension=self.dimension,
            passage_chars=self.config.passage_chars,
            sentence_chars=chunking.MAX_SENTENCE_CHARS,
            index_text=INDEX_TEXT,
            index_factory=self.config.index_factory,
            index_factory_used=factory_used,
            build=f"build-{build_id}",
            files=files,
            skipped=skipped,
            documents=store.documents,
            passages=store.passages,
            sentences=store.sentences,
            artifacts=describe_artifacts(folder),
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            seconds=round(time.perf_counter() - started, 3),
            embedded=self.embedded,
            cached=store.passages - self.embedded,
        )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # the reader will say why it cannot read it


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
