"""Hostile corpus files, written at test time (never committed): each would exhaust a reader without its limits.

- ``docx_bomb``: a small Word file whose one paragraph unzips to ``mb`` of text;
- ``docx_paragraphs``: a small Word file of ``mb`` of empty paragraphs (a huge XML tree, no text);
- ``docx_parts``: a Word file of ``parts`` empty parts: a zip whose list of parts alone takes ten times its size;
- ``docx_chunk``: a small Word file whose body imports a web page whole (``w:altChunk``), ``mb`` of HTML
  (``.mht``: a web archive of it), as HTML-to-Word tools write one; Word converts it when it opens the file;
- ``flat_html``: a page of ``mb`` of sibling blocks straight in ``<body>``, no main container;
- ``big_export``: a DiscordChatExporter export of ``mb``, as a big server's history is: legitimate,
  and to be indexed. Written message by message, as the exporter does;
- ``deep_export``: an export whose one message is ``mb`` of nested brackets (``[[[[...]]]]``): ijson
  names each event by its path, so its paths alone would take gigabytes;
- ``pdf_lines``: a PDF whose one page draws ``mb`` of text, a line at a time, compressed to a
  thirtieth of that: PDFium's text page for it would take some 240 bytes a character;
- ``pdf_tj``: a PDF whose one page draws one text object, a ``TJ`` array of ``mb`` of strings:
  one object, and millions of characters for PDFium's text page;
- ``pdf_shows``: a PDF whose one page shows ``(x)`` an object at a time, ``mb`` of it in a stream
  compressed a thousandfold: PDFium runs out of memory loading the page;
- ``pdf_labels``: a PDF of 2,000 pages whose page labels share a prefix of ``mb`` million
  characters: PDFium builds each page's label whole;
- ``pdf_font``: a PDF of one line in a font whose program inflates to ``mb`` (1,000 MB in 1 MB
  of PDF): PDFium inflates it whole to read the text;
- ``pdf_empty_streams``: ``mb`` of empty streams (61,000 to a MB), each listed before PDFium
  opens the file;
- ``pdf_listed``: a PDF of one page whose page tree says it has a million (600 bytes), or
  lists a million pages it does not hold (11 MB): each is a page to load, and to lay out;
- ``form_cycle``, ``form_dag``: a PDF of a few KB whose form XObjects draw each other, in a
  cycle or each the next twice (``pdf_forms`` writes any such file): PDFium parses every form
  a page draws, and every form those draw, when it loads the page.

Sizes are in MiB. ``python -m tests.hostile KIND MB PATH`` writes one from the shell.
"""

from __future__ import annotations

import json
import random
import struct
import sys
import zipfile
import zlib
from pathlib import Path

MB = 1 << 20
_WORDS = ("the harbour board met weekly to decide on repairs of the old stone bridge while archive letters and "
          "ledgers about telescope domes lenses patterns glob tool pip install upgrade moved slowly").split()

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="word/document.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/></Relationships>')
_BODY = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
_END = b"</w:body></w:document>"


def _docx(path: Path, middle: bytes, repeat: int, *, before: bytes = b"", after: bytes = b"",
          name: str = "word/document.xml") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES.replace("/word/document.xml", f"/{name}"))
        archive.writestr("_rels/.rels", _RELS.replace("word/document.xml", name))
        with archive.open(name, "w", force_zip64=True) as part:
            part.write(_BODY + before)
            for _ in range(repeat):
                part.write(middle)
            part.write(after + _END)
    return path


def docx_bomb(path: Path, mb: float = 1024) -> Path:
    """One paragraph of text that unzips to ``mb``: a file of about 1 MB per GiB."""
    chunk = b"the harbour board met weekly " * 36_000  # about 1 MB
    return _docx(path, chunk, max(1, int(mb * MB / len(chunk))), before=b"<w:p><w:r><w:t>",
                 after=b"</w:t></w:r></w:p>")


def docx_paragraphs(path: Path, mb: float = 160, *, name: str = "word/document.xml") -> Path:
    """``mb`` of empty paragraphs: millions of XML elements and no text, in a file of a few hundred KB (its main
    document part named ``name``)."""
    chunk = b"<w:p/>" * 100_000
    return _docx(path, chunk, max(1, int(mb * MB / len(chunk))), name=name)


