"""End to end: two deployments that both call their group ``mymaster``, watched four ways.

Two real topologies (the seeds' layout: one master, two replicas, three Sentinels, group
``mymaster``), one exporter per "host" (its Redis and its Sentinel): six exporters. Four real
Prometheus servers evaluate the shipped rules (``for:`` divided by :data:`FACTOR`, RedisNoMaster
at 0 s as in test_oncall_e2e.py), every second:

- **single** scrapes all six under job ``redis_exporter``, each deployment's three targets with
  the target label ``cluster`` (``dc1``, ``dc2``): one Prometheus for every deployment;
- **dc1**, **dc2** scrape one deployment each, with ``external_labels: {cluster: dcN}``: the
  leaves of a federation (they evaluate the rules too, as a leaf that alerts locally does);
- **global** federates both leaves (``honor_labels``, ``match[]`` = ``FEDERATE_MATCH``) and
  evaluates the rules on what it federated.

single and global each deliver through their own Alertmanager (the shipped example) to their own
webhook. Phases: healthy — the recordings agree on all four, every dashboard query has data for
each deployment separately, and a minute is silent everywhere; then ``kill -9`` of dc2's master
— single and global page for dc2 only, with ``cluster="dc2"``, the same pages, and the four agree
on what fires once the failover has settled.
"""

from __future__ import annotations

import contextlib
import functools
import signal
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from dashboards.meanings import INTERVALS
from dashboards.queries import (
    alert_only_titles,
    committed_boards,
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
    Alertmanager,
    Prometheus,
    WebhookReceiver,
    describe_notifications,
    example_alertmanager,
    federate_job,
    host_exporters,
    labelled_job,
    run_alertmanager,
    run_prometheus,
    static_job,
    targets_of,
    wait_failover_calm,
    wait_settled,
    write_short_rules,
)
from harness.topology import Topology
from support import assert_serves_runbook

pytestmark = pytest.mark.e2e

GROUP = "mymaster"
CLUSTERS = ("dc1", "dc2")
FACTOR = 30
FOR_OVERRIDES = {"RedisNoMaster": "0s", "RedisSentinelMasterDisagreement": "20s"}
FAILOVER_TIMEOUT_MS = 30000
HEALTHY_SECONDS = 60.0
#: Every alert but the Watchdog, which fires whenever the rules run.
REDIS_ALERTS = 'ALERTS{alertname=~"Redis.*"}'
NO_MASTER = "RedisNoMaster"
FAILOVER = "RedisSentinelFailover"
BOARDS = committed_boards()
#: Recordings about a group, compared between the four servers (stable while healthy).
GROUP_RECORDINGS = (
    "master_name:redis_sentinel_member_address:group",
    "master_name:redis_sentinel_master_address:group",
    "master_name:redis_role_master:count",
    "master_name:redis_master_connected_slaves:max",
    "master_name:redis_sentinel_ok_sentinels:min",
    "master_name:redis_sentinel_votes_needed:max",
)

Answer = set[tuple[tuple[str, str], ...]]


@dataclass
class Watch:
    """The two deployments and the four Prometheus servers watching them."""

    topologies: dict[str, Topology]
    single: Prometheus
    leaves: dict[str, Prometheus]
    global_: Prometheus
    alertmanagers: dict[str, Alertmanager]
    webhooks: dict[str, WebhookReceiver]  # by the Prometheus that alerts through it
    targets: dict[str, list[str]]  # each deployment's exporters

    @property
    def alerting(self) -> dict[str, Prometheus]:
        """The servers that send alerts: one for everything, and the federating one."""
        return {"single": self.single, "global": self.global_}

    def everyone(self) -> dict[str, Prometheus]:
        return {**self.alerting, **self.leaves}


