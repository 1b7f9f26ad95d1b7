"""The evaluation harness behind ``qabot eval``.

Three kinds of data, all measured through the same library calls users make:

- **QA files** in the form of ``dev.jsonl``: ``{"id", "question", "answers", "docs",
  "history"?}``. A hit is a gold string inside an excerpt (case and accents ignored).
  Reports hit@1/3/5, MRR@10, highlight@1 (gold inside the first highlight), the
  answered rate on answerable questions and the abstention rate on unanswerable ones.
- **BEIR folders** (``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``): nDCG@10
  and Recall@100 at the document level, on an index built (or reused) for that corpus.
- **SQuAD** (v1.1, or v2.0 with unanswerable questions): the dev paragraphs are the
  corpus; reports paragraph hit@1/5 and answer-in-excerpt / answer-in-highlight rates.

``mode`` selects hybrid retrieval (what qabot ships) or the plain dense-only and
BM25-only baselines, so that all three come from the same run.
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from qabot.errors import QABotError
from qabot.lexical import fold
from qabot.settings import Settings, load_settings

Mode = Literal["hybrid", "dense", "bm25"]


class EvalItem(BaseModel):
    id: str = ""
    question: str
    answers: list[str] = Field(default_factory=list)
    docs: list[str] = Field(default_factory=list)
    history: list[str] = Field(default_factory=list)


class ItemResult(BaseModel):
    id: str
    question: str
    answerable: bool
    answered: bool
    rank: int | None  # 1-based rank of the first excerpt holding a gold string
    highlight_hit: bool
    has_docs: bool = False
    doc_rank: int | None = None
    top_source: str | None = None
    top_highlight: str | None = None
    confidence: float = 0.0


class Calibration(BaseModel):
    """What one value of QABOT_ANSWER_THRESHOLD would have done on these questions."""

    threshold: float
    answered_rate: float  # of the answerable questions
    abstention_rate: float  # of the unanswerable ones


class QAReport(BaseModel):
    name: str
    mode: str
    questions: int
    answerable: int
    unanswerable: int
    hit_at_1: float
    hit_at_3: float
    hit_at_5: float
    mrr_at_10: float
    highlight_at_1: float
    answered_rate: float
    abstention_rate: float | None
    doc_hit_at_1: float | None = None
    doc_hit_at_5: float | None = None
    seconds: float
    calibration: list[Calibration] = Field(default_factory=list)
    suggested_threshold: float | None = Field(
        None, description="the highest threshold that still answers 95% of the answerable questions"
    )
    items: list[ItemResult] = Field(default_factory=list, exclude=True)


class BeirReport(BaseModel):
    name: str
    mode: str
    split: str
    queries: int
    documents: int
    ndcg_at_10: float
    recall_at_100: float
    seconds: float


def contains(haystack: str, needles: Iterable[str]) -> bool:
    """Whether any needle occurs in haystack, ignoring case, accents and spacing."""
    folded = " ".join(fold(haystack).split())
    return any(" ".join(fold(n).split()) in folded for n in needles if n.strip())


def load_items(path: Path) -> list[EvalItem]:
    items = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise QABotError(f"cannot read {path}: {exc}") from None
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                items.append(EvalItem.model_validate_json(line))
            except ValueError as exc:
                raise QABotError(f"{path} line {number} is not an evaluation item: {str(exc).splitlines()[0]}") from None
    return items


def _progress(iterable: Iterable, total: int, label: str, show: bool) -> Iterable:
    """A progress bar on stderr for long runs (hidden when ``show`` is False)."""
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=label, unit="q", disable=not show or total < 50, file=sys.stderr,
                dynamic_ncols=True, mininterval=1.0, leave=False)


def evaluate_items(
    bot, items: list[EvalItem], name: str = "qa", mode: str = "hybrid", progress: bool = False  # noqa: ANN001
) -> QAReport:
    """Ask every item through ``bot.ask`` (k=10) and score the answers."""
    started = time.perf_counter()
    results = []
    for item in _progress(items, len(items), f"{name} ({mode})", progress):
        answer = bot.ask(item.question, k=10, history=item.history or None)
        rank = next((i for i, ex in enumerate(answer.excerpts, 1) if contains(ex.text, item.answers)), None)
        doc_rank = next((i for i, ex in enumerate(answer.excerpts, 1) if ex.citation.doc_id in item.docs), None)
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
            )
        )
    return summarise(results, name, mode, time.perf_counter() - started)


def summarise(results: list[ItemResult], name: str, mode: str, seconds: float) -> QAReport:
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]

    def share(rows: list[ItemResult], test: Callable[[ItemResult], bool]) -> float:
        return round(sum(map(test, rows)) / len(rows), 4) if rows else 0.0

    with_docs = [r for r in answerable if r.has_docs]
    calibration: list[Calibration] = []
    if answerable and unanswerable:
        for step in range(0, 31):
            threshold = round(0.4 + 0.03 * step, 2)
            calibration.append(
                Calibration(
                    threshold=threshold,
                    answered_rate=share(answerable, lambda r: r.confidence >= threshold),
                    abstention_rate=share(unanswerable, lambda r: r.confidence < threshold),
                )
            )
    keeping = [c.threshold for c in calibration if c.answered_rate >= 0.95]
    return QAReport(
        name=name,
        mode=mode,
        questions=len(results),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        hit_at_1=share(answerable, lambda r: r.rank is not None and r.rank <= 1),
        hit_at_3=share(answerable, lambda r: r.rank is not None and r.rank <= 3),
        hit_at_5=share(answerable, lambda r: r.rank is not None and r.rank <= 5),
        mrr_at_10=round(sum(1 / r.rank for r in answerable if r.rank) / len(answerable), 4) if answerable else 0.0,
        highlight_at_1=share(answerable, lambda r: r.highlight_hit),
        answered_rate=share(answerable, lambda r: r.answered),
        abstention_rate=share(unanswerable, lambda r: not r.answered) if unanswerable else None,
        doc_hit_at_1=share(with_docs, lambda r: r.doc_rank == 1) if with_docs else None,
        doc_hit_at_5=share(with_docs, lambda r: r.doc_rank is not None and r.doc_rank <= 5) if with_docs else None,
        seconds=round(seconds, 2),
        calibration=calibration,
        suggested_threshold=max(keeping) if keeping else None,
        items=results,
    )


# -- running several modes on one index --------------------------------------------


def bots(settings: Settings, modes: Iterable[str], progress: bool = True) -> Iterator:
    """One ``QABot`` per retrieval mode, all over the same index and model (loaded once)."""
    from qabot.bot import QABot

    first = QABot.from_settings(settings, progress=progress)
    try:
        for mode in modes:
            yield QABot(settings.model_copy(update={"retrieval_mode": mode}), first.index, first.embedder)
    finally:
        first.close()


def evaluate_file(path: Path, settings: Settings, modes: Iterable[str] = ("hybrid",), progress: bool = True) -> list[QAReport]:
    """A QA file in the form of dev.jsonl, asked of the corpus in ``settings``."""
    items = load_items(Path(path))
    return [evaluate_items(bot, items, name=Path(path).stem, mode=bot.settings.retrieval_mode, progress=progress)
            for bot in bots(settings, modes, progress)]


# -- BEIR ---------------------------------------------------------------------------


def _eval_settings(base: Settings, name: str, corpus_file: Path) -> Settings:
    """Settings for an evaluation corpus: its own corpus folder and index under the index folder."""
    root = base.index_dir / "eval"
    corpus_dir = root / f"{name}-corpus"
    corpus_dir.mkdir(parents=True, exist_ok=True)
    link = corpus_dir / corpus_file.name
    target = corpus_file.resolve()
    if not (link.is_symlink() and Path(os.readlink(link)) == target):
        link.unlink(missing_ok=True)
        link.symlink_to(target)
    return load_settings(_env_file=None, **{**base.model_dump(), "corpus_dir": corpus_dir, "index_dir": root / name})


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with path.open(encoding="utf-8") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            if len(row) < 3 or row[0] == "query-id":
                continue
            qrels[row[0]][row[1]] = int(row[2])
    return dict(qrels)


def read_queries(path: Path) -> dict[str, str]:
    queries = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                queries[str(record["_id"])] = record["text"]
    return queries


def ndcg_at(ranked: list[str], relevant: dict[str, int], k: int = 10) -> float:
    dcg = sum(relevant.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum(rel / math.log2(i + 2) for i, rel in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: list[str], relevant: dict[str, int], k: int = 100) -> float:
    wanted = {doc for doc, rel in relevant.items() if rel > 0}
    return len(wanted & set(ranked[:k])) / len(wanted) if wanted else 0.0


def evaluate_beir(
    folder: Path,
    settings: Settings | None = None,
    split: str = "test",
    modes: Iterable[str] = ("hybrid",),
    progress: bool = True,
) -> list[BeirReport]:
    """nDCG@10 and Recall@100 at the document level, for each mode, on an index built (or reused) for the corpus."""
    folder = Path(folder)
    for needed in ("corpus.jsonl", "queries.jsonl", f"qrels/{split}.tsv"):
        if not (folder / needed).is_file():
            raise QABotError(f"{folder} is not a BEIR folder: {needed} is missing")
    qrels = read_qrels(folder / "qrels" / f"{split}.tsv")
    queries = read_queries(folder / "queries.jsonl")
    settings = _eval_settings(settings or load_settings(), folder.name, folder / "corpus.jsonl")
    reports = []
    for bot in bots(settings, modes, progress):
        started = time.perf_counter()
        ndcg, recall = [], []
        label = f"{folder.name} ({bot.settings.retrieval_mode})"
        for query_id, relevant in _progress(qrels.items(), len(qrels), label, progress):
            if query_id not in queries:
                continue
            ranked = [doc for doc, _ in bot.rank_documents(queries[query_id], n=100)]
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


# -- SQuAD --------------------------------------------------------------------------


def squad_items(path: Path, corpus_out: Path) -> list[EvalItem]:
    """Write the paragraphs of a SQuAD file as a jsonl corpus; return its questions.

    A paragraph's id is ``<title>#<n>``; an unanswerable (v2.0) question has no answers.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError) as exc:
        raise QABotError(f"{path} is not a SQuAD file: {exc}") from None
    items: list[EvalItem] = []
    lines = []
    for article in data:
        title = article["title"].replace("_", " ")
        for number, paragraph in enumerate(article["paragraphs"]):
            doc_id = f"{article['title']}#{number}"
            lines.append(json.dumps({"_id": doc_id, "title": title, "text": paragraph["context"]}, ensure_ascii=False))
            for qa in paragraph["qas"]:
                answers = [] if qa.get("is_impossible") else sorted({a["text"] for a in qa["answers"]})
                items.append(EvalItem(id=qa["id"], question=qa["question"], answers=answers, docs=[doc_id]))
    text = "\n".join(lines) + "\n"
    if not corpus_out.exists() or corpus_out.read_text(encoding="utf-8") != text:
        corpus_out.parent.mkdir(parents=True, exist_ok=True)
        tmp = corpus_out.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(corpus_out)
    return items


