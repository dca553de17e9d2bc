"""End to end: the shipped alert rules in a real Prometheus, paging through a real Alertmanager.

One host per node as in the seeds (its Redis, its Sentinel, its exporter), Prometheus scraping
the three exporters under job ``redis_exporter`` every second and evaluating
``alerts/redis-ha.rules.yml`` with every ``for:`` divided by :data:`FACTOR` (at least 1 s),
and Alertmanager routing with ``alerts/alertmanager.example.yml`` whose webhooks point at this
test (routes, grouping and inhibitions kept; group_wait 0 s, group_interval 1 s).

Timing choices, both forced by how short a failover is on loopback (down-after 1 s; the odown
flag lasts about 2 s from ``+odown`` to ``+switch-master``):

- ``RedisSentinelMasterODown`` gets ``for: 0s``: in production its ``for: 1m`` means "page
  only when Sentinel has not fixed it within a minute", so a self-healing failover pages nobody
  (docs/alerts.md); scaled by 30 it would be 2 s, as long as the whole odown, and never fire.
- Alertmanager's ``group_wait`` is 0 s: with 1 s the first flush could come after the
  (resolved) odown and Alertmanager would then never send it, since it only sends a resolved
  alert it has sent as firing before.

The Sentinels' failover-timeout is 30 s (the seeds use 60-180 s): ``RedisSentinelFailoverStuck``
measures "in progress since" on a ``[1h:15s]`` subquery, i.e. up to 15 s too long, so with the
launcher's default of 6 s a normal 2 s failover can page as stuck.
"""

from __future__ import annotations

import contextlib
import re
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from harness.process import wait_for
from harness.stack import (
    JSON,
    RULES,
    Alertmanager,
    Notification,
    Prometheus,
    WebhookReceiver,
    alert_for,
    describe_notifications,
    example_alertmanager,
    monitored_topology,
    rfc3339_time,
    run_alertmanager,
    wait_failover_calm,
    write_short_rules,
)
from harness.topology import Topology
from support import assert_serves_runbook, require_tool, run_tool

pytestmark = pytest.mark.e2e

GROUP = "app-cache"
FACTOR = 30
FOR_OVERRIDES = {"RedisSentinelMasterODown": "0s"}
HEALTHY_SECONDS = 60.0
ODOWN = "RedisSentinelMasterODown"
FAILOVER = "RedisSentinelFailover"
STUCK = "RedisSentinelFailoverStuck"
FAILOVER_TIMEOUT_MS = 30000


@dataclass
class Stack:
    topo: Topology
    prometheus: Prometheus
    alertmanager: Alertmanager
    webhook: WebhookReceiver


@pytest.fixture(scope="module")
def short_rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_short_rules(tmp_path_factory.mktemp("rules"), FACTOR, FOR_OVERRIDES)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, short_rules: Path) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("alerts")
    with contextlib.ExitStack() as stack:
        webhook = stack.enter_context(WebhookReceiver())
        alertmanager = stack.enter_context(
            run_alertmanager(tmp / "alertmanager", example_alertmanager(webhook.url))
        )
        monitored = stack.enter_context(
            monitored_topology(
                tmp,
                groups=(GROUP,),
                failover_timeout_ms=FAILOVER_TIMEOUT_MS,
                rule_files=[short_rules],
                alertmanagers=[alertmanager.address],
            )
        )
        yield Stack(monitored.topo, monitored.prometheus, alertmanager, webhook)


# --------------------------------------------------------------------------------------


def test_shortened_rules_are_valid_and_keep_every_alert(short_rules: Path, tmp_path: Path) -> None:
    result = run_tool([require_tool("promtool"), "check", "rules", str(short_rules)])
    assert result.returncode == 0, result.stdout + result.stderr
    shipped = alert_for(yaml.safe_load(RULES.read_text()))
    short = alert_for(yaml.safe_load(short_rules.read_text()))
    assert short.keys() == shipped.keys()
    assert short[ODOWN] == {"0s"}
    assert short["RedisSentinelMasterSDown"] == {"4s"}  # 2m / 30
    assert short["RedisReplicationLagHigh"] == {"10s", "4s"}  # 5m and 2m / 30
    assert short[FAILOVER] == {"0s"}  # stays 0s
    config = tmp_path / "alertmanager.yml"
    config.write_text(yaml.safe_dump(example_alertmanager("http://127.0.0.1:1")))
    checked = run_tool([require_tool("amtool"), "check-config", str(config)])
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_healthy_topology_raises_no_alert_for_a_minute(stack: Stack) -> None:
    prometheus, webhook = stack.prometheus, stack.webhook
    # The rules really run: every rule evaluates without error, the recording rules see the group.
    rules = [r for g in prometheus.rule_groups() for r in g["rules"]]
    assert [r["name"] for r in rules if r["health"] != "ok"] == []
    assert prometheus.query("master_name:redis_sentinel_master_address:group") != []
    start = time.time()
    while time.time() - start < HEALTHY_SECONDS:
        assert prometheus.query("ALERTS") == [], prometheus.alerts()
        assert webhook.notifications() == [], describe_notifications(webhook.notifications())
        time.sleep(5)
    window = int(time.time() - start)
    # Not even a pending alert at any evaluation of the minute.
    assert prometheus.query(f"max_over_time(ALERTS[{window}s])") == []
    assert prometheus.alerts() == []
    assert stack.alertmanager.alerts() == []
    assert webhook.notifications() == [], describe_notifications(webhook.notifications())


