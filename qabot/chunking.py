"""Sentence-aware passages with exact character offsets.

A paragraph is split into sentences (a rule-based splitter that knows common
abbreviations and initials), sentences longer than ``MAX_SENTENCE_CHARS`` are split
further at clause breaks, and consecutive sentences are packed into passages of at
most ``max_chars`` characters, balanced so that a paragraph does not end in a stub.
Every span is an offset pair into the document text: ``text[start:end]`` is the
passage, with no characters added, removed or normalised.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

from qabot.models import Document, Paragraph, Passage
from qabot.text import QUESTION_MARKS

MAX_SENTENCE_CHARS = 300  # a highlight is at most this long, so sentence units are too
MIN_PARAGRAPH_CHARS = 150  # shorter paragraphs share a passage with the ones after them
CHAT_CHARS = 200  # a chat's passages: a message and the replies right after it, not a whole exchange

Span = tuple[int, int]

# A sentence ends at . ! ? or … (possibly repeated; the Arabic question mark, the Urdu full stop and the Devanagari
# danda too), then closing quotes or brackets, then whitespace; the next sentence starts with something that is not a
# lowercase letter. Chinese and Japanese end a sentence at 。！？, with no space after it. Markdown's emphasis may close
# after the mark ("**Why does the dome not rotate?**"). A run of marks is tried once, from its start and without
# backtracking (what backtracking would try ends before a mark, never before whitespace): tried from each of its marks,
# a megabyte of dots took hours.
_BOUNDARY = re.compile(r"(?<![.!?…؟۔।॥])[.!?…؟۔।॥]++[\"'”’»)\]*_]*+(?=\s+[^\s])|[。！？]+[」』）】〉》\"'”’)\]*_]*(?=\s*[^\s])")
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt ft vs etc al eg ie cf viz approx dept est fig figs no nos vol vols
    pp ch sec gen col lt sgt capt cmdr adm gov sen rep pres rev hon inc ltd co corp bros jan feb
    mar apr jun jul aug sep sept oct nov dec u.s e.g i.e a.m p.m ca op ed eds trans univ""".split()
)
_CLAUSE_BREAK = re.compile(r"[;:—–]\s*|,\s+|\s+-\s+")
_SPACE = re.compile(r"\s")


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence spans within ``text[start:end]``, whitespace-trimmed, in order."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        stop = match.end()
        if _is_abbreviation(text, cursor, match.start()) or not _next_starts_sentence(text, stop, end):
            continue
        spans.append((cursor, stop))
        cursor = stop
    spans.append((cursor, end))
    return [trimmed for span in spans if (trimmed := _trim(text, *span))[0] < trimmed[1]]


def _is_abbreviation(text: str, floor: int, dot: int) -> bool:
    if text[dot] != ".":
        return False
    word_start = dot
    while word_start > floor and not text[word_start - 1].isspace() and text[word_start - 1] not in "(\"“'‘[":
        word_start -= 1
    word = text[word_start:dot].lower()
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "Leon D. Trotsky", "J. Edgar Hoover"
    return word in _ABBREVIATIONS or word.rstrip(".") in _ABBREVIATIONS


def _next_starts_sentence(text: str, pos: int, end: int) -> bool:
    while pos < end and text[pos].isspace():
        pos += 1
    return pos < end and not text[pos].islower()


