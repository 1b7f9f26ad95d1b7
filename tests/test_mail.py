"""E-mail: an ``.eml`` message and an ``.mbox`` mailbox, written by the standard library as a mail client writes them
(MIME parts, transfer encodings, character sets), read a document per message and answered from with citations."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage
from pathlib import Path

import pytest

from qabot.corpus import CorpusFile, load_file


def _message(sender: str, subject: str, date: str, text: str, **content: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["Subject"], message["Date"] = sender, subject, date
    message.set_content(text, **content)
    return message


def _mailbox(path: Path) -> Path:
    box = mailbox.mbox(path)
    box.add(_message("Ana Ruiz <ana@example.org>", "Dome repair schedule", "Tue, 04 Jun 2024 09:12:00 +0200",
                     "Hi all,\n\nThe dome motor will be repaired on 12 June, so there is no public night that week."
                     "\n\nAna\n"))
    reply = _message("Ben Okafor <ben@example.org>", "Re: Dome repair schedule", "Wed, 05 Jun 2024 10:00:00 +0200",
                     "> The dome motor will be repaired on 12 June\n\nI can open the gate for the technician at 8 am; "
                     "I still have the keys.\n\nBen\n")
    reply.add_attachment(b"\x89PNG\r\n\x1a\n gate photo", maintype="image", subtype="png", filename="gate.png")
    box.add(reply)
    box.add(_message("Cleo <cleo@example.org>", "Kuppelöffnung", "Thu, 06 Jun 2024 11:00:00 +0200",
                     "<html><body><p>The dome opens at dusk on Fridays, weather permitting, and closes at midnight."
                     "</p></body></html>", subtype="html"))
    box.flush()
    box.close()
    return path


def test_a_mailbox_is_a_document_per_message_cited_by_subject_sender_and_date(tmp_path: Path) -> None:
    path = _mailbox(tmp_path / "list.mbox")
    docs = list(load_file(CorpusFile(path, path.name), warn=print))
    assert [(d.doc_id, d.title, d.author, d.date) for d in docs] == [
        ("list.mbox:1", "Dome repair schedule", "Ana Ruiz", "2024-06-04T09:12:00+02:00"),
        ("list.mbox:2", "Re: Dome repair schedule", "Ben Okafor", "2024-06-05T10:00:00+02:00"),
        ("list.mbox:3", "Kuppelöffnung", "Cleo", "2024-06-06T11:00:00+02:00")]
    texts = [[d.text[p.start : p.end] for p in d.paragraphs] for d in docs]
    assert texts == [  # the reply's quote is the first message's text, and its attachment no text
        ["Hi all,", "The dome motor will be repaired on 12 June, so there is no public night that week.", "Ana"],
        ["I can open the gate for the technician at 8 am; I still have the keys.", "Ben"],
        ["The dome opens at dusk on Fridays, weather permitting, and closes at midnight."]]


@pytest.mark.parametrize("date", ["Tue, 3 Mar 2020 10999999999999999999999:00:00 +0000",
                                  "Tue, 3 Mar 2020 10:00:00 +99999999999999999999"])
def test_a_date_whose_numbers_overflow_is_kept_as_written(tmp_path: Path, date: str) -> None:
    """A Date header with a number too large for a datetime (it raised OverflowError, which skipped the whole
    mailbox as "cannot be read") is cited as written, as any date that does not parse."""
    path = tmp_path / "odd.eml"
    path.write_text(f"From: Ana <ana@example.org>\nSubject: Dome\nDate: {date}\n\nThe dome opens at dusk.\n")
    warnings: list[str] = []
    docs = list(load_file(CorpusFile(path, path.name), warn=warnings.append))
    assert [d.date for d in docs] == [date] and warnings == []


def test_one_message_a_parser_breaks_on_is_skipped_not_the_mailbox(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from qabot.corpus import mail

    path = _mailbox(tmp_path / "list.mbox")
    read = mail._document

    def breaks_on_the_second(source: str, doc_id: str, message):
        if doc_id.endswith(":2"):
            raise LookupError("unknown encoding: x-broken")
        return read(source, doc_id, message)

    monkeypatch.setattr(mail, "_document", breaks_on_the_second)
    warnings: list[str] = []
    docs = list(load_file(CorpusFile(path, path.name), warn=warnings.append))
    assert [d.doc_id for d in docs] == ["list.mbox:1", "list.mbox:3"]
    assert warnings == ["list.mbox: skipping message 2: cannot be read (LookupError: unknown encoding: x-broken)"]


def test_an_eml_is_decoded_and_answered_from(tmp_path: Path, bot_for) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    message = _message("Dan Ørsted <dan@example.org>", "Spare eyepieces", "Fri, 07 Jun 2024 12:00:00 +0200",
                       "The spare eyepieces are in the red case under the control desk. Return them after use, "
                       "please: the loaner set is counted every Monday.\n", charset="iso-8859-1",
                       cte="quoted-printable")
    (corpus / "eyepieces.eml").write_bytes(bytes(message))
    _mailbox(corpus / "list.mbox")
    answer = bot_for(corpus).ask("Where are the spare eyepieces kept?", k=2)
    first = answer.excerpts[0]
    assert answer.answered and first.citation.doc_id == "eyepieces.eml", answer.excerpts
    assert first.citation.title == "Spare eyepieces" and "red case under the control desk" in first.highlight
    gate = bot_for(corpus).ask("Who can open the gate for the technician?", k=1).excerpts[0]
    assert gate.citation.doc_id == "list.mbox:2" and "I still have the keys" in gate.highlight


def test_what_is_no_email_is_skipped_with_a_warning_and_the_rest_read(tmp_path: Path) -> None:
    noise = bytes(range(256)) * 64
    for name in ("noise.eml", "noise.mbox", "empty.mbox"):
        path = tmp_path / name
        path.write_bytes(b"" if name == "empty.mbox" else noise)
        warnings: list[str] = []
        assert list(load_file(CorpusFile(path, name), warn=warnings.append)) == []
        assert warnings == [f"skipping {name}: no e-mail in it has text to read"], warnings


def test_an_email_file_saved_with_a_utf8_byte_order_mark_is_read_whole(tmp_path: Path) -> None:
    """Notepad (before Windows 10 1903) saves UTF-8 with a byte-order mark: an .eml so saved was skipped as "no e-mail
    in it has text to read", and a mailbox lost its first message without a word (and each message's number moved)."""
    eml = tmp_path / "note.eml"
    eml.write_bytes(b"\xef\xbb\xbf" + bytes(_message("Ana Ruiz <ana@example.org>", "Dome keys", "Tue, 04 Jun 2024 "
                                                     "09:12:00 +0200", "The dome keys hang by the door.\n")))
    box = tmp_path / "list.mbox"
    box.write_bytes(b"\xef\xbb\xbf" + _mailbox(tmp_path / "plain.mbox").read_bytes())
    for path, expected in ((eml, [("note.eml", "Dome keys", "Ana Ruiz")]),
                           (box, [("list.mbox:1", "Dome repair schedule", "Ana Ruiz"),
                                  ("list.mbox:2", "Re: Dome repair schedule", "Ben Okafor"),
                                  ("list.mbox:3", "Kuppelöffnung", "Cleo")])):
        warnings: list[str] = []
        docs = list(load_file(CorpusFile(path, path.name), warn=warnings.append))
        assert [(d.doc_id, d.title, d.author) for d in docs] == expected and warnings == []
        assert all(not d.text.startswith("\ufeff") for d in docs)


