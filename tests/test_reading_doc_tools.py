"""Markdown as documentation tools write it (Docusaurus, MyST, Hugo, VitePress): what their pages show as text and
what is markup.

Each test writes a small file modelled on real projects' docs and reads it with qabot's readers; the text stays the
file's, and only the paragraphs' spans leave the markup out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qabot.corpus import CorpusFile, document_paragraphs, load_file


def _markdown(tmp_path: Path, name: str, content: str) -> list[tuple[str | None, str]]:
    """(section, text) of each paragraph of ``content`` read as the file ``name``, whose text is the file's."""
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    warnings: list[str] = []
    docs = list(load_file(CorpusFile(path, path.name), warnings.append))
    assert len(docs) == 1 and not warnings, warnings
    doc = docs[0]
    assert doc.text == content
    return [(p.section, doc.text[p.start : p.end]) for p in document_paragraphs(doc) if not p.heading]


def test_markdown_a_rule_a_spacer_and_link_definitions_are_no_text(tmp_path: Path) -> None:
    # Redux's API pages part methods with "---" and "&nbsp;"; READMEs and MyST's docs define links at the bottom.
    content = ("# Store\n\n## getState()\n\nReturns the current state tree.\n\n---\n\n&nbsp;\n\n## dispatch(action)\n\n"
               "Dispatches an action, as [the guide][guide] says.\n\n* * *\n\n[guide]: https://example.org/guide\n"
               '[api]: <https://example.org/api> "The API"\n\n> Quoted, with a [link][q].\n>\n> [q]: https://example.org/q\n'
               "\n[^1]: A footnote is text.\n")
    assert _markdown(tmp_path, "store.md", content) == [
        ("getState()", "Returns the current state tree."),
        ("dispatch(action)", "Dispatches an action, as [the guide][guide] says."),
        ("dispatch(action)", "> Quoted, with a [link][q]."),
        ("dispatch(action)", "[^1]: A footnote is text."),
    ]
    # in plain text, every line is text
    assert ("getState()", "---") in _markdown(tmp_path, "store.txt", content)


def test_markdown_myst_colon_directives_read_as_admonitions_and_targets_are_no_text(tmp_path: Path) -> None:
    # As MyST-Parser's own docs write them (docs/syntax/admonitions.md, docs/configuration.md)
    content = ("(install)=\n# Installation\n\n:::{note}\nInstall Python first.\n:::\n\n"
               ":::{admonition} Before you start\n:class: tip\n:name: before\n\nMake sure Python is installed.\n:::\n\n"
               ":::{tip}\n:class: dropdown\nLet's give readers a helpful hint!\n:::\n\n"
               "::::{tab-set}\n:::{tab-item} pip\nInstall with pip.\n:::\n::::\n\n(later)=\nThen fetch a survey.\n")
    assert _markdown(tmp_path, "install.md", content) == [
        ("Installation", "Install Python first."),
        ("Installation", "Before you start"),
        ("Installation", "Make sure Python is installed."),
        ("Installation", "Let's give readers a helpful hint!"),
        ("Installation", "pip"),
        ("Installation", "Install with pip."),
        ("Installation", "Then fetch a survey."),
    ]


def test_markdown_myst_fenced_directives_read_as_the_markdown_they_hold(tmp_path: Path) -> None:
    # MyST's directives in backticks, as Jupyter Book and MyST-Parser's docs write them: an admonition's body is
    # Markdown (its code is code), a code block's is code.
    content = ("# Install\n\n```{note}\nInstall Python first, then run the installer.\n```\n\n"
               "````{admonition} Before you start\n:class: tip\n\nMake sure Python is installed:\n\n"
               "```bash\npip install skyfetch\n```\n````\n\n"
               "```{code-block} python\nimport skyfetch\n```\n\n"
               "```{figure} sky.png\n---\nwidth: 200px\n---\nThe sky over the dome.\n```\n\n"
               "- In a list:\n\n  ```{versionadded} 1.2\n  The `--quiet` option.\n  ```\n\nThen fetch a survey.\n")
    assert _markdown(tmp_path, "install.md", content) == [
        ("Install", "Install Python first, then run the installer."),
        ("Install", "Before you start"),
        ("Install", "Make sure Python is installed:"),
        ("Install", "```bash\npip install skyfetch\n```"),
        ("Install", "```{code-block} python\nimport skyfetch\n```"),
        ("Install", "The sky over the dome."),
        ("Install", "- In a list:"),
        ("Install", "1.2"),
        ("Install", "The `--quiet` option."),
        ("Install", "Then fetch a survey."),
    ]


def test_markdown_docusaurus_imports_in_a_md_file_are_no_text(tmp_path: Path) -> None:
    # Docusaurus reads a .md file as MDX: Redux's docs (faq/CodeStructure.md, introduction/GettingStarted.md) import
    # components into them.
    content = ("---\ntitle: Code Structure\n---\n\nimport { DetailedExplanation } from '../components/DetailedExplanation'\n"
               "import LiteYouTubeEmbed from 'react-lite-youtube-embed';\nimport 'react-lite-youtube-embed/dist/style.css'\n\n"
               "import {\n  Tabs,\n  TabItem,\n} from '@theme/Tabs'\n\n## Code Structure\n\n"
               "Import the store from the module that creates it.\n\nimport the slices first, then the store.\n")
    assert _markdown(tmp_path, "CodeStructure.md", content) == [
        ("Code Structure", "Import the store from the module that creates it."),
        ("Code Structure", "import the slices first, then the store."),
    ]


def test_markdown_hugo_shortcodes_are_no_text_but_their_titles(tmp_path: Path) -> None:
    # As Hugo sites write them: Docsy's landing page (content/en/_index.md) and Kubernetes' notes and tabs
    content = ('---\ntitle: Skyfetch\n---\n\n{{% blocks/cover\n  title="Welcome to Skyfetch"\n  image_anchor="top"\n%}}\n'
               '\n<div class="td-cta-buttons">\n  <a href="docs/">Learn more</a>\n  {{% _param FA brands github "" %}}\n'
               '</div>\n\n{{% /blocks/cover %}}\n\n{{% blocks/lead color="white" %}}\n'
               "Skyfetch fetches survey tiles for your telescope.\n{.display-6}\n{{% /blocks/lead %}}\n\n## Install\n\n"
               '{class="lead" style=compact}\n'
               "{{< note >}}\nInstall Python first.\n{{< /note >}}\n\n{{< tabs >}}\n"
               '{{% tab name="pip" %}}\nRun `pip install skyfetch`.\n{{% /tab %}}\n{{< /tabs >}}\n\n'
               '{{% alert title="Warning" color="warning" %}}\nOld tiles are deleted.\n{{% /alert %}}\n\n'
               'The {{< glossary_tooltip text="cache" term_id="cache" >}} is shared.\n')
    assert _markdown(tmp_path, "_index.md", content) == [
        (None, "Welcome to Skyfetch"),
        (None, "Learn more"),
        (None, "Skyfetch fetches survey tiles for your telescope."),
        ("Install", "Install Python first."),
        ("Install", "Run `pip install skyfetch`."),
        ("Install", "Warning"),
        ("Install", "Old tiles are deleted."),
        ("Install", 'The {{< glossary_tooltip text="cache" term_id="cache" >}} is shared.'),  # a shortcode in text stays
    ]


