"""A live chat's history: kept in the state database, linked into exchanges, indexed, and quoted only where allowed.

- ``store``: the channels, their checkpoints and their messages, in the state database;
- ``linking``: new messages linked into their conversations once, and exchanges laid out;
- ``changes``: ``Changes``, a batch of what happened to some channels;
- ``service``: ``History``, which applies a batch of changes and feeds the document API;
- ``privacy``: the rule that decides which channels' history a place may quote;
- ``readers``: whether everyone who may read one channel may read another, from roles and overwrites.

The Discord adapter (``qabot.adapters.discord.history``, ``backfill``) turns gateway
events and backfilled pages into ``Changes``.
"""

from __future__ import annotations

from qabot.history.changes import Changes
from qabot.history.privacy import HistoryChannel, Where, quotable
from qabot.history.rows import CHANNEL, FORUM_POST, PRIVATE_THREAD, THREAD, ChannelRow
from qabot.history.service import Applied, History, Progress
from qabot.history.store import HistoryStore

__all__ = ["CHANNEL", "FORUM_POST", "PRIVATE_THREAD", "THREAD", "Applied", "Changes", "ChannelRow", "History",
           "HistoryChannel", "HistoryStore", "Progress", "Where", "quotable"]
