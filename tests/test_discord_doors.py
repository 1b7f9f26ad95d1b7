"""Every door checks the scope, and no one member can exhaust the bot: attacks by a hostile member, driven
through the real discord.py client against the loopback Discord (tests/discord_double.py), with two servers.

Server A (``GUILD_ID``) may quote ``community-a/`` and ``shared/``, its channel ``elsewhere``
``shared/`` alone; server B (``GUILD_B_ID``) ``community-b/``. Each folder says who built the
bridge in its own words, so a passage from the wrong folder shows by its file name. Custom ids
are user input: ``double.press`` sends any, as a hostile client can. The scope each question
was really asked with is what the ``Spy`` records.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from qabot.adapters.discord import ids
from qabot.adapters.discord.admin import SERVERS_ONLY
from qabot.adapters.discord.answers import BUSY, ELSEWHERE, NOT_CONFIGURED, NOT_HERE, PRESSING
from qabot.adapters.discord.buttons import ASKED_ABOUT, BROKEN, CANNOT_POST, GONE
from qabot.adapters.discord.cog import EMPTY_SLASH
from qabot.feedback import FeedbackStore
from tests import test_discord_bot as harness
from tests.discord_double import (
    B_CHANNEL_ID,
    CATEGORY_ID,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    EPHEMERAL,
    FORUM_ID,
    GUILD_B_ID,
    GUILD_ID,
    HIDDEN_THREAD_ID,
    MISSING_PERMISSIONS,
    NEWS_ID,
    OTHER_CHANNEL_ID,
    PRIVATE_CHANNEL_ID,
    READ_MESSAGE_HISTORY,
    THREAD_ID,
    USER_BASE,
    VIEW_CHANNEL,
    VOICE_ID,
    DiscordDouble,
    role,
    user,
)
from tests.test_discord_bot import Spy, assert_no_pings, first_followup, running

discord_api = harness.discord_api  # the same fixture

QUESTION = "Who built the old stone bridge over the river?"
BRIDGE = "The old stone bridge over the river was built by the {} in {}, and rebuilt after the flood.\n"
SCOPES = f"""
[guilds]
{GUILD_ID} = ["community-a/", "shared/"]
{GUILD_B_ID} = "community-b/"

[channels]
{OTHER_CHANNEL_ID} = "shared/"
"""


@pytest.fixture
def double(discord_api) -> DiscordDouble:
    return discord_api(guild_ids=(GUILD_ID, GUILD_B_ID))


@pytest.fixture
def communities(make_corpus, fake_bot_for) -> Spy:
    corpus = make_corpus({
        **{f"community-a/minutes-{n}.txt": BRIDGE.format(f"guild of masons {n}", 1800 + n) for n in range(6)},
        **{f"community-b/notes-{n}.md": BRIDGE.format(f"town council {n}", 1900 + n) for n in range(6)},
        **{f"shared/faq-{n}.txt": BRIDGE.format(f"river trust {n}", 2000 + n) for n in range(6)},
    })
    return Spy(fake_bot_for(corpus, answer_threshold=0.0))


@pytest.fixture
def scopes(tmp_path: Path) -> Path:
    path = tmp_path / "scopes.toml"
    path.write_text(SCOPES, encoding="utf-8")
    return path


def bot_settings(tmp_path: Path, scopes: Path, **more: Any) -> dict[str, Any]:
    return {"discord_scopes_file": scopes, "state_dir": tmp_path / "state", **more}


def quoted(body: dict[str, Any]) -> list[str]:
    """The sources an answer's (or a More sources reply's) embed cites."""
    fields = body["embeds"][0].get("fields") or []
    return [f["value"] if f["name"] == "Source" else f["name"] for f in fields]


def custom_ids(double: DiscordDouble, message: dict[str, Any]) -> dict[str, str]:
    return {b["label"]: b["custom_id"] for b in double.buttons(message)}


async def reply_to(double: DiscordDouble, token: str) -> dict[str, Any]:
    """What the bot answered a press with: the callback's message, or the follow-up after a deferral."""
    [callback] = await double.until(lambda: double.sent("POST", f"/{token}/callback"), what="the press's reply")
    if callback.body["type"] in (5, 6):
        return await first_followup(double, token)
    return callback.body.get("data") or {}


async def asked_in_b(double: DiscordDouble) -> tuple[dict[str, Any], str]:
    """An answer in server B, and its id: the buttons a member of A has copied."""
    token = double.slash("ask", question=QUESTION, k=1, channel_id=B_CHANNEL_ID, user_n=9)
    body = await first_followup(double, token)
    assert quoted(body) and all("community-b/" in s for s in quoted(body))
    message = double.followups(token)[0].response
    answer_id = custom_ids(double, message)["More sources"].split(":")[2]
    return message, answer_id


# -- 1. buttons trust no answer id ----------------------------------------------------------------------


