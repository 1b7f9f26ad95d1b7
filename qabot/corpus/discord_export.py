"""The reader for Discord history: a DiscordChatExporter JSON export (``.json``), one document per channel.

The format is the one DiscordChatExporter's ``JsonMessageWriter`` writes: an object
with ``guild`` (``id``, ``name``), ``channel`` (``id``, ``name``, and for a thread its
parent as ``category``), and ``messages``, each with ``id``, ``type``, ``timestamp``
(ISO 8601), ``timestampEdited``, ``content`` (Markdown already rendered as plain text),
``author`` (``name``, and ``nickname``: the display name), ``attachments``
(``fileName``, ``url``), ``embeds`` and, for a reply, ``reference.messageId``. Direct
messages sit in a pseudo-guild with id ``0``.

Each chat message (types ``Default`` and ``Reply``; joins, pins and other system
notices are left out) is one paragraph, ``"<display name>: <content>"``, with its
attachments' names and its embeds' titles after it. The paragraph keeps its author,
its timestamp (when it was sent; the export holds the edited text) and its jump link
(``https://discord.com/channels/<guild>/<channel>/<message>``), which is what its
citation links to. The channel's conversations are untangled (``conversations``: replies,
addressing, authors and time), and each is laid out whole, in the order they began, as
one group of paragraphs (``Paragraph.group``), so that a question and its answers share
passages and an excerpt never runs on into another conversation. A paragraph's number
is still its message's place in the channel, and it keeps its role in its exchange.

A ``.json`` file that is not such an export, or lacks ``guild``, ``channel`` or their
ids, is skipped with a warning naming it; so is a message that lacks a field it needs,
naming the message.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import ijson

from qabot.corpus import conversations, limits
from qabot.corpus.derived import DerivedText
from qabot.corpus.files import CorpusFile, Warn
from qabot.models import Document
from qabot.text import first_line, fold

SUFFIXES = frozenset({".json"})
CHAT_TYPES = frozenset({"Default", "Reply"})
JUMP = "https://discord.com/channels/{guild}/{channel}"
_ABSENT = object()


def read(file: CorpusFile, warn: Warn) -> Iterator[Document]:
    try:
        export = header(file.path)
        problem = _missing(export)
        if problem:
            warn(f"skipping {file.name}: not a DiscordChatExporter export ({problem})")
            return
        result = document(file.name, {**export, "messages": _messages(file.path)}, warn)
    except ijson.JSONError as exc:
        warn(f"skipping {file.name}: {_invalid(exc)}")
        return
    if result is None:
        warn(f"skipping {file.name}: the export holds no chat messages")
        return
    yield result


def header(path: Path) -> dict[str, Any] | None:
    """The export without its messages: ``guild``, ``channel``, and ``messages`` as ``[]`` when it has a list.

    None when the file is not a JSON object. The messages themselves are read one at a
    time (``_messages``), never all at once: a big server's history is hundreds of
    megabytes of JSON, most of it authors, roles and reactions. ``guild`` and ``channel``
    come first in an export, so finding them reads little.
    """
    found: dict[str, Any] = {}
    with path.open("rb") as handle:
        first = next(ijson.parse(handle, use_float=True), None)
        if first is None or first[1] != "start_map":
            return None
        for key in ("guild", "channel"):
            handle.seek(0)
            value = next(ijson.items(handle, key, use_float=True), _ABSENT)
            if value is _ABSENT:
                return found
            found[key] = value
        if _missing({**found, "messages": []}):
            return found
        handle.seek(0)
        kinds = (event for prefix, event, _ in ijson.parse(handle, use_float=True) if prefix == "messages")
        if next(kinds, None) == "start_array":
            found["messages"] = []
    return found


def _messages(path: Path) -> Iterator[Any]:
    """The messages of an export, one at a time."""
    with path.open("rb") as handle:
        for message in ijson.items(handle, "messages.item", use_float=True):
            limits.check()  # system messages yield no text, but take time
            yield message


def _invalid(exc: Exception) -> str:
    message = first_line(exc).removeprefix("b'").removeprefix('b"')
    return "not valid UTF-8 text" if "UTF8" in message else f"not valid JSON ({message.rstrip('.')})"


def _missing(export: Any) -> str | None:
    """What a DiscordChatExporter export lacks, or None."""
    if not isinstance(export, dict):
        return "not a JSON object"
    for key in ("guild", "channel"):
        if not isinstance(export.get(key), dict):
            return f'no "{key}" object'
        if not isinstance(export[key].get("id"), str | int):
            return f'no "{key}.id"'
    if not isinstance(export.get("messages"), list):
        return 'no "messages" list'
    return None


def _name(author: dict[str, Any]) -> str | None:
    for key in ("nickname", "name"):
        if isinstance(author.get(key), str) and author[key].strip():
            return " ".join(author[key].split())
    return None


def _message_text(message: dict[str, Any], author: str) -> str:
    lines = [line.rstrip() for line in message["content"].strip().splitlines()]
    body = "\n".join(line for line in lines if line.strip())
    extras = []
    for attachment in message.get("attachments") or ():
        if isinstance(attachment, dict) and isinstance(attachment.get("fileName"), str):
            extras.append(f"(attachment: {attachment['fileName']})")
    for embed in message.get("embeds") or ():
        if isinstance(embed, dict):
            shown = " — ".join(
                " ".join(str(embed[key]).split()) for key in ("title", "description") if embed.get(key)
            )
            if shown:
                extras.append(f"(embed: {shown})")
    return f"{author}: " + " ".join(part for part in (body, *extras) if part)


def _seconds(timestamp: str) -> float | None:
    try:
        return datetime.fromisoformat(timestamp).timestamp()
    except ValueError:
        return None


def document(name: str, export: dict[str, Any], warn: Warn) -> Document | None:
    guild, channel = export["guild"], export["channel"]
    guild_id = str(guild["id"])
    where = JUMP.format(guild="@me" if guild_id == "0" else guild_id, channel=channel["id"])
    channel_name = str(channel.get("name") or channel["id"])
    parent = channel.get("category")
    title = f"#{parent} › {channel_name}" if parent and str(channel.get("type", "")).endswith("Thread") else f"#{channel_name}"
    if guild.get("name"):
        title = f"{guild['name']} · {title}"
    # Each message is linked into its conversation as it is read (a big server's history
    # is read one message at a time); what is kept of it is only its paragraph.
    thread = str(channel.get("type", "")).endswith("Thread")  # a thread or a forum post: one conversation
    untangler = conversations.Untangler(one_conversation=thread)
    kept: list[tuple[str, str, str, str]] = []  # each message's paragraph, author, time and id
    people: dict[str, str] = {}
    for index, message in enumerate(export["messages"], start=1):
        if not isinstance(message, dict) or message.get("type", "Default") not in CHAT_TYPES:
            continue
        missing = next((key for key in ("id", "timestamp", "content", "author") if key not in message), None)
        author = _name(message["author"]) if isinstance(message.get("author"), dict) else None
        if missing or author is None or not isinstance(message["content"], str):
            warn(f"{name}: skipping message {index}: no {missing or 'author name'!r}" if missing or author is None
                 else f"{name}: skipping message {index}: its content is not text")
            continue
        author = people.setdefault(author, author)  # one string per person, not one per message
        message_id = str(message["id"])
        untangler.add(_message(message, author, message_id, people))
        kept.append((_message_text(message, author), author, str(message["timestamp"]), message_id))
    if not kept:
        return None
    # Each conversation is laid out whole, in the order it began, so that its passages and
    # excerpt windows hold its own messages, not those of the conversations around it.
    exchange = conversations.exchanges(untangler.links)
    text = DerivedText(mark_repeats=False)  # "thanks!" twice is two messages
    for n in sorted(range(len(kept)), key=lambda n: (exchange[n], n)):
        paragraph, author, date, message_id = kept[n]
        text.paragraph(paragraph, number=n + 1, author=author, date=date, url=f"{where}/{message_id}",
                       group=exchange[n] + 1, role=untangler.roles[n])
    return text.document(name, title=title, url=where)


def _message(message: dict[str, Any], author: str, message_id: str, people: dict[str, str]) -> conversations.Message:
    """What untangling conversations needs of an export's message (``people``: one string per person)."""
    person = message["author"]
    key = str(person.get("id") or author)
    names = {_fold(person.get(key)) for key in ("name", "nickname")} | {_fold(author)}
    mentioned = set()
    for user in message.get("mentions") or ():
        if isinstance(user, dict):
            mentioned |= {_fold(user.get(key)) for key in ("name", "nickname")}
    reference = message.get("reference") if isinstance(message.get("reference"), dict) else {}
    return conversations.Message(
        author=people.setdefault(key, key),
        text=message["content"],
        time=_seconds(str(message["timestamp"])),
        id=message_id,
        names=frozenset(names - {""}),
        reply_to=str(reference["messageId"]) if reference.get("messageId") else None,
        mentions=frozenset(mentioned - {""}),
        bot=person.get("isBot") is True,
    )


def _fold(value: object) -> str:
    return fold(value) if isinstance(value, str) else ""
