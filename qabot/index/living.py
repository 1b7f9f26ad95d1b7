"""``LivingIndex``: the one place where an index changes, for both engines.

It owns the whole life of an index, whatever engine holds it (``qabot.index.changes.Engine``):

- **load and freshness**: ``open`` serves the committed state after bringing it in step with the corpus folder; a
  missing, damaged or outdated index (another model, chunking, format or index type) is built anew;
- **changes**: ``refresh`` applies what changed in the corpus folder, ``upsert``, ``delete`` and ``change`` (both
  at once) what a caller gives (the document API: a Discord channel's messages). Documents are the unit: one changed
  document is read, chunked, embedded and written, nothing else. One writer at a time (``Engine.lock``), and every
  change is one atomic commit: a question sees the state before it or after it, never half of it. A change (or a
  close) asked for from within one (a ``notify`` callback's) is refused, not deadlocked (``locks``);
- **fallback**: when a change fails (a full disk, a read-only folder), the state in service keeps serving, and
  ``notify`` hears why; ``Refresh`` says what happened;
- **swap and leases**: each question holds the state it started on (``using``); a new state is swapped in at once,
  and the old one is closed when its last question ends; the engine keeps what a reader holds from deletion;
- **watch**: ``watch`` follows the corpus folder (``qabot.index.watch``); a replica of a shared index polls its writer;
- **maintenance**: after a commit, the engine may merge segments in the background (``maintain``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qabot.embedding import Embedder
from qabot.errors import CorpusError, CorruptIndexError, IndexStoreError, QABotError
from qabot.index.changes import Engine, Outcome, Refresh, not_emptied, scan, unwritable
from qabot.index.documents import Apply, Given, apply_documents, change_documents, checked, strings
from qabot.index.engine import SearchEngine, forget_read
from qabot.index.ingest import Progress
from qabot.index.locks import Busy, ChangeLock, Notify
from qabot.index.manifest import BuildConfig, Manifest, stale_reason
from qabot.index.update import CorpusUpdate, in_step
from qabot.index.watch import Poller, Watcher
from qabot.models import Document

if TYPE_CHECKING:
    from qabot.settings import Settings

log = logging.getLogger(__name__)
_CLOSED = "this index is closed; make a new one with QABot.from_settings()"


@dataclass
class _Serving:
    """One state in service, with the questions in flight on it."""

    engine: SearchEngine
    users: int = 0
    retired: bool = False
    closed: bool = field(default=False, init=False)

    def close_if_idle(self) -> bool:
        if done := self.retired and self.users == 0 and not self.closed:
            self.closed = True
        return done


class LivingIndex:
    """An index in service that follows its sources: see the module docstring."""

    def __init__(self, engine: Engine, config: BuildConfig, embedder: Embedder, *, notify: Notify | None = None,
                 warn: Notify | None = None, poll_seconds: float = 5.0) -> None:
        self.engine = engine
        self.config = config
        self.embedder = embedder
        self.notify: Notify = notify or log.info
        self.warn: Notify | None = warn
        self.poll_seconds = poll_seconds
        self.updates = 0  # new states swapped in since it opened
        self._serving: _Serving | None = None
        self._state = threading.Lock()  # guards _serving and _closed
        self._write = ChangeLock()  # one change at a time in this process (the engine locks across processes)
        self._closed = self._times_only = False  # _times_only: the refresh under way committed new times alone
        self._watcher: Watcher | Poller | None = None
        self._maintainer: threading.Thread | None = None
        self.last: Refresh | None = None  # what the last change did

    # -- opening ----------------------------------------------------------------------------

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder, *, rebuild: bool = False, progress: Progress = True,
             notify: Notify | None = None, warn: Notify | None = None, fallback: bool = True) -> LivingIndex:
        """The index of ``settings`` in its engine, brought in step with its corpus first (see ``open_engine``)."""
        from qabot.index.stores import make_engine

        config = BuildConfig.from_settings(settings)
        return cls.open_engine(make_engine(settings, config, embedder.name, take_over=rebuild), config, embedder,
                               rebuild=rebuild, progress=progress, notify=notify, warn=warn, fallback=fallback,
                               poll_seconds=settings.milvus_poll_seconds)

    @classmethod
    def open_engine(cls, engine: Engine, config: BuildConfig, embedder: Embedder, *, rebuild: bool = False,
                    progress: Progress = True, notify: Notify | None = None, warn: Notify | None = None,
                    fallback: bool = True, poll_seconds: float = 5.0) -> LivingIndex:
        """Serve ``engine``'s committed state after bringing it in step with the corpus (built when missing or outdated).

        When that fails and ``fallback`` is on, the committed state serves if it was built with
        this model, and ``notify`` says why; otherwise the error is raised. Another process writing the index is such
        a failure at once, unless this is a rebuild, ``fallback`` is off (``qabot index``) or nothing can serve.
        """
        living = cls(engine, config, embedder, notify=notify or log.warning, warn=warn, poll_seconds=poll_seconds)
        try:
            if engine.read_only:
                if rebuild:
                    with engine.lock():  # refused, in the engine's own words
                        pass
                living._serve(engine.open())
            else:
                try:
                    result = living.refresh(progress=progress, rebuild=rebuild, fallback=fallback, opening=True,
                                            wait=rebuild or not fallback)
                except Busy as busy:
                    try:  # the last good index answers while another process writes (a watch catches up later)
                        result = living._failed(busy, time.perf_counter(), fallback)
                    except Busy:  # there is none to serve: wait for what the other process writes
                        result = living.refresh(progress=progress, rebuild=rebuild, fallback=fallback, opening=True)
                if result.outcome is Outcome.FAILED and living._serving is None:
                    raise IndexStoreError(result.reason)
        except BaseException:
            living.close()
            raise
        living.notify = notify or log.info  # what happens later is news, not a warning
        return living

    # -- serving ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def using(self) -> Iterator[SearchEngine]:
        """The state in service, held until the block ends (a swap meanwhile does not close it)."""
        with self._state:
            if self._closed or self._serving is None:
                raise QABotError(_CLOSED)
            serving = self._serving
            serving.users += 1
        try:
            yield serving.engine
        finally:
            with self._state:
                serving.users -= 1
                idle = serving.close_if_idle()
            if idle:
                serving.engine.close()

    def _check_open(self) -> None:
        """A closed index is not changed any more: what it would write, nobody would serve."""
        if self._closed:
            raise QABotError(_CLOSED)

    @contextlib.contextmanager
    def _changing(self) -> Iterator[None]:
        """One change at a time in this process; one that waited for it while the index was closed is refused, and
        one asked for by the thread making a change (a ``notify`` or ``warn`` callback's) is (``ChangeLock``)."""
        with self._write.held():
            self._check_open()
            yield

    @property
    def current(self) -> SearchEngine:
        serving = self._serving
        if serving is None or self._closed:  # a closed state fails at its first use, deep in its engine
            raise QABotError(_CLOSED)
        return serving.engine

    @property
    def manifest(self) -> Manifest:
        """The manifest of the state in service (once closed, of the last one: what it was stays readable)."""
        serving = self._serving
        if serving is None:
            raise QABotError(_CLOSED)
        return serving.engine.manifest  # type: ignore[attr-defined]

    def _serve(self, engine: SearchEngine) -> None:
        with self._state:
            if self._closed:
                engine.close()
                return
            old, self._serving = self._serving, _Serving(engine)
            if old is not None:
                self.updates += 1
        if old is not None:
            forget_read()  # what the search keeps of the old state's text goes with it
        self._retire(old)

    def _retire(self, serving: _Serving | None) -> None:
        """Close ``serving`` now if no question is on it, else when the last one ends (``using``)."""
        if serving is None:
            return
        with self._state:
            serving.retired = True
            idle = serving.close_if_idle()
        if idle:
            serving.engine.close()

    # -- changing ---------------------------------------------------------------------------

    def refresh(self, progress: Progress = False, *, rebuild: bool = False, fallback: bool = True,
                opening: bool = False, wait: bool = True) -> Refresh:
        """Bring the index in step with the corpus folder now (see ``Refresh``); a replica serves what was committed last.
        Without ``wait``, another process writing the index raises ``Busy`` at once, and nothing changes."""
        self._check_open()
        started, locked = time.perf_counter(), False  # locked: a failure before it is no change of this process's
        if self.engine.read_only and self._serving is not None:
            return self._follow()
        with self._changing():
            try:
                with self.engine.lock(wait=wait):
                    locked, self._times_only = True, False
                    result = self._refresh(progress, rebuild, opening, explicit=not fallback)
                    if result.outcome is Outcome.UPDATED or self._stale():
                        if result.outcome is Outcome.UNCHANGED and self._serving is not None and not self._times_only:
                            result = Refresh(outcome=Outcome.UPDATED, reason="another process changed the index")
                        self._serve(self._open_or_rebuild(progress))
            except Busy:
                raise
            except (QABotError, OSError) as exc:
                if not rebuild and (current := self._already_current(started, follow=not locked)) is not None:
                    return current
                return self._failed(exc, started, fallback)
        result.seconds = round(time.perf_counter() - started, 3)
        self.last = result
        if result.updated:
            self._after_commit(result)
        return result

    def _already_current(self, started: float, *, follow: bool) -> Refresh | None:
        """After a refresh failed (a read-only index folder, whose write lock cannot even be taken): if the committed
        state is the corpus as it is now (read without the lock: a commit replaces the manifest whole), it serves
        it (``follow``, the lock never taken: another process's commit, as a reader that cannot write follows its
        writer; else this change's, its reply lost: the failure is said, the next refresh serves it); else None."""
        try:
            followed = self._serving is not None and self._stale()
            if not in_step(self.engine, self.config, self.embedder.name) or (followed and not follow):
                return None
            if self._serving is None or followed:
                self._serve(self.engine.open())
        except (QABotError, OSError):
            return None
        self.last = Refresh(outcome=Outcome.UPDATED if followed else Outcome.UNCHANGED, seconds=round(
            time.perf_counter() - started, 3), reason="another process changed the index" if followed else "nothing changed")
        return self.last

    def _stale(self) -> bool:
        """Whether the state in service is not the committed one (another process changed it)."""
        serving = self._serving
        if serving is None:
            return True
        try:
            committed = self.engine.committed()
        except IndexStoreError:  # damaged or unreadable: the refresh that follows says which
            return True
        return committed is None or committed.build != self.manifest.build

    def _open_or_rebuild(self, progress: Progress) -> SearchEngine:
        try:
            return self.engine.open()
        except CorruptIndexError as exc:
            self.notify(f"rebuilding the index: {exc}")
            try:
                previous = self.engine.committed()  # whose document-API documents the rebuild reads back
            except CorruptIndexError:
                previous = self.engine.salvage()
            self._update().apply(None, scan(self.config, None), progress, "the index is damaged", previous=previous)
            return self.engine.open()

    def _refresh(self, progress: Progress, rebuild: bool, opening: bool, explicit: bool) -> Refresh:
        try:
            base = previous = self.engine.committed()
        except CorruptIndexError as exc:  # the rebuild reads the document API's documents back from its copy
            base, previous, damaged = None, self.engine.salvage(), str(exc)
        else:
            damaged = ""
        if rebuild:
            reason = "a rebuild was asked for"
        elif base is None:
            reason = damaged or "no index yet"
        else:
            reason = stale_reason(base, self.config, self.embedder.name) or self.engine.stale(base) or self._damaged()
        if reason:
            if base is not None and not rebuild and not explicit:  # a rebuild no one asked for (a new format)
                not_emptied(self.config, base)
            if base is not None or damaged:
                _ = self.embedder.dimension  # the model loads (once, kept) before a rebuild is said: a typo fails here
                self.notify(f"rebuilding the index: {reason}")
            return self._update().apply(None, scan(self.config, None), progress, reason, previous=previous)
        assert base is not None
        found = scan(self.config, base)
        if not explicit and (why := found.emptying(self.config, base, opening=opening)):
            raise CorpusError(why)  # a corpus folder suddenly empty: only qabot index (no fallback) takes it as it is
        if not found.changed and not found.removed:  # at most new times for the same contents: record them
            if found.touched:
                self._update().record(base, found)
                # Its own commit (a Milvus build's next version), not another process's, if it served that base
                self._times_only = self._serving is not None and base.build == self.manifest.build
            return Refresh(outcome=Outcome.UNCHANGED, reason="nothing changed")
        if opening:
            self.notify(f"updating the index: {found.describe(base)}")
        return self._update().apply(base, found, progress, found.describe(base))

    def _update(self) -> CorpusUpdate:
        return CorpusUpdate(self.engine, self.config, self.embedder, lambda m: (self.warn or self.notify)(m), self.notify)

    def _damaged(self) -> str:
        """Why the committed state cannot be opened ("": it can), checked before the first change is applied."""
        if self._serving is not None:
            return ""
        try:
            self.engine.open().close()
        except CorruptIndexError as exc:
            return str(exc)
        return ""

    def _failed(self, exc: QABotError | OSError, started: float, fallback: bool) -> Refresh:
        error = exc if isinstance(exc, QABotError) else IndexStoreError(unwritable(self.engine, exc))
        if self._serving is None and fallback:
            try:
                previous = self.engine.open()
            except (QABotError, OSError):
                previous = None
            if previous is not None and previous.manifest.model != self.embedder.name:
                previous.close()
                previous = None
            if previous is not None:
                self._serve(previous)
        if self._serving is None or not fallback:
            raise error from exc
        self.notify(f"could not update the index ({error}); the last good index keeps serving "
                   f"(built {self.manifest.built_at})")
        return Refresh(outcome=Outcome.FAILED, reason=str(error), seconds=round(time.perf_counter() - started, 3))

    def _after_commit(self, result: Refresh) -> None:
        """Background maintenance (merging segments) once a change is in service, when it is due."""
        if (self._maintainer is not None and self._maintainer.is_alive()) or not self.engine.wants_maintenance(
                self.manifest):
            return
        self._maintainer = threading.Thread(target=self.maintain, name="qabot-maintain", daemon=True)
        self._maintainer.start()

    def maintain(self, purge: bool = False) -> bool:
        """Merge segments if due (a failure is logged), or ``purge``: rewrite those holding deleted documents' text
        (``Engine.purge``), raising ``IndexStoreError`` where it cannot: what was deleted is still in the files."""
        try:
            with self._changing() if purge else self._write.held():
                if not self._closed and (self.engine.purge() if purge else self.engine.maintain()):
                    self._serve(self.engine.open())
                    return True
        except (QABotError, OSError) as exc:
            if purge:  # its caller owes it still (a member forgotten: ``History``), and must know
                raise IndexStoreError(unwritable(self.engine, exc) if isinstance(exc, OSError) else str(exc)) from exc
            log.warning("merging index segments failed (%s); the index serves as it is", exc)
        return False

    # -- the document API -------------------------------------------------------------------

    def upsert(self, documents: Iterable[Document]) -> Refresh:
        """Add documents, or replace those with the same source and id; durable and atomic."""
        return self.change(documents)

    def delete(self, doc_ids: Iterable[str] = (), *, sources: Iterable[str] = ()) -> Refresh:
        """Delete documents added through the document API: by id (in any source), and every one of ``sources``."""
        return self.change(delete=doc_ids, delete_sources=sources)

    def change(self, upsert: Iterable[Document] = (), *, delete: Iterable[str] = (),
               delete_sources: Iterable[str] = (), skip_bad: bool = False) -> Refresh:
        """``delete`` and ``delete_sources`` deleted, then ``upsert`` added, in one commit: a question sees the index
        before or after all of it (a message moving from one document to another is never missing). ``skip_bad``:
        a document refused is left out (see ``qabot.index.documents``), not the change."""
        self._check_open()
        given, ids, names = checked(upsert, skip=skip_bad), strings(delete, "doc_ids"), strings(delete_sources, "sources")
        what = ("change" if ids or names else "upsert") if given.documents or given.refused else \
            "delete" if ids or names else "upsert"
        return self._change(lambda tx, ingest, files: change_documents(tx, ingest, given, ids, names, files), what,
                            given)

    def _change(self, apply: Apply, what: str, given: Given) -> Refresh:
        started = time.perf_counter()
        try:
            with self._changing(), self.engine.lock():
                result = apply_documents(self.engine, self.config, self.embedder, apply, what, given)
                if result.updated or self._stale():  # or committed since (a change interrupted once it was made)
                    self._serve(self.engine.open())
        except OSError as exc:
            raise IndexStoreError(f"{unwritable(self.engine, exc)}; nothing of this {what} was applied") from exc
        result.seconds = round(time.perf_counter() - started, 3)
        if result.updated:
            self._after_commit(result)
        return result

    # -- watching ---------------------------------------------------------------------------

    def watch(self, on_change: Callable[[Refresh], None] | None = None) -> None:
        """Follow the corpus folder from now on (a replica: what its writer commits), in the background.

        Returns once armed; the corpus is then compared with the index once, so that an edit made while the index
        was opening is not missed. ``on_change`` hears each update the watching made."""
        with self._state:
            self._check_open()
            if self._watcher is not None:
                return
            hear = on_change or (lambda _result: None)
            if self.engine.read_only:
                self._watcher = Poller(self.poll_seconds, lambda: getattr(self.engine.committed(), "build", None),
                                       self.manifest.build, lambda _build: hear(self._follow()))
            else:
                self._watcher = Watcher(self.config, lambda paths: self._changed(paths, hear),
                                        on_armed=lambda: hear(self.refresh(wait=False)))
            watcher = self._watcher
        watcher.start()
        watcher.armed.wait(timeout=30)

    def _follow(self) -> Refresh:
        """A replica: serve the state its writer committed last."""
        with self._changing():
            if not self._stale():
                return Refresh(outcome=Outcome.UNCHANGED, reason="already the version committed last")
            self._serve(self.engine.open())
            return Refresh(outcome=Outcome.UPDATED, reason="a new version was committed")

    def _changed(self, paths: set[Path], hear: Callable[[Refresh], None]) -> None:
        if paths == {self.config.index_dir.resolve() / "manifest.json"} and not self._stale():
            return  # the manifest of the state already in service (this process committed it)
        log.debug("changes in %s", ", ".join(sorted(p.name for p in paths)) or "the corpus folder (polled)")
        if self._closed:  # closed while the change was on its way: nobody to serve it to
            return
        with contextlib.suppress(QABotError, OSError):  # a poll (no paths) of a corpus as indexed takes no write lock
            if not paths and not self._stale() and in_step(self.engine, self.config, self.embedder.name):
                return
        hear(self.refresh(wait=False))  # another process writing: Busy, and the watcher tries again (stop-aware)

    def close(self) -> None:
        """Stop watching, and close the index once the questions in flight have finished."""
        with self._state:
            if self._closed:
                return
            self._write.refuse_here("closed")  # half of it done, the rest never: refused before anything is done
            self._closed = True
            watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()
        if self._maintainer is not None:
            self._maintainer.join()  # a merge under way commits, or fails, before the engine closes
        with self._write.held():
            self._retire(self._serving)
        self.engine.close()
