"""The ``Embedder`` protocol every backend implements, and the late chunking they share.

``embed(texts)`` returns L2-normalised float32 vectors, one row per text.
``embed_with_spans(texts, spans)`` also returns one vector per character span of each
text, pooled from the token embeddings of the same forward pass ("late chunking"): the
highlight gets sentence vectors at index time for free, instead of a second model call
per question. ``name`` identifies the vectors (a change means the index is rebuilt) and
``dimension`` is their width.

``TokenEmbedder`` implements ``embed_with_spans`` once, for every backend whose forward
pass yields token embeddings with character offsets (``_forward``); the torch and ONNX
backends are its subclasses. A test double need only implement the protocol.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

Spans = Sequence[tuple[int, int]]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts, and character spans inside them, into normalised vectors."""

    name: str  # identifies the vectors: a change means the index must be rebuilt

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_with_spans(self, texts: Sequence[str], spans: Sequence[Spans]) -> tuple[np.ndarray, list[np.ndarray]]: ...


@dataclass(frozen=True)
class Forward:
    """What one forward pass gives for one text: its pooled vector and its token embeddings."""

    vector: np.ndarray  # pooled; normalised later
    tokens: np.ndarray  # (n_tokens, dim), special tokens included
    offsets: np.ndarray  # (n_tokens, 2) character offsets into the text; (0, 0) for special tokens


class TokenEmbedder(ABC):
    """A model whose forward pass gives token embeddings: span vectors come from the same pass.

    Subclasses load their model lazily and implement ``embed`` and ``_forward``; calls are
    serialised by ``_lock`` (Hugging Face fast tokenizers fail when used from two threads).
    """

    name: str

    def __init__(self) -> None:
        self._lock = threading.RLock()

    @property
    @abstractmethod
    def dimension(self) -> int: ...

    @abstractmethod
    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    @abstractmethod
    def _forward(self, texts: Sequence[str]) -> Iterator[tuple[int, Forward]]:
        """(position, forward pass) of each of ``texts``, in any order, a batch at a time.

        A generator, so that only one batch's token embeddings are held at once.
        """

    def embed_with_spans(self, texts: Sequence[str], spans: Sequence[Spans]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Text vectors, and for each text one vector per (start, end) character span.

        A span vector is the normalised mean of the token embeddings inside the span,
        taken from the forward pass that produced the text vector. A span cut off by
        the model's token limit is embedded on its own instead.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        text_vectors: np.ndarray | None = None
        span_vectors: list[np.ndarray] = [np.zeros(0)] * len(texts)
        missing: list[tuple[int, int, str]] = []
        with self._lock:
            for i, forward in self._forward(texts):
                if text_vectors is None:
                    text_vectors = np.empty((len(texts), forward.vector.shape[-1]), dtype=np.float32)
                text_vectors[i] = forward.vector
                tokens = forward.tokens[: len(forward.offsets)]
                starts, ends = forward.offsets[:, 0], forward.offsets[:, 1]
                real = ends > starts  # special tokens have (0, 0)
                vectors = np.zeros((len(spans[i]), tokens.shape[1]), dtype=np.float32)
                for j, (lo, hi) in enumerate(spans[i]):
                    inside = real & (starts < hi) & (ends > lo)
                    if inside.any():
                        vectors[j] = tokens[inside].mean(axis=0)
                    else:
                        missing.append((i, j, texts[i][lo:hi]))
                span_vectors[i] = vectors
        assert text_vectors is not None
        return self._completed(text_vectors, span_vectors, missing)

    def _completed(self, text_vectors: np.ndarray, span_vectors: list[np.ndarray],
                   missing: list[tuple[int, int, str]]) -> tuple[np.ndarray, list[np.ndarray]]:
        """``embed_with_spans``'s last step, whichever backend pooled the spans: a span past the model's token
        limit (``missing``: text, span, its text) is embedded alone; then every vector is scaled to unit length."""
        if missing:
            filled = self.embed([text for _, _, text in missing])
            for (i, j, _), vector in zip(missing, filled, strict=True):
                span_vectors[i][j] = vector
        normalise(text_vectors)
        for vectors in span_vectors:
            normalise(vectors)
        return text_vectors, span_vectors


def normalise(vectors: np.ndarray) -> None:
    """Scale each row to unit length, in place."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    np.divide(vectors, np.maximum(norms, 1e-12), out=vectors)
