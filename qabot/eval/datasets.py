"""The evaluation data qabot reads: QA files in the form of dev.jsonl, BEIR folders, SQuAD files.

- **QA files**: one JSON object per line, ``{"id", "question", "answers", "docs",
  "history"?, "page"?, "answer_message_id"?}``; ``answers`` are strings a correct excerpt
  contains, and an empty list means the corpus does not answer the question. ``page``
  (1-based) is the page of a PDF that a correct citation names; ``answer_message_id``
  the chat message (its Discord id) whose jump link a correct citation gives (beside
  ``answers``, words of that message).
- **BEIR**: ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/<split>.tsv``. qabot keeps
  its own qrels reader: bm25s's keeps only one relevant document per query.
- **SQuAD** (v1.1, or v2.0 with unanswerable questions): the paragraphs become a
  ``.jsonl`` corpus, the questions QA items.
"""

from __future__ import annotations

import csv
import json
import logging
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TextIO

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError

from qabot.errors import QABotError
from qabot.eval.metrics import matchable

log = logging.getLogger(__name__)

# Fields a QA file may hold that qabot eval does not read: what `qabot feedback export` adds for a person.
NOT_READ = frozenset({"review", "feedback"})


def _snowflake(value: Any) -> Any:
    """A Discord id written as a JSON number (``1218000000000000001``) as the text Discord's exports write it."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class EvalItem(BaseModel):
    model_config = ConfigDict(extra="allow")  # kept, so that a misspelt field ("answer") can be named

    id: str = ""
    question: str
    answers: list[str] = Field(default_factory=list)
    docs: list[str] = Field(default_factory=list)
    history: list[str] = Field(default_factory=list)
    page: int | None = Field(default=None, ge=1)  # as printed: the first page is 1
    answer_message_id: Annotated[Annotated[str, StringConstraints(pattern=r"^\d{1,20}$")] | None,
                                 BeforeValidator(_snowflake)] = None
    where: str | None = Field(default=None, exclude=True)  # "questions.jsonl line 3": for a message about it


def load_items(path: Path) -> list[EvalItem]:
    """The items of a QA file, read a line at a time; a line that is not one stops the run, named by its number.

    A line ends at a line feed only (CRLF is fine, and a byte-order mark is skipped): JSON
    leaves U+2028 and U+0085 raw inside a string, so a question may hold them.
    """
    items = []
    unknown: dict[str, int] = {}  # a field qabot eval does not read, and the first line holding it
    try:
        with Path(path).open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if (item := _item(path, number, raw)) is not None:
                    items.append(item)
                    for name in [name for name in item.model_extra or {} if name not in NOT_READ]:
                        unknown.setdefault(name, number)
    except OSError as exc:
        raise QABotError(f"cannot read {path}: {exc.strerror or exc}") from None
    if unknown:  # a misspelt "answer" would make an answerable question count as one the corpus does not answer
        named = ", ".join(f"{name!r} (line {number})" for name, number in unknown.items())
        fields = ", ".join(name for name in EvalItem.model_fields if name != "where")
        log.warning(f"{path}: fields qabot eval does not read, ignored: {named}; it reads {fields}")
    if not items:
        raise QABotError(f"{path} holds no questions (one JSON object a line: "
                         '{"id": ..., "question": ..., "answers": [...]})')
    return items


def _item(path: Path, number: int, raw: bytes) -> EvalItem | None:
    """Line ``number`` of a QA file as an item; None for a blank line."""
    try:
        line = raw.decode("utf-8").removesuffix("\n").removesuffix("\r")
    except UnicodeDecodeError as exc:
        raise QABotError(f"{path} line {number} is not UTF-8 text (byte {exc.start + 1} of the line)") from None
    if number == 1:
        line = line.removeprefix("\ufeff")
    if not line.strip():
        return None
    try:
        item = EvalItem.model_validate_json(line)
    except ValidationError as exc:
        raise QABotError(f"{path} line {number} is not an evaluation item: {_problem(exc)}") from None
    if not item.question.strip():
        raise QABotError(f"{path} line {number}: the question is empty")
    if item.answers and not any(matchable(answer) for answer in item.answers):  # answerable, a miss whatever is found
        raise QABotError(f"{path} line {number}: the answers are empty (\"answers\": [] for a question the corpus "
                         "does not answer)")
    if item.answer_message_id and not item.answers:  # message@1 counts answerable questions only: it was dropped
        raise QABotError(f"{path} line {number}: an answer_message_id needs answers too (words of that message)")
    return item.model_copy(update={"where": f"{path} line {number}"})


def _problem(exc: ValidationError) -> str:
    """What is wrong with an item, in words: the first field and why ('"answers": Input should be a valid list')."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where!r}: {first['msg']}" if where else first["msg"]


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """``query-id``, ``corpus-id``, ``score`` (a whole number) per line, tab-separated, after a header."""
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with _text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:  # a line at a time: a stray quote, read as csv reads a file, took the lines after it into its field
                row = next(csv.reader([line], delimiter="\t"))
            except csv.Error as exc:
                raise QABotError(f"{path} line {number}: {exc}") from None
            if len(row) < 3:  # separated by spaces (TREC's qrels), every line was skipped: 0 queries, and success
                raise QABotError(f"{path} line {number} is not query-id<TAB>corpus-id<TAB>score")
            if row[0] == "query-id":
                continue
            try:
                qrels[row[0]][row[1]] = int(row[2])
            except ValueError:
                raise QABotError(f"{path} line {number}: the score {row[2]!r} is not a whole number") from None
    if not qrels:
        raise QABotError(f"{path} holds no relevance judgements (query-id<TAB>corpus-id<TAB>score, a line each)")
    return dict(qrels)


