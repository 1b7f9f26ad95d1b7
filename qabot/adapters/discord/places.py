"""Where a Discord event happened (``Place``), and who may read a channel there (``Places``).

``Places`` answers what the privacy rule (``qabot.history.privacy``) asks of Discord: whether
everyone who may read one channel may read another's history (``covers``: the server's roles and
both channels' overwrites, put to ``qabot.history.readers``; a channel every member may read is
public) and, in a direct message, which channels the one person it is with may read. Both ask
the same permissions (``_needed``).

In a direct message, what Discord says of the person's membership of a server (a member with
their roles, or none) is trusted for ``MEMBERSHIP_SECONDS`` (``cachetools.TTLCache``): a burst
of questions and presses costs one request per server, not one each, and a member who left
a server reads its history for a minute at most after. That is the bound: the bot does not
ask for the members intent, without which Discord sends no member events (a member who
leaves, or whose roles change), so nothing tells it sooner. Losing a role changes nothing
in a direct message: only public channels are quoted there, which every member may read
whatever their roles. A channel's own changes (its overwrites, its category synced, age
restriction) and a role's (its permissions) come as gateway events the bot does get, and count
from the next answer on, since ``covers`` and ``reads`` ask the client's cache each time.
Questions asked while a request is under way wait for its answer; a request that fails is
not remembered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import discord
from cachetools import LRUCache, TTLCache

from qabot.history import readers
from qabot.history.privacy import Reads

log = logging.getLogger(__name__)

READ = ("view_channel", "read_message_history")  # what a member needs to read a channel's history
READ_VOICE = (*READ, "connect")  # and a voice or stage channel's text chat: Discord denies it without Connect
ROLE_PERMISSIONS = (*READ_VOICE, readers.ADMINISTRATOR)  # what a role's server-wide permissions say of reading
MEMBERSHIP_SECONDS = 60.0  # how long Discord's word on a membership is trusted in direct messages: keep it short
MEMBERSHIPS = 10_000  # (server, person) memberships remembered at most
NAMES = 5  # the users a question mentions whose names are asked of Discord, at most
NAME_SECONDS = 1.5  # and how long they may take in all: a slash command must be answered within 3 s


@dataclass(frozen=True)
class Place:
    """Where a question was asked."""

    guild_id: int | None
    channel_id: int | None
    parent_id: int | None = None  # the channel a thread belongs to
    known: bool = True  # False: a thread whose channel could not be found (nothing scoped may be quoted there)

    @property
    def thread_id(self) -> int | None:
        return self.channel_id if self.parent_id is not None else None


class Places:
    """Where an event happened, as far as the client can tell: a thread's channel, who may read a channel, and
    which channels the person a direct message is with may read.

    A thread the bot has not seen (a mention in it arrives with a ``PartialMessageable``)
    is fetched once, and its channel remembered.
    """

    def __init__(self, client: discord.Client, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.clock = clock
        self._parents: LRUCache[int, int | None] = LRUCache(maxsize=10_000)
        # (server, person): what Discord said, or is being asked, of their membership (None: not a member)
        self._members: TTLCache[tuple[int, int], asyncio.Future[discord.Member | None]] = TTLCache(
            MEMBERSHIPS, MEMBERSHIP_SECONDS, timer=lambda: self.clock())

    async def place(self, guild_id: int | None, channel: object, channel_id: int | None) -> Place:
        if guild_id is None or channel_id is None:
            return Place(guild_id, channel_id)
        if isinstance(channel, discord.Thread):
            return Place(guild_id, channel_id, channel.parent_id)
        if channel is not None and not isinstance(channel, discord.PartialMessageable):
            return Place(guild_id, channel_id)
        known = self.client.get_channel(channel_id)
        if known is not None and not isinstance(known, discord.PartialMessageable):
            return await self.place(guild_id, known, channel_id)
        if channel_id not in self._parents:
            try:
                fetched = await self.client.fetch_channel(channel_id)
            except (discord.HTTPException, discord.InvalidData) as exc:
                log.info("cannot find channel %s: %s", channel_id, exc)
                return Place(guild_id, channel_id, known=False)
            self._parents[channel_id] = fetched.parent_id if isinstance(fetched, discord.Thread) else None
        return Place(guild_id, channel_id, self._parents[channel_id])

    async def reads(self, user_id: int, guild_ids: Iterable[int]) -> Reads:
        """Which channels of these servers ``user_id`` may read: where they are a member (asked of Discord, which
        needs no privileged intent; the client's cache is trusted only with the members intent, which keeps it
        up to date; else what Discord said within ``MEMBERSHIP_SECONDS``) and their roles let them view the
        channel and read its history. A server Discord does not answer about counts as one they are not in."""
        members: dict[int, discord.Member] = {}
        for guild_id in set(guild_ids):
            guild = self.client.get_guild(guild_id)
            if guild is None or guild.unavailable:
                continue
            member = guild.get_member(user_id) if self.client.intents.members else None
            if member is None:
                member = await self._member(guild, user_id)
            if member is not None:
                members[guild_id] = member

        def reads(guild_id: int, channel_id: int) -> bool:
            member = members.get(guild_id)
            channel = member.guild.get_channel_or_thread(channel_id) if member is not None else None
            if member is None or channel is None:
                return False
            allowed = channel.permissions_for(member)
            return all(getattr(allowed, name) for name in _needed(channel))

        return reads

    async def names(self, guild: discord.Guild | None, user_ids: Iterable[int]) -> dict[int, str]:
        """The display names of these users (the first ``NAMES``), as a message that mentions them carries them: from
        the client's cache, else asked of Discord, which needs no privileged intent (a server's member, with their
        nickname, asked once for ``MEMBERSHIP_SECONDS``; else the user), within ``NAME_SECONDS`` in all. A user
        Discord does not name in time is left out."""
        names: dict[int, str] = {}

        async def name(user_id: int) -> None:
            found: discord.Member | discord.User | None = guild.get_member(user_id) if guild is not None else None
            if found is None and guild is not None:
                found = await self._member(guild, user_id)
            found = found or self.client.get_user(user_id)
            if found is None:
                try:
                    found = await self.client.fetch_user(user_id)
                except discord.HTTPException as exc:
                    log.info("cannot name a user a question mentions: %s", exc.text or exc.status)
                    return
            names[user_id] = found.display_name

        try:
            await asyncio.wait_for(asyncio.gather(*map(name, list(dict.fromkeys(user_ids))[:NAMES])), NAME_SECONDS)
        except TimeoutError:
            log.info("Discord took over %s s to name the users a question mentions: asked without them", NAME_SECONDS)
        return names

    async def _member(self, guild: discord.Guild, user_id: int) -> discord.Member | None:
        """``user_id`` as a member of ``guild``, as Discord said within ``MEMBERSHIP_SECONDS`` or says now (asked
        once however many wait); None where they are not one, or Discord does not say."""
        key = (guild.id, user_id)
        asked = self._members.get(key)
        if asked is None:
            asked = self._members[key] = asyncio.ensure_future(self._fetch(guild, user_id))
            # retrieved, so that a failure whose waiters all went is not logged as "never retrieved"
            asked.add_done_callback(lambda done: done.cancelled() or done.exception())
        return await asyncio.shield(asked)  # a waiter cancelled does not cancel the others' answer

    async def _fetch(self, guild: discord.Guild, user_id: int) -> discord.Member | None:
        try:
            return await guild.fetch_member(user_id)
        except discord.NotFound:
            return None  # not a member
        except discord.HTTPException as exc:
            self._members.pop((guild.id, user_id), None)  # Discord did not say: asked again next time
            log.info("cannot tell whether a member is in guild %s (%s): none of its history in their direct "
                     "messages", guild.id, exc.text or exc.status)
            return None
        except BaseException:
            self._members.pop((guild.id, user_id), None)
            raise

    def covers(self, guild_id: int, here: int | None) -> Callable[[int], bool]:
        """Whether everyone who may read channel ``here`` (None, or one the client does not know: every member of the
        server) may read a channel's history (the test returned, asked of each: ``here``'s readers and the roles are
        worked out once), from the server's roles and both channels' overwrites as the client's cache holds them now
        (``qabot.history.readers.covers``). A thread is read by its channel's readers; a private thread only in
        itself; a channel the client does not know (deleted, never seen) by nobody else."""
        return covering(self.client.get_guild(guild_id), here)


def covering(guild: discord.Guild | None, here: int | None) -> Callable[[int], bool]:
    """``Places.covers`` of a server the client holds (None: one it does not know, where only ``here`` covers
    itself; so is one in an outage, of which Discord may have told nothing: no roles, no channels)."""
    if guild is not None and guild.unavailable:
        guild = None
    place: Any = guild.get_channel_or_thread(here) if guild is not None and here is not None else None
    if isinstance(place, discord.Thread):
        place = place.parent
    server = _server(guild) if guild is not None else None
    readers_here = _access(place, _seeing(place)) if place is not None else None  # an answer here: who sees it
    decided: dict[int, bool] = {}  # by channel: its threads, and the answers of a channel, ask it once

    def covered(there: int) -> bool:
        target: Any = guild.get_channel_or_thread(there) if guild is not None else None
        if isinstance(target, discord.Thread):
            if target.type is discord.ChannelType.private_thread:
                return here == there
            target = target.parent
        if server is None or target is None:
            return here == there
        if target.id not in decided:
            decided[target.id] = readers.covers(server, readers_here, _access(target))
        return decided[target.id]

    return covered


def named(channel: Any) -> str:
    """A server's channel as the history's log names it: ``#name``, which its managers gave it; a thread or a forum
    post by its id alone, since its title is the words of the member who made it (or wrote the message it was
    started from), which ``/qabot forget`` takes back."""
    return f"thread {channel.id}" if isinstance(channel, discord.Thread) else f"#{getattr(channel, 'name', channel.id)}"


def logged(channel: Any) -> str:
    """A channel as the log names it: a direct message's id names one person, so it is not given."""
    in_a_server = getattr(channel, "guild", None) is not None or getattr(channel, "guild_id", None) is not None
    return f"channel {channel.id}" if in_a_server else "a direct message"


