"""The history tables of the state database (``qabot.history.store``): their schema, and the rows they hold.

A member is kept only as a salted hash of their id; see ``qabot.history.store`` for what a
message and a channel keep, and why.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qabot.corpus.chat import ChatMessage
from qabot.corpus.derived import SEPARATOR
from qabot.text import bounded

if TYPE_CHECKING:
    from qabot.feedback import FeedbackStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS history_channels (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    parent_id INTEGER,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    solved INTEGER NOT NULL DEFAULT 0,
    checkpoint INTEGER NOT NULL DEFAULT 0,
    complete INTEGER NOT NULL DEFAULT 0,
    owner_hash TEXT,
    untitled TEXT,
    unnamed INTEGER NOT NULL DEFAULT 0,
    announcements INTEGER NOT NULL DEFAULT 0,
    started_by TEXT
);
CREATE TABLE IF NOT EXISTS history_messages (
    id INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL,
    author_hash TEXT NOT NULL,
    author_name TEXT NOT NULL,
    at TEXT NOT NULL,
    content TEXT NOT NULL,
    extras TEXT NOT NULL DEFAULT '[]',
    reply_to INTEGER,
    mentions TEXT NOT NULL DEFAULT '[]',
    bot INTEGER NOT NULL DEFAULT 0,
    marked INTEGER NOT NULL DEFAULT 0,
    parent INTEGER,
    root INTEGER,
    role TEXT,
    number INTEGER,
    asker TEXT,
    news INTEGER,
    continues INTEGER,
    forwarded TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS history_messages_channel ON history_messages (channel_id, id);
CREATE INDEX IF NOT EXISTS history_messages_root ON history_messages (root);
CREATE INDEX IF NOT EXISTS history_messages_author ON history_messages (author_hash);
CREATE INDEX IF NOT EXISTS history_messages_continues ON history_messages (continues);
CREATE TABLE IF NOT EXISTS history_owed (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    work TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS history_left_out (
    channel_id INTEGER NOT NULL,
    root INTEGER NOT NULL,
    PRIMARY KEY (channel_id, root)
);
CREATE TABLE IF NOT EXISTS history_forgotten (
    guild_id INTEGER NOT NULL,
    author_hash TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (guild_id, author_hash)
);
"""
CHANNEL, THREAD, PRIVATE_THREAD, FORUM_POST = "channel", "thread", "private_thread", "forum_post"
UNTITLED = "(untitled)"  # a thread's or a post's name, where the member whose words it was is forgotten
Owed = tuple[set[tuple[int, int]], list[str], int]  # index work: (channel, root) exchanges, sources dropped, removed


def read_owed(db: sqlite3.Connection) -> Owed:
    """The index work the state database is ahead of the index by (``HistoryStore.owe``)."""
    row = db.execute("SELECT work FROM history_owed WHERE id = 0").fetchone()
    touched, sources, removed = json.loads(row[0])[:3] if row is not None else ([], [], 0)
    return {(int(c), int(r)) for c, r in touched}, [str(s) for s in sources], int(removed)


def owes_purge(db: sqlite3.Connection) -> int:
    """Whether the work owed takes someone's words back (a member forgotten, a channel dropped): once done, the
    index's files are purged too (``QABot.purge``), and until that is done the purge alone stays owed. The number of
    the last purge owed (``write_owed``), 0 where none is. A fourth item of the work's list (and its number a fifth),
    which a database written before it does not have."""
    owed, number = _purging(db)
    return number if owed else 0


def _purging(db: sqlite3.Connection) -> tuple[bool, int]:
    """Whether a purge is owed, and the number of the last one owed (1 where a database written before they were
    numbered owes one)."""
    row = db.execute("SELECT work FROM history_owed WHERE id = 0").fetchone()
    work = json.loads(row[0]) if row is not None else []
    owed = len(work) > 3 and bool(work[3])
    return owed, int(work[4]) if len(work) > 4 else int(owed)