def test_markdown_a_line_that_includes_another_file_is_no_text(tmp_path: Path) -> None:
    # FastAPI's docs ({* ... *}), MkDocs Material's snippets (--8<--), VitePress' code snippets (<<<), mkdocs-macros'
    # and Jekyll's tags ({% ... %}): the page shows the file's text there, not the line.
    content = ("# First steps\n\nCopy the app into a file:\n\n{* ../../docs_src/first_steps/tutorial001_py39.py hl[3] *}\n\n"
               'Run it with uvicorn.\n--8<-- "includes/abbreviations.md"\n\n<<< @/snippets/snippet.js{2}\n\n'
               "{% include note.md %}\nThe {% raw %} tag keeps braces.\n\n"
               ';--8<-- "shown.md" is how the snippet syntax is written out.\n\n<<< is a heredoc\'s cousin.\n')
    assert _markdown(tmp_path, "first-steps.md", content) == [
        ("First steps", "Copy the app into a file:"),
        ("First steps", "Run it with uvicorn."),
        ("First steps", "The {% raw %} tag keeps braces."),  # a tag in a sentence stays, as a shortcode does
        ("First steps", ';--8<-- "shown.md" is how the snippet syntax is written out.'),
        ("First steps", "<<< is a heredoc's cousin."),
    ]


def test_markdown_a_table_of_contents_marker_is_no_text(tmp_path: Path) -> None:
    # VitePress' getting-started page opens with "[[toc]]"; MkDocs' toc extension and Typora read "[TOC]", GitLab
    # "[[_TOC_]]", markdown-it-toc-done-right "${toc}": the page shows the links to its headings there, not the
    # marker, which was a paragraph of its own under the page's title.
    content = ("# Getting Started\n\n[[toc]]\n\n## Installation\n\n[TOC]\n\nInstall Node.js 18 first.\n\n[[_TOC_]]\n\n"
               "${toc}\n\n[toc] is how the marker is written.\n")
    assert _markdown(tmp_path, "getting-started.md", content) == [
        ("Installation", "Install Node.js 18 first."),
        ("Installation", "[toc] is how the marker is written."),  # in a sentence, it is text
    ]


def test_markdown_a_jekyll_include_shows_the_text_it_passes(tmp_path: Path) -> None:
    # The Jekyll documentation theme's callouts: '{% include note.html content="..." %}' shows its content in a box;
    # an include that passes no text (an image's, a variable's) shows none of the line.
    content = ("# Install\n\nRun the installer first.\n\n"
               '{% include note.html content="The installer needs administrator rights on Windows." %}\n\n'
               "{%- include warning.html content='Back up the catalog before upgrading.' type=\"danger\" -%}\n\n"
               '{% include_relative tip.html content="Keep the installer for repairs." %}\n\n'
               '{% include image.html file="setup.png" alt="The setup screen" %}\n\n'
               "{% include callout.html content=page.summary %}\n\nThen reboot.\n")
    assert _markdown(tmp_path, "install.md", content) == [
        ("Install", "Run the installer first."),
        ("Install", "The installer needs administrator rights on Windows."),
        ("Install", "Back up the catalog before upgrading."),
        ("Install", "Keep the installer for repairs."),
        ("Install", "Then reboot."),
    ]


def test_markdown_a_list_item_is_never_a_heading(tmp_path: Path) -> None:
    # MyST-Parser's docs/syntax/cross-referencing.md: short numbered items, with an attribute list ({style=...})
    content = ("# Links\n\nMyST resolves link destinations by these rules:\n\n"
               "1. Destinations beginning with a scheme\n\n   {style=lower-roman}\n"
               "   1. Destinations beginning with `project:` will be treated as internal references\n"
               "   2. Destinations beginning with `path:` will be treated as downloadable files\n\n"
               "2. Destinations which point to a local file path\n\nThen the link is checked.\n")
    assert _markdown(tmp_path, "links.md", content) == [
        ("Links", "MyST resolves link destinations by these rules:"),
        ("Links", "1. Destinations beginning with a scheme"),
        ("Links", "1. Destinations beginning with `project:` will be treated as internal references"),
        ("Links", "2. Destinations beginning with `path:` will be treated as downloadable files"),
        ("Links", "2. Destinations which point to a local file path"),
        ("Links", "Then the link is checked."),
    ]


def test_markdown_a_paragraph_that_is_one_element_reads_as_its_text(tmp_path: Path) -> None:
    # Vite's VitePress docs (guide/build.md, config/index.md) open pages with a component around a line of text
    content = ("# Building for Production\n\n"
               '<ScrimbaLink href="https://scrimba.com/lesson?via=vite" title="Building">Watch an interactive lesson'
               "</ScrimbaLink>\n\nRun `vite build`.\n\n<kbd>Ctrl</kbd> + <kbd>C</kbd> stops the server.\n\n"
               "<b>Note</b>: the output goes to <code>dist</code>\n\n<code>dist</code> or <code>build</code>\n")
    assert _markdown(tmp_path, "build.md", content) == [
        ("Building for Production", "Watch an interactive lesson"),
        ("Building for Production", "Run `vite build`."),
        ("Building for Production", "<kbd>Ctrl</kbd> + <kbd>C</kbd> stops the server."),  # inline HTML in text stays
        ("Building for Production", "<b>Note</b>: the output goes to <code>dist</code>"),
        ("Building for Production", "<code>dist</code> or <code>build</code>"),
    ]


# -- HTML that documentation tools write ----------------------------------------------------


_SPHINX_CLASSIC = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
  "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>Requirements and Installation &mdash; Skyfetch 1.0 documentation</title>
