"""The terminal chat behind ``qabot repl``.

A plain line is a question; a line starting with ``:`` or ``/`` is a command (``:help``
lists them); an error prints one line and the loop goes on. Questions of one session
are passed to ``QABot.ask`` as ``history``, so "What alias did he use?" follows on from
"Who was Ramon Mercader?" until ``:reset``. ``:scope PATTERN`` keeps answers (and
``:sources``) to part of the corpus; ``:good`` and ``:bad`` record the last answer and a
vote on it in the state database that ``qabot feedback`` sums up.

On a terminal, input comes from prompt_toolkit (history kept in ``Settings.history_file``,
up-arrow recall, Ctrl-R search, Tab completion of commands) and answers are drawn by
rich. The embedding model takes seconds to load, so it loads in a background thread
while the user types the first question. When stdin or stdout is not a terminal, each
input line is handled the same way but the output is plain text with no prompt or
banner, so ``echo "question" | qabot repl`` can be scripted.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Literal

from prompt_toolkit import PromptSession
from prompt_toolkit.application import Application, run_in_terminal
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from rich.console import Console

from qabot.adapters.terminal import INERT, print_answer, print_context, print_sources, stdin_lines, styled
from qabot.bot import QABot
from qabot.embedding import Embedder
from qabot.errors import QABotError
from qabot.feedback import HELPFUL, NOT_HELPFUL, FeedbackStore
from qabot.index.scope import Scope, unmatched
from qabot.models import Answer, Excerpt
from qabot.process import UNWRITABLE, signal_behind
from qabot.search.followup import HISTORY_DEPTH
from qabot.search.inputs import MAX_K, shown_from  # QABot.ask caps k at MAX_K too
from qabot.settings import Settings
from qabot.text import INVISIBLE, first_line, json_safe, visible

log = logging.getLogger(__name__)

PREFIXES = (":", "/")


@dataclass(frozen=True)
class CommandSpec:
    usage: str
    help: str
    number: Literal["none", "optional", "required"] = "none"
    text: bool = False  # takes free text (patterns), not a number


COMMANDS: dict[str, CommandSpec] = {
    "help": CommandSpec("help", "show this list"),
    "k": CommandSpec("k N", "show N excerpts per answer (no N: show the current number)", "optional"),
    "more": CommandSpec("more", "the next excerpts for the last question"),
    "open": CommandSpec("open N", "the whole paragraph around excerpt N, with its neighbours", "required"),
    "sources": CommandSpec("sources", "list the indexed documents (in scope)"),
    "scope": CommandSpec("scope PATTERN", "answer only from these files, folders or globs (* for all; "
                         "no PATTERN: show the scope)", text=True),
    "reset": CommandSpec("reset", "forget the conversation: the next question starts afresh"),
    "json": CommandSpec("json", "the last answer as raw JSON"),
    "good": CommandSpec("good", "the last answer was helpful: kept for qabot feedback"),
    "bad": CommandSpec("bad", "the last answer was not helpful: kept for qabot feedback"),
    "quit": CommandSpec("quit", "leave (also :exit, or Ctrl-D on an empty line)"),
}
ALIASES = {"exit": "quit"}


class CommandError(Exception):
    """A command was mistyped or cannot run now; the message is one line for the user."""


@dataclass(frozen=True)
class Command:
    name: str
    number: int | None = None
    text: str | None = None


def parse(line: str) -> str | Command | None:
    """A blank line is None, a line starting with ':' or '/' a ``Command``, anything else the question.

    Raises ``CommandError`` for an unknown command or a bad argument.
    """
    text = shown_from(line).strip()  # ":k 2" after a byte order mark (a script saved on Windows) is still a command
    if not text:
        return None
    if not text.startswith(PREFIXES):
        return text
    prefix = text[0]
    word, argument = [*text[1:].split(maxsplit=1), "", ""][:2]
    names = _command_names(word.lower())
    if len(names) > 1:
        raise CommandError(f"{text.split()[0]!r} could be {' or '.join(prefix + n for n in names)}; type more of it")
    if not names:
        raise CommandError(f"unknown command {text.split()[0]!r}; {prefix}help lists the commands")
    name = names[0]
    spec = COMMANDS[name]
    if spec.text:
        return Command(name, text=argument.strip() or None)
    if not argument and spec.number != "required":
        return Command(name)
    digits = argument.lstrip("0")  # thousands of digits are out of range too, and too many for int() to read
    if spec.number == "none" or not argument.isdecimal() or len(digits) > 9 or not 1 <= int(digits or 0) <= MAX_K:
        expects = f"; N is a whole number from 1 to {MAX_K}" if spec.number != "none" else ""
        raise CommandError(f"usage: {prefix}{spec.usage}{expects}")
    return Command(name, int(digits))


def _command_names(word: str) -> list[str]:
    """The commands ``word`` may name: in full, by an alias, or by their first letters (:q, :o 2; :s is two)."""
    word = ALIASES.get(word, word)
    if word in COMMANDS:
        return [word]
    return [name for name in COMMANDS if word and name.startswith(word)]


def help_text() -> str:
    lines = ["Type a question, or one of these commands (':' or '/' before each; the first letters will do):"]
    width = max(len(spec.usage) for spec in COMMANDS.values())
    lines += [f"  :{spec.usage:<{width}} {spec.help}" for spec in COMMANDS.values()]
    return "\n".join(lines)


class CommandCompleter(Completer):
    """Completes a command name after the ':' or '/' that starts the line."""

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterator[Completion]:
        text = document.text_before_cursor
        if not text.startswith(PREFIXES) or " " in text:
            return
        for name, spec in COMMANDS.items():
            if name.startswith(text[1:].lower()):
                yield Completion(text[0] + name, start_position=-len(text), display_meta=spec.help)


class Session:
    """One conversation: the state behind the commands, printing to a rich ``Console``."""

    def __init__(self, bot: QABot, console: Console, errors: Console) -> None:
        self.bot = bot
        self.console = console
        self.errors = errors
        self.k = bot.settings.top_k
        self.history: list[str] = []  # the last questions since the last reset, for follow-ups: as many as Discord's
        self.answer: Answer | None = None
        self.asked_with: list[str] = []  # the history the last answer was asked with; :more repeats it
        self.shown: list[Excerpt] = []  # every excerpt shown for the last question, in the order numbered
        self.scope: tuple[str, ...] | None = None  # source patterns answers come from; None: the whole corpus
        self.answer_id: str | None = None  # the last answer's id in the state database, once voted on
        self._store: FeedbackStore | None = None
        self._warming: threading.Thread | None = None
        self.prompt_app: Application | None = None  # the prompt while one is shown (interactive mode)

    def warm_up(self) -> None:
        """Start loading the model in the background, so the first answer does not wait for it."""
        self._warming = threading.Thread(target=self._warm, name="qabot-warm-up", daemon=True)
        self._warming.start()

    def _warm(self) -> None:
        try:
            self.bot.embedder.embed(["warm up"])
        except Exception:
            log.debug("warming up the model failed", exc_info=True)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def finish(self) -> None:
        """Wait for a warm-up still loading: a thread cut off inside torch at exit can abort the process."""
        if self._warming is not None:
            self._warming.join()

    def handle(self, line: str) -> bool:
        """Act on one input line; False when the session should end. Errors print one line."""
        try:
            parsed = parse(line)
            if isinstance(parsed, Command):
                return self.command(parsed)
            if parsed is not None:
                self.ask(parsed)
        except Exception as exc:
            if signal_behind(exc) is not None or isinstance(exc, OSError) and exc.errno in UNWRITABLE:
                raise  # a Ctrl-C (or SIGTERM) that a library it landed in raised as its own error; or stdout is gone
            if isinstance(exc, QABotError | CommandError):
                self.error(str(exc))
            else:
                log.debug("unexpected error", exc_info=True)
                self.error(f"unexpected {type(exc).__name__}: {first_line(exc)} (QABOT_LOG_LEVEL=DEBUG shows details)")
        return True

    def ask(self, question: str) -> None:
        with self.working():
            answer = self.bot.ask(question, k=self.k, history=self.history, sources=self.scope)
        self.asked_with = list(self.history)
        self.history = [*self.history, question][-HISTORY_DEPTH:]
        self.answer, self.shown, self.answer_id = answer, list(answer.excerpts), None
        print_answer(self.console, answer)

    def command(self, command: Command) -> bool:
        name = command.name
        if name == "quit":
            return False
        if name == "help":
            self.say(help_text())
        elif name == "k":
            if command.number is not None:
                self.k = command.number
            self.say(f"Showing {self.k} excerpt{'' if self.k == 1 else 's'} per answer.")
        elif name == "sources":
            print_sources(self.console, self.bot.sources(self.scope))
        elif name == "scope":
            self.set_scope(command.text)
        elif name in ("good", "bad"):
            self.vote(name == "good")
        elif name == "reset":
            self.history, self.asked_with, self.answer, self.shown = [], [], None, []
            self.say("Conversation forgotten; the next question starts afresh.")
        elif name == "json":
            self.say(json_safe(self.last_answer().model_dump_json(indent=2)))
        elif name == "more":
            self.more()
        elif name == "open":
            self.open(command.number or 0)
        return True

    def more(self) -> None:
        answer = self.last_answer()
        # A larger k can reorder the pool, so "new" means not shown yet rather than past position n.
        seen = {excerpt.passage_id for excerpt in self.shown}
        with self.working():
            wider = self.bot.ask(answer.question, k=min(len(self.shown) + self.k, MAX_K), history=self.asked_with,
                                 sources=self.scope)
        fresh = [excerpt for excerpt in wider.excerpts if excerpt.passage_id not in seen][: self.k]
        if not fresh:
            self.say("No more excerpts for this question.")
            return
        print_answer(
            self.console, wider.model_copy(update={"excerpts": fresh}), first=len(self.shown) + 1, note_query=False
        )
        self.shown = self.shown + fresh
        # :json shows what is on screen, numbered as shown, not the wider search's own order.
        self.answer = wider.model_copy(update={"excerpts": self.shown})

    def open(self, number: int) -> None:
        self.last_answer()
        if not self.shown:
            raise CommandError("the last answer has no excerpts to open")
        if not 1 <= number <= len(self.shown):
            raise CommandError(f"there is no excerpt {number}; the last answer has 1 to {len(self.shown)}")
        excerpt = self.shown[number - 1]
        print_context(self.console, number, self.bot.context(excerpt), excerpt)

    def set_scope(self, text: str | None) -> None:
        """``:scope``: show the scope, or answer only from the files ``text``'s patterns name (``*``: all), split
        as a shell splits words (a name with spaces in quotes).

        A new scope sets the last answer aside: it was searched in the scope before, so
        ``:open``, ``:more``, ``:json`` and the votes would show or record it as this one's.
        """
        note = ""
        if text is not None:
            try:  # quoted as in a shell: ':scope "my notes/*.md"' names a folder with a space
                patterns = shlex.split(text)
            except ValueError as exc:  # "No closing quotation"
                raise CommandError(f"{str(exc).lower()} in the patterns; quote a name with spaces whole") from None
            if patterns == ["*"]:
                scope = None
            else:
                found = Scope.of(patterns)
                assert found is not None
                missing = unmatched(found.patterns, (info.source for info in self.bot.sources()))
                if len(missing) == len(found.patterns):
                    raise CommandError(f"no indexed document matches {shlex.join(found.patterns)}; :sources lists them")
                note = f" No indexed document matches {', '.join(missing)}." if missing else ""  # a typo, else unseen
                scope = found.patterns
            if scope != self.scope and self.answer is not None:
                self.answer, self.shown, self.answer_id = None, [], None
                note += " The last answer came from the scope before: ask again."
            self.scope = scope
        if self.scope is None:
            self.say("Answering from the whole corpus." + note)
        else:
            files = len(self.bot.sources(self.scope))
            self.say(f"Answering only from {', '.join(self.scope)} ({files} file(s)); :scope * for all." + note)

    def vote(self, helpful: bool) -> None:
        """``:good`` / ``:bad``: keep the last answer and this vote in the state database."""
        answer = self.last_answer()
        if self._store is None:
            self._store = FeedbackStore.from_settings(self.bot.settings)
        user = f"local:{_user_name()}"
        if self.answer_id is None:
            self.answer_id = self._store.record(answer, frontend="repl", history=self.asked_with, scope=self.scope,
                                                user=user, build=self.bot.manifest.build)
        vote = self._store.vote(self.answer_id, user, HELPFUL if helpful else NOT_HELPFUL)
        what = "helpful" if helpful else "not helpful"
        changed = vote is not None and vote.changed
        self.say(f"{'Changed to' if changed else 'Noted'}: {what}. (qabot feedback sums up the votes.)")

    def last_answer(self) -> Answer:
        if self.answer is None:
            raise CommandError("ask a question first")
        return self.answer

    def working(self) -> AbstractContextManager[object]:
        """A spinner on a terminal, saying why the first answer may take seconds."""
        if not styled(self.console):
            return nullcontext()
        loading = self._warming is not None and self._warming.is_alive()
        return self.console.status("Loading the model…" if loading else "Searching…")

    def notice(self, message: str) -> None:
        """A one-line note about the index (refreshed, or a rebuild that failed), from any thread.

        At the prompt it is printed above the line being typed, which is drawn again after it.
        """
        app = self.prompt_app
        if app is not None and app.is_running and app.loop is not None:
            with contextlib.suppress(RuntimeError):  # the prompt ended meanwhile: print it plainly
                app.loop.call_soon_threadsafe(lambda: run_in_terminal(lambda: self._print_notice(message)))
                return
        self._print_notice(message)

    def _print_notice(self, message: str) -> None:
        self.errors.print(f"qabot: {visible(message)}", style="dim", **INERT, soft_wrap=True)

    def say(self, text: str) -> None:
        """A message on stdout, inert: it may repeat what was typed (a :scope pattern can hold escape sequences)."""
        self.console.print(visible(text, lines=True), **INERT, soft_wrap=True)

    def error(self, message: str) -> None:
        self.errors.print(f"error: {visible(message)}", style="bold red", **INERT, soft_wrap=True)


def run(settings: Settings, *, embedder: Embedder | None = None) -> None:
    """Load (or build) the index, then answer lines until quit, Ctrl-D or the end of input."""
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    # A first start builds the index, with a progress bar on stderr. Unless QABOT_WATCH=false,
    # the corpus folder is watched: an edited file is re-indexed in the background.
    bot = QABot.from_settings(settings, embedder=embedder, watch=settings.watch is not False)
    # Piped mode forces plain output even when stdout happens to be a terminal.
    terminal = None if interactive else False
    session = Session(
        bot, Console(force_terminal=terminal, emoji=False), Console(stderr=True, force_terminal=terminal, emoji=False)
    )
    bot.notify = session.notice
    try:
        if interactive:
            session.warm_up()
            _interactive(session, settings)
        else:
            _lines(session, stdin_lines(settings.max_question_chars))
    finally:
        session.finish()
        session.close()
        bot.close()


def _lines(session: Session, lines: Iterable[str]) -> None:
    for line in lines:
        if not session.handle(line):
            return
        if line.strip():
            session.say("")  # a blank line between answers keeps a transcript readable


def _interactive(session: Session, settings: Settings) -> None:
    from prompt_toolkit.history import FileHistory, History, InMemoryHistory
    from prompt_toolkit.styles import Style

    history: History
    kept = settings.history_file
    try:
        if kept is None:
            raise OSError("there is no home folder to keep it in (set HOME, XDG_STATE_HOME or QABOT_HISTORY_FILE)")
        kept.parent.mkdir(parents=True, exist_ok=True)
        # Fail here rather than inside the prompt; and questions can be private, so, as bash
        # does, only the user may read the file.
        os.close(os.open(kept, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
        history = FileHistory(kept)
    except OSError as exc:
        log.warning("history will not be kept: %s%s", exc, "" if kept is None else " (QABOT_HISTORY_FILE)")
        history = InMemoryHistory()
    _show_invisible_input()
    prompt = PromptSession(
        history=history,
        completer=CommandCompleter(),
        complete_while_typing=False,  # Tab completes; and history search needs it off
        enable_history_search=True,
        style=Style.from_dict({"prompt": "ansicyan bold"}),
    )
    sources = session.bot.sources()
    session.console.print(
        f"[bold]qabot[/bold] · {len(sources)} file(s), {sum(s.passages for s in sources)} passages. "
        "Ask a question, or type [bold]:help[/bold]. Ctrl-D leaves.", highlight=False)
    _loop(session, prompt)


def _show_invisible_input() -> None:
    """Draw bidi overrides and the other invisible format characters in the input line as ``visible`` shows them.

    prompt_toolkit shows controls as ``^[`` and ``<9b>`` but writes those as they are, and
    a pasted question (or one recalled from the history) can hold them.
    """
    from prompt_toolkit.layout.screen import Char

    Char.display_mappings.update({chr(cp): visible(chr(cp)) for cp in INVISIBLE})


def _loop(session: Session, prompt: PromptSession) -> None:
    session.prompt_app = prompt.app
    while True:
        try:
            line = prompt.prompt([("class:prompt", "qabot> ")])
        except KeyboardInterrupt:
            continue  # Ctrl-C drops the line, as in a shell
        except EOFError:
            return
        try:
            if not session.handle(line):
                return
        except (KeyboardInterrupt, Exception) as exc:  # a Ctrl-C, or the error of a library it landed in
            if signal_behind(exc) != signal.SIGINT:
                raise
            session.say("Interrupted.")  # Ctrl-C while answering stops the answer, not the chat


def _user_name() -> str:
    """Who is at the keyboard, for the salted user hash of a REPL vote."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return str(os.getuid())
