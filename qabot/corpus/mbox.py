"""A mailbox saved as text: an mbox, as a mailing list's archive is served (Mailman's "2024-June.txt").

Each message opens with a ``From <sender> <date>`` line (after a blank line, but the first),
then its header; a line of the body that would open so is written ``>From``. Each message is
one document (``<file>:<n>``), its header its front matter (``files.parse_front_matter``):
the subject its title, the sender's name its author, its date; its body is read as plain
text. One message's subject never titles the whole month, and a passage never runs on from
one message into the next.
"""

from __future__ import annotations

from collections.abc import Iterator

from qabot.corpus import limits
from qabot.corpus.files import MBOX_START, parse_front_matter
from qabot.models import Document


def starts(text: str) -> list[int]:
    """Where each message of an mbox begins; fewer than two where the text is no mbox of messages."""
    if not MBOX_START.match(text, 1 if text.startswith("\ufeff") else 0):  # the first message after a byte-order mark
        return []
    found = []
    for match in MBOX_START.finditer(text):
        limits.check()
        found.append(match.start())
    return found


def documents(name: str, text: str, at: list[int]) -> Iterator[Document]:
    """The messages (beginning ``at``) of the mbox ``text`` from the file ``name``, a document each."""
    for number, (start, end) in enumerate(zip(at, [*at[1:], len(text)], strict=True), start=1):
        message = text[start:end]
        meta, body_start = parse_front_matter(message)
        yield Document(doc_id=f"{name}:{number}", source=name, text=message, body_start=body_start, **meta)
