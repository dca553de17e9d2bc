"""Side by side with Debian's prometheus-redis-exporter (oliver006/redis_exporter 1.45) on the
same master and the same replica: every name it exports about a Redis is ours too, with the same
label names (ours plus ``addr``), the same type and the same value.

Values: each comparison reads theirs, ours, theirs again. A figure both of its reads agree on
must be ours exactly; a counter that moved between them (the exporters' own commands, bytes,
CPU) must lie between its two reads; the few figures the two exporters themselves disturb
differently are compared within :data:`TOLERANCE`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness.exporter import ExporterProcess, Samples, reference_exporter, run_exporter
from harness.process import http_get
from harness.topology import Node, Topology
from redis_ha_exporter.catalogue import BY_NAME, CATALOGUE

pytestmark = pytest.mark.e2e

COMPAT_REDIS = [s for s in CATALOGUE if s.compat and s.group == "redis"]
# Theirs about the exporter process, not about Redis (ours are the redis_exporter_* of our own).
ABOUT_THE_EXPORTER = {
    "redis_exporter_build_info",
    "redis_exporter_last_scrape_connect_time_seconds",
    "redis_exporter_last_scrape_duration_seconds",
    "redis_exporter_last_scrape_error",
    "redis_exporter_scrape_duration_seconds",
    "redis_exporter_scrapes_total",
    "redis_target_scrape_request_errors_total",
    "redis_last_key_groups_scrape_duration_milliseconds",
}
# Labels redis_exporter has added since 1.45 (we follow v1.88.0).
NEWER_LABELS = {"redis_instance_info": {"master_replid"}}
# Types that differ from 1.45's, and why: redis_exporter made it a counter after 1.45; a counter
# without the _total suffix is exposed untyped (client_python exposes counters as NAME_total).
NEWER_TYPES = {"redis_expired_time_cap_reached_total": "counter"}
UNTYPED_COUNTERS = {s.name for s in CATALOGUE if s.exposed_type == "unknown"}
# Figures the two exporters disturb differently, and by how much ours may differ from theirs:
# redis_exporter connects for each scrape (its connection is counted while it reads, ours is
# always open), its CONFIG GET * and client name use memory; start time is computed from the
# wall clock in whole seconds by each.
TOLERANCE: dict[str, float] = {
    "redis_connected_clients": 1,
    "redis_start_time_seconds": 1,
    "redis_uptime_in_seconds": 1,
    "redis_client_recent_max_input_buffer_bytes": 64 * 1024,
    "redis_client_recent_max_output_buffer_bytes": 64 * 1024,
    "redis_mem_clients_normal": 256 * 1024,
}
# Memory figures move with every client buffer (redis_exporter's CONFIG GET * reply is tens of
# kilobytes): within 10 % or 512 KiB of theirs, whichever is more.
RELATIVE, ABSOLUTE = 0.10, 512 * 1024
MEMORY_PREFIXES = ("redis_memory_used", "redis_allocator_", "redis_mem_fragmentation")
# Summaries of latency: percentiles of a histogram that both exporters' commands feed.
NOT_MONOTONIC = {"redis_latency_percentiles_usec"}

Key = tuple[str, frozenset[tuple[str, str]]]


@dataclass
class SideBySide:
    topo: Topology
    ours: ExporterProcess
    theirs: dict[str, str]  # node addr -> reference /metrics URL


@pytest.fixture(scope="module")
def side_by_side(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SideBySide]:
    tmp = tmp_path_factory.mktemp("compat")
    with Topology(
        tmp / "topo", groups=("app-cache",), replicas=1, sentinels=0, redis_args=["maxmemory 64mb"]
    ) as topo:
        master, replica = topo.redis
        traffic(master)
        args = [a for n in topo.redis for a in ("--redis.addr", n.uri)]
        with (
            run_exporter([*args, "--sentinel.addr="], tmp) as ours,
            reference_exporter(master.uri, tmp) as on_master,
            reference_exporter(replica.uri, tmp) as on_replica,
        ):
            wait_replicated(master, replica)
            yield SideBySide(topo, ours, {master.addr: on_master.url, replica.addr: on_replica.url})


def traffic(master: Node) -> None:
    """Keys in two databases (some with a TTL), hits, misses, two kinds of error, one slow
    command and one latency spike."""
    with master.client() as client:
        for i in range(50):
            client.set(f"key:{i}", "x" * 100)
        for i in range(10):
            client.set(f"ttl:{i}", "v", ex=3600)
        client.execute_command("SELECT", "2")
        client.set("other", "v")
        client.execute_command("SELECT", "0")
        client.get("key:1")
        client.get("missing")
        client.rpush("list", "a")
        for command in (("NOSUCHCOMMAND",), ("INCR", "list")):
            with pytest.raises(Exception):  # noqa: B017, PT011 - any error reply will do
                client.execute_command(*command)
        client.config_set("slowlog-log-slower-than", 5000)
        client.config_set("latency-monitor-threshold", 5)
        client.execute_command("DEBUG", "SLEEP", "0.01")


def wait_replicated(master: Node, replica: Node) -> None:
    deadline = time.monotonic() + 30
    with master.client() as m, replica.client() as r:
        while r.dbsize() < 61 or m.info("replication")["slave0"]["offset"] == 0:
            assert time.monotonic() < deadline, "the replica did not catch up"
            time.sleep(0.1)


def theirs_of(url: str) -> Samples:
    status, text = http_get(url)
    assert status == 200
    return Samples.parse(text)


def family_name(sample: str) -> str:
    """The exposed family of a sample: ``…_sum``/``…_count`` of a summary are their summary;
    client_python's parser names the samples of a counter without the suffix ``…_total``."""
    if sample.removesuffix("_total") in UNTYPED_COUNTERS:
        return sample.removesuffix("_total")
    for suffix in ("_sum", "_count"):
        base = sample.removesuffix(suffix)
        if base != sample and (base in BY_NAME or base == "redis_exporter_scrape_duration_seconds"):
            return base
    return sample


