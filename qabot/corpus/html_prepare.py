"""What is done to a page's tree before trafilatura reads it (``qabot.corpus.html``).

Text written straight into a container (old HTML without ``<p>``) is wrapped in paragraphs,
as a browser lays it out, and a ``<div>`` of text in a list item is one; what is not text
is removed (permalink markers, code line numbers, links that show no text, an SVG icon's tooltip); a ``<figure>``
becomes a block, so that its text is read, and so does a ``<summary>`` that holds a
heading, so that the heading starts a section; a block in a heading or a ``<pre>`` starts
a line; and each ``<pre>`` block's lines are kept aside, for the block trafilatura gives
back to have them again, as are the numbers of ordered lists' items.
"""

from __future__ import annotations

import copy
import itertools
import re
import textwrap
import unicodedata
from typing import Any

from qabot.corpus import limits

_SCREEN_READER = re.compile(r"(?:^|\s)(?:sr-only|visually-hidden|visuallyhidden|screen-reader-text)(?:\s|$)")
_PERMALINK = {"¶", "#", "§", "🔗", "◆", "link", "", "\u200b"}  # Docusaurus: a zero-width space; Doxygen: ◆
_INLINE = frozenset("a abbr b bdi bdo big cite code data dfn em font i img kbd label mark q s samp small span strike "
                    "strong sub sup time tt u var wbr br".split())
_CONTAINERS = ("body", "div", "section", "article", "main", "blockquote", "td", "dd", "li", "center")
_LINE_NUMBERS = frozenset({"linenos", "lineno", "ln", "lnt"})  # the classes of code line numbers (Pygments, Chroma)
_SPACES = re.compile(r"\s+")
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCK_TAGS = frozenset(("address article aside blockquote dd details div dl dt fieldset figure footer form header hr li "
                         "main nav ol p pre section summary table tr ul").split() + list(HEADINGS))


def flat(text: str) -> str:
    """Runs of whitespace as one space, trimmed; soft hyphens (``&shy;``, shown only where a line breaks) left out,
    so that a word hyphenated so is one word to the index."""
    return _SPACES.sub(" ", text.replace("\xad", "")).strip()


def text_of(element: Any) -> str:
    """An element's text, whitespace flattened (``flat``)."""
    return flat("".join(element.itertext()))


def drop_icon_titles(tree: Any) -> None:
    """Remove the ``<title>`` and ``<desc>`` of every inline SVG (and MathML): an icon's tooltip ("Link to this
    section", "Copy"), which the page never shows as text; read as text, a permalink's made each heading twice."""
    for graphic in limits.checked(list(tree.iter("svg", "math"))):
        for label in list(graphic.iterdescendants("title", "desc")):
            label.drop_tree()


def drop_permalinks(tree: Any) -> None:
    """Remove every permalink marker (``<a class=headerlink href=#x>¶</a>``): it is not text."""
    for link in limits.checked(list(tree.iter("a"))):  # each taken out costs its siblings' length: time is checked
        if (link.get("href") or "").startswith("#") and is_permalink(link) and link.text_content().strip():
            link.drop_tree()


def is_permalink(link: Any) -> bool:
    """Whether a link's text is a permalink marker: ``¶``, ``#``, nothing, or an icon font's glyph (MkDocs' own
    theme writes U+F0C1, Font Awesome's link, which shows as a link icon only in that font); its text for screen
    readers alone not counted (Starlight's icon with its ``<span class="sr-only">Section titled "Install"</span>``)."""
    if any(_SCREEN_READER.search(inner.get("class") or "") for inner in link.iterdescendants("span")):
        link = copy.deepcopy(link)
        for inner in list(link.iterdescendants("span")):
            if _SCREEN_READER.search(inner.get("class") or ""):
                inner.drop_tree()
    text = flat(link.text_content())
    return text in _PERMALINK or all(unicodedata.category(ch) == "Co" for ch in text)


def drop_empty_links(tree: Any) -> None:
    """Remove the links that show no text: MkDocs Material's line anchors in code (``<a id=__codelineno-0-1
    href=#...>``), rustdoc's "Run" button beside an example (``<a class=test-arrow href=...></a>``, an icon the
    stylesheet draws), an empty ``<a name=x></a>`` target.

    They hold no text, but trafilatura counts them as links, and a short block of links
    without text is boilerplate to it: ``pip install skyfetch`` with its anchor was dropped,
    and every rustdoc example of fewer than 300 characters. A link that holds an element
    (an image, an icon) stays, but in code, where it is a line anchor.
    """
    for link in limits.checked(list(tree.iter("a"))):
        if not link.text_content().strip() and (len(link) == 0 or any(True for _ in link.iterancestors("pre"))):
            link.drop_tree()  # its tail (a code line's code) stays


