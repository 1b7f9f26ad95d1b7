"""The Discord bot, driven through the real discord.py client against a loopback Discord.

Each test starts the bot that ``build_bot`` returns, unmodified, against ``DiscordDouble``
(tests/discord_double.py): REST by pointing ``discord.http.Route.BASE`` at it, the
gateway through its ``GET /gateway/bot``. Questions arrive as real INTERACTION_CREATE and
MESSAGE_CREATE events; the assertions are on the HTTP requests discord.py really sends.
Answers come from the real core over the default corpus, on the fake embedder
(``fake_default_bot``): what is tested is the bot, not the ranking. The ``Spy`` wrapper
records what the bot asked, and can slow the core down, make it fail, or turn its
answer into an abstention or an oversized one.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
import yarl
from discord.ext import commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from qabot.adapters.discord.answers import BUSY
from qabot.adapters.discord.bot import bot_token
from qabot.adapters.discord.cog import APOLOGY, EMPTY_DM, NOT_HERE
from qabot.adapters.discord.format import NOT_FOUND, answer_embed, more_embed
from qabot.adapters.discord_bot import build_bot, run, serve
from qabot.errors import QABotError, SettingsError
from qabot.settings import load_settings
from tests.conftest import FAKE_QABOT, QABOT
from tests.discord_double import (
    APPLICATION_ID,
    BOT_USER,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    EPHEMERAL,
    GUILD_ID,
    MESSAGE_CONTENT_INTENT,
    MOD_ROLE_ID,
    OTHER_CHANNEL_ID,
    THREAD_ID,
    USER_BASE,
    DiscordDouble,
)
from tests.test_discord_format import assert_within_limits, oversized

TOKEN = "MTIwMDAwMDAwMDAwMDAwMDAwMQ.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"
NO_PINGS = {"parse": []}
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | MESSAGE_CONTENT_INTENT  # members, presences, message content


class Spy:
    """The real QABot, recording each question and its history; it can also be slow, fail, or bloat answers."""

    def __init__(
        self, qa: Any, *, delay: float = 0.0, fail_on: str | None = None, inflate: bool = False, answered: bool = True
    ) -> None:
        self.qa = qa
        self.answered = answered
        self.delay = delay
        self.fail_on = fail_on
        self.inflate = inflate
        self.calls: list[tuple[str, list[str]]] = []
        self.scopes: list[Any] = []  # the sources each question was kept to
        self.running = 0  # questions being answered right now, and the most there ever were
        self.most_at_once = 0
        self.listings = 0  # calls to sources()
        self._lock = threading.Lock()

    def ask(self, question: str, k: int | None = None, history: list[str] | None = None, sources=None):
        self.calls.append((question, list(history or [])))
        self.scopes.append(sources)
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            if self.delay:
                time.sleep(self.delay)  # blocks its thread, as slow retrieval would
        finally:
            with self._lock:
                self.running -= 1
        if self.fail_on and self.fail_on in question:
            raise RuntimeError("the index exploded")
        answer = self.qa.ask(question, k=k, history=history, sources=sources)
        if not self.answered:
            answer = answer.model_copy(update={"answered": False})
        return oversized(answer) if self.inflate else answer

    def sources(self, sources=None):
        self.listings += 1
        return self.qa.sources(sources)

    def __getattr__(self, name: str) -> Any:  # manifest, refresh, settings, ...: the real bot's
        return getattr(self.qa, name)


@pytest.fixture
def discord_api(monkeypatch: pytest.MonkeyPatch):
    """Start Discord doubles and point discord.py at the latest one."""
    made: list[DiscordDouble] = []

    def make(**options: Any) -> DiscordDouble:
        double = DiscordDouble(**options).start()
        monkeypatch.setattr(Route, "BASE", double.api)
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(double.gateway))
        made.append(double)
        return double

    yield make
    for double in made:
        double.stop()


@pytest.fixture
def double(discord_api) -> DiscordDouble:
    return discord_api()


@contextlib.asynccontextmanager
async def running(qa: Any, double: DiscordDouble, **settings: Any) -> AsyncIterator[commands.Bot]:
    """The bot from ``build_bot``, connected to ``double`` (no cooldown unless asked for)."""
    bot = build_bot(qa, load_settings(_env_file=None, **{"discord_cooldown_seconds": 0, **settings}),
                    guild_ready_timeout=0.05)
    bot.before_identify_hook = _no_identify_pacing  # Discord's 5 s between shard logins; the double has no such limit
    task = asyncio.create_task(bot.start(TOKEN))
    try:
        await double.until(lambda: bot.is_ready() or task.done(), what="the bot to connect")
        if task.done():
            task.result()
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _no_identify_pacing(_shard_id: int | None, *, initial: bool = False) -> None:
    return None


async def first_followup(double: DiscordDouble, token: str) -> dict[str, Any]:
    return (await double.until(lambda: double.followups(token), what=f"a follow-up to {token}"))[0].body


def sent_messages(double: DiscordDouble) -> list[dict[str, Any]]:
    """Every message body the bot sent: interaction responses, follow-ups, channel messages, edits."""
    bodies = []
    for request in list(double.requests):
        body = request.body if isinstance(request.body, dict) else {}
        if request.path.endswith("/callback"):
            body = body.get("data") or {}
        if "content" in body or "embeds" in body:
            bodies.append(body)
    return bodies


def labels(message: dict[str, Any]) -> list[str]:
    """The labels of a message's buttons, in order."""
    return [button.get("label") for row in message.get("components") or [] for button in row["components"]]


