"""Text formatted for a terminal (qabot.corpus.terminal), read as a reader sees it, on real man pages.

tests/data/formats/text holds two man pages saved from ``man`` (SOURCES.md there says
how): zstd(1) with ANSI escape sequences and groff's hyphen (U+2010) at line ends, and
zlib(3) with overstrike (``N\\bNA\\bA``) and ASCII hyphens, as ``man`` writes them.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from qabot.adapters.terminal import plain_answer
from qabot.corpus import CorpusFile, document_paragraphs, load_file
from qabot.corpus.terminal import plain
from qabot.models import Document

TEXTS = Path(__file__).parent / "data" / "formats" / "text"


def _one(name: str) -> Document:
    (doc,) = load_file(CorpusFile(TEXTS / name, name))
    return doc


def _flat(text: str) -> str:
    return " ".join(text.split())


def _headings(doc: Document) -> list[str]:
    return [doc.text[p.start : p.end] for p in document_paragraphs(doc) if p.heading]


def test_a_man_page_with_escape_sequences_reads_as_on_the_terminal() -> None:
    raw = (TEXTS / "zstd.1.txt").read_text(encoding="utf-8")
    assert "\x1b[1mNAME\x1b[0m" in raw and "notifica\u2010\n" in raw  # what the file holds
    doc = _one("zstd.1.txt")
    assert "\x1b" not in doc.text and "\u2010\n" not in doc.text
    text = _flat(doc.text)
    assert "zstd displays progress notifications and result summary by default." in text
    assert "Ki, K, and KB are accepted as synonyms for KiB." in text  # "ac‐" / "cepted" on two lines
    assert "copied as-is from the input to the output." in text  # "as-is" keeps its own hyphen
    assert _headings(doc)[:5] == ["NAME", "SYNOPSIS", "DESCRIPTION", "Concatenation with .zst Files", "OPTIONS"]
    rm = next(p for p in document_paragraphs(doc) if "--rm command" in doc.text[p.start : p.end])
    assert rm.section == "DESCRIPTION"


def test_a_man_page_in_overstrike_reads_as_on_the_terminal() -> None:
    raw = (TEXTS / "zlib.3.txt").read_text(encoding="utf-8")
    assert "N\bNA\bAM\bME\bE" in raw and "in-\n" in raw and "distribu-\n" in raw
    doc = _one("zlib.3.txt")
    assert "\b" not in doc.text
    text = _flat(doc.text)
    assert "It provides in-memory compression" in text  # a compound: "in" and "memory" are words of the page
    assert "altered from any source distribution." in text and "express or implied warranty." in text
    assert _headings(doc) == ["NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO", "REPORTING PROBLEMS", "AUTHORS AND LICENSE"]
    # The paragraphs read on: the word moved up left no line of its own behind.
    assert "source distribution." in next(doc.text[p.start : p.end] for p in document_paragraphs(doc)
                                          if _flat(doc.text[p.start : p.end]).startswith("3. This notice"))


def test_plain_text_is_left_as_it_is() -> None:
    for name in ("zlib-README.txt", "jq-README.txt", "libpng-manual-part.txt"):
        assert _one(name).text == (TEXTS / name).read_text(encoding="utf-8")
    # A hyphen at a line end outside a man page is the author's.
    text = "A well-\nknown fact, and a long-\nstanding one.\n"
    assert plain(text) is text


def test_a_hyphenated_word_is_joined_as_the_page_spells_it() -> None:
    page = "TOOL(1)     General Commands Manual     TOOL(1)\n\n"
    assert plain(page + "The file‐\n       name is kept; a filename.\n") == page + "The filename\n       is kept; a filename.\n"
    assert plain(page + "An in-\n       memory copy, in memory.\n") == page + "An in-memory\n       copy, in memory.\n"
    # A CRLF file keeps its line ends where escape sequences are removed.
    assert plain("\x1b[1mBold\x1b[0m text\r\nnext\r\n") == "Bold text\r\nnext\r\n"


def test_an_excerpt_of_a_man_page_is_the_stored_text_and_prints_inert(tmp_path: Path, fake_bot_for) -> None:
    corpus = tmp_path / "man"
    corpus.mkdir()
    for name in ("zstd.1.txt", "zlib.3.txt"):
        (corpus / name).write_bytes((TEXTS / name).read_bytes())
    bot = fake_bot_for(corpus, answer_threshold=0.0)
    answer = bot.ask("Which suffixes are accepted as synonyms for KiB?", k=3)
    excerpt = next(ex for ex in answer.excerpts if "synonyms for KiB" in ex.text)
    doc = bot.index.passages([excerpt.passage_id])[excerpt.passage_id].doc
    assert bot.index.text(doc, excerpt.citation.start, excerpt.citation.end) == excerpt.text
    assert "accepted as synonyms" in _flat(excerpt.text) and "\x1b" not in excerpt.text
    printed = plain_answer(answer)
    assert "\x1b" not in printed and "␛" not in printed and "[1m" not in printed


def _read_timed(path: Path) -> tuple[list[Document], float]:
    started = time.monotonic()
    docs = list(load_file(CorpusFile(path, path.name), pytest.fail))
    return docs, time.monotonic() - started


def test_a_line_that_only_looks_like_a_man_pages_header_is_read_at_once(tmp_path: Path) -> None:
    # "A(1)" then 2,000 spaces: 9 s to tell it was no man page's header (4,000: 80 s; more: hours), in one
    # regular expression no time limit could stop.
    path = tmp_path / "spaces.txt"
    path.write_text("A(1)" + " " * 2_000 + "x\n\nThe harbour was dredged in 1911.\n", encoding="utf-8")
    (doc,), seconds = _read_timed(path)
    assert doc.text == path.read_text(encoding="utf-8") and seconds < 1


def test_a_long_line_of_letters_is_read_at_once_where_words_are_joined(tmp_path: Path) -> None:
    # A word hyphenated at a line end was looked for from every letter of every line: 12 s for this one line.
    path = tmp_path / "letters.txt"
    path.write_text("The file\u2010\nname is kept.\n\n" + "a" * 30_000 + "1\u2010\nb\n", encoding="utf-8")
    (doc,), seconds = _read_timed(path)
    assert doc.text.startswith("The filename\nis kept.") and seconds < 1
