"""Settings: precedence, .env, secrets, and errors that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from qabot.errors import SettingsError
from qabot.settings import Settings, load_settings


def test_defaults(monkeypatch) -> None:
    monkeypatch.delenv("QABOT_EMBEDDING_BACKEND")  # conftest pins torch for the suite
    settings = load_settings(_env_file=None)
    assert str(settings.corpus_dir) == "corpus" and str(settings.index_dir) == "embeddings"
    assert settings.embedding_model == "all-MiniLM-L6-v2"
    assert settings.embedding_backend == "auto"
    assert settings.discord_token is None


def test_auto_backend_is_onnx_only_when_onnxruntime_is_installed(monkeypatch) -> None:
    import importlib.util

    from qabot.embedding import resolve_backend

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object() if name == "onnxruntime" else real(name, *a))
    assert resolve_backend("auto") == "onnx"
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnxruntime" else real(name, *a))
    assert resolve_backend("auto") == "torch"
    assert resolve_backend("onnx") == "onnx" and resolve_backend("torch") == "torch"


def test_precedence_keyword_over_env_over_dotenv(monkeypatch, tmp_path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("QABOT_TOP_K=7\nQABOT_CORPUS_DIR=from-dotenv\nQABOT_INDEX_DIR=dotenv-index\n")
    monkeypatch.setenv("QABOT_TOP_K", "3")
    settings = load_settings(_env_file=env_file, index_dir="kw-index")
    assert settings.top_k == 3  # env beats .env
    assert str(settings.corpus_dir) == "from-dotenv"  # .env beats the default
    assert str(settings.index_dir) == "kw-index"  # keywords beat everything


def test_dotenv_in_working_directory_is_read(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("QABOT_TOP_K=9\n")
    assert load_settings().top_k == 9


def test_token_is_secret(monkeypatch) -> None:
    monkeypatch.setenv("QABOT_DISCORD_TOKEN", "abc.def.ghi")
    settings = load_settings(_env_file=None)
    assert settings.discord_token.get_secret_value() == "abc.def.ghi"
    assert "abc.def.ghi" not in repr(settings) and "abc.def.ghi" not in str(settings.model_dump())


def test_id_lists_accept_commas(monkeypatch) -> None:
    monkeypatch.setenv("QABOT_DISCORD_GUILD_IDS", "123, 456")
    assert load_settings(_env_file=None).discord_guild_ids == [123, 456]


@pytest.mark.parametrize(
    ("variable", "value"),
    [("QABOT_TOP_K", "many"), ("QABOT_PASSAGE_CHARS", "5000"), ("QABOT_EMBEDDING_BACKEND", "tpu"), ("QABOT_FUSION", "x")],
)
def test_bad_values_name_the_variable(monkeypatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    message = str(caught.value)
    assert variable in message and "\n" not in message


@pytest.mark.parametrize(("variable", "value", "why"), [
    ("QABOT_CORPUS_DIR", "", "must not be empty"),  # Path("") is the folder qabot runs in: it would all be indexed
    ("QABOT_INDEX_DIR", " ", "must not be empty"),  # ... or filled with the index's files
    ("QABOT_EMBEDDING_MODEL", "", "must not be empty"),
    ("QABOT_LEXICAL_WEIGHT", "inf", "finite number"),  # every score would be nan
    ("QABOT_DENSE_WEIGHT", "1e309", "finite number"),
    ("QABOT_DEVICE", "foo", "must be a torch device"),
])
def test_empty_paths_and_infinite_numbers_are_refused(monkeypatch, variable: str, value: str, why: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=f"bad setting {variable}: .*{why}"):
        load_settings(_env_file=None)


def test_a_password_in_the_milvus_uri_is_refused_without_being_repeated(monkeypatch) -> None:
    """The URI is named in every Milvus error and in the log of a retried call: a password in it was written there."""
    monkeypatch.setenv("QABOT_MILVUS_URI", "https://qabot:s3cret-pass@milvus.example:19530")
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    message = str(caught.value)
    assert message.startswith("bad setting QABOT_MILVUS_URI: Value error, must not hold a user or password: give them "
                              "as QABOT_MILVUS_TOKEN") and "s3cret" not in message and "qabot:" not in message
    monkeypatch.setenv("QABOT_MILVUS_URI", "https://qabot:s3c@ret@milvus.example:19530")  # an @ in the password
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    assert "ret@" not in str(caught.value) and "s3c" not in str(caught.value), str(caught.value)
    monkeypatch.setenv("QABOT_MILVUS_URI", "https://milvus.example:19530/path@v2")  # an @ after the host is no user
    assert load_settings(_env_file=None).milvus_uri == "https://milvus.example:19530/path@v2"


def test_a_setting_left_empty_in_dotenv_is_unset(monkeypatch, tmp_path) -> None:
    """.env.example's `# QABOT_STATE_DIR=` says "Unset: qabot-state beside the index folder"; uncommented as it stands,
    it put the state database (answers, votes, the salt of user ids) in the folder qabot was run from, and an empty
    scopes file was that folder too; QABOT_METRICS_PORT=, QABOT_DISCORD_SHARD_COUNT= and the like stopped qabot."""
    from qabot.feedback import state_dir

    monkeypatch.chdir(tmp_path)
    empty = ["QABOT_STATE_DIR", "QABOT_DISCORD_SCOPES_FILE", "QABOT_METRICS_PORT", "QABOT_STATE_RETENTION_DAYS",
             "QABOT_DISCORD_SHARD_COUNT", "QABOT_WATCH", "QABOT_MILVUS_URI", "QABOT_DISCORD_TOKEN"]
    (tmp_path / ".env").write_text("".join(f"{name}=\n" for name in empty) + "QABOT_INDEX_DIR=idx\n")
    settings = load_settings()
    assert [getattr(settings, name[len("QABOT_"):].lower()) for name in empty] == [None] * len(empty)
    assert state_dir(settings) == tmp_path / "qabot-state"
    monkeypatch.setenv("QABOT_STATE_DIR", " ")  # in the environment too
    assert load_settings(_env_file=None).state_dir is None


@pytest.mark.parametrize(("variable", "value"), [
    # int(8,000 paragraphs per million * 1e308) overflows: every text of 1,024 paragraphs or more was skipped with
    # "cannot be read (OverflowError: cannot convert float infinity to integer)"; and a PDF page's objects the same
    ("QABOT_READER_MAX_TEXT_MB", "1e308"), ("QABOT_READER_MAX_INFLATED_MB", "1e308"),
    ("QABOT_READER_MAX_FILE_MB", "1e308"), ("QABOT_READER_SECONDS", "1e308"),
    ("QABOT_DENSE_WEIGHT", "1e308"), ("QABOT_LEXICAL_WEIGHT", "1e308"),  # scores overflowed to inf, with a warning
    ("QABOT_RRF_K", "9" * 400),  # every question: "unexpected OverflowError: int too large to convert to float"
    # Discord: timedelta(hours=1e308) overflows, and a window older than Discord gives a negative snowflake
    ("QABOT_DISCORD_HISTORY_HOURS", "1e308"), ("QABOT_DISCORD_HISTORY_RECHECK_DAYS", "100000"),
    ("QABOT_DISCORD_COOLDOWN_SECONDS", "1e308"),
])
def test_huge_numbers_are_refused_by_name_in_one_line(monkeypatch, variable: str, value: str) -> None:
    """A finite number too large for what it bounds failed deep inside, later, without naming the setting."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    message = str(caught.value)
    assert message.startswith(f"bad setting {variable}: Input should be less than or equal to ") and "\n" not in message


