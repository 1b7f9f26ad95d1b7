"""Sentence evidence: how well one sentence answers a question, beyond topical similarity.

Dense similarity finds sentences about the right thing; these two cheap, pure signals
find the sentence that actually answers:

- **coverage**: the share of the question's content words (weighted by their rarity in
  the corpus) that the sentence contains;
- **answer type**: a "when" question wants a date, "how many" a number, "who" a name,
  "where" a place; a sentence that holds such a thing, not already in the question,
  is more likely the answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from qabot.lexical import STOPWORDS, fold

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DATE = re.compile(rf"\b(1[0-9]{{3}}|20[0-9]{{2}})s?\b|\b({_MONTHS})\b|\b\d{{1,2}}(st|nd|rd|th)\b", re.IGNORECASE)
_NUMBER = re.compile(
    r"\b\d[\d,.]*\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|hundreds|thousand|thousands|million|millions|billion|dozen|dozens)\b",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"\b[A-Z][\w’'-]+")

_TYPES = (
    ("date", re.compile(r"^\s*(when\b|(in |on |by )?what (year|date|month|day|century|decade)|"
                        r"(in |on )?which (year|date|month|day|century|decade)|what time)", re.I)),
    ("number", re.compile(r"^\s*(how (many|much|long|old|far|big|large|often)|what (number|percentage|"
                          r"proportion|amount)|which number)", re.I)),
    ("name", re.compile(r"^\s*(who|whom|whose)\b|^\s*(what|which) (is|was) the name", re.I)),
    ("place", re.compile(r"^\s*(where\b|(in |to |from )?(what|which) (country|city|town|place|state|region|"
                         r"continent|village|street|nation))", re.I)),
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
    asked = fold(question)
    if kind == "date":
        found = (m.group(0) for m in _DATE.finditer(sentence))
    elif kind == "number":
        found = (m.group(0) for m in _NUMBER.finditer(sentence))
    else:  # names and places: capitalised words, other than a capitalised "The" or "In"
        found = (m.group(0) for m in _CAPITALISED.finditer(sentence) if fold(m.group(0)) not in STOPWORDS)
    return any(fold(item) not in asked for item in found)


def coverage(sentence_tokens: set[str], weights: Mapping[str, float]) -> float:
    """Weighted share of the question's tokens that the sentence contains (0 to 1)."""
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return sum(w for token, w in weights.items() if token in sentence_tokens) / total
