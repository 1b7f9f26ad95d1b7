"""The ``qabot`` command with the fake embedder installed: ``python tests/fake_qabot.py ask ...``.

Tests of the CLI and the REPL run it as a real process without loading the model.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes import install

install()

from qabot.cli import main

sys.argv[0] = "qabot"
main()
