"""The Markdown block structure of a text, by line number, for ``qabot.corpus.paragraphs``: what starts a block,
what is a heading and its text, what is code, and what a reader of the rendered page never sees.

Parsed with markdown-it-py (CommonMark and tables), at the block level only.
"""

from __future__ import annotations

import bisect
import itertools
import re
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Literal

from qabot.corpus import limits, markdown_tags, markdown_tools
from qabot.corpus.markdown_tags import heading_anchor, heading_text, html_tags, jsx_tags, opens_with_tag

if TYPE_CHECKING:
    from markdown_it.rules_block import StateBlock

# Lines of a text whose Markdown structure is parsed, for each MB of markup a reader may parse whole
# (100,000 by default: a list item costs markdown-it about 1.8 KB, so at most about 180 MB). A table's cell counts
# as a line: it costs about 0.9 KB, and a row of a wide table holds thousands (4 MB of them took 2 GB).
MARKDOWN_LINES_PER_MB = 25_000
MAX_ADMONITION_DEPTH = 3  # MkDocs admonitions, one in another, whose bodies are parsed again (see Markdown._bodies)
Dialect = Literal["text", "markdown", "mdx"]  # how much of Markdown a text is read with (see ``paragraphs``)
# An admonition's fence, as Docusaurus (remark-directive) and VuePress read one: ":::" and a type, a title in
# brackets or after it, attributes in braces; or ":::" alone, its end; MyST's (Sphinx) has its type in braces,
# ":::{note}", ":::{admonition} Title". As MkDocs (Python-Markdown, pymdownx.details)
# reads one: "!!!" or "???" (folded), a type and options, a title in quotes.
_DIRECTIVE = re.compile(r"[ \t]*:{3,}[ \t]*(?:(?:[A-Za-z][\w-]*|\{[A-Za-z][\w:-]*\})[ \t]*(?:\[([^\]]*)\]|([^{\s][^{]*?))?[ \t]*(?:\{[^}]*\})?)?[ \t]*$")
_MKDOCS = re.compile(r'[ \t]*(?:!!!|\?\?\?\+?) ?[\w-]+(?: +[\w-]+)*?(?: +"(.*?)")? *$')
# A content tab, as MkDocs (pymdownx.tabbed) reads one: "===" (selected: "===+", a new set: "===!"), its title in quotes.
_TAB = re.compile(r'[ \t]*===(?:\+!?|!\+?)? +"(.*?)" *$')
# A block as pymdownx.blocks (MkDocs Material, FastAPI's docs) reads one: "/// tip", "/// note | Title", "///" its end;
# the options it may take are on indented "key: value" lines right under it.
_BLOCK = re.compile(r"[ \t]*/{3,}[ \t]*(?:[A-Za-z][\w-]*[ \t]*(?:\|[ \t]*(.*?))?)?[ \t]*$")
_BLOCK_OPTION = re.compile(r"(?: {4}|\t)[ \t]*[A-Za-z][\w-]*:(?:[ \t]|$)")
_BARE_MARKER = re.compile(r"\s*(?:[-+*]|\d{1,9}[.)])\s*$")  # a list item's marker, and nothing after it
# A code block's fence: its opening line, or (bare) its closing one. Its run is never given back: a shorter one cannot
# match where it did not, and giving it back a mark at a time took most of an hour over a megabyte of "~~~...~ `".
# As in CommonMark (and markdown-it-py), only a backtick fence's info string may hold no backtick.
_FENCE = re.compile(r"[ \t]*(`{3,}+(?![^`]*`)|~{3,}+).*")
_FOOTNOTE = re.compile(r"\s{0,3}\[\^[^\]\s]+\]:")  # a footnote's definition: "[^1]: ..."
_DEFINITION = re.compile(r"[ \t]{0,3}:[ \t]+\S")  # a definition under its term, in a definition list
_COLONS = re.compile(r"[ \t]*(:{3,})[ \t]*")  # an admonition's closing fence
_SETEXT_CHARS = 120  # the longest underlined heading of several lines read as a heading in Markdown


