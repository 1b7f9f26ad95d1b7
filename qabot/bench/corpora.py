"""The corpora ``qabot bench`` measures on: the default corpus with its dev questions, and a BEIR folder."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from pydantic import BaseModel, Field

from qabot import chunking, corpus
from qabot.eval.datasets import load_items, read_qrels, read_queries
from qabot.index.ingest import model_input

DEFAULT_QUESTIONS = (
    "Who killed Trotsky?",
    "What weapon was used?",
    "Where did Trotsky live in exile?",
    "When was Trotsky attacked?",
    "Who was Trotsky's wife?",
)
EDIT = " This abstract was revised for the benchmark."


class Corpus(BaseModel):
    """A corpus to measure on, and the questions asked of it."""

    name: str
    folder: Path
    questions: list[str]
    qrels: dict[str, dict[str, int]] = Field(default_factory=dict)  # BEIR only: question -> relevant docs
    jsonl: Path | None = None  # BEIR only: the single corpus file, which the re-index edits


def default_corpus(folder: Path, dev: Path | None) -> Corpus:
    questions = list(DEFAULT_QUESTIONS)
    if dev is not None and dev.is_file():
        questions = [item.question for item in load_items(dev)]
    return Corpus(name="default", folder=folder, questions=questions)


def beir_corpus(folder: Path, work: Path, limit: int | None = None, split: str = "test") -> Corpus:
    """A BEIR folder, its corpus.jsonl copied (or cut to ``limit`` documents) into ``work``."""
    qrels = read_qrels(folder / "qrels" / f"{split}.tsv")
    texts = read_queries(folder / "queries.jsonl")
    target = work / f"{folder.name}-corpus"
    target.mkdir(parents=True, exist_ok=True)
    jsonl = target / "corpus.jsonl"
    with (folder / "corpus.jsonl").open(encoding="utf-8") as source, jsonl.open("w", encoding="utf-8") as out:
        for number, line in enumerate(source):
            if limit is not None and number >= limit:
                break
            out.write(line)
    if limit is not None:  # a cut corpus: only the questions whose answers it still holds, and only those answers
        with jsonl.open(encoding="utf-8") as handle:
            kept = {str(json.loads(line)["_id"]) for line in handle if line.strip()}
        # A relevant document cut away would count in the ideal ranking, which no ranking of this corpus reaches.
        qrels = {q: cut for q, rel in qrels.items() if (cut := {doc: g for doc, g in rel.items() if doc in kept})}
    asked = {texts[q]: rel for q, rel in qrels.items() if q in texts}
    return Corpus(name=folder.name, folder=target, questions=list(asked), qrels=asked, jsonl=jsonl)


def passage_texts(corpus_dir: Path) -> list[tuple[str, list[tuple[int, int]]]]:
    """The texts (and sentence spans) a build of ``corpus_dir`` gives the model."""
    out = []
    for document in corpus.load_corpus(corpus.find_files(corpus_dir, lambda _m: None), lambda _m: None):
        paras = corpus.document_paragraphs(document)
        out.extend(model_input(passage) for passage in chunking.passages(document, paras, 600))
    return out


def edit_one_document(jsonl: Path) -> None:
    """Append a sentence to the document in the middle of a BEIR corpus file."""
    lines = jsonl.read_text(encoding="utf-8").splitlines()
    middle = len(lines) // 2
    record = json.loads(lines[middle])
    record["text"] = record["text"] + EDIT
    lines[middle] = json.dumps(record, ensure_ascii=False)
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")


def changed_passages(jsonl: Path) -> int:
    """How many passages the edited document has (what the re-index should embed)."""
    with tempfile.TemporaryDirectory() as tmp:
        lines = jsonl.read_text(encoding="utf-8").splitlines()
        record = json.loads(lines[len(lines) // 2])
        record["text"] += EDIT
        (Path(tmp) / "one.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
        return len(passage_texts(Path(tmp)))