async def test_another_servers_answer_is_never_shown_posted_voted_on_or_history_here(
        communities, double, scopes, tmp_path) -> None:
    async with running(communities, double, **bot_settings(tmp_path, scopes)):
        message, b_id = await asked_in_b(double)
        b_buttons = custom_ids(double, message)
        b_calls = len(communities.calls)
        # In server A, with B's answer id: from memory ...
        more = await reply_to(double, double.press(b_buttons["More sources"], channel_id=CHANNEL_ID))
        post = await reply_to(double, double.press(ids.post_id(b_id, 1), channel_id=CHANNEL_ID, user_n=2))
        vote = await reply_to(double, double.press(b_buttons["Helpful"], channel_id=CHANNEL_ID, user_n=3))
        # ... and a reply, in A, to a message that carries B's answer id.
        planted = double.planted(b_buttons["Helpful"], channel_id=CHANNEL_ID, title="What is this?")
        double.message("And who rebuilt it?", reply_to=planted, user_n=4)
        await double.until(lambda: double.replies(CHANNEL_ID), what="the answer to the reply")
    for refused in (more, vote):
        assert refused["content"] == ELSEWHERE and refused["flags"] == EPHEMERAL and not refused.get("embeds")
    assert post["content"] == BROKEN and not post.get("embeds")  # B's answer was asked about no message: made up
    assert communities.calls[b_calls:] == [("And who rebuilt it?", ["What is this?"])]  # not B's question
    assert not double.replies(CHANNEL_ID)[0].body.get("content")  # an answer, nothing posted from B
    assert FeedbackStore(tmp_path / "state").tallies() == {}

    async with running(communities, double, **bot_settings(tmp_path, scopes)):  # restarted: from the store
        more = await reply_to(double, double.press(b_buttons["More sources"], channel_id=CHANNEL_ID))
        post = await reply_to(double, double.press(ids.post_id(b_id, 1), channel_id=OTHER_CHANNEL_ID, user_n=2))
        vote = await reply_to(double, double.press(b_buttons["Not helpful"], channel_id=CHANNEL_ID, user_n=3))
        at_home = await reply_to(double, double.press(b_buttons["More sources"], channel_id=B_CHANNEL_ID, user_n=5))
    for refused in (more, vote):
        assert refused["content"] == ELSEWHERE and not refused.get("embeds")
    assert post["content"] == BROKEN and not post.get("embeds")
    assert quoted(at_home) and all("community-b/" in s for s in quoted(at_home))  # where it was asked: shown
    assert len(double.replies(CHANNEL_ID)) == 1 and not double.replies(OTHER_CHANNEL_ID)
    assert FeedbackStore(tmp_path / "state").tallies() == {}
    assert_no_pings(double)


async def test_a_private_channels_answer_stays_in_it_and_a_public_ones_follows_the_scope_where_pressed(
        communities, double, scopes, tmp_path) -> None:
    async with running(communities, double, **bot_settings(tmp_path, scopes)):
        private = await first_followup(double, double.slash("ask", question=QUESTION, k=1,
                                                            channel_id=PRIVATE_CHANNEL_ID))
        token = double.slash("ask", question=QUESTION, k=1, user_n=2)
        public = await first_followup(double, token)
        private_more = custom_ids(double, double.followups()[0].response)["More sources"]
        public_more = custom_ids(double, double.followups(token)[0].response)["More sources"]
        leaked = await reply_to(double, double.press(private_more, channel_id=CHANNEL_ID, user_n=3))
        inside = await reply_to(double, double.press(private_more, channel_id=PRIVATE_CHANNEL_ID, user_n=3))
        elsewhere = await reply_to(double, double.press(public_more, channel_id=OTHER_CHANNEL_ID, user_n=4))
    assert private and public
    assert leaked["content"] == ELSEWHERE and quoted(inside)
    assert quoted(elsewhere) and all(s.startswith("`shared/") or "shared/" in s for s in quoted(elsewhere))
    assert communities.scopes[-1] == ("shared",)  # asked again with the scope of the channel it was pressed in


async def test_the_menu_post_publicly_forum_posts_and_direct_messages_keep_to_the_scope_where_they_are(
        communities, double, tmp_path) -> None:
    """The doors other than /ask and a mention: "Ask qabot" (and its Post publicly), a forum post and a direct message
    each quote only the scope of the place they come from (a forum listed on its own, the ``dms`` scope), and "Ask
    qabot" in a place the file does not open says so, privately, and asks nothing."""
    scopes = tmp_path / "scopes.toml"
    scopes.write_text(f'dms = "community-b/"\n{SCOPES}{FORUM_ID} = "shared/"\n', encoding="utf-8")
    unlisted = tmp_path / "unlisted.toml"
    unlisted.write_text(f"[guilds]\n{GUILD_B_ID} = 'community-b/'\n", encoding="utf-8")
    forums = {"discord_message_content": True, "discord_forum_channel_ids": str(FORUM_ID)}
    async with running(communities, double, **bot_settings(tmp_path, scopes, **forums)):
        target = double.message(QUESTION, user_n=5, channel_id=OTHER_CHANNEL_ID, mention_bot=False)
        token = double.message_command(target, user_n=2)
        menu = await first_followup(double, token)
        posted = double.click(double.followups(token)[0].response, user_n=2, label="Post publicly")
        [public] = await double.until(lambda: double.replies(OTHER_CHANNEL_ID), what="the answer posted")
        in_b = await first_followup(double, double.message_command(
            double.message(QUESTION, user_n=5, channel_id=B_CHANNEL_ID, mention_bot=False), user_n=3))
        post = double.forum_post("The old stone bridge", QUESTION, user_n=4)
        [forum] = await double.until(lambda: double.replies(int(post["channel_id"])), what="the forum answer")
        double.message(QUESTION, user_n=6, channel_id=DM_CHANNEL_ID, mention_bot=False)
        [dm] = await double.until(lambda: double.replies(DM_CHANNEL_ID), what="the DM answer")
        assert double.sent("POST", f"/{posted}/callback")
    asked = len(communities.scopes)
    async with running(communities, double, **bot_settings(tmp_path, unlisted)):
        refused = await reply_to(double, double.message_command(
            double.message(QUESTION, user_n=5, mention_bot=False), user_n=7))
    assert communities.scopes == [("shared",), ("community-b",), ("shared",), ("community-b",)]
    for body, folder in ((menu, "shared/"), (public.body, "shared/"), (in_b, "community-b/"),
                         (forum.body, "shared/"), (dm.body, "community-b/")):
        assert quoted(body) and all(folder in s for s in quoted(body)), (folder, quoted(body))
    assert refused["content"] == NOT_CONFIGURED and refused["flags"] == EPHEMERAL
    assert len(communities.scopes) == asked  # nothing was asked where the file opens nothing
    assert_no_pings(double)


# -- 2. a narrowed scope is in force for answers given before ----------------------------------------


