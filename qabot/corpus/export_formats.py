"""What DiscordChatExporter writes that qabot does not read as chat: its exports in other formats than JSON, and
the media it downloads beside an export. Each is recognised, and skipped with a line that says why."""

from __future__ import annotations

import os
import re
from pathlib import Path

# DiscordChatExporter's other formats, by the file names it gives them, and what each begins with (versions 2.5 and
# later): HTML's chat log opens after its styles (some 40 KB; a long channel topic adds a little), plain text
# opens with a rule of 62 '=' and the server's name, CSV with its header (';' before 2.2x, ',' since).
_HEAD = 256 * 1024
_OTHER_FORMATS = {
    ".html": ("HTML", re.compile(rb'<div class="chatlog">')),
    ".txt": ("plain text", re.compile(rb"\A(?:\xef\xbb\xbf)?={62}\r?\nGuild: ")),
    ".csv": ("CSV", re.compile(rb"\A(?:\xef\xbb\xbf)?(?:AuthorID[;,])?Author[;,]Date[;,]Content[;,]Attachments")),
}


def another_format(path: str | Path) -> str | None:
    """Why a file is skipped where it is a DiscordChatExporter export in a format other than JSON, else None.

    Only its first bytes are read, before any reader limit: a channel's HTML export is
    megabytes of markup, which would be refused for its size before it was recognised.
    """
    kind, start = _OTHER_FORMATS.get(os.path.splitext(path)[1].lower(), (None, None))
    if start is None:
        return None
    with open(path, "rb") as handle:
        head = handle.read(_HEAD if kind == "HTML" else 1024)
    if not start.search(head):
        return None
    return f"a DiscordChatExporter export in {kind}; qabot reads its JSON exports as chat (export with --format Json)"


def explain(path: str) -> str | None:
    """Why a folder or a file of another type is not read, where it is DiscordChatExporter's: an export in another
    format (``another_format``), or the media it downloaded for an export (``--media``: ``<export>_Files/``,
    beside it), whose avatars, emoji and attachments would each be a warning, or a document cut off from its chat."""
    if os.path.isdir(path):
        export = path.removesuffix("_Files")
        if export != path and os.path.isfile(export):
            return (f"the media DiscordChatExporter downloaded for {os.path.basename(export)} (avatars, "
                    "attachments); move a file out of it to index it")
        return None
    return another_format(path)
