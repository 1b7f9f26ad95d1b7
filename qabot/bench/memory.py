"""The memory phase of ``qabot bench``: what building and serving cost a user, each as its own process.

- **build**: ``qabot index`` into an empty index folder (the ONNX export, made once, is
  shared), its peak RSS as the child itself reads it when it exits;
- **serving**: ``qabot repl`` with the corpus's questions piped in, its peak RSS, beside
  a process that only loads the model and embeds one text: the difference is what the
  index adds, compared with the size of its files (they are memory-mapped, so a page
  counts only once it is read).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from qabot.bench.corpora import Corpus
from qabot.bench.phases import MEASURED, child
from qabot.bench.report import MemoryResult
from qabot.index.manifest import read_manifest

_QABOT = "from qabot.cli import main; sys.argv[0] = 'qabot'; main()"
_MODEL_ONLY = (
    "from pathlib import Path\n"
    "from qabot.embedding import make_embedder\n"
    "from qabot.settings import load_settings\n"
    "make_embedder(load_settings(_env_file=None, index_dir=Path(sys.argv[1]))).embed(['one question'])"
)


def bench_memory(corpus: Corpus, backend: str, work: Path, questions: int = 50) -> MemoryResult:
    """Build ``corpus`` with ``qabot index`` in a child process, then serve it from another."""
    index_dir = work / backend / f"{corpus.name}-memory"
    shutil.rmtree(index_dir, ignore_errors=True)
    index_dir.mkdir(parents=True)
    shared = work / backend / "models"
    if shared.is_dir():
        (index_dir / "models").symlink_to(shared.resolve())  # the run's ONNX export: not part of the build
    env = {**os.environ, "QABOT_CORPUS_DIR": str(corpus.folder), "QABOT_INDEX_DIR": str(index_dir),
           "QABOT_EMBEDDING_BACKEND": backend, "QABOT_WATCH": "false", "HF_HUB_OFFLINE": "1"}
    index_s, index_peak = child([sys.executable, "-c", MEASURED.format(code=_QABOT), "index"], env)
    manifest = read_manifest(index_dir)
    assert manifest is not None
    disk = sum(p.stat().st_size for s in manifest.segments for p in (index_dir / s.name).rglob("*") if p.is_file())
    typed = "".join(q.replace("\n", " ") + "\n" for q in corpus.questions[:questions]).encode()
    _, serving = child([sys.executable, "-c", MEASURED.format(code=_QABOT), "repl"], env, stdin=typed)
    _, model = child([sys.executable, "-c", MEASURED.format(code=_MODEL_ONLY), str(index_dir)], env)
    added = serving - model
    return MemoryResult(
        corpus=corpus.name, backend=backend, passages=manifest.passages, index_s=round(index_s, 2),
        index_peak_rss_mb=round(index_peak, 1), disk_mb=round(disk / (1 << 20), 3), serving_rss_mb=round(serving, 1),
        model_rss_mb=round(model, 1), index_rss_mb=round(added, 1), index_rss_ratio=round(added / max(disk / (1 << 20), 1e-9), 2),
    )
