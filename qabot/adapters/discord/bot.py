"""``qabot discord``: the Discord front-end, from the token to a running, sharded bot.

``run(settings)`` does three things, in this order:

1. checks ``QABOT_DISCORD_TOKEN``: missing or malformed is a one-line ``SettingsError``
   before anything slow happens, and the token is never logged or echoed;
2. loads or builds the index (``QABot.from_settings``), so the bot connects only once
   it can answer;
3. builds the bot and connects; SIGINT (Ctrl-C) and SIGTERM close it cleanly.

``build_bot(qa, settings)`` returns the configured bot without starting it:

- discord.py's own sharding: an ``AutoShardedBot`` that asks Discord for the shard
  count, or runs ``QABOT_DISCORD_SHARD_IDS`` of ``QABOT_DISCORD_SHARD_COUNT`` shards so
  that several processes can share a large bot;
- only unprivileged intents: the text of a message that mentions the bot, and of a
  direct message, arrives without the message-content intent;
- ``AllowedMentions.none()`` as the default of every message it sends;
- the cog (``cog``: commands, mentions; ``limits``: the queue and cooldowns), its slash commands already in
  ``bot.tree``; the setup hook attaches it and syncs the commands, to
  ``QABOT_DISCORD_GUILD_IDS`` (instant) or globally.

Formatting lives in ``format``; retrieval lives in the core, never here.
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
from typing import Any

import discord
from discord.ext import commands

from qabot.adapters.discord.cog import NO_MENTIONS, AskCog
from qabot.bot import QABot
from qabot.embedding import Embedder
from qabot.errors import SettingsError
from qabot.settings import Settings

log = logging.getLogger(__name__)

# A bot token is three base64url parts: the bot's id, a timestamp, an HMAC.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{17,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}")
PORTAL = "https://discord.com/developers/applications"


class DiscordBot(commands.AutoShardedBot, commands.Bot):
    """qabot's bot. An ``AutoShardedBot``; listing ``commands.Bot`` too changes no behaviour
    (``Bot`` only pairs ``BotBase`` with a client, and the sharded client comes first in the
    MRO) but keeps ``isinstance(bot, commands.Bot)`` true, as ``build_bot`` promises."""

    def __init__(self, qa: QABot, settings: Settings, **options: Any) -> None:
        sharding: dict[str, Any] = {}
        if settings.discord_shard_count is not None:
            sharding["shard_count"] = settings.discord_shard_count
            if settings.discord_shard_ids:
                sharding["shard_ids"] = list(settings.discord_shard_ids)
        super().__init__(
            command_prefix=commands.when_mentioned,  # unused: there are no prefix commands (see on_message)
            help_command=None,
            intents=bot_intents(),
            allowed_mentions=NO_MENTIONS,
            **sharding,
            **options,
        )
        self.qa = qa
        self.qa_settings = settings
        # The slash commands are in the tree from the start, so the bot build_bot returns is
        # complete before it connects; setup_hook then attaches the cog's listeners.
        self.questions = AskCog(self, qa, settings)
        for command in self.questions.__cog_app_commands__:
            self.tree.add_command(command)

    async def setup_hook(self) -> None:
        await self.add_cog(self.questions, override=True)
        await sync_commands(self, self.qa_settings.discord_guild_ids)

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: questions in messages are the cog's listener's job."""

    async def on_ready(self) -> None:
        log.info("connected as %s (shards %s) to %d guild(s)", self.user, self.shard_ids, len(self.guilds))


def build_bot(qa: QABot, settings: Settings, **options: Any) -> commands.Bot:
    """The configured Discord bot for ``qa``, not started: ``await bot.start(token)`` runs it.

    ``options`` go to discord.py's client as they are (tests shorten ``guild_ready_timeout``).
    """
    # qabot never joins voice channels: skip discord.py's warnings about missing voice libraries.
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
    return DiscordBot(qa, settings, **options)


def bot_intents() -> discord.Intents:
    intents = discord.Intents.none()
    intents.guilds = True  # servers, channels and threads
    intents.guild_messages = True  # messages that mention the bot (their text needs no privileged intent)
    intents.dm_messages = True  # direct messages
    return intents


async def sync_commands(bot: commands.Bot, guild_ids: list[int]) -> None:
    """Publish the slash commands: to each guild in ``guild_ids`` (instant), or globally (up to an hour)."""
    if bot.application_id is None:  # not logged in (a test harness): nothing to sync with
        log.debug("not logged in; slash commands not synced")
        return
    targets = [discord.Object(id=guild_id) for guild_id in guild_ids] or [None]
    for guild in targets:
        try:
            if guild is not None:
                bot.tree.copy_global_to(guild=guild)
            synced = await bot.tree.sync(guild=guild)
        except discord.HTTPException as exc:
            where = f"guild {guild.id}" if guild is not None else "globally"
            log.warning(
                "could not sync slash commands %s (%s); was the bot invited with the "
                "'bot applications.commands' scopes?",
                where,
                exc,
            )
        else:
            log.info("synced %d slash command(s) %s", len(synced), f"to guild {guild.id}" if guild else "globally")


def bot_token(settings: Settings) -> str:
    """The token, checked for shape; a missing or malformed one is a ``SettingsError`` that never shows it."""
    secret = settings.discord_token.get_secret_value().strip() if settings.discord_token else ""
    if not secret:
        raise SettingsError(f"QABOT_DISCORD_TOKEN is not set: create a bot at {PORTAL} and put its token in .env")
    if secret.lower().startswith("bot "):
        raise SettingsError("QABOT_DISCORD_TOKEN starts with 'Bot ': give the token alone")
    if not _TOKEN.fullmatch(secret):
        raise SettingsError(
            "QABOT_DISCORD_TOKEN is malformed (a bot token has three dot-separated parts): "
            f"copy it again from {PORTAL}, Bot > Reset Token"
        )
    return secret


def run(settings: Settings, *, embedder: Embedder | None = None) -> None:
    """``qabot discord``: check the token, load or build the index, then serve until a signal."""
    token = bot_token(settings)
    # Watching is on unless QABOT_WATCH=false: an edit to the corpus is served within seconds.
    qa = QABot.from_settings(settings, embedder=embedder, watch=settings.watch is not False)
    try:
        asyncio.run(serve(build_bot(qa, settings), token))
    finally:
        qa.close()


async def serve(bot: commands.Bot, token: str) -> None:
    """Run ``bot`` until it stops or SIGINT/SIGTERM arrives, then close it cleanly."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
            pass
    try:
        async with bot:
            runner = asyncio.create_task(bot.start(token))
            stopper = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if stopper in done:
                log.info("signal received: closing the Discord connection")
                await bot.close()
            else:
                stopper.cancel()
            await runner
    except discord.LoginFailure:
        raise SettingsError(f"Discord rejected QABOT_DISCORD_TOKEN: reset it at {PORTAL} (Bot > Reset Token)") from None
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
