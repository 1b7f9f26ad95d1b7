"""The bounds on reading one file (qabot.corpus.limits): size, unpacked size, text, time; flat pages; streamed exports.

Every hostile file is written at test time (tests/hostile.py) in the test's folder, small
enough for the fast tier, with the limits set low to match. The full-size attacks (a
1 GiB Word bomb, 160 MB of empty paragraphs, 8 MB and 50 MB flat pages, a 200 MB export,
a PDF page of 300,000 lines, a PDF page inflating to 350 MB, one PDF text object of 15 million
characters, 2,000 PDF pages labelled with a million characters each)
run through ``qabot index`` in the slow tier (``make test-slow``), measured for time and
peak memory.
"""

from __future__ import annotations

import json
import logging
import os
import random
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from qabot import Outcome
from qabot.corpus import CorpusFile, ReaderLimits, html, load_file
from qabot.corpus import discord_export as export_reader
from qabot.models import Document
from tests import documents, hostile
from tests.conftest import FAKE_QABOT, REPO, make_bot

GOOD = "Natalia Sedova was married to Leon Trotsky.\n\nThey lived in Coyoacán.\n"


def _read(path: Path, limits: ReaderLimits | None = None) -> tuple[list[Document], list[str]]:
    warnings: list[str] = []
    return list(load_file(CorpusFile(path, path.name), warnings.append, limits)), warnings


def _peak_while(read) -> tuple[object, int, int]:
    """What ``read()`` returns, the peak of Python allocations while it ran, and what it still holds after."""
    tracemalloc.start()
    try:
        result = read()
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak, held


def _read_apart(path: Path, tmp_path: Path, show: str, limits: str = "", cap: int = 0,
                timeout: float = 120) -> tuple[str, int]:
    """``show`` (a Python expression over the documents ``d``, the warnings ``w`` and the path ``p``) after reading
    ``path`` in a process of its own, and that process's peak RSS in KiB (Python and qabot alone take ~60 MB).
    With ``cap``, the process may map at most that many bytes: a file that would take the machine fails instead;
    one that takes longer than ``timeout`` seconds fails too (``subprocess.TimeoutExpired``)."""
    script = (f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap})); " if cap else "") + (
              "import sys; from pathlib import Path; from qabot.corpus import CorpusFile, ReaderLimits, load_file; "
              "p = Path(sys.argv[1]); w = []; "
              f"d = list(load_file(CorpusFile(p, p.name), w.append, ReaderLimits({limits}))); print({show})")
    peak = tmp_path / "read.peak"
    done = subprocess.run([sys.executable, "-m", "tests.peak", str(peak), sys.executable, "-c", script, str(path)],
                          capture_output=True, text=True, timeout=timeout, cwd=REPO)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip(), int(peak.read_text())


# -- size and unpacked size: checked before anything is unpacked ---------------------------


def test_a_word_file_that_unzips_past_the_file_limit_is_skipped_without_unzipping_it(tmp_path: Path) -> None:
    bomb = hostile.docx_bomb(tmp_path / "bomb.docx", mb=24)
    assert bomb.stat().st_size < 1 << 20
    _read(bomb, ReaderLimits(max_file_mb=8))  # the imports (lxml's, for its part types), outside what is measured
    (docs, warnings), peak, _ = _peak_while(lambda: _read(bomb, ReaderLimits(max_file_mb=8)))
    [warning] = warnings
    assert docs == [] and warning.startswith("skipping bomb.docx: unpacks to 2")
    assert warning.endswith(" MB, over the 8 MB limit (QABOT_READER_MAX_FILE_MB)")
    assert peak < 2 << 20  # the 24 MB inside were never unpacked


def test_front_matter_with_a_long_run_of_spaces_is_read_in_bounded_time(tmp_path: Path) -> None:
    # A field's value read lazily up to its trailing spaces backtracked over every run of spaces: "title: a", 40,000
    # spaces and "b" took 5 s, and time grew with the square of the line (a megabyte of them: hours).
    spaces = " " * 60_000
    path = tmp_path / "notes.md"
    path.write_text(f"---\ntitle: a{spaces}b\nauthor:\n- Ana{spaces}Ruiz\n---\n\nClose the dome.\n", encoding="utf-8")
    started = time.monotonic()
    [doc], warnings = _read(path)
    assert time.monotonic() - started < 5
    assert not warnings and (doc.title, doc.author) == (f"a{spaces}b", f"Ana{spaces}Ruiz")


def test_a_huge_title_is_read_in_bounded_time(tmp_path: Path) -> None:
    # Telling a tool's placeholder title ("Proceedings Template - WORD") backtracked over the whole title: a page's
    # (or a PDF's) 150 KB <title> of "template template ..." took 23 s, and time grew with its square.
    title = "template " * 16_000
    page = tmp_path / "huge.html"
    page.write_text(f"<html><head><title>{title}</title></head><body><main><h1>Dome</h1><p>Close the dome when the "
                    "humidity rises above 85 percent.</p></main></body></html>", encoding="utf-8")
    pdf = documents.write_pdf(tmp_path / "huge.pdf", title=title)
    for path in (page, pdf):
        started = time.monotonic()
        [doc], warnings = _read(path)
        assert time.monotonic() - started < 5, path.name
        assert not warnings and doc.title == title.strip()


@pytest.mark.parametrize("name", ["word/document.xml", "word/document.dat"])
def test_a_word_file_of_empty_paragraphs_is_skipped_by_its_unpacked_xml(tmp_path: Path, name: str) -> None:
    # python-docx parses a part by the type [Content_Types].xml gives it, whatever its name: 40 MB of XML named
    # word/document.dat (61 KB of file) went unmeasured, and took 940 MB and 18 s.
    word = hostile.docx_paragraphs(tmp_path / "empty.docx", mb=12, name=name)  # 2 million paragraphs in 50 KB
    started = time.monotonic()
    docs, warnings = _read(word)  # the default limits
    [warning] = warnings
    assert docs == [] and warning.startswith("skipping empty.docx: its XML unpacks to 1")
    assert warning.endswith(" MB, over the 4 MB limit (QABOT_READER_MAX_INFLATED_MB)")
    assert time.monotonic() - started < 5  # python-docx takes a minute over it, and a gigabyte


def test_a_word_file_of_a_hundred_thousand_parts_is_skipped_by_its_list_of_parts_before_it_is_listed(
        tmp_path: Path) -> None:
    # zipfile holds a zip's list of parts whole, some 600 bytes a part: a million empty parts (88 MB of file, under
    # the 256 MB limit) took 600 MB to list, twice (the limits, then python-docx), before anything was read.
    word = hostile.docx_parts(tmp_path / "parts.docx", parts=100_000)  # a list of 6.3 MB, in 10 MB of file
    _read(hostile.docx_parts(tmp_path / "few.docx", parts=10))  # the imports, outside what is measured
    (docs, warnings), peak, _ = _peak_while(lambda: _read(word))  # the default limits
    assert docs == [] and warnings == [("skipping parts.docx: its list of parts takes 6.3 MB, over the 4 MB limit "
                                        "(QABOT_READER_MAX_INFLATED_MB)")]
    assert peak < 1 << 20, peak >> 20  # listed: 60 MB
    [few] = _read(hostile.docx_parts(tmp_path / "few.docx", parts=1_000))[0]  # a few parts is a Word file
    assert few.text == "The harbour board met."


@pytest.mark.parametrize("archive", [False, True])
def test_a_word_file_importing_a_huge_web_page_whole_is_skipped_by_its_unpacked_markup(tmp_path: Path,
                                                                                       archive: bool) -> None:
    # A body of one w:altChunk, a web page (or web archive) that the reader parses whole as HTML: 200 MB of it in
    # 650 KB of file took 2 GB, then failed as "cannot be read (XPathEvalError: unknown error)"; the page's markup
    # was not counted, as the same page as an .html file is.
    word = hostile.docx_chunk(tmp_path / "imported.docx", mb=12, archive=archive)
    assert word.stat().st_size < 1 << 20
    started = time.monotonic()
    docs, warnings = _read(word)  # the default limits
    [warning] = warnings
    assert docs == [] and warning.startswith("skipping imported.docx: its XML unpacks to 1")
    assert warning.endswith(" MB, over the 4 MB limit (QABOT_READER_MAX_INFLATED_MB)")
    assert time.monotonic() - started < 5
    small = hostile.docx_chunk(tmp_path / "small.docx", mb=0.5, archive=archive)  # under the limit: read
    [page] = _read(small)[0]
    assert page.text.startswith("The harbour board met weekly")


