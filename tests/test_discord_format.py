"""Discord formatting: embeds from answers built by hand, within every Discord limit, cut cleanly."""

from __future__ import annotations

import re
import unicodedata

import discord
import pytest

from qabot.adapters.discord.format import (
    DESCRIPTION_LIMIT,
    ELLIPSIS,
    EMBED_LIMIT,
    FIELD_COUNT_LIMIT,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    NOT_FOUND,
    TITLE_LIMIT,
    answer_embed,
    clip,
    clip_start,
    default_shown,
    help_embed,
    marked,
    more_embed,
    notice,
    sources_embed,
    taken_out,
)
from qabot.models import Answer, SourceInfo
from tests import answers


def assert_within_limits(embed) -> None:
    assert len(embed.title or "") <= TITLE_LIMIT
    assert len(embed.description or "") <= DESCRIPTION_LIMIT
    assert len(embed.fields) <= FIELD_COUNT_LIMIT
    for item in embed.fields:
        assert 0 < len(item.name) <= FIELD_NAME_LIMIT and 0 < len(item.value) <= FIELD_VALUE_LIMIT
    assert len(embed.footer.text or "") <= FOOTER_LIMIT
    assert len(embed) <= EMBED_LIMIT


@pytest.fixture
def answer() -> Answer:
    return answers.answer("Who killed Trotsky?", k=10)


def oversized(answer: Answer, factor: int = 100) -> Answer:
    """The real answer with every excerpt (and its highlight) blown up far past Discord's limits."""
    excerpts = []
    for excerpt in answer.excerpts:
        before = excerpt.text[: excerpt.highlight_start] * factor
        highlight = excerpt.highlight * factor
        text = before + highlight + excerpt.text[excerpt.highlight_end :] * factor
        citation = excerpt.citation.model_copy(update={"title": "A very long title " * 40, "location": "¶ 1" * 200})
        excerpts.append(
            excerpt.model_copy(
                update={
                    "text": text,
                    "highlight": highlight,
                    "highlight_start": len(before),
                    "highlight_end": len(before) + len(highlight),
                    "citation": citation,
                }
            )
        )
    return answer.model_copy(update={"question": "why " * 2000, "excerpts": excerpts})


def test_answer_embed_quotes_the_best_excerpt_with_the_highlight_in_bold(answer: Answer) -> None:
    best = answer.excerpts[0]
    embed = answer_embed(answer, shown=4)
    assert embed.title == "Who killed Trotsky?"
    highlight = " ".join(best.highlight.split())
    assert f"**{highlight}**" in embed.description.replace("\\", "")
    assert embed.fields[0].name == "Source" and best.citation.source in embed.fields[0].value
    assert best.citation.location in embed.fields[0].value
    # up to 3 more sources, as short fields naming their citation
    assert [f.name[:3] for f in embed.fields[1:]] == ["[2]", "[3]", "[4]"]
    assert discord.utils.escape_markdown(answer.excerpts[1].citation.source) in embed.fields[1].name
    assert_within_limits(embed)


def test_k_shows_more_sources_and_more_embed_shows_the_rest(answer: Answer) -> None:
    assert len(answer_embed(answer, shown=1).fields) == 1
    assert len(answer_embed(answer, shown=10).fields) == 10
    more = more_embed(answer, first=4)
    assert [f.name.split("]")[0] for f in more.fields] == [f"[{n}" for n in range(5, len(answer.excerpts) + 1)]
    assert all("**" in f.value for f in more.fields)  # each excerpt in full, its highlight in bold
    assert_within_limits(more)
    assert "no more" in more_embed(answer, first=len(answer.excerpts)).description


def test_oversized_excerpts_stay_within_every_limit_and_keep_the_highlight(answer: Answer) -> None:
    big = oversized(answer)
    assert len(big.excerpts[0].text) > 3 * EMBED_LIMIT
    for shown in (1, 4, 10):
        embed = answer_embed(big, shown=shown)
        assert_within_limits(embed)
        assert embed.description.count("**") == 2  # the highlight is still there, in bold
        assert embed.title.endswith(ELLIPSIS)
    more = more_embed(big, first=1)
    assert_within_limits(more)
    assert len(more.fields) == len(big.excerpts) - 1


def test_text_cut_from_either_side_of_the_highlight_is_always_marked(answer: Answer) -> None:
    """Where the highlight just fitted the room, the words before and after it were dropped without an ellipsis: the
    excerpt read as if it were the highlight alone. Whatever the room, a side cut is marked with '…'."""
    best = answer.excerpts[0]
    before, after = best.text[: best.highlight_start].strip(), best.text[best.highlight_end :].strip()
    assert before and after
    long = len(best.highlight) + len(before) + len(after) + 12
    for limit in range(len(best.highlight) - 20, long + 20):
        shown = marked(best, limit)
        assert len(shown) <= limit and "**" in shown
        assert shown.startswith((ELLIPSIS, before[:3])) and shown.endswith((ELLIPSIS, after[-3:])), (limit, shown)


