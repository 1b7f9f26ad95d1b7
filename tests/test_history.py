"""The core of a live chat's history (qabot/history): the privacy rule, the store, linking and the service,
with a real index (fake embedder) and a real state database in this test's folder. The Discord adapter
around it is tested through the loopback Discord in test_discord_history.py."""

from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from qabot.corpus.chat import ChatMessage
from qabot.corpus.roles import ANSWERS, ASKS
from qabot.feedback import FeedbackStore
from qabot.history import (
    CHANNEL,
    PRIVATE_THREAD,
    THREAD,
    Changes,
    ChannelRow,
    History,
    HistoryChannel,
    HistoryStore,
    Where,
    linking,
    quotable,
)
from qabot.history.privacy import within
from qabot.history.readers import Access, Overwrite, Server, covers
from qabot.index.scope import Scope, chat_source, is_chat_source

GUILD, OTHER_GUILD = 10, 20
PUBLIC, PRIVATE, ELSEWHERE = 100, 101, 200  # ELSEWHERE: a public channel of OTHER_GUILD
PUBLIC_THREAD, PRIVATE_THREAD_ID, THREAD_OF_PRIVATE = 110, 111, 112

CHANNELS = [
    HistoryChannel(GUILD, PUBLIC),
    HistoryChannel(GUILD, PRIVATE),
    HistoryChannel(GUILD, PUBLIC_THREAD, PUBLIC),
    HistoryChannel(GUILD, PRIVATE_THREAD_ID, PUBLIC, private_thread=True),
    HistoryChannel(GUILD, THREAD_OF_PRIVATE, PRIVATE),
    HistoryChannel(OTHER_GUILD, ELSEWHERE),
]


def everyone_reads(_guild: int, _here: int | None) -> Any:
    """Discord's view: every member reads PUBLIC and ELSEWHERE; PRIVATE hides from @everyone; a channel it does not
    know is read by nobody it can name."""
    return lambda there: there in (PUBLIC, ELSEWHERE)


def sources(*channels: int, guild: int = GUILD) -> frozenset[str]:
    return frozenset(chat_source(guild, c) for c in channels)


# -- the privacy rule ----------------------------------------------------------------------------------


def test_history_is_quoted_only_in_its_own_server() -> None:
    assert quotable(Where(OTHER_GUILD, ELSEWHERE), CHANNELS, everyone_reads) == sources(ELSEWHERE, guild=OTHER_GUILD)
    assert not quotable(Where(GUILD, PUBLIC), CHANNELS, everyone_reads) & sources(ELSEWHERE, guild=OTHER_GUILD)


def test_a_private_channel_is_quoted_only_in_itself_and_its_threads() -> None:
    public = sources(PUBLIC, PUBLIC_THREAD)
    assert quotable(Where(GUILD, PUBLIC), CHANNELS, everyone_reads) == public
    assert quotable(Where(GUILD, PUBLIC_THREAD, PUBLIC), CHANNELS, everyone_reads) == public
    mine = public | sources(PRIVATE, THREAD_OF_PRIVATE)
    assert quotable(Where(GUILD, PRIVATE), CHANNELS, everyone_reads) == mine
    assert quotable(Where(GUILD, THREAD_OF_PRIVATE, PRIVATE), CHANNELS, everyone_reads) == mine


def test_a_private_thread_is_quoted_only_in_itself() -> None:
    assert quotable(Where(GUILD, PRIVATE_THREAD_ID, PUBLIC), CHANNELS, everyone_reads) == sources(
        PUBLIC, PUBLIC_THREAD, PRIVATE_THREAD_ID)
    assert chat_source(GUILD, PRIVATE_THREAD_ID) not in quotable(Where(GUILD, PRIVATE), CHANNELS, everyone_reads)


def test_direct_messages_quote_only_when_allowed_public_history_their_reader_reads() -> None:
    def everything(_guild: int, _channel: int) -> bool:
        return True

    def in_guild(guild: int, _channel: int) -> bool:  # a member of GUILD alone
        return guild == GUILD

    assert quotable(Where(None, 5), CHANNELS, everyone_reads, reads=everything) == frozenset()
    assert quotable(Where(None, 5), CHANNELS, everyone_reads, dms=True, reads=everything) == sources(
        PUBLIC, PUBLIC_THREAD) | sources(ELSEWHERE, guild=OTHER_GUILD)
    assert quotable(Where(None, 5), CHANNELS, everyone_reads, dms=True, reads=in_guild) == sources(PUBLIC, PUBLIC_THREAD)
    assert quotable(Where(None, 5), CHANNELS, everyone_reads, dms=True) == frozenset()  # who reads it cannot be told


def test_a_channel_discord_cannot_tell_about_is_private() -> None:
    gone = [HistoryChannel(GUILD, 999), HistoryChannel(GUILD, 998, 999)]  # deleted, or never seen
    assert quotable(Where(GUILD, PUBLIC), gone, everyone_reads) == frozenset()
    assert quotable(Where(GUILD, 998, 999), gone, everyone_reads) == sources(999, 998)


def test_a_scope_narrows_history_and_never_widens_it() -> None:
    allowed = sources(PUBLIC)
    files = Scope(("handbook.txt",), allowed)
    assert files.matches("handbook.txt") and not files.matches(chat_source(GUILD, PUBLIC))
    opened = Scope(("handbook.txt", "discord"), allowed)
    assert opened.matches(chat_source(GUILD, PUBLIC)) and not opened.matches(chat_source(GUILD, PRIVATE))
    everything = Scope(None, allowed)
    assert everything.matches("any/file.pdf") and everything.matches(chat_source(GUILD, PUBLIC))
    assert not everything.matches(chat_source(OTHER_GUILD, ELSEWHERE))
    assert is_chat_source("discord/1/2") and not is_chat_source("discord/help.json")  # a corpus file is no chat


def test_an_answer_sent_within_a_narrower_scope_loses_what_it_no_longer_allows(make_corpus, fake_bot_for) -> None:
    """An answer found before a channel turned private, sent after (``within``): its excerpts of that channel go; it
    stays an answer only while its best excerpt stays, and nowhere keeps nothing."""
    qa = fake_bot_for(make_corpus({"a.txt": "The dome opens at dusk.\n", "b.txt": "The dome opens at night.\n"}),
                      answer_threshold=0.0)
    answer = qa.ask("when does the dome open", k=2)
    best, second = (e.citation.source for e in answer.excerpts)
    assert answer.answered and within(answer, None) is answer and within(answer, (best, second)) == answer
    assert within(answer, (best,)).excerpts == answer.excerpts[:1] and within(answer, (best,)).answered
    rest = within(answer, Scope((second,)))
    assert rest.excerpts == answer.excerpts[1:] and not rest.answered and rest.confidence == 0.0
    assert within(answer, ()).excerpts == [] and not within(answer, ()).answered


# -- who may read a channel: roles and overwrites (qabot.history.readers) ---------------------------------------

READ = ("view_channel", "read_message_history")
READING = frozenset(READ)
MEMBER_ROLE, MOD_ROLE, ADMIN_ROLE, ALICE = 1, 2, 3, 42
HIDDEN_FROM_EVERYONE = Overwrite(deny=frozenset({"view_channel"}))
GATED = Server(everyone=frozenset({"send_messages"}), roles={MEMBER_ROLE: READING, MOD_ROLE: frozenset(),
                                                             ADMIN_ROLE: frozenset({"administrator"})})


def test_in_a_server_where_a_role_opens_every_channel_they_quote_one_another() -> None:
    """@everyone reads nothing; the "member" role reads every channel (server-wide, or by each channel's
    overwrites): every reader of one channel reads the others, though no channel is public."""
    plain = Access(READ)
    assert covers(GATED, plain, plain) and not covers(GATED, None, plain)
    opened = Server(everyone=READING, roles=GATED.roles)
    by_overwrites = Access(READ, everyone=HIDDEN_FROM_EVERYONE, roles={MEMBER_ROLE: Overwrite(allow=READING)})
    assert covers(opened, by_overwrites, by_overwrites) and not covers(opened, None, by_overwrites)
    assert covers(opened, by_overwrites, Access(READ))  # a public channel, in a gated one


def test_a_channel_a_further_role_restricts_is_not_quoted_in_a_wider_one() -> None:
    """A staff channel only "mods" open: a member without the role reads the wider channel and not it; nor is the
    wider one quoted in the staff channel (a mod need not be a member)."""
    wider = Access(READ)
    staff = Access(READ, roles={MEMBER_ROLE: Overwrite(deny=frozenset({"view_channel"})),
                                MOD_ROLE: Overwrite(allow=READING)})
    assert not covers(GATED, wider, staff) and not covers(GATED, staff, wider) and covers(GATED, staff, staff)
    history_only = Access(READ, roles={MEMBER_ROLE: Overwrite(deny=frozenset({"read_message_history"}))})
    assert not covers(GATED, wider, history_only)  # viewing it is not reading its history


def test_a_member_overwrite_opening_a_channel_to_one_person_keeps_its_readers_from_quoting_others() -> None:
    let_in = Access(READ, members={ALICE: Overwrite(allow=READING)})
    assert not covers(GATED, let_in, Access(READ))  # Alice reads it without the role, and not the other
    shut_out = Access(READ, members={ALICE: Overwrite(deny=frozenset({"view_channel"}))})
    assert covers(GATED, shut_out, Access(READ)) and not covers(GATED, Access(READ), shut_out)