def docx_parts(path: Path, parts: int = 100_000) -> Path:
    """A Word file of one short paragraph and ``parts`` more empty parts, stored: a zip's list of its parts (its
    central directory) of some 60 bytes a part, which ``zipfile`` holds as an object of some 600 bytes a part."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as word:
        word.writestr("[Content_Types].xml", _CONTENT_TYPES)
        word.writestr("_rels/.rels", _RELS)
        word.writestr("word/document.xml", _BODY + b"<w:p><w:r><w:t>The harbour board met.</w:t></w:r></w:p>" + _END)
        for number in range(parts):
            word.writestr(f"word/media/{number}.bin", b"")
    return path


def docx_chunk(path: Path, mb: float = 200, *, archive: bool = False) -> Path:
    """A body of one ``w:altChunk`` that imports ``mb`` of web page (a web archive of it, where ``archive``)."""
    name, kind = ("word/afchunk.mht", "message/rfc822") if archive else ("word/afchunk.htm", "text/html")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as word:
        word.writestr("[Content_Types].xml", _CONTENT_TYPES.replace(
            "</Types>", f'<Override PartName="/{name}" ContentType="{kind}"/></Types>'))
        word.writestr("_rels/.rels", _RELS)
        word.writestr("word/_rels/document.xml.rels", _RELS.replace("word/document.xml", f"/{name}").replace(
            "relationships/officeDocument", "relationships/aFChunk"))
        word.writestr("word/document.xml", _BODY.replace(b"<w:document ", b'<w:document xmlns:r="http://schemas.'
                      b'openxmlformats.org/officeDocument/2006/relationships" ') + b'<w:altChunk r:id="rId1"/>' + _END)
        with word.open(name, "w", force_zip64=True) as part:
            part.write(b"Content-Type: text/html; charset=utf-8\r\n\r\n" if archive else b"")
            block = b"<div>The harbour board met weekly to decide on repairs of the old stone bridge.</div>\n" * 10_000
            part.write(b"<html><body>")
            for _ in range(max(1, int(mb * MB / len(block)))):
                part.write(block)
            part.write(b"</body></html>")
    return path


def flat_html(path: Path, mb: float = 8, *, seed: int = 0) -> Path:
    """A page of ``mb`` of short blocks straight in ``<body>``: no ``<main>`` or ``<article>`` to find."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as page:
        page.write("<!DOCTYPE html><html><head><title>Minutes</title></head><body>\n")
        written = 0
        while written < mb * MB:
            sentence = " ".join(rng.choice(_WORDS) for _ in range(12)).capitalize()
            block = f"<div>{sentence}, item {written}.</div>\n"
            page.write(block)
            written += len(block)
        page.write("</body></html>\n")
    return path


def big_export(path: Path, mb: float = 200, *, seed: int = 0, channel: str = "381889648827301889",
               words: tuple[int, int] = (3, 30), people: int = 500) -> Path:
    """A DiscordChatExporter export of about ``mb``: every field the exporter writes, indented as it writes it; its
    messages of ``words`` words (at least, at most), by ``people`` members."""
    rng = random.Random(seed)
    authors = [{"id": str(10**17 + n), "name": f"member{n}", "discriminator": "0000", "nickname": f"Member {n}",
                "color": "#1ABC9C" if n % 3 else None, "isBot": False,
                "roles": [{"id": str(10**17 + 7), "name": "Regulars", "color": None, "position": 3}] if n % 2 else [],
                "avatarUrl": f"https://cdn.discordapp.com/avatars/{10**17 + n}/a{n:030d}.png?size=512"}
               for n in range(people)]
    head = {"guild": {"id": "81384788765712384", "name": "Observatory",
                      "iconUrl": "https://cdn.discordapp.com/icons/81384788765712384/a.png"},
            "channel": {"id": channel, "type": "GuildTextChat", "categoryId": "381887113391505410",
                        "category": "Text channels", "name": "help", "topic": None},
            "dateRange": {"after": None, "before": None}, "exportedAt": "2024-05-02T09:00:00+00:00"}
    with path.open("w", encoding="utf-8") as out:
        out.write(json.dumps(head, indent=2)[:-2] + ',\n  "messages": [\n')
        written, number, at = 0, 0, 1_700_000_000
        while written < mb * MB:
            number += 1
            at += rng.randint(5, 900)
            message = {
                "id": str(10**18 + number), "type": "Default",
                "timestamp": f"2024-05-01T{at // 3600 % 24:02d}:{at // 60 % 60:02d}:{at % 60:02d}.{number % 1000:03d}+00:00",
                "timestampEdited": None, "callEndedTimestamp": None, "isPinned": False,
                "content": " ".join(rng.choice(_WORDS) for _ in range(rng.randint(*words))),
                "author": rng.choice(authors), "attachments": [], "embeds": [], "stickers": [],
                "reactions": [{"emoji": {"id": "", "name": "👍", "code": "thumbsup", "isAnimated": False,
                                         "imageUrl": "https://cdn.jsdelivr.net/gh/twitter/twemoji/assets/svg/1f44d.svg"},
                               "count": 2, "users": []}] if number % 5 == 0 else [],
                "mentions": [], "inlineEmojis": [],
            }
            if number > 1 and number % 4 == 0:
                message["type"] = "Reply"
                message["reference"] = {"messageId": str(10**18 + number - 1), "channelId": channel,
                                        "guildId": "81384788765712384"}
            text = ("" if number == 1 else ",\n") + "    " + json.dumps(message, indent=2, ensure_ascii=False
                                                                          ).replace("\n", "\n    ")
            out.write(text)
            written += len(text)
        out.write(f'\n  ],\n  "messageCount": {number}\n}}\n')
    return path


