"""Text embeddings: the ``Embedder`` protocol, its torch and ONNX backends, and ``make_embedder``.

``make_embedder(settings)`` is the one factory: it reads the model, backend, device and
batch size from ``Settings`` and returns an embedder that loads its model lazily, on the
first call, offline. ``QABOT_EMBEDDING_BACKEND=auto`` (the default) is onnx when
onnxruntime is installed (the onnx extra, which ``make`` installs), else torch:
docs/performance.md has the measurements behind that choice.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import TYPE_CHECKING

from qabot.embedding.base import Embedder, Forward, Spans, TokenEmbedder
from qabot.errors import ModelError

if TYPE_CHECKING:
    from qabot.settings import Settings

log = logging.getLogger(__name__)

GPU_BATCH = 256  # texts per forward pass on a CUDA device, unless QABOT_EMBEDDING_BATCH_SIZE says otherwise

__all__ = ["Embedder", "Forward", "Spans", "TokenEmbedder", "make_embedder", "resolve_backend"]


def resolve_backend(backend: str) -> str:
    """The backend ``backend`` names: ``auto`` is onnx when onnxruntime is installed, else torch."""
    if backend != "auto":
        return backend
    return "onnx" if importlib.util.find_spec("onnxruntime") is not None else "torch"


def make_embedder(settings: Settings) -> Embedder:
    """The embedder ``settings`` describe; the ONNX export goes to ``<index_dir>/models``."""
    backend = resolve_backend(settings.embedding_backend)
    if backend == "onnx":
        from qabot.embedding.onnx import OnnxEmbedder

        if settings.device != "cpu":
            log.warning("QABOT_DEVICE=%s is for the torch backend; the onnx backend runs on the CPU "
                        "(QABOT_EMBEDDING_BACKEND=torch uses the device)", settings.device)

        return OnnxEmbedder(
            settings.embedding_model, batch_size=settings.embedding_batch_size, export_dir=settings.index_dir / "models"
        )
    if backend == "torch":
        from qabot.embedding.torch import TorchEmbedder

        batch = settings.embedding_batch_size
        if settings.device.startswith("cuda") and "embedding_batch_size" not in settings.model_fields_set:
            batch = GPU_BATCH  # a GPU is starved by a CPU's batch size
        return TorchEmbedder(settings.embedding_model, device=settings.device, batch_size=batch)
    raise ModelError(f"embedding backend {backend!r} is not available; use 'onnx' or 'torch'")
