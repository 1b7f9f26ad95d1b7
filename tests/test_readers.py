"""The readers of derived text: PDF, HTML, Word and DiscordChatExporter exports, on real files.

PDFs and Word files are written at test time (fpdf2, python-docx); tests/data/formats/
holds real documents nobody here wrote (see SOURCES.md there).
"""

from __future__ import annotations

import codecs
import json
import re
import time
import zipfile
from pathlib import Path

import pytest

from qabot.corpus import CorpusFile, document_paragraphs, find_files, load_file
from qabot.corpus.garbled import mixed_scripts, unreadable
from qabot.models import Document, Paragraph
from tests import documents
from tests.documents import FORMATS


def _read(path: Path) -> tuple[list[Document], list[str]]:
    warnings: list[str] = []
    return list(load_file(CorpusFile(path, path.name), warnings.append)), warnings


def _one(path: Path) -> Document:
    docs, warnings = _read(path)
    assert len(docs) == 1 and not warnings, warnings
    return docs[0]


def _texts(doc: Document, *, headings: bool = False) -> list[str]:
    return [doc.text[p.start : p.end] for p in document_paragraphs(doc) if p.heading == headings]


def test_every_format_is_found_in_a_folder(tmp_path: Path) -> None:
    documents.write_pdf(tmp_path / "manual.pdf")
    documents.write_docx(tmp_path / "minutes.docx")
    documents.write_html(tmp_path / "install.html")
    documents.write_export(tmp_path / "help.json")
    warnings: list[str] = []
    assert [f.name for f in find_files(tmp_path, warnings.append)] == [
        "help.json", "install.html", "manual.pdf", "minutes.docx"]
    assert not warnings


# -- PDF ------------------------------------------------------------------------------------


def test_pdf_pages_sections_and_metadata(tmp_path: Path) -> None:
    doc = _one(documents.write_pdf(tmp_path / "manual.pdf"))
    assert (doc.title, doc.author) == ("The Glob Tool Manual", "Observatory software group")
    assert _texts(doc, headings=True) == list(documents.MANUAL)
    paras = [p for p in document_paragraphs(doc) if not p.heading]
    assert [p.page for p in paras] == [1, 1, 2, 2, 3, 3, 4, 4]
    glob = next(p for p in paras if "patterns.glob" in doc.text[p.start : p.end])
    assert (glob.section, glob.page, glob.page_label) == ("2.4. The glob files", 3, None)
    # Every paragraph is one line of the text, and the text is nothing but the paragraphs.
    assert all("\n" not in doc.text[p.start : p.end] for p in doc.paragraphs)
    assert doc.text == "\n\n".join(doc.text[p.start : p.end] for p in doc.paragraphs)


@pytest.mark.parametrize(("raw", "date"), [("D:20020501184600Z", "2002-05-01"), ("D:202402", "2024-02"),
                                           ("D:99991399", "9999"), ("D:20230230120000Z", "2023-02"), ("D:0000", None)])
def test_a_pdfs_creation_date_is_cited_as_far_as_it_is_a_date(tmp_path: Path, raw: str, date: str | None) -> None:
    # A tool's "D:99991399" was cited as the date "9999-13-99".
    path = documents.write_pdf(tmp_path / "manual.pdf")
    written = re.search(rb"/CreationDate \((D:\d{14}Z)\)", path.read_bytes())
    assert written and len(raw) <= len(written[1])  # the same length: the file's offsets stay right
    path.write_bytes(path.read_bytes().replace(written[1], raw.ljust(len(written[1])).encode()))
    assert _one(path).date == date


def test_pdf_running_header_and_page_numbers_are_dropped(tmp_path: Path) -> None:
    doc = _one(documents.write_pdf(tmp_path / "manual.pdf"))
    assert "Glob Tool Manual" not in doc.text.replace("The Glob Tool Manual", "")
    assert not [text for text in _texts(doc) if text.strip().isdigit()]


def test_pdf_page_labels_are_kept_beside_the_page(tmp_path: Path) -> None:
    doc = _one(documents.write_pdf(tmp_path / "manual.pdf", labels=True))
    labels = {p.page: p.page_label for p in doc.paragraphs}
    assert labels == {1: "i", 2: "1", 3: "2", 4: "3"}


def test_pdf_hard_wrapped_lines_are_rejoined(tmp_path: Path) -> None:
    doc = _one(documents.write_pdf(tmp_path / "manual.pdf"))
    body = documents.MANUAL["2.4. The glob files"]
    assert body in _texts(doc)  # a paragraph that fpdf2 wrapped over several lines, whole again


def test_a_pdf_without_a_metadata_title_is_named_by_its_first_page_or_running_header(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    real = FORMATS / "pdf-titles" / "fontconfig-user.pdf"
    source = pdfium.PdfDocument(real)
    assert not source.get_metadata_dict(skip_empty=True).get("Title")
    # Its first line, in the largest type of the first page and at the top of every page, dropped
    # there as a running header: the title, not the heading below it ("Name").
    assert _one(real).title == "fonts-conf"
    # From its third page on, the first page's largest text is a section heading ("Debugging
    # Applications", a fifth larger than the body): the running header is the title.
    later = pdfium.PdfDocument.new()
    later.import_pages(source, list(range(2, len(source))))
    later.save(tmp_path / "later.pdf")
    assert _one(tmp_path / "later.pdf").title == "fonts-conf"
    # A title page: its largest text, whole over two lines ("Camlidl user’s manual" / "Version 1.04").
    assert _one(FORMATS / "pdf" / "camlidl-manual.pdf").title == "Camlidl user’s manual Version 1.04"


# Titles a tool wrote into a real paper's metadata (PDFs of a research archive: 35 of 190): the file it printed,
# a print driver's "Microsoft Word - " before it, a template's or an application's placeholder, an arXiv stamp.
PLACEHOLDER_TITLES = ("Microsoft Word - Kalman15.doc", "paper.dvi", "Dissertation Of Jim Benvenuto.doc",
                      "data/abortions.tex", "rackawareness.eps", "untitled", "Untitled Document",
                      "Proceedings Template - WORD", "template for UP 2008 proceedings",
                      "arXiv:quant-ph/9508027v2  25 Jan 1996", "doi:10.1016/j.tcs.2003.05.002")


@pytest.mark.parametrize("placeholder", PLACEHOLDER_TITLES)
def test_a_placeholder_for_a_title_in_the_metadata_is_no_title(tmp_path: Path, placeholder: str) -> None:
    # Its running header, as for a PDF without a title in its metadata; a Word file's paragraph in the Title style.
    assert _one(documents.write_pdf(tmp_path / "manual.pdf", title=placeholder)).title == "Glob Tool Manual"
    word = tmp_path / "minutes.docx"
    documents.write_docx(word)
    import docx

    edited = docx.Document(str(word))
    edited.core_properties.title = placeholder
    edited.save(str(word))
    assert _one(word).title == "Minutes of the 1998 general meeting"


@pytest.mark.parametrize("placeholder", ("Document", "Untitled Document", "Untitled-1", "index.html"))
def test_an_editors_placeholder_for_a_pages_title_is_no_title(tmp_path: Path, placeholder: str) -> None:
    # VS Code's and Emmet's "!" page is titled "Document", Dreamweaver's "Untitled Document": every passage of the
    # page was cited, and read by the model, under it. Its og:title is the title where it has one.
    body = "<body><main><h1>Dome care</h1><p>Close the dome when the humidity rises above 85 percent.</p></main></body>"
    bare = documents.write_html(tmp_path / "dome.html", f"<html><head><title>{placeholder}</title></head>{body}</html>")
    assert _one(bare).title is None
    social = documents.write_html(tmp_path / "care.html", f"<html><head><title>{placeholder}</title><meta "
                                  f'property="og:title" content="Dome care"></head>{body}</html>')
    assert _one(social).title == "Dome care"
    kept = documents.write_html(tmp_path / "kept.html", f"<html><head><title>Dome care</title></head>{body}</html>")
    assert _one(kept).title == "Dome care"


def test_an_svg_icons_title_is_not_the_pages(tmp_path: Path) -> None:
    # A page without a <title> in its head, with an inline SVG icon's tooltip (<svg><title>GitHub</title>): every
    # passage was cited, and read by the model, as the page "GitHub". A <title> the page puts in its body still is.
    main = "<main><h1>Dome care</h1><p>Close the dome when the humidity rises above 85 percent.</p></main>"
    icon = '<a href="https://github.com/x"><svg viewBox="0 0 16 16"><title>GitHub</title><path d="M0 0"/></svg></a>'
    page = documents.write_html(tmp_path / "dome.html", f"<html><head></head><body><header>{icon}</header>{main}</body></html>")
    assert _one(page).title is None
    body = documents.write_html(tmp_path / "care.html", f"<html><body><title>Dome care</title>{icon}{main}</body></html>")
    assert _one(body).title == "Dome care"


def test_an_arxiv_stamp_in_the_margin_is_not_the_title(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF(format="letter", unit="pt")
    pdf.add_page()
    pdf.set_font("Times", size=17)
    pdf.set_xy(72, 90)
    pdf.cell(468, 20, "Polynomial-Time Algorithms for Prime Factorization", align="C")
    pdf.set_font("Times", size=10)
    for row, line in enumerate(["A digital computer is generally believed to be an efficient universal computing",
                                "device; that is, it is believed able to simulate any physical computing device",
                                "with an increase in computation time by at most a polynomial factor."]):
        pdf.set_xy(72, 150 + 12 * row)
        pdf.cell(468, 12, line)
    pdf.set_font("Times", size=20)  # arXiv's stamp, up the left margin, in larger type than the title
    with pdf.rotation(90, 30, 600):
        pdf.text(30, 600, "arXiv:quant-ph/9508027v2  25 Jan 1996")
    path = tmp_path / "shor.pdf"
    pdf.output(str(path))
    assert _one(path).title == "Polynomial-Time Algorithms for Prime Factorization"


def test_a_title_in_the_metadata_is_kept(tmp_path: Path) -> None:
    for title in ("Hints for Computer System Design", "The UNIX Time-Sharing System", "Version 2.0 of the glob tool",
                  "Untitled: a history of nameless files", "Documentation of the glob tool"):
        assert _one(documents.write_pdf(tmp_path / "manual.pdf", title=title)).title == title


def test_real_pdf_reads_with_numbered_sections_and_no_table_of_contents_leaders() -> None:
    doc = _one(FORMATS / "pdf" / "reportlab-userguide.pdf")
    assert doc.title == "ReportLab PDF Generation User Guide"
    sections = _texts(doc, headings=True)
    assert "2.1 Basic Concepts" in sections and "2.2 More about the Canvas" in sections
    assert ". . . ." not in doc.text
    assert "User Guide Chapter 2 Graphics and Text with pdfgen" not in doc.text  # a running header
    basics = next(p for p in doc.paragraphs if doc.text[p.start : p.end].startswith("The pdfgen package is the lowest"))
    assert (basics.page, basics.section) == (11, "2.1 Basic Concepts")


def test_real_pdf_hyphenated_words_are_whole() -> None:
    doc = _one(FORMATS / "pdf" / "camlidl-manual.pdf")
    assert "considered as blanks" in doc.text and "con\ufffesidered" not in doc.text
    # A compound hyphenated at a line end keeps its hyphen, as the manual spells it elsewhere.
    assert "runtime" not in doc.text and "camlidlgenerated" not in doc.text and "camlidl-generated stub" in doc.text
    assert "\ufffe" not in doc.text and "\xad" not in doc.text
    assert "1.1 What is IDL?" in _texts(doc, headings=True)


def test_pdf_a_paragraph_over_a_page_break_is_grouped() -> None:
    doc = _one(FORMATS / "pdf" / "camlidl-manual.pdf")
    grouped = [p for p in doc.paragraphs if p.group is not None]
    assert grouped
    first, second = grouped[0], grouped[1]
    assert first.group == second.group and second.page == first.page + 1


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: documents.write_pdf(p, password="secret"), "encrypted"),
        (documents.write_scanned_pdf, "no text layer"),
        (documents.write_zero_page_pdf, "PDF"),
        (lambda p: p.write_bytes(documents.write_pdf(p).read_bytes()[:700]) and p, "truncated"),
        (lambda p: p.write_bytes(b"%PDF-1.4 this is not a PDF at all") and p, "damaged"),
        (lambda p: documents.write_unmapped_pdf(p, readable=False), "no character map"),
        (lambda p: documents.write_distilled_pdf(p, [[(300, 40, 10, "3")]]), "nothing on its pages"),  # a page number
    ],
    ids=["encrypted", "scanned", "zero-pages", "truncated", "garbage", "unmapped-fonts", "page-number-only"],
)
def test_a_pdf_that_cannot_be_read_is_skipped_with_a_reason(tmp_path: Path, make, reason: str) -> None:
    path = tmp_path / "bad.pdf"
    make(path)
    docs, warnings = _read(path)
    assert docs == []
    assert len(warnings) == 1 and warnings[0].startswith("skipping bad.pdf: ") and reason in warnings[0]


