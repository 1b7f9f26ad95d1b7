"""Opening the Milvus engine: serve the collection as it is, or bring it in step with the corpus first.

``open_milvus`` is ``qabot.index.load.open_index`` for Milvus, with the same promises:
a missing or stale collection is built or updated (incrementally, see ``writer``), and
when that fails the version in service keeps serving, if it was built with the same
model. A read-only replica (``QABOT_MILVUS_READ_ONLY``) never looks at a corpus: it
serves the version the indexing job committed last, and fails with a clear error when
there is none or when it was built with another model than this process embeds with.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from qabot import corpus
from qabot.embedding import Embedder
from qabot.errors import CorruptIndexError, IndexStoreError, QABotError
from qabot.index.build import build_lock
from qabot.index.manifest import BuildConfig, Status, corpus_files, stale_reason
from qabot.index.milvus import meta
from qabot.index.milvus.client import Connection
from qabot.index.milvus.config import MilvusConfig
from qabot.index.milvus.engine import MilvusEngine
from qabot.index.milvus.writer import rebuild_reason, update
from qabot.text import first_line

log = logging.getLogger(__name__)

Notify = Callable[[str], None]


def open_milvus(
    config: BuildConfig,
    mconfig: MilvusConfig,
    embedder: Embedder,
    *,
    rebuild: bool = False,
    progress: bool = True,
    notify: Notify | None = None,
    warn: Notify | None = None,
    fallback: bool = True,
) -> MilvusEngine:
    """The collection in service, updated first when the corpus changed (see the module docstring)."""
    notify = notify or log.warning
    conn = Connection(mconfig)
    try:
        if mconfig.read_only:
            if rebuild:
                raise IndexStoreError(f"QABOT_MILVUS_READ_ONLY is set: this process never writes {mconfig.collection}")
            return MilvusEngine(conn, mconfig, _serving(conn, mconfig, embedder))
        status, stored = _status(config, mconfig, embedder.name, conn)
        if status.fresh and not rebuild and stored is not None:
            return MilvusEngine(conn, mconfig, stored)
        if status.manifest is not None and not rebuild:
            notify(f"updating the index: {status.reason}")
        try:
            with build_lock(config.index_dir):  # the embedding cache is local: one builder per machine
                stored = update(config, mconfig, embedder, conn, rebuild=rebuild, progress=progress, warn=warn,
                                notify=notify)
        except (QABotError, OSError) as exc:
            error = exc if isinstance(exc, QABotError) else IndexStoreError(
                f"cannot update the index at {mconfig.uri}: {exc.strerror or first_line(exc)}")
            previous = _last_good(conn, mconfig, embedder) if fallback else None
            if previous is None:
                raise error from exc
            notify(f"could not update the index ({error}); serving the version in service, "
                   f"from {previous.manifest.built_at}")
            return MilvusEngine(conn, mconfig, previous)
        return MilvusEngine(conn, mconfig, stored)
    except BaseException:
        conn.close()
        raise


def _serving(conn: Connection, mconfig: MilvusConfig, embedder: Embedder) -> meta.Stored:
    stored = meta.read_current(conn, mconfig)
    if stored is None:
        raise IndexStoreError(
            f"no qabot collection {mconfig.collection!r} at {mconfig.uri}: build it first with `qabot index` "
            "(the indexing job, without QABOT_MILVUS_READ_ONLY)"
        )
    if stored.manifest.model != embedder.name:
        raise IndexStoreError(
            f"collection {mconfig.collection!r} at {mconfig.uri} holds vectors of {stored.manifest.model} "
            f"({stored.manifest.dimension} dimensions), but this process embeds with {embedder.name}: set "
            "QABOT_EMBEDDING_MODEL (and QABOT_EMBEDDING_BACKEND) as the indexing job does, or rebuild with it"
        )
    return stored


def _last_good(conn: Connection, mconfig: MilvusConfig, embedder: Embedder) -> meta.Stored | None:
    try:
        stored = meta.read_current(conn, mconfig)
    except QABotError:
        return None
    return stored if stored is not None and stored.manifest.model == embedder.name else None


def _status(config: BuildConfig, mconfig: MilvusConfig, model: str,
            conn: Connection) -> tuple[Status, meta.Stored | None]:
    quiet = lambda _message: None
    found = corpus_files(config.corpus_dir, quiet, external_links=config.corpus_external_links)
    files = corpus.digests(found, quiet)
    try:
        stored = meta.read_current(conn, mconfig)
    except CorruptIndexError as exc:
        return Status(None, files, str(exc)), None
    if stored is None:
        return Status(None, files, "no index yet"), None
    reason = rebuild_reason(stored, config, model) or stale_reason(stored.manifest, config, model, files)
    return Status(stored.manifest, files, reason), stored


def check_milvus(config: BuildConfig, mconfig: MilvusConfig, model: str) -> Status:
    """``qabot.index.manifest.check`` for Milvus: is the collection in step with the corpus?"""
    conn = Connection(mconfig)
    try:
        if mconfig.read_only:
            stored = meta.read_current(conn, mconfig)
            if stored is None:
                return Status(None, {}, f"no collection {mconfig.collection!r} at {mconfig.uri}")
            return Status(stored.manifest, stored.manifest.files, None)
        return _status(config, mconfig, model, conn)[0]
    finally:
        conn.close()


def current_build(mconfig: MilvusConfig) -> str | None:
    """The ``Manifest.build`` in service now (collection and version), read cheaply: what a replica polls."""
    conn = Connection(mconfig)
    try:
        names = meta.serving(conn, mconfig) if conn.call("has_collection", mconfig.meta) else None
        head = meta.read_head(conn, mconfig, names) if names else None
        return f"{names.passages}#{head.version}" if names and head else None
    finally:
        conn.close()
