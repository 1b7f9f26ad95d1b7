"""Words in, words out: text a reader lost, or read where nobody sees it, without a word said (docs/formats.md).

Each test writes a small file as the tool that makes such documents writes it (WordPress,
Sphinx, Confluence, an old page laid out in a table, Word's breaks, fields, equations and
hidden text) and checks the paragraphs read from it.
"""

from __future__ import annotations

from pathlib import Path

from tests.documents import only_document, paragraph_texts

_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_M = 'xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math"'
_DUSK = "The observatory opens its dome at dusk when the humidity sensor reads below eighty percent for ten minutes."
_HOMED = "Before the session the mount is homed, the camera cooled to minus ten degrees, and the focuser calibrated."


def _html(tmp_path: Path, body: str) -> list[tuple[bool, str]]:
    from qabot.corpus import document_paragraphs

    path = tmp_path / "page.html"
    path.write_text(f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Skyfetch</title></head>"
                    f"<body><header class='site-header'><a href='/'>Skyfetch</a><nav><ul><li><a href='/'>Home</a>"
                    f"</li><li><a href='/about'>About</a></li></ul></nav></header>{body}<footer class='site-footer'>"
                    f"<p>© 2024 Skyfetch. All rights reserved.</p></footer></body></html>", encoding="utf-8")
    doc = only_document(path)
    return [(p.heading, doc.text[p.start : p.end]) for p in document_paragraphs(doc)]


def test_html_the_captions_of_wordpress_and_sphinx_figures_and_tables_are_read(tmp_path: Path) -> None:
    # trafilatura, with images left out, deletes every block whose class says "caption", with its text.
    read = _html(tmp_path, (
        f"<main><article><h1>Fig</h1><p>{_DUSK}</p>"
        "<figure class='wp-block-image size-large'><img src='a.png' alt='x'>"
        "<figcaption class='wp-element-caption'>The dome at dusk, facing west.</figcaption></figure>"
        "<figure class='align-default' id='id1'><img alt='dome' src='dome.png'/>"
        "<figcaption><p><span class='caption-text'>The guider's field at first light.</span></p></figcaption></figure>"
        "<table class='docutils align-default'><caption><span class='caption-text'>Exposure limits per filter</span>"
        f"</caption><tr><th>Filter</th><th>Max</th></tr><tr><td>Red</td><td>300 s</td></tr></table><p>{_HOMED}</p>"
        "</article></main>"))
    captions = {"The dome at dusk, facing west.", "The guider's field at first light.", "Exposure limits per filter"}
    assert captions <= {text for _, text in read}, read


def test_html_a_word_with_soft_hyphens_is_one_word(tmp_path: Path) -> None:
    # German and French sites hyphenate for the browser (&shy;): each word was read, and indexed, in pieces.
    read = _html(tmp_path, "<main><article><h1>Wein</h1><p>Schon im Mit&shy;tel&shy;al&shy;ter war der St. Mag&shy;"
                           f"da&shy;le&shy;ner das Aus&shy;hän&shy;ge&shy;schild der Wein&shy;wirt&shy;schaft.</p>"
                           f"<p>{_DUSK}</p></article></main>")
    assert (False, "Schon im Mittelalter war der St. Magdalener das Aushängeschild der Weinwirtschaft.") in read, read


def test_html_a_posts_title_beside_its_date_and_author_heads_the_post(tmp_path: Path) -> None:
    # A WordPress post: the title's <h1> and the date and author line share the entry's <header>; trafilatura
    # drops both, and the title was put back only before the line it dropped, so nowhere.
    read = _html(tmp_path, (
        "<main id='main' class='site-main'><article class='post type-post'><header class='entry-header'>"
        "<h1 class='entry-title'>Night routine</h1><div class='entry-meta'><span class='posted-on'>Posted on "
        "<time datetime='2024-03-01'>March 1, 2024</time></span><span class='byline'> by <a href='/author/ada/'>Ada"
        f"</a></span></div></header><div class='entry-content'><p>{_DUSK}</p>"
        f"<h2 class='wp-block-heading'>Before the session</h2><p>{_HOMED}</p></div></article></main>"))
    assert read[:4] == [(True, "Night routine"), (False, _DUSK), (True, "Before the session"), (False, _HOMED)], read


