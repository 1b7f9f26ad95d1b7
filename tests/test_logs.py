"""The log as the ``qabot`` command prints it: one line per record, never run into a progress bar."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

import pytest

from qabot.logs import setup_logging


@pytest.fixture
def cli_logging(capsys):
    """Sets the CLI's logging up (in the test, on the stderr it captures); puts the loggers back after."""
    names = ("", "qabot", "qabot.embedding.export")
    saved = [(logging.getLogger(n), logging.getLogger(n).level, logging.getLogger(n).handlers[:]) for n in names]

    def stderr_after_setup(level: str = "WARNING") -> Callable[[], str]:
        setup_logging(level)
        return lambda: capsys.readouterr().err

    yield stderr_after_setup
    for logger, level, handlers in saved:
        logger.setLevel(level)
        logger.handlers[:] = handlers


def test_a_warning_during_a_build_gets_a_line_of_its_own_above_the_bar(cli_logging) -> None:
    from tqdm import tqdm

    stderr = cli_logging()
    bar = tqdm(total=645, desc="Indexing", file=sys.stderr)  # what a build draws on stderr
    logging.getLogger("qabot.index").warning("skipping binary.txt: not valid UTF-8 text (byte 0)")
    bar.close()
    # What a terminal shows on each line: the text after the line's last carriage return.
    shown = [line.rsplit("\r", 1)[-1] for line in stderr().split("\n")]
    assert "warning: skipping binary.txt: not valid UTF-8 text (byte 0)" in shown, shown


def test_the_one_time_model_export_says_why_a_first_build_waits(cli_logging) -> None:
    stderr = cli_logging()
    logging.getLogger("qabot.embedding.export").info("preparing the model: exporting all-MiniLM-L6-v2 ...")
    logging.getLogger("qabot.index").info("an ordinary step")
    assert stderr() == "info: preparing the model: exporting all-MiniLM-L6-v2 ...\n"


def test_debug_shows_the_traceback_of_an_unexpected_error(cli_logging) -> None:
    """An unexpected error's one line says "QABOT_LOG_LEVEL=DEBUG shows details", but DEBUG showed only
    "debug: unexpected error": the line format dropped the traceback. It follows, inert like the line."""
    stderr = cli_logging("DEBUG")
    try:
        raise RuntimeError("kaput \x1b[2J")
    except RuntimeError:
        logging.getLogger("qabot").debug("unexpected error", exc_info=True)
    lines = stderr().splitlines()
    assert lines[0] == "debug: unexpected error" and lines[1] == "Traceback (most recent call last):"
    assert lines[-1] == "RuntimeError: kaput \u241b[2J" and "test_logs.py" in "\n".join(lines)
    stderr = cli_logging("WARNING")  # an error logged with its traceback is one line where no details were asked for
    try:
        raise RuntimeError("kaput")
    except RuntimeError:
        logging.getLogger("qabot.index.watch").exception("updating the index after a change failed")
    assert stderr() == "error: updating the index after a change failed\n"


@pytest.mark.model
def test_a_first_build_on_torch_draws_only_its_own_bar(make_corpus, tmp_path) -> None:
    """`qabot index` on the torch backend, run without make's HF_* variables: the model loads in the middle of the
    build, and Hugging Face's own "Loading weights" bar must not be drawn into the build's (qabot asks the
    libraries for quiet, offline loading before it imports them)."""
    import os
    import subprocess

    from tests.conftest import QABOT

    corpus = make_corpus({"a.txt": "Ramón Mercader killed Trotsky with an ice axe.\n"})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    env.update(QABOT_CORPUS_DIR=str(corpus), QABOT_INDEX_DIR=str(tmp_path / "index"), QABOT_EMBEDDING_BACKEND="torch")
    built = subprocess.run([QABOT, "index"], capture_output=True, text=True, timeout=300, env=env)
    assert built.returncode == 0, built.stderr
    assert "Indexed 1 file(s)" in built.stdout
    assert "Loading weights" not in built.stderr, built.stderr


def test_progress_in_a_log_is_plain_lines_not_a_redrawn_bar(monkeypatch, capsys) -> None:
    """Where stderr is no terminal (CI, a service's journal), tqdm's bar was redrawn with carriage returns into one
    endless line, and a log record was run onto its end. Progress is a plain line now and then instead."""
    from qabot.index.ingest import Bar

    monkeypatch.setattr(Bar, "PLAIN_SECONDS", 0.0)
    bar = Bar(2_000_000, True)
    bar.file("guide.pdf")
    bar.advance(500_000)
    bar.advance(1_500_000)
    bar.close()
    err = capsys.readouterr().err
    assert "\r" not in err
    assert err.splitlines() == ["Indexing: 25% of 2.0 MB, guide.pdf", "Indexing: 100% of 2.0 MB, guide.pdf"]
    monkeypatch.setattr(Bar, "PLAIN_SECONDS", 60.0)  # work done sooner says nothing
    quick = Bar(10, True)
    quick.advance(10)
    quick.close()
    assert capsys.readouterr().err == ""


def test_an_evaluations_progress_in_a_log_is_plain_lines_too(monkeypatch, capsys, make_corpus, fake_bot_for) -> None:
    """qabot eval --squad in a CI log wrote tqdm's redrawn bar as one line of carriage returns, as indexing once did."""
    from qabot.eval.datasets import EvalItem
    from qabot.eval.runs import evaluate_items
    from qabot.index.ingest import Bar

    bot = fake_bot_for(make_corpus({"dome.txt": "The dome closes at dawn.\n"}))
    items = [EvalItem(id=str(n), question=f"when does the dome close {n}", answers=["dawn"]) for n in range(60)]
    capsys.readouterr()
    monkeypatch.setattr(Bar, "PLAIN_SECONDS", 0.0)
    report = evaluate_items(bot, items, name="dome", progress=True)
    err = capsys.readouterr().err
    assert report.hit_at_1 == 1.0 and "\r" not in err
    lines = err.splitlines()
    assert lines[0] == "dome (hybrid): 1 of 60 questions" and lines[-1] == "dome (hybrid): 60 of 60 questions"
