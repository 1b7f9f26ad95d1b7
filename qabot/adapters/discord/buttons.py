"""The buttons under an answer: More sources, 👍 Helpful, 👎 Not helpful, and Post publicly.

They keep working after a restart. Their custom ids carry the answer's id
(``ids``), and the bot registers one ``DynamicItem`` class per kind at start-up
(``bot.add_dynamic_items``, discord.py's ``examples/views/dynamic_counter.py``). A
press is matched to its class by the custom id, whichever process sent the message
and whenever. A persistent ``View`` added with ``bot.add_view`` would need the same
fixed custom id on every message, which cannot say which answer a vote is for.

The view sent with an answer is only a layout: it is stopped before it is sent, so
discord.py keeps nothing per message (an answer sent every few seconds for months
would otherwise pile up views in memory). Every press arrives through the dynamic items.

- **More sources** shows the excerpts the answer did not, privately. After a restart, or
  once the index has changed (a message deleted or a member forgotten since), the answer
  is asked again, as the state database recorded it (question, history), with the scope
  in force where the button is pressed.
- **👍 / 👎** record the presser's vote (one per user per answer; pressing the other
  changes it), with a private reply.
- **Post publicly** (under a private "Ask qabot" answer) posts that answer in the channel,
  as a reply to the message it is about: only such an answer, and only under that message.

A custom id is user input: a client can send any. Every press passes the place's door
and ``Answering.recall``/``vote``, which use an answer only where it was asked; a
member's presses are limited; a custom id that matches but carries a number Discord
could not have made (a message id over 64 bits), or a ``qabot:`` id that none of the
three takes (``DamagedButton``), is answered with one line.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, TypeGuard

import discord

from qabot.adapters.discord import ids
from qabot.adapters.discord.answers import BUSY, MAX_K, Answered, Door
from qabot.adapters.discord.format import NO_MENTIONS, Reply, answer_embed, default_shown, more_embed, notice
from qabot.adapters.discord.limits import QueueFull
from qabot.adapters.discord.places import logged
from qabot.errors import QABotError
from qabot.feedback import HELPFUL, NOT_HELPFUL, Vote
from qabot.models import Answer, Excerpt

if TYPE_CHECKING:
    from qabot.adapters.discord.answers import Answering

log = logging.getLogger(__name__)

GONE = "I no longer have that answer. Please ask again."
APOLOGY = "Sorry, something went wrong while answering that. It has been logged."
CANNOT_POST = "I can't post in this channel."
POSTED = "Posted in the channel."
ASKED_ABOUT = "Someone asked me about this message."
BROKEN = "That button is not one of mine, or it is damaged."
SNOWFLAKE = 1 << 64  # Discord's ids are 64-bit
CANNOT_REPLY = 160002  # Discord's error: a reply without Read Message History
EXPIRED = (10062, 10015)  # Discord's errors: Unknown interaction (its callback), Unknown Webhook (its follow-ups)


def answer_view(answer_id: str | None, answer: Answer, shown: int, *, post_to: int | None = None) -> discord.ui.View:
    """The buttons of an answer, as a layout: More sources (when there are more), the votes, Post publicly."""
    view = discord.ui.View(timeout=None)
    if answer_id is not None:
        if answer.answered and len(answer.excerpts) > shown:
            view.add_item(discord.ui.Button(label="More sources", style=discord.ButtonStyle.secondary,
                                            custom_id=ids.more_id(answer_id, shown)))
        for helpful in (True, False):
            view.add_item(_vote_button(answer_id, helpful))
        if post_to is not None:
            view.add_item(discord.ui.Button(label="Post publicly", style=discord.ButtonStyle.primary,
                                            custom_id=ids.post_id(answer_id, post_to)))
    view.stop()  # a layout only: presses go to the dynamic items, and discord.py keeps nothing per message
    return view


def answer_reply(answered: Answered, shown: int, *, post_to: int | None = None) -> Reply:
    """What to send for ``answered``: the refusal, or the answer's embed and buttons."""
    if answered.answer is None:
        return Reply(content=answered.refusal or APOLOGY)
    view = answer_view(answered.answer_id, answered.answer, shown, post_to=post_to)
    return Reply(embed=answer_embed(answered.answer, shown), view=view)


def _vote_button(answer_id: str, helpful: bool) -> discord.ui.Button:
    return discord.ui.Button(label="Helpful" if helpful else "Not helpful", emoji="👍" if helpful else "👎",
                             style=discord.ButtonStyle.secondary, custom_id=ids.vote_id(answer_id, helpful))


def answering_of(interaction: discord.Interaction) -> Answering:
    return interaction.client.answering  # type: ignore[attr-defined]


def vote_text(vote: Vote | None, helpful: bool) -> str:
    what = "helpful" if helpful else "not helpful"
    if vote is None:
        return "I no longer have that answer, so I can't record a vote on it."
    if vote.previous is None:
        return f"Thanks! I've noted that this answer was {what}."
    if vote.changed:
        return f"Changed your vote: this answer was {what}."
    return f"You had already marked this answer as {what}."


