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
  direct message, arrives without the message-content intent. The privileged Message
  Content intent is asked for only with ``QABOT_DISCORD_MESSAGE_CONTENT=true``, which
  forum auto-answer needs;
- ``AllowedMentions.none()`` as the default of every message it sends;
- the cogs (``cog``: questions; ``admin``: the ``/qabot`` group), their commands and the
  "Ask qabot" menu already in ``bot.tree``; the setup hook attaches them, registers the
  answer buttons (``buttons``: dynamic items, so they work after a restart) and syncs
  the commands, to ``QABOT_DISCORD_GUILD_IDS`` (instant) or globally;
- what every question shares (``answers``): limits, scopes, the state database of
  answers and votes (``qabot.feedback``), metrics (``qabot.metrics``).

Formatting lives in ``format``; retrieval lives in the core, never here.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import signal
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
from discord.ext import commands

from qabot.adapters.discord.admin import AdminCog
from qabot.adapters.discord.answers import Answering
from qabot.adapters.discord.backfill import Reading
from qabot.adapters.discord.backfill import sync as read_all
from qabot.adapters.discord.buttons import DYNAMIC_ITEMS
from qabot.adapters.discord.cog import AskCog
from qabot.adapters.discord.format import NO_MENTIONS
from qabot.adapters.discord.learning import NO_CONTENT, Learning, history_wanted
from qabot.adapters.discord.members import member_key
from qabot.adapters.discord.places import Places
from qabot.adapters.discord.scoped import check_index, check_servers
from qabot.bot import QABot
from qabot.embedding import Embedder
from qabot.errors import QABotError, SettingsError
from qabot.feedback import FeedbackStore
from qabot.history import History, HistoryStore
from qabot.index.scope import is_chat_source
from qabot.metrics import Metrics
from qabot.scopes import Scopes, ScopesFile
from qabot.settings import Settings
from qabot.text import first_line

log = logging.getLogger(__name__)

# A bot token is three base64url parts: the bot's id, a timestamp, an HMAC. Only that shape is
# checked here; whether a token of that shape is good is Discord's to say (and it says so at login).
_PART = re.compile(r"[A-Za-z0-9_-]+")
PORTAL = "https://discord.com/developers/applications"
_URL_IDS = re.compile(r"/(channels|users|members)/\d+")
DRAIN_SECONDS = 15.0  # at close, how long answers under way may take to go out (systemd and compose allow 30 s)


