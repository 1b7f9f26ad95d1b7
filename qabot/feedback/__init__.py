"""Feedback: the state database of answers and votes, its summary, and its export as eval questions.

    from qabot.feedback import FeedbackStore, HELPFUL
    store = FeedbackStore.from_settings(settings)          # QABOT_STATE_DIR
    answer_id = store.record(answer, frontend="library", user="alice")
    store.vote(answer_id, "alice", HELPFUL)
    print(summary_text(summarise(store)))
    export(store, Path("feedback.jsonl"))                  # qabot eval feedback.jsonl

``store`` keeps the rows (SQLite, outside the index builds), ``report`` sums them up,
``export`` writes ``qabot eval`` JSONL.
"""

from __future__ import annotations

from qabot.feedback.export import Exported, export, export_items, export_to
from qabot.feedback.folder import state_dir
from qabot.feedback.report import FeedbackSummary, summarise, summary_text
from qabot.feedback.store import HELPFUL, NOT_HELPFUL, FeedbackStore, StoredAnswer, Vote, new_id

__all__ = [
    "HELPFUL",
    "NOT_HELPFUL",
    "Exported",
    "FeedbackStore",
    "FeedbackSummary",
    "StoredAnswer",
    "Vote",
    "export",
    "export_items",
    "export_to",
    "new_id",
    "state_dir",
    "summarise",
    "summary_text",
]
