"""The index: manifest, staleness, automatic rebuilds and updates, corruption, atomic commits, reuse of vectors."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from qabot.errors import CorpusError, CorruptIndexError, IndexStoreError, ModelError
from qabot.index import MANIFEST, BuildConfig, LivingIndex, Outcome, open_index
from qabot.index.embedded.engine import EmbeddedEngine
from tests.conftest import FAKE_QABOT, make_bot
from tests.fakes import DIMENSION, HashEmbedder

ARTICLE = {
    "trotsky.txt": "Leon Trotsky lived in Coyoacán.\n\nRamón Mercader killed him with an ice axe in 1940.\n",
    "notes.md": "---\ntitle: Notes\n---\n# Exile\n\nTrotsky moved from Turkey to France, then to Norway and Mexico.\n",
    "extra.jsonl": '{"_id": "e1", "title": "Sedov", "text": "Leon Sedov was the eldest son of Trotsky."}\n',
}


def _config(corpus: Path, index: Path) -> BuildConfig:
    return BuildConfig(corpus_dir=corpus, index_dir=index)


def test_build_writes_manifest_and_artifacts(make_corpus, tmp_path, fake_embedder) -> None:
    corpus = make_corpus(ARTICLE)
    index = open_index(_config(corpus, tmp_path / "idx"), fake_embedder, progress=False)
    manifest = json.loads((tmp_path / "idx" / MANIFEST).read_text())
    assert manifest["model"] == HashEmbedder.name
    assert manifest["dimension"] == DIMENSION
    assert manifest["passage_chars"] == 600
    assert set(manifest["files"]) == {"trotsky.txt", "notes.md", "extra.jsonl"}
    assert all(len(f["digest"]) == 64 and f["size"] > 0 and f["documents"] == 1 for f in manifest["files"].values())
    [segment] = manifest["segments"]
    assert {"passages.f32", "text.u32", "passages.bin", "documents.sqlite", "bm25/rows.u32"} <= set(segment["artifacts"])
    assert "dense.faiss" not in segment["artifacts"]  # Flat is exact search over passages.f32: no second copy
    assert (tmp_path / "idx" / segment["name"]).is_dir()
    # "Leon Trotsky lived in Coyoacán." is short, so it shares a passage with the paragraph after it.
    assert index.current.size == manifest["passages"] == 3
    index.close()


@pytest.mark.parametrize("change", ["add", "edit", "remove"])
def test_corpus_changes_are_applied_on_open_and_only_they_are_read(change, make_corpus, tmp_path,
                                                                   fake_embedder) -> None:
    corpus = make_corpus(ARTICLE)
    config = _config(corpus, tmp_path / "idx")
    first = open_index(config, fake_embedder, progress=False)
    before = first.manifest
    first.close()
    if change == "add":
        (corpus / "new.txt").write_text("Natalia Sedova was Trotsky's wife.")
    elif change == "edit":
        (corpus / "trotsky.txt").write_text("Trotsky lived in Mexico City.")
    else:
        (corpus / "notes.md").unlink()
    messages: list[str] = []
    index = open_index(config, fake_embedder, progress=False, notify=messages.append)
    assert messages and messages[0].startswith("updating the index: corpus files")
    assert index.last.outcome is Outcome.UPDATED
    m = index.manifest
    assert m.unchanged_files == {"add": 3, "edit": 2, "remove": 2}[change]  # the files not read again
    assert m.segments[0].name == before.segments[0].name  # the first segment is kept, not rewritten
    sources = {s.source for s in index.current.sources()}
    assert ("new.txt" in sources) == (change == "add")
    assert ("notes.md" in sources) == (change != "remove")
    index.close()
    again = open_index(config, fake_embedder, progress=False)
    assert again.last.outcome is Outcome.UNCHANGED and again.manifest.build == m.build
    again.close()


def test_another_model_rebuilds_the_index(make_corpus, tmp_path, fake_embedder) -> None:
    corpus = make_corpus(ARTICLE)
    config = _config(corpus, tmp_path / "idx")
    open_index(config, fake_embedder, progress=False).close()

    class Other(HashEmbedder):
        name = "some/other-model"

    messages: list[str] = []
    index = open_index(config, Other(), progress=False, notify=messages.append)
    assert messages and "model changed" in messages[0] and "rebuilding" in messages[0]
    assert index.manifest.model == "some/other-model" and len(index.manifest.segments) == 1
    index.close()


def test_a_model_that_cannot_be_loaded_is_an_error_before_any_rebuild_is_announced(make_corpus, tmp_path,
                                                                                      fake_embedder) -> None:
    """QABOT_EMBEDDING_MODEL=a typo: `qabot ask` warned "rebuilding the index: the model changed (... -> nobody/typo)",
    then failed to load it. The model is loaded (once: the embedder keeps it) before a rebuild is said now."""
    corpus = make_corpus(ARTICLE)
    config = _config(corpus, tmp_path / "idx")
    open_index(config, fake_embedder, progress=False).close()

    class Missing(HashEmbedder):
        name = "nobody/typo"

        @property
        def dimension(self) -> int:  # the real embedders load their model on the first use of either
            raise ModelError("embedding model 'nobody/typo' (QABOT_EMBEDDING_MODEL) is not a local folder")

        def embed(self, texts):
            raise ModelError("embedding model 'nobody/typo' (QABOT_EMBEDDING_MODEL) is not a local folder")

    for fallback in (False, True):  # qabot index, and qabot ask
        messages: list[str] = []
        with pytest.raises(ModelError, match="nobody/typo"):
            open_index(config, Missing(), progress=False, notify=messages.append, fallback=fallback)
        assert messages == []


def test_a_corrupt_index_is_reported_and_rebuilt(make_corpus, tmp_path, fake_embedder) -> None:
    corpus = make_corpus(ARTICLE)
    config = _config(corpus, tmp_path / "idx")
    first = open_index(config, fake_embedder, progress=False)
    vectors = tmp_path / "idx" / first.manifest.segments[0].name / "passages.f32"
    passages = first.current.size
    first.close()
    vectors.write_bytes(b"these are not vectors")
    messages: list[str] = []
    index = open_index(config, fake_embedder, progress=False, notify=messages.append)
    assert messages and "rebuilding" in messages[0] and "passages.f32" in messages[0]
    assert not any("document API" in m for m in messages)  # none were added: none are lost
    assert index.current.size == passages
    index.close()
    (tmp_path / "idx" / MANIFEST).write_text("{ not json")
    messages.clear()
    index = open_index(config, fake_embedder, progress=False, notify=messages.append)
    assert messages and "manifest" in messages[0]
    index.close()


def _api_texts(index: LivingIndex) -> dict[str, str]:
    """doc_id -> text of the document API's documents in the index's committed state."""
    return {d.doc_id: d.text for d in index.engine.api_documents()}


def _messages_over_segments(index: LivingIndex) -> None:
    """Document-API messages over several segments: m1 replaced in a later one, m2 deleted, m3 written last."""
    from qabot import Document

    def message(doc_id: str, text: str) -> Document:
        return Document(doc_id=doc_id, source="discord/1/2", text=text)

    index.upsert([message("m1", "Ana: the archive opens at nine."), message("m2", "Bo: the cat was called Smokey.")])
    index.upsert([message("m1", "Ana: the archive opens at ten now.")])  # replaces m1 in an earlier segment
    index.delete(["m2"])
    index.upsert([message("m3", "Cy: the ferry runs on Tuesdays.")])


def _built_with_api_documents(make_corpus, tmp_path: Path, fake_embedder) -> tuple[BuildConfig, dict[str, str], Any]:
    """An index of the article with ``_messages_over_segments``'s documents, closed: its config, the document API's
    texts as committed, and its manifest then."""
    config = _config(make_corpus(ARTICLE), tmp_path / "idx")
    first = open_index(config, fake_embedder, progress=False)
    _messages_over_segments(first)
    expected, manifest = _api_texts(first), first.manifest
    first.close()
    return config, expected, manifest


@pytest.mark.parametrize("damaged", ["passages.f32", "documents.sqlite"])
def test_a_damaged_segment_loses_only_the_api_documents_it_alone_held(damaged, make_corpus, tmp_path,
                                                                       fake_embedder) -> None:
    config, expected, manifest = _built_with_api_documents(make_corpus, tmp_path, fake_embedder)
    assert expected == {"m1": "Ana: the archive opens at ten now.", "m3": "Cy: the ferry runs on Tuesdays."}
    last = manifest.segments[-1].name  # m3's, written last
    path = tmp_path / "idx" / last / damaged
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # m3's segment, cut short
    messages: list[str] = []
    index = open_index(config, fake_embedder, progress=False, notify=messages.append)
    try:
        assert messages and "rebuilding" in messages[0] and damaged in messages[0]
        kept = _api_texts(index)
        # What the other segments held comes back as it last was: m1 replaced, m2 still deleted.
        assert kept["m1"] == "Ana: the archive opens at ten now." and "m2" not in kept
        lost = [m for m in messages if "document API" in m]
        if damaged == "passages.f32":  # its vectors are damaged, not its documents: nothing is lost
            assert set(kept) == {"m1", "m3"} and lost == []
        else:
            assert set(kept) == {"m1"}
            [said] = lost
            assert said.startswith("1 of the 2 documents added through the document API could not be read back (")
            assert str(path) in said and said.endswith("; add them again") and "\n" not in said
        assert index.manifest.api_documents == len(kept)
    finally:
        index.close()


def test_a_damaged_state_another_process_committed_is_rebuilt_with_the_api_documents(make_corpus, tmp_path,
                                                                                    fake_embedder) -> None:
    from qabot import Document

    corpus = make_corpus(ARTICLE)
    config = _config(corpus, tmp_path / "idx")
    serving = open_index(config, fake_embedder, progress=False)
    try:
        serving.upsert([Document(doc_id="m1", source="discord/1/2", text="Ana: the archive opens at nine.")])
        other = open_index(config, fake_embedder, progress=False)  # another process's, on the same folder
        other.upsert([Document(doc_id="m2", source="discord/1/2", text="Bo: the cat was called Smokey.")])
        vectors = tmp_path / "idx" / other.manifest.segments[-1].name / "passages.f32"
        other.close()
        vectors.write_bytes(vectors.read_bytes()[:8])
        messages: list[str] = []
        serving.notify = messages.append
        serving.refresh()  # the corpus folder did not change; the index did, and its new state is damaged
        assert any("rebuilding the index" in m and "passages.f32" in m for m in messages)
        assert set(_api_texts(serving)) == {"m1", "m2"} and serving.manifest.api_documents == 2
        assert not any("document API" in m for m in messages)
    finally:
        serving.close()


def test_an_index_of_an_older_format_is_rebuilt_as_such_not_as_damaged(make_corpus, tmp_path, fake_embedder) -> None:
    """An index an older qabot built, whose manifest lacks fields this one has, was rebuilt with "index manifest ...
    is damaged (sentence_chars: Field required)": as if a crash or a hand had broken it. It is the format that
    changed, and the notice says so (the document API's documents are kept, as for any rebuild)."""
    config, expected, _ = _built_with_api_documents(make_corpus, tmp_path, fake_embedder)
    path = tmp_path / "idx" / MANIFEST
    old = json.loads(path.read_text())
    old["format_version"] = 3
    del old["sentence_chars"], old["index_text"]
    path.write_text(json.dumps(old))
    messages: list[str] = []
    index = open_index(config, fake_embedder, progress=False, notify=messages.append)
    try:
        [said] = messages
        assert said.startswith("rebuilding the index: the index format changed (") and "damaged" not in said
        assert "format 3" in said and "\n" not in said
        assert _api_texts(index) == expected
    finally:
        index.close()


@pytest.mark.parametrize("damage", ["truncated", "hand-edited"])
def test_a_damaged_manifest_keeps_the_api_documents_of_its_intact_segments(damage, make_corpus, tmp_path,
                                                                           fake_embedder) -> None:
    """manifest.json cut short (a disk-full, a crash of the filesystem) or edited by hand into something that is
    not a manifest: the index was rebuilt from the corpus folder alone, and the documents only the index held (the
    document API's, a Discord channel's history) were gone without a word. Its segments are intact: they are read
    back, as they last were, and one line names the damaged file."""
    config, expected, _ = _built_with_api_documents(make_corpus, tmp_path, fake_embedder)
    assert set(expected) == {"m1", "m3"}
    (tmp_path / "idx" / "recovery.json").unlink()  # an index from before the copy: the next start writes it
    open_index(config, fake_embedder, progress=False).close()
    path = tmp_path / "idx" / MANIFEST
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:
        path.write_text(path.read_text().replace('"format_version"', '"format"', 1))
    messages: list[str] = []
    index = open_index(config, fake_embedder, progress=False, notify=messages.append)
    try:
        [said] = messages
        assert said.startswith(f"rebuilding the index: index manifest {path} is damaged (") and "\n" not in said
        assert _api_texts(index) == expected and index.manifest.api_documents == 2
        assert "discord/1/2" in {s.source for s in index.current.sources()}  # served, not only stored
    finally:
        index.close()
    again = open_index(config, fake_embedder, progress=False, notify=messages.append)  # and it stays so
    try:
        assert again.last.outcome is Outcome.UNCHANGED and _api_texts(again) == expected
    finally:
        again.close()



def test_a_missing_manifest_loses_no_document_api_document(make_corpus, tmp_path, fake_embedder) -> None:
    """manifest.json deleted (to "force a rebuild"), or left out of a backup or a copy, was taken for "no index yet":
    the rebuild dropped the document API's documents and its commit deleted the segments that held them, without a
    word, although recovery.json and the segments were there. It is damage, salvaged as a damaged manifest is."""
    config, expected, _ = _built_with_api_documents(make_corpus, tmp_path, fake_embedder)
    path = tmp_path / "idx" / MANIFEST
    path.unlink()
    messages: list[str] = []
    index = open_index(config, fake_embedder, progress=False, notify=messages.append)
    try:
        assert messages == [f"rebuilding the index: index manifest {path} is missing"]
        assert _api_texts(index) == expected and index.manifest.api_documents == 2
        assert "discord/1/2" in {s.source for s in index.current.sources()}
    finally:
        index.close()


@pytest.mark.parametrize("manifest", ["missing", "damaged"])
@pytest.mark.parametrize("copy", ["missing", "damaged"])
def test_a_manifest_lost_with_its_copy_says_the_api_documents_are_lost(manifest, copy, make_corpus, tmp_path,
                                                                       fake_embedder) -> None:
    """manifest.json and recovery.json both damaged or missing: which of the segments' documents are live is unknown
    (a deleted one must not come back), so the document API's documents cannot be read back. The rebuild dropped
    them without a word; the README promises a line that says how many were lost."""
    config, _, _ = _built_with_api_documents(make_corpus, tmp_path, fake_embedder)  # live: m1 (replaced once), m3
    for name, damage in ((MANIFEST, manifest), ("recovery.json", copy)):
        if damage == "missing":
            (tmp_path / "idx" / name).unlink()
        else:
            (tmp_path / "idx" / name).write_text("{ not json")
    messages: list[str] = []
    index = open_index(config, fake_embedder, progress=False, notify=messages.append)
    try:
        rebuilding, lost = messages
        assert rebuilding.startswith(f"rebuilding the index: index manifest {tmp_path / 'idx' / MANIFEST} is ")
        assert lost.startswith("2 of the 2 documents added through the document API could not be read back (")
        assert "recovery.json cannot be read either" in lost and lost.endswith("; add them again")
        assert "\n" not in lost and _api_texts(index) == {} and index.manifest.api_documents == 0
        assert index.current.size > 0  # the corpus folder's files are served
    finally:
        index.close()


def test_the_manifests_copy_is_written_as_durably_as_the_manifest(make_corpus, tmp_path, fake_embedder,
                                                                  monkeypatch) -> None:
    """recovery.json was renamed into place without an fsync of its own or of the folder: after a power cut that also
    damaged manifest.json, the copy that should bring the document API's documents back could be empty or missing.
    It is written as the manifest is: a temp file, fsync, rename, fsync of the folder."""
    from qabot import Document
    from qabot.index import manifest as manifests
    from qabot.index.manifest import RECOVERY

    corpus = make_corpus(ARTICLE)
    index = open_index(_config(corpus, tmp_path / "idx"), fake_embedder, progress=False)
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = manifests.os.fsync, manifests.os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src, dst) -> None:
        events.append(("replace", f"{src} -> {Path(dst).name}"))
        real_replace(src, dst)

    monkeypatch.setattr(manifests.os, "fsync", fsync)
    monkeypatch.setattr(manifests.os, "replace", replace)
    try:
        index.upsert([Document(doc_id="m1", source="discord/1/2", text="Ana: the archive opens at nine.")])
    finally:
        monkeypatch.undo()
        index.close()
    [(at, (_, renamed))] = [(i, e) for i, e in enumerate(events) if e[0] == "replace" and e[1].endswith(RECOVERY)]
    temp = renamed.split(" -> ")[0]
    assert ("fsync", temp) in events[:at], events  # its contents are on disk before it is renamed into place
    assert ("fsync", str(tmp_path / "idx")) in events[at + 1:], events  # and the rename, after


