"""The bot learns from its own server: listed channels, threads and forums, live and from their history.

Driven through the real discord.py client against the loopback Discord (tests/discord_double.py),
with the real core on the fake embedder and a real index and state database in this test's
folder. Messages arrive as MESSAGE_CREATE (live) or are already there when the bot starts
(``double.seed``: read by the backfill); questions are asked with ``/ask`` and the answers are
read from what discord.py really sent. Every wait is bounded and polls for what it waits for.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from qabot.adapters.discord.admin import FORGOTTEN
from qabot.feedback import FeedbackStore
from qabot.history import HistoryStore
from tests import test_discord_bot as harness
from tests.discord_double import (
    B_CHANNEL_ID,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    FORUM_ID,
    GUILD_B_ID,
    GUILD_ID,
    OTHER_CHANNEL_ID,
    PRIVATE_CHANNEL_ID,
    SOLVED_TAG_ID,
    THREAD_ID,
    USER_BASE,
    DiscordDouble,
)
from tests.test_discord_bot import assert_no_pings, first_followup, running

discord_api = harness.discord_api  # the same fixture

LIVE_SECONDS = 30.0  # the bound: a message, an edit or a deletion reaches answers within this


@pytest.fixture
def double(discord_api) -> DiscordDouble:
    return discord_api(guild_ids=(GUILD_ID, GUILD_B_ID))


@pytest.fixture
def qa(make_corpus, fake_bot_for) -> Any:
    corpus = make_corpus({"handbook.txt": "The observatory dome opens at dusk. Visitors sign the book at the door.\n"})
    return fake_bot_for(corpus, answer_threshold=0.0)


def settings(tmp_path: Path, *listed: int, **more: Any) -> dict[str, Any]:
    return {"state_dir": tmp_path / "state", "discord_message_content": True,
            "discord_history_channel_ids": list(listed or (CHANNEL_ID, OTHER_CHANNEL_ID, PRIVATE_CHANNEL_ID,
                                                           FORUM_ID, B_CHANNEL_ID)),
            "discord_history_debounce_seconds": 0.2, **more}


def jump(message: dict[str, Any]) -> str:
    guild = GUILD_B_ID if int(message["channel_id"]) == B_CHANNEL_ID else GUILD_ID
    return f"https://discord.com/channels/{guild}/{message['channel_id']}/{message['id']}"


async def ask(double: DiscordDouble, question: str, *, channel_id: int = CHANNEL_ID, user_n: int = 7,
              k: int = 10) -> dict[str, Any]:
    """The answer to ``/ask`` in ``channel_id``: its first follow-up's body."""
    return await first_followup(double, double.slash("ask", question=question, k=k, channel_id=channel_id,
                                                     user_n=user_n))


def cites(body: dict[str, Any], message: dict[str, Any]) -> bool:
    """Whether an answer's embed cites ``message`` (by its jump link)."""
    return jump(message) in str(body.get("embeds"))


async def until_answer(double: DiscordDouble, question: str, wanted: Any, *, seconds: float = LIVE_SECONDS,
                       **where: Any) -> tuple[dict[str, Any], float]:
    """Ask again and again until ``wanted(answer)``; the answer and when it came. Fails after ``seconds``."""
    started = time.monotonic()
    while True:
        body = await ask(double, question, **where)
        if wanted(body):
            return body, time.monotonic() - started
        if time.monotonic() - started > seconds:
            raise AssertionError(f"no answer as wanted within {seconds} s: {body.get('embeds')}")
        await asyncio.sleep(0.3)


async def backfilled(bot: Any, double: DiscordDouble) -> None:
    """Wait until the bot's backfill has read every listed channel once."""
    await double.until(lambda: bot.learning.backfill.reading.finished is not None, timeout=60, what="the backfill")
    await bot.learning.feed.settled()


# -- live ----------------------------------------------------------------------------------------------


