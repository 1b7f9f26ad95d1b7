"""A running QABot follows its corpus: edits are served within seconds, builds in use are never deleted.

Real files, real watching (watchfiles), real indexes, on the fake embedder. Every wait
polls for what a user would see, with a generous bound; nothing sleeps a fixed time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from qabot import QABot
from tests.conftest import make_bot
from tests.fakes import HashEmbedder

BOUND = 30.0  # seconds: far above what it takes, so that a busy machine does not fail the test


def _until(condition: Callable[[], bool], what: str) -> float:
    """Poll until ``condition`` holds; returns how long it took."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < BOUND, f"timed out waiting for {what}"
        time.sleep(0.02)
    return time.monotonic() - started


def _quotes(bot: QABot, question: str, text: str) -> bool:
    return any(text in ex.text for ex in bot.ask(question, k=3).excerpts)


def test_an_edit_is_served_and_questions_during_the_swap_all_succeed(make_corpus, tmp_path) -> None:
    corpus = make_corpus({
        "keepers.txt": "The first keeper was Tobias Wren.\n\nHe kept the light for forty years.\n",
        "harbour.txt": "The harbour was dredged in 1911 so that larger ships could dock.\n",
    })
    notices: list[str] = []
    bot = make_bot(corpus, tmp_path / "idx", HashEmbedder(), watch=True, notify=notices.append)
    failures: list[BaseException] = []
    answered = [0]
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set():
            try:
                assert bot.ask("Who was the first keeper?", k=2).excerpts
                answered[0] += 1
            except BaseException as exc:  # noqa: BLE001 - every failure is reported below
                failures.append(exc)

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        first = bot.manifest.build
        time.sleep(0.6)  # the watch starts in the background; an edit before it would go unseen
        (corpus / "keepers.txt").write_text(
            "The first keeper was Tobias Wren.\n\nHis sister Ingrid Wren painted the lantern room blue.\n"
        )
        took = _until(lambda: _quotes(bot, "Who painted the lantern room?", "Ingrid"), "the edit to be quoted")
        assert bot.manifest.build != first
        assert took < BOUND
        # Ten files saved at once are one rebuild.
        builds = []
        bot.notify = lambda m: (notices.append(m), builds.append(m) if m.startswith("index refreshed") else None)
        for n in range(10):
            (corpus / f"note{n}.txt").write_text(f"Note {n} mentions the fog bell number {n}.\n")
        _until(lambda: len(bot.sources()) == 12, "the ten new files to be indexed")
        _until(lambda: bool(builds), "the refresh notice")
        assert len(builds) == 1, builds
    finally:
        stop.set()
        asker.join()
        bot.close()
    assert not failures, failures[:3]
    assert answered[0] > 0
    assert any(n.startswith("index refreshed") for n in notices)


def test_a_failed_rebuild_while_watching_keeps_serving(make_corpus, tmp_path, monkeypatch) -> None:
    corpus = make_corpus({"a.txt": "The harbour was dredged in 1911.\n"})
    notices: list[str] = []
    bot = make_bot(corpus, tmp_path / "idx", HashEmbedder(), watch=True, notify=notices.append)
    try:
        import qabot.index.build as build_module

        def disk_full(*_args, **_kwargs):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(build_module, "_fsync_tree", disk_full)
        time.sleep(0.6)
        (corpus / "a.txt").write_text("The harbour was dredged in 1912.\n")
        _until(lambda: any("could not rebuild" in n for n in notices), "the failure notice")
        assert _quotes(bot, "When was the harbour dredged?", "1911")  # the last good build still answers
    finally:
        bot.close()


def test_a_build_in_use_is_never_deleted_under_its_reader(make_corpus, tmp_path) -> None:
    corpus = make_corpus({"a.txt": "The harbour was dredged in 1911.\n"})
    index = tmp_path / "idx"
    reader = make_bot(corpus, index, HashEmbedder())  # no watching: it keeps its build
    held: Path = index / reader.manifest.build
    (corpus / "a.txt").write_text("The harbour was dredged in 1912.\n")
    builder = make_bot(corpus, index, HashEmbedder())  # another reader rebuilds, as another process would
    assert builder.manifest.build != reader.manifest.build
    assert held.is_dir()  # kept: the first reader still holds it
    assert _quotes(reader, "When was the harbour dredged?", "1911")
    assert _quotes(builder, "When was the harbour dredged?", "1912")
    reader.close()
    assert not held.exists()  # released, and no longer current: removed
    assert (index / builder.manifest.build).is_dir()
    builder.close()
    assert (index / builder.manifest.build).is_dir()  # the current build stays when its reader closes


def test_refresh_reports_its_progress_and_counts_rebuilds(make_corpus, fake_bot_for) -> None:
    corpus = make_corpus({"a.txt": "The ferry to Arnsay ran twice a day.\n", "b.txt": "The mill burned in 1911.\n"})
    bot = fake_bot_for(corpus)
    heard: list[tuple[int, int]] = []
    assert bot.refresh(progress=lambda done, total: heard.append((done, total))) is False and heard == []
    (corpus / "c.txt").write_text("The school opened in 1880.\n", encoding="utf-8")
    assert bot.refresh(progress=lambda done, total: heard.append((done, total))) is True
    total = sum(len(p.read_text()) for p in corpus.iterdir())
    assert len(heard) == 3 and heard[-1] == (total, total)  # one report per document, ending at all of it
    assert [done for done, _ in heard] == sorted(done for done, _ in heard)
    assert bot.rebuilds == 1
