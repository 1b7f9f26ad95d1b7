"""Real files of every format qabot reads, made at test time: PDFs (fpdf2), Word files (python-docx),
HTML pages and DiscordChatExporter exports.

Each writer takes a path and returns it, so a test can build a corpus folder of mixed
formats in a few lines.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
FORMATS = DATA / "formats"

# Body text for the generated manual: one paragraph per section, long enough to wrap.
MANUAL = {
    "1 Introduction": (
        "The glob tool finds files whose names match a pattern. It was written for the build system "
        "of a small observatory, where nightly jobs collect images from three telescopes and sort them "
        "into folders by date. This manual explains how the patterns work and how the glob files are kept."
    ),
    "2 Patterns": (
        "A pattern is made of literal characters and wildcards. The star matches any run of characters "
        "within one folder name, the question mark matches exactly one character, and a double star "
        "matches any number of folders. Patterns are matched against paths relative to the working folder."
    ),
    "2.4. The glob files": (
        "Every project keeps its patterns in a file named patterns.glob at the top of the repository. "
        "Each line holds one pattern, and a line that starts with a hash sign is a comment. The tool reads "
        "the glob files once at start-up and caches the compiled patterns in memory for the whole run."
    ),
    "3 Performance": (
        "Matching ten thousand paths against a hundred patterns takes about forty milliseconds on the "
        "observatory's oldest machine. The compiled patterns are shared between threads, so a parallel "
        "scan costs no more memory than a single one, and the cache is emptied when the glob files change."
    ),
}


def write_pdf(path: Path, *, labels: bool = False, header: str | None = "Glob Tool Manual",
              title: str = "The Glob Tool Manual", password: str | None = None,
              sections: dict[str, str] | None = None) -> Path:
    """A four-page manual (``sections``, MANUAL by default): a numbered section per page, a running header, page numbers.

    With ``labels``, the first page is labelled 'i' and the rest '1', '2', '3' (a front
    page before the numbered ones). With ``password``, the PDF is encrypted.
    """
    from fpdf import FPDF

    class Manual(FPDF):
        def header(self) -> None:
            if header:
                self.set_font("Helvetica", size=9)
                self.cell(0, 8, header, align="C")
                self.ln(12)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, str(self.page_no()), align="C")

    pdf = Manual(format="A4")
    pdf.set_title(title)
    pdf.set_author("Observatory software group")
    if password:
        pdf.set_encryption(owner_password="owner", user_password=password)
    for number, (heading, body) in enumerate((sections or MANUAL).items()):
        pdf.add_page()
        if labels and number <= 1:
            pdf.set_page_label("r" if number == 0 else "D", label_start=1)
        pdf.set_font("Helvetica", "B", 16)
        pdf.multi_cell(0, 9, heading)
        pdf.ln(4)
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, body)
        pdf.ln(4)
        pdf.multi_cell(0, 6, f"This is the end of the part about {heading.split(' ', 1)[1].lower()}.")
    pdf.output(str(path))
    return path


def write_scanned_pdf(path: Path) -> Path:
    """A PDF whose only page is a picture: no text layer."""
    from fpdf import FPDF
    from PIL import Image

    image = path.with_suffix(".png")
    Image.new("RGB", (200, 100), "white").save(image)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(image), x=10, y=10, w=100)
    pdf.output(str(path))
    image.unlink()
    return path


def write_distilled_pdf(path: Path, pages: list[list[tuple[float, float, float, str | list[str | int]]]]) -> Path:
    """A PDF as Acrobat Distiller and Ghostscript write a word processor's printout: every run of text in a font of
    size 1 (``/F1 1 Tf``), scaled to its size by its text matrix (``12 0 0 12 72 700 Tm``). Each line of ``pages``
    is (x, y, size, text), in points from the bottom left, in Times-Roman; a text that is a list is shown as TeX
    shows it (``TJ``): its strings, each number a move back by thousandths of an em.
    """

    def show(text: str | list[str | int]) -> bytes:
        if isinstance(text, str):
            text = [text]
        return b"[%s] TJ" % b" ".join(
            b"%d" % part if isinstance(part, int) else b"(%s)" % b"".join(
                b"\x81" if ch == "ı" else ch.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("cp1252")
                for ch in part) for part in text)

    fonts = b"<< /F1 4 0 R >>"
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>",
               4: b"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /Encoding << /BaseEncoding /WinAnsiEncoding "
                  b"/Differences [129 /dotlessi] >> >>"}  # TeX's dotless i, under an accent
    kids = []
    for number, lines in enumerate(pages):
        page, content = 6 + 2 * number, 7 + 2 * number
        stream = b"".join(
            b"BT /F1 1 Tf %g 0 0 %g %g %g Tm %s ET\n" % (size, size, x, y, show(text)) for x, y, size, text in lines)
        objects[page] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font %s >> "
                         b"/Contents %d 0 R >>" % (fonts, content))
        objects[content] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)
        kids.append(page)
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    from tests.hostile import pdf_file

    path.write_bytes(pdf_file(objects))
    return path


def write_unmapped_pdf(path: Path, *, readable: bool = True) -> Path:
    """A PDF whose fonts do not say which characters they show, as a real one's without a character map do.

    Page 2 shows a line in a Type 3 font whose glyphs have made-up names (``/g1``, as TeX's bitmap fonts name
    theirs), which PDFium gives as control characters; page 3 shows words in a font whose glyph names say letters
    of six writing systems, which PDFium gives as Cyrillic, Greek, Armenian, Oriya, Georgian and Thai in every word,
    as it gives a subset font whose glyph numbers it takes for characters. With ``readable``, page 1 and a line of
    page 2 are in Helvetica, read as they are.
    """
    from tests.hostile import pdf_file

    glyph = b"600 0 0 0 500 700 d1 0 0 m 500 0 l 500 700 l 0 700 l f"
    letters = [b"uni0434", b"uni03B8", b"uni0561", b"uni0B15", b"uni10D0", b"uni0E01"]
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        4: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        5: b"<< /Type /Font /Subtype /Type3 /FontBBox [0 0 500 700] /FontMatrix [0.001 0 0 0.001 0 0] /CharProcs << "
           + b" ".join(b"/g%d 7 0 R" % n for n in range(1, 9)) + b" >> /Encoding << /Type /Encoding /Differences [1 "
           + b" ".join(b"/g%d" % n for n in range(1, 9)) + b"] >> /FirstChar 1 /LastChar 8 /Widths [" + b"600 " * 8
           + b"] >>",
        6: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding /Differences [161 "
           + b" ".join(b"/" + name for name in letters) + b"] >> >>",
        7: b"<< /Length %d >>\nstream\n%s\nendstream" % (len(glyph), glyph),
    }
    words = b" ".join(bytes(161 + (n + k) % 6 for k in range(4)) for n in range(8))
    pages = [(b"BT /F1 12 Tf 72 700 Td (The harbour board met weekly to decide on repairs of the old stone bridge.) Tj "
             b"ET")] if readable else []
    pages += [b"BT /F2 12 Tf 72 700 Td (\001\004\005\006\007\010\001) Tj ET"
              + (b" BT /F1 12 Tf 72 650 Td (Repairs of the bridge start in May.) Tj ET" if readable else b""),
              b"BT /F3 12 Tf 72 700 Td (%s) Tj ET" % words]
    kids = []
    for number, content in enumerate(pages):
        page = 10 + 2 * number
        objects[page] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R "
                         b"/F2 5 0 R /F3 6 0 R >> >> /Contents %d 0 R >>" % (page + 1))
        objects[page + 1] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)
        kids.append(page)
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    path.write_bytes(pdf_file(objects))
    return path


def write_zero_page_pdf(path: Path) -> Path:
    """A well-formed PDF whose page tree is empty."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


