"""The manifest: what an index was made from and what it holds; one model for both engines.

The embedded engine keeps it as ``manifest.json`` in the index folder, its commit point:
replacing it (atomically) is what makes a change visible. The Milvus engine keeps the same
model in its meta collection. It records the settings a build depends on (model,
dimension, chunking, format version, index type), every corpus file with its size,
modification time and digest (so a file whose size and time are unchanged is never read
again), the files skipped and why, the live counts, and for the embedded engine its
segments and their deletion lists.

``stale_reason`` says when the settings changed so much that the index must be rebuilt;
which files changed is ``qabot.index.changes``'s business.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import uuid
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ValidationError

from qabot import chunking
from qabot.corpus.limits import ReaderLimits
from qabot.errors import CorruptIndexError, IndexStoreError
from qabot.text import first_line

if TYPE_CHECKING:
    from qabot.settings import Settings

FORMAT_VERSION = 34  # 2: sentence term ids; 3: sign-offs not headings; 4: text, rows in flat files; 5: pages, groups,
# labels, anchors, urls, authors, dates; 6: sentence flags (captions, questions); 7: no dense.faiss for Flat;
# 8: segments, BM25 postings, per-file sizes and times, document digests; 9: a chat message's role in its exchange;
# 10: a chat message's sentences flagged as such; 11: an export's exchanges as documents of their own, bots' role;
# 12: what the readers and the untangling read differently since 2026-12-05 (Markdown comments and code blocks, HTML
# code lines, figures and short pages, UTF-16 text, problem reports, bots' notices, an asker's check mark in an export);
# 13: Markdown admonitions, JSX tags, headings' HTML, bare list markers and fences under text, Word and HTML list
# numbers, Javadoc signatures, rustdoc and mdBook pages, PDF footnotes and table rows, an export's channel in parts
# read as one, "Update:" no address, invisible-only messages, emoji and dates shown as Discord shows them;
# 14: chat messages keep their lines, greetings ask; HTML superscripts, footnote markers and definition lists;
# Markdown fences in admonitions, content tabs, definition lists, pymdownx blocks; Word list restarts; PDF table cells;
# PDF text in scaled fonts, TeX accents, placeholder titles, deep running headers; Word text boxes, notes, content
# controls, outline levels, ruby; MyST, Hugo, Docusaurus and GitHub markup, badges; a Markdown paragraph's lines as one;
# Sphinx and Doxygen pages; 15: a compound hyphenated at a PDF line end keeps its hyphen;
# Markdown lines that include another file; 16: a chat message is not linked to its author's own message to
# someone else when it addresses another person; "anyone?" goes on from its author's question; 17: a message that
# opens with a Discord mention alone ("@ana try ...") addresses ana, as "ana: try ..." does; an answer the asker's
# thanks replies to is "thanked"; 18: PDF text in fonts without a character map left out (qabot.corpus.garbled);
# 19: an HTML footnote's link back ("↩") is not its text; 20: a Markdown comment ends at its first "-->";
# 21: PDF running headers only between the body and the edge (a table's rows kept), figures alone and bullets;
# HTML captions, soft hyphens, post titles, layout tables, Confluence's folded blocks, hidden elements; Word breaks,
# fields, equations, hidden text, parts imported whole (altChunk), Symbol-font symbols; chat embeds' fields;
# a short Markdown paragraph is no heading where the file has headings, a table's rows, an HTML block's lines;
# text's wrap width past a long line, a line cut short by a URL; a Markdown section's name without inline marks,
# footnotes' definitions apart; 22: a webhook that posts under two names bridges people (chat.Bridges), no bot;
# HTML addresses, quotations' attributions and MathML read; an e-mail's header in a text file is its front matter,
# an mbox a document per message; a PDF paragraph set wider than the document's lines is one; a Markdown heading
# underlined under several lines; e-mail (.eml, .mbox) read; 23: PDF bold read from a font's name where it states no
# weight (the standard fonts), and a bold line smaller than the text is no heading; a PDF space glyph without a character
# is a space; in text, a heading numbered one level under the heading right above it heads its own section, and a
# text laid out in pages loses its page numbers and running heads; a contents entry or a number alone is no heading;
# 24: a PDF line of one letter (a figure's label) is no heading; 25: where people reply rather than name each other,
# a reply says whom it speaks to and the rest is linked by REPLY_WEIGHTS; an exchange's opener of nothing ("umm") asks;
# 26: a chat message keeps the number of the message of its exchange it replies to (Paragraph.reply_to); an
# exchange opened by "could someone ...", "... not appearing" or "... permission denied" (no question mark) is asked;
# 27: neighbouring lines of text that differ by a number or a word are both indexed (only a caption repeated is once);
# 28: Chinese and Japanese sentences end at 。！？ (and ؟ ۔ । ॥ end sentences too), and their words are pairs of
# characters; a PDF page turned by its /Rotate is measured as shown; a soft hyphen is no word break;
# a sentence in Markdown emphasis ends after it ("**Why ...?**" asks); a Markdown section has its heading's anchor;
# a table's row is no caption; MediaWiki's "[edit]" is no heading text, a heading's anchor may be an id inside it;
# an HTML page with a reference to a control character (&#27;) is read, not skipped;
# 29: a channel's exports in one folder (month by month, or again) read as one channel, a message in two of them once;
# an export's dates in UTC; a title's first 300 characters before each passage; a PDF page PDFium cannot load left out;
# a Word table's merged cells read from its XML; readers' hostile runs (dots, tildes, digits, attributes) in linear time;
# a DOCTYPE's internal subset is no text; a Word file missing a part is read; a tilde fence may hold a backtick;
# 30: a chat message asks with a full-width or Arabic question mark (？ ؟) as with "?" (its exchange's roles); words
# of any script (with their vowel signs) are shared words, and names in Indic scripts address; a deleted member's reply to another is another person's; a thread's placeholder in
# a newest-first export; an announcement thread's starter links to where it was posted;
# 31: a thread-starter placeholder named ThreadStarterMessage; HTML tab panels, Starlight's and docutils' asides
# read, VitePress' code labels not, a term's id anchors its definition; a PDF's short chapter's running head dropped, a left column's line measured by its column;
# an export's message whose id is no Discord id skipped, a message two exports date differently read once
# 32: a site generator's index, search and 404 pages, _modules/ and _static/ not read; MkDocs' slugs for its Markdown
# pages; a theme's dialogs, landmarks, skip links and Sphinx sidebar no text, Sphinx's return arrow kept; thanks in
# more languages; a quiet channel's silence counted up to an hour; an export's lone surrogate read as U+FFFD, a
# message twice in one export read once; Docsy's page lists and alert titles, Just the Docs' table of contents; a
# Markdown heading written in HTML (and INDEX_TEXT: a heading that asks is read before its passages)
# 33: Asciidoctor's admonition labels, sidebars and footnotes, a section whose id is a furniture word, a Sphinx code
# caption read; Javadoc's and Doxygen's generated pages and Docsy's feedback widget not; a solved post's answer
# thanked by first name accepted; a message that opens with the first name only one member goes by addresses them;
# a Word file's Title paragraph and an HTML og:title as titles, editors' placeholder titles none; Jekyll's include
# content read; top-level front matter keys only, text between two rules no front matter; an HTML heading's id in
# Markdown; SVG icons' titles and screen-reader-only permalink text no text
# 34: a thanks in Swedish, Norwegian, Finnish, Polish, Czech, Hungarian, Turkish, Croatian, Romanian, Ukrainian, Greek,
# Japanese, Chinese and Korean read as one; a changelog's kind of change under a version's heading sectioned as both
# (and INDEX_TEXT: read with its passages); Texinfo's and DocBook's navigation and contents, Node.js' copy buttons and
# Markdown's table-of-contents markers ([[toc]]) not read
INDEX_TEXT = "title-question-prefix-v3"  # how a passage is turned into the text the model and BM25 see
MANIFEST = "manifest.json"
RECOVERY = "recovery.json"  # the manifest as committed last, without the corpus files: see write_manifest
HASH_LIMIT = 256 << 20  # a segment's artifacts are checksummed on load when it is smaller than this


class Artifact(BaseModel):
    size: int
    blake2b: str | None = None


class FileState(BaseModel):
    """A corpus file as last indexed: its digest, and the size and time that spare reading it again."""

    digest: str
    size: int = -1
    mtime_ns: int = -1
    # The inode's change time, which no one can set: a file replaced by one of the same size and modification time
    # (a release unpacked with its times kept, or a store that sets every time to one value) has another. -1: not
    # recorded (an index from before), taken as it is found.
    ctime_ns: int = -1
    checked_ns: int = 0  # when its size and time were read (a file changed just before may change again unseen)
    documents: int = 0  # how many documents it gave


class SegmentInfo(BaseModel):
    """One segment of the embedded engine, and what has been deleted from it since it was written."""

    name: str
    documents: int  # written, deleted ones included
    passages: int
    sentences: int
    length: int  # BM25 tokens of all its passages
    factory: str  # the FAISS factory its dense index was built with (Flat: exact search)
    artifacts: dict[str, Artifact]
    deleted: str | None = None  # the file listing its deleted documents' rows
    deleted_documents: int = 0
    deleted_passages: int = 0
    deleted_sentences: int = 0
    deleted_length: int = 0

    @property
    def live_passages(self) -> int:
        return self.passages - self.deleted_passages


class Manifest(BaseModel):
    """What an index was made from, and what it holds."""

    format_version: int
    model: str
    dimension: int
    passage_chars: int
    sentence_chars: int
    index_text: str
    index_factory: str
    index_factory_used: str
    build: str  # names this committed state: a new one with every change
    generation: int = 0
    files: dict[str, FileState]
    skipped: dict[str, list[str]] = {}  # why files (or documents of them) were left out, by file ("" for none)
    documents: int
    passages: int
    sentences: int
    segments: list[SegmentInfo] = []
    built_at: str
    seconds: float  # what the last change took
    embedded: int = 0  # passages the last change embedded
    cached: int = 0  # ... and those whose vectors it reused
    indexed_files: int = 0  # files that gave at least one document
    unchanged_files: int = 0  # files the last change did not read
    api_documents: int = 0  # documents added through the document API (QABot.upsert)
    reader_limits: ReaderLimits | None = None  # what the files were read under (None: not known, an older index)

    def skipped_messages(self) -> list[str]:
        return [message for name in sorted(self.skipped) for message in self.skipped[name]]


@dataclass(frozen=True)
class BuildConfig:
    """The settings a build depends on: a change to any of them makes the index stale."""

    corpus_dir: Path
    index_dir: Path
    passage_chars: int = 600
    index_factory: str = "Flat"
    embedding_cache: bool = True
    corpus_external_links: bool = False
    reader_limits: ReaderLimits = field(default_factory=ReaderLimits)  # others: the files skipped are read again (scan)

    @classmethod
    def from_settings(cls, settings: Settings) -> BuildConfig:
        """The build fields of ``settings``: each field here has a ``Settings`` field of the same name."""
        named = {f.name: getattr(settings, f.name) for f in fields(cls) if f.name != "reader_limits"}
        return cls(**named, reader_limits=ReaderLimits.from_settings(settings))


def new_manifest(config: BuildConfig, model: str, dimension: int, factory_used: str) -> Manifest:
    """The manifest of an empty index of these settings: every build starts from it."""
    return Manifest(
        format_version=FORMAT_VERSION, model=model, dimension=dimension, passage_chars=config.passage_chars,
        sentence_chars=chunking.MAX_SENTENCE_CHARS, index_text=INDEX_TEXT, index_factory=config.index_factory,
        index_factory_used=factory_used, build="", files={}, documents=0, passages=0, sentences=0,
        built_at=now(), seconds=0.0,
    )


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_build_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


def stale_reason(manifest: Manifest, config: BuildConfig, model: str) -> str | None:
    """Why an index of ``manifest`` cannot be updated in place for these settings (None: it can)."""
    if manifest.format_version != FORMAT_VERSION or manifest.index_text != INDEX_TEXT:
        return "the index format changed"
    if manifest.model != model:
        return f"the model changed ({manifest.model} -> {model})"
    if manifest.passage_chars != config.passage_chars or manifest.sentence_chars != chunking.MAX_SENTENCE_CHARS:
        return "the chunking settings changed"
    if manifest.index_factory != config.index_factory:
        return f"the index type changed ({manifest.index_factory} -> {config.index_factory})"
    return None


def read_manifest(index_dir: Path) -> Manifest | None:
    """The committed manifest (None: no index yet); ``CorruptIndexError`` if it is damaged.

    A manifest the filesystem refuses to give (permissions, an I/O error) is not damage: what it
    says is unknown, and a rebuild would drop the documents only the index holds (the document
    API's), so it is an ``IndexStoreError`` that leaves the index as it is.
    """
    path = index_dir / MANIFEST
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise unreadable("the index manifest", path, exc) from exc
    try:
        return Manifest.model_validate_json(data)
    except (ValidationError, ValueError) as exc:
        if isinstance(version := _format_of(data), int) and version != FORMAT_VERSION:  # another qabot's, not damage
            raise CorruptIndexError(f"the index format changed (the index in {index_dir} is format {version}; this "
                                    f"qabot reads {FORMAT_VERSION})") from exc
        raise CorruptIndexError(f"index manifest {path} is damaged ({what_is_wrong(exc)})") from exc


def _format_of(data: bytes) -> object:
    """The format a manifest names, whatever else it holds (None: none can be read)."""
    with contextlib.suppress(ValueError, AttributeError):
        return json.loads(data).get("format_version")
    return None


def what_is_wrong(exc: ValueError) -> str:
    """What is wrong with a manifest, in a few words: "Invalid JSON: EOF while parsing ...", "build: Field required"."""
    if isinstance(exc, ValidationError) and (errors := exc.errors()):
        where = ".".join(str(part) for part in errors[0].get("loc", ()))
        return f"{where}: {errors[0]['msg']}" if where else errors[0]["msg"]
    return first_line(exc)


def unreadable(what: str, path: Path | str, exc: OSError) -> IndexStoreError:
    """An index file that could not be read, for a reason that is not its contents: one line saying what to do."""
    todo = ("let the user qabot runs as read and write the index folder" if isinstance(exc, PermissionError)
            else "check the disk")
    return IndexStoreError(f"cannot read {what} {path} ({exc.strerror or first_line(exc)}): {todo}, then try again; "
                           "the index was left as it is")


def write_manifest(index_dir: Path, manifest: Manifest) -> None:
    """Replace the manifest atomically: a temp file, fsync, ``os.replace``, fsync of the folder (the commit).

    Then its copy, ``RECOVERY``, without the corpus files (which a rebuild reads again): should
    ``manifest.json`` ever be damaged (cut short, edited by hand), a rebuild reads the document
    API's documents back from the segments the copy names (``read_recovery``). It is written
    after the commit, so it never names what was not committed; one that cannot be written is
    removed, so that no older copy is read instead.
    """
    _replace(index_dir, MANIFEST, manifest.model_dump_json(indent=1))
    write_recovery(index_dir, manifest)


def write_recovery(index_dir: Path, manifest: Manifest) -> None:
    """Replace ``RECOVERY`` with the copy of ``manifest`` (see ``write_manifest``), or remove it if it cannot be.

    As durably as the manifest: a power cut that damages ``manifest.json`` must not also find its copy empty.
    """
    slim = manifest.model_copy(update={"files": {}, "skipped": {}})
    try:
        _replace(index_dir, RECOVERY, slim.model_dump_json())
    except OSError:
        with contextlib.suppress(OSError):
            (index_dir / RECOVERY).unlink(missing_ok=True)


def _replace(index_dir: Path, name: str, text: str) -> None:
    """Replace ``name`` in ``index_dir`` atomically and durably: a temp file, fsync, ``os.replace``, fsync the folder."""
    tmp = index_dir / f".{MANIFEST}.{uuid.uuid4().hex[:8]}"  # what a change that died left is removed by that name
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, index_dir / name)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
    fsync_folder(index_dir)


def read_recovery(index_dir: Path) -> Manifest | None:
    """The copy of the manifest the last commit left (``write_manifest``); None when there is none, or it is damaged."""
    try:
        return Manifest.model_validate_json((index_dir / RECOVERY).read_bytes())
    except (OSError, ValueError):
        return None


def fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


# -- artifacts --------------------------------------------------------------------------


def describe_artifacts(folder: Path) -> dict[str, Artifact]:
    """The size of every file of a segment, and its checksum when the segment is small enough to hash quickly."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    total = sum(p.stat().st_size for p in files)
    return {
        p.relative_to(folder).as_posix(): Artifact(
            size=p.stat().st_size, blake2b=blake2b(p) if total <= HASH_LIMIT else None
        )
        for p in files
    }


def verify_artifacts(folder: Path, artifacts: dict[str, Artifact]) -> None:
    """Raise ``CorruptIndexError`` unless every artifact is there, of its size and checksum.

    Each is opened, checksummed or not: one the filesystem refuses to give is ``unreadable``, not damaged
    (a rebuild would drop what only the index holds, the document API's documents: see ``read_manifest``).
    """
    for name, artifact in artifacts.items():
        path = folder / name
        try:
            if not path.is_file():
                raise CorruptIndexError(f"index file {path} is missing")
            if path.stat().st_size != artifact.size:
                raise CorruptIndexError(f"index file {path} has the wrong size")
            if artifact.blake2b is None:
                path.open("rb").close()
            elif blake2b(path) != artifact.blake2b:
                raise CorruptIndexError(f"index file {path} is damaged (checksum mismatch)")
        except FileNotFoundError:  # removed since: another process's commit, which the caller looks for
            raise CorruptIndexError(f"index file {path} is missing") from None
        except OSError as exc:  # the filesystem's refusal (a permission, an I/O error), not what the file holds
            raise unreadable("index file", path, exc) from exc


def blake2b(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, lambda: hashlib.blake2b(digest_size=16)).hexdigest()