def assert_no_pings(double: DiscordDouble) -> None:
    bodies = sent_messages(double)
    assert bodies
    assert all(body.get("allowed_mentions") == NO_PINGS for body in bodies), [b.get("allowed_mentions") for b in bodies]


# -- /ask ---------------------------------------------------------------------------------


async def test_slash_ask_defers_then_answers_with_a_cited_embed_and_more_sources(fake_default_bot, double) -> None:
    expected = fake_default_bot.ask("Who killed Trotsky?", k=10)
    async with running(fake_default_bot, double):
        token = double.slash("ask", question="Who killed Trotsky?")
        answer = await first_followup(double, token)
        followup = double.followups(token)[0]
        [defer] = double.callbacks()
        assert defer.body == {"type": 5} and defer.time < followup.time  # deferred first: "thinking..."

        embed = answer["embeds"][0]
        assert embed == answer_embed(expected, shown=4).to_dict()  # the real core's answer, as formatted
        assert "**" in embed["description"] and embed["title"] == "Who killed Trotsky?"
        assert embed["fields"][0]["name"] == "Source"
        assert expected.excerpts[0].citation.source in embed["fields"][0]["value"]
        assert [f["name"][:3] for f in embed["fields"][1:]] == ["[2]", "[3]", "[4]"]
        assert_within_limits(discord.Embed.from_dict(embed))
        assert labels(answer) == ["More sources", "Helpful", "Not helpful"]

        click = double.click(followup.response, user_n=2, label="More sources")  # someone else presses it
        [more] = await double.until(lambda: double.sent("POST", f"/{click}/callback"), what="the More sources reply")
        assert more.body["type"] == 4 and more.body["data"]["flags"] == EPHEMERAL
        assert more.body["data"]["embeds"][0] == more_embed(expected, first=4).to_dict()
        assert [f["name"][:3] for f in more.body["data"]["embeds"][0]["fields"]][:2] == ["[5]", "[6]"]
    assert_no_pings(double)


async def test_answers_past_the_retention_go_within_the_hour_while_nobody_asks_anything(
        fake_default_bot, double, tmp_path, monkeypatch) -> None:
    """``QABOT_STATE_RETENTION_DAYS``: answers older than that are deleted when the bot starts and hourly after,
    whether or not anyone asks the bot anything meanwhile (a quiet server's bot runs for weeks)."""
    from qabot.feedback import FeedbackStore
    from tests.answers import answer

    monkeypatch.setattr(FeedbackStore, "PRUNE_SECONDS", 0.5)  # the hour, shortened
    kept = FeedbackStore(tmp_path / "state")  # another process's view of the folder: it prunes nothing
    soon = time.time() - 86400 + 2  # a day old in two seconds
    kept.record(answer("Which eyepiece did Ana lend?"), frontend="slash", user="ana", guild_id=GUILD_ID, at=soon)
    async with running(fake_default_bot, double, state_dir=tmp_path / "state", state_retention_days=1):
        await double.until(lambda: not kept.answers(), timeout=15, what="the answer past the retention to go")
    kept.close()


async def test_k_shows_that_many_sources(fake_default_bot, double) -> None:
    async with running(fake_default_bot, double):
        few = await first_followup(double, double.slash("ask", question="What weapon was used?", k=1))
        many = await first_followup(double, double.slash("ask", question="What weapon was used?", k=10, user_n=2))
    assert [f["name"] for f in few["embeds"][0]["fields"]] == ["Source"]
    assert "More sources" in labels(few)  # the other nine are behind the button
    assert len(many["embeds"][0]["fields"]) == 10 and labels(many) == ["Helpful", "Not helpful"]  # all shown


async def test_an_unanswerable_question_is_said_plainly(fake_default_bot, double) -> None:
    async with running(Spy(fake_default_bot, answered=False), double):
        answer = await first_followup(double, double.slash("ask", question="What is the capital of Australia?"))
    embed = answer["embeds"][0]
    assert embed["description"] == NOT_FOUND
    assert not embed.get("fields") and labels(answer) == ["Helpful", "Not helpful"]  # nothing more to show


