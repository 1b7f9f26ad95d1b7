"""From documents to prepared passages, the same for both engines: chunk, embed, tokenise, flag.

``Ingest`` takes documents one at a time (from corpus files, or from the document API),
chunks them (``qabot.chunking``), and hands an engine's ``Transaction`` their passages in
batches of ``BATCH``, each embedded once by the model: the vectors come from the passages
of the document being replaced where the text is the same, else from the embedding cache
(a full build's; an update's once it has enough to embed), else from the model. Each
passage also gets its BM25 tokens, each sentence's term ids (for the rerank's coverage)
and its flags (``chunking.sentence_flags``).
"""

from __future__ import annotations

import bisect
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from qabot import chunking
from qabot.chunking import CHAT, sentence_flags
from qabot.corpus.paragraphs import changes_section
from qabot.embedding import Embedder
from qabot.index.cache import EmbeddingCache, cache_key
from qabot.index.changes import Transaction, paragraphs_of
from qabot.index.embedded.segment import Prepared
from qabot.index.engine import PassageRow
from qabot.index.lexical import term_ids, tokenize
from qabot.index.manifest import BuildConfig
from qabot.models import Document, Paragraph, Passage
from qabot.text import visible

log = logging.getLogger(__name__)

Progress = bool | Callable[[int, int], None]  # a bar on stderr, nothing, or a function of (done, total)
BATCH = 1024  # passages per model call: sorted by length within it, so fewer padded tokens (19 % at 256, 5 % at 1024 on SciFact)
Spans = list[tuple[int, int]]
TITLE_CHARS = 300  # of a document's title that is put before each of its passages for the model and BM25
Vectors = tuple[np.ndarray, np.ndarray]


def indexed_text(passage: Passage) -> tuple[str, int]:
    """The text the model and BM25 see for a passage, and where the passage starts in it.

    The document's title is prefixed so that a title helps match its passages, and so is a section heading that
    asks a question (an FAQ asks in a heading and answers below without saying the question again), or a changelog's
    version and kind of change ("[2.0.0] - 2024-01-10 › Changed": what changed in 2.0.0 is said there alone; other headings,
    "Early years", would pull a long section's every passage towards any question that names them): each its first
    ``TITLE_CHARS``, cut at a word (the model reads 256 tokens at most; a hostile file's megabyte title, put before
    each of its passages, took minutes and gigabytes).
    """
    title, section = _cut(passage.title), _cut(passage.section)
    prefix = f"{title}. " if title else ""
    if (section.endswith("?") or changes_section(section)) and section != title:
        prefix += f"{section} "
    return prefix + passage.text, len(prefix)


def _cut(name: str | None) -> str:
    """A title or heading stripped, and cut at a word to its first ``TITLE_CHARS``."""
    name = name.strip() if name else ""
    if len(name) > TITLE_CHARS:
        name = name[:TITLE_CHARS].rsplit(None, 1)[0]  # the word the cut falls in goes, unless it is the only one
    return name


def model_input(passage: Passage) -> tuple[str, Spans]:
    """``indexed_text`` and the passage's sentence spans inside it."""
    text, shift = indexed_text(passage)
    return text, [(s - passage.start + shift, e - passage.start + shift) for s, e in passage.sentences]


def stored_key(model: str, row: PassageRow) -> bytes:
    """The embedding cache's key of a passage as the index stores it (what embedded it: ``model_input``)."""
    text, spans = model_input(Passage(doc_id=row.doc_id, source=row.source, title=row.title, section=row.section,
                                      paragraph=row.paragraph,
                                      start=row.start, end=row.end, text=row.text, sentences=list(row.sentences)))
    return cache_key(model, text, spans)


def passage_terms(text: str, spans: Spans) -> tuple[list[str], list[np.ndarray]]:
    """BM25's tokens of a ``model_input`` (the title and the passage), and each sentence's term ids for the rerank."""
    words = tokenize(text[: spans[0][0]]) if spans else []
    sentence_ids = []
    for start, end in spans:
        tokens = tokenize(text[start:end])
        words += tokens
        sentence_ids.append(term_ids(tokens))
    return words, sentence_ids