def owe_more(db: sqlite3.Connection, touched: Iterable[tuple[int, int]] = (), sources: Iterable[str] = (),
             removed: int = 0, *, purge: bool = False) -> list[tuple[int, int]]:
    """Add to the index work owed, in the transaction of the change that makes it due (a process killed before the
    index had it owes it still), and the purge of the index's files where it takes someone's words back (``purge``);
    ``touched``, as a list."""
    touched, sources = sorted(set(touched)), list(sources)
    if touched or sources:  # messages that were in no exchange yet are in no document: nothing is owed
        before, gone, count = read_owed(db)
        write_owed(db, (before | set(touched), list(dict.fromkeys([*gone, *sources])), count + removed),
                   purge=purge or None)
    return touched


def settle(db: sqlite3.Connection, work: Owed, *, done: bool = False) -> None:
    """Add ``work`` to the work owed, before the index is told of it, or (``done``) take it off once the index has
    it: only that work, since another process sharing the database may owe more meanwhile, which it does next (what
    drops or rewrites messages owes its part in its own transaction: ``owe_more``)."""
    touched, sources, removed = read_owed(db)
    if done:
        write_owed(db, (touched - work[0], [s for s in sources if s not in work[1]], max(0, removed - work[2])))
    else:
        write_owed(db, (touched | work[0], list(dict.fromkeys([*sources, *work[1]])), max(removed, work[2])))


def write_owed(db: sqlite3.Connection, work: Owed, *, purge: bool | None = None, purged: int = 0) -> None:
    """Record the work owed (the row goes where none is, not even a purge, nor was one ever); whether it owes a purge
    is kept as it was unless ``purge`` says: True, it does, numbered one more than the last; False, the purge numbered
    ``purged`` (``owes_purge``, read before the work it purges the files of was done) is done. A purge owed since is
    owed still (another process's, whose change may have come after this purge), as it is where work is left."""
    touched, sources, removed = work
    owed, number = _purging(db)  # numbered on from the last, never from 0 again
    if purge is True:
        owed, number = True, number + 1
    elif purge is False:
        owed = owed and (number != purged or bool(touched or sources))
    if not (touched or sources or owed or number):
        db.execute("DELETE FROM history_owed")
    else:
        db.execute("INSERT OR REPLACE INTO history_owed VALUES (0, ?)",
                   (json.dumps([sorted(touched), sources, removed, owed, number]),))


def select_in(db: sqlite3.Connection, column: str, values: list[int], what: str) -> list[tuple]:
    """``what`` of the kept messages whose ``column`` is one of ``values``, 500 at a time (SQLite's bound on variables)."""
    out: list[tuple] = []
    for lo in range(0, len(values), 500):
        part = values[lo : lo + 500]
        out += db.execute(f"SELECT {what} FROM history_messages WHERE {column} IN "
                          f"({','.join('?' * len(part))})", part).fetchall()
    return out


def channel_roots(db: sqlite3.Connection, channel_id: int) -> list[int]:
    """The first message of each of the channel's exchanges."""
    return [r for (r,) in db.execute("SELECT DISTINCT root FROM history_messages WHERE channel_id = ? AND root IS NOT "
                                     "NULL", (channel_id,))]


def exchanges_of(db: sqlite3.Connection, messages: Iterable[tuple[int, int, int | None]]) -> list[tuple[int, int]]:
    """The (channel, root) exchanges that messages (id, channel, root) are in: their own, once linked, and the
    first exchange of each thread one of them was the start of, which opens with it (``linking.starter``)."""
    posted: dict[int, int] = {}
    out = set()
    for message_id, channel_id, root in messages:
        posted[message_id] = channel_id
        if root is not None:
            out.add((channel_id, root))
    ids = list(posted)
    for lo in range(0, len(ids), 500):
        part = ids[lo : lo + 500]
        for thread_id, parent_id in db.execute(f"SELECT id, parent_id FROM history_channels WHERE kind = ? AND id "
                                               f"IN ({','.join('?' * len(part))})", (THREAD, *part)):
            if posted[thread_id] == parent_id:  # a thread's id is the id of the message it was started from
                out.add((thread_id, thread_id))
    return sorted(out)