<link rel="stylesheet" href="_static/sphinxdoc.css" type="text/css" />
<script type="text/javascript" src="_static/doctools.js"></script>
</head><body>
<div class="related"><h3>Navigation</h3><ul>
<li class="right"><a href="genindex.html" title="General Index" accesskey="I">index</a></li>
<li class="right"><a href="background.html" title="Background" accesskey="N">next</a> |</li>
<li><a href="index.html">Skyfetch 1.0 documentation</a> &raquo;</li>
</ul></div>
<div class="sphinxsidebar"><div class="sphinxsidebarwrapper">
<h3><a href="index.html">Table Of Contents</a></h3>
<ul><li><a class="reference internal" href="#">Requirements and Installation</a><ul>
<li><a class="reference internal" href="#requirements">Requirements</a></li>
<li><a class="reference internal" href="#installation">Installation</a></li></ul></li></ul>
<h4>Previous topic</h4><p class="topless"><a href="intro.html" title="previous chapter">Introduction</a></p>
<h3>This Page</h3><ul class="this-page-menu"><li><a href="_sources/install.txt" rel="nofollow">Show Source</a></li></ul>
</div></div>
<div class="document"><div class="documentwrapper"><div class="bodywrapper"><div class="body">
<div class="section" id="requirements-and-installation">
<h1>Requirements and Installation</h1>
<p>Skyfetch is a single program. Running <tt class="docutils literal"><span class="pre">./configure</span></tt> and
<tt class="docutils literal"><span class="pre">make</span></tt> builds it and copies it into the chosen directory.</p>
<div class="section" id="requirements"><h2>Requirements</h2>
<ul class="simple">
<li>A C compiler that supports the C11 standard, which includes gcc 4.8 or newer and clang 3.4 or newer.</li>
<li>The libcurl libraries, version 7.50 or newer, with their headers installed.</li>
<li>Make. The configure script and Makefile were created with autoconf and automake.</li>
</ul></div>
<div class="section" id="installation"><h2>Installation</h2>
<ol class="arabic">
<li><p class="first">Find where your libcurl libraries are. Locate them with
<tt class="docutils literal"><span class="pre">locate libcurl</span></tt> and build with the following options to configure:</p>
<div class="highlight-python"><pre>./configure --with-curl=/usr/local/curl-7.50 --enable-tls</pre>
</div>
<p>Proper choice of the curl directory will lead to a string of
<tt class="docutils literal"><span class="pre">yes</span></tt> in the configure output:</p>
<div class="highlight-python"><pre>checking for curl_easy_init in -lcurl... yes
checking for SSL_new in -lssl... yes
checking for inflate in -lz... yes</pre>
</div>
</li>
<li><p class="first">Change the destination directory by adding a flag to configure:</p>
<div class="highlight-python"><pre>./configure --prefix=$HOME</pre>
</div>
<p>With this option, skyfetch will be installed into the directory $HOME/bin.
It is possible to change the compiler and linker flags:</p>
<div class="highlight-python"><pre>./configure CC=gcc CFLAGS=&quot;-O2 -march=native&quot;</pre>
</div>
<p>All of these sample flags can be used together, and help is found with ./configure --help.</p>
</li>
<li><p class="first">Lastly, build the program and install it:</p>
<div class="highlight-python"><pre>make
make install</pre>
</div>
</li>
</ol>
<p>Should it be necessary to rebuild the <tt class="docutils literal"><span class="pre">configure</span></tt> script:</p>
<ol class="arabic simple">
<li>Run <tt class="docutils literal"><span class="pre">autoreconf</span> <span class="pre">--force</span> <span class="pre">--install</span></tt>.</li>
</ol>
</div></div>
</div></div></div><div class="clearer"></div></div>
<div class="footer">&copy; Copyright 2013, Skyfetch authors. Created using <a href="http://sphinx.pocoo.org/">Sphinx</a> 1.1.3.</div>
</body></html>
"""


def test_html_a_short_code_block_in_sphinx_s_wrapper_is_kept(tmp_path: Path) -> None:
    # A Sphinx 1.1 page (afidd/afidd.github.io's install.html): trafilatura's readability fallback, which it took for
    # this page, drops a <div> of fewer than 25 characters, and with it the code block that is all it holds.
    path = tmp_path / "install.html"
    path.write_text(_SPHINX_CLASSIC, encoding="utf-8")
    doc = next(load_file(CorpusFile(path, path.name)))
    texts = [doc.text[p.start : p.end] for p in document_paragraphs(doc) if not p.heading]
    assert "3. Lastly, build the program and install it:" in texts
    assert texts[texts.index("3. Lastly, build the program and install it:") + 1] == "make\nmake install"
    assert "./configure --prefix=$HOME" in texts


def _page_texts(tmp_path: Path, name: str, page: str) -> list[str]:
    """The text of each paragraph but the headings of ``page``, saved as ``name`` and read."""
    path = tmp_path / name
    path.write_text(page, encoding="utf-8")
    doc = next(load_file(CorpusFile(path, path.name)))
    return [doc.text[p.start : p.end] for p in document_paragraphs(doc) if not p.heading]


def _doxygen_member(ident: str, name: str, rows: str, doc: str) -> str:
    return (f'<a id="{ident}"></a>\n<h2 class="memtitle"><span class="permalink"><a href="#{ident}">&#9670;&nbsp;</a>'
            f'</span>{name}()</h2>\n<div class="memitem">\n<div class="memproto">\n<table class="memname">\n{rows}'
            f'</table>\n</div><div class="memdoc">\n{doc}\n</div>\n</div>\n')


_DOXYGEN = ("""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head>
<meta http-equiv="Content-Type" content="text/xhtml;charset=UTF-8"/>
<meta name="generator" content="Doxygen 1.8.13"/>
<title>Skyfetch: skyfetch.h File Reference</title>
<link href="doxygen.css" rel="stylesheet" type="text/css" />
</head><body>
<div id="top"><div id="titlearea"><table cellspacing="0" cellpadding="0"><tbody><tr style="height: 56px;">
<td id="projectalign" style="padding-left: 0.5em;"><div id="projectname">Skyfetch&#160;<span id="projectnumber">1.0.0</span>
</div><div id="projectbrief">survey tiles for small telescopes</div></td></tr></tbody></table></div>
<div id="main-nav"></div></div>
<div id="doc-content"><div class="header"><div class="headertitle"><div class="title">skyfetch.h File Reference</div></div></div>
<div class="contents">
<p>The library's main header.  <a href="#details">More...</a></p>
<table class="memberdecls">
<tr class="heading"><td colspan="2"><h2 class="groupheader"><a name="func-members"></a>Functions</h2></td></tr>
<tr class="memitem:a1"><td class="memItemLeft" align="right" valign="top">int&#160;</td><td class="memItemRight" valign="bottom">"""
            """<a class="el" href="#a1">sky_open</a> (const char *path)</td></tr>
<tr class="memdesc:a1"><td class="mdescLeft">&#160;</td><td class="mdescRight">Opens a survey.  <a href="#a1">More...</a><br /></td></tr>
<tr class="separator:a1"><td class="memSeparator" colspan="2">&#160;</td></tr>
</table>
<a name="details" id="details"></a><h2 class="groupheader">Detailed Description</h2>
<div class="textblock"><p>The library's main header. </p></div>
<h2 class="groupheader">Function Documentation</h2>
"""
            + _doxygen_member("a1", "sky_open", '<tr><td class="memname">int sky_open </td><td>(</td>'
                              '<td class="paramtype">const char *&#160;</td><td class="paramname"><em>path</em></td>'
                              "<td>)</td><td></td></tr>\n",
                              "<p>Opens a survey, reading its index from the folder at path. </p>\n"
                              '<dl class="params"><dt>Parameters</dt><dd>\n  <table class="params">\n'
                              '    <tr><td class="paramdir">[in]</td><td class="paramname">path</td>'
                              "<td>The survey's folder.</td></tr>\n"
                              '    <tr><td class="paramdir">[in]</td><td class="paramname">flags</td>'
                              "<td>How to open it.</td></tr>\n  </table>\n  </dd>\n</dl>\n"
                              '<dl class="section return"><dt>Returns</dt><dd>0 on success, -1 if the folder holds no '
                              "survey. </dd></dl>")
            + _doxygen_member("a2", "sky_fetch", '<tr><td class="memname">int sky_fetch </td><td>(</td>'
                              '<td class="paramtype">int&#160;</td><td class="paramname"><em>tile</em>, </td></tr>\n'
                              '<tr><td class="paramkey"></td><td></td><td class="paramtype">int&#160;</td>'
                              '<td class="paramname"><em>level</em>&#160;</td></tr>\n<tr><td></td><td>)</td><td></td>'
                              "<td></td></tr>\n",
                              "<p>Fetches one tile of the survey at the given zoom level, and caches it.</p>")
            + """</div></div>
<div id="nav-path" class="navpath"><ul><li class="navelem"><a class="el" href="skyfetch_8h.html">skyfetch.h</a></li>
<li class="footer">Generated by <a href="http://www.doxygen.org/index.html"><img class="footer" src="doxygen.png" alt="doxygen"/></a> 1.8.13 </li>
</ul></div></body></html>
""")


