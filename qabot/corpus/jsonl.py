"""The reader for ``.jsonl`` files: one BEIR-style document per line, ``{"_id", "title", "text"}``.

``id`` or ``doc_id`` may stand for ``_id``; ``author``, ``date`` and ``url`` are kept when
present. A line that is not a JSON object with a ``"text"`` string (or is nested too deeply
to decode), or that repeats an earlier id, is skipped with a warning naming the file and the line; the rest is read.

JSON can spell a lone surrogate (``"\\ud800"``), which is not a character and cannot be
stored or printed as text: each becomes U+FFFD (one code point for one, so the offsets
of everything else are unchanged), with a warning. The document text is then the
record's text with that replacement, and citations point into it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from qabot.corpus import limits
from qabot.corpus.files import CorpusFile, Warn, read_text
from qabot.models import Document
from qabot.text import SURROGATE, lines, scalar_text

SUFFIXES = frozenset({".jsonl"})


def read(file: CorpusFile, warn: Warn) -> Iterator[Document]:
    text = read_text(file, warn)
    if text is None:
        return
    yield from documents(file.name, text, warn)


def documents(name: str, text: str, warn: Warn) -> Iterator[Document]:
    seen: set[str] = set()
    for number, line in enumerate(limits.checked(lines(text)), start=1):  # millions of bad lines yield no text
        if not line.strip():
            continue
        try:
            record = json.loads(line.removeprefix("\ufeff") if number == 1 else line)  # a byte-order mark: not JSON
        except json.JSONDecodeError as exc:
            warn(f"skipping {name} line {number}: not valid JSON ({exc.msg})")
            continue
        except RecursionError:  # [[[[...]]]]: Python's decoder gives up; the other lines are still read
            warn(f"skipping {name} line {number}: its JSON is nested too deeply to read")
            continue
        except ValueError:  # an integer of more than 4,300 digits: Python will not convert it
            warn(f"skipping {name} line {number}: a number in it is too long to read")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            warn(f'skipping {name} line {number}: expected an object with a "text" string')
            continue
        if any(isinstance(value, str) and SURROGATE.search(value) for value in record.values()):
            warn(f"{name} line {number}: lone surrogate code points replaced by U+FFFD")
            record = {key: _clean(value) if isinstance(value, str) else value for key, value in record.items()}
        doc_id = scalar_text(record.get("_id", record.get("id", record.get("doc_id")))) or f"{name}:{number}"
        if doc_id in seen:
            warn(f"skipping {name} line {number}: duplicate _id {doc_id!r}")
            continue
        seen.add(doc_id)
        meta = {key: value for key in ("author", "date", "url") if (value := scalar_text(record.get(key)))}
        yield Document(
            doc_id=doc_id,
            source=name,
            title=(scalar_text(record.get("title")) or "").strip() or None,
            text=record["text"],
            **meta,
        )


def _clean(value: str) -> str:
    return SURROGATE.sub("\ufffd", value)
