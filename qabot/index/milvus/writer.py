"""Writing a Milvus build: a whole new one, or the changes since the last version, in place.

``update`` is the one writer. It reads the corpus listing, then:

- **a new build** (the first one, a rebuild asked for, another model, chunking or index
  type, a newer collection layout, or an update that died half-way): every file is
  streamed into a fresh set of collections; the alias is switched to it once it is
  complete, so readers never see it half-made; the build before it is kept (readers
  may still be on it), older ones are dropped;
- **an update in place**: only the files added or changed are read and embedded (the
  embedding cache still spares unchanged passages); their documents get new numbers,
  and the documents of changed and removed files are deleted once the new ones are in.
  Every other row is untouched. The head is marked dirty while this runs.

Either way the manifest is committed last, as the build's next version. The chunking,
the model input and the embedding cache are the FAISS build's own (``qabot.index.build``).
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime

from qabot import chunking
from qabot.embedding import Embedder
from qabot.errors import CorpusError, CorruptIndexError, QABotError
from qabot.index.build import BATCH, embed_inputs, listing, model_input, open_cache, passage_terms, stream
from qabot.index.manifest import FORMAT_VERSION, INDEX_TEXT, BuildConfig, Manifest, stale_reason
from qabot.index.milvus import meta
from qabot.index.milvus.client import Connection
from qabot.index.milvus.config import BuildNames, MilvusConfig
from qabot.index.milvus.records import DocumentRows, passage_record, quote
from qabot.index.milvus.schema import (
    LAYOUT,
    MAX_DOCS,
    bm25_text,
    create_build,
    dense_index,
    passage_id,
    sentence_id,
)
from qabot.models import Document, Paragraph, Passage

Note = Callable[[str], None]
IN_LIST = 1000  # values per "x in [...]" filter


def rebuild_reason(stored: meta.Stored | None, config: BuildConfig, model: str) -> str | None:
    """Why the build in service cannot be updated in place (None: it can)."""
    if stored is None:
        return "no index yet"
    if stored.head.schema != LAYOUT:
        return "the Milvus collection layout changed"
    if stored.head.dirty:
        return f"the last update of {stored.names.passages} did not finish"
    return stale_reason(stored.manifest, config, model, stored.manifest.files)


def update(config: BuildConfig, mconfig: MilvusConfig, embedder: Embedder, conn: Connection, *, rebuild: bool,
           progress: bool, warn: Note | None, notify: Note) -> meta.Stored:
    """Bring the collection in step with the corpus (see the module docstring); returns what is in service."""
    started = time.perf_counter()
    skipped: list[str] = []

    def note(message: str) -> None:
        skipped.append(message)
        (warn or notify)(message)

    found, files = listing(config, note)
    meta.ensure_meta(conn, mconfig)
    lease = meta.Lease(conn, mconfig)
    lease.acquire()
    try:
        try:
            stored = meta.read_current(conn, mconfig)
        except CorruptIndexError as exc:
            notify(f"rebuilding the index: {exc}")
            stored = None
        reason = "a rebuild was asked for" if rebuild else rebuild_reason(stored, config, embedder.name)
        previous = stored.manifest.files if stored and not reason else {}
        todo = [f for f in found if previous.get(f.name) != files[f.name]]
        replaced = sorted({f.name for f in todo if f.name in previous} | (set(previous) - set(files)))
        if stored is not None and not reason and not todo and not replaced:
            return stored
        if reason:
            names = BuildNames(f"{mconfig.collection}_b{datetime.now(UTC):%Y%m%d%H%M%S}{uuid.uuid4().hex[:6]}")
            head = meta.Head(schema=LAYOUT)
        else:
            assert stored is not None
            names, head = stored.names, replace(stored.head, dirty=True)
            meta.write_head(conn, mconfig, names, head)
        try:
            writer = _Writer(conn, names, head.next_doc, config, embedder, lease, note)
            indexed = stream(todo, config, writer, note, progress)
            writer.finish()
            gone = _remove_sources(conn, names, replaced, head.next_doc, writer.df) if replaced else Counter()
            base = stored.manifest if stored and not reason else None
            manifest = _manifest(config, embedder, names, files, skipped, base, todo, indexed, writer, gone, started)
            if manifest.passages <= 0:
                raise CorpusError(f"nothing to index: the files in {str(config.corpus_dir)!r} hold no text")
            _store_df(conn, names, writer.df)
            for name in names.all:
                conn.call("flush", name)
            head = meta.commit(conn, mconfig, names, replace(head, next_doc=writer.next_doc), manifest)
        except BaseException:
            if reason:  # a new build that never went into service: nothing may keep it
                with contextlib.suppress(QABotError):
                    meta.forget(conn, mconfig, names)
            raise
        if reason:
            _switch(conn, mconfig, names, stored, notify)
        return meta.Stored(names, head, manifest)
    finally:
        lease.release()


class _Writer:
    """Rows for the passages, sentences and documents ``stream`` hands over, inserted ``BATCH`` passages at a time."""

    def __init__(self, conn: Connection, names: BuildNames, next_doc: int, config: BuildConfig, embedder: Embedder,
                 lease: meta.Lease, note: Note) -> None:
        self.conn, self.names, self.config, self.embedder, self.lease, self.note = conn, names, config, embedder, lease, note
        self.cache = open_cache(config, embedder)
        self.next_doc = next_doc
        self.pending: list[tuple[int, int, Passage, Document]] = []
        self.documents: list[dict] = []
        self.open: DocumentRows | None = None
        self.df: Counter[str] = Counter()
        self.dimension = 0
        self.passages = self.sentences = self.docs = self.embedded = 0
        self.created = bool(conn.call("has_collection", names.passages))

    def add_document(self, document: Document, paragraphs: list[Paragraph]) -> int | None:
        self._close_document()
        if self.next_doc >= MAX_DOCS:
            raise CorpusError(f"more than {MAX_DOCS} documents have been written to {self.names.passages}: rebuild it")
        rows = DocumentRows.of(self.next_doc, document, paragraphs)
        if rows.problem:
            self.note(f"skipping {document.source} document {document.doc_id!r}: {rows.problem}")
            return None
        self.open = rows
        self.next_doc += 1
        return rows.doc

    def add(self, doc_row: int, passage: Passage) -> None:
        assert self.open is not None and self.open.doc == doc_row
        ordinal = self.open.add_passage(passage)
        self.pending.append((doc_row, ordinal, passage, self.open.document))
        if len(self.pending) >= BATCH:
            self.flush()

    def _close_document(self) -> None:
        if self.open is not None:
            self.documents += self.open.rows()
            self.docs += 1
            self.open = None

    def flush(self) -> None:
        if self.pending:
            self._write_passages()
        if self.documents and (self.created or self.passages):  # a new build's collections come with its first vectors
            for lo in range(0, len(self.documents), 256):
                self.conn.call("insert", self.names.documents, self.documents[lo : lo + 256])
            self.documents = []
        self.lease.renew()

    def finish(self) -> None:
        self._close_document()
        self.flush()
        if self.cache is not None:
            self.cache.flush()

    def _write_passages(self) -> None:
        inputs = [model_input(passage) for _, _, passage, _ in self.pending]
        vectors, embedded = embed_inputs(self.embedder, self.cache, inputs)
        self.embedded += embedded
        self.dimension = int(vectors[0][0].shape[0])
        if not self.created:
            create_build(self.conn, self.names, self.dimension, self.config.index_factory)
            self.created = True
        passages, sentences = [], []
        for (doc, ordinal, passage, document), (text, spans), (vector, sentence_vectors) in zip(
            self.pending, inputs, vectors, strict=True
        ):
            row = passage_id(doc, ordinal)
            words, sentence_terms = passage_terms(text, spans)
            self.df.update(set(bm25_text(words).split()))
            record = passage_record(doc, passage, document)
            passages.append({"id": row, "vector": vector.astype("float32"), "terms": bm25_text(words), **record})
            sentences += [
                {"id": sentence_id(row, i), "doc": doc, "vector": v.astype("float32"), "terms": t.astype("int64")}
                for i, (v, t) in enumerate(zip(sentence_vectors, sentence_terms, strict=True))
            ]
        for lo in range(0, len(passages), 256):
            self.conn.call("insert", self.names.passages, passages[lo : lo + 256])
        for lo in range(0, len(sentences), 1024):
            self.conn.call("insert", self.names.sentences, sentences[lo : lo + 1024])
        self.passages += len(passages)
        self.sentences += len(sentences)
        self.pending.clear()


def _in_lists(values: list) -> list[list]:
    return [values[lo : lo + IN_LIST] for lo in range(0, len(values), IN_LIST)]


def _query_all(conn: Connection, collection: str, expr: str, fields: list[str]) -> Iterator[dict]:
    """Every row ``expr`` matches (a plain query stops at Milvus's result window of 16,384 rows)."""
    iterator = conn.call("query_iterator", collection, batch_size=4096, filter=expr, output_fields=fields,
                         **meta.STRONG)
    try:
        while batch := iterator.next():
            yield from batch
    except QABotError:
        raise
    except Exception as exc:  # noqa: BLE001 - pymilvus's iterator raises its own errors
        raise conn.error(exc) from None
    finally:
        iterator.close()


def _remove_sources(conn: Connection, names: BuildNames, sources: list[str], before: int,
                    df: Counter[str]) -> Counter[str]:
    """Delete the documents (numbered below ``before``) of these source files; returns their counts.

    The removed passages' terms are taken off ``df``.
    """
    docs: list[int] = []
    counts: Counter[str] = Counter()
    for part in _in_lists(sources):
        expr = f"chunk == 0 and doc < {before} and source in [{', '.join(quote(s) for s in part)}]"
        for row in _query_all(conn, names.documents, expr, ["doc", "meta"]):
            docs.append(int(row["doc"]))
            counts.update({"documents": 1, "passages": row["meta"]["passages"], "sentences": row["meta"]["sentences"]})
    for part in _in_lists(docs):
        expr = f"doc in {part}"
        for row in _query_all(conn, names.passages, expr, ["terms"]):
            df.subtract(set(row["terms"].split()))
        for name in (names.passages, names.sentences, names.documents):
            conn.call("delete", name, filter=expr)
    return counts


def _store_df(conn: Connection, names: BuildNames, delta: Counter[str]) -> None:
    """Apply the change in each term's document frequency to the terms collection."""
    from qabot.index.milvus.schema import PLACEHOLDER, PLACEHOLDER_VECTOR

    keys = [k for k, v in delta.items() if v and len(k.encode()) <= 1000]
    for part in [keys[lo : lo + 2000] for lo in range(0, len(keys), 2000)]:
        found = conn.call("get", names.terms, ids=part, output_fields=["df"], **meta.STRONG) or []
        old = {r["id"]: int(r["df"]) for r in found}
        new = {k: old.get(k, 0) + delta[k] for k in part}
        keep = [{"id": k, "df": v, PLACEHOLDER: PLACEHOLDER_VECTOR} for k, v in new.items() if v > 0]
        if keep:
            conn.call("upsert", names.terms, keep)
        drop = [k for k, v in new.items() if v <= 0 and k in old]
        if drop:
            conn.call("delete", names.terms, ids=drop)


def _switch(conn: Connection, mconfig: MilvusConfig, names: BuildNames, before: meta.Stored | None,
            notify: Note) -> None:
    """Point the alias at the new build; keep the one before it, drop older ones."""
    if conn.call("describe_alias", mconfig.collection, missing_ok=True):
        conn.call("alter_alias", names.passages, mconfig.collection)
    else:
        conn.call("create_alias", names.passages, mconfig.collection)
    keep = {names.passages, before.names.passages if before else ""}
    for old in meta.builds(conn, mconfig):
        if old.passages not in keep:
            meta.forget(conn, mconfig, old)


def _manifest(config: BuildConfig, embedder: Embedder, names: BuildNames, files: dict[str, str], skipped: list[str],
              base: Manifest | None, todo: list, indexed: set[str], writer: _Writer, gone: Counter[str],
              started: float) -> Manifest:
    read = {f.name for f in todo}
    kept = [m for m in (base.skipped if base else []) if any(n in m for n in files if n not in read)]
    unchanged = [n for n in files if n not in read and base is not None]
    silent = [n for n in unchanged if any(n in m for m in kept)]
    return Manifest(
        format_version=FORMAT_VERSION,
        model=embedder.name,
        dimension=writer.dimension or (base.dimension if base else 0),
        passage_chars=config.passage_chars,
        sentence_chars=chunking.MAX_SENTENCE_CHARS,
        index_text=INDEX_TEXT,
        index_factory=config.index_factory,
        index_factory_used=f"milvus {dense_index(config.index_factory)[0]['index_type']}",
        build=names.passages,
        files=files,
        skipped=kept + skipped,
        documents=(base.documents if base else 0) - gone["documents"] + writer.docs,
        passages=(base.passages if base else 0) - gone["passages"] + writer.passages,
        sentences=(base.sentences if base else 0) - gone["sentences"] + writer.sentences,
        artifacts={},
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        seconds=round(time.perf_counter() - started, 3),
        embedded=writer.embedded,
        cached=writer.passages - writer.embedded,
        indexed_files=len(indexed) + len(unchanged) - len(silent),
        unchanged_files=len(unchanged) - len(silent),
    )

