"""Backfill: what the listed channels said before, read from each one's checkpoint when the bot is ready.

Each listed id is a text channel (with its threads: active, archived public, and
archived private where the bot may list them), a forum (its posts, active and archived)
or a thread alone. Each channel is read oldest to newest from its checkpoint, in
discord.py's pages of 100 (``Messageable.history``), ``BATCH`` messages held and applied at
a time, so memory stays bounded whatever a channel's length; the checkpoint advances with
each batch, and a restart goes on from it, never from scratch. A channel read to its end
whose last message is its checkpoint, and with nothing kept in its window (below), costs no
request at all. Channels are read one at a time, and discord.py waits out Discord's rate
limits (a 429 is retried after the delay it names), so a backfill never hammers the API.

No event tells of a message deleted or edited while the bot was away, so a channel with
messages kept from its last ``QABOT_DISCORD_HISTORY_RECHECK_DAYS`` is read from there
instead of from its checkpoint, in the same pages (``Recheck``): a message kept there that
Discord no longer gives is removed, as a deletion heard live is, and one whose text changed
is taken as an edit (``Changes.rechecked``: one heard live meanwhile wins), or removed where
the edit left it nothing to quote (its text taken away, a sticker left); one marked as the
answer with no mark reaction left is marked no more, and one kept unmarked that has a mark reaction now is
asked who left it (a request or two, as a new message with one is: its asker's marks it). Nothing is
removed unless the whole window was read: a page that fails leaves every message kept. A
deletion older than the window is not seen.

Until a channel has been read to its end in this run, its new messages wait, stored, and
are linked in order once the backfill reaches them: the channels themselves are read
first, then their active threads, then the archived ones (a thread started from a message
goes on from that message, read with its channel before it). A thread met live that had
not been seen is read once what was heard before it is applied. A channel or thread kept
from before that its channel no longer lists is asked of Discord: one deleted while the bot
was away (404, Unknown Channel: no event said so) leaves the index with its threads. One
kept that Discord fails to give (a 403 once the bot lost access to it, a 5xx), or whose
channel's threads it fails to list, is skipped as one whose history fails is
(``read_or_skip``): what is said there from then on is learnt, and what was missed is read
at the next start (a history whose pages Discord failed to give for a while, a 5xx, is read
again later in the run as well: ``RETRY_SECONDS``). Progress goes to the log every
``LOG_SECONDS`` and to ``/qabot status``.
``qabot discord sync`` runs the same backfill without serving questions (``sync``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import discord

from qabot.adapters.discord.feed import Feed
from qabot.adapters.discord.history import Key, channel_row, chat_message, kept_now, key_of, marks_of, started_by
from qabot.adapters.discord.places import named, needs
from qabot.corpus.chat import MARKS, Bridges, ChatMessage
from qabot.history import THREAD, Changes, ChannelRow, History
from qabot.history.service import EVERYTHING

log = logging.getLogger(__name__)

BATCH = 1000  # messages held and applied at a time
LOG_SECONDS = 10.0
UNKNOWN_CHANNEL = 10003  # Discord's error: the channel (or thread) does not exist
RETRY_SECONDS = 60.0  # a channel whose history Discord failed to give (a 5xx, a 429 past discord.py's tries) is read
RETRIES = 3  # again after this (twice as long the second time, ...), this many times, before the next start


@dataclass
class Reading:
    """What a backfill run has done so far."""

    started: float = field(default_factory=time.time)
    channels: int = 0  # read (or found up to date) in this run
    messages: int = 0  # read in this run
    current: str | None = None  # the channel being read
    finished: float | None = None

    def describe(self) -> str:
        state = "done" if self.finished is not None else f"reading {self.current}" if self.current else \
            "under way" if self.channels else "starting"
        return f"backfill {state}: {self.channels} channel(s), {self.messages:,} message(s) read in this run"

    def state(self) -> str:
        """Whether the run is under way, naming nothing: the channel it reads may be another server's."""
        return "backfill done" if self.finished is not None else "backfill under way"