async def test_commands_sync_to_the_configured_guilds_or_globally(fake_default_bot, discord_api) -> None:
    double = discord_api()
    async with running(fake_default_bot, double, discord_guild_ids=[GUILD_ID]):
        pass
    [synced] = double.sent("PUT", "/commands")
    assert synced.path == f"/applications/{APPLICATION_ID}/guilds/{GUILD_ID}/commands"
    by_name = {c["name"]: c for c in synced.body}
    assert set(by_name) == {"ask", "sources", "help", "qabot", "Ask qabot"}
    options = {o["name"]: o for o in by_name["ask"]["options"]}
    assert options["question"]["type"] == 3 and options["question"]["required"]
    assert options["k"]["type"] == 4 and (options["k"]["min_value"], options["k"]["max_value"]) == (1, 10)
    # Installed by a server only, and used in a server or a DM with the bot, never in a group DM (context 2), where
    # the door would take the group for the asker alone and quote what only they may read.
    assert {(c["name"], tuple(c["integration_types"]), tuple(c["contexts"])) for c in synced.body} == {
        (name, (0,), (0,) if name == "qabot" else (0, 1)) for name in by_name}  # /qabot: in a server only

    double = discord_api()
    async with running(fake_default_bot, double):
        pass
    assert [r.path for r in double.sent("PUT", "/commands")] == [f"/applications/{APPLICATION_ID}/commands"]


async def test_sources_and_help(fake_default_bot, double) -> None:
    async with running(fake_default_bot, double):
        listing = await first_followup(double, double.slash("sources"))
        help_token = double.slash("help")
        [shown] = await double.until(lambda: double.sent("POST", f"/{help_token}/callback"))
    assert listing["flags"] == EPHEMERAL
    for source in fake_default_bot.sources():
        assert source.source in listing["embeds"][0]["description"]
    assert shown.body["type"] == 4 and shown.body["data"]["flags"] == EPHEMERAL
    assert "/ask" in str(shown.body["data"]["embeds"])
    assert_no_pings(double)


async def test_sources_is_held_to_the_cooldown_and_the_queue_as_a_question_is(fake_default_bot, double) -> None:
    """Listing the sources is work for the bot as a question is: a member repeating ``/sources`` is refused privately
    until their cooldown is over, and a full queue refuses it as it refuses a question, instead of each one listing."""
    spy = Spy(fake_default_bot, delay=1.0)
    async with running(spy, double, discord_cooldown_seconds=30, discord_max_concurrent=1, discord_queue_limit=1):
        started = spy.listings  # what the bot listed as it started
        listing = await first_followup(double, double.slash("sources"))
        again = double.slash("sources")
        [cooled] = await double.until(lambda: double.sent("POST", f"/{again}/callback"))
        asked = double.slash("ask", question="Who killed Trotsky?", user_n=2)
        waiting = double.slash("ask", question="What weapon was used?", user_n=4)
        await double.until(lambda: spy.running == 1 and double.sent("POST", f"/{waiting}/callback"),
                           what="the one answer slot taken, and the one place in the queue")
        crowded = double.slash("sources", user_n=3)
        [busy] = await double.until(lambda: double.sent("POST", f"/{crowded}/callback"))
        assert (await first_followup(double, asked))["embeds"] and (await first_followup(double, waiting))["embeds"]
    assert fake_default_bot.sources()[0].source in listing["embeds"][0]["description"]
    assert cooled.body["type"] == 4 and cooled.body["data"]["flags"] == EPHEMERAL
    assert "ask again in" in cooled.body["data"]["content"]
    assert busy.body["data"]["content"] == BUSY and busy.body["data"]["flags"] == EPHEMERAL
    assert spy.listings == started + 1 and not double.followups(again) and not double.followups(crowded)
    assert_no_pings(double)


# -- mentions and direct messages ---------------------------------------------------------


async def test_a_mention_gets_a_reply_and_other_messages_are_left_alone(fake_default_bot, double) -> None:
    expected = fake_default_bot.ask("Who killed Trotsky?", k=10)
    async with running(fake_default_bot, double):
        double.message("who killed Trotsky?", mention_bot=False)  # not for the bot: its text is withheld
        double.message("<@999> who killed Trotsky?", author={**BOT_USER, "id": "999", "username": "otherbot"})
        question = double.message("Who killed Trotsky?")
        [reply] = await double.until(lambda: double.replies(CHANNEL_ID), what="the reply")
        await asyncio.sleep(0.2)
    assert len(double.replies()) == 1  # only the mention was answered
    assert reply.body["message_reference"]["message_id"] == int(question["id"])
    assert reply.body["embeds"][0] == answer_embed(expected, shown=4).to_dict()
    assert reply.body["components"][0]["components"][0]["label"] == "More sources"
    assert not double.identifies[0]["intents"] & PRIVILEGED_INTENTS  # mentions need no privileged intent
    assert_no_pings(double)


async def test_direct_messages_are_answered_unless_turned_off(fake_default_bot, discord_api) -> None:
    double = discord_api()
    async with running(fake_default_bot, double):
        double.message("Where did Trotsky live in exile?", channel_id=DM_CHANNEL_ID, mention_bot=False)
        [reply] = await double.until(lambda: double.replies(DM_CHANNEL_ID), what="the reply")
    assert "exile" in reply.body["embeds"][0]["description"]

    double = discord_api()
    async with running(fake_default_bot, double, discord_dms=False):
        double.message("Where did Trotsky live in exile?", channel_id=DM_CHANNEL_ID, mention_bot=False)
        await asyncio.sleep(0.5)
    assert not double.replies()


