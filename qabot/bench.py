"""``qabot bench``: what qabot costs on top of the model it cannot avoid running.

On a CPU the embedding model is the floor: one forward pass per question, one per
passage at indexing time. Every figure here is therefore measured beside its floor,
in the same process and the same run, and quoted as a ratio:

- **query**: ``bot.ask`` p50/p95, one question at a time after a warm-up, against
  embedding the same question alone (the two are timed alternately, question by
  question, so that a burst of load hits both);
- **build**: a full index build against embedding the same passages alone, and the
  re-index after one document changes (the embedding cache re-embeds only it);
- **cold start**: ``qabot ask`` as a whole process against
  ``python -c "import sentence_transformers, faiss"``;
- **backends**: the int8 ONNX backend against torch, for speed and for quality
  (SciFact nDCG@10, hit@1 on a dev file of questions);
- **peer** (``--peer``): txtai's hybrid ``Embeddings`` on the same packaged model;
- **scale** (``--scale N``): N synthetic passages through the same build code, with
  random vectors standing in for the model: FAISS search p50/p95 and recall@10 against
  exact search, BM25 time, RSS.

Each figure is the median of ``--runs`` repetitions; machines are noisy, so the load
average and the CPU time stolen by the hypervisor during the run are reported too.
Peak RSS is per phase (Linux resets the high-water mark through ``/proc/self/clear_refs``).
Timings live here, never in the tests.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

log = logging.getLogger(__name__)

DEFAULT_QUESTIONS = (
    "Who killed Trotsky?",
    "What weapon was used?",
    "Where did Trotsky live in exile?",
    "When was Trotsky attacked?",
    "Who was Trotsky's wife?",
)
WARMUP = 3


# -- results ------------------------------------------------------------------------


class Machine(BaseModel):
    cpu: str
    cores: int
    memory_gib: float
    python: str
    versions: dict[str, str]
    load_before: list[float]
    load_after: list[float] = Field(default_factory=list)
    steal_share: float | None = Field(None, description="share of CPU time taken by the hypervisor during the run")


class Latency(BaseModel):
    p50_ms: float
    p95_ms: float


class QueryResult(BaseModel):
    corpus: str
    backend: str
    passages: int
    questions: int
    ask: Latency
    embed: Latency
    ratio_p50: float = Field(description="bot.ask p50 / embedding-alone p50 (target <= 1.5)")


class BuildResult(BaseModel):
    corpus: str
    backend: str
    passages: int
    build_s: float
    embed_s: float
    ratio: float = Field(description="full build / embedding the same passages alone (target <= 1.3)")
    passages_per_s: float
    reindex_s: float | None = None
    reindex_share: float | None = Field(None, description="re-index after one document changed / full build (target <= 0.05)")
    reembedded: int | None = Field(None, description="passages embedded again by the re-index")
    document_passages: int | None = Field(None, description="passages of the changed document (an upper bound)")
    peak_rss_mb: float


class ColdStart(BaseModel):
    backend: str
    ask_s: float
    imports_s: float
    extra_s: float = Field(description="qabot ask - bare import of sentence_transformers and faiss (target <= 1.5)")
    ask_peak_rss_mb: float


class Quality(BaseModel):
    backend: str
    scifact_ndcg_at_10: float | None = None
    dev_hit_at_1: float | None = None


class BackendComparison(BaseModel):
    fast: str
    base: str
    query_embed_speedup: float = Field(description="base / fast, embedding one question (target >= 2)")
    build_embed_speedup: float = Field(description="base / fast, embedding the passages (target >= 2)")
    ndcg_loss: float | None = Field(None, description="target <= 0.01")
    hit_at_1_loss: float | None = Field(None, description="target <= 0.02")


class PeerResult(BaseModel):
    peer: str
    backend: str
    documents: int
    peer_build_s: float
    peer_query_p50_ms: float
    peer_ndcg_at_10: float
    qabot_build_s: float
    qabot_query_p50_ms: float
    qabot_ndcg_at_10: float
    build_ratio: float = Field(description="qabot / peer (target <= 0.5)")
    query_ratio: float = Field(description="qabot / peer (target <= 0.5)")


class ScaleResult(BaseModel):
    passages: int
    factory: str
    build_s: float
    build_peak_rss_mb: float
    load_s: float
    load_rss_mb: float = Field(description="RSS added by loading the index (memory-mapped)")
    search_k10: Latency
    search_k100: Latency
    recall_at_10: float
    bm25: Latency
    search_params: dict[str, int]
    disk_mb: float


class BenchReport(BaseModel):
    machine: Machine
    runs: int
    default_backend: str
    query: list[QueryResult] = Field(default_factory=list)
    build: list[BuildResult] = Field(default_factory=list)
    cold: list[ColdStart] = Field(default_factory=list)
    quality: list[Quality] = Field(default_factory=list)
    backends: BackendComparison | None = None
    peer: PeerResult | None = None
    scale: list[ScaleResult] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    seconds: float = 0.0


# -- measuring ----------------------------------------------------------------------


def _ms(seconds: Sequence[float]) -> Latency:
    values = np.asarray(seconds) * 1000
    return Latency(p50_ms=round(float(np.percentile(values, 50)), 3), p95_ms=round(float(np.percentile(values, 95)), 3))


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def _timed(func: Callable[[], object]) -> float:
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def reset_peak_rss() -> None:
    """Start a new peak-RSS window (Linux: writing 5 to clear_refs resets VmHWM)."""
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")


def peak_rss_mb() -> float:
    return _status_mb("VmHWM")


def rss_mb() -> float:
    return _status_mb("VmRSS")


def _status_mb(field: str) -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _cpu_times() -> list[int] | None:
    try:
        return [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError):
        return None


def machine_info() -> Machine:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = 0.0
    with contextlib.suppress(OSError, ValueError):
        memory = int(Path("/proc/meminfo").read_text().split()[1]) / (1 << 20)
    versions = {}
    for name in ("torch", "sentence-transformers", "transformers", "faiss-cpu", "bm25s", "onnxruntime", "txtai", "numpy"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            versions[name] = version(name)
    return Machine(
        cpu=cpu,
        cores=os.cpu_count() or 1,
        memory_gib=round(memory, 1),
        python=platform.python_version(),
        versions=versions,
        load_before=[round(x, 2) for x in os.getloadavg()],
    )


def _settings(**overrides):  # noqa: ANN003, ANN202 - qabot.settings.Settings
    from qabot.settings import load_settings

    return load_settings(_env_file=None, **overrides)


def _embedder(backend: str, index_dir: Path):  # noqa: ANN202
    from qabot.embedder import SentenceTransformerEmbedder

    # One export folder for every index of the run: the ONNX model is exported once.
    return SentenceTransformerEmbedder(backend=backend, export_dir=index_dir.parent / "models")


# -- corpora ------------------------------------------------------------------------


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
        from qabot.evaluation import load_items

        questions = [item.question for item in load_items(dev)]
    return Corpus(name="default", folder=folder, questions=questions)


def beir_corpus(folder: Path, work: Path, limit: int | None = None, split: str = "test") -> Corpus:
    """A BEIR folder, its corpus.jsonl copied (or cut to ``limit`` documents) into ``work``."""
    from qabot.evaluation import read_qrels

    qrels = read_qrels(folder / "qrels" / f"{split}.tsv")
    texts: dict[str, str] = {}
    with (folder / "queries.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                texts[str(record["_id"])] = record["text"]
    target = work / f"{folder.name}-corpus"
    target.mkdir(parents=True, exist_ok=True)
    jsonl = target / "corpus.jsonl"
    with (folder / "corpus.jsonl").open(encoding="utf-8") as source, jsonl.open("w", encoding="utf-8") as out:
        for number, line in enumerate(source):
            if limit is not None and number >= limit:
                break
            out.write(line)
    if limit is not None:  # a cut corpus: only the questions whose answers it still holds
        with jsonl.open(encoding="utf-8") as handle:
            kept = {str(json.loads(line)["_id"]) for line in handle if line.strip()}
        qrels = {q: rel for q, rel in qrels.items() if set(rel) & kept}
    asked = {texts[q]: rel for q, rel in qrels.items() if q in texts}
    return Corpus(name=folder.name, folder=target, questions=list(asked), qrels=asked, jsonl=jsonl)


def _passage_texts(corpus_dir: Path) -> list[tuple[str, list[tuple[int, int]]]]:
    """The texts (and sentence spans) a build of ``corpus_dir`` gives the model."""
    from qabot import chunking
    from qabot import corpus as corpus_module
    from qabot.index import corpus_files, indexed_text

    out = []
    for document in corpus_module.load_corpus(corpus_files(corpus_dir, lambda _m: None), lambda _m: None):
        paras = corpus_module.paragraphs(document.text, document.body_start)
        for passage in chunking.passages(document, paras, 600):
            text, shift = indexed_text(passage)
            out.append((text, [(s - passage.start + shift, e - passage.start + shift) for s, e in passage.sentences]))
    return out


# -- phases -------------------------------------------------------------------------


def bench_query(bot, corpus: Corpus, backend: str, runs: int, limit: int | None = None) -> QueryResult:  # noqa: ANN001
    """bot.ask against embedding the question alone, alternating question by question."""
    questions = corpus.questions[:limit] if limit else corpus.questions
    for question in questions[:WARMUP]:
        bot.ask(question)
        bot.embedder.embed([question])
    ask_p50, ask_p95, embed_p50, embed_p95, ratios = [], [], [], [], []
    for _ in range(runs):
        asks, embeds = [], []
        for question in questions:
            embeds.append(_timed(lambda q=question: bot.embedder.embed([q])))
            asks.append(_timed(lambda q=question: bot.ask(q)))
        a, e = _ms(asks), _ms(embeds)
        ask_p50.append(a.p50_ms)
        ask_p95.append(a.p95_ms)
        embed_p50.append(e.p50_ms)
        embed_p95.append(e.p95_ms)
        ratios.append(a.p50_ms / e.p50_ms)
    return QueryResult(
        corpus=corpus.name,
        backend=backend,
        passages=bot.manifest.passages,
        questions=len(questions),
        ask=Latency(p50_ms=round(_median(ask_p50), 3), p95_ms=round(_median(ask_p95), 3)),
        embed=Latency(p50_ms=round(_median(embed_p50), 3), p95_ms=round(_median(embed_p95), 3)),
        ratio_p50=round(_median(ratios), 3),
    )


def bench_build(corpus: Corpus, embedder, index_dir: Path, runs: int, progress: bool) -> BuildResult:  # noqa: ANN001
    """Full builds against embedding the same passages alone; then one document changed, re-indexed."""
    from qabot.index import BuildConfig, open_index

    backend = getattr(embedder, "backend", embedder.name)
    embedder.embed(["warm up"])  # loads (and for onnx, exports) the model outside the timings
    texts = [text for text, _ in _passage_texts(corpus.folder)]
    config = BuildConfig(corpus_dir=corpus.folder, index_dir=index_dir)
    builds, embeds, reindexes, reembedded = [], [], [], []
    pristine = corpus.jsonl.read_bytes() if corpus.jsonl else None
    reset_peak_rss()
    for _ in range(runs):
        embeds.append(_timed(lambda: embedder.embed(texts)))
        shutil.rmtree(index_dir, ignore_errors=True)
        started = time.perf_counter()
        open_index(config, embedder, progress=progress).close()
        builds.append(time.perf_counter() - started)
        if corpus.jsonl is not None:
            _edit_one_document(corpus.jsonl)
            started = time.perf_counter()
            index = open_index(config, embedder, progress=False, notify=lambda _m: None)
            reindexes.append(time.perf_counter() - started)
            reembedded.append(index.manifest.embedded)
            index.close()
            corpus.jsonl.write_bytes(pristine)
            open_index(config, embedder, progress=False, notify=lambda _m: None).close()  # back to pristine
    build_s, embed_s = _median(builds), _median(embeds)
    result = BuildResult(
        corpus=corpus.name,
        backend=backend,
        passages=len(texts),
        build_s=round(build_s, 3),
        embed_s=round(embed_s, 3),
        ratio=round(_median([b / e for b, e in zip(builds, embeds)]), 3),
        passages_per_s=round(len(texts) / build_s, 1),
        peak_rss_mb=peak_rss_mb(),
    )
    if reindexes:
        result.reindex_s = round(_median(reindexes), 3)
        result.reindex_share = round(_median([r / b for r, b in zip(reindexes, builds)]), 4)
        result.reembedded = int(_median(reembedded))
        result.document_passages = _changed_passages(corpus.jsonl)
    return result


def _edit_one_document(jsonl: Path) -> None:
    """Append a sentence to the document in the middle of a BEIR corpus file."""
    lines = jsonl.read_text(encoding="utf-8").splitlines()
    middle = len(lines) // 2
    record = json.loads(lines[middle])
    record["text"] = record["text"] + " This abstract was revised for the benchmark."
    lines[middle] = json.dumps(record, ensure_ascii=False)
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _changed_passages(jsonl: Path) -> int:
    """How many passages the edited document has (what the re-index should embed)."""
    with tempfile.TemporaryDirectory() as tmp:
        lines = jsonl.read_text(encoding="utf-8").splitlines()
        record = json.loads(lines[len(lines) // 2])
        record["text"] += " This abstract was revised for the benchmark."
        (Path(tmp) / "one.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
        return len(_passage_texts(Path(tmp)))


def bench_cold(corpus_dir: Path, index_dir: Path, backend: str, runs: int, question: str) -> ColdStart:
    """``qabot ask`` as a new process against the bare import of sentence_transformers and faiss."""
    env = {
        **os.environ,
        "QABOT_CORPUS_DIR": str(corpus_dir),
        "QABOT_INDEX_DIR": str(index_dir),
        "QABOT_EMBEDDING_BACKEND": backend,
        "HF_HUB_OFFLINE": "1",
    }
    ask = [sys.executable, "-c", _MEASURED.format(code="from qabot.cli import main; sys.argv[0] = 'qabot'; main()"),
           "ask", question, "--k", "3"]
    shared = index_dir.parent / "models"
    if shared.is_dir() and not (index_dir / "models").exists():
        (index_dir / "models").symlink_to(shared.resolve())  # reuse the run's ONNX export
    imports = [sys.executable, "-c", _MEASURED.format(code="import sentence_transformers, faiss")]
    _child(ask, env)  # builds the index if needed, warms the page cache
    _child(imports, env)
    asks, bare, rss = [], [], []
    for _ in range(runs):
        seconds, peak = _child(ask, env)
        asks.append(seconds)
        rss.append(peak)
        bare.append(_child(imports, env)[0])
    return ColdStart(
        backend=backend,
        ask_s=round(_median(asks), 3),
        imports_s=round(_median(bare), 3),
        extra_s=round(_median([a - b for a, b in zip(asks, bare)]), 3),
        ask_peak_rss_mb=round(_median(rss), 1),
    )


# A child reports its own peak RSS as it exits: the rusage of a child started by vfork
# counts the parent's memory too. Interpreter start-up is the same as the qabot script's.
_MEASURED = (
    "import atexit, os, sys\n"
    "def _peak():\n"
    "    hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')]\n"
    "    open(os.environ['BENCH_PEAK_FILE'], 'w').write(hwm[0] if hwm else '0')\n"
    "atexit.register(_peak)\n"
    "{code}\n"
)


def _child(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and peak RSS (MB) of a child process."""
    with tempfile.NamedTemporaryFile("r", suffix=".peak") as peak:
        started = time.perf_counter()
        proc = subprocess.run(command, env={**env, "BENCH_PEAK_FILE": peak.name}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, check=False)
        seconds = time.perf_counter() - started
        if proc.returncode != 0:
            stderr = proc.stderr.decode(errors="replace").strip()
            raise RuntimeError(f"{' '.join(command[-3:])} failed ({proc.returncode}): {stderr[-300:]}")
        kib = Path(peak.name).read_text().strip() or "0"
    return seconds, int(kib) / 1024


