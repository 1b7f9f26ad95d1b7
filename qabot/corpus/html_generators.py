"""What documentation generators write that would be read wrongly, set right before trafilatura reads the page.

rustdoc (Rust's API documentation, as ``cargo doc`` writes it and docs.rs serves it; its
pages say ``<meta name="generator" content="rustdoc">``) puts furniture beside each
item's title, as text: the Rust version it is stable since and a "Source" link
(``1.33.0 (const: 1.84.0) · Source``), the ``§`` permalinks, ``ⓘ`` tooltip markers (the
notable traits of a return type, an example that panics), a "Run" link and a collapse
toggle ``[−]``, the copy-path button, the breadcrumbs and the sidebar. Read as text they
run into the signature they sit beside, or become a section of their own. And every type
name in a signature or a sentence of its content is a link to that item's page, so a
signature, or a short sentence of type names, reads to trafilatura as a block of links
(navigation), and was dropped: in the main content, once the furniture is out, a link
with text is made plain text (a ``<span>``). One without text stays a link, for
``html_prepare.drop_empty_links`` to take out. A trait method's summary is text right in
its ``<div class="docblock">``, and a stability note ("Deprecated since 1.33.0: ...") in a
``<div class="stab">``, which trafilatura does not read on a page with enough paragraphs:
such a block is made a paragraph, and a summary's "Read more" (a link to the trait) is
taken out.

Doxygen (C and C++ API documentation) opens every page with the project's name, number and
brief (``#titlearea``): they are taken out, and the page's title (a ``<div class="title">``) is
made its heading. (A brief description's "More..." link stays: without it, the brief repeats
the first sentence of the details word for word, and trafilatura drops that sentence there.)

Sphinx's viewcode extension puts a "[source]" link after every signature it documents: it is
taken out, as rustdoc's "Source" is, but the arrow before a return type (``→ bytes``, in a ``<span
class="sig-return-icon">``) is kept, which trafilatura dropped as an icon ("fetch(url) bytes"; on a
short page, with the whole definition). The sidebar of Sphinx's basic theme (``<div
class="sphinxsidebar">``, as alabaster, its default, and classic write it) is taken out: the
project's name, a search box, the navigation and "Related Topics", which trafilatura read on a
short page as its last paragraph ("Documentation overview").

VitePress (Vite's, Vue's, Vitest's docs) labels each code block with its language, in a corner:
``<div class="language-sh"><span class="lang">sh</span><pre>``. The label is taken out, or each
was a paragraph ("sh") before the code, as the copy button beside it would be.

Starlight (Astro's docs, and many a project's) writes each note, tip or caution as an ``<aside
class="starlight-aside">``, which trafilatura deletes as a page's sidebar, text and all: it is made
a ``<div>``, as Docusaurus' and MkDocs' admonitions are. So are docutils' (Sphinx's, since docutils
0.18) footnotes (``<aside class="footnote-list">``, ``role="doc-footnote"``) and its sidebar and
topic directives (an ``<aside>`` that opens with its ``sidebar-title`` or ``topic-title``): every
footnote of a Sphinx page was lost. A sidebar that is text of the page in a ``<div>`` (Asciidoctor's sidebar block,
``<div class="sidebarblock">``; docutils' sidebar directive before 0.18, a ``<div class="sidebar">`` that opens with
its title) loses its class, which trafilatura deleted it for, text and all.

MediaWiki (Wikipedia, and every wiki built on it) puts an "[edit]" link in each section's heading
(``<span class="mw-editsection">``): it is taken out, or every section was named "History[edit]".

Docsy (Hugo's documentation theme: Kubernetes', gRPC's, OpenTelemetry's docs) ends a section's page with a list
of the section's pages, each a link and the page's description (``<div class="section-index">``): navigation, the
descriptions read on their own pages. It is taken out: trafilatura read it first, as the page's opening section, and
lost the page's own headings to it. The title of a note it writes (its ``alert`` shortcode: a Bootstrap alert, ``<h4
class="alert-heading">Warning</h4>``) is a paragraph, as an admonition's is, not a heading: the text after the note
was cited as in a section "Warning". Its feedback widget, at the end of every page of a site that enables it
("Feedback", "Was this page helpful?", its buttons and the replies a click shows: ``feedback--title`` ...), is taken
out.

Jekyll's table of contents (kramdown's ``{:toc}``, ``#markdown-toc``) is taken out, with the ``<details>`` that Just
the Docs puts it in where that holds nothing else: its summary, "Table of contents", was a paragraph of every page.

Asciidoctor (and Antora, built on it) writes an admonition as a one-row table (``<div class="admonitionblock
warning"><table><tr><td class="icon">``), its label in the icon cell: a font icon's title (``<i class="fa
icon-warning" title="Warning">``, as Antora's UI has it), an image's alt, or a ``<div class="title">``. Antora's
label was lost, as an icon's, and the others' was read as a table's cell ("Warning | Deleting ..."): the label is
made a paragraph, as docutils' admonition title is, and the text cell a ``<div>``. A standalone document's footnotes
(``<div id="footnotes">``, after ``<div id="content">``, not in it) are moved to the end of its content, or
trafilatura, which takes ``#content`` for the page's main content, left every one of them out.

Texinfo (GNU's manuals, libffi's) opens every node's page, as makeinfo or texi2any writes it, with links to its
neighbours ("Next: Proxies, Previous: Install, Up: Usage [Index]", a ``<div class="header">``, since Texinfo 7 a
``<div class="nav-panel">``), and follows a heading with the menu of its sub-nodes: they are taken out. The links were
the first paragraph of every page, and a page of a heading and its menu read as one paragraph of all three.

DocBook's stylesheets (XSL's and the older DSSSL's: PostgreSQL's, Valgrind's, freedesktop.org's specifications) open
a chapter's page with its table of contents, and its lists of tables or figures, each under a title ("Table of
Contents", "List of Tables"), and put links to its neighbours ("Prev", "Up", "Next") above and below: they are taken
out. The titles were a paragraph of every such page, and a short page's links ("Prev") its first paragraphs.

Node.js' API documentation puts a copy button inside each code block, and a block written both as an ES module
and as CommonJS as its two variants side by side in one ``<pre>`` (a toggle shows one): the button is taken out, and
each variant starts a line of its own (``_code_variants``).

mdBook (the Rust book, and most Rust projects' guides) shows a Rust example without the
lines that only make it compile (``# fn main() {`` in the Markdown): it writes them as
``<span class="boring">`` in the code, shown only when the reader asks. They are taken out,
as what the page hides is.
"""

