"""A running QABot follows its corpus: edits are served within seconds, costing what they change.

Real files, real watching (watchfiles), real indexes, on the fake embedder. Every wait
polls for what a user would see, with a generous bound; nothing sleeps a fixed time.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable

import pytest

from qabot import QABot
from qabot.index import Outcome
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


def test_an_edit_right_after_the_bot_starts_is_served(make_corpus, tmp_path) -> None:
    """The watch is armed when from_settings returns, and the corpus is compared with the index once then."""
    corpus = make_corpus({"keepers.txt": "The first keeper was Tobias Wren.\n"})
    for attempt in range(3):  # each attempt edits at once, racing the start
        bot = make_bot(corpus, tmp_path / f"idx{attempt}", HashEmbedder(), watch=True)
        try:
            (corpus / "keepers.txt").write_text(f"The first keeper was Tobias Wren.\n\nIngrid Wren{attempt} painted "
                                                "the lantern room blue.\n")
            _until(lambda a=attempt, b=bot: _quotes(b, "Who painted the lantern room?", f"Wren{a}"), "the edit")
        finally:
            bot.close()


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
        (corpus / "keepers.txt").write_text(
            "The first keeper was Tobias Wren.\n\nHis sister Ingrid Wren painted the lantern room blue.\n"
        )
        took = _until(lambda: _quotes(bot, "Who painted the lantern room?", "Ingrid"), "the edit to be quoted")
        assert bot.manifest.build != first
        assert took < BOUND
        # Ten files saved at once are one update.
        updates = []
        bot.notify = lambda m: (notices.append(m), updates.append(m) if m.startswith("index updated") else None)
        for n in range(10):
            (corpus / f"note{n}.txt").write_text(f"Note {n} mentions the fog bell number {n}.\n")
        _until(lambda: len(bot.sources()) == 12, "the ten new files to be indexed")
        _until(lambda: bool(updates), "the update notice")
        assert len(updates) == 1, updates
        assert "corpus files added" in updates[0]
    finally:
        stop.set()
        asker.join()
        bot.close()
    assert not failures, failures[:3]
    assert answered[0] > 0
    assert any(n.startswith("index updated") for n in notices)


def test_a_failed_update_while_watching_keeps_serving(make_corpus, tmp_path, monkeypatch) -> None:
    corpus = make_corpus({"a.txt": "The harbour was dredged in 1911.\n"})
    notices: list[str] = []
    bot = make_bot(corpus, tmp_path / "idx", HashEmbedder(), watch=True, notify=notices.append)
    try:
        import qabot.index.embedded.writer as writer_module

        def disk_full(*_args, **_kwargs):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(writer_module, "_fsync_tree", disk_full)
        (corpus / "a.txt").write_text("The harbour was dredged in 1912.\n")
        _until(lambda: any("could not update the index" in n for n in notices), "the failure notice")
        assert _quotes(bot, "When was the harbour dredged?", "1911")  # the last good state still answers
        assert not list((tmp_path / "idx").glob(".tmp-*"))
    finally:
        bot.close()


def test_a_file_name_that_is_not_utf8_does_not_stop_the_watch(make_corpus, tmp_path, caplog) -> None:
    """The index reads a file whose name is not UTF-8 (b"caf\\xe9.txt"), but watchfiles stops at the first change to
    it ("Unable to decode path"): the watch ended, and no edit was served for the rest of the run. It says so in one
    line and compares the corpus with the index every few seconds instead."""
    import logging

    corpus = make_corpus({"keepers.txt": "The first keeper was Tobias Wren.\n"})
    cafe = corpus / "caf\udce9.txt"  # how Python names b"caf\xe9.txt", a Latin-1 name
    cafe.write_bytes(b"The cafe opens at nine.\n")
    caplog.set_level(logging.WARNING, logger="qabot.index.watch")
    bot = make_bot(corpus, tmp_path / "idx", HashEmbedder(), watch=True)
    try:
        assert _quotes(bot, "When does the cafe open?", "nine")
        cafe.write_bytes(b"The cafe opens at ten.\n")  # what watchfiles cannot decode
        _until(lambda: _quotes(bot, "When does the cafe open?", "ten"), "the edit of caf\\xe9.txt")
        (corpus / "keepers.txt").write_text("The first keeper was Tobias Wren.\n\nIngrid Wren painted the lantern "
                                            "room blue.\n")
        _until(lambda: _quotes(bot, "Who painted the lantern room?", "Ingrid"), "the edit after it")
        [said] = [r.getMessage() for r in caplog.records if r.name == "qabot.index.watch"]
        assert "cannot watch" in said and "every 2 s instead" in said and "\n" not in said
        engine, taken = bot.living.engine, []
        lock = engine.lock
        engine.lock = lambda **given: (taken.append(given), lock(**given))[1]
        time.sleep(4.5)  # two polls of the corpus as the index holds it
        assert not taken  # no write lock (nor its sweep) every 2 s, which another process's question would wait on
    finally:
        bot.close()


def test_changes_behind_a_link_out_of_the_corpus_do_not_update_the_index(make_corpus, tmp_path) -> None:
    """watchfiles follows every link, and a link out of the corpus folder is not read (``QABOT_CORPUS_EXTERNAL_LINKS``),
    but each change behind it (a link to a busy log folder) compared the whole corpus with the index again."""
    corpus = make_corpus({"keepers.txt": "The first keeper was Tobias Wren.\n"})
    logs = tmp_path / "logs"
    logs.mkdir()
    (corpus / "logs").symlink_to(logs, target_is_directory=True)
    bot = make_bot(corpus, tmp_path / "idx", HashEmbedder(), watch=True)
    heard: list[set] = []
    changed = bot.living._changed
    bot.living._changed = lambda paths, hear: (heard.append(paths), changed(paths, hear))
    try:
        for n in range(5):
            (logs / f"service{n}.log").write_text("restarted\n")
        (corpus / "keepers.txt").write_text("The first keeper was Agnes Pirrie.\n")  # after them: heard after them
        _until(lambda: any(path.name == "keepers.txt" for paths in heard for path in paths), "the edit heard")
        _until(lambda: _quotes(bot, "Who was the first keeper?", "Agnes"), "the edit")
        assert not [path for paths in heard for path in paths if "logs" in path.parts]
    finally:
        bot.close()


def _inotify_watches() -> int:
    """How many inotify watches this process holds (each folder a watch took on), from /proc."""
    from pathlib import Path

    count = 0
    for fd in Path("/proc/self/fdinfo").iterdir():
        with contextlib.suppress(OSError):
            count += fd.read_text().count("inotify wd:")
    return count


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts inotify watches in /proc")
def test_arming_the_watch_does_not_descend_through_a_link_out_of_the_corpus(make_corpus, tmp_path) -> None:
    """A recursive watch took a watch on every folder behind a link out of the corpus folder, which is not read
    (a link to /usr: over a second to arm, and thousands of the system's watches)."""
    corpus = make_corpus({"keepers.txt": "The first keeper was Tobias Wren.\n"})
    outside = tmp_path / "outside"
    for n in range(60):
        (outside / f"d{n}" / "deeper").mkdir(parents=True)
    (corpus / "elsewhere").symlink_to(outside, target_is_directory=True)
    before = _inotify_watches()
    bot = make_bot(corpus, tmp_path / "idx", HashEmbedder(), watch=True)
    try:
        assert _inotify_watches() - before < 10  # the corpus folder and the index folder, not 121 more
        (corpus / "keepers.txt").write_text("The first keeper was Agnes Pirrie.\n")
        _until(lambda: _quotes(bot, "Who was the first keeper?", "Agnes"), "the edit")
    finally:
        bot.close()


def test_a_file_in_a_new_folder_is_served(make_corpus, tmp_path) -> None:
    """A folder made after the watch began, and one in it, are watched too: a file written there is served."""
    corpus = make_corpus({"keepers.txt": "The first keeper was Tobias Wren.\n"})
    bot = make_bot(corpus, tmp_path / "idx", HashEmbedder(), watch=True)
    try:
        (corpus / "annals" / "1911").mkdir(parents=True)
        (corpus / "annals" / "1911" / "harbour.txt").write_text("The harbour was dredged by Maud Ferrier.\n")
        _until(lambda: _quotes(bot, "Who dredged the harbour?", "Maud"), "the new file")
        (corpus / "annals" / "1911" / "harbour.txt").write_text("The harbour was dredged by Olive Tarrant.\n")
        _until(lambda: _quotes(bot, "Who dredged the harbour?", "Olive"), "an edit in the new folder")
    finally:
        bot.close()


def test_an_edit_in_a_corpus_folder_inside_the_index_folder_is_served(tmp_path) -> None:
    """A data folder holding the index and, in it, the corpus (QABOT_INDEX_DIR=/srv/qabot, QABOT_CORPUS_DIR=
    /srv/qabot/corpus): the watch took every change there for the index's own writes, and served no edit."""
    corpus = tmp_path / "data" / "corpus"
    corpus.mkdir(parents=True)
    (corpus / "keepers.txt").write_text("The first keeper was Tobias Wren.\n")
    bot = make_bot(corpus, tmp_path / "data", HashEmbedder(), watch=True)
    try:
        assert _quotes(bot, "Who was the first keeper?", "Tobias")
        (corpus / "keepers.txt").write_text("The first keeper was Agnes Pirrie.\n")
        _until(lambda: _quotes(bot, "Who was the first keeper?", "Agnes"), "the edit")
    finally:
        bot.close()


@pytest.mark.parametrize("how", ["removed and made again", "a link pointed to another folder"])
def test_a_corpus_folder_replaced_while_watched_is_watched_again(make_corpus, tmp_path, how: str) -> None:
    """The watch followed the folder it began on: once the corpus folder was removed and made again (a deploy that
    copies a new one in, a share mounted again) or its link pointed to a new release, no edit was served for the
    rest of the run, and nothing said so."""
    import shutil

    release = make_corpus({"keepers.txt": "The first keeper was Tobias Wren.\n"})
    corpus = tmp_path / "docs"
    if how == "a link pointed to another folder":
        corpus.symlink_to(release, target_is_directory=True)
    else:
        shutil.copytree(release, corpus)
    bot = make_bot(corpus, tmp_path / "idx", HashEmbedder(), watch=True)
    try:
        assert _quotes(bot, "Who was the first keeper?", "Tobias")
        new = tmp_path / "new"
        new.mkdir()
        (new / "keepers.txt").write_text("The first keeper was Agnes Pirrie.\n")
        if how == "a link pointed to another folder":
            (tmp_path / "next").symlink_to(new, target_is_directory=True)
            (tmp_path / "next").replace(corpus)  # atomically, as a deploy does
        else:
            shutil.rmtree(corpus)
            new.rename(corpus)
        _until(lambda: _quotes(bot, "Who was the first keeper?", "Agnes"), "the folder's new text")
        (corpus / "keepers.txt").write_text("The first keeper was Ingrid Wren.\n")
        _until(lambda: _quotes(bot, "Who was the first keeper?", "Ingrid"), "an edit in the new folder")
    finally:
        bot.close()


def test_a_corpus_slow_to_compare_is_not_compared_all_the_time_once_it_cannot_be_watched(tmp_path, monkeypatch) -> None:
    """Once a folder cannot be watched (a file name that is not UTF-8, the system's limit of watches), the corpus was
    compared with the index every 2 s whatever that cost: a hundred thousand files take some 1.5 s of CPU to compare,
    so an idle bot spent three quarters of a CPU. It waits nine times as long as a comparison took (up to 30 s)."""
    import watchfiles

    from qabot.index.manifest import BuildConfig
    from qabot.index.watch import POLL_S, Watcher

    def no_watches(*_args, **_kwargs):
        raise OSError("OS file watch limit reached")

    monkeypatch.setattr(watchfiles, "watch", no_watches)
    now = [0.0]
    costs = iter([0.05, 1.5, 60.0, 0.05])  # seconds each comparison takes, on the watcher's clock

    def compare(_paths) -> None:
        now[0] += next(costs)

    watcher = Watcher(BuildConfig(tmp_path, tmp_path / "idx"), compare, clock=lambda: now[0])
    waits: list[float] = []

    class Counted(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            waits.append(timeout)
            return len(waits) > 4

    watcher._stop = Counted()
    watcher._run()  # in this thread: the watch fails, then the polls
    assert waits == [POLL_S, POLL_S, pytest.approx(13.5), 30.0, POLL_S]


def test_an_edit_while_another_process_writes_the_index_is_served_once_it_has_finished(make_corpus, tmp_path,
                                                                                      caplog) -> None:
    """A watching bot does not wait for another process's write lock (``qabot index --rebuild``, up to 10 minutes),
    which kept the bot from closing meanwhile: its change is tried again until the lock is free."""
    import logging
    import subprocess
    import sys

    from tests.test_index import _HOLDER

    corpus = make_corpus({"keepers.txt": "The first keeper was Tobias Wren.\n"})
    bot = make_bot(corpus, tmp_path / "idx", HashEmbedder(), watch=True)
    caplog.set_level(logging.INFO, logger="qabot.index.watch")

    def hold() -> subprocess.Popen[str]:
        holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(tmp_path / "idx" / ".lock"), "60"],
                                  stdout=subprocess.PIPE, text=True)
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        return holder

    def edit(who: str) -> None:
        (corpus / "keepers.txt").write_text(f"The first keeper was Tobias Wren.\n\n{who} painted the lantern room.\n")

    def told(times: int) -> bool:
        return sum("another qabot process is writing the index" in r.getMessage() for r in caplog.records) >= times

    holders = [hold()]
    try:
        edit("Ingrid Wren")
        _until(lambda: told(1), "the change to find the index busy")
        holders[0].kill()
        _until(lambda: _quotes(bot, "Who painted the lantern room?", "Ingrid"), "the edit, once the lock was free")
        holders.append(hold())
        edit("Hugo Wren")
        _until(lambda: told(2), "the next change to find the index busy")
        started = time.monotonic()
        bot.close()
        assert time.monotonic() - started < 5, "closing the bot waited for the other process's lock"
    finally:
        bot.close()
        for holder in holders:
            holder.kill()
            holder.wait()


