"""What documentation tools add to Markdown that their pages do not show as text, for ``qabot.corpus.markdown``:
link reference definitions and spacers (CommonMark's own), and the markup of MyST (Sphinx), Hugo and Docusaurus, and
the lines that include another file (FastAPI's, pymdownx.snippets', VitePress', Jinja's and Liquid's).

Only which lines are markup is decided here; the text is never changed (a paragraph's span leaves them out).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# Python's re keeps some 120 bytes for each repeat of a group it may backtrack into, so a pattern of repeats is matched
# only against a line this long at most: the markup below is a short line (one line of 6 MB of ">" took 700 MB).
MAX_MARKUP_CHARS = 4096
_TARGET = re.compile(r"[ \t]{0,3}\([\w.:/-]+\)=[ \t]*")  # MyST's "(install)=": a target for references, above a heading
_MYST_OPENER = re.compile(r"[ \t]*(?::{3,}|`{3,}|~{3,})[ \t]*\{")  # a MyST directive, ":::{note}" or "```{note}"
_MYST_OPTION = re.compile(r"[ \t]*:[\w-]+:(?:[ \t]|$)")  # its options, ":class: tip", on the lines right under it
# A MyST directive in a code fence, "```{note}", "````{admonition} Title": its fence, its type, its argument.
_FENCED_DIRECTIVE = re.compile(r"[ \t]*(`{3,}|~{3,})\{([\w:-]+)\}[ \t]*(.*?)[ \t]*")
# Directives whose body is Markdown that the page shows (admonitions and containers, MyST's, Sphinx's and
# sphinx-design's); any other ("{code-block}", "{math}", "{toctree}", "{eval-rst}", one an extension defines) is
# read as the code block it looks like.
_PROSE_DIRECTIVES = frozenset({
    "admonition", "attention", "caution", "danger", "error", "hint", "important", "note", "seealso", "tip", "todo",
    "warning", "versionadded", "versionchanged", "versionremoved", "deprecated", "topic", "sidebar", "margin",
    "epigraph", "pull-quote", "highlights", "compound", "container", "div", "dropdown", "tab-set", "tab-item",
    "card", "grid", "grid-item", "grid-item-card", "figure", "list-table", "table", "aside", "exercise", "solution",
})
_UNTITLED = frozenset({"figure", "list-table", "table", "grid", "grid-item"})  # their argument is no title (a path)
# An ES module import, as Docusaurus (which reads a .md file as MDX) takes one: "import X from '...'", "import { A,
# B } from '...'", "import '...'".
# Possessive (*+, ++): a run of spaces is read one way only, so a long one never takes cubic time.
_IMPORTS = re.compile(r"""(?:\s*+import\s++(?:(?:[\w$]++\s*+,?\s*+)?(?:\{[^{}'"]*+\}|\*\s*+as\s++[\w$]++)?\s*+"""
                      r"""from\s*+)?(['"])[^'"\n]++\1;?[ \t]*+)++\s*+""")
# Hugo's shortcodes, "{{< note >}}", "{{% alert title="Warning" %}}" (over lines too): markup, but for a title.
_SHORTCODE = re.compile(r"\{\{(?:<([^{}]*?)>|%([^{}]*?)%)\}\}")  # no braces in it: a search never runs far
_SHORTCODE_TITLE = re.compile(r'\btitle\s*=\s*"([^"\n]*)"')
# A Liquid include alone on its line that passes the page the text it shows, as the Jekyll documentation theme's
# callouts take it: '{% include note.html content="Restart after installing." %}' (a quoted "content", its text).
_LIQUID_ATTRIBUTE = r"""[ \t]+[\w-]+[ \t]*=[ \t]*(?:"[^"\n]*"|'[^'\n]*'|[^\s"'%]+)"""
_LIQUID_CONTENT = re.compile(rf"""[ \t]*\{{%-?[ \t]*include(?:_relative)?[ \t]+[^\s%]+(?:{_LIQUID_ATTRIBUTE})*[ \t]*-?%\}}[ \t]*""")
_CONTENT = re.compile(r"""[ \t]content[ \t]*=[ \t]*(?:"([^"\n]*)"|'([^'\n]*)')""")
# An attribute list on a line of its own, which gives the block above (or below) an id, classes or a style: Hugo's
# (Goldmark's) "{.display-6}", '{class="lead"}', MyST's "{#intro .lead}", "{style=lower-roman}", kramdown's "{: .note}".
_ATTRIBUTE = r"""(?:[#.][\w-]+|[\w-]+=(?:"[^"\n]*"|'[^'\n]*'|[^\s{}"']+))"""  # "#id", ".class", "key=value"
_ATTRIBUTE_LINE = re.compile(rf"[ \t]*\{{:?[ \t]*{_ATTRIBUTE}(?:[ \t]+{_ATTRIBUTE})*[ \t]*\}}[ \t]*")
# A line of images alone, badges mostly: "[![Build](https://img.shields.io/...)](https://ci...)", "![](logo.png)"
# (a link or image may give its target in brackets, as a reference: "[![PyPI][pypi-badge]][pypi]").
_TARGET_OF = r"(?:\([^()\s]*(?:\s+\"[^\"]*\")?\)|\[[^\]]*\])"
_IMAGE = rf"!\[[^\]]*\]{_TARGET_OF}"
_IMAGES = re.compile(rf"[ \t]*(?:(?:{_IMAGE}|\[{_IMAGE}\]{_TARGET_OF})[ \t]*)+")
_ALERT = re.compile(r"(?i)[ \t]*(?:>[ \t]?)+[ \t]*\[!(?:note|tip|important|warning|caution)\][ \t]*")  # GitHub's "> [!NOTE]"
# A line that puts another file's text (or code) in its place, which the page shows instead: FastAPI's "{* ../../docs_src/
# app.py hl[3] *}", pymdownx.snippets' '--8<-- "includes/abbreviations.md"' (";--8<--" shows as typed), VitePress'
# "<<< @/snippets/snippet.js{2}", and a Jinja or Liquid tag alone (mkdocs-macros' and Jekyll's "{% include note.md %}",
# "{% raw %}", "{% endif %}").
_INCLUDE = re.compile(r"""[ \t]*(?:\{\*[^\n]*?\*\}|-+8<-+[ \t]*(?:"[^"\n]+"|'[^'\n]+')|<<<[ \t]+(?:@|\.{1,2})/[^\n]*|\{%-?[^\n%]*?-?%\})[ \t]*""")
# A marker the page shows as its table of contents, links to its headings: VitePress' and markdown-it's "[[toc]]",
# Python-Markdown's (MkDocs') and Typora's "[TOC]", GitLab's "[[_TOC_]]", markdown-it-toc-done-right's "${toc}".
_TOC_MARKER = re.compile(r"(?i)[ \t]*(?:\[\[_?toc_?\]\]|\[toc\]|\$\{toc\})[ \t]*")
_SPACER = re.compile(r"(?:&nbsp;|&#160;|&#[xX][aA]0;|\s)*")  # "&nbsp;" alone: an empty line on the page


def unseen(lines: list[str], leaves: bytearray) -> Iterator[int]:
    """The lines of link reference definitions, and a quote's blank lines: markdown-it reads them into no block
    (``leaves``: 1 on each line of a block that holds text), so a line outside every such block that opens with a
    "[", or holds nothing but ">", is one."""
    for number, line in enumerate(lines):
        if not leaves[number] and line.strip():
            rest = line.lstrip(" \t>")  # a quote's markers: a reference definition in a quote is one too
            if not rest or (rest.startswith("[") and not rest.startswith("[^")):  # not a footnote's "[^1]: ...": text
                yield number


def is_spacer(lines: list[str]) -> bool:
    """A paragraph of non-breaking spaces alone (``&nbsp;``), which shows nothing."""
    return all(len(line) <= MAX_MARKUP_CHARS and _SPACER.fullmatch(line) for line in lines)


def is_imports(lines: list[str]) -> bool:
    """A paragraph of ES module imports alone, which Docusaurus runs, not shows, in a .md file too."""
    return _IMPORTS.fullmatch("\n".join(lines)) is not None


def shortcodes(block: str) -> Iterator[tuple[int, int]]:
    """The spans of ``block`` that are Hugo shortcodes, but for the titles they show (``title="Warning"``), and
    Liquid includes alone on their lines, but for the text they pass the page (``content="..."``)."""
    if "{%" in block:
        offset = 0
        for line in block.split("\n"):
            if (content := _included_content(line)) is not None:
                yield offset, offset + content[0]
                yield offset + content[1], offset + len(line)
            offset += len(line) + 1
    if "{{" not in block:
        return
    for match in _SHORTCODE.finditer(block):
        at = match.start()
        inside = match.span(1) if match.group(1) is not None else match.span(2)
        for title in _SHORTCODE_TITLE.finditer(block, *inside):
            yield at, title.start(1)
            at = title.end(1)
        yield at, match.end()


def _included_content(line: str) -> tuple[int, int] | None:
    """The columns of the text a Liquid include alone on ``line`` passes the page (``content="..."``), where it
    passes some; None where it does not, or ``line`` is no such include."""
    if len(line) > MAX_MARKUP_CHARS or _LIQUID_CONTENT.fullmatch(line) is None:
        return None
    match = _CONTENT.search(line)
    if match is None:
        return None
    group = 1 if match.group(1) is not None else 2
    return match.span(group) if match.group(group).strip() else None


def is_attributes(line: str) -> bool:
    """An attribute list alone on its line (``{.display-6}``), which gives the block above classes, not text."""
    return _ATTRIBUTE_LINE.fullmatch(line) is not None


def shown_columns(line: str, markup: bytes | bytearray) -> tuple[int, int] | None:
    """The columns of ``line`` from its first character shown to its last (``markup``: 1 under each that is not),
    less a separator alone at either end, beyond a tag (``<a href=...>Blog</a> |``); None where none is shown."""
    runs: list[tuple[int, int]] = []  # the runs of characters shown between tags: (first, end)
    for col, ch in enumerate(line):
        if markup[col] or ch.isspace():
            continue
        if runs and not any(markup[runs[-1][1] : col]):  # no tag since the last one shown
            runs[-1] = (runs[-1][0], col + 1)
        else:
            runs.append((col, col + 1))
    while len(runs) > 1 and not any(ch.isalnum() for ch in line[slice(*runs[-1])]):
        runs.pop()
    while len(runs) > 1 and not any(ch.isalnum() for ch in line[slice(*runs[0])]):
        runs.pop(0)
    return (runs[0][0], runs[-1][1]) if runs else None


def is_images(line: str) -> bool:
    """A line of images alone (badges, a logo), which the page shows as pictures, not text, as the HTML reader
    leaves ``<img>`` out."""
    return _IMAGES.fullmatch(line) is not None  # its one caller, ``is_markup``, bounds the line first


def is_markup(line: str, opens: bool) -> bool:
    """A line of a paragraph that is markup alone: a MyST target, an attribute list, images, a table of contents'
    marker (``[[toc]]``), another file's inclusion, or (where it ``opens`` the paragraph) a GitHub alert's marker, ``> [!NOTE]``, which makes a callout of
    the quote under it."""
    if len(line) > MAX_MARKUP_CHARS:
        return False
    return (is_target(line) or is_attributes(line) or is_images(line) or _TOC_MARKER.fullmatch(line) is not None
            or (_INCLUDE.fullmatch(line) is not None and _included_content(line) is None)
            or (opens and _ALERT.fullmatch(line) is not None))


def is_target(line: str) -> bool:
    """A MyST target, ``(install)=``: where a reference leads, not text."""
    return _TARGET.fullmatch(line) is not None


def directive_options(opener: str) -> re.Pattern[str] | None:
    """What the option lines right under an admonition's fence ``opener`` look like, where it is a MyST directive's
    (``:class: tip``); None where it is not."""
    return _MYST_OPTION if _MYST_OPENER.match(opener) else None


@dataclass(frozen=True, slots=True)
class Directive:
    """A MyST directive in a code fence whose body is Markdown the page shows: its lines ``first`` ... ``end``."""

    first: int  # its opening fence
    end: int
    title: tuple[int, int] | None  # the columns of its argument on the opening fence, where that is shown
    body: tuple[int, int]  # the lines of its Markdown body
    hidden: tuple[int, ...]  # its fences (the opening one where no title is shown) and options


def directive(lines: list[str], first: int, end: int) -> Directive | None:
    """The MyST directive that a code block (lines ``first`` ... ``end``) is, where its body is Markdown a page shows
    (``{note}``, ``{admonition} Title``): options right under its fence (``:class: tip``, or YAML between ``---``
    lines) are no text, nor are its fences. None for any other code block, ``{code-block}`` included."""
    match = _FENCED_DIRECTIVE.fullmatch(lines[first])
    if match is None or match.group(2) not in _PROSE_DIRECTIVES:
        return None
    fence = match.group(1)
    stripped = lines[end - 1].strip()
    closed = end - first > 1 and stripped.startswith(fence) and not stripped.strip(fence[0])
    titled = match.group(3) and match.group(2) not in _UNTITLED
    hidden = [] if titled else [first]
    body, stop = first + 1, end - 1 if closed else end
    if body < stop and lines[body].strip() == "---":  # YAML options, "---" ... "---"
        close = next((number for number in range(body + 1, stop) if lines[number].strip() == "---"), None)
        if close is not None:
            hidden.extend(range(body, close + 1))
            body = close + 1
    while body < stop and _MYST_OPTION.match(lines[body]):
        hidden.append(body)
        body += 1
    if closed:
        hidden.append(end - 1)
    return Directive(first, end, match.span(3) if titled else None, (body, stop), tuple(hidden))
