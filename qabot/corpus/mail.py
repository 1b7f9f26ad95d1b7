"""The reader for e-mail: ``.eml`` (one message) and ``.mbox`` (a mailbox: a mail client's export, a list's archive).

Each message is one document (``<file>:<n>`` in a mailbox), cited by its subject (its title), its sender's name (its
author) and its date. Its text is the message's own: the plain-text part where it has one, else its HTML part read as
a web page is (``qabot.corpus.html``), decoded from its transfer encoding and character set by the standard library's
``email`` package (``mailbox`` reads the mailbox). Like a PDF's, that text is derived: the index stores it, and offsets
point into it. Attachments are not read, nor the text a reply quotes (its ``>`` lines): that is the earlier message's,
and is read there. A message with no text part is left out; a mailbox with none says so. An HTML part is parsed
whole, as a web page is, and within the same limit (``QABOT_READER_MAX_INFLATED_MB``): one over it skips the file,
as any limit does.
"""

from __future__ import annotations

import codecs
import mailbox
import re
from collections.abc import Callable, Iterable, Iterator
from email import policy
from email.message import Message
from email.parser import BytesParser
from typing import Any, BinaryIO

from qabot.corpus import html, limits, plaintext
from qabot.corpus.files import MAIL_FIELDS, CorpusFile, Warn, mail_meta
from qabot.models import Document
from qabot.text import first_line

SUFFIXES = frozenset({".eml", ".mbox"})
_BOM = codecs.BOM_UTF8
_QUOTED = re.compile(r"(?m)^[ \t]*>.*\n?")  # a line the reply quotes from the message it answers
# MIME parts one message may have (a real one: a few). The parser builds each as an object of some 600 bytes, the
# message's whole tree before any is looked at: 44 MB of 1.5 million empty parts took 850 MB.
MAX_PARTS = 10_000
# The parser holds a message's header and body as a list of its lines (some 55 bytes each) before it joins them: 2 MB
# of one-letter lines took some 30 times that, a file at the size limit 8 GB. Past ``FREE_LINES`` lines, a message's
# lines must average ``LINE_BYTES`` (a real one's are 40-80; base64's 76), which bounds that to a few times its size.
FREE_LINES = 100_000
LINE_BYTES = 16
_CHUNK = 1 << 20


def read(file: CorpusFile, warn: Warn) -> Iterator[Document]:
    if file.suffix == ".eml":
        with file.path.open("rb") as handle:
            if handle.read(len(_BOM)) != _BOM:  # Notepad's UTF-8 mark: no part of the header
                handle.seek(0)
            yield from _documents(file, [lambda: parse(handle)], warn)
        return
    box = _Mailbox(file.path, factory=None, create=False)
    try:  # each message parsed as it is read, apart: one its parser breaks on (its parts 1,000 deep) is skipped alone
        yield from _documents(file, ((lambda key=key: parse(box.get_file(key))) for key in box.iterkeys()), warn)
    finally:
        box.close()


def parse(handle: BinaryIO) -> Message:
    """One message, its parts counted as the parser builds them (``_Parts``), and its lines before (``_count_lines``)."""
    _count_lines(handle)
    return BytesParser(_Parts(), policy=policy.compat32).parse(handle)  # the modern policy: 3× slower


def _count_lines(handle: BinaryIO) -> None:
    """``OverLimit`` for a message of more than ``FREE_LINES`` lines shorter than ``LINE_BYTES`` on average; the
    handle is left where it was."""
    start = handle.tell()
    size = lines = 0
    while chunk := handle.read(_CHUNK):
        size += len(chunk)
        lines += chunk.count(b"\n")
        limits.check()
    handle.seek(start)
    if lines > FREE_LINES and lines * LINE_BYTES > size:
        raise _ShortLines(f"{lines:,} lines of {size / lines:.1f} bytes on average (past {FREE_LINES:,} lines, at "
                          f"least {LINE_BYTES} are read: many short ones would take many times their size to parse)")


class _ShortLines(limits.OverLimit):
    """A message of too many short lines (``_count_lines``): the file of one is skipped, a mailbox's message alone."""


class _Parts:
    """The parser's factory of a message's parts: past ``MAX_PARTS`` of them, the file is skipped (``OverLimit``)."""

    def __init__(self) -> None:
        self.built = -1  # the parser builds one to try its factory out

    def __call__(self, **kwargs: Any) -> Message:
        self.built += 1
        if self.built > MAX_PARTS:
            raise limits.OverLimit(f"an e-mail in it has more than {MAX_PARTS:,} MIME parts")
        return Message(**kwargs)


