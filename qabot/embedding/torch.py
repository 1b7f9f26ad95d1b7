"""The torch backend: the model run by sentence-transformers on torch (``QABOT_EMBEDDING_BACKEND=torch``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from qabot.embedding.base import Forward, Spans, TokenEmbedder
from qabot.embedding.model import model_error, offline_environment, resolve_model
from qabot.errors import ModelError
from qabot.settings import PACKAGED_MODEL

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


class TorchEmbedder(TokenEmbedder):
    """A sentence-transformers model, loaded on first use."""

    def __init__(self, model: str = PACKAGED_MODEL, *, device: str = "cpu", batch_size: int = 64) -> None:
        super().__init__()
        self.model_name, self.location, _ = resolve_model(model)
        self.name = self.model_name  # the manifest's model: another backend's vectors differ
        self.device = device
        self.batch_size = batch_size
        self._model: SentenceTransformer | None = None

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> SentenceTransformer:
        offline_environment()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - a broken install
            raise ModelError(f"sentence-transformers cannot be imported: {exc}") from exc
        try:
            return SentenceTransformer(self.location, device=self.device, local_files_only=True)
        except Exception as exc:
            raise ModelError(model_error(self.location, exc, self.device)) from exc

    @property
    def dimension(self) -> int:
        size = self.model.get_embedding_dimension()
        return int(size) if size else int(self.embed(["dimension probe"]).shape[1])

    @property
    def max_tokens(self) -> int:
        return int(getattr(self.model, "max_seq_length", 256) or 256)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self.model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_with_spans(self, texts: Sequence[str], spans: Sequence[Spans]) -> tuple[np.ndarray, list[np.ndarray]]:
        """``TokenEmbedder.embed_with_spans``, done where the model runs: on a GPU, the span means too.

        One tokenization per batch (with the characters each token covers), one forward pass,
        then every span of the batch pooled at once as a masked matrix product on the model's
        device, and one copy of the batch's vectors to the host. The generic path tokenizes
        twice, copies each text's token embeddings and pools span by span in numpy: on a CPU
        with the int8 model that hides behind the model, on a GPU it is most of a build.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        model = self.model  # first: loading it sets the quiet, offline environment the imports below read
        import torch
        from sentence_transformers.util import batch_to_device

        text_vectors: np.ndarray | None = None
        span_vectors: list[np.ndarray] = [np.zeros(0)] * len(texts)
        missing: list[tuple[int, int, str]] = []
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with self._lock, torch.inference_mode():
            for lo in range(0, len(order), self.batch_size):
                batch = order[lo : lo + self.batch_size]
                features = model.preprocess([texts[i] for i in batch],
                                            processing_kwargs={"text": {"return_offsets_mapping": True}})
                offsets = features.pop("offset_mapping")
                out = model(batch_to_device(features, model.device))
                tokens = out["token_embeddings"]  # (batch, tokens, dimension)
                offsets = offsets.to(tokens.device)
                starts, ends = offsets[..., 0], offsets[..., 1]
                real = out["attention_mask"].bool() & (ends > starts)  # special and padding tokens cover nothing
                widest = max(1, max(len(spans[i]) for i in batch))
                bounds = torch.zeros((len(batch), widest, 2), dtype=torch.long)  # (0, 0): a padding span, empty
                for b, i in enumerate(batch):
                    if len(spans[i]):
                        bounds[b, : len(spans[i])] = torch.as_tensor(spans[i], dtype=torch.long)
                bounds = bounds.to(tokens.device)
                inside = real[:, None, :] & (starts[:, None, :] < bounds[..., 1:]) & (ends[:, None, :] > bounds[..., :1])
                counts = inside.sum(dim=-1)
                means = torch.bmm(inside.to(tokens.dtype), tokens) / counts.clamp(min=1).unsqueeze(-1).to(tokens.dtype)
                pooled = out["sentence_embedding"].float().cpu().numpy()
                means_host, counts_host = means.float().cpu().numpy(), counts.cpu().numpy()
                if text_vectors is None:
                    text_vectors = np.empty((len(texts), pooled.shape[1]), dtype=np.float32)
                for b, i in enumerate(batch):
                    text_vectors[i] = pooled[b]
                    own = np.ascontiguousarray(means_host[b, : len(spans[i])])
                    for j in np.flatnonzero(counts_host[b, : len(spans[i])] == 0).tolist():
                        lo_, hi_ = spans[i][j]
                        missing.append((i, j, texts[i][lo_:hi_]))  # cut off by the token limit: embedded alone
                    span_vectors[i] = own
        assert text_vectors is not None
        return self._completed(text_vectors, span_vectors, missing)

    def _forward(self, texts: Sequence[str]) -> Iterator[tuple[int, Forward]]:
        """A batch at a time, texts sorted by length (as sentence-transformers sorts them), so
        that only one batch's token embeddings are held at once."""
        model = self.model
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for lo in range(0, len(order), self.batch_size):
            batch = order[lo : lo + self.batch_size]
            chunk = [texts[i] for i in batch]
            outputs = model.encode(chunk, batch_size=self.batch_size, output_value=None, show_progress_bar=False)
            encoded = model.tokenizer(
                chunk, return_offsets_mapping=True, truncation=True, max_length=self.max_tokens, add_special_tokens=True
            )
            for i, output, offsets in zip(batch, outputs, encoded["offset_mapping"], strict=True):
                yield i, Forward(
                    _as_numpy(output["sentence_embedding"]),
                    _as_numpy(output["token_embeddings"]),
                    np.asarray(offsets, dtype=np.int64).reshape(-1, 2),
                )


def _as_numpy(tensor: Any) -> np.ndarray:
    return tensor.detach().float().cpu().numpy()
