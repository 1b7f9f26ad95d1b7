"""Whom the messages of an exchange speak to, and so who asked (``qabot.search.exchange``).

A message is read as an exchange lays it out, ``"author: text"`` (``Laid``, with its author and the author of
the message it replies to). In a channel where people address each other ("ana: try ...", "@ana ..."), the one the
others talk to is the asker; a message addressed to no one, in the first person, that asks, brings its author's own
question; and an exchange's opener who thanks later in it was helped.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from qabot.chunking import Span
from qabot.corpus.roles import ADDRESSED, FIRST_PERSON, LABELS, asks_like, says_thanks
from qabot.index.engine import ParagraphRow, SearchEngine
from qabot.search import thanks
from qabot.search.thanks import unsigned as _unsigned
from qabot.text import fold

Laid = tuple[str, str | None, str | None]  # a message as an exchange lays it out: "author: text", author, whom it replies to

ADDRESSED_SHARE = 0.5  # of the others' messages around it addressed by name: people there address their answers
ADDRESSED_MOST = 2  # times the others address someone by name, more than anyone else, that make them the asker
# Words that open a message as "try: ..." or "yes, ..." do, not as the name of whom it is for: a label ("edit:") or a
# word of advice or of answer, where people answer with Discord's replies instead of names.
_NO_NAMES = LABELS | frozenset("try yes no ok okay so well then and but also yeah yep nope sure hmm hm oh ah maybe "
                               "sorry first next finally otherwise alternatively actually anyway btw example".split())
# What follows a name of several words that a message opens by addressing: as ``ADDRESSED`` has it after one word.
_AFTER_MENTION, _AFTER_NAME = re.compile(r"[:,]?\s"), re.compile(r"[:,]\s")


def brings_own(said_body: str, said_text: str, author: str | None, laid: list[Laid]) -> bool:
    """Whether a message the untangler took for an answer brings its author's own question or problem instead.

    In a channel where people address each other by name ("ana: try ..."), a helper's answer is addressed to
    the asker; a message addressed to no one, in the first person, that asks or tells of a problem ("I'm trying
    to block USB storage ... tried blacklisting it") opens its author's own question, linked by time to someone
    else's. Only where most of the others' messages around it are addressed: in a channel where people answer
    with Discord's replies and no names, an answer in the first person ("I had the same problem: ...") is common.
    """
    others = [(body, name) for body, name, _ in laid if name != author]  # the messages around it, as laid out
    authors = {name for _, name, _ in laid}
    if _opens_addressed(said_body, author, authors) or not others or not FIRST_PERSON.search(said_text):
        return False
    if not asks_like(said_text):
        return False
    return sum(_opens_addressed(body, name, authors) for body, name in others) >= ADDRESSED_SHARE * len(others)


def thanks_for_own(engine: SearchEngine, doc: int, said: ParagraphRow) -> bool:
    """Whether ``said`` opens its exchange and its author thanks later in it ("docker compose says port 5432 is
    already allocated" ... "thanks!"): what the untangler took for news was their problem, and they were helped."""
    mine = [p for p in engine.paragraphs(doc)[: thanks.READ] if p.group == said.group]
    return bool(mine) and mine[0].start == said.start and any(
        p.author == said.author and says_thanks(_unsigned(engine.text(doc, p.start, p.end), p.author)) for p in mine[1:])


def most_addressed(said: list[Laid]) -> str | None:
    """The author the messages (``"author: text"``, author, whom it replies to) address more than anyone else, by name
    or by Discord reply, at least ``ADDRESSED_MOST`` times; None where nobody is. In an exchange where nobody's role is
    known, the one the others talk to is the asker ("lsfret: sudo dd bs=4M ..." among "TomyWork: lsfret ...",
    "ki7mt: lsfret, ..."), whichever of its messages matched."""
    authors = {name for _, name, _ in said}
    counts = Counter(to for body, name, replied in said
                     if (to := addressee(body, name, authors, replied)) is not None)
    if not counts:
        return None
    (top, most), *rest = counts.most_common(2)
    return top if most >= ADDRESSED_MOST and (not rest or rest[0][1] < most) else None


def _opens_addressed(body: str, author: str | None, names: Iterable[str | None] = ()) -> bool:
    """Whether a message (``"author: text"``) opens by addressing someone ("ana: ...", "@ana, ...", "@ana ...";
    ``names``: see ``_opening``)."""
    return _addressed_to(body, author, names) is not None


def addressee(body: str, author: str | None, authors: set[str | None], replied: str | None = None) -> str | None:
    """Whom a message (``"author: ana: text"``) opens by addressing, else the author of the message it replies to
    (``replied``), where that is someone else among ``authors``."""
    return next((name for name in (_addressed_to(body, author, authors), replied)
                 if name is not None and name != author and name in authors), None)


def replied(engine: SearchEngine, doc: int, messages: Iterable[tuple[ParagraphRow, list[Span]]]) -> dict[int, str]:
    """By each message's start, the author of the message it replies to, where that is in the same document."""
    replies = {para.start: para.reply_to for para, _ in messages if para.reply_to is not None}
    if not replies:
        return {}
    authors = {para.number: para.author for para in engine.paragraphs(doc)}
    return {start: author for start, number in replies.items() if (author := authors.get(number)) is not None}


def _addressed_to(body: str, author: str | None, names: Iterable[str | None] = ()) -> str | None:
    """The name a message (``"author: text"``) opens by addressing: "ana: ", "@ana, ", or a Discord mention, "@ana "
    (``names``: see ``_opening``)."""
    opening = _opening(_unsigned(body, author), names)
    return opening[0] if opening else None


def _opening(unsigned: str, names: Iterable[str | None] = ()) -> tuple[str, int] | None:
    """The name a message (without its author) opens by addressing, and where what it says begins: "ana: ", "@ana, ",
    "@ana ", or one of ``names`` (the exchange's authors) of several words, as Discord writes a mention of a display
    name with spaces ("@Ana Lima ") or as typed ("Ana Lima: "); None where it addresses no one."""
    lead = len(unsigned) - len(unsigned.lstrip())
    mention = unsigned.startswith("@", lead)
    at = lead + mention
    for name in sorted({n for n in names if n and " " in n.strip()}, key=len, reverse=True):
        end = at + len(name)
        if unsigned[at:end].casefold() == name.casefold() and (
                after := (_AFTER_MENTION if mention else _AFTER_NAME).match(unsigned, end)):
            return name, after.end()
    opening = ADDRESSED.match(unsigned)
    return (opening.group(0).strip().lstrip("@").rstrip(":,"), opening.end()) if opening else None


def said(body: str, author: str | None, names: Iterable[str | None] = ()) -> str:
    """What a message (``"author: text"``) says, without its author and the name it is addressed to ("ana: ", or as
    Discord writes a mention: "@ana "; ``names``: see ``_opening``). An opening word that is no name stays: "try:
    loadkeys de", "yes, you can"."""
    unsigned = _unsigned(body, author)
    opening = _opening(unsigned, names)
    if opening is None or fold(opening[0]) in _NO_NAMES:
        return unsigned
    return unsigned[opening[1] :]
