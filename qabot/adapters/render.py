"""Citation text shared by every front-end: the terminal, the REPL and Discord."""

from __future__ import annotations

from qabot.models import Citation


def cite(citation: Citation) -> str:
    """'Title — source, § Section, ¶ 3' (plain text; the title only when the document has one)."""
    where = f"{citation.source}, {citation.location}"
    return f"{citation.title} — {where}" if citation.title else where
