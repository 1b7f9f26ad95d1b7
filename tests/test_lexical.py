"""Tokenizing for BM25 (pure logic)."""

from __future__ import annotations

from qabot.index.lexical import tokenize
from qabot.text import fold


def test_fold_strips_case_and_accents() -> None:
    assert fold("Coyoacán RAMÓN") == "coyoacan ramon"


def test_tokenize_stems_and_drops_stopwords() -> None:
    assert tokenize("Who assassinated Trotsky?") == ["assassin", "trotski"]
    assert tokenize("the assassination of Trotsky") == ["assassin", "trotski"]
    assert "the" not in tokenize("the ice pick")
    assert tokenize("5,000,000 workers in 1914") == ["5,000,000", "worker", "1914"]
    assert tokenize("") == [] and tokenize("?!") == []
