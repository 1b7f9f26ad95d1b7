"""Chat as exchanges: conversations untangled, laid out whole, and answered by their answering message.

The untangling and the layout are pure (messages in, links and paragraphs out). The
answers run on a real export written here (``documents.MAKER_CHAT``: three conversations
at once) and a real index; where the model decides (which message answers, whether to
answer at all) they run on the real model.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qabot.corpus import CorpusFile, find_files, load_corpus, load_file
from qabot.corpus.chat import ACCEPTED, THANKED
from qabot.corpus.conversations import Message, Untangler, exchanges, parents, roles
from qabot.corpus.roles import ANSWERS, ASKS
from qabot.eval import fit_conversations
from qabot.models import Document, Excerpt
from qabot.search import RetrievalConfig, Retriever, addressing
from qabot.search.retriever import named_terms
from tests import documents

MINUTE = 60.0


def _exchanges(messages: list[Message]) -> list[int]:
    return exchanges(parents(messages))


def _first_excerpt(tmp_path: Path, bot_for, chat: list[dict], question: str) -> Excerpt:
    """The first excerpt answering ``question`` from an export of ``chat`` (``documents.message``s), real model."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    documents.write_export(corpus / "help.json", chat)
    return bot_for(corpus).ask(question, k=1).excerpts[0]


def _help_export(tmp_path: Path, chat: list[dict], channel: dict | None = None) -> tuple[Path, Document]:
    """A corpus of one export, help.json, of ``chat`` (one exchange) in ``channel`` (by default the export's help
    channel), and that exchange's document as read."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    documents.write_export(corpus / "help.json", chat, channel=channel)
    [doc] = _read(corpus / "help.json")
    return corpus, doc


# -- untangling ----------------------------------------------------------------------------


@pytest.mark.xfail(strict=True, reason="PLAIN_WEIGHTS (fitted on Ubuntu IRC, where most unaddressed messages start "
                   "conversations) score 'new conversation' above the question just before; linking it is a weights "
                   "change (conversation_weights), which this audit may not make")
def test_an_answer_a_minute_after_the_only_question_of_a_quiet_channel_joins_it() -> None:
    """In a quiet channel, another member's answer a minute after the only question, neither replying nor naming,
    answers it: it was an exchange of its own, the question one nobody answered."""
    chat = [Message("kestrel", "nginx keeps saying connect() failed (111: Connection refused) while connecting to "
                    "upstream, why?", 0, "1"),
            Message("Juniper", "start gunicorn with systemctl start gunicorn, nginx proxies to port 8000", MINUTE, "2")]
    assert _exchanges(chat) == [0, 0]


def test_an_explicit_reply_joins_the_conversation_it_answers_whatever_else_says() -> None:
    chat = [
        Message("ana", "ana: is the east dome open tonight?", 0, "1"),
        Message("ben", "ben: has anyone seen my red torch?", 1 * MINUTE, "2"),
        Message("cleo", "cleo: ben, it is on the shelf by the door", 2 * MINUTE, "3"),
        # Two hours later, naming nobody and sharing no word: only the reply says where it belongs.
        Message("dev", "from nine until two", 120 * MINUTE, "4", reply_to="1"),
    ]
    assert _exchanges(chat)[3] == _exchanges(chat)[0]
    without = [dataclasses.replace(m, reply_to=None) for m in chat]
    assert _exchanges(without)[3] != _exchanges(without)[0]


def test_discords_19_digit_ids_are_kept_as_numbers_and_replies_to_them_found() -> None:
    """Discord's message ids have had 19 digits since 2022: they are kept at 8 bytes a message (a long export is
    untangled holding only those), and a reply finds its message by them."""
    from qabot.corpus.conversations import Untangler

    base = 1_300_000_000_000_000_000
    untangler = Untangler()
    untangler.add(Message("ana", "is the east dome open tonight?", 0, str(base)))
    untangler.add(Message("ben", "has anyone seen my red torch?", MINUTE, str(base + 5)))
    assert untangler.add(Message("dev", "from nine until two", 120 * MINUTE, str(base + 9), reply_to=str(base))) == 0
    assert untangler._other_ids is None  # the compact array, not a dict of every id


def test_a_member_seen_under_thousands_of_names_is_untangled_in_time_linear_in_them() -> None:
    """Each name an author was seen under (an export's nickname, message by message) was added by copying all their
    names before it: 40,000 messages of one member, each under a new nickname, took 18 s, growing with the square."""
    untangler = Untangler(one_conversation=True)  # a thread: only what is seen of each message is timed
    n = 40_000
    started = time.perf_counter()
    for i in range(n):
        untangler.add(Message("ana", "still stuck on it", float(i), str(10**17 + i), names=frozenset({f"ana{i}"})))
    assert time.perf_counter() - started < 6  # half a second here
    assert len(untangler.names("ana")) == n + 1 and untangler.known["ana123"] == "ana"  # each name still hers


@pytest.mark.parametrize("full", [False, True])
def test_addressing_by_name_untangles_two_conversations_at_once(full: bool) -> None:
    """"ana: ..." addresses ana. Discord's display names are often full names ("Ana Lima"), and people address each
    other by the first: that addresses the one member of that first name, as the whole name would."""
    ana, ben, cleo, dev = ("Ana Lima", "Ben Okafor", "Cleo Park", "Dev Singh") if full else ("ana", "ben", "cleo", "dev")
    chat = [
        Message(ana, "how do I mount a second disk at boot?", 0, "1"),
        Message(ben, "my wifi drops every few minutes since the update", 20, "2"),
        Message(cleo, "ana: add a line for it to /etc/fstab", 40, "3"),
        Message(dev, "ben: which chipset is it?", 50, "4"),
        Message(ana, "cleo: with the UUID or the device name?", 70, "5"),
        Message(ben, "dev: an intel 7260", 80, "6"),
        Message(cleo, "ana: the UUID, blkid shows it", 95, "7"),
        Message(dev, "ben: try turning power saving off in NetworkManager", 110, "8"),
    ]
    found = _exchanges(chat)
    disk, wifi = {found[i] for i in (0, 2, 4, 6)}, {found[i] for i in (1, 3, 5, 7)}
    assert len(disk) == 1 and len(wifi) == 1 and disk != wifi


def test_a_helper_turning_to_another_asker_by_name_leaves_the_conversation_they_were_in() -> None:
    """A helper's message addressed to someone is not linked to the helper's own message just before it when that
    one spoke to someone else: they have turned from one conversation to another (no replies here, as in IRC)."""
    chat = [
        Message("terry", "can someone help me set up a caching web proxy on ubuntu? no tutorial works for me", 0, "1"),
        Message("woody", "how can I change my password in a terminal?", 250, "2"),
        Message("ted", "woody: passwd", 260, "3"),
        Message("rob", "s0dium: what is the command to list my hardware so I can paste it for you?", 280, "4"),
        Message("maya", "oh, last question: is there a way to defrag FAT partitions from linux?", 300, "5"),
        Message("maya", "file defragmentation, not block defragmentation", 305, "6"),
        Message("jordan", "tom: what happens when you try to boot it?", 310, "7"),
        Message("gus", "maya, no there isn't a reliable way for that", 320, "8"),
        Message("pank", "all the files play in the movie player now but not in vlc", 340, "9"),
        Message("pank", "thanks everybody", 350, "10"),
        Message("gus", "rob, lspci and lsusb maybe?", 380, "11"),
        Message("tom", "jordan: I now see many linux options on the boot menu", 390, "12"),
        Message("draq", "is python now python2 or 3 in ubuntu?", 400, "13"),
        Message("gus", "terry, have you tried squid? its easy to setup and run", 410, "14"),
    ]
    links = parents(chat)
    assert links[13] == 0  # terry's question, not gus's own message to rob
    assert _exchanges(chat)[13] == _exchanges(chat)[0] != _exchanges(chat)[10]


def test_a_nudge_goes_on_from_its_authors_question_and_the_answer_to_it_joins_them() -> None:
    """"anyone?" asks again: it belongs with its author's question however many messages came between (in a busy
    channel, 30), and the answer addressed to its author then joins that question's exchange, not a new one."""
    chat = [Message("starn", "is there a program like scandisk that checks a disk for bad sectors?", 0, "0")]
    for n in range(1, 31):  # others talking among themselves meanwhile
        chat.append(Message(f"user{n % 6}", f"user{(n + 1) % 6}: what about option {n} in the grub menu?", 5.0 * n,
                            str(n)))
    chat.append(Message("starn", "anyone?", 160, "31"))
    chat.append(Message("gurpreet", "starn, look up badblocks but be very careful with it", 170, "32"))
    found = _exchanges(chat)
    assert found[31] == found[0] and found[32] == found[0]
    # An hour later the same word starts afresh: it no longer asks the old question again.
    late = [*chat[:31], Message("starn", "anyone?", 2 * 3600, "31")]
    assert _exchanges(late)[31] != _exchanges(late)[0]


def test_time_alone_keeps_a_quick_answer_with_its_question_and_a_late_message_apart() -> None:
    # No names, no replies: a channel like most of Discord (its own weights).
    chat = [
        Message("ugo", "the new filament rack is up in the back room", 0, "1"),
        Message("elif", "is the printer room open on sunday?", 60 * MINUTE, "2"),
        Message("ugo", "yes, from 10 to 4", 60 * MINUTE + 20, "3"),
        Message("elif", "great, see you there", 60 * MINUTE + 50, "4"),
        Message("kai", "anyone selling a spare hotend?", 330 * MINUTE, "5"),
    ]
    found = _exchanges(chat)
    assert found[1] == found[2] == found[3]
    assert found[4] not in found[:4] and found[0] != found[1]


_PORTS = [Message("lia", "what's the command to list all listening ports on linux?", 0, "1"),
          Message("max", "```\nss -tulpn\n```", 60, "2"), Message("lia", "ty", 120, "3")]


def test_a_quick_answer_from_a_helper_who_last_spoke_hours_ago_joins_its_question() -> None:
    """No names, no replies, a quiet channel (most of Discord): a helper who last spoke a day ago answers a question a
    minute after it. Their silence (in minutes, as a logarithm) weighed for a new conversation without bound: what
    the weights were fitted on (a busy IRC channel) knew no silence over the hour it gives someone not seen at all.
    The answer was an exchange of its own, and the asker's "ty" joined the question: the search found a question
    nobody answered (its first excerpt "Lia: ty") beside an answer to nothing."""
    before = [Message("max", "morning, anyone tried the new kernel?", -86400, "01"),
              Message("kim", "yes, works fine here", -86340, "02")]
    found = _exchanges([*before, *_PORTS])
    assert found[-3] == found[-2] == found[-1] != found[0]


@pytest.mark.xfail(strict=True, reason="the plain weights, fitted on a busy IRC channel, give a gap of 6-15 minutes "
                   "and the new conversation's features more than an author's own previous message with nobody else "
                   "in between; a fix needs a feature for a channel that stayed silent since, and a refit")
@pytest.mark.parametrize(("before", "gap"), [(0, 360), (2, 900)])
def test_an_askers_own_follow_up_in_a_silent_channel_stays_with_their_question(before: int, gap: float) -> None:
    """Nobody speaks after Lia's question; she adds a detail 6 (or 15) minutes later. It is the same conversation:
    as an exchange of its own it opens with news (no "I", no "?"), and its detail answers questions as Lia's."""
    earlier = [Message("max", "morning, anyone tried the new kernel?", -86400, "01"),
               Message("kim", "yes, works fine here", -86340, "02")][:before]
    found = _exchanges([*earlier, Message("lia", "how do I make the staging deploy skip the migration step?", 0, "1"),
                        Message("lia", "also it's the staging env on k8s", gap, "2")])
    assert found[-1] == found[-2]


@pytest.mark.xfail(strict=True, reason="the plain weights, fitted on IRC where someone new to the window mostly comes "
                   "to ask, start a conversation with a helper's first words; a fix needs refitted or new features")
def test_a_quick_answer_from_a_helper_new_to_the_channel_joins_its_question() -> None:
    """The same where the helper had not spoken in the channel yet (an export's first messages, a helper who only
    answers): so with a two-minute answer, with words shared with the question or not, in prose or code, in French."""
    found = _exchanges(_PORTS)
    assert found[0] == found[1] == found[2]


# Two conversations at once, told apart by the words their messages share alone: no names, no replies, a minute
# apart (after an hour of small talk, which makes those words rare in the channel); in English, Russian, Greek and
# Hindi.
_SHARED_WORDS = {
    "en": (["good morning", "nice weather today", "lol", "see you later"],
           ["how do I get the printer to print over the network?",
            "why is the sound gone since the kernel update?",
            "a network printer is added under printing settings, pick the printer from the list",
            "sound gone since a kernel update: boot the previous kernel from grub"]),
    "ru": (["доброе утро", "хорошая погода сегодня", "лол", "до встречи"],
           ["как заставить принтер печатать по сети?",
            "почему звук пропал после обновления ядра?",
            "принтер по сети добавляется в настройках печати, принтер выберите из списка",
            "звук пропал после обновления ядра: загрузите прежнее ядро из меню grub"]),
    "el": (["καλημέρα", "ωραίος καιρός σήμερα", "χαχα", "τα λέμε"],
           ["πώς θα τυπώνει ο εκτυπωτής μέσω δικτύου?",
            "γιατί ο ήχος χάθηκε μετά την ενημέρωση πυρήνα?",
            "ο εκτυπωτής μέσω δικτύου προστίθεται στις ρυθμίσεις εκτύπωσης, διάλεξε τον εκτυπωτή",
            "ο ήχος χάθηκε μετά την ενημέρωση πυρήνα: ξεκίνα παλιό πυρήνα από το grub"]),
    "hi": (["सुप्रभात", "आज मौसम अच्छा है", "हाहा", "फिर मिलेंगे"],
           ["प्रिंटर से प्रिंट नहीं होता?",
            "आवाज़ क्यों चली गई?",
            "प्रिंटर दोबारा जोड़िए, फिर प्रिंट होगा",
            "आवाज़ चली गई तो ड्राइवर बदलिए"]),
}


@pytest.mark.parametrize("language", sorted(_SHARED_WORDS))
def test_words_shared_in_any_script_untangle_two_conversations_at_once(tmp_path: Path, language: str) -> None:
    """A Cyrillic, Greek or Hindi server's export is untangled by the words its messages share as an English one is:
    each answer joins the question it shares words with (Cyrillic and Greek words were not seen: each was its own; a
    Hindi word was cut at each vowel sign, which Python counts as no letter, into pieces too short to count)."""
    people = ["Ana", "Ben", "Cleo", "Dev"]
    small_talk, chat = _SHARED_WORDS[language]
    messages = [documents.message(str(6000 + n), people[n % 4], small_talk[n % 4], documents._at(n))
                for n in range(40)]
    messages += [documents.message(str(6100 + n), people[n], said, documents._at(101 + n))
                 for n, said in enumerate(chat)]
    docs = _read(documents.write_export(tmp_path / "help.json", messages))
    exchange_of = {p.url.rsplit("/", 1)[1]: doc.doc_id for doc in docs for p in doc.paragraphs}
    assert exchange_of["6100"] == exchange_of["6102"] != exchange_of["6101"] == exchange_of["6103"]