@pytest.mark.parametrize("variable", ["QABOT_INDEX_DIR", "QABOT_CORPUS_DIR", "QABOT_STATE_DIR", "QABOT_HISTORY_FILE",
                                      "QABOT_DISCORD_SCOPES_FILE"])
def test_a_path_holding_a_nul_is_refused_by_name(monkeypatch, tmp_path, variable: str) -> None:
    # No environment variable can hold a NUL, but a .env file can; the path would fail deep inside, unnamed.
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_bytes(f"{variable}=idx\x00x\n".encode())
    with pytest.raises(SettingsError, match=f"bad setting {variable}: .*must not hold a NUL character"):
        load_settings()


def test_a_dotenv_that_is_not_utf8_is_named(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_bytes(b"QABOT_TOP_K=\xff\xfe\n")
    with pytest.raises(SettingsError, match=f"the settings file {tmp_path}/.env is not UTF-8 text"):
        load_settings()


def test_bad_token_value_is_not_echoed() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None, discord_token=987654321)
    assert "QABOT_DISCORD_TOKEN" in str(caught.value) and "987654321" not in str(caught.value)


def test_env_example_documents_every_setting() -> None:
    from tests.conftest import REPO

    example = (REPO / ".env.example").read_text()
    missing = [f"QABOT_{name.upper()}" for name in Settings.model_fields if f"QABOT_{name.upper()}=" not in example]
    assert missing == []


