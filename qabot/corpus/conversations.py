"""Conversations: a channel's messages untangled into exchanges, a question and the messages that answer it.

In a busy help channel several conversations run at once, so the message before a reply
is often part of another one. Each message is linked to the earlier message it responds
to, or starts a conversation of its own; the messages linked together are one exchange.
The link is, in order of trust:

1. an explicit reply (``reference.messageId`` in an export, ``message.reference`` live):
   always taken, whatever else says;
2. a thread or forum post: all of it is one conversation (``one_conversation``);
3. a message that only asks again ("anyone?", "bump", "??": ``roles.nudges``) goes on from its author's own
   latest message of the window, where that is under an hour old, however many messages came between;
4. otherwise the best-scoring of the 50 messages before it (those over an hour older only where one of the two
   names the other), or none (a new conversation): a linear scorer over the features that conversation
   disentanglement found to work on this kind of chat (Kummerfeld et al., ACL 2019: "A Large-Scale Corpus for
   Conversation Disentanglement"): whether one message addresses the other's author ("ana: try ...", ``@ana``,
   the name anywhere), the same author, whether either is its author's latest, how many messages and minutes lie
   between, whether the earlier one asks, the words they share, whether the two authors have talked before, and
   whether the earlier one is the later one's author's own, spoken to someone else (a helper who turned to another
   asker). A bot's message may respond only to what called it up (a command, a message to it, a number it looks
   up, or a slash command: ``Untangler._calls``); a notice nothing called up (a level-up: "GG @mossy ...") starts
   a conversation of its own, whoever it @-mentions.

The weights (``qabot.corpus.conversation_weights``, which tells how they were fitted and how well they link) are
chosen by how a channel's people say whom they answer: ``WEIGHTS`` while at least ``ADDRESSING`` of its messages so
far address someone by name (IRC's habit), else ``REPLY_WEIGHTS`` while as many reply to a message (Discord's), else
``PLAIN_WEIGHTS`` (time and authors). Where names are not the habit, a reply speaks to the author of what it replies to.

Each message also gets its role in its exchange (``Untangler``). What a message is, here,
is only what these signals need (``Message``): readers turn an export's messages into it,
and a live channel's could be turned into it the same way.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import Counter, deque
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import numpy as np

from qabot.corpus.conversation_features import COMMON, Seen, features, name_token, seen
from qabot.corpus.conversation_weights import FEATURES, PLAIN_WEIGHTS, REPLY_WEIGHTS, WEIGHTS
from qabot.corpus.roles import asks_back, asks_like, called_by, greets, nudges, role_in, says_little, says_thanks
from qabot.text import fold

WINDOW = 50  # earlier messages a message may respond to (99% of annotated links are closer)
MAX_GAP = 3600.0  # seconds: an older message of the window is a candidate only where one names the other
ADDRESSING = 0.1  # the share of messages addressed by name ("ana: ...") that makes a channel an addressing one


@dataclass(frozen=True)
class Message:
    """A chat message, as far as untangling conversations needs it."""

    author: str  # who wrote it: the same string for every message of one person
    text: str
    time: float | None = None  # seconds since any fixed moment
    id: str | None = None
    names: frozenset[str] = frozenset()  # what others call the author ("Ana", "ana_l"): folded
    reply_to: str | None = None  # the id of the message it explicitly replies to
    mentions: frozenset[str] = frozenset()  # folded names of the people it @-mentions explicitly
    bot: bool = False
    called: bool = False  # a bot's answer to someone's slash command, which leaves no message to reply to
    answers_absent: bool = False  # it opens a thread whose first message, its question, the source does not hold


class Untangler:
    """A channel's messages linked one at a time, in order, holding only the last ``WINDOW``.

    ``add`` links each message to the one it responds to (``links``), and gives it its exchange's first message
    (``roots``) and its role (``roles``). What it knows of names and words comes from the messages before it, so an
    export of any length is read in one pass, and a live channel's messages could be added as they come.

    Roles: most exchanges open with a question or a problem ("?", someone speaking of themselves: "I", "my", or of
    trouble: "isn't", "fails"): its author, the asker, asks in all their messages, and a message from someone else
    answers when it responds to the asker, or goes on with an answer (its author's own, or a bot's reply to a helper's
    command); the rest (helpers talking among themselves) has no role. An exchange whose opener speaks to someone ("ana:
    you need to ...", to a question from before the exchange began) was asked by that someone. An exchange that opens
    with news instead ("Reminder: the dome is closed on Friday") is the other way round: its opener's messages answer,
    and the others' questions about it ask; so does every exchange of an announcement channel or of its threads
    (``announcements``), however its opener speaks ("I just released v2.4"). An exchange a bot opened for a member
    who has not spoken yet (a ticket bot's "Welcome @ana! Describe your issue") is asked by that member once they
    speak, and in a thread the others go on from their message; so is a thread whose question the source does not
    hold (``Message.answers_absent``: an older export's thread started from a message), or an exchange opened by a reply
    to a message not here, where that first message asks back ("which version are you on?"): by the member it
    @-mentions, or else the next member who speaks.
    """

    def __init__(self, *, one_conversation: bool = False, announcements: bool = False,
                 weights: dict[str, float] | None = None) -> None:
        self.one_conversation = one_conversation  # a thread or a forum post
        self.announcements = announcements  # an announcement channel or its thread: its exchanges open with news
        self.weights = weights  # None: by the channel's habit (``parents``)
        self._vectors: dict[int, np.ndarray] = {}  # each of those weights (by id) in ``FEATURES``' order, made once
        self.window: deque[Seen] = deque(maxlen=WINDOW)
        self.known: dict[str, str] = {}  # every name someone who has spoken goes by: its author
        self.names_of: dict[str, set[str]] = {}  # the names of each author (grown in place: some have thousands)
        self.first_names: dict[str, set[str]] = {}  # the first word of a name of two or more ("omar haddad"): its authors
        self.counts: Counter[str] = Counter()  # how many messages hold each word
        self.holders: dict[str, deque[int]] = {}  # the messages of the window holding each word
        self.addressing = 0  # how many messages address someone by name
        self.replying = 0  # how many messages reply to someone else's
        self._ids = array("q")  # the messages' ids, where they are increasing numbers (Discord's are)
        self._other_ids: dict[str, int] | None = None  # else every id, as text
        self.links: list[int] = []
        self.roots: list[int] = []
        self.authors: list[str] = []
        self.roles: list[str | None] = []
        self._openers: dict[int, tuple[str, bool]] = {}  # each exchange's asker, and whether it opened with news
        # The exchanges opened by no asker that their asker has not spoken in yet: by whom, and the names of whom it
        # awaits (None: any other member).
        self._unasked: dict[int, tuple[str, frozenset[str] | None]] = {}
        self._thread_asks = 0  # in a thread, what its messages go on from: its first, or its first member's

    def names(self, author: str) -> AbstractSet[str]:
        return self.names_of.get(author, frozenset())

    def see(self, message: Message) -> Seen:
        """What the features need of the next message; its author's names are known from now on."""
        for name in message.names | {fold(message.author)}:
            if len(name) >= 3 and name not in COMMON and name not in self.known:
                self.known[name] = message.author
                self.names_of.setdefault(message.author, set()).add(name)
            for first in called_by(name)[1:]:
                self.first_names.setdefault(first, set()).add(message.author)
        me = seen(message, len(self.links))
        for name in (me.first, *me.explicit):
            if name in self.known:
                me.addressed.add(self.known[name])
            elif len(whose := self.first_names.get(name, ())) == 1:  # "omar: try ..." to Omar Haddad alone
                me.addressed |= whose
        me.by_name = bool(me.addressed)
        me.target = self._find(message.reply_to) if message.reply_to is not None else None
        if me.target is not None and self.authors[me.target] != message.author:
            self.replying += 1
            if self._habit(me) is not WEIGHTS:  # not named: a reply speaks to its author, as REPLY_WEIGHTS were fitted
                me.addressed.add(self.authors[me.target])
        return me

    def _habit(self, me: Seen) -> dict[str, float]:
        """The weights of how people here say whom they answer, by the messages so far (``me`` too)."""
        n = ADDRESSING * (me.index + 1)  # the messages that make a habit
        return WEIGHTS if self.addressing + me.by_name >= n else REPLY_WEIGHTS if self.replying >= n else PLAIN_WEIGHTS

    def features(self, me: Seen) -> tuple[list[int], np.ndarray]:
        """The messages ``me`` may respond to (in order, then itself: a new conversation), and a row of
        ``FEATURES`` for each."""
        near = [s for s in self.window if s.time is None or me.time is None or me.time - s.time <= MAX_GAP
                or s.author == me.author or s.author in me.addressed or me.author in s.addressed]
        return [s.index for s in near] + [me.index], features(
            me, near, self.window, known=self.known, holders=self.holders, counts=self.counts, links=len(self.links),
            names=self.names(me.author))

    def named(self, text: str) -> frozenset[str]:
        """The authors (of those who have spoken) that ``text`` names or @-mentions, by a whole name or by its first
        word ("thanks omar" names "Omar Haddad": ``roles.called_by``)."""
        tokens = name_token().findall(fold(text))
        return frozenset(self.known[t] for t in tokens if t in self.known).union(
            *(self.first_names[t] for t in tokens if t in self.first_names))

    def add(self, message: Message, parent: int | None = None) -> int:
        """Link the next message (to ``parent`` where it is given) and return what it responds to."""
        me = self.see(message)
        i = me.index
        if parent is None:
            if me.target is not None:
                parent = me.target
            elif self.one_conversation:
                parent = self._thread_asks if i else i
            elif (own := self._nudged(message, me)) is not None:
                parent = own
            else:
                weights = self.weights or self._habit(me)
                options, found = self.features(me)
                if (vector := self._vectors.get(id(weights))) is None:
                    vector = self._vectors[id(weights)] = np.array([weights[name] for name in FEATURES])
                scores = found @ vector
                if message.bot and not message.called:
                    scores[:-1][np.array([not self._calls(o, me) for o in options[:-1]], dtype=bool)] = -np.inf
                parent = options[int(np.argmax(scores))]
                if parent == i and message.bot and not message.called:
                    me.addressed.clear()  # a notice nothing called up ("GG @mossy ...") speaks to nobody
                    me.by_name = False
        self.commit(message, me, parent)
        return parent

    def _nudged(self, message: Message, me: Seen) -> int | None:
        """The author's latest message in the window, under ``MAX_GAP`` old, where this one only asks again."""
        own = next((s for s in reversed(self.window) if s.author == me.author), None) if nudges(message.text) else None
        late = own is not None and own.time is not None and me.time is not None and me.time - own.time > MAX_GAP
        return None if own is None or late or message.bot else own.index

    def commit(self, message: Message, me: Seen, parent: int) -> None:
        """Add the message ``see`` made ``me`` of, linked to ``parent``: its exchange, its role, the window."""
        i = me.index
        root = i if parent == i else self.roots[parent]
        by, awaited = self._unasked.get(root, (message.author, frozenset()))
        taken = not message.bot and message.author != by and (awaited is None or not awaited.isdisjoint(me.names))
        if parent == i or taken:
            # An exchange a bot opened for a member who has not spoken yet (a ticket bot's "Welcome @ana! Describe your
            # issue"), or a thread whose question is not here opened by someone asking back ("which version are you
            # on?"), is asked by that member, or the next who speaks, when they do, whatever they say: they answer
            # what they were asked, and bring their own problem.
            self._openers[root] = (message.author, False) if taken else self._opening(message, me)
            if taken:
                del self._unasked[root]
                if self.one_conversation:
                    self._thread_asks = i
            elif self._openers[root][0] == message.author:
                self._awaits(message, me, root)
        role = role_in(message, self._openers[root], first=parent == i,
                       parent_author=self.authors[parent] if parent != i else None,
                       parent_role=self.roles[parent] if parent != i else None)
        self._record(message, me, parent, root, role)

    def _awaits(self, message: Message, me: Seen, root: int) -> None:
        """Whether the exchange ``message`` opens awaits its asker (``_unasked``): a bot's that @-mentions members, or a
        message asking back a question not here (``answers_absent``, or a reply to it): its asker is elsewhere."""
        if message.bot and me.explicit:
            self._unasked[root] = (message.author, me.explicit)
        elif (message.answers_absent or (message.reply_to is not None and me.target is None)) and asks_back(
                message.text):
            self._unasked[root] = (message.author, me.explicit or None)

    def _opening(self, message: Message, me: Seen) -> tuple[str, bool]:
        """The asker of an exchange ``message`` opens, and whether it opens with news."""
        greeting = greets(message.text)  # "media: hi": no news, nor told to media; its author is about to ask
        spoken_to = set() if greeting else me.addressed - {message.author}
        asker = next(iter(spoken_to)) if len(spoken_to) == 1 else message.author
        # Nor is a thanks ("Thank you Eric, much better now": the helper's next words answer), nor "umm" (says_little).
        news = self.announcements or not (greeting or says_little(message.text) or says_thanks(message.text)
                                          or asks_like(message.text, self.known))
        return asker, asker == message.author and news

    def resume(self, message: Message, opener: tuple[str, bool], role: str | None, parent: int | None = None, *,
               opens: bool = False) -> None:
        """Add a message linked before (a live channel's, read back), with its role and ``opener``: its exchange's
        asker when it was linked, and whether that exchange opened with news.

        ``parent`` is where its parent is here, or None where the parent (and so its exchange's
        start) is before what this untangler has seen: then its exchange is taken to begin
        with it, and keeps ``opener``. ``opens``: it did open its exchange, whose asker, where it has
        not spoken yet, is awaited as it was (``commit``) until a message read back shows them.
        """
        me = self.see(message)
        root = me.index if parent is None else self.roots[parent]
        if parent is None:
            self._openers[root] = opener
            if opens and opener[0] == message.author:
                self._awaits(message, me, root)
        elif root in self._unasked and opener[0] != self._unasked[root][0]:  # its asker had spoken: it asks
            self._openers[root] = opener
            del self._unasked[root]
            if self.one_conversation:
                self._thread_asks = me.index
        self._record(message, me, me.index if parent is None else parent, root, role)

    def opener(self, index: int) -> tuple[str, bool]:
        """The asker of the exchange of the message at ``index``, and whether that exchange opened with news."""
        return self._openers[self.roots[index]]

    def _record(self, message: Message, me: Seen, parent: int, root: int, role: str | None) -> None:
        i = me.index
        self.links.append(parent)
        self.roots.append(root)
        self.authors.append(message.author)
        self.roles.append(role)
        self._remember(message.id, i)
        self.counts.update(me.words)
        self.addressing += me.by_name
        if len(self.window) == WINDOW:  # the oldest leaves the window
            for word in self.window[0].words:
                held = self.holders[word]
                held.popleft()
                if not held:
                    del self.holders[word]
        self.window.append(me)
        for word in me.words:
            self.holders.setdefault(word, deque()).append(i)

    def _remember(self, id: str | None, index: int) -> None:
        """Keep where ``id`` is, for replies to it: 8 bytes a message while ids are increasing numbers."""
        if self._other_ids is None:
            number = id_number(id) if id is not None else None
            if number is not None and len(self._ids) == index and (not self._ids or number > self._ids[-1]):
                self._ids.append(number)
                return
            self._other_ids = {str(n): at for at, n in enumerate(self._ids)}
        if id is not None:
            self._other_ids[id] = index

    def _find(self, id: str) -> int | None:
        """The index of the message with ``id``, or None."""
        if self._other_ids is not None:
            return self._other_ids.get(id)
        number = id_number(id)
        if number is None:
            return None
        at = bisect_left(self._ids, number)
        return at if at < len(self._ids) and self._ids[at] == number else None

    def _calls(self, index: int, bot: Seen) -> bool:
        """Whether the message at ``index`` (in the window) may have called up the bot's message ``bot``: a command
        ("!rank"), a message to the bot ("ubottu: ..."), or one with a number it looks up ("... see bug 1289977":
        "Launchpad bug 1289977 in grub2 ..."). A bot's message that nothing called up (a level-up, a feed's post)
        starts its own exchange, whoever it @-mentions; one that replies, or answers a slash command
        (``Message.called``), does not need this."""
        earlier = self.window[index - self.window[0].index]
        return earlier.trigger or bot.author in earlier.addressed or not earlier.numbers.isdisjoint(bot.numbers)


def id_number(id: str) -> int | None:
    """A message id as the 8-byte number it is (Discord's: 17 to 19 digits, below 2 ** 63), or None."""
    if not (id.isascii() and id.isdigit() and len(id) <= 19 and (len(id) == 1 or id[0] != "0")):
        return None
    number = int(id)
    return number if number < 1 << 63 else None


def parents(messages: Sequence[Message], *, one_conversation: bool = False,
            weights: dict[str, float] | None = None) -> list[int]:
    """The message each one responds to (its index), or its own index where it starts a conversation. ``weights``
    default to those of the channel's habit (see the module's docstring)."""
    untangler = Untangler(one_conversation=one_conversation, weights=weights)
    for message in messages:
        untangler.add(message)
    return untangler.links


def exchanges(links: Sequence[int]) -> list[int]:
    """Each message's exchange (0, 1, ... in order of their first message), from ``parents``."""
    root = list(range(len(links)))
    for i, parent in enumerate(links):
        root[i] = i if parent == i else root[parent]
    numbers: dict[int, int] = {}
    return [numbers.setdefault(r, len(numbers)) for r in root]


def roles(messages: Sequence[Message], links: Sequence[int]) -> list[str | None]:
    """Each message's part in its exchange (``ASKS``, ``ANSWERS`` or None), given its links (see ``Untangler``)."""
    untangler = Untangler()
    for message, parent in zip(messages, links, strict=True):
        untangler.add(message, parent)
    return untangler.roles
