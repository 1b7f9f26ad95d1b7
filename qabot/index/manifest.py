"""The manifest: what a build was made from and what it holds, and whether it is still fresh.

``manifest.json`` in the index folder is the commit point of a build: it names the live
``build-<id>/`` folder and records the model, its dimension, the chunking parameters,
the format version, a hash of every corpus file and the size (and, for small indexes,
the checksum) of every artifact. ``check`` compares it with the corpus and the settings;
a mismatch says why the index must be rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ValidationError

from qabot import chunking, corpus
from qabot.errors import CorpusError, CorruptIndexError
from qabot.text import first_line

if TYPE_CHECKING:
    from qabot.settings import Settings

FORMAT_VERSION = 8  # 2: sentence term ids; 3: sign-offs not headings; 4: text, rows in flat files; 5: pages, groups,
# labels, anchors, urls, authors, dates; 6: sentence flags (captions, questions); 7: no dense.faiss for Flat;
# 8: a chat message's role in its exchange
INDEX_TEXT = "title-prefix-v1"  # how a passage is turned into the text the model and BM25 see
MANIFEST = "manifest.json"
HASH_LIMIT = 256 << 20  # artifacts are checksummed on load when the index is smaller than this


class Artifact(BaseModel):
    size: int
    blake2b: str | None = None


class Manifest(BaseModel):
    """What a build was made from, and what it holds."""

    format_version: int
    model: str
    dimension: int
    passage_chars: int
    sentence_chars: int
    index_text: str
    index_factory: str
    index_factory_used: str
    build: str
    files: dict[str, str]
    skipped: list[str] = []
    documents: int
    passages: int
    sentences: int
    artifacts: dict[str, Artifact]
    built_at: str
    seconds: float
    embedded: int = 0
    cached: int = 0
    indexed_files: int = 0  # files that gave at least one document
    unchanged_files: int = 0  # files with the same contents as in the build before


@dataclass(frozen=True)
class BuildConfig:
    """The settings a build depends on: a change to any of them makes the index stale."""

    corpus_dir: Path
    index_dir: Path
    passage_chars: int = 600
    index_factory: str = "Flat"
    embedding_cache: bool = True
    corpus_external_links: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> BuildConfig:
        """The build fields of ``settings``: each field here has a ``Settings`` field of the same name."""
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class Status:
    """Whether the index on disk can be used as it is."""

    manifest: Manifest | None
    files: dict[str, str]
    reason: str | None  # None: fresh

    @property
    def fresh(self) -> bool:
        return self.reason is None


def read_manifest(index_dir: Path) -> Manifest | None:
    path = index_dir / MANIFEST
    if not path.exists():
        return None
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except (ValidationError, ValueError, OSError) as exc:
        raise CorruptIndexError(f"index manifest {path} is unreadable ({first_line(exc)})") from exc


def write_manifest(index_dir: Path, manifest: Manifest) -> None:
    """Replace the manifest atomically: a temp file, fsync, ``os.replace``, fsync of the folder."""
    tmp = index_dir / f".{MANIFEST}.{uuid.uuid4().hex[:8]}"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(manifest.model_dump_json(indent=2))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, index_dir / MANIFEST)
    with contextlib.suppress(OSError):
        directory = os.open(index_dir, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def corpus_files(
    corpus_dir: Path, warn: Callable[[str], None] | None = None, *, external_links: bool = False
) -> list[corpus.CorpusFile]:
    files = corpus.find_files(corpus_dir, warn, external_links=external_links)
    if not files:
        raise CorpusError(f"corpus folder {str(corpus_dir)!r} has no files to index (qabot reads {corpus.describe_types()})")
    return files


def check(config: BuildConfig, model: str) -> Status:
    """Compare the manifest with the corpus and settings; ``reason`` says why a rebuild is needed.

    Silent about skipped files: the build that follows a change reports them.
    """
    quiet = lambda _message: None
    found = corpus_files(config.corpus_dir, quiet, external_links=config.corpus_external_links)
    files = corpus.digests(found, quiet)
    try:
        manifest = read_manifest(config.index_dir)
    except CorruptIndexError as exc:
        return Status(None, files, str(exc))
    if manifest is None:
        return Status(None, files, "no index yet")
    return Status(manifest, files, stale_reason(manifest, config, model, files))


def stale_reason(manifest: Manifest, config: BuildConfig, model: str, files: dict[str, str]) -> str | None:
    if manifest.format_version != FORMAT_VERSION or manifest.index_text != INDEX_TEXT:
        return "the index format changed"
    if manifest.model != model:
        return f"the model changed ({manifest.model} -> {model})"
    if manifest.passage_chars != config.passage_chars or manifest.sentence_chars != chunking.MAX_SENTENCE_CHARS:
        return "the chunking settings changed"
    if manifest.index_factory != config.index_factory:
        return f"the index type changed ({manifest.index_factory} -> {config.index_factory})"
    added = sorted(set(files) - set(manifest.files))
    removed = sorted(set(manifest.files) - set(files))
    changed = sorted(name for name in set(files) & set(manifest.files) if files[name] != manifest.files[name])
    parts = [
        f"{label} {_names(names)}"
        for label, names in (("added", added), ("changed", changed), ("removed", removed))
        if names
    ]
    return "corpus files " + "; ".join(parts) if parts else None


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


# -- artifacts --------------------------------------------------------------------------


def describe_artifacts(folder: Path) -> dict[str, Artifact]:
    """The size of every file of a build, and its checksum when the build is small enough to hash quickly."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    total = sum(p.stat().st_size for p in files)
    return {
        p.relative_to(folder).as_posix(): Artifact(
            size=p.stat().st_size, blake2b=blake2b(p) if total <= HASH_LIMIT else None
        )
        for p in files
    }


def verify_artifacts(folder: Path, manifest: Manifest) -> None:
    """Raise ``CorruptIndexError`` unless every artifact is there, of its size and checksum."""
    for name, artifact in manifest.artifacts.items():
        path = folder / name
        if not path.is_file():
            raise CorruptIndexError(f"index file {path} is missing")
        if path.stat().st_size != artifact.size:
            raise CorruptIndexError(f"index file {path} has the wrong size")
        if artifact.blake2b and blake2b(path) != artifact.blake2b:
            raise CorruptIndexError(f"index file {path} is damaged (checksum mismatch)")


def blake2b(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, lambda: hashlib.blake2b(digest_size=16)).hexdigest()