def test_a_file_over_the_size_limit_is_skipped_unopened(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("The harbour was dredged in 1911. " * 70_000, encoding="utf-8")  # 2.3 MB
    docs, warnings = _read(big, ReaderLimits(max_file_mb=1))
    assert docs == [] and warnings == ["skipping big.txt: 2.2 MB on disk, over the 1 MB limit (QABOT_READER_MAX_FILE_MB)"]
    assert _read(big, ReaderLimits(max_file_mb=4))[0]  # under the limit: read


def test_a_web_page_over_the_markup_limit_is_skipped_unparsed(tmp_path: Path) -> None:
    page = hostile.flat_html(tmp_path / "flat.html", mb=3)
    docs, warnings = _read(page, ReaderLimits(max_inflated_mb=2))
    assert docs == [] and warnings == [
        "skipping flat.html: 3.0 MB of markup to parse, over the 2 MB limit (QABOT_READER_MAX_INFLATED_MB)"]


# -- text and time: checked as the reader builds the text -----------------------------------


@pytest.mark.parametrize("kind", ["txt", "html", "export"])
def test_a_file_that_yields_too_much_text_is_skipped(tmp_path: Path, kind: str) -> None:
    if kind == "txt":
        path = tmp_path / "long.txt"
        path.write_text("The harbour was dredged in 1911.\n\n" * 4_000, encoding="utf-8")  # 136,000 characters
    elif kind == "html":
        path = hostile.flat_html(tmp_path / "long.html", mb=0.2)
    else:
        path = hostile.big_export(tmp_path / "long.json", mb=1)
    docs, warnings = _read(path, ReaderLimits(max_text_mb=0.1))
    assert docs == [] and warnings == [
        f"skipping {path.name}: yields more than 0.1 million characters of text (QABOT_READER_MAX_TEXT_MB)"]
    assert _read(path, ReaderLimits(max_text_mb=2))[0]


# -- PDF: what PDFium builds whole, measured before it is built ----------------------------


@pytest.mark.parametrize("form", [False, True])
def test_a_pdf_page_drawing_too_many_objects_is_skipped_before_its_text_is_built(tmp_path: Path, monkeypatch,
                                                                                 form: bool) -> None:
    import pypdfium2 as pdfium

    path = hostile.pdf_lines(tmp_path / "lines.pdf", mb=0.09, form=form)  # 1,258 lines (94 KB), in a form or not
    built = pdfium.PdfPage.get_textpage
    monkeypatch.setattr(pdfium.PdfPage, "get_textpage", lambda page: pytest.fail("its text page was built"))
    docs, warnings = _read(path, ReaderLimits(max_inflated_mb=0.1))
    assert docs == [] and warnings == [("skipping lines.pdf: page 1 draws more than 1,000 objects, the limit for a "
                                       "page (10,000 per MB of QABOT_READER_MAX_INFLATED_MB)")]
    monkeypatch.setattr(pdfium.PdfPage, "get_textpage", built)
    docs, warnings = _read(path, ReaderLimits(max_inflated_mb=0.3))  # 3,000 objects: read
    assert not warnings and "Line 1257 of a very long single page" in docs[0].text


def test_a_pdf_page_over_the_object_limit_leaves_the_rest_of_the_folder_indexed(make_corpus, fake_bot_for,
                                                                                caplog) -> None:
    corpus = make_corpus({"good.txt": GOOD})
    hostile.pdf_lines(corpus / "lines.pdf", mb=0.09)
    bot = fake_bot_for(corpus, reader_max_inflated_mb=0.1)
    assert "skipping lines.pdf: page 1 draws more than 1,000 objects" in caplog.text
    assert [s.source for s in bot.sources()] == ["good.txt"]


INFLATES = "a stream in it (object 4) inflates to more than 0.5 MB, over the limit (QABOT_READER_MAX_INFLATED_MB)"
PAGE_INFLATES = "a page's content streams inflate to more than 0.5 MB, over the limit (QABOT_READER_MAX_INFLATED_MB)"


@pytest.mark.parametrize(("kind", "mb"), [("pdf_tj", 0.6), ("pdf_shows", 8)])
def test_a_pdf_whose_content_inflates_past_the_limit_is_skipped_before_pdfium_loads_it(tmp_path: Path, kind: str,
                                                                                         mb: float) -> None:
    # pdf_tj: one text object, a TJ array of 20,000 strings (2 KB of PDF): its text page took 256 MB (16 MB of it:
    # 2.9 GB, 12 s). pdf_shows: 1.2 million "(x) Tj" (13 KB): loading the page took 450 MB, before any object was
    # counted (334 MB of it, 510 KB of PDF: PDFium aborted, out of memory, at 6 GB).
    path = hostile.KINDS[kind](tmp_path / "bomb.pdf", mb)
    shown, peak_kib = _read_apart(path, tmp_path, "(d, w)", "max_inflated_mb=0.5")
    assert shown == str(([], [f"skipping bomb.pdf: {INFLATES}"]))
    assert peak_kib < 160 << 10, peak_kib >> 10
    _read(path, ReaderLimits(max_inflated_mb=0.5))  # the readers' imports, outside what is measured (run alone)
    (docs, warnings), peak, _ = _peak_while(lambda: _read(path, ReaderLimits(max_inflated_mb=0.5)))
    assert docs == [] and warnings == [f"skipping bomb.pdf: {INFLATES}"] and peak < 1 << 20  # never held whole



@pytest.mark.parametrize(("encoding", "entries"), [("LZWDecode", b""), ("LZWDecode", b" /DecodeParms << /EarlyChange 0 >>"),
                                                   ("RunLengthDecode", b"")])
def test_a_pdf_bomb_in_lzw_or_run_length_is_counted_like_a_deflated_one(tmp_path: Path, encoding: str,
                                                                        entries: bytes) -> None:
    # Neither was decoded, so such a stream went uncounted: 16 MB of "(x) Tj" as LZW is 87 KB of PDF, and
    # PDFium took 824 MB to load its page (350 MB of it, some 2 MB of PDF, would take it past 6 GB).
    path = hostile.pdf_tj(tmp_path / "bomb.pdf", mb=0.6, encoding=encoding, entries=entries)
    assert path.stat().st_size < 100_000
    assert _read(path, ReaderLimits(max_inflated_mb=0.5)) == ([], [f"skipping bomb.pdf: {INFLATES}"])
    assert "inflate" not in " ".join(_read(path, ReaderLimits(max_inflated_mb=0.7))[1])  # under it: PDFium reads it


def test_a_pdf_stream_in_lzw_or_run_length_counts_what_pdfium_reads_from_it(tmp_path: Path) -> None:
    from qabot.corpus import limits, pdf

    sentence = b"The harbour board met weekly to decide on repairs of the old stone bridge. "
    content = b"BT /F1 11 Tf 50 750 Td (" + sentence * 200 + b") Tj ET"  # 15,231 bytes, across LZW's code widths
    for encoding in ("LZWDecode", "RunLengthDecode"):
        path = hostile._pdf(tmp_path / "page.pdf", content, encoding=encoding)
        (doc,), warnings = _read(path)
        assert not warnings and doc.text.startswith(sentence.decode().strip())
        pdf.check_streams(path, ReaderLimits(max_inflated_mb=len(content) / (1 << 20)))
        with pytest.raises(limits.OverLimit):
            pdf.check_streams(path, ReaderLimits(max_inflated_mb=(len(content) - 1) / (1 << 20)))

def test_a_pdf_content_stream_that_says_it_is_an_image_still_counts_as_the_page_content_it_is(tmp_path: Path) -> None:
    # An image's stream is not counted (a scan's pages are big, and no text), but PDFium draws whatever a page's
    # /Contents names as content, whatever its dictionary says.
    path = hostile.pdf_tj(tmp_path / "image.pdf", mb=0.6,
                          entries=b" /Subtype /Image /Width 1 /Height 1 /BitsPerComponent 8 /ColorSpace /DeviceGray")
    assert _read(path, ReaderLimits(max_inflated_mb=0.5)) == ([], [f"skipping image.pdf: {PAGE_INFLATES}"])


def test_a_pdf_page_that_draws_one_content_stream_many_times_counts_it_each_time(tmp_path: Path) -> None:
    path = hostile.pdf_tj(tmp_path / "thrice.pdf", mb=0.2, contents=b"[4 0 R 4 0 R 4 0 R]")
    assert _read(path, ReaderLimits(max_inflated_mb=0.5)) == ([], [f"skipping thrice.pdf: {PAGE_INFLATES}"])
    assert "inflate" not in " ".join(_read(path, ReaderLimits(max_inflated_mb=0.7))[1])


@pytest.mark.parametrize("damage", ["length", "no endstream", "corrupt", "ascii85"])
def test_a_damaged_pdf_bomb_is_still_counted_and_a_damaged_pdf_still_left_to_pdfium(tmp_path: Path,
                                                                                      damage: str) -> None:
    import base64

    from qabot.corpus import limits, pdf

    bomb = hostile.pdf_tj(tmp_path / "bomb.pdf", mb=0.6).read_bytes()
    head, rest = bomb.split(b"stream\n", 1)
    data, tail = rest.split(b"\nendstream", 1)
    if damage == "length":  # a /Length that is wrong
        bomb = head.replace(b"/Length %d" % len(data), b"/Length 5") + b"stream\n" + data + b"\nendstream" + tail
    elif damage == "no endstream":  # truncated in the stream
        bomb = head + b"stream\n" + data
    elif damage == "corrupt":  # the first half of the deflate stream, then garbage: what inflated is counted
        bomb = head + b"stream\n" + data[: len(data) // 2] + b"\xff" * 64 + b"\nendstream" + tail
    else:  # base-85 text, then deflated
        encoded = base64.a85encode(data, wrapcol=72) + b"~>"
        bomb = (head.replace(b"/Length %d /Filter /FlateDecode" % len(data),
                             b"/Length %d /Filter [/ASCII85Decode /FlateDecode]" % len(encoded))
                + b"stream\n" + encoded + b"\nendstream" + tail)
    path = tmp_path / "damaged.pdf"
    path.write_bytes(bomb)
    with pytest.raises(limits.OverLimit, match="inflates to more than 0.2 MB"):
        pdf.check_streams(path, ReaderLimits(max_inflated_mb=0.2))
    pdf.check_streams(path, ReaderLimits(max_inflated_mb=0.7))  # under it: PDFium will judge the file
    for garbage in (b"", b"%PDF-1.4\n1 0 obj << /Filter /FlateDecode >> stream\n\x78\x9c\xff",
                    b"<< >>stream", b">>stream\r\nendstream"):
        path.write_bytes(garbage)
        pdf.check_streams(path, ReaderLimits(max_inflated_mb=0.2))


CYCLE = "a form in it (object 10) draws itself, which PDFium would draw until it runs out of memory"
FORMS_INFLATE = ("a page's content and the forms it draws inflate to more than {:g} MB, over the limit "
                 "(QABOT_READER_MAX_INFLATED_MB)")


@pytest.mark.parametrize(("kind", "reason"), [("form_cycle", CYCLE), ("form_dag", FORMS_INFLATE.format(4))])
def test_a_pdf_of_forms_drawing_each_other_is_skipped_before_pdfium_loads_its_page(tmp_path: Path, kind: str,
                                                                                   reason: str) -> None:
    # PDFium parses every form a page draws, and every form those draw, when it loads the page, before the objects
    # it draws are counted: a form drawing itself twice (700 bytes) grew past 7.7 GB in 16 s and aborted the process
    # (SIGABRT, no warning); 22 forms each drawing the next twice (4.7 KB) took 6.6 GB and 15 s.
    path = hostile.KINDS[kind](tmp_path / "forms.pdf")
    assert path.stat().st_size < 8_000
    shown, peak_kib = _read_apart(path, tmp_path, "(d, w)", cap=2 << 30)
    assert shown == str(([], [f"skipping forms.pdf: {reason}"]))
    assert peak_kib < 160 << 10, peak_kib >> 10


@pytest.mark.parametrize("where", ["inline", "object", "packed"])
def test_a_form_drawing_itself_is_found_wherever_its_resources_are(tmp_path: Path, where: str) -> None:
    from qabot.corpus import limits, pdf

    path = hostile.form_cycle(tmp_path / "forms.pdf", where=where)
    with pytest.raises(limits.OverLimit, match="draws itself"):
        pdf.check_streams(path, ReaderLimits())
    escaped = path.read_bytes().replace(b"/Subtype /Form", b"/Subtype /F#6frm").replace(b"/X Do", b"/#58 Do")
    path.write_bytes(escaped)  # the same names, as PDFium reads them
    with pytest.raises(limits.OverLimit, match="draws itself"):
        pdf.check_streams(path, ReaderLimits())


def test_a_form_drawing_itself_past_a_long_run_of_whitespace_is_found(tmp_path: Path) -> None:
    # 70 KB of spaces between the name and its Do put them in two chunks of what the scan inflates, and the Do was
    # never counted: PDFium reads the spaces as nothing, and drew the form inside itself until SIGABRT.
    from qabot.corpus import limits, pdf

    pad = b" " * 70_000
    path = hostile.pdf_forms(tmp_path / "cycle.pdf", {10: (b"/X" + pad + b"Do /X" + pad + b"% a note\n" + pad + b"Do",
                                                           b"<< /XObject << /X 10 0 R >> >>")})
    assert path.stat().st_size < 2_000
    with pytest.raises(limits.OverLimit, match="draws itself"):
        pdf.check_streams(path, ReaderLimits())


def test_a_figure_whose_own_image_has_the_figures_name_is_read(tmp_path: Path) -> None:
    # The form's /XObject dictionary, in an object stream, names only an image: it was not kept, so its name was
    # looked up as any form's (the form itself among them), and the file was refused as a form that draws itself.
    import pypdfium2 as pdfium

    path = hostile.figure_pdf(tmp_path / "figure.pdf")
    document = pdfium.PdfDocument(str(path))
    assert len(list(document[0].get_objects(max_depth=5))) == 3  # text, the form, the image: PDFium draws it once
    document.close()
    docs, warnings = _read(path)
    assert not warnings and "Natalia Sedova was married to Leon Trotsky." in docs[0].text


def test_one_pdf_of_self_drawing_forms_in_the_folder_leaves_qabot_index_and_ask_working(make_corpus, tmp_path
                                                                                       ) -> None:
    # `qabot index` died of SIGABRT with no word of which file, and so did every `qabot ask` after it (ask brings
    # the index up to date first): one file in the folder took the whole bot down.
    import resource

    corpus = make_corpus({"good.txt": GOOD})
    env = {**os.environ, "QABOT_CORPUS_DIR": str(corpus), "QABOT_INDEX_DIR": str(tmp_path / "idx")}
    capped = lambda: resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    first = subprocess.run([*FAKE_QABOT, "index"], capture_output=True, text=True, env=env, timeout=120)
    assert first.returncode == 0, first.stderr
    hostile.form_cycle(corpus / "forms.pdf")
    index = subprocess.run([*FAKE_QABOT, "index"], capture_output=True, text=True, env=env, timeout=120,
                           preexec_fn=capped)
    assert index.returncode == 0 and f"skipping forms.pdf: {CYCLE}" in index.stderr, index.stderr[-300:]
    ask = subprocess.run([*FAKE_QABOT, "ask", "Who was Trotsky married to?", "--k", "1"], capture_output=True,
                         text=True, env=env, timeout=120, preexec_fn=capped)
    assert ask.returncode == 0 and "good.txt" in ask.stdout, (ask.returncode, ask.stderr[-300:])


def test_forms_sharing_one_resources_dictionary_that_lists_them_all_are_read(tmp_path: Path) -> None:
    # Real PDFs often give all their forms and pages one resources dictionary: a form's resources naming it is no
    # cycle unless it draws that name. A draws B and C, B draws C (twice), C a line of text.
    shared = b"<< /Font << /F1 3 0 R >> /XObject << /A 10 0 R /B 11 0 R /C 12 0 R >> >>"
    forms = {10: (b"q /B Do Q q /C Do Q", b"20 0 R"), 11: (b"q /C Do Q q 1 0 0 1 0 20 cm /C Do Q", b"20 0 R"),
             12: (hostile.SENTENCE, b"20 0 R")}
    path = hostile.pdf_forms(tmp_path / "shared.pdf", forms, b"/A Do", resources=b"/XObject 21 0 R",
                             objects={20: shared, 21: b"<< /A 10 0 R /B 11 0 R /C 12 0 R >>"})
    docs, warnings = _read(path)
    assert not warnings and "Natalia Sedova was married to Leon Trotsky." in docs[0].text


def test_a_form_drawn_many_times_is_read_within_the_limit_and_skipped_past_it(tmp_path: Path) -> None:
    # A page that draws a form of 1 KB 2,000 times makes PDFium parse 2 MB, though it holds 20 KB: within the
    # default 4 MB it is read; over a limit of 0.5 MB it is skipped (2,000 paths are within the objects a page
    # may draw at 0.5 MB, 5,000: nothing else stopped it).
    drawing = b"0 0 m " + b"10 10 l 20 0 l " * 70 + b"S"
    path = hostile.pdf_forms(tmp_path / "drawn.pdf", {10: (drawing, b"<< >>")},
                             hostile.SENTENCE + b"\n" + b"q /X Do Q\n" * 2_000)
    docs, warnings = _read(path)
    assert not warnings and "Natalia Sedova was married to Leon Trotsky." in docs[0].text
    assert _read(path, ReaderLimits(max_inflated_mb=0.5)) == ([], [f"skipping drawn.pdf: {FORMS_INFLATE.format(0.5)}"])


@pytest.mark.parametrize(("program", "entries"), [(b"/FontFile2", b"/Length1 0"), (b"/FontFile", b"/Length2 0"),
                                                  (b"/FontFile3", b"/Subtype /OpenType")])
def test_a_pdf_font_program_that_inflates_past_the_file_limit_is_skipped_before_pdfium_loads_it(
        tmp_path: Path, program: bytes, entries: bytes) -> None:
    # A font's program was counted nowhere, though PDFium inflates it whole to read the text set in it: 1 MB of PDF
    # whose TrueType font inflated to 1,000 MB took 2 GB (4 MB of it, 8 GB), with no warning.
    path = hostile.pdf_font(tmp_path / "font.pdf", mb=9, program=program, entries=entries)  # 9 KB
    assert _read(path, ReaderLimits(max_file_mb=8)) == ([], [
        "skipping font.pdf: its streams inflate to more than 8 MB, over the limit (QABOT_READER_MAX_FILE_MB)"])
    [doc], warnings = _read(path, ReaderLimits(max_file_mb=10))  # under it: read, a font being no page content
    assert doc.text == "Natalia Sedova was married to Leon Trotsky." and warnings == []


@pytest.mark.parametrize("says", [b"/Subtype /Image", b"/Length1 0", b"/Type /EmbeddedFile"])
def test_an_object_stream_counts_whatever_else_its_dictionary_says(tmp_path: Path, says: bytes) -> None:
    # PDFium inflates an object stream whole to read an object in it, whatever its dictionary says besides: one of
    # 500 MB that said it was an image (500 KB of PDF) was counted nowhere, and took 1 GB.
    path = hostile.pdf_forms(tmp_path / "packed.pdf", {}, hostile.SENTENCE, resources=b"", xref_stream=True,
                             packed={20: b"<< /Pad (" + b"x" * (1 << 20) + b") >>"}, packed_entries=says)
    assert _read(path, ReaderLimits(max_inflated_mb=0.5)) == ([], [
        ("skipping packed.pdf: a stream in it (object 9) inflates to more than 0.5 MB, over the limit "
         "(QABOT_READER_MAX_INFLATED_MB)")])


def test_a_pdf_bomb_with_a_comment_before_its_stream_keyword_is_still_counted(tmp_path: Path) -> None:
    # PDFium reads a comment as white space: a stream whose dictionary's ">>" and "stream" had one between them was
    # no stream to the count, and pdf_tj's 16 MB (40 KB of PDF) took 2.8 GB instead of being skipped.
    path = hostile.pdf_tj(tmp_path / "bomb.pdf", mb=0.6)
    path.write_bytes(path.read_bytes().replace(b">>\nstream\n", b">> % a comment\n%another\r\nstream\n"))
    assert _read(path, ReaderLimits(max_inflated_mb=0.5)) == ([], [f"skipping bomb.pdf: {INFLATES}"])


@pytest.mark.parametrize("written", [b"/Filter /Fl#61teDecode", b"/Filt#65r /FlateDecode",
                                     b"/Filter % a comment\n/FlateDecode", b"/F (x) %/Filter /Crypt\n/Filter /FlateDecode",
                                     b"/F (/Filter /Crypt) /Filter /FlateDecode", b"/F (a(b)%c) /Filter /FlateDecode",
                                     b"/Filter [%/Crypt\n/FlateDecode]", b"/F (x obj % ) /Filter /FlateDecode",
                                     pytest.param(b"/F (" + b"x" * 70_000 + b" 9 0 obj % ) /Filter /FlateDecode",
                                                  id="a string longer than 64 KB")])
def test_a_pdf_bomb_whose_filter_is_written_as_pdfium_reads_it_is_still_counted(tmp_path: Path, written: bytes) -> None:
    # PDFium reads a name's #xx as its character, a comment as white space, and a string as no key: a filter so
    # written, or one faked in a comment or a string before it, was not the one counted, and pdf_tj's bomb was read.
    path = hostile.pdf_tj(tmp_path / "bomb.pdf", mb=0.6)
    path.write_bytes(path.read_bytes().replace(b"/Filter /FlateDecode", written, 1))
    assert _read(path, ReaderLimits(max_inflated_mb=0.5)) == ([], [f"skipping bomb.pdf: {INFLATES}"])


@pytest.mark.parametrize("written", [b"/Contents % a comment\n[", b"/Cont#65nts ["])
def test_a_page_that_draws_one_stream_many_times_is_counted_however_its_contents_key_is_written(
        tmp_path: Path, written: bytes) -> None:
    # A page's /Contents written with a comment before its value, or a #xx in its name, as PDFium reads them, was
    # no page to the count: each of its streams was counted once, however many times the page drew it.
    path = hostile.pdf_tj(tmp_path / "thrice.pdf", mb=0.2, contents=b"[4 0 R 4 0 R 4 0 R]")
    path.write_bytes(path.read_bytes().replace(b"/Contents [", written))
    assert _read(path, ReaderLimits(max_inflated_mb=0.5)) == ([], [f"skipping thrice.pdf: {PAGE_INFLATES}"])


@pytest.mark.parametrize("where", ["length", "contents", "running"])
def test_a_pdf_holding_a_number_of_thousands_of_digits_is_read(tmp_path: Path, where: str) -> None:
    # Python converts at most 4,300 digits to a number: a stream's /Length, a page's /Contents reference, or a number
    # in a line at the top of each page that long skipped the file, "cannot be read (ValueError: Exceeds the limit
    # (4300 digits) ...)", where PDFium reads it.
    huge, texts = b"9" * 5000, [b"The harbour board met weekly.", b"Letters about telescope domes.", b"The old bridge."]
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [10 0 R 11 0 R 12 0 R] /Count 3 >>",
               3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}
    for page, text in enumerate(texts):
        content = (b"BT /F1 2 Tf 20 780 Td (" + huge + b") Tj ET " if where == "running" else b"") + (
            b"BT /F1 12 Tf 72 700 Td (" + text + b") Tj ET")
        length = huge if where == "length" else b"%d" % len(content)
        objects[20 + page] = b"<< /Length " + length + b" >>\nstream\n" + content + b"\nendstream"
        contents = b"[%d 0 R " % (20 + page) + (huge + b" 0 R]" if where == "contents" else b"]")
        objects[10 + page] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R"
                              b" >> >> /Contents " + contents + b" >>")
    (tmp_path / "digits.pdf").write_bytes(hostile.pdf_file(objects))
    docs, warnings = _read(tmp_path / "digits.pdf")
    assert warnings == [] and [d.text.split("\n\n") for d in docs] == [[t.decode() for t in texts]]


