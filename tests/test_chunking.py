"""Passages: sentence boundaries, exact offsets, length limits."""

from __future__ import annotations

from qabot.chunking import MAX_SENTENCE_CHARS, pack, passages, sentence_units, split_sentences
from qabot.corpus import CorpusFile, load_file, paragraphs
from qabot.models import Document
from tests.conftest import DEFAULT_CORPUS


def _sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def test_sentence_split_respects_abbreviations_and_initials() -> None:
    text = 'Mr. Hansen met Leon D. Trotsky at 5 p.m. in Coyoacán. He said: “Go!” Then he left. e.g. this stays.'
    assert _sentences(text) == [
        "Mr. Hansen met Leon D. Trotsky at 5 p.m. in Coyoacán.",
        "He said: “Go!”",
        "Then he left. e.g. this stays.",
    ]


def test_chinese_and_japanese_sentences_end_at_their_full_stops() -> None:
    """Chinese and Japanese put no space after 。, so a paragraph was one sentence, cut every 300 characters
    mid-sentence, and a highlight was a run of several sentences; each read as a caption, lowered by the rerank."""
    from qabot.chunking import asks, is_caption

    chinese = "望远镜的口径是两百毫米。它的焦距是一千毫米！导星相机连接在哪里？「在背面。」主镜由硼硅玻璃制成。"
    assert _sentences(chinese) == ["望远镜的口径是两百毫米。", "它的焦距是一千毫米！", "导星相机连接在哪里？", "「在背面。」",
                                   "主镜由硼硅玻璃制成。"]
    japanese = "ドームは夕方に開きます。ヒーターは二十四ボルトで動きます。"
    assert _sentences(japanese) == ["ドームは夕方に開きます。", "ヒーターは二十四ボルトで動きます。"]
    assert _sentences("The price is ３．５ yen. それは安い。") == ["The price is ３．５ yen.", "それは安い。"]
    assert asks("导星相机连接在哪里？") and asks("هل القبة مفتوحة؟") and not asks("它的焦距是一千毫米。")
    assert not is_caption("它的焦距是一千毫米。") and is_caption("望远镜说明")
    assert _sentences("القبة مفتوحة؟ نعم هي مفتوحة. यह दूरबीन है। यह बड़ी है।") == [
        "القبة مفتوحة؟", "نعم هي مفتوحة.", "यह दूरबीन है।", "यह बड़ी है।"]


def test_a_sentence_in_markdown_emphasis_ends_and_asks_as_one_without_it() -> None:
    from qabot.chunking import asks

    assert _sentences("**Q: Where are the keys?** A: Ana has them. *Note.* Done.") == [
        "**Q: Where are the keys?**", "A: Ana has them.", "*Note.*", "Done."]
    assert asks("**Why does the dome not rotate?**") and asks("_Can I observe in the rain?_")


def test_a_table_row_is_no_caption() -> None:
    from qabot.chunking import is_caption

    assert not is_caption("Altitude | 15 degrees") and not is_caption("| Maximum humidity | 85 % |")
    assert is_caption("Bolshevik (1920) by Boris Kustodiev") and is_caption("Dome notes")


def test_long_sentences_are_cut_at_clause_breaks() -> None:
    text = "; ".join(f"clause number {i} of a very long sentence that keeps going" for i in range(20)) + "."
    units = sentence_units(text, 0, len(text))
    assert len(units) > 1
    assert all(e - s <= MAX_SENTENCE_CHARS for s, e in units)
    assert units[0][0] == 0 and units[-1][1] == len(text)


def test_a_long_run_of_dots_or_marks_is_split_in_linear_time(tmp_path) -> None:
    """A run of 20,000 dots (a table of contents' leaders gone wrong, a damaged file) took the sentence splitter 5 s,
    and a megabyte of them hours, outside any reader limit: it tried each dot as a sentence's end over the whole
    run. The whole build waited on it."""
    import time

    path = tmp_path / "leaders.txt"
    path.write_text(f"Contents {'.' * 20_000} 5\n\nWhy? {'!' * 20_000}x and {'?' * 20_000}\n", encoding="utf-8")
    (doc,) = load_file(CorpusFile(path, path.name))
    started = time.monotonic()
    found = list(passages(doc, list(doc.paragraphs), 600))
    assert time.monotonic() - started < 2
    assert found and all(doc.text[p.start : p.end] == p.text for p in found)
    assert _sentences("Why?! Yes... " + "." * 50 + " Done.") == ["Why?!", "Yes...", "." * 50, "Done."]


def test_pack_balances_and_limits() -> None:
    units = [(i * 100, i * 100 + 95) for i in range(7)]  # a 695-character paragraph
    groups = pack(units, 600)
    lengths = [g[-1][1] - g[0][0] for g in groups]
    assert len(groups) == 2 and max(lengths) <= 600 and min(lengths) >= 200


def test_offsets_round_trip_on_the_default_corpus() -> None:
    count = 0
    for path in sorted(DEFAULT_CORPUS.glob("*.txt")):
        (doc,) = load_file(CorpusFile(path, path.name))
        source = path.read_text(encoding="utf-8")
        for passage in passages(doc, paragraphs(doc.text, doc.body_start), 600):
            assert source[passage.start : passage.end] == passage.text
            assert 0 < len(passage.text) <= 600
            assert passage.text == passage.text.strip()
            for start, end in passage.sentences:
                assert passage.start <= start < end <= passage.end and end - start <= MAX_SENTENCE_CHARS
            count += 1
    assert count > 150


def test_smaller_passage_limit_is_respected() -> None:
    text = " ".join(f"Sentence {i} is here and it is moderately long." for i in range(40))
    doc = Document(doc_id="x", source="x.txt", text=text)
    found = list(passages(doc, paragraphs(text), 150))
    assert found and all(len(p.text) <= 150 for p in found)
    assert all(text[p.start : p.end] == p.text for p in found)
