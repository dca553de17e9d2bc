"""End to end on the seeds' real layout: what an on-call engineer sees and is paged for.

Three hosts (network namespaces of harness.netns), each with its Redis on ``:6379`` (host 0 the
first master), its Sentinel on ``:26379`` and our exporter on ``:9121`` **with its defaults** — so
every host's series carry the same ``addr`` (``localhost:6379``, ``localhost:26379``) and only
``instance`` tells the hosts apart. In the root namespace, a real Prometheus scrapes
``<host>:9121`` under job ``redis_exporter`` every second and evaluates the shipped rules
(``for:`` divided by :data:`FACTOR`, see :data:`FOR_OVERRIDES`), and a real Alertmanager routes
with the shipped example, its webhooks pointed at this test. One topology, phases in order:

1. a healthy minute: silent (only the Watchdog reaches the dead man's switch);
2. host 2's replica cut off from the master (``cut_from``): the overview shows the link down
   and the Sentinel that lost the master, and the link notifies once — a ticket, no page;
3. host 1's Redis killed: "Targets up" shows six targets with that one at 0;
4. ``kill -9`` of the master: one page (``RedisNoMaster``), not one per rule; the failover is
   drawn, and the panels that show what happens now showed it while it happened (sdown by a
   quorum, odown, a failover running); the old master rejoins as a replica and everything
   resolves.

In every phase every query of every dashboard is evaluated and compared with what the phase
means (tests/dashboards/meanings.py), not only checked for data.

It replaces the loopback-only alert and live-dashboard tests: one topology does both, on the
layout where ``addr`` alone merges hosts.
"""

from __future__ import annotations

import contextlib
import functools
import json
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from dashboards.meanings import INTERVALS, World, describe, survey
from dashboards.queries import (
    committed_boards,
    default_variables,
    eventually_nothing,
    panel_queries,
    use_like_an_application,
)
from harness.exporter import ExporterProcess, run_exporter
from harness.netns import Hosts
from harness.process import wait_for
from harness.stack import (
    JOB,
    JSON,
    RULES,
    Alertmanager,
    Notification,
    Prometheus,
    WebhookReceiver,
    alert_for,
    describe_notifications,
    example_alertmanager,
    run_alertmanager,
    run_prometheus,
    static_job,
    wait_failover_calm,
    wait_settled,
    write_short_rules,
)
from harness.topology import Topology
from support import assert_serves_runbook, require_tool, run_tool

pytestmark = pytest.mark.e2e

GROUP = "mymaster"
FACTOR = 30
FOR_OVERRIDES = {
    # A kill -9 of the master is an odown of about two seconds here (down-after 2 s, then the
    # failover). In production RedisNoMaster's 1m means "Sentinel did not fix it within a
    # minute"; 1m/30 would race the failover. At 0 s the test can count the page it causes.
    "RedisNoMaster": "0s",
    # Sentinels learn a new master from each other's hello messages, every 2 s: a disagreement
    # of a few seconds after a switch is normal (production: 1m).
    "RedisSentinelMasterDisagreement": "20s",
}
#: A replica notices a dead master link after repl-timeout (60 s by default).
FAST_LINK_TIMEOUT = ("repl-timeout 5", "repl-ping-replica-period 1")
#: RedisSentinelFailoverStuck pages a failover older than failover-timeout: one well above the
#: few seconds a failover takes here.
FAILOVER_TIMEOUT_MS = 30000
HEALTHY_SECONDS = 60.0
NO_MASTER = "RedisNoMaster"
FAILOVER = "RedisSentinelFailover"
LINK_DOWN = "RedisReplicationLinkDown"
MISSING = "RedisReplicaMissing"
BOARDS = committed_boards()
VARIABLES = default_variables(BOARDS["redis-sentinel.json"]) | {"job": JOB} | INTERVALS


