"""Messy corpora and hostile inputs: one bad file never stops a build, quotes stay verbatim, output stays inert.

Real files in temporary folders and real indexes, on the fake embedder: what is tested
is reading, storing, quoting and rendering, not the model.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from qabot import Outcome, QABot, QABotError, QuestionError, SettingsError
from qabot.chunking import passages
from qabot.corpus import document_paragraphs
from qabot.errors import IndexStoreError
from qabot.index import BuildConfig, open_index
from qabot.models import Document, Paragraph
from tests.conftest import FAKE_QABOT, REPO, make_bot
from tests.fakes import HashEmbedder

GOOD = {"good.txt": "Natalia Sedova was married to Leon Trotsky.\n\nThey lived in Coyoacán.\n"}


def _stored(bot: QABot, excerpt) -> str:
    """The text the index holds for the excerpt's document, at the excerpt's offsets."""
    passage = bot.index.passages([excerpt.passage_id])[excerpt.passage_id]
    return bot.index.text(passage.doc, excerpt.citation.start, excerpt.citation.end)


# -- one file never stops a build ---------------------------------------------------------


def test_a_30_mb_line_without_punctuation_becomes_passages_at_word_boundaries() -> None:
    words = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod " * 430_000)[:30_000_000]
    document = Document(doc_id="big.txt", source="big.txt", text=words)
    found = list(passages(document, document_paragraphs(document), 600))
    assert len(found) > 50_000
    assert max(len(p.text) for p in found) <= 600
    for p in found[:2000]:
        assert p.text == words[p.start : p.end]
        assert (p.start == 0 or words[p.start - 1] == " ") and (p.end == len(words) or words[p.end] == " ")


def test_a_300000_character_line_is_indexed_and_answered(make_corpus, fake_bot_for) -> None:
    line = "the archive kept letters and ledgers " * 8_500 + "and the zebra ledger was in the vault"
    assert len(line) > 300_000
    bot = fake_bot_for(make_corpus({"long.txt": line, **GOOD}))
    answer = bot.ask("zebra ledger vault", k=1)
    (excerpt,) = answer.excerpts
    assert "zebra" in excerpt.text and len(excerpt.text) <= 600
    assert line[excerpt.citation.start : excerpt.citation.end] == excerpt.text


def test_a_megabyte_title_or_heading_is_cut_in_the_citation_not_in_the_quote(make_corpus, fake_bot_for) -> None:
    from qabot.adapters.render import cite
    from qabot.adapters.terminal import plain_answer, plain_sources

    heading, title = "M" * 100_000, "T" * 100_000
    bot = fake_bot_for(make_corpus({
        "notes.md": f"# {heading}\n\nThe dome closes when the humidity rises above 85 percent.\n",
        "page.html": f"<html><head><title>{title}</title></head><body><p>The zebra ledger is in the vault.</p>"
                     "</body></html>",
    }), answer_threshold=0.0)
    (dome,) = bot.ask("dome humidity percent", k=1).excerpts
    assert dome.citation.section == heading  # what the file says, whole
    assert dome.citation.location == f"§ {'M' * 149}…, ¶ 1"
    assert dome.text == "The dome closes when the humidity rises above 85 percent." == _stored(bot, dome)
    (ledger,) = bot.ask("zebra ledger vault", k=1).excerpts
    assert ledger.citation.title == title and cite(ledger.citation).startswith("T" * 149 + "… — page.html, ")
    answer = bot.ask("zebra ledger vault", k=2)
    assert len(plain_answer(answer)) < 1_000  # not the megabyte
    assert max(len(line) for line in plain_sources(bot.sources()).splitlines()) < 250


def test_a_megabyte_title_is_not_embedded_and_counted_again_with_each_passage(make_corpus) -> None:
    """A title is put before each passage for the model and BM25: a 700 KB Markdown file whose front matter's title
    was 100,000 words took 114 s to index with a stand-in model, 1.4 GB and a 122 MB index, growing as the title
    times the passages. The model reads 256 tokens at most anyway: the first few hundred characters of a title count."""
    from qabot.corpus import CorpusFile, load_file
    from qabot.index.ingest import TITLE_CHARS, model_input, passage_terms

    title = " ".join(f"w{n}" for n in range(100_000))
    body = "\n\n".join(f"Paragraph {n}: the harbour board met weekly to repair the old bridge." for n in range(20))
    corpus = make_corpus({"notes.md": f"---\ntitle: {title}\n---\n\n{body}\n"})
    (doc,) = load_file(CorpusFile(corpus / "notes.md", "notes.md"))
    assert doc.title == title  # what the file says, whole: the citation cuts it, the index stores it once
    found = list(passages(doc, document_paragraphs(doc), 600))
    assert found
    for passage in found:
        text, spans = model_input(passage)
        assert text.startswith("w0 w1 w2") and len(text) <= TITLE_CHARS + 2 + len(passage.text)
        assert text[spans[0][0] :].startswith(passage.text[:20])
        words, _ = passage_terms(text, spans)
        assert len(words) < 200


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_a_file_the_user_cannot_read_is_skipped(make_corpus, fake_bot_for, caplog) -> None:
    corpus = make_corpus({"secret.txt": "Hidden text.", **GOOD})
    (corpus / "secret.txt").chmod(0)
    bot = fake_bot_for(corpus)
    assert "skipping secret.txt: cannot be read (Permission denied)" in caplog.text
    assert [s.source for s in bot.sources()] == ["good.txt"]


def test_a_file_that_fails_on_read_is_skipped_and_named(make_corpus, fake_bot_for, caplog) -> None:
    corpus = make_corpus(GOOD)
    (corpus / "memory.txt").symlink_to("/proc/self/mem")  # opens, then fails with an I/O error
    bot = fake_bot_for(corpus, corpus_external_links=True)
    assert "skipping memory.txt: cannot be read (Input/output error)" in caplog.text
    assert [s.source for s in bot.sources()] == ["good.txt"]
    assert any("memory.txt" in m for m in bot.manifest.skipped_messages())
    again = fake_bot_for(corpus, corpus_external_links=True)  # the staleness check reads it too
    assert again.manifest.build == bot.manifest.build


def test_a_fifo_is_skipped_not_waited_on(make_corpus, fake_bot_for, caplog) -> None:
    corpus = make_corpus(GOOD)
    os.mkfifo(corpus / "pipe.txt")
    bot = fake_bot_for(corpus)
    assert "skipping pipe.txt: not a regular file" in caplog.text
    assert [s.source for s in bot.sources()] == ["good.txt"]


def test_two_files_whose_names_read_the_same_are_not_one_source_that_flips_between_them(make_corpus, fake_bot_for,
                                                                                          caplog) -> None:
    # A name that is not UTF-8 (b"caf\xe9.txt") reads as "caf\\xe9.txt", as a file of that very name does: both were
    # one source, indexed from either file by turns, and every command found the corpus changed.
    corpus = make_corpus(GOOD)
    (corpus / "caf\\xe9.txt").write_text("The harbour master rebuilt the stone bridge in 1887.\n")
    (corpus / os.fsdecode(b"caf\xe9.txt")).write_text("The lighthouse keeper painted the dome blue in 1921.\n")
    bot = fake_bot_for(corpus)
    assert ("skipping caf\\xe9.txt: another file's name reads the same (a byte that is not UTF-8 shows as \\xNN); "
            "rename one of them") in caplog.text
    assert [s.source for s in bot.sources()] == ["caf\\xe9.txt", "good.txt"]
    assert bot.ask("Who rebuilt the stone bridge?", k=1).excerpts[0].text.startswith("The harbour master")
    again = fake_bot_for(corpus)  # the corpus is as it was: no change to read
    assert again.manifest.build == bot.manifest.build


def test_a_file_replaced_by_one_that_cannot_be_read_is_named_on_an_update(make_corpus, fake_bot_for) -> None:
    corpus = make_corpus({**GOOD, "pipe.txt": "The harbour was dredged in 1911.\n",
                          "link.txt": "The ferry ran twice a day.\n"})
    bot = fake_bot_for(corpus)
    (corpus / "pipe.txt").unlink()
    os.mkfifo(corpus / "pipe.txt")
    (corpus / "link.txt").unlink()
    (corpus / "link.txt").symlink_to("gone.txt")
    assert bot.refresh().outcome is Outcome.UPDATED
    assert [s.source for s in bot.sources()] == ["good.txt"]
    # What `qabot index` lists at its end, as a first build would have said it.
    assert bot.manifest.skipped_messages() == ["skipping link.txt: a broken link", "skipping pipe.txt: not a regular file"]


@pytest.mark.parametrize("when", ["after the folder was listed", "after it was hashed"])
def test_a_file_replaced_by_a_fifo_while_an_update_runs_is_skipped_not_waited_on(when, make_corpus, fake_bot_for,
                                                                                 monkeypatch) -> None:
    """A file replaced by a FIFO between the listing and the hashing of an update, or between its hashing and its
    reading, was opened to be read: the update waited for a writer for good, holding the index's write lock (the
    watch, and every qabot index after it, waited on it too)."""
    import threading

    from qabot import corpus as corpus_module
    from qabot.index import living

    corpus = make_corpus({**GOOD, "pipe.txt": "The harbour was dredged in 1911.\n"})
    bot = fake_bot_for(corpus)
    (corpus / "pipe.txt").write_text("The harbour was dredged in 1912.\n")  # changed: to be hashed, then read

    def replaced(result):
        (corpus / "pipe.txt").unlink()
        os.mkfifo(corpus / "pipe.txt")
        return result

    if when == "after the folder was listed":
        find = corpus_module.find_files
        monkeypatch.setattr(corpus_module, "find_files", lambda *args, **kwargs: replaced(find(*args, **kwargs)))
    else:
        scan = living.scan
        monkeypatch.setattr(living, "scan", lambda *args, **kwargs: replaced(scan(*args, **kwargs)))
    done: list[object] = []
    update = threading.Thread(target=lambda: done.append(bot.refresh()), daemon=True)
    update.start()
    update.join(timeout=60)
    waited = update.is_alive()
    while update.is_alive():  # let each waiting open go (as an empty file), so that the test ends
        with contextlib.suppress(OSError):  # ENXIO: nothing waits on it right now
            os.close(os.open(corpus / "pipe.txt", os.O_WRONLY | os.O_NONBLOCK))
        update.join(timeout=0.1)
    assert not waited and done[0].outcome is Outcome.UPDATED, "the update waited on the FIFO"
    assert [s.source for s in bot.sources()] == ["good.txt"]
    assert "skipping pipe.txt: cannot be read (not a regular file)" in bot.manifest.skipped_messages()


def test_a_path_longer_than_the_system_allows_is_skipped(make_corpus, fake_bot_for, caplog) -> None:
    corpus = make_corpus(GOOD)
    fd = os.open(corpus, os.O_RDONLY)
    try:
        for _ in range(22):  # 22 folders of 200 characters: a path of over 4,400 (PATH_MAX is 4,096)
            os.mkdir("d" * 200, dir_fd=fd)
            inner = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        with open(os.open("deep.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as handle:
            handle.write("Deep text about the harbour.")
    finally:
        os.close(fd)
    bot = fake_bot_for(corpus)
    assert "File name too long" in caplog.text and "skipping dddd" in caplog.text
    assert [s.source for s in bot.sources()] == ["good.txt"]


def test_a_jsonl_record_with_a_lone_surrogate(make_corpus, fake_bot_for, caplog) -> None:
    record = {"_id": "s1", "title": "Broken \ud800 title", "text": "The harbour \ud800 was dredged in 1911."}
    corpus = make_corpus({"data.jsonl": json.dumps(record) + "\n"})
    assert "\\ud800" in (corpus / "data.jsonl").read_text()  # valid JSON that decodes to a lone surrogate
    bot = fake_bot_for(corpus)
    assert "data.jsonl line 1: lone surrogate code points replaced by U+FFFD" in caplog.text
    (excerpt,) = bot.ask("When was the harbour dredged?", k=1).excerpts
    assert excerpt.text == "The harbour \ufffd was dredged in 1911."
    assert excerpt.citation.title == "Broken \ufffd title"
    json.loads(bot.ask("harbour", k=1).model_dump_json())  # serialisable


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_a_text_saved_as_utf16_or_utf32_with_its_byte_order_mark_is_read(codec, make_corpus, fake_bot_for) -> None:
    """Notepad's "Unicode" and PowerShell 5's ``>`` write UTF-16 LE with a byte-order mark; it names the encoding."""
    text = "The caf\u00e9 by the harbour opens at nine \u2013 every day but Sunday.\n"
    bom = {"utf-16": b"\xff\xfe", "utf-16-be": b"\xfe\xff", "utf-32": b"\xff\xfe\x00\x00"}[codec]
    data = text.encode(codec)
    data = data if data.startswith(bom) else bom + data  # Python's "utf-16" and "utf-32" write the mark themselves
    bot = fake_bot_for(make_corpus({"notes.txt": data}))
    (excerpt,) = bot.ask("When does the café open?", k=1).excerpts
    assert excerpt.text == text.strip()  # verbatim, without the mark


def test_qabot_index_ends_with_a_summary(make_corpus, tmp_path) -> None:
    corpus = make_corpus({**GOOD, "other.md": "# Notes\n\nThe harbour was dredged in 1911.\n", "bad.txt": b"\xc3\x28 not UTF-8"})
    os.mkfifo(corpus / "pipe.txt")
    env = {**os.environ, "QABOT_CORPUS_DIR": str(corpus), "QABOT_INDEX_DIR": str(tmp_path / "idx")}
    first = subprocess.run([*FAKE_QABOT, "index"], capture_output=True, text=True, env=env, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "Indexed 2 file(s) (0 unchanged)" in first.stdout
    assert "skipping bad.txt: not valid UTF-8 text" in first.stderr and "skipping pipe.txt: not a regular file" in first.stderr
    (corpus / "other.md").write_text("# Notes\n\nThe harbour was dredged in 1912.\n")
    second = subprocess.run([*FAKE_QABOT, "index"], capture_output=True, text=True, env=env, timeout=120)
    assert "Indexed 2 file(s) (1 unchanged)" in second.stdout and "changed other.md" in second.stdout


def test_qabot_index_of_a_folder_of_unusable_files_says_why_each_was_skipped(make_corpus, tmp_path) -> None:
    corpus = make_corpus({"latin1.txt": b"caf\xe9", "fake.docx": "nope", "x.pdf": "%PDF-x"})
    env = {**os.environ, "QABOT_CORPUS_DIR": str(corpus), "QABOT_INDEX_DIR": str(tmp_path / "idx")}
    done = subprocess.run([*FAKE_QABOT, "index"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1
    assert "Skipped 3:" in done.stderr and "skipping latin1.txt: not valid UTF-8 text" in done.stderr
    assert "skipping fake.docx: not a Word document" in done.stderr and "skipping x.pdf: " in done.stderr
    assert done.stderr.rstrip().endswith(f"nothing to index: every file in {str(corpus)!r} was skipped")


def test_a_killed_builds_model_export_is_cleaned_up_and_its_child_exits(tmp_path) -> None:
    from qabot.embedding.export import _remove_abandoned

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / f".tmp-{dead.stdout.strip()}-0a1b2c").mkdir()  # a killed build's half-written export
    (tmp_path / f".tmp-{os.getpid()}-3d4e5f").mkdir()  # one under way in a live process
    _remove_abandoned(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [f".tmp-{os.getpid()}-3d4e5f"]

    # The export's child process (torch, a minute) exits once the build that started it is killed.
    marker = tmp_path / "child.pid"
    grandchild = ("import os, time; from qabot.embedding.export import _exit_with; "
                  "_exit_with(os.getppid()); time.sleep(120)")
    parent = subprocess.Popen([sys.executable, "-c", (
        "import subprocess, sys, time; "
        f"child = subprocess.Popen([sys.executable, '-c', {grandchild!r}]); "
        f"open({str(marker)!r}, 'w').write(str(child.pid)); time.sleep(120)")], cwd=REPO)
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    child = int(marker.read_text())
    time.sleep(1.5)  # its watch is running
    parent.kill()
    parent.wait()
    while time.monotonic() < deadline and _running(child):
        time.sleep(0.2)
    assert not _running(child)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in state  # a zombie has exited; nobody may be left to reap it


# -- verbatim, for every code point -------------------------------------------------------


@pytest.mark.parametrize("name", ["nul.txt", "nul.jsonl"])
def test_nul_and_control_characters_are_quoted_verbatim(name, make_corpus, fake_bot_for) -> None:
    text = ("\ufeffThe lighthouse keeper kept a log.\x00 It was\x07 written in ink. "
            "The\u202e second keeper was named Ingrid Wren.\x1b[2J She rowed to the mainland.")
    content = text if name.endswith(".txt") else json.dumps({"_id": "n1", "text": text}) + "\n"
    bot = fake_bot_for(make_corpus({name: content, **GOOD}))
    answer = bot.ask("Who was the second keeper named?", k=1)
    (excerpt,) = answer.excerpts
    assert excerpt.citation.source == name
    assert text[excerpt.citation.start : excerpt.citation.end] == excerpt.text == _stored(bot, excerpt)
    assert "Ingrid" in excerpt.highlight
    assert excerpt.text[excerpt.highlight_start : excerpt.highlight_end] == excerpt.highlight


def test_a_nul_heavy_file_is_skipped_as_binary(make_corpus, fake_bot_for, caplog) -> None:
    utf16 = "Hello, this was saved as UTF-16 without a byte-order mark.".encode("utf-16-le")
    bot = fake_bot_for(make_corpus({"utf16.txt": utf16, **GOOD}))
    assert "skipping utf16.txt: looks like a binary file" in caplog.text
    assert [s.source for s in bot.sources()] == ["good.txt"]


def test_utf16_text_without_a_byte_order_mark_is_named_as_such(make_corpus, fake_bot_for, caplog) -> None:
    """A UTF-16 file without its byte-order mark (what some Windows tools and exports write) was called binary alone,
    and its owner left to guess why a text file was not read."""
    utf16 = "The dome opens at dusk. Saved by a Windows tool without its byte-order mark.\r\n".encode("utf-16-be")
    database = b"SQLite format 3\x00" + bytes(300)  # binary that decodes as UTF-8: no UTF-16
    fake_bot_for(make_corpus({"notes.txt": utf16, "state.txt": database, **GOOD}))
    assert ("skipping notes.txt: looks like a binary file (78 NUL characters); it reads as UTF-16 text without a "
            "byte-order mark: save it as UTF-8") in caplog.text
    assert "skipping state.txt: looks like a binary file (301 NUL characters)\n" in caplog.text


# -- the last good index keeps serving ----------------------------------------------------


def test_removing_every_file_empties_the_index_rather_than_quoting_what_was_removed(make_corpus, tmp_path) -> None:
    corpus = make_corpus(GOOD)
    bot = make_bot(corpus, tmp_path / "idx", HashEmbedder(), answer_threshold=0.0)
    try:
        assert bot.ask("Who was married to Trotsky?", k=1).excerpts
        (corpus / "good.txt").unlink()  # the last file: a change, not a failure to keep the old index for
        assert bot.refresh().updated
        assert bot.ask("Who was married to Trotsky?", k=1).excerpts == [] and bot.sources() == []
        (corpus / "new.txt").write_text("The harbour was dredged in 1911.")
        assert bot.refresh().updated
        assert bot.ask("When was the harbour dredged?", k=1).excerpts[0].citation.source == "new.txt"
    finally:
        bot.close()


@contextlib.contextmanager
def _read_only(folder: Path):
    """A folder nobody can write, root included (the immutable attribute; chmod for other users)."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)]).returncode:
            pytest.skip("chattr +i is not available here")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)


