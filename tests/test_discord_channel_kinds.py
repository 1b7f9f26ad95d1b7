"""The server's own history across the kinds of channel a real server has, beyond text channels and threads.

Announcement channels and their threads (types 5 and 10), the text chat of voice and stage
channels (2 and 13), media channels (16, posts with tags, like a forum's), categories (4,
nothing to read): each read from its history and live, quoted where the privacy rule allows,
and cited with its jump link. Driven through the real discord.py client against the loopback
Discord (tests/discord_double.py), as test_discord_history is.
"""

from __future__ import annotations

import logging
from typing import Any

from qabot.feedback import FeedbackStore
from qabot.history import HistoryStore
from tests import test_discord_history as history
from tests.discord_double import (
    CATEGORY_ID,
    CHANNEL_ID,
    CONNECT,
    DM_CHANNEL_ID,
    GUILD_ID,
    LINUX_TAG_ID,
    MEDIA_ID,
    MOD_ROLE_ID,
    NEWS_ID,
    STAGE_ID,
    VIEW_CHANNEL,
    VOICE_ID,
)
from tests.test_discord_bot import assert_no_pings, running
from tests.test_discord_history import Recorder, ask, backfilled, cites, jump, links, settings, until_answer

discord_api, double, qa = history.discord_api, history.double, history.qa  # the same fixtures


async def test_every_kind_of_channel_is_read_live_and_from_its_history_and_cited(qa, double, tmp_path) -> None:
    said = {
        NEWS_ID: double.seed("The star party is moved to the second Saturday of May.", channel_id=NEWS_ID),
        VOICE_ID: double.seed("The lounge projector remote is in the blue box.", channel_id=VOICE_ID),
        STAGE_ID: double.seed("Speakers at the town hall use the left microphone.", channel_id=STAGE_ID),
    }
    news_thread = double.thread("star party", parent_id=NEWS_ID, announce=False)
    said[news_thread] = double.seed("Bring a red torch to the star party field.", channel_id=news_thread)
    post = double.thread("Moon mosaic", parent_id=MEDIA_ID, tags=[LINUX_TAG_ID], announce=False)
    said[post] = double.seed("The moon mosaic was stitched with forty frames.", channel_id=post)
    questions = {NEWS_ID: "when is the star party", VOICE_ID: "where is the lounge projector remote",
                 STAGE_ID: "which microphone do town hall speakers use", news_thread: "what to bring to the star party",
                 post: "how many frames in the moon mosaic"}
    listed = (NEWS_ID, VOICE_ID, STAGE_ID, MEDIA_ID, CATEGORY_ID)
    async with running(qa, double, **settings(tmp_path, *listed)) as bot:
        await backfilled(bot, double)
        for channel_id, question in questions.items():
            await until_answer(double, question, lambda b, m=said[channel_id]: cites(b, m), seconds=5)
        live = {VOICE_ID: double.message("The lounge kettle is descaled every Friday.", channel_id=VOICE_ID,
                                         mention_bot=False),
                STAGE_ID: double.message("The town hall lights dim at eight.", channel_id=STAGE_ID,
                                         mention_bot=False)}
        await until_answer(double, "when is the lounge kettle descaled", lambda b: cites(b, live[VOICE_ID]))
        body, _ = await until_answer(double, "when do the town hall lights dim", lambda b: cites(b, live[STAGE_ID]))
    assert f"https://discord.com/channels/{GUILD_ID}/{STAGE_ID}/{live[STAGE_ID]['id']}" in str(body["embeds"])
    assert "#town-hall" in str(body["embeds"])


async def test_a_mention_and_ask_in_a_voice_channels_text_chat_are_answered_without_pings(qa, double,
                                                                                          tmp_path) -> None:
    remote = double.seed("The lounge projector remote is in the blue box.", channel_id=VOICE_ID)
    async with running(qa, double, **settings(tmp_path, VOICE_ID)) as bot:
        await backfilled(bot, double)
        body = await ask(double, "where is the lounge projector remote", channel_id=VOICE_ID)
        double.message("where is the lounge projector remote?", channel_id=VOICE_ID, user_n=3)
        reply = (await double.until(lambda: double.replies(VOICE_ID), what="a reply in the voice chat"))[0].body
    assert cites(body, remote) and jump(remote) in str(reply["embeds"])
    assert int(reply["message_reference"]["channel_id"]) == VOICE_ID
    assert_no_pings(double)


async def test_a_public_voice_chat_is_quoted_in_direct_messages_where_allowed(qa, double, tmp_path) -> None:
    spy = Recorder(qa)
    remote = double.seed("The lounge projector remote is in the blue box.", channel_id=VOICE_ID)
    async with running(spy, double, **settings(tmp_path, VOICE_ID, CATEGORY_ID, discord_history_dms=True)) as bot:
        await backfilled(bot, double)
        await ask(double, "where is the lounge projector remote", channel_id=DM_CHANNEL_ID)
    assert jump(remote) in links(spy.answers[-1])


