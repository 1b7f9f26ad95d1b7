"""Excerpts: the answering sentence highlighted, the window of source text around it, its citation.

The highlight is the best one or two sentences (at most 300 characters, 400 where the
second says whom the first one's opening pronoun means; never across a line break,
except from a sentence ending in a colon to what it introduces); the excerpt is
the window of whole sentences around it, at most 600 characters, following the source
across passage and paragraph edges but never over text that is not indexed (a heading,
a repeat). Every string is cut from the stored source text by offsets, so
``source_text[citation.start:citation.end] == excerpt.text``.

The citation is built from the paragraph the highlight is in: its section, number and,
where its reader knew them, its page (and printed page label), anchor, author, date and
own link. ``link`` opens the source at the highlight: a paragraph's own link (a chat
message's jump link) as it is; else the document's web address with the heading's
anchor and a URL text fragment (``url#anchor:~:text=start,end``, percent-encoded as the
WICG spec asks), which scrolls a browser to the sentence, or to the anchor where text
fragments are not supported.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urldefrag

import numpy as np

from qabot.chunking import ASKS, asks
from qabot.corpus import markdown_tags, plaintext
from qabot.index.engine import ParagraphRow, PassageRow, SearchEngine
from qabot.models import Citation, Excerpt
from qabot.search import evidence, exchange
from qabot.text import LABEL_CHARS, clipped

MAX_EXCERPT_CHARS = 600
MAX_HIGHLIGHT_CHARS = 300
FOLLOW_SHORT = 150  # a best sentence shorter than this takes the next one along where it scores nearly as well:
FOLLOW_DELTA = 0.05  # within this of the best ("The value of a checkbox ..." after "The checkbox method creates ...")
MAX_ANAPHOR_CHARS = 400  # a sentence opening with a pronoun and the one before it that says whom it means
WINDOW_RADIUS = 4  # passages either side that an excerpt's window may reach
_ANAPHOR = re.compile(r"(?:He|She|They|It|His|Her|Their|Its|This|These|Those)\b")
FRAGMENT_WORDS = 4  # words of the highlight's start and end that a text fragment names
_WORD = re.compile(r"\S+")


def excerpt(engine: SearchEngine, passage: PassageRow, sentence_scores: np.ndarray, score: float,
            lift: float = 0.0, flags: np.ndarray | None = None, chat: exchange.Exchange | None = None,
            named: frozenset[str] = frozenset()) -> Excerpt:
    """The excerpt around ``passage``'s best sentence, cited (``lift``, ``flags``: see ``highlight_span``).

    Where the question names something (``named``: ``evidence.labels``) that a sentence near the passage opens an
    entry for ("NOCASE - Similar to binary, ..." in a list after the sentence that found it, "SQLite has three
    built-in collating functions: BINARY, NOCASE, and RTRIM."), that entry is the highlight.

    In a chat (``chat``: the exchange around the passage, ``exchange.read``), the highlight
    is the exchange's answering message instead (``exchange.answer_span``), and the window
    grows over the exchange's passages around it.
    """
    answer = exchange.answer_span(chat, MAX_HIGHLIGHT_CHARS) if chat is not None else None
    if chat is not None and answer is not None:
        units, text_start, text = chat.units, chat.offset, chat.text
        hl_start, hl_end = answer
    else:
        units, text_start, text = neighbourhood(engine, passage)
        hl_start, hl_end = highlight_span(passage, sentence_scores, units, text, text_start, lift, flags,
                                          chat.idle if chat is not None else frozenset())
        if named:
            hl_start, hl_end = _entry(units, text, text_start, named, (hl_start, hl_end))
    start, end = window(units, hl_start, hl_end, text, text_start)
    excerpt_text = text[start - text_start : end - text_start]
    para = engine.paragraph_at(passage.doc, hl_start)
    number = para.number if para else passage.paragraph
    section = para.section if para else passage.section
    page = para.page if para else passage.page
    label = para.page_label if para else None
    citation = Citation(
        source=passage.source,
        doc_id=passage.doc_id,
        title=passage.title,
        section=section,
        paragraph=number,
        location=location(section, number, page=page, page_label=label,
                          author=para.author if para else None, date=para.date if para else None),
        start=start,
        end=end,
        url=passage.url,
        page=page,
        page_label=label,
        author=para.author if para else None,
        date=para.date if para else None,
        link=deep_link(passage.url, para, text[hl_start - text_start : hl_end - text_start],
                       markdown=bool(passage.url) and plaintext.dialect(passage.source) != "text"),
    )
    return Excerpt(
        text=excerpt_text,
        highlight=excerpt_text[hl_start - start : hl_end - start],
        highlight_start=hl_start - start,
        highlight_end=hl_end - start,
        score=round(score, 6),
        citation=citation,
        passage_id=passage.row,
    )


def _entry(units: list[tuple[int, int]], text: str, offset: int, named: frozenset[str],
           highlight: tuple[int, int]) -> tuple[int, int]:
    """The first of ``units`` that opens a paragraph as an entry for one of the ``named`` (a list's item), unless
    ``highlight`` holds one."""
    entries = [u for u in units if (u[0] == offset or text[u[0] - offset - 1] == "\n")
               and evidence.entry_of(text[u[0] - offset : u[1] - offset], named)]
    if not entries or any(highlight[0] <= lo < highlight[1] for lo, _ in entries):
        return highlight
    return entries[0]


def neighbourhood(engine: SearchEngine, passage: PassageRow) -> tuple[list[tuple[int, int]], int, str]:
    """Sentence units of the passage and its neighbours in the same section and group, and their text."""
    units = window_units(engine, passage)
    lo, hi = units[0][0], units[-1][1]
    return units, lo, engine.text(passage.doc, lo, hi)


def window_units(engine: SearchEngine, passage: PassageRow) -> list[tuple[int, int]]:
    """The sentences an excerpt's window may grow over: the one window policy, whatever the engine.

    They are the sentences of the passage, of the passages that overlap or touch it, and of
    one more passage on each side, of the same document and section (a window never grows
    over a heading); and when the passage's paragraph is in a group (``Paragraph.group``: a
    chat's conversation), only passages of that group or of none, so that an excerpt never
    runs on into another conversation.
    """
    around = engine.neighbours(passage, WINDOW_RADIUS)
    near = [i for i, p in enumerate(around) if p.end >= passage.start and p.start <= passage.end] or [
        next(i for i, p in enumerate(around) if p.row == passage.row)]
    rows = [p for p in around[max(0, near[0] - 1) : near[-1] + 2] if p.section == passage.section]
    own = _group_at(engine, passage.doc, passage.start)
    if own is not None:
        rows = [p for p in rows if p.row == passage.row or _group_at(engine, p.doc, p.start) in (None, own)]
    return sorted({span for p in rows for span in p.sentences})


def _group_at(engine: SearchEngine, doc: int, offset: int) -> int | None:
    para = engine.paragraph_at(doc, offset)
    return para.group if para else None


def highlight_span(
    passage: PassageRow, scores: np.ndarray, units: list[tuple[int, int]], text: str, offset: int, lift: float = 0.0,
    flags: np.ndarray | None = None, idle: frozenset[tuple[int, int]] = frozenset(),
) -> tuple[int, int]:
    """The best sentence, with what it needs from its paragraph, in at most 300 characters.

    A question is not its own answer: when the best sentence asks, the best of the
    sentences after it that do not is highlighted instead (in a chat the reply, in a FAQ
    the answer). Which sentence is best is judged with ``lift`` added back to those that
    ask (the retriever passes the question penalty the rerank took from them), so that a
    question that matched best still points at its reply. A short sentence (a one-line
    answer) takes its better-scoring neighbour along, one that does not ask before one
    that does; a sentence under 150 characters takes the next one along where that scores
    nearly as well (a method's one-line description, then the sentence about its values);
    a sentence that opens with a pronoun ("He became ...") takes the sentence before it,
    which says who "he" is, even from the passage before. ``units`` and
    ``text`` (from ``offset``) are the sentences and source text around the passage;
    ``flags``, where the index stored them, say which sentences ask (else they are read). ``idle``: in a chat
    nobody else answered, the sentences of messages that say nothing ("Lia: ty", "Omar: np"), highlighted only where
    nothing else is.
    """
    own = passage.sentences
    if flags is not None and len(flags) == len(own):
        asking = [bool(f & ASKS) for f in flags.tolist()]
    else:
        asking = [asks(text[lo - offset : hi - offset]) for lo, hi in own]
    matched = [float(score) + (lift if asked else 0.0) for score, asked in zip(scores, asking, strict=True)]
    said = [j for j in range(len(own)) if own[j] not in idle] or list(range(len(own)))
    best = max(said, key=lambda j: matched[j])
    if asking[best]:
        answers = [j for j in said if j > best and not asking[j]]
        if answers:
            best = max(answers, key=lambda j: scores[j])
    start, end = own[best]

    def joinable(lo: int, hi: int, limit: int = MAX_HIGHLIGHT_CHARS) -> bool:
        return hi - lo <= limit and "\n" not in text[lo - offset : hi - offset]

    if text[start - offset : end - offset].rstrip().endswith(":"):
        # A sentence that introduces ("To build it statically, run:") takes what it introduces along (a command on
        # its own line, a list's first item), across the line break, where the two fit.
        after = [u for u in units if u[0] >= end][:1]
        if after and after[0][1] - start <= MAX_HIGHLIGHT_CHARS and not text[end - offset : after[0][0] - offset].strip():
            return start, after[0][1]  # not over text between that is not indexed (":::tip"), as a window never is

    if end - start < 80:
        neighbours = (j for j in (best - 1, best + 1) if 0 <= j < len(own))
        for j in sorted(neighbours, key=lambda j: (asking[j], -scores[j])):
            lo, hi = min(start, own[j][0]), max(end, own[j][1])
            if joinable(lo, hi):
                return lo, hi
    if end - start < FOLLOW_SHORT and best + 1 < len(own) and not asking[best + 1] \
            and scores[best + 1] >= scores[best] - FOLLOW_DELTA and joinable(start, own[best + 1][1]):
        return start, own[best + 1][1]
    if _ANAPHOR.match(text, start - offset):
        before = [u for u in units if u[1] <= start]
        if before and joinable(before[-1][0], end, MAX_ANAPHOR_CHARS):
            return before[-1][0], end
    return start, end


def window(units: list[tuple[int, int]], hl_start: int, hl_end: int, text: str, offset: int) -> tuple[int, int]:
    """At most 600 characters of whole sentences around the highlight.

    The window grows one sentence at a time, before then after, across passage and
    paragraph edges, but never over text that is not indexed (a heading, a repeat).
    """
    start, end = hl_start, hl_end
    before = [u for u in units if u[1] <= hl_start][::-1]
    after = [u for u in units if u[0] >= hl_end]
    open_sides = [before, after]
    while any(open_sides):
        for side in open_sides:
            if not side:
                continue
            unit = side[0]
            gap = text[end - offset : unit[0] - offset] if unit[0] >= end else text[unit[1] - offset : start - offset]
            if gap.strip() or max(end, unit[1]) - min(start, unit[0]) > MAX_EXCERPT_CHARS:
                side.clear()
                continue
            side.pop(0)
            start, end = min(start, unit[0]), max(end, unit[1])
    return start, end


def location(
    section: str | None,
    paragraph: int,
    *,
    page: int | None = None,
    page_label: str | None = None,
    author: str | None = None,
    date: str | None = None,
) -> str:
    """'§ Early years, ¶ 12'; 'p. 12, § 2.4 The glob files' on a page; 'Ana, 2024-05-01 18:02, ¶ 7' in a chat.

    A section or an author over ``LABEL_CHARS`` is cut, ending "…" (a hostile file's heading may be a megabyte)."""
    parts = []
    if page is not None:
        parts.append(f"p. {page_label or page}")
    if section:
        parts.append(f"§ {clipped(section, LABEL_CHARS)}")
    if author:
        parts.append(clipped(author, LABEL_CHARS))
    if date:
        parts.append(_readable_date(date))
    if page is None:
        parts.append(f"¶ {paragraph}")
    return ", ".join(parts)


def _readable_date(date: str) -> str:
    """'2024-05-01T18:02:33.120+00:00' as '2024-05-01 18:02 UTC'; anything else as it is."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d)(?::\d\d(?:\.\d+)?)?(Z|[+-]\d\d:\d\d)?", date)
    if not match:
        return date
    zone = match.group(3)
    return f"{match.group(1)} {match.group(2)}" + (" UTC" if zone in ("Z", "+00:00") else f" {zone}" if zone else "")


def deep_link(url: str | None, para: ParagraphRow | None, highlight: str, *, markdown: bool = False) -> str | None:
    """Where a browser shows the highlight: the paragraph's own link, or ``url#anchor:~:text=...`` (``markdown``:
    the highlight is Markdown, of which the page shows the text, not the marks)."""
    if para is not None and para.url:
        return para.url
    if not url:
        return None
    if not url.lower().startswith(("http://", "https://")):
        return url
    base, _fragment = urldefrag(url)
    anchor = quote(para.anchor, safe="") if para is not None and para.anchor else ""
    if not markdown:
        highlight = _term_apart(highlight, para.anchor if para is not None else None)
    fragment = text_fragment(highlight, markdown=markdown)
    return f"{base}#{anchor}:~:text={fragment}" if fragment else f"{base}#{anchor}" if anchor else base


def _term_apart(highlight: str, anchor: str | None) -> str:
    """``highlight`` without the colon that a reader put between a term and its definition, which the page does not
    show, the two being blocks of their own there (``qabot.corpus.html_marks``: "fetch(url: str) → bytes: Fetch one
    ...", "--force: Overwrite ..."). The term is what the first colon outside brackets ends. A term that names the
    ``anchor``'s last word (its id: "skyfetch.fetch", "term-tile") goes on a line of its own; another of a few words
    ("--force", "Returns:", or a sentence's "Note:") is left out, so that the link names the definition's words."""
    first, depth = highlight.split("\n", 1)[0], 0
    at = -1
    for place, char in enumerate(first):
        depth += (char in "([{") - (char in ")]}")
        if char == ":" and depth <= 0 and first[place + 1 : place + 2] == " ":
            at = place
            break
    if at < 0:
        return highlight
    term, rest = highlight[:at], highlight[at + 2 :]
    name = re.split(r"[.\-_:]", anchor)[-1].lower() if anchor else ""
    if name and name in term.lower():
        return term + "\n" + rest
    short = len(term.split()) <= FRAGMENT_WORDS and len(_WORD.findall(rest.split("\n", 1)[0])) >= _DEFINITION_WORDS
    return rest if short else highlight


_DEFINITION_WORDS = 3  # the fewest words of a definition that a link names without its term: fewer may be anywhere


def text_fragment(text: str, *, markdown: bool = False) -> str:
    """``start,end`` (or the whole text, when short) of a URL text fragment naming ``text``.

    A browser matches the start and the end each within one block of the page: a highlight
    over several (a table's row, whose cells a reader parts with " | "; a sentence and the
    command on the line under it; lines parted by ``<br>``) is named by the words of its
    first block and of its last, without a list's marker ("1.", "-"), which the page draws
    but does not hold as text; of Markdown (``markdown``), by the text the page shows, without
    its marks (`` `code` ``, ``**``, a link's target, a table's pipes, a fence's line, a footnote's label).
    Percent-encoded as https://wicg.github.io/scroll-to-text-fragment/ asks: ``-``, ``&``
    and ``,`` (which the directive's syntax uses) among the rest, and parentheses too, so
    the link survives in Markdown and in Discord's ``<...>`` links.
    """
    blocks = [run for part in (_MARKDOWN_BREAK if markdown else _BLOCK_BREAK).split(text)
              for run in _shown_runs(_WORD.findall(_block_text(part, markdown)), markdown) if run]
    if not blocks:
        return ""
    if len(blocks) == 1 and len(blocks[0]) <= 2 * FRAGMENT_WORDS:
        return _encode(" ".join(blocks[0]))
    return _encode(" ".join(blocks[0][:FRAGMENT_WORDS])) + "," + _encode(" ".join(blocks[-1][-FRAGMENT_WORDS:]))


# Where one block of a page ends and another begins, in a reader's text: a line break, a table's cell (" | ").
_BLOCK_BREAK = re.compile(r"\s*\n\s*|\s+\|\s+")
_MARKDOWN_BREAK = re.compile(r"\s*\n\s*|(?<!\\)\|")  # and any pipe of a Markdown table's row
# What opens a block before its text: quotes' and bullets' marks, then a heading's, a number's or a letter's, a task's box.
_MARKER = re.compile(r"(?:[-*+•>]\s+)*(?:#{1,6}\s+|\d{1,9}[.)]\s+|[a-zA-Z][.)]\s+)?(?:\[[ xX]\]\s+)?")
_FENCE_LINE = re.compile(r"\s*(?:`{3,}|~{3,})")
# What the page shows of none of Markdown's blocks: a footnote's label ("[^2]: ", drawn as its list's number) and a
# definition's colon (":   ", MkDocs' and PHP Markdown Extra's definition lists).
_MARKDOWN_MARKER = re.compile(r"(?:\[\^[^\]\s]+\]:|:)\s+")


# Words of Markdown that a page draws as no text: Material for MkDocs' annotation markers ("(1)", "(2).", in code
# "(1)!") and emoji codes (":warning:", drawn as an icon there and on GitHub).
_UNSHOWN = re.compile(r"\(\d{1,2}\)!?[.,;:?]?|:[a-z0-9_+-]+:")
_COMMENTS = frozenset({"#", "//", "--", "%", ";", "/*", "<!--"})  # what opens a comment in code


def _shown_runs(words: list[str], markdown: bool) -> list[list[str]]:
    """``words`` of one block, in the runs that the page shows together: of Markdown, parted where a word is drawn as
    no text (``_UNSHOWN``), which a text fragment may not name nor leave out of its words."""
    if not markdown or not any(_UNSHOWN.fullmatch(word) for word in words):
        return [words]
    runs: list[list[str]] = [[]]
    for word in words:
        if _UNSHOWN.fullmatch(word):
            if word.endswith("!") and runs[-1] and runs[-1][-1] in _COMMENTS:
                runs[-1].pop()  # "# (1)!": the comment goes with its marker
            runs.append([])
        else:
            runs[-1].append(word)
    return runs


def _block_text(part: str, markdown: bool) -> str:
    """The text the page shows of one block of a highlight: without a list's marker at its start, and of Markdown,
    without its marks (a fence's line shows none)."""
    if markdown and _FENCE_LINE.match(part):
        return ""
    if markdown and (label := _MARKDOWN_MARKER.match(part)):
        part = part[label.end() :]
    part = part[_MARKER.match(part).end() :]  # type: ignore[union-attr]  # it matches, if only nothing
    return markdown_tags.heading_text(part) if markdown else part


def _encode(text: str) -> str:
    return quote(text, safe="").replace("-", "%2D")


def overlaps(excerpt: Excerpt, other: Excerpt) -> bool:
    """Whether ``excerpt`` adds nothing to ``other``: its highlight is already on screen there.

    Windows that merely share some context are both kept: each points at a different sentence.
    """
    a, b = excerpt.citation, other.citation
    if (a.source, a.doc_id) != (b.source, b.doc_id):
        return False
    overlap = min(a.start + excerpt.highlight_end, b.end) - max(a.start + excerpt.highlight_start, b.start)
    return overlap >= 0.9 * (excerpt.highlight_end - excerpt.highlight_start)