def test_html_a_page_laid_out_in_a_table_reads_as_its_headings_and_paragraphs(tmp_path: Path) -> None:
    # An old page lays its links and its content side by side in a table: read as a table, the whole page was one
    # row, one paragraph ("Home Links | Old school page The observatory ..."), its headings lost.
    more = " ".join(f"On night {n} the dome stayed shut for the wind, and the log says so in a line of its own."
                    for n in range(1, 7))
    read = _html(tmp_path, (
        "<table width='100%'><tr><td width='20%'><a href='/'>Home</a><br><a href='/links'>Links</a></td><td>"
        f"<h1>Old school page</h1><p>{_DUSK}</p><h2>Nights</h2><p>{more}</p><p>{_HOMED}</p></td></tr></table>"))
    assert [(True, "Old school page"), (False, _DUSK), (True, "Nights"), (False, more), (False, _HOMED)] == [
        item for item in read if "Home" not in item[1]], read


def test_html_a_settings_table_with_headings_in_its_cells_is_still_a_table(tmp_path: Path) -> None:
    rows = "".join(f"<tr><td><h4>{name}</h4><p>{what}</p></td><td>{values}</td></tr>" for name, what, values in (
        ("Game speed", "Set the speed of the game.", "Slow Normal Fast"),
        ("Ball", "Choose the match ball.", "Default Random"),
        ("Half length", "Minutes in each half.", "4 5 6 10")))
    read = _html(tmp_path, f"<main><article><h1>Settings</h1><p>{_DUSK}</p><table><tr><th>Option</th><th>Value</th>"
                           f"</tr>{rows}</table></article></main>")
    assert (False, "Game speed Set the speed of the game. | Slow Normal Fast") in read, read


def test_html_the_text_of_a_confluence_expand_block_is_read(tmp_path: Path) -> None:
    # trafilatura deletes a block whose class says "expand" (Confluence's folded block), with its text.
    read = _html(tmp_path, (
        f"<main><article><h1>Runbook</h1><p>{_DUSK}</p><div id='expander-1' class='expand-container'>"
        "<div class='expand-control'><span class='expand-control-icon'></span><span class='expand-control-text'>"
        "Click here to see the restart steps</span></div><div class='expand-content'><p>Stop the daemon, wait ten "
        f"seconds, then start it again and check the log.</p></div></div><p>{_HOMED}</p></article></main>"))
    assert (False, "Stop the daemon, wait ten seconds, then start it again and check the log.") in read, read


def test_html_what_a_browser_never_shows_is_not_read(tmp_path: Path) -> None:
    read = _html(tmp_path, (
        f"<main><article><h1>Dome</h1><p>{_DUSK}</p><template><p>Row markup a script copies in.</p></template>"
        "<p hidden>A sticky header's copy of the title.</p><p hidden='until-found'>Found by the reader's search.</p>"
        f"<p>{_HOMED}</p></article></main>"))
    texts = [text for _, text in read]
    assert "Found by the reader's search." in texts and not [t for t in texts if "copy" in t], texts


def test_html_the_tabs_a_page_does_not_show_first_are_read(tmp_path: Path) -> None:
    # Docusaurus' <TabItem> and sphinx-tabs write every tab's panel, each but the one shown first with the `hidden`
    # attribute, which a click on its tab takes off: read as never shown, the conda and Homebrew steps were lost.
    read = _html(tmp_path, (
        f"<main><article><h1>Install</h1><p>{_DUSK}</p><div class='tabs-container'><ul role='tablist' class='tabs'>"
        "<li role='tab' aria-selected='true'>pip</li><li role='tab' aria-selected='false'>conda</li></ul>"
        "<div class='margin-top--md'><div role='tabpanel' class='tabItem_Ymn6'><p>With pip, the package comes from "
        "the Python Package Index.</p></div><div role='tabpanel' class='tabItem_Ymn6' hidden=''><p>With conda, "
        "install from the conda-forge channel, which ships the CFITSIO library.</p></div></div></div>"
        "<div class='sphinx-tabs'><div aria-labelledby='tab-0-0-1' class='sphinx-tabs-panel' hidden='true' "
        "role='tabpanel'><p>On macOS, Homebrew installs skyfetch with its own Python.</p></div></div>"
        f"<p>{_HOMED}</p></article></main>"))
    texts = [text for _, text in read]
    assert {"With conda, install from the conda-forge channel, which ships the CFITSIO library.",
            "On macOS, Homebrew installs skyfetch with its own Python."} <= set(texts), texts


