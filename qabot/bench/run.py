"""The whole ``qabot bench`` run: every phase, per backend and corpus, in one process."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qabot.bench.corpora import Corpus, beir_corpus, default_corpus
from qabot.bench.live import bench_live
from qabot.bench.living import bench_living
from qabot.bench.memory import bench_memory
from qabot.bench.peer import bench_txtai
from qabot.bench.phases import beir_ndcg, bench_build, bench_cold, bench_query, dev_hit_at_1
from qabot.bench.probes import close_report, cpu_times, machine_info
from qabot.bench.reading import bench_read_share, bench_reading
from qabot.bench.report import BackendComparison, BenchReport, PeerResult, Quality
from qabot.bench.scale import bench_scale
from qabot.bot import QABot
from qabot.embedding import Embedder, make_embedder
from qabot.settings import Settings, load_settings
from qabot.text import visible

# The engine the figures are of, whatever QABOT_* the environment holds (compose's env_file puts a deployment's there):
# a benchmark must never write its corpora into the deployment's Milvus collection (its scale phase names Milvus itself).
_OWN_ENGINE = {"vector_store": "faiss", "milvus_uri": None, "milvus_collection": None, "milvus_read_only": False}


def bench_settings(**overrides: object) -> Settings:
    """Settings for an index the benchmark builds: the defaults, never the user's .env, and its own engine."""
    return load_settings(_env_file=None, **{**_OWN_ENGINE, **overrides})


@dataclass
class _Floors:
    """What the model alone costs, per backend: the denominators of the backend comparison."""

    query_ms: dict[str, float] = field(default_factory=dict)
    build_s: dict[str, float] = field(default_factory=dict)


def _where(path: Path | None, inside: str = "") -> str:
    """Where the eval data was looked for, for a note saying it is missing: a clone has no ``../shared/eval/``."""
    return "" if path is None else f" at {visible(str(path / inside if inside else path))}"


def run(
    *,
    corpus_dir: Path,
    dev: Path | None,
    scifact: Path | None,
    work: Path,
    runs: int = 5,
    backends: Sequence[str] = ("onnx", "torch"),
    default_backend: str = "onnx",
    scifact_docs: int | None = None,
    query_limit: int | None = 100,
    cold: bool = True,
    cold_runs: int | None = None,
    embedders: Mapping[str, Embedder] | None = None,
    peer: bool = False,
    scale: int | None = None,
    scale_factories: Sequence[str] = ("HNSW32",),
    scale_engines: Sequence[str] = ("faiss",),
    milvus_uri: str | None = None,
    live: bool = True,
    live_edits: int = 3,
    living: bool = True,
    living_burst: int = 20,
    living_settle: float = 3.0,
    memory: bool = True,
    formats: Path | None = None,
    progress: bool = True,
    say: Callable[[str], None] = lambda _m: None,
) -> BenchReport:
    """Every measurement, in one process. ``say`` reports progress between phases.

    ``embedders`` maps a backend to an embedder to use instead of loading one (tests pass
    the session's).
    """
    started = time.perf_counter()
    cpu_before = cpu_times()
    report = BenchReport(machine=machine_info(), runs=runs, default_backend=default_backend)
    work.mkdir(parents=True, exist_ok=True)
    corpora = [default_corpus(corpus_dir, dev)]
    if scifact is not None and (scifact / "corpus.jsonl").is_file():
        corpora.append(beir_corpus(scifact, work, scifact_docs))
    else:
        report.notes.append(f"SciFact not found{_where(scifact, 'corpus.jsonl')} (--scifact DIR, a BEIR folder): "
                            "its query, build, re-index and quality figures are missing")
    if dev is None or not dev.is_file():
        report.notes.append(f"no dev file{_where(dev)} (--dev FILE): the default corpus is asked built-in questions "
                            "and hit@1 is missing")
    peer = peer and _peer_installed(report)
    if peer and len(corpora) == 1:
        report.notes.append("the peer comparison (--peer) needs SciFact: skipped")
    scale_engines = _engines_installed(report, scale_engines, milvus_uri) if scale else scale_engines

    floors = _Floors()
    for backend in backends:
        embedder = (embedders or {}).get(backend) or make_embedder(
            # One export folder for every index of the backend: the ONNX model is exported once.
            bench_settings(index_dir=work / backend, embedding_backend=backend)
        )
        quality = Quality(backend=backend)
        for corpus in corpora:
            _measure(report, quality, floors, corpus, backend, embedder, work, runs, query_limit, dev, progress, say)
        report.quality.append(quality)
        if live and backend == default_backend and len(corpora) > 1:
            say(f"{backend}: live edits of {corpora[1].name} while a bot answers")
            corpus = corpora[1]
            settings = bench_settings(corpus_dir=corpus.folder, index_dir=work / backend / corpus.name,
                                      embedding_backend=backend)
            report.live.append(bench_live(corpus, embedder, backend, settings, edits=live_edits))
        if living and backend == default_backend and len(corpora) > 1 and corpora[1].jsonl is not None:
            report.living += bench_living(
                corpora[1].jsonl, work / backend, embedder, backend,
                lambda b=backend, **folders: bench_settings(embedding_backend=b, **folders), edits=live_edits,
                burst=living_burst, settle=living_settle, say=say)
        if formats is not None and backend == default_backend:
            _formats(report, formats, embedder, backend, work, runs, say)
        if memory:
            for corpus in corpora:
                say(f"{backend}: memory of qabot index and qabot repl on {corpus.name}")
                report.memory.append(bench_memory(corpus, backend, work))
        if cold:
            say(f"{backend}: cold start of qabot ask")
            first = corpora[0]
            report.cold.append(bench_cold(first.folder, work / backend / first.name, backend, cold_runs or runs,
                                          first.questions[0]))

    if "torch" in backends and len(backends) > 1:
        report.backends = _compare(report, floors, next(b for b in backends if b != "torch"))
    if peer and len(corpora) > 1:
        say("peer: txtai hybrid Embeddings on SciFact")
        report.peer = _peer(report, corpora[1], default_backend, runs)
    if scale:
        say(f"scale: {scale:,} synthetic passages")
        report.scale = bench_scale(scale, scale_factories, work, progress=progress, engines=scale_engines,
                                   milvus_uri=milvus_uri)
    return close_report(report, cpu_before, started)


