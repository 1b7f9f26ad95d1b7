"""Scopes of places: which part of the corpus each server, channel or direct message may quote.

One bot can serve several communities from one index: a TOML file
(``QABOT_DISCORD_SCOPES_FILE``) maps guild (server) ids and channel ids to source
patterns, the same patterns ``QABot.ask(sources=...)`` takes (``qabot.index.scope``)::

    default = ["shared/"]                # places not listed below (unset: nothing)
    dms = ["shared/"]                    # direct messages (unset: the default)

    [guilds]
    111111111111111111 = ["community-a/", "shared/"]
    222222222222222222 = "community-b/"

    [channels]
    333333333333333333 = ["community-a/announcements/"]   # overrides its guild's scope
    444444444444444444 = "*"                              # the whole corpus

A thread follows its channel unless it is listed itself. The file is read with the
standard library's ``tomllib``; a bad file is a one-line ``SettingsError`` that names it.

Scopes fail closed: once there is a scopes file, a place it does not list quotes nothing
(``NOWHERE``: "not configured here"), unless ``default`` (or, for direct messages,
``dms``) opens it. Without a file every place quotes the whole corpus.

A running bot follows the file (``ScopesFile``): an edit is in force within a few
seconds, without a restart, once it reads the same twice (never a file caught mid-save).
An edit that breaks the file is logged, naming the file and the error, and the scopes
read before stay in force until it is fixed.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import threading
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qabot.errors import QABotError, SettingsError
from qabot.index.scope import Scope

log = logging.getLogger(__name__)

Patterns = tuple[str, ...]
MAX_BYTES = 1 << 20  # a thousand places are some 50 kB
NOWHERE: Patterns = ()  # the scope of a place a scopes file does not open: nothing
_KEYS = {"default", "dms", "guilds", "channels"}
_NOTHING = object()  # ScopesFile: no change read yet
_ID = re.compile(r"[1-9][0-9]*")  # ASCII digits, no leading zero


@dataclass(frozen=True)
class Scopes:
    """Source patterns by place; ``None`` patterns mean the whole corpus, ``NOWHERE`` nothing."""

    guilds: Mapping[int, Patterns | None] = field(default_factory=dict)
    channels: Mapping[int, Patterns | None] = field(default_factory=dict)
    default: Patterns | None = None  # places not listed
    dms: Patterns | None = None  # direct messages
    path: Path | None = None

    @classmethod
    def load(cls, path: Path | None) -> Scopes:
        """The scopes in the TOML file at ``path``; no file (None) puts every place on the whole corpus."""
        if path is None:
            return cls()
        return cls.read(_read(path), path)

    @classmethod
    def read(cls, content: bytes, path: Path) -> Scopes:
        """The scopes in ``content``, the bytes of the file at ``path`` (named in errors)."""
        try:
            data = tomllib.loads(content.decode("utf-8-sig"))  # as Windows' Notepad may save it, with a BOM
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"the scopes file {path} is not valid TOML: {exc}") from None
        except RecursionError:  # tomllib recurses once per level of arrays or inline tables
            raise SettingsError(f"the scopes file {path} is not valid TOML: nested too deeply") from None
        return cls.parse(data, path)

    @classmethod
    def parse(cls, data: Mapping[str, Any], path: Path | None = None) -> Scopes:
        where = f"the scopes file {path}" if path else "the scopes"
        unknown = sorted(set(data) - _KEYS)
        if unknown:
            raise SettingsError(f"{where}: unknown key {unknown[0]!r} (the keys are default, dms, [guilds], [channels])")
        tables: dict[str, dict[int, Patterns]] = {}
        for table in ("guilds", "channels"):
            entries = data.get(table, {})
            if not isinstance(entries, Mapping):
                raise SettingsError(f"{where}: [{table}] must be a table of ids = patterns")
            tables[table] = {_id(key, table, where): _patterns(value, f"{table}.{key}", where)
                             for key, value in entries.items()}
        # Fail closed: a place the file does not list quotes nothing unless default (or dms) says otherwise.
        default = _patterns(data["default"], "default", where) if "default" in data else NOWHERE
        dms = _patterns(data["dms"], "dms", where) if "dms" in data else default
        return cls(tables["guilds"], tables["channels"], default, dms, path)

    def sources(self, guild_id: int | None, channel_id: int | None = None, parent_id: int | None = None
                ) -> Patterns | None:
        """The patterns of a place: its channel's (a thread: its own, else its channel's), its guild's, or the default.

        ``NOWHERE`` (an empty tuple) for a place the scopes file does not open.
        """
        for channel in (channel_id, parent_id):
            if channel is not None and channel in self.channels:
                return self.channels[channel]
        if guild_id is None:
            return self.dms
        return self.guilds.get(guild_id, self.default)

    def all_patterns(self) -> dict[str, Patterns | None]:
        """Every scope the file names, by where it applies ('guild 123', 'channel 456', 'default', 'dms')."""
        named: dict[str, Patterns | None] = {}
        if self.default:
            named["default"] = self.default
        if self.dms and self.dms != self.default:
            named["dms"] = self.dms
        named |= {f"guild {g}": p for g, p in self.guilds.items()}
        named |= {f"channel {c}": p for c, p in self.channels.items()}
        return named

    @property
    def closes_some(self) -> bool:
        """Whether a place the file does not list (or a direct message) quotes nothing."""
        return bool(self) and NOWHERE in (self.default, self.dms)

    def summary(self) -> str:
        """One line on what the places the file does not list may quote."""
        where = f"the scopes file {self.path}" if self.path else "the scopes"
        listed = f"{where} lists {len(self.guilds)} server(s) and {len(self.channels)} channel(s)"
        if self.default == self.dms:
            return f"{listed}; every other place, direct messages included, quotes {_quotes(self.default)}"
        return (f"{listed}; every other server and channel quotes {_quotes(self.default)}; "
                f"direct messages quote {_quotes(self.dms)}")

    def __bool__(self) -> bool:
        """Whether scopes are in force (a scopes file, even an empty one); without, every place sees everything."""
        return bool(self.path is not None or self.guilds or self.channels or self.default is not None
                    or self.dms is not None)


class ScopesFile:
    """The scopes in a file, re-read when the file changes (checked at most every ``CHECK_SECONDS``).

    The first read raises ``SettingsError`` on a bad file, as ``Scopes.load`` does. Later,
    a change is taken once it reads the same ``SETTLE_SECONDS`` after it was first seen: a
    file read half-way through an editor's save can be valid TOML that has lost a narrower
    scope further down. A file that has become unreadable or invalid is logged once per
    change and the last good scopes stay in force; ``on_change`` is called with each good
    new version.
    """

    CHECK_SECONDS = 1.5
    SETTLE_SECONDS = 0.5

    def __init__(self, path: Path | None, *, on_change: Callable[[Scopes], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self._on_change = on_change
        self._clock = clock
        self._lock = threading.Lock()
        self._content = _read(path) if path is not None else None
        self._scopes = Scopes.read(self._content, path) if path is not None else Scopes()
        self._seen: bytes | None | object = _NOTHING  # a change read once, not yet taken
        self._due = clock() + self.CHECK_SECONDS

    def current(self) -> Scopes:
        """The scopes in force: the file's, as of its last good version."""
        if self.path is None or self._clock() < self._due:
            return self._scopes
        with self._lock:
            now = self._clock()
            if now < self._due:  # another thread has just looked: its look is not a second reading
                return self._scopes
            try:
                content, unreadable = _read(self.path), None
            except SettingsError as exc:
                content, unreadable = None, exc
            if content not in (self._content, self._seen):  # changed: it may still be being written
                self._seen, self._due = content, now + self.SETTLE_SECONDS
                return self._scopes
            self._seen, self._due = _NOTHING, now + self.CHECK_SECONDS
            if content == self._content:  # unchanged (or still unreadable): nothing to say
                return self._scopes
            self._content = content
            try:
                if unreadable is not None:
                    raise unreadable
                scopes = Scopes.read(content, self.path)
            except SettingsError as exc:
                log.warning("%s; the scopes read before stay in force until it is fixed", exc)
                return self._scopes
            self._scopes = scopes
        log.info("the scopes file %s changed: %d place(s) scoped", self.path, len(scopes.all_patterns()))
        if self._on_change is not None:
            self._on_change(scopes)
        return scopes


