"""One contract, both engines: add, replace, delete, restart, a crash in the middle of a change, fallback, atomicity.

Each test runs on the embedded engine (segments in the index folder) and on Milvus (a
Milvus Lite server in its own process, as a deployment would run it), through the same
lifecycle (``qabot.index.living``) and the public API: the corpus folder, ``refresh``,
``upsert`` and ``delete``. The fake embedder stands in for the model, which is not
what is tested here.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from qabot import Document, DocumentError, IndexStoreError, Outcome, Paragraph
from tests import documents
from tests.conftest import REPO, make_bot
from tests.fakes import HashEmbedder

ENGINES = ["faiss", "milvus"]
# For the longest tests, the Milvus half (some ten seconds each: Milvus Lite is slow to make and load collections) runs
# in make test-slow; make test keeps their behaviour on FAISS, and the document API's basics on both.
MILVUS_SLOW = pytest.mark.parametrize("engine", ["faiss", pytest.param("milvus", marks=pytest.mark.slow)],
                                      indirect=True)
BOUND = 60.0


@pytest.fixture(params=ENGINES)
def engine(request, tmp_path) -> dict:
    """Settings for one engine; for Milvus, a Milvus Lite server of its own."""
    if request.param == "faiss":
        return {}
    pytest.importorskip("pymilvus", reason="the milvus extra is not installed (pip install -e '.[milvus]')")
    pytest.importorskip("milvus_lite", reason="Milvus Lite is not installed (it runs on Linux and macOS only)")
    import socket

    from tests.test_milvus import _answers

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("milvus-lite")), "server", "--data-dir", str(tmp_path / "milvus"),
         "--host", "127.0.0.1", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not _answers(uri):
        assert proc.poll() is None and time.monotonic() < deadline, "milvus-lite server did not start"
        time.sleep(0.2)
    request.addfinalizer(lambda: (proc.kill(), proc.wait()))
    return {"vector_store": "milvus", "milvus_uri": uri}


CORPUS = {
    "keepers.txt": "The first keeper was Tobias Wren.\n\nHe kept the light for forty years.\n",
    "harbour.txt": "The harbour was dredged in 1911 so that larger ships could dock.\n",
    "ferries.jsonl": '{"_id": "f1", "title": "Ferries", "text": "The ferry to Arnsay ran twice a day."}\n'
                     '{"_id": "f2", "title": "Mail", "text": "Mail came by the ferry every Tuesday."}\n',
}


def _bot(corpus: Path, tmp_path: Path, engine: dict, **overrides):
    return make_bot(corpus, tmp_path / "idx", overrides.pop("embedder", HashEmbedder()), answer_threshold=0.0,
                    **engine, **overrides)


def _top(bot, question: str) -> str:
    answer = bot.ask(question, k=1)
    return answer.excerpts[0].text if answer.excerpts else ""


def _message(doc_id: str, text: str, author: str = "Ana") -> Document:
    """A chat message as the document API takes it: a small document with its author, date and link."""
    link = f"https://discord.com/channels/1/2/{doc_id}"
    body = f"{author}: {text}"
    return Document(doc_id=doc_id, source="discord/1/2", title="#help", text=body, paragraphs=(
        Paragraph(start=0, end=len(body), number=1, author=author, date="2024-05-01T18:02:00+00:00", url=link),))


def test_files_added_replaced_and_removed(make_corpus, tmp_path, engine) -> None:
    corpus = make_corpus(CORPUS)
    bot = _bot(corpus, tmp_path, engine)
    try:
        (corpus / "bell.txt").write_text("The fog bell was cast in Glasgow in 1890.\n")
        (corpus / "keepers.txt").write_text("The first keeper was Tobias Wren.\n\nHis sister Ingrid painted it blue.\n")
        (corpus / "ferries.jsonl").write_text(
            '{"_id": "f1", "title": "Ferries", "text": "The ferry to Arnsay ran twice a day."}\n'
            '{"_id": "f2", "title": "Mail", "text": "Mail came by seaplane every Thursday."}\n')
        (corpus / "harbour.txt").unlink()
        result = bot.refresh()
        # Only what changed was written: the new file, the edited one, one line of the .jsonl.
        assert result.outcome is Outcome.UPDATED and result.documents == 3 and result.deleted == 3
        assert "Glasgow" in _top(bot, "Where was the fog bell cast?")
        assert "Ingrid" in _top(bot, "Who painted it blue?")
        assert "seaplane" in _top(bot, "How did the mail come?")
        assert "dredged" not in _top(bot, "When was the harbour dredged?")
        assert {s.source for s in bot.sources()} == {"bell.txt", "keepers.txt", "ferries.jsonl"}
        assert bot.manifest.documents == 4 and bot.refresh().outcome is Outcome.UNCHANGED
    finally:
        bot.close()


def test_what_a_change_takes_out_is_not_kept_in_the_search_caches(make_corpus, tmp_path) -> None:
    """The search keeps what it read of messages and sentences (``engine.forgets_on_change``) beyond one state of
    the index: a forgotten member's or a deleted message's text must not stay there once the change is served."""
    from qabot.index import engine as engines
    from qabot.search import exchange

    def held() -> dict[str, int]:
        return {clear.__self__.__wrapped__.__name__: clear.__self__.cache_info().currsize  # type: ignore[attr-defined]
                for clear in engines._TEXT_CACHES}

    assert {"_facts", "thanks", "_terms", "dedup_key", "_found"} <= set(held())
    corpus = make_corpus(CORPUS)
    documents.write_export(corpus / "help.json", [
        documents.message("9001", "Ana", "when was the lighthouse lamp last changed?", documents._at(0, 5)),
        documents.message("9002", "Bo", "@Ana the lamp was changed in 1998, with a fresnel lens",
                          documents._at(1, 0), reply_to="9001", mentions=("Ana",)),
    ])
    bot = _bot(corpus, tmp_path, {})
    try:
        assert bot.ask("When was the lighthouse lamp changed?", k=3).answered
        assert exchange._facts.cache_info().currsize and held()["dedup_key"]
        bot.upsert(_message("101", "the foghorn sounds every thirty seconds"))  # any change served
        assert set(held().values()) == {0}
    finally:
        bot.close()


def test_documents_upserted_replaced_and_deleted_through_the_api(make_corpus, tmp_path, engine) -> None:
    corpus = make_corpus(CORPUS)
    bot = _bot(corpus, tmp_path, engine)
    try:
        first = bot.upsert([_message("101", "try sudo apt install ntpdate to fix the clock"),
                            _message("102", "the lighthouse lamp uses a fresnel lens", author="Bo")])
        assert first.outcome is Outcome.UPDATED and first.documents == 2
        answer = bot.ask("How do I fix the clock?", k=1)
        ex = answer.excerpts[0]
        assert "ntpdate" in ex.text and ex.citation.source == "discord/1/2" and ex.citation.doc_id == "101"
        assert ex.citation.author == "Ana" and ex.citation.link == "https://discord.com/channels/1/2/101"
        assert bot.upsert([_message("101", "try sudo apt install ntpdate to fix the clock")]).outcome \
            is Outcome.UNCHANGED  # the same document again: nothing written
        assert bot.upsert(_message("101", "edited: use timedatectl set-ntp true for the clock")).documents == 1
        assert "timedatectl" in _top(bot, "How do I fix the clock?")
        assert "ntpdate" not in " ".join(e.text for e in bot.ask("ntpdate clock", k=5).excerpts)
        assert bot.manifest.api_documents == 2
        assert bot.delete(["102"]).deleted == 1
        assert "fresnel" not in " ".join(e.text for e in bot.ask("fresnel lens lamp", k=5).excerpts)
        assert bot.delete(sources=["discord/1/2"]).deleted == 1 and bot.manifest.api_documents == 0
        assert "timedatectl" not in " ".join(e.text for e in bot.ask("timedatectl clock", k=5).excerpts)
        with pytest.raises(DocumentError, match="corpus folder"):
            bot.upsert(Document(doc_id="x", source="keepers.txt", text="a corpus file's name is the folder's"))
        with pytest.raises(DocumentError, match="corpus folder"):
            bot.delete(sources=["keepers.txt"])
        assert "Tobias" in _top(bot, "Who was the first keeper?")
    finally:
        bot.close()


@pytest.mark.parametrize("name", ["discord/1/", "discord/1/*", "/discord/1/2", "discord/**"])
def test_deleting_a_folder_or_a_pattern_of_sources_is_refused_not_silently_nothing(name, make_corpus, tmp_path) -> None:
    """``ask(sources=...)`` reads "discord/1/" as a folder and "discord/1/*" as a glob; ``delete(sources=...)`` takes
    exact names, and given those deleted nothing and said "unchanged": the caller believed a server's messages gone
    while every answer could still quote them."""
    bot = _bot(make_corpus(CORPUS), tmp_path, {})
    try:
        bot.upsert([_message("101", "the lighthouse lamp uses a fresnel lens"),
                    _message("102", "the ferry leaves at noon").model_copy(update={"source": "discord/1/3"})])
        with pytest.raises(DocumentError, match="exact names.*nothing was deleted"):
            bot.delete(sources=[name])
        with pytest.raises(DocumentError, match="exact names"):
            bot.change(delete_sources=["discord/1/2", name])  # nothing of the change is applied
        assert "fresnel" in _top(bot, "What lens does the lamp use?")
        assert bot.delete(sources=["discord/1/2", "discord/1/3"]).deleted == 2
        assert bot.delete(sources=["discord/1/2"]).outcome is Outcome.UNCHANGED  # an exact name: deleted already
    finally:
        bot.close()


@MILVUS_SLOW
def test_a_change_that_skips_bad_documents_applies_the_rest_and_says_why(make_corpus, tmp_path, engine) -> None:
    """A chat's history goes on past one exchange the index cannot take: with ``skip_bad`` the change is applied
    without each document it refuses (over the reader limits, paragraphs outside its text, what Milvus cannot
    store, a corpus file's source), ``skipped`` says why, one line each, and the version the index held of a
    refused document is gone (a member who edited a code out must not be quoted as they were)."""
    bot = _bot(make_corpus(CORPUS), tmp_path, engine, reader_max_text_mb=0.001)  # 1,000 characters a document
    milvus = bool(engine)
    try:
        bot.upsert([_message("101", "the door code is 4411"), _message("102", "the quay was dredged in 1911")])
        long = _message("101", "ask the warden for the door code " + "please " * 200)
        misplaced = _message("102", "the quay was dredged in 1912").model_copy(
            update={"paragraphs": (Paragraph(start=0, end=10**6, number=1),)})
        titled = _message("104", "the fog bell was cast in Glasgow").model_copy(update={"title": "t" * 5000})
        owned = Document(doc_id="105", source="keepers.txt", text="a corpus file's name is the folder's")
        documents = [long, misplaced, _message("103", "the lamp uses a fresnel lens"), titled, owned]
        with pytest.raises(DocumentError, match="^document '102' of 'discord/1/2': paragraph 1 spans 0:1000000"):
            bot.change(documents)  # by default, nothing of the change is applied
        result = bot.change(documents, skip_bad=True)
        assert result.outcome is Outcome.UPDATED and result.documents == 2 - milvus and result.deleted == 2
        assert sorted(line.split(":")[0] for line in result.skipped) == [
            *(["discord/1/2 document '104'"] if milvus else []), "document '101' of 'discord/1/2'",
            "document '102' of 'discord/1/2'",
            "source 'keepers.txt' is a file of the corpus folder, which owns its documents"]
        assert all("\n" not in line for line in result.skipped)
        assert "fresnel" in _top(bot, "What lens does the lamp use?")
        assert ("Glasgow" in _top(bot, "Where was the fog bell cast?")) is not milvus
        assert not {"101", "102"} & {e.citation.doc_id for e in bot.ask("door code quay dredged", k=10).excerpts}
        assert bot.manifest.api_documents == 2 - milvus and "Tobias" in _top(bot, "Who was the first keeper?")
        assert bot.change([long], skip_bad=True).outcome is Outcome.UNCHANGED  # nothing held of it any more
    finally:
        bot.close()


@pytest.mark.parametrize(("update", "named"), [
    ({"doc_id": 1235}, "doc_id"), ({"text": None}, "text"), ({"url": 5}, "url"), ({"paragraphs": ((0, 6),)}, "paragraphs.0"),
    ({"paragraphs": (Paragraph(start=0, end=6, number=1).model_copy(update={"author": 7}),)}, "paragraphs.0.author")])
def test_a_document_copied_with_fields_of_the_wrong_type_is_refused_in_one_line(update, named, make_corpus,
                                                                                  tmp_path) -> None:
    """``model_copy(update=...)`` (as the README edits a message) and ``model_construct`` skip pydantic's checks: an
    int id crashed the upsert in ``str.strip``, a paragraph's ``author=7`` was stored and then every question failed
    with a TypeError, and ``url=5`` was cited as the link "5". Each is a ``DocumentError`` naming the field, and with
    ``skip_bad`` the rest of the change is applied."""
    bot = _bot(make_corpus(CORPUS), tmp_path, {})
    try:
        bad = _message("101", "the door code is 4411").model_copy(update=update)
        with pytest.raises(DocumentError, match=f"^document .*: {named}: .*got ") as refused:
            bot.upsert([bad])
        assert "\n" not in str(refused.value)
        result = bot.change([bad, _message("102", "the lamp uses a fresnel lens")], skip_bad=True)
        assert result.documents == 1 and len(result.skipped) == 1 and named in result.skipped[0]
        assert "fresnel" in _top(bot, "What lens does the lamp use?") and "Tobias" in _top(bot, "Who was the first keeper?")
    finally:
        bot.close()


@MILVUS_SLOW
def test_a_document_with_no_text_is_refused_as_other_bad_documents_are(make_corpus, tmp_path, engine) -> None:
    """A document of the API whose text was empty or only whitespace was taken: counted as written and as one of
    the API's documents, listed by ``sources()`` with no passage, and it replaced the version the index held (a
    message whose text failed to arrive made the old one vanish without a word). It is refused, in one line naming
    it, as other bad documents are; with ``skip_bad`` it is left out and the version held of it deleted."""
    bot = _bot(make_corpus(CORPUS), tmp_path, engine)
    try:
        bot.upsert([_message("101", "the door code is 4411")])
        for text in ("", " \n\t\u3000 "):
            blank = Document(doc_id="101", source="discord/1/2", text=text)
            with pytest.raises(DocumentError) as refused:
                bot.upsert(blank)
            assert str(refused.value).startswith("document '101' of 'discord/1/2': its text is empty")
            assert "\n" not in str(refused.value)
            with pytest.raises(DocumentError, match="^document '101' of 'discord/1/2': its text is empty"):
                bot.change([blank, _message("103", "the lamp uses a fresnel lens")])  # nothing of the call applied
            assert "4411" in _top(bot, "What is the door code?") and bot.manifest.api_documents == 1
        result = bot.change([Document(doc_id="101", source="discord/1/2", text="  "),
                             _message("103", "the lamp uses a fresnel lens")], skip_bad=True)
        assert result.outcome is Outcome.UPDATED and result.documents == 1 and result.deleted == 1
        [why] = result.skipped
        assert why.startswith("document '101' of 'discord/1/2': its text is empty")
        assert "fresnel" in _top(bot, "What lens does the lamp use?") and bot.manifest.api_documents == 1
        assert "101" not in {e.citation.doc_id for e in bot.ask("door code", k=10).excerpts}
        assert [s.passages > 0 for s in bot.sources() if s.source == "discord/1/2"] == [True]
    finally:
        bot.close()


@MILVUS_SLOW
def test_a_restart_keeps_what_the_api_added_and_reads_nothing_again(make_corpus, tmp_path, engine) -> None:
    corpus = make_corpus(CORPUS)
    bot = _bot(corpus, tmp_path, engine)
    bot.upsert([_message("201", "the keeper's cat was called Smokey")])
    build = bot.manifest.build
    bot.close()
    again = _bot(corpus, tmp_path, engine)
    try:
        assert again.living.last.outcome is Outcome.UNCHANGED and again.manifest.build == build
        assert "Smokey" in _top(again, "What was the cat called?")
        # A rebuild (here: asked for) indexes the API's documents again, with their citations.
        again.refresh(rebuild=True)
        ex = again.ask("What was the cat called?", k=1).excerpts[0]
        assert "Smokey" in ex.text and ex.citation.link == "https://discord.com/channels/1/2/201"
        assert again.manifest.api_documents == 1
    finally:
        again.close()


_CHILD = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from tests.conftest import make_bot
from tests.fakes import HashEmbedder
from qabot import Document
corpus, index, marker, store, uri = sys.argv[2:7]
engine = {"vector_store": "milvus", "milvus_uri": uri} if store == "milvus" else {}
bot = make_bot(Path(corpus), Path(index), HashEmbedder(), answer_threshold=0.0, **engine)
bot.embedder.delay = 3.0  # each model call: slow enough to be killed between them
Path(marker).write_text("started")
bot.upsert([Document(doc_id=f"m{i}", source="discord/9/9", text=f"Half-written message {i} about zebras.")
            for i in range(1500)])
"""


