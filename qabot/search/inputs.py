"""Checking what a caller asks: the question, the conversation history, how many excerpts."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from qabot.errors import QuestionError
from qabot.text import flat, strip_controls

MAX_K = 50


def clean_question(question: str, limit: int) -> str:
    """The question with control characters removed and whitespace collapsed.

    Raises ``QuestionError`` when nothing is left or it is longer than ``limit``.
    """
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, not {type(question).__name__}")
    text = flat(strip_controls(unicodedata.normalize("NFC", question)))
    if not text:
        raise QuestionError("the question is empty")
    if len(text) > limit:
        raise QuestionError(f"the question is too long ({len(text):,} characters; the limit is {limit:,})")
    return text


def clean_history(history: Sequence[str] | None) -> list[str]:
    """The earlier questions that are text, cleaned like a question; the others are ignored."""
    return [clean for h in (history or []) if isinstance(h, str) and (clean := flat(strip_controls(h)))]


def check_k(k: int) -> int:
    """``k`` as asked, at most ``MAX_K``; raises ``QuestionError`` unless it is a positive whole number."""
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise QuestionError(f"k must be a positive whole number, not {k!r}")
    return min(k, MAX_K)
