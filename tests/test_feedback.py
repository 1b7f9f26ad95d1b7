"""The state database of answers and votes, ``qabot feedback`` and ``qabot feedback export``.

The store is a real SQLite file in the test's folder; answers are built by hand
(tests/answers.py), so every stored field is known. The CLI runs as a real process.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from qabot.errors import QABotError, QuestionError, StateError
from qabot.eval.datasets import load_items
from qabot.feedback import HELPFUL, NOT_HELPFUL, FeedbackStore, export, export_items, state_dir, summarise, summary_text
from qabot.feedback import store as store_module
from qabot.feedback.schema import SCHEMA, SCHEMA_VERSION
from qabot.settings import load_settings
from tests.answers import answer
from tests.conftest import FAKE_QABOT

WEEK = 7 * 24 * 3600
MONDAY = 1_735_603_200.0  # 2024-12-31, a Tuesday of ISO week 2025-W01; + WEEK is 2025-W02


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    made = FeedbackStore(tmp_path / "state")
    yield made
    made.close()


def at(monkeypatch: pytest.MonkeyPatch, when: float) -> None:
    monkeypatch.setattr(store_module.time, "time", lambda: when)


def test_the_state_folder_is_beside_the_index_unless_set(tmp_path: Path) -> None:
    settings = load_settings(_env_file=None, index_dir=tmp_path / "embeddings")
    assert state_dir(settings) == tmp_path / "qabot-state"  # not inside the index's build-* folders
    assert state_dir(load_settings(_env_file=None, state_dir=tmp_path / "s")) == tmp_path / "s"


def test_a_vote_is_one_per_user_and_answer_and_may_change(store: FeedbackStore) -> None:
    answer_id = store.record(answer(), frontend="library", user="alice", guild_id=5, channel_id=6, build="b1")
    first = store.vote(answer_id, "alice", HELPFUL)
    same = store.vote(answer_id, "alice", HELPFUL)
    changed = store.vote(answer_id, "alice", NOT_HELPFUL)
    assert (first.previous, same.previous, changed.previous) == (None, HELPFUL, HELPFUL)
    assert not first.changed and not same.changed and changed.changed
    store.vote(answer_id, "bob", HELPFUL)
    assert store.tallies() == {answer_id: (1, 1)}
    assert store.vote("0" * 16, "alice", HELPFUL) is None  # an answer the store never saw
    with pytest.raises(QABotError):
        store.vote(answer_id, "alice", 2)
    stored = store.get(answer_id)
    assert (stored.question, stored.guild_id, stored.channel_id, stored.build) == ("Who killed Trotsky?", 5, 6, "b1")
    assert stored.highlight == answer().excerpts[0].highlight and stored.doc_id == answer().excerpts[0].citation.doc_id


def test_answers_past_the_retention_go_with_their_votes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(_env_file=None, state_dir=tmp_path / "state", state_retention_days=30)
    writer = FeedbackStore.from_settings(settings)
    at(monkeypatch, MONDAY)
    old = writer.record(answer(), frontend="slash", user="alice")
    writer.vote(old, "alice", HELPFUL)
    at(monkeypatch, MONDAY + 20 * 86400)
    recent = writer.record(answer(), frontend="slash", user="bob")
    writer.close()
    at(monkeypatch, MONDAY + 40 * 86400)  # the first answer is 40 days old, the second 20
    reopened = FeedbackStore.from_settings(settings)
    assert [a.id for a in reopened.answers()] == [recent]  # pruned on first use
    assert reopened.tallies() == {} and reopened.get(old) is None
    monkeypatch.setattr(store_module.time, "monotonic", lambda: 10.0**9)  # an hour on: pruned again as it runs
    at(monkeypatch, MONDAY + 60 * 86400)
    reopened.record(answer(), frontend="repl")
    assert recent not in [a.id for a in reopened.answers()]
    reopened.close()
    kept = FeedbackStore(tmp_path / "state")  # no retention: nothing is deleted
    assert kept.prune() == 0 and len(kept.answers()) == 1
    kept.close()


def test_answers_past_the_retention_or_of_a_server_left_leave_the_files_bytes_while_the_store_is_open(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The question of an answer deleted (past the retention, a server left) leaves the state folder's bytes when it
    is deleted, not only its rows: nor in SQLite's write-ahead log, which a long-running bot keeps, nor in the pages
    the rows were in."""
    store = FeedbackStore(tmp_path / "state", retention_days=30)
    at(monkeypatch, MONDAY)
    store.record(answer("Is the Snorkelwight telescope any good?"), frontend="slash", user="alice")
    at(monkeypatch, MONDAY + 20 * 86400)
    store.record(answer("Where is the Grommelfax club house?"), frontend="slash", user="bob", guild_id=5)
    store.record(answer("When does the dome open?"), frontend="slash", user="carol", guild_id=6)

    def raw() -> bytes:
        return b"".join(p.read_bytes() for p in store.folder.iterdir() if p.is_file())

    assert b"Snorkelwight" in raw() and b"Grommelfax" in raw()  # the test sees them where they are
    at(monkeypatch, MONDAY + 40 * 86400)
    assert store.prune() == 1 and b"Snorkelwight" not in raw()
    assert store.forget_guild(5)[0] == 1 and b"Grommelfax" not in raw()
    assert b"When does the dome open?" in raw()  # another server's stays
    store.close()


