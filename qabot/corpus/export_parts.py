"""A channel that DiscordChatExporter exported in parts (``--partition``), or more than once: which files are its,
and their messages read in the order they were sent (``merged``; one export written newest first: ``chronological``).

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

import heapq
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain

from qabot.corpus import chat, conversations
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


def merged(streams: Sequence[Iterator[chat.ChatMessage]]) -> Iterator[chat.ChatMessage]:
    """The messages of a channel's files (each stream in order), merged in the order they were sent, each once
    (``_once``): of one file too, which may hold a message twice (two exports joined by hand)."""
    return _once(heapq.merge(*streams, key=_sent))


def _sent(message: chat.ChatMessage) -> tuple[float, int]:
    """When a message was sent, to read a channel's files in order: its time, then its id (a snowflake)."""
    number = int(message.id) if message.id.isascii() and message.id.isdigit() and len(message.id) <= 20 else 0
    return (math.inf if message.seconds is None else message.seconds, number)


def _once(messages: Iterable[chat.ChatMessage]) -> Iterator[chat.ChatMessage]:
    """The messages of a channel's files merged in order (``_sent``), a message in two of them once: the copy from
    the file read first (its two copies are side by side), unless that is only the placeholder an older export holds
    for a thread's first message (``discord_export.STARTERS``) and another file holds the message. Copies that
    disagree about when it was sent (a file edited by hand) are not side by side: the first in order is read."""
    last = None
    said: set[str] = set()  # the ids of the messages read that say something
    for message in chain(messages, [None]):  # None: the end, after the last
        if last is not None and message is not None and message.id == last.id:
            if not last.says_something and message.says_something:
                last = message
            continue
        if last is not None and last.id not in said:
            if last.says_something:
                said.add(last.id)
            yield last
        last = message


def chronological(messages: Iterator[chat.ChatMessage]) -> Iterator[chat.ChatMessage]:
    """The messages oldest first, as untangling reads them.

    An export written newest first (DiscordChatExporter's ``--reverse``), its second
    message older than its first (by their ids, Discord's, which grow with every message; by
    their times where an id is none: one message's time, wrong or edited by hand, turned a whole
    export round), is turned round: its messages are held (as laid out, not their JSON) until the
    last is read. An export in order streams on.
    """
    head = [message for _, message in zip(range(2), messages, strict=False)]
    numbers = [conversations.id_number(message.id) for message in head]
    if len(head) == 2 and (numbers[1] < numbers[0] if None not in numbers else _before(head[1], head[0])):
        held = [*head, *messages]
        held.reverse()
        yield from held
        return
    yield from head
    yield from messages


def _before(one: chat.ChatMessage, other: chat.ChatMessage) -> bool:
    """Whether ``one`` was sent before ``other``: by time, then by id where the two share a time (Discord's ids,
    snowflakes, grow with every message). False where either has no time, or they share one and an id is no
    number."""
    if one.seconds is None or other.seconds is None:
        return False
    if one.seconds != other.seconds:
        return one.seconds < other.seconds
    ids = [message.id for message in (one, other)]
    return all(i.isascii() and i.isdigit() for i in ids) and int(ids[0]) < int(ids[1])