def deep_export(path: Path, mb: float = 1, *, where: str = "messages") -> Path:
    """An export with ``mb`` of nested arrays as its one message (``where="messages"``) or as its guild."""
    depth = max(1, int(mb * MB / 2))
    deep = "[" * depth + "]" * depth
    guild = deep if where == "guild" else '{"id": "81384788765712384", "name": "Observatory"}'
    messages = f"[{deep}]" if where == "messages" else "[]"
    path.write_text(f'{{"guild": {guild}, "channel": {{"id": "381889648827301889", "type": "GuildTextChat", '
                    f'"name": "help"}}, "messages": {messages}}}', encoding="utf-8")
    return path


def lzw(data: bytes, early: int = 1) -> bytes:
    """``data`` encoded as a PDF's LZWDecode reads it (``/EarlyChange 1``, the default, or ``early``), the table
    cleared before it fills."""
    out, buffer, bits = bytearray(), 0, 0

    def emit(code: int, width: int) -> None:
        nonlocal buffer, bits
        buffer, bits = (buffer << width) | code, bits + width
        while bits >= 8:
            bits -= 8
            out.append((buffer >> bits) & 0xFF)
        buffer &= (1 << bits) - 1

    table, width, word = {bytes((b,)): b for b in range(256)}, 9, b""
    emit(256, width)
    for byte in data:
        longer = word + bytes((byte,))
        if longer in table:
            word = longer
            continue
        emit(table[word], width)
        table[longer] = len(table) + 2  # 256 and 257 are the clear and end codes
        if len(table) + 1 + early >= 1 << width and width < 12:  # as the decoder, a code behind, widens
            width += 1
        if len(table) + 2 >= 4094:
            emit(256, width)
            table, width = {bytes((b,)): b for b in range(256)}, 9
        word = bytes((byte,))
    if word:
        emit(table[word], width)
    emit(257, width)
    return bytes(out) + (bytes(((buffer << (8 - bits)) & 0xFF,)) if bits else b"")


def run_length(data: bytes) -> bytes:
    """``data`` encoded as a PDF's RunLengthDecode reads it: a run of 2 to 128 equal bytes in two bytes."""
    out, at = bytearray(), 0
    while at < len(data):
        end = at
        while end < len(data) and end - at < 128 and data[end] == data[at]:
            end += 1
        if end - at >= 2:
            out += bytes((257 - (end - at), data[at]))
        else:
            end = at + 1
            while end < min(len(data), at + 128) and (end + 1 >= len(data) or data[end] != data[end + 1]):
                end += 1
            out += bytes((end - at - 1,)) + data[at:end]
        at = end
    return bytes(out + b"\x80")