def test_user_ids_are_salted_hashes_that_another_process_agrees_on(store: FeedbackStore) -> None:
    answer_id = store.record(answer(), frontend="slash", user="discord:1300000000000000042")
    store.vote(answer_id, "discord:1300000000000000042", HELPFUL)
    other = FeedbackStore(store.folder)  # another process (a shard) opening the same folder
    assert other.vote(answer_id, "discord:1300000000000000042", NOT_HELPFUL).previous == HELPFUL  # same user
    other.close()
    raw = b"".join(p.read_bytes() for p in store.folder.iterdir() if p.is_file())
    assert b"1300000000000000042" not in raw
    assert (store.folder / "salt").stat().st_mode & 0o777 == 0o600
    assert store.folder.stat().st_mode & 0o777 == 0o700
    assert FeedbackStore(store.folder.parent / "elsewhere").user_hash("x") != store.user_hash("x")  # its own salt


def test_an_unusable_state_folder_or_a_newer_database_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StateError) as caught:
        FeedbackStore(blocker / "state").record(answer(), frontend="repl")
    assert "QABOT_STATE_DIR" in str(caught.value) and "\n" not in str(caught.value)
    newer = tmp_path / "newer"
    newer.mkdir()
    with sqlite3.connect(newer / "qabot.sqlite3") as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(StateError, match="newer qabot"):
        FeedbackStore(newer).record(answer(), frontend="repl")