async def test_more_sources_of_an_older_answer_follows_a_narrowed_scope(
        communities, double, scopes, tmp_path, monkeypatch) -> None:
    from qabot.scopes import ScopesFile

    monkeypatch.setattr(ScopesFile, "CHECK_SECONDS", 0.0)
    monkeypatch.setattr(ScopesFile, "SETTLE_SECONDS", 0.0)
    async with running(communities, double, **bot_settings(tmp_path, scopes)) as bot:
        token = double.slash("ask", question=QUESTION, k=1)
        assert quoted(await first_followup(double, token))
        more_id = custom_ids(double, double.followups(token)[0].response)["More sources"]
        before = await reply_to(double, double.press(more_id, user_n=2))
        scopes.write_text(SCOPES.replace('["community-a/", "shared/"]', '"shared/"'), encoding="utf-8")
        # read once, not yet taken (it may be half-written): the next look, reading it the same, takes it
        assert bot.answering.scopes.sources(GUILD_ID) == ("community-a", "shared")
        after = await reply_to(double, double.press(more_id, user_n=3))
    async with running(communities, double, **bot_settings(tmp_path, scopes)):
        restarted = await reply_to(double, double.press(more_id, user_n=4))
    assert any("community-a/" in s for s in quoted(before))
    for body in (after, restarted):
        assert quoted(body) and all("shared/" in s for s in quoted(body)), quoted(body)
    assert communities.scopes[-2:] == [("shared",), ("shared",)]


async def test_more_sources_never_shows_a_message_deleted_or_forgotten_since_the_answer(
        make_corpus, fake_bot_for, double, tmp_path) -> None:

    qa = fake_bot_for(make_corpus({"handbook.txt": "The observatory dome opens at dusk.\n"}), answer_threshold=0.0)
    # Three askers, so three exchanges: one asker's next question right after a reply to them goes on with it.
    asked = double.seed("Which lens fits the old guide scope?", channel_id=OTHER_CHANNEL_ID, seconds_ago=600)
    double.seed("The 40 mm lens fits the old guide scope.", user_n=8, channel_id=OTHER_CHANNEL_ID, seconds_ago=590,
                reply_to=asked)
    other = double.seed("Which camera fits the new finder?", user_n=9, channel_id=OTHER_CHANNEL_ID, seconds_ago=500)
    double.seed("A Plössl works there, the lens of it fits.", user_n=6, channel_id=OTHER_CHANNEL_ID,
                seconds_ago=490, reply_to=other)
    third = double.seed("Does anything fit the guide?", user_n=10, channel_id=OTHER_CHANNEL_ID, seconds_ago=400)
    deleted = double.seed("A Barlow lens fits the old one.", user_n=7, channel_id=OTHER_CHANNEL_ID,
                          seconds_ago=390, reply_to=third)
    history = {"discord_message_content": True, "discord_history_channel_ids": [OTHER_CHANNEL_ID],
               "discord_history_debounce_seconds": 0.2}
    async with running(qa, double, state_dir=tmp_path / "state", **history) as bot:
        await double.until(lambda: bot.learning.backfill.reading.finished, what="the backfill")
        await bot.learning.feed.settled()
        token = double.slash("ask", question="which lens fits the old guide scope", k=1)
        assert "40 mm" in str(await first_followup(double, token))
        more = custom_ids(double, double.followups(token)[0].response)["More sources"]
        before = await reply_to(double, double.press(more, user_n=2))
        await first_followup(double, double.slash("qabot", subcommand="forget", member=user(6), user_n=3))
        double.delete(deleted)
        build = bot.qa.manifest.build
        await double.until(lambda: bot.qa.manifest.build != build, what="the deletion applied")
        await bot.learning.feed.settled()
        after = await reply_to(double, double.press(more, user_n=4))
    assert "Plössl" in str(before) and "Barlow" in str(before)  # the answer's other excerpts, from memory
    assert quoted(after) and "Plössl" not in str(after) and "Barlow" not in str(after)


# -- 3. scopes fail closed ----------------------------------------------------------------------------


async def test_a_scopes_file_of_guilds_only_answers_nothing_in_direct_messages_or_other_servers(
        communities, double, tmp_path, caplog) -> None:
    scopes = tmp_path / "scopes.toml"
    scopes.write_text(f"[guilds]\n{GUILD_ID} = 'community-a/'\n", encoding="utf-8")
    caplog.set_level(logging.INFO, logger="qabot")
    async with running(communities, double, **bot_settings(tmp_path, scopes)):
        double.message(QUESTION, channel_id=DM_CHANNEL_ID, mention_bot=False)
        [dm] = await double.until(lambda: double.replies(DM_CHANNEL_ID), what="the DM reply")
        other_server = double.slash("ask", question=QUESTION, channel_id=B_CHANNEL_ID, user_n=2)
        listing = double.slash("sources", channel_id=B_CHANNEL_ID, user_n=3)
        [refused, unlisted] = [await reply_to(double, t) for t in (other_server, listing)]
        in_a = await first_followup(double, double.slash("ask", question=QUESTION, user_n=4))
    assert dm.body["content"] == NOT_CONFIGURED and not dm.body.get("embeds")
    assert refused["content"] == unlisted["content"] == NOT_CONFIGURED and refused["flags"] == EPHEMERAL
    assert communities.scopes == [("community-a",)] and all("community-a/" in s for s in quoted(in_a))
    [line] = [r for r in caplog.records if "direct messages included, quotes nothing" in r.getMessage()]
    assert line.levelno == logging.WARNING and str(scopes) in line.getMessage()


async def test_a_server_the_bot_is_not_in_an_id_under_the_wrong_table_and_a_category_are_one_line_each(
        communities, double, tmp_path, caplog) -> None:
    """A server id mistyped, a channel's id under [guilds] (that server stays on the default: nothing) and a
    category's under [channels] (scopes never follow categories: its channels keep their server's scope) said
    nothing; the one server it names right, nothing either."""
    scopes = tmp_path / "scopes.toml"
    scopes.write_text(f"[guilds]\n{GUILD_ID} = 'community-a/'\n{GUILD_ID + 1} = 'community-a/'\n"
                      f"{CHANNEL_ID} = 'community-a/'\n[channels]\n{CATEGORY_ID} = 'shared/'\n"
                      f"{GUILD_B_ID} = 'shared/'\n{THREAD_ID + 99} = 'shared/'\n", encoding="utf-8")
    caplog.set_level(logging.INFO, logger="qabot")
    async with running(communities, double, **bot_settings(tmp_path, scopes)):
        pass
    said = f"the scopes file {scopes} lists "
    lines = [r.getMessage().removeprefix(said) for r in caplog.records if r.name == "qabot.adapters.discord.scoped"]
    assert lines == [
        f"guild {GUILD_ID + 1}, a server the bot is not in (check the id: right-click the server, Copy Server ID)",
        f"channel {CHANNEL_ID} under [guilds]: list it under [channels]",
        (f"category {CATEGORY_ID} under [channels]: scopes do not follow categories, so none of its channels takes it "
         "(list them, or their server)"),
        f"server {GUILD_B_ID} under [channels]: list it under [guilds]"]