def test_pdf_text_in_fonts_without_a_character_map_is_left_out_with_a_warning(tmp_path: Path) -> None:
    doc, warnings = _read(documents.write_unmapped_pdf(tmp_path / "bridge.pdf"))
    assert [p.page for p in doc[0].paragraphs] == [1, 2]  # page 3 shows nothing but unmapped glyphs
    assert doc[0].text == ("The harbour board met weekly to decide on repairs of the old stone bridge.\n\n"
                           "Repairs of the bridge start in May.")
    assert warnings == [("bridge.pdf: text left out on pages 2, 3: its font shows glyphs without saying which "
                        "characters they are (no character map), so the text is not the page's")]


def test_pdf_a_page_that_cannot_be_loaded_is_left_out_and_the_rest_read(tmp_path: Path) -> None:
    """A page PDFium cannot load (its object damaged or missing, as in a file cut short and repaired) skipped the
    whole PDF as "a damaged, truncated or empty PDF (Failed to load page.)", whatever its other pages held."""
    from tests.hostile import pdf_file

    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [3 0 R 77 0 R 9 0 R] /Count 3 >>",
               5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}
    for number, text in ((3, b"The dome opens at dusk on Fridays."), (9, b"It closes at midnight, or when it rains.")):
        content = b"BT /F1 12 Tf 72 700 Td (%s) Tj ET" % text
        objects[number] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> "
                           b">> /Contents %d 0 R >>" % (number + 1))
        objects[number + 1] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)
    path = tmp_path / "hours.pdf"
    path.write_bytes(pdf_file(objects))
    docs, warnings = _read(path)
    assert [(p.page, docs[0].text[p.start : p.end]) for p in docs[0].paragraphs] == [
        (1, "The dome opens at dusk on Fridays."), (3, "It closes at midnight, or when it rains.")]
    assert warnings == ["hours.pdf: page 2 left out: it cannot be loaded (damaged: Failed to load page.)"]


def test_pdf_pages_that_show_only_images_are_named_in_a_warning(tmp_path: Path) -> None:
    """A scanned PDF is skipped with a warning; a PDF with scanned pages among its text (an appendix, a signed page)
    lost them without a word, and a question about them was answered "not found" with no hint why."""
    from fpdf import FPDF
    from PIL import Image

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 6, "The dome motors are serviced every spring by the workshop.")
    for _ in range(2):  # a scanned page: a picture of the page, no text layer
        pdf.add_page()
        pdf.image(Image.new("L", (200, 280), 230), x=10, y=10, w=190)
    pdf.add_page()  # a drawing alone, and a logo on a page left blank: no scans
    pdf.rect(20, 20, 100, 100, style="F")
    pdf.add_page()
    pdf.image(Image.new("L", (20, 20), 100), x=10, y=10, w=20)
    pdf.add_page()
    pdf.multi_cell(0, 6, "The heater runs on twenty-four volts.")
    path = tmp_path / "manual.pdf"
    pdf.output(str(path))
    docs, warnings = _read(path)
    assert [p.page for p in docs[0].paragraphs] == [1, 6]
    assert warnings == [("manual.pdf: pages 2, 3 left out: they show images and no text (scanned? qabot does not read "
                        "text in images)")]


def _filled_form_pdf(path: Path, values: tuple[bytes, bytes] = (b"Ana Lopez of the Sky Club",
                                                                  b"The 40 cm reflector in dome B")) -> Path:
    """A one-page form as Acrobat leaves it once filled in: labels in the page's content, each answer a text field's
    value (``/V``) shown by its widget's appearance stream, not in the page's content."""
    label = b"BT /F1 12 Tf 72 720 Td (Applicant name:) Tj ET BT /F1 12 Tf 72 690 Td (Telescope requested:) Tj ET"
    shown = [b"/Tx BMC BT /F1 12 Tf 2 5 Td (%s) Tj ET EMC" % value for value in values]
    font = b"/Resources << /Font << /F1 4 0 R >> >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R 7 0 R] /DA (/F1 12 Tf 0 g) >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] " + font + b" /Contents 9 0 R /Annots [5 0 R 7 0 R] >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        (b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (name) /V (%s) /Rect [250 710 500 730] " % values[0] +
        b"/P 3 0 R /DA (/F1 12 Tf 0 g) /AP << /N 6 0 R >> /F 4 >>"),
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 250 20] " + font + b" /Length %d >>\nstream\n" % len(shown[0])
        + shown[0] + b"\nendstream",
        (b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (scope) /V (%s) " % values[1] +
        b"/Rect [250 680 500 700] /P 3 0 R /DA (/F1 12 Tf 0 g) /AP << /N 8 0 R >> /F 4 >>"),
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 250 20] " + font + b" /Length %d >>\nstream\n" % len(shown[1])
        + shown[1] + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(label) + label + b"\nendstream",
    ]
    data, offsets = b"%PDF-1.7\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(data))
        data += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(data)
    data += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % at for at in offsets)
    data += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(data)
    return path


@pytest.mark.xfail(strict=True, reason="a filled form's answers are its fields' values, drawn by their widgets' "
                   "appearance streams, which PDFium's text page of the page's content does not hold; reading them "
                   "(flattening, or the fields' values placed by their boxes) needs pdf_forms to bound those streams too")
def test_pdf_a_filled_forms_answers_are_read(tmp_path: Path) -> None:
    docs, warnings = _read(_filled_form_pdf(tmp_path / "application.pdf"))
    assert not warnings
    assert "Ana Lopez of the Sky Club" in docs[0].text and "The 40 cm reflector in dome B" in docs[0].text


def test_pdf_a_filled_forms_answers_not_read_are_named_in_a_warning(tmp_path: Path) -> None:
    """The answers typed into a PDF form are its fields' values, which the page's text does not hold: they were left
    out without a word, the labels read as if the form were blank. Now a warning names the file and how many answers
    are left out, on which pages; a form left blank says nothing."""
    docs, warnings = _read(_filled_form_pdf(tmp_path / "application.pdf"))
    assert "Applicant name:" in docs[0].text
    assert warnings == ["application.pdf: the answers filled in its form are not read (2 fields, on page 1)"]
    blank, quiet = _read(_filled_form_pdf(tmp_path / "blank.pdf", (b"", b"")))
    assert "Applicant name:" in blank[0].text and quiet == []


@pytest.mark.parametrize("text", [
    "¢һӍΉʽী¢Ǌ ¢һӍΉʽী¢ರ͟ȥ܅, RହຏഀƹΉటҧ¢ȥǂ ȥࠨ˖¨ಮӆ˨ΗƹΉటӇ ̽ଋҨǥƹ̽ୡȥဎഁୡ ̿ଋҨǥƺ̿ୡȥဎഔୡ",  # PDFs of pdf.js's tests
    "ٱĴǎƶơǎƹŎķຊا࠘᧽䋔 او䆀ឮᑽٱĴǎƶ ٳ㶜ຝ䆀䩱ط Ӓا㦇♑ dθաକ θաକა",
])
def test_words_of_many_writing_systems_are_garbled(text: str) -> None:
    assert mixed_scripts([text])


