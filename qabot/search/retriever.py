"""From a question to cited excerpts: search, fuse, rerank, highlight, abstain.

1. **Candidates.** The question is embedded once. The engine returns the nearest
   passages by cosine and the best by BM25; the two are fused (``candidates.fuse``: a
   convex combination of normalised scores by default, or reciprocal rank fusion).
2. **Rerank.** For every candidate, each sentence is scored against the question from
   arrays kept in the index (``evidence``): sentence vectors computed at index time (no
   extra model call) and the question's words each sentence holds. The best candidates'
   sentences are also read as text, for the kind of answer asked for and for captions.
   A passage's final score blends its fused score with its best sentence.
   In a chat, the best candidates are also weighed by their exchange's answer
   (``exchange.worth`` of its best message): an exchange that asked the same question
   and got "no idea" ranks behind one where someone said what to do.
3. **Excerpts.** Near-duplicate passages appear once. ``excerpts`` cuts the highlight
   and the window of source text around it, with its citation.
4. **Abstention.** ``answered`` is False when the best evidence is weaker than the
   calibrated threshold; the closest excerpts are still returned.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from qabot.chunking import CHAT
from qabot.corpus.chat import ACCEPTED
from qabot.embedding import Embedder
from qabot.index.engine import PassageRow, SearchEngine, forgets_on_change, ranges, run_starts
from qabot.index.lexical import tokenize, words
from qabot.index.scope import Scope
from qabot.models import Answer, Excerpt, RankedDocument
from qabot.search import evidence, excerpts, exchange, followup, lexicon
from qabot.search.candidates import Pool, fuse
from qabot.search.config import RetrievalConfig
from qabot.search.inputs import check_count, check_k, clean_history, clean_question, readable, says_nothing
from qabot.search.thanks import Kept
from qabot.text import dedup_key as _dedup_key

DOCUMENT_PENALTY = 0.02  # per excerpt already shown from the same document
SECOND_PASSAGE_WEIGHT = 0.25  # rank_documents: weight of a document's second-best passage (tuned on SciFact train)
REPEAT_COSINE = 0.97  # passages this similar to one already chosen say the same thing
ALSO = 20  # the best candidates whose passages of a chat's exchange join its answer's candidates
_NOWHERE = "\x00"  # a term no passage can hold: its idf is that of every term the corpus lacks
TYPICAL_WORTH = 0.6  # about what an exchange's best answer is worth (0.60, the median on chat-dev and chat-extra)
WORTH_READ = 10  # the best candidates whose exchange's answer is weighed before choosing (whatever ``k`` is)
UNANSWERED = 1.0  # lowers a chat's question that nobody else in its exchange answered behind those answered

# The same passages and highlights come back question after question; their keys are worked out once.
dedup_key = lru_cache(maxsize=8192)(_dedup_key)


@dataclass(frozen=True)
class _Asked:
    """The question as the sentence scores need it."""

    vector: np.ndarray
    idf: dict[str, float]
    kind: str | None
    query: str
    unknown: float = 0.0  # the share of its terms (by idf) that name something no passage holds (``unknown_share``)
    mistyped: frozenset[str] = frozenset()  # its words that are ordinary ones mistyped (``Retriever.mistyped``)

    @cached_property
    def named(self) -> frozenset[str]:
        """Its terms that name something, not ordinary words (``named_terms``): asked for chat excerpts only."""
        return named_terms(self.query, self.mistyped)


def named_terms(query: str, mistyped: frozenset[str] = frozenset()) -> frozenset[str]:
    """The terms of a question's words that name something rather than being ordinary words ("mdadm", "18.04"), or
    ordinary words ``mistyped`` ("anoher"). A letter alone names nothing: an axis ("Y"), "plan B", the "n" of
    "O(n)", French's "l'" and "n'"."""
    return frozenset(stem for word in words(query) if len(word) > 1 and not lexicon.is_ordinary(word)
                     and word not in mistyped for stem in tokenize(word))


