"""Tokenizing for BM25 (pure logic)."""

from __future__ import annotations

import time

from qabot.index.lexical import tokenize, words
from qabot.text import fold


def test_fold_strips_case_and_accents() -> None:
    assert fold("Coyoacán RAMÓN") == "coyoacan ramon"


def test_folding_a_long_run_of_accents_takes_a_time_that_grows_with_its_length() -> None:
    """Unicode's decomposition (NFKD) puts a run of accents in order with an insertion sort: a chat message of a
    letter and 64,000 accents of two kinds took 3 s each time its names were looked for (``Untangler.named``), and
    four times as long for twice as many. The result is the same as folding each character alone."""
    from qabot.corpus.conversations import Untangler
    from qabot.text import dedup_key

    huge = "a" + "\u0301\u0316" * 64_000  # the checks below took over a minute before
    started = time.perf_counter()
    assert fold(huge) == "a" and dedup_key(huge) == "a" and fold("\u0f73" * 64_000) == ""
    assert Untangler().named(f"ana: {huge}") == frozenset()
    assert time.perf_counter() - started < 2
    mixed = ("Ǖber Coyoaca\u0301n ǅemal \u0f73ﬁ ᾂ Ⅻ " + "e\u0301\u0316\u0300" * 100) * 50
    assert fold(mixed) == "".join(map(fold, mixed)) and fold(mixed).startswith("uber coyoacan dzemal fi αι xii eee")
    assert dedup_key(mixed) == "".join(map(dedup_key, mixed))


def test_tokenize_stems_and_drops_stopwords() -> None:
    assert tokenize("Who assassinated Trotsky?") == ["assassin", "trotski"]
    assert tokenize("the assassination of Trotsky") == ["assassin", "trotski"]
    assert "the" not in tokenize("the ice pick")
    assert tokenize("5,000,000 workers in 1914") == ["5,000,000", "worker", "1914"]
    assert tokenize("") == [] and tokenize("?!") == []


def test_a_word_with_soft_hyphens_is_one_word() -> None:
    """A soft hyphen marks where a word may break at a line's end (text copied from a web page or a Word file keeps
    them); the word shows whole, but was three BM25 words that no question asks for ("spec", "tro", "graph")."""
    assert tokenize("The spec\u00adtro\u00adgraph resolution") == tokenize("The spectrograph resolution")
    assert fold("Mit\u00adtel\u00adal\u00adter") == "mittelalter"


def test_chinese_and_japanese_words_are_pairs_of_characters() -> None:
    assert tokenize("焦距是多少？") == ["焦距", "距是", "是多", "多少"]
    assert tokenize("它的焦距") == ["它的", "的焦", "焦距"] and tokenize("漢") == ["漢"]
    assert tokenize("The 焦距 of a mount") == ["焦距", "mount"]
    assert tokenize("ヒーター") == tokenize("ヒーター")  # what is compared is folded alike on both sides


def test_half_width_katakana_is_read_in_pairs_as_full_width_katakana_is() -> None:
    """Half-width katakana (old Japanese systems, receipts, some exports) folds to the full-width form, but the run
    was looked for in the text before folding: a page in half-width was one BM25 word, a question in full-width pairs."""
    assert words("ｶﾒﾗ ﾚﾝｽﾞ") == words("カメラ レンズ") == ["カメ", "メラ", "レン", "ンス"]


def test_dedup_key_keeps_casefolded_letters_and_digits_of_any_text() -> None:
    import random
    import re
    import unicodedata

    from qabot.text import dedup_key

    def by_pattern(text: str) -> str:  # the definition; dedup_key takes a shortcut for ASCII
        return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKD", text.casefold()))

    every_ascii = "".join(map(chr, range(128)))
    assert dedup_key(every_ascii) == by_pattern(every_ascii) == "0123456789" + "abcdefghijklmnopqrstuvwxyz" * 2
    assert dedup_key("Ramón  Mercader, \u212a\u017f_ﬁ!") == by_pattern("Ramón  Mercader, \u212a\u017f_ﬁ!") == "ramonmercaderksfi"
    rng = random.Random(7)
    alphabet = [chr(c) for c in (*range(0x250), 0x301, 0x316, 0x212A, 0x17F, 0xFB01, 0x2460, 0x0915, 0x093F)]
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert dedup_key(text) == by_pattern(text), repr(text)
