"""Rendering answers for a terminal: rich on a TTY, plain text when piped.

Shared by ``qabot ask`` and the REPL. Plain text marks the highlight with ``**`` (``__``
where the text's own ``*`` touches it) so it stays visible in a log or a pipe; rich shows
it in bold yellow. Each ``print_*`` function picks the form with ``styled(console)``, so a
caller chooses plain output by handing in a ``Console(force_terminal=False)``; a dumb
terminal (TERM=dumb: Emacs' shell, some CI logs) gets plain text too.

When a follow-up question was rewritten from the conversation ("Where did he live?"
searched as "Where did Trotsky live?"), the answer starts with the text actually
searched, so the reader can tell what the excerpts answer.

A chat message's excerpt keeps its lines (a code block, a command a line: ``render.keeps_lines``),
indented under its citation in plain text, each line of its highlight marked on its own; other
text is shown on one line.

Output is verbatim and inert: document text (excerpts, titles, file names, sections) is
never read as rich markup or emoji codes (``:thumbs_up:`` stays as it is), and control
characters and escape sequences are shown as visible text (``qabot.text.visible``), so a
document can never move the cursor, recolour, clear or retitle the terminal.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, TextIO

from qabot.adapters import render
from qabot.errors import QuestionError
from qabot.models import Answer, Citation, Excerpt, PassageContext, SourceInfo
from qabot.search.inputs import clean_text
from qabot.text import LABEL_CHARS, clipped, flat, visible

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.panel import Panel

NOT_FOUND = "Not found in the corpus."
HIGHLIGHT_STYLE = "bold yellow"
SEARCHED_FOR = "Searched for:"
INERT = {"markup": False, "highlight": False, "emoji": False}  # console.print: text is text


def _line(text: str, lines: bool = False) -> str:
    """Document text on one line (with ``lines``, on its own lines), its control characters made visible."""
    return visible(render.shaped(text, lines), lines=lines)


def cite(citation: Citation) -> str:
    return visible(render.cite(citation))


def _bold(core: str) -> str:
    """A plain highlight (a line of it) between ``**``, or between ``__`` where it starts or ends with the text's own
    ``*``: a highlight that opens with Markdown's "**Note:**" would read "****Note:**"."""
    return f"__{core}__" if core[:1] == "*" or core[-1:] == "*" else f"**{core}**"


def _plain_marked(text: str, start: int, end: int, lines: bool = False) -> str:
    """``text`` on one line (with ``lines``, on its own) with ``text[start:end]`` marked bold (``_bold``), line by
    line."""
    if lines:
        return _line(text[:start], True) + render.mark_lines(_line(text[start:end], True), _bold) + \
            _line(text[end:], True)
    marked = _line(text[start:end])
    parts = (_line(text[:start]), _bold(marked) if marked else "", _line(text[end:]))
    return " ".join(part for part in parts if part)


def _rich_marked(text: str, start: int, end: int, style: str = "", lines: bool = False):  # noqa: ANN202 - rich Text
    """``text`` on one line (with ``lines``, on its own) with ``text[start:end]`` in the highlight style."""
    from rich.text import Text

    parts = [(_line(text[:start], lines), style), (_line(text[start:end], lines), HIGHLIGHT_STYLE),
             (_line(text[end:], lines), style)]
    joined = [Text(part, style=part_style) for part, part_style in parts if part]
    return Text("").join(joined) if lines else Text(" ").join(joined)


def _indented(text: str, first: str, rest: str = "    ") -> str:
    """``text``'s first line after ``first``, its others after ``rest`` (a blank line stays blank)."""
    head, *tail = text.split("\n")
    return "\n".join([first + head, *(rest + line if line.strip() else "" for line in tail)])


def link(citation: Citation) -> str | None:
    """Where a browser shows the excerpt (the highlight, a heading, a chat message), to print under it."""
    target = citation.link or citation.url
    return visible(flat(target)) if target else None


def plain_excerpt(number: int, excerpt: Excerpt) -> str:
    body = _plain_marked(excerpt.text, excerpt.highlight_start, excerpt.highlight_end,
                         render.keeps_lines(excerpt.citation, excerpt.text))
    shown = f"[{number}] {cite(excerpt.citation)} (score {excerpt.score:.3f})\n{_indented(body, '    ')}"
    return shown + (f"\n    link: {target}" if (target := link(excerpt.citation)) else "")


