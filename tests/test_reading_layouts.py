"""Layouts of real documents that a reader must see through: two-column papers, Word's and HTML's own markup.

Each test writes a small file as the tool that makes such documents writes it (fpdf2 for a
PDF laid out in columns, python-docx and raw WordprocessingML, HTML) and checks the text,
sections and pages a citation shows.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qabot.corpus import CorpusFile, document_paragraphs, load_file
from qabot.models import Document
from tests.documents import only_document, paragraph_texts, table_pdf

_one, _texts = only_document, paragraph_texts  # the one document of a file; its paragraphs' text


def _paper(tmp_path: Path, columns: list[tuple[int, list[str], int]], notes: tuple[int, list[str], int] | None = None
           ) -> Path:
    """A page of a paper set in Times 10 on 12 pt lines: each column's lines from its (x, lines, top); ``notes``,
    footnotes in Times 8 on 10 pt lines under a rule, as LaTeX sets them at a column's foot."""
    from fpdf import FPDF

    pdf = FPDF(format="letter", unit="pt")
    pdf.add_page()
    for column, lines, top in columns:
        pdf.set_font("Times", size=10)
        for row, line in enumerate(lines):
            pdf.set_xy(column, top + 12 * row)
            pdf.cell(250, 12, line)
        if notes is not None and notes[0] == column:
            _, note, top = notes
            pdf.line(column, top - 4, column + 76, top - 4)
            for row, line in enumerate(note):
                mark, text = line.split(" ", 1) if line[:1].isdigit() else ("", line)
                pdf.set_font("Times", size=6)  # the footnote's number, raised
                pdf.set_xy(column, top + 10 * row - 1)
                pdf.cell(4, 6, mark)
                pdf.set_font("Times", size=8)
                pdf.set_xy(column + 4, top + 10 * row)
                pdf.cell(246, 10, text)
    path = tmp_path / "paper.pdf"
    pdf.output(str(path))
    return path


# The first paragraph of a two-column paper's left column, in whole lines.
_OPENING = ["Dense retrievers map questions and passages into", "one vector space, where nearest neighbours answer",
            "the question. Their cost grows with the collection,", "and most deployments keep millions of passages."]


def test_pdf_a_left_column_line_that_ends_a_sentence_does_not_end_its_paragraph(tmp_path: Path) -> None:
    # Two columns of body text, ragged right: in the left one, a full line that happens to end with a sentence. A
    # line was judged full against the right edge of the whole text (the right column's), so every line of the left
    # column was short, and this one ended its paragraph: "Their cost grows with the collection." cut it in two.
    left = ["Dense retrievers map questions and passages into", "one vector space, where nearest neighbours answer",
            "the question. Their cost grows with the collection.", "Most deployments keep millions of passages, and",
            "they quantise the vectors to save memory and time."]
    right = ["Sparse methods such as BM25 remain strong baselines", "on collections where the questions use the words",
             "of the passages. They also cost far less to update.", "A hybrid of the two is what most systems run."]
    texts = _texts(_one(_paper(tmp_path, [(54, left, 80), (316, right, 80)])))
    assert texts == [" ".join(left), " ".join(right)], texts


def test_pdf_a_paragraph_that_runs_on_into_the_next_column_is_one_paragraph(tmp_path: Path) -> None:
    left = [*_OPENING, "", "We find that a quantised index is smaller. The com-"]  # set apart, as in the right column
    right = ["pressed index keeps ninety-eight percent of the recall", "while using a quarter of the memory.",
             "", "Sparse methods such as BM25 remain strong baselines."]
    texts = _texts(_one(_paper(tmp_path, [(54, left, 600), (316, right, 80)])))
    assert texts[1:] == [("We find that a quantised index is smaller. The compressed index keeps ninety-eight percent "
                         "of the recall while using a quarter of the memory."),
                         "Sparse methods such as BM25 remain strong baselines."], texts


def test_pdf_a_footnote_at_the_foot_of_a_column_does_not_cut_the_paragraph_that_runs_on(tmp_path: Path) -> None:
    left = [*_OPENING, "", "We compress the index with product quantisation and"]
    right = ["keep ninety-eight percent of the recall while using", "a quarter of the memory.",
             "", "Sparse methods such as BM25 remain strong baselines."]
    note = ["1 Product quantisation splits each vector into eight", "sub-vectors and codes each one in a byte."]
    texts = _texts(_one(_paper(tmp_path, [(54, left, 600), (316, right, 80)], notes=(54, note, 694))))
    # The footnote sat between the paragraph's halves: "... quantisation and", then the note, then "keep ninety-eight".
    assert texts[1:] == [("We compress the index with product quantisation and keep ninety-eight percent of the "
                          "recall while using a quarter of the memory."),
                         "Product quantisation splits each vector into eight sub-vectors and codes each one in a byte.",
                         "Sparse methods such as BM25 remain strong baselines."], texts


