"""A chat message keeps its lines: read from an export or live, quoted, and shown in a terminal and on Discord.

In a support chat the answer is often a code block, a command per line or a config file: its
line breaks and blank lines are part of it. The document text keeps them (the excerpt is that
text at its offsets), and every front-end shows them, still inert: Markdown escaped on
Discord (a ``` fence shows as typed, so a highlight's bold markers never open or close a code
block: each line of the highlight is bold on its own), control characters visible, no pings.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from rich.console import Console

from qabot.adapters.discord.format import DESCRIPTION_LIMIT, FIELD_VALUE_LIMIT, answer_embed, marked, more_embed
from qabot.adapters.terminal import plain_answer, plain_context, print_answer
from qabot.corpus import discord_export
from qabot.corpus.files import CorpusFile
from tests import documents
from tests import test_discord_history as history_tests
from tests.discord_double import OTHER_CHANNEL_ID
from tests.test_discord_bot import assert_no_pings, running
from tests.test_discord_history import Recorder, ask, backfilled, jump, quoting, settings

FIX = ("Put this in your crontab:\n\n```\n# park the mount at dawn\n0 6 * * * mountctl park --safe\n```\n\n"
       "Then check it with `crontab -l`.")
discord_api, double, qa = history_tests.discord_api, history_tests.double, history_tests.qa  # the same fixtures
CODE_LINES = ["```", "# park the mount at dawn", "0 6 * * * mountctl park --safe", "```"]


def _chat() -> list[dict]:
    return [
        documents.message("5001", "Ana", "How do I make the telescope mount park itself every morning at dawn?",
                          "2024-05-01T18:00:00+00:00"),
        documents.message("5002", "Ben", f"{FIX}\n\n\n", "2024-05-01T18:01:00+00:00", reply_to="5001"),
        documents.message("5003", "Ana", "thanks Ben, that works", "2024-05-01T18:05:00+00:00", reply_to="5002"),
    ]


@pytest.fixture
def bot(make_corpus, fake_bot_for):
    """A real index of the export (fake embedder: the model is not what is tested)."""
    return fake_bot_for(make_corpus({"help.json": json.dumps(documents.export(_chat()))}), answer_threshold=0.0)


@pytest.fixture
def answer(bot):
    got = bot.ask("how do I park the telescope mount at dawn", k=3)
    assert got.excerpts and "Ben: Put this in your crontab:" in got.excerpts[0].text
    return got


def test_an_exports_message_keeps_its_blank_lines_and_line_breaks(tmp_path) -> None:
    path = documents.write_export(tmp_path / "help.json", _chat())
    [doc] = discord_export.read(CorpusFile(path, path.name), print)
    ben = doc.paragraphs[1]
    assert doc.text[ben.start : ben.end] == f"Ben: {FIX}"  # the trailing blank lines are no part of it


def _unmarked(line: str, marker: str = "**") -> str:
    return line.replace(marker, "")


def test_the_terminal_shows_a_chat_excerpt_with_its_lines(bot, answer) -> None:
    best = answer.excerpts[0]
    assert FIX in best.text and best.highlight == f"Ben: {FIX}"  # verbatim: the answering message, whole
    plain = plain_answer(answer.model_copy(update={"excerpts": [best]}))
    lines = [_unmarked(line).strip() for line in plain.splitlines()]
    at = lines.index("Ben: Put this in your crontab:")
    assert lines[at : at + 8] == ["Ben: Put this in your crontab:", "", *CODE_LINES, "",
                                  "Then check it with `crontab -l`."]
    assert all(line.startswith("    ") or not line.strip() for line in plain.splitlines()[1:])  # indented under [1]
    # Each line of the highlight is marked on its own, and a blank line carries no marker.
    assert "    **0 6 * * * mountctl park --safe**" in plain.splitlines() and "****" not in plain

    out = io.StringIO()
    print_answer(Console(file=out, force_terminal=True, color_system=None, width=80), answer)
    panel = [line.strip("│ ") for line in out.getvalue().splitlines()]
    at = panel.index("Ben: Put this in your crontab:")
    assert panel[at : at + 8] == ["Ben: Put this in your crontab:", "", *CODE_LINES, "",
                                  "Then check it with `crontab -l`."]

    # :open, the message between its neighbours: its lines too, marked with '>' at its first.
    opened = plain_context(1, bot.context(best), best).splitlines()
    at = opened.index("  > **Ben: Put this in your crontab:**")
    assert [_unmarked(line).strip() for line in opened[at : at + 8]] == [
        "> Ben: Put this in your crontab:", "", *CODE_LINES, "", "Then check it with `crontab -l`."]


def _discord_shows(text: str) -> str:
    """What Discord shows of escaped text, bold markers taken out: a backslash before a character that is not a
    letter, a digit or a space is an escape."""
    return re.sub(r"\\([^0-9A-Za-z\s])", r"\1", re.sub(r"(?<!\\)\*\*", "", text))


def _unescaped(marker: str, line: str) -> list[int]:
    return [m.start() for m in re.finditer(rf"(?<!\\)(?:\\\\)*{re.escape(marker)}", line)]


def _assert_inert_lines(shown: str) -> None:
    """No ``` (or any backtick) opens code, and each bold run opens and closes on its line."""
    for line in shown.splitlines():
        assert not _unescaped("`", line), line
        assert len(_unescaped("**", line)) % 2 == 0, line


