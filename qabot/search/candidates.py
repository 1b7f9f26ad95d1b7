"""Candidates: the passages the dense and BM25 searches found, fused into one score.

``fuse`` combines the two searches' scores in the core, the same for every engine:
a convex combination of the cosine and of BM25 divided by the question's best BM25
score (the default, what qabot is tuned for), or reciprocal rank fusion.

``Pool`` holds every candidate of one question as parallel arrays (rows, vectors,
scores, and each candidate's run of sentence scores in one flat array), so that scoring
and ranking a hundred or more candidates is a few numpy operations, not a Python object
and a method call per candidate. Stored rows are fetched only for the candidates that
get looked at.
"""

from __future__ import annotations

import numpy as np

from qabot.index.engine import Candidates, Evidence, PassageRow, run_starts
from qabot.search.config import RetrievalConfig


def fuse(found: Candidates, config: RetrievalConfig) -> np.ndarray:
    """One fused score per candidate row."""
    if config.fusion == "rrf":
        # Scaled so that a passage ranked first by both scores dense_weight + lexical_weight.
        fused = np.zeros(len(found.rows), dtype=np.float32)
        for weight, ranked in ((config.dense_weight, found.dense_rows), (config.lexical_weight, found.lexical_rows)):
            at = np.searchsorted(found.rows, ranked)
            fused[at] += weight * (config.rrf_k + 1) / (config.rrf_k + np.arange(1, len(ranked) + 1))
        return fused
    return config.dense_weight * found.dense + config.lexical_weight * found.lexical / found.top_lexical


class Pool:
    """The candidates of one question, best first after ``rank``.

    Positions index the arrays (the engine's order); ``order`` lists the positions from
    the best-scoring down. ``score`` is what the retrieval mode ranks by and
    ``confidence`` the hybrid evidence that abstention compares, whatever the mode.
    """

    def __init__(self, found: Candidates, fused: np.ndarray, coverage: np.ndarray, evidence: Evidence,
                 sentence_scores: np.ndarray, config: RetrievalConfig) -> None:
        self.config = config
        self.rows = found.rows
        self.vectors = found.vectors
        self.dense = found.dense.astype(np.float64)
        self.lexical = found.lexical.astype(np.float64)
        self.fused = np.asarray(fused).astype(np.float64)
        self.coverage = np.asarray(config.passage_coverage_weight * coverage).astype(np.float64)
        self.counts = evidence.counts
        self.flags = evidence.flags  # per sentence, as the index stored them (None: not stored)
        self.starts = run_starts(evidence.counts)
        self.sentence_scores = sentence_scores  # flat, candidate by candidate; adjusted in place
        self.passages: list[PassageRow | None] = [None] * len(self.rows)
        self.doc = np.full(len(self.rows), -1)  # each candidate's document, once its row is read
        self.score = np.zeros(len(self.rows))
        self.bonus = np.zeros(len(self.rows))  # added to ``score`` in hybrid mode (an exchange with an accepted answer)
        self.confidence = np.zeros(len(self.rows))
        self.order = np.arange(len(self.rows))
        self.rescore()

    def __len__(self) -> int:
        return len(self.rows)

    def sentence_flags(self, position: int) -> np.ndarray | None:
        """The stored ``chunking.sentence_flags`` of the candidate at ``position``'s sentences."""
        return None if self.flags is None else self.flags[self.starts[position] : self.starts[position + 1]]

    def sentences(self, position: int) -> np.ndarray:
        """The sentence scores of the candidate at ``position`` (a view: adjusting it adjusts the pool)."""
        return self.sentence_scores[self.starts[position] : self.starts[position + 1]]

    def rescore(self) -> None:
        """Score and confidence of every candidate, from its fused score and its sentence evidence."""
        best = np.zeros(len(self.rows), dtype=self.sentence_scores.dtype)
        has = self.counts > 0
        if has.any():
            best[has] = np.maximum.reduceat(self.sentence_scores, self.starts[:-1][has])
        support = np.maximum(best, 0).astype(np.float64) + self.coverage
        # Absolute, unlike ``fused`` (BM25 is scaled by the query's best score, so some
        # passage always gets the full lexical weight): comparable across questions.
        self.confidence = self.config.confidence_dense_weight * self.dense + support
        mode = self.config.retrieval_mode
        self.score = self.dense if mode == "dense" else self.lexical if mode == "bm25" else self.fused + support + self.bonus

    def rank(self) -> None:
        """Order the candidates best first; ties keep their current order."""
        self.order = self.order[np.argsort(-self.score[self.order], kind="stable")]
