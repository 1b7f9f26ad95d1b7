"""A folder of PDF, HTML, Word and Discord export files, end to end: index, answers, citations, links.

The fake embedder ranks by shared words, which is all these tests need: what they check
is what each format gives the citation (page, section, anchor, author, jump link), that
every excerpt is the stored text at its offsets, and that no boilerplate is indexed.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

from qabot.adapters.discord.format import answer_embed
from qabot.adapters.terminal import plain_answer
from qabot.models import Excerpt
from qabot.search.excerpts import text_fragment
from tests import documents
from tests.conftest import FAKE_QABOT


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    documents.write_pdf(corpus / "manual.pdf", labels=True)
    documents.write_html(corpus / "install.html")
    documents.write_docx(corpus / "minutes.docx")
    documents.write_export(corpus / "help.json")
    return corpus


@pytest.fixture
def bot(folder: Path, fake_bot_for):
    return fake_bot_for(folder, answer_threshold=0.0)


def _best(bot, question: str, source: str) -> Excerpt:
    answer = bot.ask(question, k=5)
    found = [ex for ex in answer.excerpts if ex.citation.source == source]
    assert found, [ex.citation.source for ex in answer.excerpts]
    return found[0]


def _round_trips(bot, excerpt: Excerpt) -> None:
    doc = bot.index.passages([excerpt.passage_id])[excerpt.passage_id].doc
    assert bot.index.text(doc, excerpt.citation.start, excerpt.citation.end) == excerpt.text
    assert excerpt.text[excerpt.highlight_start : excerpt.highlight_end] == excerpt.highlight


def test_every_format_is_indexed(bot) -> None:
    assert [s.source for s in bot.sources()] == ["help.json", "install.html", "manual.pdf", "minutes.docx"]
    assert bot.manifest.indexed_files == 4 and not bot.manifest.skipped


def test_a_pdf_citation_names_the_page_label_page_and_section(bot) -> None:
    ex = _best(bot, "Where does every project keep its patterns.glob file?", "manual.pdf")
    assert "patterns.glob at the top of the repository" in ex.text
    citation = ex.citation
    assert (citation.page, citation.page_label, citation.section) == (3, "2", "2.4. The glob files")
    assert citation.location == "p. 2, § 2.4. The glob files"
    assert citation.title == "The Glob Tool Manual" and citation.link is None
    _round_trips(bot, ex)


def test_an_html_citation_links_to_the_heading_and_the_sentence(bot) -> None:
    ex = _best(bot, "How is the glob tool installed with pip?", "install.html")
    citation = ex.citation
    assert citation.location == "§ Installing, ¶ 1" and citation.page is None
    assert citation.url == "https://docs.example.org/glob/install.html"
    base, fragment = citation.link.split(":~:text=")
    assert base == "https://docs.example.org/glob/install.html#installing"
    start, end = (unquote(part) for part in fragment.split(","))
    words = ex.highlight.split()
    assert start == " ".join(words[:4]) and end == " ".join(words[-4:])
    assert not set(fragment) & set(" ()-&")  # what would end the link or the directive is encoded
    _round_trips(bot, ex)


def test_a_link_names_the_highlight_by_the_words_the_page_shows(make_corpus, fake_bot_for) -> None:
    """A browser finds a text fragment's start and end each within one block of the page, in the text it shows. A
    table row's highlight ("Altitude | 15 degrees") was named with the reader's " | " across two cells, a list item's
    with its "-", and Markdown's with its marks (`**`, backticks, pipes): no browser found them."""
    page = ("<html><head><title>Limits</title><link rel=canonical href='https://example.org/limits.html'></head><body>"
            "<main><h2 id=axes>Axis limits</h2><p>The mount refuses to slew past these limits, whatever the "
            "scheduler asks for.</p><table><tr><th>Axis</th><th>Limit</th></tr><tr><td>Altitude</td>"
            "<td>15 degrees</td></tr><tr><td>Azimuth speed</td><td>6 degrees per second</td></tr></table>"
            "</main></body></html>")
    notes = ("---\ntitle: Dome notes\nurl: https://example.org/dome/\n---\n\n# Dome notes\n\n"
             "The dome has a slit motor and a rotation motor, each with its own breaker.\n\n"
             "| Setting | Value |\n|---------|-------|\n| Maximum wind | 15 m/s |\n| Maximum humidity | 85 % |\n\n"
             "- Check the weather radar before opening.\n- Unlock the slit motor with the **red** key.\n")
    bot = fake_bot_for(make_corpus({"limits.html": page, "dome.md": notes}), answer_threshold=0.0)

    def link(question: str, source: str, highlight: str) -> str:
        ex = _best(bot, question, source)
        assert ex.highlight == highlight
        return ex.citation.link

    assert link("altitude limit degrees", "limits.html", "Altitude | 15 degrees") == (
        "https://example.org/limits.html#axes:~:text=Altitude,15%20degrees")
    assert link("maximum humidity value", "dome.md", "| Maximum humidity | 85 % |") == (
        "https://example.org/dome/#dome-notes:~:text=Maximum%20humidity,85%20%25")
    assert link("unlock slit motor key", "dome.md", "- Unlock the slit motor with the **red** key.") == (
        "https://example.org/dome/#dome-notes:~:text=Unlock%20the%20slit%20motor%20with%20the%20red%20key.")