@pytest.mark.parametrize("callback", ["notify", "warn"])
def test_a_callback_that_changes_the_index_is_refused_not_deadlocked(callback, make_corpus, tmp_path,
                                                                     fake_embedder) -> None:
    """``notify`` and ``warn`` are called while the change they tell of holds the write lock (so that "rebuilding
    the index: ..." comes before the rebuild, not after it): a callback that changed the index itself (upserting
    what it heard of) waited forever for the lock its own thread held. Its change is refused at once, in one line,
    and the change it heard of goes on; another thread's change waits its turn and is made."""
    import threading

    from qabot import Document, QABotError

    corpus = make_corpus(ARTICLE)
    index = open_index(_config(corpus, tmp_path / "idx"), fake_embedder, progress=False)
    heard: list[str] = []
    refused: list[str] = []

    def hear(message: str) -> None:
        heard.append(message)
        if len(heard) == 1:  # the change it hears of is under way: change the index from here
            try:
                index.upsert([Document(doc_id="m1", source="discord/1/2", text=f"Ana: {message}")])
            except QABotError as exc:
                refused.append(str(exc))

    setattr(index, callback, hear)
    outcome: list[object] = []

    def change() -> None:
        if callback == "notify":
            outcome.append(index.refresh(rebuild=True))  # "rebuilding the index: a rebuild was asked for"
        else:
            (corpus / "broken.jsonl").write_text('{"_id": "b1", "text": "fine"}\nnot json\n')
            outcome.append(index.refresh())  # "broken.jsonl line 2: ..."

    thread = threading.Thread(target=change, daemon=True)
    thread.start()
    thread.join(60)
    try:
        assert not thread.is_alive(), "the change and its callback are deadlocked"
        [result] = outcome
        assert result.outcome is Outcome.UPDATED and heard and ("rebuilding" if callback == "notify" else "line 2") \
            in heard[0]
        [why] = refused
        assert "\n" not in why and "within a change under way" in why
        assert _api_texts(index) == {}
        # The same change from another thread waits for the lock, and is made.
        other = threading.Thread(target=lambda: index.upsert([Document(doc_id="m2", source="discord/1/2",
                                                                        text="Ana: later")]), daemon=True)
        other.start()
        other.join(60)
        assert not other.is_alive() and set(_api_texts(index)) == {"m2"}
    finally:
        if not thread.is_alive():
            index.close()