class Markdown:
    """The Markdown block structure of a text, by line number, from markdown-it-py (CommonMark and tables).

    Only the block level is parsed. Indented code is not recognised (indented paragraphs
    are common in plain text), and raw HTML only in Markdown proper (a ``.md`` file), not
    in plain text, where a line of tags is text like any other. markdown-it holds every
    block of the text as a few tokens (2 million one-word list items: 3.6 GB and a minute,
    in one call no time limit can stop), so a text of more than ``MARKDOWN_LINES_PER_MB``
    lines for each MB of ``QABOT_READER_MAX_INFLATED_MB`` is read by the plain-text rules
    alone; each ``|``, which may part a table's cells (a few tokens each), counts as a line.
    """

    _BLOCKS = ("heading_open", "list_item_open", "blockquote_open", "table_open", "fence", "hr", "html_block")
    _LEAVES = ("paragraph_open", "heading_open", "table_open", "fence", "hr", "html_block")  # blocks that hold text
    # Every Markdown block but a paragraph starts its line (after up to three spaces) with one
    # of these, and a table's delimiter row is made of them: a text without any is plain.
    _MAYBE = re.compile(r"^ {0,3}[#>*+\-=|:~`\d]", re.MULTILINE)
    _UNSEEN = re.compile(r"(?i)<(script|style)\b")  # an HTML block whose content is not shown
    # An HTML block that is one heading, holding no other block: "<h1 align="center">Skyfetch</h1>"
    _HEADING = re.compile(r"(?is)<h([1-6])\b[^>]*>(?:(?!</?(?:h[1-6]|p|div|ul|ol|table|br)\b).)*</h\1\s*>")
    _ESM = re.compile(r"(?:import|export) ")  # MDX: a block of JavaScript imports and exports (the keyword, a space)

    def __init__(self, body: str, dialect: Dialect = "text", depth: int = 0) -> None:
        self.headings: dict[int, str] = {}  # first line of a heading -> its text
        self.anchors: dict[int, str] = {}  # in Markdown, first line of a heading -> its id on the page (its anchor)
        self.heading_lines: dict[int, int] = {}  # every line of a heading -> its first line
        self.code: set[int] = set()  # lines of fenced code, the fences included: one paragraph, blank lines and all
        self.starts: set[int] = set()  # first lines of blocks other than paragraphs
        self.hidden: set[int] = set()  # lines that are no text: a table's delimiter row; in Markdown, what a reader
        # of the rendered page never sees
        self.shown: dict[int, tuple[int, int]] = {}  # a line of an HTML block -> the columns of its text
        self.joined: set[int] = set()  # lines that go on with the line above: an item's text (or code) under its
        # bare marker
        self.items: set[int] = set()  # in Markdown, first lines of list items: text, never a title
        self.prose: set[int] = set()  # in Markdown, lines of paragraphs and tables: the page shows them as text, and
        # a short one is no title where the text has Markdown headings of its own
        self._depth = depth  # admonitions around the text (see _bodies)
        self._openers: list[int] = []  # lines that open an MkDocs admonition or tab, whose body is indented below
        self._directives: list[markdown_tools.Directive] = []  # MyST's in code fences, whose body is Markdown
        lines = body.count("\n") + 1 + body.count("|")  # and the cells of tables, each as many tokens as a line
        maybe = dialect != "text" or self._MAYBE.search(body)
        if maybe and lines <= MARKDOWN_LINES_PER_MB * limits.current().max_inflated_mb:
            self._parse(body, dialect)

    def _parse(self, body: str, dialect: Dialect) -> None:
        from markdown_it import MarkdownIt

        md = MarkdownIt("commonmark").enable("table")
        md.core.ruler.disable(["inline", "text_join"])
        md.block.ruler.disable(["code"] if dialect != "text" else ["code", "html_block"])
        lines = body.split("\n")
        md.block.ruler.at("fence", _fence_rule(_Containers(lines)), {"alt": ["paragraph", "reference", "blockquote", "list"]})
        # markdown-it reads a lone CR as a line break; str.split("\n") does not.
        tokens = md.parse(body.replace("\r", " "))
        bare: list[tuple[int, int]] = []  # list items whose marker is alone on its line: (first line, end)
        leaves = bytearray(len(lines))  # 1 on each line of a block that holds text
        paragraphs: list[tuple[int, int]] = []  # in Markdown, the lines of each paragraph
        html_blocks: list[tuple[int, int]] = []  # the lines of each HTML block
        for i, token in enumerate(tokens):
            if token.map is None:
                continue
            first, end = token.map
            if token.type in self._LEAVES:
                leaves[first:end] = b"\1" * (end - first)
            if token.type == "html_block":
                self._html(lines, first, end)
                html_blocks.append((first, end))
            elif token.type == "paragraph_open" and dialect != "text":
                self._paragraph(lines, first, end, dialect)
                paragraphs.append((first, end))
                self.prose.update(range(first, end))
            elif token.type == "table_open" and dialect != "text":
                self.prose.update(range(first, end))
            if token.type not in self._BLOCKS:
                continue
            if token.type == "heading_open" and lines[first].startswith("    "):
                continue  # "    # git clean ...": a comment in indented code, which CommonMark never reads as a heading
            self.starts.add(first)
            if token.type == "list_item_open" and _BARE_MARKER.match(lines[first]):
                bare.append((first, end))
            elif token.type == "list_item_open" and dialect != "text":
                self.items.add(first)
            if token.type == "fence":
                if dialect != "text" and (directive := markdown_tools.directive(lines, first, end)) is not None:
                    self._directives.append(directive)  # "```{note}": no code, but Markdown (see _bodies)
                else:
                    self.code.update(range(first, end))
            elif token.type == "hr" and dialect != "text":
                self.hidden.update(range(first, end))  # "---", "* * *": a rule, no text
            elif token.type == "table_open":
                self.hidden.add(first + 1)  # the delimiter row (|---|---|) under the header: markup, no text
                self.starts.update(range(first + 2, end))  # each body row a paragraph, as a Word table's row is
            elif token.type == "heading_open":
                content = tokens[i + 1].content.strip() if i + 1 < len(tokens) else ""
                if dialect != "text" and content and not (content := heading_text(content)):
                    self.hidden.update(range(first, end))  # "## <img src=divider.png>": no text, no section
                    continue
                # An underlined heading of several lines is, in plain text, more often a
                # paragraph above a rule than a heading: only one line counts. In Markdown a short
                # one is a heading, as the page shows it (its lines one name); a long one keeps its
                # text in passages, as a paragraph.
                if content and (token.markup not in ("=", "-") or end - first == 2 or (
                        dialect != "text" and len(content) <= _SETEXT_CHARS)):
                    self.headings[first] = " ".join(line.strip() for line in content.splitlines())
                    if dialect != "text":
                        self.anchors[first] = heading_anchor(tokens[i + 1].content.strip(), self.headings[first])
                    self.heading_lines.update(dict.fromkeys(range(first, end), first))
        if dialect != "text":
            self.hidden.update(markdown_tools.unseen(lines, leaves))
        for first, end in bare:
            # "1." above "   Park the mount.": the item reads with its marker, as "1. Park the mount." does; the
            # marker of an empty item (or of one that opens with a block of its own) is no text.
            text = first + 1 < end and lines[first + 1].strip() and first + 1 not in self.shown
            if (text and first + 1 not in self.starts and first + 1 not in self.hidden) or first + 1 in self.code:
                self.joined.add(first + 1)  # its text, or its code: a fence under a marker stays with it
            else:
                self.hidden.add(first)
        for first, end in html_blocks:  # text over lines between tags (<p align="center"> ... </p>): one paragraph
            for n in range(first + 1, end):
                above, here = self.shown.get(n - 1), self.shown.get(n)
                if (above and here and above[1] == len(lines[n - 1].rstrip())
                        and here[0] == len(lines[n]) - len(lines[n].lstrip())):
                    self.joined.add(n)  # no tag between the two lines' text: the span cuts no markup out
        markup = (self.hidden | set(self.shown)) - self.joined  # a line after one of these starts a paragraph
        for first, end in paragraphs:  # its lines are one paragraph, as the page shows them, wrapped or not
            self.joined.update(n for n in range(first + 1, end) if n not in self.starts and n not in markup
                               and n - 1 not in markup)
        del tokens  # before the bodies are parsed again: a text's tokens are its largest part
        self._bodies(lines, dialect)

    def _bodies(self, lines: list[str], dialect: Dialect) -> None:
        """Read the body of each MkDocs admonition (or content tab), and of each MyST directive in a code fence whose
        body the page shows (``{note}``), as the Markdown it is, its indentation taken off.

        MkDocs (Python-Markdown) reads the lines indented four spaces (or a tab) under ``!!!
        note`` as a block of their own; CommonMark reads them as the lines of the paragraph
        the ``!!! note`` line opens, where a fence is text: a code block right under it, or
        under a line of its text, was no code (its lines parted at a blank line, the line
        above run into it). Each body is parsed again, and what is found there replaces what
        was found for its lines; an admonition in it is read by that parse, down to
        ``MAX_ADMONITION_DEPTH`` of them (no text is parsed more times than that). CommonMark reads a MyST
        directive as code; its fences and options are no text, its argument (``{admonition} Title``) a title.
        """
        for directive in self._directives:
            if self._depth >= MAX_ADMONITION_DEPTH:
                self.code.update(range(directive.first, directive.end))
                continue
            self._reread(lines, *directive.body, _indent(lines[directive.first]), dialect)
            self.hidden.update(directive.hidden)
            if directive.title is not None:
                self.shown[directive.first] = directive.title
        done = 0  # the end of the last body read again: an admonition in it was read with it
        for opener in self._openers:
            first = end = opener + 1
            if opener < done or self._depth >= MAX_ADMONITION_DEPTH:
                continue
            indent = _indent(lines[opener]) + 4  # the body's, under an admonition that is itself indented (in a list)
            while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) >= indent):
                end += 1
            while end > first and not lines[end - 1].strip():
                end -= 1
            self._reread(lines, first, end, indent, dialect)
            done = end

    def _reread(self, lines: list[str], first: int, end: int, indent: int, dialect: Dialect) -> None:
        """Lines ``first`` ... ``end``, their first ``indent`` columns cut, parsed as a block of their own."""
        limits.check()
        cuts = [_cut(line, indent) for line in lines[first:end]]
        inner = Markdown("\n".join(line[cut:] for line, cut in zip(lines[first:end], cuts, strict=True)),
                         dialect, self._depth + 1)
        self._replace(first, end, inner, cuts)
        self.starts.add(first)  # the body is a block of its own, under its title

    def _replace(self, first: int, end: int, inner: Markdown, cuts: list[int]) -> None:
        """What ``inner`` (a parse of lines ``first`` ... ``end``, ``cuts[i]`` columns cut from each) found for them,
        in place of what was found."""
        for found in (self.code, self.starts, self.hidden, self.joined, self.items, self.prose):
            found.difference_update(range(first, end))
        for mapping in (self.headings, self.anchors, self.heading_lines, self.shown):
            for number in [number for number in mapping if first <= number < end]:
                del mapping[number]
        self.code.update(number + first for number in inner.code)
        self.starts.update(number + first for number in inner.starts)
        self.hidden.update(number + first for number in inner.hidden)
        self.joined.update(number + first for number in inner.joined)
        self.items.update(number + first for number in inner.items)
        self.prose.update(number + first for number in inner.prose)
        self.headings.update({number + first: text for number, text in inner.headings.items()})
        self.anchors.update({number + first: anchor for number, anchor in inner.anchors.items()})
        self.heading_lines.update({number + first: line + first for number, line in inner.heading_lines.items()})
        self.shown.update({number + first: (left + cuts[number], right + cuts[number])
                           for number, (left, right) in inner.shown.items()})

    def _paragraph(self, lines: list[str], first: int, end: int, dialect: Dialect) -> None:
        """What of a paragraph is markup to Markdown's tools, though CommonMark reads it as text: in MDX, an
        ``import``/``export`` block or an expression; an admonition's fences (its title, where it has one, is
        shown, a paragraph of its own)."""
        if dialect == "mdx" and (self._ESM.match(lines[first]) or is_expression(lines[first:end])):
            self.hidden.update(range(first, end))
            return
        if lines[first].startswith("import") and markdown_tools.is_imports(lines[first:end]):
            self.hidden.update(range(first, end))  # Docusaurus reads a .md file as MDX: it imports, and shows nothing
            return
        if markdown_tools.is_spacer(lines[first:end]):
            self.hidden.update(range(first, end))
            return
        if opens_with_tag(lines[first:end]):
            self._html(lines, first, end)  # an HTML block to the reader, though CommonMark does not see one
            return
        self._markup(lines, first, end, markdown_tools.shortcodes("\n".join(lines[first:end])), every=False)
        self._definitions(lines, first, end)
        # Footnotes' definitions in a row ("[^1]: ...", "[^2]: ..."), which CommonMark without the footnote plugin
        # reads as one paragraph: each one is a paragraph of its own, as the page shows each note.
        self.starts.update(number for number in range(first + 1, end) if _FOOTNOTE.match(lines[number]))
        options: re.Pattern[str] | None = None  # on a block's option lines ("    type: warning" under "/// admonition
        # | Title", ":class: tip" under ":::{admonition} Title"): what they look like
        for number in range(first, end):
            if options is not None and options.match(lines[number]):
                self.hidden.add(number)
                continue
            if markdown_tools.is_markup(lines[number], opens=number == first):
                self.hidden.add(number)
                continue
            title = admonition_title(lines[number])
            if title is None:
                options = None
                continue
            options = _BLOCK_OPTION if _BLOCK.match(lines[number]) else markdown_tools.directive_options(lines[number])
            if _MKDOCS.match(lines[number]) or _TAB.match(lines[number]):
                self._openers.append(number)
            if title[0] < title[1]:
                self.shown[number] = title
                self.starts.add(number + 1)  # the body below it is a paragraph of its own
            else:
                self.hidden.add(number)

    def _definitions(self, lines: list[str], first: int, end: int) -> None:
        """A definition list's entries in a paragraph (``--force`` over ``:   Overwrite ...``, PHP Markdown Extra's
        syntax, which CommonMark reads as one paragraph): each term, with the definition under it and its indented
        lines, is one paragraph; a line after a definition that is not indented starts the next term."""
        term, defined = first, False
        for number in range(first + 1, end):
            if _DEFINITION.match(lines[number]):
                self.joined.update(range(term + 1, number + 1))
                defined = True
            elif defined and lines[number][:1] in (" ", "\t"):
                self.joined.add(number)
            elif defined:
                self.starts.add(number)
                term, defined = number, False

    def _html(self, lines: list[str], first: int, end: int) -> None:
        """Which lines of an HTML block show text, and where: what is outside its tags and comments, as
        markdown-it's own pattern for raw HTML finds them, and JSX tags (a comment or a tag may span lines)."""
        block = "\n".join(lines[first:end])
        if self._UNSEEN.match(block.lstrip()):
            self.hidden.update(range(first, end))
            return
        spans = itertools.chain(html_tags(block), jsx_tags(block), markdown_tools.shortcodes(block))
        self._markup(lines, first, end, spans)
        shown = [number for number in range(first, end) if number in self.shown]
        if len(shown) == 1 and self._HEADING.fullmatch(block.strip()):
            left, right = self.shown[shown[0]]  # a heading in HTML (a README's <h1 align="center">) of one line's text
            self.headings[first] = heading_text(lines[shown[0]][left:right]).strip()
            self.heading_lines.update(dict.fromkeys(range(first, end), first))
            if (anchor := markdown_tags.html_heading_anchor(block)) is not None:
                self.anchors[first] = anchor

    def _markup(self, lines: list[str], first: int, end: int, spans: Iterable[tuple[int, int]],
                every: bool = True) -> None:
        """Which of lines ``first`` ... ``end`` show text, and where, where ``spans`` of them (counted from the
        first) are markup: every line (``every``), or those with markup on them."""
        block_length = sum(len(line) + 1 for line in lines[first:end])
        markup = bytearray(block_length)  # 1 where a tag, a comment or a shortcode is
        for start, stop in spans:
            markup[start:stop] = b"\1" * (stop - start)
        offset = 0
        for number in range(first, end):
            line = lines[number]
            if every or any(markup[offset : offset + len(line)]):
                columns = markdown_tools.shown_columns(line, markup[offset : offset + len(line)])
                if columns:
                    self.shown[number] = columns
                elif line.strip():
                    self.hidden.add(number)
            offset += len(line) + 1


