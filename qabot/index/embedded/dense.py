"""The dense half of the default engine: exact search, or a FAISS index over the passage vectors.

``Flat`` is exact inner product over the normalised vectors (cosine), done by numpy on
the memory-mapped ``passages.f32`` the index keeps anyway (``Exact``): what FAISS's flat
index computes, without a second copy of every vector in memory at build time, on disk
and in the page cache. Any other FAISS index-factory string (``HNSW32``,
``IVF4096,PQ32``) builds a FAISS index, trained on a sample of the vectors, for large
corpora. Loading memory-maps what FAISS can map (HNSW storage, IVF lists), so several
processes serving one index share it in the page cache.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from qabot.errors import IndexStoreError
from qabot.index.engine import top_k
from qabot.text import first_line

log = logging.getLogger(__name__)

# Query-time accuracy of approximate FAISS indexes: candidates HNSW visits, IVF lists
# probed. efSearch=256 is the 1M-passage benchmark's choice (docs/performance.md): recall@10
# 0.986 at p95 16 ms, where 128 gave 0.937. nprobe is a starting point, not measured at 1M.
SEARCH_PARAMS = {"efSearch": 256, "nprobe": 64}
ADD_BATCH = 65_536


FLAT = "Flat"
EXACT_BLOCK = 262_144  # vectors scored at once by Exact: bounds the memory of one search


def is_flat(factory: str) -> bool:
    return factory.strip().lower() == "flat"


class Exact:
    """Exact inner-product search over an array of vectors, with FAISS's ``search`` signature."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors
        self.ntotal = len(vectors)

    def search(self, queries: np.ndarray, k: int, params: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Scores and rows of the ``k`` best, best first (ties by row); ``params``: a mask of the rows allowed."""
        found_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)  # as FAISS: -1 past the last row found
        found_rows = np.full((len(queries), k), -1, dtype=np.int64)
        k = max(0, min(k, self.ntotal))
        for q, query in enumerate(np.asarray(queries, dtype=np.float32)):
            scores = np.concatenate([self.vectors[lo : lo + EXACT_BLOCK] @ query
                                     for lo in range(0, self.ntotal, EXACT_BLOCK)]) if self.ntotal else np.zeros(0)
            if params is not None:
                scores = np.where(params, scores, -np.inf).astype(np.float32)
            top = top_k(scores, k)
            found_rows[q, : len(top)], found_scores[q, : len(top)] = top, scores[top]
        return found_scores, found_rows


def build_faiss(vectors: np.ndarray, factory: str, path: Path) -> str:
    """Write a FAISS index of ``vectors`` to ``path``, unless ``factory`` is Flat (exact search needs none).

    Returns the factory actually used: Flat too when there are too few vectors to train it.
    """
    if is_flat(factory):
        return FLAT
    import faiss

    count, dimension = vectors.shape
    used = factory
    index = _made(factory, dimension)
    if not index.is_trained:
        sample = _training_sample(vectors, index)
        if sample is None:
            log.warning("%d passages are too few to train %r; using exact search (Flat)", count, factory)
            return FLAT
        index.train(sample)
    for lo in range(0, count, ADD_BATCH):
        index.add(np.ascontiguousarray(vectors[lo : lo + ADD_BATCH], dtype=np.float32))
    try:
        faiss.write_index(index, str(path))
    except RuntimeError as exc:  # FAISS's own I/O: a full disk is "... failed: write error in <path>: ... (why)"
        raise OSError(str(exc).rsplit("failed: ", 1)[-1]) from exc
    return used


def check_factory(factory: str, dimension: int, named: str = "QABOT_INDEX_FACTORY") -> None:
    """Refuse a ``QABOT_INDEX_FACTORY`` (or what ``named`` it) FAISS cannot make, before a build reads and embeds
    the corpus for it."""
    if not is_flat(factory):
        _made(factory, dimension, named)


def _made(factory: str, dimension: int, named: str = "QABOT_INDEX_FACTORY") -> Any:
    import faiss

    try:
        return faiss.index_factory(dimension, factory, faiss.METRIC_INNER_PRODUCT)
    except RuntimeError as exc:  # "Error in ... at faiss/index_factory.cpp:..: could not parse index string Bogus99"
        why = first_line(exc).rsplit(": ", 1)[-1] if ": " in first_line(exc) else first_line(exc)
        raise IndexStoreError(f"bad {named} {factory!r}: {why}") from None


def _training_sample(vectors: np.ndarray, index: Any) -> np.ndarray | None:
    import faiss

    ivf = faiss.try_extract_index_ivf(index)
    needed = 39 * ivf.nlist if ivf is not None else 10_000
    if len(vectors) < needed:
        return None
    take = min(len(vectors), max(needed, 100_000))
    rows = np.sort(np.random.default_rng(0).choice(len(vectors), size=take, replace=False))
    return np.ascontiguousarray(vectors[rows], dtype=np.float32)


def open_dense(folder: Path, factory_used: str, vectors: np.ndarray) -> Any:
    """The dense search of a build: exact over ``vectors`` for Flat, else its FAISS index."""
    return Exact(vectors) if is_flat(factory_used) else read_faiss(folder / "dense.faiss")


def read_faiss(path: Path) -> Any:
    """The index at ``path``, memory-mapped and read-only, tuned with ``SEARCH_PARAMS``."""
    import faiss

    # MMAP_IFC maps the codes in place (Flat, HNSW storage, IVF lists): read-only and
    # shared between processes. Combined with IO_FLAG_MMAP, IVF indexes fail to load.
    index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
    tune(index, **SEARCH_PARAMS)
    return index


def tune(index: Any, efSearch: int | None = None, nprobe: int | None = None) -> None:
    """Set how hard an approximate FAISS index searches; exact (Flat) indexes ignore it."""
    if isinstance(index, Exact):
        return
    import faiss

    index = faiss.downcast_index(index)
    if efSearch is not None and hasattr(index, "hnsw"):
        index.hnsw.efSearch = int(efSearch)
    ivf = faiss.try_extract_index_ivf(index)
    if nprobe is not None and ivf is not None:
        ivf.nprobe = min(int(nprobe), ivf.nlist)


def restricted(index: Any, allowed: np.ndarray) -> Any:
    """Search parameters that keep ``index`` to the rows ``allowed`` marks, with its tuning."""
    if isinstance(index, Exact):
        return allowed
    import faiss

    bits = np.packbits(allowed, bitorder="little")
    selector = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bits))
    inner = faiss.downcast_index(index)
    if hasattr(inner, "hnsw"):
        params = faiss.SearchParametersHNSW(sel=selector, efSearch=inner.hnsw.efSearch)
    elif (ivf := faiss.try_extract_index_ivf(inner)) is not None:
        params = faiss.SearchParametersIVF(sel=selector, nprobe=ivf.nprobe)
    else:
        params = faiss.SearchParameters(sel=selector)
    params.qabot_keep = (bits, selector)  # the C++ side holds pointers only: keep the arrays alive
    return params


def uses(index: Any, param: str) -> bool:
    """Whether ``param`` (efSearch or nprobe) means anything for ``index``."""
    if isinstance(index, Exact):
        return False
    import faiss

    index = faiss.downcast_index(index)
    return (param == "efSearch" and hasattr(index, "hnsw")) or (
        param == "nprobe" and faiss.try_extract_index_ivf(index) is not None
    )
