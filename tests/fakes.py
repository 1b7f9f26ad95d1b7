"""A small deterministic stand-in for the embedding model, for tests where the model is not under test.

``HashEmbedder`` embeds a text as a hashed bag of its words (folded, stopwords dropped),
as simonw/llm's ``EmbedDemo`` does: instant, the same vector every time, and texts that
share words are near each other, so retrieval over it still finds the passage that
uses the question's words. Tests of formatting, adapters, chunking, the store, the
manifest and the CLI use it; the model itself is tested by the real-model tier.

``install()`` makes ``qabot.embedding.make_embedder`` return it, for a ``qabot``
process started by a test (see ``tests/fake_qabot.py``).
"""

from __future__ import annotations

import os
import time
import zlib
from collections.abc import Sequence

import numpy as np

from qabot.embedding import Spans
from qabot.index.lexical import words

DIMENSION = 256


class HashEmbedder:
    """Hashed bag-of-words vectors (signed feature hashing), L2-normalised."""

    name = f"test/hashed-words-{DIMENSION}"
    dimension = DIMENSION

    def __init__(self, delay: float = 0.0, mark: str | None = None, fast: int = 0) -> None:
        self.delay = delay  # seconds per call: lets a test catch a build in the middle
        self.mark = mark  # a file that gets a line at each call: when the build is embedding
        self.fast = fast  # calls made at once before the delay starts
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        if self.mark:
            with open(self.mark, "a", encoding="utf-8") as handle:
                handle.write(f"{len(texts)}\n")
        if self.delay and self.calls > self.fast:
            time.sleep(self.delay)
        vectors = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in words(text):
                code = zlib.crc32(word.encode("utf-8", "surrogatepass"))
                vectors[row, code % DIMENSION] += 1.0 if code & (1 << 31) else -1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    def embed_with_spans(self, texts: Sequence[str], spans: Sequence[Spans]) -> tuple[np.ndarray, list[np.ndarray]]:
        pieces = [text[lo:hi] for text, pairs in zip(texts, spans, strict=True) for lo, hi in pairs]
        flat = self.embed(pieces) if pieces else np.zeros((0, DIMENSION), dtype=np.float32)
        out, cursor = [], 0
        for pairs in spans:
            out.append(flat[cursor : cursor + len(pairs)])
            cursor += len(pairs)
        return self.embed(texts), out


def install() -> None:
    """Make every embedder this process creates a ``HashEmbedder``: QABOT_TEST_EMBED_DELAY slows it (after the first
    QABOT_TEST_EMBED_FAST calls), QABOT_TEST_EMBED_MARK names a file that gets a line at each call, QABOT_TEST_BATCH
    sets the passages per model call (``qabot.index.ingest.BATCH``)."""
    import qabot.embedding
    import qabot.index.ingest

    delay = float(os.environ.get("QABOT_TEST_EMBED_DELAY", "0") or 0)
    mark = os.environ.get("QABOT_TEST_EMBED_MARK") or None
    fast = int(os.environ.get("QABOT_TEST_EMBED_FAST", "0") or 0)
    qabot.embedding.make_embedder = lambda _settings: HashEmbedder(delay, mark, fast)
    if os.environ.get("QABOT_TEST_BATCH"):
        qabot.index.ingest.BATCH = int(os.environ["QABOT_TEST_BATCH"])
