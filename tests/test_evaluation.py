"""The evaluation harness: metrics, the three data forms, the CLI, and (slow) the dev targets."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from qabot.eval import (
    EvalItem,
    QAReport,
    calibration_table,
    contains,
    evaluate_beir,
    evaluate_file,
    evaluate_items,
    evaluate_squad,
    ndcg_at,
    recall_at,
    squad_items,
    table,
)
from qabot.settings import load_settings
from tests.conftest import DEFAULT_CORPUS, FAKE_QABOT, SHARED_EVAL

REWORDED = Path(__file__).parent / "data" / "reworded"  # chat-dev's and chat-blind's questions in other words

DOCS = {
    "d1": ("Volcanoes", "Lava is molten rock that erupts from a volcano and cools into basalt."),
    "d2": ("Glaciers", "A glacier is a slow river of ice that carves U-shaped valleys."),
    "d3": ("Deserts", "Deserts receive less than 250 millimetres of rain in a year."),
}


def test_contains_ignores_case_accents_and_spacing() -> None:
    assert contains("Ramón  MERCADER drove it", ["ramon mercader"])
    assert not contains("Mercador", ["Mercader"])
    assert not contains("anything", ["", "  "])
    # An accent alone, or a soft hyphen, folds to nothing, which every text held: each was a hit, anywhere.
    assert not contains("anything", ["\u00b4", "\u00ad", "\u0301"])
    assert contains("Ramón Mercader", ["\u00b4", "Mercader"])


def test_ndcg_and_recall() -> None:
    assert ndcg_at(["a", "b"], {"a": 1}) == 1.0
    assert ndcg_at(["x", "a"], {"a": 1}) == pytest.approx(1 / 1.5849625, rel=1e-6)
    assert ndcg_at(["x"], {"a": 1}) == 0.0
    assert recall_at(["a", "x", "b"], {"a": 1, "b": 1, "c": 1}) == pytest.approx(2 / 3)


def test_qa_metrics_on_a_small_corpus(make_corpus, bot_for) -> None:
    corpus = make_corpus({f"{key}.txt": text for key, (_, text) in DOCS.items()})
    items = [
        EvalItem(id="1", question="What does lava cool into?", answers=["basalt"], docs=["d1.txt"]),
        EvalItem(id="2", question="What carves U-shaped valleys?", answers=["glacier"], docs=["d2.txt"]),
        EvalItem(id="3", question="Who won the 1998 World Cup final?", answers=[]),
    ]
    report = evaluate_items(bot_for(corpus), items, name="small")
    assert (report.answerable, report.unanswerable) == (2, 1)
    assert report.hit_at_1 == report.hit_at_5 == report.mrr_at_10 == 1.0
    assert report.highlight_at_1 == 1.0 and report.doc_hit_at_1 == 1.0
    assert report.answered_rate == 1.0 and report.abstention_rate == 1.0
    assert [r.rank for r in report.items] == [1, 1, None]
    assert "hit@1" in table([report]) and "small: 2 answerable, 1 unanswerable" in table([report])
    # The calibration sweep shows the threshold trade-off on these very questions.
    low, high = report.calibration[0], report.calibration[-1]
    assert low.threshold < high.threshold and low.answered_rate >= high.answered_rate
    assert low.abstention_rate <= high.abstention_rate
    assert report.suggested_threshold is not None and "highest threshold" in calibration_table(report)


def test_the_calibration_at_the_threshold_in_force_is_the_report(make_corpus, fake_bot_for) -> None:
    # Small talk is never answered, however close its nearest passage: at every threshold of the sweep too.
    bot = fake_bot_for(make_corpus({"a.txt": "Thanks for the help, anyone here?\n\nLava cools into basalt.\n"}))
    items = [EvalItem(question="What does lava cool into?", answers=["basalt"]),
             EvalItem(question="anyone here?", answers=[])]
    report = evaluate_items(bot, items)
    assert report.items[1].confidence >= bot.settings.answer_threshold and report.abstention_rate == 1.0
    now = next(c for c in report.calibration if c.threshold == bot.settings.answer_threshold)
    assert (now.answered_rate, now.abstention_rate) == (report.answered_rate, report.abstention_rate)
    assert all(c.abstention_rate == 1.0 for c in report.calibration)


def test_a_file_of_questions_still_to_review_scores_no_answerable_question(make_corpus, fake_bot_for) -> None:
    """A first `qabot feedback export` may hold only questions "to review" (empty answers): `qabot eval` on it
    measures abstention alone, and prints no hit@1 or answered rate of 0.000 over no question at all."""
    bot = fake_bot_for(make_corpus({"a.txt": "Lava cools into basalt.\n"}))
    report = evaluate_items(bot, [EvalItem(question="What does lava cool into?", answers=[], review=True)])
    assert (report.answerable, report.unanswerable, report.abstention_rate) == (0, 1, 0.0)
    assert report.hit_at_1 is report.mrr_at_10 is report.highlight_at_1 is report.answered_rate is None
    (header,) = [line for line in table([report]).splitlines() if line.split()[:1] == ["mode"]]
    assert header.split() == ["mode", "abstained"], header


def test_a_narrow_tables_title_stays_on_one_line() -> None:
    """`qabot eval --calibrate` printed its sweep's title as "dev (hybrid):" and "QABOT_ANSWER_THRESHOLD", two lines:
    a title was wrapped to the width of the table under it."""
    from qabot.eval.reports import Calibration

    report = QAReport(name="dev", mode="hybrid", questions=2, answerable=1, unanswerable=1, hit_at_1=1.0, hit_at_3=1.0,
                      hit_at_5=1.0, mrr_at_10=1.0, highlight_at_1=1.0, answered_rate=1.0, abstention_rate=1.0,
                      seconds=0.1, calibration=[Calibration(threshold=0.7, answered_rate=1.0, abstention_rate=1.0)])
    assert calibration_table(report).splitlines()[:3] == ["dev (hybrid): QABOT_ANSWER_THRESHOLD", "",
                                                          " threshold   answered   abstained"]
    report = report.model_copy(update={"answerable": 0, "hit_at_1": None, "hit_at_3": None, "hit_at_5": None,
                                       "mrr_at_10": None, "highlight_at_1": None, "answered_rate": None})
    assert table([report]).splitlines()[:3] == ["dev: 0 answerable, 1 unanswerable questions", "",
                                                " mode     abstained"]


def test_a_report_named_by_a_hostile_file_prints_inert() -> None:
    name = "dev\x1b]0;PWN\x07\x9b2J\u202e"  # a report is named by its file: the name can hold escapes
    report = QAReport(name=name, mode="hybrid", questions=1, answerable=1, unanswerable=0, hit_at_1=1.0, hit_at_3=1.0,
                      hit_at_5=1.0, mrr_at_10=1.0, highlight_at_1=1.0, answered_rate=1.0, abstention_rate=None,
                      seconds=0.1)
    shown = table([report]) + calibration_table(report)
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown and "\u202e" not in shown
    assert "dev␛]0;PWN␇\\x9b2J\\u202e: 1 answerable" in shown and "dev␛]0;PWN␇\\x9b2J\\u202e: calibration" in shown


def test_the_progress_bar_names_a_hostile_file_inert(capsys, monkeypatch) -> None:
    from qabot.eval.runs import _progress
    from qabot.index.ingest import Bar

    monkeypatch.setattr(Bar, "PLAIN_SECONDS", 0.0)  # stderr is no terminal here: plain lines, each naming the file
    assert list(_progress(range(60), 60, "dev\x1b]0;PWN\x07\x9b2J\u202e (hybrid)", True)) == list(range(60))
    shown = capsys.readouterr().err
    assert "dev␛]0;PWN␇\\x9b2J\\u202e (hybrid)" in shown
    assert "\x1b]" not in shown and "\x07" not in shown and "\x9b" not in shown and "\u202e" not in shown


def _beir_folder(root: Path) -> Path:
    folder = root / "tiny-beir"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": key, "title": title, "text": text}) + "\n" for key, (title, text) in DOCS.items())
    )
    queries = [{"_id": "q1", "text": "molten rock from volcanoes"}, {"_id": "q2", "text": "rivers of ice"}]
    (folder / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queries))
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n")
    return folder


def test_beir_reports_every_mode_from_one_index(tmp_path, fake_embedder) -> None:
    settings = load_settings(_env_file=None, index_dir=tmp_path / "idx")
    reports = evaluate_beir(
        _beir_folder(tmp_path), settings, modes=("hybrid", "dense", "bm25"), progress=False, embedder=fake_embedder
    )
    assert [r.mode for r in reports] == ["hybrid", "dense", "bm25"]
    assert all(r.queries == 2 and r.documents == 3 and r.ndcg_at_10 == 1.0 for r in reports)
    assert len(list((tmp_path / "idx" / "eval").glob("tiny-beir-*/manifest.json"))) == 1
    assert "nDCG@10" in table(reports)


def test_evaluation_datasets_of_one_name_never_share_an_index_or_a_corpus(tmp_path, fake_embedder, caplog) -> None:
    """A dataset's index was eval/<name> and its corpus eval/<name>-corpus: a BEIR folder `dev` and a SQuAD file
    `dev.json` shared both, so `dev` was measured on the SQuAD paragraphs too (4 documents, not 3); a BEIR folder
    `x-corpus` built its index in `x`'s corpus folder, whose files `x` then read as documents (a warning a file);
    and two folders named `dev` took turns rebuilding one index. Each dataset has folders of its own now."""
    settings = load_settings(_env_file=None, index_dir=tmp_path / "idx")

    def beir(parent: str, name: str) -> Path:
        made = _beir_folder(tmp_path / parent)
        return made.rename(made.parent / name)

    def documents(folder: Path) -> int:
        [report] = evaluate_beir(folder, settings, progress=False, embedder=fake_embedder)
        return report.documents

    x, dev, squad = beir("a", "x"), beir("b", "dev"), tmp_path / "c" / "dev.json"
    squad.parent.mkdir()
    squad.write_text(json.dumps({"data": [{"title": "Penguins", "paragraphs": [{"context": "Penguins nest on ice.",
                     "qas": [{"id": "q", "question": "Where do penguins nest?", "answers": [{"text": "ice"}]}]}]}]}))
    assert documents(x) == 3 and documents(beir("d", "x-corpus")) == 3
    assert documents(dev) == 3 and evaluate_squad(squad, settings, progress=False, embedder=fake_embedder)[0].hit_at_1
    with (dev / "corpus.jsonl").open("a") as corpus:
        corpus.write(json.dumps({"_id": "d4", "title": "Moss", "text": "Moss grows on stones."}) + "\n")
    assert documents(dev) == 4
    other_dev = beir("e", "dev")
    caplog.clear()
    with caplog.at_level("WARNING"):
        assert (documents(x), documents(other_dev), documents(dev), documents(other_dev)) == (3, 3, 4, 3)
    assert not caplog.records, caplog.text  # nothing rebuilt, nothing read that is no document
    assert len(list((tmp_path / "idx" / "eval").glob("*/manifest.json"))) == 5  # x, x-corpus, dev, dev.json, dev


def test_an_index_folder_that_cannot_be_written_is_one_line_for_beir_and_squad(tmp_path, fake_embedder) -> None:
    """--beir and --squad write their corpus under the index folder: one with a file in its way (or read-only) gave
    "unexpected NotADirectoryError: [Errno 20] ..." from qabot eval; one line naming what sets the folder now."""
    from qabot.errors import IndexStoreError

    blocker = tmp_path / "notes.txt"
    blocker.write_text("not an index")
    settings = load_settings(_env_file=None, index_dir=blocker / "idx")
    squad = tmp_path / "squad.json"
    squad.write_text(json.dumps({"data": [{"title": "Lava", "paragraphs": [{"context": DOCS["d1"][1], "qas": [
        {"id": "q", "question": "What does lava cool into?", "answers": [{"text": "basalt"}]}]}]}]}))
    for run in (lambda: evaluate_beir(_beir_folder(tmp_path), settings, progress=False, embedder=fake_embedder),
                lambda: evaluate_squad(squad, settings, progress=False, embedder=fake_embedder)):
        with pytest.raises(IndexStoreError, match=re.escape(f"a file is there, where a folder should be ({blocker}; "
                                                            "the index folder: --index or QABOT_INDEX_DIR)") + "$"):
            run()
    assert blocker.read_text() == "not an index"


def test_a_beir_folder_named_dot_dot_gets_its_own_index_not_the_corpus_index(make_corpus, tmp_path, monkeypatch,
                                                                             fake_embedder) -> None:
    """`qabot eval --beir ..` (run from the folder's qrels/) named its index eval/.. , the index of the configured
    corpus: the BEIR corpus replaced that corpus there ("corpus files added corpus.jsonl; removed a.txt"), and the
    report was named "..". It is named by the folder it is now, under eval/, as any other BEIR folder (and a SQuAD
    file whose name makes "..", under eval/ too)."""
    corpus = make_corpus({"a.txt": "Trotsky lived in Coyoacán, Mexico, from 1937.\n"})
    settings = load_settings(_env_file=None, corpus_dir=corpus, index_dir=tmp_path / "idx")
    from qabot import QABot

    QABot.from_settings(settings, embedder=fake_embedder, progress=False).close()
    monkeypatch.chdir(_beir_folder(tmp_path) / "qrels")
    [report] = evaluate_beir(Path(".."), settings, progress=False, embedder=fake_embedder)
    assert (report.name, report.documents) == ("tiny-beir", 3)
    assert len(list((tmp_path / "idx" / "eval").glob("tiny-beir-*/manifest.json"))) == 1
    squad = tmp_path / "...json"  # a SQuAD file is named by its stem: ".."
    squad.write_text(json.dumps({"data": [{"title": "Lava", "paragraphs": [{"context": DOCS["d1"][1], "qas": [
        {"id": "q", "question": "What does lava cool into?", "answers": [{"text": "basalt"}]}]}]}]}))
    [report] = evaluate_squad(squad, settings, progress=False, embedder=fake_embedder)
    assert report.hit_at_1 == 1.0
    bot = QABot.from_settings(settings, embedder=fake_embedder, progress=False, notify=pytest.fail)
    assert [s.source for s in bot.sources()] == ["a.txt"]  # opened as it was left: nothing to update
    bot.close()


@pytest.mark.parametrize(("file", "text", "error"), [
    ("queries.jsonl", '{"_id": "q1", "text": "lava"}\n{"_id": "q2" "text": "ice"}\n', "line 2 is not JSON: "),
    ("queries.jsonl", '{"_id": "q1", "query": "lava"}\n', 'line 1 is not a query: {"_id": ..., "text": "..."}'),
    ("queries.jsonl", '["q1", "lava"]\n', 'line 1 is not a query: {"_id": ..., "text": "..."}'),
    ("qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1.0\n", "line 2: the score '1.0' is not a whole number"),
    # Separated by spaces (TREC's way), every line was skipped: 0 queries, nDCG 0.0, and success.
    ("qrels/test.tsv", "query-id corpus-id score\nq1 d1 1\n", "line 1 is not query-id<TAB>corpus-id<TAB>score"),
    ("qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\n", "line 3 is not query-id<TAB>corpus-id"),
    ("qrels/test.tsv", "query-id\tcorpus-id\tscore\n\n", "holds no relevance judgements"),
    # A stray quote swallowed the lines after it into one field: skipped, or, past 128 KB, "unexpected Error".
    ("qrels/test.tsv", 'query-id\tcorpus-id\tscore\nq1\t"d1\t1\n' + "q2\td2\t1\n" * 20000,
     "line 2 is not query-id<TAB>corpus-id<TAB>score"),
    ("qrels/test.tsv", 'query-id\tcorpus-id\tscore\nq1\t"' + "d" * 200_000 + '"\t1\n', "line 2: field larger than"),
])
def test_a_bad_beir_file_is_named_with_its_line(tmp_path, file, text, error) -> None:
    from qabot import QABotError

    folder = _beir_folder(tmp_path)
    (folder / file).write_text(text, encoding="utf-8")
    with pytest.raises(QABotError, match=f"^{re.escape(f'{folder / file} {error}')}"):
        evaluate_beir(folder, load_settings(_env_file=None, index_dir=tmp_path / "idx"), progress=False)


@pytest.mark.parametrize(("text", "error"), [("  ", "the question is empty"), ("x" * 3000, "the question is too long")])
def test_a_beir_query_that_cannot_be_asked_is_named(tmp_path, fake_embedder, text, error) -> None:
    """It said "Error: the question is empty" (or too long: ArguAna's queries are whole arguments), and not which
    of the file's hundreds of queries it was."""
    from qabot import QuestionError

    folder = _beir_folder(tmp_path)
    (folder / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "lava"}) + "\n"
                                          + json.dumps({"_id": "q2", "text": text}) + "\n", encoding="utf-8")
    with pytest.raises(QuestionError, match=f"^{re.escape(str(folder / 'queries.jsonl'))} query 'q2': {error}"):
        evaluate_beir(folder, load_settings(_env_file=None, index_dir=tmp_path / "idx"), progress=False,
                      embedder=fake_embedder)