def test_a_member_named_in_an_indic_script_is_addressed_by_name() -> None:
    """"राहुल: ..." addresses Rahul as "rahul: ..." does; a message's names were read cut at each vowel sign ("र", "ह",
    "ल"), so a member whose name is written in Devanagari (or Bengali, Tamil) was never addressed by it."""
    from qabot.corpus.conversations import Untangler

    chat = [Message("राहुल", "प्रिंटर से प्रिंट नहीं होता?", 0, "1"),
            Message("सीमा", "आवाज़ क्यों चली गई?", MINUTE, "2"),
            Message("dev", "राहुल: केबल बदलिए", 2 * MINUTE, "3")]
    untangler = Untangler()
    for message in chat[:2]:
        untangler.add(message)
    assert untangler.named("राहुल, केबल बदलिए") == {"राहुल"}
    assert _exchanges(chat)[2] == _exchanges(chat)[0] != _exchanges(chat)[1]


def test_where_people_reply_instead_of_naming_the_rest_is_linked_as_annotated() -> None:
    # chat-blind's three annotated IRC logs as a Discord channel would have them: a message that opened with a name
    # replies to that person's latest message instead (``fit_conversations --replies``). A reply speaks to whom it
    # replies to, and the weights fitted that way link the messages that are not replies; the plain weights, with
    # replies telling nobody anything, linked 57.9% of them as annotated (this code: 67.5%).
    raw = Path(__file__).parent / "data" / "chat-blind" / "raw"
    right = total = 0
    for annotation in sorted(raw.glob("*.annotation.txt")):
        chat, annotated = fit_conversations.read(annotation.with_name(annotation.name.replace("annotation", "raw")),
                                                 annotation, plain=False, replies=True)
        links = parents(chat)
        scored = [i for i in annotated if chat[i].reply_to is None]
        right += sum(links[i] in annotated[i] for i in scored)
        total += len(scored)
    assert total > 700 and right / total > 0.65


def test_fitting_the_weights_where_there_is_nothing_to_fit_says_so_in_one_line(tmp_path: Path) -> None:
    # chat-dev's raw/ holds only the three logs the fit leaves out: the fit stopped in scipy, a traceback ending in
    # "blocks must be 2-D"; no folder at all, IndexError; a log without its raw file, FileNotFoundError.
    (tmp_path / "2012-06-20.train-c.annotation.txt").write_text("1000 1000 -\n", encoding="utf-8")
    (tmp_path / "2012-06-20.train-c.raw.txt").write_text("[07:36] <ana> hi\n", encoding="utf-8")
    orphan = tmp_path / "orphan"
    orphan.mkdir()
    (orphan / "2011-11-24.train-c.annotation.txt").write_text("1000 1000 -\n", encoding="utf-8")
    for args, said in (([str(tmp_path)], "no annotated IRC log to fit in"), ([], "usage: "), (["--help"], "usage: "),
                       ([str(orphan)], "cannot read")):
        run = subprocess.run([sys.executable, "-m", "qabot.eval.fit_conversations", *args], capture_output=True,
                             text=True, timeout=120, cwd=Path(__file__).resolve().parent.parent)
        assert run.returncode != 0 and run.stderr.startswith(said) and len(run.stderr.splitlines()) == 1, run.stderr


def test_roles_the_opener_asks_and_the_replies_to_them_answer() -> None:
    chat = [
        Message("ana", "my laptop will not wake from sleep, any idea?", 0, "1"),
        Message("ben", "try the nomodeset boot option", 30, "2", reply_to="1"),
        Message("cleo", "ben, does that still work on 24.04?", 60, "3", reply_to="2"),
        Message("ana", "that fixed it, thanks", 90, "4", reply_to="2"),
    ]
    assert roles(chat, parents(chat)) == [ASKS, ANSWERS, None, ASKS]


def test_roles_of_an_exchange_that_opens_with_news_are_the_other_way_round() -> None:
    chat = [
        Message("ana", "Reminder: the dome is closed on Friday for maintenance.", 0, "1"),
        Message("ben", "Does that include the shutter motor?", 30, "2", reply_to="1"),
        Message("ana", "Yes, it gets new bearings.", 60, "3", reply_to="2"),
    ]
    assert roles(chat, parents(chat)) == [ANSWERS, ASKS, ANSWERS]


@pytest.mark.parametrize("opener", [
    "wat is the meaning of this System information disabled due to load higher than 4.0",
    "could somone recommend a swap size for a laptop with 8gb of ram",  # a request, typed in a hurry
    "Have you guys heard of the Hirens recovery disk",
    "wine icons are not appearing in the dash",  # trouble, without "can't" or "doesn't"
    "sudo apt-get install skype .... unable to locate package skype :/",
    "after `dpkg --add-architecture armhf`, `apt-get update` says all the armhf repos 404",  # what a command said
    "cp says permission denied on /home/devtest",
])
def test_an_exchange_opened_by_a_question_without_a_question_mark_is_asked_not_news(opener: str) -> None:
    chat = [
        Message("phil", opener, 0, "1"),
        Message("dafty", "phil: you logged in too soon, so the message of the day did not run", 60, "2"),
    ]
    assert roles(chat, parents(chat)) == [ASKS, ANSWERS]


@pytest.mark.parametrize("mark", ["？", "؟"])
def test_a_question_ending_in_a_full_width_or_arabic_question_mark_asks(tmp_path: Path, mark: str) -> None:
    """Chinese and Japanese keyboards type "？" (U+FF1F), Arabic ones "؟": each asks as "?" does. The exchange was read
    as news, its asker's messages as answers: the asker's own problem was cited as the answer to it."""
    def roles_of(mark: str) -> list:
        chat = [Message("wei", f"nginx graceful reload{mark}", 0, "1"),
                Message("ben", "nginx -s reload, not systemctl restart", 60, "2", reply_to="1"),
                Message("cleo", f"ben, on debian 12 too{mark}", 90, "3", reply_to="2"),
                Message("wei", f"thanks, but what about the old workers{mark}", 120, "4", reply_to="2")]
        untangler = Untangler()
        for message in chat:
            untangler.add(message)
        return [untangler.roles, [s.asks for s in untangler.window]]

    assert roles_of(mark) == roles_of("?") == [[ASKS, ANSWERS, None, ASKS], [True, False, True, True]]
    # Where the asker then says more without a question mark, that is no answer either.
    chat = [documents.message("1", "Wei", f"nginx graceful reload{mark}", documents._at(0)),
            documents.message("2", "Wei", "connections dropped on every config change, nginx 1.18 on debian 12",
                              documents._at(0, 20))]
    [doc] = _read(documents.write_export(tmp_path / "help.json", chat))
    assert [p.role for p in doc.paragraphs] == [ASKS, ASKS]


def test_an_askers_problem_after_a_full_width_question_mark_is_not_cited_as_the_answer(tmp_path: Path,
                                                                                     bot_for) -> None:
    chat = [documents.message("1", "Wei", "nginx graceful reload？", documents._at(0)),
            documents.message("2", "Wei", "connections dropped on every config change, nginx 1.18 on debian 12",
                              documents._at(0, 20)),
            documents.message("3", "Ben", "nginx -s reload, not systemctl restart", documents._at(1))]
    first = _first_excerpt(tmp_path, bot_for, chat, "nginx drops connections on every config change")
    assert first.citation.author == "Ben", first.highlight  # was Wei's own problem, answered with confidence


@pytest.mark.parametrize("news", ["watch the language, and explain what you mean", "whoops, wrong channel",
                                  "Would be nice to have a meetup in June", "the mirror is back up"])
def test_news_that_opens_with_a_question_word_in_another_word_is_still_news(news: str) -> None:
    """"watch" is no "wat", "whoops" no "who", and "would be nice" asks no one."""
    chat = [Message("ana", news, 0, "1"), Message("ben", "ok", 30, "2", reply_to="1")]
    assert roles(chat, parents(chat))[0] == ANSWERS


def test_a_problem_told_without_asking_opens_an_asked_exchange_not_news() -> None:
    chat = [
        Message("briar", "tailwind classes aren't applied in production build, fine in dev", 0, "1"),
        Message("kestrel", "the build purges every class outside the content paths of tailwind.config.js", 60, "2",
                reply_to="1"),
    ]
    assert roles(chat, parents(chat)) == [ASKS, ANSWERS]
    # Told to someone, the same words answer a question from before (whose asker the untangler may not know).
    told = [Message("wulf", "logical_: deleting the files doesn't delete the filesystem", 0, "1"),
            Message("logical_", "wulf: how do I rename the stick then?", 60, "2")]
    assert roles(told, parents(told)) == [ANSWERS, ASKS]
    # And so where Discord's mention alone addresses it, with no colon after the name.
    mentioned = [dataclasses.replace(told[0], text="@logical_ deleting the files doesn't delete the filesystem"),
                 dataclasses.replace(told[1], text="@wulf how do I rename the stick then?")]
    assert roles(mentioned, parents(mentioned)) == [ANSWERS, ASKS]


@pytest.mark.parametrize("hello", ["media: hi", "@ana hello", "ana, hey there!", "hi", "Good morning all :)",
                                   "hello ana", "umm", "hmm...", "guys", "ok so", "quick question"])
def test_a_greeting_that_opens_an_exchange_is_no_news_its_author_asks(hello: str) -> None:
    """A greeting tells nothing, addressed to someone or not, and nor does "umm" or "guys": its author is about to
    ask, not announcing news (whose author would answer, and the helper's questions would ask), nor answering the one
    it greets."""
    chat = [
        Message("kim", hello, 0, "1"),
        Message("kim", "since the upgrade the wifi drops every few minutes", 20, "2"),
        Message("lou", "kim: turn wifi power saving off in NetworkManager, wifi.powersave = 2", 60, "3"),
        Message("kim", "lou: that did it", 120, "4"),
    ]
    assert _exchanges(chat) == [0, 0, 0, 0]
    assert roles(chat, parents(chat)) == [ASKS, ASKS, ANSWERS, ASKS]
    # The same where the one greeted has spoken before, and the greeting opens an exchange of its own: kim still
    # asks (not ana, as "ana: deleting the files ..." would have her ask).
    untangler = Untangler()
    untangler.add(Message("ana", "the dome camera is back online", -7200, "0", names=frozenset({"ana", "media"})))
    untangler.add(chat[0], parent=1)
    for message in chat[1:]:
        untangler.add(message)
    assert untangler.roots[1:] == [1, 1, 1, 1] and untangler.roles[1:] == [ASKS, ASKS, ANSWERS, ASKS]
    # A message that greets and then says something is read by what it says; so are a few words that say something
    # (a bot's command, a short answer to someone earlier).
    for said in ("logical_: hi, deleting the files doesn't delete the filesystem", "!info tunctl", "Use rsync .."):
        told = [Message("wulf", said, 0, "1"), Message("logical_", "wulf: how do I rename the stick then?", 60, "2")]
        assert roles(told, parents(told)) == [ANSWERS, ASKS]


def test_a_message_opening_with_a_name_over_and_over_is_untangled_in_time_linear_in_it(tmp_path: Path) -> None:
    """Whether a message only greets steps over the names it opens with ("media: hi"): each was cut off the text,
    copying the rest, so an export's one message of 2 MB of "a: " took 40 s (its time limit is checked between
    messages, so 20 MB would have held the build for over an hour)."""
    hostile = "a: " * 700_000 + "hi"
    record = documents.message("1001", "Ana", hostile, "2024-05-01T18:02:33+00:00")
    started = time.perf_counter()
    [doc] = _read(documents.write_export(tmp_path / "help.json", [record, *documents.CHAT[1:3]]))
    assert time.perf_counter() - started < 6  # half a second here; 40 s before
    assert doc.text[doc.paragraphs[0].start : doc.paragraphs[0].end] == f"Ana: {hostile}"
    assert [p.role for p in doc.paragraphs] == [ASKS, ANSWERS, ASKS]  # a greeting: its author asks, as "ana: hi" does


def test_an_exchange_opened_by_a_thanks_is_no_news_its_author_was_helped() -> None:
    """A thanks the untangler could not join to the help before it ("Thank you Eric" for EriC^^) opens an exchange of
    its own; its author was the one helped, so the helper's next words answer them, not the other way round."""
    chat = [
        Message("wadie", "Thank you Eric, it's much better now :D", 0, "1"),
        Message("eric", "wadie: it's not persistent though, put the commands in a script and add it to ~/.profile", 30,
                "2"),
        Message("wadie", "eric: what do you mean not persistent?", 60, "3"),
    ]
    assert _exchanges(chat) == [0, 0, 0]
    assert roles(chat, parents(chat)) == [ASKS, ANSWERS, ASKS]


def test_a_label_before_a_colon_is_nobody_addressed_unless_someone_goes_by_it() -> None:
    chat = [
        Message("briar", "Update: build fails on arm64 since the toolchain bump", 0, "1"),
        Message("kestrel", "the arm64 runners lost their cross compiler, pin the toolchain to 12.2", 60, "2",
                reply_to="1"),
    ]
    assert roles(chat, parents(chat)) == [ASKS, ANSWERS]  # a problem told to everyone: briar asks
    # Where someone of the channel goes by that name, the message is addressed to them: it answers them.
    named = [Message("update", "anyone else seeing the nightly build break?", 0, "1", names=frozenset({"update"})),
             Message("briar", "Update: build fails on arm64 since the toolchain bump", 60, "2")]
    assert roles(named, parents(named)) == [ASKS, ANSWERS]


def test_a_ticket_a_bot_opened_is_asked_by_the_member_it_names_whoever_speaks_first() -> None:
    """A ticket bot's thread names the member it is for: they ask once they speak, even after a helper's greeting;
    a bot's post that names no one is left as it was (its first reply may well be a helper's)."""
    welcome = Message("Tickets", "Welcome @ana! Describe your issue.", 0, "1", bot=True, mentions=frozenset({"ana"}))
    untangler = Untangler(one_conversation=True)
    for message in [welcome, Message("ben", "hi, how can we help?", 30, "2"),
                    Message("ana", "my license key says it is already activated elsewhere", 60, "3"),
                    Message("ben", "I reset it, sign in again", 120, "4")]:
        untangler.add(message)
    assert untangler.roles[1:] == [ANSWERS, ASKS, ANSWERS]
    feed = Untangler(one_conversation=True)
    for message in [Message("releases", "v2.4 is out", 0, "1", bot=True), Message("ben", "it fixes the login bug",
                                                                                30, "2")]:
        feed.add(message)
    assert feed.opener(1)[0] == "releases"

