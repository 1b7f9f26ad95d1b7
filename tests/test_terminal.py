"""Rendering answers for a terminal: plain text for pipes, rich on a terminal.

The answers here are built by hand so every character of the output is known; the
REPL tests render real answers from a real index.
"""

from __future__ import annotations

import io

from rich.console import Console

from qabot.adapters.terminal import plain_answer, plain_sources, print_answer, print_context
from qabot.models import Answer, Citation, Excerpt, PassageContext, SourceInfo

BOLD_YELLOW = "\x1b[1;33m"


def _excerpt(text: str, highlight: str, *, start: int = 100, title: str | None = "The Quillon Light") -> Excerpt:
    at = text.index(highlight)
    citation = Citation(
        source="lighthouse.md", doc_id="lighthouse.md", title=title, section="The keepers", paragraph=2,
        location="§ The keepers, ¶ 2", start=start, end=start + len(text),
    )
    return Excerpt(
        text=text, highlight=highlight, highlight_start=at, highlight_end=at + len(highlight),
        score=0.5, citation=citation, passage_id=7,
    )


WREN = _excerpt(
    "The first keeper was Tobias Wren.\nHe kept the light for forty years. He rowed\nto the mainland.",
    "He kept the light for forty years.",
)


def _console(terminal: bool) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=terminal, color_system="standard" if terminal else None, width=100), out


def test_plain_answer_cites_and_marks_the_highlight_on_one_line() -> None:
    answer = Answer(question="How long?", query="How long?", answered=True, excerpts=[WREN])
    assert plain_answer(answer) == (
        "[1] The Quillon Light — lighthouse.md, § The keepers, ¶ 2 (score 0.500)\n"
        "    The first keeper was Tobias Wren. **He kept the light for forty years.** He rowed to the mainland."
    )
    untitled = _excerpt("Rye bread with caraway.", "Rye bread with caraway.", title=None)
    assert plain_answer(answer.model_copy(update={"excerpts": [untitled]}), first=4).startswith(
        "[4] lighthouse.md, § The keepers, ¶ 2 (score 0.500)"
    )


def test_a_plain_highlight_the_texts_own_bold_touches_is_marked_apart_from_it() -> None:
    # "**Keep the lamp lit.**" highlighted between "**" read "****Keep the lamp lit.**..."
    text = "**Keep the lamp lit.** Log every ship.\nRow to the mainland."
    bold = _excerpt(text, "**Keep the lamp lit.** Log every ship.")
    answer = Answer(question="What?", query="What?", answered=True, excerpts=[bold])
    assert plain_answer(answer).splitlines()[1] == (
        "    __**Keep the lamp lit.** Log every ship.__ Row to the mainland.")
    inner = _excerpt(text, "Log every ship.")  # bold in the text, not at the highlight's edge
    assert "**Keep the lamp lit.** **Log every ship.** Row" in plain_answer(answer.model_copy(
        update={"excerpts": [inner]}))


def test_not_found_offers_the_closest_passages_only_as_such() -> None:
    answer = Answer(question="Capital of Peru?", query="Capital of Peru?", answered=False, excerpts=[WREN])
    assert plain_answer(answer).splitlines()[0] == "Not found in the corpus. Closest passages:"
    empty = answer.model_copy(update={"excerpts": []})
    assert plain_answer(empty) == "Not found in the corpus."

    console, out = _console(terminal=True)
    print_answer(console, answer)
    assert "Not found in the corpus. These are only the closest passages:" in out.getvalue()


def test_a_rewritten_follow_up_shows_what_was_searched() -> None:
    answer = Answer(
        question="How long did he keep it?", query="How long did Tobias Wren keep it?", answered=True, excerpts=[WREN]
    )
    assert plain_answer(answer).splitlines()[0] == "(Searched for: How long did Tobias Wren keep it?)"
    assert "Searched for" not in plain_answer(answer, note_query=False)
    # Only the question's own spacing differs: nothing was rewritten, nothing to say.
    same = answer.model_copy(update={"question": "  How long did Tobias Wren   keep it? "})
    assert "Searched for" not in plain_answer(same)

    console, out = _console(terminal=True)
    print_answer(console, answer)
    assert "Searched for: How long did Tobias Wren keep it?" in out.getvalue()


def test_a_question_only_cleaned_shows_no_searched_text(fake_default_bot) -> None:
    """A question with an invisible character, a control character or an accent typed apart from its letter (as a
    Mac's keyboard gives it) was searched as typed, once cleaned, but the answer began "(Searched for: ...)" as if
    it had been rewritten from the conversation; so was one with an undecodable byte (``qabot ask $'\\xff...'``)."""
    for question in ("Who\u200bkilled Trotsky?", "Who killed Trotsky?\x07", "Who killed Trotsky in Coyoaca\u0301n?",
                     "Who killed \udcffTrotsky?", "Who killed \ufffdTrotsky?"):  # an undecodable byte of argv, stdin's
        answer = fake_default_bot.ask(question)
        assert "Searched for" not in plain_answer(answer), question
    rewritten = fake_default_bot.ask("When did he\u200b die?", history=["Who killed Trotsky?"])
    assert plain_answer(rewritten).startswith("(Searched for: When did Trotsky die?)")


