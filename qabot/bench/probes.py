"""Probes of the machine and the process: timings, peak and current RSS, CPU time stolen by the hypervisor.

Peak RSS is per phase: on Linux, writing 5 to ``/proc/self/clear_refs`` resets the
high-water mark that ``VmHWM`` reports.
"""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from qabot.bench.report import BenchReport, Latency, Machine


def ms(seconds: Sequence[float]) -> Latency:
    values = np.asarray(seconds) * 1000
    return Latency(p50_ms=round(float(np.percentile(values, 50)), 3), p95_ms=round(float(np.percentile(values, 95)), 3))


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def timed(func: Callable[[], object]) -> float:
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def reset_peak_rss() -> None:
    """Start a new peak-RSS window (Linux: writing 5 to clear_refs resets VmHWM)."""
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")


def peak_rss_mb() -> float:
    return _status_mb("VmHWM")


def rss_mb() -> float:
    return _status_mb("VmRSS")


def _status_mb(field: str) -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def cpu_times() -> list[int] | None:
    try:
        return [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError):
        return None


def machine_info() -> Machine:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = 0.0
    with contextlib.suppress(OSError, ValueError):
        memory = int(Path("/proc/meminfo").read_text().split()[1]) / (1 << 20)
    versions = {}
    for name in ("torch", "sentence-transformers", "transformers", "faiss-cpu", "bm25s", "onnxruntime", "txtai", "numpy"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            versions[name] = version(name)
    return Machine(
        cpu=cpu,
        cores=os.cpu_count() or 1,
        memory_gib=round(memory, 1),
        python=platform.python_version(),
        versions=versions,
        load_before=[round(x, 2) for x in os.getloadavg()],
    )


def steal_share(before: list[int] | None) -> float | None:
    """The share of CPU time the hypervisor took since ``before`` (a ``cpu_times()`` reading)."""
    after = cpu_times()
    if not before or not after or len(after) <= 7:
        return None
    spent = [b - a for a, b in zip(before, after, strict=True)]
    return round(spent[7] / max(1, sum(spent)), 3)


def close_report(report: BenchReport, cpu_before: list[int] | None, started: float) -> BenchReport:
    """Stamp the load average, the stolen CPU time and the total time on a finished report."""
    report.machine.load_after = [round(x, 2) for x in os.getloadavg()]
    report.machine.steal_share = steal_share(cpu_before)
    report.seconds = round(time.perf_counter() - started, 1)
    return report