# -- 4. a thread the bot has not seen is scoped by its channel ---------------------------------------


async def test_a_mention_in_an_uncached_thread_takes_its_channels_scope_not_its_servers(
        communities, double, scopes, tmp_path) -> None:
    async with running(communities, double, **bot_settings(tmp_path, scopes)) as bot:
        assert bot.get_channel(HIDDEN_THREAD_ID) is None  # never seen: the mention arrives in a PartialMessageable
        double.message(QUESTION, channel_id=HIDDEN_THREAD_ID)
        [reply] = await double.until(lambda: double.replies(HIDDEN_THREAD_ID), what="the reply in the thread")
        double.message("And when?", channel_id=HIDDEN_THREAD_ID, user_n=2)
        await double.until(lambda: len(double.replies(HIDDEN_THREAD_ID)) == 2, what="the second reply")
    assert communities.scopes == [("shared",), ("shared",)]  # its channel's, not server A's wider scope
    assert all("shared/" in s for s in quoted(reply.body))
    fetched = [r for r in double.sent("GET") if r.path == f"/channels/{HIDDEN_THREAD_ID}"]
    assert len(fetched) == 1  # fetched once, then remembered


# -- 5. admin commands speak of their server alone ----------------------------------------------------

# Every admin command, with the options it needs.
ADMIN_COMMANDS = (("feedback", {}), ("status", {}), ("reindex", {}), ("forget", {"member": user(6)}),
                  ("forget-bridged", {"person": "dan [m]"}))


async def test_admin_commands_refuse_outside_a_server_and_votes_stay_in_theirs(
        communities, double, scopes, tmp_path) -> None:
    manage = 1 << 5
    async with running(communities, double, **bot_settings(tmp_path, scopes)):
        await asked_in_b(double)
        replies = [await reply_to(double, double.slash("qabot", subcommand=name, channel_id=DM_CHANNEL_ID,
                                                       permissions=manage, **options))
                   for name, options in ADMIN_COMMANDS]
        status = await first_followup(double, double.slash("qabot", subcommand="status", permissions=manage))
    for reply in replies:
        assert reply["content"] == SERVERS_ONLY and reply["flags"] == EPHEMERAL and not reply.get("embeds")
    fields = {f["name"]: f["value"] for f in status["embeds"][0]["fields"]}
    assert fields["Today (UTC), this server"].startswith("0 question(s)")  # B's question is not A's
    assert fields["In scope here"].startswith("community-a, shared:")


async def test_admin_commands_refuse_in_a_server_qabot_does_not_serve(communities, double, scopes, tmp_path) -> None:
    manage = 1 << 5
    settings = {**bot_settings(tmp_path, scopes), "discord_allowed_guild_ids": [GUILD_B_ID]}
    async with running(communities, double, **settings):
        replies = [await reply_to(double, double.slash("qabot", subcommand=name, permissions=manage, **options))
                   for name, options in ADMIN_COMMANDS]
    for reply in replies:  # not the corpus's size, not its questions, not a rebuild of everyone's index
        assert reply["content"] == NOT_HERE and reply["flags"] == EPHEMERAL and not reply.get("embeds")


async def test_admin_feedback_lists_a_private_channels_questions_only_in_that_channel(
        fake_default_bot, double, tmp_path) -> None:
    manage, secret = 1 << 5, "When do the moderators plan to lock the general channel?"
    async with running(Spy(fake_default_bot, answered=False), double, state_dir=tmp_path / "state"):
        await first_followup(double, double.slash("ask", question=secret, channel_id=PRIVATE_CHANNEL_ID))
        await first_followup(double, double.slash("ask", question="Who painted the ceiling?", user_n=2))
        listings = [await first_followup(double, double.slash("qabot", subcommand="feedback", channel_id=channel_id,
                                                              permissions=manage, user_n=3))
                    for channel_id in (CHANNEL_ID, PRIVATE_CHANNEL_ID)]
    public, private = (listing["embeds"][0]["description"] for listing in listings)
    assert "Answers: 2" in public and "Who painted the ceiling?" in public and secret not in public
    assert secret in private and "Who painted the ceiling?" in private


async def test_admin_status_names_no_channel_of_another_server_whose_history_is_being_read(
        fake_default_bot, double, tmp_path) -> None:
    double.synthesize(B_CHANNEL_ID, 3000)  # server B's long past, read slowly: the backfill is in it
    double.page_delay = 0.3
    history = {"discord_message_content": True, "discord_history_channel_ids": [B_CHANNEL_ID],
               "discord_history_debounce_seconds": 0.2}
    async with running(fake_default_bot, double, state_dir=tmp_path / "state", **history) as bot:
        await double.until(lambda: bot.learning.backfill.reading.current, what="the backfill reading server B")
        status = await first_followup(double, double.slash("qabot", subcommand="status", permissions=1 << 5))
        assert bot.learning.backfill.reading.finished is None  # still reading B when A's status was made
    shown = {f["name"]: f["value"] for f in status["embeds"][0]["fields"]}["This server's history"]
    assert shown.startswith("0 channel(s)") and shown.endswith("backfill under way")
    assert "general-b" not in str(status) and str(GUILD_B_ID) not in str(status)