def test_a_link_to_a_markdown_footnote_or_definition_names_the_words_the_page_shows(make_corpus, fake_bot_for) -> None:
    """A footnote's definition ("[^2]: ...") shows on the page as an item of the footnotes' list, without its label,
    and a definition (":   ...", MkDocs' and PHP Markdown Extra's lists) without its colon: a link that named them
    ("text=%5B%5E2%5D%3A%20The...", ":%20Four%20by%20default.") was found by no browser."""
    notes = ("---\ntitle: Dome notes\nurl: https://example.org/dome/\n---\n\n# Dome notes\n\n"
             "The night report lists every exposure[^2].\n\n"
             "[^2]: The report is written to report.html in the working folder.\n\n"
             "Workers\n:   Four by default.\n")
    bot = fake_bot_for(make_corpus({"dome.md": notes}), answer_threshold=0.0)
    ex = _best(bot, "report written report.html working folder", "dome.md")
    assert ex.highlight == "[^2]: The report is written to report.html in the working folder."
    assert ex.citation.link == ("https://example.org/dome/#dome-notes:~:text=The%20report%20is%20written,"
                                "in%20the%20working%20folder.")
    ex = _best(bot, "workers four by default", "dome.md")
    assert ex.highlight == "Workers\n:   Four by default."
    assert ex.citation.link == "https://example.org/dome/#dome-notes:~:text=Workers,Four%20by%20default."


def test_a_link_to_markdown_names_no_annotation_marker_or_emoji_code(make_corpus, fake_bot_for) -> None:
    """Material for MkDocs draws an annotation's marker ("(1)" after a word, "# (1)!" in code) as a button, and an
    emoji's code (":warning:") as an icon, as GitHub does: a link whose text fragment named them was found by no
    browser. It names the words around them."""
    notes = ("---\ntitle: Dome notes\nurl: https://example.org/dome/\n---\n\n# Dome notes\n\n"
             "Enable the humidity sensor in the dome configuration file (1), then restart the dome service (2).\n"
             "{ .annotate }\n\n1.  The file is dome.yml.\n2.  With systemctl.\n\n"
             ":warning: Never open the slit while the rain sensor reports water on the dome.\n")
    bot = fake_bot_for(make_corpus({"dome.md": notes}), answer_threshold=0.0)
    ex = _best(bot, "enable humidity sensor dome configuration restart service", "dome.md")
    assert ex.citation.link == ("https://example.org/dome/#dome-notes:~:text=Enable%20the%20humidity%20sensor,"
                                "restart%20the%20dome%20service")
    ex = _best(bot, "never open slit rain sensor reports water", "dome.md")
    assert ex.citation.link == ("https://example.org/dome/#dome-notes:~:text=Never%20open%20the%20slit,"
                                "water%20on%20the%20dome.")
    assert text_fragment("```yaml\ndome:\n  humidity_limit: 85 # (1)!\n```", markdown=True) == (
        "dome%3A,humidity_limit%3A%2085")  # the comment a code annotation's marker is in is drawn as none