@pytest.mark.parametrize("text", [
    "3Dレーザーレーダー 隙間のない空間スキャンで人や物体を検知する 光学技術×レーザー走査技術×情報処理 「速結端子（スプリング式）」 口出し線",
    "킜킰톁톁킰 한국어 文書 처리 漢字와 한글 混用 문서를 읽기 전에 확인",  # hangul with hanja
    "Let θ = 2πr and Ωmax = μ₀·Iₙ; then αβγ, Δx and λ/2 follow.",  # Greek in a formula: two systems
    "Пример текста на русском языке, with an English word or two, и ещё немного русского текста.",
    "Erdgas – zuverlässig, sicher, günstig! für Reinbek, Wentorf & Wohltorf: SEÇİLİ DÖNEMDE YASAL SINIR",
])
def test_real_text_in_any_writing_system_is_not_garbled(text: str) -> None:
    assert not mixed_scripts([text] * 5)


def test_a_line_of_unmapped_glyphs_is_unreadable_and_symbols_are_not() -> None:
    assert unreadable("\ufffd\ufffd\ufffd a") and unreadable("\x01\x04\x05\x06")
    assert not unreadable("Vectors u and v: u \uf0d7 v = 0") and not unreadable("   ")
    assert not unreadable("◊ 〈 \uf8e8 \uf8e9 \uf8ea ∑ \uf8eb \uf8ec")  # the Symbol font's bracket pieces (private use)


# -- HTML -----------------------------------------------------------------------------------


def test_html_main_content_sections_anchors_and_metadata(tmp_path: Path) -> None:
    doc = _one(documents.write_html(tmp_path / "install.html"))
    assert (doc.title, doc.url, doc.author) == (
        "Installing the glob tool", "https://docs.example.org/glob/install.html", "Observatory software group")
    assert _texts(doc, headings=True) == ["Installing", "Configuration", "Troubleshooting"]
    anchors = {p.section: p.anchor for p in doc.paragraphs if not p.heading}
    assert anchors == {"Installing": "installing", "Configuration": "configuration", "Troubleshooting": "troubleshooting"}


def test_html_boilerplate_is_never_text(tmp_path: Path) -> None:
    doc = _one(documents.write_html(tmp_path / "install.html"))
    for junk in documents.BOILERPLATE:
        assert junk not in doc.text, junk


def test_html_inline_elements_keep_sentences_whole(tmp_path: Path) -> None:
    doc = _one(documents.write_html(tmp_path / "install.html"))
    assert ("The glob tool is installed with pip install globtool on any machine with Python 3.11 or later, "
            "and it needs no compiler.") in _texts(doc)
    assert any(text.startswith("After installing, create a file named patterns.glob in the project folder; "
                               "see the pattern guide for the syntax.") for text in _texts(doc))
    assert "E101 | the glob file is missing" in _texts(doc)  # a table row


def test_html_without_a_main_container_keeps_its_headings_and_lists() -> None:
    doc = _one(FORMATS / "html" / "lockingv3.html")
    assert "2.0 Overview" in _texts(doc, headings=True)
    assert "Its size is greater than 512 bytes, and" in _texts(doc)  # a list item, on its own
    assert "Small. Fast. Reliable." not in doc.text and "Choose any three" not in doc.text
    ids = _one(FORMATS / "html" / "autoinc.html")  # the same site's headings with ids: <h1 id="summary">
    assert {p.section: p.anchor for p in ids.paragraphs}["2. Background"] == "background"


def test_html_text_written_straight_into_the_body_is_read() -> None:
    doc = _one(FORMATS / "html" / "camlidl-idl-syntax.html")
    assert any(t.startswith("This section describes the syntax of IDL files.") for t in _texts(doc))
    assert "union must be labeled by one or several case ident" in doc.text  # <tt>case</tt> <tt><i>ident</i></tt>
    assert {"2 IDL syntax", "2.1 Lexical conventions"} <= set(_texts(doc, headings=True))


@pytest.mark.parametrize(
    ("page", "sentences"),
    [
        # Sphinx's :samp: role: <code><span>…/issues/</span><em><span>num</span></em></code> inside a sentence.
        ("sphinx-extlinks.html", [
            ("Let’s assume that you want to include many links to issues at the Sphinx tracker, at "
            "https://github.com/sphinx-doc/sphinx/issues/num. Typing this URL again and again is tedious, so you "
            "can use extlinks to avoid repeating yourself.")]),
        ("mkdocs-writing-your-docs.html", [
            "By convention your project homepage should be named index.md (see Index pages below for details).",
            ("Files and directories with names which begin with a dot (for example: .foo.md or .bar/baz.md) are "
            "ignored by MkDocs, which matches the behavior of most web servers.")]),
        ("rustdoc-keyword-match.html", [
            ("match can be used to run code conditionally. Every pattern must be handled exhaustively either "
            "explicitly or by using wildcards like _ in the match.")]),
    ],
)
def test_html_inline_code_stays_where_it_is_in_the_sentence(page: str, sentences: list[str]) -> None:
    doc = _one(FORMATS / "html" / page)
    for sentence in sentences:
        assert sentence in doc.text


def test_html_a_reference_to_a_control_character_does_not_lose_the_page(tmp_path: Path) -> None:
    # lxml refuses a control character in the elements trafilatura builds, and the page was skipped as "no main
    # content"; a raw control byte the parser drops itself, and a reference to one goes the same way.
    page = ("<html><body><main><h1 title='a&#27;b'>Koalas &#27;[31m by day</h1><pre>ls &#8;-l</pre>"
            "<p>Koalas sleep up to twenty &#x1B;hours a day, mostly in eucalyptus trees, and wake at dusk.</p>"
            "</main></body></html>")
    docs, warnings = _read(documents.write_html(tmp_path / "koalas.html", page))
    assert warnings == [] and len(docs) == 1
    assert "Koalas sleep up to twenty hours a day, mostly in eucalyptus trees, and wake at dusk." in _texts(docs[0])
    assert "Koalas [31m by day" in _texts(docs[0], headings=True) and "ls -l" in docs[0].text


def test_html_a_doctype_with_an_internal_subset_leaves_no_stray_text(tmp_path: Path) -> None:
    # libxml2's HTML parser ends the DOCTYPE at the subset's first ">" and read the rest, " ]>", as the page's text.
    page = ('<?xml version="1.0"?>\n<!DOCTYPE html [\n  <!ENTITY koala "Phascolarctos">\n  <!ENTITY % p "x">\n]>\n'
            "<html><body><main><h1>Koalas</h1><p>Koalas sleep up to twenty hours a day, mostly in eucalyptus trees.</p>"
            "</main></body></html>")
    docs, warnings = _read(documents.write_html(tmp_path / "koalas.xhtml", page))
    assert warnings == [] and len(docs) == 1
    assert _texts(docs[0], headings=True) == ["Koalas"]
    assert _texts(docs[0]) == ["Koalas sleep up to twenty hours a day, mostly in eucalyptus trees."]


def test_html_with_no_main_content_is_skipped(tmp_path: Path) -> None:
    page = "<html><head><title>Menu</title></head><body><nav><a href='/'>Home</a></nav><script>go()</script></body></html>"
    docs, warnings = _read(documents.write_html(tmp_path / "menu.html", page))
    assert docs == [] and warnings == ["skipping menu.html: no main content found (only navigation, scripts or boilerplate)"]


# -- DOCX -----------------------------------------------------------------------------------


def test_docx_headings_paragraphs_tables_and_properties(tmp_path: Path) -> None:
    doc = _one(documents.write_docx(tmp_path / "minutes.docx"))
    assert (doc.title, doc.author) == ("Minutes of the 1998 general meeting", "The secretary")
    assert _texts(doc, headings=True) == [
        "Minutes of the 1998 general meeting", "Attendance", "Treasurer's report", "Any other business"]
    assert "Item | Spent | Budget" in _texts(doc) and "Roof repair | 180 | 200" in _texts(doc)
    report = next(p for p in doc.paragraphs if doc.text[p.start : p.end].startswith("The treasurer"))
    assert report.section == "Treasurer's report"


def test_docx_text_in_tracked_changes_content_controls_and_nested_tables_is_read(tmp_path: Path) -> None:
    # python-docx reads none of it: the insertions, the content controls, the field, smart tag and custom XML
    # around runs, and the table in a cell were all left out, with no warning.
    doc = _one(documents.write_docx_wrapped(tmp_path / "minutes.docx"))
    assert doc.text.split("\n\n") == [
        "Minutes",
        "The treasurer reported a surplus of 400 euros.",  # "a deficit" was deleted; the deleted paragraph is gone
        "The roof fund is closed.",
        "Decisions",
        "The hall will be repainted in May.",
        "Volunteers sign up with the secretary.",
        "Chair: Ada Byron (acting)",  # a tab and a line break in the content control, as in any run
        "Held on 3 March in Lisbon, upstairs.",
        "Region | Figures",  # the merged cell is in both rows, as before; the table in it is read once
        "Quarter | Sales",
        "Q1 | 30",
        "North | Figures",
    ]
    assert _texts(doc, headings=True) == ["Minutes", "Decisions"]
    hall = next(p for p in doc.paragraphs if doc.text[p.start : p.end].startswith("The hall"))
    assert hall.section == "Decisions"


