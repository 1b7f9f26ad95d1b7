"""Sentence evidence: how well each sentence of a candidate answers the question.

Dense similarity finds sentences about the right thing; cheap, pure signals find the
sentence that actually answers:

- **cosine**: the question's vector against each sentence's, computed at index time
  from the passage's own forward pass (``Evidence.vectors``);
- **coverage**: the share of the question's content words (weighted by their rarity in
  the corpus) that the sentence holds, over the term ids the index stores per sentence;
- **answer type**: a "when" question wants a date, "how many" a number, "who" a
  person's name (two capitalised words, or one after "by"), "where" a place; a
  sentence that holds such a thing, not already in the question, is more likely the
  answer;
- **captions**: a short line without closing punctuation (a caption, a heading, a
  byline) names a topic without saying much about it, so it is rarely the answer;
- **questions**: a sentence that asks (in a chat, the question the next message
  answers) matches a question best and answers it least, so it is lowered too.
  Both are decided per sentence at index time (``chunking.sentence_flags``).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from qabot.chunking import ASKS, CAPTION, sentence_flags
from qabot.index.engine import Evidence, PassageRow, forgets_on_change, run_starts
from qabot.index.lexical import STOPWORDS, term_id
from qabot.search import lexicon
from qabot.search.config import RetrievalConfig
from qabot.text import fold


def sentence_scores(
    evidence: Evidence, vector: np.ndarray, idf: dict[str, float], config: RetrievalConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Every sentence's score (cosine and coverage), and each passage's own coverage of the question."""
    starts = run_starts(evidence.counts)[:-1]
    cosine = evidence.vectors @ vector
    present, weights = terms_present(evidence, idf)  # [sentences, query terms], idf
    total = float(weights.sum()) or 1.0
    coverage = _product(present, weights) / total
    passage_coverage = (
        _product(np.maximum.reduceat(present, starts, axis=0), weights) / total if present.size
        else np.zeros(len(starts))
    )
    return config.sentence_weight * cosine + config.coverage_weight * coverage, passage_coverage