async def test_admin_status_counts_no_message_of_another_servers_history(make_corpus, fake_bot_for, double,
                                                                         tmp_path) -> None:
    """Server B's history read to its end, server A's managers are told of A's messages alone: none; and the index's
    documents and passages, in /qabot status and /qabot reindex, are counted without B's history, which grew with
    each thing B's members said."""
    double.seed("The red lamp in the hall means the dome is moving.", user_n=3, channel_id=B_CHANNEL_ID)
    double.seed("Ask the night porter for the key.", user_n=4, channel_id=B_CHANNEL_ID)
    history = {"discord_message_content": True, "discord_history_channel_ids": [B_CHANNEL_ID],
               "discord_history_debounce_seconds": 0.2}
    qa = fake_bot_for(make_corpus({"about.md": "This bot answers questions about the observatory.\n"}))
    async with running(qa, double, state_dir=tmp_path / "state", **history) as bot:  # its own index: B's history
        await double.until(lambda: bot.learning.backfill.reading.finished is not None, what="the backfill")
        await bot.learning.feed.settled()
        status = await first_followup(double, double.slash("qabot", subcommand="status", permissions=1 << 5))
        assert bot.learning.history.progress(GUILD_B_ID).messages == 2  # B's are kept
        assert bot.qa.manifest.passages > 1  # and indexed: the document's passage and B's history
        token = double.slash("qabot", subcommand="reindex", permissions=1 << 5, user_n=2)
        await double.until(lambda: double.sent("PATCH", f"/{token}/messages/@original"), what="the reindex's reply")
    fields = {f["name"]: f["value"] for f in status["embeds"][0]["fields"]}
    shown = fields["This server's history"]
    assert shown.startswith("0 channel(s)") and "0 message(s) kept, 0 indexed" in shown
    assert fields["Index"].endswith("\n1 file(s), 1 document(s), 1 passages"), fields["Index"]
    [reindexed] = [r.body["content"] for r in double.sent("PATCH", f"/{token}/messages/@original")]
    assert reindexed == "The index is already up to date: 1 file(s), 1 passages.", reindexed


async def test_forgetting_a_member_whose_name_is_signs_alone_keeps_questions_that_merely_hold_those_signs(
        fake_default_bot, double, tmp_path) -> None:
    """A name of signs alone ("?", "...", an emoji) is no word: forgetting such a member, or a bridged person so named,
    in one server took out every question asked there and in anyone's direct messages that held the sign anywhere
    ("...river?"), with the votes on them. Such a name names them where it stands alone, as a word does."""
    store = FeedbackStore(tmp_path / "state")
    async with running(fake_default_bot, double, state_dir=tmp_path / "state"):
        for channel_id, user_n in ((DM_CHANNEL_ID, 9), (CHANNEL_ID, 8)):
            await first_followup(double, double.slash("ask", question=QUESTION, channel_id=channel_id, user_n=user_n))
        await first_followup(double, double.slash("ask", question="what did ? say about the bridge", user_n=8))
        await first_followup(double, double.slash("qabot", subcommand="forget", permissions=1 << 5, user_n=2,
                                                  member={**user(6), "global_name": "?"}))
        await first_followup(double, double.slash("qabot", subcommand="forget-bridged", permissions=1 << 5,
                                                  user_n=2, person="..."))
    assert sorted(a.question for a in store.answers()) == [QUESTION, QUESTION]


async def test_a_server_left_and_joined_again_takes_no_question_asked_before_into_a_follow_up(
        communities, double, scopes, tmp_path) -> None:
    """Removed from a server, the bot deletes the answers it gave there; added back (a manager re-inviting it to mend
    its permissions), a reply to one of its old answers there took that answer's question, and the chain before it,
    from memory into the new answer's history, and so into the state database again: as after a restart, it is no
    follow-up's history now."""
    store = FeedbackStore(tmp_path / "state")
    async with running(communities, double, **bot_settings(tmp_path, scopes)):
        double.message(QUESTION, user_n=9, channel_id=B_CHANNEL_ID)
        [answer] = await double.until(lambda: double.replies(B_CHANNEL_ID), what="the answer in B")
        double.remove_guild(GUILD_B_ID)
        await double.until(lambda: not store.answers(), what="B's answers to go")
        double.add_guild(GUILD_B_ID)
        await asyncio.sleep(0.3)
        double.message("And who rebuilt it after the flood?", user_n=8, channel_id=B_CHANNEL_ID,
                       reply_to=answer.response)
        await double.until(lambda: len(double.replies(B_CHANNEL_ID)) == 2, what="the answer to the reply")
    assert communities.calls[-1] == ("And who rebuilt it after the flood?", [])
    assert [(a.question, a.history) for a in store.answers()] == [("And who rebuilt it after the flood?", [])]


async def test_admin_feedback_on_a_servers_many_answers_does_not_hold_the_bot_up(fake_default_bot, double,
                                                                                 tmp_path, monkeypatch) -> None:
    """/qabot feedback lists a question only where its answer may be shown (``may_use``), decided on the event loop:
    who may read the channel it was asked in was worked out anew for each of the server's answers (a server's year
    of questions, 4,000 of them, held every other question and button press up for 2-3 s). Counted, not timed: who
    may read a channel is worked out once per channel for the whole listing."""
    from qabot.history import readers
    from tests.answers import answer

    store = FeedbackStore(tmp_path / "state")
    channels = (OTHER_CHANNEL_ID, PRIVATE_CHANNEL_ID, NEWS_ID, VOICE_ID)
    roles = [role(1_200_000_000_000_001_000 + n, f"team {n}", VIEW_CHANNEL * (n % 2) | READ_MESSAGE_HISTORY)
             for n in range(120)]  # a community's roles, some of them opening channels to their teams
    double.more_roles = roles
    for n, channel_id in enumerate(c for c in channels if c != PRIVATE_CHANNEL_ID):  # that one stays the mods'
        double.changed[channel_id] = {"permission_overwrites": [
            {"id": r["id"], "type": 0, "allow": str(VIEW_CHANNEL), "deny": "0"} for r in roles[n * 3 : n * 3 + 6]]}
    for n in range(400):
        store.record(answer(f"Where is the telescope number {n}?", k=1, answered=False), frontend="slash",
                     guild_id=GUILD_ID, channel_id=channels[n % len(channels)], user=n)
    asked, covers = [], readers.covers
    monkeypatch.setattr(readers, "covers", lambda *a: asked.append(a) or covers(*a))
    async with running(fake_default_bot, double, state_dir=tmp_path / "state"):
        listing = await first_followup(double, double.slash("qabot", subcommand="feedback", permissions=1 << 5,
                                                            channel_id=OTHER_CHANNEL_ID))
    listed = listing["embeds"][0]["description"]
    assert "Answers: 400" in listed and "number 396?" in listed and "number 397?" not in listed  # not the private's
    assert len(asked) <= len(channels), f"who may read a channel was worked out {len(asked)} times"


