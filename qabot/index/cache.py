"""The embedding cache: vectors of passages already embedded, keyed by text and model.

Re-indexing after one document changes re-embeds only that document's passages: every
other passage's text vector and sentence vectors come from here. The key hashes the
model name, the exact text given to the model and the sentence spans inside it.

The cache lives in ``<index_dir>/cache/<model>/`` as shard folders of ``.npy`` files.
A shard is written to a temporary folder and renamed into place, so a crash loses at
most the newest vectors, never corrupts older ones. New vectors are written out every
``SHARD_ROWS`` entries, so a build of a million passages never holds them all in
memory; old shards are read memory-mapped. When shards pile up they are compacted,
chunk by chunk, into shards that keep only the entries the latest build used.

An update of the index (``whole=False``) reads the cache only once it has enough to embed
to be worth it (``ENTRIES_PER_PASSAGE``), so that a small edit of a large index stays
fast; it writes what it embeds as a shard of its own, and drops nothing, since it cannot
tell which entries the index still uses: the small shards of updates are merged into full
ones when they pile up, and the next full build keeps only what it uses.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import shutil
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qabot.text import first_line

log = logging.getLogger(__name__)

MAX_SHARDS = 8
SHARD_ROWS = 65_536  # new entries held in memory before they are written as a shard
# An update reads the cache once it has a passage to embed for every ENTRIES_PER_PASSAGE entries: reading costs
# ~0.55 µs an entry (0.55 s for a million), so 5.5 ms a passage, a fraction of what the int8 model takes to embed
# one on 2 cores (20-60 ms).
ENTRIES_PER_PASSAGE = 10_000


def remove_unfinished(cache_dir: Path) -> None:
    """Remove the shards under ``cache_dir`` (``<index>/cache``) whose writing was cut short (a kill, a second Ctrl-C):
    they never got their name. Only a change of the index writes the cache, under the index's write lock, so whoever
    holds that lock may (the embedded engine does as it takes it, whether or not it then reads the cache)."""
    with contextlib.suppress(OSError):  # a sweep: never what fails a change
        for tmp in cache_dir.glob("*/.tmp-shard-*"):
            shutil.rmtree(tmp, ignore_errors=True)


def _check(shard: _Shard) -> None:
    """Raise ``ValueError`` unless the shard's arrays agree with one another."""
    n = len(shard.keys)
    offsets = shard.span_offsets
    if shard.keys.dtype != np.uint8 or shard.keys.shape != (n, 16):
        raise ValueError("keys are not 16-byte rows")
    if shard.text_vectors.ndim != 2 or len(shard.text_vectors) != n or shard.span_vectors.ndim != 2:
        raise ValueError("vectors have the wrong shape")
    if shard.span_vectors.shape[1] != shard.text_vectors.shape[1]:
        raise ValueError("sentence and passage vectors differ in width")
    if offsets.ndim != 1 or len(offsets) != n + 1 or offsets[0] != 0 or offsets[-1] != len(shard.span_vectors):
        raise ValueError("sentence offsets do not match the sentence vectors")
    if (np.diff(offsets) < 0).any():
        raise ValueError("sentence offsets go backwards")


def _unit(vectors: np.ndarray) -> bool:
    """Every row of unit length (float16 sentence vectors to its precision), or all zero (a text of no words)."""
    norms = np.linalg.norm(vectors.astype(np.float32), axis=1)
    return bool(((np.abs(norms - 1.0) < 1e-2) | (norms == 0.0)).all())


def cache_key(model: str, text: str, spans: Sequence[tuple[int, int]]) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(model.encode())
    digest.update(b"\0")
    digest.update(text.encode("utf-8", "surrogatepass"))
    digest.update(b"\0")
    digest.update(json.dumps(list(spans)).encode())
    return digest.digest()


@dataclass
class _Shard:
    folder: Path
    keys: np.ndarray
    text_vectors: np.ndarray
    span_offsets: np.ndarray
    span_vectors: np.ndarray


