"""The reader for ``.html`` and ``.htm`` files: the page's main content, with trafilatura.

trafilatura decides what is main content, so navigation, sidebars, theme pickers,
keyboard-shortcut help, cookie banners, scripts and footers are never indexed. From its
result (an XML tree of headings, paragraphs, lists, quotes, code and tables) this reader
builds the document:

- every paragraph, list item, quote, code block and table row is one paragraph of the
  text (a row as its cells joined by `` | ``); inline elements (``<code>``, ``<a>``,
  ``<em>``) join the text around them where they stand, so sentences stay whole, and a
  ``<br>`` parts the words on either side (in a cell too). A paragraph is one line but
  a ``<pre>`` block's, which keeps its lines (``prepare.preformatted``). An ordered
  list's item starts with the number a browser shows (``1. Park the mount.``), found on
  the page (``html_lists``): the text is derived, as a Word file's is. The
  tree is asked for without trafilatura's formatting: with it, markup nested in
  ``<code>`` (Sphinx's ``<code>…/issues/<em>num</em></code>``) is moved out of place or
  lost, and this reader needs only the text;
- ``h1``-``h6`` become sections. trafilatura keeps headings only where it finds the
  page's container (``<main>``, ``<article>`` ...); on a page without one (SQLite's
  documentation, say) a heading it dropped is put back before the content that follows
  it in the page;
- a heading's ``id`` (or that of the ``<section>`` it opens, of an ``<a name>`` in it, or
  of its permalink, in it or right after it as GitHub writes it) is the anchor of the paragraphs below it, for a citation link
  ``url#section-id``; under a heading without one, the anchor above goes on, and headings
  of the same text each have their own (``html_headings.Anchors``). Permalink markers (``¶``) are not text;
- ``<title>`` (else ``og:title``) is the title, but for an editor's placeholder ("Untitled Document",
  ``titles``); ``<link rel=canonical>`` (or ``og:url``) the url; ``<meta name=author>`` the author.

Before trafilatura reads the page, text written straight into a container (old HTML
without ``<p>``, as HeVeA and many hand-written pages have it) is wrapped in paragraphs,
as a browser lays it out, so that it is seen as text, what documentation generators (rustdoc,
mdBook) write that is not text is taken out (``html_generators``), and a power (``2^n``), a footnote's
marker and a definition's term ("--force: Overwrite ...") read as they should (``html_marks``).
trafilatura runs with ``favor_recall``: on documentation pages its default drops lists and whole sections;
its fallback on justext classifies paragraphs in a time that grows with their number (``html_justext``).
A page with no main content is skipped with a warning that names it.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections import deque
from collections.abc import Iterator
from typing import Any

from qabot.corpus import html_generators as generators
from qabot.corpus import html_headings as headings
from qabot.corpus import html_justext as justext
from qabot.corpus import html_lists as lists
from qabot.corpus import html_marks as marks
from qabot.corpus import html_prepare as prepare
from qabot.corpus import limits
from qabot.corpus.derived import DerivedText
from qabot.corpus.files import CorpusFile, Warn
from qabot.corpus.titles import own_title
from qabot.models import Document
from qabot.text import dedup_key

SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
MARKUP = True  # parsed whole into a tree: its size is bounded by QABOT_READER_MAX_INFLATED_MB (qabot.corpus.limits)
PIECE = 5_000  # elements of a page that trafilatura reads at once (see _pieces)
SHORT_PAGE = 250  # trafilatura's MIN_EXTRACTED_SIZE: below it, it takes its fallbacks' reading (see _contained)
# trafilatura logs "discarding data: None" (and at error level "parsed tree length: 0 ...") for a page it finds no
# text in, naming no file; the skip is reported by qabot, with the file's name. Set once: it never sets its own level.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
_BLOCKS = {"p", "head", "quote", "code", "item", "row"}
_STRUCTURE = _BLOCKS | {"list", "table", "div", "body", "cell"}  # trafilatura's blocks; the rest is inline
# Elements of trafilatura's tree that part the words on either side: a line break (<br> as <lb/>), and the
# blocks that a <br> in a table cell becomes ("USB 3<p>blue</p>"), read as one run of text by itertext.
_PARTING = ("lb", "p", "head", "quote", "item", "list", "row", "cell")
# A short paragraph that is a page's furniture, not its content, though it sits inside the main part.
# A theme's links within the page are furniture too: "Skip to content" (furo, Material, Docusaurus), "Back to top".
_FURNITURE = re.compile(r"(?i)^(?:this page )?last (?:modified|updated)\b|^copyright\b|©|\ball rights reserved\b|^powered by\b"
                        r"|^skip to (?:the )?(?:main )?content$|^(?:back|return) to (?:the )?top$")
_DATE_META = ("article:published_time", "date", "dc.date", "dcterms.date", "dc.date.issued")
DEPTH = 255  # how deep lxml's parser (libxml2's) nests elements: it reads nothing of a page past that point
_FONT = re.compile(rb"(?i)</?(?:font|basefont)\b[^>]*>")
# A DOCTYPE's internal subset (``<!DOCTYPE html [ <!ENTITY ...> ]>``, as XHTML may have it): libxml2's HTML parser
# ends the DOCTYPE at its first ">" and reads the rest, `` ]>``, as the page's text. Found after what may come before
# the DOCTYPE (a byte-order mark, spaces, an XML declaration, comments), and taken out, the DOCTYPE kept.
# Each part before it is matched one way only (no lazy ".*?" that could span two), so a page of them is read once.
_SUBSET = re.compile(rb"(?is)((?:\xef\xbb\xbf)?(?:\s|<\?[^>]*>|<!--(?:[^-]|-(?!->))*-->)*<!doctype[^\[>]*)\[.*?\]\s*>")
# What the parser makes of a reference to a control character (&#27;, &#8;): lxml will not let it into an element
# trafilatura builds, so the whole page was lost. A raw control byte the parser drops itself; these go the same way.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# The parser's time grows faster than the square of an element's distinct attributes (40,000: 16 s), in one call:
# an element with more is refused before it is parsed. Found as HTML5 (libxml2's parser) reads a start tag: its name,
# then attributes, each a name and perhaps "=" and a value, quoted or not; "/" and spaces apart.
MAX_ATTRIBUTES = 1_000
_TAG = re.compile(rb"<[A-Za-z][^\t\n\f\r />]*+")
_ATTRIBUTE = re.compile(rb"[\t\n\f\r /]*+[^\t\n\f\r />][^\t\n\f\r />=]*+"
                        rb"(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+(?:\"[^\"]*+\"|'[^']*+'|[^\t\n\f\r >]*+))?+")


def read(file: CorpusFile, warn: Warn) -> Iterator[Document]:
    try:
        data = file.path.read_bytes()
    except OSError as exc:
        warn(f"skipping {file.name}: cannot be read ({exc.strerror or exc})")
        return
    result = document(file.name, data, warn)
    if result is None:
        warn(f"skipping {file.name}: no main content found (only navigation, scripts or boilerplate)")
        return
    yield result


def document(name: str, data: bytes, warn: Warn | None = None) -> Document | None:
    """The document of a page's HTML, or None when it has no main content."""
    tree = _load(name, data, warn)
    if tree is None:
        return None
    meta = _metadata(tree)
    prepare.drop_icon_titles(tree)
    generators.prepare(tree)
    marks.prepare(tree)
    prepare.blocks(tree)  # first: text right in a figure is then wrapped as any container's
    prepare.wrap_loose_text(tree)
    prepare.divs_as_paragraphs(tree)
    anchors, found = headings.found(tree)
    prepare.drop_permalinks(tree)
    prepare.drop_empty_links(tree)
    prepare.drop_line_numbers(tree)
    terms = headings.TermAnchors(tree)
    prepare.summaries_with_headings_as_blocks(tree)
    code = prepare.preformatted(tree)
    labels = lists.ordered_labels(tree)
    bodies = []
    for piece in _pieces(tree, PIECE):
        limits.check()
        if (body := _extract(piece)) is not None:
            lists.number_items(body, labels)
            bodies.append(body)
    if not bodies:
        return None
    for body in bodies:
        for element in body.iter(*_PARTING):
            element.text, element.tail = f" {element.text or ''}", f" {element.tail or ''}"
    blocks = [(kind, code.get(block, block)) for body in bodies for kind, block in _walk(body)]
    blocks = headings.restore(blocks, found)
    text = DerivedText()
    anchor: str | None = None
    for kind, block in blocks:
        if kind == "text" and len(block) < 160 and _FURNITURE.search(block):
            continue
        if kind == "head":
            anchor = anchors.find(dedup_key(block), anchor)
            text.heading(block, anchor=anchor)
        else:  # a definition whose term has an id (a documented function's) links there
            text.paragraph(block, anchor=terms.find(dedup_key(block)) or anchor)
    if not text.numbered:
        return None
    return text.document(name, **meta)


