"""A word hyphenated at a line end, whole again: with its hyphen where it is a compound, without where it is not.

A typesetter breaks a long word at a line end with a hyphen ("inter-" then "national"), and
a compound whose hyphen falls at a line end looks the same ("self-" then "aware"). The
text's own words tell them apart: the hyphen stays where both halves are words of the text
and the joined word is not ("self" and "aware" elsewhere, "selfaware" nowhere), and goes
where the joined word is one ("international" elsewhere) or a half is not ("assas" /
"sination"). The terminal reader (groff's hyphens in a man page) and the PDF reader
(PDFium's mark of a hyphen at a line end) decide the same way.
"""

from __future__ import annotations

import re
from collections import Counter

WORD = re.compile(r"[^\W\d_]+")


def compound(words: Counter[str], head: str, tail: str) -> bool:
    """Whether ``head`` and ``tail``, a word hyphenated at a line end, keep their hyphen: ``words`` counts the
    text's words (folded to lower case), without the halves of its hyphenated ones."""
    head, tail = head.lower(), tail.lower()
    return words[head] > 0 and words[tail] > 0 and words[head + tail] <= 0
