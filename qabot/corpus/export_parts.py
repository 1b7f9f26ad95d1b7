"""A channel that DiscordChatExporter exported in parts (``--partition``): which files are its parts.

With ``--partition`` (a number of messages, or a size: ``10mb``), DiscordChatExporter writes
one channel's export in several files: the first under the export's own name, each next
one with `` [part N]`` before its suffix, N from 2 (its ``MessageExporter.GetPartitionFilePath``):
``Club - help [123].json``, ``Club - help [123] [part 2].json``, ... Each part is a whole
export (``guild``, ``channel``, and the next stretch of the messages), so read alone, a
conversation across a cut would be two exchanges, and a reply to a message of another
part would find nothing to link to. The reader reads a channel's parts as one stream of
messages instead (``discord_export.read_parts``; parts of another ``channel.id``, a file
renamed by hand, are read on their own).

Each exchange stays one document, whose source is the part its first message is in (its
id is that message's: ``<channel>-<first message>``); each message keeps its own jump
link, author and time. But a part's change can change another part's documents (a reply
in part 3 joins an exchange of part 2), so a channel's parts are the unit of reading
(``units``): when one is added, changed or removed, all of them that are still there are
read again, and each document is compared with what its own source holds in the index.
Documents that did not change keep their digest, and are not written or embedded again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from qabot.corpus.files import CorpusFile

_PART = re.compile(r"^(?P<stem>.*) \[part (?P<number>[1-9][0-9]{0,5})\](?P<suffix>\.json)$", re.IGNORECASE)


def part_of(name: str) -> tuple[str, int]:
    """The name of the export a file is a part of (its first part's name), and its number (1 for the first)."""
    match = _PART.match(name)
    if match is None:
        return name, 1
    return match["stem"] + match["suffix"], int(match["number"])


def units(changed: Sequence[CorpusFile], present: Iterable[CorpusFile], removed: Iterable[str] = ()
          ) -> list[list[CorpusFile]]:
    """What to read for a change: each changed file alone, or with every part of its channel in ``present``, in
    order; and, for a part ``removed``, its channel's parts still ``present``. Each file once."""
    exports: dict[str, list[CorpusFile]] = {}
    for file in present:
        if file.suffix == ".json":
            exports.setdefault(part_of(file.name)[0], []).append(file)
    out: list[list[CorpusFile]] = []
    done: set[str] = set()  # the files and the exports taken

    def take(key: str, files: list[CorpusFile]) -> None:
        if key not in done:
            done.update((key, *(file.name for file in files)))
            out.append(sorted(files, key=lambda file: part_of(file.name)[1]))

    for file in changed:
        export = part_of(file.name)[0] if file.suffix == ".json" else file.name
        parts = exports.get(export, [])
        take(*((export, parts) if len(parts) > 1 else (file.name, [file])))
    for name in removed:  # the parts left are another channel now: read them again
        export = part_of(name)[0]
        if parts := [file for file in exports.get(export, ()) if file.name not in done]:
            take(export, parts)
    return out