def test_beir_files_with_a_bom_and_crlf_read(tmp_path) -> None:
    from qabot.eval import read_qrels, read_queries

    folder = _beir_folder(tmp_path)
    (folder / "qrels" / "test.tsv").write_bytes(b"\xef\xbb\xbfquery-id\tcorpus-id\tscore\r\nq1\td1\t2\r\n")
    (folder / "queries.jsonl").write_bytes(b'\xef\xbb\xbf{"_id": "q1", "text": "lava"}\r\n')
    assert read_qrels(folder / "qrels" / "test.tsv") == {"q1": {"d1": 2}}
    assert read_queries(folder / "queries.jsonl") == {"q1": "lava"}


def test_squad_mode(tmp_path, fake_embedder) -> None:
    squad = {
        "version": "v2.0",
        "data": [
            {
                "title": "Rivers_of_Europe",
                "paragraphs": [
                    {
                        "context": "The Rhine rises in the Swiss Alps and flows into the North Sea.",
                        "qas": [
                            {"id": "a", "question": "Where does the Rhine rise?", "answers": [{"text": "Swiss Alps"}]},
                            {"id": "b", "question": "Who swam the Rhine?", "answers": [], "is_impossible": True},
                        ],
                    },
                    {
                        "context": "The Danube flows through ten countries to the Black Sea.",
                        "qas": [{"id": "c", "question": "Where does the Danube end?", "answers": [{"text": "Black Sea"}]}],
                    },
                ],
            }
        ],
    }
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(squad))
    items = squad_items(path, tmp_path / "out.jsonl")
    assert [(i.id, i.answers, i.docs) for i in items] == [
        ("a", ["Swiss Alps"], ["Rivers_of_Europe#0"]),
        ("b", [], ["Rivers_of_Europe#0"]),
        ("c", ["Black Sea"], ["Rivers_of_Europe#1"]),
    ]
    corpus = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert corpus[0] == {"_id": "Rivers_of_Europe#0", "title": "Rivers of Europe", "text": squad["data"][0]["paragraphs"][0]["context"]}
    settings = load_settings(_env_file=None, index_dir=tmp_path / "idx")
    (report,) = evaluate_squad(path, settings, progress=False, embedder=fake_embedder)
    assert report.hit_at_1 == 1.0 and report.doc_hit_at_1 == 1.0 and report.answerable == 2


