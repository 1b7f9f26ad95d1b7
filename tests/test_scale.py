"""Scale through the real build code, kept small: approximate FAISS indexes, a bounded cache, the scale phase.

The million-passage run itself is ``qabot bench --scale 1000000`` (docs/performance.md);
these tests check the behaviour it relies on, on a few thousand passages.
"""

from __future__ import annotations

import numpy as np
import pytest

from qabot.bench.scale import exact_top10
from qabot.bench.synthetic import SyntheticEmbedder, write_synthetic_corpus
from qabot.index import BuildConfig, open_index
from qabot.index import cache as cache_module
from qabot.index.embedded import dense as dense_index

PASSAGES = 3000


@pytest.fixture(scope="module")
def synthetic_corpus(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("synthetic")
    write_synthetic_corpus(folder / "synthetic.jsonl", PASSAGES)
    return folder


@pytest.mark.parametrize(("factory", "kind"), [("HNSW32", "IndexHNSWFlat"), ("IVF32,Flat", "IndexIVFFlat")])
def test_an_approximate_index_keeps_recall_against_exact_search(factory, kind, synthetic_corpus, tmp_path) -> None:
    config = BuildConfig(corpus_dir=synthetic_corpus, index_dir=tmp_path / "idx", index_factory=factory, embedding_cache=False)
    index = open_index(config, SyntheticEmbedder(), progress=False)
    try:
        assert index.manifest.passages == PASSAGES and index.manifest.index_factory_used == factory
        segment = index.current.parts[0].segment
        assert type(segment.dense).__name__ == kind
        queries = SyntheticEmbedder(seed=7).draw(50)
        exact = exact_top10(segment.passage_vectors, queries)
        _, found = segment.dense.search(queries, 10)
        recall = np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found, exact, strict=True)])
        assert recall >= 0.95
        # Searching less hard loses recall: the tuned parameters are what keeps it.
        dense_index.tune(segment.dense, efSearch=1, nprobe=1)
        _, rough = segment.dense.search(queries, 10)
        assert np.mean([len(set(f) & set(e)) / 10 for f, e in zip(rough, exact, strict=True)]) < recall
    finally:
        index.close()


def test_too_few_passages_to_train_fall_back_to_exact_search(make_corpus, tmp_path, fake_embedder) -> None:
    corpus = make_corpus({"a.txt": "Trotsky lived in Coyoacán.\n\nMercader killed him in 1940.\n"})
    config = BuildConfig(corpus_dir=corpus, index_dir=tmp_path / "idx", index_factory="IVF4096,PQ32")
    index = open_index(config, fake_embedder, progress=False)
    assert index.manifest.index_factory_used == "Flat" and index.manifest.index_factory == "IVF4096,PQ32"
    index.close()


def test_the_cache_writes_shards_as_it_goes_and_compacts(make_corpus, tmp_path, fake_embedder, monkeypatch) -> None:
    monkeypatch.setattr(cache_module, "SHARD_ROWS", 4)  # a shard every 4 new passages
    corpus = make_corpus({f"doc{i}.txt": f"Document {i} says that item {i} is number {i}." for i in range(12)})
    config = BuildConfig(corpus_dir=corpus, index_dir=tmp_path / "idx")
    open_index(config, fake_embedder, progress=False).close()
    shards = list((tmp_path / "idx" / "cache").glob("*/shard-*"))
    assert len(shards) == 3
    for round_ in range(6):  # every full rebuild adds a shard for the changed document
        (corpus / "doc3.txt").write_text(f"Document three, revision {round_}.")
        index = open_index(config, fake_embedder, progress=False, rebuild=True)
        assert index.manifest.embedded == 1 and index.manifest.cached == 11
        index.close()
    # Past MAX_SHARDS the shards were compacted: stale revisions dropped, the 12 in use kept.
    cache = cache_module.EmbeddingCache(tmp_path / "idx" / "cache", fake_embedder.name)
    assert len(cache) == 12 and len(cache._shards) == 3
    (corpus / "doc5.txt").write_text("Document five is new.")
    index = open_index(config, fake_embedder, progress=False, rebuild=True)
    assert index.manifest.embedded == 1 and index.manifest.cached == 11
    index.close()


def test_exact_search_finds_what_a_faiss_flat_index_finds(synthetic_corpus) -> None:
    import faiss

    from qabot.index.embedded.dense import Exact

    vectors = SyntheticEmbedder(seed=3).draw(5000)
    queries = SyntheticEmbedder(seed=4).draw(20)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    expected_scores, expected_rows = flat.search(queries, 10)
    scores, rows = Exact(vectors).search(queries, 10)
    assert np.array_equal(rows, expected_rows) and np.allclose(scores, expected_scores, atol=1e-5)
    allowed = np.zeros(len(vectors), dtype=bool)
    allowed[::3] = True
    _, some = Exact(vectors).search(queries[:1], 10, params=allowed)
    assert all(allowed[r] for r in some[0])
    _, few = Exact(vectors[:4]).search(queries[:1], 10)  # more asked for than there are: -1 fills the rest
    assert sorted(few[0][:4]) == [0, 1, 2, 3] and list(few[0][4:]) == [-1] * 6


def test_the_scale_phase_measures_its_build_as_a_process_of_its_own(tmp_path) -> None:
    """The build peak is the child's: what the benchmark itself holds does not lift it."""
    from qabot.bench.probes import rss_mb
    from qabot.bench.scale import bench_scale

    ballast = np.ones(400 * (1 << 20) // 8)  # 400 MB held by this process throughout
    (result,) = bench_scale(2000, ["Flat"], tmp_path, queries=10, progress=False)
    assert result.passages == 2000 and result.factory == "Flat" and result.recall_at_10 == 1.0
    assert 0 < result.build_peak_rss_mb < rss_mb() - 300, (result.build_peak_rss_mb, rss_mb())
    assert result.bm25.p50_ms > 0 and result.disk_mb > 0
    assert result.hybrid_scoped is not None and result.hybrid_scoped.p50_ms > 0
    assert result.upsert_served_s is not None and 0 < result.upsert_served_s < 30  # the document API, timed
    del ballast
