"""How an index changes: the corpus folder compared with the manifest, and what an engine does to apply a change.

``scan`` lists the corpus folder and compares every file's size and modification and change times
with what the manifest recorded: only a file whose size or time differ is hashed, once (and
one that had changed just before it was last checked, too recently for its time to be
trusted, as git's "racily clean" rule has it); a file whose digest is unchanged is only
"touched" (its new size and time are recorded). The files to read are then the added and
changed ones. A file over the readers' size limit is never hashed: its reader skips it
unopened, and its size and time stand for its digest.

A document is the unit of change. Each has a key, its source (a corpus file's name, or
the source a caller of the document API gave) and its id, and a digest of everything a
build reads of it. Reading a changed file gives its documents; those whose digest is the
one the index holds are left alone, the others are replaced, and those no longer in the
file are deleted. The parts of a channel's chat export are read as one, whichever of them
changed (``qabot.corpus.export_parts``): each document's source is then one of the parts,
and is compared with what that part holds. ``Transaction`` is what an engine implements to apply that, and
``Engine`` the rest of what the lifecycle (``qabot.index.living``) asks of it.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel

from qabot import corpus
from qabot.corpus import CorpusFile
from qabot.corpus.limits import MB, ReaderLimits
from qabot.errors import CorpusError
from qabot.index.manifest import BuildConfig, FileState, Manifest
from qabot.models import Document, Paragraph
from qabot.text import first_line

if TYPE_CHECKING:
    import numpy as np

    from qabot.index.embedded.segment import Prepared
    from qabot.index.engine import SearchEngine

Note = Callable[[str], None]
RACY_NS = 2_000_000_000  # a file modified this close to when it was last checked may change again unseen


def document_digest(document: Document) -> str:
    """A digest of everything a build reads of a document: another digest means it must be indexed again."""
    return hashlib.blake2b(document.model_dump_json().encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


@dataclass
class Scan:
    """The corpus folder now, against the manifest."""

    files: dict[str, FileState]  # every readable corpus file, as it is now
    found: dict[str, CorpusFile]
    changed: list[CorpusFile] = field(default_factory=list)  # added, or another digest: to be read
    retried: list[str] = field(default_factory=list)  # of those, the same digest: skipped under other reader limits
    removed: list[str] = field(default_factory=list)  # indexed, and gone now
    touched: list[str] = field(default_factory=list)  # the same digest with a new size or time
    notes: dict[str, list[str]] = field(default_factory=dict)  # files that could not be listed or hashed

    @property
    def unchanged(self) -> bool:
        return not (self.changed or self.removed or self.touched)

    def emptying(self, config: BuildConfig, base: Manifest, *, opening: bool) -> str | None:
        """Why this change is not applied unless asked for (``qabot index``), or None: it takes every file out of the
        index at once, and the corpus folder has none left. A share that did not mount looks so (its mount point is an
        empty folder); files deleted one at a time while the index is watched are taken out as they go."""
        if self.files or not base.indexed_files or (len(self.removed) == 1 and not opening):
            return None
        return (f"corpus folder {str(config.corpus_dir)!r} has no files now, where the index holds "
                f"{base.indexed_files} (a share that did not mount?): qabot index takes them out")

    def describe(self, previous: Manifest | None) -> str:
        added = [f.name for f in self.changed if previous is None or f.name not in previous.files]
        edited = [f.name for f in self.changed if previous is not None and f.name in previous.files
                  and f.name not in self.retried]
        parts = [f"{label} {_names(names)}" for label, names in (
            ("added", added), ("changed", edited), ("removed", self.removed),
            ("read again under new reader limits:", self.retried)) if names]
        return "corpus files " + "; ".join(parts) if parts else "nothing changed"


def not_emptied(config: BuildConfig, base: Manifest) -> None:
    """Raise ``CorpusError`` where the corpus folder, as it is now, would take ``base``'s files out of a rebuild no
    one asked for (a new format): a folder that cannot be listed, or none left (a share that did not mount)."""
    if why := scan(config, base).emptying(config, base, opening=True):
        raise CorpusError(why)


def scan(config: BuildConfig, manifest: Manifest | None, *, rehash: bool = False) -> Scan:
    """Compare the corpus folder with ``manifest``, reading only what may have changed (``rehash``: every file).

    A file the index skipped (or read in part) under other reader limits than ``config``'s is read again, whatever
    its digest: a limit raised lets it in (and the manifest then records the limits it was read under). A folder
    that cannot be listed (a permission, a stale network mount) does not mean its files were removed: where it held
    indexed files, ``CorpusError`` says so, and the change fails (the last good index keeps serving).
    """
    notes: dict[str, list[str]] = {}
    unlisted: dict[str, str] = {}  # folders that could not be listed, and why

    def note(message: str) -> None:
        notes.setdefault(file_of(message), []).append(message)

    found = corpus.find_files(config.corpus_dir, note, external_links=config.corpus_external_links,
                              index_dir=config.index_dir, unlisted=unlisted.__setitem__)
    before = manifest.files if manifest is not None else {}
    retry = set(manifest.skipped) if manifest is not None and manifest.reader_limits != config.reader_limits else set()
    too_big = config.reader_limits.max_file_mb * MB  # its reader skips it unopened: hashing it would cost minutes
    result = Scan(files={}, found={f.name: f for f in found}, notes=notes)
    for file in found:
        try:
            stat = file.path.stat()
        except OSError as exc:
            note(f"skipping {file.name}: cannot be read ({exc.strerror or exc})")
            continue
        old = before.get(file.name)
        checked = time.time_ns()
        if (not rehash and old is not None and old.size == stat.st_size and old.mtime_ns == stat.st_mtime_ns
                and old.ctime_ns in (stat.st_ctime_ns, -1) and stat.st_mtime_ns + RACY_NS <= old.checked_ns
                and file.name not in retry):
            result.files[file.name] = old if old.ctime_ns != -1 else old.model_copy(
                update={"ctime_ns": stat.st_ctime_ns})  # recorded with the next commit
            continue
        try:
            digest = corpus.file_digest(file.path) if stat.st_size <= too_big else _unread(stat)
        except OSError as exc:
            note(f"skipping {file.name}: cannot be read ({exc.strerror or exc})")
            continue
        if (old is not None and old.digest == digest and file.name not in retry
                and (old.size, old.mtime_ns, old.ctime_ns) == (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)):
            # Checked again because it changed just before it was last checked: the time of this
            # check goes in with the next commit, after which its time can be trusted.
            result.files[file.name] = old.model_copy(update={"checked_ns": checked})
            continue
        documents = old.documents if old is not None else 0
        result.files[file.name] = FileState(digest=digest, size=stat.st_size, mtime_ns=stat.st_mtime_ns,
                                            ctime_ns=stat.st_ctime_ns, documents=documents, checked_ns=checked)
        if old is None or old.digest != digest or file.name in retry:
            result.changed.append(file)
            if old is not None and file.name in retry and _same(old.digest, digest, stat):
                result.retried.append(file.name)
        else:
            result.touched.append(file.name)
    result.removed = sorted(set(before) - set(result.files))  # a file that cannot be read now is left out too
    for folder, why in unlisted.items():
        if below := [name for name in result.removed if folder == "." or name.startswith(f"{folder}/")]:
            where = f"the corpus folder {str(config.corpus_dir)!r}" if folder == "." else f"{folder}/ in the corpus folder"
            raise CorpusError(f"cannot list {where} ({why}), which held {len(below)} indexed file(s): the change "
                              "is not applied, as they are not known to be gone (qabot index --rebuild indexes the "
                              "corpus without them)")
    return result


def _same(before: str, now: str, stat: os.stat_result) -> bool:
    """Whether a file's digest ``now`` is the one it had (``before`` may stand for a file too big to read then)."""
    return before in (now, _unread(stat))


