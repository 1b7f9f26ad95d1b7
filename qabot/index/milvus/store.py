"""``MilvusStore``: a Milvus deployment as the lifecycle drives it (``qabot.index.changes.Engine``).

The same promises as the embedded engine, kept by Milvus's means: the committed state is
the build the alias points at, at the version its head names (``meta``); a change is
written in place and committed by the head (``writer``); one writer at a time, by the
writer's lease in the meta collection (and, since the embedding cache is local, the
index folder's lock). A read-only replica (``QABOT_MILVUS_READ_ONLY``) never writes: it
serves what the indexing job committed last, and fails with a clear error when there is
none or when it was built with another model than this process embeds with.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from qabot.errors import CorruptIndexError, IndexStoreError
from qabot.index.changes import Note
from qabot.index.locks import folder_lock
from qabot.index.manifest import BuildConfig, Manifest
from qabot.index.milvus import meta
from qabot.index.milvus.client import Connection
from qabot.index.milvus.config import MilvusConfig
from qabot.index.milvus.engine import MilvusEngine
from qabot.index.milvus.schema import LAYOUT, decode_paragraphs
from qabot.index.milvus.writer import MilvusTransaction, _query_all
from qabot.models import Document, Paragraph


class MilvusStore:
    """The collection of ``mconfig``, for vectors of ``model``."""

    def __init__(self, config: BuildConfig, mconfig: MilvusConfig, model: str) -> None:
        self.config = config
        self.mconfig = mconfig
        self.model = model
        self.read_only = mconfig.read_only
        self.conn = Connection(mconfig)
        self._stored: meta.Stored | None = None
        self._lease: meta.Lease | None = None

    def describe(self) -> str:
        return f"collection {self.mconfig.collection} at {self.mconfig.uri}"

    def _read(self) -> meta.Stored | None:
        self._stored = meta.read_current(self.conn, self.mconfig)
        return self._stored

    def committed(self) -> Manifest | None:
        stored = self._read()
        return stored.manifest if stored is not None else None

    def stale(self, manifest: Manifest) -> str | None:
        """Why the build in service cannot be written to, whatever the settings say (None: it can)."""
        stored = self._stored
        if stored is not None and stored.manifest.build == manifest.build and stored.head.schema != LAYOUT:
            return "the Milvus collection layout changed"
        return None

    def open(self) -> MilvusEngine:
        stored = self._read()
        if stored is None:
            if self.read_only:
                raise IndexStoreError(
                    f"no qabot collection {self.mconfig.collection!r} at {self.mconfig.uri}: build it first with "
                    "`qabot index` (the indexing job, without QABOT_MILVUS_READ_ONLY)")
            raise CorruptIndexError(f"no index in {self.describe()}")
        if self.read_only and stored.manifest.model != self.model:
            raise IndexStoreError(
                f"collection {self.mconfig.collection!r} at {self.mconfig.uri} holds vectors of "
                f"{stored.manifest.model} ({stored.manifest.dimension} dimensions), but this process embeds with "
                f"{self.model}: set QABOT_EMBEDDING_MODEL (and QABOT_EMBEDDING_BACKEND) as the indexing job does, "
                "or rebuild with it")
        return MilvusEngine(Connection(self.mconfig), self.mconfig, stored)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """The writer's lease on the deployment, and the local embedding cache's folder lock."""
        if self.read_only:
            raise IndexStoreError(f"QABOT_MILVUS_READ_ONLY is set: this process never writes {self.mconfig.collection}")
        self.config.index_dir.mkdir(parents=True, exist_ok=True)
        with folder_lock(self.config.index_dir):
            meta.ensure_meta(self.conn, self.mconfig)
            lease = meta.Lease(self.conn, self.mconfig)
            lease.acquire()
            self._lease = lease
            try:
                yield
            finally:
                self._lease = None
                lease.release()

    def begin(self, base: Manifest | None, note: Note) -> MilvusTransaction:
        assert self._lease is not None, "begin() needs the lock"
        stored = self._read() if base is not None else None
        if stored is not None and stored.manifest.build != base.build:  # type: ignore[union-attr]
            raise IndexStoreError(f"the {self.describe()} changed while this change began; try again")
        return MilvusTransaction(self.conn, self.mconfig, stored, self.config.index_factory, self.model, note,
                                 self._lease)

    def api_documents(self) -> Iterator[Document]:
        stored = self._read()
        if stored is None:
            return
        names, visible = stored.names, f"chunk == 0 and doc < {stored.head.next_doc}"
        for row in _query_all(self.conn, names.documents, visible, ["doc", "meta"]):
            info = row["meta"] or {}
            if not info.get("api") or int(row["doc"]) in stored.head.hidden():
                continue
            doc = int(row["doc"])
            chunks = {int(e["chunk"]): e for e in _query_all(
                self.conn, names.documents, f"doc == {doc}", ["chunk", "text", "paragraphs"])}
            text = "".join(chunks[c]["text"] for c in sorted(chunks))
            paragraphs = [p for c in sorted(chunks) for p in decode_paragraphs(chunks[c]["paragraphs"])]
            fields = {k: info.get(k) for k in ("doc_id", "source", "title", "author", "date", "url")}
            given = info["api"]
            yield Document(**fields, text=text, body_start=given.get("body_start", 0),
                           paragraphs=tuple(Paragraph(**vars(p)) for p in paragraphs) if given.get("paragraphs")
                           else None)

    def salvage(self) -> Manifest | None:
        return None  # the manifest is in the meta collection, which keeps no copy of it

    def wants_maintenance(self, manifest: Manifest) -> bool:
        return False  # Milvus compacts its own segments

    def maintain(self) -> bool:
        return False

    def close(self) -> None:
        self.conn.close()