@pytest.mark.parametrize(("qa", "error"), [
    ({"id": "a", "question": "Where?", "answers": [{"answer": "Alps"}]}, "'text' is missing"),
    ({"id": 7, "question": "Where?", "answers": []}, "a question's 'id': Input should be a valid string"),
])
def test_a_bad_squad_file_is_one_line(tmp_path, qa, error) -> None:
    from qabot import QABotError

    path = tmp_path / "squad.json"
    path.write_text(json.dumps({"data": [{"title": "T", "paragraphs": [{"context": "The Alps.", "qas": [qa]}]}]}))
    with pytest.raises(QABotError, match=f"^{re.escape(f'{path} is not a SQuAD file: {error}')}"):
        squad_items(path, tmp_path / "out.jsonl")


def test_a_squad_file_of_another_shape_is_one_line(tmp_path) -> None:
    from qabot import QABotError

    path = tmp_path / "squad.json"
    path.write_text("[1, 2]")  # was "unexpected TypeError: list indices must be integers or slices, not str"
    with pytest.raises(QABotError, match=f"^{re.escape(f'{path} is not a SQuAD file: ')}"):
        squad_items(path, tmp_path / "out.jsonl")


@pytest.mark.parametrize(("content", "error"), [
    (b"[1, 2]", 'its top is not an object with a "data" list of articles'),
    (b'{"version": "1.1"}', "'data' is missing"),
    (b'{"data": "x"}', 'its top is not an object with a "data" list of articles'),
    (b'{"data": [\xef\xbb\x00]}', "it is not UTF-8 text (invalid continuation byte)"),
])
def test_a_squad_file_of_another_shape_says_what_is_wrong_in_words(tmp_path, content, error) -> None:
    """The file's top said what Python said: "'data'" (a KeyError's repr), "list indices must be integers or slices,
    not str", "'utf-8' codec can't decode byte 0xef in position 2: ...". It says what is wrong with the file."""
    from qabot import QABotError

    path = tmp_path / "squad.json"
    path.write_bytes(content)
    with pytest.raises(QABotError) as raised:
        squad_items(path, tmp_path / "out.jsonl")
    assert str(raised.value) == f"{path} is not a SQuAD file: {error}"


