"""The server's own history, live: listed channels' messages, edits and deletions fed to ``qabot.history``.

``QABOT_DISCORD_HISTORY_CHANNEL_IDS`` lists text channels, forum channels and threads;
a listed channel's threads and a listed forum's posts are in too, archived ones included.
Reading messages that do not mention the bot needs the privileged Message Content intent
(``QABOT_DISCORD_MESSAGE_CONTENT=true``); without it nothing is indexed, and the bot says
so once, at start.

- **events**: a new message, an edit, a deletion (one or in bulk), a thread made, a thread
  or channel deleted, a thread renamed or retagged, a ✅ reaction from the asker (or taken
  back, where no mark of theirs stays: ``marks_of``), the bot removed from a server (its
  whole history goes, as a deleted channel's does: ``HistoryCog.leave``, which the bot
  calls): each becomes a ``Changes`` for ``History``. Bots' messages (the bot's own answers among them), webhooks'
  and system notices are never kept;
- **the feed** (``feed.Feed``): changes are batched and debounced, then applied in the history's own thread;
- **members** are kept as the state database's salted hash of their id (``FeedbackStore.user_hash``);
  only the display name a citation shows is kept in clear;
- **a forward** (``message_snapshots``) is kept as the forwarding message, its text being what
  it forwards (``qabot.corpus.chat``): quoted where the channel it was forwarded into may be,
  its mentions (and an embed's: a bot's, forwarded) shown as names the way ``clean_content``
  shows them (a member this server does not know, or one forgotten, as ``@someone``), and no
  reply to the message it forwards;
- **a thread started from a message** opens with Discord's placeholder for that message
  (type 21: no text, a reference to the message in the parent channel), which is never
  kept: the message itself is kept where it was posted, and the thread's conversation goes
  on from it there (``qabot.history.linking``); who wrote it (``ChannelRow.started_by``), for
  where that message is not kept, the backfill notes from the placeholder, and a thread made
  live from the message where discord.py holds it, else from Discord (one request).

Backfill (reading what was said before, from each channel's checkpoint) is ``backfill``'s.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import discord
from discord import MessageReferenceType, MessageType
from discord.ext import commands

from qabot.adapters.discord.feed import Feed
from qabot.adapters.discord.places import covering
from qabot.corpus.chat import (
    MARKS,
    UNNAMED,
    Bridges,
    ChatMessage,
    attachment,
    bridged_key,
    embed,
    field,
    shown,
    unnamed,
)
from qabot.errors import QABotError
from qabot.history import CHANNEL, FORUM_POST, PRIVATE_THREAD, THREAD, Changes, ChannelRow, History
from qabot.history.store import UNTITLED
from qabot.text import blank, first_line, fold

log = logging.getLogger(__name__)

PRIVATE_CHANNEL = "#private-channel"  # a channel mentioned that not all of a message's readers may see
CHAT_TYPES = (MessageType.default, MessageType.reply)
_NEWS = (discord.ChannelType.news, discord.ChannelType.news_thread)  # an announcement channel, and its threads
Key = Callable[[int | str], str]  # a member id (or a bridged name's key) to the salted hash the state database keeps
Mark = tuple[int, str | None, bool]  # as ``Changes.marks`` holds them
MARKERS = 25  # the users of a ✅ reaction read, to find whether the asker marked the answer
Forgotten = Callable[[int, str], bool]  # (guild id, member hash): whether they asked to be forgotten there
_MENTION = re.compile(r"<(@[!&]?|#)([0-9]{15,20})>")  # as discord.py's clean_content finds them
# What clean_content (discord.py's escape_mentions) puts after an "@" so that the text cannot ping: the history
# keeps the text as written (as an export has it), since nothing qabot sends can ping (AllowedMentions.none()),
# and a quote would otherwise show "@\u200beveryone".
_ESCAPED = re.compile("@\u200b(everyone|here|[!&]?[0-9]{17,20})")


def chat_kind(message: discord.Message) -> bool:
    """Whether a message is a member's chat message, the kind the history keeps where it says something: not a
    bot's, a webhook's (but a bridge's: ``bridging``) or a system notice (a pin, a join, a boost, a thread made, a
    call, AutoMod's)."""
    return message.type in CHAT_TYPES and (
        bridging(message) or (not message.author.bot and message.webhook_id is None))


def bridging(message: discord.Message) -> bool:
    """Whether a message is a webhook's that may bridge a person (``chat.Bridges``): posted as a webhook posts
    (discriminator 0000), not an app's answer to a command (through the app's own webhook, as the bot's answers
    are), nor a post followed from another server's channel."""
    return (message.webhook_id is not None and message.webhook_id != message.application_id
            and message.interaction_metadata is None and message.author.discriminator == "0000"
            and not message.flags.is_crossposted)


def kept_now(message: discord.Message, kept: ChatMessage, bridges: Bridges) -> list[ChatMessage]:
    """What to keep now of a chat message (``kept``, as ``chat_message`` made it): itself; a webhook's where the
    webhook bridges people, with those of it held before, else none (``Bridges.admit``)."""
    if message.webhook_id is None:
        return [kept]
    return bridges.admit(str(message.author.id), message.author.display_name, kept)


def chat_message(message: discord.Message, key: Key, forgotten: Forgotten | None = None) -> ChatMessage | None:
    """A Discord message as the history keeps it; None for what is never kept (bots, webhooks, notices, and a
    sticker alone, or a forward of one: nothing to quote). A ``forgotten`` member it mentions is not named."""
    if not chat_kind(message):
        return None
    sees = _sees(message)
    content = shown(_ESCAPED.sub(r"@\1", _unnamed_channels(message, message.clean_content, sees)))  # custom emoji,
    # dates, commands as Discord shows them
    guild_id = getattr(message.guild, "id", None)
    hidden = {user.id for user in message.mentions
              if forgotten is not None and guild_id is not None and forgotten(guild_id, key(user.id))}
    content = unnamed(content, (user.display_name for user in message.mentions if user.id in hidden))
    reference = message.reference
    forward = reference is not None and reference.type is MessageReferenceType.forward
    shared = message.message_snapshots if forward else []
    extras = [attachment(a.filename) for m in (message, *shared) for a in m.attachments]
    extras += [text for m in (message, *shared) for e in m.embeds  # a bot's embed, forwarded, may name members
               if (text := embed(*(_clean(v, message, key, forgotten, sees) if v else v for v in (
                   e.title, e.description, *(field(f.name, f.value) for f in e.fields), e.author.name,
                   e.footer.text))))]
    # A reply in this channel, or, in a thread started from a message, to that message (in the parent channel, under
    # the thread's id): the thread goes on from it (``qabot.history.linking``), as an export of the thread does.
    reply_to = (reference.message_id if reference is not None and not forward
                and message.channel.id in (reference.channel_id, reference.message_id) else None)
    author_key = key_of(message, key)
    kept = ChatMessage(
        id=str(message.id), author=_shown_name(message.author), author_key=author_key,
        date=message.created_at.isoformat(timespec="seconds"), content=content, extras=tuple(extras),
        reply_to=str(reply_to) if reply_to else None, names=frozenset({author_key}),
        mentions=frozenset(key(user.id) for user in message.mentions), bot=False,
        # The name each mention shows: forgetting that member takes it out, whatever they are called by then.
        mentioned_as=tuple(sorted({(key(user.id), user.display_name) for user in message.mentions
                                   if user.id not in hidden})),
        forwarded="\n".join(_clean(s.content, message, key, forgotten, sees) for s in shared if s.content.strip()),
    )
    return kept if kept.says_something else None


def key_of(message: discord.Message, key: Key) -> str:
    """Whose a message is, as the history keeps them: its author (``key``), or, a webhook's (a bridge's:
    ``chat_kind``), the person it was posted as, each name being one (``bridged_key``)."""
    found = key(message.author.id)
    return bridged_key(found, message.author.display_name, key) if message.webhook_id is not None else found


def _sees(message: discord.Message) -> Callable[[int], bool]:
    """Whether everyone who reads ``message`` may see a channel (``places.covering`` of its channel), worked out on
    first use: most messages mention none."""
    covered: Callable[[int], bool] | None = None

    def sees(channel_id: int) -> bool:
        nonlocal covered
        if covered is None:
            covered = covering(message.guild, message.channel.id)
        return covered(channel_id)

    return sees


def _unnamed_channels(message: discord.Message, content: str, sees: Callable[[int], bool]) -> str:
    """``clean_content`` with each channel it mentions that not everyone who reads the message may see written
    ``#private-channel``, not by its name: Discord shows such a mention as "No Access" to them, and a quote of the
    message goes only where its own readers are."""
    mentioned = set(message.raw_channel_mentions)
    guild = message.guild
    if not mentioned or guild is None:
        return content
    for channel_id in mentioned - {message.channel.id}:
        channel = guild.get_channel_or_thread(channel_id)
        if channel is not None and not sees(channel_id):
            content = re.sub(rf"#{re.escape(channel.name)}(?![\w-])", PRIVATE_CHANNEL, content)
    return content


def _shown_name(author: discord.abc.User) -> str:
    """The name a member is quoted and cited by: their display name, else (where it shows nothing: "ㅤ", a zero-width
    space) their username, as an export's author is (``discord_export``)."""
    return author.name if blank(author.display_name) else author.display_name


def _clean(text: str, message: discord.Message, key: Key, forgotten: Forgotten | None,
           sees: Callable[[int], bool]) -> str:
    """A forwarded text's or an embed's mentions as names, as ``Message.clean_content`` shows a message's own: a
    snapshot or an embed has no resolved mentions, so a member this server does not know (the forward may come
    from another), or one forgotten here, is ``@someone``, never an id; @everyone and @here stay as written
    (nothing qabot sends pings); a channel not all of the message's readers may see (``sees``) is
    ``#private-channel``.
    Custom emoji, dates and commands as Discord shows them (``shown``)."""
    guild = message.guild

    def named(match: re.Match[str]) -> str:
        kind, target = match[1], int(match[2])
        if kind == "#":
            channel = guild.get_channel_or_thread(target) if guild is not None else None
            if channel is None:
                return "#deleted-channel"
            return f"#{channel.name}" if sees(target) else PRIVATE_CHANNEL
        if kind == "@&":
            role = guild.get_role(target) if guild is not None else None
            return f"@{role.name}" if role is not None else "@deleted-role"
        member = guild.get_member(target) if guild is not None else None
        if member is None or (forgotten is not None and forgotten(guild.id, key(target))):
            return UNNAMED
        return f"@{member.display_name}"

    return shown(_MENTION.sub(named, text))


def channel_row(channel: Any, solved_tags: frozenset[str], key: Key) -> ChannelRow:
    """A text channel, thread or forum post as the history keeps it: its title is what citations show. A thread's
    name is the words of the member who made it (or of the message it was started from): its title without it is
    kept too, for when that member is forgotten (``HistoryStore.forget``)."""
    guild = channel.guild
    prefix = f"{guild.name} · " if guild is not None and guild.name else ""
    news = channel.type in _NEWS  # untangled as an export of it is (``qabot.corpus.discord_export``)
    if isinstance(channel, discord.Thread):
        parent = channel.parent
        tags = tuple(tag.name for tag in channel.applied_tags)
        kind = (FORUM_POST if isinstance(parent, discord.ForumChannel) else PRIVATE_THREAD
                if channel.type is discord.ChannelType.private_thread else THREAD)
        head, tail = f"{prefix}#{getattr(parent, 'name', channel.parent_id)} › ", f" [{', '.join(tags)}]" if tags else ""
        # The message it was started from, where the client holds it (heard since it started): Discord named the
        # thread after it, and its author may be forgotten (the backfill notes it from the thread's placeholder).
        starter = channel.starter_message if kind == THREAD else None
        return ChannelRow(channel.id, guild.id, channel.parent_id, kind, f"{head}{channel.name}{tail}", tags,
                          any(fold(tag) in solved_tags for tag in tags),
                          owner=key(channel.owner_id) if channel.owner_id else None, untitled=f"{head}{UNTITLED}{tail}",
                          announcements=news, started_by=key_of(starter, key) if starter is not None else None)
    return ChannelRow(channel.id, guild.id, None, CHANNEL, f"{prefix}#{channel.name}", announcements=news)


async def started_by(thread: discord.Thread, key: Key) -> str | None:
    """Who wrote the message a thread was started from (its id is the thread's), asked of Discord (a request): the
    thread's name is their words, and they may be forgotten (``HistoryStore.forget``). None where the thread was
    started from no message (a 404), or Discord does not say."""
    parent = thread.parent
    if parent is None or not hasattr(parent, "fetch_message"):
        return None
    try:
        return key_of(await parent.fetch_message(thread.id), key)
    except discord.HTTPException as exc:
        log.info("history: thread %s is taken as started from no message: %s", thread.id, exc)
        return None


class HistoryCog(commands.Cog, name="History"):
    """Gateway events of the listed channels, as changes to their history."""

    def __init__(self, history: History, feed: Feed, key: Key, listed: frozenset[int], solved_tags: frozenset[str],
                 *, read: Callable[[Any], None], bridges: Bridges, client: discord.Client) -> None:
        self.client = client
        self.history = history
        self.feed = feed
        self.key = key
        self.bridges = bridges  # the backfill's too
        self.listed = listed
        self.solved_tags = solved_tags
        self.read = read  # queues a channel's backfill (one the bot had not seen, met live)
        self._marking = asyncio.Lock()  # marks heard reach the feed in turn, a removal's after its look at Discord

    def tracked(self, channel: Any) -> bool:
        """Whether a channel's (or thread's) history is kept: it, or the channel a thread is in, is listed."""
        return channel is not None and (channel.id in self.listed or getattr(channel, "parent_id", None) in self.listed)

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        """A thread (or forum post) made now: nothing was said in it before, so it is read to its end already."""
        if self.tracked(thread) and self.history.row(thread.id) is None:
            row = channel_row(thread, self.solved_tags, self.key)
            if row.kind == THREAD and row.started_by is None:  # maybe named after a message discord.py does not hold
                row = replace(row, started_by=await started_by(thread, self.key))
            await self.feed.run(self.history.register, row)
            self.feed.submit(Changes(read={thread.id: (0, True)}))

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.guild is None or not self.tracked(message.channel):
            return
        kept = chat_message(message, self.key, self.history.forgotten)
        now = kept_now(message, kept, self.bridges) if kept is not None else []
        if not now:
            return
        if self.history.row(message.channel.id) is None:  # a thread made while the bot was away: read it all
            await self.feed.run(self.history.register, channel_row(message.channel, self.solved_tags, self.key))
            self.read(message.channel)
        self.feed.submit(Changes(put={message.channel.id: now}))

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        if self.history.row(payload.channel_id) is None:
            return
        kept = chat_message(payload.message, self.key, self.history.forgotten)
        if kept is not None:
            *held, edited = kept_now(payload.message, kept, self.bridges) or [None]
            if edited is not None:  # a bridge's message held until now is new (``Bridges.admit``)
                self.feed.submit(Changes(put={payload.channel_id: held} if held else {},
                                         edited={payload.channel_id: [edited]}))
        elif chat_kind(payload.message):  # its text edited away, a sticker left: its old text goes, as a deletion's
            self.bridges.drop({str(payload.message_id)})
            self.feed.submit(Changes(removed={payload.message_id}))

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        self.bridges.drop({str(payload.message_id)})
        if self.history.row(payload.channel_id) is not None:
            self.feed.submit(Changes(removed={payload.message_id}))

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        self.bridges.drop({str(gone) for gone in payload.message_ids})
        if self.history.row(payload.channel_id) is not None:
            self.feed.submit(Changes(removed=set(payload.message_ids)))

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        if self.history.row(payload.thread_id) is not None:
            self.feed.submit(Changes(dropped={payload.thread_id}))

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        gone = self.history.with_threads(channel.id)
        if gone:
            self.feed.submit(Changes(dropped=gone))

    def leave(self, guild_id: int) -> int:
        """The bot was removed from a server (``DiscordBot.on_guild_remove``): its history is no longer the bot's to
        keep, and leaves the state database and the index as a deleted channel's does; how many channels and
        threads went."""
        gone = {row.id for row in self.history.rows() if row.guild_id == guild_id}
        if gone:
            self.feed.submit(Changes(dropped=gone))
        return len(gone)

    @commands.Cog.listener()
    async def on_thread_update(self, _before: discord.Thread, after: discord.Thread) -> None:
        # A post renamed or retagged: its title or solved tag changed, and its exchanges show them. (A
        # channel renamed keeps its title on what was laid out before: all of it would be embedded again.)
        if self.history.row(after.id) is not None and await self.feed.run(
                self.history.register, channel_row(after, self.solved_tags, self.key)):
            self.feed.submit(Changes(relay={after.id}))

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        if payload.emoji.name in MARKS and self.history.row(payload.channel_id) is not None:
            async with self._marking:
                self.feed.submit(Changes(marks=[(payload.message_id, self.key(payload.user_id), True)]))

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        """The asker took their ✅ back: the message is no longer the answer they marked, unless another mark of theirs
        stays on it (✅ and ☑️: ``MARKS``), which Discord is asked; not where it is known to be no mark of theirs."""
        if payload.emoji.name in MARKS and self.history.row(payload.channel_id) is not None:
            by = self.key(payload.user_id)
            async with self._marking:
                if not await self._may_mark(payload.message_id, by):
                    return  # another member's ✅ (or the asker's on their own message): it marked nothing
                if not await self._marks_now(payload.channel_id, payload.message_id, payload.user_id):
                    self.feed.submit(Changes(marks=[(payload.message_id, by, False)]))

    @commands.Cog.listener()
    async def on_raw_reaction_clear(self, payload: discord.RawReactionClearEvent) -> None:
        """A moderator removed every reaction of a message (or, below, its ✅): the asker's mark went with them."""
        if self.history.row(payload.channel_id) is not None:
            async with self._marking:  # after the marks heard before it, some waiting for a look at Discord
                self.feed.submit(Changes(marks=[(payload.message_id, None, False)]))

    @commands.Cog.listener()
    async def on_raw_reaction_clear_emoji(self, payload: discord.RawReactionClearEmojiEvent) -> None:
        """... unless a reaction of another mark emoji stays: whoever left one marks it again (the asker's counts)."""
        if payload.emoji.name in MARKS and self.history.row(payload.channel_id) is not None:
            async with self._marking:
                left = await self._marks_now(payload.channel_id, payload.message_id)
                self.feed.submit(Changes(marks=[(payload.message_id, None, False), *left]))

    async def _may_mark(self, message_id: int, by: str) -> bool:
        """``HistoryStore.may_mark``; True where the state database cannot tell now (locked or damaged)."""
        try:
            return await asyncio.to_thread(self.history.store.may_mark, message_id, by)
        except QABotError as exc:
            log.info("history: whose mark message %s may be is not known: %s", message_id, first_line(exc))
            return True

    async def _marks_now(self, channel_id: int, message_id: int, user_id: int | None = None) -> list[Mark]:
        """The marks a message holds now (``marks_of``: by ``user_id`` alone, if given), asked of Discord: a request,
        and one for each mark emoji left on it. None where Discord does not say (a deleted message's)."""
        try:
            message = await self.client.get_partial_messageable(channel_id).fetch_message(message_id)
            return await marks_of(message, self.key, user_id)
        except discord.HTTPException as exc:
            log.info("history: the reactions left on message %s are not known: %s", message_id, exc)
            return []


async def marks_of(message: discord.Message, key: Key, user_id: int | None = None) -> list[Mark]:
    """Who marked ``message`` with a mark reaction (``MARKS``; the history keeps a mark only where it is its asker's):
    the first ``MARKERS`` users of each, or, with ``user_id``, that member alone where they did (a request each)."""
    out = []
    for reaction in message.reactions:
        if str(reaction.emoji) in MARKS:
            after = None if user_id is None else discord.Object(id=user_id - 1)  # Discord lists them by id
            async for user in reaction.users(limit=MARKERS if user_id is None else 1, after=after):
                if user_id in (None, user.id):
                    out.append((message.id, key(user.id), True))
    return out