async def test_a_direct_message_with_no_words_is_asked_for_words_not_for_a_mention(fake_default_bot, double) -> None:
    """A direct message of a sticker or an emoji alone asks nothing: it was told to "ask me something after the
    mention", where no mention is needed."""
    async with running(fake_default_bot, double):
        double.message("<:wave:123456789012345678>", channel_id=DM_CHANNEL_ID, mention_bot=False)
        [reply] = await double.until(lambda: double.replies(DM_CHANNEL_ID), what="the reply")
    assert reply.body["content"] == EMPTY_DM and "mention" not in reply.body["content"]
    assert not reply.body.get("embeds")


async def test_follow_ups_in_a_thread_and_a_reply_chain_pass_the_earlier_questions(fake_default_bot, double) -> None:
    spy = Spy(fake_default_bot)
    async with running(spy, double):
        # in a thread: the slash question, then a mention that leans on it
        await first_followup(double, double.slash("ask", question="Who killed Trotsky?", channel_id=THREAD_ID))
        double.message("When did he die?", channel_id=THREAD_ID)
        [in_thread] = await double.until(lambda: double.replies(THREAD_ID), what="the thread reply")
        assert spy.calls[-1] == ("When did he die?", ["Who killed Trotsky?"])
        assert "1940" in in_thread.body["embeds"][0]["description"]

        # in a channel: replying to one of the bot's answers continues that conversation
        double.message("Who was Ramon Mercader?")
        [answer] = await double.until(lambda: double.replies(CHANNEL_ID), what="the answer")
        double.message("What alias did he use?", reply_to=answer.response)
        await double.until(lambda: len(double.replies(CHANNEL_ID)) == 2, what="the follow-up answer")
        assert spy.calls[-1] == ("What alias did he use?", ["Who was Ramon Mercader?"])

        double.message("What weapon was used?")  # a new question in the channel stands alone
        await double.until(lambda: len(double.replies(CHANNEL_ID)) == 3, what="the third answer")
        assert spy.calls[-1] == ("What weapon was used?", [])

    # after a restart the bot has forgotten, but a reply still carries the answer it replies to
    async with running(spy, double):
        double.message("Where was he born?", reply_to=answer.response)
        await double.until(lambda: len(double.replies(CHANNEL_ID)) == 4, what="the answer after the restart")
    assert spy.calls[-1] == ("Where was he born?", ["Who was Ramon Mercader?"])


# -- safety and limits --------------------------------------------------------------------


async def test_no_one_is_ever_pinged_by_quoted_text_or_an_echoed_question(make_corpus, fake_bot_for, double) -> None:
    user_mention = f"<@{USER_BASE + 7}>"
    role_mention = f"<@&{MOD_ROLE_ID}>"
    corpus = make_corpus(
        {
            "raid.txt": (
                f"The guard shouted @everyone and @here, then {role_mention} and {user_mention}, "
                "when Ramon Mercader struck Trotsky with an ice axe.\n\n"
                "Natalia Sedova was Trotsky's wife.\n"
            )
        }
    )
    qa = fake_bot_for(corpus)
    question = f"Who struck Trotsky? @everyone @here {role_mention} {user_mention}"
    async with running(qa, double, discord_cooldown_seconds=60):
        answer = await first_followup(double, double.slash("ask", question=question))
        double.message(question, user_n=3)
        double.message(question, channel_id=DM_CHANNEL_ID, mention_bot=False, user_n=2)
        await double.until(lambda: len(double.replies()) == 2, what="the replies")
        refused = double.slash("ask", question=question)  # the cooldown notice echoes nothing, but check it too
        await double.until(lambda: double.sent("POST", f"/{refused}/callback"))
    shown = str(answer["embeds"]) + str([r.body["embeds"] for r in double.replies()])
    assert shown.count("@everyone") == 3 and role_mention in shown and user_mention in shown  # quoted ...
    assert {e["title"] for e in [answer["embeds"][0], *(r.body["embeds"][0] for r in double.replies())]} == {
        "Who struck Trotsky?"}  # ... but not echoed: the question is asked without them
    assert len(sent_messages(double)) == 4
    assert_no_pings(double)  # ... and every message forbids every ping


