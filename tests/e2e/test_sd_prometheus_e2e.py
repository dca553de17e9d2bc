"""End to end: a real Prometheus discovers the whole topology from one exporter's ``/sd``.

The topology is the seeds': Redis with ``requirepass``, Sentinels without a password, one host's
exporter given the Redis password file. Prometheus gets two ``http_sd_configs`` jobs pointed at
that exporter: ``redis_exporter`` relabels every discovered address into
``/scrape?target=<address>`` (the relabeling of ``redis_ha_exporter.discovery``'s docstring,
unchanged since before profiles existed), and ``redis_ha_sd`` reads ``/sd?targets=exporter`` and
needs no relabeling at all. Nothing else is configured — no relabeling for credentials: each
target's ``profile`` comes from ``/sd``, so the three Redis servers get the Redis password and the
three Sentinels none, and all six must be healthy, with their group and role and the deployment
label the first job's relabeling adds (``cluster``, as docs/alerts.md shows), and follow a
failover. A second topology gives the Sentinels a password of their own.
"""

from __future__ import annotations

import contextlib
import json
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.exporter import ExporterProcess, run_exporter
from harness.process import http_get, wait_for
from harness.stack import (
    JOB,
    JSON,
    Prometheus,
    http_sd_job,
    run_prometheus,
    sd_through_exporter_job,
)
from harness.topology import Topology

pytestmark = pytest.mark.e2e

GROUP = "app-cache"
#: The job that needs no relabeling (``/sd?targets=exporter``).
DIRECT = "redis_ha_sd"
REDIS_PASSWORD = "redis-pw-3b1e"
SENTINEL_PASSWORD = "sentinel-pw-77c2"
DEPLOYMENT = {"cluster": "dc1"}


@dataclass
class Stack:
    topo: Topology
    exporter: ExporterProcess
    prometheus: Prometheus


def password_file(directory: Path, name: str, password: str) -> str:
    path = directory / name
    path.write_text(password + "\n")
    return str(path)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("sd")
    with contextlib.ExitStack() as stack:
        topo = stack.enter_context(Topology(tmp / "topo", groups=(GROUP,), password=REDIS_PASSWORD))
        # One host's exporter, as in the seeds: its Redis and its Sentinel.
        args = ["--redis.addr", topo.redis[0].uri, "--sentinel.addr", topo.sentinels[0].uri]
        args += ["--redis.password-file", password_file(tmp, "redis-pw", REDIS_PASSWORD)]
        exporter = stack.enter_context(run_exporter(args, tmp))
        address = f"127.0.0.1:{exporter.port}"
        prometheus = stack.enter_context(
            run_prometheus(
                tmp / "prometheus",
                [
                    http_sd_job(JOB, address, labels=DEPLOYMENT),
                    sd_through_exporter_job(DIRECT, address),
                ],
            )
        )
        yield Stack(topo, exporter, prometheus)


def discovered(prometheus: Prometheus, job: str = JOB) -> dict[str, JSON]:
    """Active targets of the job by ``instance``."""
    return {
        t["labels"]["instance"]: t for t in prometheus.targets() if t["labels"].get("job") == job
    }


def expected_roles(topo: Topology) -> dict[str, str]:
    master = topo.master_of_group(GROUP)
    roles = {n.addr: "replica" for n in topo.group_members(GROUP)}
    roles[master.addr] = "master"
    roles |= {s.addr: "sentinel" for s in topo.sentinels}
    return roles


def roles_in_prometheus(prometheus: Prometheus) -> dict[str, str]:
    targets = discovered(prometheus)
    assert {t["labels"]["redis_group"] for t in targets.values()} == {GROUP}
    return {instance: t["labels"]["redis_role"] for instance, t in targets.items()}


def all_up(prometheus: Prometheus, job: str, addresses: set[str]) -> bool:
    """Every address a healthy target of ``job`` whose ``redis_up`` is 1."""
    targets = discovered(prometheus, job)
    assert targets.keys() == addresses, sorted(targets)
    assert all(t["health"] == "up" for t in targets.values()), targets
    samples = prometheus.query(f'redis_up{{job="{job}"}}')
    return {labels["addr"]: value for labels, value in samples} == dict.fromkeys(addresses, 1.0)