def searched_for(answer: Answer) -> str | None:
    """The text searched when it is not just the question as the core cleans it: a follow-up completed from
    history. The question holds U+FFFD where it was asked with a lone surrogate (an undecodable byte of a command-line
    argument), which was searched as a space."""
    asked = {clean_text(answer.question), clean_text(answer.question.replace("\ufffd", " "))}
    return None if answer.query in asked else visible(answer.query)


def plain_answer(answer: Answer, first: int = 1, note_query: bool = True) -> str:
    lines = []
    if note_query and (query := searched_for(answer)):
        lines.append(f"({SEARCHED_FOR} {query})")
    if not answer.answered:
        lines.append(NOT_FOUND + (" Closest passages:" if answer.excerpts else ""))
    lines.extend(plain_excerpt(first + i, ex) for i, ex in enumerate(answer.excerpts))
    return "\n".join(lines)


def plain_sources(sources: Iterable[SourceInfo]) -> str:
    return "\n".join(
        visible(s.source)
        + (f" — {_line(clipped(s.title, LABEL_CHARS))}" if s.title else "")
        + f" ({s.documents} document(s), {s.passages} passages)"
        for s in sources
    )


def _highlight_span(context: PassageContext, excerpt: Excerpt) -> tuple[int, int]:
    """Where the excerpt's highlight falls inside the context paragraph; (0, 0) when it does not.

    Both carry offsets into the same source text, so this is exact: searching the paragraph
    for the highlight's text could land on an earlier repeat of the same sentence.
    """
    shift = excerpt.citation.start - context.citation.start
    start = max(shift + excerpt.highlight_start, 0)
    end = min(shift + excerpt.highlight_end, len(context.paragraph))
    return (start, end) if start < end else (0, 0)


def plain_context(number: int, context: PassageContext, excerpt: Excerpt) -> str:
    """Excerpt ``number``'s whole paragraph, marked with '>', between its neighbours."""
    start, end = _highlight_span(context, excerpt)
    lines = render.keeps_lines(context.citation, context.paragraph)
    blocks = [_indented(_line(text, lines), "    ") for text in context.before]
    blocks.append(_indented(_plain_marked(context.paragraph, start, end, lines), "  > "))
    blocks.extend(_indented(_line(text, lines), "    ") for text in context.after)
    return f"[{number}] {cite(context.citation)}\n" + "\n\n".join(blocks)


def _cited_panel(
    number: int, citation: Citation, body: RenderableType, width: int | None, subtitle: str | None = None
) -> Panel:
    """A panel titled ``[n] citation``, or, where that title would not fit ``width``, titled
    ``[n]`` with the citation wrapped at the top of its body: rich cuts a long title short,
    and the end of a citation (the paragraph, the page) is the part that must not go."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    numbered = Text(f"[{number}]", style="bold")
    cited = Text(cite(citation), style="cyan")
    title = Text.assemble(numbered, " ", cited)
    if width is not None and title.cell_len + 6 > width:  # the border draws "╭─ " and " ─╮" round it
        title, body = numbered, Group(cited, body)
    return Panel(body, title=title, title_align="left", subtitle=subtitle, subtitle_align="right")


def rich_excerpt(number: int, excerpt: Excerpt, width: int | None = None):  # noqa: ANN201 - rich renderable
    from rich.text import Text

    body = _rich_marked(excerpt.text, excerpt.highlight_start, excerpt.highlight_end,
                        lines=render.keeps_lines(excerpt.citation, excerpt.text))
    if target := link(excerpt.citation):
        from rich.console import Group

        body = Group(body, Text(f"link: {target}", style="dim"))
    return _cited_panel(number, excerpt.citation, body, width, subtitle=f"score {excerpt.score:.3f}")


def rich_context(number: int, context: PassageContext, excerpt: Excerpt, width: int | None = None):  # noqa: ANN201
    from rich.console import Group
    from rich.text import Text

    start, end = _highlight_span(context, excerpt)
    lines = render.keeps_lines(context.citation, context.paragraph)
    blocks = [Text(_line(text, lines), style="dim") for text in context.before]
    blocks.append(_rich_marked(context.paragraph, start, end, lines=lines))
    blocks.extend(Text(_line(text, lines), style="dim") for text in context.after)
    spaced = [part for block in blocks for part in (block, Text())][:-1]
    return _cited_panel(number, context.citation, Group(*spaced), width)


def styled(console) -> bool:  # noqa: ANN001 - rich Console
    """Whether ``console`` shows styles and boxes: a terminal, but not a dumb one, where rich drops every style
    (the highlight with them) and draws its boxes 80 columns wide whatever the width."""
    return bool(console.is_terminal and not console.is_dumb_terminal)


def print_answer(console, answer: Answer, first: int = 1, note_query: bool = True) -> None:  # noqa: ANN001
    """Print an answer to a rich console; plain text when the console is not a terminal.

    ``first`` numbers the excerpts on from an earlier listing; ``note_query`` says whether
    to show the searched text when a follow-up was rewritten (once per question is enough).
    """
    if not styled(console):
        console.print(plain_answer(answer, first, note_query), **INERT, soft_wrap=True)
        return
    if note_query and (query := searched_for(answer)):
        console.print(f"{SEARCHED_FOR} {query}", style="dim italic", **INERT)
    if not answer.answered:
        note = NOT_FOUND + (" These are only the closest passages:" if answer.excerpts else "")
        console.print(note, style="bold red")
    for i, excerpt in enumerate(answer.excerpts):
        console.print(rich_excerpt(first + i, excerpt, console.width))


def print_context(console, number: int, context: PassageContext, excerpt: Excerpt) -> None:  # noqa: ANN001
    """Print the paragraph around excerpt ``number``, with the excerpt's highlight marked in it."""
    if not styled(console):
        console.print(plain_context(number, context, excerpt), **INERT, soft_wrap=True)
        return
    console.print(rich_context(number, context, excerpt, console.width))


