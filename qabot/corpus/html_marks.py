"""What reads wrongly as plain text in a page (``qabot.corpus.html``): superscripts, footnote markers, definitions.

Read as text, "2<sup>n</sup>" was "2n" and "x<sup>2</sup>" "x2", another number; and a
footnote's marker ran into the word before it ("show<sup>1</sup>." as "show1."). Before
trafilatura reads the page, a superscript right after a letter or digit becomes a power,
"2^n", its exponent in brackets where it is more than one word or number ("2^(n+1)"); an
ordinal's ending after a number or a mark ("1<sup>st</sup>", "Acme<sup>™</sup>") joins the
word as it is, as does a ``<sub>`` ("H<sub>2</sub>O" is "H2O"). A footnote reference is
taken out, as nothing (a space where it parted two words): the note it marks is read where
it is on the page, without the link back that ends it ("↩"). One is a ``<sup>`` that holds
only a link to a place on the page (Python-Markdown, markdown-it, GitHub and Wikipedia
write them so; Asciidoctor puts brackets around the link), or such a link that holds only a
``<sup>`` (Pandoc), or one marked as a note reference (docutils' ``<a class="footnote-reference">``,
``role="doc-noteref"``).
Code (``<pre>``, ``<code>``) is left as it is.

A definition list's term (``<dt>``) and its definition (``<dd>``) were two paragraphs: an
option "--force" and what it does were cut apart. A term now opens its definition's text,
"--force: Overwrite existing files." (terms of one definition joined by commas, "--quiet,
-q: ...", and after a term that ends with a colon, "Returns:", a space); further definitions
of the same terms, of text alone, join it after a space; a definition of several paragraphs
has the terms in its first. Where a definition opens with a block (a code block, a list), its term stays a line
of its own, as it is on the page. A term's id (Sphinx's ``<dt id="skyfetch.purge">`` of each object it documents,
a glossary's ``term-tile``) is marked on its definition (``TERM_ID``): the anchor of the definition's paragraphs.
"""

from __future__ import annotations

import re
from typing import Any

from qabot.corpus import limits
from qabot.corpus.html_prepare import first_child, flat, inline_only, is_inline

TERM_ID = "data-qabot-term-id"  # on a definition (<dd>): the id of the first of its terms that has one
_FOOTNOTE_CLASSES = frozenset({"footnote-ref", "footnote-reference"})  # Pandoc's, docutils'
_ORDINAL = re.compile(r"(?i)st|nd|rd|th|e|er|re|ème|me|o|a")  # after a number: 1st, 2nd, 19e, 1er
_MARK = re.compile(r"(?i)tm|sm|[®©™*†‡§]+")  # Acme™, a note marked with a star
_EXPONENT = re.compile(r"[^\W_]+|[-−]?\d+(?:[.,]\d+)?")  # one word or number: 2^n, 10^-3
_NOTE = 8  # the most characters of a footnote's marker ("[12]", "†")
# A footnote's link back to where it is referred to: Python-Markdown's and markdown-it's, Pandoc's, kramdown's.
_BACK_LINK_CLASSES = frozenset({"footnote-backref", "footnote-back", "reversefootnote"})
_BACK_ARROWS = re.compile(r"[↩↑⤴]\ufe0e?\s*\d*")  # "↩", "↩\ufe0e" (as text, not emoji), "↩2" (the second reference)
_POWER = 16  # the most of an exponent: a longer superscript is text set small, not a power


def prepare(tree: Any) -> None:
    """Set the marks known here right, on the page's tree, before trafilatura reads it."""
    superscripts(tree)
    definitions(tree)


def superscripts(tree: Any) -> None:
    """Write each superscript on the page as it reads: a power with a caret, a footnote marker as nothing."""
    from lxml import etree

    found: list[Any] = []
    code = 0  # the <pre> and <code> elements open around the element: one pass, however deep the page
    for event, element in etree.iterwalk(tree, events=("start", "end"), tag=("pre", "code", "sup", "a")):
        if element.tag in ("pre", "code"):
            code += 1 if event == "start" else -1
        elif event == "start" and not code:
            found.append(element)
    dropped: set[Any] = set()
    for element in found:
        limits.check()  # each taken out or unwrapped costs the length of its siblings and of the text before it
        if any(ancestor in dropped for ancestor in _up(element, 2)):
            continue  # in a footnote's marker taken out already (Pandoc's <a><sup>)
        if _footnote_reference(element) or _back_link(element):
            _drop_keeping_words_apart(element)
            dropped.add(element)
        elif element.tag == "sup":
            _power(element)


def _up(element: Any, steps: int) -> list[Any]:
    out = []
    for ancestor in element.iterancestors():
        if len(out) == steps:
            break
        out.append(ancestor)
    return out


def _short_text(element: Any, most: int) -> str | None:
    """An element's text, flattened, or None where it is longer than ``most`` characters (read no further)."""
    text = ""
    for piece in element.itertext():
        text += piece
        if len(text.strip()) > 4 * most:
            return None
    text = flat(text)
    return text if len(text) <= most else None


