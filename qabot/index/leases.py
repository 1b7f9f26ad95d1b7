"""Leases: a build that a live process reads is never deleted under it.

Every build folder has an empty ``.readers`` file. A process that loads the build holds
a shared ``flock`` on it for as long as it serves from it; the kernel drops the lock
when the process exits, however it exits. A build is removed only when nobody holds
it: the remover takes the lock exclusively, without waiting, and skips the build if it
cannot. Builds kept this way are removed later, by the next build, or by the last
reader when it lets go of a build that is no longer the current one.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

LEASE = ".readers"
MANIFEST = "manifest.json"


class Lease:
    """A shared hold on one build folder, released by ``release`` (or when the process ends)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._fd: int | None = None
        try:
            self._fd = os.open(folder / LEASE, os.O_RDONLY)
            fcntl.flock(self._fd, fcntl.LOCK_SH)
        except OSError:
            # No lease file (a build from before leases), or a file system without locks:
            # the build is served all the same, only unprotected.
            self._close()

    def _close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def release(self) -> None:
        """Let go of the build, and remove it if it is no longer current and nobody else reads it."""
        held = self._fd is not None
        self._close()
        if held:
            remove_unused(self.folder.parent, keep=current_build(self.folder.parent))


def current_build(index_dir: Path) -> str | None:
    """The build the manifest names, read without validating the rest of it."""
    import json

    try:
        return str(json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))["build"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remove_unused(index_dir: Path, keep: str | None, *, temporary: bool = False) -> None:
    """Remove every build but ``keep`` that no process holds.

    ``temporary`` also removes the temporary folders of builds that died: only a builder,
    which holds the build lock, may say that no build is under way.
    """
    if keep is None:
        return  # no readable manifest: nothing can be said to be unused
    try:
        entries = list(index_dir.iterdir())
    except OSError:
        return
    for path in entries:
        if path.name == keep:
            continue
        if path.name.startswith("build-") and path.is_dir():
            _remove_if_free(path)
        elif temporary and path.name.startswith(".tmp-") and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif temporary and path.name.startswith(f".{MANIFEST}."):
            path.unlink(missing_ok=True)


def _remove_if_free(folder: Path) -> None:
    try:
        fd = os.open(folder / LEASE, os.O_RDONLY)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)  # no lease file: nobody can hold it
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        log.debug("keeping %s: a process still reads it", folder.name)
        os.close(fd)
        return
    try:
        shutil.rmtree(folder, ignore_errors=True)
    finally:
        os.close(fd)