def test_a_read_only_index_folder_after_a_corpus_change_keeps_the_last_build(make_corpus, tmp_path) -> None:
    corpus = make_corpus(GOOD)
    index = tmp_path / "idx"
    first = make_bot(corpus, index, HashEmbedder())
    build = first.manifest.build
    first.close()
    (corpus / "new.txt").write_text("The harbour was dredged in 1911.")
    messages: list[str] = []
    with _read_only(index):
        bot = make_bot(corpus, index, HashEmbedder(), notify=messages.append)
        try:
            assert bot.manifest.build == build
            assert "Natalia" in bot.ask("Who was married to Trotsky?", k=1).excerpts[0].text
            (message,) = [m for m in messages if "could not update the index" in m]
            assert "the last good index keeps serving" in message and "\n" not in message
        finally:
            bot.close()
    with pytest.raises(IndexStoreError, match="cannot write the index in"), _read_only(index):
        open_index(BuildConfig(corpus_dir=corpus, index_dir=index), HashEmbedder(), progress=False, fallback=False)


@pytest.mark.parametrize("below", ["", "sub"])
def test_an_index_folder_where_a_file_is_says_so(make_corpus, tmp_path, below) -> None:
    """--index naming a file, or a folder under one: the one-line error says a file is in the way, and which."""
    in_the_way = tmp_path / "notes.txt"
    in_the_way.write_text("not an index")
    with pytest.raises(IndexStoreError, match=re.escape(f"a file is there, where a folder should be ({in_the_way}; "
                                                        "the index folder: --index or QABOT_INDEX_DIR)") + "$"):
        open_index(BuildConfig(corpus_dir=make_corpus(GOOD), index_dir=in_the_way / below), HashEmbedder(),
                   progress=False, fallback=False)
    assert in_the_way.read_text() == "not an index"


