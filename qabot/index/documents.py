"""The document API's rules: what ``LivingIndex.upsert`` and ``delete`` accept, what they change, and its commit.

Documents of the document API are keyed by their source and id, like a corpus file's. The
corpus folder owns the sources that are its files' names: the document API can neither
write nor delete those. A document whose digest is the one already held is left alone; one
with another digest replaces the old one, whose passages lend their vectors to the new
one's that are unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from pydantic import ValidationError

from qabot.corpus.limits import Budget, OverLimit
from qabot.embedding import Embedder
from qabot.errors import DocumentError, IndexStoreError
from qabot.index.changes import Engine, Outcome, Refresh, Scan, Transaction, document_digest, paragraphs_of
from qabot.index.ingest import Ingest
from qabot.index.manifest import BuildConfig
from qabot.index.scope import WILDCARDS
from qabot.index.update import commit, next_manifest
from qabot.models import Document, Paragraph, first_problem, validated_again
from qabot.text import SURROGATE

Apply = Callable[[Transaction, Ingest, set[str]], tuple[int, int, int]]  # (written, deleted, API documents added)


@dataclass
class Given:
    """The documents of one change, checked: those to write, and (``skip``) those refused, with why."""

    documents: list[Document] = field(default_factory=list)
    skip: bool = False  # refused documents are left out (and the version held of each deleted), not the change
    refused: dict[tuple[str, str], str] = field(default_factory=dict)  # (source, doc_id): why, where it is one
    skipped: list[str] = field(default_factory=list)  # each document left out: why, one line

    def refuse(self, why: str, key: tuple[str, str] | None = None) -> None:
        """A document breaks a rule: the change is refused, or (``skip``) that document left out."""
        if not self.skip:
            raise DocumentError(why)
        self.skipped.append(why)
        if key is not None:
            self.refused[key] = why


def apply_documents(engine: Engine, config: BuildConfig, embedder: Embedder, apply: Apply, what: str,
                    given: Given) -> Refresh:
    """One change of the document API (``apply``), under the write lock: committed whole, or nothing of it (but
    the documents ``given`` skips)."""
    started = time.perf_counter()
    base = engine.committed()
    if base is None:
        raise IndexStoreError(f"no index in the {engine.describe()} yet")
    refused: list[str] = []  # what the engine says: only that it cannot store a document (Milvus's field sizes)
    tx = engine.begin(base, refused.append)
    ingest = Ingest(tx, config, embedder)
    try:
        written, deleted, api_delta = apply(tx, ingest, set(base.files))
        if refused and not given.skip:  # the caller can fix it: refused whole, not committed without it
            raise DocumentError(f"{refused[0].removeprefix('skipping ')}, which the {engine.describe()} cannot "
                                f"store; nothing of this {what} was applied")
        skipped = [*given.skipped, *(f"{r.removeprefix('skipping ')}, which the {engine.describe()} cannot store"
                                     for r in refused)]
        ingest.finish()
        if not written and not deleted:
            tx.abort()
            return Refresh(outcome=Outcome.UNCHANGED, reason=f"{what}: nothing changed", skipped=skipped)
        unread = Scan(files=dict(base.files), found={})  # the corpus folder as the index last saw it
        manifest = next_manifest(config, embedder, base, unread, {}, set(), tx)
        manifest.api_documents = max(0, base.api_documents + api_delta)
        commit(tx, manifest, ingest, started)
    except BaseException:
        tx.abort()
        raise
    return Refresh(outcome=Outcome.UPDATED, reason=what, documents=written, deleted=deleted, embedded=ingest.embedded,
                   skipped=skipped)


def upsert_documents(tx: Transaction, ingest: Ingest, given: Given, corpus_files: set[str]) -> tuple[int, int, int]:
    """Write each document whose digest differs from the one held, and delete the version held of each one refused
    (``Given.skip``): (written, deleted, documents added less documents removed)."""
    written = deleted = added = 0
    by_source: dict[str, dict[str, str]] = {}

    def held(source: str) -> dict[str, str]:  # read once per source and change, not once per document
        if source not in by_source:
            by_source[source] = tx.documents(source)
        return by_source[source]

    for source, doc_id in given.refused:  # refused as it is now: the version held is no more the caller's
        if source not in corpus_files and held(source).pop(doc_id, None) is not None:
            tx.delete(source, [doc_id])
            deleted, added = deleted + 1, added - 1
    for document in given.documents:
        if document.source in corpus_files:
            given.refuse(f"source {document.source!r} is a file of the corpus folder, which owns its documents: "
                         "give documents of the document API another source")
            continue
        existing = held(document.source)
        digest = document_digest(document)
        if existing.get(document.doc_id) == digest:
            continue
        try:
            paragraphs: list[Paragraph] | None = _paragraphs(document, ingest.config)
        except DocumentError as exc:
            given.refuse(str(exc))
            paragraphs = None
        reuse = None
        if existing.pop(document.doc_id, None) is not None:
            reuse = tx.reuse(document.source, [document.doc_id]) if paragraphs is not None else None
            tx.delete(document.source, [document.doc_id])
            deleted, added = deleted + 1, added - 1
        if paragraphs is not None and ingest.add(document, digest, api=True, reuse=reuse, paragraphs=paragraphs):
            written, added = written + 1, added + 1
            existing[document.doc_id] = digest
    return written, deleted, added


def _paragraphs(document: Document, config: BuildConfig) -> list[Paragraph]:
    """The paragraphs of ``document``, within the bounds a corpus file's reading has (``qabot.corpus.limits``): its
    text, its paragraphs (those it gives, or those found in it, counted as they are found) and the time finding them
    takes. A document over one is refused: 9 MB of one-letter lines would take gigabytes to describe."""
    limits, named = config.reader_limits, f"document {document.doc_id!r} of {document.source!r}"
    if len(document.text) > limits.max_text_mb * 1e6:
        raise DocumentError(f"{named}: its text is longer than {limits.max_text_mb:g} million characters "
                            "(QABOT_READER_MAX_TEXT_MB)")
    budget = Budget(limits, len(document.text))
    try:
        with budget.reading():
            if document.paragraphs is not None:
                budget.paragraphs(len(document.paragraphs))
            return paragraphs_of(document)
    except OverLimit as exc:
        raise DocumentError(f"{named}: {exc}") from None


def delete_documents(tx: Transaction, doc_ids: list[str], sources: list[str], corpus_files: set[str]) -> tuple[int, int, int]:
    """Delete the document API's documents of ``sources``, and those with these ids: (0, deleted, -deleted)."""
    deleted = 0
    for source in sources:
        if source in corpus_files:
            raise DocumentError(f"source {source!r} is a file of the corpus folder: remove the file instead")
        gone = list(tx.documents(source))
        if not gone and (_unplain(source) or WILDCARDS & set(source)):  # "discord/1/": a folder deleted nothing
            raise DocumentError(f"{source!r} is no document's source: delete takes whole sources by their exact "
                                "names, as upsert gave them (not folders or patterns); nothing was deleted")
        tx.delete(source, gone)
        deleted += len(gone)
    for doc_id, held_by in tx.sources_of(doc_ids).items():
        for source in held_by:
            if source not in corpus_files and source not in sources:
                tx.delete(source, [doc_id])
                deleted += 1
    return 0, deleted, -deleted


