"""BM25 over segments: the same float32 scores as bm25s, whatever segments and deletions the index went through."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import numpy as np
import pytest

from qabot.bench.synthetic import write_synthetic_corpus
from qabot.index import BuildConfig, open_index
from qabot.index.embedded import bm25, merge
from qabot.index.lexical import tokenize
from tests.fakes import HashEmbedder

QUESTIONS = ["harbour railway strike", "museum harbour harbour", "unknownword", "strike vote union meeting", ""]


@pytest.fixture(scope="module")
def texts(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    path = tmp_path_factory.mktemp("synthetic") / "synthetic.jsonl"
    write_synthetic_corpus(path, 600)
    found = [json.loads(line)["text"] for line in path.read_text().splitlines()]
    found[7] = "the and of"  # no content words: still a row, scoring nothing
    return found


def _postings(tmp_path, token_lists: list[list[str]], flush: int) -> bm25.Postings:
    writer = bm25.PostingsWriter(tmp_path / "bm25")
    writer.FLUSH = flush  # spill to disk several times
    for tokens in token_lists:
        writer.add(tokens)
    writer.finish()
    return bm25.Postings(tmp_path / "bm25")


@pytest.mark.parametrize("dense_share", [bm25.DENSE_SHARE, 0.0])
def test_a_fresh_index_scores_exactly_like_bm25s(texts, tmp_path, monkeypatch, dense_share) -> None:
    import bm25s

    monkeypatch.setattr(bm25, "DENSE_SHARE", dense_share)  # 0: every question sums into one array of all rows
    tokens = [tokenize(t) for t in texts]
    postings = _postings(tmp_path, tokens, flush=1000)
    reference = bm25s.BM25(k1=bm25.K1, b=bm25.B, method="lucene")
    reference.index([t or [""] for t in tokens], show_progress=False)
    stats = bm25.Stats(passages=len(tokens), length=int(np.asarray(postings.lengths).sum()))
    part = bm25.Part(postings, 0, None)
    for question in [*QUESTIONS, texts[3][:60]]:
        q = tokenize(question)
        expected = reference.get_scores(q) if reference.get_tokens_ids(q) else np.zeros(len(tokens), np.float32)
        scored = bm25.score([part], stats, q)
        full = np.zeros(len(tokens), dtype=np.float32)
        full[scored.rows] = scored.scores
        assert full.dtype == expected.dtype == np.float32 and np.array_equal(full, expected), question
        assert np.array_equal(np.flatnonzero(expected), scored.rows)


def _scores_by_passage(living, questions: list[str]) -> dict[str, dict[tuple[str, int], float]]:
    """Every passage's BM25 score for each question, keyed by (source, start): the same whatever the rows."""
    snapshot = living.current
    parts = [bm25.Part(p.segment.postings, p.base, p.dead) for p in snapshot.parts]
    out = {}
    for question in questions:
        scored = bm25.score(parts, snapshot.stats, tokenize(question))
        rows = snapshot.passages(scored.rows.tolist())
        out[question] = {(rows[r].source, rows[r].start): float(s)
                         for r, s in zip(scored.rows.tolist(), scored.scores.tolist(), strict=True)}
    return out


def test_segments_deletions_and_merges_score_exactly_as_a_fresh_build(texts, make_corpus, tmp_path,
                                                                      monkeypatch) -> None:
    files = {f"part{i:02d}.txt": "\n\n".join(texts[i * 20 : (i + 1) * 20]) for i in range(12)}
    corpus = make_corpus(files)
    config = BuildConfig(corpus_dir=corpus, index_dir=tmp_path / "idx")
    living = open_index(config, HashEmbedder(), progress=False)
    monkeypatch.setattr(merge, "MAX_SEGMENTS", 100)  # first, no merges: segments and deletions pile up
    for round_ in range(4):
        (corpus / f"part{round_:02d}.txt").write_text("\n\n".join(texts[240 + round_ * 30 : 270 + round_ * 30]))
        (corpus / f"new{round_}.txt").write_text(texts[400 + round_] + "\n\nA harbour strike in round " + str(round_))
        living.refresh()
    (corpus / "part11.txt").unlink()
    living.refresh()
    assert len(living.manifest.segments) >= 4 and any(s.deleted for s in living.manifest.segments)
    layered = _scores_by_passage(living, QUESTIONS)
    fresh = open_index(BuildConfig(corpus_dir=corpus, index_dir=tmp_path / "fresh"), HashEmbedder(), progress=False)
    expected = _scores_by_passage(fresh, QUESTIONS)
    fresh.close()
    assert any(expected.values())
    assert layered == expected  # exactly: the statistics are those of the live passages, whatever the segments
    monkeypatch.setattr(merge, "MAX_SEGMENTS", 1)  # now merge: the newest ones first, until one is left
    while living.engine.maintain():
        living._serve(living.engine.open())
    assert len(living.manifest.segments) == 1 and not living.manifest.segments[0].deleted
    assert _scores_by_passage(living, QUESTIONS) == expected
    assert living.manifest.passages == living.current.size  # nothing deleted is left in the merged segment
    living.close()


