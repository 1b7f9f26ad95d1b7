"""The index: manifest, staleness, automatic rebuilds, corruption, atomic builds, the cache."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from qabot.errors import CorpusError
from qabot.index import MANIFEST, BuildConfig, check, open_index
from qabot.index.load import load
from tests.conftest import FAKE_QABOT, make_bot
from tests.fakes import DIMENSION, HashEmbedder

ARTICLE = {
    "trotsky.txt": "Leon Trotsky lived in Coyoacán.\n\nRamón Mercader killed him with an ice axe in 1940.\n",
    "notes.md": "---\ntitle: Notes\n---\n# Exile\n\nTrotsky moved from Turkey to France, then to Norway and Mexico.\n",
    "extra.jsonl": '{"_id": "e1", "title": "Sedov", "text": "Leon Sedov was the eldest son of Trotsky."}\n',
}


def _config(corpus: Path, index: Path) -> BuildConfig:
    return BuildConfig(corpus_dir=corpus, index_dir=index)


def test_build_writes_manifest_and_artifacts(make_corpus, tmp_path, fake_embedder) -> None:
    corpus = make_corpus(ARTICLE)
    index = open_index(_config(corpus, tmp_path / "idx"), fake_embedder, progress=False)
    manifest = json.loads((tmp_path / "idx" / MANIFEST).read_text())
    assert manifest["model"] == HashEmbedder.name
    assert manifest["dimension"] == DIMENSION
    assert manifest["passage_chars"] == 600
    assert set(manifest["files"]) == {"trotsky.txt", "notes.md", "extra.jsonl"}
    assert all(len(h) == 64 for h in manifest["files"].values())
    assert {"passages.f32", "text.u32", "passages.bin", "documents.sqlite"} <= set(manifest["artifacts"])
    assert "dense.faiss" not in manifest["artifacts"]  # Flat is exact search over passages.f32: no second copy
    # "Leon Trotsky lived in Coyoacán." is short, so it shares a passage with the paragraph after it.
    assert index.dense.ntotal == manifest["passages"] == 3
    index.close()


@pytest.mark.parametrize("change", ["add", "edit", "remove"])
def test_corpus_changes_make_the_index_stale_and_it_rebuilds(change, make_corpus, tmp_path, fake_embedder) -> None:
    corpus = make_corpus(ARTICLE)
    config = _config(corpus, tmp_path / "idx")
    open_index(config, fake_embedder, progress=False).close()
    assert check(config, fake_embedder.name).fresh
    if change == "add":
        (corpus / "new.txt").write_text("Natalia Sedova was Trotsky's wife.")
    elif change == "edit":
        (corpus / "trotsky.txt").write_text("Trotsky lived in Mexico City.")
    else:
        (corpus / "notes.md").unlink()
    status = check(config, fake_embedder.name)
    assert not status.fresh and status.reason
    messages: list[str] = []
    index = open_index(config, fake_embedder, progress=False, notify=messages.append)
    assert messages and "rebuilding" in messages[0]
    assert check(config, fake_embedder.name).fresh
    sources = {s.source for s in index.sources()}
    assert ("new.txt" in sources) == (change == "add")
    assert ("notes.md" in sources) == (change != "remove")
    index.close()


def test_another_model_makes_the_index_stale(make_corpus, tmp_path, fake_embedder) -> None:
    corpus = make_corpus(ARTICLE)
    config = _config(corpus, tmp_path / "idx")
    open_index(config, fake_embedder, progress=False).close()
    status = check(config, "some/other-model")
    assert not status.fresh and "model changed" in status.reason


def test_a_corrupt_index_is_reported_and_rebuilt(make_corpus, tmp_path, fake_embedder) -> None:
    corpus = make_corpus(ARTICLE)
    config = _config(corpus, tmp_path / "idx")
    first = open_index(config, fake_embedder, progress=False)
    vectors = first.folder / "passages.f32"
    passages = first.dense.ntotal
    first.close()
    vectors.write_bytes(b"these are not vectors")
    messages: list[str] = []
    index = open_index(config, fake_embedder, progress=False, notify=messages.append)
    assert messages and "rebuilding" in messages[0] and "passages.f32" in messages[0]
    assert index.dense.ntotal == passages
    index.close()
    (tmp_path / "idx" / MANIFEST).write_text("{ not json")
    messages.clear()
    index = open_index(config, fake_embedder, progress=False, notify=messages.append)
    assert messages and "manifest" in messages[0]
    index.close()


def test_a_flipped_byte_is_caught_by_the_checksum(make_corpus, tmp_path, fake_embedder) -> None:
    corpus = make_corpus(ARTICLE)
    config = _config(corpus, tmp_path / "idx")
    first = open_index(config, fake_embedder, progress=False)
    vectors = first.folder / "passages.f32"
    first.close()
    data = bytearray(vectors.read_bytes())
    data[10] ^= 0xFF
    vectors.write_bytes(bytes(data))
    messages: list[str] = []
    open_index(config, fake_embedder, progress=False, notify=messages.append).close()
    assert messages and "checksum" in messages[0]


def test_the_embedding_cache_reembeds_only_changed_passages(make_corpus, tmp_path, fake_embedder) -> None:
    corpus = make_corpus({f"doc{i}.txt": f"Document {i} says that item {i} is number {i}." for i in range(12)})
    config = _config(corpus, tmp_path / "idx")
    open_index(config, fake_embedder, progress=False).close()
    (corpus / "doc3.txt").write_text("Document three now says something else entirely.")
    index = open_index(config, fake_embedder, progress=False)
    assert index.manifest.embedded == 1 and index.manifest.cached == 11
    index.close()


def test_empty_and_missing_corpus_are_clear_errors(tmp_path, fake_embedder) -> None:
    with pytest.raises(CorpusError, match="does not exist"):
        open_index(_config(tmp_path / "missing", tmp_path / "idx"), fake_embedder, progress=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="has no files to index"):
        open_index(_config(tmp_path / "empty", tmp_path / "idx"), fake_embedder, progress=False)
    (tmp_path / "blank").mkdir()
    (tmp_path / "blank" / "a.txt").write_text("   \n\n  ")
    with pytest.raises(CorpusError, match="nothing to index"):
        open_index(_config(tmp_path / "blank", tmp_path / "idx"), fake_embedder, progress=False)
    assert not (tmp_path / "idx" / MANIFEST).exists()
    assert not list((tmp_path / "idx").glob(".tmp-*"))


def test_a_build_killed_halfway_leaves_the_previous_index_usable(make_corpus, tmp_path, fake_embedder) -> None:
    corpus = make_corpus(ARTICLE)
    index_dir = tmp_path / "idx"
    config = _config(corpus, index_dir)
    open_index(config, fake_embedder, progress=False).close()
    before = (index_dir / MANIFEST).read_text()
    # Enough text that the rebuild is still embedding when it is killed.
    for i in range(40):
        (corpus / f"bulk{i}.txt").write_text(" ".join(f"Sentence {j} of bulk file {i} about history." for j in range(60)))
    env = {**os.environ, "QABOT_CORPUS_DIR": str(corpus), "QABOT_INDEX_DIR": str(index_dir),
           "QABOT_TEST_EMBED_DELAY": "0.5"}  # slow enough to be caught in the middle
    proc = subprocess.Popen([*FAKE_QABOT, "index"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(index_dir.glob(".tmp-*/passages.f32")) or not next(iter(index_dir.glob(".tmp-*/passages.f32"))).stat().st_size:
        assert proc.poll() is None, "the build finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (index_dir / MANIFEST).read_text() == before
    index = load(index_dir)  # the previous build loads, whole
    assert index.manifest.files.keys() == set(ARTICLE)
    index.close()
    # The next start sees the stale index, builds the new one and never loads the half-made one.
    bot = make_bot(corpus, index_dir, fake_embedder)
    assert bot.manifest.passages > 40
    assert not list(index_dir.glob(".tmp-*"))
    bot.close()


def test_document_details_are_right_past_the_store_cache(make_corpus, tmp_path, fake_embedder, monkeypatch) -> None:
    from qabot.index import store

    monkeypatch.setattr(store, "_CACHED_DOCUMENTS", 3)  # far fewer than the documents asked about
    corpus = make_corpus({f"doc{i}.txt": f"Document {i} says that item {i} is number {i}." for i in range(8)})
    index = open_index(_config(corpus, tmp_path / "idx"), fake_embedder, progress=False)
    rows = list(range(index.manifest.passages))
    index.doc_ids(rows[:2])  # some documents cached, then more asked for than the cache holds
    for _ in range(2):
        assert index.doc_ids(rows) == {r: f"doc{r}.txt" for r in rows}
        assert [index.passages([r])[r].source for r in rows] == [f"doc{r}.txt" for r in rows]
    index.close()


def test_sentence_vectors_widen_from_float16_bit_for_bit() -> None:
    import numpy as np

    from qabot.index.engine import half_to_float32

    every = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)  # subnormals, zeros, inf, NaN
    finite = every[np.isfinite(every)].reshape(-1, 4)
    for values in (finite, every, every[:0]):
        assert np.array_equal(half_to_float32(values).view(np.uint32), values.astype(np.float32).view(np.uint32))
    assert half_to_float32(finite).shape == finite.shape