def test_a_link_to_a_sphinx_definition_names_the_words_the_page_shows(make_corpus, fake_bot_for) -> None:
    """Sphinx writes a documented function as a term (its signature, ``<dt id=...>``) and its definition (``<dd>``),
    which the reader runs together with a colon the page does not show ("fetch(url: str) → bytes: Fetch ..."), as it
    does any definition list's ("--force: Overwrite ..."): the link's text fragment started with it, across the two
    blocks, and no browser found it. A term with an id is named by its own words, then the definition's, each within
    its block, as a table's cells are; a term of a few words without one is left out of it."""
    page = ('<html><head><title>API</title><link rel=canonical href="https://example.org/api.html"></head><body><main>'
            '<section id="api"><h1>API<a class="headerlink" href="#api">¶</a></h1><p>The skyfetch module downloads '
            'images of the sky from the archive of the observatory.</p><dl class="py function"><dt class="sig '
            'sig-object py" id="skyfetch.fetch"><span class="sig-name descname"><span class="pre">fetch</span></span>'
            '<span class="sig-paren">(</span><em class="sig-param"><span class="n"><span class="pre">url</span></span>'
            '<span class="p"><span class="pre">:</span></span><span class="w"> </span><span class="n"><span class="pre">'
            'str</span></span></em><span class="sig-paren">)</span> <span class="sig-return"><span class="sig-return-'
            'icon">&#x2192;</span> <span class="sig-return-typehint"><span class="pre">bytes</span></span></span><a '
            'class="headerlink" href="#skyfetch.fetch">¶</a></dt><dd><p>Fetch one telescope image from the archive, '
            'which refuses more than a hundred images per batch.</p></dd></dl><dl class="glossary simple"><dt '
            'id="term-tile">tile<a class="headerlink" href="#term-tile">¶</a></dt><dd><p>one square patch of the sky '
            'survey</p></dd></dl><p>Note: the archive closes at noon on Sundays for maintenance.</p><dl class="simple">'
            '<dt><code>--force</code></dt><dd><p>Overwrite the telescope images already in the cache.</p></dd></dl>'
            '</section></main></body></html>')
    bot = fake_bot_for(make_corpus({"api.html": page}), answer_threshold=0.0)
    ex = _best(bot, "fetch telescope image archive refuses hundred images batch", "api.html")
    assert ex.highlight.startswith("fetch(url: str) → bytes: Fetch one telescope image")
    assert ex.citation.link == ("https://example.org/api.html#skyfetch.fetch:~:text=fetch(url%3A%20str)%20%E2%86%92"
                                "%20bytes,hundred%20images%20per%20batch.".replace("(", "%28").replace(")", "%29"))
    ex = _best(bot, "tile square patch sky survey", "api.html")
    assert ex.highlight == "tile: one square patch of the sky survey"
    assert ex.citation.link == "https://example.org/api.html#term-tile:~:text=tile,of%20the%20sky%20survey"
    ex = _best(bot, "overwrite telescope images already cache force", "api.html")
    assert ex.highlight == "--force: Overwrite the telescope images already in the cache."
    assert ex.citation.link == ("https://example.org/api.html#api:~:text=Overwrite%20the%20telescope%20images%20"
                                "already%20in%20the%20cache.")
    ex = _best(bot, "archive closes noon Sundays maintenance", "api.html")  # a label, on the page: left out too
    assert ex.citation.link == ("https://example.org/api.html#api:~:text=the%20archive%20closes%20at,on%20Sundays%20"
                                "for%20maintenance.")