@dataclass
class Seeds:
    hosts: Hosts
    topo: Topology
    exporters: list[ExporterProcess]
    prometheus: Prometheus
    alertmanager: Alertmanager
    webhook: WebhookReceiver
    rules: Path

    def world(self, **facts: Any) -> World:
        return World(tuple(h.ip for h in self.hosts), **{"master": 0, **facts})

    def host_of(self, address: str) -> int:
        return next(i for i, h in enumerate(self.hosts) if address.startswith(f"{h.ip}:"))


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeds]:
    tmp = tmp_path_factory.mktemp("oncall")
    rules = write_short_rules(tmp, FACTOR, FOR_OVERRIDES)
    with contextlib.ExitStack() as stack:
        hosts = stack.enter_context(Hosts(3))
        topo = stack.enter_context(
            Topology(
                tmp / "topo",
                hosts=hosts,
                redis_args=FAST_LINK_TIMEOUT,
                failover_timeout_ms=FAILOVER_TIMEOUT_MS,
            )
        )
        exporters = [
            stack.enter_context(run_exporter([], tmp, host=host, wait=False)) for host in hosts
        ]
        for exporter in exporters:
            exporter.wait_healthy()
        webhook = stack.enter_context(WebhookReceiver())
        alertmanager = stack.enter_context(
            run_alertmanager(tmp / "alertmanager", example_alertmanager(webhook.url))
        )
        prometheus = stack.enter_context(
            run_prometheus(
                tmp / "prometheus",
                [static_job(JOB, [e.address for e in exporters])],
                rule_files=[rules],
                alertmanagers=[alertmanager.address],
            )
        )
        wait_settled(prometheus, len(hosts))
        # What production has and a fresh topology lacks: a maxmemory, keys, lookups.
        use_like_an_application(topo)
        yield Seeds(hosts, topo, exporters, prometheus, alertmanager, webhook, rules)


# --- helpers --------------------------------------------------------------------------------


def sent(
    hook: WebhookReceiver, path: str, status: str = "firing", since: float = 0.0
) -> list[tuple[Notification, JSON]]:
    """``(notification, alert)`` for every alert sent to ``path`` with that status since."""
    return [(n, a) for n, a in hook.alerts(status=status) if n.path == path and n.received >= since]


def notified(hook: WebhookReceiver, path: str, alertname: str, status: str, since: float) -> bool:
    return alertname in names(sent(hook, path, status, since))


def held_back(alertmanager: Alertmanager, target: str, source: str) -> bool:
    """Whether Alertmanager holds ``target`` and holds it back because of ``source`` only."""
    alerts = alertmanager.alerts()
    by_fingerprint = {a["fingerprint"]: a["labels"]["alertname"] for a in alerts}
    held = [a for a in alerts if a["labels"]["alertname"] == target]
    assert held, f"{target} is not in Alertmanager yet"
    for alert in held:
        assert alert["status"]["state"] == "suppressed", alert
        assert [by_fingerprint.get(f) for f in alert["status"]["inhibitedBy"]] == [source], alert
    return True


def names(pairs: list[tuple[Notification, JSON]]) -> list[str]:
    return sorted(a["labels"]["alertname"] for _, a in pairs)


def redis_alerts(prometheus: Prometheus, state: str = "firing") -> set[str]:
    found = prometheus.query(f'ALERTS{{alertname=~"Redis.*",alertstate="{state}"}}')
    return {labels["alertname"] for labels, _ in found}


#: What the "happening now" panels reach while Sentinel fails a dead master over: a quorum (2)
#: sees it down, it is objectively down (sdown + odown = 2 per Sentinel), a failover runs.
DURING_A_FAILOVER = {
    ("redis-ha-overview.json", "Sentinels seeing the master down"): 2,
    ("redis-ha-overview.json", "Objectively down"): 1,
    ("redis-ha-overview.json", "Master down per Sentinel"): 2,
    ("redis-ha-overview.json", "Failover in progress"): 1,
    ("redis-sentinel.json", "Subjectively down (sdown)"): 1,
    ("redis-sentinel.json", "Objectively down (odown)"): 1,
    ("redis-sentinel.json", "Failover in progress"): 1,
    ("redis-sentinel.json", "Failover running"): 1,
}