def test_html_an_address_a_quotes_attribution_and_mathml_are_read(tmp_path: Path) -> None:
    # trafilatura deletes <address>, a quotation's <footer> and <math>, with their text.
    read = _html(tmp_path, (
        f"<main><article><h1>Visit</h1><p>{_DUSK}</p><address>Hill Road Observatory, 12 Hill Road, Lowtown.</address>"
        "<blockquote><p>The best night out in years.</p><footer>— Maria Lopez, visitor</footer></blockquote>"
        "<p>The focal ratio is</p><math display='block' alttext='N = f / D'><mi>N</mi><mo>=</mo><mi>f</mi></math>"
        "<p>and the plate scale <math><semantics><mrow><mi>s</mi></mrow><annotation encoding='application/x-tex'>"
        "s = 206265 / f</annotation></semantics></math> arcseconds per millimetre, for a field of <math><mi>w</mi>"
        f"<mo>×</mo><mi>h</mi></math>.</p><p>{_HOMED}</p></article></main>"))
    texts = [text for _, text in read]
    assert {"Hill Road Observatory, 12 Hill Road, Lowtown.", "— Maria Lopez, visitor", "N = f / D",
            "and the plate scale s = 206265 / f arcseconds per millimetre, for a field of w × h."} <= set(texts), texts


def _docx(tmp_path: Path, *paragraphs: str) -> list[str]:
    import docx
    from docx.oxml import parse_xml

    word = docx.Document()
    for paragraph in paragraphs:
        word.element.body.sectPr.addprevious(parse_xml(f"<w:p {_W} {_M}>{paragraph}</w:p>"))
    path = tmp_path / "notes.docx"
    word.save(str(path))
    return paragraph_texts(only_document(path))


