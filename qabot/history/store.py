"""What a live channel's history keeps in the state database: its channels, their checkpoints, their messages.

The tables live beside the answers and votes, in the same SQLite file (``qabot.feedback``: ``QABOT_STATE_DIR``,
readable by its owner alone). A member is kept only as a salted hash of their id (``author_hash``, the state
database's own salt; Discord's one id for deleted accounts, nobody's, as it is: ``qabot.corpus.deleted``): the display
name is kept for the citation, which shows it. A message keeps what laying out its exchange again needs
(``qabot.corpus.chat``): its text (and a forward's, ``forwarded``), attachments' names and embeds' titles, when it was
sent, the message it replies to, whom it mentions (hashed too, with the name each mention showed, which forgetting
them takes out) and, once linked into its conversation, its exchange (``root``: the id of the exchange's first
message), the message it responds to, its role, its place in the channel, and its exchange's asker. An exchange is a
channel's and a root: a thread started from a message roots its first exchange at that message, which is kept in the
parent channel (``qabot.history.linking``).

A channel keeps its ``checkpoint``: every message up to that id has been read (a
backfill resumes after it), and ``complete`` once it has been read to its end (new
messages are then linked as they come), and whether it is an announcement channel or one of its
threads (``announcements``: its exchanges open with news), and whether a thread was started from a message
(``started_by``: that message's author; its history opens with Discord's placeholder for it). A thread or
forum post keeps who made it (``owner_hash``) and its title without its name (``untitled``): its name is that member's
words, or those of the message it was started from, and once either member is forgotten in
that server the thread is shown ``untitled`` from then on (``unnamed``), whatever Discord
says of it later.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import TYPE_CHECKING

from qabot.corpus import deleted
from qabot.corpus.chat import ANY_BRIDGE, ChatMessage, any_bridge, bridged_key, unnamed
from qabot.corpus.derived import SEPARATOR
from qabot.feedback.posts import Part, Posts, part_shown
from qabot.history.rows import (
    ADDED,
    CHANNEL,
    MESSAGE,
    SCHEMA,
    UNTITLED,
    ChannelRow,
    Link,
    Owed,
    Stored,
    channel_roots,
    exchanges_of,
    execute_in,
    from_row,
    mentions_column,
    owe_more,
    owes_purge,
    quotes,
    read_owed,
    select_in,
    settle,
    shown_as,
    unquote,
    unquote_naming,
    write_owed,
)

if TYPE_CHECKING:
    from qabot.feedback import FeedbackStore

class HistoryStore:
    """The history tables of the state database (``store``: the ``FeedbackStore`` that owns the file)."""

    def __init__(self, store: FeedbackStore) -> None:
        self.state = store
        self._ready = False

    def _db(self) -> AbstractContextManager[sqlite3.Connection]:
        """One transaction; the tables are made on first use."""
        if not self._ready:
            with self.state.transaction() as db:
                if not db.in_transaction:  # one process at a time adds what a table lacks
                    db.execute("BEGIN IMMEDIATE")
                statements = [s.strip() for s in SCHEMA.split(";") if s.strip()]
                for statement in statements:
                    if not statement.startswith("CREATE INDEX"):
                        db.execute(statement)
                for table, column, definition in ADDED:  # a database made before the column was
                    if column not in {row[1] for row in db.execute(f"PRAGMA table_info({table})")}:
                        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
                for statement in statements:  # an index may be on an added column
                    if statement.startswith("CREATE INDEX"):
                        db.execute(statement)
            self._ready = True
        return self.state.transaction()

    # -- channels ---------------------------------------------------------------------------

    def channels(self) -> list[ChannelRow]:
        return self._channels_where("1 ORDER BY id", ())

    def channel(self, channel_id: int) -> ChannelRow | None:
        return next((c for c in self._channels_where("id = ?", (channel_id,))), None)

    def _channels_where(self, where: str, args: tuple) -> list[ChannelRow]:
        with self._db() as db:
            rows = db.execute("SELECT id, guild_id, parent_id, kind, title, tags, solved, checkpoint, complete, owner_hash, "
                              f"untitled, announcements, started_by FROM history_channels WHERE {where}", args).fetchall()
        return [ChannelRow(r[0], r[1], r[2], r[3], r[4], tuple(json.loads(r[5])), bool(r[6]), r[7], bool(r[8]), r[9],
                           r[10], bool(r[11]), r[12]) for r in rows]

    def put_channel(self, row: ChannelRow) -> ChannelRow:
        """Add a channel, or update what Discord says of it (title, parent, kind, tags), keeping its checkpoint. A
        thread whose name was a forgotten member's keeps its title without it (``forget``), as does one made by a
        member forgotten before (found so now: their words leave the index's files too, as ``forget``'s do)."""
        untitled = row.untitled or (None if row.kind == CHANNEL else UNTITLED)
        shown = "title, kind, solved, parent_id"  # what its documents show
        with self._db() as db:
            before = db.execute(f"SELECT {shown}, unnamed FROM history_channels WHERE id = ?", (row.id,)).fetchone()
            forgotten = db.execute(  # who made it, or wrote what it was started from (noted before; ``any_bridge``)
                "SELECT 1 FROM history_forgotten WHERE guild_id = ? AND author_hash IN (?, ?, ?, (SELECT started_by FROM "
                "history_channels WHERE id = ?))", (row.guild_id, row.owner, row.started_by,
                                                    any_bridge(row.started_by or ""), row.id)).fetchone() is not None
            if forgotten:  # a title of theirs, kept before it was known to be theirs, leaves the file too (``forget``)
                self.state.taken_back()
            db.execute(
                "INSERT INTO history_channels (id, guild_id, parent_id, kind, title, tags, solved, owner_hash, untitled, "
                "unnamed, announcements, started_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO "
                "UPDATE SET guild_id = excluded.guild_id, parent_id = excluded.parent_id, kind = excluded.kind, tags = "
                "excluded.tags, solved = excluded.solved, owner_hash = excluded.owner_hash, untitled = excluded.untitled, "
                "announcements = excluded.announcements, unnamed = MAX(unnamed, excluded.unnamed), title = CASE WHEN "
                "MAX(unnamed, excluded.unnamed) THEN excluded.untitled ELSE excluded.title END, started_by = "
                "COALESCE(started_by, excluded.started_by)",  # seen once, in its history's first page (``Backfill``)
                (row.id, row.guild_id, row.parent_id, row.kind, untitled if forgotten else row.title,
                 json.dumps(list(row.tags)), int(row.solved), row.owner, untitled, int(forgotten), int(row.announcements),
                 row.started_by))
            found = db.execute(f"SELECT checkpoint, complete, started_by, {shown} FROM history_channels WHERE id = ?",
                               (row.id,)).fetchone()
            if before is not None and tuple(before[:4]) != found[3:]:  # its exchanges are laid out again (``relay``)
                owe_more(db, [(row.id, root) for root in channel_roots(db, row.id)], purge=forgotten and not before[4])
        return replace(row, checkpoint=found[0], complete=bool(found[1]), started_by=found[2], title=found[3])

    def advance(self, channel_id: int, checkpoint: int, *, complete: bool = False) -> None:
        """Every message of the channel up to ``checkpoint`` has been read (and, ``complete``, all of it)."""
        with self._db() as db:
            db.execute("UPDATE history_channels SET checkpoint = MAX(checkpoint, ?), complete = MAX(complete, ?) "
                       "WHERE id = ?", (checkpoint, int(complete), channel_id))

    def reopen(self) -> None:
        """No channel is read to its end any more (until a backfill reads it again)."""
        with self._db() as db:
            db.execute("UPDATE history_channels SET complete = 0")

    def drop_channel(self, channel_id: int, source: str | None = None) -> None:
        """Forget a channel and its messages, and the highlights of the stored answers that quoted them; the index
        owes taking its ``source`` out (``owe``), and purging its files of it."""
        with self._db() as db:
            owe_more(db, sources=[source] if source else [], purge=True)
            unquote(self.state, db, channels=[channel_id])
            db.execute("DELETE FROM history_messages WHERE channel_id = ?", (channel_id,))
            db.execute("DELETE FROM history_left_out WHERE channel_id = ?", (channel_id,))
            db.execute("DELETE FROM history_channels WHERE id = ?", (channel_id,))

    def roots(self, channel_id: int) -> list[int]:
        """The first message of each of the channel's exchanges."""
        with self._db() as db:
            return channel_roots(db, channel_id)

    # -- messages ---------------------------------------------------------------------------

    def put(self, channel_id: int, messages: Sequence[ChatMessage]) -> list[int]:
        """Store messages (new, or a new version of one kept: its link stays); the roots of those already linked."""
        rows = [(int(m.id), channel_id, m.author_key, m.author, m.date, m.content, json.dumps(list(m.extras)),
                 int(m.reply_to) if m.reply_to and m.reply_to.isascii() and m.reply_to.isdigit() else None,
                 mentions_column(m), int(m.bot), int(m.marked), m.forwarded) for m in messages]
        with self._db() as db:
            self._rewritten(db, messages)
            db.executemany(
                "INSERT INTO history_messages (id, channel_id, author_hash, author_name, at, content, extras, "
                "reply_to, mentions, bot, marked, forwarded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT "
                "(id) DO UPDATE SET author_name = excluded.author_name, content = excluded.content, extras = "
                "excluded.extras, mentions = excluded.mentions, marked = MAX(marked, excluded.marked), forwarded = "
                "excluded.forwarded", rows)
            roots = sorted({r for (r,) in select_in(db, "id", [r[0] for r in rows], "root") if r is not None})
            owe_more(db, {(channel_id, root) for root in roots})
            return roots

    def edit(self, messages: Sequence[ChatMessage]) -> list[tuple[int, int]]:
        """New versions of messages kept (others are ignored): the (channel, root) of those already linked."""
        rows = [(m.author, m.content, json.dumps(list(m.extras)), mentions_column(m), m.forwarded, int(m.id)) for m in messages]
        with self._db() as db:
            self._rewritten(db, messages)
            db.executemany("UPDATE history_messages SET author_name = ?, content = ?, extras = ?, mentions = ?, "
                           "forwarded = ? WHERE id = ?", rows)
            return owe_more(db, exchanges_of(db, select_in(db, "id", [r[-1] for r in rows],
                                                                      "id, channel_id, root")))

    def mark(self, message_id: int, by: str | None, on: bool = True) -> tuple[int, int] | None:
        """The asker ``by`` marked a message as the answer (or, not ``on``, took their mark back; ``by`` None: a
        moderator cleared its marks): its (channel, root), where it was theirs to mark and that changed it. A member
        forgotten in its server marks nothing (``forget`` took their marks back)."""
        with self._db() as db:
            found = db.execute("SELECT channel_id, root, asker, author_hash, marked, EXISTS (SELECT 1 FROM "
                               "history_forgotten f JOIN history_channels c ON c.guild_id = f.guild_id WHERE c.id = "
                               "channel_id AND f.author_hash = ?) FROM history_messages WHERE id = ?",
                               (by, message_id)).fetchone()
            if found is None or found[1] is None or (by is not None and found[2] != by) or found[3] == by or (
                    bool(found[4]) == on) or (on and found[5]):
                return None
            db.execute("UPDATE history_messages SET marked = ? WHERE id = ?", (int(on), message_id))
            owe_more(db, [(found[0], found[1])])
        return found[0], found[1]

    def may_mark(self, message_id: int, by: str) -> bool:
        """Whether member ``by`` may be the one to mark this message (``mark``): False only where it is kept, linked,
        and its exchange's asker is another member, or it is their own."""
        with self._db() as db:
            found = db.execute("SELECT root, asker, author_hash FROM history_messages WHERE id = ?",
                               (message_id,)).fetchone()
        return found is None or found[0] is None or (found[1] == by and found[2] != by)

    def remove(self, ids: Iterable[int]) -> list[tuple[int, int]]:
        """Delete messages, and the highlights of the stored answers that quoted them; the (channel, root) of the
        exchanges they were in."""
        ids = list(ids)
        with self._db() as db:
            affected = select_in(db, "id", ids, "id, channel_id, root")
            unquote(self.state, db, map(from_row, select_in(db, "id", ids, MESSAGE)))
            execute_in(db, "DELETE FROM history_messages WHERE id IN ({})", ids)
            return owe_more(db, exchanges_of(db, affected), removed=len(affected))

    def unquote_if_gone(self, answer_id: str, message_id: int) -> None:
        """A stored answer whose highlight quoted message ``message_id`` (found before it was stored): blank the
        highlight unless that message is kept, and reads so, now. ``remove``, ``forget`` and ``drop_channel`` blank
        the answers stored when they run; this one may have been found in the index just before, and stored after."""
        with self._db() as db:
            found = db.execute(f"SELECT {MESSAGE} FROM history_messages WHERE id = ?", (message_id,)).fetchone()
            row = db.execute("SELECT highlight FROM answers WHERE id = ?", (answer_id,)).fetchone()
            if row is not None and row[0] and (found is None or not quotes(row[0], from_row(found).message.text)):
                db.execute("UPDATE answers SET highlight = NULL WHERE id = ?", (answer_id,))

    def forget(self, author_key: str, guild_id: int, names: Iterable[str] = ()) -> tuple[list[tuple[int, int]], int]:
        """Delete every message of one member in one server, and never keep theirs there again: the (channel,
        root) of the exchanges they were in or named in, and how many messages went. Their names (``names``, and
        those their messages showed) leave others' mentions of them, and the answers' highlights that quoted them
        (their messages, as a deletion's do, or their names).
        The threads and posts they made, or that were started from a message of theirs, lose their name (their
        words) from their title, and every exchange of those is among the ones returned."""
        there = "channel_id IN (SELECT id FROM history_channels WHERE guild_id = ?)"
        where, mentioned, forwards = (f"(author_hash = ? OR author_hash > ? AND author_hash < ?) AND {there}",
                                      f"mentions LIKE ? AND {there}", f"instr(forwarded, ?) > 0 AND {there}")
        apart = deleted.apart_from(author_key)  # Discord's one id for deleted accounts: those told apart from it too
        asked = f"marked = 1 AND asker = ? AND {there}"  # the answers they marked: their say, as a vote is
        # A thread started from a message has that message's id (kept, or noted: ``started_by``); a forum post's first
        # message has the post's.
        named = ("guild_id = ? AND kind != ? AND (owner_hash = ? OR started_by = ? OR id IN (SELECT id FROM "
                 "history_messages WHERE author_hash = ?))")
        with self._db() as db:
            theirs = (guild_id, CHANNEL, author_key, author_key, author_key)
            retitled = [i for (i,) in db.execute(f"SELECT id FROM history_channels WHERE {named}", theirs)]
            db.execute(f"UPDATE history_channels SET unnamed = 1, title = COALESCE(untitled, ?) WHERE {named}",
                       (UNTITLED, *theirs))
            affected = db.execute(f"SELECT id, channel_id, root FROM history_messages WHERE {where}",
                                  (author_key, *apart, guild_id)).fetchall()
            affected += db.execute(f"SELECT id, channel_id, root FROM history_messages WHERE {asked}",
                                   (author_key, guild_id)).fetchall()
            db.execute(f"UPDATE history_messages SET marked = 0 WHERE {asked}", (author_key, guild_id))
            affected += [(root, channel_id, root) for channel_id in retitled for root in channel_roots(db, channel_id)]
            said = [from_row(r) for r in db.execute(f"SELECT {MESSAGE} FROM history_messages WHERE {where}",
                                                   (author_key, *apart, guild_id))]
            self.state.taken_back()  # their words and names leave the file, titles and others' mentions too
            unquote(self.state, db, said)
            them = (f'%"{author_key}"%', guild_id)  # and the names others' mentions showed them by
            names = {n for n in names if n} | {s.message.author for s in said} | shown_as(db, author_key, mentioned, them)
            count = db.execute(f"DELETE FROM history_messages WHERE {where}", (author_key, *apart, guild_id)).rowcount
            affected += db.execute(f"SELECT id, channel_id, root FROM history_messages WHERE {mentioned}",
                                   them).fetchall()
            db.executemany("UPDATE history_messages SET content = ? WHERE id = ?", [
                (now, i) for i, text in db.execute(f"SELECT id, content FROM history_messages WHERE {mentioned}", them)
                if (now := unnamed(text, names)) != text])
            # A forward may name them in what it forwards, whoever forwarded it.
            unforwarded = [(row, now) for *row, text in db.execute(f"SELECT id, channel_id, root, forwarded FROM "
                           f"history_messages WHERE {forwards}", ("@", guild_id)) if (now := unnamed(text, names)) != text]
            affected += [tuple(row) for row, _ in unforwarded]
            db.executemany("UPDATE history_messages SET forwarded = ? WHERE id = ?", [(now, row[0]) for row, now in unforwarded])
            for name in names:
                unquote_naming(db, guild_id, name)  # a direct message's too
            db.execute("INSERT OR REPLACE INTO history_forgotten VALUES (?, ?, ?)", (guild_id, author_key, time.time()))
            return owe_more(db, exchanges_of(db, affected), removed=count, purge=True), count

    def owed(self) -> Owed:
        """The index work this database is ahead of the index by (``owe``): none when the last update succeeded."""
        with self._db() as db:
            return read_owed(db)

    def owe(self, work: Owed, *, done: bool = False) -> None:
        """Add the index work about to be done to what is owed, so that a restart after a failed update still takes
        out of the index what this database already dropped, or (``done``) take it off (``rows.settle``)."""
        with self._db() as db:
            settle(db, work, done=done)

    def purge_owed(self) -> int:
        """Whether the index's files are to be purged once the work owed is done (a forget, a channel dropped, owe it
        in their transaction: ``rows.owe_more``), by this process or, stopped first, the next: its number, else 0."""
        with self._db() as db:
            return owes_purge(db)

    def purged(self, number: int) -> None:
        """The index's files were purged of what the purge ``number`` owed (``purge_owed``, read before the work
        owed then): it is owed no more, unless work is, or another purge was owed since (another process's)."""
        with self._db() as db:
            write_owed(db, read_owed(db), purge=False, purged=number)

    def left_out(self) -> set[tuple[int, int]]:
        """The (channel, root) exchanges the index refused when they were last laid out (``leave_out``)."""
        with self._db() as db:
            return {(c, r) for c, r in db.execute("SELECT channel_id, root FROM history_left_out")}

    def leave_out(self, laid: Iterable[tuple[int, int]], left: Iterable[tuple[int, int]]) -> None:
        """Of the exchanges just laid out again (``laid``), record those the index refused (``left``), and no others:
        they are tried again at the next start, whose reader limits may take them."""
        with self._db() as db:
            db.executemany("DELETE FROM history_left_out WHERE channel_id = ? AND root = ?", sorted(laid))
            db.executemany("INSERT OR IGNORE INTO history_left_out VALUES (?, ?)", sorted(left))

    def forgotten(self) -> set[tuple[int, str]]:
        """The members who asked to be forgotten, by server (hashed): their messages there are never kept again."""
        with self._db() as db:
            return {(g, a) for g, a in db.execute("SELECT guild_id, author_hash FROM history_forgotten")}

    def names(self, author_key: str, guild_id: int) -> set[str]:
        """The names a member's kept messages in a server show, each as it was when the message was read (one they
        have changed since among them), which others' questions about them may name them by."""
        with self._db() as db:
            return {name for (name,) in db.execute(
                "SELECT DISTINCT author_name FROM history_messages WHERE author_hash = ? AND channel_id IN (SELECT id "
                "FROM history_channels WHERE guild_id = ?)", (author_key, guild_id))}

    def bridged_keys(self, guild_id: int, name: str) -> list[str]:
        """The keys of the people bridged under ``name`` in a server, one a webhook (``chat.bridged_key``): of their
        messages kept, and of those threads were started from (``started_by``)."""
        suffix = bridged_key(ANY_BRIDGE, name, self.state.user_hash).removeprefix(ANY_BRIDGE)  # "/", the name's hash
        with self._db() as db:
            return [key for (key,) in db.execute(
                "SELECT author_hash FROM history_messages WHERE substr(author_hash, -?) = ? AND channel_id IN (SELECT id "
                "FROM history_channels WHERE guild_id = ?) UNION SELECT started_by FROM history_channels WHERE "
                "substr(started_by, -?) = ? AND guild_id = ?", (len(suffix), suffix, guild_id) * 2)]

    def get(self, ids: Iterable[int]) -> dict[int, Stored]:
        with self._db() as db:
            return {s.id: s for s in map(from_row, select_in(db, "id", list(ids), MESSAGE))}

    def between(self, channel_id: int, after: int, up_to: int, *, limit: int = -1) -> dict[int, ChatMessage]:
        """The channel's messages kept with ids in (``after``, ``up_to``], at most ``limit`` (-1: all), by id."""
        with self._db() as db:
            rows = db.execute(f"SELECT {MESSAGE} FROM history_messages WHERE channel_id = ? AND id > ? AND id <= ? "
                              "ORDER BY id LIMIT ?", (channel_id, after, up_to, limit)).fetchall()
        return {int(r[0]): from_row(r).message for r in rows}

    def exchange(self, channel_id: int, root: int) -> list[Stored]:
        """The messages of one exchange of a channel, in order. (A thread started from a message roots its first
        exchange at that message's id, which is the thread's, while the message itself stays in its channel's.)"""
        with self._db() as db:
            rows = db.execute(f"SELECT {MESSAGE} FROM history_messages WHERE root = ? AND channel_id = ? ORDER BY id",
                              (root, channel_id))
            return [from_row(r) for r in rows.fetchall()]

    def quoted(self, doc_id: str, text: str) -> tuple[list[tuple[int, int, frozenset[str], Part]], bool]:
        """The kept messages that ``text``, quoted from the exchange document ``doc_id`` (``<channel>-<root>[-part]``),
        holds a paragraph (or a part) of, with their channel, the members each names (its author, those it mentions,
        who made its thread or wrote the message that was started from, whose words its title is; hashed) and the
        part of its text shown (``posts.part_shown``): what an answer the bot posted shows of them; and whether each
        paragraph of ``text`` is a kept message's (not: one was deleted, or its author forgotten, since it was found).
        A thread's first exchange opens with the message it was started from, kept under the thread's id."""
        channel, _, rest = doc_id.partition("-")
        root = rest.split("-", 1)[0]
        if not (channel.isascii() and channel.isdigit() and root.isascii() and root.isdigit()):
            return [], False
        with self._db() as db:
            rows = db.execute(f"SELECT {MESSAGE} FROM history_messages WHERE (channel_id = ? AND root = ?) OR id = ?",
                              (int(channel), int(root), int(channel))).fetchall()
            titled = db.execute("SELECT owner_hash, started_by FROM history_channels WHERE id = ?", (int(channel),))
            named = {who for row in titled for who in row if who}  # as ``forget`` takes their words out of titles
        found = [s for s in map(from_row, rows) if quotes(text, s.message.text)]
        whole = all(any(quotes(part, s.message.text) for s in found) for part in text.split(SEPARATOR) if part)
        return [(s.id, s.channel_id, frozenset({deleted.shared(s.message.author_key), *s.message.mentions, *named}),
                 part_shown(s.message.text, text)) for s in found], whole

    def exchange_size(self, channel_id: int, root: int) -> int:
        with self._db() as db:
            return db.execute("SELECT COUNT(*) FROM history_messages WHERE root = ? AND channel_id = ?",
                              (root, channel_id)).fetchone()[0]

    def unlinked(self, channel_id: int, up_to: int) -> list[Stored]:
        """The channel's messages not yet linked into a conversation, up to ``up_to``, in order."""
        with self._db() as db:
            rows = db.execute(f"SELECT {MESSAGE} FROM history_messages WHERE channel_id = ? AND root IS NULL "
                              "AND id <= ? ORDER BY id", (channel_id, up_to))
            return [from_row(r) for r in rows.fetchall()]

    def before(self, channel_id: int, message_id: int, n: int) -> list[Stored]:
        """The ``n`` linked messages of the channel before ``message_id``, in order: what untangling goes on from."""
        with self._db() as db:
            rows = db.execute(f"SELECT {MESSAGE} FROM history_messages WHERE channel_id = ? AND id < ? AND root "
                              "IS NOT NULL ORDER BY id DESC LIMIT ?", (channel_id, message_id, n)).fetchall()
        return [from_row(r) for r in reversed(rows)]

    def link(self, links: Sequence[Link]) -> None:
        """Record where linking put messages; their exchanges are owed to the index in the same transaction."""
        with self._db() as db:
            db.executemany("UPDATE history_messages SET parent = ?, root = ?, role = ?, number = ?, asker = ?, "
                           "news = ?, continues = ? WHERE id = ?",
                           [(k.parent, k.root, k.role, k.number, k.asker, int(k.news), k.continues, k.id)
                            for k in links])
            owe_more(db, exchanges_of(db, select_in(db, "id", [k.id for k in links], "id, channel_id, root")))

    def continuation(self, channel_id: int, root: int) -> int:
        """The exchange a conversation of the channel goes on in now: ``root``'s, or the latest that continues it."""
        with self._db() as db:
            while (found := db.execute("SELECT root FROM history_messages WHERE continues = ? AND channel_id = ? "
                                       "ORDER BY id DESC LIMIT 1", (root, channel_id)).fetchone()) is not None:
                root = found[0]
        return root

    def counts(self, guild_id: int | None = None) -> tuple[int, int]:
        """(messages, of which linked) kept now: of every server's channels, or of ``guild_id``'s alone."""
        with self._db() as db:
            return db.execute("SELECT COUNT(*), COUNT(root) FROM history_messages WHERE ?1 IS NULL OR channel_id IN "
                              "(SELECT id FROM history_channels WHERE guild_id = ?1)", (guild_id,)).fetchone()

    # -- helpers ----------------------------------------------------------------------------

    def _rewritten(self, db: sqlite3.Connection, messages: Sequence[ChatMessage]) -> None:
        """New versions of messages are about to be kept: the stored answers whose highlight quoted a kept one's old
        text, which reads no more, lose it now, as a deletion's do (matched by text, a highlight would otherwise keep
        the old text for good: a later deletion looks for the new); so do the bot's posted answers (``Posts``)."""
        now = {int(m.id): m.text for m in messages}
        old = [s for s in map(from_row, select_in(db, "id", list(now), MESSAGE)) if s.message.text != now[s.id]]
        if old:
            unquote(self.state, db, old, now=now)
            Posts(self.state).rewritten(db, [(s.id, s.message.text, now[s.id]) for s in old])
