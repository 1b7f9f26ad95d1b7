"""An export's file read as the UTF-8 JSON it holds (``qabot.corpus.discord_export``), where a tool that re-saved it
put a byte-order mark before it, or recoded it as UTF-16 or UTF-32."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import BinaryIO, Self, cast

from qabot.corpus.files import bom_codec


def open_export(path: Path) -> BinaryIO:
    """The file, for reading from its JSON's first byte: after a UTF-8 byte-order mark, where a tool that re-saved
    it (on Windows) wrote one. DiscordChatExporter never does, and a JSON parser takes the mark for a bad character.
    One re-saved as UTF-16 or UTF-32 (Notepad's "Unicode", PowerShell 5's ``>``), as its mark says, is read as the
    UTF-8 it was."""
    handle = path.open("rb")
    if codec := bom_codec(handle.read(4)):
        return cast(BinaryIO, _Recoded(handle, codec[:6]))  # "utf-16": the codec that reads the mark
    rewind(handle)
    return handle


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