def test_pdf_a_footnote_at_the_foot_of_a_page_does_not_cut_the_paragraph_that_runs_on(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF(format="letter", unit="pt")
    pages = [["Dense retrievers map questions and passages into one vector space, where nearest",
              "neighbours answer the question. Their cost grows with the collection, and most",
              "deployments keep millions of passages. We compress the index with product quantisation and"],
             ["keep ninety-eight percent of the recall while using a quarter of the memory.", "",
              "Sparse methods such as BM25 remain strong baselines for the same collections."]]
    for top, lines in zip((660, 72), pages, strict=True):
        pdf.add_page()
        pdf.set_font("Times", size=10)
        for row, line in enumerate(lines):
            pdf.set_xy(72, top + 12 * row)
            pdf.cell(450, 12, line)
        if top == 660:  # the footnote under a rule at the page's foot, its number raised
            pdf.line(72, 704, 148, 704)
            pdf.set_font("Times", size=6)
            pdf.set_xy(72, 707)
            pdf.cell(4, 6, "1")
            pdf.set_font("Times", size=8)
            pdf.set_xy(76, 708)
            pdf.cell(446, 10, "Product quantisation splits each vector into eight sub-vectors and codes each in a byte.")
    path = tmp_path / "paper.pdf"
    pdf.output(str(path))
    doc = _one(path)
    found = [(doc.text[p.start : p.end], p.page, p.group) for p in document_paragraphs(doc)]
    # The paragraph's halves were apart, the footnote between them: each half a passage of its own.
    assert found == [
        (("Dense retrievers map questions and passages into one vector space, where nearest neighbours answer the "
          "question. Their cost grows with the collection, and most deployments keep millions of passages. We compress "
          "the index with product quantisation and"), 1, 1),
        ("keep ninety-eight percent of the recall while using a quarter of the memory.", 2, 1),
        ("Product quantisation splits each vector into eight sub-vectors and codes each in a byte.", 1, None),
        ("Sparse methods such as BM25 remain strong baselines for the same collections.", 2, None)], found


def test_pdf_each_row_of_a_table_is_a_paragraph(tmp_path: Path) -> None:
    path = table_pdf(tmp_path, (100, 60, 40, 200), [
        ("Filter", "Exposure", "Frames", "Notes"), ("Luminance", "120 s", "40", "Taken first"), ("Red", "180 s", "20", ""),
        ("Hydrogen alpha", "600 s", "12", ("Narrowband: it can be taken on moonlit nights, when the broadband filters "
         "are of no use"))])  # the last cell wraps
    # The rows ran together, and into the paragraphs around them: "... as listed below. Filter Exposure Frames Notes
    # Luminance 120 s 40 Taken first Red 180 s 20 Hydrogen alpha ... Flats are taken at dusk ...".
    assert _texts(_one(path)) == [
        "Each filter has its own exposure time and number of frames in a session, as listed below.",
        "Filter | Exposure | Frames | Notes", "Luminance | 120 s | 40 | Taken first", "Red | 180 s | 20",
        "Hydrogen alpha | 600 s | 12 | Narrowband: it can be taken on moonlit nights, when the broadband filters are of no use",
        "Flats are taken at dusk for every filter used that night."]


def test_pdf_a_word_hyphenated_at_a_line_end_does_not_end_its_paragraph(tmp_path: Path) -> None:
    lines = ["Observatory logs record every session: the seeing,", "the filters in use and the guiding errors. Finding",
             "a past night with similar conditions is a common task.", "",
             "Keyword search fails when observers describe the", "same problem in different words, and dense retriev-",
             "ers are too large for the embedded computers that", "control most domes. The flexure of the mount is",
             "described in six ways across our logs."]
    path = _paper(tmp_path, [(54, lines, 80)])  # a column of a paper, as the previous test lays it out
    # PDFium reads "retriev-" and the line after it as one line, which ends a line lower than it starts.
    assert _texts(_one(path))[1:] == [
        ("Keyword search fails when observers describe the same problem in different words, and dense retrievers are "
         "too large for the embedded computers that control most domes. The flexure of the mount is described in six "
         "ways across our logs.")]


def test_pdf_a_paragraph_set_at_one_and_a_half_spacing_among_single_spaced_ones_is_one(tmp_path: Path) -> None:
    """A quotation at one and a half spacing was read a line at a time, a sentence cut at each line's end; one-line
    paragraphs set apart by the same space (a story's lines of dialogue, a title page's) stay apart."""
    from fpdf import FPDF

    pdf = FPDF(format="letter", unit="pt")
    pdf.add_page()
    pdf.set_font("Times", size=10)
    top = 80
    single = [_OPENING, ["Sparse retrievers instead match the words that a", "question shares with a passage, and they need no",
                         "model at all, but they miss every passage that says", "the same thing in other words."],
              ["A hybrid of the two ranks each passage by both", "scores, and on most collections it finds more of",
               "the passages that answer than either of them does", "alone, at little more than the dense one's cost."],
              ["Our own system indexes the logs of four domes and", "answers the observers' questions with the passage",
               "that holds the answer, quoted as it was written in", "the log, with the night and the dome it is from."]]
    for lines, step in (*((lines, 12) for lines in single), (["The committee wrote that the mirror covers must never be opened while",
                                          "the dome is closed, because condensation forms on the cold glass and",
                                          "leaves marks that only a full cleaning removes, and so the night log",
                                          "records every opening of the covers."], 18),
                        (["'Close the shutter now,' said the night assistant to the visiting observer.",
                          "'The clouds are coming in from the west and the humidity is rising fast.'",
                          "The observer nodded and saved the last frame of the evening's series."], 18)):
        for line in lines:
            pdf.set_xy(54, top)
            pdf.cell(300, 12, line)
            top += step
        top += 12
    path = tmp_path / "report.pdf"
    pdf.output(str(path))
    assert _texts(_one(path)) == [
        *(" ".join(lines) for lines in single),
        ("The committee wrote that the mirror covers must never be opened while the dome is closed, because "
         "condensation forms on the cold glass and leaves marks that only a full cleaning removes, and so the night log "
         "records every opening of the covers."),
        "'Close the shutter now,' said the night assistant to the visiting observer.",
        "'The clouds are coming in from the west and the humidity is rising fast.'",
        "The observer nodded and saved the last frame of the evening's series."]


@pytest.mark.parametrize("turn", [90, 270])
def test_pdf_a_page_turned_to_landscape_reads_as_shown(tmp_path: Path, turn: int) -> None:
    """A landscape page in a portrait document, as LaTeX's pdflscape or a "rotate page" tool writes it: drawn turned on
    the page, and the page turned back by its /Rotate. Its lines were measured in the page's own space, where they run
    up the page: each line was a paragraph of its own, a sentence cut at every line end."""
    import pypdfium2 as pdfium
    from fpdf import FPDF

    pdf = FPDF(format="letter", unit="pt")
    pdf.set_auto_page_break(False)
    weather = ("The dome must be closed whenever the humidity rises above eighty-five percent, because condensation "
               "on the mirror ruins the aluminium coating within a few weeks.")
    cameras = ("The guide camera is connected to the blue USB port on the back panel of the control computer. The main "
               "camera uses the red port next to it, and the focuser uses the black one. Each camera needs its own "
               "powered hub because the cable runs are longer than five metres.")
    shutdown = ("At the end of the night the operator parks the telescope at the zenith, switches off the camera cooler, "
                "and waits five minutes before switching off the camera itself.")
    pages = [("1. Weather", weather), ("2. Cameras", cameras), ("3. Shutdown", shutdown)]
    for n, (title, body) in enumerate(pages):
        pdf.add_page()
        angle = turn if n == 1 else 0
        with pdf.rotation(angle, x=pdf.w / 2, y=pdf.h / 2):  # the landscape page's content, centred on the page
            x, y = (pdf.w / 2 - pdf.h / 2 + 144, pdf.h / 2 - pdf.w / 2 + 72) if angle else (72, 72)
            width = (pdf.h if angle else pdf.w) - 2 * (x if not angle else 144)
            pdf.set_font("Helvetica", "B", 16)
            pdf.set_xy(x, y)
            pdf.cell(width, 20, title)
            pdf.set_font("Helvetica", "", 11)
            pdf.set_xy(x, y + 28)
            pdf.multi_cell(width, 14, body)
    drawn = tmp_path / "drawn.pdf"
    pdf.output(str(drawn))
    turned = pdfium.PdfDocument(drawn)
    turned[1].set_rotation(turn)
    path = tmp_path / "manual.pdf"
    turned.save(path)
    turned.close()
    doc = _one(path)
    assert _texts(doc) == [body for _, body in pages]
    cited = [(p.section, p.page) for p in document_paragraphs(doc) if not p.heading]
    assert cited == [("1. Weather", 1), ("2. Cameras", 2), ("3. Shutdown", 3)]


def test_pdf_a_compound_hyphenated_at_a_line_end_keeps_its_hyphen(tmp_path: Path) -> None:
    lines = ["The guider is self-calibrating, and the dome is self-", "parking: a self-parking dome needs no observer.",
             "Its inter-", "national users read the assas-", "sination mystery at the international meeting."]
    path = _paper(tmp_path, [(54, lines, 80)])
    assert _texts(_one(path)) == [
        ("The guider is self-calibrating, and the dome is self-parking: a self-parking dome needs no observer. Its "
         "international users read the assassination mystery at the international meeting.")]


def test_pdf_running_headers_in_a_journals_deep_top_margin_are_dropped(tmp_path: Path) -> None:
    from fpdf import FPDF

    # A journal's page (Springer's, SIAM's): the running header, the authors on even pages and the short title on
    # odd ones, each with its page number, sits 100 pt from the top of a letter page, over a deep top margin.
    pdf = FPDF(format="letter", unit="pt")
    body = ["Each night the dome opens at dusk, once the rain sensor has been dry for an hour and the wind",
            "is under forty kilometres an hour. The mount is then unparked and slewed to its first target,",
            "and the camera cools to its working temperature while the first flats are taken.",
            "", "The guider locks on a star within a minute; a session that cannot find one is abandoned",
            "and the dome is closed again."]
    for number in range(2, 6):
        pdf.add_page()
        pdf.set_font("Times", size=9)
        pdf.set_xy(90, 100)
        pdf.cell(432, 10, f"{number}        R. Astronomer and S. Observer" if number % 2 == 0 else "")
        pdf.set_xy(90, 100)
        pdf.cell(432, 10, "" if number % 2 == 0 else f"Nights at the Observatory        {number}", align="R")
        pdf.set_font("Times", size=10)
        for row, line in enumerate(body):
            pdf.set_xy(90, 128 + 12 * row)
            pdf.cell(432, 12, line)
    path = tmp_path / "journal.pdf"
    pdf.output(str(path))
    texts = _texts(_one(path))
    # The header was 13% of the page from its top edge, past the 12% that running headers were looked for in: each
    # page's was a paragraph ("2 | R. Astronomer and S. Observer"), passed to the model and cited.
    assert texts == [" ".join(body[:3]), " ".join(body[4:])] * 4, texts


def test_pdf_a_line_that_repeats_down_one_page_is_no_running_header(tmp_path: Path) -> None:
    from fpdf import FPDF

    # A one-page sheet: a song's refrain at the top and a checklist at the foot, each line said twice. A running
    # header repeats from page to page; these repeated on their page, near its edge, and were dropped as headers.
    pdf = FPDF(format="A4", unit="pt")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    lines = ["Keep the lantern lit until the boats come home,", "Keep the lantern lit until the boats come home,",
             "and sing the harbour song when the fog rolls in.", "", "The keeper logs the weather every evening."]
    for row, line in enumerate(lines):
        pdf.set_xy(72, 60 + 14 * row)
        pdf.cell(450, 14, line)
    for row, line in enumerate(["Shutters closed and checked.", "Shutters closed and checked."]):
        pdf.set_xy(72, 760 + 14 * row)
        pdf.cell(450, 14, line)
    path = tmp_path / "keeper.pdf"
    pdf.output(str(path))
    assert _texts(_one(path)) == [" ".join(lines[:3]), lines[4], *["Shutters closed and checked."] * 2]


def test_pdf_a_tables_rows_near_the_top_and_foot_of_each_page_are_no_running_header(tmp_path: Path) -> None:
    from fpdf import FPDF

    # A statement of three pages, its rows top to bottom: the rows near each page's edges differ only in their
    # numbers, which were all read as one ("#/# card payment ... #.#"), so they "ran" on every page and were dropped.
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.set_font("Helvetica", size=10)
    rows = []
    for page in range(3):
        pdf.add_page()
        for row in range(28):
            day, amount = (page * 28 + row) % 27 + 1, f"{(page * 28 + row) * 37 % 500}.{row:02d}"
            for x, cell in ((15, f"{day:02d}/0{page + 1}"), (45, "Card payment, corner shop"), (150, amount)):
                pdf.set_xy(x, 10 + 9.8 * row)
                pdf.cell(40, 5, cell)
            rows.append(amount)
    pdf.output(str(tmp_path / "statement.pdf"))
    text = " ".join(_texts(_one(tmp_path / "statement.pdf")))
    assert [amount for amount in rows if amount not in text] == []


def test_pdf_a_page_number_and_a_running_title_are_dropped_and_the_rows_beside_them_kept(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    for page in range(1, 5):
        pdf.add_page()
        pdf.set_font("Helvetica", size=8)
        pdf.set_xy(15, 8)
        pdf.cell(0, 4, "Harbour Authority - Annual Report 2024")
        pdf.set_xy(15, 287)
        pdf.cell(0, 4, f"Page {page} of 4", align="C")
        pdf.set_font("Helvetica", size=10)
        for row in range(3):
            pdf.set_xy(15, 20 + 8 * row)
            pdf.cell(0, 5, f"Berth {page}{row}: dredged to {7 + row} metres in {2019 + page}.")
    pdf.output(str(tmp_path / "report.pdf"))
    texts = _texts(_one(tmp_path / "report.pdf"))
    assert not [t for t in texts if "Annual Report" in t or "of 4" in t], texts
    assert all(f"Berth {page}{row}:" in " ".join(texts) for page in range(1, 5) for row in range(3))


def test_pdf_a_running_head_that_names_a_short_chapter_is_dropped(tmp_path: Path) -> None:
    from fpdf import FPDF

    # A manual of short chapters, two pages each: its running head names the manual on even pages and the chapter on
    # odd ones, in small type over the body. The manual's name repeats and was dropped; each chapter's name, on one or
    # two pages only, was a paragraph: "3 The cache" over that chapter's heading was cited in the chapter before it,
    # and came up as an excerpt for questions about the cache.
    chapters = ["1 Installation", "2 Configuration", "3 The cache"]
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    for number, chapter in enumerate(chapters):
        for half in range(2):
            pdf.add_page()
            pdf.set_font("Helvetica", "I", 8)
            pdf.set_xy(15, 8)
            pdf.cell(180, 5, chapter if pdf.page_no() % 2 else "Skyfetch User Guide", align="R")
            pdf.set_xy(15, 22)
            if not half:
                pdf.set_font("Helvetica", "B", 16)
                pdf.cell(0, 10, chapter)
                pdf.set_xy(15, 36)
            pdf.set_font("Helvetica", size=11)
            pdf.multi_cell(180, 6, f"Part {half + 1} of chapter {number + 1}: the archive keeps the images of each "
                                   "night in a folder of its own, sorted by telescope and by the time they were taken.")
    pdf.output(str(tmp_path / "manual.pdf"))
    doc = _one(tmp_path / "manual.pdf")
    read = [(p.heading, p.section, doc.text[p.start : p.end]) for p in document_paragraphs(doc)]
    assert [text for heading, _, text in read if heading] == chapters, read
    assert not [text for heading, _, text in read if not heading and not text.startswith("Part ")], read
    assert [section for heading, section, _ in read if not heading] == [c for c in chapters for _ in range(2)]


def test_pdf_a_slide_title_on_a_few_slides_and_figures_alone_on_a_line_are_read(tmp_path: Path) -> None:
    from fpdf import FPDF

    # A deck: "Architecture" heads three of eight slides, and a slide shows its figures alone on their lines. The
    # repeated title was taken for a running header, and "87%" or "$29" (four characters or fewer, no letter) for a
    # footnote's number.
    pdf = FPDF(orientation="L")
    pdf.set_auto_page_break(False)
    titles = ["Agenda", "Architecture", "Architecture", "Architecture", "Demo", "Results", "Next steps", "Questions"]
    for number, title in enumerate(titles):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 28)
        pdf.set_xy(20, 15)
        pdf.cell(0, 12, title)
        pdf.set_font("Helvetica", size=18)
        for line, said in enumerate((f"Slide {number + 1} says more about {title.lower()}.", "87%", "renew", "$29")):
            pdf.set_xy(30, 45 + 25 * line)
            pdf.cell(0, 8, said)
    pdf.output(str(tmp_path / "deck.pdf"))
    text = _one(tmp_path / "deck.pdf").text
    assert text.count("Architecture") == 3 and text.count("87%") == 8 and text.count("$29") == 8, text


def test_pdf_a_word_of_roman_numerals_letters_at_a_pages_edge_is_no_page_number(tmp_path: Path) -> None:
    from fpdf import FPDF

    # A one-page resume titled "CV" at the top: any word of the letters i, v, x, l, c, d, m alone on a line at an
    # edge ("CV", "Mix", "Civil") was taken for a roman page number and dropped. A page's "xiv" still is one.
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.add_page()
    for y, size, text in ((10, 20, "CV"), (40, 11, "Ada Lovelace, analyst of engines, London."), (285, 9, "xiv")):
        pdf.set_font("Helvetica", size=size)
        pdf.set_xy(20, y)
        pdf.cell(0, 8, text)
    pdf.output(str(tmp_path / "cv.pdf"))
    text = _one(tmp_path / "cv.pdf").text
    assert "CV" in text and "xiv" not in text, text


def test_pdf_a_bold_table_row_is_a_row_not_a_heading() -> None:
    from qabot.corpus.pdf_layout import Line, _is_heading, _Layout

    # A timetable in a bold font ("Pendulum | 17:35 - 18:35 (60min)", pdf.js' issue840.pdf): each row was a heading,
    # and the rows under it its section. Bold makes a short line a heading only where it is no table's row.
    layout = _Layout(size=10.0, pitch=0.015, left=72.0, right=540.0)
    row = Line("Pendulum\t17:35 - 18:35 (60min)", 72.0, 300.0, 0.5, 10.0, True, 0.5, row=True, cells=(72.0, 160.0))
    title = Line("Saturday", 72.0, 120.0, 0.6, 10.0, True, 0.6)
    assert not _is_heading([row], "Pendulum | 17:35 - 18:35 (60min)", layout)
    assert _is_heading([title], "Saturday", layout)


def test_pdf_a_bold_heading_in_a_standard_font_names_its_section_and_a_figures_bold_labels_do_not(
        tmp_path: Path) -> None:
    from fpdf import FPDF

    # A report set in Helvetica, one of the 14 standard fonts no PDF embeds, its headings in Helvetica-Bold at the
    # text's size: the font states no weight (PDFium gives 0), so the headings read as paragraphs and named no
    # section. A figure's labels in bold, in a smaller type, are no heading.
    pdf = FPDF()
    pdf.add_page()
    opening = "Each night the dome opens at dusk, once the rain sensor has been dry for an hour."
    closing = "The dome closes when the rain sensor trips, whatever is observed, and the mount is parked."
    for heading, body in (("Opening the dome", opening), ("Closing the dome", closing)):
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, body, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    pdf.set_font("Helvetica", "B", 6)  # the figure's labels
    pdf.cell(40, 4, "Shutter")
    pdf.cell(40, 4, "Mount", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "Figure 1 shows where the shutter and the mount stand when the dome is closed.")
    path = tmp_path / "report.pdf"
    pdf.output(str(path))
    document = _one(path)
    sections = {document.text[p.start : p.end]: (p.heading, p.section) for p in document_paragraphs(document)}
    assert sections["Closing the dome"] == (True, "Closing the dome")
    assert sections[closing] == (False, "Closing the dome")
    labels = next(text for text in sections if "Shutter" in text)
    assert not sections[labels][0] and sections[labels][1] == "Closing the dome"


def test_pdf_a_letter_alone_in_a_figure_is_no_heading(tmp_path: Path) -> None:
    from fpdf import FPDF

    # A figure's label of one letter, set larger than the text (tracemonkey.pdf's "T" over its trace tree): it was a
    # heading, and the paragraphs after it, up to the next section, were cited as "§ T".
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=16)
    pdf.cell(0, 10, "Nested trace trees", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "Figure 7 shows how a tree of traces grows when an inner loop is nested in an outer one.",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", size=14)
    pdf.cell(0, 8, "T", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", size=11)
    after = "The outer loop's trace calls the inner tree, which returns to it when the inner loop exits."
    pdf.multi_cell(0, 6, after)
    path = tmp_path / "traces.pdf"
    pdf.output(str(path))
    document = _one(path)
    sections = {document.text[p.start : p.end]: (p.heading, p.section) for p in document_paragraphs(document)}
    assert sections["Nested trace trees"] == (True, "Nested trace trees")
    assert sections["T"] == (False, "Nested trace trees")
    assert sections[after] == (False, "Nested trace trees")


def test_pdf_a_space_glyph_that_maps_to_no_character_still_parts_the_words(tmp_path: Path) -> None:
    from tests.hostile import pdf_file

    # A font whose space glyph names no character (code 2, no character map, no glyph name), as in a journal's
    # headings: PDFium counts it but leaves it out of the text, and "The Theory of Reasoned Action" read
    # "TheTheoryofReasonedAction", one word nobody asks for. A line end is no space: the next line goes on.
    stream = (b"BT /F1 12 Tf 72 700 Td (The\x02Theory\x02of\x02Reasoned\x02Action) Tj ET\n"
              b"BT /F1 11 Tf 72 660 Td (Intention\x02comes\x02before\x02the\x02act\x02itself,\x02in\x02the) Tj ET\n"
              b"BT /F1 11 Tf 72 647 Td (theory\x02of\x02Fishbein\x02and\x02Ajzen.) Tj ET\n")
    font = (b"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /Encoding << /BaseEncoding /WinAnsiEncoding "
            b"/Differences [2 /g2] >> >>")
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
                  b"/Contents 5 0 R >>", 4: font,
               5: b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)}
    path = tmp_path / "tam.pdf"
    path.write_bytes(pdf_file(objects))
    assert _texts(_one(path)) == ["The Theory of Reasoned Action",
                                  "Intention comes before the act itself, in the theory of Fishbein and Ajzen."]