def _fence_rule(containers: _Containers) -> Callable[[StateBlock, int, int, bool], bool]:
    """markdown-it's fence rule, with a fence that is not closed ended where the admonition it is in ends.

    With indented code off (as qabot reads Markdown), a fence indented four columns or more
    (in an MkDocs admonition's or content tab's body) is a fence to markdown-it too; left
    open, it ran to the end of the text, and every later section was read as its code. Such
    a fence ends at the first line indented less than it, where the body ends; one in a
    Docusaurus admonition at the admonition's closing ``:::``, which closes the admonition
    and all it holds (see ``_Containers``).
    """
    from markdown_it.rules_block import fence

    def rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        end = min(end, containers.end(start))
        indent = state.sCount[start]
        if indent - state.blkIndent < 4:
            return fence(state, start, end, silent)
        outer, state.blkIndent = state.blkIndent, indent  # a line indented less than the fence ends it
        try:
            return fence(state, start, end, silent)
        finally:
            state.blkIndent = outer

    return rule


class _Containers:
    """Where each Docusaurus (remark-directive) admonition of a text ends, from its lines alone: ``:::note`` opens
    one, and a line of as many colons or more alone closes it and those in it. A fence outside every admonition
    holds what looks like one (``:::note`` shown in code); in one, its closing line closes it all the same."""

    def __init__(self, lines: list[str]) -> None:
        self.ends: list[int] = []  # the line that closes each admonition (or the text's end), in the order they open
        self.lines: list[int] = []  # the lines from which the innermost admonition open is another ...
        self.inner: list[int] = []  # ... this one (its index in ends), or none (-1)
        open_: list[int] = []  # the admonitions open (their index in ends), outermost first
        floor: list[int] = []  # for each, the fewest colons that close it or one around it, negated (ascending)
        fence = ""  # the fence of a code block open outside every admonition
        for number, line in enumerate(lines):
            if ":::" not in line and not (fence or "```" in line or "~~~" in line):
                continue
            if fence and not open_:
                if _FENCE.fullmatch(line) and line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                    fence = ""
                continue
            if (colons := _COLONS.fullmatch(line)) is not None:  # a closing fence: the outermost it can close
                closed = bisect.bisect_left(floor, -len(colons.group(1)))
                if closed < len(open_):
                    for index in open_[closed:]:
                        self.ends[index] = number
                    del open_[closed:], floor[closed:]
                    self._from(number + 1, open_[-1] if open_ else -1)
            elif not open_ and (opened := _FENCE.fullmatch(line)) is not None:
                fence = opened.group(1)
            elif _DIRECTIVE.fullmatch(line) and ":::" in line:
                self.ends.append(len(lines))
                open_.append(len(self.ends) - 1)
                size = len(line.strip()) - len(line.strip().lstrip(":"))
                floor.append(max(-size, floor[-1]) if floor else -size)
                self._from(number + 1, len(self.ends) - 1)

    def _from(self, line: int, inner: int) -> None:
        self.lines.append(line)
        self.inner.append(inner)

    def end(self, line: int) -> int:
        """The line that ends the innermost admonition around ``line``: the end of what a fence there may hold."""
        at = bisect.bisect_right(self.lines, line) - 1
        return self.ends[self.inner[at]] if at >= 0 and self.inner[at] >= 0 else sys.maxsize


