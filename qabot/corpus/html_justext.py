"""justext's classification of a page's paragraphs by their neighbours, in a time that grows with their number.

trafilatura falls back on justext where its own extraction of a page (or of a piece of one,
``html._pieces``) is short or holds leftovers of navigation (a ``<time>``, a ``<label>``):
justext then reads every paragraph of that piece. Its ``revise_paragraph_classification``
finds, for each short paragraph, the nearest good or bad one on either side by walking to it,
so a piece of thousands of short paragraphs (a log of timestamped lines, a page of headings
each with its date) took a time that grows with the square of their number: half a second to
a second for each piece, five to ten seconds for a 300 KB page. This is the same function
(justext 3.0.2, as trafilatura calls it) with the nearest neighbours found in one pass each
way: every paragraph is classified as justext classifies it, and ``install`` puts it where
trafilatura looks it up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

GOOD_OR_BAD = frozenset({"good", "bad"})
WITH_NEARGOOD = GOOD_OR_BAD | {"neargood"}


def install() -> None:
    """Make trafilatura's justext fallback classify with ``revise_paragraph_classification`` below."""
    import trafilatura.external

    trafilatura.external.revise_paragraph_classification = revise_paragraph_classification


def revise_paragraph_classification(paragraphs: Sequence[Any], max_heading_distance: int = 200) -> None:
    """``justext.core.revise_paragraph_classification``: the same classes, in linear time."""
    # good headings (as justext does it: the later paragraphs' classes are not copied yet)
    for i, paragraph in enumerate(paragraphs):
        paragraph.class_type = paragraph.cf_class
        if paragraph.heading and paragraph.class_type == "short":
            _near_good(paragraphs, i, max_heading_distance, "neargood")
    # classify short: by the nearest good or bad paragraph on either side (none: bad), before any is changed
    classes = [p.class_type for p in paragraphs]
    before, after = _nearest(classes, GOOD_OR_BAD), _nearest(classes[::-1], GOOD_OR_BAD)[::-1]
    before_near, after_near = _nearest(classes, WITH_NEARGOOD), _nearest(classes[::-1], WITH_NEARGOOD)[::-1]
    for i, kind in enumerate(classes):
        if kind != "short":
            continue
        prev, next_ = before[i], after[i]
        if prev == next_:
            paragraphs[i].class_type = prev
        elif (prev == "bad" and before_near[i] == "neargood") or (next_ == "bad" and after_near[i] == "neargood"):
            paragraphs[i].class_type = "good"
        else:
            paragraphs[i].class_type = "bad"
    # revise neargood: the earlier ones are good or bad by now, the later ones are passed over
    after = _nearest([p.class_type for p in paragraphs][::-1], GOOD_OR_BAD)[::-1]
    prev = "bad"
    for i, paragraph in enumerate(paragraphs):
        if paragraph.class_type == "neargood":
            paragraph.class_type = "bad" if (prev, after[i]) == ("bad", "bad") else "good"
        if paragraph.class_type in GOOD_OR_BAD:
            prev = paragraph.class_type
    # more good headings
    for i, paragraph in enumerate(paragraphs):
        if paragraph.heading and paragraph.class_type == "bad" and paragraph.cf_class != "bad":
            _near_good(paragraphs, i, max_heading_distance, "good")


def _near_good(paragraphs: Sequence[Any], i: int, max_distance: int, then: str) -> None:
    """Give paragraph ``i`` the class ``then`` where a good one follows it within ``max_distance`` characters (each
    paragraph justext makes holds text, so this looks at most that many paragraphs ahead)."""
    j, distance = i + 1, 0
    while j < len(paragraphs) and distance <= max_distance:
        if paragraphs[j].class_type == "good":
            paragraphs[i].class_type = then
            return
        distance += len(paragraphs[j].text)
        j += 1


def _nearest(classes: Iterable[str], kinds: frozenset[str]) -> list[str]:
    """For each position, the last of ``kinds`` among the classes before it; 'bad' where there is none."""
    found, last = [], "bad"
    for kind in classes:
        found.append(last)
        if kind in kinds:
            last = kind
    return found
