"""The `qabot` command, run as a real process (on the fake embedder: the CLI is tested, not the model)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import FAKE_QABOT


def _run(*args: str, env: dict[str, str] | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*FAKE_QABOT, *args], capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})}, cwd=cwd
    )


def test_help_is_light_and_lists_the_commands() -> None:
    code = (
        "import sys; from qabot.cli import cli\n"
        "try:\n    cli(['--help'], prog_name='qabot')\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'faiss', 'sentence_transformers', 'discord') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    for command in ("index", "ask", "repl", "discord"):
        assert command in out
    assert "HEAVY []" in out


def test_index_then_ask_json_and_plain(make_corpus, tmp_path) -> None:
    corpus = make_corpus(
        {
            "a.txt": "Ramón Mercader killed Trotsky with an ice axe.\n\nNatalia Sedova was his wife.\n",
            "b.md": "# Exile\n\nTrotsky lived in Coyoacán, Mexico, from 1937.\n",
        }
    )
    env = {"QABOT_CORPUS_DIR": str(corpus), "QABOT_INDEX_DIR": str(tmp_path / "idx")}
    built = _run("index", env=env)
    assert built.returncode == 0, built.stderr
    assert "Indexed 2 file(s)" in built.stdout
    again = _run("index", env=env)
    assert "up to date" in again.stdout

    result = _run("ask", "Who killed Trotsky?", "--k", "2", "--json", env=env)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["answered"] and len(answer["excerpts"]) == 2
    assert "Mercader" in answer["excerpts"][0]["text"]
    assert answer["excerpts"][0]["citation"]["source"] == "a.txt"

    plain = _run("ask", "Where did Trotsky live?", "--k", "1", env=env)
    assert plain.returncode == 0
    assert "b.md, § Exile, ¶ 1" in plain.stdout
    assert "**Trotsky lived in Coyoacán, Mexico, from 1937.**" in plain.stdout  # the highlight is visible


def test_errors_are_one_line_without_traceback(tmp_path) -> None:
    missing = _run("ask", "Who?", env={"QABOT_CORPUS_DIR": str(tmp_path / "nope"), "QABOT_INDEX_DIR": str(tmp_path / "i")})
    assert missing.returncode != 0
    assert "Traceback" not in missing.stderr
    assert missing.stderr.strip().count("\n") == 0 and "does not exist" in missing.stderr

    bad = _run("ask", "Who?", env={"QABOT_TOP_K": "lots"})
    assert bad.returncode != 0 and "QABOT_TOP_K" in bad.stderr and "Traceback" not in bad.stderr
    assert bad.stderr.strip().count("\n") == 0
