"""``qabot bench --scale N --engine milvus``: the same synthetic passages in Milvus, measured as FAISS is.

The passages go through the Milvus engine's own lifecycle and writer (``qabot.index.milvus``)
with the same stand-in embedder, so row ``i`` of the FAISS build and document ``i`` of
the Milvus build hold the same vector (checked), and recall@10 is measured against the
same exact search. With no ``milvus_uri`` the build is a Milvus Lite file in the work
folder, run in this process: its build and load RSS are then the engine's own memory.
For a server URI, RSS is the client's only, and the server's memory is its own to watch.
"""

from __future__ import annotations

import logging
import re
import shutil
import time

import numpy as np

from qabot.bench.probes import ms, peak_rss_mb, reset_peak_rss, rss_mb, timed
from qabot.bench.report import ScaleResult
from qabot.bench.synthetic import SyntheticEmbedder
from qabot.index import BuildConfig
from qabot.index.living import LivingIndex
from qabot.index.milvus import MilvusConfig, MilvusEngine, MilvusStore, meta
from qabot.index.milvus.client import Connection
from qabot.index.milvus.schema import bm25_text, dense_index, doc_of, passage_id


def bench_milvus(config: BuildConfig, exact: np.ndarray, first: np.ndarray, query_vectors: np.ndarray,
                 query_tokens: list[list[str]], uri: str | None, progress: bool) -> ScaleResult:
    """Build ``config``'s synthetic corpus into Milvus (a Lite file when ``uri`` is None) and search it.

    ``first`` is the FAISS build's first passage vector: the Milvus build must hold the same.
    """
    work = config.index_dir.parent
    store = work / f"{config.index_dir.name}-milvus.db"
    if uri is None:
        shutil.rmtree(store, ignore_errors=True)
    name = "bench_" + re.sub(r"[^0-9A-Za-z]+", "_", config.index_dir.name)
    mconfig = MilvusConfig(uri=uri or str(store), collection=name)
    build_config = BuildConfig(corpus_dir=config.corpus_dir, index_dir=work / f"{config.index_dir.name}-milvus-cache",
                               index_factory=config.index_factory, embedding_cache=False)
    reset_peak_rss()
    embedder = SyntheticEmbedder()
    started = time.perf_counter()
    LivingIndex.open_engine(MilvusStore(build_config, mconfig, embedder.name), build_config, embedder, rebuild=True,
                            progress=progress, notify=logging.getLogger(__name__).info).close()
    # a Lite file's server stops with its last connection: loading below is measured from disk
    build_s = time.perf_counter() - started
    build_peak = peak_rss_mb()
    before = rss_mb()
    started = time.perf_counter()
    conn = Connection(mconfig)
    stored = meta.read_current(conn, mconfig)
    assert stored is not None
    engine = MilvusEngine(conn, mconfig, stored)
    _, vector = engine._rows.fetch([passage_id(0, 0)], engine._load_rows)[passage_id(0, 0)]
    load_s = time.perf_counter() - started
    load_rss = rss_mb() - before
    try:
        if not np.allclose(vector, first, atol=1e-6):
            raise AssertionError("the Milvus build does not hold the FAISS build's vectors: recall would mean nothing")
        found10, times10, times100, bm25, hybrid = [], [], [], [], []
        for vector, tokens in zip(query_vectors, query_tokens, strict=True):
            q = vector.astype(np.float32).tolist()
            started = time.perf_counter()
            hits = engine._search("vector", q, 10, None)
            times10.append(time.perf_counter() - started)
            found10.append([doc_of(row) for row, _ in hits])  # one passage per document: its number is its FAISS row
            times100.append(timed(lambda q=q: engine._search("vector", q, 100, None)))
            bm25.append(timed(lambda t=tokens: engine._search("bm25", bm25_text(t), 100, None)))
            hybrid.append(timed(lambda v=vector, t=tokens: engine.candidates(v, t, 100, dense=True, lexical=True)))
        recall = float(np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found10, exact, strict=True)]))
        disk = sum(p.stat().st_size for p in store.rglob("*") if p.is_file()) if uri is None else 0
        index, search = dense_index(config.index_factory)
        return ScaleResult(
            engine="milvus lite" if uri is None else "milvus server",
            where=mconfig.uri,
            passages=engine.manifest.passages,
            factory=f"{index['index_type']} {index['params'] or ''}".strip(),
            build_s=round(build_s, 1),
            build_peak_rss_mb=build_peak,
            load_s=round(load_s, 3),
            load_rss_mb=round(load_rss, 1),
            search_k10=ms(times10),
            search_k100=ms(times100),
            recall_at_10=round(recall, 4),
            bm25=ms(bm25),
            search_params=search,
            disk_mb=round(disk / (1 << 20), 1),
            hybrid=ms(hybrid),
        )
    finally:
        engine.close()