from __future__ import annotations

from typing import Any

from qabot.corpus.html_prepare import inline_only

# rustdoc's classes of furniture, from Rust 1.63 (2022) to today's: the version and source link beside a title
# (rightside, sub-heading, out-of-band, since, render-detail), the tooltips' markers and their hidden text
# (notable-traits), the breadcrumbs, and the icon before a stability note (emoji: 🔬, 👎); and of the links that are
# furniture: the source links, the permalinks, the tooltips' ⓘ, the "Run" link of older versions. Its <nav>s (the
# sidebar, the search bar), its buttons, its javascript: links (the collapse toggle) and what it marks as no part of
# a snippet (data-nosnippet: a source page's line numbers) are furniture too.
_RUSTDOC_FURNITURE = frozenset({"rightside", "sub-heading", "out-of-band", "since", "render-detail", "notable-traits",
                                "rustdoc-breadcrumbs", "emoji"})
_RUSTDOC_FURNITURE_LINKS = frozenset({"src", "srclink", "anchor", "doc-anchor", "tooltip", "test-arrow"})
# rustdoc's <div>s of text: a trait method's summary, and a stability note ("Deprecated since 1.33.0: ...")
_TEXT_BLOCKS = frozenset({"docblock", "stab"})
_TEXINFO = ("makeinfo", "texi2any")  # what Texinfo's HTML says wrote it: before 7.0, and since
_DOCBOOK_FURNITURE = frozenset({"navheader", "navfooter", "toc"})


