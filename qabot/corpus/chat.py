"""A chat laid out as documents: one document per exchange, a question and the messages that answer it.

Both ways a Discord chat reaches qabot go through here: a DiscordChatExporter export
(``qabot.corpus.discord_export``) and a live channel, thread or forum post
(``qabot.history``). Each gives the channel (``ChatChannel``) and its messages
(``ChatMessage``: id, author, a stable key for the author, time, text, reply target,
mentions); the conversations are untangled (``qabot.corpus.conversations``), and each
exchange becomes one small document:

- its id is ``<channel id>-<first message id>`` (a long exchange is cut into parts of
  ``MAX_MESSAGES``, the later ones ``...-2``, ``...-3``), its title the channel's;
- each message is one paragraph, ``"<display name>: <text>"``, with its author, its date
  (ISO 8601 in UTC, when it was sent: ``utc``), its jump link
  (``https://discord.com/channels/<guild>/<channel>/<message>``), its role in the
  exchange (``asks``, ``answers``, ``accepted``) and its number: its place in the channel.

So a new message changes one small document, not a channel's, and a passage or an excerpt
never mixes two conversations.

**Forwarded messages.** Discord's forward puts the text it forwards in a snapshot, not in
the message's own text: an export's ``forwardedMessage``, a live message's
``message_snapshots``. That text is the forwarding message's (``ChatMessage.forwarded``):
its paragraph is ``"<who forwarded it>: <what they wrote> (forwarded) <the forwarded
text> <attachments and embeds>"``, cited as the forwarding message (its author, date and
jump link), in the channel it was forwarded into, whose readers can read it there. A
snapshot names no author, so nobody else is named. Untangling reads it as what the
message says; a thanks counts only in what the forwarder wrote.

**Accepted answers.** An answer the asker marked (a ✅ reaction, where the source knows
who reacted: a live channel, an export's ``reactions``) has the role ``accepted``; so has, in a forum post tagged solved, the answer the asker
thanked ("thanks, that worked": as a reply to it, naming its author, or right after it),
or every answer where none was thanked. The search ranks exchanges with an accepted answer
a little higher and prefers that message as the highlight (``qabot.search``).

**Bridges.** A bridge from IRC or Matrix, or PluralKit, posts through a webhook, each
message under the name of the person it relays. A webhook seen under two names or more
bridges people (``Bridges``): each name is a person of its own, whose messages answer and
ask as a member's do. A webhook seen under one name only (a feed: GitHub, an RSS reader) stays a bot's.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from qabot.corpus import conversations, limits
from qabot.corpus.derived import SEPARATOR, DerivedText
from qabot.corpus.roles import ANSWERS, ASKS, says_thanks
from qabot.models import Document
from qabot.text import blank, bounded, fold, scalar_text

JUMP = "https://discord.com/channels/{guild}/{channel}"
MAX_MESSAGES = 100  # messages of one exchange in one document; a longer exchange is laid out in parts
ACCEPTED = "accepted"  # the role of an answer the asker marked or thanked
THANKED = "thanked"  # the role of an answer the asker thanked by replying to it (in plain chat: a hint, not a mark)
UNNAMED = "@someone"  # a member named in a message but not to be named: forgotten, or unknown to the source
BOT = "bot"  # the role of a bot's message (a factoid a helper's command called up): quoted, never the highlight
MARKS = frozenset({"✅", "☑️", "✔️"})  # reactions by which an asker marks the answer
ANY_BRIDGE = "*"  # a webhook key for every webhook (``any_bridge``)
NOBODY: frozenset[str] = frozenset()  # the one empty set of people for every message that names none (216 bytes each)


@dataclass(frozen=True)
class ChatChannel:
    """Where the messages are: what every exchange document of the channel shares."""

    source: str  # the documents' source: an export's file name, or discord/<guild>/<channel> live
    guild_id: str  # "0" for direct messages
    channel_id: str
    title: str
    thread: bool = False  # a thread or a forum post: all of it is one conversation
    solved: bool = False  # a forum post tagged solved
    announcements: bool = False  # an announcement channel or its thread: its exchanges open with news
    starter_in: str | None = None  # a thread's: where the message it was started from (its id) was posted, if known

    @property
    def url(self) -> str:
        return self.url_of(self.channel_id)

    def url_of(self, channel_id: str) -> str:
        """The link to a channel of the same server (or of the same direct messages)."""
        return JUMP.format(guild="@me" if self.guild_id == "0" else self.guild_id, channel=channel_id)

    def link(self, message_id: str, channel_id: str | None = None) -> str:
        """A message's jump link: in this channel, or in ``channel_id`` of the same server."""
        return f"{self.url_of(channel_id or self.channel_id)}/{message_id}"