def test_a_pdf_page_of_hundreds_of_thousands_of_form_fields_is_stopped_at_its_time(tmp_path: Path) -> None:
    # The filled answers of a page's form fields were looked up with no check of the time: a page listing a million
    # fields ran 11.8 s past the file's time.
    label = b"BT /F1 12 Tf 72 720 Td (Applicant name and telescope requested.) Tj ET"
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
                  b"/Contents 6 0 R /Annots [" + b"5 0 R " * 300_000 + b"] >>",
               4: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               5: b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (name) /V (Ada) /Rect [250 710 500 730] >>",
               6: b"<< /Length %d >>\nstream\n" % len(label) + label + b"\nendstream"}
    (tmp_path / "fields.pdf").write_bytes(hostile.pdf_file(objects))  # 1.7 MB: 1.7 s to read it
    started = time.thread_time()
    docs, warnings = _read(tmp_path / "fields.pdf", ReaderLimits(seconds=0.5))
    assert docs == [] and len(warnings) == 1 and warnings[0].startswith("skipping fields.pdf: reading it took longer")
    assert time.thread_time() - started < 2.3  # its reader's own time: 3.1 s before, 1.7 s now


def test_a_pdf_of_more_streams_than_its_size_can_hold_is_skipped_as_they_are_listed(tmp_path: Path) -> None:
    # 10 MB of empty streams (600,000) took 86 s and 240 MB to list, with no time limit checked, before PDFium said
    # it was no PDF: 256 MB of them, hours and gigabytes.
    path = hostile.pdf_empty_streams(tmp_path / "streams.pdf", mb=1)  # 61,680 streams
    (docs, warnings), peak, _ = _peak_while(lambda: _read(path))
    assert docs == [] and warnings == [("skipping streams.pdf: it holds more than 10,000 streams, 10,000 for each MB "
                                        "of the file")]
    assert peak < 6 << 20, peak >> 20  # the file (1 MB), and 10,000 streams listed