def _extract(piece: Any, floor: int | None = None) -> Any:
    """trafilatura's main content of a page (or of a part of one), as its tree of blocks; None where it finds none.

    Below ``MIN_EXTRACTED_SIZE`` characters (250), trafilatura distrusts what it found and
    takes its baseline where that reads more: on a short page (a blog post of a few
    paragraphs) the text of the whole ``<article>``, its headings, date and code, as one
    paragraph. Where that one paragraph is what came back, and is the baseline's, the page
    is read again with that floor at one character, which keeps the blocks trafilatura
    found; the baseline stays only where the page's ``<article>`` (or ``<main>``, or the
    ``<div role="main">`` of the Read the Docs theme), or the baseline on a page without one,
    holds more than twice as much (text the main extraction missed): on so short a page the
    baseline is the whole page's text, and its navigation outweighed a sentence and a code
    block. Any other result is taken as it is, without reading the baseline, but for the
    blocks of a short page outside its container (``_contained``).
    """
    import trafilatura
    from trafilatura.settings import use_config

    justext.install()  # its fallback, in a time that grows with a piece's paragraphs, not their square
    config = None
    if floor is not None:
        config = use_config()
        config.set("DEFAULT", "MIN_EXTRACTED_SIZE", str(floor))
    # No include_formatting: its <hi> elements move nested inline markup out of order.
    extracted = trafilatura.bare_extraction(
        piece, favor_recall=True, include_formatting=False, include_tables=True, include_comments=False,
        include_images=False, include_links=False, deduplicate=False, config=config,
    )
    body = getattr(extracted, "body", None)
    if floor is not None or body is None or len(body) != 1 or body[0].tag != "p":
        return _contained(body, piece)  # the baseline reads an <article> (or the whole page) as one paragraph
    text = "".join(body.itertext())
    if text != "".join(trafilatura.baseline(piece)[0].itertext()):
        return body
    blocks = _extract(piece, floor=1)
    # What the blocks should hold most of: the page's <article> or <main> where it has one (the baseline of so
    # short a page is the whole page's text, its navigation included), else the baseline.
    container = _container(piece)
    reference = prepare.flat(container.text_content()) if container is not None else text
    return blocks if blocks is not None and 2 * len("".join(blocks.itertext())) >= len(reference) else body