def test_sd_lists_the_topology_with_a_profile_per_kind(stack: Stack) -> None:
    status, text = http_get(stack.exporter.url + "/sd")
    assert status == 200, text
    groups = json.loads(text)
    roles = {
        address: group["labels"]["__meta_redis_role"]
        for group in groups
        for address in group["targets"]
    }
    assert roles == expected_roles(stack.topo)
    for group in groups:
        role = group["labels"]["__meta_redis_role"]
        assert group["labels"]["__param_profile"] == ("sentinel" if role == "sentinel" else "redis")


def test_prometheus_discovers_and_scrapes_every_node(stack: Stack) -> None:
    topo, prometheus = stack.topo, stack.prometheus
    addresses = {n.addr for n in topo.nodes()}
    wait_for(lambda: all_up(prometheus, JOB, addresses), timeout=30)
    targets = discovered(prometheus)
    assert roles_in_prometheus(prometheus) == expected_roles(topo)
    for address, target in targets.items():
        # Scraped through the exporter's /scrape: the node's address and its kind's profile.
        url = urllib.parse.urlsplit(target["scrapeUrl"])
        assert (url.netloc, url.path) == (f"127.0.0.1:{stack.exporter.port}", "/scrape")
        profile = "sentinel" if expected_roles(topo)[address] == "sentinel" else "redis"
        assert urllib.parse.parse_qs(url.query) == {"target": [address], "profile": [profile]}
        assert target["lastError"] == ""
    # Every series of a target carries its discovery labels (Redis and Sentinel metrics alike).
    series = prometheus.query(f'{{job="{JOB}",__name__=~"redis_up|redis_uptime_in_seconds"}}')
    assert len(series) == 2 * len(addresses)
    for labels, _ in series:
        assert labels["redis_group"] == GROUP, labels
        assert labels["cluster"] == DEPLOYMENT["cluster"], labels
        assert labels["redis_role"] == expected_roles(topo)[labels["instance"]], labels
        # No clash with the metrics' own labels (no exported_* renames).
        assert not any(key.startswith("exported_") for key in labels), labels


def test_sd_through_the_exporter_needs_no_relabeling(stack: Stack) -> None:
    addresses = {n.addr for n in stack.topo.nodes()}
    wait_for(lambda: all_up(stack.prometheus, DIRECT, addresses), timeout=30)
    for address, target in discovered(stack.prometheus, DIRECT).items():
        assert target["labels"]["instance"] == address
        url = urllib.parse.urlsplit(target["scrapeUrl"])
        assert (url.netloc, url.path) == (f"127.0.0.1:{stack.exporter.port}", "/scrape")


def test_discovery_follows_a_failover(stack: Stack) -> None:
    topo, prometheus = stack.topo, stack.prometheus
    wait_for(lambda: roles_in_prometheus(prometheus) == expected_roles(topo), timeout=30)
    old = topo.master_of_group(GROUP).addr
    new = topo.sentinel_failover(GROUP)
    topo.wait_ready(30)
    want = expected_roles(topo)
    assert want[new] == "master"
    assert want[old] == "replica"
    wait_for(lambda: roles_in_prometheus(prometheus) == want, timeout=30)
    # Still every node scraped through /scrape, the old master now as a replica.
    wait_for(
        lambda: (
            {
                labels["instance"]: labels["redis_role"]
                for labels, value in prometheus.query(f'redis_up{{job="{JOB}"}} == 1')
            }
            == want
        ),
        timeout=15,
    )


def test_sentinels_with_a_password_of_their_own(tmp_path: Path) -> None:
    with contextlib.ExitStack() as stack:
        topo = stack.enter_context(
            Topology(
                tmp_path / "topo",
                groups=(GROUP,),
                password=REDIS_PASSWORD,
                sentinel_password=SENTINEL_PASSWORD,
            )
        )
        args = ["--redis.addr", topo.redis[0].uri, "--sentinel.addr", topo.sentinels[0].uri]
        args += ["--redis.password-file", password_file(tmp_path, "r", REDIS_PASSWORD)]
        args += ["--sentinel.password-file", password_file(tmp_path, "s", SENTINEL_PASSWORD)]
        exporter = stack.enter_context(run_exporter(args, tmp_path))
        prometheus = stack.enter_context(
            run_prometheus(
                tmp_path / "prometheus",
                [sd_through_exporter_job(DIRECT, f"127.0.0.1:{exporter.port}")],
            )
        )
        addresses = {n.addr for n in topo.nodes()}
        wait_for(lambda: all_up(prometheus, DIRECT, addresses), timeout=30)