def test_a_markdown_citation_links_to_its_heading(make_corpus, fake_bot_for) -> None:
    """A Markdown page with a url (its front matter's) was linked to with no heading's anchor: a browser that did not
    find the text fragment opened the page at its top. The anchor is the heading's id on the page: the one its source
    gives ({#setup}), else GitHub's slug of its text, a second one of the same name taking "-1"."""
    notes = ("---\ntitle: Dome notes\nurl: https://example.org/dome/\n---\n\n# Dome notes\n\nAn introduction.\n\n"
             "## Wind limits (m/s)\n\nThe dome closes above fifteen metres per second of wind.\n\n"
             "## Install {#setup}\n\nRun the installer from the observatory share.\n\n"
             "## Wind limits (m/s)\n\nThe telescope parks above twenty metres per second of gusts.\n")
    bot = fake_bot_for(make_corpus({"dome.md": notes}), answer_threshold=0.0)
    for question, section, link in (
            ("dome closes fifteen metres wind", "Wind limits (m/s)", "https://example.org/dome/#wind-limits-ms:~:text="),
            ("run installer observatory share", "Install", "https://example.org/dome/#setup:~:text="),
            ("telescope parks twenty metres gusts", "Wind limits (m/s)", "https://example.org/dome/#wind-limits-ms-1:~:text=")):
        ex = _best(bot, question, "dome.md")
        assert ex.citation.section == section and ex.citation.link.startswith(link)
        _round_trips(bot, ex)


def test_a_markdown_headings_anchor_keeps_its_letters_vowel_signs_as_github_does(make_corpus, fake_bot_for) -> None:
    """GitHub's slugger keeps every letter, mark and digit of a heading and drops symbols and other numbers ("²"): the
    anchor dropped the vowel signs of Hindi, Bengali or Thai ("हिन्दी में" was #हनद-म), and a heading written in
    decomposed accents (as macOS saves them), so the link landed on no heading."""
    from qabot.corpus.markdown_tags import heading_anchor

    assert heading_anchor("हिन्दी में स्थापना", "हिन्दी में स्थापना") == "हिन्दी-में-स्थापना"
    assert heading_anchor("x", "Cafe\u0301 area (m²)") == "cafe\u0301-area-m"
    notes = "---\ntitle: Dome notes\nurl: https://example.org/dome/\n---\n\n## गुंबद खोलना\n\nगुंबद शाम को खुलता है।\n"
    bot = fake_bot_for(make_corpus({"dome.md": notes}), answer_threshold=0.0)
    ex = _best(bot, "गुंबद शाम खुलता", "dome.md")
    assert unquote(ex.citation.link).startswith("https://example.org/dome/#गुंबद-खोलना:~:text=")


def test_a_markdown_heading_in_an_mkdocs_project_links_to_the_anchor_mkdocs_gives_it(make_corpus, fake_bot_for) -> None:
    """MkDocs (Python-Markdown's toc) makes "step-1-install" of "Step 1 - Install" (GitHub: "step-1---install"),
    "cafe" of "Café" ("café") and "setup_1" of a second "Setup" ("setup-1"): the link missed the heading."""
    dome = ("---\nurl: https://example.org/dome/\n---\n\n# Dome\n\n## Step 1 - Install\n\nRun the installer from the "
            "observatory share.\n\n## Café\n\nThe café opens at dusk for the night staff.\n\n## Setup\n\nPark the "
            "mount.\n\n## Setup\n\nThe telescope parks itself when gusts pass twenty metres a second.\n")
    readme = "---\nurl: https://example.org/readme\n---\n\n## Step 1 - Build\n\nCompile the plugin with make.\n"
    annex = "---\nurl: https://example.org/annex/\n---\n\n## Café\n\nThe annex kitchen closes at midnight.\n"
    corpus = make_corpus({"mkdocs.yml": "site_name: Dome\n", "docs/dome.md": dome, "README.md": readme,
                          "annex/mkdocs.yml": "markdown_extensions:\n  - toc:\n      slugify: !!python/object/apply:"
                          "pymdownx.slugs.slugify {kwds: {case: lower}}\n", "annex/docs/kitchen.md": annex})
    bot = fake_bot_for(corpus, answer_threshold=0.0)
    for question, anchor in (("run installer observatory share", "step-1-install"),
                             ("cafe opens dusk night staff", "cafe"), ("telescope parks gusts", "setup_1")):
        ex = _best(bot, question, "docs/dome.md")
        assert unquote(ex.citation.link).startswith(f"https://example.org/dome/#{anchor}:~:text="), ex.citation.link
    # Not a page of MkDocs' (the project's README), or one whose slugs are its own: GitHub's slugs, as before.
    for question, source, anchor in (("compile plugin make", "README.md", "step-1---build"),
                                     ("annex kitchen closes midnight", "annex/docs/kitchen.md", "café")):
        assert f"#{anchor}:~:text=" in unquote(_best(bot, question, source).citation.link)


