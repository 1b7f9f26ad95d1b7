"""Which messages of a chat's exchange its asker thanked: a sign of the answer (``exchange``'s ``thanked``).

For each thanks of the asker's that names a helper ("thanks ana", "ana: that fixed it"), as a
whole word (a helper called "al" is not named by "that really helped"), that helper's last
message before it. A helper is named by their whole display name or by its first word: "thanks
omar" names "Omar Haddad", "omar_h" and "Omar.H" (people call each other so). The whole
exchange is read (its first ``READ`` messages), not the window around the passage that matched, so a message is thanked or not whichever of the exchange's
passages the search found; and a "thanks ana" at the end credits the message it
followed, not every message ana wrote before it. A thanks by Discord reply is the build's to mark
(the role ``thanked``, ``qabot.corpus.chat``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from qabot.corpus.roles import THANKS, called_by
from qabot.index.engine import SearchEngine, forgets_on_change
from qabot.text import bounded, fold

READ = 400  # the messages of an exchange read for its asker's thanks: a long forum thread's first ones
Kept = dict[tuple[int, str | None], set[int]]  # (document, asker) -> what they thanked, for one question's reads


def thanked(engine: SearchEngine, doc: int, group: int | None, asker: str | None, kept: Kept | None = None,
            ) -> set[int]:
    """The starts of the messages of exchange ``doc`` (``group``) that ``asker`` thanked; none without an asker.
    ``kept`` holds what was found for one question (its reads of the same exchange share it)."""
    if asker is None:
        return set()
    if kept is not None and (doc, asker) in kept:
        return kept[doc, asker]
    credited: set[int] = set()
    last: dict[str, int] = {}  # each helper's latest message so far: name folded -> start
    for para in engine.paragraphs(doc)[:READ]:
        if para.group != group or not para.author:
            continue
        if para.author != asker:
            last[fold(para.author)] = para.start
        elif (said := thanks(unsigned(engine.text(doc, para.start, para.end), para.author))) is not None:
            credited.update(start for name, start in last.items()
                            if any(part in said and _named(said, part) for part in called_by(name)))
    if kept is not None:
        kept[doc, asker] = credited
    return credited


def unsigned(laid: str, author: str | None) -> str:
    """A message as an exchange lays it out (``"author: text"``) without its author's name, which is no word it says:
    an asker called "Ty" or "Cheers" thanks nobody by writing."""
    return laid[len(author) + 2 :] if author and laid.startswith(f"{author}: ") else laid


@lru_cache(maxsize=4096)
def thanks(said: str) -> str | None:
    """A message (without its author: ``unsigned``) folded, where it thanks or says something worked; None where it
    does not."""
    return fold(said) if THANKS.search(said) else None


def _named(said: str, name: str) -> bool:
    """Whether the folded text ``said`` names ``name`` (folded) as a whole word ("al" is not in "really")."""
    return bool(name) and re.search(bounded(name), said) is not None


forgets_on_change(thanks.cache_clear)
