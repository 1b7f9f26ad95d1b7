"""Structure inside a document's text that a reader must keep: superscripts, definition lists, admonitions,
content tabs, Word's restarted lists and PDF tables.

Each test writes a small real file as the tool that makes such documents writes it and reads it with qabot's readers.
"""

from __future__ import annotations

from pathlib import Path

from qabot.corpus import document_paragraphs
from qabot.models import Document
from tests.documents import only_document, paragraph_texts, table_pdf

_one, _texts = only_document, paragraph_texts  # the one document of a file; its paragraphs' text


def _page(tmp_path: Path, body: str) -> Document:
    path = tmp_path / "page.html"
    path.write_text(f"<!doctype html><html><head><title>Notes</title></head><body><main><article>{body}</article>"
                    "</main></body></html>", encoding="utf-8")
    return _one(path)


# -- HTML superscripts ----------------------------------------------------------------------


def test_html_a_superscript_power_reads_as_a_power_and_a_subscript_joins_its_word(tmp_path: Path) -> None:
    doc = _page(tmp_path, (
        "<h1>Counting</h1><p>A set of n elements has 2<sup>n</sup> subsets, and a square of side x has an area "
        "of x<sup>2</sup> square units.</p><p>The sum has 2<sup>n+1</sup> terms, one per bit, and the gap is "
        "10<sup>-3</sup> metres at most.</p><p>Water is H<sub>2</sub>O, and the 1<sup>st</sup> batch of "
        "Skyfetch<sup>™</sup> shipped in the 19<sup>e</sup> week.</p><pre><code>x<sup>2</sup></code></pre>"))
    assert _texts(doc) == [
        "A set of n elements has 2^n subsets, and a square of side x has an area of x^2 square units.",
        "The sum has 2^(n+1) terms, one per bit, and the gap is 10^-3 metres at most.",
        "Water is H2O, and the 1st batch of Skyfetch™ shipped in the 19e week.",
        "x2",  # code is left as it is
    ]


def test_html_a_footnote_marker_does_not_run_into_its_word(tmp_path: Path) -> None:
    doc = _page(tmp_path, (
        "<h1>Caching</h1>"
        # Python-Markdown's footnotes
        '<p>Tiles are kept for a week<sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup>.</p>'
        # markdown-it-footnote and Wikipedia
        '<p>The cache is shared<sup class="footnote-ref"><a href="#fn1" id="fnref1">[1]</a></sup> by every run.</p>'
        '<p>The format is documented<sup class="reference"><a href="#cite_note-2">[2]</a></sup>elsewhere.</p>'
        # GitHub's, Pandoc's and docutils' (Sphinx)
        '<p>Old tiles are fetched again<sup><a href="#user-content-fn-1" id="user-content-fnref-1" '
        "data-footnote-ref>3</a></sup>.</p>"
        '<p>Downloads resume<a href="#fn4" class="footnote-ref" id="fnref4" role="doc-noteref"><sup>4</sup></a>.</p>'
        '<p>Retries back off<a class="footnote-reference brackets" href="#id5" id="id1" role="doc-noteref">'
        '<span class="fn-bracket">[</span>5<span class="fn-bracket">]</span></a> exponentially.</p>'
        '<p>See the <a href="#caching">caching</a> section.</p>'))
    assert _texts(doc)[:7] == [
        "Tiles are kept for a week.",
        "The cache is shared by every run.",
        "The format is documented elsewhere.",
        "Old tiles are fetched again.",
        "Downloads resume.",
        "Retries back off exponentially.",
        "See the caching section.",  # a link to the page that is no footnote stays
    ]


