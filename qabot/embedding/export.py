"""Exporting the model to int8 ONNX, once, locally, without the network.

1. **Export.** The Hugging Face model under the sentence-transformers folder is traced
   with ``torch.onnx.export`` into a graph whose output is the token embeddings.
2. **Quantise.** ``onnxruntime.quantization.quantize_dynamic`` turns its weights into
   int8, per output channel (what sentence-transformers' ``avx512_vnni`` dynamic
   quantisation config does; per-tensor int8 costs this model far more accuracy).

Why not sentence-transformers' own ``backend="onnx"`` and
``export_dynamic_quantized_onnx_model``? They run on ``optimum-onnx``, whose releases
require ``transformers<4.58``, while sentence-transformers 6 requires
``transformers>=5``: the two cannot be installed together. The steps above are the
same ones those functions take, done with the libraries underneath them.

The export is cached in ``<index_dir>/models/<name>-<key>/``, written to a temporary
folder and renamed into place, so a crash never leaves half a model (a killed build's
temporary folder is removed by the next export, and its child exits with it); the key changes
with the model's files and the export ``RECIPE``. It runs once, in a child process
(``python -m qabot.embedding.export``): torch is imported there only, and the memory it
takes to trace the model goes back to the system when the child exits.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
import warnings
from pathlib import Path
from types import ModuleType

from qabot.embedding.model import offline_environment
from qabot.errors import ModelError
from qabot.text import first_line

log = logging.getLogger(__name__)

RECIPE = "onnx-int8-v2"  # bump when the export below changes: cached exports are then redone
MODEL_FILE = "model-int8.onnx"
EXTRA_HINT = "install the onnx extra (pip install -e '.[onnx]') or set QABOT_EMBEDDING_BACKEND=torch"


def require_onnxruntime() -> ModuleType:
    offline_environment()  # before the import, which starts the telemetry
    try:
        import onnxruntime
    except ImportError as exc:
        raise ModelError(f"the onnx embedding backend needs onnxruntime: {EXTRA_HINT}") from exc
    return onnxruntime


def export_int8(source: Path, export_dir: Path, name: str, fingerprint: str = "") -> Path:
    """The int8 ONNX file for the model in ``source``, exported into ``export_dir`` unless already there.

    ``fingerprint``: a local folder's (``model.fingerprint``), so that a model saved again into
    the same folder, with weights of the same size, is exported again.
    """
    target = export_dir / f"{_slug(name)}-{_export_key(source, fingerprint)}"
    model_file = target / MODEL_FILE
    if model_file.is_file():
        return model_file
    require_onnxruntime()
    tmp = export_dir / f".tmp-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    try:
        export_dir.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(export_dir)
        tmp.mkdir()
    except OSError as exc:  # a read-only index folder, or another user's
        raise ModelError(f"cannot export {name} to ONNX: cannot write {export_dir} ({exc.strerror or first_line(exc)}); "
                         "the one-time export needs a writable index folder (--index or QABOT_INDEX_DIR): run qabot "
                         "index once where it can be written, and copy the index folder whole (its models/ too)"
                         ) from exc
    try:
        log.info("preparing the model: exporting %s to int8 ONNX in %s, once for this index folder", name, target)
        _run_export(source, tmp, name)
        try:
            tmp.rename(target)
        except OSError:
            # Another process exported the same model meanwhile: use its copy.
            if not model_file.is_file():
                raise
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"cannot export {name} to ONNX: {first_line(exc)}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return model_file


def _remove_abandoned(export_dir: Path) -> None:
    """Remove the temporary folders of exports whose process is gone (killed: its ``finally`` never ran)."""
    for path in export_dir.glob(".tmp-*"):
        pid = path.name.split("-")[1]
        if pid.isascii() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's: alive
        pass
    return True


def _exit_with(parent: int) -> None:
    """In the child: exit once the process that started the export is gone (killed), instead of finishing a model
    nobody will use."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="qabot-export-parent", daemon=True).start()


def _run_export(source: Path, tmp: Path, name: str) -> None:
    """Export in a child process: torch takes some 700 MB to trace the model, and a child
    gives it all back when it exits, so neither a build nor a bot carries it."""
    command = [sys.executable, "-m", "qabot.embedding.export", str(source), str(tmp), name, str(os.getpid())]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise ModelError(lines[-1].removeprefix("error: ") if lines else f"cannot export {name} to ONNX")


def export_into(source: Path, tmp: Path, name: str) -> None:
    """The export itself (what the child process runs): fp32 graph, int8 weights, a note of what it is."""
    try:
        _export_fp32(source, tmp / "model.onnx")
        _quantize(tmp / "model.onnx", tmp / MODEL_FILE)
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"cannot export {name} to ONNX: {first_line(exc)}") from exc
    (tmp / "model.onnx").unlink()
    (tmp / "export.json").write_text(json.dumps({"model": name, "source": str(source), "recipe": RECIPE}))


def _export_fp32(source: Path, out: Path) -> None:
    offline_environment()
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


def _export_key(source: Path, fingerprint: str = "") -> str:
    """Changes when the model's files or the export recipe change."""
    digest = hashlib.blake2b(RECIPE.encode(), digest_size=6)
    digest.update(fingerprint.encode())  # nothing for the packaged model: its export made before is still its own
    for path in sorted(source.rglob("*")):
        if path.is_file() and path.suffix in {".json", ".safetensors", ".bin", ".txt"}:
            stat = path.stat()
            digest.update(f"{path.relative_to(source).as_posix()}:{stat.st_size}".encode())
            if stat.st_size < 1 << 20:  # small config files: by content; weights: by name and size
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name.split("/")[-1])[:60]


if __name__ == "__main__":  # the child process of _run_export
    if len(sys.argv) > 4:
        _exit_with(int(sys.argv[4]))
    try:
        export_into(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
    except ModelError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