@MILVUS_SLOW
def test_a_change_killed_half_way_loses_nothing_and_the_next_one_cleans_up(make_corpus, tmp_path, engine) -> None:
    corpus = make_corpus(CORPUS)
    bot = _bot(corpus, tmp_path, engine)
    build = bot.manifest.build
    bot.close()
    marker = tmp_path / "started"
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(REPO), str(corpus), str(tmp_path / "idx"), str(marker),
                              "milvus" if engine else "faiss", engine.get("milvus_uri", "")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + BOUND
    while not marker.exists():
        assert child.poll() is None and time.monotonic() < deadline, "the change never began"
        time.sleep(0.05)
    time.sleep(4.5)  # the first batch embedded and written, the second being embedded
    assert child.poll() is None, "the change finished before it could be killed"
    child.send_signal(signal.SIGKILL)
    child.wait()
    again = _bot(corpus, tmp_path, engine)
    try:
        assert again.manifest.build == build  # the last good state, whole
        assert "zebras" not in " ".join(e.text for e in again.ask("zebras", k=5).excerpts)
        assert again.upsert([_message("301", "the zebras were a joke")]).outcome is Outcome.UPDATED
        texts = [e.text for e in again.ask("zebras", k=5).excerpts]
        assert any("joke" in t for t in texts) and not any("Half-written" in t for t in texts)
        assert again.manifest.documents == 5 and not list((tmp_path / "idx").glob(".tmp-*"))
    finally:
        again.close()


