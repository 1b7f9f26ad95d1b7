"""The custom ids of an answer's buttons: each carries the answer's id, so they work after a restart.

``qabot:vote:up:<answer>``, ``qabot:vote:down:<answer>``, ``qabot:more:<answer>:<shown>``
and ``qabot:post:<answer>:<message>``; an answer id is 16 hex digits (``qabot.feedback.new_id``).
Discord allows 100 characters.

A custom id is user input: a client can send any. The templates take numbers longer
than the bot ever writes, so that a damaged one reaches the button, which answers it
with one line (``buttons.BROKEN``) rather than leaving the press unanswered; any other
``qabot:`` id that none of them takes (``DAMAGED``: a negative number, a word changed, a
part missing) gets the same line. discord.py runs every item whose template matches, so
``DAMAGED`` takes only what the others do not.
"""

from __future__ import annotations

import re

import discord

VOTE = r"qabot:vote:(?P<value>up|down):(?P<answer>[0-9a-f]{16})"
MORE = r"qabot:more:(?P<answer>[0-9a-f]{16}):(?P<shown>\d{1,40})"
POST = r"qabot:post:(?P<answer>[0-9a-f]{16}):(?P<message>\d{1,40})"
_TAKEN = "|".join(re.sub(r"\?P<\w+>", "?:", p) for p in (VOTE, MORE, POST))  # the three, group names dropped
DAMAGED = re.compile(rf"(?!(?:{_TAKEN})\Z)qabot:.*", re.DOTALL)
_ANY = re.compile(r"qabot:(?:vote:(?:up|down)|more|post):(?P<answer>[0-9a-f]{16})\b")


def vote_id(answer_id: str, helpful: bool) -> str:
    return f"qabot:vote:{'up' if helpful else 'down'}:{answer_id}"


def more_id(answer_id: str, shown: int) -> str:
    return f"qabot:more:{answer_id}:{shown}"


def post_id(answer_id: str, message_id: int) -> str:
    return f"qabot:post:{answer_id}:{message_id}"


def answer_id_of(message: discord.Message) -> str | None:
    """The id of the answer a message of the bot's shows, read from its buttons; None without them."""
    for row in message.components:
        for component in getattr(row, "children", ()):
            match = _ANY.match(getattr(component, "custom_id", None) or "")
            if match:
                return match.group("answer")
    return None
