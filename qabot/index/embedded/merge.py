"""Merging segments: small recent segments, and what deletions left behind, copied into one.

Every change adds a segment, so they pile up, and a question reads each. After a commit
``merge_if_needed`` looks at the segments, oldest first, and when there are more than
``MAX_SEGMENTS`` merges the newest run of them whose sizes are alike: starting from the
newest, an older segment joins while it is at most ``RATIO`` times the size of those
already taken (at least the two newest always merge). A large old segment is so rewritten
only once the recent ones have grown to half its size, so each passage is copied a
logarithmic number of times over the index's life (what LSM trees and Lucene's log merge
policy do). A segment more than half of whose passages are deleted is rewritten on its own.
A purge (``purge``: a member forgotten, a server left) rewrites every segment that holds a
deleted document, so that what was taken back leaves the files, not only the answers (and
drops those documents' passages from the embedding cache).

A merge copies what is live and nothing else: the documents' text, paragraphs and
passages (string ids renumbered), the vectors, the rerank's arrays, and BM25's postings
(rows renumbered); nothing is read again, tokenised again or embedded again. The merged
segment takes the place of the run, so rows keep their order.
"""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import numpy as np

from qabot.index.cache import EmbeddingCache
from qabot.index.embedded import leases
from qabot.index.embedded.segment import SegmentWriter
from qabot.index.embedded.snapshot import Part
from qabot.index.embedded.store import PARAGRAPH_STRINGS
from qabot.index.embedded.writer import _fsync_tree, _names
from qabot.index.engine import ranges
from qabot.index.ingest import stored_key
from qabot.index.manifest import SegmentInfo, fsync_folder, new_build_id, now, write_manifest

if TYPE_CHECKING:
    from qabot.index.embedded.engine import EmbeddedEngine

MAX_SEGMENTS = 8
RATIO = 2.0


def plan(segments: list[SegmentInfo], *, purge: bool = False) -> tuple[int, int] | None:
    """The run of segments ``[lo, hi)`` to merge now, or None; ``purge``: any segment holding a deleted document."""
    for i, info in enumerate(segments):
        if (info.deleted_passages * 2 > info.passages and info.live_passages) or (purge and info.deleted_documents):
            return i, i + 1
    if purge:
        return None
    if len(segments) <= MAX_SEGMENTS:
        return None
    sizes = [max(1, s.live_passages) for s in segments]
    taken, total = 1, sizes[-1]
    while taken < len(sizes) and sizes[-taken - 1] <= RATIO * total:
        total += sizes[-taken - 1]
        taken += 1
    taken = max(taken, 2)
    return len(segments) - taken, len(segments)


def purge(engine: EmbeddedEngine) -> bool:
    """Rewrite every segment that holds a deleted document without it, one commit each: the deleted documents'
    text, names and words leave the index folder (once no process reads the old segments). True when one was."""
    done = False
    while merge_if_needed(engine, purge=True):
        done = True
    return done


def merge_if_needed(engine: EmbeddedEngine, *, purge: bool = False) -> bool:
    """Merge the run ``plan`` picks (``purge``: a segment holding a deleted document), committing the merged state;
    True when something was merged."""
    with engine.lock():
        committed = engine.committed()
        if committed is None:
            return False
        manifest = committed.model_copy()  # the committed one is shared (snapshots, the engine's cache): never changed
        run = plan(manifest.segments, purge=purge)
        if run is None:
            return False
        lo, hi = run
        snapshot = engine.open()
        # Any merge, not only a purge: one that rewrote a forgotten member's segment first leaves the purge nothing
        purged = {stored_key(engine.model, row) for part in snapshot.parts[lo:hi]
                  if engine.config.embedding_cache and part.dead is not None
                  for row in part.segment.store.passages(np.flatnonzero(part.dead).tolist()).values()}
        build_id = new_build_id()
        tmp = engine.index_dir / f".tmp-{build_id}"
        writer: SegmentWriter | None = None
        try:
            writer = SegmentWriter(tmp)
            writer.dimension = manifest.dimension
            for part in snapshot.parts[lo:hi]:
                copy_live(writer, part)
            name = f"seg-{build_id}"
            info = writer.finish(name, manifest.index_factory)
            _fsync_tree(tmp)
            tmp.rename(engine.index_dir / name)
        except BaseException:  # the files not even opened (a full disk) too: nothing held, nothing left
            if writer is not None:
                writer.discard()
            shutil.rmtree(tmp, ignore_errors=True)
            snapshot.close()
            raise
        snapshot.close()
        manifest.segments = [*manifest.segments[:lo], info, *manifest.segments[hi:]]
        manifest.generation += 1
        manifest.build = f"g{manifest.generation}-{build_id}"
        manifest.built_at = now()
        if purged:  # their vectors, in the embedding cache, go too: first, as once committed nothing else would
            EmbeddingCache(engine.index_dir / "cache", engine.model, whole=False).drop(purged)
        fsync_folder(engine.index_dir)
        write_manifest(engine.index_dir, manifest)
        engine.remember(manifest)
        leases.remove_unused(engine.index_dir, keep=_names(manifest), temporary=True)
        return True


