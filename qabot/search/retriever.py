"""From a question to cited excerpts: search, fuse, rerank, highlight, abstain.

1. **Candidates.** The question is embedded once. The engine returns the nearest
   passages by cosine and the best by BM25; the two are fused (``candidates.fuse``: a
   convex combination of normalised scores by default, or reciprocal rank fusion).
2. **Rerank.** For every candidate, each sentence is scored against the question from
   arrays kept in the index (``evidence``): sentence vectors computed at index time (no
   extra model call) and the question's words each sentence holds. The best candidates'
   sentences are also read as text, for the kind of answer asked for and for captions.
   A passage's final score blends its fused score with its best sentence.
3. **Excerpts.** Near-duplicate passages appear once. ``excerpts`` cuts the highlight
   and the window of source text around it, with its citation.
4. **Abstention.** ``answered`` is False when the best evidence is weaker than the
   calibrated threshold; the closest excerpts are still returned.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qabot.embedding import Embedder
from qabot.index.engine import SearchEngine, run_starts
from qabot.index.lexical import tokenize
from qabot.index.scope import Scope
from qabot.models import Answer, Excerpt, RankedDocument
from qabot.search import evidence, excerpts, followup
from qabot.search.candidates import Candidate, fuse
from qabot.search.config import RetrievalConfig
from qabot.search.inputs import check_count, check_k, clean_history, clean_question, readable
from qabot.text import dedup_key

DOCUMENT_PENALTY = 0.02  # per excerpt already shown from the same document
SECOND_PASSAGE_WEIGHT = 0.25  # rank_documents: weight of a document's second-best passage (tuned on SciFact train)
REPEAT_COSINE = 0.97  # passages this similar to one already chosen say the same thing


class Retriever:
    """Answers questions from a ``SearchEngine`` with an ``Embedder``."""

    def __init__(self, engine: SearchEngine, embedder: Embedder, config: RetrievalConfig) -> None:
        self.engine = engine
        self.embedder = embedder
        self.config = config

    # -- public -------------------------------------------------------------------------

    def ask(
        self, question: str, k: int = 5, history: Sequence[str] | str | None = None, scope: Scope | None = None
    ) -> Answer:
        cleaned = clean_question(question, self.config.max_question_chars)
        k = check_k(k)
        query = followup.resolve(cleaned, clean_history(history))
        vector = self.embedder.embed([query])[0]
        ranked = self._select(self._scored_pool(vector, tokenize(query), query, k, scope), k)
        confidence = round(ranked[0][0].confidence, 6) if ranked else 0.0
        return Answer(
            question=readable(question),
            query=query,
            answered=bool(ranked) and confidence >= self.config.answer_threshold,
            confidence=confidence,
            excerpts=[excerpt for _, excerpt in ranked],
        )

    def rank_documents(self, question: str, n: int = 100, scope: Scope | None = None) -> list[RankedDocument]:
        """Documents by their best passage's score, best first (for document-level evaluation)."""
        query = clean_question(question, self.config.max_question_chars)
        n = check_count(n, "n")
        vector = self.embedder.embed([query])[0]
        pool = self._scored_pool(vector, tokenize(query), query, n, scope)
        doc_ids = self.engine.doc_ids([c.row for c in pool])
        scores: dict[str, list[float]] = {}
        for cand in pool:  # best first, so each list is too
            scores.setdefault(doc_ids[cand.row], []).append(cand.score)
        # A document is as good as its best passage; a second good one breaks near-ties.
        ranked = [
            RankedDocument(doc, s[0] + SECOND_PASSAGE_WEIGHT * (s[1] if len(s) > 1 else 0.0))
            for doc, s in scores.items()
        ]
        return sorted(ranked, key=lambda item: item.score, reverse=True)[:n]

    # -- ranking ------------------------------------------------------------------------

    def _scored_pool(
        self, vector: np.ndarray, tokens: list[str], query: str, k: int, scope: Scope | None = None
    ) -> list[Candidate]:
        """Candidates from both searches, fused and rescored with their sentences, best first.

        Everything but the answer-type check works on arrays the index keeps for this
        (sentence vectors, sentence term ids, sentences per passage), so the cost per
        question stays small next to embedding it; the answer type needs the text, and
        is checked only for the best ``typed`` candidates.
        """
        cfg = self.config
        n = min(self.engine.manifest.passages, max(cfg.candidates, 4 * k))
        found = self.engine.candidates(
            vector, tokens, n, dense=cfg.retrieval_mode != "bm25", lexical=cfg.retrieval_mode != "dense", scope=scope
        )
        if not len(found.rows):
            return []
        fused = fuse(found, cfg)
        seen = self.engine.evidence(found.rows)
        scores, coverage = evidence.sentence_scores(seen, vector, self.engine.idf(list(dict.fromkeys(tokens))), cfg)
        starts = run_starts(seen.counts)[:-1]
        pool = [
            Candidate(int(row), vec, float(d), float(lx), float(f), float(cfg.passage_coverage_weight * c), scores[a : a + m])
            for row, vec, d, lx, f, c, a, m in zip(
                found.rows, found.vectors, found.dense, found.lexical, fused, coverage, starts, seen.counts, strict=True
            )
        ]
        for cand in pool:
            cand.rescore(cfg)
        pool.sort(key=lambda c: c.score, reverse=True)

        # The best candidates' sentences, read as text: a caption or a heading is no answer,
        # and a sentence holding the kind of thing asked for ("when": a date) is a likelier one.
        kind = evidence.expected_type(query)
        if cfg.retrieval_mode == "hybrid" and (cfg.caption_penalty or (kind and cfg.type_weight)):
            top = pool[: max(cfg.typed, 2 * k)]
            self._fetch(top)
            for cand in top:
                assert cand.passage is not None
                evidence.adjust_for_text(cand.sentence_scores, cand.passage, kind, query, cfg)
                cand.rescore(cfg)
            pool.sort(key=lambda c: c.score, reverse=True)
        return pool

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
            assert passage is not None
            key = dedup_key(passage.text)
            if key in keys or any(float(c.vector @ cand.vector) > REPEAT_COSINE for c, _ in chosen):
                continue
            keys.add(key)
            found = excerpts.excerpt(self.engine, passage, cand.sentence_scores, score)
            start, end = passage.sentences[int(np.argmax(cand.sentence_scores))]
            said = dedup_key(passage.text[start - passage.start : end - passage.start])
            if said in highlights or any(excerpts.overlaps(found, other) for _, other in chosen):
                continue
            highlights.add(said)
            chosen.append((cand, found))
            shown[passage.doc] = shown.get(passage.doc, 0) + 1
        return chosen

    def _fetch(self, candidates: list[Candidate]) -> None:
        """Read the stored rows of the candidates that do not have theirs yet (one query)."""
        missing = [c for c in candidates if c.passage is None]
        if missing:
            stored = self.engine.passages([c.row for c in missing])
            for cand in missing:
                cand.passage = stored[cand.row]