def test_discord_shows_a_chat_excerpt_with_its_lines_and_a_bold_highlight_per_line(answer) -> None:
    description = answer_embed(answer, shown=1).description
    _assert_inert_lines(description)
    lines = _discord_shows(description).splitlines()
    at = lines.index("Ben: Put this in your crontab:")
    assert lines[at : at + 8] == ["Ben: Put this in your crontab:", "", *CODE_LINES, "",
                                  "Then check it with `crontab -l`."]
    assert "**0 6 \\* \\* \\* mountctl park --safe**" in description.splitlines()
    assert "\n\n" in description and "****" not in description
    more = more_embed(answer.model_copy(update={"excerpts": [answer.excerpts[0]] * 2}), first=1)
    _assert_inert_lines(more.fields[0].value)
    assert CODE_LINES[2] in _discord_shows(more.fields[0].value).splitlines()


def test_a_chat_messages_spoiler_stays_a_spoiler_on_discord_and_a_documents_bars_show_as_typed(answer) -> None:
    best = answer.excerpts[0]
    text = "Ana: what was the sled called?\n\nBen: it was ||Rosebud||, as ||the film|| says\n`a || b || c` is the shell's"
    at = text.index("Ben:")
    chat = best.model_copy(update={"text": text, "highlight": text[at:], "highlight_start": at, "highlight_end": len(text)})
    lines = marked(chat, DESCRIPTION_LIMIT).splitlines()
    # As its author hid it from a glance; a line with code shows its bars as typed, as Discord shows them there.
    assert lines[2:] == ["**Ben: it was ||Rosebud||, as ||the film|| says**", r"**\`a \|\| b \|\| c\` is the shell's**"]
    # Cut inside the second spoiler (room kept for the '…' before the highlight): its bars stay escaped and hide
    # nothing after the cut.
    short = marked(chat, 44)
    assert short.splitlines()[-1] == r"**Ben: it was ||Rosebud||, as \|\|the…**"
    document = chat.model_copy(update={"citation": chat.citation.model_copy(update={"author": None})})
    assert r"it was \|\|Rosebud\|\|" in marked(document, DESCRIPTION_LIMIT)


@pytest.mark.parametrize("limit", [30, 61, 97, 150, 400, FIELD_VALUE_LIMIT, DESCRIPTION_LIMIT])
def test_a_long_multi_line_message_fits_discords_limits_with_its_highlight_marked(answer, limit: int) -> None:
    """A config file pasted whole: clipped to the limit, its lines kept, every bold run closed on its line."""
    best = answer.excerpts[0]
    config = "\n".join(f"  - name: host{n}\n    port: {8000 + n}  # *primary*\n" for n in range(120))
    text = f"Ben: here is mine:\n```yaml\n{config}```"
    start = text.index("  - name: host40")
    end = text.index("  - name: host44")
    big = best.model_copy(update={"text": text, "highlight": text[start:end], "highlight_start": start,
                                  "highlight_end": end})
    shown = marked(big, limit)
    assert 0 < len(shown) <= limit
    _assert_inert_lines(shown)
    assert "**" in shown  # the highlight is kept first
    for line in _discord_shows(shown).strip("…").splitlines():
        assert line.strip("…") in text  # each line shown is a line (or the cut end of one) of the message
    assert not re.search(r"^\\\s", shown, re.MULTILINE)  # no stray backslash before an indented "- item"


async def test_a_live_message_keeps_its_lines_in_the_history_and_in_the_answer(qa, double, tmp_path) -> None:
    """The same message posted live: learnt with its lines (as the export's is), and the bot's answer shows them,
    pinging nobody."""
    spy = Recorder(qa)
    async with running(spy, double, **settings(tmp_path, OTHER_CHANNEL_ID)) as bot:
        await backfilled(bot, double)
        question = double.message(_chat()[0]["content"], user_n=1, channel_id=OTHER_CHANNEL_ID, mention_bot=False)
        said = double.message(f"{FIX}\n\n\n", user_n=2, channel_id=OTHER_CHANNEL_ID, mention_bot=False,
                              reply_to=question)
        found = await quoting(spy, double, "how do I park the telescope mount at dawn", lambda f: jump(said) in f,
                              channel_id=OTHER_CHANNEL_ID)
        assert f"\n\nuser2: {FIX}" in found[jump(said)]  # verbatim, after the question
        body = await ask(double, "how do I park the telescope mount at dawn", channel_id=OTHER_CHANNEL_ID, k=1)
    description = body["embeds"][0]["description"]
    _assert_inert_lines(description)
    assert CODE_LINES[2] in _discord_shows(description).splitlines()
    assert_no_pings(double)