def _run(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def _field(code: str, result: str) -> str:
    return (f'<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve">{code}'
            f'</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>{result}'
            f'<w:r><w:fldChar w:fldCharType="end"/></w:r>')


def test_docx_a_page_or_column_break_parts_the_words_on_either_side(tmp_path: Path) -> None:
    # python-docx reads a page or column break as nothing: "chapter.Next", "wordsOpening".
    page = '<w:r><w:br w:type="page"/><w:t>Next chapter.</w:t></w:r>'
    texts = _docx(tmp_path, _run("The end of the chapter.") + page,
                  _run("Left column") + '<w:r><w:br w:type="column"/></w:r>' + _run("right column"))
    assert texts == ["The end of the chapter. Next chapter.", "Left column right column"], texts


def test_docx_a_field_shows_its_result_not_the_result_of_a_field_in_its_code(tmp_path: Path) -> None:
    # { IF { PAGE } = 3 "three" "other" } shows "three"; the PAGE field's cached "3" was read with it: "3three".
    inner = _field(" PAGE ", _run("3"))
    outer = ('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> IF </w:instrText></w:r>' + inner
             + '<w:r><w:instrText xml:space="preserve"> = 3 "three" "other" </w:instrText></w:r>'
             + '<w:r><w:fldChar w:fldCharType="separate"/></w:r>' + _run("three")
             + '<w:r><w:fldChar w:fldCharType="end"/></w:r>')
    # A damaged file's field that never ends takes nothing after it along.
    broken = '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r>'
    texts = _docx(tmp_path, _run("Page ") + outer + _run(" ends."), broken + _run("The dome opens at dusk."))
    assert texts == ["Page three ends.", "The dome opens at dusk."], texts


def test_docx_an_equation_is_read_as_its_text(tmp_path: Path) -> None:
    # An equation (Word's, pandoc's m:oMath) is neither a run nor a wrapper of runs: it was left out whole.
    math = ("<m:oMath><m:r><m:t>E=m</m:t></m:r><m:sSup><m:e><m:r><m:t>c</m:t></m:r></m:e><m:sup><m:r><m:t>2</m:t>"
            "</m:r></m:sup></m:sSup></m:oMath>")
    assert _docx(tmp_path, _run("The energy is ") + math + _run(" at rest.")) == ["The energy is E=mc2 at rest."]


def test_docx_hidden_text_is_not_read(tmp_path: Path) -> None:
    # Word's hidden text (a worksheet's answers, an author's note) was read, and could be quoted.
    hidden = '<w:r><w:rPr><w:vanish/></w:rPr><w:t xml:space="preserve">The answer is forty-two. </w:t></w:r>'
    shown = '<w:r><w:rPr><w:vanish w:val="0"/></w:rPr><w:t xml:space="preserve">Show your working.</w:t></w:r>'
    assert _docx(tmp_path, _run("Question one. ") + hidden + shown) == ["Question one. Show your working."]


_MHT = (  # as html-docx-js writes a whole document: a web archive that Word converts when it opens the file
    'MIME-Version: 1.0\r\nContent-Type: multipart/related;\r\n    type="text/html";\r\n'
    '    boundary="----=mhtDocumentPart"\r\n\r\n\r\n------=mhtDocumentPart\r\nContent-Type: text/html;\r\n'
    '    charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n'
    'Content-Location: file:///C:/fake/document.html\r\n\r\n'
    "<!DOCTYPE html><html><head><meta charset=3D\"utf-8\"><title>Night log</title></head><body>"
    "<h1>Night log</h1><p>The dome opened at dusk, once the humidity sensor had read below eighty perc=\r\n"
    "ent for ten minutes.</p><h2>Close</h2><p>It closed at dawn, and the frames were copied to the archive.</p>"
    "</body></html>\r\n\r\n------=mhtDocumentPart--\r\n")


def test_docx_a_document_imported_whole_as_a_web_archive_is_read(tmp_path: Path) -> None:
    import zipfile

    import docx

    from qabot.corpus import document_paragraphs

    # The body is one w:altChunk pointing at the archive: python-docx reads nothing of it, and the file was
    # skipped as having no text.
    plain = tmp_path / "plain.docx"
    docx.Document().save(str(plain))
    path = tmp_path / "night-log.docx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"<w:body>", b'<w:body><w:altChunk r:id="htmlChunk"/>', 1)
            elif item.filename == "word/_rels/document.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="htmlChunk" Type="http://schemas.'
                                    b'openxmlformats.org/officeDocument/2006/relationships/aFChunk" '
                                    b'Target="/word/afchunk.mht"/></Relationships>')
            elif item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/word/afchunk.mht" '
                                    b'ContentType="message/rfc822"/></Types>')
            target.writestr(item, data)
        target.writestr("word/afchunk.mht", _MHT)
    doc = only_document(path)
    assert [(p.heading, doc.text[p.start : p.end]) for p in document_paragraphs(doc)] == [
        (True, "Night log"),
        (False, "The dome opened at dusk, once the humidity sensor had read below eighty percent for ten minutes."),
        (True, "Close"), (False, "It closed at dawn, and the frames were copied to the archive.")]


def test_docx_a_symbol_inserted_from_the_symbol_font_is_read_as_the_character_it_shows(tmp_path: Path) -> None:
    # Insert > Symbol writes w:sym (font and code), which python-docx reads as nothing: "p <  0.05, = 0.01".
    def sym(font: str, char: str) -> str:
        return f'<w:r><w:sym w:font="{font}" w:char="{char}"/></w:r>'

    texts = _docx(tmp_path, _run("The error was ") + sym("Symbol", "F0B1") + _run(" 2 ") + sym("Symbol", "F0B0")
                  + _run("C at ") + sym("Symbol", "F061") + _run(" = 0.01") + sym("Wingdings", "F0E0")
                  + sym("Symbol", "ZZZ") + sym("Times New Roman", "2013") + _run(" near enough."))
    assert texts == ["The error was ± 2 °C at α = 0.01– near enough."], texts


