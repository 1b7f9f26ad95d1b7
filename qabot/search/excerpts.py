"""Excerpts: the answering sentence highlighted, the window of source text around it, its citation.

The highlight is the best one or two sentences (at most 300 characters); the excerpt is
the window of whole sentences around it, at most 600 characters, following the source
across passage and paragraph edges but never over text that is not indexed (a heading,
a repeat). Every string is cut from the stored source text by offsets, so
``source_text[citation.start:citation.end] == excerpt.text``.
"""

from __future__ import annotations

import re

import numpy as np

from qabot.index.engine import PassageRow, SearchEngine
from qabot.models import Citation, Excerpt

MAX_EXCERPT_CHARS = 600
MAX_HIGHLIGHT_CHARS = 300
_ANAPHOR = re.compile(r"(?:He|She|They|It|His|Her|Their|Its|This|These|Those)\b")


def excerpt(engine: SearchEngine, passage: PassageRow, sentence_scores: np.ndarray, score: float) -> Excerpt:
    """The excerpt around ``passage``'s best sentence, cited."""
    units, text_start, text = neighbourhood(engine, passage)
    hl_start, hl_end = highlight_span(passage, sentence_scores, units, text, text_start)
    start, end = window(units, hl_start, hl_end, text, text_start)
    excerpt_text = text[start - text_start : end - text_start]
    para = engine.paragraph_at(passage.doc, hl_start)
    number = para.number if para else passage.paragraph
    section = para.section if para else passage.section
    citation = Citation(
        source=passage.source,
        doc_id=passage.doc_id,
        title=passage.title,
        section=section,
        paragraph=number,
        location=location(section, number),
        start=start,
        end=end,
        url=passage.url,
    )
    return Excerpt(
        text=excerpt_text,
        highlight=excerpt_text[hl_start - start : hl_end - start],
        highlight_start=hl_start - start,
        highlight_end=hl_end - start,
        score=round(score, 6),
        citation=citation,
        passage_id=passage.row,
    )


def neighbourhood(engine: SearchEngine, passage: PassageRow) -> tuple[list[tuple[int, int]], int, str]:
    """Sentence units of the passage and its neighbours in the same section, and their text."""
    units = engine.neighbour_sentences(passage)
    lo, hi = units[0][0], units[-1][1]
    return units, lo, engine.text(passage.doc, lo, hi)


def highlight_span(
    passage: PassageRow, scores: np.ndarray, units: list[tuple[int, int]], text: str, offset: int
) -> tuple[int, int]:
    """The best sentence, with what it needs from its paragraph, in at most 300 characters.

    A short sentence (a one-line answer) takes its better-scoring neighbour along; a
    sentence that opens with a pronoun ("He became ...") takes the sentence before it,
    which says who "he" is, even from the passage before. ``units`` and ``text`` (from
    ``offset``) are the sentences and source text around the passage.
    """
    own = passage.sentences
    best = int(np.argmax(scores))
    start, end = own[best]

    def joinable(lo: int, hi: int) -> bool:
        return hi - lo <= MAX_HIGHLIGHT_CHARS and "\n" not in text[lo - offset : hi - offset]

    if end - start < 80:
        for j in sorted((j for j in (best - 1, best + 1) if 0 <= j < len(own)), key=lambda j: -scores[j]):
            lo, hi = min(start, own[j][0]), max(end, own[j][1])
            if joinable(lo, hi):
                return lo, hi
    if _ANAPHOR.match(text, start - offset):
        before = [u for u in units if u[1] <= start]
        if before and joinable(before[-1][0], end):
            return before[-1][0], end
    return start, end


def window(units: list[tuple[int, int]], hl_start: int, hl_end: int, text: str, offset: int) -> tuple[int, int]:
    """At most 600 characters of whole sentences around the highlight.

    The window grows one sentence at a time, before then after, across passage and
    paragraph edges, but never over text that is not indexed (a heading, a repeat).
    """
    start, end = hl_start, hl_end
    before = [u for u in units if u[1] <= hl_start][::-1]
    after = [u for u in units if u[0] >= hl_end]
    open_sides = [before, after]
    while any(open_sides):
        for side in open_sides:
            if not side:
                continue
            unit = side[0]
            gap = text[end - offset : unit[0] - offset] if unit[0] >= end else text[unit[1] - offset : start - offset]
            if gap.strip() or max(end, unit[1]) - min(start, unit[0]) > MAX_EXCERPT_CHARS:
                side.clear()
                continue
            side.pop(0)
            start, end = min(start, unit[0]), max(end, unit[1])
    return start, end


def location(section: str | None, paragraph: int) -> str:
    return f"§ {section}, ¶ {paragraph}" if section else f"¶ {paragraph}"


def overlaps(excerpt: Excerpt, other: Excerpt) -> bool:
    """Whether ``excerpt`` adds nothing to ``other``: its highlight is already on screen there.

    Windows that merely share some context are both kept: each points at a different sentence.
    """
    a, b = excerpt.citation, other.citation
    if (a.source, a.doc_id) != (b.source, b.doc_id):
        return False
    overlap = min(a.start + excerpt.highlight_end, b.end) - max(a.start + excerpt.highlight_start, b.start)
    return overlap >= 0.9 * (excerpt.highlight_end - excerpt.highlight_start)
