"""Which engine holds the index (``QABOT_VECTOR_STORE``).

``faiss`` (the default): segments of flat files in ``QABOT_INDEX_DIR``, FAISS or exact
search over memory-mapped vectors, BM25 over postings (``qabot.index.embedded``).
``milvus``: a Milvus collection (``qabot.index.milvus``). Both are driven by the same
lifecycle (``qabot.index.living.LivingIndex``) and both give a ``SearchEngine``: the
retrieval core cannot tell them apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qabot.corpus.files import refuse_as_index
from qabot.index.changes import Engine
from qabot.index.manifest import BuildConfig

if TYPE_CHECKING:
    from qabot.index.milvus import MilvusConfig
    from qabot.settings import Settings


def milvus_config(settings: Settings) -> MilvusConfig | None:
    """The Milvus settings, when Milvus is the store."""
    if settings.vector_store != "milvus":
        return None
    from qabot.index.milvus import MilvusConfig

    return MilvusConfig.from_settings(settings)


def make_engine(settings: Settings, config: BuildConfig, model: str, *, take_over: bool = False) -> Engine:
    """The engine ``settings`` name, over ``config``'s folders, for vectors of ``model``; ``take_over`` (a rebuild):
    a Milvus collection holding another corpus folder's index is rebuilt for this one, not refused."""
    refuse_as_index(config.corpus_dir, config.index_dir)  # before the engine writes its first file there
    mconfig = milvus_config(settings)
    if mconfig is None:
        from qabot.index.embedded.engine import EmbeddedEngine

        return EmbeddedEngine(config, model)
    from qabot.index.milvus.store import MilvusStore

    return MilvusStore(config, mconfig, model, take_over=take_over)


def read_only(settings: Settings) -> bool:
    return settings.vector_store == "milvus" and settings.milvus_read_only
