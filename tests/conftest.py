"""Shared fixtures: a clean environment, the real packaged model, small real corpora.

Every test runs with no QABOT_* variables and no .env file in play, except one: the
embedding backend is pinned to torch, so that a `qabot` child process embeds exactly as
the session's in-process model does and no test pays for an ONNX export into its fresh
index folder. The default ("auto", which picks onnx when onnxruntime is installed) is
tested end to end in test_accelerate.py. The model is loaded once per session; indexes
are built for real, in temporary folders.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO / "corpus"
SHARED_EVAL = REPO.parent / "shared" / "eval"
QABOT = str(Path(sys.executable).with_name("qabot"))


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for key in list(os.environ):
        if key.startswith("QABOT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("QABOT_EMBEDDING_BACKEND", "torch")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))
    # A .env in the working directory would leak into Settings(): work from an empty folder.
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture(scope="session")
def embedder():
    """The real packaged all-MiniLM-L6-v2, loaded once."""
    from qabot.embedder import SentenceTransformerEmbedder

    model = SentenceTransformerEmbedder()
    model.embed(["warm up"])
    return model


@pytest.fixture
def make_corpus(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    """Write files into a fresh corpus folder: {"name.txt": "text" or b"bytes"}."""

    def make(files: dict[str, str | bytes]) -> Path:
        folder = tmp_path / "corpus"
        folder.mkdir(exist_ok=True)
        for name, content in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return folder

    return make


@pytest.fixture(scope="session")
def default_bot(tmp_path_factory: pytest.TempPathFactory, embedder):
    """A QABot over the default corpus, its index built once in a temporary folder."""
    from qabot import QABot

    bot = QABot.from_settings(
        corpus_dir=DEFAULT_CORPUS,
        index_dir=tmp_path_factory.mktemp("default-index"),
        embedder=embedder,
        progress=False,
        _env_file=None,
    )
    yield bot
    bot.close()


def make_bot(corpus: Path, index: Path, embedder, **overrides):  # noqa: ANN001, ANN201
    from qabot import QABot

    return QABot.from_settings(
        corpus_dir=corpus, index_dir=index, embedder=embedder, progress=False, _env_file=None, **overrides
    )


@pytest.fixture
def bot_for(tmp_path: Path, embedder):
    """Build a QABot over a corpus folder, with its index in this test's tmp folder."""
    made = []

    def build(corpus: Path, **overrides):  # noqa: ANN202
        bot = make_bot(corpus, tmp_path / "index", embedder, **overrides)
        made.append(bot)
        return bot

    yield build
    for bot in made:
        bot.close()
