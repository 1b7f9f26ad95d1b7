"""What documentation tools add to Markdown that their pages do not show as text, for ``qabot.corpus.markdown``:
link reference definitions and spacers (CommonMark's own), and the markup of MyST (Sphinx), Hugo and Docusaurus.

Only which lines are markup is decided here; the text is never changed (a paragraph's span leaves them out).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Outside every block of text: a link reference definition, "[guide]: https://..." (in a quote too), not a
# footnote's, "[^1]: ...", which is text; or a quote's blank line, ">" alone.
_UNSEEN = re.compile(r"[ \t]*(?:>[ \t]*)*(?:\[(?!\^)|$)")
_TARGET = re.compile(r"[ \t]{0,3}\([\w.:/-]+\)=[ \t]*")  # MyST's "(install)=": a target for references, above a heading
_MYST_OPENER = re.compile(r"[ \t]*(?::{3,}|`{3,}|~{3,})[ \t]*\{")  # a MyST directive, ":::{note}" or "```{note}"
_MYST_OPTION = re.compile(r"[ \t]*:[\w-]+:(?:[ \t]|$)")  # its options, ":class: tip", on the lines right under it
_SPACER = re.compile(r"(?:&nbsp;|&#160;|&#[xX][aA]0;|\s)*")  # "&nbsp;" alone: an empty line on the page


def unseen(lines: list[str], leaves: bytearray) -> Iterator[int]:
    """The lines of link reference definitions, and a quote's blank lines: markdown-it reads them into no block
    (``leaves``: 1 on each line of a block that holds text), so a line outside every such block that opens with a
    "[", or holds nothing but ">", is one."""
    for number, line in enumerate(lines):
        if not leaves[number] and line.strip() and _UNSEEN.match(line):
            yield number


def is_spacer(lines: list[str]) -> bool:
    """A paragraph of non-breaking spaces alone (``&nbsp;``), which shows nothing."""
    return all(_SPACER.fullmatch(line) for line in lines)


def is_target(line: str) -> bool:
    """A MyST target, ``(install)=``: where a reference leads, not text."""
    return _TARGET.fullmatch(line) is not None


def directive_options(opener: str) -> re.Pattern[str] | None:
    """What the option lines right under an admonition's fence ``opener`` look like, where it is a MyST directive's
    (``:class: tip``); None where it is not."""
    return _MYST_OPTION if _MYST_OPENER.match(opener) else None
