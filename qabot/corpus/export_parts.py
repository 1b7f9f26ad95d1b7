"""A channel that DiscordChatExporter exported in parts (``--partition``), or more than once: which files are its.

With ``--partition`` (a number of messages, or a size: ``10mb``), DiscordChatExporter writes
one channel's export in several files: the first under the export's own name, each next
one with `` [part N]`` before its suffix, N from 2 (its ``MessageExporter.GetPartitionFilePath``):
``Club - help [123].json``, ``Club - help [123] [part 2].json``, ... Each part is a whole
export (``guild``, ``channel``, and the next stretch of the messages), so read alone, a
conversation across a cut would be two exchanges, and a reply to a message of another
part would find nothing to link to. The reader reads a channel's parts as one stream of
messages instead (``discord_export.read_parts``; parts of another ``channel.id``, a file
renamed by hand, are read on their own).

So are a channel's other exports in the same folder, by the name DiscordChatExporter gives
them (``... [<channel id>]``, and `` (<after> to <before>)`` for a date range: ``channel_of``):
month by month (``--after``/``--before``), in ranges that overlap, or a fresh full export
beside an older one. Their messages are read in the order they were sent, and a message in
two of them once (``read_parts``), so a reply in June's file to a question in May's is one
exchange, and nothing is quoted, cited or counted twice.

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
# DiscordChatExporter's own name for an export: "<guild> - <category> - <channel> [<channel id>]", then, for one
# given a date range, " (<after> to <before>)" ("(after ...)", "(before ...)"; ``ExportRequest.GetDefaultOutputFileName``);
# a channel's id is a snowflake, of 17 digits or more since 2015 (a "[2024]" in a name is no channel)
_CHANNEL = re.compile(r"^(?P<folder>(?:.*/)?)[^/]*\[(?P<id>[0-9]{15,20})\](?: \([^()/]*\))?\.json$", re.IGNORECASE)


def part_of(name: str) -> tuple[str, int]:
    """The name of the export a file is a part of (its first part's name), and its number (1 for the first)."""
    match = _PART.match(name)
    if match is None:
        return name, 1
    return match["stem"] + match["suffix"], int(match["number"])


def channel_of(name: str) -> str:
    """What a file's name says of the channel it holds: the files of one channel's exports in one folder, under the
    names DiscordChatExporter gives them, share it (``<folder>/[<channel id>]``); else its export's name (``part_of``)."""
    export = part_of(name)[0]
    match = _CHANNEL.match(export)
    return export if match is None else f"{match['folder']}[{match['id']}]"


def units(changed: Sequence[CorpusFile], present: Iterable[CorpusFile], removed: Iterable[str] = ()
          ) -> list[list[CorpusFile]]:
    """What to read for a change: each changed file alone, or with every part of its channel in ``present``, in
    order; and, for a part ``removed``, its channel's parts still ``present``. Each file once."""
    exports: dict[str, list[CorpusFile]] = {}
    for file in present:
        if file.suffix == ".json":
            exports.setdefault(channel_of(file.name), []).append(file)
    out: list[list[CorpusFile]] = []
    done: set[str] = set()  # the files and the exports taken

    def take(key: str, files: list[CorpusFile]) -> None:
        if key not in done:
            done.update((key, *(file.name for file in files)))
            out.append(sorted(files, key=lambda file: part_of(file.name)))

    for file in changed:
        export = channel_of(file.name) if file.suffix == ".json" else file.name
        parts = exports.get(export, [])
        take(*((export, parts) if len(parts) > 1 else (file.name, [file])))
    for name in removed:  # the parts left are another channel now: read them again
        export = channel_of(name)
        if parts := [file for file in exports.get(export, ()) if file.name not in done]:
            take(export, parts)
    return out
