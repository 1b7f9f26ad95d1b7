"""Answers built by hand, for tests of what front-ends do with an answer (not how it is found).

Every string is known, so a test can check every character a front-end shows. The
passages are in the style of the default corpus, each with its own citation.
"""

from __future__ import annotations

from qabot.models import Answer, Citation, Excerpt

PASSAGES = [
    ("000_7a1bfeddec75252f.txt", "Why and How the GPU Murdered Leon Trotsky", 42,
     "Jacson was permitted to accompany Trotsky alone into his study.",
     ("Minutes later, while Trotsky reviewed an article written by Jacson, the assassin struck Trotsky from "
      "behind with the alpenstock."), "But Trotsky screamed and fought back."),
    ("000_7a1bfeddec75252f.txt", "Why and How the GPU Murdered Leon Trotsky", 25,
     "Weill accompanied Ageloff on a trip to Europe in 1938.",
     "There Ageloff was introduced to Ramon Mercader, alias “Frank Jacson,” the future assassin of Leon Trotsky.",
     "The GPU also planted agents inside the villa."),
    ("003_3ab6160fc76f5c58.txt", None, 12, "Trotsky lived in Coyoacán from 1939.",
     "He was killed there by a Stalinist agent in August 1940.", "His house is a museum today."),
]


def excerpt(source: str, section: str | None, paragraph: int, before: str, highlight: str, after: str,
            *, start: int = 1000, score: float = 1.0, passage_id: int = 0, title: str | None = None,
            url: str | None = None) -> Excerpt:
    text = f"{before} {highlight} {after}"
    at = len(before) + 1
    location = f"§ {section}, ¶ {paragraph}" if section else f"¶ {paragraph}"
    citation = Citation(source=source, doc_id=source, title=title, section=section, paragraph=paragraph,
                        location=location, start=start, end=start + len(text), url=url)
    return Excerpt(text=text, highlight=highlight, highlight_start=at, highlight_end=at + len(highlight),
                   score=score, citation=citation, passage_id=passage_id)


def answer(question: str = "Who killed Trotsky?", k: int = 10, *, answered: bool = True) -> Answer:
    """An answer with ``k`` excerpts, best first, cycling through ``PASSAGES``."""
    excerpts = []
    for n in range(k):
        source, section, paragraph, before, highlight, after = PASSAGES[n % len(PASSAGES)]
        excerpts.append(excerpt(source, section, paragraph + n, before, highlight, after,
                                start=1000 * (n + 1), score=round(1.5 - 0.1 * n, 3), passage_id=n))
    return Answer(question=question, query=question, answered=answered, confidence=0.9 if answered else 0.3,
                  excerpts=excerpts)
