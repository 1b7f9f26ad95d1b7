"""The bot learns from its own server: listed channels, threads and forums, live and from their history.

Driven through the real discord.py client against the loopback Discord (tests/discord_double.py),
with the real core on the fake embedder and a real index and state database in this test's
folder. Messages arrive as MESSAGE_CREATE (live) or are already there when the bot starts
(``double.seed``: read by the backfill); questions are asked with ``/ask`` and the answers are
read from what discord.py really sent. Every wait is bounded and polls for what it waits for.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from pathlib import Path
from typing import Any

import discord
import pytest

from qabot.adapters.discord.admin import FORGOTTEN
from qabot.corpus.roles import ANSWERS, ASKS
from qabot.feedback import FeedbackStore
from qabot.history import HistoryStore
from tests import test_discord_bot as harness
from tests.discord_double import (
    B_CHANNEL_ID,
    BOT_ID,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    FORUM_ID,
    GUILD_B_ID,
    GUILD_ID,
    MISSING_ACCESS,
    MOD_ROLE_ID,
    NEWS_ID,
    OTHER_CHANNEL_ID,
    PRIVATE_CHANNEL_ID,
    SOLVED_TAG_ID,
    THREAD_ID,
    USER_BASE,
    VIEW_CHANNEL,
    DiscordDouble,
)
from tests.test_discord_bot import assert_no_pings, first_followup, running
from tests.test_discord_doors import reply_to

discord_api = harness.discord_api  # the same fixture

LIVE_SECONDS = 30.0  # the issue's bound: a message, an edit or a deletion reaches answers within this


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
              k: int = 10, shard: int = 0) -> dict[str, Any]:
    """The answer to ``/ask`` in ``channel_id`` (on ``shard``): its first follow-up's body."""
    return await first_followup(double, double.slash("ask", question=question, k=k, channel_id=channel_id,
                                                     user_n=user_n, shard=shard))


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


def spectrograph_answered(double: DiscordDouble) -> dict[str, Any]:
    """A question posted live in OTHER_CHANNEL_ID, and the reply that answers it (returned)."""
    question = double.message("How do I recalibrate the spectrograph after a cold night?", user_n=1,
                              channel_id=OTHER_CHANNEL_ID, mention_bot=False)
    return double.message("Run the arc-lamp sequence twice, then refit the wavelength solution with "
                          "specfit --arc latest.", user_n=2, channel_id=OTHER_CHANNEL_ID, mention_bot=False,
                          reply_to=question)


# -- live ----------------------------------------------------------------------------------------------


async def test_a_message_in_one_channel_answers_a_question_in_another_within_seconds(qa, double, tmp_path) -> None:
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        answer = spectrograph_answered(double)
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
    dumped = state_text(tmp_path)  # nor do the stored answers that quoted them keep their text
    assert "drive belt needs grease" not in dumped and "is kept in locker" not in dumped


async def test_a_deleted_channel_and_a_channel_taken_off_the_list_leave_the_index(qa, double, tmp_path) -> None:
    thread_id = double.thread("Roof hatch", parent_id=OTHER_CHANNEL_ID, announce=False)
    hatch = double.seed("The roof hatch sticks: lift it by the left handle.", user_n=2, channel_id=thread_id)
    lamp = double.seed("The red lamp in the hall means the dome is moving.", user_n=3, channel_id=OTHER_CHANNEL_ID)
    gate = double.seed("The gate closes at ten; ring the warden after that.", user_n=4, channel_id=CHANNEL_ID)
    async with running(qa, double, **settings(tmp_path, OTHER_CHANNEL_ID, CHANNEL_ID)) as bot:
        await backfilled(bot, double)
        await until_answer(double, "what does the red lamp in the hall mean", lambda b: cites(b, lamp), seconds=5)
        double.delete_channel(OTHER_CHANNEL_ID)
        await until_answer(double, "what does the red lamp in the hall mean", lambda b: not cites(b, lamp))
        hatch_answer = await ask(double, "the roof hatch sticks")
    assert not cites(hatch_answer, hatch)  # its threads went with it
    kept = HistoryStore(FeedbackStore(tmp_path / "state"))
    assert {row.id for row in kept.channels()} == {CHANNEL_ID, THREAD_ID}  # the listed one and its thread
    async with running(qa, double, **settings(tmp_path, B_CHANNEL_ID)) as bot:  # CHANNEL_ID taken off the list
        await backfilled(bot, double)
        after = await ask(double, "when does the gate close")
    assert not cites(after, gate) and kept.get([int(gate["id"])]) == {}
    assert {row.id for row in kept.channels()} == {B_CHANNEL_ID}


async def test_leaving_a_server_forgets_its_history_and_an_outage_does_not(qa, double, tmp_path, caplog) -> None:
    """Removed from a server (GUILD_DELETE), the bot keeps nothing of its history: its messages leave the state
    database and its exchanges the index. A server that is only unavailable for a while (an outage) keeps its."""
    kept = HistoryStore(FeedbackStore(tmp_path / "state"))
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        # Heard together, and so in one segment of the index: the rest of it stays, theirs goes.
        ours = double.message("The red lamp in the hall means the dome is moving.", user_n=3,
                              channel_id=OTHER_CHANNEL_ID, mention_bot=False)
        theirs = double.message("The club house key is under the third flower pot.", user_n=4,
                                channel_id=B_CHANNEL_ID, mention_bot=False)
        await double.until(lambda: kept.get([int(theirs["id"])]) and qa.sources(f"discord/{GUILD_B_ID}/"),
                           timeout=10, what="both messages learnt")
        await bot.learning.feed.settled()
        caplog.clear()
        caplog.set_level(logging.INFO, logger="qabot")
        double.remove_guild(GUILD_ID, outage=True)  # heard first: any change it made is applied with the next
        double.remove_guild(GUILD_B_ID)
        await double.until(lambda: not kept.get([int(theirs["id"])]), timeout=10,
                           what="the removed server's history to go")
        await bot.learning.feed.settled()
        written = on_disk(tmp_path / "index", "club house key", "red lamp in the hall")  # the files, not only answers
    assert {row.guild_id for row in kept.channels()} == {GUILD_ID} and kept.get([int(ours["id"])])
    assert "club house key" not in state_text(tmp_path)
    assert not qa.sources(f"discord/{GUILD_B_ID}/") and qa.sources(f"discord/{GUILD_ID}/")
    assert set(written) == {"red lamp in the hall"}, written
    left = [r.getMessage() for r in caplog.records if "left" in r.getMessage()]
    assert len(left) == 1 and str(GUILD_B_ID) in left[0] and str(GUILD_ID) not in left[0]


async def test_a_direct_message_is_answered_while_a_server_whose_history_is_kept_is_in_an_outage(qa, double,
                                                                                                   tmp_path) -> None:
    """A server in an outage (GUILD_DELETE with ``unavailable``) tells nothing of its channels or roles: its history
    is quoted in no direct message until it is back, and the others' still is, without an apology."""
    from qabot.adapters.discord.buttons import APOLOGY

    lamp = double.seed("The red lamp in the hall means the dome is moving.", user_n=3, channel_id=OTHER_CHANNEL_ID)
    club = double.seed("The red lamp at the club house means the bar is open.", user_n=4, channel_id=B_CHANNEL_ID)
    question = "what does the red lamp mean"
    async with running(qa, double, **settings(tmp_path, discord_history_dms=True)) as bot:
        await backfilled(bot, double)
        before = await ask(double, question, channel_id=DM_CHANNEL_ID)
        double.remove_guild(GUILD_ID, outage=True)
        await double.until(lambda: bot.get_guild(GUILD_ID).unavailable, what="the outage")
        during = await ask(double, question, channel_id=DM_CHANNEL_ID)
    double.down.add(GUILD_ID)  # and in one as the bot starts: READY names it, and Discord tells nothing more
    async with running(qa, double, **settings(tmp_path, discord_history_dms=True)) as bot:
        await double.until(lambda: bot.get_guild(GUILD_B_ID) is not None, what="the other server")
        down = await ask(double, question, channel_id=DM_CHANNEL_ID)
    assert cites(before, lamp) and cites(before, club)
    for answer in (during, down):
        assert APOLOGY not in str(answer) and not cites(answer, lamp) and cites(answer, club), answer


async def test_leaving_a_server_while_its_history_is_read_keeps_nothing_of_it(qa, double, tmp_path,
                                                                               monkeypatch) -> None:
    """Removed from a server while the backfill reads one of its channels: the threads of that channel, which the
    backfill goes on to, are not kept (their names are members' words), now or after a restart."""
    from qabot.adapters.discord import backfill

    monkeypatch.setattr(backfill, "BATCH", 100)
    for n in range(300):
        double.seed(f"Logbook entry {n}: the dome was turned {n} degrees.", user_n=n % 5 + 1, channel_id=CHANNEL_ID,
                    seconds_ago=9000 - n)
    double.page_delay = 0.3
    kept = HistoryStore(FeedbackStore(tmp_path / "state"))
    async with running(qa, double, **settings(tmp_path, CHANNEL_ID, B_CHANNEL_ID)) as bot:
        await double.until(lambda: checkpoint(tmp_path, CHANNEL_ID) > 0, timeout=30, what="a page read")
        double.remove_guild(GUILD_ID)
        await backfilled(bot, double)
        await double.until(lambda: {row.guild_id for row in kept.channels()} == {GUILD_B_ID}, timeout=10,
                           what="the server's history to go")
        await asyncio.sleep(0.5)  # a thread the backfill would keep of it, kept after its history went
        await bot.learning.feed.settled()
        rows = {row.id for row in bot.learning.history.rows()}
    assert {row.id for row in kept.channels()} == rows == {B_CHANNEL_ID}
    assert "follow-ups" not in state_text(tmp_path)  # the name of the channel's thread


async def test_a_server_the_bot_was_removed_from_while_away_is_forgotten_at_the_next_start(qa, double,
                                                                                            tmp_path) -> None:
    """No GUILD_DELETE is heard while the bot is not running: a server it was removed from meanwhile is one Discord
    no longer lists when it connects again. Its history and its stored answers go then, as when it is heard live;
    another server's stay."""
    ours = double.seed("The red lamp in the hall means the dome is moving.", user_n=3, channel_id=OTHER_CHANNEL_ID)
    theirs = double.seed("The club house key is under the third flower pot.", user_n=4, channel_id=B_CHANNEL_ID)
    kept, store = HistoryStore(FeedbackStore(tmp_path / "state")), FeedbackStore(tmp_path / "state")
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        assert cites(await ask(double, "where is the club house key kept", channel_id=B_CHANNEL_ID), theirs)
    double.guild_ids = (GUILD_ID,)  # removed from server B while the bot was away
    double.left.add(GUILD_B_ID)
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        await double.until(lambda: not kept.get([int(theirs["id"])]), timeout=10, what="server B's history to go")
        await bot.learning.feed.settled()
    assert {row.guild_id for row in kept.channels()} == {GUILD_ID} and kept.get([int(ours["id"])])
    assert not qa.sources(f"discord/{GUILD_B_ID}/") and qa.sources(f"discord/{GUILD_ID}/")
    assert not store.answers(guild_id=GUILD_B_ID)
    assert "club house key" not in state_text(tmp_path)


async def test_leaving_a_server_deletes_its_stored_answers_and_their_votes(qa, double, tmp_path, caplog) -> None:
    """Removed from a server, the bot keeps none of the answers it gave there (their questions, and the highlights
    that quote its history) nor the votes on them; an answer in a direct message that quoted that server keeps its
    question, not the quote; another server's answers stay as they were."""
    theirs = double.seed("The club house key is under the third flower pot.", user_n=4, channel_id=B_CHANNEL_ID)
    ours = double.seed("The red lamp in the hall means the dome is moving.", user_n=3, channel_id=OTHER_CHANNEL_ID)
    store = FeedbackStore(tmp_path / "state")
    asked_there = "where is the club house key kept"
    async with running(qa, double, **settings(tmp_path, discord_history_dms=True)) as bot:
        await backfilled(bot, double)
        token = double.slash("ask", question=asked_there, k=10, channel_id=B_CHANNEL_ID)
        [there] = await double.until(lambda: double.followups(token), what="the answer in the server")
        assert cites(there.body, theirs)
        double.click(there.response, user_n=8, label="Helpful")
        await double.until(lambda: store.tallies(guild_id=GUILD_B_ID), what="the vote")
        assert cites(await ask(double, "the key to the club house, where is it", channel_id=DM_CHANNEL_ID), theirs)
        assert cites(await ask(double, "what does the red lamp in the hall mean", channel_id=CHANNEL_ID), ours)
        caplog.clear()
        caplog.set_level(logging.INFO, logger="qabot")
        double.remove_guild(GUILD_B_ID)
        await double.until(lambda: not store.answers(guild_id=GUILD_B_ID), timeout=10,
                           what="the removed server's answers to go")
        await bot.learning.feed.settled()
    dumped = state_text(tmp_path)
    assert asked_there not in dumped and "third flower pot" not in dumped and not store.tallies()
    [in_dm] = [a for a in store.answers() if a.guild_id is None]
    assert in_dm.question == "the key to the club house, where is it" and in_dm.highlight is None
    [here] = store.answers(guild_id=GUILD_ID)
    assert here.highlight is not None and "red lamp" in here.highlight
    left = [r.getMessage() for r in caplog.records if "left" in r.getMessage()]
    assert len(left) == 1 and str(GUILD_B_ID) in left[0] and "1 stored answer" in left[0]


async def test_an_answer_being_given_as_the_bot_leaves_its_server_is_not_kept(qa, double, tmp_path) -> None:
    """Removed from a server while a question there was being answered: that answer, stored after the server's
    answers were deleted, goes as well; the question asked in the other server stays."""
    spy = Meanwhile(qa)
    store = FeedbackStore(tmp_path / "state")
    async with running(spy, double, state_dir=tmp_path / "state") as bot:
        await ask(double, "where do visitors sign the book", channel_id=CHANNEL_ID)
        left: list[int] = []
        leave = bot.answering.leave

        async def leaving(guild_id: int) -> Any:
            done = await leave(guild_id)
            left.append(guild_id)
            return done

        bot.answering.leave = leaving

        def meanwhile() -> None:  # heard and done while the answer is on its way to the store
            double.remove_guild(GUILD_B_ID)
            double.until_sync(lambda: left, timeout=10, what="the server left")

        spy.meanwhile = meanwhile
        token = double.slash("ask", question="when does the club house open for Maria", channel_id=B_CHANNEL_ID)
        await double.until(lambda: double.sent("POST", f"/{token}/callback") and spy.meanwhile is None,
                           what="the answer found")
        await double.until(lambda: double.followups(token) or bot.answering.gate.inside == 0, what="the answer")
    assert "Maria" not in state_text(tmp_path)
    assert [a.question for a in store.answers()] == ["where do visitors sign the book"]


async def test_bots_the_bots_own_answers_and_messages_without_text_are_never_learnt(qa, double, tmp_path) -> None:
    other_bot = {"id": str(USER_BASE + 99), "username": "helperbot", "discriminator": "0", "global_name": None,
                 "avatar": None, "bot": True}
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        double.message("The spare eyepieces are in the red case.", channel_id=OTHER_CHANNEL_ID, author=other_bot,
                       mention_bot=False)
        double.message("", user_n=3, channel_id=OTHER_CHANNEL_ID, mention_bot=False)  # a sticker alone: no text
        person = double.message("The spare filters are in the blue case.", user_n=2, channel_id=OTHER_CHANNEL_ID,
                                mention_bot=False)
        await until_answer(double, "where are the spare filters", lambda b: cites(b, person), seconds=10)
        answered = await ask(double, "where are the spare eyepieces", channel_id=OTHER_CHANNEL_ID)
        await bot.learning.feed.settled()
    kept = HistoryStore(FeedbackStore(tmp_path / "state"))
    authors = {s.message.author for s in kept.exchange(OTHER_CHANNEL_ID, int(person["id"]))}
    assert authors == {"user2"}  # the other bot's message, the sticker, and the answers the bot sent were not kept
    assert "red case" not in str(answered.get("embeds"))
    total, _ = kept.counts()
    assert total == 1