def test_a_bots_message_joins_only_what_called_it_up() -> None:
    """A bot's message answers a command ("!rank"), a message that speaks to it, or one with a number it looks up
    ("bug 1289977"); a notice nothing called up (a level-up) starts its own exchange, whoever it @-mentions."""
    chat = [
        Message("mossy", "how do I stop my sourdough starter smelling of nail polish?", 0, "1"),
        Message("juniper", "mossy: feed it twice a day, that smell means it is hungry", 30, "2"),
        Message("MEE6", "GG @mossy, you just advanced to level 3!", 40, "3", bot=True, mentions=frozenset({"mossy"})),
        Message("mossy", "juniper: will do, thanks", 60, "4"),
        Message("fennel", "!rank", 70, "5"),
        Message("MEE6", "fennel: you are level 7", 72, "6", bot=True),
        Message("sorrel", "MEE6: what is my level", 80, "7"),
        Message("MEE6", "sorrel: you are level 2", 82, "8", bot=True),
    ]
    found = _exchanges(chat)
    assert found[0] == found[1] == found[3] != found[2]
    assert found[4] == found[5] and found[6] == found[7]
    looked_up = [
        Message("ubottu", "Launchpad bug 1 in ubuntu \"Microsoft has a majority market share\"", 0, "1", bot=True),
        Message("kai", "ana: the ppa has the newer driver", 30, "2"),
        Message("rue", "since the grub update my laptop does not boot, it is bug 1289977", 60, "3"),
        Message("ubottu", "Launchpad bug 1289977 in grub2 \"Update breaks grub\" [High, Confirmed]", 62, "4", bot=True),
    ]
    assert _exchanges(looked_up)[2:] == [2, 2]


# -- the layout ----------------------------------------------------------------------------


def _read(path: Path):
    warnings: list[str] = []
    docs = list(load_file(CorpusFile(path, path.name), warn=warnings.append))
    assert not warnings
    return docs


def test_an_export_is_laid_out_one_document_per_exchange_each_message_verbatim(tmp_path: Path) -> None:
    docs = _read(documents.write_export(tmp_path / "printing.json", documents.MAKER_CHAT))
    doc_of = {p.url.rsplit("/", 1)[1]: (doc, p) for doc in docs for p in doc.paragraphs}
    exchange = {message_id: doc.doc_id for message_id, (doc, _) in doc_of.items()}
    # Mira's question, Theo's reply to it and her thanks are one exchange, though the
    # stringing and laser-cutter talk came in between: one document, named by its first message.
    channel = "381889648827301889"
    assert exchange["3001"] == exchange["3006"] == exchange["3008"] == f"{channel}-3001"
    assert exchange["3002"] == exchange["3003"] == exchange["3005"] == exchange["3009"] == f"{channel}-3002"
    assert exchange["3004"] == exchange["3007"] == f"{channel}-3004"
    assert [d.doc_id for d in docs[:3]] == [f"{channel}-{first}" for first in ("3001", "3002", "3004")]  # as begun
    assert {d.source for d in docs} == {"printing.json"} and len({d.title for d in docs}) == 1
    assert [doc_of[i][1].role for i in ("3001", "3006", "3008")] == [ASKS, THANKED, ASKS]  # her thanks replies to it
    for record in documents.MAKER_CHAT:
        doc, para = doc_of[record["id"]]
        assert doc.text[para.start : para.end] == f"{record['author']['nickname']}: {record['content']}"
        assert para.number == int(record["id"]) - 3000  # its place in the channel, whatever the layout
        assert (para.author, para.date) == (record["author"]["nickname"], record["timestamp"])


# What chat messages hold that a reader may get wrong: joined and astral emoji, combining marks, CRLF and other line
# breaks, zero-width and bidirectional controls, right-to-left scripts, Discord's tokens (custom emoji, members',
# roles' and channels' mentions, dates) and code, inline and fenced.
_AWKWARD = ["🧑\u200d💻", "👨\u200d👩\u200d👧", "\U0001f600", "e\u0301", "x\u0300\u0301\u0302", "\r\n", "\u2028", "\x85",
            "\u202eevil\u202c", "\u200b", "\ufeff", "שלום עולם", "مرحبا بكم", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "<:pepe:123456789012345678>",
            "<a:blob:223456789012345678>", "<@123456789012345678>", "<#381889648827301889>", "<@&1234567890123>",
            "<t:1717400000:R>", "`code`", "```py\r\nprint('x')\r\n```", "**bold**", "||spoiler||", "> quote", "\t"]


def test_every_chat_excerpt_is_the_source_text_and_cites_the_message_it_highlights(tmp_path: Path,
                                                                                     fake_bot_for) -> None:
    """Over messages made of ``_AWKWARD`` pieces and words (a fixed seed): every excerpt is the index's text at its
    citation's offsets, its highlight the text at its own, and it cites the message it highlights (that message's
    author, date and jump link)."""
    import random

    rng = random.Random(3)
    topics = "grub kernel wifi driver nvidia apt boot install sound printer docker nginx python firewall ssh".split()
    authors = ["Ana", "Ben", "Çağrı", "李雷", "👾Zed", "سارا"]
    chat = [documents.message(str(9000 + i), rng.choice(authors),
                              " ".join(rng.choice(topics) if rng.random() < 0.6 else rng.choice(_AWKWARD)
                                       for _ in range(rng.randint(2, 12))),
                              _at(i), reply_to=str(8999 + i) if i % 3 else None) for i in range(120)]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    documents.write_export(corpus / "help.json", chat)
    bot = fake_bot_for(corpus, answer_threshold=0.0)
    by_link = {f"https://discord.com/channels/81384788765712384/381889648827301889/{m['id']}": m for m in chat}
    seen = 0
    for question in [*topics, "grub 🧑\u200d💻 kernel", "pepe", "print x", "שלום", "مرحبا"]:
        for excerpt in bot.ask(question, k=5).excerpts:
            cited = excerpt.citation
            doc = bot.index.passages([excerpt.passage_id])[excerpt.passage_id].doc
            assert bot.index.text(doc, cited.start, cited.end) == excerpt.text
            assert excerpt.text[excerpt.highlight_start : excerpt.highlight_end] == excerpt.highlight
            message = by_link[cited.link]
            para = bot.index.paragraph_at(doc, cited.start + excerpt.highlight_start)
            assert (para.url, para.author, para.date) == (cited.link, cited.author, cited.date)
            assert cited.author == message["author"]["nickname"] and cited.date == message["timestamp"]
            assert excerpt.highlight.startswith(f"{cited.author}: ") or para.start < cited.start + excerpt.highlight_start
            seen += 1
    assert seen > 50


@pytest.mark.parametrize("kind", ["GuildPublicThread", "11"])  # "11": DiscordChatExporter 2.30-2.34's name for it
def test_a_thread_is_one_conversation(tmp_path: Path, kind: str) -> None:
    channel = {"id": "381889648827301900", "type": kind, "categoryId": "381889648827301889",
               "category": "help", "name": "PETG corners lifting", "topic": None}
    late = [dict(m) for m in documents.MAKER_CHAT[:4]]
    late[3] = {**late[3], "timestamp": "2024-06-04T18:00:00+00:00"}  # a day later, naming nobody
    [doc] = _read(documents.write_export(tmp_path / "thread.json", late, channel=channel))
    assert len(doc.paragraphs) == 4



THREAD = {"id": "381889648827301950", "type": "GuildPublicThread", "categoryId": "381889648827301889",
          "category": "help", "name": "Dome controller reset", "topic": None}
FORUM_POST = {"id": "381889648827309500", "type": "GuildPublicThread", "categoryId": "381889648827300000",
              "category": "help-forum", "name": "Tailwind classes not applied", "topic": None}


def test_a_thread_started_from_a_message_opens_with_its_question(tmp_path: Path) -> None:
    # DiscordChatExporter (since its PR #1557, June 2026) writes the message a thread was started from first in the
    # thread's export, as it is in the parent channel: the thread's id is its id. Its answers are one exchange
    # with it, the question asks and the answer in the thread answers.
    starter = documents.message(THREAD["id"], "Ana", "How do I reset the dome controller?",
                                "2024-05-01T18:00:00+00:00")
    chat = [starter,
            documents.message("381889648827301960", "Ben", "Hold the red button for ten seconds.",
                              "2024-05-01T18:05:00+00:00"),
            documents.message("381889648827301970", "Ana", "Thanks, that did it.", "2024-05-01T18:07:00+00:00")]
    [doc] = _read(documents.write_export(tmp_path / "thread.json", chat, channel=THREAD))
    assert doc.doc_id == f"{THREAD['id']}-{THREAD['id']}" and doc.title == "Observatory · #help › Dome controller reset"
    assert [(p.author, p.role) for p in doc.paragraphs] == [("Ana", ASKS), ("Ben", ANSWERS), ("Ana", ASKS)]
    assert doc.text[doc.paragraphs[0].start : doc.paragraphs[0].end] == "Ana: How do I reset the dome controller?"


# Before that, DiscordChatExporter wrote Discord's placeholder for it: type 21 (a number: it had no name for it), no
# text, a reference to the message in the parent channel. Since that pull request it has a name for it, which it writes
# where it cannot fetch the message (deleted, or in a channel the exporter may not read).
STARTER_TYPES = ["21", "ThreadStarterMessage"]


@pytest.mark.parametrize("kind", STARTER_TYPES)
def test_a_thread_export_without_the_message_it_started_from_says_so(tmp_path: Path, kind: str) -> None:
    # The question is not there to link.
    placeholder = documents.message(THREAD["id"], "Ana", "", "2024-05-01T18:00:00+00:00", type=kind)
    placeholder["reference"] = {"type": "Default", "messageId": THREAD["id"], "channelId": THREAD["categoryId"],
                                "guildId": "81384788765712384"}
    chat = [placeholder, documents.message("381889648827301960", "Ben", "Hold the red button for ten seconds.",
                                           "2024-05-01T18:05:00+00:00")]
    warnings: list[str] = []
    [doc] = list(load_file(CorpusFile(documents.write_export(tmp_path / "thread.json", chat, channel=THREAD),
                                      "thread.json"), warn=warnings.append))
    assert [p.author for p in doc.paragraphs] == ["Ben"]
    assert len(warnings) == 1 and warnings[0].startswith("thread.json: message 1 stands for the message this thread "
                                                         "was started from, which the export does not hold")
    # Nor can any export hold it once it was deleted (Discord keeps the placeholder): exporting again is no cure.
    assert "deleted" in warnings[0]


@pytest.mark.parametrize("kind", STARTER_TYPES)
def test_a_thread_without_its_question_opened_by_a_helper_asking_back_is_asked_by_the_member(tmp_path: Path,
                                                                                          bot_for, kind: str) -> None:
    """An older export of a thread a helper started from a member's question holds only the placeholder, by the
    helper, then the helper asking back ("which version ...?"). The helper is no asker: the member who answers the
    question asks, so the member's own words are never the answer, the helper's fix is. So does a newer export of
    it once the question was deleted: the placeholder, by its name, was read as no message at all, and the member's
    own words were the answer."""
    chat = _thread_without_its_question(thanks=", thanks", kind=kind)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    path = documents.write_export(corpus / "thread.json", chat, channel=THREAD)
    [doc] = list(load_file(CorpusFile(path, "thread.json"), warn=lambda _: None))
    assert [(p.author, p.role) for p in doc.paragraphs][1:] == [("Ana", ASKS), ("Ben", ANSWERS), ("Ana", ASKS)]
    first = bot_for(corpus).ask("The license key says it is already activated on another machine, what do I do?",
                                k=1).excerpts[0]
    assert first.citation.author == "Ben" and first.citation.link.endswith("/381889648827301980"), first.highlight


def _thread_without_its_question(thanks: str = "", kind: str = "21") -> list[dict]:
    """An older export's thread: the placeholder for the message it was started from (of type ``kind``), a helper
    asking back, the member's answer, the helper's fix, the member's word that it worked (and ``thanks``)."""
    placeholder = documents.message(THREAD["id"], "Ben", "", documents._at(0), type=kind)
    placeholder["reference"] = {"type": "Default", "messageId": THREAD["id"], "channelId": THREAD["categoryId"],
                                "guildId": "81384788765712384"}
    return [placeholder,
            documents.message("381889648827301960", "Ben", "moving this to a thread. which version of the app are "
                              "you on?", documents._at(1)),
            documents.message("381889648827301970", "Ana", "version 3.2 on windows 11, and the license key says it "
                              "is already activated on another machine", documents._at(2)),
            documents.message("381889648827301980", "Ben", "3.2 has a bug with activations, update to 3.3 and sign "
                              "in again", documents._at(4)),
            documents.message("381889648827301990", "Ana", f"updated to 3.3 and signed in, it activated fine{thanks}",
                              documents._at(8))]


def test_a_thread_without_its_question_exported_newest_first_is_read_as_in_order(tmp_path: Path) -> None:
    """Written newest first (``--reverse``), the placeholder comes last: the message after it in time, the helper
    asking back, still answers a question not here, so the member asks and the helper's fix answers (the roles were
    the other way round: the member's own words were the answer)."""
    chat = _thread_without_its_question()
    roles = []
    for name, messages in (("in-order.json", chat), ("newest-first.json", chat[::-1])):
        path = documents.write_export(tmp_path / name, messages, channel=THREAD)
        [doc] = list(load_file(CorpusFile(path, name), warn=lambda _: None))
        roles.append([(p.author, p.role) for p in doc.paragraphs][1:])
    assert roles[0] == roles[1] == [("Ana", ASKS), ("Ben", ANSWERS), ("Ana", ASKS)]


def test_a_threads_question_in_one_export_is_kept_over_the_placeholder_of_another(tmp_path: Path) -> None:
    """The thread exported twice into one folder: by an older DiscordChatExporter (the placeholder; exported last) and
    by a newer one (the message it was started from, under the same id). The question is read, not the placeholder."""
    chat = _thread_without_its_question()
    question = documents.message(THREAD["id"], "Ana", "the app says my license key is already activated on another "
                                 "machine, how do I move it?", documents._at(0))
    name = "Observatory - help - Dome controller reset [{}]{}.json"
    documents.write_export(tmp_path / name.format(THREAD["id"], ""), [question, *chat[1:]], channel=THREAD)
    older = documents.export(chat, channel=THREAD)
    older["exportedAt"] = "2024-06-02T09:00:00+00:00"  # after the other
    (tmp_path / name.format(THREAD["id"], " (2024-06-03)")).write_text(json.dumps(older), encoding="utf-8")
    [doc] = list(load_corpus(find_files(tmp_path), warn=lambda _: None))
    assert [p.author for p in doc.paragraphs] == ["Ana", "Ben", "Ana", "Ben", "Ana"]
    assert doc.text.startswith("Ana: the app says my license key")


@pytest.mark.xfail(strict=True, reason="the parent channel's export and its thread's are two channels, read and "
                   "indexed apart (export_parts.units groups files by name, before reading them): telling that the "
                   "thread's first message is the one the parent's export holds, or that the parent's question is "
                   "answered in a thread, needs both files read together, and read again when either changes")
