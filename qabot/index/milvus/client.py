"""Talking to Milvus: one pooled client per URI, one-line errors, one retry when the connection drops.

``Connection.call`` runs a ``pymilvus.MilvusClient`` method. A failure becomes an
``IndexStoreError`` whose one line names the URI (never the token); a failure of the
connection itself (the server restarting, a dropped socket) is retried once, after a
short pause, before it is reported. pymilvus's own log lines (a traceback per failed
call) are silenced: qabot says what failed, once.

A Milvus Lite file runs in this process, behind a local gRPC server that pymilvus starts
on first use; it is stopped when the last connection to it closes, so that another
process can open the file afterwards (Milvus Lite serves one process per file).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from qabot.errors import IndexStoreError
from qabot.index.milvus.config import MilvusConfig
from qabot.text import first_line

log = logging.getLogger(__name__)

TIMEOUT = 10.0  # seconds an RPC may take, pymilvus's own retries included
BACKOFF = 1.0  # seconds before the one retry of a failed connection
_BAD_JSON = re.compile(r"line \d+ column \d+ \(char \d+\)|not valid JSON")  # json.JSONDecodeError's words
_TRANSIENT = ("unavailable", "fail connecting", "connection refused", "socket closed", "failed to connect",
              "connection reset", "broken pipe", "deadline", "timeout", "goaway", "stream removed")


class _LiteFailure(logging.Handler):
    """Why Milvus Lite did not start, which pymilvus reports only as "Open local milvus failed".

    Milvus Lite logs the exception (a lock another process holds, a folder that cannot be
    written, a file where its folder should be) and returns nothing: this handler keeps it,
    per thread, so that the one line qabot prints says which it was.
    """

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self._local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            self._local.exc = record.exc_info[1]

    def take(self) -> BaseException | None:
        exc, self._local.exc = getattr(self._local, "exc", None), None
        return exc


_lite_failure = _LiteFailure()


def _pymilvus() -> Any:
    import pymilvus

    for name in ("pymilvus", "milvus_lite", "grpc"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    # Its failures reach _lite_failure alone, never the log (qabot says what failed, once).
    lite = logging.getLogger("milvus_lite.server_manager")
    lite.setLevel(logging.ERROR)
    lite.propagate = False
    if _lite_failure not in lite.handlers:
        lite.addHandler(_lite_failure)
    return pymilvus


class _Pooled:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.users = 0


_pool: dict[tuple[str, str], _Pooled] = {}
_pool_lock = threading.Lock()


class Connection:
    """A handle on the pooled client for one URI; ``close`` lets go of it."""

    def __init__(self, config: MilvusConfig) -> None:
        self.config = config
        self.uri = config.uri
        self._key = (os.path.abspath(config.uri) if config.lite else config.uri, config.token)
        self._closed = False
        with _pool_lock:
            pooled = _pool.get(self._key)
            if pooled is None:
                pooled = _Pooled(self._connect())
                _pool[self._key] = pooled
            pooled.users += 1
        self._pooled = pooled

    @property
    def client(self) -> Any:
        return self._pooled.client

    def _reconnect(self) -> None:
        """A new channel after the connection dropped (pymilvus's own recovery can stay stuck on the old one)."""
        old = self._pooled.client
        self._pooled.client = self._connect()
        try:
            old.close()
        except Exception:
            log.debug("closing the dropped Milvus client failed", exc_info=True)

    def _connect(self) -> Any:
        pymilvus = _pymilvus()
        if self.config.lite:
            folder = os.path.dirname(os.path.abspath(self.uri))
            try:
                os.makedirs(folder, exist_ok=True)
            except OSError as exc:
                raise IndexStoreError(f"cannot create the Milvus Lite folder {folder}: {exc.strerror}") from None
        _lite_failure.take()
        try:
            # dedicated: a channel of its own, which _reconnect can replace
            return pymilvus.MilvusClient(uri=self.uri, token=self.config.token, timeout=TIMEOUT, dedicated=True)
        except Exception as exc:  # noqa: BLE001 - pymilvus raises several kinds; each is reported the same way
            if self.config.lite:
                raise self._lite_error(exc, _lite_failure.take()) from None
            raise self.error(exc, "cannot connect to") from None

    def _lite_error(self, exc: BaseException, cause: BaseException | None) -> IndexStoreError:
        """Another process's lock says so and how to share; a folder that cannot be opened says why instead."""
        if isinstance(cause, OSError):
            why = cause.strerror or self.reason(cause)
            if isinstance(cause, (FileExistsError, NotADirectoryError)):
                why += " (Milvus Lite keeps a folder there, and this is a file: another name, or remove it)"
            return IndexStoreError(f"cannot open the Milvus Lite database {self.uri}: {why}")
        return IndexStoreError(
            f"cannot open the Milvus Lite database {self.uri} ({self.reason(cause or exc)}); Milvus Lite serves one "
            "process at a time: for several, run a Milvus server (docs/scale.md)"
        )

    def reason(self, exc: BaseException) -> str:
        """What went wrong, in one line, with the token taken out should a message repeat it."""
        message = getattr(exc, "message", None) or first_line(exc) or type(exc).__name__
        message = first_line(str(message))
        token = self.config.token
        if token:
            message = message.replace(token, "***")
            for part in token.split(":"):
                if len(part) >= 4:
                    message = message.replace(part, "***")
        return message

    def error(self, exc: BaseException, doing: str = "error from") -> IndexStoreError:
        reason = self.reason(exc)
        if self.config.lite and _BAD_JSON.search(reason):
            # Milvus Lite keeps its catalogue in JSON files, and passes on the parser's words alone
            # ("Expecting value: line 1 column 1 (char 0)"), which do not say that its folder is damaged.
            return IndexStoreError(
                f"the Milvus Lite database {self.uri} is damaged ({reason}): restore it, or remove it (the document "
                "API's documents go with it) and run qabot index"
            )
        return IndexStoreError(f"{doing} Milvus at {self.uri}: {reason}")

    def call(self, method: str, *args: Any, retry: bool = True, missing_ok: bool = False, **kwargs: Any) -> Any:
        """``client.<method>(*args, **kwargs)``; a dropped connection is retried once, then reported.

        With ``missing_ok``, a collection or alias that does not exist gives None instead of an error.
        """
        func: Callable[..., Any] = getattr(self.client, method)
        kwargs.setdefault("timeout", TIMEOUT)
        retried = reloaded = False
        while True:
            try:
                return func(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - MilvusException, grpc.RpcError, ...
                if retry and not retried and transient(exc):
                    log.info("Milvus at %s: %s; retrying once", self.uri, self.reason(exc))
                    retried = True
                    pause(BACKOFF)
                    if not self.config.lite:
                        try:
                            self._reconnect()
                        except IndexStoreError:
                            raise self.error(exc) from None
                    func = getattr(self.client, method)
                    continue
                if args and not reloaded and released(exc):
                    # A server that restarted (Milvus Lite's does) has the collection on disk, not loaded.
                    reloaded = True
                    self._load(args[0])
                    continue
                if missing_ok and missing(exc):
                    return None
                raise self.error(exc) from None

    def _load(self, collection: str) -> None:
        """Load ``collection`` and wait (up to ``TIMEOUT``) until it is loaded."""
        self.call("load_collection", collection, retry=False)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            state = self.call("get_load_state", collection, retry=False)
            if "loaded" in str(state.get("state", "")).lower().replace("notload", ""):
                return
            time.sleep(0.1)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with _pool_lock:
            pooled = _pool.get(self._key)
            if pooled is None:
                return
            pooled.users -= 1
            if pooled.users > 0:
                return
            del _pool[self._key]
        try:
            pooled.client.close()
        except Exception:
            log.debug("closing the Milvus client failed", exc_info=True)
        if self.config.lite:
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(self.uri)


def pause(seconds: float) -> None:
    """The wait before the retry (a function of its own, so that a test can restart a server in it)."""
    time.sleep(seconds)


def transient(exc: BaseException) -> bool:
    """Whether ``exc`` looks like a failure of the connection (worth one retry), not of the request."""
    text = str(getattr(exc, "message", "") or exc).lower()
    return any(marker in text for marker in _TRANSIENT)


def missing(exc: BaseException) -> bool:
    """Whether ``exc`` says that a collection or alias does not exist."""
    text = str(getattr(exc, "message", "") or exc).lower()
    return "not exist" in text or "not found" in text or "can't find" in text


def released(exc: BaseException) -> bool:
    """Whether ``exc`` says that the collection is not loaded."""
    text = str(getattr(exc, "message", "") or exc).lower()
    return "released" in text or "not loaded" in text or "'loading'" in text
