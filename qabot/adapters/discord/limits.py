"""Limits on the Discord side: bounded concurrency with a bounded queue, per-user cooldowns, and notices.

Retrieval runs in worker threads, never on the event loop, so the gateway heartbeat is
never late; ``Gate`` bounds how many questions run at once and how many may wait. Its threads
are its own: asyncio's shared ones (``asyncio.to_thread``: ``min(32, CPUs + 4)``) would cap
``concurrent`` unsaid, and, taken by answers, hold up the quick work the rest of the bot does
in them (a vote, a state database read) past the 3 s Discord gives a button press.
``Cooldowns`` spaces one member's questions (and button presses); ``Notices`` keeps the
bot's refusals in a channel (too soon, too long, busy) from crowding out its answers.
"""


from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from cachetools import TTLCache
from discord.ext import commands

T = TypeVar("T")


class QueueFull(Exception):
    """As many questions are waiting as the queue allows."""


class Gate:
    """Bounded concurrency in front of worker threads, with a bounded queue.

    ``admit()`` takes a place or raises ``QueueFull`` at once (no waiting); inside it,
    ``run()`` waits for one of ``concurrent`` slots and calls the function in a thread.
    """

    def __init__(self, *, concurrent: int, queue_limit: int) -> None:
        self._slots = asyncio.Semaphore(concurrent)
        self._threads = ThreadPoolExecutor(max_workers=concurrent, thread_name_prefix="qabot-answer")
        self.capacity = concurrent + queue_limit
        self.inside = 0  # admitted, from the first reply to the last
        self.waiting = 0  # waiting for a slot: the queue's depth
        self.running = 0  # being answered, in a worker thread
        self.closing = False  # shutting down: nothing more is admitted
        self._empty = asyncio.Event()
        self._empty.set()

    @contextlib.contextmanager
    def admit(self) -> Iterator[None]:
        if self.closing or self.inside >= self.capacity:
            raise QueueFull
        self.inside += 1
        self._empty.clear()
        try:
            yield
        finally:
            self.inside -= 1
            if not self.inside:
                self._empty.set()

    async def drain(self, timeout: float) -> bool:
        """Admit nothing more and wait, up to ``timeout`` seconds, until what was admitted is answered; whether it
        was."""
        self.closing = True
        try:
            await asyncio.wait_for(self._empty.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def run(self, func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        self.running += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._threads,
                                                                    functools.partial(func, *args, **kwargs))
        finally:
            self.running -= 1
            self._slots.release()


class Cooldowns:
    """``rate`` actions per user every ``seconds`` (0: no cooldown)."""

    def __init__(self, seconds: float, *, rate: int = 1) -> None:
        self._mapping: commands.CooldownMapping[int] | None = (
            commands.CooldownMapping(commands.Cooldown(rate, seconds), _same) if seconds > 0 else None
        )

    def retry_after(self, user_id: int) -> float:
        """0 when the user may ask now (and starts their cooldown), else the seconds left."""
        if self._mapping is None:
            return 0.0
        return self._mapping.update_rate_limit(user_id) or 0.0


class Notices:
    """Whether a notice may go to a channel now: one per member per window, and one per channel every few seconds.

    Discord lets a bot send about five messages per channel every five seconds, and
    discord.py queues what is over. A member sending a hundred mentions would otherwise
    queue a hundred "one moment" notices ahead of everyone's answers. A notice deletes
    itself after ``SHOWN_SECONDS``, so a member sees at most one at a time.
    """

    SHOWN_SECONDS = 20.0
    CHANNEL_SECONDS = 5.0

    def __init__(self, *, member_seconds: float = SHOWN_SECONDS, channel_seconds: float = CHANNEL_SECONDS) -> None:
        self._members: TTLCache[int, bool] = TTLCache(maxsize=100_000, ttl=member_seconds)
        self._channels: TTLCache[int, bool] = TTLCache(maxsize=100_000, ttl=channel_seconds)

    def allow(self, user_id: int, channel_id: int) -> bool:
        """True (and counted) when a notice to ``user_id`` in ``channel_id`` may go now."""
        if user_id in self._members or channel_id in self._channels:
            return False
        self._members[user_id] = self._channels[channel_id] = True
        return True


def _same(key: int) -> int:
    return key
