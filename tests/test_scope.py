"""Scopes: an answer quotes only the documents its source patterns name, and still gives k excerpts."""

from __future__ import annotations

import pytest

from qabot import QuestionError
from qabot.index.scope import Scope

CORPUS = {
    **{f"north/harbour{i}.txt": f"The north harbour crane number {i} lifted timber and coal." for i in range(6)},
    **{f"south/harbour{i}.md": f"The south harbour crane number {i} lifted grain and wool." for i in range(6)},
    "notes.txt": "A note about the harbour cranes of both towns.",
}


def test_patterns_name_files_folders_and_globs() -> None:
    folder = Scope.of("north/")
    assert folder.matches("north/a.txt") and folder.matches("north/deep/b.txt")
    assert not folder.matches("northern/a.txt") and not folder.matches("south/north/a.txt")
    assert Scope.of("notes.txt").matches("notes.txt") and not Scope.of("notes").matches("notes.txt")
    glob = Scope.of(["*.md", "north/harbour1.txt"])
    assert glob.matches("south/harbour3.md") and glob.matches("north/harbour1.txt") and not glob.matches("notes.txt")
    assert Scope.of(None) is None and Scope.of("north") == Scope.of(["north/"])
    for bad in ([], [""], [3]):
        with pytest.raises(QuestionError, match="sources must"):
            Scope.of(bad)


def test_a_glob_is_read_from_the_corpus_folder_as_a_folder_is(make_corpus, fake_bot_for) -> None:
    # "/guides/" named the folder guides, but "/guides/*.md" and "./guides/*.md" named nothing, and said nothing.
    bot = fake_bot_for(make_corpus({"guides/a.md": "The lamp keeper guide.\n", "b.md": "The lamp.\n"}),
                       answer_threshold=0.0)
    for sources in ("/guides/", "/guides/*.md", "./guides/*.md", "./guides"):
        assert [e.citation.source for e in bot.ask("lamp", sources=sources).excerpts] == ["guides/a.md"], sources
    with pytest.raises(QuestionError, match="at least one"):
        Scope.of("./")


def test_a_numpy_integer_is_a_whole_number(make_corpus, fake_bot_for) -> None:
    import numpy as np

    bot = fake_bot_for(make_corpus({"b.md": "The lamp keeper guide.\n\nThe harbour wall.\n"}), answer_threshold=0.0)
    assert len(bot.ask("lamp", k=np.int64(1)).excerpts) == 1
    with pytest.raises(QuestionError, match="whole number"):
        bot.ask("lamp", k=np.float64(1.0))


def test_a_double_star_folder_matches_zero_or_more_folders_as_in_gitignore() -> None:
    """``**/*.md`` missed a top-level ``README.md`` (fnmatch reads ``**/`` as "something, then a slash"): as in
    gitignore and pathlib, ``**/`` is zero or more folders, at the start or after a slash; the rest means what
    it meant (``*`` still crosses folders, ``[[]`` is still a plain bracket)."""
    md = Scope.of("**/*.md")
    assert md.matches("README.md") and md.matches("guides/a.md") and md.matches("a/b/c.md")
    assert not md.matches("README.txt")
    under = Scope.of("guides/**/*.md")
    assert under.matches("guides/a.md") and under.matches("guides/x/y/a.md")
    assert not under.matches("a.md") and not under.matches("other/guides/a.md") and not under.matches("guidesx/a.md")
    named = Scope.of("**/faq.md")
    assert named.matches("faq.md") and named.matches("docs/faq.md") and not named.matches("docs/old-faq.md")
    twice = Scope.of("**/docs/**/faq.md")
    assert twice.matches("docs/faq.md") and twice.matches("a/docs/b/c/faq.md") and not twice.matches("faq.md")
    assert Scope.of("**").matches("README.md") and Scope.of("guides/**").matches("guides/x/a.md")
    assert Scope.of("*.md").matches("guides/a.md") and Scope.of("*/2019-*").matches("a/b/2019-x.txt")  # as before
    assert Scope.of("notes [[]draft].md").matches("notes [draft].md")
    assert Scope.of("**/[[]x].md").matches("[x].md") and Scope.of("a**/b.md").matches("aa/c/b.md")


