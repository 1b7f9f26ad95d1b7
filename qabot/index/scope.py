"""Scopes: answering from part of the corpus only, named by source patterns.

A pattern names corpus files by their citation ``source`` (the path relative to the corpus
folder, '/'-separated):

- with a wildcard (``*``, ``?``, ``[``) it is a glob over the whole path: ``guides/*.md``,
  ``*/2019-*``, ``**`` (fnmatch: ``*`` crosses folders too), where ``**/`` at the start or
  after a slash is zero or more folders, as in gitignore and pathlib: ``**/*.md`` names
  ``README.md`` too, ``guides/**/*.md`` names ``guides/a.md`` too; one that ends with a
  slash names folders, and so everything below them: ``community-*/``, ``**/drafts/``;
- without one it is a file or a folder: ``handbook.pdf`` is that file, ``guides`` and
  ``guides/`` are everything below that folder.

Names are compared in one Unicode normalisation (NFC): a file copied from macOS is named
decomposed ("e" and a combining accent), a name typed composed, and they read the same.

A scope is applied inside retrieval, so that the searches themselves only see the scope's
passages and ``k`` excerpts still come back when there are that many in scope.

**Chat history.** A Discord channel's live history is indexed under the source
``discord/<guild id>/<channel id>`` (``chat_source``). A scope may also say which of those
it quotes (``chats``, decided by ``qabot.history.privacy``): then a history source is in
scope only when it is one of them and a pattern matches it (``None`` patterns: every
source), and every other history source is out, whatever the patterns say.
"""

from __future__ import annotations

import fnmatch
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from qabot.errors import QuestionError

WILDCARDS = frozenset("*?[")
MAX_PATTERN = 4096  # characters: the longest path Linux takes (PATH_MAX)
MAX_GLOBS = 10_000  # a scope's globs are compiled into one expression: 100,000 took 17 s (names cost nothing)
_CHAT = re.compile(r"discord/[0-9]+/[0-9]+")  # no corpus file has this name: a reader needs a suffix
_FOLDERS = re.compile(r"(?:^|(?<=/))\*\*/")  # "**/" at the start or after a slash: zero or more folders


def chat_source(guild_id: int | str, channel_id: int | str) -> str:
    """The source of a Discord channel's (or thread's) live history."""
    return f"discord/{guild_id}/{channel_id}"


def is_chat_source(source: str) -> bool:
    return _CHAT.fullmatch(source) is not None


@dataclass(frozen=True)
class Scope:
    """A set of source patterns; a source is in scope when any pattern matches it (``None``: every source).

    ``chats``, when given, are the only chat history sources in scope (see the module's docstring).
    """

    patterns: tuple[str, ...] | None
    chats: frozenset[str] | None = None

    def __post_init__(self) -> None:
        # However it is made: Scope(("guides/",)) named nothing, Scope("guides") every folder named "g" or "u".
        if self.patterns is not None:
            object.__setattr__(self, "patterns", _patterns(self.patterns))
        if self.chats is not None and not isinstance(self.chats, frozenset):
            object.__setattr__(self, "chats", frozenset(self.chats))

    @classmethod
    def of(cls, sources: Scope | Iterable[str] | str | None) -> Scope | None:
        """The scope ``sources`` describe (one pattern or several, or a ``Scope``); None means the whole corpus."""
        if sources is None or isinstance(sources, Scope):
            return sources
        return cls(_patterns(sources))

    def matches(self, source: str) -> bool:
        if self.chats is not None and is_chat_source(source) and source not in self.chats:
            return False
        return self.patterns is None or self._compiled.match(source)

    @functools.cached_property
    def _compiled(self) -> Patterns:
        return compiled(self.patterns or ())


def _patterns(sources: Iterable[str] | str) -> tuple[str, ...]:
    """Patterns as a scope holds them (sorted, each once, as ``_pattern`` reads it); ``QuestionError`` for none, or
    for what is not one."""
    if isinstance(sources, str):
        sources = [sources]
    try:
        patterns = tuple(sorted({_pattern(p) for p in sources}))
    except (TypeError, AttributeError):
        raise QuestionError("sources must be source patterns as text, like 'guides/' or '*.pdf'") from None
    if not patterns or not all(patterns):
        raise QuestionError("sources must name at least one file, folder or pattern")
    if too_long := next((p for p in patterns if len(p) > MAX_PATTERN), None):  # fnmatch takes minutes for 100k "["
        raise QuestionError(f"a source pattern is too long ({len(too_long):,} characters; the limit is "
                            f"{MAX_PATTERN:,}, a path's)")
    if (globs := sum(1 for p in patterns if WILDCARDS & set(p))) > MAX_GLOBS:
        raise QuestionError(f"sources hold too many glob patterns ({globs:,}; the limit is {MAX_GLOBS:,}; files and "
                            "folders named without a wildcard have none)")
    return patterns


