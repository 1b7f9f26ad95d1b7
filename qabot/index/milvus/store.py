"""``MilvusStore``: a Milvus deployment as the lifecycle drives it (``qabot.index.changes.Engine``).

The same promises as the embedded engine, kept by Milvus's means: the committed state is
the build the alias points at, at the version its head names (``meta``); a change is
written in place and committed by the head (``writer``); one writer at a time, by the
writer's lease in the meta collection (and, since the embedding cache is local, the
index folder's lock), and one corpus folder per deployment: a writer refuses the build of
another (two folders of the same name share the default collection name) unless it
rebuilds it (``take_over``). A read-only replica (``QABOT_MILVUS_READ_ONLY``) never
writes: it serves what the indexing job committed last, and fails with a clear error
when there is none or when it was built with another model than this process embeds with.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from qabot.errors import CorruptIndexError, IndexStoreError, QABotError
from qabot.index.cache import EmbeddingCache
from qabot.index.changes import Note
from qabot.index.ingest import stored_key
from qabot.index.locks import folder_lock
from qabot.index.manifest import BuildConfig, Manifest, new_manifest
from qabot.index.milvus import meta
from qabot.index.milvus.client import Connection
from qabot.index.milvus.config import BuildNames, MilvusConfig, corpus_key
from qabot.index.milvus.engine import MilvusEngine
from qabot.index.milvus.schema import LAYOUT, PASSAGE_FIELDS, decode_paragraphs, passage_row
from qabot.index.milvus.writer import MilvusTransaction, _in_lists, _query_all
from qabot.models import Document, Paragraph


class MilvusStore:
    """The collection of ``mconfig``, for vectors of ``model``."""

    def __init__(self, config: BuildConfig, mconfig: MilvusConfig, model: str, *, take_over: bool = False) -> None:
        self.config = config
        self.mconfig = mconfig
        self.model = model
        self.read_only = mconfig.read_only
        self.corpus = corpus_key(config.corpus_dir)
        self.take_over = take_over  # `qabot index --rebuild`: this corpus folder's build replaces another's
        self.conn = Connection(mconfig)
        self._stored: meta.Stored | None = None
        self._lease: meta.Lease | None = None

    def describe(self) -> str:
        return f"collection {self.mconfig.collection} at {self.mconfig.uri}"

    def _read(self) -> meta.Stored | None:
        """The build in service; a writer refuses one of another corpus folder (a replica has no corpus folder)."""
        stored = meta.read_current(self.conn, self.mconfig)
        if stored is not None and stored.head.corpus == self.corpus:
            self.take_over = False  # taken over, if it was not before: another folder's build in its place is refused
        elif stored is not None and stored.head.corpus and not (self.read_only or self.take_over):
            raise IndexStoreError(
                f"{self.describe()} holds the index of another corpus folder than {self.config.corpus_dir} (one of "
                "the same name?): set QABOT_MILVUS_COLLECTION to a collection of its own, or, if this folder was "
                "moved, `qabot index --rebuild` takes the collection over")
        self._stored = stored
        return stored

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
    def lock(self, wait: bool = True) -> Iterator[None]:
        """The writer's lease on the deployment, and the local embedding cache's folder lock."""
        if self.read_only:
            raise IndexStoreError(f"QABOT_MILVUS_READ_ONLY is set: this process never writes {self.mconfig.collection}")
        self.config.index_dir.mkdir(parents=True, exist_ok=True)
        with folder_lock(self.config.index_dir, wait=wait):
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
                                 self._lease, self.corpus)

    def api_documents(self) -> Iterator[Document]:
        """The document API's live documents of the build in service; when its manifest is damaged, of the build
        the alias points at, by its head (``salvage``). A damaged head cannot say which rows were committed and
        which deleted (a deleted message must not come back): ``CorruptIndexError`` then, and none is given."""
        try:
            stored = self._read()
            names, head = (stored.names, stored.head) if stored is not None else (None, None)
        except CorruptIndexError:
            names, head = self._by_head()
        if names is None or head is None:
            return
        for doc, info in self._api_rows(names, head):
            chunks = {int(e["chunk"]): e for e in _query_all(
                self.conn, names.documents, f"doc == {doc}", ["chunk", "text", "paragraphs"])}
            text = "".join(chunks[c]["text"] for c in sorted(chunks))
            paragraphs = [p for c in sorted(chunks) for p in decode_paragraphs(chunks[c]["paragraphs"])]
            fields = {k: info.get(k) for k in ("doc_id", "source", "title", "author", "date", "url")}
            given = info["api"]
            yield Document(**fields, text=text, body_start=given.get("body_start", 0),
                           paragraphs=tuple(Paragraph(**vars(p)) for p in paragraphs) if given.get("paragraphs")
                           else None)

    def _api_rows(self, names: BuildNames, head: meta.Head | None) -> Iterator[tuple[int, dict]]:
        """(doc, stored meta) of each document the API added to ``names``: those ``head`` says are live (None: all)."""
        visible = f"chunk == 0 and doc < {head.next_doc}" if head is not None else "chunk == 0"
        hidden = head.hidden() if head is not None else set()
        self.conn.call("load_collection", names.documents)
        for row in _query_all(self.conn, names.documents, visible, ["doc", "meta"]):
            info = row["meta"] or {}
            if info.get("api") and int(row["doc"]) not in hidden:
                yield int(row["doc"]), info

    def _by_head(self) -> tuple[BuildNames | None, meta.Head]:
        """The build the alias points at and its head, read without its manifest (damaged); ``CorruptIndexError``
        when the head is damaged too."""
        names = meta.serving(self.conn, self.mconfig)
        if names is None:
            return None, meta.Head()
        try:
            head = meta.read_head(self.conn, self.mconfig, names)
        except CorruptIndexError as exc:
            why = str(exc)
        else:
            if head is not None:
                return names, head
            why = f"the head of {names.passages} at {self.conn.uri} is missing"
        raise CorruptIndexError(f"{why}: which of its documents were committed, and which deleted, is unknown")

    def salvage(self) -> Manifest | None:
        """When the manifest is damaged: one that stands for it, counting the document API's documents of the build
        the alias points at, which ``api_documents`` reads back by its head (Milvus keeps no copy of a manifest, but
        the head says which rows are committed and live). None: no build. The head damaged too, the count is of
        the documents any row names (deleted ones whose rows are still there too), for the line that says they
        could not be read back."""
        names = meta.serving(self.conn, self.mconfig)
        if names is None:
            return None
        try:
            head: meta.Head | None = self._by_head()[1]
        except CorruptIndexError:
            head = None
        try:  # each document once (with the head unknown, its rows of every version, deleted or not, are there)
            count = len({(info.get("source"), info.get("doc_id")) for _, info in self._api_rows(names, head)})
        except QABotError:
            return None  # the build's documents cannot be read at all: nothing to read back
        stand_in = new_manifest(self.config, self.model, 0, "")
        stand_in.api_documents = count
        return stand_in

    def wants_maintenance(self, manifest: Manifest) -> bool:
        return False  # Milvus compacts its own segments

    def maintain(self) -> bool:
        return False

    def purge(self) -> bool:
        """Milvus rewrites nothing on demand: the deleted documents' rows go after the grace, and their text when
        Milvus compacts (README). Their vectors, which a rebuild put in the local embedding cache, leave it now;
        False: no index file was rewritten."""
        if self.read_only or not self.config.embedding_cache:
            return False
        with self.lock():
            stored = self._read()
            hidden = sorted(stored.head.hidden()) if stored is not None else []
            keys = {stored_key(self.model, passage_row(entity)) for part in _in_lists(hidden)
                    for entity in _query_all(self.conn, stored.names.passages, f"doc in {part}", PASSAGE_FIELDS)}
            if keys:
                EmbeddingCache(self.config.index_dir / "cache", self.model, whole=False).drop(keys)
        return False

    def close(self) -> None:
        self.conn.close()
