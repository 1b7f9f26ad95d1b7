"""Walking a folder tree as ``os.walk`` does, without recursion: Python 3.11's ``os.walk`` recursed once a folder,
and a thousand nested folders failed the whole build with a ``RecursionError``."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path


def walk(top: str | Path, onerror: Callable[[OSError], None]) -> Iterator[tuple[str, list[str], list[str]]]:
    """``os.walk(top, onerror=onerror)`` without recursion: Python 3.11's failed in a thousand nested folders."""
    stack = [os.fspath(top)]
    while stack:
        folder = stack.pop()
        dirs: list[str] = []
        names: list[str] = []
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    try:
                        is_dir = entry.is_dir()
                    except OSError:
                        is_dir = False
                    (dirs if is_dir else names).append(entry.name)
        except OSError as error:
            onerror(error)
            continue
        yield folder, dirs, names  # the caller may prune dirs, as os.walk's may
        paths = (os.path.join(folder, name) for name in reversed(dirs))
        stack.extend(path for path in paths if not os.path.islink(path))
