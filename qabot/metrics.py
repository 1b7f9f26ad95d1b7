"""Prometheus metrics through ``prometheus-client``, served on ``QABOT_METRICS_PORT`` (off by default).

Every ``Metrics`` has its own registry, so two bots in one process (or tests) never
share counters. What it exposes:

- ``qabot_questions_total{frontend, outcome, reason}``: ``frontend`` is one of ``FRONTENDS``;
  ``outcome`` is ``answered``, ``abstained`` (the corpus does not answer), ``refused``
  (``reason``: ``busy``, ``cooldown``, ``too_long`` or ``invalid``) or ``error``. Each label
  takes only these words, never a member's input: no name or id, and no unbounded values;
- ``qabot_answer_seconds{frontend}``: a histogram of the time from question to answer sent;
- ``qabot_queue_waiting`` and ``qabot_questions_in_progress``: the queue in front of retrieval;
- ``qabot_votes_total{value}``: ``helpful`` and ``not_helpful`` votes;
- ``qabot_index_passages``, ``qabot_index_documents``, ``qabot_index_files``,
  ``qabot_index_last_build_timestamp_seconds`` and ``qabot_index_rebuilds_total``,
  read from the ``QABot`` at each scrape.

``docs/metrics.md`` has a Prometheus scrape config and a Grafana dashboard.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from qabot.errors import SettingsError

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

    from qabot.bot import QABot

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
FRONTENDS = ("slash", "mention", "dm", "menu", "forum")  # labels are these words alone: never a user's input
OUTCOMES = ("answered", "abstained", "refused", "error")
REASONS = ("busy", "cooldown", "too_long", "invalid")


class Metrics:
    """The counters, histogram and gauges of one running bot, in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.questions = Counter("qabot_questions", "Questions, by front-end and outcome (refused: why).",
                                 ["frontend", "outcome", "reason"], registry=self.registry)
        self.latency = Histogram("qabot_answer_seconds", "Seconds from a question to its answer being sent.",
                                 ["frontend"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.votes = Counter("qabot_votes", "Votes on answers, by value.", ["value"], registry=self.registry)
        self.waiting = Gauge("qabot_queue_waiting", "Questions waiting for a turn.", registry=self.registry)
        self.in_progress = Gauge("qabot_questions_in_progress", "Questions being answered now.",
                                 registry=self.registry)
        for value in ("helpful", "not_helpful"):
            self.votes.labels(value)  # shown as 0 before the first vote, so a rate exists

    def question(self, frontend: str | None, outcome: str, reason: str = "", seconds: float | None = None) -> None:
        """Count one question; ``seconds`` (from asked to answered) goes to the latency histogram. ``frontend`` None:
        not a question (``/sources``, refused as one would be), counted nowhere."""
        if frontend is None:
            return
        if frontend not in FRONTENDS or outcome not in OUTCOMES or (reason and reason not in REASONS):
            raise ValueError(f"unknown front-end {frontend!r} / outcome {outcome!r} / reason {reason!r}")
        self.questions.labels(frontend, outcome, reason).inc()
        if seconds is not None:
            self.latency.labels(frontend).observe(seconds)

    def vote(self, helpful: bool) -> None:
        self.votes.labels("helpful" if helpful else "not_helpful").inc()

    def watch_queue(self, waiting: Callable[[], int], running: Callable[[], int]) -> None:
        """Read the queue's depth at each scrape."""
        self.waiting.set_function(waiting)
        self.in_progress.set_function(running)

    def watch_index(self, qa: QABot) -> None:
        """Read the index's size, last build time and rebuilds from ``qa`` at each scrape."""
        self.registry.register(_IndexCollector(qa))

    def serve(self, port: int, address: str = "127.0.0.1") -> MetricsServer:
        """Serve ``/metrics`` over HTTP in a daemon thread; port 0 picks a free one."""
        try:
            server, thread = start_http_server(port, addr=address, registry=self.registry)
        except (OSError, UnicodeError) as exc:  # UnicodeError: a host name IDNA cannot encode ("a..b")
            why = "not a valid host name" if isinstance(exc, UnicodeError) else exc.strerror or exc
            raise SettingsError(f"cannot serve metrics on {address}:{port} (QABOT_METRICS_ADDRESS, "
                                f"QABOT_METRICS_PORT): {why}") from None
        served = MetricsServer(server, thread)
        log.info("metrics on http://%s:%d/metrics", address, served.port)
        return served


class MetricsServer:
    """The running ``/metrics`` endpoint; ``close()`` stops it."""

    def __init__(self, server: WSGIServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread

    @property
    def port(self) -> int:
        return self._server.server_port

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


class _IndexCollector(Collector):
    def __init__(self, qa: QABot) -> None:
        self.qa = qa

    def collect(self) -> Iterator[Metric]:
        manifest = self.qa.manifest
        yield GaugeMetricFamily("qabot_index_passages", "Passages in the index being served.", manifest.passages)
        yield GaugeMetricFamily("qabot_index_documents", "Documents in the index being served.", manifest.documents)
        yield GaugeMetricFamily("qabot_index_files", "Corpus files in the index being served.", len(manifest.files))
        yield GaugeMetricFamily("qabot_index_last_build_timestamp_seconds",
                                "When the index being served was built (Unix time).",
                                datetime.fromisoformat(manifest.built_at).timestamp())
        yield CounterMetricFamily("qabot_index_rebuilds", "New builds swapped in since the start.",
                                  getattr(self.qa, "rebuilds", 0))
