"""The backfill of a long channel, measured as a process: its time and its own peak RSS.

    python -m tests.backfill_bench --messages 100000      # prints one JSON line

The loopback Discord (tests/discord_double.py) serves a channel of ``--messages`` messages,
made on request (``DiscordDouble.synthesize``: a question, the reply that answers it, a
thanks, and an unrelated remark, over and over), in this process. A child process runs
``qabot discord sync`` against it (``qabot.adapters.discord.bot.sync``: the real discord.py
client, the real backfill, index and state database, in a temporary folder), on the fake
embedder: what is measured is reading, linking, storing and indexing the history, not the
model, whose cost per passage ``qabot bench`` measures. The child's peak RSS is the
kernel's (``os.wait4``'s ``ru_maxrss``), the same figure ``/usr/bin/time -v`` reports.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def serve(folder: Path) -> None:
    """Open the index the backfill made, as a serving process would, and answer one question."""
    from qabot import QABot
    from tests.fakes import HashEmbedder

    with QABot.from_settings(corpus_dir=folder / "corpus", index_dir=folder / "index", embedder=HashEmbedder(),
                             progress=False, _env_file=None) as qa:
        qa.ask("How do I set up the proxy number 7 on the lab server?", k=1)


def _peak(command: list[str], out: Path) -> tuple[float, float]:
    """Run ``command`` as a process: its seconds and its own peak RSS in MB (``os.wait4``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QABOT_")}
    with open(out, "w") as handle:
        started = time.monotonic()
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=handle)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - started
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"{command} failed")
    return seconds, usage.ru_maxrss / 1024


def child(api: str, gateway: str, folder: Path) -> None:
    import logging

    import yarl
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    from qabot.adapters.discord.bot import sync
    from qabot.settings import load_settings
    from tests.discord_double import OTHER_CHANNEL_ID
    from tests.fakes import HashEmbedder
    from tests.test_discord_bot import TOKEN

    Route.BASE = api
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    lines: list[str] = []

    class Count(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logging.getLogger("qabot.adapters.discord").addHandler(Count())
    logging.getLogger("qabot.adapters.discord").setLevel(logging.INFO)
    corpus = folder / "corpus"
    corpus.mkdir()
    (corpus / "handbook.txt").write_text("The dome opens at dusk.\n", encoding="utf-8")
    settings = load_settings(_env_file=None, corpus_dir=corpus, index_dir=folder / "index", state_dir=folder / "state",
                             discord_token=TOKEN, discord_message_content=True,
                             discord_history_channel_ids=[OTHER_CHANNEL_ID])
    started = time.perf_counter()
    reading = sync(settings, embedder=HashEmbedder())
    seconds = time.perf_counter() - started
    from qabot import QABot
    from qabot.feedback import FeedbackStore
    from qabot.history import HistoryStore

    with QABot.from_settings(settings, embedder=HashEmbedder(), progress=False) as qa:
        documents, passages = qa.manifest.documents, qa.manifest.passages
        found = qa.ask("How do I set up the proxy number 7 on the lab server?", k=1).excerpts[0].text
    kept, linked = HistoryStore(FeedbackStore(folder / "state")).counts()
    print(json.dumps({"seconds": round(seconds, 1), "messages_read": reading.messages, "kept": kept,
                      "linked": linked, "documents": documents, "passages": passages,
                      "progress_lines": sum("history:" in line for line in lines), "answer": found}))


def parent(messages: int) -> dict:
    from tests.discord_double import GUILD_ID, OTHER_CHANNEL_ID, DiscordDouble

    double = DiscordDouble(guild_ids=(GUILD_ID,)).start()
    double.synthesize(OTHER_CHANNEL_ID, messages)
    try:
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            me = [sys.executable, "-m", "tests.backfill_bench"]
            wall, peak = _peak([*me, "--child", double.api, double.gateway, name], folder / "out.json")
            result = json.loads((folder / "out.json").read_text().strip().splitlines()[-1])
            _, serving = _peak([*me, "--serve", name], folder / "serve.out")
    finally:
        double.stop()
    pages = sum(1 for r in double.requests if r.path == f"/channels/{OTHER_CHANNEL_ID}/messages")
    return {"messages": messages, "process_seconds": round(wall, 1), "peak_rss_mb": round(peak, 1),
            "serving_the_same_index_peak_rss_mb": round(serving, 1), "history_pages": pages, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--child", nargs=3, metavar=("API", "GATEWAY", "FOLDER"))
    parser.add_argument("--serve", metavar="FOLDER")
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], Path(args.child[2]))
    elif args.serve:
        serve(Path(args.serve))
    else:
        print(json.dumps(parent(args.messages)))


if __name__ == "__main__":
    main()
