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
an excerpt found is taken from the record, so it is edited once. For each quoted message the
record keeps the part of its text the excerpt shows, as its place in that text and a salted
hash (schema 6): an edit of the message (``rewritten``, as the history keeps its new text)
that leaves that part in it keeps the excerpt (a typo fixed elsewhere), and one that takes
it out (a password edited away) marks the excerpt, which ``edited`` then finds. The records
go with the retention, and with a server the bot leaves (``drop_posts``).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qabot.corpus.derived import SEPARATOR

if TYPE_CHECKING:
    from qabot.feedback.store import FeedbackStore

# The part of a quoted message's text an excerpt shows: where it starts and ends in that text, and the part itself
# (hashed before it is kept). None: not known (the whole message is taken as shown).
Part = tuple[int, int, str] | None
# An excerpt's history messages: (id, its channel, the member hashes it names, the part of it shown).
Quoted = Iterable[tuple[int, int, Iterable[str], Part]]
EDITED = "edited"  # an excerpt whose quoted text an edit took out, until ``edited`` finds it (no message's hash)


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
        rows = {(message_id, number, self.state.message_hash(quote), who, *self._part(part))
                for number, messages in enumerate(quoted) for quote, _, names, part in messages for who in names}
        # A channel (or thread) deleted takes its messages without an event for each: found by its own key.
        rows |= {(message_id, number, self._channel(channel), "", None, None, None)
                 for number, messages in enumerate(quoted) for _, channel, _, _ in messages}
        with self.state.transaction() as db:
            db.execute("INSERT OR REPLACE INTO posts VALUES (?, ?, ?, ?, ?)",
                       (message_id, channel_id, guild_id, answer_id, time.time()))
            db.executemany("INSERT OR IGNORE INTO post_quotes (post_id, excerpt, message_hash, member_hash, "
                           "part_start, part_end, part_hash) VALUES (?, ?, ?, ?, ?, ?, ?)", sorted(rows, key=str))

    def _part(self, part: Part) -> tuple[int | None, int | None, str | None]:
        if part is None:
            return None, None, None
        start, end, text = part
        return start, end, self._hash(text)

    def _hash(self, text: str) -> str:
        return self.state.user_hash(f"discord-quoted-part:{text}")

    def rewritten(self, db: sqlite3.Connection, edits: Iterable[tuple[int, str, str]]) -> None:
        """Messages edited: (id, its text before, its text now), in the caller's transaction (``HistoryStore``, as it
        keeps the new text). An excerpt that showed a part of one that the new text no longer holds (or a part not
        known) is marked, for ``edited`` to find; one whose part the new text still holds follows it there."""
        for message_id, before, now in edits:
            key = self.state.message_hash(message_id)
            for post, excerpt, start, end, digest in db.execute(
                    "SELECT DISTINCT post_id, excerpt, part_start, part_end, part_hash FROM post_quotes WHERE "
                    "message_hash = ?", (key,)).fetchall():
                part = before[start:end] if start is not None and end is not None and end > start else ""
                if part and self._hash(part) == digest:
                    # Where the part opens the message, its sender's name ("Ana: ") is no words of theirs to take out.
                    still = part if part in now or start else part.partition(": ")[2]
                    if still and still in now:
                        at = now.find(still)
                        db.execute("UPDATE post_quotes SET part_start = ?, part_end = ?, part_hash = ? WHERE post_id = "
                                   "? AND excerpt = ? AND message_hash = ?",
                                   (at, at + len(still), self._hash(still), post, excerpt, key))
                        continue
                db.execute("UPDATE OR REPLACE post_quotes SET message_hash = ? WHERE post_id = ? AND excerpt = ? AND "
                           "message_hash = ?", (EDITED, post, excerpt, key))

    def edited(self) -> list[Post]:
        """The posts whose excerpts an edit of a message they quoted took text out of (``rewritten``), taken from the
        record."""
        return self._take("message_hash = ?", (EDITED,))

    def quoting(self, message_ids: Iterable[int], channel_ids: Iterable[int] = ()) -> list[Post]:
        """The posts whose excerpts quote one of these messages, or a message of these channels (deleted), taken
        from the record."""
        hashes = [*map(self.state.message_hash, message_ids), *map(self._channel, channel_ids)]
        found = []
        for lo in range(0, len(hashes), 500):  # a purge's hundred, or a channel's threads
            part = tuple(hashes[lo : lo + 500])
            found += self._take(f"message_hash IN ({', '.join('?' * len(part))})", part)
        return found

    def quoting_channels(self, guild_id: int, channel_ids: Iterable[int]) -> tuple[list[tuple[int, int, int, str]],
                                                                                    dict[str, int]]:
        """Every excerpt of a server's posts with the channel it quotes, as the record keeps it (``_channel``):
        (post, its channel, excerpt, key); and the keys of ``channel_ids``, to tell them by."""
        keys = {self._channel(channel_id): channel_id for channel_id in channel_ids}
        if not self.state.exists():
            return [], keys
        with self.state.transaction() as db:
            found = db.execute("SELECT q.post_id, p.channel_id, q.excerpt, q.message_hash FROM post_quotes q JOIN posts "
                               "p ON p.message_id = q.post_id WHERE p.guild_id = ? AND q.member_hash = ''",
                               (guild_id,)).fetchall()
        return found, keys

    def taking(self, excerpts: Iterable[tuple[int, int]]) -> list[Post]:
        """These excerpts ((post, excerpt)), taken from the record."""
        pairs, posts = sorted(set(excerpts)), {}
        for lo in range(0, len(pairs), 400):
            part = pairs[lo : lo + 400]
            for post in self._take(f"(post_id, excerpt) IN (VALUES {', '.join(['(?, ?)'] * len(part))})",
                                   tuple(n for pair in part for n in pair)):
                before = posts.get(post.message_id, post)
                posts[post.message_id] = Post(post.message_id, post.channel_id, before.excerpts | post.excerpts)
        return list(posts.values())

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

    def postable(self, answer_id: str, message_id: int) -> bool | None:
        """Whether **Post publicly** may post answer ``answer_id`` under message ``message_id`` (its custom id names
        both, and a client can send any): an "Ask qabot" answer about that very message. None: no such answer."""
        if not self.state.exists():
            return None
        with self.state.transaction() as db:
            found = db.execute("SELECT message_hash, frontend FROM answers WHERE id = ?", (answer_id,)).fetchone()
        return None if found is None else found == (self.state.message_hash(message_id), "menu")

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


