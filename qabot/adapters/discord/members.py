"""Members as the state database keeps them: the salted hash of their id, the same in answers and the history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qabot.corpus.deleted import DELETED_USER

if TYPE_CHECKING:
    from qabot.feedback import FeedbackStore


def user_of(user_id: int | str) -> str:
    """A member's id as the state database's user (hashed there), or a bridged person
    (``forgetting.bridged_person``) as it is."""
    return user_id if isinstance(user_id, str) else f"discord:{user_id}"


def member_key(store: FeedbackStore, user_id: int | str) -> str:
    """A member as the state database keeps them: the salted hash of their id (the same in answers and history; a
    string, a bridged name's key, ``chat.bridged_key``, is hashed as it is).
    Discord's one id for every deleted account is nobody's: kept as it is, as an export keys it, so that the history
    tells its messages apart as an export does, and forgetting it forgets them all (``qabot.corpus.deleted``)."""
    return DELETED_USER if str(user_id) == DELETED_USER else store.user_hash(user_of(user_id))


def member_keys(store: FeedbackStore, user_id: int) -> list[str]:
    """``member_key``, and for Discord's one id for deleted accounts the salted hash a state database of an earlier
    version kept it under too: forgetting it forgets what was kept so."""
    key = member_key(store, user_id)
    return [key, store.user_hash(user_of(user_id))] if key == DELETED_USER else [key]
