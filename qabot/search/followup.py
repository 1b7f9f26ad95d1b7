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

_PRONOUNS = {
    "he": "{}", "she": "{}", "they": "{}", "him": "{}", "them": "{}", "it": "{}",
    "his": "{}'s", "hers": "{}'s", "their": "{}'s", "theirs": "{}'s", "its": "{}'s", "her": "{}",
}
_PRONOUN = re.compile(r"\b(" + "|".join(_PRONOUNS) + r")\b", re.IGNORECASE)
_NAME = re.compile(r"(?:[A-Z][\w’'.-]*|(?<=\s)(?:de|da|del|van|von|la|le|di)(?=\s+[A-Z]))(?:\s+(?:[A-Z][\w’'.-]*|de|da|del|van|von|la|le|di)(?=\s|\?|$|[,.;:!]))*")
_NOT_NAMES = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december i""".split()
)
_QUESTION_WORDS = frozenset(
    """who whom whose what which when where why how is are was were did do does can could should would
    will in on at of for to from by with and but or the a an tell name list give""".split()
)


def names(text: str) -> list[str]:
    """Capitalised name phrases, leaving out a capitalised question word that opens the text."""
    found = []
    for match in _NAME.finditer(text):
        phrase = match.group(0).strip(" .,;:!?’'")
        tokens = phrase.split()
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
