"""``qabot feedback export FILE``: votes turned into questions ``qabot eval`` can run.

Each line is an evaluation item in the form of ``dev.jsonl`` (``qabot.eval.datasets``):

- a question whose answer was voted helpful (more 👍 than 👎) has the highlighted
  sentence of that answer as its gold, and the answer's document in ``docs``;
- a question whose answer was voted not helpful, and a question the corpus did not
  answer, is written with empty ``answers`` and ``"review": true``, for a person to fill
  in. (Until then ``qabot eval`` counts it as a question the corpus does not answer.)

Questions asked more than once (same words, up to case, accents and spacing, after
the same earlier questions) are one item; answers nobody voted on are left out, except
abstentions. ``feedback`` on each line says what the votes were, and ``eval`` ignores it.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from qabot.errors import QABotError
from qabot.feedback.folder import owns
from qabot.feedback.report import question_key
from qabot.feedback.store import FeedbackStore, StoredAnswer
from qabot.text import flat, json_safe

_SYSTEM = ("/dev", "/proc")  # devices and their links: written to, never replaced


@dataclass(frozen=True)
class Exported:
    path: Path
    items: int
    with_gold: int
    to_review: int


@dataclass
class _Group:
    answers: list[StoredAnswer] = field(default_factory=list)
    gold: set[str] = field(default_factory=set)
    docs: set[str] = field(default_factory=set)
    helpful: int = 0
    not_helpful: int = 0
    abstained: int = 0
    review: bool = False


def export_items(store: FeedbackStore, *, guild_id: int | None = None) -> list[dict]:
    """The evaluation items the votes and abstentions make, oldest question first."""
    tallies = store.tallies(guild_id=guild_id)
    groups: dict[tuple[str, ...], _Group] = {}
    for answer in store.answers(guild_id=guild_id):
        up, down = tallies.get(answer.id, (0, 0))
        if answer.answered and not (up or down):
            continue  # nobody said whether it was right
        key = (question_key(answer.question), *(question_key(q) for q in answer.history))
        group = groups.setdefault(key, _Group())
        group.answers.append(answer)
        group.helpful += up
        group.not_helpful += down
        if not answer.answered:
            group.abstained += 1
            group.review = True
        elif up > down and answer.highlight:
            group.gold.add(flat(answer.highlight))
            if answer.doc_id:
                group.docs.add(answer.doc_id)
        else:
            group.review = True
    items = []
    for group in groups.values():
        latest = group.answers[-1]
        items.append({
            "id": f"feedback-{group.answers[0].id}",
            "question": latest.question,
            "answers": sorted(group.gold),
            "docs": sorted(group.docs),
            "history": latest.history,
            **({"review": True} if not group.gold else {}),
            "feedback": {"asked": len(group.answers), "helpful": group.helpful, "not_helpful": group.not_helpful,
                         "abstained": group.abstained},
        })
    return items


def export(store: FeedbackStore, path: Path, *, guild_id: int | None = None) -> Exported:
    """Write the items to ``path`` as JSONL (atomically: a reader never sees half a file).

    The text goes to a new file made beside ``path`` by ``tempfile.mkstemp`` (created,
    never opened through a link someone left there, readable by its owner only), then
    renamed over ``path``; a link at ``path`` itself is replaced, not followed. A pipe or a terminal at ``path``, and
    anything in ``/dev`` (``/dev/stdout``), is written to, never replaced (``_in_place``).
    """
    if owns(store.folder, path):
        raise QABotError(f"cannot write {path}: it would replace the state database's files in {store.folder} "
                         "(QABOT_STATE_DIR); write the export to another file")
    items = export_items(store, guild_id=guild_id)
    text = _jsonl(items)
    path = Path(path)
    if _in_place(path, text):
        return _exported(path, items)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise QABotError(f"cannot write {path}: {exc.strerror or exc}") from None
    return _exported(path, items)


def _in_place(path: Path, text: str) -> bool:
    """Write ``text`` to a pipe or a terminal named as the export's file (``mkfifo``, ``/dev/null``), as a shell's
    ``>`` does: renamed over, it would become a plain file (``/dev/null`` too, for root). In the system's ``/dev``
    (``/dev/stderr``, ``/dev/fd/63``), a link is written through, never replaced (root would break it for every
    process), at the end of a file it leads to (a job's log). Elsewhere a link to a pipe or device, or a folder or a
    disk, is refused. False: a plain file."""
    system = any(Path(os.path.abspath(path)).is_relative_to(top) for top in _SYSTEM)
    try:
        here, there = os.lstat(path), os.stat(path)
    except OSError:
        if not system:
            return False  # none yet, or a broken link: made (or replaced) as a plain file
        here = there = None
    if there is not None and stat.S_ISREG(there.st_mode) and not system:
        return False
    if there is None or not (stat.S_ISFIFO(there.st_mode) or stat.S_ISCHR(there.st_mode) or
                             stat.S_ISREG(there.st_mode)) or (stat.S_ISLNK(here.st_mode) and not system):
        what = "a link to something that is no plain file" if here and stat.S_ISLNK(here.st_mode) else "no plain file"
        raise QABotError(f"cannot write {path}: it is {what} (- writes to stdout)")
    flags = os.O_WRONLY | (os.O_APPEND if stat.S_ISREG(there.st_mode) else 0) | (0 if system else os.O_NOFOLLOW)
    try:
        with os.fdopen(os.open(path, flags), "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise QABotError(f"cannot write {path}: {exc.strerror or exc}") from None
    return True


def export_to(store: FeedbackStore, stream: TextIO, *, guild_id: int | None = None) -> Exported:
    """Write the items as JSONL to an open text stream (``qabot feedback export -``: stdout); its path is "-"."""
    items = export_items(store, guild_id=guild_id)
    stream.write(_jsonl(items))
    stream.flush()
    return _exported(Path("-"), items)


def _jsonl(items: list[dict]) -> str:
    # Inert: what JSON leaves raw but a terminal acts on (CSI, DEL, bidi overrides) is escaped, for ``cat``.
    return "".join(json_safe(json.dumps(item, ensure_ascii=False)) + "\n" for item in items)


def _exported(path: Path, items: list[dict]) -> Exported:
    gold = sum(1 for item in items if item["answers"])
    return Exported(path, len(items), gold, len(items) - gold)