class _NoIdsInUrls(logging.Filter):
    """discord.py warns (a level logged by default) of a request Discord rate-limited, naming its URL, whose
    ``/channels/<id>`` may be a direct message's: that id names one person as surely as their own (the state
    database keeps it only hashed). The log shows ``/channels/<id>`` instead, and ``/users/<id>`` likewise, and
    ``/members/<id>`` (a direct message's membership lookup, ``/guilds/<server>/members/<the asker>``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        unnamed = _URL_IDS.sub(r"/\1/<id>", message)
        if unnamed != message:
            record.msg, record.args = unnamed, ()
        return True


NO_IDS_IN_URLS = _NoIdsInUrls()


class DiscordBot(commands.AutoShardedBot, commands.Bot):
    """qabot's bot. An ``AutoShardedBot``; listing ``commands.Bot`` too changes no behaviour
    (``Bot`` only pairs ``BotBase`` with a client, and the sharded client comes first in the
    MRO) but keeps ``isinstance(bot, commands.Bot)`` true, as ``build_bot`` promises."""

    def __init__(self, qa: QABot, settings: Settings, *, store: FeedbackStore | None = None,
                 scopes: Scopes | ScopesFile | None = None, metrics: Metrics | None = None, **options: Any) -> None:
        sharding: dict[str, Any] = {}
        if settings.discord_shard_count is not None:
            sharding["shard_count"] = settings.discord_shard_count
            if settings.discord_shard_ids:
                sharding["shard_ids"] = list(settings.discord_shard_ids)
        store = store or FeedbackStore.from_settings(settings)
        history = History(qa, HistoryStore(store)) if history_wanted(settings, store) else None
        super().__init__(
            command_prefix=commands.when_mentioned,  # unused: there are no prefix commands (see on_message)
            help_command=None,
            intents=bot_intents(message_content=settings.discord_message_content, reactions=history is not None),
            allowed_mentions=NO_MENTIONS,
            # Installed by a server, used there or in a direct message with the bot: never installed by a member onto
            # their own account and used in a group DM or a server the bot is not in, where the door could not tell
            # who reads an answer (a group DM would be taken for the asker's own DM, and quote what they alone read).
            allowed_installs=discord.app_commands.AppInstallationType(guild=True, user=False),
            allowed_contexts=discord.app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=False),
            **sharding,
            **options,
        )
        self.qa = qa
        self.qa_settings = settings
        self._pruning: asyncio.Task[None] | None = None  # QABOT_STATE_RETENTION_DAYS, hourly (``setup_hook``)
        self.metrics = metrics or Metrics()
        self.metrics.watch_index(qa)
        self.answering = Answering(qa, settings, store=store,
                                   scopes=scopes if scopes is not None else ScopesFile(settings.discord_scopes_file),
                                   metrics=self.metrics, places=Places(self), history=history,
                                   chat_sources=any(is_chat_source(s.source) for s in qa.sources()))
        self.learning = Learning(self, history, settings, key=functools.partial(member_key, store),
                                 unquote=self.answering.unquote_history) if history is not None else None
        in_force = self.answering.scopes
        if in_force:  # scopes fail closed: say so once, at start
            log.log(logging.WARNING if in_force.closes_some else logging.INFO, "%s", in_force.summary())
        # The commands are in the tree from the start, so the bot build_bot returns is
        # complete before it connects; setup_hook then attaches the cogs' listeners.
        self.questions = AskCog(self, self.answering)
        self.admin = AdminCog(self, self.answering)
        for command in [*self.questions.commands_for_tree(), self.admin.app_command]:
            self.tree.add_command(command)
        if settings.discord_forum_channel_ids and not settings.discord_message_content:
            log.warning("QABOT_DISCORD_FORUM_CHANNEL_IDS is set but forum posts will not be answered: that needs "
                        "QABOT_DISCORD_MESSAGE_CONTENT=true and the Message Content intent in the developer portal")

    async def setup_hook(self) -> None:
        await self.add_cog(self.questions, override=True)
        await self.add_cog(self.admin, override=True)
        if self.learning is not None:
            await self.add_cog(self.learning.cog, override=True)
        self.add_dynamic_items(*DYNAMIC_ITEMS)  # answers' buttons, whenever they were sent
        await sync_commands(self, self.qa_settings.discord_guild_ids)
        if self.answering.store.retention_days is not None:
            self._pruning = asyncio.create_task(self._prune_hourly(), name="qabot-state-retention")

    async def _prune_hourly(self) -> None:
        """``QABOT_STATE_RETENTION_DAYS``: what passes it goes within the hour, whether or not anyone asks anything
        meanwhile (the store also prunes when it is used)."""
        store = self.answering.store
        while True:
            await asyncio.sleep(store.PRUNE_SECONDS)
            try:
                if store.exists():
                    await asyncio.to_thread(store.prune)
            except QABotError as exc:
                log.warning("could not delete the answers past QABOT_STATE_RETENTION_DAYS: %s", first_line(exc))

    async def close(self) -> None:
        # SIGTERM mid-answer: the answers under way go out first (a member would wait for one that never comes).
        if self.answering.gate.inside and not await self.answering.gate.drain(DRAIN_SECONDS):
            log.warning("closing with %d question(s) still unanswered after %.0f s", self.answering.gate.inside,
                        DRAIN_SECONDS)
        self.answering.gate.closing = True
        if self.learning is not None:
            await self.learning.stop()
        if self._pruning is not None:
            self._pruning.cancel()
        await self.answering.posted.settled()  # the edits of its posted answers under way, a few seconds at most
        await super().close()
        self.answering.store.close()

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: questions in messages are the cog's listener's job."""

    async def on_connect(self) -> None:
        """A new gateway session (READY), before anything of it is heard: the history reopens (``Learning.reconnected``)."""
        if self.learning is not None:
            self.learning.reconnected()

    async def on_ready(self) -> None:
        log.info("connected as %s (shards %s) to %d guild(s)", self.user, self.shard_ids, len(self.guilds))
        if self.answering.scopes:
            check_servers(self, self.answering.scopes)
        if self.learning is not None and not self.learning.started:
            await self._left_while_away()
            self.learning.start()  # a backfill from each channel's checkpoint
            for guild in self.guilds:  # who may read what may have changed while the bot was away
                await self.answering.posted.reread(guild)

    async def _left_while_away(self) -> None:
        """The servers whose history is kept that Discord no longer lists (READY lists every server of a shard, an
        unavailable one too): the bot was removed from them while it was not running, when no GUILD_DELETE could be
        heard. They are left as one heard live is. A server of another process's shards is not this one's to judge."""
        assert self.learning is not None
        here, count = {guild.id for guild in self.guilds}, self.shard_count or 1
        for guild_id in sorted({row.guild_id for row in self.learning.history.rows()} - here):
            if self.shard_ids is None or (guild_id >> 22) % count in self.shard_ids:
                log.info("guild %s no longer lists the bot: it was removed while away", guild_id)
                await self._leave(guild_id)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """The bot was removed from a server (kicked, or the server deleted): nothing of it is the bot's to keep.
        Its history leaves the state database and the index (``HistoryCog.leave``), and its stored answers go with
        their votes (``Answering.leave``). discord.py hears an outage (GUILD_DELETE with ``unavailable``) as
        ``on_guild_unavailable`` instead; that server comes back, and keeps all of it."""
        if not guild.unavailable:
            await self._leave(guild.id)

    async def _leave(self, guild_id: int) -> None:
        channels = self.learning.cog.leave(guild_id) if self.learning is not None else 0
        try:
            answers, votes, quotes = await self.answering.leave(guild_id)
        except QABotError as exc:  # the state database locked or damaged: the history goes all the same
            log.warning("left guild %s: its history (%d channel(s) and thread(s)) leaves the state database and the "
                        "index, but its stored answers could not be deleted: %s", guild_id, channels, first_line(exc))
            return
        log.info("left guild %s: its history (%d channel(s) and thread(s)) leaves the state database and the index; "
                 "%d stored answer(s) and %d vote(s) on them are deleted, and %d direct message answer(s) lose the "
                 "highlight that quoted it", guild_id, channels, answers, votes, quotes)

    async def on_guild_channel_update(self, before: Any, after: Any) -> None:
        """A channel's readers changed: the answers posted that quote what they may no longer all read are edited."""
        if before.overwrites != after.overwrites or before.is_nsfw() != after.is_nsfw():
            await self.answering.posted.reread(after.guild)

    async def on_guild_role_update(self, before: discord.Role, after: discord.Role) -> None:
        if before.permissions != after.permissions:
            await self.answering.posted.reread(after.guild)

    async def on_guild_role_create(self, role: discord.Role) -> None:  # made with permissions of its own
        await self.answering.posted.reread(role.guild)

    async def on_guild_role_delete(self, role: discord.Role) -> None:  # a role an overwrite denied reading gone
        await self.answering.posted.reread(role.guild)

    async def on_shard_ready(self, _shard_id: int) -> None:
        """A shard's new session (identified anew, not resumed) may have missed messages: a backfill reads on from
        the checkpoints. discord.py dispatches ``on_ready`` only once all shards are ready, so a bot of several
        shards hears of one shard's new session here alone."""
        if self.learning is not None and self.learning.started:
            self.learning.start()


