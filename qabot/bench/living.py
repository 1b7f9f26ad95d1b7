"""The living-index phase of ``qabot bench``: what an edit costs in a folder of many files, and in a tenth of it.

SciFact is written out as one ``.txt`` file per abstract (its title as front matter), in
full and a tenth of it. For each size a ``QABot`` watches the folder, built first, while
another thread keeps asking it questions:

- **edit**: one file gets a sentence with a unique marker; ``served`` is the time from the
  save until a question about the marker is answered with it (median of ``edits``);
- **burst**: ``burst`` new files arrive ``rate`` per second; ``burst_last`` is the time from
  the last one's arrival until it is quoted.

If an edit cost what it changes, the whole corpus serves an edit about as fast as the
tenth (the target is at most 2x), and both within 2 s.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from qabot.bench.probes import median
from qabot.bench.report import LivingResult
from qabot.bot import QABot
from qabot.embedding import Embedder
from qabot.settings import Settings

POLL = 0.02
TIMEOUT = 300.0
SETTLE = 3.0  # seconds between the bot's start and the first edit: what this phase times is the edit, not the start


def write_files(source: Path, folder: Path, limit: int | None = None) -> int:
    """One ``.txt`` file per document of a BEIR ``corpus.jsonl``; returns how many."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    count = 0
    with source.open(encoding="utf-8") as handle:
        for line in handle:
            if limit is not None and count >= limit:
                break
            if not line.strip():
                continue
            record = json.loads(line)
            title = " ".join(str(record.get("title") or "").split())
            front = f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\n---\n" if title else ""
            (folder / f"{record['_id']}.txt").write_text(front + record["text"] + "\n", encoding="utf-8")
            count += 1
    return count


def bench_living(source: Path, work: Path, embedder: Embedder, backend: str, settings: Callable[..., Settings],
                 edits: int = 3, burst: int = 20, rate: float = 2.0, sizes: tuple[float, ...] = (0.1, 1.0),
                 settle: float = SETTLE, say: Callable[[str], None] = lambda _m: None) -> list[LivingResult]:
    """The phase at each size (a share of ``source``'s documents), smallest first."""
    with source.open(encoding="utf-8") as handle:
        total = sum(1 for line in handle if line.strip())
    results = []
    for share in sizes:
        count = max(1, round(total * share))
        folder = work / f"living-{count}"
        write_files(source, folder, count)
        say(f"{backend}: live edits in {count:,} files")
        results.append(_measure(folder, count, embedder, backend,
                                settings(corpus_dir=folder, index_dir=work / f"living-{count}-index"), edits, burst,
                                rate, settle))
    return results


def _measure(folder: Path, files: int, embedder: Embedder, backend: str, settings: Settings, edits: int, burst: int,
             rate: float, settle: float) -> LivingResult:
    QABot.from_settings(settings, embedder=embedder, progress=False).close()  # the first build is not what is timed
    bot = QABot.from_settings(settings, embedder=embedder, progress=False, watch=True)
    asked, failed = [0], [0]
    stop = threading.Event()
    questions = ["What is known about the effect of vitamin D?", "Which genes are linked to cancer?"]

    def keep_asking() -> None:
        while not stop.is_set():
            try:
                bot.ask(questions[asked[0] % len(questions)], k=3)
            except Exception:  # noqa: BLE001 - counted: the figure is how many fail
                failed[0] += 1
            asked[0] += 1

    asker = threading.Thread(target=keep_asking, daemon=True)
    served: list[float] = []
    target = sorted(folder.glob("*.txt"))[files // 2]
    pristine = target.read_text(encoding="utf-8")
    try:
        time.sleep(settle)
        asker.start()
        for _ in range(edits):
            marker = f"zq{uuid.uuid4().hex[:10]}"
            target.write_text(pristine.rstrip("\n") + f" The benchmark marker {marker} was recorded here.\n",
                              encoding="utf-8")
            served.append(_until_quoted(bot, marker, time.monotonic()))
        target.write_text(pristine, encoding="utf-8")
        markers = [f"zq{uuid.uuid4().hex[:10]}" for _ in range(burst)]
        arrived = 0.0
        for i, marker in enumerate(markers):
            (folder / f"burst-{i:02d}.txt").write_text(f"The benchmark marker {marker} arrived in a burst.\n",
                                                       encoding="utf-8")
            arrived = time.monotonic()
            if i + 1 < len(markers):
                time.sleep(1.0 / rate)
        burst_last = _until_quoted(bot, markers[-1], arrived)
        passages = bot.manifest.passages
    finally:
        stop.set()
        if asker.is_alive():
            asker.join(30)
        target.write_text(pristine, encoding="utf-8")
        for path in folder.glob("burst-*.txt"):
            path.unlink()
        bot.close()
    return LivingResult(
        backend=backend, files=files, passages=passages, edits=edits, served_s=round(median(served), 3),
        served_max_s=round(max(served), 3), burst=burst, burst_rate=rate, burst_last_s=round(burst_last, 3),
        questions=asked[0], errors=failed[0],
    )


def _until_quoted(bot: QABot, marker: str, since: float) -> float:
    """Seconds from ``since`` until the best excerpt for the marker quotes it."""
    while True:
        answer = bot.ask(f"Which benchmark marker {marker} was recorded?", k=1)
        if answer.excerpts and marker in answer.excerpts[0].text:
            return time.monotonic() - since
        if time.monotonic() - since > TIMEOUT:
            raise RuntimeError(f"the change was not served within {TIMEOUT:.0f} s")
        time.sleep(POLL)
