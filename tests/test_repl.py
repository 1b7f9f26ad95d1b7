"""The terminal chat, ``qabot repl``.

Three layers, each with real parts: command parsing and Tab completion; a ``Session``
over a real index of a small corpus, printing plain text into strings; and the real
``qabot repl`` process, driven through a pseudo-terminal as a person would type, and
through a pipe as a script would.

The corpus is written here, so the assertions name its own words. They check what a
reader would notice (the cited file, a distinctive word, the follow-up's rewritten
question), never exact scores, so better retrieval does not break them.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory
from rich.console import Console

from qabot.adapters.repl import Command, CommandCompleter, CommandError, Session, parse
from qabot.errors import ModelError, QABotError
from qabot.models import Answer
from qabot.process import signal_behind
from tests.conftest import FAKE_QABOT, REPO

CORPUS = {
    "lighthouse.md": """---
title: The Quillon Light
---
# Building the light

Granite for the tower was quarried on the skerry itself, and the masons worked only in the calm months between \
May and September. The Quillon lighthouse was finished in 1872 by the engineer Margit Olsen, who had trained in \
Glasgow and designed four other towers along the coast. Its lamp burned whale oil until 1904, when a paraffin \
burner replaced it, and the beam could be seen for nineteen nautical miles on a clear night.

# The keepers

The first keeper was Tobias Wren, a former ferryman from Arnsay, who kept the light for forty years with his \
sister Ingrid. Every Sunday he rowed to the mainland to hear the choir at Saint Brannoc's and to collect the post, \
whatever the weather. He kept a logbook of every ship that passed, and the logbook survives in the county archive; \
it records more than eleven thousand sailings between 1872 and 1912.