def test_a_squad_file_of_no_questions_is_one_line_not_an_empty_report(tmp_path) -> None:
    """Paragraphs with no questions (or no articles) were a report of nothing, and success; a QA file of no
    questions is an error, and so is this, before anything is indexed."""
    from qabot import QABotError

    path = tmp_path / "squad.json"
    path.write_text(json.dumps({"data": [{"title": "T", "paragraphs": [{"context": "The Alps.", "qas": []}]}]}))
    with pytest.raises(QABotError, match=f"^{re.escape(f'{path} holds no questions')}"):
        squad_items(path, tmp_path / "out.jsonl")
    assert not (tmp_path / "out.jsonl").exists()


def test_beir_qrels_that_name_no_query_are_an_error_not_a_score_of_zero(tmp_path, fake_embedder) -> None:
    from qabot import QABotError

    folder = _beir_folder(tmp_path)
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nQ-OTHER\td1\t1\n")  # "nDCG@10 0.000"
    settings = load_settings(_env_file=None, corpus_dir=tmp_path, index_dir=tmp_path / "index")
    with pytest.raises(QABotError, match="no query of .*test.tsv is in .*queries.jsonl"):
        evaluate_beir(folder, settings, embedder=fake_embedder, progress=False)


@pytest.mark.parametrize("where", ["lite", "lite file of its own"])  # the second: a guard, fine before too
def test_eval_never_writes_into_the_deployments_milvus_collection(tmp_path, fake_embedder, where) -> None:
    """docs/scale.md has a deployment name its collection: `qabot eval --beir` built the BEIR corpus into it, and its
    replicas served that instead of the deployment's files until the indexing job ran again."""
    pytest.importorskip("pymilvus", reason="the milvus extra is not installed")
    pytest.importorskip("milvus_lite", reason="Milvus Lite is not installed")
    from tests.conftest import make_bot

    corpus = tmp_path / "prod-docs"
    corpus.mkdir()
    (corpus / "handbook.txt").write_text("Production handbook: the on-call rota changes on Mondays.\n")
    milvus = {"vector_store": "milvus", "milvus_uri": str(tmp_path / "shared.db"), "milvus_collection": "prod"}
    if where == "lite file of its own":
        milvus["milvus_uri"] = None  # <index_dir>/milvus.db
    make_bot(corpus, tmp_path / "prod-index", fake_embedder, watch=False, **milvus).close()
    settings = load_settings(_env_file=None, corpus_dir=corpus, index_dir=tmp_path / "prod-index", **milvus)
    evaluate_beir(_beir_folder(tmp_path), settings, embedder=fake_embedder, progress=False)
    replica = make_bot(corpus, tmp_path / "replica", fake_embedder, watch=False, milvus_read_only=True,
                       **{**milvus, "milvus_uri": milvus["milvus_uri"] or str(tmp_path / "prod-index" / "milvus.db")})
    try:
        assert set(replica.manifest.files) == {"handbook.txt"}
    finally:
        replica.close()


