"""The benchmark harness, run tiny on the fake embedder: every figure is there, and the re-index re-embeds one document.

Timings are not asserted here (they belong to the benchmark); the shape and the
behaviour the figures rest on are.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qabot import bench
from qabot.bench.report import BenchReport
from qabot.bench.synthetic import SyntheticEmbedder
from qabot.cli import cli

DOCS = [
    ("d1", "Vitamin D", "Vitamin D supplements increased bone density in elderly women over two years."),
    ("d2", "Statins", "Statin therapy lowered LDL cholesterol and reduced cardiovascular events."),
    ("d3", "Sleep", "Short sleep duration was associated with higher body mass index in adolescents."),
    ("d4", "Malaria", "Artemisinin combination therapy cured uncomplicated malaria in most children."),
    ("d5", "Smoking", "Smoking cessation reduced the risk of lung cancer within ten years."),
    ("d6", "Exercise", "Aerobic exercise improved memory scores in older adults with mild impairment."),
]


@pytest.fixture
def beir_folder(tmp_path):
    folder = tmp_path / "tinybeir"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n" for i, t, x in DOCS), encoding="utf-8"
    )
    questions = {"q1": "Does vitamin D help bones?", "q2": "Does quitting smoking reduce cancer?", "q3": "Malaria cure"}
    (folder / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": q, "text": t}) + "\n" for q, t in questions.items()), encoding="utf-8"
    )
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td5\t1\nq3\td4\t1\n")
    return folder


@pytest.fixture
def dev_file(tmp_path):
    path = tmp_path / "dev.jsonl"
    items = [
        {"id": "a", "question": "Who killed Trotsky?", "answers": ["Mercader"]},
        {"id": "b", "question": "Where did Trotsky live?", "answers": ["Coyoac"]},
    ]
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


def test_a_tiny_run_reports_every_figure(make_corpus, beir_folder, dev_file, tmp_path, fake_embedder) -> None:
    corpus = make_corpus({
        "trotsky.txt": "Leon Trotsky lived in Coyoacán.\n\nRamón Mercader killed him with an ice axe in 1940.\n"
    })
    report = bench.run(
        corpus_dir=corpus, dev=dev_file, scifact=beir_folder, work=tmp_path / "work", runs=2, backends=("torch",),
        default_backend="torch", query_limit=3, cold=False, embedders={"torch": fake_embedder}, progress=False,
        live_edits=1, memory=False, living_burst=2, living_settle=0.0,
    )
    assert [(q.corpus, q.backend) for q in report.query] == [("default", "torch"), ("tinybeir", "torch")]
    for q in report.query:
        assert q.questions == (2 if q.corpus == "default" else 3)
        assert q.embed.p50_ms <= q.embed.p95_ms and q.ask.p50_ms <= q.ask.p95_ms
    (build,) = report.build
    assert build.passages == len(DOCS)
    # The edited document is the only one embedded again.
    assert build.reembedded == build.document_passages == 1
    (quality,) = report.quality
    assert quality.dev_hit_at_1 == 1.0  # two easy questions about a two-sentence corpus
    assert 0.5 < quality.scifact_ndcg_at_10 <= 1.0
    assert len(report.machine.load_before) == 3
    # The corpus on disk is back as it was after the re-index measurement.
    assert (tmp_path / "work" / "tinybeir-corpus" / "corpus.jsonl").read_text() == (beir_folder / "corpus.jsonl").read_text()
    (live,) = report.live  # an edit made while a watching bot answered was served, and nothing failed
    assert live.edits == 1 and live.errors == 0 and live.questions > 0
    assert live.served_s >= live.rebuild_s > 0
    assert [r.files for r in report.living] == [1, len(DOCS)]  # a tenth of the corpus, and all of it
    assert all(r.errors == 0 and r.questions > 0 and 0 < r.served_s <= r.served_max_s and r.burst_last_s > 0
               for r in report.living)
    text = bench.table(report)
    assert "query latency" in text and "index build" in text and "tinybeir" in text and "living index" in text
    assert BenchReport.model_validate_json(report.model_dump_json()) == report


def test_missing_eval_data_is_noted_not_fatal(make_corpus, tmp_path, fake_embedder) -> None:
    corpus = make_corpus({"a.txt": "Leon Trotsky lived in Coyoacán, Mexico, from 1937."})
    report = bench.run(
        corpus_dir=corpus, dev=None, scifact=tmp_path / "nowhere", work=tmp_path / "work", runs=1,
        backends=("torch",), default_backend="torch", query_limit=2, cold=False, embedders={"torch": fake_embedder},
        progress=False, memory=False,
    )
    assert len(report.query) == 1 and not report.build
    # Each note says where the data was looked for, and which option points elsewhere: a clone has no ../shared/eval/.
    where = tmp_path / "nowhere" / "corpus.jsonl"
    assert any(note.startswith(f"SciFact not found at {where} (--scifact DIR") for note in report.notes), report.notes
    assert any(note.startswith("no dev file (--dev FILE)") for note in report.notes), report.notes


def test_the_bench_never_writes_into_the_deployments_milvus_collection(make_corpus, tmp_path, monkeypatch,
                                                                      fake_embedder) -> None:
    """In a deployment's container (compose's env_file puts .env in the environment), `qabot bench` built its corpus
    into QABOT_MILVUS_COLLECTION, and the deployment's replicas served it; its figures were Milvus's, not FAISS's."""
    pytest.importorskip("pymilvus", reason="the milvus extra is not installed")
    pytest.importorskip("milvus_lite", reason="Milvus Lite is not installed")
    from tests.conftest import make_bot

    production = make_corpus({"handbook.txt": "Production handbook: the on-call rota changes on Mondays.\n"})
    milvus = {"vector_store": "milvus", "milvus_uri": str(tmp_path / "shared.db"), "milvus_collection": "prod"}
    make_bot(production, tmp_path / "prod-index", fake_embedder, watch=False, **milvus).close()
    for name, value in milvus.items():
        monkeypatch.setenv(f"QABOT_{name.upper()}", value)
    benched = tmp_path / "bench-corpus"
    benched.mkdir()
    (benched / "cats.txt").write_text("Cats purr when content. Dogs bark at strangers.\n")
    bench.run(corpus_dir=benched, dev=None, scifact=None, work=tmp_path / "work", runs=1, backends=("torch",),
              default_backend="torch", embedders={"torch": fake_embedder}, cold=False, live=False, living=False,
              memory=False, progress=False)
    replica = make_bot(production, tmp_path / "replica", fake_embedder, watch=False, milvus_read_only=True, **milvus)
    try:
        assert set(replica.manifest.files) == {"handbook.txt"}
    finally:
        replica.close()
    assert list((tmp_path / "work").rglob("manifest.json"))  # the bench's own index, in its folder