def during(seeds: Seeds, start: float, end: float) -> dict[tuple[str, str], float]:
    """The highest value (capped at what :data:`DURING_A_FAILOVER` wants) each of its panels'
    queries reached for the group, evaluated at every second from ``start`` to ``end``."""
    window = f"[{int(end - start) + 1}s:1s]"
    reached: dict[tuple[str, str], float] = {}
    for (board, title), wanted in DURING_A_FAILOVER.items():
        (expr,) = [e for t, e in panel_queries(BOARDS[board], VARIABLES) if t == title]
        samples = seeds.prometheus.query(f"max_over_time(({expr}){window})", at=end)
        values = [v for labels, v in samples if labels.get("master_name") == GROUP]
        reached[board, title] = min(max(values, default=0.0), wanted)
    return reached


def assert_panels(seeds: Seeds, world: World, timeout: float = 45) -> None:
    """Every query of every dashboard shows what ``world`` means (retried: rates and Sentinel
    refreshes take a few seconds to catch up)."""
    findings = eventually_nothing(
        functools.partial(survey, seeds.prometheus, BOARDS, world), timeout
    )
    assert not findings, describe(findings, world)


def settle(seeds: Seeds, *still: str, timeout: float = 60) -> None:
    """Wait until no Redis alert fires or is pending but ``still``, and every alert the
    webhook got as firing was also resolved (``still`` aside)."""

    def quiet() -> bool:
        active = redis_alerts(seeds.prometheus) | redis_alerts(seeds.prometheus, "pending")
        assert active <= set(still), active
        fired = {
            json.dumps(a["labels"], sort_keys=True)
            for _, a in seeds.webhook.alerts(status="firing")
        }
        resolved = {
            json.dumps(a["labels"], sort_keys=True)
            for _, a in seeds.webhook.alerts(status="resolved")
        }
        open_ = {
            f for f in fired - resolved if json.loads(f)["alertname"] not in {*still, "Watchdog"}
        }
        assert not open_, open_
        return True

    wait_for(quiet, timeout=timeout, interval=1.0)


# --- the phases -----------------------------------------------------------------------------


def test_the_shortened_rules_keep_every_alert(seeds: Seeds) -> None:
    result = run_tool([require_tool("promtool"), "check", "rules", str(seeds.rules)])
    assert result.returncode == 0, result.stdout + result.stderr
    shipped = alert_for(yaml.safe_load(RULES.read_text()))
    short = alert_for(yaml.safe_load(seeds.rules.read_text()))
    assert short.keys() == shipped.keys()
    assert short[NO_MASTER] == {"0s"}
    assert short["RedisSentinelMasterODown"] == {"4s"}  # 2m / 30: after NoMaster
    assert short["RedisReplicationLagHigh"] == {"4s"}


def test_a_healthy_minute_is_silent(seeds: Seeds) -> None:
    prometheus, hook = seeds.prometheus, seeds.webhook
    rules = [r for g in prometheus.rule_groups() for r in g["rules"]]
    assert [r["name"] for r in rules if r["health"] != "ok"] == []
    healthy = seeds.world()
    assert_panels(seeds, healthy)
    start = time.time()
    while time.time() - start < HEALTHY_SECONDS:
        assert redis_alerts(prometheus) | redis_alerts(prometheus, "pending") == set()
        assert sent(hook, "/pager") + sent(hook, "/ticket") == []
        time.sleep(5)
    window = int(time.time() - start)
    # Not even a pending Redis alert at any evaluation of the minute.
    assert prometheus.query(f'max_over_time(ALERTS{{alertname=~"Redis.*"}}[{window}s])') == []
    assert_panels(seeds, healthy)
    # The only notification is the dead man's switch, which works: the Watchdog arrived.
    assert {n.path for n in hook.notifications()} == {"/deadman"}
    watchdog = names(sent(hook, "/deadman"))
    assert watchdog
    assert set(watchdog) == {"Watchdog"}