def _doxygen_page(tmp_path: Path) -> list[tuple[str | None, str]]:
    path = tmp_path / "skyfetch_8h.html"
    path.write_text(_DOXYGEN, encoding="utf-8")
    doc = next(load_file(CorpusFile(path, path.name)))
    return [(p.section, doc.text[p.start : p.end]) for p in document_paragraphs(doc) if not p.heading]


def test_html_doxygen_each_function_is_a_section_of_its_own(tmp_path: Path) -> None:
    # Doxygen 1.8.13's file reference (Danya0x07/ds18b20-simple-library's docs/html): trafilatura drops the
    # <h2 class="memtitle"> over each function, and it was put back nowhere, its prototype being a table.
    texts = _doxygen_page(tmp_path)
    assert ("sky_open()", "Opens a survey, reading its index from the folder at path.") in texts
    assert ("sky_fetch()", "Fetches one tile of the survey at the given zoom level, and caches it.") in texts


def test_html_doxygen_a_parameter_table_reads_a_row_a_paragraph(tmp_path: Path) -> None:
    # A table in a list item (Doxygen's <dl class="params"><dd><table class="params">): trafilatura keeps its cells
    # but not its rows, and their words ran together ("[in]pathThe survey's folder.[in]flags...").
    texts = [text for _, text in _doxygen_page(tmp_path)]
    assert "[in] | path | The survey's folder." in texts
    assert "[in] | flags | How to open it." in texts


def test_html_a_heading_in_a_table_row_is_read_once_as_a_heading(tmp_path: Path) -> None:
    # Doxygen's member lists open with <tr class="heading"><td><h2 class="groupheader">Functions</h2></td></tr>:
    # trafilatura keeps it as a row of text, and it was put back as a heading too, right under itself.
    texts = _doxygen_page(tmp_path)
    assert ("Functions", "int | sky_open (const char *path)") in texts
    assert [text for _, text in texts].count("Functions") == 0


def test_html_doxygen_s_title_area_is_not_text_and_its_title_is_the_heading(tmp_path: Path) -> None:
    # Every Doxygen page opens with the project's name, number and brief (div#titlearea), then its own title.
    texts = _doxygen_page(tmp_path)
    assert texts[0] == ("skyfetch.h File Reference", "The library's main header. More...")
    assert ("Functions", "int | sky_open (const char *path)") in texts


def test_markdown_a_separator_after_a_tag_is_left_out_with_it(tmp_path: Path) -> None:
    # A README's centred row of links (excalidraw/excalidraw's README.md), each link on its line, then a " |"
    content = ('<h4 align="center">\n  <a href="https://example.org">Skyfetch Editor</a> |\n'
               '  <a href="https://example.org/blog">Blog</a> |\n  <a href="https://example.org/docs">Docs</a>\n</h4>\n\n'
               "## Features\n\nFetches tiles.\n")
    assert _markdown(tmp_path, "README.md", content) == [
        (None, "Skyfetch Editor"),
        (None, "Blog"),
        (None, "Docs"),
        ("Features", "Fetches tiles."),
    ]


def test_markdown_a_heading_written_in_html_names_its_section(tmp_path: Path) -> None:
    # A README's centred title (<h1 align="center">, as GitHub shows it, Markdown having no way to centre one) was a
    # paragraph of one word, "Skyfetch", and the text under it had no section.
    content = ('<p align="center">\n  <img src="logo.png" alt="Skyfetch logo" width="200">\n</p>\n\n'
               '<h1 align="center">Skyfetch</h1>\n\n'
               "[![PyPI](https://img.shields.io/pypi/v/skyfetch.svg)](https://pypi.org/project/skyfetch/)\n\n"
               "Skyfetch downloads images of the night sky from the archive.\n\n"
               '<h2 align="center">\n  Why skyfetch\n</h2>\n\nIt resumes a fetch that was cut off.\n')
    assert _markdown(tmp_path, "README.md", content) == [
        ("Skyfetch", "Skyfetch downloads images of the night sky from the archive."),
        ("Why skyfetch", "It resumes a fetch that was cut off."),
    ]



def test_markdown_a_heading_written_in_html_links_to_its_id(tmp_path: Path) -> None:
    # A README's "<h2 id="usage">" (a table of contents links to it): the passages under it linked to the top of the
    # page. A heading in HTML without an id has none: GitHub makes no slug for it.
    path = tmp_path / "README.md"
    path.write_text('<h1 align="center">Skyfetch</h1>\n\nSkyfetch downloads images of the night sky.\n\n'
                    '<h2 id="usage">Usage</h2>\n\nRun skyfetch with a date.\n\n'
                    '<h2><a name="faq"></a>Questions</h2>\n\nIt resumes a fetch that was cut off.\n', encoding="utf-8")
    (doc,) = load_file(CorpusFile(path, path.name))
    assert [(p.section, p.anchor) for p in document_paragraphs(doc) if not p.heading] == [
        ("Skyfetch", None), ("Usage", "usage"), ("Questions", "faq")]


def test_markdown_anchors_over_lines_are_no_text(tmp_path: Path) -> None:
    # nvm's README puts two anchors above a heading, for the links of an older table of contents
    content = ('# Skyfetch\n\nSkyfetch fetches survey tiles.\n\n<a id="installation-and-update"></a>\n'
               '<a id="install-script"></a>\n## Installing\n\nRun the script.\n')
    assert _markdown(tmp_path, "README.md", content) == [
        ("Skyfetch", "Skyfetch fetches survey tiles."),
        ("Installing", "Run the script."),
    ]


def test_markdown_a_line_of_badges_is_no_text(tmp_path: Path) -> None:
    # httpie's and Redux's READMEs open with lines of badges: images, as the HTML reader leaves <img> out
    content = ("# Skyfetch\n\n[![Build](https://img.shields.io/badge/build-passing-green)](https://ci.example.org)\n"
               "[![PyPI](https://img.shields.io/pypi/v/skyfetch.svg)](https://pypi.org/project/skyfetch) "
               "![](https://img.shields.io/badge/license-MIT-blue) [![Docs][docs-badge]][docs]\n\n"
               "Skyfetch fetches survey tiles.\n\n![Skyfetch's window](docs/window.png) shows the tiles.\n")
    assert _markdown(tmp_path, "README.md", content) == [
        ("Skyfetch", "Skyfetch fetches survey tiles."),
        ("Skyfetch", "![Skyfetch's window](docs/window.png) shows the tiles."),  # an image in a sentence stays
    ]