def test_figures_missing_from_a_clone_show_as_missing_not_as_none_or_zero(make_corpus, tmp_path, fake_embedder) -> None:
    """`qabot bench` in a clone (no ../shared/eval/): no build was timed, so there is no build speedup (it showed
    0.0), and the quality table's missing figures show as '-', as every other table's do (they showed 'None')."""
    corpus = make_corpus({"a.txt": "Leon Trotsky lived in Coyoacán, Mexico, from 1937."})
    report = bench.run(
        corpus_dir=corpus, dev=None, scifact=tmp_path / "nowhere", work=tmp_path / "work", runs=1,
        backends=("onnx", "torch"), default_backend="onnx", query_limit=2, cold=False,
        embedders={"onnx": fake_embedder, "torch": fake_embedder}, progress=False, memory=False,
    )
    assert report.backends is not None and report.backends.build_embed_speedup is None
    text = bench.table(report)
    assert "None" not in text, text
    lines = text.splitlines()
    title = lines.index("quality")  # then a blank line, the header, its rule and a row per backend
    assert [row.split() for row in lines[title + 4 : title + 6]] == [["onnx", "-", "-"], ["torch", "-", "-"]]


def test_a_missing_peer_or_milvus_is_noted_before_the_run_not_fatal_after_it(
    make_corpus, beir_folder, tmp_path, fake_embedder, monkeypatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "txtai", None)  # not installed: importing it raises ImportError
    monkeypatch.setitem(sys.modules, "pymilvus", None)
    corpus = make_corpus({"a.txt": "Leon Trotsky lived in Coyoacán, Mexico, from 1937."})
    report = bench.run(
        corpus_dir=corpus, dev=None, scifact=beir_folder, work=tmp_path / "work", runs=1, backends=("torch",),
        default_backend="torch", query_limit=2, cold=False, embedders={"torch": fake_embedder}, progress=False,
        memory=False, live=False, living=False, peer=True,
    )
    assert report.peer is None and len(report.query) == 2  # what was measured is kept
    assert any(note.startswith("txtai is not installed (pip install -e '.[bench]')") for note in report.notes)
    scale = bench.run_scale_only(1000, ["Flat"], tmp_path / "scale", progress=False, engines=("faiss", "milvus"))
    assert [r.engine for r in scale.scale] == ["faiss"]
    assert any(note.startswith("pymilvus is not installed (pip install -e '.[milvus]')") for note in scale.notes)


