"""The ``qabot`` command: index | ask | sources | repl | discord | feedback | eval | bench.

The CLI only parses arguments, calls the library and prints. A ``QABotError`` becomes
one line on stderr and exit status 1, never a traceback. Heavy libraries (torch,
FAISS, discord.py) are imported inside the commands, so ``qabot --help`` is instant.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from qabot.cli_errors import click_errors
from qabot.errors import CorpusFolderError, QABotError
from qabot.logs import setup_logging
from qabot.process import SAID, printable_anywhere, release_interrupts, signal_behind, stop_on_signals, stopped
from qabot.text import first_line, json_safe, visible

if TYPE_CHECKING:
    from qabot.bot import QABot
    from qabot.settings import Settings

log = logging.getLogger("qabot")

# What an interrupted command adds to its one line ("Interrupted: ...").
_AFTER_INTERRUPTION = {"index": "nothing half-written is kept; qabot index again finishes the work"}


def _one_line_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into 'Error: ...' and exit 1; Ctrl-C (or SIGTERM) says so in one line and exits 130 (143).

    A missing corpus folder says where the folder was named: ``--corpus``, the variable, or the default.
    """
    after = _AFTER_INTERRUPTION.get(func.__name__)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            release_interrupts()  # a Ctrl-C pressed while qabot loaded is raised here
            return func(*args, **kwargs)
        except CorpusFolderError as exc:
            raise click.ClickException(visible(f"{exc} ({_where_corpus()})")) from None
        except (click.ClickException, BrokenPipeError):
            raise  # a reader that left (| head): click exits 1 quietly
        except BaseException as exc:  # Ctrl-C, SIGTERM or SIGHUP, even as the error of a library it landed in
            if (signum := signal_behind(exc)) is not None:
                stopped(SAID[signum], 128 + signum, after)
            if isinstance(exc, QABotError):
                raise click.ClickException(visible(str(exc))) from None
            if not isinstance(exc, Exception):
                raise  # SystemExit
            log.debug("unexpected error", exc_info=True)
            raise click.ClickException(
                f"unexpected {type(exc).__name__}: {visible(first_line(exc))} (QABOT_LOG_LEVEL=DEBUG shows details)"
            ) from None

    return wrapper


def _where_corpus() -> str:
    """Where the corpus folder was named: the option, the variable, or the default (and how to change it)."""
    from qabot.settings import origin

    state = click.get_current_context().find_object(_Context)
    if state is not None and "corpus_dir" in state.overrides:
        return "given with --corpus"
    where = origin(state.settings, "corpus_dir") if state is not None else None
    return where or "the default: give --corpus DIR or set QABOT_CORPUS_DIR"


class _Context:
    def __init__(self) -> None:
        self.overrides: dict[str, Any] = {}  # settings given on the command line (--corpus, --index)
        self._settings = None
        self.guild_id: int | None = None  # qabot feedback --guild, for its subcommands

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from qabot.settings import load_settings

            self._settings = load_settings(**self.overrides)
            setup_logging(self._settings.log_level)
        return self._settings

    def bot(self, **kwargs: Any) -> QABot:
        from qabot.bot import QABot

        return QABot.from_settings(self.settings, **kwargs)


pass_context = click.make_pass_decorator(_Context)