def _unread(stat: os.stat_result) -> str:
    """What stands for the digest of a file too big to read: its size and time, which change when it does."""
    return f"unread:{stat.st_size}:{stat.st_mtime_ns}"


def file_of(message: str) -> str:
    """The corpus file a reader's message names ("skipping a/b.txt: ..." or "a/b.jsonl line 3: ...")."""
    text = message.removeprefix("skipping ")
    for end in (": ", " line ", " document "):
        if end in text:
            text = text.split(end, 1)[0]
    return text.rstrip("/")


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def read_file(file: CorpusFile, note: Note, limits: ReaderLimits | None = None, *,
              skipped: Callable[[list[str]], None] | None = None) -> Iterator[Document]:
    """The documents of one corpus file (a file that cannot be read, or is over a limit, is noted, and gives none:
    one skipped part way calls ``skipped``, and the change takes back what it was given of it)."""
    return corpus.load_file(file, note, limits, skipped=skipped)


def read_parts(files: list[CorpusFile], note: Note, limits: ReaderLimits | None = None, *,
               skipped: Callable[[list[str]], None] | None = None) -> Iterator[Document]:
    """The documents of a channel's export in parts, read as one (``qabot.corpus.export_parts``): each document's
    source is one of ``files`` (skipped part way, it is skipped whole, as ``read_file`` says)."""
    return corpus.load_files(files, note, limits, skipped=skipped)


def paragraphs_of(document: Document) -> list[Paragraph]:
    return corpus.document_paragraphs(document)


class Outcome(StrEnum):
    UNCHANGED = "unchanged"
    UPDATED = "updated"
    FAILED = "failed"


class Refresh(BaseModel):
    """What a change did: left the index as it was, updated it, or failed (and the last good state serves)."""

    outcome: Outcome
    reason: str = ""  # what changed, or why it failed
    seconds: float = 0.0
    documents: int = 0  # documents written (added or replaced)
    deleted: int = 0  # documents deleted (replaced ones included)
    embedded: int = 0  # passages the model embedded
    skipped: list[str] = []  # the document API's documents left out (``skip_bad``): why, one line each

    @property
    def updated(self) -> bool:
        return self.outcome is Outcome.UPDATED


