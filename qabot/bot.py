"""``QABot``: the facade every front-end calls.

    from qabot import QABot
    bot = QABot.from_settings()                 # QABOT_* env and .env; keyword overrides win
    answer = bot.ask("Who killed Trotsky?", k=5)
    answer.excerpts[0].highlight, answer.excerpts[0].citation.location

``from_settings`` opens the index through its lifecycle (``qabot.index.LivingIndex``):
a missing, stale or damaged index is brought in step with the corpus first (with a
progress bar), so the first question always runs against an index that matches the
documents. With ``watch=True`` (the default of ``qabot repl`` and ``qabot discord``) the
corpus folder is followed: an edit is applied in the background, costing what it
changes, and swapped in atomically, so questions in flight finish on the state they
began on and new ones see the new one. ``upsert`` and ``delete`` change the index from
sources that are not files (a Discord channel's messages).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Self

from pydantic import ValidationError

from qabot import embedding
from qabot.embedding import Embedder
from qabot.errors import ModelError, QABotError, SettingsError
from qabot.index import LivingIndex, Manifest, Refresh, SearchEngine
from qabot.index.scope import Scope
from qabot.models import (
    Answer,
    Document,
    Excerpt,
    PassageContext,
    RankedDocument,
    SourceInfo,
    first_problem,
    validated_again,
)
from qabot.search import RetrievalConfig, Retriever
from qabot.settings import Settings, load_settings

log = logging.getLogger(__name__)

Notify = Callable[[str], None]


class QABot:
    """Answers questions about a corpus with cited excerpts. Safe to call from several threads."""

    def __init__(self, settings: Settings, index: LivingIndex, embedder: Embedder) -> None:
        if not isinstance(settings, Settings) or not isinstance(index, LivingIndex):  # not an AttributeError from deep in
            raise SettingsError(f"QABot(settings, index, embedder) takes a qabot.Settings and an open index, not "
                                f"{type(settings).__name__} and {type(index).__name__}: use QABot.from_settings(...)")
        self.settings = settings
        self.embedder = embedder
        self._config = RetrievalConfig.from_settings(settings)
        self.living = index

    @property
    def notify(self) -> Notify:
        """Hears what happens to the index while the bot runs (a change, why, a change that failed)."""
        return self.living.notify

    @notify.setter
    def notify(self, value: Notify) -> None:
        self.living.notify = value

    @property
    def rebuilds(self) -> int:
        """New states of the index swapped in since this bot started (the metrics show it)."""
        return self.living.updates

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
        """Load settings (overrides > environment > .env > defaults), then open the index, built first when needed.

        ``embedder`` replaces the one the settings describe (tests and benchmarks inject
        one). ``watch`` (default: the ``QABOT_WATCH`` setting, off when unset) keeps the
        index in step with the corpus folder while the bot runs; ``notify`` hears what
        happens to the index (a change, why it happened, a change that failed).
        """
        if settings is not None and not isinstance(settings, Settings):
            raise SettingsError(f"settings must be a qabot.Settings (from qabot.load_settings), not "
                                f"{type(settings).__name__}")
        if embedder is not None and not callable(getattr(embedder, "embed_with_spans", None)):
            raise ModelError(f"embedder must be a qabot.embedding.Embedder, not {type(embedder).__name__}")
        if settings is None:
            settings = load_settings(**overrides)
        elif overrides:
            settings = load_settings(_env_file=None, **{**settings.model_dump(), **overrides})
        embedder = embedder or embedding.make_embedder(settings)
        index = LivingIndex.open(settings, embedder, rebuild=rebuild, progress=progress, notify=notify)
        bot = cls(settings, index, embedder)
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
        a bad ``k``, for a ``history`` that is not text (one string is one earlier question) or too long
        and for ``sources`` that are not patterns.
        """
        scope = Scope.of(sources)
        with self.living.using() as engine:
            return self._retriever(engine).ask(question, k=self.settings.top_k if k is None else k, history=history,
                                               scope=scope)

    def rank_documents(self, question: str, n: int = 100, sources: Sequence[str] | str | None = None
                       ) -> list[RankedDocument]:
        """The ``n`` documents whose passages best match ``question``, best first: (doc_id, score) pairs."""
        scope = Scope.of(sources)
        with self.living.using() as engine:
            return self._retriever(engine).rank_documents(question, n, scope=scope)

    def _retriever(self, engine: SearchEngine) -> Retriever:
        return Retriever(engine, self.embedder, self._config)

    # -- browsing -----------------------------------------------------------------------

    def sources(self, sources: Sequence[str] | str | None = None) -> list[SourceInfo]:
        """The indexed corpus files (those ``sources`` patterns name), with their documents and passages."""
        scope = Scope.of(sources)
        with self.living.using() as engine:
            return engine.sources(scope)

    def context(self, excerpt: Excerpt, neighbours: int = 1) -> PassageContext:
        """The whole paragraph an excerpt comes from, with ``neighbours`` paragraphs either side."""
        if not isinstance(excerpt, Excerpt):
            raise QABotError(f"context() takes an Excerpt from an answer, not {type(excerpt).__name__}")
        excerpt = _valid(excerpt)
        if not isinstance(neighbours, int) or isinstance(neighbours, bool) or neighbours < 0:
            raise QABotError(f"neighbours must be a whole number of at least 0, not {neighbours!r}")
        with self.living.using() as engine:
            return _context(engine, excerpt, neighbours)

    @property
    def index(self) -> SearchEngine:
        """The state of the index questions are answered from now."""
        return self.living.current

    @property
    def manifest(self) -> Manifest:
        return self.living.manifest

    # -- staying in step with the corpus, and the document API ------------------------------

    def watch(self) -> None:
        """Follow the corpus folder from now on: each change is applied and swapped in, in the background.

        Returns once the watch is armed, then compares the corpus with the index once, so an
        edit made while the bot was opening is not missed. A read-only Milvus replica has no
        corpus to watch: it polls the collection, and serves each version its writer commits.
        """
        self.living.watch(self._heard)

    def _heard(self, result: Refresh) -> None:
        if result.updated:
            m = self.manifest
            self.notify(f"index updated ({result.reason}): {m.indexed_files} file(s), {m.passages} passages "
                        f"({result.embedded} embedded, in {result.seconds:.1f} s)")

    def refresh(self, progress: Callable[[int, int], None] | None = None, *, rebuild: bool = False) -> Refresh:
        """Bring the index in step with the corpus now; the ``Refresh`` says whether it was unchanged, updated or failed.

        Only the documents of changed files are read, and only their changed passages
        embedded again. If the change fails, the index in use keeps serving, ``notify``
        hears why, and the outcome is ``failed``. ``progress`` hears ``(characters done,
        characters in all)`` while changed files are read.
        """
        return self.living.refresh(progress=progress or False, rebuild=rebuild)

    def upsert(self, documents: Iterable[Document] | Document) -> Refresh:
        """Add documents that are not files (a chat's messages), or replace those with the same source and doc_id.

        Each is indexed as a corpus file's document is, and cited the same way; a document
        whose digest is unchanged is left alone. Durable (it is in the index, which a restart
        reopens) and atomic (a question sees all of the change or none of it). The source
        must not be a file of the corpus folder.
        """
        return self.living.upsert(documents)  # type: ignore[arg-type]

    def delete(self, doc_ids: Iterable[str] | str = (), *, sources: Iterable[str] | str = ()) -> Refresh:
        """Delete documents added with ``upsert``: those with these ids, in whichever source (every source that
        has one), and every one of ``sources``."""
        return self.living.delete(doc_ids, sources=sources)

    def change(self, upsert: Iterable[Document] | Document = (), *, delete: Iterable[str] | str = (),
               delete_sources: Iterable[str] | str = (), skip_bad: bool = False) -> Refresh:
        """``delete`` (by id) and ``delete_sources``, then ``upsert``, in one atomic change: a question sees all of
        it or none of it (a document replaced by another under a new id is never missing meanwhile).

        A document the index refuses (``DocumentError``: its offsets, the reader limits, what the engine can
        store) refuses the whole change; with ``skip_bad``, the change is applied without it, the version of it
        the index held is deleted, and ``Refresh.skipped`` says why, one line for each document left out."""
        return self.living.change(upsert, delete=delete, delete_sources=delete_sources,  # type: ignore[arg-type]
                                  skip_bad=skip_bad)

    def purge(self) -> bool:
        """Make the documents deleted so far leave the index's files, not only its answers: the segments that hold
        them are rewritten without them now (the default engine; on Milvus nothing is: their rows are deleted by a
        change after the grace, and leave its files when it compacts, which Milvus Lite does only once several
        files have piled up: README). A delete only marks them deleted, until their segments are merged. True when
        something was rewritten; ``IndexStoreError`` where it cannot be (another process writing the index too long,
        a full disk): what was deleted is still in the files then."""
        return self.living.maintain(purge=True)

    def close(self) -> None:
        """Stop watching and close the index (once the questions in flight have finished)."""
        self.living.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _valid(excerpt: Excerpt) -> Excerpt:
    """``excerpt`` validated again: ``model_copy(update=...)`` and ``model_construct`` skip pydantic's checks, and a
    ``passage_id`` of None or a ``citation`` of None so made raised a TypeError from inside the index."""
    try:
        return validated_again(excerpt)
    except ValidationError as exc:
        raise QABotError(f"context() takes an Excerpt from an answer; this one's {first_problem(exc)}") from None


def _context(engine: SearchEngine, excerpt: Excerpt, neighbours: int) -> PassageContext:
    passage = engine.passages([excerpt.passage_id]).get(excerpt.passage_id)
    # A row is an address in one state of the index only: after a change it may hold another passage, even of a new
    # version of the same document, so the excerpt must still be the text at its offsets.
    if passage is None or (passage.source, passage.doc_id) != (excerpt.citation.source, excerpt.citation.doc_id) \
            or engine.text(passage.doc, excerpt.citation.start, excerpt.citation.end) != excerpt.text:
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
