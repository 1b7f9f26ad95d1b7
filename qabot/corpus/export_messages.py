"""What a DiscordChatExporter message shows besides its text (``qabot.corpus.discord_export``): the name its author
is cited by, its attachments' names and its embeds' text, and Discord's tokens shown as the exporter shows them,
where an export written with ``--markdown false`` left them as they were sent (``Tokens``).
"""

from __future__ import annotations

import re
from typing import Any

from qabot.corpus import chat, limits
from qabot.text import blank, clipped, listed


def author_name(author: dict[str, Any]) -> str | None:
    """The name an author is cited by: their display name, else (where it shows nothing: "ㅤ", a zero-width space)
    their username."""
    for key in ("nickname", "name"):
        if isinstance(author.get(key), str) and not blank(author[key]):
            return clipped(" ".join(author[key].split()), limits.NAME_CHARS)
    return None


def shown_extras(message: dict[str, Any], tokens: Tokens) -> tuple[str, ...]:
    """Its attachments' names and its embeds' titles, as the paragraph shows them."""
    extras = []
    for item in listed(message.get("attachments")):
        if isinstance(item, dict) and isinstance(item.get("fileName"), str):
            extras.append(chat.attachment(item["fileName"]))
    for item in listed(message.get("embeds")):
        if isinstance(item, dict) and (shown := chat.embed(*(tokens.plain(v) if isinstance(v, str) else v
                                                             for v in _embed_texts(item)))):
            extras.append(shown)
    return tuple(extras)


def _embed_texts(item: dict[str, Any]) -> list[object]:
    """An embed's text as JsonMessageWriter writes it: title, description, then each field ("name: value"), its
    author's name and its footer (a bot's status card, a help command's list: often all the text it has)."""
    def text(value: object) -> str | None:
        return value if isinstance(value, str) and value.strip() else None

    texts: list[object] = [item.get("title"), item.get("description")]
    for field in listed(item.get("fields")):
        if isinstance(field, dict):
            texts.append(chat.field(field.get("name"), field.get("value")))
    for key in ("author", "footer"):
        part = item.get(key)
        texts.append(text(part.get("name" if key == "author" else "text")) if isinstance(part, dict) else None)
    return texts


class Tokens:
    """Discord's tokens in a message's text shown as DiscordChatExporter shows them, where it left them as they were
    sent (``--markdown false``): ``<@id>`` as ``@<display name>`` (of the message's mentions; ``@someone`` where it
    lists no such member: never a member's id), ``<#id>`` as ``#<name>`` (this channel's or its parent's, else
    ``#channel``), ``<@&id>`` as ``@<role>`` (where a role of the message's members, else ``@role``), and, but in
    code, ``<:name:id>`` as ``:name:``, ``<t:seconds:style>`` as its date (UTC) and ``</name:id>`` as ``/name``
    (``chat.shown``, as a live message's). An export written with Markdown formatted (the default) holds none of
    them but the last: DiscordChatExporter wrote them so already."""

    def __init__(self, message: dict[str, Any], channel: dict[str, Any]) -> None:
        self.message, self.channel = message, channel
        # The names of the message's members and of their roles, by id, made on first use: looked up token by
        # token, a message of thousands of mentions took the square of their number.
        self._members: dict[str, str | None] | None = None
        self._roles: dict[str, object] | None = None

    def plain(self, text: str) -> str:
        return _TOKEN.sub(self._shown, chat.shown(text)) if "<" in text else text

    def _shown(self, match: re.Match[str]) -> str:
        kind, target = match["kind"], match["id"]
        if kind in ("#", "#!"):
            names = {str(self.channel.get(key)): self.channel.get(name)
                     for key, name in (("id", "name"), ("categoryId", "category"))}
            return f"#{names.get(target) or 'channel'}"
        if kind == "@&":
            if self._roles is None:
                people = (p for p in (self.message.get("author"), *listed(self.message.get("mentions")))
                          if isinstance(p, dict))
                self._roles = {}
                for role in (r for p in people for r in listed(p.get("roles")) if isinstance(r, dict) and r.get("name")):
                    self._roles.setdefault(str(role.get("id")), role["name"])
            return f"@{self._roles.get(target, 'role')}"
        if self._members is None:
            self._members = {}
            for person in listed(self.message.get("mentions")):
                if isinstance(person, dict):
                    self._members.setdefault(str(person.get("id")), author_name(person))
        named = self._members.get(target)
        return f"@{named}" if named else chat.UNNAMED


_TOKEN = re.compile(r"<(?P<kind>@!?|@&|#!?)(?P<id>\d+)>")  # the rest: ``chat.shown``