@MILVUS_SLOW
def test_a_change_that_fails_leaves_the_last_good_state_serving(make_corpus, tmp_path, engine, monkeypatch) -> None:
    from qabot.index.manifest import Manifest

    corpus = make_corpus(CORPUS)
    notes: list[str] = []
    bot = _bot(corpus, tmp_path, engine, notify=notes.append)
    try:
        from qabot.index.embedded.writer import EmbeddedTransaction
        from qabot.index.milvus.writer import MilvusTransaction

        def refuse(self, manifest: Manifest) -> Manifest:
            raise OSError(28, "No space left on device")

        transaction = MilvusTransaction if engine else EmbeddedTransaction
        original = transaction.commit
        monkeypatch.setattr(transaction, "commit", refuse)
        (corpus / "harbour.txt").write_text("The harbour was dredged again in 1950.\n")
        result = bot.refresh()
        assert result.outcome is Outcome.FAILED and "No space left on device" in result.reason
        assert any("could not update the index" in n for n in notes)
        assert "1911" in _top(bot, "When was the harbour dredged?")
        with pytest.raises(IndexStoreError, match="No space left on device"):
            bot.upsert([_message("401", "never written")])
        monkeypatch.setattr(transaction, "commit", original)
        assert bot.refresh().outcome is Outcome.UPDATED and "1950" in _top(bot, "When was the harbour dredged?")
    finally:
        bot.close()



