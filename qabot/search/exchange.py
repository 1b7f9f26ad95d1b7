"""The answering message of a chat exchange: what a chat excerpt highlights and cites.

A chat is indexed exchange by exchange (``qabot.corpus.conversations``): a question and
the messages that answer it, each message a paragraph with its author and its role
(``Paragraph.role``: the asker's messages ask, replies to the asker from others answer).
A question about the chat matches the question asked in it best, so the sentence that
matches best is usually not the answer. The highlight is instead the best message of
the exchange from someone other than the asker, never one of the asker's own:

- the asker is the author of the best-matching message where it asks, or where it brings
  its author's own problem addressed to no one among messages addressed by name (a "me
  too" the untangler or a reply made an answer to someone else's question), or, where no
  role says, whom the others address most, by name or by reply (``addressing.ADDRESSED_MOST`` times at least);
- every message from someone else in the exchange's passages around it (``REACH``) is
  a candidate, scored by ``WEIGHTS`` over a few signals of an answer: its best
  sentence's score against the question (the rerank's), the share of the question's
  words it holds (by idf), its role, whether the asker then thanks its author, whether
  it holds something specific (a command, a path, a link, a version: words with digits
  or inner punctuation, but a number alone only where the question asks how much or how
  many) that the question does not, whether it advises ("you can ...",
  "try ...", "run ...", a command line alone: "grep -R word ~/dir", or as a question:
  "have you tried squid?"; support answers tell someone what to do), unless the question
  asks which thing or where ("Which package is it in?"), whether it asks back, whether it
  goes on from its author's message just before ("and then: ./setup.run" after
  "chmod +x setup.run": the first says what to do), whether it spells out an
  abbreviation the question asks about ("stable release update" for "SRU"), and where it
  is (the first reply after the question, or before the question, which it cannot answer
  unless the question was asked again), whether it says its author is not sure ("no idea", "not sure if ...": a
  guess beside the answer), and whether it opens with a yes or a no where the question asks for one;
- a "+1", "same" or "me too" is no candidate (nor "this" alone): it says who else has the
  problem, or agrees with an answer, and answers nothing;
- a bot's message is never a candidate: a factoid a helper's command called up is quoted
  (the helper's message is the answer), and a support bot's auto-reply, a level-up or a
  webhook's feed answers nobody;
- where nobody else speaks there, the best sentence is highlighted as in prose, but never a message that says
  nothing (``says_nothing``: the asker's "ty" to someone elsewhere, a "np"), nor a bot's (an auto-reply: "Thanks for
  posting! Please read #rules"), where a member says something.

The whole message is the highlight where it fits in 300 characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from qabot.chunking import asks
from qabot.corpus.chat import ACCEPTED, BOT, THANKED
from qabot.corpus.hyphens import WORD
from qabot.corpus.roles import ANSWERS, ASKS, FIRST_PERSON, TROUBLE, asks_like, called_by, nudges
from qabot.index.engine import ParagraphRow, PassageRow, SearchEngine, forgets_on_change
from qabot.index.lexical import STOPWORDS, tokenize
from qabot.search import addressing
from qabot.search.evidence import expected_type
from qabot.search.lexicon import is_ordinary
from qabot.search.thanks import Kept
from qabot.search.thanks import thanked as thanked_by
from qabot.text import fold

Span = tuple[int, int]
Scorer = Callable[[list[PassageRow]], dict[int, np.ndarray]]

REACH = 2  # passages either side of the matched one whose messages may answer it
LONG = 64  # the passages of a long message (a pasted log) that ``around`` reads past, either side
_NAME_CHARS = re.compile(r"[^\w\[\]\\`^{|}\-]+")  # what separates the names in "ana, ben:"
# A number alone ("for the last 20 years") is no command or version: specific only where a quantity is asked for.
_COUNT = re.compile(r"\W*\d{1,3}\W*")
_SPECIFIC = re.compile(r"https?://|`|\w[-_./=:+~]\w|\d|^--?\w|^[/~]\w")  # a command, path, link, version
# Advice: "you can ...", "you'll want to ...", "... should do it", or a verb of doing at the start of a clause ("try
# ...", "then add ..."); or put as a question, which asks nothing back: "have you tried squid?", "did you run exportfs
# -a?", "you mean sqlitebrowser?".
_SUGGESTS = re.compile(
    r"\byou(?:['’]d| would|['’]ll| will)? (?:can|could|should|need to|might|may|must|have to|want to)\b|\btry\b"
    r"|\b(?:have|did) you (?:tried|try|run|ran|check(?:ed)?|look(?:ed)? at|seen|see|read)\b|(?<!do )\byou mean\b"
    r"|\b(?:what|how) about\b|\b(?:should|would|will|might) (?:do (?:it|the trick)|work)\b"
    r"|(?:^|[.;:!,(-]\s*|\b(?:then|and|or|just|simply)\s+)(?:use|run|type|install|reinstall|remove|purge|add|set"
    r"|change|edit|disable|enable|give|put|open|boot|upgrade|update|apt|sudo|enter|press|select|go|mount|unmount"
    r"|delete|rename|copy|move|make|create|restart|reboot|load|unload|switch|turn)\b", re.IGNORECASE)
# A command line as the whole advice: "grep -R search /path/to/folder", "rm -- -*", "ls ~/.config": a lower-case word
# (not a small word: "on /dev/sda", "your ~/.bashrc") and an option, a path or a glob.
_COMMAND = re.compile(r"\s*([a-z][\w.+-]*)\s+(?:--?[\w-]|[/~][\w/.]|\*|\w+[+=]\w)")

# Someone telling of a problem ("we can't get it to boot", "the update failed"): where the message that matched best
# says so, its author is the asker, whatever the untangler made of the exchange. Its trouble words (``TROUBLE``) are
# ``asks_like``'s too; "we" and "our" are not, since that also decides whether an exchange opens with news, and news
# is often told with "we" ("we moved the meetup").
_PROBLEM = re.compile(rf"\b(?:we|our|{TROUBLE})\b", re.IGNORECASE)
# A typo put right and nothing else: "*careful", "Nooting/Booting*", "s/eth0/eth1/".
_CORRECTION = re.compile(r"\A\s*(?:\*[^\W\d_][\w'-]*|[^\W\d_][\w/'-]*\*|s/[^/\s]*/[^/\s]*/?)\s*\Z")
# Someone else having the problem too, or agreeing, and nothing more: "+1 having this too", "same here", "this".
_ME_TOO = frozenset({"+1", "same", "ditto", "bump"})  # and "me too"
_ME_TOO_FILLER = frozenset("+1 same here me too also ditto bump having have got getting this that the issue problem "
                           "error for i im i'm".split())
_ME_TOO_WORD = re.compile(r"\+1|[\w']+")
# Only courtesy, after the answer: "you're welcome", "u r welcome :)", "np", "no problem", "good luck".
_COURTESY = re.compile(r"\W*(?:(?:you|u|ur)(?:['’]?re| r| are)? (?:very |most )?welcome|yw|np|no (?:problem|prob|worries)"
                       r"|anytime|glad (?:to|i could) help|good luck|gl|you too)\W*\Z", re.IGNORECASE)
# Only thanks, perhaps to someone by name: "ty", "thanks!", "thank you so much ana", and the thanks of the other languages
# the chat's exchanges read (``roles.THANKS``: "merci beaucoup", "vielen Dank", "спасибо"). Someone else's thanks in an
# exchange thanks someone for something (often a helper of another conversation, linked here by time): it answers nothing.
_THANKS = frozenset(fold(word) for word in """thanks thank thankyou thanx thnx thx tnx ty tysm tyvm cheers merci danke
    dank bedankt gracias grazie obrigado obrigada спасибо tack takk kiitos dziękuję dzięki děkuji díky köszönöm köszi
    teşekkürler teşekkür hvala mulțumesc дякую ευχαριστώ ありがとう ありがとうございます 谢谢 謝謝 감사합니다
    고맙습니다""".split())
_THANKS_TOO = _THANKS | frozenset(fold(word) for word in """you u so very much a lot again all everyone guys man mate
    beaucoup bien vielen schon muchas mil mille tante hartelijk muito muita большое så mycket paljon bardzo moc
    ederim""".split())
# Only taking something in, perhaps with thanks: "ok", "ok got it", "cool, I see", "ah ok thanks".
_TAKEN_IN = frozenset("ok okay k kk cool great nice perfect awesome alright got it i see ah oh gotcha understood".split())
# Going on from one's own message just before: "and then: ...", "also ...", "*carefull" (a typo put right).
_CONTINUES = re.compile(r"^\s*(?:and|then|also|or|plus|but|btw|oh|\*)\b", re.IGNORECASE)

_ANSWERING = frozenset({ANSWERS, ACCEPTED, THANKED})  # the roles of someone else's answer to the exchange's asker
FEATURES = ("score", "overlap", "answers", "accepted", "thanked", "specific", "specific_new", "asks_back", "suggests",
            "first_reply", "before", "continues", "expands", "hedges", "yes_no")
# Chosen on chat-dev and tests/data/chat-extra together (docs/quality.md; a softmax fitted on chat-dev alone did no
# better held out): "score" is the rerank's sentence score, the unit the others are in. "thanked" went from 0.2 to 0.3
# once a thanks by Discord reply counted, and to 0.25 once it was read from the whole exchange (2026-12-06).
WEIGHTS: dict[str, float] = {
    "score": 0.75, "overlap": 0.5, "answers": 0.1, "accepted": 0.2, "thanked": 0.25, "specific": 0.05, "specific_new": 0.2,
    "asks_back": -0.4, "suggests": 0.2, "first_reply": 0.1, "before": -0.2, "continues": -0.2,
    "expands": 0.5, "hedges": -0.4, "yes_no": 0.2,
}
# A yes-or-no question ("may I delete it?", "ok to ...?"; "is there a tool ...?" asks for the tool) and a yes or a no.
_YES_NO_ASKED = re.compile(r"(?i)^\s*(?:(?:is|are)(?! there\b)|was|can|could|may|might|should|shall|does|do|did|will"
                           r"|would|has|have|ok(?:ay)? to|safe to)\b")
_YES_NO = re.compile(r"(?i)^\s*(?:yes|yeah|yep|yup|no|nope|nah)\b(?![-'])")
# An abbreviation the question asks about ("what does SRU mean?"), three letters or more, and a message that spells
# it out ("stable release update"): the answer, rare and unmistakable (chat-extra x13, x06).
_ABBREVIATION = re.compile(r"\b[A-Z]{3,6}\b")
_LOWER_SHORT = re.compile(r"\b[a-z]{3,6}\b")  # the same typed in lower case, where no ordinary word ("gpa", "sru")
# A question for a thing, not for what to do: "Which package is it in?", "Where do I put it?", "Is this a known bug?".
# Advice counts for nothing there: a helper's "check if it runs: ps -A | grep ..." beside "on kde it is plasma-nm" is
# no better an answer for telling the asker what to do (chat-extra gained 4 answering messages: docs/quality.md).
# "What ...?" stays out: "what should I do?", "what's a quick way to ...?" ask for advice.
# "When" asks for a time only as "when is/does/will ...?": "When I boot, how do I ...?" asks how. A question typed
# without its question mark ("where are crash reports kept") asks the same: what qabot is asked is always a question.
_ASKS_WHICH = re.compile(r"(?i)(?:^|[.?!]\s+)(?:which|where|who|whom|whose|when (?:is|was|are|were|do|does|did|will"
                         r"|would|should|can|could))\b[^.?!]*\??\s*$|\bis (?:this|it|that) a (?:known )?bug\b")
# A helper who says they do not know ("not sure if you can ... but", "no idea, maybe ..."): likelier a guess beside
# the answer than the answer (chat-extra x08). Not "maybe", "I think", "might": answers say those too, and with them
# the chat sets lost (docs/quality.md).
_HEDGE = re.compile(r"(?i)\b(?:not sure|no idea|dunno|don'?t know|not certain|no clue|never used|never tried)\b")


@dataclass
class Candidate:
    """A message of the exchange, as the answer's features see it."""

    para: ParagraphRow
    units: list[Span]
    scores: list[float]  # its units'
    features: dict[str, float]
    value: float | None = field(default=None, repr=False, compare=False)  # its worth by ``WEIGHTS``, once asked