def test_a_cut_scifact_is_scored_against_the_documents_it_holds(beir_folder, tmp_path) -> None:
    from qabot.bench.corpora import beir_corpus

    qrels = beir_folder / "qrels" / "test.tsv"
    qrels.write_text(qrels.read_text() + "q1\td6\t1\n")  # q1's second relevant abstract is the last one
    cut = beir_corpus(beir_folder, tmp_path / "work", limit=5)
    # A perfect ranking of the five abstracts scores 1: d6 is not in them, so it cannot count against q1.
    assert cut.qrels == {"Does vitamin D help bones?": {"d1": 1}, "Does quitting smoking reduce cancer?": {"d5": 1},
                         "Malaria cure": {"d4": 1}}
    assert beir_corpus(beir_folder, tmp_path / "whole").qrels["Does vitamin D help bones?"] == {"d1": 1, "d6": 1}


def test_synthetic_vectors_are_unit_length_and_spans_follow_their_passage() -> None:
    import numpy as np

    model = SyntheticEmbedder()
    vectors, spans = model.embed_with_spans(["a", "b", "c"], [[(0, 1)], [(0, 1), (1, 2)], [(0, 1)] * 3])
    assert vectors.shape == (3, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert [s.shape[0] for s in spans] == [1, 2, 3]
    assert min(float(s @ v) for v, group in zip(vectors, spans, strict=True) for s in group) > 0.8


def test_bench_command_is_registered_and_validates_options() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["bench", "--help"])
    assert result.exit_code == 0 and "--scale" in result.output and "--peer" in result.output
    result = runner.invoke(cli, ["bench", "--scale-only"])
    assert result.exit_code != 0 and "--scale" in result.output


@pytest.mark.parametrize(("options", "says"), [
    (["--formats", "{folder}", "--formats-only", "--scale", "1000"], "--scale does not apply to --formats-only"),
    (["--scale", "1000", "--scale-only", "--formats", "{folder}", "--formats-only"],
     "give --scale-only or --formats-only, not both"),
    (["--scale", "1000", "--scale-only", "--formats", "{folder}"], "--formats does not apply to --scale-only"),
    (["--scale", "1000", "--scale-only", "--peer"], "--peer does not apply to --scale-only"),
    (["--formats", "{folder}", "--formats-only", "--no-live"], "--no-live does not apply to --formats-only"),
    (["--factory", "Flat"], "--factory applies to --scale only"),
    (["--engine", "milvus", "--runs", "1"], "--engine applies to --scale only"),
    (["--scale", "1000", "--milvus-uri", "http://milvus:19530"], "--milvus-uri applies to --engine milvus only"),
    (["--scale", "1000", "--scale-only", "--engine", "faiss", "--milvus-uri", "http://milvus:19530"],
     "--milvus-uri applies to --engine milvus only"),
])
def test_a_bench_option_that_does_not_apply_is_refused_in_one_line(tmp_path, monkeypatch, options, says) -> None:
    """`qabot bench --formats-only --scale N` timed the readers alone, `--scale-only --formats-only` built the
    passages alone, `--factory`/`--engine` without `--scale` and `--milvus-uri` without `--engine milvus` changed
    nothing, each without a word; they are usage errors now, as `qabot eval`'s are, and nothing is measured."""
    _unmeasured(monkeypatch)
    (tmp_path / "formats").mkdir()
    typed = [option.format(folder=tmp_path / "formats") for option in options]
    result = CliRunner().invoke(cli, ["bench", *typed, "--work", str(tmp_path / "work"),
                                      "--out", str(tmp_path / "report.json")], prog_name="qabot")
    assert result.exit_code == 2, result.output
    assert result.stderr == f"Error: {says} (see 'qabot bench --help')\n"
    assert not (tmp_path / "report.json").exists()


