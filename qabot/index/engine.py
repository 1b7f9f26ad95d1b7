"""The search-engine contract: what retrieval needs from an index, whatever stores it.

``qabot.search`` ranks, reranks, cuts the excerpt windows and quotes; an engine only finds
and fetches. A ``SearchEngine`` is one committed state of an index, which does not change
while questions use it: the embedded engine's ``Snapshot`` (segments of flat files in the
index folder, ``qabot.index.embedded``) or a Milvus collection (``qabot.index.milvus``).
How an index changes is the other half of an engine (``qabot.index.changes``), driven by
the one lifecycle in ``qabot.index.living``.

Every method takes passage rows in bulk, so that an engine behind a network answers a
question in a few round trips, never one per candidate:

- ``candidates``: the dense and BM25 searches, as arrays (fusion happens in the core);
- ``evidence``: what the sentence rerank reads for the candidates (sentence vectors and
  each sentence's term ids), stored at index time so that no text is re-read;
- ``passages``, ``neighbours``, ``text``, ``paragraph_at``: what an excerpt and its
  citation are cut from (the window policy is ``qabot.search.excerpts``'s).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from qabot.index.manifest import Manifest
    from qabot.index.scope import Scope
    from qabot.models import SourceInfo


# Caches of text read from an engine that outlive the state they were read from (the search's, keyed by a message
# or a sentence): emptied whenever an index serves another state (``forget_read``), so that what a change took out
# (a member forgotten, a message deleted or edited) is not kept in memory either.
_TEXT_CACHES: list[Callable[[], None]] = []


def forgets_on_change(clear: Callable[[], None]) -> None:
    """Have ``clear`` (an ``lru_cache``'s ``cache_clear``) called each time an index serves a new state."""
    _TEXT_CACHES.append(clear)


def forget_read() -> None:
    """Empty every cache ``forgets_on_change`` was given."""
    for clear in _TEXT_CACHES:
        clear()


@dataclass(frozen=True)
class PassageRow:
    """A stored passage, joined with what its citation needs from its document."""

    row: int
    doc: int
    doc_id: str
    source: str
    title: str | None
    url: str | None
    section: str | None
    paragraph: int
    start: int
    end: int
    text: str
    sentences: tuple[tuple[int, int], ...]  # absolute offsets into the document text
    page: int | None = None  # 1-based page of its first paragraph, in a paged document


@dataclass(frozen=True)
class ParagraphRow:
    """A stored paragraph; the optional fields are what its reader knew of it (``qabot.models.Paragraph``)."""

    number: int
    start: int
    end: int
    section: str | None
    heading: bool
    duplicate: bool
    page: int | None = None
    page_label: str | None = None
    anchor: str | None = None
    url: str | None = None
    author: str | None = None
    date: str | None = None
    group: int | None = None  # paragraphs kept in one passage (a conversation); an excerpt stays inside it
    role: str | None = None  # in a chat's exchange: "asks" (the asker's) or "answers" (a reply to the asker)
    reply_to: int | None = None  # in a chat's exchange: the number of the message of it this one replies to


@dataclass(frozen=True)
class Candidates:
    """What the dense and BM25 searches found for one question, as parallel arrays over ``rows``."""

    rows: np.ndarray  # sorted, unique passage rows
    vectors: np.ndarray  # their passage vectors
    dense: np.ndarray  # cosine of each with the question
    lexical: np.ndarray  # BM25 score of each (0 when no query term matches)
    dense_rows: np.ndarray  # the dense ranking, best first
    lexical_rows: np.ndarray  # the BM25 ranking, best first
    top_lexical: float  # the best BM25 score of any passage (1.0 when nothing matched)


@dataclass(frozen=True)
class Evidence:
    """The sentences of some passages, as the rerank reads them: candidate by candidate, in order."""

    counts: np.ndarray  # sentences per passage
    vectors: np.ndarray  # (sum(counts), dim) float32 sentence vectors
    term_counts: np.ndarray  # term ids per sentence
    terms: np.ndarray  # every sentence's term ids (uint32), sentence by sentence
    flags: np.ndarray | None = None  # per sentence: chunking.sentence_flags (uint8); None: not stored


class SearchEngine(Protocol):
    """An index that retrieval can search and quote from."""

    manifest: Manifest

    def candidates(
        self, vector: np.ndarray, tokens: list[str], n: int, *, dense: bool, lexical: bool, scope: Scope | None = None
    ) -> Candidates:
        """The ``n`` nearest passages by cosine (when ``dense``) and the ``n`` best by BM25 (when ``lexical``).

        With a ``scope``, both searches see only the passages of the sources in it.
        """
        ...

    def idf(self, tokens: list[str]) -> dict[str, float]:
        """Inverse document frequency of each token; the highest for a token no passage holds."""
        ...

    def evidence(self, rows: np.ndarray) -> Evidence: ...

    def passages(self, rows: Sequence[int]) -> dict[int, PassageRow]: ...

    def neighbours(self, passage: PassageRow, radius: int) -> list[PassageRow]:
        """The passages of ``passage``'s document up to ``radius`` places before and after it, itself included, in order."""
        ...

    def text(self, doc: int, start: int, end: int) -> str:
        """``document.text[start:end]``, without loading the whole document."""
        ...

    def paragraph_at(self, doc: int, offset: int) -> ParagraphRow | None: ...

    def paragraphs(self, doc: int) -> list[ParagraphRow]: ...

    def doc_ids(self, rows: Sequence[int]) -> dict[int, str]: ...

    def sources(self, scope: Scope | None = None) -> list[SourceInfo]: ...

    def close(self) -> None: ...


def run_starts(counts: np.ndarray) -> np.ndarray:
    """[0, c0, c0+c1, ...]: where each run starts in the flat array the counts describe."""
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The concatenation of ``arange(start, start + count)`` for each pair, without a Python loop."""
    counts = np.asarray(counts, dtype=np.int64)
    keep = counts > 0
    starts, counts = np.asarray(starts, dtype=np.int64)[keep], counts[keep]
    if not len(counts):
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    steps = np.ones(int(ends[-1]), dtype=np.int64)
    steps[0] = starts[0]
    # Where each run begins, jump from the previous run's last value to this run's start.
    steps[ends[:-1]] = starts[1:] - (starts[:-1] + counts[:-1] - 1)
    return np.cumsum(steps)


_HALF_TO_SINGLE = np.float32(2.0**112)  # 2 ** (127 - 15): from float16's exponent bias to float32's


def half_to_float32(values: np.ndarray) -> np.ndarray:
    """float16 ``values`` as float32, bit for bit what ``values.astype(np.float32)`` gives.

    Done with a few in-place integer and float operations: numpy's own cast runs an
    element at a time on machines without AVX-512, and it was the largest step of
    ``evidence`` there (0.6 ms for the ~550 sentence vectors of one question). The float16
    bits, sign apart, shifted into place read as a float32 2 ** 112 times too small (a
    subnormal for float16's subnormals), which one exact multiplication scales back.
    Infinities and NaNs, which this would turn into large numbers, take numpy's cast.
    """
    bits = np.ascontiguousarray(values, dtype=np.float16).view(np.uint16).astype(np.uint32)
    sign = bits & 0x8000
    bits ^= sign
    if bits.size and int(bits.max()) >= 0x7C00:  # an infinity or a NaN
        return np.asarray(values, dtype=np.float32)
    bits <<= 13
    out = bits.view(np.float32)
    out *= _HALF_TO_SINGLE
    sign <<= 16
    bits |= sign
    return out


def top_k(scores: np.ndarray, k: int, rows: np.ndarray | None = None) -> np.ndarray:
    """Positions of the ``k`` highest finite ``scores``, best first; a tie goes to the lower row
    (``rows``, or the position itself), so the result never depends on how the scores were split up.

    The one top-k of both searches: BM25 over the passages a question's terms touch, vector
    search over each segment and across them.
    """
    scores = np.asarray(scores)
    order_by = np.arange(len(scores)) if rows is None else np.asarray(rows)
    finite = np.flatnonzero(np.isfinite(scores))
    k = min(int(k), len(finite))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k < len(finite):
        # Every score tied with the k-th best stays in the running, so ties are settled by row below.
        kth = np.partition(scores[finite], len(finite) - k)[len(finite) - k]
        finite = finite[scores[finite] >= kth]
    best = finite[np.lexsort((order_by[finite], -scores[finite]))]
    return best[:k].astype(np.int64)