class _Mailbox(mailbox.mbox):
    """``mailbox.mbox``, and a first message behind a UTF-8 byte-order mark (Notepad's), which it takes for no
    message, the mark hiding its ``From`` line."""

    def _generate_toc(self) -> None:
        super()._generate_toc()
        self._file.seek(0)
        if self._file.read(len(_BOM) + 5) != _BOM + b"From ":
            return
        end = self._toc[0][0] if self._toc else self._file_length  # where the next message, or the file, begins
        self._file.seek(max(0, end - 2))
        stop = end - 1 if self._file.read(2) == b"\n\n" else end  # the blank line before it is no part of it
        self._toc = {0: (len(_BOM), stop)} | {key + 1: span for key, span in self._toc.items()}
        self._next_key = len(self._toc)


def _documents(file: CorpusFile, messages: Iterable[Callable[[], Message]], warn: Warn) -> Iterator[Document]:
    read_any = False
    for number, parse in enumerate(messages, start=1):
        limits.check()
        doc_id = file.name if file.suffix == ".eml" else f"{file.name}:{number}"
        try:
            message = parse()
            if MAIL_FIELDS.isdisjoint(key.lower() for key in message):
                continue  # no e-mail field at all: bytes of something else
            document = _document(file.name, doc_id, message)
        except _ShortLines as exc:
            if file.suffix == ".eml":
                raise limits.OverLimit(f"an e-mail in it has {exc}") from None
            warn(f"{file.name}: skipping message {number}: it has {exc}")
            continue
        except Exception as exc:  # whatever the email package or lxml raises for one message
            if file.suffix == ".eml" or isinstance(exc, limits.OverLimit):
                raise  # the file's one message, or a limit: the file is skipped, and says why
            why = ("it is nested too deeply" if isinstance(exc, RecursionError)
                   else f"{type(exc).__name__}: {first_line(exc)}")
            warn(f"{file.name}: skipping message {number}: cannot be read ({why})")
            continue  # one message a parser breaks on is skipped, not the mailbox
        if document is not None:
            read_any = True
            yield document
    if not read_any:
        warn(f"skipping {file.name}: no e-mail in it has text to read")


def _document(source: str, doc_id: str, message: Message) -> Document | None:
    """A message as a document: its text part (or HTML part) and its header's subject, sender and date."""
    meta = mail_meta(*(str(message.get(field, "")) for field in ("subject", "from", "date")))
    body = _body(message)
    if body is None:
        return None
    content = _content(body)
    if body.get_content_subtype() == "html":  # parsed whole, as a web page is: within the same limit
        data = content.encode("utf-8")
        part = "its HTML part: " if doc_id == source else f"message {doc_id.rpartition(':')[2]}'s HTML part: "
        limits.current().check_markup(len(data), part)
        page = html.document(source, data)
        return page.model_copy(update={"doc_id": doc_id, **meta}) if page is not None else None
    text = _QUOTED.sub("", content).strip("\n")
    if not text.strip() or plaintext.looks_binary(text):
        return None
    return Document(doc_id=doc_id, source=source, text=text, **meta)


def _body(message: Message) -> Message | None:
    """The part a mail client shows as the message: its first text part that is no attachment, plain text before
    HTML (``EmailMessage.get_body``'s choice, in one walk)."""
    found: dict[str, Message] = {}
    for part in message.walk():
        kind = part.get_content_type()
        if kind in ("text/plain", "text/html") and not part.get_filename() and "attachment" not in str(
                part.get("content-disposition", "")).lower():
            found.setdefault(kind, part)
    return found.get("text/plain") or found.get("text/html")


def _content(part: Message) -> str:
    """A part's text, decoded from its transfer encoding and its character set (UTF-8 where it names none or one
    Python does not know or cannot look up, "utf-8\\0", or whose codec replaces no bad byte, idna's; bad bytes replaced)."""
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    try:
        return data.decode(part.get_content_charset() or "utf-8", errors="replace")
    except (LookupError, ValueError):  # ValueError: a NUL in the name; UnicodeError: no "replace" in that codec
        return data.decode("utf-8", errors="replace")

