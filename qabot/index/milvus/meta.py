"""What is stored beside the data: each build's manifest, and the writer's lease.

The collection ``<base>_meta`` holds key/value rows:

- ``head:<build>``: the build's current version, which corpus folder it indexes (a writer
  of another is refused), the next free document number (rows of documents numbered
  from it on belong to a change not yet committed: readers never see them, and the next
  writer deletes what a change that died left), and the documents deleted whose rows are
  still there (readers leave them out; a later change deletes the rows, once replicas
  have had ``GRACE_SECONDS`` to move past the versions showing them);
- ``manifest:<build>:<version>:<i>``: that version's ``Manifest`` (the same model as
  the FAISS engine's manifest.json: model, dimension, chunking, a hash of every corpus
  file), compressed, in pieces that fit a VARCHAR. A version's pieces are written
  before its head names it, so a reader sees the old version or the new one, whole;
- ``pending:<build>:<version>:<i>``: that version's deleted documents, in the same way, when
  they are too many for the head's own row (thousands, deleted at once);
- ``counting:<build>``: there while a change writes the build's term counts, until its commit;
- ``lease``: which process is writing, until when.

The alias ``<base>`` says which build is in service; ``read_current`` follows it.
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import time
import uuid
import zlib
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from qabot.errors import CorruptIndexError, IndexStoreError
from qabot.index.manifest import Manifest, what_is_wrong
from qabot.index.milvus.client import Connection
from qabot.index.milvus.config import BuildNames, MilvusConfig
from qabot.index.milvus.schema import MAX_VARCHAR, PLACEHOLDER, PLACEHOLDER_VECTOR, create_meta
from qabot.settings import MILVUS_POLL_MAX
from qabot.text import first_line

PIECE = 60_000  # characters of base64 per manifest row (ASCII: one byte each)
LEASE_SECONDS = 600.0  # a writer that stops renewing its lease loses it after this long
# Deleted rows stay (hidden) this long, so replicas polling an older version still see them: twice the longest
# QABOT_MILVUS_POLL_SECONDS, for the poll and the opening of the version it finds.
GRACE_SECONDS = 2 * MILVUS_POLL_MAX
STRONG = {"consistency_level": "Strong"}


@dataclass
class Head:
    version: int = 0
    next_doc: int = 0  # documents numbered from here on are not committed yet
    schema: str = ""  # the layout it was built with (schema.LAYOUT)
    pieces: int = 0
    # Deleted documents whose rows are still there, each with when it was deleted: readers leave
    # them out, and a later change deletes their rows once every replica has had GRACE_SECONDS
    # to move past the versions that still show them.
    pending: list[list[float]] = field(default_factory=list)
    spilled: int = 0  # pieces ``pending`` was stored in, when the head's row could not hold it (0: in the row)
    corpus: str = ""  # the corpus folder it indexes (``config.corpus_key``; "": built before builds recorded it)
    # The build it replaced, kept for replicas not yet switched, and when: a change drops it after GRACE_SECONDS
    # (it would keep the text of documents deleted since).
    kept: list[str | float] = field(default_factory=list)

    def hidden(self) -> set[int]:
        return {int(doc) for doc, _ in self.pending}


@dataclass
class Stored:
    """The build in service: its collections, its head and its manifest."""

    names: BuildNames
    head: Head
    manifest: Manifest


def ensure_meta(conn: Connection, config: MilvusConfig) -> None:
    if not conn.call("has_collection", config.meta):
        create_meta(conn, config.meta)
    else:
        conn.call("load_collection", config.meta)


def _get(conn: Connection, config: MilvusConfig, keys: list[str]) -> dict[str, str]:
    rows = conn.call("get", config.meta, ids=keys, output_fields=["value"], missing_ok=True, **STRONG) or []
    return {row["id"]: row["value"] for row in rows}


def _put(conn: Connection, config: MilvusConfig, values: dict[str, str]) -> None:
    rows = [{"id": key, "value": value, PLACEHOLDER: PLACEHOLDER_VECTOR} for key, value in values.items()]
    for lo in range(0, len(rows), 64):
        conn.call("upsert", config.meta, rows[lo : lo + 64])


def serving(conn: Connection, config: MilvusConfig) -> BuildNames | None:
    """The build the alias points at, or None when there is none yet."""
    described = conn.call("describe_alias", config.collection, missing_ok=True)
    return BuildNames(described["collection_name"]) if described else None


def read_head(conn: Connection, config: MilvusConfig, names: BuildNames) -> Head | None:
    found = _get(conn, config, [f"head:{names.passages}"])
    if not found:
        return None
    try:
        values = json.loads(next(iter(found.values())))
        if values.get("spilled"):
            keys = [f"pending:{names.passages}:{values['version']}:{i}" for i in range(values["spilled"])]
            spilled = _get(conn, config, keys)
            values["pending"] = json.loads(_unpack([spilled[k] for k in keys]))
        return Head(**{f.name: values[f.name] for f in fields(Head) if f.name in values})
    except (ValueError, TypeError, AttributeError, KeyError, zlib.error) as exc:
        raise CorruptIndexError(f"the head of {names.passages} at {conn.uri} is unreadable ({first_line(exc)})"
                                ) from None


def read_current(conn: Connection, config: MilvusConfig) -> Stored | None:
    """The build in service with its manifest; None when the collection has never been built."""
    if not conn.call("has_collection", config.meta):
        return None
    conn.call("load_collection", config.meta)
    for attempt in range(3):
        names = serving(conn, config)
        if names is None:
            return None
        try:
            head = read_head(conn, config, names)
        except CorruptIndexError:
            if attempt < 2:
                continue  # the writer committed a newer version, and removed the pieces this head names
            raise
        if head is None or not head.pieces:
            raise CorruptIndexError(f"collection {names.passages} at {conn.uri} has no manifest")
        keys = [f"manifest:{names.passages}:{head.version}:{i}" for i in range(head.pieces)]
        found = _get(conn, config, keys)
        if len(found) < len(keys) and attempt < 2:
            continue  # the writer committed a newer version between the two reads: read its head again
        try:
            return Stored(names, head, Manifest.model_validate_json(_unpack([found[k] for k in keys])))
        except (KeyError, ValueError, zlib.error) as exc:
            why = what_is_wrong(exc) if isinstance(exc, ValueError) else first_line(exc)  # one line, not pydantic's six
            raise CorruptIndexError(f"the manifest of {names.passages} at {conn.uri} is unreadable ({why})") from None
    raise AssertionError("unreachable")


def _pack(text: str) -> list[str]:
    """``text`` compressed, in pieces that each fit a VARCHAR."""
    data = base64.b64encode(zlib.compress(text.encode("utf-8"), 6)).decode("ascii")
    return [data[lo : lo + PIECE] for lo in range(0, len(data), PIECE)] or [""]


def _unpack(pieces: list[str]) -> str:
    return zlib.decompress(base64.b64decode("".join(pieces))).decode("utf-8")


def write_head(conn: Connection, config: MilvusConfig, names: BuildNames, head: Head) -> None:
    """Store ``head``; deleted documents too many for its row (thousands) go first into pieces of their own."""
    value = json.dumps(asdict(head))
    if len(value) > PIECE:
        pieces = _pack(json.dumps(head.pending))
        _put(conn, config, {f"pending:{names.passages}:{head.version}:{i}": p for i, p in enumerate(pieces)})
        head.spilled = len(pieces)
        value = json.dumps({**asdict(head), "pending": []})
    _put(conn, config, {f"head:{names.passages}": value})


def commit(conn: Connection, config: MilvusConfig, names: BuildNames, head: Head, manifest: Manifest) -> Head:
    """Store ``manifest`` as the build's next version, then name it in the head (the commit point)."""
    manifest.build = f"{names.passages}#{head.version + 1}"
    pieces = _pack(manifest.model_dump_json())
    new = replace(head, version=head.version + 1, pieces=len(pieces), pending=list(head.pending), spilled=0)
    _put(conn, config, {f"manifest:{names.passages}:{new.version}:{i}": p for i, p in enumerate(pieces)})
    write_head(conn, config, names, new)
    old = [f"manifest:{names.passages}:{head.version}:{i}" for i in range(head.pieces)]
    old += [f"pending:{names.passages}:{head.version}:{i}" for i in range(head.spilled)]
    if old:
        conn.call("delete", config.meta, ids=old)
    return new