def test_a_question_exported_with_its_channel_and_in_its_threads_export_is_quoted_once_where_it_was_posted(
        tmp_path: Path) -> None:
    """DiscordChatExporter exports a thread as its own file, which opens with a copy of the message it was started
    from (since its pull request #1557); that message is in its channel's export too. Live, it is quoted once, in
    the thread's exchange with the thread's answers, cited by its jump link in the channel (the channel's exchange
    of it alone is not laid out: ``linking.answered_in_thread``). From the two exports it was quoted twice: the
    channel's unanswered question cited as a source of its own, and the copy cited by a link into the thread."""
    parent = {"id": THREAD["categoryId"], "type": "GuildTextChat", "categoryId": "381887113391505410",
              "category": "Text channels", "name": "help", "topic": None}
    question = documents.message(THREAD["id"], "Ana", "How do I reset the dome controller after a power cut?",
                                 "2024-05-01T18:00:00+00:00")
    documents.write_export(tmp_path / f"Observatory - Text channels - help [{parent['id']}].json",
                           [question, documents.message("381889648827301955", "Dan", "Is the café open tonight?",
                                                        "2024-05-01T18:01:00+00:00")], channel=parent)
    documents.write_export(tmp_path / f"Observatory - help - Dome controller reset [{THREAD['id']}].json",
                           [question, documents.message("381889648827301960", "Ben", "Hold the grey reset button "
                                                        "for ten seconds.", "2024-05-01T18:05:00+00:00")],
                           channel=THREAD)
    quoted = [(d.doc_id, p.url) for d in load_corpus(find_files(tmp_path), warn=lambda _: None) for p in d.paragraphs
              if d.text[p.start : p.end].startswith("Ana: How do I reset")]
    guild = "https://discord.com/channels/81384788765712384"
    assert quoted == [(f"{THREAD['id']}-{THREAD['id']}", f"{guild}/{parent['id']}/{THREAD['id']}")]


@pytest.mark.parametrize("kind", ["GuildNewsThread", "10"])  # "10": DiscordChatExporter 2.30-2.34's name for it
def test_a_thread_of_an_announcement_channel_opens_with_news(tmp_path: Path, kind: str) -> None:
    """An announcement's thread opens with the news, however its author tells it ("I just released ..."): its author's
    messages answer, the others' questions ask."""
    channel = {**FORUM_POST, "type": kind, "category": "announcements", "name": "v2.4 is out"}
    chat = [documents.message(channel["id"], "briar", "I just released v2.4 of the site, with dark mode",
                              "2024-06-06T10:00:00+00:00"),
            documents.message("381889648827309501", "kestrel", "does the dark mode follow the system setting?",
                              "2024-06-06T10:05:00+00:00"),
            documents.message("381889648827309502", "briar", "yes, it follows the system", "2024-06-06T10:09:00+00:00")]
    [doc] = _read(documents.write_export(tmp_path / "post.json", chat, channel=channel))
    assert [p.role for p in doc.paragraphs] == [ANSWERS, ASKS, ANSWERS]
    [doc] = _read(documents.write_export(tmp_path / "post.json", chat, channel={**channel, "type": "GuildPublicThread"}))
    assert [p.role for p in doc.paragraphs] == [ASKS, ANSWERS, ASKS]  # elsewhere, "I ..." opens a question


@pytest.mark.parametrize("kind", ["GuildNewsThread", "10"])
def test_the_announcement_a_thread_was_started_from_links_to_where_it_was_posted(tmp_path: Path, kind: str) -> None:
    """A thread of an announcement channel opens with the announcement it was started from (DiscordChatExporter since
    its PR #1557), which was posted in the announcement channel, the export's category: its jump link leads there, as
    a live thread's does (it led into the thread). A forum post's first message is the post's own: it stays there."""
    news = {**THREAD, "type": kind, "category": "announcements", "name": "v2.4 is out"}
    chat = [documents.message(news["id"], "briar", "I just released v2.4 of the site, with dark mode",
                              "2024-06-06T10:00:00+00:00"),
            documents.message("381889648827301960", "kestrel", "does the dark mode follow the system setting?",
                              "2024-06-06T10:05:00+00:00")]
    [doc] = _read(documents.write_export(tmp_path / "news.json", chat, channel=news))
    guild = "https://discord.com/channels/81384788765712384"
    assert [p.url for p in doc.paragraphs] == [f"{guild}/{news['categoryId']}/{news['id']}",
                                               f"{guild}/{news['id']}/381889648827301960"]
    post = {**FORUM_POST, "id": news["id"]}
    [doc] = _read(documents.write_export(tmp_path / "post.json", chat, channel=post))
    assert doc.paragraphs[0].url == f"{guild}/{post['id']}/{post['id']}"


def test_the_starter_of_a_forum_post_is_never_its_answer(tmp_path: Path, bot_for) -> None:
    """A forum post that tells a problem without asking is still a question: its starter's own messages are never
    the answer, the helper's is."""
    post = [
        documents.message(FORUM_POST["id"], "briar", "tailwind classes aren't applied in production build, fine in "
                          "dev", "2024-06-06T10:00:00+00:00"),
        documents.message("381889648827309501", "kestrel", "add every folder with components to content in "
                          "tailwind.config.js", "2024-06-06T10:05:00+00:00"),
        documents.message("381889648827309502", "briar", "the production build applies the tailwind classes now, "
                          "content only listed the pages folder", "2024-06-06T10:09:00+00:00"),
    ]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    documents.write_export(corpus / "post.json", post, channel=FORUM_POST)
    first = bot_for(corpus).ask("Why are tailwind classes not applied in the production build?", k=1).excerpts[0]
    assert first.citation.author == "kestrel", first.highlight


def test_a_reply_asking_back_about_a_question_not_in_the_export_is_answered_by_the_helper(tmp_path: Path,
                                                                                        bot_for) -> None:
    """A channel exported month by month: June's first exchange is a helper's reply, asking back, to a question of
    May's file. The helper is no asker: the member the reply @-mentions asks, so their own description is never the
    answer, the helper's fix is."""
    chat = [
        documents.message("5703", "Ben", "@Ana which version of the app are you on?", documents._at(0),
                          reply_to="5601", mentions=("Ana",)),  # 5601: in May's export
        documents.message("5704", "Ana", "version 3.2, it says the license key is already activated on another "
                          "machine", documents._at(2), reply_to="5703"),
        documents.message("5705", "Ben", "3.2 has a bug with activations, update to 3.3 and sign in again",
                          documents._at(4), reply_to="5704"),
        documents.message("5706", "Ana", "updated to 3.3 and signed in, it activated fine", documents._at(10),
                          reply_to="5705"),
    ]
    corpus, doc = _help_export(tmp_path, chat)
    assert [(p.author, p.role) for p in doc.paragraphs][1:] == [("Ana", ASKS), ("Ben", ANSWERS), ("Ana", ASKS)]
    first = bot_for(corpus).ask("The license key says it is already activated on another machine", k=1).excerpts[0]
    assert first.citation.author == "Ben" and first.citation.link.endswith("/5705"), first.highlight


def test_a_thread_a_ticket_bot_opened_is_asked_by_the_member_not_the_bot(tmp_path: Path, bot_for) -> None:
    """A ticket bot opens a private thread with a welcome that @-mentions a member who has not spoken yet. The bot is
    no asker: the member's problem asks and the helper answers, so the member's own words are never the answer."""
    ticket = {**THREAD, "type": "GuildPrivateThread", "category": "support", "name": "ticket-0042"}
    welcome = _bot(documents.message(ticket["id"], "Tickets", "Welcome @Ana! Please describe your issue and a staff "
                                     "member will be with you shortly.", documents._at(0), mentions=("Ana",)))
    welcome["author"]["discriminator"] = "7512"  # a bot user's, not a webhook's
    chat = [welcome,
            documents.message("381889648827301960", "Ana", "my license key says it is already activated on another "
                              "machine, but I only have one computer", documents._at(1)),
            documents.message("381889648827301970", "Ben", "I've reset the activations on your key, sign out of the "
                              "app and sign in again and it will activate on this machine", documents._at(6)),
            documents.message("381889648827301980", "Ana", "signed out and back in, the license key activated fine "
                              "now, thank you", documents._at(9))]
    corpus, doc = _help_export(tmp_path, chat, channel=ticket)
    assert [p.role for p in doc.paragraphs] == ["bot", ASKS, ANSWERS, ASKS]
    first = bot_for(corpus).ask("My license key says it is already activated on another machine, how do I fix it?",
                                k=1).excerpts[0]
    assert first.citation.author == "Ben" and first.citation.link.endswith("/381889648827301970"), first.highlight


# -- answers -------------------------------------------------------------------------------


def _without(bot, **knobs) -> Retriever:
    """A retriever on ``bot``'s index with some of the ranking's knobs changed (``answer_weight=0.0``: without it)."""
    return Retriever(bot.index, bot.embedder, dataclasses.replace(RetrievalConfig.from_settings(bot.settings), **knobs))


