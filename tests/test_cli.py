"""The `qabot` command, run as a real process (on the fake embedder: the CLI is tested, not the model)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FAKE_QABOT, REPO


def _run(*args: str, env: dict[str, str] | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*FAKE_QABOT, *args], capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})}, cwd=cwd
    )


def test_help_is_light_and_lists_the_commands() -> None:
    code = (
        "import sys; from qabot.cli import cli\n"
        "try:\n    cli(['--help'], prog_name='qabot')\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'faiss', 'sentence_transformers', 'discord') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    for command in ("index", "ask", "repl", "discord"):
        assert command in out
    assert "HEAVY []" in out


SUMMARIES = {  # each command's summary in full: the first sentence of its help
    (): {"eval": "Measure answer quality: FILE.jsonl of questions (like dev.jsonl), --beir DIR or --squad FILE.",
         "feedback": "Answers, abstentions and votes, the helpful share by week, the most-asked unanswered questions.",
         "bench": "Measure latency, build time, cold start and memory against the model's own cost.",
         "index": "Build the index, or bring it in step with the corpus (only what changed is read).",
         "ask": "Answer QUESTION with cited excerpts."},
    ("discord",): {"sync": "Read the listed channels' history (QABOT_DISCORD_HISTORY_CHANNEL_IDS) into the index, then "
                           "exit."},
}


def _commands(out: str) -> dict[str, list[str]]:
    """The rows of a help's Commands section: each command's lines (a summary wrapped goes on below it)."""
    rows: dict[str, list[str]] = {}
    for line in out.split("Commands:\n", 1)[1].splitlines():
        if line.startswith("  ") and not line.startswith("   "):
            name, _, text = line.strip().partition(" ")
            rows[name] = [text.strip()]
        elif line.strip():
            rows[list(rows)[-1]].append(line.strip())
    return rows


def test_help_shows_each_commands_summary_in_full_on_one_line_where_the_terminal_is_wide_enough() -> None:
    """``qabot --help`` cut the summaries at click's 80-column width (max_content_width 100 and click's short-help
    truncation: "Measure answer quality: FILE.jsonl of questions (like dev.jsonl), --beir DIR or..."), even on a
    120-column terminal. Each is shown in full: on one line at 120 columns, wrapped under it at 80."""
    for columns in (120, 80):
        for group, summaries in SUMMARIES.items():
            result = _run(*group, "--help", env={"COLUMNS": str(columns)})
            assert result.returncode == 0, result.stderr
            rows = _commands(result.stdout)
            assert "..." not in " ".join(" ".join(lines) for lines in rows.values()), result.stdout
            for name, summary in summaries.items():
                assert " ".join(rows[name]) == summary, (columns, result.stdout)
                if columns == 120:
                    assert len(rows[name]) == 1, result.stdout
            assert all(len(line) <= columns for line in result.stdout.splitlines()), result.stdout


def test_index_then_ask_json_and_plain(make_corpus, tmp_path) -> None:
    corpus = make_corpus(
        {
            "a.txt": "Ramón Mercader killed Trotsky with an ice axe.\n\nNatalia Sedova was his wife.\n",
            "b.md": "# Exile\n\nTrotsky lived in Coyoacán, Mexico, from 1937.\n",
        }
    )
    env = {"QABOT_CORPUS_DIR": str(corpus), "QABOT_INDEX_DIR": str(tmp_path / "idx")}
    built = _run("index", env=env)
    assert built.returncode == 0, built.stderr
    assert "Indexed 2 file(s)" in built.stdout
    again = _run("index", env=env)
    assert "up to date" in again.stdout

    result = _run("ask", "Who killed Trotsky?", "--k", "2", "--json", env=env)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["answered"] and len(answer["excerpts"]) == 2
    assert "Mercader" in answer["excerpts"][0]["text"]
    assert answer["excerpts"][0]["citation"]["source"] == "a.txt"

    plain = _run("ask", "Where did Trotsky live?", "--k", "1", env=env)
    assert plain.returncode == 0
    assert "b.md, § Exile, ¶ 1" in plain.stdout
    assert "**Trotsky lived in Coyoacán, Mexico, from 1937.**" in plain.stdout  # the highlight is visible


def test_ask_dash_reads_the_question_from_stdin(make_corpus, tmp_path) -> None:
    """`qabot ask -` asked "-" (and answered "Not found" with five unrelated passages); it reads stdin now, bounded."""
    corpus = make_corpus({"b.md": "# Exile\n\nTrotsky lived in Coyoacán, Mexico, from 1937.\n"})
    env = {**os.environ, "QABOT_CORPUS_DIR": str(corpus), "QABOT_INDEX_DIR": str(tmp_path / "idx")}
    asked = subprocess.run([*FAKE_QABOT, "ask", "-", "--json"], input=b"Where did Trotsky live?\n",
                           capture_output=True, timeout=300, env=env)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["query"] == "Where did Trotsky live?" and answer["answered"]
    badly_encoded = subprocess.run([*FAKE_QABOT, "ask", "-", "--json"], input=b"Where did Trotsky live\xff?\n",
                                   capture_output=True, timeout=300, env=env)  # as qabot repl takes such a line
    assert json.loads(badly_encoded.stdout)["query"] == "Where did Trotsky live\ufffd?", badly_encoded.stderr
    flood = subprocess.run([*FAKE_QABOT, "ask", "-"], input="x " * 3_000_000, capture_output=True, text=True,
                           timeout=300, env=env)
    assert flood.returncode == 1 and flood.stderr.startswith("Error: the question is too long ("), flood.stderr


def test_ask_dash_under_a_limit_over_a_megabyte_asks_the_whole_question_and_refuses_a_longer_one(make_corpus,
                                                                                                 tmp_path) -> None:
    """`qabot ask -` read at most 1 MiB of stdin: with QABOT_MAX_QUESTION_CHARS above that, a longer piped question
    was cut there and answered as if it were whole. It is read up to the limit now (and a megabyte of room for
    spaces), and one longer still is refused in one line, as any question over the limit is."""
    corpus = make_corpus({"b.md": "# Exile\n\nTrotsky lived in Coyoacán, Mexico, from 1937.\n"})
    env = {**os.environ, "QABOT_CORPUS_DIR": str(corpus), "QABOT_INDEX_DIR": str(tmp_path / "idx"),
           "QABOT_MAX_QUESTION_CHARS": "1500000"}
    question = "Where did Trotsky live? " * 50_000  # 1.2 million characters
    asked = subprocess.run([*FAKE_QABOT, "ask", "-", "--json"], input=question, capture_output=True, text=True,
                           timeout=300, env=env)
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["question"] == question.strip()
    longer = subprocess.run([*FAKE_QABOT, "ask", "-"], input=question * 3, capture_output=True, text=True,
                            timeout=300, env=env)
    assert (longer.returncode, longer.stdout) == (1, "")
    assert longer.stderr == "Error: the question is too long (over 2,548,576 characters; the limit is 1,500,000)\n"


def test_make_run_asks_the_question_as_typed(tmp_path) -> None:
    """`make run QUESTION=...` pasted the question into its shell line: a question quoting code ran it (a `make
    install` in backquotes was run, not asked), and one quoting a "word" was cut in two (usage error)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "qabot").write_text(f"#!{sys.executable}\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n")
    (fake / "qabot").chmod(stat.S_IRWXU)
    installed = tmp_path / "installed"  # newer than pyproject.toml: nothing is installed
    installed.touch()
    question = 'What does `echo PWNED` print, and what is "exile"?'
    made = subprocess.run(["make", "-s", "run", f"BIN={fake}", f"STAMP={installed}", f"QUESTION={question}"],
                          capture_output=True, text=True, timeout=60, cwd=REPO, stdin=subprocess.DEVNULL)
    assert made.returncode == 0, made.stderr
    assert [json.loads(line) for line in made.stdout.splitlines()] == [["index"], ["ask", question]]


