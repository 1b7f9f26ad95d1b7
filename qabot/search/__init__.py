"""Answering a question from an index: candidates and fusion, sentence evidence, excerpts, follow-ups.

- ``inputs``: the question, history and k a caller gives, checked and cleaned;
- ``followup``: "When did he die?" rewritten with the name from an earlier question;
- ``candidates``: the dense and BM25 searches fused into one score;
- ``evidence``: each sentence's support (cosine, coverage, answer type, captions);
- ``excerpts``: the highlight, the window of source text around it, its citation;
- ``retriever``: the whole path, and abstention; ``config``: its knobs.
"""

from __future__ import annotations

from qabot.search.config import RetrievalConfig
from qabot.search.retriever import Retriever

__all__ = ["RetrievalConfig", "Retriever"]