def test_a_bench_factory_faiss_cannot_make_is_refused_in_one_line_before_anything_is_built(tmp_path,
                                                                                        monkeypatch) -> None:
    """`qabot bench --scale N --factory Bogus99` (a typo) built the synthetic passages, then printed the build's
    traceback and "unexpected RuntimeError": after SciFact's phases too, without --scale-only. Refused first now."""
    _unmeasured(monkeypatch)
    result = CliRunner().invoke(cli, ["bench", "--scale", "1000", "--factory", "HNSW32", "--factory", "Bogus99",
                                      "--work", str(tmp_path / "work"), "--out", str(tmp_path / "report.json")],
                                prog_name="qabot")
    assert result.exit_code == 2, result.output
    assert result.stderr == ("Error: bad --factory 'Bogus99': could not parse index string Bogus99 "
                             "(see 'qabot bench --help')\n")


def _unmeasured(monkeypatch) -> None:
    """Every run of the bench fails the test: a refused option must stop it before anything is measured."""
    def measured(*_args, **_kwargs):
        raise AssertionError("the bench ran")

    for name in ("run", "run_scale_only", "run_formats_only"):
        monkeypatch.setattr(bench, name, measured)


@pytest.mark.slow
def test_cold_start_is_measured_against_the_bare_imports(make_corpus, tmp_path, embedder) -> None:
    from qabot.bench.phases import bench_cold
    from qabot.index import BuildConfig, open_index

    corpus = make_corpus({"a.txt": "Ramón Mercader killed Trotsky with an ice axe in 1940."})
    open_index(BuildConfig(corpus_dir=corpus, index_dir=tmp_path / "idx"), embedder, progress=False).close()
    cold = bench_cold(corpus, tmp_path / "idx", "torch", runs=1, question="Who killed Trotsky?")
    # Behaviour, not speed (a busy machine can make either side slower): both timed, the
    # difference reported, and the child's own memory measured.
    assert cold.ask_s > 0 and cold.imports_s > 0 and cold.ask_peak_rss_mb > 50
    assert cold.extra_s == pytest.approx(cold.ask_s - cold.imports_s, abs=0.01)


def test_formats_reading_figures_and_their_share_of_a_pdf_build(tmp_path, fake_embedder) -> None:
    from qabot.bench.reading import bench_read_share, bench_reading
    from tests import documents

    folder = tmp_path / "formats"
    folder.mkdir()
    documents.write_pdf(folder / "manual.pdf")
    documents.write_pdf(folder / "other.pdf", sections={"1 Other": "Another manual, about something else entirely."})
    documents.write_html(folder / "install.html")
    documents.write_docx(folder / "minutes.docx")
    documents.write_export(folder / "help.json")
    reading = {r.format: r for r in bench_reading(folder, runs=1)}
    assert sorted(reading) == ["discord", "docx", "html", "pdf"]
    assert (reading["pdf"].files, reading["pdf"].pages) == (2, 5)
    assert reading["pdf"].pages_per_s > 0 and reading["html"].pages is None
    share = bench_read_share(folder, fake_embedder, "fake", tmp_path / "work", runs=1)
    assert (share.files, share.pages) == (2, 5) and share.passages > 0
    assert 0 < share.read_s < share.build_s and 0 < share.share < 1


