"""Deleted Discord accounts: Discord shows every one's messages under one author, ``DELETED_USER`` ("Deleted User").

Its messages may be many people's, and both ways a chat reaches qabot (an export,
``qabot.corpus.discord_export``, and a live channel, ``qabot.history``) key them by that one
id. A reply under it to a message under it is taken as another person's (people rarely
reply to their own message), so that a deleted helper's answer to a deleted asker's
question answers it (``apart``), not a follow-up of the asker's that leaves the question
one nobody answered. Forgetting that one id forgets them too (``apart_from``, ``shared``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace

from qabot.corpus.chat import ChatMessage

DELETED_USER = "456226577798135808"


def apart(messages: Iterable[ChatMessage], kept: Callable[[str], str | None] = lambda _: None) -> Iterator[ChatMessage]:
    """The messages in order, those under ``DELETED_USER`` keyed apart where one replies to another under it that its
    author was not taken to write: a deleted helper's answer to a deleted asker, not the asker's reply back to it.
    ``kept``: the author key of a message read before these (a live channel's, kept), None where there is none."""
    shared: set[str] = set()  # the messages under ``DELETED_USER`` so far that were left under its one key
    for message in messages:
        if message.author_key == DELETED_USER:
            if message.reply_to is not None and (message.reply_to in shared or kept(message.reply_to) == DELETED_USER):
                message = replace(message, author_key=f"{DELETED_USER}/{message.id}")
            else:
                shared.add(message.id)
        yield message


def apart_from(key: str) -> tuple[str, str] | tuple[None, None]:
    """Where ``key`` is the one ``apart`` keys messages apart from (forgetting it forgets them too), the keys it gives
    sort between these two (each begins ``DELETED_USER/``; "0" sorts after "/"): a range an index on keys finds at
    once. (None, None) for any other key."""
    return (f"{DELETED_USER}/", f"{DELETED_USER}0") if key == DELETED_USER else (None, None)


def shared(key: str) -> str:
    """The key a message was keyed apart from (``DELETED_USER``), else ``key`` itself."""
    return DELETED_USER if key.startswith(f"{DELETED_USER}/") else key