@pytest.fixture(scope="module")
def watch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Watch]:
    tmp = tmp_path_factory.mktemp("deployments")
    rules = [write_short_rules(tmp, FACTOR, FOR_OVERRIDES)]
    with contextlib.ExitStack() as stack:
        topologies = {
            cluster: stack.enter_context(
                Topology(tmp / cluster, groups=(GROUP,), failover_timeout_ms=FAILOVER_TIMEOUT_MS)
            )
            for cluster in CLUSTERS
        }
        targets = {
            cluster: targets_of(host_exporters(stack, topo, tmp / cluster))
            for cluster, topo in topologies.items()
        }
        webhooks = {name: stack.enter_context(WebhookReceiver()) for name in ("single", "global")}
        alertmanagers = {
            name: stack.enter_context(
                run_alertmanager(tmp / f"alertmanager-{name}", example_alertmanager(hook.url))
            )
            for name, hook in webhooks.items()
        }
        single = stack.enter_context(
            run_prometheus(
                tmp / "prometheus-single",
                [labelled_job(JOB, [({"cluster": c}, targets[c]) for c in CLUSTERS])],
                rule_files=rules,
                alertmanagers=[alertmanagers["single"].address],
            )
        )
        leaves = {
            cluster: stack.enter_context(
                run_prometheus(
                    tmp / f"prometheus-{cluster}",
                    [static_job(JOB, targets[cluster])],
                    rule_files=rules,
                    external_labels={"cluster": cluster},
                )
            )
            for cluster in CLUSTERS
        }
        global_ = stack.enter_context(
            run_prometheus(
                tmp / "prometheus-global",
                [federate_job("federate", [leaf.address for leaf in leaves.values()])],
                rule_files=rules,
                alertmanagers=[alertmanagers["global"].address],
            )
        )
        hosts = {"single": 6, "global": 6, "dc1": 3, "dc2": 3}
        for name, prometheus in {"single": single, "global": global_, **leaves}.items():
            wait_settled(prometheus, hosts[name])
        for topo in topologies.values():
            use_like_an_application(topo)
        yield Watch(topologies, single, leaves, global_, alertmanagers, webhooks, targets)


# --------------------------------------------------------------------------------------


def answer(prometheus: Prometheus, expr: str, **extra: str) -> Answer:
    """The label sets (``extra`` added: a leaf's external labels) and values of an instant
    query, comparable between servers."""
    return {
        tuple(sorted({**labels, **extra, "value": f"{value:g}"}.items()))
        for labels, value in prometheus.query(expr)
    }


def test_every_server_records_two_groups_apart(watch: Watch) -> None:
    """A group is (cluster, master_name): the single Prometheus, the federating one and the two
    leaves (whose local answers lack the external label) record the same groups."""
    for record in GROUP_RECORDINGS:
        single = answer(watch.single, record)
        assert {dict(labels)["cluster"] for labels in single} == set(CLUSTERS), (record, single)
        leaves = set().union(
            *(answer(leaf, record, cluster=cluster) for cluster, leaf in watch.leaves.items())
        )
        assert answer(watch.global_, record) == single, record
        assert leaves == single, record
    masters = watch.single.query("master_name:redis_role_master:count")
    assert sorted((labels["cluster"], labels["master_name"], v) for labels, v in masters) == [
        ("dc1", GROUP, 1.0),
        ("dc2", GROUP, 1.0),
    ]


# --- dashboards -----------------------------------------------------------------------


def variables_for(board: Mapping[str, Any], cluster: str) -> dict[str, str]:
    return default_variables(board) | {"job": JOB, "cluster": cluster} | INTERVALS