def test_administrators_age_restriction_and_voice_chats() -> None:
    assert covers(Server(everyone=frozenset({"administrator"})), None, Access(READ, everyone=HIDDEN_FROM_EVERYONE))
    only_admins = Access(READ, everyone=HIDDEN_FROM_EVERYONE)  # every reader of it is an administrator
    assert covers(Server(everyone=READING, roles=GATED.roles), only_admins, Access(READ))
    adult = Access(READ, age_restricted=True)
    assert not covers(GATED, Access(READ), adult) and covers(GATED, adult, adult) and covers(GATED, adult, Access(READ))
    voice = Access((*READ, "connect"))
    assert not covers(GATED, Access(READ), voice)  # the member role may not connect
    assert covers(Server(everyone=frozenset(), roles={MEMBER_ROLE: READING | {"connect"}}), Access(READ), voice)


def _reads(server: Server, held: frozenset[int], member: int, channel: Access) -> bool:
    """Discord's permission hierarchy, written out for one member holding the roles ``held``: what ``covers`` must
    agree with, for every member a server could have."""
    base = set(server.everyone).union(*(server.roles[r] for r in held))
    if "administrator" in base:
        return True
    may = set(base) - channel.everyone.deny | channel.everyone.allow
    ours = [channel.roles[r] for r in held if r in channel.roles]
    may = may - set().union(*(o.deny for o in ours)) | set().union(*(o.allow for o in ours))
    if member in channel.members:
        may = may - channel.members[member].deny | channel.members[member].allow
    return set(channel.needed) <= may


def test_who_reads_a_channel_agrees_with_discords_rule_for_every_member_of_random_servers() -> None:
    """``covers`` against every member a server could have (each set of its roles, with or without an overwrite of
    their own), on random servers of a few roles: it holds exactly where nobody reads here and not there."""
    import itertools
    import random

    names = ["view_channel", "read_message_history", "connect", "administrator"]
    for seed in range(400):
        draw = random.Random(seed)

        def some(choices: list[str], draw: random.Random = draw) -> frozenset[str]:
            return frozenset(n for n in choices if draw.random() < 0.4)

        server = Server(some(names[:3]), {r: some(names if draw.random() < 0.1 else names[:3])
                                          for r in range(1, draw.randint(1, 6))})

        def channel(draw: random.Random = draw, server: Server = server) -> Access:
            needed = (*READ, "connect") if draw.random() < 0.2 else READ
            return Access(needed, Overwrite(some(list(needed)), some(list(needed))),
                          {r: Overwrite(some(list(needed)), some(list(needed))) for r in server.roles if draw.random() < .4},
                          {m: Overwrite(some(list(needed)), some(list(needed))) for m in (7, 8) if draw.random() < .3})

        here, there = channel(), channel()
        members = [frozenset(c) for k in range(len(server.roles) + 1) for c in itertools.combinations(server.roles, k)]
        for seen_here in (here, None):
            leak = any((seen_here is None or _reads(server, held, m, seen_here)) and not _reads(server, held, m, there)
                       for held in members for m in (0, 7, 8))
            assert covers(server, seen_here, there) is not leak, (seed, seen_here is None)


# -- the service, over a real index and state database ------------------------------------------------------


@pytest.fixture
def kept(tmp_path: Path, make_corpus, fake_bot_for) -> tuple[Any, History, FeedbackStore]:
    qa = fake_bot_for(make_corpus({"handbook.txt": "The dome opens at dusk.\n"}), answer_threshold=0.0)
    state = FeedbackStore(tmp_path / "state")
    history = History(qa, HistoryStore(state))
    history.register(ChannelRow(PUBLIC, GUILD, None, CHANNEL, "Club · #help"))
    return qa, history, state


def said(n: int, who: str, text: str, reply: int | None = None) -> ChatMessage:
    key = f"hash-of-{who}"
    return ChatMessage(id=str(1000 + n), author=who, author_key=key, date=f"2024-05-01T10:{n % 60:02d}:00+00:00",
                       content=text, reply_to=str(1000 + reply) if reply is not None else None,
                       names=frozenset({key}))


def links(qa: Any, question: str) -> list[str]:
    return [e.citation.link or "" for e in qa.ask(question, k=10, sources=Scope(None, sources(PUBLIC)))
            .excerpts]


def test_messages_wait_until_the_backfill_reaches_them_then_link_in_order(kept) -> None:
    qa, history, _ = kept
    # A live message while the channel is being read: kept, not yet indexed.
    history.apply(Changes(put={PUBLIC: [said(5, "Cleo", "Use the grey key for the dome.", reply=1)]}))
    assert not any(link.endswith("/1005") for link in links(qa, "which key opens the dome"))
    page = [said(1, "Ana", "Which key opens the dome?"), said(2, "Ben", "Is the café open?")]
    history.apply(Changes(put={PUBLIC: page}, read={PUBLIC: (1002, False)}))
    history.apply(Changes(put={PUBLIC: [said(5, "Cleo", "Use the grey key for the dome.", reply=1)]},
                          read={PUBLIC: (1005, True)}))
    exchange = history.store.exchange(PUBLIC, 1001)
    assert [s.id for s in exchange] == [1001, 1005] and [s.role for s in exchange] == [ASKS, ANSWERS]
    assert [s.number for s in exchange] == [1, 3]  # their places in the channel, in order
    assert links(qa, "which key opens the dome")[0].endswith("/1005")


def test_a_live_message_applied_before_the_backfills_last_batch_is_linked_with_it(kept) -> None:
    """The backfill fetched its last page (up to 1002); a message (1003) is posted, and its batch is applied before
    the backfill's last one (which waited for History's lock): read to its end, the channel links it too."""
    qa, history, _ = kept
    history.apply(Changes(put={PUBLIC: [said(1, "Ana", "Which key opens the dome?")]}, read={PUBLIC: (1001, False)}))
    history.apply(Changes(put={PUBLIC: [said(3, "Cleo", "The grey key opens the dome.", reply=1)]}))  # live
    history.apply(Changes(put={PUBLIC: [said(2, "Ben", "Is the café open?")]}, read={PUBLIC: (1002, True)}))
    assert history.store.counts() == (3, 3)  # every message kept is linked, and so indexed
    assert links(qa, "which key opens the dome")[0].endswith("/1003")


def test_a_later_message_never_moves_an_earlier_one(kept) -> None:
    _, history, _ = kept
    history.apply(Changes(put={PUBLIC: [said(1, "Ana", "How do I open the dome?"),
                                        said(2, "Ben", "Press the green button.", reply=1)]},
                          read={PUBLIC: (1002, True)}))
    before = {s.id: s.root for s in history.store.exchange(PUBLIC, 1001)}
    history.apply(Changes(put={PUBLIC: [said(3, "Ana", "Thanks Ben!"), said(4, "Dan", "Anyone up for pizza?")]}))
    after = {s.id: s.root for s in history.store.exchange(PUBLIC, 1001)}
    assert before.items() <= after.items() and history.store.get([1004])[1004].root == 1004


def test_a_reply_to_an_old_message_joins_its_exchange(kept, monkeypatch) -> None:
    _, history, _ = kept
    monkeypatch.setattr(linking, "PRIME", 5)  # the untangler goes on from only five messages
    chatter = [said(n, f"p{n % 3}", f"Chatter number {n} about the weather.") for n in range(2, 30)]
    history.apply(Changes(put={PUBLIC: [said(1, "Ana", "How do I align the finder scope?"), *chatter]},
                          read={PUBLIC: (1029, True)}))
    history.apply(Changes(put={PUBLIC: [said(30, "Zoe", "Align it on a far chimney by day.", reply=1)]}))
    zoe = history.store.get([1030])[1030]
    assert zoe.root == 1001 and zoe.parent == 1001 and zoe.role == ANSWERS


def test_a_very_long_conversation_goes_on_as_a_new_exchange(kept, monkeypatch) -> None:
    _, history, _ = kept
    monkeypatch.setattr(linking, "MAX_EXCHANGE", 4)
    history.register(ChannelRow(PUBLIC_THREAD, GUILD, PUBLIC, THREAD, "Club · #help › long"))
    messages = [said(n, "Ana" if n % 2 else "Ben", f"Thread message {n}.") for n in range(1, 11)]
    history.apply(Changes(put={PUBLIC_THREAD: messages[:6]}, read={PUBLIC_THREAD: (1006, True)}))
    history.apply(Changes(put={PUBLIC_THREAD: messages[6:]}))  # live, later: the same exchanges go on
    roots = [history.store.get([1000 + n])[1000 + n].root for n in range(1, 11)]
    assert roots == [1001] * 4 + [1005] * 4 + [1009] * 2


@pytest.mark.parametrize("thread", [True, False], ids=["thread-without-its-question", "reply-to-a-message-not-kept"])
@pytest.mark.parametrize("batches", [1, 3])
def test_an_exchange_opened_by_a_helper_asking_back_is_asked_by_the_member_who_answers_however_it_is_batched(
        kept, thread, batches) -> None:
    """A thread started from a message the history does not keep (``ChannelRow.started_by``), or a channel's
    exchange opened by a reply to a message not kept, whose first message asks back: the member who answers it asks,
    and the helper's fix answers, whether the three messages are linked in one batch or heard one at a time (each
    later one going on from those linked before). One at a time, the helper was taken for the asker."""
    _, history, _ = kept
    where = PUBLIC_THREAD if thread else PUBLIC
    if thread:
        history.register(ChannelRow(PUBLIC_THREAD, GUILD, PUBLIC, THREAD, "Club · #help › key", started_by="hash-of-Ana"))
    messages = [said(1, "Ben", "Moving this here. Which version of the app are you on?", reply=None if thread else 0),
                said(2, "Ana", "Version 3.2 on Windows, and the license key says it is already activated.", reply=1),
                said(3, "Ben", "3.2 has a bug with activations: update to 3.3 and sign in again.", reply=2)]
    for part in [messages] if batches == 1 else [[m] for m in messages]:
        history.apply(Changes(put={where: part}, read={where: (int(part[-1].id), True)}))
    exchange = history.store.exchange(where, 1001)
    assert [s.id for s in exchange] == [1001, 1002, 1003]
    assert [s.role for s in exchange][1:] == [ASKS, ANSWERS] and exchange[-1].asker == "hash-of-Ana"