def _dome_chat(tmp_path: Path, bot_for, messages: list[dict]):
    """A bot on one export of ``messages``."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    documents.write_export(corpus / "dome.json", messages)
    return bot_for(corpus)


def _at(minute: int) -> str:
    return f"2024-06-03T{10 + minute // 60:02d}:{minute % 60:02d}:00+00:00"


@pytest.fixture
def maker(tmp_path: Path, bot_for):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    documents.write_export(corpus / "printing.json", documents.MAKER_CHAT)
    return bot_for(corpus)


def _message_of(excerpt) -> dict:
    return next(m for m in documents.MAKER_CHAT if excerpt.citation.link.endswith("/" + m["id"]))


def test_the_answering_message_is_highlighted_and_linked_not_the_question(maker) -> None:
    answer = maker.ask("How do I stop PETG prints lifting at the corners?", k=3)
    first = answer.excerpts[0]
    theo = _message_of(first)
    assert theo["id"] == "3006" and first.highlight == f"Theo: {theo['content']}"
    assert (first.citation.author, first.citation.date) == ("Theo", theo["timestamp"])
    assert first.citation.link == f"https://discord.com/channels/81384788765712384/381889648827301889/{theo['id']}"
    doc = maker.index.passages([first.passage_id])[first.passage_id].doc
    assert maker.index.text(doc, first.citation.start, first.citation.end) == first.text  # verbatim
    assert "stringing" not in first.text and "laser" not in first.text  # the window stays in its exchange


def test_a_reply_found_by_addressing_is_the_answer(maker) -> None:
    first = maker.ask("Which slicer setting removes stringing between towers?", k=1).excerpts[0]
    assert _message_of(first)["id"] == "3003" and first.citation.author == "Ravi"


def test_a_chat_question_that_prose_calibration_abstains_on_is_answered(maker) -> None:
    question = "The model curls up while printing"  # in none of the exchange's words
    answer = maker.ask(question, k=1)
    assert answer.answered and _message_of(answer.excerpts[0])["id"] == "3006"
    assert not _without(maker, chat_confidence=0.0).ask(question, k=1).answered


def test_a_question_naming_what_the_chat_never_mentions_is_not_answered(maker) -> None:
    question = "How do I dry PETG filament before printing?"  # PETG is talked about; drying filament never
    assert not maker.ask(question, k=1).answered
    # Without the names' penalties (a name no passage holds is missing from every exchange too), the bed advice
    # looked good enough.
    assert _without(maker, unknown_penalty=0.0, missing_penalty=0.0).ask(question, k=1).answered
    assert maker.ask("The model curls up while printing", k=1).answered  # ordinary words it lacks do not count


@pytest.mark.parametrize("typed", ["How do I stop PETG prints lifitng at the corners?",
                                   "My PETG pritns keep lifting at the corners, what shuold I do?"])
def test_a_question_typed_in_a_hurry_is_answered_as_if_spelt_right(maker, typed: str) -> None:
    """Chat questions come with typos. A word of the question no passage holds that is no ordinary word counts as
    a name the chat never mentions ("WireGuard"), so "lifitng" made the answer "not found": on chat-dev, one letter
    dropped from one word of each answered question did so for 10 of 36. An ordinary word the corpus holds, mistyped
    once inside it, is that word; the first and last letters must stand, as names are made of words at their ends
    ("systemd"), and a name one letter from a word the corpus does not hold ("vulkan") stays a name."""
    from qabot.index.lexical import tokenize
    from qabot.search import lexicon

    answer = maker.ask(typed, k=1)
    assert answer.answered and _message_of(answer.excerpts[0])["id"] == "3006"
    assert all(map(lexicon.corrections, ["lifitng", "liftng", "croners", "shuold", "pritns", "vulkan"]))
    assert not any(map(lexicon.corrections, ["systemd", "gparted", "wireguard", "petg", "kubuntu"]))
    retriever, query = _without(maker), "Do PETG pritns lift less with vulkan or with a brim?"
    assert retriever.mistyped(query, retriever.engine.idf(list(dict.fromkeys(tokenize(query))))) == {"pritns"}


def test_a_name_the_matched_exchange_never_mentions_lowers_its_confidence(maker) -> None:
    named = "How do I stop PETG prints lifting at the corners of the FEP sheet?"  # FEP: only in Lena's remark
    answer, without = maker.ask(named, k=1), _without(maker, missing_penalty=0.0).ask(named, k=1)
    assert _message_of(answer.excerpts[0])["id"] == _message_of(without.excerpts[0])["id"] == "3006"
    assert answer.confidence < without.confidence - 0.01
    held = "How do I stop PETG prints lifting at the corners?"  # every name it uses is in the exchange
    assert maker.ask(held, k=1).confidence == _without(maker, missing_penalty=0.0).ask(held, k=1).confidence


@pytest.mark.parametrize("question", ["How do I stop PETG prints lifting at the corners on the Y axis?",
                                      "How do I stop PETG prints lifting at the corners? Is there a plan B?"])
def test_a_single_letter_is_no_name_the_chat_never_mentions(maker, question: str) -> None:
    """A letter alone (an axis, "plan B", the "n" of "O(n)", French's "l'" and "n'") is no name of something the chat
    never mentions: it cost the answer a third of its confidence, as "WireGuard" would."""
    answer = maker.ask(question, k=1)
    assert _message_of(answer.excerpts[0])["id"] == "3006"
    assert answer.confidence == _without(maker, unknown_penalty=0.0).ask(question, k=1).confidence
    assert not {"b", "l", "n", "o", "y"} & named_terms("Is lookup O(n) on the Y axis, plan B, l'index ou n'importe?")


def test_named_terms_are_the_words_that_name_things() -> None:
    named = named_terms("How do I build a RAID 5 array from three disks with mdadm on 18.04?")
    assert {"mdadm", "18.04"} <= named and not {"build", "array", "disk", "three"} & named


def test_an_exchange_with_a_real_answer_ranks_above_one_that_only_asked_the_same(tmp_path: Path, bot_for) -> None:
    bot = _dome_chat(tmp_path, bot_for, [
        documents.message("4001", "Ana", "How do I reset the dome controller after a power cut?", _at(0)),
        documents.message("4002", "Ben", "no idea sorry, never touched it", _at(1), reply_to="4001"),
        documents.message("4003", "Cleo", "The dome controller hangs after every power cut and will not reset. "
                          "Any ideas?", _at(120)),
        documents.message("4004", "Dan", "Hold the red button for ten seconds, then run `dome-reset --hard` on the "
                          "console.", _at(121), reply_to="4003"),
    ])
    question = "How do I reset the dome controller after a power cut?"  # Ana's words, but Dan answered Cleo
    assert bot.ask(question, k=2).excerpts[0].citation.author == "Dan"
    assert _without(bot, answer_weight=0.0).ask(question, k=2).excerpts[0].citation.author == "Ben"  # words alone


def test_a_problem_told_inside_someone_elses_exchange_is_not_its_own_answer(tmp_path: Path, bot_for) -> None:
    bot = _dome_chat(tmp_path, bot_for, [
        documents.message("5001", "Ana", "How do I change the focuser speed on the dome computer?", _at(0)),
        documents.message("5002", "Hugo", "Ana: open the focuser panel and drag the speed slider", _at(1)),
        documents.message("5003", "Ana", "thanks, found it", _at(2)),
        # Hugo speaks to both: Ben's problem joins Ana's exchange, where his messages have no role.
        documents.message("5004", "Hugo", "Ana Ben - one topic at a time please, Ben go ahead", _at(3)),
        documents.message("5005", "Ben", "Hugo: we can't get the guiding laptop to boot since last night's update",
                          _at(4)),
        documents.message("5006", "Hugo", "Ben: hold shift while it starts and pick the previous kernel in the menu",
                          _at(5)),
        documents.message("5007", "Ben", "Hugo: that did it, thanks", _at(7)),
    ])
    first = bot.ask("The guiding laptop will not boot after an update, what can we do?", k=1).excerpts[0]
    assert first.citation.author == "Hugo" and "previous kernel" in first.highlight


def test_a_message_that_only_names_someone_is_no_answer(tmp_path: Path, bot_for) -> None:
    bot = _dome_chat(tmp_path, bot_for, [
        documents.message("6001", "Ana", "how do I change my own password on the dome computer?", _at(0)),
        documents.message("6002", "Hugo", "Ana", _at(1)),  # getting her attention first
        documents.message("6003", "Hugo", "passwd", _at(1)),
        documents.message("6004", "Ana", "Hugo: thanks, that worked", _at(3)),
    ])
    first = bot.ask("Which command sets a new password for my account?", k=1).excerpts[0]
    assert first.citation.author == "Hugo" and first.highlight.endswith("passwd")


def test_ordinary_words_are_told_from_names() -> None:
    from qabot.search.lexicon import is_ordinary

    assert all(map(is_ordinary, ["vanish", "vanishes", "roughly", "law", "printing"]))
    # Words made of ordinary ones, and British spellings: not names of things a corpus never mentions.
    assert all(map(is_ordinary, ["uninstall", "reinstalling", "unloading", "subfolders", "painless", "analyse"]))
    assert not any(map(is_ordinary, ["wireguard", "cryptsetup", "zram", "8080", "flatpak", "unetbootin", "rwxrwxr"]))


def test_a_question_nobody_answered_is_not_an_answer(maker) -> None:
    answer = maker.ask("Where are the spare brass nozzles kept?", k=3)
    assert not answer.answered
    assert maker.ask("What is the best pizza topping?", k=1).answered is False


def test_message_at_1_counts_the_top_citation_linking_the_answer_message(tmp_path: Path, fake_bot_for) -> None:
    from qabot.eval import evaluate_items
    from qabot.eval.datasets import EvalItem

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    documents.write_export(corpus / "printing.json", documents.MAKER_CHAT)
    bot = fake_bot_for(corpus, answer_threshold=0.0)
    items = [
        EvalItem(id="a", question="retraction setting for strings between two towers", answers=["6 mm"],
                 answer_message_id="3003"),
        EvalItem(id="b", question="retraction setting for strings between two towers", answers=["6 mm"],
                 answer_message_id="3005"),  # Jonas's "trying it now": not what the citation links
    ]
    report = evaluate_items(bot, items, name="maker")
    assert [r.message_hit for r in report.items] == [True, False] and report.message_at_1 == 0.5
    assert json.loads(report.model_dump_json())["message_at_1"] == 0.5


def _bot(record: dict) -> dict:
    return {**record, "author": {**record["author"], "isBot": True}}


def test_a_bots_factoid_is_quoted_but_the_helper_who_called_it_up_is_the_answer(tmp_path: Path, bot_for) -> None:
    """A bot that expands a helper's command says more of the question's words than the helper did; the answer is
    still the helper's message (a live history never keeps bots' messages at all)."""
    chat = [
        documents.message("4001", "Lena", "My laptop's wifi drops every few minutes since the kernel update. Is that "
                          "a known bug?", documents._at(0, 5)),
        documents.message("4002", "Omar", "@Lena yes: bug 2051234", documents._at(1, 0), reply_to="4001",
                          mentions=("Lena",)),
        _bot(documents.message("4003", "helperbot", "bug 2051234 in linux: \"iwlwifi: wifi drops every few minutes "
                               "after the kernel update\" [High, Confirmed]", documents._at(1, 2), reply_to="4002")),
        documents.message("4004", "Lena", "thanks Omar", documents._at(2, 0), reply_to="4002"),
    ]
    corpus, doc = _help_export(tmp_path, chat)
    assert [p.role for p in doc.paragraphs] == [ASKS, THANKED, "bot", ASKS]  # Lena's thanks replies to 4002
    first = bot_for(corpus).ask("Is wifi dropping every few minutes after a kernel update a known bug?", k=1).excerpts[0]
    assert first.citation.link.endswith("/4002") and first.citation.author == "Omar"
    assert first.highlight == "Omar: @Lena yes: bug 2051234"


def test_a_bots_message_is_never_the_answer_even_where_no_one_else_speaks(tmp_path: Path, bot_for) -> None:
    """A support bot's auto-reply to a forum post nobody answered, and a bot's feed (a GitHub webhook's embed) or a
    level-up in a channel, are no answers: a bot's message is quoted in its exchange, never highlighted or cited,
    so where nobody but a bot spoke the question is one nobody answered."""
    post = [
        documents.message(FORUM_POST["id"], "briar", "why are my tailwind classes not applied in the production "
                          "build? fine in dev", "2024-06-06T10:00:00+00:00"),
        _bot(documents.message("381889648827309501", "Helpdesk", "Thanks for posting in #help-forum! While you wait: "
                               "make sure your content paths in tailwind.config.js cover every file that uses classes, "
                               "and include your config.", "2024-06-06T10:00:05+00:00")),
    ]
    feed = _bot(documents.message("7201", "GitHub", "", _at(0)))
    feed["embeds"] = [{"title": "[acme/web] New release v2.4.0", "url": "https://github.com/acme/web/releases/tag/v2.4.0",
                       "description": "Adds dark mode, drops support for Node 16."}]
    level = _bot(documents.message("7301", "MEE6", "GG @fennel, you just advanced to level 7!", _at(10),
                                   mentions=("fennel",)))
    # (Their closest passages may still be shown as such, a bot's text among them: only an answer is highlighted.)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    documents.write_export(corpus / "post.json", post, channel=FORUM_POST)
    documents.write_export(corpus / "general.json", [feed, level])
    bot = bot_for(corpus)
    for question in ["Tailwind styles missing in the production build", "What changed in the latest acme web release?",
                     "What level is fennel?"]:
        assert not bot.ask(question, k=3).answered, question


def test_an_exchange_of_nothing_but_a_bots_messages_is_not_shown_where_members_said_something(tmp_path: Path,
                                                                                          bot_for) -> None:
    """A bot's feed (a release webhook, qabot's own answers in an export) is an exchange of nobody: where members'
    exchanges are found, the feed is not among the passages shown (it was, citing the bot); where nothing else is,
    it still is."""
    feed = [_bot(documents.message("7501", "GitHub", "acme web v2.4.0 released: dark mode, Node 16 is no longer "
                                   "supported, use Node 18 or newer", _at(0))),
            _bot(documents.message("7502", "GitHub", "acme web v2.4.1 released: fixes the Node 18 build on Windows",
                                   _at(1)))]
    members = [
        documents.message("7511", "Ana", "does acme web still support node 16? my build fails on it", _at(300)),
        documents.message("7512", "Ben", "no, it needs node 18 now, upgrade and rebuild", _at(302)),
        documents.message("7513", "Cleo", "is the office open on saturday?", _at(400)),
        documents.message("7514", "Dan", "yes from 10 to 4", _at(402)),
    ]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    documents.write_export(corpus / "releases.json", feed)
    documents.write_export(corpus / "help.json", members)
    answer = bot_for(corpus).ask("Does acme web support Node 16?", k=3)
    assert answer.excerpts and not [e.highlight for e in answer.excerpts if e.citation.author == "GitHub"]
    (corpus / "help.json").unlink()
    answer = bot_for(corpus).ask("Does acme web support Node 16?", k=3)
    assert answer.excerpts and not answer.answered


def test_a_log_pasted_in_a_question_is_not_shown_beside_its_answer(tmp_path: Path, bot_for) -> None:
    """A question of 30 lines of log and a "why?" is some 30 passages: those deep in the log did not reach the answer
    after it, and were shown as a question nobody answered, the log highlighted and cited to its asker, beside the
    answer that exchange has. The answer is shown, the log is not."""
    log = "\n".join(f"Jun 03 10:0{i % 10}:1{i % 6} web1 nginx[812]: [error] 812#812: *{i} connect() failed (111: "
                    f"Connection refused) while connecting to upstream, client: 10.0.0.{i}, server: api.example.com, "
                    f"request: \"GET /v1/items HTTP/1.1\", upstream: \"http://127.0.0.1:8000/v1/items\""
                    for i in range(30))
    chat = [
        documents.message("6001", "kestrel", f"```\n{log}\n```\nwhy?", documents._at(0)),
        documents.message("6002", "Juniper", "your gunicorn is not running on port 8000, start it with systemctl "
                          "start gunicorn and check journalctl -u gunicorn for why it died", documents._at(2),
                          reply_to="6001"),
        documents.message("6003", "kestrel", "that was it, ty", documents._at(5)),
        documents.message("6011", "mossy", "how do I renew the letsencrypt cert on nginx?", documents._at(180)),
        documents.message("6012", "briar", "certbot renew --nginx, it reloads nginx for you", documents._at(182)),
    ]
    answer = _dome_chat(tmp_path, bot_for, chat).ask("nginx connect() failed (111: Connection refused) while "
                                                     "connecting to upstream", k=3)
    assert answer.answered and answer.excerpts[0].citation.link.endswith("/6002")
    assert not [e.highlight for e in answer.excerpts if e.citation.link.endswith("/6001")]


@pytest.mark.parametrize("channel", [FORUM_POST, None])
def test_a_question_only_a_bot_replied_to_is_shown_as_asked_not_as_the_bots_auto_reply(tmp_path: Path, bot_for,
                                                                                       channel: dict | None) -> None:
    """A question only a support bot replied to, shown as the closest passage, highlights and cites the question, not
    the bot's "Please read #rules" (a bot's message is never the highlight, ``chat.BOT``): the auto-reply was
    highlighted and cited as if the bot had said something of the question's own."""
    chat = [
        documents.message(FORUM_POST["id"] if channel else "7401", "briar", "why are my tailwind classes not applied in "
                          "the production build?", "2024-06-06T10:00:00+00:00"),
        _bot(documents.message("381889648827309501", "Helpdesk", "Thanks for posting! While you wait: make sure "
                               "the content paths in tailwind.config.js cover every file that uses classes.",
                               "2024-06-06T10:00:05+00:00", reply_to=None if channel else "7401")),
    ]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    documents.write_export(corpus / "post.json", chat, channel=channel)
    answer = bot_for(corpus).ask("Tailwind styles missing in the production build", k=1)
    assert not answer.answered
    first = answer.excerpts[0]
    assert first.citation.author == "briar" and first.highlight.startswith("briar: why are my tailwind"), first.highlight


def test_a_bots_notice_does_not_join_the_exchange_it_mentions_someone_of(tmp_path: Path, bot_for) -> None:
    """A level-up that @-mentions someone in the middle of their help exchange is not part of it, so a question about
    someone's level finds no answer in that exchange (a bot's message is never one)."""
    chat = [
        _bot(documents.message("8001", "MEE6", "GG @fennel, you just advanced to level 7!", _at(0),
                               mentions=("fennel",))),
        documents.message("8101", "mossy", "how do I stop my sourdough starter smelling of nail polish remover?",
                          _at(90)),
        documents.message("8102", "juniper", "@mossy that smell means it is hungry, feed it twice a day for a few days",
                          _at(91), mentions=("mossy",)),
        _bot(documents.message("8103", "MEE6", "GG @mossy, you just advanced to level 3!", _at(91),
                               mentions=("mossy",))),
        documents.message("8104", "mossy", "@juniper thanks, will do", _at(92), mentions=("juniper",)),
    ]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    documents.write_export(corpus / "general.json", chat)
    docs = _read(corpus / "general.json")
    assert [[p.url.rsplit("/", 1)[1] for p in d.paragraphs] for d in docs] == [
        ["8001"], ["8101", "8102", "8104"], ["8103"]]
    bot = bot_for(corpus)
    assert not bot.ask("What level is fennel?", k=3).answered
    assert bot.ask("Why does my sourdough starter smell of nail polish?", k=1).excerpts[0].citation.author == "juniper"


def test_a_me_too_is_no_answer(tmp_path: Path, bot_for) -> None:
    """"+1 having this too", "same" and "this" say that someone else has the problem (or agrees), not what to do: a
    question only they followed is one nobody answered, and where a helper answered, the helper's message is the
    answer and a "+1" after it is not a second one."""
    bot = _dome_chat(tmp_path, bot_for, [
        documents.message("7101", "fennel", "how do i stop vscode from reformatting my yaml files on save?", _at(0)),
        documents.message("7102", "rue", "+1 having this too", _at(1), reply_to="7101"),
        documents.message("7103", "yarrow", "same", _at(2), reply_to="7101"),
        documents.message("7201", "pip", "my npm install fails with this", _at(60), attachments=("image.png",)),
        documents.message("7202", "rook", "delete node_modules and package-lock.json, then run `npm cache clean "
                          "--force` and install again", _at(62), reply_to="7201"),
        documents.message("7203", "Ollie", "this", _at(63), reply_to="7202"),
        documents.message("7204", "Wren", "+1", _at(64), reply_to="7201"),
    ])
    assert not bot.ask("How to prevent VS Code auto formatting YAML when saving?", k=1).answered
    answer = bot.ask("npm install keeps failing, how do I fix it?", k=3)
    assert answer.answered and answer.excerpts[0].citation.link.endswith("/7202")
    npm = [e for e in answer.excerpts if e.citation.doc_id == answer.excerpts[0].citation.doc_id]
    assert [e.citation.author for e in npm] == ["rook"], [e.highlight for e in answer.excerpts]


def test_the_answer_the_asker_marked_with_a_check_in_an_export_is_accepted(tmp_path: Path, bot_for) -> None:
    """An export's reactions name who reacted (DiscordChatExporter 2.40 and later): the answer its asker marked ✅ is
    the accepted one, as in a live channel, and the highlight, over one that says more of the question's words; a
    ✅ from someone else marks nothing."""
    chat = [
        documents.message("7001", "nimbus", "how do i get my bot to see message text? message.content is always empty",
                          _at(0)),
        documents.message("7002", "quill", "message.content is empty when the bot has no permission to read messages "
                          "in that channel, check the channel permissions for message content", _at(1),
                          reply_to="7001", checked_by=("sorrel",)),
        documents.message("7003", "sorrel", "turn on the Message Content intent in the developer portal and set "
                          "`intents.message_content = True`", _at(2), reply_to="7001", checked_by=("nimbus", "quill")),
        documents.message("7004", "nimbus", "got it", _at(4)),
    ]
    corpus, doc = _help_export(tmp_path, chat)
    assert [p.role for p in doc.paragraphs] == [ASKS, ANSWERS, ACCEPTED, ASKS]
    first = bot_for(corpus).ask("Why is message.content empty for my discord bot?", k=1).excerpts[0]
    assert first.citation.link.endswith("/7003"), first.highlight