def beir_ndcg(bot, corpus: Corpus) -> float:  # noqa: ANN001
    from qabot.evaluation import ndcg_at

    scores = [ndcg_at([doc for doc, _ in bot.rank_documents(q, n=100)], rel) for q, rel in corpus.qrels.items()]
    return round(sum(scores) / len(scores), 4) if scores else 0.0


def dev_hit_at_1(bot, dev: Path) -> float:  # noqa: ANN001
    from qabot.evaluation import evaluate_items, load_items

    return evaluate_items(bot, load_items(dev), name="dev").hit_at_1


# -- the peer: txtai ----------------------------------------------------------------


def bench_txtai(corpus: Corpus, runs: int) -> tuple[float, float, float, int]:
    """txtai hybrid Embeddings (dense + BM25, same packaged model): build s, query p50 ms, nDCG@10, docs."""
    try:
        from txtai import Embeddings
    except ImportError as exc:
        raise RuntimeError("the peer comparison needs txtai: pip install -e '.[bench]'") from exc
    from qabot.embedder import packaged_model_dir
    from qabot.evaluation import ndcg_at

    documents = []
    with corpus.jsonl.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                title = (record.get("title") or "").strip()
                documents.append((str(record["_id"]), f"{title}. {record['text']}" if title else record["text"], None))
    embeddings = Embeddings(path=str(packaged_model_dir()), content=True, hybrid=True)
    embeddings.index(documents[:8])  # warm-up, as qabot's model is warmed before its builds are timed
    builds = []
    for _ in range(runs):
        started = time.perf_counter()
        embeddings.index(documents)  # builds from scratch, overwriting the previous index
        builds.append(time.perf_counter() - started)
    questions = list(corpus.qrels)
    for question in questions[:WARMUP]:
        embeddings.search(question, 10)
    rounds, ndcg = [], []
    for run in range(runs):
        times = []
        for question in questions:
            started = time.perf_counter()
            found = embeddings.search(question, 10)
            times.append(time.perf_counter() - started)
            if run == 0:
                ndcg.append(ndcg_at([hit["id"] for hit in found], corpus.qrels[question]))
        rounds.append(_ms(times).p50_ms)
    return _median(builds), _median(rounds), round(sum(ndcg) / len(ndcg), 4), len(documents)


