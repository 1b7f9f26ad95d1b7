"""Follow-up memory: the earlier questions of each thread and reply chain.

They are kept in memory while the bot runs (``Conversations``). After a restart the
memory is empty, so they are read back from Discord instead (``read_thread``,
``replied_history``): the bot's own earlier answers carry their questions, in their
embed titles and, through the answer id on their buttons, in the state database. An
answer the state database no longer has (its question taken back: its asker forgotten, the
message it was asked about deleted or edited) is no history, though its embed still shows
the question; where the database cannot say (there is none yet), the titles stand in. The
bot's own messages are readable without any privileged intent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

import discord
from cachetools import LRUCache

from qabot.adapters.discord.ids import answer_id_of
from qabot.search.followup import HISTORY_DEPTH

log = logging.getLogger(__name__)

SCAN = 100  # messages of a thread read back, at most, to find the bot's answers


class Earlier(Protocol):
    """What the state database knows of an earlier answer (``qabot.feedback.StoredAnswer``)."""

    question: str
    history: list[str]


# The earlier answers the state database has, by id; None for one it has not (taken out: no follow-up's history).
Lookup = Callable[[Sequence[str]], Awaitable[Mapping[str, Earlier | None]]]


class Conversations:
    """The earlier questions of each thread and reply chain, kept in memory.

    A reply chain is keyed by every message of it that the bot knows (the question and
    the answer), so replying to either continues the conversation; each is kept with its
    server (None: a direct message), which the bot may leave. The least recently used
    entries go first once ``capacity`` is reached (``cachetools.LRUCache``); a restart
    forgets them all.
    """

    def __init__(self, depth: int = HISTORY_DEPTH, capacity: int = 10_000) -> None:
        self.depth = depth
        self.capacity = capacity
        self._chains: LRUCache[int, tuple[int | None, tuple[str, ...]]] = LRUCache(capacity)  # (server, questions)
        self._threads: LRUCache[int, tuple[int | None, tuple[str, ...]]] = LRUCache(capacity)

    def history(self, *, thread_id: int | None = None, reply_to: int | None = None) -> list[str] | None:
        """Earlier questions, oldest first: the reply chain's if there is one, else the thread's.

        None when this conversation is not in memory (not seen since the bot started).
        """
        chain = self._chains.get(reply_to) if reply_to is not None else None
        if chain is not None:
            return list(chain[1])
        thread = self._threads.get(thread_id) if thread_id is not None else None
        return list(thread[1]) if thread is not None else None

    def remember(self, question: str, history: Iterable[str], *, guild_id: int | None, thread_id: int | None,
                 message_ids: Iterable[int]) -> None:
        history = tuple(history)
        chain = (*history, question)[-self.depth :]
        for message_id in message_ids:
            self._chains[message_id] = guild_id, chain
        if thread_id is not None:
            # A thread first seen after a restart starts from what was read back from Discord.
            _, earlier = self._threads.get(thread_id, (guild_id, history))
            self._threads[thread_id] = guild_id, (*earlier, question)[-self.depth :]

    def forget_guild(self, guild_id: int) -> None:
        """The bot left a server, and its answers left the state database: its conversations leave memory too, so that
        once the bot is back a reply there to an old answer reads none of them, as after a restart."""
        for kept in (self._chains, self._threads):
            for key, (guild, _) in list(kept.items()):
                if guild == guild_id:
                    kept.pop(key, None)

    def forget(self, questions: Iterable[str]) -> None:
        """These questions leave every conversation (their asker was forgotten): they are no follow-up's history."""
        self.forget_if(set(questions).__contains__)

    def forget_if(self, gone: Callable[[str], bool]) -> None:
        """The questions ``gone`` picks (those that name a member forgotten) leave every conversation."""
        for kept in (self._chains, self._threads):
            for key, (guild, earlier) in list(kept.items()):
                if any(gone(question) for question in earlier):
                    kept[key] = guild, tuple(question for question in earlier if not gone(question))


async def read_thread(channel: discord.abc.Messageable, bot_id: int, *, since: datetime, lookup: Lookup,
                      depth: int = HISTORY_DEPTH, before: discord.abc.Snowflake | None = None) -> list[str]:
    """The questions of the bot's last ``depth`` answers in ``channel`` since ``since``, oldest first.

    Reads at most ``SCAN`` messages; a channel the bot may not read gives no history.
    """
    answers: list[discord.Message] = []
    try:
        async for message in channel.history(limit=SCAN, before=before):
            if message.created_at < since:
                break
            if message.author.id == bot_id and message.embeds and message.embeds[0].title:
                answers.append(message)
                if len(answers) >= depth:
                    break
    except discord.HTTPException as exc:
        log.debug("cannot read the history of channel %s: %s", getattr(channel, "id", "?"), exc)
        return []
    ids = [answer_id for m in answers if (answer_id := answer_id_of(m))]
    stored = await lookup(ids) if ids else {}
    questions = []
    for message in reversed(answers):
        answer_id = answer_id_of(message) or ""
        row = stored.get(answer_id)
        if row is None and answer_id in stored:  # its question was taken back: its embed still shows it
            continue
        questions.append(row.question if row is not None else title_question(message))
    return questions


async def replied_history(message: discord.Message, bot_id: int, *, lookup: Lookup,
                          depth: int = HISTORY_DEPTH) -> list[str]:
    """The conversation of the bot's answer that ``message`` replies to: its history and its question.

    Used when the reply chain is not in memory (the bot restarted since it answered).
    """
    replied = message.reference.resolved if message.reference else None
    if not isinstance(replied, discord.Message) or replied.author.id != bot_id or not replied.embeds:
        return []
    answer_id = answer_id_of(replied)
    stored = await lookup([answer_id]) if answer_id else {}
    row = stored.get(answer_id or "")
    if row is not None:
        return [*row.history, row.question][-depth:]
    if answer_id in stored:  # its question was taken back (its embed still shows it): the chain goes on without it
        return []
    question = title_question(replied)
    return [question] if question else []


def title_question(message: discord.Message) -> str:
    """The question an answer's embed title shows, with its Markdown escapes undone."""
    title = (message.embeds[0].title or "") if message.embeds else ""
    return re.sub(r"\\(.)", r"\1", title)