def _read(path: Path) -> bytes:
    """The bytes of the scopes file (small: a change to them is what ``ScopesFile`` looks for).

    It is read on the bot's event loop, every few seconds: a file that is not a regular one
    (a FIFO would wait for a writer) or past ``MAX_BYTES`` is refused before it is read.
    """
    try:
        # Opened without blocking, then asked what it is: a FIFO swapped in would otherwise hang the open.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as file:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise SettingsError(f"the scopes file {path} is not a regular file (QABOT_DISCORD_SCOPES_FILE)")
            content = file.read(MAX_BYTES + 1)
    except OSError as exc:
        raise SettingsError(f"cannot read the scopes file {path} (QABOT_DISCORD_SCOPES_FILE): "
                            f"{exc.strerror or exc}") from None
    if len(content) > MAX_BYTES:
        raise SettingsError(f"the scopes file {path} is larger than {MAX_BYTES // 1024} kB: it cannot be scopes "
                            "(a place is one short line)")
    return content


def describe(patterns: Patterns | Scope | None, *, whose: str = "this server") -> str:
    """A scope for people: 'the whole corpus', 'nothing', or its patterns; and the server history it quotes (``whose``:
    this server's, or in a direct message, the servers its reader is in)."""
    if isinstance(patterns, Scope):
        chats = patterns.chats or frozenset()
        within = Scope(patterns.patterns) if patterns.patterns is not None else None
        shown = sum(1 for c in chats if within is None or within.matches(c))
        base = describe(patterns.patterns)
        return f"{base}; the history of {shown} channel(s) and thread(s) of {whose}" if shown else \
            f"{base}; no channel's history"
    if patterns is None:
        return "the whole corpus"
    return ", ".join(patterns) if patterns else "nothing"


def _quotes(patterns: Patterns | None) -> str:
    if patterns == NOWHERE:
        return 'nothing ("not configured here"; the file\'s default and dms open them)'
    return describe(patterns)


def _id(key: str, table: str, where: str) -> int:
    # One way to write an id: "0100" or "١٠٠" (int() reads both as 100) would be a second entry for it,
    # silently overriding the first.
    if not _ID.fullmatch(key) or int(key) >= 2**64:
        raise SettingsError(f"{where}: [{table}] key {key!r} is not a Discord id (a number, as Discord shows it)")
    return int(key)


def _patterns(value: Any, name: str, where: str) -> Patterns | None:
    """Patterns from a string or a list of strings; '*' alone is the whole corpus (None), an empty list nothing
    (``NOWHERE``: a channel closed in a server that is open, direct messages closed where the default is open)."""
    if value == []:
        return NOWHERE
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SettingsError(f"{where}: {name} must be a pattern or a list of patterns, like \"guides/\"")
    if [v.strip() for v in value] == ["*"]:
        return None
    try:
        scope = Scope.of(value)
    except QABotError as exc:
        raise SettingsError(f"{where}: {name}: {exc}") from None
    assert scope is not None
    return scope.patterns
