"""A live channel's new messages linked into their conversations, once, and their exchanges laid out again.

A message is linked when it arrives (or when a backfill reaches it), in the order of the
channel, by the same untangler as an export (``qabot.corpus.conversations``), going on
from the ``PRIME`` messages linked before it (read back from the state database: their
links, roles and askers as they were decided), and, in a thread or forum post, from its
first message (all of it is one conversation, which an export's thread goes on from whatever
its length). An explicit reply to an older message
joins that message's exchange, however old. What linking decides is kept: a later message
never moves an earlier one to another exchange, so a change touches only the exchanges
it is in. A conversation longer than ``MAX_EXCHANGE`` messages goes on as a new exchange,
so that no change ever lays out more than that many messages again.

**A thread started from a message** (in a help channel, "Create Thread" on a question) has
that message's id, and the message stays in the parent channel: Discord puts only a
placeholder in the thread (type 21, never kept). So the thread's conversation is linked
going on from that message (``starter``, where the parent channel's history keeps it): its
first exchange is rooted at it, and the thread's messages answer it. Its exchange is laid
out with the message in front, cited as itself (its author, date and jump link in the
parent channel); and the parent channel's exchange of that message alone (nobody else
spoke in it there) is not laid out as well (``answered_in_thread``): its answers are in the
thread. A thread whose parent channel is not learnt has no such message to go on from:
the history quotes a channel's messages only where that channel is listed. Its first
message answers a question not here (``ChannelRow.started_by``: the backfill saw Discord's
placeholder), as an export's does that holds only the placeholder.

``documents`` lays out one exchange as ``qabot.corpus.chat`` lays out an export's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from qabot.corpus import chat
from qabot.corpus.conversations import Message, Untangler
from qabot.corpus.roles import role_in
from qabot.history.rows import CHANNEL, THREAD, ChannelRow, Link, Stored
from qabot.history.store import HistoryStore
from qabot.index.scope import chat_source
from qabot.models import Document

PRIME = 200  # linked messages before the new ones that untangling goes on from
MAX_EXCHANGE = 1000  # messages of one exchange; a longer conversation goes on as a new one


def link(store: HistoryStore, channel: ChannelRow, up_to: int) -> set[int]:
    """Link the channel's messages not yet linked, up to ``up_to``, in order; the roots of the exchanges they joined."""
    pending = store.unlinked(channel.id, up_to)
    if not pending:
        return set()
    primer = store.before(channel.id, pending[0].id, PRIME)
    untangler = Untangler(one_conversation=channel.kind != CHANNEL, announcements=channel.announcements)
    at: dict[int, int] = {}  # message id: its place in the untangler
    ids: list[int] = []
    roots: list[int] = []  # by place: the id of its exchange's first message
    opening = starter(store, channel)
    if opening is not None and primer and not store.exchange_size(channel.id, opening.id):
        opening = None  # linked without it (by an earlier version, or before its channel was learnt): it stays so
    if opening is not None:  # the thread goes on from the message it was started from, in every batch (as an
        # export's does): its answers heard later answer it too, not the first message linked before them
        untangler.add(opening.message.untangled())
        at[opening.id] = 0
        ids.append(opening.id)
        roots.append(opening.id)
    elif primer and untangler.one_conversation and primer[0].root not in {s.id for s in primer}:
        # A thread longer than the primer goes on from its first message too, read back before it: its answers
        # heard later answer its asker, not the oldest message of the primer.
        head = store.get([primer[0].root]).get(primer[0].root)
        primer = [head, *primer] if head is not None and head.channel_id == channel.id else primer
    for s in primer:
        assert s.root is not None
        opens = s.parent == s.id
        untangler.resume(_untangled(channel, s, opens), s.opener, s.role, None if opens else at.get(s.parent),
                         opens=opens)
        at[s.id] = len(ids)
        ids.append(s.id)
        roots.append(s.root)
    number = primer[-1].number or 0 if primer else 0
    sizes: dict[int, int] = {}  # messages in each exchange, as linked so far
    going_on: dict[int, int] = {}  # an exchange: the one it went on in (itself where it goes on)
    links = []
    for s in pending:
        message = _untangled(channel, s, not ids)
        target = _replied(store, s, at)
        if target is not None:  # a reply to a message linked before what the untangler holds
            opener = target.opener
            role = role_in(message, opener, first=False, parent_author=target.message.author_key,
                           parent_role=target.role)
            untangler.resume(message, opener, role)
            parent, root = target.id, target.root
        else:
            place = untangler.add(message)
            i = len(ids)
            parent, root = (s.id, s.id) if place == i else (ids[place], roots[place])
            role, opener = untangler.roles[i], untangler.opener(i)
        assert root is not None
        continues = None
        if root != s.id:
            if root not in going_on:
                going_on[root] = store.continuation(channel.id, root)
            while going_on.get(root, root) != root:
                root = going_on[root]
            if root not in sizes:
                sizes[root] = store.exchange_size(channel.id, root)
            if sizes[root] >= MAX_EXCHANGE:  # a long conversation goes on as a new exchange, with its asker
                continues, going_on[root] = root, s.id
                root = s.id
        sizes[root] = sizes.get(root, 0) + 1
        at[s.id] = len(ids)
        ids.append(s.id)
        roots.append(root)
        number += 1
        links.append(Link(s.id, parent, root, role, number, opener[0], opener[1], continues))
    store.link(links)
    return {k.root for k in links}