def _needed(channel: Any) -> tuple[str, ...]:
    """The permissions that reading ``channel``'s history takes."""
    return READ_VOICE if isinstance(channel, discord.VoiceChannel | discord.StageChannel) else READ


def needs(channel: Any) -> str:
    """What reading ``channel``'s history takes, as the log tells the bot's operator (and the README's words)."""
    names = [name.replace("_", " ").title() for name in _needed(channel)]  # "read_message_history": as Discord words it
    return ", ".join(names[:-1]) + " and " + names[-1]


def _seeing(channel: Any) -> tuple[str, ...]:
    """The permissions that seeing what is said in ``channel`` now takes (an answer, as it is sent): without Read
    Message History a member still sees it, live."""
    return tuple(name for name in _needed(channel) if name != "read_message_history")


def _names(perms: discord.Permissions, names: Iterable[str]) -> frozenset[str]:
    return frozenset(name for name in names if getattr(perms, name))


def _server(guild: discord.Guild) -> readers.Server:
    """What the server's roles allow server-wide, as far as reading goes."""
    return readers.Server(_names(guild.default_role.permissions, ROLE_PERMISSIONS), {
        role.id: _names(role.permissions, ROLE_PERMISSIONS) for role in guild.roles if not role.is_default()})


def _access(channel: Any, needed: tuple[str, ...] | None = None) -> readers.Access:
    """What reading ``channel``'s history takes (or ``needed``), and its overwrites (discord.py's ``overwrites``: a
    role or member the cache lacks is an ``Object`` of that type)."""
    needed = needed or _needed(channel)
    everyone, roles, members = readers.Overwrite(), {}, {}
    for target, overwrite in channel.overwrites.items():
        allow, deny = overwrite.pair()
        said = readers.Overwrite(_names(allow, needed), _names(deny, needed))
        if target.id == channel.guild.id:
            everyone = said
        elif isinstance(target, discord.Role) or getattr(target, "type", None) is discord.Role:
            roles[target.id] = said
        else:
            members[target.id] = said
    return readers.Access(needed, everyone, roles, members, age_restricted=channel.is_nsfw())