@pytest.mark.parametrize("name", ["page.eml", "list.mbox"])
def test_an_html_email_over_the_markup_limit_is_skipped_unparsed_as_a_web_page_is(tmp_path: Path, name: str) -> None:
    """The same page as an .html file is skipped unparsed past QABOT_READER_MAX_INFLATED_MB; as an e-mail's HTML part
    it was parsed whole: 40 MB of it took 1.3 GB and 37 s."""
    from qabot.corpus import ReaderLimits

    page = "<html><body>" + "<div>The dome opens at dusk on Fridays, weather permitting.</div>\n" * 40_000 + "</body></html>"
    message = _message("Cleo <cleo@example.org>", "Opening hours", "Thu, 06 Jun 2024 11:00:00 +0200", page,
                       subtype="html")
    path = tmp_path / name
    if name.endswith(".eml"):
        path.write_bytes(bytes(message))
    else:
        _mailbox(path)
        box = mailbox.mbox(path)
        box.add(message)
        box.close()
    warnings: list[str] = []
    skipped: list[list[str]] = []  # a mailbox's first three messages, read before, are taken back by the index
    list(load_file(CorpusFile(path, name), warnings.append, ReaderLimits(max_inflated_mb=2), skipped=skipped.append))
    assert skipped == [[name]]
    part = "its HTML part" if name.endswith(".eml") else "message 4's HTML part"
    assert warnings == [(f"skipping {name}: {part}: 2.5 MB of markup to parse, over the 2 MB limit "
                         "(QABOT_READER_MAX_INFLATED_MB)")]
    docs = list(load_file(CorpusFile(path, name), limits=ReaderLimits(max_inflated_mb=4)))  # under it: read
    assert docs[-1].text.startswith("The dome opens at dusk on Fridays")