def survey(prometheus: Prometheus, cluster: str, *, skip: set[str] | None = None) -> dict[str, str]:
    """``{"file | cluster | title | expr": what is wrong}`` over every query of every dashboard
    with the cluster variable at ``cluster``: no data, or series of another deployment.
    ``skip`` (default: the failover-only and alert-only panels) are left out."""
    found: dict[str, str] = {}
    for name, board in BOARDS.items():
        skipped = failover_only_titles(board) | alert_only_titles(board) if skip is None else skip
        for title, expr in panel_queries(board, variables_for(board, cluster)):
            if title in skipped:
                continue
            where = f"{name} | {cluster} | {title} | {expr}"
            why = emptiness(prometheus, expr)
            if why is not None:
                found[where] = why
                continue
            if title.startswith("variable: "):
                continue  # a variable lists the values to choose from, other clusters too
            others = {labels.get("cluster", cluster) for labels, _ in prometheus.query(expr)}
            if others - {cluster}:
                found[where] = f"series of {sorted(others - {cluster})}"
    return found


@pytest.mark.parametrize("server", ["single", "global"])
def test_every_dashboard_query_shows_each_deployment_apart(watch: Watch, server: str) -> None:
    prometheus = watch.alerting[server]
    for cluster in CLUSTERS:
        findings = eventually_nothing(functools.partial(survey, prometheus, cluster), timeout=30)
        assert not findings, report(findings)
    # All deployments at once: the overview's group table has one line per (cluster, master).
    overview = BOARDS["redis-ha-overview.json"]
    every = default_variables(overview) | {"job": JOB} | INTERVALS
    master_ok = next(
        expr
        for title, expr in panel_queries(overview, every)
        if title == "Replication groups and current master"
    )
    lines = [
        (labels["cluster"], labels["master_name"]) for labels, _ in prometheus.query(master_ok)
    ]
    assert sorted(lines) == [("dc1", GROUP), ("dc2", GROUP)], master_ok


def test_a_healthy_minute_is_silent_everywhere(watch: Watch) -> None:
    rules = [r for p in watch.everyone().values() for g in p.rule_groups() for r in g["rules"]]
    assert [r["name"] for r in rules if r["health"] != "ok"] == []
    start = time.time()
    while time.time() - start < HEALTHY_SECONDS:
        for name, prometheus in watch.everyone().items():
            assert prometheus.query(REDIS_ALERTS) == [], (name, prometheus.alerts())
        for name, hook in watch.webhooks.items():
            noticed = [n for n in hook.notifications() if n.path != "/deadman"]
            assert noticed == [], (name, describe_notifications(noticed))
        time.sleep(5)
    window = int(time.time() - start)
    for name, prometheus in watch.everyone().items():
        # Not even a pending alert at any evaluation of the minute.
        assert prometheus.query(f"max_over_time({REDIS_ALERTS}[{window}s])") == [], name
    for name, alertmanager in watch.alertmanagers.items():
        held = {a["labels"]["alertname"] for a in alertmanager.alerts()}
        assert held == {"Watchdog"}, name


# --- kill -9 of dc2's master ----------------------------------------------------------


def sent(hook: WebhookReceiver, path: str) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    """Alert name and labels of every alert sent firing to ``path``."""
    return {
        (alert["labels"]["alertname"], tuple(sorted(alert["labels"].items())))
        for notification, alert in hook.alerts(status="firing")
        if notification.path == path
    }


def firing(prometheus: Prometheus, **extra: str) -> Answer:
    """Label sets of the alerts firing now (``extra`` added, as a leaf's external labels)."""
    return {
        tuple(sorted({**labels, **extra}.items()))
        for labels, _ in prometheus.query('ALERTS{alertname=~"Redis.*",alertstate="firing"}')
    }