def test_a_docx_citation_names_its_section(bot) -> None:
    ex = _best(bot, "What balance did the treasurer report at the end of the year?", "minutes.docx")
    assert ex.citation.section == "Treasurer's report" and ex.citation.location.startswith("§ Treasurer's report, ¶ ")
    assert ex.citation.title == "Minutes of the 1998 general meeting"
    _round_trips(bot, ex)


def test_a_discord_citation_is_the_message_its_author_and_time(bot) -> None:
    ex = _best(bot, "Ben how should patterns.glob be saved UTF-8?", "help.json")
    citation = ex.citation
    assert "Ben: Yes: the trick is to save patterns.glob as UTF-8" in ex.highlight
    assert (citation.author, citation.date) == ("Ben", "2024-05-01T18:04:10+00:00")
    assert citation.link == "https://discord.com/channels/81384788765712384/381889648827301889/1002"
    assert citation.location == "Ben, 2024-05-01 18:04 UTC, ¶ 2"
    assert "Ana: Has anyone got the glob tool working" in ex.text  # the question it answers, in one passage
    _round_trips(bot, ex)


def test_no_boilerplate_is_stored_or_quoted(bot) -> None:
    index = bot.index
    rows = {p.source: p.doc for p in index.passages(range(bot.manifest.passages)).values()}
    stored = index.text(rows["install.html"], 0, 10**6)
    for junk in documents.BOILERPLATE:
        assert junk not in stored, junk
    for question in ("Switch theme light or dark", "Accept all cookies", "keyboard shortcuts help search"):
        for ex in bot.ask(question, k=10).excerpts:
            assert not any(junk in ex.text for junk in documents.BOILERPLATE), (question, ex.text)


def test_context_opens_the_paragraph_of_derived_text(bot) -> None:
    ex = _best(bot, "How is the glob tool installed with pip?", "install.html")
    context = bot.context(ex)
    assert context.paragraph.startswith("The glob tool is installed with pip install globtool")
    assert context.citation.link == ex.citation.link
    assert context.after == ["Configuration"]  # the heading that follows


def test_front_ends_show_the_page_and_the_link(bot) -> None:
    answer = bot.ask("How is the glob tool installed with pip?", k=5)
    html = next(ex for ex in answer.excerpts if ex.citation.source == "install.html")
    answer.excerpts = [html, *[ex for ex in answer.excerpts if ex is not html]]
    plain = plain_answer(answer)
    assert f"    link: {html.citation.link}" in plain
    embed = answer_embed(answer, shown=4)
    source = next(field.value for field in embed.fields if field.name == "Source")
    assert source.startswith(f"**[Installing the glob tool](<{html.citation.link}>)**")
    assert answer.model_dump()["excerpts"][0]["citation"]["link"] == html.citation.link

    pdf = bot.ask("Where does every project keep its patterns.glob file?", k=5)
    assert "manual.pdf, p. 2, § 2.4. The glob files" in plain_answer(pdf)