@dataclass
class Recheck:
    """A channel's messages kept from before, read again (ids in (``after``, ``up_to``]): those Discord gave back
    are compared, a batch at a time, with what is kept from ``checked`` on, and those it did not are ``removed``
    once the whole window is read. So are those kept past ``up_to`` (learnt live where reading had failed, so that
    the checkpoint stayed behind them), which are read as new too."""

    after: int  # the window's start (a snowflake of that time), or the checkpoint where that is older
    up_to: int  # the channel's checkpoint when this run began: every message up to it had been read before
    checked: int = field(init=False)  # compared up to here
    seen: dict[int, ChatMessage | None] = field(default_factory=dict)  # given back since ``checked``: as kept now
    unmarked: set[int] = field(default_factory=set)  # of those, the ones with no ✅ (or other mark) reaction now
    marking: dict[int, discord.Message] = field(default_factory=dict)  # and those with one: who left it is asked
    given: set[int] = field(default_factory=set)  # the ids given back since ``checked``, past ``up_to`` too
    removed: set[int] = field(default_factory=set)  # kept, and not given back
    edited: int = 0  # how many had changed

    def __post_init__(self) -> None:
        self.checked = self.after

    def covers(self, message_id: int) -> bool:
        return self.after < message_id <= self.up_to


class Backfill:
    """Reads the listed channels' history into ``History``, resumably; then any thread met live that it had not seen."""

    def __init__(self, client: discord.Client, history: History, feed: Feed, key: Key, listed: list[int],
                 solved_tags: frozenset[str], *, batch: int | None = None, recheck_days: float = 0.0,
                 bridges: Bridges | None = None) -> None:
        self.client = client
        self.bridges = bridges or Bridges()  # the webhooks that bridge people, as far as seen (the cog's too)
        self.history = history
        self.feed = feed
        self.key = key
        self.listed = listed
        self.solved_tags = solved_tags
        self.batch = batch or BATCH
        self.recheck_days = recheck_days  # QABOT_DISCORD_HISTORY_RECHECK_DAYS (0: off)
        self.reading = Reading()
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._logged = 0.0
        self._following = False  # channels ``queue`` adds are read (``run``'s ``follow``)
        self._tries: dict[int, int] = {}  # channel id: how many times its history failed in this run
        self._retries: list[asyncio.TimerHandle] = []  # this run's channels to read again (``_again``)

    def queue(self, channel: Any) -> None:
        """Read this channel too (a thread met live that the backfill had not seen)."""
        self._queue.put_nowait(channel)

    async def run(self, *, follow: bool = True) -> Reading:
        """Read every listed channel from its checkpoint; then, with ``follow``, each channel ``queue`` adds."""
        self.reading = Reading()
        for retry in self._retries:  # a run stopped (a new session) leaves its channels to this one
            retry.cancel()
        self._following, self._tries, self._retries = follow, {}, []
        await self.drop_unlisted()
        await self.feed.run(self.history.reopen)  # until read to its end in this run, it may have missed some
        for channel_id in self.listed:
            channel = await self._resolve(channel_id)
            if channel is None:
                continue
            try:
                async for target in self._targets(channel):
                    await self.read_or_skip(target)
            except discord.HTTPException as exc:  # listing its threads failed: the ones read so far stay read
                if _deleted(exc):  # as it was read
                    await self._gone(channel.id)
                    continue
                log.warning("history: cannot list the threads of %s: %s", named(channel), exc)
                await self._unreached(self.history.with_threads(channel.id))
        self.reading.finished = time.time()
        self.reading.current = None
        progress = await asyncio.to_thread(self.history.progress)  # a query of the state database
        log.info("history: backfill done in %.0f s: %d message(s) read; %s", time.time() - self.reading.started,
                 self.reading.messages, progress.describe())
        while follow:
            channel = await self._queue.get()
            # What was heard before the thread was met is applied first: among it, maybe the message in the parent
            # channel that the thread was started from, which the thread's conversation goes on from (``linking``).
            await self.feed.caught_up()
            await self.read_or_skip(channel)
        return self.reading

    async def read_or_skip(self, channel: Any) -> None:
        """``read``; where Discord or the index fails on it, the channel's history before now is skipped, with a
        warning, so that its new messages are still learnt (until read to its end, they would wait for it)."""
        name = named(channel)
        try:
            await self.read(channel)
            return
        except asyncio.CancelledError:
            raise
        except discord.Forbidden:
            log.warning("history: cannot read %s's history (it needs %s); what is said there from now on is learnt",
                        name, needs(channel))
        except Exception as exc:
            if _deleted(exc):  # as it was read (a moderator's CHANNEL_DELETE or THREAD_DELETE, or no event at all)
                await self._gone(channel.id)
                return
            again = self._again(channel, exc)
            log.warning("history: could not read %s (%s); what is said there from now on is learnt, and what "
                        "was said before is read %s", name, exc,
                        f"again in {again:.0f} s" if again else "at the next start",
                        exc_info=None if isinstance(exc, discord.HTTPException) else exc)
        await self._unreached({channel.id})

    def _again(self, channel: Any, exc: Exception) -> float | None:
        """Where Discord failed for a while (a 5xx, or rate limits past discord.py's tries) and the bot goes on
        (``run``'s ``follow``), the channel is read again on from its checkpoint later (``queue``), ``RETRIES`` times
        at most in a run: in how many seconds; else None (a refusal, a deleted channel, the index failing)."""
        if not (self._following and isinstance(exc, discord.HTTPException) and (
                exc.status >= 500 or exc.status == 429)) or self._tries.get(channel.id, 0) >= RETRIES:
            return None
        self._tries[channel.id] = tries = self._tries.get(channel.id, 0) + 1
        delay = RETRY_SECONDS * 2 ** (tries - 1)
        self._retries.append(asyncio.get_running_loop().call_later(delay, self.queue, channel))
        return delay

    async def _unreached(self, channel_ids: set[int]) -> None:
        """Of these channels and threads, those kept and not read in this run (Discord failed to give them, or their
        history): their history before now is skipped until the next start, so that what is said there from now on
        is learnt (``History.reopen`` made every one wait for its backfill)."""
        unread = {i for i in channel_ids if (row := self.history.row(i)) is not None and not row.complete}
        if unread:
            await self.feed.apply(Changes(skipped=unread))

    async def drop_unlisted(self) -> None:
        """Channels kept from before that are no longer listed: their history leaves the index."""
        listed = set(self.listed)
        gone = {row.id for row in self.history.rows() if row.id not in listed and row.parent_id not in listed}
        if gone:
            log.info("history: %d channel(s) or thread(s) are no longer listed; their history leaves the index",
                     len(gone))
            await self.feed.apply(Changes(dropped=gone))

    async def _resolve(self, channel_id: int) -> Any:
        channel = self.client.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.client.fetch_channel(channel_id)
            except (discord.HTTPException, discord.InvalidData) as exc:
                log.warning("history: cannot read channel %s (QABOT_DISCORD_HISTORY_CHANNEL_IDS): %s", channel_id, exc)
                if _deleted(exc):  # while the bot was away
                    await self._gone(channel_id)
                else:
                    await self._unreached(self.history.with_threads(channel_id))
                return None
        if getattr(channel, "guild", None) is None or isinstance(channel, discord.CategoryChannel):
            log.warning("history: %s is not a server's text channel, forum or thread: list those", channel_id)
            return None
        return channel

    async def _targets(self, channel: Any) -> AsyncIterator[Any]:
        """The channel (where it holds messages), then its active threads, then its archived ones."""
        if isinstance(channel, discord.Thread):
            yield channel
            return
        if not isinstance(channel, discord.ForumChannel):  # a forum's messages are its posts'
            yield channel
        if not hasattr(channel, "archived_threads"):
            return
        seen = set()
        for thread in list(channel.threads):
            seen.add(thread.id)
            yield thread
        # Private threads are a text channel's alone: an announcement channel's are announcement threads, public.
        for private in (False, True) if isinstance(channel, discord.TextChannel) and not channel.is_news() else (False,):
            try:
                archived = channel.archived_threads(limit=None, private=private) if private else \
                    channel.archived_threads(limit=None)
                async for thread in archived:
                    if thread.id not in seen:
                        seen.add(thread.id)
                        yield thread
            except discord.Forbidden:
                log.info("history: cannot list %s archived threads of %s (it needs %s)",
                         "private" if private else "the", named(channel),
                         "Manage Threads" if private else "Read Message History")
        # Threads kept that were not listed: deleted while the bot was away (no THREAD_DELETE was heard), or private
        # ones it may not list; Discord says which.
        for row in self.history.rows():
            if row.parent_id == channel.id and row.id not in seen:
                try:
                    thread = await self.client.fetch_channel(row.id)
                except (discord.HTTPException, discord.InvalidData) as exc:
                    if _deleted(exc):
                        await self._gone(row.id)
                    else:  # access lost (403), or Discord failing: read at the next start
                        await self._unreached({row.id})
                    continue
                if isinstance(thread, discord.Thread):
                    yield thread

    async def _gone(self, channel_id: int) -> None:
        """A channel or thread Discord says is no more (deleted while the bot was away, or as it was read): its
        history, and its threads', leaves the index (where an event has not taken it out already)."""
        gone = self.history.with_threads(channel_id)
        if gone:
            log.info("history: channel %s was deleted; its history leaves the index", channel_id)
            await self.feed.apply(Changes(dropped=gone))

    async def read(self, channel: Any) -> None:
        """Read one channel (or thread) from its checkpoint to its end, ``batch`` messages at a time."""
        if self._left(channel):
            return
        # History's lock may be held by a batch being applied: wait for it in the history's thread (``Feed.run``).
        relay = await self.feed.run(self.history.register, channel_row(channel, self.solved_tags, self.key))
        if self._left(channel):  # meanwhile: ``HistoryCog.leave`` did not know of it
            await self.feed.apply(Changes(dropped={channel.id}))
            return
        row = self.history.row(channel.id)
        assert row is not None
        if row.kind == THREAD and row.checkpoint and not row.from_message and self.history.row(row.parent_id) is None:
            row = await self._started(channel, row, await started_by(channel, self.key))
        last = getattr(channel, "last_message_id", None)
        self.reading.channels += 1
        if relay:
            await self.feed.apply(Changes(relay={channel.id}))
        recheck = await self._recheck(row)
        if recheck is None and last is not None and row.checkpoint >= last:  # nothing new since: no request at all
            await self.feed.apply(Changes(read={channel.id: (row.checkpoint, True)}))
            self._progress()
            return
        self.reading.current = named(channel)
        start = recheck.after if recheck is not None else row.checkpoint
        after = discord.Object(id=start) if start else None
        changes, newest, count = Changes(), row.checkpoint, 0
        try:
            async for message in channel.history(limit=None, after=after, oldest_first=True):
                newest = max(newest, message.id)
                count += 1
                self.reading.messages += 1
                if message.type is discord.MessageType.thread_starter_message and not row.from_message:
                    # Discord's placeholder for the message the thread was started from (never kept): where that is
                    # not kept either, the thread opens answering a question the history does not hold (``linking``).
                    starter = message.reference.resolved if message.reference is not None else None
                    row = await self._started(channel, row, key_of(starter, self.key)
                                              if isinstance(starter, discord.Message) else "")
                kept = chat_message(message, self.key, self.history.forgotten)
                now = kept_now(message, kept, self.bridges) if kept is not None else []
                if recheck is not None:
                    recheck.given.add(message.id)
                if recheck is not None and recheck.covers(message.id):
                    # Read before: compared with what is kept, a batch at a time (a bridge's as a person's, as kept).
                    recheck.seen[message.id] = kept
                    if not any(str(reaction.emoji) in MARKS for reaction in message.reactions):
                        recheck.unmarked.add(message.id)
                    else:  # marked while the bot was away, maybe: asked of Discord where kept unmarked
                        recheck.marking[message.id] = message
                elif now:
                    changes.marks += await marks_of(message, self.key)
                for new in now:  # held by ``Bridges`` until now where a bridge's, some read before
                    if recheck is None or not recheck.covers(int(new.id)):
                        changes.add(channel.id, new)
                if count % self.batch == 0:
                    if recheck is not None:
                        await self._compare(channel.id, recheck, message.id, changes)
                    changes.read[channel.id] = (newest, False)
                    await self.feed.apply(changes)
                    changes = Changes()
                    self._progress()
        finally:
            self.reading.current = None
        if recheck is not None:  # read to its end: what was kept in the window and not given back was deleted
            await self._compare(channel.id, recheck, max(newest, recheck.up_to), changes)
            changes.removed |= recheck.removed
            if recheck.removed or recheck.edited:
                log.info("history: %s: %d message(s) deleted and %d edited while the bot was away (in the last %g "
                         "day(s), QABOT_DISCORD_HISTORY_RECHECK_DAYS)", named(channel),
                         len(recheck.removed), recheck.edited, self.recheck_days)
        changes.read[channel.id] = (newest, True)
        await self.feed.apply(changes)
        self._progress()

    async def _started(self, channel: Any, row: ChannelRow, by: str | None) -> ChannelRow:
        """A thread noted as started from a message of ``by`` (``ChannelRow.started_by``), where that is known: read
        from its placeholder, or asked of Discord where a version before read the thread without noting it, and its
        channel is not learnt (nothing else says whose words its name is: ``HistoryStore.forget``)."""
        if by is None:
            return row
        await self.feed.run(self.history.register, replace(row, started_by=by))
        return self.history.row(channel.id) or row

    def _left(self, channel: Any) -> bool:
        """Whether the bot was removed from the channel's server (``HistoryCog.leave``), as the backfill went on to it
        (a thread of a channel it was reading, one queued): nothing of that server is kept, not even its name."""
        return self.client.get_guild(channel.guild.id) is None

    async def _recheck(self, row: ChannelRow) -> Recheck | None:
        """The window of this channel to read again, where messages are kept in it from before (or past its checkpoint:
        learnt live where reading had failed); else None."""
        if not self.recheck_days:
            return None
        since = discord.utils.time_snowflake(datetime.now(UTC) - timedelta(days=self.recheck_days))
        after = min(since, row.checkpoint)
        if not await asyncio.to_thread(self.history.kept, row.id, after, EVERYTHING, limit=1):
            return None
        return Recheck(after, row.checkpoint)

    async def _compare(self, channel_id: int, recheck: Recheck, reached: int, changes: Changes) -> None:
        """Compare what Discord gave back up to ``reached`` with what is kept: a changed text is an edit (in
        ``changes``), and a message not given back is noted in ``recheck.removed``, to go once the window is read.
        (One past ``up_to``, given back, is read as new: put again as it reads now.)"""
        if reached <= recheck.checked:
            return
        kept = await asyncio.to_thread(self.history.kept, channel_id, recheck.checked, reached)
        for message_id, before in kept.items():
            if message_id not in recheck.given:
                recheck.removed.add(message_id)
                continue
            if message_id not in recheck.seen:
                continue
            if before.marked and message_id in recheck.unmarked:  # its mark taken back meanwhile (the asker's or all)
                changes.unmarked.add(message_id)
            elif not before.marked and message_id in recheck.marking:  # a mark left meanwhile: the asker's, maybe
                changes.marks += await marks_of(recheck.marking[message_id], self.key)
            now = recheck.seen[message_id]
            if now is None:  # edited to say nothing (a sticker left): its old text goes, as a live edit's does
                changes.removed.add(message_id)
                recheck.edited += 1
            elif _text(now) != _text(before):
                changes.rechecked.setdefault(channel_id, []).append(now)
                recheck.edited += 1
        recheck.seen.clear()
        recheck.unmarked.clear()
        recheck.marking.clear()
        recheck.given.clear()
        recheck.checked = reached

    def _progress(self) -> None:
        now = time.monotonic()
        if now - self._logged >= LOG_SECONDS:
            self._logged = now
            log.info("history: %s", self.reading.describe())


def _deleted(exc: Exception) -> bool:
    """Whether Discord's error says the channel (or thread) does not exist (any more)."""
    return isinstance(exc, discord.NotFound) and exc.code == UNKNOWN_CHANNEL


def _text(message: ChatMessage) -> tuple:
    """What an edit changes in a message, as the history keeps it."""
    return message.content, message.extras, message.forwarded


async def sync(client: discord.Client, token: str, backfill: Backfill) -> Reading:
    """``qabot discord sync``: log in, read every listed channel once, and close (no question is answered)."""
    async with client:
        task = asyncio.create_task(client.start(token))
        ready = asyncio.create_task(client.wait_until_ready())
        try:
            await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                task.result()  # a login Discord refused, said as such
            return await backfill.run(follow=False)
        finally:
            ready.cancel()
            await client.close()
            await asyncio.gather(task, ready, return_exceptions=True)