# -- 6. a flood of mentions costs nobody else's answer ------------------------------------------------


async def test_a_hundred_mentions_get_one_notice_and_anothers_answer_is_not_held_up(
        fake_default_bot, discord_api, tmp_path) -> None:
    double = discord_api(channel_rate=(5, 5.0))  # Discord's limit on one channel's messages
    async with running(fake_default_bot, double, discord_cooldown_seconds=60, state_dir=tmp_path / "state"):
        double.message("Who killed Trotsky?", user_n=1)
        await double.until(lambda: double.replies(CHANNEL_ID), what="the first answer")
        for _ in range(99):
            double.message("Who killed Trotsky? Tell me now!", user_n=1)
        await double.until(lambda: [r for r in double.replies(CHANNEL_ID) if r.body.get("content")],
                           what="the notice")
        double.message("What weapon was used?", user_n=2)
        # Behind 99 notices, at 5 messages in 5 s, it would come after more than 90 s.
        await double.until(lambda: [r for r in double.replies(CHANNEL_ID)
                                    if (r.body.get("embeds") or [{}])[0].get("title") == "What weapon was used?"],
                           timeout=10, what="the other member's answer")
    notices = [r for r in double.replies(CHANNEL_ID) if r.body.get("content")]
    assert len(notices) == 1 and "ask again in" in notices[0].body["content"]
    assert not [r for r in double.requests if r.status == 429]  # nothing was ever held up by Discord's limit


# -- 7. a flood of presses asks again once, and costs nobody else's answer ---------------------------


async def test_many_presses_on_a_forgotten_answer_ask_it_again_once_and_others_are_still_answered(
        fake_default_bot, double, tmp_path) -> None:
    spy = Spy(fake_default_bot, delay=0.3)
    limits = {"state_dir": tmp_path / "state", "discord_max_concurrent": 1, "discord_queue_limit": 2}
    async with running(spy, double, **limits):
        token = double.slash("ask", question="What weapon was used?", k=1)
        await first_followup(double, token)
        message = double.followups(token)[0].response
    async with running(spy, double, **limits):  # restarted: the answer is no longer in memory
        spy.calls.clear()
        presses = [double.click(message, user_n=10 + n % 8, label="More sources") for n in range(80)]
        other = double.slash("ask", question="Who killed Trotsky?", user_n=3)
        answered = await first_followup(double, other)
        replies = [await reply_to(double, t) for t in presses]
    assert answered.get("embeds") and answered.get("content") != BUSY
    assert sorted(q for q, _ in spy.calls) == ["What weapon was used?", "Who killed Trotsky?"]  # asked again once
    shown = [r for r in replies if r.get("embeds")]
    slowed = [r for r in replies if (r.get("content") or "").startswith(PRESSING.split(":")[0])]
    assert len(shown) == 40 and len(slowed) == 40  # 5 presses per member in 10 s; the rest told to wait
    assert all(r["flags"] == EPHEMERAL for r in replies)


# -- 8. a custom id with a number Discord could not have made ----------------------------------------


async def test_a_custom_id_with_a_number_over_64_bits_is_answered_with_one_line(
        fake_default_bot, double, tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO)
    async with running(fake_default_bot, double, state_dir=tmp_path / "state"):
        token = double.slash("ask", question="Who killed Trotsky?")
        await first_followup(double, token)
        answer_id = custom_ids(double, double.followups(token)[0].response)["Helpful"].split(":")[3]
        broken = [await reply_to(double, double.press(custom_id, user_n=2)) for custom_id in (
            ids.post_id(answer_id, 2**64 + 7), ids.post_id(answer_id, 10**30), ids.more_id(answer_id, 10**18))]
        after = await first_followup(double, double.slash("ask", question="What weapon was used?", user_n=3))
    assert all(reply["content"] == BROKEN and reply["flags"] == EPHEMERAL for reply in broken)
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]
    assert not double.replies() and after["embeds"]


async def test_post_publicly_posts_only_an_ask_qabot_answer_and_only_under_the_message_it_is_about(
        fake_default_bot, double, tmp_path) -> None:
    """A Post publicly custom id names an answer and the message to post it under, and a client can send any: the
    answer id of a public /ask answer (on its vote buttons for all to see) with another member's message made the
    bot post "Someone asked me about this message." under a message nobody asked about, with an answer to another
    question; so did an "Ask qabot" answer's id with another message than the one it was asked about."""
    async with running(fake_default_bot, double, state_dir=tmp_path / "state"):
        token = double.slash("ask", question="Who killed Trotsky?")
        await first_followup(double, token)
        public_id = custom_ids(double, double.followups(token)[0].response)["Helpful"].split(":")[3]
        victim = double.message("I had lunch with my sister today.", user_n=5, mention_bot=False)
        asked_about = double.message("Who was Ramon Mercader?", user_n=6, mention_bot=False)
        menu = double.message_command(asked_about, user_n=2)
        await first_followup(double, menu)
        menu_ids = custom_ids(double, double.followups(menu)[0].response)
        menu_id = menu_ids["Post publicly"].split(":")[2]
        pressed = [double.press(ids.post_id(answer_id, int(victim["id"])), user_n=2)
                   for answer_id in (public_id, menu_id)]
        forged = [(await double.until(lambda token=token: double.sent("POST", f"/{token}/callback")))[0].body
                  for token in pressed]
        await asyncio.sleep(0.3)
        assert not double.replies(CHANNEL_ID)  # nothing was posted under the member's message
        double.click(double.followups(menu)[0].response, user_n=2, label="Post publicly")
        [posted] = await double.until(lambda: double.replies(CHANNEL_ID), what="the answer posted")
    assert all(reply["data"]["content"] == BROKEN and reply["data"]["flags"] == EPHEMERAL for reply in forged), forged
    assert str(posted.body["message_reference"]["message_id"]) == asked_about["id"]
    assert_no_pings(double)