def test_every_line_of_env_example_uncommented_as_it_stands_is_its_default(monkeypatch, tmp_path) -> None:
    """.env.example says to uncomment what you change: `# QABOT_HISTORY_FILE=`, uncommented before it was changed,
    stopped qabot ("must not be empty"), as the empty state folder, scopes file and numbers did."""
    import re

    from tests.conftest import REPO

    lines = re.findall(r"^# (QABOT_[A-Z0-9_]+=\S*)$", (REPO / ".env.example").read_text(), re.MULTILINE)
    assert len(lines) == len(Settings.model_fields)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("\n".join(lines) + "\n")
    settings, defaults = load_settings(), load_settings(_env_file=None)
    changed = {name for name in Settings.model_fields if getattr(settings, name) != getattr(defaults, name)}
    assert changed <= {"watch", "history_file"}  # on, as repl and discord have it unset; the default path spelled out
    assert settings.history_file == Path("~/.local/state/qabot/history").expanduser()


def test_a_misspelled_setting_is_named_with_the_one_it_looks_like(monkeypatch, tmp_path, caplog) -> None:
    """A QABOT_ variable that is no setting, in .env or in the environment, is ignored with one line saying so."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("QABOT_TOPK=3\nQABOT_ANSWER_THRESHOLD=0.6\nOTHER_TOOL=1\n")
    monkeypatch.setenv("QABOT_CORPUS_DIRECTORY", "docs")
    with caplog.at_level("WARNING", logger="qabot.settings"):
        settings = load_settings()
    assert settings.answer_threshold == 0.6 and settings.top_k == Settings.model_fields["top_k"].default
    said = [record.getMessage() for record in caplog.records]
    assert "ignoring unknown setting QABOT_TOPK in .env (did you mean QABOT_TOP_K?)" in said
    assert "ignoring unknown setting QABOT_CORPUS_DIRECTORY (did you mean QABOT_CORPUS_DIR?)" in said
    assert not any("OTHER_TOOL" in line for line in said)


def test_a_setting_that_looks_like_none_is_named_alone_not_with_an_unrelated_one(monkeypatch, tmp_path,
                                                                                 caplog) -> None:
    """The QABOT_ every setting shares made any name look like one: QABOT_XYZ "(did you mean QABOT_WATCH?)", compose's
    QABOT_EXTRAS (README, Docker) "QABOT_VECTOR_STORE?", QABOT_TOKEN "QABOT_TOP_K?". Names are compared without it,
    and a name that is a word of a setting's names that setting (QABOT_LOG: QABOT_LOG_LEVEL)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("QABOT_XYZ=1\nQABOT_EXTRAS=onnx,milvus\nQABOT_TOKEN=abc\nQABOT_LOG=DEBUG\n")
    with caplog.at_level("WARNING", logger="qabot.settings"):
        load_settings()
    said = sorted(record.getMessage() for record in caplog.records)
    assert said == ["ignoring unknown setting QABOT_EXTRAS in .env",
                    "ignoring unknown setting QABOT_LOG in .env (did you mean QABOT_LOG_LEVEL?)",
                    "ignoring unknown setting QABOT_TOKEN in .env (did you mean QABOT_DISCORD_TOKEN?)",
                    "ignoring unknown setting QABOT_XYZ in .env"], said