def _measure(
    report: BenchReport, quality: Quality, floors: _Floors, corpus: Corpus, backend: str, embedder: Embedder,
    work: Path, runs: int, query_limit: int | None, dev: Path | None, progress: bool, say: Callable[[str], None],
) -> None:
    """Build (BEIR corpora), query and quality figures of one corpus on one backend."""
    index_dir = work / backend / corpus.name
    if corpus.jsonl is not None:
        say(f"{backend}: building {corpus.name} ({runs} runs, then one document changed)")
        report.build.append(bench_build(corpus, embedder, backend, index_dir, runs, progress))
        floors.build_s[backend] = report.build[-1].embed_s
    say(f"{backend}: asking {corpus.name}")
    bot = QABot.from_settings(
        bench_settings(corpus_dir=corpus.folder, index_dir=index_dir, embedding_backend=backend),
        embedder=embedder,
        progress=progress,
    )
    try:
        result = bench_query(bot, corpus, backend, runs, query_limit)
        report.query.append(result)
        if corpus.qrels:
            floors.query_ms[backend] = result.embed.p50_ms
            say(f"{backend}: nDCG@10 on {corpus.name}")
            quality.scifact_ndcg_at_10 = beir_ndcg(bot, corpus)
        elif dev is not None and dev.is_file():
            quality.dev_hit_at_1 = dev_hit_at_1(bot, dev)
        floors.query_ms.setdefault(backend, result.embed.p50_ms)
    finally:
        bot.close()


def _compare(report: BenchReport, floors: _Floors, fast: str) -> BackendComparison:
    quality = {q.backend: q for q in report.quality}
    return BackendComparison(
        fast=fast,
        base="torch",
        query_embed_speedup=round(floors.query_ms["torch"] / floors.query_ms[fast], 2),
        build_embed_speedup=round(floors.build_s["torch"] / floors.build_s[fast], 2) if floors.build_s else None,
        ndcg_loss=_loss(quality["torch"].scifact_ndcg_at_10, quality[fast].scifact_ndcg_at_10),
        hit_at_1_loss=_loss(quality["torch"].dev_hit_at_1, quality[fast].dev_hit_at_1),
    )


