#!/usr/bin/env python3
"""Turn the saved Ubuntu IRC logs in raw/ into DiscordChatExporter-style JSON exports.

The builder is ../chat-extra/make_exports.py (chat-dev's, from ../shared/eval/chat-dev/),
run with this set's three logs, its seed and its folders: see that file for what it
writes. The output is deterministic, so a rerun gives byte-identical files.

Run from anywhere:  python3 make_exports.py
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (log file stem in raw/, channel name). The date of each log is the one in its name.
LOGS = [
    ("2010-10-27.train-c", "ubuntu-2010-10-27"),
    ("2012-03-24.train-c", "ubuntu-2012-03-24"),
    ("2017-09-02.train-c", "ubuntu-2017-09-02"),
]
SEED = "chat-blind/v1"


def _builder():
    spec = importlib.util.spec_from_file_location("chat_extra_exports", HERE.parent / "chat-extra" / "make_exports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # Its functions read these module settings: this set's own.
    module.HERE, module.RAW, module.CORPUS = HERE, HERE / "raw", HERE / "corpus"
    module.LOGS, module.SEED = LOGS, SEED
    return module


if __name__ == "__main__":
    _builder().main()
