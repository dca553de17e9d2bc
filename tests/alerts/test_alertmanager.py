"""The Alertmanager example, alerts/alertmanager.example.yml: checked, routed, and its
inhibitions shown to work.

- ``amtool check-config`` accepts it and ``amtool config routes test`` routes each severity (and
  the Watchdog) to its receiver;
- a real Alertmanager (the example, webhooks pointed at this test) receives the alerts of one
  incident per deployment, labelled as the rules label them, and must hold back exactly the
  alerts each inhibition explains — within the same deployment and group or host, and nothing
  else;
- the labels the inhibitions compare (``equal:``) are on both sides in the promtool tests of the
  rules (alerts/tests/*.yml), so what Alertmanager is asked to match is what Prometheus sends.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.stack import (
    Alertmanager,
    WebhookReceiver,
    example_alertmanager,
    run_alertmanager,
)
from support import load_rules_generator, require_tool, run_tool

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "alerts" / "alertmanager.example.yml"
RULE_TESTS = sorted((ROOT / "alerts" / "tests").glob("*.yml"))

gen = load_rules_generator()
DEPLOYMENT = list(gen.DEFAULT_GROUP_LABELS)
Labels = dict[str, str]
#: Per-replica alerts whose master_name comes from the Sentinels' lists (absent when none lists
#: the replica: replication without Sentinel).
GROUP_WHEN_KNOWN = {"RedisReplicationLinkDown", "RedisReplicationLagHigh"}


def example() -> Any:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


@functools.cache
def rules() -> list[dict[str, Any]]:
    """The alerting rules as the generator makes them (once: every inhibition reads them)."""
    return [r for g in gen.rule_file()["groups"] for r in g["rules"] if "alert" in r]


# --- amtool ---------------------------------------------------------------------------------


def test_amtool_check_config() -> None:
    result = run_tool([require_tool("amtool"), "check-config", str(EXAMPLE)], cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        ({"severity": "critical", "alertname": "RedisNoMaster"}, "pager"),
        ({"severity": "warning", "alertname": "RedisSentinelMasterODown"}, "ticket"),
        ({"severity": "info", "alertname": "RedisSomething"}, "null"),
        ({"severity": "none", "alertname": "Watchdog"}, "deadman"),
    ],
)
def test_amtool_routes(labels: Labels, receiver: str) -> None:
    result = run_tool(
        [
            require_tool("amtool"),
            "config",
            "routes",
            "test",
            f"--config.file={EXAMPLE}",
            *(f"{k}={v}" for k, v in labels.items()),
            "master_name=app-cache",
        ],
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == [receiver]


def test_grouping_and_every_inhibition_stay_inside_a_deployment() -> None:
    """An incident in one deployment must not share a notification with, or silence, the
    same-named group of another."""
    config = example()
    assert config["route"]["group_by"] == ["alertname", *DEPLOYMENT, "master_name"]
    for rule in config["inhibit_rules"]:
        assert set(DEPLOYMENT) <= set(rule["equal"]), rule


def test_the_watchdog_is_sent_often_and_alone() -> None:
    (route,) = [r for r in example()["route"]["routes"] if r["receiver"] == "deadman"]
    assert route["matchers"] == ['alertname="Watchdog"']
    assert route["repeat_interval"] == "1m"  # a dead man's switch expects it every minute
    watchdog = [r for r in rules() if r["alert"] == "Watchdog"]
    assert [r["expr"] for r in watchdog] == ["vector(1)"]


# --- the labels the inhibitions compare -----------------------------------------------------


def alert_names(matchers: list[str]) -> set[str]:
    """Alert names an inhibition's matchers select, among the rules' alerts."""
    names = {r["alert"] for r in rules()}
    for matcher in matchers:
        match = re.fullmatch(r'alertname(=~|=|!=)"(.*)"', matcher)
        assert match is not None, matcher
        op, value = match.groups()
        if op == "=":
            names &= {value}
        elif op == "=~":
            names = {n for n in names if re.fullmatch(value, n)}
        else:
            names -= {value}
    return names


@functools.cache
def proven_labels() -> dict[str, list[Labels]]:
    """Every alert's labels as the promtool tests of the rules expect them, by alert name."""
    found: dict[str, list[Labels]] = {}
    for path in RULE_TESTS:
        text = path.read_text(encoding="utf-8")
        for group in yaml.load(text, Loader=yaml.CSafeLoader)["tests"]:
            for case in group.get("alert_rule_test", []):
                for alert in case.get("exp_alerts") or []:
                    found.setdefault(case["alertname"], []).append(alert["exp_labels"])
    return found


