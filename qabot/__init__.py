"""qabot: answers questions about a folder of documents with cited excerpts.

The public API::

    from qabot import QABot
    bot = QABot.from_settings(corpus_dir="corpus", index_dir="embeddings")
    answer = bot.ask("Who killed Trotsky?", k=5)
    bot.upsert([Document(doc_id="42", source="notes/today", text="...")])   # the document API

Importing qabot is cheap and changes nothing else (no environment variables, no log
levels): torch, FAISS and the model load on first use.
"""

from __future__ import annotations

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