@dataclass
class Exchange:
    """The passages around a chat candidate: their sentence units and text, and the messages that may answer."""

    units: list[Span]
    text: str
    offset: int  # where ``text`` starts in the document
    matched: Span  # the unit that matched the question best
    options: list[Candidate]
    # The units of messages that say nothing (``says_nothing``), and of bots' where a member says something: never a
    # highlight where another unit is.
    idle: frozenset[Span] = frozenset()
    feed: bool = False  # nothing but bots' messages (a webhook's feed) and messages that say nothing: nobody's words


def is_chat(para: ParagraphRow | None) -> bool:
    """Whether a paragraph is a chat message of an exchange (it has an author and a group)."""
    return para is not None and para.author is not None and para.group is not None


def around(engine: SearchEngine, passage: PassageRow, group: int | None, reach: int = REACH) -> list[PassageRow]:
    """``passage`` and the passages up to ``reach`` either side of it in the same exchange, in order. The other
    passages of the message it is in count for none (up to ``LONG``): a log of 30 lines pasted in a question is some
    30 passages, and the answer after it is still near."""
    own = {para.start for offset in (passage.start, passage.end - 1)
           if (para := engine.paragraph_at(passage.doc, offset)) is not None}

    def step(other: PassageRow, left: int) -> int | None:  # the reach left past ``other``; None: it is past the edge
        para = engine.paragraph_at(other.doc, other.start)
        if para is None or para.group != group or left == 0:
            return None
        return left if para.start in own else left - 1

    radius = reach
    while True:
        near = engine.neighbours(passage, radius)
        at = next((n for n, p in enumerate(near) if p.row == passage.row), None)
        if at is None:
            return [passage]
        lo = hi = at  # outwards from the passage, stopping at the exchange's edge
        left = reach
        while lo > 0 and (after := step(near[lo - 1], left)) is not None:
            lo, left = lo - 1, after
        more = lo == 0 and at - lo == radius and left > 0  # walked off what was read, with some reach left
        left = reach
        while hi + 1 < len(near) and (after := step(near[hi + 1], left)) is not None:
            hi, left = hi + 1, after
        more = more or (hi == len(near) - 1 and hi - at == radius and left > 0)
        if not more or radius >= reach + LONG:
            return near[lo : hi + 1]
        radius = min(2 * radius, reach + LONG)  # a long message: read further