def test_docx_a_table_whose_merged_cells_python_docx_cannot_resolve_is_read(tmp_path: Path) -> None:
    import docx
    from docx.oxml import parse_xml

    # python-docx's row.cells raised for a vertical merge with no cell above ("no tr above topmost tr", "no `tc`
    # element at grid_offset=1", as converters write them), and built a tuple of every column a cell spans (2**31
    # of them: 1.7 GB, then MemoryError): the whole file was skipped.
    def cell(text: str, props: str = "") -> str:
        return f"<w:tc><w:tcPr>{props}</w:tcPr><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"

    rows = [cell("Dome", "<w:vMerge/>") + cell("Opens at dusk"),
            cell("Mount", '<w:gridSpan w:val="2"/>') + cell("Homed first"),
            cell("Camera") + cell("", "<w:vMerge/>") + cell("Cooled to minus ten"),
            cell("Focuser", '<w:gridSpan w:val="2147483647"/>')]
    word = docx.Document()
    word.element.body.sectPr.addprevious(parse_xml(
        '<w:tbl xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:tblPr/>'
        '<w:tblGrid><w:gridCol/><w:gridCol/><w:gridCol/></w:tblGrid>'
        + "".join(f"<w:tr>{row}</w:tr>" for row in rows) + "</w:tbl>"))
    word.add_paragraph("The dome opens at dusk on Fridays.")
    path = tmp_path / "mount.docx"
    word.save(str(path))
    assert _texts(_one(path)) == ["Dome | Opens at dusk", "Mount | Homed first", "Camera | Cooled to minus ten",
                                  "Focuser", "The dome opens at dusk on Fridays."]


def test_a_docx_that_is_a_zip_of_something_else_is_skipped(tmp_path: Path) -> None:
    docs, warnings = _read(documents.write_fake_docx(tmp_path / "notes.docx"))
    assert docs == [] and len(warnings) == 1 and warnings[0].startswith("skipping notes.docx: not a Word document")


def test_a_docx_with_a_damaged_part_is_skipped_with_the_part_named(tmp_path: Path) -> None:
    source = documents.write_docx(tmp_path / "whole.docx")
    damaged = tmp_path / "minutes.docx"
    with zipfile.ZipFile(source) as whole, zipfile.ZipFile(damaged, "w") as copy:
        for name in whole.namelist():
            copy.writestr(name, b"<w:styles><unclosed>" if name == "word/styles.xml" else whole.read(name))
    docs, warnings = _read(damaged)
    assert docs == [] and len(warnings) == 1 and "\n" not in warnings[0] and "<string>" not in warnings[0]
    assert warnings[0].startswith("skipping minutes.docx: a damaged Word document (word/styles.xml is not well-formed")


def test_a_docx_missing_a_part_its_relationships_name_is_read_with_a_warning(tmp_path: Path) -> None:
    # Word repairs such a file and opens it; python-docx raised "There is no item named 'word/styles.xml' in the
    # archive" and the file was skipped as "not a Word document". Its body is read, and the missing part named.
    source = documents.write_docx(tmp_path / "whole.docx")
    broken = tmp_path / "minutes.docx"
    with zipfile.ZipFile(source) as whole, zipfile.ZipFile(broken, "w") as copy:
        for name in whole.namelist():
            if name not in ("word/styles.xml", "docProps/core.xml"):
                copy.writestr(name, whole.read(name))
    docs, warnings = _read(broken)
    assert warnings == ["minutes.docx: its parts docProps/core.xml, word/styles.xml are missing; read without them"]
    assert len(docs) == 1
    assert "Fourteen members attended the meeting in the village hall; two sent apologies." in _texts(docs[0])
    assert "Roof repair | 180 | 200" in _texts(docs[0])
    without_body = tmp_path / "empty.docx"  # the document itself missing: nothing to read, and said so
    with zipfile.ZipFile(source) as whole, zipfile.ZipFile(without_body, "w") as copy:
        for name in whole.namelist():
            if name != "word/document.xml":
                copy.writestr(name, whole.read(name))
    docs, warnings = _read(without_body)
    assert docs == [] and warnings == [
        'skipping empty.docx: not a Word document ("There is no item named \'word/document.xml\' in the archive")']


def test_a_docx_that_is_not_a_zip_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "plain.docx"
    path.write_text("just text")
    docs, warnings = _read(path)
    assert docs == [] and warnings == ["skipping plain.docx: not a Word document (not a zip package)"]  # no path


def _damaged_zip(tmp_path: Path, change) -> Path:
    """A Word file whose zip bytes ``change`` alters (given the bytes and the zip's member list)."""
    source = documents.write_docx(tmp_path / "whole.docx")
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as whole:
        change(data, whole.infolist())
    damaged = tmp_path / "minutes.docx"
    damaged.write_bytes(bytes(data))
    return damaged


def test_a_docx_whose_zip_does_not_unpack_is_skipped_as_damaged(tmp_path: Path) -> None:
    """A part whose deflated data is corrupt (zlib's "invalid block type"), the main one or the list of types, and a
    zip whose central directory says it starts further in than it does (so zipfile seeks before the file's start:
    EINVAL), are damaged Word files, said so: not "cannot be read (error: Error -3 while decompressing data ...)" or
    "(Invalid argument)"."""

    def corrupt(part: str):
        def change(data: bytearray, members: list[zipfile.ZipInfo]) -> None:
            body = next(m for m in members if m.filename == part)
            start = body.header_offset + 30 + len(body.filename.encode()) + len(body.extra)  # the local header's end
            data[start : start + 4] = b"\xff\xff\xff\xff"  # a final block of the reserved type 3
        return change

    def move_directory(data: bytearray, members: list[zipfile.ZipInfo]) -> None:
        end = data.rfind(b"PK\x05\x06")  # the end of central directory record: its offset at byte 16
        offset = int.from_bytes(data[end + 16 : end + 20], "little")
        data[end + 16 : end + 20] = (offset + 4096).to_bytes(4, "little")

    # [Content_Types].xml is read first, by the limit on what the XML parts unpack to (corpus.limits)
    for change in (corrupt("word/document.xml"), corrupt("[Content_Types].xml"), move_directory):
        docs, warnings = _read(_damaged_zip(tmp_path, change))
        assert docs == [] and warnings == ["skipping minutes.docx: a damaged Word document (its zip does not unpack)"]


# -- Discord exports ------------------------------------------------------------------------


def _exchanges(path: Path) -> list[Document]:
    docs, warnings = _read(path)
    assert docs and not warnings, warnings
    return docs


def _texts_and_docs(docs: list[Document]) -> list[tuple[Document, Paragraph]]:
    """Every paragraph of an export's documents, in the order of the channel."""
    return sorted(((d, p) for d in docs for p in d.paragraphs), key=lambda pair: pair[1].number)


def test_export_messages_are_paragraphs_with_author_time_and_jump_link(tmp_path: Path) -> None:
    docs = _exchanges(documents.write_export(tmp_path / "help.json"))
    assert {d.title for d in docs} == {"Observatory · #help"}
    assert {d.url for d in docs} == {"https://discord.com/channels/81384788765712384/381889648827301889"}
    paras = _texts_and_docs(docs)
    assert [p.author for _, p in paras] == ["Ana", "Ben", "Ana", "Cleo"]  # the join notice is not chat
    assert [p.number for _, p in paras] == [1, 2, 3, 4]  # their places in the channel
    doc, ben = paras[1]
    assert doc.text[ben.start : ben.end] == (
        "Ben: Yes: the trick is to save patterns.glob as UTF-8, otherwise it silently finds nothing.")
    assert ben.date == "2024-05-01T18:04:10+00:00"  # when it was sent, though it was edited later
    assert ben.url == "https://discord.com/channels/81384788765712384/381889648827301889/1002"
    doc, ana = paras[2]
    assert doc.text[ana.start : ana.end].endswith("(attachment: patterns.glob)")


def test_export_written_without_markdown_shows_names_not_ids(tmp_path: Path) -> None:
    """``--markdown false`` leaves Discord's tokens as they were sent: a member's id, a custom emoji's, a date."""
    ben = documents.message("1002", "Ben", "", "2024-05-01T18:04:10+00:00", mentions=("Ana",))
    ana_id = ben["mentions"][0]["id"]
    ben["author"]["roles"] = [{"id": "555", "name": "Helpers", "color": None, "position": 1}]
    ben["content"] = (f"<@{ana_id}> save it as UTF-8 <:blobthumbsup:866327410155864064> (see <#381889648827301889>, "
                      "ask <@&555> or <@!999999999999999999>, until <t:1714586400:f> or <t:99999999999999999999>)")
    ben["embeds"] = [{"title": "<a:party:866327410155864065> Release", "description": "due <t:1714586400>"}]
    docs = _exchanges(documents.write_export(tmp_path / "help.json", [ben]))
    [(doc, para)] = _texts_and_docs(docs)
    assert doc.text[para.start : para.end] == (
        "Ben: @Ana save it as UTF-8 :blobthumbsup: (see #help, ask @Helpers or @someone, until 2024-05-01 18:00 UTC "
        "or Invalid date) (embed: :party: Release — due 2024-05-01 18:00 UTC)")
    assert ana_id not in doc.text and "999999" not in doc.text


def test_export_written_without_markdown_with_thousands_of_mentions_is_read_in_time_linear_in_them(
        tmp_path: Path) -> None:
    """Each ``<@id>`` was looked up among all the message's mentions: a message @-mentioning 20,000 members (an export
    written by hand, or a raid's) took 20 s, and its time limit, checked between messages, could not stop it."""
    n = 20_000
    mass = documents.message("1002", "Ben", " ".join(f"<@{10**17 + i}>" for i in range(n)), "2024-05-01T18:04:10+00:00")
    mass["mentions"] = [{"id": str(10**17 + i), "name": f"member{i}", "isBot": False} for i in range(n)]
    started = time.perf_counter()
    docs = _exchanges(documents.write_export(tmp_path / "help.json", [mass]))
    assert time.perf_counter() - started < 8  # under a second here, 20 s before
    [(doc, para)] = _texts_and_docs(docs)
    assert doc.text[para.start : para.end] == "Ben: " + " ".join(f"@member{i}" for i in range(n))