def test_a_segment_in_use_is_never_deleted_under_its_reader(make_corpus, tmp_path) -> None:
    corpus = make_corpus({"a.txt": "The harbour was dredged in 1911.\n"})
    index = tmp_path / "idx"
    reader = make_bot(corpus, index, HashEmbedder())  # no watching: it keeps its state
    [held] = [index / s.name for s in reader.manifest.segments]
    (corpus / "a.txt").write_text("The harbour was dredged in 1912.\n")
    builder = make_bot(corpus, index, HashEmbedder(), rebuild=True)  # as another process would: a new index
    assert builder.manifest.build != reader.manifest.build
    assert held.name not in {s.name for s in builder.manifest.segments}
    assert held.is_dir()  # kept: the first reader still holds it
    assert _quotes(reader, "When was the harbour dredged?", "1911")
    assert _quotes(builder, "When was the harbour dredged?", "1912")
    reader.close()
    assert not held.exists()  # released, and no longer current: removed
    builder.close()
    assert all((index / s.name).is_dir() for s in builder.manifest.segments)  # the current ones stay


def test_a_reader_letting_go_never_removes_a_segment_another_writer_is_committing(make_corpus, tmp_path,
                                                                                  monkeypatch) -> None:
    """The last reader of a dropped segment lets go while a writer has renamed its new segment into place, but not
    yet replaced the manifest: only the dropped segment may go (it swept every folder the manifest did not name, so
    the new segment went, the commit named a missing folder, and the next start rebuilt and lost the upsert)."""
    import contextlib

    from qabot import Document
    from qabot.index.embedded import writer as writer_module

    corpus = make_corpus({"a.txt": "The harbour was dredged in 1911.\n"})
    index = tmp_path / "idx"
    writer = make_bot(corpus, index, HashEmbedder(), answer_threshold=0.0)
    writer.upsert([Document(doc_id="1", source="api/notes", text="The zebra crossing was painted in 1960.")])
    reader = make_bot(corpus, index, HashEmbedder())  # as another process would: it holds every segment
    writer.delete(["1"])  # that note's segment is dropped, and kept on disk for the reader
    question = contextlib.ExitStack()
    question.enter_context(reader.living.using())  # a question in flight on the reader's state
    reader.refresh()  # the reader serves the new state; the question keeps the old one
    write_manifest = writer_module.write_manifest

    def question_ends_then_commit(*args: object) -> None:
        question.close()  # the reader lets go of the dropped segment, between the rename and the commit
        write_manifest(*args)

    monkeypatch.setattr(writer_module, "write_manifest", question_ends_then_commit)
    try:
        note = Document(doc_id="2", source="api/notes", text="The zebra crossing was repainted in 1999.")
        assert writer.upsert([note]).outcome is Outcome.UPDATED
        assert _quotes(writer, "When was the zebra crossing repainted?", "1999")
    finally:
        question.close()
        reader.close()
        writer.close()
    assert all((index / s.name).is_dir() for s in writer.manifest.segments)
    notices: list[str] = []
    again = make_bot(corpus, index, HashEmbedder(), answer_threshold=0.0, notify=notices.append)
    try:
        assert not notices and _quotes(again, "When was the zebra crossing repainted?", "1999")
        assert len(list(index.glob("seg-*"))) == len(again.manifest.segments)  # the dropped one went all the same
    finally:
        again.close()