def test_inhibitions_compare_labels_the_rules_give() -> None:
    """For every inhibition, the ``equal:`` labels (the deployment labels aside, absent from the
    single-deployment tests) are on every proven alert of its source and, for the explicit
    target lists, of its targets: Alertmanager compares what Prometheus really sends."""
    proven = proven_labels()
    for rule in example()["inhibit_rules"]:
        compared = set(rule["equal"]) - set(DEPLOYMENT)
        (source,) = alert_names(rule["source_matchers"])
        assert proven[source], source
        for labels in proven[source]:
            if source in GROUP_WHEN_KNOWN and "master_name" not in labels:
                continue
            assert compared <= set(labels), (source, labels)
        if any("!=" in m for m in rule["target_matchers"]):
            continue  # "every other alert": only those carrying the labels are held back
        for target in alert_names(rule["target_matchers"]):
            assert proven[target], target
            for labels in proven[target]:
                if target in GROUP_WHEN_KNOWN and "master_name" not in labels:
                    continue  # a replica no Sentinel lists: in no group, held back by none
                assert compared <= set(labels), (source, target, labels)
            assert any(compared <= set(labels) for labels in proven[target]), target


def test_a_host_down_never_hides_a_page() -> None:
    """``RedisExporterDown`` holds back the alerts that carry its ``host``: all tickets."""
    with_host = [r for r in rules() if '"host", "$1"' in r["expr"]]
    assert {r["alert"] for r in with_host} >= {
        "RedisDown",
        "RedisSentinelReplicaDown",
        "RedisRepeatedFullResyncs",
        "RedisRejectedConnections",
    }
    for rule in with_host:
        assert rule["labels"]["severity"] == "warning", rule["alert"]
    for name, alerts in proven_labels().items():
        for labels in alerts:
            if labels["severity"] == "critical":
                assert "host" not in labels, name
            elif "instance" in labels:
                # a ticket about one target is about its machine: the host-down holds it back
                assert "host" in labels, (name, labels)


# --- a real Alertmanager --------------------------------------------------------------------


def group_alert(name: str, deployment: str, severity: str, **labels: str) -> Labels:
    """An alert about a replication group, labelled as the rules label it."""
    return {"alertname": name, "cluster": deployment, "master_name": "mymaster",
            "severity": severity, **labels}  # fmt: skip


def host_alert(name: str, deployment: str, host: str, **labels: str) -> Labels:
    """An alert about one machine (a ticket), labelled as the rules label it."""
    return {"alertname": name, "cluster": deployment, "host": host, "severity": "warning",
            "job": "redis_exporter", "instance": f"{host}:9121", **labels}  # fmt: skip


@dataclass
class Incident:
    """Alerts that fire together in one deployment: which are held back, which are sent."""

    name: str
    source: Labels
    held: list[Labels]
    sent: list[Labels] = field(default_factory=list)


