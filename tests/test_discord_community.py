"""Running the Discord bot in a community for months, driven through the real discord.py client.

Feedback buttons (also after a restart), memory across restarts, scopes, the "Ask qabot"
menu, forum posts, the /qabot admin group, mentions in questions, and the metrics
endpoint, all against the loopback Discord of tests/discord_double.py, as in
test_discord_bot.py: the bot is the one ``build_bot`` returns, and the assertions are on
the HTTP requests discord.py really sends. Answers come from the real core on the fake
embedder; the state database is a real SQLite file in the test's folder.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import discord
import pytest
from prometheus_client.parser import text_string_to_metric_families

from qabot.adapters.discord.buttons import ASKED_ABOUT, POSTED
from qabot.adapters.discord.format import NOT_FOUND, answer_embed, more_embed
from qabot.adapters.discord.mentions import clean_question
from qabot.adapters.discord_bot import build_bot, run, serve
from qabot.errors import SettingsError
from qabot.feedback import FeedbackStore
from qabot.settings import load_settings
from tests import test_discord_bot as harness
from tests.conftest import QABOT, make_bot
from tests.discord_double import (
    BOT_ID,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    EPHEMERAL,
    FORUM_ID,
    GUILD_ID,
    MESSAGE_CONTENT_INTENT,
    MOD_ROLE_ID,
    OTHER_CHANNEL_ID,
    THREAD_ID,
    USER_BASE,
    DiscordDouble,
    _now,
    role,
    user,
)
from tests.fakes import HashEmbedder
from tests.test_discord_bot import TOKEN, Spy, assert_no_pings, first_followup, labels, running

discord_api, double = harness.discord_api, harness.double  # the same fixtures

MANAGE_GUILD = discord.Permissions(manage_guild=True).value


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


async def press(double: DiscordDouble, message: dict[str, Any], label: str, user_n: int) -> dict[str, Any]:
    """Press a button and return the body of the bot's answer to the press."""
    token = double.click(message, user_n=user_n, label=label)
    [reply] = await double.until(lambda: double.sent("POST", f"/{token}/callback"), what=f"the {label} reply")
    if reply.body["type"] == 5:  # deferred: the answer is the follow-up
        return {"type": 5, "data": await first_followup(double, token)}
    return reply.body


async def answer_of(double: DiscordDouble, token: str) -> dict[str, Any]:
    """The message an /ask produced, as the double keeps it (with its buttons)."""
    await first_followup(double, token)
    return double.followups(token)[0].response


# -- feedback buttons ---------------------------------------------------------------------


async def test_votes_are_one_per_user_changeable_private_and_stored_without_the_user_id(
    fake_default_bot, double, state
) -> None:
    async with running(fake_default_bot, double, state_dir=state):
        message = await answer_of(double, double.slash("ask", question="Who killed Trotsky?", user_n=1))
        first = await press(double, message, "Helpful", 2)
        again = await press(double, message, "Helpful", 2)
        changed = await press(double, message, "Not helpful", 2)
        other = await press(double, message, "Helpful", 3)
    for reply in (first, again, changed, other):
        assert reply["type"] == 4 and reply["data"]["flags"] == EPHEMERAL
    assert "helpful" in first["data"]["content"] and "already" in again["data"]["content"]
    assert "Changed your vote" in changed["data"]["content"]

    store = FeedbackStore(state)
    [answer] = store.answers()
    assert store.tallies() == {answer.id: (1, 1)}  # user 2 changed to 👎, user 3 said 👍
    expected = fake_default_bot.ask("Who killed Trotsky?", k=10)
    assert (answer.question, answer.query, answer.answered, answer.frontend) == (
        "Who killed Trotsky?", expected.query, expected.answered, "slash")
    assert answer.confidence == pytest.approx(expected.confidence)
    assert (answer.guild_id, answer.channel_id, answer.build) == (GUILD_ID, CHANNEL_ID, fake_default_bot.manifest.build)
    assert answer.highlight == expected.excerpts[0].highlight
    # The cited passages: source, offsets and a hash of the text, as the answer had them.
    with store._connection() as db:
        passages, user_hash = db.execute("SELECT passages, user_hash FROM answers").fetchone()
    first_passage = __import__("json").loads(passages)[0]
    best = expected.excerpts[0]
    assert (first_passage["source"], first_passage["start"], first_passage["end"]) == (
        best.citation.source, best.citation.start, best.citation.end)
    assert first_passage["sha256"] == hashlib.sha256(best.text.encode()).hexdigest()
    # The user id is never stored, only a salted hash; the salt is the owner's alone.
    everything = b"".join(p.read_bytes() for p in state.iterdir() if p.is_file())
    for n in (1, 2, 3):
        assert str(USER_BASE + n).encode() not in everything
    assert user_hash == store.user_hash(f"discord:{USER_BASE + 1}") and len(user_hash) == 32
    assert (state / "salt").stat().st_mode & 0o777 == 0o600
    assert_no_pings(double)


