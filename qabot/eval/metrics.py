"""The figures: hit@k, MRR, highlight and abstention rates for QA items; nDCG and recall for BEIR."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from qabot.eval.reports import Calibration, ItemResult, QAReport
from qabot.text import flat, fold


def matchable(answer: str) -> str:
    """An answer as ``contains`` looks for it: folded and on one line; "" where nothing is left to look for (spaces,
    an accent alone: "´", a soft hyphen), which every text held, so it is found in none."""
    return flat(fold(answer))


def contains(haystack: str, needles: Iterable[str]) -> bool:
    """Whether any needle occurs in haystack, ignoring case, accents and spacing."""
    folded = flat(fold(haystack))
    return any((needle := matchable(n)) and needle in folded for n in needles)


def links_message(link: str | None, message_id: str) -> bool:
    """Whether ``link`` is the jump link of the chat message ``message_id`` (``.../<channel>/<message>``)."""
    return link is not None and link.rstrip("/").rsplit("/", 1)[-1] == str(message_id)


def ndcg_at(ranked: list[str], relevant: dict[str, int], k: int = 10) -> float:
    dcg = sum(relevant.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum(rel / math.log2(i + 2) for i, rel in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: list[str], relevant: dict[str, int], k: int = 100) -> float:
    wanted = {doc for doc, rel in relevant.items() if rel > 0}
    return len(wanted & set(ranked[:k])) / len(wanted) if wanted else 0.0


def answers_at(result: ItemResult, threshold: float) -> bool:
    """Whether the question would be answered with QABOT_ANSWER_THRESHOLD at ``threshold``."""
    return not result.refused and result.confidence >= threshold


def summarise(results: list[ItemResult], name: str, mode: str, seconds: float) -> QAReport:
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]

    def share(rows: list[ItemResult], test: Callable[[ItemResult], bool]) -> float:
        return round(sum(map(test, rows)) / len(rows), 4) if rows else 0.0

    with_docs = [r for r in answerable if r.has_docs]
    paged = [r for r in answerable if r.page is not None and r.rank == 1]
    messages = [r for r in answerable if r.message]
    calibration: list[Calibration] = []
    if answerable and unanswerable:
        for step in range(31):
            threshold = round(0.4 + 0.03 * step, 2)
            calibration.append(
                Calibration(
                    threshold=threshold,
                    answered_rate=share(answerable, lambda r, t=threshold: answers_at(r, t)),
                    abstention_rate=share(unanswerable, lambda r, t=threshold: not answers_at(r, t)),
                )
            )
    keeping = [c.threshold for c in calibration if c.answered_rate >= 0.95]
    return QAReport(
        name=name,
        mode=mode,
        questions=len(results),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        # Over no answerable question (a feedback export still to review) these are no figure, as abstention is below.
        hit_at_1=share(answerable, lambda r: r.rank is not None and r.rank <= 1) if answerable else None,
        hit_at_3=share(answerable, lambda r: r.rank is not None and r.rank <= 3) if answerable else None,
        hit_at_5=share(answerable, lambda r: r.rank is not None and r.rank <= 5) if answerable else None,
        mrr_at_10=round(sum(1 / r.rank for r in answerable if r.rank) / len(answerable), 4) if answerable else None,
        highlight_at_1=share(answerable, lambda r: r.highlight_hit) if answerable else None,
        answered_rate=share(answerable, lambda r: r.answered) if answerable else None,
        abstention_rate=share(unanswerable, lambda r: not r.answered) if unanswerable else None,
        doc_hit_at_1=share(with_docs, lambda r: r.doc_rank == 1) if with_docs else None,
        doc_hit_at_5=share(with_docs, lambda r: r.doc_rank is not None and r.doc_rank <= 5) if with_docs else None,
        page_at_1=share(paged, lambda r: r.top_page == r.page) if paged else None,
        message_at_1=share(messages, lambda r: r.message_hit) if messages else None,
        seconds=round(seconds, 2),
        calibration=calibration,
        suggested_threshold=max(keeping) if keeping else None,
        items=results,
    )