def test_qabot_eval_command(make_corpus, tmp_path) -> None:
    corpus = make_corpus({f"{key}.txt": text for key, (_, text) in DOCS.items()})
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "1", "question": "What does lava cool into?", "answers": ["basalt"]}) + "\n")
    env = {**os.environ, "QABOT_CORPUS_DIR": str(corpus), "QABOT_INDEX_DIR": str(tmp_path / "idx")}
    run = subprocess.run([*FAKE_QABOT, "eval", str(questions), "--mode", "all", "--json"], capture_output=True, text=True,
                         timeout=300, env=env)
    assert run.returncode == 0, run.stderr
    reports = json.loads(run.stdout)
    assert [r["mode"] for r in reports] == ["hybrid", "dense", "bm25"]
    assert reports[0]["hit_at_1"] == 1.0
    usage = subprocess.run([*FAKE_QABOT, "eval"], capture_output=True, text=True, timeout=60, env=env)
    assert usage.returncode != 0 and "exactly one of" in usage.stderr


def test_an_eval_option_that_does_not_apply_is_refused_in_one_line(tmp_path) -> None:
    """`qabot eval FILE --limit 5` asked every question, `--beir DIR --calibrate` showed no threshold sweep, and
    `--split dev` outside BEIR did nothing, each without a word; they are usage errors now, as two inputs at once are."""
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "1", "question": "What does lava cool into?", "answers": ["basalt"]}) + "\n")
    beir = str(_beir_folder(tmp_path))
    cases = {(str(questions), "--limit", "5"): "--limit applies to --squad only",
             ("--beir", beir, "--limit", "5"): "--limit applies to --squad only",
             ("--beir", beir, "--calibrate"): "--calibrate needs questions with answers (FILE or --squad), not --beir",
             (str(questions), "--split", "dev"): "--split applies to --beir only"}
    env = {**os.environ, "QABOT_INDEX_DIR": str(tmp_path / "idx")}
    for args, says in cases.items():
        run = subprocess.run([*FAKE_QABOT, "eval", *args], capture_output=True, text=True, timeout=60, env=env)
        assert run.returncode == 2, (args, run.stdout)
        assert run.stderr == f"Error: {says} (see 'qabot eval --help')\n", args
    assert not (tmp_path / "idx").exists()  # refused before anything was built