def test_an_edit_of_a_message_never_kept_is_ignored(kept) -> None:
    _, history, _ = kept
    history.apply(Changes(put={PUBLIC: [said(1, "Ana", "Hello")]}, read={PUBLIC: (1001, True)}))
    history.apply(Changes(edited={PUBLIC: [said(7, "Eve", "An edit of something never kept.")]}))
    assert history.store.counts() == (1, 1)


def test_a_text_found_reading_again_never_undoes_an_edit_heard_live_meanwhile(kept) -> None:
    """A backfill reading its window again holds a page read before a live edit: a member who edited a password
    out must not see it come back when that page is compared (``Changes.rechecked``)."""
    _, history, _ = kept
    history.apply(Changes(put={PUBLIC: [said(1, "Ana", "The door code is 4411."), said(2, "Ben", "Hi")]},
                          read={PUBLIC: (1001, False)}))  # the channel is being read
    history.apply(Changes(edited={PUBLIC: [said(1, "Ana", "Ask the warden for the door code.")]}))
    history.apply(Changes(rechecked={PUBLIC: [said(1, "Ana", "The door code is 4411."),
                                              said(2, "Ben", "Hello all")]}, read={PUBLIC: (1002, True)}))
    found = history.store.get([1001, 1002])
    assert found[1001].message.content == "Ask the warden for the door code."
    assert found[1002].message.content == "Hello all"  # edited while the bot was away: taken


def test_a_member_forgotten_while_a_channel_is_read_leaves_none_of_their_edits_held(kept) -> None:
    """Until every channel is read, the edits heard live are held, whole (a page read before one must not bring its
    old text back): a member forgotten meanwhile leaves none of theirs held in that server, and others' stay."""
    _, history, _ = kept
    history.register(ChannelRow(ELSEWHERE, OTHER_GUILD, None, CHANNEL, "Other · #general"))
    history.apply(Changes(put={PUBLIC: [said(1, "Ana", "The door code is 4411."), said(2, "Ben", "Hi")],
                               ELSEWHERE: [said(3, "Ana", "The gate code is 1234.")]},
                          read={PUBLIC: (1002, False), ELSEWHERE: (1003, False)}))  # being read
    history.apply(Changes(edited={PUBLIC: [said(1, "Ana", "The door code is 4412."), said(2, "Ben", "Hello")],
                                  ELSEWHERE: [said(3, "Ana", "The gate code is 1235.")]}))
    history.forget("hash-of-Ana", GUILD, {"Ana"})
    held = repr(history._edited)
    assert "4412" not in held and "Hello" in held and "1235" in held


def test_an_edit_leaves_no_stored_answer_quoting_what_it_took_out(kept) -> None:
    """A stored answer's highlight (what ``qabot feedback export`` writes as gold) that quoted a message as it read
    before an edit is blanked when the edit takes any of it out, cutting the message short included (the highlight
    then holds more than the message says now), and kept when the edit leaves it whole (a line added)."""
    qa, history, state = kept
    history.apply(Changes(put={PUBLIC: [said(1, "Ana", "The door code is 4411."),
                                        said(2, "Ben", "The red lamp means the dome is moving.")]},
                          read={PUBLIC: (1002, True)}))

    def stored(question: str) -> str:
        answer = qa.ask(question, k=1, sources=Scope(None, sources(PUBLIC)))
        return state.record(answer, frontend="library", guild_id=GUILD, channel_id=PUBLIC)

    code, lamp = stored("what is the door code"), stored("what does the red lamp mean")
    assert "4411" in (state.get(code).highlight or "") and "red lamp" in (state.get(lamp).highlight or "")
    history.apply(Changes(edited={PUBLIC: [said(1, "Ana", "The door code is"),
                                           said(2, "Ben", "The red lamp means the dome is moving. Stay clear.")]}))
    assert state.get(code).highlight is None
    assert "red lamp" in (state.get(lamp).highlight or "")


def test_members_are_kept_only_as_salted_hashes_and_the_database_stays_private(kept, tmp_path) -> None:
    _, history, state = kept
    member_id = 123456789012345678
    key = state.user_hash(f"discord:{member_id}")
    message = ChatMessage(id="1001", author="Ana L.", author_key=key, date="2024-05-01T10:00:00+00:00",
                          content="Where is the dome key?", names=frozenset({key}), mentions=frozenset({key}))
    history.register(ChannelRow(PRIVATE_THREAD_ID, GUILD, PUBLIC, PRIVATE_THREAD, "Club · #help › staff"))
    history.apply(Changes(put={PUBLIC: [message]}, read={PUBLIC: (1001, True)}))
    history.forget(state.user_hash("discord:42"), GUILD)
    state.close()
    path = tmp_path / "state" / "qabot.sqlite3"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    dump = "\n".join(sqlite3.connect(path).iterdump())
    assert str(member_id) not in dump and key in dump and "Ana L." in dump  # the name a citation shows


def test_a_state_database_made_before_forwards_were_kept_keeps_them_after_an_upgrade(tmp_path: Path) -> None:
    """The ``forwarded`` column was added later: a database without it gets it, and what it held is kept."""
    from qabot.history.store import SCHEMA

    state = FeedbackStore(tmp_path / "state")
    with state.transaction() as db:  # the tables as a qabot before forwards made them
        for statement in SCHEMA.replace(",\n    forwarded TEXT NOT NULL DEFAULT ''", "").split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute("INSERT INTO history_messages (id, channel_id, author_hash, author_name, at, content) "
                   "VALUES (5, 1, 'k', 'Ana', '2024-05-01T18:00:00+00:00', 'Hello.')")
    store = HistoryStore(state)
    shared = ChatMessage(id="6", author="Eve", author_key="e", date="2024-05-01T18:01:00+00:00", content="",
                         forwarded="Hold the red button.")
    store.put(1, [shared])
    kept = store.get([5, 6])
    assert kept[5].message.content == "Hello." and kept[6].message.text == "Eve: (forwarded) Hold the red button."


def test_a_thread_noted_as_started_from_a_message_stays_so_when_registered_again(tmp_path: Path) -> None:
    """A thread noted as started from a message (the backfill saw Discord's placeholder for its question) stays so
    when Discord's view of it is registered again (a rename, the next backfill), which cannot tell."""
    store = HistoryStore(FeedbackStore(tmp_path / "state"))
    row = ChannelRow(PUBLIC_THREAD, GUILD, PUBLIC, THREAD, "Club · #help › license")
    assert not store.put_channel(row).from_message
    assert store.put_channel(replace(row, started_by="hash-of-Ana")).started_by == "hash-of-Ana"
    assert store.put_channel(replace(row, title="Club · #help › licence")).started_by == "hash-of-Ana"
    assert store.channel(PUBLIC_THREAD).started_by == "hash-of-Ana"


def test_a_thread_started_from_a_forgotten_members_message_the_history_does_not_keep_loses_their_words(
        tmp_path: Path) -> None:
    """A thread's name may be the words of the message it was started from (``started_by``), kept or not: once its
    author is forgotten, it is shown untitled, whatever Discord says of it later, and so is one noted after."""
    store = HistoryStore(FeedbackStore(tmp_path / "state"))
    row = ChannelRow(PUBLIC_THREAD, GUILD, PUBLIC, THREAD, "Club · #help › Ana's key", untitled="Club · #help › (untitled)")
    store.put_channel(replace(row, started_by="hash-of-Ana"))
    store.forget("hash-of-Ana", GUILD)
    later = replace(row, id=PUBLIC_THREAD + 10)
    store.put_channel(later)
    for thread in (row, later):
        store.put_channel(replace(thread, started_by="hash-of-Ana"))  # noted (again) after they were forgotten
        store.put_channel(thread)  # Discord's name, again
        assert store.channel(thread.id).title == "Club · #help › (untitled)"


def test_a_forgotten_members_words_in_a_title_or_others_mentions_leave_the_state_folders_bytes(
        tmp_path: Path) -> None:
    """A member none of whose messages is kept (their thread's channel is not learnt, or they never spoke), forgotten:
    the title of a thread started from their message, and their name in others' mentions, were rewritten, but stayed
    in the state folder's bytes (SQLite's write-ahead log keeps the pages as they were), as their messages' text does
    not: they leave it too."""
    from tests.test_discord_history import on_disk

    store = HistoryStore(FeedbackStore(tmp_path / "state"))
    store.put_channel(ChannelRow(PUBLIC, GUILD, None, CHANNEL, "Club · #help"))
    store.put_channel(ChannelRow(PUBLIC_THREAD, GUILD, PUBLIC, THREAD, "Club · #help › Snorkelwight's key",
                                 untitled="Club · #help › (untitled)", started_by="hash-of-Ana"))
    store.put(PUBLIC, [ChatMessage(id="7", author="Eve", author_key="eve", date="2024-05-01T18:01:00+00:00",
                                   content="Ask @Grommelfax for the dome key.", mentions=frozenset({"hash-of-Ana"}))])
    assert on_disk(tmp_path / "state", "Snorkelwight", "Grommelfax").keys() == {"Snorkelwight", "Grommelfax"}
    store.forget("hash-of-Ana", GUILD, ["Grommelfax"])
    assert store.channel(PUBLIC_THREAD).title == "Club · #help › (untitled)"
    assert store.get([7])[7].message.content == "Ask @someone for the dome key."
    assert not on_disk(tmp_path / "state", "Snorkelwight", "Grommelfax")