def _product(matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``matrix @ weights`` of finite operands (0/1 and idf weights), without OpenBLAS's spurious "invalid value
    encountered in matmul": some of its kernels leave the FPU's invalid flag set (numpy#24067, OpenBLAS#1924), and
    NumPy then warns, now and then, in a test run or on a user's terminal. A result that is not finite is 0."""
    with np.errstate(invalid="ignore"):
        product = matrix @ weights
    return product if np.isfinite(product).all() else np.nan_to_num(product, nan=0.0, posinf=0.0, neginf=0.0)


def terms_present(evidence: Evidence, idf: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Which of the question's terms each sentence holds ([sentences, terms] of 0/1), and their idf."""
    sentences = int(evidence.counts.sum())
    if not idf:
        return np.zeros((sentences, 0), dtype=np.float32), np.zeros(0, dtype=np.float32)
    by_id = {term_id(t): w for t, w in idf.items()}
    ids = np.array(sorted(by_id), dtype=np.uint32)
    weights = np.array([by_id[int(i)] for i in ids], dtype=np.float32)
    flat = evidence.terms
    owner = np.repeat(np.arange(sentences), evidence.term_counts)
    slot = np.minimum(np.searchsorted(ids, flat), len(ids) - 1)
    hit = ids[slot] == flat
    present = np.zeros((sentences, len(ids)), dtype=np.float32)
    present[owner[hit], slot[hit]] = 1.0
    return present, weights


def adjust_for_text(scores: np.ndarray, at: np.ndarray, flags: np.ndarray | None, texts: list[str],
                    kind: str | None, question: str, config: RetrievalConfig, chat: np.ndarray | None = None) -> None:
    """Lower caption-like and asking sentences, and raise those holding the asked-for kind of thing, in place.

    ``at`` are the places in ``scores`` of the sentences whose ``texts`` are given (several
    candidates' at once); ``flags`` are their ``chunking.sentence_flags`` as the index
    stored them (None: decide them here, from the text). ``chat`` marks the sentences of
    chat messages, whose form says little: a one-line answer has no closing punctuation,
    and the question an exchange asks is what finds it (its answer is highlighted instead,
    ``exchange``), so neither is lowered there.
    """
    if flags is None:
        flags = np.array([sentence_flags(text) for text in texts], dtype=np.uint8)
    form = np.ones(len(texts), dtype=bool) if chat is None else ~np.asarray(chat, dtype=bool)
    captions = form & (flags & CAPTION).astype(bool)
    asks = form & ~captions & (flags & ASKS).astype(bool)
    scores[at[captions]] -= config.caption_penalty
    scores[at[asks]] -= config.question_penalty
    if kind:
        plain = np.flatnonzero(~(captions | asks)).tolist()
        typed = [i for i in plain if has_type(texts[i], kind, question)]
        scores[at[typed]] += config.type_weight
    named = labels(question)
    if named and config.entry_weight:
        entries = [i for i in np.flatnonzero(form & ~captions & ~asks).tolist() if entry_of(texts[i], named)]
        scores[at[entries]] += config.entry_weight


# A sentence that opens as a list's or a glossary's entry for a name: "NOCASE - Similar to binary, ...", "timeout:
# seconds to wait" (a bullet or quotes may come first), or, for a name in capitals, "REAL as Julian day numbers" (not
# "Trotsky as a young man ...").
_ENTRY = r"\s*(?:[-*•]\s+)?[`'\"“]?({})(?:\(\))?[`'\"”]?(\s+[-–—]\s|:\s|\s+as\s)"
_CAPITALS = re.compile(r"\b[A-Z][A-Z0-9_]+\b")
_NAME = re.compile(r"\w[\w.-]*\w|\w")  # a question's word, or a name such as "sqlite3_open" or "zlib.h", whole


@lru_cache(maxsize=256)
def labels(question: str) -> frozenset[str]:
    """The question's words, folded, that a document may define in an entry of their own: a name that is no
    ordinary word ("sqlite3_open", "timeout"), or a word in capitals ("NOCASE", "REAL")."""
    capitals = {fold(word) for word in _CAPITALS.findall(question)}
    return frozenset(w for w in map(fold, _NAME.findall(question))
                     if len(w) > 1 and w not in STOPWORDS and any(c.isalpha() for c in w)
                     and (w in capitals or not lexicon.is_ordinary(w)))


@lru_cache(maxsize=256)
def _entry_for(named: frozenset[str]) -> re.Pattern[str]:
    """What opens an entry for one of ``named``: one pattern a question, which most sentences fail at once."""
    return re.compile(_ENTRY.format("|".join(map(re.escape, sorted(named, key=len, reverse=True)))), re.IGNORECASE)


def entry_of(sentence: str, named: frozenset[str]) -> bool:
    """Whether a sentence opens as the entry of one of the ``named`` labels (see ``labels``)."""
    found = _entry_for(named).match(sentence) if named else None
    return found is not None and (found.group(2).strip() != "as" or bool(_CAPITALS.fullmatch(found.group(1))))


def sentence_texts(passage: PassageRow) -> list[str]:
    """The text of each of ``passage``'s sentences."""
    return [passage.text[lo - passage.start : hi - passage.start] for lo, hi in passage.sentences]

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DATE = re.compile(rf"\b(1[0-9]{{3}}|20[0-9]{{2}})s?\b|\b({_MONTHS})\b|\b\d{{1,2}}(st|nd|rd|th)\b", re.IGNORECASE)
# "One" is no number here: it is most often no count ("one at a time", "one of them", "no one"), and gave the sentence
# beside the answer ("... The maximum is 100.") the answer type's lift.
_NUMBER = re.compile(
    r"\b\d[\d,.]*\b|\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|hundreds|thousand|thousands|million|millions|billion|dozen|dozens)\b",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"\b[A-Z][\w’'-]+")
# A person's name: two or more capitalised words ("Ramón Mercader", "Robert Sheldon Harte"),
# or one right after "by", "named", "called" or "alias" ("written by Jacson").
_PARTICLE = r"(?:de|da|del|della|van|von|der|la|le|di|du|bin|ibn)"
_NAME_PHRASE = re.compile(rf"\b[A-Z][\w’'.-]*(?:\s+(?:{_PARTICLE}\s+)?[A-Z][\w’'.-]*)+")
_AGENT = re.compile(r"\b(?:by|named|called|alias)\s+[“\"‘']?([A-Z][\w’'-]+)")
_NOT_NAMES = frozenset(
    f"{_MONTHS}|monday|tuesday|wednesday|thursday|friday|saturday|sunday".split("|")
)

_TYPES = (
    ("date", re.compile(r"^\s*(when\b|(in |on |by )?what (year|date|month|day|century|decade)|"
                        r"(in |on )?which (year|date|month|day|century|decade)|what time)", re.IGNORECASE)),
    ("number", re.compile(r"^\s*(how (many|much|long|old|far|big|large|often)|what (number|percentage|"
                          r"proportion|amount)|which number)", re.IGNORECASE)),
    ("name", re.compile(r"^\s*(who|whom|whose)\b|^\s*(what|which) (is|was) the name", re.IGNORECASE)),
    ("place", re.compile(r"^\s*(where\b|(in |to |from )?(what|which) (country|city|town|place|state|region|"
                         r"continent|village|street|nation))", re.IGNORECASE)),
)


def expected_type(question: str) -> str | None:
    """'date', 'number', 'name' or 'place' when the question's form asks for one."""
    for name, pattern in _TYPES:
        if pattern.search(question):
            return name
    return None


def has_type(sentence: str, kind: str | None, question: str) -> bool:
    """Whether the sentence holds something of ``kind`` that the question does not already say."""
    if kind is None:
        return False
    asked = _folded(question)
    if kind == "name":
        return any(_new_name(words, asked) for words in _found(sentence, kind))
    return any(item not in asked for item in _found(sentence, kind))


@lru_cache(maxsize=16384)
def _found(sentence: str, kind: str) -> tuple:
    """What of ``kind`` a sentence holds, folded, whatever the question (the best candidates' sentences come back
    question after question): for names, each name's words."""
    if kind == "date":
        return tuple(fold(m.group(0)) for m in _DATE.finditer(sentence))
    if kind == "number":
        return tuple(fold(m.group(0)) for m in _NUMBER.finditer(sentence))
    if kind == "name":
        phrases = [m.group(0) for m in _NAME_PHRASE.finditer(sentence)] + [m.group(1) for m in _AGENT.finditer(sentence)]
        return tuple(tuple(fold(w.strip("’'.")) for w in phrase.split()) for phrase in phrases)
    # places: capitalised words, other than a capitalised "The" or "In"
    return tuple(item for m in _CAPITALISED.finditer(sentence) if (item := fold(m.group(0))) not in STOPWORDS)


forgets_on_change(_found.cache_clear)


@lru_cache(maxsize=256)
def _folded(question: str) -> str:
    """``fold(question)``: has_type runs on every sentence of the best candidates, for one question."""
    return fold(question)


def _new_name(words: tuple[str, ...], asked: str) -> bool:
    """A name (its folded ``words``) the question does not already use: none of its words is in the question,
    and it is more than capitalised stopwords, months and days ("In January")."""
    if any(w in asked for w in words if len(w) > 2):
        return False
    return any(w not in STOPWORDS and w not in _NOT_NAMES for w in words)