def test_markdown_a_github_alert_s_marker_is_no_text(tmp_path: Path) -> None:
    # GitHub's alerts (MyST-Parser's "alert" extension reads them too): "> [!NOTE]" over the quote it makes a callout
    content = ("# Install\n\n> [!NOTE]\n> Install Python first.\n\n> [!warning]  \n> Old tiles are deleted.\n\n"
               "> [!NOTE] is how GitHub marks a note.\n")
    assert _markdown(tmp_path, "README.md", content) == [
        ("Install", "> Install Python first."),
        ("Install", "> Old tiles are deleted."),
        ("Install", "> [!NOTE] is how GitHub marks a note."),
    ]


def test_html_sphinx_s_source_links_are_not_text(tmp_path: Path) -> None:
    # sphinx.ext.viewcode puts "[source]" after every signature it documents (Emory-Melody/GraphSlim's docs/_build)
    page = ('<!doctype html><html><head><title>skyfetch.cache — Skyfetch documentation</title></head><body><main>'
            '<section id="module-skyfetch.cache"><h1>skyfetch.cache<a class="headerlink" href="#module-skyfetch.cache"'
            ' title="Permalink to this heading">¶</a></h1><dl class="py class">'
            '<dt class="sig sig-object py" id="skyfetch.cache.Cache"><em class="property"><span class="pre">class'
            '</span><span class="w"> </span></em><span class="sig-prename descclassname"><span class="pre">'
            'skyfetch.cache.</span></span><span class="sig-name descname"><span class="pre">Cache</span></span>'
            '<span class="sig-paren">(</span><em class="sig-param"><span class="n"><span class="pre">folder</span>'
            '</span></em><span class="sig-paren">)</span><a class="reference internal" '
            'href="_modules/skyfetch/cache.html#Cache"><span class="viewcode-link"><span class="pre">[source]</span>'
            '</span></a><a class="headerlink" href="#skyfetch.cache.Cache" title="Link to this definition">¶</a></dt>'
            "<dd><p>Bases: <code>object</code></p><p>Keeps fetched tiles on disk, a week at most, in the folder given."
            "</p></dd></dl></section></main></body></html>")
    texts = _page_texts(tmp_path, "skyfetch.cache.html", page)
    assert texts[0] == "class skyfetch.cache.Cache(folder): Bases: object", texts


def test_html_sphinx_s_arrow_before_a_return_type_is_read(tmp_path: Path) -> None:
    # Sphinx writes "→ bytes" after a signature with a return annotation, the arrow in a <span class="sig-return-icon">,
    # which trafilatura dropped as an icon: the signature read "fetch(url: str) bytes", and on a short page the
    # definition was lost whole.
    page = ('<!doctype html><html><head><title>API — skyfetch documentation</title></head><body><main><section '
            'id="module-skyfetch"><h1>API</h1><p>Skyfetch fetches the sky images of the observatory\'s archive, night by '
            'night, and keeps them for a week.</p><dl class="py function"><dt class="sig sig-object py" '
            'id="skyfetch.fetch">'
            '<span class="sig-prename descclassname"><span class="pre">skyfetch.</span></span><span class="sig-name '
            'descname"><span class="pre">fetch</span></span><span class="sig-paren">(</span><em class="sig-param"><span'
            ' class="n"><span class="pre">url</span></span><span class="p"><span class="pre">:</span></span><span '
            'class="w"> </span><span class="n"><span class="pre">str</span></span></em><span class="sig-paren">)'
            '</span> <span class="sig-return"><span class="sig-return-icon">&#x2192;</span> <span class="sig-return-'
            'typehint"><span class="pre">bytes</span></span></span><a class="headerlink" href="#skyfetch.fetch" '
            'title="Link to this definition">¶</a></dt><dd><p>Fetch one image from the archive, which refuses more than '
            "100 images per batch.</p></dd></dl></section></main></body></html>")
    assert _page_texts(tmp_path, "api.html", page)[1:] == [
        ("skyfetch.fetch(url: str) → bytes: Fetch one image from the archive, which refuses more than 100 images per "
         "batch.")]


def test_html_sphinx_s_sidebar_is_not_text_of_a_short_page(tmp_path: Path) -> None:
    # Alabaster (Sphinx's default theme) as Sphinx 9 writes a page of one paragraph: its sidebar's "Related Topics"
    # ("Documentation overview", "Previous: API") was read as the page's last paragraph, on every short page.
    page = ('<!DOCTYPE html><html lang="en" data-content_root="./"><head><meta charset="utf-8" /><title>Search tips '
            '&#8212; skyfetch  documentation</title><link rel="prev" title="API" href="api.html" /></head><body>'
            '<div class="document"><div class="documentwrapper"><div class="bodywrapper"><div class="body" '
            'role="main"><section id="search-tips"><h1>Search tips<a class="headerlink" href="#search-tips" '
            'title="Link to this heading">¶</a></h1><p>To find an image by its date, type the date in the archive’s '
            'search box as 2024-03-01.</p></section></div></div></div><div class="sphinxsidebar" role="navigation" '
            'aria-label="Main"><div class="sphinxsidebarwrapper"><h1 class="logo"><a href="index.html">skyfetch</a>'
            '</h1><search id="searchbox" style="display: none" role="search"><div class="searchformwrapper"><form '
            'class="search" action="search.html" method="get"><input type="text" name="q" placeholder="Search"/>'
            '<input type="submit" value="Go" /></form></div></search><h3>Navigation</h3><ul class="current"><li '
            'class="toctree-l1"><a class="reference internal" href="api.html">API</a></li><li class="toctree-l1 '
            'current"><a class="current reference internal" href="#">Search tips</a></li></ul><div class="relations">'
            '<h3>Related Topics</h3><ul><li><a href="index.html">Documentation overview</a><ul><li>Previous: <a '
            'href="api.html" title="previous chapter">API</a></li></ul></li></ul></div></div></div><div '
            'class="clearer"></div></div><div class="footer">&#169;. | Powered by <a href="https://www.sphinx-doc.org/">'
            'Sphinx 9.0.4</a> &amp; <a href="https://alabaster.readthedocs.io">Alabaster 1.0.0</a> | <a '
            'href="_sources/search-tips.rst.txt" rel="nofollow">Page source</a></div></body></html>')
    path = tmp_path / "search-tips.html"
    path.write_text(page, encoding="utf-8")
    doc = next(load_file(CorpusFile(path, path.name)))
    assert [(doc.text[p.start : p.end], p.anchor) for p in document_paragraphs(doc)] == [
        ("Search tips", "search-tips"),
        ("To find an image by its date, type the date in the archive’s search box as 2024-03-01.", "search-tips"),
    ]