def execute_in(db: sqlite3.Connection, sql: str, values: list[int]) -> None:
    """``sql``, whose ``{}`` is a list of ``values``, 500 at a time."""
    for lo in range(0, len(values), 500):
        part = values[lo : lo + 500]
        db.execute(sql.format(",".join("?" * len(part))), part)


@dataclass(frozen=True)
class ChannelRow:
    """A channel, thread or forum post whose history is indexed."""

    id: int
    guild_id: int
    parent_id: int | None
    kind: str  # CHANNEL, THREAD, PRIVATE_THREAD, FORUM_POST
    title: str
    tags: tuple[str, ...] = ()
    solved: bool = False
    checkpoint: int = 0  # every message up to this id has been read
    complete: bool = False  # read to its end once: new messages are linked as they come
    owner: str | None = None  # a thread's or a post's: who made it (hashed), whose words its name is
    untitled: str | None = None  # its title with its name left out (UNTITLED), shown once that member is forgotten
    announcements: bool = False  # an announcement channel or its thread: its exchanges open with news
    # A thread started from a message (its history opens with Discord's placeholder for it): that message's author
    # (hashed; "" where Discord no longer says), whose words the thread's name may be. None: not, or not known to be.
    started_by: str | None = None

    @property
    def from_message(self) -> bool:
        return self.started_by is not None


@dataclass(frozen=True)
class Stored:
    """A stored message: the message, and its place in its conversation once linked (``root`` is not None)."""

    message: ChatMessage
    channel_id: int
    parent: int | None = None
    root: int | None = None
    role: str | None = None
    number: int | None = None
    asker: str | None = None
    news: bool = False

    @property
    def id(self) -> int:
        return int(self.message.id)

    @property
    def opener(self) -> tuple[str, bool]:
        return (self.asker or self.message.author_key, self.news)


@dataclass(frozen=True)
class Link:
    """Where linking put a message: what it responds to, its exchange, its role, its place, its exchange's asker."""

    id: int
    parent: int
    root: int
    role: str | None
    number: int
    asker: str
    news: bool
    continues: int | None = None  # the exchange this one goes on with (a conversation too long for one)


MESSAGE = ("id, channel_id, author_hash, author_name, at, content, extras, reply_to, mentions, bot, marked, parent, "
            "root, role, number, asker, news, forwarded")
# Columns added after a state database may have been made: (table, column, its definition).
ADDED = (("history_messages", "continues", "INTEGER"), ("history_messages", "forwarded", "TEXT NOT NULL DEFAULT ''"),
          ("history_channels", "owner_hash", "TEXT"), ("history_channels", "untitled", "TEXT"),
          ("history_channels", "unnamed", "INTEGER NOT NULL DEFAULT 0"),
          ("history_channels", "announcements", "INTEGER NOT NULL DEFAULT 0"),
          ("history_channels", "started_by", "TEXT"))


def mentions_column(message: ChatMessage) -> str:
    """Whom a message mentions, as its row keeps them: each member's key, with the name the mention showed (``{key:
    name}``), so that forgetting them takes that name out of the message whatever they are called by then."""
    shown = dict(message.mentioned_as)
    return json.dumps({key: shown.get(key, "") for key in sorted(message.mentions)})


def shown_as(db: sqlite3.Connection, key: str, where: str, args: tuple) -> set[str]:
    """The names the mentions of the member ``key`` showed in the messages ``where`` selects, which those messages'
    rows keep no more: the names to take out of them as that member is forgotten."""
    names, rows = set(), []
    for message_id, mentions in db.execute(f"SELECT id, mentions FROM history_messages WHERE {where}", args):
        kept = json.loads(mentions)  # a list of keys alone, as a database from before names were kept has it
        if isinstance(kept, dict) and kept.get(key):
            names.add(kept[key])
            rows.append((json.dumps({**kept, key: ""}), message_id))
    db.executemany("UPDATE history_messages SET mentions = ? WHERE id = ?", rows)
    return names