class Bridges:
    """The webhooks that bridge people (a bridge from IRC or Matrix, PluralKit): each seen posting under two names or
    more, where a feed or a bot posts under one. An export's are all seen (``see``) before its messages are read; a
    live channel's are met as they speak (``admit``)."""

    LIMIT = 256  # webhooks seen under one name so far that are remembered (a live bot's, over months)
    HELD = 20  # of each, the last messages held until a second name shows whether it bridges people

    def __init__(self) -> None:
        self._first: dict[str, str] = {}  # a webhook seen under one name so far: that name, folded
        self._bridges: set[str] = set()
        self._held: dict[str, dict[str, ChatMessage]] = {}  # a webhook seen under one name so far: its last messages

    def see(self, webhook: str, name: str) -> bool:
        """Notes that ``webhook`` posted as ``name``; whether it bridges people."""
        if webhook not in self._bridges:
            first = self._first.get(webhook)
            if first is None and len(self._first) < self.LIMIT:
                self._first[webhook] = fold(name)
            elif first is not None and first != fold(name):
                self._bridges.add(webhook)
                del self._first[webhook]
        return webhook in self._bridges

    def __contains__(self, webhook: str) -> bool:
        return webhook in self._bridges

    def admit(self, webhook: str, name: str, message: ChatMessage) -> list[ChatMessage]:
        """A live webhook's message, read as the person's whose name it bears: the messages to keep now. Where the
        webhook bridges people, this one and those held of it; else none, this one held (the last ``HELD``) until a
        second name shows that it does. A feed's are never kept."""
        if self.see(webhook, name):
            return [*self._held.pop(webhook, {}).values(), message]
        if webhook in self._first:
            held = self._held.setdefault(webhook, {})
            held.pop(message.id, None)  # an edit: its newest text
            held[message.id] = message
            if len(held) > self.HELD:
                del held[next(iter(held))]
        return []

    def drop(self, ids: Iterable[str]) -> None:
        """Deleted messages: none of them is kept later."""
        for held in self._held.values():
            for gone in ids:
                held.pop(gone, None)


def when(date: str) -> float | None:
    """An ISO 8601 date ("2024-05-01T18:02:33.120+00:00") as POSIX seconds; None where it is no such date."""
    try:
        return datetime.fromisoformat(date).timestamp()
    except (ValueError, OverflowError, OSError):
        return None


def utc(date: str) -> str:
    """A message's date as its citation shows it, whichever way the chat came: in UTC, to the second
    ("2024-05-01T18:02:33+00:00"), as a live message's (``created_at``). DiscordChatExporter writes the exporter's own
    time, milliseconds and all ("2024-05-01T20:02:33.12+02:00"), unless told ``--utc``. A date naming no offset, or
    no date, is kept as it is."""
    try:
        moment = datetime.fromisoformat(date)
        return date if moment.tzinfo is None else moment.astimezone(UTC).isoformat(timespec="seconds")
    except (ValueError, OverflowError):
        return date


def bridged_key(webhook_key: str, name: str, salted: Callable[[str], str] | None = None) -> str:
    """The key of a person a webhook bridges (``Bridges``): the webhook's own key and their name, one person a name;
    kept (the state database's), the name salted (``FeedbackStore.user_hash``), for its plain hash names who guesses."""
    digest = hashlib.blake2b(fold(name).encode(), digest_size=8).hexdigest()
    return f"{webhook_key}/{salted_name(digest, salted) if salted is not None else digest}"


def salted_name(digest: str, salted: Callable[[str], str]) -> str:  # a kept key's name part, from its plain hash
    return salted(f"discord-bridged-key:{digest}")[:16]


def any_bridge(key: str) -> str | None:
    """For a bridged person's key (``bridged_key``), the key of their name under every webhook (None for a member's):
    forgetting it forgets the name whichever bridge posts it, from now on too (a bridged person is no member of the
    server: the name the bridge posts them under is all that says who they are)."""
    webhook, cut, name = key.rpartition("/")
    return f"{ANY_BRIDGE}/{name}" if cut and webhook else None


