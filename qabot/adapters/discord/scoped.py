"""The scopes file checked against what it names: the index's documents, and the servers and channels on Discord.

A scopes file is typed by hand, and a slip fails closed or goes unseen: a pattern that names
no document quotes nothing of what it meant, a server id the bot is not in (or a channel's
id put under ``[guilds]``) leaves that server on the default, and a category's id under
``[channels]`` scopes none of its channels (scopes follow servers, channels and threads,
never categories). Each is one warning line, at start and at each edit of the file.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from qabot.index.scope import unmatched
from qabot.scopes import Scopes

if TYPE_CHECKING:
    from qabot.bot import QABot

log = logging.getLogger(__name__)


def check_index(qa: QABot, scopes: Scopes) -> None:
    """Warn about each scope pattern that names no indexed document (a typo would otherwise quote nothing of what it
    meant), once however many places list it, naming them."""
    places: dict[str, list[str]] = {}
    for where, patterns in scopes.all_patterns().items():
        for pattern in patterns or ():
            places.setdefault(pattern, []).append(where)
    for pattern in unmatched(places, (info.source for info in qa.sources())):
        where = places[pattern]
        named = ", ".join(where[:3]) + (f" and {len(where) - 3} more" if len(where) > 3 else "")
        log.warning("the scope pattern %r (%s) matches no indexed document", pattern, named)


def check_servers(client: discord.Client, scopes: Scopes) -> None:
    """Warn about each id the scopes file lists that is not what its table says, as far as this client can tell
    (its servers; with shards, only the servers of its own): a server it is not in, a channel's id under
    ``[guilds]``, a server's or a category's under ``[channels]``. A channel it does not know may be a thread
    (archived ones are not sent to it), so that is not warned about."""
    where = f"the scopes file {scopes.path}" if scopes.path else "the scopes"
    guilds = {guild.id: guild for guild in client.guilds}
    channels = {channel.id: channel for guild in client.guilds for channel in guild.channels}
    count, mine = client.shard_count or 1, set(getattr(client, "shard_ids", None) or range(client.shard_count or 1))
    for guild_id in scopes.guilds:
        if guild_id in guilds:
            continue
        if guild_id in channels:
            log.warning("%s lists channel %s under [guilds]: list it under [channels]", where, guild_id)
        elif (guild_id >> 22) % count in mine:
            log.warning("%s lists guild %s, a server the bot is not in (check the id: right-click the server, "
                        "Copy Server ID)", where, guild_id)
    for channel_id in scopes.channels:
        if channel_id in guilds:
            log.warning("%s lists server %s under [channels]: list it under [guilds]", where, channel_id)
        elif isinstance(channels.get(channel_id), discord.CategoryChannel):
            log.warning("%s lists category %s under [channels]: scopes do not follow categories, so none of its "
                        "channels takes it (list them, or their server)", where, channel_id)