async def test_a_folder_of_pdf_html_docx_and_exports_is_answered_with_links(tmp_path, fake_bot_for, double) -> None:
    from tests import documents

    corpus = tmp_path / "formats"
    corpus.mkdir()
    documents.write_pdf(corpus / "manual.pdf", labels=True)
    documents.write_html(corpus / "install.html")
    documents.write_docx(corpus / "minutes.docx")
    chat = [*documents.CHAT, documents.message("1006", "Dan", "@everyone the glob tool 2.0 is out, upgrade with pip",
                                              "2024-05-02T08:31:00+00:00")]
    documents.write_export(corpus / "help.json", chat)
    qa = fake_bot_for(corpus, answer_threshold=0.0)
    async with running(qa, double):
        html = await first_followup(double, double.slash("ask", question="How is the glob tool installed with pip?"))
        pdf = await first_followup(double, double.slash("ask", question="Where does every project keep patterns.glob?",
                                                        user_n=2))
        chat = await first_followup(double, double.slash("ask", question="Is glob tool 2.0 out everyone upgrade?",
                                                         user_n=3))
    source = html["embeds"][0]["fields"][0]["value"]
    assert source.startswith("**[Installing the glob tool](<https://docs.example.org/glob/install.html#installing:~:text=")
    assert "`manual.pdf`, p. 2, § 2.4. The glob files" in pdf["embeds"][0]["fields"][0]["value"]
    assert "(<https://discord.com/channels/81384788765712384/381889648827301889/1006>)" in (
        chat["embeds"][0]["fields"][0]["value"])
    assert "@everyone" in chat["embeds"][0]["description"]
    assert_no_pings(double)


async def test_oversized_excerpts_are_cut_to_discords_limits(fake_default_bot, double) -> None:
    async with running(Spy(fake_default_bot, inflate=True), double):
        answer = await first_followup(double, double.slash("ask", question="Who killed Trotsky?", k=10))
        double.message("Who killed Trotsky?")
        [reply] = await double.until(lambda: double.replies(), what="the reply")
        click = double.click(reply.response, user_n=2)
        [more] = await double.until(lambda: double.sent("POST", f"/{click}/callback"))
    for embed in (answer["embeds"][0], reply.body["embeds"][0]):
        assert_within_limits(discord.Embed.from_dict(embed))
        assert embed["description"].count("**") == 2 and "…" in embed["description"]
    assert_within_limits(discord.Embed.from_dict(more.body["data"]["embeds"][0]))
    assert not double.refused  # and Discord took them


async def test_the_double_refuses_what_discord_refuses(fake_default_bot, double) -> None:
    """The double checks Discord's limits, so a message the bot sends within them is one Discord would take."""
    async with running(fake_default_bot, double) as bot:
        channel = bot.get_channel(CHANNEL_ID)
        with pytest.raises(discord.HTTPException) as long:
            await channel.send("x" * 2001)
        big = discord.Embed(title="t", description="d" * 4096)
        for n in range(2):
            big.add_field(name=f"f{n}", value="v" * 1024)
        with pytest.raises(discord.HTTPException) as total:
            await channel.send(embed=big)  # each part within its limit, 6,000 exceeded in all
        with pytest.raises(discord.HTTPException) as blank:
            await channel.send(embed=discord.Embed(title="t").add_field(name="n", value=" "))
        await channel.send("x" * 2000, embed=discord.Embed(description="d" * 4096))  # at the limits: taken
    assert (long.value.status, long.value.code) == (400, 50035) and "content" in long.value.text
    assert total.value.code == 50035 and "6000" in total.value.text
    assert blank.value.code == 50035 and "required" in blank.value.text
    assert len(double.refused) == 3 and len(double.replies(CHANNEL_ID)) == 1


async def test_cooldown_and_question_length_are_refused_privately(fake_default_bot, double) -> None:
    async with running(fake_default_bot, double, discord_cooldown_seconds=30, discord_max_question_chars=100):
        await first_followup(double, double.slash("ask", question="Who killed Trotsky?"))
        again = double.slash("ask", question="What weapon was used?")
        other_user = double.slash("ask", question="What weapon was used?", user_n=2)
        long = double.slash("ask", question="w" * 160, user_n=3)
        await first_followup(double, other_user)
        [cooled] = await double.until(lambda: double.sent("POST", f"/{again}/callback"))
        [too_long] = await double.until(lambda: double.sent("POST", f"/{long}/callback"))
        double.message("Who killed Trotsky?", user_n=4)
        double.message("And who was Jacson?", user_n=4)  # too soon by mention: a reply, not ephemeral
        await double.until(lambda: len(double.replies()) == 2, what="two replies")
    for refusal, words in ((cooled, "ask again in"), (too_long, "160 characters long; I take up to 100")):
        assert refusal.body["type"] == 4 and refusal.body["data"]["flags"] == EPHEMERAL
        assert words in refusal.body["data"]["content"]
    assert not double.followups(again) and not double.followups(long)
    [notice] = [r for r in double.replies() if r.body.get("content")]
    [answered] = [r for r in double.replies() if r.body.get("embeds")]
    assert "ask again in" in notice.body["content"] and answered.body["embeds"][0]["title"] == "Who killed Trotsky?"
    assert_no_pings(double)


