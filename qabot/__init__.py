"""qabot: answers questions about a folder of documents with cited excerpts.

The public API::

    from qabot import QABot
    bot = QABot.from_settings(corpus_dir="corpus", index_dir="embeddings")
    answer = bot.ask("Who killed Trotsky?", k=5)

Importing qabot is cheap: torch, FAISS and the model load on first use.
"""

from __future__ import annotations

import os

# Before any Hugging Face library is imported: the model is packaged, nothing is downloaded.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from qabot.bot import QABot  # noqa: E402
from qabot.errors import (  # noqa: E402
    CorpusError,
    CorruptIndexError,
    IndexStoreError,
    ModelError,
    QABotError,
    QuestionError,
    SettingsError,
)
from qabot.models import Answer, Citation, Excerpt, PassageContext, SourceInfo  # noqa: E402
from qabot.settings import Settings, load_settings  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "Answer",
    "Citation",
    "CorpusError",
    "CorruptIndexError",
    "Excerpt",
    "IndexStoreError",
    "ModelError",
    "PassageContext",
    "QABot",
    "QABotError",
    "QuestionError",
    "Settings",
    "SourceInfo",
    "__version__",
    "load_settings",
]