def test_close_from_a_callback_of_a_change_is_refused_and_leaves_the_bot_whole(make_corpus, tmp_path) -> None:
    """``close()`` from a ``warn`` callback (a change under way, holding the lock) raised, but only after it had
    marked the index closed and stopped its watch: every question after it was refused, and the engine was never
    closed (a second ``close()`` returned at once), its files and leases held. It is refused before anything is
    done; the change goes on, and ``close()`` once it has returned closes the bot."""
    from qabot import QABotError

    corpus = make_corpus(CORPUS)
    bot = _bot(corpus, tmp_path, {})
    refused: list[str] = []

    def close_now(line: str) -> None:
        try:
            bot.close()
        except QABotError as exc:
            refused.append(str(exc))

    bot.living.warn = close_now
    (corpus / "photo.png").write_bytes(b"\x89PNG")  # a file skipped: the change warns while it holds the lock
    (corpus / "harbour.txt").write_text("The harbour was dredged again in 1950.\n")
    try:
        assert bot.refresh().outcome is Outcome.UPDATED
        assert "1950" in _top(bot, "When was the harbour dredged?")  # not closed
        assert len(refused) == 1 and "cannot be closed from within a change" in refused[0]
    finally:
        bot.close()
    with pytest.raises(QABotError, match="closed"):
        bot.ask("When was the harbour dredged?")
    assert not bot.living.engine._segments  # its files let go of


