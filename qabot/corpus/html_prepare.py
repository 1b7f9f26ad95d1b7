"""What is done to a page's tree before trafilatura reads it (``qabot.corpus.html``).

Text written straight into a container (old HTML without ``<p>``) is wrapped in paragraphs,
as a browser lays it out, and a ``<div>`` of text in a list item is one; what is not text
is removed (permalink markers, code line numbers, links that show no text); a ``<figure>``
becomes a block, so that its text is read, and so does a ``<summary>`` that holds a
heading, so that the heading starts a section; a block in a heading or a ``<pre>`` starts
a line; and each ``<pre>`` block's lines are kept aside, for the block trafilatura gives
back to have them again, as are the numbers of ordered lists' items.
"""

from __future__ import annotations

import itertools
import re
import textwrap
import unicodedata
from typing import Any

from qabot.corpus.docx_numbering import roman
from qabot.text import dedup_key

_PERMALINK = {"¶", "#", "§", "🔗", "◆", "link", "", "\u200b"}  # Docusaurus: a zero-width space; Doxygen: ◆
_INLINE = frozenset("a abbr b bdi bdo big cite code data dfn em font i img kbd label mark q s samp small span strike "
                    "strong sub sup time tt u var wbr br".split())
_CONTAINERS = ("body", "div", "section", "article", "main", "blockquote", "td", "dd", "li", "center")
_LINE_NUMBERS = frozenset({"linenos", "lineno", "ln", "lnt"})  # the classes of code line numbers (Pygments, Chroma)
_SPACES = re.compile(r"\s+")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCK_TAGS = frozenset(("address article aside blockquote dd details div dl dt fieldset figure footer form header hr li "
                         "main nav ol p pre section summary table tr ul").split() + list(_HEADINGS))


def flat(text: str) -> str:
    """Runs of whitespace as one space, trimmed."""
    return _SPACES.sub(" ", text).strip()


def drop_permalinks(tree: Any) -> None:
    """Remove every permalink marker (``<a class=headerlink href=#x>¶</a>``): it is not text."""
    for link in list(tree.iter("a")):
        if (link.get("href") or "").startswith("#") and is_permalink(link) and link.text_content().strip():
            link.drop_tree()


def is_permalink(link: Any) -> bool:
    """Whether a link's text is a permalink marker: ``¶``, ``#``, nothing, or an icon font's glyph (MkDocs' own
    theme writes U+F0C1, Font Awesome's link, which shows as a link icon only in that font)."""
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
    for link in list(tree.iter("a")):
        if not link.text_content().strip() and (len(link) == 0 or any(True for _ in link.iterancestors("pre"))):
            link.drop_tree()  # its tail (a code line's code) stays


def drop_line_numbers(tree: Any) -> None:
    """Remove the line numbers of code blocks: they are not the code, and no one quotes them.

    Pygments writes them in a cell of their own (``<td class="linenos">``, read as a table
    row "1 2 | skyfetch --version ...") or at the head of each line (``<span class="linenos">``,
    Sphinx's default: "1import skyfetch"); Hugo's Chroma as ``<span class="ln">`` or ``lnt``.
    """
    for element in list(tree.iter("td", "span")):
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
    blocks_part_lines(tree)
    figures_as_blocks(tree)
    unwrap_code(tree)
    tables_in_items_as_rows(tree)


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
        if element.tag == "pre" or element.tag in _HEADINGS:
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
    for event, element in etree.iterwalk(tree, events=("start", "end"), tag=("summary", *_HEADINGS)):
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


def ordered_labels(tree: Any) -> dict[str, list[str]]:
    """The number a browser shows before each item of an ordered list (``<ol>``), by the item's text, in order.

    trafilatura keeps no list's numbers, and a step's number is text a reader cites ("step
    3"); ``number_items`` writes them into the items it gives back. The page itself is not
    changed: text added to it changes what trafilatura takes for content (a version picker's
    numbered links read as text, and were kept). A number follows the list's ``start``,
    ``reversed`` and ``type`` (``a``, ``A``, ``i``, ``I``; or docutils' class, ``loweralpha``
    ..., as Sphinx writes it) and an item's ``value``, with a period, as a browser's default
    marker. A list styled ``list-style: none`` shows none, nor does one in a ``<nav>`` (a
    breadcrumb trail). Items are known by the start of their text (``_key``): two with the
    same are numbered in the order they come.
    """
    labels: dict[str, list[str]] = {}
    for ol in tree.iter("ol"):
        style = (ol.get("style") or "").replace(" ", "").lower()
        if "list-style:none" in style or "list-style-type:none" in style or any(
                ancestor.tag == "nav" for ancestor in ol.iterancestors()):
            continue
        items = [child for child in ol if child.tag == "li"]
        kind = ol.get("type") or next((kind for name, kind in _DOCUTILS_TYPES.items()
                                       if name in (ol.get("class") or "").split()), "1")
        step = -1 if ol.get("reversed") is not None else 1
        number = _list_int(ol.get("start"), len(items) if step < 0 else 1)
        for item in items:
            number = _list_int(item.get("value"), number)
            if key := _key(item):
                labels.setdefault(key, []).append(f"{_marker(number, kind)}. ")
            number += step
    for queue in labels.values():
        queue.reverse()  # popped from the end, in the page's order
    return labels


def number_items(body: Any, labels: dict[str, list[str]]) -> None:
    """Start each item of an ordered list in trafilatura's tree with its number (``ordered_labels``).

    The number goes before the text of the item, or of the paragraph it opens with; an item
    that opens with another block (a code block, a list) is left as it is.
    """
    for ordered in body.iter("list"):
        if ordered.get("rend") != "ol":
            continue
        for item in ordered:
            if item.tag != "item" or not (queue := labels.get(_key(item))):
                continue
            label, target = queue.pop(), item
            while not (target.text or "").strip() and (first := first_child(target)) is not None and first.tag == "p":
                target = first
            first = first_child(target)
            if (target.text or "").strip() or (first is not None and not _opens_block(first)):
                target.text = label + (target.text or "").lstrip()


def _opens_block(first: Any) -> bool:
    """Whether an item whose text starts with element ``first`` opens with a block: a list, a table, a quote, a
    heading, or code alone (a code block; a ``<code>`` with text after it is a word of the item's text)."""
    return first.tag in ("list", "table", "quote", "head") or (
        first.tag == "code" and not (first.tail or "").strip() and first.getnext() is None)


def _key(element: Any) -> str:
    """What an item is known by: the letters and digits of the start of its text (its first few hundred characters)."""
    text = ""
    for piece in element.itertext():
        text += piece
        if len(text) > 400:
            break
    return dedup_key(text)[:80]


_DOCUTILS_TYPES = {"loweralpha": "a", "upperalpha": "A", "lowerroman": "i", "upperroman": "I", "arabic": "1"}
_LIST_INT = re.compile(r"\s*-?\d{1,9}\s*$")  # a browser reads a larger one as no number at all, near enough


def _list_int(value: str | None, default: int) -> int:
    return int(value) if value is not None and _LIST_INT.match(value) else default


def _marker(number: int, kind: str) -> str:
    """A list item's number as a browser writes it for ``type`` ``kind``: 1, a ... z, aa, ab ..., i, iv ..."""
    if kind in ("a", "A") and number > 0:
        letters = ""
        while number:
            number, rest = divmod(number - 1, 26)
            letters = "abcdefghijklmnopqrstuvwxyz"[rest] + letters
        return letters.upper() if kind == "A" else letters
    if kind in ("i", "I") and 0 < number < 4000:
        return roman(number).upper() if kind == "I" else roman(number)
    return str(number)


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