def test_an_export_saved_with_a_byte_order_mark_is_read_as_it_was(tmp_path: Path) -> None:
    plain = documents.write_export(tmp_path / "help.json")
    marked = tmp_path / "marked" / "help.json"  # re-saved by a Windows editor: the mark, then the same JSON
    marked.parent.mkdir()
    marked.write_bytes(codecs.BOM_UTF8 + plain.read_bytes())
    assert _exchanges(marked) == _exchanges(plain) != []


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le"])
def test_an_export_re_saved_as_utf16_or_utf32_is_read_as_it_was(tmp_path: Path, codec: str) -> None:
    # Notepad's "Unicode", PowerShell 5's ">": the file was skipped as "not valid JSON (lexical error: invalid char
    # in json text)", though its mark says what it is, and a .jsonl or .txt so saved is read.
    plain = documents.write_export(tmp_path / "help.json")
    saved = tmp_path / codec / "help.json"
    saved.parent.mkdir()
    saved.write_bytes("\ufeff".encode(codec) + plain.read_text(encoding="utf-8").encode(codec))
    assert _exchanges(saved) == _exchanges(plain) != []


def test_export_a_reply_and_a_quick_back_and_forth_are_one_exchange(tmp_path: Path) -> None:
    docs = _exchanges(documents.write_export(tmp_path / "help.json"))
    exchange = [d.doc_id for d, _ in _texts_and_docs(docs)]
    assert exchange[0] == exchange[1] == exchange[2] != exchange[3]  # the next day's message starts anew
    assert exchange[0] == "381889648827301889-1001" and len(docs) == 2


def test_export_a_late_reply_joins_the_conversation_it_answers(tmp_path: Path) -> None:
    chat = [
        documents.message("1", "Ana", "Is the east dome open tonight?", "2024-05-01T18:00:00+00:00"),
        documents.message("2", "Ben", "Yes, from nine.", "2024-05-01T19:30:00+00:00", reply_to="1"),
        documents.message("3", "Cleo", "Anyone selling a tripod?", "2024-05-01T22:00:00+00:00"),
    ]
    exchange = [d.doc_id for d, _ in _texts_and_docs(_exchanges(documents.write_export(tmp_path / "late.json", chat)))]
    assert exchange[0] == exchange[1] != exchange[2]


def test_export_written_newest_first_is_read_as_the_channel_ran(tmp_path: Path) -> None:
    # DiscordChatExporter's --reverse writes the newest message first: replies would come before what they answer.
    def laid_out(path: Path) -> list[tuple]:
        return [(doc.doc_id, doc.text[p.start : p.end], p.number, p.role, p.url) for doc, p in
                _texts_and_docs(_exchanges(path))]

    chat = documents.MAKER_CHAT
    newest_first = laid_out(documents.write_export(tmp_path / "reversed.json", chat[::-1]))
    assert newest_first == laid_out(documents.write_export(tmp_path / "help.json", chat))
    theo = next(row for row in newest_first if row[1].startswith("Theo: Wipe the bed"))
    assert theo[0] == "381889648827301889-3001" and theo[2:4] == (6, "thanked")  # with Mira's question, 6th, thanked


def test_export_in_direct_messages_links_to_me(tmp_path: Path) -> None:
    guild = {"id": "0", "name": "Direct Messages", "iconUrl": ""}
    docs = _exchanges(documents.write_export(tmp_path / "dm.json", guild=guild))
    assert docs[0].paragraphs[0].url == "https://discord.com/channels/@me/381889648827301889/1001"


def test_export_a_message_with_nothing_to_quote_is_left_out(tmp_path: Path) -> None:
    # A sticker alone, or a forward of one (what it forwards has no text either): "Dan:" is no answer.
    sticker = documents.message("2", "Dan", "", "2024-05-01T18:01:00+00:00", reply_to="1")
    sticker["stickers"] = [{"id": "9", "name": "Wave", "format": "Png", "sourceUrl": "https://cdn/9.png"}]
    forward = documents.forward("3", "Eve", "", "2024-05-01T18:02:00+00:00")
    forward["forwardedMessage"]["stickers"] = sticker["stickers"]
    # A message of invisible characters alone (how members post an "empty" one) shows nothing either; nor does a
    # line of them beside an attachment.
    blanks = [documents.message(str(n), "Cleo", text, f"2024-05-01T18:02:{n:02d}+00:00")
              for n, text in enumerate(("\u200b", " \u2800 ", "\u3164\n\u200b"), start=10)]
    blank_forward = documents.forward("13", "Eve", "\u200b", "2024-05-01T18:02:30+00:00")
    chat = [documents.message("1", "Ana", "How do I reset the dome controller?", "2024-05-01T18:00:00+00:00"),
            sticker, forward, *blanks, blank_forward,
            documents.message("4", "Ben", "\u200b", "2024-05-01T18:03:00+00:00", attachments=("reset.png",))]
    paras = _texts_and_docs(_exchanges(documents.write_export(tmp_path / "help.json", chat)))
    assert [(p.author, doc.text[p.start : p.end]) for doc, p in paras] == [
        ("Ana", "Ana: How do I reset the dome controller?"), ("Ben", "Ben: (attachment: reset.png)")]


def test_export_a_forwarded_message_is_the_forwarders_text_cited_where_it_was_forwarded(tmp_path: Path) -> None:
    # DiscordChatExporter (2.47+) writes what a forward forwards as "forwardedMessage", without its author; the
    # reference points at the message forwarded (here the first of this very channel) and is no reply to it.
    forward = documents.forward("3", "Eve", "To reset the dome controller, hold the red button for ten seconds."
                                "\n\nThen wait for the beep.", "2024-05-01T18:02:00+00:00", attachments=("wiring.png",))
    chat = [documents.message("1", "Ana", "How do I reset the dome controller?", "2024-05-01T18:00:00+00:00"),
            documents.message("2", "Ben", "Anyone selling a tripod?", "2024-05-01T18:01:00+00:00"), forward]
    paras = _texts_and_docs(_exchanges(documents.write_export(tmp_path / "help.json", chat)))
    doc, eve = paras[2]
    assert doc.text[eve.start : eve.end] == ("Eve: (forwarded) To reset the dome controller, hold the red button "
                                             "for ten seconds.\n\nThen wait for the beep. (attachment: wiring.png)")
    assert eve.url == "https://discord.com/channels/81384788765712384/381889648827301889/3"  # the forward's
    assert (eve.author, eve.date) == ("Eve", "2024-05-01T18:02:00+00:00")  # who forwarded it here, and when


def test_export_a_forward_is_no_reply_to_the_message_it_forwards(tmp_path: Path) -> None:
    old = documents.message("1", "Ana", "The east dome opens at nine tonight.", "2024-05-01T08:00:00+00:00")
    later = documents.forward("2", "Ben", "Parking is free after six.", "2024-05-01T17:00:00+00:00", of="1",
                              channel="381889648827301889")
    paras = _texts_and_docs(_exchanges(documents.write_export(tmp_path / "help.json", [old, later])))
    assert [doc.doc_id for doc, _ in paras] == ["381889648827301889-1", "381889648827301889-2"]


def test_export_a_forward_with_a_broken_snapshot_is_skipped_and_named(tmp_path: Path) -> None:
    forward = documents.forward("2", "Eve", "fine", "2024-05-01T18:02:00+00:00")
    forward["forwardedMessage"]["content"] = ["not", "text"]
    chat = [documents.message("1", "Ana", "How do I reset the dome controller?", "2024-05-01T18:00:00+00:00"),
            forward]
    docs, warnings = _read(documents.write_export(tmp_path / "help.json", chat))
    assert sum(len(d.paragraphs) for d in docs) == 1
    assert warnings == ["help.json: skipping message 2: its 'forwardedMessage.content' is not text"]


def test_export_a_bots_answer_to_a_slash_command_is_kept_as_a_bots(tmp_path: Path) -> None:
    # DiscordChatExporter writes the types it has no name for as their number: 20 is a slash command's answer
    # (23 an app command's), 19 a reply before it knew replies, 8 a boost notice.
    helper = {"id": "5", "name": "ben", "discriminator": "0000", "nickname": "Ben", "isBot": False}
    factoid = documents.message("2", "FAQ bot", "The dome controller resets when the red button is held for ten "
                                "seconds.", "2024-05-01T18:01:00+00:00", type="20")
    factoid["author"]["isBot"] = True
    factoid["interaction"] = {"id": "42", "name": "faq", "user": helper}
    chat = [documents.message("1", "Ana", "How do I reset the dome controller?", "2024-05-01T18:00:00+00:00"),
            factoid,
            documents.message("3", "Ana", "Thanks, that did it.", "2024-05-01T18:02:00+00:00", type="19"),
            documents.message("4", "Cleo", "", "2024-05-01T18:03:00+00:00", type="8")]
    paras = _texts_and_docs(_exchanges(documents.write_export(tmp_path / "help.json", chat)))
    assert [(p.author, p.role) for _, p in paras] == [("Ana", "asks"), ("FAQ bot", "bot"), ("Ana", "asks")]
    doc, bot = paras[1]
    assert doc.text[bot.start : bot.end] == (
        "FAQ bot: The dome controller resets when the red button is held for ten seconds.")
    assert bot.url == "https://discord.com/channels/81384788765712384/381889648827301889/2"


def test_export_a_message_with_a_missing_field_is_skipped_and_named(tmp_path: Path) -> None:
    chat = [dict(m) for m in documents.CHAT]
    del chat[1]["author"]
    docs, warnings = _read(documents.write_export(tmp_path / "help.json", chat))
    assert sum(len(d.paragraphs) for d in docs) == 3
    assert warnings == ["help.json: skipping message 2: no 'author'"]