def test_the_citation_names_title_file_and_place(answer: Answer) -> None:
    best = answer.excerpts[0]
    titled = best.citation.model_copy(update={"title": "The *Murder* of Trotsky", "url": "https://example.org/t"})
    named = answer.model_copy(update={"excerpts": [best.model_copy(update={"citation": titled})]})
    source = answer_embed(named, shown=4).fields[0].value
    # Discord shows an escape's backslash inside a link's text: a title with Markdown is not one, its link follows
    assert source == f"**The \\*Murder\\* of Trotsky** — `{best.citation.source}`, {best.citation.location} · " + (
        "[link](<https://example.org/t>)")
    plain = named.model_copy(update={"excerpts": [best.model_copy(update={"citation": titled.model_copy(
        update={"title": "The Murder of Trotsky"})})]})
    assert answer_embed(plain, shown=4).fields[0].value == (
        f"**[The Murder of Trotsky](<https://example.org/t>)** — `{best.citation.source}`, {best.citation.location}")


def links_in(text: str) -> list[str]:
    """The targets of the masked links Discord makes of ``text``: a '[' not escaped, up to '](url)'."""
    return re.findall(r"(?<!\\)\[[^\[\]]*(?:\[[^\]]*\][^\[\]]*)*\]\(<?([^)>\s]+)>?\)", text)


def test_a_document_cannot_make_a_link_across_the_pieces_it_is_quoted_in(answer: Answer) -> None:
    """Text is escaped piece by piece (before, highlight, after; title, place): a '[' in one and '](url)' in the next
    must not make a link, and a link's text is never one Discord would show with backslashes."""
    best = answer.excerpts[0]
    text = "See the [docs. Click here](https://evil.example) now. After."
    start = text.index("Click")
    split = best.model_copy(update={"text": text, "highlight": text[start:start + 40], "highlight_start": start,
                                    "highlight_end": start + len("Click here](https://evil.example) now.")})
    assert not links_in(marked(split, DESCRIPTION_LIMIT))
    for title, location in (("The [real", "docs](https://evil.example) ¶ 1"), (None, "ana_b [x](<https://evil.example>)"),
                            ("x](<https://evil.example>) [y", "¶ 2")):
        citation = best.citation.model_copy(update={"title": title, "location": location,
                                                    "link": "https://example.org/real"})
        shown_value = answer_embed(answer.model_copy(update={"excerpts": [best.model_copy(
            update={"citation": citation})]}), shown=1).fields[0].value
        assert links_in(shown_value) == ["https://example.org/real"], shown_value
        assert all("\\" not in linked for linked in re.findall(r"(?<!\\)\[([^\]]*)\]\(", shown_value))


def test_unanswered_says_so_and_quotes_nothing() -> None:
    answer = answers.answer("What is the capital of Australia?", k=10, answered=False)  # the closest passages ...
    embed = answer_embed(answer, shown=4)
    assert embed.description == NOT_FOUND  # ... which the bot does not present as the answer
    assert not embed.fields
    assert answer.excerpts[0].highlight[:40] not in str(embed.to_dict())


def test_markdown_in_the_corpus_is_escaped(answer: Answer) -> None:
    best = answer.excerpts[0]
    text = "*Note* the __real__ ~~story~~ `code` > quote. " + best.text
    shift = len(text) - len(best.text)
    tricky = best.model_copy(
        update={
            "text": text,
            "highlight_start": best.highlight_start + shift,
            "highlight_end": best.highlight_end + shift,
        }
    )
    shown = marked(tricky, DESCRIPTION_LIMIT)
    assert shown.startswith(r"\*Note\* the \_\_real\_\_ \~\~story\~\~ \`code\`")
    assert shown.count("**") == 2


def test_text_of_many_markdown_marks_is_shown_up_to_the_limit_once_escaped(answer: Answer) -> None:
    # Escaping doubles such text, and cutting by what escaping added cut it to a tenth of the room, or to "…".
    best = answer.excerpts[0]
    text = "a_b_c_d_e_f_g_h " * 60
    code = best.model_copy(update={"text": text, "highlight_start": 0, "highlight_end": len(text)})
    out = marked(code, 400)
    assert 360 <= len(out) <= 400 and shown(out).strip("*…").startswith("a_b_c_d_e_f_g_h a_b")


def shown(text: str) -> str:
    """What Discord shows of ``text``: a backslash before a character that is not a letter, a digit or a space
    is an escape, and shows that character."""
    return re.sub(r"\\([^0-9A-Za-z\s])", r"\1", text)


