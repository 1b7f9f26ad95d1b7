"""Reading a corpus folder: find its files, turn each into ``Document`` values, split paragraphs.

One reader module per format, each with ``SUFFIXES`` and ``read(file, warn)``, which
yields the file's documents: ``plaintext`` (.txt, .md), ``jsonl`` (BEIR), ``pdf``
(pypdfium2), ``html`` (trafilatura), ``docx`` (python-docx), ``discord_export``
(DiscordChatExporter's JSON) and ``mail`` (.eml, .mbox: the standard library's
``email``). A reader of derived text (everything but plain text and .jsonl) builds the
text and its paragraphs itself (``derived.DerivedText``), with the page, anchor or
message each came from. Everything downstream (chunking, the index,
retrieval, citations) sees only ``Document`` and ``Paragraph``, whatever the format::

    files = find_files(Path("corpus"))
    for document in load_corpus(files):
        paras = document_paragraphs(document)

A file a reader cannot handle is skipped with a warning that names it; the rest of the
corpus is still read.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import ModuleType

from qabot.corpus import (
    discord_export,
    docx,
    export_formats,
    export_parts,
    html,
    jsonl,
    mail,
    pdf,
    plaintext,
    site_builds,
)
from qabot.corpus.files import CorpusFile, Warn, describe, digests, file_digest, grouped, parse_front_matter, regular
from qabot.corpus.files import find_files as _find_files
from qabot.corpus.limits import Budget, OverLimit, ReaderLimits
from qabot.corpus.paragraphs import paragraphs
from qabot.models import Document, Paragraph
from qabot.text import first_line

log = logging.getLogger(__name__)
WARNINGS_PER_FILE = 5  # warnings about a file's parts (a message, a line) shown before the rest are counted

READERS: dict[str, ModuleType] = {
    suffix: reader for reader in (plaintext, jsonl, pdf, html, docx, discord_export, mail)
    for suffix in reader.SUFFIXES
}

__all__ = [
    "READERS",
    "CorpusFile",
    "ReaderLimits",
    "describe_types",
    "digests",
    "document_paragraphs",
    "file_digest",
    "find_files",
    "grouped",
    "load_corpus",
    "load_file",
    "load_files",
    "paragraphs",
    "parse_front_matter",
]


def find_files(corpus_dir: Path, warn: Warn | None = None, *, external_links: bool = False,
               index_dir: Path | None = None, unlisted: Callable[[str, str], None] | None = None) -> list[CorpusFile]:
    """Every file below ``corpus_dir`` that a reader reads, sorted; others are skipped with a warning
    (``index_dir``, where it is inside the corpus folder, silently). ``unlisted`` hears each folder that
    could not be listed (see ``qabot.corpus.files.find_files``)."""
    return _find_files(corpus_dir, READERS, warn, external_links=external_links, index_dir=index_dir,
                       explain=_explain, unlisted=unlisted)


def _explain(path: str) -> str | None:
    """Why a folder or a file is not read, where a tool wrote it: a chat exporter, a site's build. A file of a type
    that is read is asked about by its name alone (``export_formats.another_format`` reads its head when it is read)."""
    if os.path.splitext(path)[1].lower() in READERS:
        return site_builds.explain(path)
    return export_formats.explain(path) or site_builds.explain(path)


def describe_types() -> str:
    """'.jsonl, .md and .txt': the file types qabot reads."""
    return describe(READERS)


def load_file(file: CorpusFile, warn: Warn | None = None, limits: ReaderLimits | None = None, *,
              skipped: Callable[[list[str]], None] | None = None) -> Iterator[Document]:
    """The documents of one corpus file, read by the reader for its type, within ``limits``.

    A reader names what it cannot handle itself; anything a parsing library raises
    beyond that (a file that breaks it in a way nobody foresaw) skips the file too,
    with a warning that names it, so one file never stops a build. So does a file over
    one of the reader limits (``qabot.corpus.limits``: size, unpacked size, text, time);
    only the reader's own work counts toward its time, not what the caller does with
    each document it yields. A document comes with its paragraphs: those of plain text
    (``.txt``, ``.md``, ``.jsonl``) are found here, on the file's time, since a text can
    be made to take long (a line per paragraph, by the million).

    A file skipped once its reader began may have yielded documents already (its text or
    time runs out at its thousandth record, its parser fails at its third message):
    ``skipped`` is then called with its name, before the documents end, so that the
    caller takes back what it was given of it (the index does: a skipped file gives none).
    """
    return load_files([file], warn, limits, skipped=skipped)


def load_files(files: Sequence[CorpusFile], warn: Warn | None = None, limits: ReaderLimits | None = None, *,
               skipped: Callable[[list[str]], None] | None = None) -> Iterator[Document]:
    """The documents of what is read as one (``export_parts.units``): a file (``load_file``), or the parts of a
    channel's export, read as one channel (``discord_export.read_parts``), each document's source the part its
    exchange begins in. A part over the size limit is skipped alone; the text and time limits are the channel's
    together, as if it were one file, and a channel skipped part way is skipped whole (``skipped`` names every part
    it read)."""
    warn = _Capped([file.name for file in files], warn or log.warning)
    limits = limits or ReaderLimits()
    readable = list(files)
    try:
        readable = [file for file in files if _may_read(file, limits, warn)]
        if not readable:
            return
        budget = Budget(limits, sum(file.path.stat().st_size for file in readable))
        documents = (READERS[readable[0].suffix].read(readable[0], warn) if len(files) == 1
                     else discord_export.read_parts(readable, warn))
        while True:
            with budget.reading():
                document = next(documents, None)
                if document is None:
                    return
                if not document.paragraphs:  # derived text was charged paragraph by paragraph
                    budget.spend(len(document.text))
                if document.paragraphs is None:  # plain text: finding its paragraphs is part of reading it
                    document = document.model_copy(update={"paragraphs": tuple(document_paragraphs(document))})
            yield document
    except OverLimit as exc:
        warn.each(readable, str(exc), together=len(readable) > 1)
    except OSError as exc:
        warn.each(readable, f"cannot be read ({exc.strerror or exc})")
    except RecursionError:  # a mail's parts in parts 3,000 deep: Python's parser recurses, the build goes on
        warn.each(readable, "cannot be read: it is nested too deeply")
    except Exception as exc:  # noqa: BLE001 - whatever a parser raises, the build goes on
        warn.each(readable, f"cannot be read ({type(exc).__name__}: {first_line(exc)})")
    finally:
        warn.flush()
    if skipped is not None:  # reached only when the files were skipped: a read to its end returns above
        skipped([file.name for file in readable])


def _may_read(file: CorpusFile, limits: ReaderLimits, warn: Warn) -> bool:
    """Whether a file is to be read: not an export in a format qabot does not read, not over a size limit (else a
    warning says why)."""
    reader = READERS[file.suffix]
    try:
        regular(file.path)  # replaced by a FIFO since it was listed, its reader would wait on it for good
        if why := export_formats.another_format(file.path):  # an HTML export is refused as one, not for its size
            warn(f"skipping {file.name}: {why}")
            return False
        limits.check_file(file.path, getattr(reader, "CONTAINER", None), getattr(reader, "MARKUP", False))
    except OverLimit as exc:
        warn(f"skipping {file.name}: {exc}")
        return False
    except OSError as exc:
        warn(f"skipping {file.name}: cannot be read ({exc.strerror or exc})")
        return False
    return True


class _Capped:
    """A file's warnings as its reader gives them, the first ``WARNINGS_PER_FILE`` about its parts shown and the
    rest counted in one line: a hostile file of 200,000 broken messages is six lines, not 200,000. What is said
    of a whole file ("skipping a.json: ...") is always shown. ``names``: the file, or the parts of a channel's
    export read as one."""

    def __init__(self, names: Sequence[str], warn: Warn) -> None:
        self.names, self.warn = names, warn
        self.shown = self.held = 0

    def __call__(self, message: str) -> None:
        if any(message.startswith(f"skipping {name}: ") for name in self.names):
            self.flush()
            self.warn(message)
        elif self.shown < WARNINGS_PER_FILE:
            self.shown += 1
            self.warn(message)
        else:
            self.held += 1

    def each(self, files: Sequence[CorpusFile], why: str, *, together: bool = False) -> None:
        """Skip each of ``files`` for the same reason (``together``: a channel's parts, over a limit together)."""
        prefix = "its channel's parts, read as one: " if together else ""
        for file in files:
            self(f"skipping {file.name}: {prefix}{why}")

    def flush(self) -> None:
        if self.held:
            self.warn(f"{self.names[0]}: {self.held:,} more warning{'s' if self.held > 1 else ''} like these not "
                      "shown")
            self.held = 0


def load_corpus(files: Iterable[CorpusFile], warn: Warn | None = None) -> Iterator[Document]:
    """The documents of ``files``, each file read by itself, but a channel's exports read as one, as an index reads
    them (``export_parts.units``)."""
    files = list(files)
    for unit in export_parts.units(files, files):
        yield from load_files(unit, warn)


def document_paragraphs(document: Document) -> list[Paragraph]:
    """The paragraphs of a document: those it comes with (``load_file`` gives every document its own), or found
    in its text, read as Markdown where its source is a ``.md`` or ``.mdx`` file."""
    if document.paragraphs is not None:
        return list(document.paragraphs)
    return paragraphs(document.text, document.body_start, plaintext.dialect(document.source))
