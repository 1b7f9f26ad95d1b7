"""How the ``qabot`` process meets what runs it: signals, and a terminal that cannot show every character.

SIGTERM (``docker stop``, systemd) and SIGHUP (a closed terminal) unwind as Ctrl-C does
(``Stopped``), so that what a command was writing is removed before it exits with 128 + the
signal's number (``qabot.cli`` says so in one line). Text the terminal's encoding cannot hold
is shown as escapes rather than ending the command.
"""

from __future__ import annotations

import io
import signal
import sys


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