@pytest.mark.parametrize(("lines", "error"), [
    ("", "holds no questions"),  # an empty file was a table of zeros, and success
    ('{"id": "x"}\n', "line 1 is not an evaluation item: 'question': Field required"),
    ('{"id": "x", "question": "Who?", "answers": "Mercader"}\n', "line 1 is not an evaluation item: 'answers': "),
    ('{"id": "a", "question": "Who?"}\n{"id": "b", "question": "  "}\n', "line 2: the question is empty"),
    ('{"id": "a", "question": "Who?", "answers": [""]}\n', "line 1: the answers are empty"),  # was a miss, always
    ('{"id": "a", "question": "Who?", "answers": ["\u00b4"]}\n', "line 1: the answers are empty"),  # was a hit, always
    ('{"question": "Who?", "answer_message_id": "3266"}\n', "line 1: an answer_message_id needs answers too"),
    ('{"id": "a", "question": "Who?"}\n' + json.dumps({"id": "b", "question": "x" * 5000}) + "\n",
     "line 2: the question is too long"),
    # Read, these counted every such question as a miss at message@1 or page@1, silently.
    ('{"question": "Who?", "answers": ["Ben"], "answer_message_id": "not-a-message"}\n',
     "line 1 is not an evaluation item: 'answer_message_id': String should match pattern"),
    ('{"question": "Who?", "answers": ["Ben"], "page": 0}\n', "line 1 is not an evaluation item: 'page': Input should"),
])
def test_a_bad_question_file_is_named_with_its_line(make_corpus, fake_bot_for, tmp_path, lines, error) -> None:
    from qabot import QABotError
    from qabot.eval import evaluate_items
    from qabot.eval.datasets import load_items

    questions = tmp_path / "q.jsonl"
    questions.write_text(lines, encoding="utf-8")
    bot = fake_bot_for(make_corpus({"a.txt": "Natalia Sedova was married to Leon Trotsky.\n"}))
    with pytest.raises(QABotError, match=f"^{re.escape(f'{questions} {error}')}"):
        evaluate_items(bot, load_items(questions))