def test_pdf_each_bulleted_item_is_a_paragraph_of_its_own(tmp_path: Path) -> None:
    from fpdf import FPDF

    # Bullets a few points from their text (no table's gap), an item's last line nearly full: the next item ran on.
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.core_fonts_encoding = "windows-1252"  # Helvetica's own bullet
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    items = [("The committee reviewed the proposal in detail and agreed that the budget should be revised before the "
              "next meeting. After a long discussion the chair asked the finance team to prepare an updated estimate "
              "for the board of the harbour trust and its two auditors."),
             "Volunteers are needed for the community garden."]
    y = 20.0
    for item in items:
        pdf.set_xy(20, y)
        pdf.cell(6, 5.5, "•")
        pdf.set_xy(26, y)
        pdf.multi_cell(160, 5.5, item)
        y = pdf.get_y() + 2
    pdf.output(str(tmp_path / "minutes.pdf"))
    assert _texts(_one(tmp_path / "minutes.pdf")) == [f"• {item}" for item in items]


def test_pdf_text_in_a_font_of_size_one_scaled_by_its_matrix_is_read_at_the_size_it_shows(tmp_path: Path) -> None:
    from tests.documents import write_distilled_pdf

    body = [["The mirror is cleaned once a year, in spring, when the dome is opened",
             "for the first time. Dust is blown off with dry air before any cloth",
             "touches the glass."],
            ["A scratched mirror still works: the scratches scatter a little light, but",
             "they do not blur the image."]]
    lines = [(72, 700, 16, "Cleaning the mirror")]
    y = 670
    for paragraph in body:
        for row, line in enumerate(paragraph):
            lines.append((90 if row == 0 else 72, y, 12, line))
            y -= 14
        y -= 6
    # As Word's printout through Distiller: "/F1 1 Tf 12 0 0 12 72 670 Tm". Read at size 1, every space between
    # words was a table's gap ("The | mirror | is | cleaned ..."), and the heading no larger than the text.
    doc = _one(write_distilled_pdf(tmp_path / "care.pdf", [lines]))
    found = [(doc.text[p.start : p.end], p.heading, p.section) for p in document_paragraphs(doc)]
    assert found == [("Cleaning the mirror", True, "Cleaning the mirror"),
                     (" ".join(body[0]), False, "Cleaning the mirror"),
                     (" ".join(body[1]), False, "Cleaning the mirror")], found


