"""``qabot bench --scale N``: N synthetic passages through qabot's own build, then searched.

FAISS search p50/p95 and recall@10 against exact search, BM25 time, the engine's whole
candidate search (dense and BM25 top 100 with the rows the rerank reads), build peak
RSS (the build runs as its own process, its time including that process's start), the
RSS that loading (memory-mapped) adds, and the size on disk. With
``--engine milvus`` the same passages are built into Milvus too (``scale_milvus``) and
measured the same way, recall against the same exact search.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qabot.bench.phases import MEASURED, child
from qabot.bench.probes import ms, rss_mb, timed
from qabot.bench.report import ScaleResult
from qabot.bench.synthetic import WORDS, SyntheticEmbedder, write_synthetic_corpus
from qabot.index import BuildConfig, LivingIndex, open_index
from qabot.index.embedded import bm25
from qabot.index.embedded.dense import SEARCH_PARAMS, uses
from qabot.index.embedded.engine import EmbeddedEngine
from qabot.index.engine import top_k
from qabot.index.lexical import tokenize
from qabot.index.scope import Scope
from qabot.models import Document

SHARDS = 10  # the synthetic corpus is this many files

# What the child process runs: the synthetic corpus through qabot's own build.
_BUILD = (
    "from pathlib import Path\n"
    "from qabot.bench.synthetic import SyntheticEmbedder\n"
    "from qabot.index import BuildConfig, open_index\n"
    "corpus, index, factory, progress = sys.argv[1:5]\n"
    "open_index(BuildConfig(corpus_dir=Path(corpus), index_dir=Path(index), index_factory=factory,\n"
    "                       embedding_cache=False), SyntheticEmbedder(), progress=progress == '1').close()"
)


def bench_scale(
    passages: int, factories: Sequence[str], work: Path, queries: int = 200, progress: bool = True,
    engines: Sequence[str] = ("faiss",), milvus_uri: str | None = None,
) -> list[ScaleResult]:
    """Build ``passages`` synthetic passages per index factory through qabot's own build; search them.

    FAISS is always built (its vectors give the exact search recall is measured against);
    "milvus" in ``engines`` builds the same passages into Milvus as well.
    """
    corpus_dir = work / f"scale-{passages}-corpus"
    if not (corpus_dir / f"synthetic-{SHARDS - 1}.jsonl").is_file():  # ten files, so that a scope can take one
        for k in range(SHARDS):
            write_synthetic_corpus(corpus_dir / f"synthetic-{k}.jsonl", passages // SHARDS + (k < passages % SHARDS),
                                   seed=k)
    probe = SyntheticEmbedder(seed=99)
    query_vectors = probe.draw(queries)
    query_tokens = [tokenize(" ".join(np.random.default_rng(i).choice(WORDS, 4))) for i in range(queries)]
    exact: np.ndarray | None = None
    results = []
    for factory in factories:
        index_dir = work / f"scale-{passages}-{factory.replace(',', '_')}"
        shutil.rmtree(index_dir, ignore_errors=True)
        config = BuildConfig(corpus_dir=corpus_dir, index_dir=index_dir, index_factory=factory, embedding_cache=False)
        # The build runs as its own process, as a user's `qabot index` does: its peak is not
        # lifted by whatever the benchmark has loaded before (models, earlier corpora).
        build_s, build_peak = child(
            [sys.executable, "-c", MEASURED.format(code=_BUILD), str(corpus_dir), str(index_dir), factory,
             "1" if progress else "0"],
            dict(os.environ), passthrough=progress,
        )
        before = rss_mb()
        started = time.perf_counter()
        engine = EmbeddedEngine(config, probe.name)
        index = engine.open()
        load_s = time.perf_counter() - started
        load_rss = rss_mb() - before
        segment = index.parts[0].segment  # a fresh build is one segment
        parts = [bm25.Part(p.segment.postings, p.base, p.dead) for p in index.parts]
        if exact is None:
            exact = exact_top10(segment.passage_vectors, query_vectors)
        found10, times10, times100, lexical, hybrid, scoped = [], [], [], [], [], []
        scope = Scope.of(["synthetic-3.jsonl"])
        for i, vector in enumerate(query_vectors):
            hybrid.append(timed(lambda v=vector, t=query_tokens[i], index=index: index.candidates(
                v, t, 100, dense=True, lexical=True)))
            scoped.append(timed(lambda v=vector, t=query_tokens[i], index=index, s=scope: index.candidates(
                v, t, 100, dense=True, lexical=True, scope=s)))
            q = vector[None, :]
            started = time.perf_counter()
            _, rows = segment.dense.search(q, 10)
            times10.append(time.perf_counter() - started)
            found10.append(rows[0])
            times100.append(timed(lambda q=q, segment=segment: segment.dense.search(q, 100)))
            lexical.append(timed(lambda t=query_tokens[i], s=index.stats, p=parts: _bm25_top(p, s, t, 100)))
        recall = float(np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found10, exact, strict=True)]))
        disk = sum(p.stat().st_size for p in index_dir.glob("seg-*/**/*") if p.is_file())
        results.append(
            ScaleResult(
                passages=index.manifest.passages,
                factory=index.manifest.index_factory_used,
                build_s=round(build_s, 1),
                build_peak_rss_mb=round(build_peak, 1),
                load_s=round(load_s, 3),
                load_rss_mb=round(load_rss, 1),
                search_k10=ms(times10),
                search_k100=ms(times100),
                recall_at_10=round(recall, 4),
                bm25=ms(lexical),
                search_params={k: v for k, v in SEARCH_PARAMS.items() if uses(segment.dense, k)},
                disk_mb=round(disk / (1 << 20), 1),
                hybrid=ms(hybrid),
                hybrid_scoped=ms(scoped),
            )
        )
        first = np.array(segment.passage_vectors[0])
        index.close()
        engine.close()
        results[-1].upsert_served_s = round(upserted(config), 3)
        if "milvus" in engines:
            from qabot.bench.scale_milvus import bench_milvus

            results.append(bench_milvus(config, exact, first, query_vectors, query_tokens, milvus_uri, progress))
    return results


def upserted(config: BuildConfig, times: int = 3) -> float:
    """Median seconds from ``QABot.upsert``-ing one document into the index until a search finds it."""
    living = open_index(config, SyntheticEmbedder(), progress=False)
    served = []
    try:
        for i in range(times):
            marker = f"zqupsert{i}x"
            started = time.perf_counter()
            living.upsert([Document(doc_id=f"upsert-{i}", source="bench/upserts",
                                    text=f"The {marker} record was filed with the harbour council today.")])
            while not _finds(living, marker):
                time.sleep(0.005)
            served.append(time.perf_counter() - started)
    finally:
        living.close()
    return float(np.median(served))


def _finds(living: LivingIndex, marker: str) -> bool:
    with living.using() as engine:
        found = engine.candidates(np.zeros(living.manifest.dimension, np.float32), tokenize(marker), 1, dense=False,
                                  lexical=True)
        rows = found.lexical_rows.tolist()
        return bool(rows) and marker in engine.passages(rows)[rows[0]].text


def _bm25_top(parts: list[bm25.Part], stats: bm25.Stats, tokens: list[str], n: int) -> np.ndarray:
    scored = bm25.score(parts, stats, tokens)
    return scored.rows[top_k(scored.scores, n, scored.rows)]


def exact_top10(vectors: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Exact top 10 by inner product, reading the memory-mapped vectors in blocks."""
    best_scores = np.full((len(queries), 10), -np.inf, dtype=np.float32)
    best_rows = np.zeros((len(queries), 10), dtype=np.int64)
    for lo in range(0, len(vectors), 200_000):
        block = np.asarray(vectors[lo : lo + 200_000], dtype=np.float32)
        scores = queries @ block.T
        top = np.argpartition(-scores, 9, axis=1)[:, :10]
        merged_scores = np.concatenate([best_scores, np.take_along_axis(scores, top, 1)], axis=1)
        merged_rows = np.concatenate([best_rows, top + lo], axis=1)
        keep = np.argsort(-merged_scores, axis=1)[:, :10]
        best_scores = np.take_along_axis(merged_scores, keep, 1)
        best_rows = np.take_along_axis(merged_rows, keep, 1)
    return best_rows
