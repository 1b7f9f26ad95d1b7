"""On the real model, the Milvus engine answers dev.jsonl as the FAISS engine does (same run, same vectors)."""

from __future__ import annotations

import pytest

from qabot.eval.datasets import load_items
from qabot.eval.runs import evaluate_items
from tests.conftest import DEFAULT_CORPUS, SHARED_EVAL, make_bot

pytest.importorskip("pymilvus", reason="the milvus extra is not installed (pip install -e '.[milvus]')")
pytest.importorskip("milvus_lite", reason="Milvus Lite is not installed (it runs on Linux and macOS only)")
DEV = SHARED_EVAL / "dev.jsonl"


@pytest.mark.skipif(not DEV.is_file(), reason=f"{DEV} is not there")
def test_dev_questions_on_milvus_match_faiss(default_bot, embedder, tmp_path) -> None:
    # The FAISS index's folder lends its embedding cache: both engines hold exactly the same vectors.
    milvus = make_bot(DEFAULT_CORPUS, default_bot.settings.index_dir, embedder, vector_store="milvus",
                      milvus_uri=str(tmp_path / "milvus.db"))
    try:
        assert milvus.manifest.embedded == 0 and milvus.manifest.passages == default_bot.manifest.passages
        items = load_items(DEV)
        faiss, ours = (evaluate_items(bot, items) for bot in (default_bot, milvus))
        assert abs(ours.hit_at_1 - faiss.hit_at_1) <= 0.02 and abs(ours.hit_at_5 - faiss.hit_at_5) <= 0.02
        assert abs(ours.abstention_rate - faiss.abstention_rate) <= 0.02
        texts = {p.name: p.read_text(encoding="utf-8") for p in DEFAULT_CORPUS.iterdir()}
        same_top = 0
        for item in items:
            a, b = milvus.ask(item.question, k=5), default_bot.ask(item.question, k=5)
            for ex in a.excerpts:  # verbatim, to the character
                assert texts[ex.citation.source][ex.citation.start : ex.citation.end] == ex.text
            cited = {(e.citation.source, e.highlight): e.citation for e in b.excerpts}
            for ex in a.excerpts:  # the same sentence is cited at the same place, in the same paragraph
                if (ex.citation.source, ex.highlight) in cited:
                    assert ex.citation == cited[(ex.citation.source, ex.highlight)]
            same_top += bool(a.excerpts and b.excerpts and a.excerpts[0].citation == b.excerpts[0].citation)
        assert same_top >= len(items) - 1
    finally:
        milvus.close()