def _global(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """A global option, wherever it stands on the line: it overrides its setting for the whole command."""
    if value is not None and not value.strip():  # Path("") is the folder qabot runs in, as the setting's check says
        raise click.BadParameter("must not be empty", ctx, param)
    if value is not None:
        ctx.ensure_object(_Context).overrides[str(param.name)] = Path(value)


# Global options: accepted before the command and after it (qabot --corpus docs ask ..., qabot ask ... --corpus docs).
_GLOBAL_OPTIONS = (
    click.Option(["--corpus", "corpus_dir"], type=click.Path(), callback=_global, expose_value=False,
                 help="Corpus folder [QABOT_CORPUS_DIR]."),
    click.Option(["--index", "index_dir"], type=click.Path(), callback=_global, expose_value=False,
                 help="Index folder [QABOT_INDEX_DIR]."),
)


class _Group(click.Group):
    """A group whose every command, nested ones too, takes the global options, and is listed with its whole summary."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        cmd.params.extend(_GLOBAL_OPTIONS)
        cmd.short_help = cmd.short_help or cmd.get_short_help_str(limit=1 << 16)  # its first sentence, never cut
        super().add_command(cmd, name)

    def group(self, *args: Any, **kwargs: Any) -> Any:
        return super().group(*args, cls=_Group, **kwargs)

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with click_errors():  # the group's own options: "qabot --bogus"
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with click_errors():  # a command, its arguments and options, and what it raises
            return super().invoke(ctx)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120})
@click.version_option(package_name="qabot", message="qabot %(version)s")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Answer questions about a folder of documents with cited excerpts.

    Settings come from QABOT_* environment variables and from .env in the folder qabot
    is run from (see .env.example). --corpus and --index go before or after the command.
    """
    setup_logging("WARNING")
    ctx.ensure_object(_Context)


cli.params.extend(_GLOBAL_OPTIONS)


@cli.command()
@click.option("--rebuild", is_flag=True, help="Read every file again and rebuild the index, even if it is up to date "
              "(vectors of unchanged text still come from the embedding cache, QABOT_EMBEDDING_CACHE).")
@pass_context
@_one_line_errors
def index(ctx: _Context, rebuild: bool) -> None:
    """Build the index, or bring it in step with the corpus (only what changed is read)."""
    from qabot import embedding
    from qabot.adapters.terminal import print_skipped
    from qabot.errors import NothingToIndex, SettingsError
    from qabot.index import LivingIndex, Outcome
    from qabot.index.stores import read_only

    settings = ctx.settings
    if read_only(settings):
        raise SettingsError("QABOT_MILVUS_READ_ONLY is set: this process serves the collection and never indexes it "
                            "(run qabot index where the corpus is, without it)")
    embedder = embedding.make_embedder(settings)
    quiet = lambda _message: None
    try:
        living = LivingIndex.open(settings, embedder, rebuild=rebuild, notify=quiet, warn=quiet, fallback=False)
    except NothingToIndex as exc:  # say why each file was skipped before the one-line error
        print_skipped(exc.skipped)
        raise
    try:
        result, m, where = living.last, living.manifest, living.engine.describe()
    finally:
        living.close()
    if result is None or result.outcome is Outcome.UNCHANGED:
        click.echo(visible(f"The {where} is up to date: {m.indexed_files} file(s), {m.passages} passages."))
    else:
        click.echo(visible(
            f"Indexed {m.indexed_files} file(s) ({m.unchanged_files} unchanged), {m.documents} document(s), "
            f"{m.passages} passages in {result.seconds:.1f} s ({result.reason}) -> {where}"
        ))
    print_skipped(m.skipped_messages())


@cli.command()
@click.argument("question")
@click.option("-k", "--k", "k", type=click.IntRange(1, 50), default=None, help="How many excerpts [QABOT_TOP_K].")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.option("--history", multiple=True, help="An earlier question of the conversation (repeatable).")
@pass_context
@_one_line_errors
def ask(ctx: _Context, question: str, k: int | None, as_json: bool, history: tuple[str, ...]) -> None:
    """Answer QUESTION with cited excerpts.

    A QUESTION of - is read from stdin: echo "Who killed Trotsky?" | qabot ask -
    """
    from qabot.adapters.terminal import print_answer, stdin_question

    if question == "-":
        question = stdin_question(ctx.settings.max_question_chars)
    bot = ctx.bot()
    answer = bot.ask(question, k=k, history=list(history))
    if as_json:
        click.echo(json_safe(answer.model_dump_json(indent=2)))
        return
    from rich.console import Console

    print_answer(Console(emoji=False), answer)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@pass_context
@_one_line_errors
def sources(ctx: _Context, as_json: bool) -> None:
    """List the indexed documents."""
    from qabot.adapters.terminal import plain_sources

    found = ctx.bot().sources()
    if as_json:
        click.echo(json_safe(json.dumps([s.model_dump() for s in found], indent=2, ensure_ascii=False)))
    else:
        click.echo(plain_sources(found))


@cli.command("eval")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--beir", "beir_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A BEIR folder (corpus.jsonl, queries.jsonl, qrels/): nDCG@10 and Recall@100.")
@click.option("--squad", "squad_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A SQuAD json file: its paragraphs are the corpus, its questions are asked.")
@click.option("--split", help="BEIR qrels split [test].")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "bm25", "all"]), default="hybrid", show_default=True,
              help="Retrieval to measure; 'all' adds the plain dense-only and BM25-only baselines, same run.")