@pytest.mark.xfail(strict=True, reason="the untangler links a message when it comes, and a live channel's ✅ comes "
                   "later (a reaction event): pulling the marked answer into its asker's exchange would mean linking "
                   "it again, live as from an export, so that both lay out the same")
def test_an_answer_its_asker_marked_joins_the_askers_exchange_wherever_the_untangler_put_it(tmp_path: Path) -> None:
    """A helper new to the channel answers with their first words (see the xfail above): the untangler starts an
    exchange with it. The asker's ✅ on it says it answers their question: it belongs in the asker's exchange, as
    its accepted answer."""
    chat = [
        documents.message("7101", "Lia", "how do I rotate the api keys for the staging cluster without downtime?",
                          _at(0)),
        documents.message("7102", "Omar", "create the new key first, deploy it alongside the old one, then revoke the "
                          "old key once traffic moved", _at(2), checked_by=("Lia",)),
    ]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    documents.write_export(corpus / "help.json", chat)
    [doc] = _read(corpus / "help.json")
    assert [p.role for p in doc.paragraphs] == [ASKS, ACCEPTED]


def test_advice_is_the_answer_over_a_remark_on_the_question(tmp_path: Path, bot_for) -> None:
    """Support answers tell the asker what to do: "you can ..." wins over a remark on the question."""
    chat = [
        documents.message("5001", "Kim", "How do I stop the printer fan being so loud at night?", documents._at(0, 5)),
        documents.message("5002", "Alex", "@Kim that fan spins at full speed whenever the hotend is hot, it is "
                          "meant to", documents._at(1, 0), reply_to="5001", mentions=("Kim",)),
        documents.message("5003", "Alex", "@Kim you can slow it down in the firmware: send M106 S80 before a night "
                          "print", documents._at(1, 40), reply_to="5001", mentions=("Kim",)),
    ]
    first = _first_excerpt(tmp_path, bot_for, chat, "How can I make the printer fan quieter at night?")
    assert first.citation.link.endswith("/5003")


def test_a_suggestion_put_as_a_question_is_the_answer_not_a_question_back(tmp_path: Path, bot_for) -> None:
    """"have you tried ...?" suggests, as support answers often do: it is no question back, and it wins over a remark
    on the question that came first."""
    chat = [
        documents.message("5101", "Terry", "Which software should I use for a caching web proxy on my server?",
                          documents._at(0, 5)),
        documents.message("5102", "Gus", "@Terry good plan, that saves a lot of traffic on a slow line",
                          documents._at(1, 0), reply_to="5101", mentions=("Terry",)),
        documents.message("5103", "Gus", "@Terry have you tried squid? it is easy to set up",
                          documents._at(1, 40), reply_to="5101", mentions=("Terry",)),
    ]
    first = _first_excerpt(tmp_path, bot_for, chat, "What software should I run as a caching web proxy?")
    assert first.citation.link.endswith("/5103")


def test_a_helper_who_says_they_are_not_sure_is_not_the_answer_over_one_who_says_what_to_do(tmp_path: Path,
                                                                                          bot_for) -> None:
    """"not sure if you can ..., but" is a guess beside the answer, even where it also names a command."""
    chat = [
        documents.message("5401", "Bibi", "files I create in the shared folder get my own group, not the folder's. how "
                          "do I make them take the folder's group?", documents._at(0, 5)),
        documents.message("5402", "Mira", "@Bibi not sure if you can set gid/uid with umask, but you just need to "
                          "chmod u-s or chmod g-s on it", documents._at(1, 0), reply_to="5401", mentions=("Bibi",)),
        documents.message("5403", "Mira", "@Bibi the folder needs its setgid bit, then files created in it get the "
                          "folder's group", documents._at(1, 40), reply_to="5401", mentions=("Bibi",)),
    ]
    first = _first_excerpt(tmp_path, bot_for, chat, "How can new files in a shared folder take the folder's group?")
    assert first.citation.link.endswith("/5403"), first.highlight


def _finds(pattern: re.Pattern[str], found: list[str], not_found: list[str]) -> None:
    """``pattern`` is found in each text of ``found`` and in none of ``not_found``."""
    assert [text for text in found if not pattern.search(text)] == []
    assert [text for text in not_found if pattern.search(text)] == []


def test_suggestions_put_as_questions_are_advice_and_a_question_back_is_not() -> None:
    from qabot.search.exchange import _SUGGESTS

    _finds(_SUGGESTS, ["have you tried squid?", 'did you run "sudo exportfs -a" after configuring it?',
                       "you mean like SQLiteManager ?", "what about gparted?"],
           ["what do you mean?", "which card do you have?", "did you install both at the same time?"])


def test_advice_is_no_answer_to_which_thing_or_where(tmp_path: Path, bot_for) -> None:
    """"Which package ...?" asks for a thing: the message that names it answers, and one that says what to do (a
    command to check something) counts for no more for being advice, as it does for a "how do I ...?"."""
    chat = [
        documents.message("5171", "Dee", "after the update my network tray icon is gone and there is no nm-applet "
                          "package for kde, which package is it in?", documents._at(0, 5)),
        documents.message("5172", "Gus", "@Dee check if the network manager is running first: ps -A | grep "
                          "NetworkManager, or try sudo service network-manager restart", documents._at(1, 0),
                          reply_to="5171", mentions=("Dee",)),
        documents.message("5173", "Gus", "@Dee on kde the applet is in plasma-nm", documents._at(1, 40),
                          reply_to="5171", mentions=("Dee",)),
    ]
    first = _first_excerpt(tmp_path, bot_for, chat, "Which package has the network tray applet on KDE?")
    assert first.citation.link.endswith("/5173"), first.highlight


def test_a_question_for_a_thing_is_told_from_one_for_what_to_do() -> None:
    from qabot.search.exchange import _ASKS_WHICH

    _finds(_ASKS_WHICH, ["Which package is it actually in?", "My tray icon is gone. Where do I get it back?",
                         "When does the next LTS come out?", "Is this a known bug, and where is it reported?",
                         "where are crash reports kept when apport pops up", "which X11 file do monitor sections go in"],
           ["How do I get my tray icon back?", "What should I do?", "When I boot, how do I get to GRUB?",
            "Which package is it in, and how do I install it? Any idea."])


def test_a_number_alone_is_nothing_specific_unless_a_quantity_is_asked(tmp_path: Path, bot_for) -> None:
    """"for the last 20 years" names no command, path or version: a remark with a number in it does not win over the
    answer for it (chat-blind b14); to "how much ...?" a number alone is what is asked for."""
    chat = [
        documents.message("5181", "Ada", "is there a program with a GUI to rearrange the tables of an sqlite "
                          "database?", documents._at(0, 5)),
        documents.message("5182", "Gus", "@Ada you mean like SQLiteManager ?", documents._at(1, 0), reply_to="5181",
                          mentions=("Ada",)),
        documents.message("5183", "Gus", "@Ada I have been using the same text editor for the last 20 years",
                          documents._at(1, 40), reply_to="5181", mentions=("Ada",)),
    ]
    first = _first_excerpt(tmp_path, bot_for, chat, "Which program gives me a GUI for rearranging the tables of "
                           "an SQLite database?")
    assert first.citation.link.endswith("/5182"), first.highlight


def test_a_number_alone_is_specific_where_the_question_asks_how_much(tmp_path: Path, bot_for) -> None:
    """To "how much ...?" the message with the number ("about 8 GB") answers, over a remark on the question."""
    from qabot.search.exchange import _COUNT

    chat = [
        documents.message("5191", "Ada", "how much memory does the firmware build need? mine gets killed halfway",
                          documents._at(0, 5)),
        documents.message("5192", "Gus", "@Ada that happens with big builds", documents._at(1, 0), reply_to="5191",
                          mentions=("Ada",)),
        documents.message("5193", "Gus", "@Ada about 8 GB", documents._at(1, 40), reply_to="5191", mentions=("Ada",)),
    ]
    first = _first_excerpt(tmp_path, bot_for, chat, "How much memory does building the firmware need?")
    assert first.citation.link.endswith("/5193"), first.highlight
    assert _COUNT.fullmatch("20") and _COUNT.fullmatch("(2)") and not _COUNT.fullmatch("8080")
    assert not _COUNT.fullmatch("14.04") and not _COUNT.fullmatch("it87") and not _COUNT.fullmatch("2GB")


def test_a_command_line_alone_is_advice(tmp_path: Path, bot_for) -> None:
    """"grep -R word /path/to/folder" tells the asker what to run as much as "you can ..." does: it is no less the
    answer for not saying "try"."""
    chat = [
        documents.message("5151", "Vic", "how do I search for a word inside all the files of a folder, subfolders too?",
                          documents._at(0, 5)),
        documents.message("5152", "Gus", "@Vic you can invert a grep with: grep -v word file",
                          documents._at(1, 0), reply_to="5151", mentions=("Vic",)),
        documents.message("5153", "Gus", "@Vic grep -R word /path/to/folder searches all the files in the folder and "
                          "below", documents._at(1, 40), reply_to="5151", mentions=("Vic",)),
    ]
    first = _first_excerpt(tmp_path, bot_for, chat, "How can I search every file in a folder and its subfolders for "
                           "a word?")
    assert first.citation.link.endswith("/5153")


def test_an_opening_word_that_is_no_name_is_kept_as_what_the_message_says() -> None:
    from qabot.search.addressing import said as _said
    from qabot.search.exchange import _SUGGESTS

    # "try: loadkeys de" opens like "ana: loadkeys de": taken for a name, the advice was cut off and the message
    # counted as no advice (where people answer with Discord's replies, not names).
    assert _said("tomreyn: try: loadkeys de", "tomreyn") == "try: loadkeys de"
    assert _SUGGESTS.search(_said("tomreyn: try: loadkeys de", "tomreyn"))
    assert _said("tomreyn: Yes, it is in /etc/modules", "tomreyn") == "Yes, it is in /etc/modules"
    assert _said("tomreyn: ana: loadkeys de", "tomreyn") == _said("tomreyn: @ana loadkeys de", "tomreyn") == "loadkeys de"


def test_a_message_opening_with_a_command_line_advises() -> None:
    from qabot.search.exchange import _commands

    for said in ["grep -R search /path/to/folder", "rm -- -*", "ls ~/.config", "lsof /dev/sdb1", "chmod g+rx"]:
        assert _commands(said), said
    for said in ["on /dev/sda it works", "your ~/.bashrc is fine", "rm is not the problem", "I -- well, no",
                 "ubuntu 14.04 is fine"]:
        assert not _commands(said), said


@pytest.mark.parametrize("thanks", ["thanks, that did it", "vielen Dank, jetzt geht es", "grazie mille!",
                                    "muito obrigada", "hartelijk bedankt", "спасибо, всё работает", "tack, nu funkar det",
                                    "dzięki, działa!", "ありがとうございます、動きました", *(
    pytest.param(shorthand, marks=pytest.mark.xfail(strict=True, reason=(
        "corpus.roles.THANKS lacks chat's shorthand for a thanks; adding it (a layout change: FORMAT_VERSION) makes "
        "chat-extra x34's asker's \"thanx genii-around\" credit the helper's later message, message@1 40 -> 39 of 61")))
    for shorthand in ["tysm!!", "thnx", "thanx a lot", "tnx", "thankyou"]), *(
    pytest.param(worded, marks=pytest.mark.xfail(strict=True, reason=(
        "corpus.roles.THANKS reads a thanks by its words, and \"that did the trick\", \"appreciate it\", \"much "
        "appreciated\" hold none of them (nor \"that did it\", which search/thanks.py's docstring gave as one): "
        "adding them is a layout change (FORMAT_VERSION) and moves how exchanges open (says_thanks)")))
    for worded in ["that did the trick", "appreciate it!", "much appreciated"])])
def test_the_answer_the_askers_thanks_replies_to_is_the_highlight(tmp_path: Path, bot_for, thanks: str) -> None:
    """On Discord a thanks often names nobody: it says whom it is for by replying. The answer it replies to is the
    highlight, over a command that would win without it. A German, Italian, Portuguese, Dutch or Russian thanks was
    no thanks (French, Spanish and German "danke" were); chat's shorthand for one ("tysm", "thnx") still is not, nor a
    thanks in other words ("that did the trick", "appreciate it")."""
    chat = [
        documents.message("5301", "Kim", "how can I get the dome camera to start recording by itself at dusk?",
                          documents._at(0, 5)),
        documents.message("5302", "Lou", "the dome camera can start recording at dusk with its own schedule, look in "
                          "its settings", documents._at(1, 0), reply_to="5301"),
        documents.message("5303", "Max", "domecam --record-at sunset", documents._at(1, 40), reply_to="5301"),
        documents.message("5304", "Kim", thanks, documents._at(2, 30), reply_to="5302"),
    ]
    first = _first_excerpt(tmp_path, bot_for, chat, "How do I make the dome camera record automatically when it gets "
                           "dark?")
    assert first.citation.link.endswith("/5302")


@pytest.mark.parametrize("other", ["Al", "Dan"])
def test_a_thanks_naming_one_helper_credits_no_other_whose_name_is_inside_its_words(tmp_path: Path, bot_for,
                                                                                    other: str) -> None:
    """Dana's "thanks @Ben, that really solved it" names Ben. It credited Al too ("really"), and Dan (her own name,
    "dana: thanks ...", as the exchange lays it out): a name was looked for anywhere in the thanks, so Al's and
    Dan's remark on the lid switch was the highlight, over the fix she thanked Ben for."""
    chat = [
        documents.message("5311", "Dana", "How do I stop my laptop from waking up by itself inside my bag?",
                          documents._at(0)),
        documents.message("5312", other, "@Dana a laptop waking up in a bag is often the lid switch, check the lid "
                          "close action in the power settings", documents._at(1), mentions=("Dana",)),
        documents.message("5313", "Ben", "@Dana disable wakeup for XHC: echo XHC | sudo tee /proc/acpi/wakeup",
                          documents._at(2), mentions=("Dana",)),
        documents.message("5314", "Dana", "thanks @Ben, that really solved it", documents._at(9), mentions=("Ben",)),
    ]
    first = _first_excerpt(tmp_path, bot_for, chat, "How do I stop my laptop waking up inside my bag?")
    assert first.citation.link.endswith("/5313") and first.citation.author == "Ben"