def test_a_state_folder_that_is_a_file_is_refused_in_one_line_by_every_command(tmp_path: Path) -> None:
    """QABOT_STATE_DIR naming a file: `qabot feedback` said "No feedback yet: there is no state database in
    a-file", `--json` gave an empty summary and the export wrote no question, all with status 0 (and a REPL vote failed
    with "cannot make the state folder ... File exists"); each says now, in one line, that the setting is no folder."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {**os.environ, "QABOT_STATE_DIR": str(blocker), "QABOT_INDEX_DIR": str(tmp_path / "index")}
    for args in (["feedback"], ["feedback", "--json"], ["feedback", "export", str(tmp_path / "out.jsonl")]):
        done = subprocess.run([*FAKE_QABOT, *args], capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 1 and done.stdout == "", (args, done.stdout)
        assert done.stderr == f"Error: QABOT_STATE_DIR is not a folder: {blocker} is a file\n", args
    assert not (tmp_path / "out.jsonl").exists()
    for folder in (blocker, blocker / "state"):  # the library, and a folder under the file, the same way
        with pytest.raises(StateError, match="^QABOT_STATE_DIR is not a folder: "):
            FeedbackStore(folder).answers()


def test_a_history_given_as_one_string_is_one_earlier_question_as_qabot_ask_reads_it(store) -> None:
    """`store.record(answer, history="Who killed Trotsky?")` kept a history of its characters ("W", "h", "o", ...;
    exported so as eval questions), where `QABot.ask` reads one string as one earlier question; and a history of
    numbers failed with a TypeError. The store reads a history as ask does now, and refuses what ask refuses."""
    answer_id = store.record(answer("When did he die?"), frontend="library", history="Who killed  Trotsky?")
    assert store.get(answer_id).history == ["Who killed Trotsky?"]
    with pytest.raises(QuestionError, match="^history must hold earlier questions as text, not int$"):
        store.record(answer(), frontend="library", history=[1, 2])


def test_a_scope_given_as_one_string_is_one_pattern_as_qabot_ask_reads_it(store) -> None:
    """`store.record(answer, scope="guides/")` kept the scope as ["g", "u", "i", ...], where `QABot.ask(sources=...)`
    reads one string as one pattern."""
    answer_id = store.record(answer(), frontend="library", scope="guides/")
    assert store.get(answer_id).scope == ["guides/"]
    assert store.get(store.record(answer(), frontend="library", scope=("a/", "*.pdf"))).scope == ["a/", "*.pdf"]


def test_the_summary_counts_votes_by_week_and_lists_the_most_asked_unanswered(store, monkeypatch) -> None:
    at(monkeypatch, MONDAY)
    good = store.record(answer("Who killed Trotsky?"), frontend="slash", user="u1")
    store.record(answer("What is the capital of Peru?", answered=False), frontend="mention", user="u2")
    store.vote(good, "u1", HELPFUL)
    store.vote(good, "u2", HELPFUL)
    at(monkeypatch, MONDAY + WEEK)
    bad = store.record(answer("What weapon was used?"), frontend="slash", user="u3")
    store.vote(bad, "u3", NOT_HELPFUL)
    for wording in ("what is the  capital of PERU", "What is the capital of Peru?"):
        store.record(answer(wording, answered=False), frontend="dm", user="u4")
    store.record(answer("Who was Frida Kahlo?", answered=False), frontend="repl")

    summary = summarise(store)
    assert (summary.answers, summary.answered, summary.abstentions) == (6, 2, 4)
    assert (summary.helpful, summary.not_helpful, summary.voted_answers) == (2, 1, 2)
    assert summary.frontends == {"slash": 2, "dm": 2, "mention": 1, "repl": 1}
    assert [(w.week, w.answers, w.share) for w in summary.weeks] == [("2025-W01", 2, 1.0), ("2025-W02", 4, 0.0)]
    assert [(u.question, u.times) for u in summary.unanswered] == [
        ("What is the capital of Peru?", 3), ("Who was Frida Kahlo?", 1)]
    text = summary_text(summary)
    assert text.startswith("Answers: 6 (2 answered, 4 not found in the corpus)\n")
    assert "Votes: 3 on 2 answer(s): 2 helpful, 1 not helpful (67% helpful)" in text
    assert "2025-W01" in text and "100%" in text and "What is the capital of Peru?" in text
    assert summarise(store, guild_id=123).answers == 0  # no answer was given in that server


def test_export_writes_eval_questions_gold_from_helpful_answers_the_rest_to_review(store, tmp_path) -> None:
    helpful = answer("Who killed Trotsky?")
    good = store.record(helpful, frontend="slash", user="u1")
    store.vote(good, "u1", HELPFUL)
    again = store.record(answer("who killed  trotsky"), frontend="slash", user="u2")  # the same question
    store.vote(again, "u2", HELPFUL)
    bad = store.record(answer("What weapon was used?"), frontend="slash", history=["Who killed Trotsky?"], user="u1")
    store.vote(bad, "u1", NOT_HELPFUL)
    store.record(answer("What is the capital of Peru?", answered=False), frontend="dm", user="u3")
    store.record(answer("Where did he live?"), frontend="slash", user="u4")  # nobody voted: left out

    done = export(store, tmp_path / "feedback.jsonl")
    assert (done.items, done.with_gold, done.to_review) == (3, 1, 2)
    items = {item.question: item for item in load_items(tmp_path / "feedback.jsonl")}  # qabot eval reads it
    assert set(items) == {"who killed trotsky", "What weapon was used?", "What is the capital of Peru?"}
    trotsky = items["who killed trotsky"]
    assert trotsky.answers == [" ".join(helpful.excerpts[0].highlight.split())]
    assert trotsky.docs == [helpful.excerpts[0].citation.doc_id]
    assert items["What weapon was used?"].answers == [] and items["What weapon was used?"].history == [
        "Who killed Trotsky?"]
    assert items["What is the capital of Peru?"].answers == []
    raw = {json.loads(line)["question"]: json.loads(line) for line in (tmp_path / "feedback.jsonl").open()}
    assert raw["What weapon was used?"]["review"] is True and "review" not in raw["who killed trotsky"]
    assert raw["who killed trotsky"]["feedback"] == {"asked": 2, "helpful": 2, "not_helpful": 0, "abstained": 0}
    assert export_items(store, guild_id=99) == []


def test_qabot_feedback_and_its_export_run_as_commands(make_corpus, tmp_path, store) -> None:
    corpus = make_corpus({"a.txt": "Ramon Mercader killed Trotsky with an ice axe in Coyoacan in 1940.\n"})
    env = {**os.environ, "QABOT_CORPUS_DIR": str(corpus), "QABOT_INDEX_DIR": str(tmp_path / "index"),
           "QABOT_STATE_DIR": str(store.folder)}

    def qabot(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*FAKE_QABOT, *args], capture_output=True, text=True, env=env, timeout=120,
                              cwd=tmp_path)

    empty = qabot("feedback")
    assert empty.returncode == 0 and "No feedback yet" in empty.stdout
    shown = answer("Who killed Trotsky?")
    shown.excerpts[0].highlight = "Ramon Mercader killed Trotsky"
    good = store.record(shown, frontend="slash", user="u1", guild_id=7)
    store.vote(good, "u1", HELPFUL)
    store.record(answer("What is the capital of Peru?", answered=False), frontend="dm", user="u2")

    summary = qabot("feedback")
    assert summary.returncode == 0, summary.stderr
    assert summary.stdout.startswith("Answers: 2 (1 answered, 1 not found in the corpus)")
    assert "Most-asked unanswered questions" in summary.stdout and "capital of Peru" in summary.stdout
    as_json = json.loads(qabot("feedback", "--json", "--guild", "7").stdout)
    assert (as_json["answers"], as_json["helpful"]) == (1, 1)
    # a server with no answers, where others have some, was told "No answers recorded yet.": as if none were
    elsewhere = qabot("feedback", "--guild", "8")
    assert (elsewhere.returncode, elsewhere.stdout) == (0, "No answers recorded in server 8 (2 in all).\n")
    too_big = qabot("feedback", "--guild", str(2**64))  # no Discord id is this large, nor any SQLite integer
    assert too_big.returncode == 2 and "Invalid value for '--guild'" in too_big.stderr.splitlines()[-1]
    # --json is the summary's: given before export, it was ignored without a word (and the export's line printed)
    as_json_export = qabot("feedback", "--json", "export", str(tmp_path / "out.jsonl"))
    assert (as_json_export.returncode, as_json_export.stdout) == (2, "")
    assert as_json_export.stderr == ("Error: --json is the summary's: qabot feedback export writes JSONL to its "
                                     "FILE (see 'qabot feedback --help')\n")
    assert not (tmp_path / "out.jsonl").exists()

    exported = qabot("feedback", "export", str(tmp_path / "out.jsonl"))
    assert exported.returncode == 0, exported.stderr
    assert "Wrote 2 question(s)" in exported.stdout and "1 with gold" in exported.stdout
    evaluated = qabot("eval", str(tmp_path / "out.jsonl"), "--json")  # the export is qabot eval input as it is
    assert evaluated.returncode == 0, evaluated.stderr
    [report] = json.loads(evaluated.stdout)
    assert report["questions"] == 2

    # --guild is the group's: given after export it is refused, naming a help that now says where it goes
    misplaced = qabot("feedback", "export", str(tmp_path / "seven.jsonl"), "--guild", "7")
    assert misplaced.returncode == 2 and "(see 'qabot feedback export --help')" in misplaced.stderr
    assert "One server's: qabot feedback --guild ID export FILE." in " ".join(qabot("feedback", "export",
                                                                                  "--help").stdout.split())
    assert "Wrote 1 question(s)" in qabot("feedback", "--guild", "7", "export", str(tmp_path / "seven.jsonl")).stdout

    failed = qabot("feedback", "export", str(tmp_path / "missing" / "out.jsonl"))
    assert failed.returncode == 1 and failed.stderr.startswith("Error: cannot write") and "Traceback" not in failed.stderr


def test_feedback_export_of_a_dash_writes_the_jsonl_to_stdout(make_corpus, tmp_path, store) -> None:
    """`qabot feedback export -` wrote a file named "-" in the current folder and nothing to stdout, where "-" is
    stdout by convention (`qabot ask -` reads its question from stdin): now the JSONL goes to stdout, alone, and the
    line that counts it to stderr."""
    good = store.record(answer("Who killed Trotsky?"), frontend="slash", user="u1")
    store.vote(good, "u1", HELPFUL)
    store.record(answer("What is the capital of Peru?", answered=False), frontend="dm", user="u2")
    env = {**os.environ, "QABOT_CORPUS_DIR": str(make_corpus({"a.txt": "Some text.\n"})),
           "QABOT_INDEX_DIR": str(tmp_path / "index"), "QABOT_STATE_DIR": str(store.folder)}
    piped = subprocess.run([*FAKE_QABOT, "feedback", "export", "-"], capture_output=True, text=True, env=env,
                           timeout=120, cwd=tmp_path)
    assert piped.returncode == 0, piped.stderr
    assert not (tmp_path / "-").exists()
    assert [json.loads(line)["question"] for line in piped.stdout.splitlines()] == [
        "Who killed Trotsky?", "What is the capital of Peru?"]
    assert piped.stderr.startswith("Wrote 2 question(s) to stdout: 1 with gold")
    shown = subprocess.run([*FAKE_QABOT, "feedback", "export", "--help"], capture_output=True, text=True, env=env,
                           timeout=120, cwd=tmp_path)
    assert "FILE (- is stdout; the count then goes to stderr)" in " ".join(shown.stdout.split())


# -- private state ----------------------------------------------------------------------------


def test_the_database_is_its_owners_alone_whatever_its_folders_mode(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    folder.mkdir(mode=0o755)  # made before, by someone else's umask
    folder.chmod(0o755)
    made = FeedbackStore(folder)
    made.vote(made.record(answer("Who killed Trotsky?"), frontend="slash", user="u1"), "u1", HELPFUL)
    files = {p.name: p.stat().st_mode & 0o777 for p in folder.iterdir()}
    made.close()
    assert {"qabot.sqlite3", "qabot.sqlite3-wal", "salt"} <= set(files)
    assert set(files.values()) == {0o600}, files

    older = tmp_path / "older"  # a database an earlier qabot left readable by all
    older.mkdir()
    sqlite3.connect(older / "qabot.sqlite3").close()
    (older / "qabot.sqlite3").chmod(0o644)
    again = FeedbackStore(older)
    assert again.count(since=0) == (0, 0)
    again.close()
    assert (older / "qabot.sqlite3").stat().st_mode & 0o777 == 0o600


def _older(folder: Path, version: int, row: tuple, *added: str) -> Path:
    """A state database as schema ``version`` made it, without the columns ``added`` since, with one answer."""
    folder.mkdir()
    schema = SCHEMA
    for column in added:
        schema = schema.replace(f",\n    {column} TEXT", "")
    assert all(column not in schema for column in added)
    db = sqlite3.connect(folder / "qabot.sqlite3")
    db.executescript(schema)
    db.execute(f"INSERT INTO answers VALUES ({', '.join('?' * len(row))})", row)
    db.execute(f"PRAGMA user_version = {version}")
    db.commit()
    db.close()
    return folder


def _schema_1(folder: Path, dm_channel: int) -> Path:
    """A state database as schema 1 wrote it, with one answer in a direct message: its channel id in clear."""
    row = ("0123456789abcdef", 1.0, "dm", "Who?", "[]", "who", 1, 0.9, None, "[]", None, None, None, dm_channel,
           None, None)
    return _older(folder, 1, row, "channel_hash", "about_hash", "message_hash")


def test_a_direct_messages_channel_is_kept_hashed_and_an_older_database_is_rewritten(tmp_path: Path) -> None:
    dm_channel, guild_channel = 1_200_000_000_000_000_400, 1_200_000_000_000_000_200
    old = _schema_1(tmp_path / "old", dm_channel)
    migrated = FeedbackStore(old)
    [stored] = migrated.answers()
    assert stored.channel_id is None and stored.channel_hash == migrated.channel_hash(dm_channel)
    new = migrated.record(answer("Where?"), frontend="dm", channel_id=dm_channel, user="u1")
    in_a_server = migrated.record(answer("When?"), frontend="slash", guild_id=7, channel_id=guild_channel)
    assert migrated.get(new).channel_id is None and migrated.get(in_a_server).channel_id == guild_channel
    migrated.close()
    with sqlite3.connect(old / "qabot.sqlite3") as db:
        dumped = "\n".join(db.iterdump())
    assert str(dm_channel) not in dumped and str(guild_channel) in dumped


def test_export_never_writes_through_a_link_left_where_its_temporary_file_goes(store, tmp_path: Path) -> None:
    good = store.record(answer("Who killed Trotsky?"), frontend="slash", user="u1")
    store.vote(good, "u1", HELPFUL)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    target = tmp_path / "feedback.jsonl"
    for pid in range(os.getpid() - 50, os.getpid() + 50):  # the names a predictable temporary file would take
        (tmp_path / f".feedback.jsonl.{pid}.tmp").symlink_to(victim)
    done = export(store, target)
    assert done.items == 1 and victim.read_text(encoding="utf-8") == "precious\n"
    assert target.is_file() and not target.is_symlink() and "Trotsky" in target.read_text(encoding="utf-8")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".feedback.jsonl.") and not p.is_symlink()]

    target.unlink()
    target.symlink_to(victim)  # a link in the export's own place is replaced, not written through
    export(store, target)
    assert victim.read_text(encoding="utf-8") == "precious\n" and not target.is_symlink()


def test_export_to_a_pipe_writes_into_it_and_a_link_to_one_is_refused(store, tmp_path: Path) -> None:
    """`mkfifo votes; qabot feedback export votes` renamed a plain file over the pipe (its reader waited for ever), as
    `qabot feedback export /dev/null` (or the link /dev/stdout), run as root, did over the device. A pipe or a terminal
    is written to as a shell's `>` does; a link to one is refused in one line, and left as it is."""
    import threading

    good = store.record(answer("Who killed Trotsky?"), frontend="slash", user="u1")
    store.vote(good, "u1", HELPFUL)
    pipe = tmp_path / "votes"
    os.mkfifo(pipe)
    read: list[str] = []
    reader = threading.Thread(target=lambda: read.append(pipe.read_text(encoding="utf-8")), daemon=True)
    reader.start()
    done = export(store, pipe)
    reader.join(10)
    assert read and "Trotsky" in read[0] and done.items == 1
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    link = tmp_path / "stdout"
    link.symlink_to(pipe)
    with pytest.raises(QABotError, match=r"^cannot write .*stdout: it is a link to something that is no plain file"):
        export(store, link)
    assert link.is_symlink() and stat.S_ISFIFO(os.lstat(pipe).st_mode)