def test_merges_keep_small_segments_few_and_copy_rarely(make_corpus, tmp_path, monkeypatch) -> None:
    corpus = make_corpus({"base.txt": "\n\n".join(f"Paragraph {w} about the harbour." for w in
                                                 ["alpha", "beta", "gamma", "delta"])})
    living = open_index(BuildConfig(corpus_dir=corpus, index_dir=tmp_path / "idx"), HashEmbedder(), progress=False)
    counts = []
    for i in range(30):
        path = corpus / f"note{i}.txt"
        path.write_text(f"Note {i} about the fog bell.")
        past = time.time() - 10
        os.utime(path, (past, past))
        living.refresh()
        if living._maintainer is not None:
            living._maintainer.join()
        counts.append(len(living.manifest.segments))
    assert max(counts) <= merge.MAX_SEGMENTS + 1  # merged as they pile up
    assert "Note 29" in living.current.passages([living.current.size - 1])[living.current.size - 1].text
    assert {s.source for s in living.current.sources()} == {"base.txt", *(f"note{i}.txt" for i in range(30))}
    living.close()


def _message(doc_id: str, author: str, text: str) -> Any:
    """A chat message as the document API takes it (a Discord history's document, in small)."""
    from qabot import Document, Paragraph

    body = f"{author}: {text}"
    return Document(doc_id=doc_id, source="discord/1/2", title="#help", text=body, paragraphs=(
        Paragraph(start=0, end=len(body), number=1, author=author, url=f"https://discord.com/channels/1/2/{doc_id}"),))


def _chat_bot(tmp_path) -> Any:
    """A bot over a one-file corpus, with two messages of a chat, one of them Zebulonia's, added through the API."""
    from tests.conftest import make_bot

    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "handbook.txt").write_text("Visitors sign the book at the door.\n")
    bot = make_bot(tmp_path / "corpus", tmp_path / "idx", HashEmbedder(), answer_threshold=0.0)
    bot.upsert([_message("1", "Ana", "The dome opens at dusk."), _message("2", "Zebulonia", "Quixotrope keys are lost.")])
    return bot


def test_a_merge_leaves_nothing_of_a_deleted_documents_words_or_author_in_the_index_folder(tmp_path,
                                                                                         monkeypatch) -> None:
    """A merge copies what is live and nothing else: not the BM25 vocabulary nor the author names (sections.json) of
    the documents deleted from the segments it rewrites, whose text it already leaves out."""
    bot = _chat_bot(tmp_path)
    bot.upsert(_message("3", "Bo", "The dome closes at dawn."))
    bot.delete("2")
    monkeypatch.setattr(merge, "MAX_SEGMENTS", 1)
    while bot.living.engine.maintain():
        bot.living._serve(bot.living.engine.open())  # the old segments are let go once nothing reads them
    assert len(bot.manifest.segments) == 1
    raw = b"".join(p.read_bytes() for p in (tmp_path / "idx").rglob("*") if p.is_file() and "cache" not in p.parts)
    assert b"Ana" in raw and "dusk".encode("utf-32-le") in raw  # what is live is there, as the test reads it
    for gone in ("Zebulonia", "Quixotrope"):
        assert not any(form.encode(codec) in raw for form in (gone, gone.lower()) for codec in ("utf-8", "utf-32-le"))
    assert "dawn" in bot.ask("when does the dome close").excerpts[0].text
    bot.close()


def test_a_purge_takes_the_deleted_documents_vectors_out_of_the_embedding_cache(tmp_path) -> None:
    """``QABot.purge`` rewrites the segments that hold deleted documents (a member forgotten); the vectors of their
    passages, which the embedding cache keeps to spare the model, say what they said: they go too."""
    from qabot.index.cache import EmbeddingCache
    from qabot.index.ingest import stored_key

    bot = _chat_bot(tmp_path)
    bot.refresh(rebuild=True)  # a full build keeps what it embedded in the cache: the history's documents too
    keys = {row.doc_id: (stored_key(HashEmbedder.name, row), len(row.sentences))
            for part in bot.living.current.parts
            for row in part.segment.store.passages(range(part.info.passages)).values()}

    def cached(doc_id: str) -> bool:
        return EmbeddingCache(tmp_path / "idx" / "cache", HashEmbedder.name).get(*keys[doc_id]) is not None

    assert cached("1") and cached("2")
    bot.delete("2")
    assert bot.purge() and cached("1") and not cached("2")
    assert "dusk" in bot.ask("when does the dome open").excerpts[0].text
    bot.close()