async def test_allow_lists_keep_the_bot_to_its_channels(fake_default_bot, double) -> None:
    async with running(fake_default_bot, double, discord_allowed_channel_ids=[OTHER_CHANNEL_ID]):
        elsewhere = double.slash("ask", question="Who killed Trotsky?", channel_id=CHANNEL_ID)
        [refused] = await double.until(lambda: double.sent("POST", f"/{elsewhere}/callback"))
        double.message("Who killed Trotsky?", channel_id=CHANNEL_ID)
        allowed = double.slash("ask", question="Who killed Trotsky?", channel_id=OTHER_CHANNEL_ID, user_n=2)
        await first_followup(double, allowed)
        await asyncio.sleep(0.3)
    assert refused.body["data"] == {"content": NOT_HERE, "flags": EPHEMERAL, "allowed_mentions": NO_PINGS,
                                    "tts": False}
    assert not double.replies()

    # a thread belongs to its channel; a guild not on the list gets nothing
    async with running(fake_default_bot, double, discord_allowed_channel_ids=[CHANNEL_ID]):
        await first_followup(double, double.slash("ask", question="Who killed Trotsky?", channel_id=THREAD_ID))
    async with running(fake_default_bot, double, discord_allowed_guild_ids=[GUILD_ID + 1]):
        token = double.slash("ask", question="Who killed Trotsky?")
        [refused] = await double.until(lambda: double.sent("POST", f"/{token}/callback"))
    assert refused.body["data"]["content"] == NOT_HERE


async def test_an_error_in_retrieval_is_logged_answered_with_an_apology_and_the_bot_goes_on(
    fake_default_bot, double, caplog
) -> None:
    caplog.set_level(logging.ERROR, logger="qabot")
    async with running(Spy(fake_default_bot, fail_on="explode"), double):
        failed = await first_followup(double, double.slash("ask", question="Does the index explode?"))
        double.message("Will it explode again?")
        [apology] = await double.until(lambda: double.replies(), what="the apology")
        after = await first_followup(double, double.slash("ask", question="Who killed Trotsky?", user_n=2))
    assert failed["content"] == APOLOGY and apology.body["content"] == APOLOGY
    assert after["embeds"][0]["description"]  # still answering
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.name.startswith("qabot.adapters")]
    assert len(errors) == 2 and all(isinstance(r.exc_info[1], RuntimeError) for r in errors)
    assert TOKEN not in caplog.text
    assert_no_pings(double)


# -- load and connection ------------------------------------------------------------------


async def test_a_burst_of_50_is_answered_or_politely_refused_and_the_bot_stays_connected(
    fake_default_bot, discord_api
) -> None:
    double = discord_api(heartbeat_interval=0.2)
    spy = Spy(fake_default_bot, delay=0.1)
    questions = ["Who killed Trotsky?", "What weapon was used?", "Where did Trotsky live in exile?"]

    async with running(spy, double, discord_max_concurrent=2, discord_queue_limit=18):
        await double.until(lambda: double.heartbeats, what="a first heartbeat")
        start = time.monotonic()
        tokens = [double.slash("ask", question=questions[n % 3], user_n=n) for n in range(1, 51)]

        def finished() -> bool:
            return all(double.followups(t) or double.sent("POST", f"/{t}/callback") and
                       double.sent("POST", f"/{t}/callback")[0].body["type"] == 4 for t in tokens)

        await double.until(finished, timeout=60, what="every question to be answered or refused")
        end = time.monotonic()
    answered = [t for t in tokens if double.followups(t)]
    refused = [t for t in tokens if not double.followups(t)]
    assert len(answered) == 20 and len(refused) == 30  # 2 at once + 18 waiting; the rest politely refused
    assert all(double.followups(t)[0].body["embeds"][0]["description"] for t in answered)
    for token in refused:
        [callback] = double.sent("POST", f"/{token}/callback")
        assert callback.body["data"]["content"] == BUSY and callback.body["data"]["flags"] == EPHEMERAL
    defers = [double.sent("POST", f"/{t}/callback")[0].time for t in answered]
    first_answer = min(double.followups(t)[0].time for t in answered)
    assert max(defers) < first_answer  # every accepted question was deferred at once, not when its turn came
    assert len(spy.calls) == 20 and spy.most_at_once == 2  # slow retrieval, 2 at a time

    beats = [t for t in double.heartbeats if start <= t <= end]
    # Heartbeats kept coming every 0.2 s during the burst: retrieval never held up the event
    # loop. (Retrieval on the loop itself gives one beat in the whole burst.) The margins
    # allow for a machine busy with other work, where a beat can come late.
    assert len(beats) >= 0.5 * (end - start) / 0.2
    assert max(b - a for a, b in itertools.pairwise(beats)) < 1.0
    assert len(double.identifies) == 1 and not double.resumes  # never disconnected


