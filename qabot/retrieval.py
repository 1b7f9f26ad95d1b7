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
from qabot.corpus import normalise_for_dedup
from qabot.errors import QuestionError
from qabot.index import Index, run_starts
from qabot.lexical import term_ids, tokenize
from qabot.models import Answer, Citation, Excerpt
from qabot.store import PassageRow

MAX_EXCERPT_CHARS = 600
MAX_HIGHLIGHT_CHARS = 300
DOCUMENT_PENALTY = 0.02  # per excerpt already shown from the same document
SECOND_PASSAGE_WEIGHT = 0.25  # rank_documents: weight of a document's second-best passage (tuned on SciFact train)
_ANAPHOR = re.compile(r"(?:He|She|They|It|His|Her|Their|Its|This|These|Those)\b")


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
    candidates: int = 100  # from each of dense and BM25; every one gets its sentences scored
    typed: int = 15  # the best candidates whose sentences are also checked for the answer type
    sentence_weight: float = 0.5
    coverage_weight: float = 0.3
    type_weight: float = 0.15
    caption_penalty: float = 0.1  # a caption-like unit (short, no closing punctuation) as the best sentence
    passage_coverage_weight: float = 0.3
    confidence_dense_weight: float = 0.5  # confidence = this * cosine(passage) + the passage's sentence support