def about_redis(sample: str) -> bool:
    return sample.startswith("redis_") and family_name(sample) not in ABOUT_THE_EXPORTER


def by_key(samples: Samples, addr: str | None) -> dict[Key, float]:
    """Samples about one Redis, keyed by name and labels; from ours, ``addr`` and the labels
    redis_exporter 1.45 does not have yet are dropped."""
    out: dict[Key, float] = {}
    for name, labels, value in samples.rows:
        if not about_redis(name):
            continue
        if addr is not None:
            if labels.pop("addr", None) != addr:
                continue
            for label in NEWER_LABELS.get(name, ()):
                labels.pop(label, None)
        if name.removesuffix("_total") in UNTYPED_COUNTERS:
            name = name.removesuffix("_total")  # as exposed (see family_name)
        out[(name, frozenset(labels.items()))] = value
    return out


def value_mismatches(
    before: dict[Key, float], mine: dict[Key, float], after: dict[Key, float]
) -> list[str]:
    found = [f"missing: {k[0]}{dict(k[1])}" for k in before.keys() & after.keys() - mine.keys()]
    for key in before.keys() & after.keys() & mine.keys():
        name = family_name(key[0])
        first, last, value = before[key], after[key], mine[key]
        low, high = min(first, last), max(first, last)
        if name in TOLERANCE:
            low, high = low - TOLERANCE[name], high + TOLERANCE[name]
        elif name.startswith(MEMORY_PREFIXES):
            slack = max(RELATIVE * high, ABSOLUTE if name.endswith("_bytes") else 0)
            low, high = low - slack, high + slack
        elif "quantile" in dict(key[1]):
            continue  # a percentile drifts with every command; its _count and _sum do not
        if not low <= value <= high:
            found.append(f"{key[0]}{dict(key[1])}: theirs {first} then {last}, ours {value}")
    return found


