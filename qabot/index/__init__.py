"""The index: one lifecycle over two engines, and the contract retrieval reads an index through.

- ``living``: ``LivingIndex``, where an index changes: load, freshness, the write lock,
  fallback, swap, watch, and applying changes (the corpus folder's, and the document
  API's ``upsert``/``delete``);
- ``changes``: the corpus compared with the manifest, and what an engine implements to
  apply a change (``Engine``, ``Transaction``);
- ``ingest``: documents to passages, embedded, tokenised and flagged, for either engine;
- ``manifest``: what an index was made from and holds (one model for both engines);
- ``engine``: the ``SearchEngine`` contract retrieval reads (find and fetch; no policy);
- ``embedded/``: the default engine (segments of flat files: vectors, BM25 postings, the
  chunk store; merges; leases); ``milvus/``: the Milvus engine;
- ``locks``: the write lock, in this process and across processes;
- ``cache``, ``lexical``, ``scope``, ``watch``, ``stores``: the embedding cache, the
  tokenizer, source patterns, watching the corpus, choosing the engine.
"""

from __future__ import annotations

from qabot.embedding import Embedder
from qabot.index.changes import Outcome, Refresh
from qabot.index.engine import Candidates, Evidence, ParagraphRow, PassageRow, SearchEngine
from qabot.index.ingest import indexed_text, model_input
from qabot.index.living import LivingIndex
from qabot.index.manifest import MANIFEST, BuildConfig, Manifest


def open_index(config: BuildConfig, embedder: Embedder, **options: object) -> LivingIndex:
    """The embedded engine's index in ``config.index_dir``, opened as ``LivingIndex.open_engine`` does."""
    from qabot.index.embedded.engine import EmbeddedEngine

    return LivingIndex.open_engine(EmbeddedEngine(config, embedder.name), config, embedder, **options)  # type: ignore[arg-type]


__all__ = [
    "MANIFEST",
    "BuildConfig",
    "Candidates",
    "Evidence",
    "LivingIndex",
    "Manifest",
    "Outcome",
    "ParagraphRow",
    "PassageRow",
    "Refresh",
    "SearchEngine",
    "indexed_text",
    "model_input",
    "open_index",
]