def prepare(tree: Any) -> None:
    """Set right what the generators known here write, on a page one of them wrote."""
    if _is_rustdoc(tree):
        _rustdoc(tree)
    elif _generator(tree).startswith("doxygen"):
        _doxygen(tree)
    elif _generator(tree) in _TEXINFO:
        _texinfo(tree)
    elif "docbook" in _generator(tree):
        _docbook(tree)
    # "descendant-or-self::", not "//": matches that nest, libxml2 finds in square time by "//" (html_prepare.drop_hidden)
    for summary in tree.xpath("descendant-or-self::summary[contains(concat(' ', @class, ' '), ' hideme ')]"):
        summary.drop_tree()  # rustdoc's "Expand description", hidden on the page (its version may name no generator)
    for source in tree.xpath("descendant-or-self::span[contains(concat(' ', @class, ' '), ' viewcode-link ')]"):
        link = source.getparent()  # Sphinx's "[source]" after a signature (sphinx.ext.viewcode), and its link
        (link if link is not None and link.tag == "a" and len(link) == 1 else source).drop_tree()
    for arrow in tree.xpath("descendant-or-self::span[@class='sig-return-icon']"):
        del arrow.attrib["class"]  # Sphinx's "→" before a return type: text, which trafilatura drops as an icon
    for sidebar in tree.xpath("descendant-or-self::div[contains(concat(' ', @class, ' '), ' sphinxsidebar ')]"):
        sidebar.drop_tree()  # Sphinx's sidebar (its basic theme's: alabaster, classic ...): no text of the page
    for label in tree.xpath("descendant-or-self::span[@class='lang'][../pre][starts-with(../@class, 'language-')]"):
        label.drop_tree()  # VitePress' language label beside a code block ("sh"), not the code's text
    for aside in [aside for aside in tree.iter("aside") if _text_aside(aside)]:
        aside.tag = "div"  # an admonition, a footnote: text of the page, not a sidebar (nor by its class)
        aside.attrib.pop("class", None)
        for label in aside.xpath("span[@class='label']"):
            label.drop_tree()  # a docutils footnote's "[1]", its link back to where it is referred to
        for title in aside.xpath("p[@class='sidebar-title' or @class='topic-title']"):
            title.attrib.pop("class")  # "sidebar" is boilerplate to trafilatura
    for sidebar in tree.xpath("descendant-or-self::div[contains(concat(' ', @class, ' '), ' sidebarblock ')] | "
                              "descendant-or-self::div[@class='sidebar'][*[1][contains(concat(' ', @class, ' '), "
                              "' sidebar-title ')]]"):
        del sidebar.attrib["class"]  # a sidebar of the text (Asciidoctor's, old docutils'), not of the page
        for title in sidebar.xpath("p[contains(concat(' ', @class, ' '), ' sidebar-title ')]"):
            del title.attrib["class"]
    for index in tree.xpath("descendant-or-self::div[contains(concat(' ', @class, ' '), ' section-index ')]"
                            "[div[@class='entry']]"):
        index.drop_tree()  # Docsy's list of a section's pages, after its text: links and their pages' descriptions
    for title in tree.xpath("descendant-or-self::*[contains(concat(' ', @class, ' '), ' alert-heading ')]"
                            "[parent::div[contains(concat(' ', @class, ' '), ' alert ')]]"):
        title.tag = "p"  # a Bootstrap alert's title (Docsy's alert shortcode: <h4 class="alert-heading">): no section
    for widget in tree.xpath("descendant-or-self::*[contains(concat(' ', @class, ' '), ' feedback--')]"):
        widget.drop_tree()  # Docsy's "Was this page helpful?", its buttons and replies: on every page, no text of it
    for toc in tree.xpath("descendant-or-self::*[@id='markdown-toc']"):
        _drop_table_of_contents(toc)
    for edit in tree.xpath("descendant-or-self::*[contains(concat(' ', @class, ' '), ' mw-editsection ')]"):
        edit.drop_tree()  # MediaWiki's "[edit]" in a section's heading (its tail, text after it, stays)
    _mdbook(tree)
    _code_variants(tree)
    _confluence_expands(tree)
    _asciidoctor(tree)