def test_html_a_footnotes_link_back_is_not_its_text(tmp_path: Path) -> None:
    doc = _page(tmp_path, (
        "<h1>Caching</h1><p>Tiles are kept for a week. Press ↩ to fetch them again.</p><ol>"
        # Python-Markdown's, Pandoc's, GitHub's, kramdown's and markdown-it-footnote's notes
        '<li id="fn:1"><p>Seven days, counted from the first fetch.&#160;<a class="footnote-backref" href="#fnref:1" '
        'title="Jump back to footnote 1 in the text">&#8617;</a></p></li>'
        '<li id="fn2"><p>Unless the survey asks for fresh tiles.<a href="#fnref2" class="footnote-back" '
        'role="doc-backlink">↩︎</a></p></li>'
        '<li id="user-content-fn-3"><p>The cache lives in ~/.cache/tiles. <a href="#user-content-fnref-3" '
        'data-footnote-backref="" aria-label="Back to reference 3" class="data-footnote-backref">↩</a></p></li>'
        '<li id="fn:4" role="doc-endnote"><p>Shared by every run.&nbsp;<a href="#fnref:4" class="reversefootnote" '
        'role="doc-backlink">&#8617;</a></p></li>'
        '<li id="fn5" class="footnote-item"><p>Retries back off. <a href="#fnref5">↩︎</a> <a href="#fnref5:1">↩︎2</a>'
        '</p></li></ol><p>See the <a href="#caching">caching</a> section.</p>'))
    assert _texts(doc) == [
        "Tiles are kept for a week. Press ↩ to fetch them again.",  # an arrow that is no link stays
        "1. Seven days, counted from the first fetch.",
        "2. Unless the survey asks for fresh tiles.",
        "3. The cache lives in ~/.cache/tiles.",
        "4. Shared by every run.",
        "5. Retries back off.",
        "See the caching section.",
    ]


# -- HTML definition lists ------------------------------------------------------------------


def test_html_a_definition_list_reads_each_term_with_its_definition(tmp_path: Path) -> None:
    doc = _page(tmp_path, (
        "<h1>Options</h1><p>The fetch command takes these options, in any order, after the survey name.</p><dl>\n"
        "<dt><code>--force</code>\n</dt>\n<dd>Overwrite existing tiles without asking.</dd>\n"
        "<dt><code>--quiet</code></dt><dt><code>-q</code></dt>\n<dd>Print nothing but errors.</dd>"
        "<dd>Warnings are still written to the <code>log</code> file, <em>once</em>.</dd>\n"
        "<dt>Returns:</dt><dd><code>0</code> when every tile was fetched</dd>\n"
        "<dt>--cache-dir</dt><dd><p>Where tiles are kept.</p><p>It is made when missing.</p></dd>\n"
        "<dt>--config</dt><dd><pre>skyfetch --config sky.toml</pre></dd>\n"
        "<dt>--dry-run</dt></dl><p>Options may also be set in the configuration file.</p>"))
    assert _texts(doc) == [
        "The fetch command takes these options, in any order, after the survey name.",
        "--force: Overwrite existing tiles without asking.",
        "--quiet, -q: Print nothing but errors. Warnings are still written to the log file, once.",
        "Returns: 0 when every tile was fetched",
        "--cache-dir: Where tiles are kept.",
        "It is made when missing.",
        "--config",  # a definition that opens with a code block: the term stays a line of its own
        "skyfetch --config sky.toml",
        "--dry-run",
        "Options may also be set in the configuration file.",
    ]


def test_html_sphinx_describes_a_setting_in_one_paragraph_with_its_name() -> None:
    from tests.documents import FORMATS

    doc = _one(FORMATS / "html" / "sphinx-extlinks.html")  # <dt>extlinks<a class="headerlink">¶</a></dt><dd><p>
    texts = _texts(doc)
    assert any(text.startswith("extlinks: This config value must be a dictionary of external sites") for text in texts)
    assert any(text.startswith("extlinks_detect_hardcoded_links: If enabled, extlinks emits a warning") for text in texts)
    assert "extlinks" not in texts