def test_bench_formats_only_through_the_cli(tmp_path, monkeypatch, fake_embedder) -> None:
    import importlib

    from tests import documents

    harness = importlib.import_module("qabot.bench.run")  # the module: qabot.bench.run is also the function's name

    folder = tmp_path / "formats"
    folder.mkdir()
    documents.write_pdf(folder / "manual.pdf")
    monkeypatch.setattr(harness, "make_embedder", lambda _settings: fake_embedder)
    out = tmp_path / "report.json"
    result = CliRunner().invoke(cli, ["bench", "--formats", str(folder), "--formats-only", "--runs", "1",
                                      "--work", str(tmp_path / "work"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "reading in a build of the PDFs alone" in result.output
    report = BenchReport.model_validate_json(out.read_text())
    assert [r.format for r in report.reading] == ["pdf"] and report.reading_share.pages == 4


def _bench_on_a_hostile_folder(tmp_path, monkeypatch, fake_embedder, *options: str):
    import importlib

    harness = importlib.import_module("qabot.bench.run")
    folder = tmp_path / "formats\x1b]0;PWN\x07\x9b2J\u202e"  # a folder name holding escapes; no files in it
    folder.mkdir(parents=True, exist_ok=True)
    monkeypatch.setattr(harness, "make_embedder", lambda _settings: fake_embedder)
    return CliRunner().invoke(cli, ["bench", "--formats", str(folder), "--formats-only", "--runs", "1",
                                    "--work", str(tmp_path / "work"), "--out", str(tmp_path / "r.json"), *options])


def test_bench_progress_names_a_hostile_folder_inert(tmp_path, monkeypatch, fake_embedder) -> None:
    result = _bench_on_a_hostile_folder(tmp_path, monkeypatch, fake_embedder)
    assert result.exit_code == 0, result.output
    assert "-- reading the files of " in result.stderr and "formats␛]0;PWN␇\\x9b2J\\u202e" in result.stderr
    assert not any(c in result.stderr for c in "\x1b\x07\x9b\u202e")


def test_bench_report_names_a_hostile_folder_inert(tmp_path, monkeypatch, fake_embedder) -> None:
    shown = _bench_on_a_hostile_folder(tmp_path, monkeypatch, fake_embedder).stdout
    assert "export files in " in shown and "formats␛]0;PWN␇\\x9b2J\\u202e" in shown  # the note names it, inert
    as_json = _bench_on_a_hostile_folder(tmp_path, monkeypatch, fake_embedder, "--json").stdout
    for printed in (shown, as_json):
        assert not any(c in printed for c in "\x1b\x07\x9b\u202e")
    assert json.loads(as_json)["notes"][0].endswith("formats\x1b]0;PWN\x07\x9b2J\u202e")  # JSON keeps it exact


@pytest.mark.slow
@pytest.mark.model
def test_memory_is_measured_in_processes_of_their_own(make_corpus, tmp_path) -> None:
    from qabot.bench.corpora import Corpus
    from qabot.bench.memory import bench_memory

    corpus = make_corpus({"a.txt": "Ramón Mercader killed Trotsky with an ice axe in 1940.\n\nNatalia Sedova was his wife.\n"})
    result = bench_memory(Corpus(name="tiny", folder=corpus, questions=["Who killed Trotsky?"]), "torch", tmp_path)
    # Behaviour, not size: both processes ran, reported their own peaks, and the build is on disk.
    assert result.passages >= 1 and result.disk_mb > 0
    assert result.index_peak_rss_mb > 50 and result.serving_rss_mb > 50 and result.model_rss_mb > 50
    assert result.index_rss_mb == pytest.approx(result.serving_rss_mb - result.model_rss_mb, abs=0.2)
@pytest.mark.slow
def test_the_scale_run_measures_milvus_beside_faiss_on_the_same_passages(tmp_path) -> None:
    pytest.importorskip("milvus_lite", reason="Milvus Lite is not installed")
    from qabot.bench.scale import bench_scale

    faiss, milvus = bench_scale(2000, ["HNSW32"], tmp_path, queries=20, progress=False, engines=("faiss", "milvus"))
    assert (faiss.engine, milvus.engine) == ("faiss", "milvus lite") and milvus.passages == faiss.passages == 2000
    assert milvus.recall_at_10 >= 0.9 and milvus.hybrid is not None and milvus.hybrid.p50_ms > 0
    assert milvus.factory.startswith("HNSW") and milvus.disk_mb > 0
