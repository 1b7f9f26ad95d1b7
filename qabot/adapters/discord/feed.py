"""The feed: a live history's changes batched and debounced, then applied in the history's own thread.

Changes are batched and debounced (``QABOT_DISCORD_HISTORY_DEBOUNCE_SECONDS`` after the first
of a burst), then applied in a worker thread, never on the event loop: a message reaches
answers within seconds, and a busy channel is not one commit per message.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from qabot.history import Changes, History

log = logging.getLogger(__name__)

T = TypeVar("T")


class Feed:
    """Changes batched and debounced, then applied by ``History`` in a worker thread, one batch at a time.

    ``stop`` waits for the batches being applied and applies what is still pending, so a
    deletion heard just before the bot stops is not lost. ``caught_up`` waits for what was
    submitted until then (and only that: a busy server's feed is never idle).

    What takes the history's lock (a batch applied, a channel registered, a member forgotten) runs in the feed's one
    thread, in turn (``run``): a batch being indexed holds the lock for minutes on the real model,
    and what waits for it must not each hold a thread of asyncio's shared pool, which the rest of
    the bot works in (a vote, a state database read, within the 3 s Discord gives a press).
    """

    def __init__(self, history: History, debounce: float, *,
                 unquote: Callable[[set[int], set[int], bool], None] | None = None) -> None:
        self.history = history
        self.debounce = debounce
        # On the event loop, after a batch that took something out of the history: the messages and channels, and
        # whether messages were edited (what an edit took out of a kept message's text).
        self.unquote = unquote
        self._pending = Changes()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._applying: set[asyncio.Future[Any]] = set()
        self._heard = 0  # changes submitted so far
        self._done = 0  # of which applied (or given up on)
        self._progress = asyncio.Condition()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qabot-history")

    async def run(self, func: Callable[..., T], /, *args: Any) -> T:
        """``func(*args)`` in the history's own thread, once what was queued there before is done."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, functools.partial(func, *args))

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="qabot-history-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await asyncio.gather(*self._applying, return_exceptions=True)
        leftover, self._pending = self._pending, Changes()
        heard = self._heard
        try:
            if leftover:
                await self._apply(leftover)
        finally:
            await self._reached(heard)

    def reopen(self) -> None:
        """``History.reopen`` in the history's thread, queued now rather than when a coroutine gets to it: ahead of
        every batch heard from here on (``Learning.reconnected``)."""
        future = asyncio.get_running_loop().run_in_executor(self._thread, functools.partial(self.history.reopen, session=True))
        self._applying.add(future)
        future.add_done_callback(self._reopened)

    def _reopened(self, future: asyncio.Future[None]) -> None:
        self._applying.discard(future)
        if not future.cancelled() and future.exception() is not None:  # the backfill reopens them again as it begins
            log.warning("history: could not mark the channels as unread for the new session: %s", future.exception())

    def submit(self, changes: Changes) -> None:
        if changes:
            self._pending.merge(changes)
            self._heard += 1
            self._idle.clear()
            self._wake.set()

    async def apply(self, changes: Changes) -> None:
        """Apply now, without waiting for a burst to end (a backfill's pages), in a worker thread."""
        if changes:
            await self._apply(changes)

    async def settled(self) -> None:
        """Wait until everything submitted so far is applied."""
        await self._idle.wait()

    async def caught_up(self) -> None:
        """Wait until the changes submitted so far are applied, whatever is submitted meanwhile."""
        heard = self._heard
        async with self._progress:
            await self._progress.wait_for(lambda: self._done >= heard)

    async def _reached(self, heard: int) -> None:
        async with self._progress:
            self._done = max(self._done, heard)
            self._progress.notify_all()

    async def _apply(self, changes: Changes) -> None:
        """``History.apply`` in a worker thread; a cancelled caller does not leave it running unseen (``stop``)."""
        future = asyncio.ensure_future(self.run(self.history.apply, changes))
        self._applying.add(future)
        future.add_done_callback(self._applying.discard)
        try:
            await asyncio.shield(future)
        finally:
            edited = bool(changes.edited or changes.rechecked)
            if self.unquote is not None and (changes.removed or changes.dropped or edited):
                self.unquote(changes.removed, changes.dropped, edited)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(self.debounce)  # a burst becomes one batch
            self._wake.clear()
            batch, self._pending, heard = self._pending, Changes(), self._heard
            try:
                await self._apply(batch)
            except Exception as exc:  # a failed batch is logged; the bot and the next batches go on
                log.error("history: could not apply %d change(s): %s; their channels are read again from Discord at "
                          "the next start", batch.messages, exc, exc_info=exc)
                await self.run(self.history.hold, set(batch.put))  # no later message moves a checkpoint past them
            await self._reached(heard)
            if not self._wake.is_set():
                self._idle.set()
