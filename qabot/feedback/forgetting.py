"""What forgetting takes out of the answers table (``qabot.feedback.store``): answers with their votes, their
questions from the history of the follow-ups asked after them, and the questions that name a forgotten member.

A member forgotten in a server (``/qabot forget``) is named in others' questions too: "what did
@Ana say about the vote?" is kept as "what did Ana say about the vote?" (a mention inside a
question becomes the display name: ``qabot.adapters.discord.mentions``), and a name or a
username may be typed as it is. Such a question is dropped, not scrubbed: the whole answer
goes, with its votes, as the member's own questions do. A scrubbed question would keep what
the name leaves about them ("her", "Ana's", a nickname the bot never heard), and its query and
highlight would need the same rewriting; a dropped one keeps nothing, and takes the path
every other taken-back question takes (memory, follow-ups, buttons). A follow-up asked after
it keeps its answer without it in its history (``unfollow``).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterable


def naming(names: Iterable[str]) -> Callable[[str], bool]:
    """Whether a text names someone by one of ``names``, in any case, as a whole word ("Al" is not in "Also", nor
    "user6" in "user60"); a name that starts or ends with a sign (a mention, ``<@id>``) is found wherever it is."""
    words = sorted({name.strip() for name in names if name.strip()}, key=len, reverse=True)
    if not words:
        return lambda _text: False
    pattern = re.compile("|".join(
        ("(?<!\\w)" if re.match(r"\w", word) else "") + re.escape(word) + ("(?!\\w)" if re.match(r"\w", word[-1])
                                                                            else "") for word in words), re.IGNORECASE)
    return lambda text: pattern.search(text) is not None


def drop_answers(db: sqlite3.Connection, where: str, args: tuple) -> tuple[int, int]:
    """Delete the answers ``where`` selects, with the votes on them (retention, a server left, a member forgotten, a
    message deleted); how many answers and votes went."""
    votes = db.execute(f"DELETE FROM votes WHERE answer_id IN (SELECT id FROM answers WHERE {where})", args).rowcount
    return db.execute(f"DELETE FROM answers WHERE {where}", args).rowcount, votes


def unfollow(db: sqlite3.Connection, gone: Callable[[str], bool], where: str, args: tuple) -> None:
    """Questions ``gone`` picks leave the history of the later answers ``where`` selects that followed one (where
    they were asked): such an answer keeps its own question as its searched query, which may borrow from it."""
    following = db.execute(f"SELECT id, history FROM answers WHERE ({where}) AND history != '[]'", args).fetchall()
    for answer_id, history in following:
        earlier = json.loads(history)
        if any(gone(question) for question in earlier):
            db.execute("UPDATE answers SET history = ?, query = question WHERE id = ?",
                       (json.dumps([q for q in earlier if not gone(q)], ensure_ascii=False), answer_id))


def drop_naming(db: sqlite3.Connection, names: Callable[[str], bool], where: str, args: tuple) -> dict[str, str]:
    """The answers ``where`` selects whose question ``names`` a member go, with the votes on them; those that followed
    one (or borrowed such words into their searched query) keep their answer without them. Their questions, by id."""
    rows = db.execute(f"SELECT id, question, query FROM answers WHERE ({where})", args).fetchall()
    gone = {answer_id: question for answer_id, question, _ in rows if names(question)}
    ids = list(gone)
    for lo in range(0, len(ids), 500):
        part = ids[lo : lo + 500]
        drop_answers(db, f"id IN ({', '.join('?' * len(part))})", tuple(part))
    unfollow(db, names, where, args)
    db.executemany("UPDATE answers SET query = question WHERE id = ?",
                   [(answer_id,) for answer_id, question, query in rows if answer_id not in gone and names(query)])
    return gone
