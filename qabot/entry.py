"""The ``qabot`` command's entry point (``[project.scripts]``, and ``python -m qabot``).

It holds Ctrl-C before anything else, then loads the command (``qabot.cli``: click, and the
library inside each command, a few tenths of a second) and runs it: a Ctrl-C while it loads
is raised where the command begins, and ends it in one line with status 130
(``qabot.process``), never a traceback. So this module imports only ``qabot.process`` (the
standard library's ``signal``, ``sys`` and ``io``, and the error tree) before the hold, and
``import qabot`` imports nothing of the library.
"""

from __future__ import annotations

from qabot.process import end_held, hold_interrupts


def main() -> None:
    hold_interrupts()
    try:
        from qabot.cli import main as run

        run()
    finally:
        end_held()
