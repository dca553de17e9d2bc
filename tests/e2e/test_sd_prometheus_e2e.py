"""End to end: a real Prometheus discovers the whole topology from one exporter's ``/sd``.

Prometheus gets a single ``http_sd_configs`` job (``redis_exporter``) pointed at the ``/sd`` of
one host's exporter and relabels every discovered address into ``/scrape?target=<address>`` on
that exporter, as the docstring of ``redis_ha_exporter.discovery`` shows. Nothing else is
configured: the three Redis servers and three Sentinels must appear as healthy targets with
their group and role (``__meta_redis_master_name``, ``__meta_redis_role``) and the deployment
label the job's relabeling adds (``cluster``, as docs/alerts.md shows), be scraped through
``/scrape``, and follow a failover.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from harness.exporter import ExporterProcess, run_exporter
from harness.process import http_get, wait_for
from harness.stack import JOB, JSON, Prometheus, http_sd_job, run_prometheus
from harness.topology import Topology

pytestmark = pytest.mark.e2e

GROUP = "app-cache"
DEPLOYMENT = {"cluster": "dc1"}


@dataclass
class Stack:
    topo: Topology
    exporter: ExporterProcess
    prometheus: Prometheus


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("sd")
    with contextlib.ExitStack() as stack:
        topo = stack.enter_context(Topology(tmp / "topo", groups=(GROUP,)))
        # One host's exporter, as in the seeds: its Redis and its Sentinel.
        exporter = stack.enter_context(
            run_exporter(
                ["--redis.addr", topo.redis[0].uri, "--sentinel.addr", topo.sentinels[0].uri],
                tmp,
            )
        )
        prometheus = stack.enter_context(
            run_prometheus(
                tmp / "prometheus",
                [http_sd_job(JOB, f"127.0.0.1:{exporter.port}", labels=DEPLOYMENT)],
            )
        )
        yield Stack(topo, exporter, prometheus)


def discovered(prometheus: Prometheus) -> dict[str, JSON]:
    """Active targets of the job by ``instance``."""
    return {
        t["labels"]["instance"]: t for t in prometheus.targets() if t["labels"].get("job") == JOB
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


def test_sd_lists_the_topology(stack: Stack) -> None:
    status, text = http_get(stack.exporter.url + "/sd")
    assert status == 200, text
    roles = {
        address: group["labels"]["__meta_redis_role"]
        for group in json.loads(text)
        for address in group["targets"]
    }
    assert roles == expected_roles(stack.topo)


def test_prometheus_discovers_and_scrapes_every_node(stack: Stack) -> None:
    topo, prometheus = stack.topo, stack.prometheus
    addresses = {n.addr for n in topo.nodes()}

    def all_healthy() -> bool:
        targets = discovered(prometheus)
        assert targets.keys() == addresses, sorted(targets)
        return all(t["health"] == "up" for t in targets.values())

    wait_for(all_healthy, timeout=30)
    targets = discovered(prometheus)
    assert roles_in_prometheus(prometheus) == expected_roles(topo)
    for address, target in targets.items():
        # Scraped through the exporter's /scrape, the node's address as the target parameter.
        assert target["scrapeUrl"] == (
            f"http://127.0.0.1:{stack.exporter.port}/scrape?target={address.replace(':', '%3A')}"
        )
        assert target["lastError"] == ""

    def redis_up() -> dict[str, float]:
        samples = prometheus.query(f'redis_up{{job="{JOB}"}}')
        assert {labels["instance"] for labels, _ in samples} == addresses
        return {labels["addr"]: value for labels, value in samples}

    wait_for(lambda: redis_up() == dict.fromkeys(addresses, 1.0), timeout=10)
    # Every series of a target carries its discovery labels (Redis and Sentinel metrics alike).
    series = prometheus.query(f'{{job="{JOB}",__name__=~"redis_up|redis_uptime_in_seconds"}}')
    assert len(series) == 2 * len(addresses)
    for labels, _ in series:
        assert labels["redis_group"] == GROUP, labels
        assert labels["cluster"] == DEPLOYMENT["cluster"], labels
        assert labels["redis_role"] == expected_roles(topo)[labels["instance"]], labels
        # No clash with the metrics' own labels (no exported_* renames).
        assert not any(key.startswith("exported_") for key in labels), labels


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