def only(pairs: list[tuple[Notification, JSON]], what: str) -> tuple[Notification, JSON]:
    assert len(pairs) == 1, f"{what}: {len(pairs)} times: {[a for _, a in pairs]}"
    return pairs[0]


def test_master_kill_pages_odown_then_failover_and_odown_resolves(stack: Stack) -> None:
    topo, webhook = stack.topo, stack.webhook
    wait_failover_calm(stack.prometheus, len(topo.sentinels))
    old = topo.master_of_group(GROUP)
    topo.kill(old, signal.SIGKILL)
    new = topo.wait_new_master(GROUP, old.addr, timeout=30)
    wait_for(lambda: webhook.alerts(ODOWN, "firing"), timeout=60)
    wait_for(lambda: webhook.alerts(FAILOVER, "firing"), timeout=60)
    wait_for(lambda: webhook.alerts(ODOWN, "resolved"), timeout=60)
    time.sleep(3)  # anything that would arrive twice arrives now
    log = describe_notifications(webhook.notifications())
    print(log)  # shown by pytest when the test fails

    # One page per incident: a single odown alert, aggregated over the three Sentinels.
    page, odown = only(webhook.alerts(ODOWN, "firing"), "odown firing")
    assert page.path == "/pager", log
    assert page.payload["receiver"] == "pager"
    assert odown["labels"] == {"alertname": ODOWN, "master_name": GROUP, "severity": "critical"}
    assert odown["annotations"]["summary"] == f"Master {GROUP} is objectively down"
    assert_serves_runbook(odown["annotations"]["runbook_url"], ODOWN)
    assert page.payload["groupLabels"] == {"alertname": ODOWN, "master_name": GROUP}

    # Then the completed failover, as a ticket.
    tickets = {a["fingerprint"]: (n, a) for n, a in webhook.alerts(FAILOVER, "firing")}
    ticket, failover = only(list(tickets.values()), "failover alerts")
    assert ticket.path == "/ticket", log
    assert failover["labels"] == {
        "alertname": FAILOVER,
        "master_name": GROUP,
        "severity": "warning",
    }
    assert rfc3339_time(failover["startsAt"]) >= rfc3339_time(odown["startsAt"])

    # The odown resolves once Sentinel has switched to the new master.
    cleared, resolved = only(webhook.alerts(ODOWN, "resolved"), "odown resolved")
    assert cleared.path == "/pager", log
    assert resolved["fingerprint"] == odown["fingerprint"]
    assert resolved["startsAt"] == odown["startsAt"]
    assert rfc3339_time(resolved["endsAt"]) > rfc3339_time(resolved["startsAt"])
    assert cleared.received > page.received
    assert stack.prometheus.query(f'ALERTS{{alertname="{ODOWN}"}}') == []
    assert topo.sentinel_master_address(GROUP) == new
    # A failover that finished well inside its failover-timeout is not "stuck".
    assert webhook.alerts(STUCK) == [], log


def test_a_firing_alert_links_its_runbook_on_a_live_exporter(stack: Stack) -> None:
    """The shipped default runbook base in a real Prometheus: a firing alert's runbook_url, as
    /api/v1/alerts gives it, names the first live exporter of the job (by instance), and a GET
    there returns the alert's runbook. A replica is killed for RedisDown to fire (after the
    test above its old master is down too)."""
    topo, prometheus = stack.topo, stack.prometheus
    master = topo.sentinel_master_address(GROUP)
    replica = next(n for n in topo.group_members(GROUP) if n.alive and n.addr != master)
    topo.kill(replica, signal.SIGKILL)
    firing: list[dict[str, str]] = []  # their annotations

    def redis_down_fires() -> bool:
        firing[:] = [
            alert["annotations"]
            for alert in prometheus.alerts()
            if alert["labels"]["alertname"] == "RedisDown" and alert["state"] == "firing"
        ]
        return bool(firing)

    wait_for(redis_down_fires, timeout=60)
    live = {labels["instance"] for labels, _ in prometheus.query('up{job="redis_exporter"} == 1')}
    assert len(live) == len(topo.sentinels)  # every host's exporter, none of them down
    for alert in firing:
        url = alert["runbook_url"]
        assert re.fullmatch(rf"http://{re.escape(min(live))}/runbooks/RedisDown\.md", url), url
        assert_serves_runbook(url, "RedisDown")