def test_a_warning_callback_that_raises_leaves_nothing_of_the_change_held(make_corpus, tmp_path) -> None:
    """A change says what listing skipped before it reads anything: a ``warn`` callback that raised there (a bug in
    it, or a Ctrl-C as it printed) left the change's snapshot of the index held for good, so that the segments it
    read were never let go: their files stayed on disk after the documents they held were deleted and purged."""
    from tests.test_discord_history import on_disk

    corpus = make_corpus(CORPUS)
    bot = _bot(corpus, tmp_path, {})
    try:
        bot.upsert([_message("101", "the Zanzibarquux foghorn sounds every thirty seconds"),
                    _message("102", "the lamp is lit at dusk", author="Bo")])

        def interrupted(_message: str) -> None:
            raise KeyboardInterrupt

        bot.living.warn = interrupted
        (corpus / "chart.xyz").write_bytes(b"\x00\x01")  # a type no reader reads: listing says so, first
        (corpus / "harbour.txt").write_text("The harbour was dredged again in 1950.\n")
        with pytest.raises(KeyboardInterrupt):
            bot.refresh()
        bot.living.warn = None
        bot.delete(["101"])
        assert bot.purge() and not on_disk(tmp_path / "idx", "Zanzibarquux")
        assert bot.refresh().outcome is Outcome.UPDATED and "1950" in _top(bot, "When was the harbour dredged?")
    finally:
        bot.close()

def _unlisted(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """``folder`` cannot be listed (a permission changed, a stale network mount), as root sees it too."""
    import errno
    import os

    real = os.scandir

    def scandir(path=".", *args, **kwargs):
        if isinstance(path, str | os.PathLike) and os.fspath(path) == os.fspath(folder):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)


@MILVUS_SLOW
@pytest.mark.parametrize("unlisted", [".", "log"])
def test_a_folder_that_cannot_be_listed_is_not_its_files_removed(unlisted, make_corpus, tmp_path, engine,
                                                                   monkeypatch) -> None:
    """The corpus folder (or one below it) that cannot be listed was only skipped with a warning, and every file in
    it was taken for removed: the next start, or the watch's next refresh, deleted them from the index, and every
    question got "Not found". What it holds is unknown, not gone: the change fails, and the last good index serves."""
    corpus = make_corpus({**CORPUS, "log/1890.txt": "The fog bell was cast in Glasgow in 1890.\n"})
    notes: list[str] = []
    bot = _bot(corpus, tmp_path, engine, notify=notes.append)
    try:
        (corpus / "harbour.txt").write_text("The harbour was dredged again in 1950.\n")
        with monkeypatch.context() as patch:
            _unlisted(patch, corpus / unlisted)
            result = bot.refresh()
            assert result.outcome is Outcome.FAILED and "cannot list" in result.reason
            assert "Permission denied" in result.reason and "indexed file(s)" in result.reason
            [said] = [n for n in notes if "could not update the index" in n]
            assert "the last good index keeps serving" in said and "\n" not in said
            assert "Glasgow" in _top(bot, "Where was the fog bell cast?") and bot.manifest.documents == 5
            bot.close()
            notes.clear()
            bot = _bot(corpus, tmp_path, engine, notify=notes.append)  # a start finds the same
            assert any("cannot list" in n for n in notes) and bot.manifest.documents == 5
            assert "Glasgow" in _top(bot, "Where was the fog bell cast?")
        assert bot.refresh().outcome is Outcome.UPDATED  # listed again: the change is applied
        assert "1950" in _top(bot, "When was the harbour dredged?") and bot.manifest.documents == 5
    finally:
        bot.close()


