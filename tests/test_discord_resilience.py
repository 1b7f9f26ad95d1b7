"""The running bot on other servers: gateway sessions, permissions, expired interactions, shutdown.

Driven through the real discord.py client against the loopback Discord (tests/discord_double.py),
with the real core on the fake embedder. Every wait is bounded and polls for what it waits for.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time

from qabot.adapters.discord.buttons import POSTED
from qabot.adapters.discord_bot import build_bot, serve
from qabot.settings import load_settings
from tests import test_discord_bot as harness
from tests.discord_double import (
    CANNOT_REPLY,
    CHANNEL_ID,
    GUILD_B_ID,
    GUILD_ID,
    MISSING_PERMISSIONS,
    OTHER_CHANNEL_ID,
    DiscordDouble,
)
from tests.test_discord_bot import TOKEN, Spy, first_followup, running
from tests.test_discord_history import backfilled, cites, qa, settings, until_answer

discord_api, double = harness.discord_api, harness.double  # the same fixtures
__all__ = ["qa"]


async def test_one_shard_of_several_identifying_anew_reads_what_was_said_while_it_was_away(
        qa, discord_api, tmp_path) -> None:
    double: DiscordDouble = discord_api(shards=2, guild_ids=(GUILD_ID, GUILD_B_ID))
    shard = (GUILD_ID >> 22) % 2
    async with running(qa, double, **settings(tmp_path, CHANNEL_ID, OTHER_CHANNEL_ID)) as bot:
        await backfilled(bot, double)
        identified = len(double.identifies)
        double.sessions[shard].session_id = "expired"  # Discord forgot this shard's session: it identifies anew
        double.drop(shard)
        missed = double.seed("The spare eyepieces are in the left cabinet of the dome.", user_n=2,
                             channel_id=OTHER_CHANNEL_ID, seconds_ago=1)  # said while away: no event for it
        await double.until(lambda: len(double.identifies) > identified, what="a new session")
        await until_answer(double, "where are the spare eyepieces", lambda b: cites(b, missed), shard=shard)


async def test_sigterm_mid_answer_sends_the_answer_before_closing(fake_default_bot, double) -> None:
    bot = build_bot(Spy(fake_default_bot, delay=1.0), load_settings(_env_file=None, discord_cooldown_seconds=0),
                    guild_ready_timeout=0.05)
    serving = asyncio.create_task(serve(bot, TOKEN))
    await double.until(lambda: bot.is_ready(), what="the bot to connect")
    token = double.slash("ask", question="Who killed Trotsky?")
    double.message("Who killed Trotsky?", user_n=2)
    await double.until(lambda: double.callbacks() and bot.answering.gate.running == 2, what="both questions taken")
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(serving, 20)
    assert bot.is_closed()
    assert double.followups(token)[0].body["embeds"][0]["description"]  # the answers went out before it closed
    assert double.replies(CHANNEL_ID)[0].body["embeds"][0]["description"]


async def test_a_channel_the_bot_may_not_send_in_is_one_log_line_that_names_the_permission(
        fake_default_bot, double, caplog) -> None:
    caplog.set_level(logging.INFO, logger="qabot")
    double.forbidden[OTHER_CHANNEL_ID] = MISSING_PERMISSIONS
    async with running(fake_default_bot, double) as bot:
        double.message("Who killed Trotsky?", channel_id=OTHER_CHANNEL_ID)
        double.message("What weapon was used?", user_n=2, channel_id=OTHER_CHANNEL_ID)
        await double.until(lambda: len(double.sent("POST", f"/channels/{OTHER_CHANNEL_ID}/messages")) >= 2,
                           what="both tries")
        await first_followup(double, double.slash("ask", question="Who killed Trotsky?", user_n=3))  # goes on
        failed = bot.metrics.registry.get_sample_value("qabot_questions_total",
                                                       {"frontend": "mention", "outcome": "error", "reason": ""})
    tries = double.sent("POST", f"/channels/{OTHER_CHANNEL_ID}/messages")
    assert len(tries) == 2  # one answer each, and no apology after it that would be refused as well
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("qabot")]
    assert len(lines) == 2 and all(r.exc_info is None for r in lines), [r.getMessage() for r in lines]
    assert all("Send Messages" in r.getMessage() and str(OTHER_CHANNEL_ID) in r.getMessage() for r in lines)
    assert failed == 2


async def test_without_read_message_history_a_mention_is_answered_without_a_reply(
        fake_default_bot, double, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="qabot")
    double.forbidden[OTHER_CHANNEL_ID] = CANNOT_REPLY  # a reply needs Read Message History
    async with running(fake_default_bot, double):
        double.message("Who killed Trotsky?", channel_id=OTHER_CHANNEL_ID)
        [answer] = await double.until(lambda: double.replies(OTHER_CHANNEL_ID), what="the answer")
    assert answer.body["embeds"][0]["description"] and "message_reference" not in answer.body
    [line] = [r for r in caplog.records if r.name.startswith("qabot")]
    assert "Read Message History" in line.getMessage() and line.exc_info is None


async def test_without_read_message_history_post_publicly_posts_the_answer_without_a_reply(
        fake_default_bot, double, tmp_path, caplog) -> None:
    """Post publicly needs Send Messages and Embed Links (README): without Read Message History, which a reply needs,
    Discord refused the reply to the message asked about, and the presser was told "I can't post in this channel."
    It posts the answer as a plain message, as a mention's answer is."""
    caplog.set_level(logging.WARNING, logger="qabot")
    double.forbidden[OTHER_CHANNEL_ID] = CANNOT_REPLY
    async with running(fake_default_bot, double, state_dir=tmp_path / "state"):
        target = double.message("Who killed Trotsky?", user_n=5, channel_id=OTHER_CHANNEL_ID, mention_bot=False)
        token = double.message_command(target, user_n=2)
        await first_followup(double, token)
        pressed = double.click(double.followups(token)[0].response, user_n=2, label="Post publicly")
        [posted] = await double.until(lambda: double.replies(OTHER_CHANNEL_ID), what="the answer posted")
        [edited] = await double.until(lambda: double.sent("PATCH", f"/{pressed}/messages/@original"),
                                      what="the presser told")
    assert posted.body["embeds"][0]["description"] and "message_reference" not in posted.body
    assert edited.body["content"] == POSTED
    [line] = [r for r in caplog.records if r.name.startswith("qabot")]
    assert "Read Message History" in line.getMessage() and line.exc_info is None