def test_a_replica_cut_off_shows_and_notifies_once(seeds: Seeds) -> None:
    hosts, hook = seeds.hosts, seeds.webhook
    start = time.time()
    hosts[2].cut_from(hosts[0])
    try:
        wait_for(functools.partial(notified, hook, "/ticket", LINK_DOWN, "firing", start), 60)
        # Host 2's replica lost its link; host 2's Sentinel lost the master; the Sentinels of
        # hosts 0 and 2 lost each other.
        cut = seeds.world(
            links_down=frozenset({2}),
            sdown_by=frozenset({2}),
            sentinels_ok=(2, 3, 2),
            firing=frozenset({LINK_DOWN}),
        )
        assert_panels(seeds, cut)
        # The master's side of the same fact fires too, and Alertmanager holds it back.
        wait_for(functools.partial(held_back, seeds.alertmanager, MISSING, LINK_DOWN), 30)
    finally:
        hosts[2].restore(hosts[0])
    settle(seeds)
    log = describe_notifications(hook.notifications())
    # No page: a replica cut off loses no write.
    assert sent(hook, "/pager", since=start) == [], log
    # The link notified once, naming the host (instance and host) and the group.
    ((_, link),) = [
        (n, a)
        for n, a in sent(hook, "/ticket", since=start)
        if a["labels"]["alertname"] == LINK_DOWN
    ]
    labels = link["labels"]
    assert (labels["instance"], labels["addr"]) == (f"{hosts[2].ip}:9121", "localhost:6379"), log
    assert (labels["host"], labels["master_name"], labels["severity"]) == (
        hosts[2].ip,
        GROUP,
        "warning",
    )
    # Whatever else the cut raised is a distinct fact, each notified once. (The master's
    # "fewer replicas", held back while the link alert fired (checked above), may go out in
    # the second the link alert resolves: this test's Alertmanager flushes its groups every
    # second and resolves it a moment earlier; the example's 5 minutes do not.)
    others = names(sent(hook, "/ticket", since=start))
    assert len(others) == len(set(others)), log
    assert set(others) <= {
        LINK_DOWN,
        MISSING,
        "RedisSentinelMasterSDown",
        "RedisSentinelQuorumAtRisk",
        "RedisSentinelsMissing",
    }, log
    assert_panels(seeds, seeds.world())


def test_a_killed_redis_shows_as_down(seeds: Seeds) -> None:
    topo, prometheus = seeds.topo, seeds.prometheus
    victim = topo.redis[1]
    instance = f"{seeds.hosts[1].ip}:9121"
    start = time.time()
    topo.kill(victim, signal.SIGKILL)
    try:
        wait_for(
            lambda: prometheus.query(
                f'redis_up{{instance="{instance}",addr="localhost:6379"}} == 0'
            ),
            timeout=30,
        )
        assert_panels(seeds, seeds.world(dead=frozenset({1}), firing=frozenset({"RedisDown"})))
        # Its runbook link, as Prometheus fills it in with the shipped default base: the first
        # live exporter by instance, which serves the runbook.
        up = prometheus.query('up{job="redis_exporter"} == 1')
        live = min(labels["instance"] for labels, _ in up)
        (url,) = {
            alert["annotations"]["runbook_url"]
            for alert in prometheus.alerts()
            if alert["labels"]["alertname"] == "RedisDown" and alert["state"] == "firing"
        }
        assert url == f"http://{live}/runbooks/RedisDown.md"
        assert_serves_runbook(url, "RedisDown")
    finally:
        topo.restart(victim)
    topo.wait_ready(30)
    use_like_an_application(topo)  # its maxmemory went with the process
    settle(seeds)
    assert sent(seeds.webhook, "/pager", since=start) == [], describe_notifications(
        seeds.webhook.notifications()
    )
    assert "RedisDown" in names(sent(seeds.webhook, "/ticket", since=start))
    # Back, and resumed where it stopped: the RDB it got at its first sync holds its replication
    # ID and offset, so the master's backlog sufficed (a partial resync, no full one).
    assert_panels(seeds, seeds.world())


