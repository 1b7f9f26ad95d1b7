"""One layout for every chat (qabot/corpus/chat.py): an export's channel and a live channel become the same
documents, one per exchange, each message a paragraph with its author, date, jump link, role and place."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from qabot.corpus import chat
from qabot.corpus.chat import ACCEPTED, THANKED, ChatChannel, ChatMessage, Placed, accepted_roles
from qabot.corpus.roles import ANSWERS, ASKS

CHANNEL = ChatChannel(source="discord/1/2", guild_id="1", channel_id="2", title="Club · #help")


def said(n: int, who: str, text: str, reply: int | None = None, **more: object) -> ChatMessage:
    return ChatMessage(id=str(100 + n), author=who, author_key=f"key-{who}", date=f"2024-05-01T18:{n:02d}:00+00:00",
                       content=text, reply_to=str(100 + reply) if reply is not None else None, **more)


def test_each_exchange_is_one_document_named_by_its_first_message() -> None:
    messages = [
        said(1, "Ana", "How do I reset the dome controller?"),
        said(2, "Ben", "Anyone selling a tripod?"),
        said(3, "Cleo", "Hold the red button for ten seconds.", reply=1),
        said(4, "Dan", "I have one, 40 euros.", reply=2),
    ]
    docs = list(chat.documents(CHANNEL, messages))
    assert [d.doc_id for d in docs] == ["2-101", "2-102"]
    dome = docs[0]
    assert (dome.source, dome.title, dome.url) == ("discord/1/2", "Club · #help", "https://discord.com/channels/1/2")
    assert [dome.text[p.start : p.end] for p in dome.paragraphs] == [
        "Ana: How do I reset the dome controller?", "Cleo: Hold the red button for ten seconds."]
    assert [p.number for p in dome.paragraphs] == [1, 3]  # their places in the channel
    assert [p.role for p in dome.paragraphs] == [ASKS, ANSWERS]
    assert dome.paragraphs[1].url == "https://discord.com/channels/1/2/103"
    assert {p.group for p in dome.paragraphs} == {1}  # one exchange: its passages never mix two


def test_attachments_and_embeds_follow_the_text() -> None:
    message = said(1, "Ana", "  my config:\n\n  line two  ", extras=(chat.attachment("a.conf"),
                                                                      chat.embed("Guide", "How to\nconfigure")))
    assert message.text == "Ana: my config:\n\n  line two (attachment: a.conf) (embed: Guide — How to configure)"
    assert chat.embed(None, "") is None


def test_a_long_exchange_is_laid_out_in_parts() -> None:
    thread = ChatChannel(source="t.json", guild_id="1", channel_id="9", title="#help › long", thread=True)
    messages = [said(n % 60, "Ana" if n % 2 else "Ben", f"Message number {n}.") for n in range(250)]
    messages = [replace(m, id=str(1000 + n)) for n, m in enumerate(messages)]
    docs = list(chat.documents(thread, messages))
    assert [d.doc_id for d in docs] == ["9-1000", "9-1000-2", "9-1000-3"]
    assert [len(d.paragraphs) for d in docs] == [chat.MAX_MESSAGES, chat.MAX_MESSAGES, 50]
    assert docs[2].paragraphs[-1].number == 250


def _placed(key: str, role: str | None, n: int, *, reply: int | None = None, thanks: frozenset[str] | None = None,
            marked: bool = False) -> Placed:
    return Placed(str(n), key, key, "2024-05-01T18:00:00+00:00", f"{key}: ...", n, role, "1",
                  str(reply) if reply is not None else None, thanks, marked)


def test_an_answer_is_accepted_when_marked_or_in_a_solved_post_thanked() -> None:
    exchange = [
        _placed("ana", ASKS, 1),
        _placed("ben", ANSWERS, 2),
        _placed("cleo", ANSWERS, 3),
        _placed("ana", ASKS, 4, thanks=frozenset({"ben"})),  # "thanks Ben, that worked"
    ]
    assert accepted_roles(exchange) == [ASKS, ANSWERS, ANSWERS, ASKS]  # a thanks alone ranks nothing
    assert accepted_roles(exchange, solved=True) == [ASKS, ACCEPTED, ANSWERS, ASKS]
    replied = [*exchange[:3], _placed("ana", ASKS, 4, reply=3, thanks=frozenset())]
    assert accepted_roles(replied, solved=True) == [ASKS, ANSWERS, ACCEPTED, ASKS]
    # In plain chat a thanks that replies to an answer names it as a hint for the highlight (it names nobody in its
    # text, as on Discord), and ranks nothing; a thanks from someone other than the asker hints at nothing.
    assert accepted_roles(replied) == [ASKS, ANSWERS, THANKED, ASKS]
    assert accepted_roles([*exchange[:3], _placed("dev", None, 4, reply=3, thanks=frozenset())]) == [
        ASKS, ANSWERS, ANSWERS, None]
    unthanked = exchange[:3]
    assert accepted_roles(unthanked, solved=True) == [ASKS, ACCEPTED, ACCEPTED]  # solved: every answer
    marked = [exchange[0], exchange[1], _placed("cleo", ANSWERS, 3, marked=True)]
    assert accepted_roles(marked) == [ASKS, ANSWERS, ACCEPTED]


@pytest.mark.parametrize("helper", ["Omar Haddad", "omar_h"])
def test_in_a_solved_post_the_answer_thanked_by_first_name_is_accepted(helper: str) -> None:
    """In a forum post tagged solved, "thanks Omar, that fixed it" accepts the answer of the helper shown as "Omar
    Haddad" (or "omar_h"): it named nobody (only whole display names were looked for), so the latest answer before
    it, Sam's guess, was the accepted one and Omar's fix was not."""
    post = replace(CHANNEL, thread=True, solved=True)
    messages = [(said(1, "Ana", "How do I reset the dome controller after a power cut?"), 1, ASKS),
                (said(2, helper, "Hold the red button for ten seconds."), 2, ANSWERS),
                (said(3, "Sam", "maybe pull the plug for a minute?"), 3, ANSWERS),
                (said(4, "Ana", "thanks Omar, that fixed it"), 4, ASKS)]
    [doc] = chat.laid_out(post, messages, "101")
    assert [p.role for p in doc.paragraphs] == [ASKS, ACCEPTED, ANSWERS, ASKS]


def test_a_live_exchange_lays_out_as_an_export_would() -> None:
    messages = [said(1, "Ana", "How do I reset the dome controller?"),
                said(2, "Cleo", "Hold the red button for ten seconds.", reply=1)]
    [exported] = list(chat.documents(CHANNEL, messages))
    [live] = chat.laid_out(CHANNEL, [(messages[0], 1, ASKS), (messages[1], 2, ANSWERS)], "101")
    assert live == exported


def test_a_forward_says_what_it_forwards_after_what_its_forwarder_wrote() -> None:
    shared = said(2, "Eve", "see below", forwarded="Hold the red button\n\nfor ten seconds.",
                  extras=(chat.attachment("reset.png"),))
    assert shared.text == "Eve: see below (forwarded) Hold the red button\n\nfor ten seconds. (attachment: reset.png)"
    assert shared.says_something and said(3, "Eve", "", forwarded="Hold it.").says_something
    assert not said(4, "Eve", "", forwarded=" \n ").says_something  # a forwarded sticker: nothing to quote
    assert "red button" in shared.untangled().text  # untangling reads what it forwards, as what it says
    thanked = chat.placed(said(5, "Ana", "", forwarded="Thanks, that worked."), 5, ASKS, "101")
    assert thanked.thanks is None  # a forwarded thanks is not the forwarder's thanks


def test_a_channel_of_many_exchanges_is_laid_out_in_time_linear_in_them(monkeypatch) -> None:
    """A channel of 300,000 exchanges (a year or two of a busy channel, a feed's, a bot log's): each exchange was taken
    as the first key of a dict whose earlier keys had been popped, which steps over every slot they left, so laying
    them out grew with the square of their number (200,000 took 14 s, 300,000 over 30 s, besides their untangling)."""

    class EachAlone:  # every message its own exchange, with no untangling to pay for: the layout is what is timed
        def __init__(self, **_: object) -> None:
            self.roots: list[int] = []
            self.roles: list[str | None] = []

        def add(self, _message: object) -> int:
            self.roots.append(len(self.roots))
            self.roles.append(None)
            return self.roots[-1]

    class Said:  # a message, as far as this layout reads it
        def __init__(self, id: str) -> None:
            self.id, self.source = id, None

        def untangled(self) -> None:
            return None

    class Id(str):  # a message laid out, as far as this layout reads it: its id, and its paragraph's text
        text = ""

    laid: list[str] = []
    monkeypatch.setattr(chat.conversations, "Untangler", EachAlone)
    monkeypatch.setattr(chat, "placed", lambda message, *_: Id(message.id))
    monkeypatch.setattr(chat, "exchange_documents", lambda _channel, exchange, **_: laid.extend(exchange) or [])
    n = 300_000
    started = time.perf_counter()
    assert list(chat.documents(CHANNEL, (Said(str(10**17 + i)) for i in range(n)))) == []
    assert time.perf_counter() - started < 10  # under a second here
    assert laid == [str(10**17 + i) for i in range(n)]  # each exchange once, in the order they began
