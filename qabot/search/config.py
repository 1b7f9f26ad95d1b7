"""``RetrievalConfig``: every knob of the ranking, and the one place they are read from settings."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qabot.settings import Settings


@dataclass(frozen=True)
class RetrievalConfig:
    """Knobs of the ranking. The first group are ``Settings`` fields of the same names (see
    .env.example); the rest were tuned on ../shared/eval/dev.jsonl, tests/data/dev_extra.jsonl
    and SciFact's training queries (docs/quality.md), never on a test split.

    In hybrid mode a candidate passage scores::

        fused    = dense_weight * cosine(question, passage) + lexical_weight * bm25 / best bm25
        sentence = sentence_weight * cosine(question, sentence)
                   + coverage_weight * coverage(sentence) + type_weight * has_answer_type(sentence)
                   + entry_weight * opens_an_entry_for_a_name_asked(sentence)  # "NOCASE - ..."
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

    # -- from Settings (same names) -----------------------------------------------------
    retrieval_mode: str = "hybrid"
    fusion: str = "convex"
    dense_weight: float = 0.5
    lexical_weight: float = 0.2
    rrf_k: int = 60
    answer_threshold: float = 0.7
    max_question_chars: int = 2000
    # -- tuned --------------------------------------------------------------------------
    candidates: int = 100  # from each of dense and BM25; every one gets its sentences scored
    typed: int = 15  # the best candidates whose sentences are also checked for the answer type
    sentence_weight: float = 0.5
    coverage_weight: float = 0.3
    type_weight: float = 0.15
    entry_weight: float = 0.15  # a sentence that opens as the entry of a name the question asks about ("NOCASE - ...")
    caption_penalty: float = 0.1  # a caption-like unit (short, no closing punctuation) as the best sentence
    question_penalty: float = 0.2  # a sentence that asks (a chat question) as the best sentence
    passage_coverage_weight: float = 0.3
    confidence_dense_weight: float = 0.5  # confidence = this * cosine(passage) + the passage's sentence support
    chat_confidence: float = 0.18  # added to a chat excerpt's: short messages score lower on the same evidence (chat-dev)
    answer_weight: float = 0.3  # times a chat candidate's best answer's worth (``exchange.worth``), added (both chat sets)
    unknown_penalty: float = 1.0  # times the share of the question naming what no passage holds, off a chat's (chat sets)
    missing_penalty: float = 0.3  # times the share of the question naming what the chat's exchange does not hold, off it
    accepted_bonus: float = 0.05  # added to the score of a chat exchange with an accepted answer (marked, thanked, solved)

    @classmethod
    def from_settings(cls, settings: Settings) -> RetrievalConfig:
        """The fields ``settings`` has (by name); the tuned ones keep their defaults."""
        known = type(settings).model_fields
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls) if f.name in known})
