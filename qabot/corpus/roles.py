"""A chat message's part in its exchange (``ASKS``, ``ANSWERS`` or None), and what tells that a message asks.

``role_in`` gives each message of an exchange its role as ``qabot.corpus.conversations``
untangles a channel (and ``qabot.history.linking`` a live one): the opener's author asks,
and a message to them answers; an exchange that opens with news (an announcement, or a
message that does not ask: ``asks_like``) has it the other way round. The search reads the
roles (``qabot.search.exchange``) to tell the answer from the question.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qabot.corpus.conversations import Message

ASKS, ANSWERS = "asks", "answers"


def role_in(message: Message, opener: tuple[str, bool], *, first: bool, parent_author: str | None = None,
            parent_role: str | None = None) -> str | None:
    """A message's role in its exchange (see ``Untangler``): ``first`` where it opens it, else its parent's author
    and role."""
    asker, news = opener
    if news:
        return ANSWERS if message.author == asker else ASKS if "?" in message.text else None
    if message.author == asker:
        return ASKS
    if first or parent_author == asker or (
            parent_role == ANSWERS and (parent_author == message.author or message.bot)):
        return ANSWERS
    return None


# Telling of a problem without asking ("tailwind classes aren't applied in production", "the update failed"). A message
# that opens by addressing someone ("ana: deleting the files doesn't delete the filesystem") tells them something
# instead: often the answer to a question from before its exchange began (whose asker the untangler may not know).
TROUBLE = (r"can['’]?t|cannot|won['’]?t|doesn['’]?t|don['’]?t work|isn['’]?t|aren['’]?t|not working|fails?|failed|"
           r"broken|crash\w*|stuck")
_ASKS_LIKE = re.compile(
    r"\?|\b(i|i'm|im|i've|ive|i'd|my|me|mine|anyone|anybody|someone|somebody|help|how|why|question|problem|issue|"
    r"trouble|error|need|want)\b", re.IGNORECASE)
_TROUBLE = re.compile(rf"\b(?:{TROUBLE})\b", re.IGNORECASE)
ADDRESSED = re.compile(r"^\s*@?[^\s:,]+[:,]\s")  # a message that opens by addressing someone: "ana: ", "@ana, "
_OPENS_QUESTION = re.compile(r"^\W*(?:what|wat|whats|which|where|when|who|whose|is there|are there)\b", re.IGNORECASE)


def asks_like(text: str) -> bool:
    """Whether a message asks or brings a problem (a question mark, "I", "my", "anyone", "how", "problem" ..., a
    question word first: "wat is the meaning of ...", "is there a way ...", or trouble told to no one in particular:
    "isn't", "not working", "fails" ...)."""
    return bool(_ASKS_LIKE.search(text) or _OPENS_QUESTION.match(text)
                or (_TROUBLE.search(text) and not ADDRESSED.match(text)))