def test_an_answer_message_id_written_as_a_number_reads_as_its_text(tmp_path) -> None:
    from qabot import QABotError
    from qabot.eval.datasets import load_items

    # Discord's ids as JSON numbers (Python reads them whole; 64 bits is past a double's 53, not an int's).
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps({"question": "Who?", "answers": ["Ben"], "answer_message_id": value})
                                    for value in (1218000000000000001, "1218000000000000002", None)), encoding="utf-8")
    assert [i.answer_message_id for i in load_items(questions)] == ["1218000000000000001", "1218000000000000002", None]
    questions.write_text(json.dumps({"question": "Who?", "answers": ["Ben"], "answer_message_id": 1.5}))
    with pytest.raises(QABotError, match="line 1 is not an evaluation item: 'answer_message_id': Input should be"):
        load_items(questions)


def test_a_question_file_from_notepad_or_a_feedback_export_reads_whole(tmp_path) -> None:
    from qabot.eval.datasets import load_items

    # A BOM and CRLF (Windows), and a question holding U+2028 and NEL, which JSON leaves raw and
    # `feedback export` writes as they were asked: each line is still one item.
    asked = "Who wrote this?\u2028Thanks \x85 in advance"
    questions = tmp_path / "q.jsonl"
    questions.write_bytes(b"\xef\xbb\xbf" + "\r\n".join([
        json.dumps({"id": "a", "question": "Who?", "answers": ["Mercader"]}),
        json.dumps({"id": "b", "question": asked, "answers": []}, ensure_ascii=False),
    ]).encode() + b"\r\n")
    assert [(i.id, i.question) for i in load_items(questions)] == [("a", "Who?"), ("b", asked)]


def test_a_field_qabot_eval_does_not_read_is_named(tmp_path, caplog) -> None:
    from qabot.eval.datasets import load_items

    questions = tmp_path / "q.jsonl"
    questions.write_text("".join(json.dumps(item) + "\n" for item in [
        {"question": "Who killed Trotsky?", "answers": ["Mercader"]},
        {"question": "Who?", "answer": ["Mercader"], "doc": "a.txt"},  # misspelt: read as unanswerable
        {"question": "Why?", "answers": [], "review": True, "feedback": {"asked": 2}},  # as feedback export writes
    ]), encoding="utf-8")
    assert len(load_items(questions)) == 3
    (warning,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warning.startswith(f"{questions}: fields qabot eval does not read, ignored: 'answer' (line 2), 'doc' (line 2)")


@pytest.mark.xfail(strict=True, reason="no engine lists the message ids it holds (a paragraph's url): the check "
                                      "needs a lookup in both engines (embedded and Milvus)")
def test_an_answer_message_id_the_index_holds_no_message_of_is_named(make_corpus, tmp_path, fake_embedder,
                                                                     caplog) -> None:
    """A mistyped (or another server's) answer_message_id counted its question as a miss at message@1, without a
    word: the report's message@1 fell, and nothing said which line named no message of the index."""
    corpus = make_corpus({"a.txt": "Natalia Sedova was married to Leon Trotsky.\n"})
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"question": "Who was Natalia Sedova married to?", "answers": ["Trotsky"],
                                     "answer_message_id": "1218000000000000001"}) + "\n", encoding="utf-8")
    settings = load_settings(_env_file=None, corpus_dir=corpus, index_dir=tmp_path / "idx")
    (report,) = evaluate_file(questions, settings, progress=False, embedder=fake_embedder)
    assert report.message_at_1 == 0.0
    assert any(r.levelname == "WARNING" and f"{questions} line 1" in r.getMessage()
               and "1218000000000000001" in r.getMessage() for r in caplog.records)