@pytest.mark.parametrize(("field", "value", "why"), [
    ("attachments", 5, "its 'attachments' is not a list"),
    ("embeds", 7, "its 'embeds' is not a list"),
    ("mentions", {"a": 1}, "its 'mentions' is not a list"),
    ("reactions", True, "its 'reactions' is not a list"),  # failed the whole export: 'bool' object is not iterable
    ("id", None, "its 'id' is not text or a number"),
    ("content", ["hi"], "its 'content' is not text"),
    ("timestamp", None, "its 'timestamp' is not text"),  # cited as "None" before
    ("timestamp", 1709536500, "its 'timestamp' is not text"),
    ("timestamp", "yesterday", "its 'timestamp' is not a date"),
    ("timestamp", "2024-13-45T99:99:00+00:00", "its 'timestamp' is not a date"),
    ("timestamp", "1970-01-01T00:00:00+00:00", None),  # second 0 is a date
    ("type", [], None),  # not a chat message's type: passed over, as a join or a pin is
    # What a jump link cannot end with: each was read, and cited by a link to no message (".../-1")
    ("id", "-1", "its 'id' is not a Discord id"),
    ("id", "0", "its 'id' is not a Discord id"),
    ("id", -1, "its 'id' is not a Discord id"),
    ("id", "abc", "its 'id' is not a Discord id"),
    ("id", "1?x=2#y", "its 'id' is not a Discord id"),
    ("id", "9" * 40, "its 'id' is not a Discord id"),
    ("id", "\u00b2", "its 'id' is not a Discord id"),  # "²" is a digit to str.isdigit, not to int()
    ("id", 1002, None),  # a number: the id it writes
    ("reference", {"messageId": "\u00b2"}, None),
])
def test_export_one_malformed_message_is_skipped_not_the_export(tmp_path: Path, field, value, why) -> None:
    chat = [dict(m) for m in documents.CHAT]
    chat[1][field] = value
    docs, warnings = _read(documents.write_export(tmp_path / "help.json", chat))
    kept = sum(len(d.paragraphs) for d in docs)
    assert kept == (3 if why or field == "type" else 4)
    assert warnings == ([f"help.json: skipping message 2: {why}"] if why else [])


def test_an_exports_lists_inside_a_message_that_are_not_lists_are_read_as_empty(tmp_path: Path) -> None:
    """A reaction's users, an embed's fields, a mention's roles of another type: the message is read all the same
    (each failed the whole export: "cannot be read (TypeError: 'float' object is not iterable)")."""
    chat = [dict(m) for m in documents.CHAT]
    chat[1] = {**chat[1], "reactions": [{"emoji": {"name": "✅"}, "users": 1.5}], "embeds": [{"fields": True}],
               "mentions": [{"name": "Ana", "roles": 7}]}
    docs, warnings = _read(documents.write_export(tmp_path / "help.json", chat))
    assert sum(len(d.paragraphs) for d in docs) == 4 and warnings == []


def test_an_exports_names_and_embed_texts_that_are_not_text_are_left_out(tmp_path: Path) -> None:
    # Hand-made or broken exports: a list, an object or true is cited as nothing, not as Python writes it.
    chat = [dict(m) for m in documents.CHAT]
    chat[1] = {**chat[1], "embeds": [{"title": ["x"], "description": "Glob files must be UTF-8.", "fields": [],
                                      "author": {"name": True}}]}
    path = documents.write_export(tmp_path / "help.json", chat, guild={"id": "1", "name": ["Observatory"]}, channel={
        "id": "2", "type": "GuildPublicThread", "category": {"name": "help"}, "name": 42})
    paras = _texts_and_docs(_exchanges(path))
    doc, ben = paras[1]
    assert doc.title == "#42"
    assert doc.text[ben.start : ben.end].endswith("finds nothing. (embed: Glob files must be UTF-8.)")


def test_an_export_name_longer_than_discord_allows_is_cut(tmp_path: Path) -> None:
    # A hostile export's 100,000-character name would be every excerpt and citation of its author's messages.
    chat = [dict(m) for m in documents.CHAT]
    chat[1] = {**chat[1], "author": {**chat[1]["author"], "name": "x" * 100_000, "nickname": "x" * 100_000}}
    paras = _texts_and_docs(_exchanges(documents.write_export(tmp_path / "help.json", chat)))
    doc, ben = paras[1]
    assert ben.author == "x" * 79 + "…"
    assert doc.text[ben.start : ben.end] == "x" * 79 + "…: Yes: the trick is to save patterns.glob as UTF-8, " \
        "otherwise it silently finds nothing."
    assert [p.author for _, p in paras if p is not ben] == ["Ana", "Ana", "Cleo"]  # names Discord allows, whole


def test_an_export_name_that_shows_nothing_is_cited_by_the_username(tmp_path: Path) -> None:
    # A display name of invisible characters alone (a Hangul filler, a zero-width space: a known Discord trick) would
    # cite the answer to no one ("help.json, ㅤ, ..."); the username, which Discord keeps visible, is cited instead.
    chat = [dict(m) for m in documents.CHAT]
    chat[1] = {**chat[1], "author": {**chat[1]["author"], "name": "ben.k", "nickname": "\u3164"}}
    chat[4] = {**chat[4], "author": {**chat[4]["author"], "name": "cleo", "nickname": "\u200b \u2800"}}
    paras = _texts_and_docs(_exchanges(documents.write_export(tmp_path / "help.json", chat)))
    assert [p.author for _, p in paras] == ["Ana", "ben.k", "Ana", "cleo"]
    doc, ben = paras[1]
    assert doc.text[ben.start : ben.end].startswith("ben.k: Yes: the trick")


def test_a_word_file_without_core_properties_has_no_title_of_python_docxs(tmp_path: Path) -> None:
    from tests.hostile import _docx

    path = _docx(tmp_path / "bare.docx", b"<w:p><w:r><w:t>Hello there.</w:t></w:r></w:p>", 1)
    (doc,) = _read(path)[0]
    assert (doc.title, doc.author, doc.date, doc.text) == (None, None, None, "Hello there.")  # not "Word Document"


def test_a_word_file_saved_by_python_docx_is_not_cited_as_python_docxs(tmp_path: Path) -> None:
    """python-docx's template says "python-docx" wrote it on 2013-12-23: a file saved without setting its own
    properties is not cited so; what a file does set is."""
    import docx

    word = docx.Document()
    word.add_paragraph("Close the dome when the humidity rises above 85 percent.")
    word.save(tmp_path / "bare.docx")
    word.core_properties.title = "Dome safety"
    word.core_properties.author = "Dana Whitfield"
    word.save(tmp_path / "own.docx")
    (bare,), _ = _read(tmp_path / "bare.docx")
    assert (bare.title, bare.author, bare.date) == (None, None, None)
    (own,), _ = _read(tmp_path / "own.docx")
    assert (own.title, own.author, own.date) == ("Dome safety", "Dana Whitfield", None)  # the template's date still


def test_a_word_file_without_a_title_of_its_own_is_titled_by_its_title_paragraph(tmp_path: Path) -> None:
    """A file whose properties give no title (none, or a tool's placeholder) is cited by the title its first page
    shows, in the Title style (a German Word's is the style "Titel", named "Title"), else by a lone Heading 1 at its
    top; a document that opens with one of several Heading 1s ("Introduction") has no title."""
    import re

    import docx

    def write(path: Path, headings: list[tuple[str, int]], title: str | None = None) -> Path:
        word = docx.Document()
        for heading, level in headings:
            word.add_heading(heading, level=level)
            word.add_paragraph(f"What {heading} says about closing the dome at 85 percent humidity.")
        if title is not None:
            word.core_properties.title = title
        word.save(path)
        return path

    titled = write(tmp_path / "titled.docx", [("Dome Operations Handbook", 0), ("Power", 1)], title="Document1")
    german = tmp_path / "german.docx"
    with zipfile.ZipFile(titled) as source, zipfile.ZipFile(german, "w") as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename in ("word/styles.xml", "word/document.xml"):
                data = re.sub(rb'(w:styleId="|<w:pStyle w:val=")Title"', rb"\1Titel\"", data)  # its name stays
            out.writestr(item, data)
    one = write(tmp_path / "one.docx", [("Dome Operations Handbook", 1), ("Power", 2)])
    several = write(tmp_path / "several.docx", [("Introduction", 1), ("Power", 1)])
    assert [documents.only_document(path).title for path in (titled, german, one, several)] == [
        "Dome Operations Handbook", "Dome Operations Handbook", "Dome Operations Handbook", None]


def test_a_file_of_many_broken_parts_warns_a_few_times_then_counts(tmp_path: Path) -> None:
    # A hostile export of 2,000 messages without a timestamp: six lines and the verdict, not 2,000.
    chat = [{"id": str(n), "content": "hi", "author": {"name": "ana"}} for n in range(1, 2001)]
    docs, warnings = _read(documents.write_export(tmp_path / "junk.json", chat))
    assert docs == []
    assert warnings == [f"junk.json: skipping message {n}: no 'timestamp'" for n in range(1, 6)] + [
        "junk.json: 1,995 more warnings like these not shown", "skipping junk.json: the export holds no chat messages"]
    lines = "".join(f'{{"_id": "{n}", "title": "no text"}}\n' for n in range(7)) + '{"_id": "ok", "text": "Fine."}\n'
    (tmp_path / "few.jsonl").write_text(lines, encoding="utf-8")
    docs, warnings = _read(tmp_path / "few.jsonl")
    assert [d.doc_id for d in docs] == ["ok"] and warnings[-1] == "few.jsonl: 2 more warnings like these not shown"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ({"name": "a package.json", "version": "1.0"}, 'no "guild" object'),
        ({"guild": {"id": "1"}, "messages": []}, 'no "channel" object'),
        ({"guild": {"id": "1"}, "channel": {"name": "x"}, "messages": []}, 'no "channel.id"'),
        ({"guild": {"id": "1"}, "channel": {"id": "-1"}, "messages": []}, '"channel.id" is not a Discord id'),
        ({"guild": {"id": "a/b"}, "channel": {"id": "2"}, "messages": []}, '"guild.id" is not a Discord id'),
        ({"guild": {"id": "1"}, "channel": {"id": "2"}}, 'no "messages" list'),
        ([1, 2, 3], "not a JSON object"),
    ],
)
def test_json_that_is_not_an_export_is_skipped_with_the_missing_field(tmp_path: Path, content, reason) -> None:
    path = tmp_path / "data.json"
    path.write_text(json.dumps(content))
    docs, warnings = _read(path)
    assert docs == [] and warnings == [f"skipping data.json: not a DiscordChatExporter export ({reason})"]


