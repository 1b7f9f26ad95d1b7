"""qabot: answers questions about a folder of documents with cited excerpts.

The public API::

    from qabot import QABot
    bot = QABot.from_settings(corpus_dir="corpus", index_dir="embeddings")
    answer = bot.ask("Who killed Trotsky?", k=5)
    bot.upsert([Document(doc_id="42", source="notes/today", text="...")])   # the document API

Importing qabot is cheap and changes nothing else (no environment variables, no log
levels): each name below is imported where it is first used, and torch, FAISS and the model
load on first use.
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from qabot.bot import QABot
    from qabot.errors import (
        CorpusError,
        CorruptIndexError,
        DocumentError,
        IndexStoreError,
        ModelError,
        QABotError,
        QuestionError,
        SettingsError,
    )
    from qabot.index.changes import Outcome, Refresh
    from qabot.models import Answer, Citation, Document, Excerpt, Paragraph, PassageContext, RankedDocument, SourceInfo
    from qabot.settings import Settings, load_settings

__version__ = "0.1.0"

__all__ = [
    "Answer",
    "Citation",
    "CorpusError",
    "CorruptIndexError",
    "Document",
    "DocumentError",
    "Excerpt",
    "IndexStoreError",
    "ModelError",
    "Outcome",
    "Paragraph",
    "PassageContext",
    "QABot",
    "QABotError",
    "QuestionError",
    "RankedDocument",
    "Refresh",
    "Settings",
    "SettingsError",
    "SourceInfo",
    "__version__",
    "load_settings",
]

# Where each name of the API is defined. They are imported on first use (PEP 562), not with the package: every
# ``import qabot.x`` runs this file first, and the ``qabot`` command's entry point (``qabot.entry``) must run
# before the library loads (some 0.4 s), to tell Ctrl-C in that time in one line.
_HOMES = {name: home for home, names in (
    ("qabot.bot", ("QABot",)),
    ("qabot.errors", ("CorpusError", "CorruptIndexError", "DocumentError", "IndexStoreError", "ModelError",
                      "QABotError", "QuestionError", "SettingsError")),
    ("qabot.index.changes", ("Outcome", "Refresh")),
    ("qabot.models", ("Answer", "Citation", "Document", "Excerpt", "Paragraph", "PassageContext", "RankedDocument",
                      "SourceInfo")),
    ("qabot.settings", ("Settings", "load_settings")),
) for name in names}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