def test_killing_the_master_pages_once_and_the_failover_is_drawn(seeds: Seeds) -> None:
    topo, prometheus, hook = seeds.topo, seeds.prometheus, seeds.webhook
    wait_failover_calm(prometheus, len(topo.sentinels))
    old = topo.master_of_group(GROUP)
    start = time.time()
    topo.kill(old, signal.SIGKILL)
    new_address = topo.wait_new_master(GROUP, old.addr, timeout=30)
    switched = time.time()
    new = seeds.host_of(new_address)
    for path, alertname, status in (
        ("/pager", NO_MASTER, "firing"),
        ("/ticket", FAILOVER, "firing"),
        ("/pager", NO_MASTER, "resolved"),
    ):
        wait_for(functools.partial(notified, hook, path, alertname, status, start), timeout=60)
    # The failover is drawn, the old master shows as down, the new one as master.
    after = seeds.world(
        master=new,
        dead=frozenset({0}),
        failovers=1,
        just_failed_over=True,
        firing=frozenset({FAILOVER, "RedisDown"}),
    )
    assert_panels(seeds, after)
    # Drawn where it happened: the failover annotation and the +switch-master event, a few
    # seconds after the switch (every Sentinel's exporter has scraped it by then).
    drawn = dict(panel_queries(BOARDS["redis-sentinel.json"], VARIABLES))
    at = switched + 5
    annotation = prometheus.query(drawn["annotation: Failovers"], at=at)
    # (increase() extrapolates: 1.004 is one failover; the panels show no decimals)
    assert [(labels["master_name"], round(value)) for labels, value in annotation] == [(GROUP, 1)]
    events = {
        labels["event"]: round(value)
        for labels, value in prometheus.query(drawn["Events by type"], at=at)
    }
    assert events.get("+switch-master") == 1, events
    assert {"+sdown", "+odown"} <= set(events), events
    # While it happened, the "happening now" panels said so: each query, evaluated at every
    # second from the kill to the switch, reached what the incident means.
    seen = during(seeds, start, at)
    assert seen == DURING_A_FAILOVER, seen
    # The old master comes back as a replica of the new one (as its runbook says).
    with (old.workdir / "redis.conf").open("a") as conf:
        conf.write(f"replicaof {seeds.hosts[new].ip} 6379\n")
    topo.restart(old)
    topo.wait_ready(30)
    use_like_an_application(topo)
    settle(seeds, FAILOVER)
    log = describe_notifications(hook.notifications())
    print(log)  # shown by pytest when the test fails

    # One page for the incident: RedisNoMaster, once, then its resolution.
    pages = sent(hook, "/pager", since=start)
    assert names(pages) == [NO_MASTER], log
    ((page, alert),) = pages
    assert alert["labels"] == {"alertname": NO_MASTER, "master_name": GROUP, "severity": "critical"}
    assert alert["annotations"]["summary"] == f"Redis group {GROUP} has no working master"
    assert_serves_runbook(alert["annotations"]["runbook_url"], NO_MASTER)
    assert page.payload["groupLabels"] == {"alertname": NO_MASTER, "master_name": GROUP}
    assert names(sent(hook, "/pager", "resolved", since=start)) == [NO_MASTER], log
    # The rest are tickets, each once: the failover, and the old master while it was dead.
    tickets = names(sent(hook, "/ticket", since=start))
    assert tickets.count(FAILOVER) == 1, log
    assert len(tickets) == len(set(tickets)), log
    assert "RedisSentinelFailoverStuck" not in tickets, log
    # Settled: the failover ticket stays for its 10 minutes, nothing else fires.
    assert redis_alerts(prometheus) == {FAILOVER}
    settled = replace(
        after,
        dead=frozenset(),
        firing=frozenset({FAILOVER}),
        just_failed_over=False,
        full_resyncs=frozenset({new}),  # the old master came back empty: a full copy
    )
    assert_panels(seeds, settled)