# -- scale --------------------------------------------------------------------------


class SyntheticEmbedder:
    """Stands in for the model at scale: random unit vectors, no model cost.

    Real sentence embeddings are far from isotropic: they lie near a low-dimensional
    set. So the vectors are Gaussian in ``intrinsic`` dimensions, mapped into the
    model's 384 by a fixed random matrix, plus a little isotropic noise, then
    normalised. Sentence vectors are their passage's vector, jittered.
    """

    def __init__(self, dimension: int = 384, intrinsic: int = 32, noise: float = 0.05, seed: int = 0) -> None:
        self.name = f"synthetic-{dimension}d-{intrinsic}i"
        self.dimension = dimension
        self.noise = noise
        self._rng = np.random.default_rng(seed)
        self._basis = np.random.default_rng(1234).standard_normal((intrinsic, dimension)).astype(np.float32)
        self._basis /= np.sqrt(intrinsic)

    def draw(self, n: int) -> np.ndarray:
        z = self._rng.standard_normal((n, self._basis.shape[0]), dtype=np.float32)
        vectors = z @ self._basis + self.noise * self._rng.standard_normal((n, self.dimension), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.draw(len(texts))

    def embed_with_spans(self, texts: Sequence[str], spans) -> tuple[np.ndarray, list[np.ndarray]]:  # noqa: ANN001
        vectors = self.draw(len(texts))
        counts = [len(pairs) for pairs in spans]
        jitter = np.repeat(vectors, counts, axis=0)
        jitter += 0.02 * self._rng.standard_normal(jitter.shape, dtype=np.float32)
        jitter /= np.linalg.norm(jitter, axis=1, keepdims=True)
        return vectors, np.split(jitter, np.cumsum(counts)[:-1])


_WORDS = (
    "archive meeting council river harbour letter treaty railway strike election museum garden bridge winter "
    "festival library engineer harvest journal protest printer lantern orchard market theatre cathedral mill "
    "school canal quarry factory colony frontier island valley summit village province charter ledger minutes "
    "secretary committee budget survey census voyage expedition observatory telescope vaccine clinic hospital"
).split()


def write_synthetic_corpus(path: Path, passages: int, seed: int = 0) -> None:
    """A .jsonl file of ``passages`` one-passage documents of generated sentences, written in chunks."""
    rng = np.random.default_rng(seed)
    vocabulary = np.array([f"{w}{i}" if i else w for i in range(40) for w in _WORDS])  # ~3,000 words
    weights = 1 / np.arange(1, len(vocabulary) + 1)  # Zipf-like: a few words are common
    weights /= weights.sum()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for lo in range(0, passages, 10_000):
            n = min(10_000, passages - lo)
            words = rng.choice(vocabulary, size=(n, 3, 14), p=weights)
            lines = []
            for i in range(n):
                sentences = " ".join(" ".join(s).capitalize() + "." for s in words[i])
                lines.append(json.dumps({"_id": f"s{lo + i}", "title": "", "text": sentences}))
            out.write("\n".join(lines) + "\n")


def bench_scale(
    passages: int, factories: Sequence[str], work: Path, queries: int = 200, progress: bool = True
) -> list[ScaleResult]:
    """Build ``passages`` synthetic passages per index factory through qabot's own build; search them."""
    import faiss

    from qabot.index import SEARCH_PARAMS, BuildConfig, build, load
    from qabot.lexical import tokenize

    corpus_dir = work / f"scale-{passages}-corpus"
    jsonl = corpus_dir / "synthetic.jsonl"
    if not jsonl.is_file():
        write_synthetic_corpus(jsonl, passages)
    probe = SyntheticEmbedder(seed=99)
    query_vectors = probe.draw(queries)
    query_tokens = [tokenize(" ".join(np.random.default_rng(i).choice(_WORDS, 4))) for i in range(queries)]
    exact: np.ndarray | None = None
    results = []
    for factory in factories:
        index_dir = work / f"scale-{passages}-{factory.replace(',', '_')}"
        shutil.rmtree(index_dir, ignore_errors=True)
        config = BuildConfig(corpus_dir=corpus_dir, index_dir=index_dir, index_factory=factory, use_cache=False)
        reset_peak_rss()
        started = time.perf_counter()
        build(config, SyntheticEmbedder(), progress=progress)
        build_s = time.perf_counter() - started
        build_peak = peak_rss_mb()
        before = rss_mb()
        started = time.perf_counter()
        index = load(index_dir)
        load_s = time.perf_counter() - started
        load_rss = rss_mb() - before
        if exact is None:
            exact = _exact_top10(index.passage_vectors, query_vectors)
        found10, times10, times100, bm25 = [], [], [], []
        for i, vector in enumerate(query_vectors):
            q = vector[None, :]
            started = time.perf_counter()
            _, rows = index.dense.search(q, 10)
            times10.append(time.perf_counter() - started)
            found10.append(rows[0])
            times100.append(_timed(lambda q=q: index.dense.search(q, 100)))
            bm25.append(_timed(lambda t=query_tokens[i]: index.lexical.top(t, 100)))
        recall = float(np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found10, exact)]))
        disk = sum(p.stat().st_size for p in (index_dir / index.manifest.build).rglob("*") if p.is_file())
        results.append(
            ScaleResult(
                passages=index.manifest.passages,
                factory=index.manifest.index_factory_used,
                build_s=round(build_s, 1),
                build_peak_rss_mb=build_peak,
                load_s=round(load_s, 3),
                load_rss_mb=round(load_rss, 1),
                search_k10=_ms(times10),
                search_k100=_ms(times100),
                recall_at_10=round(recall, 4),
                bm25=_ms(bm25),
                search_params={k: v for k, v in SEARCH_PARAMS.items() if _uses(index.dense, k, faiss)},
                disk_mb=round(disk / (1 << 20), 1),
            )
        )
        index.close()
    return results