def test_a_question_file_that_is_not_utf8_is_named_with_its_line(tmp_path) -> None:
    from qabot import QABotError
    from qabot.eval.datasets import load_items

    questions = tmp_path / "q.jsonl"
    questions.write_bytes(b'{"question": "Who?"}\n{"question": "Caf\xe9?"}\n')  # Latin-1 on line 2
    with pytest.raises(QABotError, match=f"^{re.escape(str(questions))} line 2 is not UTF-8 text"):
        load_items(questions)
    with pytest.raises(QABotError, match=f"^cannot read {re.escape(str(tmp_path))}: Is a directory$"):
        load_items(tmp_path)


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.parametrize("backend", ["auto", "torch"])
def test_dev_set_meets_the_targets(tmp_path, monkeypatch, backend: str) -> None:
    """The targets of the quality issue, measured through the library API on ../shared/eval.

    On the default backend (onnx when the extra is installed) and on torch.
    """
    if not (SHARED_EVAL / "dev.jsonl").exists():
        pytest.skip("../shared/eval/dev.jsonl is not here")
    monkeypatch.setenv("QABOT_EMBEDDING_BACKEND", backend)
    settings = load_settings(_env_file=None, corpus_dir=DEFAULT_CORPUS, index_dir=tmp_path / "idx")
    (dev,) = evaluate_file(SHARED_EVAL / "dev.jsonl", settings, progress=False)
    assert dev.hit_at_1 >= 0.90 and dev.hit_at_5 >= 0.98
    assert dev.highlight_at_1 >= 0.80
    assert dev.abstention_rate == 1.0  # every unrelated question abstains
    assert dev.answered_rate >= 0.95
    (followups,) = evaluate_file(SHARED_EVAL / "dev_followups.jsonl", settings, progress=False)
    assert followups.hit_at_3 == 1.0


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.parametrize("variant", ["as exported", "mentions", "no replies"])
def test_chat_dev_meets_the_targets(tmp_path, variant: str) -> None:
    """The conversation issue's targets on ../shared/eval/chat-dev, default backend, through the library API.

    Also on two copies of its exports: one where every message that opens with a name ("ana: ...") opens with a
    Discord mention instead ("@ana ...", the mention recorded as DiscordChatExporter writes it), as on a Discord
    server; one without Discord's reply links, so that the result does not rest on them.
    """
    chat = SHARED_EVAL / "chat-dev"
    if not (chat / "questions.jsonl").exists():
        pytest.skip("../shared/eval/chat-dev is not here")
    corpus = chat / "corpus"
    if variant != "as exported":
        corpus = tmp_path / "corpus"
        corpus.mkdir()
        for export in sorted((chat / "corpus").glob("*.json")):
            (corpus / export.name).write_text(json.dumps(_as_discord(json.loads(export.read_text(encoding="utf-8")),
                                                                     mentions=variant == "mentions")))
    # In its own process, as a user runs it: the model and the index stay out of pytest's memory, which the
    # reader-limit tests' children would otherwise inherit as their peak (Linux keeps ru_maxrss across exec).
    run = subprocess.run([sys.executable, "-m", "qabot", "--corpus", str(corpus), "--index",
                          str(tmp_path / "idx"), "eval", str(chat / "questions.jsonl"), "--json"],
                         capture_output=True, text=True, timeout=600, env={**os.environ, "QABOT_EMBEDDING_BACKEND": "auto"})
    assert run.returncode == 0, run.stderr
    (report,) = json.loads(run.stdout)
    assert report["hit_at_1"] >= 0.70 and report["hit_at_5"] >= 0.90
    assert report["message_at_1"] is not None and report["message_at_1"] >= 0.65
    assert report["answered_rate"] >= 0.90 and report["abstention_rate"] >= 0.75
    if variant == "as exported":
        # The same questions in other words (tests/data/reworded), on the same index. The answering message is
        # found less often (0.600 against the 0.65 target, docs/quality.md): this floor only guards against a fall.
        run = subprocess.run([sys.executable, "-m", "qabot", "--corpus", str(corpus), "--index",
                              str(tmp_path / "idx"), "eval", str(REWORDED / "chat-dev.jsonl"), "--json"],
                             capture_output=True, text=True, timeout=600,
                             env={**os.environ, "QABOT_EMBEDDING_BACKEND": "auto"})
        assert run.returncode == 0, run.stderr
        (reworded,) = json.loads(run.stdout)
        assert reworded["hit_at_1"] >= 0.70 and reworded["hit_at_5"] >= 0.90
        assert reworded["message_at_1"] >= 0.55
        assert reworded["answered_rate"] >= 0.90 and reworded["abstention_rate"] >= 0.75


_OPENING_NAME = re.compile(r"^\s*([^\s:,]+)[:,]\s+")


def _as_discord(export: dict, mentions: bool) -> dict:
    """An export with its openings by name written as Discord mentions (``mentions``), or without reply links."""
    users = {message["author"].get("nickname") or message["author"]["name"]: message["author"]
             for message in export["messages"]}
    for message in export["messages"]:
        if not mentions:
            message.pop("reference", None)
            message["type"] = "Default" if message["type"] == "Reply" else message["type"]
            continue
        text, names = message["content"], []
        while (opening := _OPENING_NAME.match(text)) and opening.group(1) in users:
            names.append(opening.group(1))
            text = text[opening.end() :]
        if names:
            message["content"] = " ".join(f"@{name}" for name in names) + " " + text
            message["mentions"] = [users[name] for name in names]
    return export
