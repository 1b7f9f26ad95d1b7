"""The write lock of an index: one change at a time in this process and across processes.

``ChangeLock`` is the lock ``LivingIndex`` takes for a change. What a change says
(``notify``, ``warn``: "rebuilding the index: ...", a file skipped) is told as it is said,
before the work it announces, so a callback runs while the change holds the lock. A change
asked for by the thread that holds the lock (such a callback changing the index) would wait
forever for it: it is refused at once, in one line (``QABotError``), and the change under
way goes on. Another thread's change waits its turn.

``folder_lock`` is the one across processes, the index folder's ``.lock`` (an ``flock``,
which the kernel lets go of when its process ends, however it ends): a writer that finds
another one holding it says so once, and waits for it up to ``LOCK_TIMEOUT``. One that
would only bring the index up to date to answer questions does not wait: with ``wait``
off, a lock held by another process is ``Busy`` at once, and the last good index answers.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from qabot.errors import IndexStoreError, QABotError

log = logging.getLogger(__name__)

Notify = Callable[[str], None]
LOCK = ".lock"
LOCK_TIMEOUT = 600.0  # how long a writer waits for another one
QUIET_WAIT = 1.0  # ... before it says so: another change about to end is not worth a line


class Busy(IndexStoreError):
    """Another process holds the write lock, and the change was asked not to wait for it: nothing was changed."""


@contextlib.contextmanager
def folder_lock(folder: Path, *, wait: bool = True) -> Iterator[None]:
    """The write lock of the index in ``folder``, across processes; ``IndexStoreError`` after ``LOCK_TIMEOUT``
    (``Busy`` at once, without ``wait``)."""
    path = folder / LOCK
    lock = FileLock(path)
    try:
        lock.acquire(timeout=min(QUIET_WAIT, LOCK_TIMEOUT) if wait else 0)
    except Timeout:
        if not wait:
            raise Busy(f"another qabot process is writing the index in {folder} (it holds {path})") from None
        limit = f"{LOCK_TIMEOUT / 60:g} minutes" if LOCK_TIMEOUT >= 120 else f"{LOCK_TIMEOUT:g} s"
        log.warning("waiting for another qabot process to finish writing the index in %s (it holds %s; "
                    "waiting up to %s)", folder, path, limit)
        try:
            lock.acquire(timeout=max(0.0, LOCK_TIMEOUT - QUIET_WAIT))
        except Timeout:
            raise IndexStoreError(f"another qabot process has been writing the index in {folder} for over {limit} "
                                  f"(it holds {path}): nothing was changed; try again once it has finished") from None
    try:
        yield
    finally:
        lock.release()


class ChangeLock:
    """One change at a time in this process; a change asked for by the thread making one is refused, not waited for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder: int | None = None  # the thread making the change under way

    def refuse_here(self, what: str = "changed") -> None:
        """``QABotError`` if this thread is making the change under way (a callback's): it would wait for itself."""
        if self._holder == threading.get_ident():
            raise QABotError(f"the index cannot be {what} from within a change under way (a notify or warn "
                             f"callback, say): do it once that change has returned")

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        self.refuse_here()
        with self._lock:
            self._holder = threading.get_ident()
            try:
                yield
            finally:
                self._holder = None