def test_json_that_does_not_parse_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"guild": ')
    docs, warnings = _read(path)
    assert docs == [] and warnings[0].startswith("skipping broken.json: not valid JSON")


def test_an_export_with_a_whole_number_past_64_bits_is_skipped_as_such_not_as_invalid_json(tmp_path: Path) -> None:
    """Valid JSON that the parser cannot read (yajl's integers are 64 bits): it was skipped as "not valid JSON"."""
    path = tmp_path / "big.json"
    export = json.dumps(documents.export([documents.message("1", "Ana", "hello", documents._at(0))]))
    path.write_text(export.replace('"id": "1"', f'"id": {2**64}', 1), encoding="utf-8")
    docs, warnings = _read(path)
    assert docs == [] and warnings == ["skipping big.json: it holds a whole number too large to read (over 64 bits)"]


def test_json_with_a_stray_character_is_skipped_without_quoting_the_file(tmp_path: Path) -> None:
    """The JSON parser's message quotes the lines around the fault and points at it ("(right here) ------^"): the
    warning says what is wrong, on one line, and nothing of what the file says there."""
    path = tmp_path / "broken.json"
    export = json.dumps(documents.export([documents.message("1", "Ana", "hello", documents._at(0))]), indent=2)
    path.write_bytes(export.encode().replace(b'"isPinned": false', b'"isPinned"\xc7 false, "SECRET": 1'))
    docs, warnings = _read(path)
    assert docs == [] and len(warnings) == 1 and warnings[0].startswith("skipping broken.json: not valid JSON (")
    assert not any(said in warnings[0] for said in ("SECRET", "right here", "\\n", "\n", "\\x", "isPinned"))


def test_an_export_with_a_string_that_is_not_utf8_is_skipped_as_such(tmp_path: Path) -> None:
    """A string the JSON parser decodes as it reads (a name) holding what is not UTF-8: a surrogate, encoded."""
    path = tmp_path / "latin.json"
    export = json.dumps(documents.export([documents.message("1", "Ana", "hello", documents._at(0))]))
    path.write_bytes(export.encode().replace(b'"Ana"', b'"An\xed\xa0\x80a"', 1))
    docs, warnings = _read(path)
    assert docs == [] and warnings == ["skipping latin.json: not valid UTF-8 text"]


def test_an_export_that_spells_a_lone_surrogate_is_read_with_it_as_u_fffd(tmp_path: Path) -> None:
    """JSON may spell half a surrogate pair ("\\udc00"), which is no character: the parser failed on a second half
    alone and skipped the whole export as "not valid UTF-8 text" (it is valid UTF-8), and read a first half alone as
    "?" (a question, to untangling). Each is U+FFFD, as in a .jsonl file; a pair (an emoji), and the same letters
    as text ("\\\\udc00"), are read as they are."""
    path = tmp_path / "broken.json"
    chat = [documents.message("1", "Ana", "Is the dome open LOW tonight?", documents._at(0)),
            documents.message("2", "Ben", "Yes HIGH until ten PAIR, see TEXT", documents._at(1))]
    export = json.dumps(documents.export(chat), indent=2)
    for mark, spelt in (("LOW", r"\udc00"), ("HIGH", r"\ud83d"), ("PAIR", r"\ud83d\ude00"), ("TEXT", r"\\udc00")):
        export = export.replace(mark, spelt, 1)
    path.write_text(export, encoding="utf-8")
    docs, warnings = _read(path)
    why = "2 lone surrogate code points (a JSON escape of half a character) replaced by U+FFFD"
    assert warnings == [f"broken.json: {why}"]
    assert [doc.text[p.start : p.end] for doc in docs for p in doc.paragraphs] == [
        "Ana: Is the dome open \ufffd tonight?", "Ben: Yes \ufffd until ten \U0001f600, see \\udc00"]


def test_a_reader_crash_skips_the_file_and_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qabot.corpus import html

    def explode(*_args: object) -> None:
        raise ValueError("unexpected end of tag table")

    monkeypatch.setattr(html, "document", explode)
    docs, warnings = _read(documents.write_html(tmp_path / "page.html"))
    assert docs == [] and warnings == ["skipping page.html: cannot be read (ValueError: unexpected end of tag table)"]


def test_a_mail_whose_parts_nest_thousands_deep_is_skipped_in_words(tmp_path: Path) -> None:
    # Python's email parser recurses once a level: past its stack, a RecursionError, said as what it means.
    levels = 3_000
    path = tmp_path / "deep.eml"
    path.write_text("From: ana@example.org\nSubject: Dome\nMIME-Version: 1.0\n"
                    + "".join(f'Content-Type: multipart/mixed; boundary="b{n}"\n\n--b{n}\n' for n in range(levels))
                    + "Content-Type: text/plain\n\nThe spare key is in the blue box.\n"
                    + "".join(f"--b{n}--\n" for n in reversed(range(levels))))
    docs, warnings = _read(path)
    assert docs == [] and warnings == ["skipping deep.eml: cannot be read: it is nested too deeply"]


JSON_PLEASE = "qabot reads its JSON exports as chat (export with --format Json)"


@pytest.mark.parametrize(("writer", "name", "kind"), [
    (documents.write_dce_html, "Observatory - help [381889648827301889].html", "HTML"),
    (documents.write_dce_text, "Observatory - help [381889648827301889].txt", "plain text"),
])
def test_an_export_in_another_discordchatexporter_format_is_skipped_with_the_way_out(
        tmp_path: Path, writer, name, kind) -> None:
    docs, warnings = _read(writer(tmp_path / name))
    assert docs == []
    assert warnings == [f"skipping {name}: a DiscordChatExporter export in {kind}; {JSON_PLEASE}"]


def test_a_big_html_export_is_named_as_an_export_not_refused_for_its_size(tmp_path: Path) -> None:
    from qabot.corpus import ReaderLimits

    path = documents.write_dce_html(tmp_path / "help.html")
    warnings: list[str] = []
    assert list(load_file(CorpusFile(path, path.name), warnings.append, ReaderLimits(max_inflated_mb=0.01))) == []
    assert warnings == [f"skipping help.html: a DiscordChatExporter export in HTML; {JSON_PLEASE}"]


def test_a_csv_export_in_the_folder_is_named_as_one(tmp_path: Path) -> None:
    documents.write_dce_csv(tmp_path / "help.csv")
    (tmp_path / "prices.csv").write_text("item,price\nnozzle,3\n")
    warnings: list[str] = []
    assert find_files(tmp_path, warnings.append) == []
    assert sorted(warnings) == [
        f"skipping help.csv: a DiscordChatExporter export in CSV; {JSON_PLEASE}",
        "skipping prices.csv: unknown file type (qabot reads .docx, .eml, .htm, .html, .json, .jsonl, .mbox, .md, .mdx, .pdf, .txt and .xhtml)",
    ]


def test_the_sources_sphinx_copies_beside_its_pages_are_one_line_not_documents(tmp_path: Path) -> None:
    # A Sphinx build (docs/_build/html) holds each page's source as text too, _sources/<page>.rst.txt, for its "Show
    # Source" link: read as documents, the answers quoted the reStructuredText (".. warning::", ":param str url:")
    # with no link, ahead of the page itself, whose copy of the same text was then left out as a near duplicate.
    site = tmp_path / "html"
    (site / "_sources").mkdir(parents=True)
    (site / "api.html").write_text("<html><head><title>API</title></head><body><main><h1>API</h1><p>Never put the "
                                   "archive password in skyfetch.toml.</p></main></body></html>")
    (site / "_sources" / "api.rst.txt").write_text("API\n===\n\n.. warning::\n\n   Never put the archive password "
                                                   "in skyfetch.toml.\n")
    (site / "searchindex.js").write_text("Search.setIndex({})")
    notes = tmp_path / "notes" / "_sources"  # a folder of that name outside a Sphinx build is the user's own
    notes.mkdir(parents=True)
    (notes / "dome.txt").write_text("The dome is closed on Mondays.\n")
    warnings: list[str] = []
    names = [f.name for f in find_files(tmp_path, warnings.append)]
    assert names == ["html/api.html", "notes/_sources/dome.txt"], names
    assert "skipping html/_sources/: the sources Sphinx copied beside its pages (the pages are read)" in warnings
    assert not [line for line in warnings if "api.rst.txt" in line or "notes" in line], warnings