def unnamed(text: str, names: Iterable[str]) -> str:
    """``text`` with its mentions of ``names`` (``@name``, the whole name: "@Ed" is not of "@Eddie") made ``UNNAMED``,
    the longest first, so that a name that begins another ("zed" of "zed lopez") leaves no part of it."""
    for name in sorted({name for name in names if name}, key=len, reverse=True):
        text = re.sub("@" + bounded(name), lambda _: UNNAMED, text)
    return text


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One chat message, as laying it out and untangling it need it."""

    id: str
    author: str  # the display name a citation shows
    author_key: str  # the same for every message of one person (live: a salted hash of the member id)
    date: str  # ISO 8601, when it was sent
    content: str  # what was written, Markdown as plain text
    extras: tuple[str, ...] = ()  # "(attachment: a.png)", "(embed: title — description)"
    reply_to: str | None = None  # the id of the message it replies to
    names: frozenset[str] = frozenset()  # folded names others may call the author by
    mentions: frozenset[str] = frozenset()  # folded names of the people it @-mentions
    mentioned_as: tuple[tuple[str, str], ...] = ()  # (key, name) of each it @-mentions, as live it showed them
    bot: bool = False
    called: bool = False  # a bot's answer to someone's slash command
    marked: bool = False  # the asker marked it as the answer
    forwarded: str = ""  # the text of the message it forwards (a snapshot's), Markdown as plain text
    marked_by: frozenset[str] = frozenset()  # who marked it (author keys), where the asker is not known yet (an export)
    source: str | None = None  # the file it was read from, where a channel's export is in parts (else the channel's)
    answers_absent: bool = False  # it opens a thread whose question the source does not hold (``conversations``)

    @property
    def text(self) -> str:
        """The paragraph quoted from it: ``"<author>: <content> (forwarded) <forwarded> <extras>"``."""
        return paragraph_text(self.author, self.content, self.extras, self.forwarded)

    @property
    def says_something(self) -> bool:
        """Whether there is anything to quote: a sticker alone (or a forward of one) has no text, attachment or
        embed, nor has a message of invisible characters (a zero-width space), and either is left out of an
        export's exchanges and a live channel's history alike."""
        return not (blank(self.content) and blank(self.forwarded)) or bool(self.extras)

    @property
    def seconds(self) -> float | None:
        return when(self.date)

    def untangled(self) -> conversations.Message:
        """What untangling conversations reads of it."""
        said = "\n".join(part for part in (self.content, self.forwarded) if part.strip())
        return conversations.Message(author=self.author_key, text=said, time=self.seconds, id=self.id,
                                     names=self.names | {fold(self.author)}, reply_to=self.reply_to,
                                     mentions=self.mentions, bot=self.bot, called=self.called,
                                     answers_absent=self.answers_absent)


FORWARDED = "(forwarded)"  # what stands before a forwarded message's text in its paragraph


def paragraph_text(author: str, content: str, extras: Sequence[str] = (), forwarded: str = "") -> str:
    """A message's paragraph: its author, then its lines, the text it forwards, attachments and embeds."""
    body, shared = _lines(content), _lines(forwarded)
    return f"{author}: " + " ".join(part for part in (body, f"{FORWARDED} {shared}" if shared else "", *extras)
                                    if part)


def _lines(text: str) -> str:
    """``text`` as its lines, as its author laid them out: a code block, a command a line, a config file, with the
    blank lines between them; a line that shows nothing is a blank line, a run of them one, and none starts or ends
    it (a paragraph ends at the document's blank line that follows it)."""
    out: list[str] = []
    for line in text.strip().splitlines():
        line = "" if blank(line) else line.rstrip()
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")


# Discord's tokens that name no member, and what Discord shows for them; code, where Discord shows them as typed, is
# matched first and kept.
_SHOWN = re.compile(r"(?P<code>```.*?```|`[^`\n]+`)|<(?:(?P<emoji>a?:)(?P<name>[^<>:\s]+?):\d+|t:(?P<time>-?\d+)"
                    r"(?::\w)?|/(?P<command>[^<>:/]+):\d+)>", re.DOTALL)


def shown(text: str) -> str:
    """``text`` with Discord's custom emoji (``<:name:id>``), dates (``<t:seconds:style>``) and slash commands'
    mentions (``</name:id>``) as Discord shows them, and as DiscordChatExporter writes them: ``:name:``, the date
    in UTC (``2024-05-01 18:00 UTC``, or ``Invalid date``), ``/name``; but not in code. (Members', roles' and
    channels' mentions are each source's own to name.)"""
    return _SHOWN.sub(_shown, text) if "<" in text else text


def _shown(match: re.Match[str]) -> str:
    if match["code"] is not None:
        return match["code"]
    if match["time"] is not None:
        try:
            return datetime.fromtimestamp(int(match["time"]), UTC).strftime("%Y-%m-%d %H:%M UTC")
        except (OverflowError, OSError, ValueError):
            return "Invalid date"
    return f"/{match['command']}" if match["command"] is not None else f":{match['name']}:"


