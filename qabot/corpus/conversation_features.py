"""The features a message's link is scored on (``qabot.corpus.conversations``): what each message says that they need
(``Seen``), and, for a message and the earlier ones it may respond to, one row of ``FEATURES`` each (``features``).

"i" is the later message, "j" the earlier one it may respond to; the "new_*" features score i starting a
conversation. Each feature's weight: ``qabot.corpus.conversation_weights``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from qabot.corpus.conversation_weights import FEATURES
from qabot.text import asks_mark, fold

if TYPE_CHECKING:
    from qabot.corpus.conversations import Message

SILENCE = 60.0  # minutes: the silence of a message's author not seen in the window, and the most counted of anyone's
READ_CHARS = 4096  # of a message, read for its words and names (Discord's longest is 4,000: an export's may be any)


@lru_cache(maxsize=1)
def _marks() -> str:
    """The marks that write a vowel or a nasal within a word (Devanagari's, Bengali's, Tamil's: no letters to Python,
    so "प्रिंटर" and "राहुल" were cut into pieces), as a character class's ranges: those of planes 0 and 1 (past them
    lie only variation selectors), found once, on first use (some 0.03 s)."""
    ranges: list[list[int]] = []
    for cp in range(0x20000):
        if unicodedata.category(chr(cp))[0] == "M":
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    return "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges)


@lru_cache(maxsize=1)
def name_token() -> re.Pattern[str]:
    """A name someone may be called by, as IRC and Discord allow one: letters, digits, their marks, and ``[]\\`^{|}-``."""
    return re.compile(rf"[\w\[\]\\`^{{|}}\-{_marks()}]+")


@lru_cache(maxsize=1)
def _word() -> re.Pattern[str]:
    """A content word, in any script (folded: "café" is "cafe", "ΔΙΚΤΥΟ" "δικτυο"): letters and digits with their
    marks, and within it "_", ".", "-", "/" ("apt-get", "/etc/fstab", "2.4")."""
    return re.compile(rf"[^\W_][\w.\-/{_marks()}]*(?:[^\W_]|[{_marks()}])")


_NUMBER = re.compile(r"\d{3,}")
_GREETING = re.compile(r"^\W*(hi|hello|hey|hiya|howdy|yo|good (morning|evening|afternoon)|anyone|anybody|help)\b")
COMMON = frozenset(
    """the and for you your that this with have has had not but are was were can could would should will just
    what when where which who how why there then than them they their from into out about some any all get got
    use using used try tried know need want like does did doing done also only still now here yes yeah okay
    thanks thank please sure well its it's i'm don't can't """.split()
)


@dataclass
class Seen:
    """What the features need of one message, computed once."""

    index: int  # its place in the channel
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
    numbers: frozenset[str]  # what a bot may look up: "bug 1289977", "#4521"
    long: bool
    addressed: set[str] = field(default_factory=set)  # the authors it addresses, of those who have spoken
    by_name: bool = False  # it addresses someone by name or @-mention (not only by replying)
    target: int | None = None  # the message it replies to, where that was seen here


def seen(message: Message, index: int) -> Seen:
    folded = fold(message.text[:READ_CHARS])
    tokens = name_token().findall(folded)
    stripped = folded.lstrip()
    return Seen(
        index=index,
        author=message.author,
        names=message.names | {fold(message.author)},
        time=message.time,
        tokens=frozenset(tokens),
        first=tokens[0] if tokens and stripped[:1] not in ("!", "/") else None,
        explicit=message.mentions | frozenset(t[1:] for t in folded.split() if t.startswith("@") and len(t) > 1),
        words=frozenset(w for w in _word().findall(folded) if len(w) > 2 and w not in COMMON),
        asks=asks_mark(message.text),
        greets=bool(_GREETING.match(folded)),
        bot=message.bot,
        trigger=stripped.startswith("!"),
        numbers=frozenset(_NUMBER.findall(folded)),
        long=len(message.text) > 60,
    )


_INDEX = {name: n for n, name in enumerate(FEATURES)}

# The features that need both messages' sets, in the order ``features`` lists them, each true or false: a candidate's
# are written as bytes (0 or 1), which numpy reads at once, where it reads a row of Python's bools one at a time
# (a third of the time this function took, per candidate); shared_rarity, a number, is set on its own.
_PAIRWISE_NAMES = (
    "i_addresses_j", "i_names_j", "i_addresses_other", "j_addresses_i", "j_names_i", "j_addresses_other",
    "same_author", "j_latest_of_author", "i_addresses_j_latest", "own_previous", "talked_before", "open_question",
    "j_asks", "j_bot", "bot_answers_trigger", "shared_1", "shared_2plus", "own_to_other")
_PAIRWISE = np.array([_INDEX[name] for name in _PAIRWISE_NAMES])
_SAME_AUTHOR = _PAIRWISE_NAMES.index("same_author")
_RARITY = _INDEX["shared_rarity"]
# How far apart two messages are, by bin: each candidate's bin (``np.searchsorted``) looks up its row of a table, one
# step where comparing it with each bound took a dozen.
_DISTANCES = np.array([_INDEX[name] for name in (
    "distance_1", "distance_2", "distance_3_5", "distance_6_10", "distance_11_20")])