class EmbeddingCache:
    """Look up and remember (text vector, span vectors) pairs."""

    def __init__(self, folder: Path, model: str, dimension: Callable[[], int] | None = None, *,
                 whole: bool = True) -> None:
        safe = hashlib.blake2b(model.encode(), digest_size=8).hexdigest()
        self.folder = folder / safe
        self.model = model
        self.whole = whole  # a full build's: read at once, and what the build did not use is dropped
        self._dimension = dimension  # when given, entries of another width are never returned
        self._width: int | None = None
        self._shards: list[_Shard] = []
        self._where: dict[bytes, tuple[int, int]] = {}
        self._new: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}
        self._used: set[bytes] = set()
        self.hits = 0
        self.misses = 0
        self.opened = False
        self._wanted = 0  # passages an update has asked about before the cache was read
        if whole:
            self._load()

    def opened_for(self, passages: int) -> bool:
        """Whether the cache is read, reading it now if, with ``passages`` more to embed, that is worth it."""
        if not self.opened:
            self._wanted += passages
            if self._wanted * ENTRIES_PER_PASSAGE < self._stored():
                return False
            self._load()
        return True

    def _stored(self) -> int:
        """About how many entries the shards hold, from the sizes of their keys (16 bytes each) alone."""
        return sum(path.stat().st_size // 16 for path in self.folder.glob("shard-*/keys.npy"))

    def _load(self) -> None:
        self.opened = True
        if not self.folder.is_dir():
            return
        remove_unfinished(self.folder.parent)
        for shard_dir in sorted(self.folder.glob("shard-*")):
            self._open(shard_dir)

    def _open(self, shard_dir: Path) -> None:
        try:
            shard = _Shard(
                shard_dir,
                np.load(shard_dir / "keys.npy", allow_pickle=False),
                np.load(shard_dir / "text.npy", mmap_mode="r", allow_pickle=False),
                np.load(shard_dir / "offsets.npy", allow_pickle=False),
                np.load(shard_dir / "spans.npy", mmap_mode="r", allow_pickle=False),
            )
            _check(shard)
        except Exception as exc:  # noqa: BLE001 - a damaged .npy fails as EOFError, ValueError, OSError, ...
            log.warning("discarding damaged embedding cache shard %s (%s); its vectors will be embedded again",
                        shard_dir.name, first_line(exc))
            shutil.rmtree(shard_dir, ignore_errors=True)
            return
        self._add(shard)

    def _add(self, shard: _Shard) -> None:
        number = len(self._shards)
        self._shards.append(shard)
        raw = shard.keys.tobytes()
        for row in range(len(shard.keys)):
            self._where[raw[row * 16 : (row + 1) * 16]] = (number, row)

    def __len__(self) -> int:
        return len(self._where) + len(self._new)

    def get(self, key: bytes, spans: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The vectors stored for ``key``, if they are there and hold ``spans`` sentence vectors."""
        if not self.opened:
            self._load()
        if key in self._new:
            found = self._new[key]
        elif (where := self._where.get(key)) is not None:
            shard, row = self._shards[where[0]], where[1]
            lo, hi = shard.span_offsets[row], shard.span_offsets[row + 1]
            found = np.asarray(shard.text_vectors[row], dtype=np.float32), np.asarray(shard.span_vectors[lo:hi], dtype=np.float32)
        else:
            self.misses += 1
            return None
        text, sentences = found
        if self._width is None:
            self._width = self._dimension() if self._dimension else text.shape[-1]
        width = self._width
        if (
            len(sentences) != spans
            or text.shape != (width,)
            or sentences.shape[1:] != (width,)
            or not (np.isfinite(text).all() and np.isfinite(sentences).all())
            or not (_unit(text[None, :]) and _unit(sentences))  # what a model gives is normalised
        ):
            self.misses += 1  # a crafted or damaged entry: never trusted, embedded again
            return None
        self._used.add(key)
        self.hits += 1
        return np.asarray(text, dtype=np.float32), np.asarray(sentences, dtype=np.float32)

    def put(self, key: bytes, text_vector: np.ndarray, span_vectors: np.ndarray) -> None:
        if not self.opened:
            self._load()
        self._new[key] = (text_vector.astype(np.float32), span_vectors.astype(np.float16))
        self._used.add(key)
        if len(self._new) >= SHARD_ROWS:
            self._write_new()

    def flush(self) -> None:
        """Write new entries as a shard; compact the shards when most of them is stale or they are many (after a
        full build), or merge the small shards of updates when they are many (after an update)."""
        self._write_new()
        if not self.whole:
            self._merge_small()
            return
        needed = max(1, math.ceil(len(self._used) / SHARD_ROWS))
        stored = sum(len(shard.keys) for shard in self._shards)
        if len(self._shards) > max(MAX_SHARDS, 2 * needed) or stored > 2 * max(len(self._used), SHARD_ROWS):
            self._compact()

    def keep(self) -> None:
        """Write the new entries as a shard, without compacting: a build that stopped short used only some of the
        entries it would have, and compacting now would drop the rest."""
        self._write_new()

    def drop(self, keys: set[bytes]) -> None:
        """Forget the entries of ``keys`` (the passages of documents purged from the index: their vectors say what
        they said): the shards that hold one are written again without them."""
        self._write_new()
        if not self.opened:
            self._load()
        holding = [shard for shard in self._shards
                   if any(raw in keys for raw in map(bytes, shard.keys))]
        if holding:
            self._replace(holding, [key for key in dict.fromkeys(bytes(k) for shard in holding for k in shard.keys)
                                    if key not in keys])

    def _write_new(self) -> None:
        if self._new:
            self._open(self._write(self._new))
            self._new = {}

    def _compact(self) -> None:
        """Rewrite the entries the latest build used into fresh shards, a chunk at a time; drop the rest."""
        used = sorted((self._where[key], key) for key in self._used if key in self._where)
        self._replace(self._shards, [key for _, key in used])

    def _merge_small(self) -> None:
        """Rewrite the entries of the shards smaller than ``SHARD_ROWS`` (each update writes one) into full shards,
        every entry kept, once there are more than ``MAX_SHARDS`` of them."""
        small = [shard for shard in self._shards if len(shard.keys) < SHARD_ROWS]
        if len(small) > MAX_SHARDS:
            self._replace(small, list(dict.fromkeys(bytes(key) for shard in small for key in shard.keys)))

    def _replace(self, old: list[_Shard], keys: list[bytes]) -> None:
        """Write the entries of ``keys`` into fresh shards, a chunk at a time, in place of the shards ``old``."""
        written = [
            self._write({key: self.get_raw(key) for key in keys[lo : lo + SHARD_ROWS]})
            for lo in range(0, len(keys), SHARD_ROWS)
        ]
        gone = {id(shard) for shard in old}
        kept = [shard for shard in self._shards if id(shard) not in gone]
        self._shards, self._where = [], {}
        for shard in old:
            shutil.rmtree(shard.folder, ignore_errors=True)
        for shard in kept:
            self._add(shard)
        for folder in written:
            self._open(folder)

    def get_raw(self, key: bytes) -> tuple[np.ndarray, np.ndarray]:
        if key in self._new:
            return self._new[key]
        number, row = self._where[key]
        shard = self._shards[number]
        lo, hi = shard.span_offsets[row], shard.span_offsets[row + 1]
        return np.asarray(shard.text_vectors[row]), np.asarray(shard.span_vectors[lo:hi])

    def _write(self, entries: dict[bytes, tuple[np.ndarray, np.ndarray]]) -> Path:
        keys = list(entries)
        text = np.stack([entries[k][0] for k in keys]).astype(np.float32)
        spans = [entries[k][1] for k in keys]
        offsets = np.zeros(len(keys) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(s) for s in spans])
        span_matrix = (
            np.concatenate(spans).astype(np.float16) if offsets[-1] else np.zeros((0, text.shape[1]), np.float16)
        )
        name = f"shard-{uuid.uuid4().hex[:12]}"
        tmp = self.folder / f".tmp-{name}"
        tmp.mkdir(parents=True)
        np.save(tmp / "keys.npy", np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(-1, 16))
        np.save(tmp / "text.npy", text)
        np.save(tmp / "offsets.npy", offsets)
        np.save(tmp / "spans.npy", span_matrix)
        tmp.rename(self.folder / name)
        return self.folder / name
