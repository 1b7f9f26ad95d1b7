"""What a PDF's compressed streams inflate to, bounded before PDFium opens the file (``check_streams``).

Like a zip bomb, 500 KB of PDF can inflate to a page content stream of 350 MB, which
PDFium parses whole when it loads the page, and 40 KB to one text object of 15 million
characters; 733 bytes of form XObjects that draw each other make PDFium parse without end.
The streams are found in the file's bytes (read once: at most ``QABOT_READER_MAX_FILE_MB``;
a mapping would be cheaper, but a file cut short while it is read, as a download or a copy
in place does, makes a mapped read kill the process), and each is inflated a chunk at a
time and counted, never held: see ``check_streams`` for the bounds, and ``pdf_forms`` for
what forms draw. ``qabot.corpus.pdf`` calls it before anything else. Listing the streams is
bounded too: each byte is looked at as a stream's dictionary once, and a file of more than
``STREAMS_PER_MB`` streams for each MB of it is skipped as they are listed (10 MB of empty
streams took 86 s and 240 MB to list). A stream's dictionary is read as PDFium reads it
(``_plain``): a comment is white space, a string holds no key, a name's ``#61`` is its "a".
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qabot.corpus import limits
from qabot.corpus.pdf_forms import Forms, first_object, integer, is_form, object_number

# A comment is white space to PDFium: one between ">>" and "stream" hid a stream from every count.
_STREAM = re.compile(rb">>(?:[\x00\t\n\f\r ]|%[^\r\n]*+)*+stream(?:\r\n|\r|\n)?")
_LENGTH = re.compile(rb"/Length[\x00\t\n\f\r ]+(\d+)(?![\x00\t\n\f\r ]+\d+[\x00\t\n\f\r ]+R)")
_FILTER = re.compile(rb"/Filter[\x00\t\n\f\r ]*(\[[^\]]*\]|/[^\x00\t\n\f\r /\[\]<>()]+)")
_NAME = re.compile(rb"/([^\x00\t\n\f\r /\[\]<>()]+)")
# Not drawn as page content: an image, a font program (/Length1-3, or a compact font's /Subtype), an attachment.
_NOT_CONTENT = re.compile(rb"/Subtype[\x00\t\n\f\r ]*/(?:Image|Type1C|CIDFontType0C|OpenType)\b"
                          rb"|/Length[123]\b|/Type[\x00\t\n\f\r ]*/EmbeddedFile\b")
# A font program, which PDFium inflates whole to read the text set in it (1,000 MB of one took 2 GB).
_FONT = re.compile(rb"/Subtype[\x00\t\n\f\r ]*/(?:Type1C|CIDFontType0C|OpenType)\b|/Length[123]\b")
_OBJECT_STREAM = re.compile(rb"/Type[\x00\t\n\f\r ]*/ObjStm\b")
_CONTENTS = re.compile(rb"/Contents[\x00\t\n\f\r ]*(\[[\d\x00\t\n\f\r ]*(?:R[\d\x00\t\n\f\r ]*)*\]"
                       rb"|\d+[\x00\t\n\f\r ]+\d+[\x00\t\n\f\r ]+R)")
_EARLY_CHANGE_0 = re.compile(rb"/EarlyChange[\x00\t\n\f\r ]+0(?![\d.])")
_REFERENCE = re.compile(rb"(\d+)[\x00\t\n\f\r ]+\d+[\x00\t\n\f\r ]+R")
_IMAGE_FILTERS = frozenset({b"DCTDecode", b"DCT", b"JPXDecode", b"CCITTFaxDecode", b"CCF", b"JBIG2Decode"})
_WHITESPACE = b"\x00\t\n\f\r "
_LEXED = re.compile(rb"[()\\%]")  # what begins or ends a string or a comment, or escapes in a string
_LINE_END = re.compile(rb"[\r\n]")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_NAME_CHARS = frozenset(range(0x21, 0x7F)) - frozenset(b"()<>[]{}/%#")
_CHUNK = 1 << 16  # bytes of a stream read, or inflated, at a time
_DICTIONARY_REACH = 1 << 16  # how far before ``stream`` its dictionary is taken to begin where it has no header
STREAMS_PER_MB = 10_000  # streams a PDF may hold for each MB of it, begun: a real one's average a few KB, 100 bytes at least


@dataclass(slots=True)
class _Stream:
    number: int | None  # its object number, where its header was found
    start: int
    end: int
    filters: list[bytes]
    content: bool  # may be page content (not an image, a font program or an attachment)
    objects: bool  # an object stream: the objects in it are read for page contents (and forms' resources)
    form: bytes | None = None  # a form XObject's dictionary, where its resources are
    first: int = 0  # where an object stream's objects begin in it
    early: int = 1  # LZWDecode's /EarlyChange: its codes widen one code early (1, the default) or not (0)
    font: bool = False  # a font program: counted with all the file's streams, not as a page's content


def check_streams(path: Path, bound: limits.ReaderLimits) -> None:
    """Raise ``OverLimit`` when the file's compressed streams inflate past its limits, inflating none whole.

    Each stream that may be drawn as page content (any but an image, a font program or an
    attachment), and each object stream (whatever else it says: PDFium inflates it whole to read
    an object in it), may inflate to at most ``max_inflated_mb``, and so may the streams a page's
    ``/Contents`` names, together (an image's stream named there counts too); all of them, and
    the fonts' programs (which PDFium inflates whole to read the text), to at most
    ``max_file_mb``. Where the file has form XObjects, what a page draws counts too:
    its content, and each form it draws as many times as it draws it, with what that form draws
    in turn (``pdf_forms``), at most ``max_inflated_mb``; a form that draws itself is refused.
    Filters read: FlateDecode, LZWDecode, RunLengthDecode,
    ASCIIHexDecode, ASCII85Decode and chains of them; what a stream inflates to is counted as
    far as they go (not an encrypted file's streams). A malformed file is counted as far as
    it can be, and left to PDFium to judge.
    """
    try:
        data = path.read_bytes()  # read, not mapped: a file cut short meanwhile would make a mapped read a SIGBUS
    except OSError:  # unreadable: PDFium says why
        return
    _check_streams(data, bound)


def _check_streams(data: bytes, bound: limits.ReaderLimits) -> None:
    most = bound.max_inflated_mb * limits.MB
    streams, contents = _streams(data)
    dictionaries = {stream.number: stream.form for stream in streams if stream.form and stream.number is not None}
    forms = Forms(dictionaries) if dictionaries else None  # what forms and pages draw is counted where there are forms
    named = {number for page in contents for number in page}
    sizes: dict[int, int] = {}
    total = 0
    for stream in streams:
        if not stream.content and not stream.font:
            continue
        limits.check()
        kept = bytearray() if stream.objects else None
        drawn = stream.form is not None or stream.number in named
        size = _inflated(data, stream, most if stream.content else bound.max_file_mb * limits.MB - total, kept,
                         forms if drawn else None)
        total += size
        if size > most and stream.content:
            raise limits.OverLimit(f"a stream in it{_object(stream)} inflates to more than "
                                   f"{bound.max_inflated_mb:g} MB, over the limit (QABOT_READER_MAX_INFLATED_MB)")
        if total > bound.max_file_mb * limits.MB:
            raise limits.OverLimit(f"its streams inflate to more than {bound.max_file_mb:g} MB, over the limit "
                                   "(QABOT_READER_MAX_FILE_MB)")
        if stream.number is not None and stream.content:
            sizes[stream.number] = max(size, sizes.get(stream.number, 0))
        if kept is not None:
            objects = bytes(kept)  # one copy, up to QABOT_READER_MAX_INFLATED_MB
            found = _contents(objects, 0, len(objects))
            contents += found
            named.update(number for page in found for number in page)
            if forms is not None:
                forms.keep(objects, stream.first)
    for stream in streams:  # a stream that says it is an image, but is a page's content
        if not stream.content and stream.number in named and stream.number not in sizes:
            limits.check()
            sizes[stream.number] = _inflated(data, stream, most + 1, None, forms)
    for page in contents:
        if sum(sizes.get(number, 0) for number in page) > most:
            raise limits.OverLimit(f"a page's content streams inflate to more than {bound.max_inflated_mb:g} MB, "
                                   "over the limit (QABOT_READER_MAX_INFLATED_MB)")
    if forms is not None:
        for stream in streams:  # a page's content named in an object stream after it was inflated: counted again
            if stream.content and stream.number in named and stream.number not in forms.draws:
                limits.check()
                _inflated(data, stream, most + 1, None, forms)
        forms.check(data, sizes, contents, bound)


def _object(stream: _Stream) -> str:
    return f" (object {stream.number})" if stream.number is not None else ""


def _streams(data: bytes) -> tuple[list[_Stream], list[list[int]]]:
    """The streams of a PDF's bytes, and the object numbers each page's ``/Contents`` names (outside object streams)."""
    streams: list[_Stream] = []
    contents: list[list[int]] = []
    position = 0
    size = len(data)
    most = limits.per_mb(STREAMS_PER_MB, size)
    while True:
        found = _STREAM.search(data, position)
        if found is None:
            contents += _contents(data, position, size)
            return streams, contents
        limits.check()
        if len(streams) >= most:
            raise limits.OverLimit(f"it holds more than {most:,} streams, {STREAMS_PER_MB:,} for each MB of the file")
        # What lies between the stream before it (not back into that stream) and this one, read once as PDFium reads
        # it from that stream's end, for the pages' contents and this stream's header: an "obj" in a string
        # ("(x obj % )") or a comment is none, and was taken for the header, hiding the filter after it.
        dictionary = _plain(bytes(data[position : found.end()]))
        contents += _contents(dictionary, 0, len(dictionary), plain=True)
        header = dictionary.rfind(b"obj")
        number = object_number(dictionary, header) if header >= 0 else None
        dictionary = dictionary[header + 3 :] if header >= 0 else dictionary[-_DICTIONARY_REACH:]
        start = found.end()
        length = integer(found_length[1]) if (found_length := _LENGTH.search(dictionary)) else -1
        end = -1
        if length >= 0 and bytes(data[start + length : start + length + 12]).lstrip(_WHITESPACE).startswith(b"endstream"):
            end = start + length
        if end < 0:
            end = data.find(b"endstream", start)
            end = size if end < 0 else end
        listed = _FILTER.search(dictionary)
        filters = _NAME.findall(listed[1]) if listed else []
        form = dictionary if is_form(dictionary) else None  # drawn as content, whatever else its dictionary says
        objects = bool(_OBJECT_STREAM.search(dictionary))
        streams.append(_Stream(number, start, end, filters,  # a form, or an object stream, whatever else it says
                               form is not None or objects or not _NOT_CONTENT.search(dictionary)
                               and not _IMAGE_FILTERS.intersection(filters),
                               objects, form, first_object(dictionary) if objects else 0,
                               0 if _EARLY_CHANGE_0.search(dictionary) else 1, bool(_FONT.search(dictionary))))
        position = max(end, start)


def _plain(dictionary: bytes) -> bytes:
    """A stream's dictionary (or the objects between two streams) as PDFium reads its keys and names: its comments
    white space, its strings emptied (a "/Filter" in either is none), and each ``#xx`` in a name that stands for a
    name's own character decoded ("/Fl#61teDecode" is FlateDecode)."""
    if b"%" in dictionary or b"(" in dictionary:
        out, depth, at, skip = bytearray(), 0, 0, -1
        for found in limits.checked(_LEXED.finditer(dictionary)):  # a page's objects, between streams: any length
            where, char = found.start(), dictionary[found.start()]
            if where <= skip:
                continue
            if depth:
                if char == 0x5C:  # a backslash escapes the next character
                    skip = where + 1
                elif char in b"()":
                    depth += 1 if char == 0x28 else -1
                    if not depth:  # the string's end: what it held is left out
                        out += b"()"
                        at = where + 1
            elif char == 0x28:
                out += dictionary[at:where]
                at, depth = where, 1
            elif char == 0x25:  # a comment, to the end of its line
                line_end = _LINE_END.search(dictionary, where)
                out += dictionary[at:where] + b" "
                at = skip = line_end.start() if line_end else len(dictionary)
        dictionary = bytes(out + dictionary[at:])  # a string never closed: what follows it, as it is
    if b"#" in dictionary:
        dictionary = _ESCAPE.sub(lambda escape: bytes((value,)) if (value := int(escape[1], 16)) in _NAME_CHARS
                                 else escape[0], dictionary)
    return dictionary


def _contents(data: bytes, start: int, end: int, plain: bool = False) -> list[list[int]]:
    if not plain and (data.find(b"%", start, end) >= 0 or data.find(b"#", start, end) >= 0):  # as PDFium reads it
        data, start, end = _plain(data[start:end]), 0, end - start
    return [[integer(n) for n in _REFERENCE.findall(m[1])] for m in _CONTENTS.finditer(data, start, end)]


def _inflated(data: bytes, stream: _Stream, most: float, kept: bytearray | None = None,
              forms: Forms | None = None) -> int:
    """The bytes ``stream`` decodes to, counted until past ``most``; what it decodes to is added to ``kept`` (an
    object stream's), and the XObjects it draws counted by name in ``forms``."""
    chunks: Iterator[bytes] = (bytes(data[at : min(at + _CHUNK, stream.end)])
                               for at in range(stream.start, stream.end, _CHUNK))
    filters = stream.filters
    while filters and filters[-1] in _SHRINK:
        filters = filters[:-1]  # decoded, ASCII hex or base-85 is smaller than it is: counted as it is
    for name in filters:
        decode = _DECODERS.get(name)
        if decode is None:
            break  # Crypt, or a filter no page content uses: counted as far as the filters before it go
        chunks = _lzw(chunks, stream.early) if decode is _lzw else decode(chunks)
    if forms is not None and stream.number is not None:
        chunks = forms.counting(chunks, stream.number)
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if kept is not None:
            kept += chunk
        if size > most:
            break
    return size


def _flate(chunks: Iterator[bytes]) -> Iterator[bytes]:
    inflater = zlib.decompressobj()
    try:
        for chunk in chunks:
            while not inflater.eof:
                out = inflater.decompress(chunk, _CHUNK)  # never more than a chunk at a time: a bomb is never held
                chunk = inflater.unconsumed_tail
                if out:
                    yield out
                if not chunk and len(out) < _CHUNK:
                    break
            if inflater.eof:
                return
    except zlib.error:  # corrupt: what inflated so far is counted
        return


def _hex(chunks: Iterator[bytes]) -> Iterator[bytes]:
    carry = b""
    for chunk in chunks:
        end = chunk.find(b">")
        digits = carry + (chunk if end < 0 else chunk[:end]).translate(None, _WHITESPACE)
        even = len(digits) - len(digits) % 2
        try:
            yield binascii.unhexlify(digits[:even])
        except binascii.Error:
            return
        carry = digits[even:]
        if end >= 0:
            return


def _ascii85(chunks: Iterator[bytes]) -> Iterator[bytes]:
    carry = b""
    for chunk in chunks:
        end = chunk.find(b"~>")
        letters = carry + (chunk if end < 0 else chunk[:end]).translate(None, _WHITESPACE).replace(b"z", b"!!!!!")
        whole = len(letters) - (len(letters) % 5 if end < 0 else 0)
        try:
            yield base64.a85decode(letters[:whole])
        except ValueError:
            return
        carry = letters[whole:]
        if end >= 0:
            return


def _lzw(chunks: Iterator[bytes], early: int = 1) -> Iterator[bytes]:
    """LZWDecode, as PDFium reads it: 9- to 12-bit codes, most significant bit first; 256 clears the table, 257
    ends the data. Output comes in pieces of about ``_CHUNK``; the table holds at most 4,096 entries (8 MB)."""
    table = [bytes((byte,)) for byte in range(256)] + [b"", b""]
    width, previous, buffer, bits = 9, b"", 0, 0
    out: list[bytes] = []
    held = 0
    for chunk in chunks:
        for byte in chunk:
            buffer, bits = (buffer << 8) | byte, bits + 8
            if bits < width:
                continue
            bits -= width
            code, buffer = buffer >> bits, buffer & ((1 << bits) - 1)
            if code == 256:
                del table[258:]
                width, previous = 9, b""
                continue
            if code == 257:
                break
            if code < len(table):
                entry = table[code]
            elif code == len(table) and previous:
                entry = previous + previous[:1]  # the entry this very code adds
            else:
                break  # corrupt: what decoded so far is counted
            if previous and len(table) < 4096:
                table.append(previous + entry[:1])
                if len(table) + early >= 1 << width and width < 12:
                    width += 1
            previous = entry
            out.append(entry)
            held += len(entry)
            if held >= _CHUNK:
                yield b"".join(out)
                out, held = [], 0
        else:
            continue
        break
    yield b"".join(out)


def _run_length(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """RunLengthDecode: a length byte n, then n + 1 bytes as they are (n < 128) or one byte 257 - n times (n > 128);
    128 ends the data. Output comes in pieces of about ``_CHUNK`` (a run is at most 128 bytes)."""
    carry = b""
    for chunk in chunks:
        data, at, out, held = carry + chunk, 0, [], 0
        while at < len(data):
            length = data[at]
            if length == 128:
                yield b"".join(out)
                return
            end = at + 2 + length if length < 128 else at + 2
            if end > len(data):
                break  # the run goes on in the next chunk
            piece = data[at + 1 : end] if length < 128 else data[at + 1 : end] * (257 - length)
            out.append(piece)
            held += len(piece)
            at = end
            if held >= _CHUNK:
                yield b"".join(out)
                out, held = [], 0
        carry = data[at:]
        yield b"".join(out)


_SHRINK = frozenset({b"ASCIIHexDecode", b"AHx", b"ASCII85Decode", b"A85"})
_DECODERS = {b"FlateDecode": _flate, b"Fl": _flate, b"ASCIIHexDecode": _hex, b"AHx": _hex,
             b"ASCII85Decode": _ascii85, b"A85": _ascii85, b"LZWDecode": _lzw, b"LZW": _lzw,
             b"RunLengthDecode": _run_length, b"RL": _run_length}
