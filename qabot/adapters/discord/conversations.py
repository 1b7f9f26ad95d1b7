"""Follow-up memory: the earlier questions of each thread and reply chain, kept in memory."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

HISTORY_DEPTH = 5  # earlier questions passed as history


class Conversations:
    """The earlier questions of each thread and reply chain, kept in memory.

    A reply chain is keyed by every message of it that the bot knows (the question and
    the answer), so replying to either continues the conversation. The oldest entries
    go first once ``capacity`` is reached; a restart forgets them all.
    """

    def __init__(self, depth: int = HISTORY_DEPTH, capacity: int = 10_000) -> None:
        self.depth = depth
        self.capacity = capacity
        self._chains: OrderedDict[int, tuple[str, ...]] = OrderedDict()
        self._threads: OrderedDict[int, tuple[str, ...]] = OrderedDict()

    def history(self, *, thread_id: int | None = None, reply_to: int | None = None) -> list[str]:
        """Earlier questions, oldest first: the reply chain's if there is one, else the thread's."""
        if reply_to is not None and reply_to in self._chains:
            return list(self._chains[reply_to])
        if thread_id is not None and thread_id in self._threads:
            return list(self._threads[thread_id])
        return []

    def remember(
        self, question: str, history: Iterable[str], *, thread_id: int | None, message_ids: Iterable[int]
    ) -> None:
        chain = (*history, question)[-self.depth :]
        for message_id in message_ids:
            self._put(self._chains, message_id, chain)
        if thread_id is not None:
            self._put(self._threads, thread_id, (*self._threads.get(thread_id, ()), question)[-self.depth :])

    def _put(self, table: OrderedDict[int, tuple[str, ...]], key: int, value: tuple[str, ...]) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > self.capacity:
            table.popitem(last=False)
