"""On the real model, the Milvus engine answers dev.jsonl as the FAISS engine does (same run, same vectors)."""

from __future__ import annotations

import pytest

from qabot.eval.datasets import load_items
from qabot.eval.metrics import contains
from tests.conftest import DEFAULT_CORPUS, SHARED_EVAL, make_bot

pytest.importorskip("pymilvus", reason="the milvus extra is not installed (pip install -e '.[milvus]')")
pytest.importorskip("milvus_lite", reason="Milvus Lite is not installed (it runs on Linux and macOS only)")
DEV = SHARED_EVAL / "dev.jsonl"


def _hit(answers: list, items: list, k: int) -> float:
    answerable = [(a, item) for a, item in zip(answers, items, strict=True) if item.answers]
    return sum(any(contains(e.text, item.answers) for e in a.excerpts[:k]) for a, item in answerable) / len(answerable)


@pytest.mark.skipif(not DEV.is_file(), reason=f"{DEV} is not there")
def test_dev_questions_on_milvus_match_faiss(default_bot, embedder, tmp_path) -> None:
    # The FAISS index's folder lends its embedding cache: both engines hold exactly the same vectors.
    milvus = make_bot(DEFAULT_CORPUS, default_bot.settings.index_dir, embedder, vector_store="milvus",
                      milvus_uri=str(tmp_path / "milvus.db"))
    try:
        assert milvus.manifest.embedded == 0 and milvus.manifest.passages == default_bot.manifest.passages
        items = load_items(DEV)
        ours = [milvus.ask(item.question, k=10) for item in items]
        faiss = [default_bot.ask(item.question, k=10) for item in items]
        for k in (1, 5):
            assert abs(_hit(ours, items, k) - _hit(faiss, items, k)) <= 0.02
        assert [a.answered for a in ours] == [a.answered for a in faiss]  # the same abstentions
        texts = {p.name: p.read_text(encoding="utf-8") for p in DEFAULT_CORPUS.iterdir()}
        for a, b in zip(ours, faiss, strict=True):
            for ex in a.excerpts:  # verbatim, to the character
                assert texts[ex.citation.source][ex.citation.start : ex.citation.end] == ex.text
            cited = {(e.citation.source, e.highlight): e.citation for e in b.excerpts}
            for ex in a.excerpts:  # the same sentence is cited at the same place, in the same paragraph
                if (ex.citation.source, ex.highlight) in cited:
                    assert ex.citation == cited[(ex.citation.source, ex.highlight)]
        same_top = sum(a.excerpts[0].citation == b.excerpts[0].citation for a, b in zip(ours, faiss, strict=True))
        assert same_top >= len(items) - 1
    finally:
        milvus.close()
