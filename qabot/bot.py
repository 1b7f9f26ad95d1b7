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
from typing import Any

from qabot.errors import QABotError
from qabot.models import Answer, Excerpt, PassageContext, SourceInfo
from qabot.settings import Settings, load_settings

log = logging.getLogger(__name__)


class QABot:
    """Answers questions about a corpus with cited excerpts. Safe to call from several threads."""

    def __init__(self, settings: Settings, index, embedder) -> None:  # noqa: ANN001 - see from_settings
        from qabot.retrieval import RetrievalConfig, Retriever

        self.settings = settings
        self.index = index
        self.embedder = embedder
        self._retriever = Retriever(
            index,
            embedder,
            RetrievalConfig(
                mode=settings.retrieval_mode,
                fusion=settings.fusion,
                dense_weight=settings.dense_weight,
                lexical_weight=settings.lexical_weight,
                rrf_k=settings.rrf_k,
                answer_threshold=settings.answer_threshold,
                max_question_chars=settings.max_question_chars,
            ),
        )

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        rebuild: bool = False,
        progress: bool = True,
        notify: Callable[[str], None] | None = None,
        embedder=None,  # noqa: ANN001 - an Embedder; tests and benchmarks inject one
        **overrides: Any,
    ) -> QABot:
        """Load settings (overrides > environment > .env > defaults), then load or build the index."""
        from qabot.index import open_index

        if settings is None:
            settings = load_settings(**overrides)
        elif overrides:
            settings = load_settings(_env_file=None, **{**settings.model_dump(), **overrides})
        embedder = embedder or make_embedder(settings)
        index = open_index(build_config(settings), embedder, rebuild=rebuild, progress=progress, notify=notify)
        return cls(settings, index, embedder)

    # -- questions ----------------------------------------------------------------------

    def ask(self, question: str, k: int | None = None, history: Sequence[str] | None = None) -> Answer:
        """The best ``k`` excerpts for ``question``; ``history`` holds earlier questions of the conversation.

        Raises ``QuestionError`` for an empty or overlong question.
        """
        return self._retriever.ask(question, k=self.settings.top_k if k is None else k, history=history)

    def rank_documents(self, question: str, n: int = 100) -> list[tuple[str, float]]:
        """(doc_id, score) of the documents whose passages best match, best first."""
        return self._retriever.rank_documents(question, n)

    # -- browsing -----------------------------------------------------------------------

    def sources(self) -> list[SourceInfo]:
        """The indexed corpus files, with how many documents and passages each holds."""
        return [
            SourceInfo(source=source, title=title, documents=docs, passages=passages)
            for source, title, docs, passages in self.index.store.sources()
        ]

    def context(self, excerpt: Excerpt, neighbours: int = 1) -> PassageContext:
        """The whole paragraph an excerpt comes from, with ``neighbours`` paragraphs either side."""
        store = self.index.store
        passage = store.passages([excerpt.passage_id]).get(excerpt.passage_id)
        if passage is None:
            raise QABotError(f"passage {excerpt.passage_id} is not in the current index")
        paragraphs = [p for p in store.paragraphs(passage.doc) if not p.duplicate]
        # The paragraph that holds the highlight: an excerpt may reach across paragraph edges.
        anchor = excerpt.citation.start + excerpt.highlight_start
        position = next(
            (i for i, p in enumerate(paragraphs) if p.start <= anchor < p.end + 1 and not p.heading), None
        )
        if position is None:
            raise QABotError(f"the paragraph of passage {excerpt.passage_id} is not in the index")
        para = paragraphs[position]

        def read(p) -> str:  # noqa: ANN001
            return store.text(passage.doc, p.start, p.end)

        return PassageContext(
            citation=excerpt.citation.model_copy(update={"start": para.start, "end": para.end}),
            before=[read(p) for p in paragraphs[max(0, position - neighbours) : position]],
            paragraph=read(para),
            after=[read(p) for p in paragraphs[position + 1 : position + 1 + neighbours]],
        )

    @property
    def manifest(self):  # noqa: ANN201 - qabot.index.Manifest
        return self.index.manifest

    def close(self) -> None:
        self.index.close()

    def __enter__(self) -> QABot:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def make_embedder(settings: Settings):  # noqa: ANN201 - SentenceTransformerEmbedder
    from qabot.embedder import SentenceTransformerEmbedder, resolve_backend

    return SentenceTransformerEmbedder(
        settings.embedding_model,
        backend=resolve_backend(settings.embedding_backend),
        device=settings.device,
        batch_size=settings.embedding_batch_size,
        export_dir=settings.index_dir / "models",
    )


def build_config(settings: Settings):  # noqa: ANN201 - qabot.index.BuildConfig
    from qabot.index import BuildConfig

    return BuildConfig(
        corpus_dir=settings.corpus_dir,
        index_dir=settings.index_dir,
        passage_chars=settings.passage_chars,
        index_factory=settings.index_factory,
        use_cache=settings.embedding_cache,
    )