def test_a_thread_found_to_be_named_by_a_forgotten_member_leaves_no_word_of_theirs_on_disk(tmp_path: Path) -> None:
    """The backfill registers a thread by its name, then reads the placeholder that says whose message it was
    started from: a member forgotten before. The title was made untitled, but the name (their words) stayed in the
    state folder's bytes (SQLite's write-ahead log), as it does not where they are forgotten after."""
    from tests.test_discord_history import on_disk

    store = HistoryStore(FeedbackStore(tmp_path / "state"))
    store.forget("hash-of-Ana", GUILD)
    row = ChannelRow(PUBLIC_THREAD, GUILD, PUBLIC, THREAD, "Club · #help › Snorkelwight's key",
                     untitled="Club · #help › (untitled)")
    store.put_channel(row)
    store.put_channel(replace(row, started_by="hash-of-Ana"))  # its placeholder, read
    assert store.channel(PUBLIC_THREAD).title == "Club · #help › (untitled)"
    assert not on_disk(tmp_path / "state", "Snorkelwight")


def test_a_thread_found_to_be_named_by_a_forgotten_member_leaves_the_index_files_too(kept, tmp_path) -> None:
    """A thread whose exchanges the index holds under its name is found to be started from a message of a member
    forgotten before (its placeholder read again, or Discord asked: ``started_by``). It was untitled and laid out
    again, but its name (their words) stayed in the index's segment files until a merge, where a forget's leave them
    at once (``QABot.purge``)."""
    from tests.test_discord_history import on_disk

    qa, history, _ = kept
    history.forget("hash-of-Ana", GUILD, {"Ana"})  # none of hers kept
    thread = ChannelRow(PUBLIC_THREAD, GUILD, PUBLIC, THREAD, "Club · #help › Snorkelwight's key",
                        untitled="Club · #help › (untitled)")
    history.register(thread)
    history.register(ChannelRow(PRIVATE, GUILD, None, CHANNEL, "Club · #club"))
    others = [said(n, "Ben" if n % 2 else "Cleo", f"Night {n}: the mount tracked well until {n} o'clock.")
              for n in range(10, 40, 5)]
    history.apply(Changes(put={PUBLIC_THREAD: [said(1, "Ben", "The red box holds the dome key.")], PRIVATE: others},
                          read={PUBLIC_THREAD: (1001, True), PRIVATE: (1035, True)}))
    assert on_disk(tmp_path / "index", "Snorkelwight")
    history.register(replace(thread, started_by="hash-of-Ana"))  # its placeholder, read
    history.apply(Changes(relay={PUBLIC_THREAD}))
    assert history.row(PUBLIC_THREAD).title == "Club · #help › (untitled)"
    assert "red box" in qa.ask("which box holds the dome key", k=1).excerpts[0].text
    assert not on_disk(tmp_path / "index", "Snorkelwight")


def test_a_forgotten_member_named_in_what_someone_forwarded_is_unnamed(tmp_path: Path) -> None:
    store = HistoryStore(FeedbackStore(tmp_path / "state"))
    store.put_channel(ChannelRow(PUBLIC, GUILD, None, CHANNEL, "Club · #help"))
    store.put(PUBLIC, [ChatMessage(id="7", author="Eve", author_key="eve", date="2024-05-01T18:01:00+00:00",
                                   content="", forwarded="Ask @Ana Lopez for the dome key.")])
    store.forget("ana", GUILD, ["Ana Lopez"])
    assert store.get([7])[7].message.forwarded == "Ask @someone for the dome key."


def test_a_forgotten_member_whose_names_begin_one_another_leaves_no_part_of_any_in_a_mention(kept) -> None:
    """A member's names (a username, and the nicknames grown from it) each begin the next. They were taken out of
    mentions in no set order: "@zed" first made "@zed_lopez" "@someone_lopez", which still named them, and no longer
    matched their longer name. So for the messages kept and for those on their way when the member is forgotten."""
    _, history, _ = kept
    zed, names = "hash-of-Zed", ["zed", "zed_l", "zed_lo", "zed_lop", "zed_lope", "zed_lopez"]

    def asking(first: int) -> list[ChatMessage]:
        return [replace(said(first + n, "Ben", f"Ask @{name} for the dome key."), mentions=frozenset({zed}))
                for n, name in enumerate(names)]

    history.apply(Changes(put={PUBLIC: asking(1)}, read={PUBLIC: (1006, True)}))
    on_its_way = Changes(put={PUBLIC: asking(7)})
    history.forget(zed, GUILD, set(names))
    history.apply(on_its_way)
    kept_now = history.store.get(range(1001, 1013))
    assert len(kept_now) == 12
    assert {s.message.content for s in kept_now.values()} == {"Ask @someone for the dome key."}


def test_forgetting_a_member_with_a_one_letter_name_leaves_other_members_mentions_as_they_were(tmp_path: Path) -> None:
    """Discord allows a one-letter display name. Forgetting "a" made every "@alice" and "@admins" of the server's
    forwards (which list no mentions, so all of them are searched) "@someonelice" and "@someonedmins", and so in a
    message that mentions both: others' words, quoted and cited as theirs, no longer what they wrote."""
    store = HistoryStore(FeedbackStore(tmp_path / "state"))
    store.put_channel(ChannelRow(PUBLIC, GUILD, None, CHANNEL, "Club · #help"))
    store.put(PUBLIC, [
        ChatMessage(id="7", author="Ben", author_key="ben", date="2024-05-01T18:01:00+00:00",
                    content="@a and @alice: the key is in the safe", mentions=frozenset({"a", "alice"})),
        ChatMessage(id="8", author="Eve", author_key="eve", date="2024-05-01T18:02:00+00:00", content="",
                    forwarded="Ask @alice or @admins for the code.")])
    store.forget("a", GUILD, ["a"])
    kept_now = store.get([7, 8])
    assert kept_now[7].message.content == "@someone and @alice: the key is in the safe"
    assert kept_now[8].message.forwarded == "Ask @alice or @admins for the code."


def test_forgetting_a_member_leaves_a_longer_name_they_begin_as_it_was_whether_kept_or_on_its_way(kept) -> None:
    """Forgetting "Ed" took "@Ed" out of every mention beginning so: Ben's "@Eddie" read "@someonedie", in the
    messages kept and in those on their way (and so were quoted and cited as Ben's words). "@Ed," and "@Ed's" name
    Ed, and go."""
    _, history, _ = kept
    ed, eddie = "hash-of-Ed", "hash-of-Eddie"

    def asking(first: int) -> list[ChatMessage]:
        return [replace(said(first, "Ben", "@Ed, @Ed's key or @Eddie's: the dome key."), mentions=frozenset({ed, eddie})),
                replace(said(first + 1, "Eve", ""), forwarded="Ask @Ed. Or @Eddie, for the dome key.")]

    history.apply(Changes(put={PUBLIC: asking(1)}, read={PUBLIC: (1002, True)}))
    on_its_way = Changes(put={PUBLIC: asking(3)})
    history.forget(ed, GUILD, {"Ed"})
    history.apply(on_its_way)
    kept_now = history.store.get(range(1001, 1005))
    assert [kept_now[n].message.content for n in (1001, 1003)] == ["@someone, @someone's key or @Eddie's: the dome key."] * 2
    assert [kept_now[n].message.forwarded for n in (1002, 1004)] == ["Ask @someone. Or @Eddie, for the dome key."] * 2


def test_a_mention_on_its_way_when_its_member_is_forgotten_does_not_name_them(kept, tmp_path) -> None:
    """A message read before a member was forgotten (in a batch waiting for its debounce, or a backfill's page)
    and applied after: its mention of them becomes @someone, as the messages kept before do."""
    qa, history, state = kept
    zed = "hash-of-Zed"
    history.apply(Changes(put={PUBLIC: [said(1, "Ana", "Which eyepiece is best for Saturn?")]},
                          read={PUBLIC: (1001, True)}))
    on_its_way = Changes(put={PUBLIC: [replace(said(2, "Ben", "@Zedonia says the 9 mm eyepiece is best for Saturn.",
                                                    reply=1), mentions=frozenset({zed})),
                                       replace(said(3, "Eve", "", reply=1),
                                               forwarded="Ask @Zedonia: the 9 mm eyepiece, for Saturn.")]})
    history.forget(zed, GUILD, {"Zedonia"})
    history.apply(on_its_way)
    quoted = " ".join(e.text for e in qa.ask("which eyepiece is best for Saturn", k=10,
                                             sources=Scope(None, sources(PUBLIC))).excerpts)
    assert "9 mm eyepiece" in quoted and "Zedonia" not in quoted  # the index
    state.close()
    dump = "\n".join(sqlite3.connect(tmp_path / "state" / "qabot.sqlite3").iterdump())
    assert "9 mm eyepiece" in dump and "Zedonia" not in dump  # the state database


class _Looked(dict):
    """The channels kept, counting how many a look at all of them sees."""

    looked = 0

    def values(self):  # type: ignore[override]
        for row in super().values():
            self.looked += 1
            yield row


def test_a_batch_looks_at_the_channels_it_names_not_at_every_channel_kept(kept, tmp_path) -> None:
    """A server of thousands of channels and threads: every batch (each channel the backfill read, each burst heard
    live) looked at every channel kept, to tell whether all were read to their end, and a batch dropping channels
    (the bot removed from a server, channels taken off the list) looked at all of them for each: a backfill, or
    leaving such a server, took time growing with the square of the channels."""
    qa, _, _ = kept

    def looked(n: int) -> int:
        history = History(qa, HistoryStore(FeedbackStore(tmp_path / f"state-{n}")))
        for c in range(n):
            history.register(ChannelRow(5000 + c, GUILD, None, CHANNEL, f"Club · #c{c}"))
        history.reopen()
        history._rows = rows = _Looked(history._rows)
        for c in range(n):  # the backfill, a channel at a time
            history.apply(Changes(read={5000 + c: (0, True)}))
        history.apply(Changes(put={5000: [said(1, "Ana", "Which eyepiece is best for Saturn?")]}))
        history.apply(Changes(dropped={5000 + c for c in range(n)}))
        return rows.looked

    assert looked(200) <= 2.5 * looked(100)