@contextmanager
def _text(path: Path) -> Iterator[TextIO]:
    """A BEIR file opened as UTF-8 text (a BOM skipped); a byte that is not UTF-8 is one line naming the file."""
    try:
        with path.open(encoding="utf-8-sig") as handle:
            yield handle
    except UnicodeDecodeError as exc:
        raise QABotError(f"{path} is not UTF-8 text ({exc.reason})") from None


def read_queries(path: Path) -> dict[str, str]:
    """``{"_id", "text"}`` per line."""
    queries = {}
    with _text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    record = json.loads(line)
                except ValueError as exc:
                    raise QABotError(f"{path} line {number} is not JSON: {exc}") from None
                if not isinstance(record, dict) or "_id" not in record or not isinstance(record.get("text"), str):
                    raise QABotError(f'{path} line {number} is not a query: {{"_id": ..., "text": "..."}} expected')
                queries[str(record["_id"])] = record["text"]
    return queries


def squad_items(path: Path, corpus_out: Path) -> list[EvalItem]:
    """Write the paragraphs of a SQuAD file as a jsonl corpus; return its questions.

    A paragraph's id is ``<title>#<n>``; an unanswerable (v2.0) question has no answers.
    """
    try:
        top = json.loads(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:  # its own words: "'utf-8' codec can't decode byte 0xef in position 2: ..."
        raise QABotError(f"{path} is not a SQuAD file: it is not UTF-8 text ({exc.reason})") from None
    except (OSError, ValueError) as exc:
        raise QABotError(f"{path} is not a SQuAD file: {exc}") from None
    if isinstance(top, dict) and "data" not in top:
        raise QABotError(f"{path} is not a SQuAD file: 'data' is missing")
    data = top.get("data") if isinstance(top, dict) else None
    if not isinstance(data, list):  # a list or a string at the top said "list indices must be integers ..."
        raise QABotError(f'{path} is not a SQuAD file: its top is not an object with a "data" list of articles')
    items: list[EvalItem] = []
    lines = []
    try:
        for article in data:
            title = article["title"].replace("_", " ")
            for number, paragraph in enumerate(article["paragraphs"]):
                doc_id = f"{article['title']}#{number}"
                lines.append(json.dumps({"_id": doc_id, "title": title, "text": paragraph["context"]},
                                        ensure_ascii=False))
                for qa in paragraph["qas"]:
                    answers = [] if qa.get("is_impossible") else sorted({a["text"] for a in qa["answers"]})
                    items.append(EvalItem(id=qa["id"], question=qa["question"], answers=answers, docs=[doc_id]))
    except (KeyError, TypeError, AttributeError) as exc:  # a field missing, or of another type
        why = f"{exc.args[0]!r} is missing" if isinstance(exc, KeyError) else str(exc)
        raise QABotError(f"{path} is not a SQuAD file: {why}") from None
    except ValidationError as exc:
        raise QABotError(f"{path} is not a SQuAD file: a question's {_problem(exc)}") from None
    if not items:  # a report of nothing, and success, as an empty QA file was
        raise QABotError(f"{path} holds no questions (a SQuAD file's are its paragraphs' \"qas\")")
    text = "\n".join(lines) + "\n"
    if not corpus_out.exists() or corpus_out.read_text(encoding="utf-8") != text:
        corpus_out.parent.mkdir(parents=True, exist_ok=True)
        tmp = corpus_out.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(corpus_out)
    return items
