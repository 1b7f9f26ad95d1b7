"""How the ``qabot`` process meets what runs it: Ctrl-C at any moment of a command's start, as a real process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib

import pytest

from qabot import cli, entry, process
from tests.conftest import REPO


def _console_script() -> str:
    """What the ``qabot`` script pip installs runs: pyproject's [project.scripts] entry point, called as the script
    calls it. It says when it is about to import qabot, having imported the standard library it needs: from then
    on, whatever runs is qabot's."""
    entry = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]["qabot"]
    module, function = entry.split(":")
    return (f"import re, signal, sys, typing\nprint('importing qabot', flush=True)\nfrom {module} import {function}\n"
            f"sys.exit({function}())\n")


def _index_starting(tmp_path, delay: float) -> subprocess.Popen:
    """``qabot index`` over a one-file corpus, as a process, ``delay`` after it starts importing qabot."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "harbour.txt").write_text("The harbour opens at six.\n", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-c", _console_script(), "index", "--corpus", str(corpus), "--index", str(tmp_path / "idx")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    assert proc.stdout is not None and proc.stdout.readline() == "importing qabot\n"
    time.sleep(delay)
    return proc


@pytest.mark.parametrize("delay", [0.05, 0.1, 0.2, 0.3])
def test_ctrl_c_while_a_command_starts_says_so_in_one_line_and_exits_130(tmp_path, delay: float) -> None:
    """Ctrl-C pressed again and again from ``delay`` after the script starts importing qabot until it ends (the
    command's modules take a few tenths of a second to load; a Ctrl-C once the command is at work is
    test_index.py's): one line, 130, never a traceback."""
    proc = _index_starting(tmp_path, delay)
    deadline = time.monotonic() + 30
    while proc.poll() is None and time.monotonic() < deadline:
        proc.send_signal(signal.SIGINT)
        time.sleep(0.01)
    out, err = proc.communicate(timeout=30)
    assert "Traceback" not in err, err
    assert proc.returncode == 128 + signal.SIGINT, err
    assert err.strip() == "Interrupted: nothing half-written is kept; qabot index again finishes the work."
    assert not out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
@pytest.mark.parametrize("delay", [0.05, 0.15])
def test_sigterm_while_a_command_starts_says_so_in_one_line_and_leaves_no_index_half_written(
        tmp_path, sig: int, delay: float) -> None:
    """SIGTERM (docker stop, systemd) or SIGHUP while the command loads (click, the library, before the command
    begins) killed it silently: status 143 (129) from the kernel and not a word, where a Ctrl-C then, or either
    signal a moment later, says so in one line. It is held as a Ctrl-C is, and raised where the command begins."""
    proc = _index_starting(tmp_path, delay)
    proc.send_signal(sig)  # once, as docker stop and systemd send it
    out, err = proc.communicate(timeout=60)
    word = "Terminated" if sig == signal.SIGTERM else "Hung up"
    assert proc.returncode == 128 + sig, (proc.returncode, err)
    assert err.strip() == f"{word}: nothing half-written is kept; qabot index again finishes the work.", err
    assert not out
    left = sorted(p.name for p in (tmp_path / "idx").iterdir()) if (tmp_path / "idx").exists() else []
    assert not [name for name in left if name.startswith(".")], left  # no change half-written in the index


def test_a_sigterm_while_the_command_loads_is_raised_where_the_command_begins(monkeypatch, sigint) -> None:
    done = []

    def loading() -> None:  # the CLI, loading (SIGTERM comes meanwhile); then a command begins
        os.kill(os.getpid(), signal.SIGTERM)
        done.append("loaded")
        process.release_interrupts()
        done.append("ran")

    monkeypatch.setattr(cli, "main", loading)
    with pytest.raises(process.Stopped) as stopped:
        entry.main()
    assert stopped.value.signum == signal.SIGTERM and done == ["loaded"]


def test_a_sigterm_held_to_the_end_says_so_in_one_line(monkeypatch, capsys, sigint) -> None:
    """``qabot --help`` runs no command: SIGTERM while it ran is said when it ends, with 143."""
    monkeypatch.setattr(cli, "main", lambda: os.kill(os.getpid(), signal.SIGTERM))
    with pytest.raises(SystemExit) as ended:
        entry.main()
    assert ended.value.code == 143 and capsys.readouterr().err == "\nTerminated.\n"


@pytest.fixture
def sigint():
    """The test process's handlers of Ctrl-C, SIGTERM and SIGHUP, as they were before the test."""
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    yield
    for sig, handler in before.items():
        signal.signal(sig, handler)


def test_a_ctrl_c_while_the_command_loads_is_raised_where_the_command_begins(monkeypatch, sigint) -> None:
    done = []

    def loading() -> None:  # the CLI, loading (Ctrl-C is pressed meanwhile); then a command begins
        os.kill(os.getpid(), signal.SIGINT)
        done.append("loaded")
        process.release_interrupts()
        done.append("ran")

    monkeypatch.setattr(cli, "main", loading)
    with pytest.raises(KeyboardInterrupt):
        entry.main()
    assert done == ["loaded"] and signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_ctrl_c_held_to_the_end_says_so_in_one_line(monkeypatch, capsys, sigint) -> None:
    """``qabot --help`` runs no command: a Ctrl-C pressed while it ran is said when it ends."""
    monkeypatch.setattr(cli, "main", lambda: os.kill(os.getpid(), signal.SIGINT))
    with pytest.raises(SystemExit) as ended:
        entry.main()
    assert ended.value.code == 130 and capsys.readouterr().err == "\nInterrupted.\n"


def test_a_ctrl_c_python_cannot_raise_where_it_lands_is_raised_at_the_next_line(monkeypatch, capsys, sigint) -> None:
    """A Ctrl-C landing in a callback of C code (pydantic building a validator) was printed as "Exception ignored in:
    'Path'" with a traceback, and lost: the command went on, and said it in more than one line."""
    monkeypatch.setattr(sys, "unraisablehook", sys.unraisablehook)
    raised = []

    class Landing:
        def __del__(self) -> None:
            raise KeyboardInterrupt  # where Python cannot raise it: it is "unraisable"

    def command() -> None:
        process.release_interrupts()
        try:
            Landing()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:  # the next lines of Python, where it is raised again
                time.sleep(0.001)
        except KeyboardInterrupt:
            raised.append(True)

    monkeypatch.setattr(cli, "main", command)
    entry.main()
    assert raised == [True] and "Exception ignored" not in capsys.readouterr().err


def test_an_ignored_ctrl_c_stays_ignored(monkeypatch, sigint) -> None:
    """A job a shell started in the background ignores SIGINT: qabot's start does not make it listen."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    monkeypatch.setattr(cli, "main", process.release_interrupts)
    entry.main()
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN


class _Initialising:
    """A C extension module as pybind11 starts one: a Ctrl-C landing in its start comes out as ImportError, raised
    from it ("initialization failed")."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> object:
        if name != "onnxruntime":
            return None
        import importlib.machinery

        return importlib.machinery.ModuleSpec(name, self)

    def create_module(self, spec: object) -> None:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise ImportError("initialization failed") from exc

    def exec_module(self, module: object) -> None:  # pragma: no cover - never reached
        pass


def _landing_in_set_name() -> None:
    class Field:
        def __set_name__(self, owner: type, name: str) -> None:
            raise KeyboardInterrupt  # a Ctrl-C landing here: Python 3.11 wraps it in RuntimeError

    class Config:
        limits = Field()


def _landing_in_onnxruntime() -> None:
    from qabot.embedding.export import require_onnxruntime

    require_onnxruntime()


@pytest.mark.parametrize("landing", [_landing_in_set_name, _landing_in_onnxruntime])
def test_a_ctrl_c_a_library_wraps_in_its_own_error_still_ends_the_command_as_a_ctrl_c(
        monkeypatch, capsys, tmp_path, sigint, landing) -> None:
    """A Ctrl-C that lands while onnxruntime's extension starts said "Error: the onnx embedding backend needs
    onnxruntime: install the onnx extra" (1); one that lands while a class is made (pydantic's models as qabot's
    modules load) "unexpected RuntimeError: Error calling __set_name__" (1). Each is the Ctrl-C: one line, 130."""
    monkeypatch.delitem(sys.modules, "onnxruntime", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_Initialising(), *sys.meta_path])
    from qabot import embedding

    def loading_the_model(settings: object) -> None:
        landing()

    monkeypatch.setattr(embedding, "make_embedder", loading_the_model)
    monkeypatch.setattr(sys, "argv", ["qabot", "index", "--corpus", str(tmp_path), "--index", str(tmp_path / "idx")])
    with pytest.raises(SystemExit) as ended:
        cli.main()
    assert ended.value.code == 130, capsys.readouterr().err
    assert capsys.readouterr().err == "\nInterrupted: nothing half-written is kept; qabot index again finishes the work.\n"