async def test_an_answer_whose_interaction_expired_is_one_log_line(fake_default_bot, double, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="qabot")
    spy = Spy(fake_default_bot, delay=0.5)
    async with running(spy, double) as bot:
        token = double.slash("ask", question="Who killed Trotsky?")
        await double.until(lambda: double.callbacks() and spy.running, what="the question deferred")
        double.expired.add(token)  # the answer comes after 15 minutes: Discord knows the token no more
        await double.until(lambda: double.followups(token), what="the answer tried")
        await double.until(lambda: not bot.answering.gate.inside, what="the question finished")
        await first_followup(double, double.slash("ask", question="Who killed Trotsky?", user_n=2))  # goes on
    assert len(double.followups(token)) == 1  # no apology that would be refused as well
    [line] = [r for r in caplog.records if r.name.startswith("qabot")]
    assert "expired" in line.getMessage() and line.exc_info is None


async def test_a_button_press_whose_interaction_expired_is_one_log_line(fake_default_bot, double, caplog) -> None:
    """A press answered after Discord's 3 s (a busy bot), or followed up after 15 min (More sources asked again in a
    long queue), gets 404 Unknown interaction/Webhook. It was logged at ERROR with a traceback, and the apology after
    it was refused as well: an expected case, now one line without a traceback, as an expired /ask is."""
    caplog.set_level(logging.WARNING, logger="qabot")
    async with running(fake_default_bot, double):
        token = double.slash("ask", question="Who killed Trotsky?")
        answer = (await double.until(lambda: double.followups(token), what="the answer"))[0]
        double.interaction_seconds = 0.0  # every press is answered too late
        pressed = [double.click(answer.response, user_n=2, label=label) for label in ("More sources", "Helpful")]
        await double.until(lambda: all(pressed_token in double.expired for pressed_token in pressed)
                           and len(caplog.records) >= 2, what="both presses tried")
        await asyncio.sleep(0.3)  # an apology, had one been tried, would be logged by now
    lines = [r for r in caplog.records if r.name.startswith("qabot")]
    assert len(lines) == 2 and all(r.levelno == logging.WARNING and r.exc_info is None for r in lines), \
        [(r.levelname, r.getMessage()) for r in lines]
    assert all("expired" in r.getMessage() for r in lines)


