"""Reading speed of the format readers, and what reading costs in a build (``qabot bench --formats DIR``).

Each format's files in DIR are read (file to ``Document``s and paragraphs, as a build
reads them) ``runs`` times: pages per second for PDF, files per second for the rest.
Then the PDFs alone are built into an index with the embedding cache off, and the time
spent reading is set beside the whole build: reading must stay small next to embedding
(target: under 10 % of the build).
"""

from __future__ import annotations

import os
import shutil
import time
from collections import defaultdict
from pathlib import Path
from statistics import median

from pydantic import BaseModel, Field

from qabot import corpus
from qabot.embedding import Embedder
from qabot.index import BuildConfig, open_index

FORMATS = {".pdf": "pdf", ".html": "html", ".htm": "html", ".xhtml": "html", ".docx": "docx", ".json": "discord"}


class ReadingResult(BaseModel):
    format: str
    files: int
    documents: int
    pages: int | None = None
    mb: float
    read_s: float = Field(description="median: reading every file of the format once")
    files_per_s: float
    pages_per_s: float | None = None


class ReadingShare(BaseModel):
    backend: str
    files: int
    pages: int
    passages: int
    read_s: float = Field(description="median: reading the PDFs alone")
    build_s: float = Field(description="median: building their index, embedding cache off")
    share: float = Field(description="read / build (target <= 0.10)")


def _quiet(_message: str) -> None:
    return None


def _groups(folder: Path) -> dict[str, list[corpus.CorpusFile]]:
    groups: dict[str, list[corpus.CorpusFile]] = defaultdict(list)
    for file in corpus.find_files(folder, _quiet, external_links=True):
        if file.suffix in FORMATS:
            groups[FORMATS[file.suffix]].append(file)
    return dict(groups)


def _pages(files: list[corpus.CorpusFile]) -> int:
    import pypdfium2 as pdfium

    total = 0
    for file in files:
        try:
            pdf = pdfium.PdfDocument(file.path)
        except pdfium.PdfiumError:
            continue
        total += len(pdf)
        pdf.close()
    return total


def _read(files: list[corpus.CorpusFile]) -> tuple[float, int]:
    started = time.perf_counter()
    documents = 0
    for file in files:
        for document in corpus.load_file(file, _quiet):
            corpus.document_paragraphs(document)
            documents += 1
    return time.perf_counter() - started, documents


def bench_reading(folder: Path, runs: int) -> list[ReadingResult]:
    """Each format's reading speed over the files of ``folder``."""
    results = []
    for name, files in sorted(_groups(folder).items()):
        timings = [_read(files) for _ in range(runs)]
        seconds = median(t for t, _ in timings)
        pages = _pages(files) if name == "pdf" else None
        results.append(ReadingResult(
            format=name, files=len(files), documents=timings[0][1], pages=pages,
            mb=round(sum(f.path.stat().st_size for f in files) / 2**20, 2), read_s=round(seconds, 4),
            files_per_s=round(len(files) / seconds, 1) if seconds else 0.0,
            pages_per_s=round(pages / seconds, 1) if pages is not None and seconds else None,
        ))
    return results


def bench_read_share(folder: Path, embedder: Embedder, backend: str, work: Path, runs: int) -> ReadingShare | None:
    """Reading the PDFs of ``folder`` beside building their index (no cache): the share reading takes."""
    pdfs = _groups(folder).get("pdf")
    if not pdfs:
        return None
    embedder.embed(["warm up"])
    corpus_dir = work / "formats-pdf-corpus"
    shutil.rmtree(corpus_dir, ignore_errors=True)
    corpus_dir.mkdir(parents=True)
    for number, file in enumerate(pdfs):  # numbered: two folders may hold files of the same name
        os.symlink(file.path.resolve(), corpus_dir / f"{number:04d}-{file.path.name}")
    config = BuildConfig(corpus_dir=corpus_dir, index_dir=work / "formats-pdf-index", embedding_cache=False,
                         corpus_external_links=True)
    reads, builds, passages = [], [], 0
    for _ in range(runs):
        reads.append(_read(pdfs)[0])
        shutil.rmtree(config.index_dir, ignore_errors=True)
        started = time.perf_counter()
        index = open_index(config, embedder, progress=False, notify=_quiet)
        builds.append(time.perf_counter() - started)
        passages = index.manifest.passages
        index.close()
    read_s, build_s = median(reads), median(builds)
    return ReadingShare(backend=backend, files=len(pdfs), pages=_pages(pdfs), passages=passages,
                        read_s=round(read_s, 3), build_s=round(build_s, 3),
                        share=round(median(r / b for r, b in zip(reads, builds, strict=True)), 4))