def test_an_exported_bots_card_is_read_with_its_fields_author_and_footer(tmp_path: Path) -> None:
    from qabot.corpus import document_paragraphs
    from tests import documents

    # DiscordChatExporter writes an embed's fields, author and footer; only its title and description were read, and
    # a card with neither (a help command's list) was no message at all.
    card = documents.message("2002", "HelpBot", "", documents._at(1))
    card["author"]["isBot"] = True
    card["embeds"] = [{"title": "", "description": "", "author": {"name": "Dome status"},
                       "footer": {"text": "Updated hourly"}, "fields": [
                           {"name": "Spare dome key", "value": "hangs in the staff safe", "isInline": False},
                           {"name": "Night lamp", "value": "", "isInline": True}]}]
    chat = [documents.message("2001", "Ana", "where is the spare dome key kept?", documents._at(0)), card]
    path = documents.write_export(tmp_path / "help.json", chat)
    texts = [doc.text[p.start : p.end] for doc in only_documents(path) for p in document_paragraphs(doc)]
    assert "HelpBot: (embed: Spare dome key: hangs in the staff safe — Night lamp — Dome status — Updated hourly)" in (
        texts), texts


def only_documents(path: Path) -> list:
    from qabot.corpus import CorpusFile, load_file

    warnings: list[str] = []
    docs = list(load_file(CorpusFile(path, path.name), warnings.append))
    assert not warnings, warnings
    return docs


def test_an_export_written_newest_first_is_read_oldest_first_when_its_newest_two_share_a_time(tmp_path: Path) -> None:
    from qabot.corpus import document_paragraphs
    from tests import documents

    # --reverse writes newest first; it was told by the first two messages' times alone, and two messages of one
    # millisecond (a bridge's burst) left the export read backwards: replies, exchanges and roles all reversed.
    at = "2024-05-01T10:01:00.000+00:00"
    newest_first = [
        documents.message("1200000000000000303", "Ben", "Into the darks folder, by date.", at,
                          reply_to="1200000000000000301"),
        documents.message("1200000000000000302", "Cleo", "Roof opens at nine.", at),
        documents.message("1200000000000000301", "Ana", "Where do the dark frames go?", "2024-05-01T10:00:00+00:00"),
    ]
    path = documents.write_export(tmp_path / "help.json", newest_first)
    read = [(p.url.rsplit("/", 1)[-1], doc.doc_id) for doc in only_documents(path) for p in document_paragraphs(doc)]
    answer_doc = dict(read)["1200000000000000303"]
    assert dict(read)["1200000000000000301"] == answer_doc, read  # the answer is in the question's exchange


def test_markdown_a_short_paragraph_is_text_not_a_heading_where_the_file_has_headings(tmp_path: Path) -> None:
    from qabot.corpus import document_paragraphs

    # A short paragraph without closing punctuation (a README's tagline, "You will need", a listing's caption) was
    # taken for a heading by plain text's rules: left out of every passage, and the section of all that follows.
    path = tmp_path / "README.md"
    path.write_text("# ProjectX\n\nA fast and friendly tool for parsing logs\n\n## Install\n\nYou will need\n\n"
                    "- Python 3.11\n\nListing 2-1: Reading the log of one night\n\n```sh\nprojectx read night.log\n```\n",
                    encoding="utf-8")
    doc = only_document(path)
    read = [(p.heading, p.section, doc.text[p.start : p.end]) for p in document_paragraphs(doc)]
    assert read == [(True, "ProjectX", "# ProjectX"), (False, "ProjectX", "A fast and friendly tool for parsing logs"),
                    (True, "Install", "## Install"), (False, "Install", "You will need"),
                    (False, "Install", "- Python 3.11"), (False, "Install", "Listing 2-1: Reading the log of one night"),
                    (False, "Install", "```sh\nprojectx read night.log\n```")], read


def _paragraphs_of(tmp_path: Path, name: str, text: str) -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return paragraph_texts(only_document(path))


def test_text_a_sentence_cut_by_a_long_url_or_wrapped_past_one_long_line_is_one_paragraph(tmp_path: Path) -> None:
    import textwrap

    # A line that ends early because the next word (a URL) did not fit is no paragraph's end (libpng's manual:
    # "... available as RFC 2083 at" | "<https://...>"); one command of 110 characters in a text wrapped at 72
    # made every line of it "not full", a paragraph of its own.
    cut = ("The server keeps its state in a small database that is rebuilt each\nnight. For more details see the "
           "documentation at\nhttps://example.com/a/very/long/path/to/the/documentation/page.html which\nexplains "
           "everything about the nightly rebuild and how to skip it.")
    fox = textwrap.fill("The quick brown fox jumps over the lazy dog while the farmer watches from a distance and "
                        "wonders why the fox is so energetic today of all days.", 72)
    command = "curl -sSL https://example.com/install/script/latest/version/for/linux/amd64.sh | sudo bash -s -- --yes"
    texts = _paragraphs_of(tmp_path, "notes.txt", f"Notes\n\n{cut}\n\n{fox}\n\n{command}\n")
    assert texts == [cut, fox, command], texts