@click.option("--limit", type=click.IntRange(1), help="Only the first N SQuAD questions.")
@click.option("--calibrate", is_flag=True,
              help="Also show how answered and abstention rates move with QABOT_ANSWER_THRESHOLD.")
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@pass_context
@_one_line_errors
def evaluate(ctx: _Context, file: Path | None, beir_dir: Path | None, squad_file: Path | None, split: str | None,
             mode: str, limit: int | None, calibrate: bool, as_json: bool) -> None:
    """Measure answer quality: FILE.jsonl of questions (like dev.jsonl), --beir DIR or --squad FILE.

    FILE is asked of the configured corpus; BEIR and SQuAD corpora get their own index
    under the index folder (eval/), built once and reused.
    """
    from qabot import eval as evaluation

    if sum(x is not None for x in (file, beir_dir, squad_file)) != 1:
        raise click.UsageError("give exactly one of FILE, --beir DIR or --squad FILE")
    if limit is not None and squad_file is None:
        raise click.UsageError("--limit applies to --squad only")
    if calibrate and beir_dir is not None:
        raise click.UsageError("--calibrate needs questions with answers (FILE or --squad), not --beir")
    if split is not None and beir_dir is None:
        raise click.UsageError("--split applies to --beir only")
    modes = ("hybrid", "dense", "bm25") if mode == "all" else (mode,)
    settings = ctx.settings
    if beir_dir is not None:
        reports = evaluation.evaluate_beir(beir_dir, settings, split=split or "test", modes=modes)
    elif squad_file is not None:
        reports = evaluation.evaluate_squad(squad_file, settings, modes=modes, limit=limit)
    else:
        reports = evaluation.evaluate_file(file, settings, modes=modes)
    if as_json:
        click.echo(json_safe(json.dumps([r.model_dump() for r in reports], indent=2, ensure_ascii=False)))
    else:
        click.echo(evaluation.table(reports))
        if calibrate and reports and isinstance(reports[0], evaluation.QAReport):
            click.echo("\n" + evaluation.calibration_table(reports[0]))


@cli.command()
@pass_context
@_one_line_errors
def repl(ctx: _Context) -> None:
    """Chat with the corpus in the terminal (reads lines from stdin when piped)."""
    from qabot.adapters.repl import run

    run(ctx.settings)


@cli.group(invoke_without_command=True)
@click.pass_context
@_one_line_errors
def discord(click_ctx: click.Context) -> None:
    """Run the Discord bot (token from QABOT_DISCORD_TOKEN)."""
    if click_ctx.invoked_subcommand is not None:
        return
    from qabot.adapters.discord_bot import run

    run(click_ctx.obj.settings)


@discord.command("sync")
@pass_context
@_one_line_errors
def discord_sync(ctx: _Context) -> None:
    """Read the listed channels' history (QABOT_DISCORD_HISTORY_CHANNEL_IDS) into the index, then exit.

    Each channel is read on from its checkpoint, as the bot does when it starts; nothing
    is answered. Progress goes to the log (QABOT_LOG_LEVEL=INFO shows it).
    """
    from qabot.adapters.discord.bot import sync

    reading = sync(ctx.settings)
    click.echo(f"Read {reading.messages:,} new message(s) from {reading.channels} channel(s) and thread(s).")


