"""Discord formatting: answers, sources and help as embeds that always fit Discord's limits.

Pure functions, no network: the bot (``discord_bot``) calls them and sends what they
return. Every string that reaches Discord goes through ``clip`` or ``marked``, so no
message, title, description or field can exceed its limit, and ``fit_embed`` keeps
the whole embed under 6,000 characters. Discord counts characters as code points,
as Python's ``len`` does.

Corpus text is quoted verbatim but escaped with discord.py's ``escape_markdown``, so a
``*`` or ``_`` in a document can never break the bold highlight or format the rest of
the answer, and so is the ``<`` of Discord's own syntax (``<@id>``, ``<#id>``, ``<t:0:R>``,
``</cmd:id>``, ``<:emoji:id>``), which would show a name, a link, a date or an image instead
of the text: what Discord shows, once it has read the escapes, is the text. Control
characters are shown as visible symbols (``qabot.text.visible``). Cuts fall on a word
boundary when there is one, never inside a character cluster (a letter and its accents,
an emoji sequence), and are marked with an ellipsis.

A chat message's excerpt keeps its lines (``render.keeps_lines``: a code block, a command a
line, a config file). What Discord reads at a line's start (a quote's ``>``, a heading's
``#``, a list's ``-`` or ``1.``, indented or not) is escaped on every line, and so is every
backtick: a ``` fence shows as typed and opens no code block, so the highlight's bold
markers, put round each of its lines (``render.mark_lines``), can neither break one nor be
swallowed by one. A chat message's spoiler (``||...||``, on a line without code) stays one: its
author hid it from a glance, and a quote shows it hidden too.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import discord

from qabot.adapters.discord.clipping import ELLIPSIS, clip, clip_start
from qabot.adapters.render import cite, keeps_lines, mark_lines, shaped, source_name
from qabot.models import Answer, Citation, Excerpt, SourceInfo
from qabot.text import flat, visible

# Discord's documented limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
MESSAGE_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
FIELD_COUNT_LIMIT = 25
EMBED_LIMIT = 6000

SHORT_NAME = 120  # a "more sources" field: the citation ...
SHORT_VALUE = 200  # ... and the start of its highlighted sentence
SOURCE_VALUE = 512  # the citation of the best excerpt
SOURCE_LINK = 120  # the link under another source of an answer: a jump link fits, and nine leave the best its room

NO_MENTIONS = discord.AllowedMentions.none()  # every message the bot sends: quoted text never pings anyone
ANSWER_COLOUR = discord.Colour.blurple()
NOT_FOUND_COLOUR = discord.Colour.light_grey()
NOT_FOUND = (
    "I couldn't find an answer to that in the documents I have. "
    "Try other words, or `/sources` to see what I can quote from."
)

_ANGLED = re.compile(r"<(?![^: >]+:/[^ >]+>)")  # a '<', but not one opening <scheme:/url>, which escape_markdown keeps
_UNLINKABLE = re.compile(r"[\\\[\]]|://")  # what a link's text cannot show as written (see _linkable)
LINK = "link"  # the text of a citation's link when its title (or place) cannot be it
_LINKABLE = re.compile(r"https?://[^\s<>()\x00-\x1f\x7f-\x9f]+")  # a url that cannot break out of <...>
# What escape_markdown leaves for Discord to read at a line's start: an ordered list's number ("1. "), and a list's
# "-" after spaces, which it escapes before the spaces (a backslash Discord would show, and a list all the same).
_LINE_START = re.compile(r"^(?:\\(?P<indent>[ \t]+)-|(?P<number>[ \t]*\d+)\.(?=[ \t]))", re.MULTILINE)


# A spoiler, escaped: "\|\|", text on one line that holds no other, "\|\|".
_SPOILER = re.compile(r"\\\|\\\|((?:(?!\\\|\\\|).)+?)\\\|\\\|")


def _escaped(text: str, limit: int, *, keep_end: bool = False, lines: bool = False, spoilers: bool = False) -> str:
    """``text`` with its markdown escaped and its control characters visible (but its line breaks, with ``lines``),
    clipped to fit in ``limit``; with ``spoilers``, a ``||spoiler||`` of a line without code stays one."""
    text = visible(text, lines=lines)
    cut = clip_start if keep_end else clip

    def shown(room: int) -> str:
        # Every '[' is escaped (escape_markdown escapes only a whole [text](url)), so that text quoted in pieces
        # (before, highlight, after; title, place) cannot make a link across them. A raw control character cannot
        # be left after ``visible``: \x00 holds the place of a '[' through escape_markdown. Line by line: at a blank
        # line, escape_markdown's list pattern (^\s*-) would run on into the next line and escape the blank one.
        out = "\n".join(discord.utils.escape_markdown(line) for line in cut(text, room).replace("[", "\x00")
                        .split("\n")).replace("\x00", "\\[")
        out = _ANGLED.sub(r"\\<", out)
        out = _LINE_START.sub(_line_start, out) if lines else out  # on one line, nothing is indented
        return "\n".join(map(_spoiled, out.split("\n"))) if spoilers else out

    best = shown(limit)
    if len(best) <= limit:
        return best
    # Escaping added characters: the most text whose escaped form fits, found by halving (cutting by what escaping
    # added cut "*" * 5000 to "…" in 200 characters, and half of any text of many marks).
    best, low, high = "", 1, limit - 1
    while low <= high:
        room = (low + high) // 2
        if len(candidate := shown(room)) <= limit:
            best, low = candidate, room + 1
        else:
            high = room - 1
    return best


def _spoiled(line: str) -> str:
    """An escaped line with each ``\\|\\|spoiler\\|\\|`` a spoiler again, as its author hid it; not in a line with code,
    where Discord shows ``a || b || c`` as typed (a shell's "or"), and which the escaping cannot tell apart."""
    return line if "`" in line else _SPOILER.sub(r"||\1||", line)


def _line_start(match: re.Match[str]) -> str:
    return f"{match['indent']}\\-" if match["indent"] is not None else f"{match['number']}\\."


def markdown(text: str, limit: int) -> str:
    """Verbatim text on one line, markdown escaped, within ``limit`` characters."""
    return _escaped(flat(text), limit)


def marked(excerpt: Excerpt, limit: int) -> str:
    """The excerpt on one line (a chat message's on its own lines) with its highlight in bold, within ``limit``
    characters.

    When it is too long the highlight is kept first, then as much of the text before
    and after it as fits, each cut at a word boundary and marked with '…'.
    """
    text, start, end = excerpt.text, excerpt.highlight_start, excerpt.highlight_end
    lines = keeps_lines(excerpt.citation, text)
    spoilers = excerpt.citation.author is not None  # a chat message's: its author hid them from a glance
    before, highlight, after = (shaped(part, lines).strip() for part in (text[:start], text[start:end], text[end:]))
    if not highlight:
        return _escaped(shaped(text, lines), limit, lines=lines, spoilers=spoilers)
    # Keep the source's own spacing around the highlight (it may start or end mid-word): a space, or on lines, the
    # line breaks and indent between.
    core = text[start:end]
    left = _gap(text[len(text[:start].rstrip()) : start + len(core) - len(core.lstrip())], lines) if before else ""
    right = _gap(text[end - len(core) + len(core.rstrip()) : len(text) - len(text[end:].lstrip())],
                 lines) if after else ""

    # The highlight first, with room for '…' on each side that has text: a side cut away unmarked reads as none.
    least = (len(left) + len(ELLIPSIS) if before else 0) + (len(right) + len(ELLIPSIS) if after else 0)
    bold = _bold(highlight, limit - least if limit - least > 4 else limit, lines, spoilers)
    room = limit - len(bold) - len(left) - len(right)
    shown_before = _escaped(before, max(0, room // 2), keep_end=True, lines=lines, spoilers=spoilers)
    shown_after = _escaped(after, max(0, room - len(shown_before)), lines=lines, spoilers=spoilers)
    shown_before = _escaped(before, max(0, room - len(shown_after)), keep_end=True, lines=lines,
                            spoilers=spoilers)  # what after left
    return (shown_before + left if shown_before else "") + bold + (right + shown_after if shown_after else "")


def _gap(space: str, lines: bool) -> str:
    return visible(space, lines=True) if lines else " " if space else ""


def _bold(highlight: str, limit: int, lines: bool, spoilers: bool = False) -> str:
    """The highlight escaped and in bold, line by line, within ``limit`` characters (else nothing)."""
    room = limit
    while True:
        bold = mark_lines(_escaped(highlight, max(0, room - 4), lines=lines, spoilers=spoilers), "**{}**".format)
        if len(bold) <= limit or room <= 4:
            return bold if len(bold) <= limit else ""
        room -= max(1, len(bold) - limit)


def file_name(name: str, limit: int) -> str:
    """A file name as inline code (it needs no escaping there), or escaped when it holds a backtick."""
    name = visible(name)
    if "`" not in name and len(name) + 2 <= limit:
        return f"`{name}`"
    return _escaped(name, limit)


def _linkable(shown: str) -> bool:
    """Whether escaped text shows as written as a link's text: Discord shows the backslash of an escape there as
    it is, and a bracket could end the link or open another; a web address is left out too."""
    return _UNLINKABLE.search(shown) is None


def cite_markdown(citation: Citation, limit: int) -> str:
    """The citation for a field value: the title in bold, the file as code.

    The title (or, without one, the place) links to ``citation.link`` (the highlight in
    the page, or a chat message), else to the document's url, when one is a plain web
    address that fits. A title or place that a link's text cannot show as written (one
    with Markdown, brackets or a backslash: ``_linkable``) is shown unlinked, followed
    by a link of its own.
    """
    source = file_name(source_name(citation.source), limit // 2)
    place = _escaped(flat(citation.location), limit - len(source) - 2)
    where = f"{source}, {place}"
    links = _links(citation)
    if not citation.title:
        fitting = (f"{source}, [{place}](<{url}>)" if _linkable(place) else f"{where} · [{LINK}](<{url}>)"
                   for url in links)
        return next((linked for linked in fitting if len(linked) <= limit), where)
    title = _escaped(flat(citation.title), max(0, limit - len(where) - 10))
    for url in links:
        linked = (f"**[{title}](<{url}>)** — {where}" if _linkable(title) else
                  f"**{title}** — {where} · [{LINK}](<{url}>)")
        if title and len(linked) <= limit:
            return linked
    return f"**{title}** — {where}" if title else where


def _links(citation: Citation) -> list[str]:
    """The citation's links that a message can show as links: the highlight's (or the chat message's), its page's."""
    return [url for url in dict.fromkeys((citation.link, citation.url)) if url and _LINKABLE.fullmatch(url)]


def _jump(citation: Citation, limit: int) -> str:
    """A line linking to where the citation points (as the Source field's title does), or "" (none, or no room)."""
    return next((line for line in (f"\n[{LINK}](<{url}>)" for url in _links(citation)) if len(line) <= limit), "")


def source_field_name(number: int, citation: Citation) -> str:
    """'[2] Title — source, place', escaped: a field's name renders Markdown as its value does."""
    prefix = f"[{number}] "
    return prefix + markdown(cite(citation), SHORT_NAME - len(prefix))


def question_title(question: str) -> str:
    return _escaped(flat(question), TITLE_LIMIT)


def default_shown(top_k: int) -> int:
    """Sources in an answer when the user does not ask for a number: the best and up to 3 more."""
    return max(1, min(top_k, 4))


def answer_embed(answer: Answer, shown: int) -> discord.Embed:
    """The best excerpt (highlight in bold) with its citation, then up to ``shown - 1`` more sources.

    When the corpus does not answer, the embed says so and quotes nothing: a weak
    passage is never presented as the answer.
    """
    embed = discord.Embed(title=question_title(answer.question), colour=ANSWER_COLOUR)
    if not answer.answered or not answer.excerpts:
        embed.description = NOT_FOUND
        embed.colour = NOT_FOUND_COLOUR
        return embed
    best = answer.excerpts[0]
    embed.add_field(name="Source", value=cite_markdown(best.citation, SOURCE_VALUE), inline=False)
    for number, excerpt in enumerate(answer.excerpts[1:shown], start=2):
        embed.add_field(
            name=source_field_name(number, excerpt.citation),
            value=(markdown(excerpt.highlight or excerpt.text, SHORT_VALUE) or ELLIPSIS) + _jump(excerpt.citation, SOURCE_LINK),
            inline=False,
        )
    embed.set_footer(text="Quoted word for word from the documents")
    room = EMBED_LIMIT - len(embed)
    embed.description = marked(best, min(DESCRIPTION_LIMIT, room))
    return fit_embed(embed)


def taken_out(embed: discord.Embed, excerpts: Collection[int], notice: str, *, title: str | None = None
              ) -> discord.Embed:
    """An answer's embed (``answer_embed``) as sent, with the excerpts ``excerpts`` taken out (0: the best, in the
    description, and its citation, the Source field; n: the source numbered n + 1, its citation and highlight),
    each in favour of ``notice``, and its title (the question) in favour of ``title`` when given. Every field keeps
    its place, so that an excerpt taken out later is found where it was."""
    embed = discord.Embed.from_dict(copy.deepcopy(embed.to_dict()))  # Embed.copy shares its fields
    if title is not None:
        embed.title = title
    for number in excerpts:
        if number == 0 and embed.description:
            embed.description = f"*{notice}*"
            if embed.fields and embed.fields[0].name == "Source":
                embed.set_field_at(0, name="Source", value="—", inline=False)
        elif 0 < number < len(embed.fields):
            embed.set_field_at(number, name=f"[{number + 1}]", value=notice, inline=False)
    return embed


def more_embed(answer: Answer, first: int, unseen: Sequence[Excerpt] | None = None) -> discord.Embed:
    """Excerpts ``first + 1`` onwards (or ``unseen``: those the answer did not show), in full, under their citations."""
    embed = discord.Embed(title=markdown(f"More sources: {answer.question}", TITLE_LIMIT), colour=ANSWER_COLOUR)
    rest = list(enumerate(answer.excerpts[first:] if unseen is None else unseen, start=first + 1))[:FIELD_COUNT_LIMIT]
    if not rest:
        embed.description = "There are no more sources for this question."
        return embed
    names = [source_field_name(number, excerpt.citation) for number, excerpt in rest]
    share = max(0, (EMBED_LIMIT - len(embed) - sum(map(len, names))) // len(rest))
    for name, (_, excerpt) in zip(names, rest, strict=True):
        room = min(FIELD_VALUE_LIMIT, share)
        jump = _jump(excerpt.citation, room // 2)  # a link as the answer's Source has: two channels of one name differ
        embed.add_field(name=name, value=(marked(excerpt, room - len(jump)) or ELLIPSIS) + jump, inline=False)
    return fit_embed(embed)


def sources_embed(sources: Sequence[SourceInfo]) -> discord.Embed:
    """The indexed files, one line each, as many as fit; the rest are counted."""
    passages = sum(s.passages for s in sources)
    embed = discord.Embed(title="Indexed documents", colour=ANSWER_COLOUR)
    embed.set_footer(text=f"{len(sources)} file(s), {passages} passages")
    lines: list[str] = []
    used = 0
    for position, source in enumerate(sources):
        line = "• " + file_name(source_name(source.source), 200)
        if source.title:
            line += " — " + _escaped(flat(source.title), 200)
        line += f" ({source.passages} passages)"
        left = len(sources) - position
        reserve = len(f"\n… and {left} more") if left > 1 else 0
        if used + len(line) + 1 + reserve > DESCRIPTION_LIMIT:
            lines.append(f"… and {left} more")
            break
        lines.append(line)
        used += len(line) + 1
    embed.description = "\n".join(lines) or "No documents are indexed."
    return fit_embed(embed)


def help_embed(*, max_chars: int, cooldown: float, max_k: int) -> discord.Embed:
    """How to use the bot."""
    embed = discord.Embed(title="How to ask me", colour=ANSWER_COLOUR)
    embed.description = (
        "I answer questions about a set of documents by quoting the passage that answers, "
        "with the answering sentence in **bold** and where it comes from. I never write text of my own."
    )
    embed.add_field(
        name="Ask",
        value=(
            "`/ask question: Who killed Trotsky?`\n"
            "or mention me: `@me who killed Trotsky?`\n"
            "or send me a direct message."
        ),
        inline=False,
    )
    embed.add_field(
        name="More sources",
        value=f"Press **More sources** under an answer, or ask with `/ask k:` (1–{max_k}).",
        inline=False,
    )
    embed.add_field(
        name="Was it right?",
        value="Press 👍 **Helpful** or 👎 **Not helpful** under an answer: it helps improve the documents.",
        inline=False,
    )
    embed.add_field(
        name="Ask about a message",
        value="Right-click a message (or long-press it), then **Apps > Ask qabot**: I answer you privately.",
        inline=False,
    )
    embed.add_field(
        name="Follow-up questions",
        value="Ask in a thread, or reply to one of my answers (with the mention on): "
        "I read your earlier questions there, so “When did he die?” works.",
        inline=False,
    )
    embed.add_field(name="What I know", value="`/sources` lists the documents.", inline=False)
    embed.set_footer(text=f"Questions up to {max_chars} characters; one every {cooldown:g} s per person.")
    return fit_embed(embed)


def notice(text: str) -> str:
    """A plain message, within Discord's 2,000 characters."""
    return clip(text, MESSAGE_LIMIT)


@dataclass
class Reply:
    """What to send: a notice, or an answer embed with its buttons."""

    content: str | None = None
    embed: discord.Embed | None = None
    view: discord.ui.View | None = None

    def kwargs(self) -> dict[str, Any]:
        sent: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
        if self.content is not None:
            sent["content"] = notice(self.content)
        if self.embed is not None:
            sent["embed"] = self.embed
        if self.view is not None:
            sent["view"] = self.view
        return sent


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """The last guard before sending: at most 25 fields and 6,000 characters in all.

    The formatters above already stay within the limits; this drops trailing fields
    (the least relevant sources) rather than let Discord reject the whole answer.
    """
    while len(embed.fields) > FIELD_COUNT_LIMIT or (len(embed) > EMBED_LIMIT and embed.fields):
        embed.remove_field(len(embed.fields) - 1)
    if len(embed) > EMBED_LIMIT and embed.description:
        embed.description = clip(embed.description, max(0, len(embed.description) - (len(embed) - EMBED_LIMIT)))
    return embed