def set_counting(conn: Connection, config: MilvusConfig, names: BuildNames, on: bool) -> None:
    """Say that a change writes the build's term counts now (``on``), or that its commit landed.

    The terms collection is not versioned: a change writes its counts just before its
    commit, so one that dies in between leaves counts that no version has (``counting``).
    """
    if on:
        _put(conn, config, {f"counting:{names.passages}": "1"})
    else:
        conn.call("delete", config.meta, ids=[f"counting:{names.passages}"])


def counting(conn: Connection, config: MilvusConfig, names: BuildNames) -> bool:
    """Whether a change died while writing the build's term counts: then they must be counted again."""
    return bool(_get(conn, config, [f"counting:{names.passages}"]))


def forget(conn: Connection, config: MilvusConfig, names: BuildNames) -> None:
    """Drop a build's collections and its meta rows."""
    for name in names.all:
        conn.call("drop_collection", name, missing_ok=True)
    conn.call("delete", config.meta, filter=f'id == "head:{names.passages}" or id == "counting:{names.passages}" '
                                            f'or id like "manifest:{names.passages}:%" or id like "pending:{names.passages}:%"')


def builds(conn: Connection, config: MilvusConfig) -> list[BuildNames]:
    """Every build of this deployment that has collections, oldest first (build names sort by time)."""
    prefix = f"{config.collection}_b"
    found = conn.call("list_collections")
    return [BuildNames(n) for n in sorted(found) if n.startswith(prefix) and re.fullmatch(r"[0-9a-f]+", n[len(prefix):])]


