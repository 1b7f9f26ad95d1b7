"""What every Discord front door shares: where questions are taken, limits, scopes, the core, feedback, metrics.

A question from ``/ask``, a mention, a direct message, a forum post, the "Ask qabot"
menu or a button takes the same path through ``Answering``:

1. **where**: the allow-lists of guilds and channels (a thread counts as its channel);
   direct messages unless ``QABOT_DISCORD_DMS`` is off; the place's **scope** from the
   scopes file (``qabot.scopes``);
2. **what** and **who**: not longer than ``QABOT_DISCORD_MAX_QUESTION_CHARS``, and a
   per-user cooldown;
3. **when**: a place in the ``Gate`` (bounded concurrency, bounded queue), retrieval in
   a worker thread, never on the event loop;
4. **answer**: ``QABot.ask`` with the history and the scope, the answer stored in the
   state database (``qabot.feedback``) under a fresh id that its buttons carry, and
   counted in the metrics.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import discord

from qabot.adapters.discord.conversations import Conversations
from qabot.adapters.discord.format import notice
from qabot.adapters.discord.limits import Cooldowns, Gate
from qabot.bot import QABot
from qabot.errors import QABotError, QuestionError
from qabot.feedback import FeedbackStore, StoredAnswer, Vote, new_id
from qabot.metrics import Metrics
from qabot.models import Answer
from qabot.scopes import Patterns, Scopes, ScopesFile
from qabot.settings import Settings

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
MAX_K = 10  # excerpts fetched per question: what an answer and its "More sources" can show
CACHE = 1000  # answers kept in memory for their buttons; older ones are asked again from the store

TOO_LONG = "That question is {length} characters long; I take up to {limit}. Could you shorten it?"
COOLDOWN = "One moment, please: you can ask again in {seconds} s."
BUSY = "I'm answering a lot of questions right now. Please ask again in a minute."


@dataclass(frozen=True)
class Place:
    """Where a question was asked."""

    guild_id: int | None
    channel_id: int | None
    parent_id: int | None = None  # the channel a thread belongs to

    @property
    def thread_id(self) -> int | None:
        return self.channel_id if self.parent_id is not None else None

    @classmethod
    def of(cls, guild_id: int | None, channel: object, channel_id: int | None) -> Place:
        parent = channel.parent_id if isinstance(channel, discord.Thread) else None
        return cls(guild_id, channel_id, parent)


@dataclass
class Reply:
    """What to send: a notice, or an answer embed with its buttons."""

    content: str | None = None
    embed: discord.Embed | None = None
    view: discord.ui.View | None = None

    def kwargs(self) -> dict[str, Any]:
        sent: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
        if self.content is not None:
            sent["content"] = notice(self.content)
        if self.embed is not None:
            sent["embed"] = self.embed
        if self.view is not None:
            sent["view"] = self.view
        return sent


@dataclass
class Asked:
    """One question on its way through: who asked, where, through which front door."""

    question: str
    user_id: int
    place: Place
    frontend: str  # slash, mention, dm, menu, forum
    history: list[str]
    shown: int
    post_to: int | None = None  # the menu's answer: the message "Post publicly" replies to
    started: float = field(default_factory=time.perf_counter)


@dataclass
class Answered:
    answer: Answer | None  # None: the core refused the question; ``refusal`` says why
    answer_id: str | None
    refusal: str | None = None


class Answering:
    """The state and the rules every front door shares; one per bot."""

    def __init__(self, qa: QABot, settings: Settings, *, store: FeedbackStore, scopes: Scopes | ScopesFile,
                 metrics: Metrics) -> None:
        self.qa = qa
        self.settings = settings
        self.store = store
        self._scopes = scopes
        self.metrics = metrics
        self.gate = Gate(concurrent=settings.discord_max_concurrent, queue_limit=settings.discord_queue_limit)
        self.cooldowns = Cooldowns(settings.discord_cooldown_seconds)
        self.conversations = Conversations()
        self.started = time.time()
        self._answers: OrderedDict[str, Answer] = OrderedDict()
        metrics.watch_queue(lambda: self.gate.waiting, lambda: self.gate.running)

    @property
    def scopes(self) -> Scopes:
        """The scopes in force (a scopes file is followed as it changes)."""
        return self._scopes.current() if isinstance(self._scopes, ScopesFile) else self._scopes

    # -- where, what, who -----------------------------------------------------------------

    def allowed(self, place: Place) -> bool:
        """Whether questions are answered here: the allow-lists, and direct messages."""
        settings = self.settings
        if place.guild_id is None:
            return settings.discord_dms
        if settings.discord_allowed_guild_ids and place.guild_id not in settings.discord_allowed_guild_ids:
            return False
        channels = settings.discord_allowed_channel_ids
        return not channels or place.channel_id in channels or place.parent_id in channels

    def scope(self, place: Place) -> Patterns | None:
        """The source patterns this place may quote; None: the whole corpus."""
        return self.scopes.sources(place.guild_id, place.channel_id, place.parent_id)

    def refusal(self, user_id: int, question: str, frontend: str, *, cooldown: bool = True) -> str | None:
        """Why this question is not taken now (too long, too soon), or None. Takes the user's cooldown."""
        limit = self.settings.discord_max_question_chars
        if len(question) > limit:
            self.metrics.question(frontend, "refused", "too_long")
            return TOO_LONG.format(length=len(question), limit=limit)
        wait = self.cooldowns.retry_after(user_id) if cooldown else 0.0
        if wait > 0:
            self.metrics.question(frontend, "refused", "cooldown")
            return COOLDOWN.format(seconds=max(1, round(wait)))
        return None

    def busy(self, frontend: str) -> str:
        self.metrics.question(frontend, "refused", "busy")
        return BUSY

    # -- answering ------------------------------------------------------------------------

    async def answer(self, asked: Asked) -> Answered:
        """Ask the core in a worker thread and store the answer. Call inside ``gate.admit()``."""
        scope = self.scope(asked.place)
        try:
            answer, answer_id = await self.gate.run(self._ask_and_record, asked, scope)
        except QuestionError as exc:  # empty or overlong by the core's own rules: the message says why
            self.metrics.question(asked.frontend, "refused", "invalid")
            return Answered(None, None, str(exc))
        self._keep(answer_id, answer)
        return Answered(answer, answer_id)

    def _ask_and_record(self, asked: Asked, scope: Patterns | None) -> tuple[Answer, str]:
        answer = self.qa.ask(asked.question, k=MAX_K, history=asked.history or None, sources=scope)
        answer_id = new_id()
        try:
            self.store.record(answer, frontend=asked.frontend, history=asked.history, scope=scope,
                              guild_id=asked.place.guild_id, channel_id=asked.place.channel_id,
                              user=_user(asked.user_id), build=self.qa.manifest.build, answer_id=answer_id)
        except QABotError as exc:  # the answer still goes out; its votes cannot be kept
            log.warning("answer not stored: %s", exc)
        return answer, answer_id

    def sent(self, asked: Asked, answered: Answered) -> None:
        """Count a question whose answer went out, with the time it took."""
        if answered.answer is None:
            return
        outcome = "answered" if answered.answer.answered else "abstained"
        self.metrics.question(asked.frontend, outcome, seconds=time.perf_counter() - asked.started)

    def failed(self, frontend: str) -> None:
        self.metrics.question(frontend, "error")

    # -- answers asked before: for buttons, possibly after a restart -----------------------

    def cached(self, answer_id: str) -> Answer | None:
        answer = self._answers.get(answer_id)
        if answer is not None:
            self._answers.move_to_end(answer_id)
        return answer

    async def lookup(self, answer_id: str) -> Answer | None:
        """The answer with this id: from memory, else asked again as the store recorded it (None: unknown)."""
        answer = self.cached(answer_id)
        if answer is not None:
            return answer
        stored = await asyncio.to_thread(self.store.get, answer_id)
        if stored is None:
            return None
        with self.gate.admit():  # QueueFull goes to the caller
            answer = await self.gate.run(self.qa.ask, stored.question, k=MAX_K, history=stored.history or None,
                                         sources=stored.scope)
        self._keep(answer_id, answer)
        return answer

    async def stored(self, answer_ids: Sequence[str]) -> dict[str, StoredAnswer]:
        def read() -> dict[str, StoredAnswer]:
            found = {}
            for answer_id in answer_ids:
                row = self.store.get(answer_id)
                if row is not None:
                    found[answer_id] = row
            return found

        try:
            return await asyncio.to_thread(read)
        except QABotError as exc:
            log.warning("cannot read the state database: %s", exc)
            return {}

    async def vote(self, answer_id: str, user_id: int, value: int) -> Vote | None:
        vote = await asyncio.to_thread(self.store.vote, answer_id, _user(user_id), value)
        if vote is not None and vote.value != vote.previous:
            self.metrics.vote(value > 0)
        return vote

    def _keep(self, answer_id: str, answer: Answer) -> None:
        self._answers[answer_id] = answer
        self._answers.move_to_end(answer_id)
        while len(self._answers) > CACHE:
            self._answers.popitem(last=False)


def _user(user_id: int) -> str:
    return f"discord:{user_id}"

