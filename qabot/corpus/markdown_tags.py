"""Tags in Markdown, for ``qabot.corpus.markdown``: where HTML and JSX tags are (JSX's attributes in braces hold
anything), whether a paragraph opens with one, and a heading's text without them."""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import unicodedata
from collections.abc import Iterator

_TAG_START = re.compile(r"<(?:/?[A-Za-z][\w.:-]*(?=\s|/?>)|/?>)")  # "<Tabs", "</Tabs>", "<br/>", "<>": not "<http://"
_TAG_SPECIAL = re.compile(r"[\"'`{}<>]")  # what matters inside a tag: strings, braces, its end
_MAX_HEADING_MARKUP = 2_000  # characters of a heading whose tags and attributes are looked for
_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)  # `code`, ``a ` b``: what it holds is text
_ELEMENT = re.compile(r"\s*<([A-Za-z][\w.:-]*)(?=[\s/>]).*</\1\s*>\s*", re.DOTALL)  # <Link ...>text</Link>
_INLINE_MARKS = re.compile(r"[*_`\[\]!\\&]")  # what inline Markdown a heading may hold begins with
_ATTRIBUTES = re.compile(r"\s*\{:?[ \t]*[#.][^{}]*\}\s*$")  # a heading's "{#wind}" (Docusaurus), "{: #wind .new }"
# Raw HTML that is no tag: an empty comment ("<!-->", "<!--->", whole), or what opens a comment, a processing
# instruction, a CDATA section or a declaration; and what ends each.
_RAW = re.compile(r"<!---?>|<!--|<\?|<!\[CDATA\[|<!(?=[A-Za-z])")
_RAW_ENDS = {"<!--": "-->", "<?": "?>", "<![CDATA[": "]]>", "<!": ">"}


def opens_with_tag(lines: list[str]) -> bool:
    """Whether a paragraph opens with a tag that nothing follows on the line where it ends, as an HTML block of
    CommonMark's does, though it runs over several lines or has JSX attributes (``values={[...]}``); or is one
    element, text in a tag and its end (``<ScrimbaLink href="...">Watch a lesson</ScrimbaLink>``)."""
    if not lines[0].lstrip(" \t").startswith("<"):
        return False
    block = "\n".join(lines)
    if (element := _ELEMENT.fullmatch(block)) and block.count(f"</{element.group(1)}") == 1:
        return True  # not "<code>a</code> or <code>b</code>": two elements, and text between them
    if not _without(block, html_tags(block)).strip():
        return True  # tags alone, over lines: '<a id="install"></a>' above '<a id="update"></a>'
    at = len(block) - len(block.lstrip(" \t"))
    end = next((stop for start, stop in jsx_tags(block, at, at + 1)), None)
    if end is None:
        return False
    line_end = block.find("\n", end)
    return not block[end : line_end if line_end >= 0 else len(block)].strip()


def html_tags(text: str) -> Iterator[tuple[int, int]]:
    """The spans of the raw HTML in ``text``: tags, comments, processing instructions, declarations and CDATA
    sections, as markdown-it's pattern for them (``HTML_TAG_RE``) finds them, but for a comment, which ends at the
    first ``-->`` as CommonMark (0.31) and browsers end one; one that never ends is text.

    In one pass: that pattern, searched for, reads on to the end of the text from each ``<!--`` that is never
    closed (a 200 KB file of them took minutes); here each end is searched for once, and found again only past it.
    """
    tag = _tag_pattern()
    found: dict[str, int] = {}  # each end's next place, from where it was last searched; -1: none there on

    def end_of(closer: str, start: int) -> int:
        hit = found.get(closer)
        if hit is None or 0 <= hit < start:
            hit = found[closer] = text.find(closer, start)
        return hit

    at = 0
    while (start := text.find("<", at)) >= 0:
        at = start + 1
        if match := tag.match(text, start):
            yield match.span()
            at = match.end()
        elif raw := _RAW.match(text, start):
            closer = _RAW_ENDS.get(raw.group())
            if closer is None:  # an empty comment
                at = raw.end()
                yield start, at
            elif (end := end_of(closer, raw.end())) >= 0:
                at = end + len(closer)
                yield start, at


@functools.cache
def _tag_pattern() -> re.Pattern[str]:
    """markdown-it's patterns for an HTML tag that opens or closes an element (imported when first needed)."""
    from markdown_it.common.html_re import close_tag, open_tag

    return re.compile(f"{open_tag}|{close_tag}")


def _without(text: str, spans: Iterator[tuple[int, int]]) -> str:
    """``text`` without ``spans`` (in order, not overlapping)."""
    kept, at = [], 0
    for start, stop in spans:
        kept.append(text[at:start])
        at = stop
    return "".join(kept) + text[at:]


