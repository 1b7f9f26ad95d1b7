"""Running an evaluation through the same library calls users make: ``QABot.ask`` and ``rank_documents``.

``mode`` selects hybrid retrieval (what qabot ships) or the plain dense-only and
BM25-only baselines, so that all three come from the same run and the same index.
BEIR and SQuAD corpora get their own index under ``<index_dir>/eval/``, built once and
reused. Every function takes an ``embedder`` to use instead of the one the settings
describe.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from qabot.bot import QABot
from qabot.embedding import Embedder
from qabot.errors import IndexStoreError, QABotError, QuestionError
from qabot.eval.datasets import EvalItem, load_items, read_qrels, read_queries, squad_items
from qabot.eval.metrics import contains, links_message, ndcg_at, recall_at, summarise
from qabot.eval.reports import BeirReport, ItemResult, QAReport
from qabot.index.changes import cannot_write
from qabot.index.milvus.config import MilvusConfig
from qabot.search.inputs import clean_text, says_nothing
from qabot.settings import Settings, load_settings
from qabot.text import visible


def _progress(iterable: Iterable, total: int, label: str, show: bool) -> Iterable:
    """A progress bar on stderr for long runs (hidden when ``show`` is False); ``label`` names a file: shown inert.
    Where stderr is no terminal (a CI log), a plain line every ``Bar.PLAIN_SECONDS`` instead, as indexing writes."""
    from tqdm.auto import tqdm

    from qabot.index.ingest import terminal

    if show and total >= 50 and not terminal(sys.stderr):
        return _plain(iterable, total, visible(label))
    return tqdm(iterable, total=total, desc=visible(label), unit="q", disable=not show or total < 50, file=sys.stderr,
                dynamic_ncols=True, mininterval=1.0, leave=False)


def _plain(iterable: Iterable, total: int, label: str) -> Iterator:
    from qabot.index.ingest import Bar

    said = time.monotonic()
    for done, item in enumerate(iterable, 1):
        yield item
        if time.monotonic() - said >= Bar.PLAIN_SECONDS:
            said = time.monotonic()
            print(f"{label}: {done:,} of {total:,} questions", file=sys.stderr, flush=True)


def evaluate_items(
    bot: QABot, items: list[EvalItem], name: str = "qa", mode: str = "hybrid", progress: bool = False
) -> QAReport:
    """Ask every item through ``bot.ask`` (k=10) and score the answers."""
    started = time.perf_counter()
    results = []
    for item in _progress(items, len(items), f"{name} ({mode})", progress):
        try:
            answer = bot.ask(item.question, k=10, history=item.history or None)
        except QuestionError as exc:  # too long, or a bad history: say which question
            raise QuestionError(f"{item.where or f'question {item.id!r}'}: {exc}") from None
        rank = next((i for i, ex in enumerate(answer.excerpts, 1) if contains(ex.text, item.answers)), None)
        # A question's doc is a document's id, or its file (a chat export is a document per exchange).
        doc_rank = next((i for i, ex in enumerate(answer.excerpts, 1)
                         if ex.citation.doc_id in item.docs or ex.citation.source in item.docs), None)
        first = answer.excerpts[0] if answer.excerpts else None
        results.append(
            ItemResult(
                id=item.id,
                question=item.question,
                answerable=bool(item.answers),
                answered=answer.answered,
                rank=rank,
                highlight_hit=bool(first and contains(first.highlight, item.answers)),
                has_docs=bool(item.docs),
                doc_rank=doc_rank,
                top_source=first.citation.source if first else None,
                top_highlight=first.highlight if first else None,
                confidence=answer.confidence,
                refused=not answer.excerpts or says_nothing(clean_text(item.question), answer.query),  # never answered
                page=item.page,
                top_page=first.citation.page if first else None,
                message=item.answer_message_id,
                message_hit=bool(first and item.answer_message_id and links_message(first.citation.link,
                                                                                     item.answer_message_id)),
            )
        )
    return summarise(results, name, mode, time.perf_counter() - started)


def bots(
    settings: Settings, modes: Iterable[str], progress: bool = True, embedder: Embedder | None = None
) -> Iterator[QABot]:
    """One ``QABot`` per retrieval mode, all over the same index and model (loaded once)."""
    first = QABot.from_settings(settings, progress=progress, embedder=embedder)
    try:
        for mode in modes:
            yield QABot(settings.model_copy(update={"retrieval_mode": mode}), first.living, first.embedder)
    finally:
        first.close()


def evaluate_file(
    path: Path,
    settings: Settings,
    modes: Iterable[str] = ("hybrid",),
    progress: bool = True,
    embedder: Embedder | None = None,
) -> list[QAReport]:
    """A QA file in the form of dev.jsonl, asked of the corpus in ``settings``."""
    items = load_items(Path(path))
    return [
        evaluate_items(bot, items, name=Path(path).stem, mode=bot.settings.retrieval_mode, progress=progress)
        for bot in bots(settings, modes, progress, embedder)
    ]


def _shown_name(name: str) -> str:
    """An evaluation dataset's name, not hidden (a hidden file is no corpus file): "..", eval/.., would be the
    configured corpus's own index."""
    return name.lstrip(".") or "corpus"


