"""What every Discord front door shares: where questions are taken, limits, scopes, the core, feedback, metrics.

A question from ``/ask``, a mention, a direct message, a forum post, the "Ask qabot"
menu or a button takes the same path through ``Answering``:

1. **where** (``door``): the allow-lists of guilds and channels (a thread counts as its
   channel, fetched from Discord when the bot has not seen it); direct messages unless
   ``QABOT_DISCORD_DMS`` is off; the place's **scope** from the scopes file
   (``qabot.scopes``), which fails closed: a place it does not open is told "not
   configured here"; and, where the server's history is indexed, the channels whose
   history it may quote (``qabot.history.privacy``: its own server, a channel's where all
   the place's readers may read it, no direct messages by default, and in a direct message only
   the servers Discord says the person asking is a member of), within that scope;
2. **what** and **who**: not longer than ``QABOT_DISCORD_MAX_QUESTION_CHARS``, and a
   per-user cooldown; a notice in a channel at most once per member per window, and
   rarely per channel, so that notices never crowd out answers;
3. **when**: a place in the ``Gate`` (bounded concurrency, bounded queue), retrieval in
   a worker thread, never on the event loop;
4. **answer**: ``QABot.ask`` with the history and the scope, the answer stored in the
   state database (``qabot.feedback``) under a fresh id that its buttons carry, and
   counted in the metrics;
5. **send**: the door is asked again just before the answer goes out (``now``), and what it
   no longer allows is left out (a channel turned private while the answer was queued or found).

A button carries an answer id, which is user input like any other: a stored answer is
shown, expanded, posted or voted on only where it was asked (the same server, in a channel
whose readers may all read the one it was asked in; the same conversation for a direct
message), and asked again with the scope in force there now. Presses are limited per
member, and one answer is asked again once at a time however many press for it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from qabot.adapters.discord.conversations import Conversations
from qabot.adapters.discord.kept import Forgetting, Kept, KeptAnswers
from qabot.adapters.discord.limits import Cooldowns, Gate, Notices
from qabot.adapters.discord.members import member_keys, user_of
from qabot.adapters.discord.places import Place, Places
from qabot.adapters.discord.posted import Posted, quoted_message
from qabot.bot import QABot
from qabot.errors import QABotError, QuestionError
from qabot.feedback import FeedbackStore, StoredAnswer, Vote, new_id
from qabot.feedback.forgetting import naming
from qabot.history import History, Where, quotable
from qabot.history.privacy import Reads, within
from qabot.index.scope import Scope, is_chat_source
from qabot.metrics import Metrics
from qabot.models import Answer
from qabot.scopes import NOWHERE, Patterns, Scopes, ScopesFile
from qabot.settings import Settings

log = logging.getLogger(__name__)

MAX_K = 10  # excerpts fetched per question: what an answer and its "More sources" can show
PRESSES, PRESS_SECONDS = 5, 10.0  # button presses a member may make in that many seconds

TOO_LONG = "That question is {length} characters long; I take up to {limit}. Could you shorten it?"
COOLDOWN = "One moment, please: you can ask again in {seconds} s."
BUSY = "I'm answering a lot of questions right now. Please ask again in a minute."
NOT_HERE = "I'm not enabled here."
NOT_CONFIGURED = "Sorry, I'm not configured to answer here."
ELSEWHERE = "That answer was given somewhere else, so I can't use it here."
PRESSING = "You're pressing buttons quickly: please try again in {seconds} s."


@dataclass(frozen=True)
class Door:
    """What a place may do now: its scope, or why nothing is answered there."""

    place: Place
    scope: Patterns | Scope | None  # None: the whole corpus; a Scope: with the server history it may quote
    refusal: str | None = None  # NOT_HERE, NOT_CONFIGURED; None: open
    reads: Reads | None = field(default=None, compare=False)  # in a direct message: the channels its reader may read


@dataclass
class Asked:
    """One question on its way through: who asked, where, through which front door, within which scope."""

    question: str
    user_id: int
    door: Door
    frontend: str  # slash, mention, dm, menu, forum
    history: list[str]
    shown: int
    message: int | None = None  # whose words the question is, taken back with it: the menu's, or a mention's, a DM's
    about: int | str | None = None  # the menu's: who wrote that message (the question is their words; ``cog._author``)
    at: float | None = None  # when Discord says it was asked, which an edit of that message is compared to
    started: float = field(default_factory=time.perf_counter)

    @property
    def place(self) -> Place:
        return self.door.place


@dataclass
class Answered:
    answer: Answer | None  # None: the core refused the question; ``refusal`` says why
    answer_id: str | None
    refusal: str | None = None


class Answering:
    """The state and the rules every front door shares; one per bot."""

    def __init__(self, qa: QABot, settings: Settings, *, store: FeedbackStore, scopes: Scopes | ScopesFile,
                 metrics: Metrics, places: Places, history: History | None = None, chat_sources: bool = False) -> None:
        self.qa = qa
        self.history = history  # the server's own history, when it is indexed
        self._guarded = history is not None or chat_sources  # history is indexed now, or was
        self.settings = settings
        self.store = store
        self._scopes = scopes
        self.metrics = metrics
        self.places = places
        self.gate = Gate(concurrent=settings.discord_max_concurrent, queue_limit=settings.discord_queue_limit)
        self.cooldowns = Cooldowns(settings.discord_cooldown_seconds)
        self.presses = Cooldowns(PRESS_SECONDS, rate=PRESSES)
        self.notices = Notices(member_seconds=max(settings.discord_cooldown_seconds, Notices.SHOWN_SECONDS))
        self.conversations = Conversations()
        self.started = time.time()
        self._answers = KeptAnswers()  # for the buttons; taken back: ``dropped``
        self._forgetting = Forgetting()
        self.posted = Posted(places.client, store, history)  # the answers posted, edited when something is taken back
        self._asking: dict[tuple[str, Patterns | Scope | None], asyncio.Future[tuple[Answer, str]]] = {}  # asked again
        metrics.watch_queue(lambda: self.gate.waiting, lambda: self.gate.running)

    @property
    def guarded(self) -> bool:
        """Whether answers keep to the privacy rule: history is indexed now, or was, or documents came in through
        the document API since (``qabot discord sync``, in another process, may add history to this index)."""
        return self._guarded or self.qa.manifest.api_documents > 0

    @property
    def scopes(self) -> Scopes:
        """The scopes in force (a scopes file is followed as it changes)."""
        return self._scopes.current() if isinstance(self._scopes, ScopesFile) else self._scopes

    # -- where: the one check every door passes --------------------------------------------

    async def door(self, guild_id: int | None, channel: object, channel_id: int | None, user_id: int) -> Door:
        """The door of the place an event came from, for ``user_id``: resolved (a thread's channel fetched if need
        be; in a direct message, the channels they may read), then checked."""
        place = await self.places.place(guild_id, channel, channel_id)
        reads = None
        if self.history is not None and self.asks_discord(place.guild_id) and self._allowed(place):
            reads = await self.places.reads(user_id, (c.guild_id for c in self.history.channels()))
        return self.door_of(place, reads)

    def asks_discord(self, guild_id: int | None) -> bool:
        """Whether the door asks Discord first (in a DM where history is quoted: the person's memberships, ``reads``),
        which a rate limit may hold past the 3 s Discord gives an interaction's first reply: it is deferred first."""
        return guild_id is None and self.history is not None and self.settings.discord_history_dms

    def door_of(self, place: Place, reads: Reads | None = None) -> Door:
        """Whether questions are answered here, and within which scope, now (``reads``: in a direct message, the
        channels the person it is with may read; None: none)."""
        if not self._allowed(place):
            return Door(place, NOWHERE, NOT_HERE)
        scopes = self.scopes
        if not place.known and scopes:  # a thread whose channel is unknown: its scope is unknown
            return Door(place, NOWHERE, NOT_CONFIGURED)
        scope = scopes.sources(place.guild_id, place.channel_id, place.parent_id)
        if scope == NOWHERE:
            return Door(place, NOWHERE, NOT_CONFIGURED)
        if not self.guarded:
            return Door(place, scope)
        # The server's history this place may quote (qabot.history.privacy), within its scope.
        channels = self.history.channels() if self.history is not None else []
        where = Where(place.guild_id, place.channel_id, place.parent_id if place.known else None)
        chats = quotable(where, channels, self.places.covers, dms=self.settings.discord_history_dms, reads=reads)
        return Door(place, Scope(scope, chats), reads=reads)

    def now(self, answer: Answer, door: Door) -> Answer:
        """``answer``, found for ``door``, as it may be sent there now, less what the door no longer allows (a channel
        turned private, a scope narrowed meanwhile): every door asks just before it sends, on the event loop."""
        now = self.door_of(door.place, door.reads)
        return within(answer, NOWHERE if now.refusal is not None else now.scope)

    def sendable(self, answered: Answered, door: Door) -> Answered:
        """``answered`` as it may be sent through ``door`` now (``now``)."""
        return answered if answered.answer is None else replace(answered, answer=self.now(answered.answer, door))

    def serves(self, guild_id: int) -> bool:
        """Whether this server is one qabot serves (``QABOT_DISCORD_ALLOWED_GUILD_IDS``, when set)."""
        allowed = self.settings.discord_allowed_guild_ids
        return not allowed or guild_id in allowed

    def _allowed(self, place: Place) -> bool:
        """The allow-lists, and direct messages."""
        settings = self.settings
        if place.guild_id is None:
            return settings.discord_dms
        if not self.serves(place.guild_id):
            return False
        channels = settings.discord_allowed_channel_ids
        return not channels or place.channel_id in channels or place.parent_id in channels

    def may_use(self, asked: Place | StoredAnswer, here: Place) -> bool:
        """Whether an answer asked at ``asked`` may be shown, posted or voted on at ``here`` (``usable_at``)."""
        return self.usable_at(here)(asked)

    def usable_at(self, here: Place) -> Callable[[Place | StoredAnswer], bool]:
        """Whether an answer asked at a place may be shown, posted or voted on at ``here``: the same server; for a direct
        message, the same conversation; elsewhere in the server, where everyone who may read ``here`` may read the
        channel it was asked in (``Places.covers``, the privacy rule's: its question, and what it quotes, were for that
        channel's readers). Who may read ``here`` is worked out once, for many answers (``/qabot feedback``)."""
        covered = functools.cache(lambda: self.places.covers(here.guild_id, here.parent_id or here.channel_id))

        def usable(asked: Place | StoredAnswer) -> bool:
            if asked.guild_id != here.guild_id or here.channel_id is None:
                return False
            if isinstance(asked, StoredAnswer) and asked.guild_id is None:
                return asked.channel_hash is not None and asked.channel_hash == self.store.channel_hash(here.channel_id)
            if asked.channel_id in (here.channel_id, here.parent_id):
                return True
            return here.guild_id is not None and asked.channel_id is not None and covered()(asked.channel_id)

        return usable

    # -- what, who ---------------------------------------------------------------------

    def refusal(self, user_id: int, question: str, frontend: str | None, *, cooldown: bool = True) -> str | None:
        """Why this question is not taken now (too long, too soon), or None. Takes the user's cooldown."""
        limit = self.settings.discord_question_chars
        if len(question) > limit:
            self.metrics.question(frontend, "refused", "too_long")
            return TOO_LONG.format(length=len(question), limit=limit)
        wait = self.cooldowns.retry_after(user_id) if cooldown else 0.0
        if wait > 0:
            self.metrics.question(frontend, "refused", "cooldown")
            return COOLDOWN.format(seconds=max(1, round(wait)))
        return None

    def busy(self, frontend: str | None) -> str:
        self.metrics.question(frontend, "refused", "busy")
        return BUSY

    def pressing(self, user_id: int) -> str | None:
        """Why a member's button press is not taken now (too many too fast), or None. Takes one press."""
        wait = self.presses.retry_after(user_id)
        return PRESSING.format(seconds=max(1, round(wait))) if wait > 0 else None

    # -- answering ------------------------------------------------------------------------

    async def answer(self, asked: Asked) -> Answered:
        """Ask the core in a worker thread and store the answer. Call inside ``gate.admit()``."""
        if asked.door.refusal is not None:  # every door checks first; this keeps a slip from quoting anything
            raise QABotError(f"asked at a closed door: {asked.door.refusal}")
        try:
            answer, answer_id, build = await self.gate.run(self._ask_and_record, asked)
        except QuestionError as exc:  # empty or overlong by the core's own rules: the message says why
            self.metrics.question(asked.frontend, "refused", "invalid")
            return Answered(None, None, str(exc))
        self._answers.keep(answer_id, Kept(answer, asked.place, tuple(asked.history), asked.door.scope, build))
        missed = self._forgetting.meanwhile(asked.place.guild_id, (asked.user_id, asked.about), asked.started,
                                            (asked.question, *asked.history))
        for guild_id, user_id, names in missed:  # forgotten while it was answered, perhaps before it was stored: so
            await (self.leave(guild_id) if user_id is None else self.forget(guild_id, user_id, names))
        return Answered(answer, None if missed else answer_id)  # no id: no buttons, and no follow-up's history

    def _ask_and_record(self, asked: Asked) -> tuple[Answer, str, str]:
        scope, build = asked.door.scope, self.qa.manifest.build
        answer = self.qa.ask(asked.question, k=MAX_K, history=asked.history or None, sources=scope)
        answer_id = new_id()
        try:
            self.store.record(answer, frontend=asked.frontend, history=asked.history, scope=patterns_of(scope),
                              guild_id=asked.place.guild_id, channel_id=asked.place.channel_id,
                              user=user_of(asked.user_id), build=build, answer_id=answer_id,
                              about=user_of(asked.about) if asked.about is not None else None, message=asked.message,
                              at=asked.at)
            quoted = quoted_message(answer)
            if quoted is not None and self.history is not None:  # deleted (or forgotten) while it was being found
                self.history.store.unquote_if_gone(answer_id, quoted)
        except QABotError as exc:  # the answer still goes out; its votes cannot be kept
            log.warning("answer not stored: %s", exc)
        return answer, answer_id, build

    def sent(self, asked: Asked, answered: Answered) -> None:
        """Count a question whose answer went out, with the time it took."""
        if answered.answer is None:
            return
        outcome = "answered" if answered.answer.answered else "abstained"
        self.metrics.question(asked.frontend, outcome, seconds=time.perf_counter() - asked.started)

    def failed(self, frontend: str) -> None:
        self.metrics.question(frontend, "error")

    # -- answers asked before: for buttons, possibly after a restart -----------------------

    def ready(self, answer_id: str, here: Door) -> Answer | None:
        """The answer, when memory holds it as it may be shown here now (no waiting); else None: ``recall`` it."""
        kept = self._answers.get(answer_id)
        if kept is None or here.refusal is not None or not self._current(kept, here) or not self.may_use(
                kept.place, here.place):
            return None
        return kept.answer

    def _current(self, kept: Kept, here: Door) -> bool:
        """Whether a kept answer is what asking again here now would find: the same scope and the same index."""
        return kept.scope == here.scope and kept.build == self.qa.manifest.build

    async def recall(self, answer_id: str, here: Door) -> Answer | str | None:
        """The answer with this id as it may be shown here now, or why not (a refusal), or None: unknown, or taken
        out of the state database while it was asked again (``KeptAnswers.recalling``).

        From memory when it was kept with the scope in force here, from the index serving
        now; else asked again as it was recorded, with that scope. Raises ``QueueFull``
        when it must be asked again and the queue is full.
        """
        if here.refusal is not None:
            return here.refusal
        with self._answers.recalling(answer_id):
            return await self._recall(answer_id, here)

    async def _recall(self, answer_id: str, here: Door) -> Answer | str | None:
        kept = self._answers.get(answer_id)
        if kept is not None:
            if not self.may_use(kept.place, here.place):
                return ELSEWHERE
            if self._current(kept, here):
                return kept.answer
            question, history, place = kept.answer.question, kept.history, kept.place
        else:
            stored = (await self.stored([answer_id])).get(answer_id)
            if stored is None:
                return None
            if not self.may_use(stored, here.place):
                return ELSEWHERE
            place = here.place if stored.guild_id is None else Place(stored.guild_id, stored.channel_id)
            question, history = stored.question, tuple(stored.history)
        return await self._ask_again(answer_id, question, history, place, here.scope)

    async def _ask_again(self, answer_id: str, question: str, history: tuple[str, ...], place: Place,
                         scope: Patterns | Scope | None) -> Answer | None:
        """Ask a recorded question again: once at a time per answer and scope, however many wait for it. None: it was
        taken out of the state database meanwhile."""
        key = (answer_id, scope)
        asking = self._asking.get(key)
        if asking is None:
            asking = self._asking[key] = asyncio.ensure_future(self._ask(question, history, scope))
            asking.add_done_callback(lambda _done: self._asking.pop(key, None))
        answer, build = await asyncio.shield(asking)
        return answer if self._answers.keep(answer_id, Kept(answer, place, history, scope, build)) else None

    async def _ask(self, question: str, history: tuple[str, ...], scope: Patterns | Scope | None
                   ) -> tuple[Answer, str]:
        build = self.qa.manifest.build  # before asking: a change that lands meanwhile is asked again next time
        with self.gate.admit():  # QueueFull goes to the callers
            return await self.gate.run(self.qa.ask, question, k=MAX_K, history=list(history) or None,
                                       sources=scope), build

    async def leave(self, guild_id: int) -> tuple[int, int, int]:
        """The bot was removed from a server: the answers given there go, with their votes (``FeedbackStore.
        forget_guild``), from memory too, as does any kept in memory that quoted its history (a direct message's);
        how many (answers, votes, highlights of direct messages) went from the state database."""
        source = f"discord/{guild_id}/"
        self._answers.drop_if(lambda kept: kept.place.guild_id == guild_id or any(
            e.citation.source.startswith(source) for e in kept.answer.excerpts))
        self.conversations.forget_guild(guild_id)  # and the questions asked there, as follow-ups' history
        with self._forgetting.forgetting(guild_id, None):  # a question there answered meanwhile: ``answer``
            return await asyncio.to_thread(self.store.forget_guild, guild_id)

    async def forget(self, guild_id: int, who: int | str, names: Iterable[str] = (), keys: Iterable[str] = ()) -> int:
        """A member forgotten in a server (``/qabot forget``): the answers they asked for there and in direct
        messages go, with the votes on them (``FeedbackStore.forget_member``), as do others' there and in direct
        messages whose question names them (``names``, or their mention), from memory too, and these questions from
        the conversations a follow-up takes its history from; the answers kept in memory that quote the history go
        as after a deletion. How many of those that went they asked in that server (not their direct messages').
        ``who`` is the member's id, or a bridged person (``/qabot forget-bridged``: ``forgetting.bridged_person``),
        who asked nothing, with their keys in the history (``keys``)."""
        if isinstance(who, int):
            names, keys = {*names, f"<@{who}>", f"<@!{who}>"}, member_keys(self.store, who)
        with self._forgetting.forgetting(guild_id, who, names):  # a question answered meanwhile: ``answer``
            gone = await asyncio.to_thread(self.store.forget_member, guild_id, user_of(who), names)
        self.dropped(gone.questions)
        for key in keys:
            self.posted.forgotten(key, guild_id)
        names_them = naming(names)  # and what memory holds that the state database may not (a follow-up's history)
        self.conversations.forget_if(names_them)
        self._answers.drop_if(lambda kept: kept.place.guild_id in (guild_id, None) and any(
            map(names_them, (kept.answer.question, *kept.history))))
        self.unquote_history()
        return gone.in_server

    def dropped(self, questions: Mapping[str, str]) -> None:
        """Answers that left the state database (their questions, by answer id) leave memory too, so that no button
        shows or posts them, and their questions the conversations that a follow-up takes its history from."""
        self._answers.take_back(questions)
        self.conversations.forget(questions.values())
        self.posted.questions_gone(questions)  # and what the bot posted of them shows them no more

    def unquote_history(self, removed: Iterable[int] = (), dropped: Iterable[int] = (), edited: bool = False) -> None:
        """Something left the server's history (messages ``removed``, channels ``dropped``: ``Feed``): the answers
        kept in memory that quote any of it go, context included, so that a button asks again rather than show what
        went (the state database's highlights go too: ``HistoryStore.remove``). The index build the change makes
        would have them asked again as well; this does not wait for it. The answers posted that quoted any of it
        (a message deleted while the bot was away too, which only a backfill's recheck finds) are edited, and, where
        messages were ``edited``, those whose quote the edit took out (``Posted.edited``)."""
        if removed or dropped or not edited:
            self._answers.drop_if(lambda kept: any(is_chat_source(e.citation.source) for e in kept.answer.excerpts))
            self.posted.deleted(removed, dropped)
        if edited:
            self.posted.edited()

    async def stored(self, answer_ids: Sequence[str], place: Place | None = None) -> dict[str, StoredAnswer | None]:
        """The stored answers with these ids; with ``place``, only those that may be used there. None for an id the
        state database has not (taken out, or never kept); where it cannot say (none yet, unreadable), left out."""
        def read() -> dict[str, StoredAnswer | None]:
            return {answer_id: self.store.get(answer_id) for answer_id in answer_ids} if self.store.exists() else {}

        try:
            found = await asyncio.to_thread(read)
        except QABotError as exc:
            log.warning("cannot read the state database: %s", exc)
            return {}
        # On the event loop: who may read which channel is read from the client's cache.
        return {answer_id: row for answer_id, row in found.items()
                if row is None or place is None or self.may_use(row, place)}

    async def vote(self, answer_id: str, user_id: int, value: int, here: Door) -> Vote | str | None:
        """Record a vote where the answer may be used; a refusal when not here, None when the answer is unknown."""
        if here.refusal is not None:
            return here.refusal
        kept = self._answers.get(answer_id)
        if kept is None:
            stored = (await self.stored([answer_id])).get(answer_id)
            if stored is None:
                return None
            usable = self.may_use(stored, here.place)
        else:
            usable = self.may_use(kept.place, here.place)
        if not usable:
            return ELSEWHERE
        vote = await asyncio.to_thread(self.store.vote, answer_id, user_of(user_id), value)
        if vote is not None and vote.value != vote.previous:
            self.metrics.vote(value > 0)
        return vote


def patterns_of(scope: Patterns | Scope | None) -> Patterns | None:
    """A door's scope as its patterns alone (the history it allows is decided again wherever it is used)."""
    return scope.patterns if isinstance(scope, Scope) else scope
