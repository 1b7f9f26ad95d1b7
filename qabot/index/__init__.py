"""The index: build it from a corpus, check it against its manifest, load it as a search engine.

- ``manifest``: what a build was made from; ``check`` says whether it is still fresh;
- ``build``: streams the corpus through chunking and the model, commits atomically
  (``qabot.index.build.build``);
- ``load``: the default engine (FAISS + bm25s + flat files) and ``open_index``, which
  builds a missing, stale or corrupt index before loading it;
- ``leases``: a build a live process reads is never deleted under it;
- ``engine``: the contract retrieval reads an index through;
- ``store``, ``lexical``, ``dense``, ``cache``: the chunk store, BM25, FAISS, the embedding cache.
"""

from __future__ import annotations

from qabot.index.build import indexed_text
from qabot.index.engine import Candidates, Evidence, ParagraphRow, PassageRow, SearchEngine
from qabot.index.load import Index, open_index
from qabot.index.manifest import MANIFEST, BuildConfig, Manifest, Status, check

__all__ = [
    "MANIFEST",
    "BuildConfig",
    "Candidates",
    "Evidence",
    "Index",
    "Manifest",
    "ParagraphRow",
    "PassageRow",
    "SearchEngine",
    "Status",
    "check",
    "indexed_text",
    "open_index",
]
