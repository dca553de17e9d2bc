"""End to end: every panel of the Grafana dashboards shows data from a real topology.

A real Prometheus scrapes one exporter per host (job ``redis_exporter``) and evaluates the
shipped alert rules (``for:`` shortened, for the "Alerts firing" panels); the topology is used as
an application would (``use_like_an_application``: a maxmemory, keys with and without a TTL,
lookups), so that the "Redis instance" panels have memory limits, keys and hits to show. Every
query of the committed dashboard JSON — panel targets, the failover annotation and the
variables' queries — is sent, variables substituted, to ``/api/v1/query`` and must succeed with a
non-empty result (a result of only NaN counts as empty: Grafana shows no value):

- on the healthy topology, except the panels the dashboards mark "Empty until a failover has
  happened." / "Empty while no Redis alert fires." (``failover_only_titles`` /
  ``alert_only_titles`` of tests/dashboards/queries.py); the alert-only ones must then be empty;
- after a real ``SENTINEL FAILOVER``, every query, including those: the failover also fires
  ``RedisSentinelFailover`` (for: 0s), which the alert-only panels show.

Each pass runs with the variables at All (``.*``) and with a concrete master name. Grafana's
interval variables get values that fit a short range over 1 s scrapes (:data:`INTERVALS`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from dashboards.queries import (
    alert_only_titles,
    default_variables,
    emptiness,
    eventually_nothing,
    failover_only_titles,
    panel_queries,
    report,
    use_like_an_application,
)
from harness.process import wait_for
from harness.stack import (
    JOB,
    MonitoredTopology,
    Prometheus,
    monitored_topology,
    write_short_rules,
)

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "dashboards"
NAMES = (
    "redis-ha-overview.json",
    "redis-replication.json",
    "redis-sentinel.json",
    "redis-instance.json",
)
GROUP = "app-cache"
#: Grafana's built-ins for a 10-minute range at 1 s scrapes ($__rate_interval >= 4 scrapes).
INTERVALS = {"__rate_interval": "30s", "__interval": "15s", "__range": "10m", "__range_s": "600"}


BOARDS: dict[str, dict[str, Any]] = {
    name: json.loads((DASHBOARDS / name).read_text(encoding="utf-8")) for name in NAMES
}


def variable_sets(board: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The variable values each pass uses: everything at All, and one concrete master."""
    every = default_variables(board) | {"job": JOB} | INTERVALS
    return {"all": every, GROUP: every | {"master_name": GROUP}}


def survey(prometheus: Prometheus, *, skip: bool) -> dict[str, str]:
    """``{"file | pass | title | expr": why empty}`` over every query of every dashboard; with
    ``skip``, the failover-only and alert-only panels are left out."""
    found: dict[str, str] = {}
    for name, board in BOARDS.items():
        skipped = failover_only_titles(board) | alert_only_titles(board) if skip else set()
        for label, variables in variable_sets(board).items():
            for title, expr in panel_queries(board, variables):
                if title in skipped:
                    continue
                why = emptiness(prometheus, expr)
                if why is not None:
                    found[f"{name} | {label} | {title} | {expr}"] = why
    return found


def alert_only_queries() -> list[tuple[str, str]]:
    return [
        (title, expr)
        for board in BOARDS.values()
        for title, expr in panel_queries(board, variable_sets(board)["all"])
        if title in alert_only_titles(board)
    ]


def eventually_complete(prometheus: Prometheus, *, skip: bool, timeout: float) -> dict[str, str]:
    """Survey until nothing is empty or ``timeout``; returns the last survey's findings."""
    return eventually_nothing(lambda: survey(prometheus, skip=skip), timeout)


@pytest.fixture(scope="module")
def monitored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MonitoredTopology]:
    tmp = tmp_path_factory.mktemp("dashboards")
    rules = write_short_rules(tmp, 30)
    with monitored_topology(tmp, groups=(GROUP,), rule_files=[rules]) as stack:
        use_like_an_application(stack.topo)
        yield stack


def test_every_dashboard_has_panels_of_both_kinds() -> None:
    # The live passes below mean something only if they cover queries of every dashboard and
    # the failover-only / alert-only sets are what the dashboards say.
    for name, board in BOARDS.items():
        titles = {title for title, _ in panel_queries(board, variable_sets(board)["all"])}
        assert len(titles) > 5, name
        assert failover_only_titles(board) <= titles, name
        assert alert_only_titles(board) <= titles, name
    assert alert_only_queries() != []


def test_every_panel_shows_data_on_the_healthy_topology(monitored: MonitoredTopology) -> None:
    prometheus = monitored.prometheus
    findings = eventually_complete(prometheus, skip=True, timeout=30)
    assert not findings, report(findings)
    # No alert fires on a healthy topology, so the alert-only panels are rightly empty.
    assert prometheus.query('ALERTS{alertstate="firing"}') == []
    for title, expr in alert_only_queries():
        assert emptiness(prometheus, expr) == "empty", title


def test_every_panel_shows_data_after_a_failover(monitored: MonitoredTopology) -> None:
    topo, prometheus = monitored.topo, monitored.prometheus
    old = topo.sentinel_master_address(GROUP)
    new = topo.sentinel_failover(GROUP)
    assert new != old
    topo.wait_ready(30)
    # Every exporter counted the +switch-master of its Sentinel, and the failover alert fires.
    wait_for(
        lambda: len(prometheus.query("redis_sentinel_failovers_total > 0")) == monitored.hosts,
        timeout=30,
    )
    wait_for(
        lambda: prometheus.query('ALERTS{alertname="RedisSentinelFailover",alertstate="firing"}'),
        timeout=30,
    )
    findings = eventually_complete(prometheus, skip=False, timeout=45)
    assert not findings, report(findings)