def test_pdf_a_line_of_many_dots_is_read_in_linear_time(tmp_path: Path) -> None:
    import time

    from tests.documents import write_distilled_pdf

    # The pattern for a contents entry's dot leaders split a run of dots every way it could: a line of 1,500 dots
    # took 10 s, 4,000 of them four minutes, each in one call that no reader limit stops.
    lines = [(72, 700, 12, "The dome opens at dusk on Fridays."), (20, 680, 1, "Scope " + "." * 1_500 + " of x y"),
             (72, 660, 12, "It closes at midnight.")]
    path = write_distilled_pdf(tmp_path / "dots.pdf", [lines])
    began = time.monotonic()
    texts = _texts(_one(path))
    assert time.monotonic() - began < 3
    assert texts[0].startswith("The dome opens at dusk on Fridays.") and texts[-1].endswith("It closes at midnight.")


def test_pdf_a_long_number_on_a_contents_page_is_read_in_linear_time(tmp_path: Path) -> None:
    import time

    from tests.documents import write_distilled_pdf

    # On a page of contents entries, the test for an entry without leaders (a line ending in its page number)
    # went back over a run of digits from each of them: a line of 30,000 digits took 5 s, in one call.
    lines = [(72, 700 - 14 * n, 12, f"Chapter {n} {'.' * 20} {n}") for n in range(1, 4)]
    lines += [(20, 600, 1, "1" * 30_000 + " x"), (72, 580, 12, "The dome opens at dusk on Fridays.")]
    path = write_distilled_pdf(tmp_path / "contents.pdf", [lines])
    began = time.monotonic()
    texts = _texts(_one(path))
    assert time.monotonic() - began < 3
    assert texts[-1].endswith("The dome opens at dusk on Fridays.")


def test_pdf_an_accent_that_tex_set_over_a_letter_is_read_with_it(tmp_path: Path) -> None:
    from tests.documents import write_distilled_pdf

    # TeX sets "ö" in a Type 1 font without it as an accent over a letter: the diaeresis, a move back, the "o".
    # PDFium reads the accent as a character of its own: "Sch¨onhage", "Fran¸cois", "Andr´e".
    lines = [(72, 700, 10, ["A na", -28, "\xa8", 305, "ıve multiplication after Sch", -83, "\xa8", 416, "onhage and Strassen, as"]),
             (72, 688, 10, ["Franc", 444, "\xb8", -111, "ois and Andr", -83, "\xb4", 416, "e showed, takes n log n time."])]
    doc = _one(write_distilled_pdf(tmp_path / "fft.pdf", [lines]))
    assert _texts(doc) == [
        "A naïve multiplication after Schönhage and Strassen, as François and André showed, takes n log n time."]


_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def test_docx_a_table_of_contents_is_not_text(tmp_path: Path) -> None:
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import parse_xml

    word = docx.Document()
    word.styles.add_style("toc 1", WD_STYLE_TYPE.PARAGRAPH)
    word.add_paragraph("Contents", style="TOC Heading")
    sections = {"Opening the dome": "Open the dome only when the humidity is below eighty percent.",
                "Closing the dome": "Park the telescope before you close the dome."}
    for page, title in enumerate(sections, start=2):  # as Word writes an entry: a link, a tab, a PAGEREF field
        entry = word.add_paragraph(style="toc 1")
        entry._p.append(parse_xml(
            f'<w:hyperlink {_W} w:anchor="_Toc{page}"><w:r><w:t>{title}</w:t></w:r><w:r><w:tab/></w:r>'
            '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            f'<w:r><w:instrText xml:space="preserve"> PAGEREF _Toc{page} \\h </w:instrText></w:r>'
            f'<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>{page}</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:hyperlink>'))
    for title, body in sections.items():
        word.add_heading(title, 1)
        word.add_paragraph(body)
    path = tmp_path / "handbook.docx"
    word.save(str(path))
    doc = _one(path)
    assert _texts(doc) == list(sections.values())
    assert "Opening the dome 2" not in doc.text and "Contents" not in doc.text


# A list of three levels as Word writes one (1. / a) / (i)), and a second list instance of it that restarts at 5.
_LEVELS = [("decimal", "%1."), ("lowerLetter", "%2)"), ("lowerRoman", "(%3)")]
_MULTILEVEL = (f'<w:abstractNum {_W} w:abstractNumId="90"><w:multiLevelType w:val="multilevel"/>'
               + "".join(f'<w:lvl w:ilvl="{level}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/>'
                         "</w:lvl>" for level, (fmt, text) in enumerate(_LEVELS)) + "</w:abstractNum>")


def test_docx_numbered_lists_keep_their_numbers_as_word_shows_them(tmp_path: Path) -> None:
    import docx
    from docx.oxml import parse_xml

    word = docx.Document()
    numbering = word.part.numbering_part.element
    numbering.find(f"{{{_W[9:-1]}}}num").addprevious(parse_xml(_MULTILEVEL))
    numbering.append(parse_xml(f'<w:num {_W} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    numbering.append(parse_xml(f'<w:num {_W} w:numId="91"><w:abstractNumId w:val="90"/><w:lvlOverride w:ilvl="0">'
                               '<w:startOverride w:val="5"/></w:lvlOverride></w:num>'))

    def item(text: str, num: int, level: int = 0, style: str | None = None) -> None:
        word.add_paragraph(text, style=style)._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {_W}><w:ilvl w:val="{level}"/><w:numId w:val="{num}"/></w:numPr>'))

    word.add_heading("Closing", 1)
    word.add_paragraph("Closing the dome:")
    for text in ("Park the mount.", "Close the shutter.", "", "Switch the dome off."):  # Word numbers an empty item
        word.add_paragraph(text, style="List Number")  # python-docx's template: a list through the paragraph style
    item("Check the sensors.", 90)
    item("Rain sensor.", 90, 1)
    item("Wind sensor.", 90, 1)
    item("Dew point.", 90, 2)
    item("Log the time.", 90)
    item("In the log book.", 90, 1)
    word.add_paragraph("Tell the night assistant.", style="List Bullet")  # a bullet is no number
    item("Restarted at five.", 91)
    item("Not numbered, though in a list style.", 0, style="List Number")  # numId 0: no number
    path = tmp_path / "closing.docx"
    word.save(str(path))
    doc = _one(path)
    assert _texts(doc) == [
        "Closing the dome:", "1. Park the mount.", "2. Close the shutter.", "4. Switch the dome off.",
        "1. Check the sensors.", "a) Rain sensor.", "b) Wind sensor.", "(i) Dew point.", "2. Log the time.",
        "a) In the log book.", "Tell the night assistant.", "5. Restarted at five.", "Not numbered, though in a list style."]


_MC = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
_WPS = 'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"'
_V = 'xmlns:v="urn:schemas-microsoft-com:vml"'


