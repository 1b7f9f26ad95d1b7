"""``History``: a live chat's messages kept, linked into exchanges, and fed to the index through the document API.

The Discord adapter (``qabot.adapters.discord.history``) turns events and backfilled
pages into ``Changes`` and hands them to ``History.apply`` in a worker thread, batched.
One ``apply`` does, in order:

1. the state database: new and edited messages stored, deleted ones removed, channels
   dropped, marks and checkpoints recorded (``qabot.history.store``);
2. linking: the new messages of a channel read to its end (or up to its checkpoint,
   while a backfill reads it) are linked into their conversations (``linking``);
3. the exchanges touched are laid out again (``linking.documents``) and applied with
   ``QABot.change``, one commit of what is deleted and what is upserted: an exchange whose
   document is unchanged costs a digest compare, and a deleted message is gone from the
   index when ``apply`` returns. An exchange the index refuses (``DocumentError``) is left out,
   with a warning naming it, and the rest is applied; the state database records it, and the
   next start (``catch_up``) tries it again, since the index's limits may have been raised.

A change only marks what it deletes deleted in the index's files. What is taken back for good (a member
forgotten, a channel or a whole server dropped: rare, and worth its cost) is also purged from them
(``QABot.purge``): the segments that held it are rewritten without it.

Every document's source is ``discord/<guild>/<channel>``; which places may quote it is
``qabot.history.privacy``'s to say.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Protocol

from qabot.corpus import deleted
from qabot.corpus.chat import ANY_BRIDGE, MAX_MESSAGES, ChatMessage, any_bridge, bridged_key, exchange_id, unnamed
from qabot.errors import QABotError
from qabot.history import linking
from qabot.history.changes import Changes
from qabot.history.privacy import HistoryChannel
from qabot.history.rows import PRIVATE_THREAD, THREAD, ChannelRow
from qabot.history.store import HistoryStore
from qabot.index.changes import Refresh
from qabot.index.scope import chat_source
from qabot.models import Document
from qabot.text import first_line

log = logging.getLogger(__name__)

EVERYTHING = 2**63 - 1  # above every message id


class DocumentAPI(Protocol):
    """What ``History`` needs of ``QABot``: the document API's one atomic change, and the purge of what it deleted
    from the index's files."""

    def change(self, upsert: Iterable[Document] = (), *, delete: Iterable[str] = (),
               delete_sources: Iterable[str] = (), skip_bad: bool = False) -> Refresh: ...

    def purge(self) -> bool: ...  # QABotError where it cannot


@dataclass(frozen=True)
class Applied:
    """What one ``apply`` did."""

    written: int  # exchange documents the index took (unchanged ones included), not those it left out
    deleted: int  # document ids deleted
    seconds: float