def _container(piece: Any) -> Any:
    """The page's container of its content: its ``<article>``, ``<main>`` or ``<div role="main">``, or None."""
    return next((found for path in (".//article", ".//main", ".//*[@role='main']")
                 if (found := piece.find(path)) is not None), None)


def _contained(body: Any, piece: Any) -> Any:
    """``body`` without the blocks that lie outside the page's container, where the page is short.

    On a page of a few sentences trafilatura falls back on readability and justext, which read
    what a theme puts around the content (pydata-sphinx-theme's "Section Navigation", its
    project's name) as paragraphs of it. Where what it found is shorter than its own threshold
    for trusting it (``MIN_EXTRACTED_SIZE``) and the page has a container, a block whose text
    that container does not hold is left out (all of them kept where none is in it). The container's text is
    read as it is, and without what trafilatura takes out of a paragraph (a button's label, an SVG icon's title):
    "Press <button>Copy</button> to copy" is the paragraph "Press to copy", which is in the container."""
    if body is None or len("".join(body.itertext())) >= SHORT_PAGE or (container := _container(piece)) is None:
        return body
    inside = "".join(container.text_content().split())
    cleaned = "".join(_without_cleaned(container).text_content().split())
    outside = [block for block in body
               if (text := "".join("".join(block.itertext()).split())) not in inside and text not in cleaned]
    if len(outside) < len(body):
        for block in outside:
            body.remove(block)
    return body


def _without_cleaned(element: Any) -> Any:
    """A copy of ``element`` without the elements trafilatura takes out of a page, their tails kept."""
    import copy

    from trafilatura.settings import MANUALLY_CLEANED

    element = copy.deepcopy(element)
    for child in list(element.iterdescendants(*MANUALLY_CLEANED)):
        child.drop_tree()
    return element


