"""The write lock of an index: one change at a time in this process, and what a change says told after it.

``ChangeLock`` is the lock ``LivingIndex`` takes for a change. The callbacks a change
reports to (``notify``, ``warn``) are not called while it holds the lock: what it says is
kept, and told in order once the lock is let go, so that a callback may change the index
itself (it would otherwise wait forever for the lock its own thread holds).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

Notify = Callable[[str], None]


class ChangeLock:
    """One change at a time in this process; what the change under way says is told after it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._said: list[tuple[Notify, str]] | None = None  # what the change under way said
        self._holder: int | None = None  # the thread making it

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        said: list[tuple[Notify, str]] = []
        try:
            with self._lock:
                self._said, self._holder = said, threading.get_ident()
                try:
                    yield
                finally:
                    self._said, self._holder = None, None
        finally:
            for callback, message in said:
                callback(message)

    def say(self, callback: Notify, message: str) -> None:
        """Call ``callback`` now, or once the change this thread makes has let go of the lock."""
        said = self._said
        if said is not None and self._holder == threading.get_ident():
            said.append((callback, message))
        else:
            callback(message)
