"""The results ``qabot bench`` reports, as pydantic models (``--json`` prints them)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from qabot.bench.reading import ReadingResult, ReadingShare


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
    ratio_p50: float = Field(description="bot.ask p50 / embedding-alone p50 (target <= 1.3)")


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
    peak_rss_mb: float = Field(description="of this process over the phase (the embedding floor too); a user's qabot index: memory")


class MemoryResult(BaseModel):
    corpus: str
    backend: str
    passages: int
    index_s: float = Field(description="qabot index as a process, from nothing (the model already exported)")
    index_peak_rss_mb: float = Field(description="its peak RSS: what building costs a user (target <= 1 GB on SciFact)")
    disk_mb: float = Field(description="the build's files on disk")
    serving_rss_mb: float = Field(description="peak RSS of qabot repl answering the questions, piped")
    model_rss_mb: float = Field(description="peak RSS of a process that only loads the model and embeds")
    index_rss_mb: float = Field(description="serving - model: what the index adds")
    index_rss_ratio: float = Field(description="index_rss / disk (target <= 2)")


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
    build_embed_speedup: float | None = Field(
        None, description="base / fast, embedding the passages (target >= 2); None: no build was timed (no SciFact)")
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


class LiveResult(BaseModel):
    corpus: str
    backend: str
    edits: int
    served_s: float = Field(description="median: a document edited on disk until a question quotes the new text")
    rebuild_s: float = Field(description="median: the incremental rebuild that the edit caused")
    overhead_s: float = Field(description="median: served - rebuild, the watching and swapping (target <= 2)")
    questions: int = Field(description="questions asked by another thread throughout")
    errors: int = Field(description="of those, how many failed (target 0)")


class LivingResult(BaseModel):
    backend: str
    files: int = Field(description="corpus files, one per document")
    passages: int
    edits: int
    served_s: float = Field(description="median: one file edited until a question quotes the new text (target <= 2)")
    served_max_s: float
    burst: int = Field(description="new files arriving one after another")
    burst_rate: float = Field(description="files per second")
    burst_last_s: float = Field(description="the last file's arrival until it is quoted (target <= 3)")
    questions: int = Field(description="questions asked by another thread throughout")
    errors: int = Field(description="of those, how many failed (target 0)")


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
    engine: str = "faiss"
    hybrid: Latency | None = Field(
        None, description="the engine's whole candidates() call: dense and BM25 top 100, rows fetched, fused inputs"
    )
    hybrid_scoped: Latency | None = Field(None, description="the same, scoped to one of the ten files (a tenth)")
    upsert_served_s: float | None = Field(
        None, description="median: one document upserted through the document API until a search finds it")
    where: str | None = Field(None, description="Milvus: the URI (a Lite file runs in this process)")


class BenchReport(BaseModel):
    machine: Machine
    runs: int
    default_backend: str
    query: list[QueryResult] = Field(default_factory=list)
    build: list[BuildResult] = Field(default_factory=list)
    cold: list[ColdStart] = Field(default_factory=list)
    memory: list[MemoryResult] = Field(default_factory=list)
    quality: list[Quality] = Field(default_factory=list)
    backends: BackendComparison | None = None
    peer: PeerResult | None = None
    scale: list[ScaleResult] = Field(default_factory=list)
    live: list[LiveResult] = Field(default_factory=list)
    living: list[LivingResult] = Field(default_factory=list)
    reading: list[ReadingResult] = Field(default_factory=list)
    reading_share: ReadingShare | None = None
    notes: list[str] = Field(default_factory=list)
    seconds: float = 0.0
