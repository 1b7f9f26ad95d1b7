"""Limits on the Discord side: bounded concurrency with a bounded queue, and per-user cooldowns.

Retrieval runs in worker threads, never on the event loop, so the gateway heartbeat is
never late; ``Gate`` bounds how many questions run at once and how many may wait.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

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
        self.capacity = concurrent + queue_limit
        self.inside = 0  # admitted, from the first reply to the last
        self.waiting = 0  # waiting for a slot: the queue's depth
        self.running = 0  # being answered, in a worker thread

    @contextlib.contextmanager
    def admit(self) -> Iterator[None]:
        if self.inside >= self.capacity:
            raise QueueFull
        self.inside += 1
        try:
            yield
        finally:
            self.inside -= 1

    async def run(self, func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        self.running += 1
        try:
            return await asyncio.to_thread(func, *args, **kwargs)
        finally:
            self.running -= 1
            self._slots.release()


class Cooldowns:
    """One question per user every ``seconds`` (0: no cooldown)."""

    def __init__(self, seconds: float) -> None:
        self._mapping: commands.CooldownMapping[int] | None = (
            commands.CooldownMapping(commands.Cooldown(1, seconds), _same) if seconds > 0 else None
        )

    def retry_after(self, user_id: int) -> float:
        """0 when the user may ask now (and starts their cooldown), else the seconds left."""
        if self._mapping is None:
            return 0.0
        return self._mapping.update_rate_limit(user_id) or 0.0


def _same(key: int) -> int:
    return key
