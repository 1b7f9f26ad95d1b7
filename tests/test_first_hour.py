"""A new user's first hour: a folder of real public documents of every format, indexed and asked.

As a user would, through the ``qabot`` command on the real model: ``qabot index`` with
``--corpus`` after the command, then ``qabot repl`` with its questions piped in. The
folder holds a PDF manual, a Sphinx page, a Word file, a Discord export, a man page
saved from ``man`` (ANSI escape sequences, hyphenated line ends), a Markdown README and
a BEIR ``.jsonl``, all from tests/data/formats (sources and licences in SOURCES.md there).
Each question names the file and the words its first excerpt must hold: one answer sits
around inline code in the Sphinx page, one in the man page; one question is not
answered by the folder, and qabot must say so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import QABOT
from tests.documents import FORMATS, write_docx_from

QUESTIONS = [
    ("What code does Camlidl generate?", "camlidl-manual.pdf", "Camlidl generates stub code for interfacing Caml with C"),
    ("Which Sphinx extension avoids typing the same issue tracker URL again and again?", "sphinx-extlinks.html",
     "so you can use extlinks to avoid repeating yourself"),  # around <code>…/issues/<em>num</em></code>
    ("How are Boolean values stored in SQLite?", "datatype3.docx",
     "Boolean values are stored as integers 0 (false) and 1 (true)"),
    ("When is the dome closed for maintenance?", "observatory-help.json", "Friday 8 March from 09:00 to 17:00"),
    ("What does the --ultra option of zstd unlock?", "zstd.1.txt", "unlocks high compression levels 20+ (maximum 22)"),
    ("How do I build a statically linked version of jq?", "jq-README.md", "make LDFLAGS=-all-static"),
    ("Why doesn't zlib use GNU autoconf or libtool?", "zlib-faq.jsonl",
     "keep zlib as a very small and simple package"),
]
UNANSWERED = "What is the capital of Mongolia?"


def _folder(root: Path) -> Path:
    corpus = root / "my-docs"
    corpus.mkdir()
    shutil.copy(FORMATS / "pdf" / "camlidl-manual.pdf", corpus)
    shutil.copy(FORMATS / "html" / "sphinx-extlinks.html", corpus)
    write_docx_from(FORMATS / "docx-source" / "datatype3.html", corpus / "datatype3.docx")
    shutil.copy(FORMATS / "discord" / "observatory-help.json", corpus)
    shutil.copy(FORMATS / "text" / "zstd.1.txt", corpus)
    shutil.copy(FORMATS / "text" / "jq-README.txt", corpus / "jq-README.md")
    # The zlib FAQ as BEIR records, one per question: " 7. Why don't you use ...?" and its answer.
    faq = (FORMATS / "text" / "zlib-FAQ.txt").read_text(encoding="utf-8")
    entries = re.split(r"\n(?= ?\d+\. )", faq)[1:]
    with (corpus / "zlib-faq.jsonl").open("w", encoding="utf-8") as out:
        for entry in entries:
            title, _, text = entry.strip().partition("\n")
            out.write(json.dumps({"_id": title.split(".")[0], "title": title, "text": text.strip()}) + "\n")
    return corpus


@pytest.mark.model
def test_a_folder_of_every_format_answers_its_questions(tmp_path: Path) -> None:
    corpus = _folder(tmp_path)
    index = str(tmp_path / "my-index")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    built = subprocess.run([QABOT, "index", "--corpus", str(corpus), "--index", index], capture_output=True,
                           text=True, timeout=600, env=env, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith("Indexed 7 file(s)") and "Skipped" not in built.stderr, built.stdout + built.stderr

    lines = ":k 1\n" + "".join(f"{question}\n" for question, _, _ in QUESTIONS) + UNANSWERED + "\n"
    chat = subprocess.run([QABOT, "repl", "--corpus", str(corpus), "--index", index], input=lines,
                          capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    assert chat.returncode == 0, chat.stderr
    # After "Showing 1 excerpt per answer.", an answer a block from its "[1] ..." (a page's excerpt keeps its lines).
    answers = re.split(r"\n\n(?=\[1\] |Not found)", chat.stdout.strip())[1:]
    assert len(answers) == len(QUESTIONS) + 1, chat.stdout
    for (question, source, words), answer in zip(QUESTIONS, answers, strict=False):
        citation, excerpt = answer.split("\n", 1)
        excerpt = excerpt.split("\n    link: ")[0]
        assert re.match(rf"\[1\] (?:.+ — )?{re.escape(source)}[,( ]", citation), (question, answer)  # "[1] Title — file, p. 1"
        assert words in " ".join(excerpt.replace("**", "").split()), (question, answer)
    assert answers[-1].startswith("Not found in the corpus."), answers[-1]
    assert "\x1b" not in chat.stdout and "␛" not in chat.stdout  # the man page's escape codes are gone, not shown