def test_a_rebuild_no_one_asked_for_takes_no_corpus_folder_that_did_not_mount(make_corpus, tmp_path) -> None:
    """A new index format rebuilds every index at its next start: with the share not mounted, that rebuild committed
    an index of the document API's documents alone, the corpus gone and its segments deleted, with no word."""
    import json

    corpus = make_corpus({"harbour.txt": "The harbour was dredged in 1911 so that larger ships could dock.\n",
                          "keepers.txt": "The first keeper was Tobias Wren.\n"})
    bot = make_bot(corpus, tmp_path / "idx", HashEmbedder(), answer_threshold=0.0)
    bot.upsert([Document(doc_id="m1", source="discord/1/2", text="Ana said the ferry runs on Tuesdays.")])
    bot.close()
    manifest = tmp_path / "idx" / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "format_version": 1}))  # the release before's
    corpus.rename(tmp_path / "share")
    corpus.mkdir()  # the mount point, the share not mounted on it
    notes: list[str] = []
    bot = make_bot(corpus, tmp_path / "idx", HashEmbedder(), answer_threshold=0.0, notify=notes.append)
    try:
        assert "1911" in bot.ask("When was the harbour dredged?", k=1).excerpts[0].text, notes
        assert any("has no files now" in note for note in notes), notes
    finally:
        bot.close()


@MILVUS_SLOW
def test_a_corpus_folder_suddenly_empty_keeps_the_last_good_index_until_qabot_index(make_corpus, tmp_path, engine,
                                                                                   monkeypatch) -> None:
    """A corpus folder that is a mount point whose share did not mount is an empty folder: a first build refuses it,
    but an update deleted every file from the index. Every file gone at once, from a folder now empty, is served only
    when asked for (qabot index); files deleted one at a time while qabot runs are taken out as they go."""
    from qabot import load_settings
    from qabot.index import LivingIndex

    corpus = make_corpus(CORPUS)
    (tmp_path / "share").mkdir()
    bot = _bot(corpus, tmp_path, engine)
    bot.close()
    corpus.rename(tmp_path / "share" / "docs")
    corpus.mkdir()  # the mount point, the share not mounted on it
    notes: list[str] = []
    bot = _bot(corpus, tmp_path, engine, notify=notes.append)
    try:
        [said] = notes
        assert said.startswith(f"could not update the index (corpus folder {str(corpus)!r} has no files now, where "
                               "the index holds 3 (") and "qabot index" in said
        assert "1911" in _top(bot, "When was the harbour dredged?")
        for path in (tmp_path / "share" / "docs").iterdir():
            path.rename(corpus / path.name)
        assert bot.refresh().outcome is Outcome.UNCHANGED
        for path in corpus.iterdir():
            path.unlink()  # all at once
        assert bot.refresh().outcome is Outcome.FAILED and bot.manifest.documents == 4
    finally:
        bot.close()
    settings = load_settings(_env_file=None, corpus_dir=corpus, index_dir=tmp_path / "idx", **engine)
    index = LivingIndex.open(settings, HashEmbedder(), progress=False, fallback=False)  # what qabot index does
    try:
        assert index.last.outcome is Outcome.UPDATED and index.manifest.passages == 0
    finally:
        index.close()
    corpus.joinpath("bell.txt").write_text("The fog bell was cast in Glasgow in 1890.\n")
    corpus.joinpath("lamp.txt").write_text("The lamp burned paraffin until 1952.\n")
    bot = _bot(corpus, tmp_path, engine)
    try:
        for name in ("bell.txt", "lamp.txt"):  # one at a time, while it runs
            corpus.joinpath(name).unlink()
            assert bot.refresh().outcome is Outcome.UPDATED
        assert bot.manifest.passages == 0 and _top(bot, "When did the lamp burn paraffin?") == ""
    finally:
        bot.close()

def test_a_question_never_sees_half_a_change(make_corpus, tmp_path, engine) -> None:
    corpus = make_corpus(CORPUS)
    bot = _bot(corpus, tmp_path, engine, embedder=HashEmbedder())
    bot.upsert([_message(f"5{i:02d}", f"version one of note {i} about the quay") for i in range(40)])
    seen: list[set[str]] = []
    stop = threading.Event()

    def ask() -> None:
        while not stop.is_set():
            texts = " ".join(e.text for e in bot.ask("note about the quay", k=10).excerpts)
            seen.append({v for v in ("version one", "version two") if v in texts})

    asker = threading.Thread(target=ask)
    asker.start()
    try:
        bot.embedder.delay = 0.05
        bot.upsert([_message(f"5{i:02d}", f"version two of note {i} about the quay") for i in range(40)])
    finally:
        stop.set()
        asker.join()
    try:
        bot.embedder.delay = 0.0
        after = " ".join(e.text for e in bot.ask("note about the quay", k=10).excerpts)
        assert "version two" in after and "version one" not in after
    finally:
        bot.close()
    assert len(seen) > 2 and all(len(versions) == 1 for versions in seen), [s for s in seen if len(s) != 1][:3]
    assert seen[0] == {"version one"}