def test_a_thanks_by_first_name_makes_that_helpers_answer_the_highlight(tmp_path: Path, bot_for) -> None:
    """Dana's "thanks Omar, that really solved it" names the helper shown as "Omar Haddad": people thank each other
    by first name. It credited nobody (the whole display name was looked for), so Al's remark on the lid switch was
    the highlight, over the fix she thanked Omar for."""
    chat = [
        documents.message("5321", "Dana", "How do I stop my laptop from waking up by itself inside my bag?",
                          documents._at(0)),
        documents.message("5322", "Al", "@Dana a laptop waking up in a bag is often the lid switch, check the lid "
                          "close action in the power settings", documents._at(1), mentions=("Dana",)),
        documents.message("5323", "Omar Haddad", "@Dana disable wakeup for XHC: echo XHC | sudo tee /proc/acpi/wakeup",
                          documents._at(2), mentions=("Dana",)),
        documents.message("5324", "Dana", "thanks Omar, that really solved it", documents._at(9)),
    ]
    first = _first_excerpt(tmp_path, bot_for, chat, "How do I stop my laptop waking up inside my bag?")
    assert first.citation.link.endswith("/5323") and first.citation.author == "Omar Haddad"


def test_a_problem_told_as_if_news_is_never_its_own_answer_once_its_teller_thanks(tmp_path: Path, bot_for) -> None:
    """A terse report ("docker compose says port 5432 is already allocated": no "?", no "I", no "fails") opens its
    exchange as news would; its teller's later "thanks!" shows they were helped. The helper's reply is the answer,
    not the report itself."""
    chat = [
        documents.message("5501", "Juniper", "docker compose says port 5432 is already allocated", documents._at(0)),
        documents.message("5502", "kestrel", "another postgres is running, stop it with sudo systemctl stop "
                          "postgresql", documents._at(2), reply_to="5501"),
        documents.message("5503", "Juniper", "thanks!", documents._at(4)),
    ]
    first = _first_excerpt(tmp_path, bot_for, chat, "docker compose says port 5432 is already allocated")
    assert first.citation.author == "kestrel" and first.citation.link.endswith("/5502"), first.highlight

def test_an_answer_from_a_member_who_shares_the_askers_display_name_is_the_answer(tmp_path: Path, bot_for) -> None:
    """Two members may go by the same display name ("Alex"); the export tells them apart by id, and so the answer
    from the other Alex is the answer, not "Not found" for the asker's own name."""
    asker = documents.message("5601", "Alex", "how do I reset the dome controller when it is stuck?", documents._at(0))
    helper = documents.message("5602", "Alex", "hold the red button on the controller for ten seconds until it beeps",
                               documents._at(1), reply_to="5601")
    helper["author"] = {**helper["author"], "id": "222222222222222222", "name": "alexm"}
    thanks = documents.message("5603", "Alex", "that worked, thanks", documents._at(2), reply_to="5602")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    documents.write_export(corpus / "help.json", [asker, helper, thanks])
    answer = bot_for(corpus).ask("How do I reset the dome controller when it is stuck?", k=1)
    assert answer.answered and answer.excerpts[0].citation.link.endswith("/5602"), answer.excerpts[0].highlight


@pytest.mark.parametrize("newest_first", [False, True])
def test_a_deleted_members_reply_to_another_deleted_members_question_answers_it(tmp_path: Path,
                                                                              newest_first: bool) -> None:
    """An old help channel's export: the asker and the helper both deleted their accounts since. Discord shows each as
    "Deleted User", under the one id it gives every deleted account, so nothing says they are one person: the helper's
    reply answers (it was "asks", the asker's own, so the question read as one nobody answered: "Not found"); in an
    export written newest first (``--reverse``) too."""
    def deleted(record: dict) -> dict:
        return {**record, "author": {**record["author"], "id": "456226577798135808", "name": "Deleted User",
                                     "nickname": "Deleted User"}}

    chat = [deleted(documents.message("5801", "x", "How do I make nginx reload its config without dropping "
                                      "connections?", documents._at(0))),
            deleted(documents.message("5802", "y", "Run nginx -s reload: it lets the old workers finish their "
                                      "requests.", documents._at(2), reply_to="5801"))]
    _, doc = _help_export(tmp_path, chat[::-1] if newest_first else chat)
    assert [p.role for p in doc.paragraphs] == [ASKS, ANSWERS]


def test_a_deleted_askers_follow_ups_and_reply_back_still_ask(tmp_path: Path) -> None:
    """Only a reply under the deleted id to a message under it is taken as another person's: the deleted asker's own
    follow-up, and their reply back to the deleted helper's answer, are still the asker's."""
    def deleted(record: dict) -> dict:
        return {**record, "author": {**record["author"], "id": "456226577798135808", "name": "Deleted User",
                                     "nickname": "Deleted User"}}

    chat = [deleted(documents.message("5811", "x", "How do I make nginx reload its config without dropping "
                                      "connections?", documents._at(0))),
            deleted(documents.message("5812", "x", "I am on nginx 1.18 on Debian, if that matters",
                                      documents._at(1))),
            deleted(documents.message("5813", "y", "Run nginx -s reload: it lets the old workers finish their "
                                      "requests.", documents._at(2), reply_to="5811")),
            deleted(documents.message("5814", "x", "does that work with systemd too?", documents._at(3),
                                      reply_to="5813"))]
    _, doc = _help_export(tmp_path, chat)
    assert [p.role for p in doc.paragraphs] == [ASKS, ASKS, ANSWERS, ASKS]


def test_courtesy_after_an_answer_answers_nothing() -> None:
    from qabot.search.exchange import _COURTESY

    for said in ["u r welcome", "you're welcome :)", "np", "No problem!", "good luck"]:
        assert _COURTESY.match(said), said
    for said in ["no", "yes", "np, also try the nomodeset option", "welcome to ubuntu, what do you need?"]:
        assert not _COURTESY.match(said), said


@pytest.mark.parametrize(("helper", "ty"), [*(("Juniper", ty) for ty in ["ty", "tysm", "thanx", "tnx"]), *(
    ("Juniper_K", ty) for ty in ["ty juniper", "thanks juniper!", "ty Juniper_K"])])
def test_someone_elses_thanks_is_never_the_answer(tmp_path: Path, bot_for, helper: str, ty: str) -> None:
    """In a channel without replies or names, a "ty" for another conversation is linked by time into the asker's:
    it thanks someone for something, and answers nothing. The answer is the helper's, not "mossy: ty" (nor "tysm").
    So is another member's "ty juniper" to the helper called "Juniper_K" (by first name, as people do:
    ``roles.called_by``), as "ty Juniper_K" is: it was a possible answer."""
    chat = [
        documents.message("5401", "kestrel", "how do I make my bot reply only in one channel?", documents._at(0)),
        documents.message("5402", "mossy", "anyone know a good VPS for hosting a minecraft server?",
                          documents._at(0, 30)),
        documents.message("5403", helper, "check message.channel.id against your channel's id and return early "
                          "when it differs", documents._at(1)),
        documents.message("5404", "briar", "hetzner is cheap and fine for that, 4gb ram is enough for a few players",
                          documents._at(2)),
        documents.message("5405", "kestrel", "ok so I wrote `if message.channel.id != HELP_ID: return` at the top of "
                          "on_message and it only replies in one channel now", documents._at(3)),
        documents.message("5406", "mossy", ty, documents._at(4)),
    ]
    first = _first_excerpt(tmp_path, bot_for, chat, "How can I make my bot reply in only one channel?")
    assert first.citation.author == helper and first.citation.link.endswith("/5403"), first.highlight


@pytest.mark.parametrize("thanks", ["thanks a lot!", "merci beaucoup !", "muchas gracias!", "vielen Dank!",
                                    "grazie mille", "hartelijk bedankt", "muito obrigada", "спасибо!", "tack så mycket!",
                                    "kiitos paljon", "dziękuję bardzo", "teşekkür ederim", "ありがとうございます", "감사합니다"])
def test_someone_elses_thanks_in_any_language_the_chat_reads_answers_nothing(tmp_path: Path, bot_for,
                                                                           thanks: str) -> None:
    """In a thread nobody answered, another member's "merci beaucoup !" (or "vielen Dank!", "спасибо!": thanks the
    chat's exchanges read, ``roles.THANKS``) answers nothing, as "thanks a lot!" answers nothing: it was highlighted
    as the thread's answer, with a confident "answered"."""
    chat = [
        documents.message(THREAD["id"], "Ana", "How do I reset the dome controller after a power cut?",
                          documents._at(0)),
        documents.message("381889648827301960", "Cleo", thanks, documents._at(5)),
    ]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    documents.write_export(corpus / "thread.json", chat, channel=THREAD)
    answer = bot_for(corpus).ask("how to reset the dome controller after a power cut", k=1)
    assert not answer.answered
    assert answer.excerpts[0].citation.author == "Ana", answer.excerpts[0].highlight


@pytest.mark.parametrize("later", ["ty", "ok got it", "cool, I see", "any ideas", "anyone? please"])
def test_a_question_nobody_answered_is_shown_as_asked_not_as_the_askers_thanks(tmp_path: Path, bot_for,
                                                                              later: str) -> None:
    """A question nobody answered, shown as the closest passage, highlights the question itself: not its asker's
    later "ty" (thanking someone elsewhere), "ok got it" or "any ideas", which say nothing about it."""
    chat = [
        documents.message("5451", "Lia", "how do I rotate the api keys for the staging cluster without downtime?",
                          documents._at(0)),
        documents.message("5452", "Lia", later, documents._at(3)),
    ]
    answer = _dome_chat(tmp_path, bot_for, chat).ask("How do I rotate API keys on staging without downtime?", k=3)
    assert not answer.answered
    first = answer.excerpts[0]
    assert first.highlight == f"Lia: {chat[0]['content']}" and first.citation.link.endswith("/5451"), first.highlight


@pytest.mark.parametrize("courtesy", [[], [("5507", "Omar", "np :)")]])
def test_an_exchange_of_nothing_but_a_thanks_is_never_a_source(tmp_path: Path, bot_for,
                                                               courtesy: list[tuple[str, str, str]]) -> None:
    """A thanks hours after its answer is an exchange of its own (with the helper's "np", if any): it says nothing,
    and an answered reply that shows every exchange it has room for leaves it out."""
    chat = [
        documents.message("5501", "Omar", "morning all, the deploy dashboard is back up", documents._at(0)),
        documents.message("5502", "Lia", "how do I rotate the api keys for the staging cluster without downtime?",
                          documents._at(5)),
        documents.message("5503", "Omar", "@Lia create the new key first, deploy it alongside the old one, then revoke "
                          "the old key once traffic moved", documents._at(7), mentions=("Lia",)),
        documents.message("5504", "Sam", "is the office open on saturday?", documents._at(60)),
        documents.message("5505", "Kim", "yes from 10 to 4", documents._at(62)),
        documents.message("5506", "Lia", "thank you so much!", documents._at(300)),
        *(documents.message(id, who, said, documents._at(301)) for id, who, said in courtesy),
    ]
    answer = _dome_chat(tmp_path, bot_for, chat).ask("How do I rotate API keys on staging without downtime?", k=5)
    assert answer.answered and answer.excerpts[0].citation.link.endswith("/5503")
    assert not [e.highlight for e in answer.excerpts if e.citation.link.endswith(("/5506", "/5507"))]


@pytest.mark.parametrize(("short", "question"), [("LTS", "What does LTS stand for in Ubuntu release names?"),
                                                  ("SRU", "sru in ubuntu release names??")])
def test_the_message_that_spells_out_an_abbreviation_answers_what_it_means(tmp_path: Path, bot_for, short: str,
                                                                           question: str) -> None:
    """"What does LTS mean?": the message whose words spell it out answers, not one that only uses it; typed in
    lower case too, where the word is no ordinary one ("sru", not "lts", a word of the model's vocabulary)."""
    spelled = {"LTS": "long term support, five years of updates", "SRU": "stable release update, a fix for a release"}
    chat = [
        documents.message("5201", "Ines", f"what does {short} mean when people talk about ubuntu releases?",
                          documents._at(0, 5)),
        documents.message("5202", "Omar", f"@Ines ubuntu {short} releases are what most people run on servers",
                          documents._at(1, 0), reply_to="5201", mentions=("Ines",)),
        documents.message("5203", "Omar", f"@Ines {spelled[short]}", documents._at(1, 40),
                          reply_to="5201", mentions=("Ines",)),
    ]
    first = _first_excerpt(tmp_path, bot_for, chat, question)
    assert first.citation.link.endswith("/5203")


def test_advice_in_the_future_tense_is_advice() -> None:
    from qabot.search.exchange import _SUGGESTS

    _finds(_SUGGESTS, ["you'll want to use the kubuntu backports PPA", "you will need to reboot",
                       "you’ll want to keep it", "you can set it to have no password", "you'd want to run it as root",
                       'I think "dpkg -l | grep :i386" should do it', "a reboot might do the trick", "that will work"],
           ["you'll see the logo and then it drops back to the login screen"])


def test_a_helper_asking_back_by_name_is_not_the_asker(tmp_path: Path, bot_for) -> None:
    """The message that matches a question best may be a helper's question back to the asker ("Ana: how much memory
    does your laptop have?"): the one it is put to asked, and the helper's later message is the answer."""
    bot = _dome_chat(tmp_path, bot_for, [
        documents.message("6001", "Ana", "anyone know why the installer crawls?", _at(0)),
        documents.message("6002", "Sam", "Ana: how much memory does your laptop have for Ubuntu?", _at(1)),
        documents.message("6003", "Ana", "Sam: 1 GB", _at(2)),
        documents.message("6004", "Sam", "Ana: that is too little, give it at least 2 GB", _at(3)),
    ])
    answer = bot.ask("How much memory does a laptop need for Ubuntu?", k=1)
    assert answer.answered  # not an exchange where nobody answered the asker (Sam)
    assert answer.excerpts[0].citation.link.endswith("/6004") and answer.excerpts[0].highlight == (
        "Sam: Ana: that is too little, give it at least 2 GB")


def test_a_helper_asking_back_by_a_mention_of_a_name_with_spaces_is_not_the_asker(tmp_path: Path, bot_for) -> None:
    """As above, where the members' display names have spaces and Discord writes the helper's mention of the asker
    as "@Ana Lima": the one it is put to is Ana Lima, not a member called "Ana", so Sam Reed answered."""
    bot = _dome_chat(tmp_path, bot_for, [
        documents.message("6011", "Ana Lima", "anyone know why the installer crawls?", _at(0)),
        documents.message("6012", "Sam Reed", "@Ana Lima how much memory does your laptop have for Ubuntu?", _at(1),
                          mentions=("Ana Lima",)),
        documents.message("6013", "Ana Lima", "@Sam Reed 1 GB", _at(2), mentions=("Sam Reed",)),
        documents.message("6014", "Sam Reed", "@Ana Lima that is too little, give it at least 2 GB", _at(3),
                          mentions=("Ana Lima",)),
    ])
    answer = bot.ask("How much memory does a laptop need for Ubuntu?", k=1)
    assert answer.answered  # not an exchange where nobody answered the asker (Sam Reed)
    assert answer.excerpts[0].citation.link.endswith("/6014"), answer.excerpts[0].highlight


