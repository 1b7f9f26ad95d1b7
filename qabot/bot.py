"""``QABot``: the facade every front-end calls.

    from qabot import QABot
    bot = QABot.from_settings()                 # QABOT_* env and .env; keyword overrides win
    answer = bot.ask("Who killed Trotsky?", k=5)
    answer.excerpts[0].highlight, answer.excerpts[0].citation.location

``from_settings`` checks the index against the corpus and builds it when it is
missing, stale or corrupt (with a progress bar), so the first question always runs
against an index that matches the documents.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Self

from qabot import embedding
from qabot.embedding import Embedder
from qabot.errors import QABotError
from qabot.index import BuildConfig, Manifest, SearchEngine, open_index
from qabot.models import Answer, Excerpt, PassageContext, RankedDocument, SourceInfo
from qabot.search import RetrievalConfig, Retriever
from qabot.settings import Settings, load_settings

log = logging.getLogger(__name__)


class QABot:
    """Answers questions about a corpus with cited excerpts. Safe to call from several threads."""

    def __init__(self, settings: Settings, index: SearchEngine, embedder: Embedder) -> None:
        self.settings = settings
        self.index = index
        self.embedder = embedder
        self._retriever = Retriever(index, embedder, RetrievalConfig.from_settings(settings))

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        rebuild: bool = False,
        progress: bool = True,
        notify: Callable[[str], None] | None = None,
        embedder: Embedder | None = None,
        **overrides: Any,
    ) -> QABot:
        """Load settings (overrides > environment > .env > defaults), then load or build the index.

        ``embedder`` replaces the one the settings describe (tests and benchmarks inject one).
        """
        if settings is None:
            settings = load_settings(**overrides)
        elif overrides:
            settings = load_settings(_env_file=None, **{**settings.model_dump(), **overrides})
        embedder = embedder or embedding.make_embedder(settings)
        index = open_index(BuildConfig.from_settings(settings), embedder, rebuild=rebuild, progress=progress, notify=notify)
        return cls(settings, index, embedder)

    # -- questions ----------------------------------------------------------------------

    def ask(self, question: str, k: int | None = None, history: Sequence[str] | None = None) -> Answer:
        """The best ``k`` excerpts for ``question``; ``history`` holds earlier questions of the conversation.

        Raises ``QuestionError`` for an empty or overlong question.
        """
        return self._retriever.ask(question, k=self.settings.top_k if k is None else k, history=history)

    def rank_documents(self, question: str, n: int = 100) -> list[RankedDocument]:
        """The documents whose passages best match ``question``, best first: (doc_id, score) pairs."""
        return self._retriever.rank_documents(question, n)

    # -- browsing -----------------------------------------------------------------------

    def sources(self) -> list[SourceInfo]:
        """The indexed corpus files, with how many documents and passages each holds."""
        return self.index.sources()

    def context(self, excerpt: Excerpt, neighbours: int = 1) -> PassageContext:
        """The whole paragraph an excerpt comes from, with ``neighbours`` paragraphs either side."""
        index = self.index
        passage = index.passages([excerpt.passage_id]).get(excerpt.passage_id)
        if passage is None:
            raise QABotError(f"passage {excerpt.passage_id} is not in the current index")
        paragraphs = [p for p in index.paragraphs(passage.doc) if not p.duplicate]
        # The paragraph that holds the highlight: an excerpt may reach across paragraph edges.
        anchor = excerpt.citation.start + excerpt.highlight_start
        position = next(
            (i for i, p in enumerate(paragraphs) if p.start <= anchor < p.end + 1 and not p.heading), None
        )
        if position is None:
            raise QABotError(f"the paragraph of passage {excerpt.passage_id} is not in the index")
        para = paragraphs[position]
        before = paragraphs[max(0, position - neighbours) : position]
        after = paragraphs[position + 1 : position + 1 + neighbours]
        return PassageContext(
            citation=excerpt.citation.model_copy(update={"start": para.start, "end": para.end}),
            before=[index.text(passage.doc, p.start, p.end) for p in before],
            paragraph=index.text(passage.doc, para.start, para.end),
            after=[index.text(passage.doc, p.start, p.end) for p in after],
        )

    @property
    def manifest(self) -> Manifest:
        return self.index.manifest

    def close(self) -> None:
        self.index.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
