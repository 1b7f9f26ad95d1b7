"""The Milvus engine: everything a question needs, in a Milvus collection that several processes share.

- ``config``: the URI, the token, the collection names;
- ``client``: the pooled connection, one-line errors, one retry of a dropped connection;
- ``schema``: the collections of a build and how ``PassageRow``/``ParagraphRow`` map onto them;
- ``records``: the rows a document becomes, checked against Milvus's limits;
- ``meta``: the manifest stored with the collection, the head that commits it, the writer's lease;
- ``writer``: a change (``MilvusTransaction``): new builds and in-place updates;
- ``engine``: ``MilvusEngine``, the ``SearchEngine`` contract;
- ``store``: ``MilvusStore``, what ``qabot.index.living.LivingIndex`` drives.

pymilvus is imported only when a connection is made, so the embedded engine never needs it.
"""

from __future__ import annotations

from qabot.index.milvus.config import MilvusConfig
from qabot.index.milvus.engine import MilvusEngine
from qabot.index.milvus.store import MilvusStore

__all__ = ["MilvusConfig", "MilvusEngine", "MilvusStore"]