def _pdf(path: Path, content: bytes, *, pages: int = 1, form: bool = False, catalog: bytes = b"",
         repeat: tuple[bytes, int, bytes] | None = None, entries: bytes = b"", contents: bytes = b"4 0 R",
         encoding: str = "FlateDecode") -> Path:
    """A PDF of ``pages`` pages that all draw one content stream (compressed), in Helvetica.

    With ``form``, each page draws a form XObject, and the form draws the content. With
    ``repeat`` (head, count, tail), the content is ``content`` ``count`` times between head
    and tail, compressed piece by piece: hundreds of MB of it are never held whole. ``entries``
    go in the content stream's dictionary; ``contents`` is the pages' ``/Contents``. ``encoding`` is its filter:
    ``FlateDecode``, or ``LZWDecode`` or ``RunLengthDecode`` (the content written whole, then encoded; LZW's
    ``/EarlyChange`` as ``entries`` say).
    """
    if encoding != "FlateDecode":
        head, count, tail = repeat or (b"", 1, b"")
        whole = head + content * count + tail
        stream = run_length(whole) if encoding == "RunLengthDecode" else lzw(whole, 0 if b"/EarlyChange 0" in entries else 1)
    elif repeat:
        head, count, tail = repeat
        squeeze = zlib.compressobj(9)
        parts = [squeeze.compress(head)]
        block = content * max(1, MB // len(content))
        whole, rest = divmod(count * len(content), len(block))
        parts += [squeeze.compress(block) for _ in range(whole)]
        parts += [squeeze.compress(block[:rest]), squeeze.compress(tail), squeeze.flush()]
        stream = b"".join(parts)
    else:
        stream = zlib.compress(content, 9)
    font = b"/Resources << /Font << /F1 3 0 R >> >>"
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R " + catalog + b">>",
               3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               4: b"<< /Length %d /Filter /%s" % (len(stream), encoding.encode())
               + (b" /Type /XObject /Subtype /Form /BBox [0 0 612 792] " + font if form else b"") + entries
               + b" >>\nstream\n" + stream + b"\nendstream"}
    if form:
        draw = b"/X1 Do"
        objects[5] = b"<< /Length %d >>\nstream\n" % len(draw) + draw + b"\nendstream"
    kids = range(6, 6 + pages)
    for kid in kids:
        objects[kid] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                        + (b"/Resources << /XObject << /X1 4 0 R >> >> /Contents 5 0 R >>" if form else
                           font + b" /Contents " + contents + b" >>"))
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), pages)
    path.write_bytes(pdf_file(objects))
    return path


def pdf_file(objects: dict[int, bytes]) -> bytes:
    """A PDF of ``objects`` by number (1 the catalog), with its cross-reference table."""
    out, offsets = bytearray(b"%PDF-1.4\n"), {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref, size = len(out), max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join(b"%010d 00000 n \n" % offsets[n] if n in offsets else b"0000000000 65535 f \n"
                    for n in range(1, size))
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


def pdf_lines(path: Path, mb: float = 22, *, form: bool = False) -> Path:
    """One page that draws ``mb`` of text a line at a time, each line its own text object (in a form XObject with
    ``form``): some 300,000 lines in 800 KB by default."""
    line = b"(Line %d of a very long single page with some words in it here.) Tj 0 0 Td"
    count = max(1, int(mb * MB / 75))
    return _pdf(path, b"BT /F1 11 Tf 50 750 Td\n" + b"\n".join(line % n for n in range(count)) + b"\nET", form=form)


def pdf_tj(path: Path, mb: float = 16, **pdf: bytes) -> Path:
    """One page of one text object whose ``TJ`` array shows ``mb`` of strings: ``[(xxx...)(xxx...)...] TJ``.
    One object, so within the objects a page may draw, and 16 MB of it (500,000 strings, 40 KB of PDF) is 15
    million characters, whose text page took PDFium 2.9 GB."""
    string = b"(" + b"x" * 30 + b")"
    return _pdf(path, string, repeat=(b"BT /F1 11 Tf 50 750 Td [", max(1, int(mb * MB / len(string))), b"] TJ ET"),
                **pdf)  # type: ignore[arg-type]


def pdf_shows(path: Path, mb: float = 334) -> Path:
    """One page that shows ``(x)`` ``mb`` of times over, an object each (``(x) Tj``): 50 million of them, a
    350 MB content stream in 510 KB of PDF, by default. PDFium runs out of memory loading the page."""
    line = b"(x) Tj\n"
    return _pdf(path, line, repeat=(b"BT /F1 11 Tf 50 750 Td\n", max(1, int(mb * MB / len(line))), b"ET"))


def pdf_labels(path: Path, mb: float = 1, *, pages: int = 2000) -> Path:
    """``pages`` pages of one line, labelled by a prefix of ``mb`` million characters and their number."""
    return _pdf(path, b"BT /F1 11 Tf 50 400 Td (Some text on every page.) Tj ET", pages=pages,
                catalog=b"/PageLabels << /Nums [0 << /S /D /P (" + b"L" * int(mb * 1e6) + b") >>] >> ")


FORM = b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] "
SENTENCE = b"BT /F1 12 Tf 10 10 Td (Natalia Sedova was married to Leon Trotsky.) Tj ET"


