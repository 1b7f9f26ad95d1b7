"""Applying what changed in the corpus folder: read the changed files, write what changed of their documents.

``CorpusUpdate`` is one such change, through an engine's ``Transaction``: each changed
file is read once, and each of its documents whose digest is not the one the index holds
is written (a replaced document lends the vectors of its unchanged passages to the new
one); documents no longer in a file, and the files removed, are deleted. A file its
reader skips part way (over a limit at its thousandth record) gives none: what the
change wrote of it is taken back (``Ingest.take_back``), and the documents it held are
deleted, as for a file skipped at its start. A new index (``base`` None) reads every
file, and indexes again the documents the document API added to the index it replaces.
``next_manifest`` is the one manifest builder, for both engines and every kind of change.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from qabot.corpus import describe_types, export_parts, grouped
from qabot.embedding import Embedder
from qabot.errors import CorpusError, CorruptIndexError, NothingToIndex
from qabot.index.changes import (
    Engine,
    Outcome,
    Refresh,
    Scan,
    Transaction,
    document_digest,
    file_of,
    read_file,
    read_parts,
    scan,
)
from qabot.index.ingest import Bar, Ingest, Progress, open_cache
from qabot.index.manifest import BuildConfig, Manifest, new_manifest, now, stale_reason
from qabot.models import Document

Note = Callable[[str], None]


@dataclass
class CorpusUpdate:
    """One change of ``engine`` from what ``scan`` found (see the module docstring)."""

    engine: Engine
    config: BuildConfig
    embedder: Embedder
    warn: Note
    notify: Note

    def apply(self, base: Manifest | None, found: Scan, progress: Progress, reason: str,
              previous: Manifest | None = None) -> Refresh:
        """Read the changed files (every file for a new index) and commit what they change."""
        started = time.perf_counter()
        if base is None and not found.files and previous is None:
            raise CorpusError(f"corpus folder {str(self.config.corpus_dir)!r} has no files to index "
                              f"(qabot reads {describe_types()})")
        notes: dict[str, list[str]] = dict(found.notes)
        known = base.skipped if base is not None else {}
        for message in grouped(message for name, messages in found.notes.items()  # what listing skipped, said once
                               for message in messages if message not in known.get(name, ())):
            self.warn(message)
        current: list[str] = []  # the files being read

        def note(message: str) -> None:
            named = file_of(message)
            notes.setdefault(named if named in current else current[0] if current else "", []).append(message)
            self.warn(message)

        written = deleted = api = taken = 0  # taken: the document API's documents whose source a new file has
        present = [file for name, file in found.found.items() if name in found.files]
        units = export_parts.units(found.changed, present, found.removed)  # a channel's parts are read as one
        read = {file.name for unit in units for file in unit}
        # Nothing that may raise (a warn callback) between the snapshot the change holds and its try: it is let go.
        tx = self.engine.begin(base, self.warn)
        ingest = Ingest(tx, self.config, self.embedder, open_cache(self.config, self.embedder, whole=base is None))
        try:
            bar = Bar(sum(found.files[name].size for name in read), progress)
            ingest.progress = bar.advance
            finished = False
            try:
                for unit in units:
                    current[:] = [file.name for file in unit]
                    bar.file(current[0])
                    for name in current:
                        notes.pop(name, None)
                    existing = {name: tx.documents(name) for name in current}
                    for name in current:
                        if base is not None and name not in base.files and existing[name]:  # the API's documents
                            self._taken(name, len(existing[name]))
                            tx.delete(name, list(existing[name]))
                            deleted, taken = deleted + len(existing[name]), taken + len(existing[name])
                            existing[name] = {}
                    seen: dict[str, set[str]] = {name: set() for name in current}
                    size, done = sum(found.files[name].size for name in current), 0
                    since, wrote = ingest.mark(), written  # what to take back of a file skipped part way
                    skipped: list[str] = []
                    limits = self.config.reader_limits
                    documents = (read_file(unit[0], note, limits, skipped=skipped.extend) if len(unit) == 1
                                 else read_parts(unit, note, limits, skipped=skipped.extend))
                    for document in documents:
                        source = document.source
                        seen[source].add(document.doc_id)
                        digest = document_digest(document)
                        step = min(len(document.text), size - done)  # characters: close enough to bytes
                        done += step
                        if existing[source].get(document.doc_id) != digest:
                            written += 1
                            reuse = None
                            if document.doc_id in existing[source]:
                                reuse = tx.reuse(source, [document.doc_id])
                                tx.delete(source, [document.doc_id])
                                deleted += 1
                            ingest.add(document, digest, reuse=reuse)  # the bar moves as its passages are embedded
                        else:
                            bar.advance(step)
                    bar.advance(size - done)
                    if skipped:  # part way: it gives nothing, as if skipped at its start (its old documents go too)
                        ingest.take_back(since)
                        written = wrote
                        seen = {name: set() for name in current}
                        existing = {name: tx.documents(name) for name in current}  # those replaced are deleted already
                    for name in current:
                        gone = set(existing[name]) - seen[name]
                        if gone:
                            tx.delete(name, gone)
                            deleted += len(gone)
                        found.files[name] = found.files[name].model_copy(update={"documents": len(seen[name])})
                current.clear()
                for name in found.removed:  # a removed file's note, if any, says why it is unusable now: it stays
                    gone = set(tx.documents(name))
                    tx.delete(name, gone)
                    deleted += len(gone)
                if base is None and previous is not None:  # a rebuild indexes the document API's documents again
                    owned: dict[str, int] = {}  # but not those whose source is a corpus file now
                    for document in self._api_documents(previous):
                        if document.source in found.files:
                            owned[document.source] = owned.get(document.source, 0) + 1
                            continue
                        api += ingest.add(document, document_digest(document), api=True)
                    for name, count in owned.items():
                        self._taken(name, count)
                ingest.finish()
                finished = True
            finally:
                bar.close(finished)
            manifest = next_manifest(self.config, self.embedder, base, found, notes, read, tx)
            manifest.api_documents = api if base is None else max(0, base.api_documents - taken)
            # A first build needs something to serve; a change that removes every passage (the last file deleted)
            # is served as it is: an empty index answers nothing, where the old one would quote what was removed.
            if tx.counts()[1] == 0 and base is None:
                why = (f"every file in {str(self.config.corpus_dir)!r} was skipped" if found.files and all(
                    any(m.startswith(f"skipping {name}: ") for m in notes.get(name, ())) for name in found.files)
                    else f"the files in {str(self.config.corpus_dir)!r} hold no text")
                raise NothingToIndex(f"nothing to index: {why}", manifest.skipped_messages())
            commit(tx, manifest, ingest, started)
        except BaseException:
            tx.abort()
            ingest.abandon()
            raise
        return Refresh(outcome=Outcome.UPDATED, reason=reason, documents=written, deleted=deleted,
                       embedded=ingest.embedded)

    def record(self, base: Manifest, found: Scan) -> None:
        """Commit only the new sizes and times of files whose contents did not change."""
        tx = self.engine.begin(base, self.warn)
        try:
            tx.commit(next_manifest(self.config, self.embedder, base, found, dict(found.notes), set(), tx))
        except BaseException:
            tx.abort()
            raise

    def _taken(self, name: str, count: int) -> None:
        self.warn(f"corpus file {name} has the source of {count} document{'s' if count != 1 else ''} added through the "
                  "document API: the corpus folder owns its files' names, so the file's documents replace them")

    def _api_documents(self, previous: Manifest) -> Iterator[Document]:
        """The document API's documents of the index being replaced: what can be read back of them, and one line
        naming what could not (a damaged segment or document; another error, such as a permission, stops the build).
        """
        given = 0
        try:
            for document in self.engine.api_documents():
                given += 1
                yield document
        except CorruptIndexError as exc:
            if previous.api_documents > given:  # a damaged part that held none of them lost none
                self.notify(f"{previous.api_documents - given} of the {previous.api_documents} documents added through "
                            f"the document API could not be read back ({exc}); add them again")


def in_step(engine: Engine, config: BuildConfig, model: str) -> bool:
    """Whether the committed state is the corpus folder as it is now, for this model: nothing to write but, maybe, the
    new times of files whose bytes are the same (a checkout or a copy again: ``touched``), which can wait."""
    base = engine.committed()
    if base is None or stale_reason(base, config, model) or engine.stale(base):
        return False
    found = scan(config, base)
    return not (found.changed or found.removed)


def commit(tx: Transaction, manifest: Manifest, ingest: Ingest, started: float) -> None:
    """Commit ``manifest`` with what the change embedded and how long it took."""
    manifest.embedded, manifest.cached = ingest.embedded, ingest.reused
    manifest.seconds = round(time.perf_counter() - started, 3)
    tx.commit(manifest)


def next_manifest(config: BuildConfig, embedder: Embedder, base: Manifest | None, found: Scan,
                  notes: dict[str, list[str]], read: set[str], tx: Transaction) -> Manifest:
    """The manifest of the state a change makes (the one manifest builder, both engines)."""
    if base is None:
        manifest = new_manifest(config, embedder.name, int(getattr(embedder, "dimension", 0) or 0), "")
    else:
        manifest = base.model_copy()  # shallow: every field a change touches is replaced below or at the commit
    manifest.files = dict(found.files)
    manifest.reader_limits = config.reader_limits  # a file skipped under these is read again under others (scan)
    kept = {name: messages for name, messages in manifest.skipped.items() if name in found.files and name not in read}
    manifest.skipped = {**kept, **{name: messages for name, messages in notes.items() if messages}}
    manifest.documents, manifest.passages, manifest.sentences = tx.counts()
    manifest.indexed_files = sum(1 for state in manifest.files.values() if state.documents)
    manifest.unchanged_files = sum(1 for name, state in manifest.files.items() if state.documents and name not in read
                                   ) if base is not None else 0
    manifest.embedded = manifest.cached = 0
    manifest.built_at = now()
    return manifest