@cli.group(invoke_without_command=True)
@click.option("--guild", "guild_id", type=click.IntRange(0, 2**63 - 1),  # a Discord id; and what SQLite can hold
              help="Only the answers given in this Discord server (its id).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
@_one_line_errors
def feedback(click_ctx: click.Context, guild_id: int | None, as_json: bool) -> None:
    """Answers, abstentions and votes, the helpful share by week, the most-asked unanswered questions.

    They come from the state database (QABOT_STATE_DIR): Discord answers and their
    votes, and REPL answers marked :good or :bad.
    """
    if click_ctx.invoked_subcommand is not None:
        if as_json:
            raise click.UsageError("--json is the summary's: qabot feedback export writes JSONL to its FILE", click_ctx)
        click_ctx.obj.guild_id = guild_id
        return
    from qabot.feedback import FeedbackStore, summarise, summary_text

    store = FeedbackStore.from_settings(click_ctx.obj.settings)
    summary = summarise(store, guild_id=guild_id)
    if as_json:
        click.echo(json_safe(summary.model_dump_json(indent=2)))
    elif not store.exists():
        click.echo(visible(f"No feedback yet: there is no state database in {store.folder}."))
    elif guild_id is not None and not summary.answers:  # "No answers recorded yet." read as none, anywhere
        click.echo(f"No answers recorded in server {guild_id} ({summarise(store).answers} in all).")
    else:
        click.echo(summary_text(summary))


@feedback.command("export")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@pass_context
@_one_line_errors
def feedback_export(ctx: _Context, file: Path) -> None:
    """Write the votes as qabot eval questions (JSONL) to FILE (- is stdout; the count then goes to stderr).

    A helpful answer gives a question whose gold is its highlighted sentence; an answer
    voted not helpful, and a question the corpus did not answer, is written with empty
    answers and "review": true, for a person to fill in. One server's: qabot feedback --guild ID export FILE.
    """
    from qabot.feedback import FeedbackStore, export, export_to

    store, dash = FeedbackStore.from_settings(ctx.settings), str(file) in ("-", "/dev/stdout")
    done = export_to(store, click.get_text_stream("stdout"), guild_id=ctx.guild_id) if dash else export(
        store, file, guild_id=ctx.guild_id)
    click.echo(visible(f"Wrote {done.items} question(s) to {'stdout' if dash else file}: {done.with_gold} with gold "
                       f"from helpful answers, {done.to_review} to review (fill in their answers; until then qabot "
                       "eval counts them as questions the corpus does not answer)."), err=dash)


@cli.command()
@click.option("--runs", type=click.IntRange(1), default=5, show_default=True, help="Repetitions; figures are medians.")
@click.option("--backend", "backends", multiple=True, type=click.Choice(["onnx", "torch"]),
              help="Backend to measure (repeatable) [both when onnxruntime is installed].")
@click.option("--dev", type=click.Path(path_type=Path), default=Path("../shared/eval/dev.jsonl"), show_default=True,
              help="Questions about the corpus (dev.jsonl form), timed and scored for hit@1.")
@click.option("--scifact", type=click.Path(path_type=Path), default=Path("../shared/eval/external/scifact"),
              show_default=True, help="A BEIR folder: build, re-index, latency and nDCG@10.")
@click.option("--scifact-docs", type=click.IntRange(1), help="Only its first N documents (a quicker run).")
@click.option("--queries", type=click.IntRange(1), default=100, show_default=True, help="Questions timed per corpus.")
@click.option("--peer", is_flag=True, help="Also measure txtai's hybrid Embeddings on SciFact (the bench extra).")
@click.option("--scale", type=click.IntRange(1000), help="Also build N synthetic passages (1000000: minutes, GBs).")
@click.option("--scale-only", is_flag=True, help="Only the --scale part.")
@click.option("--memory/--no-memory", default=True, show_default=True,
              help="Peak RSS of qabot index and of a serving qabot repl, each as its own process.")
@click.option("--live/--no-live", default=True, show_default=True,
              help="Edit a SciFact document while a watching bot answers; time until it is quoted.")
@click.option("--living/--no-living", default=True, show_default=True,
              help="SciFact as one file per abstract, in full and a tenth of it: an edit and a burst of new files, "
                   "each timed until it is quoted.")
@click.option("--factory", "factories", multiple=True, help="FAISS index factory for --scale (repeatable) [HNSW32].")
@click.option("--formats", type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="Also time the readers on this folder's PDF, HTML, DOCX and export files, and reading in a PDF build.")
@click.option("--formats-only", is_flag=True, help="Only the --formats part.")
@click.option("--engine", "engines", multiple=True, type=click.Choice(["faiss", "milvus"]),
              help="Engines for --scale (repeatable); milvus is built beside FAISS, on the same passages [faiss].")
@click.option("--milvus-uri", help="A Milvus server for --engine milvus [a Milvus Lite file in --work].")
@click.option("--work", type=click.Path(path_type=Path), default=Path("bench-results/work"), show_default=True,
              help="Scratch folder for the indexes the benchmark builds.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("bench-results/latest.json"), show_default=True,
              help="Where the JSON report is written.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report instead of the tables.")
@pass_context
@_one_line_errors
def bench(ctx: _Context, runs: int, backends: tuple[str, ...], dev: Path, scifact: Path, scifact_docs: int | None,
          queries: int, peer: bool, scale: int | None, scale_only: bool, memory: bool, live: bool, living: bool,
          factories: tuple[str, ...], formats: Path | None, formats_only: bool, engines: tuple[str, ...],
          milvus_uri: str | None, work: Path, out: Path, as_json: bool) -> None:
    """Measure latency, build time, cold start and memory against the model's own cost."""
    from qabot import bench as harness
    from qabot.bench.options import check

    check(click.get_current_context())
    backends, measured = harness.backends_to_measure(backends, ctx.settings.embedding_backend)
    say = lambda message: click.echo(visible(f"-- {message}"), err=True)  # messages name folders: shown inert
    if scale and scale_only:
        report = harness.run_scale_only(scale, factories or ("HNSW32",), work, engines=engines or ("faiss",),
                                        milvus_uri=milvus_uri)
    elif formats and formats_only:
        report = harness.run_formats_only(formats, work, measured, runs, say=say)
    else:
        report = harness.run(
            corpus_dir=ctx.settings.corpus_dir, dev=dev, scifact=scifact, work=work, runs=runs, backends=backends,
            default_backend=measured,
            scifact_docs=scifact_docs, query_limit=queries, peer=peer, scale=scale,
            scale_factories=factories or ("HNSW32",), scale_engines=engines or ("faiss",), milvus_uri=milvus_uri,
            live=live, living=living, memory=memory, formats=formats, say=say,
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    click.echo(json_safe(report.model_dump_json(indent=2)) if as_json else harness.table(report))


def main() -> None:
    printable_anywhere()
    stop_on_signals()
    cli(prog_name="qabot")