def test_a_message_opening_with_a_name_of_several_words_addresses_that_member() -> None:
    authors = {"Ana Lima", "Sam Reed", "Ana"}
    assert addressing.addressee("Sam Reed: @Ana Lima which card do you have?", "Sam Reed", authors) == "Ana Lima"
    assert addressing.addressee("Sam Reed: ana lima, which card?", "Sam Reed", authors) == "Ana Lima"
    assert addressing.addressee("Sam Reed: @Ana which card?", "Sam Reed", authors) == "Ana"
    assert addressing.said("Sam Reed: @Ana Lima run sudo lshw", "Sam Reed", authors) == "run sudo lshw"
    assert addressing.said("Sam Reed: Ana Lima is right", "Sam Reed", authors) == "Ana Lima is right"


def test_a_helpers_first_step_is_the_answer_not_the_and_then_after_it(tmp_path: Path, bot_for) -> None:
    """A helper who says what to do in two messages ("chmod +x ...", then "and then: ./...") answered with the
    first: the second goes on from it, and alone it would not work."""
    bot = _dome_chat(tmp_path, bot_for, [
        documents.message("7001", "Ana", "I downloaded the slicer installer, slicer-setup.run, and double-clicking "
                          "it only opens it in the text editor", _at(0)),
        documents.message("7002", "Sam", "Ana: in a terminal type chmod +x slicer-setup.run", _at(1)),
        documents.message("7003", "Sam", "Ana: and then launch the installer with ./slicer-setup.run", _at(1)),
        documents.message("7004", "Ana", "Sam: thanks, it installs now", _at(4)),
    ])
    first = bot.ask("How do I launch an installer whose name ends in .run?", k=1).excerpts[0]
    assert first.citation.link.endswith("/7002"), first.highlight


def test_a_typo_put_right_is_not_the_answer(tmp_path: Path, bot_for) -> None:
    """"Nooting/Booting*" puts a typo of the message before right, and says nothing alone: never the highlight,
    even where the only other message asks back."""
    bot = _dome_chat(tmp_path, bot_for, [
        documents.message("8001", "Ana", "how do I make the grub menu wait less before booting?", _at(0)),
        documents.message("8002", "Sam", "Ana: Nooting the installer or the installed system?", _at(1)),
        documents.message("8003", "Sam", "Nooting/Booting*", _at(1)),
        documents.message("8004", "Ana", "Sam: the installed one", _at(4)),
    ])
    first = bot.ask("How do I make grub wait less before booting?", k=1).excerpts[0]
    assert not first.citation.link.endswith("/8003") and "Booting*" not in first.highlight


def test_someone_bringing_their_own_problem_in_reply_is_not_the_answer(tmp_path: Path, bot_for) -> None:
    """A "me too" reply that tells its author's own problem ("I'm trying to share one folder ...") is the
    question of what follows, though a reply makes it an answer to the message it replies to: where people
    address each other by name, the helper's message to its author is the answer, not the problem itself."""
    chat = [
        documents.message("9001", "Pat", "the other user on my desktop gets permission denied in my shared music "
                          "folder, anyone?", _at(0)),
        documents.message("9002", "Ana", "I'm trying to share one folder between two users on the same desktop, I "
                          "made a group and added both but the other user still gets permission denied",
                          _at(1), reply_to="9001"),
        documents.message("9003", "Lee", "Pat: which user owns the folder?", _at(2)),
        documents.message("9004", "Sam", "Ana: set the setgid bit on the folder with chmod g+s so that new files "
                          "take its group", _at(3)),
        documents.message("9005", "Pat", "Lee: I do", _at(4)),
        documents.message("9006", "Ana", "Sam: thanks, that did it", _at(5)),
    ]
    corpus, doc = _help_export(tmp_path, chat)
    assert [p.role for p in doc.paragraphs][:2] == [ASKS, ANSWERS]  # the reply makes Ana's an answer to Pat
    first = bot_for(corpus).ask("How do I share a folder between two users on one desktop?", k=1).excerpts[0]
    assert first.citation.link.endswith("/9004"), first.highlight


def test_a_first_person_answer_by_reply_is_the_answer_where_nobody_addresses_by_name(tmp_path: Path,
                                                                                     bot_for) -> None:
    """On most of Discord an answer is a reply, addressed to no one, and often told in the first person ("I had
    the same problem ..."): it stays the answer."""
    chat = [
        documents.message("9101", "Kim", "my prints keep lifting off the plate halfway through, help?", _at(0)),
        documents.message("9102", "Alex", "I had the same problem with PETG warping, I fixed it by cleaning the bed "
                          "with soap and printing a brim", _at(1), reply_to="9101"),
        documents.message("9103", "Kim", "will try, thanks", _at(2), reply_to="9102"),
    ]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    documents.write_export(corpus / "help.json", chat)
    answer = bot_for(corpus).ask("What fixes PETG warping?", k=1)
    assert answer.answered  # not a question nobody answered
    assert answer.excerpts[0].citation.link.endswith("/9102"), answer.excerpts[0].highlight


@pytest.mark.parametrize(("answer", "question"), [
    ("Lia: bs=4M makes dd read and write the card four megabytes at a time",
     "What does bs=4M do in sudo dd bs=4M if=/dev/sdb | gzip > image.gz?"),
    # and its "i.e." is no first person: it does not make Sam the asker
    ('Lia "dd bs=4M" means copy from /dev/sdb with a block size of 4MB (i.e. copy in 4 MB chunks)',
     "meaning of bs=4M in dd"),
])
def test_the_one_the_others_talk_to_is_the_asker_where_no_role_says(tmp_path: Path, bot_for, answer: str,
                                                                    question: str) -> None:
    """Where nobody's part in an exchange is known, the message that matches best may be the asker's own
    command ("sudo dd bs=4M ..."), or an answer; the others address its author by name, so an answer to them is the
    answer."""
    chat = [
        documents.message("9201", "Tom", "anyone here running kubuntu on a laptop?", _at(0)),
        documents.message("9202", "Sam", "Tom: yes, for years", _at(1)),
        documents.message("9203", "Lia", "Sam: sudo dd bs=4M if=/dev/sdb | gzip > image.gz", _at(2)),
        documents.message("9204", "Sam", answer, _at(3)),
        documents.message("9205", "Max", "Lia, and the > sends what gzip writes to the file image.gz", _at(4)),
        documents.message("9206", "Sam", "Lia, sudo runs it as root", _at(5)),
    ]
    corpus, doc = _help_export(tmp_path, chat)
    assert [p.role for p in doc.paragraphs][2] is None  # Lia's part is not known
    first = bot_for(corpus).ask(question, k=1)
    assert first.excerpts[0].citation.link.endswith("/9204"), first.excerpts[0].highlight


def test_the_one_the_others_talk_to_is_the_asker_whichever_message_matched(tmp_path: Path, bot_for) -> None:
    """Where nobody's part is known and a helper's answer matches best, the asker is still the one the others
    address by name (Lia, twice), so her own command is no answer."""
    chat = [
        documents.message("9500", "Tom", "anyone here running kubuntu on a laptop?", _at(0)),
        documents.message("9501", "Sam", "Tom: yes, for years", _at(1)),
        documents.message("9502", "Lia", "Sam: sudo dd bs=4M if=/dev/sdb of=card.img", _at(2)),
        documents.message("9503", "Sam", "Lia: bs=4M is the block size, dd copies four megabytes at a time", _at(3)),
        documents.message("9504", "Kim", "Lia: and of= names the image file it writes", _at(4)),
    ]
    corpus, doc = _help_export(tmp_path, chat)
    assert [p.role for p in doc.paragraphs][2] is None  # Lia's part is not known
    first = bot_for(corpus).ask("meaning of the bs=4M block size in dd", k=1)
    assert first.excerpts[0].citation.link.endswith("/9503"), first.excerpts[0].highlight


def test_the_one_the_others_reply_to_is_the_asker_where_nobody_names_anyone(tmp_path: Path, bot_for) -> None:
    """As above, on Discord: nobody writes a name, the others reply to Lia's message instead. The index keeps whom
    each message replies to (its number), so Lia is still the asker and her own command no answer."""
    chat = [
        documents.message("9600", "Tom", "anyone here running kubuntu on a laptop?", _at(0)),
        documents.message("9601", "Sam", "yes, for years", _at(1), reply_to="9600"),
        documents.message("9602", "Lia", "sudo dd bs=4M if=/dev/sdb of=card.img", _at(2), reply_to="9601"),
        documents.message("9603", "Sam", "bs=4M is the block size, dd copies four megabytes at a time", _at(3),
                          reply_to="9602"),
        documents.message("9604", "Kim", "and of= names the image file it writes", _at(4), reply_to="9602"),
    ]
    corpus, doc = _help_export(tmp_path, chat)
    assert [p.reply_to for p in doc.paragraphs] == [None, 1, 2, 3, 3]  # by the messages' numbers in the channel
    assert [p.role for p in doc.paragraphs][2] is None  # Lia's part is not known
    first = bot_for(corpus).ask("meaning of the bs=4M block size in dd", k=1)
    assert first.excerpts[0].citation.link.endswith("/9603"), first.excerpts[0].highlight


def _laid_exchange(said: list[tuple[str, str]]) -> tuple[object, list]:
    """An exchange's messages (author, text) as an index lays them out, one paragraph each, and what ``thanked`` and
    ``thanks_for_own`` read of an index: its paragraphs and its text."""
    from qabot.index.engine import ParagraphRow

    text, rows = "", []
    for number, (author, body) in enumerate(said, start=1):
        line = f"{author}: {body}"
        rows.append(ParagraphRow(number, len(text), len(text) + len(line), None, False, False, author=author, group=0))
        text += line + "\n"

    class Engine:
        def paragraphs(self, doc: int) -> list[ParagraphRow]:
            return rows

        def text(self, doc: int, start: int, end: int) -> str:
            return text[start:end]

    return Engine(), rows


def test_a_thanks_credits_the_helpers_message_it_followed_whichever_passage_matched() -> None:
    """"Sam: thanks, that did it" thanks the message of Sam's it came after, not every message Sam wrote before it
    (an early guess included), and it does so from anywhere in the exchange: the whole exchange is read, not only
    the passages around the one that matched."""
    from qabot.search.thanks import thanked

    said = [("Ana", "how do I make new files take the folder's group?"), ("Sam", "Ana: maybe try umask 002"),
            ("Lee", "Ana: which folder is it?"), ("Sam", "Ana: chmod g+s the folder"),
            ("Ana", "Sam: thanks, that did it"), ("Sam", "Ana: glad it worked")]
    engine, rows = _laid_exchange(said)
    kept: dict = {}
    assert thanked(engine, 0, 0, "Ana", kept) == {rows[3].start}  # "chmod g+s", not "maybe try umask 002"
    assert thanked(engine, 0, 0, "Lee") == set()  # Lee thanked nobody
    assert thanked(engine, 0, 0, None) == set()
    assert kept == {(0, "Ana"): {rows[3].start}}  # a question's next read of the exchange reads it from there


@pytest.mark.parametrize("helper", ["Omar Haddad", "omar_h", "Omar.H"])
def test_a_thanks_by_first_name_credits_the_helper_of_that_name(helper: str) -> None:
    """"thanks Omar" thanks the helper whose display name is "Omar Haddad" (or "omar_h"): people call each other
    by their first name, not by the whole display name. A helper of another first name is not credited."""
    from qabot.search.thanks import thanked

    said = [("Ana", "how do I make new files take the folder's group?"), (helper, "Ana: chmod g+s the folder"),
            ("Sam Lee", "Ana: maybe try umask 002"), ("Ana", "thanks Omar, that did it")]
    engine, rows = _laid_exchange(said)
    assert thanked(engine, 0, 0, "Ana") == {rows[1].start}


@pytest.mark.parametrize("helper", ["the_real_joe", "Al Burns", "not a bot"])
def test_a_thanks_credits_no_helper_whose_first_word_is_a_common_word_it_holds(helper: str) -> None:
    """A helper's first word is a name for them only where it is one: "the_real_joe" is not called "the", nor "Al
    Burns" "al", so "thanks, the fix did not work at all" (a thanks word, and no one named) credits neither."""
    from qabot.search.thanks import thanked

    said = [("Ana", "how do I make new files take the folder's group?"), (helper, "Ana: chmod g+s the folder"),
            ("Ana", "thanks, the fix did not work at all, not even once")]
    engine, _ = _laid_exchange(said)
    assert thanked(engine, 0, 0, "Ana") == set()


@pytest.mark.parametrize("asker", ["Ty", "Cheers", "Fixed"])
def test_an_asker_whose_name_is_a_thanks_thanks_nobody_by_writing(asker: str) -> None:
    """An asker called "Ty" (or "Cheers") has their name before every message of theirs as the exchange lays it out:
    "Ty: Sam: that changed nothing" thanks nobody, and their question is not their own answer for it."""
    from qabot.search.addressing import thanks_for_own
    from qabot.search.thanks import thanked

    said = [(asker, "my builds stopped reading the cache since yesterday"), ("Sam", f"{asker}: maybe try umask 002"),
            ("Lee", f"{asker}: chmod g+s the cache folder"), (asker, "Sam: that changed nothing")]
    engine, rows = _laid_exchange(said)
    assert thanked(engine, 0, 0, asker) == set()  # Sam's guess was not thanked
    assert not thanks_for_own(engine, 0, rows[0])


def test_i_e_is_not_its_writer_speaking_of_themselves() -> None:
    """"(i.e. copy in 4 MB chunks)" explains; its "i" is no first person, so it neither asks nor tells of a
    problem of the writer's own."""
    from qabot.corpus.roles import FIRST_PERSON, asks_like

    explains = 'Lia "dd bs=4M" means copy with a block size of 4MB (i.e. copy in 4 MB chunks)'
    assert not asks_like(explains) and not FIRST_PERSON.search(explains)
    assert asks_like("i think my card is broken") and FIRST_PERSON.search("i.e. what i said")


def test_a_question_for_a_yes_or_a_no_is_told_from_one_for_a_thing() -> None:
    from qabot.search.exchange import _YES_NO_ASKED

    _finds(_YES_NO_ASKED, ["May I delete lost+found now?", "is it safe to remove it", "ok to delete it?",
                           "Can I skip 16.10?"],
           ["Is there a Linux counterpart to ScanDisk?", "are there docs for grub2?", "How do I delete it?",
            "which file is it in?"])  # "is there a tool ...?" asks for the tool (chat-blind b13)


def test_a_yes_or_no_answers_a_question_asked_for_one(tmp_path: Path, bot_for) -> None:
    """"May I delete lost+found?" is answered by the message that says no, not by the helper's command before it,
    specific and advice as it is."""
    chat = [
        documents.message("9401", "Uma", "fsck moved my files to lost+found on the data disk, how do I get them "
                          "back out of lost+found?", _at(0)),
        documents.message("9402", "Seb", "Uma: sudo mv /mnt/lost+found/* /mnt/restored/", _at(1)),
        documents.message("9403", "Uma", "Seb: done. can I delete the lost+found folder after that?", _at(3)),
        documents.message("9405", "Seb", "Uma: no, keep it. fsck puts what it recovers there", _at(4)),
    ]
    first = _first_excerpt(tmp_path, bot_for, chat, "ok to delete the lost+found folder after recovering files?")
    assert first.citation.link.endswith("/9405"), first.highlight