async def test_a_vote_is_answered_in_time_while_every_answer_slot_is_busy(fake_default_bot, discord_api) -> None:
    """Retrieval runs in worker threads, as many at once as QABOT_DISCORD_MAX_CONCURRENT (up to 64), each for seconds
    on a busy bot. A press that needs only the state database, a vote, still gets its reply within the 3 s Discord
    gives it: the answers' threads do not take the ones the rest of the bot works in."""
    double = discord_api()
    double.interaction_seconds = 3.0  # as Discord
    spy = Spy(fake_default_bot, delay=4.0)
    async with running(spy, double, discord_max_concurrent=40, discord_queue_limit=1):
        first = double.slash("ask", question="Who killed Trotsky?", user_n=1)
        answer = (await double.until(lambda: double.followups(first), timeout=15, what="the first answer"))[0]
        tokens = [double.slash("ask", question="What weapon was used?", user_n=n) for n in range(2, 42)]
        await double.until(lambda: spy.running == 40, timeout=10, what="every answer slot busy")
        pressed = double.click(answer.response, user_n=50, label="Helpful")
        reply = await double.until(lambda: double.responses_to(pressed) or pressed in double.expired, timeout=10,
                                   what="the vote's reply")
        await double.until(lambda: all(double.followups(t) for t in tokens), timeout=30, what="every answer")
    assert pressed not in double.expired and "helpful" in str(reply)


async def test_the_bot_resumes_after_the_gateway_drops_it(fake_default_bot, double) -> None:
    async with running(fake_default_bot, double):
        await first_followup(double, double.slash("ask", question="Who killed Trotsky?"))
        double.drop(code=4000)
        missed = double.slash("ask", question="What weapon was used?", user_n=2)  # sent while it is away
        [resume] = await double.until(lambda: double.resumes, what="a RESUME")
        await first_followup(double, missed)
        after = await first_followup(double, double.slash("ask", question="Where did Trotsky live in exile?", user_n=3))
    assert resume["session_id"] == "session-1" and resume["token"] == TOKEN and resume["seq"] >= 3
    assert "exile" in after["embeds"][0]["description"]
    assert len(double.identifies) == 1  # resumed, not re-identified


async def test_sharding_is_discord_pys_own(fake_default_bot, discord_api) -> None:
    other_guild = GUILD_ID + (1 << 22)  # lands on the other of two shards
    double = discord_api(shards=2, guild_ids=(GUILD_ID, other_guild))
    shard = (GUILD_ID >> 22) % 2
    async with running(fake_default_bot, double) as bot:
        assert isinstance(bot, commands.AutoShardedBot) and isinstance(bot, commands.Bot)
        await double.until(lambda: len(bot.guilds) == 2, what="both guilds")
        assert sorted(i["shard"] for i in double.identifies) == [[0, 2], [1, 2]]
        assert bot.get_guild(other_guild).shard_id != bot.get_guild(GUILD_ID).shard_id
        await first_followup(double, double.slash("ask", question="Who killed Trotsky?", shard=shard))

    # several processes: each runs its own shard ids out of the total
    bot = build_bot(fake_default_bot, load_settings(_env_file=None, discord_shard_count=4, discord_shard_ids="1,3"))
    assert (bot.shard_count, bot.shard_ids) == (4, [1, 3])


def test_build_bot_returns_a_complete_bot_without_starting_it(fake_default_bot) -> None:
    bot = build_bot(fake_default_bot, load_settings(_env_file=None))
    assert isinstance(bot, commands.Bot) and not bot.is_ready()
    assert sorted(c.name for c in bot.tree.get_commands(type=discord.AppCommandType.chat_input)) == [
        "ask", "help", "qabot", "sources"]
    assert [c.name for c in bot.tree.get_commands(type=discord.AppCommandType.message)] == ["Ask qabot"]
    assert bot.allowed_mentions.everyone is False and bot.allowed_mentions.roles is False
    assert bot.intents.message_content is False


# -- starting and stopping ----------------------------------------------------------------


async def test_sigint_closes_the_bot_cleanly(fake_default_bot, double) -> None:
    bot = build_bot(fake_default_bot, load_settings(_env_file=None), guild_ready_timeout=0.05)
    serving = asyncio.create_task(serve(bot, TOKEN))
    await double.until(lambda: bot.is_ready(), what="the bot to connect")
    os.kill(os.getpid(), signal.SIGINT)
    await asyncio.wait_for(serving, 10)
    assert bot.is_closed()


def test_run_builds_the_index_before_connecting_and_stops_on_sigterm(make_corpus, tmp_path, double, fake_embedder) -> None:
    corpus = make_corpus({"a.txt": "Ramon Mercader killed Trotsky with an ice axe.\n\nNatalia Sedova was his wife.\n"})
    index = tmp_path / "index"
    settings = load_settings(_env_file=None, corpus_dir=corpus, index_dir=index, discord_token=TOKEN)
    answers: list[dict[str, Any]] = []

    def user() -> None:  # in another thread, as a Discord user would be
        try:
            double.until_sync(lambda: double.identifies and double.sessions[0].connection, timeout=120)
            token = double.slash("ask", question="Who killed Trotsky?")
            answers.append(double.until_sync(lambda: double.followups(token))[0].body)
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=user, daemon=True).start()
    run(settings, embedder=fake_embedder)  # returns once SIGTERM has closed the bot
    manifest = index / "manifest.json"
    assert manifest.exists() and manifest.stat().st_mtime <= double.requests[0].wall
    assert "Mercader" in answers[0]["embeds"][0]["description"]