def test_a_subject_of_a_great_many_encoded_words_is_read_in_linear_time(tmp_path: Path) -> None:
    """The standard library's decode_header joins a header's encoded words a byte string at a time: a subject of
    60,000 of them (840 KB) took 7 s, 200,000 over a minute, in one call no reader limit stops. One that long is no
    subject anyone wrote: it is cited as written, undecoded."""
    import time

    subject = "=?utf-8?q?dome?= " * 60_000
    path = tmp_path / "long.eml"
    path.write_text(f"From: Ana <ana@example.org>\nSubject: {subject}\nDate: Tue, 04 Jun 2024 09:12:00 +0200\n\n"
                    "The dome opens at dusk.\n")
    started = time.monotonic()
    [doc] = load_file(CorpusFile(path, path.name))
    assert time.monotonic() - started < 2
    assert doc.title == " ".join(subject.split()) and doc.author == "Ana"
    short = tmp_path / "short.eml"  # a real one is decoded as ever
    short.write_text("From: Ana <ana@example.org>\nSubject: =?utf-8?q?Kuppel=C3=B6ffnung?=\n\nThe dome opens at dusk.\n")
    assert [d.title for d in load_file(CorpusFile(short, short.name))] == ["Kuppelöffnung"]


def test_one_message_of_parts_nested_a_thousand_deep_is_skipped_not_the_mailbox(tmp_path: Path) -> None:
    """Python's e-mail parser recurses a level a part: a message whose parts nest 1,000 deep raised RecursionError
    as the mailbox parsed it, before the message was looked at, and the whole mailbox was skipped ("it is nested too
    deeply"). Now that message alone is, named."""
    path = _mailbox(tmp_path / "list.mbox")
    deep = b"From: Eve <eve@example.org>\nSubject: Parts\n" + b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (n, n) for n in range(1000))
    deep += b"Content-Type: text/plain\n\nThe dome is closed.\n" + b"".join(b"\n--b%d--\n" % n for n in range(999, -1, -1))
    box = mailbox.mbox(path)
    box.add(deep)
    box.add(_message("Dan <dan@example.org>", "Dome keys", "Fri, 07 Jun 2024 08:00:00 +0200", "Keys are at the gate.\n"))
    box.close()
    warnings: list[str] = []
    docs = list(load_file(CorpusFile(path, path.name), warn=warnings.append))
    assert [d.doc_id for d in docs] == ["list.mbox:1", "list.mbox:2", "list.mbox:3", "list.mbox:5"]
    assert warnings == ["list.mbox: skipping message 4: cannot be read (it is nested too deeply)"]