def test_a_line_of_dotenv_that_cannot_be_read_is_named_once_with_its_file(monkeypatch, tmp_path, caplog) -> None:
    """A line python-dotenv cannot parse (a quote left open, a space in the name) is ignored, and said so: twice
    (once for the settings, once for the misspelling check), as "python-dotenv could not parse statement starting
    at line 2", naming no file. Once now, with the file: the setting it held is not in force."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text('QABOT_TOP_K=3\nQABOT_LOG_LEVEL="INFO\n')
    with caplog.at_level("WARNING"):
        settings = load_settings()
    assert settings.top_k == 3 and settings.log_level == "WARNING"
    said = [record.getMessage() for record in caplog.records]
    assert said == [f"ignoring line 2 of {tmp_path / '.env'}: python-dotenv cannot read it as NAME=value"], said
    gone = tmp_path / "gone"  # a working folder deleted under the shell: nothing to read, and no error
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert load_settings(corpus_dir=tmp_path, index_dir=tmp_path / "idx").top_k == 5


@pytest.mark.parametrize(("variable", "value"), [
    ("QABOT_DISCORD_MAX_CONCURRENT", "9" * 400), ("QABOT_DISCORD_COOLDOWN_SECONDS", "9" * 400),
    ("QABOT_TOP_K", "x" * 300 + "\n" + "y" * 300),
])
def test_a_long_bad_value_is_cut_short_in_its_one_line(monkeypatch, variable: str, value: str) -> None:
    """The error echoed the whole value: a 400-digit number made a line longer than a terminal's screen."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    message = str(caught.value)
    assert message.startswith(f"bad setting {variable}: ") and "\n" not in message and len(message) < 200
    assert message.endswith(f" (got {repr(value)[:60]}…)")


@pytest.mark.parametrize(("variable", "value"), [
    # discord.py launches range(QABOT_DISCORD_SHARD_COUNT) shards in one process: 10**20 of them never finish
    # starting; Discord allows 2,500 servers a shard, so 16,384 shards hold 40 million servers
    ("QABOT_DISCORD_SHARD_COUNT", "16385"), ("QABOT_DISCORD_SHARD_COUNT", "9" * 20),
    ("QABOT_DISCORD_QUEUE_LIMIT", "10001"), ("QABOT_DISCORD_QUEUE_LIMIT", "9" * 20),
])
def test_shards_and_the_queue_have_an_upper_bound(monkeypatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    assert str(caught.value).startswith(f"bad setting {variable}: Input should be less than or equal to ")


def test_metrics_port_zero_is_refused_not_a_random_port_nobody_is_told() -> None:
    """QABOT_METRICS_PORT=0 (meant as "off", or a typo) served the metrics on a port the system picked, which
    nothing printed (only the INFO log named it) and no Prometheus could be pointed at."""
    with pytest.raises(SettingsError, match="bad setting QABOT_METRICS_PORT: Input should be greater than or equal to 1"):
        load_settings(_env_file=None, metrics_port=0)
    assert load_settings(_env_file=None, metrics_port=1).metrics_port == 1


def test_a_replica_polls_milvus_within_the_grace_its_writer_keeps_deleted_rows(monkeypatch) -> None:
    """Up to 3,600 s was taken, where a Milvus writer deletes the rows of a replaced document 120 s after the
    version that replaced it: a replica polling less often could lose a document before it saw its replacement."""
    monkeypatch.setenv("QABOT_MILVUS_POLL_SECONDS", "61")
    with pytest.raises(SettingsError, match=r"^bad setting QABOT_MILVUS_POLL_SECONDS: .*must be at most 60: .* 120 "
                                            r"seconds for replicas"):
        load_settings(_env_file=None)
    monkeypatch.setenv("QABOT_MILVUS_POLL_SECONDS", "60")
    assert load_settings(_env_file=None).milvus_poll_seconds == 60.0


def test_the_largest_shard_count_and_queue_are_taken(monkeypatch) -> None:
    monkeypatch.setenv("QABOT_DISCORD_SHARD_COUNT", "16384")
    monkeypatch.setenv("QABOT_DISCORD_SHARD_IDS", "0,16383")
    monkeypatch.setenv("QABOT_DISCORD_QUEUE_LIMIT", "10000")
    settings = load_settings(_env_file=None)
    assert (settings.discord_shard_count, settings.discord_queue_limit) == (16384, 10000)


@pytest.mark.parametrize("variable", ["QABOT_CORPUS_DIR", "QABOT_INDEX_DIR", "QABOT_STATE_DIR", "QABOT_HISTORY_FILE",
                                      "QABOT_DISCORD_SCOPES_FILE", "QABOT_MILVUS_URI"])
def test_a_home_folder_in_a_path_setting_is_the_home_folder(variable, tmp_path, monkeypatch) -> None:
    # Taken literally, "~/qabot-thing" made a folder named "~" in the working folder (and `rm -rf ~` cleans it up).
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv(variable, "~/qabot-thing.db")
    value = getattr(load_settings(_env_file=None), variable.removeprefix("QABOT_").lower())
    assert str(value) == str(tmp_path / "qabot-thing.db")
