"""The Discord cog: ``/ask``, ``/sources``, ``/help``, mentions and direct messages.

Every question takes the same path, from a slash command or from a message:

1. **where**: the optional allow-lists of guilds and channels (a thread counts as its
   channel); direct messages unless ``QABOT_DISCORD_DMS`` is off;
2. **what**: not empty, and not longer than ``QABOT_DISCORD_MAX_QUESTION_CHARS``;
3. **who**: a per-user cooldown (discord.py's ``CooldownMapping``);
4. **when**: a place in the ``Gate``: at most ``QABOT_DISCORD_MAX_CONCURRENT`` questions
   are answered at once, in worker threads, and at most ``QABOT_DISCORD_QUEUE_LIMIT``
   wait; beyond that a question is refused politely. Retrieval never runs on the event
   loop, so the gateway heartbeat is never late;
5. **context**: in a thread, or in a reply to one of the bot's answers, the earlier
   questions of that conversation go to ``QABot.ask`` as ``history``;
6. **answer**: ``format`` builds the embed; everything is sent with
   ``AllowedMentions.none()``, so quoted text or an echoed question never pings anyone.

A refused slash command gets a private (ephemeral) reply; an accepted one defers at
once, before any retrieval, so Discord's 3-second window is never at risk. A refused
mention gets a short reply that deletes itself. Any error is logged and answered
with a short apology; the bot keeps running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass
from typing import Any

import discord
from discord import MessageType, app_commands
from discord.ext import commands

from qabot.adapters.discord.conversations import Conversations
from qabot.adapters.discord.format import (
    answer_embed,
    default_shown,
    help_embed,
    more_embed,
    notice,
    sources_embed,
)
from qabot.adapters.discord.limits import Cooldowns, Gate, QueueFull
from qabot.bot import QABot
from qabot.errors import QuestionError
from qabot.models import Answer
from qabot.settings import Settings

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
MAX_K = 10  # excerpts fetched per question: what an answer and its "More sources" can show
MORE_TIMEOUT = 14 * 60.0  # the button outlives neither the view nor the 15-minute interaction token
NOTICE_SECONDS = 20.0  # a refusal in a channel deletes itself after this

NOT_HERE = "I'm not enabled here."
EMPTY = "Ask me something after the mention, like “@{name} who killed Trotsky?”, or use `/ask`."
TOO_LONG = "That question is {length} characters long; I take up to {limit}. Could you shorten it?"
COOLDOWN = "One moment, please: you can ask again in {seconds} s."
BUSY = "I'm answering a lot of questions right now. Please ask again in a minute."
APOLOGY = "Sorry, something went wrong while answering that. It has been logged."


@dataclass(frozen=True)
class Place:
    """Where a question was asked."""

    guild_id: int | None
    channel_id: int | None
    parent_id: int | None = None  # the channel a thread belongs to

    @property
    def thread_id(self) -> int | None:
        return self.channel_id if self.parent_id is not None else None

    @classmethod
    def of(cls, guild_id: int | None, channel: object, channel_id: int | None) -> Place:
        parent = channel.parent_id if isinstance(channel, discord.Thread) else None
        return cls(guild_id, channel_id, parent)


@dataclass
class Reply:
    """What to send: a notice, or an answer embed with its optional button."""

    content: str | None = None
    embed: discord.Embed | None = None
    view: discord.ui.View | None = None

    def kwargs(self) -> dict[str, Any]:
        sent: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
        if self.content is not None:
            sent["content"] = notice(self.content)
        if self.embed is not None:
            sent["embed"] = self.embed
        if self.view is not None:
            sent["view"] = self.view
        return sent


class MoreSources(discord.ui.View):
    """The "More sources" button: the excerpts the answer did not show, privately to whoever presses it."""

    def __init__(self, answer: Answer, shown: int) -> None:
        super().__init__(timeout=MORE_TIMEOUT)
        self.answer = answer
        self.shown = shown
        self.message: discord.Message | None = None

    @discord.ui.button(label="More sources", style=discord.ButtonStyle.secondary)
    async def more(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        await interaction.response.send_message(
            embed=more_embed(self.answer, self.shown), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    async def on_timeout(self) -> None:
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=None)

    async def on_error(self, interaction: discord.Interaction, error: Exception, _item: discord.ui.Item) -> None:
        log.error("error in the More sources button: %s", error, exc_info=error)
        await _apologise(interaction)


class AskCog(commands.Cog, name="Questions"):
    """Questions from slash commands, mentions and direct messages, answered with cited excerpts."""

    def __init__(self, bot: commands.Bot, qa: QABot, settings: Settings) -> None:
        self.bot = bot
        self.qa = qa
        self.settings = settings
        self.gate = Gate(concurrent=settings.discord_max_concurrent, queue_limit=settings.discord_queue_limit)
        self.cooldowns = Cooldowns(settings.discord_cooldown_seconds)
        self.conversations = Conversations()

    # -- slash commands -------------------------------------------------------------------

    @app_commands.command(name="ask", description="Ask about the documents: I answer with the passage that answers.")
    @app_commands.describe(question="Your question", k=f"How many sources to show (1-{MAX_K})")
    async def ask(
        self, interaction: discord.Interaction, question: str, k: app_commands.Range[int, 1, MAX_K] | None = None
    ) -> None:
        place = Place.of(interaction.guild_id, interaction.channel, interaction.channel_id)
        if not self.allowed(place):
            await _private(interaction, NOT_HERE)
            return
        question = " ".join(question.split())
        refusal = self.refusal(interaction.user.id, question)
        if refusal is not None:
            await _private(interaction, refusal)
            return
        history = self.conversations.history(thread_id=place.thread_id)
        try:
            with self.gate.admit():
                await interaction.response.defer(thinking=True)
                answer, reply = await self.answer(question, history, k or default_shown(self.settings.top_k))
                sent = await interaction.followup.send(**reply.kwargs(), wait=True)
        except QueueFull:
            await _private(interaction, BUSY)
            return
        self._sent(reply, sent)
        if answer is not None:
            self.conversations.remember(question, history, thread_id=place.thread_id, message_ids=[sent.id])

    @app_commands.command(name="sources", description="List the documents I can quote from.")
    async def sources(self, interaction: discord.Interaction) -> None:
        if not self.allowed(Place.of(interaction.guild_id, interaction.channel, interaction.channel_id)):
            await _private(interaction, NOT_HERE)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await asyncio.to_thread(self.qa.sources)
        await interaction.followup.send(embed=sources_embed(found), ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="help", description="How to ask me questions.")
    async def help(self, interaction: discord.Interaction) -> None:
        embed = help_embed(
            max_chars=self.settings.discord_max_question_chars,
            cooldown=self.settings.discord_cooldown_seconds,
            max_k=MAX_K,
        )
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def cog_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        original = getattr(error, "original", error)
        command = interaction.command.name if interaction.command else "?"
        log.error("error in /%s: %s", command, original, exc_info=original)
        await _apologise(interaction)

    # -- mentions and direct messages -----------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if me is None or message.author.bot or message.type not in (MessageType.default, MessageType.reply):
            return
        place = Place.of(message.guild.id if message.guild else None, message.channel, message.channel.id)
        if place.guild_id is not None and not any(user.id == me.id for user in message.mentions):
            return
        if not self.allowed(place):
            return
        try:
            await self._answer_message(message, place, me)
        except Exception as exc:
            log.error("error answering message %s: %s", message.id, exc, exc_info=exc)
            await self._notice(message, APOLOGY)

    async def _answer_message(self, message: discord.Message, place: Place, me: discord.ClientUser) -> None:
        question = strip_mentions(message.content, me.id)
        if not question:
            await self._notice(message, EMPTY.format(name=me.display_name))
            return
        refusal = self.refusal(message.author.id, question)
        if refusal is not None:
            await self._notice(message, refusal)
            return
        reply_to = message.reference.message_id if message.reference else None
        history = self.conversations.history(thread_id=place.thread_id, reply_to=reply_to) or quoted_question(
            message, me.id
        )
        try:
            with self.gate.admit():
                answer, reply = await self.answer(question, history, default_shown(self.settings.top_k))
                sent = await message.channel.send(
                    **reply.kwargs(), reference=message.to_reference(fail_if_not_exists=False)
                )
        except QueueFull:
            await self._notice(message, BUSY)
            return
        self._sent(reply, sent)
        if answer is not None:
            self.conversations.remember(question, history, thread_id=place.thread_id, message_ids=[message.id, sent.id])

    async def _notice(self, message: discord.Message, text: str) -> None:
        """A short reply to a message, deleted after a while; a failure to send is only logged."""
        try:
            await message.channel.send(
                notice(text),
                reference=message.to_reference(fail_if_not_exists=False),
                allowed_mentions=NO_MENTIONS,
                delete_after=NOTICE_SECONDS,
            )
        except discord.HTTPException as exc:
            log.warning("could not reply to message %s: %s", message.id, exc)

    # -- the shared path ------------------------------------------------------------------

    def allowed(self, place: Place) -> bool:
        """Whether questions are answered here: the allow-lists, and direct messages."""
        settings = self.settings
        if place.guild_id is None:
            return settings.discord_dms
        if settings.discord_allowed_guild_ids and place.guild_id not in settings.discord_allowed_guild_ids:
            return False
        channels = settings.discord_allowed_channel_ids
        return not channels or place.channel_id in channels or place.parent_id in channels

    def refusal(self, user_id: int, question: str) -> str | None:
        """Why this question is not taken now (too long, too soon), or None. Takes the user's cooldown."""
        limit = self.settings.discord_max_question_chars
        if len(question) > limit:
            return TOO_LONG.format(length=len(question), limit=limit)
        wait = self.cooldowns.retry_after(user_id)
        if wait > 0:
            return COOLDOWN.format(seconds=max(1, round(wait)))
        return None

    async def answer(self, question: str, history: list[str], shown: int) -> tuple[Answer | None, Reply]:
        """Ask the core in a worker thread and format the result. Call inside ``gate.admit()``."""
        try:
            answer = await self.gate.run(self.qa.ask, question, k=MAX_K, history=history or None)
        except QuestionError as exc:  # empty or overlong by the core's own rules: the message says why
            return None, Reply(content=str(exc))
        view = MoreSources(answer, shown) if answer.answered and len(answer.excerpts) > shown else None
        return answer, Reply(embed=answer_embed(answer, shown), view=view)

    @staticmethod
    def _sent(reply: Reply, message: discord.Message) -> None:
        if isinstance(reply.view, MoreSources):
            reply.view.message = message


