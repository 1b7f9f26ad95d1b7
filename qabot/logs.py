"""The log as the ``qabot`` command prints it: one line per record on stderr, never run into a progress bar.

Each record reads ``warning: skipping notes.txt: ...``, with anything a file name could smuggle in
made visible, on a line of its own: a build's progress bar is drawn on stderr too, and a plain
stream handler would write the record onto the end of the bar's line.
"""

from __future__ import annotations

import logging
import sys

from qabot.text import visible


class LineFormatter(logging.Formatter):
    """'warning: skipping notes.txt: ...', with anything a file name could smuggle in made visible. A record logged
    with ``exc_info`` adds its traceback, on lines of its own, where QABOT_LOG_LEVEL=DEBUG asks for details; one
    line otherwise."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{record.levelname.lower()}: {visible(record.getMessage())}"
        if record.exc_info and logging.getLogger("qabot").isEnabledFor(logging.DEBUG):
            return f"{line}\n{visible(self.formatException(record.exc_info), lines=True)}"
        return line


class AboveTheBar(logging.Handler):
    """Each record on stderr through ``tqdm.write``, which clears a bar drawn there, writes the line and draws
    the bar again below it."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            from tqdm import tqdm

            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:  # noqa: BLE001 - what logging.StreamHandler does: handleError reports it
            self.handleError(record)


def setup_logging(level: str) -> None:
    """qabot's records at ``level`` (QABOT_LOG_LEVEL), other libraries' warnings, as lines on stderr."""
    handler = AboveTheBar()
    handler.setFormatter(LineFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("qabot").setLevel(level)
    if level == "WARNING":  # the one-time model export holds a first build at 0% for seconds: say why
        logging.getLogger("qabot.embedding.export").setLevel(logging.INFO)
