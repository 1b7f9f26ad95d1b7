"""Rendering answers for a terminal: rich on a TTY, plain text when piped.

Shared by ``qabot ask`` and the REPL. Plain text marks the highlight with ``**`` so it
stays visible in a log or a pipe; rich shows it in bold yellow.
"""

from __future__ import annotations

from collections.abc import Iterable

from qabot.models import Answer, Citation, Excerpt, SourceInfo

NOT_FOUND = "Not found in the corpus."


def cite(citation: Citation) -> str:
    """'Title — source, § Section, ¶ 3' (title only when the document has one)."""
    where = f"{citation.source}, {citation.location}"
    return f"{citation.title} — {where}" if citation.title else where


def plain_excerpt(number: int, excerpt: Excerpt) -> str:
    text = " ".join(excerpt.text[: excerpt.highlight_start].split())
    highlight = " ".join(excerpt.highlight.split())
    rest = " ".join(excerpt.text[excerpt.highlight_end :].split())
    body = " ".join(part for part in (text, f"**{highlight}**", rest) if part)
    return f"[{number}] {cite(excerpt.citation)} (score {excerpt.score:.3f})\n    {body}"


def plain_answer(answer: Answer, first: int = 1) -> str:
    lines = []
    if not answer.answered:
        lines.append(NOT_FOUND + (" Closest passages:" if answer.excerpts else ""))
    lines.extend(plain_excerpt(first + i, ex) for i, ex in enumerate(answer.excerpts))
    return "\n".join(lines)


def plain_sources(sources: Iterable[SourceInfo]) -> str:
    return "\n".join(
        f"{s.source}" + (f" — {s.title}" if s.title else "") + f" ({s.documents} document(s), {s.passages} passages)"
        for s in sources
    )


def rich_excerpt(number: int, excerpt: Excerpt):  # noqa: ANN201 - rich renderable
    from rich.panel import Panel
    from rich.text import Text

    body = Text()
    body.append(" ".join(excerpt.text[: excerpt.highlight_start].split()) + " ")
    body.append(" ".join(excerpt.highlight.split()), style="bold yellow")
    body.append(" " + " ".join(excerpt.text[excerpt.highlight_end :].split()))
    title = Text(f"[{number}] ", style="bold") + Text(cite(excerpt.citation), style="cyan")
    return Panel(body, title=title, title_align="left", subtitle=f"score {excerpt.score:.3f}", subtitle_align="right")


def print_answer(console, answer: Answer, first: int = 1) -> None:  # noqa: ANN001 - rich Console
    """Print an answer to a rich console; plain text when the console is not a terminal."""
    if not console.is_terminal:
        console.print(plain_answer(answer, first), markup=False, highlight=False, soft_wrap=True)
        return
    if not answer.answered:
        note = NOT_FOUND + (" These are only the closest passages:" if answer.excerpts else "")
        console.print(note, style="bold red")
    for i, excerpt in enumerate(answer.excerpts):
        console.print(rich_excerpt(first + i, excerpt))