def attachment(name: str) -> str:
    return f"(attachment: {name})"


def field(name: object, value: object) -> str | None:
    """An embed's field as its paragraph shows it: "name: value" (either alone where the other is empty)."""
    return ": ".join(text for text in (name, value) if isinstance(text, str) and text.strip()) or None


def embed(title: object = None, description: object = None, *more: object) -> str | None:
    """An embed as its paragraph shows it: its title, description and ``more`` (an export's fields, author and
    footer: the text a bot's card holds), each on the same line."""
    texts = (" ".join((scalar_text(value) or "").split()) for value in (title, description, *more))
    shown = " — ".join(text for text in texts if text)
    return f"(embed: {shown})" if shown else None


@dataclass(frozen=True, slots=True)
class Placed:
    """A message laid out in its channel: its paragraph and what its exchange's layout needs of it."""

    id: str
    author: str
    author_key: str
    date: str
    text: str
    number: int  # its place in the channel
    role: str | None
    exchange: str  # the id of its exchange's first message
    reply_to: str | None = None
    thanks: frozenset[str] | None = None  # a thanks: the author keys it names (None: not a thanks)
    marked: bool = False
    bot: bool = False
    channel_id: str | None = None  # where it was posted, where that is not the exchange's channel
    marked_by: frozenset[str] = frozenset()


def placed(message: ChatMessage, number: int, role: str | None, exchange: str,
           untangler: conversations.Untangler | None = None) -> Placed:
    """``message`` at its place, in its exchange; ``untangler`` (having seen it) tells whom a thanks names, by
    name or @-mention."""
    thanks = None
    if says_thanks(message.content):  # not "thanks, but how ...?", which asks on
        thanks = NOBODY if untangler is None else untangler.named(message.content) | frozenset(
            untangler.known[name] for name in message.mentions if name in untangler.known) or NOBODY
    return Placed(message.id, message.author, message.author_key, utc(message.date), message.text, number, role,
                  exchange, message.reply_to, thanks, message.marked, message.bot, marked_by=message.marked_by)


def laid_out(channel: ChatChannel, messages: Sequence[tuple[ChatMessage, int, str | None]], first: str, *,
             posted_in: Mapping[str, str] | None = None) -> list[Document]:
    """The documents of an exchange kept elsewhere (a live channel's, ``qabot.history``), beginning with message
    ``first``: each message with its place in the channel and its role, in order. ``posted_in``: the messages
    posted in another channel of the server (the message a thread was started from, in the thread's parent),
    by id: that channel's id, where their jump links lead."""
    untangler = conversations.Untangler()  # only to know its authors' names, for whom a thanks names
    for message, _, _ in messages:
        untangler.see(message.untangled())
    elsewhere = posted_in or {}
    laid = [placed(message, number, role, first, untangler) for message, number, role in messages]
    return exchange_documents(channel, [replace(p, channel_id=elsewhere[p.id]) if p.id in elsewhere else p
                                        for p in laid])


def accepted_roles(exchange: Sequence[Placed], solved: bool = False) -> list[str | None]:
    """The roles of an exchange's messages, with ``ACCEPTED`` for the answers its asker accepted.

    An answer is accepted where the asker marked it (``marked``, or the asker among ``marked_by``); in a forum post tagged
    solved, also the answer the asker thanked, or every answer where none was thanked. (A
    thanks in plain chat is too loose a sign to rank by: the search reads it as a hint for
    the highlight only, ``qabot.search.exchange``. So an answer the asker's thanks replies to
    is ``THANKED``, which the search cannot tell from the text: on Discord a thanks often
    names nobody, and says whom it is for by its reply.)
    """
    roles = [p.role for p in exchange]
    asker = next((p.author_key for p in exchange if p.role == ASKS), None)
    answering = [i for i, p in enumerate(exchange)
                 if p.role in (ANSWERS, ACCEPTED) and p.author_key != asker and not p.bot]
    chosen = {i for i in answering if exchange[i].marked or asker in exchange[i].marked_by}
    thanks = [n for n, p in enumerate(exchange) if asker is not None and p.author_key == asker and p.thanks is not None]
    if solved:
        chosen |= {i for i in (_thanked(exchange, answering, n) for n in thanks) if i is not None}
        chosen = chosen or set(answering)
    else:
        ids = {exchange[i].id: i for i in answering}
        for n in thanks:
            if exchange[n].reply_to in ids and ids[exchange[n].reply_to] < n:
                roles[ids[exchange[n].reply_to]] = THANKED
    for i in chosen:
        roles[i] = ACCEPTED
    return [BOT if p.bot else role for p, role in zip(exchange, roles, strict=True)]


