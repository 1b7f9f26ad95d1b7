"""Shared fixtures: a clean environment, the fake and the real embedder, small real corpora.

Two tiers, both in ``make test``:

- **fast**: everything where the model is not what is tested (formatting, adapters,
  chunking, the store, the manifest, the CLI) runs on ``tests.fakes.HashEmbedder``
  with real FAISS and real indexes in temporary folders. A fast test that tries to load
  the real model fails (see ``no_model_outside_the_model_tier``);
- **model**: tests that use the real packaged model (the ``embedder``, ``default_bot``,
  ``bot_for`` and ``onnx_embedder`` fixtures, or the ``model`` mark) check what the model
  decides: retrieval, highlights, abstention, the ONNX backend. ``pytest -m "not model"``
  runs the fast tier alone.

Every test runs with no QABOT_* variables and no .env file in play, except one: the
embedding backend is pinned to torch, so that a ``qabot`` child process embeds exactly
as the session's in-process model does and no test pays for an ONNX export. The
default (``auto``) is tested end to end in test_onnx.py.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import HashEmbedder

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO / "corpus"
SHARED_EVAL = REPO.parent / "shared" / "eval"
QABOT = str(Path(sys.executable).with_name("qabot"))
FAKE_QABOT = [sys.executable, str(REPO / "tests" / "fake_qabot.py")]  # `qabot` on the fake embedder
MODEL_FIXTURES = {"real_model", "embedder", "default_bot", "bot_for", "onnx_embedder"}


def pytest_configure(config: pytest.Config) -> None:
    """Ctrl-C as a terminal sends it, even where the suite was started with SIGINT ignored (a shell's background
    job, nohup, some CI runners): the tests of Ctrl-C send it to this process and to ``qabot`` children, which
    would inherit the ignoring and never see it. A Python handler is reset to the default in a child at exec."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """A test that passed on its rerun (``make test``'s ``--reruns``) is flaky: its first failure is shown here, the
    end of its traceback, so that the cause is seen where it happened (a fresh clone, CI), not only its name."""
    for report in terminalreporter.stats.get("rerun", []):
        terminalreporter.write_sep("-", f"first failure of {report.nodeid} (rerun)")
        terminalreporter.write_line("\n".join(str(report.longreprtext).splitlines()[-40:]))


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


@pytest.fixture(autouse=True)
def no_model_outside_the_model_tier(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fast test that would load the real model fails at once, naming the way out."""
    if request.node.get_closest_marker("model"):
        return
    from qabot.embedding.onnx import OnnxEmbedder
    from qabot.embedding.torch import TorchEmbedder

    def refuse(*_args: Any) -> None:
        raise AssertionError("a fast test loaded the real model: use fake_embedder, or mark the test 'model'")

    monkeypatch.setattr(TorchEmbedder, "_load", refuse)
    monkeypatch.setattr(OnnxEmbedder, "_load", refuse)


# -- embedders ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def fake_embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture(scope="session")
def real_model() -> Any:
    from qabot.embedding.torch import TorchEmbedder

    model = TorchEmbedder()
    model.embed(["warm up"])
    return model


@pytest.fixture
def embedder(real_model: Any) -> Any:
    """The real packaged all-MiniLM-L6-v2 on torch, loaded once per session."""
    return real_model


# -- corpora and bots ---------------------------------------------------------------------


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


def make_bot(corpus: Path, index: Path, embedder: Any, **overrides: Any) -> Any:
    from qabot import QABot

    return QABot.from_settings(
        corpus_dir=corpus, index_dir=index, embedder=embedder, progress=False, _env_file=None, **overrides
    )


@pytest.fixture(scope="session")
def _default_bot(tmp_path_factory: pytest.TempPathFactory, real_model: Any) -> Iterator[Any]:
    bot = make_bot(DEFAULT_CORPUS, tmp_path_factory.mktemp("default-index"), real_model)
    yield bot
    bot.close()


@pytest.fixture
def default_bot(_default_bot: Any) -> Any:
    """A QABot over the default corpus on the real model, its index built once per session."""
    return _default_bot


@pytest.fixture(scope="session")
def fake_default_bot(tmp_path_factory: pytest.TempPathFactory, fake_embedder: HashEmbedder) -> Iterator[Any]:
    """A QABot over the default corpus on the fake embedder: real index, real retrieval code, no model.

    It answers every question (threshold 0): whether to abstain is the model's call, tested
    in the model tier; front-end tests make an abstention by hand when they need one.
    """
    bot = make_bot(DEFAULT_CORPUS, tmp_path_factory.mktemp("fake-default-index"), fake_embedder, answer_threshold=0.0)
    yield bot
    bot.close()


def _bots(tmp_path: Path, embedder: Any) -> Iterator[Callable[..., Any]]:
    made = []

    def build(corpus: Path, **overrides: Any) -> Any:
        bot = make_bot(corpus, tmp_path / "index", embedder, **overrides)
        made.append(bot)
        return bot

    yield build
    for bot in made:
        bot.close()


@pytest.fixture
def bot_for(tmp_path: Path, real_model: Any) -> Iterator[Callable[..., Any]]:
    """Build a QABot on the real model over a corpus folder, its index in this test's tmp folder."""
    yield from _bots(tmp_path, real_model)


@pytest.fixture
def fake_bot_for(tmp_path: Path, fake_embedder: HashEmbedder) -> Iterator[Callable[..., Any]]:
    """Build a QABot on the fake embedder over a corpus folder, its index in this test's tmp folder."""
    yield from _bots(tmp_path, fake_embedder)
