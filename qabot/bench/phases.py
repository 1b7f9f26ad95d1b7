"""The phases of ``qabot bench``: each figure timed beside its floor, in the same process and run.

- **query**: ``bot.ask`` against embedding the same question alone, timed alternately,
  question by question, so that a burst of load hits both;
- **build**: a full index build against embedding the same passages alone, and the
  re-index after one document changes (the embedding cache re-embeds only it);
- **cold start**: ``qabot ask`` as a whole process against
  ``python -c "import sentence_transformers, faiss"``;
- **quality**: SciFact nDCG@10 and hit@1 on the dev questions, per backend.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qabot.bench.corpora import Corpus, changed_passages, edit_one_document, passage_texts
from qabot.bench.probes import median, ms, peak_rss_mb, reset_peak_rss, timed
from qabot.bench.report import BuildResult, ColdStart, Latency, QueryResult
from qabot.bot import QABot
from qabot.embedding import Embedder
from qabot.eval.datasets import load_items
from qabot.eval.metrics import ndcg_at
from qabot.eval.runs import evaluate_items
from qabot.index import BuildConfig, open_index

WARMUP = 3


def bench_query(bot: QABot, corpus: Corpus, backend: str, runs: int, limit: int | None = None) -> QueryResult:
    """bot.ask against embedding the question alone, alternating question by question."""
    questions = corpus.questions[:limit] if limit else corpus.questions
    for question in questions[:WARMUP]:
        bot.ask(question)
        bot.embedder.embed([question])
    ask_p50, ask_p95, embed_p50, embed_p95, ratios = [], [], [], [], []
    for _ in range(runs):
        asks, embeds = [], []
        for question in questions:
            embeds.append(timed(lambda q=question: bot.embedder.embed([q])))
            asks.append(timed(lambda q=question: bot.ask(q)))
        a, e = ms(asks), ms(embeds)
        ask_p50.append(a.p50_ms)
        ask_p95.append(a.p95_ms)
        embed_p50.append(e.p50_ms)
        embed_p95.append(e.p95_ms)
        ratios.append(a.p50_ms / e.p50_ms)
    return QueryResult(
        corpus=corpus.name,
        backend=backend,
        passages=bot.manifest.passages,
        questions=len(questions),
        ask=Latency(p50_ms=round(median(ask_p50), 3), p95_ms=round(median(ask_p95), 3)),
        embed=Latency(p50_ms=round(median(embed_p50), 3), p95_ms=round(median(embed_p95), 3)),
        ratio_p50=round(median(ratios), 3),
    )


def bench_build(
    corpus: Corpus, embedder: Embedder, backend: str, index_dir: Path, runs: int, progress: bool
) -> BuildResult:
    """Full builds against embedding the same passages alone; then one document changed, re-indexed."""
    embedder.embed(["warm up"])  # loads (and for onnx, exports) the model outside the timings
    texts = [text for text, _ in passage_texts(corpus.folder)]
    config = BuildConfig(corpus_dir=corpus.folder, index_dir=index_dir)
    builds, embeds, reindexes, reembedded = [], [], [], []
    pristine = corpus.jsonl.read_bytes() if corpus.jsonl else None
    reset_peak_rss()
    for _ in range(runs):
        embeds.append(timed(lambda: embedder.embed(texts)))
        shutil.rmtree(index_dir, ignore_errors=True)
        started = time.perf_counter()
        open_index(config, embedder, progress=progress).close()
        builds.append(time.perf_counter() - started)
        if corpus.jsonl is not None:
            edit_one_document(corpus.jsonl)
            started = time.perf_counter()
            index = open_index(config, embedder, progress=False, notify=lambda _m: None)
            reindexes.append(time.perf_counter() - started)
            reembedded.append(index.manifest.embedded)
            index.close()
            corpus.jsonl.write_bytes(pristine)
            open_index(config, embedder, progress=False, notify=lambda _m: None).close()  # back to pristine
    build_s, embed_s = median(builds), median(embeds)
    result = BuildResult(
        corpus=corpus.name,
        backend=backend,
        passages=len(texts),
        build_s=round(build_s, 3),
        embed_s=round(embed_s, 3),
        ratio=round(median([b / e for b, e in zip(builds, embeds, strict=True)]), 3),
        passages_per_s=round(len(texts) / build_s, 1),
        peak_rss_mb=peak_rss_mb(),
    )
    if reindexes:
        result.reindex_s = round(median(reindexes), 3)
        result.reindex_share = round(median([r / b for r, b in zip(reindexes, builds, strict=True)]), 4)
        result.reembedded = int(median(reembedded))
        result.document_passages = changed_passages(corpus.jsonl)
    return result


def bench_cold(corpus_dir: Path, index_dir: Path, backend: str, runs: int, question: str) -> ColdStart:
    """``qabot ask`` as a new process against the bare import of sentence_transformers and faiss."""
    env = {
        **os.environ,
        "QABOT_CORPUS_DIR": str(corpus_dir),
        "QABOT_INDEX_DIR": str(index_dir),
        "QABOT_EMBEDDING_BACKEND": backend,
        "HF_HUB_OFFLINE": "1",
    }
    ask = [sys.executable, "-c", MEASURED.format(code="from qabot.cli import main; sys.argv[0] = 'qabot'; main()"),
           "ask", question, "--k", "3"]
    shared = index_dir.parent / "models"
    if shared.is_dir() and not (index_dir / "models").exists():
        (index_dir / "models").symlink_to(shared.resolve())  # reuse the run's ONNX export
    imports = [sys.executable, "-c", MEASURED.format(code="import sentence_transformers, faiss")]
    child(ask, env)  # builds the index if needed, warms the page cache
    child(imports, env)
    asks, bare, rss = [], [], []
    for _ in range(runs):
        seconds, peak = child(ask, env)
        asks.append(seconds)
        rss.append(peak)
        bare.append(child(imports, env)[0])
    return ColdStart(
        backend=backend,
        ask_s=round(median(asks), 3),
        imports_s=round(median(bare), 3),
        extra_s=round(median([a - b for a, b in zip(asks, bare, strict=True)]), 3),
        ask_peak_rss_mb=round(median(rss), 1),
    )


# A child reports its own peak RSS as it exits: the rusage of a child started by vfork
# counts the parent's memory too. Interpreter start-up is the same as the qabot script's.
MEASURED = (
    "import atexit, os, sys\n"
    "def _peak():\n"
    "    hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')]\n"
    "    open(os.environ['BENCH_PEAK_FILE'], 'w').write(hwm[0] if hwm else '0')\n"
    "atexit.register(_peak)\n"
    "{code}\n"
)


def child(command: list[str], env: dict[str, str], stdin: bytes | None = None,
          passthrough: bool = False) -> tuple[float, float]:
    """Wall time and peak RSS (MB) of a child process (``command`` runs ``MEASURED`` code).

    ``passthrough`` leaves the child's stderr on the terminal (its progress bars) instead
    of keeping it for the error message.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".peak") as peak:
        started = time.perf_counter()
        proc = subprocess.run(command, env={**env, "BENCH_PEAK_FILE": peak.name}, stdout=subprocess.DEVNULL,
                              stderr=None if passthrough else subprocess.PIPE, input=stdin, check=False)
        seconds = time.perf_counter() - started
        if proc.returncode != 0:
            stderr = "see above" if passthrough else proc.stderr.decode(errors="replace").strip()
            raise RuntimeError(f"{' '.join(command[-3:])} failed ({proc.returncode}): {stderr[-300:]}")
        kib = Path(peak.name).read_text().strip() or "0"
    return seconds, int(kib) / 1024


def beir_ndcg(bot: QABot, corpus: Corpus) -> float:
    scores = [ndcg_at([doc for doc, _ in bot.rank_documents(q, n=100)], rel) for q, rel in corpus.qrels.items()]
    return round(sum(scores) / len(scores), 4) if scores else 0.0


def dev_hit_at_1(bot: QABot, dev: Path) -> float | None:
    return evaluate_items(bot, load_items(dev), name="dev").hit_at_1
