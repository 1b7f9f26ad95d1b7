"""The scopes file: guilds, channels, threads and direct messages mapped to source patterns."""

from __future__ import annotations

from pathlib import Path

import pytest

from qabot.errors import SettingsError
from qabot.scopes import NOWHERE, Scopes, ScopesFile, describe

FILE = """
default = ["shared/"]
dms = "public/"

[guilds]
100 = ["community-a/", "shared/"]
200 = "community-b/"

[channels]
101 = ["community-a/announcements/"]
102 = "*"
"""


@pytest.fixture
def scopes(tmp_path: Path) -> Scopes:
    path = tmp_path / "scopes.toml"
    path.write_text(FILE, encoding="utf-8")
    return Scopes.load(path)


def test_a_channel_overrides_its_guild_and_a_thread_follows_its_channel(scopes: Scopes) -> None:
    assert scopes.sources(100, 999) == ("community-a", "shared")  # folders, as Scope.of normalises them
    assert scopes.sources(100, 101) == ("community-a/announcements",)
    assert scopes.sources(100, 555, parent_id=101) == ("community-a/announcements",)  # a thread in channel 101
    assert scopes.sources(100, 101, parent_id=999) == ("community-a/announcements",)  # a thread listed itself
    assert scopes.sources(100, 102) is None  # "*": the whole corpus, though the guild is scoped
    assert scopes.sources(200, 1) == ("community-b",)
    assert scopes.sources(300, 1) == ("shared",)  # a guild not listed: the default
    assert scopes.sources(None, 7) == ("public",)  # direct messages
    assert describe(None) == "the whole corpus" and describe(("a", "b/*.md")) == "a, b/*.md"


def test_without_a_file_every_place_sees_the_whole_corpus() -> None:
    scopes = Scopes.load(None)
    assert not scopes and scopes.sources(1, 2) is None and scopes.sources(None, 3) is None
    assert not scopes.closes_some


def test_a_file_fails_closed_a_place_it_does_not_list_quotes_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty.toml").write_text("", encoding="utf-8")
    empty = Scopes.load(tmp_path / "empty.toml")
    assert empty and empty.sources(1, 2) == NOWHERE and empty.sources(None, 3) == NOWHERE
    guilds_only = Scopes.parse({"guilds": {"1": "a/"}})  # no default, no dms
    assert guilds_only.sources(1, 2) == ("a",)
    assert guilds_only.sources(None, 5) == NOWHERE and guilds_only.sources(2, 6) == NOWHERE
    assert guilds_only.closes_some and "quotes nothing" in guilds_only.summary()
    opened = Scopes.parse({"guilds": {"1": "a/"}, "default": "*"})
    assert opened.sources(2, 6) is None and opened.sources(None, 5) is None and not opened.closes_some
    dms_only = Scopes.parse({"guilds": {"1": "a/"}, "dms": "faq/"})
    assert dms_only.sources(None, 5) == ("faq",) and dms_only.sources(2, 6) == NOWHERE
    assert describe(NOWHERE) == "nothing"


def test_an_empty_list_closes_a_place_the_file_would_otherwise_open() -> None:
    # "[]" was refused ("sources must name at least one file"): a channel could not be closed in a server that is open.
    scopes = Scopes.parse({"default": "*", "dms": [], "guilds": {"1": "a/", "2": []}, "channels": {"11": [], "12": "b/"}})
    assert scopes.sources(1, 11) == NOWHERE and scopes.sources(1, 99, parent_id=11) == NOWHERE  # and its threads
    assert scopes.sources(1, 10) == ("a",) and scopes.sources(2, 12) == ("b",) and scopes.sources(2, 13) == NOWHERE
    assert scopes.sources(None, 5) == NOWHERE and scopes.sources(3, 6) is None
    assert scopes.closes_some and "direct messages quote nothing" in scopes.summary()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[guilds]\nabc = 'a/'\n", "key 'abc' is not a Discord id"),
        ("[channels]\n1 = 5\n", "channels.1 must be a pattern or a list of patterns"),
        ("[guilds]\n1 = ['']\n", "guilds.1: sources must name at least one file"),
        ("guild = 'a/'\n", "unknown key 'guild'"),
        ("channels = 'a/'\n", "[channels] must be a table"),
        ("[guilds\n", "is not valid TOML"),
    ],
)
def test_a_bad_file_is_one_line_naming_it(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "scopes.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        Scopes.load(path)
    assert message in str(caught.value) and str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_a_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "scopes.toml"
    path.write_bytes("\ufeff[guilds]\n1 = 'faq/'\n".encode())  # Notepad's "UTF-8 with BOM"
    assert Scopes.load(path).sources(1, 5) == ("faq",)


def test_a_missing_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="QABOT_DISCORD_SCOPES_FILE"):
        Scopes.load(tmp_path / "nope.toml")