def test_html_a_term_with_an_id_is_the_anchor_of_its_definition(tmp_path: Path) -> None:
    """Sphinx writes each object it documents (autodoc's functions, classes, methods; a config value) as a definition
    list whose term, the signature, has the object's id (``<dt id="skyfetch.purge">``), and a glossary's terms have
    theirs: each was linked to the section's heading above (``#api-reference``), the top of a page of a hundred
    functions, where a browser did not find the text fragment (the term is run into its definition, "purge(days):
    Delete ...", a colon the page does not show). A definition's paragraphs link to its term's id now."""
    doc = _page(tmp_path, (
        '<section id="api-reference"><h1>API reference<a class="headerlink" href="#api-reference">¶</a></h1>'
        "<p>The skyfetch module downloads sky survey images from the archive of the observatory.</p>"
        '<dl class="py function"><dt class="sig sig-object py" id="skyfetch.purge"><span class="sig-prename '
        'descclassname"><span class="pre">skyfetch.</span></span><span class="sig-name descname"><span class="pre">'
        'purge</span></span><span class="sig-paren">(</span><em class="sig-param"><span class="n"><span class="pre">'
        'days</span></span></em><span class="sig-paren">)</span><a class="headerlink" href="#skyfetch.purge" '
        'title="Link to this definition">¶</a></dt><dd><p>Delete the cached images older than the given number of '
        'days.</p><dl class="field-list simple"><dt class="field-odd">Returns<span class="colon">:</span></dt>'
        '<dd class="field-odd"><p>how many images were deleted</p></dd></dl></dd></dl>'
        '<dl class="py function"><dt class="sig sig-object py" id="skyfetch.fetch"><span class="sig-name descname">'
        '<span class="pre">fetch</span></span><span class="sig-paren">(</span><span class="sig-paren">)</span>'
        '<a class="headerlink" href="#skyfetch.fetch">¶</a></dt><dd><div class="highlight"><pre>fetch()</pre></div>'
        "<p>Download one image from the archive.</p></dd></dl><p>Both functions log to the skyfetch logger.</p>"
        '<section id="glossary"><h2>Glossary<a class="headerlink" href="#glossary">¶</a></h2>'
        '<dl class="glossary simple"><dt id="term-tile">tile<a class="headerlink" href="#term-tile">¶</a></dt>'
        "<dd><p>one square image of the sky survey</p></dd></dl></section></section>"))
    cited = {doc.text[p.start : p.end]: p.anchor for p in document_paragraphs(doc) if not p.heading}
    assert cited == {
        "The skyfetch module downloads sky survey images from the archive of the observatory.": "api-reference",
        "skyfetch.purge(days): Delete the cached images older than the given number of days.": "skyfetch.purge",
        "Returns: how many images were deleted": "skyfetch.purge",
        "fetch()": "skyfetch.fetch",  # a term whose definition opens with a block: a line of its own
        "Download one image from the archive.": "skyfetch.fetch",
        "Both functions log to the skyfetch logger.": "api-reference",  # after the list: the section's again
        "tile: one square image of the sky survey": "term-tile",
    }, cited


def test_html_a_definition_s_common_label_links_to_its_own_term_not_another_s(tmp_path: Path) -> None:
    # Every function Sphinx documents has its "Parameters:", many a "Note" (in it, or outside any, as here): matched
    # by their text alone, each took the anchor of the last function on the page that had one.
    def function(name: str, said: str) -> str:
        return (f'<dl class="py function"><dt class="sig sig-object py" id="skyfetch.{name}"><span class="sig-name '
                f'descname"><span class="pre">{name}</span></span><span class="sig-paren">()</span><a class="headerlink"'
                f' href="#skyfetch.{name}">¶</a></dt><dd><p>{said}</p><dl class="field-list simple"><dt class="field-odd"'
                '>Parameters<span class="colon">:</span></dt><dd class="field-odd"><ul class="simple"><li><p><strong>'
                f'url</strong> – where the image of {name} is.</p></li><li><p><strong>days</strong> – how old.</p>'
                '</li></ul></dd></dl><div class="admonition note"><p class="admonition-title">Note</p><p>The archive '
                f"must be reachable for {name}.</p></div></dd></dl>")

    doc = _page(tmp_path, (
        '<section id="api-reference"><h1>API reference<a class="headerlink" href="#api-reference">¶</a></h1>'
        '<div class="admonition note"><p class="admonition-title">Note</p><p>All functions are thread safe.</p></div>'
        + function("fetch", "Download one image from the archive.")
        + function("purge", "Delete the cached images older than the given number of days.") + "</section>"))
    cited = [(doc.text[p.start : p.end], p.anchor) for p in document_paragraphs(doc) if not p.heading]
    assert [(text, anchor) for text, anchor in cited if text in ("Note", "Parameters:", "days – how old.")] == [
        ("Note", "api-reference"), ("Parameters:", "skyfetch.fetch"), ("days – how old.", "skyfetch.fetch"),
        ("Note", "skyfetch.fetch"), ("Parameters:", "skyfetch.purge"), ("days – how old.", "skyfetch.purge"),
        ("Note", "skyfetch.purge")], cited