async def test_a_forged_post_publicly_press_cannot_post_a_mentions_answer_under_its_question(
        fake_default_bot, double, tmp_path) -> None:
    """A mention's (or a direct message's) answer is stored with its question's message, to take it back with it;
    that is no "Ask qabot" answer about that message, and a Post publicly press made up from the two is refused."""
    async with running(fake_default_bot, double, state_dir=tmp_path / "state"):
        mention = double.message("Who killed Trotsky?", user_n=6)
        [reply] = await double.until(lambda: double.replies(CHANNEL_ID), what="the answer")
        answer_id = custom_ids(double, reply.response)["Helpful"].split(":")[3]
        forged = await reply_to(double, double.press(ids.post_id(answer_id, int(mention["id"])), user_n=6))
        await asyncio.sleep(0.3)
    assert forged["content"] == BROKEN and forged["flags"] == EPHEMERAL
    assert len(double.replies(CHANNEL_ID)) == 1  # nothing posted


async def test_a_forged_post_publicly_press_is_refused_before_the_answer_is_asked_again(
        fake_default_bot, double, tmp_path) -> None:
    """Whether a Post publicly press may post its answer under its message was checked only once the answer was
    recalled: after a restart, each forged press (a public answer's id, from its vote buttons, with any message) asked
    the core again, a model call, and was refused after it."""
    spy = Spy(fake_default_bot)
    async with running(spy, double, state_dir=tmp_path / "state"):
        token = double.slash("ask", question="Who killed Trotsky?")
        await first_followup(double, token)
        public_id = custom_ids(double, double.followups(token)[0].response)["Helpful"].split(":")[3]
    async with running(spy, double, state_dir=tmp_path / "state"):  # restarted: the answer is no longer in memory
        spy.calls.clear()
        victim = double.message("I had lunch with my sister today.", user_n=5, mention_bot=False)
        forged = [await reply_to(double, double.press(ids.post_id(answer_id, int(victim["id"])), user_n=2 + n))
                  for n, answer_id in enumerate((public_id, "0123456789abcdef"))]
    assert [reply["content"] for reply in forged] == [BROKEN, GONE]
    assert all(reply["flags"] == EPHEMERAL for reply in forged)
    assert spy.calls == [] and not double.replies(CHANNEL_ID)  # nothing asked again, nothing posted


@pytest.mark.parametrize("damaged", [
    "qabot:more:{id}:-1", "qabot:post:{id}:-5", "qabot:vote:up:{ID}", "qabot:more:{id}", "qabot:vote:sideways:{id}",
    "qabot:more:{id}:1x", "qabot:vote:up:{id}\n",
])
async def test_a_damaged_qabot_custom_id_none_of_the_buttons_takes_is_answered_with_one_line(
        fake_default_bot, double, tmp_path, damaged) -> None:
    async with running(fake_default_bot, double, state_dir=tmp_path / "state"):
        token = double.slash("ask", question="Who killed Trotsky?")
        await first_followup(double, token)
        answer_id = custom_ids(double, double.followups(token)[0].response)["Helpful"].split(":")[3]
        pressed = double.press(damaged.format(id=answer_id, ID=answer_id.upper()), user_n=2)
        reply = await reply_to(double, pressed)
        real = double.press(ids.vote_id(answer_id, True), user_n=2)
        valid = await reply_to(double, real)
    assert reply["content"] == BROKEN and reply["flags"] == EPHEMERAL
    assert len(double.sent("POST", f"/{pressed}/callback")) == 1  # one reply, from one item
    assert valid["content"] != BROKEN and len(double.sent("POST", f"/{real}/callback")) == 1  # a real id: its button


@pytest.mark.parametrize("blank", ["\u200b\u200b", "\u200b \u2060 \ufeff", "\x00\x01\x02"])
async def test_a_question_of_invisible_characters_only_is_refused_privately_as_an_empty_one(
        fake_default_bot, double, tmp_path, blank) -> None:
    async with running(fake_default_bot, double, state_dir=tmp_path / "state"):
        body = await reply_to(double, double.slash("ask", question=blank))
    assert body.get("flags") == EPHEMERAL and body.get("content") == EMPTY_SLASH, body


async def test_a_slash_question_with_a_mention_of_a_number_too_long_for_python_is_refused_as_too_long(
        fake_default_bot, double, tmp_path, caplog) -> None:
    """A slash option holds 6,000 characters: "<@" and 4,400 digits is a mention to Python's eye, whose int() refuses
    more than 4,300 digits (ValueError). It was looked up before the length was checked: an ERROR with a traceback and
    an apology. It is refused as any question that long is, privately."""
    caplog.set_level(logging.WARNING, logger="qabot")
    huge = f"what did <@{'9' * 4400}> say"
    async with running(fake_default_bot, double, state_dir=tmp_path / "state"):
        refused = await reply_to(double, double.slash("ask", question=huge))
        asked = await first_followup(double, double.slash("ask", question="Who killed Trotsky?", user_n=2))
    assert refused.get("flags") == EPHEMERAL and "4416 characters long" in refused.get("content", ""), refused
    assert asked["embeds"][0]["description"]  # the bot goes on
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]


async def test_a_public_post_of_a_forgotten_members_question_names_nobody(fake_default_bot, double, tmp_path) -> None:
    """Post publicly posts an "Ask qabot" answer; once the member who pressed it is forgotten, the post says that
    question was taken back, and never said who asked it."""
    async with running(fake_default_bot, double, state_dir=tmp_path / "state") as bot:
        target = double.message("Does anyone know who killed Trotsky?", user_n=5, mention_bot=False)
        token = double.message_command(target, user_n=2)
        await first_followup(double, token)
        double.click(double.followups(token)[0].response, user_n=2, label="Post publicly")
        [public] = await double.until(lambda: double.replies(CHANNEL_ID), what="the public answer")
        await first_followup(double, double.slash("qabot", subcommand="forget", member=user(2), user_n=3))
        await double.until(lambda: double.sent("PATCH", "/channels/"), what="the post edited")
        await bot.answering.posted.settled()
    shown = double.messages[int(public.response["id"])]
    assert shown["embeds"][0]["title"] == "This question was taken back."
    assert shown.get("content") == ASKED_ABOUT and str(USER_BASE + 2) not in str(shown)