def read(engine: SearchEngine, passage: PassageRow, scores: np.ndarray, score_neighbours: Scorer,
         question: str = "", idf: dict[str, float] | None = None, also: Sequence[PassageRow] = (),
         kept: Kept | None = None) -> Exchange | None:
    """The exchange around ``passage``, with the messages from others than the asker; None outside a chat.
    ``kept``: what each exchange's asker thanked, for one question's reads (``thanks.thanked``)."""
    first = engine.paragraph_at(passage.doc, passage.start)
    if not is_chat(first):
        return None
    assert first is not None
    near = around(engine, passage, first.group)
    rows = {p.row for p in near}
    for other in also:  # passages of the same exchange that the search found too, further off
        if other.row in rows or other.doc != passage.doc:
            continue
        para = engine.paragraph_at(other.doc, other.start)
        if para is not None and para.group == first.group:
            near.append(other)
            rows.add(other.row)
    near.sort(key=lambda p: p.start)
    others = [p for p in near if p.row != passage.row]
    found = score_neighbours(others) if others else {}
    known: dict[Span, float] = dict(zip(passage.sentences, map(float, scores), strict=True))
    for other in others:
        if other.row in found:
            known.update(zip(other.sentences, map(float, found[other.row]), strict=True))
    lo, hi = near[0].start, near[-1].end
    text = engine.text(passage.doc, lo, hi)
    messages: dict[int, tuple[ParagraphRow, list[Span]]] = {}
    para = None
    for unit in sorted(known):
        if para is None or not para.start <= unit[0] < para.end:  # a message's sentences come one after the other
            para = engine.paragraph_at(passage.doc, unit[0])
        if para is not None:
            messages.setdefault(para.start, (para, []))[1].append(unit)
    asking = {u: asks(text[u[0] - lo : u[1] - lo]) for u in known}
    asked = fold(question)
    weights = idf or {}
    total = sum(weights.values()) or 1.0
    matched = max(passage.sentences, key=lambda u: known[u])
    said = next(p for p, units in messages.values() if matched in units)

    def laid_out(para: ParagraphRow) -> str:  # what the exchange's text holds of a message: "author: text"
        return text[max(para.start, lo) - lo : min(para.end, hi) - lo]

    to_whom = addressing.replied(engine, passage.doc, messages.values())
    laid = [(laid_out(p), p.author, to_whom.get(p.start)) for p, _ in messages.values()]
    authors = {p.author for p, _ in messages.values()}
    spaced = frozenset(a for a in authors if a and " " in a.strip())  # names a message may open with: "@Ana Lima "
    said_text = addressing.said(laid_out(said), said.author, spaced)
    asker = said.author if asking[matched] or said.role == ASKS or (
        said.role is None and (asks_like(said_text) or _PROBLEM.search(said_text))) else None
    if said.role == ANSWERS and addressing.brings_own(laid_out(said), said_text, said.author, laid):
        asker = said.author
    if asker is None and said.role is None:
        asker = addressing.most_addressed(laid)  # the one the others talk to is the one being helped
    if asker is None and said.role == ANSWERS and addressing.thanks_for_own(engine, passage.doc, said):
        asker = said.author  # an exchange taken to open with news whose opener thanks later opened with a problem
    if asking[matched] and said.role != ASKS and not FIRST_PERSON.search(said_text):
        # A question put to someone else of the exchange ("ana: which card do you have?") asks back: ana asked. One
        # that speaks of its author's own situation ("should I ...", "when we do ...") is theirs, even put to a helper.
        asker = addressing.addressee(laid_out(said), said.author, authors, to_whom.get(said.start)) or asker
    order = sorted(messages.values(), key=lambda m: m[0].start)
    thanked = thanked_by(engine, passage.doc, first.group, asker, kept)
    abbreviations, counts, which, yes_no = _asked(question)
    names = {fold(p.author) for p, _ in order if p.author}
    names |= {word for name in names for word in _NAME_CHARS.sub(" ", name).split()}  # "ana lima": "ana", "lima"
    names |= {part for name in names for part in called_by(name)}  # "omar_h": "omar", as thanks name him
    facts_of = {p.start: _facts(laid_out(p), p.author, spaced) for p, _ in order}
    out = []
    replied = False
    # Where the build's asker goes by the same name, an answer under that name is someone else's: two members may
    # share a display name ("Alex"), and the build told them apart (by their ids), the search cannot.
    namesake = any(p.role == ASKS and p.author == asker for p, _ in order)
    for n, (para, units) in enumerate(order):
        if para.role in (ASKS, BOT) or (para.author == asker and not (namesake and para.role in _ANSWERING)):
            continue  # the asker's own, or a bot's (quoted, never the answer: see the module's docstring)
        facts = facts_of[para.start]
        if says_nothing(facts, names):
            continue  # nothing, only someone's name ("ana", to get her attention), a typo put right, a "+1", a "np", a "ty"
        after = para.start > said.start
        specific = [folded for folded, count in facts.specific if counts or not count]
        asks_too = any(asking[u] for u in units)
        suggests = facts.suggests or (not asks_too and facts.commands)
        features = {
            "score": max(known[u] for u in units),
            "overlap": sum(weights.get(t, 0.0) for t in facts.terms) / total,
            "answers": float(para.role in (ANSWERS, ACCEPTED, THANKED)),
            "accepted": float(para.role == ACCEPTED),
            "thanked": float(para.role == THANKED or para.start in thanked),
            "specific": float(bool(specific)),
            "specific_new": float(any(folded not in asked for folded in specific)),
            "asks_back": float(asks_too and not suggests),
            "suggests": float(suggests and not which),
            "first_reply": float(after and not replied and asker is not None),
            "before": float(asker is not None and not after),
            "continues": float(n > 0 and order[n - 1][0].author == para.author and facts.continues),
            "expands": float(any(short in facts.initials for short in abbreviations)),
            "hedges": float(facts.hedges),
            "yes_no": float(facts.yes_no and yes_no),
        }
        replied = replied or after
        out.append(Candidate(para, units, [known[u] for u in units], features))
    idle = frozenset(u for p, units in order if says_nothing(facts_of[p.start], names) for u in units)
    bots = frozenset(u for p, units in order if p.role == BOT for u in units)
    feed = bool(bots) and idle.union(bots).issuperset(known)
    if not feed:  # a bot's auto-reply is no highlight where a member says something
        idle |= bots
    return Exchange(sorted(known), text, lo, matched, out, idle, feed)