# -- Markdown admonitions and content tabs --------------------------------------------------


def _markdown(tmp_path: Path, name: str, content: str) -> list[tuple[str | None, str]]:
    """(section, text) of each paragraph of ``content`` read as the file ``name``, whose text is the file's."""
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    doc = _one(path)
    assert doc.text == content
    return [(p.section, doc.text[p.start : p.end]) for p in document_paragraphs(doc) if not p.heading]


_LATER = "\n## Configure\n\nSkyfetch reads skyfetch.toml in the project folder.\n\n## Usage\n\nRun skyfetch with a survey.\n"
_LATER_READ = [("Configure", "Skyfetch reads skyfetch.toml in the project folder."),
               ("Usage", "Run skyfetch with a survey.")]  # how _LATER reads
# How the Docusaurus admonitions of two tests read (a tip holding a note whose fence is left unclosed)
_TIP_READ = [("Install", "Before you start"), ("Install", "Make sure Python is installed, then run:"),
             ("Install", "```bash\npip install skyfetch"), ("Install", "Then fetch a survey."), *_LATER_READ]


def test_markdown_an_unclosed_fence_in_an_mkdocs_admonition_ends_with_its_body(tmp_path: Path) -> None:
    content = ('# Install\n\n!!! note "Before you start"\n    Make sure Python is installed, then run:\n\n'
               "    ```bash\n    pip install skyfetch\n" + _LATER)
    assert _markdown(tmp_path, "install.md", content) == [
        ("Install", "Before you start"),
        ("Install", "Make sure Python is installed, then run:"),
        ("Install", "```bash\n    pip install skyfetch"),
        *_LATER_READ,
    ]


def test_markdown_an_unclosed_fence_in_a_docusaurus_admonition_ends_at_its_closing_fence(tmp_path: Path) -> None:
    content = ("# Install\n\n::::tip[Before you start]\n:::note\nMake sure Python is installed, then run:\n\n"
               "```bash\npip install skyfetch\n:::\nThen fetch a survey.\n::::\n" + _LATER
               + "\n```md\n:::note\n```\n\nThe end.\n")
    assert _markdown(tmp_path, "install.mdx", content) == [
        *_TIP_READ,
        ("Usage", "```md\n:::note\n```"),  # outside an admonition, a fence in code is the code's
        ("Usage", "The end."),
    ]



def test_markdown_a_tilde_fence_with_a_backtick_in_its_info_is_a_fence_before_an_admonition(tmp_path: Path) -> None:
    # CommonMark (and markdown-it-py) forbid a backtick only in a backtick fence's info string. The tilde fence was
    # not seen as one, so its closing line was taken to open a fence, and the admonitions after it were lost: the
    # unclosed fence in one ran to the end of the text, over its closing line and the next section.
    content = ('# Install\n\n~~~md title="`skyfetch.toml`"\nsurvey = "2MASS"\n~~~\n\n::::tip[Before you start]\n'
               ":::note\nMake sure Python is installed, then run:\n\n```bash\npip install skyfetch\n:::\n"
               "Then fetch a survey.\n::::\n" + _LATER)
    assert _markdown(tmp_path, "install.mdx", content) == [
        ("Install", '~~~md title="`skyfetch.toml`"\nsurvey = "2MASS"\n~~~'),
        *_TIP_READ,
    ]