def _thanked(exchange: Sequence[Placed], answering: list[int], n: int) -> int | None:
    """The answer the thanks at ``n`` is for: the one it replies to, else the latest by someone it names, else
    (naming nobody, replying to nothing) the latest answer before it."""
    thanks = exchange[n]
    before = [i for i in answering if i < n]
    if thanks.reply_to is not None:
        target = next((i for i in before if exchange[i].id == thanks.reply_to), None)
        if target is not None:
            return target
    named = [i for i in before if exchange[i].author_key in (thanks.thanks or ())]
    if named:
        return named[-1]
    return before[-1] if before and not thanks.thanks and thanks.reply_to is None else None


def exchange_documents(channel: ChatChannel, exchange: Sequence[Placed], *, charged: bool = False) -> list[Document]:
    """The documents of one exchange (its messages in channel order): one, or parts of ``MAX_MESSAGES``. ``charged``:
    their text was charged to the file's limits as the messages were placed (``documents``)."""
    ordered = sorted(exchange, key=lambda p: p.number)
    roles = accepted_roles(ordered, channel.solved)
    numbers = {p.id: p.number for p in ordered}  # a reply keeps the number of the message it replies to, if here
    out = []
    for part, lo in enumerate(range(0, len(ordered), MAX_MESSAGES), start=1):
        text = DerivedText(mark_repeats=False, charged=charged)  # "thanks!" twice is two messages
        for p, role in zip(ordered[lo : lo + MAX_MESSAGES], roles[lo : lo + MAX_MESSAGES], strict=True):
            text.paragraph(p.text, number=p.number, author=p.author, date=p.date, url=channel.link(p.id, p.channel_id),
                           group=1, role=role, reply_to=numbers.get(p.reply_to) if p.reply_to else None)
        out.append(text.document(channel.source, doc_id=exchange_id(channel.channel_id, ordered[0].exchange, part),
                                 title=channel.title, url=channel.url))
    return out


def exchange_id(channel_id: str, first: str, part: int = 1) -> str:
    """The document id of an exchange (part): ``<channel>-<first message>``, then ``-2``, ``-3``..."""
    return f"{channel_id}-{first}" if part == 1 else f"{channel_id}-{first}-{part}"


def documents(channel: ChatChannel, messages: Iterable[ChatMessage]) -> Iterator[Document]:
    """A whole channel read in one pass (an export): its exchanges' documents, in the order they began.

    The messages are all read when this is called (an exchange may gain a message until the
    channel's last), each linked into its conversation as it is read and only its ``Placed``
    kept (a big server's history is read one message at a time); the documents are laid out
    one at a time as they are taken, never all held. The text each message adds is charged
    to the file's limits as it is placed, so a channel over the text limit gives no document
    at all. An exchange's source is the one its first message was read from
    (``ChatMessage.source``: a channel's export in parts).
    """
    untangler = conversations.Untangler(one_conversation=channel.thread, announcements=channel.announcements)
    ids: list[str] = []  # each message's id, by its place
    by_exchange: dict[str, list[Placed]] = {}  # in the order the exchanges began
    sources: dict[str, str] = {}  # an exchange's source, where it is not the channel's: its first message's file
    for message in messages:
        untangler.add(message.untangled())
        n = len(ids)
        ids.append(message.id)
        first = ids[untangler.roots[n]]
        if untangler.roots[n] == n and message.source not in (None, channel.source):
            sources[first] = message.source
        laid = placed(message, n + 1, untangler.roles[n], first, untangler)
        if message.id == channel.channel_id and channel.starter_in is not None:  # linked where it was posted, as live
            laid = replace(laid, channel_id=channel.starter_in)
        limits.spend(len(laid.text) + len(SEPARATOR))  # its paragraph, as ``DerivedText`` would charge it
        by_exchange.setdefault(first, []).append(laid)
    return _exchanges(channel, by_exchange, sources)


def _exchanges(channel: ChatChannel, by_exchange: dict[str, list[Placed]], sources: dict[str, str]
               ) -> Iterator[Document]:
    """The documents of a channel's exchanges (``documents``), each exchange's messages let go once they are made."""
    # In the order the exchanges began, from a list of their first messages: a dict's first key, after the ones
    # before it were popped, is found by stepping over every slot they left (200,000 exchanges took 14 s so).
    for first in list(by_exchange):
        limits.check()
        source = sources.pop(first, None)
        yield from exchange_documents(channel if source is None else replace(channel, source=source),
                                      by_exchange.pop(first), charged=True)