@MILVUS_SLOW
def test_a_document_moved_to_another_id_is_never_missing(make_corpus, tmp_path, engine, monkeypatch) -> None:
    """``change``: deletions and upserts in one commit. A Discord exchange that moves (into the thread made of its
    question) was a delete, then an upsert: a question between the two commits found it nowhere."""
    corpus = make_corpus(CORPUS)
    bot = _bot(corpus, tmp_path, engine, embedder=HashEmbedder())
    bot.upsert([_message("701", "the quay key hangs in the harbour office")])
    embed = bot.embedder.embed

    def slow_to_write(texts):  # the change takes a while; the questions asked meanwhile do not
        if any("tide tables" in text for text in texts):
            time.sleep(0.5)
        return embed(texts)

    monkeypatch.setattr(bot.embedder, "embed", slow_to_write)
    seen: list[list[str]] = []
    stop = threading.Event()

    def ask() -> None:
        while not stop.is_set():
            seen.append([e.citation.doc_id for e in bot.ask("where is the quay key", k=5).excerpts
                         if "quay key" in e.text])

    asker = threading.Thread(target=ask)
    asker.start()
    try:
        result = bot.change([_message("702", "the quay key hangs in the harbour office, by the tide tables")],
                            delete=["701"])
    finally:
        stop.set()
        asker.join()
    try:
        assert result.outcome is Outcome.UPDATED and (result.documents, result.deleted) == (1, 1)
        assert bot.manifest.api_documents == 1
        assert len(seen) > 5 and all(seen), [s for s in seen if not s][:3]
        assert seen[0] == ["701"] and _found(bot, "where is the quay key") == ["702"]
        # All of it, or none: an upsert refused leaves the deletion undone too.
        with pytest.raises(DocumentError, match="corpus folder"):
            bot.change([Document(doc_id="x", source="keepers.txt", text="a corpus file's")], delete=["702"])
        assert _found(bot, "where is the quay key") == ["702"] and bot.manifest.api_documents == 1
        assert bot.change(delete_sources=["discord/1/2"]).deleted == 1 and bot.manifest.api_documents == 0
    finally:
        bot.close()


def _found(bot, question: str) -> list[str]:
    return [e.citation.doc_id for e in bot.ask(question, k=5).excerpts if "quay key" in e.text]


@MILVUS_SLOW
def test_a_corpus_file_named_as_a_document_api_source_replaces_its_documents_and_says_so(make_corpus, tmp_path,
                                                                                         engine) -> None:
    """The corpus folder owns its files' names. A file that came to have the source of documents the document API
    added took them out of the index without a word, and the manifest went on counting them (which the Discord
    bot's privacy guard reads); a rebuild kept both the file's documents and theirs under one source, until the
    file's next edit took theirs out. Now the file replaces them, in one line that says so, whichever change reads it."""
    corpus = make_corpus(CORPUS)
    said: list[str] = []
    bot = _bot(corpus, tmp_path, engine, notify=said.append)
    try:
        bot.upsert([_message("801", "the pier lamp is lit at dusk")])
        for name, rebuild in (("later.txt", False), ("fresh.txt", True)):
            bot.upsert([Document(doc_id=f"{name}-{i}", source=name, text=f"note {i} about the pier lamp of {name}")
                        for i in range(2)])
            assert bot.manifest.api_documents == 3
            (corpus / name).write_text(f"The pier lamp of the {name[:-4]} file burns paraffin.\n", encoding="utf-8")
            said.clear()
            assert bot.refresh(rebuild=rebuild).updated
            taken = [m for m in said if "document API" in m]
            assert taken == [(f"corpus file {name} has the source of 2 documents added through the document API: "
                             "the corpus folder owns its files' names, so the file's documents replace them")], said
            assert bot.manifest.api_documents == 1
            assert [s.documents for s in bot.sources(name)] == [1]
            quoted = {e.citation.doc_id for e in bot.ask("the pier lamp", k=8).excerpts if "pier lamp" in e.text}
            assert quoted == {"801", name, "later.txt"}
    finally:
        bot.close()


def test_a_refresh_that_serves_what_another_process_committed_says_it_updated(make_corpus, tmp_path) -> None:
    """``refresh()`` of a bot whose index another process (here another bot on the same folder) changed swaps the
    new state in: its outcome said "unchanged", "nothing changed", though the answers changed, ``rebuilds`` counted
    it and the watch's "index updated" notice was never given."""
    corpus = make_corpus(CORPUS)
    reader, writer = _bot(corpus, tmp_path, {}), _bot(corpus, tmp_path, {})
    try:
        writer.upsert([_message("101", "the lighthouse lamp uses a fresnel lens")])
        before = reader.rebuilds
        result = reader.refresh()
        assert "fresnel" in _top(reader, "What lens does the lamp use?") and reader.rebuilds == before + 1
        assert result.outcome is Outcome.UPDATED and "another process" in result.reason, result
        assert reader.refresh().outcome is Outcome.UNCHANGED  # in step now
    finally:
        writer.close()
        reader.close()