async def test_a_corrupt_state_database_is_one_line_and_the_bot_still_answers(
    fake_default_bot, double, state, caplog
) -> None:
    state.mkdir()
    (state / "qabot.sqlite3").write_bytes(b"not a database, whatever happened to it\n" * 200)
    async with running(fake_default_bot, double, state_dir=state):
        message = await answer_of(double, double.slash("ask", question="Who killed Trotsky?", user_n=1))
        voted = await press(double, message, "Helpful", 2)
    assert "Trotsky" in str(message["embeds"]) and "can't record votes" in voted["data"]["content"]
    said = [r.getMessage() for r in caplog.records if "qabot.sqlite3" in r.getMessage()]
    assert said and all("\n" not in line and "not a database" in line for line in said)


async def test_buttons_work_after_a_restart_through_their_custom_ids(fake_default_bot, double, state) -> None:
    spy = Spy(fake_default_bot)
    async with running(spy, double, state_dir=state):
        message = await answer_of(double, double.slash("ask", question="What weapon was used?"))
        mention = double.message("Who killed Trotsky?", channel_id=DM_CHANNEL_ID, mention_bot=False)
        [dm] = await double.until(lambda: double.replies(DM_CHANNEL_ID), what="the DM answer")
    assert mention and labels(dm.body) == ["More sources", "Helpful", "Not helpful"]  # a DM answer has them too

    # A new bot, as after a restart: nothing in memory, the same state folder.
    async with running(spy, double, state_dir=state):
        vote = await press(double, message, "Not helpful", 4)
        more = await press(double, message, "More sources", 5)
        dm_vote = await press(double, dm.response, "Helpful", 1)
    assert vote["data"]["content"].startswith("Thanks!") and dm_vote["data"]["content"].startswith("Thanks!")
    # The answer was asked again as the store recorded it, and its other sources shown privately.
    assert spy.calls[-1] == ("What weapon was used?", [])
    assert more["type"] == 5 and more["data"]["flags"] == EPHEMERAL
    assert more["data"]["embeds"][0] == more_embed(fake_default_bot.ask("What weapon was used?", k=10), 4).to_dict()
    store = FeedbackStore(state)
    assert sorted(store.tallies().values()) == [(0, 1), (1, 0)]

    async with running(spy, double, state_dir=state.parent / "elsewhere"):  # a store that never saw it
        gone = await press(double, message, "Helpful", 6)
    assert "no longer have that answer" in gone["data"]["content"]


# -- memory across restarts ---------------------------------------------------------------


async def test_a_thread_follow_up_after_a_restart_reads_the_earlier_answers_from_discord(
    fake_default_bot, double, state
) -> None:
    spy = Spy(fake_default_bot)
    long_question = "Who killed Trotsky, " + "and with what, and where exactly in the house, " * 6 + "and why?"
    assert 256 < len(long_question) <= 500  # longer than an embed title: its end is only in the store
    async with running(spy, double, state_dir=state):
        await first_followup(double, double.slash("ask", question=long_question, channel_id=THREAD_ID))
        double.message("What weapon was used?", channel_id=THREAD_ID)
        await double.until(lambda: double.replies(THREAD_ID), what="the thread reply")

    async with running(spy, double, state_dir=state):
        double.message("When did he die?", channel_id=THREAD_ID)
        await double.until(lambda: len(double.replies(THREAD_ID)) == 2, what="the answer after the restart")
        assert spy.calls[-1] == ("When did he die?", [long_question, "What weapon was used?"])
        assert double.sent("GET", f"/channels/{THREAD_ID}/messages")
        double.message("Where was he buried?", channel_id=THREAD_ID)  # from memory again, the earlier ones kept
        await double.until(lambda: len(double.replies(THREAD_ID)) == 3, what="the next answer")
    assert spy.calls[-1] == ("Where was he buried?", [long_question, "What weapon was used?", "When did he die?"])


async def test_after_a_restart_only_recent_answers_count_and_titles_do_without_the_store(
    fake_default_bot, double, state
) -> None:
    spy = Spy(fake_default_bot)
    async with running(spy, double, state_dir=state):
        await first_followup(double, double.slash("ask", question="Who was Sylvia Ageloff?", channel_id=THREAD_ID))
        old = double.followups()[0].response
        double.message("Who killed Trotsky?", channel_id=THREAD_ID)
        await double.until(lambda: double.replies(THREAD_ID), what="the thread reply")
    double.backdate(old, seconds=2 * 24 * 3600)  # the first answer is two days old

    async with running(spy, double, state_dir=state.parent / "lost", discord_history_hours=24):
        double.message("When did he die?", channel_id=THREAD_ID)
        await double.until(lambda: len(double.replies(THREAD_ID)) == 2, what="the answer after the restart")
    assert spy.calls[-1] == ("When did he die?", ["Who killed Trotsky?"])  # the embed title; the old one left out


