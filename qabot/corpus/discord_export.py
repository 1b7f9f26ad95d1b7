"""The reader for Discord history: a DiscordChatExporter JSON export (``.json``), one document per exchange.

The format is the one DiscordChatExporter's ``JsonMessageWriter`` writes: an object
with ``guild`` (``id``, ``name``), ``channel`` (``id``, ``name``, ``type``: a thread's, or an
announcement channel's, whose exchanges open with news; for a thread its parent as
``category``), and ``messages``, each with ``id``, ``type``, ``timestamp``
(ISO 8601), ``timestampEdited``, ``content`` (Markdown already rendered as plain text; as
sent, ``<@id>`` tokens and all, with ``--markdown false``: see ``export_messages.Tokens``),
``author`` (``name``, and ``nickname``: the display name), ``attachments``
(``fileName``, ``url``), ``embeds``, ``reactions`` (since 2.40 with their ``users``: a ✅ from the asker
marks the answer, as live) and, for a reply, ``reference.messageId``. Direct
messages sit in a pseudo-guild with id ``0``.

Each chat message (types ``Default`` and ``Reply``, and a bot's answer to a command:
``CHAT_TYPES``; joins, pins and other system notices are left out) is one paragraph,
``"<display name>: <content>"``, with its attachments' names and its embeds' titles
after it; a message with none of these (a sticker alone) is left out too: it has nothing
to quote. A forwarded message (``reference.type`` ``"Forward"``; DiscordChatExporter
2.47 and later write what it forwards as ``forwardedMessage``: ``content``,
``attachments``, ``embeds``, ``timestamp``, no author) is read as the forwarding
message's text (``qabot.corpus.chat``), and its reference is no reply: it points at the
forwarded message, perhaps in another channel. Discord shows every deleted account's
messages under one author ("Deleted User"): a reply under it to a message under it is read
as another person's (``qabot.corpus.deleted``). The paragraph keeps its author, its timestamp (when
it was sent; the export holds the edited text) and its jump link
(``https://discord.com/channels/<guild>/<channel>/<message>``), which is what its
citation links to. The channel's conversations are untangled (``conversations``: replies,
addressing, authors and time), and each exchange is one document
(``<channel id>-<first message id>``), laid out by ``qabot.corpus.chat`` exactly as a live
channel's are, so that a question and its answers share passages and an excerpt never
runs on into another conversation. A thread's export is one conversation; a thread started
from a message opens with that message where DiscordChatExporter wrote it (since mid-2026),
so the question and its answers are one exchange. In an announcement's thread, that message
links to where it was posted, the parent channel (the export's ``categoryId``), as live; in
another public thread it may be a forum post's own first message, which the export does not
tell apart, and links into the thread. An older export holds only a placeholder
(type ``21``) in its place, with no text, and so does a newer one (type ``ThreadStarterMessage``)
where it could not fetch that message (deleted): such an export is read with a warning saying so,
its first message marked as answering a question it does not hold (``ChatMessage.answers_absent``).
A paragraph's number is still its message's place in the channel, and it keeps its role
in its exchange. An export written newest first (``--reverse``) is read oldest first. The parts of an export
cut with ``--partition`` are read as one channel (``read_parts``; ``qabot.corpus.export_parts``), and so are a
channel's exports in one folder (month by month, or again): their messages in the order they were sent, each once.

DiscordChatExporter's other formats (HTML, its default; plain text; CSV) hold no channel
or message ids for jump links, dates only as the exporter's locale wrote them, and, in
text and CSV, members by user name (CSV: by id too). Such an export is recognised
(``another_format``: by what DiscordChatExporter writes at its top) and skipped with a
warning naming it and the way out (``--format Json``), not read as a web page or text,
which would quote its authors and times as text and run its conversations together.

A ``.json`` file that is not such an export, or lacks ``guild``, ``channel`` or their
ids (Discord's: a jump link ends with them), is skipped with a warning naming it; so is
a message that lacks a field it needs, or whose id is no Discord id, naming the message.
So is JSON nested deeper than ``MAX_DEPTH`` levels (an export has six): ijson names every
event by its path from the top, so a few hundred kilobytes of ``[[[[...]]]]`` would cost
it gigabytes; and a message (or ``guild``, ``channel``) of more than ``MAX_VALUES`` JSON
values, each of which ijson builds as a Python object of some 60 bytes (20 MB of ``{},`` in
one message took 530 MB). Both are measured first, in one pass of events that carry no path.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import ijson

from qabot.corpus import chat, conversations, deleted, export_parts, limits
from qabot.corpus.export_bytes import lone_surrogates, open_export, rewind
from qabot.corpus.export_messages import Tokens, author_name, shown_extras
from qabot.corpus.files import CorpusFile, Warn
from qabot.models import Document
from qabot.text import first_line, fold, listed, scalar_text

SUFFIXES = frozenset({".json"})
MAX_DEPTH = 64  # levels of JSON nesting an export may have (DiscordChatExporter writes six)
# JSON values one message may hold (DiscordChatExporter writes a few hundred; seven for each member of a reaction's
# users: 280,000 of them): 2,000,000 built take some 130 MB
MAX_VALUES = 2_000_000
# DiscordChatExporter names only the types it knows and writes the others as their number: "20" and "23" are a
# bot's answer to a slash command or an app command (a factoid), "19" a reply in an export written before 2021.
CHAT_TYPES = frozenset({"Default", "Reply", "19", "20", "23"})
_COMMANDS = frozenset({"20", "23"})  # a bot's answer to a command: the export names who called it (``interaction``)
_ABSENT = object()
# The fields of a message whose type matters where present, and what it must be: an export written by hand, or by
# a buggy tool, may hold anything, and one such message is skipped, not its whole export.
_LIST = ((list, tuple, type(None)), "a list")
_FIELDS: dict[str, tuple[tuple[type, ...], str]] = {
    "id": ((str, int), "text or a number"), "content": ((str,), "text"), "attachments": _LIST, "embeds": _LIST,
    "mentions": _LIST, "reference": ((dict, type(None)), "an object"), "timestamp": ((str,), "text"),
    "forwardedMessage": ((dict, type(None)), "an object"), "reactions": _LIST,
}
_SNAPSHOT: dict[str, tuple[tuple[type, ...], str]] = {  # the same for what a forward forwards
    "content": ((str, type(None)), "text"), "attachments": _LIST, "embeds": _LIST,
}
FORWARD = "Forward"  # reference.type of a forwarded message
# A thread started from a message: Discord lists, first in the thread, a placeholder (type 21, no text) that only
# refers to that message in the parent channel; DiscordChatExporter, knowing no name for it, wrote "21" and no
# text. Since its pull request #1557 (June 2026) it writes the message itself there instead, id and all, and, where it
# cannot fetch it (deleted, or in a channel the exporter may not read), the placeholder under its new name.
STARTERS = frozenset({"21", "ThreadStarterMessage"})


_THREAD_NUMBERS = frozenset({"10", "11", "12"})  # Discord's announcement, public and private thread types
# An announcement channel and its threads (DiscordChatExporter's names, and Discord's numbers: see above): what
# opens an exchange there is news, not a question.
_ANNOUNCEMENTS = frozenset({"GuildNews", "GuildNewsChat", "GuildNewsThread", "5", "10"})


class TooDeep(ijson.JSONError):
    """JSON nested deeper than ``MAX_DEPTH``."""


class TooMany(ijson.JSONError):
    """A message (or the ``guild`` or ``channel``) of more than ``MAX_VALUES`` JSON values."""


_BUILT = frozenset({"guild", "channel", "messages"})  # the top keys whose values are built whole (messages: each)


def read(file: CorpusFile, warn: Warn) -> Iterator[Document]:
    return read_parts([file], warn)


def read_parts(files: Sequence[CorpusFile], warn: Warn) -> Iterator[Document]:
    """The documents of an export, or of the parts DiscordChatExporter cut one channel's export into, or of the
    channel's exports (``qabot.corpus.export_parts``): read as one stream of messages, one channel, each exchange's
    source the file its first message is in. A file of another channel (by ``channel.id``) is read on its own.

    A message in two of the files (ranges that overlap, a fresh export beside an older one)
    is read once, from the file exported last (``exportedAt``: its text as last edited), else
    from the first of them in ``files``; so is the channel's name.
    """
    channels: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    paths: dict[str, list[tuple[Path, bool]]] = {}  # and whether each is read mended (``_checked``)
    for file in files:
        try:
            mend = _checked(file, warn)
            export = header(file.path, mend=mend)
        except (ijson.JSONError, UnicodeDecodeError) as exc:  # yajl decodes strings as it reads them
            warn(f"skipping {file.name}: {_invalid(exc)}")
            continue
        if problem := _missing(export):
            warn(f"skipping {file.name}: not a DiscordChatExporter export ({problem})")
            continue
        channels.setdefault(str(export["channel"]["id"]), []).append(
            (file.name, {**export, "messages": _messages(file.path, mend=mend)}))
        paths.setdefault(str(export["channel"]["id"]), []).append((file.path, mend))
    for channel, parts in channels.items():
        parts.sort(key=lambda part: -_exported(part[1]))  # the last exported first
        said: Counter[str] = Counter()
        try:
            bridges = _bridges(m for path, mend in paths[channel] for m in _messages(path, mend=mend))
            result = channel_documents(parts, warn, said, bridges)
        except (ijson.JSONError, UnicodeDecodeError) as exc:
            for name, _ in parts:
                warn(f"skipping {name}: {_invalid(exc)}")
            continue
        for name, _ in parts:
            if not said[name]:
                warn(f"skipping {name}: the export holds no chat messages")
        yield from result


def _checked(file: CorpusFile, warn: Warn) -> bool:
    """Check the file's JSON (``check_depth``); whether it is to be read mended (``export_bytes.mended``: each lone
    surrogate it spells read as U+FFFD, with a warning), not skipped as if it were not UTF-8."""
    if count := lone_surrogates(file.path):
        warn(f"{file.name}: {count:,} lone surrogate code point{'s' if count > 1 else ''} (a JSON escape of half a "
             "character) replaced by U+FFFD")
    check_depth(file.path, mend=bool(count))
    return bool(count)


def check_depth(path: Path, limit: int = MAX_DEPTH, values: int = MAX_VALUES, *, mend: bool = False) -> None:
    """Raise ``TooDeep`` where the file's JSON nests deeper than ``limit``, ``TooMany`` where one of what is built
    whole of it (``guild``, ``channel``, each message) holds more than ``values`` JSON values: one pass of pathless
    events (``mend``: the file mended, ``export_bytes.mended``)."""
    depth = 0
    key = None  # the top object's key whose value is being read
    message = held = 0  # the message being read (from 1), and the values so far of what is being built
    with open_export(path, mend=mend) as handle:
        for event, value in limits.checked(ijson.basic_parse(handle, use_float=True)):
            if event == "start_map" or event == "start_array":
                depth += 1
                if depth > limit:
                    raise TooDeep(f"nested more than {limit} levels deep")
                if depth == 3 and key == "messages":  # a message begins
                    message, held = message + 1, 0
            elif event == "end_map" or event == "end_array":
                depth -= 1
                continue
            elif event == "map_key":
                if depth == 1:
                    key, held = value, 0
                continue
            elif depth == 2 and key == "messages":  # a message that is no object: counted, as the reader counts it
                message += 1
            if depth >= (3 if key == "messages" else 2) and key in _BUILT:
                held += 1
                if held > values:
                    what = f"its message {message:,}" if key == "messages" else f'its "{key}"'
                    raise TooMany(f"{what} holds more than {values:,} JSON values (an export's hold a few hundred), "
                                  "too many to read")


def header(path: Path, *, mend: bool = False) -> dict[str, Any] | None:
    """The export without its messages: ``guild``, ``channel``, ``messages`` as ``[]`` when it has a list, and
    ``exportedAt`` where it says when it was written.

    None when the file is not a JSON object. The messages themselves are read one at a
    time (``_messages``), never all at once: a big server's history is hundreds of
    megabytes of JSON, most of it authors, roles and reactions. ``guild`` and ``channel``
    come first in an export, so finding them reads little.
    """
    found: dict[str, Any] = {}
    with open_export(path, mend=mend) as handle:
        first = next(ijson.parse(handle, use_float=True), None)
        if first is None or first[1] != "start_map":
            return None
        for key in ("guild", "channel"):
            rewind(handle)
            value = next(ijson.items(handle, key, use_float=True), _ABSENT)
            if value is _ABSENT:
                return found
            found[key] = value
        if _missing({**found, "messages": []}):
            return found
        rewind(handle)
        for prefix, event, value in ijson.parse(handle, use_float=True):
            if prefix == "exportedAt" and event == "string":  # written before the messages (DiscordChatExporter 2.40.1+)
                found["exportedAt"] = value
            elif prefix == "messages":
                if event == "start_array":
                    found["messages"] = []
                break
    return found


def _messages(path: Path, *, mend: bool = False) -> Iterator[Any]:
    """The messages of an export, one at a time (``mend``: the file mended, ``export_bytes.mended``)."""
    with open_export(path, mend=mend) as handle:
        for message in ijson.items(handle, "messages.item", use_float=True):
            limits.check()  # system messages yield no text, but take time
            yield message


def _bridges(messages: Iterable[Any]) -> chat.Bridges:
    """The webhooks among a channel's messages' authors that bridge people (``chat.Bridges``): a pass before the
    one that reads the messages (over files: a twentieth of the time a file's embedding takes)."""
    bridges = chat.Bridges()
    for person in (m.get("author") for m in messages if isinstance(m, dict)):
        if isinstance(person, dict) and _webhook(person) and (name := author_name(person)) is not None:
            bridges.see(str(person.get("id")), name)
    return bridges


def _invalid(exc: Exception) -> str:
    if isinstance(exc, TooDeep):
        return f"its JSON is {exc}, not an export"
    if isinstance(exc, TooMany):
        return str(exc)
    # yajl's message may be a bytes repr quoting the file around the fault ("...text.\\n <the file> (right here)")
    message = first_line(exc).removeprefix("b'").removeprefix('b"').split("\\n", 1)[0]
    if "integer overflow" in message:  # valid JSON, but yajl reads whole numbers of 64 bits at most
        return "it holds a whole number too large to read (over 64 bits)"  # DiscordChatExporter writes none
    utf8 = "UTF8" in message or isinstance(exc, UnicodeDecodeError)
    return "not valid UTF-8 text" if utf8 else f"not valid JSON ({message.rstrip('.')})"


def _missing(export: Any) -> str | None:
    """What a DiscordChatExporter export lacks, or None."""
    if not isinstance(export, dict):
        return "not a JSON object"
    for key in ("guild", "channel"):
        if not isinstance(export.get(key), dict):
            return f'no "{key}" object'
        if not isinstance(export[key].get("id"), str | int):
            return f'no "{key}.id"'
        if not _discord_id(export[key]["id"]) and not (key == "guild" and str(export[key]["id"]) == "0"):  # "0": DMs
            return f'"{key}.id" is not a Discord id'
    if not isinstance(export.get("messages"), list):
        return 'no "messages" list'
    return None


def _discord_id(value: object) -> bool:
    """Whether ``value`` is a Discord id (a snowflake: a number from 1, below 2 ** 63), which a jump link ends with:
    "-1", "0" or "abc" would make a link to no message."""
    return not isinstance(value, bool) and bool(conversations.id_number(str(value)))


def channel_of(name: str, export: dict[str, Any]) -> chat.ChatChannel:
    """The channel of an export, its documents' source being the file's ``name``."""
    guild, channel = export["guild"], export["channel"]  # names that are no text are left out, not cited as Python's
    channel_name, parent = scalar_text(channel.get("name")) or str(channel["id"]), scalar_text(channel.get("category"))
    kind = str(channel.get("type", ""))  # DiscordChatExporter 2.30-2.34 wrote a thread's type as Discord's number
    thread = kind.endswith("Thread") or kind in _THREAD_NUMBERS  # a thread or a forum post: one conversation
    title = f"#{parent} › {channel_name}" if parent and thread else f"#{channel_name}"
    if scalar_text(guild.get("name")):
        title = f"{guild['name']} · {title}"
    # The message a thread was started from (its id the thread's) was posted in the thread's parent channel, which an
    # export names as its category: where it opens an announcement's thread (a forum post's is its own).
    starter_in = scalar_text(channel.get("categoryId")) if thread and kind in _ANNOUNCEMENTS else None
    return chat.ChatChannel(source=name, guild_id=str(guild["id"]), channel_id=str(channel["id"]), title=title,
                            thread=thread, announcements=kind in _ANNOUNCEMENTS, starter_in=starter_in)


def documents(name: str, export: dict[str, Any], warn: Warn) -> list[Document]:
    """The documents of an export held whole (its messages a list): one per exchange (``qabot.corpus.chat``)."""
    return list(channel_documents([(name, export)], warn, Counter(), _bridges(export["messages"])))


def channel_documents(parts: Sequence[tuple[str, dict[str, Any]]], warn: Warn, said: Counter[str],
                      bridges: chat.Bridges) -> Iterator[Document]:
    """The documents of a channel's exports (``(file name, export)``: one, or its parts in order), its messages read
    as one stream, the channel the first part's; ``said`` counts each part's chat messages; ``bridges``: the
    webhooks among their authors that bridge people (``chat.Bridges``).

    Every message is read when this is called (so ``said`` is complete, and a file that is no valid JSON, or a channel
    over the text limit, is found before any document is given), and the documents are laid out as they are taken
    (``chat.documents``): a big server's history is never held as documents all at once.
    """
    streams = [export_parts.chronological(_chat_messages(name, export["messages"], export["channel"], warn, said, bridges))
               for name, export in parts]
    messages = export_parts.merged(streams)  # one file too: a message it holds twice is read once
    return chat.documents(channel_of(*parts[0]), deleted.apart(_absent(messages)))


def _absent(messages: Iterable[chat.ChatMessage]) -> Iterator[chat.ChatMessage]:
    """The messages in order without the placeholders for a thread's first message (``STARTERS``), the chat message
    after each marked as answering a question the export does not hold (``ChatMessage.answers_absent``): in order, so
    that in an export written newest first it is the thread's first message, not its last."""
    absent = False
    for message in messages:
        if message.answers_absent and not message.says_something:  # a placeholder
            absent = True
            continue
        yield replace(message, answers_absent=True) if absent else message
        absent = False


def _exported(export: dict[str, Any]) -> float:
    """When an export was written (its ``exportedAt``), else minus infinity."""
    when = chat.when(export.get("exportedAt", ""))
    return -math.inf if when is None else when


def _webhook(person: dict[str, Any]) -> bool:
    """Whether an export's author is a webhook: a bot whose discriminator is 0000 (a bot user's never is)."""
    return person.get("isBot") is True and str(person.get("discriminator") or "0").strip("0") == ""


def _chat_messages(name: str, messages: Iterable[Any], channel: dict[str, Any], warn: Warn,
                   said: Counter[str], bridges: chat.Bridges) -> Iterator[chat.ChatMessage]:
    people: dict[str, str] = {}  # one string per person, not one per message
    named: dict[tuple[object, object], frozenset[str]] = {}  # and one set of the names they go by (216 bytes or more)
    for index, message in enumerate(messages, start=1):
        kind = message.get("type", "Default") if isinstance(message, dict) else None
        # kept, where it says when, until the messages are in order (``_absent``); a type that is a list is no hashable
        if isinstance(kind, str) and kind in STARTERS:
            if isinstance(when := message.get("timestamp"), str) and chat.when(when) is not None:
                yield chat.ChatMessage(id=str(message.get("id")), author="", author_key="", date=when, content="",
                                       answers_absent=True)
            warn(f"{name}: message {index} stands for the message this thread was started from, which the export "
                 "does not hold: the thread's first question is not in its exchange (DiscordChatExporter before "
                 "mid-2026 left it out: export the thread again with a newer one, unless that message was deleted)")
        if not isinstance(kind, str) or kind not in CHAT_TYPES:
            continue
        missing = next((key for key in ("id", "timestamp", "content", "author") if key not in message), None)
        author = author_name(message["author"]) if isinstance(message.get("author"), dict) else None
        if missing or author is None:
            warn(f"{name}: skipping message {index}: no {missing or 'author name'!r}")
            continue
        wrong = (_wrong(message, _FIELDS) or (None if _discord_id(message["id"]) else "'id' is not a Discord id")
                 or ("'timestamp' is not a date" if chat.when(message["timestamp"]) is None else None))
        if wrong is None and isinstance(message.get("forwardedMessage"), dict):
            wrong = _wrong(message["forwardedMessage"], _SNAPSHOT, "forwardedMessage.")
        if wrong:  # one broken message is skipped, not the export with it
            warn(f"{name}: skipping message {index}: its {wrong}")
            continue
        chat_message = _message(message, people.setdefault(author, author), people, named, channel, name, bridges)
        if chat_message.says_something:
            said[name] += 1
            yield chat_message


def _wrong(record: dict[str, Any], fields: dict[str, tuple[tuple[type, ...], str]], prefix: str = "") -> str | None:
    """What is wrong with a record's fields, as a warning says it (``'content' is not text``), or None."""
    for key, (types, what) in fields.items():
        if key in record and (not isinstance(record[key], types) or isinstance(record[key], bool)):
            return f"{prefix + key!r} is not {what}"
    return None


def _message(message: dict[str, Any], author: str, people: dict[str, str],
             named: dict[tuple[object, object], frozenset[str]], channel: dict[str, Any], source: str,
             bridges: chat.Bridges) -> chat.ChatMessage:
    """An export's message (in ``channel``, read from the file ``source``) as ``qabot.corpus.chat`` lays it out
    (``people``: one string per person, ``named``: one set of names per (name, nickname); ``bridges``: the webhooks
    that bridge people, each name a person)."""
    person = message["author"]
    key = str(person.get("id") or author)
    bridged = _webhook(person) and key in bridges
    if bridged:
        key = chat.bridged_key(key, author)
    name, nickname = (value if isinstance(value := person.get(key), str) else None for key in ("name", "nickname"))
    if (names := named.get((name, nickname))) is None:
        names = named[name, nickname] = frozenset({_fold(name), _fold(nickname)} - {""})
    mentioned = set()
    for user in listed(message.get("mentions")):
        if isinstance(user, dict):
            mentioned |= {_fold(user.get(key)) for key in ("name", "nickname")}
    reference = message.get("reference") if isinstance(message.get("reference"), dict) else {}
    forward = message.get("forwardedMessage") if isinstance(message.get("forwardedMessage"), dict) else {}
    replies = reference.get("messageId") and reference.get("type") != FORWARD  # a forward points, it replies not
    tokens = Tokens(message, channel)
    marked_by = {people.setdefault(k, k) for reaction in listed(message.get("reactions")) if _marks(reaction)
                 for user in listed(reaction.get("users")) if isinstance(user, dict)
                 and (k := str(user.get("id") or author_name(user) or ""))}
    return chat.ChatMessage(
        id=str(message["id"]), author=author, author_key=people.setdefault(key, key),
        date=str(message["timestamp"]), content=tokens.plain(message["content"]),
        extras=shown_extras(message, tokens) + shown_extras(forward, tokens), forwarded=tokens.plain(forward.get("content") or ""),
        reply_to=str(reference["messageId"]) if replies else None,
        names=names, mentions=frozenset(mentioned - {""}) or chat.NOBODY,
        bot=person.get("isBot") is True and not bridged,
        called=message.get("type") in _COMMANDS or isinstance(message.get("interaction"), dict),
        marked_by=frozenset(marked_by) if marked_by else chat.NOBODY, source=source,
    )


def _marks(reaction: object) -> bool:
    """Whether a reaction is a ✅ (or ☑️, ✔️): an asker's mark on the answer."""
    emoji = reaction.get("emoji") if isinstance(reaction, dict) else None
    name = emoji.get("name") if isinstance(emoji, dict) else None
    return name in chat.MARKS


def _fold(value: object) -> str:
    return fold(value) if isinstance(value, str) else ""