def test_markdown_mkdocs_content_tabs_read_as_their_title_and_body(tmp_path: Path) -> None:
    content = ('# Install\n\n=== "pip"\n\n    Install skyfetch from PyPI.\n\n    ```bash\n    pip install skyfetch\n'
               '    ```\n\n===+ "conda"\n    Install skyfetch from conda-forge:\n\n    ```bash\n'
               "    conda install skyfetch\n" + _LATER)
    assert _markdown(tmp_path, "install.md", content) == [
        ("Install", "pip"),
        ("Install", "Install skyfetch from PyPI."),
        ("Install", "```bash\n    pip install skyfetch\n    ```"),
        ("Install", "conda"),
        ("Install", "Install skyfetch from conda-forge:"),
        ("Install", "```bash\n    conda install skyfetch"),  # unclosed: it ends with the tab's body
        *_LATER_READ,
    ]


def test_markdown_a_definition_list_reads_each_term_with_its_definition(tmp_path: Path) -> None:
    # PHP Markdown Extra's syntax, as Python-Markdown's def_list, pymdownx and markdown-it-deflist read it
    content = ("# Options\n\nThe fetch command takes these options.\n\n--force\n:   Overwrite existing tiles.\n\n"
               "--quiet\n-q\n:   Print nothing but errors;\n    warnings still go to the log.\n"
               "--cache-dir\n:   Where tiles are kept.\n\nThe end.\n")
    assert _markdown(tmp_path, "options.md", content) == [
        ("Options", "The fetch command takes these options."),
        ("Options", "--force\n:   Overwrite existing tiles."),
        ("Options", "--quiet\n-q\n:   Print nothing but errors;\n    warnings still go to the log."),
        ("Options", "--cache-dir\n:   Where tiles are kept."),
        ("Options", "The end."),
    ]


# -- Word list numbering --------------------------------------------------------------------

_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _abstract(key: int, *levels: tuple[str, str, str]) -> str:
    """A w:abstractNum of levels (numFmt, lvlText, extra XML in the w:lvl: a w:lvlRestart), each starting at 1."""
    return (f'<w:abstractNum {_W} w:abstractNumId="{key}"><w:multiLevelType w:val="multilevel"/>'
            + "".join(f'<w:lvl w:ilvl="{at}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>{extra}'
                      f'<w:lvlText w:val="{text}"/></w:lvl>' for at, (fmt, text, extra) in enumerate(levels))
            + "</w:abstractNum>")


def test_docx_numbering_follows_level_restarts_and_overrides(tmp_path: Path) -> None:
    import docx
    from docx.oxml import parse_xml

    word = docx.Document()
    numbering = word.part.numbering_part.element
    first_num = numbering.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}num")
    # 80: a level that never restarts (w:lvlRestart 0), and a third level restarted by the first level only (1)
    first_num.addprevious(parse_xml(_abstract(80, ("decimal", "%1.", ""), ("lowerLetter", "%2)", '<w:lvlRestart w:val="0"/>'))))
    first_num.addprevious(parse_xml(_abstract(81, ("decimal", "%1.", ""), ("decimal", "%1.%2.", ""),
                                              ("lowerRoman", "(%3)", '<w:lvlRestart w:val="1"/>'))))
    first_num.addprevious(parse_xml(_abstract(82, ("decimal", "%1.", ""), ("lowerLetter", "%2)", ""))))
    numbering.append(parse_xml(f'<w:num {_W} w:numId="80"><w:abstractNumId w:val="80"/></w:num>'))
    numbering.append(parse_xml(f'<w:num {_W} w:numId="81"><w:abstractNumId w:val="81"/></w:num>'))
    numbering.append(parse_xml(f'<w:num {_W} w:numId="82"><w:abstractNumId w:val="82"/></w:num>'))
    # "Restart numbering" as Word writes it with a level override: a w:lvl of its own, here at 1 and in capitals
    numbering.append(parse_xml(
        f'<w:num {_W} w:numId="83"><w:abstractNumId w:val="82"/><w:lvlOverride w:ilvl="0">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="upperLetter"/><w:lvlText w:val="%1."/></w:lvl>'
        "</w:lvlOverride></w:num>"))
    # a start override of the second level: it is where that level starts, after any item above it too
    numbering.append(parse_xml(f'<w:num {_W} w:numId="84"><w:abstractNumId w:val="82"/><w:lvlOverride w:ilvl="1">'
                               '<w:startOverride w:val="4"/></w:lvlOverride></w:num>'))

    def item(text: str, num: int, level: int = 0) -> None:
        word.add_paragraph(text)._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {_W}><w:ilvl w:val="{level}"/><w:numId w:val="{num}"/></w:numPr>'))

    for text, num, level in [("Open the dome.", 80, 0), ("Unlock it.", 80, 1), ("Push it.", 80, 1),
                             ("Start the mount.", 80, 0), ("Home it.", 80, 1),
                             ("Cool the camera.", 81, 0), ("To minus ten.", 81, 1), ("Wait.", 81, 2),
                             ("Check.", 81, 2), ("To minus twenty.", 81, 1), ("Wait again.", 81, 2),
                             ("Focus.", 81, 0), ("Coarse.", 81, 1), ("Wait at last.", 81, 2),
                             ("Park the mount.", 82, 0), ("Close the shutter.", 82, 0),
                             ("Switch off the camera.", 83, 0), ("Switch off the dome.", 83, 0),
                             ("Log the night.", 84, 0), ("The time.", 84, 1), ("The weather.", 84, 1),
                             ("Sign the log.", 84, 0), ("In ink.", 84, 1)]:
        item(text, num, level)
    path = tmp_path / "night.docx"
    word.save(str(path))
    assert _texts(_one(path)) == [
        "1. Open the dome.", "a) Unlock it.", "b) Push it.", "2. Start the mount.", "c) Home it.",  # never restarts
        "1. Cool the camera.", "1.1. To minus ten.", "(i) Wait.", "(ii) Check.", "1.2. To minus twenty.",
        "(iii) Wait again.", "2. Focus.", "2.1. Coarse.", "(i) Wait at last.",  # restarted by the first level only
        "1. Park the mount.", "2. Close the shutter.",
        "A. Switch off the camera.", "B. Switch off the dome.",  # restarted, by a level override
        "3. Log the night.", "d) The time.", "e) The weather.", "4. Sign the log.", "d) In ink.",
    ]