async def test_a_reply_chain_after_a_restart_keeps_its_whole_history(fake_default_bot, double, state) -> None:
    spy = Spy(fake_default_bot)
    async with running(spy, double, state_dir=state):
        double.message("Who was Ramon Mercader?")
        [first] = await double.until(lambda: double.replies(CHANNEL_ID), what="the answer")
        double.message("What alias did he use?", reply_to=first.response)
        await double.until(lambda: len(double.replies(CHANNEL_ID)) == 2, what="the follow-up")
        second = double.replies(CHANNEL_ID)[1].response
    async with running(spy, double, state_dir=state):
        double.message("Where was he born?", reply_to=second)
        await double.until(lambda: len(double.replies(CHANNEL_ID)) == 3, what="the answer after the restart")
    # Seen once in many runs, unexplained: the last question's history held only "What alias did he use?". What
    # each question was asked with, and whether each answer had its buttons (its id), tell which path gave that.
    assert spy.calls[-1] == ("Where was he born?", ["Who was Ramon Mercader?", "What alias did he use?"]), (
        spy.calls, [bool(double.buttons(reply.response)) for reply in double.replies(CHANNEL_ID)])


# -- scopes -------------------------------------------------------------------------------


SCOPES = f"""
dms = "community-b/"

[guilds]
{GUILD_ID} = ["community-a/"]

[channels]
{OTHER_CHANNEL_ID} = "community-b/"
"""


async def test_scopes_keep_each_place_to_its_own_documents(make_corpus, fake_bot_for, tmp_path, double) -> None:
    bridge = "The old stone bridge over the river was built by the {} in {}, and rebuilt after the flood.\n"
    corpus = make_corpus({
        **{f"community-a/minutes-{n}.txt": bridge.format(f"guild of masons {n}", 1800 + n) for n in range(6)},
        **{f"community-b/notes-{n}.md": bridge.format(f"town council {n}", 1900 + n) for n in range(6)},
    })
    qa = fake_bot_for(corpus, answer_threshold=0.0)
    scopes = tmp_path / "scopes.toml"
    scopes.write_text(SCOPES, encoding="utf-8")
    question = "Who built the old stone bridge over the river?"
    async with running(qa, double, discord_scopes_file=scopes, state_dir=tmp_path / "state"):
        in_a = await first_followup(double, double.slash("ask", question=question, k=5))
        in_thread = await first_followup(double, double.slash("ask", question=question, k=5, channel_id=THREAD_ID,
                                                               user_n=2))
        in_b = await first_followup(double, double.slash("ask", question=question, k=5, channel_id=OTHER_CHANNEL_ID,
                                                          user_n=3))
        double.message(question, channel_id=DM_CHANNEL_ID, mention_bot=False, user_n=4)
        [dm] = await double.until(lambda: double.replies(DM_CHANNEL_ID), what="the DM answer")
        listing_b = await first_followup(double, double.slash("sources", channel_id=OTHER_CHANNEL_ID))
        listing_a = await first_followup(double, double.slash("sources"))

    def sources(body: dict[str, Any]) -> list[str]:
        fields = body["embeds"][0]["fields"]
        return [f["value"] if f["name"] == "Source" else f["name"] for f in fields]

    for body, folder in ((in_a, "community-a/"), (in_thread, "community-a/"), (in_b, "community-b/"),
                         (dm.body, "community-b/")):
        shown = sources(body)
        assert all(folder in s for s in shown), shown
    # Applied inside retrieval: k excerpts still come back, all from the scope.
    assert len(sources(in_a)) == 5 and len(sources(in_b)) == 5
    assert "community-b" not in listing_a["embeds"][0]["description"]
    assert "community-a" not in listing_b["embeds"][0]["description"]
    assert "community-b/notes-0.md" in listing_b["embeds"][0]["description"]


async def test_an_edited_scopes_file_is_followed_and_a_broken_edit_keeps_the_last_good_one(
        make_corpus, fake_bot_for, tmp_path, double, monkeypatch, caplog) -> None:
    from qabot.scopes import ScopesFile

    monkeypatch.setattr(ScopesFile, "CHECK_SECONDS", 0.0)
    monkeypatch.setattr(ScopesFile, "SETTLE_SECONDS", 0.0)
    bridge = "The old stone bridge over the river was built by the {} in {}, and rebuilt after the flood.\n"
    corpus = make_corpus({
        **{f"community-a/minutes-{n}.txt": bridge.format(f"guild of masons {n}", 1800 + n) for n in range(3)},
        **{f"community-b/notes-{n}.md": bridge.format(f"town council {n}", 1900 + n) for n in range(3)},
    })
    qa = fake_bot_for(corpus, answer_threshold=0.0)
    scopes = tmp_path / "scopes.toml"
    scopes.write_text(f"[guilds]\n{GUILD_ID} = 'community-a/'\n", encoding="utf-8")
    question = "Who built the old stone bridge over the river?"

    def sources(body: dict[str, Any]) -> list[str]:
        return [f["value"] if f["name"] == "Source" else f["name"] for f in body["embeds"][0]["fields"]]

    async with running(qa, double, discord_scopes_file=scopes, state_dir=tmp_path / "state") as bot:
        before = sources(await first_followup(double, double.slash("ask", question=question, k=3)))
        scopes.write_text(f"[guilds]\n{GUILD_ID} = 'community-b/'\n", encoding="utf-8")
        # read once, not yet taken (it may be half-written): the next look, reading it the same, takes it
        assert bot.answering.scopes.sources(GUILD_ID) == ("community-a",)
        after = sources(await first_followup(double, double.slash("ask", question=question, k=3, user_n=2)))
        scopes.write_text("[guilds\n", encoding="utf-8")  # a broken edit
        with caplog.at_level(logging.WARNING, logger="qabot.scopes"):
            assert bot.answering.scopes.sources(GUILD_ID) == ("community-b",)
            broken = sources(await first_followup(double, double.slash("ask", question=question, k=3, user_n=3)))
    assert before and all("community-a/" in s for s in before), before
    assert after and all("community-b/" in s for s in after), after
    assert broken and all("community-b/" in s for s in broken), broken  # the last good scopes stay in force
    [warning] = [r.getMessage() for r in caplog.records if r.name == "qabot.scopes"]
    assert str(scopes) in warning and "not valid TOML" in warning and "\n" not in warning


