"""The answers kept in memory for their buttons (``Kept``), and those taken back while under way.

``KeptAnswers`` keeps the last ``CACHE`` answers (``cachetools.LRUCache``: the least recently
used go first, and are asked again from the state database when a button needs them), each
with where it was asked, after what, the scope it was kept to and the index build it was found in.

An answer taken out of the state database (its asker forgotten, the message it was asked
about deleted or edited: ``Answering.dropped``) leaves memory at once. One that a button was
having asked again at that moment (``recalling``) is not kept when it comes back, nor shown:
otherwise it would come back into memory after it left the state database, and every later
press of Post publicly would post the words its author took back.

Likewise a member forgotten (``/qabot forget``) while a question of theirs, one about a
message of theirs, or one naming them, was being answered, or a server the bot was removed
from while a question there was: its answer is stored after the state database's deletion ran. ``Forgetting``
remembers who was forgotten where (or which server was left), and when, for as long as a
question may take (an interaction's 15 minutes), so that such a copy is taken out too.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cachetools import LRUCache, TTLCache

from qabot.feedback.forgetting import naming

if TYPE_CHECKING:
    from qabot.adapters.discord.places import Place
    from qabot.index.scope import Scope
    from qabot.models import Answer
    from qabot.scopes import Patterns

CACHE = 1000  # answers kept in memory for their buttons; older ones are asked again from the store
FORGETTING_SECONDS, FORGETTINGS = 900.0, 10_000  # how long, and how many, forgettings are remembered


@dataclass(frozen=True)
class Kept:
    """An answer kept in memory for its buttons: where it was asked, after what, the scope it was kept to, and the
    index build it was found in (a later one may have lost what it quotes: a deleted or forgotten message)."""

    answer: Answer
    place: Place
    history: tuple[str, ...]
    scope: Patterns | Scope | None
    build: str


class KeptAnswers:
    """Answers by id, for their buttons; an answer taken back while it was being asked again is not kept."""

    def __init__(self, capacity: int = CACHE) -> None:
        self._kept: LRUCache[str, Kept] = LRUCache(maxsize=capacity)
        self._recalling: Counter[str] = Counter()  # answer id: the presses having it asked again now
        self._taken_back: set[str] = set()  # of those, the ones taken out of the state database meanwhile

    def get(self, answer_id: str) -> Kept | None:
        return self._kept.get(answer_id)

    def keep(self, answer_id: str, kept: Kept) -> bool:
        """Keep an answer; False, keeping nothing, when it was taken back while it was being asked again."""
        if answer_id in self._taken_back:
            return False
        self._kept[answer_id] = kept
        return True

    @contextlib.contextmanager
    def recalling(self, answer_id: str) -> Iterator[None]:
        """While a press has this answer read from the state database and asked again (``keep`` says whether it
        was taken back meanwhile)."""
        self._recalling[answer_id] += 1
        try:
            yield
        finally:
            self._recalling[answer_id] -= 1
            if not self._recalling[answer_id]:
                del self._recalling[answer_id]
                self._taken_back.discard(answer_id)

    def take_back(self, answer_ids: Iterable[str]) -> None:
        """These answers left the state database: they leave memory, and are not kept when asked again now."""
        for answer_id in answer_ids:
            self._kept.pop(answer_id, None)
            if answer_id in self._recalling:
                self._taken_back.add(answer_id)

    def drop_if(self, stale: Callable[[Kept], bool]) -> None:
        """Let go of the answers ``stale`` picks (a button asks them again, if it may, when pressed)."""
        for answer_id, kept in list(self._kept.items()):
            if stale(kept):
                self._kept.pop(answer_id, None)


class Forgetting:
    """Members forgotten lately, by server (``/qabot forget``; a bridged person by ``forgetting.bridged_person``), and
    servers left (member None), and when (under way: ``math.inf``)."""

    def __init__(self) -> None:
        self._when: TTLCache[tuple[int, int | str | None], float] = TTLCache(FORGETTINGS, FORGETTING_SECONDS)
        self._names: TTLCache[tuple[int, int | str | None], frozenset[str]] = TTLCache(FORGETTINGS, FORGETTING_SECONDS)

    @contextlib.contextmanager
    def forgetting(self, guild_id: int, user_id: int | str | None, names: Iterable[str] = ()) -> Iterator[None]:
        """While ``user_id`` is being forgotten in ``guild_id`` (None: the server's answers, as the bot left it), with
        the ``names`` others' questions may name them by."""
        self._names[(guild_id, user_id)] = self.names(guild_id, user_id) | frozenset(names)
        self._when[(guild_id, user_id)] = math.inf
        try:
            yield
        finally:
            self._when[(guild_id, user_id)] = time.perf_counter()

    def names(self, guild_id: int, user_id: int | str | None) -> frozenset[str]:
        return self._names.get((guild_id, user_id), frozenset())

    def meanwhile(self, guild_id: int | None, who: Iterable[int | str | None], since: float, said: Iterable[str] = ()
                  ) -> list[tuple[int, int | str | None, frozenset[str]]]:
        """The forgettings (server, member, their names) that take out what ``who`` asked, or asked about, in
        ``guild_id``, or a question (or its history: ``said``) that names them: theirs there (in a direct message: in
        any server), or the server's, under way or done since ``since`` (a ``time.perf_counter``)."""
        members, said = set(who) - {None}, list(said)
        return [(g, u, self.names(g, u)) for (g, u), when in list(self._when.items()) if when >= since and (
            (u is None and g == guild_id) or (guild_id in (None, g) and (
                u in members or any(map(naming(self.names(g, u)), said)))))]