def incidents() -> list[Incident]:
    """One incident per inhibition, each in a deployment of its own (``d1`` ... ) except where
    an incident shows that another deployment is left alone."""
    lost = "10.0.0.3"
    return [
        Incident(
            "no master: its odown, stuck failover and replica symptoms are held back",
            group_alert("RedisNoMaster", "d1", "critical"),
            held=[
                group_alert("RedisSentinelMasterODown", "d1", "warning"),
                group_alert("RedisSentinelFailoverStuck", "d1", "warning"),
                group_alert("RedisSentinelMasterSDown", "d1", "warning"),
                group_alert(
                    "RedisSentinelReplicaDown",
                    "d1",
                    "warning",
                    host="10.0.0.2",
                    replica_address="10.0.0.2:6379",
                ),
                group_alert("RedisNoPromotableReplica", "d1", "warning"),
            ],
            sent=[
                # the failover ticket tells what happened; another deployment is its own
                group_alert("RedisSentinelFailover", "d1", "warning"),
                group_alert("RedisSentinelMasterODown", "d1b", "warning"),
                group_alert("RedisSentinelMasterODown", "d1", "warning", master_name="other"),
            ],
        ),
        Incident(
            "odown: sdown and the replica symptoms are held back",
            group_alert("RedisSentinelMasterODown", "d2", "warning"),
            held=[
                group_alert("RedisSentinelMasterSDown", "d2", "warning"),
                group_alert("RedisReplicaMissing", "d2", "warning"),
            ],
            sent=[group_alert("RedisSentinelFailoverStuck", "d2", "warning")],
        ),
        Incident(
            "two masters: the Sentinels' disagreement is part of it",
            group_alert("RedisTooManyMasters", "d3", "critical"),
            held=[group_alert("RedisSentinelMasterDisagreement", "d3", "critical")],
            sent=[
                group_alert(
                    "RedisSentinelMasterDisagreement", "d3", "critical", master_name="other"
                )
            ],
        ),
        Incident(
            "a replica's link is down: the master's missing replica is the same fact",
            host_alert(
                "RedisReplicationLinkDown",
                "d4",
                lost,
                master_name="mymaster",
                addr="localhost:6379",
                master_host="10.0.0.2",
                master_port="6379",
            ),
            held=[group_alert("RedisReplicaMissing", "d4", "warning")],
            sent=[group_alert("RedisSentinelMasterSDown", "d4", "warning")],
        ),
        Incident(
            "Sentinels one loss from no failover: the missing Sentinels are the reason",
            group_alert("RedisSentinelQuorumAtRisk", "d5", "warning"),
            held=[group_alert("RedisSentinelsMissing", "d5", "warning")],
        ),
        Incident(
            "a host is down: its own alerts are held back, the group's pages are not",
            host_alert("RedisExporterDown", "d6", lost),
            held=[
                host_alert("RedisDown", "d6", lost, addr="localhost:26379"),
                host_alert("RedisSentinelTilt", "d6", lost, addr="localhost:26379"),
                group_alert(
                    "RedisSentinelReplicaDown",
                    "d6",
                    "warning",
                    host=lost,
                    replica_address=f"{lost}:6379",
                ),
                host_alert(
                    "RedisReplicationLagHigh",
                    "d6",
                    lost,
                    slave_ip=lost,
                    slave_port="6379",
                    lag="bytes",
                ),
                # counted over an hour: it outlives the host's last scrape
                host_alert("RedisRepeatedFullResyncs", "d6", lost, addr="localhost:6379"),
            ],
            sent=[
                group_alert("RedisNoMaster", "d6", "critical", master_name="other"),
                group_alert("RedisSentinelQuorumAtRisk", "d6", "warning"),
                host_alert("RedisDown", "d6", "10.0.0.4", addr="localhost:6379"),
                host_alert("RedisDown", "d6b", lost, addr="localhost:6379"),
            ],
        ),
    ]


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Alertmanager]:
    tmp = tmp_path_factory.mktemp("alertmanager")
    with WebhookReceiver() as hook, run_alertmanager(tmp, example_alertmanager(hook.url)) as am:
        yield am


def key(labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


def test_every_inhibition_has_an_incident() -> None:
    sources = {i.source["alertname"] for i in incidents()}
    configured = {next(iter(alert_names(r["source_matchers"]))) for r in example()["inhibit_rules"]}
    assert sources == configured


def test_each_inhibition_holds_back_what_it_explains(alertmanager: Alertmanager) -> None:
    every = incidents()
    posted = [labels for i in every for labels in (i.source, *i.held, *i.sent)]
    alertmanager.post_alerts([{"labels": labels} for labels in posted])
    # Alertmanager's inhibitor learns the source alerts asynchronously: an alert can be listed
    # before its inhibitor has seen the source that holds it back. Wait until every alert is
    # listed and each expected to be held back is (or the deadline), then check by whom.
    to_hold = [key(labels) for i in every for labels in i.held]
    deadline = time.monotonic() + 10
    while True:
        alerts = alertmanager.alerts()
        held = {key(a["labels"]): a["status"]["inhibitedBy"] for a in alerts}
        settled = len(held) == len(posted) and all(held.get(k) for k in to_hold)
        if settled or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(held) == len(posted), held
    by_fingerprint = {a["fingerprint"]: a["labels"] for a in alerts}
    for incident in every:
        assert held[key(incident.source)] == [], incident.name
        for labels in incident.held:
            inhibitors = [by_fingerprint[f] for f in held[key(labels)]]
            assert inhibitors == [incident.source], (incident.name, labels, inhibitors)
        for labels in incident.sent:
            assert held[key(labels)] == [], (incident.name, labels)