async def test_a_voice_chat_whose_history_is_refused_is_logged_as_needing_connect_too(qa, double, tmp_path,
                                                                                      caplog) -> None:
    """Discord shows a voice or stage channel's text chat only to those who may connect to it (as the README says:
    give the bot Connect there); a refused one was logged as needing View Channel and Read Message History alone."""
    caplog.set_level(logging.WARNING, logger="qabot")
    double.history_errors[VOICE_ID] = double.history_errors[CHANNEL_ID] = 403
    async with running(qa, double, **settings(tmp_path, VOICE_ID, CHANNEL_ID)) as bot:
        await backfilled(bot, double)
    said = {line.split("'s history", 1)[0].rsplit(" ", 1)[-1]: line for line in
            (r.getMessage() for r in caplog.records) if "cannot read" in line}
    assert "View Channel, Read Message History and Connect" in said["#lounge"], said
    assert "View Channel and Read Message History" in said["#general"], said


# -- privacy -------------------------------------------------------------------------------------------


def hidden_from(*roles: int, deny: int = VIEW_CHANNEL) -> list[dict[str, Any]]:
    return [{"id": str(role), "type": 0, "allow": "0", "deny": str(deny)} for role in roles]


def opened_to(role: int, allow: int = VIEW_CHANNEL) -> dict[str, Any]:
    return {"id": str(role), "type": 0, "allow": str(allow), "deny": "0"}


async def test_a_voice_chat_a_role_may_not_view_turns_private_at_once(qa, double, tmp_path) -> None:
    """A voice channel's text chat is read by whoever may view the channel: hidden from one role (CHANNEL_UPDATE
    heard live), it is quoted only in itself from the next answer on."""
    remote = double.seed("The lounge projector remote is in the blue box.", channel_id=VOICE_ID)
    question = "where is the lounge projector remote"
    async with running(qa, double, **settings(tmp_path, VOICE_ID)) as bot:
        await backfilled(bot, double)
        assert cites(await ask(double, question), remote)
        double.change_channel(VOICE_ID, permission_overwrites=hidden_from(MOD_ROLE_ID))
        await until_answer(double, question, lambda b: not cites(b, remote), seconds=10)
        assert cites(await ask(double, question, channel_id=VOICE_ID), remote)


async def test_a_voice_or_stage_chat_some_members_may_not_connect_to_is_private(qa, double, tmp_path) -> None:
    """A voice or stage channel's text chat is for those who may connect to it (Discord denies the rest with it:
    a member who may not connect cannot read the chat), so a channel @everyone may not connect to (but the mods
    may), or one a role may not (live, CHANNEL_UPDATE), is quoted only where all its readers may connect."""
    spy = Recorder(qa)
    remote = double.seed("The lounge projector remote is in the blue box.", channel_id=VOICE_ID)
    mic = double.seed("The town hall projector remote sits by the left microphone.", channel_id=STAGE_ID)
    double.changed[VOICE_ID] = {"permission_overwrites": [*hidden_from(GUILD_ID, deny=CONNECT),
                                                          opened_to(MOD_ROLE_ID, allow=CONNECT)]}
    question = "where is the projector remote"
    async with running(spy, double, **settings(tmp_path, VOICE_ID, STAGE_ID, discord_history_dms=True)) as bot:
        await backfilled(bot, double)
        await ask(double, question)
        assert jump(remote) not in links(spy.answers[-1]) and jump(mic) in links(spy.answers[-1])
        double.change_channel(STAGE_ID, permission_overwrites=hidden_from(MOD_ROLE_ID, deny=CONNECT))
        await until_answer(double, question, lambda b: not cites(b, mic), seconds=10)
        seen = {}
        for where in (CHANNEL_ID, DM_CHANNEL_ID, VOICE_ID, STAGE_ID):
            await ask(double, question, channel_id=where)
            seen[where] = links(spy.answers[-1])
    assert not {jump(remote), jump(mic)} & (seen[CHANNEL_ID] | seen[DM_CHANNEL_ID])
    assert jump(remote) in seen[VOICE_ID] and jump(mic) not in seen[VOICE_ID]
    assert jump(mic) in seen[STAGE_ID] and jump(remote) not in seen[STAGE_ID]


