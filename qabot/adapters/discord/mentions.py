"""Questions cleaned of mentions, before retrieval.

``@qabot What alias did Ramon Mercader use? @everyone @here @someone`` is asked as
``What alias did Ramon Mercader use?``: the other mentions would otherwise stay in the
searched text and drown its real words.

- ``@everyone``, ``@here``, role mentions (``<@&id>``), channel mentions (``<#id>``) and
  the bot's own mention are dropped wherever they are;
- another user's mention (``<@id>``) is dropped at the start or the end of the question,
  where it only addresses someone; inside the question it is what the question is
  about ("what did @Ana say about the vote?"), so it becomes the member's display name
  when the message says it, and is dropped when nothing does;
- a custom emoji (``<:pepe_sad:id>``, ``<a:wave:id>``) is dropped wherever it is: like a
  Unicode emoji it asks nothing, and its name and id, searched for, are names the corpus
  never holds (on chat-dev, one put after a question turned 25 of its 39 answers to
  "not found").

What is sent back still pings no one: every message goes with ``AllowedMentions.none()``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from qabot.search.inputs import clean_text

# @everyone and @here as words: "support@here.org" is an address, which Discord does not take for a mention either
# A user's id has at most 20 digits (64 bits), as Discord's mentions do: "<@" and thousands of digits, which a slash
# option's 6,000 characters hold, is text (int() refuses a number of over 4,300 digits).
_USER = re.compile(r"<@!?(?P<user>\d{1,20})>")
_MENTION = re.compile(_USER.pattern + r"|<@&\d+>|<#\d+>|<a?:[^<>:\s]+:\d+>"
                      r"|(?<![\w.+-])@(?:everyone|here)\b(?![.@]\w)")
_EDGE = " \t\n,:;-–—"  # what may stand between addressing mentions and the question


def clean_question(content: str, bot_id: int, names: Mapping[int, str] | None = None) -> str:
    """The question in ``content``: mentions dropped, or a user's mention inside it put as their name; one line."""
    names = names or {}
    content = clean_text(content)  # as the core reads it: a question of zero-width spaces is empty here too
    pieces: list[tuple[str, str | None]] = []  # text, or a mention with the name it may become
    cursor = 0
    for match in _MENTION.finditer(content):
        pieces.append((content[cursor:match.start()], None))
        user = match.group("user")
        name = names.get(int(user)) if user and int(user) != bot_id else None
        pieces.append(("", name or ""))
        cursor = match.end()
    pieces.append((content[cursor:], None))
    # Mentions before the first word and after the last one address people: drop them.
    words = [i for i, (text, mention) in enumerate(pieces) if mention is None and text.strip(_EDGE)]
    if not words:
        return ""
    first, last = words[0], words[-1]
    kept = []
    for i, (text, mention) in enumerate(pieces[first : last + 1], start=first):
        if mention is None:
            kept.append(text if first < i < last else _trim(text, i == first, i == last))
        elif mention:
            kept.append(mention)
    return clean_text("".join(kept))  # a joiner a mention stood beside joins nothing now


def mentioned_users(content: str, bot_id: int) -> list[int]:
    """The ids of the users ``content`` mentions, but the bot, in order."""
    return [user_id for user_id in map(int, _USER.findall(content)) if user_id != bot_id]


def _trim(text: str, start: bool, end: bool) -> str:
    if start:
        text = text.lstrip(_EDGE)
    if end:
        text = text.rstrip(_EDGE)
    return text