def jsx_tags(text: str, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, int]]:
    """The spans of the tags in ``text`` that open at ``start`` ... ``stop``, JSX's too: attributes in braces hold
    anything (strings, ``>``, elements: ``icon={<Icon />}``), and a tag may span lines.

    One pass: a tag that never closes (a brace left open) ends the search, and one cut short by a ``<`` outside
    braces resumes it there, so no character is read twice.
    """
    stop = len(text) if stop is None else stop
    at = start
    while (found := _TAG_START.search(text, at)) is not None and found.start() < stop:
        depth, i = 0, found.end()
        while (special := _TAG_SPECIAL.search(text, i)) is not None:
            i, ch = special.start(), special.group()
            if ch in "\"'`":
                if ch == "`" and not depth:
                    i += 1
                    continue
                i = text.find(ch, i + 1)  # the end of a string: what it holds is no markup
                if i < 0:
                    return
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth < 0:
                    break
            elif not depth:
                break  # "<" or ">"
            i += 1
        else:
            return
        if depth < 0:  # a brace closed that no attribute opened: no tag
            i += 1
        elif text[i] == ">":
            yield found.start(), i + 1
            i += 1
        at = i


def heading_text(content: str) -> str:
    """A Markdown heading's text as the page shows it: without its HTML or JSX tags (an ``<a name>`` anchor, a
    ``<Badge/>``, an ``<img>``) and the id or classes an attribute list gives it (``{#wind}``, MkDocs'
    ``{: #wind .new }``). A tag in a code span (`` `<dome-closed>` ``) or escaped (``\\<domectl.org>``) is text."""
    if len(content) > _MAX_HEADING_MARKUP:
        return content  # no heading: read as it is, and the patterns below never search a megabyte line
    kept, at = [], 0
    if "<" in content:
        code = [match.span() for match in _CODE_SPAN.finditer(content)]
        starts = [start for start, _ in code]
        spans = sorted(itertools.chain(html_tags(content), jsx_tags(content)))
        for start, stop in spans:
            inside = bisect.bisect_right(starts, start) - 1
            if start < at or (start and content[start - 1] == "\\") or (inside >= 0 and start < code[inside][1]):
                continue
            kept.append(content[at:start])
            at = stop
    shown = "".join(kept) + content[at:]
    shown = _ATTRIBUTES.sub("", shown)
    if _INLINE_MARKS.search(shown):
        shown = _inline_text(shown)
    return " ".join(shown.split()) if shown != content else content


_ANCHOR_ID = re.compile(r"\{:?[^{}]*?#([^\s{}#.]+)[^{}]*\}\s*$")  # "{#wind}", "{: #wind .new }", "{.new #wind}"
_HTML_HEADING_ID = re.compile(r"""\s*<h[1-6]\s[^>]*?\bid\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)  # <h2 id="usage">
_NAMED = re.compile(r"""<a\s[^>]*?\b(?:id|name)\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)  # <a name="wind"></a>
# What GitHub's slugger (github-slugger) keeps of a heading's text: letters, marks (a vowel sign, an accent written
# apart), digits and letter numbers, connectors ("_"), "-" and " "; the rest (punctuation, symbols, "²") it drops.
_SLUG_KEPT = frozenset(("Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "Pc"))


def heading_anchor(content: str, shown: str) -> str:
    """The id a Markdown heading's element has on its page: the one its source gives (``{#wind}``, MkDocs'
    ``{: #wind }``, an ``<a name="wind">`` in it), else the slug of its text (``shown``) that GitHub and the
    generators that follow it make: lowercased, punctuation dropped, a hyphen for each space ("Wind limits (m/s)"
    is ``wind-limits-ms``)."""
    if len(content) <= _MAX_HEADING_MARKUP and (given := _ANCHOR_ID.search(content) or _NAMED.search(content)):
        return given.group(1)
    kept = (c for c in shown.strip().lower() if c in "- " or unicodedata.category(c) in _SLUG_KEPT)
    return "".join(kept).replace(" ", "-")


def html_heading_anchor(block: str) -> str | None:
    """The id a heading written in HTML (``<h2 id="usage">Usage</h2>``, or with an ``<a name="usage">`` in it)
    gives its element; None where it gives none (GitHub makes no slug for a heading in HTML)."""
    if len(block) > _MAX_HEADING_MARKUP:
        return None
    given = _HTML_HEADING_ID.match(block) or _NAMED.search(block)
    return given.group(1) if given else None


def _inline_text(content: str) -> str:
    """Inline Markdown as the page shows it: a link's text, not its target; code, emphasis and images' alt text
    without their marks; escapes undone ("§ [Dome](/dome) *notes*" shows "§ Dome notes")."""
    def text(tokens: list) -> Iterator[str]:
        for token in tokens or ():
            if token.type in ("text", "code_inline"):
                yield token.content
            elif token.type in ("softbreak", "hardbreak"):
                yield " "
            elif token.children:
                yield from text(token.children)

    return "".join(text(_inline_parser().parseInline(content)))


@functools.lru_cache(maxsize=1)
def _inline_parser():  # noqa: ANN202 - markdown-it's parser, made once
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")
