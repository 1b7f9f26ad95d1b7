"""Watching, for ``LivingIndex.watch``: the corpus folder, or (a replica) the committed state of a shared index.

``Watcher`` runs watchfiles (inotify on Linux, the platform's own notifications
elsewhere) in a daemon thread over the corpus folder and the index's manifest. Changes
are debounced by watchfiles itself: a batch is handed on once no new change has come for
``QUIET_MS`` (at most ``MAX_WAIT_MS`` after the first), so saving ten files is one
update. Hidden files, editors' swap files and the index folder's own writes are
ignored, except the manifest, whose change means another process committed a change.
``armed`` is set once the watch is in place; ``on_armed`` then runs first, in the
watcher's thread, so that what changed before the watch began is not missed. A watch that
fails (watchfiles stops at the first change to a file whose name is not UTF-8, and will
not skip it; the system's limit of watches is reached) says so in one line and falls back
to polling: ``on_change`` with no paths (anything may have changed) every ``POLL_S``, or, where comparing the
corpus with the index takes long (a hundred thousand files), after nine times as long as it took (at most
``POLL_MAX_S``), so that an idle process does not spend its CPU comparing.
A change that finds another process writing the index (``Busy``) is tried again every
``RETRY_S``, with the changes that come meanwhile, until it is made or the watch stops.
A corpus folder removed, replaced (a link to it pointed elsewhere) or mounted over is no
longer the folder watched: it is watched again once it is there, and compared with the index.
Unless links out of the corpus folder are read (``corpus_external_links``), each folder the scan reads is
watched alone, not the corpus folder recursively (a recursive watch arms through every link, one to ``/usr`` too):
a new folder in it (made, moved in) is watched once it appears, and the corpus compared with the index then.

``Poller`` is what a read-only replica uses instead: it has no corpus to watch.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Self

from qabot.index.locks import Busy
from qabot.text import first_line

if TYPE_CHECKING:
    from qabot.index.manifest import BuildConfig

log = logging.getLogger(__name__)

QUIET_MS = 400  # a batch of changes ends after this long without a new one
MAX_WAIT_MS = 5000  # ... or this long after it began, whichever comes first
IDLE_MS = 100  # how often an idle watch wakes up (to notice a stop, and at its start, that it is armed)
POLL_S = 2.0  # how often the corpus is compared with the index once watching it failed
POLL_MAX_S = 30.0  # ... or nine times as long as comparing it took, at most this long
RETRY_S = 1.0  # how often a change that found another process writing the index is tried again
MANIFEST = "manifest.json"


class _Background:
    """A daemon thread running ``_run`` until ``stop``; ``armed`` is set once it is in place."""

    name = "qabot-background"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self.armed = threading.Event()

    def _run(self) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)


class Watcher(_Background):
    """Calls ``on_change(paths)`` in a background thread after each debounced batch of changes (or each poll) in
    ``config``'s corpus folder."""

    name = "qabot-watch"

    def __init__(self, config: BuildConfig, on_change: Callable[[set[Path]], None],
                 on_armed: Callable[[], object] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.external_links = config.corpus_external_links  # watchfiles follows every link, those not read too
        self.clock = clock
        self.given = config.corpus_dir  # as named: a link to it may be pointed elsewhere
        self.corpus_dir = config.corpus_dir.resolve()
        self.index_dir = config.index_dir.resolve()
        self.on_change = on_change
        self.on_armed = on_armed
        self._waiting: set[Path] | None = None  # the changes of a call that found the index busy
        self._retry_at = 0.0

    def relevant(self, path: Path) -> bool:
        """A change to a corpus file, or to the index's manifest; not the index's other writes (the corpus folder may
        lie in the index folder, or the index folder in the corpus folder: the deeper one is a path's)."""
        if path == self.index_dir / MANIFEST:
            return True
        if not path.is_relative_to(self.corpus_dir):
            return False
        if path.is_relative_to(self.index_dir) and self.index_dir.is_relative_to(self.corpus_dir):
            return False
        if not self.external_links and not Path(os.path.realpath(path)).is_relative_to(self.corpus_dir):
            return False  # through a link that leads out of the folder, which is not read (a busy log folder)
        parts = path.relative_to(self.corpus_dir).parts
        return bool(parts) and not any(p.startswith(".") for p in parts) and not parts[-1].endswith(("~", ".swp"))

    def _run(self) -> None:
        try:
            self._watch()
        except Exception as exc:  # noqa: BLE001 - a watch that fails must say so, and go on another way
            if not self._stop.is_set():
                log.warning("cannot watch %s for changes (%s); comparing it with the index every %g s instead",
                            self.corpus_dir, first_line(exc), POLL_S)
                self._poll()
        finally:
            self.armed.set()

    def _watch(self) -> None:
        import watchfiles

        again = False  # the folder came back, or a new one in it: anything in it may have changed
        while True:
            folder, self.corpus_dir = _identity(self.given), self.given.resolve()
            self.index_dir.mkdir(parents=True, exist_ok=True)
            both = (self.corpus_dir, self.index_dir)
            paths = [one for one in both if not any(one != other and one.is_relative_to(other) for other in both)]
            folders = None if self.external_links else _folders(self.corpus_dir, self.index_dir)
            if folders is not None:  # each folder alone: a recursive watch arms through every link, to /usr too
                paths = [self.index_dir, *(one for one in folders if one != self.index_dir)]
            changes = watchfiles.watch(
                *paths,
                recursive=folders is None,
                watch_filter=lambda _change, path: self.relevant(Path(path)),
                debounce=MAX_WAIT_MS,
                step=QUIET_MS,
                stop_event=self._stop,
                rust_timeout=IDLE_MS,
                yield_on_timeout=True,
                raise_interrupt=False,
                ignore_permission_denied=True,
            )
            # watchfiles starts watching when the generator first runs, and yields (a batch,
            # or nothing after IDLE_MS) only once it does: the first yield means armed.
            for batch in changes:
                self._arm()
                if folders is not None and _new_folder(batch, folders):  # not yet watched: armed again, compared
                    again = True
                    break
                if again or batch or (self._waiting is not None and self.clock() >= self._retry_at):
                    self._handle(set() if again else {Path(path) for _, path in batch})
                    again = False
                if _identity(self.given) != folder:  # removed, replaced or mounted over: no longer the one watched
                    break
            else:
                return  # stopped
            changes.close()
            if _identity(self.given) == folder:
                continue  # a new folder in it
            log.info("%s was removed or replaced: it is watched again once it is there", self.given)
            while _identity(self.given) is None:
                if self._stop.wait(POLL_S):
                    return
            again = True

    def _poll(self) -> None:
        """Instead of a watch that failed: anything may have changed, every ``POLL_S``, or nine times as long as the
        last comparison took, up to ``POLL_MAX_S`` (the first time at once if the watch failed before it was in place)."""
        self._arm()
        wait = POLL_S
        while not self._stop.wait(wait):
            began = self.clock()
            self._handle(set())
            wait = min(max(POLL_S, 9 * (self.clock() - began)), POLL_MAX_S)

    def _arm(self) -> None:
        if not self.armed.is_set():
            self.armed.set()
            if self.on_armed is not None:
                self._call(self.on_armed, set())

    def _handle(self, paths: set[Path]) -> None:
        """``on_change`` for ``paths``, and for those of a call that found the index busy."""
        paths = paths | (self._waiting or set())
        self._call(lambda: self.on_change(set(paths)), paths)

    def _call(self, action: Callable[[], object], paths: set[Path]) -> None:
        """Run ``action``; if another process is writing the index, ``on_change(paths)`` is due again in ``RETRY_S``."""
        try:
            action()
        except Busy:
            if self._waiting is None:
                log.info("another qabot process is writing the index: the change is made once it has finished")
            self._waiting, self._retry_at = paths, self.clock() + RETRY_S
            return
        except Exception:
            log.exception("updating the index after a change failed")
        self._waiting = None


def _folders(root: Path, index_dir: Path) -> set[Path]:
    """The folders the scan reads in ``root`` (by their real paths): not hidden ones, not the index folder's, none
    through a link that leads out of ``root``."""
    found: set[Path] = set()
    own = index_dir if index_dir != root and index_dir.is_relative_to(root) else None
    todo = [root]
    while todo:
        real = Path(os.path.realpath(todo.pop()))
        if real in found or not real.is_relative_to(root) or (own is not None and real.is_relative_to(own)):
            continue
        found.add(real)
        with contextlib.suppress(OSError), os.scandir(real) as entries:  # one that cannot be listed: the scan's warning
            todo.extend(Path(entry.path) for entry in entries if not entry.name.startswith(".") and _is_dir(entry))
    return found


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _new_folder(batch: set[tuple[object, str]], folders: set[Path]) -> bool:
    """Whether ``batch`` names a folder that is not watched yet (made, moved in, renamed)."""
    return any(os.path.isdir(path) and Path(os.path.realpath(path)) not in folders for _, path in batch)


def _identity(folder: Path) -> tuple[int, int] | None:
    """Which folder is at ``folder`` now (its device and inode), or None where there is none."""
    try:
        found = os.stat(folder)
    except OSError:
        return None
    return found.st_dev, found.st_ino


class Poller(_Background):
    """Calls ``on_change(value)`` in a background thread whenever ``probe()`` returns something new.

    What a read-only replica uses instead of a ``Watcher``: it has no corpus to watch, only
    the shared index, whose current build ``probe`` reads every ``interval`` seconds. A
    failing probe (the server restarting) is logged once and tried again next time.
    """

    name = "qabot-poll"

    def __init__(self, interval: float, probe: Callable[[], object], last: object,
                 on_change: Callable[[object], None]) -> None:
        super().__init__()
        self.interval = interval
        self.probe = probe
        self.last = last
        self.on_change = on_change

    def _run(self) -> None:
        failing = False
        self.armed.set()
        while not self._stop.wait(self.interval):
            try:
                value = self.probe()
            except Exception as exc:  # noqa: BLE001 - a replica keeps serving while the index is unreachable
                if not failing:
                    log.warning("cannot check the index for a new version: %s", exc)
                failing = True
                continue
            failing = False
            if value != self.last:
                try:
                    self.on_change(value)
                except Exception:  # tried again at the next poll
                    log.exception("switching to the new version of the index failed")
                else:
                    self.last = value