def drop_line_numbers(tree: Any) -> None:
    """Remove the line numbers of code blocks: they are not the code, and no one quotes them.

    Pygments writes them in a cell of their own (``<td class="linenos">``, read as a table
    row "1 2 | skyfetch --version ...") or at the head of each line (``<span class="linenos">``,
    Sphinx's default: "1import skyfetch"); Hugo's Chroma as ``<span class="ln">`` or ``lnt``.
    """
    for element in limits.checked(list(tree.iter("td", "span"))):
        if _LINE_NUMBERS.intersection((element.get("class") or "").split()):
            element.drop_tree()  # its tail, the line's code, stays


def preformatted(tree: Any) -> dict[str, str]:
    """Each ``<pre>`` block of more than one line, as the page shows it, by its text on one line.

    trafilatura keeps a block's text, not where a ``<pre>``'s lines break, and may make it
    a quote, a code block or a paragraph; a block read from it is given its lines back by
    its text. A ``<br>`` breaks a line (Docusaurus writes code a line at a time), blank
    lines and the indentation all lines share are left out, and each line's own is kept.
    """
    from lxml import etree

    def shown(pre: Any) -> str:  # its text and its elements', in order, without recursion: a page can nest deep
        parts: list[str] = []
        for event, element in etree.iterwalk(pre, events=("start", "end")):
            if event == "start" and isinstance(element.tag, str):
                parts.append("\n" if element.tag == "br" else element.text or "")
            elif event == "end" and element is not pre:
                parts.append(element.tail or "")
        return "".join(parts)

    found: dict[str, str] = {}
    for pre in tree.iter("pre"):
        lines = [line.rstrip() for line in textwrap.dedent(shown(pre)).split("\n") if line.strip()]
        if len(lines) > 1:
            found.setdefault(flat(" ".join(lines)), "\n".join(lines))
    return found


def blocks(tree: Any) -> None:
    """Set right the blocks of a page that trafilatura would misread: blocks in a heading or a ``<pre>``, figures,
    code blocks' wrappers, tables in list items."""
    drop_hidden(tree)
    landmarks_as_elements(tree)
    blocks_part_lines(tree)
    layout_tables_as_blocks(tree)
    figures_as_blocks(tree)
    captions_kept(tree)
    kept_as_text(tree)
    unwrap_code(tree)
    tables_in_items_as_rows(tree)


def drop_hidden(tree: Any) -> None:
    """Take out what a browser never shows: a ``<template>`` (markup a script copies in) and an element with the
    ``hidden`` attribute (but ``hidden="until-found"``, which a reader's search opens). Both were read as text. A
    tab's panel (``role="tabpanel"``) is content its tab shows at a click: Docusaurus and sphinx-tabs mark every
    panel but the first ``hidden``, and its steps (the conda and Homebrew installs beside pip's) were lost. So is a
    dialog hidden until a click opens it, as Bootstrap's modals are (``role="dialog" aria-hidden="true"``): MkDocs'
    own theme puts its search box and its keyboard shortcuts ("n | Next page") in two after every page's content,
    which trafilatura read on a short page as its last sections, each page's alike."""
    # "descendant-or-self::", not "//": libxml2 finds "//*[...]" matches that nest in a time that grows with the
    # square of their number (25,000 nested captions: 18 s), and so does a union ("|") of long lists; the axis, one
    # list at a time, finds the same elements in linear time.
    hidden = ("descendant-or-self::*[@hidden and not(@hidden='until-found') and not(@role='tabpanel') or "
              "@aria-hidden='true' and (@role='dialog' or @role='alertdialog')]")
    for element in limits.checked([*tree.xpath("descendant-or-self::template"), *tree.xpath(hidden)]):
        if element.getparent() is not None:
            element.drop_tree()


def landmarks_as_elements(tree: Any) -> None:
    """Make a ``<div>`` whose role says it is a navigation or a sidebar the element it stands for, which trafilatura
    leaves out as it does a page's ``<nav>`` and ``<aside>``: on a short page, it read MkDocs' table of contents
    (``<div role="complementary">``) and readthedocs theme's "Previous" link (``<div role="navigation">``)."""
    for element in tree.xpath("descendant-or-self::div[@role='navigation' or @role='complementary']"):  # see drop_hidden
        element.tag = "nav" if element.get("role") == "navigation" else "aside"


