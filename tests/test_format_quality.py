"""Answer quality per format, on real documents nobody here wrote (slow: the real model, four indexes).

The questions are in tests/data/formats/questions/, in the form of dev.jsonl; PDF items
also name the page a correct citation gives. Targets: hit@5 >= 0.90 for every format,
and page@1 = 1.0 for PDF (every first excerpt that holds the answer cites its page).
The figures are in docs/formats.md.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qabot.eval import evaluate_items
from qabot.eval.datasets import load_items
from tests.conftest import make_bot
from tests.documents import FORMATS, write_docx_from

QUESTIONS = FORMATS / "questions"


def _corpus(name: str, tmp_path: Path) -> Path:
    if name != "docx":
        return FORMATS / name
    folder = tmp_path / "docx"
    folder.mkdir()
    write_docx_from(FORMATS / "docx-source" / "datatype3.html", folder / "datatype3.docx")
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("name", ["pdf", "html", "docx", "discord", "text"])
def test_each_format_meets_the_targets(name: str, tmp_path: Path, embedder) -> None:
    corpus = _corpus(name, tmp_path)
    bot = make_bot(corpus, tmp_path / "index", embedder)
    try:
        report = evaluate_items(bot, load_items(QUESTIONS / f"{name}.jsonl"), name=name)
    finally:
        bot.close()
    misses = [(r.id, r.top_source, r.top_highlight) for r in report.items if r.answerable and not r.rank]
    assert report.hit_at_5 >= 0.90, misses
    assert report.abstention_rate == 1.0
    if name == "pdf":
        assert report.page_at_1 == 1.0, [(r.id, r.page, r.top_page) for r in report.items if r.rank == 1]
    shutil.rmtree(tmp_path / "index", ignore_errors=True)