def _untangled(channel: ChannelRow, message: Stored, opens: bool) -> Message:
    """What untangling reads of a message: the first of a thread started from a message that the history does not
    keep (its parent channel is not learnt, or it was deleted) answers a question not here, as in an export of the
    thread that holds only Discord's placeholder for it (``ChatMessage.answers_absent``)."""
    untangled = message.message.untangled()
    return replace(untangled, answers_absent=True) if opens and channel.from_message else untangled


def _replied(store: HistoryStore, message: Stored, at: dict[int, int]) -> Stored | None:
    """The linked message ``message`` replies to, where the untangler does not hold it."""
    reply = message.message.reply_to
    if reply is None or not (reply.isascii() and reply.isdigit()) or int(reply) in at:
        return None
    found = store.get([int(reply)]).get(int(reply))
    return found if found is not None and found.root is not None and found.channel_id == message.channel_id else None


def starter(store: HistoryStore, thread: ChannelRow) -> Stored | None:
    """The message ``thread`` was started from, where the history keeps it: in the thread's parent channel, under
    the thread's own id (Discord gives a thread started from a message that message's id). Only a public thread
    of a text channel has one: a forum post opens with its own first message, and Discord never starts a private
    thread from a message."""
    if thread.kind != THREAD or thread.parent_id is None:
        return None
    found = store.get([thread.id]).get(thread.id)
    return found if found is not None and found.channel_id == thread.parent_id else None


def answered_in_thread(store: HistoryStore, channel: ChannelRow, exchange: list[Stored],
                       row: Callable[[int], ChannelRow | None]) -> bool:
    """Whether an exchange of ``channel`` is a question asked there and answered in a thread started from it: only
    its asker spoke in it there, and a thread (``row``: the rows kept, by id) goes on from one of its messages.
    It is laid out in that thread's exchange, not also as a question nobody answered."""
    if not exchange or len({s.message.author_key for s in exchange}) != 1:
        return False
    return any((thread := row(s.id)) is not None and thread.kind == THREAD and thread.parent_id == channel.id
               and store.exchange_size(thread.id, thread.id) > 0 for s in exchange)


def documents(channel: ChannelRow, exchange: list[Stored], opening: Stored | None = None) -> list[Document]:
    """The documents of one exchange of a live channel (its messages, in order); ``opening``: the message a
    thread was started from (``starter``), in front of the thread's first exchange, before its first message
    (number 0), with the role it has there."""
    where = chat.ChatChannel(source=chat_source(channel.guild_id, channel.id), guild_id=str(channel.guild_id),
                             channel_id=str(channel.id), title=channel.title, thread=channel.kind != CHANNEL,
                             solved=channel.solved)
    laid = [(s.message, s.number or 0, s.role) for s in exchange]
    posted_in = {}
    if opening is not None:
        role = role_in(opening.message.untangled(), exchange[0].opener, first=True)
        laid.insert(0, (opening.message, 0, role))
        posted_in[opening.message.id] = str(opening.channel_id)
    return chat.laid_out(where, laid, str(exchange[0].root), posted_in=posted_in)
