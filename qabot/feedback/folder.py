"""Where the state database lives: the state folder, and the one check that it can be a folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from qabot.errors import StateError

if TYPE_CHECKING:
    from qabot.settings import Settings

DATABASE = "qabot.sqlite3"
SALT = "salt"


def state_dir(settings: Settings) -> Path:
    """The state folder: ``QABOT_STATE_DIR``, else ``qabot-state`` beside the index folder."""
    if settings.state_dir is not None:
        return settings.state_dir
    return settings.index_dir.absolute().parent / "qabot-state"


def check_folder(folder: Path) -> None:
    """Refuse a state folder that is a file, or lies under one: no database could ever be kept there, and reading
    it would only find none ("No feedback yet"). A folder still to be made, or one that cannot be looked at, is
    left to the first write, which names the setting too."""
    for path in (folder, *folder.parents):
        try:
            if not path.exists():
                continue
            if path.is_dir():
                return
        except OSError:
            return
        what = "is a file" if path.is_file() else "is not a folder"
        where = f"{folder} {what}" if path == folder else f"{folder} lies under {path}, which {what}"
        raise StateError(f"QABOT_STATE_DIR is not a folder: {where}")


def owns(folder: Path, path: Path) -> bool:
    """Whether ``path`` is the state folder, one above it, or one of its own files (the database, the files SQLite
    keeps beside it, the salt), however spelt: a file written there replaces what nothing brings back."""
    path, folder = Path(path), Path(os.path.realpath(folder))
    return folder.is_relative_to(os.path.realpath(path)) or (path.name == SALT or path.name.startswith(
        DATABASE)) and os.path.realpath(path.parent) == str(folder)
