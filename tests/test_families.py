"""Families are built only from catalogued names with catalogued labels."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.exposition import generate_latest

from redis_ha_exporter.families import FamilyBuilder, build_families, registry_of
from redis_ha_exporter.parse.info import parse_info_fields, parse_replication, parse_server
from redis_ha_exporter.snapshot import Collection, TargetSnapshot
from redis_ha_exporter.targets import Kind, parse_target

INFO = Path(__file__).parent / "fixtures" / "info"


def render(collection: Collection) -> str:
    return generate_latest(registry_of(build_families(collection))).decode()


def snapshot(repl_fixture: str, up: bool = True) -> TargetSnapshot:
    target = parse_target("redis://10.0.0.1:6379", Kind.REDIS)
    if not up:
        return TargetSnapshot(target, up=False, duration_seconds=0.5)
    return TargetSnapshot(
        target,
        up=True,
        duration_seconds=0.01,
        server=parse_server(parse_info_fields((INFO / "redis32-server.txt").read_text())),
        replication=parse_replication(parse_info_fields((INFO / repl_fixture).read_text())),
    )


def test_uncatalogued_name_or_wrong_labels_are_refused() -> None:
    out = FamilyBuilder()
    with pytest.raises(KeyError):
        out.add("redis_made_up", 1.0, addr="x")
    with pytest.raises(ValueError, match="labels"):
        out.add("redis_up", 1.0, addr="x", extra="y")


def replica_lines(text: str) -> tuple[int, list[dict[str, str]]]:
    """``master_repl_offset`` and the ``slaveN:ip=…,port=…,offset=…`` fields of a master's INFO
    replication, read with plain string splitting (independent of the parser under test)."""
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    replicas = [
        dict(pair.split("=", 1) for pair in value.split(","))
        for key, value in fields.items()
        if key.startswith("slave") and key[5:].isdigit()
    ]
    return int(fields["master_repl_offset"]), replicas


@pytest.mark.parametrize(
    "fixture",
    [
        "redis32-master.txt",
        "redis7-master-ipv6.txt",
        "redis7-master-wait-bgsave.txt",
        "redis7-master-replica-behind.txt",
    ],
)
def test_master_lag_bytes_is_master_offset_minus_replica_offset(fixture: str) -> None:
    registry = registry_of(build_families(Collection((snapshot(fixture),), scrapes_total=1)))
    master_offset, replicas = replica_lines((INFO / fixture).read_text())
    assert replicas
    for replica in replicas:
        labels = {"addr": "10.0.0.1:6379", "slave_ip": replica["ip"], "slave_port": replica["port"]}
        lag = registry.get_sample_value("redis_connected_slave_lag_bytes", labels)
        assert lag == master_offset - int(replica["offset"]), replica


def test_replica_link_metrics_carry_master_host_and_port() -> None:
    text = render(Collection((snapshot("redis32-replica.txt"),), scrapes_total=1))
    link = 'addr="10.0.0.1:6379",master_host="192.168.0.61",master_port="6379"'
    assert f"redis_master_link_up{{{link}}} 1.0" in text
    assert f"redis_slave_repl_offset{{{link}}} 126519.0" in text
    assert f'redis_slave_info{{{link},read_only="1"}} 1.0' in text
    assert "redis_connected_slave_offset_bytes" not in text


def test_a_down_target_gives_up_zero_and_error_one_only() -> None:
    text = render(Collection((snapshot("", up=False),), scrapes_total=3))
    assert 'redis_up{addr="10.0.0.1:6379"} 0.0' in text
    assert 'redis_exporter_last_scrape_error{addr="10.0.0.1:6379"} 1.0' in text
    assert "redis_instance_info" not in text
    assert "redis_exporter_scrapes_total 3.0" in text
