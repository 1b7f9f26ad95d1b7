"""BM25 over segments: each segment keeps its postings, a question scores only the postings of its words.

A segment stores, per term, the passages that hold it and how often (``rows.u32`` and
``tf.u32``, term by term, rows ascending, with ``indptr.i64`` saying where each term's
run starts), each passage's length in tokens (``lengths.u32``) and its vocabulary
(``vocab.json``). No score is stored: the statistics BM25 needs (how many live passages
hold a term, how many live passages there are, their average length) span every segment
and change as documents come and go, so they are computed when a question is asked, over
the live postings of its terms only. The scores are bm25s's Lucene variant, computed with
bm25s's formula (``tfc``, tested against bm25s's own) and the same float32/float64 steps
as ``bm25s.BM25.index``: a fresh index scores every passage exactly as bm25s does, and so
does an index of many segments and deletions, since their statistics are the same (tested).

Cost per question: the postings of its terms, never the whole index. Only when the terms
touch more than ``DENSE_SHARE`` of all passages is a dense accumulator of one float per
passage used, which gives the same sums.
"""

from __future__ import annotations

import json
import math
from array import array
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

K1 = 1.2
B = 0.75
DENSE_SHARE = 1 / 16  # touched postings past this share of the passages: sum into one array of all passages
EMPTY = ""  # the token of a passage without words (bm25s gives it one, so its row still counts)


def tfc(tf: np.ndarray, l_d: np.ndarray, l_avg: float, k1: float = K1, b: float = B) -> np.ndarray:
    """The term-frequency component of bm25s's Lucene BM25 (``bm25s.scoring._score_tfc_lucene``), as it computes it.

    The same expression in the same order, on the same types (float32 counts, int32
    lengths, a float average), so the same float64 values: tested against bm25s itself.
    Written out here so that answering a question never imports bm25s and, with it, scipy.
    """
    return tf / (k1 * ((1 - b) + b * l_d / l_avg) + tf)