async def test_a_message_in_one_channel_answers_a_question_in_another_within_seconds(qa, double, tmp_path) -> None:
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        question = double.message("How do I recalibrate the spectrograph after a cold night?", user_n=1,
                                  channel_id=OTHER_CHANNEL_ID, mention_bot=False)
        answer = double.message("Run the arc-lamp sequence twice, then refit the wavelength solution with "
                                "specfit --arc latest.", user_n=2, channel_id=OTHER_CHANNEL_ID, mention_bot=False,
                                reply_to=question)
        posted = time.monotonic()
        body, _ = await until_answer(double, "how to recalibrate the spectrograph after a cold night",
                                     lambda b: cites(b, answer), channel_id=CHANNEL_ID)
        took = time.monotonic() - posted
    assert took < LIVE_SECONDS
    embed = body["embeds"][0]
    assert "specfit --arc latest" in embed["description"]  # the answering message, verbatim (Markdown-escaped)
    assert jump(answer) in embed["fields"][0]["value"]  # cited with its jump link, its author and its place
    assert "user2" in embed["fields"][0]["value"] and "Discord history" in embed["fields"][0]["value"]
    assert_no_pings(double)


async def test_an_edit_is_quoted_and_a_deletion_respected_within_seconds(qa, double, tmp_path) -> None:
    said = double.seed("The guest wifi password is printed on the fridge in the kitchen.", user_n=3,
                       channel_id=OTHER_CHANNEL_ID)
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        await until_answer(double, "where is the guest wifi password", lambda b: cites(b, said), seconds=5)
        double.edit(said, "The guest wifi password is taped under the telescope control desk.")
        edited = time.monotonic()
        await until_answer(double, "where is the guest wifi password",
                           lambda b: cites(b, said) and "telescope control desk" in b["embeds"][0]["description"])
        assert time.monotonic() - edited < LIVE_SECONDS
        double.delete(said)
        deleted = time.monotonic()
        body, _ = await until_answer(double, "where is the guest wifi password", lambda b: not cites(b, said))
        assert time.monotonic() - deleted < LIVE_SECONDS
        # Gone for good: from the state database too, not only from this answer.
        assert HistoryStore(FeedbackStore(tmp_path / "state")).get([int(said["id"])]) == {}
    assert "wifi" not in str(body.get("embeds")).lower() or not cites(body, said)


async def test_a_purge_and_a_deleted_thread_leave_the_index(qa, double, tmp_path) -> None:
    thread_id = double.thread("Dome motor noise", parent_id=OTHER_CHANNEL_ID, announce=False)
    in_thread = double.seed("The dome motor squeals because the drive belt needs grease every spring.", user_n=4,
                            channel_id=thread_id)
    purged = [double.seed(f"Tripod leg {n} is kept in locker {n + 10} of the basement.", user_n=5,
                          channel_id=OTHER_CHANNEL_ID, seconds_ago=3000 - n) for n in range(3)]
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        await until_answer(double, "why does the dome motor squeal", lambda b: cites(b, in_thread), seconds=5)
        await until_answer(double, "which locker holds tripod leg 1", lambda b: cites(b, purged[1]), seconds=5)
        double.bulk_delete(purged)
        double.delete_thread(thread_id)
        await until_answer(double, "which locker holds tripod leg 1",
                           lambda b: not any(cites(b, m) for m in purged))
        await until_answer(double, "why does the dome motor squeal", lambda b: not cites(b, in_thread))
    kept = HistoryStore(FeedbackStore(tmp_path / "state"))
    assert kept.get([int(m["id"]) for m in [*purged, in_thread]]) == {}
    assert thread_id not in {row.id for row in kept.channels()}


async def test_bots_and_the_bots_own_answers_are_never_learnt(qa, double, tmp_path) -> None:
    other_bot = {"id": str(USER_BASE + 99), "username": "helperbot", "discriminator": "0", "global_name": None,
                 "avatar": None, "bot": True}
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        double.message("The spare eyepieces are in the red case.", channel_id=OTHER_CHANNEL_ID, author=other_bot,
                       mention_bot=False)
        person = double.message("The spare filters are in the blue case.", user_n=2, channel_id=OTHER_CHANNEL_ID,
                                mention_bot=False)
        await until_answer(double, "where are the spare filters", lambda b: cites(b, person), seconds=10)
        answered = await ask(double, "where are the spare eyepieces", channel_id=OTHER_CHANNEL_ID)
        await bot.learning.feed.settled()
    kept = HistoryStore(FeedbackStore(tmp_path / "state"))
    authors = {s.message.author for s in kept.exchange(int(person["id"]))}
    assert authors == {"user2"}  # the other bot's message, and the answers the bot sent, were not kept
    assert "red case" not in str(answered.get("embeds"))
    total, _ = kept.counts()
    assert total == 1
