"""A document's title from its metadata (a PDF's ``/Title``, a Word file's core properties), where it is one.

The tools that make documents write a title of their own where the author set none, and
a reader that took it would cite "paper.dvi" and put it before every passage the model
reads: of 190 real papers of a research archive, 35 had one. The file the tool printed or
converted (``paper.dvi``, ``Dissertation.doc``, ``data/figure.tex``), with a print driver's
``Microsoft Word - `` before it; an application's placeholder (``untitled``, ``Untitled
Document``, ``Document1``); a Word template's own (``Proceedings Template - WORD``); and the
stamp arXiv or a publisher writes (``arXiv:quant-ph/9508027v2 25 Jan 1996``, a DOI) are
no titles: the reader looks for one in the text instead.
"""

from __future__ import annotations

import re

_PRINTED = re.compile(r"(?i)^microsoft\s+(?:office\s+)?(?:word|powerpoint|excel)\s+-\s")
_FILE = re.compile(r"(?i)\.(?:dvi|tex|e?ps|pdf|docx?|dotx?|rtf|odt|txt|wpd|pptx?|xlsx?|html?|indd|qxd|qxp|fm|"
                   r"tiff?|jpe?g|png|gif)$")
_PLACEHOLDER = re.compile(r"(?i)^(?:untitled(?:[\s-]*(?:document|\d+))?|document\s*\d*|presentation\s*\d*|"
                          r"powerpoint\s+presentation|slide\s*\d+|title|no\s+title)$")
# A Word template's own: "template" and "word" or "proceedings", in either order. Two searches, not one pattern of
# ``.*`` between them, which backtracked over each pair of words (72 KB of "template template ..." took 5.5 s).
_TEMPLATE = re.compile(r"(?i)\btemplate\b")
_TEMPLATE_OF = re.compile(r"(?i)\b(?:word|proceedings)\b")
_STAMP = re.compile(r"(?i)^(?:arxiv:|doi:|https?://)\S+")


def own_title(value: str | None) -> str | None:
    """``value`` on one line, or None where it is empty or a tool's placeholder for a title."""
    title = " ".join((value or "").split())
    if (not title or _PRINTED.match(title) or _FILE.search(title) or _PLACEHOLDER.match(title) or _STAMP.match(title)
            or (_TEMPLATE.search(title) and _TEMPLATE_OF.search(title))):
        return None
    return title