@dataclass
class Candidate:
    """A passage that may answer: its scores, and (once fetched) its stored row."""

    row: int
    dense: float
    lexical: float
    score: float  # what the mode ranks by
    confidence: float  # the hybrid evidence, whatever the mode: what abstention compares
    sentence_scores: np.ndarray  # one per sentence of the passage
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
        confidence = round(ranked[0][0].confidence, 6) if ranked else 0.0
        answered = bool(ranked) and confidence >= self.config.answer_threshold
        return Answer(question=question, query=query, answered=answered, confidence=confidence, excerpts=excerpts)

    def rank_documents(self, question: str, n: int = 100) -> list[tuple[str, float]]:
        """Document ids by their best passage's score, best first (for document-level evaluation)."""
        query = clean_question(question, self.config.max_question_chars)
        vector = self.embedder.embed([query])[0]
        pool = self._scored_pool(vector, tokenize(query), query, n)
        doc_ids = self.index.store.doc_ids([c.row for c in pool])
        scores: dict[str, list[float]] = {}
        for cand in pool:  # best first, so each list is too
            scores.setdefault(doc_ids[cand.row], []).append(cand.score)
        # A document is as good as its best passage; a second good one breaks near-ties.
        ranked = {doc: s[0] + SECOND_PASSAGE_WEIGHT * (s[1] if len(s) > 1 else 0.0) for doc, s in scores.items()}
        return sorted(ranked.items(), key=lambda item: item[1], reverse=True)[:n]

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
        self._fetch(remaining[: 2 * k + 4])
        while remaining and len(chosen) < k:
            self._fetch(remaining[:1])
            adjusted = [
                c.score - DOCUMENT_PENALTY * shown.get(c.passage.doc, 0) if c.passage else c.score for c in remaining
            ]
            best = int(np.argmax(adjusted))
            score = adjusted[best]  # never above an earlier pick's: penalties only grow
            cand = remaining.pop(best)
            self._fetch([cand])
            passage = cand.passage
            key = normalise_for_dedup(passage.text)
            if key in keys or self._repeats_vector(cand, chosen):
                continue
            keys.add(key)
            excerpt = self._excerpt(cand, score)
            start, end = passage.sentences[int(np.argmax(cand.sentence_scores))]
            said = normalise_for_dedup(passage.text[start - passage.start : end - passage.start])
            if said in highlights or any(_overlaps(excerpt, other) for _, other in chosen):
                continue
            highlights.add(said)
            chosen.append((cand, excerpt))
            shown[passage.doc] = shown.get(passage.doc, 0) + 1
        return chosen

    def _fetch(self, candidates: list[Candidate]) -> None:
        """Read the stored rows of the candidates that do not have theirs yet (one query)."""
        missing = [c for c in candidates if c.passage is None]
        if missing:
            stored = self.index.store.passages([c.row for c in missing])
            for cand in missing:
                cand.passage = stored[cand.row]

    def _repeats_vector(self, cand: Candidate, chosen: list[tuple[Candidate, Excerpt]]) -> bool:
        vectors = self.index.passage_vectors
        return any(float(vectors[c.row] @ vectors[cand.row]) > 0.97 for c, _ in chosen)

    def _scored_pool(self, vector: np.ndarray, tokens: list[str], query: str, k: int) -> list[Candidate]:
        """Candidates from FAISS and BM25, fused and rescored with their sentences, best first.

        Everything but the answer-type check works on arrays the index keeps for this
        (sentence vectors, sentence term ids, sentences per passage), so the cost per
        question stays small next to embedding it; the answer type needs the text, and
        is checked only for the best ``typed`` candidates.
        """
        cfg = self.config
        index = self.index
        n = min(index.manifest.passages, max(cfg.candidates, 4 * k))
        lexical_all = index.lexical.scores(tokens)
        dense_rows = np.empty(0, dtype=np.int64)
        lexical_rows = np.empty(0, dtype=np.int64)
        if cfg.mode != "bm25":
            _, found = index.dense.search(vector[None, :].astype(np.float32), n)
            dense_rows = found[0][found[0] >= 0].astype(np.int64)
        if cfg.mode != "dense":
            lexical_rows = np.asarray(_top_rows(lexical_all, n), dtype=np.int64)
        rows = np.unique(np.concatenate([dense_rows, lexical_rows]))
        if not len(rows):
            return []
        dense = index.passage_vectors[rows] @ vector
        lexical = lexical_all[rows].astype(np.float32)
        fused = self._fuse(rows, dense, lexical, dense_rows, lexical_rows, float(lexical_all.max(initial=0.0)) or 1.0)

        # Every sentence of every candidate: cosine, and the share of the question it covers.
        first, last = index.sentence_start[rows], index.sentence_start[rows + 1]
        counts = (last - first).astype(np.int64)
        sentences = _ranges(first, counts)
        starts = run_starts(counts)[:-1]  # where each candidate's sentences start in ``sentences``
        cosine = np.asarray(index.sentence_vectors[sentences], dtype=np.float32) @ vector
        present, weights = self._terms_present(sentences, tokens)  # [sentences, query terms], idf
        total = float(weights.sum()) or 1.0
        coverage = present @ weights / total
        passage_coverage = np.maximum.reduceat(present, starts, axis=0) @ weights / total if present.size else np.zeros(len(rows))
        sentence_scores = cfg.sentence_weight * cosine + cfg.coverage_weight * coverage

        pool = [
            Candidate(int(row), float(d), float(lx), 0.0, 0.0, sentence_scores[a : a + c])
            for row, d, lx, a, c in zip(rows, dense, lexical, starts, counts)
        ]
        extra = cfg.passage_coverage_weight * passage_coverage
        for cand, f, x in zip(pool, fused, extra):
            self._score(cand, float(f), float(x))
        pool.sort(key=lambda c: c.score, reverse=True)

        # The best candidates' sentences, read as text: a caption or a heading is no answer,
        # and a sentence holding the kind of thing asked for ("when": a date) is a likelier one.
        kind = highlight.expected_type(query)
        if cfg.mode == "hybrid" and (cfg.caption_penalty or (kind and cfg.type_weight)):
            top = pool[: max(cfg.typed, 2 * k)]
            self._fetch(top)
            for cand in top:
                passage = cand.passage
                for i, (start, end) in enumerate(passage.sentences):
                    sentence = passage.text[start - passage.start : end - passage.start]
                    if highlight.is_caption(sentence):
                        cand.sentence_scores[i] -= cfg.caption_penalty
                    elif kind and highlight.has_type(sentence, kind, query):
                        cand.sentence_scores[i] += cfg.type_weight
                at = np.searchsorted(rows, cand.row)
                self._score(cand, float(fused[at]), float(extra[at]))
            pool.sort(key=lambda c: c.score, reverse=True)
        return pool

    def _score(self, cand: Candidate, fused: float, passage_coverage: float) -> None:
        cfg = self.config
        support = float(cand.sentence_scores.max(initial=0.0)) + passage_coverage
        # Absolute, unlike ``fused`` (BM25 is scaled by the query's best score, so some
        # passage always gets the full lexical weight): comparable across questions.
        cand.confidence = cfg.confidence_dense_weight * cand.dense + support
        cand.score = {"dense": cand.dense, "bm25": cand.lexical}.get(cfg.mode, fused + support)

    def _terms_present(self, sentences: np.ndarray, tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Which of the question's terms each sentence holds ([sentences, terms] of 0/1), and their idf."""
        weights = self.index.lexical.idf(list(dict.fromkeys(tokens)))
        if not weights:
            return np.zeros((len(sentences), 0), dtype=np.float32), np.zeros(0, dtype=np.float32)
        by_id = {int(term_ids([t])[0]): w for t, w in weights.items()}
        ids = np.array(sorted(by_id), dtype=np.uint32)
        idf = np.array([by_id[int(i)] for i in ids], dtype=np.float32)
        lo, hi = self.index.term_start[sentences], self.index.term_start[sentences + 1]
        flat = np.asarray(self.index.terms[_ranges(lo, hi - lo)])
        owner = np.repeat(np.arange(len(sentences)), hi - lo)
        slot = np.minimum(np.searchsorted(ids, flat), len(ids) - 1)
        hit = ids[slot] == flat
        present = np.zeros((len(sentences), len(ids)), dtype=np.float32)
        present[owner[hit], slot[hit]] = 1.0
        return present, idf

    def _fuse(self, rows: np.ndarray, dense: np.ndarray, lexical: np.ndarray, dense_rows: np.ndarray,
              lexical_rows: np.ndarray, top_lexical: float) -> np.ndarray:
        cfg = self.config
        if cfg.fusion == "rrf":
            # Scaled so that a passage ranked first by both scores dense_weight + lexical_weight.
            fused = np.zeros(len(rows), dtype=np.float32)
            for weight, ranked in ((cfg.dense_weight, dense_rows), (cfg.lexical_weight, lexical_rows)):
                at = np.searchsorted(rows, ranked)
                fused[at] += weight * (cfg.rrf_k + 1) / (cfg.rrf_k + np.arange(1, len(ranked) + 1))
            return fused
        return cfg.dense_weight * dense + cfg.lexical_weight * lexical / top_lexical

    # -- excerpts -----------------------------------------------------------------------

    def _excerpt(self, cand: Candidate, score: float) -> Excerpt:
        passage = cand.passage
        units, text_start, text = self._neighbourhood(passage)
        hl_start, hl_end = _highlight_span(passage, cand.sentence_scores, units, text, text_start)
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


def _highlight_span(
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


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The concatenation of ``arange(start, start + count)`` for each pair, without a Python loop."""
    counts = np.asarray(counts, dtype=np.int64)
    keep = counts > 0
    starts, counts = np.asarray(starts, dtype=np.int64)[keep], counts[keep]
    if not len(counts):
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    steps = np.ones(int(ends[-1]), dtype=np.int64)
    steps[0] = starts[0]
    # Where each run begins, jump from the previous run's last value to this run's start.
    steps[ends[:-1]] = starts[1:] - (starts[:-1] + counts[:-1] - 1)
    return np.cumsum(steps)