def test_an_index_that_cannot_even_be_locked_serves_quietly_while_it_is_current(make_corpus, tmp_path) -> None:
    """A read-only mount, or an index another user built: its write lock cannot be taken. While the corpus is as it
    was indexed, there is nothing to write: qabot ask answers without a warning and qabot index says it is up to
    date; once the corpus changes, each says in one line that the index could not be updated."""
    corpus = make_corpus(GOOD)
    index = tmp_path / "idx"
    env = {**os.environ, "QABOT_CORPUS_DIR": str(corpus), "QABOT_INDEX_DIR": str(index)}

    def qabot(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*FAKE_QABOT, *args], capture_output=True, text=True, env=env, timeout=120)

    assert qabot("index").returncode == 0
    with _read_only(index / ".lock"), _read_only(index):
        asked = qabot("ask", "Who was married to Trotsky?", "--k", "1")
        assert asked.returncode == 0 and "Natalia" in asked.stdout and asked.stderr == "", asked.stderr
        indexed = qabot("index")
        assert indexed.returncode == 0 and "is up to date" in indexed.stdout and indexed.stderr == "", indexed.stderr
        (corpus / "new.txt").write_text("The harbour was dredged in 1911.")
        asked = qabot("ask", "Who was married to Trotsky?", "--k", "1")
        assert asked.returncode == 0 and "Natalia" in asked.stdout
        assert "could not update the index (cannot write the index in" in asked.stderr
        indexed = qabot("index")
        assert indexed.returncode == 1 and indexed.stderr.startswith("Error: cannot write the index in")
        assert indexed.stderr.endswith("; the index folder: --index or QABOT_INDEX_DIR)\n"), indexed.stderr
        assert indexed.stderr.count("\n") == 1


