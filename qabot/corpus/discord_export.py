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
is still its message's place in the channel.

A ``.json`` file that is not such an export, or lacks ``guild``, ``channel`` or their
ids, is skipped with a warning naming it; so is a message that lacks a field it needs,
naming the message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from qabot.corpus import conversations
from qabot.corpus.derived import DerivedText
from qabot.corpus.files import CorpusFile, Warn, read_text
from qabot.models import Document
from qabot.text import fold

SUFFIXES = frozenset({".json"})
CHAT_TYPES = frozenset({"Default", "Reply"})
JUMP = "https://discord.com/channels/{guild}/{channel}"


def read(file: CorpusFile, warn: Warn) -> Iterator[Document]:
    text = read_text(file, warn)
    if text is None:
        return
    try:
        export = json.loads(text)
    except json.JSONDecodeError as exc:
        warn(f"skipping {file.name}: not valid JSON ({exc.msg}, line {exc.lineno})")
        return
    problem = _missing(export)
    if problem:
        warn(f"skipping {file.name}: not a DiscordChatExporter export ({problem})")
        return
    result = document(file.name, export, warn)
    if result is None:
        warn(f"skipping {file.name}: the export holds no chat messages")
        return
    yield result


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
    chat: list[tuple[dict[str, Any], str]] = []  # each chat message, with its author's display name
    for index, message in enumerate(export["messages"], start=1):
        if not isinstance(message, dict) or message.get("type", "Default") not in CHAT_TYPES:
            continue
        missing = next((key for key in ("id", "timestamp", "content", "author") if key not in message), None)
        author = _name(message["author"]) if isinstance(message.get("author"), dict) else None
        if missing or author is None or not isinstance(message["content"], str):
            warn(f"{name}: skipping message {index}: no {missing or 'author name'!r}" if missing or author is None
                 else f"{name}: skipping message {index}: its content is not text")
            continue
        chat.append((message, author))
    if not chat:
        return None
    # Each conversation is laid out whole, in the order it began, so that its passages and
    # excerpt windows hold its own messages, not those of the conversations around it.
    thread = str(channel.get("type", "")).endswith("Thread")  # a thread or a forum post: one conversation
    messages = [_message(message, author) for message, author in chat]
    links = conversations.parents(messages, one_conversation=thread)
    exchange, role = conversations.exchanges(links), conversations.roles(messages, links)
    text = DerivedText(mark_repeats=False)  # "thanks!" twice is two messages
    for n in sorted(range(len(chat)), key=lambda n: (exchange[n], n)):
        message, author = chat[n]
        text.paragraph(_message_text(message, author), number=n + 1, author=author, date=str(message["timestamp"]),
                       url=f"{where}/{message['id']}", group=exchange[n] + 1, role=role[n])
    return text.document(name, title=title, url=where)


def _message(message: dict[str, Any], author: str) -> conversations.Message:
    """What untangling conversations needs of an export's message."""
    person = message["author"]
    names = {_fold(person.get(key)) for key in ("name", "nickname")} | {_fold(author)}
    mentioned = set()
    for user in message.get("mentions") or ():
        if isinstance(user, dict):
            mentioned |= {_fold(user.get(key)) for key in ("name", "nickname")}
    reference = message.get("reference") if isinstance(message.get("reference"), dict) else {}
    return conversations.Message(
        author=str(person.get("id") or author),
        text=message["content"],
        time=_seconds(str(message["timestamp"])),
        id=str(message["id"]),
        names=frozenset(names - {""}),
        reply_to=str(reference["messageId"]) if reference.get("messageId") else None,
        mentions=frozenset(mentioned - {""}),
        bot=person.get("isBot") is True,
    )


def _fold(value: object) -> str:
    return fold(value) if isinstance(value, str) else ""