def build_bot(qa: QABot, settings: Settings, *, store: FeedbackStore | None = None,
              scopes: Scopes | ScopesFile | None = None,
              metrics: Metrics | None = None, **options: Any) -> commands.Bot:
    """The configured Discord bot for ``qa``, not started: ``await bot.start(token)`` runs it.

    ``store`` (the state database), ``scopes`` and ``metrics`` default to what the
    settings describe. ``options`` go to discord.py's client as they are (tests shorten
    ``guild_ready_timeout``).
    """
    _quiet_discord()
    return DiscordBot(qa, settings, store=store, scopes=scopes, metrics=metrics, **options)


def _quiet_discord() -> None:
    """discord.py's log as qabot wants it, before any client is made (the bot's, or ``sync``'s)."""
    # qabot never joins voice channels: skip discord.py's warnings about missing voice libraries.
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
    logging.getLogger("discord.http").addFilter(NO_IDS_IN_URLS)  # once, however many clients are made


def bot_intents(*, message_content: bool = False, reactions: bool = False) -> discord.Intents:
    intents = discord.Intents.none()
    intents.guilds = True  # servers, channels and threads
    intents.guild_messages = True  # messages that mention the bot (their text needs no privileged intent)
    intents.dm_messages = True  # direct messages
    intents.message_content = message_content  # privileged: forum auto-answer and the server's history need it
    intents.guild_reactions = reactions  # the server's history: an asker's ✅ marks the answer
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
    """The token, checked for shape (three dot-separated parts of letters, digits, ``-`` and ``_``).

    A missing or malformed one is a ``SettingsError`` that says what is wrong with it and
    never shows it. Whether a token of the right shape is good is Discord's to say: one
    it rejects at login is reported as rejected (``serve``).
    """
    secret = settings.discord_token.get_secret_value().strip() if settings.discord_token else ""
    if not secret:
        raise SettingsError(f"QABOT_DISCORD_TOKEN is not set: create a bot at {PORTAL} and put its token in .env")
    if secret.lower().startswith("bot "):
        raise SettingsError("QABOT_DISCORD_TOKEN starts with 'Bot ': give the token alone")
    parts = secret.split(".")
    if len(parts) != 3:
        raise SettingsError(
            f"QABOT_DISCORD_TOKEN is malformed: a bot token has three parts separated by dots, this one has "
            f"{len(parts)}; copy it again from {PORTAL}, Bot > Reset Token"
        )
    if not all(_PART.fullmatch(part) for part in parts):
        raise SettingsError(
            "QABOT_DISCORD_TOKEN is malformed: it holds a space or a character no bot token has (letters, digits, "
            f"'-', '_' and two dots only); copy it again from {PORTAL}, Bot > Reset Token"
        )
    return secret


