"""Members as the state database keeps them: the salted hash of their id, the same in answers and the history."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qabot.feedback import FeedbackStore


def user_of(user_id: int | str) -> str:
    """A member's id as the state database's user (hashed there), or a bridged person
    (``forgetting.bridged_person``) as it is."""
    return user_id if isinstance(user_id, str) else f"discord:{user_id}"


def member_key(store: FeedbackStore, user_id: int) -> str:
    """A member as the state database keeps them: the salted hash of their id (the same in answers and history)."""
    return store.user_hash(user_of(user_id))