def copy_live(writer: SegmentWriter, part: Part) -> None:
    """Append the live documents of ``part`` to ``writer``, as they are."""
    seg, store = part.segment, part.segment.store
    live_docs = [d for d in range(part.info.documents) if part.dead_docs is None or not part.dead_docs[d]]
    # The strings (sections.json) that live documents use, and none that only a deleted one did: an author's name.
    live = None if part.dead_docs is None else np.repeat(~part.dead_docs, np.diff(store.documents[:, 1]))
    columns = [(store.paragraph_rows[name], live) for name in ("section", *PARAGRAPH_STRINGS)]
    columns.append((store.passage_rows["section"], None if part.dead is None else ~part.dead))
    used = np.unique(np.concatenate([np.unique(c if keep is None else c[keep]) for c, keep in columns]))
    used = used[used >= 0]
    remap = np.full(len(store.sections) + 1, -1, dtype="<i4")  # the last: -1, none
    remap[used] = writer.store.strings([store.sections[i] for i in used.tolist()])

    def renumber(values: np.ndarray) -> np.ndarray:
        return remap[values].astype("<i4")

    for doc in live_docs:
        records = store.paragraph_records(doc).copy()
        for name in ("section", *PARAGRAPH_STRINGS):
            records[name] = renumber(records[name])
        row = writer.store.copy_document(store.meta(doc), store.text(doc, 0, store.length(doc)), records)
        first, last = store.doc_passages(doc)
        passages = np.asarray(store.passage_rows[first:last]).copy()
        passages["doc"] = row
        passages["section"] = renumber(passages["section"])
        spans = store.sentence_spans[seg.sentence_start[first] : seg.sentence_start[last]]
        writer.store.copy_passages(passages, np.asarray(spans))
    rows = (np.flatnonzero(~part.dead) if part.dead is not None else np.arange(part.info.passages)).astype(np.int64)
    counts = (seg.sentence_start[rows + 1] - seg.sentence_start[rows]).astype(np.int64)
    sentences = ranges(seg.sentence_start[rows], counts)
    lo, hi = seg.term_start[sentences], seg.term_start[sentences + 1]
    writer.append_raw("passages.f32", np.asarray(seg.passage_vectors[rows], dtype=np.float32))
    writer.append_raw("sentences.f16", np.asarray(seg.sentence_vectors[sentences], dtype=np.float16))
    writer.append_raw("passage_sentences.u32", counts.astype(np.uint32))
    writer.append_raw("sentence_terms_count.u32", (hi - lo).astype(np.uint32))
    writer.append_raw("sentence_terms.u32", np.asarray(seg.terms[ranges(lo, hi - lo)], dtype=np.uint32))
    writer.append_raw("sentence_flags.u8", np.asarray(seg.flags[sentences], dtype=np.uint8))
    names, term_ids, term_rows, tf = seg.postings.terms_of(rows)
    writer.postings.add_postings(names, term_ids, term_rows, tf, np.asarray(seg.postings.lengths[rows]))
