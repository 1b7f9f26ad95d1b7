"""A chat message's part in its exchange (``ASKS``, ``ANSWERS`` or None), and what tells that a message asks.

``role_in`` gives each message of an exchange its role as ``qabot.corpus.conversations``
untangles a channel (and ``qabot.history.linking`` a live one): the opener's author asks,
and a message to them answers; an exchange that opens with news (an announcement, or a
message that does not ask: ``asks_like``) has it the other way round. A greeting
(``greets``: "hi", "media: hi", "@ana hello") is no news: its author is about to ask. The
search reads the roles (``qabot.search.exchange``) to tell the answer from the question.
"""

from __future__ import annotations

import re
from collections.abc import Container
from functools import lru_cache
from typing import TYPE_CHECKING

from qabot.corpus.conversation_features import COMMON
from qabot.text import asks_mark, fold

if TYPE_CHECKING:
    from qabot.corpus.conversations import Message

ASKS, ANSWERS = "asks", "answers"


def role_in(message: Message, opener: tuple[str, bool], *, first: bool, parent_author: str | None = None,
            parent_role: str | None = None) -> str | None:
    """A message's role in its exchange (see ``Untangler``): ``first`` where it opens it, else its parent's author
    and role."""
    asker, news = opener
    if news:
        return ANSWERS if message.author == asker else ASKS if asks_mark(message.text) else None
    if message.author == asker:
        return ASKS
    if first or parent_author == asker or (
            parent_role == ANSWERS and (parent_author == message.author or message.bot)):
        return ANSWERS
    return None


# Telling of a problem without asking ("tailwind classes aren't applied in production", "the update failed"). A message
# that opens by addressing someone ("ana: deleting the files doesn't delete the filesystem") tells them something
# instead: often the answer to a question from before its exchange began (whose asker the untangler may not know).
TROUBLE = (r"can['’]?t|cannot|won['’]?t|doesn['’]?t|don['’]?t work|isn['’]?t|aren['’]?t|not \w+ing|fails?|failed|"
           r"broken|crash\w*|stuck|unable to|no longer|denied|not found|no such|404")
_ASKS_LIKE = re.compile(
    r"\b(i(?!\.e\.)|i'm|im|i've|ive|i'd|my|me|mine|anyone|anybody|someone|somebody|help|how|why|question|problem|issue|"
    r"trouble|error|need|want)\b", re.IGNORECASE)
_TROUBLE = re.compile(rf"\b(?:{TROUBLE})\b", re.IGNORECASE)
# A message that opens by addressing someone: "ana: ", "ana, ", "@ana, ", or a Discord mention alone, "@ana ".
ADDRESSED = re.compile(r"^\s*(?:@[^\s:,]+[:,]?|[^\s:,]+[:,])\s")
# Words that open a message as a label, not as the name of whom it is for ("Update: build fails", "Edit: ..."): such
# a message addresses someone only where a member of the channel goes by that name.
LABELS = frozenset("""update updated edit edited note nb ps pps psa fyi reminder announcement news question q problem
    issue error warning bug fix fixed solved solution answer status info tip hint result summary tldr context
    background details also addendum correction followup todo eta urgent important""".split())
_OPENS_QUESTION = re.compile(r"^\W*(?:what|wat|whats|which|where|when|who|whose|is there|are there"
                             r"|(?:can|could|would|will|do|does|did|should|has|have|is|are)\s+(?:you|u|ya|anyone|anybody"
                             r"|someone|somebody|somone|any one|some one|i|we|it|this|that|these|those))\b", re.IGNORECASE)


def addresses(text: str, names: Container[str] = ()) -> bool:
    """Whether a message opens by addressing someone ("ana: ...", "@ana ..."): not where its first word is a label
    ("Update: build fails") that none of ``names`` (the folded names members of the channel go by) is."""
    opening = ADDRESSED.match(text)
    if opening is None:
        return False
    word = fold(opening.group(0).strip().lstrip("@").rstrip(":,"))
    return word not in LABELS or word in names


def asks_like(text: str, names: Container[str] = ()) -> bool:
    """Whether a message asks or brings a problem (a question mark, "I", "my", "anyone", "how", "problem" ..., a
    question first: "wat is the meaning of ...", "is there a way ...", "could somone recommend ...", or trouble told to
    no one in particular: "isn't", "not appearing", "unable to", "fails", or as a command's error says it: "permission
    denied", "not found", "404" ...; ``names``: see ``addresses``)."""
    return bool(asks_mark(text) or _ASKS_LIKE.search(text) or _OPENS_QUESTION.match(text)
                or (_TROUBLE.search(text) and not addresses(text, names)))


# Speaking of one's own situation: "I", "my", "we" ... A question without it, put to someone else ("which version are you
# on?"), asks them back: its author is helping.
FIRST_PERSON = re.compile(r"\b(?:i(?!\.e\.)|i'm|im|i've|ive|i'd|my|me|mine|we|our|us)\b", re.IGNORECASE)