def unwrap_code(tree: Any) -> None:
    """Take the ``<div>`` wrappers that hold nothing but a ``<pre>`` away, the ``<pre>`` left where they were.

    Sphinx writes each code block as ``<div class="highlight-python"><pre>`` (and newer
    versions a ``<div class="highlight">`` in that), as Pygments does everywhere. Where
    trafilatura falls back on its readability port for a page, that deletes any ``<div>`` of
    fewer than 25 characters: a short block (``make`` over ``make install``) was lost with
    its wrapper, and the list item it ended lost its number. A ``<pre>`` itself is never
    deleted so.
    """
    for pre in list(tree.iter("pre")):
        parent = pre.getparent()
        while (parent is not None and parent.tag == "div" and len(parent) == 1 and not (parent.text or "").strip()
               and not (pre.tail or "").strip()):
            above = parent.getparent()
            pre.tail = parent.tail
            if above is None:
                break
            above.replace(parent, pre)
            parent = above


def tables_in_items_as_rows(tree: Any) -> None:
    """Make each row of a table in a list item (or a definition) a paragraph of its cells, parted by `` | ``.

    trafilatura reads a table in a list item as its cells alone, without its rows, and the
    words of one cell ran into the next: Doxygen writes a function's parameters so
    (``<dl class="params"><dd><table>``: ``[in]pathThe survey's folder.[in]flags...``). Each
    row is read as a row of any other table is: one paragraph, its cells parted by `` | ``.
    """
    from lxml import etree

    tables, items = [], 0  # the tables in an item; how many items are open where the walk is (one pass, however deep)
    for event, element in etree.iterwalk(tree, events=("start", "end"), tag=("li", "dd", "table")):
        if element.tag == "table":
            if event == "start" and items:
                tables.append(element)
        else:
            items += 1 if event == "start" else -1
    for table in tables:
        for row in list(table.iter("tr")):
            cells = [cell for cell in row if cell.tag in ("td", "th") and flat(cell.text_content())]
            for cell in cells[:-1]:
                cell.tail = f" | {cell.tail or ''}"
            for cell in row.iter("td", "th"):
                cell.tag = "span"
            row.tag = "p"
        for part in table.iter("table", "thead", "tbody", "tfoot"):
            part.tag = "div"


def figures_as_blocks(tree: Any) -> None:
    """Make each ``<figure>`` a ``<div>`` (its ``<figcaption>`` a ``<p>``), so that trafilatura reads its text.

    trafilatura deletes every figure, text and all, unless it holds a table or images are
    asked for (which brings a site's logo banner and tagline in with them); but a figure is
    often text: Jekyll writes each highlighted code block as ``<figure class="highlight">``,
    Notion each callout as a ``<figure>``, and a caption says what a figure shows. An image
    in it is still left out (``include_images`` stays off).
    """
    for figure in tree.iter("figure"):
        figure.tag = "div"
        for caption in figure.iter("figcaption"):
            caption.tag = "p"


def kept_as_text(tree: Any) -> None:
    """Make text of what trafilatura deletes with its text: an ``<address>`` (a page's contact details, a letter's
    sender) and a quotation's ``<footer>`` (who said it) become paragraphs, and MathML (``<math>``) its text: the
    ``alttext`` a page gives it, else its TeX annotation, else its symbols in a row ("N = f / D"), a paragraph
    where the formula is shown as a block."""
    for element in [*tree.xpath("descendant-or-self::address"), *tree.xpath("descendant-or-self::footer[ancestor::blockquote]")]:  # see drop_hidden
        element.tag = "p"
    for math in list(tree.iter("math", "{http://www.w3.org/1998/Math/MathML}math")):
        tex = math.xpath(".//*[local-name()='annotation'][contains(@encoding, 'tex')]")
        text = flat(math.get("alttext") or (tex[0].text if tex else None) or " ".join(
            token for token in math.xpath(".//text()[not(ancestor::*[local-name()='annotation'])]") if token.strip()))
        tail, block = math.tail, math.get("display") == "block"
        math.clear()  # its elements and attributes
        math.tag, math.text, math.tail = ("p" if block else "span"), text, tail