def from_row(row: tuple) -> Stored:
    """A ``history_messages`` row (``MESSAGE``'s columns) as the message it keeps."""
    (message_id, channel_id, author_hash, author_name, at, content, extras, reply_to, mentions, bot, marked, parent,
     root, role, number, asker, news, forwarded) = row
    mentioned = json.loads(mentions)  # ``mentions_column``, or a list of keys alone (a database from before)
    message = ChatMessage(id=str(message_id), author=author_name, author_key=author_hash, date=at, content=content,
                          extras=tuple(json.loads(extras)), reply_to=str(reply_to) if reply_to is not None else None,
                          names=frozenset({author_hash}), mentions=frozenset(mentioned), bot=bool(bot),
                          mentioned_as=tuple(sorted(mentioned.items())) if isinstance(mentioned, dict) else (),
                          marked=bool(marked), forwarded=forwarded)
    return Stored(message, channel_id, parent, root, role, number, asker, bool(news))


def quotes(highlight: str, paragraph: str, now: str | None = None) -> bool:
    """Whether a highlight quotes a message's paragraph: it is within it (a long message's best sentence), or holds
    it, or a paragraph of it does one or the other (a highlight may run from one message into the next); with
    ``now``, the paragraph as the message reads since an edit, a paragraph of the highlight still within it does not
    count (one that holds more than it, as one cut short by the edit does, counts)."""
    return any(part and (part in paragraph or paragraph in part) and not (now is not None and part in now)
               for part in highlight.split(SEPARATOR))


def unquote_naming(db: sqlite3.Connection, guild_id: int, name: str) -> None:
    """The stored answers of a server (and direct messages' that quoted its history) whose highlight quotes a member
    by ``name``, a message of theirs ("Name: ...") or a mention ("@Name"), lose it: ``name`` whole, so forgetting "ed"
    leaves "Ted: ..." and "@Eddie" quoted (case as it is written: as the names are shown)."""
    said = re.compile(f"{bounded(name)}: |@{bounded(name)}")
    rows = db.execute("SELECT id, highlight FROM answers WHERE (guild_id = ? OR guild_id IS NULL AND "
                      "instr(passages, ?) > 0) AND (instr(highlight, ?) > 0 OR instr(highlight, ?) > 0)",
                      (guild_id, f"discord/{guild_id}/", f"{name}: ", f"@{name}")).fetchall()
    db.executemany("UPDATE answers SET highlight = NULL WHERE id = ?", [(i,) for i, shown in rows if said.search(shown)])


def unquote(state: FeedbackStore, db: sqlite3.Connection, gone: Iterable[Stored] = (), *, channels: Iterable[int] = (),
            now: Mapping[int, str] | None = None) -> None:
    """Blank the highlight of each stored answer (``qabot.feedback``: what its buttons and ``qabot feedback
    export`` show) that quoted what leaves the history: a message of ``gone`` (its paragraph, in an exchange of
    its channel or of a thread started from it; with ``now``, edited, a part of the highlight its new text does
    not hold), or anything of ``channels``. Wherever the answer was given (a direct message's too), it keeps its
    question and votes. The highlight is its first excerpt's, in the document ``doc_id`` names:
    ``<channel>-<first message>[-part]`` (``exchange_id``)."""
    said: dict[str, list[tuple[str, str | None]]] = {}
    for stored in gone:
        for where in (str(stored.channel_id), str(stored.id)):  # a thread started from it has its id
            said.setdefault(where, []).append((stored.message.text, (now or {}).get(stored.id)))
    everything = {str(c) for c in channels}
    places = [*said, *everything]
    blank = []
    if places:
        state.taken_back()  # their words: once deleted, they leave the file too (``FeedbackStore``)
    for lo in range(0, len(places), 500):
        part = places[lo : lo + 500]
        rows = db.execute("SELECT id, doc_id, highlight FROM answers WHERE highlight IS NOT NULL AND "
                          f"substr(doc_id, 1, instr(doc_id, '-') - 1) IN ({','.join('?' * len(part))})", part)
        for answer_id, doc_id, highlight in rows:
            where = doc_id.split("-", 1)[0]
            if where in everything or any(quotes(highlight, text, now) for text, now in said.get(where, ())):
                blank.append((answer_id,))
    db.executemany("UPDATE answers SET highlight = NULL WHERE id = ?", blank)
