"""``qabot feedback``: what the stored answers and votes say, as a model and as plain text.

The summary counts answers and abstentions, the votes and the helpful share, week by
week, and lists the questions most often asked that the corpus did not answer: the
documents an operator should add first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import BaseModel

from qabot.feedback.store import FeedbackStore, StoredAnswer
from qabot.text import flat, fold, render_table

WEEKS = 12  # weeks shown, most recent last
UNANSWERED = 10  # questions listed


class Week(BaseModel):
    week: str  # ISO week, "2025-W07"
    answers: int
    answered: int
    helpful: int
    not_helpful: int

    @property
    def share(self) -> float | None:
        votes = self.helpful + self.not_helpful
        return self.helpful / votes if votes else None


class Unanswered(BaseModel):
    question: str  # the latest wording
    times: int
    last: str  # date, YYYY-MM-DD


class FeedbackSummary(BaseModel):
    answers: int
    answered: int
    abstentions: int
    helpful: int
    not_helpful: int
    voted_answers: int
    frontends: dict[str, int]
    weeks: list[Week]
    unanswered: list[Unanswered]

    @property
    def share(self) -> float | None:
        votes = self.helpful + self.not_helpful
        return self.helpful / votes if votes else None


def question_key(question: str) -> str:
    """Two wordings that differ only in case, accents or spacing are the same question."""
    return flat(fold(question)).rstrip(" ?!.")


def summarise(store: FeedbackStore, *, guild_id: int | None = None,
              listed: Callable[[StoredAnswer], bool] | None = None) -> FeedbackSummary:
    """The summary of every stored answer (of one guild, when given).

    ``listed`` says which answers' questions may be listed among the unanswered ones (all, without it):
    a question is text from where it was asked, and the summary may be read somewhere else.
    """
    answers = store.answers(guild_id=guild_id)
    tallies = store.tallies(guild_id=guild_id)
    weeks: dict[str, Week] = {}
    unanswered: dict[str, list[StoredAnswer]] = {}
    for answer in answers:
        week = _week(answer.at)
        row = weeks.setdefault(week, Week(week=week, answers=0, answered=0, helpful=0, not_helpful=0))
        up, down = tallies.get(answer.id, (0, 0))
        row.answers += 1
        row.answered += answer.answered
        row.helpful += up
        row.not_helpful += down
        if not answer.answered and (listed is None or listed(answer)):
            unanswered.setdefault(question_key(answer.question), []).append(answer)
    top = sorted(unanswered.values(), key=lambda asked: (-len(asked), -asked[-1].at))[:UNANSWERED]
    return FeedbackSummary(
        answers=len(answers),
        answered=sum(a.answered for a in answers),
        abstentions=sum(not a.answered for a in answers),
        helpful=sum(up for up, _ in tallies.values()),
        not_helpful=sum(down for _, down in tallies.values()),
        voted_answers=sum(1 for up, down in tallies.values() if up or down),
        frontends=dict(Counter(a.frontend for a in answers).most_common()),
        weeks=sorted(weeks.values(), key=lambda w: w.week)[-WEEKS:],
        unanswered=[Unanswered(question=asked[-1].question, times=len(asked), last=_day(asked[-1].at))
                    for asked in top],
    )


def summary_text(summary: FeedbackSummary) -> str:
    """The summary as plain text: a few lines, then the weekly table and the unanswered questions."""
    if not summary.answers:
        return "No answers recorded yet."
    lines = [
        f"Answers: {summary.answers} ({summary.answered} answered, {summary.abstentions} not found in the corpus)",
        f"Votes: {summary.helpful + summary.not_helpful} on {summary.voted_answers} answer(s): "
        f"{summary.helpful} helpful, {summary.not_helpful} not helpful" + _percent(summary.share, " ({} helpful)"),
        "By front-end: " + ", ".join(f"{name} {n}" for name, n in summary.frontends.items()),
    ]
    weekly = [[w.week, str(w.answers), str(w.answered), str(w.helpful + w.not_helpful), _percent(w.share, "{}")]
              for w in summary.weeks]
    lines += ["", render_table("Helpful share by week", ["week", "answers", "answered", "votes", "helpful"], weekly)]
    if summary.unanswered:
        rows = [[str(u.times), u.last, flat(u.question)] for u in summary.unanswered]  # render_table: shown inert
        lines += ["", render_table("Most-asked unanswered questions", ["times", "last asked", "question"], rows)]
    return "\n".join(lines)


def _percent(share: float | None, template: str) -> str:
    return template.format(f"{share:.0%}") if share is not None else ("" if template != "{}" else "–")


def _week(at: float) -> str:
    year, week, _ = datetime.fromtimestamp(at, UTC).isocalendar()
    return f"{year}-W{week:02d}"


def _day(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d")