_HOLDER = """
import sys, time
from filelock import FileLock
lock = FileLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


@pytest.mark.parametrize("released", [True, False])
def test_a_writer_waiting_for_another_says_so_once(released, make_corpus, tmp_path, fake_embedder, monkeypatch,
                                                   caplog) -> None:
    """Another process writing the same index (``qabot index`` while the bot runs): the second writer waited up to
    ten minutes for the write lock without a word. It says once, in one line naming the index folder and its lock,
    that it waits for another writer; it goes on when that one is done, and at the limit fails in one line."""
    import logging
    import subprocess
    import sys

    from qabot import Document
    from qabot.index import locks

    corpus = make_corpus(ARTICLE)
    index = open_index(_config(corpus, tmp_path / "idx"), fake_embedder, progress=False)
    lock = tmp_path / "idx" / ".lock"
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(lock), "3" if released else "60"],
                              stdout=subprocess.PIPE, text=True)
    monkeypatch.setattr(locks, "LOCK_TIMEOUT", 8.0 if released else 3.0)  # past the 3 s it is held; or soon
    try:
        assert holder.stdout.readline() == "held\n"
        caplog.set_level(logging.INFO)
        message = Document(doc_id="m1", source="discord/1/2", text="Ana: the archive opens at nine.")
        if released:
            assert index.upsert([message]).outcome is Outcome.UPDATED
        else:
            with pytest.raises(IndexStoreError) as caught:
                index.upsert([message])
            said = str(caught.value)
            assert str(tmp_path / "idx") in said and "another qabot process" in said and "\n" not in said
            assert index.manifest.api_documents == 0
        waiting = [r for r in caplog.records if "waiting" in r.getMessage()]
        assert len(waiting) == 1 and waiting[0].levelno == logging.WARNING
        line = waiting[0].getMessage()
        assert "another qabot process" in line and str(lock) in line and "\n" not in line
    finally:
        holder.kill()
        holder.wait()
        index.close()


@pytest.mark.parametrize("last_good", [True, False])
def test_a_question_is_answered_from_the_last_good_index_while_another_process_writes(last_good, make_corpus, tmp_path,
                                                                                      fake_embedder, monkeypatch):
    """``qabot ask`` (and the start of ``qabot repl`` and ``qabot discord``) while ``qabot index --rebuild`` ran in another
    process waited for its write lock, up to ``LOCK_TIMEOUT`` (10 minutes), though the last good index was whole
    (measured: 16 s, the rest of a 600-file rebuild). It answers from that one at once and says so in one line; it
    waits only when there is none (the other process builds the first), as a rebuild and ``qabot index`` do."""
    import sys

    from qabot.index import locks

    corpus = make_corpus(ARTICLE)
    config = _config(corpus, tmp_path / "idx")
    if last_good:
        open_index(config, fake_embedder, progress=False).close()
    (corpus / "letters.txt").write_text("Letter one was posted from Coyoacan.\n", encoding="utf-8")
    (tmp_path / "idx").mkdir(exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(tmp_path / "idx" / ".lock"), "30" if last_good else "3"],
                              stdout=subprocess.PIPE, text=True)
    monkeypatch.setattr(locks, "LOCK_TIMEOUT", 20.0)  # 600 s in service
    messages: list[str] = []
    try:
        assert holder.stdout.readline() == "held\n"
        started = time.monotonic()
        index = open_index(config, fake_embedder, progress=False, notify=messages.append)
        took = time.monotonic() - started
        try:
            if last_good:
                assert took < 5, f"opening the index to answer a question waited {took:.0f} s for another process"
                assert "letters.txt" not in index.manifest.files  # the last good index, not brought up to date
                [said] = messages
                assert "another qabot process is writing the index" in said and "last good index keeps serving" in said
                assert "\n" not in said
            else:
                assert took >= 2 and "letters.txt" in index.manifest.files and not messages
        finally:
            index.close()
    finally:
        holder.kill()
        holder.wait()
    again = open_index(config, fake_embedder, progress=False)  # the next one, once the other process is done
    try:
        assert "letters.txt" in again.manifest.files
    finally:
        again.close()


def _refuse(monkeypatch: pytest.MonkeyPatch, refused: Path, how: str = "open") -> None:
    """``Path.<how>`` of ``refused`` fails with EACCES, as a chmod makes it for anyone but root, whom the tests run as."""
    real = getattr(Path, how)

    def refuse(path: Path, *args: object, **kwargs: object) -> object:
        if path == refused:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(Path, how, refuse)


@pytest.mark.parametrize("refused", ["manifest", "segment file", "unchecksummed segment file"])
def test_an_index_file_that_cannot_be_read_is_an_error_not_a_rebuild(refused, make_corpus, tmp_path, fake_embedder,
                                                                     monkeypatch) -> None:
    from qabot import Document
    from qabot.index import manifest as manifests

    corpus = make_corpus(ARTICLE)
    config = _config(corpus, tmp_path / "idx")
    if refused == "unchecksummed segment file":
        monkeypatch.setattr(manifests, "HASH_LIMIT", 0)  # as a segment too large to checksum at every load is
    first = open_index(config, fake_embedder, progress=False)
    first.upsert([Document(doc_id="m1", source="discord/1/2", text="Ana: the archive opens at nine.")])
    build = first.manifest.build
    path = (tmp_path / "idx" / MANIFEST if refused == "manifest"
            else tmp_path / "idx" / first.manifest.segments[-1].name / "documents.sqlite")
    first.close()
    held = sorted(p.name for p in (tmp_path / "idx").iterdir())
    _refuse(monkeypatch, path)
    messages: list[str] = []
    with pytest.raises(IndexStoreError) as caught:
        open_index(config, fake_embedder, progress=False, notify=messages.append)
    # Not damage: one line naming the file and what to do, and nothing rebuilt, nothing deleted.
    assert not isinstance(caught.value, CorruptIndexError)
    said = str(caught.value)
    what = "the index manifest" if refused == "manifest" else "index file"
    assert f"cannot read {what} {path} (Permission denied)" in said and "\n" not in said
    assert "user qabot runs as" in said
    assert not any("rebuilding" in m for m in messages)
    monkeypatch.undo()
    assert sorted(p.name for p in (tmp_path / "idx").iterdir()) == held
    again = open_index(config, fake_embedder, progress=False)
    try:
        assert again.manifest.build == build and again.manifest.api_documents == 1
        assert "discord/1/2" in {s.source for s in again.current.sources()}
    finally:
        again.close()


@pytest.mark.parametrize("refused", ["manifest", "segment file"])
def test_an_index_file_that_cannot_be_looked_at_is_said_to_be_unreadable(refused, make_corpus, tmp_path,
                                                                         fake_embedder, monkeypatch) -> None:
    from qabot import Document

    corpus = make_corpus(ARTICLE)
    config = _config(corpus, tmp_path / "idx")
    index = open_index(config, fake_embedder, progress=False)
    try:
        path = (tmp_path / "idx" / MANIFEST if refused == "manifest"
                else tmp_path / "idx" / index.manifest.segments[0].name / "passages.f32")
        what = "the index manifest" if refused == "manifest" else "index file"
        _refuse(monkeypatch, path, "stat")  # a folder on its way that the user may not search, say
        # What failed is reading: "cannot write" sent the user looking for a full disk or a read-only folder.
        with pytest.raises(IndexStoreError, match=f"^cannot read {what} {re.escape(str(path))} \\(Permission denied\\)"):
            open_index(config, fake_embedder, progress=False)
        if refused == "manifest":  # the index in service keeps serving, and says the same
            messages: list[str] = []
            index.notify = messages.append
            (corpus / "new.txt").write_text("Natalia Sedova was Trotsky's wife.")
            result = index.refresh()
            assert result.outcome is Outcome.FAILED and result.reason.startswith(f"cannot read {what} {path} ")
            assert "the last good index keeps serving" in messages[0]
            with pytest.raises(IndexStoreError, match=f"^cannot read {what} "):
                index.upsert([Document(doc_id="m1", source="discord/1/2", text="Ana: the archive opens at nine.")])
    finally:
        index.close()


def test_a_flipped_byte_is_caught_by_the_checksum(make_corpus, tmp_path, fake_embedder) -> None:
    corpus = make_corpus(ARTICLE)
    config = _config(corpus, tmp_path / "idx")
    first = open_index(config, fake_embedder, progress=False)
    vectors = tmp_path / "idx" / first.manifest.segments[0].name / "passages.f32"
    first.close()
    data = bytearray(vectors.read_bytes())
    data[10] ^= 0xFF
    vectors.write_bytes(bytes(data))
    messages: list[str] = []
    open_index(config, fake_embedder, progress=False, notify=messages.append).close()
    assert messages and "checksum" in messages[0]


@pytest.mark.parametrize("damage", ["truncated", "garbled", "emptied"])
def test_a_damaged_deletion_list_is_reported_and_rebuilt(damage, make_corpus, tmp_path, fake_embedder) -> None:
    others = {f"letter{i}.txt": f"Letter {i} was posted from Mexico in 193{i}.\n" for i in range(4)}
    corpus = make_corpus({**ARTICLE, **others})
    config = _config(corpus, tmp_path / "idx")
    open_index(config, fake_embedder, progress=False).close()
    (corpus / "trotsky.txt").write_text("Trotsky lived in Mexico City.")
    (corpus / "extra.jsonl").unlink()
    index = open_index(config, fake_embedder, progress=False)
    [listed] = [s.deleted for s in index.manifest.segments if s.deleted]
    index.close()
    deleted = tmp_path / "idx" / listed
    rows = deleted.read_bytes()
    deleted.write_bytes({"truncated": rows[:4], "garbled": b"\xff\xff\xff\x7f" + rows[4:], "emptied": b""}[damage])
    messages: list[str] = []
    index = open_index(config, fake_embedder, progress=False, notify=messages.append)
    try:
        assert messages and "rebuilding" in messages[0] and listed in messages[0]
        # The deleted documents stay deleted: the old trotsky.txt and extra.jsonl serve nothing.
        live = {(s.source, s.documents) for s in index.current.sources()}
        assert live == {("trotsky.txt", 1), ("notes.md", 1), *((name, 1) for name in others)}
    finally:
        index.close()


def test_an_edit_reembeds_only_the_changed_passages_of_its_document(make_corpus, tmp_path, fake_embedder) -> None:
    places = ["Arnsay", "Brora", "Calder", "Dunmore", "Ellon", "Fintry"]
    paragraphs = [" ".join(f"The {place} harbour record {j} notes a ship called {place} {j} in its pages." for j in range(6))
                  for place in places]
    corpus = make_corpus({"long.txt": "\n\n".join(paragraphs), "other.txt": "Another file about lighthouses."})
    config = _config(corpus, tmp_path / "idx")
    first = open_index(config, fake_embedder, progress=False)
    passages = first.manifest.passages
    first.close()
    paragraphs[2] = " ".join(f"This rewritten entry {j} says something else about Calder entirely." for j in range(6))
    (corpus / "long.txt").write_text("\n\n".join(paragraphs))
    index = open_index(config, fake_embedder, progress=False)
    assert index.last.embedded == 1  # the other passages of the document kept their vectors
    assert index.manifest.cached == index.manifest.passages - 2  # ... all but the new one and other.txt's
    assert index.manifest.passages == passages
    index.close()


def test_a_full_build_takes_unchanged_vectors_from_the_embedding_cache(make_corpus, tmp_path, fake_embedder) -> None:
    corpus = make_corpus({f"doc{i}.txt": f"Document {i} says that item {i} is number {i}." for i in range(12)})
    config = _config(corpus, tmp_path / "idx")
    open_index(config, fake_embedder, progress=False).close()
    (corpus / "doc3.txt").write_text("Document three now says something else entirely.")
    index = open_index(config, fake_embedder, progress=False, rebuild=True)
    assert index.manifest.embedded == 1 and index.manifest.cached == 11
    index.close()


def test_a_file_moved_into_a_folder_takes_its_vectors_from_the_embedding_cache(make_corpus, tmp_path,
                                                                              fake_embedder) -> None:
    """Only a full build read the embedding cache: moving a 1,100-passage PDF into a subfolder embedded all 1,100
    passages again."""
    corpus = make_corpus(ARTICLE)
    config = _config(corpus, tmp_path / "idx")
    open_index(config, fake_embedder, progress=False).close()
    (corpus / "archive").mkdir()
    (corpus / "trotsky.txt").rename(corpus / "archive" / "trotsky.txt")
    index = open_index(config, fake_embedder, progress=False)
    try:
        assert index.last.outcome is Outcome.UPDATED and index.last.documents == 1
        assert index.last.embedded == 0 and index.manifest.cached == 1
    finally:
        index.close()


def test_what_updates_embed_is_kept_in_the_embedding_cache(make_corpus, tmp_path, fake_embedder) -> None:
    """However many updates there are (each writes a shard of its own, merged when they pile up), a rebuild finds
    every passage they embedded."""
    corpus = make_corpus(ARTICLE)
    config = _config(corpus, tmp_path / "idx")
    open_index(config, fake_embedder, progress=False).close()
    for i in range(12):
        (corpus / f"log{i}.txt").write_text(f"Log {i} records that the ferry number {i} sailed at dawn.")
        index = open_index(config, fake_embedder, progress=False)
        assert index.last.embedded == 1
        index.close()
    assert len(list((tmp_path / "idx" / "cache").glob("*/shard-*"))) <= 8 + 1
    index = open_index(config, fake_embedder, progress=False, rebuild=True)
    assert index.manifest.embedded == 0 and index.manifest.cached == index.manifest.passages
    index.close()


def test_an_update_stopped_while_embedding_keeps_what_it_embedded(make_corpus, tmp_path, fake_embedder,
                                                                  monkeypatch) -> None:
    """A Ctrl-C in the middle of a large update: the next run does not embed again what the model had given."""
    from qabot.index import ingest

    monkeypatch.setattr(ingest, "BATCH", 8)
    corpus = make_corpus(ARTICLE)
    config = _config(corpus, tmp_path / "idx")
    open_index(config, fake_embedder, progress=False).close()
    for i in range(20):
        (corpus / f"bulk{i:02}.txt").write_text(f"Bulk file {i} is about the harbour.")

    class Stopped(HashEmbedder):
        def embed_with_spans(self, texts, spans):
            if self.calls >= 2:  # the first batch's passages and their sentences are embedded
                raise KeyboardInterrupt
            return super().embed_with_spans(texts, spans)

    with pytest.raises(KeyboardInterrupt):
        open_index(config, Stopped(), progress=False)
    index = open_index(config, fake_embedder, progress=False)
    assert index.last.embedded == 20 - 8
    index.close()


def test_a_small_edit_of_a_large_index_does_not_read_the_embedding_cache(make_corpus, tmp_path, fake_embedder,
                                                                         monkeypatch) -> None:
    """Reading the cache costs ~0.55 s for a million entries, a dozen passages' embedding: an update reads it only
    when it has enough to embed for that to pay."""
    from qabot.index import cache

    corpus = make_corpus({f"doc{i}.txt": f"Document {i} says that item {i} is number {i}." for i in range(12)})
    config = _config(corpus, tmp_path / "idx")
    open_index(config, fake_embedder, progress=False).close()
    monkeypatch.setattr(cache, "ENTRIES_PER_PASSAGE", 4)  # 12 entries to 1 passage: a million to a hundred
    read: list[Path] = []
    monkeypatch.setattr(cache.EmbeddingCache, "_load", lambda self: read.append(self.folder))
    (corpus / "doc3.txt").write_text("Document three now says something else entirely.")
    index = open_index(config, fake_embedder, progress=False)
    assert index.last.embedded == 1 and not read
    index.close()


def test_empty_and_missing_corpus_are_clear_errors(tmp_path, fake_embedder) -> None:
    with pytest.raises(CorpusError, match="does not exist"):
        open_index(_config(tmp_path / "missing", tmp_path / "idx"), fake_embedder, progress=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="has no files to index"):
        open_index(_config(tmp_path / "empty", tmp_path / "idx"), fake_embedder, progress=False)
    (tmp_path / "blank").mkdir()
    (tmp_path / "blank" / "a.txt").write_text("   \n\n  ")
    with pytest.raises(CorpusError, match="nothing to index"):
        open_index(_config(tmp_path / "blank", tmp_path / "idx"), fake_embedder, progress=False)
    assert not (tmp_path / "idx" / MANIFEST).exists()
    assert not list((tmp_path / "idx").glob(".tmp-*"))


def test_a_build_killed_halfway_leaves_the_previous_index_usable(make_corpus, tmp_path, fake_embedder) -> None:
    corpus = make_corpus(ARTICLE)
    index_dir = tmp_path / "idx"
    config = _config(corpus, index_dir)
    open_index(config, fake_embedder, progress=False).close()
    before = (index_dir / MANIFEST).read_text()
    # Enough text for three model calls (1,024 passages each): the update is still embedding when it is killed.
    for i in range(400):
        (corpus / f"bulk{i}.txt").write_text(" ".join(f"Sentence {j} of bulk file {i} about history." for j in range(60)))
    env = {**os.environ, "QABOT_CORPUS_DIR": str(corpus), "QABOT_INDEX_DIR": str(index_dir),
           "QABOT_TEST_EMBED_DELAY": "0.5"}  # slow enough to be caught in the middle
    proc = subprocess.Popen([*FAKE_QABOT, "index"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(index_dir.glob(".tmp-*/passages.f32")) or not next(iter(index_dir.glob(".tmp-*/passages.f32"))).stat().st_size:
        assert proc.poll() is None, "the build finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (index_dir / MANIFEST).read_text() == before
    engine = EmbeddedEngine(config, fake_embedder.name)
    index = engine.open()  # the previous state opens, whole
    assert index.manifest.files.keys() == set(ARTICLE)
    index.close()
    engine.close()
    # The next start sees the stale index, builds the new one and never loads the half-made one.
    bot = make_bot(corpus, index_dir, fake_embedder)
    assert bot.manifest.passages > 2048
    assert not list(index_dir.glob(".tmp-*"))
    bot.close()


@pytest.mark.parametrize(("sig", "status", "said"), [(signal.SIGINT, 130, "Interrupted"),
                                                     (signal.SIGTERM, 143, "Terminated")])
def test_a_build_interrupted_while_embedding_says_so_in_one_line_and_keeps_what_it_embedded(
        sig, status, said, make_corpus, tmp_path) -> None:
    """Ctrl-C, or SIGTERM (docker stop, systemd), in the middle of a full build: one line and 128 + the signal; the
    index as it was, nothing half-written left; what was embedded is in the cache, so the next run resumes."""
    corpus = make_corpus(ARTICLE)
    index_dir = tmp_path / "idx"
    mark = tmp_path / "embedding"
    env = {**os.environ, "QABOT_CORPUS_DIR": str(corpus), "QABOT_INDEX_DIR": str(index_dir),
           "QABOT_TEST_BATCH": "8", "QABOT_TEST_EMBED_MARK": str(mark)}
    assert subprocess.run([*FAKE_QABOT, "index"], env=env, capture_output=True, timeout=120).returncode == 0
    before = (index_dir / MANIFEST).read_text()
    for i in range(40):  # a passage each: five model calls of 8
        (corpus / f"bulk{i:02}.txt").write_text(f"Bulk file {i} is about the harbour.")
    mark.unlink()
    slow = {**env, "QABOT_TEST_EMBED_DELAY": "30", "QABOT_TEST_EMBED_FAST": "2"}  # the third call does not end
    proc = subprocess.Popen([*FAKE_QABOT, "index", "--rebuild"], env=slow, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 60
    while not mark.exists() or len(mark.read_text().splitlines()) < 3:  # a passage call and its sentences' are done
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == status, err
    assert "Traceback" not in err and "100%" not in err  # the bar stops where the build stopped
    assert err.rstrip().splitlines()[-1] == f"{said}: nothing half-written is kept; qabot index again finishes the work."
    assert (index_dir / MANIFEST).read_text() == before
    assert not list(index_dir.glob(".tmp-*")) and not list(index_dir.glob("cache/*/.tmp-*"))
    asked = subprocess.run([*FAKE_QABOT, "ask", "Who killed Trotsky?", "--k", "1"], env=env, capture_output=True,
                           text=True, timeout=120)
    assert asked.returncode == 0 and "trotsky.txt" in asked.stdout, asked.stderr
    updated = json.loads((index_dir / MANIFEST).read_text())  # `qabot ask` added the 40 files first
    assert (updated["cached"], updated["embedded"]) == (8, 32)  # the first batch of the interrupted build was kept
    mark.unlink()
    again = subprocess.run([*FAKE_QABOT, "index", "--rebuild"], env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "Indexed 43 file(s)" in again.stdout, again.stderr
    cached = json.loads((index_dir / MANIFEST).read_text())["cached"]
    assert cached == 40 + json.loads(before)["passages"]  # what the update embedded was kept too, and ARTICLE's


def test_what_a_killed_build_left_is_removed_even_when_nothing_is_left_to_change(make_corpus, tmp_path) -> None:
    """SIGKILL (the OOM killer, a power cut) in the middle of a rebuild: its half-written segment goes at the next
    run, though that run finds the index up to date and writes nothing."""
    corpus = make_corpus(ARTICLE)
    index_dir = tmp_path / "idx"
    mark = tmp_path / "embedding"
    env = {**os.environ, "QABOT_CORPUS_DIR": str(corpus), "QABOT_INDEX_DIR": str(index_dir)}
    assert subprocess.run([*FAKE_QABOT, "index"], env=env, capture_output=True, timeout=120).returncode == 0
    slow = {**env, "QABOT_TEST_EMBED_MARK": str(mark), "QABOT_TEST_EMBED_DELAY": "30", "QABOT_EMBEDDING_CACHE": "false"}
    proc = subprocess.Popen([*FAKE_QABOT, "index", "--rebuild"], env=slow, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not mark.exists():  # embedding: its segment folder is there
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    assert list(index_dir.glob(".tmp-*"))
    again = subprocess.run([*FAKE_QABOT, "index"], env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "is up to date" in again.stdout, again.stderr
    assert not list(index_dir.glob(".tmp-*"))


def test_an_index_folder_shared_with_other_things_keeps_them(make_corpus, tmp_path, fake_embedder) -> None:
    """``--index .`` in a project: only what qabot names (seg-<id>/, .tmp-<id>/, seg-<id>.<n>.deleted) is ever swept;
    CMake's build-release/, a corpus named build-docs/ and a file of the user's ending in .deleted were removed."""
    project = tmp_path / "project"
    corpus = project / "build-docs"
    corpus.mkdir(parents=True)
    (corpus / "trotsky.txt").write_text(ARTICLE["trotsky.txt"], encoding="utf-8")
    for folder in ("build-release", "seg-old", ".tmp-mine"):
        (project / folder).mkdir()
        (project / folder / "kept.txt").write_text("mine\n")
    (project / "old-notes.deleted").write_text("kept on purpose\n")
    index = open_index(_config(corpus, project), fake_embedder, progress=False)
    try:
        (corpus / "trotsky.txt").write_text("Trotsky lived in Mexico City.", encoding="utf-8")
        assert index.refresh().outcome is Outcome.UPDATED  # a commit, and its sweep of what is unused
    finally:
        index.close()
    assert (corpus / "trotsky.txt").exists() and (project / "old-notes.deleted").exists()
    assert all((project / folder / "kept.txt").exists() for folder in ("build-release", "seg-old", ".tmp-mine"))
    assert len(list(project.glob("seg-*"))) == 2  # the index's own segment, and the user's seg-old


def _read_only_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """The index folder on a read-only mount: its write lock cannot even be created (EROFS), as root sees it too."""
    from qabot.index.embedded import engine

    @contextlib.contextmanager
    def refused(folder: Path, **_given: object):
        raise OSError(errno.EROFS, "Read-only file system", str(folder / ".lock"))
        yield  # pragma: no cover

    monkeypatch.setattr(engine, "folder_lock", refused)


def test_a_read_only_index_whose_files_only_got_new_times_serves_without_a_warning(make_corpus, tmp_path,
                                                                                   fake_embedder, monkeypatch) -> None:
    """A corpus checked out or copied again (git clone, cp, rsync without -t) has new times and the same bytes: a
    read-only index serves it without a word, as it does the corpus unchanged (it warned at every start)."""
    corpus = make_corpus(ARTICLE)
    config = _config(corpus, tmp_path / "idx")
    open_index(config, fake_embedder, progress=False).close()
    later = os.stat(corpus / "trotsky.txt").st_mtime_ns + 10_000_000_000
    os.utime(corpus / "trotsky.txt", ns=(later, later))  # same bytes, new time
    _read_only_folder(monkeypatch)
    messages: list[str] = []
    index = open_index(config, fake_embedder, progress=False, notify=messages.append)
    try:
        assert not messages, messages  # got: "could not update the index (... Read-only file system ...)"
        assert index.last is not None and index.last.outcome is Outcome.UNCHANGED
    finally:
        index.close()


def test_a_reader_that_cannot_write_the_index_follows_what_its_writer_commits(make_corpus, tmp_path, fake_embedder,
                                                                             monkeypatch) -> None:
    """A process that may read the index folder but not write it (another user's, a read-only mount) served the
    state it opened on for good: its refresh (and its watch) took the write lock first, failed, and said "could not
    update the index" each time, while the writer's commits were there to read. It serves the committed state
    when that is the corpus as it is, without a warning, and says it was updated."""
    from qabot import Document

    corpus = make_corpus(ARTICLE)
    config = _config(corpus, tmp_path / "idx")
    writer = open_index(config, fake_embedder, progress=False)
    messages: list[str] = []
    reader = open_index(config, fake_embedder, progress=False, notify=messages.append)
    try:
        writer.upsert([Document(doc_id="m1", source="discord/1/2", text="Ana: the archive opens at nine.")])
        _read_only_folder(monkeypatch)
        result = reader.refresh()
        assert result.outcome is Outcome.UPDATED and reader.manifest.build == writer.manifest.build, result
        assert "discord/1/2" in [s.source for s in reader.current.sources()] and not messages
        assert reader.refresh().outcome is Outcome.UNCHANGED
    finally:
        reader.close()
        writer.close()


def test_progress_moves_while_one_big_document_is_embedded(make_corpus, tmp_path, monkeypatch) -> None:
    """A corpus of one big file (a PDF manual: one document) moved the bar only once it was all embedded: 0 % with
    no ETA until the end, and off a terminal no line until 100 %. It now moves with each batch."""
    from qabot.index import ingest

    monkeypatch.setattr(ingest, "BATCH", 8)  # as a 40,000-passage PDF is 40 batches of 1,024
    words = "archive river library window kernel socket buffer thread signal mountain exile villa".split()
    paragraphs = [" ".join(words[(i * 7 + n) % len(words)] for n in range(40)).capitalize() + f" (item {i})."
                  for i in range(300)]
    corpus = make_corpus({"manual.txt": "\n\n".join(paragraphs)})
    embedder = HashEmbedder()
    seen: list[tuple[int, int, int]] = []  # (model calls so far, bytes done, total)
    open_index(_config(corpus, tmp_path / "idx"), embedder,
               progress=lambda done, total: seen.append((embedder.calls, done, total))).close()
    calls = embedder.calls
    assert calls >= 10
    assert [done for at, done, _ in seen if at < calls // 2 and done > 0], seen  # moving while the model works
    assert all(done < total for at, done, total in seen if at < calls)  # and not at 100 % before the last batch


def test_a_full_disk_fails_the_change_and_leaves_nothing_behind(make_corpus, tmp_path, fake_embedder,
                                                                monkeypatch) -> None:
    from qabot.index.embedded.segment import SegmentWriter
    from qabot.index.embedded.store import StoreWriter

    corpus = make_corpus(ARTICLE)
    index = open_index(_config(corpus, tmp_path / "idx"), fake_embedder, progress=False)
    (corpus / "trotsky.txt").write_text("Trotsky lived in Mexico City.")

    def full(*_args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    # A full disk fails the writes, and the flush of what is still buffered when the files close.
    monkeypatch.setattr(SegmentWriter, "add", full)
    monkeypatch.setattr(StoreWriter, "close", full)
    try:
        result = index.refresh()
        assert result.outcome is Outcome.FAILED and "No space left on device" in result.reason
        assert not list((tmp_path / "idx").glob(".tmp-*"))  # the half-written segment does not keep the disk full
        monkeypatch.undo()
        assert index.refresh().outcome is Outcome.UPDATED
    finally:
        index.close()


def test_what_a_killed_change_left_is_removed_before_the_next_one_writes(make_corpus, tmp_path, fake_embedder,
                                                                        monkeypatch) -> None:
    from qabot.index.embedded.segment import SegmentWriter

    corpus = make_corpus(ARTICLE)
    index = open_index(_config(corpus, tmp_path / "idx"), fake_embedder, progress=False)
    leftover = tmp_path / "idx" / ".tmp-20260101T000000-deadbeef"  # a change killed half-way: it filled the disk
    leftover.mkdir()
    (leftover / "passages.f32").write_bytes(bytes(4096))
    add = SegmentWriter.add

    def add_unless_full(self: SegmentWriter, batch: list) -> None:
        if leftover.exists():
            raise OSError(errno.ENOSPC, "No space left on device")
        add(self, batch)

    monkeypatch.setattr(SegmentWriter, "add", add_unless_full)
    (corpus / "trotsky.txt").write_text("Trotsky lived in Mexico City.")
    try:
        assert index.refresh().outcome is Outcome.UPDATED and not leftover.exists()
    finally:
        index.close()


class _Killed(BaseException):
    """The process killed (SIGKILL, a power cut) at that point of a commit: nothing after it runs, no clean-up."""


_KILL_POINTS = ["deletion list written", "segment renamed into place", "manifest written, not yet in place",
                "manifest in place, its copy not", "committed, before the clean-up"]


@pytest.mark.parametrize("point", _KILL_POINTS)
def test_a_commit_killed_at_any_point_leaves_the_last_good_index_serving_and_the_next_open_working(
        point, make_corpus, tmp_path, fake_embedder, monkeypatch) -> None:
    from qabot import Document
    from qabot.index import manifest as manifests
    from qabot.index.embedded import writer
    from qabot.index.manifest import RECOVERY

    def message(doc_id: str, text: str) -> Document:
        return Document(doc_id=doc_id, source="discord/1/2", text=text)

    corpus = make_corpus(ARTICLE)
    config = _config(corpus, tmp_path / "idx")
    index = open_index(config, fake_embedder, progress=False)
    index.upsert([message("m0", "Dan: the archive is on the quay."), message("m1", "Ana: the archive opens at nine.")])
    before = index.manifest.build
    real_replace, real_rows, real_sync = manifests.os.replace, writer._write_rows, writer.fsync_folder

    def kill_after(real, when):
        def killed(*args, **kwargs):
            if when(*args):
                if not point.startswith("manifest"):  # the manifest, or its copy, is not yet in place
                    real(*args, **kwargs)
                raise _Killed(point)
            return real(*args, **kwargs)
        return killed

    if point == "deletion list written":
        monkeypatch.setattr(writer, "_write_rows", kill_after(real_rows, lambda *_: True))
    elif point == "segment renamed into place":
        monkeypatch.setattr(writer, "fsync_folder", kill_after(real_sync, lambda f: not f.name.startswith(".tmp-")))
    elif point == "manifest written, not yet in place":
        monkeypatch.setattr(manifests.os, "replace", kill_after(real_replace, lambda _tmp, to: Path(to).name == MANIFEST))
    elif point == "manifest in place, its copy not":
        monkeypatch.setattr(manifests.os, "replace", kill_after(real_replace, lambda _tmp, to: Path(to).name == RECOVERY))
    else:  # after the manifest and its copy, before the segments and lists no longer named are removed
        monkeypatch.setattr(EmbeddedEngine, "remember", kill_after(EmbeddedEngine.remember, lambda *_: True))
    # A killed process cleans nothing up; only its leases go, with it (the kernel lets go of its locks).
    monkeypatch.setattr(writer.EmbeddedTransaction, "abort", lambda self: self._release())
    with pytest.raises(_Killed):
        index.change([message("m2", "Bo: the archive opens at ten now.")], delete=["m1"])
    monkeypatch.undo()
    names = {p.name for p in (tmp_path / "idx").iterdir()}
    left = {"deletion list written": any(n.endswith(".deleted") for n in names),
            "segment renamed into place": len([n for n in names if n.startswith("seg-") and "." not in n]) == 3}
    assert left.get(point, True), names  # killed where it says
    committed = point in ("manifest in place, its copy not", "committed, before the clean-up")
    after = {"m0", "m2"} if committed else {"m0", "m1"}
    try:  # the state it served keeps serving, whole
        assert index.manifest.build == before and _served(index) == {"m0", "m1"}
    finally:
        index.close()
    messages: list[str] = []
    again = open_index(config, fake_embedder, progress=False, notify=messages.append)
    try:  # the next open serves the last commit as it is, without a rebuild, and its next change cleans up
        assert not messages and again.last.outcome is Outcome.UNCHANGED
        assert (again.manifest.build != before) is committed
        assert _served(again) == after and set(_api_texts(again)) == after and again.manifest.api_documents == 2
        assert manifests.read_recovery(tmp_path / "idx").build == again.manifest.build  # its copy, of this state
        assert again.upsert([message("m3", "Cy: the ferry runs on Tuesdays.")]).outcome is Outcome.UPDATED
        folder = tmp_path / "idx"
        named = {s.name for s in again.manifest.segments} | {s.deleted for s in again.manifest.segments if s.deleted}
        left = {p.name for p in folder.iterdir()} - named - {MANIFEST, RECOVERY, ".lock", "cache"}
        assert not left, left
        assert {s.name for s in manifests.read_recovery(folder).segments} == {s.name for s in again.manifest.segments}
    finally:
        again.close()


def test_a_clean_up_that_fails_after_the_commit_does_not_fail_the_change(make_corpus, tmp_path, fake_embedder,
                                                                         monkeypatch) -> None:
    """Removing a deletion list the commit no longer names failed (an I/O error): the delete, committed, raised
    "nothing of this delete was applied", and the deleted message was still quoted. Clean-up after a commit is best
    effort, as the removal of a segment folder is: the change is made, served, and said to be."""
    from qabot import Document
    from qabot.index.embedded import leases

    corpus = make_corpus(ARTICLE)
    index = open_index(_config(corpus, tmp_path / "idx"), fake_embedder, progress=False)
    try:
        index.upsert([Document(doc_id="m0", source="discord/1/2", text="Ana: the archive opens at nine."),
                      Document(doc_id="m1", source="discord/1/2", text="Bo: zebras live on the quay.")])
        index.delete(["m0"])  # the segment gets a deletion list, which the next delete replaces
        real = leases.Path.unlink

        def refused(path: Path, *args: object, **kwargs: object) -> None:
            if path.name.endswith(".deleted"):
                raise OSError(errno.EIO, "Input/output error", str(path))
            real(path, *args, **kwargs)

        monkeypatch.setattr(leases.Path, "unlink", refused)
        assert index.delete(["m1"]).outcome is Outcome.UPDATED  # raised IndexStoreError: "nothing ... was applied"
        assert _served(index) == set() and index.manifest.api_documents == 0
        monkeypatch.undo()
        assert index.upsert([Document(doc_id="m2", source="discord/1/2", text="Cy: the ferry runs.")]).updated
        named = {s.deleted for s in index.manifest.segments if s.deleted}
        assert {p.name for p in (tmp_path / "idx").glob("*.deleted")} == named  # what was left is swept later
    finally:
        index.close()


def test_a_merge_that_cannot_even_start_writing_holds_no_segment_and_leaves_nothing(make_corpus, tmp_path,
                                                                                     fake_embedder, monkeypatch) -> None:
    """A merge whose new segment could not be opened (a full disk) kept the state it read open for good: the
    segments a later merge replaced stayed on disk as long as the bot ran, and its half-made folder stayed too."""
    from qabot import Document
    from qabot.index.embedded import merge

    corpus = make_corpus(ARTICLE)
    monkeypatch.setattr(merge, "MAX_SEGMENTS", 100)  # no merge in the background
    index = open_index(_config(corpus, tmp_path / "idx"), fake_embedder, progress=False)
    try:
        for i in range(3):
            index.upsert([Document(doc_id=f"m{i}", source="discord/1/2", text=f"Message {i} about the quay.")])
        monkeypatch.setattr(merge, "MAX_SEGMENTS", 1)

        def full(folder: Path) -> None:
            folder.mkdir(parents=True)
            raise OSError(errno.ENOSPC, "No space left on device", str(folder / "text.u32"))

        monkeypatch.setattr(merge, "SegmentWriter", full)
        with pytest.raises(OSError, match="No space left"):
            index.engine.maintain()
        assert not list((tmp_path / "idx").glob(".tmp-*"))
        monkeypatch.undo()
        monkeypatch.setattr(merge, "MAX_SEGMENTS", 1)
        while index.engine.maintain():
            index._serve(index.engine.open())
        assert len(index.manifest.segments) == 1
        assert {p.name for p in (tmp_path / "idx").glob("seg-*")} == {index.manifest.segments[0].name}
    finally:
        index.close()


def test_a_change_interrupted_once_committed_is_served_when_it_is_asked_for_again(make_corpus, tmp_path,
                                                                                 fake_embedder, monkeypatch) -> None:
    """Ctrl-C just after a delete committed, then the delete again (a REPL, a script run again): the second found
    nothing to do, so the state in service stayed the one before, and the deleted message was still quoted."""
    from qabot import Document
    from qabot.index import manifest as manifests

    index = open_index(_config(make_corpus(ARTICLE), tmp_path / "idx"), fake_embedder, progress=False)
    try:
        index.upsert([Document(doc_id="m0", source="discord/1/2", text="Ana: the archive opens at nine."),
                      Document(doc_id="m1", source="discord/1/2", text="Bo: zebras live on the quay.")])
        real = manifests.os.replace

        def interrupted(source: object, target: object) -> None:
            real(source, target)
            if Path(target).name == MANIFEST:
                raise KeyboardInterrupt

        monkeypatch.setattr(manifests.os, "replace", interrupted)
        with pytest.raises(KeyboardInterrupt):
            index.delete(["m1"])
        monkeypatch.undo()
        assert _served(index) == {"m0", "m1"}  # the commit was made; the state in service is the one before
        assert index.delete(["m1"]).outcome is Outcome.UNCHANGED
        assert _served(index) == {"m0"}
    finally:
        index.close()


def _served(index: LivingIndex) -> set[str]:
    """The ids of the document API's documents in the state ``index`` serves (not the one committed last)."""
    state = index.current
    live = [part.base + row for part in state.parts for row in range(part.info.passages)  # type: ignore[attr-defined]
            if part.dead is None or not part.dead[row]]
    return {d for d in state.doc_ids(live).values() if d.startswith("m")}


def _sqlite_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite cannot grow a segment's document database: its own error, an OperationalError."""
    import sqlite3

    connect = sqlite3.connect

    def full(path: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        db = connect(path, *args, **kwargs)
        if not kwargs and Path(str(path)).name == "documents.sqlite":  # a segment being written
            db.execute("PRAGMA max_page_count = 1")
        return db

    monkeypatch.setattr(sqlite3, "connect", full)


def _faiss_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """FAISS cannot write an approximate index: its own error, a RuntimeError."""
    import faiss

    def full(_index: object, path: str) -> None:
        raise RuntimeError("Error in void faiss::write_index_header(const Index*, IOWriter*) at index_write.cpp:110: "
                           f"Error: 'ret == (size)' failed: write error in {path}: 0 != 4 (No space left on device)")

    monkeypatch.setattr(faiss, "write_index", full)


@pytest.mark.parametrize(("factory", "fill", "said"), [("Flat", _sqlite_full, "database or disk is full"),
                                                        ("HNSW32", _faiss_full, "No space left on device")])
def test_a_librarys_own_error_on_a_full_disk_fails_the_change_not_the_index(factory, fill, said, make_corpus, tmp_path,
                                                                            fake_embedder, monkeypatch) -> None:
    corpus = make_corpus(ARTICLE)
    config = BuildConfig(corpus_dir=corpus, index_dir=tmp_path / "idx", index_factory=factory)
    open_index(config, fake_embedder, progress=False).close()
    (corpus / "trotsky.txt").write_text("Trotsky lived in Mexico City.")
    fill(monkeypatch)
    messages: list[str] = []
    index = open_index(config, fake_embedder, progress=False, notify=messages.append)  # the last good index serves
    try:
        assert any(said in m and "the last good index keeps serving" in m for m in messages)
        assert index.manifest.files["trotsky.txt"].size == len(ARTICLE["trotsky.txt"].encode())
        assert not list((tmp_path / "idx").glob(".tmp-*"))
    finally:
        index.close()


def test_document_details_are_right_past_the_store_cache(make_corpus, tmp_path, fake_embedder, monkeypatch) -> None:
    from qabot.index.embedded import store

    monkeypatch.setattr(store, "_CACHED_DOCUMENTS", 3)  # far fewer than the documents asked about
    corpus = make_corpus({f"doc{i}.txt": f"Document {i} says that item {i} is number {i}." for i in range(8)})
    living = open_index(_config(corpus, tmp_path / "idx"), fake_embedder, progress=False)
    index = living.current
    rows = list(range(index.manifest.passages))
    index.doc_ids(rows[:2])  # some documents cached, then more asked for than the cache holds
    for _ in range(2):
        assert index.doc_ids(rows) == {r: f"doc{r}.txt" for r in rows}
        assert [index.passages([r])[r].source for r in rows] == [f"doc{r}.txt" for r in rows]
    living.close()


def test_a_kept_passage_is_numbered_as_its_snapshot_numbers_it(make_corpus, tmp_path, fake_embedder,
                                                                 monkeypatch) -> None:
    from qabot.index.embedded import store

    monkeypatch.setattr(store, "_CACHED_PASSAGES", 4)  # fewer than the passages read
    corpus = make_corpus({f"doc{i}.txt": f"Document {i} says that item {i} is number {i}." for i in range(8)})
    living = open_index(_config(corpus, tmp_path / "idx"), fake_embedder, progress=False)
    segment = living.current.parts[0].segment.store
    rows = list(range(8))
    first = segment.passages(rows)
    assert segment.passages(rows) == first  # read again, from what was kept and what was not
    # The same segment behind others (a later snapshot after a merge): its passages take that snapshot's numbers.
    moved = segment.passages(rows, row_base=100, doc_base=10)
    assert [(p.row, p.doc, p.text) for p in moved.values()] == [(r + 100, p.doc + 10, p.text) for r, p in first.items()]
    assert segment.passages(rows) == first
    living.close()


@pytest.mark.parametrize("widened", [True, False])
def test_the_rerank_reads_sentence_vectors_widened_bit_for_bit(widened, make_corpus, tmp_path, fake_embedder,
                                                                monkeypatch) -> None:
    import numpy as np

    from qabot.index.embedded import segment as segments

    # A small segment keeps its sentence vectors widened once; a larger one widens the rows asked for.
    monkeypatch.setattr(segments, "WIDENED_BYTES", segments.WIDENED_BYTES if widened else 0)
    corpus = make_corpus({f"doc{i}.txt": f"Document {i} is here. It says item {i} is number {i}." for i in range(6)})
    living = open_index(_config(corpus, tmp_path / "idx"), fake_embedder, progress=False)
    segment = living.current.parts[0].segment
    rows = np.array([5, 0, 3, 3], dtype=np.int64)
    for _ in range(2):  # the first read widens, the second reads what was kept
        found = segment.sentence_vectors32(rows)
        assert found.dtype == np.float32
        assert np.array_equal(found, np.asarray(segment.sentence_vectors[rows], dtype=np.float32))
    assert (segment._widened is not None) == widened
    living.close()


def test_a_kept_neighbourhood_is_the_same_each_time(make_corpus, tmp_path, fake_embedder) -> None:
    paragraphs = [" ".join(f"Sentence {j} of paragraph {i} is about ferry {i * 100 + j}." for j in range(12))
                  for i in range(8)]
    corpus = make_corpus({"long.txt": "\n\n".join(paragraphs)})
    living = open_index(_config(corpus, tmp_path / "idx"), fake_embedder, progress=False)
    snapshot = living.current
    middle = snapshot.passages([3])[3]
    near = snapshot.neighbours(middle, 2)
    assert [p.row for p in near] == [1, 2, 3, 4, 5]
    near.clear()  # whatever a caller does with the list it was given
    assert [p.row for p in snapshot.neighbours(middle, 2)] == [1, 2, 3, 4, 5]
    assert [p.row for p in snapshot.neighbours(middle, 1)] == [2, 3, 4]
    living.close()


def test_sentence_vectors_widen_from_float16_bit_for_bit() -> None:
    import numpy as np

    from qabot.index.engine import half_to_float32

    every = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)  # subnormals, zeros, inf, NaN
    finite = every[np.isfinite(every)].reshape(-1, 4)
    for values in (finite, every, every[:0]):
        assert np.array_equal(half_to_float32(values).view(np.uint32), values.astype(np.float32).view(np.uint32))
    assert half_to_float32(finite).shape == finite.shape