# -- PDF tables -----------------------------------------------------------------------------


def test_pdf_a_tables_cells_are_parted_as_the_html_readers_are(tmp_path: Path) -> None:
    path = table_pdf(tmp_path, (80, 100, 60, 60), [
        ("Filter", "Notes", "Exposure", "Frames"), ("Luminance", "Taken first", "120 s", "40"),
        ("Red", "", "180 s", "20")])
    # "Exposure" and "Frames" are a little more than two spaces apart, a row's other cells much more
    assert _texts(_one(path)) == [
        "Each filter has its own exposure time and number of frames in a session, as listed below.",
        "Filter | Notes | Exposure | Frames", "Luminance | Taken first | 120 s | 40", "Red | 180 s | 20",
        "Flats are taken at dusk for every filter used that night."]


def test_pdf_a_cell_wrapped_onto_lines_of_its_own_stays_in_its_row(tmp_path: Path) -> None:
    path = table_pdf(tmp_path, (80, 180, 60, 80), [
        ("Filter", "Notes", "Exposure", "Frames"), ("Luminance", "Taken first", "120 s", "40"),
        ("Hydrogen alpha", "Narrowband: it can be taken on moonlit nights, when the broadband filters are of no use",
         "600 s", "12"),
        ("Oxygen III filter of the survey", "Narrowband too", "600 s", "12 or more if the night is long"),
        ("Red", "", "180 s", "20")])
    # PDFium reads such a row a cell at a time: "Hydrogen alpha", the note's three lines, then "600 s 12" (the
    # cells set in the middle of the row's height); the note was a paragraph of its own, between the row's halves.
    assert _texts(_one(path)) == [
        "Each filter has its own exposure time and number of frames in a session, as listed below.",
        "Filter | Notes | Exposure | Frames", "Luminance | Taken first | 120 s | 40",
        ("Hydrogen alpha | Narrowband: it can be taken on moonlit nights, when the broadband filters are of no use | "
         "600 s | 12"),
        "Oxygen III filter of the survey | Narrowband too | 600 s | 12 or more if the night is long",
        "Red | 180 s | 20",
        "Flats are taken at dusk for every filter used that night."]