def test_a_failed_rebuild_of_any_kind_keeps_the_last_build(make_corpus, tmp_path, monkeypatch) -> None:
    corpus = make_corpus(GOOD)
    index = tmp_path / "idx"
    make_bot(corpus, index, HashEmbedder()).close()
    (corpus / "new.txt").write_text("The harbour was dredged in 1911.")
    messages: list[str] = []
    embedder = HashEmbedder()
    bad = make_bot(corpus, index, embedder, index_factory="NotAFactory", notify=messages.append)
    assert any("bad QABOT_INDEX_FACTORY 'NotAFactory': could not parse index string NotAFactory" in m for m in messages)
    assert embedder.calls == 0  # refused before the corpus was read and embedded again, at every start
    bad.close()

    import qabot.index.embedded.writer as writer_module

    def disk_full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer_module, "_fsync_tree", disk_full)
    messages.clear()
    bot = make_bot(corpus, index, HashEmbedder(), notify=messages.append)
    assert any("No space left on device" in m for m in messages)
    assert [s.source for s in bot.sources()] == ["good.txt"]
    assert not list(index.glob(".tmp-*"))  # the failed build left nothing behind
    bot.close()


def test_a_damaged_cache_is_discarded_and_rebuilt(make_corpus, tmp_path, caplog) -> None:
    corpus = make_corpus({f"doc{i}.txt": f"Document {i} says that item {i} is number {i}." for i in range(6)})
    config = BuildConfig(corpus_dir=corpus, index_dir=tmp_path / "idx")
    open_index(config, HashEmbedder(), progress=False).close()
    (shard,) = (tmp_path / "idx" / "cache").glob("*/shard-*")
    spans = shard / "spans.npy"
    spans.write_bytes(spans.read_bytes()[:-40])  # truncated: np.load raises EOFError or ValueError
    (corpus / "doc1.txt").write_text("Document one is new.")
    with caplog.at_level(logging.WARNING):
        index = open_index(config, HashEmbedder(), progress=False, rebuild=True)  # full builds read the cache
    assert "discarding damaged embedding cache shard" in caplog.text
    assert index.manifest.embedded == 6 and not shard.exists()
    index.close()


def test_a_cache_shard_whose_writing_was_cut_short_is_removed(make_corpus, tmp_path) -> None:
    corpus = make_corpus({f"doc{i}.txt": f"Document {i} says that item {i} is number {i}." for i in range(6)})
    config = BuildConfig(corpus_dir=corpus, index_dir=tmp_path / "idx")
    open_index(config, HashEmbedder(), progress=False).close()
    (shard,) = (tmp_path / "idx" / "cache").glob("*/shard-*")
    cut = shard.parent / ".tmp-shard-0a1b2c3d4e5f"  # a second Ctrl-C while an interrupted build kept its vectors
    shutil.copytree(shard, cut)
    (cut / "spans.npy").unlink()
    index = open_index(config, HashEmbedder(), progress=False, rebuild=True)
    assert index.manifest.embedded == 0 and not cut.exists() and shard.exists()
    index.close()


def test_a_cache_shard_cut_short_is_removed_by_the_next_run_even_when_nothing_changed(make_corpus, tmp_path) -> None:
    """A --rebuild killed while it wrote a cache shard left the half-written shard (up to 64k passages' vectors) for
    as long as no full build read the cache again: a run with nothing to change, or a small edit, never did."""
    corpus = make_corpus({f"doc{i}.txt": f"Document {i} says that item {i} is number {i}." for i in range(6)})
    config = BuildConfig(corpus_dir=corpus, index_dir=tmp_path / "idx")
    open_index(config, HashEmbedder(), progress=False).close()
    (shard,) = (tmp_path / "idx" / "cache").glob("*/shard-*")
    cut = shard.parent / ".tmp-shard-0a1b2c3d4e5f"
    shutil.copytree(shard, cut)
    (cut / "spans.npy").unlink()
    index = open_index(config, HashEmbedder(), progress=False)  # the index is up to date: the cache is not read
    assert index.last is not None and index.last.outcome is Outcome.UNCHANGED
    assert not cut.exists() and shard.exists()
    index.close()


def test_a_crafted_cache_never_misaligns_the_sentence_vectors(make_corpus, tmp_path) -> None:
    corpus = make_corpus({"a.txt": "One short sentence. Another short sentence. A third one here."})
    config = BuildConfig(corpus_dir=corpus, index_dir=tmp_path / "idx")
    open_index(config, HashEmbedder(), progress=False).close()
    (shard,) = (tmp_path / "idx" / "cache").glob("*/shard-*")
    # A shard that is consistent in itself, but gives the passage one sentence vector too few.
    np.save(shard / "spans.npy", np.load(shard / "spans.npy")[:2])
    np.save(shard / "offsets.npy", np.array([0, 2], dtype=np.int64))
    index = open_index(config, HashEmbedder(), progress=False, rebuild=True)
    assert index.manifest.embedded == 1  # not trusted: embedded again
    assert index.manifest.sentences == len(index.current.parts[0].segment.sentence_vectors) == 3
    index.close()


def test_vectors_garbled_in_the_cache_are_embedded_again(make_corpus, tmp_path) -> None:
    corpus = make_corpus({f"doc{i}.txt": f"Document {i} says that item {i} is number {i}." for i in range(6)})
    config = BuildConfig(corpus_dir=corpus, index_dir=tmp_path / "idx")
    open_index(config, HashEmbedder(), progress=False).close()
    (shard,) = (tmp_path / "idx" / "cache").glob("*/shard-*")
    for name in ("text.npy", "spans.npy"):  # the headers whole, the numbers garbage (finite ones)
        vectors = np.load(shard / name, mmap_mode="r+")
        vectors[1::2] = 7.0
        vectors.flush()
        del vectors
    index = open_index(config, HashEmbedder(), progress=False, rebuild=True)
    try:
        assert index.manifest.embedded == 3 and index.manifest.cached == 3  # only the whole entries were trusted
        norms = np.linalg.norm(index.current.parts[0].segment.passage_vectors, axis=1)
        assert np.allclose(norms, 1.0, atol=1e-3)
    finally:
        index.close()


# -- questions and API arguments ----------------------------------------------------------


@pytest.fixture
def bot(make_corpus, fake_bot_for) -> QABot:
    return fake_bot_for(make_corpus(GOOD))


def test_a_lone_surrogate_in_a_question_is_cleaned(bot) -> None:
    answer = bot.ask("Who was \udc80married to\ud800 Trotsky?")
    assert answer.excerpts and "\udc80" not in answer.query and "\ud800" not in answer.query