def _folder_name(name: str, data: Path) -> str:
    """An evaluation dataset's folder of eval/: its name and a hash of where its data file lies. By name alone, a
    BEIR folder dev and a SQuAD file dev.json shared an index and a corpus folder (each measured on the other's
    documents too), and x-corpus's index was x's corpus folder; an index's name ends in the hash, never "-corpus"."""
    return f"{_shown_name(name)}-{hashlib.sha256(os.fsencode(data.resolve())).hexdigest()[:12]}"


@contextlib.contextmanager
def _writing(folder: Path) -> Iterator[None]:
    """An evaluation corpus is written under the index folder: one that cannot be written is one line naming what
    sets it, as the index's own error is, not an unexpected ``OSError``."""
    try:
        yield
    except OSError as exc:
        raise IndexStoreError(cannot_write(f"the evaluation corpus in {folder}", exc)) from None


def _eval_settings(base: Settings, name: str, corpus_file: Path) -> Settings:
    """Settings for an evaluation dataset (``name``: its ``_folder_name``): its own corpus folder and index under
    the index folder."""
    root = base.index_dir / "eval"
    corpus_dir = root / f"{name}-corpus"
    link = corpus_dir / corpus_file.name
    target = corpus_file.resolve()
    with _writing(corpus_dir):
        corpus_dir.mkdir(parents=True, exist_ok=True)
        if not (link.is_symlink() and Path(os.readlink(link)) == target):
            link.unlink(missing_ok=True)
            link.symlink_to(target)
    # The corpus folder holds a link to the data file where it lies: follow it. On Milvus, its own collection (named
    # by its folder), and a Milvus Lite file of its own: never the deployment's collection, nor a replica's settings.
    overrides = {"corpus_dir": corpus_dir, "index_dir": root / name, "corpus_external_links": True,
                 "milvus_collection": None, "milvus_read_only": False}
    if base.milvus_uri is not None and MilvusConfig.from_settings(base).lite:
        overrides["milvus_uri"] = None  # <index_dir>/milvus.db
    return load_settings(_env_file=None, **{**base.model_dump(), **overrides})


def evaluate_beir(
    folder: Path,
    settings: Settings | None = None,
    split: str = "test",
    modes: Iterable[str] = ("hybrid",),
    progress: bool = True,
    embedder: Embedder | None = None,
) -> list[BeirReport]:
    """nDCG@10 and Recall@100 at the document level, for each mode, on an index built (or reused) for the corpus."""
    folder = Path(os.path.abspath(folder))  # named by its own name: "--beir .." is not ".."
    for needed in ("corpus.jsonl", "queries.jsonl", f"qrels/{split}.tsv"):
        if not (folder / needed).is_file():
            raise QABotError(f"{folder} is not a BEIR folder: {needed} is missing")
    qrels = read_qrels(folder / "qrels" / f"{split}.tsv")
    queries = read_queries(folder / "queries.jsonl")
    if qrels and not any(query_id in queries for query_id in qrels):  # another split's, or renamed ids: no score
        raise QABotError(f"no query of {folder / 'qrels' / f'{split}.tsv'} is in {folder / 'queries.jsonl'}")
    corpus = folder / "corpus.jsonl"
    settings = _eval_settings(settings or load_settings(), _folder_name(folder.name, corpus), corpus)
    reports = []
    for bot in bots(settings, modes, progress, embedder):
        started = time.perf_counter()
        ndcg, recall = [], []
        label = f"{folder.name} ({bot.settings.retrieval_mode})"
        for query_id, relevant in _progress(qrels.items(), len(qrels), label, progress):
            if query_id not in queries:
                continue
            try:
                ranked = [doc for doc, _ in bot.rank_documents(queries[query_id], n=100)]
            except QuestionError as exc:  # empty, or too long: say which query
                raise QuestionError(f"{folder / 'queries.jsonl'} query {query_id!r}: {exc}") from None
            ndcg.append(ndcg_at(ranked, relevant))
            recall.append(recall_at(ranked, relevant))
        reports.append(
            BeirReport(
                name=folder.name,
                mode=bot.settings.retrieval_mode,
                split=split,
                queries=len(ndcg),
                documents=bot.manifest.documents,
                ndcg_at_10=round(sum(ndcg) / len(ndcg), 4) if ndcg else 0.0,
                recall_at_100=round(sum(recall) / len(recall), 4) if recall else 0.0,
                seconds=round(time.perf_counter() - started, 2),
            )
        )
    return reports


def evaluate_squad(
    path: Path,
    settings: Settings | None = None,
    modes: Iterable[str] = ("hybrid",),
    limit: int | None = None,
    progress: bool = True,
    embedder: Embedder | None = None,
) -> list[QAReport]:
    """SQuAD's paragraphs as the corpus, its questions asked of it: paragraph hit@1/5, answer in excerpt/highlight."""
    base = settings or load_settings()
    name = _folder_name(Path(path).stem, Path(path))
    generated = base.index_dir / "eval" / "generated" / f"{name}.jsonl"
    with _writing(generated.parent):  # what cannot be read is squad_items's own error
        items = squad_items(Path(path), generated)
    if limit:
        items = items[:limit]
    shown = _shown_name(Path(path).stem)
    return [
        evaluate_items(bot, items, name=shown, mode=bot.settings.retrieval_mode, progress=progress)
        for bot in bots(_eval_settings(base, name, generated), modes, progress, embedder)
    ]
