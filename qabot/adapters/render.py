"""Citation text shared by every front-end: the terminal, the REPL and Discord."""

from __future__ import annotations

from qabot.index.scope import is_chat_source
from qabot.models import Citation

CHAT_HISTORY = "Discord history"  # what a citation of a server's live history shows instead of a file name


def cite(citation: Citation) -> str:
    """'Title — source, § Section, ¶ 3' (plain text; the title only when the document has one)."""
    where = f"{source_name(citation.source)}, {citation.location}"
    return f"{citation.title} — {where}" if citation.title else where


def source_name(source: str) -> str:
    """A citation's source as people read it: the file's name, or, for a server's live history, that it is one."""
    return CHAT_HISTORY if is_chat_source(source) else source