def missing_share(text: str, asked: _Asked) -> float:
    """The share of the question's terms (by idf) that name something ``text`` (a chat's exchange) never mentions.

    A question about "a RAID 5 array with mdadm" matched to an exchange about RAID 5 where nobody says mdadm is
    likelier a near miss than an answer. Only names count: an answerable question put in other words than the chat's
    has other ordinary words, not other names. A name no passage holds at all costs ``unknown_penalty`` too.
    """
    total = sum(asked.idf.values())
    if not total or not asked.named:
        return 0.0
    held = _terms(text)
    return sum(asked.idf.get(stem, 0.0) for stem in asked.named - held) / total


@lru_cache(maxsize=512)
def _terms(text: str) -> frozenset[str]:
    """The terms of a chat exchange's text (the same exchanges are read question after question)."""
    return frozenset(tokenize(text))


forgets_on_change(_terms.cache_clear)
forgets_on_change(dedup_key.cache_clear)


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
        query = followup.resolve(cleaned, clean_history(history, self.config.max_question_chars))
        vector = self.embedder.embed([query])[0]
        tokens = tokenize(query)
        idf = self.engine.idf(list(dict.fromkeys(tokens)))
        absent = self._absent(idf)
        mistyped = self.mistyped(query, idf, absent)
        asked = _Asked(vector, idf, evidence.expected_type(query), query,
                       self.unknown_share(query, idf, mistyped, absent), mistyped)
        ranked = self._select(self._scored_pool(vector, tokens, query, k, scope, asked.idf), k, asked)
        confidence = round(ranked[0][0], 6) if ranked else 0.0
        return Answer(
            question=readable(question),
            query=query,
            answered=bool(ranked) and confidence >= self.config.answer_threshold and not says_nothing(cleaned, query),
            confidence=confidence,
            excerpts=[excerpt for _, excerpt in ranked],
        )

    def unknown_share(self, query: str, idf: dict[str, float], mistyped: frozenset[str] = frozenset(),
                      absent: set[str] | None = None) -> float:
        """The share of the question's terms (weighted by idf) that no passage holds and that are not ordinary words:
        names of things the corpus never mentions ("WireGuard", "zram", "8080"), not other words for what it says,
        nor ordinary words ``mistyped``. ``absent``: the terms no passage holds, where the caller has them."""
        total = sum(idf.values())
        if not total:
            return 0.0
        absent = self._absent(idf) if absent is None else absent
        if not absent:  # the usual case: every term is somewhere, and no word need be looked up
            return 0.0
        return sum(idf[stem] for stem in named_terms(query, mistyped) & absent) / total

    def mistyped(self, query: str, idf: dict[str, float], absent: set[str] | None = None) -> frozenset[str]:
        """The question's words that no passage holds and that are an ordinary word the corpus does hold, mistyped
        once (``lexicon.corrections``: "anoher", "dirctly"): chat questions are typed in a hurry, and such a word is
        no name the corpus never mentions. A name one letter from a word ("vulkan", "jupyter") stays a name where the
        corpus holds no "vulcan" or "jupiter"."""
        absent = self._absent(idf) if absent is None else absent
        if not absent:
            return frozenset()
        fixes: dict[str, frozenset[str]] = {}
        for word in dict.fromkeys(words(query)):
            if set(tokenize(word)) <= absent and (fixed := lexicon.corrections(word)):
                fixes[word] = fixed
        if not fixes:
            return frozenset()
        stems = {fix: tokenize(fix) for fixed in fixes.values() for fix in fixed}  # a stopword has none: it is held
        known = self.engine.idf(list(dict.fromkeys(stem for found in stems.values() for stem in found)))
        nowhere = self._nowhere()
        return frozenset(word for word, fixed in fixes.items()
                         if any(all(known[stem] < nowhere for stem in stems[fix]) for fix in fixed))

    def _nowhere(self) -> float:
        """The idf of a term no passage holds."""
        return self.engine.idf([_NOWHERE])[_NOWHERE]

    def _absent(self, idf: dict[str, float]) -> set[str]:
        """The terms of ``idf`` that no passage holds."""
        nowhere = self._nowhere()
        return {stem for stem, weight in idf.items() if weight >= nowhere}

    def rank_documents(self, question: str, n: int = 100, scope: Scope | None = None) -> list[RankedDocument]:
        """Documents by their best passage's score, best first (for document-level evaluation)."""
        query = clean_question(question, self.config.max_question_chars)
        n = check_count(n, "n")
        vector = self.embedder.embed([query])[0]
        pool = self._scored_pool(vector, tokenize(query), query, n, scope)
        if pool is None:
            return []
        rows = pool.rows[pool.order]
        doc_ids = self.engine.doc_ids(rows.tolist())
        scores: dict[str, list[float]] = {}
        for row, score in zip(rows.tolist(), pool.score[pool.order].tolist(), strict=True):  # best first
            scores.setdefault(doc_ids[row], []).append(score)
        # A document is as good as its best passage; a second good one breaks near-ties.
        ranked = [
            RankedDocument(doc, s[0] + SECOND_PASSAGE_WEIGHT * (s[1] if len(s) > 1 else 0.0))
            for doc, s in scores.items()
        ]
        return sorted(ranked, key=lambda item: item.score, reverse=True)[:n]

    # -- ranking ------------------------------------------------------------------------

    def _scored_pool(
        self, vector: np.ndarray, tokens: list[str], query: str, k: int, scope: Scope | None = None,
        idf: dict[str, float] | None = None,
    ) -> Pool | None:
        """Candidates from both searches, fused and rescored with their sentences, ranked.

        Everything but the answer-type check works on arrays the index keeps for this
        (sentence vectors, sentence term ids, caption flags, sentences per passage), so the
        cost per question stays small next to embedding it; the answer type needs the text,
        and is checked only for the best ``typed`` candidates.
        """
        cfg = self.config
        n = min(self.engine.manifest.passages, max(cfg.candidates, 4 * k))
        found = self.engine.candidates(
            vector, tokens, n, dense=cfg.retrieval_mode != "bm25", lexical=cfg.retrieval_mode != "dense", scope=scope
        )
        if not len(found.rows):
            return None
        seen = self.engine.evidence(found.rows)
        if idf is None:
            idf = self.engine.idf(list(dict.fromkeys(tokens)))
        scores, coverage = evidence.sentence_scores(seen, vector, idf, cfg)
        pool = Pool(found, fuse(found, cfg), coverage, seen, scores, cfg)
        pool.rank()

        # The best candidates' sentences, read as text: a caption or a heading is no answer,
        # and a sentence holding the kind of thing asked for ("when": a date) is a likelier one.
        kind = evidence.expected_type(query)
        if cfg.retrieval_mode == "hybrid" and (cfg.caption_penalty or (kind and cfg.type_weight)):
            top = pool.order[: max(cfg.typed, 2 * k)]
            self._fetch(pool, top.tolist())
            at = ranges(pool.starts[top], pool.counts[top])  # their sentences' places in the pool
            texts = [text for position in top.tolist() for text in evidence.sentence_texts(pool.passages[position])]
            flags = None if seen.flags is None else seen.flags[at]
            chat = np.repeat([self._is_chat(pool.passages[p], pool.sentence_flags(p)) for p in top.tolist()],
                             pool.counts[top])
            evidence.adjust_for_text(pool.sentence_scores, at, flags, texts, kind, query, cfg, chat)
            pool.rescore()
            pool.rank()
        if cfg.retrieval_mode == "hybrid" and cfg.accepted_bonus:
            # A chat exchange whose asker accepted an answer (or a forum post tagged solved) ranks a little higher.
            top = pool.order[: max(cfg.typed, 2 * k)].tolist()
            self._fetch(pool, top)
            accepted: dict[int, bool] = {}
            for position in top:
                passage = pool.passages[position]
                if passage is not None and self._is_chat(passage, pool.sentence_flags(position)):
                    if passage.doc not in accepted:
                        accepted[passage.doc] = any(p.role == ACCEPTED for p in self.engine.paragraphs(passage.doc))
                    pool.bonus[position] = cfg.accepted_bonus * accepted[passage.doc]
            if accepted:
                pool.rescore()
                pool.rank()
        return pool

    def _scores_of(self, passages: list[PassageRow], asked: _Asked) -> dict[int, np.ndarray]:
        """The sentence scores of some passages (an exchange's, beside a candidate), as the rerank gives them."""
        if not passages:
            return {}
        rows = np.array([p.row for p in passages], dtype=np.int64)
        seen = self.engine.evidence(rows)
        scores, _ = evidence.sentence_scores(seen, asked.vector, asked.idf, self.config)
        texts = [text for p in passages for text in evidence.sentence_texts(p)]
        at = np.arange(len(texts))
        starts = run_starts(seen.counts)
        flags = seen.flags
        chat = np.repeat([self._is_chat(p, None if flags is None else flags[starts[n] : starts[n + 1]])
                          for n, p in enumerate(passages)], seen.counts)
        evidence.adjust_for_text(scores, at, seen.flags, texts, asked.kind, asked.query, self.config, chat)
        return {p.row: scores[starts[n] : starts[n + 1]] for n, p in enumerate(passages)}

    def _found_with(self, pool: Pool, order: np.ndarray, passage: PassageRow) -> list[PassageRow]:
        """The best candidates (the first ``ALSO``) of the same document as ``passage``, read."""
        top = order[:ALSO].tolist()
        self._fetch(pool, top)
        return [p for p in (pool.passages[i] for i in top) if p is not None and p.doc == passage.doc]

    def _is_chat(self, passage: PassageRow | None, flags: np.ndarray | None = None) -> bool:
        """Whether a passage is part of a chat's exchange (its paragraphs have an author and a group).

        The build stores the answer in its sentences' flags (``chunking.CHAT``); read from the
        paragraph only where no flags came with the passage.
        """
        if passage is None:
            return False
        if flags is not None and len(flags):
            return bool(flags[0] & CHAT)
        return exchange.is_chat(self.engine.paragraph_at(passage.doc, passage.start))

    def _select(self, pool: Pool | None, k: int, asked: _Asked) -> list[tuple[float, Excerpt]]:
        """The best ``k`` excerpts, each showing something new, with the confidence of each.

        A passage whose text (or vector) repeats one already chosen is left out, and so is
        an excerpt whose highlight is already on screen: inside an excerpt chosen before
        it (neighbouring passages grow into the same text), or the same sentence quoted
        from another file. Each excerpt already taken from a document lowers that
        document's next candidates by ``DOCUMENT_PENALTY``, so that when several documents
        answer, more than one of them is shown.
        """
        if pool is None:
            return []
        chosen: list[tuple[float, Excerpt]] = []
        chosen_vectors: list[np.ndarray] = []
        keys: set[str] = set()
        highlights: set[str] = set()
        shown: dict[int, int] = {}
        deferred: set[int] = set()  # unanswered chat questions, moved back once
        fed: set[int] = set()  # bots' feeds, held back once
        answers: set[tuple[int, int]] = set()  # the chat messages highlighted so far: (document, start)
        read: dict[int, exchange.Exchange | None] = {}  # the exchange around each chat candidate, once read
        thanks: Kept = {}  # what each exchange's asker thanked, once read

        def exchange_of(position: int, passage: PassageRow) -> exchange.Exchange | None:
            if position not in read:
                read[position] = exchange.read(
                    self.engine, passage, pool.sentences(position), lambda rows: self._scores_of(rows, asked),
                    asked.query, asked.idf, self._found_with(pool, pool.order, passage), thanks,
                ) if self._is_chat(passage, pool.sentence_flags(position)) else None
            return read[position]

        self._fetch(pool, pool.order[: 2 * k + 4].tolist())
        if self.config.answer_weight and self.config.retrieval_mode == "hybrid":
            # A chat candidate is worth what its exchange's best answer is worth: an exchange where nobody says
            # much of use ranks behind one with a real answer.
            top = pool.order[:WORTH_READ].tolist()
            self._fetch(pool, top)
            chats = {position: exchange_of(position, pool.passages[position]) for position in top}
            if any(chat is not None for chat in chats.values()):
                for position, chat in chats.items():
                    if chat is None:  # prose beside chat: what a chat's answer is usually worth, so neither gains
                        pool.bonus[position] += self.config.answer_weight * TYPICAL_WORTH
                    elif chat.options:
                        pool.bonus[position] += self.config.answer_weight * exchange.worth(exchange.best(chat))
                pool.rescore()
                pool.rank()
        order = pool.order
        named = (evidence.labels(asked.query) if self.config.entry_weight and self.config.retrieval_mode == "hybrid"
                 else frozenset())  # the plain dense and BM25 baselines highlight their best sentence
        alive = np.ones(len(order), dtype=bool)  # by rank
        held = np.zeros(len(order), dtype=bool)  # bots' feeds (``Exchange.feed``): shown only where nothing else is
        while alive.any() and len(chosen) < k:
            live = alive & ~held if fed else alive  # no feed held yet (prose never has one): no array to make
            if not live.any():
                if chosen:
                    break
                held[:] = False
                live = alive
            self._fetch(pool, [int(order[int(np.argmax(alive))])])
            # The documents already shown lower their other candidates (those read so far).
            adjusted = np.where(live, pool.score[order], -np.inf)
            if shown:
                docs = pool.doc[order]
                for doc, times in shown.items():
                    hit = alive & (docs == doc)
                    adjusted[hit] = adjusted[hit] - DOCUMENT_PENALTY * times
            rank = int(np.argmax(adjusted))
            score = float(adjusted[rank])  # never above an earlier pick's: penalties only grow
            alive[rank] = False
            position = int(order[rank])
            self._fetch(pool, [position])
            passage = pool.passages[position]
            assert passage is not None
            key = dedup_key(passage.text)
            vector = pool.vectors[position]
            if key in keys or any(float(v @ vector) > REPEAT_COSINE for v in chosen_vectors):
                continue
            keys.add(key)
            sentence_scores = pool.sentences(position)
            lift = self.config.question_penalty
            chat = exchange_of(position, passage)
            confidence = float(pool.confidence[position])
            if chat is not None:
                confidence += (self.config.chat_confidence - self.config.unknown_penalty * asked.unknown
                               - self.config.missing_penalty * missing_share(chat.text, asked))
            if chat is not None and not chat.options and chat.idle.issuperset(chat.units):
                continue  # an exchange of nothing but thanks and courtesy ("Lia: thank you so much!", "np") shows nothing
            if chat is not None and chat.feed and position not in fed:
                fed.add(position)  # a bot's feed waits behind everything else: once nothing else is left, it may show
                keys.discard(key)
                held[rank] = alive[rank] = True
                continue
            if chat is not None and not chat.options:
                # A question nobody answered (in a chat) is no answer: it waits behind those that were.
                if position not in deferred:
                    deferred.add(position)
                    keys.discard(key)
                    pool.score[position] -= UNANSWERED
                    alive[rank] = True
                    continue
                confidence = 0.0  # a question is not its own answer
            if chat is not None and chat.options:
                # An answer already shown is not shown twice: the exchange's next best one is.
                chat = dataclasses.replace(chat, options=[o for o in chat.options
                                                          if (passage.doc, o.para.start) not in answers])
                if not chat.options:
                    continue
                answer = exchange.best(chat)
                assert answer is not None
                answers.add((passage.doc, answer.para.start))
            found = excerpts.excerpt(self.engine, passage, sentence_scores, score, lift, pool.sentence_flags(position),
                                     chat, named)
            if chat is not None and chat.options:
                said = dedup_key(found.highlight)
            else:
                start, end = passage.sentences[int(np.argmax(sentence_scores))]
                said = dedup_key(passage.text[start - passage.start : end - passage.start])
            if said in highlights or any(excerpts.overlaps(found, other) for _, other in chosen):
                continue
            highlights.add(said)
            chosen.append((confidence, found))
            chosen_vectors.append(vector)
            shown[passage.doc] = shown.get(passage.doc, 0) + 1
        return chosen

    def _fetch(self, pool: Pool, positions: list[int]) -> None:
        """Read the stored rows of the candidates at ``positions`` that do not have theirs yet (one query)."""
        missing = [p for p in positions if pool.passages[p] is None]
        if missing:
            stored = self.engine.passages(pool.rows[missing].tolist())
            for p in missing:
                pool.passages[p] = passage = stored[int(pool.rows[p])]
                pool.doc[p] = passage.doc
