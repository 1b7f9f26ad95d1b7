"""Synthetic data for the scale runs: random vectors standing in for the model, and generated passages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qabot.embedding import Spans


class SyntheticEmbedder:
    """Stands in for the model at scale: random unit vectors, no model cost.

    Real sentence embeddings are far from isotropic: they lie near a low-dimensional
    set. So the vectors are Gaussian in ``intrinsic`` dimensions, mapped into the
    model's 384 by a fixed random matrix, plus a little isotropic noise, then
    normalised. Sentence vectors are their passage's vector, jittered.
    """

    def __init__(self, dimension: int = 384, intrinsic: int = 32, noise: float = 0.05, seed: int = 0) -> None:
        self.name = f"synthetic-{dimension}d-{intrinsic}i"
        self.dimension = dimension
        self.noise = noise
        self._rng = np.random.default_rng(seed)
        self._basis = np.random.default_rng(1234).standard_normal((intrinsic, dimension)).astype(np.float32)
        self._basis /= np.sqrt(intrinsic)

    def draw(self, n: int) -> np.ndarray:
        z = self._rng.standard_normal((n, self._basis.shape[0]), dtype=np.float32)
        vectors = z @ self._basis + self.noise * self._rng.standard_normal((n, self.dimension), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.draw(len(texts))

    def embed_with_spans(self, texts: Sequence[str], spans: Sequence[Spans]) -> tuple[np.ndarray, list[np.ndarray]]:
        vectors = self.draw(len(texts))
        counts = [len(pairs) for pairs in spans]
        jitter = np.repeat(vectors, counts, axis=0)
        jitter += 0.02 * self._rng.standard_normal(jitter.shape, dtype=np.float32)
        jitter /= np.linalg.norm(jitter, axis=1, keepdims=True)
        return vectors, np.split(jitter, np.cumsum(counts)[:-1])


WORDS = """archive meeting council river harbour letter treaty railway strike election museum garden bridge
        winter festival library engineer harvest journal protest printer lantern orchard market
        theatre cathedral mill school canal quarry factory colony frontier island valley summit
        village province charter ledger minutes secretary committee budget survey census voyage
        expedition observatory telescope vaccine clinic hospital""".split()


def write_synthetic_corpus(path: Path, passages: int, seed: int = 0) -> None:
    """A .jsonl file of ``passages`` one-passage documents of generated sentences, written in chunks."""
    rng = np.random.default_rng(seed)
    vocabulary = np.array([f"{w}{i}" if i else w for i in range(40) for w in WORDS])  # ~3,000 words
    weights = 1 / np.arange(1, len(vocabulary) + 1)  # Zipf-like: a few words are common
    weights /= weights.sum()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for lo in range(0, passages, 10_000):
            n = min(10_000, passages - lo)
            words = rng.choice(vocabulary, size=(n, 3, 14), p=weights)
            lines = []
            for i in range(n):
                sentences = " ".join(" ".join(s).capitalize() + "." for s in words[i])
                lines.append(json.dumps({"_id": f"s{lo + i}", "title": "", "text": sentences}))
            out.write("\n".join(lines) + "\n")
