"""``MilvusEngine``: the ``SearchEngine`` contract against a Milvus build.

A question costs a few round trips, whatever ``k`` and however many candidates:

1. the dense search and the BM25 search, sent at once (two threads);
2. the BM25 scores of the dense candidates BM25 did not rank (one search restricted to
   their ids), and every candidate's stored row (one ``get``), at once;
3. the candidates' sentences (one ``get`` by id) and the question's term frequencies
   (one ``get``), for the rerank;
4. per excerpt shown, its neighbours and the document text around it.

Everything a build stores under an id is immutable (a changed document gets new numbers),
so what was fetched is kept in small caches (``cachetools.LRUCache``) and never goes stale.
A question sees the version it was opened on: a document numbered at or past that
version's ``next_doc`` (a change not yet committed) or deleted by it (``pending``) is
left out of every search and fetch, and an id an update deleted between a search and
the fetch is simply left out of the candidates.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np
from cachetools import LRUCache

from qabot.errors import IndexStoreError
from qabot.index.engine import Candidates, Evidence, ParagraphRow, PassageRow
from qabot.index.milvus import meta
from qabot.index.milvus.client import Connection
from qabot.index.milvus.config import MilvusConfig
from qabot.index.milvus.records import quote
from qabot.index.milvus.schema import (
    CHUNK_CHARS,
    ORDINAL_BITS,
    PASSAGE_FIELDS,
    bm25_text,
    chunk_id,
    decode_paragraphs,
    dense_index,
    doc_of,
    passage_row,
    sentence_id,
)
from qabot.index.scope import Scope
from qabot.models import SourceInfo

K = TypeVar("K")
V = TypeVar("V")
OPEN_WINDOW = 256  # chunks' paragraph tables a request, going back to where a long paragraph starts
_threads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="qabot-milvus")


class _Lru:
    """A bounded, thread-safe map of what was fetched (least recently used first out)."""

    def __init__(self, size: int) -> None:
        self._cache: LRUCache[Any, Any] = LRUCache(size)
        self._lock = threading.Lock()

    def fetch(self, keys: Sequence[K], load: Callable[[list[K]], dict[K, V]]) -> dict[K, V]:
        """The entries for ``keys``: those not held are loaded (once, together); missing ones are left out."""
        with self._lock:
            found = {k: self._cache[k] for k in keys if k in self._cache}
        todo = [k for k in dict.fromkeys(keys) if k not in found]
        if todo:
            loaded = load(todo)
            found.update(loaded)
            with self._lock:
                for key, value in loaded.items():
                    self._cache[key] = value
        return found

    def peek(self, key: Any, default: Any = None) -> Any:
        with self._lock:
            return self._cache.get(key, default)


_UNKNOWN = object()


class MilvusEngine:
    """A Milvus build, read as a ``SearchEngine``."""

    def __init__(self, conn: Connection, config: MilvusConfig, stored: meta.Stored) -> None:
        self.conn = conn
        self.config = config
        self.names = stored.names
        self.head = stored.head
        self.manifest = stored.manifest
        self._hidden = stored.head.hidden()  # deleted as of the version in service, their rows maybe still there
        self._search_params = dense_index(stored.manifest.index_factory)[1]
        self._rows: _Lru = _Lru(8192)  # passage id -> (PassageRow, vector)
        self._sentences: _Lru = _Lru(8192)  # passage id -> (vectors, term ids per sentence)
        self._chunks: _Lru = _Lru(2048)  # (doc, chunk) -> (text, paragraphs, meta)
        self._open: _Lru = _Lru(65536)  # (doc, chunk) -> the paragraph it opens inside of (paragraph_at)
        self._df: _Lru = _Lru(65536)
        self._sources: list[SourceInfo] | None = None
        for name in self.names.all:
            conn.call("load_collection", name)

    # -- searching ----------------------------------------------------------------------

    def candidates(
        self, vector: np.ndarray, tokens: list[str], n: int, *, dense: bool, lexical: bool, scope: Scope | None = None
    ) -> Candidates:
        where = self._filter(scope)
        query = bm25_text(tokens)
        lexical = lexical and bool(query)
        if where == "false":
            dense = lexical = False
        searches = []
        df = _threads.submit(self.idf, list(dict.fromkeys(tokens))) if tokens else None  # the rerank asks next
        if dense:
            searches.append(_threads.submit(self._search, "vector", vector.astype(np.float32).tolist(), n, where))
        if lexical:
            searches.append(_threads.submit(self._search, "bm25", query, n, where))
        dense_hits = searches[0].result() if dense else []
        lexical_hits = searches[-1].result() if lexical else []
        scores = dict(lexical_hits)
        others = [row for row, _ in dense_hits if row not in scores]
        more = (_threads.submit(self._search, "bm25", query, len(others), _ids(others, where))
                if lexical and others else None)
        order = sorted({row for row, _ in dense_hits} | set(scores))
        stored = self._rows.fetch(order, self._load_rows)
        passages = {row: value[0] for row, value in stored.items()}
        # What the rerank reads next; a row an update deleted since the search is left out.
        present = self._sentences.fetch(list(passages), lambda todo: self._load_sentences(todo, passages))
        stored = {row: value for row, value in stored.items() if row in present}
        if more is not None:
            scores.update(more.result())
        if df is not None:
            df.result()
        rows = np.array([r for r in order if r in stored], dtype=np.int64)
        vectors = (np.stack([stored[int(r)][1] for r in rows]) if len(rows)
                   else np.zeros((0, self.manifest.dimension), dtype=np.float32))
        return Candidates(
            rows=rows,
            vectors=vectors,
            dense=vectors @ vector.astype(np.float32),
            lexical=np.array([scores.get(int(r), 0.0) for r in rows], dtype=np.float32),
            dense_rows=np.array([r for r, _ in dense_hits if r in stored], dtype=np.int64),
            lexical_rows=np.array([r for r, _ in lexical_hits if r in stored], dtype=np.int64),
            top_lexical=lexical_hits[0][1] if lexical_hits else 1.0,
        )

    def _search(self, field: str, data: Any, limit: int, where: str | None) -> list[tuple[int, float]]:
        params = {"metric_type": "IP", "params": self._search_params} if field == "vector" else {}
        found = self.conn.call("search", self.names.passages, data=[data], anns_field=field, limit=max(1, limit),
                               filter=where or "", search_params=params, output_fields=["id"])
        # BM25 scores are non-negative; Milvus Lite reports them negated, as distances.
        return [(int(hit["id"]), abs(float(hit["distance"])) if field == "bm25" else float(hit["distance"]))
                for hit in found[0]]

    def _filter(self, scope: Scope | None) -> str:
        """What a search may see: the documents of the version in service, in the scope."""
        visible = f"doc < {self.head.next_doc}"
        if self._hidden:
            visible += f" and doc not in {sorted(self._hidden)}"
        if scope is None:
            return visible
        sources = [s.source for s in self.sources(scope)]
        return f"{visible} and source in [{', '.join(quote(s) for s in sources)}]" if sources else "false"

    def _shown(self, row: int) -> bool:
        doc = doc_of(row)
        return doc < self.head.next_doc and doc not in self._hidden

    def _load_rows(self, rows: list[int]) -> dict[int, tuple[PassageRow, np.ndarray]]:
        rows = [r for r in rows if self._shown(r)]
        found = self.conn.call("get", self.names.passages, ids=rows, output_fields=["vector", *PASSAGE_FIELDS]) if rows \
            else []
        return {int(e["id"]): (passage_row(e), np.asarray(e["vector"], dtype=np.float32)) for e in found or []}

    def idf(self, tokens: list[str]) -> dict[str, float]:
        keys = {token: bm25_text([token]) for token in tokens if token}
        df = self._df.fetch(list(set(keys.values())), self._load_df)
        size = self.manifest.passages
        return {t: math.log(1 + (size - df.get(k, 0) + 0.5) / (df.get(k, 0) + 0.5)) for t, k in keys.items()}

    def _load_df(self, keys: list[str]) -> dict[str, int]:
        found = {r["id"]: int(r["df"]) for r in self.conn.call("get", self.names.terms, ids=keys, output_fields=["df"]) or []}
        return {k: found.get(k, 0) for k in keys}

    def evidence(self, rows: np.ndarray) -> Evidence:
        stored = self.passages([int(r) for r in rows])
        sentences = self._sentences.fetch([int(r) for r in rows if int(r) in stored],
                                          lambda todo: self._load_sentences(todo, stored))
        counts, vectors, term_counts, terms, flags = [], [], [], [], []
        for row in rows:
            vecs, ids, own = sentences.get(int(row), (np.zeros((0, self.manifest.dimension), np.float32), [], []))
            counts.append(len(vecs))
            vectors.append(vecs)
            term_counts += [len(t) for t in ids]
            terms += ids
            flags += own
        return Evidence(
            counts=np.array(counts, dtype=np.int64),
            vectors=np.concatenate(vectors) if vectors else np.zeros((0, self.manifest.dimension), np.float32),
            term_counts=np.array(term_counts, dtype=np.int64),
            terms=np.concatenate(terms).astype(np.uint32) if terms else np.zeros(0, dtype=np.uint32),
            flags=np.array(flags, dtype=np.uint8),
        )

    def _load_sentences(self, rows: list[int], stored: dict[int, PassageRow]) -> dict[int, tuple[np.ndarray, list, list]]:
        ids = [sentence_id(r, i) for r in rows for i in range(len(stored[r].sentences))]
        found = {int(e["id"]): e for e in self.conn.call("get", self.names.sentences, ids=ids,
                                                         output_fields=["vector", "terms", "flags"]) or []}
        out = {}
        for r in rows:
            own = [found.get(sentence_id(r, i)) for i in range(len(stored[r].sentences))]
            if any(e is None for e in own):
                continue  # deleted by an update since: the passage is left out
            vectors = (np.array([e["vector"] for e in own], dtype=np.float32) if own
                       else np.zeros((0, self.manifest.dimension), np.float32))
            out[r] = (vectors, [np.asarray(e["terms"], dtype=np.uint32) for e in own], [int(e["flags"]) for e in own])
        return out

    # -- quoting ------------------------------------------------------------------------

    def passages(self, rows: Sequence[int]) -> dict[int, PassageRow]:
        found = self._rows.fetch([int(r) for r in rows], self._load_rows)
        return {row: value[0] for row, value in found.items()}

    def neighbours(self, passage: PassageRow, radius: int) -> list[PassageRow]:
        first = passage.row - (passage.row & ((1 << ORDINAL_BITS) - 1))  # the document's first passage
        window = self.passages([r for r in range(passage.row - radius, passage.row + radius + 1) if r >= first])
        return [window[r] for r in sorted(window) if doc_of(r) == passage.doc]

    def _chunk(self, doc: int, chunks: Sequence[int]) -> dict[int, tuple[str, list[ParagraphRow], dict | None]]:
        def load(todo: list[tuple[int, int]]) -> dict:
            found = self.conn.call("get", self.names.documents, ids=[chunk_id(d, c) for d, c in todo],
                                   output_fields=["chunk", "text", "paragraphs", "meta"]) or []
            return {(doc, int(e["chunk"])): (e["text"], decode_paragraphs(e["paragraphs"]), e["meta"]) for e in found}

        got = self._chunks.fetch([(doc, c) for c in chunks], load)
        return {c: got[(doc, c)] for c in chunks if (doc, c) in got}

    def text(self, doc: int, start: int, end: int) -> str:
        start, end = max(start, 0), max(end, 0)
        if end <= start:
            return ""
        first, last = start // CHUNK_CHARS, (end - 1) // CHUNK_CHARS
        chunks = self._chunk(doc, range(first, last + 1))
        if missing := [c for c in range(first, last + 1) if c not in chunks]:
            head = chunks.get(0) or self._chunk(doc, [0]).get(0)
            if head is None or head[2] is None or missing[0] < head[2]["chunks"]:
                # A chunk past the end is no text; one within it lost would make an excerpt that is not its source.
                raise IndexStoreError(
                    f"the text of document {doc} is missing from {self.names.documents} at {self.conn.uri}: "
                    "the collection is damaged; rebuild it (qabot index --rebuild)"
                )
        joined = "".join(chunks[c][0] for c in range(first, last + 1) if c in chunks)
        return joined[start - first * CHUNK_CHARS : end - first * CHUNK_CHARS]

    def paragraph_at(self, doc: int, offset: int) -> ParagraphRow | None:
        """The paragraph of ``doc`` that starts last at or before ``offset``."""
        chunk = max(offset, 0) // CHUNK_CHARS
        found = self._chunk(doc, [chunk]).get(chunk)
        before = [p for p in (found[1] if found else []) if p.start <= offset]
        if before:
            return before[-1]
        return self._open.fetch([(doc, chunk)], self._load_open).get((doc, chunk)) if chunk else None

    def _load_open(self, keys: list[tuple[int, int]]) -> dict[tuple[int, int], ParagraphRow | None]:
        """The paragraph each (doc, chunk) opens inside of: the last one starting in an earlier chunk.

        A paragraph can be far longer than a chunk (a log file with no blank line is one
        paragraph of megabytes): going back one chunk a request cost a round trip per 2,000
        characters, for every excerpt near its end. Only the paragraph tables are fetched, in
        windows that grow, and the answer is kept for every chunk the paragraph spans.
        """
        out: dict[tuple[int, int], ParagraphRow | None] = {}
        for doc, chunk in keys:
            found: ParagraphRow | None = None
            spanned = [chunk]  # the chunks that open inside the same paragraph as this one
            high, width = chunk - 1, 1
            while high >= 0 and found is None:
                if (known := self._open.peek((doc, high + 1), _UNKNOWN)) is not _UNKNOWN:
                    found = known  # an earlier excerpt of the same paragraph went back this far already
                    break
                low = max(0, high - width + 1)
                rows = self.conn.call("get", self.names.documents, ids=[chunk_id(doc, c) for c in range(low, high + 1)],
                                      output_fields=["chunk", "paragraphs"]) or []
                tables = {int(e["chunk"]): decode_paragraphs(e["paragraphs"]) for e in rows}
                for c in range(high, low - 1, -1):
                    if tables.get(c):
                        found = tables[c][-1]
                        break
                    spanned.append(c)  # no paragraph starts in it: it opens inside the one before it too
                high, width = low - 1, min(width * 4, OPEN_WINDOW)
            out.update(dict.fromkeys(((doc, c) for c in spanned if c), found))
        return out

    def paragraphs(self, doc: int) -> list[ParagraphRow]:
        head = self._chunk(doc, [0]).get(0)
        if head is None or head[2] is None:
            return []
        chunks = self._chunk(doc, range(head[2]["chunks"]))
        return [p for c in sorted(chunks) for p in chunks[c][1]]

    def doc_ids(self, rows: Sequence[int]) -> dict[int, str]:
        return {row: passage.doc_id for row, passage in self.passages(rows).items()}

    def sources(self, scope: Scope | None = None) -> list[SourceInfo]:
        if self._sources is None:
            by_source: dict[str, list[dict]] = {}
            iterator = self.conn.call("query_iterator", self.names.documents, batch_size=4096,
                                      filter=f"chunk == 0 and {self._filter(None)}", output_fields=["source", "meta"])
            try:
                while batch := iterator.next():
                    for entity in batch:
                        by_source.setdefault(entity["source"], []).append(entity["meta"])
            except Exception as exc:  # noqa: BLE001 - pymilvus's iterator raises its own errors
                raise self.conn.error(exc) from None
            finally:
                iterator.close()
            self._sources = [
                SourceInfo(source=s, title=_shared({d.get("title") for d in docs}), documents=len(docs),
                           passages=sum(d["passages"] for d in docs))
                for s, docs in sorted(by_source.items())
            ]
        return self._sources if scope is None else [s for s in self._sources if scope.matches(s.source)]

    def close(self) -> None:
        self.conn.close()


def _shared(titles: set[str | None]) -> str | None:
    """The title every document of a source has (a chat's exchanges share the channel's), else None."""
    return next(iter(titles)) if len(titles) == 1 else None


def _ids(rows: list[int], where: str | None) -> str:
    expr = f"id in {rows}"
    return f"({where}) and {expr}" if where else expr