def change_documents(tx: Transaction, ingest: Ingest, given: Given, doc_ids: list[str], sources: list[str],
                     corpus_files: set[str]) -> tuple[int, int, int]:
    """``delete_documents``, then ``upsert_documents``, in one transaction: (written, deleted, new documents)."""
    _, gone, fewer = delete_documents(tx, doc_ids, sources, corpus_files) if doc_ids or sources else (0, 0, 0)
    written, replaced, more = upsert_documents(tx, ingest, given, corpus_files)
    return written, gone + replaced, fewer + more


def checked(documents: Iterable[Document], *, skip: bool = False) -> Given:
    """The documents, each checked (``skip``: see ``Given``); two with the same source and id are refused, since
    which of them the caller meant cannot be told."""
    if isinstance(documents, Document):
        documents = [documents]
    elif isinstance(documents, Mapping | str | bytes):  # iterated, its keys or characters were the "documents"
        raise DocumentError(f"upsert takes Document values (qabot.models.Document), not {type(documents).__name__}")
    given = Given(skip=skip)
    out: dict[tuple[str, str], Document] = {}  # the documents taken, by key
    seen: set[tuple[str, str]] = set()  # every key given
    try:
        items = list(documents)
    except TypeError:
        raise DocumentError("upsert takes Document values (qabot.models.Document)") from None
    for document in items:
        if not isinstance(document, Document):
            raise DocumentError(f"upsert takes Document values (qabot.models.Document), not {type(document).__name__}")
        try:
            document = _valid(document)
        except DocumentError as exc:  # an id or source that is not text is held by no document
            given.refuse(str(exc), (document.source, document.doc_id) if isinstance(document.source, str)
                         and isinstance(document.doc_id, str) else None)
            continue
        key = (document.source, document.doc_id)
        if not document.doc_id.strip() or not document.source.strip():
            given.refuse("a document needs a doc_id and a source")
        elif key in seen:  # (a key the first of them was refused without is held by no document)
            given.refuse(f"document {document.doc_id!r} of {document.source!r} is given more than once in this call",
                         key if key in out or key in given.refused else None)
        elif name := _unencodable(document):  # an id or source that is not text is held by no document
            given.refuse(f"document {document.doc_id!r} of {document.source!r}: its {name} holds a lone surrogate, "
                         "which is not text (decode the bytes it came from with errors='replace')",
                         None if name in ("doc_id", "source") else key)
        elif name := next((name for name in ("source", "doc_id") if "\0" in getattr(document, name)), None):
            given.refuse(f"document {document.doc_id!r} of {document.source!r}: its {name} holds a NUL character, "
                         "which no file's name can (nor a citation show)")  # a key no document is given now
        elif problem := _unplain(document.source) or _misplaced(document) or _blank(document):
            given.refuse(f"document {document.doc_id!r} of {document.source!r}: {problem}", key)
        else:
            out[key] = document
        seen.add(key)
    given.documents = [document for key, document in out.items() if key not in given.refused]
    return given


