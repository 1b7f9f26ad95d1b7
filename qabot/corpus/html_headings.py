"""The headings of an HTML page: their anchors, and those trafilatura dropped put back where they stand.

trafilatura keeps headings only where it finds the page's container (``<main>``,
``<article>`` ...); a heading it dropped is put back before the block that follows it on
the page (the first of a few such blocks that it kept: a post's title is followed by its
date and author, which it drops). Each heading's anchor is found here too (``Anchors``).
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import deque
from typing import Any

from lxml import etree

from qabot.corpus import html_prepare as prepare
from qabot.corpus import limits
from qabot.corpus.html_marks import TERM_ID
from qabot.text import dedup_key


def restore(blocks: list[tuple[str, str]], headings: list[tuple[str, list[str]]]) -> list[tuple[str, str]]:
    """Put back each page heading trafilatura dropped, before the first block of the content after it.

    That block is found by the start of its text (the first of the few blocks after the heading that trafilatura
    kept), after the block the heading before was put back at (or at it, for headings in a row, whose following
    text is the same): where two sections open alike, the first such block on the page was taken for both, and
    the second heading went before the first section's text. Where no such block comes after, the first one on the
    page is taken, as before. A heading put back goes before the kept headings that follow it on the page and stand
    right before that block (a page's title above its first section's heading).
    """
    kept = {dedup_key(text) for kind, text in blocks if kind == "head"}
    order = {}  # each heading's place on the page
    for place, (heading, _) in enumerate(headings):
        order.setdefault(dedup_key(heading), place)
    starts: dict[str, list[int]] = {}
    for index, (kind, text) in enumerate(blocks):
        if kind == "text":
            starts.setdefault(dedup_key(text)[:60], []).append(index)
    before: dict[int, list[str]] = {}
    last, previous = -1, ""
    for heading, candidates in headings:
        key = dedup_key(heading)
        if key in kept:
            continue
        following, places = next(((text, starts[dedup_key(text)[:60]]) for text in candidates
                                  if dedup_key(text)[:60] in starts), ("", []))
        if not places:
            continue
        at = bisect.bisect_left(places, last if following == previous else last + 1)
        last, previous = places[at if at < len(places) else 0], following  # none after: the page's order is not kept
        target = last
        while target > 0 and blocks[target - 1][0] == "head" and (
                order.get(dedup_key(blocks[target - 1][1]), -1) > order[key]):
            target -= 1  # a kept heading that comes after it on the page
        before.setdefault(target, []).append(heading)
        kept.add(key)
    if not before:
        return blocks
    out: list[tuple[str, str]] = []
    for index, block in enumerate(blocks):
        for heading in before.get(index, ()):
            if out and out[-1][0] == "text" and dedup_key(out[-1][1]) == dedup_key(heading):
                out.pop()  # the heading itself, kept by trafilatura as text (a table row: Doxygen's member lists)
            out.append(("head", heading))
        out.append(block)
    return out


# An id that names a page's content, by which trafilatura finds it (``<section id="content">``): kept on a section.
_CONTAINER = re.compile(r"(?i)content|main|article|story|primary|body|entry|post")


def _opens(parent: Any, heading: Any) -> bool:
    """Whether ``heading`` opens ``parent``: no text before it (docutils writes a section's other ids, a label's, as
    empty ``<span id="...">`` before its heading)."""
    if (parent.text or "").strip():
        return False
    for child in parent:
        if child is heading:
            return True
        if (isinstance(child.tag, str) and prepare.text_of(child)) or (child.tail or "").strip():
            return False
    return False


def found(tree: Any) -> tuple[Anchors, list[tuple[str, list[str]]]]:
    """The anchors of the page's headings, and every heading with the text of the block after it.

    Permalink markers (Sphinx's ``¶``, a ``#`` link) are removed from the tree here, so
    that no heading's text ends with one, and so is the id of a section a heading opens (docutils', pandoc's,
    rustdoc's ``<section id="tags">``) once it is the heading's anchor, or trafilatura deleted a section whose
    id holds one of its words for page furniture ("tags", "menu", "footer", "related", "sidebar" ...); but an id by
    which trafilatura finds the page's content (``<section id="content">``, ``main``, ``article`` ...) is kept.
    """
    anchors = Anchors()
    headings: list[tuple[str, list[str]]] = []
    following = _following_texts(tree)
    for place, heading in enumerate(tree.iter(*prepare.HEADINGS)):
        limits.check()
        ident = heading.get("id")
        for link in list(heading.iter("a")):
            href = link.get("href") or ""
            ident = ident or link.get("id") or link.get("name")
            if href.startswith("#") and prepare.is_permalink(link):
                ident = ident or href[1:]
                link.drop_tree()
        if not ident:  # an element in it with an id: MediaWiki's <span class="mw-headline" id="History">
            ident = next((inner.get("id") for inner in heading.iterdescendants() if isinstance(inner.tag, str)
                          and inner.get("id")), None)
        parent = heading.getparent()
        if parent is not None and parent.get("id") and _opens(parent, heading):
            ident = ident or parent.get("id")
            if (parent.tag == "section" or "section" in (parent.get("class") or "").split()) and not _CONTAINER.search(
                    parent.get("id")):
                # The section's anchor, made from its heading ("tags", "metadata"): trafilatura would take it for a
                # page's furniture (its boilerplate words: "tags", "menu", "footer" ...) and delete the section.
                del parent.attrib["id"]
        after = heading.getnext()  # GitHub's: <h2>Usage</h2><a class=anchor href=#usage><svg/></a>
        if not ident and after is not None and isinstance(after.tag, str) and not prepare.text_of(after):
            ident = next((link.get("href")[1:] for link in after.iter("a")  # the link itself, or a <p> around it
                          if (link.get("href") or "").startswith("#")), None)
        text = prepare.text_of(heading)
        if not text:
            continue
        anchors.add(dedup_key(text), place, ident)
        headings.append((text, following.get(heading, [])))
    return anchors, headings


class TermAnchors:
    """The anchor of each block of a definition whose term has an id (Sphinx's documented objects, ``<dt
    id="skyfetch.purge">``; a glossary's terms), and of such a term on a line of its own.

    Every block of a page that has such a term is listed in order, with the id of the definition it is in (the
    innermost: a class's method's), or none. A block read takes the next of its text on the page after the last one
    found, as a heading does (``Anchors``): "Parameters:" and "Note" are in every function's documentation, and
    outside any. Blocks are known by their first 60 letters and digits, as ``restore`` finds them.
    """

    def __init__(self, tree: Any) -> None:
        self.places: dict[str, deque[tuple[int, str | None]]] = {}
        self.at = -1
        if not tree.xpath(f"descendant-or-self::dd[@{TERM_ID}]") and not tree.xpath("descendant-or-self::dt[@id]"):
            return  # no term to link to: nothing to list
        owners: list[str] = []  # the ids of the definitions the walk is in, innermost last
        place = 0
        for event, element in limits.checked(etree.iterwalk(tree, events=("start", "end"))):
            if not isinstance(element.tag, str):
                continue
            ident = element.get(TERM_ID) if element.tag == "dd" else None
            if event == "end":
                if ident:
                    owners.pop()
                continue
            if ident:
                owners.append(ident)
            if element.tag not in _BLOCKS or any(isinstance(c.tag, str) and c.tag in _BLOCKS for c in element):
                continue  # a block of blocks (a definition of paragraphs) is read as its blocks
            if key := _key(element):
                own = element.get("id") if element.tag == "dt" else None
                self.places.setdefault(key, deque()).append((place, own or (owners[-1] if owners else None)))
                place += 1

    def find(self, key: str) -> str | None:
        """The id of the definition that the next block of text ``key`` on the page is in, else None."""
        places = self.places.get(key[:_KEY])
        while places and places[0][0] <= self.at:
            places.popleft()
        if not places:
            return None
        self.at, ident = places.popleft()
        return ident


_BLOCKS = frozenset({"dt", "dd", "p", "li", "pre", "tr", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"})
_KEY = 60  # letters and digits that tell a block


def _key(element: Any) -> str:
    """The first ``_KEY`` letters and digits of an element's text, read no further than they take."""
    key = ""
    for piece in element.itertext():
        key += dedup_key(piece)
        if len(key) >= _KEY:
            break
    return key[:_KEY]


class Anchors:
    """The anchors of a page's headings, by their text, and where each is on the page.

    Headings of the same text are told apart by where they are: rustdoc gives each
    method's "Examples" its own id (``examples``, ``examples-8``, ...), and each was
    linked to the first. A heading read takes the next of its text on the page after the
    last one found; each place is passed once, so a page's worth of headings costs one pass.
    """

    def __init__(self) -> None:
        self.places: dict[str, deque[tuple[int, str | None]]] = {}
        self.first: dict[str, str] = {}
        self.at = -1  # where the last heading found is

    def add(self, key: str, place: int, ident: str | None) -> None:
        self.places.setdefault(key, deque()).append((place, ident))
        if ident:
            self.first.setdefault(key, ident)

    def find(self, key: str, above: str | None) -> str | None:
        """The anchor of a heading of text ``key``: its own, or under a heading without one the anchor ``above``.

        A heading not found after the last (one put out of order) takes the first anchor of its text.
        """
        places = self.places.get(key)
        while places and places[0][0] <= self.at:
            places.popleft()
        if not places:
            return self.first.get(key, above)
        self.at, ident = places.popleft()
        return ident or above


def _following_texts(tree: Any, most: int = 3) -> dict[Any, list[str]]:
    """Each heading's following texts: those of the first few (``most``) blocks after it among its siblings that are
    not headings, nearest first (trafilatura may have dropped the first: a post's date and author under its title).

    One pass over each parent's children, from the last: a page of 20,000 headings in a row
    (a hostile one) costs 20,000 steps, not the 20,000 squared of looking ahead from each.
    """
    found: dict[Any, list[str]] = {}
    for parent in {heading.getparent() for heading in tree.iter(*prepare.HEADINGS)} - {None}:
        limits.check()
        after: list[str] = []
        for element in reversed(parent):
            if not isinstance(element.tag, str):
                continue
            if element.tag in prepare.HEADINGS:
                # A <header> holds a post's title with its date and author, furniture trafilatura drops: what
                # follows the title is after the header too.
                found[element] = [*after, *_after(parent, most - len(after))] if not after or (
                    parent.tag in ("header", "hgroup") and len(after) < most) else after
            elif text := _block_text(element):
                after = [text, *after][:most]
    return found


def _after(element: Any, most: int, siblings: int = 3) -> list[str]:
    """The texts of the first blocks (``most``) among the few elements after ``element`` (a wrapper that holds only
    a heading and its permalink, as GitHub writes them), or after its parent's; a few only, so that a page of
    wrappers in a row costs no more than one pass."""
    found: list[str] = []
    for _ in range(3):
        for sibling in itertools.islice(element.itersiblings(), siblings):
            if isinstance(sibling.tag, str) and (text := _block_text(sibling)):
                found.append(text)
                if len(found) == most:
                    return found
        if found:
            return found
        element = element.getparent()
        if element is None:
            break
    return found


def _block_text(element: Any) -> str:
    """The text of an element's first block that has any, else the element's own text."""
    for block in element.iter("p", "li", "pre", "dt", "dd", "tr", "td", "blockquote"):  # a row, as it is read
        if text := prepare.text_of(block):
            return text
    return prepare.text_of(element)