DISCORD_SYNTAX = "<@123> <@!123> <@&123> <#123> <t:0:R> </cmd sub:123> <:x:123> <a:y:123> <id:customize>"


def test_discords_own_syntax_in_a_document_is_shown_as_written(answer: Answer) -> None:
    """Mentions, channels, timestamps, commands and custom emoji quoted from a document show as their text, not as a
    name, a link, a date or an image; a <url> stays a link; what Discord shows is the source, word for word."""
    best = answer.excerpts[0]
    text = f"Said {DISCORD_SYNTAX} at <https://example.org/x>. {DISCORD_SYNTAX} \\<@1> ended. After."
    highlight = f"{DISCORD_SYNTAX} \\<@1> ended."
    start = text.index(highlight)
    tricky = best.model_copy(update={"text": text, "highlight": highlight, "highlight_start": start,
                                     "highlight_end": start + len(highlight)})
    quoted = answer.model_copy(update={"question": f"Who said {DISCORD_SYNTAX}?", "excerpts": [tricky] * 6})
    embed = answer_embed(quoted, shown=4)
    values = [embed.title, embed.description, *(f.value for f in embed.fields[1:]), more_embed(quoted, 4).title]
    for value in values:
        assert not re.search(r"(?<!\\)<(?!https://)", value), value  # every < but the url's is escaped
    assert shown(embed.description) == f"{text[:start]}**{highlight}**{text[start + len(highlight):]}"
    assert shown(embed.title) == f"Who said {DISCORD_SYNTAX}?"
    assert "<https://example.org/x>" in embed.description


def test_more_sources_links_each_citation_as_the_answers_source_does(answer: Answer) -> None:
    """More sources (and an answer's sources after the first) cited by title only: two channels of one name (a #general
    in two categories) read alike there, and the answer's Source had a jump link where they had none. Each excerpt
    links to its place, within the limits."""
    jumps = [f"https://discord.com/channels/1/{100 + n}/{900 + n}" for n in range(len(answer.excerpts))]
    cited = [e.model_copy(update={"citation": e.citation.model_copy(update={"title": "#general", "link": jump})})
             for e, jump in zip(answer.excerpts, jumps, strict=True)]
    linked = answer.model_copy(update={"excerpts": cited})
    more = more_embed(linked, 4)
    assert [links_in(f.value) for f in more.fields] == [[jump] for jump in jumps[4:]]
    assert [links_in(f.value) for f in answer_embed(linked, shown=4).fields] == [[jump] for jump in jumps[:4]]
    assert all("**" in f.value for f in more.fields)  # the excerpt, its highlight in bold, is still there
    assert_within_limits(more)
    big = oversized(linked)
    big = big.model_copy(update={"excerpts": [e.model_copy(update={"citation": e.citation.model_copy(
        update={"link": jump})}) for e, jump in zip(big.excerpts, jumps, strict=True)]})
    huge = more_embed(big, 1)
    assert_within_limits(huge)
    long_links = big.model_copy(update={"excerpts": [e.model_copy(update={"citation": e.citation.model_copy(
        update={"link": f"https://example.org/page-{n}#:~:text=" + "word-" * 45})}) for n, e in enumerate(big.excerpts)]})
    assert links_in(more_embed(long_links, 8).fields[0].value)  # a long link where there is room for it
    for linked_answer in (big, long_links):  # the links leave the best excerpt its room
        embed = answer_embed(linked_answer, shown=10)
        assert_within_limits(embed)
        assert embed.description.count("**") == 2 and len(embed.fields) == 10
    assert [links_in(f.value) for f in huge.fields] == [[jump] for jump in jumps[1:]]


def test_markdown_in_a_citation_or_a_question_is_escaped_in_field_names_and_titles(answer: Answer) -> None:
    """Field names and titles render Markdown too: a document's title, section or a chat author's name, and the
    question, are shown as they are written, never as spoilers, strikes or bold."""
    title, place = "||Secret|| **Bold**", "~~Struck~~ __Under__ `t` *it*"
    cited = [e.model_copy(update={"citation": e.citation.model_copy(update={"title": title, "location": place})})
             for e in answer.excerpts]
    named = answer.model_copy(update={"question": f"{title} who?", "excerpts": cited})
    escape = discord.utils.escape_markdown
    names = [f.name for f in answer_embed(named, shown=4).fields[1:]] + [f.name for f in more_embed(named, 4).fields]
    assert len(names) == len(answer.excerpts) - 1
    assert all(name.startswith(f"[{n}] {escape(title)} — ") and name.endswith(f", {escape(place)}")
               for n, name in enumerate(names, start=2)), names
    assert more_embed(named, 4).title == f"More sources: {escape(title)} who?"