def test_export_to_dev_stdout_writes_through_the_link_and_never_replaces_it(store, tmp_path: Path, monkeypatch) -> None:
    """`qabot feedback export /dev/stdout`, run as root with stdout a file (a job's log), renamed a plain file over
    the link /dev/stdout, which every process of the machine then wrote into. A link in /dev is written through (the
    job's log gets the export, after what it held), and stays. (A /dev of its own here: the real one is no place to
    test.)"""
    import importlib

    exporting = importlib.import_module("qabot.feedback.export")  # the module: qabot.feedback.export is its function
    good = store.record(answer("Who killed Trotsky?"), frontend="slash", user="u1")
    store.vote(good, "u1", HELPFUL)
    dev = tmp_path / "dev"
    dev.mkdir()
    monkeypatch.setattr(exporting, "_SYSTEM", (str(dev),))
    log = tmp_path / "job.log"
    log.write_text("an earlier line\n", encoding="utf-8")
    (dev / "stdout").symlink_to(log)
    done = export(store, dev / "stdout")
    assert done.items == 1 and (dev / "stdout").is_symlink()
    assert log.read_text(encoding="utf-8").startswith("an earlier line\n{") and "Trotsky" in log.read_text("utf-8")
    with pytest.raises(QABotError, match=r"^cannot write .*nothing: it is no plain file"):
        export(store, dev / "nothing")  # never made there
    assert not (dev / "nothing").exists()