def open_cache(config: BuildConfig, embedder: Embedder, *, whole: bool = True) -> EmbeddingCache | None:
    """The embedding cache of ``config.index_dir``, when the build uses one; ``whole``: for a full build (else an
    update, which reads it only once that is worth it)."""
    if not config.embedding_cache:
        return None
    return EmbeddingCache(config.index_dir / "cache", embedder.name, lambda: embedder.dimension, whole=whole)


@dataclass
class _Pending:
    handle: int
    passage: Passage
    text: str
    spans: Spans
    chat: bool  # a chat message of an exchange: its paragraph has an author and a group


@dataclass
class Ingest:
    """Documents in, prepared passages out to ``tx``, ``BATCH`` passages at a time."""

    tx: Transaction
    config: BuildConfig
    embedder: Embedder
    cache: EmbeddingCache | None = None
    embedded: int = 0  # passages the model embedded
    reused: int = 0  # passages whose vectors came from the index or the cache
    documents: int = 0
    progress: Callable[[int], None] | None = None  # told the characters of each batch of passages handed over
    _pending: list[_Pending] = field(default_factory=list)
    _reuse: dict[bytes, Vectors] = field(default_factory=dict)
    _queued: list[int] = field(default_factory=list)  # documents whose passages are all queued

    def add(self, document: Document, digest: str, *, api: bool = False, reuse: dict[bytes, Vectors] | None = None,
            paragraphs: list[Paragraph] | None = None) -> bool:
        """Chunk ``document`` (its ``paragraphs``, when they were found already) and queue its passages; False when
        the engine refused it."""
        paras = paragraphs if paragraphs is not None else paragraphs_of(document)
        handle = self.tx.add(document, paras, digest, api)
        if handle is None:
            return False
        self.documents += 1
        if reuse:
            self._reuse.update(reuse)
        starts = [p.start for p in paras]
        for passage in chunking.passages(document, paras, self.config.passage_chars):
            text, spans = model_input(passage)
            para = paras[max(0, bisect.bisect_right(starts, passage.start) - 1)] if paras else None
            chat = para is not None and para.author is not None and para.group is not None
            self._pending.append(_Pending(handle, passage, text, spans, chat))
            if len(self._pending) >= BATCH:
                self.flush()
        self._queued.append(handle)
        return True

    def mark(self) -> int:
        """Where the documents added from now on start, for ``take_back``."""
        return self.tx.next_handle()

    def take_back(self, since: int) -> None:
        """Take back the documents added since ``mark`` gave ``since`` (a file skipped part way): their passages not
        embedded yet are dropped unembedded, and the transaction withdraws the rest."""
        # Handed over in order: where some of theirs were, none of the others' are left queued.
        self._pending = [item for item in self._pending if item.handle < since]
        self._queued = [handle for handle in self._queued if handle < since]
        self.tx.withdraw(since)

    def flush(self) -> None:
        """Embed what is queued and hand it to the transaction."""
        pending, self._pending = self._pending, []
        if pending:
            self._hand_over(pending)
            if self.progress is not None:  # a big document moves the bar as it is embedded, not once it all is
                self.progress(sum(len(item.passage.text) for item in pending))
        queued, self._queued = self._queued, []
        for handle in queued:  # nothing of theirs is pending any more
            self.tx.done(handle)

    def _hand_over(self, pending: list[_Pending]) -> None:
        vectors: list[Vectors | None] = [None] * len(pending)
        keys: list[bytes] = []
        if self._reuse or self.cache is not None:  # a build from nothing, without a cache, looks nothing up
            keys = [cache_key(self.embedder.name, item.text, item.spans) for item in pending]
            vectors = [self._reuse.get(key) for key in keys]
            missing = sum(found is None for found in vectors)
            if missing and self.cache is not None and self.cache.opened_for(missing):
                for i, (item, key) in enumerate(zip(pending, keys, strict=True)):
                    if vectors[i] is None:
                        vectors[i] = self.cache.get(key, len(item.spans))
        todo = [i for i, found in enumerate(vectors) if found is None]
        self.reused += len(pending) - len(todo)
        if todo:
            texts, spans = [pending[i].text for i in todo], [pending[i].spans for i in todo]
            passage_vectors, span_vectors = self.embedder.embed_with_spans(texts, spans)
            self.embedded += len(todo)
            for slot, i in enumerate(todo):
                vectors[i] = (passage_vectors[slot], span_vectors[slot])
                if self.cache is not None and self.cache.opened:
                    self.cache.put(keys[i], passage_vectors[slot], span_vectors[slot])
        batch: list[tuple[int, Prepared]] = []
        for item, found in zip(pending, vectors, strict=True):
            assert found is not None
            words, sentence_ids = passage_terms(item.text, item.spans)
            flags = [sentence_flags(item.text[lo:hi]) | (CHAT if item.chat else 0) for lo, hi in item.spans]
            batch.append((item.handle, Prepared(item.passage, np.asarray(found[0], dtype=np.float32),
                                                np.asarray(found[1]), words, sentence_ids, flags)))
        self.tx.add_passages(batch)

    def finish(self) -> None:
        self.flush()
        self._reuse.clear()
        if self.cache is not None and self.cache.opened:
            self.cache.flush()

    def abandon(self) -> None:
        """The change failed or was interrupted: what the model embedded so far goes to the cache all the same, so
        that the next build does not embed it again (a Ctrl-C at 90 % of a first build loses minutes, not 90 %)."""
        if self.cache is not None and self.cache.opened:
            try:
                self.cache.keep()
            except OSError as exc:  # what failed the change may fail this too (a full disk)
                log.debug("could not keep the vectors embedded so far: %s", exc)