def test_make_clean_removes_all_qabot_built_and_keeps_the_state_database(tmp_path) -> None:
    """`make clean` listed what to remove by name, and left the eval indexes (embeddings/eval/), Milvus Lite's
    milvus.db and the index's .lock behind; it empties the index folder but for its README now, and keeps the state
    database (answers, votes, a server's learnt history), which no rebuild brings back, as the README says."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    index = tmp_path / "embeddings"
    for name in ("seg-1/vectors.f32", "eval/scifact/manifest.json", "cache/x", "models/m/model.onnx", "milvus.db",
                 ".lock", ".tmp-2/x", "manifest.json", "README.md"):
        (index / name).parent.mkdir(parents=True, exist_ok=True)
        (index / name).write_text("x")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / "qabot-state").mkdir()
    (tmp_path / "qabot-state" / "qabot.sqlite3").write_text("votes")
    made = subprocess.run(["make", "-s", "-f", str(REPO / "Makefile"), "-C", str(tmp_path), "clean"],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert made.returncode == 0, made.stderr
    assert [p.name for p in index.iterdir()] == ["README.md"] and not (tmp_path / ".venv").exists()
    assert (tmp_path / "qabot-state" / "qabot.sqlite3").read_text() == "votes"


def test_make_clean_keeps_the_state_database_of_an_index_in_a_folder_of_embeddings(tmp_path) -> None:
    """With QABOT_INDEX_DIR=embeddings/docs (one of several indexes), the state database is qabot-state beside it,
    embeddings/qabot-state: `make clean` emptied embeddings/ of all but its README, and took the answers, votes and
    learnt history with it, which the README says it keeps."""
    from qabot.feedback import state_dir
    from qabot.settings import load_settings

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    settings = load_settings(_env_file=None, index_dir=Path("embeddings") / "docs")
    state = tmp_path / state_dir(settings).relative_to(Path.cwd())
    assert state == tmp_path / "embeddings" / "qabot-state"
    (tmp_path / "embeddings" / "docs" / "seg-1").mkdir(parents=True)
    (tmp_path / "embeddings" / "docs" / "manifest.json").write_text("x")
    state.mkdir()
    (state / "qabot.sqlite3").write_text("votes")
    made = subprocess.run(["make", "-s", "-f", str(REPO / "Makefile"), "-C", str(tmp_path), "clean"],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert made.returncode == 0, made.stderr
    assert not (tmp_path / "embeddings" / "docs").exists()
    assert (state / "qabot.sqlite3").read_text() == "votes"


def test_make_clean_keeps_a_state_database_of_any_name_in_embeddings(tmp_path) -> None:
    """QABOT_STATE_DIR=embeddings/state (or a folder in the index's own folder, or that folder, which the README
    allows): `make clean` kept only a folder named qabot-state, and took the answers, votes and learnt history in any
    other, which the README says it keeps. A folder holding a state database is kept now, whatever its name (and the
    database in embeddings/ itself), and all else goes."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    index = tmp_path / "embeddings"
    states = [index / "state", index / "docs" / "kept state", index / "salted"]
    for name in ("docs/seg-1/vectors.f32", "docs/manifest.json", "seg-2/x", "manifest.json", "README.md",
                 "state/qabot.sqlite3", "state/qabot.sqlite3-wal", "state/salt", "docs/kept state/qabot.sqlite3",
                 "salted/salt", "qabot.sqlite3", "salt"):
        (index / name).parent.mkdir(parents=True, exist_ok=True)
        (index / name).write_text(f"kept {name}" if "state" in name or "salt" in name or "sqlite" in name else "x")
    made = subprocess.run(["make", "-s", "-f", str(REPO / "Makefile"), "-C", str(tmp_path), "clean"],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert made.returncode == 0, made.stderr
    assert sorted(p.relative_to(index).as_posix() for p in index.rglob("*")) == [
        "README.md", "docs", "docs/kept state", "docs/kept state/qabot.sqlite3", "qabot.sqlite3", "salt", "salted",
        "salted/salt", "state", "state/qabot.sqlite3", "state/qabot.sqlite3-wal", "state/salt"]
    assert all(p.read_text() == f"kept {p.relative_to(index).as_posix()}" for s in states for p in s.iterdir())
    assert (index / "qabot.sqlite3").read_text() == "kept qabot.sqlite3"  # QABOT_STATE_DIR=embeddings


def test_make_clean_empties_an_index_folder_that_is_a_link_to_another_disk(tmp_path) -> None:
    """embeddings/ made a link to a folder on a larger disk: `make clean` found nothing in it (find does not follow
    the link it is given) and left the whole index there, without a word."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    disk = tmp_path / "disk" / "qabot-index"
    for name in ("seg-1/vectors.f32", "cache/x", "manifest.json", "README.md"):
        (disk / name).parent.mkdir(parents=True, exist_ok=True)
        (disk / name).write_text("x")
    work = tmp_path / "work"
    work.mkdir()
    (work / "embeddings").symlink_to(disk)
    made = subprocess.run(["make", "-s", "-f", str(REPO / "Makefile"), "-C", str(work), "clean"],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert made.returncode == 0, made.stderr
    assert [p.name for p in disk.iterdir()] == ["README.md"] and (work / "embeddings").is_symlink()


def test_errors_are_one_line_without_traceback(tmp_path) -> None:
    missing = _run("ask", "Who?", env={"QABOT_CORPUS_DIR": str(tmp_path / "nope"), "QABOT_INDEX_DIR": str(tmp_path / "i")})
    assert missing.returncode != 0
    assert "Traceback" not in missing.stderr
    assert missing.stderr.strip().count("\n") == 0 and "does not exist" in missing.stderr

    bad = _run("ask", "Who?", env={"QABOT_TOP_K": "lots"})
    assert bad.returncode != 0 and "QABOT_TOP_K" in bad.stderr and "Traceback" not in bad.stderr
    assert bad.stderr.strip().count("\n") == 0


def test_corpus_and_index_go_before_or_after_any_command(make_corpus, tmp_path) -> None:
    corpus = make_corpus({"a.txt": "Trotsky lived in Coyoacán, Mexico, from 1937.\n"})
    index = str(tmp_path / "idx")
    clean = {"QABOT_CORPUS_DIR": str(tmp_path / "not-this-one"), "QABOT_INDEX_DIR": str(tmp_path / "nor-this")}
    built = _run("index", "--corpus", str(corpus), "--index", index, env=clean)
    assert built.returncode == 0, built.stderr
    assert "Indexed 1 file(s)" in built.stdout
    asked = _run("ask", "Where did Trotsky live?", "--k", "1", "--corpus", str(corpus), "--index", index, env=clean)
    assert asked.returncode == 0, asked.stderr
    assert "Coyoacán" in asked.stdout
    before = _run("--corpus", str(corpus), "--index", index, "sources", env=clean)
    assert before.returncode == 0 and before.stdout.startswith("a.txt"), before.stderr
    # A group's command too: the state database sits beside the index the option names.
    feedback = _run("feedback", "--index", index, env=clean)
    assert feedback.stdout.strip() == f"No feedback yet: there is no state database in {tmp_path / 'qabot-state'}."
    exported = _run("feedback", "export", str(tmp_path / "votes.jsonl"), "--index", index, env=clean)
    assert exported.returncode == 0 and "Wrote 0 question(s)" in exported.stdout, exported.stderr


def test_an_empty_corpus_or_index_option_is_refused_not_read_as_the_current_folder(tmp_path) -> None:
    """`qabot index --index ""` (a script's variable left unset) wrote the index into the folder qabot was run in,
    and `--corpus ""` indexed that folder, where QABOT_INDEX_DIR= and QABOT_CORPUS_DIR= are refused as empty; the
    options refuse it now too, each naming itself."""
    work, corpus = tmp_path / "work", tmp_path / "corpus"
    for folder in (work, corpus):
        folder.mkdir()
        (folder / "notes.txt").write_text("Trotsky lived in Coyoacán, Mexico, from 1937.\n")
    cases = {("index", "--index", "", "--corpus", str(corpus)): ("--index", "qabot index"),
             ("--corpus", "", "--index", str(tmp_path / "idx"), "index"): ("--corpus", "qabot"),
             ("ask", "Who?", "--corpus", " "): ("--corpus", "qabot ask")}
    for args, (option, command) in cases.items():
        result = _run(*args, cwd=work)
        assert result.returncode == 2, (args, result.stdout)
        assert result.stderr == f"Error: Invalid value for '{option}': must not be empty (see '{command} --help')\n"
    assert [p.name for p in work.iterdir()] == ["notes.txt"] and not (tmp_path / "idx").exists()


def test_a_missing_corpus_folder_says_where_it_was_named(tmp_path) -> None:
    index = str(tmp_path / "idx")
    given = _run("ask", "Who?", "--corpus", "/missing", "--index", index, env={"QABOT_CORPUS_DIR": ""}, cwd=tmp_path)
    assert given.stderr.strip() == "Error: corpus folder '/missing' does not exist (given with --corpus)"
    variable = _run("ask", "Who?", "--index", index, env={"QABOT_CORPUS_DIR": str(tmp_path / "nope")})
    assert variable.stderr.strip().endswith("does not exist (QABOT_CORPUS_DIR)")
    default = _run("index", "--index", index, cwd=tmp_path)
    assert default.stderr.strip() == ("Error: corpus folder 'corpus' does not exist "
                                      "(the default: give --corpus DIR or set QABOT_CORPUS_DIR)")


def test_the_corpus_folder_as_the_index_folder_is_refused_before_anything_is_written_there(make_corpus) -> None:
    """``qabot index --corpus docs --index docs`` was refused, but left the index's write lock, ``docs/.lock``, in the
    user's documents (where git, a sync or the next scan shows it): the folders were compared only once the lock was
    taken. They are compared first, and the folder is left as it was."""
    corpus = make_corpus({"a.txt": "Trotsky lived in Coyoacán, Mexico, from 1937.\n"})
    for args in (["index"], ["ask", "Where?"], ["sources"]):
        result = _run(*args, "--corpus", str(corpus), "--index", str(corpus))
        assert result.returncode == 1, (args, result.stderr)
        assert "is also the index folder" in result.stderr and result.stderr.count("\n") == 1, (args, result.stderr)
        assert sorted(p.name for p in corpus.iterdir()) == ["a.txt"], args


def test_an_index_folder_that_cannot_be_written_names_what_sets_it(make_corpus, tmp_path) -> None:
    """An index folder with a file in its way (or read-only, or another user's): the one line named the folder, but
    not what chose it, so a newcomer did not know what to change. It names --index and QABOT_INDEX_DIR now."""
    corpus = make_corpus({"a.txt": "Trotsky lived in Coyoacán, Mexico, from 1937.\n"})
    blocker = tmp_path / "notes.txt"
    blocker.write_text("not an index")
    said = (f"Error: cannot write the index in {blocker / 'idx'}: a file is there, where a folder should be "
            f"({blocker}; the index folder: --index or QABOT_INDEX_DIR)\n")
    given = _run("index", "--corpus", str(corpus), "--index", str(blocker / "idx"))
    assert (given.returncode, given.stderr) == (1, said)
    variable = _run("ask", "Where did Trotsky live?", env={"QABOT_CORPUS_DIR": str(corpus),
                                                           "QABOT_INDEX_DIR": str(blocker / "idx")})
    assert (variable.returncode, variable.stderr) == (1, said)


def test_usage_errors_quote_what_was_typed_inert() -> None:
    typed = "extra\x1b]0;PWN\x07\x1b[31m\x9b2J\u202e"
    for args in (["ask", "Who?", typed], ["feedback", "export", "a.jsonl", typed]):
        result = _run(*args)
        assert result.returncode == 2
        assert "extra␛]0;PWN␇␛[31m\\x9b2J\\u202e" in result.stderr.splitlines()[-1]
        assert not any(c in result.stderr for c in "\x1b\x07\x9b\u202e")


def test_usage_errors_are_one_line_that_says_where_help_is() -> None:
    """click printed a usage error as four lines (Usage, a hint, a blank line, the error); qabot's errors are one."""
    cases = {("ask",): ("Missing argument 'QUESTION'", "qabot ask --help"),
             ("ask", "--k", "x", "Who?"): ("'x' is not a valid integer", "qabot ask --help"),
             ("frob",): ("No such command 'frob'", "qabot --help"),
             ("--bogus", "ask", "Who?"): ("No such option '--bogus'", "qabot --help"),
             ("feedback", "export"): ("Missing argument 'FILE'", "qabot feedback export --help")}
    for args, (says, help_) in cases.items():
        result = _run(*args)
        assert result.returncode == 2, args
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("Error: ") and says in line and f"see '{help_}'" in line, line


def test_qabot_alone_shows_the_help_as_written() -> None:
    """``qabot`` with no command printed its help flattened into one "Error: Usage: ...␊␊  Answer questions ..." line
    (click raises the help as a usage error, which qabot's one-line errors turned inert). It shows the help, lines and
    all, as ``qabot --help`` does (on stderr, with click's status 2: no command was given)."""
    result = _run()
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == _run("--help").stdout.strip()
    assert "␊" not in result.stderr and "Error" not in result.stderr


def test_feedback_names_a_typed_folder_inert(tmp_path) -> None:
    folder = tmp_path / "\x1b]0;PWN\x07\x9b2J\u202e"  # the state database sits beside the index --index names
    shown = _run("feedback", "--index", str(folder / "index")).stdout
    assert shown.strip() == f"No feedback yet: there is no state database in {tmp_path}/␛]0;PWN␇\\x9b2J\\u202e/qabot-state."


def test_a_reader_that_leaves_early_gets_no_error(make_corpus, tmp_path) -> None:
    """`qabot ask ... | head -1`: the pipe is closed before the answer is written; exit 1 quietly, as click does."""
    corpus = make_corpus({"a.txt": "Trotsky lived in Coyoacán, Mexico, from 1937.\n"})
    env = {**os.environ, "QABOT_CORPUS_DIR": str(corpus), "QABOT_INDEX_DIR": str(tmp_path / "idx")}
    assert _run("index", env=env).returncode == 0
    for args in (["ask", "Where did Trotsky live?"], ["ask", "Where?", "--json"], ["sources"], ["sources", "--json"],
                 ["index"], ["repl"]):
        read, write = os.pipe()
        os.close(read)  # the reader is gone before anything is written
        try:
            done = subprocess.run([*FAKE_QABOT, *args], stdout=write, stderr=subprocess.PIPE, input="Where?\n",
                                  text=True, env=env, timeout=120)
        finally:
            os.close(write)
        assert done.returncode == 1, args
        assert done.stderr == "", (args, done.stderr)


def test_output_that_cannot_be_written_is_an_error_in_one_line(make_corpus, tmp_path) -> None:
    """`qabot ask ... >&-` exited 0 having written nothing: click and rich write nothing where stdout is closed. Each
    command whose output cannot be written (stdout closed, or a full disk) exits 1 with one line on stderr."""
    corpus = make_corpus({"a.txt": "Trotsky lived in Coyoacán, Mexico, from 1937.\n"})
    env = {**os.environ, "QABOT_CORPUS_DIR": str(corpus), "QABOT_INDEX_DIR": str(tmp_path / "idx"),
           "QABOT_STATE_DIR": str(tmp_path / "state")}
    assert _run("index", env=env).returncode == 0
    commands = (["ask", "Where did Trotsky live?"], ["ask", "Where?", "--json"], ["sources"], ["index"], ["feedback"],
                ["feedback", "export", "-"])
    with open(os.devnull, "w") as devnull, open("/dev/full", "w") as full:
        for args in commands:
            for stdout in (None, full):
                done = subprocess.run([*FAKE_QABOT, *args], stdout=stdout or devnull, stderr=subprocess.PIPE,
                                      text=True, env=env, timeout=120,
                                      preexec_fn=(lambda: os.close(1)) if stdout is None else None)
                what = (args, "closed" if stdout is None else "/dev/full")
                assert done.returncode == 1, (what, done.stderr)
                assert done.stderr.startswith("Error: ") and done.stderr.count("\n") == 1, (what, done.stderr)
                assert "Traceback" not in done.stderr, what
                if stdout is None:  # was "unexpected OSError: [Errno 9] ... (QABOT_LOG_LEVEL=DEBUG shows details)"
                    assert done.stderr == "Error: standard output is closed\n", (what, done.stderr)


def test_a_closed_stdin_is_an_error_that_says_so(make_corpus, tmp_path) -> None:
    """`qabot ask - <&-` and `qabot repl <&-` said "unexpected AttributeError: 'NoneType' object has no attribute
    'read'" (or 'isatty'): Python's stdin is None where it was closed."""
    corpus = make_corpus({"a.txt": "Trotsky lived in Coyoacán, Mexico, from 1937.\n"})
    env = {**os.environ, "QABOT_CORPUS_DIR": str(corpus), "QABOT_INDEX_DIR": str(tmp_path / "idx")}
    assert _run("index", env=env).returncode == 0
    for args in (["ask", "-"], ["repl"]):
        done = subprocess.run([*FAKE_QABOT, *args], capture_output=True, text=True, env=env, timeout=120,
                              preexec_fn=lambda: os.close(0))
        assert done.returncode == 1, (args, done.stderr)
        assert done.stderr == "Error: standard input is closed\n", (args, done.stderr)  # was "unexpected OSError: ..."


def test_a_terminal_that_cannot_show_the_text_gets_escapes_not_an_error(make_corpus, tmp_path) -> None:
    """A Latin-1 or ASCII locale: a file name or an excerpt it cannot encode is shown as \\x escapes."""
    corpus = make_corpus({"Coyoacán ☃.txt": "Trotsky lived in Coyoacán, Mexico, from 1937 ☃.\n"})
    env = {"QABOT_CORPUS_DIR": str(corpus), "QABOT_INDEX_DIR": str(tmp_path / "idx"), "PYTHONIOENCODING": "ascii",
           "TERM": "dumb", "NO_COLOR": "1", "COLUMNS": "20"}
    assert _run("index", env=env).returncode == 0
    for args in (["ask", "Where did Trotsky live?"], ["repl"]):
        done = subprocess.run([*FAKE_QABOT, *args], capture_output=True, input=b"Where did Trotsky live?\n",
                              env={**os.environ, **env}, timeout=120)
        assert done.returncode == 0, (args, done.stderr)
        assert b"Coyoac\\xe1n \\u2603.txt" in done.stdout, args
        assert b"Trotsky lived in Coyoac\\xe1n, Mexico, from 1937 \\u2603." in done.stdout, args