def _pattern(text: str) -> str:
    """A pattern as sources are named, from the corpus folder: "/guides/*.md" and "./guides/" are "guides/*.md" and
    "guides" (a glob that began with "/" matched nothing, and said nothing)."""
    text = text.strip()
    if len(text) <= MAX_PATTERN:  # as ``Patterns.match`` compares a source (a longer one is refused: NFC is not linear)
        text = unicodedata.normalize("NFC", text)
    while text.startswith(("/", "./")):
        text = text.removeprefix(".").lstrip("/")
    return text if WILDCARDS & set(text) else text.rstrip("/")


def unmatched(patterns: Iterable[str], sources: Iterable[str]) -> list[str]:
    """The ``patterns`` (as a scope holds them) that name none of ``sources``, in order. Each source is read once
    however many patterns there are: a file or folder name is looked up, and only a glob is tried on sources."""
    names: set[str] = set()
    listed = []
    for source in sources:
        source = unicodedata.normalize("NFC", source)  # as ``Patterns.match`` compares it
        listed.append(source)
        names.add(source)
        names.update(source[:i] for i, char in enumerate(source) if char == "/")  # the folders it lies in
    return [p for p in dict.fromkeys(patterns) if (p not in names if not WILDCARDS & set(p) else
                                                   not any(map(compiled((p,)).match, listed)))]


@functools.lru_cache(maxsize=64)
def compiled(patterns: tuple[str, ...]) -> Patterns:
    """A scope's patterns as one matcher, made once per scope (a question makes a ``Scope`` of the same patterns
    again): each glob was compiled in a cache of 1,024 shared by every scope, so a scope of more globs compiled
    them all again for each source it was tried on (10,000 patterns: 11 s a question)."""
    names = frozenset(p for p in patterns if not WILDCARDS & set(p))
    # A glob that ends with a slash names folders, as a name does: everything below them ("community-*/").
    pieces = [_FOLDERS.split(p + "*" if p.endswith("/") else p) for p in patterns if WILDCARDS & set(p)]
    whole = [_translate(split[0]) for split in pieces if len(split) == 1]  # one expression for all of them
    return Patterns(names, re.compile("|".join(whole)) if whole else None, tuple(
        Glob(tuple(re.compile(_translate(piece)) for piece in split)) for split in pieces if len(split) > 1))


def _translate(glob: str) -> str:
    """fnmatch's expression for ``glob``. A "[" with no "]" after it is a "[", which fnmatch finds by looking for
    that "]" all the way from each one: a pattern of 4,000 took 2 s, so a scope of a hundred such took minutes.
    Written "[[]", each is read at once, as the same "["."""
    closed = glob.rfind("]") + 1
    return fnmatch.translate(glob[:closed] + glob[closed:].replace("[", "[[]"))


@dataclass(frozen=True)
class Patterns:
    """A scope's patterns compiled: files and folders by name, globs without ``**/`` as one regular expression,
    and those with one each a ``Glob``."""

    names: frozenset[str]
    globs: re.Pattern[str] | None
    folder_globs: tuple[Glob, ...]

    def match(self, source: str) -> bool:
        """A name is the source, or a folder it lies in; fnmatch's ``*`` crosses folders too. NFC, as patterns are."""
        if not unicodedata.is_normalized("NFC", source):
            source = unicodedata.normalize("NFC", source)
        if self.names and (source in self.names or any(
                char == "/" and source[:i] in self.names for i, char in enumerate(source))):
            return True
        if self.globs is not None and self.globs.fullmatch(source):
            return True
        return any(glob.match(source) for glob in self.folder_globs)


@dataclass(frozen=True)
class Glob:
    """A glob cut at its ``**/``s, each piece fnmatch's. One regular expression with ``(?:.*/)?`` for each ``**/``
    backtracked through every way of sharing the folders out: "**/" nine times took minutes for one source. Every
    piece after a ``**/`` starts where a folder does, and the earliest end of a piece leaves the most to the rest,
    so the pieces are matched in turn, each from the earliest folder its one before left (folders squared at most)."""

    pieces: tuple[re.Pattern[str], ...]

    def match(self, source: str) -> bool:
        if len(self.pieces) == 1:
            return self.pieces[0].fullmatch(source) is not None
        first, *middle, last = self.pieces
        starts = [0, *(i + 1 for i, char in enumerate(source) if char == "/")]  # where a folder's name begins
        earliest = next((end for end in starts if first.fullmatch(source, 0, end)), None)
        for piece in middle:  # the earliest end of this piece, from any folder at or after the one before's
            earliest = None if earliest is None else next((end for end in starts if end >= earliest and any(
                piece.fullmatch(source, start, end) for start in starts if earliest <= start <= end)), None)
        return earliest is not None and any(last.fullmatch(source, start) for start in starts if start >= earliest)