def _code_variants(tree: Any) -> None:
    """A code block's copy button, and its variants, as Node.js' documentation writes them: ``<pre><input
    class="js-flavor-toggle"><code class="mjs">...</code><code class="cjs">...</code><button>copy</button></pre>``.
    The button's "copy" ended the last line of the code, which then no longer matched trafilatura's block, and the
    block lost its lines; the two variants, one shown at a time, ran together on one line ("}const { unlink }")."""
    for pre in tree.iter("pre"):
        for button in list(pre.iter("button")):
            button.drop_tree()  # its tail stays
        for code in pre.iterchildren("code"):
            after = code.getnext()
            if after is not None and after.tag == "code" and not (code.tail or "").strip():
                code.tail = "\n" + (code.tail or "")


def _drop_table_of_contents(toc: Any) -> None:
    """Take out kramdown's table of contents (Jekyll's ``{:toc}``), and the ``<details>`` that Just the Docs puts it
    in, where that holds nothing else but its summary ("Table of contents")."""
    holder = toc.getparent()
    toc.drop_tree()
    if holder is not None and holder.tag == "details" and not (holder.text or "").strip() and all(
            child.tag == "summary" and not (child.tail or "").strip() for child in holder):
        holder.drop_tree()


def _text_aside(aside: Any) -> bool:
    """Whether an ``<aside>`` is text of the page: Starlight's admonition, docutils' footnotes, sidebar or topic."""
    classes = (aside.get("class") or "").split()
    if "starlight-aside" in classes or "footnote-list" in classes or aside.get("role") == "doc-footnote":
        return True
    first = next((child for child in aside if isinstance(child.tag, str)), None)
    return first is not None and not {"sidebar-title", "topic-title"}.isdisjoint((first.get("class") or "").split())


def _confluence_expands(tree: Any) -> None:
    """Keep the text of Confluence's expand macro (a folded block: its title, "Click here to see the steps", and
    its body), which trafilatura deletes whole for its classes (``expand-container``, ``expand-content``: "expand"
    is among its boilerplate tokens). Its title is made a paragraph; the icon beside it is no text."""
    for block in tree.xpath("descendant-or-self::div[contains(concat(' ', @class, ' '), ' expand-container ')]"):
        for part in [block, *block.iter("div", "span")]:
            classes = (part.get("class") or "").split()
            if "expand-control-text" in classes:
                part.tag = "p"
            if any(name.startswith("expand-") for name in classes):
                del part.attrib["class"]


def _asciidoctor(tree: Any) -> None:
    """An Asciidoctor admonition's table made its label, as a paragraph, and its text; its footnotes put in its
    content (see the module's doc)."""
    for block in tree.xpath("descendant-or-self::div[contains(concat(' ', @class, ' '), ' admonitionblock ')]"):
        table = next(iter(block.xpath("table")), None)
        icon = block.xpath("table/tr/td[@class='icon'] | table/tbody/tr/td[@class='icon']")
        content = block.xpath("table/tr/td[@class='content'] | table/tbody/tr/td[@class='content']")
        if table is None or len(icon) != 1 or len(content) != 1:
            continue
        label = " ".join(icon[0].text_content().split()) or next(
            (" ".join(str(value).split()) for value in icon[0].xpath(".//@title | .//img/@alt") if str(value).strip()),
            "")
        content[0].tag = "div"
        content[0].attrib.pop("class")
        content[0].tail = table.tail
        table.addnext(content[0])
        if label:
            title = table.makeelement("p", {})
            title.text = label
            table.addnext(title)
        block.remove(table)
    for notes in tree.xpath("descendant-or-self::div[@id='footnotes'][preceding-sibling::*[1][self::div[@id='content']]]"):
        notes.getprevious().append(notes)  # a standalone document's footnotes, beside its content