def test_invalid_utf8_in_a_command_line_argument(make_corpus, tmp_path) -> None:
    env = {**os.environ, "QABOT_CORPUS_DIR": str(make_corpus(GOOD)), "QABOT_INDEX_DIR": str(tmp_path / "idx")}
    argv = [os.fsencode(a) for a in FAKE_QABOT] + [b"ask", b"Who was \xff married to Trotsky?", b"--json"]
    result = subprocess.run(argv, capture_output=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["excerpts"]


def test_history_as_a_string_is_one_earlier_question(bot) -> None:
    assert bot.ask("When did she live there?", history="Who was Natalia Sedova?").query != "When did she live there?"
    assert bot.ask("When did she live there?", history="Who was Natalia Sedova?") == bot.ask(
        "When did she live there?", history=["Who was Natalia Sedova?"]
    )


@pytest.mark.parametrize("history", [5, [1, 2], b"bytes", {"a": 1}])
def test_history_that_is_not_questions_is_a_clear_error(bot, history) -> None:
    with pytest.raises(QuestionError, match="history must"):
        bot.ask("Who was married to Trotsky?", history=history)


def test_an_earlier_question_over_the_limit_is_a_clear_error(bot) -> None:
    # "And?" is searched together with the question before it: the limit holds for that one too.
    with pytest.raises(QuestionError, match=r"an earlier question in history is too long \(2,4[0-9,]+ characters"):
        bot.ask("And?", history=["Trotsky " * 300_000])
    assert bot.ask("And?", history=["Who was married to " + "Trotsky " * 200]).query.endswith("And?")


def test_from_settings_with_the_wrong_settings_or_embedder_is_a_clear_error(make_corpus, tmp_path) -> None:
    from qabot import ModelError

    corpus = make_corpus(GOOD)
    with pytest.raises(SettingsError, match="settings must be a qabot.Settings .*not str"):
        QABot.from_settings("corpus", embedder=HashEmbedder())
    with pytest.raises(ModelError, match="embedder must be a qabot.embedding.Embedder, not str"):
        QABot.from_settings(corpus_dir=corpus, index_dir=tmp_path / "idx", embedder="all-MiniLM-L6-v2",
                            _env_file=None)


@pytest.mark.parametrize(("field", "document"), [
    ("text", Document(doc_id="s1", source="api/s", text="The zebra \udc80 was named Quintus.")),
    ("source", Document(doc_id="s1", source="api/\ud800", text="The zebra was named Quintus.")),
    ("paragraph 1's author", Document(doc_id="s1", source="api/s", text="The zebra was named Quintus.",
                                      paragraphs=(Paragraph(start=0, end=28, number=1, author="Q\udc80"),))),
])
def test_a_document_holding_a_lone_surrogate_is_a_clear_error(bot, field, document) -> None:
    from qabot.errors import DocumentError

    # Such text can be neither stored nor quoted as JSON: refused at the door, and nothing is changed.
    with pytest.raises(DocumentError, match=f"its {field} holds a lone surrogate"):
        bot.upsert([Document(doc_id="ok", source="api/ok", text="The yak was named Bert."), document])
    assert [s.source for s in bot.sources("api/")] == []


@pytest.mark.parametrize(("field", "document"), [
    ("source", Document(doc_id="s1", source="api/s\x00.txt", text="The zebra was named Quintus.")),
    ("doc_id", Document(doc_id="s\x001", source="api/s", text="The zebra was named Quintus.")),
])
def test_a_document_source_or_id_holding_a_nul_is_a_clear_error(bot, field, document) -> None:
    """A NUL in a document's source or id was stored and cited ('api/s\\x00.txt', which no file can be named, and a
    terminal or Discord shows as 'api/s.txt' or not at all); refused in one line now, and nothing is changed."""
    from qabot.errors import DocumentError

    with pytest.raises(DocumentError, match=rf"^document .*: its {field} holds a NUL character[^\n]*$"):
        bot.upsert([Document(doc_id="ok", source="api/ok", text="The yak was named Bert."), document])
    assert [s.source for s in bot.sources("api/")] == []
    assert bot.change([document], skip_bad=True).skipped and [s.source for s in bot.sources("api/")] == []


_FERRY = "The ferry runs on Tuesdays. Mail comes by boat."


@pytest.mark.parametrize(("document", "error"), [
    (Document(doc_id="p", source="api/p", text=_FERRY, paragraphs=(Paragraph(start=0, end=10**6, number=1),)),
     r"paragraph 1 spans 0:1000000, outside its text \(0:47\)"),
    (Document(doc_id="p", source="api/p", text=_FERRY, paragraphs=(Paragraph(start=-20, end=27, number=1),)),
     r"paragraph 1 spans -20:27, outside its text \(0:47\)"),
    (Document(doc_id="p", source="api/p", text=_FERRY, paragraphs=(Paragraph(start=27, end=5, number=1),)),
     r"paragraph 1 spans 27:5, outside its text \(0:47\)"),
    (Document(doc_id="p", source="api/p", text=_FERRY, paragraphs=(
        Paragraph(start=28, end=47, number=2), Paragraph(start=0, end=27, number=1))),
     r"paragraph 2 starts at 0, before paragraph 1 ends \(47\): paragraphs must be in order, and apart"),
    (Document(doc_id="p", source="api/p", text=_FERRY, paragraphs=(
        Paragraph(start=0, end=40, number=1), Paragraph(start=10, end=47, number=2))),
     r"paragraph 2 starts at 10, before paragraph 1 ends \(40\)"),
    (Document(doc_id="p", source="api/p", text=_FERRY, body_start=-10), r"body_start -10 is outside its text \(0:47\)"),
    (Document(doc_id="p", source="api/p", text=_FERRY, body_start=48), r"body_start 48 is outside its text \(0:47\)"),
    (Document(doc_id="p", source="api/p", text=_FERRY, paragraphs=(Paragraph(start=0, end=27, number=0, heading=True),)),
     r"its paragraphs are all headings or blank"),  # in its text, but nothing to index (checked after the offsets)
])
def test_a_document_whose_paragraphs_are_not_in_its_text_is_a_clear_error(bot, document, error) -> None:
    """Paragraphs are offsets into the text: one beyond its end failed deep in chunking (IndexError), and one that
    started before 0 gave an excerpt cited at -19:27, which is not the text there; paragraphs out of order or
    overlapping quoted the wrong paragraph as the excerpt's context. Refused at the door, and nothing is changed."""
    from qabot.errors import DocumentError

    with pytest.raises(DocumentError, match=f"^document 'p' of 'api/p': {error}") as raised:
        bot.upsert([Document(doc_id="ok", source="api/ok", text="The yak was named Bert."), document])
    assert "\n" not in str(raised.value)
    assert [s.source for s in bot.sources("api/")] == []
    fine = document.model_copy(update={"paragraphs": (Paragraph(start=0, end=27, number=1),
                                                      Paragraph(start=28, end=47, number=2)), "body_start": 0})
    assert bot.upsert([fine]).documents == 1  # a document's own paragraphs, in order, are taken as they are
    [excerpt] = bot.ask("When does the ferry run?", k=1, sources="api/p").excerpts
    assert _FERRY[excerpt.citation.start:excerpt.citation.end] == excerpt.text and excerpt.citation.start == 0
    assert bot.context(excerpt).paragraph == "The ferry runs on Tuesdays."


@pytest.mark.parametrize("field", ["number", "page", "group", "reply_to"])
@pytest.mark.parametrize("value", [2**40, -3])
def test_a_paragraph_number_the_index_cannot_store_is_refused_where_it_is_made(field: str, value: int) -> None:
    """A paragraph's numbers are stored as 32-bit integers, and -1 means none: a page of 2**40 failed deep in the
    update with numpy's OverflowError, and a group of -3 would have been stored as given. Refused at once instead,
    naming the field."""
    from pydantic import ValidationError

    fields = {"start": 0, "end": 5, "number": 1, field: value}
    with pytest.raises(ValidationError, match=rf"(?s)^1 validation error for Paragraph\n{field}\n"):
        Paragraph(**fields)
    assert Paragraph(**{**fields, field: 2**31 - 1}).model_dump()[field] == 2**31 - 1


@pytest.mark.parametrize(("text", "paragraphs", "error"), [
    ("x" * 10_001, None, r"its text is longer than 0.01 million characters \(QABOT_READER_MAX_TEXT_MB\)"),
    ("a\n\n" * 3000, None, (r"holds more than 80 paragraphs \(8,000 for each million characters of "
                            r"QABOT_READER_MAX_TEXT_MB\)")),
    ("a\n" * 81, tuple(Paragraph(start=2 * i, end=2 * i + 1, number=i + 1) for i in range(81)),
     r"holds more than 80 paragraphs \(8,000 for each million characters of QABOT_READER_MAX_TEXT_MB\)"),
])
def test_a_document_over_the_reader_limits_is_a_clear_error(make_corpus, fake_bot_for, text, paragraphs,
                                                             error) -> None:
    """A corpus file is bounded (QABOT_READER_*: its text, its paragraphs, its reading time); a document of the
    document API was not: 9 MB of one-letter lines took some 5 GB to describe (0.9 MB took 540 MB and 5 s). The same
    bounds hold for it now, with an error that names the setting, and nothing of the call is applied."""
    from qabot.errors import DocumentError

    bot = fake_bot_for(make_corpus(GOOD), reader_max_text_mb=0.01)
    with pytest.raises(DocumentError, match=f"^document 'big' of 'api/big': {error}$"):
        bot.upsert([Document(doc_id="ok", source="api/ok", text="The yak was named Bert."),
                    Document(doc_id="big", source="api/big", text=text, paragraphs=paragraphs)])
    assert [s.source for s in bot.sources("api/")] == []
    under = Document(doc_id="big", source="api/big", text=text[:200], paragraphs=paragraphs and paragraphs[:80])
    assert bot.upsert([under]).documents == 1  # within the limits: taken


def test_a_document_given_twice_in_one_call_is_a_clear_error(bot) -> None:
    """Two documents with the same source and id in one call: the last was kept and the first dropped without a
    word (which one the caller meant cannot be told). Refused now, naming it; with skip_bad, neither is taken and
    the version held is deleted, as for any document refused. The same id in two sources is two documents."""
    from qabot.errors import DocumentError

    bot.upsert(Document(doc_id="d1", source="api/a", text="The yak was named Bert."))
    twice = [Document(doc_id="d1", source="api/a", text="The yak was named Quintus."),
             Document(doc_id="d2", source="api/a", text="The zebra was named Ada."),
             Document(doc_id="d1", source="api/a", text="The yak was named Otto.")]
    with pytest.raises(DocumentError, match=r"^document 'd1' of 'api/a' is given more than once in this call$"):
        bot.upsert(twice)
    assert "Bert" in bot.ask("What was the yak named?", k=1, sources="api/").excerpts[0].text  # nothing applied
    result = bot.change(twice, skip_bad=True)
    assert result.skipped == ["document 'd1' of 'api/a' is given more than once in this call"] and result.documents == 1
    assert {e.citation.doc_id for e in bot.ask("What was the yak named?", k=5, sources="api/").excerpts} == {"d2"}
    both = [Document(doc_id="d1", source=f"api/{s}", text=f"The yak of {s} was named Bert.") for s in "bc"]
    assert bot.upsert(both).documents == 2


@pytest.mark.parametrize(("source", "plain"), [
    ("./good.txt", "'good.txt'"), ("/notes/today", "'notes/today'"), ("notes/today/", "'notes/today'"),
    ("notes//today", "'notes/today'"), ("notes/./today", "'notes/today'"), (" notes/today", "'notes/today'"),
    ("notes/../good.txt", None), ("/", None),
])
def test_a_document_source_that_is_not_a_plain_name_is_a_clear_error(bot, source, plain) -> None:
    """A document's source is named as a corpus file is ('/'-separated, from the corpus folder): './good.txt' was
    taken as another source than the corpus file good.txt (past the rule that the folder owns its files' names),
    and '/notes/today' could not be picked by its name (a scope's plain name loses its slashes). Refused now,
    naming the plain name to use; deleting a source by any name stays allowed where one holds documents (an older
    index may), and deleting one that holds none says so."""
    from qabot.errors import DocumentError

    with pytest.raises(DocumentError, match=(f"^document 'n1' of {source!r}: its source is not a plain name "
                                             r"\('/'-separated, without '\.', '\.\.', empty parts or a leading or "
                                             r"trailing '/' or space\)") + (f": write {plain}$" if plain else "$")):
        bot.upsert([Document(doc_id="ok", source="api/ok", text="The yak was named Bert."),
                    Document(doc_id="n1", source=source, text="The zebra was named Quintus.")])
    assert [s.source for s in bot.sources("api/")] == []
    with pytest.raises(DocumentError, match="is no document's source"):  # nothing holds it: no folder or pattern
        bot.delete(sources=[source])
    bot.upsert(Document(doc_id="n1", source="notes/today", text="The zebra was named Quintus."))
    assert [e.citation.source for e in bot.ask("What was the zebra named?", k=1, sources="/notes/").excerpts] == [
        "notes/today"]


def test_delete_of_something_not_ids_is_a_clear_error(bot) -> None:
    from qabot.errors import DocumentError

    with pytest.raises(DocumentError, match="doc_ids must be strings, not int"):
        bot.delete(5)
    with pytest.raises(DocumentError, match=r"doc_ids: 'z\\udc80' holds a lone surrogate"):
        bot.delete(["z1", "z\udc80"])
    with pytest.raises(DocumentError, match=r"sources: 'api/\\ud800' holds a lone surrogate"):
        bot.delete(sources="api/\ud800")
    # "" is a string: "must be strings" sent its caller looking for a wrong type; and which value it was is said
    with pytest.raises(DocumentError, match=r"^doc_ids must be non-empty strings, not ''$"):
        bot.delete("")
    with pytest.raises(DocumentError, match=r"^sources must be non-empty strings, not int$"):
        bot.delete(sources=["api/x", 7])


@pytest.mark.parametrize("given", [{"doc_id": "z1", "source": "api", "text": "The zebra was named Quintus."},
                                   b"The zebra was named Quintus."])
def test_upsert_of_a_mapping_or_text_names_what_was_given(bot, given) -> None:
    """A dict of a document's fields (or its text as bytes) was iterated: its keys, or its bytes, were the values, and
    the error said "not str" of a dict, "not int" of bytes."""
    from qabot.errors import DocumentError

    with pytest.raises(DocumentError, match=f"^upsert takes Document values \\(qabot.models.Document\\), not "
                                            f"{type(given).__name__}$"):
        bot.upsert(given)


def test_ask_after_close_is_a_clear_error(bot) -> None:
    from qabot.models import Document

    bot.close()
    added = Document(doc_id="z1", source="api", text="The zebra was named Quintus.")
    for call in (lambda: bot.ask("Who?"), bot.sources, lambda: bot.rank_documents("Who?"),
                 bot.refresh, lambda: bot.upsert([added]), lambda: bot.delete(["z1"]),  # nothing written once closed
                 lambda: bot.index):  # not a closed state, whose first use failed deep in sqlite3 (ProgrammingError)
        with pytest.raises(QABotError, match="closed"):
            call()
    assert bot.manifest.passages > 0  # what the index was, still there to read
    bot.close()  # closing twice is harmless


@pytest.mark.parametrize("n", [0, -1, 2.5, True])
def test_rank_documents_needs_n_of_at_least_1(bot, n) -> None:
    with pytest.raises(QuestionError, match="n must be"):
        bot.rank_documents("Who was married to Trotsky?", n=n)


@pytest.mark.parametrize("k", [0, -3, "5", 1.5])
def test_bad_k_is_a_clear_error(bot, k) -> None:
    with pytest.raises(QuestionError, match="k must be"):
        bot.ask("Who was married to Trotsky?", k=k)


def test_an_unknown_keyword_setting_is_a_clear_error(make_corpus, tmp_path) -> None:
    with pytest.raises(SettingsError, match="unknown setting 'corpus'"):
        QABot.from_settings(corpus=make_corpus(GOOD), index_dir=tmp_path / "idx", embedder=HashEmbedder())


def test_a_bot_made_of_something_else_is_a_clear_error(tmp_path) -> None:
    for settings, index in [(None, None), (str(tmp_path), str(tmp_path / "idx"))]:  # not an AttributeError
        with pytest.raises(SettingsError, match=r"takes a qabot.Settings and an open index, .*QABot.from_settings"):
            QABot(settings, index, HashEmbedder())


def test_context_of_something_else_is_a_clear_error(bot) -> None:
    with pytest.raises(QABotError, match="Excerpt"):
        bot.context("not an excerpt")
    excerpt = bot.ask("Who was married to Trotsky?", k=1).excerpts[0]
    with pytest.raises(QABotError, match="neighbours"):
        bot.context(excerpt, neighbours=-1)
    # Made from an answer's without pydantic's checks (model_copy, model_construct): a TypeError from the index.
    for update, message in [({"passage_id": None}, "this one's passage_id: Input should be a valid integer"),
                            ({"citation": None}, "this one's citation: "),
                            ({"citation": excerpt.citation.model_copy(update={"start": "x"})}, "citation.start: ")]:
        with pytest.raises(QABotError, match=re.escape(message)):
            bot.context(excerpt.model_copy(update=update))
    assert bot.context(excerpt).paragraph  # the answer's own is opened


# -- output is verbatim and inert ---------------------------------------------------------

HOSTILE = (
    "The signal was :thumbs_up: and the code 3:x:4 was sent.\x1b[2J\x1b]0;owned\x07 "
    "The keeper wrote [bold red]in red[/] at \x9b31m dawn."
)


def test_piped_ask_is_verbatim_and_inert(make_corpus, tmp_path) -> None:
    env = {**os.environ, "QABOT_CORPUS_DIR": str(make_corpus({"signal.txt": HOSTILE, **GOOD})),
           "QABOT_INDEX_DIR": str(tmp_path / "idx")}
    plain = subprocess.run([*FAKE_QABOT, "ask", "What was the signal code sent?", "--k", "1"],
                           capture_output=True, text=True, env=env, timeout=120)
    assert plain.returncode == 0, plain.stderr
    out = plain.stdout
    assert ":thumbs_up:" in out and "3:x:4" in out and "[bold red]in red[/]" in out  # no emoji, no markup
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out  # no escape reaches the terminal
    assert "␛[2J" in out and "␛]0;owned␇" in out and "\\x9b31m" in out  # shown, harmlessly
    as_json = subprocess.run([*FAKE_QABOT, "ask", "What was the signal code sent?", "--k", "1", "--json"],
                             capture_output=True, text=True, env=env, timeout=120)
    assert "\x1b" not in as_json.stdout and "\x9b" not in as_json.stdout
    assert json.loads(as_json.stdout)["excerpts"][0]["text"] == HOSTILE  # JSON still carries the exact text


def test_piped_repl_is_verbatim_and_inert(make_corpus, tmp_path) -> None:
    env = {**os.environ, "QABOT_CORPUS_DIR": str(make_corpus({"signal.txt": HOSTILE, **GOOD})),
           "QABOT_INDEX_DIR": str(tmp_path / "idx"), "XDG_STATE_HOME": str(tmp_path / "state")}
    result = subprocess.run([*FAKE_QABOT, "repl"], input=":k 1\nWhat was the signal code sent?\n:open 1\n:json\n",
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert ":thumbs_up:" in result.stdout and "3:x:4" in result.stdout
    assert "\x1b" not in result.stdout and "\x9b" not in result.stdout and "\x07" not in result.stdout


def test_the_terminal_shows_escapes_as_text(make_corpus, tmp_path) -> None:
    pexpect = pytest.importorskip("pexpect")
    env = {**os.environ, "QABOT_CORPUS_DIR": str(make_corpus({"signal.txt": HOSTILE, **GOOD})),
           "QABOT_INDEX_DIR": str(tmp_path / "idx"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(FAKE_QABOT[0], [*FAKE_QABOT[1:], "ask", "What was the signal code sent?", "--k", "1"],
                          env=env, dimensions=(40, 200), encoding="utf-8", timeout=120)
    child.expect(pexpect.EOF)
    shown = child.before
    assert "\x1b[1;33m" in shown  # rich's own styling is there: this is a terminal ...
    assert "\x1b[2J" not in shown and "\x1b]0;" not in shown and "\x9b" not in shown  # ... the document's is not
    assert "␛[2J" in shown and ":thumbs_up:" in shown and "[bold red]in red[/]" in shown


def test_a_file_name_with_escapes_is_inert_in_the_progress_bar_too(make_corpus, tmp_path) -> None:
    corpus = make_corpus({"zz\x1b]0;PWNED\x07\x1b[2J.txt": "The evil file says bananas are yellow.\n", **GOOD})
    env = {**os.environ, "QABOT_CORPUS_DIR": str(corpus), "QABOT_INDEX_DIR": str(tmp_path / "idx"),
           "TERM": "xterm-256color"}
    pexpect = pytest.importorskip("pexpect")  # in a terminal, where the bar is drawn (a log gets plain lines)
    child = pexpect.spawn(FAKE_QABOT[0], [*FAKE_QABOT[1:], "index"], env=env, dimensions=(40, 200), encoding="utf-8",
                          timeout=120)
    child.expect(pexpect.EOF)
    child.close()
    shown = child.before
    assert child.exitstatus == 0, shown
    assert "Indexing" in shown and "zz␛]0;PWNED␇␛[2J.txt" in shown  # the bar names it, harmlessly
    assert "\x1b]" not in shown and "\x1b[2J" not in shown and "\x07" not in shown


def test_invisible_marks_and_tags_are_shown_and_escaped_in_json() -> None:
    from qabot.text import json_safe, visible

    assert visible("a\u061cb\U000e0041c") == "a\\u061cb\\U000e0041c"  # the Arabic letter mark, a tag character
    encoded = json_safe(json.dumps({"t": "a\U000e0041\u061c"}, ensure_ascii=False))
    assert "\U000e0041" not in encoded and json.loads(encoded) == {"t": "a\U000e0041\u061c"}


def test_joined_emoji_and_persian_words_are_shown_as_written(make_corpus, fake_bot_for) -> None:
    """A zero-width joiner makes one emoji of several (a coder, a family) and a non-joiner keeps a Persian word's
    letters apart without a space; escaped, an excerpt read "🧑\\u200d💻" and "می\\u200cشود", on Discord too."""
    from qabot.adapters.discord.format import answer_embed
    from qabot.adapters.terminal import plain_answer
    from tests.test_discord_format import shown as displayed

    coder, family, scotland = "🧑\u200d💻", "👨\u200d👩\u200d👧", "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
    persian = "گنبد رصدخانه هنگام غروب باز می\u200cشود."
    text = (f"Chat rules\n\nThe coding channel is marked with {coder} and the family room with {family}. "
            f"The Scottish channel is marked with {scotland}. {persian}\n")
    bot = fake_bot_for(make_corpus({"rules.txt": text}), answer_threshold=0.0)
    answer = bot.ask("Which emoji marks the coding channel?")
    terminal = plain_answer(answer)
    discord = displayed(answer_embed(answer, shown=1).description)
    for shown in (terminal, discord):
        assert coder in shown and family in shown and scotland in shown and persian in shown
        assert "\\u200d" not in shown and "\\u200c" not in shown and "\\U000e" not in shown
    from qabot.text import visible

    # Not joining anything, they are still shown for what they are.
    assert visible("a\u200d b \u200cc \u200d") == "a\\u200d b \\u200cc \\u200d"
    assert visible("x\u200d\u202ey") == "x\\u200d\\u202ey"


def test_discord_output_escapes_control_characters() -> None:
    from qabot.adapters.discord.format import answer_embed
    from tests.answers import answer, excerpt
    from tests.test_discord_format import shown as displayed

    hostile = excerpt("x\x1b.txt", "Sec\x00tion", 1, "Before \x1b[2J.", "The code \x9b31m is :x:.", "After \u202e.")
    embed = answer_embed(answer().model_copy(update={"excerpts": [hostile]}), shown=1)
    shown = json.dumps(embed.to_dict(), ensure_ascii=False)
    assert "\x1b" not in shown and "\x9b" not in shown and "\u202e" not in shown and "\\u0000" not in shown
    assert "␛[2J" in displayed(embed.description)  # what Discord shows once it has read the escapes


# -- symlinks -----------------------------------------------------------------------------


def test_links_outside_the_corpus_are_skipped_unless_allowed(make_corpus, tmp_path, fake_bot_for, caplog) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwords.txt").write_text("The secret password is swordfish.")
    corpus = make_corpus(GOOD)
    (corpus / "link.txt").symlink_to(outside / "passwords.txt")
    (corpus / "folder").symlink_to(outside, target_is_directory=True)
    (corpus / "inside.txt").symlink_to(corpus / "good.txt")
    (corpus / "broken.txt").symlink_to(tmp_path / "nowhere.txt")
    bot = fake_bot_for(corpus)
    assert "skipping link.txt: a link to" in caplog.text and "outside the corpus folder" in caplog.text
    assert "skipping folder/: a link to" in caplog.text and "skipping broken.txt: a broken link" in caplog.text
    assert "skipping inside.txt: a link to good.txt, which is read under its own name" in caplog.text
    assert [s.source for s in bot.sources()] == ["good.txt"]  # one file, one source: no second copy of its excerpts
    assert all("swordfish" not in ex.text for ex in bot.ask("What is the secret password?", k=5).excerpts)
    allowed = make_bot(corpus, tmp_path / "idx2", HashEmbedder(), corpus_external_links=True)
    assert {s.source for s in allowed.sources()} == {"good.txt", "folder/passwords.txt"}
    assert "skipping link.txt: a link to folder/passwords.txt, which is read under its own name" in caplog.text
    allowed.close()


def test_a_linked_file_is_read_once_under_its_own_name_so_no_scope_gains_it(make_corpus, tmp_path, fake_bot_for,
                                                                             caplog) -> None:
    """A link in one folder to a file of another is no second copy (as a linked folder is not): the file keeps its
    own folder's scopes. Two links to one file outside the corpus, where allowed, read it once, under the first."""
    outside = tmp_path / "outside.txt"
    outside.write_text("The ferry to the island leaves at nine.", encoding="utf-8")
    corpus = make_corpus({"private/plans.txt": "The vault code is kept by the night guard."})
    (corpus / "public").mkdir()
    (corpus / "public" / "a.txt").symlink_to(corpus / "private" / "plans.txt")
    (corpus / "public" / "b.txt").symlink_to(outside)
    (corpus / "public" / "c.txt").symlink_to(outside)
    bot = make_bot(corpus, tmp_path / "idx", HashEmbedder(), corpus_external_links=True)
    try:
        assert [s.source for s in bot.sources()] == ["private/plans.txt", "public/b.txt"]
        assert "skipping public/c.txt: a link to the file public/b.txt links to, which is read under that name" in (
            caplog.text)
        assert all(ex.citation.source != "public/a.txt" for ex in bot.ask("Who keeps the vault code?", k=5,
                                                                         sources="public/").excerpts)
    finally:
        bot.close()


def test_a_linked_folder_is_read_under_its_own_name_however_deep(make_corpus, fake_bot_for) -> None:
    corpus = make_corpus({"a/own.txt": "Community A's crane lifted apples.",
                          "z/deep/private.txt": "Community Z's private crane lifted zinc."})
    (corpus / "a" / "link").symlink_to(corpus / "z" / "deep", target_is_directory=True)  # walked before z/ is
    bot = fake_bot_for(corpus)
    assert [s.source for s in bot.sources()] == ["a/own.txt", "z/deep/private.txt"]
    # So a scope of a/ does not quote z's file, and z/'s scope keeps it.
    answer = bot.ask("What did the crane lift?", sources="a/")
    assert answer.excerpts and all(not ex.citation.source.startswith("z/") for ex in answer.excerpts)
    assert [s.source for s in bot.sources("z/")] == ["z/deep/private.txt"]


def test_links_that_lead_to_each_other_are_named_a_loop_not_a_broken_link(make_corpus, fake_bot_for, caplog) -> None:
    corpus = make_corpus(GOOD)
    (corpus / "a.txt").symlink_to("b.txt")
    (corpus / "b.txt").symlink_to("a.txt")
    (corpus / "self").symlink_to("self", target_is_directory=True)
    (corpus / "gone.txt").symlink_to("nowhere.txt")
    bot = fake_bot_for(corpus)
    assert [s.source for s in bot.sources()] == ["good.txt"]
    loop = "a loop of links (Too many levels of symbolic links)"
    assert bot.manifest.skipped_messages() == [f"skipping a.txt: {loop}", f"skipping b.txt: {loop}",
                                               "skipping gone.txt: a broken link", f"skipping self: {loop}"]


def test_a_link_loop_is_read_once(make_corpus, fake_bot_for) -> None:
    corpus = make_corpus({"sub/a.txt": "The harbour was dredged in 1911."})
    (corpus / "sub" / "loop").symlink_to(corpus, target_is_directory=True)
    bot = fake_bot_for(corpus)
    assert [s.source for s in bot.sources()] == ["sub/a.txt"]


def test_folders_nested_deeper_than_pythons_recursion_limit_are_read(make_corpus, fake_bot_for) -> None:
    """Python 3.11's os.walk recursed once a folder: a thousand nested folders failed the whole build with a
    RecursionError ("unexpected RecursionError" from qabot index), not one file of the corpus indexed."""
    corpus = make_corpus({"top.txt": "The harbour was dredged in 1911."})
    deep = corpus
    for _ in range(sys.getrecursionlimit() + 50):  # not mkdir(parents=True): it recurses too
        deep = deep / "d"
        deep.mkdir()
    (deep / "bottom.txt").write_text("The lighthouse keeper kept bees.", encoding="utf-8")
    try:
        bot = fake_bot_for(corpus)
        assert [s.source for s in bot.sources()] == ["d/" * (sys.getrecursionlimit() + 50) + "bottom.txt", "top.txt"]
    finally:  # shutil.rmtree recurses too: pytest could not remove the folder
        (deep / "bottom.txt").unlink()
        while deep != corpus:
            deep.rmdir()
            deep = deep.parent



def test_a_docs_folder_of_images_is_summed_up_in_one_line_a_type(make_corpus, tmp_path) -> None:
    """A project's docs folder holds its pages and, beside them, a few hundred images: one line says so, not one each;
    files that could not be read are still named one by one, and a type with only a few files names each."""
    images = {f"img/figure{n:03}.png": b"\x89PNG\r\n\x1a\n" for n in range(40)}
    corpus = make_corpus({**GOOD, **images, "custom.js": "init()", "theme.css": "a{}", "bad.txt": b"\xc3\x28 not UTF-8"})
    env = {**os.environ, "QABOT_CORPUS_DIR": str(corpus), "QABOT_INDEX_DIR": str(tmp_path / "idx")}
    done = subprocess.run([*FAKE_QABOT, "index"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert "Skipped 43:" in lines
    pngs = [line for line in lines if ".png" in line]
    reads = "(qabot reads .docx, .eml, .htm, .html, .json, .jsonl, .mbox, .md, .mdx, .pdf, .txt and .xhtml)"
    assert pngs == [f"  skipping 40 .png files (img/figure000.png, img/figure001.png and 38 more): unknown file type {reads}"]
    assert any(line.startswith("  skipping custom.js: unknown file type") for line in lines)
    assert any(line.startswith("  skipping theme.css: unknown file type") for line in lines)
    assert "  skipping bad.txt: not valid UTF-8 text" in done.stderr


def test_skip_warnings_are_grouped_by_type_in_their_place() -> None:
    from qabot.corpus import grouped

    why = "(qabot reads .md and .txt)"
    unread = [f"skipping LICENSE{n}: unknown file type {why}" for n in range(5)]
    messages = ["skipping a/: a broken link", *unread[:2], f"skipping x.png: unknown file type {why}", *unread[2:],
                "skipping big.txt: larger than 50 MB"]
    assert grouped(messages) == [
        "skipping a/: a broken link",
        f"skipping 5 files without a suffix (LICENSE0, LICENSE1 and 3 more): unknown file type {why}",
        f"skipping x.png: unknown file type {why}",
        "skipping big.txt: larger than 50 MB",
    ]
    assert grouped(unread[:3]) == unread[:3]  # a few are named each
