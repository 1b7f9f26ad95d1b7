"""Lexical matching: one tokenizer for passages and questions, and the term ids the rerank compares.

Tokens are casefolded, accent-stripped words with English stopwords removed and a
Snowball stem applied, so "assassinated" matches "assassination" and "Coyoacán"
matches "Coyoacan". Both engines count these tokens for BM25: the embedded engine in its
postings (``qabot.index.embedded.bm25``), Milvus in its own BM25 function.
"""

from __future__ import annotations

import logging
import re
import threading
import zlib
from functools import lru_cache

import numpy as np

from qabot.text import fold

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+|\d+", re.UNICODE)

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself nor of off on once only or other our ours ourselves out over own
    same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while
    who whom why will with would you your yours yourself yourselves s t d ll m re ve also whose
    within without upon""".split()
)

_stemmer_lock = threading.Lock()


@lru_cache(maxsize=1)
def _stemmer():  # noqa: ANN202 - PyStemmer has no type hints
    import Stemmer

    return Stemmer.Stemmer("english")


def _bm25s():  # noqa: ANN202 - the bm25s module, imported on first use
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG on import
    return bm25s


# Chinese and Japanese write no spaces between words: a run of their characters is read as its overlapping pairs of
# characters ("焦距是多少" is 焦距 距是 是多 多少), as search engines read them, not as one word no question repeats.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")


def words(text: str) -> list[str]:
    """Folded words of ``text`` without stopwords, unstemmed; a run of Chinese or Japanese characters as its pairs of
    characters (a character alone as itself)."""
    folded = fold(text)
    found = [w for w in _TOKEN.findall(folded) if w not in STOPWORDS]
    if not _CJK.search(folded):  # folded: half-width katakana ("ｶﾒﾗ") is full-width ("カメラ") by then
        return found
    out: list[str] = []
    for word in found:
        at = 0
        for run in _CJK.finditer(word):
            if run.start() > at:
                out.append(word[at : run.start()])
            chars = run.group()
            out.extend([chars] if len(chars) == 1 else [chars[i : i + 2] for i in range(len(chars) - 1)])
            at = run.end()
        if at < len(word):
            out.append(word[at:])
    return out


def tokenize(text: str) -> list[str]:
    """Stemmed content words: the BM25 vocabulary."""
    found = words(text)
    if not found:
        return []
    with _stemmer_lock:  # PyStemmer objects are not thread-safe
        return _stemmer().stemWords(found)


def term_ids(tokens: list[str]) -> np.ndarray:
    """Stable 32-bit ids (CRC-32) of tokens, sorted and unique.

    Each sentence's words are stored this way at index time, so a question's coverage of
    a sentence is an array lookup instead of re-tokenizing the sentence per question.
    Two words sharing an id is possible but rare, and would only blur one coverage score.
    """
    return np.unique(np.fromiter(map(term_id, tokens), dtype=np.uint32))


def term_id(token: str) -> int:
    """The id ``term_ids`` gives one token."""
    return zlib.crc32(token.encode("utf-8", "surrogatepass"))
