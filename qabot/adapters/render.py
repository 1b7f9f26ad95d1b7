"""What every front-end (the terminal, the REPL and Discord) shows the same way: citations, and an excerpt's lines.

A chat message is shown with its lines, as its author laid them out (a code block, a command
a line, a config file, and the blank lines between them), and so are a web page's excerpt and
one that quotes a fenced code block; other text is shown on one line,
since a line break there is the file's wrapping (a hard-wrapped paragraph, a PDF's lines),
not the text's. The highlight is marked line by line (``mark_lines``), so a front-end's
markers (Discord's bold ``**``) open and close on one line and never on a blank one.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from qabot.index.scope import is_chat_source
from qabot.models import Citation
from qabot.text import LABEL_CHARS, clipped, flat

_PAGES = (".html", ".htm", ".xhtml")  # the HTML reader's files
_FENCE = re.compile(r"^[ \t]*(?:```|~~~)", re.MULTILINE)  # a Markdown code fence's line
CHAT_HISTORY = "Discord history"  # what a citation of a server's live history shows instead of a file name


def cite(citation: Citation) -> str:
    """'Title — source, § Section, ¶ 3' (plain text; the title only when the document has one)."""
    where = f"{source_name(citation.source)}, {citation.location}"
    return f"{clipped(citation.title, LABEL_CHARS)} — {where}" if citation.title else where


def source_name(source: str) -> str:
    """A citation's source as people read it: the file's name, or, for a server's live history, that it is one."""
    return CHAT_HISTORY if is_chat_source(source) else source


def keeps_lines(citation: Citation, text: str = "") -> bool:
    """Whether an excerpt is shown with its lines: a chat message's (a paragraph with an author of its own); a web
    page's, whose reader joins a paragraph's wrapped lines, so that a line break in its text is a ``<pre>``'s (code,
    a diagram, a directory tree) or a ``<br>``'s; or one that quotes a fenced code block (a project's docs: a
    command a line, a config file)."""
    return (citation.author is not None or citation.source.lower().endswith(_PAGES)
            or _FENCE.search(text) is not None)


def shaped(text: str, lines: bool) -> str:
    """Document text as it is shown: as it is, with ``lines``; else on one line, whitespace runs as one space."""
    return text if lines else flat(text)


def mark_lines(text: str, mark: Callable[[str], str]) -> str:
    """``text`` with each line's text (not the whitespace round it) passed through ``mark``; blank lines as they are."""
    return "\n".join(_marked_line(line, mark) for line in text.split("\n"))


def _marked_line(line: str, mark: Callable[[str], str]) -> str:
    core = line.strip()
    if not core:
        return line
    lead = line[: len(line) - len(line.lstrip())]
    return lead + mark(core) + line[len(line.rstrip()) :]