def test_a_chat_excerpts_lines_stay_inert(answer) -> None:
    """Keeping line breaks keeps nothing else: an escape sequence or a carriage return in a message is shown as a
    visible symbol in the terminal and on Discord, and the line breaks are the only raw control characters."""
    best = answer.excerpts[0]
    text = "Ben: clear it with\n\x1b[2J\rprintf '\\x1b]0;pwned\\x07'\x1b]0;x\x07\nthen retry"
    hostile = best.model_copy(update={"text": text, "highlight": text, "highlight_start": 0,
                                      "highlight_end": len(text)})
    quoted = answer.model_copy(update={"excerpts": [hostile]})
    out = io.StringIO()
    print_answer(Console(file=out, force_terminal=True, color_system=None, width=80), quoted)
    for shown in (plain_answer(quoted), out.getvalue(), answer_embed(quoted, shown=1).description):
        assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", shown), repr(shown)
        assert "␛[2J␍" in shown.replace("\\", "")


def test_what_discord_reads_at_a_lines_start_is_escaped_on_every_line(answer) -> None:
    """On lines, every line's start is a line's start to Discord: a quote, a heading, a list (indented too, after a
    blank line too) must show as typed, not as formatting, with no stray backslash."""
    best = answer.excerpts[0]
    text = "Ben: steps:\n> quoted\n# not a heading\n\n- first\n  - nested\n1. one\n2) two\n-# small"
    start = text.index("# not")
    quoted = best.model_copy(update={"text": text, "highlight": text[start:], "highlight_start": start,
                                     "highlight_end": len(text)})
    shown = marked(quoted, DESCRIPTION_LIMIT)
    assert _discord_shows(shown) == text
    for line in shown.splitlines():
        assert not re.match(r"(?:>|#|-|\*\s|\d+\.\s)", re.sub(r"^\s*(?:\*\*)?", "", line)), line


def test_a_docs_excerpt_quoting_a_code_block_keeps_its_lines_and_prose_stays_on_one(make_corpus, fake_bot_for) -> None:
    """A project's docs: a fenced code block in an excerpt is shown with its lines (a config file on one line is no
    config file), in the terminal and on Discord; a hard-wrapped paragraph without one stays on one line."""
    page = ("# Parking\n\nThe mount parks itself at dawn when the crontab holds this entry:\n\n"
            "```\n# park the mount at dawn\n0 6 * * * mountctl park --safe\n```\n")
    prose = "# Dome\n\nThe dome faces north when parked\nand keeps the mirror covered from the rain.\n"
    bot = fake_bot_for(make_corpus({"parking.md": page, "dome.md": prose}), answer_threshold=0.0)
    code = bot.ask("crontab entry to park the mount at dawn", k=1)
    (excerpt,) = code.excerpts
    assert "```\n# park the mount at dawn\n0 6 * * * mountctl park --safe\n```" in excerpt.text
    shown = plain_answer(code)
    assert all(any(line.strip().strip("*") == want for line in shown.splitlines()) for want in CODE_LINES)
    description = answer_embed(code, shown=1).description
    assert all(any(want in line for line in description.splitlines()) for want in
               ("park the mount at dawn**", "0 6 \\* \\* \\* mountctl park --safe**"))
    dome = bot.ask("does the dome keep the mirror covered from the rain", k=1)
    assert dome.excerpts[0].citation.source == "dome.md" and "parked\nand keeps" in dome.excerpts[0].text
    assert "parked and keeps the mirror covered" in plain_answer(dome).replace("**", "")


def test_a_web_pages_preformatted_block_keeps_its_lines(make_corpus, fake_bot_for) -> None:
    """A page's <pre> (a command a line, a diagram) is shown with its lines: the HTML reader joins a paragraph's wrapped
    lines, so a line break in a page's text is the page's own."""
    page = ("<html><head><title>Parking</title></head><body><main><h1>Parking</h1>"
            "<p>To park the mount every morning at dawn,\nadd this entry to the crontab of the observatory:</p>"
            "<pre># park the mount at dawn\n0 6 * * * mountctl park --safe</pre></main></body></html>")
    bot = fake_bot_for(make_corpus({"parking.html": page}), answer_threshold=0.0)
    (excerpt,) = bot.ask("crontab entry to park the mount at dawn", k=1).excerpts
    assert "# park the mount at dawn\n0 6 * * * mountctl park --safe" in excerpt.text
    shown = [line.strip().strip("*") for line in plain_answer(bot.ask("crontab entry to park the mount at dawn", k=1))
             .splitlines()]
    assert "# park the mount at dawn" in shown and "0 6 * * * mountctl park --safe" in shown
    assert any(line.startswith("To park the mount every morning at dawn, add this entry") for line in shown)
