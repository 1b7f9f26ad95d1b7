"""How the ``qabot`` process meets what runs it: its start, signals, and a terminal that cannot show every character.

Loading the command takes a few tenths of a second (click, then the library inside the
command); a Ctrl-C meanwhile is held (``hold_interrupts``, which the entry point,
``qabot.entry``, calls first) and raised where the command begins (``release_interrupts``),
so it ends the command as any Ctrl-C does: one line and 130, never a traceback.

SIGTERM (``docker stop``, systemd) and SIGHUP (a closed terminal) unwind as Ctrl-C does
(``Stopped``), so that what a command was writing is removed before it exits with 128 + the
signal's number, saying so in one line (``stopped``); one that comes while the command loads
is held and raised where it begins, as a Ctrl-C is. Text the terminal's encoding cannot hold
is shown as escapes rather than ending the command.
"""

from __future__ import annotations

import errno
import io
import signal
import sys
from typing import NoReturn

from qabot.errors import QABotError  # the error tree alone: no more of the library is loaded

UNWRITABLE = (errno.EBADF, errno.ENOSPC, errno.EDQUOT, errno.EIO)  # an OSError's: the output cannot be written
_held: list[int] = []  # signals (Ctrl-C, SIGTERM, SIGHUP) that came while the command loaded, not raised yet
_STOPPING = (signal.SIGTERM, signal.SIGHUP)
SAID = {signal.SIGINT: "Interrupted", signal.SIGTERM: "Terminated", signal.SIGHUP: "Hung up"}


def hold_interrupts() -> None:
    """Hold Ctrl-C, SIGTERM and SIGHUP, not act on them, until ``release_interrupts``: the command is loading. One
    that is ignored (SIGINT in a job a shell started in the background, nohup's SIGHUP) stays ignored."""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _hold)
    stop_on_signals()
    sys.unraisablehook = _raised_again


def _raised_again(unraisable: object) -> None:
    """A Ctrl-C (or ``Stopped``) raised where Python cannot raise it (in a callback of a library's C code, as when
    pydantic builds a validator) is raised again at the next line of Python, rather than printed as "Exception
    ignored" with a traceback and lost."""
    exc = getattr(unraisable, "exc_value", None)
    if not isinstance(exc, KeyboardInterrupt | Stopped):
        sys.__unraisablehook__(unraisable)  # type: ignore[arg-type]
        return
    import _thread
    import threading

    # Not from here: the handler would raise it in this hook, which Python cannot raise either. A moment later, the
    # main thread is back in Python (or in another callback, which comes here again).
    signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
    later = threading.Timer(0.001, _thread.interrupt_main, args=(signum,))
    later.daemon = True
    later.start()


def _hold(signum: int, _frame: object) -> None:
    _held.append(signum)


def release_interrupts() -> None:
    """Ctrl-C raises ``KeyboardInterrupt`` from here on, SIGTERM and SIGHUP ``Stopped``, and the first that came
    while the command loaded is raised now."""
    if signal.getsignal(signal.SIGINT) is _hold:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in _STOPPING:
        if signal.getsignal(sig) is _hold:
            signal.signal(sig, _stop)
    if _held:
        first = _held[0]
        _held.clear()
        if first == signal.SIGINT:
            raise KeyboardInterrupt
        raise Stopped(first)


def end_held() -> None:
    """Where the process ends without a command having begun (``qabot --help``): a signal still held says so."""
    if _held:
        first = _held[0]
        _held.clear()
        stopped(SAID[first], 128 + first)


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


def signal_behind(exc: BaseException) -> int | None:
    """The signal (Ctrl-C, SIGTERM, SIGHUP) that ``exc`` is, or that caused it: one that lands inside a library
    can come out as the library's own error, raised from it (pybind11 raises ImportError from one that lands while
    an extension such as onnxruntime's starts; Python 3.11 RuntimeError from one in a ``__set_name__``)."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, KeyboardInterrupt):
            return signal.SIGINT
        if isinstance(cause, Stopped):
            return cause.signum
        cause = cause.__cause__ or cause.__context__
    return None


def _stop(signum: int, _frame: object) -> None:
    raise Stopped(signum)


def stop_on_signals() -> None:
    """SIGTERM and SIGHUP are held until the command begins (``release_interrupts``), then raise ``Stopped``; one
    that is ignored (nohup's SIGHUP) stays ignored."""
    for sig in _STOPPING:
        if signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, _hold)


def printable_anywhere() -> None:
    """Text the terminal's encoding cannot hold (an accented file name under a Latin-1 or ASCII locale) is shown as
    ``\\xe9`` escapes, as stderr already does, instead of ending the command with a UnicodeEncodeError; and a command
    started with its stdout or stdin closed fails where it uses it (``closed_output_fails``)."""
    closed_output_fails()
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="backslashreplace")


def closed_output_fails() -> None:
    """A command started with its stdout closed (``qabot ask ... >&-``) fails where it writes, with one line and
    status 1, as one writing to a full disk does, rather than losing its output and exiting 0 (click and rich write
    nothing where ``sys.stdout`` is None); and one with its stdin closed (``qabot ask - <&-``) where it reads, saying
    so, not that None has no ``read``."""
    if sys.stdout is None:
        sys.stdout = _Closed("output")
    if sys.stdin is None:
        sys.stdin = _Closed("input")


class StreamClosed(QABotError, OSError):
    """A standard stream that was closed when the process began was read or written: the way qabot was started, not
    a fault of qabot's, so it is a user's error ("standard input is closed"), not "unexpected OSError: [Errno 9] ...";
    and an OSError still, as a full disk's is, for what stops on output that cannot be written (the REPL)."""

    def __str__(self) -> str:
        return str(self.strerror)


class _Closed(io.TextIOBase):
    """A standard stream that was closed when the process began: reading or writing it is an ``OSError``."""

    def __init__(self, which: str) -> None:
        super().__init__()
        self.which = which

    def readable(self) -> bool:
        return self.which == "input"

    def writable(self) -> bool:
        return self.which == "output"

    def _closed(self, *_args: object) -> NoReturn:
        raise StreamClosed(errno.EBADF, f"standard {self.which} is closed")

    write = read = readline = _closed
