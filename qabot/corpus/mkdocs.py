"""The anchors MkDocs gives the headings of a Markdown page of its project, which are not GitHub's.

A Markdown file's headings link to the id GitHub's slugger makes (``markdown_tags.heading_anchor``). MkDocs builds
its pages with Python-Markdown, whose ``toc`` extension slugs otherwise: accents folded to ASCII ("Café" is
``cafe``, not ``café``), a run of spaces and hyphens one hyphen ("Step 1 - Install" is ``step-1-install``, not
``step-1---install``), and a heading's text met again taken with ``_1``, ``_2`` (not ``-1``). A citation's link
into an MkDocs site missed its heading. A file is an MkDocs page where it lies in the ``docs_dir`` (``docs`` unless
``mkdocs.yml`` says otherwise) of a folder of the corpus that holds ``mkdocs.yml`` (or ``mkdocs.yaml``), one that
does not give the ``toc`` extension a ``slugify`` of its own (Material's ``pymdownx.slugs``): those are left as they
are. An id the source gives (``{#install}``) is kept, as MkDocs keeps it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from qabot.corpus.files import CorpusFile
from qabot.corpus.markdown_tags import heading_anchor
from qabot.models import Paragraph

_CONFIGS = ("mkdocs.yml", "mkdocs.yaml")
_DOCS_DIR = re.compile(r"(?m)^docs_dir:[ \t]*['\"]?([^'\"#\s]+)")
_SLUGIFY = re.compile(r"(?m)^[ \t]+slugify:")
_REPEAT = re.compile(r"^(.*)_([0-9]+)$")


def is_page(file: CorpusFile) -> bool:
    """Whether ``file`` is a page of an MkDocs project in the corpus whose headings' ids are MkDocs' own slugs."""
    parts = PurePosixPath(file.name).parts
    for depth in range(len(parts)):  # each folder of the corpus above the file, its own first
        folder = file.path.parents[depth]
        config = next((path for name in _CONFIGS if (path := folder / name).is_file()), None)
        if config is None:
            continue
        try:
            text = config.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
        docs = _DOCS_DIR.search(text)
        inside = Path(docs[1] if docs else "docs")
        return _SLUGIFY.search(text) is None and file.path.parent.is_relative_to(folder / inside)
    return False


def slug(text: str) -> str:
    """Python-Markdown's ``toc.slugify`` (MkDocs' default): ASCII, word characters, spaces and hyphens kept,
    lower case, each run of spaces and hyphens one hyphen."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", text).strip().lower())


def anchors(paragraphs: Iterable[Paragraph]) -> list[Paragraph]:
    """``paragraphs`` of a Markdown page, each heading's anchor (and its section's) the id MkDocs gives it."""
    paragraphs = list(paragraphs)
    headings = [p for p in paragraphs if p.heading and p.anchor is not None and p.section]
    given = {p.anchor for p in headings if not _slugged(p.anchor, p.section)}  # ids the source gives, taken first
    used, old, new = set(given), None, None
    out = []
    for paragraph in paragraphs:
        if paragraph.heading and paragraph.anchor is not None and paragraph.section:
            old = paragraph.anchor
            new = old if old in given else _unique(slug(paragraph.section), used)
        if paragraph.anchor is not None and paragraph.anchor == old and new != old:
            paragraph = paragraph.model_copy(update={"anchor": new})
        out.append(paragraph)
    return out


def _slugged(anchor: str, section: str) -> bool:
    """Whether ``anchor`` is GitHub's slug of ``section`` (taken again: ``-1``), not an id the source gives."""
    github = heading_anchor("", section)
    return anchor == github or re.fullmatch(re.escape(github) + r"-\d+", anchor) is not None


def _unique(anchor: str, used: set[str]) -> str:
    """Python-Markdown's ``toc.unique``: an id not taken yet, ``_1``, ``_2`` ... after one that is (or is empty)."""
    while anchor in used or not anchor:
        repeat = _REPEAT.match(anchor)
        anchor = f"{repeat[1]}_{int(repeat[2]) + 1}" if repeat else f"{anchor}_1"
    used.add(anchor)
    return anchor