In the great storm of January 1911 the lantern glass shattered and the light went dark for a single night. Wren \
climbed the tower at dawn and replaced the broken panes with glass taken from the windows of the keepers' small \
chapel. The chapel stayed boarded up for the rest of his service, and the repair held until the lantern was \
rebuilt in steel and bronze in 1925.
""",
    "bakery.txt": (
        "The Fennel Street bakery opened in 1923. Its founder, Agnes Pirrie, baked rye bread with caraway seeds "
        "and sold it before dawn to the dockers.\n\nThe bakery closed in 1968 when the street was rebuilt.\n"
    ),
}
WREN_SOURCE = "The Quillon Light — lighthouse.md"
SISTER = "Who was Tobias Wren's sister?"  # what "Who was his sister?" means after "Who was Tobias Wren?"


def _flat(text: str) -> str:
    return " ".join(text.split())


# -- parsing and completion -----------------------------------------------------------


def test_lines_are_questions_commands_or_mistakes() -> None:
    assert parse("  Who was Tobias Wren?  ") == "Who was Tobias Wren?"
    assert parse("   ") is None
    assert parse(":k 2") == Command("k", 2) == parse("/K 2")
    assert parse(":k") == Command("k")
    assert parse("/open 3") == Command("open", 3)
    assert parse(":exit") == Command("quit") == parse("/quit")
    assert parse(":q") == Command("quit") and parse("/o 2") == Command("open", 2)  # the first letters will do
    assert parse(":open " + "0" * 5000 + "2") == Command("open", 2)  # Python's int() would refuse 5,001 digits
    # What a terminal does not show before a command (a script's byte order mark, a pasted colour or zero-width
    # space) made it a question: ":k 2" was searched for.
    assert parse("\ufeff:k 2") == parse("\x1b[31m:k 2") == parse("\u200b /k 2") == Command("k", 2)
    assert parse("\ufeffWho was Tobias Wren?") == "Who was Tobias Wren?"
    for line, message in [
        (":open", "usage: :open N"),
        (":k 0", "N is a whole number from 1 to 50"),
        ("/k many", "usage: /k N"),
        (":more 2", "usage: :more"),
        (":k " + "9" * 5000, "N is a whole number from 1 to 50"),  # not Python's "Exceeds the limit (4300 digits)"
        (":frobnicate now", "unknown command ':frobnicate'; :help lists the commands"),
        (":s", "':s' could be :sources or :scope; type more of it"),  # not "unknown"
    ]:
        with pytest.raises(CommandError, match=re.escape(message)):
            parse(line)


def test_tab_completes_command_names_after_either_prefix() -> None:
    def complete(text: str) -> list[str]:
        event = CompleteEvent(completion_requested=True)
        return [c.text for c in CommandCompleter().get_completions(Document(text), event)]

    assert complete(":so") == [":sources"]
    assert complete("/o") == ["/open"]
    assert complete(":") == [":help", ":k", ":more", ":open", ":sources", ":scope", ":reset", ":json", ":good",
                             ":bad", ":quit"]
    assert complete("so") == []  # a question is not completed
    assert complete(":open 1") == []


# -- a session over a real index, printing plain text ---------------------------------


class Chat:
    """A ``Session`` as piped mode runs it: plain text, stdout and stderr kept apart."""

    def __init__(self, bot) -> None:
        self.out, self.err = io.StringIO(), io.StringIO()
        self.session = Session(
            bot, Console(file=self.out, force_terminal=False), Console(file=self.err, force_terminal=False)
        )
        self.bot = bot

    def __call__(self, line: str) -> str:
        """Type ``line``; return what it printed on stdout."""
        self.out.seek(0)
        self.out.truncate()
        assert self.session.handle(line) is True
        return self.out.getvalue()

    def errors(self) -> list[str]:
        return self.err.getvalue().splitlines()


@pytest.fixture
def chat(make_corpus, fake_bot_for) -> Chat:
    return Chat(fake_bot_for(make_corpus(CORPUS)))


def test_follow_ups_use_the_earlier_questions_until_reset(chat: Chat) -> None:
    first = chat("Who was Tobias Wren?")
    assert "Searched for" not in first and "lighthouse.md" in first
    follow_up = chat("Who was his sister?")
    assert chat.session.answer.query == SISTER
    assert follow_up.startswith(f"(Searched for: {SISTER})\n")
    assert "Ingrid" in follow_up

    assert chat(":reset") == "Conversation forgotten; the next question starts afresh.\n"
    chat("Who was his sister?")
    assert chat.session.answer.query == "Who was his sister?"
    assert chat.errors() == []


def test_k_more_and_json_agree_with_what_was_shown(chat: Chat) -> None:
    assert chat(":k 1") == "Showing 1 excerpt per answer.\n"
    first = chat("Who was Tobias Wren?")
    assert first.count("\n[") == 0 and first.startswith("[1] ")

    more = chat(":more")
    assert more.startswith("[2] ") and "[1]" not in more
    for _ in range(5):  # four passages in all: the rest, one at a time, then no more
        if chat(":more") == "No more excerpts for this question.\n":
            break
    else:
        pytest.fail(":more never ran out")
    shown = chat.session.shown
    assert len(shown) == len({e.passage_id for e in shown}) >= 3  # each excerpt once

    raw = json.loads(chat(":json"))
    assert raw["question"] == "Who was Tobias Wren?"
    assert [e["passage_id"] for e in raw["excerpts"]] == [e.passage_id for e in shown]  # numbered as on screen
    assert chat.errors() == []


def test_open_shows_the_whole_paragraph_and_its_neighbours(chat: Chat) -> None:
    chat(SISTER)
    excerpt = chat.session.shown[0]
    assert excerpt.citation.location == "§ The keepers, ¶ 2"
    opened = chat(":open 1")
    assert opened.startswith(f"[1] {WREN_SOURCE}, § The keepers, ¶ 2\n")
    context = chat.bot.context(excerpt)
    for neighbour in [*context.before, *context.after]:
        assert f"    {_flat(neighbour)}" in opened
    assert "rebuilt in steel and bronze in 1925." in opened  # the next paragraph's end: not in the excerpt
    assert "bronze" not in excerpt.text
    marked = next(line for line in opened.splitlines() if line.startswith("  > "))
    assert marked.replace("**", "") == f"  > {_flat(context.paragraph)}"
    assert f"**{_flat(excerpt.highlight)}**" in marked


def test_mistakes_print_one_line_and_the_session_goes_on(chat: Chat) -> None:
    assert chat(":open 1") == ""
    assert chat(":frobnicate") == ""
    assert chat(":k 99") == ""
    assert chat("?" * 3000) == ""  # longer than QABOT_MAX_QUESTION_CHARS
    errors = chat.errors()
    assert errors[:3] == [
        "error: ask a question first",
        "error: unknown command ':frobnicate'; :help lists the commands",
        "error: usage: :k N; N is a whole number from 1 to 50",
    ]
    assert len(errors) == 4 and errors[3].startswith("error: ")
    answer = chat("What did Agnes Pirrie bake?")
    assert answer.startswith("[1] bakery.txt, ¶ 1 (score ")
    assert "**" in answer
    assert chat(":open 9") == ""
    assert chat.errors()[-1] == f"error: there is no excerpt 9; the last answer has 1 to {len(chat.session.shown)}"
    assert chat.session.handle(":quit") is False
    assert chat.session.handle("/exit") is False


def test_scope_keeps_answers_and_sources_to_part_of_the_corpus(chat: Chat) -> None:
    assert chat(":scope") == "Answering from the whole corpus.\n"
    assert chat(":scope bakery.txt") == "Answering only from bakery.txt (1 file(s)); :scope * for all.\n"
    shown = chat("Who was Tobias Wren?")  # the lighthouse is out of scope now
    assert "lighthouse.md" not in shown and "bakery.txt" in shown
    assert "lighthouse.md" not in chat(":more")  # nor in the next excerpts
    assert chat("/sources").splitlines()[0].startswith("bakery.txt") and "lighthouse" not in chat(":sources")
    assert chat(":scope nowhere/") == "" and chat.errors() == [
        "error: no indexed document matches nowhere; :sources lists them"]
    assert chat.session.scope == ("bakery.txt",)  # a mistake leaves the scope as it was
    # Patterns were joined with spaces: two names, or one with a space, read "matches faq.md my notes"
    assert chat(':scope "my notes/" faq.md') == "" and chat.errors()[-1] == (
        "error: no indexed document matches faq.md 'my notes'; :sources lists them")
    # A typo beside a pattern that matches narrowed the scope unseen: "(1 file(s))" was all that told.
    assert chat(":scope bakery.txt lighthuose.md") == (
        "Answering only from bakery.txt, lighthuose.md (1 file(s)); :scope * for all. No indexed document matches "
        "lighthuose.md. The last answer came from the scope before: ask again.\n")
    widened = chat(":scope *")
    assert widened == "Answering from the whole corpus.\n"
    assert "lighthouse.md" in chat("Who was Tobias Wren?")


def test_a_new_scope_sets_the_last_answer_aside(chat: Chat, tmp_path: Path) -> None:
    from qabot.feedback import FeedbackStore, state_dir

    chat(":k 1")
    assert "lighthouse.md" in chat("Who was Tobias Wren?")
    narrowed = chat(":scope bakery.txt")
    assert narrowed.endswith("The last answer came from the scope before: ask again.\n")
    # Nothing the old answer quoted comes back from the new scope: not opened, not in :json, not recorded.
    for command in (":open 1", ":more", ":json", ":good"):
        assert chat(command) == ""
    assert chat.errors() == ["error: ask a question first"] * 4
    assert "bakery.txt" in chat("Who was Tobias Wren?")
    assert chat(":good").startswith("Noted: helpful")
    chat.session.close()
    (recorded,) = FeedbackStore(state_dir(chat.bot.settings)).answers()
    assert (recorded.doc_id, recorded.scope) == ("bakery.txt", ["bakery.txt"])
    assert chat(":scope bakery.txt") == "Answering only from bakery.txt (1 file(s)); :scope * for all.\n"
    assert chat.session.answer is not None  # the same scope again keeps it


def test_the_scope_is_repeated_inert(make_corpus, fake_bot_for) -> None:
    name = "esc\x1b]0;PWN\x07\x9b2J\u202e.txt"  # a file whose name holds escapes, named by a pattern
    chat = Chat(fake_bot_for(make_corpus({**CORPUS, name: "The miller ground barley on Tuesdays.\n"})))
    shown = chat(f":scope *.md {name} \x1b[31m")
    assert shown == ("Answering only from ␛[31m, *.md, esc␛]0;PWN␇\\x9b2J\\u202e.txt (2 file(s)); :scope * for all. "
                     "No indexed document matches ␛[31m.\n")
    assert chat.session.scope == ("\x1b[31m", "*.md", name)  # the patterns themselves are kept as typed


def test_a_scope_names_a_file_with_spaces_in_quotes(make_corpus, fake_bot_for) -> None:
    chat = Chat(fake_bot_for(make_corpus({**CORPUS, "mill notes.txt": "The miller ground barley on Tuesdays.\n"})))
    assert chat(':scope "mill notes.txt"') == "Answering only from mill notes.txt (1 file(s)); :scope * for all.\n"
    assert chat.session.scope == ("mill notes.txt",)
    assert "mill notes.txt" in chat("What did the miller grind?")
    assert chat(':scope "mill notes.txt') == "" and chat.errors() == [
        "error: no closing quotation in the patterns; quote a name with spaces whole"]
    assert chat.session.scope == ("mill notes.txt",)


def test_good_and_bad_keep_the_answer_and_one_changeable_vote(chat: Chat, tmp_path: Path) -> None:
    from qabot.feedback import FeedbackStore, state_dir

    assert chat(":good") == "" and chat.errors() == ["error: ask a question first"]
    chat("Who was Tobias Wren?")
    assert chat(":good") == "Noted: helpful. (qabot feedback sums up the votes.)\n"
    assert chat(":bad") == "Changed to: not helpful. (qabot feedback sums up the votes.)\n"
    chat("Who was his sister?")
    assert chat(":g").startswith("Noted: helpful")
    chat.session.close()
    store = FeedbackStore(state_dir(chat.bot.settings))
    assert state_dir(chat.bot.settings) == tmp_path / "qabot-state"  # beside the index, not in a build
    first, second = store.answers()
    assert (first.question, first.frontend, first.history) == ("Who was Tobias Wren?", "repl", [])
    assert (second.question, second.history, second.query) == ("Who was his sister?", ["Who was Tobias Wren?"],
                                                                 SISTER)
    assert store.tallies() == {first.id: (0, 1), second.id: (1, 0)}


def test_a_long_session_keeps_as_many_earlier_questions_as_a_discord_thread(chat: Chat) -> None:
    """A follow-up is read from the last five questions in a Discord thread; the REPL kept every question of the
    session, so "he" could be read from a question long gone, each question passed them all to the core again, and
    each vote stored them all as its history (in a session of hundreds of questions, hundreds each time)."""
    from qabot.feedback import FeedbackStore, state_dir

    questions = [f"When was the lighthouse repaired, time {n}?" for n in range(8)]
    for question in questions:
        chat(question)
    chat(":good")
    chat.session.close()
    store = FeedbackStore(state_dir(chat.bot.settings))
    (stored,) = store.answers()
    assert stored.history == questions[2:7] and chat.session.history == questions[3:]
    store.close()


def test_a_vote_keeps_the_question_as_discord_keeps_the_same_words(chat: Chat) -> None:
    """A question pasted with a colour code, a zero-width space and a tab is the one Discord would take for those
    words: ``qabot feedback`` counted it twice, once as the REPL kept it raw and once as Discord kept it cleaned."""
    from qabot.adapters.discord.mentions import clean_question
    from qabot.feedback import FeedbackStore, state_dir

    pasted = "\x1b[1mWho was\u200bTobias\tWren?\x1b[0m"
    chat(pasted)
    chat("Who was  his sister?\u200b")
    chat(":good")
    chat.session.close()
    store = FeedbackStore(state_dir(chat.bot.settings))
    (stored,) = store.answers()
    assert (stored.question, stored.history) == ("Who was his sister?", ["Who was Tobias Wren?"])
    assert stored.history == [clean_question(pasted, bot_id=1)]  # what the Discord door keeps of these words
    store.close()


def test_a_question_the_corpus_does_not_answer_says_so(chat: Chat) -> None:
    shown = chat("What is the capital of Peru?")
    assert shown.startswith("Not found in the corpus. Closest passages:\n[1] ")


def test_help_and_sources(chat: Chat) -> None:
    shown = chat(":help")
    for usage in ("help", "k N", "more", "open N", "sources", "scope PATTERN", "reset", "json", "good", "bad",
                  "quit"):
        assert f"\n  :{usage} " in shown
    listed = chat("/sources").splitlines()
    assert [line.split(" ")[0] for line in listed] == ["bakery.txt", "lighthouse.md"]
    assert listed[1].startswith("lighthouse.md — The Quillon Light (1 document(s), ")


# -- the real command in a pseudo-terminal --------------------------------------------

# prompt_toolkit turns bracketed paste on each time a new prompt starts. That marks the
# end of the previous command's output; the prompt text itself is redrawn as keys arrive.
NEW_PROMPT = "\x1b[?2004h"
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")


def _environment(tmp_path: Path, corpus: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR")}
    return {
        **env,
        "QABOT_CORPUS_DIR": str(corpus),
        "QABOT_INDEX_DIR": str(tmp_path / "index"),  # fresh: the first start builds it
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "HF_HUB_OFFLINE": "1",
        "TERM": "xterm-256color",
        # No terminal answers cursor-position requests here; real ones do.
        "PROMPT_TOOLKIT_NO_CPR": "1",
    }


class Terminal:
    """``qabot repl`` in a 40x120 pseudo-terminal; ``keys`` returns what one input printed.

    Everything the program drew is also kept in ``terminal.log`` in the test's tmp folder.
    """

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.child = pexpect.spawn(
            FAKE_QABOT[0], [*FAKE_QABOT[1:], "repl"], env=env, dimensions=(40, 120), encoding="utf-8", timeout=60
        )
        self.child.logfile_read = log.open("w", encoding="utf-8")
        self.raw = ""

    def until_prompt(self) -> str:
        self.child.expect_exact(NEW_PROMPT)
        self.raw = self.child.before
        return ESCAPES.sub("", self.raw)

    def keys(self, keys: str) -> str:
        self.child.send(keys)
        return self.until_prompt()

    def leave(self, keys: str) -> int:
        self.child.send(keys)
        self.child.expect(pexpect.EOF)
        self.child.close()
        return self.child.exitstatus


@pytest.fixture
def terminal(tmp_path: Path, make_corpus):
    """Start ``qabot repl`` in a terminal, on a fresh index; a history file may be written first."""
    term = Terminal(_environment(tmp_path, make_corpus(CORPUS)), tmp_path / "terminal.log")
    yield term
    term.child.close(force=True)
    term.child.logfile_read.close()


def test_a_terminal_session(terminal: Terminal, tmp_path: Path) -> None:
    # A question from an earlier session, in the history file under XDG_STATE_HOME.
    history_file = tmp_path / "state" / "qabot" / "history"
    history_file.parent.mkdir(parents=True)
    FileHistory(str(history_file)).store_string("What did Agnes Pirrie bake?")

    term = terminal
    start = term.until_prompt()
    assert "Indexing: 100%" in start  # the first start builds the index, with a progress bar
    assert "qabot · 2 file(s)" in start and ":help" in start

    answer = term.keys("Who was Tobias Wren?\r")
    assert "lighthouse.md" in answer and "Wren" in answer
    assert "\x1b[1;33m" in term.raw  # the highlight is emphasised

    assert "Showing 2 excerpts per answer." in term.keys(":k 2\r")
    follow_up = term.keys("Who was his sister?\r")
    assert f"Searched for: {SISTER}" in follow_up
    assert "[1] " in follow_up and "[2] " in follow_up and "[3] " not in follow_up
    assert "Ingrid" in follow_up

    opened = term.keys(":open 1\r")
    assert f"{WREN_SOURCE}, § The keepers, ¶ 2" in opened
    assert "bronze" in opened  # the neighbouring paragraph, beyond the excerpt

    shown = term.keys(":json\r")
    raw = json.loads(shown[shown.index("{\n") : shown.rindex("\n}") + 2])
    assert raw["query"] == SISTER and len(raw["excerpts"]) == 2
    assert raw["excerpts"][0]["citation"]["source"] == "lighthouse.md"

    term.child.send("Who ran the bak")
    term.keys("\x03")  # Ctrl-C drops the line...
    assert "Showing 2 excerpts" in term.keys(":k\r")  # ...so this line is ":k", not "Who ran the bak:k"
    term.child.send("\x1b[A")  # up-arrow recalls it
    assert "Showing 2 excerpts" in term.keys("\r")

    term.child.send(":sou\t")
    term.child.expect_exact("rces")  # Tab completed the name (the screen may redraw only the new letters)
    listed = term.keys("\r")
    assert "bakery.txt" in listed and "The Quillon Light" in listed

    assert "error: there is no excerpt 7; the last answer has 1 to 2" in term.keys(":open 7\r")

    term.child.send("\x12Pirrie")  # Ctrl-R finds the earlier session's question
    term.child.expect_exact("(reverse-i-search)`Pirrie': What did Agnes ")
    assert "bakery.txt" in term.keys("\r\r")  # accept the search, then the line; the loop went on

    assert term.leave("\x04") == 0  # Ctrl-D on an empty line leaves
    history = history_file.read_text(encoding="utf-8")
    for line in ("Who was Tobias Wren?", "Who was his sister?", ":open 1", ":sources", "What did Agnes Pirrie bake?"):
        assert f"\n+{line}\n" in history
    assert "Who ran the bak" not in history


def test_the_input_line_shows_bidi_controls_as_text(terminal: Terminal) -> None:
    terminal.until_prompt()
    shown = terminal.keys("Who was Tobias\u202e Wren?\r")  # pasted, or typed: a right-to-left override
    assert "\u202e" not in terminal.raw and "Tobias\\u202e Wren?" in shown


def test_quit_leaves_with_status_0_and_the_history_is_private(terminal: Terminal, tmp_path: Path) -> None:
    term = terminal
    term.until_prompt()
    assert "Showing 1 excerpt per answer." in term.keys(":k 1\r")
    assert term.leave(":quit\r") == 0
    history_file = tmp_path / "state" / "qabot" / "history"
    assert "\n+:k 1\n" in history_file.read_text(encoding="utf-8")
    assert history_file.stat().st_mode & 0o777 == 0o600  # questions can be private: only the user reads them


def test_without_a_home_folder_the_session_keeps_no_history_and_says_so(tmp_path: Path, make_corpus) -> None:
    """HOME unset, and a uid the system does not know (a container's): no history file, one warning, a session."""
    env = {k: v for k, v in _environment(tmp_path, make_corpus(CORPUS)).items() if k not in ("HOME", "XDG_STATE_HOME")}
    nobody = ("import pwd, runpy, sys\n"
              "def unknown(uid):\n    raise KeyError(f'getpwuid(): uid not found: {uid}')\n"
              f"pwd.getpwuid = unknown\nsys.argv = ['qabot', 'repl']\nrunpy.run_path({FAKE_QABOT[1]!r}, run_name='__main__')")
    child = pexpect.spawn(FAKE_QABOT[0], ["-c", nobody], env=env, dimensions=(40, 120), encoding="utf-8", timeout=60)
    try:
        child.expect_exact(NEW_PROMPT)
        shown = ESCAPES.sub("", child.before)
        assert "warning: history will not be kept: there is no home folder to keep it in" in shown
        assert "Traceback" not in shown
        child.send("Who was Tobias Wren?\r")
        child.expect_exact(NEW_PROMPT)
        assert WREN_SOURCE in ESCAPES.sub("", child.before)
        child.send(":quit\r")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
    finally:
        child.close(force=True)


def test_a_history_file_that_cannot_be_kept_names_its_setting(tmp_path: Path, make_corpus) -> None:
    """QABOT_HISTORY_FILE naming a folder (or a file in a folder qabot may not write) warned "history will not be
    kept: [Errno 21] Is a directory: ...", without the setting to change."""
    taken = tmp_path / "a folder"
    taken.mkdir()
    env = {**_environment(tmp_path, make_corpus(CORPUS)), "QABOT_HISTORY_FILE": str(taken)}
    child = pexpect.spawn(FAKE_QABOT[0], [*FAKE_QABOT[1:], "repl"], env=env, dimensions=(40, 120), encoding="utf-8",
                          timeout=60)
    try:
        child.expect_exact(NEW_PROMPT)
        [said] = [line for line in ESCAPES.sub("", child.before).splitlines() if "history will not be kept" in line]
        assert said.startswith("warning: history will not be kept") and "(QABOT_HISTORY_FILE)" in said, said
        child.send(":quit\r")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)


