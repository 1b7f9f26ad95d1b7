"""The bot's own answers in a server's channels, edited once what they show is taken back.

Discord keeps a message of the bot's as it was sent: the state database forgets a deleted
message, a forgotten member's messages and the questions taken back, but an answer posted
before would still quote them, and show its question in its title. ``Posted`` records each
answer the bot posts in a server's channel (``qabot.feedback.posts``: the bot's message, the
answer it shows, and the history messages each shown excerpt quotes, hashed), and edits it:

- a quoted message deleted (``deleted``: one, a purge, or a whole channel or thread, whose
  messages Discord tells of no deletion of), or one found deleted at the next start: its
  excerpt, and the citation that named its author, give way to ``DELETED``;
- a quoted message edited so that its text no longer holds what an excerpt showed of it (``edited``: heard live,
  or found by the next start's recheck; a typo fixed elsewhere in it is not), to ``EDITED``;
- a quoted member forgotten (``forgotten``: a message of theirs, or one that mentions them, or
  one cited by a thread's title that is their words: ``HistoryStore.quoted``): to ``FORGOTTEN_QUOTE``;
- a quoted channel no longer one that all who read the answer may read (``reread``: its overwrites changed, or a
  role's permissions, or those of the channel the answer is in, as heard live, or found at start): to
  ``UNREADABLE``, as the privacy rule (``qabot.history.privacy``) now has it;
- its question taken back (``questions_gone``: the message an "Ask qabot" question was about
  deleted or edited, its asker forgotten, or a member it names): the title gives way to
  ``QUESTION_GONE``.

The edits are made in the background, one at a time (discord.py waits out Discord's rate
limits: two requests each, reading the message and editing it), best effort: one that fails
(the message deleted meanwhile, the channel gone, the permission taken) is logged, naming
the bot's message and its channel, never a member. An answer in a direct message, or one shown
only to its asker, is not recorded: the one names a person by its channel, and Discord lets
the bot edit the other only for 15 minutes.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import discord

from qabot.adapters.discord.format import taken_out
from qabot.adapters.discord.places import covering
from qabot.errors import QABotError
from qabot.feedback.posts import Part, Post, Posts
from qabot.history.privacy import Where, quotable
from qabot.index.scope import is_chat_source
from qabot.text import first_line

if TYPE_CHECKING:
    from qabot.feedback import FeedbackStore
    from qabot.history import History
    from qabot.models import Answer, Excerpt

log = logging.getLogger(__name__)

DELETED = "The quoted message was deleted."
EDITED = "The quoted message was edited."
FORGOTTEN_QUOTE = "This excerpt was removed at its author's request."
QUESTION_GONE = "This question was taken back."
UNREADABLE = "The quoted channel is no longer open to everyone who can read this."
CLOSING_SECONDS = 5.0  # at close, how long the edits under way may take (answers under way had theirs first)


class Posted:
    """The answers a client posted in servers' channels: recorded, and edited when what they show is taken back."""

    def __init__(self, client: discord.Client, store: FeedbackStore, history: History | None) -> None:
        self.client = client
        self.posts = Posts(store)
        self.history = history
        self._edits: set[asyncio.Task[None]] = set()
        # One edit at a time: two read the same message, and the later would put back what the earlier took out.
        self._editing = asyncio.Lock()
        # A record (what it quotes checked, then written) and the look-ups of the posts to edit, one at a time: a
        # deletion heard between the check and the write would find no post, and the check had found all kept.
        self._recording = threading.Lock()
        self._rereading: dict[int, bool] = {}  # the servers being read again (``reread``): whether to go once more

    async def record(self, message: discord.Message, guild_id: int | None, answer_id: str | None, answer: Answer,
                     shown: int) -> None:
        """``message``, the bot's, shows ``answer`` (its first ``shown`` excerpts) in a server's channel."""
        if guild_id is None or answer_id is None:
            return
        excerpts = answer.excerpts[:shown] if answer.answered else []

        def write() -> frozenset[int]:
            with self._recording:
                found = [self._quoted(excerpt, first=number == 0) for number, excerpt in enumerate(excerpts)]
                self.posts.record(message.id, message.channel.id, guild_id, answer_id,
                                  [quoted for quoted, _ in found])
            return frozenset(number for number, (_, whole) in enumerate(found) if not whole)

        try:
            gone = await asyncio.to_thread(write)
        except QABotError as exc:  # the answer went out; it cannot be edited later
            log.warning("an answer posted is not recorded: %s", first_line(exc))
            return
        if gone:  # taken out of the history while it was answered, before this record: no deletion will find it
            self._later(lambda: [Post(message.id, message.channel.id, gone)], DELETED)

    def _quoted(self, excerpt: Excerpt, *, first: bool) -> tuple[list[tuple[int, int, frozenset[str], Part]], bool]:
        """The history messages an excerpt shows (the best excerpt's whole text, the description; another's
        highlight, its field), and whether they are all still kept (``HistoryStore.quoted``)."""
        if self.history is None or not is_chat_source(excerpt.citation.source):
            return [], True
        shown = excerpt.text if first else excerpt.highlight or excerpt.text
        return self.history.store.quoted(excerpt.citation.doc_id, shown)

    def deleted(self, message_ids: Iterable[int], channel_ids: Iterable[int] = ()) -> None:
        """Messages deleted, or channels (or threads) with all theirs."""
        ids, channels = list(message_ids), list(channel_ids)
        if ids or channels:
            self._later(lambda: self.posts.quoting(ids, channels), DELETED)

    def edited(self) -> None:
        """Quoted messages edited: the excerpts whose part of them the history's new text no longer holds (marked as
        it kept that text: ``Posts.rewritten``)."""
        self._later(self.posts.edited, EDITED)

    def forgotten(self, member: str, guild_id: int) -> None:
        self._later(lambda: self.posts.naming(member, guild_id), FORGOTTEN_QUOTE)

    async def reread(self, guild: discord.Guild) -> None:
        """Who may read a server's channels changed: the answers posted there whose excerpts quote a channel that not
        all of their own channel's readers may read now (``quotable``, as at a question) are edited. One posted in a
        channel the client cannot place (a thread archived since, unless its history is kept) is left as it is. A
        burst of changes (a category's channels synced) is read once more after the one under way, not once each."""
        if guild.id in self._rereading:
            self._rereading[guild.id] = True
            return
        self._rereading[guild.id] = False
        try:
            while True:
                await self._reread(guild)
                if not self._rereading[guild.id]:
                    return
                self._rereading[guild.id] = False
        finally:
            del self._rereading[guild.id]

    async def _reread(self, guild: discord.Guild) -> None:
        if self.history is None or guild.unavailable:  # an outage: Discord says nothing of its channels now
            return
        channels = [c for c in self.history.channels() if c.guild_id == guild.id]
        if not channels:  # none of its history kept: none quoted (a channel dropped took its quotes out then)
            return
        try:
            found, keys = await asyncio.to_thread(self.posts.quoting_channels, guild.id,
                                                  [c.channel_id for c in channels])
        except QABotError as exc:
            log.warning("could not read which of my answers quote a channel: %s", first_line(exc))
            return
        sources = {c.channel_id: c.source for c in channels}
        by_place: dict[int, list[tuple[int, int, str]]] = {}
        for post, here, excerpt, key in found:
            by_place.setdefault(here, []).append((post, excerpt, key))
        unreadable = set()
        for here, quotes in by_place.items():  # on the event loop: who may read what is the client's cache's
            allowed = self._quotable(guild, here, channels)
            unreadable |= {(post, excerpt) for post, excerpt, key in quotes if allowed is not None
                           and (quoted := sources.get(keys.get(key, 0))) is not None and quoted not in allowed}
            await asyncio.sleep(0)  # a place at a time, as a question's door: others' events go between
        if unreadable:
            self._later(lambda: self.posts.taking(unreadable), UNREADABLE)

    def _quotable(self, guild: discord.Guild, here: int, channels: list) -> frozenset[str] | None:
        """The history an answer posted in channel ``here`` may quote now; None where the client cannot tell."""
        place, row = guild.get_channel_or_thread(here), self.history.row(here) if self.history is not None else None
        if place is None and row is None:
            return None
        parent = place.parent_id if isinstance(place, discord.Thread) else row.parent_id if place is None else None
        return quotable(Where(guild.id, here, parent), channels,
                        lambda guild_id, at: covering(self.client.get_guild(guild_id), at))

    def questions_gone(self, answer_ids: Iterable[str]) -> None:
        ids = list(answer_ids)
        if ids:
            self._later(lambda: self.posts.showing(ids), "")

    async def settled(self, seconds: float | None = CLOSING_SECONDS) -> None:
        """Wait for the edits under way; after ``seconds`` (the bot stopping), those left are given up."""
        if self._edits:
            _, left = await asyncio.wait(set(self._edits), timeout=seconds)
            for task in left:
                task.cancel()

    def _later(self, find: Callable[[], list[Post]], notice: str) -> None:
        task = asyncio.get_running_loop().create_task(self._edit(find, notice), name="qabot-edit-posted")
        self._edits.add(task)
        task.add_done_callback(self._edits.discard)

    async def _edit(self, find: Callable[[], list[Post]], notice: str) -> None:
        def posts_to_edit() -> list[Post]:
            with self._recording:
                return find()

        try:
            posts = await asyncio.to_thread(posts_to_edit)
        except QABotError as exc:
            log.warning("could not read which of my answers quote what was taken back: %s", first_line(exc))
            return
        for post in posts:
            try:
                async with self._editing:
                    channel = self.client.get_partial_messageable(post.channel_id)
                    message = await channel.fetch_message(post.message_id)
                    if message.embeds:
                        embed = taken_out(message.embeds[0], post.excerpts, notice,
                                          title=QUESTION_GONE if post.question else None)
                        await message.edit(embed=embed, allowed_mentions=discord.AllowedMentions.none())
            except discord.HTTPException as exc:
                log.warning("could not edit my answer %s in channel %s to take out what was taken back: %s",
                            post.message_id, post.channel_id, first_line(str(exc)))


def quoted_message(answer: Answer) -> int | None:
    """The id of the history message an answer's highlight quotes (its jump link's last part), if it quotes one."""
    if not answer.excerpts or not is_chat_source(answer.excerpts[0].citation.source):
        return None
    last = (answer.excerpts[0].citation.link or "").rsplit("/", 1)[-1]
    return int(last) if last.isascii() and last.isdigit() else None
