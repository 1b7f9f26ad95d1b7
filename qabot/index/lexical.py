"""Lexical matching: one tokenizer for passages and questions, and a BM25 index (bm25s).

Tokens are casefolded, accent-stripped words with English stopwords removed and a
Snowball stem applied, so "assassinated" matches "assassination" and "Coyoacán"
matches "Coyoacan". The BM25 index is bm25s's sparse matrix, saved beside the FAISS
index and loaded memory-mapped when it is large.

``LexicalBuilder`` makes that same matrix while a build streams its passages: each
passage's tokens become (term id, count) pairs appended to spill files on disk, so a
million passages never sit in memory as Python lists of strings. At the end the pairs
are read back as numpy arrays and scored with bm25s's own Lucene formulas; the result
is saved and loaded by bm25s exactly as if ``bm25s.BM25.index`` had built it.
"""

from __future__ import annotations

import logging
import math
import re
import shutil
import threading
import zlib
from array import array
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np

from qabot.text import fold

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+|\d+", re.UNICODE)

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself nor of off on once only or other our ours ourselves out over own
    same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while
    who whom why will with would you your yours yourself yourselves s t d ll m re ve also whose
    within without upon""".split()
)

_stemmer_lock = threading.Lock()


@lru_cache(maxsize=1)
def _stemmer():  # noqa: ANN202 - PyStemmer has no type hints
    import Stemmer

    return Stemmer.Stemmer("english")


def _bm25s():  # noqa: ANN202 - the bm25s module, imported on first use
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG on import
    return bm25s


def words(text: str) -> list[str]:
    """Folded words of ``text`` without stopwords, unstemmed."""
    return [w for w in _TOKEN.findall(fold(text)) if w not in STOPWORDS]


def tokenize(text: str) -> list[str]:
    """Stemmed content words: the BM25 vocabulary."""
    found = words(text)
    if not found:
        return []
    with _stemmer_lock:  # PyStemmer objects are not thread-safe
        return _stemmer().stemWords(found)


def term_ids(tokens: list[str]) -> np.ndarray:
    """Stable 32-bit ids (CRC-32) of tokens, sorted and unique.

    Each sentence's words are stored this way at index time, so a question's coverage of
    a sentence is an array lookup instead of re-tokenizing the sentence per question.
    Two words sharing an id is possible but rare, and would only blur one coverage score.
    """
    return np.unique(np.fromiter(map(term_id, tokens), dtype=np.uint32))


def term_id(token: str) -> int:
    """The id ``term_ids`` gives one token."""
    return zlib.crc32(token.encode("utf-8", "surrogatepass"))


SMALL_QUERY = 50_000  # postings up to which a query's columns are summed in numpy (scipy beyond)


class LexicalIndex:
    """BM25 scores over the passages, in passage-row order."""

    K1 = 1.2
    B = 0.75

    def __init__(self, retriever) -> None:  # noqa: ANN001 - bm25s.BM25
        self._bm25 = retriever
        self.size = int(retriever.scores["num_docs"])
        self._csc = None

    @classmethod
    def build(cls, token_lists: list[list[str]]) -> LexicalIndex:
        bm25s = _bm25s()
        retriever = bm25s.BM25(k1=cls.K1, b=cls.B, method="lucene")
        # An empty passage still needs a row, so that rows line up with FAISS ids.
        retriever.index([tokens or [""] for tokens in token_lists], show_progress=False)
        return cls(retriever)

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, mmap: bool = False) -> LexicalIndex:
        return cls(_bm25s().BM25.load(str(folder), mmap=mmap, load_corpus=False))

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every passage for these query tokens (zeros when none is known).

        The same sums as bm25s's ``get_scores_from_ids``, in the same order (so the same
        float32 values), but done by scipy's sparse kernels over the query terms' columns
        of bm25s's own score matrix: about twice as fast at 1M passages (docs/performance.md).
        """
        ids = self._bm25.get_tokens_ids(tokens)
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        matrix = self._bm25.scores
        indptr = matrix["indptr"]
        bounds = [(int(indptr[i]), int(indptr[i + 1])) for i in ids]
        if sum(hi - lo for lo, hi in bounds) > SMALL_QUERY:
            columns = self._matrix()[:, np.asarray(ids, dtype=np.int64)]
            return np.asarray(columns @ np.ones(len(ids), dtype=np.float32), dtype=np.float32)
        # Few postings: add the columns one by one, as the sparse product does (in float32,
        # column after column), without the cost of slicing a scipy matrix.
        out = np.zeros(self.size, dtype=np.float32)
        data, indices = matrix["data"], matrix["indices"]
        for lo, hi in bounds:
            out[indices[lo:hi]] += data[lo:hi]
        return out

    def _matrix(self):  # noqa: ANN202 - scipy.sparse.csc_matrix
        """bm25s's (passages x terms) score matrix as scipy CSC, sharing its arrays (memory-mapped when large)."""
        if self._csc is None:
            import scipy.sparse

            matrix = self._bm25.scores
            indptr = np.asarray(matrix["indptr"])
            indices = np.asarray(matrix["indices"])
            # One index type for both, as scipy wants: int32 keeps the (large) indices shared, not copied.
            index_type = np.int32 if indptr[-1] < np.iinfo(np.int32).max else np.int64
            self._csc = scipy.sparse.csc_matrix(
                (np.asarray(matrix["data"]), indices.astype(index_type, copy=False), indptr.astype(index_type)),
                shape=(self.size, len(indptr) - 1),
                copy=False,
            )
        return self._csc

    def idf(self, tokens: list[str]) -> dict[str, float]:
        """Inverse document frequency of each token: how much a match on it says.

        A token the corpus never uses gets the highest weight (df = 0), so that a question
        mostly about things the corpus does not mention scores low coverage everywhere.
        """
        indptr = self._bm25.scores["indptr"]
        out: dict[str, float] = {}
        for token in tokens:
            if not token:
                continue
            token_id = self._bm25.vocab_dict.get(token)
            df = int(indptr[token_id + 1] - indptr[token_id]) if token_id is not None else 0
            out[token] = math.log(1 + (self.size - df + 0.5) / (df + 0.5))
        return out

    def top(self, tokens: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows and scores of the ``n`` best passages, best first; rows scoring 0 are left out."""
        scores = self.scores(tokens)
        n = min(n, scores.shape[0])
        if n <= 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        rows = np.argpartition(-scores, n - 1)[:n]
        rows = rows[np.argsort(-scores[rows], kind="stable")]
        keep = scores[rows] > 0
        return rows[keep].astype(np.int64), scores[rows][keep]


class LexicalBuilder:
    """Builds a ``LexicalIndex`` from passages added one at a time, spilling to ``folder``."""

    FLUSH = 1 << 20  # (term, count) pairs buffered before they are appended to disk
    CHUNK = 1 << 22  # pairs scored at once by build

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.vocab: dict[str, int] = {}
        self.size = 0
        # Per passage: its length in tokens and its number of distinct terms (4 bytes each).
        self._lengths = array("i")
        self._distinct = array("i")
        self._terms = array("i")
        self._counts = array("i")

    def add(self, tokens: list[str]) -> None:
        # An empty passage still needs a row, so that rows line up with FAISS ids; bm25s
        # gives it the empty token, and so does this.
        tokens = tokens or [""]
        counts = Counter(tokens)
        vocab = self.vocab
        self._terms.extend([vocab.setdefault(token, len(vocab)) for token in counts])
        self._counts.extend(counts.values())
        self._lengths.append(len(tokens))
        self._distinct.append(len(counts))
        self.size += 1
        if len(self._terms) >= self.FLUSH:
            self._spill()

    def _spill(self) -> None:
        with open(self.folder / "terms.i32", "ab") as handle:
            self._terms.tofile(handle)
        with open(self.folder / "counts.i32", "ab") as handle:
            self._counts.tofile(handle)
        self._terms, self._counts = array("i"), array("i")

    def build(self, k1: float = 1.2, b: float = 0.75) -> LexicalIndex:
        """Score the spilled pairs (bm25s's Lucene variant) into its CSC matrix; removes the spill files.

        The scores are computed a chunk of pairs at a time (the same elementwise formulas,
        so the same values) and each array is let go as soon as it is used: at a million
        passages the pairs number tens of millions, and whole-array temporaries cost GBs.
        """
        bm25s = _bm25s()
        from bm25s.scoring import _score_tfc_lucene

        self._spill()
        terms = np.fromfile(self.folder / "terms.i32", dtype=np.int32)
        counts = np.fromfile(self.folder / "counts.i32", dtype=np.int32)
        shutil.rmtree(self.folder, ignore_errors=True)
        lengths = np.frombuffer(self._lengths, dtype=np.int32)
        distinct = np.frombuffer(self._distinct, dtype=np.int32)
        if "" not in self.vocab:
            self.vocab[""] = len(self.vocab)  # as bm25s's create_empty_token does
        n_vocab = len(self.vocab)
        df = np.bincount(terms, minlength=n_vocab)
        # bm25s.scoring._score_idf_lucene, for all terms at once (0 for the unused empty token).
        idf = np.where(df > 0, np.log(1 + (self.size - df + 0.5) / (df + 0.5)), 0.0).astype(np.float32)
        average = float(lengths.mean()) if self.size else 0.0
        owner = np.repeat(np.arange(self.size, dtype=np.int32), distinct)  # each pair's passage
        scores = np.empty(len(terms), dtype=np.float32)
        for lo in range(0, len(terms), self.CHUNK):
            hi = lo + self.CHUNK
            tfc = _score_tfc_lucene(counts[lo:hi].astype(np.float32), l_d=lengths[owner[lo:hi]], l_avg=average,
                                    k1=k1, b=b)
            scores[lo:hi] = idf[terms[lo:hi]] * tfc
        del counts
        # Column-major by term, rows (passages) ascending within a term: bm25s's CSC layout.
        order = np.argsort(terms, kind="stable")
        del terms
        data = scores[order]
        del scores
        indices = owner[order]
        del owner, order
        indptr = np.zeros(n_vocab + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        retriever = bm25s.BM25(k1=k1, b=b, method="lucene")
        retriever.scores = {"data": data, "indices": indices, "indptr": indptr, "num_docs": self.size}
        retriever.vocab_dict = self.vocab
        retriever.unique_token_ids_set = set(self.vocab.values())
        retriever.nonoccurrence_array = None
        return LexicalIndex(retriever)