def _peer(report: BenchReport, corpus: Corpus, backend: str, runs: int) -> PeerResult:
    build_s, query_ms, ndcg, docs = bench_txtai(corpus, runs)
    ours_build = next(b for b in report.build if b.backend == backend and b.corpus == corpus.name)
    ours_query = next(q for q in report.query if q.backend == backend and q.corpus == corpus.name)
    ours_ndcg = next(q.scifact_ndcg_at_10 for q in report.quality if q.backend == backend) or 0.0
    return PeerResult(
        peer="txtai Embeddings(hybrid=True, content=True)",
        backend=backend,
        documents=docs,
        peer_build_s=round(build_s, 3),
        peer_query_p50_ms=round(query_ms, 3),
        peer_ndcg_at_10=ndcg,
        qabot_build_s=ours_build.build_s,
        qabot_query_p50_ms=ours_query.ask.p50_ms,
        qabot_ndcg_at_10=ours_ndcg,
        build_ratio=round(ours_build.build_s / build_s, 3),
        query_ratio=round(ours_query.ask.p50_ms / query_ms, 3),
    )


def run_scale_only(passages: int, factories: Sequence[str], work: Path, progress: bool = True,
                   engines: Sequence[str] = ("faiss",), milvus_uri: str | None = None) -> BenchReport:
    started = time.perf_counter()
    cpu_before = cpu_times()
    report = BenchReport(machine=machine_info(), runs=1, default_backend="-")
    engines = _engines_installed(report, engines, milvus_uri)
    report.scale = bench_scale(passages, factories, work, progress=progress, engines=engines, milvus_uri=milvus_uri)
    return close_report(report, cpu_before, started)


def _formats(report: BenchReport, folder: Path, embedder: Embedder, backend: str, work: Path, runs: int,
             say: Callable[[str], None]) -> None:
    say(f"reading the files of {folder}")
    report.reading = bench_reading(folder, runs)
    say(f"{backend}: building the PDFs of {folder}, reading beside the whole build")
    report.reading_share = bench_read_share(folder, embedder, backend, work / backend, runs)
    if not report.reading:
        report.notes.append(f"no PDF, HTML, DOCX or Discord export files in {folder}")


def run_formats_only(folder: Path, work: Path, backend: str, runs: int = 5,
                     say: Callable[[str], None] = lambda _m: None) -> BenchReport:
    """Only the reading figures of ``--formats``: speed per format, and its share of a PDF build."""
    started = time.perf_counter()
    cpu_before = cpu_times()
    report = BenchReport(machine=machine_info(), runs=runs, default_backend=backend)
    embedder = make_embedder(bench_settings(index_dir=work / backend, embedding_backend=backend))
    _formats(report, folder, embedder, backend, work, runs, say)
    return close_report(report, cpu_before, started)


def _peer_installed(report: BenchReport) -> bool:
    """Whether txtai can be imported; if not, a note says the peer is skipped (found now, not after the run)."""
    try:
        import txtai  # noqa: F401
    except ImportError:
        report.notes.append("txtai is not installed (pip install -e '.[bench]'): the peer comparison is skipped")
        return False
    return True


def _engines_installed(report: BenchReport, engines: Sequence[str], milvus_uri: str | None) -> tuple[str, ...]:
    """``engines`` less Milvus where pymilvus (or Milvus Lite, with no URI) is missing, with a note saying so."""
    if "milvus" not in engines:
        return tuple(engines)
    try:
        import pymilvus  # noqa: F401

        if milvus_uri is None:
            import milvus_lite  # noqa: F401
    except ImportError as exc:
        report.notes.append(f"{exc.name} is not installed (pip install -e '.[milvus]'): the Milvus scale run is "
                            "skipped")
        return tuple(e for e in engines if e != "milvus")
    return tuple(engines)


def _loss(base: float | None, fast: float | None) -> float | None:
    return None if base is None or fast is None else round(base - fast, 4)


def backends_to_measure(asked: tuple[str, ...], configured: str) -> tuple[tuple[str, ...], str]:
    """The backends ``qabot bench`` measures (``asked``, else both where onnxruntime is installed), and of them the
    one the settings use (``configured``), else the first: the one its single-backend parts run on."""
    from qabot.embedding import resolve_backend

    default = resolve_backend(configured)
    backends = asked or (("onnx", "torch") if resolve_backend("auto") == "onnx" else ("torch",))
    return backends, default if default in backends else backends[0]
