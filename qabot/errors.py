"""The errors qabot raises.

Every error a user can cause or fix is a ``QABotError``; front-ends catch the base
class and print its message as one line::

    QABotError
     ├── SettingsError      a QABOT_* setting has a bad value
     ├── CorpusError        the corpus folder is missing, empty or unusable
     │    └── CorpusFolderError  the folder itself is missing, or is not a folder
     ├── IndexStoreError    the index cannot be written or read
     │    └── CorruptIndexError
     ├── ModelError         the embedding model cannot be loaded
     ├── QuestionError      the question cannot be asked (empty, too long)
     ├── DocumentError      a document given to the document API is not usable
     └── StateError         the state folder (feedback, votes) cannot be used
"""

from __future__ import annotations


class QABotError(Exception):
    """Base class: something the user can understand and fix; print ``str(error)``."""


class SettingsError(QABotError, ValueError):
    """A setting has a bad value; the message names the variable."""


class CorpusError(QABotError):
    """The corpus folder is missing, empty, or holds nothing that can be indexed."""


class NothingToIndex(CorpusError):
    """Every file of the corpus folder was skipped or held no text; ``skipped`` says why, one line per file."""

    def __init__(self, message: str, skipped: list[str]) -> None:
        super().__init__(message)
        self.skipped = skipped


class CorpusFolderError(CorpusError):
    """The corpus folder is missing or is not a folder; front-ends say where it was set."""


class IndexStoreError(QABotError):
    """The index cannot be written or read (disk full, permissions, a lock held too long)."""


class CorruptIndexError(IndexStoreError):
    """An index on disk is damaged or incomplete; it is rebuilt, never half-loaded."""


class ModelError(QABotError):
    """The embedding model cannot be loaded (missing folder, not cached offline, bad backend)."""


class QuestionError(QABotError, ValueError):
    """The question is empty or longer than the configured limit."""


class DocumentError(QABotError, ValueError):
    """A document given to the document API (``QABot.upsert``/``delete``) is not usable; the message says why."""


class StateError(QABotError):
    """The state folder or its database cannot be used (permissions, a full disk, a newer schema)."""