def test_kill_of_dc2_master_pages_for_dc2_only(watch: Watch) -> None:
    dc2 = watch.topologies["dc2"]
    sentinels = len(dc2.sentinels)
    for prometheus, seen in ((watch.single, 2), (watch.global_, 2), (watch.leaves["dc2"], 1)):
        wait_failover_calm(prometheus, seen * sentinels)
    old = dc2.master_of_group(GROUP)
    dc1_master = watch.topologies["dc1"].sentinel_master_address(GROUP)
    dc2.kill(old, signal.SIGKILL)
    new = dc2.wait_new_master(GROUP, old.addr, timeout=30)
    for hook in watch.webhooks.values():
        for alertname, status in (
            (NO_MASTER, "firing"),
            (FAILOVER, "firing"),
            (NO_MASTER, "resolved"),
        ):
            wait_for(functools.partial(hook.alerts, alertname, status), timeout=60)
    time.sleep(3)  # anything that would arrive twice arrives now
    logs = {name: describe_notifications(h.notifications()) for name, h in watch.webhooks.items()}
    print(logs)  # shown by pytest when the test fails

    group = {"alertname": NO_MASTER, "cluster": "dc2", "master_name": GROUP}
    expected_page = (NO_MASTER, tuple(sorted({**group, "severity": "critical"}.items())))
    for name, hook in watch.webhooks.items():
        # Every notification is about dc2: the page says which deployment, and dc1 (the same
        # master name, healthy) raises nothing. (The Watchdog is each Prometheus's own.)
        for notification in hook.notifications():
            if notification.path == "/deadman":
                continue
            for alert in notification.alerts:
                assert alert["labels"].get("cluster") == "dc2", (name, alert["labels"])
        assert sent(hook, "/pager") == {expected_page}, (name, logs[name])
        ((page, no_master),) = hook.alerts(NO_MASTER, "firing")
        summary = no_master["annotations"]["summary"]
        assert summary == f"Redis group {GROUP} in cluster dc2 has no working master"
        # The runbook comes from a live exporter of dc2, the page's own deployment.
        url = no_master["annotations"]["runbook_url"]
        assert url.split("/")[2] in watch.targets["dc2"], (name, url)
        assert_serves_runbook(url, NO_MASTER)
        assert page.payload["groupLabels"] == group
        failovers = {a["labels"]["cluster"] for _, a in hook.alerts(FAILOVER, "firing")}
        assert failovers == {"dc2"}, (name, logs[name])
    # The same pages through one Prometheus and through the federation.
    assert sent(watch.webhooks["single"], "/pager") == sent(watch.webhooks["global"], "/pager")
    assert dc2.sentinel_master_address(GROUP) == new
    assert watch.topologies["dc1"].sentinel_master_address(GROUP) == dc1_master


def test_after_the_failover_all_four_agree_on_what_fires(watch: Watch) -> None:
    """Once the failover has settled, what still fires (the ticket for the failover, the dead
    old master) is the same on the single Prometheus, on the federating one, and on dc2's leaf
    (plus its external label); dc1's leaf fires nothing."""

    def agreed() -> bool:
        single = firing(watch.single)
        assert single, "nothing fires on single"
        assert {dict(labels)["cluster"] for labels in single} == {"dc2"}, single
        assert firing(watch.leaves["dc1"]) == set()
        return firing(watch.global_) == single == firing(watch.leaves["dc2"], cluster="dc2")

    wait_for(agreed, timeout=45)
    names = {dict(labels)["alertname"] for labels in firing(watch.single)}
    assert {FAILOVER, "RedisDown"} <= names


@pytest.mark.parametrize("server", ["single", "global"])
def test_failover_panels_show_dc2_and_never_mix(watch: Watch, server: str) -> None:
    """After dc2's failover its failover-only and alert-only panels have data; with the variable
    at dc1 no panel shows a series of dc2 (and the alert-only ones are empty)."""
    prometheus = watch.alerting[server]
    findings = eventually_nothing(lambda: survey(prometheus, "dc2", skip=set()), timeout=45)
    assert not findings, report(findings)
    dc1 = survey(prometheus, "dc1", skip=set())
    assert not [where for where, why in dc1.items() if why.startswith("series of")], dc1
    for board in BOARDS.values():
        for title, expr in panel_queries(board, variables_for(board, "dc1")):
            if title in alert_only_titles(board):
                assert emptiness(prometheus, expr) == "empty", (title, expr)
