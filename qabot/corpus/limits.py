"""Bounds on reading one corpus file: its size, its unpacked size, the text it yields, the time it takes.

One file must never exhaust the machine that indexes it (a zip bomb, a Word file of
millions of empty paragraphs, a huge flat web page). ``ReaderLimits`` holds the four
bounds (``QABOT_READER_*`` settings); ``load_file`` applies them to every reader:

- **size**: a file larger than ``max_file_mb`` on disk is skipped before it is opened;
- **unpacked size**: markup a reader parses whole into a tree, an HTML page (an e-mail's HTML part too) or the XML
  parts of a Word file (and the web pages it imports) once unzipped, may be at most ``max_inflated_mb``, and all the
  parts of a Word file unzipped at most ``max_file_mb``. Both are read from the zip's
  directory before anything is unpacked (Python's ``zipfile`` never unpacks more than a
  part declares); that directory, which ``zipfile`` holds whole as an object a part, may
  itself take at most ``max_inflated_mb`` (read from its end record first: 100 MB of empty
  parts took 600 MB to list). A PDF's streams that may be page content may each (and a page's
  together, with the form XObjects it draws) inflate to at most ``max_inflated_mb``, and all
  to ``max_file_mb``, counted before PDFium opens it; a PDF page may draw at most ``PAGE_OBJECTS_PER_MB`` objects for
  each MB of ``max_inflated_mb`` (``qabot.corpus.pdf``), counted before PDFium builds its text, and a PDF may list
  at most ``PAGES_PER_MB`` pages for each MB of the file on disk, counted before any page is loaded (and at most
  ``pdf_streams.STREAMS_PER_MB`` streams, counted before PDFium opens it);
- **text**: the characters a file yields, counted as its reader builds them, at most
  ``max_text_mb`` million, and for plain text at most ``PARAGRAPHS_PER_MILLION``
  paragraphs for each million of them (counted before any is described);
- **time**: the seconds spent reading a file, at most ``seconds`` or ``SECONDS_PER_MB``
  for each MB of the file on disk, whichever is more (a big export is read at a few MB a
  second; a small hostile file still stops at ``seconds``), checked between the units of
  its reading (paragraphs, pages, messages, blocks of a page or of plain text's lines).

A file over a limit is skipped with one line that names it, the limit and its setting.

The text and time bounds are checked from inside the readers' loops, which know nothing
of settings: ``load_file`` puts the file's ``Budget`` in a context variable while its
reader runs, and ``spend`` and ``check`` charge it (they do nothing outside ``load_file``).
A reader that bounds something of its own by a setting (the PDF reader, the objects on a
page) finds the file's limits with ``current``.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from qabot.errors import CorpusError

if TYPE_CHECKING:
    from qabot.settings import Settings

MB = 1 << 20
# The time a file may take grows with its size: 200 MB of chat took ~45 s to untangle on an AVX-512 EPYC, and 0.43 s
# a MB (40 MB in 17 s) on a 2-core AVX2 one, where 0.5 s a MB skipped the whole 200 MB export at 101 s.
SECONDS_PER_MB = 1.0
# Those seconds are the reading thread's own (CPU) time, which a busy machine does not stretch (an 84 MB export: 20 s
# of it, and 24 to 40 s on the clock, skipped once at 81 s); a reader that waits (a slow disk) is stopped by the clock
# at this many times its allowance.
WAITING_FACTOR = 4
CHECK_EVERY = 1024  # items between two checks of a file's time where a reader loops over many small ones
PARAGRAPHS_PER_MILLION = 8_000  # paragraphs a file may hold for each million characters of its text limit
# Parts of an Office file that are parsed into a tree (and those of an XML type, or of a type in PARSED_TYPES): XML,
# and a web page or archive that a Word file imports whole (``w:altChunk``), which its reader parses as HTML.
XML_PARTS = (".xml", ".rels", ".vml", ".htm", ".html", ".mht", ".mhtml")
PARSED_TYPES = ("text/html", "message/rfc822")
CONTENT_TYPES = "[Content_Types].xml"  # an Office file's part types
NAME_CHARS = 80  # the longest name Discord gives anyone (a webhook's); a longer one in an export is cut, ending "…"


class OverLimit(CorpusError):
    """A file went over one of the reader limits; the message names the limit and its setting."""


@dataclass(frozen=True)
class ReaderLimits:
    """The bounds on reading one file (defaults: ``qabot.settings.Settings``'s)."""

    max_file_mb: float = 256.0
    max_inflated_mb: float = 4.0  # a 4 MB web page yields ~10k passages: minutes of embedding on a CPU
    max_text_mb: float = 64.0
    seconds: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ReaderLimits:
        return cls(settings.reader_max_file_mb, settings.reader_max_inflated_mb, settings.reader_max_text_mb,
                   settings.reader_seconds)

    def check_file(self, path: Path, container: str | None, markup: bool) -> None:
        """Raise ``OverLimit`` when the file, or what it unpacks to, is too large to read."""
        size = path.stat().st_size
        if size > self.max_file_mb * MB:
            raise OverLimit(f"{_mb(size)} on disk, over the {self.max_file_mb:g} MB limit "
                            "(QABOT_READER_MAX_FILE_MB)")
        if markup:
            self.check_markup(size)
        if container == "zip":
            if (listed := directory_size(path)) > self.max_inflated_mb * MB:
                raise OverLimit(f"its list of parts takes {_mb(listed)}, over the {self.max_inflated_mb:g} MB limit "
                                "(QABOT_READER_MAX_INFLATED_MB)")
            xml, everything = unpacked_sizes(path)
            if everything > self.max_file_mb * MB:
                raise OverLimit(f"unpacks to {_mb(everything)}, over the {self.max_file_mb:g} MB limit "
                                "(QABOT_READER_MAX_FILE_MB)")
            if xml > self.max_inflated_mb * MB:
                raise OverLimit(f"its XML unpacks to {_mb(xml)}, over the {self.max_inflated_mb:g} MB limit "
                                "(QABOT_READER_MAX_INFLATED_MB)")


    def check_markup(self, size: int, what: str = "") -> None:
        """Raise ``OverLimit`` when ``size`` bytes of markup, to be parsed whole (a web page, an e-mail's HTML part),
        are over ``max_inflated_mb``; ``what`` names them in the message, where the file is more than them."""
        if size > self.max_inflated_mb * MB:
            raise OverLimit(f"{what}{_mb(size)} of markup to parse, over the {self.max_inflated_mb:g} MB limit "
                            "(QABOT_READER_MAX_INFLATED_MB)")


def directory_size(path: Path) -> int:
    """The bytes of a zip's central directory (its list of parts), as its end record gives them, read as ``zipfile``
    reads them before it lists the parts (a Word file's: a few KB). Not a zip: 0, and the reader says what it is."""
    try:
        with path.open("rb") as file:
            end = zipfile._EndRecData(file)  # zipfile's own reading of it, zip64 included
    except (zipfile.BadZipFile, OSError, ValueError):
        return 0
    return 0 if end is None else end[zipfile._ECD_SIZE]


def unpacked_sizes(path: Path) -> tuple[int, int]:
    """(XML parts, all parts) of a zip, in bytes once unpacked, as its directory declares them.

    Not a zip: (0, 0), and the reader says what the file is.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            typed = _xml_typed(archive)
    except (zipfile.BadZipFile, OSError, ValueError):
        return 0, 0
    xml = sum(p.file_size for p in parts if p.filename.lower().endswith(XML_PARTS) or typed(p.filename))
    return xml, sum(p.file_size for p in parts)


def _xml_typed(archive: zipfile.ZipFile) -> Callable[[str], bool]:
    """Whether a part of an Office file is XML by the type its ``[Content_Types].xml`` gives it, whatever its name.

    python-docx parses a part by its type, not its name: a main document named
    ``word/document.dat`` is parsed whole too (40 MB of it, in a 61 KB file, took 940 MB).
    So does the Word reader a web page it imports whole (200 MB of it, in 650 KB, took 2 GB).
    An image's type (``image/svg+xml``) is no part it parses.
    """
    from lxml import etree

    try:
        info = archive.getinfo(CONTENT_TYPES)
    except KeyError:
        return lambda name: False  # python-docx cannot open it: nothing is parsed
    if info.file_size > MB:  # a real one is a few KB: every part is counted
        return lambda name: True
    try:
        data = archive.read(info)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError):  # damaged: every part is counted, the reader says why
        return lambda name: True
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return lambda name: False  # nor can it read this one
    extensions, names = set(), set()
    for entry in root:
        kind = (entry.get("ContentType") or "").lower()
        if ("xml" not in kind and kind not in PARSED_TYPES) or kind.startswith("image/"):
            continue
        if entry.get("Extension") is not None:
            extensions.add(entry.get("Extension").lower())
        if entry.get("PartName") is not None:
            names.add(entry.get("PartName").lstrip("/").lower())
    return lambda name: name.lower() in names or name.rpartition(".")[2].lower() in extensions


class Budget:
    """What one file may still spend: characters of text, and seconds of its reader's time (the reading thread's own
    time, and at most ``WAITING_FACTOR`` times as much on the clock)."""

    def __init__(self, limits: ReaderLimits, size: int = 0) -> None:
        self.limits = limits
        self.allowed = max(limits.seconds, size / MB * SECONDS_PER_MB)  # seconds this file may take
        self.chars = 0
        self.seconds = self.waited = 0.0  # spent before the current stretch of reading: own time, and on the clock
        self._since: tuple[float, float] | None = None  # the current stretch began (thread time, monotonic); None: not reading now

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """A stretch of the reader's own work (between two documents it yields, in one thread): charged to this file."""
        token = _current.set(self)
        self._since = (time.thread_time(), time.monotonic())
        try:
            yield
        finally:
            own, clock = self._spent()
            self.seconds, self.waited, self._since = own, clock, None
            _current.reset(token)

    def _spent(self) -> tuple[float, float]:
        if self._since is None:
            return self.seconds, self.waited
        return (self.seconds + time.thread_time() - self._since[0], self.waited + time.monotonic() - self._since[1])

    def spend(self, chars: int) -> None:
        self.chars += chars
        if self.chars > self.limits.max_text_mb * 1e6:
            raise OverLimit(f"yields more than {self.limits.max_text_mb:g} million characters of text "
                            "(QABOT_READER_MAX_TEXT_MB)")
        self.check()

    def paragraphs(self, count: int) -> None:
        """Raise ``OverLimit`` past ``PARAGRAPHS_PER_MILLION`` paragraphs for each million characters of the text
        limit: each paragraph costs some 800 bytes to describe, so 9 MB of one-letter lines would take 4.6 GB."""
        most = int(PARAGRAPHS_PER_MILLION * self.limits.max_text_mb)
        if count > most:
            raise OverLimit(f"holds more than {most:,} paragraphs ({PARAGRAPHS_PER_MILLION:,} for each million "
                            "characters of QABOT_READER_MAX_TEXT_MB)")
        self.check()

    def check(self) -> None:
        own, clock = self._spent()
        if own > self.allowed or clock > WAITING_FACTOR * self.allowed:
            why = ("QABOT_READER_SECONDS" if self.allowed == self.limits.seconds else
                   f"{SECONDS_PER_MB:g} s per MB of the file, more than QABOT_READER_SECONDS")
            if own > self.allowed:
                raise OverLimit(f"reading it took longer than {self.allowed:g} s ({why})")
            raise OverLimit(f"reading it took longer than {WAITING_FACTOR * self.allowed:g} s on the clock "
                            f"({WAITING_FACTOR} times {why}: it waited for the file)")


