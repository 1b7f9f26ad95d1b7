"""Sentence evidence: how well one sentence answers a question, beyond topical similarity.

Dense similarity finds sentences about the right thing; these two cheap, pure signals
find the sentence that actually answers:

- **coverage**: the share of the question's content words (weighted by their rarity in
  the corpus) that the sentence contains; computed over the term ids the index stores
  per sentence (``Retriever._terms_present``), so it lives in retrieval.py;
- **answer type**: a "when" question wants a date, "how many" a number, "who" a
  person's name (two capitalised words, or one after "by"), "where" a place; a
  sentence that holds such a thing, not already in the question, is more likely the
  answer.
"""

from __future__ import annotations

import re

from qabot.lexical import STOPWORDS, fold

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DATE = re.compile(rf"\b(1[0-9]{{3}}|20[0-9]{{2}})s?\b|\b({_MONTHS})\b|\b\d{{1,2}}(st|nd|rd|th)\b", re.IGNORECASE)
_NUMBER = re.compile(
    r"\b\d[\d,.]*\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
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
    elif kind == "name":
        return any(_new_name(m.group(0), asked) for m in _NAME_PHRASE.finditer(sentence)) or any(
            _new_name(m.group(1), asked) for m in _AGENT.finditer(sentence)
        )
    else:  # places: capitalised words, other than a capitalised "The" or "In"
        found = (m.group(0) for m in _CAPITALISED.finditer(sentence) if fold(m.group(0)) not in STOPWORDS)
    return any(fold(item) not in asked for item in found)


def _new_name(phrase: str, asked: str) -> bool:
    """A name the question does not already use: none of its words is in the question,
    and it is more than capitalised stopwords, months and days ("In January")."""
    words = [fold(w.strip("’'.")) for w in phrase.split()]
    if any(w in asked for w in words if len(w) > 2):
        return False
    return any(w not in STOPWORDS and w not in _NOT_NAMES for w in words)


_CLOSED = re.compile(r"[.!?…:;]['\"”’»)\]]*\s*$")


def is_caption(sentence: str) -> bool:
    """A short line with no closing punctuation: an image caption, a heading, a byline.

    It names a topic without saying much about it, so it is rarely the answer; the rerank
    lowers it (``RetrievalConfig.caption_penalty``) rather than leaving it out, since a
    caption can still be what was asked for ("Bolshevik (1920) by Boris Kustodiev").
    """
    return len(sentence.split()) <= 12 and not _CLOSED.search(sentence)