async def test_a_token_discord_rejects_is_one_line_that_never_shows_it(fake_default_bot, discord_api) -> None:
    double = discord_api(token="MTIwMDAwMDAwMDAwMDAwMDAwMQ.GhIjKl.the-real-one-is-different-000000")
    bot = build_bot(fake_default_bot, load_settings(_env_file=None))
    with pytest.raises(SettingsError) as caught:
        await asyncio.wait_for(serve(bot, TOKEN), 20)
    assert "rejected QABOT_DISCORD_TOKEN" in str(caught.value) and TOKEN not in str(caught.value)
    assert bot.is_closed() and not double.identifies


async def test_a_well_formed_token_discord_rejects_is_called_rejected_not_malformed(
    fake_default_bot, discord_api
) -> None:
    token = "MTIz.abc.def-short"  # three parts: the shape of a token, but shorter than Discord's, and unknown to it
    assert bot_token(load_settings(_env_file=None, discord_token=token)) == token
    double = discord_api(token=TOKEN)
    bot = build_bot(fake_default_bot, load_settings(_env_file=None))
    with pytest.raises(SettingsError) as caught:
        await asyncio.wait_for(serve(bot, token), 20)
    assert str(caught.value).startswith("Discord rejected QABOT_DISCORD_TOKEN") and token not in str(caught.value)
    assert bot.is_closed() and not double.identifies


async def test_discord_out_of_reach_is_one_line_that_says_so(fake_default_bot, monkeypatch) -> None:
    # No network (a DNS failure, a refused connection): "cannot reach Discord", not "unexpected ClientConnectorError".
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setattr(Route, "BASE", f"http://127.0.0.1:{port}/api/v10")
    bot = build_bot(fake_default_bot, load_settings(_env_file=None))
    with pytest.raises(QABotError) as caught:
        await asyncio.wait_for(serve(bot, TOKEN), 20)
    message = str(caught.value)
    assert message.startswith(f"cannot reach Discord (Cannot connect to host 127.0.0.1:{port}")
    assert message.endswith("check this machine's network") and "\n" not in message and TOKEN not in message
    assert bot.is_closed()


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (None, "QABOT_DISCORD_TOKEN is not set"),
        ("not-a-token-but-secret", ("QABOT_DISCORD_TOKEN is malformed: a bot token has three parts separated by "
                                   "dots, this one has 1")),
        ("MTIz.abc.d ef", "QABOT_DISCORD_TOKEN is malformed: it holds a space or a character no bot token has"),
    ],
)
def test_no_token_or_a_malformed_one_exits_with_one_line(tmp_path, token: str | None, message: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QABOT_")}
    env |= {"QABOT_INDEX_DIR": str(tmp_path / "index")} | ({"QABOT_DISCORD_TOKEN": token} if token else {})
    done = subprocess.run([QABOT, "discord"], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and message in done.stderr and "Traceback" not in done.stderr
    assert token is None or token not in done.stderr + done.stdout
    assert not (tmp_path / "index").exists()  # refused before any index work


@pytest.mark.parametrize("command", [["discord"], ["discord", "sync"]])
def test_a_state_folder_that_is_a_file_is_refused_before_the_index_is_built(make_corpus, tmp_path, command) -> None:
    """QABOT_STATE_DIR naming a file: `qabot discord` and `qabot discord sync` built (or brought up to date) the whole
    index first, minutes on a large corpus, and only then said that the state folder is no folder."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QABOT_")}
    env |= {"QABOT_CORPUS_DIR": str(make_corpus({"a.txt": "Ramon Mercader killed Trotsky.\n"})),
            "QABOT_INDEX_DIR": str(tmp_path / "index"), "QABOT_STATE_DIR": str(blocker), "QABOT_DISCORD_TOKEN": TOKEN}
    done = subprocess.run([*FAKE_QABOT, *command], capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (1, f"Error: QABOT_STATE_DIR is not a folder: {blocker} is a file\n")
    assert not (tmp_path / "index").exists()  # refused before any index work
    if command == ["discord", "sync"]:  # a database it cannot use, which sync cannot do without, the same way
        newer = tmp_path / "state"
        newer.mkdir()
        with sqlite3.connect(newer / "qabot.sqlite3") as db:
            db.execute("PRAGMA user_version = 99")
        done = subprocess.run([*FAKE_QABOT, *command], capture_output=True, text=True, timeout=120,
                              env={**env, "QABOT_STATE_DIR": str(newer)}, cwd=tmp_path)
        assert done.returncode == 1 and "was written by a newer qabot" in done.stderr, done.stderr
        assert not (tmp_path / "index").exists()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"discord_shard_ids": "0,1"}, "needs QABOT_DISCORD_SHARD_COUNT"),
        ({"discord_shard_count": 2, "discord_shard_ids": "2"}, "0 to 1"),
    ],
)
def test_shard_settings_are_checked(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None, **settings)
    assert "QABOT_DISCORD_SHARD_IDS" in str(caught.value) and message in str(caught.value)
