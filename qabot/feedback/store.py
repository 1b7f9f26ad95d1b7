"""The state database: every answer a front-end gave, and the votes on it, in SQLite.

It lives in the state folder (``QABOT_STATE_DIR``; by default ``qabot-state`` beside the
index folder, never inside a build, which a rebuild replaces), so answers and votes
survive restarts and rebuilds, and several processes (shards) can share it: SQLite in
WAL mode with a busy timeout.

A row of ``answers`` holds the question and the history it was asked with, as the core reads them (``clean_text``:
the same words are kept alike from every door, the REPL's pasted line as Discord's message), the searched
query, the answered flag and the confidence, the scope, the cited passages (source,
document, offsets, a hash of the text), the best excerpt's highlight (the gold of an
exported question), the guild and channel ids, a salted hash of the user id (and, for a question
asked about a message with "Ask qabot", of its author, ``about_hash``, and of its id, ``message_hash``), the time
and the index build. The user id itself is never stored: ``user_hash`` is an HMAC with
a random salt kept in the state folder (``salt``, readable by its owner only). Nor is a
direct message's channel id, which names one user as surely: it is kept the same way
(``channel_hash``). The database is readable by its owner only, whatever the folder.
A user has one vote per answer (``votes``' primary key); voting again changes it.
With ``QABOT_STATE_RETENTION_DAYS`` set, answers older than that go, with their votes,
when the store is first used and then hourly. A server's answers go, with their votes, when
the bot leaves it (``forget_guild``), and a member's questions go when they are forgotten
there, with those they asked in direct messages and others' that name them (``forget_member``), and a
question asked about a message goes when that message is deleted or edited (``forget_messages``); a
highlight that quoted the server's history goes when the message it quoted is deleted or edited away, or
its author forgotten (``qabot.history.store``).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from qabot.errors import QABotError, StateError
from qabot.feedback.folder import DATABASE, SALT, check_folder, state_dir
from qabot.feedback.forgetting import drop_answers, drop_naming, drop_theirs, naming, unfollow
from qabot.feedback.posts import drop_posts
from qabot.feedback.schema import SCHEMA_VERSION, filters, migrate
from qabot.models import Answer
from qabot.search.inputs import clean_history, clean_text

if TYPE_CHECKING:
    from qabot.settings import Settings

log = logging.getLogger(__name__)

HELPFUL, NOT_HELPFUL = 1, -1
Frontend = str  # "slash", "mention", "dm", "menu", "forum", "repl", "library"


@dataclass(frozen=True)
class StoredAnswer:
    """An answer as the store keeps it: enough to ask it again, or to turn it into an eval question."""

    id: str
    at: float
    frontend: str
    question: str
    history: list[str]
    query: str
    answered: bool
    confidence: float
    scope: list[str] | None
    highlight: str | None
    doc_id: str | None
    guild_id: int | None
    channel_id: int | None  # None for a direct message: see channel_hash
    build: str | None
    channel_hash: str | None = None  # a direct message's channel, as a salted hash


@dataclass(frozen=True)
class Vote:
    """What a vote did: the value now, and the one it replaced (None for a first vote)."""

    value: int
    previous: int | None

    @property
    def changed(self) -> bool:
        return self.previous is not None and self.previous != self.value


@dataclass(frozen=True)
class Forgotten:
    """What ``forget_member`` took out: the questions, by answer id, and how many of them they asked in the server
    (those in direct messages are theirs alone to know of; those asked about their messages, others')."""

    questions: dict[str, str]
    in_server: int


class FeedbackStore:
    """The SQLite state database. Safe to share between threads; several processes may open it too."""

    PRUNE_SECONDS = 3600.0  # how often a long-running store deletes what is past its retention

    def __init__(self, folder: Path, *, retention_days: float | None = None) -> None:
        self.folder = Path(folder)
        check_folder(self.folder)  # a file: one line now, not "No feedback yet" (or a failed vote) later
        self.path = self.folder / DATABASE
        self.retention_days = retention_days
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._salt: bytes | None = None
        self._pruned: float | None = None  # when prune last ran (monotonic); None: not yet
        self._wipe = True  # empty the WAL after this commit (``taken_back``); the first: what a killed process left

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedbackStore:
        return cls(state_dir(settings), retention_days=settings.state_retention_days)

    def exists(self) -> bool:
        return self.path.exists()

    # -- writing --------------------------------------------------------------------------

    def record(
        self,
        answer: Answer,
        *,
        frontend: Frontend,
        history: Sequence[str] | str | None = (),
        scope: Sequence[str] | str | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        user: str | int | None = None,
        build: str | None = None,
        answer_id: str | None = None,
        about: str | int | None = None,
        message: int | None = None,
        at: float | None = None,
    ) -> str:
        """Store ``answer`` and return its id (a new random one unless ``answer_id`` is given). Its question and
        ``history`` are kept cleaned as the core reads them, whichever door passed them raw (a ``history`` as
        ``QABot.ask`` takes it: one string is one earlier question; a ``scope`` too, one string one pattern).

        A direct message (no ``guild_id``) keeps its ``channel_id`` only as a salted hash. ``about``: whose
        message the question was asked about ("Ask qabot"), whose words it is; kept as ``user`` is, hashed.
        ``message``: that message's id (a mention's own), kept hashed too (``forget_messages``); ``at``: when it was
        asked, by Discord's clock, which an edit's time is compared with (else now)."""
        answer_id = answer_id or new_id()
        channel_hash = self.channel_hash(channel_id) if guild_id is None and channel_id is not None else None
        if channel_hash is not None:
            channel_id = None
        if isinstance(scope, str):
            scope = [scope]  # one pattern, as QABot.ask's sources
        best = answer.excerpts[0] if answer.excerpts else None
        passages = [
            {"source": e.citation.source, "doc_id": e.citation.doc_id, "start": e.citation.start,
             "end": e.citation.end, "highlight_start": e.highlight_start, "highlight_end": e.highlight_end,
             "sha256": hashlib.sha256(e.text.encode("utf-8", "surrogatepass")).hexdigest()}
            for e in answer.excerpts
        ]
        row = (
            answer_id, time.time() if at is None else at, frontend, clean_text(answer.question),
            json.dumps(clean_history(history, None), ensure_ascii=False), answer.query,
            int(answer.answered), float(answer.confidence),
            json.dumps(list(scope), ensure_ascii=False) if scope is not None else None,
            json.dumps(passages, ensure_ascii=False), best.highlight if best else None,
            best.citation.doc_id if best else None, guild_id, channel_id,
            self.user_hash(user) if user is not None else None, build, channel_hash,
            self.user_hash(about) if about is not None else None,
            self.message_hash(message) if message is not None else None,
        )
        with self._connection() as db:  # by name: a column added to an older database comes last there
            db.execute("INSERT OR REPLACE INTO answers (id, at, frontend, question, history, query, answered, "
                       "confidence, scope, passages, highlight, doc_id, guild_id, channel_id, user_hash, build, "
                       f"channel_hash, about_hash, message_hash) VALUES ({', '.join('?' * len(row))})", row)
        return answer_id

    def prune(self) -> int:
        """Delete the answers older than the retention (and their votes) now; returns how many went."""
        if self.retention_days is None:
            return 0
        with self._connection() as db:
            return self._prune(db)

    def _prune(self, db: sqlite3.Connection) -> int:
        self._pruned = time.monotonic()
        assert self.retention_days is not None
        cutoff = time.time() - self.retention_days * 86400
        gone, _ = drop_answers(db, "at < ?", (cutoff,))
        drop_posts(db, "at < ?", (cutoff,))  # the bot's messages that showed them (``posts``)
        if gone:
            self.taken_back()
            log.info("deleted %d answer(s) older than %g days from %s (QABOT_STATE_RETENTION_DAYS)",
                     gone, self.retention_days, self.path)
        return gone

    def forget_guild(self, guild_id: int) -> tuple[int, int, int]:
        """The bot left a server: its answers go, with the votes on them, and an answer in a direct message whose
        highlight quoted that server's history (``discord/<guild>/``) keeps its question without it, as
        ``/qabot forget`` blanks a highlight that quoted a member. How many (answers, votes, highlights) went."""
        if not self.exists():
            return 0, 0, 0
        source = f"discord/{guild_id}/"
        with self._connection() as db:
            self.taken_back()
            answers, votes = drop_answers(db, "guild_id = ?", (guild_id,))
            drop_posts(db, "guild_id = ?", (guild_id,))
            quoting = db.execute("SELECT id, passages FROM answers WHERE guild_id IS NULL AND highlight IS NOT NULL "
                                 "AND instr(passages, ?) > 0", (source,)).fetchall()
            blanked = [(answer_id,) for answer_id, passages in quoting  # the highlight is the first passage's
                       if str(json.loads(passages)[0].get("source", "")).startswith(source)]
            db.executemany("UPDATE answers SET highlight = NULL WHERE id = ?", blanked)
        return answers, votes, len(blanked)

    def forget_member(self, guild_id: int, user: str | int, names: Iterable[str] = ()) -> Forgotten:
        """``/qabot forget``: the answers ``user`` asked for in a server go, with the votes on them (their question
        is their words), as a server's go when the bot leaves it, and so do those they asked for in direct messages
        (their words as much, and quoting any server's history), and those others asked about a message of theirs
        ("Ask qabot"); a later question in the server that followed one of these keeps its answer, without it in its
        ``history``, and with its own question as its searched query (which may borrow from it). Others' questions
        there and in direct messages that name them by one of ``names`` go too (``forgetting.drop_naming``), and their
        votes on others' answers there (``forgetting.drop_theirs``)."""
        if not self.exists():
            return Forgotten({}, 0)
        who = self.user_hash(user)
        theirs = "(guild_id = ? OR guild_id IS NULL) AND (user_hash = ? OR about_hash = ?)"
        with self._connection() as db:
            self.taken_back()
            found = db.execute(f"SELECT id, question, guild_id, user_hash, channel_hash FROM answers WHERE {theirs}",
                               (guild_id, who, who)).fetchall()
            drop_theirs(db, theirs, guild_id, who)
            gone = {question for _, question, *_ in found}.__contains__
            unfollow(db, gone, "guild_id = ?", (guild_id,))
            for channel in {channel for _, _, where, _, channel in found if where is None}:  # followed where asked
                unfollow(db, gone, "guild_id IS NULL AND channel_hash = ?", (channel,))
            named = drop_naming(db, naming(names), "guild_id = ? OR guild_id IS NULL AND channel_hash IS NOT NULL",
                                (guild_id,))
        return Forgotten({answer_id: question for answer_id, question, *_ in found} | named,
                         sum(where is not None and asker == who for _, _, where, asker, _ in found))

    def forget_messages(self, message_ids: Iterable[int], *, edited: float | None = None) -> dict[str, str]:
        """Messages deleted (or one ``edited`` at that time, but a post's: tags, "[SOLVED]"): the answers asked about or
        by one (before the edit) go with their votes, as ``forget_member``'s do. Their questions, by id."""
        if not self.exists():
            return {}
        hashes = [self.message_hash(message_id) for message_id in message_ids]  # 100 at most: a purge's
        edit = " AND at < ? AND frontend != 'forum'" if edited is not None else ""
        where = f"message_hash IN ({', '.join('?' * len(hashes))}){edit}"
        args = (*hashes, edited) if edited is not None else tuple(hashes)
        with self._connection() as db:
            found = db.execute(f"SELECT id, question, guild_id, channel_hash FROM answers WHERE {where}",
                               args).fetchall()
            if found:  # most deletions and edits are of messages nobody asked about: nothing is written
                self.taken_back()
                drop_answers(db, where, args)
            for _, question, guild_id, channel_hash in found:  # followed where it was asked: a server, or a DM
                if guild_id is not None:
                    unfollow(db, {question}.__contains__, "guild_id = ?", (guild_id,))
                else:
                    unfollow(db, {question}.__contains__, "guild_id IS NULL AND channel_hash = ?", (channel_hash,))
        return {answer_id: question for answer_id, question, _, _ in found}

    def vote(self, answer_id: str, user: str | int, value: Literal[1, -1]) -> Vote | None:
        """Record ``user``'s vote (``HELPFUL`` or ``NOT_HELPFUL``) on an answer; None when the answer is unknown."""
        if value not in (HELPFUL, NOT_HELPFUL):
            raise QABotError(f"a vote is {HELPFUL} (helpful) or {NOT_HELPFUL} (not helpful), not {value!r}")
        who = self.user_hash(user)
        with self._connection() as db:
            if db.execute("SELECT 1 FROM answers WHERE id = ?", (answer_id,)).fetchone() is None:
                return None
            old = db.execute("SELECT value FROM votes WHERE answer_id = ? AND user_hash = ?",
                             (answer_id, who)).fetchone()
            db.execute("INSERT INTO votes VALUES (?, ?, ?, ?) ON CONFLICT (answer_id, user_hash) "
                       "DO UPDATE SET value = excluded.value, at = excluded.at", (answer_id, who, value, time.time()))
        return Vote(value, old[0] if old else None)

    # -- reading --------------------------------------------------------------------------

    def get(self, answer_id: str) -> StoredAnswer | None:
        if not self.exists():
            return None
        with self._connection() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM answers WHERE id = ?", (answer_id,)).fetchone()
        return _stored(row) if row else None

    def cited(self, answer_id: str) -> list[tuple[str, int, int]]:
        """Where a stored answer's excerpts are (source, start, end), in the order it showed them."""
        if not self.exists():
            return []
        with self._connection() as db:
            row = db.execute("SELECT passages FROM answers WHERE id = ?", (answer_id,)).fetchone()
        return [(p["source"], p["start"], p["end"]) for p in json.loads(row[0])] if row else []

    def answers(self, *, guild_id: int | None = None, since: float | None = None) -> list[StoredAnswer]:
        """Stored answers, oldest first: of one guild, and since a time, when given."""
        if not self.exists():
            return []
        where, args = filters(guild_id, since)
        with self._connection() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM answers{where} ORDER BY at", args).fetchall()
        return [_stored(row) for row in rows]

    def tallies(self, *, guild_id: int | None = None) -> dict[str, tuple[int, int]]:
        """(helpful, not helpful) votes by answer id."""
        if not self.exists():
            return {}
        where, args = filters(guild_id, None, prefix="a.")
        with self._connection() as db:
            rows = db.execute(
                "SELECT v.answer_id, SUM(v.value = 1), SUM(v.value = -1) FROM votes v "
                f"JOIN answers a ON a.id = v.answer_id{where} GROUP BY v.answer_id", args).fetchall()
        return {answer_id: (up, down) for answer_id, up, down in rows}

    def count(self, *, since: float, guild_id: int | None = None) -> tuple[int, int]:
        """(answers, of which answered) since a time."""
        if not self.exists():
            return 0, 0
        where, args = filters(guild_id, since)
        with self._connection() as db:
            total, answered = db.execute(f"SELECT COUNT(*), COALESCE(SUM(answered), 0) FROM answers{where}",
                                         args).fetchone()
        return total, answered

    # -- identity -------------------------------------------------------------------------

    def user_hash(self, user: str | int) -> str:
        """A salted hash of a user id: the same user always gets the same hash, which reveals nothing."""
        return hmac.new(self._the_salt(), str(user).encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def channel_hash(self, channel_id: int) -> str:
        """A direct message's channel id as the store keeps it: salted and hashed, as a user id is."""
        return self.user_hash(f"discord-dm-channel:{channel_id}")

    def message_hash(self, message_id: int) -> str:
        """A message's id as the store keeps it (the message an "Ask qabot" question was about): salted and hashed."""
        return self.user_hash(f"discord-message:{message_id}")

    def _the_salt(self) -> bytes:
        if self._salt is None:
            self._make_folder()
            path = self.folder / SALT
            try:
                if not path.exists():
                    tmp = self.folder / f".{SALT}.{os.getpid()}.{secrets.token_hex(4)}"
                    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "w") as handle:
                        handle.write(secrets.token_hex(32))
                    with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
                        os.link(tmp, path)
                    tmp.unlink()
                self._salt = bytes.fromhex(path.read_text(encoding="ascii").strip())
            except (OSError, ValueError) as exc:
                raise StateError(f"cannot use the salt in {path}: {exc}") from None
        return self._salt

    # -- the connection -------------------------------------------------------------------

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """One transaction on the state database, for what else is kept beside the answers (``qabot.history``)."""
        return self._connection()

    def taken_back(self) -> None:
        """The transaction under way takes someone's words back: once it commits, the write-ahead log, which keeps
        the pages as they were, is emptied too (as far as other processes' reads let it; ``secure_delete`` wipes)."""
        self._wipe = True

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                if self._db is None:
                    self._db = self._open()
                with self._db:  # one transaction
                    if self.retention_days is not None and (
                            self._pruned is None or time.monotonic() - self._pruned >= self.PRUNE_SECONDS):
                        self._prune(self._db)  # on first use, then hourly, before what was asked
                    yield self._db
                if self._wipe:  # another process reading holds it back: tried again after the next transaction
                    self._wipe = bool(self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0])
            except sqlite3.Error as exc:
                raise StateError(f"the state database {self.path} failed: {exc}") from None

    def _open(self) -> sqlite3.Connection:
        self._make_folder()
        self._owner_only()
        db = sqlite3.connect(self.path, timeout=10.0, check_same_thread=False, isolation_level=None)
        try:  # the tables, a migration and the version it leaves, in one transaction: one process does it, or none
            # secure_delete: what a transaction deletes is wiped from the file, which not every SQLite build does
            db.executescript("PRAGMA journal_mode = WAL; PRAGMA secure_delete = ON; PRAGMA busy_timeout = 10000")
            db.execute("BEGIN IMMEDIATE")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StateError(f"{self.path} was written by a newer qabot (schema {version}); upgrade qabot")
            migrate(db, version, self.channel_hash, self.user_hash)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            db.close()  # what was not committed is rolled back
            raise
        db.isolation_level = "DEFERRED"
        return db

    def _owner_only(self) -> None:
        """Create the database readable by its owner only (SQLite gives its -wal and -shm files the same mode),
        and narrow one made before; never through a link planted in its place."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
            try:
                if os.fstat(fd).st_mode & 0o077:
                    os.fchmod(fd, 0o600)
            finally:
                os.close(fd)
        except OSError as exc:
            raise StateError(f"cannot open the state database {self.path}: {exc.strerror or exc}") from None

    def _make_folder(self) -> None:
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise StateError(f"cannot make the state folder {self.folder} (QABOT_STATE_DIR): "
                             f"{exc.strerror or exc}") from None

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def new_id() -> str:
    """A fresh answer id: 16 hex digits, short enough for a Discord button's custom id."""
    return secrets.token_hex(8)


_COLUMNS = ("id, at, frontend, question, history, query, answered, confidence, scope, highlight, doc_id, "
            "guild_id, channel_id, build, channel_hash")


def _stored(row: tuple) -> StoredAnswer:
    (answer_id, at, frontend, question, history, query, answered, confidence, scope, highlight, doc_id,
     guild_id, channel_id, build, channel_hash) = row
    return StoredAnswer(answer_id, at, frontend, question, json.loads(history), query, bool(answered), confidence,
                        json.loads(scope) if scope else None, highlight, doc_id, guild_id, channel_id, build,
                        channel_hash)

