"""The Discord cog: ``/ask``, ``/sources``, ``/help``, mentions, direct messages, forum posts, "Ask qabot".

Every question takes the same path (``answers.Answering``): the allow-lists and the
place's scope, the length limit and the cooldown, a place in the bounded queue,
retrieval in a worker thread, the answer stored with an id its buttons carry. This
module only turns Discord events into questions and sends the replies:

- **/ask** defers at once, before any retrieval, so Discord's 3-second window is never
  at risk; a refusal is private (ephemeral);
- **a mention** or **a direct message** gets a reply; a refusal is a short reply that
  deletes itself;
- **context**: in a thread, or in a reply to one of the bot's answers, the earlier
  questions of that conversation go to ``QABot.ask`` as ``history``: from memory, or,
  after a restart, read back from Discord (``conversations``);
- **"Ask qabot"** (a message context-menu command) asks the right-clicked message's
  text (a forward's: what it forwards) and answers privately, with a button to post the answer
  publicly. The question is that message's author's words (a forward's: the forwarded message's author's,
  where the bot can read it: ``_author_of_words``), whom ``/qabot forget`` takes it out for; once they delete
  the message (or a moderator purges it), or edit it, the answers asked about it (before the edit) leave the
  state database and memory (``FeedbackStore.forget_messages``), whether or not the server's history is learnt,
  and the bot edits its answers posted in a server's channel that quoted a message deleted, or showed a question
  taken back (``posted``);
- **forum posts** (opt-in: ``QABOT_DISCORD_FORUM_CHANNEL_IDS`` and the Message Content
  intent) are answered in their thread without a mention.

Questions are cleaned of mentions first (``mentions``). Everything is sent with
``AllowedMentions.none()``, so quoted text or an echoed question never pings anyone.
Any error is logged and answered with a short apology; the bot keeps running.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
from cachetools import TTLCache
from discord import MessageType, app_commands
from discord.ext import commands

from qabot.adapters.discord.answers import NOT_HERE, Answered, Answering, Asked, Door
from qabot.adapters.discord.buttons import APOLOGY, answer_reply, apologise, expired, say, send_reply
from qabot.adapters.discord.conversations import read_thread, replied_history
from qabot.adapters.discord.format import NO_MENTIONS, clip, default_shown, help_embed, notice, sources_embed
from qabot.adapters.discord.kept import FORGETTING_SECONDS, FORGETTINGS
from qabot.adapters.discord.limits import QueueFull
from qabot.adapters.discord.mentions import clean_question, mentioned_users
from qabot.adapters.discord.places import Place, logged
from qabot.errors import QABotError
from qabot.feedback.forgetting import bridged_person
from qabot.scopes import describe
from qabot.text import first_line

log = logging.getLogger(__name__)

NOTICE_SECONDS = 20.0  # a refusal in a channel deletes itself after this

EMPTY = "Ask me something after the mention, like “@{name} who killed Trotsky?”, or use `/ask`."
# A mention of the role Discord made for the bot, without the Message Content intent: Discord may send its text blank
UNREAD = "I can't read a message that mentions my role: mention me (the app @{name}, not the role) or use `/ask`."
EMPTY_DM = "Ask me a question in words, like “who killed Trotsky?”."
EMPTY_SLASH = "Ask me a question in words, like `/ask question: Who killed Trotsky?`."
NO_TEXT = "That message has no text I can ask about."
MENU = "Ask qabot"
PERMISSIONS = "View Channels, Send Messages (in Threads), Embed Links and Read Message History"


class AskCog(commands.Cog, name="Questions"):
    """Questions from slash commands, mentions, direct messages, forum posts and the message menu."""

    def __init__(self, bot: commands.Bot, answering: Answering) -> None:
        self.bot = bot
        self.answering = answering
        self.qa = answering.qa
        self.settings = answering.settings
        self.menu = app_commands.ContextMenu(name=MENU, callback=self.ask_about_message)
        self.menu.error(self._menu_error)
        # Deletions and edits, as long (and as many) as forgettings are remembered (``kept``): for an "Ask qabot"
        # question about the message being answered meanwhile. Message id: when (inf: deleted).
        self._gone: TTLCache[int, float] = TTLCache(FORGETTINGS, FORGETTING_SECONDS)

    def commands_for_tree(self) -> list[app_commands.Command | app_commands.ContextMenu]:
        """Everything this cog puts in the command tree: its slash commands and the message menu."""
        return [*self.__cog_app_commands__, self.menu]

    # -- slash commands -------------------------------------------------------------------

    @app_commands.command(name="ask", description="Ask about the documents: I answer with the passage that answers.")
    @app_commands.describe(question="Your question", k="How many sources to show (1-10)")
    async def ask(
        self, interaction: discord.Interaction, question: str, k: app_commands.Range[int, 1, 10] | None = None
    ) -> None:
        taken = await self._taken(interaction, question, None, "slash", EMPTY_SLASH, ephemeral=False)
        if taken is None:
            return
        door, question = taken
        asked = Asked(question, interaction.user.id, door, "slash", [], k or default_shown(self.settings.top_k))
        try:
            with self.answering.gate.admit():
                if not interaction.response.is_done():
                    await interaction.response.defer(thinking=True)
                asked.history = await self.history(door.place, interaction.channel)
                answered = self.answering.sendable(await self.answering.answer(asked), door)  # what goes out
                sent = await interaction.followup.send(**answer_reply(answered, asked.shown).kwargs(), wait=True)
        except QueueFull:
            await say(interaction, self.answering.busy("slash"))
            return
        await self._finished(asked, answered, [sent.id], sent)

    @app_commands.command(name="sources", description="List the documents I can quote from.")
    async def sources(self, interaction: discord.Interaction) -> None:
        await self._early(interaction, ephemeral=True)
        door = await self.answering.door(interaction.guild_id, interaction.channel, interaction.channel_id,
                                         interaction.user.id)
        refusal = door.refusal or self.answering.refusal(interaction.user.id, "", None)  # it costs what a question does
        if refusal is not None:
            await say(interaction, refusal)
            return
        scope = door.scope
        try:
            with self.answering.gate.admit():
                if not interaction.response.is_done():
                    await interaction.response.defer(ephemeral=True, thinking=True)
                found = await self.answering.gate.run(self.qa.sources, scope)
        except QueueFull:
            await say(interaction, self.answering.busy(None))
            return
        embed = sources_embed(found)
        if scope is not None:
            whose = "this server" if door.place.guild_id is not None else "the servers you are in"
            embed.set_footer(text=clip(f"{embed.footer.text} · here: {describe(scope, whose=whose)}", 2048))
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="help", description="How to ask me questions.")
    async def help(self, interaction: discord.Interaction) -> None:
        embed = help_embed(max_chars=self.settings.discord_question_chars,
                           cooldown=self.settings.discord_cooldown_seconds, max_k=10)
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _taken(self, interaction: discord.Interaction, text: str, names: dict[int, str] | None, frontend: str,
                     empty: str, *, ephemeral: bool) -> tuple[Door, str] | None:
        """The door and the question, cleaned of mentions (``names``: the display names of the members it mentions;
        None: a slash command's text, whose are looked up), when the bot takes it here and now; else says why."""
        await self._early(interaction, ephemeral=ephemeral)
        door = await self.answering.door(interaction.guild_id, interaction.channel, interaction.channel_id,
                                         interaction.user.id)
        if door.refusal is not None:
            await say(interaction, door.refusal)
            return None
        if names is None:
            names = await self._known_names(interaction, text)
        question = clean_question(text, self._me().id, names)
        if frontend == "menu":  # someone else's message: not theirs to shorten, so cut as a long forum post is
            question = clip(question, self.settings.discord_question_chars)
        refusal = self.answering.refusal(interaction.user.id, question, frontend) if question else empty
        if refusal is not None:
            await say(interaction, refusal)
            return None
        return door, question

    async def _early(self, interaction: discord.Interaction, *, ephemeral: bool) -> None:
        """Defer now where the door asks Discord first (``Answering.asks_discord``): within Discord's 3 s."""
        if self.answering.asks_discord(interaction.guild_id):
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)

    async def cog_app_command_error(self, interaction: discord.Interaction,
                                    error: app_commands.AppCommandError) -> None:
        original = getattr(error, "original", error)
        command = interaction.command.name if interaction.command else "?"
        if command == "ask":
            self.answering.failed("slash")
        if expired(original):  # an apology would be refused as well
            log.warning("could not answer /%s: the interaction expired (%s)", command, original.text)
            return
        log.error("error in /%s: %s", command, original, exc_info=original)
        await apologise(interaction)

    # -- the message menu: "Ask qabot" ----------------------------------------------------

    async def ask_about_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Ask the right-clicked message's text; the answer is private, with a button to post it."""
        taken = await self._taken(interaction, *_text_of(message), "menu", NO_TEXT, ephemeral=True)
        if taken is None:
            return
        door, question = taken
        at = interaction.created_at.timestamp()  # Discord's clock, as an edit's time is
        asked = Asked(question, interaction.user.id, door, "menu", [], default_shown(self.settings.top_k),
                      message=message.id, about=message.author.id, at=at)
        try:
            with self.answering.gate.admit():
                if not interaction.response.is_done():
                    await interaction.response.defer(ephemeral=True, thinking=True)
                asked.about = await self._author_of_words(message)
                answered = await self.answering.answer(asked)
                gone = self._gone.get(message.id, 0.0)
                if gone > at:  # taken back since it was asked, perhaps before it was stored: those before go
                    await self._forget([message.id], None if gone == math.inf else gone)
                reply = answer_reply(self.answering.sendable(answered, door), asked.shown, post_to=message.id)
                await interaction.followup.send(**reply.kwargs(), ephemeral=True, wait=True)
        except QueueFull:
            await say(interaction, self.answering.busy("menu"))
            return
        self.answering.sent(asked, answered)

    async def _author_of_words(self, message: discord.Message) -> int | str:
        """Who wrote the text "Ask qabot" asks about ``message`` (``_text_of``), for ``/qabot forget``: its author; for a
        forward, the author of the message it forwards. A snapshot names no author, but the forward's reference
        names the message: found in the client's cache, or fetched from its channel where the bot can read it (in a
        server it is in). Where it cannot (deleted since, or out of the bot's reach), the forwarder's. A bridge's
        (a webhook's) is the person it posts for, by name (``bridged_person``: for ``/qabot forget-bridged``)."""
        reference = message.reference
        if message.content or not message.message_snapshots or reference is None or reference.message_id is None \
                or reference.type is not discord.MessageReferenceType.forward:
            return _author(message)
        original = reference.cached_message
        channel = self.bot.get_channel(reference.channel_id)
        if original is None and isinstance(channel, discord.abc.Messageable):
            try:
                original = await channel.fetch_message(reference.message_id)
            except (discord.HTTPException, discord.InvalidData) as exc:
                log.info("cannot read the message a forward in %s forwards (%s): its question is the forwarder's",
                         logged(message.channel), exc)
        return _author(original if original is not None else message)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        await self.taken_back([payload.message_id])

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        await self.taken_back(payload.message_ids)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        edited = payload.message.edited_at  # the same as before when Discord sends it anew unedited (a thread, embeds)
        if edited is not None:
            await self.taken_back([payload.message_id], edited=edited.timestamp())

    async def taken_back(self, message_ids: Iterable[int], *, edited: float | None = None) -> None:
        """Messages deleted (or one edited at ``edited``): the answers asked about them (before the edit) go from the
        state database, with their votes, and from memory. The raw events need no message cache, nor the server's
        history: a deletion's id, and an edited message's time, come without the Message Content intent."""
        message_ids = list(message_ids)
        for message_id in message_ids:  # a question about it may be on its way to the store (ask_about_message)
            self._gone[message_id] = edited if edited is not None else math.inf
        if edited is None:  # the bot's answers that quoted them, edited (in the background)
            self.answering.posted.deleted(message_ids)
        await self._forget(message_ids, edited)

    async def _forget(self, message_ids: list[int], edited: float | None = None) -> None:
        try:
            gone = await asyncio.to_thread(self.answering.store.forget_messages, message_ids, edited=edited)
        except QABotError as exc:  # locked or damaged: logged, as an answer that cannot be stored is
            log.warning("could not take the questions asked about a message deleted or edited out of the state "
                        "database: %s", first_line(exc))
            return
        self.answering.dropped(gone)

    async def _menu_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        original = getattr(error, "original", error)
        self.answering.failed("menu")
        if expired(original):
            log.warning("could not answer the %r menu: the interaction expired (%s)", MENU, original.text)
            return
        log.error("error in the %r menu: %s", MENU, original, exc_info=original)
        await apologise(interaction)

    # -- mentions, direct messages and forum posts ----------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if me is None or message.author.bot or message.type not in (MessageType.default, MessageType.reply):
            return
        guild_id = message.guild.id if message.guild else None
        mentioned = _addressed(message, me.id)
        may_be_a_post = self._forums_on() and message.id == message.channel.id  # a post's first message: its id
        if guild_id is not None and not mentioned and not may_be_a_post:
            return
        door = await self.answering.door(guild_id, message.channel, message.channel.id, message.author.id)
        forum = may_be_a_post and door.place.parent_id in self.settings.discord_forum_channel_ids
        if guild_id is not None and not mentioned and not forum:
            return
        frontend = "forum" if forum else "mention" if guild_id is not None else "dm"
        if door.refusal is not None:
            if door.refusal != NOT_HERE and not forum:  # an allow-list keeps the bot quiet; a scope says so
                await self._notice(message, door.refusal)
            return
        try:
            await self._answer_message(message, door, me, frontend)
        except discord.Forbidden as exc:  # the bot's permissions there: an apology would be refused as well
            log.warning("cannot answer in %s: Discord refused (%s); the bot needs %s there",
                        logged(message.channel), exc.text or exc.status, PERMISSIONS)
            self.answering.failed(frontend)
        except Exception as exc:
            log.error("error answering message %s: %s", message.id, exc, exc_info=exc)
            self.answering.failed(frontend)
            await self._notice(message, APOLOGY)

    def _forums_on(self) -> bool:
        """Whether forum posts are answered (they need the content intent)."""
        return self.settings.discord_message_content and bool(self.settings.discord_forum_channel_ids)

    async def _answer_message(self, message: discord.Message, door: Door, me: discord.ClientUser,
                              frontend: str) -> None:
        names = {m.id: m.display_name for m in message.mentions}
        if frontend == "forum":  # the post's title is part of the question; a long post is cut, not refused
            text = f"{getattr(message.channel, 'name', '')}\n{message.content}"
            question = clip(clean_question(text, me.id, names), self.settings.discord_question_chars)
        else:
            question = clean_question(message.content, me.id, names)
        if not question:
            if frontend != "forum":  # no text, not even the mention: one of the bot's role, whose text Discord withheld
                withheld = frontend == "mention" and not message.content and not _addressed(message, me.id,
                                                                                              roles=False)
                empty = EMPTY_DM if frontend == "dm" else UNREAD if withheld else EMPTY  # a DM needs no mention
                await self._notice(message, empty.format(name=me.display_name))
            return
        refusal = self.answering.refusal(message.author.id, question, frontend, cooldown=frontend != "forum")
        if refusal is not None:
            await self._notice(message, refusal)
            return
        # A mention's, a DM's or a forum post's words are its author's: deleted (or edited: not a post, whose edits are
        # routine, tags and "[SOLVED]"), the question is taken back (``taken_back``)
        at = (message.edited_at or message.created_at).timestamp()
        asked = Asked(question, message.author.id, door, frontend, [], default_shown(self.settings.top_k),
                      message=message.id, at=at)
        try:
            with self.answering.gate.admit():
                if frontend != "forum":
                    asked.history = await self.history(door.place, message.channel, message)
                answered = self.answering.sendable(await self.answering.answer(asked), door)  # what goes out
                sent = await _reply(message, **answer_reply(answered, asked.shown).kwargs())
        except QueueFull:
            await self._notice(message, self.answering.busy(frontend))
            return
        await self._finished(asked, answered, [message.id, sent.id], sent)
        gone = self._gone.get(message.id, 0.0)
        if asked.message is not None and gone > at:  # taken back while answered, perhaps before it was stored
            await self._forget([message.id], None if gone == math.inf else gone)

    async def _notice(self, message: discord.Message, text: str) -> None:
        """A short reply to a message, deleted after a while: at most one per member at a time, and rarely per
        channel (``Notices``), so notices never hold up answers. A failure to send is only logged."""
        if not self.answering.notices.allow(message.author.id, message.channel.id):
            return
        try:
            await _reply(message, content=notice(text), allowed_mentions=NO_MENTIONS, delete_after=NOTICE_SECONDS)
        except discord.HTTPException as exc:
            log.warning("could not reply to message %s: %s", message.id, exc)

    # -- the shared path ------------------------------------------------------------------

    async def history(self, place: Place, channel: Any, message: discord.Message | None = None) -> list[str]:
        """The earlier questions of this conversation: from memory, else read back from Discord."""
        reply_to = message.reference.message_id if message is not None and message.reference else None
        remembered = self.answering.conversations.history(thread_id=place.thread_id, reply_to=reply_to)
        if remembered is not None:
            return remembered
        me = self._me()
        lookup = functools.partial(self.answering.stored, place=place)  # answers asked elsewhere are not history
        if reply_to is not None:
            chain = await replied_history(message, me.id, lookup=lookup)  # type: ignore[arg-type]
            if chain:
                return chain
        if place.thread_id is not None and channel is not None:
            since = datetime.now(UTC) - timedelta(hours=self.settings.discord_history_hours)
            return await read_thread(channel, me.id, since=since, lookup=lookup, before=message)
        return []

    async def _finished(self, asked: Asked, answered: Answered, message_ids: list[int], sent: discord.Message
                        ) -> None:
        self.answering.sent(asked, answered)
        if answered.answer is not None:
            self.answering.conversations.remember(asked.question, asked.history, guild_id=asked.place.guild_id,
                                                  thread_id=asked.place.thread_id, message_ids=message_ids)
        if answered.answer is not None and answered.answer_id is None:  # its asker forgotten meanwhile: not history
            self.answering.conversations.forget([asked.question])
        if answered.answer is not None:  # what it shows, to edit should any of it be taken back
            await self.answering.posted.record(sent, asked.place.guild_id, answered.answer_id, answered.answer,
                                               asked.shown)

    async def _known_names(self, interaction: discord.Interaction, question: str) -> dict[int, str]:
        """Display names of the users a slash question mentions, as a message mentioning them carries them: a slash
        command's text brings none, so from the client's cache or Discord (``Places.names``: no members intent)."""
        return await self.answering.places.names(interaction.guild, mentioned_users(question, self._me().id))

    def _me(self) -> discord.ClientUser:
        assert self.bot.user is not None  # commands and messages arrive only once logged in
        return self.bot.user


