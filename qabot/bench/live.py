"""The live-edit phase of ``qabot bench``: how soon a running bot quotes a document that just changed.

A ``QABot`` with watching on serves a BEIR corpus while another thread keeps asking it
questions. One document is edited on disk (a sentence with a unique marker appended);
the time until a question about the marker is answered with it is ``served``; the
incremental rebuild the edit caused is ``rebuild``, and what is left (noticing the
change, debouncing, swapping the new build in) is the overhead. The corpus is then put
back as it was, and the bot is seen to follow that too.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from qabot.bench.corpora import Corpus
from qabot.bench.probes import median
from qabot.bench.report import LiveResult
from qabot.bot import QABot
from qabot.embedding import Embedder
from qabot.settings import Settings

POLL = 0.05
TIMEOUT = 300.0


def bench_live(corpus: Corpus, embedder: Embedder, backend: str, settings: Settings, edits: int = 3) -> LiveResult:
    """Edit one document ``edits`` times while a watching bot answers; the figures are medians."""
    assert corpus.jsonl is not None
    pristine = corpus.jsonl.read_bytes()
    bot = QABot.from_settings(settings, embedder=embedder, progress=False, watch=True)
    asked, failed = [0], [0]
    stop = threading.Event()

    def keep_asking() -> None:  # questions in flight while builds are swapped
        questions = corpus.questions or ["a question"]
        while not stop.is_set():
            try:
                bot.ask(questions[asked[0] % len(questions)], k=3)
            except Exception:  # noqa: BLE001 - counted, not raised: the figure is how many fail
                failed[0] += 1
            asked[0] += 1

    asker = threading.Thread(target=keep_asking, daemon=True)
    served, rebuilds = [], []
    try:
        time.sleep(1.0)  # the watch is in place
        asker.start()
        for _ in range(edits):
            marker = f"zq{uuid.uuid4().hex[:10]}"
            before = bot.manifest.build
            _append(corpus.jsonl, pristine, f" The benchmark marker {marker} was recorded here.")
            started = time.monotonic()
            while marker not in _best(bot, f"benchmark marker {marker}"):
                if time.monotonic() - started > TIMEOUT:
                    raise RuntimeError(f"the edit was not served within {TIMEOUT:.0f} s")
                time.sleep(POLL)
            served.append(time.monotonic() - started)
            if bot.manifest.build != before:
                rebuilds.append(bot.manifest.seconds)
            corpus.jsonl.write_bytes(pristine)
            _wait_for(lambda b=bot.manifest.build: bot.manifest.build != b)
    finally:
        stop.set()
        if asker.is_alive():
            asker.join(30)
        corpus.jsonl.write_bytes(pristine)
        bot.close()
    served_s, rebuild_s = median(served), median(rebuilds) if rebuilds else 0.0
    return LiveResult(
        corpus=corpus.name, backend=backend, edits=edits, served_s=round(served_s, 3), rebuild_s=round(rebuild_s, 3),
        overhead_s=round(served_s - rebuild_s, 3), questions=asked[0], errors=failed[0],
    )


def _append(jsonl: Path, pristine: bytes, sentence: str) -> None:
    """The corpus with ``sentence`` appended to its middle document, written in place."""
    lines = pristine.decode("utf-8").splitlines()
    middle = len(lines) // 2
    record = json.loads(lines[middle])
    record["text"] += sentence
    lines[middle] = json.dumps(record, ensure_ascii=False)
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _best(bot: QABot, question: str) -> str:
    answer = bot.ask(question, k=1)
    return answer.excerpts[0].text if answer.excerpts else ""


def _wait_for(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the bot did not follow the corpus back to its first state")
        time.sleep(POLL)
