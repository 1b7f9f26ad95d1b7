"""What happened to some channels of a live chat since the last ``History.apply``: the batch it takes."""

from __future__ import annotations

from dataclasses import dataclass, field

from qabot.corpus.chat import ChatMessage


@dataclass
class Changes:
    """What happened to some channels since the last ``apply``: the batch ``apply`` takes."""

    put: dict[int, list[ChatMessage]] = field(default_factory=dict)  # by channel: new messages (read or sent)
    edited: dict[int, list[ChatMessage]] = field(default_factory=dict)  # by channel: new versions of messages kept
    # by channel: new versions a backfill found reading a channel again (``Backfill``'s recheck): each yields to an
    # edit heard live in this run, which is newer than the page it was found on
    rechecked: dict[int, list[ChatMessage]] = field(default_factory=dict)
    removed: set[int] = field(default_factory=set)  # message ids
    dropped: set[int] = field(default_factory=set)  # channels (or threads) deleted
    # In the order heard: (message id, the member who marked it or took their mark back (None: a moderator cleared
    # the message's marks), whether it is marked now)
    marks: list[tuple[int, str | None, bool]] = field(default_factory=list)
    # backfill: marked messages a recheck found with no mark reaction left: their mark goes, but for one heard since
    unmarked: set[int] = field(default_factory=set)
    read: dict[int, tuple[int, bool]] = field(default_factory=dict)  # backfill: channel: (checkpoint, complete)
    relay: set[int] = field(default_factory=set)  # channels whose every exchange is laid out again (a new title)
    skipped: set[int] = field(default_factory=set)  # backfill failed: new messages are linked, the checkpoint stays

    def __bool__(self) -> bool:
        return bool(self.put or self.edited or self.rechecked or self.removed or self.dropped or self.marks
                    or self.unmarked or self.read or self.relay or self.skipped)

    def add(self, channel_id: int, message: ChatMessage) -> None:
        self.put.setdefault(channel_id, []).append(message)

    def merge(self, other: Changes) -> None:
        for channel_id, messages in other.put.items():
            self.put.setdefault(channel_id, []).extend(messages)
        for channel_id, messages in other.edited.items():
            self.edited.setdefault(channel_id, []).extend(messages)
        for channel_id, messages in other.rechecked.items():
            self.rechecked.setdefault(channel_id, []).extend(messages)
        self.removed |= other.removed
        self.dropped |= other.dropped
        self.marks += other.marks
        self.unmarked |= other.unmarked
        self.read |= other.read
        self.relay |= other.relay
        self.skipped |= other.skipped

    @property
    def messages(self) -> int:
        return sum(len(m) for m in self.put.values())