def test_a_member_forgotten_by_another_process_is_not_kept_here_either(kept, tmp_path) -> None:
    """Processes that share the state database (a bot split over several, each reading the listed channels) all
    stop keeping a forgotten member's messages, not only the one the manager's /qabot forget reached."""
    qa, history, _ = kept
    other = History(qa, HistoryStore(FeedbackStore(tmp_path / "state")))  # another process, started before
    history.apply(Changes(put={PUBLIC: [said(1, "Ana", "Which filter is best for the Moon?")]},
                          read={PUBLIC: (1001, True)}))
    history.forget("hash-of-Zed", GUILD, {"Zed"})
    other.apply(Changes(put={PUBLIC: [said(2, "Zed", "A neutral density filter is best for the Moon.", reply=1)]}))
    assert not history.store.get([1002]) and not other.forgotten(GUILD, "hash-of-Ana")
    assert other.forgotten(GUILD, "hash-of-Zed")  # its next backfill's pages unname their mentions too


# -- what the index refuses, or cannot take for a moment ----------------------------------------------------


LOG = "The dome log for the night reads: " + "shutter ok, " * 60  # over 500 characters: one exchange too long


@pytest.fixture
def strict(tmp_path: Path, make_corpus, fake_bot_for) -> tuple[Any, History]:
    """#help on an index that takes documents of at most 500 characters (QABOT_READER_MAX_TEXT_MB)."""
    qa = fake_bot_for(make_corpus({"handbook.txt": "The dome opens at dusk.\n"}), answer_threshold=0.0,
                      reader_max_text_mb=0.0005)
    history = History(qa, HistoryStore(FeedbackStore(tmp_path / "state")))
    history.register(ChannelRow(PUBLIC, GUILD, None, CHANNEL, "Club · #help"))
    return qa, history


def test_an_exchange_the_index_refuses_is_left_out_and_the_rest_of_the_history_goes_on(strict, caplog) -> None:
    """The document API refuses a document over the reader limits (or that Milvus cannot store): one such exchange
    failed the whole batch, which was kept as owed and sent again with every later batch, so that nothing of the
    server's history was indexed again. Now that exchange alone is left out, with one warning naming it."""
    qa, history = strict
    applied = history.apply(Changes(put={PUBLIC: [said(1, "Ana", LOG), said(2, "Ben", "Which key opens the dome?"),
                                                  said(3, "Cleo", "The grey key opens the dome.", reply=2)]},
                                    read={PUBLIC: (1003, True)}))
    assert applied.written == 1  # the exchange the index took, not the one it left out
    assert links(qa, "which key opens the dome")[0].endswith("/1003")
    history.apply(Changes(put={PUBLIC: [said(4, "Dan", "Where are the spare eyepieces kept?"),
                                        said(5, "Eve", "The spare eyepieces are in the blue case.", reply=4)]}))
    assert links(qa, "where are the spare eyepieces")[0].endswith("/1005")
    assert history.store.owed() == (set(), [], 0)  # nothing left to do again
    assert not any(link.endswith("/1001") for link in links(qa, "what does the dome log read"))
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and r.name == "qabot.history.service"]
    assert len(warned) == 1 and f"'{PUBLIC}-1001' of 'discord/{GUILD}/{PUBLIC}'" in warned[0]
    assert "QABOT_READER_MAX_TEXT_MB" in warned[0] and "Ana" not in warned[0] and "shutter" not in warned[0]


def test_an_exchange_edited_past_what_the_index_takes_leaves_it(strict) -> None:
    """An exchange indexed, then edited so that the index refuses it: what it said before is no more what its
    member wrote (a code edited out), so it leaves the index; it comes back once it is within the limits again."""
    qa, history = strict
    history.apply(Changes(put={PUBLIC: [said(1, "Ana", "The door code is 4411.")]}, read={PUBLIC: (1001, True)}))
    assert links(qa, "what is the door code")[0].endswith("/1001")
    history.apply(Changes(edited={PUBLIC: [said(1, "Ana", "Ask the warden for the door code. " + LOG)]}))
    assert not any(link.endswith("/1001") for link in links(qa, "what is the door code"))
    history.apply(Changes(edited={PUBLIC: [said(1, "Ana", "Ask the warden for the door code.")]}))
    assert links(qa, "what is the door code")[0].endswith("/1001")


def test_an_exchange_left_out_for_a_limit_comes_back_at_the_next_start_once_the_limit_is_raised(
        strict, tmp_path, make_corpus, fake_bot_for, caplog) -> None:
    """Raising the reader limit (QABOT_READER_MAX_TEXT_MB) did not bring back an exchange left out for it until a
    member edited it: nothing recorded that it was left out. The state database records it, and the next start
    (``catch_up``) lays it out again: taken under the raised limit, left out again (one warning) under the same."""
    qa, history = strict
    history.apply(Changes(put={PUBLIC: [said(1, "Ana", LOG)]}, read={PUBLIC: (1001, True)}))
    assert history.store.left_out() == {(PUBLIC, 1001)}
    qa.close()
    for limit, taken in ((0.0005, False), (1.0, True)):
        caplog.clear()
        again = fake_bot_for(make_corpus({"handbook.txt": "The dome opens at dusk.\n"}), answer_threshold=0.0,
                             reader_max_text_mb=limit)  # the next start: the same index and state database
        restarted = History(again, HistoryStore(FeedbackStore(tmp_path / "state")))
        restarted.catch_up()
        restarted.catch_up()  # once a run: a new gateway session does not try it again
        assert any(link.endswith("/1001") for link in links(again, "what does the dome log read")) is taken
        assert restarted.store.left_out() == (set() if taken else {(PUBLIC, 1001)})
        warned = [r for r in caplog.records if r.levelname == "WARNING" and r.name == "qabot.history.service"]
        assert len(warned) == (0 if taken else 1)
        again.close()


def test_a_change_the_index_cannot_take_for_a_moment_is_done_again_with_the_next(strict) -> None:
    """The index busy or its disk full (IndexStoreError): nothing is lost, the work is owed and done next time."""
    from qabot.errors import IndexStoreError

    qa, history = strict

    class Full:
        def change(self, *args: Any, **kwargs: Any) -> Any:
            raise IndexStoreError("No space left on device")

    history.qa = Full()
    with pytest.raises(IndexStoreError):
        history.apply(Changes(put={PUBLIC: [said(1, "Ana", "The door code is 4411.")]}, read={PUBLIC: (1001, True)}))
    assert history.store.owed()[0] == {(PUBLIC, 1001)}
    history.qa = qa
    history.catch_up()
    assert links(qa, "what is the door code")[0].endswith("/1001") and history.store.owed() == (set(), [], 0)


def test_the_work_another_process_owed_meanwhile_stays_owed_when_this_one_is_done(kept, tmp_path) -> None:
    """Processes that share the state database (a bot split over several) share its record of the index work owed:
    one whose update was done cleared the whole record, the work another had owed meanwhile with it, so that when the
    other's update failed (the index busy), the message it deleted stayed quoted for good. Each takes off only the
    work it did."""
    from qabot.errors import IndexStoreError

    qa, history, _ = kept
    history.register(ChannelRow(PRIVATE, GUILD, None, CHANNEL, "Club · #club"))
    history.apply(Changes(put={PRIVATE: [said(1, "Ana", "The door code is 4411.")]}, read={PRIVATE: (1001, True)}))

    class Busy:  # the other process's index, busy
        def change(self, *_args: Any, **_kwargs: Any) -> Any:
            raise IndexStoreError("another qabot process has been writing the index for too long")

    other = History(Busy(), HistoryStore(FeedbackStore(tmp_path / "state")))  # type: ignore[arg-type]

    class Meanwhile:  # this process's index, while the other deletes a message
        def change(self, *args: Any, **kwargs: Any) -> Any:
            with pytest.raises(IndexStoreError):
                other.apply(Changes(removed={1001}))
            return qa.change(*args, **kwargs)

        def purge(self) -> bool:
            return qa.purge()

    history.qa = Meanwhile()
    history.apply(Changes(put={PUBLIC: [said(2, "Ben", "Is the café open tonight?")]}, read={PUBLIC: (1002, True)}))
    history.qa = qa
    assert history.store.owed()[0] == {(PRIVATE, 1001)}  # the other's, still owed
    History(qa, HistoryStore(FeedbackStore(tmp_path / "state"))).catch_up()  # the other process started again
    assert "4411" not in str(qa.ask("what is the door code", k=10).excerpts)

class _Killed(BaseException):
    """The process killed (SIGKILL, a power cut, the OOM killer) at that point: nothing after it runs."""