def test_export_refuses_to_replace_the_state_databases_own_files(store, tmp_path: Path) -> None:
    """`qabot feedback export qabot-state/qabot.sqlite3` replaced the state database with the JSONL it wrote (every
    answer, vote and learnt message gone), and the salt or a -wal file the same way, and a state folder not made yet
    was made a file; each is refused in one line now, however the folder is spelt, and a file of another name in the
    folder is still written."""
    good = store.record(answer("Who killed Trotsky?"), frontend="slash", user="u1")
    store.vote(good, "u1", HELPFUL)
    store.user_hash("u1")  # the salt is made
    salt = (store.folder / "salt").read_bytes()
    for target in (store.path, store.folder / "salt", store.folder / "qabot.sqlite3-wal",
                   tmp_path / "state" / ".." / "state" / "qabot.sqlite3"):
        with pytest.raises(QABotError, match="^cannot write .*: it would replace the state database's files") as caught:
            export(store, target)
        assert "\n" not in str(caught.value) and "QABOT_STATE_DIR" in str(caught.value)
    unmade = FeedbackStore(tmp_path / "later" / "state")  # a file where its folder is to be made: none could be
    for target in (unmade.folder, unmade.folder.parent):
        with pytest.raises(QABotError, match="it would replace the state database's files"):
            export(unmade, target)
        assert not target.exists()
    store.close()
    assert FeedbackStore(store.folder).tallies() == {good: (1, 0)} and (store.folder / "salt").read_bytes() == salt
    assert not (store.folder / "qabot.sqlite3-wal").exists() or "Trotsky" not in (
        store.folder / "qabot.sqlite3-wal").read_text(errors="replace")
    assert export(store, store.folder / "votes.jsonl").items == 1


