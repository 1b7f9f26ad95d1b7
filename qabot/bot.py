"""``QABot``: the facade every front-end calls.

    from qabot import QABot
    bot = QABot.from_settings()                 # QABOT_* env and .env; keyword overrides win
    answer = bot.ask("Who killed Trotsky?", k=5)
    answer.excerpts[0].highlight, answer.excerpts[0].citation.location

``from_settings`` checks the index against the corpus and builds it when it is
missing, stale or corrupt (with a progress bar), so the first question always runs
against an index that matches the documents. With ``watch=True`` (the default of
``qabot repl`` and ``qabot discord``) it also watches the corpus folder: an edit is
rebuilt incrementally in the background and swapped in atomically, so questions in
flight finish on the old index and new ones see the new one.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Self

from qabot import embedding
from qabot.embedding import Embedder
from qabot.errors import QABotError
from qabot.index import MANIFEST, Manifest, SearchEngine, leases
from qabot.index.scope import Scope
from qabot.index.stores import open_store, read_only, serving_build
from qabot.live import Poller, Serving, Watcher
from qabot.models import Answer, Excerpt, PassageContext, RankedDocument, SourceInfo
from qabot.search import RetrievalConfig, Retriever
from qabot.settings import Settings, load_settings

log = logging.getLogger(__name__)

Notify = Callable[[str], None]


class QABot:
    """Answers questions about a corpus with cited excerpts. Safe to call from several threads."""

    def __init__(self, settings: Settings, index: SearchEngine, embedder: Embedder, *,
                 notify: Notify | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self._config = RetrievalConfig.from_settings(settings)
        self.notify: Notify = notify or log.info  # hears what happens to the index while the bot runs
        self._lock = threading.Lock()
        self._refreshing = threading.Lock()
        self._closed = False
        self._serving = Serving(index, Retriever(index, embedder, self._config))
        self._watcher: Watcher | Poller | None = None
        self.rebuilds = 0  # new builds swapped in since this bot started (the metrics show it)

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        rebuild: bool = False,
        progress: bool = True,
        notify: Notify | None = None,
        embedder: Embedder | None = None,
        watch: bool | None = None,
        **overrides: Any,
    ) -> QABot:
        """Load settings (overrides > environment > .env > defaults), then load or build the index.

        ``embedder`` replaces the one the settings describe (tests and benchmarks inject
        one). ``watch`` (default: the ``QABOT_WATCH`` setting, off when unset) keeps the
        index in step with the corpus folder while the bot runs; ``notify`` hears what
        happens to the index (a rebuild, why it happened, a rebuild that failed).
        """
        if settings is None:
            settings = load_settings(**overrides)
        elif overrides:
            settings = load_settings(_env_file=None, **{**settings.model_dump(), **overrides})
        embedder = embedder or embedding.make_embedder(settings)
        index = open_store(settings, embedder, rebuild=rebuild, progress=progress, notify=notify)
        bot = cls(settings, index, embedder, notify=notify)
        if watch if watch is not None else bool(settings.watch):
            bot.watch()
        return bot

    # -- questions ----------------------------------------------------------------------

    def ask(
        self,
        question: str,
        k: int | None = None,
        history: Sequence[str] | str | None = None,
        sources: Sequence[str] | str | None = None,
    ) -> Answer:
        """The best ``k`` excerpts for ``question``; ``history`` holds earlier questions of the conversation.

        ``sources`` keeps the answer to part of the corpus: file or folder names, or glob
        patterns, over citation sources (``"guides/"``, ``"*.pdf"``; see ``qabot.index.scope``).
        Raises ``QuestionError`` for a question that is not text, is empty or too long, for
        a bad ``k``, for a ``history`` that is not text (one string is one earlier question)
        and for ``sources`` that are not patterns.
        """
        scope = Scope.of(sources)
        with self._using() as serving:
            return serving.retriever.ask(question, k=self.settings.top_k if k is None else k, history=history,
                                         scope=scope)

    def rank_documents(self, question: str, n: int = 100, sources: Sequence[str] | str | None = None
                       ) -> list[RankedDocument]:
        """The ``n`` documents whose passages best match ``question``, best first: (doc_id, score) pairs."""
        scope = Scope.of(sources)
        with self._using() as serving:
            return serving.retriever.rank_documents(question, n, scope=scope)

    # -- browsing -----------------------------------------------------------------------

    def sources(self, sources: Sequence[str] | str | None = None) -> list[SourceInfo]:
        """The indexed corpus files (those ``sources`` patterns name), with their documents and passages."""
        scope = Scope.of(sources)
        with self._using() as serving:
            return serving.engine.sources(scope)

    def context(self, excerpt: Excerpt, neighbours: int = 1) -> PassageContext:
        """The whole paragraph an excerpt comes from, with ``neighbours`` paragraphs either side."""
        if not isinstance(excerpt, Excerpt):
            raise QABotError(f"context() takes an Excerpt from an answer, not {type(excerpt).__name__}")
        if not isinstance(neighbours, int) or isinstance(neighbours, bool) or neighbours < 0:
            raise QABotError(f"neighbours must be a whole number of at least 0, not {neighbours!r}")
        with self._using() as serving:
            return _context(serving.engine, excerpt, neighbours)

    @property
    def index(self) -> SearchEngine:
        """The index questions are answered from now."""
        return self._serving.engine

    @property
    def manifest(self) -> Manifest:
        return self._serving.engine.manifest

    # -- staying in step with the corpus ------------------------------------------------

    def watch(self) -> None:
        """Watch the corpus folder from now on: edits are rebuilt and swapped in, in the background.

        A read-only Milvus replica has no corpus to watch: it polls the collection instead,
        and swaps in each new version the indexing job commits.
        """
        with self._lock:
            if self._closed:
                raise QABotError("this QABot is closed; make a new one with QABot.from_settings()")
            if self._watcher is not None:
                return
            if read_only(self.settings):  # a replica: no corpus here; follow what the indexing job commits
                probe = lambda: serving_build(self.settings)
                self._watcher = Poller(self.settings.milvus_poll_seconds, probe, self.manifest.build, self._polled)
            else:
                self._watcher = Watcher(self.settings.corpus_dir, self.settings.index_dir, self._changed)
            self._watcher.start()

    def _polled(self, build: str | None) -> None:
        if build is not None and build != self.manifest.build:
            self.refresh()

    def _changed(self, paths: set[Path]) -> None:
        manifest = self.settings.index_dir.resolve() / MANIFEST
        if paths == {manifest} and leases.current_build(self.settings.index_dir) == self.manifest.build:
            return  # the manifest of the build already in use (this process committed it)
        log.debug("changes in %s", ", ".join(sorted(p.name for p in paths)))
        self.refresh()

    def refresh(self, progress: Callable[[int, int], None] | None = None) -> bool:
        """Bring the index in step with the corpus now; True when a new build was swapped in.

        Only changed passages are embedded again. If the rebuild fails, the index in use
        keeps serving and ``notify`` hears why. ``progress`` hears ``(characters done,
        characters in all)`` while a rebuild reads the corpus.
        """
        with self._refreshing:
            if self._closed:
                return False
            current = self.manifest
            fresh = open_store(self.settings, self.embedder, progress=progress or False, notify=self.notify,
                               warn=self.notify)
            if fresh.manifest.build == current.build:
                fresh.close()
                return False
            self._swap(fresh)
        m = fresh.manifest
        self.notify(f"index refreshed: {m.indexed_files} file(s), {m.passages} passages "
                     f"({m.embedded} embedded again, in {m.seconds:.1f} s)")
        return True

    def _swap(self, engine: SearchEngine) -> None:
        """Serve ``engine`` from now on; the old index closes when its last question ends."""
        with self._lock:
            if self._closed:
                engine.close()
                return
            old, self._serving = self._serving, Serving(engine, Retriever(engine, self.embedder, self._config))
            self.rebuilds += 1
            old.retired = True
            idle = old.close_if_idle()
        if idle:
            old.engine.close()

    @contextlib.contextmanager
    def _using(self) -> Iterator[Serving]:
        with self._lock:
            if self._closed:
                raise QABotError("this QABot is closed; make a new one with QABot.from_settings()")
            serving = self._serving
            serving.users += 1
        try:
            yield serving
        finally:
            with self._lock:
                serving.users -= 1
                idle = serving.close_if_idle()
            if idle:
                serving.engine.close()

    def close(self) -> None:
        """Stop watching and close the index (once the questions in flight have finished)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()
        with self._refreshing, self._lock:
            self._serving.retired = True
            idle = self._serving.close_if_idle()
        if idle:
            self._serving.engine.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _context(engine: SearchEngine, excerpt: Excerpt, neighbours: int) -> PassageContext:
    passage = engine.passages([excerpt.passage_id]).get(excerpt.passage_id)
    if passage is None or (passage.source, passage.doc_id) != (excerpt.citation.source, excerpt.citation.doc_id):
        raise QABotError("the passage of this excerpt is not in the current index (it may have changed since)")
    paragraphs = [p for p in engine.paragraphs(passage.doc) if not p.duplicate]
    # The paragraph that holds the highlight: an excerpt may reach across paragraph edges.
    anchor = excerpt.citation.start + excerpt.highlight_start
    position = next((i for i, p in enumerate(paragraphs) if p.start <= anchor < p.end + 1 and not p.heading), None)
    if position is None:
        raise QABotError(f"the paragraph of passage {excerpt.passage_id} is not in the index")
    para = paragraphs[position]
    before = paragraphs[max(0, position - neighbours) : position]
    after = paragraphs[position + 1 : position + 1 + neighbours]
    return PassageContext(
        citation=excerpt.citation.model_copy(update={"start": para.start, "end": para.end}),
        before=[engine.text(passage.doc, p.start, p.end) for p in before],
        paragraph=engine.text(passage.doc, para.start, para.end),
        after=[engine.text(passage.doc, p.start, p.end) for p in after],
    )