def captions_kept(tree: Any) -> None:
    """Take "caption" out of the classes of the page's elements, so that trafilatura keeps their text.

    With images left out, trafilatura deletes every block whose class or id says "caption"
    (``DISCARD_IMAGE_ELEMENTS``), with its text: WordPress's ``<figcaption class="wp-element-caption">``
    (once a figure is a block, ``figures_as_blocks``), Sphinx's ``<span class="caption-text">`` of every
    figure, table and code block caption, and the ``<div class="code-block-caption">`` around a code block's. A
    caption is text (see ``figures_as_blocks``).
    """
    for element in tree.xpath("descendant-or-self::*[contains(@class, 'caption')][not(self::div) or "
                              "contains(concat(' ', @class, ' '), ' code-block-caption ')]"):  # see drop_hidden
        # Not a <div>: WordPress's old <div class="wp-caption"> boxes an image with its text, and kept, it tips
        # trafilatura into dropping the text around it (a list beside such a box, on creativecommons.ch).
        element.set("class", element.get("class").replace("caption", "capt"))


LAYOUT_CELL_CHARS = 500  # a table's cell that holds a heading and this much text is a page's, laid out in a table


def layout_tables_as_blocks(tree: Any) -> None:
    """Make a table used for the page's layout, one whose cells hold headings, ``<div>``s.

    An old page (or a mail's) lays its navigation and content side by side in a table's
    cells; read as a table, its whole content is one row, one paragraph ("Home Links |
    Old school page The observatory ..."), its headings lost.
    """
    def own(element: Any, table: Any) -> bool:  # in ``table`` itself, not in a table in one of its cells
        return next(element.iterancestors("table"), None) is table

    for table in list(tree.iter("table")):
        rows = [row for row in table.iter("tr") if own(row, table)]
        cells = [cell for row in rows for cell in row if cell.tag in ("td", "th")]
        headed = [(cell, heads) for cell in cells if (heads := list(cell.iter(*HEADINGS)))]
        if not any(own(heading, table) and _beside_blocks(heading, cell) for cell, heads in headed
                   if len(flat(cell.text_content())) >= LAYOUT_CELL_CHARS for heading in heads):
            # A heading alone in its row (Doxygen's "Functions" over its member rows) heads a data table, and so do
            # headings in short cells (a settings table's "Game Speed", its text beside it): a page's cell is long.
            continue
        parts = [part for part in table.iter("thead", "tbody", "tfoot") if own(part, table)]
        for part in (table, *parts, *rows, *cells):
            part.tag = "div"


def _beside_blocks(heading: Any, cell: Any) -> bool:
    """Whether, in ``cell``, ``heading`` has a block of text after it (a paragraph, a list, a ``<div>``)."""
    for sibling in heading.itersiblings():
        if isinstance(sibling.tag, str) and sibling.tag in ("p", "ul", "ol", "dl", "div", "pre", "blockquote") and flat(
                sibling.text_content()):
            return True
    parent = heading.getparent()
    return parent is not None and parent is not cell and _beside_blocks(parent, cell)


def blocks_part_lines(tree: Any) -> None:
    """Start a block that sits in a heading or a ``<pre>`` on a line of its own, as a browser shows it.

    rustdoc writes a signature's where clause as a ``<div>`` in its ``<h4>`` (``-> T<div
    class="where">where F: ...``) and in a declaration's ``<pre>``: read without a break,
    "T" and "where" ran together. In a ``<pre>`` the block is set on lines of its own; in a
    heading, which is read as one line, it is parted by a space.
    """
    from lxml import etree

    around: list[str] = []  # the line break of each heading or <pre> around the element, innermost last
    for event, element in etree.iterwalk(tree, events=("start", "end"), tag=tuple(_BLOCK_TAGS)):
        if event == "start" and around:
            element.text, element.tail = around[-1] + (element.text or ""), around[-1] + (element.tail or "")
        if element.tag == "pre" or element.tag in HEADINGS:
            if event == "start":
                around.append("\n" if element.tag == "pre" else " ")
            else:
                around.pop()


