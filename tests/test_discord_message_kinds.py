"""The kinds of messages a real server's history holds, learnt live and from the backfill.

Driven through the real discord.py client against the loopback Discord (tests/discord_double.py), with the real
core on the fake embedder, as ``tests/test_discord_history.py`` does (its fixtures and helpers): system notices,
forwards of a bot's embed, messages with nothing to quote, and edits that take a message's text away.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from qabot.feedback import FeedbackStore
from qabot.history import HistoryStore
from tests.discord_double import (
    MOD_ROLE_ID,
    OTHER_CHANNEL_ID,
    PRIVATE_CHANNEL_ID,
    USER_BASE,
    user,
)
from tests.test_discord_bot import assert_no_pings, running
from tests.test_discord_history import (  # noqa: F401  (the fixtures)
    Recorder,
    backfilled,
    discord_api,
    double,
    jump,
    qa,
    quoting,
    settings,
    state_text,
)


def _bot(n: int) -> dict[str, Any]:
    return {**user(n), "username": f"ticketbot{n}", "bot": True}


async def test_a_forwarded_bots_embed_names_no_member_by_id(qa, double, tmp_path) -> None:
    """A forward of a bot's embed (a ticket bot's log, a moderation notice) carries the embed's text, ``<@id>``
    tokens and all, which Discord shows as names: quoted, it must show names too, never a member's id."""
    spy = Recorder(qa)
    member = USER_BASE + 42
    log = double.seed("", channel_id=PRIVATE_CHANNEL_ID, author=_bot(90), seconds_ago=9000)
    log["embeds"] = [{"type": "rich", "title": f"Ticket closed by <@{member}>",
                      "description": f"<@{member}> got the spare dome key from <@&{MOD_ROLE_ID}> in "
                                     f"<#{PRIVATE_CHANNEL_ID}>; it hangs in the staff safe."}]
    forward = double.seed("", user_n=3, channel_id=OTHER_CHANNEL_ID, seconds_ago=8000, forwards=log)
    async with running(spy, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        found = await quoting(spy, double, "where does the spare dome key hang", lambda f: jump(forward) in f,
                              channel_id=OTHER_CHANNEL_ID)
    quoted = found[jump(forward)]
    assert quoted.startswith("user3: (embed: Ticket closed by @someone — @someone got the spare dome key from @")
    assert str(member) not in quoted and str(MOD_ROLE_ID) not in quoted and str(PRIVATE_CHANNEL_ID) not in quoted
    assert str(member) not in state_text(tmp_path)
    assert_no_pings(double)


STICKER = {"id": "1200000000000000900", "name": "Thumbs up", "format_type": 1}


async def test_an_edit_that_leaves_nothing_to_quote_takes_the_old_text_out_live_and_while_away(
        qa, double, tmp_path) -> None:
    """A message with a sticker whose text is edited away has nothing left to quote: its old text (a code posted by
    mistake) must leave the state database and the answers, as a deletion's does: heard live, or found by the
    next start's recheck (QABOT_DISCORD_HISTORY_RECHECK_DAYS) when it happened while the bot was away."""
    spy = Recorder(qa)
    live = double.seed("The back door alarm code is 4417, punch it in twice.", user_n=3, channel_id=OTHER_CHANNEL_ID,
                       seconds_ago=600)
    away = double.seed("The plate store padlock opens with 2290, then lift the hasp.", user_n=4,
                       channel_id=OTHER_CHANNEL_ID, seconds_ago=500)
    for said in (live, away):
        said["sticker_items"] = [STICKER]
    listed = settings(tmp_path, OTHER_CHANNEL_ID)
    async with running(spy, double, **listed) as bot:
        await backfilled(bot, double)
        await quoting(spy, double, "what is the back door alarm code", lambda f: jump(live) in f)
        await quoting(spy, double, "what opens the plate store padlock", lambda f: jump(away) in f)
        double.edit(live, "")
        await quoting(spy, double, "what is the back door alarm code", lambda f: jump(live) not in f)
    assert "4417" not in state_text(tmp_path)
    double.edit(away, "")  # while the bot is away: no session hears it
    async with running(spy, double, **listed) as bot:
        await backfilled(bot, double)
        found = await quoting(spy, double, "what opens the plate store padlock", lambda f: True)
    assert jump(away) not in found and "2290" not in state_text(tmp_path)


def _poll(question: str, *answers: str) -> dict[str, Any]:
    return {"question": {"text": question}, "allow_multiselect": False, "layout_type": 1,
            "expiry": datetime.fromtimestamp(time.time() + 86400, UTC).isoformat(),
            "answers": [{"answer_id": n, "poll_media": {"text": text}} for n, text in enumerate(answers, start=1)]}


async def test_system_notices_and_messages_with_nothing_to_quote_are_never_learnt(qa, double, tmp_path) -> None:
    """What members' actions make Discord post in a channel (a pin, a join, a boost, a thread made, a call,
    AutoMod's notice, a poll's result: each with the member as its author) is no chat; a sticker, a poll (a vote,
    not a question anyone answers; DiscordChatExporter does not export polls either) and a message of invisible
    characters alone (a zero-width space, a Braille or Hangul blank: how members post an "empty" message) have
    nothing to quote. None is kept, none is quoted, and none stops what comes after."""
    notices = {6: "", 7: "", 8: "3", 18: "Dome night shift rota", 24: "buy cheap telescopes at spam.example", 3: "",
               46: ""}
    async with running(qa, double, **settings(tmp_path, OTHER_CHANNEL_ID)) as bot:
        await backfilled(bot, double)
        for n, (kind, content) in enumerate(notices.items(), start=1):
            double.message(content, user_n=n, channel_id=OTHER_CHANNEL_ID, mention_bot=False, fields={"type": kind})
        double.message("", user_n=8, channel_id=OTHER_CHANNEL_ID, mention_bot=False,
                       fields={"poll": _poll("Which night suits the star party?", "Friday", "Saturday")})
        double.message("", user_n=9, channel_id=OTHER_CHANNEL_ID, mention_bot=False, fields={"sticker_items": [STICKER]})
        for n, blank in enumerate(("\u200b", "\u2800", "\u3164 \u200b\n\u2800"), start=10):
            double.message(blank, user_n=n, channel_id=OTHER_CHANNEL_ID, mention_bot=False)
        said = double.message("The star party moves to Saturday.", user_n=20, channel_id=OTHER_CHANNEL_ID,
                              mention_bot=False)
        await double.until(lambda: HistoryStore(FeedbackStore(tmp_path / "state")).get([int(said["id"])]),
                           what="the last message to be learnt")
    kept = state_text(tmp_path)
    assert "'user20'" in kept and [n for n in range(1, 20) if f"'user{n}'" in kept] == []
    for text in ("night shift", "spam.example", "star party?", "\u200b", "\u2800", "\u3164"):
        assert text not in kept