def test_html_a_theme_s_skip_and_back_to_top_links_are_not_text(tmp_path: Path) -> None:
    # furo (a Sphinx theme), cut down from the page Sphinx 9 writes of one paragraph: its "Skip to content" and
    # "Back to top" links were read as the page's first two paragraphs.
    page = ('<!doctype html><html lang="en"><head><meta charset="utf-8"/><title>Search tips - skyfetch documentation'
            '</title></head><body><a class="skip-to-content muted-link" href="#furo-main-content">Skip to content</a>'
            '<div class="page"><header class="mobile-header"><div class="header-center"><a href="index.html"><div '
            'class="brand">skyfetch  documentation</div></a></div></header><aside class="sidebar-drawer"><div '
            'class="sidebar-container"><a class="sidebar-brand" href="index.html"><span class="sidebar-brand-text">'
            'skyfetch  documentation</span></a><form class="sidebar-search-container" method="get" action="search.html"'
            ' role="search"><input class="sidebar-search" placeholder="Search" name="q"></form><div class="sidebar-tree">'
            '<ul class="current"><li class="toctree-l1"><a class="reference internal" href="api.html">API</a></li><li '
            'class="toctree-l1 current current-page"><a class="current reference internal" href="#">Search tips</a>'
            '</li></ul></div></div></aside><div class="main"><div class="content"><div class="article-container"><a '
            'href="#" class="back-to-top muted-link"><svg viewBox="0 0 24 24"><path d="M13 20h-2V8z"></path></svg>'
            '<span>Back to top</span></a><div class="content-icon-container"><div class="view-this-page"><a '
            'class="muted-link" href="_sources/search-tips.rst.txt" title="View this page"><span '
            'class="visually-hidden">View this page</span></a></div></div><article role="main" '
            'id="furo-main-content"><section id="search-tips"><h1>Search tips<a class="headerlink" href="#search-tips"'
            ' title="Link to this heading">¶</a></h1><p>To find an image by its date, type the date in the archive’s '
            'search box as 2024-03-01.</p></section></article></div><footer><div class="related-pages"><a '
            'class="prev-page" href="api.html"><div class="page-info"><div class="context"><span>Previous</span></div>'
            '<div class="title">API</div></div></a></div><div class="bottom-of-page"><div class="left-details"><div '
            'class="copyright">Copyright &#169; </div>Made with <a href="https://www.sphinx-doc.org/">Sphinx</a></div>'
            '</div></footer></div></div></div></body></html>')
    assert _page_texts(tmp_path, "search-tips.html", page) == [
        "To find an image by its date, type the date in the archive’s search box as 2024-03-01."]


def test_html_a_short_page_is_the_text_of_its_container_not_its_theme_s_menus(tmp_path: Path) -> None:
    # pydata-sphinx-theme (NumPy's, pandas' docs), cut down from the page Sphinx 9 writes of one paragraph: on so short
    # a page trafilatura's fallback read the project's name in the header and the sidebar's "Section Navigation" as
    # the page's first paragraphs, though the page's text is all in its <main>.
    page = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8" /><title>Search tips — skyfetch documentation'
            '</title></head><body><div id="pst-scroll-pixel-helper"></div><header id="pst-header" class="bd-header '
            'navbar navbar-expand-lg bd-navbar"><div class="bd-header__inner bd-page-width"><div class="navbar-header-'
            'items__start"><div class="navbar-item"><a class="navbar-brand logo" href="index.html"><p class="title '
            'logo__title">skyfetch  documentation</p></a></div></div></div></header><div class="bd-container"><div '
            'class="bd-container__inner bd-page-width"><div id="pst-primary-sidebar" class="bd-sidebar-primary '
            'bd-sidebar"><div class="sidebar-primary-items__start sidebar-primary__section"><div class="sidebar-primary'
            '-item"><nav class="bd-docs-nav bd-links" aria-label="Section Navigation"><p class="bd-links__title" '
            'role="heading" aria-level="1">Section Navigation</p><div class="bd-toc-item navbar-nav"></div></nav></div>'
            '</div></div><main id="main-content" class="bd-main" role="main"><div class="bd-content"><div class="bd-'
            'article-container"><nav aria-label="Breadcrumb"><ul class="bd-breadcrumbs"><li class="breadcrumb-item '
            'breadcrumb-home"><a href="index.html" class="nav-link" aria-label="Home"><i class="fa-solid fa-house">'
            '</i></a></li><li class="breadcrumb-item active" aria-current="page"><span class="ellipsis">Search tips'
            '</span></li></ul></nav><article class="bd-article"><section id="search-tips"><h1>Search tips<a class='
            '"headerlink" href="#search-tips" title="Link to this heading">#</a></h1><p>To find an image by its date,'
            ' type the date in the archive’s search box as 2024-03-01.</p></section></article><footer class="prev-next'
            '-footer"><div class="prev-next-area"><a class="left-prev" href="api.html" title="previous page"><div '
            'class="prev-next-info"><p class="prev-next-subtitle">previous</p><p class="prev-next-title">API</p></div>'
            '</a></div></footer></div></div></main></div></div><footer class="bd-footer"><div class="bd-footer__inner">'
            '<p class="copyright">© Copyright .</p><p class="sphinx-version">Created using <a href="https://www.sphinx-'
            'doc.org/">Sphinx</a> 9.0.4.</p></div></footer></body></html>')
    assert _page_texts(tmp_path, "search-tips.html", page) == [
        "To find an image by its date, type the date in the archive’s search box as 2024-03-01."]


def test_html_a_short_page_keeps_a_paragraph_with_a_button_or_an_icon(tmp_path: Path) -> None:
    # trafilatura takes a button's label and an SVG icon out of a paragraph ("Press to copy ..."), which then read as
    # text outside the page's <main>: on a short page such a paragraph was left out, unsaid.
    page = ('<html><head><title>Copying</title></head><body><nav><a href="/">Home</a></nav><main><h1>Copying</h1>'
            "<p>Close the dome when the humidity rises above 85 percent, and park the mount first.</p>"
            "<p>Press <button>Copy</button> to copy the command, then run it in the terminal.</p>"
            '<p>Click the <svg class="icon"><title>gear</title><path d="M0 0"/></svg> icon to open the settings.</p>'
            "</main></body></html>")
    assert _page_texts(tmp_path, "copying.html", page) == [
        "Close the dome when the humidity rises above 85 percent, and park the mount first.",
        "Press to copy the command, then run it in the terminal.",  # trafilatura's reading, the button's label out
        "Click the icon to open the settings."]


def test_html_an_svg_icons_tooltip_is_not_text(tmp_path: Path) -> None:
    # A theme's permalink icon with its tooltip, <svg><title>Link to this section</title></svg>: the heading was read
    # twice, the second time as "PowerLink to this section", the section every passage under it was cited in.
    link = '<a class="anchor" href="#{0}"><svg viewBox="0 0 16 16"><title>Link to this section</title><path d="M0"/></svg></a>'
    page = ("<html><head><title>Mount</title></head><body><main>"
            f'<h1 id="mount">Mount{link.format("mount")}</h1><p>The mount carries the telescope and its cameras.</p>'
            f'<h2 id="power">Power{link.format("power")}</h2><p>The mount draws three amperes when it slews.</p>'
            "</main></body></html>")
    path = tmp_path / "mount.html"
    path.write_text(page, encoding="utf-8")
    doc = next(load_file(CorpusFile(path, path.name)))
    assert [(doc.text[p.start : p.end], p.section, p.anchor) for p in document_paragraphs(doc)] == [
        ("Mount", "Mount", "mount"), ("The mount carries the telescope and its cameras.", "Mount", "mount"),
        ("Power", "Power", "power"), ("The mount draws three amperes when it slews.", "Power", "power")]