def test_many_double_star_folders_in_a_pattern_take_no_time(make_corpus, fake_bot_for) -> None:
    """Each ``**/`` was a ``(?:.*/)?`` of one regular expression, which backtracked through every way of sharing a
    deep source's folders out among them: nine took minutes for one source, so ``ask(sources=...)`` (or a scopes
    file's pattern) hung every question. They match as they did, at once."""
    import time

    deep = "a/" * 40 + "b.txt"
    started = time.perf_counter()
    assert not Scope.of("**/" * 30 + "zz").matches(deep) and Scope.of("**/" * 30 + "b.txt").matches(deep)
    assert not Scope.of("**/a/" * 12 + "zz").matches(deep) and Scope.of("**/a/" * 12 + "*.txt").matches(deep)
    assert not Scope.of("**/a/" * 41 + "b.txt").matches(deep) and Scope.of("a/**/" * 40 + "b.txt").matches(deep)
    bot = fake_bot_for(make_corpus({**CORPUS, deep: "A note about the harbour cranes, deep down."}))
    assert [e.citation.source for e in bot.ask("harbour cranes", k=3, sources="**/" * 12 + "b.txt").excerpts] == [deep]
    assert time.perf_counter() - started < 5


def test_a_scope_of_many_globs_compiles_each_once_whatever_the_sources_and_questions(make_corpus, fake_bot_for,
                                                                                     monkeypatch) -> None:
    """Globs were compiled in one cache of 1,024 shared by every scope: a scope of more compiled all of them again
    for each source it was tried on (10,000 patterns: 11 s a question). A scope's patterns are compiled once now,
    however many sources and questions they are tried on, and name what they named."""
    import collections
    import fnmatch

    translated: collections.Counter[str] = collections.Counter()
    translate = fnmatch.translate
    monkeypatch.setattr(fnmatch, "translate", lambda pattern: translated.update([pattern]) or translate(pattern))
    patterns = [f"nowhere-{n}/*.txt" for n in range(2_000)] + ["**/south/*1.md", "south/harbour2.md", "notes.txt"]
    bot = fake_bot_for(make_corpus(CORPUS))
    for _ in range(3):  # each question makes its own Scope of the same patterns
        assert [s.source for s in bot.sources(patterns)] == ["notes.txt", "south/harbour1.md", "south/harbour2.md"]
        assert {e.citation.source for e in bot.ask("harbour cranes", k=5, sources=patterns).excerpts} == {
            "notes.txt", "south/harbour1.md", "south/harbour2.md"}
    assert {translated[glob] for glob in [*patterns[:2_000], "south/*1.md"]} == {1}  # ("**/" is cut off first)
    mixed = Scope.of([f"x{n}/*" for n in range(1_500)] + ["north", "*.md", "a/**/b.txt", "[[]x].txt"])
    assert [s for s in ("north/a.txt", "northern/a.txt", "q/r.md", "a/b.txt", "a/c/d/b.txt", "[x].txt", "x3/y",
                        "y3/x") if mixed.matches(s)] == ["north/a.txt", "q/r.md", "a/b.txt", "a/c/d/b.txt", "[x].txt",
                                                         "x3/y"]


def test_a_source_pattern_longer_than_a_path_is_refused_at_once(make_corpus, fake_bot_for) -> None:
    """fnmatch reads "[" without its "]" again from each one: ``sources=["[" * 100_000]`` took three minutes before
    answering nothing. A pattern longer than a path can be is a ``QuestionError``; one as long is read at once."""
    import time

    bot = fake_bot_for(make_corpus(CORPUS))
    started = time.perf_counter()
    with pytest.raises(QuestionError, match="source pattern is too long .*100,000 characters"):
        bot.ask("harbour cranes", sources=["notes.txt", "[" * 100_000])
    assert not bot.ask("harbour cranes", sources="[" * 4096).excerpts and time.perf_counter() - started < 5