def test_a_merge_that_rewrites_a_segment_before_the_purge_takes_the_deleted_vectors_out_of_the_cache(tmp_path) -> None:
    """Most of a segment deleted (a member forgotten who wrote most of it) is merged in the background before the
    purge the forget asked for; that merge left their vectors in the embedding cache, and the purge, finding no
    segment left to rewrite, took nothing out either. Every merge takes its deleted passages' vectors out."""
    from qabot.index.cache import EmbeddingCache
    from qabot.index.ingest import stored_key

    bot = _chat_bot(tmp_path)
    bot.upsert([_message(str(n), "Zebulonia", f"Quixotrope key number {n} is lost.") for n in range(3, 7)])
    bot.refresh(rebuild=True)  # a full build keeps what it embedded in the cache: the history's documents too
    keys = {row.doc_id: (stored_key(HashEmbedder.name, row), len(row.sentences))
            for part in bot.living.current.parts
            for row in part.segment.store.passages(range(part.info.passages)).values()}
    bot.delete(["2", "3", "4", "5", "6"])
    bot.living.maintain()  # the background merge, if it has not run yet: more than half of the segment deleted
    assert not any(info.deleted_documents for info in bot.manifest.segments)
    assert not bot.purge()  # nothing left to rewrite
    bot.close()
    cache = EmbeddingCache(tmp_path / "idx" / "cache", HashEmbedder.name)
    assert cache.get(*keys["1"]) is not None
    assert all(cache.get(*keys[doc]) is None for doc in ("2", "3", "4", "5", "6"))


def test_a_purge_killed_once_it_committed_leaves_no_vectors_of_what_it_purged_in_the_cache(tmp_path,
                                                                                          monkeypatch) -> None:
    """The process killed (SIGKILL, a power cut) just after a purge committed the rewritten segment: the vectors of
    the purged documents stayed in the embedding cache for good, since the next purge finds nothing left to purge and
    so nothing to take out of the cache. They go before the commit."""
    from qabot.index.cache import EmbeddingCache
    from qabot.index.ingest import stored_key
    from tests.conftest import make_bot

    class Killed(BaseException):
        """Nothing after this point runs."""

    bot = _chat_bot(tmp_path)
    bot.refresh(rebuild=True)  # a full build keeps what it embedded in the cache: the history's documents too
    keys = {row.doc_id: (stored_key(HashEmbedder.name, row), len(row.sentences))
            for part in bot.living.current.parts
            for row in part.segment.store.passages(range(part.info.passages)).values()}
    bot.delete("2")
    committed = merge.write_manifest

    def killed(*args: Any) -> None:
        committed(*args)
        raise Killed

    monkeypatch.setattr(merge, "write_manifest", killed)
    with pytest.raises(Killed):
        bot.purge()
    monkeypatch.undo()
    bot.close()
    again = make_bot(tmp_path / "corpus", tmp_path / "idx", HashEmbedder(), answer_threshold=0.0)  # the restart
    again.purge()  # the next start's: nothing left to purge
    cache = EmbeddingCache(tmp_path / "idx" / "cache", HashEmbedder.name)
    assert cache.get(*keys["1"]) is not None and cache.get(*keys["2"]) is None
    again.close()

def test_the_term_frequency_component_is_bm25s_own_bit_for_bit() -> None:
    from bm25s.scoring import _score_tfc_lucene

    rng = np.random.default_rng(3)
    tf = rng.integers(1, 40, 5000).astype(np.float32)
    lengths = rng.integers(1, 900, 5000).astype(np.int32)
    for average in (1.0, 37.25, 812.4):
        ours = bm25.tfc(tf, l_d=lengths, l_avg=average)
        theirs = _score_tfc_lucene(tf, l_d=lengths, l_avg=average, k1=bm25.K1, b=bm25.B)
        assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs)


def test_answering_a_question_imports_neither_bm25s_nor_scipy_nor_faiss_nor_does_a_flat_build(make_corpus, tmp_path) -> None:
    import subprocess
    import sys

    from tests.conftest import REPO, make_bot

    corpus = make_corpus({"a.txt": "The harbour was dredged in 1911.\n\nThe ferry to Arnsay ran twice a day.\n"})
    make_bot(corpus, tmp_path / "idx", HashEmbedder()).close()  # built here: the process below only serves
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from tests.fakes import HashEmbedder\n"
        "from qabot import QABot\n"
        f"bot = QABot.from_settings(corpus_dir={str(corpus)!r}, index_dir={str(tmp_path / 'idx')!r}, "
        "embedder=HashEmbedder(), progress=False, _env_file=None)\n"
        "assert bot.ask('When was the harbour dredged?', k=1).excerpts\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'bm25s', 'scipy', 'faiss'}))\n"
        "bot.close()\n"
        # Nor does building one with exact search (Flat, the default) load FAISS.
        f"QABot.from_settings(corpus_dir={str(corpus)!r}, index_dir={str(tmp_path / 'idx2')!r}, "
        "embedder=HashEmbedder(), progress=False, _env_file=None).close()\n"
        "print('faiss' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "False"]
