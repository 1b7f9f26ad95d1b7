"""Conversations: a channel's messages untangled into exchanges, a question and the messages that answer it.

In a busy help channel several conversations run at once, so the message before a reply
is often part of another one. Each message is linked to the earlier message it responds
to, or starts a conversation of its own; the messages linked together are one exchange.
The link is, in order of trust:

1. an explicit reply (``reference.messageId`` in an export, ``message.reference`` live):
   always taken, whatever else says;
2. a thread or forum post: all of it is one conversation (``one_conversation``);
3. otherwise the best-scoring of the 50 messages before it, or none (a new
   conversation): a linear scorer over the features that conversation disentanglement
   found to work on this kind of chat (Kummerfeld et al., ACL 2019: "A Large-Scale Corpus
   for Conversation Disentanglement"): whether one message addresses the other's author
   ("ana: try ...", ``@ana``, the name anywhere), the same author, whether either is its
   author's latest, how many messages and minutes lie between, whether the earlier one
   asks, the words they share, and whether the two authors have talked before.

The weights (``WEIGHTS``) were fitted by ``scripts/fit_conversations.py``, as a softmax
over each message's candidates (with a small L2 penalty), on the annotated reply links of
that corpus's ``data/train`` split only: its 150 Ubuntu IRC logs other than the three that
``../shared/eval/chat-dev`` was made from; its dev and test splits were never read. They pick the annotated parent of
69% of the training messages, and of 76% in the three chat-dev logs (no replies used).
Where people do not address each other by name (most of Discord, where a reply is a
reply), the same fit with the names that open messages taken out (``PLAIN_WEIGHTS``)
leans on time and authors instead: it is used where fewer than ``ADDRESSING`` of a
channel's messages open with a name.

Each message then has a role in its exchange (``roles``): the opener's messages ask,
and replies to them from others answer (the other way round where the exchange opens
with news rather than a question).

What a message is, here, is only what these signals need (``Message``): readers turn an
export's messages into it, and a live channel's could be turned into it the same way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from qabot.text import fold

WINDOW = 50  # earlier messages a message may respond to (99% of annotated links are closer)
ADDRESSING = 0.1  # the share of messages addressed by name ("ana: ...") that makes a channel an addressing one
_NAME_CHARS = r"[\w\[\]\\`^{|}\-]"
_TOKEN = re.compile(rf"{_NAME_CHARS}+")
_WORD = re.compile(r"[a-z0-9][a-z0-9_.\-/]*[a-z0-9]")
_GREETING = re.compile(r"^\W*(hi|hello|hey|hiya|howdy|yo|good (morning|evening|afternoon)|anyone|anybody|help)\b")
_COMMON = frozenset(
    """the and for you your that this with have has had not but are was were can could would should will just
    what when where which who how why there then than them they their from into out about some any all get got
    use using used try tried know need want like does did doing done also only still now here yes yeah okay
    thanks thank please sure well its it's i'm don't can't """.split()
)


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


@dataclass
class _Seen:
    """What the features need of one message, computed once."""

    author: str
    names: frozenset[str]
    time: float | None
    tokens: frozenset[str]  # folded name-like tokens, for addressing
    first: str | None  # the folded first token: the name a message is addressed to ("ana: ...")
    explicit: frozenset[str]  # folded names it @-mentions
    words: frozenset[str]  # folded content words, for overlap
    asks: bool
    greets: bool
    bot: bool
    trigger: bool  # a bot command ("!info foo")
    long: bool
    addressed: set[str] = field(default_factory=set)  # authors it addresses (filled once all names are known)


def _seen(message: Message) -> _Seen:
    folded = fold(message.text)
    tokens = _TOKEN.findall(folded)
    stripped = folded.lstrip()
    return _Seen(
        author=message.author,
        names=message.names | {fold(message.author)},
        time=message.time,
        tokens=frozenset(tokens),
        first=tokens[0] if tokens and stripped[:1] not in ("!", "/") else None,
        explicit=message.mentions | frozenset(t[1:] for t in folded.split() if t.startswith("@") and len(t) > 1),
        words=frozenset(w for w in _WORD.findall(folded) if len(w) > 2 and w not in _COMMON),
        asks="?" in message.text,
        greets=bool(_GREETING.match(folded)),
        bot=message.bot,
        trigger=stripped.startswith("!"),
        long=len(message.text) > 60,
    )


# Each feature's weight in WEIGHTS and PLAIN_WEIGHTS. "i" is the later message, "j" the
# earlier one it may respond to; the "new_*" features score i starting a conversation.
# Fitted on data/train of jkkummerfeld/irc-disentanglement (see the module's docstring);
# PLAIN_WEIGHTS with the names that open messages ("ana: ...") taken out, for a channel
# where people do not address each other by name, as in most of Discord.
_FITTED: dict[str, tuple[float, float]] = {
    "i_addresses_j": (5.637, 3.130),  # the later one opens with the earlier one's author's name, or @-mentions them
    "i_names_j": (4.333, 3.533),  # it names them elsewhere
    "j_addresses_i": (0.879, -0.085),  # the earlier one addresses the later one's author
    "j_names_i": (1.308, 1.453),  # the earlier one names them elsewhere
    "same_author": (1.481, -0.845),
    "i_addresses_other": (1.382, -0.122),  # the later one addresses someone else
    "j_addresses_other": (-0.827, -0.522),  # the earlier one addresses someone else
    "j_latest_of_author": (0.032, 0.521),  # the earlier one is its author's latest
    "j_latest_to_i": (1.029, 0.676),  # the earlier one is the latest addressed to the later one's author
    "talked_before": (1.292, 1.504),  # the two authors have addressed each other before
    "distance_1": (0.072, -1.193),  # messages between them: 0
    "distance_2": (0.235, -0.492),  # 1
    "distance_3_5": (0.412, -0.181),  # 2 to 4
    "distance_6_10": (0.439, 0.007),  # 5 to 9
    "distance_11_20": (0.284, 0.109),  # 10 to 19
    "log_distance": (-1.031, -1.449),
    "gap_0_1m": (0.480, 1.257),  # minutes between them: at most 1
    "gap_2_5m": (0.135, 0.877),  # at most 5
    "gap_6_15m": (-0.096, 0.370),  # at most 15
    "log_gap": (-0.492, -0.428),
    "j_asks": (-0.060, -0.218),  # the earlier one has a question mark
    "i_asks": (-0.487, -0.538),  # the later one has one
    "shared_1": (0.773, -0.985),  # one content word in common
    "shared_2plus": (1.593, -0.153),  # more
    "shared_rarity": (0.216, 0.597),  # how rare the rarest shared word is
    "bot_answers_trigger": (4.963, 4.227),  # a bot answers a command ("!info foo")
    "j_bot": (-0.474, -1.286),  # the earlier one is a bot's
    "i_newcomer": (-0.594, -0.879),  # the later one's author has not spoken in the window
    "i_addresses_j_latest": (0.451, -0.188),  # addresses the earlier one's author, whose latest it is
    "own_previous": (2.273, 1.838),  # the later one's author's own previous message
    "open_question": (0.595, 0.583),  # a question from someone else that nobody has addressed since
    "plain_reply_near": (0.614, -0.437),  # the later one addresses nobody and follows within 3 messages
    "new": (1.435, -1.492),  # starting a conversation: always
    "new_addresses": (-0.293, 0.014),  # it addresses someone
    "new_names_someone": (0.447, 0.752),  # it names someone
    "new_asks": (0.487, 0.538),  # it has a question mark
    "new_newcomer": (0.594, 0.879),  # its author has not spoken in the window
    "new_greets": (1.477, 2.497),  # it opens with a greeting or "anyone"
    "new_long": (0.731, 0.669),  # it is over 60 characters
    "new_was_addressed": (-0.431, -0.279),  # someone addressed its author lately
    "new_log_silence": (0.134, 0.297),  # minutes since its author last spoke
}
FEATURES = tuple(_FITTED)
_INDEX = {name: n for n, name in enumerate(FEATURES)}
WEIGHTS = {name: pair[0] for name, pair in _FITTED.items()}
PLAIN_WEIGHTS = {name: pair[1] for name, pair in _FITTED.items()}


class _Channel:
    """The messages of one channel, with what each pair's features need."""

    def __init__(self, messages: Sequence[Message]) -> None:
        self.seen = [_seen(m) for m in messages]
        # A name only counts once someone goes by it; short ones ("a", "ok") say nothing.
        known: dict[str, str] = {}
        for s in self.seen:
            for name in s.names:
                if len(name) >= 3 and name not in _COMMON:
                    known.setdefault(name, s.author)
        self.names_of: dict[str, frozenset[str]] = {}
        for name, author in known.items():
            self.names_of[author] = self.names_of.get(author, frozenset()) | {name}
        self.all_names = frozenset(known)
        for s in self.seen:
            if s.first in known:
                s.addressed.add(known[s.first])
            for name in s.explicit:
                if name in known:
                    s.addressed.add(known[name])

        # How rare a word is in the channel: a rare word two messages share says more than a common one.
        counts: dict[str, int] = {}
        for s in self.seen:
            for word in s.words:
                counts[word] = counts.get(word, 0) + 1
        self.total = max(1, len(self.seen))
        self.counts = counts

    def rarity(self, word: str) -> float:
        """log(messages / messages holding ``word``), over the channel: 0 for a word in every message."""
        return math.log(self.total / self.counts.get(word, 1))

    def names(self, author: str) -> frozenset[str]:
        return self.names_of.get(author, frozenset())

    def features(self, i: int, candidates: Sequence[int]) -> list[list[tuple[int, float]]]:
        """Sparse feature vectors of message ``i`` responding to each of ``candidates`` (``i`` itself: a new one)."""
        seen = self.seen
        me = seen[i]
        my_names = self.names(me.author)
        lo = candidates[0] if candidates else i
        latest: dict[str, int] = {}  # each author's latest message before i, in the window
        to_me: int | None = None  # the latest message before i addressing i's author
        talked: set[str] = set()  # authors who addressed i's author, or whom i's author addressed
        for j in range(lo, i):
            s = seen[j]
            latest[s.author] = j
            if me.author in s.addressed:
                to_me = j
                talked.add(s.author)
            if s.author == me.author:
                talked.update(s.addressed)
        newcomer = me.author not in latest
        out = []
        for j in candidates:
            f: list[tuple[int, float]] = []
            if j == i:
                f.append((_INDEX["new"], 1.0))
                if me.addressed:
                    f.append((_INDEX["new_addresses"], 1.0))
                elif me.tokens & self.all_names:
                    f.append((_INDEX["new_names_someone"], 1.0))
                if me.asks:
                    f.append((_INDEX["new_asks"], 1.0))
                if newcomer:
                    f.append((_INDEX["new_newcomer"], 1.0))
                if me.greets:
                    f.append((_INDEX["new_greets"], 1.0))
                if me.long:
                    f.append((_INDEX["new_long"], 1.0))
                if to_me is not None:
                    f.append((_INDEX["new_was_addressed"], 1.0))
                own = [k for k in range(lo, i) if seen[k].author == me.author]
                silence = _minutes(seen[own[-1]].time, me.time) if own else None
                f.append((_INDEX["new_log_silence"], math.log1p(silence if silence is not None else 60.0)))
                out.append(f)
                continue
            other = seen[j]
            their_names = self.names(other.author)
            for speaker, listener, names, (who, whom) in ((me, other.author, their_names, "ij"),
                                                          (other, me.author, my_names, "ji")):
                if listener in speaker.addressed:
                    f.append((_INDEX[f"{who}_addresses_{whom}"], 1.0))
                elif speaker.tokens & names:
                    f.append((_INDEX[f"{who}_names_{whom}"], 1.0))
                elif speaker.addressed:
                    f.append((_INDEX[f"{who}_addresses_other"], 1.0))
            if other.author == me.author:
                f.append((_INDEX["same_author"], 1.0))
            if latest.get(other.author) == j:
                f.append((_INDEX["j_latest_of_author"], 1.0))
            if to_me == j:
                f.append((_INDEX["j_latest_to_i"], 1.0))
            if other.author in talked and other.author != me.author:
                f.append((_INDEX["talked_before"], 1.0))
            distance = i - j
            for name, top in (("distance_1", 1), ("distance_2", 2), ("distance_3_5", 5), ("distance_6_10", 10),
                              ("distance_11_20", 20)):
                if distance <= top:
                    f.append((_INDEX[name], 1.0))
                    break
            f.append((_INDEX["log_distance"], math.log(distance)))
            gap = _minutes(other.time, me.time)
            if gap is not None:
                for name, top in (("gap_0_1m", 1.0), ("gap_2_5m", 5.0), ("gap_6_15m", 15.0)):
                    if gap <= top:
                        f.append((_INDEX[name], 1.0))
                        break
                f.append((_INDEX["log_gap"], math.log1p(gap)))
            if other.asks:
                f.append((_INDEX["j_asks"], 1.0))
            if me.asks:
                f.append((_INDEX["i_asks"], 1.0))
            shared = me.words & other.words
            if len(shared) == 1:
                f.append((_INDEX["shared_1"], 1.0))
            elif len(shared) > 1:
                f.append((_INDEX["shared_2plus"], 1.0))
            if shared:
                f.append((_INDEX["shared_rarity"], max(self.rarity(w) for w in shared)))
            if latest.get(other.author) == j:
                if other.author in me.addressed:
                    f.append((_INDEX["i_addresses_j_latest"], 1.0))
                if other.author == me.author:
                    f.append((_INDEX["own_previous"], 1.0))
            if other.asks and other.author != me.author and not any(
                    other.author in seen[k].addressed for k in range(j + 1, i)):
                f.append((_INDEX["open_question"], 1.0))
            if not me.addressed and distance <= 3 and other.author != me.author:
                f.append((_INDEX["plain_reply_near"], 1.0))
            if me.bot and other.trigger:
                f.append((_INDEX["bot_answers_trigger"], 1.0))
            if other.bot:
                f.append((_INDEX["j_bot"], 1.0))
            if newcomer:
                f.append((_INDEX["i_newcomer"], 1.0))
            out.append(f)
        return out


