"""The ONNX backend: the model exported to int8 (``qabot.embedding.export``) and run by ONNX Runtime.

On a 2-core CPU the model is qabot's one real cost, so it is worth running it on the
fastest engine there is. Mean pooling and normalisation, the two modules that follow
the transformer in all-MiniLM-L6-v2, are a few numpy lines; the tokenizer is the
model's own ``tokenizer.json`` through the ``tokenizers`` library, whose offsets also
give the sentence vectors of ``embed_with_spans``. Running needs only onnxruntime,
tokenizers and numpy: neither torch nor sentence-transformers is imported (torch is
needed once, to export), which also makes a cold start faster.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from qabot.embedding.base import Forward, TokenEmbedder, normalise
from qabot.embedding.export import RECIPE, export_int8, require_onnxruntime
from qabot.embedding.model import cached_hub_folder, resolve_model
from qabot.errors import ModelError
from qabot.settings import PACKAGED_MODEL
from qabot.text import first_line

log = logging.getLogger(__name__)

# Tokens in one model pass, padding included: 64 texts of 32 tokens, or 8 of 256. A pass
# over 1,024 passages of 256 tokens at once held gigabytes of attention scores.
TOKEN_BUDGET = 2048


class OnnxEmbedder(TokenEmbedder):
    """The model as int8 ONNX, exported into ``export_dir`` on first use and reused after."""

    def __init__(self, model: str = PACKAGED_MODEL, *, batch_size: int = 64, export_dir: Path | None = None) -> None:
        super().__init__()
        self.model_name, self.location, self.fingerprint = resolve_model(model)
        # Another export recipe means other vectors: the index is rebuilt rather than mixed.
        self.name = f"{self.model_name}@{RECIPE}"
        self.batch_size = batch_size
        self.export_dir = export_dir
        self._runtime: OnnxRuntime | None = None

    @property
    def runtime(self) -> OnnxRuntime:
        if self._runtime is None:
            with self._lock:
                if self._runtime is None:
                    self._runtime = self._load()
        return self._runtime

    def _load(self) -> OnnxRuntime:
        require_onnxruntime()
        source = Path(self.location)
        if not source.is_dir():
            source = cached_hub_folder(self.location)
        export_dir = Path(self.export_dir) if self.export_dir else source.parent / ".qabot-models"
        model_file = export_int8(source, export_dir, self.model_name, self.fingerprint)
        try:
            return OnnxRuntime(model_file, source)
        except ModelError as exc:
            # A truncated or damaged export (a full disk, a copy cut short): redo it once.
            log.warning("the ONNX export %s cannot be loaded (%s); exporting it again", model_file.parent.name, exc)
            shutil.rmtree(model_file.parent, ignore_errors=True)
            return OnnxRuntime(export_int8(source, export_dir, self.model_name, self.fingerprint), source)

    @property
    def dimension(self) -> int:
        return int(self.runtime.dimension)

    @property
    def max_tokens(self) -> int:
        return int(self.runtime.max_tokens)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        with self._lock:
            for i, forward in self.runtime.forward(texts, self.batch_size):
                vectors[i] = forward.vector
        normalise(vectors)
        return vectors

    def _forward(self, texts: Sequence[str]) -> Iterator[tuple[int, Forward]]:
        return self.runtime.forward(texts, self.batch_size)


class OnnxRuntime:
    """An exported model, its tokenizer and its pooling: texts in, vectors and token embeddings out."""

    def __init__(self, model_file: Path, source: Path, threads: int | None = None) -> None:
        ort = require_onnxruntime()
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle worker threads sleep instead of spinning: on a small shared CPU (a bot beside
        # other processes) spinning steals the cores the work needs; measured faster here.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
            self.tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
        except Exception as exc:
            raise ModelError(f"cannot load the ONNX model {model_file}: {first_line(exc)}") from exc
        self.max_tokens = _max_tokens(source)
        self.tokenizer.enable_truncation(self.max_tokens)
        self.tokenizer.no_padding()
        self.pooling = _pooling(source)
        self.inputs = {i.name for i in self.session.get_inputs()}
        width = self.session.get_outputs()[0].shape[-1]
        self.dimension = width if isinstance(width, int) else int(next(self.forward(["dimension"]))[1].vector.shape[0])

    def forward(self, texts: Sequence[str], batch_size: int = 64) -> Iterator[tuple[int, Forward]]:
        """(position, forward pass) of each text, a batch at a time, in no particular order.

        Texts are grouped by length, so that padding stays small, and a batch holds at most
        ``TOKEN_BUDGET`` tokens (fewer texts when they are long), so that the memory one
        pass needs stays bounded whatever the texts; each batch's token embeddings are
        dropped once the caller has taken what it needs from them.
        """
        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        lo = 0
        while lo < len(order):
            width = len(encodings[order[min(len(order), lo + batch_size) - 1]].ids)
            rows = max(1, min(batch_size, TOKEN_BUDGET // max(1, width)))
            batch = order[lo : lo + rows]
            lo += rows
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, i in enumerate(batch):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            tokens = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]
            for row, i in enumerate(batch):
                n = len(encodings[i].ids)
                own = tokens[row, :n]
                yield i, Forward(self._pool(own), own, np.asarray(encodings[i].offsets, dtype=np.int64).reshape(-1, 2))

    def _pool(self, tokens: np.ndarray) -> np.ndarray:
        if self.pooling == "cls":
            return tokens[0].astype(np.float32)
        if self.pooling == "max":
            return tokens.max(axis=0).astype(np.float32)
        return tokens.mean(axis=0, dtype=np.float32)


def _max_tokens(source: Path) -> int:
    try:
        return int(json.loads((source / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return 256


def _pooling(source: Path) -> str:
    """'mean', 'cls' or 'max', from the sentence-transformers pooling module's config."""
    for config in sorted(source.glob("*_Pooling/config.json")):
        try:
            settings = json.loads(config.read_text())
        except (OSError, ValueError):
            continue
        if settings.get("pooling_mode_cls_token"):
            return "cls"
        if settings.get("pooling_mode_max_tokens"):
            return "max"
        if settings.get("pooling_mode_mean_sqrt_len_tokens"):
            raise ModelError("the onnx backend supports mean, cls and max pooling only; use QABOT_EMBEDDING_BACKEND=torch")
        return "mean"
    return "mean"