def says_nothing(facts: _Facts, names: AbstractSet[str]) -> bool:
    """Whether a message (its ``_Facts``) says nothing that may answer: only someone's name ("ana", to get her
    attention; ``names``: the folded names of the exchange's authors), a typo put right, a "+1", a "np", a nudge
    ("any ideas?"), or only thanks or taking something in, perhaps to someone by name ("ty", "thank you so much
    ana", "ok got it"). A thanks to one name not of the exchange ("ty juniper": the untangling may have left juniper
    out) says nothing either."""
    others = facts.words - names - _THANKS_TOO - _TAKEN_IN
    return facts.words <= names or facts.filler or (not facts.words.isdisjoint(_THANKS | _TAKEN_IN) and not others) or (
        not facts.words.isdisjoint(_THANKS) and len(others) == 1)


@lru_cache(maxsize=256)
def _asked(question: str) -> tuple[frozenset[str], bool, bool, bool]:
    """What the features need of the question, read once for its reads of exchanges: the abbreviations it asks
    about ("SRU", or "gpa" typed in a hurry, where no ordinary word), whether it asks how much or how many, for a
    thing (which, where ...) and for a yes or a no."""
    abbreviations = {found.lower() for found in _ABBREVIATION.findall(question)} | {
        word for word in _LOWER_SHORT.findall(question) if not is_ordinary(word)}
    return (frozenset(abbreviations), expected_type(question) == "number", bool(_ASKS_WHICH.search(question.strip())),
            _YES_NO_ASKED.match(question) is not None)