def test_a_schema_2_database_keeps_its_answers_and_learns_whose_message_a_question_was_about(tmp_path: Path) -> None:
    """A database from before ``about_hash`` gains it when opened: its answers stay, and an answer to a question
    asked about someone's message ("Ask qabot") goes when that someone is forgotten, as their own questions do."""
    row = ("0123456789abcdef", 1.0, "slash", "Who?", "[]", "who", 1, 0.9, None, "[]", None, None, 7, 70, None, None,
           None)
    store = FeedbackStore(_older(tmp_path / "v2", 2, row, "about_hash", "message_hash"))
    about = store.record(answer("When does Ana's tour start?"), frontend="menu", guild_id=7, channel_id=70,
                         user="discord:2", about="discord:1")
    forgotten = store.forget_member(7, "discord:1")
    assert forgotten.questions == {about: "When does Ana's tour start?"} and forgotten.in_server == 0
    assert [a.question for a in store.answers()] == ["Who?"]


def test_forgetting_a_member_takes_out_their_votes_on_others_answers_in_that_server(store) -> None:
    """A forgotten member's votes on others' answers were kept under the salted hash of their id, which the operator,
    who holds the salt, computes from the id the manager gave: how they voted stayed theirs to read. Those cast in
    the server they were forgotten in go; others' votes there, and theirs in another server, stay."""
    here = store.record(answer("Who killed Trotsky?"), frontend="slash", guild_id=7, channel_id=70, user="discord:2")
    there = store.record(answer("Who killed Trotsky?"), frontend="slash", guild_id=8, channel_id=80, user="discord:2")
    for answer_id in (here, there):
        store.vote(answer_id, "discord:1", HELPFUL)
    store.vote(here, "discord:3", NOT_HELPFUL)
    store.forget_member(7, "discord:1")
    assert store.tallies() == {here: (0, 1), there: (1, 0)}
    with store._connection() as db:
        theirs = db.execute("SELECT answer_id FROM votes WHERE user_hash = ?", (store.user_hash("discord:1"),))
        assert theirs.fetchall() == [(there,)]


def test_a_deleted_or_edited_message_takes_out_the_questions_asked_about_it(store, monkeypatch) -> None:
    """"Ask qabot" asks a message's words: once that message is deleted, the answers asked about it go with the votes
    on them, and a later question that followed one keeps its answer without it in its history or its searched
    query; once it is edited, those asked before the edit go, and those asked about its new words stay. The
    message's id is kept only as a salted hash."""
    ana = "When does Ana's tour start?"
    at(monkeypatch, MONDAY)
    about = store.record(answer(ana), frontend="menu", guild_id=7, channel_id=70, user="discord:2",
                         about="discord:1", message=1_300_000_000_000_000_700)
    store.vote(about, "discord:3", HELPFUL)
    follows = store.record(answer("and where does it meet?").model_copy(update={"query": f"{ana} and where"}),
                           frontend="mention", history=[ana], guild_id=7, channel_id=70, user="discord:3")
    other = store.record(answer("Does the dome open at dusk?"), frontend="menu", guild_id=7, channel_id=70,
                         user="discord:2", about="discord:4", message=1_300_000_000_000_000_701)
    old_words = store.record(answer("Is the wifi password hunter2?"), frontend="menu", guild_id=7, channel_id=70,
                             user="discord:2", about="discord:1", message=1_300_000_000_000_000_702)
    at(monkeypatch, MONDAY + 60)
    new_words = store.record(answer("Is the wifi password on the fridge?"), frontend="menu", guild_id=7,
                             channel_id=70, user="discord:5", about="discord:1", message=1_300_000_000_000_000_702)
    assert store.forget_messages([1_300_000_000_000_000_700, 1_300_000_000_000_000_999]) == {about: ana}
    edited = store.forget_messages([1_300_000_000_000_000_702], edited=MONDAY + 30)
    assert edited == {old_words: "Is the wifi password hunter2?"}
    assert {a.id for a in store.answers()} == {follows, other, new_words} and store.tallies() == {}
    assert store.get(follows).history == [] and store.get(follows).query == "and where does it meet?"
    store.close()
    with sqlite3.connect(store.path) as db:
        dumped = "\n".join(db.iterdump())
    assert "Ana" not in dumped and "hunter2" not in dumped and "1300000000000000701" not in dumped
    nowhere = FeedbackStore(store.folder.parent / "none")
    assert nowhere.forget_messages([1_300_000_000_000_000_701]) == {} and not nowhere.folder.exists()


def test_a_schema_3_database_keeps_its_answers_and_learns_which_message_a_question_was_about(tmp_path: Path) -> None:
    """A database from before ``message_hash`` gains it when opened: its answers stay (an older "Ask qabot" answer,
    whose message it never knew, too), and a question asked about a message from then on goes when it is deleted."""
    row = ("0123456789abcdef", 1.0, "menu", "Who?", "[]", "who", 1, 0.9, None, "[]", None, None, 7, 70, None, None,
           None, "somebody")
    store = FeedbackStore(folder := _older(tmp_path / "v3", 3, row, "message_hash"))
    about = store.record(answer("When does Ana's tour start?"), frontend="menu", guild_id=7, channel_id=70,
                         user="discord:2", about="discord:1", message=1_300_000_000_000_000_700)
    assert store.forget_messages([1_300_000_000_000_000_700]) == {about: "When does Ana's tour start?"}
    assert [a.question for a in store.answers()] == ["Who?"]
    store.close()
    with sqlite3.connect(folder / "qabot.sqlite3") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("SELECT 1 FROM sqlite_master WHERE name = 'answers_message'").fetchone()  # looked up by it


