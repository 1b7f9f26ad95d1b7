"""Reports of an evaluation run, and the tables ``qabot eval`` prints."""

from __future__ import annotations

from pydantic import BaseModel, Field

from qabot.text import render_table, visible


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
    refused: bool = False  # not answered at any threshold: small talk, or nothing found
    page: int | None = None  # the page a correct citation names
    top_page: int | None = None  # the page the first excerpt cites
    message: str | None = None  # the chat message a correct citation links to
    message_hit: bool = False  # the first excerpt's citation links to that message


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
    hit_at_1: float | None  # None: no answerable question
    hit_at_3: float | None
    hit_at_5: float | None
    mrr_at_10: float | None
    highlight_at_1: float | None
    answered_rate: float | None
    abstention_rate: float | None  # None: no unanswerable question
    doc_hit_at_1: float | None = None
    doc_hit_at_5: float | None = None
    page_at_1: float | None = Field(
        None, description="of the questions with a page whose first excerpt holds the answer: the share citing that page"
    )
    message_at_1: float | None = Field(
        None, description="of the questions that name their answer's chat message: the share whose first citation links it"
    )
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


_QA_COLUMNS = (
    ("mode", "mode"), ("hit@1", "hit_at_1"), ("hit@3", "hit_at_3"), ("hit@5", "hit_at_5"),
    ("MRR@10", "mrr_at_10"), ("highlight@1", "highlight_at_1"), ("answered", "answered_rate"),
    ("abstained", "abstention_rate"), ("doc hit@1", "doc_hit_at_1"), ("doc hit@5", "doc_hit_at_5"),
    ("page@1", "page_at_1"), ("message@1", "message_at_1"),
)
_BEIR_COLUMNS = (("mode", "mode"), ("nDCG@10", "ndcg_at_10"), ("Recall@100", "recall_at_100"), ("queries", "queries"))


def calibration_table(report: QAReport) -> str:
    """How the answered and abstention rates trade off as QABOT_ANSWER_THRESHOLD moves."""
    if not report.calibration:
        return visible(f"{report.name}: calibration needs both answerable and unanswerable questions")
    text = render_table(
        f"{report.name} ({report.mode}): QABOT_ANSWER_THRESHOLD",
        ["threshold", "answered", "abstained"],
        [[f"{c.threshold:.2f}", f"{c.answered_rate:.3f}", f"{c.abstention_rate:.3f}"] for c in report.calibration],
    )
    if report.suggested_threshold is not None:
        text += (
            "\nhighest threshold that still answers 95% of the answerable questions: "
            f"{report.suggested_threshold:.2f}"
        )
    return text


def table(reports: list[QAReport] | list[BeirReport]) -> str:
    """The reports as a plain-text table, one row per mode."""
    if not reports:
        return ""
    first = reports[0]
    columns = _BEIR_COLUMNS if isinstance(first, BeirReport) else _QA_COLUMNS
    columns = tuple(c for c in columns if any(getattr(r, c[1]) is not None for r in reports))

    def cell(value: object) -> str:
        if value is None:
            return "-"
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    count = (
        f"{first.queries} queries"
        if isinstance(first, BeirReport)
        else f"{first.answerable} answerable, {first.unanswerable} unanswerable questions"
    )
    return render_table(
        f"{first.name}: {count}",
        [label for label, _ in columns],
        [[cell(getattr(r, field)) for _, field in columns] for r in reports],
    )