def evaluate_squad(
    path: Path,
    settings: Settings | None = None,
    modes: Iterable[str] = ("hybrid",),
    limit: int | None = None,
    progress: bool = True,
) -> list[QAReport]:
    """SQuAD's paragraphs as the corpus, its questions asked of it: paragraph hit@1/5, answer in excerpt/highlight."""
    base = settings or load_settings()
    name = Path(path).stem
    generated = base.index_dir / "eval" / "generated" / f"{name}.jsonl"
    items = squad_items(Path(path), generated)
    if limit:
        items = items[:limit]
    return [evaluate_items(bot, items, name=name, mode=bot.settings.retrieval_mode, progress=progress)
            for bot in bots(_eval_settings(base, name, generated), modes, progress)]


# -- tables -------------------------------------------------------------------------

_QA_COLUMNS = (
    ("mode", "mode"), ("hit@1", "hit_at_1"), ("hit@3", "hit_at_3"), ("hit@5", "hit_at_5"),
    ("MRR@10", "mrr_at_10"), ("highlight@1", "highlight_at_1"), ("answered", "answered_rate"),
    ("abstained", "abstention_rate"), ("doc hit@1", "doc_hit_at_1"), ("doc hit@5", "doc_hit_at_5"),
)
_BEIR_COLUMNS = (("mode", "mode"), ("nDCG@10", "ndcg_at_10"), ("Recall@100", "recall_at_100"), ("queries", "queries"))