def test_print_answer_is_plain_off_a_terminal_and_styled_on_one() -> None:
    answer = Answer(question="How long?", query="How long?", answered=True, excerpts=[WREN])
    console, out = _console(terminal=False)
    print_answer(console, answer)  # what `qabot ask ... | cat` prints
    assert out.getvalue() == plain_answer(answer) + "\n"

    console, out = _console(terminal=True)
    print_answer(console, answer)
    shown = out.getvalue()
    assert BOLD_YELLOW + "He kept the light for forty years." in shown
    assert "**" not in shown
    assert "The Quillon Light — lighthouse.md, § The keepers, ¶ 2" in shown and "score 0.500" in shown


def test_a_dumb_terminal_gets_the_plain_answer_with_its_highlight_marked() -> None:
    """TERM=dumb: rich would drop every style, the highlight with them, and draw its box 80 columns wide."""
    answer = Answer(question="How long?", query="How long?", answered=True, excerpts=[WREN])
    out = io.StringIO()
    dumb = Console(file=out, force_terminal=True, width=20, _environ={"TERM": "dumb"})
    print_answer(dumb, answer)
    assert out.getvalue() == plain_answer(answer) + "\n"
    assert "**He kept the light for forty years.**" in out.getvalue()


def test_a_citation_too_long_for_the_terminal_is_wrapped_not_cut() -> None:
    # An 80-column terminal cut "[1] file.txt, § A long section title, ¶ 25" after the
    # section, and the paragraph, the part that says where to look, was lost.
    answer = Answer(question="How long?", query="How long?", answered=True, excerpts=[WREN])
    for width in (100, 60, 40):
        out = io.StringIO()
        print_answer(Console(file=out, force_terminal=True, color_system=None, width=width), answer)
        shown = out.getvalue()
        lines = shown.splitlines()
        assert all(len(line) <= width for line in lines)
        assert " ".join(line.strip("╭╮│╰╯─ ") for line in lines).count("¶ 2") == 1, shown
        if width == 100:  # it fits: the citation is the panel's title, as before
            assert lines[0].startswith("╭─ [1] The Quillon Light — lighthouse.md, § The keepers, ¶ 2 ─")
        else:
            assert lines[0].startswith("╭─ [1] ─") and "The Quillon Light" in lines[1]
    context = PassageContext(citation=WREN.citation, before=[], paragraph=WREN.text, after=[])
    out = io.StringIO()
    print_context(Console(file=out, force_terminal=True, color_system=None, width=40), 1, context, WREN)
    assert "¶ 2" in out.getvalue()


def test_open_marks_the_excerpts_own_sentence_even_when_the_paragraph_repeats_it() -> None:
    # The paragraph says "Wren kept the light." twice; the excerpt's highlight is the second.
    paragraph = "Wren kept the light. Storms came. Wren kept the light."
    excerpt = _excerpt("Storms came. Wren kept the light.", "Wren kept the light.", start=1021)
    context = PassageContext(
        citation=excerpt.citation.model_copy(update={"start": 1000, "end": 1000 + len(paragraph)}),
        before=["# The keepers"],
        paragraph=paragraph,
        after=["In the great storm\nthe glass shattered."],
    )
    console, out = _console(terminal=False)
    print_context(console, 3, context, excerpt)
    assert out.getvalue() == (
        "[3] The Quillon Light — lighthouse.md, § The keepers, ¶ 2\n"
        "    # The keepers\n\n"
        "  > Wren kept the light. Storms came. **Wren kept the light.**\n\n"
        "    In the great storm the glass shattered.\n"
    )

    console, out = _console(terminal=True)
    print_context(console, 3, context, excerpt)
    shown = out.getvalue()
    assert shown.count("Wren kept the light.") == 2
    assert shown.index(BOLD_YELLOW + "Wren kept the light.") > shown.index("Storms came.")


def test_sources_are_listed_one_per_line_off_a_terminal() -> None:
    sources = [
        SourceInfo(source="bakery.txt", documents=1, passages=1),
        SourceInfo(source="lighthouse.md", title="The Quillon Light", documents=1, passages=3),
    ]
    assert plain_sources(sources) == (
        "bakery.txt (1 document(s), 1 passages)\nlighthouse.md — The Quillon Light (1 document(s), 3 passages)"
    )
