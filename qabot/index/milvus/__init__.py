"""The Milvus engine: everything a question needs, in a Milvus collection that several processes share.

- ``config``: the URI, the token, the collection names;
- ``client``: the pooled connection, one-line errors, one retry of a dropped connection;
- ``schema``: the collections of a build and how ``PassageRow``/``ParagraphRow`` map onto them;
- ``records``: the rows a document becomes, checked against Milvus's limits;
- ``meta``: the manifest stored with the collection, and the writer's lease;
- ``writer``: new builds and in-place updates;
- ``engine``: ``MilvusEngine``, the ``SearchEngine`` contract;
- ``open``: ``open_milvus`` (``open_index`` for Milvus), ``check_milvus``, ``current_build``.

pymilvus is imported only when a connection is made, so the FAISS engine never needs it.
"""

from __future__ import annotations

from qabot.index.milvus.config import MilvusConfig
from qabot.index.milvus.engine import MilvusEngine
from qabot.index.milvus.open import check_milvus, current_build, open_milvus

__all__ = ["MilvusConfig", "MilvusEngine", "check_milvus", "current_build", "open_milvus"]
