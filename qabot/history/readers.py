"""Who may read a channel, from a server's roles and the channel's permission overwrites.

The privacy rule (``qabot.history.privacy``) quotes channel B's history in channel A when
everyone who may read A may read B (``covers``). Discord decides what a member may do in a
channel in this order (discord.py's ``GuildChannel.permissions_for``, Discord's "Permission
Hierarchy"): the server-wide permissions of @everyone and of the member's roles, OR-ed
(administrator: everything, whatever the overwrites); then the channel's @everyone
overwrite (its denials, then its grants); then the overwrites of the member's roles, OR-ed
(denials, then grants); then the member's own overwrite. Reading a channel's history takes
every permission of ``Access.needed`` (View Channel and Read Message History; a voice or
stage channel's chat, Connect too).

The bot does not know who holds which role (that takes the members intent, which it does
not ask for), so ``covers`` is asked of every combination of roles a member might hold: it
holds only when no combination lets a member read A and not B. A member named in either
channel's overwrites is asked about on their own, whatever roles they hold; an age-restricted
(NSFW) channel is read only by adults, so it is covered only by another age-restricted one.
Only what the roles' permissions and the overwrites say about reading counts, so the
combinations are few (at most 2**15 sets of those bits, however many roles there are).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ADMINISTRATOR = "administrator"
Perms = frozenset[str]  # permission names, as discord.py's ``Permissions`` attributes: "view_channel", ...


@dataclass(frozen=True)
class Overwrite:
    """A channel's overwrite for a role or a member: the permissions it grants and those it takes away."""

    allow: Perms = frozenset()
    deny: Perms = frozenset()


@dataclass(frozen=True)
class Access:
    """What reading a channel's history takes, and its overwrites (role and member ids; @everyone's apart)."""

    needed: tuple[str, ...]
    everyone: Overwrite = Overwrite()
    roles: Mapping[int, Overwrite] = field(default_factory=dict)
    members: Mapping[int, Overwrite] = field(default_factory=dict)
    age_restricted: bool = False


@dataclass(frozen=True)
class Server:
    """A server's roles: @everyone's server-wide permissions, and every other role's."""

    everyone: Perms
    roles: Mapping[int, Perms] = field(default_factory=dict)


def covers(server: Server, here: Access | None, there: Access) -> bool:
    """Whether everyone who may read ``here`` (None: every member of ``server``) may read ``there``."""
    if ADMINISTRATOR in server.everyone:
        return True
    if there.age_restricted and (here is None or not here.age_restricted):
        return False
    channels = (there,) if here is None else (here, there)
    bits = _Bits(channels)
    start = bits.of(server.everyone)
    # A member with an administrator role reads everything: never one who reads here and not there.
    overwritten = {role for channel in channels for role in channel.roles}  # the others bring their permissions alone
    held = {bits.of(perms, role if role in overwritten else None) for role, perms in server.roles.items()
            if ADMINISTRATOR not in perms}
    reachable = {start}
    for more in held - {0}:
        reachable |= {state | more for state in reachable}
    last = len(channels) - 1  # there's
    for member in {None, *(m for channel in channels for m in channel.members)}:
        for state in reachable:
            if (here is None or bits.reads(state, 0, member)) and not bits.reads(state, last, member):
                return False
    return True


class _Bits:
    """The facts about reading that a set of roles brings, as the bits of an int: for each permission, whether a
    role grants it server-wide, and whether a role's overwrite grants or denies it in each channel."""

    def __init__(self, channels: tuple[Access, ...]) -> None:
        self.channels = channels
        self._names = names = sorted({name for channel in channels for name in channel.needed})
        self._bit = {key: 1 << n for n, key in enumerate(
            [("base", name) for name in names] + [(kind, c, name) for c in range(len(channels))
                                                 for kind in ("allow", "deny") for name in names])}
        self._bases: dict[Perms, int] = {}  # by a role's permissions: a server's hundreds of roles hold a few sets

    def of(self, perms: Perms, role: int | None = None) -> int:
        state = self._bases.get(perms)
        if state is None:
            state = self._bases[perms] = sum(self._bit[("base", name)] for name in self._names if name in perms)
        if role is None:
            return state
        for c, channel in enumerate(self.channels):
            overwrite = channel.roles.get(role)
            if overwrite is not None:
                state |= sum(self._bit[("allow", c, name)] for name in channel.needed if name in overwrite.allow)
                state |= sum(self._bit[("deny", c, name)] for name in channel.needed if name in overwrite.deny)
        return state

    def reads(self, state: int, c: int, member: int | None) -> bool:
        """Whether a member whose roles bring ``state`` (and, for ``member``, their own overwrite) reads channel ``c``."""
        channel = self.channels[c]
        own = channel.members.get(member) if member is not None else None
        for name in channel.needed:
            may = bool(state & self._bit[("base", name)])
            may = (may and name not in channel.everyone.deny) or name in channel.everyone.allow
            may = (may and not state & self._bit[("deny", c, name)]) or bool(state & self._bit[("allow", c, name)])
            if own is not None:
                may = (may and name not in own.deny) or name in own.allow
            if not may:
                return False
        return True