def pdf_listed(path: Path, mb: float = 0, *, pages: int = 1_000_000, kids: bool = False) -> Path:
    """A PDF of one page of text whose page tree says it has ``pages``: by its ``/Count`` alone (600 bytes), or with
    ``kids`` by listing that many pages that the file does not hold (some 11 bytes each)."""
    listed = b" ".join(b"%d 0 R" % number for number in range(6, 5 + pages)) if kids else b""
    path.write_bytes(pdf_file({
        1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [5 0 R %s] /Count %d >>" % (listed, pages),
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", 4: _deflated(SENTENCE),
        5: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
           b"/Contents 4 0 R >>"}))
    return path


def pdf_font(path: Path, mb: float = 1000, *, program: bytes = b"/FontFile2", entries: bytes = b"/Length1 0") -> Path:
    """One page of text in an embedded font whose program (``program``, its dictionary's ``entries`` marking it a
    font's) inflates to ``mb`` of zeros: 1,000 MB in 1 MB of PDF, by default. PDFium inflates a font's program whole
    to read the text set in it (2 GB for those 1,000 MB)."""
    squeeze = zlib.compressobj(9)
    block = bytes(MB)
    packed = b"".join([*(squeeze.compress(block) for _ in range(int(mb))), squeeze.compress(block[: int(mb % 1 * MB)]),
                       squeeze.flush()])
    path.write_bytes(pdf_file({
        1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
        3: b"<< /Type /Font /Subtype /TrueType /BaseFont /Sans /FirstChar 32 /LastChar 126 /Widths [" + b"500 " * 95
           + b"] /FontDescriptor 6 0 R /Encoding /WinAnsiEncoding >>", 4: _deflated(SENTENCE),
        5: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
           b"/Contents 4 0 R >>",
        6: b"<< /Type /FontDescriptor /FontName /Sans /Flags 32 /FontBBox [0 0 1000 1000] /ItalicAngle 0 /Ascent 800 "
           b"/Descent -200 /CapHeight 700 /StemV 80 " + program + b" 7 0 R >>",
        7: b"<< /Length %d /Filter /FlateDecode %s >>\nstream\n" % (len(packed), entries) + packed + b"\nendstream"}))
    return path


def pdf_empty_streams(path: Path, mb: float = 1) -> Path:
    """``mb`` of empty streams and nothing else (``>>streamendstream``, 17 bytes each): 61,000 to a MB, each one
    listed, and its dictionary looked for, before PDFium opens the file."""
    path.write_bytes(b"%PDF-1.4\n" + b">>streamendstream" * int(mb * MB / 17))
    return path


def pdf_forms(path: Path, forms: dict[int, tuple[bytes, bytes]], page: bytes = b"/X Do", *,
              resources: bytes = b"/XObject << /X 10 0 R >>", objects: dict[int, bytes] | None = None,
              packed: dict[int, bytes] | None = None, xref_stream: bool = False, packed_entries: bytes = b"") -> Path:
    """One page whose content is ``page`` (in Helvetica, its ``/XObject`` names as ``resources`` say), and the
    form XObjects ``forms``: each one's number -> its content (compressed) and its ``/Resources``. ``objects`` are
    more objects of the file, and ``packed`` more in an object stream (object 9, ``packed_entries`` in its
    dictionary); ``xref_stream``: a PDF 1.5, whose cross-reference stream tells PDFium where those are (a table
    cannot)."""
    every = {1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
             3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", 4: _deflated(page),
             5: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> "
                + resources + b" >> /Contents 4 0 R >>", **(objects or {})}
    for number, (content, holds) in forms.items():
        every[number] = _deflated(content, FORM + b"/Resources " + holds)
    if packed:
        bodies = list(packed.values())
        offsets = [sum(len(body) + 1 for body in bodies[:at]) for at in range(len(bodies))]
        header = b" ".join(b"%d %d" % pair for pair in zip(packed, offsets, strict=True)) + b"\n"
        every[9] = _deflated(header + b"\n".join(bodies),
                             b"/Type /ObjStm /N %d /First %d " % (len(packed), len(header)) + packed_entries)
    path.write_bytes(_xref_stream_file(every, list(packed or {})) if xref_stream else pdf_file(every))
    return path