def _site_page(path: Path, text: str, said: str) -> None:
    """A generated site's page named ``text`` (its title and heading), whose paragraph says ``said``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<html><head><title>{text}</title></head><body><main><h1>{text}</h1><p>{text}: {said}</p></main>"
                    "</body></html>")


def test_the_pages_a_site_generator_makes_of_no_text_of_a_user_are_one_line_each_not_documents(tmp_path: Path) -> None:
    # Sphinx's general and module indices, its highlighted copy of each module's source (_modules/, which quoted a
    # docstring from the code ahead of the page that documents it), and a generator's search and page-not-found
    # pages, as Sphinx's html and dirhtml builders, MkDocs and Docusaurus lay them out, were read as pages.
    def page(path: Path, text: str) -> None:
        _site_page(path, text, "the archive refuses more than 100 images in one batch.")

    sphinx = tmp_path / "html"
    for name in ("index.html", "search-tips.html", "search.html", "genindex.html", "genindex-A.html",
                 "py-modindex.html", "_modules/index.html", "_modules/skyfetch.html"):
        page(sphinx / name, name)
    (sphinx / "searchindex.js").write_text("Search.setIndex({})")
    (sphinx / "_static" / "scripts").mkdir(parents=True)  # furo's: its script's licence, as text
    (sphinx / "_static" / "scripts" / "furo.js.LICENSE.txt").write_text("/*!\n * gumshoejs v5.1.2\n * MIT License\n */\n")
    dirhtml = tmp_path / "dirhtml"
    for name in ("index.html", "api/index.html", "search/index.html", "genindex/index.html", "py-modindex/index.html"):
        page(dirhtml / name, name)
    (dirhtml / "objects.inv").write_text("# Sphinx inventory version 2\n")
    mkdocs = tmp_path / "site"
    for name in ("index.html", "search.html", "404.html", "guide/index.html"):
        page(mkdocs / name, name)
    (mkdocs / "search").mkdir()
    (mkdocs / "search" / "search_index.json").write_text('{"docs": []}')
    docusaurus = tmp_path / "build"
    for name in ("index.html", "404.html", "search/index.html", "docs/search/index.html"):
        page(docusaurus / name, name)
    (docusaurus / "sitemap.xml").write_text("<urlset/>")
    vitepress = tmp_path / "dist"
    for name in ("guide.html", "404.html"):
        page(vitepress / name, name)
    (vitepress / "hashmap.json").write_text('{"guide.md": "B1c2"}')
    notes = tmp_path / "notes"  # pages of these names outside a site's build are the user's own
    for name in ("search.html", "404.html", "genindex.html", "_modules/dome.html"):
        page(notes / name, name)
    warnings: list[str] = []
    names = [f.name for f in find_files(tmp_path, warnings.append)]
    assert names == [
        "build/docs/search/index.html", "build/index.html", "dirhtml/api/index.html", "dirhtml/index.html",
        "dist/guide.html", "html/index.html", "html/search-tips.html", "notes/404.html", "notes/_modules/dome.html",
        "notes/genindex.html", "notes/search.html", "site/guide/index.html", "site/index.html",
    ], names
    sphinx_index, search = ("the index Sphinx generated from the pages (the pages are read)",
                            "the search page the site's generator wrote (the pages are read)")
    assert sorted(line for line in warnings if "unknown file type" not in line) == [
        "skipping build/404.html: the page-not-found page the site's generator wrote (the pages are read)",
        f"skipping build/search/index.html: {search}",
        f"skipping dirhtml/genindex/index.html: {sphinx_index}",
        f"skipping dirhtml/py-modindex/index.html: {sphinx_index}",
        f"skipping dirhtml/search/index.html: {search}",
        "skipping dist/404.html: the page-not-found page the site's generator wrote (the pages are read)",
        "skipping dist/hashmap.json: the map of its pages' scripts VitePress wrote (the pages are read)",
        "skipping html/_modules/: the highlighted source code Sphinx copied beside its pages (the pages are read)",
        ("skipping html/_static/: the styles, scripts and images (and their licences) Sphinx copied beside its pages "
         "(the pages are read)"),
        f"skipping html/genindex-A.html: {sphinx_index}",
        f"skipping html/genindex.html: {sphinx_index}",
        f"skipping html/py-modindex.html: {sphinx_index}",
        f"skipping html/search.html: {search}",
        "skipping site/404.html: the page-not-found page the site's generator wrote (the pages are read)",
        f"skipping site/search.html: {search}",
        "skipping site/search/search_index.json: the search index MkDocs wrote (the pages are read)",
    ], warnings


def test_the_pages_javadoc_makes_in_every_build_are_one_line_each_not_documents(tmp_path: Path) -> None:
    # Javadoc writes the same help page in every build ("How This API Document Is Organized"), and indices and trees of
    # the classes that quote each member's first sentence ("fetch(URL) - Method in class Skyfetch: Fetches one
    # image."): they were read as pages, and cited ahead of the class's own page.
    def page(path: Path, text: str) -> None:
        _site_page(path, text, "fetch(URL) - Method in class Skyfetch: fetches one image from the archive.")

    javadoc = tmp_path / "apidocs"
    for name in ("index.html", "help-doc.html", "index-all.html", "allclasses-index.html", "allpackages-index.html",
                 "overview-tree.html", "search.html", "deprecated-list.html", "org/skyfetch/Skyfetch.html",
                 "org/skyfetch/package-summary.html"):
        page(javadoc / name, name)
    (javadoc / "element-list").write_text("org.skyfetch\n")
    old = tmp_path / "javadoc8"  # Java 8's: package-list, frames, an index split in index-files/
    for name in ("overview-summary.html", "allclasses-frame.html", "allclasses-noframe.html", "overview-frame.html",
                 "help-doc.html", "index-files/index-1.html", "org/skyfetch/Skyfetch.html"):
        page(old / name, name)
    (old / "package-list").write_text("org.skyfetch\n")
    notes = tmp_path / "notes"  # pages of these names outside a Javadoc build are the user's own
    for name in ("help-doc.html", "index-all.html"):
        page(notes / name, name)
    warnings: list[str] = []
    names = [f.name for f in find_files(tmp_path, warnings.append)]
    assert names == [
        "apidocs/deprecated-list.html", "apidocs/index.html", "apidocs/org/skyfetch/Skyfetch.html",
        "apidocs/org/skyfetch/package-summary.html", "javadoc8/org/skyfetch/Skyfetch.html",
        "javadoc8/overview-summary.html", "notes/help-doc.html", "notes/index-all.html",
    ], names
    generated = "a page Javadoc writes in every build: its help, an index or a tree of the classes (the pages are read)"
    assert sorted(line for line in warnings if "unknown file type" not in line) == [
        f"skipping apidocs/allclasses-index.html: {generated}",
        f"skipping apidocs/allpackages-index.html: {generated}",
        f"skipping apidocs/help-doc.html: {generated}",
        f"skipping apidocs/index-all.html: {generated}",
        f"skipping apidocs/overview-tree.html: {generated}",
        "skipping apidocs/search.html: the search page the site's generator wrote (the pages are read)",
        f"skipping javadoc8/allclasses-frame.html: {generated}",
        f"skipping javadoc8/allclasses-noframe.html: {generated}",
        f"skipping javadoc8/help-doc.html: {generated}",
        "skipping javadoc8/index-files/: the index Javadoc split by letter (the pages are read)",
        f"skipping javadoc8/overview-frame.html: {generated}",
    ], warnings


def test_the_pages_doxygen_makes_in_every_build_are_one_line_each_not_documents(tmp_path: Path) -> None:
    # Doxygen writes the same legend of its graphs in every build, lists of the files, classes and members that quote
    # each one's brief description, and a highlighted copy of each file's source with its comments: all were read as
    # pages, beside the file's and the class's own.
    def page(path: Path, text: str) -> None:
        _site_page(path, text, "sky_fetch() fetches one image from the archive into the cache.")

    doxygen = tmp_path / "html"
    for name in ("index.html", "fetch_8h.html", "structsky__client.html", "deprecated.html", "graph_legend.html",
                 "files.html", "globals.html", "globals_func.html", "functions_vars.html", "annotated.html",
                 "classes.html", "fetch_8h_source.html"):
        page(doxygen / name, name)
    (doxygen / "doxygen.css").write_text("body { margin: 0 }")
    notes = tmp_path / "notes"  # pages of these names outside a Doxygen build are the user's own
    for name in ("files.html", "data_source.html"):
        page(notes / name, name)
    warnings: list[str] = []
    names = [f.name for f in find_files(tmp_path, warnings.append)]
    assert names == ["html/deprecated.html", "html/fetch_8h.html", "html/index.html", "html/structsky__client.html",
                     "notes/data_source.html", "notes/files.html"], names
    generated = ("a page Doxygen writes in every build: its graphs' legend, a list of files, classes or members, or a "
                 "file's source (the pages are read)")
    assert sorted(line for line in warnings if "unknown file type" not in line) == [
        f"skipping html/{name}: {generated}" for name in ("annotated.html", "classes.html", "fetch_8h_source.html",
                                                          "files.html", "functions_vars.html", "globals.html",
                                                          "globals_func.html", "graph_legend.html")], warnings


def test_a_page_or_a_text_that_only_looks_a_little_like_an_export_is_read(tmp_path: Path) -> None:
    page = tmp_path / "chat.html"  # a page about chat logs, styled like one
    page.write_text('<html><head><style>.chatlog { margin: 0 }</style></head><body><main><p class="chatlog__note">'
                    "The chat log of the observatory is kept for a year.</p></main></body></html>")
    text = tmp_path / "notes.txt"
    text.write_text("=" * 62 + "\nMinutes of the general meeting\n" + "=" * 62 + "\n\nThe dome is closed.\n")
    assert _texts(_one(page)) == ["The chat log of the observatory is kept for a year."]
    assert "The dome is closed." in _one(text).text


def test_the_media_downloaded_beside_an_export_is_one_line_not_a_warning_or_a_document_per_file(tmp_path: Path) -> None:
    export = documents.write_export(tmp_path / "Observatory - help [381889648827301889].json")
    media = tmp_path / f"{export.name}_Files"  # --media: avatars, emoji and attachments, under hashed names
    media.mkdir()
    for name in ("0-2F4D1.png", "patterns-77AA1.glob", "error-log-1C2D3.txt", "config-5E6F7.json"):
        (media / name).write_text("retries: 3\n")
    notes = tmp_path / "notes_Files"  # a folder of that name beside no file is the user's own
    notes.mkdir()
    (notes / "dome.txt").write_text("The dome is closed on Mondays.\n")
    warnings: list[str] = []
    assert [f.name for f in find_files(tmp_path, warnings.append)] == [export.name, "notes_Files/dome.txt"]
    why = f"the media DiscordChatExporter downloaded for {export.name} (avatars, attachments)"
    assert warnings == [f"skipping {export.name}_Files/: {why}; move a file out of it to index it"]