def test_each_byte_of_a_pdf_is_looked_at_as_a_stream_dictionary_once(tmp_path: Path, monkeypatch) -> None:
    # A stream's dictionary was looked for in the 64 KB before it, whatever streams those held: 9,000 streams in
    # 150 KB were 600 MB of dictionaries to copy and search.
    from qabot.corpus import pdf_streams

    path = hostile.pdf_empty_streams(tmp_path / "streams.pdf", mb=0.15)  # 9,252 streams, under the 10,000 a MB
    seen = []
    monkeypatch.setattr(pdf_streams, "is_form", lambda dictionary: seen.append(len(dictionary)) or False)
    pdf_streams.check_streams(path, ReaderLimits())  # each stream listed, and its dictionary looked at
    assert len(seen) == 9_252 and sum(seen) <= path.stat().st_size


def test_real_pdfs_content_streams_are_far_under_the_limit() -> None:
    # Their largest stream a page draws is 55 KB (reportlab's user guide; valgrind's manual, 248 KB), a tenth
    # of a tenth of the 4 MB default. All the streams of valgrind's 1.4 MB manual inflate to 3.8 MB: bounded by
    # QABOT_READER_MAX_FILE_MB, not this.
    from qabot.corpus import pdf

    real = sorted((REPO / "tests" / "data" / "formats").glob("pdf*/*.pdf"))
    assert len(real) == 3
    for path in real:
        pdf.check_streams(path, ReaderLimits(max_inflated_mb=0.1))


def test_a_pdf_of_tens_of_thousands_of_pages_with_a_running_line_is_read_in_time_linear_in_its_pages(
        tmp_path: Path) -> None:
    # Each page's running lines were looked for among every page's: 40,000 pages of one line (240 KB of PDF) took
    # over a minute after PDFium had read them, where no time limit stops it; 200,000 pages, hours.
    path = hostile._pdf(tmp_path / "pages.pdf", b"BT /F1 12 Tf 72 720 Td (Minutes of the harbour board) Tj ET",
                        pages=40_000)
    shown, _ = _read_apart(path, tmp_path, "w", limits="seconds=60", timeout=50)
    assert shown == ("['skipping pages.pdf: nothing on its pages reads as text to index (page numbers, marks, one "
                     "long word)']")  # one line on every page is a running header


@pytest.mark.parametrize(("kids", "pages", "most"), [(False, 1_000_000, 10_000), (True, 200_000, 20_000)])
def test_a_pdf_whose_page_tree_lists_more_pages_than_its_size_can_hold_is_skipped_before_any_is_loaded(
        tmp_path: Path, monkeypatch, kids: bool, pages: int, most: int) -> None:
    # A page tree of a million pages the file does not hold (by its /Count alone: 600 bytes) was read a page at a time:
    # 22 s and 370 MB (listed, in 11 MB: 415 MB) for one page of text and a warning naming the 999,999 left out.
    import pypdfium2 as pdfium

    path = hostile.pdf_listed(tmp_path / "pages.pdf", pages=pages, kids=kids)  # listed: 200,000 in 2 MB
    loaded = pdfium.PdfDocument.__getitem__
    monkeypatch.setattr(pdfium.PdfDocument, "__getitem__", lambda pdf, index: pytest.fail("a page was loaded"))
    assert _read(path) == ([], [(f"skipping pages.pdf: its page tree lists {pages:,} pages, more than 10,000 for "
                                 f"each MB of the file ({most:,} here)")])
    monkeypatch.setattr(pdfium.PdfDocument, "__getitem__", loaded)
    path = hostile.pdf_listed(tmp_path / "pages.pdf", pages=10_000)  # as many as 600 bytes may list: read
    docs, warnings = _read(path)
    assert [p.page for p in docs[0].paragraphs] == [1] and warnings == [
        ("pages.pdf: pages 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 9989 more left out: they cannot be loaded (damaged: "
         "Failed to load page.)")]


def test_a_pdf_titled_template_thousands_of_times_is_read_in_time_linear_in_its_title(tmp_path: Path) -> None:
    # The test for a Word template's placeholder title ("Proceedings Template - WORD") backtracked over each pair of
    # its words: a /Title of 72 KB of "template template ..." took 5.5 s, 360 KB minutes, in one regular expression
    # that no reader limit stops (a Word file's title too).
    title = "template " * 40_000
    path = documents.write_pdf(tmp_path / "manual.pdf", title=title)
    shown, _ = _read_apart(path, tmp_path, "(len(d[0].title), w)", timeout=30)
    assert shown == str((len(title) - 1, []))


def test_pdf_page_labels_longer_than_a_page_number_are_left_out_without_being_built(tmp_path: Path) -> None:
    path = hostile.pdf_labels(tmp_path / "labels.pdf", mb=0.2, pages=50)  # 50 labels of 200,000 characters
    (docs, warnings), peak, _ = _peak_while(lambda: _read(path))
    assert warnings == [("labels.pdf: page labels left out: page 1's has 200,001 characters, "
                        "over the 64 of a page number")]
    assert [p.page for p in docs[0].paragraphs] == list(range(1, 51))
    assert {p.page_label for p in docs[0].paragraphs} == {None}
    assert peak < 4 << 20, peak >> 20  # each label as a string: 10 MB here (2,000 pages of a million: 2 GB)


# -- nesting: measured before anything is built -------------------------------------------


@pytest.mark.parametrize("where", ["messages", "guild"])
def test_an_export_nested_thousands_deep_is_skipped_by_its_nesting(tmp_path: Path, where: str) -> None:
    path = hostile.deep_export(tmp_path / "deep.json", mb=0.01, where=where)  # 5,000 levels in 10 KB
    (docs, warnings), peak, _ = _peak_while(lambda: _read(path))
    assert docs == [] and warnings == ["skipping deep.json: its JSON is nested more than 64 levels deep, not an export"]
    assert peak < 4 << 20, peak >> 20  # ijson's paths for it would be some 60 MB (a 1 MB one: gigabytes, test-slow)


