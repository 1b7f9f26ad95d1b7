"""Run a command and write its own peak RSS (KiB, as wait4 gives it) to a file: ``python -m tests.peak FILE CMD ...``.

A process started straight from the test runner would report the runner's size as its peak: Linux keeps a
process's peak RSS across exec, and a forked child starts at its parent's. This small process forks the
command instead, so what is measured is the command's own (what /usr/bin/time -v reports when run from a shell).
"""

from __future__ import annotations

import os
import sys


def main() -> int:
    out, command = sys.argv[1], sys.argv[2:]
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    with open(out, "w", encoding="utf-8") as f:
        f.write(str(usage.ru_maxrss))
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