def test_a_scope_of_too_many_globs_is_refused_at_once_and_any_number_of_names_is_read(make_corpus, fake_bot_for) -> None:
    """A scope's globs are compiled into one expression, which took 17 s for 100,000 before the first answer."""
    import time

    bot = fake_bot_for(make_corpus(CORPUS))
    started = time.perf_counter()
    with pytest.raises(QuestionError, match=r"too many glob patterns \(100,000; the limit is 10,000"):
        bot.ask("harbour cranes", sources=[f"*{n}*" for n in range(100_000)])
    assert time.perf_counter() - started < 2
    names = [f"nowhere-{n}" for n in range(100_000)] + ["notes.txt"]
    assert {e.citation.source for e in bot.ask("harbour cranes", sources=names).excerpts} == {"notes.txt"}


def test_a_scope_of_many_unclosed_brackets_is_read_at_once_and_each_is_a_bracket(make_corpus, fake_bot_for) -> None:
    """The length of each pattern is bounded, not their number: fnmatch reads 4,000 "[" without a "]" in 2 s, so
    twenty such patterns (80 KB) took 40 s before answering nothing. Each such "[" names a "[", as it did."""
    import fnmatch
    import time

    bot = fake_bot_for(make_corpus({**CORPUS, "[draft/notes[1].txt": "The harbour cranes were painted red."}))
    started = time.perf_counter()
    assert not bot.ask("harbour cranes", sources=[f"{n}" + "[" * 4000 for n in range(20)]).excerpts
    assert time.perf_counter() - started < 5
    for glob in ("[*", "**/notes[1*", "[[]draft/notes[[]1].tx?"):
        assert [s.source for s in bot.sources(glob)] == ["[draft/notes[1].txt"], glob
    assert not bot.sources("*[") and not bot.sources("**/notes[")
    names = ["[", "[x", "notes[1", "a]c[", "abc[", "abc", "y[", "x]y[", "!y[", "]y["]
    for glob in ("[*", "notes[1*", "a[b]c[", "[!x]y[", "[]]y[", "*[", "[[]*"):  # as fnmatch reads each
        assert [n for n in names if Scope.of(glob).matches(n)] == [n for n in names if fnmatch.fnmatchcase(n, glob)]


def test_a_double_star_scope_names_top_level_files_at_every_door(make_corpus, fake_bot_for) -> None:
    from qabot.scopes import Scopes

    bot = fake_bot_for(make_corpus(CORPUS))
    assert [s.source for s in bot.sources("**/*.txt")] == ["north/" + f"harbour{i}.txt" for i in range(6)] + [
        "notes.txt"]
    answer = bot.ask("A note about the harbour cranes", k=3, sources="**/notes.txt")
    assert [ex.citation.source for ex in answer.excerpts] == ["notes.txt"]
    discord = Scope(Scopes.parse({"default": "**/*.txt"}).sources(1, 2))  # a scopes file's patterns, as Discord's
    assert discord.matches("notes.txt") and discord.matches("north/harbour1.txt") and not discord.matches("south/a.md")


@pytest.mark.parametrize("factory", ["Flat", "HNSW32"])
def test_a_scoped_answer_quotes_only_its_scope_and_still_gives_k(factory, make_corpus, fake_bot_for) -> None:
    bot = fake_bot_for(make_corpus(CORPUS), index_factory=factory)
    assert bot.manifest.index_factory_used == factory
    everything = bot.ask("What did the harbour crane lift?", k=8)
    assert {ex.citation.source.split("/")[0] for ex in everything.excerpts} >= {"north", "south"}
    for scope, prefix in (("south/", "south/"), (["north"], "north/"), ("*.md", "south/")):
        answer = bot.ask("What did the harbour crane lift?", k=5, sources=scope)
        assert len(answer.excerpts) == 5  # filtered inside retrieval, not dropped afterwards
        assert all(ex.citation.source.startswith(prefix) for ex in answer.excerpts)
    assert [s.source for s in bot.sources("north")] == [f"north/harbour{i}.txt" for i in range(6)]
    assert bot.ask("What did the harbour crane lift?", sources="nowhere/").excerpts == []
    ranked = bot.rank_documents("harbour crane timber", n=20, sources="south/")
    assert ranked and all(doc.startswith("south/") for doc, _ in ranked)