def calibration_table(report: QAReport) -> str:
    """How the answered and abstention rates trade off as QABOT_ANSWER_THRESHOLD moves."""
    if not report.calibration:
        return f"{report.name}: calibration needs both answerable and unanswerable questions"
    lines = [f"{report.name} ({report.mode}): QABOT_ANSWER_THRESHOLD", "threshold  answered  abstained"]
    lines += [f"{c.threshold:<9.2f}  {c.answered_rate:<8.3f}  {c.abstention_rate:.3f}" for c in report.calibration]
    if report.suggested_threshold is not None:
        lines.append(f"highest threshold that still answers 95% of the answerable questions: {report.suggested_threshold:.2f}")
    return "\n".join(lines)


def table(reports: list[QAReport] | list[BeirReport]) -> str:
    """The reports as an aligned plain-text table, one row per mode."""
    if not reports:
        return ""
    columns = _BEIR_COLUMNS if isinstance(reports[0], BeirReport) else _QA_COLUMNS
    columns = tuple(c for c in columns if any(getattr(r, c[1]) is not None for r in reports))

    def cell(value: object) -> str:
        if value is None:
            return "-"
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    rows = [[label for label, _ in columns]] + [[cell(getattr(r, field)) for _, field in columns] for r in reports]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    lines = ["  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip() for row in rows]
    first = reports[0]
    count = f"{first.queries} queries" if isinstance(first, BeirReport) else (
        f"{first.answerable} answerable, {first.unanswerable} unanswerable questions"
    )
    return f"{first.name}: {count}\n" + "\n".join(lines)