async def _reply(message: discord.Message, **kwargs: Any) -> discord.Message:
    """Send in ``message``'s channel as a reply to it (``send_reply``: a plain message where a reply is refused)."""
    return await send_reply(message.channel, message.to_reference(fail_if_not_exists=False), **kwargs)


def _addressed(message: discord.Message, bot_id: int, *, roles: bool = True) -> bool:
    """Whether a message mentions the bot: itself (a reply that pings it too), or (with ``roles``) the role Discord
    made for it (``Role.tags.bot_id``), which Discord's mention picker offers beside it under the same name."""
    return any(user.id == bot_id for user in message.mentions) or roles and any(
        role.tags is not None and role.tags.bot_id == bot_id for role in message.role_mentions)


def _author(message: discord.Message) -> int | str:
    """A message's author as "Ask qabot" records them: a member's id, or the person a bridge posts for."""
    return bridged_person(message.author.display_name) if message.webhook_id is not None else message.author.id


def _text_of(message: discord.Message) -> tuple[str, dict[int, str]]:
    """A message's text and the display names of the members it mentions. A forward has no text of its own: its
    text is what it forwards (``message_snapshots``), whose mentions are named where this server knows them."""
    if message.content or not message.message_snapshots:
        return message.content, {m.id: m.display_name for m in message.mentions}
    guild = message.guild
    names = {user_id: member.display_name for shot in message.message_snapshots for user_id in shot.raw_mentions
             if guild is not None and (member := guild.get_member(user_id)) is not None}
    return "\n".join(shot.content for shot in message.message_snapshots), names


async def setup(bot: commands.Bot) -> None:
    """Extension entry point: ``bot`` carries ``answering``, as build_bot's bot does."""
    cog = AskCog(bot, bot.answering)  # type: ignore[attr-defined]
    await bot.add_cog(cog)
    bot.tree.add_command(cog.menu)
