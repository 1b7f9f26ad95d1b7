"""The ``qabot bench`` report as plain-text tables, each target beside its figure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from qabot.bench.report import BenchReport
from qabot.text import render_table, visible


def table(report: BenchReport) -> str:
    """The report as plain-text tables, targets beside the figures."""
    m = report.machine
    lines = [
        f"machine: {m.cpu}, {m.cores} cores, {m.memory_gib} GiB; python {m.python}",
        (
            f"load average before {m.load_before}, after {m.load_after}; CPU stolen by the hypervisor: "
            f"{'?' if m.steal_share is None else f'{m.steal_share:.0%}'}; medians of {report.runs} runs"
        ),
        "",
    ]

    def block(title: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        cells = [["-" if c is None else str(c) for c in row] for row in rows]
        if cells:
            lines.extend([render_table(title, list(header), cells), ""])

    block(
        "query latency (bot.ask vs embedding the question alone; target ratio <= 1.3)",
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
        "memory (qabot index and qabot repl, each its own process; targets: index peak <= 1 GB on SciFact, "
        "the index adds <= 2x its files)",
        ["corpus", "backend", "passages", "index s", "index peak MB", "disk MB", "serving MB", "model MB",
         "index adds MB", "x disk"],
        ([m.corpus, m.backend, m.passages, m.index_s, m.index_peak_rss_mb, m.disk_mb, m.serving_rss_mb,
          m.model_rss_mb, m.index_rss_mb, m.index_rss_ratio] for m in report.memory),
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
        "live edits (a watching bot; a document edited on disk until it is quoted; target overhead <= 2 s, 0 errors)",
        ["corpus", "backend", "edits", "served s", "rebuild s", "overhead s", "questions meanwhile", "errors"],
        ([r.corpus, r.backend, r.edits, r.served_s, r.rebuild_s, r.overhead_s, r.questions, r.errors]
         for r in report.live),
    )
    block(
        "living index (one file per SciFact abstract, a tenth and all; targets: an edit served <= 2 s, all <= 2x the "
        "tenth, the last of a burst of new files served <= 3 s after it arrives; 0 errors)",
        ["files", "passages", "backend", "edit served s", "max s", "burst", "last served s", "questions meanwhile",
         "errors"],
        ([r.files, r.passages, r.backend, r.served_s, r.served_max_s, f"{r.burst} at {r.burst_rate}/s", r.burst_last_s,
          r.questions, r.errors] for r in report.living),
    )
    if len(report.living) >= 2:
        lines.append(f"living index: an edit in all the files costs {report.living[-1].served_s / max(report.living[0].served_s, 1e-9):.2f}x "
                     "the same edit in a tenth of them (target <= 2)")
        lines.append("")
    block(
        "scale (synthetic passages in ten files, random vectors; targets at 1M: search p95 <= 20 ms, recall@10 >= "
        "0.95, BM25 p50 <= 20 ms, build peak <= 1.5 GB, an upserted document served <= 2 s)",
        ["engine", "passages", "factory", "params", "build s", "build peak MB", "load s", "load RSS MB",
         "k=10 p50/p95 ms", "k=100 p50/p95 ms", "recall@10", "BM25 p50/p95 ms", "hybrid p50/p95 ms",
         "scoped p50/p95 ms", "upsert served s", "disk MB"],
        ([s.engine, s.passages, s.factory, ",".join(f"{k}={v}" for k, v in s.search_params.items()) or "-",
          s.build_s, s.build_peak_rss_mb, s.load_s, s.load_rss_mb, f"{s.search_k10.p50_ms}/{s.search_k10.p95_ms}",
          f"{s.search_k100.p50_ms}/{s.search_k100.p95_ms}", s.recall_at_10, f"{s.bm25.p50_ms}/{s.bm25.p95_ms}",
          f"{s.hybrid.p50_ms}/{s.hybrid.p95_ms}" if s.hybrid else "-",
          f"{s.hybrid_scoped.p50_ms}/{s.hybrid_scoped.p95_ms}" if s.hybrid_scoped else "-",
          "-" if s.upsert_served_s is None else s.upsert_served_s, s.disk_mb] for s in report.scale),
    )
    block(
        "reading (file to documents and paragraphs, as a build reads them)",
        ["format", "files", "documents", "pages", "MB", "read s", "files/s", "pages/s"],
        ([r.format, r.files, r.documents, "-" if r.pages is None else r.pages, r.mb, r.read_s, r.files_per_s,
          "-" if r.pages_per_s is None else r.pages_per_s] for r in report.reading),
    )
    if report.reading_share:
        r = report.reading_share
        block(
            "reading in a build of the PDFs alone (embedding cache off; target share <= 10%)",
            ["backend", "files", "pages", "passages", "read s", "build s", "share"],
            iter([[r.backend, r.files, r.pages, r.passages, r.read_s, r.build_s, f"{r.share:.1%}"]]),
        )
    lines.extend(f"note: {visible(n)}" for n in report.notes)  # a note can name a folder
    lines.append(f"total {report.seconds:.0f} s")
    return "\n".join(lines)
