"""An HTML page's ordered lists: the number a browser shows before each item, found on the page and put in the text."""

from __future__ import annotations

import re
from typing import Any

from qabot.corpus.docx_numbering import roman
from qabot.corpus.html_prepare import first_child
from qabot.text import dedup_key


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
