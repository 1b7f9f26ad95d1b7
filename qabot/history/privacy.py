"""Who may read what: the one rule that decides which channels' history a place may quote.

A Discord channel's history is indexed under ``discord/<guild id>/<channel id>`` (a
thread or a forum post under its own id; its channel is remembered). Where an answer is
shown, everyone who can read the answer must be able to read what it quotes. So:

1. **its own server only**: history is quoted only in the guild it came from;
2. **a channel's history is quoted where its readers are**: channel B's history (its
   threads' too) is quoted in channel A (and A's threads) when everyone who may see A may
   read B (``covers``: asked of the server's roles and both channels' overwrites,
   ``qabot.history.readers``; seeing takes View Channel, as an answer sent is seen live without
   Read Message History; reading takes both, and Connect for a voice or stage channel's chat; an age-restricted channel is covered only by
   another). A channel every member may read is *public* and quoted across its server; in
   a server where a "member" role opens every channel, each is quoted in the others. A
   private thread is quoted only in itself. It is asked of Discord's own view of the
   channels now, and a channel it cannot tell about (deleted, or never seen) is read by
   nobody it can name: quoted only in itself;
3. **never in direct messages**, unless ``dms`` (``QABOT_DISCORD_HISTORY_DMS``) allows it;
   then only public channels' history, never a private one's, and only of channels the
   one person who reads a direct message may read (``reads``: in a server Discord says
   they are a member of); where that cannot be told, none;
4. **scopes apply on top**: a place's scope (``qabot.scopes``) may narrow this further,
   never widen it (``qabot.index.scope.Scope``'s ``chats``): a scope of patterns quotes
   history only where a pattern also matches its source (``discord/`` matches all of it).

``Answering.door`` (the Discord adapter) asks ``quotable`` at every door and adds the
answer to the place's scope (``Scope(patterns, chats)``), so ``/ask``, mentions, buttons,
follow-ups and ``/sources`` all see the same history.

An answer waits in the queue and takes time to find: who may read a channel can change
meanwhile. So every door asks again just before it sends (``Answering.now``), and sends
the answer ``within`` the scope in force then: less the excerpts it no longer allows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from qabot.index.scope import Scope, chat_source
from qabot.models import Answer

# (guild id, here): a test of whether everyone who may read channel ``here`` (None: every member) may read a channel
Covers = Callable[[int, int | None], Callable[[int], bool]]
Reads = Callable[[int, int], bool]  # (guild id, channel id): whether the person a direct message is with may read it


@dataclass(frozen=True)
class HistoryChannel:
    """A channel, thread or forum post whose history is indexed."""

    guild_id: int
    channel_id: int
    parent_id: int | None = None  # a thread's or a forum post's channel
    private_thread: bool = False

    @property
    def source(self) -> str:
        return chat_source(self.guild_id, self.channel_id)

    @property
    def root(self) -> int:
        """The channel whose readers decide who may read it: its own, or its parent's for a thread."""
        return self.parent_id if self.parent_id is not None else self.channel_id


@dataclass(frozen=True)
class Where:
    """Where an answer would be shown: a guild's channel or thread (``parent_id``), or a direct message."""

    guild_id: int | None
    channel_id: int | None
    parent_id: int | None = None


def quotable(where: Where, channels: Iterable[HistoryChannel], covers: Covers, *, dms: bool = False,
             reads: Reads | None = None) -> frozenset[str]:
    """The history sources an answer shown at ``where`` may quote (before any scope narrows them); in a direct
    message, ``reads`` says which channels its reader may read (None: nobody can tell, so none)."""
    if where.guild_id is None:
        if not dms or reads is None:
            return frozenset()
        public = {g: covers(g, None) for g in {c.guild_id for c in channels}}
        return frozenset(c.source for c in channels if not c.private_thread and public[c.guild_id](c.root)
                         and reads(c.guild_id, c.root))
    here = {c for c in (where.channel_id, where.parent_id) if c is not None}
    read_here = covers(where.guild_id, where.parent_id or where.channel_id)
    out = set()
    covered: dict[int, bool] = {}  # asked once per channel
    for c in channels:
        if c.guild_id != where.guild_id:
            continue
        if c.private_thread:
            if c.channel_id == where.channel_id:
                out.add(c.source)
            continue
        if c.root not in covered:
            covered[c.root] = c.root in here or read_here(c.root)
        if covered[c.root]:
            out.add(c.source)
    return frozenset(out)


def within(answer: Answer, scope: Scope | tuple[str, ...] | None) -> Answer:
    """``answer`` less the excerpts whose source ``scope`` does not allow (``()``, nowhere: none), as found before a
    channel turned private or a scope narrowed. It stays an answer only while its best excerpt stays; otherwise what
    is left is offered only as the closest passages, with no confidence of its own."""
    if scope is None:
        return answer
    allowed = Scope.of(scope) if scope != () else None
    kept = [e for e in answer.excerpts if allowed is not None and allowed.matches(e.citation.source)]
    if len(kept) == len(answer.excerpts):
        return answer
    best = bool(kept) and kept[0] is answer.excerpts[0]
    return answer.model_copy(update={"excerpts": kept, "answered": answer.answered and best,
                                     "confidence": answer.confidence if best else 0.0})