class PostingsWriter:
    """A segment's postings, fed one passage's tokens at a time and spilled to disk as they come."""

    FLUSH = 1 << 20  # (term, count) pairs held before they are appended to the spill files

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.vocab: dict[str, int] = {}
        self.size = 0
        self._lengths = array("I")
        self._distinct = array("I")
        self._terms = array("I")
        self._counts = array("I")

    def add(self, tokens: list[str]) -> None:
        tokens = tokens or [EMPTY]
        counts = Counter(tokens)
        vocab = self.vocab
        self._terms.extend([vocab.setdefault(token, len(vocab)) for token in counts])
        self._counts.extend(counts.values())
        self._lengths.append(len(tokens))
        self._distinct.append(len(counts))
        self.size += 1
        if len(self._terms) >= self.FLUSH:
            self._spill()

    def add_postings(self, terms: list[str], term_ids: np.ndarray, rows: np.ndarray, counts: np.ndarray,
                     lengths: np.ndarray) -> None:
        """Whole passages at once (a merge): each pair's term (an index into ``terms``), row and count.

        ``rows`` count from this writer's next passage; ``lengths`` has one entry per passage.
        The pairs may come in any order: ``finish`` sorts them by term, then row.
        """
        ids = np.array([self.vocab.setdefault(t, len(self.vocab)) for t in terms], dtype=np.uint32)
        self._spill()
        with open(self.folder / "pairs.u32", "ab") as handle:
            mapped = ids[term_ids] if len(term_ids) else np.zeros(0, np.uint32)
            np.stack([mapped, (rows + self.size).astype(np.uint32), counts.astype(np.uint32)], axis=1).tofile(handle)
        self._lengths.extend(np.asarray(lengths, dtype=np.uint32).tolist())
        self.size += len(lengths)

    def length_of(self, first: int, last: int) -> int:
        """The sum of the lengths of the passages from row ``first`` to ``last`` (excluded)."""
        return sum(self._lengths[first:last])

    def _spill(self) -> None:
        if not self._terms:
            return
        first = self.size - len(self._distinct)
        rows = np.repeat(np.arange(first, self.size, dtype=np.uint32), np.frombuffer(self._distinct, dtype=np.uint32))
        with open(self.folder / "pairs.u32", "ab") as handle:
            np.stack([np.frombuffer(self._terms, dtype=np.uint32), rows, np.frombuffer(self._counts, dtype=np.uint32)],
                     axis=1).tofile(handle)
        self._terms, self._counts, self._distinct = array("I"), array("I"), array("I")

    def finish(self) -> int:
        """Write the segment's postings files; returns the sum of the passages' lengths."""
        self._spill()
        spill = self.folder / "pairs.u32"
        pairs = np.fromfile(spill, dtype=np.uint32).reshape(-1, 3) if spill.exists() else np.zeros((0, 3), np.uint32)
        spill.unlink(missing_ok=True)
        order = np.lexsort((pairs[:, 1], pairs[:, 0]))  # by term, then row
        terms = pairs[order, 0]
        pairs[:, 1][order].astype(np.uint32).tofile(self.folder / "rows.u32")
        pairs[:, 2][order].astype(np.uint32).tofile(self.folder / "tf.u32")
        del pairs, order
        indptr = np.zeros(len(self.vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms, minlength=len(self.vocab)), out=indptr[1:])
        indptr.tofile(self.folder / "indptr.i64")
        lengths = np.frombuffer(self._lengths, dtype=np.uint32)
        lengths.tofile(self.folder / "lengths.u32")
        (self.folder / "vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        return int(lengths.sum(dtype=np.int64))


def _mapped(path: Path, dtype: str) -> np.ndarray:
    if path.stat().st_size == 0:
        return np.zeros(0, dtype=dtype)
    return np.asarray(np.memmap(path, dtype=dtype, mode="r"))


class Postings:
    """One segment's postings, read-only (memory-mapped)."""

    def __init__(self, folder: Path) -> None:
        self.vocab: dict[str, int] = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        self.indptr = np.fromfile(folder / "indptr.i64", dtype=np.int64)
        self.rows = _mapped(folder / "rows.u32", "<u4")
        self.tf = _mapped(folder / "tf.u32", "<u4")
        self.lengths = _mapped(folder / "lengths.u32", "<u4")
        if len(self.indptr) != len(self.vocab) + 1 or self.indptr[-1] != len(self.rows) or len(self.tf) != len(self.rows):
            raise ValueError("postings files disagree with one another")

    @property
    def size(self) -> int:
        return len(self.lengths)

    def span(self, token: str) -> tuple[int, int] | None:
        term = self.vocab.get(token)
        if term is None:
            return None
        return int(self.indptr[term]), int(self.indptr[term + 1])

    def terms_of(self, rows: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
        """The postings of these passages (a merge reads them): the names of their terms, and each pair's term (an
        index into those names), row and count. A term only other passages hold is left out: a deleted passage's
        words leave the vocabulary with it.

        Rows are renumbered by their place in ``rows`` (sorted). Costs a pass over all postings.
        """
        keep = np.zeros(self.size, dtype=bool)
        keep[rows] = True
        renumber = np.full(self.size, -1, dtype=np.int64)
        renumber[rows] = np.arange(len(rows))
        owner = np.repeat(np.arange(len(self.indptr) - 1, dtype=np.int32), np.diff(self.indptr))
        live = keep[self.rows]
        names = [""] * len(self.vocab)
        for name, term in self.vocab.items():
            names[term] = name
        used, term_ids = np.unique(owner[live], return_inverse=True)
        return [names[t] for t in used], term_ids.reshape(-1), renumber[self.rows[live]], np.asarray(self.tf[live])


@dataclass
class Part:
    """One segment as a question sees it: its postings, where its rows start, which are dead or out of scope."""

    postings: Postings
    base: int  # global row of its first passage
    dead: np.ndarray | None  # per passage: deleted
    allowed: np.ndarray | None = None  # per passage: in the question's scope (None: all)


@dataclass
class Stats:
    """What BM25's statistics need of the live passages: how many, and their summed length."""

    passages: int
    length: int

    @property
    def average(self) -> float:
        # What numpy's mean of the lengths gives (the sum is exact in float64 below 2 ** 53).
        return self.length / self.passages if self.passages else 0.0


@dataclass
class Scored:
    """The BM25 scores of every passage a question's terms touch (in scope): rows ascending."""

    rows: np.ndarray  # int64, global
    scores: np.ndarray  # float32, > 0

    def lookup(self, rows: np.ndarray) -> np.ndarray:
        """The scores of ``rows`` (0 where no term touches them)."""
        if not len(self.rows):
            return np.zeros(len(rows), dtype=np.float32)
        at = np.minimum(np.searchsorted(self.rows, rows), len(self.rows) - 1)
        return np.where(self.rows[at] == rows, self.scores[at], 0.0).astype(np.float32)


def document_frequency(parts: list[Part], token: str) -> int:
    """How many live passages hold ``token``."""
    df = 0
    for part in parts:
        span = part.postings.span(token)
        if span is not None:
            rows = part.postings.rows[span[0] : span[1]]
            df += len(rows) - (int(np.count_nonzero(part.dead[rows])) if part.dead is not None else 0)
    return df


def idf(df: np.ndarray, passages: int) -> np.ndarray:
    """bm25s's Lucene idf, as ``bm25s.BM25`` computes it at index time (float64, then float32)."""
    df = np.asarray(df, dtype=np.int64)
    return np.where(df > 0, np.log(1 + (passages - df + 0.5) / (df + 0.5)), 0.0).astype(np.float32)


def score(parts: list[Part], stats: Stats, tokens: list[str], k1: float = K1, b: float = B) -> Scored:
    """BM25 of every live passage (in scope) that holds a query token, summed token by token as bm25s does.

    A token repeated in the query counts again, as in ``bm25s.BM25.get_scores``.
    """
    unique = list(dict.fromkeys(t for t in tokens if t))
    gathered: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    df = np.zeros(len(unique), dtype=np.int64)
    for i, token in enumerate(unique):
        rows_, tfs, lengths = [], [], []
        for part in parts:
            span = part.postings.span(token)
            if span is None:
                continue
            rows = part.postings.rows[span[0] : span[1]]
            tf = part.postings.tf[span[0] : span[1]]
            if part.dead is not None:
                live = ~part.dead[rows]
                rows, tf = rows[live], tf[live]
            df[i] += len(rows)
            if part.allowed is not None:
                inside = part.allowed[rows]
                rows, tf = rows[inside], tf[inside]
            if len(rows):
                rows_.append(rows.astype(np.int64) + part.base)
                tfs.append(tf)
                lengths.append(part.postings.lengths[rows])
        if rows_:
            gathered[token] = (np.concatenate(rows_), np.concatenate(tfs), np.concatenate(lengths))
    weights = dict(zip(unique, idf(df, stats.passages).tolist(), strict=True))
    contributions: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for token, (rows, tf, lengths) in gathered.items():
        # The steps of bm25s's build: tf as float32, lengths as int32, the product assigned to float32.
        values = np.empty(len(rows), dtype=np.float32)
        values[:] = np.float32(weights[token]) * tfc(tf.astype(np.float32), l_d=lengths.astype(np.int32),
                                                      l_avg=stats.average, k1=k1, b=b)
        contributions[token] = (rows, values)
    ordered = [contributions[t] for t in tokens if t in contributions]
    touched = sum(len(rows) for rows, _ in ordered)
    if not touched:
        return Scored(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
    total = max((part.base + part.postings.size for part in parts), default=0)
    if touched > DENSE_SHARE * total:
        out = np.zeros(total, dtype=np.float32)
        for rows, values in ordered:
            out[rows] += values
        found = np.flatnonzero(out)
        return Scored(found.astype(np.int64), out[found])
    found = np.unique(np.concatenate([rows for rows, _ in ordered]))
    sums = np.zeros(len(found), dtype=np.float32)
    for rows, values in ordered:  # token by token, in float32: bm25s's order of additions
        sums[np.searchsorted(found, rows)] += values
    return Scored(found, sums)


def idf_of(parts: list[Part], stats: Stats, tokens: list[str]) -> dict[str, float]:
    """Inverse document frequency of each token over the live passages; the highest for a token none holds."""
    out: dict[str, float] = {}
    for token in tokens:
        if token:
            df = document_frequency(parts, token)
            out[token] = math.log(1 + (stats.passages - df + 0.5) / (df + 0.5))
    return out
