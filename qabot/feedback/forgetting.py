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

from qabot.text import bounded, fold


def naming(names: Iterable[str]) -> Callable[[str], bool]:
    """Whether a text names someone by one of ``names``, in any case, as a whole word ("Zed" is not in "Zedong", nor
    "user6" in "user60"); a name that starts or ends with a sign (a mention, ``<@id>``) is found wherever it is. A
    name of one ordinary English word ("Mint", "Help", "Ana": ``lexicon.is_ordinary``) counts only where it is used
    as a name (``_as_a_name``), or forgetting a member called "Mint" would take out "how do I install Linux Mint"."""
    words = sorted({name.strip() for name in names if name.strip()}, key=len, reverse=True)
    if not words:
        return lambda _text: False
    pattern = re.compile("|".join(map(_whole, words)), re.IGNORECASE)
    plain = {word.casefold() for word in words if _ordinary(word)}
    return lambda text: any(found.group().casefold() not in plain or _as_a_name(text, found.start(), found.end())
                            for found in pattern.finditer(text))


def _whole(name: str) -> str:
    """``name`` as a pattern of a whole word: not inside a longer one (a name that starts or ends with a sign, such as a
    mention, is found there wherever it is). A name of signs alone ("?", "...", an emoji) only where it stands alone,
    or after "@": else every "river?" named a member called "?"."""
    if not re.search(r"\w", name):
        return rf"(?<![^\s@]){re.escape(name)}(?!\S)"
    return bounded(name)


def _ordinary(name: str) -> bool:
    """A name of one word that is ordinary English too (the lexicon holds common first names as well: "ana")."""
    from qabot.search.lexicon import is_ordinary, ordinary_words  # not at import: qabot.search loads the retriever

    return name.isalpha() and bool(ordinary_words()) and is_ordinary(name.casefold())


def _as_a_name(text: str, start: int, end: int) -> bool:
    """Whether the ordinary word at ``text[start:end]`` is a name there: after "@" (typed), addressing someone at the
    start ("Mint: ...", "mint, ..."), or capitalised where casing says something (not a sentence's first word, not in
    a text all in capitals) and alone, not a part of a longer name ("Linux Mint", "Mint OS"). A mention inside a
    question is kept as the display name as it is spelled (``clean_question``): "Mint" is found, "mint" is not."""
    before, after = text[:start], text[end:]
    if before.endswith("@") or (not before.strip() and re.match(r"\s*[:,]", after)):
        return True
    if not text[start].isupper() or text.isupper() or _opens(before):
        return False
    previous, following = re.search(r"(\w+)[ \t]+$", before), re.match(r"[ \t]+(\w+)", after)
    return not ((previous and _capital(previous[1]) and not _opens(before[: previous.start()]))
                or (following and _capital(following[1])))


def _opens(before: str) -> bool:
    """Whether a word after ``before`` opens a sentence (capitalised whatever it is)."""
    return not before.strip() or before.rstrip()[-1] in ".!?"


def _capital(word: str) -> bool:
    return len(word) > 1 and word[0].isupper()


def drop_answers(db: sqlite3.Connection, where: str, args: tuple) -> tuple[int, int]:
    """Delete the answers ``where`` selects, with the votes on them (retention, a server left, a member forgotten, a
    message deleted); how many answers and votes went."""
    votes = db.execute(f"DELETE FROM votes WHERE answer_id IN (SELECT id FROM answers WHERE {where})", args).rowcount
    return db.execute(f"DELETE FROM answers WHERE {where}", args).rowcount, votes


def drop_theirs(db: sqlite3.Connection, theirs: str, guild_id: int, who: str) -> None:
    """A member forgotten in a server: the answers ``theirs`` selects go (``drop_answers``), and so do their votes on
    others' answers there. A vote is kept under the salted hash of their id, which whoever holds the salt computes
    from the id a manager named: kept, it would still say how they voted. Votes in another server stay, as their
    messages there do."""
    drop_answers(db, theirs, (guild_id, who, who))
    db.execute("DELETE FROM votes WHERE user_hash = ? AND answer_id IN (SELECT id FROM answers WHERE guild_id = ?)",
               (who, guild_id))


def unfollow(db: sqlite3.Connection, gone: Callable[[str], bool], where: str, args: tuple) -> None:
    """Questions ``gone`` picks leave the history of the later answers ``where`` selects that followed one (where
    they were asked): such an answer keeps its own question as its searched query, which may borrow from it."""
    following = db.execute(f"SELECT id, history FROM answers WHERE ({where}) AND history != '[]'", args).fetchall()
    for answer_id, history in following:
        earlier = json.loads(history)
        if any(gone(question) for question in earlier):
            db.execute("UPDATE answers SET history = ?, query = question WHERE id = ?",
                       (json.dumps([q for q in earlier if not gone(q)], ensure_ascii=False), answer_id))


def bridged_person(name: str) -> str:
    """A bridged person (no member: a name an IRC, Matrix or PluralKit bridge posts under) as "Ask qabot" records
    whom a question was about, in place of a member's id: the same under every bridge of a server."""
    return f"discord-bridged:{fold(name)}"


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