def _footnote_reference(element: Any) -> bool:
    if not (text := _short_text(element, _NOTE)):
        return False
    if element.tag == "a":
        classes = set((element.get("class") or "").split())
        noteref = element.get("role") == "doc-noteref" or not _FOOTNOTE_CLASSES.isdisjoint(classes)
        sup = len(element) == 1 and element[0].tag == "sup" and not (element.text or "").strip()
        return (element.get("href") or "").startswith("#") and (noteref or sup)
    links = [link for link in element.iter("a") if (link.get("href") or "").startswith("#")]
    # The link alone, or in brackets outside it, as Asciidoctor writes them: "[<a href=#_footnotedef_1>1</a>]".
    return len(links) == 1 and (marker := _short_text(links[0], _NOTE)) is not None and text in (marker, f"[{marker}]")


def _back_link(element: Any) -> bool:
    """Whether an element is a footnote's link back to its reference ("↩"), which the note's text would end with."""
    if element.tag != "a" or not (element.get("href") or "").startswith("#"):
        return False
    classes = set((element.get("class") or "").split())
    marked = (element.get("role") == "doc-backlink" or element.get("data-footnote-backref") is not None
              or not _BACK_LINK_CLASSES.isdisjoint(classes))
    return marked or bool((text := _short_text(element, _NOTE)) and _BACK_ARROWS.fullmatch(text))


def _drop_keeping_words_apart(element: Any) -> None:
    after = element.tail or ""
    if _last_text(element)[-1:].isalnum() and after[:1].isalnum():
        element.tail = " " + after
    element.drop_tree()


def _power(sup: Any) -> None:
    text, before = _short_text(sup, _POWER), _last_text(sup)[-1:]
    if not text or not before.isalnum() or _MARK.fullmatch(text) or (before.isdigit() and _ORDINAL.fullmatch(text)):
        return
    for child in list(sup):
        child.drop_tree()
    sup.text = "^" + (text if _EXPONENT.fullmatch(text) else f"({text})")
    sup.drop_tag()


def _last_text(element: Any) -> str:
    """The text right before ``element`` (its end: found down the last children, not read whole)."""
    previous = element.getprevious()
    if previous is None:
        parent = element.getparent()
        return (parent.text or "") if parent is not None else ""
    while isinstance(previous.tag, str) and not previous.tail and len(previous):
        previous = previous[-1]  # ends with its last child's text
    if previous.tail or not isinstance(previous.tag, str):
        return previous.tail or ""
    return previous.text or ""


def definitions(tree: Any) -> None:
    """Start each definition of a definition list with its terms, taken out of the list (see the module's doc)."""
    for dl in list(tree.iter("dl")):
        terms: list[Any] = []
        group: list[Any] = []  # the definitions of the last terms, while they are text alone
        for entry in [*[entry for child in dl for entry in (child if child.tag == "div" else (child,))], None]:
            if entry is not None and entry.tag == "dd" and group and inline_only(entry):
                group.append(entry)
                continue
            if len(group) > 1:
                _join(group)
            group = []
            if entry is not None and entry.tag == "dt":
                terms.append(entry)
            elif entry is None or entry.tag != "dd":
                terms = []
            elif terms:
                group = [entry] if _define(terms, entry) and inline_only(entry) else []
                terms = []


def _define(terms: list[Any], dd: Any) -> bool:
    """Put ``terms`` at the start of definition ``dd``'s text; False (and nothing done) where it opens with a block.
    The id of the first term that has one is ``dd``'s ``TERM_ID`` either way."""
    if ident := next((term.get("id") for term in terms if term.get("id")), None):
        dd.set(TERM_ID, ident)
    place = dd
    while not (place.text or "").strip() and (first := first_child(place)) is not None and first.tag in ("p", "div"):
        place = first  # the definition's first paragraph
    first = first_child(place)
    if not (place.text or "").strip() and (first is None or not is_inline(first)):
        return False  # it opens with a block, or is empty: the term is a line of its own
    text, place.text = place.text or "", None
    previous = None
    for number, term in enumerate(terms):
        term.drop_tree()  # out of the list; its tail (whitespace) stays there
        term.tag = "span"
        _strip_end(term)
        if number < len(terms) - 1:
            term.tail = ", "
        else:  # "Returns:" has its colon, though the permalink marker that Sphinx writes after a term comes later
            ends = flat("".join(term.itertext())).rstrip("¶#§ ")
            term.tail = (" " if ends.endswith(":") else ": ") + text.lstrip()
        if previous is None:
            place.insert(0, term)
        else:
            previous.addnext(term)
        previous = term
    return True


def _join(group: list[Any]) -> None:
    """Make the definitions of text alone in ``group`` one, the first, each after a space."""
    definition = group[0]
    last = definition[-1] if len(definition) else None  # the text is gathered for it, then set once
    run = [(last.tail if last is not None else definition.text) or ""]

    def put() -> None:
        if last is None:
            definition.text = "".join(run)
        else:
            last.tail = "".join(run)

    for further in group[1:]:
        run.extend((" ", further.text or ""))
        for child in list(further):
            put()
            definition.append(child)
            last, run = child, [child.tail or ""]
        further.drop_tree()
    put()


def _strip_end(element: Any) -> None:
    """Take the whitespace off the end of ``element``'s text (down its last children)."""
    while len(element) and not (element[-1].tail or "").strip():
        element[-1].tail = None
        element = element[-1]
    if len(element):
        element[-1].tail = element[-1].tail.rstrip()
    else:
        element.text = (element.text or "").rstrip()