# -- 9. a direct message's channel is not stored in clear ---------------------------------------------


async def test_a_direct_messages_channel_id_is_stored_only_as_a_salted_hash(fake_default_bot, double,
                                                                            tmp_path) -> None:
    state = tmp_path / "state"
    async with running(fake_default_bot, double, state_dir=state):
        double.message("Who killed Trotsky?", channel_id=DM_CHANNEL_ID, mention_bot=False)
        [dm] = await double.until(lambda: double.replies(DM_CHANNEL_ID), what="the DM answer")
    async with running(fake_default_bot, double, state_dir=state):
        vote = await reply_to(double, double.click(dm.response, label="Helpful"))
        elsewhere = await reply_to(double, double.press(custom_ids(double, dm.response)["Helpful"],
                                                        channel_id=THREAD_ID, user_n=2))
    everything = b"".join(p.read_bytes() for p in state.iterdir() if p.is_file())
    assert str(DM_CHANNEL_ID).encode() not in everything
    [answer] = FeedbackStore(state).answers()
    assert answer.guild_id is None and answer.channel_id is None
    assert answer.channel_hash == FeedbackStore(state).channel_hash(DM_CHANNEL_ID)
    assert vote["content"].startswith("Thanks!") and elsewhere["content"] == ELSEWHERE


async def test_a_direct_messages_channel_id_is_not_logged_when_discord_rate_limits_it(fake_default_bot, double,
                                                                                      caplog) -> None:
    """discord.py warns (a level logged by default) of a request Discord rate-limited, naming its URL: a direct
    message's channel id is not in the log."""
    double.refusals[DM_CHANNEL_ID] = 1
    async with running(fake_default_bot, double):
        double.message("Who killed Trotsky?", channel_id=DM_CHANNEL_ID, mention_bot=False)
        await double.until(lambda: double.replies(DM_CHANNEL_ID), what="the answer, sent again")
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("rate limited" in w for w in warnings)  # Discord did refuse one
    assert not any(str(DM_CHANNEL_ID) in w for w in warnings), warnings


async def test_a_direct_messages_channel_id_is_not_logged_when_posting_an_answer_there_fails(fake_default_bot, double,
                                                                                             caplog) -> None:
    """"Ask qabot" works in a direct message too, and so does its Post publicly: where Discord refuses that post,
    the log says so without the direct message's channel id, which names one person."""
    async with running(fake_default_bot, double):
        target = double.message("Who killed Trotsky?", channel_id=DM_CHANNEL_ID, mention_bot=False)
        await double.until(lambda: double.replies(DM_CHANNEL_ID), what="the DM answer")
        token = double.message_command(target)
        await first_followup(double, token)
        double.forbidden[DM_CHANNEL_ID] = MISSING_PERMISSIONS
        caplog.set_level(logging.INFO, logger="qabot")
        posted = await reply_to(double, double.click(double.followups(token)[0].response, label="Post publicly"))
    assert posted["content"] == CANNOT_POST
    logged = [r.getMessage() for r in caplog.records]
    assert any("could not post" in line for line in logged), logged
    assert not any(str(DM_CHANNEL_ID) in line for line in logged), logged


# -- 10. the metrics name no one ----------------------------------------------------------------------


async def test_the_metrics_scraped_after_every_door_and_hostile_presses_carry_no_members_input(
        communities, double, scopes, tmp_path) -> None:
    """Questions through every door (in and out of scope, too long, in a direct message, about a message), votes and
    crafted presses: a real scrape of /metrics labels them with fixed words alone, and names no member, server,
    channel or message, nor anything a member typed."""
    from prometheus_client.parser import text_string_to_metric_families

    from qabot.metrics import FRONTENDS, OUTCOMES, REASONS
    from tests.discord_double import USER_BASE

    marker = "Zanzibar-4417"  # typed by members, where a label could pick it up
    settings = bot_settings(tmp_path, scopes, discord_max_question_chars=120, discord_scopes_file=None)
    async with running(communities, double, **settings) as bot:
        server = bot.metrics.serve(0)
        try:
            token = double.slash("ask", question=f"{QUESTION} {marker}", k=1)
            await first_followup(double, token)
            await reply_to(double, double.slash("ask", question=marker * 20, user_n=2))
            double.message(f"{QUESTION} {marker}", channel_id=DM_CHANNEL_ID, mention_bot=False, user_n=3)
            await double.until(lambda: double.replies(DM_CHANNEL_ID), what="the DM answer")
            double.message(f"{QUESTION} {marker}", channel_id=B_CHANNEL_ID, user_n=4)
            await double.until(lambda: double.replies(B_CHANNEL_ID), what="the mention's answer")
            target = double.message(f"{marker} {QUESTION}", user_n=5, mention_bot=False)
            await first_followup(double, double.message_command(target, user_n=6))
            buttons = custom_ids(double, double.followups(token)[0].response)
            await reply_to(double, double.press(buttons["Helpful"], user_n=7))
            await reply_to(double, double.press(buttons["Helpful"], channel_id=B_CHANNEL_ID, user_n=8))
            await reply_to(double, double.press(ids.more_id(buttons["Helpful"].split(":")[3], 10**30), user_n=9))
            text = await asyncio.to_thread(_metrics_text, server.port)
        finally:
            server.close()
    labels = {(name, value) for family in text_string_to_metric_families(text) for sample in family.samples
              for name, value in sample.labels.items() if family.name.startswith("qabot_")}
    allowed = {"frontend": set(FRONTENDS), "outcome": set(OUTCOMES), "reason": {"", *REASONS}, "le": None,
               "value": {"helpful", "not_helpful"}}
    assert {value for name, value in labels if name == "frontend"} == {"slash", "mention", "dm", "menu"}
    for name, value in labels:
        assert name in allowed and (allowed[name] is None or value in allowed[name]), (name, value)
    for clear in (marker, "user", str(USER_BASE), str(GUILD_ID), str(GUILD_B_ID), str(CHANNEL_ID), str(DM_CHANNEL_ID)):
        assert clear not in text, clear


def _metrics_text(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return response.read().decode()