@pytest.mark.parametrize("charset", ['"utf-8\0"', "idna"])
def test_a_charset_python_cannot_decode_with_is_read_as_utf8(tmp_path: Path, charset: str) -> None:
    """A charset name with a NUL in it (ValueError: embedded null character) or one whose codec cannot replace a bad
    byte (idna: UnicodeError) skipped the whole message, "cannot be read (ValueError: ...)"; any other unknown one
    is read as UTF-8."""
    path = tmp_path / "odd.eml"
    path.write_bytes(b"From: Ana <ana@example.org>\nSubject: Dome\nContent-Type: text/plain; charset=%s\n\n"
                     b"The dome opens at dusk.\n" % charset.encode())
    warnings: list[str] = []
    docs = list(load_file(CorpusFile(path, path.name), warn=warnings.append))
    assert [d.text for d in docs] == ["The dome opens at dusk."] and warnings == []


def test_a_message_of_a_great_many_mime_parts_is_skipped_before_they_are_all_built(tmp_path: Path) -> None:
    """The parser builds a message's whole tree of parts, some 600 bytes each, before any is looked at: 44 MB of 1.5
    million empty parts took 850 MB (a 256 MB file, 5 GB). Past 10,000 parts the file is skipped, saying so."""
    import tracemalloc

    path = tmp_path / "parts.eml"
    path.write_bytes(b'From: Ana <ana@example.org>\nSubject: Parts\nContent-Type: multipart/mixed; boundary="b"\n\n'
                     + (b"--b\nContent-Type: image/png\n\n" + b"x" * 40 + b"\n") * 200_000
                     + b"--b\nContent-Type: text/plain\n\nThe dome opens at dusk.\n--b--\n")  # 14 MB
    warnings: list[str] = []
    tracemalloc.start()
    try:
        docs = list(load_file(CorpusFile(path, path.name), warn=warnings.append))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert docs == [] and warnings == ["skipping parts.eml: an e-mail in it has more than 10,000 MIME parts"]
    assert peak < 30 << 20, peak >> 20  # 91 MB before, 4 MB now


@pytest.mark.parametrize("lines", [b"X: a\n" * 400_000, b"Subject: Lines\n" + b" a\n" * 400_000])
def test_a_message_of_millions_of_short_lines_is_read_or_skipped_in_memory_near_its_size(tmp_path: Path,
                                                                                         lines: bytes) -> None:
    """2 MB of one-letter lines (header fields, or one field folded over them) took some 30 times that while it was
    parsed: a file at the 256 MB size limit, some 8 GB. A mailbox's other messages are still read."""
    import tracemalloc

    path = tmp_path / "lines.eml"
    path.write_bytes(b"From: Ana <ana@example.org>\n" + lines + b"\nThe dome opens.\n")
    warnings: list[str] = []
    tracemalloc.start()
    try:
        docs = list(load_file(CorpusFile(path, path.name), warn=warnings.append))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * path.stat().st_size, peak >> 20
    assert docs == [] and len(warnings) == 1 and warnings[0].startswith("skipping lines.eml: an e-mail in it has "), (
        warnings)
    box = tmp_path / "box.mbox"
    box.write_bytes(b"From ana@example.org Mon Jan  1 00:00:00 2024\n" + path.read_bytes() + b"\nFrom ben@example.org "
                    b"Mon Jan  1 00:00:00 2024\nFrom: Ben <ben@example.org>\nSubject: Dome\n\nThe dome closes at six.\n")
    warnings.clear()
    [kept] = list(load_file(CorpusFile(box, box.name), warn=warnings.append))
    assert "closes at six" in kept.text and [w.split(":")[:2] for w in warnings] == [["box.mbox", " skipping message 1"]]
