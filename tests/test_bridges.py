"""A bridge (from IRC or Matrix) or PluralKit posts through a webhook, each message under the name of the person it
relays: in an export and live, each name is a person whose messages ask and answer, where a webhook that posts under
one name only (a feed) stays a bot's, never the answer (``qabot.corpus.chat.Bridges``).

The export through the real model; live through the real discord.py client against the loopback Discord, on the fake
embedder, as ``tests/test_discord_history.py`` does (its fixtures and helpers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qabot.adapters.discord.admin import FORGOTTEN
from qabot.corpus import load_file
from qabot.corpus.chat import BOT, Bridges, ChatMessage
from qabot.corpus.files import CorpusFile
from qabot.corpus.roles import ASKS
from qabot.feedback import FeedbackStore
from qabot.history import HistoryStore
from tests import documents
from tests import test_discord_history as history_tests
from tests.discord_double import CHANNEL_ID, OTHER_CHANNEL_ID
from tests.test_discord_bot import first_followup, running
from tests.test_discord_history import ask, backfilled, cites, settings, until_answer

discord_api, double, qa = history_tests.discord_api, history_tests.double, history_tests.qa  # the same fixtures

BRIDGE = "1100000000000000001"  # the webhook a Matrix bridge posts through
FEED = "1100000000000000002"  # a webhook that posts the weather under one name
OTHER_BRIDGE = "1100000000000000003"


def _through(webhook: str, record: dict) -> dict:
    """An export's message as a webhook posts it: DiscordChatExporter writes the webhook as its author (its id, the
    name the message was posted under, discriminator 0000, a bot)."""
    name = record["author"]["nickname"]
    return {**record, "author": {**record["author"], "id": webhook, "name": name, "nickname": name,
                                 "discriminator": "0000", "isBot": True}}


def _at(minute: int) -> str:
    return f"2024-06-03T{10 + minute // 60:02d}:{minute % 60:02d}:00+00:00"


def _chat() -> list[dict]:
    return [
        _through(FEED, documents.message("9001", "Sky Feed", "Tonight: clear skies over the dome after 22:00, "
                                         "seeing 1.2 arcseconds", _at(0))),
        _through(BRIDGE, documents.message("9002", "ana [m]", "how do I stop the dome camera losing its focus after "
                                           "every power cut?", _at(1))),
        _through(BRIDGE, documents.message("9003", "ben [m]", "save it with `camctl focus --store`, the camera "
                                           "reloads the stored focus at boot", _at(2), reply_to="9002")),
        _through(BRIDGE, documents.message("9004", "ana [m]", "thanks ben, that did it", _at(3), reply_to="9003")),
    ]


def test_an_exports_bridged_people_ask_and_answer_and_a_feed_stays_a_bot(tmp_path: Path, bot_for) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    documents.write_export(corpus / "dome.json", _chat())
    warnings: list[str] = []
    docs = list(load_file(CorpusFile(corpus / "dome.json", "dome.json"), warn=warnings.append))
    assert not warnings
    roles = {p.url.rsplit("/", 1)[1]: p.role for d in docs for p in d.paragraphs}
    assert roles["9001"] == BOT and roles["9002"] == ASKS and roles["9003"] not in (BOT, ASKS), roles
    answer = bot_for(corpus).ask("The dome camera forgets its focus whenever the power goes out. How do I keep it?",
                                 k=3)
    assert answer.answered
    first = answer.excerpts[0]
    assert first.citation.link.endswith("/9003") and first.citation.author == "ben [m]"
    assert "camctl focus --store" in first.highlight


def test_a_bridges_first_speaker_is_held_until_a_second_shows_it_bridges_people() -> None:
    """Live, a webhook is known to bridge people once it has posted under a second name: what it posted under the
    first until then is held (its last ``HELD`` messages, an edit replacing, a deletion dropping), then kept; a
    webhook seen under one name only keeps nothing."""
    bridges = Bridges()

    def said(n: int, name: str) -> ChatMessage:
        return ChatMessage(id=str(n), author=name, author_key=f"k-{name}", date=_at(n), content=f"message {n}")

    assert bridges.admit("w", "ana", said(1, "ana")) == []
    assert bridges.admit("w", "Ana", said(2, "Ana")) == []  # the same name, as folded
    assert bridges.admit("w", "ana", said(1, "ana")) == []  # an edit of 1
    bridges.drop({"2"})
    assert [m.id for m in bridges.admit("w", "ben", said(3, "ben"))] == ["1", "3"]
    assert [m.id for m in bridges.admit("w", "ana", said(4, "ana"))] == ["4"]
    for n in range(Bridges.HELD + 5):
        assert bridges.admit("feed", "Sky Feed", said(100 + n, "Sky Feed")) == []
    assert "feed" not in bridges and "w" in bridges


def _webhook_author(name: str, webhook: str = BRIDGE) -> dict[str, Any]:
    """A webhook message's author as Discord sends it: the webhook's id, the name posted under, 0000, a bot."""
    return {"id": webhook, "username": name, "discriminator": "0000", "global_name": None, "avatar": None,
            "bot": True}


async def test_a_live_bridges_people_are_learnt_and_cited_by_name(qa, double, tmp_path) -> None:
    """Read by the backfill, and heard live (another bridge): the first person's first message, held until a
    second name showed that the webhook bridges people, is kept too."""
    question = double.seed("where do the spare eyepieces live?", channel_id=OTHER_CHANNEL_ID,
                           author=_webhook_author("cleo [m]"), seconds_ago=600)
    before = [question, double.seed("in the red case under the control desk", channel_id=OTHER_CHANNEL_ID,
                                    author=_webhook_author("dan [m]"), seconds_ago=599, reply_to=question)]
    for message in before:
        message["webhook_id"] = BRIDGE
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        await until_answer(double, "where are the spare eyepieces", lambda b: cites(b, before[1]))
        asked = double.message("How do I recalibrate the spectrograph after a cold night?", mention_bot=False,
                               channel_id=OTHER_CHANNEL_ID, author=_webhook_author("ana [m]", OTHER_BRIDGE),
                               fields={"webhook_id": OTHER_BRIDGE})
        answer = double.message("Run the arc-lamp sequence twice, then refit the wavelength solution with "
                                "specfit --arc latest.", mention_bot=False, channel_id=OTHER_CHANNEL_ID,
                                author=_webhook_author("ben [m]", OTHER_BRIDGE),
                                fields={"webhook_id": OTHER_BRIDGE}, reply_to=asked)
        body, _ = await until_answer(double, "how to recalibrate the spectrograph after a cold night",
                                     lambda b: cites(b, answer))
        await bot.learning.feed.settled()
    assert "ben \\[m]" in body["embeds"][0]["fields"][0]["value"]  # cited by the name bridged (Markdown-escaped)
    kept = HistoryStore(FeedbackStore(tmp_path / "state"))
    people = {s.message.author: s.message.author_key for s in kept.exchange(OTHER_CHANNEL_ID, int(asked["id"]))}
    assert set(people) == {"ana [m]", "ben [m]"} and people["ana [m]"] != people["ben [m]"]  # the held question too
    assert OTHER_BRIDGE not in str(people.values())  # the webhook's id is kept salted, as a member's is


async def test_forget_bridged_removes_a_bridged_persons_messages_now_and_from_then_on(qa, double, tmp_path) -> None:
    """A bridged person is no member, so ``/qabot forget`` cannot name them: ``/qabot forget-bridged`` takes the name
    the bridge posts them under (in any case), and their messages leave the history and the index; what any bridge
    posts for them later is not kept, while the others it bridges still are."""
    question = double.seed("where do the spare eyepieces live?", channel_id=OTHER_CHANNEL_ID,
                           author=_webhook_author("cleo [m]"), seconds_ago=600)
    answer = double.seed("the spare eyepieces live in the red case under the control desk",
                         channel_id=OTHER_CHANNEL_ID, author=_webhook_author("dan [m]"), seconds_ago=599,
                         reply_to=question)
    for message in (question, answer):
        message["webhook_id"] = BRIDGE
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        await until_answer(double, "where are the spare eyepieces", lambda b: cites(b, answer))
        for asked_about in (answer, question):  # "Ask qabot": a question in dan's words, and one in cleo's
            await first_followup(double, double.message_command(asked_about, user_n=8))
        reply = await first_followup(double, double.slash("qabot", subcommand="forget-bridged", person="Dan [M]"))
        # Through another bridge (Matrix and IRC, say), which shows that it bridges people at its second name.
        kept_on = double.message("the spare eyepieces live in the blue case by the door now", mention_bot=False,
                                 channel_id=OTHER_CHANNEL_ID, author=_webhook_author("cleo [m]", OTHER_BRIDGE),
                                 fields={"webhook_id": OTHER_BRIDGE})
        later = double.message("the spare eyepieces live in the red case, in its top drawer", mention_bot=False,
                               channel_id=OTHER_CHANNEL_ID, author=_webhook_author("dan [m]", OTHER_BRIDGE),
                               fields={"webhook_id": OTHER_BRIDGE}, reply_to=question)
        body, _ = await until_answer(double, "where are the spare eyepieces", lambda b: cites(b, kept_on))
        await bot.learning.feed.settled()
    assert reply["content"] == FORGOTTEN.format(count=1, name="Dan \\[M]") and reply["flags"] == 64
    assert not cites(body, answer) and not cites(body, later)
    kept = HistoryStore(FeedbackStore(tmp_path / "state"))
    found = kept.get([int(m["id"]) for m in (question, answer, later, kept_on)])
    assert sorted(s.message.author for s in found.values()) == ["cleo [m]", "cleo [m]"]
    asked = [a.question for a in FeedbackStore(tmp_path / "state").answers()]
    assert question["content"] in asked and not any("red case" in q for q in asked)  # dan's words went


async def test_a_forgotten_bridged_persons_name_is_kept_only_salted(qa, double, tmp_path) -> None:
    """Who was forgotten is kept so that nothing of theirs is kept again; a member only as a salted hash of their id.
    A bridged person's name is all that says who they are: the unsalted hash of it kept before named them to anyone
    who guessed it."""
    import hashlib

    from qabot.text import fold

    said = double.seed("the spare eyepieces live in the red case", channel_id=OTHER_CHANNEL_ID,
                       author=_webhook_author("dan [m]"), seconds_ago=600)
    said["webhook_id"] = BRIDGE
    async with running(qa, double, **settings(tmp_path)) as bot:
        await backfilled(bot, double)
        await first_followup(double, double.slash("qabot", subcommand="forget-bridged", person="Dan [M]"))
        await bot.learning.feed.settled()
    guessed = hashlib.blake2b(fold("Dan [M]").encode(), digest_size=8).hexdigest()  # anyone can work this out
    assert guessed not in history_tests.state_text(tmp_path)


async def test_a_database_that_kept_bridged_names_unsalted_is_salted_and_still_forgets(
        qa, double, tmp_path, monkeypatch) -> None:
    """A state database of schema 6 kept a bridged person's key with their name's plain hash (a forgotten one's in
    ``history_forgotten``). Opened now, those keys are salted in place: the plain hashes leave the file, the person
    forgotten then stays forgotten (what a bridge posts for them later is not kept), and ``forget-bridged`` of one
    kept then still finds their messages."""
    import hashlib
    import sqlite3

    from qabot.corpus import chat
    from qabot.text import fold

    def plain(name: str) -> str:
        return hashlib.blake2b(fold(name).encode(), digest_size=8).hexdigest()

    said = [double.seed(text, channel_id=OTHER_CHANNEL_ID, author=_webhook_author(name), seconds_ago=600 - n)
            for n, (name, text) in enumerate((("dan [m]", "the spare eyepieces live in the red case"),
                                              ("cleo [m]", "the dew heater cable is in the blue box")))]
    for message in said:
        message["webhook_id"] = BRIDGE
    with monkeypatch.context() as before:  # keyed as schema 6 did: the name's plain hash
        before.setattr(chat, "salted_name", lambda digest, salted: digest)
        async with running(qa, double, **settings(tmp_path)) as bot:
            await backfilled(bot, double)
            await first_followup(double, double.slash("qabot", subcommand="forget-bridged", person="Dan [M]"))
            await bot.learning.feed.settled()
    with sqlite3.connect(tmp_path / "state" / "qabot.sqlite3") as db:
        db.execute("PRAGMA user_version = 6")
    assert plain("dan [m]") in history_tests.state_text(tmp_path)  # as schema 6 kept it
    async with running(qa, double, **settings(tmp_path)) as bot:
        later = double.message("the spare eyepieces live in the red case, in its top drawer", mention_bot=False,
                               channel_id=OTHER_CHANNEL_ID, author=_webhook_author("dan [m]", OTHER_BRIDGE),
                               fields={"webhook_id": OTHER_BRIDGE})
        kept_on = double.message("good evening all", mention_bot=False, channel_id=OTHER_CHANNEL_ID,
                                 author=_webhook_author("eve [m]", OTHER_BRIDGE), fields={"webhook_id": OTHER_BRIDGE})
        await double.until(lambda: HistoryStore(FeedbackStore(tmp_path / "state")).get([int(kept_on["id"])]),
                           timeout=30, what="the later message kept")
        reply = await first_followup(double, double.slash("qabot", subcommand="forget-bridged", person="cleo [m]"))
        await bot.learning.feed.settled()
    assert reply["content"] == FORGOTTEN.format(count=1, name="cleo \\[m]")
    kept = HistoryStore(FeedbackStore(tmp_path / "state")).get(int(m["id"]) for m in (*said, later, kept_on))
    assert [s.message.author for s in kept.values()] == ["eve [m]"]
    state = history_tests.state_text(tmp_path)
    assert plain("dan [m]") not in state and plain("cleo [m]") not in state and plain("eve [m]") not in state
    files = b"".join(path.read_bytes() for path in (tmp_path / "state").glob("qabot.sqlite3*"))
    assert plain("dan [m]").encode() not in files  # nor left in the file's freed pages, or its log



async def test_forget_bridged_takes_their_words_out_of_the_threads_started_from_their_messages(
        qa, double, tmp_path) -> None:
    """A thread a helper made of a bridged person's message is named after it: their words. Its starter was noted by
    the webhook's key, not the person's, so ``forget-bridged`` left the thread (listed without its channel, so the
    message is not kept) cited by their words; and a thread made live afterwards of their message through another
    bridge was learnt by them too. Both are cited untitled."""
    question = double.seed("why does my finder show the sky upside down?", channel_id=OTHER_CHANNEL_ID,
                           author=_webhook_author("dan [m]"), seconds_ago=9000)
    question["webhook_id"] = BRIDGE
    thread = double.thread_from(question, "Finder upside down, says Dan", seconds_ago=8990, announce=False)
    flip = double.seed("A finder without an erecting prism flips the image: that is normal.", user_n=3,
                       channel_id=thread, seconds_ago=8980)
    flipped = "does a finder flip the image"
    async with running(qa, double, **settings(tmp_path, thread, CHANNEL_ID)) as bot:
        await backfilled(bot, double)
        await until_answer(double, flipped, lambda b: cites(b, flip) and "says Dan" in str(b["embeds"]),
                           channel_id=thread)
        await first_followup(double, double.slash("qabot", subcommand="forget-bridged", person="Dan [M]"))
        after = await ask(double, flipped, channel_id=thread)
        for name, said in (("cleo [m]", "good evening all"), ("dan [m]", "my dome slit sticks in the cold, any fix?")):
            again = double.message(said, mention_bot=False, channel_id=CHANNEL_ID,  # through another bridge
                                   author=_webhook_author(name, OTHER_BRIDGE), fields={"webhook_id": OTHER_BRIDGE})
        later = double.thread_from(again, "Dome slit sticks, says Dan")
        grease = double.message("Grease the slit's rails with a cold-rated grease and it runs again.", user_n=2,
                                channel_id=later, mention_bot=False)
        found, _ = await until_answer(double, "how to stop a dome slit sticking in the cold",
                                      lambda b: cites(b, grease))
        await bot.learning.feed.settled()
    assert cites(after, flip) and "Dan" not in str(after["embeds"])
    assert "Dan" not in str(found["embeds"]) and "says Dan" not in history_tests.state_text(tmp_path)