# -- what an engine implements ------------------------------------------------------------


class Transaction(Protocol):
    """One change being applied: invisible to questions until ``commit``, and nothing once ``abort``-ed."""

    def documents(self, source: str) -> dict[str, str]:
        """doc_id -> digest of the documents of ``source`` in the index (deleted ones of this change left out)."""
        ...

    def sources_of(self, doc_ids: Iterable[str]) -> dict[str, list[str]]:
        """For document-API deletes by id: the sources holding each id, {doc_id: [source, ...]}."""
        ...

    def reuse(self, source: str, doc_ids: Iterable[str]) -> dict[bytes, tuple[np.ndarray, np.ndarray]]:
        """The vectors of these documents' passages, by ``cache.cache_key``: what a replaced document still holds."""
        ...

    def delete(self, source: str, doc_ids: Iterable[str]) -> None: ...

    def add(self, document: Document, paragraphs: list[Paragraph], digest: str, api: bool) -> int | None:
        """Start adding a document; its passages follow. None: the engine cannot take it (``note`` said why).

        The handle is a number, greater than that of every document added before it (``withdraw``)."""
        ...

    def next_handle(self) -> int:
        """No less than the handle ``add`` gives the next document: where ``withdraw`` starts from."""
        ...

    def withdraw(self, since: int) -> None:
        """Take back the documents this change added from the handle ``since`` on, and the passages given for them
        (the last given): a file skipped part way gives none. No passage of theirs follows, nor ``done``."""
        ...

    def add_passages(self, batch: list[tuple[int, Prepared]]) -> None:
        """Passages, each with the handle of its document, in order: a batch may hold several documents'."""
        ...

    def done(self, handle: int) -> None:
        """Every passage of the document ``handle`` names has been added."""
        ...

    def counts(self) -> tuple[int, int, int]:
        """Documents, passages and sentences the index will hold after this change."""
        ...

    def commit(self, manifest: Manifest) -> Manifest:
        """Make the change visible, atomically; returns the manifest as committed."""
        ...

    def abort(self) -> None: ...


class Engine(Protocol):
    """Where an index lives: what the lifecycle (``qabot.index.living.LivingIndex``) drives."""

    def committed(self) -> Manifest | None:
        """The manifest of the state in service (None: no index yet); ``CorruptIndexError`` if unreadable."""
        ...

    def stale(self, manifest: Manifest) -> str | None:
        """Why the state in service must be rebuilt whatever the settings say (a collection's old layout), or None."""
        ...

    def open(self) -> SearchEngine:
        """The state in service, for questions (what stays the same between states is shared)."""
        ...

    def lock(self, wait: bool = True) -> AbstractContextManager[None]:
        """One writer at a time, across threads and processes; without ``wait``, another process writing is
        ``qabot.index.locks.Busy`` at once."""
        ...

    def begin(self, base: Manifest | None, note: Note) -> Transaction:
        """A change of the state in service (``base``), or a new index replacing it whole (``base`` None)."""
        ...

    def api_documents(self) -> Iterator[Document]:
        """The documents of the state in service that came through the document API (a rebuild indexes them again).

        All that can be read back, even from a damaged state; then ``CorruptIndexError`` names what could not.
        """
        ...

    def salvage(self) -> Manifest | None:
        """When the committed manifest is damaged: the last one committed that can still be read, whose segments
        ``api_documents`` then reads (the embedded engine keeps a copy); None: none."""
        ...

    def wants_maintenance(self, manifest: Manifest) -> bool:
        """Whether background work (merging segments) is due for this committed state: a cheap check."""
        ...

    def maintain(self) -> bool:
        """Do that work (merging segments); True when it committed something."""
        ...

    def purge(self) -> bool:
        """Rewrite what still holds deleted documents' text (a member forgotten, a server left), now; True when it
        committed something."""
        ...

    def describe(self) -> str:
        """Where the index is, for messages: "index in embeddings", "collection x at http://..."."""
        ...

    @property
    def read_only(self) -> bool: ...

    def close(self) -> None: ...


INDEX_FOLDER = "the index folder: --index or QABOT_INDEX_DIR"  # what to change, where it cannot be written


def unwritable(engine: Engine, exc: OSError) -> str:
    """What an ``OSError`` of a change says: reading raises ``IndexStoreError``s of its own ("cannot read ..."),
    so this one came from writing the index (its folder: either engine keeps its lock and cache there)."""
    return cannot_write(f"the {engine.describe()}", exc)


def cannot_write(what: str, exc: OSError) -> str:
    """``what`` in the index folder could not be written: why, the file where it is known, and what sets the folder."""
    reason, where = exc.strerror or first_line(exc), exc.filename
    if isinstance(exc, FileExistsError | NotADirectoryError) and where:  # the nearest that is there is a file
        there = next((p for p in (Path(where), *Path(where).parents) if p.exists()), None)
        if there is not None and there.is_file():
            reason, where = "a file is there, where a folder should be", there
    return f"cannot write {what}: {reason} ({f'{where}; ' if where else ''}{INDEX_FOLDER})"
