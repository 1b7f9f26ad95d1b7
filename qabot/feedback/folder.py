"""Where the state database lives: the state folder, and the one check that it can be a folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from qabot.errors import StateError

if TYPE_CHECKING:
    from qabot.settings import Settings


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