def _box(*paragraphs: str) -> str:
    return "<w:txbxContent>" + "".join(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" for text in paragraphs) + "</w:txbxContent>"


def test_docx_the_text_of_a_text_box_is_read_once_after_the_paragraph_it_is_anchored_in(tmp_path: Path) -> None:
    import docx
    from docx.oxml import parse_xml

    word = docx.Document()
    word.add_heading("Opening the dome", 1)
    anchor = word.add_paragraph("Check the weather station before opening.")
    # Word 2010 and later: the shape (wps) and, for older readers, the same text box in VML.
    anchor._p.append(parse_xml(
        f'<w:r {_W} {_MC} {_WPS} {_V}><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:wsp><wps:txbx>'
        + _box("Warning: never open the dome above 80% humidity.", "Ask the night assistant if in doubt.")
        + "</wps:txbx></wps:wsp></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox>"
        + _box("Warning: never open the dome above 80% humidity.", "Ask the night assistant if in doubt.")
        + "</v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>"))
    word.add_paragraph("Open the shutter, then the flaps.")
    # Word 2007: a VML text box only, in a paragraph of its own.
    word.add_paragraph()._p.append(parse_xml(
        f'<w:r {_W} {_V}><w:pict><v:shape><v:textbox>{_box("Tip: the flaps open faster when warm.")}</v:textbox>'
        "</v:shape></w:pict></w:r>"))
    path = tmp_path / "dome.docx"
    word.save(str(path))
    # The text boxes were not read: their warning and tip were in no passage.
    assert _texts(_one(path)) == [
        "Check the weather station before opening.", "Warning: never open the dome above 80% humidity.",
        "Ask the night assistant if in doubt.", "Open the shutter, then the flaps.", "Tip: the flaps open faster when warm."]


def _control(alias: str, content: str) -> str:
    return f'<w:sdt><w:sdtPr><w:alias w:val="{alias}"/><w:text/></w:sdtPr><w:sdtContent>{content}</w:sdtContent></w:sdt>'


def _cell(text: str) -> str:
    return f"<w:tc><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"


def test_docx_table_rows_and_cells_in_content_controls_are_read(tmp_path: Path) -> None:
    import docx
    from docx.oxml import parse_xml

    word = docx.Document()
    # A cover page from Word's gallery: a content control around the table, and one around each cell, bound to
    # the document's properties; and a repeating section, a content control around each row of a table.
    cover = ("<w:tbl><w:tblGrid><w:gridCol/></w:tblGrid>"
             + "".join(f"<w:tr>{_control(alias, _cell(text))}</w:tr>" for alias, text in (
                 ("Company", "Northern Sky Observatory"), ("Title", "Annual report on dome safety"),
                 ("Author", "The night assistants")))
             + "</w:tbl>")
    rows = ("<w:tbl><w:tblGrid><w:gridCol/><w:gridCol/></w:tblGrid>"
            + "<w:tr>" + _cell("Night") + _cell("Incident") + "</w:tr>"
            + _control("Incidents", "".join(_control("Incident", f"<w:tr>{_cell(night)}{_cell(incident)}</w:tr>")
                                             for night, incident in (("3 March", "Rain sensor failed"),
                                                                     ("9 March", "Shutter stuck half open"))))
            + "</w:tbl>")
    body = word.element.body
    body.sectPr.addprevious(parse_xml(f"<w:holder {_W}>{_control('Cover', cover)}</w:holder>")[0])
    word.add_paragraph("Two incidents were logged in March.")
    body.sectPr.addprevious(parse_xml(f"<w:holder {_W}>{rows}</w:holder>")[0])
    path = tmp_path / "report.docx"
    word.save(str(path))
    # python-docx reads no cell in a content control, nor a row: the cover page and the incidents were lost.
    assert _texts(_one(path)) == [
        "Northern Sky Observatory", "Annual report on dome safety", "The night assistants",
        "Two incidents were logged in March.", "Night | Incident", "3 March | Rain sensor failed",
        "9 March | Shutter stuck half open"]


def test_docx_a_content_control_that_shows_its_placeholder_is_not_text(tmp_path: Path) -> None:
    import docx
    from docx.oxml import parse_xml

    def placeholder(content: str) -> str:  # as Word writes an empty control: its prompt, grey, until filled in
        return f"<w:sdt><w:sdtPr><w:showingPlcHdr/><w:text/></w:sdtPr><w:sdtContent>{content}</w:sdtContent></w:sdt>"

    word = docx.Document()
    body = word.element.body
    cover = ("<w:tbl><w:tblGrid><w:gridCol/></w:tblGrid>"
             f"<w:tr>{_control('Title', _cell('Night log of the dome'))}</w:tr>"
             f"<w:tr>{placeholder(_cell('[Type the document subtitle]'))}</w:tr></w:tbl>")
    body.sectPr.addprevious(parse_xml(f"<w:holder {_W}>{cover}</w:holder>")[0])
    body.sectPr.addprevious(parse_xml(f"<w:holder {_W}>{placeholder('<w:p><w:r><w:t>[Job Title]</w:t></w:r></w:p>')}"
                                      "</w:holder>")[0])
    body.sectPr.addprevious(parse_xml(
        f'<w:p {_W}><w:r><w:t xml:space="preserve">Observer: </w:t></w:r>'
        + placeholder("<w:r><w:t>Click here to enter text.</w:t></w:r>") + "</w:p>"))
    word.add_paragraph("The dome was opened at 21:40.")
    path = tmp_path / "log.docx"
    word.save(str(path))
    # Word's prompts were read as the document's text, the same in every form made from the template.
    assert _texts(_one(path)) == ["Night log of the dome", "Observer:", "The dome was opened at 21:40."]


def test_docx_text_with_ruby_reads_as_its_base_text(tmp_path: Path) -> None:
    import docx
    from docx.oxml import parse_xml

    word = docx.Document()
    # Japanese with its reading over it (furigana), as Word writes it: the reading (w:rt), then the text (w:rubyBase).
    word.element.body.sectPr.addprevious(parse_xml(
        f'<w:p {_W}><w:r><w:ruby><w:rubyPr><w:hps w:val="11"/><w:lid w:val="ja-JP"/></w:rubyPr>'
        "<w:rt><w:r><w:t>とうきょう</w:t></w:r></w:rt><w:rubyBase><w:r><w:t>東京</w:t></w:r></w:rubyBase></w:ruby></w:r>"
        "<w:r><w:t>の天文台は晴れた夜に開く。</w:t></w:r></w:p>"))
    path = tmp_path / "tokyo.docx"
    word.save(str(path))
    # python-docx reads no text in a ruby: the name was lost ("の天文台は ..."), and a paragraph all in ruby with it.
    assert _texts(_one(path)) == ["東京の天文台は晴れた夜に開く。"]


def _notes_part(word: object, kind: str, notes: dict[int, str]) -> None:
    """A footnotes (or endnotes) part as Word writes it: the separators, then each note, its mark first."""
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    tag = kind[:-1]
    separators = "".join(f'<w:{tag} w:type="{kind}" w:id="{n}"><w:p><w:r><w:separator/></w:r></w:p></w:{tag}>'
                         for n, kind in ((-1, "separator"), (0, "continuationSeparator")))
    body = "".join(f'<w:{tag} w:id="{n}"><w:p><w:r><w:{tag}Ref/></w:r><w:r><w:t xml:space="preserve"> {text}</w:t>'
                   "</w:r></w:p></w:" + tag + ">" for n, text in notes.items())
    xml = f'<w:{kind} {_W}>{separators}{body}</w:{kind}>'.encode()
    content = f"application/vnd.openxmlformats-officedocument.wordprocessingml.{kind}+xml"
    part = Part(PackURI(f"/word/{kind}.xml"), content, xml, word.part.package)  # type: ignore[attr-defined]
    word.part.relate_to(part, f"http://schemas.openxmlformats.org/officeDocument/2006/relationships/{kind}")  # type: ignore[attr-defined]


def test_docx_footnotes_and_endnotes_are_read_after_the_paragraph_that_refers_to_them(tmp_path: Path) -> None:
    import docx
    from docx.oxml import parse_xml

    word = docx.Document()
    word.add_heading("Flats", 1)
    word.element.body.sectPr.addprevious(parse_xml(  # the marks: "... at dusk¹ and again at dawnⁱ."
        f'<w:p {_W}><w:r><w:t>Flats are taken at dusk</w:t></w:r><w:r><w:footnoteReference w:id="1"/></w:r>'
        '<w:r><w:t xml:space="preserve"> and again at dawn</w:t></w:r><w:r><w:endnoteReference w:id="1"/></w:r>'
        "<w:r><w:t>.</w:t></w:r></w:p>"))
    word.add_paragraph("Darks are taken with the shutter closed.")
    _notes_part(word, "footnotes", {1: "On a clear evening, when the sky is evenly lit."})
    _notes_part(word, "endnotes", {1: "Dawn flats are needed only for the narrowband filters."})
    path = tmp_path / "flats.docx"
    word.save(str(path))
    # The notes were not read: what they say was in no passage.
    assert _texts(_one(path)) == ["Flats are taken at dusk and again at dawn.",
                                  "On a clear evening, when the sky is evenly lit.",
                                  "Dawn flats are needed only for the narrowband filters.",
                                  "Darks are taken with the shutter closed."]


def test_docx_a_paragraph_at_an_outline_level_is_a_heading_whatever_its_style_is_named(tmp_path: Path) -> None:
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import parse_xml

    word = docx.Document()
    # A résumé template's own heading style, Word's outline level in it; a style based on that one; and a
    # paragraph given its level directly, as Word writes a page pasted from the web (an <h3>).
    section = word.styles.add_style("Section Heading", WD_STYLE_TYPE.PARAGRAPH)
    section.element.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl {_W} w:val="0"/>'))
    word.styles.add_style("Section Heading Blue", WD_STYLE_TYPE.PARAGRAPH).base_style = section
    word.add_paragraph("Experience", style="Section Heading")
    word.add_paragraph("Night assistant at the Northern Sky Observatory, 2019 to 2024.")
    word.add_paragraph("Education", style="Section Heading Blue")
    word.add_paragraph("A degree in physics, 2018.")
    word.add_paragraph("Languages")._p.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl {_W} w:val="2"/>'))
    word.add_paragraph("English and Portuguese.")
    body = word.add_paragraph("Body text, at Word's level for it.")
    body._p.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl {_W} w:val="9"/>'))
    path = tmp_path / "resume.docx"
    word.save(str(path))
    doc = _one(path)
    # They were paragraphs like any other, and no section had a name.
    assert [(doc.text[p.start : p.end], p.section) for p in document_paragraphs(doc) if not p.heading] == [
        ("Night assistant at the Northern Sky Observatory, 2019 to 2024.", "Experience"),
        ("A degree in physics, 2018.", "Education"), ("English and Portuguese.", "Languages"),
        ("Body text, at Word's level for it.", "Languages")]


@pytest.mark.parametrize("level", ["9" * 5000, "\u00b2"])
def test_docx_an_outline_level_that_is_no_number_python_reads_is_body_text(tmp_path: Path, level: str) -> None:
    # "²" is a digit to str.isdigit, and 5,000 digits more than Python converts: either skipped the whole file,
    # "cannot be read (ValueError: ...)". Word reads such a level as body text.
    import docx
    from docx.oxml import parse_xml

    word = docx.Document()
    word.add_paragraph("Dome repairs")._p.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl {_W} w:val="{level}"/>'))
    word.add_paragraph("The harbour board met weekly to decide on repairs.")
    path = tmp_path / "levels.docx"
    word.save(str(path))
    doc = _one(path)
    assert [(doc.text[p.start : p.end], p.heading) for p in document_paragraphs(doc)] == [
        ("Dome repairs", False), ("The harbour board met weekly to decide on repairs.", False)]


def test_docx_a_damaged_footnotes_part_leaves_the_body_read(tmp_path: Path) -> None:
    import docx
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    word = docx.Document()
    word.add_paragraph("The body is whole.")
    kind = "footnotes"
    part = Part(PackURI(f"/word/{kind}.xml"), f"application/vnd.openxmlformats-officedocument.wordprocessingml.{kind}+xml",
                b"<w:footnotes xmlns:w='truncated", word.part.package)
    word.part.relate_to(part, f"http://schemas.openxmlformats.org/officeDocument/2006/relationships/{kind}")
    path = tmp_path / "cut.docx"
    word.save(str(path))
    warnings: list[str] = []
    (doc,) = load_file(CorpusFile(path, path.name), warnings.append)
    # The whole file was skipped for its footnotes.
    assert _texts(doc) == ["The body is whole."]
    assert [w.split(":")[:2] for w in warnings] == [["cut.docx", " footnotes left out"]], warnings


def _page(tmp_path: Path, name: str, main: str) -> Document:
    path = tmp_path / name
    path.write_text(f"<html><head><title>Handbook</title></head><body><nav><a href='/'>Home</a></nav>"
                    f"<main><article>{main}</article></main></body></html>", encoding="utf-8")
    return _one(path)


def test_html_lines_parted_by_br_do_not_run_together(tmp_path: Path) -> None:
    doc = _page(tmp_path, "contact.html", (
        "<h1>Support</h1><p>Write to the observatory office at the address below, and allow two weeks.</p>"
        "<p>Mount Hopkins Observatory<br>670 Mount Hopkins Road<br>Amado, Arizona 85645</p>"
        "<p>The table lists the ports of the camera and what each one is for.</p>"
        "<table><tr><th>Port</th><th>Use</th></tr><tr><td>USB 3<br>blue</td><td>Guiding camera<br>and focuser</td></tr>"
        "</table><p>A code block as Docusaurus writes it, a line at a time:</p>"
        "<pre><code><span class='token-line'>export HTTPS_PROXY=http://proxy:3128<br></span>"
        "<span class='token-line'>skyfetch sync<br></span></code></pre>"))
    texts = _texts(doc)
    assert "Mount Hopkins Observatory 670 Mount Hopkins Road Amado, Arizona 85645" in texts
    assert "USB 3 blue | Guiding camera and focuser" in texts
    assert "export HTTPS_PROXY=http://proxy:3128\nskyfetch sync" in texts  # a line of code each


def test_html_an_ordered_lists_items_keep_their_numbers(tmp_path: Path) -> None:
    doc = _page(tmp_path, "closing.html", (
        "<h1>Closing the dome</h1><p>Close the dome in this order when rain is forecast:</p>"
        "<ol><li>Park the mount.</li><li>Close the shutter.<ol type='a'><li>Wait for the limit switch.</li>"
        "<li>Check the seal.</li></ol></li><li><p>Switch the dome off.</p></li></ol>"  # a loose item: its text in a <p>
        "<p>Then, from step five, log the night:</p><ol start='5'><li>Note the time.</li><li value='8'>Sign the log."
        "</li><li>Lock the door.</li></ol>"
        # docutils (Sphinx) sets a list's style by its class; a reversed list counts down
        "<ol class='upperroman simple'><li>First night.</li><li>Second night.</li></ol>"
        "<ol reversed><li>Three left.</li><li></li><li>One left.</li></ol>"
        "<ul><li>Tell the night assistant.</li></ul>"))  # a bullet is no number
    # The numbers were lost: "Park the mount.", "Close the shutter.", ... and "Sign the log." was not step 8.
    assert _texts(doc) == [
        "Close the dome in this order when rain is forecast:", "1. Park the mount.", "2. Close the shutter.",
        "a. Wait for the limit switch.", "b. Check the seal.", "3. Switch the dome off.",
        "Then, from step five, log the night:", "5. Note the time.", "8. Sign the log.", "9. Lock the door.",
        "I. First night.", "II. Second night.", "3. Three left.", "1. One left.", "Tell the night assistant."]


def test_html_a_docusaurus_heading_link_is_not_in_the_section(tmp_path: Path) -> None:
    doc = _page(tmp_path, "config.html", (
        '<h1>Configuration</h1><p>Skyfetch reads its settings from skyfetch.toml in the project folder.</p>'
        '<h2 class="anchor anchorWithStickyNavbar" id="cache-size">Cache size<a href="#cache-size" class="hash-link" '
        'aria-label="Direct link to Cache size">&ZeroWidthSpace;</a></h2>'
        '<p>The cache keeps downloaded tiles for seven days unless cache_days says otherwise.</p>'))
    cache = next(p for p in document_paragraphs(doc) if not p.heading and doc.text[p.start:p.end].startswith("The cache"))
    assert (cache.section, cache.anchor) == ("Cache size", "cache-size")
    assert "\u200b" not in doc.text


def test_html_a_readme_as_github_shows_it_keeps_its_sections_and_anchors(tmp_path: Path) -> None:
    def heading(level: int, title: str) -> str:  # as GitHub renders a README heading since 2023
        slug = title.lower()
        return (f'<div class="markdown-heading" dir="auto"><h{level} tabindex="-1" class="heading-element" dir="auto">'
                f'{title}</h{level}><a id="user-content-{slug}" class="anchor" aria-label="Permalink: {title}" '
                f'href="#{slug}"><svg class="octicon octicon-link" viewBox="0 0 16 16"><path d="m7.7"></path></svg></a>'
                '</div>')

    path = tmp_path / "readme.html"
    path.write_text(
        '<html><head><title>GitHub - acme/skyfetch</title></head><body><header><a href="/login">Sign in</a></header>'
        '<article class="markdown-body entry-content container-lg" itemprop="text">'
        f'{heading(1, "Skyfetch")}<p dir="auto">Skyfetch downloads sky survey tiles and caches them on disk.</p>'
        f'{heading(2, "Installation")}<p dir="auto">Install it with pip on Python 3.10 or newer.</p>'
        '<div class="highlight highlight-source-shell" dir="auto"><pre>pip install skyfetch</pre></div>'
        f'{heading(2, "Usage")}<dl><dt>--tiles</dt><dd>The number of tiles fetched in parallel, four by default.</dd>'
        '<dt>--cache-dir</dt><dd>Where tiles are kept, ~/.cache/skyfetch unless set.</dd></dl>'
        '<p dir="auto">Tiles older than a week are fetched again on the next run.</p></article><footer><p>Terms</p></footer></body></html>', encoding="utf-8")
    doc = _one(path)
    found = {doc.text[p.start : p.end]: (p.section, p.anchor) for p in document_paragraphs(doc) if not p.heading}
    assert found == {
        "Skyfetch downloads sky survey tiles and caches them on disk.": ("Skyfetch", "skyfetch"),
        "Install it with pip on Python 3.10 or newer.": ("Installation", "installation"),
        "pip install skyfetch": ("Installation", "installation"),
        "--tiles: The number of tiles fetched in parallel, four by default.": ("Usage", "usage"),
        "--cache-dir: Where tiles are kept, ~/.cache/skyfetch unless set.": ("Usage", "usage"),
        "Tiles older than a week are fetched again on the next run.": ("Usage", "usage"),
    }


def _javadoc(member: str, signature: str, description: str, notes: str) -> str:
    return (f'<li>\n<section class="detail" id="{member}">\n<h3>{member.split("(")[0]}</h3>\n'
            f'<div class="member-signature">{signature}</div>\n<div class="block">{description}</div>\n'
            f'<dl class="notes">\n{notes}\n</dl>\n</section>\n</li>\n')


def _javadoc_page(tmp_path: Path) -> Document:
    """A class page as the JDK 17 javadoc writes it: a navigation bar, the class header, its members' details."""
    object_link = ('<a href="https://docs.oracle.com/en/java/javase/17/docs/api/java.base/java/lang/Object.html" '
                   'title="class or interface in java.lang" class="external-link">Object</a>')
    path = tmp_path / "TileCache.html"
    path.write_text(
        '<!DOCTYPE HTML>\n<html lang="en">\n<head>\n<title>TileCache (skyfetch 2.1 API)</title>\n'
        '<meta name="generator" content="javadoc/ClassWriterImpl">\n</head>\n<body class="class-declaration-page">\n'
        '<div class="flex-box">\n<header role="banner" class="flex-header">\n<nav role="navigation">\n'
        '<div class="top-nav" id="navbar-top">\n<ul id="navbar-top-firstrow" class="nav-list" title="Navigation">\n'
        '<li><a href="../../../index.html">Overview</a></li>\n<li><a href="package-summary.html">Package</a></li>\n'
        '<li class="nav-bar-cell1-rev">Class</li>\n<li><a href="../../../index-all.html">Index</a></li>\n</ul>\n</div>\n'
        '</nav>\n</header>\n<div class="flex-content">\n<main role="main">\n<div class="header">\n'
        '<div class="sub-title"><span class="package-label-in-type">Package</span>&nbsp;'
        '<a href="package-summary.html">org.acme.skyfetch</a></div>\n'
        '<h1 title="Class TileCache" class="title">Class TileCache</h1>\n</div>\n'
        '<section class="class-description" id="class-description">\n<hr>\n'
        '<div class="type-signature"><span class="modifiers">public final class </span>'
        f'<span class="element-name type-name-label">TileCache</span>\n<span class="extends-implements">extends '
        f'{object_link}</span></div>\n<div class="block">A cache of downloaded sky survey tiles on the local disk. '
        'Tiles older than the expiry age are fetched again on the next request.</div>\n</section>\n'
        '<section class="details">\n<ul class="details-list">\n<li>\n<section class="method-details" id="method-detail">\n'
        '<h2>Method Details</h2>\n<ul class="member-list">\n'
        + _javadoc("evict(java.time.Duration)", '<span class="modifiers">public</span>&nbsp;<span class="return-type">'
                   'void</span>&nbsp;<span class="element-name">evict</span><wbr><span class="parameters">(Duration&nbsp;age)'
                   '</span>', "Removes every tile older than the given age. Tiles that a running download holds are "
                   "kept until it ends.", "<dt>Parameters:</dt>\n<dd><code>age</code> - the oldest a tile may be and "
                   "stay in the cache</dd>")
        + _javadoc("size()", '<span class="modifiers">public</span>&nbsp;<span class="return-type">long</span>&nbsp;'
                   '<span class="element-name">size</span>()', "Returns the bytes the cache holds on disk, counted when "
                   "the cache opened and kept up to date since.", "<dt>Returns:</dt>\n<dd>the size in bytes</dd>")
        + '</ul>\n</section>\n</li>\n</ul>\n</section>\n</main>\n<footer role="contentinfo">\n<hr>\n'
        '<p class="legal-copy"><small>Copyright &#169; 2024 Acme. All rights reserved.</small></p>\n</footer>\n'
        '</div>\n</div>\n</body>\n</html>\n', encoding="utf-8")
    return _one(path)


def test_html_a_javadoc_members_description_is_read(tmp_path: Path) -> None:
    doc = _javadoc_page(tmp_path)
    found = {doc.text[p.start : p.end]: (p.section, p.anchor) for p in document_paragraphs(doc) if not p.heading}
    # trafilatura leaves each description as the tail of its member's heading, beside the list of notes; the
    # signature is a paragraph of its own (it ran into the description: "public long size()Returns the bytes ...")
    evict = ("Removes every tile older than the given age. Tiles that a running download holds are kept until it "
             "ends.")
    size = "Returns the bytes the cache holds on disk, counted when the cache opened and kept up to date since."
    assert found[evict] == found["public void evict(Duration age)"] == ("evict", "evict(java.time.Duration)")
    assert found[size] == found["public long size()"] == ("size", "size()")
    assert found["Returns: the size in bytes"] == ("size", "size()")
    assert found["Parameters: age - the oldest a tile may be and stay in the cache"] == ("evict", "evict(java.time.Duration)")


def test_html_the_whitespace_between_blocks_is_no_paragraph(tmp_path: Path) -> None:
    # Each line break between the blocks of javadoc's header was wrapped in an empty <p>, and trafilatura then
    # dropped the header: the class's name, its heading, was lost, and its description had no section.
    doc = _javadoc_page(tmp_path)
    paragraphs = [(doc.text[p.start : p.end], p.heading, p.section) for p in document_paragraphs(doc)][:3]
    assert paragraphs == [
        ("Package org.acme.skyfetch", False, None),
        ("Class TileCache", True, "Class TileCache"),
        (("A cache of downloaded sky survey tiles on the local disk. Tiles older than the expiry age are fetched again "
          "on the next request."), False, "Class TileCache")]


def _material(tmp_path: Path, name: str, article: str) -> Document:
    """A page as MkDocs Material writes it: header, tabs, navigation and table of contents around the article."""
    path = tmp_path / name
    path.write_text(
        '<!doctype html>\n<html lang="en" class="no-js">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="generator" content="mkdocs-1.6.0, mkdocs-material-9.5.27">\n<title>Installation - Skyfetch</title>\n'
        '</head>\n<body dir="ltr">\n<header class="md-header" data-md-component="header">\n'
        '<nav class="md-header__inner md-grid" aria-label="Header">\n<div class="md-header__title"><span '
        'class="md-ellipsis">Skyfetch</span></div>\n</nav>\n</header>\n<div class="md-container">\n'
        '<nav class="md-tabs" aria-label="Tabs"><ul class="md-tabs__list"><li class="md-tabs__item"><a href=".." '
        'class="md-tabs__link">Home</a></li><li class="md-tabs__item"><a href="../config/" class="md-tabs__link">'
        'Configuration</a></li></ul></nav>\n<main class="md-main">\n<div class="md-main__inner md-grid">\n'
        '<div class="md-sidebar md-sidebar--secondary"><nav class="md-nav md-nav--secondary" aria-label="Table of '
        'contents"><label class="md-nav__title" for="__toc">Table of contents</label><ul class="md-nav__list">'
        '<li class="md-nav__item"><a href="#requirements" class="md-nav__link">Requirements</a></li></ul></nav></div>\n'
        '<div class="md-content" data-md-component="content">\n<article class="md-content__inner md-typeset">\n'
        '<a href="https://github.com/acme/skyfetch/edit/main/docs/install.md" title="Edit this page" '
        'class="md-content__button md-icon"><svg viewBox="0 0 24 24"><path d="M10 20H6V4h7v5h5v3.1l2-2V8l-6-6"/></svg></a>\n'
        '<h1 id="installing-skyfetch">Installing skyfetch<a class="headerlink" href="#installing-skyfetch" '
        f'title="Permanent link">&para;</a></h1>\n{article}\n</article>\n</div>\n</div>\n</main>\n'
        '<footer class="md-footer"><nav class="md-footer__inner md-grid" aria-label="Footer"><a href=".." '
        'class="md-footer__link md-footer__link--prev" aria-label="Previous: Home"><div class="md-footer__title">'
        '<span class="md-footer__direction">Previous</span><div class="md-ellipsis">Home</div></div></a></nav>'
        '</footer>\n</div>\n</body>\n</html>\n', encoding="utf-8")
    return _one(path)


def _anchored(block: int, *lines: str) -> str:
    """A code block as Material writes it with ``anchor_linenums`` and ``line_spans`` (its recommended setup)."""
    spans = "".join(f'<span id="__span-{block}-{n}"><a id="__codelineno-{block}-{n}" name="__codelineno-{block}-{n}" '
                    f'href="#__codelineno-{block}-{n}"></a>{line}\n</span>' for n, line in enumerate(lines, start=1))
    return f'<div class="language-bash highlight"><pre><span></span><code>{spans}</code></pre></div>'


def test_html_a_material_code_block_with_line_anchors_is_kept(tmp_path: Path) -> None:
    doc = _material(tmp_path, "install.html", (
        "<p>Skyfetch runs on Linux, macOS and Windows and needs no compiler.</p>\n"
        '<h2 id="requirements">Requirements<a class="headerlink" href="#requirements" title="Permanent link">&para;</a>'
        "</h2>\n<p>Skyfetch needs Python 3.10 or newer and about 200 MB of free disk space for its tile cache.</p>\n"
        "<p>Install it from PyPI:</p>\n"
        + _anchored(0, 'pip<span class="w"> </span>install<span class="w"> </span>skyfetch')
        + "\n<p>Then check that it found its configuration:</p>\n"
        + _anchored(1, 'skyfetch<span class="w"> </span>--version', 'skyfetch<span class="w"> </span>doctor')))
    texts = _texts(doc)
    assert texts[-4:] == ["Install it from PyPI:", "pip install skyfetch", "Then check that it found its configuration:",
                          "skyfetch --version\nskyfetch doctor"], texts


def test_html_a_short_page_with_a_titled_code_block_is_read_by_its_blocks(tmp_path: Path) -> None:
    # Under trafilatura's 250 characters, the page was read as its baseline, the whole page's text in one paragraph:
    # the header, tabs and table of contents, then "Install it: terminal pip install skyfetch", the code block's
    # title run into its code.
    titled = _anchored(0, 'pip<span class="w"> </span>install<span class="w"> </span>skyfetch').replace(
        "<pre>", '<span class="filename">terminal</span><pre>')
    doc = _material(tmp_path, "install.html", f"<p>Install it:</p>\n{titled}")
    assert [(doc.text[p.start : p.end], p.heading) for p in document_paragraphs(doc)] == [
        ("Installing skyfetch", True), ("Install it:", False), ("terminal", False), ("pip install skyfetch", False)]


def test_html_line_numbers_are_not_read_into_the_code(tmp_path: Path) -> None:
    table = ('<div class="language-bash highlight"><table class="highlighttable"><tr><th colspan="2" class="filename">'
             '<span class="filename">terminal</span></th></tr><tr><td class="linenos"><div class="linenodiv"><pre><span>'
             '</span><span class="normal"><a href="#__codelineno-0-1">1</a></span>\n<span class="normal">'
             '<a href="#__codelineno-0-2">2</a></span></pre></div></td><td class="code"><div><pre><span></span><code>'
             'skyfetch<span class="w"> </span>--version\nskyfetch<span class="w"> </span>doctor\n</code></pre></div></td>'
             '</tr></table></div>')
    doc = _material(tmp_path, "install.html", (
        "<p>Skyfetch runs on Linux, macOS and Windows and needs no compiler.</p>\n"
        f"<p>Check that it found its configuration:</p>\n{table}\n"))
    assert _texts(doc)[-2:] == ["terminal", "skyfetch --version\nskyfetch doctor"]
    # Sphinx's inline line numbers (html_codeblock_linenos_style = "inline", its default)
    doc = _page(tmp_path, "api.html", (
        "<h1>Quick start</h1><p>Import the package and synchronise the tiles of your survey:</p>"
        '<div class="highlight-python notranslate"><div class="highlight"><pre><span></span><span class="linenos">1</span>'
        '<span class="kn">import</span> <span class="nn">skyfetch</span>\n<span class="linenos">2</span>'
        '<span class="n">skyfetch</span><span class="o">.</span><span class="n">sync</span><span class="p">()</span>\n'
        "</pre></div></div>"))
    assert _texts(doc)[-1] == "import skyfetch\nskyfetch.sync()"


def test_html_a_details_summary_is_no_section(tmp_path: Path) -> None:
    # As Material writes a collapsible admonition (??? note), and as a README folds a long part away.
    doc = _material(tmp_path, "install.html", (
        '<h2 id="requirements">Requirements<a class="headerlink" href="#requirements" title="Permanent link">&para;</a>'
        "</h2>\n<p>Skyfetch needs Python 3.10 or newer and about 200 MB of free disk space for its tile cache.</p>\n"
        '<details class="note">\n<summary>Installing behind a proxy</summary>\n<p>Set HTTPS_PROXY before running pip, '
        "or pip cannot reach the package index.</p>\n</details>\n"
        "<p>On Windows, the cache lives in the local application data folder.</p>\n"))
    found = {doc.text[p.start : p.end]: (p.heading, p.section) for p in document_paragraphs(doc)}
    assert found["On Windows, the cache lives in the local application data folder."] == (False, "Requirements")
    assert found["Installing behind a proxy"] == (False, "Requirements")
    # rustdoc folds an item's documentation under a summary it hides ("Expand description"): no text, no section
    doc = _page(tmp_path, "keyword.match.html", (
        '<h1 class="fqn">Keyword match</h1><details class="rustdoc-toggle top-doc" open><summary class="hideme">'
        '<span>Expand description</span></summary><div class="docblock"><p>Control flow based on pattern matching.</p>'
        "<p>match can be used to run code conditionally.</p></div></details>"))
    assert "Expand description" not in doc.text
    assert all(p.section != "Expand description" for p in document_paragraphs(doc))


def test_html_an_icon_font_permalink_is_not_in_the_section(tmp_path: Path) -> None:
    # MkDocs' own theme (mkdocs and readthedocs) writes its permalink as Font Awesome's link glyph, U+F0C1.
    doc = _page(tmp_path, "writing.html", (
        '<h1 id="writing-your-docs">Writing your docs</h1><p>How to lay out and write your Markdown source files.</p>'
        '<h3 id="tables">Tables<a class="headerlink" href="#tables" title="Permanent link">&#xf0c1;</a></h3>'
        "<p>A table must be surrounded by blank lines, one before it and one after.</p>"))
    tables = next(p for p in document_paragraphs(doc) if doc.text[p.start : p.end].startswith("A table"))
    assert (tables.section, tables.anchor) == ("Tables", "tables")
    assert "\uf0c1" not in doc.text


def test_html_the_text_of_a_figure_is_read(tmp_path: Path) -> None:
    doc = _page(tmp_path, "polar.html", (
        "<h1>Polar alignment</h1><p>Align the mount on Polaris before every session, then run:</p>"
        # Jekyll's {% highlight %} and kramdown's fenced code, as its Rouge highlighter writes them
        "<figure class='highlight'><pre><code class='language-bash' data-lang='bash'>phd2 "
        "<span class='nt'>--polar-align</span></code></pre></figure>"
        # a Notion callout
        "<figure class='block-color-gray_background callout' id='a2'><div><span class='icon'>!</span></div>"
        "<div><p id='a3'>Cool the camera to minus ten degrees before calibrating.</p></div></figure>"
        "<figure><img src='drift.png' alt='Drift plot'><figcaption>Figure 1: Declination drift after alignment."
        "</figcaption></figure><p>Repeat the alignment after moving the tripod.</p>"
        # long enough that trafilatura does not fall back to reading the page as one paragraph
        + "".join(f"<p>Step {n} of the drift method: watch a star near the meridian for five minutes and turn the "
                  "azimuth knob against its drift in declination.</p>" for n in range(4))))
    texts = _texts(doc)
    assert "phd2 --polar-align" in texts
    assert "Cool the camera to minus ten degrees before calibrating." in texts
    assert "Figure 1: Declination drift after alignment." in texts
    assert "Drift plot" not in doc.text  # an image is still no text


def test_html_many_nested_captions_or_hidden_elements_are_found_in_linear_time() -> None:
    """libxml2 finds ``//*[...]`` matches that nest (a Sphinx sidebar's ``<p class="caption"><span
    class="caption-text">``) in a time that grows with the square of their number: a 2 MB page of 25,000 such
    captions spent 18 s in one step that checks no time limit, and under load read for 44 s, past the reader's
    30 s. Each step that looks for marked elements takes a time that grows with the page."""
    import time

    import trafilatura

    from qabot.corpus import html_generators, html_prepare

    rows = ("<p class='caption' hidden><span class='caption-text' hidden>Reference</span></p>"
            "<div class='expand-container'><div class='expand-container'>Steps</div></div>"
            "<span class='viewcode-link'><span class='viewcode-link'>[source]</span></span><template>x</template>"
            "<blockquote><blockquote><footer><footer>Ana</footer></footer></blockquote></blockquote>"
            "<address><address>Paris</address></address>"
            "<div id='main-content'><div id='main-content'><a>Read more</a></div></div>") * 16_000
    page = f"<html><head><meta name='generator' content='rustdoc'></head><body><main>{rows}</main></body></html>"
    tree = trafilatura.load_html(page.encode())
    started = time.monotonic()
    html_prepare.captions_kept(tree)
    html_prepare.drop_hidden(tree)
    html_prepare.kept_as_text(tree)
    html_generators.prepare(tree)
    assert time.monotonic() - started < 6  # about 1 s here, 2 s under load; 18 s when it grew with the square
    assert not tree.xpath("//*[@hidden] | //*[contains(@class, 'caption')] | //*[contains(@class, 'viewcode')]")
    assert not tree.xpath("//template | //footer | //address") and len(tree.xpath("//p")) == 4 * 16_000  # made text


def test_html_a_short_post_keeps_its_paragraphs_and_headings(tmp_path: Path) -> None:
    # A Jekyll post as its default theme (minima) writes it: a few paragraphs, under trafilatura's 250 characters.
    path = tmp_path / "closing-the-dome.html"
    path.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Closing the dome in a hurry | Skyfield'
        '</title></head><body><header class="site-header"><div class="wrapper"><a class="site-title" href="/">Skyfield'
        '</a><nav class="site-nav"><a class="page-link" href="/about/">About</a></nav></div></header>'
        '<main class="page-content" aria-label="Content"><div class="wrapper"><article class="post h-entry" itemscope '
        'itemtype="http://schema.org/BlogPosting"><header class="post-header"><h1 class="post-title p-name" '
        'itemprop="name headline">Closing the dome in a hurry</h1><p class="post-meta"><time class="dt-published" '
        'datetime="2024-05-01T18:00:00+00:00" itemprop="datePublished">May 1, 2024</time></p></header>'
        '<div class="post-content e-content" itemprop="articleBody">'
        "<p>When rain is forecast, close the dome before anything else.</p>"
        '<h2 id="the-short-way">The short way</h2><p>Run domectl close with the wait flag, then check the status.</p>'
        '<h2 id="if-it-sticks">If it sticks</h2><p>Cut the motor power at the red switch and crank it by hand.</p>'
        '</div></article></div></main><footer class="site-footer"><p>Written by the night crew.</p></footer>'
        "</body></html>", encoding="utf-8")
    doc = _one(path)
    assert [(doc.text[p.start : p.end], p.heading, p.section, p.anchor) for p in document_paragraphs(doc)] == [
        ("Closing the dome in a hurry", True, "Closing the dome in a hurry", None),
        ("When rain is forecast, close the dome before anything else.", False, "Closing the dome in a hurry", None),
        ("The short way", True, "The short way", "the-short-way"),
        ("Run domectl close with the wait flag, then check the status.", False, "The short way", "the-short-way"),
        ("If it sticks", True, "If it sticks", "if-it-sticks"),
        ("Cut the motor power at the red switch and crank it by hand.", False, "If it sticks", "if-it-sticks")]


def test_html_a_code_block_keeps_its_lines(tmp_path: Path) -> None:
    doc = _page(tmp_path, "closing.html", (
        "<h1>Closing the dome</h1><p>Close the dome with the wait flag, then check its status:</p>"
        "<pre><code>domectl close --wait\ndomectl status\n</code></pre>"
        # Pygments' <div class="highlight"><pre>, as Sphinx and Jekyll write it; an indented block, a blank line
        '<div class="highlight"><pre><span></span>    <span class="k">def</span> <span class="nf">close</span>():\n'
        '        <span class="n">dome</span><span class="o">.</span>shut()\n\n        <span class="n">dome</span>'
        '<span class="o">.</span>lock()\n</pre></div>'
        "<p>Each line of the log is a reading:</p><pre>18:02  humidity 86%\n18:03  closing</pre>"
        "<p>Write to the office<br>at the observatory.</p>"))
    texts = _texts(doc)
    assert texts[1:4] == ["domectl close --wait\ndomectl status", "def close():\n    dome.shut()\n    dome.lock()",
                          "Each line of the log is a reading:"]
    assert texts[4:] == ["18:02  humidity 86%\n18:03  closing", "Write to the office at the observatory."]
