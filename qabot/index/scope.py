"""Scopes: answering from part of the corpus only, named by source patterns.

A pattern names corpus files by their citation ``source`` (the path relative to the corpus
folder, '/'-separated):

- with a wildcard (``*``, ``?``, ``[``) it is a glob over the whole path: ``guides/*.md``,
  ``*/2019-*``, ``**`` (fnmatch: ``*`` crosses folders too);
- without one it is a file or a folder: ``handbook.pdf`` is that file, ``guides`` and
  ``guides/`` are everything below that folder.

A scope is applied inside retrieval, so that the searches themselves only see the scope's
passages and ``k`` excerpts still come back when there are that many in scope.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass

from qabot.errors import QuestionError

_WILDCARDS = frozenset("*?[")


@dataclass(frozen=True)
class Scope:
    """A set of source patterns; a source is in scope when any pattern matches it."""

    patterns: tuple[str, ...]

    @classmethod
    def of(cls, sources: Iterable[str] | str | None) -> Scope | None:
        """The scope ``sources`` describe (one pattern or several); None means the whole corpus."""
        if sources is None:
            return None
        if isinstance(sources, str):
            sources = [sources]
        try:
            patterns = tuple(sorted({p.strip().strip("/") if not _WILDCARDS & set(p) else p.strip() for p in sources}))
        except (TypeError, AttributeError):
            raise QuestionError("sources must be source patterns as text, like 'guides/' or '*.pdf'") from None
        if not patterns or not all(patterns):
            raise QuestionError("sources must name at least one file, folder or pattern")
        return cls(patterns)

    def matches(self, source: str) -> bool:
        for pattern in self.patterns:
            if _WILDCARDS & set(pattern):
                if fnmatch.fnmatchcase(source, pattern):
                    return True
            elif source == pattern or source.startswith(pattern + "/"):
                return True
        return False