class _SlowRefresh(Spy):
    """The real bot, whose refresh takes a while: a big corpus read again on the real model takes past 15 minutes."""

    def refresh(self, *args, **kwargs):
        time.sleep(0.5)
        return self.qa.refresh(*args, **kwargs)


async def test_a_reindex_that_outlived_its_interaction_is_one_log_line(fake_default_bot, double, caplog) -> None:
    """``/qabot reindex`` says how it went by editing its reply; after 15 minutes Discord refuses the edit (404 Unknown
    Webhook). That was logged at ERROR with a traceback, and an apology refused as well: now one line that says the
    interaction expired, and what came of the reindex."""
    from tests.test_discord_community import MANAGE_GUILD

    caplog.set_level(logging.INFO, logger="qabot.adapters.discord.admin")
    async with running(_SlowRefresh(fake_default_bot), double):
        token = double.slash("qabot", subcommand="reindex", permissions=MANAGE_GUILD)
        await double.until(lambda: double.sent("POST", f"/{token}/callback"), what="the first reply")
        double.expired.add(token)
        await double.until(lambda: double.sent("PATCH", f"/{token}/messages/@original"), what="the final edit tried")
        await asyncio.sleep(0.3)  # an apology, had one been tried, would be logged by now
    lines = [r for r in caplog.records if r.name.startswith("qabot.adapters.discord.admin")]
    assert len(lines) == 1 and lines[0].levelno == logging.WARNING and lines[0].exc_info is None, \
        [(r.levelname, r.getMessage()) for r in lines]
    assert "expired" in lines[0].getMessage() and "up to date" in lines[0].getMessage()


async def test_a_forget_that_outlived_its_interaction_is_one_log_line(fake_default_bot, double, caplog) -> None:
    """``/qabot forget`` waits for the history's lock, held for minutes while a batch is indexed on the real model: its
    reply after 15 minutes is refused (404 Unknown Webhook), and is one warning line, not an ERROR with a traceback
    and a refused apology."""
    from tests.discord_double import user
    from tests.test_discord_community import MANAGE_GUILD

    caplog.set_level(logging.INFO, logger="qabot.adapters.discord.admin")
    async with running(fake_default_bot, double) as bot:
        forget = bot.answering.forget

        async def slow_forget(*args, **kwargs):
            await asyncio.sleep(0.5)
            return await forget(*args, **kwargs)

        bot.answering.forget = slow_forget
        token = double.slash("qabot", subcommand="forget", member=user(6), permissions=MANAGE_GUILD)
        await double.until(lambda: double.sent("POST", f"/{token}/callback"), what="the deferral")
        double.expired.add(token)
        await double.until(lambda: double.followups(token), what="the reply tried")
        await asyncio.sleep(0.3)  # an apology, had one been tried, would be logged by now
    lines = [r for r in caplog.records if r.name.startswith("qabot.adapters.discord.admin") and r.levelno >= 30]
    assert len(lines) == 1 and lines[0].levelno == logging.WARNING and lines[0].exc_info is None, \
        [(r.levelname, r.getMessage()) for r in lines]
    assert "expired" in lines[0].getMessage()