def test_a_pattern_names_a_file_whatever_unicode_normalisation_either_name_is_written_in(make_corpus,
                                                                                           fake_bot_for) -> None:
    """A file copied from macOS is named in decomposed form (NFD: "e" and a combining accent), and a name typed is
    composed (NFC): they read the same, in :sources and /sources too, but "café/" named nothing of "café/"."""
    import unicodedata

    nfd, nfc = (unicodedata.normalize(form, "café") for form in ("NFD", "NFC"))
    bot = fake_bot_for(make_corpus({f"{nfd}/menu.md": "The lamp keeper guide.\n", f"{nfc}s.md": "The lamp.\n",
                                    "b.md": "The lamp post.\n"}), answer_threshold=0.0)
    cases = [(f"{nfc}/", f"{nfd}/menu.md"), (f"{nfc}/*.md", f"{nfd}/menu.md"), (f"{nfc}/menu.md", f"{nfd}/menu.md"),
             (f"{nfd}s.md", f"{nfc}s.md"), (f"{nfd}s.*", f"{nfc}s.md")]
    for sources, source in cases:
        assert [e.citation.source for e in bot.ask("lamp", sources=sources).excerpts] == [source], sources
        assert [s.source for s in bot.sources(sources)] == [source], sources
    assert not Scope.of(f"{nfc}/").matches(f"{nfc}x/a.md") and Scope.of("b.md").matches("b.md")


def test_a_scope_made_directly_reads_its_patterns_as_one_made_of_them(make_corpus, fake_bot_for) -> None:
    """``sources=Scope(("guides/",))`` quoted nothing (the folder's name was kept with its slash), ``Scope("guides")``
    was a scope of its letters (any folder named "g" or "u"), and ``Scope(["guides"])`` a TypeError from the search."""
    bot = fake_bot_for(make_corpus({"guides/a.md": "The lamp keeper guide.\n", "g/b.md": "The lamp.\n",
                                    "c.md": "The lamp post.\n"}), answer_threshold=0.0)
    for scope in (Scope(("guides/",)), Scope("guides"), Scope(["/guides"]), Scope(("./guides/", "guides"))):
        assert scope == Scope.of("guides/")
        assert [e.citation.source for e in bot.ask("lamp", sources=scope).excerpts] == ["guides/a.md"], scope
        assert [s.source for s in bot.sources(scope)] == ["guides/a.md"]
    for bad in ((), ("",), (3,)):
        with pytest.raises(QuestionError, match="sources must"):
            Scope(bad)
    assert Scope(None, ["discord/1/2"]).chats == frozenset({"discord/1/2"})


def test_a_glob_that_ends_with_a_slash_names_everything_in_the_folders_it_matches(make_corpus, fake_bot_for) -> None:
    """"community-*/" (every community's folder), "**/drafts/" and "guides/*/" named nothing: as a glob over the whole
    path it had to match a source that ends with a slash, which none does, so a scope of it quoted nothing."""
    bot = fake_bot_for(make_corpus({"community-a/x.md": "The lamp.\n", "community-b/deep/y.md": "The lamp post.\n",
                                    "drafts/z.md": "The lamp keeper.\n", "guides/drafts/w.md": "The lamp oil.\n",
                                    "guides/v.md": "The lamp wick.\n", "community.md": "The lamp room.\n"}),
                       answer_threshold=0.0)
    for pattern, named in (("community-*/", ["community-a/x.md", "community-b/deep/y.md"]),
                           ("**/drafts/", ["drafts/z.md", "guides/drafts/w.md"]),
                           ("guides/*/", ["guides/drafts/w.md"]),
                           ("/community-?/", ["community-a/x.md", "community-b/deep/y.md"])):
        assert [s.source for s in bot.sources(pattern)] == named, pattern
        assert sorted(e.citation.source for e in bot.ask("lamp", k=6, sources=pattern).excerpts) == named, pattern
    assert Scope.of("community-*/").patterns == ("community-*/",)  # shown as written