class Bar:
    """Progress over a corpus's bytes: a bar on stderr, a function of (done, total), or nothing.

    Where stderr is no terminal (a CI log, a service's journal), a redrawn bar would be one
    endless line of carriage returns: a plain line is written instead, every ``PLAIN_SECONDS``
    at most, and none for work done sooner.
    """

    PLAIN_SECONDS = 15.0

    def __init__(self, total: int, progress: Progress) -> None:
        from tqdm.auto import tqdm

        self.total = total
        self.done = 0
        self._hear = progress if callable(progress) else None
        self._plain = progress is True and not terminal(sys.stderr)
        self._said = time.monotonic()
        self._name = ""
        self._bar = tqdm(total=total, unit="B", unit_scale=True, desc="Indexing",
                         disable=progress is not True or self._plain, file=sys.stderr, dynamic_ncols=True,
                         mininterval=0.5)

    def file(self, name: str) -> None:
        # The file being read: a large PDF takes a while before its first passage.
        # Shown as visible text: a file name can hold escape sequences, and this line goes to the terminal as it is.
        name = visible(name)
        self._name = name if len(name) <= 40 else "…" + name[-39:]
        self._bar.set_postfix_str(self._name, refresh=False)

    def advance(self, step: int) -> None:
        step = max(0, min(step, self.total - self.done))
        self.done += step
        self._bar.update(step)
        if self._hear is not None and step:
            self._hear(self.done, self.total)
        if self._plain and time.monotonic() - self._said >= self.PLAIN_SECONDS:
            self._said = time.monotonic()
            share = self.done / self.total if self.total else 1.0
            reading = f", {self._name}" if self._name else ""
            print(f"Indexing: {share:.0%} of {self.total / 1e6:.1f} MB{reading}", file=sys.stderr, flush=True)

    def close(self, finished: bool = True) -> None:
        """Close the bar: at 100 % once the work is done (sizes are estimates), where it stopped otherwise."""
        if finished and self.done < self.total:
            self.advance(self.total - self.done)
        self._bar.close()


def terminal(stream: object) -> bool:
    """Whether a bar redrawn on ``stream`` is seen as one (a terminal, a notebook), not logged as carriage returns."""
    if "ipykernel" in sys.modules:  # a notebook: tqdm.auto draws its own widget there
        return True
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):  # no isatty, or closed
        return False