_KEPT = 4096  # messages whose facts are kept: a question reads some 150, the next ones many of the same


@dataclass(frozen=True)
class _Facts:
    """What the features need of a message, whatever the question: read once for each message as laid out (the
    same messages come back question after question, and for each candidate of an exchange)."""

    words: frozenset[str]  # its words, folded, to tell a message of nothing but names
    filler: bool  # a typo put right, a "+1", a "np", a nudge ("any ideas?", ``roles.nudges``): nothing that may answer
    specific: tuple[tuple[str, bool], ...]  # its specific words, folded and stripped, each with whether a number alone
    suggests: bool
    commands: bool  # it opens with a command line
    terms: frozenset[str]  # its BM25 terms
    continues: bool  # it opens as going on from its author's message before
    initials: str  # its words' first letters, for an abbreviation spelled out
    hedges: bool
    yes_no: bool  # it opens with a yes or a no


@lru_cache(maxsize=_KEPT)
def _facts(laid: str, author: str | None, spaced: frozenset[str] = frozenset()) -> _Facts:
    """The ``_Facts`` of a message as the exchange lays it out (``"author: text"``; ``spaced``: the exchange's authors
    whose names have spaces, which a message may open by addressing, ``addressing.said``)."""
    body = addressing.said(laid, author, spaced)
    return _Facts(
        words=frozenset(_NAME_CHARS.sub(" ", fold(body)).split()),
        filler=bool(_CORRECTION.match(body) or _me_too(body) or _COURTESY.match(body) or nudges(body)),
        specific=tuple((fold(word.strip(".,;:!?()'\"")), bool(_COUNT.fullmatch(word)))
                       for word in body.split() if _SPECIFIC.search(word)),
        suggests=bool(_SUGGESTS.search(body)),
        commands=_commands(body),
        terms=frozenset(tokenize(body)),
        continues=bool(_CONTINUES.search(body)),
        initials="".join(word[0] for word in WORD.findall(body.lower())),
        hedges=bool(_HEDGE.search(body)),
        yes_no=bool(_YES_NO.match(body)),
    )