def summaries_with_headings_as_blocks(tree: Any) -> None:
    """Make each ``<summary>`` that holds a heading a ``<div>``, so that its heading starts a section.

    trafilatura reads a summary as a heading of its own, which qabot reads as a paragraph
    (a collapsible note's title names no section). But rustdoc writes each method's
    signature as an ``<h4>`` in the summary of the ``<details>`` that folds its
    documentation (and each ``impl`` block's as an ``<h3>``), and a README may fold a part
    under ``<summary><h2>``: that heading is the section of what follows it. One pass,
    from the innermost summary out: a page of summaries nested deep costs no more.
    """
    from lxml import etree

    open_: list[list[Any]] = []  # [summary, holds a heading] of the summaries around the element
    for event, element in etree.iterwalk(tree, events=("start", "end"), tag=("summary", *HEADINGS)):
        if element.tag != "summary":
            if event == "start" and open_:
                open_[-1][1] = True
        elif event == "start":
            open_.append([element, False])
        else:
            summary, heading = open_.pop()
            if heading:
                summary.tag = "div"
                if open_:
                    open_[-1][1] = True


def divs_as_paragraphs(tree: Any) -> None:
    """Make each ``<div>`` in a list item that holds text and inline elements alone, beside other elements, a ``<p>``.

    trafilatura runs the text of such divs together in a list item: a Javadoc member's
    signature and its description (JDK 16 and later write ``<li><section><h3>size</h3>
    <div class="member-signature">public long size()</div><div class="block">Returns ...``)
    read "public long size()Returns the bytes ...". A ``<div>`` is a block to a browser.
    """
    from lxml import etree

    items = 0  # list items open around the element
    for event, element in etree.iterwalk(tree, events=("start", "end"), tag=("li", "div")):
        if element.tag == "li":
            items += 1 if event == "start" else -1
        elif event == "end" and items and _text_alone(element):
            element.tag = "p"


def _text_alone(div: Any) -> bool:
    """Whether ``div`` holds text and inline elements only, and has an element beside it."""
    parent = div.getparent()
    if parent is None or not inline_only(div):
        return False
    beside = any(isinstance(sibling.tag, str) for sibling in itertools.chain(
        div.itersiblings(), div.itersiblings(preceding=True)))  # stops at the first element, past comments
    return beside and bool(div.text_content().strip())


def inline_only(element: Any) -> bool:
    """Whether ``element`` holds only text and inline elements (``<a>``, ``<code>``, ``<em>`` ...)."""
    return not any(isinstance(child.tag, str) and child.tag not in _INLINE for child in element)


def is_inline(element: Any) -> bool:
    """Whether ``element`` is an inline element (``<a>``, ``<code>``, ``<em>`` ...)."""
    return isinstance(element.tag, str) and element.tag in _INLINE


def wrap_loose_text(tree: Any) -> None:
    """Wrap each run of text and inline elements that sits beside blocks in a ``<p>`` (two ``<br>`` end one)."""
    from lxml import etree

    for parent in list(tree.iter(*_CONTAINERS)):
        children = [child for child in parent if isinstance(child.tag, str)]
        if not any(child.tag not in _INLINE for child in children):
            continue  # inline content alone: trafilatura reads it as a paragraph
        items: list[Any] = [parent.text] if parent.text and parent.text.strip() else []
        parent.text = None
        for child in list(parent):
            tail, child.tail = child.tail, None
            parent.remove(child)
            items.append(child)
            if tail:
                items.append(tail)  # whitespace too: it keeps "<tt>case</tt> <i>ident</i>" two words
        paragraph, breaks = None, 0
        last = None  # the parent's last child: lxml counts children to find it (len, [-1]), a page's worth each time
        for item in items:
            if not isinstance(item, str) and (not isinstance(item.tag, str) or item.tag not in _INLINE):
                parent.append(item)  # a block (or a comment): it ends the paragraph
                paragraph, breaks, last = None, 0, item
                continue
            if not isinstance(item, str) and item.tag == "br":
                breaks += 1
                if breaks >= 2:
                    paragraph = None
                    continue
            else:
                breaks = 0
            if paragraph is None and isinstance(item, str) and not item.strip():
                if last is not None:  # whitespace between blocks: it stays a tail, not an empty paragraph
                    last.tail = (last.tail or "") + item
                else:
                    parent.text = (parent.text or "") + item
                continue
            if paragraph is None:
                paragraph = last = etree.SubElement(parent, "p")
                inner = None  # the paragraph's last child, likewise
            if isinstance(item, str) and inner is not None:
                inner.tail = (inner.tail or "") + item
            elif isinstance(item, str):
                paragraph.text = (paragraph.text or "") + item
            else:
                paragraph.append(item)
                inner = item


def first_child(parent: Any) -> Any:
    return next((child for child in parent if isinstance(child.tag, str)), None)
