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

import os

# gRPC's fork support restarts its poller in a forked child, and a child that closes its descriptors before exec
# (subprocess's close_fds, pexpect) then dies on epoll_wait's EBADF (grpc/grpc#43055). qabot never forks to use
# gRPC, so fork support is off unless the operator sets it; grpc reads it once, when it is first imported.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

from qabot.index.milvus.config import MilvusConfig
from qabot.index.milvus.engine import MilvusEngine
from qabot.index.milvus.store import MilvusStore

__all__ = ["MilvusConfig", "MilvusEngine", "MilvusStore"]