def test_clip_cuts_at_a_word_boundary_with_an_ellipsis() -> None:
    text = "The assassin struck Trotsky from behind with an ice axe."
    assert clip(text, 100) == text
    cut = clip(text, 30)
    assert cut == "The assassin struck Trotsky…" and len(cut) <= 30
    kept = clip_start(text, 30)
    assert kept == "…from behind with an ice axe." and len(kept) <= 30
    assert len(clip("x" * 5000, 1024)) == 1024  # one long word: cut inside it, still within the limit
    long_word = "[3] " + "n" * 300 + ".txt, ¶ 1"  # a word longer than half the room is cut inside, not dropped
    assert clip(long_word, 120) == long_word[:119] + ELLIPSIS
    assert clip_start("See " + "n" * 300, 120) == ELLIPSIS + "n" * 119


def test_a_long_file_name_is_still_cited_under_more_sources(answer: Answer) -> None:
    name = "minutes_of_the_observatory_board_" * 10 + ".txt"
    cited = [e.model_copy(update={"citation": e.citation.model_copy(update={"source": name})})
             for e in answer.excerpts]
    named = answer.model_copy(update={"excerpts": cited})
    for field in [*answer_embed(named, shown=4).fields[1:], *more_embed(named, 4).fields]:
        assert shown(field.name).startswith("[") and "minutes_of_the_observatory_board_minutes" in shown(field.name)


@pytest.mark.parametrize(
    "text",
    [
        "Cafe\u0301 " * 300,  # a letter and its combining accent
        "👩\u200d👩\u200d👧\u200d👦 " * 300,  # an emoji family joined with zero-width joiners
        "👍🏽" * 600,  # skin-tone modifiers, no spaces at all
        "🇫🇷" * 600,  # flags
    ],
)
def test_clip_never_splits_a_character_cluster(text: str) -> None:
    for limit in range(5, 60):
        cut = clip(text, limit)
        assert len(cut) <= limit and cut.endswith(ELLIPSIS)
        body = cut[: -len(ELLIPSIS)]
        assert text.startswith(body)
        after = text[len(body)]  # the first character left out must start a new cluster
        assert not (unicodedata.category(after).startswith("M") or after in "\u200d\U0001f3fd")
        assert not body.endswith("\u200d")
        if "\U0001f3fd" in text:
            assert not body.endswith("👍")  # never the hand without its skin tone
        if "🇫" in text:
            assert len(body) % 2 == 0  # never half a flag
        start = clip_start(text.strip(), limit)
        assert len(start) <= limit and start.startswith(ELLIPSIS) and text.strip().endswith(start[len(ELLIPSIS) :])
        rest = start[len(ELLIPSIS) :]
        assert not rest or not (unicodedata.category(rest[0]).startswith("M") or rest[0] in "\u200d\U0001f3fd")


def test_sources_embed_lists_files_and_counts_what_does_not_fit() -> None:
    found = [SourceInfo(source="000_7a1bfeddec75252f.txt", documents=1, passages=120),
             SourceInfo(source="notes/minutes.md", title="Minutes", documents=1, passages=4)]
    embed = sources_embed(found)
    assert all(s.source in embed.description for s in found)
    title = "Minutes " * 10
    many = [SourceInfo(source=f"folder/file_{n:05}.txt", title=title, documents=1, passages=3) for n in range(5000)]
    big = sources_embed(many)
    assert_within_limits(big)
    assert big.description.splitlines()[-1].startswith("… and ") and "5000 file(s)" in big.footer.text


def test_help_and_notices_fit() -> None:
    embed = help_embed(max_chars=500, cooldown=5, max_k=10)
    assert "/ask" in str(embed.to_dict()) and "/sources" in str(embed.to_dict())
    assert_within_limits(embed)
    assert len(notice("@everyone " * 1000)) <= 2000
    assert default_shown(5) == 4 and default_shown(1) == 1


def test_an_excerpt_taken_out_of_a_sent_answer_leaves_the_others_in_their_places() -> None:
    """The bot edits an answer it posted when a quote or its question is taken back: the excerpt (the best one's
    citation too) gives way to a notice, the others stay where they were, so that one taken out later is found."""
    sent = discord.Embed.from_dict(answer_embed(answers.answer(k=4), 4).to_dict())  # as Discord gives it back
    before = [(f.name, f.value) for f in sent.fields]
    once = taken_out(sent, {0, 2}, "Gone.", title="Taken back.")
    twice = taken_out(discord.Embed.from_dict(once.to_dict()), {3}, "Gone too.")
    assert (twice.title, twice.description) == ("Taken back.", "*Gone.*")
    assert [(f.name, f.value) for f in twice.fields] == [("Source", "—"), before[1], ("[3]", "Gone."),
                                                          ("[4]", "Gone too.")]
    assert [(f.name, f.value) for f in sent.fields] == before  # the embed given is left as it was
    assert_within_limits(twice)