def test_a_bad_scopes_file_stops_the_bot_at_start_with_one_line(fake_default_bot, tmp_path) -> None:
    scopes = tmp_path / "scopes.toml"
    scopes.write_text("[guilds]\nnot-an-id = 'a/'\n", encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        build_bot(fake_default_bot, load_settings(_env_file=None, discord_scopes_file=scopes))
    assert str(scopes) in str(caught.value) and "not-an-id" in str(caught.value) and "\n" not in str(caught.value)

    env = {k: v for k, v in os.environ.items() if not k.startswith("QABOT_")}
    env |= {"QABOT_INDEX_DIR": str(tmp_path / "index"), "QABOT_DISCORD_TOKEN": TOKEN,
            "QABOT_DISCORD_SCOPES_FILE": str(scopes)}
    done = subprocess.run([QABOT, "discord"], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "not-an-id" in done.stderr
    assert not (tmp_path / "index").exists()  # refused before any index work


# -- the "Ask qabot" message menu ---------------------------------------------------------


async def test_ask_qabot_on_a_message_answers_privately_and_can_post_publicly(fake_default_bot, double, state) -> None:
    spy = Spy(fake_default_bot)
    async with running(spy, double, state_dir=state):
        target = double.message("Does anyone know who killed Trotsky?", user_n=5, mention_bot=False)
        await asyncio.sleep(0.2)
        assert not double.replies()  # a message that does not mention the bot is left alone
        token = double.message_command(target, user_n=2)
        private = await first_followup(double, token)
        [defer] = double.callbacks()
        assert defer.body == {"type": 5, "data": {"flags": EPHEMERAL}}
        assert private["flags"] == EPHEMERAL
        assert labels(private) == ["More sources", "Helpful", "Not helpful", "Post publicly"]
        answered = double.followups(token)[0].response
        posted = await press(double, answered, "Post publicly", 2)
        [public] = await double.until(lambda: double.replies(CHANNEL_ID), what="the public answer")
        edited = await double.until(lambda: double.messages[int(answered["id"])]["content"] == POSTED and
                                    double.messages[int(answered["id"])], what="the private answer edited")
    question = "Does anyone know who killed Trotsky?"
    assert spy.calls == [(question, [])]
    expected = answer_embed(fake_default_bot.ask(question, k=10), 4).to_dict()
    assert private["embeds"][0] == expected and public.body["embeds"][0] == expected
    assert public.body["message_reference"]["message_id"] == int(target["id"])  # a reply to the message asked about
    assert public.body["content"] == ASKED_ABOUT  # who pressed is not named: the post outlives their question
    assert str(USER_BASE + 2) not in str(public.body) and "user2" not in str(public.body)
    assert labels(public.body) == ["More sources", "Helpful", "Not helpful"]
    assert posted["type"] == 6  # acknowledged before posting: a busy channel may take longer than Discord waits
    assert "Post publicly" not in labels(edited)  # the private answer says it was posted, and loses its button
    assert_no_pings(double)


async def test_ask_qabot_on_a_long_message_asks_its_start_rather_than_asking_to_shorten_it(fake_default_bot, double,
                                                                                           state) -> None:
    """A message over QABOT_DISCORD_MAX_QUESTION_CHARS is someone else's: who right-clicked it cannot shorten it, so
    its start is asked (as a long forum post's is), not refused with "Could you shorten it?"."""
    spy = Spy(fake_default_bot)
    long = "Does anyone know who killed Trotsky? " + "I have been reading about it all week long. " * 20
    async with running(spy, double, state_dir=state):
        target = double.message(long, user_n=5, mention_bot=False)
        private = await first_followup(double, double.message_command(target, user_n=2))
    [(asked, _)] = spy.calls
    assert asked.startswith("Does anyone know who killed Trotsky?") and len(asked) <= 500 < len(long.strip())
    assert "shorten" not in str(private) and labels(private)[-1] == "Post publicly"


async def test_discords_question_limit_is_never_over_the_cores(make_corpus, fake_bot_for, double, state) -> None:
    """With QABOT_MAX_QUESTION_CHARS (300) under QABOT_DISCORD_MAX_QUESTION_CHARS (500), "Ask qabot" cut a long message
    at 500 characters, which the core then refused as too long, and /help promised 500."""
    qa = fake_bot_for(make_corpus({"trotsky.txt": "Ramon Mercader killed Leon Trotsky in Coyoacán in 1940.\n"}),
                      max_question_chars=300)
    spy = Spy(qa)
    long = "Does anyone know who killed Trotsky? " + "I have been reading about it all week long. " * 10
    async with running(spy, double, state_dir=state, max_question_chars=300):
        target = double.message(long, user_n=5, mention_bot=False)
        private = await first_followup(double, double.message_command(target, user_n=2))
        token = double.slash("help", user_n=3)
        helped = await double.until(lambda: double.sent("POST", f"/{token}/callback"), what="the help")
    [(asked, _)] = spy.calls
    assert asked.startswith("Does anyone know who killed Trotsky?") and len(asked) <= 300 and len(long) > 400
    assert private.get("embeds") and labels(private)[-1] == "Post publicly", private
    assert "300" in str(helped[0].body) and "500" not in str(helped[0].body)


async def test_post_publicly_in_a_busy_channel_is_answered_in_time_and_posts_once(fake_default_bot, double,
                                                                                   state) -> None:
    """A channel takes five messages every five seconds: under load the public post waits its turn there, longer
    than the 3 s Discord gives a press's first response. The press is acknowledged first, so the member is not told
    "This interaction failed" (and has no reason to press again and post it twice), and their private answer says
    it was posted, without its button."""
    double.interaction_seconds = 3.0  # as Discord
    async with running(fake_default_bot, double, state_dir=state):
        target = double.message("Does anyone know who killed Trotsky?", user_n=5, mention_bot=False)
        token = double.message_command(target, user_n=2)
        await first_followup(double, token)
        private = double.followups(token)[0].response
        double.retry_after, double.refusals[CHANNEL_ID] = 3.5, 1  # the channel's limit used up by other answers
        pressed = double.click(private, user_n=2, label="Post publicly")
        await double.until(lambda: double.replies(CHANNEL_ID), timeout=15, what="the public answer")
        await double.until(lambda: double.messages[int(private["id"])]["content"] == POSTED, timeout=10,
                           what="the private answer to say it was posted")
    assert pressed not in double.expired and len(double.replies(CHANNEL_ID)) == 1
    assert "Post publicly" not in labels(double.messages[int(private["id"])])


# -- forum posts --------------------------------------------------------------------------


async def test_a_forum_post_is_answered_in_its_thread_with_the_message_content_intent(
    fake_default_bot, double, state
) -> None:
    spy = Spy(fake_default_bot)
    async with running(spy, double, state_dir=state, discord_message_content=True,
                       discord_forum_channel_ids=str(FORUM_ID)):
        assert double.identifies[0]["intents"] & MESSAGE_CONTENT_INTENT
        post = double.forum_post("Who killed Trotsky?", "I read that he died in Mexico.\nWho did it?")
        thread = int(post["channel_id"])
        [reply] = await double.until(lambda: double.replies(thread), what="the answer in the post's thread")
        double.message("Who killed Trotsky?", mention_bot=False)  # elsewhere, unmentioned: still left alone
        await asyncio.sleep(0.3)
    assert spy.calls == [("Who killed Trotsky? I read that he died in Mexico. Who did it?", [])]
    assert reply.body["message_reference"]["message_id"] == int(post["id"])
    assert reply.body["embeds"][0]["description"] and len(double.replies()) == 1
    assert_no_pings(double)


async def test_without_the_intent_forum_posts_are_not_answered_but_mentions_still_are(
    fake_default_bot, double, state, caplog
) -> None:
    caplog.set_level(logging.WARNING, logger="qabot")
    spy = Spy(fake_default_bot)
    async with running(spy, double, state_dir=state, discord_forum_channel_ids=str(FORUM_ID)):
        assert not double.identifies[0]["intents"] & MESSAGE_CONTENT_INTENT
        post = double.forum_post("Who killed Trotsky?", "I read that he died in Mexico.")
        await asyncio.sleep(0.5)
        assert not double.replies() and not spy.calls
        double.message("Who killed Trotsky?", channel_id=int(post["channel_id"]))  # a mention needs no intent
        await double.until(lambda: double.replies(), what="the answer to the mention")
    assert "QABOT_DISCORD_MESSAGE_CONTENT" in caplog.text


async def test_discord_refusing_the_intent_is_one_line_naming_the_setting(fake_default_bot, discord_api) -> None:
    discord_api(privileged=False)  # the developer portal has the Message Content intent off
    bot = build_bot(fake_default_bot, load_settings(_env_file=None, discord_message_content=True))
    with pytest.raises(SettingsError) as caught:
        await asyncio.wait_for(serve(bot, TOKEN), 20)
    assert "Message Content intent" in str(caught.value) and "QABOT_DISCORD_MESSAGE_CONTENT" in str(caught.value)
    assert bot.is_closed()


# -- /qabot: the admin group --------------------------------------------------------------


async def test_the_admin_group_is_for_server_managers_by_default(fake_default_bot, double, state) -> None:
    async with running(fake_default_bot, double, state_dir=state, discord_guild_ids=[GUILD_ID]):
        await first_followup(double, double.slash("ask", question="Who killed Trotsky?"))
        status = await first_followup(double, double.slash("qabot", subcommand="status", permissions=MANAGE_GUILD))
    by_name = {c["name"]: c for c in double.sent("PUT", "/commands")[0].body}
    admin = by_name["qabot"]
    assert int(admin["default_member_permissions"]) == MANAGE_GUILD  # Manage Server, unless a server changes it
    assert admin["contexts"] == [0] and admin["dm_permission"] is False  # servers only
    assert {o["name"] for o in admin["options"]} == {"status", "reindex", "forget", "forget-bridged", "feedback"}
    for everyone in ("ask", "sources", "help", "Ask qabot"):
        assert by_name[everyone]["default_member_permissions"] is None
    assert by_name["Ask qabot"]["type"] == 3  # a message command

    assert status["flags"] == EPHEMERAL
    fields = {f["name"]: f["value"] for f in status["embeds"][0]["fields"]}
    manifest = fake_default_bot.manifest
    assert f"{manifest.passages} passages" in fields["Index"] and f"{manifest.documents} document" in fields["Index"]
    assert fields["Today (UTC), this server"].startswith("1 question(s): 1 answered")
    assert "0 being answered, 0 waiting" in fields["Queue"] and fields["Uptime"].endswith(" s")


async def test_reindex_reports_progress_by_editing_its_reply(make_corpus, tmp_path, double) -> None:
    corpus = make_corpus({f"doc-{n}.txt": f"Document {n} tells of the bridge built in {1800 + n}.\n" for n in range(3)})
    slow = HashEmbedder()
    qa = make_bot(corpus, tmp_path / "index", slow, answer_threshold=0.0)
    slow.delay = 1.5  # from now on each model call takes 1.5 s: a rebuild (two calls) long enough to report on
    try:
        (corpus / "doc-9.txt").write_text("A new document about the ferry of 1950.\n", encoding="utf-8")
        async with running(qa, double, state_dir=tmp_path / "state"):
            token = double.slash("qabot", subcommand="reindex", permissions=MANAGE_GUILD)

            def final() -> Any:
                return [r for r in double.sent("PATCH", f"/{token}/messages/@original")
                        if "refreshed" in r.body.get("content", "")]

            await double.until(final, timeout=60, what="the final edit")
            again = double.slash("qabot", subcommand="reindex", permissions=MANAGE_GUILD, user_n=2)
            await double.until(lambda: [r for r in double.sent("PATCH", f"/{again}/messages/@original")
                                        if "up to date" in r.body.get("content", "")], timeout=60)
        [first] = double.sent("POST", f"/{token}/callback")
        assert first.body["data"]["flags"] == EPHEMERAL and "Checking" in first.body["data"]["content"]
        edits = [r.body["content"] for r in double.sent("PATCH", f"/{token}/messages/@original")]
        assert any(e.startswith("Re-indexing…") and "s so far" in e for e in edits[:-1]), edits
        assert "4 file(s)" in edits[-1] and qa.rebuilds == 1
        slow.delay = 0
        assert "ferry" in str(qa.ask("Which ferry?").excerpts[0].text)
    finally:
        qa.close()


async def test_admin_feedback_shows_this_servers_answers_and_votes(fake_default_bot, double, state) -> None:
    spy = Spy(fake_default_bot)
    async with running(spy, double, state_dir=state):
        message = await answer_of(double, double.slash("ask", question="Who killed Trotsky?"))
        await press(double, message, "Helpful", 2)
        spy.answered = False  # the next question is one the corpus does not answer
        await first_followup(double, double.slash("ask", question="What is the capital of Peru?", user_n=3))
        summary = await first_followup(double, double.slash("qabot", subcommand="feedback", permissions=MANAGE_GUILD))
    text = summary["embeds"][0]["description"]
    assert summary["flags"] == EPHEMERAL and text.startswith("```")
    assert "Answers: 2 (1 answered, 1 not found in the corpus)" in text and "1 helpful, 0 not helpful" in text
    assert "What is the capital of Peru?" in text  # the most-asked unanswered questions


# -- mentions in questions ----------------------------------------------------------------


async def test_a_question_carrying_mentions_is_answered_as_if_they_were_not_there(
    fake_default_bot, double, state
) -> None:
    spy = Spy(fake_default_bot)
    clean = "What alias did Ramon Mercader use?"
    someone = {**user(7), "member": {"nick": "Ana", "roles": [], "joined_at": _now(), "deaf": False, "mute": False,
                                     "flags": 0}}
    noisy = f"{clean} @everyone @here <@&{MOD_ROLE_ID}> <#{OTHER_CHANNEL_ID}> <@{USER_BASE + 7}>"
    async with running(spy, double, state_dir=state):
        double.message(noisy, mentions=[someone], mention_roles=[MOD_ROLE_ID], mention_everyone=True)
        [reply] = await double.until(lambda: double.replies(CHANNEL_ID), what="the reply")
        slash = await first_followup(double, double.slash("ask", question=f"<@{BOT_ID}> {noisy}", user_n=2))
        double.message(f"What did <@{USER_BASE + 7}> say about Trotsky's guards?", mentions=[someone], user_n=3)
        await double.until(lambda: len(double.replies(CHANNEL_ID)) == 2, what="the second reply")
    assert [call[0] for call in spy.calls] == [clean, clean, "What did Ana say about Trotsky's guards?"]
    expected = answer_embed(fake_default_bot.ask(clean, k=10), 4).to_dict()
    assert reply.body["embeds"][0] == expected and slash["embeds"][0] == expected
    assert expected["description"] != NOT_FOUND
    assert_no_pings(double)


async def test_a_question_to_the_bots_own_role_is_answered_and_without_its_text_told_how_to_ask(
    fake_default_bot, double, state
) -> None:
    """Discord's mention picker offers the role it made for the bot beside the bot, under the same name: a question
    to that role (``<@&id>``, no user mention) is a question to the bot. Without the Message Content intent its text
    may not come: the asker is told how to ask, not left unanswered. Another role's mention is no question."""
    spy = Spy(fake_default_bot)
    own = 1_200_000_000_000_000_510
    double.more_roles = [{**role(own, "qabot", 0), "managed": True, "tags": {"bot_id": str(BOT_ID)}}]
    question = "What alias did Ramon Mercader use?"
    async with running(spy, double, state_dir=state, discord_message_content=True):
        double.message(f"<@&{own}> {question}", mention_bot=False, mention_roles=[own])
        [reply] = await double.until(lambda: double.replies(CHANNEL_ID), what="the answer to the role's mention")
        double.message(f"<@&{MOD_ROLE_ID}> {question}", mention_bot=False, mention_roles=[MOD_ROLE_ID], user_n=2)
        await asyncio.sleep(0.3)
    assert spy.calls == [(question, [])] and reply.body["embeds"][0]["description"] != NOT_FOUND
    async with running(spy, double, state_dir=state):  # no intent: Discord may send the text blank
        double.message(f"<@&{own}> {question}", mention_bot=False, mention_roles=[own], user_n=3)
        [told] = await double.until(lambda: double.replies(CHANNEL_ID)[1:], what="the notice to the role's mention")
        double.message("", channel_id=DM_CHANNEL_ID, mention_bot=False, user_n=4)  # a picture alone: no role in it
        [empty] = await double.until(lambda: double.replies(DM_CHANNEL_ID), what="the notice to a message of no text")
    assert "/ask" in told.body["content"] and "role" in told.body["content"] and len(spy.calls) == 1
    assert "role" not in empty.body["content"]
    assert_no_pings(double)


def test_an_address_at_here_or_everyone_is_no_mention() -> None:
    """``@here`` and ``@everyone`` are dropped as words, not out of an e-mail address or a domain."""
    assert clean_question("@here is support@here.org down? @everyone", bot_id=1) == "is support@here.org down?"
    assert clean_question("mail me at a@everyone.example or x@here.io", bot_id=1) == (
        "mail me at a@everyone.example or x@here.io")


def test_a_joiner_beside_a_mention_goes_with_the_mention() -> None:
    """A joiner kept inside a word (``strip_controls``) joins nothing once the mention beside it is dropped."""
    assert clean_question("<@5>\u200dWho killed Trotsky?\u200c<@&6>", bot_id=1) == "Who killed Trotsky?"
    assert clean_question("<@5> چطور می\u200cشود؟", bot_id=1) == "چطور می\u200cشود؟"


async def test_a_custom_emoji_in_a_question_is_asked_as_if_it_were_not_there(fake_default_bot, double, state) -> None:
    """A server's own emoji reaches the bot as ``<:name:id>`` (``<a:name:id>`` animated): searched for, its name and
    its 18-digit id were names the corpus never holds, and 25 of chat-dev's 39 answered questions with one after them
    were "not found". An emoji asks nothing: it is dropped, in a mention and in /ask alike."""
    spy = Spy(fake_default_bot)
    clean = "What alias did Ramon Mercader use?"
    async with running(spy, double, state_dir=state):
        double.message(f"<@{BOT_ID}> <a:wave:223456789012345678> {clean} <:pepe_sad:123456789012345678>")
        await double.until(lambda: double.replies(CHANNEL_ID), what="the reply")
        await first_followup(double, double.slash("ask", question=f"{clean}<:thonk:323456789012345678>", user_n=2))
    assert [call[0] for call in spy.calls] == [clean, clean]
    assert clean_question("<:pepe_sad:123456789012345678>", bot_id=1) == ""  # nothing asked: the door says so
    assert_no_pings(double)


async def test_a_member_a_slash_question_mentions_is_named_as_a_mention_names_them(
    fake_default_bot, double, state
) -> None:
    """A slash command's text brings no member with it: "what did @Ana say" was searched as "what did say" by /ask,
    in a server and in a direct message, while a mention named Ana. Now each door asks the same question."""
    spy = Spy(fake_default_bot)
    question = f"What did <@{USER_BASE + 7}> say about Trotsky's guards?"
    async with running(spy, double, state_dir=state):
        double.message(question, mentions=[user(7)], user_n=3)
        await double.until(lambda: double.replies(CHANNEL_ID), what="the reply")
        await first_followup(double, double.slash("ask", question=question, user_n=2))
        await first_followup(double, double.slash("ask", question=question, user_n=4, channel_id=DM_CHANNEL_ID))
    assert [call[0] for call in spy.calls] == ["What did user7 say about Trotsky's guards?"] * 3
    assert_no_pings(double)


# -- metrics ------------------------------------------------------------------------------


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    """The metrics endpoint, over HTTP, as {(sample name, labels): value}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        assert response.status == 200
        text = response.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_the_metrics_endpoint_counts_questions_votes_latency_and_the_index(
    make_corpus, fake_bot_for, double, state
) -> None:
    corpus = make_corpus({"a.txt": "Ramon Mercader killed Trotsky with an ice axe.\n\nNatalia Sedova was his wife.\n"})
    qa = fake_bot_for(corpus, answer_threshold=0.0)
    async with running(qa, double, state_dir=state, discord_cooldown_seconds=60,
                       discord_max_question_chars=60) as bot:
        server = bot.metrics.serve(0)
        try:
            message = await answer_of(double, double.slash("ask", question="Who killed Trotsky?"))
            cooled = double.slash("ask", question="Who was his wife?")  # the same user, too soon
            long = double.slash("ask", question="w " * 40, user_n=2)
            await double.until(lambda: double.sent("POST", f"/{cooled}/callback") and
                               double.sent("POST", f"/{long}/callback"))
            await press(double, message, "Helpful", 3)
            before = scrape(server.port)
            (corpus / "b.txt").write_text("Trotsky lived in Coyoacan.\n", encoding="utf-8")
            await asyncio.to_thread(qa.refresh)
            after = scrape(server.port)
        finally:
            server.close()

    def questions(outcome: str, reason: str = "") -> float:
        return before.get(("qabot_questions_total",
                           (("frontend", "slash"), ("outcome", outcome), ("reason", reason))), 0)

    assert questions("answered") == 1 and questions("refused", "cooldown") == 1
    assert questions("refused", "too_long") == 1 and questions("error") == 0
    assert before[("qabot_answer_seconds_count", (("frontend", "slash"),))] == 1
    assert before[("qabot_votes_total", (("value", "helpful"),))] == 1
    assert before[("qabot_votes_total", (("value", "not_helpful"),))] == 0
    assert before[("qabot_queue_waiting", ())] == 0 and before[("qabot_questions_in_progress", ())] == 0
    assert before[("qabot_index_passages", ())] == 1  # a.txt's two short paragraphs make one passage
    assert before[("qabot_index_documents", ())] == 1 and before[("qabot_index_rebuilds_total", ())] == 0
    assert after[("qabot_index_passages", ())] == 2 and after[("qabot_index_rebuilds_total", ())] == 1
    assert after[("qabot_index_last_build_timestamp_seconds", ())] >= before[
        ("qabot_index_last_build_timestamp_seconds", ())] > time.time() - 600


def test_a_metrics_port_in_use_stops_qabot_discord_before_the_index_is_built(make_corpus, tmp_path,
                                                                             fake_embedder) -> None:
    """The port was bound only once the index was loaded (or built: minutes, for a big corpus), so a port in use
    was told after that wait; now at once, in one line naming the settings, with nothing built."""
    corpus = make_corpus({"a.txt": "Ramon Mercader killed Trotsky with an ice axe.\n"})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings = load_settings(_env_file=None, corpus_dir=corpus, index_dir=tmp_path / "index", discord_token=TOKEN,
                                 metrics_port=taken.getsockname()[1], state_dir=tmp_path / "state")
        with pytest.raises(SettingsError, match=r"cannot serve metrics on 127\.0\.0\.1:\d+ \(QABOT_METRICS_ADDRESS, "
                                                r"QABOT_METRICS_PORT\): Address already in use"):
            run(settings, embedder=fake_embedder)
    assert not (tmp_path / "index").exists()


def test_qabot_discord_serves_metrics_on_the_configured_port(make_corpus, tmp_path, double, fake_embedder) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    corpus = make_corpus({"a.txt": "Ramon Mercader killed Trotsky with an ice axe.\n"})
    settings = load_settings(_env_file=None, corpus_dir=corpus, index_dir=tmp_path / "index", discord_token=TOKEN,
                             metrics_port=port, state_dir=tmp_path / "state")
    scraped: list[dict] = []

    def user() -> None:
        try:
            double.until_sync(lambda: double.identifies and double.sessions[0].connection, timeout=120)
            token = double.slash("ask", question="Who killed Trotsky?")
            double.until_sync(lambda: double.followups(token))
            # the question is counted just after its answer goes out, so the scrape may come first: ask again
            scraped.append(double.until_sync(lambda: (sample := scrape(port)).get(answered) and sample,
                                             what="the answered question counted"))
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    answered = ("qabot_questions_total", (("frontend", "slash"), ("outcome", "answered"), ("reason", "")))
    threading.Thread(target=user, daemon=True).start()
    run(settings, embedder=fake_embedder)
    assert scraped and scraped[0][answered] == 1 and scraped[0][("qabot_index_passages", ())] == 1
    with pytest.raises(OSError):  # closed with the bot
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2)
