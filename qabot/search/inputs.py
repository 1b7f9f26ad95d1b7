"""Checking what a caller asks: the question, the conversation history, how many results.

Every argument gets a ``QuestionError`` with a one-line message, or a documented reading:

- a question must be text; a terminal's escape sequences (a question piped from a coloured
  terminal), control characters, invisible format characters and lone surrogates (a broken
  encoding, or undecodable bytes in a command-line argument) are removed, whitespace is
  collapsed; empty or longer than the limit is an error;
- ``history`` is the earlier questions of the conversation, oldest first: a list (or any
  sequence) of text, or one question as a plain string; None is no history. The last
  ``MAX_HISTORY`` are read, each cleaned like a question, and one longer than the limit is
  an error (a follow-up can search for the question before it, so the limit holds for what is searched);
- ``k`` and ``n`` are whole numbers from 1; ``k`` is capped at 50.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Iterable

from qabot.errors import QuestionError
from qabot.index.lexical import STOPWORDS
from qabot.text import CONTROL, SURROGATE, flat, strip_controls

MAX_K = 50
# Earlier questions read, the newest: twice what a front-end keeps (``followup.HISTORY_DEPTH``). Cleaning each costs
# what a question does: a caller's whole conversation, 100,000 questions of 1,200 characters, took 90 s to clean.
MAX_HISTORY = 10


# A terminal's escape sequence (ECMA-48), whole: a control sequence (colours: "ESC[1;31m", or C1's CSI), a string
# (a window title: "ESC]0;title BEL"), or an escape with its intermediate and final bytes ("ESC(B"). A terminal shows
# none of it, and its control character alone removed would leave "[1;31m" in the question.
_ESCAPE_SEQUENCE = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
                              r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d-\x9f])[^\x07\x1b\x90\x98\x9c-\x9f]*(?:\x07|\x1b\\|\x9c)"
                              r"|\x1b[ -/]*[0-~]")
# What no terminal shows at the start of a line: escape sequences, controls, invisible format characters, spaces.
_UNSEEN_START = re.compile(rf"(?:{_ESCAPE_SEQUENCE.pattern}|{CONTROL.pattern}|\s)+")


# NFC puts a letter's accents together: four code points at most to one ("ᾂ" is α and three marks).
COMPOSED = 4
# A text this many times longer than the limit is too long, however much of it is spaces and invisible characters
# (a megabyte for the default 2,000): it is not cleaned, which copies it several times over (30 MB of words: 900 MB).
RAW = 512


def clean_text(text: str, limit: int | None = None) -> str:
    """``text`` as a question is read: a terminal's escape sequences, controls, invisible format characters and lone
    surrogates removed, NFC, one line with single spaces (so a text of only zero-width spaces is empty).

    With ``limit``, a text too long whatever cleaning makes of it is returned as it is (``RAW``), and one that NFC could
    not bring within it unnormalised: NFC orders a run of accents with an insertion sort, so half a megabyte of them
    would take half an hour, and it is too long anyway."""
    if limit is not None and len(text) > RAW * limit:
        return text
    text = flat(strip_controls(SURROGATE.sub(" ", _ESCAPE_SEQUENCE.sub("", text))))
    return text if limit is not None and len(text) > COMPOSED * limit else unicodedata.normalize("NFC", text)


def shown_from(line: str) -> str:
    """``line`` from the first character a terminal shows: a file's byte order mark, a zero-width space or a colour
    pasted before it is no part of how the line begins (a REPL command after one is still a command)."""
    return line[start.end():] if (start := _UNSEEN_START.match(line)) else line


def clean_question(question: object, limit: int) -> str:
    """The question with control characters removed and whitespace collapsed.

    Raises ``QuestionError`` when it is not text, nothing is left, or it is longer than ``limit``.
    """
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, not {type(question).__name__}")
    text = clean_text(question, limit)
    if not text:
        raise QuestionError("the question is empty")
    if len(text) > limit:
        raise QuestionError(f"the question is too long ({len(text):,} characters; the limit is {limit:,})")
    return text


# What people say to a bot that asks nothing of a corpus: greetings, thanks, acknowledgements, laughter; chat's
# shorthand ("nvm", "np", "brb"); and greetings and thanks in the languages whose thanks a chat's exchanges read
# (``corpus.roles.THANKS``), and a few more.
_SMALL_TALK = frozenset(
    """hello hi hey hiya howdy yo sup greetings morning afternoon evening night good day thanks thank thx ty cheers
    ok okay k kk cool nice great awesome fine lol lmao haha hah hehe yes yeah yep yup no nope nah bye goodbye cya
    later please pls plz sorry anyone anybody someone somebody everyone everybody guys folks people all help hmm hm
    ah oh wow welcome bot qabot up s much lot alive going well
    nvm np brb afk gm gn ttyl tysm tyvm thnx thanx tnx thankyou
    u man mate appreciate appreciated
    bonjour salut coucou merci beaucoup hola gracias muchas hallo danke schön dank vielen ciao grazie mille obrigado
    obrigada bedankt hartelijk je wel привет спасибо tack takk kiitos dziękuję dzięki děkuji díky köszönöm köszi
    teşekkürler teşekkür ederim hvala mulțumesc дякую ευχαριστώ ありがとう ありがとうございます 谢谢 謝謝 감사합니다
    고맙습니다 så mycket paljon bardzo""".split()
)
# How a server tries a bot out ("@qabot test", "ping", "testing 1 2 3"): small talk said alone or beside small talk,
# but what is asked about in a question ("how do I test it?"), which has other words.
_TRYING = frozenset("test testing ping".split())
_COUNTING = frozenset("1 2 3 123".split())  # said beside trying a bot out
# Asking whether the bot (or anyone) is there: a word of being there beside one for whom ("are you online?", "hi,
# anyone around?", "is this thing on?"); alone, each may be a follow-up's ("is it working?", "what's that thing?").
_HERE = frozenset("around online awake working on there here up alive".split())
_WHO = frozenset("you u anyone anybody someone somebody everyone everybody bot qabot thing".split())
# A word drawn out ("heyyy", "hiii", "hellooo"): its letters said three times or more, said once or twice.
_DRAWN_OUT = re.compile(r"(\w)\1{2,}")
# A link, pasted alone or beside small talk: it names a page, and asks nothing of it.
_LINK = re.compile(r"(?i)(?:https?://|www\.)\S+")


def says_nothing(question: str, query: str | None = None) -> bool:
    """Whether a question asks nothing a corpus could answer: only small talk ("hello", "thanks", "anyone here?",
    and trying the bot out: "test", "ping"), words that carry no subject ("what is it?"), or no words at all: an
    emoji ("👍", "✅"), signs ("?"), a link alone. Its nearest passage is no answer, however close.

    A follow-up searched as another ``query`` (completed from the conversation) of words that carry no subject alone
    ("Who was he?", "And her?") asks about what the conversation named; with small talk in it ("thanks, that's it")
    it still says nothing."""
    words = [_small(w) for w in re.findall(r"\w+", _LINK.sub(" ", question).casefold())]
    small = _SMALL_TALK | _HERE | _WHO if not _HERE.isdisjoint(words) and not _WHO.isdisjoint(words) else _SMALL_TALK
    if not words or (not _TRYING.isdisjoint(words) and all(w in small or w in _TRYING or w in _COUNTING
                                                           for w in words)):
        return True
    if not all(w in small or w in STOPWORDS for w in words):
        return False
    return query is None or query == question or not all(w in STOPWORDS for w in words)


def _small(word: str) -> str:
    """``word``, or the small talk it draws out ("heyyy": "hey", "hellooo": "hello")."""
    if word in _SMALL_TALK or not _DRAWN_OUT.search(word):
        return word
    return next((w for w in (_DRAWN_OUT.sub(r"\1", word), _DRAWN_OUT.sub(r"\1\1", word)) if w in _SMALL_TALK), word)


def readable(question: str) -> str:
    """The question as given, but with lone surrogates (which cannot be printed or sent) as U+FFFD."""
    return SURROGATE.sub("\ufffd", question)


def clean_history(history: object, limit: int | None) -> list[str]:
    """The last ``MAX_HISTORY`` earlier questions, cleaned like a question; empty ones are dropped, one longer than
    ``limit`` refused (None: kept whatever its length, as the state database keeps what was asked)."""
    if history is None:
        return []
    if isinstance(history, str):
        history = [history]  # one earlier question, not a sequence of characters
    if not isinstance(history, Iterable) or isinstance(history, bytes | dict):
        raise QuestionError(f"history must be a list of earlier questions, not {type(history).__name__}")
    items = list(history)
    if not all(isinstance(item, str) for item in items):
        wrong = next(type(item).__name__ for item in items if not isinstance(item, str))
        raise QuestionError(f"history must hold earlier questions as text, not {wrong}")
    cleaned = [clean for item in items[-MAX_HISTORY:] if (clean := clean_text(item, limit))]
    if limit is not None and (too_long := next((text for text in cleaned if len(text) > limit), None)):
        raise QuestionError(f"an earlier question in history is too long ({len(too_long):,} characters; "
                            f"the limit is {limit:,})")
    return cleaned


def check_count(value: object, name: str, cap: int | None = None) -> int:
    """``value`` if it is a whole number of at least 1 (at most ``cap``); else ``QuestionError``."""
    try:
        number = operator.index(value) if not isinstance(value, bool) else 0  # numpy's integers too
    except TypeError:
        number = 0
    if number < 1:
        raise QuestionError(f"{name} must be a whole number of at least 1, not {value!r}")
    return min(number, cap) if cap else number


def check_k(k: object) -> int:
    """``k`` as asked, at most ``MAX_K``."""
    return check_count(k, "k", MAX_K)