def _xref_stream_file(objects: dict[int, bytes], packed: list[int]) -> bytes:
    """A PDF 1.5 of ``objects``, as ``pdf_file``, whose cross-reference stream also says that ``packed`` lie in the
    object stream 9."""
    out, at = bytearray(b"%PDF-1.5\n"), {}
    for number in sorted(objects):
        at[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref = max(*objects, *packed) + 1
    start, rows = len(out), b""
    for number in range(xref + 1):
        rows += (struct.pack(">BIH", 1, at[number], 0) if number in at
                 else struct.pack(">BIH", 2, 9, packed.index(number)) if number in packed
                 else struct.pack(">BIH", 1, start, 0) if number == xref else struct.pack(">BIH", 0, 0, 65535))
    out += (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
            % (xref, xref + 1, len(rows)) + rows + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % start)
    return bytes(out)


def _deflated(content: bytes, entries: bytes = b"") -> bytes:
    packed = zlib.compress(content, 9)
    return b"<< /Length %d /Filter /FlateDecode %s >>\nstream\n" % (len(packed), entries) + packed + b"\nendstream"


def form_cycle(path: Path, mb: float = 0, *, where: str = "inline") -> Path:
    """A form XObject that draws itself twice: some 700 bytes. Its resources are in its dictionary (``where``
    "inline"), an object of their own ("object"), or an object in an object stream ("packed")."""
    listed = b"<< /XObject << /X 10 0 R >> >>"
    holds = listed if where == "inline" else b"20 0 R"
    return pdf_forms(path, {10: (b"/X Do /X Do", holds)}, objects={20: listed} if where == "object" else None,
                     packed={20: listed} if where == "packed" else None)


def form_dag(path: Path, mb: float = 0, *, depth: int = 22) -> Path:
    """``depth`` form XObjects, each drawing the next twice, the last a line of text: a few KB of PDF that draws
    2**(depth-1) lines."""
    forms = {10 + level: (b"q /X Do Q q /X Do Q", b"<< /XObject << /X %d 0 R >> >>" % (11 + level))
             for level in range(depth - 1)}
    forms[9 + depth] = (SENTENCE, b"<< /Font << /F1 3 0 R >> >>")
    return pdf_forms(path, forms)


def figure_pdf(path: Path) -> Path:
    """A page that draws a form it calls /Im1, whose own /XObject (an object of an object stream) calls its image /Im1
    too, as an included PDF keeps its own names: text, the form and the image, each drawn once."""
    pixels = zlib.compress(b"\x00\xff\x00" * 4)
    image = (b"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceRGB /BitsPerComponent 8 "
             b"/Length %d /Filter /FlateDecode >>\nstream\n" % len(pixels) + pixels + b"\nendstream")
    return pdf_forms(path, {10: (b"q 10 0 0 10 0 0 cm /Im1 Do Q", b"<< /XObject 20 0 R >>")},
                     SENTENCE + b" q /Im1 Do Q", resources=b"/XObject << /Im1 10 0 R >>", objects={30: image},
                     packed={20: b"<< /Im1 30 0 R >>"}, xref_stream=True)


KINDS = {"docx_bomb": docx_bomb, "docx_paragraphs": docx_paragraphs, "docx_parts": docx_parts, "docx_chunk": docx_chunk, "flat_html": flat_html,
         "big_export": big_export, "deep_export": deep_export, "pdf_lines": pdf_lines, "pdf_tj": pdf_tj, "pdf_shows": pdf_shows,
         "pdf_labels": pdf_labels, "pdf_listed": pdf_listed, "pdf_empty_streams": pdf_empty_streams, "pdf_font": pdf_font, "form_cycle": form_cycle, "form_dag": form_dag}

if __name__ == "__main__":
    kind, size, target = sys.argv[1:4]
    print(KINDS[kind](Path(target), float(size)))