@MILVUS_SLOW
def test_a_change_that_waited_while_the_index_closed_is_refused(make_corpus, tmp_path, engine, monkeypatch) -> None:
    """An upsert comes in, close() runs while it waits for the change before it, then the upsert goes on: the
    embedded engine committed it on the closed index and held its segments' leases for the life of the process, and
    Milvus failed with "should create connection first"; now it is refused, and nothing of it is applied."""
    from qabot import QABotError
    from qabot.index import living

    corpus = make_corpus(CORPUS)
    bot = _bot(corpus, tmp_path, engine)
    waiting, go = threading.Event(), threading.Event()
    checked = living.checked

    def wait_behind_another_change(documents, **options):
        given = checked(documents, **options)
        waiting.set()
        assert go.wait(BOUND)
        return given

    monkeypatch.setattr(living, "checked", wait_behind_another_change)
    outcome: list[object] = []

    def upsert() -> None:
        try:
            outcome.append(bot.upsert([_message("601", "the quay was closed for the winter")]))
        except QABotError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=upsert)
    thread.start()
    try:
        assert waiting.wait(BOUND)
        bot.close()
    finally:
        go.set()
        thread.join(BOUND)
    [error] = outcome
    assert isinstance(error, QABotError) and "closed" in str(error), error
    if not engine:  # nothing of the closed index is held: another process may remove any segment
        import fcntl
        import os

        for lease in (tmp_path / "idx").glob("seg-*/.readers"):
            fd = os.open(lease, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            finally:
                os.close(fd)
    monkeypatch.undo()
    again = _bot(corpus, tmp_path, engine)
    try:
        assert again.manifest.api_documents == 0 and "winter" not in _top(again, "When was the quay closed?")
    finally:
        again.close()


@MILVUS_SLOW
def test_questions_from_several_threads_each_see_one_committed_state(make_corpus, tmp_path, engine,
                                                                     monkeypatch) -> None:
    """Three threads ask while changes of the document API (a generation of notes moved to new ids in one commit)
    and edits of a corpus file are applied: every answer holds one generation, all of it, and one version of the
    file; ``context`` of an excerpt either gives its paragraph or says it changed since. Then ``close`` while a
    question is in flight: the question finishes on the state it began on, and the next one is told it is closed."""
    from qabot import QABotError

    corpus = make_corpus({**CORPUS, "beacon.txt": "The beacon schedule is at file version 0.\n"})
    bot = _bot(corpus, tmp_path, engine)

    def notes(g: int) -> list[Document]:
        return [_message(f"g{g}-{i}", f"generation {g} note {i} about the quay") for i in range(4)]

    bot.upsert(notes(0))
    problems: list[str] = []
    answered = [0]
    stop = threading.Event()

    def ask() -> None:
        while not stop.is_set():
            try:
                notes_seen = [e for e in bot.ask("generation note about the quay", k=8).excerpts
                              if "generation" in e.text]
                generations = {e.citation.doc_id.split("-")[0] for e in notes_seen}
                if len(generations) != 1 or len(notes_seen) != 4:
                    problems.append(f"notes of {sorted(generations)}: {[e.citation.doc_id for e in notes_seen]}")
                versions = {e.text for e in bot.ask("beacon schedule file version", k=5).excerpts if "beacon" in e.text}
                if len(versions) != 1:
                    problems.append(f"versions {versions}")
                try:
                    assert "generation" in bot.context(notes_seen[0]).paragraph
                except QABotError as exc:
                    if "not in the current index" not in str(exc):
                        raise
                answered[0] += 1
            except Exception as exc:  # noqa: BLE001 - any error is what this test looks for
                problems.append(repr(exc))

    askers = [threading.Thread(target=ask) for _ in range(3)]
    for asker in askers:
        asker.start()
    try:
        for g in range(1, 7):
            bot.change(notes(g), delete=[f"g{g - 1}-{i}" for i in range(4)])
            if g % 2 == 0:
                (corpus / "beacon.txt").write_text(f"The beacon schedule is at file version {g}.\n", encoding="utf-8")
                assert bot.refresh().updated
    finally:
        stop.set()
        for asker in askers:
            asker.join(BOUND)
    assert problems == [] and answered[0] >= 3, problems[:3]

    embedding, closed = threading.Event(), threading.Event()
    embed = bot.embedder.embed

    def slow_to_embed(texts):
        embedding.set()
        assert closed.wait(BOUND)
        return embed(texts)

    monkeypatch.setattr(bot.embedder, "embed", slow_to_embed)
    outcome: list[object] = []
    asker = threading.Thread(target=lambda: outcome.append(bot.ask("generation note about the quay", k=8)))
    asker.start()
    assert embedding.wait(BOUND)
    bot.close()
    closed.set()
    asker.join(BOUND)
    [answer] = outcome
    assert {e.citation.doc_id for e in answer.excerpts if "generation" in e.text} == {f"g6-{i}" for i in range(4)}
    with pytest.raises(QABotError, match="closed"):
        bot.ask("generation note about the quay")