async def test_a_forward_is_learnt_as_the_forwarders_text_quoted_where_it_was_forwarded(qa, double, tmp_path) -> None:
    """Discord puts a forward's text in a snapshot (``message_snapshots``), not in ``content``: it is learnt as the
    forwarding message's, live and from the backfill, and lives in the channel it was forwarded into, under the
    forwarder's name (a snapshot has no author), with its mentions as names, never ids or pings."""
    spy = Recorder(qa)
    staff = double.seed(f"The spare dome key is in the staff safe; ask <@{USER_BASE + 42}> for the code.", user_n=2,
                        channel_id=PRIVATE_CHANNEL_ID, seconds_ago=9000)
    told = double.seed("", user_n=3, channel_id=OTHER_CHANNEL_ID, seconds_ago=8000, forwards=staff)  # read back
    notice = double.seed("The star party moves to Saturday because of the rain forecast.", user_n=4,
                         channel_id=OTHER_CHANNEL_ID, seconds_ago=700)

    async def quoted(question: str, channel_id: int, wanted: dict[str, Any] | None = None) -> dict[str, str]:
        """The excerpts of the answer at ``channel_id``, by link (``wanted``: asked until it is among them)."""
        started = time.monotonic()
        while True:
            await ask(double, question, channel_id=channel_id)
            found = {e.citation.link: e.text for e in spy.answers[-1].excerpts if e.citation.link}
            if wanted is None or jump(wanted) in found or time.monotonic() - started > LIVE_SECONDS:
                return found
            await asyncio.sleep(0.3)

    async with running(spy, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        key = await quoted("where is the spare dome key", CHANNEL_ID, told)
        moved = double.message("", user_n=5, channel_id=PRIVATE_CHANNEL_ID, mention_bot=False, forwards=notice)
        in_private = await quoted("when does the star party move", PRIVATE_CHANNEL_ID, moved)
        in_public = await quoted("when does the star party move", CHANNEL_ID)
    assert key[jump(told)] == "user3: (forwarded) The spare dome key is in the staff safe; ask @someone for the code."
    assert jump(staff) not in key  # what it forwarded stays private; the forward's copy is quoted, by its forwarder
    assert in_private[jump(moved)] == "user5: (forwarded) " + notice["content"]
    assert jump(moved) not in in_public and jump(notice) in in_public  # forwarded into a private channel: there
    kept = HistoryStore(FeedbackStore(tmp_path / "state")).get([int(told["id"])])[int(told["id"])].message
    assert (kept.content, kept.reply_to) == ("", None)  # a forward is no reply to what it forwards
    assert f"{USER_BASE + 42}" not in state_text(tmp_path)  # a member unknown here is named by no id
    assert_no_pings(double)


async def test_everyone_in_a_live_message_is_quoted_as_written_and_pings_nobody(qa, double, tmp_path) -> None:
    """discord.py's ``clean_content`` puts a zero-width space after the "@" of @everyone and @here; the history keeps
    the text as written, as an export has it (a quote showed "@\\u200beveryone"): nothing qabot sends can ping."""
    spy = Recorder(qa)
    async with running(spy, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        notice = double.message("@everyone the star party moves to Saturday because of the rain forecast", user_n=4,
                                channel_id=OTHER_CHANNEL_ID, mention_bot=False)
        found = await quoting(spy, double, "when does the star party move", lambda f: jump(notice) in f,
                              channel_id=CHANNEL_ID)
    assert found[jump(notice)] == "user4: @everyone the star party moves to Saturday because of the rain forecast"
    assert "\u200b" not in state_text(tmp_path)
    assert_no_pings(double)


async def quoting(spy: Recorder, double: DiscordDouble, question: str, wanted: Any, *, seconds: float = LIVE_SECONDS,
                  **where: Any) -> dict[str, Any]:
    """The excerpts (by link: text) of the answer to ``question``, asked again and again until ``wanted(them)``."""
    started = time.monotonic()
    while True:
        await ask(double, question, **where)
        found = {e.citation.link: e.text for e in spy.answers[-1].excerpts if e.citation.link}
        if wanted(found):
            return found
        if time.monotonic() - started > seconds:
            raise AssertionError(f"no answer as wanted within {seconds} s: {found}")
        await asyncio.sleep(0.3)


async def test_a_thread_started_from_a_question_answers_it_live(qa, double, tmp_path) -> None:
    """Someone asks in a channel, a helper makes a thread of the question and answers there: the thread's answer is
    the answer, cited at itself, and quoted after the question (cited as itself, in its channel); the question
    stands once, not also as a question nobody answered. An edit of the question, and its asker forgotten, are
    laid out again at once."""
    from tests.discord_double import user

    spy = Recorder(qa)
    asked = "how do I reset the dome controller after a power cut"
    async with running(spy, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        question = double.message("How do I reset the dome controller after a power cut?", user_n=1,
                                  channel_id=OTHER_CHANNEL_ID, mention_bot=False)
        thread = double.thread_from(question, "dome controller", user_n=2)
        answer = double.message("Hold the grey reset button for ten seconds, then switch the breaker back on.",
                                user_n=2, channel_id=thread, mention_bot=False)
        double.message("Thanks, that worked!", user_n=1, channel_id=thread, mention_bot=False)
        found = await quoting(spy, double, asked, lambda f: "dome controller" in f.get(jump(answer), ""))
        body = await ask(double, asked)
        double.edit(question, "How do I reset the dome controller after a lightning strike?")
        edited = await quoting(spy, double, asked, lambda f: "lightning strike" in f.get(jump(answer), ""))
        await first_followup(double, double.slash("qabot", subcommand="forget", member=user(1)))
        forgotten = await quoting(spy, double, asked, lambda f: "user1" not in f.get(jump(answer), "user1"))
    assert jump(answer) in body["embeds"][0]["fields"][0]["value"]  # the thread's answer is the answer
    assert found[jump(answer)].startswith("user1: How do I reset the dome controller after a power cut?\n\nuser2: Hold")
    assert [link for link, text in found.items() if "dome controller" in text] == [jump(answer)]  # once
    assert "lightning strike" in edited[jump(answer)] and "power cut" not in str(edited)
    assert "dome controller" not in forgotten[jump(answer)] and "user1" not in str(forgotten)
    assert_no_pings(double)


async def test_backfill_reads_an_archived_thread_started_from_a_question(qa, double, tmp_path) -> None:
    """The same when the bot reads it all afterwards: the channel, then its archived threads (whose history opens
    with Discord's placeholder for the question)."""
    spy = Recorder(qa)
    question = double.seed("The mount keeps drifting east during long exposures, what do I check?", user_n=1,
                           channel_id=OTHER_CHANNEL_ID, seconds_ago=7000)
    double.seed("Is the café open tonight?", user_n=4, channel_id=OTHER_CHANNEL_ID, seconds_ago=6950)
    thread = double.thread_from(question, "mount drift", user_n=3, seconds_ago=6900, archived=True, announce=False)
    answer = double.seed("Drift east means the polar alignment is off: redo it with the polar scope.", user_n=3,
                         channel_id=thread, seconds_ago=6800)
    async with running(spy, double, **settings(tmp_path, OTHER_CHANNEL_ID)) as bot:
        await backfilled(bot, double)
        found = await quoting(spy, double, "the mount drifts east during long exposures", lambda f: True, seconds=0)
    assert str(OTHER_CHANNEL_ID) in double.archived_lists
    assert found[jump(answer)].startswith("user1: The mount keeps drifting east")  # the question, then its answer
    assert [link for link, text in found.items() if "drifting east" in text] == [jump(answer)]

async def test_a_reply_in_a_thread_to_the_message_it_was_started_from_replies_to_it(qa, double, tmp_path) -> None:
    """In a thread made of a question, a helper replies to the question (Discord shows it atop the thread; the reply's
    reference is to the message in the parent channel, under the thread's id). It is kept as a reply to the question
    and answers it, as an export of the thread reads it; it was kept as no reply at all."""
    question = double.seed("Why does the focuser slip when the tube points up?", user_n=1,
                           channel_id=OTHER_CHANNEL_ID, seconds_ago=9000)
    thread = double.thread_from(question, "focuser slip", user_n=2, seconds_ago=8990, announce=False)
    first = double.seed("Is the tension screw under the focuser tight?", user_n=2, channel_id=thread,
                        seconds_ago=8980)
    store = HistoryStore(FeedbackStore(tmp_path / "state"))
    async with running(qa, double, **settings(tmp_path, OTHER_CHANNEL_ID)) as bot:
        await backfilled(bot, double)
        reply = double.message("Tighten the tension screw under the focuser a quarter turn.", user_n=3,
                               channel_id=thread, mention_bot=False, reply_to=question)
        await double.until(lambda: getattr(store.get([int(reply["id"])]).get(int(reply["id"])), "root", None),
                           what="the reply linked")
        await bot.learning.feed.settled()
    kept = store.get([int(first["id"]), int(reply["id"])])
    assert kept[int(reply["id"])].message.reply_to == question["id"]
    assert [(kept[int(m["id"])].parent, kept[int(m["id"])].role) for m in (first, reply)] == [
        (int(question["id"]), ANSWERS), (int(question["id"]), ANSWERS)]

# -- backfill ------------------------------------------------------------------------------------------


# Discord's author of every deleted account's messages
deleted = {"id": "456226577798135808", "username": "Deleted User", "discriminator": "0000", "global_name": None,
           "avatar": None}


def history_pages(double: DiscordDouble, channel_id: int, since: int = 0) -> list[Any]:
    """The pages of a channel's history the bot asked for (GET /channels/{id}/messages), from request ``since``."""
    return [r for r in double.requests[since:] if r.method == "GET" and r.path == f"/channels/{channel_id}/messages"]


def checkpoint(tmp_path: Path, channel_id: int) -> int:
    row = HistoryStore(FeedbackStore(tmp_path / "state")).channel(channel_id)
    return row.checkpoint if row is not None else 0


async def test_backfill_resumes_after_a_restart_without_reading_again_what_it_had(qa, double, tmp_path,
                                                                                  monkeypatch) -> None:
    from qabot.adapters.discord import backfill

    monkeypatch.setattr(backfill, "BATCH", 100)  # a checkpoint every page
    # The checkpoint alone: the window read again for deletions made while away is another test's.
    listed = settings(tmp_path, OTHER_CHANNEL_ID, discord_history_recheck_days=0)
    said = [double.seed(f"Logbook entry {n}: camera {n % 7} was cooled to minus {n % 30} degrees.",
                        user_n=n % 5 + 1, channel_id=OTHER_CHANNEL_ID, seconds_ago=9000 - n) for n in range(450)]
    double.page_delay = 0.3
    async with running(qa, double, **listed):  # stopped after two pages of five
        await double.until(lambda: checkpoint(tmp_path, OTHER_CHANNEL_ID) >= int(said[199]["id"]), timeout=30,
                           what="two pages read")
    stopped_at = checkpoint(tmp_path, OTHER_CHANNEL_ID)
    assert int(said[199]["id"]) <= stopped_at < int(said[-1]["id"])  # interrupted
    double.page_delay = 0.0
    later = [double.seed(f"Late entry {n}: the dome was closed for rain.", user_n=2, channel_id=OTHER_CHANNEL_ID,
                         seconds_ago=100 - n) for n in range(3)]  # said while the bot was away
    first_run = len(double.requests)
    async with running(qa, double, **listed) as bot:
        await backfilled(bot, double)
        body = await ask(double, "when was the dome closed for rain")
    pages = history_pages(double, OTHER_CHANNEL_ID, first_run)
    assert int(pages[0].query["after"]) == stopped_at  # on from the checkpoint, not from the start
    read_again = [m for page in pages for m in page.response]
    assert read_again and all(int(m["id"]) > stopped_at for m in read_again)  # nothing it had is read again
    assert {m["id"] for m in read_again} == {m["id"] for m in [*said, *later] if int(m["id"]) > stopped_at}
    assert any(cites(body, m) for m in later)
    total, linked = HistoryStore(FeedbackStore(tmp_path / "state")).counts()
    assert total == linked == len(said) + len(later)

    third_run = len(double.requests)
    async with running(qa, double, **listed) as bot:  # nothing new: no request
        await backfilled(bot, double)
    assert history_pages(double, OTHER_CHANNEL_ID, third_run) == []


async def test_a_channel_whose_history_cannot_be_read_still_learns_live_and_is_read_at_the_next_start(
        qa, double, tmp_path) -> None:
    old = double.seed("The lens cap of the small refractor is in the blue drawer.", user_n=2,
                      channel_id=OTHER_CHANNEL_ID)
    gate = double.seed("The gate closes at ten; ring the warden after that.", user_n=4, channel_id=CHANNEL_ID)
    double.history_errors[OTHER_CHANNEL_ID] = 403  # Discord refuses this channel's history, not its live messages
    async with running(qa, double, **settings(tmp_path, CHANNEL_ID, OTHER_CHANNEL_ID)) as bot:
        await backfilled(bot, double)
        assert cites(await ask(double, "when does the gate close"), gate)  # the other channel was read all the same
        answer = spectrograph_answered(double)
        await until_answer(double, "how do I recalibrate the spectrograph after a cold night",
                           lambda b: cites(b, answer))
        assert not cites(await ask(double, "where is the lens cap of the small refractor"), old)
    del double.history_errors[OTHER_CHANNEL_ID]
    async with running(qa, double, **settings(tmp_path, CHANNEL_ID, OTHER_CHANNEL_ID)) as bot:
        await backfilled(bot, double)
        assert cites(await ask(double, "where is the lens cap of the small refractor"), old)  # what was missed
        assert cites(await ask(double, "how do I recalibrate the spectrograph after a cold night"), answer)


async def test_a_channel_whose_history_discord_failed_to_give_for_a_while_is_read_again_before_the_next_start(
        qa, double, tmp_path, monkeypatch, caplog) -> None:
    """Discord failing for a moment (a 503 on a page of a channel's history: discord.py retries none) does not
    leave the rest of that channel unread until the bot starts again, days later maybe: it is read again later in
    the run, on from where reading stopped, each message once."""
    from qabot.adapters.discord import backfill

    monkeypatch.setattr(backfill, "BATCH", 100)  # a checkpoint every page
    monkeypatch.setattr(backfill, "RETRY_SECONDS", 0.5)
    said = [double.seed(f"Logbook entry {n}: camera {n % 7} was cooled to minus {n % 30} degrees.",
                        user_n=n % 5 + 1, channel_id=OTHER_CHANNEL_ID, seconds_ago=9000 - n) for n in range(250)]
    late = double.seed("The spare eyepieces are in the left cabinet of the dome.", user_n=2,
                       channel_id=OTHER_CHANNEL_ID, seconds_ago=8000)  # on the last page
    double.history_errors[OTHER_CHANNEL_ID] = 503
    double.history_pages_ok[OTHER_CHANNEL_ID] = 1  # the first page, then Discord fails for a while
    with caplog.at_level(logging.WARNING):
        async with running(qa, double, **settings(tmp_path, OTHER_CHANNEL_ID, discord_history_recheck_days=0)) as bot:
            await backfilled(bot, double)
            del double.history_errors[OTHER_CHANNEL_ID]
            await until_answer(double, "where are the spare eyepieces", lambda b: cites(b, late))
    assert any("read again in" in r.getMessage() for r in caplog.records)
    given = [m["id"] for page in history_pages(double, OTHER_CHANNEL_ID) if page.response for m in page.response]
    assert sorted(given) == sorted(m["id"] for m in [*said, late])  # each message once
    total, linked = HistoryStore(FeedbackStore(tmp_path / "state")).counts()
    assert total == linked == len(said) + 1


async def test_backfill_progress_says_what_it_is_doing(qa, double, tmp_path, monkeypatch, caplog) -> None:
    """The progress lines say what the backfill is doing: never "starting" once channels were read, and a run over
    channels with nothing new (a forum of thousands of archived posts: a write to the state database each) says how
    far it is too, not only when it is done."""
    from qabot.adapters.discord import backfill

    monkeypatch.setattr(backfill, "LOG_SECONDS", 0.0)  # every progress line
    for n in range(4):
        thread = double.thread(f"Old question {n}", parent_id=OTHER_CHANNEL_ID, archived=True, announce=False)
        double.seed(f"The spare fuse number {n} is in drawer {n}.", user_n=2, channel_id=thread, seconds_ago=900 - n)
    double.seed("The gate closes at ten; ring the warden after that.", user_n=4, channel_id=OTHER_CHANNEL_ID)
    lines = []
    for _ in range(2):  # the second start finds nothing new
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="qabot.adapters.discord.backfill"):
            async with running(qa, double, **settings(tmp_path, OTHER_CHANNEL_ID,
                                                      discord_history_recheck_days=0)) as bot:
                await backfilled(bot, double)
        lines.append([r.getMessage() for r in caplog.records if r.getMessage().startswith("history: backfill ")
                      and "done" not in r.getMessage()])
    assert all(lines) and not [line for run in lines for line in run if "starting" in line], lines
    assert len(lines[1]) >= 5  # the channel and its four threads, each up to date


async def test_the_backfills_log_names_a_thread_by_its_id_not_its_title(qa, double, tmp_path, monkeypatch,
                                                                       caplog) -> None:
    """A thread's or forum post's title is the words of the member who made it (``/qabot forget`` takes them out of
    it): the backfill's warning about a thread it could not read (and its progress lines, "reading <title>") named it
    by its title, in a log that nothing takes them back out of."""
    from qabot.adapters.discord import backfill

    monkeypatch.setattr(backfill, "LOG_SECONDS", 0.0)  # every progress line
    read = double.thread("Why does Quillbramble's dome stick?", parent_id=OTHER_CHANNEL_ID, archived=True,
                         announce=False)
    double.seed("The dome sticks when the rail is dry.", user_n=6, channel_id=read, seconds_ago=900)
    failing = double.thread("Zanzibarquux keeps losing the guide star", parent_id=OTHER_CHANNEL_ID, archived=True,
                            announce=False)
    double.seed("The guide star drifts off.", user_n=6, channel_id=failing, seconds_ago=800)
    double.history_errors[failing] = 503
    caplog.set_level(logging.DEBUG, logger="qabot")
    async with running(qa, double, **settings(tmp_path, OTHER_CHANNEL_ID, discord_history_recheck_days=0)) as bot:
        await backfilled(bot, double)
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("qabot")]
    assert any(f"could not read thread {failing}" in line for line in logged), logged
    assert not [line for line in logged if "Quillbramble" in line or "Zanzibarquux" in line]


@pytest.mark.parametrize("heard", [True, False])
async def test_a_channel_deleted_while_it_is_read_leaves_the_index_without_a_warning(qa, double, tmp_path, monkeypatch,
                                                                                      caplog, heard) -> None:
    """A moderator deletes a channel as the backfill reads it: Discord answers its next page with 404 (Unknown
    Channel). That is no failure to warn of, nor a history to read "at the next start": what was read of it leaves
    the index, whether its CHANNEL_DELETE was heard first or not at all (Discord sends none of a private thread's
    to a bot without Manage Messages)."""
    from qabot.adapters.discord import backfill

    monkeypatch.setattr(backfill, "BATCH", 100)  # a batch a page: the first is stored before the channel goes
    for n in range(250):
        double.seed(f"Logbook entry {n}: camera {n % 7} was cooled to minus {n % 30} degrees.", user_n=n % 5 + 1,
                    channel_id=OTHER_CHANNEL_ID, seconds_ago=9000 - n)
    gate = double.seed("The gate closes at ten; ring the warden after that.", user_n=4, channel_id=CHANNEL_ID)
    double.page_delay = 0.3
    with caplog.at_level(logging.WARNING, logger="qabot"):
        async with running(qa, double, **settings(tmp_path, OTHER_CHANNEL_ID, CHANNEL_ID)) as bot:
            await double.until(lambda: checkpoint(tmp_path, OTHER_CHANNEL_ID), timeout=30, what="a page stored")
            double.vanish(OTHER_CHANNEL_ID)
            if heard:
                double.delete_channel(OTHER_CHANNEL_ID)
            await backfilled(bot, double)
            assert cites(await ask(double, "when does the gate close"), gate)
    kept = HistoryStore(FeedbackStore(tmp_path / "state"))
    assert kept.channel(OTHER_CHANNEL_ID) is None and kept.counts()[0] == 1
    assert not [r.getMessage() for r in caplog.records if r.name.startswith("qabot")]


class Failed:
    """The response of a request Discord failed (``discord.HTTPException``'s)."""

    status, reason = 500, "Internal Server Error"


@pytest.mark.parametrize("failing", ["listing its channel's threads", "fetching it", "fetching it, listed alone"])
async def test_a_kept_thread_the_backfill_cannot_reach_still_learns_live(qa, double, tmp_path, monkeypatch,
                                                                         failing) -> None:
    """A thread kept from the last run, archived: at this start Discord fails to list its channel's archived threads
    (a 500), or to give the thread itself (a 403 once access to it is lost; listed alone, a 500). Reopened until a
    backfill reads it, it is skipped as a channel whose history fails is: what is said there live is learnt, and
    the live edits held meanwhile (their whole text) are let go of once every channel is read or skipped."""
    thread = double.thread("Focuser", parent_id=OTHER_CHANNEL_ID, archived=True, announce=False)
    double.seed("The focuser slips when the camera is heavy.", user_n=1, channel_id=thread, seconds_ago=900)
    chat = double.seed("Dinner is at seven in the canteen.", user_n=3, channel_id=OTHER_CHANNEL_ID, seconds_ago=800)
    listed = settings(tmp_path, *((OTHER_CHANNEL_ID, thread) if failing.endswith("alone") else (OTHER_CHANNEL_ID,)))
    async with running(qa, double, **listed) as bot:
        await backfilled(bot, double)
    assert HistoryStore(FeedbackStore(tmp_path / "state")).channel(thread).complete

    async def unlisted(self: Any, **_: Any) -> Any:
        if failing.startswith("listing"):
            raise discord.HTTPException(Failed(), "listing archived threads failed")
        return
        yield  # an async generator, as archived_threads is

    async def unfetched(self: Any, channel_id: int) -> Any:
        if failing.endswith("alone"):
            raise discord.HTTPException(Failed(), "fetching the channel failed")
        raise discord.Forbidden(type("Refused", (), {"status": 403, "reason": "Forbidden"})(), "Missing Access")

    monkeypatch.setattr(discord.TextChannel, "archived_threads", unlisted)
    monkeypatch.setattr(discord.Client, "fetch_channel", unfetched)
    async with running(qa, double, **listed) as bot:
        await backfilled(bot, double)
        # A new message unarchives it: Discord sends THREAD_UPDATE, then MESSAGE_CREATE.
        double.threads[thread]["thread_metadata"]["archived"] = False
        double.dispatch("THREAD_UPDATE", double.threads[thread])
        await double.until(lambda: bot.get_channel(thread) is not None, what="the thread unarchived")
        live = double.message("Tighten the tension screw under the focuser by a quarter turn.", user_n=2,
                              channel_id=thread, mention_bot=False)
        double.edit(chat, "Dinner is at eight in the canteen.")
        await until_answer(double, "the focuser slips, what do I tighten", lambda b: live["content"] in str(b["embeds"]))
        held = dict(bot.learning.history._edited)
    assert not held  # every channel is read or skipped: no page read before an edit is still to come


async def test_a_new_gateway_session_reads_what_was_said_while_the_bot_was_away(qa, double, tmp_path) -> None:
    async with running(qa, double, **settings(tmp_path, CHANNEL_ID, OTHER_CHANNEL_ID)) as bot:
        missed = await _identified_anew_after_a_message(bot, double, seconds_ago=1)
        await until_answer(double, "where are the spare eyepieces", lambda b: cites(b, missed))


async def _identified_anew_after_a_message(bot, double: DiscordDouble, *, seconds_ago: int,
                                           ready: bool = False) -> dict[str, Any]:
    """Once the backfill is done, the session is lost and Discord forgot it (the bot identifies anew), and a message
    is said in OTHER_CHANNEL_ID meanwhile, which no event tells: it, once the new session is up (``ready``: ready)."""
    await backfilled(bot, double)
    identified = len(double.identifies)
    double.sessions[0].session_id = "expired"
    double.drop()
    missed = double.seed("The spare eyepieces are in the left cabinet of the dome.", user_n=2,
                         channel_id=OTHER_CHANNEL_ID, seconds_ago=seconds_ago)
    await double.until(lambda: len(double.identifies) > identified and (not ready or double.ready()),
                       what="a new session")
    return missed


async def test_a_message_deleted_or_edited_while_the_bot_was_away_is_noticed_at_the_next_start(
        qa, double, tmp_path, monkeypatch) -> None:
    """No event tells what happened while the bot was away: at the next start each channel's last
    QABOT_DISCORD_HISTORY_RECHECK_DAYS (7) are read again, and a message kept there that Discord no longer gives
    leaves the state database and the index, as a deletion heard live does; an edit is taken too. A window not
    read to its end (a 403 on its second page) deletes nothing; a deletion older than the window is not seen, and a
    channel with nothing kept in its window still costs no request."""
    from qabot.adapters.discord import backfill

    monkeypatch.setattr(backfill, "BATCH", 100)  # a batch a page: the first page is compared before the second fails
    old = double.seed("The darkroom key hangs behind the door of the plate store.", user_n=4,
                      channel_id=OTHER_CHANNEL_ID, seconds_ago=10 * 86400)
    safe = double.seed("The observatory safe combination is 31-07-19, tell no one.", user_n=2,
                       channel_id=OTHER_CHANNEL_ID, seconds_ago=3 * 86400)
    wifi = double.seed("The guest wifi password is printed on the fridge in the kitchen.", user_n=3,
                       channel_id=OTHER_CHANNEL_ID, seconds_ago=3 * 86400 - 60)
    for n in range(150):
        double.seed(f"Logbook entry {n}: camera {n % 7} was cooled to minus {n % 30} degrees.", user_n=n % 5 + 1,
                    channel_id=OTHER_CHANNEL_ID, seconds_ago=2 * 86400 - n)
    gate = double.seed("The gate closes at ten; ring the warden after that.", user_n=4, channel_id=CHANNEL_ID,
                       seconds_ago=9 * 86400)
    listed = settings(tmp_path, OTHER_CHANNEL_ID, CHANNEL_ID)
    kept = HistoryStore(FeedbackStore(tmp_path / "state"))
    async with running(qa, double, **listed) as bot:
        await backfilled(bot, double)
        assert cites(await ask(double, "what is the observatory safe combination"), safe)
    # While the bot is away (no session hears these: the next login identifies anew).
    double.delete(safe)
    double.delete(old)
    double.edit(wifi, "The guest wifi password is taped under the telescope control desk.")
    double.history_errors[OTHER_CHANNEL_ID] = 403
    double.history_pages_ok[OTHER_CHANNEL_ID] = 1  # the window's first page, then Discord refuses the rest
    async with running(qa, double, **listed) as bot:
        await backfilled(bot, double)
    assert kept.get([int(safe["id"])])  # seen missing on the first page, but the window was not read to its end
    del double.history_errors[OTHER_CHANNEL_ID]
    started = len(double.requests)
    async with running(qa, double, **listed) as bot:
        await backfilled(bot, double)
        safe_answer = await ask(double, "what is the observatory safe combination")
        wifi_answer = await ask(double, "where is the guest wifi password")
        old_answer = await ask(double, "where does the darkroom key hang")
    assert not cites(safe_answer, safe) and kept.get([int(safe["id"])]) == {}
    assert "31-07-19" not in state_text(tmp_path)  # nor the answer quoting it that the first run stored
    assert cites(wifi_answer, wifi) and "telescope control desk" in wifi_answer["embeds"][0]["description"]
    assert cites(old_answer, old)  # older than the window: the README says it is not seen
    pages = history_pages(double, OTHER_CHANNEL_ID, started)
    assert int(old["id"]) < int(pages[0].query["after"]) < int(safe["id"])  # the window, not the channel's start
    assert history_pages(double, CHANNEL_ID, started) == [] and kept.get([int(gate["id"])])  # nothing in its window


@pytest.mark.parametrize("before", ["read in part", "never read"])
async def test_a_live_message_of_a_channel_whose_history_failed_and_deleted_while_away_leaves_at_the_next_start(
        qa, double, tmp_path, monkeypatch, before) -> None:
    """A channel whose history Discord refused in the last run (part way, or from its first page) still learnt
    what was said there live, past its checkpoint. A message of those deleted while the bot was away is gone at the
    next start, as one kept before its checkpoint is (the README's window): not quoted until the start after."""
    from qabot.adapters.discord import backfill

    monkeypatch.setattr(backfill, "BATCH", 100)
    for n in range(150):
        double.seed(f"Logbook entry {n}: camera {n % 7} was cooled to minus {n % 30} degrees.", user_n=n % 5 + 1,
                    channel_id=OTHER_CHANNEL_ID, seconds_ago=2 * 86400 - n)
    double.history_errors[OTHER_CHANNEL_ID] = 403
    double.history_pages_ok[OTHER_CHANNEL_ID] = 1 if before == "read in part" else 0
    listed = settings(tmp_path, OTHER_CHANNEL_ID)
    async with running(qa, double, **listed) as bot:
        await backfilled(bot, double)
        secret = double.message("The observatory safe combination is 31-07-19, tell no one.", user_n=2,
                                channel_id=OTHER_CHANNEL_ID, mention_bot=False)
        kept = double.message("The spare eyepieces are in the left cabinet of the dome.", user_n=3,
                              channel_id=OTHER_CHANNEL_ID, mention_bot=False)
        await until_answer(double, "what is the observatory safe combination", lambda b: cites(b, secret))
    del double.history_errors[OTHER_CHANNEL_ID]
    double.delete(secret)  # while the bot is away
    async with running(qa, double, **listed) as bot:
        await backfilled(bot, double)
        body = await ask(double, "what is the observatory safe combination")
        eyepieces = await ask(double, "where are the spare eyepieces")
    assert not cites(body, secret) and HistoryStore(FeedbackStore(tmp_path / "state")).get([int(secret["id"])]) == {}
    assert "31-07-19" not in state_text(tmp_path)
    assert cites(eyepieces, kept)
    total, linked = HistoryStore(FeedbackStore(tmp_path / "state")).counts()
    assert total == linked == 151


async def test_backfill_reads_threads_archived_ones_and_forum_posts(qa, double, tmp_path) -> None:
    archived = double.thread("Old: focuser slips", parent_id=OTHER_CHANNEL_ID, archived=True, announce=False)
    question = double.seed("The focuser slips when the camera is heavy, what can I do?", user_n=1,
                           channel_id=archived, seconds_ago=7000)
    tighten = double.seed("Tighten the tension screw under the focuser by a quarter turn.", user_n=2,
                          channel_id=archived, seconds_ago=6990, reply_to=question)
    post = double.thread("Flat frames look striped", parent_id=FORUM_ID, archived=True, announce=False)
    flats = double.seed("Striped flats come from the LED panel flickering: set it to DC mode.", user_n=3,
                        channel_id=post, seconds_ago=6000)
    hidden = double.thread("Not listed", parent_id=CHANNEL_ID, archived=True, announce=False)
    double.seed("The secret handshake is two taps on the dome.", user_n=4, channel_id=hidden, seconds_ago=5000)
    async with running(qa, double, **settings(tmp_path, OTHER_CHANNEL_ID, FORUM_ID)) as bot:
        await backfilled(bot, double)
        focuser = await ask(double, "the focuser slips with a heavy camera")
        striped = await ask(double, "why are my flat frames striped")
        handshake = await ask(double, "what is the secret handshake")
        status = await first_followup(double, double.slash("qabot", subcommand="status"))
    assert cites(focuser, tighten) and cites(striped, flats)
    assert "questions" in str(striped["embeds"]) and "Flat frames look striped" in str(striped["embeds"])  # its title
    assert "two taps" not in str(handshake["embeds"])  # a channel not listed is not learnt
    assert str(OTHER_CHANNEL_ID) in double.archived_lists and str(FORUM_ID) in double.archived_lists
    shown = {f["name"]: f["value"] for f in status["embeds"][0]["fields"]}
    assert "read to the end" in shown["This server's history"] and "backfill done" in shown["This server's history"]


async def test_an_announcement_threads_history_opens_with_news_as_its_export_does(qa, double, tmp_path) -> None:
    """tests/test_conversations.py::test_a_thread_of_an_announcement_channel_opens_with_news: exported, these three
    messages of an announcement's thread are news, a question about it and its answer; learnt live, the same."""
    thread = double.thread("v2.4 is out", parent_id=NEWS_ID, announce=False)
    said = [double.seed("I just released v2.4 of the site, with dark mode", user_n=1, channel_id=thread,
                        seconds_ago=900),
            double.seed("does the dark mode follow the system setting?", user_n=2, channel_id=thread,
                        seconds_ago=600),
            double.seed("yes, it follows the system", user_n=1, channel_id=thread, seconds_ago=360)]
    async with running(qa, double, **settings(tmp_path, NEWS_ID)) as bot:
        await backfilled(bot, double)
    kept = HistoryStore(FeedbackStore(tmp_path / "state")).get([int(m["id"]) for m in said])
    assert [kept[int(m["id"])].role for m in said] == [ANSWERS, ASKS, ANSWERS]


@pytest.mark.parametrize("batch", [1000, 1])
async def test_backfill_reads_a_deleted_members_reply_to_another_deleted_members_question_as_its_answer(
        qa, double, tmp_path, monkeypatch, batch) -> None:
    """tests/test_conversations.py::test_a_deleted_members_reply_to_another_deleted_members_question_answers_it, live:
    an old help channel whose asker and helper both deleted their accounts since. Discord shows both under its one
    "Deleted User" id; the helper's reply answers the question, cited (it was the asker's own follow-up, and the
    question one nobody answered), and the asker's reply back to it still asks; read in one batch, or one message a
    batch (the question it replies to is then found kept)."""
    from qabot.adapters.discord import backfill

    monkeypatch.setattr(backfill, "BATCH", batch)
    question = double.seed("How do I keep the guider from losing the star after the meridian flip?",
                           author=deleted, channel_id=OTHER_CHANNEL_ID, seconds_ago=7000)
    answer = double.seed("Recalibrate the guider after the flip, or tick 'reverse Dec after flip' in its settings.",
                         author=deleted, channel_id=OTHER_CHANNEL_ID, seconds_ago=6900, reply_to=question)
    back = double.seed("does that work with the old mount firmware too?", author=deleted,
                       channel_id=OTHER_CHANNEL_ID, seconds_ago=6800, reply_to=answer)
    async with running(qa, double, **settings(tmp_path, OTHER_CHANNEL_ID)) as bot:
        await backfilled(bot, double)
        body = await ask(double, "how do I keep the guider from losing the star after the meridian flip")
    kept = HistoryStore(FeedbackStore(tmp_path / "state")).get([int(m["id"]) for m in (question, answer, back)])
    assert [kept[int(m["id"])].role for m in (question, answer, back)] == [ASKS, ANSWERS, ASKS]
    assert cites(body, answer), body.get("embeds")


async def test_forgetting_the_deleted_user_forgets_every_deleted_members_messages(qa, double, tmp_path) -> None:
    """Someone who deleted their account asks a server to forget what they said: all a moderator can name is Discord's
    one "Deleted User", whose messages are many people's. ``/qabot forget`` of it takes them all, those told apart as
    another person's (a deleted helper's reply to a deleted asker) too, and keeps none of its from then on; the bot's
    answer that quoted a part of that reply alone is edited, as for any member forgotten."""
    spy = Recorder(qa)
    question = double.seed("How do I keep the guider from losing the star after the meridian flip?",
                           author=deleted, channel_id=OTHER_CHANNEL_ID, seconds_ago=7000)
    answer = double.seed(" ".join(f"Step {n}: the guide camera cable must stay loose at the pier." for n in range(30))
                         + " Recalibrate the guider after the flip, or tick 'reverse Dec after flip' in its settings.",
                         author=deleted, channel_id=OTHER_CHANNEL_ID, seconds_ago=6900, reply_to=question)
    async with running(spy, double, **settings(tmp_path, OTHER_CHANNEL_ID)) as bot:
        await backfilled(bot, double)
        token = double.slash("ask", question="how do I keep the guider from losing the star after the meridian flip",
                             k=1, user_n=7)
        assert jump(answer) in str((await first_followup(double, token))["embeds"])
        assert jump(answer) in links(spy.answers[-1])
        reply = await first_followup(double, double.slash("qabot", subcommand="forget", member=deleted))
        await ask(double, "how do I keep the guider from losing the star after the meridian flip")
        posted = double.messages[int(double.followups(token)[0].response["id"])]
        await double.until(lambda: jump(answer) not in str(posted["embeds"]), timeout=10,
                           what="the bot's answer edited")
    assert reply["content"] == FORGOTTEN.format(count=2, name="Deleted User")
    assert not links(spy.answers[-1]) & {jump(question), jump(answer)}
    assert HistoryStore(FeedbackStore(tmp_path / "state")).get([int(question["id"]), int(answer["id"])]) == {}


async def test_forgetting_the_deleted_user_forgets_what_an_earlier_version_kept_of_it(qa, double, tmp_path,
                                                                                     monkeypatch) -> None:
    """A state database an earlier version made kept Discord's one "Deleted User" id as a member's, salted and hashed:
    ``/qabot forget`` of it takes those messages too, not only the ones kept since."""
    from qabot.adapters.discord import bot as discord_bot

    said = double.seed("The spare guide camera is in the blue case under the desk.", author=deleted,
                       channel_id=OTHER_CHANNEL_ID, seconds_ago=7000)
    with monkeypatch.context() as before:  # an earlier version: every member hashed
        before.setattr(discord_bot, "member_key", lambda store, user_id: store.user_hash(f"discord:{user_id}"))
        async with running(qa, double, **settings(tmp_path, OTHER_CHANNEL_ID)) as bot:
            await backfilled(bot, double)
    assert HistoryStore(FeedbackStore(tmp_path / "state")).get([int(said["id"])])
    async with running(qa, double, **settings(tmp_path, OTHER_CHANNEL_ID)) as bot:
        await backfilled(bot, double)
        reply = await first_followup(double, double.slash("qabot", subcommand="forget", member=deleted))
    assert reply["content"] == FORGOTTEN.format(count=1, name="Deleted User")
    assert HistoryStore(FeedbackStore(tmp_path / "state")).get([int(said["id"])]) == {}


# -- privacy -------------------------------------------------------------------------------------------


class Recorder(harness.Spy):
    """The real QABot, keeping every answer it gave (all ten excerpts, not only those an embed shows)."""

    def __init__(self, qa: Any) -> None:
        super().__init__(qa)
        self.answers: list[Any] = []

    def ask(self, question: str, k: int | None = None, history: list[str] | None = None, sources: Any = None) -> Any:
        answer = super().ask(question, k=k, history=history, sources=sources)
        self.answers.append(answer)
        return answer


def links(answer: Any) -> set[str]:
    return {e.citation.link for e in answer.excerpts if e.citation.link}


async def test_a_private_channels_history_is_quoted_only_where_its_readers_are(qa, double, tmp_path) -> None:
    spy = Recorder(qa)
    code = "The back door alarm code is 4417, keep it among the staff."
    public = double.seed("The back door of the dome is locked after midnight.", user_n=1, channel_id=OTHER_CHANNEL_ID)
    private = double.seed(code, user_n=2, channel_id=PRIVATE_CHANNEL_ID)
    staff_thread = double.thread("alarm follow-up", parent_id=PRIVATE_CHANNEL_ID, announce=False)
    in_staff_thread = double.seed("The back door alarm code changes every March.", user_n=2,
                                  channel_id=staff_thread)
    private_thread = double.thread("night shift", parent_id=CHANNEL_ID, private=True, announce=False)
    in_private_thread = double.seed("The back door key hangs behind the night shift rota.", user_n=3,
                                    channel_id=private_thread)
    other_guild = double.seed("The back door of our club house sticks in winter.", user_n=4, channel_id=B_CHANNEL_ID)
    secret = {jump(m) for m in (private, in_staff_thread)}
    question = "what is the back door alarm code"

    async def quoted_at(channel_id: int) -> set[str]:
        await ask(double, question, channel_id=channel_id)
        return links(spy.answers[-1])

    async with running(spy, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        in_public, in_thread = await quoted_at(CHANNEL_ID), await quoted_at(THREAD_ID)
        in_dm = await quoted_at(DM_CHANNEL_ID)
        in_private, in_its_thread = await quoted_at(PRIVATE_CHANNEL_ID), await quoted_at(staff_thread)
        in_the_private_thread = await quoted_at(private_thread)
        in_b = await quoted_at(B_CHANNEL_ID)
        listing = await first_followup(double, double.slash("sources", channel_id=CHANNEL_ID))
    for place in (in_public, in_thread, in_dm, in_b):
        assert not place & secret and jump(in_private_thread) not in place
    assert jump(public) in in_public and jump(public) in in_thread  # public history is quoted across the server
    assert not in_dm  # no history in direct messages unless a setting allows it
    assert secret <= in_private and secret <= in_its_thread  # where the private channel's readers are
    assert jump(in_private_thread) in in_the_private_thread and not secret & in_the_private_thread
    assert jump(other_guild) in in_b and jump(public) not in in_b  # each server its own history only
    assert jump(other_guild) not in in_public | in_private
    assert "moderators" not in str(listing["embeds"]) and "elsewhere" in str(listing["embeds"])


async def test_a_private_channels_history_is_quoted_through_no_other_door_outside_it(qa, double, tmp_path) -> None:
    """The doors besides /ask keep to the privacy rule as well: "Ask qabot" (on a message, and on a forward of the
    private channel's own question), its Post publicly, a forum post and a direct message (history allowed there)
    never quote a private channel's history outside it; "Ask qabot" inside it does."""
    spy = Recorder(qa)
    code = double.seed("The back door alarm code is 4417, keep it among the staff.", user_n=2,
                       channel_id=PRIVATE_CHANNEL_ID)
    double.seed("The back door of the dome is locked after midnight.", user_n=1, channel_id=OTHER_CHANNEL_ID)
    question = "What is the back door alarm code?"
    more = {"discord_history_dms": True, "discord_forum_channel_ids": str(FORUM_ID)}
    async with running(spy, double, **settings(tmp_path, **more)) as bot:
        await backfilled(bot, double)
        asked_inside = double.message(question, user_n=4, channel_id=PRIVATE_CHANNEL_ID, mention_bot=False)
        inside = await first_followup(double, double.message_command(asked_inside, user_n=4))
        quoted = {"inside": links(spy.answers[-1])}
        forward = double.message("", user_n=3, channel_id=CHANNEL_ID, mention_bot=False, forwards=asked_inside)
        token = double.message_command(forward, user_n=5)
        await first_followup(double, token)
        quoted["a forward"] = links(spy.answers[-1])
        double.click(double.followups(token)[0].response, user_n=5, label="Post publicly")
        [public] = await double.until(lambda: double.replies(CHANNEL_ID), what="the answer posted")
        asked_here = double.message(question, user_n=6, channel_id=OTHER_CHANNEL_ID, mention_bot=False)
        await first_followup(double, double.message_command(asked_here, user_n=6))
        quoted["a message"] = links(spy.answers[-1])
        post = double.forum_post("Back door", question, user_n=7)
        await double.until(lambda: double.replies(int(post["channel_id"])), what="the forum answer")
        quoted["a forum post"] = links(spy.answers[-1])
        in_dm = double.message(question, user_n=8, channel_id=DM_CHANNEL_ID, mention_bot=False)
        await double.until(lambda: double.replies(DM_CHANNEL_ID), what="the DM answer")
        quoted["a direct message"] = links(spy.answers[-1])
        await first_followup(double, double.message_command(in_dm, user_n=8))
        quoted["Ask qabot in a direct message"] = links(spy.answers[-1])
    assert jump(code) in quoted.pop("inside") and "4417" in str(inside["embeds"])
    for door, found in quoted.items():
        assert found and jump(code) not in found, door  # the public channel's history answers instead
    # by its words: a bare "4417" may be part of a snowflake id in the post's links (as in ~1% of runs)
    assert "code is 4417" not in str(public.body) and jump(code) not in str(public.body)


async def test_a_channel_a_role_may_not_read_turns_private_at_once(qa, double, tmp_path) -> None:
    """Public means every member reads it: an overwrite that hides a channel from one role makes it private,
    decided when the answer is made (a CHANNEL_UPDATE heard live), not when the history was read."""
    lamp = double.seed("The red lamp in the hall means the dome is moving.", user_n=3, channel_id=OTHER_CHANNEL_ID)
    question = "what does the red lamp in the hall mean"
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        assert cites(await ask(double, question, channel_id=CHANNEL_ID), lamp)
        double.dispatch("CHANNEL_UPDATE", {
            "id": str(OTHER_CHANNEL_ID), "type": 0, "guild_id": str(GUILD_ID), "name": "elsewhere", "position": 0,
            "nsfw": False, "parent_id": None, "permission_overwrites": [
                {"id": str(MOD_ROLE_ID), "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)}]})
        await until_answer(double, question, lambda b: not cites(b, lamp), seconds=10)
        assert cites(await ask(double, question, channel_id=OTHER_CHANNEL_ID), lamp)  # still where its readers are


async def test_an_age_restricted_channel_is_quoted_only_where_its_readers_are(qa, double, tmp_path) -> None:
    """A channel marked age-restricted (NSFW) is one that members under 18 cannot open: what is learnt there is
    not quoted in the server's other channels, nor in direct messages, once Discord says so (CHANNEL_UPDATE)."""
    lamp = double.seed("The red lamp in the hall means the dome is moving.", user_n=3, channel_id=OTHER_CHANNEL_ID)
    question = "what does the red lamp in the hall mean"
    async with running(qa, double, **settings(tmp_path, discord_history_dms=True)) as bot:
        await backfilled(bot, double)
        assert cites(await ask(double, question, channel_id=CHANNEL_ID), lamp)
        double.dispatch("CHANNEL_UPDATE", {
            "id": str(OTHER_CHANNEL_ID), "type": 0, "guild_id": str(GUILD_ID), "name": "elsewhere", "position": 0,
            "nsfw": True, "parent_id": None, "permission_overwrites": []})
        await until_answer(double, question, lambda b: not cites(b, lamp), seconds=10)
        assert not cites(await ask(double, question, channel_id=DM_CHANNEL_ID), lamp)
        assert not cites(await ask(double, question, channel_id=THREAD_ID), lamp)
        assert cites(await ask(double, question, channel_id=OTHER_CHANNEL_ID), lamp)  # still where its readers are


async def test_history_indexed_after_the_bot_started_is_quoted_only_where_the_rule_allows(qa, double,
                                                                                           tmp_path) -> None:
    """A bot started before any history was indexed (no channel listed yet) keeps to the rule once some is: here
    ``qabot discord sync`` (its own process, the same index and state database) reads a private channel. Not
    knowing its channels, the bot quotes none of it until it starts again; then only where its readers are."""
    from qabot.corpus.chat import ChatMessage
    from qabot.history import CHANNEL, Changes, ChannelRow, History

    spy = Recorder(qa)
    async with running(spy, double, state_dir=tmp_path / "state"):
        synced = History(qa, HistoryStore(FeedbackStore(tmp_path / "state")))
        synced.register(ChannelRow(PRIVATE_CHANNEL_ID, GUILD_ID, None, CHANNEL, f"Guild {GUILD_ID} · #moderators"))
        said = double.seed("The back door alarm code is 4417, staff only.", user_n=2, channel_id=PRIVATE_CHANNEL_ID)
        code = ChatMessage(id=said["id"], author="user2", author_key="a-hash", date=said["timestamp"],
                           content=said["content"])  # as the sync read it from Discord
        synced.apply(Changes(put={PRIVATE_CHANNEL_ID: [code]}, read={PRIVATE_CHANNEL_ID: (int(code.id), True)}))
        before = [await ask(double, "what is the back door alarm code", channel_id=channel_id)
                  for channel_id in (CHANNEL_ID, B_CHANNEL_ID, PRIVATE_CHANNEL_ID)]
    async with running(spy, double, **settings(tmp_path, PRIVATE_CHANNEL_ID)) as bot:  # now listed here too
        await backfilled(bot, double)
        after = [await ask(double, "what is the back door alarm code", channel_id=channel_id)
                 for channel_id in (CHANNEL_ID, B_CHANNEL_ID, PRIVATE_CHANNEL_ID)]
    assert not any("4417" in str(body["embeds"]) for body in before + after[:2])
    assert "4417" in str(after[2]["embeds"])  # where its readers are


async def test_direct_messages_quote_public_history_only_when_allowed(qa, double, tmp_path) -> None:
    spy = Recorder(qa)
    public = double.seed("Telescope bookings open every Monday at nine.", user_n=1, channel_id=OTHER_CHANNEL_ID)
    private = double.seed("Telescope bookings for staff open on Sunday night.", user_n=2, channel_id=PRIVATE_CHANNEL_ID)
    async with running(spy, double, **settings(tmp_path, discord_history_dms=True)) as bot:
        await backfilled(bot, double)
        await ask(double, "when do telescope bookings open", channel_id=DM_CHANNEL_ID)
    assert jump(public) in links(spy.answers[-1]) and jump(private) not in links(spy.answers[-1])


async def test_sources_in_a_direct_message_counts_the_history_of_the_servers_its_reader_is_in(qa, double,
                                                                                             tmp_path) -> None:
    """/sources says what a place may quote: in a direct message, the public history of the servers its reader is in,
    which it called the history "of this server", where there is none."""
    double.seed("Telescope bookings open every Monday at nine.", user_n=1, channel_id=OTHER_CHANNEL_ID)
    async with running(qa, double, **settings(tmp_path, OTHER_CHANNEL_ID, discord_history_dms=True)) as bot:
        await backfilled(bot, double)
        bodies = [await first_followup(double, double.slash("sources", channel_id=where, user_n=n))
                  for n, where in enumerate((DM_CHANNEL_ID, CHANNEL_ID), start=2)]
    in_dm, in_server = (body["embeds"][0]["footer"]["text"] for body in bodies)
    assert in_dm.endswith("the history of 1 channel(s) and thread(s) of the servers you are in"), in_dm
    assert in_server.endswith("the history of 1 channel(s) and thread(s) of this server"), in_server


async def test_direct_messages_quote_only_the_servers_the_asker_is_in(qa, double, tmp_path) -> None:
    """A direct message is read by the person asking alone: it quotes the public history of a server only where
    Discord says they are a member of it, and nothing of a server Discord does not answer about."""
    spy = Recorder(qa)
    ours = double.seed("Telescope bookings open every Monday at nine.", user_n=1, channel_id=OTHER_CHANNEL_ID)
    theirs = double.seed("Telescope bookings at the club open on Fridays.", user_n=2, channel_id=B_CHANNEL_ID)
    double.outsiders = {GUILD_B_ID: {7, 8}, GUILD_ID: {8}}
    question = "when do telescope bookings open"

    async def quoted(user_n: int) -> set[str]:
        await first_followup(double, double.slash("ask", question=question, k=10, channel_id=DM_CHANNEL_ID,
                                                  user_n=user_n))
        return links(spy.answers[-1])

    async with running(spy, double, **settings(tmp_path, discord_history_dms=True)) as bot:
        await backfilled(bot, double)
        member_of_one, member_of_none, member_of_both = await quoted(7), await quoted(8), await quoted(9)
        double.member_errors = {GUILD_ID: MISSING_ACCESS}  # Discord does not say: nothing of that server
        not_told = await quoted(10)  # (one asked of within a minute is taken from memory: see below)
        double.member_errors = {}
        told_later = await quoted(10)  # a failed request is not remembered: Discord is asked again
    assert jump(ours) in member_of_one and jump(theirs) not in member_of_one
    assert not member_of_none
    assert {jump(ours), jump(theirs)} <= member_of_both
    assert jump(theirs) in not_told and jump(ours) not in not_told
    assert {jump(ours), jump(theirs)} <= told_later


async def test_a_burst_of_direct_messages_asks_discord_once_a_minute_about_each_membership(qa, double,
                                                                                             tmp_path) -> None:
    """Each question (and button press) in a direct message needs the asker's membership in each server whose history
    is kept: Discord is asked once, for questions however many and however close, and asked again once a minute has
    passed, so a member who left a server stops reading its history within a minute."""
    spy = Recorder(qa)
    ours = double.seed("Telescope bookings open every Monday at nine.", user_n=1, channel_id=OTHER_CHANNEL_ID)
    theirs = double.seed("Telescope bookings at the club open on Fridays.", user_n=2, channel_id=B_CHANNEL_ID)
    question = "when do telescope bookings open"
    now = [1000.0]

    def lookups() -> list[str]:
        return [r.path for r in double.sent("GET", "/members/")]

    async with running(spy, double, **settings(tmp_path, discord_history_dms=True)) as bot:
        await backfilled(bot, double)
        bot.answering.places.clock = lambda: now[0]
        tokens = [double.slash("ask", question=question, k=10, channel_id=DM_CHANNEL_ID, user_n=7) for _ in range(3)]
        for token in tokens:  # three at once: the first asks Discord, the others wait for its answer
            await first_followup(double, token)
        await ask(double, question, channel_id=DM_CHANNEL_ID, user_n=7)
        burst, quoted = lookups(), [links(a) for a in spy.answers]
        now[0] += 59
        double.outsiders = {GUILD_B_ID: {7}}  # they left that server
        await ask(double, question, channel_id=DM_CHANNEL_ID, user_n=7)
        within = links(spy.answers[-1])
        now[0] += 2
        await ask(double, question, channel_id=DM_CHANNEL_ID, user_n=7)
        after = links(spy.answers[-1])
    assert sorted(burst) == sorted(f"/guilds/{g}/members/{USER_BASE + 7}" for g in (GUILD_ID, GUILD_B_ID))
    assert all({jump(ours), jump(theirs)} <= found for found in quoted) and len(quoted) == 4
    assert jump(theirs) in within  # within the minute: as Discord said then
    assert jump(theirs) not in after and jump(ours) in after and len(lookups()) == 4


async def test_a_button_in_a_direct_message_quotes_only_the_servers_its_presser_is_in_now(qa, double,
                                                                                          tmp_path) -> None:
    """A button pressed in a direct message asks Discord (or its word of the last minute) about the presser's
    memberships, as a question does: once they have left a server, More sources on an answer given while they
    were in it quotes that server's history no more, from memory or asked again."""
    spy = Recorder(qa)
    ours = double.seed("Telescope bookings open every Monday at nine.", user_n=1, channel_id=OTHER_CHANNEL_ID)
    theirs = double.seed("Telescope bookings at the club open on Fridays.", user_n=2, channel_id=B_CHANNEL_ID)
    now = [1000.0]
    async with running(spy, double, **settings(tmp_path, discord_history_dms=True)) as bot:
        await backfilled(bot, double)
        bot.answering.places.clock = lambda: now[0]
        token = double.slash("ask", question="when do telescope bookings open", k=1, channel_id=DM_CHANNEL_ID,
                             user_n=7)
        await first_followup(double, token)
        before = links(spy.answers[-1])
        double.outsiders = {GUILD_B_ID: {7}}  # they left server B
        now[0] += 61  # what Discord said of their membership is a minute old
        pressed = double.click(double.followups(token)[0].response, user_n=7, label="More sources")
        more = (await double.until(lambda: double.responses_to(pressed), what="More sources"))[-1]
        asked = spy.answers[1:]  # asked again only where the index changed since the answer (the backfill's
        # last writes may land after it, or not: a machine under load decides), else recalled from memory
    assert {jump(ours), jump(theirs)} <= before
    assert jump(theirs) not in str(more) and "club" not in str(more)  # what the presser is shown, either way
    for answer in asked:  # and what was asked again was asked without server B
        assert jump(theirs) not in links(answer) and jump(ours) in links(answer)


async def test_a_members_id_is_not_logged_when_discord_rate_limits_their_membership_lookup(qa, double, tmp_path,
                                                                                           caplog) -> None:
    """discord.py warns (a level logged by default) of a request Discord rate-limited, naming its URL: a direct
    message's membership lookup names the member, ``/guilds/<server>/members/<their id>``, which is not logged."""
    spy = Recorder(qa)
    ours = double.seed("Telescope bookings open every Monday at nine.", user_n=1, channel_id=OTHER_CHANNEL_ID)
    async with running(spy, double, **settings(tmp_path, discord_history_dms=True)) as bot:
        await backfilled(bot, double)
        double.member_refusals[GUILD_ID] = 1
        await ask(double, "when do telescope bookings open", channel_id=DM_CHANNEL_ID, user_n=7)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("rate limited" in w and "/members/" in w for w in warnings), warnings  # Discord did refuse one
    assert not any(str(USER_BASE + 7) in w for w in warnings), warnings
    assert jump(ours) in links(spy.answers[-1])  # asked again after the wait: they are a member


async def test_a_direct_message_is_deferred_before_discord_is_asked_about_the_askers_memberships(qa, double,
                                                                                                 tmp_path) -> None:
    """Discord takes an interaction's first response within 3 s. In a direct message the bot asks Discord about the
    asker's membership of each server whose history it keeps, which a rate limit (or a bot in many servers) can hold
    up for seconds: /ask, "Ask qabot" and a button are deferred first, so the member still gets their answer."""
    spy = Recorder(qa)
    ours = double.seed("Telescope bookings open every Monday at nine.", user_n=1, channel_id=OTHER_CHANNEL_ID)
    double.interaction_seconds = 3.0  # as Discord
    double.retry_after = 3.5  # a lookup rate-limited for longer than that
    async with running(spy, double, **settings(tmp_path, discord_history_dms=True)) as bot:
        await backfilled(bot, double)
        double.member_refusals[GUILD_ID] = 1
        asked = double.slash("ask", question="when do telescope bookings open", k=1, channel_id=DM_CHANNEL_ID,
                             user_n=7)
        answer = await first_followup(double, asked)
        bot.answering.places.clock = lambda: time.monotonic() + 120  # what Discord said is too old: asked again
        double.member_refusals[GUILD_ID] = 1
        pressed = double.click(double.followups(asked)[0].response, user_n=7, label="Helpful")
        vote = await double.until(lambda: double.responses_to(pressed), what="the vote's reply", timeout=10)
        said = double.message("when do telescope bookings open", user_n=7, channel_id=DM_CHANNEL_ID,
                              mention_bot=False)
        bot.answering.places.clock = lambda: time.monotonic() + 240
        double.member_refusals[GUILD_ID] = 1
        about = await first_followup(double, double.message_command(said, user_n=7))
    assert jump(ours) in str(answer["embeds"]) and jump(ours) in str(about["embeds"])
    assert "helpful" in str(vote[-1]) and not double.expired


class SlowIndex(Recorder):
    """The real QABot, whose index takes ``seconds`` to apply a change once ``slow`` is set, as embedding a batch of
    history on the real model takes minutes; ``applying`` is set while one is under way."""

    def __init__(self, qa: Any) -> None:
        super().__init__(qa)
        self.slow, self.applying, self.seconds = threading.Event(), threading.Event(), 6.0

    def change(self, *args: Any, **kwargs: Any) -> Any:
        if self.slow.is_set():
            self.applying.set()
            time.sleep(self.seconds)
        return self.qa.change(*args, **kwargs)


@pytest.mark.parametrize("waiting", ["events", "forgets"])
async def test_a_vote_is_answered_in_time_while_a_batch_of_history_is_indexed(qa, double, tmp_path, waiting) -> None:
    """While a batch of the history is indexed, which takes minutes on the real model, what else must wait for the
    history (a kept thread archived, renamed or retagged, a thread made; ``/qabot forget``, a manager going through a
    list of members) waits in line, not each in a thread of the pool the rest of the bot works in: a vote (a write to
    the state database, in that pool) is still answered within the 3 s Discord gives a press, however many such
    events come meanwhile, and each forget still forgets once the batch is done."""
    from tests.discord_double import user

    spy = SlowIndex(qa)
    thread = double.thread("dome motor", parent_id=OTHER_CHANNEL_ID, announce=False)
    double.seed("The dome motor is greased every spring.", user_n=2, channel_id=thread)
    double.interaction_seconds = 3.0  # as Discord
    forgets: list[str] = []
    async with running(spy, double, **settings(tmp_path, OTHER_CHANNEL_ID)) as bot:
        await backfilled(bot, double)
        asked = double.slash("ask", question="when is the dome motor greased", user_n=7)
        answer = (await double.until(lambda: double.followups(asked), what="the answer"))[0]
        spy.slow.set()
        double.message("The dome lights are checked every winter.", user_n=3, channel_id=OTHER_CHANNEL_ID,
                       mention_bot=False)
        await double.until(spy.applying.is_set, what="a batch being indexed")
        for n in range(40):  # more than asyncio's shared threads, on any machine (at most 32)
            if waiting == "events":
                double.retag(thread, [])
            else:
                forgets.append(double.slash("qabot", subcommand="forget", member=user(10 + n)))
        await asyncio.sleep(0.5)
        await double.until(lambda: all(double.sent("POST", f"{t}/callback") for t in forgets), what="them deferred")
        pressed = double.click(answer.response, user_n=8, label="Helpful")
        reply = await double.until(lambda: double.responses_to(pressed) or pressed in double.expired, timeout=10,
                                   what="the vote's reply")
        spy.slow.clear()
        await double.until(lambda: all(double.followups(t) for t in forgets), timeout=30, what="the forgets done")
        await bot.learning.feed.settled()
    assert pressed not in double.expired and "helpful" in str(reply)
    assert all(double.followups(t)[0].body["content"] == FORGOTTEN.format(count=0, name=f"user{10 + n}")
               for n, t in enumerate(forgets))


async def test_a_scope_narrows_history_and_never_widens_it(qa, double, tmp_path) -> None:
    spy = Recorder(qa)
    public = double.seed("Eyepiece cleaning kits are in drawer three.", user_n=1, channel_id=OTHER_CHANNEL_ID)
    private = double.seed("Eyepiece cleaning for the big scope is done by staff only.", user_n=2,
                          channel_id=PRIVATE_CHANNEL_ID)
    scopes = tmp_path / "scopes.toml"
    scopes.write_text(f'[guilds]\n{GUILD_ID} = "*"\n\n[channels]\n{CHANNEL_ID} = "handbook.txt"\n'
                      f'{OTHER_CHANNEL_ID} = ["handbook.txt", "discord/"]\n', encoding="utf-8")
    async with running(spy, double, **settings(tmp_path, discord_scopes_file=scopes)) as bot:
        await backfilled(bot, double)
        await ask(double, "where are the eyepiece cleaning kits", channel_id=CHANNEL_ID)
        narrowed = links(spy.answers[-1])
        await ask(double, "where are the eyepiece cleaning kits", channel_id=OTHER_CHANNEL_ID)
        opened = links(spy.answers[-1])
    assert not narrowed  # a scope of files quotes no history
    assert jump(public) in opened and jump(private) not in opened  # "discord/" opens only what the rule allows


# -- forgetting ----------------------------------------------------------------------------------------


async def test_forget_removes_a_members_messages_now_and_from_then_on(qa, double, tmp_path) -> None:
    from tests.discord_double import user

    spy = Recorder(qa)
    question, theirs = _lens_answered(double, user_n=6)
    in_b = double.seed("Our 25 mm lens is lost, sadly.", user_n=6, channel_id=B_CHANNEL_ID, seconds_ago=580)
    async with running(spy, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        await ask(double, "which lens fits the old guide scope")
        assert jump(theirs) in links(spy.answers[-1])
        reply = await first_followup(double, double.slash("qabot", subcommand="forget", member=user(6)))
        await ask(double, "which lens fits the old guide scope")
        after = links(spy.answers[-1])
        again = double.message("Also the 32 mm Plössl lens fits the old guide scope.", user_n=6,
                               channel_id=OTHER_CHANNEL_ID, mention_bot=False)
        other = double.message("The 40 mm lens fits the old guide scope too.", user_n=8, channel_id=OTHER_CHANNEL_ID,
                               mention_bot=False)
        await until_answer(double, "which lens fits the old guide scope", lambda b: cites(b, other), seconds=10)
        await ask(double, "which lens fits the old guide scope")
        later = links(spy.answers[-1])
    assert reply["content"] == FORGOTTEN.format(count=1, name="user6") and reply["flags"] == 64
    assert jump(theirs) not in after and jump(question) in after  # the rest of the exchange stays
    assert jump(again) not in later  # and nothing of theirs is kept from now on, in this server
    kept = HistoryStore(FeedbackStore(tmp_path / "state"))
    key = FeedbackStore(tmp_path / "state").user_hash(f"discord:{USER_BASE + 6}")
    assert [s.channel_id for s in kept.get([int(theirs["id"]), int(again["id"]), int(in_b["id"])]).values()] == [
        B_CHANNEL_ID]  # another server's history is that server's to forget
    assert all(s.message.author_key != key or s.channel_id == B_CHANNEL_ID
               for s in kept.exchange(OTHER_CHANNEL_ID, int(question["id"])))


async def test_forget_takes_the_questions_a_member_asked_out_of_the_state_database(qa, double, tmp_path) -> None:
    """The questions a member asked the bot are their words: once they are forgotten in a server, the answers they
    asked for there leave the state database with the votes on them (and so what ``qabot feedback export`` writes),
    a button on one of them no longer shows it, and a follow-up someone else asked after one of theirs keeps its
    answer without their question in its history, then and from now on; their vote on another's answer there goes
    too (a salted hash of their id, which the salt's holder computes from it). Others' questions and their questions
    in another server stay."""
    from qabot.adapters.discord.admin import ASKED
    from qabot.feedback import export_items
    from tests.discord_double import user

    secret, _ = _dome_key(double)
    theirs, other = "where is the dome key hidden, Maria wants to know", "and who put it under the north stair"
    store = FeedbackStore(tmp_path / "state")
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        token = double.slash("ask", question=theirs, k=1, channel_id=THREAD_ID, user_n=6)
        [answer] = await double.until(lambda: double.followups(token), what="their answer")
        assert cites(answer.body, secret)
        double.click(answer.response, user_n=8, label="Helpful")  # another member's vote on it
        followup = double.slash("ask", question=other, k=1, channel_id=THREAD_ID, user_n=7)
        [follows] = await double.until(lambda: double.followups(followup), what="the follow-up")
        double.click(follows.response, user_n=6, label="Helpful")  # their vote on another's answer
        await ask(double, "what does the red lamp in the hall mean", user_n=6, channel_id=B_CHANNEL_ID)
        await double.until(lambda: len(store.tallies()) == 2, what="the votes")
        assert [a.history for a in store.answers() if a.question == other] == [[theirs]]
        assert "Maria wants to know" in str(export_items(store))
        reply = await first_followup(double, double.slash("qabot", subcommand="forget", member=user(6)))
        click = double.click(answer.response, user_n=9, label="Helpful")
        [vote] = await double.until(lambda: double.sent("POST", f"/{click}/callback"), what="the vote's reply")
        await ask(double, "and where is the spare key", channel_id=THREAD_ID, user_n=7)
    assert ASKED.format(asked=1) in reply["content"]
    assert "Maria wants to know" not in state_text(tmp_path) and "Maria" not in str(export_items(store))
    assert "no longer have that answer" in vote.body["data"]["content"]
    asked = {a.question: a for a in store.answers()}
    assert set(asked) == {other, "what does the red lamp in the hall mean", "and where is the spare key"}
    assert asked[other].history == [] and asked[other].query == other
    assert asked["and where is the spare key"].history == [other]
    assert store.tallies() == {}


async def test_forget_takes_a_members_questions_out_where_no_history_is_kept(qa, double, tmp_path) -> None:
    from qabot.adapters.discord.admin import ASKED, NO_HISTORY
    from tests.discord_double import user

    store = FeedbackStore(tmp_path / "state")
    async with running(qa, double, state_dir=tmp_path / "state") as bot:
        assert bot.answering.history is None
        await ask(double, "when does the observatory dome open, asks Maria", user_n=6)
        await ask(double, "where do visitors sign the book", user_n=7)
        reply = await first_followup(double, double.slash("qabot", subcommand="forget", member=user(6)))
    assert reply["content"] == NO_HISTORY.format(name="user6") + ASKED.format(asked=1)
    assert [a.question for a in store.answers()] == ["where do visitors sign the book"]


async def test_forget_takes_the_questions_a_member_asked_in_direct_messages_out_too(qa, double, tmp_path) -> None:
    """The questions a member asked the bot in direct messages are their words as much as those asked in a server:
    once they are forgotten, those leave the state database too (with the votes on the answers, and so what ``qabot
    feedback export`` writes), and a button on one of them no longer shows it. The manager is told only of this
    server's (a direct message is the member's own business); another member's direct messages stay."""
    from qabot.adapters.discord.admin import NO_HISTORY
    from qabot.feedback import export_items
    from tests.discord_double import user

    store = FeedbackStore(tmp_path / "state")
    theirs = "when does the observatory dome open, asks Maria in private"
    async with running(qa, double, state_dir=tmp_path / "state"):
        token = double.slash("ask", question=theirs, k=1, channel_id=DM_CHANNEL_ID, user_n=6)
        [answer] = await double.until(lambda: double.followups(token), what="their answer in a direct message")
        double.click(answer.response, user_n=6, label="Helpful")
        await ask(double, "where do visitors sign the book", channel_id=DM_CHANNEL_ID, user_n=7)
        await double.until(lambda: store.tallies(), what="the vote")
        assert "Maria" in str(export_items(store))
        reply = await first_followup(double, double.slash("qabot", subcommand="forget", member=user(6)))
        click = double.click(answer.response, user_n=6, label="Not helpful")
        [vote] = await double.until(lambda: double.sent("POST", f"/{click}/callback"), what="the vote's reply")
    assert reply["content"] == NO_HISTORY.format(name="user6")  # nothing of theirs was asked in this server
    assert "Maria" not in state_text(tmp_path) and "Maria" not in str(export_items(store))
    assert [a.question for a in store.answers()] == ["where do visitors sign the book"] and not store.tallies()
    assert "no longer have that answer" in vote.body["data"]["content"]


async def test_forget_takes_out_the_questions_others_asked_about_a_members_messages(qa, double, tmp_path) -> None:
    """"Ask qabot" on a member's message asks the bot their words, whoever presses it: once that member is forgotten,
    those answers leave the state database as their own questions do (the manager's count is of the questions they
    asked); the presser's own questions stay."""
    from qabot.adapters.discord.admin import NO_HISTORY
    from tests.discord_double import user

    store = FeedbackStore(tmp_path / "state")
    async with running(qa, double, state_dir=tmp_path / "state"):
        theirs = double.message("When does the dome open for Maria's night tour?", user_n=6, mention_bot=False)
        await first_followup(double, double.message_command(theirs, user_n=8))
        await ask(double, "where do visitors sign the book", user_n=8)
        assert "night tour" in state_text(tmp_path)
        reply = await first_followup(double, double.slash("qabot", subcommand="forget", member=user(6)))
    assert reply["content"] == NO_HISTORY.format(name="user6")
    assert "Maria" not in state_text(tmp_path)
    assert [a.question for a in store.answers()] == ["where do visitors sign the book"]


async def test_forget_takes_out_the_questions_others_asked_about_a_forward_of_a_members_message(qa, double,
                                                                                                 tmp_path) -> None:
    """A forward carries no author (its snapshot has the text alone), but its reference names the message it
    forwards: "Ask qabot" on it asks the original author's words, so forgetting them takes those answers out, the
    original looked up in the client's cache (heard live) or fetched from its channel (said before). The forwarder
    is no author of those words: forgetting them leaves those questions. Where the original cannot be read (deleted
    since), the question is keyed to the forwarder, as README says."""
    from qabot.adapters.discord.admin import NO_HISTORY
    from tests.discord_double import user

    store = FeedbackStore(tmp_path / "state")
    async with running(qa, double, state_dir=tmp_path / "state"):
        said = double.seed("When does the dome open for Maria's night tour?", user_n=6, channel_id=OTHER_CHANNEL_ID)
        heard = double.message("Is the dome open for Maria's school group on Monday?", user_n=6,
                               channel_id=OTHER_CHANNEL_ID, mention_bot=False)
        gone = double.seed("Can Maria's cousin join the eclipse trip?", user_n=6, channel_id=OTHER_CHANNEL_ID)
        double.messages.pop(int(gone["id"]))  # deleted before the bot was back: no event told it
        for original in (said, heard, gone):
            forward = double.message("", user_n=3, mention_bot=False, forwards=original)
            await first_followup(double, double.message_command(forward, user_n=8))
        await ask(double, "where do visitors sign the book", user_n=8)
        assert all(words in state_text(tmp_path) for words in ("night tour", "school group", "eclipse trip"))
        await first_followup(double, double.slash("qabot", subcommand="forget", member=user(3)))
        kept = store.answers()
        reply = await first_followup(double, double.slash("qabot", subcommand="forget", member=user(6)))
    fetched = {m["id"] for m in (said, heard) if double.sent("GET", f"/channels/{OTHER_CHANNEL_ID}/messages/{m['id']}")}
    assert fetched == {said["id"]}  # what was heard live came from the client's cache
    assert len(kept) == 3 and "eclipse" not in str(kept)  # the forwarder's: only where the original was unreadable
    assert reply["content"] == NO_HISTORY.format(name="user6")
    assert "Maria" not in state_text(tmp_path)
    assert [a.question for a in store.answers()] == ["where do visitors sign the book"]


async def test_forget_takes_a_forwarded_members_words_out_of_a_direct_messages_follow_up(qa, double,
                                                                                        tmp_path) -> None:
    """In a direct message, "Ask qabot" on a forward of a member's message asks their words; posted publicly there and
    replied to, the follow-up's history holds them. Forgetting that member took the answer out, but left their words
    in the follow-up's history (and its searched query), as it does not for a follow-up in a server."""
    from tests.discord_double import user

    store = FeedbackStore(tmp_path / "state")
    async with running(qa, double, state_dir=tmp_path / "state"):
        said = double.seed("When does the dome open for Maria's night tour?", user_n=6, channel_id=OTHER_CHANNEL_ID)
        forward = double.message("", user_n=8, channel_id=DM_CHANNEL_ID, mention_bot=False, forwards=said)
        token = double.message_command(forward, user_n=8)
        await first_followup(double, token)
        double.click(double.followups(token)[0].response, user_n=8, label="Post publicly")
        [posted] = await double.until(lambda: [r for r in double.replies(DM_CHANNEL_ID) if r.body.get("embeds")],
                                      what="the answer posted")
        double.message("and when does it close", user_n=8, channel_id=DM_CHANNEL_ID, mention_bot=False,
                       reply_to=posted.response)
        await double.until(lambda: len(store.answers()) == 2, what="the follow-up stored")
        assert "night tour" in str([a.history for a in store.answers()])
        await first_followup(double, double.slash("qabot", subcommand="forget", member=user(6)))
    [left] = store.answers()
    assert left.question == "and when does it close" and left.history == [] and "Maria" not in state_text(tmp_path)


LEARNING = pytest.mark.parametrize("learning", [True, False], ids=["history-learnt", "no-history"])


@pytest.mark.xfail(strict=True, reason="a chat message's paragraph opens with its author's display name (\"Ana: "
                   "...\"), and the stored answer's highlight is that paragraph: the export writes it as the gold, "
                   "name and all; cutting the author off needs the highlight's source (the answer's passages), which "
                   "StoredAnswer does not carry")
async def test_feedback_export_of_an_answer_quoting_the_history_names_no_member(qa, double, tmp_path) -> None:
    """``qabot feedback export`` is a test set to share: a helpful answer's gold is the message it quoted, not who
    wrote it (a member is kept as a salted hash at most)."""
    from qabot.feedback import export_items
    from tests.discord_double import user

    _lens_answered(double, author={**user(6), "global_name": "Maria Lopez"})
    store = FeedbackStore(tmp_path / "state")
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        token = double.slash("ask", question="which lens fits the old guide scope", user_n=7)
        double.click((await double.until(lambda: double.followups(token), what="the answer"))[0].response,
                     user_n=5, label="Helpful")
        await double.until(lambda: store.tallies(), what="the vote")
    [item] = export_items(store)
    assert any("Plössl lens fits" in gold for gold in item["answers"])  # the test sees the gold
    assert "Maria" not in str(item)


@pytest.mark.xfail(strict=True, reason="a question keeps a mention as the display name it showed (a nickname then), "
                   "and records no key of whom it mentions: a member forgotten after leaving the server (or changing "
                   "that nickname) is looked for by the names they have now; keeping the mentioned members' salted "
                   "hashes with each answer (a column of the answers table) would find it")
async def test_forget_takes_out_a_question_that_named_the_member_by_a_nickname_they_no_longer_have(qa, double,
                                                                                                 tmp_path) -> None:
    from tests.discord_double import _now, user

    nicked = {**user(6), "member": {"nick": "Stargazer", "roles": [], "joined_at": _now(), "deaf": False,
                                    "mute": False, "flags": 0}}
    store = FeedbackStore(tmp_path / "state")
    async with running(qa, double, **settings(tmp_path)):
        double.message(f"when does <@{USER_BASE + 6}> open the dome?", user_n=8, mentions=[nicked])
        await double.until(lambda: [a for a in store.answers() if "open the dome" in a.question],
                           what="the mention's answer")
        await first_followup(double, double.slash("qabot", subcommand="forget", member=user(6)))  # no nickname now
    assert "Stargazer" not in state_text(tmp_path)


@LEARNING
async def test_forget_takes_out_the_questions_others_asked_that_name_the_member(qa, double, tmp_path,
                                                                                learning) -> None:
    """Others' questions that name a member (a mention, which the question keeps as their display name; their name
    or username typed, in any case) name them in clear: once that member is forgotten in a server, those asked there
    and in direct messages leave the state database with the votes on them, and a follow-up asked after one keeps its
    answer without it in its history, then and from now on, as after the member's own questions. Questions that name
    nobody (a longer username than theirs included), and those asked in another server, stay."""
    from qabot.feedback import export_items
    from tests.discord_double import user

    maria = {**user(6), "global_name": "Maria Lopez"}
    store = FeedbackStore(tmp_path / "state")
    async with running(qa, double, **_learning(tmp_path, learning)) as bot:
        if learning:
            await backfilled(bot, double)
        double.message(f"when does <@{USER_BASE + 6}> open the dome?", user_n=8, mentions=[maria])
        await double.until(lambda: [a for a in store.answers() if "open the dome" in a.question],
                           what="the mention's answer")
        named = double.slash("ask", question="does USER6 lead the night tour", channel_id=THREAD_ID, user_n=7)
        double.click((await double.until(lambda: double.followups(named), what="the answer"))[0].response,
                     user_n=5, label="Helpful")
        await ask(double, "and when does it start", channel_id=THREAD_ID, user_n=7)
        await ask(double, "what did maria lopez say about the lens", channel_id=DM_CHANNEL_ID, user_n=9)
        await ask(double, "is user60 at the observatory tonight", user_n=8)
        await ask(double, "where do visitors sign the book", user_n=8)
        await ask(double, "when does Maria Lopez open the dome", channel_id=B_CHANNEL_ID, user_n=8)
        await double.until(lambda: store.tallies(), what="the vote")
        assert "Maria Lopez open the dome" in state_text(tmp_path) and "USER6" in str(export_items(store))
        await first_followup(double, double.slash("qabot", subcommand="forget", member=maria, user_n=2))
        await ask(double, "and who leads it", channel_id=THREAD_ID, user_n=7)
    asked = {a.question: a for a in store.answers()}
    assert set(asked) == {"and when does it start", "is user60 at the observatory tonight",
                          "where do visitors sign the book", "when does Maria Lopez open the dome",
                          "and who leads it"}
    assert asked["when does Maria Lopez open the dome"].guild_id == GUILD_B_ID  # another server's to forget
    assert asked["and when does it start"].history == [] and asked["and when does it start"].query == (
        "and when does it start")
    assert asked["and who leads it"].history == ["and when does it start"]
    assert not store.tallies() and "USER6" not in str(export_items(store))


async def test_forget_takes_out_the_questions_naming_a_renamed_member_by_a_name_their_kept_messages_show(
        qa, double, tmp_path) -> None:
    """A member renamed since: their kept messages show the name they had when they wrote them, and a question that
    mentioned them then keeps that name. Forgetting them took their messages and those names out of the server's
    history, but their questions out of the state database only by the names they have now: "when does Oldnick Star
    open the dome?" stayed, naming them in clear. It goes too; a question naming nobody stays."""
    from tests.discord_double import user

    before, now = {**user(6), "global_name": "Oldnick Star"}, {**user(6), "global_name": "Maria Lopez"}
    double.seed("The dome opens at nine when the sky is clear.", author=before, channel_id=CHANNEL_ID)
    store = FeedbackStore(tmp_path / "state")
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        double.message(f"when does <@{USER_BASE + 6}> open the dome?", user_n=8, mentions=[before])
        await double.until(lambda: [a for a in store.answers() if "open the dome" in a.question],
                           what="the mention's answer")
        await ask(double, "where do visitors sign the book", user_n=8)
        await first_followup(double, double.slash("qabot", subcommand="forget", member=now, user_n=2))
    assert [a.question for a in store.answers()] == ["where do visitors sign the book"]
    assert "Oldnick" not in state_text(tmp_path)


@pytest.mark.xfail(strict=True, reason="where no history is kept, the bot never learns a member's past names: a "
                   "question that mentioned them keeps only the name they had then (clean_question), and the answers "
                   "table keeps no hash of whom a question mentioned; that needs a column (a schema change)")
async def test_forget_takes_out_a_question_that_mentioned_a_renamed_member_where_no_history_is_kept(
        qa, double, tmp_path) -> None:
    from tests.discord_double import user

    before, now = {**user(6), "global_name": "Oldnick Star"}, {**user(6), "global_name": "Maria Lopez"}
    store = FeedbackStore(tmp_path / "state")
    async with running(qa, double, **_learning(tmp_path, False)):
        double.message(f"when does <@{USER_BASE + 6}> open the dome?", user_n=8, mentions=[before])
        await double.until(lambda: store.answers(), what="the mention's answer")
        await first_followup(double, double.slash("qabot", subcommand="forget", member=now, user_n=2))
    assert not store.answers()


async def test_forget_unnames_a_renamed_member_in_others_mentions_of_them_by_their_old_name(
        qa, double, tmp_path) -> None:
    from tests.discord_double import user

    before, now = {**user(6), "global_name": "Oldnick Star"}, {**user(6), "global_name": "Maria Lopez"}
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        said = double.message(f"ask <@{USER_BASE + 6}> about the dome key, she keeps it", user_n=8,
                              mentions=[before], mention_bot=False)
        await until_answer(double, "who keeps the dome key", lambda b: cites(b, said))
        await first_followup(double, double.slash("qabot", subcommand="forget", member=now, user_n=2))
    assert "Oldnick" not in state_text(tmp_path)


def _learning(tmp_path: Path, learning: bool) -> dict[str, Any]:
    """The bot's settings, with the server's history learnt or not (the default: no channel listed)."""
    return settings(tmp_path) if learning else {"state_dir": tmp_path / "state"}


def _heard(bot: Any) -> list[dict[str, str]]:
    """What each deleted or edited message the bot heard of took out of the state database, as it is done."""
    done: list[dict[str, str]] = []
    store = bot.answering.store
    forget = store.forget_messages

    def counted(*args: Any, **kwargs: Any) -> dict[str, str]:
        gone = forget(*args, **kwargs)
        done.append(gone)
        return gone

    store.forget_messages = counted
    return done


@LEARNING
async def test_a_deleted_message_takes_the_questions_asked_about_it_out_of_the_state_database(qa, double, tmp_path,
                                                                                            learning) -> None:
    """"Ask qabot" asks the bot a member's words: once they delete that message, or a moderator purges it, the answers
    asked about it leave the state database with the votes on them (and so what ``qabot feedback export`` writes),
    and its private answer can no longer be posted publicly, whether or not the server's history is learnt. The
    questions asked about another message, and with /ask, stay."""
    from qabot.adapters.discord.buttons import GONE
    from qabot.feedback import export_items

    store = FeedbackStore(tmp_path / "state")
    async with running(qa, double, **_learning(tmp_path, learning)) as bot:
        if learning:
            await backfilled(bot, double)
        theirs = double.message("When does the dome open for Maria's night tour?", user_n=6, mention_bot=False)
        purged = [double.message(f"Where does group {n} of Ana sign the visitors book?", user_n=6, mention_bot=False)
                  for n in range(2)]
        kept = double.message("Does the observatory dome open at dusk?", user_n=5, mention_bot=False)
        token = double.message_command(theirs, user_n=8)
        await first_followup(double, token)
        for message in (*purged, kept):
            await first_followup(double, double.message_command(message, user_n=8))
        double.click(double.followups(token)[0].response, user_n=7, label="Helpful")
        await ask(double, "where do visitors sign the book", user_n=8)
        await double.until(lambda: store.tallies(), what="the vote")
        assert "Maria" in str(export_items(store)) and "group 1 of Ana" in state_text(tmp_path)
        double.delete(theirs)
        double.bulk_delete(purged)
        await double.until(lambda: "Maria" not in state_text(tmp_path) and "of Ana" not in state_text(tmp_path),
                           timeout=10, what="the questions about the deleted messages to leave the state database")
        posted = await reply_to(double, double.click(double.followups(token)[0].response, user_n=8,
                                                     label="Post publicly"))
    assert GONE in posted["content"] and not double.replies(CHANNEL_ID)
    assert sorted(a.question for a in store.answers()) == ["Does the observatory dome open at dusk?",
                                                           "where do visitors sign the book"]
    assert not store.tallies() and "Maria" not in str(export_items(store))


@LEARNING
async def test_an_edit_takes_the_questions_asked_about_its_old_words_out_of_the_state_database(qa, double, tmp_path,
                                                                                             learning) -> None:
    """A member edits a message someone asked qabot about (a password posted by mistake, say): the answers asked
    about its old words leave the state database, whether or not the server's history is learnt; one asked about its
    new words stays, and stays when Discord sends the message anew without another edit (a thread started from it)."""
    store = FeedbackStore(tmp_path / "state")
    async with running(qa, double, **_learning(tmp_path, learning)) as bot:
        said = double.message("The guest wifi password is hunter2-kitchen, printed on the fridge.", user_n=6,
                              mention_bot=False)
        await first_followup(double, double.message_command(said, user_n=8))
        assert "hunter2" in state_text(tmp_path)
        edited = double.edit(said, "The guest wifi password is printed on the fridge.")
        await double.until(lambda: "hunter2" not in state_text(tmp_path), timeout=10, what="the edit")
        await first_followup(double, double.message_command(edited, user_n=9))
        heard = _heard(bot)
        double.thread_from(edited, "wifi")  # MESSAGE_UPDATE: the message, flagged as a thread's start
        await double.until(lambda: heard, what="the thread's MESSAGE_UPDATE")
    assert heard == [{}]
    assert [a.question for a in store.answers()] == ["The guest wifi password is printed on the fridge."]


@pytest.mark.parametrize("taken_back", ["deleted", "edited"])
async def test_a_question_by_mention_or_direct_message_taken_back_leaves_the_state_database_and_the_bots_answer(
        qa, double, tmp_path, taken_back) -> None:
    """A member asks the bot by mentioning it, or in a direct message, and then deletes their message, or edits
    their question away (a password pasted by mistake): as for a question asked about a message with "Ask qabot",
    the answer leaves the state database with the votes on it, and the bot's reply in the channel, whose title
    showed the question, shows "This question was taken back." instead. Another member's question stays."""
    from qabot.adapters.discord.posted import QUESTION_GONE

    store = FeedbackStore(tmp_path / "state")
    async with running(qa, double, state_dir=tmp_path / "state") as bot:
        theirs = double.message("When does the dome open? My wifi password is hunter2-kitchen", user_n=6)
        [reply] = await double.until(lambda: double.replies(CHANNEL_ID), what="the answer")
        private = double.message("When does the dome open? Mail me at maria@example.org", user_n=6,
                                 channel_id=DM_CHANNEL_ID, mention_bot=False)
        double.message("When does the observatory dome open?", user_n=5)
        await double.until(lambda: len(double.replies(CHANNEL_ID)) == 2 and double.replies(DM_CHANNEL_ID),
                           what="the other answers")
        double.click(reply.response, user_n=7, label="Helpful")
        await double.until(lambda: store.tallies(), what="the vote")
        assert "hunter2" in str(reply.body["embeds"]) and "hunter2" in state_text(tmp_path)
        assert "maria@" in state_text(tmp_path)
        for message in (theirs, private):
            if taken_back == "deleted":
                double.delete(message)
            else:
                double.edit(message, f"<@{BOT_ID}> When does the dome open?")

        def shown() -> dict[str, Any]:
            return double.messages[int(reply.response["id"])]["embeds"][0]

        await double.until(lambda: "hunter2" not in state_text(tmp_path) and "maria@" not in state_text(tmp_path)
                           and "hunter2" not in str(shown()), timeout=10, what="the questions taken back")
        await bot.answering.posted.settled()
    assert shown()["title"] == QUESTION_GONE and shown()["description"]  # the answer itself stays
    assert [a.question for a in store.answers()] == ["When does the observatory dome open?"] and not store.tallies()
    assert double.messages[int(double.replies(CHANNEL_ID)[1].response["id"])]["embeds"][0]["title"] == \
        "When does the observatory dome open?"
    assert_no_pings(double)


@pytest.mark.parametrize("taken_back", ["deleted", "edited"])
async def test_a_forum_post_deleted_takes_its_question_back_and_one_edited_keeps_it(qa, double, tmp_path,
                                                                                    taken_back) -> None:
    """A forum post's question stayed in the state database after its author deleted the post. Now it goes, with
    its votes, as a mention's does. An edit keeps it: a post's edits are routine (tags, "[SOLVED]")."""
    store = FeedbackStore(tmp_path / "state")
    async with running(qa, double, state_dir=tmp_path / "state", discord_message_content=True,
                       discord_forum_channel_ids=str(FORUM_ID)) as bot:
        heard = _heard(bot)
        post = double.forum_post("Dome hours", "When does the dome open? My wifi password is hunter2-kitchen",
                                 user_n=6)
        await double.until(lambda: double.replies(int(post["channel_id"])), what="the answer in the post's thread")
        await double.until(lambda: "hunter2" in state_text(tmp_path), what="the answer stored")
        if taken_back == "deleted":
            double.delete(post)
            await double.until(lambda: "hunter2" not in state_text(tmp_path), timeout=10, what="the question gone")
        else:
            double.edit(post, "[SOLVED] When does the dome open? My wifi password is hunter2-kitchen")
            await double.until(lambda: heard, what="the edit heard")
    assert ("hunter2" in state_text(tmp_path)) == (taken_back == "edited")
    assert len(store.answers()) == (taken_back == "edited")


@pytest.mark.parametrize("taken_back", ["deleted", "edited"])
async def test_a_mention_taken_back_while_it_is_answered_leaves_no_copy(qa, double, tmp_path, taken_back) -> None:
    """A mention deleted (or edited) while the bot answers it, before the answer is stored: the state database keeps
    no copy of its words, and the reply that went out shows "This question was taken back." as its title."""
    from qabot.adapters.discord.posted import QUESTION_GONE

    spy = Meanwhile(qa)
    async with running(spy, double, state_dir=tmp_path / "state") as bot:
        heard = _heard(bot)
        loop = asyncio.get_running_loop()
        theirs: list[dict[str, Any]] = []

        def meanwhile() -> None:  # heard and done while the answer is on its way to the store
            if taken_back == "deleted":
                loop.call_soon_threadsafe(double.delete, theirs[0])
            else:
                loop.call_soon_threadsafe(double.edit, theirs[0], f"<@{BOT_ID}> When does the dome open tonight?")
            double.until_sync(lambda: heard, timeout=10, what="the message taken back")

        spy.meanwhile = meanwhile
        theirs.append(double.message("When does the dome open for Maria's night tour?", user_n=6))
        [reply] = await double.until(lambda: double.replies(CHANNEL_ID), what="the answer")
        await double.until(lambda: double.messages[int(reply.response["id"])]["embeds"][0]["title"] == QUESTION_GONE,
                           timeout=10, what="the answer's title edited")
        await bot.answering.posted.settled()
    assert spy.meanwhile is None and "Maria" not in state_text(tmp_path)


@pytest.mark.parametrize("taken_back", ["deleted", "edited"])
async def test_a_message_taken_back_while_a_question_about_it_is_answered_leaves_no_copy(qa, double, tmp_path,
                                                                                      taken_back) -> None:
    """A message deleted (or edited) while an "Ask qabot" question about it was being answered, before the answer
    was stored: the answer goes out (it was being answered), but the state database keeps no copy of the words, and
    the answer can no longer be posted publicly."""
    from qabot.adapters.discord.buttons import GONE

    spy = Meanwhile(qa)
    async with running(spy, double, state_dir=tmp_path / "state") as bot:
        heard = _heard(bot)
        theirs = double.message("When does the dome open for Maria's night tour?", user_n=6, mention_bot=False)
        loop = asyncio.get_running_loop()

        def meanwhile() -> None:  # heard and done while the answer is on its way to the store
            if taken_back == "deleted":
                loop.call_soon_threadsafe(double.delete, theirs)
            else:
                loop.call_soon_threadsafe(double.edit, theirs, "When does the dome open tonight?")
            double.until_sync(lambda: heard, timeout=10, what="the message taken back")

        spy.meanwhile = meanwhile
        token = double.message_command(theirs, user_n=8)
        private = await first_followup(double, token)
        assert spy.meanwhile is None and "Maria" in str(private["embeds"])
        assert "Maria" not in state_text(tmp_path)
        posted = await reply_to(double, double.click(double.followups(token)[0].response, user_n=8,
                                                     label="Post publicly"))
    assert GONE in posted["content"] and not double.replies(CHANNEL_ID)


async def test_an_edit_while_a_question_about_the_message_is_answered_keeps_those_about_its_new_words(
        qa, double, tmp_path) -> None:
    """A message edited while an "Ask qabot" question about its old words is being answered, before the answer is
    stored; meanwhile another member asks about its new words, and that answer is stored first. Only the question
    about the old words leaves the state database: the one about the new words stays, with its Post publicly."""
    spy = Meanwhile(qa)
    store = FeedbackStore(tmp_path / "state")
    new_words = "When does the dome open tonight?"
    async with running(spy, double, state_dir=tmp_path / "state") as bot:
        heard = _heard(bot)
        theirs = double.message("When does the dome open for Maria's night tour?", user_n=6, mention_bot=False)
        loop = asyncio.get_running_loop()
        tokens: list[str] = []

        def meanwhile() -> None:  # while the question about the old words is on its way to the store
            loop.call_soon_threadsafe(double.edit, theirs, new_words)
            double.until_sync(lambda: heard, timeout=30, what="the edit heard")
            loop.call_soon_threadsafe(lambda: tokens.append(double.message_command(double.messages[int(
                theirs["id"])], user_n=9)))
            double.until_sync(lambda: [a for a in store.answers() if a.question == new_words], timeout=60,
                              what="the question about the new words stored")

        spy.meanwhile = meanwhile
        old = double.message_command(theirs, user_n=8)
        # Its answer waits for all of ``meanwhile``; every wait here is long, for a loaded machine (the whole suite on
        # two cores), where this test needed its rerun about one full run in two (the failure's cause not yet seen).
        [answered] = (await double.until(lambda: double.followups(old), timeout=120, what="the old words' answer"))[:1]
        assert "Maria" in str(answered.body["embeds"])
        await double.until(lambda: double.followups(tokens[0]), timeout=60, what="the new words' answer")
        await double.until(lambda: "Maria" not in state_text(tmp_path), timeout=60, what="the old words dropped")
        assert [a.question for a in store.answers()] == [new_words]
        double.click(double.followups(tokens[0])[0].response, user_n=9, label="Post publicly")
        [posted] = await double.until(lambda: double.replies(CHANNEL_ID), timeout=60, what="the answer posted")
    assert "tonight" in str(posted.body["embeds"])


@pytest.mark.parametrize("taken_back", ["forgotten", "deleted"])
async def test_after_a_restart_a_follow_up_reads_no_question_taken_back_from_the_bots_own_answers(
        qa, double, tmp_path, taken_back) -> None:
    """After a restart a follow-up's history is read back from the bot's own answers in Discord, whose embeds still
    show their questions. A question taken out of the state database (its asker forgotten; the message an "Ask qabot"
    question was about deleted, its answer posted publicly) is no follow-up's history then: the state database does
    not take the words back in with a later answer. A question nobody took back still is."""
    from tests.discord_double import user

    state = tmp_path / "state"
    async with running(qa, double, state_dir=state):
        await first_followup(double, double.slash("ask", question="Where do visitors sign the book?", user_n=5,
                                                  channel_id=THREAD_ID))
        if taken_back == "forgotten":
            await first_followup(double, double.slash("ask", question="When does the dome open for Maria's tour?",
                                                      user_n=6, channel_id=THREAD_ID))
            await first_followup(double, double.slash("qabot", subcommand="forget", member=user(6), user_n=2))
            where = {"channel_id": THREAD_ID}
        else:
            theirs = double.message("When does the dome open for Maria's tour?", user_n=6, mention_bot=False,
                                    channel_id=THREAD_ID)
            token = double.message_command(theirs, user_n=8)
            await first_followup(double, token)
            double.click(double.followups(token)[0].response, user_n=8, label="Post publicly")
            [posted] = await double.until(lambda: double.replies(THREAD_ID), what="the answer posted")
            double.delete(theirs)
            await double.until(lambda: "Maria" not in state_text(tmp_path), timeout=10, what="the deletion")
            where = {"channel_id": THREAD_ID, "reply_to": posted.response}
        assert "Maria" not in state_text(tmp_path)
    async with running(qa, double, state_dir=state):  # restarted: the conversation is read back from Discord
        double.message("and when does it close", user_n=7, **where)
        await double.until(lambda: [a for a in FeedbackStore(state).answers() if a.question.startswith("and when")],
                           what="the follow-up's answer")
    assert "Maria" not in state_text(tmp_path)
    [follow_up] = [a for a in FeedbackStore(state).answers() if a.question.startswith("and when")]
    assert follow_up.history == ["Where do visitors sign the book?"]  # the thread's other question stays


@pytest.mark.parametrize("whose", ["asked", "about", "asked in a direct message", "named"])
async def test_a_member_forgotten_while_their_question_is_answered_leaves_no_copy(qa, double, tmp_path,
                                                                                  whose) -> None:
    """``/qabot forget`` while a question of the member's (asked in the server or in a direct message), or an "Ask
    qabot" question about a message of theirs, or another member's question that names them, is being answered: the
    answer goes out (it was being answered), but the state database keeps no copy of their words (or name), and it
    has no buttons (nothing for them to find)."""
    from tests.discord_double import user

    spy = Meanwhile(qa)
    async with running(spy, double, state_dir=tmp_path / "state") as bot:
        dropped: list[Any] = []
        drop = bot.answering.dropped
        bot.answering.dropped = lambda questions: (drop(questions), dropped.append(questions))

        def meanwhile() -> None:  # heard and done while the answer is on its way to the store
            double.slash("qabot", subcommand="forget", member={**user(6), "global_name": "Maria"}, user_n=2)
            double.until_sync(lambda: dropped, timeout=10, what="the member forgotten")

        spy.meanwhile = meanwhile
        if whose == "named":
            token = double.slash("ask", question="When does the dome open for Maria's night tour?", user_n=7,
                                 channel_id=THREAD_ID)
        elif whose == "about":
            theirs = double.message("When does the dome open for Maria's night tour?", user_n=6, mention_bot=False)
            token = double.message_command(theirs, user_n=8)
        else:
            token = double.slash("ask", question="When does the dome open for Maria's night tour?", user_n=6,
                                 channel_id=DM_CHANNEL_ID if "direct" in whose else THREAD_ID)
        answer = await first_followup(double, token)
        assert spy.meanwhile is None and "Maria" in str(answer["embeds"])
        await ask(double, "and when does it close", channel_id=THREAD_ID, user_n=7)  # a follow-up, if it were one
    assert "Maria" not in state_text(tmp_path) and not double.buttons(answer)


@pytest.mark.parametrize("taken_back", ["deleted", "forgotten"])
async def test_a_question_taken_back_while_its_button_asks_it_again_is_neither_posted_nor_kept(qa, double, tmp_path,
                                                                                               taken_back) -> None:
    """After a restart, Post publicly asks an "Ask qabot" answer again from the state database. When the message it was
    asked about is deleted, or its author forgotten, while that is under way, the answer is not posted (the words were
    taken back before it was), and no button finds it in memory afterwards: it is gone, as from the state database."""
    from qabot.adapters.discord.buttons import GONE
    from tests.discord_double import user

    spy = Meanwhile(qa)
    async with running(spy, double, state_dir=tmp_path / "state"):
        theirs = double.message("When does the dome open for Maria's night tour?", user_n=6, mention_bot=False)
        token = double.message_command(theirs, user_n=8)
        await first_followup(double, token)
        private = double.followups(token)[0].response
    async with running(spy, double, state_dir=tmp_path / "state") as bot:  # restarted: nothing in memory
        dropped: list[Any] = []
        drop = bot.answering.dropped
        bot.answering.dropped = lambda questions: (drop(questions), dropped.append(questions))
        loop = asyncio.get_running_loop()

        def meanwhile() -> None:  # heard and done while the answer is asked again
            if taken_back == "deleted":
                loop.call_soon_threadsafe(double.delete, theirs)
            else:
                double.slash("qabot", subcommand="forget", member=user(6), user_n=2)
            double.until_sync(lambda: any(dropped), timeout=10, what="the question taken back")

        spy.meanwhile = meanwhile
        [post] = [b["custom_id"] for b in double.buttons(private) if b["label"] == "Post publicly"]

        async def press() -> dict[str, Any]:
            """Post publicly pressed: its private reply (where it posted, none: this waits in vain)."""
            return await reply_to(double, double.press(post, user_n=8))

        presses = [await press(), await press()]  # the second once it was taken back
        assert spy.meanwhile is None  # it was asked again, and taken back meanwhile
    assert not double.replies(CHANNEL_ID) and "Maria" not in state_text(tmp_path)
    for reply in presses:
        assert GONE in reply["content"] and not reply.get("embeds"), reply


async def test_forget_names_the_member_as_written_whatever_their_name_holds(qa, double, tmp_path) -> None:
    from tests.discord_double import user

    name = "||Eve|| **the** `admin` <t:0:R>"  # a display name may hold Markdown
    async with running(qa, double, **settings(tmp_path)):
        reply = await first_followup(double, double.slash("qabot", subcommand="forget",
                                                          member={**user(7), "global_name": name}))
    assert reply["content"] == FORGOTTEN.format(count=0, name=r"\|\|Eve\|\| \*\*the\*\* \`admin\` \<t:0:R>")


async def test_forget_takes_a_members_words_out_of_the_titles_of_their_posts_and_threads(qa, double,
                                                                                           tmp_path) -> None:
    """A forum post's title is its author's words, and so is a thread's name taken from the message it was started
    from: once that member is forgotten, the post and the thread are cited without it (in the answers and the state
    database), and a retag or a rename heard later does not bring it back."""
    from tests.discord_double import user

    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        post = int(double.forum_post("Maria Gonzalez's mount wobbles", "My mount wobbles in the wind, any fix?",
                                     user_n=6)["id"])
        fix = double.message("Hang a weight under the tripod to stop the wobble in the wind.", user_n=2,
                             channel_id=post, mention_bot=False)
        question = double.message("Why is my finder view upside down at night?", user_n=6,
                                  channel_id=OTHER_CHANNEL_ID, mention_bot=False)
        thread = double.thread_from(question, "Finder view upside down, says Maria", user_n=2)  # made by another
        flip = double.message("A finder without an erecting prism flips the image: that is normal.", user_n=3,
                              channel_id=thread, mention_bot=False)
        wobble, flipped = "how to stop a tripod wobble in the wind", "does a finder flip the image"
        await until_answer(double, wobble, lambda b: cites(b, fix) and "Maria Gonzalez" in str(b["embeds"]))
        await until_answer(double, flipped, lambda b: cites(b, flip) and "says Maria" in str(b["embeds"]))
        await first_followup(double, double.slash("qabot", subcommand="forget", member=user(6)))
        after = [await ask(double, wobble), await ask(double, flipped)]
        double.retag(post, [SOLVED_TAG_ID])  # Discord sends the post's title again
        retagged, _ = await until_answer(double, wobble, lambda b: "[Solved]" in str(b["embeds"]), seconds=10)
        later = int(double.forum_post("Maria Gonzalez's lens fogs up", "My lens fogs up, help?", user_n=6)["id"])
        heater = double.message("A heater strap round the lens keeps it from fogging up.", user_n=2,
                                channel_id=later, mention_bot=False)
        fogged, _ = await until_answer(double, "what keeps a lens from fogging up", lambda b: cites(b, heater),
                                       seconds=10)
    assert cites(after[0], fix) and cites(after[1], flip) and cites(retagged, fix)  # the rest of the posts stays
    for body in [*after, retagged, fogged]:  # and a post they make later has no title of theirs either
        assert "Maria" not in str(body["embeds"])
    assert "Maria" not in state_text(tmp_path)


async def test_forget_takes_their_words_out_of_a_thread_started_from_their_message_learnt_without_it(
        qa, double, tmp_path) -> None:
    """A thread started from a member's message, listed alone (its channel is not learnt, so the message is not kept):
    its name is that member's words all the same (Discord's "Create Thread" names it after the message). Once they
    were forgotten, the thread was still cited by that name: it is cited without it, as where the message is kept."""
    from tests.discord_double import user

    thread, flip = _maria_thread(double)
    flipped = "does a finder flip the image"
    async with running(qa, double, **settings(tmp_path, thread)) as bot:
        await backfilled(bot, double)
        await until_answer(double, flipped, lambda b: cites(b, flip) and "says Maria" in str(b["embeds"]),
                           channel_id=thread)
        await first_followup(double, double.slash("qabot", subcommand="forget", member=user(6)))
        after = await ask(double, flipped, channel_id=thread)
    assert cites(after, flip) and "Maria" not in str(after["embeds"])
    assert "Maria" not in state_text(tmp_path)


def _maria_thread(double, ago: int = 0) -> tuple[int, int]:
    """A member's question in a channel not learnt, ``ago`` seconds and more before now; a thread another member made
    of it, named by its words ("... says Maria"); an answer in the thread: (the thread, the answer)."""
    question = double.seed("Why is my finder view upside down at night?", user_n=6, channel_id=OTHER_CHANNEL_ID,
                           seconds_ago=ago + 9000)
    thread = double.thread_from(question, "Finder view upside down, says Maria", user_n=2, seconds_ago=ago + 8990,
                                announce=False)  # made by another
    flip = double.seed("A finder without an erecting prism flips the image: that is normal.", user_n=3,
                       channel_id=thread, seconds_ago=ago + 8980)
    return thread, flip


async def test_forget_takes_their_words_out_of_a_thread_learnt_alone_before_who_started_it_was_noted(
        qa, double, tmp_path) -> None:
    """The same thread, listed alone and learnt by a version that did not note who wrote the message it was started
    from (``started_by``), with nothing said in it since the recheck window (its placeholder is not read again): once
    that member was forgotten, the thread was still cited by their words, and kept them on disk."""
    import sqlite3

    from tests.discord_double import user

    thread, flip = _maria_thread(double, ago=30 * 86400)  # past QABOT_DISCORD_HISTORY_RECHECK_DAYS
    flipped = "does a finder flip the image"
    async with running(qa, double, **settings(tmp_path, thread)) as bot:
        await backfilled(bot, double)
    with sqlite3.connect(tmp_path / "state" / "qabot.sqlite3") as db:  # as that version left it
        db.execute("UPDATE history_channels SET started_by = NULL")
    db.close()
    async with running(qa, double, **settings(tmp_path, thread)) as bot:
        await backfilled(bot, double)
        await first_followup(double, double.slash("qabot", subcommand="forget", member=user(6)))
        after = await ask(double, flipped, channel_id=thread)
    assert cites(after, flip) and "Maria" not in str(after["embeds"])
    assert "Maria" not in state_text(tmp_path)


async def test_a_thread_made_live_from_a_forgotten_members_message_is_not_named_by_their_words(
        qa, double, tmp_path) -> None:
    """A member forgotten, whose new message is never kept: a helper makes a thread of it, which Discord names after
    it. The thread was learnt with their words for its name, and cited so: it is learnt untitled."""
    from tests.discord_double import user

    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        await first_followup(double, double.slash("qabot", subcommand="forget", member=user(6)))
        question = double.message("Why is my finder view upside down at night?", user_n=6,
                                  channel_id=OTHER_CHANNEL_ID, mention_bot=False)
        thread = double.thread_from(question, "Finder view upside down, says Maria", user_n=2)  # made by another
        await double.until(lambda: bot.learning.history.row(thread) is not None, what="THREAD_CREATE heard")
        await bot.learning.feed.settled()
        flip = double.message("A finder without an erecting prism flips the image: that is normal.", user_n=3,
                              channel_id=thread, mention_bot=False)
        found, _ = await until_answer(double, "does a finder flip the image", lambda b: cites(b, flip))
    assert "Maria" not in str(found["embeds"]) and "Maria" not in state_text(tmp_path)


async def test_a_thread_made_live_from_an_old_message_of_a_forgotten_member_is_not_named_by_their_words(
        qa, double, tmp_path, caplog) -> None:
    """The same, where the message is old: said before the bot started (not heard, so discord.py does not hold it),
    and not kept (its author was forgotten). Nothing said whose words the thread's name was: it was learnt and cited
    by them. The message is asked of Discord once; a thread started from no message (404) is learnt as it is."""
    from tests.discord_double import user

    question = double.seed("Why is my finder view upside down at night?", user_n=6, channel_id=OTHER_CHANNEL_ID,
                           seconds_ago=9000)
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        await first_followup(double, double.slash("qabot", subcommand="forget", member=user(6)))
        thread = double.thread_from(question, "Finder view upside down, says Maria", user_n=2)  # made by another
        alone = double.thread("Maria's flats, a helper's own thread")  # started from no message
        for made in (thread, alone):
            await double.until(lambda made=made: bot.learning.history.row(made) is not None, what="THREAD_CREATE")
        await bot.learning.feed.settled()
        flip = double.message("A finder without an erecting prism flips the image: that is normal.", user_n=3,
                              channel_id=thread, mention_bot=False)
        found, _ = await until_answer(double, "does a finder flip the image", lambda b: cites(b, flip))
        titles = {i: bot.learning.history.row(i).title for i in (thread, alone)}
    assert "Maria" not in str(found["embeds"]) and "says Maria" not in state_text(tmp_path)
    assert "Maria" not in titles[thread] and "Maria's flats" in titles[alone]
    assert len(double.sent("GET", f"/channels/{OTHER_CHANNEL_ID}/messages/{thread}")) == 1


# -- forums: tags, solved posts, marked answers ----------------------------------------------------------


async def test_a_solved_post_and_the_answer_its_asker_marked_rank_higher(qa, double, tmp_path) -> None:
    spy = Recorder(qa)
    posts, answers = [], []
    for n, fix in enumerate(("a dew shield", "a heater strap")):
        post = double.thread("Dew on the corrector plate", parent_id=FORUM_ID, announce=False)
        asked = double.seed("How do I stop dew forming on the corrector plate?", user_n=1, channel_id=post,
                            seconds_ago=5000 - 100 * n)
        answers.append(double.seed(f"Put {fix} on the corrector plate to stop the dew.", user_n=2 + n,
                                   channel_id=post, seconds_ago=4990 - 100 * n, reply_to=asked))
        posts.append(post)
    question = "how to stop dew on the corrector plate"
    async with running(spy, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        await ask(double, question)
        tied = spy.answers[-1].excerpts[0].citation.link
        # The later post is tagged solved: it comes first. Then the tag moves to the other one.
        double.retag(posts[1], [SOLVED_TAG_ID])
        await until_answer(double, question, lambda b: jump(answers[1]) in b["embeds"][0]["fields"][0]["value"],
                           seconds=10)
        double.retag(posts[1], [])
        double.retag(posts[0], [SOLVED_TAG_ID])
        body, _ = await until_answer(double, question,
                                     lambda b: jump(answers[0]) in b["embeds"][0]["fields"][0]["value"], seconds=10)
    assert tied == jump(answers[0])  # untagged, the two tie, and the earlier one comes first
    assert "[Solved]" in body["embeds"][0]["fields"][0]["value"]  # the post's tags are kept, in its title


def _take_back(double: DiscordDouble, answer: dict[str, Any], by: str) -> None:
    """Member 4's ✅ on ``answer`` taken back (not the asker's: nothing changes), then the asker's (by "the asker"),
    or every reaction of it removed by "a moderator"."""
    double.unreact(answer, "✅", user_n=4)
    if by == "the asker":
        double.unreact(answer, "✅", user_n=1)
    else:
        double.unreact(answer, None)


def _two_answers(double: DiscordDouble) -> tuple[dict[str, Any], dict[str, Any]]:
    """A question (by member 1) and two answers to it, in OTHER_CHANNEL_ID: the first is the highlight, unmarked."""
    asked = double.seed("Which cable connects the mount to the laptop?", user_n=1, channel_id=OTHER_CHANNEL_ID,
                        seconds_ago=900)
    first = double.seed("A serial cable connects the mount to the laptop.", user_n=2, channel_id=OTHER_CHANNEL_ID,
                        seconds_ago=890, reply_to=asked)
    return first, double.seed("A USB cable connects the mount to the laptop.", user_n=3, channel_id=OTHER_CHANNEL_ID,
                              seconds_ago=880, reply_to=asked)


async def test_the_answer_the_asker_marked_is_the_highlight(qa, double, tmp_path) -> None:
    first, second = _two_answers(double)
    question = "which cable connects the mount to the laptop"
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        before = await ask(double, question)
        double.react(second, "✅", user_n=4)  # not the asker's mark: nothing changes
        double.react(second, "✅", user_n=1)
        await until_answer(double, question, lambda b: jump(second) in b["embeds"][0]["fields"][0]["value"],
                           seconds=10)
    assert jump(first) in before["embeds"][0]["fields"][0]["value"]
    kept = HistoryStore(FeedbackStore(tmp_path / "state")).get([int(second["id"])])[int(second["id"])]
    assert kept.message.marked


@pytest.mark.parametrize("away", [False, True], ids=["live", "while-away"])
@pytest.mark.parametrize("taken_back_by", ["the asker", "a moderator"])
async def test_a_mark_taken_back_no_longer_makes_the_answer(qa, double, tmp_path, taken_back_by, away) -> None:
    """The asker marked an answer with a ✅, then took it back (it did not work after all), or a moderator removed
    the message's reactions: the answer stayed marked for good, ranked first and shown as the accepted one. It is
    not marked any more; another member taking their ✅ back changes nothing. While the bot was away, the next
    start's recheck (QABOT_DISCORD_HISTORY_RECHECK_DAYS) finds the message with no ✅ left, at no cost."""
    first, second = _two_answers(double)
    question = "which cable connects the mount to the laptop"
    double.react(second, "✅", user_n=1)
    double.react(second, "✅", user_n=4)
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        await until_answer(double, question, lambda b: jump(second) in b["embeds"][0]["fields"][0]["value"],
                           seconds=10)
        if not away:
            _take_back(double, second, taken_back_by)
            await until_answer(double, question, lambda b: jump(first) in b["embeds"][0]["fields"][0]["value"],
                               seconds=10)
    if away:  # no session hears it
        _take_back(double, second, taken_back_by)
        async with running(qa, double, **settings(tmp_path)) as bot:
            await backfilled(bot, double)
            await until_answer(double, question, lambda b: jump(first) in b["embeds"][0]["fields"][0]["value"],
                               seconds=10)
    kept = HistoryStore(FeedbackStore(tmp_path / "state")).get([int(second["id"])])[int(second["id"])]
    assert not kept.message.marked


async def test_a_mark_the_asker_left_while_the_bot_was_away_makes_the_answer_at_the_next_start(qa, double,
                                                                                              tmp_path) -> None:
    """The asker marked an answer with a ✅ while the bot was not running: the next start's recheck read the message
    again, saw its ✅ and kept it unmarked, for good (a message kept before is read for its text alone). It is
    marked now, as one heard live is."""
    first, second = _two_answers(double)
    question = "which cable connects the mount to the laptop"
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        before = await ask(double, question)
    double.react(second, "✅", user_n=1)  # no session hears it
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        await until_answer(double, question, lambda b: jump(second) in b["embeds"][0]["fields"][0]["value"],
                           seconds=10)
    assert jump(first) in before["embeds"][0]["fields"][0]["value"]
    assert HistoryStore(FeedbackStore(tmp_path / "state")).get([int(second["id"])])[int(second["id"])].message.marked


async def test_a_mark_taken_back_by_another_member_costs_no_request_to_discord(qa, double, tmp_path) -> None:
    """Only the asker's ✅ marks an answer. Each ✅ another member took back off a learnt message made the bot read the
    message and its ✅'s users from Discord, one removal at a time, to find whether a mark of theirs stayed: a busy
    channel's reactions queued up requests that could change nothing. Now a removal by someone who is not the
    asker costs no request; the asker's still takes their mark back."""
    first, second = _two_answers(double)
    asked = double.seed("Where is the spare dew heater kept?", user_n=5, seconds_ago=870)
    heater = double.seed("The spare dew heater is kept in the blue box.", user_n=6, seconds_ago=860, reply_to=asked)
    question = "which cable connects the mount to the laptop"
    store = HistoryStore(FeedbackStore(tmp_path / "state"))
    double.react(second, "✅", user_n=1)
    for n in range(4, 9):
        double.react(second, "✅", user_n=n)
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        await until_answer(double, question, lambda b: jump(second) in b["embeds"][0]["fields"][0]["value"],
                           seconds=10)
        before = len(double.sent("GET", f"/messages/{second['id']}"))
        for n in range(4, 9):
            double.unreact(second, "✅", user_n=n)
        double.unreact(second, "✅", user_n=3)  # the answer's own author: not the asker either
        double.react(heater, "✅", user_n=5)  # heard after them: once this mark is kept, they were handled
        await double.until(lambda: store.get([int(heater["id"])])[int(heater["id"])].message.marked,
                           what="the later mark")
        quiet = len(double.sent("GET", f"/messages/{second['id']}")) - before
        still = store.get([int(second["id"])])[int(second["id"])].message.marked
        double.unreact(second, "✅", user_n=1)
        await until_answer(double, question, lambda b: jump(first) in b["embeds"][0]["fields"][0]["value"],
                           seconds=10)
    assert quiet == 0 and still
    assert double.sent("GET", f"/messages/{second['id']}")  # the asker's removal is checked with Discord
    assert not store.get([int(second["id"])])[int(second["id"])].message.marked


@pytest.mark.parametrize("taken_back_by", ["the asker", "a moderator"])
async def test_an_answer_stays_marked_while_another_mark_of_its_asker_stays(qa, double, tmp_path,
                                                                           taken_back_by) -> None:
    """The asker marked an answer with ✅ and ☑️ (both are marks), then took the ✅ back, or a moderator removed its
    ✅ reactions: the answer was unmarked though the asker's ☑️ stayed on it. It stays marked until that one goes."""
    first, second = _two_answers(double)
    asked = double.seed("Where is the spare dew heater kept?", user_n=5, seconds_ago=870)
    heater = double.seed("The spare dew heater is kept in the blue box.", user_n=6, seconds_ago=860, reply_to=asked)
    question = "which cable connects the mount to the laptop"
    store = HistoryStore(FeedbackStore(tmp_path / "state"))
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        for mark in ("✅", "☑️"):
            double.react(second, mark, user_n=1)
        await until_answer(double, question, lambda b: jump(second) in b["embeds"][0]["fields"][0]["value"],
                           seconds=10)
        double.unreact(second, "✅", user_n=1 if taken_back_by == "the asker" else None)
        double.react(heater, "✅", user_n=5)  # heard after it: once this mark is kept, the ✅ taken back was applied
        await double.until(lambda: store.get([int(heater["id"])])[int(heater["id"])].message.marked,
                           what="the later mark")
        still = store.get([int(second["id"])])[int(second["id"])].message.marked
        kept = await ask(double, question)
        double.unreact(second, "☑️", user_n=1)
        await until_answer(double, question, lambda b: jump(first) in b["embeds"][0]["fields"][0]["value"],
                           seconds=10)
    assert still and jump(second) in kept["embeds"][0]["fields"][0]["value"]
    assert not store.get([int(second["id"])])[int(second["id"])].message.marked


async def test_a_moderator_clearing_every_reaction_waits_for_the_marks_heard_before_it(qa, double, tmp_path) -> None:
    """The asker took their ✅ back, then put a ☑️ on the answer, then a moderator removed every reaction of it. The ☑️
    waited for the bot to ask Discord what was left of the ✅, while the moderator's clear did not wait its turn:
    applied after the clear, the ☑️ left the answer marked with no reaction on it. Marks are applied as heard."""
    _, second = _two_answers(double)
    asked = double.seed("Where is the spare dew heater kept?", user_n=5, seconds_ago=870)
    heater = double.seed("The spare dew heater is kept in the blue box.", user_n=6, seconds_ago=860, reply_to=asked)
    double.react(second, "✅", user_n=1)
    store = HistoryStore(FeedbackStore(tmp_path / "state"))
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        await double.until(lambda: store.get([int(second["id"])])[int(second["id"])].message.marked, what="marked")
        cog, asking, answered = bot.learning.cog, asyncio.Event(), asyncio.Event()
        marks_now = cog._marks_now

        async def slow(*args: Any) -> Any:  # Discord slow to say which marks are left on it
            asking.set()
            await answered.wait()
            return await marks_now(*args)

        cog._marks_now = slow
        double.unreact(second, "✅", user_n=1)
        await asyncio.wait_for(asking.wait(), 10)
        double.react(second, "☑️", user_n=1)
        cleared = asyncio.ensure_future(bot.wait_for("raw_reaction_clear", timeout=10))
        double.unreact(second, None)
        await cleared
        await asyncio.sleep(0.5)  # the clear's listener has gone as far as it goes
        answered.set()
        double.react(heater, "✅", user_n=5)  # heard after them all: once this mark is kept, they were applied
        await double.until(lambda: store.get([int(heater["id"])])[int(heater["id"])].message.marked,
                           what="the later mark")
        await bot.learning.feed.settled()
    assert not double.reactions.get((int(second["id"]), "☑️"))
    assert not store.get([int(second["id"])])[int(second["id"])].message.marked


@pytest.mark.xfail(strict=True, reason="a thread listed without its channel does not keep the message it was "
                   "started from, so linking takes the first member who speaks in it for its asker (README: 'the member "
                   "who answers asks'), and the asker column refuses the ✅ of the starter's author (started_by); "
                   "making them its asker changes how its exchanges are untangled and ranked, a linking decision")
async def test_the_asker_who_started_a_thread_listed_alone_marks_its_answer(qa, double, tmp_path) -> None:
    """A helper made a thread of a member's question; the thread is listed without its channel. The member, who never
    wrote in the thread, marks the helper's answer with a ✅: it was not marked, their mark being taken for another's."""
    question = double.seed("Why is my finder view upside down at night?", user_n=1, channel_id=OTHER_CHANNEL_ID,
                           seconds_ago=9000)
    thread = double.thread_from(question, "Finder view upside down", user_n=2, seconds_ago=8990, announce=False)
    flip = double.seed("A finder without an erecting prism flips the image: that is normal.", user_n=3,
                       channel_id=thread, seconds_ago=8980)
    store = HistoryStore(FeedbackStore(tmp_path / "state"))
    async with running(qa, double, **settings(tmp_path, thread)) as bot:
        await backfilled(bot, double)
        double.react(flip, "✅", user_n=1)
        await double.until(lambda: store.get([int(flip["id"])])[int(flip["id"])].message.marked, timeout=5,
                           what="the answer marked")


# -- settings, and the same reading without serving ----------------------------------------------------------


async def test_without_the_content_intent_one_line_says_why_nothing_is_learnt(qa, double, tmp_path, caplog) -> None:
    from qabot.adapters.discord.learning import NO_CONTENT

    with caplog.at_level("WARNING"):
        async with running(qa, double, **settings(tmp_path, discord_message_content=False)) as bot:
            double.message("The car park gate code is 1234.", user_n=2, channel_id=OTHER_CHANNEL_ID,
                           mention_bot=False)
            body = await ask(double, "what is the car park gate code")
            await bot.learning.feed.settled()
    assert [r.getMessage() for r in caplog.records if "QABOT_DISCORD_HISTORY_CHANNEL_IDS" in r.getMessage()] == [
        NO_CONTENT]
    assert "code is 1234" not in str(body["embeds"]) and not double.sent("GET", f"/channels/{OTHER_CHANNEL_ID}/messages")
    assert HistoryStore(FeedbackStore(tmp_path / "state")).counts() == (0, 0)


def test_qabot_discord_sync_reads_the_history_without_serving(qa, double, tmp_path, monkeypatch, caplog) -> None:
    """... and, as qabot discord, prints nothing of the voice libraries a bot that never joins voice lacks."""
    import discord

    from qabot.adapters.discord.bot import sync
    from qabot.settings import load_settings

    # As in a fresh process: discord.py warns once per process, and a bot built earlier in this one turned it off.
    monkeypatch.setattr(discord.VoiceClient, "warn_nacl", True)
    monkeypatch.setattr(discord.VoiceClient, "warn_dave", True)

    said = [double.seed(f"Rule {n}: switch off the red torch near camera {n}.", user_n=2,
                        channel_id=OTHER_CHANNEL_ID, seconds_ago=800 - n) for n in range(5)]
    chosen = load_settings(_env_file=None, corpus_dir=qa.settings.corpus_dir, index_dir=qa.settings.index_dir,
                           discord_token=harness.TOKEN, **settings(tmp_path, OTHER_CHANNEL_ID))
    qa.close()  # the command opens the index itself, as a process of its own would
    with caplog.at_level("WARNING"):
        reading = sync(chosen, embedder=qa.embedder)
    assert reading.messages == 5 and reading.finished is not None
    assert not [r.getMessage() for r in caplog.records if "voice" in r.getMessage()]
    assert not double.sent("PUT", "/commands") and not double.replies()  # nothing served, nothing said
    from qabot import QABot

    with QABot.from_settings(chosen, embedder=qa.embedder, progress=False) as reopened:
        found = reopened.ask("red torch near camera 3", k=3)
    assert f"/{said[3]['id']}" in found.excerpts[0].citation.link


# -- a long history ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_long_backfill_runs_in_bounded_memory_with_progress() -> None:
    """The benchmark of docs/performance.md, smaller: every message read once, in pages, linked and indexed,
    with progress in the log, and the process's peak RSS (os.wait4) within a bound of what serving the index
    it made takes alone (the backfill holds a batch at a time, never the channel)."""
    from tests import backfill_bench

    result = backfill_bench.parent(20_000)
    assert result["messages_read"] == result["kept"] == result["linked"] == 20_000
    assert result["history_pages"] == 201 and result["progress_lines"] >= 2
    assert "labctl proxy enable --slot 7" in result["answer"]
    assert result["peak_rss_mb"] - result["serving_the_same_index_peak_rss_mb"] < 150


# -- the real model --------------------------------------------------------------------------------


async def test_on_the_real_model_a_live_message_answers_and_its_deletion_is_respected(make_corpus, bot_for, double,
                                                                                        tmp_path) -> None:
    """The same path on the real model and its default threshold: a message posted in one channel answers a
    question in another, verbatim with its jump link, among documents; a deletion takes it out again."""
    corpus = make_corpus({"handbook.txt": "The observatory dome opens at dusk. Visitors sign the book at the door.\n"
                                          "The telescope mirror is cleaned every spring with distilled water.\n"})
    qa = bot_for(corpus)
    async with running(qa, double, **settings(tmp_path, CHANNEL_ID, OTHER_CHANNEL_ID)) as bot:
        await backfilled(bot, double)
        answer = spectrograph_answered(double)
        asked = "how do I recalibrate the spectrograph after a cold night"
        body, took = await until_answer(double, asked, lambda b: cites(b, answer), channel_id=CHANNEL_ID)
        assert took < LIVE_SECONDS
        assert "specfit --arc latest" in body["embeds"][0]["description"]
        documents = await ask(double, "when is the telescope mirror cleaned")
        assert "handbook.txt" in str(documents["embeds"]) and "distilled water" in str(documents["embeds"])
        double.delete(answer)
        await until_answer(double, asked, lambda b: not cites(b, answer), channel_id=CHANNEL_ID)
    assert_no_pings(double)


# -- deletions that race the backfill ------------------------------------------------------------------


async def test_a_message_deleted_or_purged_while_its_channel_is_being_read_is_not_kept(qa, double,
                                                                                        tmp_path) -> None:
    """The backfill holds a batch of pages in memory: a deletion heard (and applied) before that batch is
    stored must still win over it."""
    said = [double.seed(f"Logbook entry {n}: camera {n % 7} was cooled to minus {n % 30} degrees.",
                        user_n=n % 5 + 1, channel_id=OTHER_CHANNEL_ID, seconds_ago=9000 - n) for n in range(250)]
    deleted = double.seed("The observatory safe combination is 31-07-19, tell no one.", user_n=2,
                          channel_id=OTHER_CHANNEL_ID, seconds_ago=9500)  # within the first page
    purged = [double.seed(f"The spare key to cabinet {n} is under the doormat of hut {n}.", user_n=3,
                          channel_id=OTHER_CHANNEL_ID, seconds_ago=9400 - n) for n in range(3)]
    double.page_delay = 0.5
    async with running(qa, double, **settings(tmp_path, OTHER_CHANNEL_ID)) as bot:
        await double.until(lambda: any(r.response for r in history_pages(double, OTHER_CHANNEL_ID)), timeout=30,
                           what="the first page read")
        double.delete(deleted)
        double.bulk_delete(purged)
        await asyncio.sleep(1.0)  # the deletions are applied while the backfill still holds those pages
        double.page_delay = 0.0
        await backfilled(bot, double)
        safe = await ask(double, "what is the observatory safe combination")
        key = await ask(double, "where is the spare key to cabinet 1")
    assert len(history_pages(double, OTHER_CHANNEL_ID)) >= 3 and said
    assert not cites(safe, deleted) and not any(cites(key, m) for m in purged)
    assert HistoryStore(FeedbackStore(tmp_path / "state")).get([int(m["id"]) for m in [deleted, *purged]]) == {}


async def test_a_message_edited_while_its_channel_is_being_read_is_kept_as_edited(qa, double, tmp_path) -> None:
    """The backfill holds a batch of pages in memory: an edit heard (and applied) before that batch is stored wins
    over the text its page was read with, as it does over a page read again by the recheck."""
    for n in range(250):
        double.seed(f"Logbook entry {n}: camera {n % 7} was cooled to minus {n % 30} degrees.", user_n=n % 5 + 1,
                    channel_id=OTHER_CHANNEL_ID, seconds_ago=9000 - n)
    wifi = double.seed("The guest wifi password is printed on the fridge in the kitchen.", user_n=3,
                       channel_id=OTHER_CHANNEL_ID, seconds_ago=9500)  # within the first page
    edited = "The guest wifi password is taped under the telescope control desk."
    double.page_delay = 0.5
    async with running(qa, double, **settings(tmp_path, OTHER_CHANNEL_ID)) as bot:
        await double.until(lambda: any(r.response for r in history_pages(double, OTHER_CHANNEL_ID)), timeout=30,
                           what="the first page read")
        double.edit(wifi, edited)
        await asyncio.sleep(1.0)  # the edit is applied while the backfill still holds that page
        double.page_delay = 0.0
        await backfilled(bot, double)
        body = await ask(double, "where is the guest wifi password")
    assert cites(body, wifi) and "telescope control desk" in body["embeds"][0]["description"]
    kept = HistoryStore(FeedbackStore(tmp_path / "state")).get([int(wifi["id"])])
    assert kept[int(wifi["id"])].message.content == edited


def state_text(tmp_path: Path) -> str:
    """Everything the state database holds, as SQL text."""
    import sqlite3

    with sqlite3.connect(tmp_path / "state" / "qabot.sqlite3") as db:
        return "\n".join(db.iterdump())


async def test_a_forgotten_members_name_and_text_leave_the_state_database(qa, double, tmp_path) -> None:
    from tests.discord_double import user

    _, theirs = _lens_answered(double, user_n=6)
    async with running(qa, double, **settings(tmp_path, discord_history_dms=True)) as bot:
        await backfilled(bot, double)
        double.message(f"<@{USER_BASE + 6}> is right, that lens fits the guide scope.", user_n=8,
                       channel_id=OTHER_CHANNEL_ID, mention_bot=False, mentions=[user(6)])
        await bot.learning.feed.settled()
        await asyncio.sleep(0.5)
        await bot.learning.feed.settled()
        await ask(double, "which lens fits the old guide scope")
        await ask(double, "who is right that the lens fits the guide scope", channel_id=DM_CHANNEL_ID)  # quotes them
        await first_followup(double, double.slash("qabot", subcommand="forget", member=user(6)))
        double.edit(theirs, "The 25 mm Plössl lens fits, and so does the 32 mm one.")  # an edit after: not kept
        double.message(f"As <@{USER_BASE + 6}> said, the eyepiece case is under the bench.", user_n=9,
                       channel_id=OTHER_CHANNEL_ID, mention_bot=False, mentions=[user(6)])
        body, _ = await until_answer(double, "where is the eyepiece case",
                                     lambda b: "under the bench" in str(b["embeds"]), seconds=10)
        mentioned = await ask(double, "which lens fits the guide scope")
    stored = state_text(tmp_path)
    assert "Plössl" not in stored  # not in the answers' highlights either
    assert "that lens fits the guide scope" in stored and "eyepiece case" in stored and "user6" not in stored
    assert "user6" not in str(body["embeds"]) + str(mentioned["embeds"])  # nor in the index


async def test_a_forgotten_members_nickname_in_others_mentions_leaves_the_state_and_index_folders(qa, double,
                                                                                                 tmp_path) -> None:
    """A mention is kept as the name it showed: the member's server nickname then. Forgotten once they had left the
    server (or changed it), under their username alone, "@Stargazer" stayed in others' messages, in the answers
    quoting them and in the index's files, naming them still."""
    from tests.discord_double import _now, user

    nicked = {**user(6), "member": {"nick": "Stargazer", "roles": [], "joined_at": _now(), "deaf": False,
                                    "mute": False, "flags": 0}}
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        double.message(f"<@{USER_BASE + 6}> knows the eyepiece case is under the bench.", user_n=9,
                       channel_id=OTHER_CHANNEL_ID, mention_bot=False, mentions=[nicked])
        await until_answer(double, "where is the eyepiece case", lambda b: "under the bench" in str(b["embeds"]),
                           seconds=10)
        before = on_disk(tmp_path, "Stargazer")
        await first_followup(double, double.slash("qabot", subcommand="forget", member=user(6)))  # no nickname now
        await bot.learning.feed.settled()
        after = await ask(double, "where is the eyepiece case")
        on_disk_after = on_disk(tmp_path, "Stargazer", "under the bench")
    assert {p.split("/")[0] for p in before["Stargazer"]} == {"state", "index"}  # the test sees it where it is
    assert "@someone knows the eyepiece case is under the bench." in after["embeds"][0]["description"]
    assert set(on_disk_after) == {"under the bench"}, on_disk_after  # the message stays, without their name


async def test_forgetting_a_member_keeps_the_highlights_quoting_another_whose_name_ends_with_theirs(qa, double,
                                                                                                     tmp_path) -> None:
    """A stored answer's highlight quotes a message as "Ted: ...": forgetting the member "ed" (their username) took it
    out, as if it quoted them, since "ed: " is in "Ted: ": the answers quoting Ted, Fred or Jared lost their gold."""
    from tests.discord_double import user

    _lens_answered(double, author={**user(3), "global_name": "Ted"})
    store = FeedbackStore(tmp_path / "state")
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        await ask(double, "which lens fits the old guide scope")
        [before] = [a.highlight for a in store.answers()]
        await first_followup(double, double.slash("qabot", subcommand="forget", member={**user(6), "username": "ed"}))
    assert before is not None and before.startswith("Ted: ")
    assert [a.highlight for a in store.answers()] == [before]


async def test_two_forgotten_members_one_name_beginning_the_others_leave_no_part_of_it_in_a_mention(qa, double,
                                                                                               tmp_path) -> None:
    """user6 and user60 both forgotten: a live message mentioning both had "@user6" taken out first, which made
    "@user60" "@someone0", and no longer matched user60's name."""
    from tests.discord_double import user

    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        for n in (6, 60):
            await first_followup(double, double.slash("qabot", subcommand="forget", member=user(n)))
        double.message(f"<@{USER_BASE + 6}> and <@{USER_BASE + 60}> know where the eyepiece case is.", user_n=9,
                       channel_id=OTHER_CHANNEL_ID, mention_bot=False, mentions=[user(6), user(60)])
        await until_answer(double, "who knows where the eyepiece case is",
                           lambda b: "eyepiece case" in str(b["embeds"]), seconds=10)
    stored = state_text(tmp_path)
    assert "@someone and @someone know where the eyepiece case is." in stored and "@someone0" not in stored


def on_disk(folder: Path, *words: str) -> dict[str, list[str]]:
    """Which of ``words`` the raw bytes of the files under ``folder`` hold (as UTF-8, as the index's UTF-32 text, or
    lowered, as BM25's vocabulary), and in which files: free pages, write-ahead logs and deleted rows included."""
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for word in words:
            if any(form.encode(codec) in data for form in (word, word.lower()) for codec in ("utf-8", "utf-32-le")):
                found.setdefault(word, []).append(str(path.relative_to(folder)))
    return found


def busy_channel(double: DiscordDouble, exchanges: int = 12) -> None:
    """Earlier exchanges of others in OTHER_CHANNEL_ID, an hour apart: the index's segment holds more than a
    member's."""
    for i in range(exchanges):
        asked = double.seed(f"Question {i}: how tight should the mount's clutch be?", user_n=20 + i,
                            channel_id=OTHER_CHANNEL_ID, seconds_ago=80_000 - i * 3600)
        double.seed(f"Answer {i}: finger tight, then a quarter turn.", user_n=40 + i, channel_id=OTHER_CHANNEL_ID,
                    seconds_ago=79_990 - i * 3600, reply_to=asked)


async def test_a_forgotten_members_words_and_name_leave_the_index_folder_at_once(qa, double, tmp_path) -> None:
    """The index's segments are written once: a forgotten member's exchange is only marked deleted in the segment
    that holds it, its text, name and words kept in that segment's files until it is merged, which may be never.
    A forget rewrites the segments that held them, while the bot runs."""
    from tests.discord_double import user

    busy_channel(double)
    _lens_answered(double, "Zanzibarquux", user_n=6)
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        before = on_disk(tmp_path / "index", "Zanzibarquux", "user6")
        await first_followup(double, double.slash("qabot", subcommand="forget", member=user(6)))
        await bot.learning.feed.settled()
        after = on_disk(tmp_path / "index", "Zanzibarquux", "user6", "Which lens fits the old guide scope?")
        kept = await ask(double, "how tight should the mount's clutch be")
    assert set(before) == {"Zanzibarquux", "user6"}  # the test sees them where they are
    assert set(after) == {"Which lens fits the old guide scope?"}, after  # the rest of the exchange stays
    assert "finger tight" in str(kept["embeds"])  # and the others' exchanges the segment held


async def test_forgotten_deleted_and_edited_words_leave_the_state_folders_bytes_while_the_bot_runs(qa, double,
                                                                                             tmp_path) -> None:
    """SQLite keeps what a transaction deleted in the pages it freed, unless told to wipe them, and in its
    write-ahead log, which a long-running bot only writes over, in time: a forgotten member's messages, their question
    and their name, a deleted message and an edited one's old words, leave the state folder's bytes at once, not when
    the bot stops."""
    from tests.discord_double import user

    _lens_answered(double, "Zanzibarquux", user_n=6)
    deleted = double.seed("The dome key hangs behind the Quillbramble poster.", user_n=3, channel_id=OTHER_CHANNEL_ID,
                          seconds_ago=300)
    edited = double.seed("The spare filters are in the Fizzlewhip drawer.", user_n=4, channel_id=OTHER_CHANNEL_ID,
                         seconds_ago=200)
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        await ask(double, "does the Wobblequoth eyepiece fit the guide scope", user_n=6)
        before = on_disk(tmp_path / "state", "Zanzibarquux", "Wobblequoth", "Quillbramble", "Fizzlewhip")
        await first_followup(double, double.slash("qabot", subcommand="forget", member=user(6)))
        double.delete(deleted)
        double.edit(edited, "The spare filters are in the top drawer.")
        kept = HistoryStore(FeedbackStore(tmp_path / "state"))
        await double.until(lambda: not kept.get([int(deleted["id"])]) and "top drawer" in str(kept.get(
            [int(edited["id"])])), timeout=10, what="the deletion and the edit")
        await bot.learning.feed.settled()
        after = on_disk(tmp_path / "state", "Zanzibarquux", "Wobblequoth", "Quillbramble", "Fizzlewhip", "user6",
                        "Which lens fits the old guide scope?")
    assert set(before) == {"Zanzibarquux", "Wobblequoth", "Quillbramble", "Fizzlewhip"}  # the test sees them
    assert set(after) == {"Which lens fits the old guide scope?"}, after  # another member's message stays


async def test_the_index_folder_holding_a_servers_history_is_readable_by_its_owner_alone(qa, double, tmp_path) -> None:
    """The state database is made readable by its owner alone; the index, which holds the same messages (a private
    channel's too) with their authors' names, was left as the umask made it: every user of the machine could read
    them in its segments' files."""
    import stat

    double.seed("The dome key is taped under the third step of the Quillbramble stair.", user_n=2,
                channel_id=PRIVATE_CHANNEL_ID)
    (tmp_path / "index").chmod(0o755)
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
    assert on_disk(tmp_path / "index", "Quillbramble")  # it is there
    assert stat.S_IMODE((tmp_path / "index").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700


class Busy(Recorder):
    """The real QABot, whose index is busy (another process writing it too long) for its next ``busy`` changes."""

    def __init__(self, qa: Any) -> None:
        super().__init__(qa)
        self.busy = 0

    def _change(self, what: str) -> None:
        from qabot.errors import IndexStoreError

        if self.busy:
            self.busy -= 1
            raise IndexStoreError(f"another qabot process has been writing the index for too long ({what})")

    def change(self, upsert: Any = (), *, delete: Any = (), delete_sources: Any = (), skip_bad: bool = False) -> Any:
        self._change("change")
        return self.qa.change(upsert, delete=delete, delete_sources=delete_sources, skip_bad=skip_bad)


def _dome_key(double: DiscordDouble) -> tuple[dict[str, Any], str]:
    """An answer in the history (the dome key's hiding place), and a question it answers."""
    question = double.seed("Where do I find the dome key?", user_n=1, channel_id=OTHER_CHANNEL_ID, seconds_ago=600)
    secret = double.seed("The dome key is taped under the third step of the north stair.", user_n=2,
                         channel_id=OTHER_CHANNEL_ID, seconds_ago=590, reply_to=question)
    return secret, "where is the dome key taped"


async def test_a_deletion_whose_index_update_failed_still_leaves_the_index(qa, double, tmp_path) -> None:
    spy = Busy(qa)
    secret, asked = _dome_key(double)
    async with running(spy, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        await ask(double, asked)
        assert jump(secret) in links(spy.answers[-1])
        spy.busy = 1  # the index cannot be written for a moment, when the deletion comes
        double.delete(secret)
        await double.until(lambda: spy.busy == 0, timeout=10, what="the failed index update")
        double.message("The spare dome light bulbs are in the blue box.", user_n=3, channel_id=OTHER_CHANNEL_ID,
                       mention_bot=False)
        await asyncio.sleep(LIVE_SECONDS / 6)
        await bot.learning.feed.settled()
        await ask(double, asked)
        live = links(spy.answers[-1])
    async with running(spy, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        await ask(double, asked)
        restarted = links(spy.answers[-1])
    assert jump(secret) not in live and jump(secret) not in restarted


async def test_a_forget_whose_index_update_failed_still_forgets_their_questions_and_then_their_messages(
        qa, double, tmp_path) -> None:
    """The index busy (another process writing it too long) as a member is forgotten: the state database has
    forgotten their messages already, and the index does with the next change. Their questions leave the state
    database all the same, and the manager is told it is done, not that something went wrong."""
    from tests.discord_double import user

    spy = Busy(qa)
    busy_channel(double)  # others' exchanges in the segment too: it is rewritten, not dropped
    secret, asked = _dome_key(double)
    store = FeedbackStore(tmp_path / "state")
    async with running(spy, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        assert cites(await ask(double, "where is the dome key hidden, Maria asks", user_n=2), secret)
        spy.busy = 1
        reply = await first_followup(double, double.slash("qabot", subcommand="forget", member=user(2)))
        double.message("The spare dome light bulbs are in the blue box.", user_n=3, channel_id=OTHER_CHANNEL_ID,
                       mention_bot=False)  # the next change does what is owed
        await until_answer(double, asked, lambda b: not cites(b, secret), seconds=10)
        await bot.learning.feed.settled()
        written = on_disk(tmp_path / "index", "third step of the north stair")
    assert "Maria asks" not in state_text(tmp_path)
    assert {a.question for a in store.answers()} == {asked}  # others' questions stay
    assert not written, written  # purged, once the index could be written
    assert reply["content"].startswith(FORGOTTEN.format(count=1, name="user2").split(".")[0]), reply["content"]


async def test_a_forget_whose_index_update_failed_purges_the_index_files_after_a_restart(qa, double, tmp_path) -> None:
    """The index busy as a member is forgotten, and the bot restarted before any other change: the update owed is
    done as the bot starts again (``catch_up``), but the purge it owed was only remembered in the stopped process, so
    the member's words stayed in the segment's files, the very thing /qabot forget promises they do not."""
    from tests.discord_double import user

    spy = Busy(qa)
    busy_channel(double)  # others' exchanges in the segment too: it is rewritten, not dropped
    secret, asked = _dome_key(double)
    async with running(spy, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        assert cites(await ask(double, asked), secret)
        spy.busy = 1
        await first_followup(double, double.slash("qabot", subcommand="forget", member=user(2)))
        await bot.learning.feed.settled()
    assert on_disk(tmp_path / "index", "third step of the north stair")  # still there: the update failed
    async with running(spy, double, **settings(tmp_path)) as bot:  # the state database remembers what is owed
        await until_answer(double, asked, lambda b: not cites(b, secret), seconds=10)
        await bot.learning.feed.settled()
        written = on_disk(tmp_path / "index", "third step of the north stair")
    assert not written, written


async def test_a_deletion_whose_index_update_failed_leaves_the_index_after_a_restart_with_nothing_new(
        qa, double, tmp_path) -> None:
    spy = Busy(qa)
    secret, asked = _dome_key(double)
    async with running(spy, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        assert cites(await ask(double, asked), secret)
        spy.busy = 1  # the index cannot be written when the deletion comes; the bot stops before anything else
        double.delete(secret)
        await double.until(lambda: spy.busy == 0, timeout=10, what="the failed index update")
        await bot.learning.feed.settled()
    async with running(spy, double, **settings(tmp_path)) as bot:  # the state database remembers what is owed
        await until_answer(double, asked, lambda b: not cites(b, secret), seconds=10)


async def test_an_exchange_the_index_refuses_leaves_the_rest_of_the_history_learnt(make_corpus, fake_bot_for, double,
                                                                                    tmp_path, caplog) -> None:
    """One exchange whose document the index refuses (here a long log pasted on an index that takes 500 characters
    a document, QABOT_READER_MAX_TEXT_MB) made every later batch fail with it: nothing said after it was learnt.
    Now it alone is left out, with one warning that names its channel and exchange but no member."""
    qa = fake_bot_for(make_corpus({"handbook.txt": "The observatory dome opens at dusk.\n"}), answer_threshold=0.0,
                      reader_max_text_mb=0.0005)
    pasted = double.seed("Tonight's mount log: " + "tracking nominal, " * 40, user_n=6, channel_id=OTHER_CHANNEL_ID,
                         seconds_ago=600)
    caplog.set_level(logging.WARNING, logger="qabot")
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        answer = spectrograph_answered(double)
        await until_answer(double, "how to recalibrate the spectrograph after a cold night",
                           lambda b: cites(b, answer), channel_id=CHANNEL_ID)
    warned = [r.getMessage() for r in caplog.records if r.name == "qabot.history.service"]
    assert len(warned) == 1 and f"'{OTHER_CHANNEL_ID}-{pasted['id']}'" in warned[0]
    assert "user6" not in warned[0] and str(USER_BASE + 6) not in warned[0] and "tracking" not in warned[0]


async def test_a_deleted_messages_text_leaves_the_answers_that_quoted_it(qa, double, tmp_path) -> None:
    """An answer is kept for its buttons (in memory, and in the state database with its highlight, which ``qabot
    feedback export`` writes as gold): once a message it quoted is deleted, one at a time or in a purge, no button
    on it shows that message again, and neither the state database nor the export holds its text (a direct
    message's answer that quoted it included); an answer that quoted another message keeps its highlight."""
    from qabot.feedback import export_items

    secret, asked = _dome_key(double)
    lamp = double.seed("The red lamp in the hall means the dome is moving.", user_n=3, channel_id=OTHER_CHANNEL_ID)
    purged = [double.seed(f"The spare key to cabinet {n} is under the doormat of hut {n}.", user_n=4,
                          channel_id=OTHER_CHANNEL_ID) for n in range(3)]
    store = FeedbackStore(tmp_path / "state")
    kept = HistoryStore(store)
    async with running(qa, double, **settings(tmp_path, discord_history_dms=True)) as bot:
        await backfilled(bot, double)
        token = double.slash("ask", question=asked, k=1, channel_id=CHANNEL_ID)
        [answer] = await double.until(lambda: double.followups(token), what="the answer")
        assert cites(answer.body, secret) and "More sources" in harness.labels(answer.body)
        double.click(answer.response, user_n=8, label="Helpful")
        assert cites(await ask(double, asked, channel_id=DM_CHANNEL_ID), secret)
        assert cites(await ask(double, "where is the spare key to cabinet 1"), purged[1])
        assert cites(await ask(double, "what does the red lamp in the hall mean"), lamp)
        await double.until(lambda: store.tallies(), what="the vote")
        assert "third step" in state_text(tmp_path) and "doormat of hut 1" in state_text(tmp_path)
        assert "third step" in str(export_items(store))  # the helpful answer's gold
        double.delete(secret)
        double.bulk_delete(purged)
        await double.until(lambda: not kept.get([int(m["id"]) for m in [secret, *purged]]), timeout=10,
                           what="the deletions")
        await bot.learning.feed.settled()
        click = double.click(answer.response, user_n=2, label="More sources")
        [more] = await double.until(lambda: double.followups(click) or [  # asked again, or from memory
            r for r in double.sent("POST", f"/{click}/callback") if r.body["type"] == 4], what="More sources")
    shown = str(more.body)  # More sources cites by author and place, not by link
    assert "red lamp" in shown and "third step" not in shown and "doormat of hut" not in shown
    dumped = state_text(tmp_path)
    assert "third step" not in dumped and "doormat of hut" not in dumped
    assert "third step" not in str(export_items(store))
    [lamp_answer] = [a for a in store.answers() if "red lamp" in a.question]
    assert lamp_answer.highlight is not None and "red lamp" in lamp_answer.highlight


async def test_an_edited_messages_old_text_leaves_the_answers_that_quoted_it(qa, double, tmp_path) -> None:
    """A member edits a message (a password posted by mistake, say): the answers stored before, which quoted its old
    text (a direct message's included), keep no copy of that text, and once the message is deleted no stored answer
    keeps any of it either. An edit that leaves the quoted text in place keeps the highlight."""
    said = double.seed("The guest wifi password is hunter2-kitchen, printed on the fridge.", user_n=3,
                       channel_id=OTHER_CHANNEL_ID)
    lamp = double.seed("The red lamp in the hall means the dome is moving.", user_n=4, channel_id=OTHER_CHANNEL_ID)
    store = FeedbackStore(tmp_path / "state")
    asked = "where is the guest wifi password"
    async with running(qa, double, **settings(tmp_path, discord_history_dms=True)) as bot:
        await backfilled(bot, double)
        assert cites(await ask(double, asked), said) and cites(await ask(double, asked, channel_id=DM_CHANNEL_ID), said)
        assert cites(await ask(double, "what does the red lamp in the hall mean"), lamp)
        assert "hunter2" in state_text(tmp_path)
        double.edit(said, "The guest wifi password is printed on the fridge.")
        double.edit(lamp, lamp["content"] + " Stay clear of the slit then.")
        await until_answer(double, asked, lambda b: cites(b, said) and "hunter2" not in str(b["embeds"]))
        await bot.learning.feed.settled()
        edited = state_text(tmp_path)
        double.delete(said)
        await until_answer(double, asked, lambda b: not cites(b, said))
        await bot.learning.feed.settled()
    assert "hunter2" not in edited  # gone with the edit, not only with the deletion
    assert "printed on the fridge" not in state_text(tmp_path)
    [lamp_answer] = [a for a in store.answers() if "red lamp" in a.question]
    assert lamp_answer.highlight is not None and "red lamp" in lamp_answer.highlight



def _lens_answered(double: Any, lens: str = "Plössl", **author: Any) -> tuple[dict, dict]:
    """A question of member 1's in the other channel, and the reply of ``author``'s (``user_n=`` or ``author=``) that
    answers it with the ``lens``."""
    question = double.seed("Which lens fits the old guide scope?", user_n=1, channel_id=OTHER_CHANNEL_ID,
                           seconds_ago=600)
    return question, double.seed(f"The 25 mm {lens} lens fits the old guide scope.", **author,
                                 channel_id=OTHER_CHANNEL_ID, seconds_ago=590, reply_to=question)

class Meanwhile(Recorder):
    """The real QABot, which runs ``meanwhile`` (once) in its thread between finding an answer and returning it."""

    def __init__(self, qa: Any) -> None:
        super().__init__(qa)
        self.meanwhile: Any = None

    def ask(self, question: str, k: int | None = None, history: list[str] | None = None, sources: Any = None) -> Any:
        answer = super().ask(question, k=k, history=history, sources=sources)
        meanwhile, self.meanwhile = self.meanwhile, None
        if meanwhile is not None:
            meanwhile()
        return answer


async def test_an_answer_found_just_before_the_message_it_quotes_was_deleted_is_stored_without_it(
        qa, double, tmp_path) -> None:
    """An answer found in the index just before a deletion reached it, and stored just after, goes out as found
    (it was being answered), but the state database keeps no quote of the deleted message, and the bot then edits
    the quote out of the answer it posted."""
    from qabot.adapters.discord.posted import DELETED

    spy = Meanwhile(qa)
    secret, asked = _dome_key(double)
    kept = HistoryStore(FeedbackStore(tmp_path / "state"))
    async with running(spy, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        loop = asyncio.get_running_loop()

        def deleted() -> None:  # MESSAGE_DELETE, heard and applied while the answer is on its way to the store
            loop.call_soon_threadsafe(double.delete, secret)
            double.until_sync(lambda: not kept.get([int(secret["id"])]), timeout=10, what="the deletion")

        spy.meanwhile = deleted
        token = double.slash("ask", question=asked, k=10, user_n=7)
        body = await first_followup(double, token)
        await bot.learning.feed.settled()
        posted = double.messages[int(double.followups(token)[0].response["id"])]
        await double.until(lambda: DELETED in str(posted["embeds"]), what="the answer posted, edited")
    assert cites(body, secret) and spy.meanwhile is None
    assert "third step" not in state_text(tmp_path) and "third step" not in str(posted["embeds"])


async def test_a_channel_taken_off_the_list_leaves_the_index_without_the_content_intent(qa, double, tmp_path) -> None:
    lamp = double.seed("The red lamp in the hall means the dome is moving.", user_n=3, channel_id=OTHER_CHANNEL_ID)
    async with running(qa, double, **settings(tmp_path, OTHER_CHANNEL_ID, CHANNEL_ID)) as bot:
        await backfilled(bot, double)
        assert cites(await ask(double, "what does the red lamp in the hall mean"), lamp)
    async with running(qa, double, **settings(tmp_path, CHANNEL_ID, discord_message_content=False)) as bot:
        await until_answer(double, "what does the red lamp in the hall mean", lambda b: not cites(b, lamp),
                           seconds=10)
    assert OTHER_CHANNEL_ID not in {row.id for row in HistoryStore(FeedbackStore(tmp_path / "state")).channels()}


# -- the bot's own messages ----------------------------------------------------------------------------


async def test_the_bots_posted_answers_lose_a_quote_or_a_question_taken_back(qa, double, tmp_path) -> None:
    """The bot's own answers in a channel keep what they showed, after the state database forgets it: a quote of a
    message since deleted, or of a member since forgotten, and the question of an "Ask qabot" answer posted publicly,
    whose message was deleted. The bot edits them: the excerpt, and the citation that named its author, give way to a
    line saying why; the question gives way to one too. What nobody took back stays as it was."""
    from qabot.adapters.discord.posted import DELETED, FORGOTTEN_QUOTE, QUESTION_GONE
    from tests.discord_double import user

    secret, asked = _dome_key(double)
    lamp_q = double.seed("What does the red lamp in the hall mean?", user_n=3, channel_id=OTHER_CHANNEL_ID,
                         seconds_ago=500)
    lamp_a = double.seed("The red lamp in the hall means the dome shutter is still open.", user_n=6,
                         channel_id=OTHER_CHANNEL_ID, seconds_ago=490, reply_to=lamp_q)
    double.seed("Thanks! " + " ".join(f"Note {n}: the shutter motor needs its grease checked weekly." for n in
                                      range(30)), user_n=3, channel_id=OTHER_CHANNEL_ID, seconds_ago=480,
                reply_to=lamp_a)  # a long message: the excerpt shows a part of it

    def now(token: str) -> dict[str, Any]:  # the bot's answer to an interaction, as Discord shows it now
        return double.messages[int(double.followups(token)[0].response["id"])]

    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        key = double.slash("ask", question=asked, k=1, user_n=7)
        lamp = double.slash("ask", question="what does the red lamp in the hall mean", k=1, user_n=7)
        kept = double.slash("ask", question="when does the observatory dome open", k=1, user_n=7)
        theirs = double.message("When does the dome open for Maria's night tour?", user_n=5, mention_bot=False)
        menu = double.message_command(theirs, user_n=8)
        for token in (key, lamp, kept, menu):
            await first_followup(double, token)
        assert "third step" in str(now(key)["embeds"]) and "shutter" in str(now(lamp)["embeds"])
        double.click(double.followups(menu)[0].response, user_n=8, label="Post publicly")
        [public] = await double.until(lambda: double.replies(CHANNEL_ID), what="the answer posted")
        unchanged = str(now(kept)["embeds"])
        await bot.answering.posted.settled()
        assert not double.sent("PATCH", "/channels/")  # what nobody took back is not edited
        double.delete(secret)
        await first_followup(double, double.slash("qabot", subcommand="forget", member=user(6), user_n=2))
        double.delete(theirs)
        await double.until(lambda: "third step" not in str(now(key)["embeds"]) and "shutter" not in str(
            now(lamp)["embeds"]) and "Maria" not in str(double.messages[int(public.response["id"])]["embeds"]),
                           what="the bot's answers edited")
    key_embed, lamp_embed = now(key)["embeds"][0], now(lamp)["embeds"][0]
    assert DELETED in key_embed["description"] and "user2" not in str(key_embed) and jump(secret) not in str(key_embed)
    assert FORGOTTEN_QUOTE in lamp_embed["description"] and "user6" not in str(lamp_embed)
    assert lamp_embed["title"] == "what does the red lamp in the hall mean"  # the question nobody took back stays
    posted = double.messages[int(public.response["id"])]["embeds"][0]
    assert posted["title"] == QUESTION_GONE and "Maria" not in str(posted)
    assert str(now(kept)["embeds"]) == unchanged and double.buttons(now(key))  # the buttons stay
    assert_no_pings(double)


@pytest.mark.parametrize("kind", ["thread", "post"])
async def test_forget_takes_their_words_out_of_the_bots_answers_citing_a_thread_they_named(qa, double, tmp_path,
                                                                                          kind) -> None:
    """A thread's name may be a member's words (started from their message, where that is not kept: the thread is
    listed alone), and so is a forum post's title (theirs, where its first message is no more). The bot's answers
    posted before they were forgotten cited others' messages there by that title, and kept it: they lose that
    excerpt, and its citation, as those that quoted a message of theirs do."""
    from tests.discord_double import user

    if kind == "thread":
        question = double.seed("Why is my finder view upside down at night?", user_n=6, channel_id=OTHER_CHANNEL_ID,
                               seconds_ago=9000)
        place = double.thread_from(question, "Finder view upside down, says Maria", user_n=2, seconds_ago=8990,
                                   announce=False)
    else:
        place = double.thread("Finder view upside down, says Maria", parent_id=FORUM_ID, announce=False)
        double.threads[place]["owner_id"] = user(6)["id"]  # its first message, theirs, deleted since
    flip = double.seed("A finder without an erecting prism flips the image: that is normal.", user_n=3,
                       channel_id=place, seconds_ago=8980)
    async with running(qa, double, **settings(tmp_path, place)) as bot:
        await backfilled(bot, double)
        token = double.slash("ask", question="does a finder flip the image", k=1, user_n=7, channel_id=place)
        body = await first_followup(double, token)
        await first_followup(double, double.slash("qabot", subcommand="forget", member=user(6), user_n=2))
        await bot.answering.posted.settled()
        posted = double.messages[int(double.followups(token)[0].response["id"])]
    assert cites(body, flip) and "says Maria" in str(body["embeds"])
    assert "Maria" not in str(posted["embeds"])


async def test_an_answer_the_bot_cannot_edit_is_logged_without_a_member_and_the_others_are_edited(
        qa, double, tmp_path, caplog) -> None:
    """Editing the bot's posted answers is best effort: one Discord refuses (its thread deleted meanwhile) is logged,
    naming the bot's message and its channel, never a member, and the others are edited all the same."""
    from qabot.adapters.discord.posted import DELETED

    secret, asked = _dome_key(double)
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        here = double.slash("ask", question=asked, k=1, user_n=7)
        there = double.slash("ask", question=asked, k=1, user_n=8, channel_id=THREAD_ID)
        for token in (here, there):
            assert "third step" in str(await first_followup(double, token))
        caplog.set_level(logging.WARNING, logger="qabot")
        double.gone.add(THREAD_ID)
        double.delete(secret)
        edited = double.messages[int(double.followups(here)[0].response["id"])]
        await double.until(lambda: DELETED in str(edited["embeds"]), what="the answer edited")
        await bot.answering.posted.settled()
    [warning] = [r.getMessage() for r in caplog.records if "could not edit" in r.getMessage()]
    assert str(THREAD_ID) in warning and double.followups(there)[0].response["id"] in warning
    assert not any(str(USER_BASE + n) in warning for n in range(10)) and "user" not in warning


async def test_a_quote_deleted_while_its_answer_is_being_recorded_is_taken_out_of_it_all_the_same(
        qa, double, tmp_path, monkeypatch) -> None:
    """The deletion is heard after the answer checked that what it quotes is still kept, and before its record is
    written (a busy machine): the answer is edited all the same, never left quoting the deleted message."""
    from qabot.adapters.discord.posted import DELETED

    real, checked = HistoryStore.quoted, threading.Event()

    def slow(store: HistoryStore, doc_id: str, text: str) -> Any:
        found = real(store, doc_id, text)
        checked.set()
        time.sleep(1.0)  # the record is written after the deletion is heard
        return found

    secret, asked = _dome_key(double)
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        monkeypatch.setattr(HistoryStore, "quoted", slow)
        here = double.slash("ask", question=asked, k=1, user_n=7)
        assert "third step" in str(await first_followup(double, here))
        await double.until(checked.is_set, what="the quotes checked")
        double.delete(secret)
        edited = double.messages[int(double.followups(here)[0].response["id"])]
        await double.until(lambda: DELETED in str(edited["embeds"]), what="the answer edited")
        await bot.answering.posted.settled()
    assert "third step" not in str(edited["embeds"]) and jump(secret) not in str(edited["embeds"])


async def test_a_quote_deleted_while_the_bot_was_away_leaves_its_posted_answers_at_the_next_start(
        qa, double, tmp_path) -> None:
    """No event tells of a message deleted while the bot was away: the next start's recheck finds it gone, and the
    bot's answers that quoted it are edited then, as after a deletion heard live."""
    from qabot.adapters.discord.posted import DELETED

    secret, asked = _dome_key(double)
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        token = double.slash("ask", question=asked, k=1, user_n=7)
        assert "third step" in str(await first_followup(double, token))
    double.delete(secret)  # while the bot is away: no session hears it
    posted = double.messages[int(double.followups(token)[0].response["id"])]
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        await double.until(lambda: DELETED in str(posted["embeds"]), what="the answer edited")
    assert "third step" not in str(posted["embeds"])


def _long_notes(double: DiscordDouble) -> tuple[dict[str, Any], str]:
    """A long message (the excerpt shows a part of it) whose middle answers a question, and that question."""
    notes = [f"Note {n}: the shutter motor of bay {n} needs its grease checked weekly." for n in range(30)]
    notes[15] = "The guest wifi password is hunter2-kitchen, printed on the fridge door."
    return double.seed("Observatory notes. " + " ".join(notes), user_n=4, channel_id=OTHER_CHANNEL_ID,
                       seconds_ago=400), "what is the guest wifi password"


async def test_an_edit_that_takes_a_quote_out_of_its_message_edits_the_bots_posted_answers(qa, double,
                                                                                          tmp_path) -> None:
    """A member edits a message the bot quoted in an answer it posted (a password posted by mistake, edited away): the
    answer still showed the old words. The bot edits it: the excerpt, and its citation, give way to a line saying so.
    An edit elsewhere in a long message, outside the part the answer shows (a typo fixed), leaves the answer as it
    was."""
    from qabot.adapters.discord.posted import EDITED

    secret, asked = _dome_key(double)
    notes, wifi = _long_notes(double)

    def now(token: str) -> dict[str, Any]:
        return double.messages[int(double.followups(token)[0].response["id"])]

    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        key = double.slash("ask", question=asked, k=1, user_n=7)
        password = double.slash("ask", question=wifi, k=1, user_n=7)
        for token in (key, password):
            await first_followup(double, token)
        shown = str(now(password)["embeds"])
        assert "third step" in str(now(key)["embeds"]) and "hunter2" in shown and "Note 0:" not in shown
        double.edit(notes, notes["content"].replace("Note 0: the shutter motor", "Note 0: The shutter motor"))
        double.edit(secret, "The dome key is with the night warden.")
        await double.until(lambda: EDITED in str(now(key)["embeds"]), what="the answer posted, edited")
        await bot.learning.feed.settled()
        await bot.answering.posted.settled()
    key_embed = now(key)["embeds"][0]
    assert "third step" not in str(key_embed) and jump(secret) not in str(key_embed) and "user2" not in str(key_embed)
    assert str(now(password)["embeds"]) == shown  # the edit was elsewhere in the message it quotes
    edits = [r for r in double.sent("PATCH", "/channels/") if now(password)["id"] in r.path]
    assert not edits and double.buttons(now(key))
    assert_no_pings(double)


async def test_a_quote_edited_while_the_bot_was_away_leaves_its_posted_answers_at_the_next_start(
        qa, double, tmp_path) -> None:
    """No event tells of a message edited while the bot was away: the next start's recheck finds its new text, and
    the bot's answers that quoted what the edit took out are edited then, as after an edit heard live."""
    from qabot.adapters.discord.posted import EDITED

    secret, asked = _dome_key(double)
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        token = double.slash("ask", question=asked, k=1, user_n=7)
        assert "third step" in str(await first_followup(double, token))
    double.edit(secret, "The dome key is with the night warden.")  # while the bot is away: no session hears it
    posted = double.messages[int(double.followups(token)[0].response["id"])]
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        await double.until(lambda: EDITED in str(posted["embeds"]), what="the answer edited")
    assert "third step" not in str(posted["embeds"])


async def test_a_deleted_thread_leaves_the_bots_posted_answers_that_quoted_it(qa, double, tmp_path) -> None:
    """A thread (or a channel) deleted takes its messages with it, and Discord tells of no message's deletion: the
    bot's answers that quoted one of them are edited all the same."""
    from qabot.adapters.discord.posted import DELETED

    thread_id = double.thread("Dome motor noise", parent_id=OTHER_CHANNEL_ID, announce=False)
    double.seed("Why does the dome motor squeal?", user_n=3, channel_id=thread_id, seconds_ago=600)
    double.seed("The dome motor squeals because the drive belt needs grease every spring.", user_n=4,
                channel_id=thread_id, seconds_ago=590)
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        token = double.slash("ask", question="why does the dome motor squeal", k=1, user_n=7)
        assert "drive belt" in str(await first_followup(double, token))
        posted = double.messages[int(double.followups(token)[0].response["id"])]
        double.delete_thread(thread_id)
        await double.until(lambda: DELETED in str(posted["embeds"]), what="the answer posted, edited")
    assert "drive belt" not in str(posted["embeds"])



async def test_a_message_said_while_the_bot_was_away_is_read_though_one_of_the_new_session_came_first(
        qa, double, tmp_path) -> None:
    """A new gateway session (identified anew) may have missed messages: a backfill reads on from the checkpoints
    once the session is ready. A live message of the new session heard before then (discord.py waits 2 s for the
    servers after READY; the history applies a burst 1 s after its first message) must not move its channel's
    checkpoint past the messages said while the bot was away: they would never be read."""
    listed = settings(tmp_path, OTHER_CHANNEL_ID, discord_history_debounce_seconds=0.0)  # applied before ready
    async with running(qa, double, **listed) as bot:
        missed = await _identified_anew_after_a_message(bot, double, seconds_ago=0, ready=True)
        kettle = double.message("The kettle in the control room is broken again.", user_n=4,
                                channel_id=OTHER_CHANNEL_ID, mention_bot=False)  # heard live in the new session
        await until_answer(double, "is the kettle in the control room broken", lambda b: cites(b, kettle))
        await backfilled(bot, double)
        body = await ask(double, "where are the spare eyepieces")
    assert cites(body, missed)
    assert HistoryStore(FeedbackStore(tmp_path / "state")).get([int(missed["id"])])


async def test_a_message_whose_batch_the_state_database_refused_is_read_at_the_next_start(qa, double, tmp_path,
                                                                                          monkeypatch) -> None:
    """A batch of live messages the state database refuses (locked by another process past its 10 s, the disk full)
    is logged and given up; the messages heard after it must not move their channel's checkpoint past it, so that
    the next start reads it from Discord."""
    from qabot.errors import StateError
    from qabot.history import store as history_store

    refused = {"left": 0}
    put = history_store.HistoryStore.put

    def locked(self: Any, channel_id: int, messages: Any) -> Any:
        if refused["left"] and messages:
            refused["left"] -= 1
            raise StateError("the state database state/qabot.sqlite3 failed: database is locked")
        return put(self, channel_id, messages)

    monkeypatch.setattr(history_store.HistoryStore, "put", locked)
    listed = settings(tmp_path, OTHER_CHANNEL_ID)
    async with running(qa, double, **listed) as bot:
        await backfilled(bot, double)
        refused["left"] = 1
        lost = double.message("The spare dome light bulbs are in the blue box.", user_n=3, channel_id=OTHER_CHANNEL_ID,
                              mention_bot=False)
        await double.until(lambda: not refused["left"], what="the refused batch")
        await bot.learning.feed.settled()
        later = double.message("The kettle in the control room is broken again.", user_n=4,
                               channel_id=OTHER_CHANNEL_ID, mention_bot=False)
        await until_answer(double, "is the kettle in the control room broken", lambda b: cites(b, later))
    async with running(qa, double, **listed) as bot:
        await backfilled(bot, double)
        body = await ask(double, "where are the spare dome light bulbs")
    assert cites(body, lost)


async def _a_history_with_its_feed(tmp_path, make_corpus, fake_bot_for, debounce: float):
    from qabot.adapters.discord.feed import Feed
    from qabot.history import CHANNEL, ChannelRow, History

    qa = fake_bot_for(make_corpus({"handbook.txt": "The dome opens at dusk.\n"}), answer_threshold=0.0)
    history = History(qa, HistoryStore(FeedbackStore(tmp_path / "state")))
    history.register(ChannelRow(100, 10, None, CHANNEL, "Club · #help"))
    feed = Feed(history, debounce)
    feed.start()
    return history, feed


async def test_a_new_thread_of_the_session_before_read_late_lets_no_live_message_skip_what_was_said_away(
        tmp_path, make_corpus, fake_bot_for) -> None:
    """A thread created just before the session dropped is read to its end (0: it is new) in a batch still waiting
    when the new session's READY reopens every channel: applied after that, it marked the thread read, and a message
    heard in the new session moved its checkpoint past one said in it while the bot was away (never read then)."""
    from qabot.corpus.chat import ChatMessage
    from qabot.history import THREAD, Changes, ChannelRow

    history, feed = await _a_history_with_its_feed(tmp_path, make_corpus, fake_bot_for, 0.2)
    history.apply(Changes(read={100: (0, True)}))
    await feed.run(history.register, ChannelRow(110, 10, 100, THREAD, "Club · #help › dome", untitled="x"))
    feed.submit(Changes(read={110: (0, True)}))  # on_thread_create, in the session before
    feed.reopen()  # the new session's READY (Learning.reconnected); 1001 was said in the thread meanwhile
    await feed.settled()
    heard = ChatMessage(id="1002", author="Ben", author_key="ben", date="2024-05-01T10:02:00+00:00",
                        content="The grey key opens the dome.", names=frozenset({"ben"}))
    feed.submit(Changes(put={110: [heard]}))  # heard in the new session, before its backfill
    await feed.settled()
    await feed.stop()
    assert history.store.channel(110).checkpoint < 1001


async def test_a_backfill_page_applied_after_a_new_sessions_reopen_marks_nothing_read(
        tmp_path, make_corpus, fake_bot_for) -> None:
    """The backfill's last page of a channel, on its way to the history's thread as READY cancels that backfill and
    reopens every channel, marked the channel read to its end after the reopen."""
    from qabot.history import Changes

    history, feed = await _a_history_with_its_feed(tmp_path, make_corpus, fake_bot_for, 0.0)
    history.reopen()

    async def last_page() -> None:
        await feed.apply(Changes(read={100: (1000, True)}))

    async def on_connect(backfill: asyncio.Task) -> None:
        backfill.cancel()
        feed.reopen()

    backfill = asyncio.get_running_loop().create_task(last_page())
    await asyncio.gather(backfill, asyncio.get_running_loop().create_task(on_connect(backfill)),
                         return_exceptions=True)
    await asyncio.sleep(0.2)
    await feed.settled()
    await feed.stop()
    assert not history.store.channel(100).complete
