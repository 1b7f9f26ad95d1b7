"""A live channel's new messages linked into their conversations, once, and their exchanges laid out again.

A message is linked when it arrives (or when a backfill reaches it), in the order of the
channel, by the same untangler as an export (``qabot.corpus.conversations``), going on
from the ``PRIME`` messages linked before it (read back from the state database: their
links, roles and askers as they were decided). An explicit reply to an older message
joins that message's exchange, however old. What linking decides is kept: a later message
never moves an earlier one to another exchange, so a change touches only the exchanges
it is in. A conversation longer than ``MAX_EXCHANGE`` messages goes on as a new exchange,
so that no change ever lays out more than that many messages again.

``documents`` lays out one exchange as ``qabot.corpus.chat`` lays out an export's.
"""

from __future__ import annotations

from qabot.corpus import chat
from qabot.corpus.conversations import Untangler, role_in
from qabot.history.store import CHANNEL, ChannelRow, HistoryStore, Link, Stored
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
    untangler = Untangler(one_conversation=channel.kind != CHANNEL)
    at: dict[int, int] = {}  # message id: its place in the untangler
    ids: list[int] = []
    roots: list[int] = []  # by place: the id of its exchange's first message
    for s in primer:
        assert s.root is not None
        untangler.resume(s.message.untangled(), s.opener, s.role, at.get(s.parent) if s.parent != s.id else None)
        at[s.id] = len(ids)
        ids.append(s.id)
        roots.append(s.root)
    number = primer[-1].number or 0 if primer else 0
    sizes: dict[int, int] = {}  # messages in each exchange, as linked so far
    going_on: dict[int, int] = {}  # an exchange: the one it went on in (itself where it goes on)
    links = []
    for s in pending:
        message = s.message.untangled()
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
                going_on[root] = store.continuation(root)
            while going_on.get(root, root) != root:
                root = going_on[root]
            if root not in sizes:
                sizes[root] = store.exchange_size(root)
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


def _replied(store: HistoryStore, message: Stored, at: dict[int, int]) -> Stored | None:
    """The linked message ``message`` replies to, where the untangler does not hold it."""
    reply = message.message.reply_to
    if reply is None or not (reply.isascii() and reply.isdigit()) or int(reply) in at:
        return None
    found = store.get([int(reply)]).get(int(reply))
    return found if found is not None and found.root is not None and found.channel_id == message.channel_id else None


def documents(channel: ChannelRow, exchange: list[Stored]) -> list[Document]:
    """The documents of one exchange of a live channel (its messages, in order)."""
    where = chat.ChatChannel(source=chat_source(channel.guild_id, channel.id), guild_id=str(channel.guild_id),
                             channel_id=str(channel.id), title=channel.title, thread=channel.kind != CHANNEL,
                             solved=channel.solved)
    return chat.laid_out(where, [(s.message, s.number or 0, s.role) for s in exchange], str(exchange[0].root))
