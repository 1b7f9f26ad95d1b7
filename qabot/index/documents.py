"""The document API's rules: what ``LivingIndex.upsert`` and ``delete`` accept, and what they change.

Documents of the document API are keyed by their source and id, like a corpus file's. The
corpus folder owns the sources that are its files' names: the document API can neither
write nor delete those. A document whose digest is the one already held is left alone; one
with another digest replaces the old one, whose passages lend their vectors to the new
one's that are unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable

from qabot.errors import DocumentError
from qabot.index.changes import Transaction, document_digest
from qabot.index.ingest import Ingest
from qabot.models import Document
from qabot.text import SURROGATE


def upsert_documents(tx: Transaction, ingest: Ingest, documents: list[Document], corpus_files: set[str]
            ) -> tuple[int, int, int]:
    """Write each document whose digest differs from the one held: (written, deleted, new documents)."""
    written = deleted = new = 0
    by_source: dict[str, dict[str, str]] = {}
    for document in documents:
        if document.source in corpus_files:
            raise DocumentError(f"source {document.source!r} is a file of the corpus folder, which owns its "
                                "documents: give documents of the document API another source")
        if document.source not in by_source:  # read once per source and change, not once per document
            by_source[document.source] = tx.documents(document.source)
        existing = by_source[document.source]
        digest = document_digest(document)
        if existing.get(document.doc_id) == digest:
            continue
        reuse = None
        if document.doc_id in existing:
            reuse = tx.reuse(document.source, [document.doc_id])
            tx.delete(document.source, [document.doc_id])
            deleted += 1
        else:
            new += 1
        if ingest.add(document, digest, api=True, reuse=reuse):
            written += 1
        existing[document.doc_id] = digest
    return written, deleted, new


def delete_documents(tx: Transaction, doc_ids: list[str], sources: list[str], corpus_files: set[str]) -> tuple[int, int, int]:
    """Delete the document API's documents of ``sources``, and those with these ids: (0, deleted, -deleted)."""
    deleted = 0
    for source in sources:
        if source in corpus_files:
            raise DocumentError(f"source {source!r} is a file of the corpus folder: remove the file instead")
        gone = list(tx.documents(source))
        tx.delete(source, gone)
        deleted += len(gone)
    for doc_id, held_by in tx.sources_of(doc_ids).items():
        for source in held_by:
            if source not in corpus_files and source not in sources:
                tx.delete(source, [doc_id])
                deleted += 1
    return 0, deleted, -deleted


def checked(documents: Iterable[Document]) -> list[Document]:
    """The documents, each checked, the last of any with the same source and id kept."""
    if isinstance(documents, Document):
        documents = [documents]
    out: dict[tuple[str, str], Document] = {}
    try:
        items = list(documents)
    except TypeError:
        raise DocumentError("upsert takes Document values (qabot.models.Document)") from None
    for document in items:
        if not isinstance(document, Document):
            raise DocumentError(f"upsert takes Document values (qabot.models.Document), not {type(document).__name__}")
        if not document.doc_id.strip() or not document.source.strip():
            raise DocumentError("a document needs a doc_id and a source")
        if field := _unencodable(document):
            raise DocumentError(f"document {document.doc_id!r} of {document.source!r}: its {field} holds a lone "
                                "surrogate, which is not text (decode the bytes it came from with errors='replace')")
        out[(document.source, document.doc_id)] = document
    return list(out.values())


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
    if not all(isinstance(v, str) and v for v in items):
        raise DocumentError(f"{name} must be strings")
    if bad := next((v for v in items if SURROGATE.search(v)), None):
        raise DocumentError(f"{name}: {bad!r} holds a lone surrogate, which no document's {name[:-1]} can hold")
    return items
