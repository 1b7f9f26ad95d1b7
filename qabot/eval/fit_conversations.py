"""Fit the weights of ``qabot.corpus.conversations`` on the annotated IRC logs of Kummerfeld et al. (ACL 2019).

    python -m qabot.eval.fit_conversations PATH/TO/irc-disentanglement/data/train [--plain | --replies]

Reads every ``*.annotation.txt`` with its ``*.raw.txt`` in the folder (the ``data/train``
split of https://github.com/jkkummerfeld/irc-disentanglement, CC BY 4.0; never its dev or
test split), leaves out the three logs ``../shared/eval/chat-dev`` was made from, and fits a
softmax over each annotated message's candidates (the 50 messages before it, and itself:
a new conversation) with a small L2 penalty. ``--plain`` first takes out the names that
open messages ("ana: ..."), for ``PLAIN_WEIGHTS``; ``--replies`` also makes each of those
messages a reply to the latest message of the one it named, as on Discord, and fits only the
messages that are not replies, for ``REPLY_WEIGHTS``. Prints the weights, and the share of
messages whose annotated parent they pick. Needs scipy (installed with sentence-transformers).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from scipy import optimize, sparse

from qabot.corpus import conversations
from qabot.corpus.conversations import Message

CHAT_DEV = {"2012-06-20.train-c", "2014-09-29.train-c", "2017-05-09.train-c"}
LINE = re.compile(r"^\[(\d\d):(\d\d)\] (?:<([^>]+)> ?(.*)|\s?\* (\S+) ?(.*))$")
OPENING_NAME = re.compile(r"^\s*@?([^\s:,]+)[:,]?\s+")
BOTS = {"ubottu", "ubotu"}
USAGE = "usage: python -m qabot.eval.fit_conversations PATH/TO/irc-disentanglement/data/train [--plain | --replies]"


def read(raw: Path, annotation: Path, plain: bool, replies: bool = False) -> tuple[list[Message], dict[int, set[int]]]:
    """A log's messages (system lines left out, as the exports do) and each annotated one's parents."""
    messages: list[Message] = []
    index: dict[int, int] = {}
    per_minute: Counter[int] = Counter()
    for number, line in enumerate(raw.read_text(encoding="utf-8", errors="replace").split("\n")):
        match = LINE.match(line)
        if not match:
            continue
        nick, text = (match.group(3), match.group(4)) if match.group(3) else (match.group(5), f"_{match.group(6)}_")
        minute = int(match.group(1)) * 60 + int(match.group(2))
        index[number] = len(messages)
        messages.append(Message(nick, text, minute * 60.0 + per_minute[minute], str(number), bot=nick.lower() in BOTS))
        per_minute[minute] += 1
    if plain or replies:
        names = {m.author.lower() for m in messages}
        latest: dict[str, str] = {}  # each author's latest message, by id
        kept = []
        for m in messages:
            found = OPENING_NAME.match(m.text)
            named = found.group(1).lower() if found and found.group(1).lower() in names else None
            to = latest.get(named) if replies and named is not None else None  # as a Discord user would reply
            kept.append(Message(m.author, m.text[found.end():] if named else m.text, m.time, m.id, bot=m.bot,
                                reply_to=to))
            latest[m.author.lower()] = m.id
        messages = kept
    links: dict[int, set[int]] = {}
    for line in annotation.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and max(a := int(parts[0]), b := int(parts[1])) in index:
            links.setdefault(index[max(a, b)], set()).add(index.get(min(a, b), -1))
    return messages, {i: ({p for p in found if 0 <= p != i} or {i}) for i, found in links.items()}


def main(folder: Path, plain: bool, replies: bool = False) -> None:
    blocks, groups, gold = [], [], []
    for annotation in sorted(folder.glob("*.annotation.txt")):
        if annotation.name.removesuffix(".annotation.txt") in CHAT_DEV:
            continue
        try:
            messages, parents = read(annotation.with_name(annotation.name.replace("annotation", "raw")), annotation,
                                     plain, replies)
        except (OSError, ValueError) as exc:  # a log without its raw file, an annotation line that is no numbers
            where = getattr(exc, "filename", None) or annotation
            raise SystemExit(f"cannot read {where}: {getattr(exc, 'strerror', None) or exc}") from None
        untangler = conversations.Untangler()
        for i, message in enumerate(messages):
            me = untangler.see(message)
            wanted = parents.get(i)
            if wanted is not None and message.reply_to is None:  # a reply is linked without scoring
                options, features = untangler.features(me)
                if wanted & set(options):
                    groups.append(len(gold))
                    blocks.append(sparse.csr_matrix(features))
                    gold.extend(option in wanted for option in options)
            untangler.commit(message, me, i)
    if not blocks:  # nothing to fit: scipy would stop with a traceback ("blocks must be 2-D")
        raise SystemExit(f"no annotated IRC log to fit in {folder} (*.annotation.txt beside *.raw.txt, "
                         "chat-dev's three left out)")
    x = sparse.vstack(blocks).tocsr()
    y = np.array(gold, dtype=float)
    starts = np.array(groups)
    owner = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(gold))))

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = x @ w
        e = np.exp(s - np.maximum.reduceat(s, starts)[owner])
        total, right = np.add.reduceat(e, starts), np.add.reduceat(e * y, starts)
        grad = x.T @ (e * y / right[owner] - e / total[owner])
        return float(np.log(total).sum() - np.log(right).sum() + w @ w), 2 * w - grad

    w = optimize.minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x
    s = x @ w
    picked = np.array([y[a + int(np.argmax(s[a:b]))] for a, b in zip(starts, [*starts[1:], len(gold)], strict=True)])
    for name, value in zip(conversations.FEATURES, w, strict=True):
        print(f'    "{name}": {value:.3f},')
    print(f"picks the annotated parent of {picked.mean():.3f} of {len(starts)} messages")


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1].startswith("-") or not set(sys.argv[2:]) <= {"--plain", "--replies"}:
        raise SystemExit(USAGE)
    main(Path(sys.argv[1]), "--plain" in sys.argv[2:], "--replies" in sys.argv[2:])