@pytest.mark.parametrize("change", ["deleted", "edited", "forgotten", "dropped"])
def test_a_kill_between_the_state_database_and_the_index_is_made_good_at_the_restart(change, kept, tmp_path,
                                                                                    monkeypatch) -> None:
    """Killed after the state database forgot a message (deleted, edited, a member forgotten, a channel dropped) but
    before it recorded what it owed the index: the index quoted the message as it was for good, since nothing
    would lay its exchange out again. The state database owes that work in the transaction that forgets."""
    qa, history, state = kept
    history.apply(Changes(put={PUBLIC: [said(1, "Ana", "The door code is 4411.")]}, read={PUBLIC: (1001, True)}))
    assert links(qa, "what is the door code")[0].endswith("/1001")

    def killed(*_args: object, **_kwargs: object) -> None:
        raise _Killed

    monkeypatch.setattr(History, "_index", killed)
    with pytest.raises(_Killed):
        if change == "deleted":
            history.apply(Changes(removed={1001}))
        elif change == "edited":
            history.apply(Changes(edited={PUBLIC: [said(1, "Ana", "The door code is secret now.")]}))
        elif change == "forgotten":
            history.forget("hash-of-Ana", GUILD)
        else:
            history.apply(Changes(dropped={PUBLIC}))
    monkeypatch.undo()
    state.close()
    restarted = History(qa, HistoryStore(FeedbackStore(tmp_path / "state")))
    restarted.catch_up()
    texts = [e.text for e in qa.ask("what is the door code", k=10, sources=Scope(None, sources(PUBLIC))).excerpts]
    assert not any("4411" in text for text in texts), texts
    assert restarted.store.owed() == (set(), [], 0)


# -- what a forget or a dropped channel owes the index's files ------------------------------------------------