def test_html_vitepress_s_code_language_label_is_not_text(tmp_path: Path) -> None:
    # VitePress (Vite's, Vue's, Vitest's docs) writes each code block with its copy button and a label of its language
    # in the corner, <span class="lang">sh</span>: the label was a paragraph, "sh", before every command.
    block = ('<div class="language-sh vp-adaptive-theme"><button title="Copy Code" class="copy"></button>'
             '<span class="lang">sh</span><pre class="shiki vp-code" tabindex="0"><code><span class="line"><span>{}'
             "</span></span></code></pre></div>")
    page = ('<!doctype html><html><head><meta name="generator" content="VitePress v1.3.1"><title>Getting Started | '
            'Skyfetch</title></head><body><div class="VPDoc"><main class="main"><div class="vp-doc">'
            '<h1 id="getting-started" tabindex="-1">Getting Started <a class="header-anchor" href="#getting-started">'
            "\u200b</a></h1><p>Skyfetch downloads survey images of any patch of sky from the observatory's archive.</p>"
            f"<p>Install it globally with npm:</p>{block.format('npm install -g skyfetch')}<p>Then fetch a field, "
            f"its coordinates in degrees:</p>{block.format('skyfetch get --ra 210.8 --dec 54.3')}</div></main></div>"
            "</body></html>")
    assert _page_texts(tmp_path, "getting-started.html", page) == [
        "Skyfetch downloads survey images of any patch of sky from the observatory's archive.",
        "Install it globally with npm:", "npm install -g skyfetch",
        "Then fetch a field, its coordinates in degrees:", "skyfetch get --ra 210.8 --dec 54.3"]


def test_html_starlight_s_asides_are_read(tmp_path: Path) -> None:
    # Starlight (Astro's docs, and many a project's) writes each note, tip or caution as an <aside>, which
    # trafilatura deletes as a page's sidebar: every admonition of such a site was lost, without a word said.
    page = ('<!doctype html><html><head><meta name="generator" content="Starlight v0.28.0"><title>Installation | '
            'Skyfetch</title></head><body><main data-pagefind-body><div class="sl-markdown-content">'
            "<p>Skyfetch is installed with pip on any system with Python 3.10 or newer.</p>"
            '<aside aria-label="Note" class="starlight-aside starlight-aside--note"><p class="starlight-aside__title" '
            'aria-hidden="true">Note</p><div class="starlight-aside__content"><p>Corporate proxies that inspect TLS '
            "must trust the archive's certificate.</p></div></aside>"
            "<p>Skyfetch needs 200 MB of free disk space for its cache of survey images.</p></div></main></body></html>")
    texts = _page_texts(tmp_path, "install.html", page)
    assert "Corporate proxies that inspect TLS must trust the archive's certificate." in texts, texts


def test_html_starlight_s_heading_links_are_not_text(tmp_path: Path) -> None:
    # Starlight 0.34+ (sharp's docs, cut down) puts a link beside each heading: an icon, and for screen readers alone
    # "Section titled “rotate”", which was a paragraph under every heading of every page.
    def heading(ident: str, text: str) -> str:
        return (f'<div class="sl-heading-wrapper level-h2"><h2 id="{ident}">{text}</h2><a class="sl-anchor-link" '
                f'href="#{ident}"><span aria-hidden="true" class="sl-anchor-icon"><svg width="16" height="16" '
                'viewBox="0 0 24 24"><path fill="currentcolor" d="m12.11 15.39-3.88 3.88"></path></svg></span><span '
                f'class="sr-only" data-pagefind-ignore="">Section titled “{text}”</span></a></div>')

    page = ('<!doctype html><html><head><meta name="generator" content="Starlight v0.34.3"><title>Image operations | '
            'sharp</title></head><body><main data-pagefind-body><div class="sl-markdown-content">'
            f'{heading("rotate", "rotate")}<p>Rotate the output image by the given angle, in degrees.</p>'
            f'{heading("flip", "flip")}<p>Mirror the image vertically (up-down) about the x-axis.</p>'
            "</div></main></body></html>")
    path = tmp_path / "operation.html"
    path.write_text(page, encoding="utf-8")
    doc = next(load_file(CorpusFile(path, path.name)))
    assert [(doc.text[p.start : p.end], p.anchor) for p in document_paragraphs(doc) if not p.heading] == [
        ("Rotate the output image by the given angle, in degrees.", "rotate"),
        ("Mirror the image vertically (up-down) about the x-axis.", "flip")]


def test_html_a_section_that_holds_the_page_keeps_the_id_that_says_so(tmp_path: Path) -> None:
    # A site's template may hold the page in a <section id="content"> that its title opens: trafilatura finds the
    # page's content by that id, and without it read the links of the page's navigation as its text.
    page = ('<!DOCTYPE html><html><head><title>Skyfetch</title></head><body><div class="top"><a href="/">Home</a> <a '
            'href="/docs">Docs</a> <a href="/blog">Blog</a> <a href="/about">About us and our team of volunteers</a>'
            '</div><div class="left"><ul><li><a href="/a">Install the fetcher on Linux</a></li><li><a href="/b">Install '
            'the fetcher on Windows</a></li><li><a href="/c">Configure the cache limits</a></li><li><a href="/d">'
            "Frequently asked questions</a></li></ul><p>Follow us for news about releases and the archive's downtime."
            '</p></div><section id="content"><h1>Configure the cache</h1><p>Skyfetch keeps downloaded images in a cache '
            "folder so that a second fetch of the same image reads it from disk.</p><p>The cache grows until it reaches "
            "the size set by the cache limit option, then the oldest images are removed first.</p><p>Set the limit in "
            'the configuration file under the cache section, in megabytes.</p></section><div class="bottom"><p>'
            "Copyright 2024 Skyfetch project. Hosted by volunteers. Contact the maintainers by mail.</p><p>Made with "
            "love in the observatory during cloudy nights.</p></div></body></html>")
    assert _page_texts(tmp_path, "cache.html", page) == [
        "Skyfetch keeps downloaded images in a cache folder so that a second fetch of the same image reads it from disk.",
        ("The cache grows until it reaches the size set by the cache limit option, then the oldest images are removed "
         "first."),
        "Set the limit in the configuration file under the cache section, in megabytes."]


def test_html_sphinx_s_footnotes_sidebars_and_topics_are_read(tmp_path: Path) -> None:
    # docutils' HTML5 writer (Sphinx's, since docutils 0.18) writes footnotes, and the sidebar and topic directives,
    # as <aside>s, which trafilatura deletes as a page's sidebar: every footnote of a Sphinx page was lost.
    page = ('<!doctype html><html><head><title>Cache — skyfetch 1.2 documentation</title></head><body>'
            '<div class="body" role="main"><section id="cache"><h1>Cache<a class="headerlink" href="#cache">¶</a></h1>'
            '<p>The cache is emptied every 30 days<a class="footnote-reference brackets" href="#f1" id="id1" '
            'role="doc-noteref"><span class="fn-bracket">[</span>1<span class="fn-bracket">]</span></a>.</p>'
            '<aside class="sidebar"><p class="sidebar-title">Disk space</p><p>A full cache of the northern survey '
            'takes about 40 GB of disk.</p></aside><p>Run skyfetch purge to empty the cache at once.</p>'
            '<aside class="topic"><p class="topic-title">Why a cache?</p><p>The archive is slow at night, when most '
            'observers fetch their fields.</p></aside><aside class="footnote-list brackets">'
            '<aside class="footnote brackets" id="f1" role="doc-footnote"><span class="label"><span class="fn-bracket">'
            '[</span><a role="doc-backlink" href="#id1">1</a><span class="fn-bracket">]</span></span>'
            "<p>Thirty days is the archive's own retention period.</p></aside></aside></section></div>"
            '<aside class="sidebar widget-area"><h2>Recent posts</h2><ul><li><a href="/a">A post</a></li></ul></aside>'
            "</body></html>")
    assert _page_texts(tmp_path, "cache.html", page) == [
        "The cache is emptied every 30 days.", "Disk space",
        "A full cache of the northern survey takes about 40 GB of disk.",
        "Run skyfetch purge to empty the cache at once.", "Why a cache?",
        "The archive is slow at night, when most observers fetch their fields.",
        "Thirty days is the archive's own retention period."]