def _minutes(earlier: float | None, later: float | None) -> float | None:
    if earlier is None or later is None:
        return None
    return max(0.0, (later - earlier) / 60.0)


def candidates(i: int) -> list[int]:
    """The messages ``i`` may respond to, nearest last, then ``i`` itself (a new conversation)."""
    return [*range(max(0, i - WINDOW), i), i]


def _score(features: list[tuple[int, float]], weights: Sequence[float]) -> float:
    return sum(weights[k] * v for k, v in features)


def parents(messages: Sequence[Message], *, one_conversation: bool = False,
            weights: dict[str, float] | None = None) -> list[int]:
    """The message each one responds to (its index), or its own index where it starts a conversation.

    ``weights`` default to ``WEIGHTS`` in a channel where people address each other by
    name, and to ``PLAIN_WEIGHTS`` where fewer than ``ADDRESSING`` of the messages do.
    """
    if one_conversation:
        return [0] * len(messages) if messages else []
    channel = _Channel(messages)
    if weights is None:
        addressing = sum(bool(s.addressed) for s in channel.seen) / max(1, len(channel.seen))
        weights = WEIGHTS if addressing >= ADDRESSING else PLAIN_WEIGHTS
    vector = [weights[name] for name in FEATURES]
    where = {m.id: n for n, m in enumerate(messages) if m.id is not None}
    out: list[int] = []
    for i, message in enumerate(messages):
        target = where.get(message.reply_to) if message.reply_to is not None else None
        if target is not None and target < i:
            out.append(target)
            continue
        options = candidates(i)
        scores = [_score(f, vector) for f in channel.features(i, options)]
        out.append(options[max(range(len(options)), key=scores.__getitem__)])
    return out


