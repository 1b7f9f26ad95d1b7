"""``/qabot status``, ``/qabot reindex``, ``/qabot forget``, ``/qabot feedback``: seeing and running the bot.

The group is published with ``default_permissions`` Manage Server and for servers only,
so Discord shows it to server managers and nobody else; a server's admins can grant it
to other roles under Server Settings > Integrations. Every reply is private. A client
can still send the commands from anywhere: each refuses outside a server, and speaks
of this server alone.

- ``status``: the index (built when, files, documents, passages; this server's scope),
  the questions asked here today, the queue, uptime, and how far this server's history
  has been read;
- ``reindex``: brings the index in step with the corpus now (``QABot.refresh``: only
  changed documents are read and written), editing its reply with the progress; on a
  read-only replica it switches to the version its writer committed last;
- ``forget member:@x``: that member's messages leave the server's history (the state
  database and the index, at once), and none of theirs is kept there from now on; the
  questions they asked the bot there and in direct messages, those asked about their
  messages ("Ask qabot"), and others' there and in direct messages that name them, leave
  the state database (``qabot.feedback``), whether or not the server's history is kept (the reply counts the
  server's alone);
- ``forget-bridged person:x``: the same for a person a bridge (IRC, Matrix, PluralKit) posts for, who is no member:
  every message posted under that name, by any webhook, and from now on (``History.forget_bridged``);
- ``feedback``: this server's answers and votes (``qabot.feedback``), as ``qabot feedback``
  prints them; the unanswered questions it lists are those whose answers may be shown
  where it is used (``may_use``: where all its readers may read the channel it was asked in),
  as for the buttons.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from qabot.adapters.discord.answers import NOT_HERE, Answering, Door
from qabot.adapters.discord.buttons import apologise, expired, say
from qabot.adapters.discord.format import (
    ANSWER_COLOUR,
    DESCRIPTION_LIMIT,
    MESSAGE_LIMIT,
    NO_MENTIONS,
    clip,
    fit_embed,
    markdown,
    notice,
)
from qabot.adapters.discord.members import member_keys
from qabot.feedback import summarise, summary_text
from qabot.feedback.forgetting import bridged_person
from qabot.index import Outcome
from qabot.index.scope import is_chat_source
from qabot.scopes import describe

if TYPE_CHECKING:
    from qabot.bot import QABot

log = logging.getLogger(__name__)

T = TypeVar("T")

PROGRESS_SECONDS = 2.0  # between edits of the reindex reply (Discord allows 5 edits in 5 s)
SERVERS_ONLY = "The /qabot commands work in a server only."
NO_HISTORY = "I keep no history of this server, so I quote nothing {name} said here."
FORGOTTEN = ("Done: {count} message(s) of {name} are gone from what I quote in this server, and I won't keep "
             "their messages here from now on.")
ASKED = " The {asked} question(s) they asked me here are gone too, with the votes on my answers to them."


@app_commands.guild_only()
@app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)  # the tree's default adds DMs
@app_commands.default_permissions(manage_guild=True)
class AdminCog(commands.GroupCog, group_name="qabot", group_description="See and run qabot (server managers)."):
    """The ``/qabot`` group."""

    def __init__(self, bot: commands.Bot, answering: Answering) -> None:
        self.bot = bot
        self.answering = answering
        self.qa = answering.qa
        super().__init__()

    @app_commands.command(name="status", description="The index, today's questions, the queue and uptime.")
    async def status(self, interaction: discord.Interaction) -> None:
        if not await _in_a_server(interaction, self.answering):
            return
        door = await self.answering.door(interaction.guild_id, interaction.channel, interaction.channel_id,
                                         interaction.user.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        embed = await asyncio.to_thread(self._status, door)
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    def _status(self, door: Door) -> discord.Embed:
        guild_id = door.place.guild_id
        manifest = self.qa.manifest
        built = int(datetime.fromisoformat(manifest.built_at).timestamp())
        embed = discord.Embed(title="qabot status", colour=ANSWER_COLOUR)
        documents, passages = counted(self.qa, guild_id)
        embed.add_field(name="Index", inline=False, value=(
            f"built <t:{built}:R> (<t:{built}:f>)\n{manifest.indexed_files} file(s), {documents} "
            f"document(s), {passages} passages"))
        if door.refusal is not None:
            embed.add_field(name="In scope here", inline=False, value=clip(f"nothing: {door.refusal}", 1024))
        elif door.scope is not None:
            found = self.qa.sources(door.scope)
            embed.add_field(name="In scope here", inline=False, value=clip(
                f"{describe(door.scope)}: {len(found)} file(s), {sum(s.passages for s in found)} passages", 1024))
        midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
        total, answered = self.answering.store.count(since=midnight, guild_id=guild_id)
        embed.add_field(name="Today (UTC), this server", inline=False,
                        value=f"{total} question(s): {answered} answered, {total - answered} not found")
        gate, settings = self.answering.gate, self.answering.settings
        embed.add_field(name="Queue", inline=False, value=(
            f"{gate.running} being answered, {gate.waiting} waiting (at most {settings.discord_max_concurrent} "
            f"at once, {settings.discord_queue_limit} waiting)"))
        embed.add_field(name="Uptime", inline=False, value=duration(time.time() - self.answering.started))
        learning = getattr(self.bot, "learning", None)
        if learning is not None:
            embed.add_field(name="This server's history", inline=False, value=clip(learning.describe(guild_id), 1024))
        return fit_embed(embed)

    @app_commands.command(name="reindex", description="Bring the index in step with the documents now.")
    async def reindex(self, interaction: discord.Interaction) -> None:
        if not await _in_a_server(interaction, self.answering):
            return
        await interaction.response.send_message("Checking the documents for changes…", ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)
        started = time.monotonic()
        read = [0, 0]  # characters read, of all: written by the build's thread, read here

        def hear(done: int, total: int) -> None:
            read[:] = [done, total]

        async def report() -> None:
            while True:
                await asyncio.sleep(PROGRESS_SECONDS)
                done, total = read
                share = f"{done / total:.0%} of the documents read, " if total else ""
                with contextlib.suppress(discord.HTTPException):
                    await interaction.edit_original_response(
                        content=f"Re-indexing… {share}{time.monotonic() - started:.0f} s so far.")

        reporter = asyncio.create_task(report())
        try:
            result = await asyncio.to_thread(self.qa.refresh, hear)
        finally:
            reporter.cancel()
        m = self.qa.manifest
        seconds = time.monotonic() - started
        _, passages = await asyncio.to_thread(counted, self.qa, interaction.guild_id)
        if result.outcome is Outcome.UPDATED:
            text = (f"Index refreshed in {seconds:.1f} s: {m.indexed_files} file(s), {passages} passages "
                    f"({result.documents} document(s) written, {result.embedded} passage(s) embedded).")
        elif result.outcome is Outcome.FAILED:
            text = "The index could not be updated; the last good one keeps serving. The bot's log says why."
        else:
            text = f"The index is already up to date: {m.indexed_files} file(s), {passages} passages."
        try:
            await interaction.edit_original_response(content=text)
        except discord.NotFound as exc:
            if not expired(exc):
                raise
            log.warning("could not say how /qabot reindex went: the interaction expired (%s). %s", exc.text, text)

    @app_commands.command(name="forget", description="Remove a member's messages from what I learnt of this server.")
    @app_commands.describe(member="The member whose messages go, now and from now on")
    async def forget(self, interaction: discord.Interaction, member: discord.User) -> None:
        if not await _in_a_server(interaction, self.answering):
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert interaction.guild_id is not None
        history, count = self.answering.history, 0
        names = {member.display_name, member.name, member.global_name or ""}  # as mentions of them showed them
        if history is not None:
            keys = member_keys(self.answering.store, member.id)
            for key in keys:  # the names their kept messages show: one changed since names them in questions too
                names |= await self._in_history(history.names, key, interaction.guild_id)
            for key in keys:
                count += await self._in_history(history.forget, key, interaction.guild_id, names)
        asked = await self.answering.forget(interaction.guild_id, member.id, names)  # whether history is kept or not
        log.info("forgot %d message(s) and %d question(s) of a member in guild %s, at a manager's request", count,
                 asked, interaction.guild_id)
        await _say_forgotten(interaction, member.display_name, count, history is not None, asked)

    @app_commands.command(name="forget-bridged",
                          description="Remove what a bridge (IRC, Matrix, PluralKit) posted for one person.")
    @app_commands.describe(person="Their name, as the bridge posts their messages")
    async def forget_bridged(self, interaction: discord.Interaction, person: app_commands.Range[str, 1, 80]) -> None:
        if not await _in_a_server(interaction, self.answering):
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert interaction.guild_id is not None
        history, count, keys = self.answering.history, 0, []
        if history is not None:
            count, keys = await self._in_history(history.forget_bridged, interaction.guild_id, person)
        asked = await self.answering.forget(interaction.guild_id, bridged_person(person), {person}, keys)  # 0: none
        log.info("forgot %d message(s) of a bridged person in guild %s, at a manager's request", count,
                 interaction.guild_id)
        await _say_forgotten(interaction, person, count, history is not None, asked)

    async def _in_history(self, func: Callable[..., T], /, *args: Any) -> T:
        """``func(*args)``, which takes the history's lock (held for minutes while a batch is indexed on the real
        model), in the history's own thread, in line (``Feed.run``): not in a thread of asyncio's shared pool, which the
        rest of the bot works in (a vote, within the 3 s Discord gives a press)."""
        return await self.bot.learning.feed.run(func, *args)  # a ``DiscordBot`` keeps the history's learning

    @app_commands.command(name="feedback", description="This server's answers and votes.")
    async def feedback(self, interaction: discord.Interaction) -> None:
        if not await _in_a_server(interaction, self.answering):
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        store, guild_id = self.answering.store, interaction.guild_id
        door = await self.answering.door(guild_id, interaction.channel, interaction.channel_id, interaction.user.id)
        place = door.place
        # A question is listed only where its answer may be shown (``may_use``), decided on the event loop, where
        # the client's cache says who may read which channel.
        answers = await asyncio.to_thread(store.answers, guild_id=guild_id)
        usable = self.answering.usable_at(place)  # who may read what, worked out once for them all
        shown = {answer.id for answer in answers if usable(answer)}
        summary = await asyncio.to_thread(summarise, store, guild_id=guild_id, listed=lambda a: a.id in shown)
        text = clip(summary_text(summary), DESCRIPTION_LIMIT - 8).replace("```", "'''")
        embed = discord.Embed(title="Answers and votes in this server", colour=ANSWER_COLOUR,
                              description=f"```\n{text}\n```")
        embed.set_footer(text="qabot feedback export FILE turns the votes into questions for qabot eval")
        await interaction.followup.send(embed=fit_embed(embed), ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def cog_app_command_error(self, interaction: discord.Interaction,
                                    error: app_commands.AppCommandError) -> None:
        original = getattr(error, "original", error)
        command = interaction.command.qualified_name if interaction.command else "?"
        if expired(original):  # past 15 min (a long forget): an apology would be refused as well
            log.warning("could not answer /%s: the interaction expired (%s)", command, original.text)
            return
        log.error("error in /%s: %s", command, original, exc_info=original)
        await apologise(interaction)


async def _say_forgotten(interaction: discord.Interaction, name: str, count: int, kept: bool, asked: int) -> None:
    """The private reply to ``/qabot forget`` and ``forget-bridged``: how many messages of ``name`` went (or that no
    history is ``kept``), and how many questions they asked here."""
    shown = markdown(name, MESSAGE_LIMIT)  # a name may hold Markdown: shown as written
    text = FORGOTTEN.format(count=count, name=shown) if kept else NO_HISTORY.format(name=shown)
    await interaction.followup.send(notice(text + (ASKED.format(asked=asked) if asked else "")),
                                    ephemeral=True, allowed_mentions=NO_MENTIONS)


async def _in_a_server(interaction: discord.Interaction, answering: Answering) -> bool:
    """Whether the command came from a server qabot serves; else it says why not. (Its guild id is what keeps it to
    that server; a server outside ``QABOT_DISCORD_ALLOWED_GUILD_IDS`` may not see the index or rebuild it.)"""
    if interaction.guild_id is None:
        await say(interaction, SERVERS_ONLY)
        return False
    if not answering.serves(interaction.guild_id):
        await say(interaction, NOT_HERE)
        return False
    return True


def counted(qa: QABot, guild_id: int | None) -> tuple[int, int]:
    """The index's documents and passages as a server's managers are told of them: less another server's history,
    whose size grows with what its members say there, which is not this server's to follow."""
    here = [info for info in qa.sources() if not is_chat_source(info.source)
            or info.source.startswith(f"discord/{guild_id}/")]
    return sum(info.documents for info in here), sum(info.passages for info in here)


def duration(seconds: float) -> str:
    """'3 d 4 h', '2 h 5 min', '12 min', '40 s'."""
    seconds = int(seconds)
    days, hours, minutes = seconds // 86400, seconds // 3600 % 24, seconds // 60 % 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else f"{seconds} s"