@pytest.mark.parametrize(("value", "where"), [("{}", "message"), ("0", "message"), ("{}", "guild")])
def test_an_export_message_of_millions_of_values_is_skipped_before_any_is_built(tmp_path: Path, value: str,
                                                                                  where: str) -> None:
    """A message whose attachments are millions of empty objects (or numbers), or a guild of millions of roles: ijson
    built each as a Python object, some 60 bytes for 3 bytes of the file (20 MB of them took 530 MB; the 256 MB a
    file may be, gigabytes)."""
    path = documents.write_export(tmp_path / "wide.json", [dict(m) for m in documents.CHAT[:2]])
    export, many = path.read_text(encoding="utf-8"), ", ".join([value] * 2_000_001)
    if where == "message":  # Ben's message, which has no attachments: "attachments": []
        at = export.index('"attachments": [', export.index('"id": "1002"')) + len('"attachments": [')
        path.write_text(export[:at] + many + export[at:], encoding="utf-8")
    else:
        path.write_text(export.replace('"guild": {', f'"guild": {{"roles": [{many}], ', 1), encoding="utf-8")
    (docs, warnings), peak, _ = _peak_while(lambda: _read(path))
    what = "message 2" if where == "message" else '"guild"'
    why = f"its {what} holds more than 2,000,000 JSON values (an export's hold a few hundred), too many to read"
    assert docs == [] and warnings == [f"skipping wide.json: {why}"]
    assert peak < 4 << 20, peak >> 20


def test_a_jsonl_line_nested_too_deeply_is_skipped_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    deep = "[" * 100_000 + "]" * 100_000
    path.write_text('{"_id": "a", "text": "The harbour was dredged in 1911."}\n'
                    f'{{"_id": "b", "text": {deep}}}\n'
                    '{"_id": "c", "text": "The bridge was rebuilt in 1923."}\n', encoding="utf-8")
    docs, warnings = _read(path)
    assert [d.doc_id for d in docs] == ["a", "c"]
    assert warnings == ["skipping docs.jsonl line 2: its JSON is nested too deeply to read"]


def test_a_jsonl_line_with_a_number_python_will_not_convert_is_skipped_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"  # json.loads raises ValueError (not JSONDecodeError) past 4,300 digits
    path.write_text('{"_id": "a", "text": "The harbour was dredged in 1911."}\n'
                    '{"_id": ' + "9" * 5000 + ', "text": "x"}\n'
                    '{"_id": "c", "text": "The bridge was rebuilt in 1923."}\n', encoding="utf-8")
    docs, warnings = _read(path)
    assert [d.doc_id for d in docs] == ["a", "c"]
    assert warnings == ["skipping docs.jsonl line 2: a number in it is too long to read"]


def test_one_huge_message_of_an_export_is_untangled_in_bounded_memory(tmp_path: Path) -> None:
    # Untangling read every word of a message into sets: some 40 bytes a character (8 MB took 365 MB).
    said = ["how do I fix grub after the update?", "ana: try " + "sudo update-grub " * 120_000, "thanks, that did it"]
    messages = [{"id": str(10**17 + n), "type": "Default", "timestamp": f"2024-01-01T10:00:0{n}+00:00", "content": text,
                 "author": {"id": str(5 + n), "name": ["ana", "ben", "ana"][n], "isBot": False}}
                for n, text in enumerate(said)]
    path = tmp_path / "help.json"
    path.write_text(json.dumps({"guild": {"id": "1", "name": "g"}, "channel": {"id": "2", "type": "GuildTextChat",
                                "name": "help"}, "messages": messages}), encoding="utf-8")
    (docs, warnings), peak, _ = _peak_while(lambda: _read(path))
    assert docs and "sudo update-grub" in docs[0].text and not warnings
    assert peak < 16 << 20, peak >> 20  # 2 MB of text: 5 MB here, 33 MB when every word was kept


def test_a_pdf_cut_short_while_its_streams_are_counted_is_skipped_not_a_bus_error(tmp_path: Path) -> None:
    # A mapped file cut short meanwhile (a download or a copy rewriting it in place) makes the next read of the
    # mapping a SIGBUS, which killed the process (-7). The file is cut here at the scan's first time check.
    import zlib

    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [] /Count 0 >>"}
    for number in range(3, 7):
        packed = zlib.compress(bytes(range(256)) * 4096, 0)  # 1 MB a stream
        objects[number] = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream"
    pdf = tmp_path / "manual.pdf"
    pdf.write_bytes(hostile.pdf_file(objects))
    script = (
        "import os, sys; from pathlib import Path; import qabot.corpus.limits as limits; "
        "from qabot.corpus import CorpusFile, load_file; p = Path(sys.argv[1]); check = limits.check; "
        "limits.check = lambda: (os.truncate(p, 0), check()); w = []; "
        "list(load_file(CorpusFile(p, p.name), w.append)); print(w)"
    )
    done = subprocess.run([sys.executable, "-c", script, str(pdf)], capture_output=True, text=True, timeout=60,
                          cwd=REPO)
    assert done.returncode == 0, (done.returncode, done.stderr[-300:])
    assert "skipping manual.pdf: " in done.stdout


def test_a_page_of_many_superscripts_is_stopped_at_its_time(tmp_path: Path) -> None:
    path = tmp_path / "marks.html"  # each one unwrapped costs its siblings' length: 40,000 took half a minute
    path.write_text("<html><body><main><h1>Powers</h1><p>The harbour was dredged in 1911.</p><p>"
                    + "2<sup>n</sup>" * 40_000 + "</p></main></body></html>", encoding="utf-8")
    started = time.monotonic()
    docs, warnings = _read(path, ReaderLimits(seconds=1))
    assert docs == [] and len(warnings) == 1 and warnings[0].startswith("skipping marks.html: reading it took longer")
    assert time.monotonic() - started < 6


