"""The int8 ONNX backend: exported locally once, reused, and answering like torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qabot.embedding import export
from qabot.embedding.onnx import OnnxEmbedder
from qabot.errors import ModelError, SettingsError
from qabot.settings import load_settings
from tests.conftest import QABOT, make_bot

pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
pytestmark = pytest.mark.model

SENTENCES = [
    "Who killed Trotsky?",
    "Ramón Mercader killed Leon Trotsky with an ice axe in Coyoacán in 1940.",
    "The harvest festival is held in the village every autumn.",
]


@pytest.fixture(scope="session")
def onnx_embedder(tmp_path_factory: pytest.TempPathFactory) -> OnnxEmbedder:
    """The packaged model exported to int8 ONNX once, into a temporary models folder."""
    model = OnnxEmbedder(export_dir=tmp_path_factory.mktemp("models"))
    model.embed(["warm up"])
    return model


def test_the_export_is_written_once_and_reused(onnx_embedder, monkeypatch) -> None:
    exported = list(onnx_embedder.export_dir.glob("*/model-int8.onnx"))
    assert len(exported) == 1
    assert not list(onnx_embedder.export_dir.glob(".tmp-*"))  # nothing half-written is left behind
    modified = exported[0].stat().st_mtime_ns
    def no_second_export(*_args: object) -> None:
        raise AssertionError("the model was exported again")

    monkeypatch.setattr(export, "_run_export", no_second_export)
    again = OnnxEmbedder(export_dir=onnx_embedder.export_dir)
    assert again.embed(["a second process finds the export"]).shape == (1, 384)  # loaded, not exported again
    assert exported[0].stat().st_mtime_ns == modified


def test_onnx_vectors_match_torch(onnx_embedder, embedder) -> None:
    assert onnx_embedder.name == "sentence-transformers/all-MiniLM-L6-v2@onnx-int8-v2" != embedder.name
    fast, exact = onnx_embedder.embed(SENTENCES), embedder.embed(SENTENCES)
    assert fast.shape == exact.shape == (3, 384)
    assert np.allclose(np.linalg.norm(fast, axis=1), 1, atol=1e-5)
    assert (fast * exact).sum(axis=1).min() > 0.97
    # The question is still nearest the sentence that answers it.
    assert int(np.argmax(fast[1:] @ fast[0])) == 0


def test_onnx_sentence_vectors_match_torch(onnx_embedder, embedder) -> None:
    text = "Leon Trotsky lived in Coyoacán. Ramón Mercader killed him with an ice axe in 1940."
    spans = [[(0, 31), (32, len(text))]]
    fast_text, fast_spans = onnx_embedder.embed_with_spans([text], spans)
    exact_text, exact_spans = embedder.embed_with_spans([text], spans)
    assert fast_spans[0].shape == exact_spans[0].shape == (2, 384)
    assert float(fast_text[0] @ exact_text[0]) > 0.97
    assert (fast_spans[0] * exact_spans[0]).sum(axis=1).min() > 0.95


def test_onnx_backend_finds_the_same_answer_as_torch(onnx_embedder, embedder, make_corpus, tmp_path) -> None:
    corpus = make_corpus({
        "trotsky.txt": "Leon Trotsky lived in exile in Coyoacán, Mexico.\n\n"
        "Ramón Mercader killed him with an ice axe in August 1940.\n\n"
        "His wife Natalia Sedova lived on in the house until 1962.\n",
        "harbour.txt": "The harbour was dredged in 1911 so that larger ships could dock.\n",
    })
    fast = make_bot(corpus, tmp_path / "onnx", onnx_embedder, embedding_backend="onnx")
    exact = make_bot(corpus, tmp_path / "torch", embedder)
    try:
        assert fast.manifest.model.endswith("@onnx-int8-v2")
        for question in ("Who killed Trotsky?", "When was the harbour dredged?", "Who was his wife?"):
            a, b = fast.ask(question, k=1), exact.ask(question, k=1)
            assert a.excerpts[0].citation.source == b.excerpts[0].citation.source
            assert a.excerpts[0].highlight == b.excerpts[0].highlight
    finally:
        fast.close()
        exact.close()


def test_onnx_backend_without_onnxruntime_is_a_clear_error(monkeypatch, tmp_path) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if the extra were not installed
    model = OnnxEmbedder(export_dir=tmp_path / "models")
    with pytest.raises(ModelError, match=r"onnxruntime.*\[onnx\]"):
        model.embed(["hello"])
    assert not (tmp_path / "models").exists()


def test_an_unavailable_backend_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(SettingsError, match="QABOT_EMBEDDING_BACKEND.*openvino"):
        load_settings(_env_file=None, embedding_backend="openvino")


def test_a_model_folder_without_weights_cannot_be_exported(tmp_path) -> None:
    folder = tmp_path / "broken-model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    model = OnnxEmbedder(str(folder), export_dir=tmp_path / "models")
    with pytest.raises(ModelError, match="cannot export"):
        model.embed(["hello"])
    assert not list((tmp_path / "models").glob("*"))  # the failed export left nothing behind


def test_a_model_saved_again_into_its_folder_is_exported_again(tmp_path, monkeypatch) -> None:
    """The export was keyed by the weights' sizes: a model trained again into the same folder kept the old export, and
    its new weights were never used."""
    from qabot.embedding import onnx

    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "config.json").write_text('{"hidden_size": 384}')
    weights = folder / "model.safetensors"
    weights.write_bytes(b"\x01" * (2 << 20))
    monkeypatch.setattr(export, "_run_export", lambda _source, tmp, _name: (tmp / export.MODEL_FILE).write_bytes(b"x"))
    monkeypatch.setattr(onnx, "OnnxRuntime", lambda model_file, _source: model_file)  # which export would be run
    first = OnnxEmbedder(str(folder), export_dir=tmp_path / "models").runtime
    assert OnnxEmbedder(str(folder), export_dir=tmp_path / "models").runtime == first  # exported once
    weights.write_bytes(b"\x02" * (2 << 20))  # the same files, of the same sizes, other weights
    again = OnnxEmbedder(str(folder), export_dir=tmp_path / "models").runtime
    assert again != first and again.is_file()


def test_an_export_folder_that_cannot_be_written_is_a_clear_error(tmp_path) -> None:
    """An index folder on a read-only mount, or another user's, that has no export yet: one line that says what to do,
    and what sets that folder."""
    (tmp_path / "idx").write_text("")  # a file where the folder would be: mkdir fails as on a read-only folder
    model = OnnxEmbedder(export_dir=tmp_path / "idx" / "models")
    # Not "or set QABOT_EMBEDDING_BACKEND=torch": another backend is another model, and an index of it a rebuild.
    with pytest.raises(ModelError, match=r"cannot write .*idx/models \(Not a directory\); the one-time export needs a "
                                         r"writable index folder \(--index or QABOT_INDEX_DIR\): run qabot index once "
                                         r"where it can be written, and copy the index folder whole \(its models/ "
                                         r"too\)"):
        model.embed(["hello"])


def test_onnxruntime_keeps_no_telemetry_in_the_home_folder(tmp_path) -> None:
    """Importing onnxruntime wrote a device id and an event store under ~/.cache/Microsoft (and, where the home folder
    cannot be written, printed a coloured warning on every start): qabot turns its telemetry off."""
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    env.update(HOME=str(tmp_path / "home"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, "-c", "from qabot.embedding.export import require_onnxruntime as r; r()"],
                          capture_output=True, text=True, env=env, cwd=Path(__file__).parent.parent, timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert not (tmp_path / "home").exists() and not (tmp_path / "cache").exists()


def test_export_dir_defaults_beside_the_index(tmp_path) -> None:
    from qabot.embedding import make_embedder

    settings = load_settings(_env_file=None, index_dir=tmp_path / "idx", embedding_backend="onnx")
    assert make_embedder(settings).export_dir == Path(tmp_path / "idx" / "models")


def test_the_default_backend_is_onnx_end_to_end(make_corpus, tmp_path) -> None:
    """`qabot ask` with no backend setting: exports once beside the index, answers, reuses the export."""
    corpus = make_corpus(
        {
            "history.txt": "The archive opened in 1921.\n\nRamón Mercader killed Leon Trotsky with an ice axe in 1940.\n",
            "other.txt": "The harvest festival is held in the village every autumn.\n",
        }
    )
    index = tmp_path / "index"
    env = {k: v for k, v in os.environ.items() if k != "QABOT_EMBEDDING_BACKEND"}
    env.update(QABOT_CORPUS_DIR=str(corpus), QABOT_INDEX_DIR=str(index))
    ask = [QABOT, "ask", "--json", "Who killed Trotsky?"]
    first = subprocess.run(ask, capture_output=True, text=True, timeout=300, env=env)
    assert first.returncode == 0, first.stderr
    answer = json.loads(first.stdout)
    assert answer["answered"] and "Mercader" in answer["excerpts"][0]["highlight"]
    manifest = json.loads((index / "manifest.json").read_text())
    assert manifest["model"].endswith("@onnx-int8-v2")
    (export,) = (index / "models").glob("*/model-int8.onnx")
    stamp = export.stat().st_mtime_ns
    again = subprocess.run(ask, capture_output=True, text=True, timeout=300, env=env)
    assert again.returncode == 0 and json.loads(again.stdout) == answer
    assert export.stat().st_mtime_ns == stamp  # exported once, reused


def test_a_truncated_export_is_redone(onnx_embedder, tmp_path, caplog) -> None:
    import shutil

    copy = tmp_path / "models"
    shutil.copytree(onnx_embedder.export_dir, copy)
    (model_file,) = copy.glob("*/model-int8.onnx")
    size = model_file.stat().st_size
    model_file.write_bytes(model_file.read_bytes()[: size // 3])  # a copy cut short, a full disk
    again = OnnxEmbedder(export_dir=copy)
    assert np.allclose(again.embed(SENTENCES), onnx_embedder.embed(SENTENCES), atol=1e-5)
    assert "exporting it again" in caplog.text
    assert model_file.stat().st_size == size


def test_torch_pools_the_spans_of_a_batch_at_once_as_the_generic_path_does(embedder) -> None:
    """The torch backend's own embed_with_spans (one tokenization, span means as one matrix product) gives the
    vectors of the generic, text-by-text path, for texts of every length, a span past the token limit included."""
    from qabot.embedding.base import TokenEmbedder

    long = " ".join(f"Sentence {i} says the harbour was dredged in {1800 + i}." for i in range(60))  # > 256 tokens
    texts = ["Leon Trotsky lived in Coyoacán. Ramón Mercader killed him with an ice axe in 1940.",
             "A short one.", long, "No spans here."]
    spans = [[(0, 31), (32, len(texts[0]))], [(0, 12)], [(0, 50), (len(long) - 50, len(long))], []]
    generic_text, generic_spans = TokenEmbedder.embed_with_spans(embedder, texts, spans)
    fast_text, fast_spans = embedder.embed_with_spans(texts, spans)
    assert np.allclose(fast_text, generic_text, atol=1e-6)
    assert [s.shape for s in fast_spans] == [s.shape for s in generic_spans] == [(2, 384), (1, 384), (2, 384), (0, 384)]
    for fast, generic in zip(fast_spans, generic_spans, strict=True):
        assert np.allclose(fast, generic, atol=1e-5)