@pytest.mark.parametrize("section", ['<section id="{0}">', '<div class="section" id="{0}">',
                                     '<section id="{0}"><span id="label-{0}"></span>'])
def test_html_a_section_named_like_page_furniture_is_read(tmp_path: Path, section: str) -> None:
    # docutils (Sphinx), pandoc, rustdoc and Javadoc put a section's id, made from its heading, on the <section> (or
    # docutils' old <div class="section">) that the heading opens. trafilatura takes an id holding "tags", "menu",
    # "footer", "related", "sidebar", "toolbar", "widget" or "meta" for a page's furniture: a section headed "Tags"
    # or "Metadata" was deleted, heading and text. A section's other ids (a label's) are empty <span>s before its
    # heading.
    end = "</section>" if section.startswith("<section") else "</div>"
    page = ('<!doctype html><html><head><title>Images — skyfetch 1.2 documentation</title></head><body><div '
            'class="body" role="main">' + section.format("images") + '<h1>Images<a class="headerlink" '
            'href="#images">¶</a></h1><p>Skyfetch saves every image it fetches as a FITS file in the cache folder of '
            "its archive.</p><p>An image fetched twice is saved once: the second fetch finds it in the cache and "
            "reads it from disk.</p>" + section.format("tags") + '<h2>Tags<a class="headerlink" href="#tags">¶</a></h2><p>'
            "A tag is a word you attach to an image with skyfetch tag, to find the image again later.</p>" + end
            + section.format("metadata") + '<h2>Metadata<a class="headerlink" href="#metadata">¶</a></h2><p>The '
            "telescope, the exposure time and the filter of an image are read from its FITS header.</p>" + end + end
            + "</div></body></html>")
    path = tmp_path / "images.html"
    path.write_text(page, encoding="utf-8")
    docs = list(load_file(CorpusFile(path, path.name)))
    paragraphs = document_paragraphs(docs[0])
    assert [(p.section, p.anchor, docs[0].text[p.start : p.end]) for p in paragraphs if not p.heading] == [
        ("Images", "images", "Skyfetch saves every image it fetches as a FITS file in the cache folder of its archive."),
        ("Images", "images", ("An image fetched twice is saved once: the second fetch finds it in the cache and reads it "
                              "from disk.")),
        ("Tags", "tags", "A tag is a word you attach to an image with skyfetch tag, to find the image again later."),
        ("Metadata", "metadata", ("The telescope, the exposure time and the filter of an image are read from its FITS "
                                  "header."))]


def test_html_sphinx_s_code_block_caption_is_read(tmp_path: Path) -> None:
    # A code block's caption (":caption: skyfetch.toml", the file the lines go in) is a <div class="code-block-caption">
    # around its <span class="caption-text">: the <div>'s class says "caption", which trafilatura deletes with its text.
    page = ('<!doctype html><html><head><title>Cache — skyfetch 1.2 documentation</title></head><body><div class="body" '
            'role="main"><section id="cache"><h1>Cache<a class="headerlink" href="#cache">¶</a></h1><p>Skyfetch saves '
            "every image it fetches as a FITS file in the cache folder of its archive, one folder per day.</p><p>Set "
            'the limit of the cache in the configuration file:</p><div class="literal-block-wrapper docutils container" '
            'id="id1"><div class="code-block-caption"><span class="caption-text">skyfetch.toml</span><a class="headerlink"'
            ' href="#id1" title="Link to this code">¶</a></div><div class="highlight-toml notranslate"><div class='
            '"highlight"><pre><span></span><span class="n">limit</span> <span class="o">=</span> <span class="mi">500'
            "</span>\n</pre></div></div></div><p>The limit is in megabytes, and the oldest images go first.</p>"
            "</section></div></body></html>")
    assert _page_texts(tmp_path, "cache.html", page) == [
        "Skyfetch saves every image it fetches as a FITS file in the cache folder of its archive, one folder per day.",
        "Set the limit of the cache in the configuration file:", "skyfetch.toml", "limit = 500",
        "The limit is in megabytes, and the oldest images go first."]


def test_markdown_a_paragraph_written_a_sentence_a_line_is_one_paragraph(tmp_path: Path) -> None:
    # MyST-Parser's docs (and many others) write a sentence a line, some lines long: the page shows one paragraph
    long = ("It is advised to use admonitions with the colon_fence extension, which signify that the content of the "
            "block is also MyST Markdown.")
    content = (f"# Admonitions\n\nAdmonitions highlight a particular block of text,\nthat exists apart from the page.\n"
               f"{long}\n\n- A list item,\n  over two lines.\n- Another.\n\n<p>\nHTML\n</p>\n\nThe end.\n")
    assert _markdown(tmp_path, "admonitions.md", content) == [
        ("Admonitions", f"Admonitions highlight a particular block of text,\nthat exists apart from the page.\n{long}"),
        ("Admonitions", "- A list item,\n  over two lines."),
        ("Admonitions", "- Another."),
        ("Admonitions", "HTML"),
        ("Admonitions", "The end."),
    ]
    # in plain text, a line of its own is still a paragraph where the text is not hard-wrapped
    assert len(_markdown(tmp_path, "admonitions.txt", content)) > 5


def test_markdown_a_long_line_of_tildes_with_a_backtick_is_read_in_linear_time(tmp_path: Path) -> None:
    # The pattern for a code fence gave the run back a tilde at a time, looking for a line end past the backtick:
    # 40,000 tildes took 4 s, a megabyte of them most of an hour, in one call no reader limit stops.
    import time

    content = "# Notes\n\n" + "~" * 40_000 + " `x`\n\nThe end.\n"
    began = time.monotonic()
    assert _markdown(tmp_path, "notes.md", content)[-1][1].endswith("The end.")  # a fence: code to the end
    assert time.monotonic() - began < 2


def test_markdown_a_long_run_of_spaces_after_import_is_read_in_linear_time(tmp_path: Path) -> None:
    # The pattern for a paragraph of imports could split a run of spaces three ways: 4,000 spaces took 30 seconds.
    import time

    content = "# Notes\n\nimport a" + " " * 4_000 + "b\n"
    began = time.monotonic()
    assert _markdown(tmp_path, "notes.md", content) == [("Notes", content[9:-1])]
    assert time.monotonic() - began < 2