_current: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("qabot_reader_budget", default=None)


def spend(chars: int) -> None:
    """Charge ``chars`` characters of text (and the time so far) to the file being read; raises ``OverLimit``."""
    budget = _current.get()
    if budget is not None:
        budget.spend(chars)


def paragraphs(count: int) -> None:
    """Raise ``OverLimit`` when the file being read holds more paragraphs than its text limit allows (or has taken
    too long)."""
    budget = _current.get()
    if budget is not None:
        budget.paragraphs(count)


def check() -> None:
    """Raise ``OverLimit`` when the file being read has taken longer than its reader may."""
    budget = _current.get()
    if budget is not None:
        budget.check()


_T = TypeVar("_T")


def checked(items: Iterable[_T]) -> Iterator[_T]:
    """``items``, checking the time of the file being read every ``CHECK_EVERY`` of them: a loop over millions of
    small things (lines, events, paragraphs) that yields no text is stopped like any other reading."""
    for count, item in enumerate(items):
        if not count % CHECK_EVERY:
            check()
        yield item


def current() -> ReaderLimits:
    """The limits of the file being read (the defaults outside ``load_file``), for a bound a reader derives from one."""
    budget = _current.get()
    return budget.limits if budget is not None else ReaderLimits()


def per_mb(count: int, size: int) -> int:
    """``count`` for each MB of a file of ``size`` bytes, begun: the most of a thing it may hold (a PDF's pages)."""
    return count * max(1, math.ceil(size / MB))


def _mb(size: float) -> str:
    return f"{size / MB:,.1f} MB" if size < 100 * MB else f"{size / MB:,.0f} MB"
