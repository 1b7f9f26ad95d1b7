"""The dense half of the default engine: a FAISS index over the passage vectors.

``Flat`` (exact inner product over normalised vectors, i.e. cosine) for small corpora;
any FAISS index-factory string (``HNSW32``, ``IVF4096,PQ32``) for large ones, trained on
a sample of the vectors. Loading memory-maps what FAISS can map (flat codes, HNSW
storage, IVF lists), so several processes serving one index share it in the page cache.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from qabot.errors import IndexStoreError
from qabot.text import first_line

log = logging.getLogger(__name__)

# Query-time accuracy of approximate FAISS indexes: candidates HNSW visits, IVF lists
# probed. efSearch=256 is the 1M-passage benchmark's choice (docs/performance.md): recall@10
# 0.986 at p95 16 ms, where 128 gave 0.937. nprobe is a starting point, not measured at 1M.
SEARCH_PARAMS = {"efSearch": 256, "nprobe": 64}
ADD_BATCH = 65_536


def build_faiss(vectors: np.ndarray, factory: str, path: Path) -> str:
    """Write a FAISS index of ``vectors`` to ``path``; returns the factory actually used."""
    import faiss

    count, dimension = vectors.shape
    used = factory
    if factory.strip().lower() == "flat":
        index = faiss.IndexFlatIP(dimension)
    else:
        try:
            index = faiss.index_factory(dimension, factory, faiss.METRIC_INNER_PRODUCT)
        except RuntimeError as exc:
            raise IndexStoreError(f"bad QABOT_INDEX_FACTORY {factory!r}: {first_line(exc)}") from None
        if not index.is_trained:
            sample = _training_sample(vectors, index)
            if sample is None:
                log.warning("%d passages are too few to train %r; using exact search (Flat)", count, factory)
                index, used = faiss.IndexFlatIP(dimension), "Flat"
            else:
                index.train(sample)
    for lo in range(0, count, ADD_BATCH):
        index.add(np.ascontiguousarray(vectors[lo : lo + ADD_BATCH], dtype=np.float32))
    faiss.write_index(index, str(path))
    return used


def _training_sample(vectors: np.ndarray, index: Any) -> np.ndarray | None:
    import faiss

    ivf = faiss.try_extract_index_ivf(index)
    needed = 39 * ivf.nlist if ivf is not None else 10_000
    if len(vectors) < needed:
        return None
    take = min(len(vectors), max(needed, 100_000))
    rows = np.sort(np.random.default_rng(0).choice(len(vectors), size=take, replace=False))
    return np.ascontiguousarray(vectors[rows], dtype=np.float32)


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
    import faiss

    index = faiss.downcast_index(index)
    if efSearch is not None and hasattr(index, "hnsw"):
        index.hnsw.efSearch = int(efSearch)
    ivf = faiss.try_extract_index_ivf(index)
    if nprobe is not None and ivf is not None:
        ivf.nprobe = min(int(nprobe), ivf.nlist)


def restricted(index: Any, allowed: np.ndarray) -> Any:
    """Search parameters that keep ``index`` to the rows ``allowed`` marks, with its tuning."""
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
    import faiss

    index = faiss.downcast_index(index)
    return (param == "efSearch" and hasattr(index, "hnsw")) or (
        param == "nprobe" and faiss.try_extract_index_ivf(index) is not None
    )