async def _private(interaction: discord.Interaction, text: str) -> None:
    """An ephemeral reply: the first response, or a follow-up once the interaction is answered."""
    if interaction.response.is_done():
        await interaction.followup.send(notice(text), ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(notice(text), ephemeral=True, allowed_mentions=NO_MENTIONS)


async def _apologise(interaction: discord.Interaction) -> None:
    try:
        await _private(interaction, APOLOGY)
    except discord.HTTPException as exc:
        log.warning("could not send the apology: %s", exc)


def strip_mentions(content: str, user_id: int) -> str:
    """The question in a message: without the mentions of the bot, on one line."""
    text = re.sub(rf"<@!?{user_id}>", " ", content)
    return " ".join(text.split()).lstrip(",:;- ").strip()


def quoted_question(message: discord.Message, user_id: int) -> list[str]:
    """The question of the bot's answer this message replies to, read from the answer's embed title.

    Used when the conversation is not in memory (the bot restarted since it answered).
    """
    replied = message.reference.resolved if message.reference else None
    if not isinstance(replied, discord.Message) or replied.author.id != user_id or not replied.embeds:
        return []
    title = replied.embeds[0].title or ""
    return [re.sub(r"\\(.)", r"\1", title)] if title else []


async def setup(bot: commands.Bot) -> None:
    """Extension entry point: ``bot`` carries ``qa`` (a QABot) and ``qa_settings``, as build_bot's bot does."""
    await bot.add_cog(AskCog(bot, bot.qa, bot.qa_settings))  # type: ignore[attr-defined]
