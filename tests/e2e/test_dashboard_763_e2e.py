"""Grafana dashboard 763 (redis_exporter's own) on our exporter, as the seeds' operator runs it.

The seeds' three hosts, each with its Redis and its Sentinel and one of our exporters serving
both, scraped by a real Prometheus under job ``redis_exporter``; beside them Debian's
prometheus-redis-exporter on each host's Redis, under job ``reference``. ``redis-benchmark``
writes keys to the master, and a client a few more with a TTL. Then:

- every query of the dashboard, read at test time from the Debian package (``$instance`` the
  regex of our three exporters, ``$__interval`` the scrape interval), returns data;
- its commands-per-second panel shows the ``set`` rate the benchmark drove;
- for every family it reads, ``sum by (instance)`` on our job equals the reference's for that
  host's Redis (``max`` for uptime, as the dashboard takes it): a Sentinel's clients, commands
  and network bytes are not added in. Counters and memory, which the scrapes themselves move,
  within :data:`RELATIVE`; connected clients within one (redis_exporter's own connection).
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dashboards.queries import emptiness, iter_panels, panel_queries
from harness.exporter import ExporterProcess, reference_exporter, run_exporter
from harness.process import HOST, binary, wait_for
from harness.stack import INTERVAL, JOB, Prometheus, host_exporter_args, run_prometheus, static_job
from harness.topology import Topology

pytestmark = pytest.mark.e2e

DASHBOARD = Path(
    "/usr/share/doc/prometheus-redis-exporter/examples/grafana_prometheus_redis_dashboard.json"
)
REFERENCE_JOB = "reference"
BENCHMARK_SETS = 20000
TTL_SETS = 25
RELATIVE = 0.05
# Figures nothing moves once the benchmark is over: equal.
EXACT = {
    "redis_db_keys",
    "redis_db_keys_expiring",
    "redis_memory_max_bytes",
    "redis_expired_keys_total",
    "redis_evicted_keys_total",
    "redis_keyspace_hits_total",
    "redis_keyspace_misses_total",
    "redis_blocked_clients",
}
ABSOLUTE = {"redis_connected_clients": 1.0, "redis_uptime_in_seconds": 2.0}


def load_dashboard() -> dict[str, Any]:
    if not DASHBOARD.is_file():
        pytest.fail(
            f"{DASHBOARD} is missing: dashboard 763 ships with Debian's redis_exporter; "
            "install it with: apt-get install prometheus-redis-exporter"
        )
    board: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return board


@dataclass
class Hosts:
    topo: Topology
    ours: list[ExporterProcess]
    references: list[str]  # host:port of each host's reference exporter
    prometheus: Prometheus

    def instance(self, i: int) -> str:
        return f"{HOST}:{self.ours[i].port}"


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosts]:
    tmp = tmp_path_factory.mktemp("dashboard763")
    with contextlib.ExitStack() as stack:
        topo = stack.enter_context(
            Topology(tmp / "topo", groups=("mymaster",), redis_args=["maxmemory 256mb"])
        )
        ours = [
            stack.enter_context(run_exporter(host_exporter_args(topo, i), tmp, wait=False))
            for i in range(len(topo.sentinels))
        ]
        for exporter in ours:
            exporter.wait_healthy()
        references = [
            stack.enter_context(reference_exporter(node.uri, tmp)).url.split("/")[2]
            for node in topo.redis
        ]
        prometheus = stack.enter_context(
            run_prometheus(
                tmp / "prometheus",
                [
                    static_job(JOB, [f"{HOST}:{e.port}" for e in ours]),
                    static_job(REFERENCE_JOB, references),
                ],
            )
        )
        wait_for(
            lambda: [v for _, v in prometheus.query("up")] == [1.0] * 6,
            timeout=30,
        )
        wait_for(lambda: len(prometheus.query(f'redis_up{{job="{JOB}"}} == 1')) == 6, timeout=30)
        yield Hosts(topo, ours, references, prometheus)


@pytest.fixture(scope="module")
def benchmark_done(hosts: Hosts) -> float:
    """Run the benchmark against the master; returns the Unix time it started."""
    master = hosts.topo.redis[0]
    # One SET first: rate() sees a counter grow, not a series appear, and Prometheus has a
    # sample from before the benchmark in every window.
    with master.client() as client:
        client.set("warm-up", "v")
    warm = f'redis_commands_total{{job="{JOB}",instance="{hosts.instance(0)}",cmd="set"}}'
    wait_for(lambda: hosts.prometheus.query(f"count_over_time({warm}[1m]) >= 2"), timeout=30)
    started = time.time()
    result = subprocess.run(
        [
            binary("redis-benchmark"),
            "-h",
            HOST,
            "-p",
            str(master.port),
            "-t",
            "set",
            "-n",
            str(BENCHMARK_SETS),
            "-r",
            "1000000",
            "-P",
            "16",
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    with master.client() as client:
        for i in range(TTL_SETS):
            client.set(f"session:{i}", "v", ex=3600)
        client.get("session:0")
        client.get("no-such-key")
    # Every exporter of both jobs has been scraped after the writes.
    written = time.time()
    wait_for(
        lambda: all(
            float(r["value"][0]) > written + 1
            for r in hosts.prometheus.query_data('timestamp(redis_db_keys{db="db0"})')["result"]
        ),
        timeout=30,
    )
    return started


def dashboard_queries(hosts: Hosts) -> list[tuple[str, str]]:
    # Grafana's regex of a multi-value variable: the values joined by "|" (their dots left as
    # they are, as PromQL strings would need them doubled).
    instances = "|".join(hosts.instance(i) for i in range(len(hosts.ours)))
    return panel_queries(load_dashboard(), {"instance": instances, "__interval": INTERVAL})


def test_every_panel_of_dashboard_763_shows_data(hosts: Hosts, benchmark_done: float) -> None:
    queries = dashboard_queries(hosts)
    assert len(queries) >= 15  # panels, and the instance variable's label_values() selector
    last: dict[str, str] = {}

    def complete() -> bool:
        nonlocal last
        last = {
            f"{title} | {expr}": why
            for title, expr in queries
            if (why := emptiness(hosts.prometheus, expr)) is not None
        }
        return not last

    with contextlib.suppress(AssertionError):
        wait_for(complete, timeout=30, interval=1.0)
    assert not last, "panels without data:\n" + "\n".join(f"{w}: {q}" for q, w in last.items())


def test_commands_per_second_shows_the_set_rate_the_benchmark_drove(
    hosts: Hosts, benchmark_done: float
) -> None:
    (panel,) = [p for p in iter_panels(load_dashboard()) if p["title"] == "Total Commands / sec"]
    (expr,) = [e for t, e in dashboard_queries(hosts) if t == panel["title"]]
    sets = BENCHMARK_SETS + TTL_SETS
    rates = {labels.get("cmd"): value for labels, value in hosts.prometheus.query(expr)}
    # The panel's rate is over a minute that holds the whole benchmark (the master's SETs; the
    # replicas, which count the SETs they replay, add more).
    assert time.time() - benchmark_done < 50
    assert rates["set"] * 60 >= sets * 0.95
    # And the master's counter grew by exactly the SETs issued, from its last sample before the
    # benchmark to now.
    master = f'redis_commands_total{{job="{JOB}",instance="{hosts.instance(0)}",cmd="set"}}'
    ((_, before),) = hosts.prometheus.query(master, benchmark_done)
    ((_, after),) = hosts.prometheus.query(master)
    assert after - before == sets


def families_of_the_dashboard() -> set[str]:
    board = load_dashboard()
    exprs = [t["expr"] for p in iter_panels(board) for t in p.get("targets", []) if "expr" in t]
    return {name for expr in exprs for name in re.findall(r"\bredis_\w+", expr)}


def test_sums_by_instance_equal_redis_exporter_on_the_hosts_redis(
    hosts: Hosts, benchmark_done: float
) -> None:
    names = families_of_the_dashboard()
    assert len(names) >= 14
    mismatches: list[str] = []
    for _ in range(10):  # counters move between the two jobs' scrapes: read again
        mismatches = []
        at = time.time()
        for name in sorted(names):
            how = "max" if name == "redis_uptime_in_seconds" else "sum"
            ours = dict(summed(hosts.prometheus, how, name, JOB, at))
            theirs = dict(summed(hosts.prometheus, how, name, REFERENCE_JOB, at))
            for i, reference in enumerate(hosts.references):
                mine, their = ours.get(hosts.instance(i)), theirs.get(reference)
                if mine is None or their is None or not close(name, mine, their):
                    mismatches.append(f"host {i} {how}({name}): ours {mine}, theirs {their}")
        if not mismatches:
            break
        time.sleep(1)
    assert not mismatches, "\n".join(mismatches)
    # The comparison would see a Sentinel added in: its own connected clients (its peers, our
    # exporter and its event subscription) are beyond the tolerance.
    for sentinel in hosts.topo.sentinels:
        with sentinel.client() as client:
            clients = client.info("clients")["connected_clients"]
        assert clients > ABSOLUTE["redis_connected_clients"]


def summed(prometheus: Prometheus, how: str, name: str, job: str, at: float) -> list[Any]:
    """``[(instance, value)]`` of ``how by (instance) (name{job=…})`` at Unix time ``at``."""
    return [
        (labels["instance"], value)
        for labels, value in prometheus.query(f'{how} by (instance) ({name}{{job="{job}"}})', at)
    ]


def close(name: str, mine: float, theirs: float) -> bool:
    if name in EXACT:
        return mine == theirs
    if name in ABSOLUTE:
        return abs(mine - theirs) <= ABSOLUTE[name]
    return abs(mine - theirs) <= RELATIVE * abs(theirs)