def _trim(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentence_units(text: str, start: int, end: int, limit: int = MAX_SENTENCE_CHARS) -> list[Span]:
    """Sentences of ``text[start:end]``, with any longer than ``limit`` cut at clause breaks."""
    units: list[Span] = []
    for span in split_sentences(text, start, end):
        units.extend(_cut_long(text, span, limit))
    return units


def _cut_long(text: str, span: Span, limit: int) -> list[Span]:
    """``span`` in pieces of at most ``limit`` characters, cut at clause breaks, else at spaces.

    A loop, not recursion: a 30 MB line with no punctuation is 100,000 pieces.
    """
    out: list[Span] = []
    start, end = span
    while end - start > limit:
        pieces = math.ceil((end - start) / limit)
        target = start + (end - start) // pieces
        # The clause break closest to an even split, within the limit; else the last space.
        window_lo, window_hi = start + limit // 3, min(end - 1, start + limit)
        best = None
        for match in _CLAUSE_BREAK.finditer(text, window_lo, window_hi):
            if match.end() - start > limit:
                continue
            if best is None or abs(match.end() - target) < abs(best - target):
                best = match.end()
        if best is None:
            space = max((m.start() for m in _SPACE.finditer(text, window_lo, window_hi)), default=-1)
            best = space + 1 if space > start else start + limit
        head = _trim(text, start, best)
        if head[0] < head[1]:
            out.append(head)
        start, end = _trim(text, best, end)
    if start < end:
        out.append((start, end))
    return out


def pack(units: list[Span], max_chars: int) -> list[list[Span]]:
    """Group consecutive units into runs whose total span is at most ``max_chars``.

    The target length is the paragraph divided evenly, so a 700-character paragraph
    becomes two passages of about 350, not one of 600 and a stub of 100.
    """
    if not units:
        return []
    total = units[-1][1] - units[0][0]
    target = total / max(1, math.ceil(total / max_chars))
    groups: list[list[Span]] = []
    current: list[Span] = []
    for unit in units:
        if current:
            length = unit[1] - current[0][0]
            if length > max_chars or (current[-1][1] - current[0][0]) >= target * 0.9:
                groups.append(current)
                current = []
        current.append(unit)
    if current:
        groups.append(current)
    return groups


def passages(document: Document, paras: list[Paragraph], max_chars: int) -> Iterator[Passage]:
    """The passages of a document: runs of whole sentences, at most ``max_chars`` long.

    A paragraph shorter than ``MIN_PARAGRAPH_CHARS`` (a quote's introduction, a one-line
    answer) is packed together with the paragraphs after it, so that it is found with
    its context; runs never cross a heading or a skipped repeat, and a reader's group
    of paragraphs (``Paragraph.group``) is one run of its own: never split unless it is
    longer than a passage, never joined to what follows. A chat's exchange (a group of
    messages with authors) is cut into passages of at most ``CHAT_CHARS``: a message
    and the replies right after it, each found on its own, where a whole exchange would
    blur a question's answer with the talk around it. Headings and repeated
    paragraphs are not indexed. ``paragraph`` is the number of the passage's first one,
    ``page`` its page.
    """
    text = document.text
    limit = min(MAX_SENTENCE_CHARS, max_chars)
    run: list[Paragraph] = []

    def flush() -> Iterator[Passage]:
        units: list[tuple[Span, Paragraph]] = [
            (unit, para) for para in run for unit in sentence_units(text, para.start, para.end, limit)
        ]
        owner = dict(units)
        run.clear()
        chat = any(para.author is not None and para.group is not None for para in owner.values())
        for group in pack([unit for unit, _ in units], min(max_chars, CHAT_CHARS) if chat else max_chars):
            start, end = group[0][0], group[-1][1]
            first = owner[group[0]]
            yield Passage(
                doc_id=document.doc_id,
                source=document.source,
                title=document.title,
                section=first.section,
                paragraph=first.number,
                start=start,
                end=end,
                text=text[start:end],
                sentences=group,
                page=first.page,
            )

    for index, para in enumerate(paras):
        if para.heading or para.duplicate:
            yield from flush()
            continue
        run.append(para)
        following = paras[index + 1] if index + 1 < len(paras) else None
        # A reader's group (a reply and what it answers, a paragraph cut by a page break)
        # stays in one run; ``pack`` still cuts a run longer than ``max_chars``.
        grouped = para.group is not None and following is not None and following.group == para.group
        ends_group = para.group is not None and not grouped  # the end of a conversation: never joins the next
        if ends_group or (run[-1].end - run[0].start >= MIN_PARAGRAPH_CHARS and not grouped):
            yield from flush()
    yield from flush()


_CLOSED = re.compile(r"[.!?…:;。！？؟۔।॥]['\"”’»)\]」』）】〉》*_]*\s*$")


def is_caption(sentence: str) -> bool:
    """A short line with no closing punctuation: an image caption, a heading, a byline.

    It names a topic without saying much about it, so it is rarely the answer; the rerank
    lowers it (``RetrievalConfig.caption_penalty``) rather than leaving it out, since a
    caption can still be what was asked for ("Bolshevik (1920) by Boris Kustodiev"). The
    index stores the answer per sentence (``sentence_flags.u8``), so no question re-reads it.
    A table's row ("Altitude | 15 degrees", "| Max humidity | 85 % |") is data, the answer to
    what its cells name, and no caption.
    """
    return len(sentence.split()) <= 12 and not _CLOSED.search(sentence) and not _ROW.search(sentence)


_ROW = re.compile(r"\s\|\s|^\s*\|.*\|\s*$")  # cells parted by " | " (a reader's, Markdown's)


CAPTION, ASKS, CHAT = 1, 2, 4  # bits of sentence_flags; CHAT: of a chat message in an exchange (set by the build)
_CLOSERS = "\"'”’»)] 」』）】〉》*_"  # and Markdown's emphasis: "**Can I observe in the rain?**" asks


def sentence_flags(sentence: str) -> int:
    """What the rerank needs to know of a sentence's text, as bits: ``CAPTION`` (``is_caption``),
    ``ASKS`` (it ends with a question mark: in a chat, the question the next message answers)."""
    return (CAPTION if is_caption(sentence) else 0) | (ASKS if asks(sentence) else 0)


def asks(sentence: str) -> bool:
    """Whether the sentence is a question: it ends with a question mark (before any closing quotes)."""
    return sentence.rstrip(_CLOSERS).endswith(QUESTION_MARKS)