def _load(name: str, data: bytes, warn: Warn | None) -> Any:
    """The page's tree, as trafilatura parses it, read whole where lxml's depth limit cut it.

    Old hand-written pages open a ``<font>`` for each paragraph and never close it, so each
    paragraph nests in the one before, and past ``DEPTH`` the parser stops without a word:
    400 such paragraphs read as 127. ``<font>`` only sets how text looks (trafilatura drops it
    too), so such a page is parsed again without it; one still too deep is read as far as it
    goes, with a warning.
    """
    import trafilatura

    _check_attributes(data)
    if subset := _SUBSET.match(data):
        data = subset[1] + b">" + data[subset.end() :]
    tree = trafilatura.load_html(data)
    if tree is not None and _too_deep(tree):
        tree = trafilatura.load_html(_FONT.sub(b"", data))
        if tree is not None and _too_deep(tree) and warn is not None:
            warn(f"{name}: its elements nest more than {DEPTH} deep; the text after that point is not read")
    if tree is not None:
        _drop_controls(tree)
    return tree


def _check_attributes(data: bytes) -> None:
    """Raise ``OverLimit`` where an element of the page has more than ``MAX_ATTRIBUTES`` attributes."""
    at = 0
    while (tag := _TAG.search(data, at)) is not None:
        at, count = tag.end(), 0
        while (attribute := _ATTRIBUTE.match(data, at)) is not None:
            at, count = attribute.end(), count + 1
            if count > MAX_ATTRIBUTES:
                raise limits.OverLimit(f"an element in it has more than {MAX_ATTRIBUTES:,} attributes, more than the "
                                       "HTML parser reads in time")


def _drop_controls(tree: Any) -> None:
    """Take out the control characters that character references put in the page's text and attributes."""
    for element in tree.iter():
        if element.text and _CONTROLS.search(element.text):
            element.text = _CONTROLS.sub("", element.text)
        if element.tail and _CONTROLS.search(element.tail):
            element.tail = _CONTROLS.sub("", element.tail)
        for key, value in element.attrib.items():
            if _CONTROLS.search(value):
                element.attrib[key] = _CONTROLS.sub("", value)


def _too_deep(tree: Any) -> bool:
    """Whether the parser stopped at its depth limit: the page's last element is that deep."""
    (last,) = deque(tree.iter(), maxlen=1)
    return sum(1 for _ in last.iterancestors()) >= DEPTH


def _pieces(tree: Any, size: int) -> Iterator[Any]:
    """The page for trafilatura: whole, or for a page of more than ``size`` elements, in parts of about ``size``.

    trafilatura's cost grows with the square of a page's elements (libxml2 merges the
    node sets of an XPath union pairwise, and a page without a main container is
    searched with such unions), so a flat page of a few megabytes takes minutes whole,
    and in parts a time that grows with its length. A part is consecutive elements of
    the page, moved out of it, under copies of the containers they sat in (a container
    too large for one part is split inside), so that each part still has the page's
    ``<main>`` or ``<article>`` around its share of the content.
    """
    from lxml import etree
    from lxml import html as lxml_html

    if not _larger(tree, size):
        yield tree
        return
    body = tree.find("body")
    top = body if body is not None else tree
    page: Any = None
    open_: list[tuple[Any, Any]] = []  # (container of the page, its copy in this part), outermost first
    count = 0
    for chain, element in _leaves(top, size):
        if element is None:  # the end of chain[-1]: the text after it follows its last copy
            if open_ and open_[-1][0] is chain[-1] and chain[-1].tail:
                open_[-1][1].tail, chain[-1].tail = chain[-1].tail, None
            continue
        n = sum(1 for _ in element.iter())
        if page is not None and count + n > size:
            yield page
            page = None
        if page is None:
            page = lxml_html.Element("html", dict(tree.attrib))
            root = etree.SubElement(page, "body", dict(top.attrib)) if top is not tree else page
            open_, count = [(top, root)], 0
        depth = 0
        while depth < len(chain) and depth + 1 < len(open_) and open_[depth + 1][0] is chain[depth]:
            depth += 1
        del open_[depth + 1:]
        for container in chain[depth:]:
            copy = _copy_under(open_[-1][1], container)
            if container.text:  # its own text goes with its first part
                copy.text, container.text = container.text, None
            open_.append((container, copy))
        open_[-1][1].append(element)  # moved: the page shrinks as its parts are read
        count += n
    if page is not None:
        yield page