def kinds(text: str, addr: str | None) -> dict[str, tuple[str, set[frozenset[str]]]]:
    """``{exposed family: (type, label name sets)}`` of the series about one Redis."""
    found: dict[str, tuple[str, set[frozenset[str]]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = dict(sample.labels)
            if not about_redis(sample.name):
                continue
            if addr is not None and labels.pop("addr", None) != addr:
                continue
            name = family_name(sample.name)
            found.setdefault(name, (family.type, set()))[1].add(frozenset(labels))
    return found


@pytest.mark.parametrize("role", ["master", "replica"])
def test_every_name_it_exports_about_redis_is_ours_with_its_labels_and_type(
    side_by_side: SideBySide, role: str
) -> None:
    node = side_by_side.topo.redis[0 if role == "master" else 1]
    theirs = kinds(http_get(side_by_side.theirs[node.addr])[1], None)
    mine = kinds(side_by_side.ours.get("/metrics")[1], node.addr)
    assert len(theirs) > 100  # the general families are there to compare
    missing = sorted(theirs.keys() - mine.keys())
    assert not missing, f"{role}: redis_exporter exports, we do not: {missing}"
    for name, (kind, label_sets) in theirs.items():
        newer = NEWER_LABELS.get(name, set())
        assert mine[name][1] == {labels | newer for labels in label_sets}, f"{role}: {name}"
        expected = "unknown" if name in UNTYPED_COUNTERS else NEWER_TYPES.get(name, kind)
        assert mine[name][0] == expected, f"{role}: {name}: {mine[name][0]}, theirs {kind}"


@pytest.mark.parametrize("role", ["master", "replica"])
def test_values_equal_theirs_or_lie_between_two_of_their_reads(
    side_by_side: SideBySide, role: str
) -> None:
    node = side_by_side.topo.redis[0 if role == "master" else 1]
    url = side_by_side.theirs[node.addr]
    mismatches: list[str] = []
    for _ in range(10):  # a gauge may change between the three reads: read again
        before = by_key(theirs_of(url), None)
        mine = by_key(side_by_side.ours.scrape(), node.addr)
        after = by_key(theirs_of(url), None)
        mismatches = value_mismatches(before, mine, after)
        if not mismatches:
            break
        time.sleep(0.3)
    assert not mismatches, f"{role}: differs from redis_exporter: {mismatches}"
    assert len(before.keys() & mine.keys()) > 150
    if role == "master":
        at = frozenset({("db", "db0")})
        assert mine["redis_db_keys", at] == 61  # 50 + 10 with a TTL + the list
        assert mine["redis_db_keys_expiring", at] == 10
        assert mine["redis_slowlog_length", frozenset()] >= 1
        spike = frozenset({("event_name", "command")})
        assert mine["redis_latency_spike_duration_seconds", spike] >= 0.01


def comparable(
    samples: Samples, addr: str | None
) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    names = {s.name for s in COMPAT_REDIS}
    moving = {"redis_uptime_in_seconds", "redis_instance_info"}  # compared above
    for name, labels, value in samples.rows:
        if name not in names or name in moving:
            continue
        if addr is not None and labels.pop("addr", None) != addr:
            continue
        out[(name, frozenset(labels.items()))] = value
    return out


def test_compat_replication_metrics_match_redis_exporter(side_by_side: SideBySide) -> None:
    for node in side_by_side.topo.redis:
        mismatch: object = None
        for _ in range(10):  # lag seconds may tick between the two reads
            theirs = comparable(theirs_of(side_by_side.theirs[node.addr]), None)
            mine = comparable(side_by_side.ours.scrape(), node.addr)
            if theirs == mine:
                break
            mismatch = sorted(set(theirs.items()) ^ set(mine.items()))
            time.sleep(0.3)
        else:
            pytest.fail(f"{node.name}: differs from redis_exporter: {mismatch}")
        names = {name for name, _ in mine}
        assert "redis_master_repl_offset" in names
        if node is side_by_side.topo.redis[0]:
            assert "redis_connected_slave_offset_bytes" in names
        else:
            assert "redis_master_link_up" in names