def asks_back(text: str) -> bool:
    """Whether a message asks someone else something (a question mark, nothing of its author's own situation)."""
    return asks_mark(text) and not FIRST_PERSON.search(text)


# Words that say nothing yet: "umm", "hmm", "ok so", "guys", "quick question".
_LITTLE = re.compile(r"\W*(?:(?:u+h*m+|h+m+|e+r+m+|u+h+|a+h+|o+h+|o+k+(?:a+y+)?|so+|well|right|alright|wait|guys|folks|all|"
                     r"everyone|quick|question|yo|sup|hello|hey|hi)\b\W*)+")


def says_little(text: str) -> bool:
    """Whether a message says nothing yet ("umm", "guys", "ok so ..."): opening an exchange, it brings no news, and
    its author is about to say what they came for."""
    return _LITTLE.fullmatch(fold(text)) is not None


# A thanks, or word that something worked: "thanks Eric, much better now", "ty", "that fixed it", "vielen Dank".
# Swedish, Norwegian, Finnish, Polish, Czech, Hungarian, Turkish, Croatian and Serbian, Romanian, Ukrainian, Greek; and
# Japanese, Chinese and Korean, whose words no space ends ("ありがとうございます"). Not Danish "tak", Polish for "yes".
THANKS = re.compile(r"\b(thanks?|thx|ty|tyvm|cheers|merci|danke?|bedankt|gracias|grazie|obrigad[oa]|спасибо|worked|"
                    r"works now|solved|fixed|tack|takk|kiitos|dzi[eę]kuj[eę]|dzi[eę]ki|d[eě]kuji|d[ií]ky|k[oö]sz[oö]n[oö]m|"
                    r"k[oö]szi|te[sş]ekk[uü]r(?:ler)?|hvala|mul[tț]umesc|дякую|ευχαριστ[ώω])\b|ありがとう|谢谢|謝謝|감사합니다|"
                    r"고맙습니다", re.IGNORECASE)


_NAME_WORDS = re.compile(r"[^\W\d_]+")  # a name's words: "omar haddad", "omar_h", "omar.h", "omar99" open with "omar"


@lru_cache(maxsize=4096)  # asked of every message's names as a channel is untangled
def called_by(name: str) -> tuple[str, ...]:
    """What a member (a name of theirs, folded) is called by in a thanks: the name, and its first word where it has
    more than one ("omar" of "omar haddad", "omar_h"): people thank each other by first name. Not a first word that is
    a name for nobody (a word of two letters, or a common one: "the" of "the_real_joe", "big" of "big dave" is one)."""
    words = _NAME_WORDS.findall(name)
    return (name, words[0]) if len(words) > 1 and len(words[0]) > 2 and words[0] not in COMMON else (name,)


def says_thanks(text: str) -> bool:
    """Whether a message thanks (or says it worked) without asking on ("thanks, but how ...?" asks)."""
    return bool(THANKS.search(text)) and not asks_mark(text)


# A greeting, and what may follow it in a message that only greets ("hi all", "good morning everyone :)", "hey ana").
_GREETING = re.compile(r"[^\w@]*(?:hi+|hello+|hey+|heya|hiya|howdy|yo|hola|hallo|greetings|g(?:oo)?d (?:morning|afternoon|"
                       r"evening|day)|morning|evening)\b")
_FILLER = frozenset("all everyone everybody folks guys people there again yall y'all team friends".split())
_ADDRESS = re.compile(r"\s*(?:@\S+[\s:,]*|[^\s:,@]+[:,]\s+)")  # "@ana ", "media: ", "ana, " (matched where one may be)


def greets(text: str) -> bool:
    """Whether a message only greets ("hi", "good morning all", "media: hi", "@ana hello!", "hello ana"): a greeting
    after any names it is addressed to, then nothing but filler ("all", "there") and at most one other word (a name).
    The names are stepped over in place: cutting each off the text copied the rest every time (an export's message of
    2 MB of "a: " took 40 s)."""
    rest = fold(text).strip()
    at = 0
    while (address := _ADDRESS.match(rest, at)) is not None and not _GREETING.match(rest, at):
        at = address.end()
    opening = _GREETING.match(rest, at)
    if opening is None:
        return False
    words = [w for w in re.findall(r"[\w'@]+", rest[opening.end() :]) if w not in _FILLER]
    return len(words) <= 1


# Only asking again: "anyone?", "bump", "any ideas?", "??" (signs alone need a "?": ":)" answers something).
_NUDGE = re.compile(r"\W*(?:(?:any\s*(?:one|body|ideas?|help|suggestions?|clues?|takers)|some\s*(?:one|body)"
                    r"|help|bump|ping|please|pls|plz|hello|here|there|around)\W*)*")


def nudges(text: str) -> bool:
    """Whether a message only asks again, as its author's nudge to a question of theirs nobody has answered yet."""
    folded = fold(text)
    return len(folded) <= 40 and _NUDGE.fullmatch(folded) is not None and (
        asks_mark(folded) or any(map(str.isalpha, folded)))
