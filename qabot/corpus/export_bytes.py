"""An export's file read as the UTF-8 JSON it holds (``qabot.corpus.discord_export``), where a tool that re-saved it
put a byte-order mark before it, or recoded it as UTF-16 or UTF-32; or where it spells a lone surrogate (``mended``)."""

from __future__ import annotations

import codecs
import io
import re
from pathlib import Path
from typing import BinaryIO, Self, cast

from qabot.corpus import limits
from qabot.corpus.files import bom_codec

# A JSON escape of a surrogate ("\udc00"; a character past the BMP is a pair of them: "\ud83d\ude00"), and of its second
# half; either is text where its backslash is escaped ("\\udc00" is the text "\udc00").
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SECOND_HALF = re.compile(rb"\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_REPLACEMENT = rb"\ufffd"  # U+FFFD, escaped: as long as what it replaces, one code point for one
# A surrogate's escape that may be lone, as a file is looked through a block at a time: a first half not followed by
# a second, or a second not after a first that a backslash begins; one of a pair (an emoji, where the JSON was written
# ASCII-only, as Python's json writes it) is no reason to hold the file whole.
# (Each begins "\u", which the regex engine looks for fast: 0.04 s for 80 MB, where a lookbehind first took 1.8 s.)
_MAYBE_LONE = re.compile(rb"\\u(?:[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"
                         rb"|(?<!(?<!\\)\\u[dD][89abAB][0-9a-fA-F]{2}\\u)[dD][c-fC-F][0-9a-fA-F]{2})")
_BLOCK = 1 << 18  # bytes read at a time to look for one
_AFTER = 6  # bytes after an escape that tell whether it is a first half alone
_BEFORE = 7  # and before it, whether it is a second half alone


def open_export(path: Path, *, mend: bool = False) -> BinaryIO:
    """The file, for reading from its JSON's first byte: after a UTF-8 byte-order mark, where a tool that re-saved
    it (on Windows) wrote one. DiscordChatExporter never does, and a JSON parser takes the mark for a bad character.
    One re-saved as UTF-16 or UTF-32 (Notepad's "Unicode", PowerShell 5's ``>``), as its mark says, is read as the
    UTF-8 it was. ``mend``: its lone surrogates read as U+FFFD (``mended``), the file held whole to do so."""
    handle = path.open("rb")
    if codec := bom_codec(handle.read(4)):
        handle = cast(BinaryIO, _Recoded(handle, codec[:6]))  # "utf-16": the codec that reads the mark
    else:
        rewind(handle)
    if not mend:
        return handle
    with handle:
        return io.BytesIO(mended(handle.read())[0])


def mended(data: bytes) -> tuple[bytes, int]:
    """JSON ``data`` with each lone surrogate it spells (``"\\udc00"``; JSON allows one, but it is no character) spelt
    as U+FFFD instead, and how many there were. The JSON parser decodes strings as it reads them, and fails on one
    ("not valid UTF-8": a whole export was skipped for one bad character), or, where it is a first half, reads it as
    a question mark; as the ``.jsonl`` reader does, each is U+FFFD, one code point for one."""
    out, count = bytearray(data), 0  # each replaced in place (as long as what it replaces): no list of pieces
    paired = 0  # where the pair last read ends
    for match in limits.checked(_SURROGATE.finditer(data)):  # a file of nothing else: millions
        at = match.start()
        if at < paired or _escaped(data, at):
            continue
        if data[at + 3] in b"89abAB" and _SECOND_HALF.match(data, at + 6):  # a first half, and its second: a character
            paired = at + 12
            continue
        out[at : match.end()] = _REPLACEMENT
        count += 1
    return bytes(out) if count else data, count


def _escaped(data: bytes, at: int) -> bool:
    """Whether the backslash at ``at`` is text (after an odd run of backslashes), not the start of an escape."""
    start = at
    while start and data[start - 1] == ord("\\"):
        start -= 1
    return (at - start) % 2 == 1


def lone_surrogates(path: Path) -> int:
    """How many lone surrogates the export's JSON spells (``mended``): the file is looked through a block at a time
    for one (a tenth of a second for 80 MB), and held whole to count them only where it may hold one."""
    with open_export(path) as handle:
        tail = b""
        while True:
            block = handle.read(_BLOCK)
            seen = tail + block
            after = max(0, len(tail) - _AFTER)  # an escape that begins before was looked at with the block before
            before = len(seen) - _AFTER if block else len(seen)  # one after, with the bytes that follow it
            found = _MAYBE_LONE.search(seen, after)
            if found and found.start() < before:
                break
            if not block:
                return 0
            tail = seen[-(_BEFORE + _AFTER) :]
        rewind(handle)
        return mended(handle.read())[1]


def rewind(handle: BinaryIO) -> None:
    handle.seek(0)
    if not isinstance(handle, _Recoded) and handle.read(len(codecs.BOM_UTF8)) != codecs.BOM_UTF8:
        handle.seek(0)


class _Recoded:
    """A UTF-16 or UTF-32 file as the UTF-8 bytes a JSON parser reads, decoded as it is read."""

    def __init__(self, handle: BinaryIO, codec: str) -> None:
        self._handle, self._codec = handle, codec
        self.seek(0)  # the mark is read again, by the codec

    def read(self, size: int = -1) -> bytes:
        return self._reader.read(size).encode("utf-8")

    def seek(self, offset: int) -> None:
        self._handle.seek(offset)
        self._reader = codecs.getreader(self._codec)(self._handle)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self._handle.close()
