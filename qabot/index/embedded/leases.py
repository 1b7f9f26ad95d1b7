"""Leases: a segment that a live process reads is never deleted under it.

Every segment folder has an empty ``.readers`` file. A process that opens the segment
holds a shared ``flock`` on it for as long as it serves from it; the kernel drops the lock
when the process exits, however it exits. A segment the manifest no longer names (merged
into another, or all its documents deleted) is removed only when nobody holds it: the
remover takes the lock exclusively, without waiting, and skips the segment if it cannot.
Segments kept this way are removed later, by the next commit, or by the last reader when
it lets go of one that is no longer current (that one only: only a writer, under the write
lock, sweeps the folder, since a segment it has just renamed into place is not yet named).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

LEASE = ".readers"
MANIFEST = "manifest.json"
DELETED = ".deleted"  # a segment's deletion list: <segment>.<generation>.deleted
# Only what qabot names is ever removed: the index folder may hold anything else (``--index .``, a corpus beside it).
_ID = r"\d{8}T\d{6}-[0-9a-f]{8}"  # manifest.new_build_id
_SEGMENT = re.compile(rf"(?:seg|build)-{_ID}")
_TEMPORARY = re.compile(rf"\.tmp-{_ID}")  # a segment being written
_WRITTEN = re.compile(rf"\.{re.escape(MANIFEST)}\.[0-9a-f]{{8}}|seg-{_ID}\.\d+{re.escape(DELETED)}")


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
        """Let go of the segment, and remove it if it is no longer current and nobody else reads it."""
        held = self._fd is not None
        self._close()
        if not held:
            return
        # Only this segment: a name the manifest has dropped never comes back, whereas another folder it does not
        # name yet may be a writer's new segment, renamed into place and about to be committed.
        keep = current_files(self.folder.parent)
        if keep is not None and self.folder.name not in keep:
            _remove_if_free(self.folder)


def current_files(index_dir: Path) -> set[str] | None:
    """The segments and deletion lists the manifest names, read without validating the rest of it."""
    import json

    try:
        manifest = json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))
        segments = manifest["segments"]
        return {s["name"] for s in segments} | {s["deleted"] for s in segments if s.get("deleted")}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remove_unused(index_dir: Path, keep: set[str] | None, *, temporary: bool = False) -> None:
    """Remove every segment (and whole build of an older format) but those in ``keep`` that no process holds; only
    names qabot gives are looked at, whatever else the folder holds.

    ``temporary`` also removes what only a writer may say is unused, since it holds the
    write lock: the temporary folders of writes that died, and deletion lists that the
    manifest no longer names (a reader loads those when it opens, and opens again if one
    went missing meanwhile).

    Never raises: it runs after a commit, which a failure to remove what is unused must not
    undo in the caller's eyes, and before each change, which it must not stop.
    """
    if keep is None:
        return  # no readable manifest: nothing can be said to be unused
    try:
        entries = list(index_dir.iterdir())
    except OSError:
        return
    for path in entries:
        if path.name in keep:
            continue
        if _SEGMENT.fullmatch(path.name) and path.is_dir():
            _remove_if_free(path)
        elif temporary and _TEMPORARY.fullmatch(path.name) and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif temporary and _WRITTEN.fullmatch(path.name) and path.is_file():
            with contextlib.suppress(OSError):  # as the folders above: what stays is swept by a later writer
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