def _uses(dense, param: str, faiss) -> bool:  # noqa: ANN001
    index = faiss.downcast_index(dense)
    return (param == "efSearch" and hasattr(index, "hnsw")) or (
        param == "nprobe" and faiss.try_extract_index_ivf(index) is not None
    )


def _exact_top10(vectors: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Exact top 10 by inner product, reading the memory-mapped vectors in blocks."""
    best_scores = np.full((len(queries), 10), -np.inf, dtype=np.float32)
    best_rows = np.zeros((len(queries), 10), dtype=np.int64)
    for lo in range(0, len(vectors), 200_000):
        block = np.asarray(vectors[lo : lo + 200_000], dtype=np.float32)
        scores = queries @ block.T
        top = np.argpartition(-scores, 9, axis=1)[:, :10]
        merged_scores = np.concatenate([best_scores, np.take_along_axis(scores, top, 1)], axis=1)
        merged_rows = np.concatenate([best_rows, top + lo], axis=1)
        keep = np.argsort(-merged_scores, axis=1)[:, :10]
        best_scores = np.take_along_axis(merged_scores, keep, 1)
        best_rows = np.take_along_axis(merged_rows, keep, 1)
    return best_rows


# -- the whole run ------------------------------------------------------------------


def run(  # noqa: PLR0913
    *,
    corpus_dir: Path,
    dev: Path | None,
    scifact: Path | None,
    work: Path,
    runs: int = 5,
    backends: Sequence[str] = ("onnx", "torch"),
    default_backend: str = "onnx",
    scifact_docs: int | None = None,
    query_limit: int | None = 100,
    cold: bool = True,
    cold_runs: int | None = None,
    embedders: dict | None = None,
    peer: bool = False,
    scale: int | None = None,
    scale_factories: Sequence[str] = ("HNSW32",),
    progress: bool = True,
    say: Callable[[str], None] = lambda _m: None,
) -> BenchReport:
    """Every measurement, in one process. ``say`` reports progress between phases.

    ``embedders`` maps a backend to an already loaded embedder (tests pass the session's).
    """
    from qabot.bot import QABot

    started = time.perf_counter()
    cpu_before = _cpu_times()
    report = BenchReport(machine=machine_info(), runs=runs, default_backend=default_backend)
    work.mkdir(parents=True, exist_ok=True)
    corpora = [default_corpus(corpus_dir, dev)]
    if scifact is not None and (scifact / "corpus.jsonl").is_file():
        corpora.append(beir_corpus(scifact, work, scifact_docs))
    else:
        report.notes.append("SciFact not found: its query, build, re-index and quality figures are missing")
    if dev is None or not dev.is_file():
        report.notes.append("no dev file: the default corpus is asked built-in questions and hit@1 is missing")

    quality: dict[str, Quality] = {}
    embed_query: dict[str, float] = {}
    embed_build: dict[str, float] = {}
    for backend in backends:
        quality[backend] = Quality(backend=backend)
        embedder = (embedders or {}).get(backend) or _embedder(backend, work / backend / "index")
        for corpus in corpora:
            index_dir = work / backend / corpus.name
            if corpus.jsonl is not None:
                say(f"{backend}: building {corpus.name} ({runs} runs, then one document changed)")
                report.build.append(bench_build(corpus, embedder, index_dir, runs, progress))
                embed_build[backend] = report.build[-1].embed_s
            say(f"{backend}: asking {corpus.name}")
            bot = QABot.from_settings(
                _settings(corpus_dir=corpus.folder, index_dir=index_dir, embedding_backend=backend),
                embedder=embedder,
                progress=progress,
            )
            try:
                result = bench_query(bot, corpus, backend, runs, query_limit)
                report.query.append(result)
                if corpus.qrels:
                    embed_query[backend] = result.embed.p50_ms
                    say(f"{backend}: nDCG@10 on {corpus.name}")
                    quality[backend].scifact_ndcg_at_10 = beir_ndcg(bot, corpus)
                elif dev is not None and dev.is_file():
                    quality[backend].dev_hit_at_1 = dev_hit_at_1(bot, dev)
                embed_query.setdefault(backend, result.embed.p50_ms)
            finally:
                bot.close()
        if cold:
            say(f"{backend}: cold start of qabot ask")
            report.cold.append(
                bench_cold(
                    corpora[0].folder, work / backend / corpora[0].name, backend, cold_runs or runs, corpora[0].questions[0]
                )
            )
    report.quality = list(quality.values())

    if "torch" in backends and len(backends) > 1:
        fast = next(b for b in backends if b != "torch")
        report.backends = BackendComparison(
            fast=fast,
            base="torch",
            query_embed_speedup=round(embed_query["torch"] / embed_query[fast], 2),
            build_embed_speedup=round(embed_build["torch"] / embed_build[fast], 2) if embed_build else 0.0,
            ndcg_loss=_loss(quality["torch"].scifact_ndcg_at_10, quality[fast].scifact_ndcg_at_10),
            hit_at_1_loss=_loss(quality["torch"].dev_hit_at_1, quality[fast].dev_hit_at_1),
        )

    if peer and len(corpora) > 1:
        say("peer: txtai hybrid Embeddings on SciFact")
        corpus = corpora[1]
        build_s, query_ms, ndcg, docs = bench_txtai(corpus, runs)
        ours_build = next(b for b in report.build if b.backend == default_backend and b.corpus == corpus.name)
        ours_query = next(q for q in report.query if q.backend == default_backend and q.corpus == corpus.name)
        ours_ndcg = quality[default_backend].scifact_ndcg_at_10 or 0.0
        report.peer = PeerResult(
            peer="txtai Embeddings(hybrid=True, content=True)",
            backend=default_backend,
            documents=docs,
            peer_build_s=round(build_s, 3),
            peer_query_p50_ms=round(query_ms, 3),
            peer_ndcg_at_10=ndcg,
            qabot_build_s=ours_build.build_s,
            qabot_query_p50_ms=ours_query.ask.p50_ms,
            qabot_ndcg_at_10=ours_ndcg,
            build_ratio=round(ours_build.build_s / build_s, 3),
            query_ratio=round(ours_query.ask.p50_ms / query_ms, 3),
        )

    if scale:
        say(f"scale: {scale:,} synthetic passages")
        report.scale = bench_scale(scale, scale_factories, work, progress=progress)

    report.machine.load_after = [round(x, 2) for x in os.getloadavg()]
    cpu_after = _cpu_times()
    if cpu_before and cpu_after and len(cpu_after) > 7:
        spent = [b - a for a, b in zip(cpu_before, cpu_after)]
        report.machine.steal_share = round(spent[7] / max(1, sum(spent)), 3)
    report.seconds = round(time.perf_counter() - started, 1)
    return report


def run_scale_only(passages: int, factories: Sequence[str], work: Path, progress: bool = True) -> BenchReport:
    started = time.perf_counter()
    cpu_before = _cpu_times()
    report = BenchReport(machine=machine_info(), runs=1, default_backend="-")
    report.scale = bench_scale(passages, factories, work, progress=progress)
    report.machine.load_after = [round(x, 2) for x in os.getloadavg()]
    cpu_after = _cpu_times()
    if cpu_before and cpu_after and len(cpu_after) > 7:
        spent = [b - a for a, b in zip(cpu_before, cpu_after)]
        report.machine.steal_share = round(spent[7] / max(1, sum(spent)), 3)
    report.seconds = round(time.perf_counter() - started, 1)
    return report


def _loss(base: float | None, fast: float | None) -> float | None:
    return None if base is None or fast is None else round(base - fast, 4)


# -- the table ----------------------------------------------------------------------


def table(report: BenchReport) -> str:
    """The report as plain-text tables, targets beside the figures."""
    m = report.machine
    lines = [
        f"machine: {m.cpu}, {m.cores} cores, {m.memory_gib} GiB; python {m.python}",
        f"load average before {m.load_before}, after {m.load_after}; CPU stolen by the hypervisor: "
        f"{'?' if m.steal_share is None else f'{m.steal_share:.0%}'}; medians of {report.runs} runs",
        "",
    ]

    def block(title: str, header: Sequence[str], rows: Iterator[Sequence[object]]) -> None:
        rows = [[str(c) for c in row] for row in rows]
        if not rows:
            return
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
        lines.append(title)
        lines.append("  " + "  ".join(h.ljust(w) for h, w in zip(header, widths)))
        lines.extend("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows)
        lines.append("")

    block(
        "query latency (bot.ask vs embedding the question alone; target ratio <= 1.5)",
        ["corpus", "backend", "passages", "ask p50 ms", "ask p95 ms", "embed p50 ms", "embed p95 ms", "ratio"],
        ([q.corpus, q.backend, q.passages, q.ask.p50_ms, q.ask.p95_ms, q.embed.p50_ms, q.embed.p95_ms, q.ratio_p50]
         for q in report.query),
    )
    block(
        "index build (vs embedding the same passages alone; target <= 1.3) and re-index after one change (target <= 5%)",
        ["corpus", "backend", "passages", "build s", "embed s", "ratio", "passages/s", "re-index s", "share",
         "re-embedded/doc", "peak RSS MB"],
        ([b.corpus, b.backend, b.passages, b.build_s, b.embed_s, b.ratio, b.passages_per_s, b.reindex_s,
          "-" if b.reindex_share is None else f"{b.reindex_share:.1%}", f"{b.reembedded}/{b.document_passages}",
          b.peak_rss_mb] for b in report.build),
    )
    block(
        "cold start (qabot ask as a process vs import sentence_transformers, faiss; target extra <= 1.5 s)",
        ["backend", "qabot ask s", "imports s", "extra s", "peak RSS MB"],
        ([c.backend, c.ask_s, c.imports_s, c.extra_s, c.ask_peak_rss_mb] for c in report.cold),
    )
    block(
        "quality",
        ["backend", "SciFact nDCG@10", "dev hit@1"],
        ([q.backend, q.scifact_ndcg_at_10, q.dev_hit_at_1] for q in report.quality),
    )
    if report.backends:
        b = report.backends
        block(
            f"{b.fast} vs {b.base} (targets: speedups >= 2, nDCG loss <= 0.01, hit@1 loss <= 0.02)",
            ["query embed speedup", "build embed speedup", "nDCG@10 loss", "hit@1 loss"],
            iter([[b.query_embed_speedup, b.build_embed_speedup, b.ndcg_loss, b.hit_at_1_loss]]),
        )
    if report.peer:
        p = report.peer
        block(
            f"peer on SciFact: qabot ({p.backend}) vs {p.peer} (targets: ratios <= 0.5 at equal or better nDCG@10)",
            ["", "build s", "query p50 ms", "nDCG@10"],
            iter([["qabot", p.qabot_build_s, p.qabot_query_p50_ms, p.qabot_ndcg_at_10],
                  ["txtai", p.peer_build_s, p.peer_query_p50_ms, p.peer_ndcg_at_10],
                  ["ratio", p.build_ratio, p.query_ratio, ""]]),
        )
    block(
        "scale (synthetic passages, random vectors; targets: search p95 <= 20 ms, recall@10 >= 0.95)",
        ["passages", "factory", "params", "build s", "build peak MB", "load s", "load RSS MB", "k=10 p50/p95 ms",
         "k=100 p50/p95 ms", "recall@10", "BM25 p50/p95 ms", "disk MB"],
        ([s.passages, s.factory, ",".join(f"{k}={v}" for k, v in s.search_params.items()) or "-", s.build_s,
          s.build_peak_rss_mb, s.load_s, s.load_rss_mb, f"{s.search_k10.p50_ms}/{s.search_k10.p95_ms}",
          f"{s.search_k100.p50_ms}/{s.search_k100.p95_ms}", s.recall_at_10, f"{s.bm25.p50_ms}/{s.bm25.p95_ms}",
          s.disk_mb] for s in report.scale),
    )
    lines.extend(f"note: {n}" for n in report.notes)
    lines.append(f"total {report.seconds:.0f} s")
    return "\n".join(lines)