async def say(interaction: discord.Interaction, text: str) -> None:
    """A private reply: the first response, or a follow-up once the interaction is answered."""
    if interaction.response.is_done():
        await interaction.followup.send(notice(text), ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(notice(text), ephemeral=True, allowed_mentions=NO_MENTIONS)


async def apologise(interaction: discord.Interaction) -> None:
    try:
        await say(interaction, APOLOGY)
    except discord.HTTPException as exc:
        log.warning("could not send the apology: %s", exc)


def expired(error: BaseException) -> TypeGuard[discord.NotFound]:
    """Whether Discord no longer knows the interaction: not answered within 3 s, or followed up after 15 min."""
    return isinstance(error, discord.NotFound) and error.code in EXPIRED


class _Pressed:
    """A button of an answer, rebuilt from its custom id when pressed; errors are logged and apologised for."""

    item: discord.ui.Button

    async def callback(self, interaction: discord.Interaction) -> None:
        answering = answering_of(interaction)
        try:
            too_fast = answering.pressing(interaction.user.id)
            if too_fast is not None:
                await say(interaction, too_fast)
                return
            if answering.asks_discord(interaction.guild_id):  # within Discord's 3 s, whatever Discord takes to say
                await interaction.response.defer()
            door = await answering.door(interaction.guild_id, interaction.channel, interaction.channel_id,
                                        interaction.user.id)
            await self.pressed(interaction, answering, door)
        except Exception as exc:
            if expired(exc):  # an apology would be refused as well
                log.warning("could not answer the %s button: the interaction expired (%s)", self.item.label, exc.text)
                return
            log.error("error in the %s button: %s", self.item.label, exc, exc_info=exc)
            await apologise(interaction)

    async def pressed(self, interaction: discord.Interaction, answering: Answering, door: Door) -> None:
        raise NotImplementedError


class VoteButton(_Pressed, discord.ui.DynamicItem[discord.ui.Button], template=ids.VOTE):
    def __init__(self, answer_id: str, helpful: bool) -> None:
        super().__init__(_vote_button(answer_id, helpful))
        self.answer_id = answer_id
        self.helpful = helpful

    @classmethod
    async def from_custom_id(cls, _interaction: discord.Interaction, _item: discord.ui.Button, match: Any
                             ) -> VoteButton:
        return cls(match["answer"], match["value"] == "up")

    async def pressed(self, interaction: discord.Interaction, answering: Answering, door: Door) -> None:
        try:
            vote = await answering.vote(self.answer_id, interaction.user.id, HELPFUL if self.helpful else NOT_HELPFUL,
                                        door)
        except QABotError as exc:
            log.warning("vote not recorded: %s", exc)
            await say(interaction, "Sorry, I can't record votes right now.")
            return
        await say(interaction, vote if isinstance(vote, str) else vote_text(vote, self.helpful))


class MoreButton(_Pressed, discord.ui.DynamicItem[discord.ui.Button], template=ids.MORE):
    def __init__(self, answer_id: str, shown: int) -> None:
        super().__init__(discord.ui.Button(label="More sources", style=discord.ButtonStyle.secondary,
                                           custom_id=ids.more_id(answer_id, shown)))
        self.answer_id = answer_id
        self.shown = shown

    @classmethod
    async def from_custom_id(cls, _interaction: discord.Interaction, _item: discord.ui.Button, match: Any
                             ) -> MoreButton:
        return cls(match["answer"], int(match["shown"]))

    async def pressed(self, interaction: discord.Interaction, answering: Answering, door: Door) -> None:
        if not 0 < self.shown <= MAX_K:
            log.info("a More sources button that has shown %s excerpts, more than an answer has", self.shown)
            await say(interaction, BROKEN)
            return
        answer = await _answer(interaction, answering, self.answer_id, door, ephemeral=True)
        if answer is None:
            return
        embed = more_embed(answer, self.shown, await _unseen(answering, self.answer_id, answer, self.shown))
        if interaction.response.is_done():
            await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)


