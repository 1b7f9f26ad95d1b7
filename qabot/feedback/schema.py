"""The answers and votes tables of the state database (``qabot.feedback.store``): their schema, and bringing a
database an earlier release made up to it.

- 1: the first; a direct message's channel id was kept in clear.
- 2: ``channel_hash``: a direct message's channel as a salted hash, its id no longer kept.
- 3: ``about_hash``: whose message a question asked through "Ask qabot" was (its words are theirs),
  so that ``/qabot forget`` of them takes it out too.
- 4: ``message_hash``: that message, as a salted hash of its id, so that its deletion (or an edit) takes the
  question out too.
- 5: ``posts`` and ``post_quotes`` (``POSTS``): the bot's own messages that show an answer in a server's
  channel, and the history messages each shown excerpt quotes (salted hashes of their ids, and of the members
  they name), so that the bot edits what it posted once a quote or a question is taken back
  (``qabot.feedback.posts``). An older qabot, which would leave them unedited, refuses the database.
- 6: ``part_start``, ``part_end`` and ``part_hash`` on ``post_quotes``: the part of a quoted message's text that the
  excerpt shows (where it is in that text, and a salted hash of it, never the text), so that an edit that takes it
  out of the message edits the post, and one elsewhere in the message does not. A quote recorded before has none:
  any edit of its message edits the post. An older qabot, which would leave them unedited (and whose record of a
  post names four columns), refuses the database.
- 7: a bridged person's key (``qabot.corpus.chat.bridged_key``), kept in the history's tables and ``post_quotes``,
  hashes their name with the database's salt: the plain hash kept before named whoever guessed the name (in
  ``history_forgotten``, someone who asked to be forgotten). Those kept are salted in place (``BRIDGED_KEYS``).
  An older qabot, which would key a bridged person the old way and so keep a forgotten one's messages, refuses the
  database.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable

from qabot.corpus.chat import salted_name

SCHEMA_VERSION = 7
SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    at REAL NOT NULL,
    frontend TEXT NOT NULL,
    question TEXT NOT NULL,
    history TEXT NOT NULL,
    query TEXT NOT NULL,
    answered INTEGER NOT NULL,
    confidence REAL NOT NULL,
    scope TEXT,
    passages TEXT NOT NULL,
    highlight TEXT,
    doc_id TEXT,
    guild_id INTEGER,
    channel_id INTEGER,
    user_hash TEXT,
    build TEXT,
    channel_hash TEXT,
    about_hash TEXT,
    message_hash TEXT
);
CREATE INDEX IF NOT EXISTS answers_at ON answers (at);
CREATE TABLE IF NOT EXISTS votes (
    answer_id TEXT NOT NULL REFERENCES answers (id),
    user_hash TEXT NOT NULL,
    value INTEGER NOT NULL CHECK (value IN (-1, 1)),
    at REAL NOT NULL,
    PRIMARY KEY (answer_id, user_hash)
);
"""
POSTS = """
CREATE TABLE IF NOT EXISTS posts (
    message_id INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL,
    guild_id INTEGER NOT NULL,
    answer_id TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS posts_answer ON posts (answer_id);
CREATE TABLE IF NOT EXISTS post_quotes (
    post_id INTEGER NOT NULL REFERENCES posts (message_id),
    excerpt INTEGER NOT NULL,
    message_hash TEXT NOT NULL,
    member_hash TEXT NOT NULL,
    part_start INTEGER,
    part_end INTEGER,
    part_hash TEXT,
    PRIMARY KEY (post_id, excerpt, message_hash, member_hash)
);
CREATE INDEX IF NOT EXISTS post_quotes_message ON post_quotes (message_hash);
CREATE INDEX IF NOT EXISTS post_quotes_member ON post_quotes (member_hash);
"""
# Columns added after a database may have been made: (table, column, type); then the indexes on them.
ADDED = (("answers", "about_hash", "TEXT"), ("answers", "message_hash", "TEXT"), ("post_quotes", "part_start", "INTEGER"),
         ("post_quotes", "part_end", "INTEGER"), ("post_quotes", "part_hash", "TEXT"))
INDEXES = ("CREATE INDEX IF NOT EXISTS answers_message ON answers (message_hash) WHERE message_hash IS NOT NULL",)


# Where a bridged person's key is kept: (table, column).
BRIDGED_KEYS = (("history_messages", "author_hash"), ("history_messages", "asker"), ("history_channels", "owner_hash"),
                ("history_channels", "started_by"), ("history_forgotten", "author_hash"), ("post_quotes", "member_hash"))
_PLAIN_BRIDGED = re.compile(r"(\*|[0-9a-f]{32})/([0-9a-f]{16})")  # a webhook's key (or any), the name's plain hash


def migrate(db: sqlite3.Connection, version: int, channel_hash: Callable[[int], str],
            salted: Callable[[str], str]) -> None:
    """Bring a database at schema ``version`` (0: new) up to ``SCHEMA_VERSION``, in the caller's transaction
    (``salted``: the store's salted hash, ``FeedbackStore.user_hash``)."""
    if version == 1:  # to 2: a direct message's channel id, stored in clear, becomes its salted hash
        db.execute("ALTER TABLE answers ADD COLUMN channel_hash TEXT")
        rows = db.execute("SELECT id, channel_id FROM answers WHERE guild_id IS NULL AND channel_id IS NOT NULL")
        for answer_id, channel_id in rows.fetchall():
            db.execute("UPDATE answers SET channel_hash = ?, channel_id = NULL WHERE id = ?",
                       (channel_hash(channel_id), answer_id))
    for statement in (SCHEMA + POSTS).split(";"):
        if statement.strip():
            db.execute(statement)
    for table, column, kind in ADDED:
        if column not in {row[1] for row in db.execute(f"PRAGMA table_info({table})")}:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    for index in INDEXES:  # answers_message: every message deleted or edited is looked up, and few answers hold one
        db.execute(index)
    if 0 < version < 7:
        _salt_bridged_keys(db, salted)


def _salt_bridged_keys(db: sqlite3.Connection, salted: Callable[[str], str]) -> None:
    """Salt the bridged people's keys a database before version 7 kept as their names' plain hashes."""
    def salt(key: str | None) -> str | None:
        plain = _PLAIN_BRIDGED.fullmatch(key) if key else None
        return f"{plain[1]}/{salted_name(plain[2], salted)}" if plain else key

    db.create_function("qabot_salt_bridged", 1, salt, deterministic=True)
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table, column in BRIDGED_KEYS:  # the history's tables are made on first use: maybe not yet
        if table in tables:
            db.execute(f"UPDATE OR REPLACE {table} SET {column} = qabot_salt_bridged({column}) "
                       f"WHERE {column} LIKE '%/%'")


def filters(guild_id: int | None, since: float | None, prefix: str = "") -> tuple[str, tuple]:
    """A WHERE clause (and its arguments) for the answers of one guild, and since a time, when given."""
    clauses, args = [], []
    if guild_id is not None:
        clauses.append(f"{prefix}guild_id = ?")
        args.append(guild_id)
    if since is not None:
        clauses.append(f"{prefix}at >= ?")
        args.append(since)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(args)