def print_skipped(messages: list[str]) -> None:
    """The files a build skipped, and why, one line each, on stderr (``qabot index``)."""
    from qabot.corpus import grouped

    if skipped := [m for m in messages if m.startswith("skipping ")]:
        print(f"Skipped {len(skipped)}:", file=sys.stderr)
    for message in grouped(messages):
        print(f"  {visible(message)}", file=sys.stderr)


def print_sources(console, sources: list[SourceInfo]) -> None:  # noqa: ANN001 - rich Console
    """Print the indexed files: a table on a terminal, ``plain_sources`` lines otherwise."""
    if not styled(console):
        console.print(plain_sources(sources), **INERT, soft_wrap=True)
        return
    from rich.table import Table
    from rich.text import Text

    table = Table("source", "title", "documents", "passages")
    for s in sources:
        table.add_row(Text(visible(s.source)), Text(_line(clipped(s.title or "", LABEL_CHARS))), str(s.documents), str(s.passages))
    console.print(table)


# Room over a question's limit (QABOT_MAX_QUESTION_CHARS) when it is read from stdin (qabot ask -, a piped qabot repl):
# spaces and invisible characters, which cleaning removes. Bounded, so that `< /dev/zero` stops.
STDIN_CHARS = 1 << 20


def lenient_stdin() -> TextIO:
    """stdin, where a badly encoded byte is read as U+FFFD: no reason to refuse a question or end a script."""
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")
    return sys.stdin


def stdin_lines(limit: int) -> Iterator[str]:
    """stdin's lines (``lenient_stdin``), each cut after ``limit`` and ``STDIN_CHARS`` more characters (too long to
    ask, whatever cleaning makes of it), the rest of a longer one read and dropped: a line of a gigabyte (a file of
    one line, a binary, piped to ``qabot repl``) is never held whole."""
    most = limit + STDIN_CHARS
    stream = lenient_stdin()
    while line := stream.readline(most + 1):
        if len(line) > most and not line.endswith("\n"):
            while (rest := stream.readline(most)) and not rest.endswith("\n"):
                pass
        yield line


def stdin_question(limit: int) -> str:
    """The question piped to ``qabot ask -``, read up to its ``limit`` and ``STDIN_CHARS`` more; a longer one is
    refused, never cut and asked (``QABot.ask`` refuses one that is still over the limit once cleaned)."""
    most = limit + STDIN_CHARS
    question = lenient_stdin().read(most + 1)
    if len(question) > most:
        raise QuestionError(f"the question is too long (over {most:,} characters; the limit is {limit:,})")
    return question.strip()
