"""The peer of ``qabot bench --peer``: txtai's hybrid ``Embeddings`` on the same packaged model."""

from __future__ import annotations

import json
import time

from qabot.bench.corpora import Corpus
from qabot.bench.phases import WARMUP
from qabot.bench.probes import median, ms
from qabot.embedding.model import packaged_model_dir
from qabot.eval.metrics import ndcg_at


def bench_txtai(corpus: Corpus, runs: int) -> tuple[float, float, float, int]:
    """txtai hybrid Embeddings (dense + BM25, same packaged model): build s, query p50 ms, nDCG@10, docs."""
    try:
        from txtai import Embeddings
    except ImportError as exc:
        raise RuntimeError("the peer comparison needs txtai: pip install -e '.[bench]'") from exc
    documents = []
    with corpus.jsonl.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                title = (record.get("title") or "").strip()
                documents.append((str(record["_id"]), f"{title}. {record['text']}" if title else record["text"], None))
    embeddings = Embeddings(path=str(packaged_model_dir()), content=True, hybrid=True)
    embeddings.index(documents[:8])  # warm-up, as qabot's model is warmed before its builds are timed
    builds = []
    for _ in range(runs):
        started = time.perf_counter()
        embeddings.index(documents)  # builds from scratch, overwriting the previous index
        builds.append(time.perf_counter() - started)
    questions = list(corpus.qrels)
    for question in questions[:WARMUP]:
        embeddings.search(question, 10)
    rounds, ndcg = [], []
    for run in range(runs):
        times = []
        for question in questions:
            started = time.perf_counter()
            found = embeddings.search(question, 10)
            times.append(time.perf_counter() - started)
            if run == 0:
                ndcg.append(ndcg_at([hit["id"] for hit in found], corpus.qrels[question]))
        rounds.append(ms(times).p50_ms)
    return median(builds), median(rounds), round(sum(ndcg) / len(ndcg), 4), len(documents)
