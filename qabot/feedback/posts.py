"""The bot's own messages that show an answer, in the state database: what to edit once something is taken back.

An answer posted in a server's channel (``/ask``, a mention, a forum post, **Post publicly**)
shows its question in its title and quotes excerpts, which may be a server's history. The
state database forgets a deleted message, a forgotten member's messages and the questions
taken back (``qabot.feedback.store``, ``qabot.history.store``), but Discord keeps the bot's
message as it was sent. ``Posts`` records, for each such message of the bot's (its id and
channel: the bot's own, never a member's, and never in a direct message, whose channel names
one person), the answer it shows and, for each excerpt it shows, the history messages that
excerpt quotes, as salted hashes (``FeedbackStore.message_hash``) with the members each
names (its author and those it mentions, as ``user_hash``) and their channels (hashed too: a
channel or thread deleted takes its messages without an event for each). A deletion, a forgetting or a
question taken back then finds the messages to edit (``quoting``, ``naming``, ``showing``);
an excerpt found is taken from the record, so it is edited once. The records go with the
retention, and with a server the bot leaves (``drop_posts``).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qabot.feedback.store import FeedbackStore

# An excerpt's history messages: (id, its channel, the member hashes it names).
Quoted = Iterable[tuple[int, int, Iterable[str]]]


@dataclass(frozen=True)
class Post:
    """A message of the bot's to edit: where it is, which of the excerpts it shows to take out (0: the best, in its
    description; n: the source numbered n + 1), and whether its question was taken back."""

    message_id: int
    channel_id: int
    excerpts: frozenset[int] = frozenset()
    question: bool = False


class Posts:
    """The records of the bot's posted answers, in the state database ``store``."""

    def __init__(self, store: FeedbackStore) -> None:
        self.state = store

    def record(self, message_id: int, channel_id: int, guild_id: int, answer_id: str,
               quoted: Sequence[Quoted]) -> None:
        """The bot's message ``message_id`` in a server's channel shows answer ``answer_id``, and its excerpts, in
        order, quote the history messages ``quoted``."""
        rows = {(message_id, number, self.state.message_hash(quote), who)
                for number, messages in enumerate(quoted) for quote, _, names in messages for who in names}
        # A channel (or thread) deleted takes its messages without an event for each: found by its own key.
        rows |= {(message_id, number, self._channel(channel), "")
                 for number, messages in enumerate(quoted) for _, channel, _ in messages}
        with self.state.transaction() as db:
            db.execute("INSERT OR REPLACE INTO posts VALUES (?, ?, ?, ?, ?)",
                       (message_id, channel_id, guild_id, answer_id, time.time()))
            db.executemany("INSERT OR IGNORE INTO post_quotes VALUES (?, ?, ?, ?)", sorted(rows))

    def quoting(self, message_ids: Iterable[int], channel_ids: Iterable[int] = ()) -> list[Post]:
        """The posts whose excerpts quote one of these messages, or a message of these channels (deleted), taken
        from the record."""
        hashes = [*map(self.state.message_hash, message_ids), *map(self._channel, channel_ids)]
        found = []
        for lo in range(0, len(hashes), 500):  # a purge's hundred, or a channel's threads
            part = tuple(hashes[lo : lo + 500])
            found += self._take(f"message_hash IN ({', '.join('?' * len(part))})", part)
        return found

    def _channel(self, channel_id: int) -> str:
        """A quoted message's channel as the record keeps it: salted and hashed, apart from any message's id."""
        return self.state.user_hash(f"discord-quoted-channel:{channel_id}")

    def naming(self, member: str, guild_id: int) -> list[Post]:
        """The posts in a server whose excerpts quote a message by, or mentioning, ``member`` (a salted hash: forgotten
        there), taken from the record."""
        return self._take("member_hash = ? AND post_id IN (SELECT message_id FROM posts WHERE guild_id = ?)",
                          (member, guild_id))

    def showing(self, answer_ids: Iterable[str]) -> list[Post]:
        """The posts of these answers, whose questions were taken back."""
        ids = list(answer_ids)
        if not ids or not self.state.exists():
            return []
        found = []
        with self.state.transaction() as db:
            for lo in range(0, len(ids), 500):
                part = ids[lo : lo + 500]
                found += db.execute("SELECT message_id, channel_id FROM posts WHERE answer_id IN "
                                    f"({', '.join('?' * len(part))})", part).fetchall()
        return [Post(message_id, channel_id, question=True) for message_id, channel_id in found]

    def _take(self, where: str, args: tuple) -> list[Post]:
        if not self.state.exists():
            return []
        with self.state.transaction() as db:
            found = db.execute("SELECT DISTINCT q.post_id, p.channel_id, q.excerpt FROM post_quotes q JOIN posts p ON "
                               f"p.message_id = q.post_id WHERE {where}", args).fetchall()
            db.executemany("DELETE FROM post_quotes WHERE post_id = ? AND excerpt = ?",
                           [(post, excerpt) for post, _, excerpt in found])
        posts: dict[int, Post] = {}
        for post, channel_id, excerpt in found:
            before = posts.get(post, Post(post, channel_id))
            posts[post] = Post(post, channel_id, before.excerpts | {excerpt})
        return list(posts.values())


def drop_posts(db: sqlite3.Connection, where: str, args: tuple) -> None:
    """Forget the records of the posts ``where`` selects (past the retention, or in a server the bot left)."""
    db.execute(f"DELETE FROM post_quotes WHERE post_id IN (SELECT message_id FROM posts WHERE {where})", args)
    db.execute(f"DELETE FROM posts WHERE {where}", args)