def _valid(document: Document) -> Document:
    """``document`` validated again: ``model_copy(update=...)`` and ``model_construct`` skip pydantic's checks, and a
    paragraph's ``author=7`` so stored made every question after it fail."""
    try:
        return validated_again(document)
    except ValidationError as exc:
        raise DocumentError(f"document {document.doc_id!r} of {document.source!r}: {first_problem(exc)}") from None


def _unplain(source: str) -> str | None:
    """What keeps ``source`` from being a plain name, as a corpus file's is, or None.

    A source is cited, scoped and owned by its name: './handbook.pdf' would be another source
    than the corpus file handbook.pdf (past the rule that the folder owns its files' names),
    and '/notes' could not be picked by a scope ('/notes/' is the folder 'notes'). Refused
    rather than rewritten: a caller deletes and replaces its documents by the source it gave.
    """
    parts = source.split("/")
    if source == source.strip() and all(part not in ("", ".", "..") for part in parts):
        return None
    plain = [part for part in source.strip().split("/") if part not in ("", ".")]
    return ("its source is not a plain name ('/'-separated, without '.', '..', empty parts or a leading or trailing "
            "'/' or space)" + (f": write {'/'.join(plain)!r}" if plain and ".." not in plain else ""))


def _blank(document: Document) -> str | None:
    """Why ``document`` has nothing to index, or None: a text that is empty or only whitespace holds nothing to
    quote, and taken it would replace the version held with nothing (``delete`` says that); so do paragraphs that
    are all headings or blank."""
    if not document.text.strip():
        return "its text is empty or only whitespace, so there is nothing to index (to remove a document, delete it)"
    if document.paragraphs is not None and not any(
            not p.heading and document.text[p.start:p.end].strip() for p in document.paragraphs):
        return ("its paragraphs are all headings or blank, so there is nothing to index (give the body's paragraphs, "
                "or paragraphs=None to have them found in the text; to remove a document, delete it)")
    return None


def _misplaced(document: Document) -> str | None:
    """What is wrong with the offsets ``document`` gives (its paragraphs', its body's), or None.

    Every excerpt is the text at its offsets: a paragraph beyond the text, or before its start,
    would be cited where its text is not; one out of order, or overlapping the one before it,
    would be quoted as another's context. A reader's paragraphs are in order and apart.
    """
    size = len(document.text)
    if not 0 <= document.body_start <= size:
        return f"body_start {document.body_start} is outside its text (0:{size})"
    end = 0
    for n, paragraph in enumerate(document.paragraphs or (), 1):
        if not 0 <= paragraph.start <= paragraph.end <= size:
            return f"paragraph {n} spans {paragraph.start}:{paragraph.end}, outside its text (0:{size})"
        if paragraph.start < end:
            return (f"paragraph {n} starts at {paragraph.start}, before paragraph {n - 1} ends ({end}): "
                    "paragraphs must be in order, and apart")
        end = paragraph.end
    return None


def _unencodable(document: Document) -> str | None:
    """The first field of ``document`` (or of one of its paragraphs) that cannot be written as UTF-8, or None.

    Such text could be neither stored, nor quoted as JSON, nor sent: it is refused at the door.
    """
    parts = [("", document), *((f"paragraph {n}'s ", p) for n, p in enumerate(document.paragraphs or (), 1))]
    for where, part in parts:
        for name, value in part.__dict__.items():
            if isinstance(value, str) and SURROGATE.search(value):
                return f"{where}{name}"
    return None


def strings(values: Iterable[str], name: str) -> list[str]:
    if isinstance(values, str):
        values = [values]
    try:
        items = list(values)
    except TypeError:  # delete(5)
        raise DocumentError(f"{name} must be strings, not {type(values).__name__}") from None
    if (bad := next((v for v in items if not isinstance(v, str) or not v), None)) is not None:
        shown = repr(bad) if isinstance(bad, str) else type(bad).__name__
        raise DocumentError(f"{name} must be non-empty strings, not {shown}")
    if bad := next((v for v in items if SURROGATE.search(v)), None):
        raise DocumentError(f"{name}: {bad!r} holds a lone surrogate, which no document's {name[:-1]} can hold")
    return items