def test_refresh_says_what_it_did_and_reports_its_progress(make_corpus, fake_bot_for) -> None:
    corpus = make_corpus({"a.txt": "The ferry to Arnsay ran twice a day.\n", "b.txt": "The mill burned in 1911.\n"})
    bot = fake_bot_for(corpus)
    heard: list[tuple[int, int]] = []
    result = bot.refresh(progress=lambda done, total: heard.append((done, total)))
    assert result.outcome is Outcome.UNCHANGED and heard == []
    (corpus / "c.txt").write_text("The school opened in 1880.\n", encoding="utf-8")
    result = bot.refresh(progress=lambda done, total: heard.append((done, total)))
    assert result.outcome is Outcome.UPDATED and result.documents == 1 and result.embedded == 1
    total = len((corpus / "c.txt").read_text())
    assert heard and heard[-1] == (total, total)  # only the new file was read
    assert bot.rebuilds == 1


def test_a_release_of_files_with_the_same_sizes_and_times_is_served(make_corpus, tmp_path) -> None:
    """A deploy whose files all carry one time (unpacked with their times kept from an archive made with
    SOURCE_DATE_EPOCH, a Nix store's 1 s) flipped the corpus link to a release where an edited file had the same size:
    the index kept quoting the old release for good ("nothing changed"), as only the size and modification time were
    compared. The change time, which no one can set, tells the new file apart."""
    import os

    old = make_corpus({"install.md": "Install version 1.2.3 with pip.\n"})
    new = tmp_path / "v2"
    new.mkdir()
    (new / "install.md").write_text("Install version 1.2.4 with pip.\n")
    for path in (old / "install.md", new / "install.md"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    while os.stat(new / "install.md").st_ctime_ns == os.stat(old / "install.md").st_ctime_ns:
        os.utime(new / "install.md", ns=(1_000_000_000, 1_000_000_000))  # unpacked later: the kernel's clock ticks
    corpus = tmp_path / "docs"
    corpus.symlink_to(old, target_is_directory=True)
    bot = make_bot(corpus, tmp_path / "idx", HashEmbedder())
    try:
        assert _quotes(bot, "Which version do I install?", "1.2.3")
        (tmp_path / "next").symlink_to(new, target_is_directory=True)
        (tmp_path / "next").replace(corpus)  # atomically, as a deploy does
        result = bot.refresh()
        assert result.outcome is Outcome.UPDATED and result.embedded == 1, result
        assert _quotes(bot, "Which version do I install?", "1.2.4")
        assert bot.refresh().outcome is Outcome.UNCHANGED
    finally:
        bot.close()


@pytest.mark.parametrize("files", [40, 400])
def test_an_edit_costs_what_it_changes_not_the_size_of_the_corpus(files, make_corpus, tmp_path, monkeypatch) -> None:
    """One file edited in a folder of ``files``: one file hashed and read, one document embedded, nothing rewritten."""
    import os

    from qabot import corpus as corpus_module
    from qabot.index import update as update_module

    corpus = make_corpus({f"doc{i:04d}.txt": f"Record {i} tells of the lighthouse keeper number {i}.\n"
                          for i in range(files)})
    an_hour_ago = time.time() - 3600
    for path in corpus.iterdir():  # written long ago: their times can be trusted (not "racily clean")
        os.utime(path, (an_hour_ago, an_hour_ago))
    bot = make_bot(corpus, tmp_path / "idx", HashEmbedder())
    index = tmp_path / "idx"
    before = {p: (p.stat().st_mtime_ns, p.stat().st_ino) for p in index.rglob("*") if p.is_file()}
    hashed, read = [], []
    digest, load = corpus_module.file_digest, update_module.read_file
    monkeypatch.setattr(corpus_module, "file_digest", lambda path: (hashed.append(path.name), digest(path))[1])
    monkeypatch.setattr(update_module, "read_file",
                        lambda file, note, limits=None, **given: (read.append(file.name), load(file, note, limits, **given))[1])
    edited = corpus / "doc0007.txt"
    edited.write_text("Record 7 now tells of the keeper's daughter, Ingrid.\n")
    os.utime(edited, (an_hour_ago + 60, an_hour_ago + 60))  # a new time, but not one too recent to trust
    result = bot.refresh()
    assert result.outcome is Outcome.UPDATED and (result.documents, result.deleted, result.embedded) == (1, 1, 1)
    assert read == ["doc0007.txt"] and hashed == ["doc0007.txt"]  # once, and no other file
    assert bot.refresh().outcome is Outcome.UNCHANGED and hashed == ["doc0007.txt"]
    # What was written before is untouched; what is new is one small segment, one deletion list, and one shard of
    # the embedding cache (the edit's new passage).
    for path, stamp in before.items():
        if path.exists() and path.name not in ("manifest.json", "recovery.json"):  # the commit, and its copy
            assert (path.stat().st_mtime_ns, path.stat().st_ino) == stamp, path
    new = {p.relative_to(index) for p in index.rglob("*") if p.is_file()} - {p.relative_to(index) for p in before}
    segments = {p.parts[0] for p in new if len(p.parts) > 1 and p.parts[0] != "cache"}
    assert len(segments) == 1 and [p.name.endswith(".deleted") for p in new if len(p.parts) == 1] == [True]
    assert len({p.parts[2] for p in new if p.parts[0] == "cache"}) == 1
    assert _quotes(bot, "Who is the keeper's daughter?", "Ingrid")
    bot.close()
