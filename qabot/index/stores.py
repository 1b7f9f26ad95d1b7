"""Which engine holds the index (``QABOT_VECTOR_STORE``), and opening it.

``faiss`` (the default): FAISS + bm25s + the flat-file store in ``QABOT_INDEX_DIR``
(``qabot.index.load``). ``milvus``: a Milvus collection (``qabot.index.milvus``). Both
are opened the same way, checked against the corpus and built or updated first when
stale, and both give a ``SearchEngine``; the retrieval core cannot tell them apart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from qabot.embedding import Embedder
from qabot.index.engine import SearchEngine
from qabot.index.load import open_index
from qabot.index.manifest import BuildConfig, Status, check

if TYPE_CHECKING:
    from qabot.index.milvus import MilvusConfig
    from qabot.settings import Settings


def milvus_config(settings: Settings) -> MilvusConfig | None:
    """The Milvus settings, when Milvus is the store."""
    if settings.vector_store != "milvus":
        return None
    from qabot.index.milvus import MilvusConfig

    return MilvusConfig.from_settings(settings)


def open_store(
    settings: Settings,
    embedder: Embedder,
    *,
    rebuild: bool = False,
    progress: bool = True,
    notify: Callable[[str], None] | None = None,
    warn: Callable[[str], None] | None = None,
    fallback: bool = True,
) -> SearchEngine:
    """The index of ``settings``, in its store, built or brought up to date first when needed."""
    config = BuildConfig.from_settings(settings)
    mconfig = milvus_config(settings)
    if mconfig is None:
        return open_index(config, embedder, rebuild=rebuild, progress=progress, notify=notify, warn=warn,
                          fallback=fallback)
    from qabot.index.milvus import open_milvus

    return open_milvus(config, mconfig, embedder, rebuild=rebuild, progress=progress, notify=notify, warn=warn,
                       fallback=fallback)


def check_store(settings: Settings, model: str) -> Status:
    """Whether the index in the store matches the corpus and the model (``reason`` says why not)."""
    config = BuildConfig.from_settings(settings)
    mconfig = milvus_config(settings)
    if mconfig is None:
        return check(config, model)
    from qabot.index.milvus import check_milvus

    return check_milvus(config, mconfig, model)


def serving_build(settings: Settings) -> str | None:
    """The build a read-only replica should serve now (polled by ``QABot.watch``); None for other stores."""
    mconfig = milvus_config(settings)
    if mconfig is None:
        return None
    from qabot.index.milvus import current_build

    return current_build(mconfig)


def read_only(settings: Settings) -> bool:
    return settings.vector_store == "milvus" and settings.milvus_read_only