_DISTANCE_BINS = np.array([0.5, 1.5, 2.5, 5.5, 10.5, 20.5])  # messages apart: (none,) 1, 2, 3-5, 6-10, 11-20, more
_DISTANCE_ROWS = np.vstack([np.zeros(5), np.eye(5), np.zeros(5)])
_GAPS = np.array([_INDEX[name] for name in ("gap_0_1m", "gap_2_5m", "gap_6_15m")])
_GAP_BINS = np.array([1.0, 5.0, 15.0])  # minutes apart: at most 1, 2-5, 6-15, more or not known (NaN sorts last)
_GAP_ROWS = np.vstack([np.eye(3), np.zeros(3)])


def features(me: Seen, near: list[Seen], window: Sequence[Seen], *, known: Mapping[str, str],
             holders: Mapping[str, Iterable[int]], counts: Mapping[str, int], links: int,
             names: AbstractSet[str]) -> np.ndarray:
    """One row of ``FEATURES`` per candidate: the messages ``near``, then ``me`` itself (a new conversation); from
    the ``window`` of messages before, the channel's ``known`` names, which messages hold each word (``holders``)
    and in how many (``counts``), how many messages were linked so far (``links``), and ``me``'s author's names."""
    n = len(near)
    x = np.zeros((n + 1, len(FEATURES)))
    author, addressed = me.author, me.addressed
    latest: dict[str, int] = {}  # each author's latest message in the window
    addressed_at: dict[str, int] = {}  # when each author was last addressed, in the window
    to_me = -1  # the latest message addressing me's author
    talked: set[str] = set()  # authors who addressed me's author, or whom me's author addressed
    own: Seen | None = None  # me's author's latest message in the window
    for s in window:
        latest[s.author] = s.index
        for someone in s.addressed:
            addressed_at[someone] = s.index
        if author in s.addressed:
            to_me = s.index
            talked.add(s.author)
        if s.author == author:
            talked.update(s.addressed)
            own = s
    newcomer = own is None
    named = {known[t] for t in me.tokens if t in known}  # the authors me names anywhere
    # The words me shares with each message of the window, and the rarest of them (its count).
    shares: dict[int, int] = {}
    rarest: dict[int, int] = {}
    for word in me.words:
        held = holders.get(word)
        if held:
            count = counts[word]
            for index in held:
                shares[index] = shares.get(index, 0) + 1
                if count < rarest.get(index, 1 << 62):
                    rarest[index] = count

    new = x[n]  # starting a conversation
    new[_INDEX["new"]] = 1.0
    if addressed:
        new[_INDEX["new_addresses"]] = 1.0
    elif named:
        new[_INDEX["new_names_someone"]] = 1.0
    new[_INDEX["new_asks"]] = me.asks
    new[_INDEX["new_newcomer"]] = newcomer
    new[_INDEX["new_greets"]] = me.greets
    new[_INDEX["new_long"]] = me.long
    new[_INDEX["new_was_addressed"]] = to_me >= 0
    # Minutes since its author last spoke, at most the hour that someone not seen in the window counts as: the weights
    # were fitted on a busy channel, whose window holds no longer silence (a day's, in a quiet one, weighed 2.2 for a
    # new conversation, and a helper's quick answer started one).
    spoke = own.time if own is not None else None  # when me's author last spoke, in the window
    silence = SILENCE
    if spoke is not None and me.time is not None:
        silence = min(SILENCE, max(0.0, (me.time - spoke) / 60.0))
    new[_INDEX["new_log_silence"]] = math.log1p(silence)
    if not n:
        return x

    pairs = x[:n]
    total = max(1, links)
    anyone, bot = bool(addressed), me.bot
    rows = []  # what needs the two messages' sets: bytes for each candidate, in _PAIRWISE's order
    for k, s in enumerate(near):
        who, at, their = s.author, s.index, s.addressed
        mine = who == author
        last = latest[who] == at
        to_them = who in addressed
        names_them = not to_them and who in named
        to_me_ = author in their
        names_me = not to_me_ and not s.tokens.isdisjoint(names)
        shared = shares.get(at, 0)
        if shared:
            pairs[k, _RARITY] = math.log(total / rarest[at])
        rows.append(bytes((
            to_them, names_them, not (to_them or names_them) and anyone,
            to_me_, names_me, not (to_me_ or names_me) and bool(their),
            mine, last, last and to_them, last and mine, who in talked and not mine,
            s.asks and not mine and addressed_at.get(who, -1) <= at, s.asks, s.bot,
            bot and s.trigger, shared == 1, shared > 1,
            mine and anyone and bool(their) and addressed.isdisjoint(their),
        )))
    flags = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(n, len(_PAIRWISE))
    pairs[:, _PAIRWISE] = flags
    index = np.array([s.index for s in near])
    distance = me.index - index
    pairs[:, _INDEX["j_latest_to_i"]] = index == to_me
    pairs[:, _INDEX["log_distance"]] = np.log(distance)
    pairs[:, _DISTANCES] = _DISTANCE_ROWS[np.searchsorted(_DISTANCE_BINS, distance)]
    if me.time is not None:
        times = np.array([np.nan if s.time is None else s.time for s in near])
        gap = np.maximum(0.0, (me.time - times) / 60.0)
        timed = ~np.isnan(gap)
        pairs[:, _GAPS] = _GAP_ROWS[np.searchsorted(_GAP_BINS, gap)]
        pairs[:, _INDEX["log_gap"]] = np.where(timed, np.log1p(np.where(timed, gap, 0.0)), 0.0)
    pairs[:, _INDEX["i_asks"]] = me.asks
    pairs[:, _INDEX["i_newcomer"]] = newcomer
    if not addressed:
        pairs[:, _INDEX["plain_reply_near"]] = (distance <= 3) & (flags[:, _SAME_AUTHOR] == 0)
    return x