def run(settings: Settings, *, embedder: Embedder | None = None) -> None:
    """``qabot discord``: check the token, load or build the index, then serve until a signal."""
    token = bot_token(settings)
    qa: QABot | None = None
    bot: commands.Bot | None = None

    def changed(scopes: Scopes) -> None:
        if qa is not None:
            check_index(qa, scopes)
        if bot is not None and bot.is_ready():
            check_servers(bot, scopes)

    # A bad file stops here, before any slow work; later edits to it are followed.
    scopes = ScopesFile(settings.discord_scopes_file, on_change=changed)
    store = FeedbackStore.from_settings(settings)  # a state folder that is a file: here too
    metrics, server = Metrics(), None
    if settings.metrics_port is not None:  # a port in use stops here too; the index's figures come once it is loaded
        server = metrics.serve(settings.metrics_port, settings.metrics_address)
    try:
        # Watching is on unless QABOT_WATCH=false: an edit to the corpus is served within seconds.
        qa = QABot.from_settings(settings, embedder=embedder, watch=settings.watch is not False)
        try:
            check_index(qa, scopes.current())
            bot = build_bot(qa, settings, store=store, scopes=scopes, metrics=metrics)
            asyncio.run(serve(bot, token))
        finally:
            qa.close()
    finally:
        store.close()
        if server is not None:
            server.close()


def sync(settings: Settings, *, embedder: Embedder | None = None) -> Reading:
    """``qabot discord sync``: read every listed channel from its checkpoint into the index, then exit."""
    token = bot_token(settings)
    if settings.discord_history_channel_ids and not settings.discord_message_content:
        raise SettingsError(NO_CONTENT)
    store = FeedbackStore.from_settings(settings)  # a state folder or database it cannot use: before the index is
    with store.transaction():  # opened, which can take minutes
        pass
    qa = QABot.from_settings(settings, embedder=embedder, watch=False)
    try:
        async def main() -> Reading:
            _quiet_discord()
            client = discord.Client(intents=bot_intents(message_content=True, reactions=True))
            learning = Learning(client, History(qa, HistoryStore(store)), settings,
                                key=functools.partial(member_key, store))
            async with serve_errors():
                return await read_all(client, token, learning.backfill)

        return asyncio.run(main())
    finally:
        store.close()
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
        async with serve_errors(), bot:
            runner = asyncio.create_task(bot.start(token))
            stopper = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if stopper in done:
                log.info("signal received: closing the Discord connection")
                await bot.close()
            else:
                stopper.cancel()
            await runner
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


@contextlib.asynccontextmanager
async def serve_errors() -> AsyncIterator[None]:
    """Discord's refusals at login as one-line ``SettingsError``s that say what to do; Discord out of reach too."""
    try:
        yield
    except aiohttp.ClientConnectionError as exc:  # no network, no DNS, a proxy in the way: before any login
        raise QABotError(f"cannot reach Discord ({first_line(exc)}): check this machine's network") from None
    except discord.LoginFailure:
        raise SettingsError(f"Discord rejected QABOT_DISCORD_TOKEN: reset it at {PORTAL} (Bot > Reset Token)") from None
    except discord.PrivilegedIntentsRequired:
        raise SettingsError(
            "Discord refused the Message Content intent: turn it on at "
            f"{PORTAL} (Bot > Privileged Gateway Intents), or unset QABOT_DISCORD_MESSAGE_CONTENT"
        ) from None