class Lease:
    """The writer's lease: one process writes a deployment at a time.

    Milvus has no compare-and-swap, so the lease is claimed, then read back after a short
    pause: of two writers that claim it at once, the later write wins, and the other sees
    it and stops. What it guarantees is that a second writer is refused while the first
    is alive and renewing; docs/scale.md says to run one indexing job. A lease whose
    holder was a process of this machine that has died (killed half-way through a
    change) is taken over at once; one of another machine expires after ``LEASE_SECONDS``.
    """

    KEY = "lease"

    def __init__(self, conn: Connection, config: MilvusConfig) -> None:
        self.conn = conn
        self.config = config
        self.owner = uuid.uuid4().hex
        self.renewed = 0.0

    def _value(self) -> str:
        return json.dumps({"owner": self.owner, "host": socket.gethostname(), "pid": os.getpid(),
                           "until": time.time() + LEASE_SECONDS})

    def _holder(self) -> dict[str, Any] | None:
        found = _get(self.conn, self.config, [self.KEY])
        try:
            holder = json.loads(found[self.KEY]) if self.KEY in found else None
        except ValueError:
            return None
        return holder if isinstance(holder, dict) else None

    def _refuse(self, holder: dict[str, Any]) -> IndexStoreError:
        return IndexStoreError(
            f"another qabot process (pid {holder.get('pid')} on {holder.get('host')}) is writing "
            f"{self.config.collection} at {self.conn.uri}; run one indexing job at a time (docs/scale.md)"
        )

    def acquire(self, settle: float = 0.2) -> None:
        holder = self._holder()
        if (holder and holder.get("owner") != self.owner and float(holder.get("until", 0)) > time.time()
                and not _dead(holder)):
            raise self._refuse(holder)
        _put(self.conn, self.config, {self.KEY: self._value()})
        time.sleep(settle)
        holder = self._holder()
        if not holder or holder.get("owner") != self.owner:
            raise self._refuse(holder or {})
        self.renewed = time.monotonic()

    def renew(self) -> None:
        """Keep the lease while a long build runs (cheap: at most one write a minute)."""
        if time.monotonic() - self.renewed < 60:
            return
        holder = self._holder()
        if holder and holder.get("owner") != self.owner:
            raise self._refuse(holder)
        _put(self.conn, self.config, {self.KEY: self._value()})
        self.renewed = time.monotonic()

    def release(self) -> None:
        holder = self._holder()
        if holder and holder.get("owner") == self.owner:
            self.conn.call("delete", self.config.meta, ids=[self.KEY])


def _dead(holder: dict[str, Any]) -> bool:
    """Whether the lease's holder was a process of this machine that no longer runs (it was killed, say)."""
    if holder.get("host") != socket.gethostname() or not isinstance(holder.get("pid"), int):
        return False
    try:
        os.kill(holder["pid"], 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


assert len(f"manifest:{'x' * 255}:{10**9}:{10**6}") < 1024 and PIECE < MAX_VARCHAR