class History:
    """A live chat's history, kept and indexed. ``apply`` is safe from any thread (one at a time)."""

    def __init__(self, qa: DocumentAPI, store: HistoryStore) -> None:
        self.qa = qa
        self.store = store
        self._lock = threading.Lock()
        self._rows = {row.id: row for row in store.channels()}
        self._unread = {row.id for row in self._rows.values() if not row.complete}  # kept in step with ``_keep``
        # Members who asked to be forgotten: never kept again. Read again with every batch and backfill, since
        # another process sharing the state database (a bot split over several) may have been asked.
        self._forgotten = store.forgotten()
        # The names of the members forgotten in this run, by (guild, member): a message read before they were (a
        # batch waiting for its debounce, a backfill's page) is applied after, and its mentions must not name them.
        self._names: dict[tuple[int, str], frozenset[str]] = {}
        # Channels whose backfill failed in this run: their new messages are linked as they come, but their
        # checkpoint stays where reading stopped, so the next start reads what was missed.
        self._skipped: set[int] = set()
        self._awaiting = False  # a new session's backfill has not begun yet (``reopen``)
        # Messages deleted while a backfill may hold them in a page not yet applied: that page must not bring them
        # back. Kept until every channel is read to its end.
        self._deleted: set[int] = set()
        # Messages edited live meanwhile, as they read now: a page read before the edit must not bring their old text
        # back either (read forward, the page's message is taken as edited; read again by the recheck, it yields).
        # With its server, where its channel is kept: a member forgotten there takes theirs out (``forget``).
        self._edited: dict[int, tuple[int | None, ChatMessage]] = {}
        self._marked: set[int] = set()  # and messages marked (or not) meanwhile: a page read before does not undo it
        self._retried = False  # the exchanges left out before have been tried again in this run (``catch_up``)
        self.applied = 0  # batches applied
        self.last_applied: float | None = None  # when (time.time())

    # -- channels ---------------------------------------------------------------------------

    def register(self, row: ChannelRow) -> bool:
        """Add a channel, or update what Discord says of it now; an existing one keeps its checkpoint.

        True where what its documents show changed (its title, kind or solved tag): its
        exchanges are then to be laid out again (``Changes.relay``).
        """
        with self._lock:
            before = self._rows.get(row.id)
            self._keep(self.store.put_channel(row))
        return before is not None and _shown(before) != _shown(self._rows[row.id])

    def reopen(self, *, session: bool = False) -> None:
        """Every channel may have missed messages (the bot was away): new ones wait until a backfill reads it again.
        With ``session`` (a new one's, before its backfill), nothing is read to its end until that backfill reopens:
        a page or a thread of the session before, applied late, would let a live message move a checkpoint."""
        with self._lock:
            self._awaiting = session
            self.store.reopen()
            self._rows = {row.id: row for row in self.store.channels()}
            self._unread = {row.id for row in self._rows.values() if not row.complete}
            self._forgotten = self.store.forgotten()
            self._skipped.clear()

    def _keep(self, row: ChannelRow) -> None:
        """``row`` as the channel is now, and whether it is read to its end (``_unread``: no look at every channel)."""
        self._rows[row.id] = row
        (self._unread.discard if row.complete else self._unread.add)(row.id)

    def hold(self, channel_ids: Iterable[int]) -> None:
        """New messages of these channels were lost (the state database refused their batch): as a skipped channel's,
        their checkpoint stays where it is for the rest of this run, so that the next start reads them again."""
        with self._lock:
            self._skipped |= set(channel_ids) & set(self._rows)

    def forgotten(self, guild_id: int, author_key: str) -> bool:
        """Whether this member asked to be forgotten in this server (or, for a bridged person, their name was)."""
        return (guild_id, author_key) in self._forgotten or (guild_id, any_bridge(author_key)) in self._forgotten

    def kept(self, channel_id: int, after: int, up_to: int, *, limit: int = -1) -> dict[int, ChatMessage]:
        """The channel's messages kept with ids in (``after``, ``up_to``], at most ``limit`` (-1: all), by id."""
        return self.store.between(channel_id, after, up_to, limit=limit)

    def row(self, channel_id: int) -> ChannelRow | None:
        return self._rows.get(channel_id)

    def rows(self) -> list[ChannelRow]:
        return list(self._rows.values())

    def with_threads(self, channel_id: int) -> set[int]:
        """The kept channel (or thread) ``channel_id`` and its kept threads: what goes when it is deleted."""
        return {row.id for row in self.rows() if channel_id in (row.id, row.parent_id)}

    def channels(self) -> list[HistoryChannel]:
        """The channels whose history is indexed, as the privacy rule sees them."""
        return [HistoryChannel(r.guild_id, r.id, r.parent_id, r.kind == PRIVATE_THREAD) for r in list(self._rows.values())]

    # -- changes ----------------------------------------------------------------------------

    def apply(self, changes: Changes) -> Applied:
        """Store, link and index a batch of changes (see the module's docstring)."""
        started = time.perf_counter()
        with self._lock:
            self._forgotten = self.store.forgotten()
            touched: set[tuple[int, int]] = set()  # (channel, root) of the exchanges to lay out again
            sources = []
            threads: dict[int, list[int]] = {}  # of each channel, its threads kept (looked up once, not per channel)
            for r in self._rows.values() if changes.dropped else ():
                if r.kind == THREAD and r.parent_id is not None:
                    threads.setdefault(r.parent_id, []).append(r.id)
            for channel_id in changes.dropped:
                row = self._rows.pop(channel_id, None)
                self._unread.discard(channel_id)
                opening = linking.starter(self.store, row) if row is not None else None
                source = chat_source(row.guild_id, row.id) if row is not None else None
                self.store.drop_channel(channel_id, source)  # which owes the index taking its source out
                if source is not None:
                    sources.append(source)
                if opening is not None and opening.root is not None:  # a thread gone: its question stands again
                    touched.add((opening.channel_id, opening.root))
                # A channel gone: the threads kept without it lose the message they were started from.
                touched |= {(thread, thread) for thread in threads.get(channel_id, ()) if thread in self._rows}
            linkable: dict[int, int] = {}
            for channel_id in changes.skipped & set(self._rows):
                self._keep(replace(self._rows[channel_id], complete=True))
                self._skipped.add(channel_id)
                linkable[channel_id] = EVERYTHING  # what came while it was being read is linked now
            for channel_id, messages in changes.put.items():
                if channel_id not in self._rows or channel_id in changes.dropped:
                    continue
                guild = self._rows[channel_id].guild_id
                kept = [self._unnamed(guild, self._edited.get(int(m.id), (guild, m))[1]) for m in messages
                        if not self.forgotten(guild, m.author_key) and int(m.id) not in self._deleted]
                kept = list(deleted.apart(kept, self._author))  # a deleted helper's answer is not the asker's
                touched |= {(channel_id, root) for root in self.store.put(channel_id, kept)}
                linkable[channel_id] = max((int(m.id) for m in kept), default=0)
                if self._rows[channel_id].complete and linkable[channel_id] and channel_id not in self._skipped:
                    # no gap: it is read up to here
                    self.store.advance(channel_id, linkable[channel_id])
            for channel_id, messages in changes.edited.items():
                guild = self._rows[channel_id].guild_id if channel_id in self._rows else None
                if guild is not None:
                    messages = [self._unnamed(guild, m) for m in messages]
                touched |= set(self.store.edit(messages))
                self._edited |= {int(m.id): (guild, m) for m in messages}
            for channel_id, messages in changes.rechecked.items():
                if channel_id in self._rows:
                    messages = [self._unnamed(self._rows[channel_id].guild_id, m) for m in messages
                                if int(m.id) not in self._edited]
                    touched |= set(self.store.edit(messages))
            touched |= set(self.store.remove(changes.removed))
            self._deleted |= changes.removed
            for channel_id, (checkpoint, complete) in changes.read.items():
                complete = complete and not self._awaiting  # read in a session before: its backfill reads it again
                if channel_id in self._rows:
                    self.store.advance(channel_id, checkpoint, complete=complete)
                    self._keep(self.store.channel(channel_id) or self._rows[channel_id])
                    # Read to its end, what was heard live meanwhile (stored past its last page) is linked too.
                    linkable[channel_id] = EVERYTHING if complete else max(linkable.get(channel_id, 0), checkpoint)
            # A mark a recheck's page found gone yields to one heard (or read) since, while a backfill may hold pages.
            marks = [*changes.marks, *((i, None, False) for i in sorted(changes.unmarked - self._marked))]
            if self._unread:
                self._marked |= {message_id for message_id, _, _ in changes.marks}
            else:
                self._deleted.clear()  # no backfill holds a page any more
                self._edited.clear()
                self._marked.clear()
            for channel_id, up_to in linkable.items():
                row = self._rows[channel_id]
                limit = up_to if row.complete else min(up_to, row.checkpoint)
                touched |= {(channel_id, root) for root in linking.link(self.store, row, limit)}
            for message_id, by, on in marks:  # once linked: only its exchange's asker may mark an answer
                marked = self.store.mark(message_id, by, on)
                if marked is not None:
                    touched.add(marked)
            for channel_id in changes.relay & set(self._rows):
                touched |= {(channel_id, root) for root in self.store.roots(channel_id)}
            gone, written = self._index(touched)  # what the state database dropped, it owes already (and the purge)
            self.applied += 1
            self.last_applied = time.time()
        return Applied(written, len(gone) + len(sources), round(time.perf_counter() - started, 3))

    def _author(self, message_id: str) -> str | None:
        """The author key of a kept message, by its id as a reply names it; None where none is kept."""
        if not (message_id.isascii() and message_id.isdigit()):
            return None
        found = self.store.get([int(message_id)]).get(int(message_id))
        return found.message.author_key if found is not None else None

    def forget(self, author_key: str, guild_id: int, names: Iterable[str] = (), *, purge: bool = True) -> int:
        """Remove one member's messages in one server (and their ``names`` from others' mentions of them, and the
        names of the threads they made or that were started from a message of theirs) from the state database and
        the index (its files too, ``purge``), and keep none of theirs there from now on; how many messages went."""
        with self._lock:
            names = frozenset(n for n in names if n)
            touched, count = self.store.forget(author_key, guild_id, names)
            for row in self.store.channels():  # their threads' titles, without the names they wrote
                if row.id in self._rows and row.title != self._rows[row.id].title:
                    self._rows[row.id] = replace(self._rows[row.id], title=row.title)
            self._forgotten.add((guild_id, author_key))
            self._names[(guild_id, author_key)] = names | self._names.get((guild_id, author_key), frozenset())
            # Their edits heard live go too: no page of theirs is kept from now on, to be brought back up to date.
            self._edited = {i: (g, m) for i, (g, m) in self._edited.items()
                            if g is None or not self.forgotten(g, m.author_key)}
            self._index_or_owe(set(touched), purge=purge)
        return count

    def names(self, author_key: str, guild_id: int) -> set[str]:
        """The names a member's kept messages in a server show (``HistoryStore.names``): a nickname since changed too."""
        with self._lock:
            return self.store.names(author_key, guild_id)

    def forget_bridged(self, guild_id: int, name: str) -> tuple[int, list[str]]:
        """Remove the messages a bridge (IRC, Matrix, PluralKit: ``qabot.corpus.chat.Bridges``) posted in one server
        under ``name``, whichever webhook posted them, and keep none posted so there from now on, as ``forget`` does a
        member's: how many messages went, and the person's keys (the name's first, so that none comes between)."""
        keys = [bridged_key(ANY_BRIDGE, name, self.store.state.user_hash)]
        count = self.forget(keys[0], guild_id, {name}, purge=False)
        keys += self.store.bridged_keys(guild_id, name)
        count += sum(self.forget(key, guild_id, {name}, purge=False) for key in keys[1:])
        with self._lock:
            self._index_or_owe(set())  # the purge they owe, once for them all
        return count, keys

    def _unnamed(self, guild_id: int, message: ChatMessage) -> ChatMessage:
        """``message`` with its mentions of members forgotten in this run since it was read made ``UNNAMED``, as
        ``HistoryStore.forget`` made those of the messages kept before: by their names, and the name the mention showed
        as it was read (it keeps that no more)."""
        gone = {key for key in message.mentions if (guild_id, key) in self._names}
        shown = tuple(pair for pair in message.mentioned_as if pair[0] not in gone)
        content = unnamed(message.content, [*(n for key in gone for n in self._names[(guild_id, key)]),
                                            *(name for key, name in message.mentioned_as if key in gone)])
        # What a forward forwards lists no mentions of its own (a snapshot's are not resolved): any of them.
        forwarded = unnamed(message.forwarded, (n for (guild, _), names in self._names.items()
                                                if message.forwarded and guild == guild_id for n in names))
        if (content, forwarded, shown) == (message.content, message.forwarded, message.mentioned_as):
            return message
        return replace(message, content=content, forwarded=forwarded, mentioned_as=shown)

    def _index(self, touched: set[tuple[int, int]], *, purging: bool = True) -> tuple[list[str], int]:
        """Bring the index in step with the state database for these exchanges and what it owes (``HistoryStore.owe``:
        the exchanges and sources it dropped or rewrote). What a failed update (the index busy, a disk full, the
        process killed) left undone stays owed, and is done again with the next change: the state database already
        forgot it, so nothing else would take it out of the index. An exchange whose
        document the index refuses (``DocumentError``: over the reader limits, more than Milvus stores) is not
        owed: that would fail every change after it. It is left out (``HistoryStore.leave_out``), and tried again
        when it changes or qabot starts again. Once it is all done, the purge owed (if one is, and ``purging``) is done.
        Returns the ids deleted, and how many of the documents laid out the index took (``Refresh.skipped``: one line
        each)."""
        # What a forget or a dropped channel took back leaves the files too, once the index has it: owed in their
        # transaction, until the purge is done (one that failed, or a process stopped first, is done again next time).
        purge = self.store.purge_owed()  # first: one owed after it, with its work, is not this purge's to clear
        owed_touched, sources, removed = self.store.owed()
        touched = touched | owed_touched
        if not touched and not sources:
            if purge and purging:
                self._purge(purge)
            return [], 0
        self.store.owe((touched, sources, removed))  # until the index has it all (the state database is ahead)
        laid = self._with_starters(touched)
        gone, keyed = self._laid_out(laid, removed)
        documents = [document for _, document in keyed]
        written, left = len(documents), set()
        # One commit: an exchange moving from one document to another (into a thread) is never missing meanwhile.
        if documents or gone or sources:
            result = self.qa.change(documents, delete=gone, delete_sources=sources, skip_bad=True)
            for why in result.skipped:  # names the channel and the exchange (their ids), never a member
                log.warning("history: an exchange is left out of the index until it changes or qabot starts again: "
                            "%s", why)
            written = max(0, written - len(result.skipped))
            left = {key for key, document in keyed if any(_names(why, document) for why in result.skipped)}
        self.store.leave_out(laid, left)
        self.store.owe((touched, sources, removed), done=True)  # but the purge, if one is owed
        if purge and purging:
            self._purge(purge)
        return gone, written

    def _purge(self, number: int) -> None:
        """Purge the index's files of what the index was just told to delete (``QABot.purge``): the purge ``number``
        owed (``HistoryStore.purged``); one that fails stays owed, and is done with the next change or start."""
        try:
            self.qa.purge()
        except QABotError as exc:
            log.warning("history: the index's files could not be purged of what was taken back; they will be with the "
                        "next change: %s", first_line(exc))
        else:
            self.store.purged(number)

    def _index_or_owe(self, touched: set[tuple[int, int]], *, purge: bool = True) -> None:
        """``_index``, whose failure a forget only logs: the work stays owed, done with the next change or start,
        and the member's questions go all the same."""
        try:
            self._index(touched, purging=purge)
        except QABotError as exc:
            log.warning("history: the index could not be updated as a member was forgotten; it will be with the "
                        "next change: %s", first_line(exc))

    def catch_up(self) -> None:
        """Do the index work a failed update left undone (before a restart too), if any; and, once a run, lay out
        again the exchanges the index left out before (its reader limits may have been raised since)."""
        with self._lock:
            retry = set() if self._retried else self.store.left_out()
            self._retried = True
            self._index(retry)

    def _laid_out(self, touched: Iterable[tuple[int, int]], removed: int
                  ) -> tuple[list[str], list[tuple[tuple[int, int], Document]]]:
        """The ids of the exchanges' parts that are no more (``removed`` messages went), and their documents now, each
        with its exchange. ``touched`` holds the starters' exchanges already (``_with_starters``).

        A thread's first exchange opens with the message the thread was started from, kept in
        the parent channel (``linking.starter``): it is laid out again when that message
        changes (the store names it among the exchanges an edit, a deletion or ``forget``
        touched), and the parent channel's exchange of that message is laid out again with it:
        it stands only where the thread does not answer it (``linking.answered_in_thread``).
        """
        gone: list[str] = []
        documents: list[tuple[tuple[int, int], Document]] = []
        extra = math.ceil(removed / MAX_MESSAGES) if removed else 0  # parts that may have gone at the end
        for channel_id, root in sorted(touched):
            row = self._rows.get(channel_id)
            if row is None:
                continue
            exchange = self.store.exchange(channel_id, root)
            opens = row.kind == THREAD and root == row.id  # a thread's first exchange: its starter may lead it
            laid = linking.documents(row, exchange, linking.starter(self.store, row) if opens else None) if (
                exchange and not linking.answered_in_thread(self.store, row, exchange, self._rows.get)) else []
            parts = math.ceil((len(exchange) + opens) / MAX_MESSAGES) + extra  # the most it may have had
            gone += [exchange_id(str(channel_id), str(root), part) for part in range(len(laid) + 1, parts + 1)]
            documents += [((channel_id, root), document) for document in laid]
        return gone, documents

    def _with_starters(self, touched: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
        """``touched``, and for each thread's first exchange among them, the exchange in the parent channel of the
        message it was started from: whether that one stands depends on the thread's."""
        out = set(touched)
        for channel_id, root in list(out):
            row = self._rows.get(channel_id)
            opening = linking.starter(self.store, row) if row is not None and root == channel_id else None
            if opening is not None and opening.root is not None:
                out.add((opening.channel_id, opening.root))
        return out

    # -- progress ---------------------------------------------------------------------------

    def progress(self, guild_id: int | None = None) -> Progress:
        rows = [r for r in self._rows.values() if guild_id is None or r.guild_id == guild_id]
        total, linked = self.store.counts(guild_id)
        return Progress(channels=len(rows), complete=sum(r.complete for r in rows), messages=total, linked=linked,
                        last_applied=self.last_applied)


@dataclass(frozen=True)
class Progress:
    """How far the history has been read: for ``/qabot status`` and the logs."""

    channels: int  # channels, threads and forum posts known
    complete: int  # of which read to their end
    messages: int  # messages kept
    linked: int  # of which linked into exchanges (and so indexed)
    last_applied: float | None

    def describe(self) -> str:
        reading = self.channels - self.complete
        return (f"{self.channels} channel(s) and thread(s), {self.complete} read to the end"
                f"{f', {reading} being read' if reading else ''}; {self.messages:,} message(s) kept, "
                f"{self.linked:,} indexed")


def _names(why: str, document: Document) -> bool:
    """Whether a line of ``Refresh.skipped`` is about ``document`` ("document 'id' of 'source': ...", or the engine's
    "source document 'id': ...")."""
    return f"'{document.doc_id}'" in why and document.source in why


def _shown(row: ChannelRow) -> tuple:
    return row.title, row.kind, row.solved, row.parent_id
