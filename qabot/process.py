"""How the ``qabot`` process meets what runs it: its start, signals, and a terminal that cannot show every character.

Loading the command takes a few tenths of a second (click, then the library inside the
command); a Ctrl-C meanwhile is held (``hold_interrupts``, which the entry point,
``qabot.entry``, calls first) and raised where the command begins (``release_interrupts``),
so it ends the command as any Ctrl-C does: one line and 130, never a traceback.

SIGTERM (``docker stop``, systemd) and SIGHUP (a closed terminal) unwind as Ctrl-C does
(``Stopped``), so that what a command was writing is removed before it exits with 128 + the
signal's number, saying so in one line (``stopped``). Text the terminal's encoding cannot hold
is shown as escapes rather than ending the command.
"""

from __future__ import annotations

import io
import signal
import sys
from typing import NoReturn

_held: list[int] = []  # Ctrl-Cs pressed while the command loaded, not raised yet


def hold_interrupts() -> None:
    """Hold Ctrl-C, not raise it, until ``release_interrupts``: the command is loading. Where SIGINT is ignored (a
    job a shell started in the background), it stays ignored."""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _hold)


def _hold(signum: int, _frame: object) -> None:
    _held.append(signum)


def release_interrupts() -> None:
    """Ctrl-C raises ``KeyboardInterrupt`` from here on, and one pressed while the command loaded is raised now."""
    if signal.getsignal(signal.SIGINT) is _hold:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if _held:
        _held.clear()
        raise KeyboardInterrupt


def end_held() -> None:
    """Where the process ends without a command having begun (``qabot --help``): a Ctrl-C still held says so."""
    if _held:
        _held.clear()
        stopped("Interrupted", 128 + signal.SIGINT)


def stopped(word: str, status: int, after: str | None = None) -> NoReturn:
    """End the command for a signal: one line on stderr, on a line of its own (after ``^C``), and exit ``status``.
    A Ctrl-C pressed again while it ends is ignored: it would interrupt the ending, with a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stderr.write(f"\n{word}: {after}.\n" if after else f"\n{word}.\n")
    sys.stderr.flush()
    sys.exit(status)


class Stopped(BaseException):
    """SIGTERM or SIGHUP: unwound as Ctrl-C is, then the exit status is 128 + the signal's number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, _frame: object) -> None:
    raise Stopped(signum)


def stop_on_signals() -> None:
    """SIGTERM and SIGHUP raise ``Stopped``; one that is ignored (nohup's SIGHUP) stays ignored."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, _stop)


def printable_anywhere() -> None:
    """Text the terminal's encoding cannot hold (an accented file name under a Latin-1 or ASCII locale) is shown as
    ``\\xe9`` escapes, as stderr already does, instead of ending the command with a UnicodeEncodeError."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="backslashreplace")