def test_markdown_each_row_of_a_table_and_the_lines_of_an_html_block_read_as_a_browser_shows_them(
        tmp_path: Path) -> None:
    long = "This is a long line of prose that goes on for quite a while to set the width of the file around here."
    rows = ["| `-v` | verbose |", "| `--config FILE` | read the configuration from FILE instead of the default place |",
            "| `-q` | quiet |"]
    texts = _paragraphs_of(tmp_path, "README.md", (
        f"# Tool\n\n{long}\n\n| Option | Meaning |\n|---|---|\n" + "\n".join(rows)
        + '\n\n<p align="center">\nOur mission is to make parsing easy\nfor everyone who works with logs.\n</p>\n'))
    assert texts == [long, "| Option | Meaning |", *rows,
                     "Our mission is to make parsing easy\nfor everyone who works with logs."], texts


def test_markdown_a_section_is_named_as_its_heading_shows(tmp_path: Path) -> None:
    from qabot.corpus import document_paragraphs

    # A section name kept a heading's inline Markdown: "§ [Dome](/dome) *notes*" in a citation.
    path = tmp_path / "night.md"
    path.write_text("# § [Dome](https://example.com/dome) *notes*\n\nThe dome opens at dusk.\n\n"
                    "## Using `domectl` with **care**\n\nClose it before rain.\n", encoding="utf-8")
    doc = only_document(path)
    assert [p.section for p in document_paragraphs(doc) if not p.heading] == ["§ Dome notes",
                                                                              "Using domectl with care"]


def test_markdown_each_footnotes_definition_is_a_paragraph(tmp_path: Path) -> None:
    # CommonMark without the footnote plugin reads "[^1]: ..." and "[^2]: ..." in a row as one paragraph.
    texts = _paragraphs_of(tmp_path, "notes.md", "# Notes\n\nThe dome opens at dusk[^1] and closes at dawn[^2].\n\n"
                           "[^1]: When the humidity sensor reads below eighty percent.\n"
                           "[^2]: Or before rain, whichever comes first.\n")
    assert texts == ["The dome opens at dusk[^1] and closes at dawn[^2].",
                     "[^1]: When the humidity sensor reads below eighty percent.",
                     "[^2]: Or before rain, whichever comes first."], texts


def test_markdown_a_heading_underlined_under_two_lines_is_one_heading(tmp_path: Path) -> None:
    from qabot.corpus import document_paragraphs

    # CommonMark (and GitHub's page) read every line above the underline as the heading; it was read as a paragraph,
    # "=====" and all. A long paragraph above "---" stays text; in plain text only one line is a heading.
    body = ("# Handbook\n\nThe dome and its care in the\nwinter months of the year\n=========================\n\n"
            f"{_DUSK}\n\n" + "The motor is serviced every January by the technician from the supplier, who also "
            "checks\nthe shutter's chain, the rain sensor and the limit switches of the dome's rotation, and\n"
            "writes all of it into the maintenance log that hangs beside the control desk in the dome.\n---\n\n"
            f"{_HOMED}\n")
    path = tmp_path / "handbook.md"
    path.write_text(body, encoding="utf-8")
    doc = only_document(path)
    read = [(p.heading, p.section, doc.text[p.start : p.end]) for p in document_paragraphs(doc)]
    assert read[1] == (True, "The dome and its care in the winter months of the year",
                       "The dome and its care in the\nwinter months of the year"), read
    assert [heading for heading, _, _ in read] == [True, True, False, False, False], read
    path = tmp_path / "handbook.txt"
    path.write_text(body.replace("# Handbook\n\n", ""), encoding="utf-8")
    assert not any(p.heading for p in document_paragraphs(only_document(path)))