def _copy_under(parent: Any, container: Any) -> Any:
    """An empty copy of ``container`` as ``parent``'s last child. A tag the HTML parser took from a typo
    (``<div"class="main">``) but lxml will not make is a ``div``: it names no element a page's reader looks for."""
    from lxml import etree

    try:
        return etree.SubElement(parent, container.tag, dict(container.attrib))
    except ValueError:
        return etree.SubElement(parent, "div", dict(container.attrib))


def _leaves(parent: Any, size: int, chain: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(containers above, element) for each element of at most ``size`` elements below ``parent``, in order.

    An element larger than ``size`` is a container: its children are gone into, and
    (its chain, None) marks its end.
    """
    for child in list(parent):
        if len(child) and _larger(child, size):
            yield from _leaves(child, size, (*chain, child))
            yield (*chain, child), None
        else:
            yield chain, child


def _larger(element: Any, size: int) -> bool:
    """Whether ``element`` holds more than ``size`` elements (counting no further: deep pages stay cheap)."""
    return sum(1 for _ in itertools.islice(element.iter(), size + 1)) > size


def _walk(element: Any) -> Iterator[tuple[str, str]]:
    """(kind, text) of every block of trafilatura's tree, in order: 'head' or 'text'.

    In a block that holds blocks (a list item, a quote), the text beside them, with the
    inline elements in it, is a block of its own: trafilatura leaves a Javadoc member's
    description as the tail of its heading, in the item that holds them both
    (``<item><head>evict</head>Removes every ...<list>``). Loose text right in the body is
    not content (what trafilatura keeps of a page of links alone).
    """
    run: list[str] = [element.text or ""]  # the loose text since the last block, and its inline elements'

    def loose() -> Iterator[tuple[str, str]]:
        if (text := prepare.flat("".join(run))) and element.tag in _BLOCKS:
            yield "text", text
        run.clear()

    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        # A <code> alone between blocks is a code block; with text beside it, a word of that text.
        if tag not in _STRUCTURE and not (tag == "code" and not "".join(run).strip() and not (child.tail or "").strip()):
            run.extend((*child.itertext(), child.tail or ""))
            continue
        yield from loose()
        if tag == "head":
            # A <details> block's <summary> has no rend: no section runs on past its block.
            if text := prepare.text_of(child):
                yield ("head" if child.get("rend") else "text"), text
        elif tag == "row":
            cells = [prepare.text_of(cell) for cell in child if isinstance(cell.tag, str)]
            if text := " | ".join(cell for cell in cells if cell):
                yield "text", text
        elif tag in ("list", "table", "div", "body") or (tag in _BLOCKS and _has_blocks(child)):
            yield from _walk(child)
        elif (tag in _BLOCKS or tag == "cell") and (text := prepare.text_of(child)):
            yield "text", text
        run.append(child.tail or "")
    yield from loose()


def _has_blocks(element: Any) -> bool:
    return any(isinstance(c.tag, str) and c.tag in ("p", "list", "quote", "table", "head") for c in element)


# A <title> out of the head (a page that puts it in its body), but an inline SVG's: an icon's tooltip ("GitHub").
_BODY_TITLE = "//title[not(ancestor::*[local-name()='svg' or local-name()='math'])]//text()"


def _metadata(tree: Any) -> dict[str, str]:
    def first(xpath: str) -> str | None:
        for value in tree.xpath(xpath):
            if (text := prepare.flat(str(value))):
                return text
        return None

    meta = {
        # An editor's placeholder ("Document", VS Code's and Emmet's; "Untitled Document", Dreamweaver's) is none.
        "title": own_title(first("//head/title//text()") or first(_BODY_TITLE)) or own_title(
            first("//meta[@property='og:title']/@content")),
        "url": first("//link[@rel='canonical']/@href") or first("//meta[@property='og:url']/@content"),
        "author": first("//meta[@name='author']/@content"),
        "date": next((d for name in _DATE_META if (d := first(
            f"//meta[@property='{name}' or translate(@name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
            f"'abcdefghijklmnopqrstuvwxyz')='{name}']/@content"))), None),
    }
    return {key: value for key, value in meta.items() if value}