class PostButton(_Pressed, discord.ui.DynamicItem[discord.ui.Button], template=ids.POST):
    def __init__(self, answer_id: str, message_id: int) -> None:
        super().__init__(discord.ui.Button(label="Post publicly", style=discord.ButtonStyle.primary,
                                           custom_id=ids.post_id(answer_id, message_id)))
        self.answer_id = answer_id
        self.message_id = message_id

    @classmethod
    async def from_custom_id(cls, _interaction: discord.Interaction, _item: discord.ui.Button, match: Any
                             ) -> PostButton:
        return cls(match["answer"], int(match["message"]))

    async def pressed(self, interaction: discord.Interaction, answering: Answering, door: Door) -> None:
        if not 0 < self.message_id < SNOWFLAKE:
            log.info("a Post publicly button with message id %s, which no Discord message has", self.message_id)
            await say(interaction, BROKEN)
            return
        # Before the answer is recalled (asked again, after a restart): a made-up press costs no model call.
        postable = await asyncio.to_thread(answering.posted.posts.postable, self.answer_id, self.message_id)
        if not postable:  # another answer (a public one's id is on its buttons), or another message: made up
            log.info("a Post publicly button naming an answer that was not asked about the message it names")
            await say(interaction, BROKEN if postable is not None else GONE)
            return
        answer = await _answer(interaction, answering, self.answer_id, door, ephemeral=False)
        channel = interaction.channel
        if answer is None or channel is None:
            return
        shown = default_shown(answering.settings.top_k)
        # Who pressed is not named: the post outlives their question (``/qabot forget`` takes that back).
        public = Reply(content=ASKED_ABOUT, embed=answer_embed(answer, shown),
                       view=answer_view(self.answer_id, answer, shown))
        reference = discord.MessageReference(message_id=self.message_id, channel_id=channel.id,
                                             guild_id=interaction.guild_id, fail_if_not_exists=False)
        if not interaction.response.is_done():  # a busy channel's message waits its turn, past Discord's 3 s
            await interaction.response.defer()
        try:
            sent = await send_reply(channel, reference, **public.kwargs())
        except discord.HTTPException as exc:
            log.info("could not post an answer in %s: %s", logged(channel), exc)
            await say(interaction, CANNOT_POST)
            return
        await answering.posted.record(sent, interaction.guild_id, self.answer_id, answer, shown)
        private = answer_view(self.answer_id, answer, shown)  # the same buttons, without this one
        await interaction.edit_original_response(content=POSTED, view=private)


async def send_reply(channel: Any, reference: discord.MessageReference, **kwargs: Any) -> discord.Message:
    """Send in ``channel`` as a reply to ``reference``; where the bot may not read the channel's history (which a reply
    needs, not a message), as a plain message."""
    try:
        return await channel.send(**kwargs, reference=reference)
    except discord.Forbidden as exc:
        if exc.code != CANNOT_REPLY:
            raise
        log.warning("cannot reply in %s without Read Message History: answered without a reply", logged(channel))
        return await channel.send(**kwargs)


async def _answer(interaction: discord.Interaction, answering: Answering, answer_id: str, door: Door, *,
                  ephemeral: bool) -> Answer | None:
    """The pressed button's answer as it may be shown here now (``Answering.now``: asked again, it may have waited in
    the queue while who may read what changed); when it must be asked again, the press is deferred first. None
    (having said why): unknown, asked elsewhere, not answered here, or the queue is full."""
    answer = answering.ready(answer_id, door)
    if answer is not None:
        return answering.now(answer, door)
    if door.refusal is None and not interaction.response.is_done():
        if ephemeral:
            await interaction.response.defer(ephemeral=True, thinking=True)
        else:
            await interaction.response.defer()
    try:
        found = await answering.recall(answer_id, door)
    except QueueFull:
        await say(interaction, BUSY)
        return None
    if found is None or isinstance(found, str):
        await say(interaction, found or GONE)
        return None
    return answering.now(found, door)


async def _unseen(answering: Answering, answer_id: str, answer: Answer, shown: int) -> list[Excerpt] | None:
    """The excerpts of ``answer`` (as it may be shown now: asked again, or less a channel turned private) that were not
    among the ``shown`` first ones the answer showed (``FeedbackStore.cited``), so that none slips past a More sources
    page where one shown has gone; None where the state database cannot say (numbered from ``shown`` then)."""
    try:
        seen = set((await asyncio.to_thread(answering.store.cited, answer_id))[:shown])
    except QABotError as exc:
        log.warning("cannot read the state database: %s", exc)
        return None
    return [e for e in answer.excerpts if (e.citation.source, e.citation.start, e.citation.end) not in seen] if seen \
        else None


class DamagedButton(discord.ui.DynamicItem[discord.ui.Button], template=ids.DAMAGED):
    """A press of a ``qabot:`` custom id that no button of the bot's has (damaged, or made up): one line back,
    where it would otherwise go unanswered ("This interaction failed")."""

    def __init__(self, custom_id: str) -> None:
        super().__init__(discord.ui.Button(label="?", custom_id=custom_id))

    @classmethod
    async def from_custom_id(cls, _interaction: discord.Interaction, item: discord.ui.Button, _match: Any
                             ) -> DamagedButton:
        return cls(item.custom_id or "qabot:")

    async def callback(self, interaction: discord.Interaction) -> None:
        log.info("a press of a damaged qabot button (%d characters)", len(self.custom_id))
        try:
            await say(interaction, answering_of(interaction).pressing(interaction.user.id) or BROKEN)
        except discord.HTTPException as exc:
            log.warning("could not answer a damaged button: %s", exc)


DYNAMIC_ITEMS = (VoteButton, MoreButton, PostButton, DamagedButton)
