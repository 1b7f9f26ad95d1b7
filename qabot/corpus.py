"""Find and load the documents of a corpus folder.

- ``.txt`` / ``.md`` / ``.markdown``: one document per file, read as UTF-8 with
  ``Path.read_text`` (so offsets are into exactly what that returns). Optional front
  matter (``title``, ``author``, ``date``, ``url``) at the top, either fenced by ``---``
  lines or as plain ``Key: value`` lines followed by a blank line.
- ``.jsonl``: one BEIR-style document per line, ``{"_id", "title", "text"}``.

Anything else, or a file that is not valid UTF-8, is skipped with a warning that names
it; the rest of the corpus is still indexed. ``paragraphs()`` turns a document's text
into paragraphs with exact offsets, whether the file separates paragraphs by blank
lines, puts one per line, or hard-wraps them; it marks headings and repeated lines.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

from qabot.errors import CorpusError
from qabot.models import Document, Paragraph

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
JSONL_SUFFIXES = frozenset({".jsonl"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | JSONL_SUFFIXES
FRONT_MATTER_KEYS = ("title", "author", "date", "url")

Warn = Callable[[str], None]


@dataclass(frozen=True)
class CorpusFile:
    """A file of the corpus folder that qabot will index."""

    path: Path
    name: str  # relative to the corpus folder, '/'-separated: the citation's ``source``


def find_files(corpus_dir: Path, warn: Warn | None = None) -> list[CorpusFile]:
    """Every indexable file below ``corpus_dir``, sorted; unknown types are skipped with a warning.

    Hidden files and folders (``.git``, ``.DS_Store``) are ignored silently.
    """
    warn = warn or log.warning
    if not corpus_dir.exists():
        raise CorpusError(f"corpus folder {str(corpus_dir)!r} does not exist (set QABOT_CORPUS_DIR)")
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus path {str(corpus_dir)!r} is not a folder (set QABOT_CORPUS_DIR)")
    found: list[CorpusFile] = []
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            warn(f"skipping {rel.as_posix()}: unknown file type (qabot reads .txt, .md and .jsonl)")
            continue
        found.append(CorpusFile(path=path, name=rel.as_posix()))
    return found


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, for the manifest's staleness check."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_file(file: CorpusFile, warn: Warn | None = None) -> Iterator[Document]:
    """The documents of one corpus file; an undecodable file warns and yields nothing."""
    warn = warn or log.warning
    try:
        text = file.path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        warn(f"skipping {file.name}: not valid UTF-8 text (byte {exc.start})")
        return
    except OSError as exc:
        warn(f"skipping {file.name}: cannot be read ({exc.strerror or exc})")
        return
    if file.path.suffix.lower() in JSONL_SUFFIXES:
        yield from _jsonl_documents(file.name, text, warn)
    else:
        yield _text_document(file.name, text)


def load_corpus(files: list[CorpusFile], warn: Warn | None = None) -> Iterator[Document]:
    for file in files:
        yield from load_file(file, warn)


# -- .txt / .md -----------------------------------------------------------------------

_FENCE = re.compile(r"\A\ufeff?---[ \t]*\n(.*?\n)---[ \t]*(?:\n|\Z)", re.DOTALL)
_META_LINE = re.compile(r"^\s*([A-Za-z][\w-]*)\s*:\s*(.*?)\s*$")


def _text_document(name: str, text: str) -> Document:
    meta, body_start = parse_front_matter(text)
    return Document(doc_id=name, source=name, text=text, body_start=body_start, **meta)


def parse_front_matter(text: str) -> tuple[dict[str, str], int]:
    """Front matter fields and the offset where the body starts (0 when there is none)."""
    fenced = _FENCE.match(text)
    if fenced:
        fields = _meta_fields(fenced.group(1).splitlines())
        return fields, fenced.end()
    # Unfenced "Title: ...\nAuthor: ...\n\n": only the known keys, only at the very top.
    lines = text.split("\n")
    fields: dict[str, str] = {}
    offset = 1 if text.startswith("\ufeff") else 0
    for line in lines:
        match = _META_LINE.match(line.lstrip("\ufeff"))
        if not line.strip():
            if fields:
                return fields, offset + len(line) + 1
            break
        if not match or match.group(1).lower() not in FRONT_MATTER_KEYS:
            break
        fields[match.group(1).lower()] = _unquote(match.group(2))
        offset += len(line) + 1
    return {}, 0


def _meta_fields(lines: list[str]) -> dict[str, str]:
    fields = {}
    for line in lines:
        match = _META_LINE.match(line)
        if match and match.group(1).lower() in FRONT_MATTER_KEYS and match.group(2):
            fields[match.group(1).lower()] = _unquote(match.group(2))
    return fields


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return value


# -- .jsonl ---------------------------------------------------------------------------


def _jsonl_documents(name: str, text: str, warn: Warn) -> Iterator[Document]:
    seen: set[str] = set()
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            warn(f"skipping {name} line {number}: not valid JSON ({exc.msg})")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            warn(f'skipping {name} line {number}: expected an object with a "text" string')
            continue
        doc_id = record.get("_id", record.get("id", record.get("doc_id")))
        doc_id = str(doc_id) if doc_id is not None else f"{name}:{number}"
        if doc_id in seen:
            warn(f"skipping {name} line {number}: duplicate _id {doc_id!r}")
            continue
        seen.add(doc_id)
        title = record.get("title")
        meta = {key: str(record[key]) for key in ("author", "date", "url") if record.get(key)}
        yield Document(
            doc_id=doc_id,
            source=name,
            title=str(title).strip() or None if title else None,
            text=record["text"],
            **meta,
        )


# -- paragraphs -----------------------------------------------------------------------

_MD_BLOCK_START = re.compile(r"^\s{0,3}(?:#{1,6}\s|[-*+]\s|\d{1,3}[.)]\s|>|\||```|~~~)")
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_ENDS_SENTENCE = re.compile(r"[.!?…,;\"”’'»)\]]\s*$")
_WRAP_LIMIT = 120  # lines no longer than this, in a file whose lines all are, were hard-wrapped
# "... by Jane Roe" at the end of a short line: a byline or a credit. A later line that is
# only that name is the author signing off: it closes the piece and names no section.
_BYLINE = re.compile(r"\bby\s+((?:[A-Z][\w.'’-]*\s+){0,3}[A-Z][\w.'’-]*)\s*$")
MAX_HEADING_CHARS = 80
MAX_HEADING_WORDS = 12


@dataclass
class _Line:
    start: int
    end: int  # without the newline
    text: str


def paragraphs(text: str, body_start: int = 0) -> list[Paragraph]:
    """Split ``text[body_start:]`` into paragraphs with exact offsets.

    Blank lines always end a paragraph. Inside a block of consecutive lines, a line
    starts a new paragraph unless the file is hard-wrapped (no line longer than 120
    characters) and the line before it is full (reaches most of the wrap width).
    Headings (Markdown ``#`` / underlined, or a short line without closing punctuation
    that is followed by text) name the section of what follows and are not numbered.
    Repeated paragraphs (like an image caption printed twice) are marked ``duplicate``.
    """
    lines = _lines(text, body_start)
    raw = _group(lines)
    return _classify(text, raw)


def _lines(text: str, body_start: int) -> list[_Line]:
    out = []
    pos = body_start
    for piece in text[body_start:].split("\n"):
        out.append(_Line(pos, pos + len(piece), piece))
        pos += len(piece) + 1
    return out


def _group(lines: list[_Line]) -> list[tuple[int, int, bool]]:
    """(start, end, is_markdown_heading) of every paragraph."""
    lengths = sorted(len(line.text.rstrip()) for line in lines if line.text.strip())
    if not lengths:
        return []
    width = lengths[-1]
    wrapped = width <= _WRAP_LIMIT and len(lengths) > 1
    full = 0.7 * width

    out: list[tuple[int, int, bool]] = []
    current: list[_Line] = []
    in_code = False

    def flush() -> None:
        if current:
            first, last = current[0], current[-1]
            start = first.start + (len(first.text) - len(first.text.lstrip()))
            end = last.start + len(last.text.rstrip())
            out.append((start, end, False))
            current.clear()

    for line in lines:
        stripped = line.text.strip()
        if line.text.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        if not stripped:
            flush()
            continue
        heading = _MD_HEADING.match(line.text)
        if heading and not in_code:
            flush()
            current.append(line)
            flush()
            out[-1] = (out[-1][0], out[-1][1], True)
            continue
        if _SETEXT.match(line.text) and current and len(current) == 1 and not in_code:
            # "Title\n=====": the previous line is a heading; the underline is dropped.
            start, end = current[0].start, current[0].start + len(current[0].text.rstrip())
            current.clear()
            out.append((start, end, True))
            continue
        if current and not in_code:
            previous = current[-1].text.rstrip()
            continues = wrapped and len(previous) >= full and not _MD_BLOCK_START.match(line.text)
            if not continues:
                flush()
        current.append(line)
    flush()
    return out


def _classify(text: str, raw: list[tuple[int, int, bool]]) -> list[Paragraph]:
    bodies = [text[start:end] for start, end, _ in raw]
    keys = [normalise_for_dedup(body) for body in bodies]
    heading_like = [not md and _looks_like_heading(body) for (_, _, md), body in zip(raw, bodies)]
    result: list[Paragraph] = []
    section: str | None = None
    number = 0
    seen: set[str] = set()
    signatures: set[str] = set()  # names from earlier bylines
    for index, (start, end, md_heading) in enumerate(raw):
        if md_heading:
            section = _MD_HEADING.sub(r"\2", bodies[index]).strip() or section
            result.append(Paragraph(start=start, end=end, number=0, section=section, heading=True))
            continue
        key = keys[index]
        repeated = key in seen or (index > 0 and _near_duplicate(key, keys[index - 1]))
        byline = _BYLINE.search(bodies[index]) if len(bodies[index]) <= 300 else None
        if byline:
            signatures.add(normalise_for_dedup(byline.group(1)))
        if key in signatures and heading_like[index]:
            # An author signing off: it closes the piece (like a heading, it is not passage
            # text), and what follows is not part of the signed piece's section.
            section = None
            result.append(Paragraph(start=start, end=end, number=0, section=None, heading=True))
            continue
        if not repeated and _starts_section(index, keys, heading_like):
            section = " ".join(bodies[index].split())
            result.append(Paragraph(start=start, end=end, number=0, section=section, heading=True))
            continue
        number += 1
        result.append(Paragraph(start=start, end=end, number=number, section=section, duplicate=repeated))
        seen.add(key)
    return result


def _starts_section(index: int, keys: list[str], heading_like: list[bool]) -> bool:
    """A heading-like line heads a section if it starts a run of such lines that text follows.

    The rest of the run (a subtitle, a byline) stays text. A line repeated right after
    itself is a caption, not a heading.
    """
    if not heading_like[index] or (index > 0 and heading_like[index - 1]):
        return False
    if index + 1 >= len(keys) or _near_duplicate(keys[index], keys[index + 1]):
        return False
    following = index + 1
    while following < len(keys) and heading_like[following]:
        following += 1
    return following < len(keys)


def _looks_like_heading(line: str) -> bool:
    line = line.strip()
    if not line or "\n" in line or len(line) > MAX_HEADING_CHARS:
        return False
    if len(line.split()) > MAX_HEADING_WORDS or _ENDS_SENTENCE.search(line):
        return False
    first = line[0]
    return first.isupper() or first.isdigit() or not first.isalpha()


_NOT_ALNUM = re.compile(r"[\W_]+")


def normalise_for_dedup(text: str) -> str:
    """Casefolded letters and digits only: two paragraphs with the same key are the same."""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKD", text.casefold()))


def _near_duplicate(a: str, b: str) -> bool:
    # Only short neighbours are compared (captions, pull quotes): cheap, and long
    # paragraphs that differ by a few letters are rare and better kept.
    if a == b:
        return True
    if not a or not b or max(len(a), len(b)) > 400 or abs(len(a) - len(b)) > 0.1 * max(len(a), len(b)):
        return False
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.9