forgets_on_change(_facts.cache_clear)


def _me_too(said: str) -> bool:
    """Whether a message (without its author) only says its author has the problem too, or agrees: "+1", "same
    here", "me too!", "+1 having this too", or "this" alone (under an answer)."""
    words = _ME_TOO_WORD.findall(fold(said))
    if words == ["this"]:
        return True
    return (bool(words) and set(words) <= _ME_TOO_FILLER
            and (not _ME_TOO.isdisjoint(words) or " me too " in f" {' '.join(words)} "))


def _commands(said: str) -> bool:
    """Whether a message (without its author and addressee) opens with a command line ("grep -R word ~/dir")."""
    opening = _COMMAND.match(said)
    return opening is not None and opening.group(1) not in STOPWORDS


def worth(candidate: Candidate, weights: dict[str, float] | None = None) -> float:
    if weights:
        return sum(weights[name] * value for name, value in candidate.features.items())
    if candidate.value is None:  # asked of each option every time the best is picked: kept once it is known
        candidate.value = sum(WEIGHTS[name] * value for name, value in candidate.features.items())
    return candidate.value


def best(chat: Exchange) -> Candidate | None:
    """The answering message: the best of the options, or None where no one else speaks."""
    return max(chat.options, key=worth) if chat.options else None


def answer_span(chat: Exchange, limit: int) -> Span | None:
    """The answering message to highlight (its best sentence where it is longer than ``limit``); None where no one
    else speaks."""
    found = best(chat)
    if found is None:
        return None
    lo, hi = found.units[0][0], found.units[-1][1]
    if hi - lo > limit:
        lo, hi = found.units[int(np.argmax(found.scores))]
    return lo, hi