def write_docx(path: Path) -> Path:
    """A Word file with a title, heading styles, paragraphs and a table (a merged cell included)."""
    import docx

    word = docx.Document()
    word.core_properties.title = "Minutes of the 1998 general meeting"
    word.core_properties.author = "The secretary"
    word.add_heading("Minutes of the 1998 general meeting", level=0)
    word.add_heading("Attendance", level=1)
    word.add_paragraph("Fourteen members attended the meeting in the village hall; two sent apologies.")
    word.add_heading("Treasurer's report", level=1)
    word.add_paragraph(
        "The treasurer reported a balance of 412 pounds at the end of the year. The roof repair "
        "fund reached its target in October, and the repair itself is planned for the spring."
    )
    table = word.add_table(rows=3, cols=3)
    for row, cells in zip(table.rows, [("Item", "Spent", "Budget"), ("Roof repair", "180", "200"),
                                       ("Newsletter", "45", "60")], strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    word.add_heading("Any other business", level=2)
    word.add_paragraph("The next meeting will be held on the first Monday of March.")
    word.save(str(path))
    return path


# Paragraphs of a Word file as Word writes them, with text python-docx does not read through: a tracked
# insertion beside a deletion, a paragraph that was all deleted, a paragraph that was all inserted, a content
# control around a heading and paragraphs, one inside a paragraph (a tab and a line break in its run), and a
# simple field, a smart tag and custom XML around runs.
_WRAPPED = """\
<w:p><w:r><w:t xml:space="preserve">The treasurer reported </w:t></w:r>\
<w:del w:id="1" w:author="A" w:date="2024-01-01T00:00:00Z"><w:r><w:delText>a deficit</w:delText></w:r></w:del>\
<w:ins w:id="2" w:author="A" w:date="2024-01-01T00:00:00Z"><w:r><w:t>a surplus</w:t></w:r></w:ins>\
<w:r><w:t xml:space="preserve"> of 400 euros.</w:t></w:r></w:p>
<w:p><w:del w:id="3" w:author="A" w:date="2024-01-01T00:00:00Z"><w:r><w:delText>The motion was withdrawn.</w:delText>\
</w:r></w:del></w:p>
<w:p><w:ins w:id="4" w:author="A" w:date="2024-01-01T00:00:00Z"><w:r><w:t>The roof fund is closed.</w:t></w:r>\
</w:ins></w:p>
<w:sdt><w:sdtPr><w:alias w:val="Decision"/></w:sdtPr><w:sdtContent>\
<w:p><w:pPr><w:pStyle w:val="Heading2"/></w:pPr><w:r><w:t>Decisions</w:t></w:r></w:p>\
<w:p><w:r><w:t>The hall will be repainted in May.</w:t></w:r></w:p>\
<w:p><w:r><w:t>Volunteers sign up with the secretary.</w:t></w:r></w:p></w:sdtContent></w:sdt>
<w:p><w:r><w:t xml:space="preserve">Chair: </w:t></w:r><w:sdt><w:sdtPr><w:alias w:val="Chair"/></w:sdtPr><w:sdtContent>\
<w:r><w:t>Ada</w:t><w:tab/><w:t>Byron</w:t><w:br/><w:t>(acting)</w:t></w:r></w:sdtContent></w:sdt></w:p>
<w:p><w:r><w:t xml:space="preserve">Held on </w:t></w:r><w:fldSimple w:instr=" DATE "><w:r><w:t>3 March</w:t></w:r>\
</w:fldSimple><w:r><w:t xml:space="preserve"> in </w:t></w:r><w:smartTag w:uri="urn:places" w:element="place">\
<w:r><w:t>Lisbon</w:t></w:r></w:smartTag><w:customXml w:element="note"><w:r><w:t>, upstairs</w:t></w:r></w:customXml>\
<w:r><w:t>.</w:t></w:r></w:p>
"""


def write_docx_wrapped(path: Path) -> Path:
    """A Word file whose text is in tracked changes, content controls, fields, smart tags, custom XML and a
    table inside a vertically merged table cell (see ``_WRAPPED``), after a heading."""
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    word = docx.Document()
    word.add_heading("Minutes", level=1)
    body = word.element.body
    for xml in _WRAPPED.splitlines():  # each line one element, the namespace declared on a holder around it
        body.sectPr.addprevious(parse_xml(f"<w:holder {nsdecls('w')}>{xml}</w:holder>")[0])
    table = word.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(1, 0).text = "Region", "North"
    figures = table.cell(0, 1).merge(table.cell(1, 1))
    figures.text = "Figures"
    inner = figures.add_table(rows=2, cols=2)
    for row, cells in zip(inner.rows, [("Quarter", "Sales"), ("Q1", "30")], strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    word.save(str(path))
    return path


def write_fake_docx(path: Path) -> Path:
    """A .docx that is a zip of something else (a few text files)."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "not a Word document")
    return path


PAGE = """<!DOCTYPE html>
<html><head>
<title>Installing the glob tool</title>
<link rel="canonical" href="https://docs.example.org/glob/install.html">
<meta name="author" content="Observatory software group">
<script>window.theme = localStorage.getItem("theme"); function toggle() { return 42; }</script>
<style>body { font-family: sans-serif; }</style>
</head><body>
<header><nav class="navbar"><a href="/">Home</a> <a href="/docs">Documentation</a> <a href="/blog">Blog</a>
<button onclick="toggle()">Switch theme: light or dark</button></nav></header>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies?</div>
<aside class="sidebar"><h3>Navigation</h3><ul><li><a href="a.html">Previous topic</a></li>
<li><a href="b.html">Next topic</a></li></ul><p>Keyboard shortcuts: press ? for help, / to search.</p></aside>
<main>
<h1 id="installing">Installing<a class="headerlink" href="#installing">¶</a></h1>
<p>The glob tool is installed with <code>pip install globtool</code> on any machine with Python 3.11 or later,
and it needs <em>no</em> compiler.</p>
<h2 id="configuration">Configuration</h2>
<p>After installing, create a file named <code>patterns.glob</code> in the project folder; see the
<a href="patterns.html">pattern guide</a> for the syntax. The tool reads it at start-up.</p>
<section id="troubleshooting"><h2>Troubleshooting</h2>
<p>If the tool reports that no patterns were found, check that the glob file is saved as UTF-8 and that its
lines do not start with a space.</p>
<table><tr><th>Error</th><th>Meaning</th></tr><tr><td>E101</td><td>the glob file is missing</td></tr></table>
</section>
</main>
<footer><p>© 2024 Observatory software group. All rights reserved.</p></footer>
<script>document.querySelectorAll("a").forEach(function (a) { a.rel = "noopener"; });</script>
</body></html>
"""

BOILERPLATE = ("Home", "Documentation", "Switch theme", "cookies", "Navigation", "Previous topic",
               "Keyboard shortcuts", "All rights reserved", "localStorage", "querySelectorAll", "¶")


def write_html(path: Path, page: str = PAGE) -> Path:
    path.write_text(page, encoding="utf-8")
    return path


def export(messages: list[dict], *, guild: dict | None = None, channel: dict | None = None) -> dict:
    """A DiscordChatExporter JSON export (as its JsonMessageWriter writes one) of ``messages``."""
    return {
        "guild": guild if guild is not None else {"id": "81384788765712384", "name": "Observatory",
                                                  "iconUrl": "https://cdn.discordapp.com/icons/1.png"},
        "channel": channel if channel is not None else {
            "id": "381889648827301889", "type": "GuildTextChat", "categoryId": "381887113391505410",
            "category": "Text channels", "name": "help", "topic": None,
        },
        "dateRange": {"after": None, "before": None},
        "exportedAt": "2024-05-02T09:00:00+00:00",
        "messages": messages,
        "messageCount": len(messages),
    }


def message(id: str, author: str, content: str, timestamp: str, *, edited: str | None = None,
            reply_to: str | None = None, attachments: tuple[str, ...] = (), type: str | None = None,
            mentions: tuple[str, ...] = (), checked_by: tuple[str, ...] = ()) -> dict:
    """One message of an export, with every field DiscordChatExporter writes (``mentions``: the @-mentioned;
    ``checked_by``: who reacted with ✅, as its reaction's ``users``, which DiscordChatExporter writes since 2.40)."""
    record = {
        "id": id,
        "type": type or ("Reply" if reply_to else "Default"),
        "timestamp": timestamp,
        "timestampEdited": edited,
        "callEndedTimestamp": None,
        "isPinned": False,
        "content": content,
        "author": {"id": str(abs(hash(author)) % 10**18), "name": author.lower(), "discriminator": "0000",
                   "nickname": author, "color": None, "isBot": False, "roles": [],
                   "avatarUrl": "https://cdn.discordapp.com/embed/avatars/0.png"},
        "attachments": [
            {"id": f"{id}{i}", "url": f"https://cdn.discordapp.com/attachments/381889648827301889/{id}{i}/{name}",
             "fileName": name, "fileSizeBytes": 2048}
            for i, name in enumerate(attachments)
        ],
        "embeds": [],
        "stickers": [],
        "reactions": [{"emoji": {"id": None, "name": "✅", "code": "white_check_mark", "isAnimated": False,
                                 "imageUrl": "https://cdn.jsdelivr.net/gh/twitter/twemoji@latest/assets/svg/2705.svg"},
                       "count": len(checked_by), "users": [_user(name) for name in checked_by]}] if checked_by else [],
        "mentions": [_user(name) for name in mentions],
        "inlineEmojis": [],
    }
    if reply_to:
        record["reference"] = {"type": "Default", "messageId": reply_to, "channelId": "381889648827301889",
                               "guildId": "81384788765712384"}
    return record



def _user(name: str) -> dict:
    """A member as a mention or a reaction's user: the same id as their messages' author."""
    return {"id": str(abs(hash(name)) % 10**18), "name": name.lower(), "discriminator": "0000", "nickname": name,
            "isBot": False, "avatarUrl": "https://cdn.discordapp.com/embed/avatars/0.png"}


def forward(id: str, author: str, forwarded: str, timestamp: str, *, attachments: tuple[str, ...] = (),
            of: str = "998877", channel: str = "381889648827301777") -> dict:
    """A forwarded message as DiscordChatExporter 2.47+ writes it (``JsonMessageWriter``): no text of its own, a
    reference of type ``Forward`` to the message forwarded (``of``, in ``channel``), and what it forwards as
    ``forwardedMessage`` (its text, attachments, embeds, stickers and times, never its author)."""
    record = message(id, author, "", timestamp)
    record["reference"] = {"type": "Forward", "messageId": of, "channelId": channel, "guildId": "81384788765712384"}
    record["forwardedMessage"] = {
        "timestamp": "2024-04-01T09:00:00+00:00", "timestampEdited": None, "content": forwarded,
        "attachments": [{"id": f"{id}{i}", "url": f"https://cdn.discordapp.com/attachments/{channel}/{id}{i}/{name}",
                         "fileName": name, "fileSizeBytes": 2048} for i, name in enumerate(attachments)],
        "embeds": [], "stickers": [],
    }
    return record

CHAT = [
    message("1001", "Ana", "Has anyone got the glob tool working on the new telescope machine?",
            "2024-05-01T18:02:33.120+00:00"),
    message("1002", "Ben", "Yes: the trick is to save patterns.glob as UTF-8, otherwise it silently finds nothing.",
            "2024-05-01T18:04:10+00:00", reply_to="1001", edited="2024-05-01T18:06:00+00:00"),
    message("1003", "Ana", "That was it, thanks! Here is my working file.", "2024-05-01T18:05:02+00:00",
            attachments=("patterns.glob",)),
    message("1004", "Cleo", "joined the server", "2024-05-01T19:00:00+00:00", type="GuildMemberJoin"),
    message("1005", "Cleo", "Unrelated: the dome camera is offline until Thursday for a lens replacement.",
            "2024-05-02T08:30:00+00:00"),
]


def _at(minute: int, second: int = 0) -> str:
    return f"2024-06-03T{10 + minute // 60:02d}:{minute % 60:02d}:{second:02d}+00:00"


# A maker space's help channel: three conversations at once (one held together by a Discord
# reply, one by @-mentions), the talk around them, and a question nobody answered.
MAKER_CHAT = [
    message("3001", "Mira", "My PETG prints keep lifting off the bed at the corners about halfway through. "
            "What am I doing wrong?", _at(0, 5)),
    message("3002", "Jonas", "Which slicer setting gets rid of the thin strings between two towers?", _at(0, 40)),
    message("3003", "Ravi", "@Jonas that is retraction. Turn it up to 6 mm at 45 mm/s.", _at(1, 30),
            mentions=("Jonas",)),
    message("3004", "Priya", "Is anyone using the laser cutter this afternoon?", _at(2, 10)),
    message("3005", "Jonas", "@Ravi trying it now", _at(2, 50), mentions=("Ravi",)),
    message("3006", "Theo", "Wipe the bed with isopropyl alcohol, heat it to 80 degrees for PETG, and add a "
            "5 mm brim in the slicer.", _at(3, 30), reply_to="3001"),
    message("3007", "Sam", "I booked the laser cutter from 2 to 4, sorry", _at(4, 0), reply_to="3004"),
    message("3008", "Mira", "Cleaned it and added the brim, the corners stay down now. Thanks Theo!", _at(9, 15),
            reply_to="3006"),
    message("3009", "Jonas", "@Ravi the strings are gone, cheers", _at(11, 40), mentions=("Ravi",)),
    message("3010", "Priya", "no problem, tomorrow then", _at(12, 5), reply_to="3007"),
    message("3011", "Kai", "Does anyone know which drawer the spare brass nozzles are kept in?", _at(300, 0)),
    message("3012", "Lena", "The resin printer has a new FEP sheet, the old one was scratched.", _at(330, 0)),
]


def write_export(path: Path, messages: list[dict] | None = None, **fields: dict) -> Path:
    path.write_text(json.dumps(export(CHAT if messages is None else messages, **fields), indent=2),
                    encoding="utf-8")
    return path


def write_dce_html(path: Path, messages: list[dict] | None = None) -> Path:
    """``messages`` as DiscordChatExporter's default format writes them (HTML: ``PreambleTemplate``,
    ``MessageGroupTemplate``, ``PostambleTemplate``): some 40 KB of styles before the chat log, one group per message."""
    styles = "".join(f".chatlog__rule-{i} {{ margin: {i}px; color: #dcddde; }}\n" for i in range(1_000))
    groups = "".join(
        f'<div class="chatlog__message-group">\n<div id="chatlog__message-container-{m["id"]}" '
        f'class="chatlog__message-container " data-message-id="{m["id"]}">\n<div class="chatlog__message">\n'
        f'<div class="chatlog__message-primary">\n<div class="chatlog__header">\n'
        f'<span class="chatlog__author" title="{m["author"]["name"]}" data-user-id="{m["author"]["id"]}">'
        f'{m["author"]["nickname"]}</span>\n<span class="chatlog__timestamp" title="Wednesday, May 1, 2024 6:02 PM">'
        f'<a href="#chatlog__message-container-{m["id"]}">5/1/2024 6:02 PM</a></span>\n</div>\n'
        f'<div class="chatlog__content chatlog__markdown"><span class="chatlog__markdown-preserve">'
        f'<!--wmm:ignore-->{m["content"]}<!--/wmm:ignore--></span></div>\n</div>\n</div>\n</div>\n</div>\n'
        for m in (CHAT if messages is None else messages))
    path.write_text(
        '<!DOCTYPE html>\n<html lang="en">\n\n<head>\n    <title>Observatory - help</title>\n'
        f'    <meta charset="utf-8">\n    <style>\n{styles}    </style>\n</head>\n<body>\n\n<div class="preamble">\n'
        '    <div class="preamble__entries-container">\n        <div class="preamble__entry">Observatory</div>\n'
        '        <div class="preamble__entry">Text channels / help</div>\n    </div>\n</div>\n\n'
        f'<!--wmm:ignore-->\n<div class="chatlog">\n<!--/wmm:ignore-->{groups}<!--wmm:ignore-->\n</div>\n'
        '<!--/wmm:ignore-->\n\n<div class="postamble">\n    <div class="postamble__entry">Exported 5 message(s)</div>\n'
        '</div>\n\n</body>\n\n</html>\n', encoding="utf-8")
    return path


def write_dce_text(path: Path, messages: list[dict] | None = None) -> Path:
    """``messages`` as DiscordChatExporter's ``PlainTextMessageWriter`` writes them (on Windows: ``\\r\\n``)."""
    rule = "=" * 62
    body = "".join(f"[5/1/2024 6:02 PM] {m['author']['name']}\r\n{m['content']}\r\n\r\n\r\n"
                   for m in (CHAT if messages is None else messages))
    path.write_bytes(f"{rule}\r\nGuild: Observatory\r\nChannel: Text channels / help\r\n{rule}\r\n\r\n{body}"
                     f"{rule}\r\nExported 5 message(s)\r\n{rule}\r\n".encode())
    return path


def write_dce_csv(path: Path, messages: list[dict] | None = None) -> Path:
    """``messages`` as DiscordChatExporter's ``CsvMessageWriter`` writes them."""
    rows = "".join(f'"{m["author"]["id"]}","{m["author"]["name"]}","{m["timestamp"]}","{m["content"]}","",""\n'
                   for m in (CHAT if messages is None else messages))
    path.write_text(f"AuthorID,Author,Date,Content,Attachments,Reactions\n{rows}", encoding="utf-8")
    return path


def write_docx_from(source: Path, path: Path) -> Path:
    """A Word file with the text of a real page (``source``, read by qabot's HTML reader).

    Headings get Word's heading styles, paragraphs stay paragraphs, and runs of table
    rows (``a | b``) become a Word table again, so the file has what a real report has.
    """
    import docx

    from qabot.corpus import CorpusFile, load_file

    (page,) = load_file(CorpusFile(source, source.name))
    word = docx.Document()
    word.core_properties.title = page.title or source.stem
    word.core_properties.author = "SQLite documentation (public domain)"
    rows: list[list[str]] = []

    def flush_table() -> None:
        if rows:
            width = max(map(len, rows))
            table = word.add_table(rows=len(rows), cols=width)
            for row, cells in zip(table.rows, rows, strict=True):
                for cell, text in zip(row.cells, cells, strict=False):
                    cell.text = text
            rows.clear()

    for para in page.paragraphs:
        text = page.text[para.start : para.end]
        if para.heading:
            flush_table()
            word.add_heading(text, level=min(3, text.split(" ", 1)[0].count(".") or 1))
        elif " | " in text:
            rows.append(text.split(" | "))
        else:
            flush_table()
            word.add_paragraph(text)
    flush_table()
    word.save(str(path))
    return path


def only_document(path: Path):
    """The one document a reader reads from ``path``, which it reads without a warning."""
    from qabot.corpus import CorpusFile, load_file

    warnings: list[str] = []
    docs = list(load_file(CorpusFile(path, path.name), warnings.append))
    assert len(docs) == 1 and not warnings, warnings
    return docs[0]


def paragraph_texts(doc) -> list[str]:
    """The text of each of ``doc``'s paragraphs but its headings, as found for indexing."""
    from qabot.corpus import document_paragraphs

    return [doc.text[p.start : p.end] for p in document_paragraphs(doc) if not p.heading]


def table_pdf(tmp_path: Path, widths: tuple[int, ...], rows: list[tuple[str, ...]]) -> Path:
    """A paragraph, a table as fpdf2 draws one (ruled cells, a cell's text wrapped in it), and a paragraph."""
    from fpdf import FPDF

    pdf = FPDF(format="letter", unit="pt")
    pdf.add_page()
    pdf.set_font("Times", size=10)
    pdf.set_xy(72, 72)
    pdf.multi_cell(450, 12, "Each filter has its own exposure time and number of frames in a session, as listed below.")
    pdf.ln(6)
    with pdf.table(width=sum(widths), col_widths=widths, align="LEFT") as table:
        for cells in rows:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.ln(6)
    pdf.multi_cell(450, 12, "Flats are taken at dusk for every filter used that night.")
    path = tmp_path / "exposures.pdf"
    pdf.output(str(path))
    return path