# -- the real command in a pipe -------------------------------------------------------


def test_piped_lines_are_answered_in_plain_text(tmp_path: Path, make_corpus) -> None:
    env = _environment(tmp_path, make_corpus(CORPUS))
    script = "Who was Tobias Wren?\n:k 1\n:bogus\nWho was his sister?\n:json\n:quit\nWhat did Agnes Pirrie bake?\n"
    result = subprocess.run([*FAKE_QABOT, "repl"], input=script, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "\x1b[" not in out and "qabot>" not in out  # no colours, no prompt
    assert out.startswith(f"[1] {WREN_SOURCE}, § The keepers, ¶ ")
    assert "**" in out.splitlines()[1]  # the highlight stays visible as text
    assert "error: unknown command ':bogus'; :help lists the commands\n" in result.stderr
    assert f"(Searched for: {SISTER})\n[1] " in out
    raw = json.loads(out[out.index("\n{\n") : out.rindex("\n}\n") + 2])
    assert raw["query"] == SISTER and len(raw["excerpts"]) == 1
    assert out.rstrip().endswith("}")  # :quit ended the session: the last line was not answered


def test_an_answer_that_cannot_be_written_ends_the_chat_in_one_line(tmp_path: Path, make_corpus) -> None:
    """Piped to a full disk (or with stdout closed), each answer said "error: unexpected OSError" and the chat went
    on, until the blank line after it failed too: two lines, the chat's and the command's. It ends at the first, in
    one."""
    env = _environment(tmp_path, make_corpus(CORPUS))
    script = "Who was Tobias Wren?\nWho was his sister?\n"
    with open("/dev/full", "w") as full:
        for stdout, pre in ((full, None), (subprocess.DEVNULL, lambda: os.close(1))):
            done = subprocess.run([*FAKE_QABOT, "repl"], input=script, stdout=stdout, stderr=subprocess.PIPE, text=True,
                                  env=env, timeout=120, preexec_fn=pre)
            assert done.returncode == 1 and done.stderr.startswith("Error: "), done.stderr
            assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr


def test_a_piped_line_of_a_hundred_megabytes_is_refused_without_holding_it(tmp_path: Path, make_corpus) -> None:
    """A line was read whole, then copied while it was cleaned: a file of one long line piped in (a minified bundle,
    a binary) took several times its size in memory before "too long". A line is read a megabyte at a time now,
    as ``qabot ask -`` reads its question, and the rest of a longer one is skipped; the next line is answered."""
    env = _environment(tmp_path, make_corpus(CORPUS))
    subprocess.run([*FAKE_QABOT, "index"], capture_output=True, env=env, timeout=120, check=True)
    piped = tmp_path / "piped.txt"
    piped.write_text("ab " * 10_000_000 + "\nWho was Tobias Wren?\n", encoding="ascii")  # 30 MB of words
    peak = tmp_path / "peak"
    with piped.open("rb") as stdin:
        result = subprocess.run([sys.executable, "-m", "tests.peak", str(peak), *FAKE_QABOT, "repl"], stdin=stdin,
                                capture_output=True, text=True, env=env, timeout=300, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("error: the question is too long (") and result.stderr.count("\n") == 1
    assert result.stdout.startswith(f"\n[1] {WREN_SOURCE}, § The keepers, ¶ ")
    assert int(peak.read_text()) < 300_000  # KiB: some 80 MB now; the line took 900 MB (30 times itself) before


def test_a_piped_line_over_a_limit_over_a_megabyte_is_refused_not_cut_and_answered(tmp_path: Path, make_corpus) -> None:
    """A piped line was cut after 1 MiB whatever QABOT_MAX_QUESTION_CHARS said: above that, a longer line was cut
    there and answered as if it were whole. It is read up to the limit and a megabyte more now, as `qabot ask -`."""
    env = {**_environment(tmp_path, make_corpus(CORPUS)), "QABOT_MAX_QUESTION_CHARS": "1500000"}
    result = subprocess.run([*FAKE_QABOT, "repl"], input="Who was Tobias Wren? " * 150_000 + "\n:quit\n",
                            capture_output=True, text=True, env=env, timeout=300)  # 3.2 million characters
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("error: the question is too long (") and result.stderr.count("\n") == 1
    assert result.stdout.strip() == ""


def _ctrl_c_in_onnxruntimes_start(question: str, **_: object) -> Answer:
    """A Ctrl-C landing while the first question loads the model, inside onnxruntime's extension as it starts:
    pybind11 raises ImportError from it, which qabot reports as a missing onnxruntime (``require_onnxruntime``)."""
    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise ImportError("initialization failed") from exc
    except ImportError as exc:
        raise ModelError("the onnx embedding backend needs onnxruntime: install the onnx extra") from exc


def test_a_ctrl_c_a_library_wraps_in_its_own_error_is_a_ctrl_c_in_a_session(chat: Chat, monkeypatch) -> None:
    """`qabot repl < questions.txt` loads the model at the first question: a Ctrl-C that landed in a library there
    came out as the library's error: the session said "error: the onnx embedding backend needs onnxruntime" and went
    on to the next question, where a Ctrl-C ends a piped session ("Interrupted", 130, as `qabot ask` ends for the
    same Ctrl-C). At the prompt, it stops the answer and says so, as any Ctrl-C while answering does."""
    from qabot.adapters import repl

    monkeypatch.setattr(chat.bot, "ask", _ctrl_c_in_onnxruntimes_start)
    with pytest.raises(QABotError) as raised:
        repl._lines(chat.session, ["Who was Tobias Wren?\n", "Who was his sister?\n"])
    assert signal_behind(raised.value) == signal.SIGINT and chat.errors() == []

    class Prompt:  # what the person types at the prompt: a question, then Ctrl-D
        app = None

        def __init__(self) -> None:
            self.lines = ["Who was Tobias Wren?"]

        def prompt(self, _message: object) -> str:
            if not self.lines:
                raise EOFError
            return self.lines.pop()

    repl._loop(chat.session, Prompt())  # type: ignore[arg-type]
    assert chat.out.getvalue().strip() == "Interrupted." and chat.errors() == []
