"""Golden exposition: recorded INFO outputs in, the exact /metrics text out, promtool-clean.

Regenerate after an intended change with ``UPDATE_GOLDEN=1 pytest tests/test_golden_exposition.py``.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

import pytest
from prometheus_client.core import Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from fakes import redis_snapshot
from redis_ha_exporter.events.state import EventSnapshot, EventState, MasterView
from redis_ha_exporter.families import build_families, registry_of
from redis_ha_exporter.parse.events import is_event_channel, parse_event
from redis_ha_exporter.parse.info import parse_info_fields, parse_replication, parse_server
from redis_ha_exporter.snapshot import Collection, TargetSnapshot
from redis_ha_exporter.targets import Kind, parse_target
from support import promtool_lint
from test_discovery import sentinel_snapshot

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = FIXTURES / "golden" / "replication.prom"
GOLDEN_SENTINEL = FIXTURES / "golden" / "sentinel.prom"


def render(families: list[Metric]) -> str:
    """The text exposition, with the running Python's version masked (it varies by machine)."""
    text = generate_latest(registry_of(families)).decode()
    return text.replace(f'python_version="{platform.python_version()}"', 'python_version="X"')


def fixture_snapshot(addr: str, server: str, replication: str) -> TargetSnapshot:
    """A Redis from two recorded sections (no instance figures)."""
    text = (FIXTURES / "info" / server).read_text()
    repl = (FIXTURES / "info" / replication).read_text()
    return TargetSnapshot(
        parse_target(addr, Kind.REDIS),
        up=True,
        duration_seconds=0.002,
        server=parse_server(parse_info_fields(text)),
        replication=parse_replication(parse_info_fields(repl)),
    )


def replication_collection() -> Collection:
    """The replication golden file's collection: recorded Redis 3.2 and 7 servers."""
    return Collection(
        targets=(
            redis_snapshot("192.168.0.61:6379", "redis32-master-all.txt", "redis32-replies.json"),
            fixture_snapshot("192.168.0.62:6379", "redis32-server.txt", "redis32-replica.txt"),
            fixture_snapshot("[::1]:18001", "redis7-server.txt", "redis7-master-ipv6.txt"),
            fixture_snapshot(
                "127.0.0.1:6379", "redis7-server.txt", "redis7-master-replica-behind.txt"
            ),
            redis_snapshot("127.0.0.1:7001"),
            redis_snapshot("127.0.0.1:7002", "redis7-replica-all.txt", refused="noperm"),
            TargetSnapshot(parse_target("192.168.0.63:6379", Kind.REDIS), False, 1.5),
        ),
        scrapes_total=7,
    )


def exposition() -> str:
    return render(build_families(replication_collection()))


def sentinel_collection() -> tuple[Collection, dict[str, EventSnapshot]]:
    """A Sentinel from recorded replies plus the events it published in a recorded failover
    (of the master it monitors, ``m1``), and one caught in a failover when it subscribed."""
    snap = sentinel_snapshot("after_failover", "127.0.0.1:26379")
    state = EventState(ring_size=10)
    state.mark_connected(1000.0)
    for line in (FIXTURES / "events" / "failover_command.txt").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        seconds, source, channel, payload = line.split("\t", 3)
        if source == "s0" and is_event_channel(channel):
            event = parse_event(channel, payload.replace("mymaster", "m1"))
            state.apply(event, 1000.0 + float(seconds))
    failing = sentinel_snapshot("failover", "127.0.0.1:26380")
    caught = EventState(ring_size=10)
    caught.mark_connected(2000.0)
    assert failing.sentinel is not None
    caught.reconcile(
        {
            m.name: MasterView(m.address, m.master.config_epoch, True)
            for m in failing.sentinel.masters
            if m.master is not None
        },
        2000.5,
    )
    return Collection((snap, failing), 1), {
        snap.addr: state.snapshot(),
        failing.addr: caught.snapshot(),
    }


def sentinel_exposition() -> str:
    return render(build_families(*sentinel_collection()))


def test_sentinel_exposition_matches_the_golden_file() -> None:
    text = sentinel_exposition()
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN_SENTINEL.write_text(text)
    assert text == GOLDEN_SENTINEL.read_text()
    assert "redis_sentinel_failovers_total" in text
    assert 'redis_sentinel_failover_duration_seconds_bucket{addr="127.0.0.1:26379"' in text
    assert (
        'redis_sentinel_failover_started_timestamp_seconds{addr="127.0.0.1:26380",'
        'master_name="m1"} 2000.5'
    ) in text


def test_exposition_matches_the_golden_file() -> None:
    text = exposition()
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()


def test_golden_lag_bytes_are_master_offset_minus_replica_offset() -> None:
    """Every exported lag is the master's offset less the replica's, and one is not zero."""
    registry = registry_of(list(text_string_to_metric_families(GOLDEN.read_text())))
    lags = [
        s
        for family in registry.collect()
        for s in family.samples
        if s.name == "redis_connected_slave_lag_bytes"
    ]
    for sample in lags:
        addr = sample.labels["addr"]
        master_offset = registry.get_sample_value("redis_master_repl_offset", {"addr": addr})
        replica = dict(sample.labels, slave_state="online")
        replica_offset = registry.get_sample_value("redis_connected_slave_offset_bytes", replica)
        assert master_offset is not None
        assert replica_offset is not None
        assert sample.value == master_offset - replica_offset, sample
    assert len(lags) == 6
    assert [s.value for s in lags if s.value != 0] == [10484.0]


@pytest.mark.parametrize("golden", [GOLDEN, GOLDEN_SENTINEL], ids=lambda p: p.name)
def test_golden_files_pass_promtool_check_metrics(golden: Path) -> None:
    assert promtool_lint(golden.read_text()) == []


def test_promtool_lint_is_not_toothless() -> None:
    bad = "# HELP my_latency_milliseconds x\n# TYPE my_latency_milliseconds gauge\n"
    assert promtool_lint(bad + "my_latency_milliseconds 1\n")
