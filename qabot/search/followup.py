"""Follow-up questions: rewrite "When did he die?" into a question that stands on its own.

The rule is deliberately small and predictable. A question that names something
itself (a capitalised name beyond its first word) is left alone, so a standalone
question is never spoiled by its history. A question that leans on its history (a
pronoun such as "he", "its", "they", or too few words to search on) gets the names
from the most recent earlier question that has any: the pronoun is replaced by the
name ("How did Rudolf Klement die?"), or the name is added when there is no pronoun.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qabot.index.lexical import words

HISTORY_DEPTH = 5  # earlier questions of a conversation that every front-end keeps and passes as history

_PRONOUNS = {
    "he": "{}", "she": "{}", "they": "{}", "him": "{}", "them": "{}", "it": "{}",
    "his": "{}'s", "hers": "{}'s", "their": "{}'s", "theirs": "{}'s", "its": "{}'s", "her": "{}",
}
_PRONOUN = re.compile(r"\b(" + "|".join(_PRONOUNS) + r")\b", re.IGNORECASE)
_TOKEN = re.compile(r"[\w’'.-]+")  # a word, whole: "iPhone" is no "Phone", "2FA" no "FA"
_PARTICLES = frozenset("de da del van von la le di".split())  # lower case inside a name: "Leon de la Cruz"
_NOT_NAMES = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december i""".split()
)
_QUESTION_WORDS = frozenset(
    """who whom whose what which when where why how is are was were did do does can could should would
    will in on at of for to from by with and but or the a an tell name list give""".split()
)


def _capital(word: str) -> bool:
    """Whether a word begins with a capital, past any apostrophe, dot or hyphen it opens with ("'Arry", ".NET")."""
    return word.lstrip("’'.-")[:1].isupper()


def names(text: str) -> list[str]:
    """Capitalised name phrases (words that begin with a capital, "Élodie" too, one after the other, with a particle
    between two of them), leaving out a capitalised question word that opens the text."""
    phrases: list[list[str]] = []
    words_in = list(_TOKEN.finditer(text))
    for n, match in enumerate(words_in):
        word = match.group(0)
        apart = n == 0 or not text[words_in[n - 1].end() : match.start()].isspace()  # punctuation between: a new one
        open_ = bool(phrases and phrases[-1]) and not apart
        following = words_in[n + 1] if n + 1 < len(words_in) else None
        particle = word in _PARTICLES and not apart and (open_ or (
            following is not None and text[match.end() : following.start()].isspace()
            and _capital(following.group(0))))
        if _capital(word) or particle:
            if not open_:
                phrases.append([])
            phrases[-1].append(word)
        elif phrases and phrases[-1]:  # a word of no name ends the one before it
            phrases.append([])
    found = []
    for phrase in phrases:
        tokens = " ".join(phrase).strip(" .,;:!?’'").split()
        while tokens and tokens[0].lower() in _QUESTION_WORDS:
            tokens = tokens[1:]
        # "Sunday", "May" or "I" are capitalised without naming anyone the question is about.
        if tokens and not all(t.lower() in _NOT_NAMES for t in tokens):
            found.append(" ".join(tokens))
    return found


def needs_history(question: str) -> bool:
    if names(question):
        return False
    return bool(_PRONOUN.search(question)) or len(words(question)) < 2


def resolve(question: str, history: Sequence[str] | None) -> str:
    """The question to search for, with a pronoun or ellipsis resolved from ``history``."""
    if not history or not needs_history(question):
        return question
    for earlier in reversed(history):
        found = names(earlier)
        if found:
            subject = found[0]
            break
    else:
        return f"{history[-1].strip()} {question}"
    match = _PRONOUN.search(question)
    if match is None:
        return f"{subject}: {question}"
    replacement = _PRONOUNS[match.group(1).lower()].format(subject)
    return question[: match.start()] + replacement + question[match.end() :]