def _busy_purge(qa: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The index's purge fails (another process writing the index for too long) until the monkeypatch is undone."""
    from qabot.errors import IndexStoreError

    def busy() -> bool:
        raise IndexStoreError("another qabot process has been writing the index for too long")

    monkeypatch.setattr(qa.living.engine, "purge", busy)


def _two_channels(history: History, *more: ChatMessage) -> None:
    """Zorblatt's secret in #help, and others' exchanges in #club (and ``more``), written in one segment of the index
    (most of it stays live when Zorblatt's goes: it is not merged for that alone)."""
    history.register(ChannelRow(PRIVATE, GUILD, None, CHANNEL, "Club · #club"))
    others = [said(n, "Ben" if n % 2 else "Cleo", f"Night {n}: the mount tracked well until {n} o'clock.")
              for n in range(10, 40, 5)]
    history.apply(Changes(put={PUBLIC: [said(1, "Zorblatt", "The Zanzibarquux key opens the dome.")],
                               PRIVATE: [said(2, "Ben", "Where are the spare eyepieces kept?"),
                                         said(3, "Cleo", "The spare eyepieces are in the blue case.", reply=2),
                                         *others, *more]},
                          read={PUBLIC: (1001, True), PRIVATE: (max([1035, *(int(m.id) for m in more)]), True)}))


@pytest.mark.parametrize("then", ["a change", "a restart"])
def test_a_forget_whose_purge_failed_purges_the_index_files_with_the_next_change_or_start(
        then, kept, tmp_path, monkeypatch) -> None:
    """/qabot forget updated the index, then its purge failed (the index busy for a moment): the failure was only
    logged, so the member's words stayed in the segment's files until a merge or a rebuild. The purge stays owed in
    the state database, and is done with the next change, or as qabot starts again."""
    from tests.test_discord_history import on_disk

    qa, history, state = kept
    _two_channels(history)
    _busy_purge(qa, monkeypatch)
    history.forget("hash-of-Zorblatt", GUILD, {"Zorblatt"})
    assert on_disk(tmp_path / "index", "Zanzibarquux")  # still there: the purge failed
    monkeypatch.undo()
    if then == "a change":
        history.apply(Changes(put={PUBLIC: [said(40, "Dan", "Is the café open tonight?")]}))  # a new exchange
    else:
        state.close()
        History(qa, HistoryStore(FeedbackStore(tmp_path / "state"))).catch_up()
    assert not on_disk(tmp_path / "index", "Zanzibarquux", "Zorblatt")
    assert "blue case" in qa.ask("where are the spare eyepieces", k=1).excerpts[0].text
    assert not history.store.purge_owed()


@pytest.mark.parametrize("when", ["after this purge", "as this one reads its work"])
def test_a_purge_owed_by_another_process_meanwhile_stays_owed_when_this_ones_purge_is_done(
        when, kept, tmp_path, monkeypatch) -> None:
    """Two processes share the state database. This one forgets Zorblatt and purges the index's files; the other
    forgets Dora: just after this purge has rewritten the files (before this one records that no purge is owed), or
    as this one reads the work it owes (its change then taken out of the index after this purge). Its own purge fails
    (the index busy). This one's record then cleared the purge the other owed, for good: Dora's words stayed in the
    index's files, and no restart purged them. Each purge owed is numbered, and a process clears only the one it
    read before it read the work it did."""
    from qabot.errors import IndexStoreError
    from tests.test_discord_history import on_disk

    qa, history, state = kept
    _two_channels(history, said(50, "Dora", "The Quibblefrotz lens cap is in the red drawer."))

    class Busy:  # the other process's index: it changes, but cannot purge for a moment
        def change(self, *args: Any, **kwargs: Any) -> Any:
            return qa.change(*args, **kwargs)

        def purge(self) -> bool:
            raise IndexStoreError("another qabot process has been writing the index for too long")

    other = History(Busy(), HistoryStore(FeedbackStore(tmp_path / "state")))  # type: ignore[arg-type]
    read, forgets = history.store.purge_owed, [] if when == "after this purge" else ["hash-of-Dora"]

    def reading() -> int:  # the other's forget commits in the state database; its index change comes later
        for key in forgets:
            other.store.forget(key, GUILD, {"Dora"})
        forgets.clear()
        return read()

    monkeypatch.setattr(history.store, "purge_owed", reading)

    class Meanwhile:  # this process's index
        def change(self, *args: Any, **kwargs: Any) -> Any:
            return qa.change(*args, **kwargs)

        def purge(self) -> bool:
            done = qa.purge()
            if when == "after this purge":
                other.forget("hash-of-Dora", GUILD, {"Dora"})
            else:
                other.catch_up()  # what it owes the index, done
            return done

    history.qa = Meanwhile()
    history.forget("hash-of-Zorblatt", GUILD, {"Zorblatt"})
    history.qa = qa
    monkeypatch.undo()
    state.close()
    History(qa, HistoryStore(FeedbackStore(tmp_path / "state"))).catch_up()  # a process started again
    assert not on_disk(tmp_path / "index", "Zanzibarquux", "Quibblefrotz")


def test_a_channel_dropped_while_the_index_was_busy_leaves_the_index_files_at_the_restart(kept, tmp_path,
                                                                                         monkeypatch) -> None:
    """A channel dropped (deleted, or the bot lost access to it) while the index could not be written: the state
    database owed taking its source out, and the restart did, but not the purge that goes with it, so its messages
    stayed in the segment's files. The purge is owed with the source, in the same transaction."""
    from qabot.errors import IndexStoreError
    from tests.test_discord_history import on_disk

    qa, history, state = kept
    _two_channels(history)

    def busy(*_args: Any, **_kwargs: Any) -> Any:
        raise IndexStoreError("another qabot process has been writing the index for too long")

    monkeypatch.setattr(qa, "change", busy)
    with pytest.raises(IndexStoreError):
        history.apply(Changes(dropped={PUBLIC}))
    monkeypatch.undo()
    state.close()
    History(qa, HistoryStore(FeedbackStore(tmp_path / "state"))).catch_up()
    assert not on_disk(tmp_path / "index", "Zanzibarquux")
    assert "blue case" in qa.ask("where are the spare eyepieces", k=1).excerpts[0].text


_FORGET_KILLED = """
import os, signal, sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path

from qabot.feedback import FeedbackStore
from qabot.history import History, HistoryStore
from qabot.index.embedded import merge
from tests.conftest import make_bot
from tests.fakes import HashEmbedder

folder, step = Path(sys.argv[2]), sys.argv[3]
qa = make_bot(folder / "corpus", folder / "index", HashEmbedder(), answer_threshold=0.0)
state = FeedbackStore(folder / "state")
history = History(qa, HistoryStore(state))


def kill(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)


def then_kill(real):
    def call(*args, **kwargs):
        real(*args, **kwargs)
        kill()
    return call


class Connection:  # the state database's: killed once the forget committed, before its write-ahead log is emptied
    def __init__(self, db):
        self.db = db

    def __getattr__(self, name):
        return getattr(self.db, name)

    def __enter__(self):
        return self.db.__enter__()

    def __exit__(self, *exc):
        return self.db.__exit__(*exc)

    def execute(self, sql, *args):
        if "wal_checkpoint" in sql:
            kill()
        return self.db.execute(sql, *args)


history.store.owed()  # the state database open
if step == "state committed":
    state._db = Connection(state._db)
elif step == "index":
    qa.change = kill
elif step == "index changed":
    qa.change = then_kill(qa.change)
elif step == "purge":
    qa.purge = kill
elif step == "segment purged":  # committed, the old segment still on disk
    merge.merge_if_needed = then_kill(merge.merge_if_needed)
elif step == "purged":
    qa.purge = then_kill(qa.purge)
history.forget("hash-of-Zorblatt", 10, {"Zorblatt"})
"""


@pytest.mark.parametrize("step", ["state committed", "index", "index changed", "purge", "segment purged", "purged",
                                  "none"])
def test_a_forget_killed_at_any_step_leaves_nothing_of_their_words_after_the_restart(step, kept, tmp_path,
                                                                                    fake_bot_for) -> None:
    """The process killed (SIGKILL, a power cut, the OOM killer) at each step of /qabot forget: the state database's
    transaction, the index's change, its purge, each one's commit. Once qabot has started again, the member's words
    are neither quoted nor in the raw bytes of any file of the index or the state folder."""
    import signal
    import subprocess
    import sys

    from tests.conftest import REPO
    from tests.test_discord_history import on_disk

    qa, history, state = kept
    _two_channels(history)
    qa.close()  # the process that stops: it held the segments the forget rewrites
    state.close()
    child = subprocess.run([sys.executable, "-c", _FORGET_KILLED, str(REPO), str(tmp_path), step],
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == (0 if step == "none" else -signal.SIGKILL), child.stderr
    again = fake_bot_for(tmp_path / "corpus", answer_threshold=0.0)
    History(again, HistoryStore(FeedbackStore(tmp_path / "state"))).catch_up()
    assert "Zanzibarquux" not in str(again.ask("which key opens the dome", k=10).excerpts)
    assert "blue case" in again.ask("where are the spare eyepieces", k=1).excerpts[0].text
    assert not on_disk(tmp_path / "index", "Zanzibarquux", "Zorblatt")
    assert not on_disk(tmp_path / "state", "Zanzibarquux")

@pytest.mark.parametrize("change", ["linked", "marked"])
def test_a_kill_after_linking_or_a_mark_leaves_the_index_told_of_them_after_the_restart(change, kept, tmp_path,
                                                                                      monkeypatch) -> None:
    """Killed after the state database linked new messages into their exchange (or recorded the asker's mark on an
    answer) but before the index had them: nothing owed them, and linked (marked) already, they were never laid out
    again: never found (never shown as the accepted answer) until their exchange changed. Each owes its exchanges in
    its own transaction, as what drops or rewrites messages does."""
    from qabot.corpus.chat import ACCEPTED

    qa, history, state = kept
    history.apply(Changes(put={PUBLIC: [said(1, "Ana", "Which key opens the dome?")]}, read={PUBLIC: (1001, True)}))
    if change == "marked":
        history.apply(Changes(put={PUBLIC: [said(2, "Ben", "The grey key opens the dome.", reply=1)]}))

    def killed(*_args: object, **_kwargs: object) -> None:
        raise _Killed

    monkeypatch.setattr(History, "_index", killed)
    with pytest.raises(_Killed):
        if change == "linked":
            history.apply(Changes(put={PUBLIC: [said(2, "Ben", "The grey key opens the dome.", reply=1)]}))
        else:
            history.apply(Changes(marks=[(1002, "hash-of-Ana", True)]))
    monkeypatch.undo()
    state.close()
    indexed = Indexed(qa)
    History(indexed, HistoryStore(FeedbackStore(tmp_path / "state"))).catch_up()  # type: ignore[arg-type]
    told = [p for doc_id in indexed.documents for p in indexed.paragraphs(doc_id)]
    assert any("grey key" in text and (change == "linked" or role == ACCEPTED) for text, _, role, _ in told), told

def test_a_forgotten_askers_marks_leave_with_them_and_none_of_theirs_counts_after(kept) -> None:
    """An asker's ✅ is their say on which answer is the one, as their vote on an answer is: once they were forgotten,
    the answer they marked stayed the accepted one (ranked higher, shown so), and a mark of theirs after still
    counted. Forgetting them takes their marks back, and none counts from then on, as none of their messages is kept."""
    from qabot.corpus.chat import ACCEPTED

    qa, history, _ = kept
    history.qa = indexed = Indexed(qa)
    history.apply(Changes(put={PUBLIC: [said(1, "Ana", "Which key opens the dome?"),
                                        said(2, "Ben", "The grey key opens the dome.", reply=1),
                                        said(3, "Cleo", "The red key opens the dome.", reply=1)]},
                          read={PUBLIC: (1003, True)}))
    history.apply(Changes(marks=[(1002, "hash-of-Ana", True)]))

    def accepted() -> list[str]:
        return [text for text, _, role, _ in indexed.paragraphs(f"{PUBLIC}-1001") if role == ACCEPTED]

    assert accepted() == ["Ben: The grey key opens the dome."]
    history.forget("hash-of-Ana", GUILD)
    history.apply(Changes(marks=[(1003, "hash-of-Ana", True)]))
    assert not accepted() and not any(s.message.marked for s in history.store.exchange(PUBLIC, 1001))


def test_a_mark_heard_while_a_recheck_reads_its_channel_is_not_undone_by_a_page_read_before(kept, tmp_path) -> None:
    """A start's recheck read a page on which the answer had no ✅ (``Changes.unmarked``: its mark goes); the asker
    marked it just after, heard live and applied before that page. The page must not take the new mark back, as one
    read before an edit does not bring the old text back; the next start's recheck, finding it unmarked, does."""
    _, history, state = kept
    history.apply(Changes(put={PUBLIC: [said(1, "Ana", "Which key opens the dome?"),
                                        said(2, "Ben", "The grey key opens the dome.", reply=1)]},
                          read={PUBLIC: (1002, True)}))
    history.reopen()  # a start: #help is read again from its window
    history.apply(Changes(marks=[(1002, "hash-of-Ana", True)]))  # heard live
    history.apply(Changes(unmarked={1002}, read={PUBLIC: (1002, True)}))  # the page, read before it
    assert history.store.get([1002])[1002].message.marked
    state.close()
    restarted = History(history.qa, HistoryStore(FeedbackStore(tmp_path / "state")))
    restarted.reopen()
    restarted.apply(Changes(unmarked={1002}, read={PUBLIC: (1002, True)}))  # its ✅ taken back while away
    assert not restarted.store.get([1002])[1002].message.marked


def test_a_post_renamed_before_a_kill_shows_its_new_title_after_the_restart(kept, tmp_path) -> None:
    """A thread or forum post renamed (its name was someone's phone number, say) or marked solved: its title is
    recorded at once, and its exchanges laid out again with the next batch. Killed before that batch, the restart
    found the title recorded as it is now and nothing owed: the index showed the old name until an exchange of the
    post changed. Recording a title that shows in its documents owes them in the same transaction."""
    qa, history, state = kept
    post = ChannelRow(QUESTION_THREAD, GUILD, PUBLIC, THREAD, "Club · #help › call Ana on 555-0134")
    history.register(post)
    history.apply(Changes(put={QUESTION_THREAD: [said(3, "Ben", "Is the dome open tonight?")]},
                          read={QUESTION_THREAD: (1003, True)}))
    assert history.register(replace(post, title="Club · #help › dome hours"))  # the adapter batches the relay...
    state.close()  # ... and is killed before it is applied
    indexed = Indexed(qa)
    History(indexed, HistoryStore(FeedbackStore(tmp_path / "state"))).catch_up()  # type: ignore[arg-type]
    assert [d.title for d in indexed.documents.values()] == ["Club · #help › dome hours"]

# -- a thread started from a message -----------------------------------------------------------------------


class Indexed:
    """The real QABot, and the documents its index holds now (by id), as ``History`` changes them."""

    def __init__(self, qa: Any) -> None:
        self.qa = qa
        self.documents: dict[str, Any] = {}

    def change(self, upsert: Any = (), *, delete: Any = (), delete_sources: Any = (), skip_bad: bool = False) -> Any:
        upsert, delete, delete_sources = list(upsert), list(delete), set(delete_sources)
        self.documents = {k: d for k, d in self.documents.items() if k not in delete and d.source not in delete_sources}
        self.documents |= {d.doc_id: d for d in upsert}
        return self.qa.change(upsert, delete=delete, delete_sources=delete_sources, skip_bad=skip_bad)

    def purge(self) -> bool:
        return self.qa.purge()

    def paragraphs(self, doc_id: str) -> list[tuple[str, str | None, str | None, int]]:
        """A document's paragraphs: (text, jump link, role, number)."""
        doc = self.documents[doc_id]
        return [(doc.text[p.start : p.end], p.url, p.role, p.number) for p in doc.paragraphs]


QUESTION_THREAD = 1001  # a thread of PUBLIC started from message 1001: it has that message's id


@pytest.fixture
def threaded(tmp_path: Path, make_corpus, fake_bot_for) -> tuple[Indexed, History]:
    """#help (PUBLIC), where Ana asks (1001) and Dan chats (1002); a thread made of Ana's question."""
    qa = Indexed(fake_bot_for(make_corpus({"handbook.txt": "The dome opens at dusk.\n"}), answer_threshold=0.0))
    history = History(qa, HistoryStore(FeedbackStore(tmp_path / "state")))
    history.register(ChannelRow(PUBLIC, GUILD, None, CHANNEL, "Club · #help"))
    history.apply(Changes(put={PUBLIC: [said(1, "Ana", "How do I reset the dome controller after a power cut?"),
                                        said(2, "Dan", "Is the café open tonight?")]}, read={PUBLIC: (1002, True)}))
    history.register(ChannelRow(QUESTION_THREAD, GUILD, PUBLIC, THREAD, "Club · #help › dome controller"))
    history.apply(Changes(read={QUESTION_THREAD: (0, True)}))  # made live: nothing said in it yet
    return qa, history


def in_thread(*messages: ChatMessage) -> Changes:
    return Changes(put={QUESTION_THREAD: list(messages)})


ANSWER = "Hold the grey reset button for ten seconds."


def test_a_thread_started_from_a_message_goes_on_from_it_and_opens_with_it(threaded) -> None:
    qa, history = threaded
    assert f"{PUBLIC}-1001" in qa.documents  # before anyone answers in the thread, the question stands in #help
    history.apply(in_thread(said(3, "Ben", ANSWER), said(4, "Ana", "Thanks, that did it.")))
    # Laid out with the question in front, cited as itself (its jump link in #help, its author and date), and
    # the thread's messages answering it: Ben answers, Ana (who asked) asks.
    jump = f"https://discord.com/channels/{GUILD}"
    assert qa.paragraphs(f"{QUESTION_THREAD}-1001") == [
        ("Ana: How do I reset the dome controller after a power cut?", f"{jump}/{PUBLIC}/1001", ASKS, 0),
        (f"Ben: {ANSWER}", f"{jump}/{QUESTION_THREAD}/1003", ANSWERS, 1),
        ("Ana: Thanks, that did it.", f"{jump}/{QUESTION_THREAD}/1004", ASKS, 2)]
    starter = qa.documents[f"{QUESTION_THREAD}-1001"].paragraphs[0]
    assert (starter.author, starter.date) == ("Ana", "2024-05-01T10:01:00+00:00")
    assert [(s.id, s.root) for s in history.store.exchange(QUESTION_THREAD, 1001)] == [(1003, 1001), (1004, 1001)]
    assert [s.id for s in history.store.exchange(PUBLIC, 1001)] == [1001]  # the same root, in #help: its own
    # Answered in its thread, the question alone is not also an unanswered question in #help; Dan's chat stands.
    assert f"{PUBLIC}-1001" not in qa.documents and f"{PUBLIC}-1002" in qa.documents
    found = qa.qa.ask("how do I reset the dome controller after a power cut", k=10,
                      sources=Scope(None, sources(PUBLIC, QUESTION_THREAD)))
    assert found.excerpts[0].citation.link.endswith(f"/{QUESTION_THREAD}/1003")  # the answer, in the thread
    assert [e.citation.doc_id for e in found.excerpts if "dome controller" in e.text] == [f"{QUESTION_THREAD}-1001"]


def test_a_question_never_sees_an_exchange_missing_while_it_moves_into_a_thread(threaded, monkeypatch) -> None:
    """Answered in the thread made of it, Ana's question leaves #help's exchange for the thread's first one: the
    index deleted the one (a commit), then upserted the other (another), and a question asked between the two
    found the exchange nowhere. Each state a question can be served is checked as it is swapped in."""
    qa, history = threaded
    bot = qa.qa
    living = type(bot.living)
    serve = living._serve
    seen: list[list[str]] = []

    def serving(index: Any, engine: Any) -> None:
        serve(index, engine)
        found = bot.ask("How do I reset the dome controller after a power cut?", k=5)
        seen.append([e.citation.doc_id for e in found.excerpts if "dome controller" in e.text])

    monkeypatch.setattr(living, "_serve", serving)
    history.apply(in_thread(said(3, "Ben", ANSWER)))
    monkeypatch.undo()
    assert seen and all(seen), seen  # every state served held the question, in #help or in the thread
    assert seen[-1] == [f"{QUESTION_THREAD}-1001"] and f"{PUBLIC}-1001" not in qa.documents


def test_the_message_a_thread_was_started_from_is_laid_out_again_when_it_changes(threaded) -> None:
    qa, history = threaded
    history.apply(in_thread(said(3, "Ben", ANSWER)))
    history.apply(Changes(edited={PUBLIC: [said(1, "Ana", "How do I reset the dome controller after a storm?")]}))
    assert qa.paragraphs(f"{QUESTION_THREAD}-1001")[0][0] == "Ana: How do I reset the dome controller after a storm?"
    history.apply(Changes(removed={1001}))  # deleted in #help: the thread stays, without it
    assert [text for text, *_ in qa.paragraphs(f"{QUESTION_THREAD}-1001")] == [f"Ben: {ANSWER}"]
    assert f"{PUBLIC}-1001" not in qa.documents


def test_a_question_stands_in_its_channel_where_its_thread_does_not_answer_it(threaded) -> None:
    qa, history = threaded
    history.apply(in_thread(said(3, "Ben", ANSWER)))
    assert f"{PUBLIC}-1001" not in qa.documents
    history.apply(Changes(dropped={QUESTION_THREAD}))  # the thread deleted: the question stays in #help
    assert qa.paragraphs(f"{PUBLIC}-1001")[0][0] == "Ana: How do I reset the dome controller after a power cut?"
    assert f"{QUESTION_THREAD}-1001" not in qa.documents
    # Answered in the channel as well as in its thread: both answers stand, each after the question.
    history.apply(Changes(put={PUBLIC: [said(5, "Ana", "Where is the spare dome key kept?")]}))
    history.register(ChannelRow(1005, GUILD, PUBLIC, THREAD, "Club · #help › key"))
    history.apply(Changes(put={1005: [said(6, "Ben", "In the red box.")]}, read={1005: (0, True)}))
    history.apply(Changes(put={PUBLIC: [said(7, "Cleo", "Behind the door of the office.", reply=5)]}))
    assert [text for text, *_ in qa.paragraphs(f"{PUBLIC}-1005")] == [
        "Ana: Where is the spare dome key kept?", "Cleo: Behind the door of the office."]
    assert [text for text, *_ in qa.paragraphs("1005-1005")] == [
        "Ana: Where is the spare dome key kept?", "Ben: In the red box."]


def test_a_thread_whose_parent_channel_is_not_learnt_has_no_message_to_go_on_from(threaded) -> None:
    """The history quotes a channel's messages only where that channel is learnt (listed): a thread listed alone
    opens without the message it was started from, and loses it when its channel is taken off the list."""
    qa, history = threaded
    history.apply(in_thread(said(3, "Ben", ANSWER)))
    assert qa.paragraphs(f"{QUESTION_THREAD}-1001")[0][1] == f"https://discord.com/channels/{GUILD}/{PUBLIC}/1001"
    history.apply(Changes(dropped={PUBLIC}))  # #help taken off the list; the thread listed alone stays
    assert [text for text, *_ in qa.paragraphs(f"{QUESTION_THREAD}-1001")] == [f"Ben: {ANSWER}"]
    assert all(f"/{GUILD}/{PUBLIC}/" not in (p.url or "") for d in qa.documents.values() for p in d.paragraphs)


def test_a_state_database_from_the_first_history_release_is_brought_up_to_date(tmp_path: Path) -> None:
    """That release had neither ``continues`` (nor its index) nor ``forwarded``, nor a channel's ``announcements``
    or ``started_by``: every table gets what it lacks, and keeps what it held."""
    from qabot.history.store import SCHEMA, Link

    first = (SCHEMA.replace(",\n    forwarded TEXT NOT NULL DEFAULT ''", "").replace(",\n    continues INTEGER", "")
             .replace(",\n    announcements INTEGER NOT NULL DEFAULT 0", "").replace(",\n    started_by TEXT", "")
             .replace("CREATE INDEX IF NOT EXISTS history_messages_continues ON history_messages (continues);", ""))
    assert not {"continues", "forwarded", "announcements", "started_by"} & set(first.replace(",", " ").split())
    state = FeedbackStore(tmp_path / "state")
    with state.transaction() as db:
        for statement in first.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute("INSERT INTO history_channels (id, guild_id, kind, title, checkpoint, complete) VALUES "
                   f"({PUBLIC}, {GUILD}, '{CHANNEL}', 'Club · #news', 1002, 1)")
    state.close()
    store = HistoryStore(FeedbackStore(tmp_path / "state"))
    assert store.channels() == [ChannelRow(PUBLIC, GUILD, None, CHANNEL, "Club · #news", checkpoint=1002, complete=True)]
    store.put_channel(ChannelRow(PUBLIC, GUILD, None, CHANNEL, "Club · #news", announcements=True))
    assert store.channels() == [ChannelRow(PUBLIC, GUILD, None, CHANNEL, "Club · #news", checkpoint=1002, complete=True,
                                           announcements=True)]
    store.put(PUBLIC, [said(1, "ana", "Where is the key?"), said(2, "bob", "In the box.")])
    store.link([Link(1001, 1001, 1001, ASKS, 0, "hash-of-ana", False),
                Link(1002, 1001, 1002, ANSWERS, 0, "hash-of-ana", False, continues=1001)])
    assert store.continuation(PUBLIC, 1001) == 1002


@pytest.mark.parametrize("reply", [None, 1], ids=["not-a-reply", "a-reply-to-the-question"])
def test_each_answer_in_a_thread_answers_the_message_it_was_started_from_however_it_is_batched(threaded,
                                                                                                reply) -> None:
    """Two helpers answer in the thread made of Ana's question, the second (Cleo) heard after the first was linked,
    as live messages are (each its own batch), and replying to the question or not. Both answer it, as in an export
    of the thread, which goes on from the question whatever the batches: Cleo's answer went on from Ben's instead,
    and answered nobody."""
    qa, history = threaded
    history.apply(in_thread(said(3, "Ben", ANSWER)))
    history.apply(in_thread(said(4, "Cleo", "Or switch it off at the wall for a full minute.", reply=reply)))
    exchange = history.store.exchange(QUESTION_THREAD, 1001)
    assert [(s.id, s.parent, s.role) for s in exchange] == [(1003, 1001, ANSWERS), (1004, 1001, ANSWERS)]
    assert [role for *_, role, _ in qa.paragraphs(f"{QUESTION_THREAD}-1001")] == [ASKS, ANSWERS, ANSWERS]


def test_an_answer_in_a_thread_longer_than_what_linking_goes_on_from_answers_its_asker(kept, monkeypatch) -> None:
    """A thread longer than the messages linking goes on from (``PRIME``): a new helper's answer, heard later, answers
    the thread's asker, as in an export of the thread; it went on from the oldest message linking held, a helper's,
    and answered nobody."""
    _, history, _ = kept
    monkeypatch.setattr(linking, "PRIME", 3)
    history.register(ChannelRow(PUBLIC_THREAD, GUILD, PUBLIC, THREAD, "Club · #help › focuser"))
    talk = [said(1, "Ana", "Why does my focuser slip when the tube points up?"),
            *(said(n, "Ben", f"Check the tension screw, step {n}.") for n in range(2, 8))]
    history.apply(Changes(put={PUBLIC_THREAD: talk}, read={PUBLIC_THREAD: (1007, True)}))
    history.apply(Changes(put={PUBLIC_THREAD: [said(8, "Cleo", "Or add a little weight to the focuser knob.")]}))
    cleo = history.store.get([1008])[1008]
    assert (cleo.root, cleo.role) == (1001, ANSWERS)
