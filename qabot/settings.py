"""qabot's one settings class: the only place the environment is read.

Precedence, highest first: keyword arguments (the CLI's ``--corpus`` and ``--index``),
``QABOT_*`` environment variables, the ``.env`` file in the working directory (the folder
qabot is run from, not the folder of its code), the defaults below. ``.env.example`` documents
every field. ``load_settings`` turns a validation failure into a ``SettingsError``
whose one-line message names the variable, so a bad value stops the program at start.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from qabot.errors import SettingsError

log = logging.getLogger(__name__)

ENV_PREFIX = "QABOT_"
PACKAGED_MODEL = "all-MiniLM-L6-v2"


def _default_history_file() -> Path | None:
    """$XDG_STATE_HOME/qabot/history; None where there is no home folder to put it in (HOME unset, and a user
    the system does not know: a container run with an arbitrary uid), and the REPL then keeps none."""
    state = os.environ.get("XDG_STATE_HOME")
    if not state:
        try:
            state = str(Path.home() / ".local" / "state")
        except (RuntimeError, KeyError):
            return None
    return Path(state) / "qabot" / "history"


IdList = Annotated[list[int], NoDecode]
# Upper bounds on numbers that would otherwise overflow where they are used (a float to an int, a timedelta), or
# reach back before Discord (2015) was: refused by name at start instead.
BIGGEST_MB = 1 << 20  # a terabyte; and a million million characters of text
WEEK = 7 * 86_400.0
DISCORD_DAYS = 3_650  # ten years
# discord.py starts range(QABOT_DISCORD_SHARD_COUNT) shards in one process, unbounded; Discord allows 2,500 servers a
# shard, so this many hold 40 million servers, more than any bot is in.
MAX_SHARDS = 16_384
MAX_QUEUE = 10_000  # questions waiting: far more than Discord's 15 minutes to follow an interaction up would answer
SHOWN_CHARS = 60  # of a bad value, in its error
# A Milvus writer keeps a deleted document's rows twice this long (meta.GRACE_SECONDS), for replicas still on the
# version before: one that polled less often could lose a document before it saw its replacement.
MILVUS_POLL_MAX = 60.0


class Settings(BaseSettings):
    """Every qabot setting. Field ``foo_bar`` is read from ``QABOT_FOO_BAR``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
        allow_inf_nan=False,  # an infinite weight would make every score nan
    )

    # -- corpus and index -------------------------------------------------------------
    corpus_dir: Path = Field(
        Path("corpus"), description="folder of documents: .txt, .md, .mdx, .jsonl (BEIR), .pdf, .html/.htm/.xhtml, "
        ".docx and DiscordChatExporter .json exports"
    )
    index_dir: Path = Field(Path("embeddings"), description="where the index is built and kept")
    corpus_external_links: bool = Field(
        False, description="follow links in the corpus folder that point outside it (by default they are skipped)"
    )
    watch: bool | None = Field(
        None, description="watch the corpus folder and serve edits within seconds; unset: on for qabot repl "
        "and qabot discord, off for the library"
    )
    passage_chars: int = Field(600, ge=100, le=600, description="maximum passage length in characters")
    index_factory: str = Field(
        "Flat",
        description="FAISS index type: 'Flat' (exact), or e.g. 'HNSW32' or 'IVF4096,PQ32' for large corpora",
    )

    # -- reading: the bounds on one file (qabot.corpus.limits) --------------------------
    reader_max_file_mb: float = Field(
        256.0, gt=0, le=BIGGEST_MB, description="a corpus file larger than this on disk (or a Word file whose parts unpack to "
        "more) is skipped"
    )
    reader_max_inflated_mb: float = Field(
        4.0, gt=0, le=BIGGEST_MB, description="markup parsed whole into memory, an HTML page or a Word file's XML once "
        "unzipped, may be at most this large, and a PDF page may draw 10,000 objects for each MB of it; "
        "a larger file is skipped"
    )
    reader_max_text_mb: float = Field(
        64.0, gt=0, le=BIGGEST_MB, description="a file that yields more than this many million characters of text is skipped"
    )
    reader_seconds: float = Field(
        30.0, gt=0, le=WEEK, description="a file whose reading takes longer than this (or 1 s per MB of a bigger file) is "
        "skipped (embedding not counted)"
    )

    # -- vector store: the engine that holds the index (qabot.index.stores) -----------
    vector_store: Literal["faiss", "milvus"] = Field(
        "faiss", description="'faiss': FAISS + bm25s in local files (embedded); 'milvus': a Milvus collection "
        "(Milvus Lite file, or a server or cluster shared by several qabot processes)"
    )
    milvus_uri: str | None = Field(
        None, description="a file path ending in .db (Milvus Lite) or http(s)://host:19530 (a server); "
        "unset: <index_dir>/milvus.db"
    )
    milvus_token: SecretStr | None = Field(None, description="'user:password' or an API key, for a server with auth")
    milvus_collection: str | None = Field(
        None, description="name of the collection (an alias of its current build); unset: qabot_<corpus folder name>"
    )
    milvus_read_only: bool = Field(
        False, description="a replica: never index, serve the collection as the indexing job left it, "
        "following its updates"
    )
    milvus_poll_seconds: float = Field(
        5.0, ge=0.2, description="how often a read-only replica checks the collection for a new version "
        f"(at most {MILVUS_POLL_MAX:g})"
    )

    # -- embedding model --------------------------------------------------------------
    embedding_model: str = Field(
        PACKAGED_MODEL,
        description="'all-MiniLM-L6-v2' (the packaged model), a local model folder, or a cached hub name",
    )
    embedding_backend: Literal["auto", "torch", "onnx"] = Field(
        "auto",
        description="inference backend; 'onnx' runs an int8 export made locally beside the index; "
        "'auto' is onnx when onnxruntime is installed (the onnx extra), else torch",
    )
    embedding_batch_size: int = Field(
        64, ge=1, le=4096, description="texts per pass of the model; unset on a CUDA device (torch): 256"
    )
    embedding_cache: bool = Field(True, description="reuse vectors of unchanged passages when re-indexing")
    device: str = Field("cpu", description="torch device for the model: 'cpu', 'cuda', 'mps'")

    # -- retrieval --------------------------------------------------------------------
    top_k: int = Field(5, ge=1, le=50, description="excerpts per answer when k is not given")
    max_question_chars: int = Field(2000, ge=10, description="longer questions are refused")
    retrieval_mode: Literal["hybrid", "dense", "bm25"] = Field(
        "hybrid", description="'dense' or 'bm25' alone are plain baselines, for comparison"
    )
    fusion: Literal["convex", "rrf"] = Field(
        "convex", description="how dense and BM25 scores are combined: weighted sum of normalised scores, or RRF"
    )
    dense_weight: float = Field(0.5, ge=0.0, le=100.0, description="weight of the dense (embedding) score")
    lexical_weight: float = Field(0.2, ge=0.0, le=100.0, description="weight of the BM25 score (scaled by the best one)")
    rrf_k: int = Field(60, ge=1, le=1_000_000, description="the k constant of reciprocal rank fusion")
    answer_threshold: float = Field(
        0.7, ge=-1.0, le=3.0, description="below this confidence the answer is 'not found in the corpus'"
    )

    # -- Discord ----------------------------------------------------------------------
    discord_token: SecretStr | None = Field(None, description="bot token from the Discord developer portal")
    discord_guild_ids: IdList = Field(default_factory=list, description="comma-separated; sync commands here")
    discord_allowed_channel_ids: IdList = Field(default_factory=list, description="comma-separated allow-list")
    discord_allowed_guild_ids: IdList = Field(default_factory=list, description="comma-separated allow-list")
    discord_dms: bool = Field(True, description="answer direct messages")
    discord_cooldown_seconds: float = Field(5.0, ge=0.0, le=WEEK, description="per-user pause between questions")
    discord_max_question_chars: int = Field(
        500, ge=10, le=4000, description="longer questions asked in Discord are refused (a message asked about with Ask qabot, or a forum post, is cut)"
    )
    discord_max_concurrent: int = Field(2, ge=1, le=64, description="questions answered at once")
    discord_queue_limit: int = Field(50, ge=1, le=MAX_QUEUE, description="questions waiting before new ones are refused")
    discord_shard_count: int | None = Field(None, ge=1, le=MAX_SHARDS, description="unset: Discord decides (AutoShardedBot)")
    discord_shard_ids: IdList = Field(default_factory=list, description="comma-separated shard ids of this process")

    # -- running in a community: feedback, scopes, forums, metrics ----------------------
    state_dir: Path | None = Field(
        None, description="the state database (answers, votes); unset: qabot-state beside the index folder"
    )
    state_retention_days: float | None = Field(
        None, gt=0, description="answers older than this (with their votes) are deleted from the state "
        "database; unset: kept"
    )
    discord_scopes_file: Path | None = Field(
        None, description="TOML file mapping guild and channel ids to the source patterns they may quote"
    )
    discord_history_hours: float = Field(
        24.0, gt=0, le=DISCORD_DAYS * 24, description="after a restart, a thread's earlier answers this recent are read back as context"
    )
    discord_message_content: bool = Field(
        False, description="ask for the privileged Message Content intent (needed to answer forum posts and to "
        "learn from the server's history)"
    )
    discord_forum_channel_ids: IdList = Field(
        default_factory=list, description="comma-separated forum channels whose new posts are answered"
    )
    discord_history_channel_ids: IdList = Field(
        default_factory=list, description="comma-separated text channels, forums and threads whose history is "
        "indexed (a channel's threads and a forum's posts too); needs QABOT_DISCORD_MESSAGE_CONTENT=true"
    )
    discord_history_dms: bool = Field(
        False, description="direct messages may quote public channels' history (never a private channel's), of "
        "the servers Discord says the person asking is a member of"
    )
    discord_history_solved_tags: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["solved", "resolved"], description="comma-separated forum tags that mark a post "
        "solved (any case): its accepted answer ranks higher"
    )
    discord_history_debounce_seconds: float = Field(
        1.0, ge=0.0, le=60.0, description="a burst of messages is indexed together, this long after its first"
    )
    discord_history_recheck_days: float = Field(
        7.0, ge=0.0, le=DISCORD_DAYS, description="at each start, each channel's messages this recent are read again: those deleted "
        "while the bot was away leave the index, those edited are taken; 0: off"
    )
    metrics_port: int | None = Field(None, ge=1, le=65535, description="serve Prometheus metrics here; unset: off")
    metrics_address: str = Field("127.0.0.1", description="the address the metrics endpoint listens on")

    @field_validator("discord_forum_channel_ids", "discord_history_channel_ids", mode="before")
    @classmethod
    def _split_forum_ids(cls, value: Any) -> Any:
        return cls._split_ids(value)

    @field_validator("discord_history_solved_tags", mode="before")
    @classmethod
    def _split_tags(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    # -- REPL -------------------------------------------------------------------------
    history_file: Path | None = Field(
        default_factory=_default_history_file, description="the REPL's input history; unset: "
        "$XDG_STATE_HOME/qabot/history (~/.local/state/qabot/history)"
    )

    # -- logging ----------------------------------------------------------------------
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "WARNING", description="the least severe log records shown on stderr"
    )

    @field_validator("discord_guild_ids", "discord_allowed_channel_ids", "discord_allowed_guild_ids", "discord_shard_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
        return value

    @field_validator("discord_shard_ids")
    @classmethod
    def _shards(cls, value: list[int], info: ValidationInfo) -> list[int]:
        count = info.data.get("discord_shard_count")
        if value and count is None:
            raise ValueError("needs QABOT_DISCORD_SHARD_COUNT, the total number of shards")
        if count is not None and any(not 0 <= shard < count for shard in value):
            raise ValueError(f"shard ids run from 0 to {count - 1} (QABOT_DISCORD_SHARD_COUNT={count})")
        return value

    @field_validator("watch", "milvus_uri", "milvus_token", "milvus_collection", "discord_token", "discord_shard_count",
                     "state_dir", "state_retention_days", "discord_scopes_file", "metrics_port", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        # A line of .env.example uncommented as it stands ("QABOT_STATE_DIR=") means unset, as its comment says; an
        # empty path would be the folder qabot runs in, and an empty number no number.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("corpus_dir", "index_dir", "history_file", "embedding_model", mode="before")
    @classmethod
    def _not_empty(cls, value: Any) -> Any:
        # Path("") is the current folder: an empty setting would index, or fill, whatever folder qabot runs in.
        if isinstance(value, str) and not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("corpus_dir", "index_dir", "history_file", "embedding_model", "state_dir", "discord_scopes_file")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # No file name can hold one: the first use of the path would fail deep inside, without naming the setting.
        if value is not None and "\x00" in str(value):
            raise ValueError("must not hold a NUL character")
        return value

    @field_validator("corpus_dir", "index_dir", "history_file", "state_dir", "discord_scopes_file")
    @classmethod
    def _home(cls, value: Path | None) -> Path | None:
        # "~/docs" in .env, or --index=~/idx (which no shell expands), is the home folder, not a folder named "~" here.
        return value.expanduser() if value is not None else None

    @field_validator("device")
    @classmethod
    def _device(cls, value: str) -> str:
        value = value.strip().lower()
        if not re.fullmatch(r"cpu|mps|(?:cuda|xpu|npu|hpu)(?::\d+)?", value):
            raise ValueError("must be a torch device: 'cpu', 'cuda' (or 'cuda:1'), 'mps', 'xpu'")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("milvus_uri")
    @classmethod
    def _milvus_uri(cls, value: str | None) -> str | None:
        if value is None:  # blank too (``_empty_is_unset``)
            return None
        value = value.strip()
        server = value.startswith(("http://", "https://"))
        if not (server or value.endswith(".db")):
            raise ValueError("must be http(s)://host:port (a Milvus server) or a file path ending in .db (Milvus Lite)")
        if server and "@" in value.split("/", 3)[2]:
            # The URI is named in errors and logs: a password in it would be written there in clear.
            raise ValueError("must not hold a user or password: give them as QABOT_MILVUS_TOKEN='user:password'")
        return value if server else str(Path(value).expanduser())

    @field_validator("milvus_collection")
    @classmethod
    def _milvus_collection(cls, value: str | None) -> str | None:
        if value is None:  # blank too (``_empty_is_unset``)
            return None
        value = value.strip()
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,99}", value):
            raise ValueError("must be letters, digits and underscores (at most 100), not starting with a digit")
        return value

    @field_validator("milvus_poll_seconds")
    @classmethod
    def _milvus_poll(cls, value: float) -> float:
        if not value <= MILVUS_POLL_MAX:
            raise ValueError(f"must be at most {MILVUS_POLL_MAX:g}: the indexing job keeps what it deletes "
                             f"{2 * MILVUS_POLL_MAX:g} seconds for replicas still on the version before, so one that "
                             "checked less often could lose a document before it saw its replacement")
        return value

    @field_validator("index_factory")
    @classmethod
    def _factory(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty; use 'Flat' for exact search")
        return value

    @property
    def discord_question_chars(self) -> int:
        """The longest question Discord takes (or cuts a message asked about to): its own limit, within the core's."""
        return min(self.discord_max_question_chars, self.max_question_chars)


def env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def origin(settings: Settings, field: str) -> str | None:
    """Where a setting not given as a keyword came from, for a message: its variable (in the environment
    or in ``.env``), or None for the default."""
    name = env_name(field)
    if name in os.environ:
        return name
    if getattr(settings, field) == Settings.model_fields[field].default:
        return None
    return f"{name} in .env"


def load_settings(**overrides: Any) -> Settings:
    """Build ``Settings`` from overrides, the environment and ``.env``.

    Raises ``SettingsError`` with a one-line message naming the first bad variable.
    ``_env_file=None`` in ``overrides`` skips the ``.env`` file (tests use it).
    """
    unknown = sorted(set(overrides) - set(Settings.model_fields) - {"_env_file"})
    if unknown:
        raise SettingsError(f"unknown setting {unknown[0]!r} (the settings are listed in .env.example)")
    env_file = overrides.get("_env_file", ".env")
    dotenv = logging.getLogger("dotenv.main")
    unread = _UnreadLines(env_file)
    dotenv.addFilter(unread)
    try:
        settings = Settings(**overrides)
        _warn_unknown_env(env_file)
    except ValidationError as exc:
        raise SettingsError(describe_validation_error(exc)) from None
    except UnicodeDecodeError as exc:  # only the .env file is decoded here
        raise SettingsError(f"the settings file {Path('.env').resolve()} is not UTF-8 text (byte {exc.start}: "
                            f"{exc.reason}); fix or remove it") from None
    except OSError as exc:
        raise SettingsError(f"cannot read the settings file {exc.filename or Path('.env').resolve()}: "
                            f"{exc.strerror or exc}") from None
    finally:
        dotenv.removeFilter(unread)
    return settings


class _UnreadLines(logging.Filter):
    """python-dotenv's "could not parse statement starting at line 2", said once for each line (.env is read twice),
    naming the file: the setting on that line is not in force."""

    def __init__(self, env_file: str | Path | None) -> None:
        super().__init__()
        self.env_file = env_file
        self.said: set[object] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith("python-dotenv could not parse"):
            return True
        line = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
        if line not in self.said:
            self.said.add(line)
            log.warning("ignoring line %s of %s: python-dotenv cannot read it as NAME=value", line,
                        Path(self.env_file or ".env").absolute())
        return False


# A URI's "user:password@", never repeated in an error: up to the host's "@", the last before a path ("p@ss" too).
_USERINFO = re.compile(r"(?<=//)[^/\s'\"]*@")


def describe_validation_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else "?"
    message = first["msg"]
    value = first.get("input")
    shown = "" if "token" in field or isinstance(value, (dict, list)) else f" (got {_cut(_USERINFO.sub('***@', repr(value)))})"
    extra = f"; {len(exc.errors()) - 1} more problem(s)" if len(exc.errors()) > 1 else ""
    return f"bad setting {env_name(field)}: {message}{shown}{extra}"


def _cut(shown: str) -> str:
    """A value as an error shows it: a 400-digit number, or a whole file pasted by mistake, would fill the screen."""
    return shown if len(shown) <= SHOWN_CHARS else f"{shown[:SHOWN_CHARS]}…"


def _warn_unknown_env(env_file: str | Path | None) -> None:
    """One line for each QABOT_ variable, in the environment or in ``.env``, that is no setting (a misspelling), with
    the setting it most looks like."""
    from dotenv import dotenv_values  # pydantic-settings reads .env with it

    known = {env_name(name) for name in Settings.model_fields}
    found = [(key, "") for key in os.environ]
    if env_file is not None and Path(env_file).is_file():
        found += [(key, f" in {env_file}") for key in dotenv_values(env_file, encoding="utf-8")]
    names = sorted(name.removeprefix(ENV_PREFIX) for name in known)
    for key, where in found:
        if key.upper().startswith(ENV_PREFIX) and key.upper() not in known:
            # Compared without the prefix all share, which made any name look like one (QABOT_XYZ: QABOT_WATCH?);
            # a name whose words are a setting's is that one (QABOT_LOG: QABOT_LOG_LEVEL).
            typed = key.upper().removeprefix(ENV_PREFIX)
            words = [name for name in names if set(typed.split("_")) <= set(name.split("_"))]
            close = words[:1] or difflib.get_close_matches(typed, names, n=1)
            log.warning("ignoring unknown setting %s%s%s", key, where,
                        f" (did you mean {ENV_PREFIX}{close[0]}?)" if close else "")