def test_a_scopes_file_is_followed_as_it_changes(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from qabot.scopes import ScopesFile

    path = tmp_path / "scopes.toml"
    path.write_text("[guilds]\n1 = 'a/'\n", encoding="utf-8")
    now = [0.0]
    seen: list[Scopes] = []
    followed = ScopesFile(path, on_change=seen.append, clock=lambda: now[0])

    def look() -> Scopes:
        """The scopes a look after the next check finds, a change read twice (ScopesFile.SETTLE_SECONDS)."""
        now[0] += ScopesFile.CHECK_SECONDS
        followed.current()
        now[0] += ScopesFile.SETTLE_SECONDS
        return followed.current()

    assert followed.current().sources(1) == ("a",)
    path.write_text("[guilds]\n1 = 'b/'\n", encoding="utf-8")
    assert followed.current().sources(1) == ("a",)  # not looked at again yet
    assert look().sources(1) == ("b",) and [s.sources(1) for s in seen] == [("b",)]
    for broken in ("[guilds\n", None):  # invalid, then gone: the last good scopes stay in force
        path.write_text(broken, encoding="utf-8") if broken else path.unlink()
        with caplog.at_level("WARNING", logger="qabot.scopes"):
            assert look().sources(1) == ("b",)
            assert look().sources(1) == ("b",)  # logged once per change, not per look
    assert [r.getMessage().split(";")[0].split(":")[0] for r in caplog.records] == [
        f"the scopes file {path} is not valid TOML", f"cannot read the scopes file {path} (QABOT_DISCORD_SCOPES_FILE)"]
    path.write_text("[guilds]\n1 = 'c/'\n", encoding="utf-8")
    assert look().sources(1) == ("c",) and len(seen) == 2
    with pytest.raises(SettingsError):  # the first read is as strict as Scopes.load
        ScopesFile(tmp_path / "nope.toml")
    assert not ScopesFile(None).current()


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("'\u0661\u0660\u0660'", "is not a Discord id"),  # Arabic-Indic digits: int() reads them as 100
        ("0100", "is not a Discord id"),  # a leading zero: another TOML key for the same id
        ("123456789012345678901234567890", "is not a Discord id"),  # over 64 bits: no place has it
    ],
)
def test_an_id_is_written_one_way_so_no_second_entry_for_it_overrides_the_first(
        tmp_path: Path, key: str, message: str) -> None:
    path = tmp_path / "scopes.toml"
    path.write_text(f"[guilds]\n100 = 'a/'\n{key} = '*'\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=message):
        Scopes.load(path)


def _followed(tmp_path: Path, text: str) -> tuple[Path, list[float], ScopesFile]:
    """A scopes file holding ``text``, followed on a clock the test moves (``now[0]``)."""
    path = tmp_path / "scopes.toml"
    path.write_text(text, encoding="utf-8")
    now = [0.0]
    return path, now, ScopesFile(path, clock=lambda: now[0])


def test_a_huge_file_or_a_fifo_is_refused_unread_and_the_last_good_scopes_stay(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import os

    from qabot.scopes import MAX_BYTES, ScopesFile

    path, now, followed = _followed(tmp_path, "[guilds]\n1 = 'a/'\n")
    path.write_bytes(b"# " + b"x" * MAX_BYTES + b"\n[guilds]\n1 = '*'\n")  # valid TOML, past the limit
    with pytest.raises(SettingsError, match="larger than"):  # at start: one line
        Scopes.load(path)
    path.unlink()
    os.mkfifo(path)  # opening it to read would wait for a writer: the bot would hang
    with pytest.raises(SettingsError, match="not a regular file"):
        Scopes.load(path)
    with caplog.at_level("WARNING", logger="qabot.scopes"):
        for _ in range(3):
            now[0] += ScopesFile.CHECK_SECONDS
            assert followed.current().sources(1) == ("a",)
    [line] = [r.getMessage() for r in caplog.records]
    assert str(path) in line and "not a regular file" in line and "\n" not in line


def test_a_file_caught_half_way_through_a_save_is_not_taken(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from qabot.scopes import ScopesFile

    whole = "[guilds]\n1 = '*'\n\n[channels]\n10 = 'a/'\n"
    path, now, followed = _followed(tmp_path, whole)
    edited = whole.replace("'a/'", "'b/'")
    with caplog.at_level("WARNING", logger="qabot.scopes"):
        for partial in (edited[:16], edited[:30]):  # valid TOML without channel 10's scope, then invalid
            path.write_text(partial, encoding="utf-8")  # an editor writing in place, read mid-save
            now[0] += ScopesFile.CHECK_SECONDS
            assert followed.current().sources(1, 10) == ("a",)  # not the guild's '*'
    assert not caplog.records  # nor a warning about a file still being written
    path.write_text(edited, encoding="utf-8")
    now[0] += ScopesFile.CHECK_SECONDS
    assert followed.current().sources(1, 10) == ("a",)  # seen once: it may still be being written
    now[0] += ScopesFile.SETTLE_SECONDS
    assert followed.current().sources(1, 10) == ("b",)  # the same a moment later: in force
    assert ScopesFile.CHECK_SECONDS + ScopesFile.SETTLE_SECONDS <= 2.0  # "within about 2 seconds" (README)


def test_a_file_nested_too_deeply_for_the_toml_reader_is_one_line_too(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from qabot.scopes import ScopesFile

    path, now, followed = _followed(tmp_path, "[guilds]\n1 = 'a/'\n")
    path.write_text("default = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")  # tomllib recurses per level
    with pytest.raises(SettingsError, match="is not valid TOML") as caught:
        Scopes.load(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)
    with caplog.at_level("WARNING", logger="qabot.scopes"):
        for _ in range(3):
            now[0] += ScopesFile.CHECK_SECONDS
            assert followed.current().sources(1) == ("a",)  # no exception out of the door: the last good scopes
    [line] = [r.getMessage() for r in caplog.records]
    assert str(path) in line and "not valid TOML" in line


def test_each_pattern_that_names_no_document_is_one_line_and_a_thousand_places_are_checked_at_once(
        make_corpus, fake_bot_for, caplog: pytest.LogCaptureFixture) -> None:
    """A typo beside a pattern that matches ("faq-typo.md" in ["community-a/", "faq-typo.md"]) was never warned about:
    only a place whose every pattern matched nothing was. And the check, made on the event loop at each edit of the
    file, tried every place's patterns on every source: 1,000 places over 10,000 sources held the bot up 17 s."""
    import logging
    import time
    from types import SimpleNamespace

    from qabot.adapters.discord.scoped import check_index

    bot = fake_bot_for(make_corpus({"shared/a.md": "The lamp.\n", "community-a/b.md": "The wall.\n"}))
    scopes = Scopes.parse({"default": "shared/", "guilds": {"1": ["community-a/", "faq-typo.md"], "2": "*"},
                           "channels": {"3": ["shared/*.md", "old/*.pdf"], "4": "faq-typo.md"}})
    with caplog.at_level(logging.WARNING, logger="qabot.adapters.discord.scoped"):
        check_index(bot, scopes)
    assert [r.getMessage() for r in caplog.records] == [
        "the scope pattern 'faq-typo.md' (guild 1, channel 4) matches no indexed document",
        "the scope pattern 'old/*.pdf' (channel 3) matches no indexed document"]

    caplog.clear()
    sources = [SimpleNamespace(source=f"community-{i % 50}/guides/part-{i}/page-{i}.md") for i in range(10_000)]
    many = SimpleNamespace(sources=lambda scope=None: sources)
    scopes = Scopes.parse({"guilds": {str(10**17 + i): [f"community-{i % 50}/", f"typo-{i}.md"] for i in range(500)},
                           "channels": {str(2 * 10**17 + i): f"community-{i % 50}/guides/*.md" for i in range(500)}})
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="qabot.adapters.discord.scoped"):
        check_index(many, scopes)
    assert time.perf_counter() - started < 3
    assert len(caplog.records) == 500 and "'typo-7.md' (guild 100000000000000007)" in caplog.records[7].getMessage()
