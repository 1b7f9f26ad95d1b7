"""Learning from the server: the history's parts put together, for a bot or a client.

``Learning`` holds the feed (``feed.Feed``), the gateway listeners (``history.HistoryCog``)
and the backfill (``backfill.Backfill``) of one client: ``start`` (when the client is
ready) reads every listed channel from its checkpoint, then keeps up with what is said;
``stop`` applies what is still pending. ``qabot discord sync`` does the reading alone and
exits (``bot.sync``).

Without the Message Content intent nothing is read: the bot says so once, at start, and
what was indexed before stays, quoted by the privacy rule as ever. A list emptied on
purpose (no channel listed, history kept from before) removes that history from the index.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import stat
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import discord

from qabot.adapters.discord.backfill import Backfill
from qabot.adapters.discord.feed import Feed
from qabot.adapters.discord.history import HistoryCog, Key
from qabot.errors import QABotError
from qabot.history import History, HistoryStore
from qabot.text import first_line, fold

if TYPE_CHECKING:
    from qabot.feedback import FeedbackStore
    from qabot.settings import Settings

log = logging.getLogger(__name__)

NO_CONTENT = ("QABOT_DISCORD_HISTORY_CHANNEL_IDS is set but no message will be indexed: reading the server's "
              "messages needs QABOT_DISCORD_MESSAGE_CONTENT=true and the Message Content intent (developer portal, "
              "Bot > Privileged Gateway Intents)")


def history_wanted(settings: Settings, store: FeedbackStore) -> bool:
    """Whether a bot keeps the server's history: channels are listed, or history was kept before (to remove it)."""
    if settings.discord_history_channel_ids:
        if not settings.discord_message_content:
            log.warning(NO_CONTENT)
        return True
    try:
        return store.exists() and bool(HistoryStore(store).channels())
    except QABotError as exc:  # corrupt or locked: the bot answers anyway, as it does when an answer is not stored
        log.warning("%s; answering without it (no votes or history kept until it is repaired)", exc)
        return False


def index_private(qa: Any) -> None:
    """The index holds the server's history from now on, its private channels' too: its folder is made readable by
    its owner alone, as the state database is, whatever the umask made it (its files are then out of others' reach)."""
    folder = getattr(getattr(qa, "settings", None), "index_dir", None)  # a QABot's
    try:
        if folder is not None and (mode := stat.S_IMODE(folder.stat().st_mode)) & 0o077:
            folder.chmod(mode & 0o700)
    except OSError as exc:
        log.warning("history: cannot make the index folder readable by its owner alone: %s", exc.strerror or exc)


class Learning:
    """One client's history: its feed, its listeners and its backfill."""

    def __init__(self, client: discord.Client, history: History, settings: Settings, *, key: Key,
                 unquote: Callable[[set[int], set[int], bool], None] | None = None) -> None:
        listed = list(settings.discord_history_channel_ids)
        # Without the content intent nothing can be read; a list emptied on purpose still removes what was kept.
        self.reads = settings.discord_message_content or not listed
        tags = frozenset(fold(tag) for tag in settings.discord_history_solved_tags)
        self.history = history
        index_private(history.qa)
        self.feed = Feed(history, settings.discord_history_debounce_seconds, unquote=unquote)
        self.backfill = Backfill(client, history, self.feed, key, listed, tags,
                                 recheck_days=settings.discord_history_recheck_days)
        self.cog = HistoryCog(history, self.feed, key, frozenset(listed) if self.reads else frozenset(), tags,
                              read=self.backfill.queue, bridges=self.backfill.bridges, client=client)
        self._task: asyncio.Task[Any] | None = None

    @property
    def started(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        """Start the feed and a backfill. A new gateway session (``on_ready`` again) may have missed messages: the
        backfill under way stops, and another reads on from the checkpoints, each channel's recent window again
        (``backfill.Recheck``: what was deleted meanwhile); a channel with nothing new or recent costs no request."""
        self.feed.start()
        self._stop()
        # Unread, a channel taken off the list still leaves the index.
        work = self._backfill if self.reads else self.backfill.drop_unlisted
        self._task = asyncio.get_running_loop().create_task(self._catching_up(work), name="qabot-history-backfill")

    def reconnected(self) -> None:
        """A new gateway session began (READY: identified anew; a resume replays what was missed): every channel may
        have missed messages. The backfill under way stops, and every channel is reopened (``History.reopen``) in the
        history's thread at once, ahead of anything heard in the new session, which then waits for the next backfill
        (``start``, once the session is ready) as it does at a start: a live message heard first never moves a
        channel's checkpoint past what was said while the bot was away."""
        self._stop()
        if self.reads:
            self.feed.reopen()

    def _stop(self) -> None:
        """The backfill under way, if any, stops."""
        if self._task is not None:
            self._task.cancel()

    async def _catching_up(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """First the index work a failed update left undone before the bot stopped (a deletion the state database
        already made), then ``work`` (made only then: stopped before, nothing is left never awaited)."""
        try:
            await self.feed.run(self.history.catch_up)
        except QABotError as exc:  # tried again with the next change
            log.warning("history: the index is still behind the history: %s", first_line(exc))
        await work()

    async def _backfill(self) -> None:
        try:
            await self.backfill.run(follow=True)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the bot goes on answering; the next start reads on from the checkpoints
            log.error("history: the backfill stopped: %s", exc, exc_info=exc)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.feed.stop()

    def describe(self, guild_id: int | None) -> str:
        """The history of one server, for ``/qabot status``: nothing of another server's (the backfill's channel
        and counts are of every server's)."""
        if not self.reads:
            return "not read: " + NO_CONTENT.split(": ", 1)[1]
        progress = self.history.progress(guild_id)
        return f"{progress.describe()}\n{self.backfill.reading.state()}"
