"""Candidates: the passages the dense and BM25 searches found, fused into one score.

``fuse`` combines the two searches' scores in the core, the same for every engine:
a convex combination of the cosine and of BM25 divided by the question's best BM25
score (the default, what qabot is tuned for), or reciprocal rank fusion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qabot.index.engine import Candidates, PassageRow
from qabot.search.config import RetrievalConfig


@dataclass
class Candidate:
    """A passage that may answer: its scores, and (once fetched) its stored row."""

    row: int
    vector: np.ndarray
    dense: float
    lexical: float
    fused: float
    coverage: float  # passage_coverage_weight * the passage's coverage of the question
    sentence_scores: np.ndarray  # one per sentence of the passage
    score: float = 0.0  # what the mode ranks by
    confidence: float = 0.0  # the hybrid evidence, whatever the mode: what abstention compares
    passage: PassageRow | None = None

    def rescore(self, config: RetrievalConfig) -> None:
        """Score and confidence from the fused score and the sentence evidence."""
        support = float(self.sentence_scores.max(initial=0.0)) + self.coverage
        # Absolute, unlike ``fused`` (BM25 is scaled by the query's best score, so some
        # passage always gets the full lexical weight): comparable across questions.
        self.confidence = config.confidence_dense_weight * self.dense + support
        self.score = {"dense": self.dense, "bm25": self.lexical}.get(config.retrieval_mode, self.fused + support)


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