def part_shown(paragraph: str, text: str) -> Part:
    """The part of a message's paragraph that ``text``, quoted from its document (an excerpt, or its highlight),
    shows: all of it; the text itself, within it (a long message's best sentence); or, where the text begins or ends
    inside it (at one of the text's own paragraph breaks), the paragraph's end or start. None where neither holds."""
    if paragraph in text:
        return 0, len(paragraph), paragraph
    if text in paragraph:
        at = paragraph.find(text)
        return at, at + len(text), text
    breaks = [at for at in range(len(text)) if text.startswith(SEPARATOR, at)]
    head = next((text[:at] for at in reversed(breaks) if at and paragraph.endswith(text[:at])), "")
    tail = next((text[at + len(SEPARATOR) :] for at in breaks
                 if text[at + len(SEPARATOR) :] and paragraph.startswith(text[at + len(SEPARATOR) :])), "")
    if head and len(head) >= len(tail):
        return len(paragraph) - len(head), len(paragraph), head
    return (0, len(tail), tail) if tail else None


def drop_posts(db: sqlite3.Connection, where: str, args: tuple) -> None:
    """Forget the records of the posts ``where`` selects (past the retention, or in a server the bot left)."""
    db.execute(f"DELETE FROM post_quotes WHERE post_id IN (SELECT message_id FROM posts WHERE {where})", args)
    db.execute(f"DELETE FROM posts WHERE {where}", args)
