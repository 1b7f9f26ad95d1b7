"""``Snapshot``: one committed state of the embedded engine, read as a ``SearchEngine``.

A snapshot is the manifest's segments, in order, each with the documents deleted from it
as of that manifest. Rows and documents are numbered across the segments (a segment's
first row follows the last row of the one before), so a row is an address for as long as
the snapshot is in use; segments are shared between snapshots, never copied.

What a question costs does not grow with the index, but for the vector search itself:
BM25 reads the postings of the question's terms (``qabot.index.embedded.bm25``), scopes
and deletions are masks over those postings and over the vector scores, and everything
the rerank and the excerpts read is fetched by row.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from cachetools import LRUCache

from qabot.index.embedded import bm25
from qabot.index.embedded import dense as dense_index
from qabot.index.embedded.segment import Segment
from qabot.index.engine import Candidates, Evidence, ParagraphRow, PassageRow, ranges, top_k
from qabot.index.manifest import Manifest, SegmentInfo
from qabot.index.scope import Scope
from qabot.models import SourceInfo


@dataclass
class Part:
    """A segment as one snapshot holds it: where its rows and documents start, and what is deleted from it."""

    segment: Segment
    info: SegmentInfo
    base: int
    doc_base: int
    deleted_rows: np.ndarray  # the rows of its deleted documents, ascending
    dead_docs: np.ndarray | None  # per document of the segment: deleted (None: none is)
    dead: np.ndarray | None  # per passage


_CACHED_NEIGHBOURHOODS = 2048


class Snapshot:
    """A committed state of the embedded engine (a ``SearchEngine``)."""

    def __init__(self, manifest: Manifest, parts: list[Part], release: Callable[[Snapshot], None]) -> None:
        self.manifest = manifest
        self.parts = parts
        self._release = release
        self._closed = False
        self.row_starts = [p.base for p in parts]
        self.doc_starts = [p.doc_base for p in parts]
        self.size = parts[-1].base + parts[-1].info.passages if parts else 0
        self.stats = bm25.Stats(
            passages=sum(p.info.live_passages for p in parts),
            length=sum(p.info.length - p.info.deleted_length for p in parts),
        )
        self._sources: list[SourceInfo] | None = None
        # Each excerpt's window reads the passages around it, and the next questions mostly the same ones.
        self._near: LRUCache[tuple[int, int], list[PassageRow]] = LRUCache(_CACHED_NEIGHBOURHOODS)
        self._near_lock = threading.Lock()

    # -- finding --------------------------------------------------------------------------

    def _bm25_parts(self, scope: Scope | None) -> list[bm25.Part]:
        return [bm25.Part(p.segment.postings, p.base, p.dead, p.segment.allowed(scope) if scope else None)
                for p in self.parts]

    def candidates(
        self, vector: np.ndarray, tokens: list[str], n: int, *, dense: bool, lexical: bool, scope: Scope | None = None
    ) -> Candidates:
        scored = bm25.score(self._bm25_parts(scope), self.stats, tokens) if lexical else None
        lexical_rows = np.empty(0, dtype=np.int64)
        if scored is not None and len(scored.rows):
            lexical_rows = scored.rows[top_k(scored.scores, n, scored.rows)]
        dense_rows = self._nearest(vector, n, scope) if dense else np.empty(0, dtype=np.int64)
        rows = np.unique(np.concatenate([dense_rows, lexical_rows]))
        vectors = self.vectors(rows)
        return Candidates(
            rows=rows,
            vectors=vectors,
            dense=vectors @ vector,
            lexical=scored.lookup(rows) if scored is not None else np.zeros(len(rows), dtype=np.float32),
            dense_rows=dense_rows,
            lexical_rows=lexical_rows,
            top_lexical=float(scored.scores.max()) if scored is not None and len(scored.rows) else 1.0,
        )

    def _nearest(self, vector: np.ndarray, n: int, scope: Scope | None) -> np.ndarray:
        """The ``n`` live passages (in scope) nearest to ``vector``, best first; ties to the lower row."""
        query = vector[None, :].astype(np.float32)
        rows, scores = [], []
        for p in self.parts:
            allowed = p.segment.allowed(scope) if scope is not None else None
            if p.dead is not None:
                allowed = ~p.dead if allowed is None else allowed & ~p.dead
            if allowed is not None and not allowed.any():
                continue
            params = dense_index.restricted(p.segment.dense, allowed) if allowed is not None else None
            found_scores, found = p.segment.dense.search(query, n, params=params)
            keep = found[0] >= 0
            rows.append(found[0][keep].astype(np.int64) + p.base)
            scores.append(found_scores[0][keep])
        if not rows:
            return np.empty(0, dtype=np.int64)
        all_rows, all_scores = np.concatenate(rows), np.concatenate(scores)
        return all_rows[top_k(all_scores, n, all_rows)]

    def idf(self, tokens: list[str]) -> dict[str, float]:
        return bm25.idf_of(self._bm25_parts(None), self.stats, tokens)

    # -- fetching -------------------------------------------------------------------------

    def _by_part(self, rows: np.ndarray) -> list[tuple[Part, np.ndarray]]:
        """``rows`` (ascending) split by segment, as each segment's own rows."""
        out = []
        if not len(rows):
            return out
        at = np.searchsorted(np.asarray(self.row_starts), rows, side="right") - 1
        bounds = np.flatnonzero(np.diff(at)) + 1
        for group in np.split(np.arange(len(rows)), bounds):
            part = self.parts[int(at[group[0]])]
            out.append((part, rows[group] - part.base))
        return out

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The passage vectors of ``rows`` (ascending), float32."""
        pieces = [np.asarray(part.segment.passage_vectors[local], dtype=np.float32)
                  for part, local in self._by_part(rows)]
        return np.concatenate(pieces) if pieces else np.zeros((0, self.manifest.dimension), dtype=np.float32)

    def evidence(self, rows: np.ndarray) -> Evidence:
        """The sentences of ``rows`` (ascending, as ``candidates`` gives them), candidate by candidate."""
        counts, vectors, term_counts, terms, flags = [], [], [], [], []
        for part, local in self._by_part(np.asarray(rows, dtype=np.int64)):
            seg = part.segment
            first, last = seg.sentence_start[local], seg.sentence_start[local + 1]
            count = (last - first).astype(np.int64)
            sentences = ranges(first, count)
            lo, hi = seg.term_start[sentences], seg.term_start[sentences + 1]
            counts.append(count)
            vectors.append(seg.sentence_vectors32(sentences))
            term_counts.append(hi - lo)
            terms.append(np.asarray(seg.terms[ranges(lo, hi - lo)]))
            flags.append(seg.flags[sentences])
        if not counts:
            empty = np.zeros(0, dtype=np.int64)
            return Evidence(empty, np.zeros((0, self.manifest.dimension), np.float32), empty,
                            np.zeros(0, np.uint32), np.zeros(0, np.uint8))
        return Evidence(counts=np.concatenate(counts), vectors=np.concatenate(vectors),
                        term_counts=np.concatenate(term_counts), terms=np.concatenate(terms),
                        flags=np.concatenate(flags))

    def passages(self, rows: Sequence[int]) -> dict[int, PassageRow]:
        """The stored passages of these rows; a row past the end or deleted is left out."""
        wanted = np.unique(np.array([int(r) for r in rows if 0 <= int(r) < self.size], dtype=np.int64))
        out: dict[int, PassageRow] = {}
        for part, local in self._by_part(wanted):
            if part.dead is not None:
                local = local[~part.dead[local]]
            out.update(part.segment.store.passages(local.tolist(), part.base, part.doc_base))
        return out

    def neighbours(self, passage: PassageRow, radius: int) -> list[PassageRow]:
        with self._near_lock:
            found = self._near.get((passage.row, radius))
        if found is None:
            found = self._neighbours(passage, radius)
            with self._near_lock:
                self._near[(passage.row, radius)] = found
        return list(found)

    def _neighbours(self, passage: PassageRow, radius: int) -> list[PassageRow]:
        part, doc = self._doc(passage.doc)
        local = passage.row - part.base
        first, last = part.segment.store.doc_passages(doc)
        rows = range(max(first, local - radius), min(last, local + radius + 1))
        found = part.segment.store.passages(list(rows), part.base, part.doc_base)
        return [found[r] for r in sorted(found)]

    def _doc(self, doc: int) -> tuple[Part, int]:
        part = self.parts[bisect.bisect_right(self.doc_starts, doc) - 1]
        return part, doc - part.doc_base

    def text(self, doc: int, start: int, end: int) -> str:
        part, local = self._doc(doc)
        return part.segment.store.text(local, start, end)

    def paragraph_at(self, doc: int, offset: int) -> ParagraphRow | None:
        part, local = self._doc(doc)
        return part.segment.store.paragraph_at(local, offset)

    def paragraphs(self, doc: int) -> list[ParagraphRow]:
        part, local = self._doc(doc)
        return part.segment.store.paragraphs(local)

    def doc_ids(self, rows: Sequence[int]) -> dict[int, str]:
        wanted = np.array([int(r) for r in rows], dtype=np.int64)
        order = np.argsort(wanted, kind="stable")
        out: dict[int, str] = {}
        for part, local in self._by_part(wanted[order]):
            for row, doc_id in zip((local + part.base).tolist(), part.segment.store.doc_ids(local), strict=True):
                out[row] = doc_id
        return out

    def sources(self, scope: Scope | None = None) -> list[SourceInfo]:
        if self._sources is None:
            by_source: dict[str, list] = {}
            for p in self.parts:
                for row, (source, title, passages) in enumerate(p.segment.store.table()):
                    if p.dead_docs is not None and p.dead_docs[row]:
                        continue
                    entry = by_source.setdefault(source, [0, 0, title])
                    entry[0] += 1
                    entry[1] += passages
                    if entry[2] != title:  # a title the source's documents share is its title (a chat's exchanges)
                        entry[2] = None
            self._sources = [SourceInfo(source=s, title=t, documents=d, passages=n)
                             for s, (d, n, t) in sorted(by_source.items())]
        return self._sources if scope is None else [s for s in self._sources if scope.matches(s.source)]

    def close(self) -> None:
        """Stop using this state: its segments close when no snapshot holds them and the manifest no longer names them."""
        if not self._closed:
            self._closed = True
            self._release(self)