def exchanges(links: Sequence[int]) -> list[int]:
    """Each message's exchange (0, 1, ... in order of their first message), from ``parents``."""
    root = list(range(len(links)))
    for i, parent in enumerate(links):
        root[i] = i if parent == i else root[parent]
    numbers: dict[int, int] = {}
    return [numbers.setdefault(r, len(numbers)) for r in root]


ASKS, ANSWERS = "asks", "answers"


def roles(messages: Sequence[Message], links: Sequence[int]) -> list[str | None]:
    """Each message's part in its exchange, from ``parents``: ``ASKS``, ``ANSWERS`` or None.

    Most exchanges open with a question or a problem ("?", or someone speaking of
    themselves: "I", "my"): its author, the asker, asks in all their messages, and a
    message from someone else answers when it responds to the asker, or goes on with an
    answer (its author's own, or a bot's reply to a helper's command); the rest (helpers
    talking among themselves) has no role. An exchange whose opener speaks to someone
    ("ana: you need to ...", to a question from before the exchange began) was asked by
    that someone. An exchange that opens with news instead ("Reminder: the dome is closed
    on Friday") is the other way round: its opener's messages answer, and the others'
    questions about it ask.
    """
    channel = _Channel(messages)
    asker: list[str] = []
    news: list[bool] = []
    out: list[str | None] = []
    for i, (message, parent) in enumerate(zip(messages, links, strict=True)):
        if parent == i:
            spoken_to = channel.seen[i].addressed - {message.author}
            asker.append(next(iter(spoken_to)) if len(spoken_to) == 1 else message.author)
            news.append(asker[i] == message.author and not asks_like(message.text))
        else:
            asker.append(asker[parent])
            news.append(news[parent])
        if news[i]:
            out.append(ANSWERS if message.author == asker[i] else ASKS if "?" in message.text else None)
        elif message.author == asker[i]:
            out.append(ASKS)
        elif messages[parent].author == asker[i] or parent == i or (
                out[parent] == ANSWERS and (messages[parent].author == message.author or message.bot)):
            out.append(ANSWERS)
        else:
            out.append(None)
    return out


_ASKS_LIKE = re.compile(
    r"\?|\b(i|i'm|im|i've|ive|i'd|my|me|mine|anyone|anybody|someone|somebody|help|how|why|question|problem|issue|"
    r"trouble|error|need|want)\b", re.IGNORECASE)


def asks_like(text: str) -> bool:
    """Whether a message asks or brings a problem (a question mark, "I", "my", "anyone", "how", "problem" ...)."""
    return bool(_ASKS_LIKE.search(text))