def _is_rustdoc(tree: Any) -> bool:
    return _generator(tree) == "rustdoc"


def _generator(tree: Any) -> str:
    """What the page says wrote it (``<meta name="generator">``), in lower case: "rustdoc", "doxygen 1.8.13"."""
    return next(((meta.get("content") or "").strip().casefold() for meta in tree.iter("meta")
                 if (meta.get("name") or "").casefold() == "generator"), "")  # Texinfo writes "Generator"


def _doxygen(tree: Any) -> None:
    for element in tree.xpath("descendant-or-self::*[@id='titlearea']"):
        element.drop_tree()  # the project's name, number and brief, atop every page
    for title in tree.xpath("descendant-or-self::div[@class='title'][parent::div[@class='headertitle']]"):
        title.tag = "h1"  # the page's own title: "skyfetch.h File Reference"


def _texinfo(tree: Any) -> None:
    for element in tree.xpath("descendant-or-self::div[@class='header' or @class='nav-panel'] | "
                              "descendant-or-self::ul[@class='section-toc' or @class='mini-toc'] | "
                              "descendant-or-self::table[@class='menu']"):
        element.drop_tree()  # a node's links to its neighbours ("Next: ..., Up: ...") and its menu of sub-nodes


def _docbook(tree: Any) -> None:
    for element in [element for element in tree.iter("div", "table") if _docbook_furniture(element)]:
        element.drop_tree()


def _docbook_furniture(element: Any) -> bool:
    """A DocBook page's links to its neighbours, and its tables of contents and lists of tables or figures (the
    DSSSL stylesheets write their classes in capitals: ``NAVHEADER``, ``TOC``)."""
    classes = (element.get("class") or "").casefold().split()
    return (not _DOCBOOK_FURNITURE.isdisjoint(classes) or any(name.startswith("list-of-") for name in classes)
            or (element.get("summary") or "").casefold() in ("navigation header", "navigation footer"))


def _rustdoc(tree: Any) -> None:
    for element in [element for element in tree.iter() if _rustdoc_furniture(element)]:
        element.drop_tree()
    for main in tree.xpath("descendant-or-self::*[@id='main-content']"):
        for link in list(main.iter("a")):
            text = link.text_content().strip()
            if text == "Read more":  # after a trait method's summary, to the trait's documentation
                link.drop_tree()
            elif text:
                link.tag = "span"
        for block in main.iter("div"):
            if not _TEXT_BLOCKS.isdisjoint((block.get("class") or "").split()) and inline_only(block):
                block.tag = "p"


def _rustdoc_furniture(element: Any) -> bool:
    tag = element.tag
    if not isinstance(tag, str) or tag in ("html", "body"):  # a source page's <body class="rustdoc src">
        return False
    classes = (element.get("class") or "").split()
    return (tag in ("nav", "rustdoc-topbar", "button") or element.get("data-nosnippet") is not None
            or not _RUSTDOC_FURNITURE.isdisjoint(classes)
            or (tag == "a" and (not _RUSTDOC_FURNITURE_LINKS.isdisjoint(classes)
                                or (element.get("href") or "").startswith("javascript:"))))


def _mdbook(tree: Any) -> None:
    hidden = [span for span in tree.iter("span") if "boring" in (span.get("class") or "").split()
              and (parent := span.getparent()) is not None and parent.tag == "code"]  # right in the <code>
    for span in hidden:
        span.drop_tree()  # its tail, the lines shown after it, stays
