"""The metrics module and its documentation: what docs/ promises is what the endpoint serves.

The endpoint is scraped over HTTP on a free port; test_discord_community.py scrapes it
with a running bot.
"""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from qabot.errors import SettingsError
from qabot.metrics import Metrics
from tests.conftest import REPO

DOCS = REPO / "docs"


def scrape(metrics: Metrics) -> list:
    server = metrics.serve(0)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=10) as response:
            return list(text_string_to_metric_families(response.read().decode()))
    finally:
        server.close()


def test_every_metric_the_docs_and_the_dashboard_name_is_served(fake_default_bot) -> None:
    metrics = Metrics()
    metrics.watch_index(fake_default_bot)
    metrics.watch_queue(lambda: 3, lambda: 2)
    metrics.question("slash", "answered", seconds=0.4)
    served = [f for f in scrape(metrics) if f.name.startswith("qabot_") and not f.name.endswith("_created")]
    samples = {s.name for f in served for s in f.samples}

    dashboard = json.loads((DOCS / "grafana-dashboard.json").read_text(encoding="utf-8"))
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    used = {name for expr in exprs for name in re.findall(r"\bqabot_[a-z_]+", expr)}
    assert len(used) >= 8 and used <= samples, used - samples

    table = re.findall(r"^\| `(qabot_[a-z_]+)` \|", (DOCS / "metrics.md").read_text(encoding="utf-8"), re.MULTILINE)
    assert sorted(table) == sorted(f.name + ("_total" if f.type == "counter" else "") for f in served)


def test_the_queue_and_the_index_are_read_at_scrape_time(fake_default_bot) -> None:
    metrics = Metrics()
    waiting = [0]
    metrics.watch_queue(lambda: waiting[0], lambda: 1)
    metrics.watch_index(fake_default_bot)
    waiting[0] = 7
    values = {s.name: s.value for f in scrape(metrics) for s in f.samples}
    assert values["qabot_queue_waiting"] == 7 and values["qabot_questions_in_progress"] == 1
    assert values["qabot_index_passages"] == fake_default_bot.manifest.passages
    assert values["qabot_votes_total"] == 0  # both values are there before the first vote, so rates exist


def test_unknown_outcomes_are_refused_and_a_taken_port_is_one_line() -> None:
    metrics = Metrics()
    with pytest.raises(ValueError):
        metrics.question("slash", "maybe")
    with pytest.raises(ValueError):  # a label takes none of a user's input: no name, no id, no unbounded values
        metrics.question("<@1300000000000000005>", "answered")
    assert not [s for f in scrape(metrics) for s in f.samples if "1300000000000000005" in str(s.labels)]
    server = metrics.serve(0)
    try:
        with pytest.raises(SettingsError, match="QABOT_METRICS_PORT"):
            Metrics().serve(server.port)
    finally:
        server.close()


@pytest.mark.parametrize("address", ["a..b", "x" * 300, "nowhere.invalid"])
def test_an_address_that_cannot_be_listened_on_is_one_line_naming_it(address: str) -> None:
    with pytest.raises(SettingsError, match="QABOT_METRICS_ADDRESS") as caught:
        Metrics().serve(0, address)
    assert "\n" not in str(caught.value)


def test_the_dashboard_counts_the_index_once_however_many_processes_serve_it() -> None:
    """Every process of a sharded bot serves the same index and swaps in the same builds: its figures are taken
    once (max), not summed, or two shards would show twice the passages and two rebuilds for one edit."""
    dashboard = json.loads((DOCS / "grafana-dashboard.json").read_text(encoding="utf-8"))
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"] if "qabot_index_" in t["expr"]]
    assert len(exprs) >= 3
    assert not [e for e in exprs if re.search(r"\bsum\b", e)], exprs