def _indent(line: str) -> int:
    """The columns of a line's indentation, a tab to the next multiple of four, as Python-Markdown reads it."""
    return len(line[: len(line) - len(line.lstrip(" \t"))].expandtabs(4))


def _cut(line: str, columns: int) -> int:
    """The characters of ``line``'s indentation that make up its first ``columns`` columns (fewer, on a blank line)."""
    width = 0
    for count, ch in enumerate(line):
        if width >= columns or ch not in " \t":
            return count
        width = width + 4 - width % 4 if ch == "\t" else width + 1
    return len(line)


def is_expression(lines: list[str]) -> bool:
    """An MDX block that is only a JavaScript expression in braces (``{/* a comment */}``, ``{toc}``)."""
    text = "\n".join(lines).strip()
    return text.startswith("{") and text.endswith("}")


def admonition_title(line: str) -> tuple[int, int] | None:
    """The columns of the title on an admonition's fence (an empty span where it has none); None for a line that is
    no such fence.

    Docusaurus' ``:::tip[Faster]`` (its older ``:::tip Faster``, VuePress' ``::: tip Faster``), its closing
    ``:::`` (``::::`` around a nested one); MkDocs' ``!!! tip "Faster"`` and its folded ``??? tip``, ``???+ tip``,
    whose title is in quotes; MkDocs' content tab, ``=== "pip"``, read as an admonition is: its title, then its
    indented body; pymdownx.blocks' ``/// note | Title`` and its closing ``///``. Attributes in braces
    (``:::note{#id}``) are not the title.
    """
    match = _DIRECTIVE.match(line) or _MKDOCS.match(line) or _TAB.match(line) or _BLOCK.match(line)
    if match is None:
        return None
    titles = [match.span(group) for group in range(1, match.re.groups + 1) if (match.group(group) or "").strip()]
    return titles[0] if titles else (match.end(), match.end())