def test_a_schema_4_database_keeps_its_answers_and_records_the_answers_posted_from_then_on(tmp_path: Path,
                                                                                          monkeypatch) -> None:
    """A database from before ``posts`` gains the record of the bot's posted answers when opened, in place: its
    answers stay, and a message of the bot's recorded from then on is found by the deletion of a history message one
    of its excerpts quoted (once), by the forgetting of a member that message names (in that server only), and by
    its question taken back; the record goes with the retention, and keeps no id of a member or a quoted message."""
    from qabot.feedback.posts import Post, Posts

    row = ("0123456789abcdef", 1.0, "menu", "Who?", "[]", "who", 1, 0.9, None, "[]", None, None, 7, 70, None, None,
           None, "somebody", "a-message")
    store = FeedbackStore(folder := _older(tmp_path / "v4", 4, row))
    posts = Posts(store)
    at(monkeypatch, MONDAY)
    ana, bob, quoted, other = store.user_hash("discord:1"), store.user_hash("discord:2"), 1_300_000_000_000_000_700, 5
    posts.record(1_300_000_000_000_000_900, 70, 7, "0123456789abcdef",
                 [[(quoted, 71, {ana}, None)], [(other - 1, 72, {bob}, None)], [(other, 73, {bob, ana}, None)]])
    assert posts.quoting([quoted]) == [Post(1_300_000_000_000_000_900, 70, frozenset({0}))]
    assert posts.quoting([quoted]) == []  # edited once
    assert posts.quoting([], [72, 74]) == [Post(1_300_000_000_000_000_900, 70, frozenset({1}))]  # its channel
    assert posts.naming(ana, 8) == []  # another server's forgetting
    assert posts.naming(ana, 7) == [Post(1_300_000_000_000_000_900, 70, frozenset({2}))]
    assert posts.showing(["0123456789abcdef"]) == [Post(1_300_000_000_000_000_900, 70, question=True)]
    assert [a.question for a in store.answers()] == ["Who?"]
    store.close()
    with sqlite3.connect(folder / "qabot.sqlite3") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert str(quoted) not in "\n".join(db.iterdump())
    at(monkeypatch, MONDAY + 3 * 86400)
    FeedbackStore(folder, retention_days=1).prune()
    with sqlite3.connect(folder / "qabot.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 0


_POSTS_5 = """
CREATE TABLE posts (message_id INTEGER PRIMARY KEY, channel_id INTEGER NOT NULL, guild_id INTEGER NOT NULL,
                    answer_id TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE post_quotes (post_id INTEGER NOT NULL REFERENCES posts (message_id), excerpt INTEGER NOT NULL,
                          message_hash TEXT NOT NULL, member_hash TEXT NOT NULL,
                          PRIMARY KEY (post_id, excerpt, message_hash, member_hash));
"""


def test_a_schema_5_database_learns_which_part_of_a_message_a_posted_answer_shows(tmp_path: Path) -> None:
    """A database from before ``part_start`` (schema 5) gains it when opened, in place. A quote recorded before, whose
    part is not known, is marked by any edit of its message; one recorded from then on only by an edit that takes out
    the part it shows (a typo fixed elsewhere does not, and the part follows the edit), and once. The record keeps
    neither the part nor the message id in clear."""
    from qabot.feedback.posts import Post, Posts, part_shown

    row = ("0123456789abcdef", 1.0, "slash", "Who?", "[]", "who", 1, 0.9, None, "[]", None, None, 7, 70, None, None,
           None, None, None)
    folder = _older(tmp_path / "v5", 5, row)
    older, kept, post, later = 1_300_000_000_000_000_700, 1_300_000_000_000_000_701, 1_300_000_000_000_000_900, 901
    salted = FeedbackStore(folder)  # the salt alone: the database is not opened yet
    with sqlite3.connect(folder / "qabot.sqlite3") as db:
        db.executescript(_POSTS_5)
        db.execute("INSERT INTO posts VALUES (?, 70, 7, '0123456789abcdef', 1.0)", (post,))
        db.execute("INSERT INTO post_quotes VALUES (?, 0, ?, 'someone')", (post, salted.message_hash(older)))
    store = FeedbackStore(folder)
    posts = Posts(store)
    before = "user2: Note 1: the lens cap is in the drawer. The wifi password is hunter2-kitchen. Note 2: teh dome."
    shown = "user1: where is the wifi password?\n\nuser2: Note 1: the lens cap is in the drawer. The wifi password"
    part = part_shown(before, shown)
    assert part == (0, len(shown) - len("user1: where is the wifi password?\n\n"), shown.split("\n\n")[1])
    posts.record(later, 70, 7, "0123456789abcdef", [[(kept, 71, {"someone"}, part)]])
    with store.transaction() as db:  # any edit of the older quote's message; a typo fixed outside the later's part
        posts.rewritten(db, [(older, "user2: hunter2", "user2: hunter3"), (kept, before, before.replace("teh", "the"))])
    assert posts.edited() == [Post(post, 70, frozenset({0}))] and posts.edited() == []
    now = "user0: Hello. " + before[7:].replace("teh", "the")  # words put before the part, its sender renamed
    with store.transaction() as db:
        posts.rewritten(db, [(kept, before.replace("teh", "the"), now)])
    assert posts.edited() == []
    with store.transaction() as db:  # the part followed the edits: the password edited away is found, once
        posts.rewritten(db, [(kept, now, now.replace(" The wifi password is hunter2-kitchen.", ""))])
    assert posts.edited() == [Post(later, 70, frozenset({0}))] and posts.edited() == []
    store.close()
    with sqlite3.connect(folder / "qabot.sqlite3") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 7
        dumped = "\n".join(db.iterdump())
    assert str(kept) not in dumped and "wifi" not in dumped and "hunter" not in dumped


def test_a_migration_cut_short_leaves_the_older_database_to_migrate_again(tmp_path: Path, monkeypatch) -> None:
    """A process that dies during the rewrite to the latest schema (here: right after it) must not leave a database
    that has its new columns but not its new version: every later start would fail on it."""
    dm_channel = 1_200_000_000_000_000_400
    old = _schema_1(tmp_path / "old", dm_channel)

    class Killed(BaseException):
        pass

    migrate = store_module.migrate

    def dies_after(db: sqlite3.Connection, version: int, *hashes: Any) -> None:
        migrate(db, version, *hashes)
        raise Killed

    monkeypatch.setattr(store_module, "migrate", dies_after)
    with pytest.raises(Killed):
        FeedbackStore(old).answers()
    monkeypatch.setattr(store_module, "migrate", migrate)
    again = FeedbackStore(old)
    [stored] = again.answers()
    assert stored.channel_id is None and stored.channel_hash == again.channel_hash(dm_channel)
    again.close()


def test_the_export_is_inert_in_a_terminal_and_still_the_same_questions(store, tmp_path: Path) -> None:
    """JSON escapes C0 controls itself, but not CSI (U+009B), DEL or a bidi override: ``cat`` would act on them. A
    question is kept cleaned of them (as the core reads it); the gold is the highlight, a document's text verbatim."""
    from tests.answers import excerpt

    hostile = "He was killed \u009b2J\u009b31mthere\x7f in 1940. \u202eevil"
    best = excerpt("003_3ab6160fc76f5c58.txt", None, 12, "Trotsky lived in Coyoacán.", hostile, "It is a museum.")
    question = "Who killed \u009b2J\u009b31mTrotsky\x7f? \u202eevil"
    good = store.record(answer(question).model_copy(update={"excerpts": [best]}), frontend="slash", user="u1")
    store.vote(good, "u1", HELPFUL)
    target = tmp_path / "feedback.jsonl"
    export(store, target)
    text = target.read_text(encoding="utf-8")
    assert not {"\u009b", "\x7f", "\u202e"} & set(text), repr(text)
    [item] = load_items(target)
    assert (item.question, item.answers) == ("Who killed Trotsky ? evil", [hostile])


def test_a_forgotten_members_name_is_found_as_a_whole_word_in_any_case() -> None:
    """The names a forgotten member goes by, in others' questions: whole words, in any case; a mention wherever it
    is; never inside a longer word (a longer username, a word that starts with a short name)."""
    from qabot.feedback.forgetting import naming

    names_them = naming({"Zed", "user6", "Zoë", "<@42>", " ", ""})
    assert all(map(names_them, ["What did zed say?", "is USER6 here", "Zoë's notes", "ask <@42>about it", "Zed"]))
    assert not any(map(names_them, ["Zedong, who?", "is user60 here", "Zoëlle's notes", "ask <@420> about it", ""]))
    assert not naming([" ", ""])("anything at all")


def test_a_name_that_is_an_ordinary_word_names_the_member_only_where_it_is_used_as_a_name() -> None:
    """A member named "Mint", "Help" or "Linux" was named by every question holding that word: forgetting them took
    out "how do I install Linux Mint" and every "help me ...". Such a name (one word the lexicon knows, as it knows
    "Ana") names them where it is used as a name: a mention (kept as their name, mid-question), "@mint", addressing
    them ("Mint: ...", "mint, ..."), or capitalised mid-sentence, alone. A full name counts wherever it is."""
    from qabot.feedback.forgetting import naming

    mint, ana, help_, full = naming({"mint"}), naming({"Ana"}), naming({"Help"}), naming({"Maria Lopez"})
    assert all(map(mint, ["what did Mint say about the backup?", "ask @mint", "Mint: is the mirror up?",
                          "mint, where is the log?", "Thanks. What does Mint think?", "ask <@42> or Mint"]))
    assert not any(map(mint, ["how do I install Linux Mint", "Is Linux Mint 22 out?", "is mint the best distro",
                              "Mint is the best distro?", "where is the Mint OS installer", "WHY DOES MINT HANG"]))
    assert ana("what did Ana say") and ana("Did Ana fix it? Ask Ana.") and not ana("the anabolic pathway")
    assert not any(map(help_, ["Help me install the driver", "I need help with Linux", "Where is the Help Center"]))
    assert help_("what did Help say") and help_("Help: the driver fails")
    assert full("what did maria lopez say about the lens")
