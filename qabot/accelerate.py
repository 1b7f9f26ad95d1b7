"""The accelerated backend: the embedding model exported to ONNX, int8, run by ONNX Runtime.

On a 2-core CPU the model is qabot's one real cost, so it is worth running it on the
fastest engine there is. ``QABOT_EMBEDDING_BACKEND=onnx`` does three things, all
locally and without the network:

1. **Export.** The Hugging Face model under the sentence-transformers folder is traced
   with ``torch.onnx.export`` into a graph whose output is the token embeddings.
2. **Quantise.** ``onnxruntime.quantization.quantize_dynamic`` turns its weights into
   int8, per output channel (what sentence-transformers' ``avx512_vnni`` dynamic
   quantisation config does; per-tensor int8 costs this model far more accuracy).
3. **Run.** ONNX Runtime runs the graph; mean pooling and normalisation, the two
   modules that follow the transformer in all-MiniLM-L6-v2, are a few numpy lines.
   The tokenizer is the model's own ``tokenizer.json`` through the ``tokenizers``
   library, whose offsets also give the sentence vectors of ``embed_with_spans``.

Why not sentence-transformers' own ``backend="onnx"`` and
``export_dynamic_quantized_onnx_model``? They run on ``optimum-onnx``, whose releases
require ``transformers<4.58``, while sentence-transformers 6 requires
``transformers>=5``: the two cannot be installed together. The steps above are the
same ones those functions take, done with the libraries underneath them.

The exported model is cached in ``<index_dir>/models/<name>-<key>/`` (written to a
temporary folder and renamed into place, so a crash never leaves half a model) and
reused by every later run; the key changes with the model's files and the export
recipe. Running it needs only ``onnxruntime``, ``tokenizers`` and numpy: neither torch
nor sentence-transformers is imported, which also makes a cold start faster.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qabot.embedder import Forward
from qabot.errors import ModelError

log = logging.getLogger(__name__)

RECIPE = "onnx-int8-v2"  # bump when the export below changes: cached exports are then redone
MODEL_FILE = "model-int8.onnx"
EXTRA_HINT = "install the onnx extra (pip install -e '.[onnx]') or set QABOT_EMBEDDING_BACKEND=torch"


def require_onnxruntime():  # noqa: ANN201 - the onnxruntime module
    try:
        import onnxruntime
    except ImportError as exc:
        raise ModelError(f"the onnx embedding backend needs onnxruntime: {EXTRA_HINT}") from exc
    return onnxruntime


def load_accelerated(embedder) -> OnnxModel:  # noqa: ANN001 - SentenceTransformerEmbedder
    """The runtime for ``embedder``'s model and backend, exported first if it is not cached."""
    if embedder.backend != "onnx":
        raise ModelError(
            f"embedding backend {embedder.backend!r} is not available in this build; use 'onnx' or 'torch'"
        )
    require_onnxruntime()
    source = Path(embedder.location)
    if not source.is_dir():
        source = _cached_hub_folder(embedder.location)
    export_dir = Path(embedder.export_dir) if embedder.export_dir else source.parent / ".qabot-models"
    model_file = export_int8(source, export_dir, embedder.model_name)
    return OnnxModel(model_file, source)


def export_int8(source: Path, export_dir: Path, name: str) -> Path:
    """The int8 ONNX file for the model in ``source``, exported into ``export_dir`` unless already there."""
    target = export_dir / f"{_slug(name)}-{_export_key(source)}"
    model_file = target / MODEL_FILE
    if model_file.is_file():
        return model_file
    require_onnxruntime()
    export_dir.mkdir(parents=True, exist_ok=True)
    tmp = export_dir / f".tmp-{uuid.uuid4().hex[:12]}"
    tmp.mkdir()
    try:
        log.info("exporting %s to ONNX int8 in %s (once)", name, target)
        _export_fp32(source, tmp / "model.onnx")
        _quantize(tmp / "model.onnx", tmp / MODEL_FILE)
        (tmp / "model.onnx").unlink()
        (tmp / "export.json").write_text(json.dumps({"model": name, "source": str(source), "recipe": RECIPE}))
        try:
            tmp.rename(target)
        except OSError:
            # Another process exported the same model meanwhile: use its copy.
            if not model_file.is_file():
                raise
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001 - torch, onnx and onnxruntime each fail their own way
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"cannot export {name} to ONNX: {first}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return model_file


def _export_fp32(source: Path, out: Path) -> None:
    import torch
    from transformers import AutoModel

    try:
        import onnx  # noqa: F401 - the quantiser needs it; fail before the slow export
    except ImportError as exc:
        raise ModelError(f"the onnx embedding backend needs the onnx package: {EXTRA_HINT}") from exc
    try:
        # Eager attention traces to plain MatMul/Softmax. The default (SDPA) traces to a
        # graph with a Where and an IsNaN per layer that cost ~20 % of every forward pass.
        model = AutoModel.from_pretrained(str(source), local_files_only=True, attn_implementation="eager")
    except (TypeError, ValueError):  # a model class without that option
        model = AutoModel.from_pretrained(str(source), local_files_only=True)
    model.eval()

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001, ANN202
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    example = tuple(torch.ones(2, 8, dtype=torch.long) for _ in names)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notices
        # dynamo=False: the TorchScript exporter needs no onnxscript and handles BERT fully.
        torch.onnx.export(
            TokenEmbeddings(model),
            example,
            str(out),
            dynamo=False,
            input_names=names,
            output_names=["token_embeddings"],
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "token_embeddings"]},
            opset_version=17,
        )


def _quantize(fp32: Path, int8: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    was = root.disabled
    root.disabled = True  # it logs a "consider pre-processing" hint through the root logger
    try:
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.disabled = was


def _export_key(source: Path) -> str:
    """Changes when the model's files or the export recipe change."""
    digest = hashlib.blake2b(RECIPE.encode(), digest_size=6)
    for path in sorted(source.rglob("*")):
        if path.is_file() and path.suffix in {".json", ".safetensors", ".bin", ".txt"}:
            stat = path.stat()
            digest.update(f"{path.relative_to(source).as_posix()}:{stat.st_size}".encode())
            if stat.st_size < 1 << 20:  # small config files: by content; weights: by name and size
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name.split("/")[-1])[:60]


def _cached_hub_folder(repo: str) -> Path:
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo, local_files_only=True))
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"embedding model {repo!r} is not a local folder and is not in the Hugging Face cache") from exc


class OnnxModel:
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
        except Exception as exc:  # noqa: BLE001
            raise ModelError(f"cannot load the ONNX model {model_file}: {exc}") from exc
        self.max_tokens = _max_tokens(source)
        self.tokenizer.enable_truncation(self.max_tokens)
        self.tokenizer.no_padding()
        self.pooling = _pooling(source)
        self.inputs = {i.name for i in self.session.get_inputs()}
        width = self.session.get_outputs()[0].shape[-1]
        self.dimension = width if isinstance(width, int) else int(self.forward(["dimension"])[0].vector.shape[0])

    def forward(self, texts: Sequence[str], batch_size: int = 64) -> list[Forward]:
        """One pass per batch; texts are grouped by length so that padding stays small."""
        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out: list[Forward | None] = [None] * len(texts)
        for lo in range(0, len(order), batch_size):
            batch = order[lo : lo + batch_size]
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
                out[i] = Forward(self._pool(own), own, np.asarray(encodings[i].offsets, dtype=np.int64).reshape(-1, 2))
        return out  # type: ignore[return-value]

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