@pytest.mark.parametrize("line", [">", "> ", "![](a.png)", "&nbsp;"])  # "&nbsp;": a guard, fine before too
def test_a_long_markdown_line_of_repeated_markup_is_read_in_bounded_memory(tmp_path: Path, line: str) -> None:
    path = tmp_path / "quotes.md"  # Python's re kept ~120 bytes a repeat: 2 MB of ">" took 230 MB
    path.write_text("The harbour was dredged in 1911.\n\n" + line * (2_000_000 // len(line)) + " x\n", encoding="utf-8")
    (docs, warnings), peak, _ = _peak_while(lambda: _read(path))
    assert [d.source for d in docs] == ["quotes.md"] and "dredged" in docs[0].text and not warnings
    assert peak < 60 << 20, peak >> 20  # the text and its paragraphs, a few copies of 2 MB


@pytest.mark.parametrize("page", ["<html><body><div></div></body></html>", "", "  \n", "just words, no tags"])
def test_a_page_without_text_is_reported_by_qabot_naming_it_not_by_its_parser(tmp_path: Path, caplog, page) -> None:
    path = tmp_path / "empty.html"
    path.write_text(page, encoding="utf-8")
    with caplog.at_level(logging.DEBUG):
        docs, warnings = _read(path)
    assert docs == [] and len(warnings) == 1 and warnings[0].startswith("skipping empty.html: ")
    # trafilatura's own "discarding data: None", "parsed tree length: 0, wrong data type or not valid HTML"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_page_of_twenty_thousand_headings_is_read_within_its_time(tmp_path: Path) -> None:
    # Each heading looked ahead over every later one for its following text: 88 s for this 289 KB page.
    path = tmp_path / "heads.html"
    path.write_text("<html><body><main>" + "".join(f"<h2>Heading {n}</h2>" for n in range(20_000))
                    + "<p>The final paragraph of text here.</p></main></body></html>", encoding="utf-8")
    docs, warnings = _read(path, ReaderLimits(seconds=15))
    assert warnings == [] and docs[0].text.endswith("The final paragraph of text here.")


def test_a_page_of_headings_dated_now_and_then_is_read_within_its_time(tmp_path: Path) -> None:
    """Where trafilatura's extraction holds a ``<time>``, it falls back on justext, which classified each short
    paragraph by walking to the nearest good or bad one on either side: two seconds for each 5,000-element piece of
    this 430 KB page of headings, ten in all."""
    path = tmp_path / "dated.html"
    path.write_text("<html><body>" + "".join(("<p>Posted <time>2024-05-01</time></p>" if n % 1000 == 0 else "")
                                             + f"<h2>Heading {n}</h2>" for n in range(20_000)) + "</body></html>",
                    encoding="utf-8")
    docs, warnings = _read(path, ReaderLimits(seconds=6))
    assert warnings == [] and docs[0].text.endswith("Heading 19999") and len(docs[0].paragraphs) == 20_020


def test_justexts_classification_of_paragraphs_by_their_neighbours_is_justexts_in_linear_time() -> None:
    from justext.core import revise_paragraph_classification as justexts

    from qabot.corpus.html_justext import revise_paragraph_classification

    class Paragraph:
        reads = 0

        def __init__(self, cf_class: str, heading: bool, text: str) -> None:
            self.cf_class, self.heading, self.text, self._class = cf_class, heading, text, ""

        @property
        def class_type(self) -> str:
            Paragraph.reads += 1
            return self._class

        @class_type.setter
        def class_type(self, value: str) -> None:
            self._class = value

    rng = random.Random(7)
    for _ in range(3_000):
        spec = [(rng.choice(["short", "short", "neargood", "good", "bad"]), rng.random() < 0.3,
                 "x" * rng.choice([1, 5, 60, 250])) for _ in range(rng.randint(0, 40))]
        theirs, ours = [Paragraph(*s) for s in spec], [Paragraph(*s) for s in spec]
        justexts(theirs, 150)
        revise_paragraph_classification(ours, 150)
        assert [p.class_type for p in ours] == [p.class_type for p in theirs], spec
    headings = [Paragraph("short", True, f"Heading {n}") for n in range(4_000)]
    Paragraph.reads = 0
    revise_paragraph_classification(headings, 150)
    assert Paragraph.reads < 50 * len(headings)  # 130,000 (each looks ahead 200 characters); justext's: 16 million


@pytest.mark.parametrize("opener", ["<!--", "<?", "<![CDATA[", "<!DOCTYPE "])
def test_markdown_of_raw_html_that_never_ends_is_read_within_its_time(tmp_path: Path, opener: str) -> None:
    # Markdown's pattern for raw HTML, searched for, read on to the end of the text from every comment (or other
    # construct) never closed: minutes for this 200 KB file. Each is now text, and read once.
    path = tmp_path / "open.md"
    path.write_text("# Notes\n\nThe final paragraph of text here.\n\n" + opener * (200_000 // len(opener)),
                    encoding="utf-8")
    (doc,), warnings = _read(path, ReaderLimits(seconds=15))
    shown = [doc.text[p.start : p.end] for p in doc.paragraphs]
    assert warnings == [] and shown[1] == "The final paragraph of text here." and shown[2].startswith(opener * 3)


def test_a_reader_that_takes_too_long_is_stopped_and_the_file_skipped(tmp_path: Path) -> None:
    word = hostile.docx_paragraphs(tmp_path / "slow.docx", mb=4)  # 700,000 empty paragraphs: seconds of python-docx
    docs, warnings = _read(word, ReaderLimits(seconds=0.3))
    assert docs == [] and warnings == ["skipping slow.docx: reading it took longer than 0.3 s (QABOT_READER_SECONDS)"]


def test_a_jsonl_of_bad_lines_is_stopped_at_its_time_too(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("ab\n" * 400_000, encoding="utf-8")  # no document: nothing is charged but the time
    docs, warnings = _read(path, ReaderLimits(seconds=0.2))
    assert docs == [] and warnings[-1].startswith("skipping bad.jsonl: reading it took longer than ")


def test_finding_the_paragraphs_of_plain_text_counts_toward_its_time(tmp_path: Path) -> None:
    # 20,000 short lines that could each be a title ("Item 1", or here just "1"): over half a
    # second of telling which are headings, some five seconds a MB (it was ten seconds, and not counted).
    path = tmp_path / "numbers.txt"
    path.write_text("".join(f"{n}\n\n" for n in range(20_000)))
    docs, warnings = _read(path, ReaderLimits(seconds=0.05))  # a 129 KB file may take 0.12 s (1 s a MB)
    assert docs == [] and len(warnings) == 1
    assert warnings[0].startswith("skipping numbers.txt: reading it took longer than 0.12")
    (doc,), warnings = _read(path, ReaderLimits(seconds=5))
    assert not warnings and len(doc.paragraphs) == 20_000


def test_a_text_of_a_million_tiny_paragraphs_is_skipped_by_their_number(tmp_path: Path) -> None:
    # Each paragraph costs some 800 bytes to describe: 9 MB of "a\n\n" took 4.6 GB (and 27 s, within its time).
    path = tmp_path / "tiny.txt"
    path.write_text("a\n\n" * 2_000, encoding="utf-8")
    docs, warnings = _read(path, ReaderLimits(max_text_mb=0.01))  # 80 paragraphs allowed
    assert docs == [] and warnings == [("skipping tiny.txt: holds more than 80 paragraphs (8,000 for each million "
                                        "characters of QABOT_READER_MAX_TEXT_MB)")]
    (doc,), _ = _read(path, ReaderLimits(max_text_mb=1))
    assert len(doc.paragraphs) == 2_000


def test_a_long_markdown_looking_text_is_read_by_the_plain_rules_in_bounded_memory(tmp_path: Path) -> None:
    # markdown-it holds each block as tokens, in one call the time limit cannot stop: these 2 million one-word
    # list items (8 MB) took 3.6 GB and a minute. Past 25,000 lines per MB of QABOT_READER_MAX_INFLATED_MB (100,000
    # by default), a text's Markdown is not parsed; its paragraphs are found by the plain-text rules.
    path = tmp_path / "list.md"
    path.write_text("- a\n" * 2_000_000, encoding="utf-8")
    shown, peak_kib = _read_apart(path, tmp_path, "len(d), d[0].text == p.read_text(encoding='utf-8'), w")
    assert shown == "1 True []"  # read whole, nothing skipped
    assert peak_kib < 200 << 10, peak_kib >> 10  # 78 MB here
    small = tmp_path / "short.md"
    small.write_text("# Parts\n\n" + "- a\n" * 1_000, encoding="utf-8")
    (doc,), _ = _read(small)  # a Markdown text of ordinary length: its structure, the heading
    assert doc.paragraphs[0].heading


def test_a_markdown_table_of_thousands_of_columns_is_read_by_the_plain_rules_in_bounded_memory(tmp_path: Path) -> None:
    # markdown-it makes three tokens of each cell of a table (about 0.9 KB): a table of 100,000 columns and 20 rows
    # (4.4 MB, 22 lines) took 2 GB, in one call no time limit can stop. Its cells count as lines now.
    path = tmp_path / "wide.md"
    path.write_text("|a" * 20_000 + "|\n" + "|-" * 20_000 + "|\n" + ("|x" * 20_000 + "|\n") * 20, encoding="utf-8")
    shown, peak_kib = _read_apart(path, tmp_path, "len(d), d[0].text == p.read_text(encoding='utf-8'), w")
    assert shown == "1 True []"  # read whole, nothing skipped
    assert peak_kib < 200 << 10, peak_kib >> 10  # 440,000 cells as tokens: 400 MB more
    small = tmp_path / "table.md"
    small.write_text("# Moons\n\n| Moon | Planet |\n|---|---|\n| Io | Jupiter |\n", encoding="utf-8")
    (doc,), _ = _read(small)  # a table of ordinary size: its structure, the delimiter row no text
    assert [doc.text[p.start : p.end] for p in doc.paragraphs] == ["# Moons", "| Moon | Planet |", "| Io | Jupiter |"]


def test_a_long_text_with_terminal_markup_is_not_held_a_line_at_a_time(tmp_path: Path) -> None:
    # Its markup was undone over the text split into lines, a string each: these 12 MB took 663 MB (60 MB: 1.5 GB).
    # Past 250,000 lines per MB of QABOT_READER_MAX_INFLATED_MB, the text is taken as it is, escapes shown inert.
    path = tmp_path / "log.txt"
    path.write_text("\x1b[1mBold\x1b[0m and \x1b[1mmore\x1b[0m ab\u2010\ncd\n" + "ab\n" * 4_000_000, encoding="utf-8")
    shown, peak_kib = _read_apart(path, tmp_path, "w")
    assert shown == str([("skipping log.txt: holds more than 512,000 paragraphs (8,000 for each million characters "
                          "of QABOT_READER_MAX_TEXT_MB)")])
    assert peak_kib < 250 << 10, peak_kib >> 10  # 143 MB here
    short = tmp_path / "short.txt"
    for lines, kept in ((20_000, False), (30_000, True)):  # 25,000 lines for 0.1 MB
        short.write_text("\x1b[1mBold\x1b[0m and \x1b[1mmore\x1b[0m\n" + "Some words.\n" * lines, encoding="utf-8")
        (doc,), warnings = _read(short, ReaderLimits(max_inflated_mb=0.1))
        assert not warnings and (doc.text == short.read_text(encoding="utf-8")) is kept

def test_only_the_readers_own_time_counts_not_what_is_done_with_its_documents(tmp_path: Path) -> None:
    jsonl = tmp_path / "many.jsonl"
    jsonl.write_text("".join(json.dumps({"_id": str(n), "text": f"Record {n}."}) + "\n" for n in range(3)))
    read = []
    for document in load_file(CorpusFile(jsonl, jsonl.name), pytest.fail, ReaderLimits(seconds=0.2)):
        time.sleep(0.15)  # a slow consumer (the embedding of a build): not the reader's time
        read.append(document.doc_id)
    assert read == ["0", "1", "2"]


def test_limits_come_from_the_settings_and_the_rest_of_the_folder_is_indexed(make_corpus, fake_bot_for, caplog
                                                                             ) -> None:
    corpus = make_corpus({"good.txt": GOOD, "long.txt": "The harbour was dredged in 1911.\n\n" * 2_000})
    bot = fake_bot_for(corpus, reader_max_text_mb=0.05)
    assert "skipping long.txt: yields more than 0.05 million characters of text (QABOT_READER_MAX_TEXT_MB)" in caplog.text
    assert [s.source for s in bot.sources()] == ["good.txt"]
    assert bot.ask("Who was Trotsky married to?", k=1).excerpts[0].citation.source == "good.txt"


RECORD = "The harbour was dredged in 1911 and the keeper rang the bell. " * 800  # ~50,000 characters


def _records(kind: str, texts: list[str]) -> tuple[str, str]:
    """A file of one document per text, read a document at a time: a BEIR .jsonl, a mailing list's archive of the
    month (an mbox as text), or an .mbox."""
    if kind == "jsonl":
        return "many.jsonl", "".join(json.dumps({"_id": str(n), "text": text}) + "\n" for n, text in enumerate(texts))
    return f"list.{kind}", "".join(f"From keeper@harbour.org Tue Jun {n + 1} 10:00:00 2024\nFrom: Keeper "
                                   f"<keeper@harbour.org>\nSubject: Dredging {n}\n\n{text}\n\n" for n, text in enumerate(texts))


@pytest.mark.parametrize("kind", ["jsonl", "txt", "mbox"])
def test_a_file_skipped_for_a_limit_part_way_through_leaves_none_of_its_documents_indexed(make_corpus, fake_bot_for,
                                                                                          caplog, kind) -> None:
    """Each document is indexed as its reader gives it: a file over the text or time limit at its third record was
    said to be skipped, and its first two were indexed and quoted all the same, until the file changed."""
    name, content = _records(kind, [RECORD] * 4)
    corpus = make_corpus({"good.txt": GOOD, name: content})
    bot = fake_bot_for(corpus, reader_max_text_mb=0.12)  # the first two documents fit, the third goes over
    assert f"skipping {name}: yields more than 0.12 million characters of text" in caplog.text
    assert [s.source for s in bot.sources()] == ["good.txt"]
    assert bot.manifest.files[name].documents == 0 and bot.manifest.documents == 1
    assert bot.ask("When was the harbour dredged?", k=3).excerpts[0].citation.source == "good.txt"


@pytest.mark.parametrize("batch", [1024, 8], ids=["queued", "written"])
def test_a_file_changed_to_go_over_a_limit_part_way_loses_its_old_documents_and_its_new(make_corpus, fake_bot_for,
                                                                                        fake_embedder, tmp_path,
                                                                                        monkeypatch, batch) -> None:
    """A file indexed whole, then changed so that its reader stops part way: neither the documents it held, nor
    those read of it before the limit (unchanged, replaced, added) are left, and the files added with it are
    indexed: the index is the one a build of the other files alone makes. ``batch``: passages embedded at once, so
    that those of the file's documents are still queued when the limit is met, or written already."""
    import qabot.index.ingest

    monkeypatch.setattr(qabot.index.ingest, "BATCH", batch)
    name, content = _records("jsonl", [RECORD] * 2)
    corpus = make_corpus({"good.txt": GOOD, name: content})
    bot = fake_bot_for(corpus, reader_max_text_mb=0.17)
    assert [s.source for s in bot.sources()] == ["good.txt", name] and bot.manifest.files[name].documents == 2
    good = bot.manifest.files["good.txt"].digest, bot.sources(["good.txt"])
    # The first record as it was, the second changed, a third added: 150,000 characters; the fourth goes over.
    _, content = _records("jsonl", [RECORD, RECORD.replace("1911", "1912"), "The keeper retired in 1930. " * 1700,
                                    RECORD])
    added = {"about.txt": "The bell was cast in Leeds.\n", "notes.txt": "The fog horn replaced the bell in 1931.\n"}
    make_corpus({name: content, **added})  # read before it, and after it
    refresh = bot.refresh()
    assert refresh.updated and (refresh.documents, refresh.deleted) == (2, 2)
    assert bot.manifest.skipped_messages() == [
        f"skipping {name}: yields more than 0.17 million characters of text (QABOT_READER_MAX_TEXT_MB)"]
    assert [s.source for s in bot.sources()] == ["about.txt", "good.txt", "notes.txt"]
    assert (bot.manifest.files["good.txt"].digest, bot.sources(["good.txt"])) == good
    assert bot.manifest.files[name].documents == 0
    assert {e.citation.source for e in bot.ask("When did the keeper retire?", k=5).excerpts} <= {*added, "good.txt"}
    (tmp_path / "alone").mkdir()
    for file, text in {"good.txt": GOOD, **added}.items():
        (tmp_path / "alone" / file).write_text(text, encoding="utf-8")
    alone = make_bot(tmp_path / "alone", tmp_path / "alone-index", fake_embedder)
    counts = (alone.manifest.documents, alone.manifest.passages, alone.manifest.sentences, alone.living.current.stats)
    alone.close()
    assert (bot.manifest.documents, bot.manifest.passages, bot.manifest.sentences, bot.living.current.stats) == counts
    bot.close()
    again = fake_bot_for(corpus, reader_max_text_mb=0.17)  # what was committed reads back the same
    assert again.living.last.outcome is Outcome.UNCHANGED
    assert [s.source for s in again.sources()] == ["about.txt", "good.txt", "notes.txt"]


@pytest.mark.parametrize("limit", ["text", "size"])
def test_a_file_skipped_for_a_limit_is_read_once_the_limit_is_raised(make_corpus, fake_bot_for, limit) -> None:
    """A file skipped for a reader limit stayed skipped after the limit was raised, until the file itself changed
    (or qabot index --rebuild): its digest was unchanged, so it was never read again. The index records the limits
    it read under: the next start under other limits reads the files it skipped again, and only them."""
    corpus = make_corpus({"good.txt": GOOD, "long.txt": "The harbour was dredged in 1911.\n\n" * 2_000})
    low, high = ({"reader_max_text_mb": 0.05}, {"reader_max_text_mb": 1}) if limit == "text" else (
        {"reader_max_file_mb": 0.05}, {"reader_max_file_mb": 1})
    for path in corpus.iterdir():  # saved an hour ago: their size and time are trusted, not read again
        os.utime(path, (time.time() - 3600,) * 2)
    fake_bot_for(corpus, **low).close()
    raised = fake_bot_for(corpus, **high)
    assert raised.living.last.outcome is Outcome.UPDATED and raised.living.last.documents == 1  # long.txt alone
    assert [s.source for s in raised.sources()] == ["good.txt", "long.txt"] and not raised.manifest.skipped_messages()
    assert raised.ask("When was the harbour dredged?", k=1).excerpts[0].citation.source == "long.txt"
    raised.close()
    again = fake_bot_for(corpus, **high)
    assert again.living.last.outcome is Outcome.UNCHANGED  # read once, not at every start
    again.close()
    lowered = fake_bot_for(corpus, **low)  # what was read stays read, as before (qabot index --rebuild reads it all)
    assert lowered.living.last.outcome is Outcome.UNCHANGED and len(lowered.sources()) == 2


def test_a_file_over_the_size_limit_is_never_read_not_even_hashed_on_updates(make_corpus, fake_bot_for,
                                                                             monkeypatch) -> None:
    import qabot.corpus

    hashed: list[str] = []
    digest = qabot.corpus.file_digest
    monkeypatch.setattr(qabot.corpus, "file_digest", lambda path: hashed.append(path.name) or digest(path))
    corpus = make_corpus({"good.txt": GOOD})
    with open(corpus / "dump.txt", "wb") as big:  # sparse: 8 GB on disk would cost a minute to hash
        big.truncate(8 << 20)
    bot = fake_bot_for(corpus, reader_max_file_mb=4)
    with open(corpus / "dump.txt", "ab") as big:  # it grows, as a log does
        big.write(b"one more line\n")
    assert bot.refresh().outcome is Outcome.UPDATED
    assert "dump.txt" not in hashed
    assert bot.manifest.skipped_messages() == [
        "skipping dump.txt: 8.0 MB on disk, over the 4 MB limit (QABOT_READER_MAX_FILE_MB)"]
    (corpus / "dump.txt").write_text("Now a small file about the harbour.\n")  # under the limit again: read
    assert bot.refresh().outcome is Outcome.UPDATED and "dump.txt" in hashed
    assert [s.source for s in bot.sources()] == ["dump.txt", "good.txt"] and not bot.manifest.skipped_messages()


# -- flat pages: trafilatura reads a big page in parts --------------------------------------


def test_a_big_flat_page_read_in_parts_gives_the_text_it_gives_whole(tmp_path: Path, monkeypatch) -> None:
    page = hostile.flat_html(tmp_path / "flat.html", mb=0.3)
    data = page.read_bytes()
    whole = html.document("flat.html", data)
    monkeypatch.setattr(html, "PIECE", 500)  # the page has about 7,000 elements: 14 parts
    parts = html.document("flat.html", data)
    assert whole is not None and parts is not None
    assert parts.text == whole.text and parts.paragraphs == whole.paragraphs and len(whole.paragraphs) > 3_000


def test_a_big_page_in_parts_keeps_its_main_container_sections_and_anchors(monkeypatch) -> None:
    # The test page (navigation, a cookie banner, a sidebar, then <main>) with 600 more
    # paragraphs and 15 more sections in its <main>: about 1,300 elements.
    more = "".join(f"<p>Paragraph {n}: the glob tool reads its patterns at start-up, line {n}.</p>\n"
                   + (f"<h2 id='part-{n}'>Part {n}</h2>\n" if n % 40 == 0 else "") for n in range(600))
    page = documents.PAGE.replace('<section id="troubleshooting">', more + '<section id="troubleshooting">').encode()
    whole = html.document("install.html", page)
    monkeypatch.setattr(html, "PIECE", 100)
    parts = html.document("install.html", page)
    assert whole is not None and parts is not None and len(whole.paragraphs) > 600
    assert parts.text == whole.text and parts.paragraphs == whole.paragraphs
    assert not any(word in parts.text for word in documents.BOILERPLATE)  # each part still has <main> around it
    assert {p.anchor for p in parts.paragraphs} >= {"installing", "part-40", "part-560", "troubleshooting"}


def test_a_big_page_with_a_typo_in_a_container_tag_is_read_in_parts(tmp_path: Path) -> None:
    """``<div"class="main">`` (no space before the attribute): the HTML parser takes it as a tag of that name, which
    lxml would not make again, so a page big enough to be read in parts was skipped whole ("cannot be read
    (ValueError: Invalid HTML tag name ...)"), where a browser shows it."""
    rows = "".join(f"<p>Paragraph {n}: the harbour board met to decide on the bridge, item {n}.</p>\n"
                   for n in range(html.PIECE + 500))
    path = tmp_path / "minutes.html"
    path.write_text(f'<html><body><div"class="main"><h1>Minutes</h1>{rows}</div"class="main"></body></html>',
                    encoding="utf-8")
    warnings: list[str] = []
    (page,) = load_file(CorpusFile(path, path.name), warnings.append)
    assert not warnings
    assert "item 0." in page.text and f"item {html.PIECE + 499}." in page.text


def test_a_page_whose_element_has_thousands_of_attributes_is_skipped_at_once(tmp_path: Path) -> None:
    """The HTML parser takes time that grows faster than the square of an element's distinct attributes, in one call
    no time limit stops: 40,000 of them (350 KB of page) took 16 s, 200,000 (2 MB) minutes."""
    many = " ".join(f"data-n{n}=x" for n in range(50_000))
    path = tmp_path / "crowded.html"
    path.write_text(f"<html><body><main><p {many}>The dome opens at dusk on Fridays.</p></main></body></html>",
                    encoding="utf-8")
    started = time.monotonic()
    docs, warnings = _read(path)
    assert time.monotonic() - started < 2
    assert docs == [] and warnings == [(f"skipping crowded.html: an element in it has more than "
                                        f"{html.MAX_ATTRIBUTES:,} attributes, more than the HTML parser reads in time")]
    some = " ".join(f'data-n{n}="a > b"' for n in range(html.MAX_ATTRIBUTES))  # as many as may be: read
    path.write_text(f"<html><body><main><p {some}>The dome opens at dusk on Fridays.</p></main></body></html>",
                    encoding="utf-8")
    [page] = _read(path)[0]
    assert page.text == "The dome opens at dusk on Fridays."


# -- exports: streamed, one message at a time -------------------------------------------------


@pytest.mark.parametrize("shape", ["chat", "dm", "late reply", "missing field"])
def test_a_streamed_export_gives_the_document_json_load_gave(tmp_path: Path, shape: str) -> None:
    chat, fields = [dict(m) for m in documents.CHAT], {}
    if shape == "dm":
        fields = {"guild": {"id": "0", "name": "Direct Messages", "iconUrl": ""}}
    elif shape == "late reply":
        chat.append(documents.message("1006", "Dan", "Thursday it is.", "2024-05-02T12:00:00+00:00", reply_to="1005"))
    elif shape == "missing field":
        del chat[1]["author"]
    path = documents.write_export(tmp_path / "help.json", chat, **fields)
    expected_warnings: list[str] = []
    expected = export_reader.documents("help.json", json.loads(path.read_text(encoding="utf-8")),
                                       expected_warnings.append)
    docs, warnings = _read(path)
    assert docs == expected and warnings == expected_warnings


def test_an_export_is_read_without_holding_its_json(tmp_path: Path) -> None:
    path = hostile.big_export(tmp_path / "big.json", mb=4)
    (docs, warnings), peak, held = _peak_while(lambda: _read(path))
    text = sum(len(d.text) for d in docs)
    assert not warnings and sum(len(d.paragraphs) for d in docs) > 3_500
    # What reading needed beyond the documents it returns: a message at a time; each message's
    # paragraph until its conversation is known (a chat is laid out exchange by exchange), with
    # a few numbers each for untangling; and each exchange's text joined once. json.load of the
    # file needs several times the file.
    assert peak - held < 5 * text < path.stat().st_size


@pytest.mark.parametrize("newest_first", [False, True])
def test_an_export_of_short_messages_is_laid_out_a_document_at_a_time(tmp_path: Path, newest_first: bool) -> None:
    """A channel of short messages (a 75 MB export of 300,000 took 641 MB to read) was laid out whole before its first
    document was given: every message's paragraph as a pydantic model, some 1,300 bytes a message held at once, and
    an empty set of who marked it (216 bytes) kept with each. Taken a document at a time, reading holds only what
    untangling needs of each message until the channel's last. An export written newest first (``--reverse``) holds
    its messages until the oldest is read: each held a set of its author's names and one of its mentions, and a dict
    of its fields, some 1,000 bytes more a message."""
    path = hostile.big_export(tmp_path / "short.json", mb=4, words=(1, 5), people=8)
    if newest_first:
        export = json.loads(path.read_text(encoding="utf-8"))
        export["messages"].reverse()
        path.write_text(json.dumps(export, indent=2), encoding="utf-8")

    def read() -> tuple[int, int]:
        documents = messages = 0
        for document in load_file(CorpusFile(path, path.name)):
            documents, messages = documents + 1, messages + len(document.paragraphs)
        return documents, messages

    (documents, messages), peak, _ = _peak_while(read)
    assert documents > 1_000 and messages > 4_000
    # Some 750 bytes a message (newest first: 930); it was some 2,300 (newest first, laid out a document at a time: 1,560)
    assert peak < (1_200 if newest_first else 1_000) * messages, peak // messages


# -- the full-size attacks, through `qabot index` (make test-slow) ---------------------------

ONE_GIB = 1 << 30


def _index(corpus: Path, index: Path) -> tuple[subprocess.CompletedProcess, float, int]:
    """`qabot index` (on the fake embedder) as a process: its result, its seconds and its own peak RSS in bytes,
    as /usr/bin/time -v measures them (wait4's resource usage of that one process, started by ``tests.peak``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QABOT_")}
    env |= {"QABOT_CORPUS_DIR": str(corpus), "QABOT_INDEX_DIR": str(index)}
    out, err, peak = index.parent / "index.out", index.parent / "index.err", index.parent / "index.peak"
    started = time.monotonic()
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "tests.peak", str(peak), *FAKE_QABOT, "index"],
                                   stdout=stdout, stderr=stderr, env=env, cwd=REPO)
        watchdog = threading.Timer(600, process.kill)
        watchdog.start()
        try:
            process.wait()
        finally:
            watchdog.cancel()
    seconds = time.monotonic() - started
    done = subprocess.CompletedProcess(process.args, process.returncode, out.read_text(), err.read_text())
    return done, seconds, int(peak.read_text()) * 1024


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "mb", "skipped"), [
    ("docx_bomb", 1024, "unpacks to 1,024 MB, over the 256 MB limit (QABOT_READER_MAX_FILE_MB)"),
    ("docx_paragraphs", 160, "its XML unpacks to 160 MB, over the 4 MB limit (QABOT_READER_MAX_INFLATED_MB)"),
    ("docx_paragraphs", 3.9, "the document has no text"),
    ("flat_html", 8, "8.0 MB of markup to parse, over the 4 MB limit (QABOT_READER_MAX_INFLATED_MB)"),
    ("flat_html", 3.9, None),
    ("flat_html", 50, "50.0 MB of markup to parse, over the 4 MB limit (QABOT_READER_MAX_INFLATED_MB)"),
    ("deep_export", 1, "its JSON is nested more than 64 levels deep, not an export"),
    ("pdf_lines", 22, "a stream in it (object 4) inflates to more than 4 MB, over the limit (QABOT_READER_MAX_INFLATED_MB)"),
    ("pdf_lines", 3.5, ("page 1 draws more than 40,000 objects, the limit for a page "
                       "(10,000 per MB of QABOT_READER_MAX_INFLATED_MB)")),
    ("pdf_tj", 16, "a stream in it (object 4) inflates to more than 4 MB, over the limit (QABOT_READER_MAX_INFLATED_MB)"),
    ("pdf_shows", 334, "a stream in it (object 4) inflates to more than 4 MB, over the limit (QABOT_READER_MAX_INFLATED_MB)"),
    ("pdf_labels", 1, None),
])
def test_qabot_index_on_a_hostile_file_ends_within_a_minute_and_a_gigabyte(tmp_path, kind, mb, skipped) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(GOOD, encoding="utf-8")
    suffix = {"docx": ".docx", "pdf": ".pdf"}.get(kind.split("_")[0], ".json" if kind.endswith("export") else ".html")
    hostile.KINDS[kind](corpus / f"hostile{suffix}", mb)
    done, seconds, peak = _index(corpus, tmp_path / "index")
    assert done.returncode == 0, done.stderr
    assert seconds < 60 and peak < ONE_GIB, (seconds, peak >> 20)
    if skipped:
        assert f"skipping hostile{suffix}: {skipped}" in done.stderr
    else:
        assert "Indexed 2 file(s)" in done.stdout
    from qabot import QABot
    from tests.fakes import HashEmbedder

    bot = QABot.from_settings(corpus_dir=corpus, index_dir=tmp_path / "index", embedder=HashEmbedder(),
                              _env_file=None, answer_threshold=0.0)
    try:
        assert bot.ask("Who was Trotsky married to?", k=1).excerpts[0].citation.source == "good.txt"
    finally:
        bot.close()


@pytest.mark.slow
def test_a_200_mb_export_is_read_in_under_a_gigabyte(tmp_path: Path) -> None:
    path = hostile.big_export(tmp_path / "big.json", mb=200)
    script = ("import sys; from pathlib import Path; from qabot.corpus import CorpusFile, load_file; "
              "p = Path(sys.argv[1]); docs = [(len(d.text), len(d.paragraphs)) for d in load_file(CorpusFile(p, "
              "p.name))]; print(sum(c for c, _ in docs), sum(n for _, n in docs))")
    peak = tmp_path / "read.peak"
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "tests.peak", str(peak), sys.executable, "-c", script, str(path)],
                          capture_output=True, text=True, timeout=600, cwd=REPO)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    chars, paragraphs = map(int, done.stdout.split())
    peak_kb = int(peak.read_text())
    # Every message of it, indexed: read within the reader's own time limit for its size (a file over it is skipped).
    # How long it takes is the bench's to measure (`qabot bench --formats`), not a timed test's: about 53 s here.
    assert paragraphs > 200_000 and chars > 20_000_000, seconds
    assert peak_kb * 1024 < ONE_GIB, (peak_kb >> 10, seconds)


def test_a_big_file_may_take_longer_in_proportion_to_its_size() -> None:
    from qabot.corpus.limits import MB, SECONDS_PER_MB, Budget

    limits = ReaderLimits(seconds=30)
    assert Budget(limits, 4 * MB).allowed == 30  # a small file: the setting
    assert Budget(limits, 200 * MB).allowed == 200 * SECONDS_PER_MB == 200  # a big export: by its size


def test_a_reader_s_time_is_its_own_so_a_busy_machine_skips_no_file_but_one_that_waits_long_is_stopped() -> None:
    """The allowance was counted on the clock: on a machine busy with other work an 84 MB export took 24 to 40 s on
    the clock for 20 s of its own, and was skipped once at 81 s. The reading thread's own time is counted now; time
    spent waiting (here asleep, as on a slow disk) only past ``WAITING_FACTOR`` times the allowance."""
    from qabot.corpus.limits import WAITING_FACTOR, Budget, OverLimit

    budget = Budget(ReaderLimits(seconds=0.1))
    with budget.reading():
        time.sleep(0.2)  # twice the allowance on the clock, none of the thread's own time
        budget.check()
    with budget.reading(), pytest.raises(OverLimit, match=r"longer than 0.4 s on the clock \(4 times"):
        time.sleep(0.1 * WAITING_FACTOR - 0.2 + 0.05)
        budget.check()
    busy = Budget(ReaderLimits(seconds=0.1))
    with busy.reading(), pytest.raises(OverLimit, match=r"took longer than 0.1 s \(QABOT_READER_SECONDS\)"):
        began = time.thread_time()
        while time.thread_time() - began < 0.15:
            pass
        busy.check()


# -- deep pages: lxml nests no deeper than 255 elements ---------------------------------------


def test_an_old_page_that_never_closes_its_font_tags_is_read_whole(tmp_path: Path) -> None:
    # Each paragraph opens a <font> and none is closed, so each nests in the one before: lxml stopped at the 127th,
    # without a word.
    page = tmp_path / "old.html"
    page.write_text("<html><head><title>Club notes</title></head><body>" + "".join(
        f"<FONT SIZE=2 FACE='Arial'><p>Note {n}: the dome closes when the humidity rises above {n} percent."
        for n in range(400)) + "</body></html>", encoding="latin-1")
    (doc,), warnings = _read(page)
    assert not warnings
    assert [doc.text[p.start : p.end] for p in doc.paragraphs][-1] == (
        "Note 399: the dome closes when the humidity rises above 399 percent.")
    assert len(doc.paragraphs) == 400 and "FONT" not in doc.text


def test_a_page_nested_past_the_parsers_limit_says_so(tmp_path: Path) -> None:
    page = tmp_path / "deep.html"
    page.write_text("<html><body><p>Near the top: the dome key hangs by the door.</p>" + "<div>" * 300
                    + "<p>Far down: the spare key is in the blue box.</p>" + "</div>" * 300 + "</body></html>")
    (doc,), warnings = _read(page)
    assert warnings == ["deep.html: its elements nest more than 255 deep; the text after that point is not read"]
    assert "dome key" in doc.text and "spare key" not in doc.text
