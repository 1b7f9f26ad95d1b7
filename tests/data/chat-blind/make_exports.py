#!/usr/bin/env python3
"""Turn the saved Ubuntu IRC logs in raw/ into DiscordChatExporter-style JSON exports.

(chat-dev's make_exports.py, from ../shared/eval/chat-dev/, by way of ../chat-extra/, with this
set's three logs and seed.)

Input:  raw/<log>.raw.txt and raw/<log>.annotation.txt (copied unchanged from
        jkkummerfeld/irc-disentanglement, data/train/).
Output: corpus/<channel>.json, one export per log, and line_ids.tsv (which raw line
        became which message id; for tracing questions back to the source).

The output is deterministic: every id comes from a seeded generator or a hash, and
exportedAt is a fixed constant, so a rerun gives byte-identical files.

Run from anywhere:  python3 make_exports.py
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RAW = HERE / "raw"
CORPUS = HERE / "corpus"

# (log file stem in raw/, channel name). The date of each log is the one in its name.
LOGS = [
    ("2010-10-27.train-c", "ubuntu-2010-10-27"),
    ("2012-03-24.train-c", "ubuntu-2012-03-24"),
    ("2017-09-02.train-c", "ubuntu-2017-09-02"),
]

GUILD_NAME = "Ubuntu Help"
CATEGORY_NAME = "Support"
AVATAR = "https://cdn.discordapp.com/embed/avatars/0.png"
EXPORTED_AT = "2025-01-01T00:00:00+00:00"  # fixed so reruns are identical
BOT_NICKS = {"ubottu"}  # the channel's factoid bot; the only author marked isBot
SEED = "chat-blind/v1"
# Ids look like Discord snowflakes: milliseconds since this epoch in the high bits,
# seeded noise in the low 22 bits. (Discord's own epoch is 2015, after the 2010 log.)
ID_EPOCH = dt.datetime(2010, 1, 1, tzinfo=dt.UTC)

MSG_RE = re.compile(r"^\[(\d\d):(\d\d)\] <([^>]+)> (.*)$")
ACTION_RE = re.compile(r"^\[(\d\d):(\d\d)\]  \* (\S+) (.*)$")


def stable_id(*parts: str) -> str:
    """An 18-digit id derived from a hash: the same input always gives the same id."""
    h = int(hashlib.sha256("\x1f".join((SEED,) + parts).encode()).hexdigest()[:16], 16)
    return str(10**17 + h % (9 * 10**17))


def author_obj(nick: str) -> dict:
    return {
        "id": stable_id("author", nick),
        "name": nick,
        "discriminator": "0000",
        "nickname": nick,
        "color": None,
        "isBot": nick in BOT_NICKS,
        "roles": [],
        "avatarUrl": AVATAR,
    }


def parse_raw(path: Path) -> list[dict]:
    """Return one record per raw line that becomes a message (=== lines are skipped)."""
    records = []
    with path.open("r", encoding="utf-8", newline="\n") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for i, line in enumerate(lines):
        if line.startswith("==="):
            continue
        m = MSG_RE.match(line)
        if m:
            hh, mm, nick, text = m.groups()
            records.append({"line": i, "hh": int(hh), "mm": int(mm), "nick": nick, "content": text})
            continue
        m = ACTION_RE.match(line)
        if m:
            # "/me" action. Discord's /me sends the text wrapped in underscores (italics),
            # and that is what DiscordChatExporter shows as content.
            hh, mm, nick, text = m.groups()
            records.append({"line": i, "hh": int(hh), "mm": int(mm), "nick": nick, "content": f"_{text}_"})
            continue
        sys.exit(f"{path.name}:{i}: unrecognised line: {line!r}")
    return records


def parse_annotation(path: Path) -> dict[int, list[int]]:
    """Map a line to the earlier lines it responds to.

    Each annotation line is `a b -`. In this data set the later message (max(a, b))
    responds to the earlier one (min(a, b)); a == b marks the start of a conversation.
    This is how the repository's own reader uses it (src/disentangle.py, read_data).
    """
    parents: dict[int, list[int]] = {}
    for raw_line in path.read_text(encoding="utf-8").splitlines():
        nums = [int(v) for v in raw_line.split() if v != "-"]
        if len(nums) != 2:
            sys.exit(f"{path.name}: bad annotation line {raw_line!r}")
        child, parent = max(nums), min(nums)
        if child != parent:
            parents.setdefault(child, []).append(parent)
    return parents


def build_export(stem: str, channel: str) -> tuple[dict, list[tuple[int, str]]]:
    date = dt.date.fromisoformat(stem[:10])
    records = parse_raw(RAW / f"{stem}.raw.txt")
    parents = parse_annotation(RAW / f"{stem}.annotation.txt")
    rng = random.Random(hashlib.sha256(f"{SEED}/{channel}".encode()).hexdigest())

    guild_id = stable_id("guild", GUILD_NAME)
    category_id = stable_id("category", CATEGORY_NAME)
    channel_id = stable_id("channel", channel)

    # Timestamps: the log's date and HH:MM; seconds count up within each minute.
    # If the clock ever runs backwards, the log has crossed midnight: move to the next day.
    day = date
    prev_minute = None
    second = 0
    by_line: dict[int, dict] = {}
    messages = []
    last_id = 0
    for rec in records:
        minute = (rec["hh"], rec["mm"])
        if prev_minute is not None and minute < prev_minute:
            day += dt.timedelta(days=1)
        second = second + 1 if minute == prev_minute else 0
        if second > 59:
            sys.exit(f"{stem}: more than 60 messages in minute {minute}")
        prev_minute = minute
        ts = dt.datetime(day.year, day.month, day.day, rec["hh"], rec["mm"], second, tzinfo=dt.UTC)
        ms = int((ts - ID_EPOCH).total_seconds() * 1000)
        msg_id = (ms << 22) | rng.getrandbits(22)
        assert msg_id > last_id, "ids must increase"
        last_id = msg_id
        msg = {
            "id": str(msg_id),
            "type": "Default",
            "timestamp": ts.isoformat(),
            "timestampEdited": None,
            "callEndedTimestamp": None,
            "isPinned": False,
            "content": rec["content"],
            "author": author_obj(rec["nick"]),
            "attachments": [],
            "embeds": [],
            "stickers": [],
            "reactions": [],
            "mentions": [],
            "inlineEmojis": [],
        }
        rec["msg"] = msg
        by_line[rec["line"]] = rec
        messages.append(msg)

    # Replies: of the messages the annotation links to an earlier, different message
    # (that is itself a message, not a === line), every other one becomes a Discord reply.
    # The referenced message is the latest such parent by another author, else the latest.
    eligible = 0
    for rec in records:
        cands = sorted(p for p in parents.get(rec["line"], []) if p in by_line and p < rec["line"])
        if not cands:
            continue
        others = [p for p in cands if by_line[p]["nick"] != rec["nick"]]
        target = (others or cands)[-1]
        if eligible % 2 == 0:
            rec["msg"]["type"] = "Reply"
            rec["msg"]["reference"] = {
                "messageId": by_line[target]["msg"]["id"],
                "channelId": channel_id,
                "guildId": guild_id,
            }
        eligible += 1

    export = {
        "guild": {"id": guild_id, "name": GUILD_NAME, "iconUrl": AVATAR},
        "channel": {
            "id": channel_id,
            "type": "GuildTextChat",
            "categoryId": category_id,
            "category": CATEGORY_NAME,
            "name": channel,
            "topic": None,
        },
        "dateRange": {"after": None, "before": None},
        "exportedAt": EXPORTED_AT,
        "messages": messages,
        "messageCount": len(messages),
    }
    line_ids = [(rec["line"], rec["msg"]["id"]) for rec in records]
    return export, line_ids


def main() -> None:
    CORPUS.mkdir(exist_ok=True)
    tsv = ["channel\traw_file\traw_line\tmessage_id"]
    for stem, channel in LOGS:
        export, line_ids = build_export(stem, channel)
        out = CORPUS / f"{channel}.json"
        out.write_text(json.dumps(export, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        replies = sum(1 for m in export["messages"] if m["type"] == "Reply")
        print(f"{out.relative_to(HERE)}: {export['messageCount']} messages, {replies} replies")
        tsv += [f"{channel}\t{stem}.raw.txt\t{line}\t{mid}" for line, mid in line_ids]
    (HERE / "line_ids.tsv").write_text("\n".join(tsv) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