async def test_private_announcements_media_and_stage_channels_are_quoted_only_where_their_readers_are(
        qa, double, tmp_path) -> None:
    """An announcement channel hidden from @everyone but the mods (and its thread), a media channel hidden from the
    mods (and its post), an age-restricted stage channel: each quoted only in itself and its threads, never in a
    public channel, another private one whose readers may not read it, or a direct message."""
    spy = Recorder(qa)
    double.changed[NEWS_ID] = {"permission_overwrites": [*hidden_from(GUILD_ID), opened_to(MOD_ROLE_ID)]}
    double.changed[MEDIA_ID] = {"permission_overwrites": hidden_from(MOD_ROLE_ID)}
    double.changed[STAGE_ID] = {"nsfw": True}
    news = double.seed("The staff star party is on Friday.", channel_id=NEWS_ID)
    news_thread = double.thread("staff party", parent_id=NEWS_ID, announce=False)
    in_thread = double.seed("The staff star party needs a red torch.", channel_id=news_thread)
    post = double.thread("Staff moon mosaic", parent_id=MEDIA_ID, announce=False)
    in_post = double.seed("The staff star party mosaic has forty frames.", channel_id=post)
    stage = double.seed("The staff star party talk is on the stage.", channel_id=STAGE_ID)
    secret = {jump(m) for m in (news, in_thread, in_post, stage)}
    async with running(spy, double, **settings(tmp_path, NEWS_ID, MEDIA_ID, STAGE_ID,
                                               discord_history_dms=True)) as bot:
        await backfilled(bot, double)
        seen = {}
        for where in (CHANNEL_ID, DM_CHANNEL_ID, NEWS_ID, news_thread, post, STAGE_ID):
            await ask(double, "when is the staff star party", channel_id=where)
            seen[where] = links(spy.answers[-1])
    assert not seen[CHANNEL_ID] & secret and not seen[DM_CHANNEL_ID] & secret
    assert {jump(news), jump(in_thread)} <= seen[NEWS_ID] and {jump(news), jump(in_thread)} <= seen[news_thread]
    assert jump(in_post) in seen[post] and jump(stage) in seen[STAGE_ID]
    assert jump(stage) not in seen[NEWS_ID] and jump(in_post) not in seen[NEWS_ID]


async def test_a_deleted_voice_or_media_channel_is_forgotten_with_its_posts(qa, double, tmp_path) -> None:
    remote = double.seed("The lounge projector remote is in the blue box.", channel_id=VOICE_ID)
    post = double.thread("Moon mosaic", parent_id=MEDIA_ID, announce=False)
    in_post = double.seed("The moon mosaic was stitched with forty frames.", channel_id=post)
    async with running(qa, double, **settings(tmp_path, VOICE_ID, MEDIA_ID)) as bot:
        await backfilled(bot, double)
        assert cites(await ask(double, "where is the lounge projector remote"), remote)
        assert cites(await ask(double, "how many frames in the moon mosaic"), in_post)
        double.delete_channel(VOICE_ID)
        double.delete_channel(MEDIA_ID)
        await until_answer(double, "where is the lounge projector remote", lambda b: not cites(b, remote))
        await until_answer(double, "how many frames in the moon mosaic", lambda b: not cites(b, in_post))
    kept = HistoryStore(FeedbackStore(tmp_path / "state"))
    assert kept.get([int(remote["id"]), int(in_post["id"])]) == {}


async def test_an_announcement_channels_archived_threads_are_read_without_asking_for_private_ones(
        qa, double, tmp_path) -> None:
    """An announcement channel has announcement threads, public, and never private ones (Discord's channel types:
    a private thread is a text channel's alone): its archived threads are listed and read, and Discord is not asked
    for private archived threads it cannot have; a text channel's still are."""
    kept_thread = double.thread("dark sky", parent_id=NEWS_ID, archived=True, announce=False)
    stays = double.seed("The dark sky meter is kept at the star party field.", channel_id=kept_thread)
    async with running(qa, double, **settings(tmp_path, NEWS_ID, CHANNEL_ID)) as bot:
        await backfilled(bot, double)
        assert cites(await ask(double, "what is kept at the star party field"), stays)
    assert double.sent("GET", f"/channels/{NEWS_ID}/threads/archived/public")
    assert double.sent("GET", f"/channels/{CHANNEL_ID}/threads/archived/private")
    assert not double.sent("GET", f"/channels/{NEWS_ID}/threads/archived/private")


async def test_a_thread_or_channel_deleted_while_the_bot_was_away_is_forgotten_at_the_next_start(
        qa, double, tmp_path) -> None:
    """No THREAD_DELETE or CHANNEL_DELETE is heard for what was deleted while the bot was away: at the next start,
    Discord's 404 (Unknown Channel) for a listed channel, or for a thread kept that its channel no longer lists,
    takes its history out of the index and the state database."""
    news_thread = double.thread("star party", parent_id=NEWS_ID, announce=False)
    torch = double.seed("Bring a red torch to the star party field.", channel_id=news_thread)
    remote = double.seed("The lounge projector remote is in the blue box.", channel_id=VOICE_ID)
    kept_thread = double.thread("dark sky", parent_id=NEWS_ID, archived=True, announce=False)
    stays = double.seed("The dark sky meter is kept at the star party field.", channel_id=kept_thread)
    listed = settings(tmp_path, NEWS_ID, VOICE_ID)
    async with running(qa, double, **listed) as bot:
        await backfilled(bot, double)
        assert cites(await ask(double, "what to bring to the star party field"), torch)
        assert cites(await ask(double, "where is the lounge projector remote"), remote)
    double.vanish(news_thread)
    double.vanish(VOICE_ID)
    async with running(qa, double, **listed) as bot:
        await backfilled(bot, double)
        gone = await ask(double, "what to bring to the star party field")
        still = await ask(double, "what is kept at the star party field")
    assert not cites(gone, torch) and cites(still, stays)
    kept = HistoryStore(FeedbackStore(tmp_path / "state"))
    assert kept.get([int(torch["id"]), int(remote["id"])]) == {} and kept.get([int(stays["id"])])
    assert {row.id for row in kept.channels()} == {NEWS_ID, kept_thread}
