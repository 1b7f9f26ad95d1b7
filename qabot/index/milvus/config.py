"""Where the Milvus engine's data lives: the URI, the credentials, the collection names.

One deployment is one *base* name (``QABOT_MILVUS_COLLECTION``, or ``qabot_<corpus
folder>``, which two corpus folders of the same name would share: each build records
which folder it indexes, ``corpus_key``, and a writer of another one is refused). Each
full build gets its own set of collections, ``<base>_<build>`` (the passages: dense
vectors, BM25, text and citation fields) and its ``_sentences``, ``_documents`` and
``_terms`` companions; the alias ``<base>`` points at the passages collection of the
build in service, so a rebuild is switched in atomically. The collection ``<base>_meta``
keeps each build's manifest and the writer's lease.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qabot.settings import Settings

LITE_FILE = "milvus.db"  # the default Milvus Lite database, inside the index folder


@dataclass(frozen=True)
class MilvusConfig:
    """How to reach the collection. ``token`` is a secret: never in a message or a repr."""

    uri: str
    collection: str
    token: str = field(default="", repr=False)
    read_only: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> MilvusConfig:
        token = settings.milvus_token.get_secret_value() if settings.milvus_token else ""
        return cls(
            uri=settings.milvus_uri or str(settings.index_dir / LITE_FILE),
            collection=settings.milvus_collection or default_collection(settings.corpus_dir),
            token=token,
            read_only=settings.milvus_read_only,
        )

    @property
    def lite(self) -> bool:
        """A Milvus Lite database file, run inside this process (not a server)."""
        return not self.uri.startswith(("http://", "https://"))

    @property
    def meta(self) -> str:
        return f"{self.collection}_meta"


def default_collection(corpus_dir: Path) -> str:
    """``qabot_<corpus folder name>``, in the letters Milvus allows in a name."""
    slug = re.sub(r"[^0-9A-Za-z_]+", "_", corpus_dir.resolve().name).strip("_")[:60]
    return f"qabot_{slug or 'corpus'}"


def corpus_key(corpus_dir: Path) -> str:
    """Which corpus folder a build indexes: a hash of its resolved path, which is compared, never shown (a path
    may name a person, /home/ana/notes, and a shared server's other users can read the meta collection)."""
    return hashlib.sha256(str(corpus_dir.resolve()).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class BuildNames:
    """The collections of one build (``passages`` is what the alias points at)."""

    passages: str

    @property
    def sentences(self) -> str:
        return f"{self.passages}_sentences"

    @property
    def documents(self) -> str:
        return f"{self.passages}_documents"

    @property
    def terms(self) -> str:
        return f"{self.passages}_terms"

    @property
    def all(self) -> tuple[str, str, str, str]:
        return self.passages, self.sentences, self.documents, self.terms
