"""From a question to cited excerpts: search, fuse, rerank, highlight, abstain.

1. **Candidates.** The question is embedded once. FAISS returns the nearest passages
   by cosine; BM25 (bm25s) scores every passage lexically. The two rankings are fused
   (reciprocal rank fusion by default, or a convex combination of normalised scores).
2. **Rerank.** For the best fused candidates, every sentence is scored against the
   question using sentence vectors computed at index time (no extra model call) and
   lexical coverage of the question's words. A passage's final score blends its fused
   score with its best sentence.
3. **Excerpts.** Near-duplicate passages appear once. The highlight is the best one or
   two sentences (at most 300 characters); the excerpt is the window of source text
   around it, at most 600 characters, following the source across passage edges.
4. **Abstention.** ``answered`` is False when the best evidence is weaker than the
   calibrated threshold; the closest excerpts are still returned.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qabot import followup, highlight
from qabot.errors import QuestionError
from qabot.index import Index
from qabot.lexical import fold, tokenize
from qabot.models import Answer, Citation, Excerpt
from qabot.store import PassageRow

MAX_EXCERPT_CHARS = 600
MAX_HIGHLIGHT_CHARS = 300
DOCUMENT_PENALTY = 0.02  # per excerpt already shown from the same document


@dataclass(frozen=True)
class RetrievalConfig:
    """Knobs of the ranking. ``Settings`` supplies the first group (see .env.example); the
    rest were tuned on ../shared/eval/dev.jsonl, tests/data/dev_extra.jsonl and SciFact's
    training queries (docs/quality.md), never on a test split.

    In hybrid mode a candidate passage scores::

        fused    = dense_weight * cosine(question, passage) + lexical_weight * bm25 / best bm25
        sentence = sentence_weight * cosine(question, sentence)
                   + coverage_weight * coverage(sentence) + type_weight * has_answer_type(sentence)
        score    = fused + max(sentence over the passage's sentences)
                   + passage_coverage_weight * coverage(passage)

    (with ``fusion="rrf"``, ``fused`` is reciprocal rank fusion scaled to 0..1 instead).
    ``dense`` and ``bm25`` modes rank by the plain cosine or BM25 score alone: they are
    the baselines the evaluation compares against.

    ``answered`` compares the best excerpt's confidence with ``answer_threshold``::

        confidence = confidence_dense_weight * cosine(question, passage) + score - fused

    that is, the same evidence without the BM25 term, whose per-question scaling would
    give some passage full marks even for a question about something else entirely.
    """

    mode: str = "hybrid"
    fusion: str = "convex"
    dense_weight: float = 0.5
    lexical_weight: float = 0.2
    rrf_k: int = 60
    answer_threshold: float = 0.7
    max_question_chars: int = 2000
    candidates: int = 100  # from each of dense and BM25
    rerank: int = 100  # fused candidates whose sentences are scored
    sentence_weight: float = 0.5
    coverage_weight: float = 0.3
    type_weight: float = 0.1
    passage_coverage_weight: float = 0.3
    confidence_dense_weight: float = 0.5  # confidence = this * cosine(passage) + the passage's sentence support


@dataclass
class Candidate:
    row: int
    dense: float = 0.0
    lexical: float = 0.0
    fused: float = 0.0
    evidence: float = 0.0
    score: float = 0.0  # what the mode ranks by
    confidence: float = 0.0  # the hybrid score, whatever the mode: what abstention compares
    sentence_scores: np.ndarray | None = None
    passage: PassageRow | None = None


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")


def clean_question(question: str, limit: int) -> str:
    """The question with control characters removed and whitespace collapsed.

    Raises ``QuestionError`` when nothing is left or it is longer than ``limit``.
    """
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, not {type(question).__name__}")
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", question))
    text = " ".join(text.split())
    if not text:
        raise QuestionError("the question is empty")
    if len(text) > limit:
        raise QuestionError(f"the question is too long ({len(text):,} characters; the limit is {limit:,})")
    return text


class Retriever:
    """Answers questions from a loaded ``Index`` with an ``Embedder``."""

    def __init__(self, index: Index, embedder, config: RetrievalConfig) -> None:  # noqa: ANN001
        self.index = index
        self.embedder = embedder
        self.config = config

    # -- public -------------------------------------------------------------------------

    def ask(self, question: str, k: int = 5, history: Sequence[str] | None = None) -> Answer:
        cleaned = clean_question(question, self.config.max_question_chars)
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise QuestionError(f"k must be a positive whole number, not {k!r}")
        k = min(k, 50)
        past = [clean for h in (history or []) if isinstance(h, str) and (clean := " ".join(_CONTROL.sub(" ", h).split()))]
        query = followup.resolve(cleaned, past)
        vector = self.embedder.embed([query])[0]
        tokens = tokenize(query)
        ranked = self._select(self._scored_pool(vector, tokens, query, k), k)
        excerpts = [excerpt for _, excerpt in ranked]
        answered = bool(ranked) and ranked[0][0].confidence >= self.config.answer_threshold
        return Answer(question=question, query=query, answered=answered, excerpts=excerpts)

    def rank_documents(self, question: str, n: int = 100) -> list[tuple[str, float]]:
        """Document ids by their best passage's score, best first (for document-level evaluation)."""
        query = clean_question(question, self.config.max_question_chars)
        vector = self.embedder.embed([query])[0]
        pool = self._scored_pool(vector, tokenize(query), query, n, rerank_all=True)
        best: dict[str, float] = {}
        for cand in pool:
            doc_id = cand.passage.doc_id
            if doc_id not in best:
                best[doc_id] = cand.score
        return list(best.items())[:n]

    # -- ranking ------------------------------------------------------------------------

    def _select(self, pool: list[Candidate], k: int) -> list[tuple[Candidate, Excerpt]]:
        """The best ``k`` excerpts, each showing something new.

        A passage whose text (or vector) repeats one already chosen is left out, and so is
        an excerpt whose highlight is already on screen: inside an excerpt chosen before
        it (neighbouring passages grow into the same text), or the same sentence quoted
        from another file. Each excerpt already taken from a document lowers that
        document's next candidates by ``DOCUMENT_PENALTY``, so that when several documents
        answer, more than one of them is shown.
        """
        chosen: list[tuple[Candidate, Excerpt]] = []
        keys: set[str] = set()
        highlights: set[str] = set()
        shown: dict[int, int] = {}
        remaining = list(pool)
        while remaining and len(chosen) < k:
            adjusted = [c.score - DOCUMENT_PENALTY * shown.get(c.passage.doc, 0) for c in remaining]
            best = int(np.argmax(adjusted))
            score = adjusted[best]  # never above an earlier pick's: penalties only grow
            cand = remaining.pop(best)
            key = "".join(ch for ch in fold(cand.passage.text) if ch.isalnum())
            if key in keys or self._repeats_vector(cand, chosen):
                continue
            keys.add(key)
            excerpt = self._excerpt(cand, score)
            start, end = cand.passage.sentences[int(np.argmax(cand.sentence_scores))]
            said = "".join(ch for ch in fold(cand.passage.text[start - cand.passage.start : end - cand.passage.start]) if ch.isalnum())
            if said in highlights or any(_overlaps(excerpt, other) for _, other in chosen):
                continue
            highlights.add(said)
            chosen.append((cand, excerpt))
            shown[cand.passage.doc] = shown.get(cand.passage.doc, 0) + 1
        return chosen

    def _repeats_vector(self, cand: Candidate, chosen: list[tuple[Candidate, Excerpt]]) -> bool:
        vectors = self.index.passage_vectors
        return any(float(vectors[c.row] @ vectors[cand.row]) > 0.97 for c, _ in chosen)

    def _scored_pool(
        self, vector: np.ndarray, tokens: list[str], query: str, k: int, rerank_all: bool = False
    ) -> list[Candidate]:
        """Candidates from FAISS and BM25, fused, the best of them rescored with their sentences, best first."""
        cfg = self.config
        total = self.index.manifest.passages
        n = min(total, max(cfg.candidates, 4 * k))
        lexical_all = self.index.lexical.scores(tokens)
        dense_rows: list[int] = []
        lexical_rows: list[int] = []
        if cfg.mode != "bm25":
            _, rows = self.index.dense.search(vector[None, :].astype(np.float32), n)
            dense_rows = [int(r) for r in rows[0] if r >= 0]
        if cfg.mode != "dense":
            lexical_rows = _top_rows(lexical_all, n)

        candidates: dict[int, Candidate] = {}
        for row in (*dense_rows, *lexical_rows):
            candidates.setdefault(row, Candidate(row))
        if not candidates:
            return []
        ids = np.fromiter(candidates, dtype=np.int64)
        dense = self.index.passage_vectors[ids] @ vector
        for cand, d in zip(candidates.values(), dense):
            cand.dense = float(d)
            cand.lexical = float(lexical_all[cand.row])
        self._fuse(candidates, dense_rows, lexical_rows, float(lexical_all.max(initial=0.0)) or 1.0)

        ordered = sorted(candidates.values(), key=lambda c: c.fused, reverse=True)
        pool = ordered if rerank_all else ordered[: max(cfg.rerank, 3 * k)]
        stored = self.index.store.passages([c.row for c in pool])
        for cand in pool:
            cand.passage = stored[cand.row]
        self._rescore(pool, vector, tokens, query)
        pool.sort(key=lambda c: c.score, reverse=True)
        return pool

    def _fuse(self, candidates: dict[int, Candidate], dense_rows: list[int], lexical_rows: list[int], top_lexical: float) -> None:
        cfg = self.config
        if cfg.fusion == "rrf":
            # Scaled so that a passage ranked first by both scores dense_weight + lexical_weight.
            for rank, row in enumerate(dense_rows, start=1):
                candidates[row].fused += cfg.dense_weight * (cfg.rrf_k + 1) / (cfg.rrf_k + rank)
            for rank, row in enumerate(lexical_rows, start=1):
                candidates[row].fused += cfg.lexical_weight * (cfg.rrf_k + 1) / (cfg.rrf_k + rank)
            return
        for cand in candidates.values():
            cand.fused = cfg.dense_weight * cand.dense + cfg.lexical_weight * cand.lexical / top_lexical

    def _rescore(self, pool: list[Candidate], vector: np.ndarray, tokens: list[str], query: str) -> None:
        """Score every sentence of every candidate; the best sentence joins the passage's score."""
        cfg = self.config
        weights = self.index.lexical.idf(list(dict.fromkeys(tokens)))
        kind = highlight.expected_type(query)
        for cand in pool:
            passage = cand.passage
            count = len(passage.sentences)
            vectors = np.asarray(self.index.sentence_vectors[passage.sent0 : passage.sent0 + count], dtype=np.float32)
            scores = cfg.sentence_weight * (vectors @ vector)
            seen: set[str] = set()
            for i, (start, end) in enumerate(passage.sentences):
                sentence = passage.text[start - passage.start : end - passage.start]
                found = set(tokenize(sentence))
                seen |= found
                scores[i] += cfg.coverage_weight * highlight.coverage(found, weights)
                if kind and highlight.has_type(sentence, kind, query):
                    scores[i] += cfg.type_weight
            cand.sentence_scores = scores
            cand.evidence = float(scores.max(initial=0.0))
            support = cand.evidence + cfg.passage_coverage_weight * highlight.coverage(seen, weights)
            # Absolute, unlike ``fused`` (BM25 is scaled by the query's best score, so some
            # passage always gets the full lexical weight): comparable across questions.
            cand.confidence = cfg.confidence_dense_weight * cand.dense + support
            cand.score = {"dense": cand.dense, "bm25": cand.lexical}.get(cfg.mode, cand.fused + support)

    # -- excerpts -----------------------------------------------------------------------

    def _excerpt(self, cand: Candidate, score: float) -> Excerpt:
        passage = cand.passage
        units, text_start, text = self._neighbourhood(passage)
        hl_start, hl_end = _highlight_span(passage, cand.sentence_scores)
        start, end = _window(units, hl_start, hl_end, text, text_start)
        excerpt_text = text[start - text_start : end - text_start]
        para = self.index.store.paragraph_at(passage.doc, hl_start)
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

    def _neighbourhood(self, passage: PassageRow) -> tuple[list[tuple[int, int]], int, str]:
        """Sentence units of the passage and its neighbours in the same section, and their text."""
        near = [
            p for p in self.index.store.passages_near(passage.doc, passage.start, passage.end)
            if p.section == passage.section
        ]
        units = sorted({u for p in near for u in p.sentences})
        lo, hi = units[0][0], units[-1][1]
        return units, lo, self.index.store.text(passage.doc, lo, hi)


def _highlight_span(passage: PassageRow, scores: np.ndarray) -> tuple[int, int]:
    """The best sentence; a short one takes its better neighbour in the same paragraph along,
    when both fit in 300 characters (a one-line answer often needs the sentence before it)."""
    units = passage.sentences
    best = int(np.argmax(scores))
    start, end = units[best]
    if end - start < 80:
        for j in sorted((j for j in (best - 1, best + 1) if 0 <= j < len(units)), key=lambda j: -scores[j]):
            lo, hi = min(start, units[j][0]), max(end, units[j][1])
            if hi - lo <= MAX_HIGHLIGHT_CHARS and "\n" not in passage.text[lo - passage.start : hi - passage.start]:
                return lo, hi
    return start, end


def _window(units: list[tuple[int, int]], hl_start: int, hl_end: int, text: str, offset: int) -> tuple[int, int]:
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


def _top_rows(scores: np.ndarray, n: int) -> list[int]:
    n = min(n, scores.shape[0])
    if n <= 0:
        return []
    rows = np.argpartition(-scores, n - 1)[:n]
    rows = rows[np.argsort(-scores[rows], kind="stable")]
    return [int(r) for r in rows if scores[r] > 0]


def _overlaps(excerpt: Excerpt, other: Excerpt) -> bool:
    """Whether ``excerpt`` adds nothing to ``other``: its highlight is already on screen there.

    Windows that merely share some context are both kept: each points at a different sentence.
    """
    a, b = excerpt.citation, other.citation
    if (a.source, a.doc_id) != (b.source, b.doc_id):
        return False
    overlap = min(a.start + excerpt.highlight_end, b.end) - max(a.start + excerpt.highlight_start, b.start)
    return overlap >= 0.9 * (excerpt.highlight_end - excerpt.highlight_start)