def test_a_chat_message_without_a_title_links_its_place(bot) -> None:
    ex = _best(bot, "Ben how should patterns.glob be saved UTF-8?", "help.json")
    untitled = ex.model_copy(update={"citation": ex.citation.model_copy(update={"title": None})})
    answer = bot.ask("patterns.glob UTF-8", k=1).model_copy(update={"excerpts": [untitled], "answered": True})
    source = next(field.value for field in answer_embed(answer, 1).fields if field.name == "Source")
    assert source.startswith("`help.json`, [Ben, ") and source.endswith(f"](<{ex.citation.link}>)")


def test_bad_files_beside_good_ones_are_skipped_with_reasons(folder: Path, fake_bot_for) -> None:
    documents.write_pdf(folder / "locked.pdf", password="secret")
    documents.write_scanned_pdf(folder / "scan.pdf")
    documents.write_fake_docx(folder / "fake.docx")
    (folder / "package.json").write_text('{"name": "not a chat"}')
    bot = fake_bot_for(folder, answer_threshold=0.0)
    skipped = "\n".join(bot.manifest.skipped_messages())
    for name in ("locked.pdf", "scan.pdf", "fake.docx", "package.json"):
        assert f"skipping {name}: " in skipped
    assert bot.manifest.indexed_files == 4


def test_a_changed_pdf_is_read_again_and_only_its_changed_passages_embedded(folder: Path, fake_bot_for) -> None:
    bot = fake_bot_for(folder)
    first = bot.manifest
    edited = {**documents.MANUAL, "3 Performance": "Matching is now twice as fast, since the patterns are compiled once."}
    documents.write_pdf(folder / "manual.pdf", labels=True, sections=edited)
    assert bot.refresh().updated
    manifest = bot.manifest
    assert 0 < manifest.embedded < manifest.passages  # the old passages lent the vectors of those that did not change
    assert manifest.build != first.build
    ex = _best(bot, "How fast is matching now that patterns are compiled once?", "manual.pdf")
    assert "twice as fast" in ex.text and ex.citation.page == 4


def test_qabot_ask_json_carries_page_and_link(folder: Path, tmp_path: Path) -> None:
    env = {**os.environ, "QABOT_CORPUS_DIR": str(folder), "QABOT_INDEX_DIR": str(tmp_path / "idx"),
           "QABOT_ANSWER_THRESHOLD": "0"}
    result = subprocess.run([*FAKE_QABOT, "ask", "Where does every project keep its patterns.glob file?",
                             "--k", "5", "--json"], capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    citations = [ex["citation"] for ex in json.loads(result.stdout)["excerpts"]]
    pdf = next(c for c in citations if c["source"] == "manual.pdf")
    assert (pdf["page"], pdf["page_label"], pdf["location"]) == (3, "2", "p. 2, § 2.4. The glob files")


def test_qabot_repl_answers_and_opens_derived_text(folder: Path, tmp_path: Path) -> None:
    env = {**os.environ, "QABOT_CORPUS_DIR": str(folder), "QABOT_INDEX_DIR": str(tmp_path / "idx"),
           "QABOT_ANSWER_THRESHOLD": "0", "QABOT_WATCH": "false"}
    script = ":k 1\nHow is the glob tool installed with pip globtool?\n:open 1\n"
    result = subprocess.run([*FAKE_QABOT, "repl"], input=script, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    assert "[1] Installing the glob tool — install.html, § Installing, ¶ 1" in result.stdout
    assert "    link: https://docs.example.org/glob/install.html#installing:~:text=" in result.stdout
    assert "  > **The glob tool is installed with pip install globtool" in result.stdout  # :open, the paragraph


def test_an_excerpt_of_a_chat_stays_in_its_conversation(bot) -> None:
    ex = _best(bot, "Ben how should patterns.glob be saved UTF-8?", "help.json")
    assert "Ana: Has anyone got the glob tool working" in ex.text
    assert "dome camera" not in ex.text  # the next day's message, another conversation
