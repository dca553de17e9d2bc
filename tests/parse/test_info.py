"""Table tests on recorded INFO outputs, and a property test: no text makes a parser raise
anything but InfoParseError."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redis_ha_exporter.parse.info import (
    InfoParseError,
    parse_connected_replica,
    parse_info_fields,
    parse_replication,
    parse_server,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "info"


def replication(name: str):  # type: ignore[no-untyped-def]
    return parse_replication(parse_info_fields((FIXTURES / name).read_text()))


def test_redis7_master_over_ipv6() -> None:
    repl = replication("redis7-master-ipv6.txt")
    assert repl.role == "master"
    assert repl.connected_slaves == 1
    assert repl.master_repl_offset == 50
    assert repl.second_repl_offset == -1
    assert repl.link is None
    (replica,) = repl.replicas
    assert (replica.ip, replica.port, replica.state, replica.offset, replica.lag) == (
        "::1",
        "18002",
        "online",
        50,
        0,
    )


def test_redis7_replica_over_ipv6_keeps_unbracketed_host() -> None:
    repl = replication("redis7-replica-ipv6.txt")
    assert repl.role == "slave"
    assert repl.link is not None
    assert (repl.link.host, repl.link.port, repl.link.link_up) == ("::1", "18001", True)
    assert repl.link.read_only == "1"
    assert repl.link.slave_priority == 100
    assert repl.link.slave_repl_offset == 50


def test_replica_waiting_for_bgsave_seen_from_master() -> None:
    repl = replication("redis7-master-wait-bgsave.txt")
    (replica,) = repl.replicas
    assert replica.state == "wait_bgsave"
    assert replica.offset == 0


def test_replica_whose_link_is_not_up_yet() -> None:
    repl = replication("redis7-replica-syncing.txt")
    assert repl.link is not None
    assert repl.link.link_up is False
    assert repl.link.last_io_seconds_ago == -1


def test_send_bulk_line() -> None:
    # Same line format as the recorded wait_bgsave one; the state name is from replication.c.
    replica = parse_connected_replica("ip=10.0.0.3,port=6379,state=send_bulk,offset=0,lag=3")
    assert (replica.state, replica.lag) == ("send_bulk", 3)


def test_redis32_master_from_the_seeds() -> None:
    repl = replication("redis32-master.txt")
    assert repl.connected_slaves == 2
    assert [r.ip for r in repl.replicas] == ["192.168.0.63", "192.168.0.62"]
    assert repl.second_repl_offset is None  # 3.2 has no PSYNC2 fields
    assert repl.repl_backlog_histlen == 193883


def test_redis32_replica_from_the_seeds() -> None:
    repl = replication("redis32-replica.txt")
    assert repl.link is not None
    assert repl.link.host == "192.168.0.61"
    assert repl.link.slave_repl_offset == 126519
    assert repl.link.link_down_since_seconds is None


def test_redis26_replica_line_without_keys() -> None:
    replica = parse_connected_replica("10.0.0.2,6379,online")
    assert (replica.ip, replica.port, replica.state) == ("10.0.0.2", "6379", "online")


@pytest.mark.parametrize(
    ("name", "version", "mode", "port"),
    [
        ("redis7-server.txt", "7.0.15", "standalone", "18005"),
        ("redis32-server.txt", "3.2.12", "standalone", "6379"),
    ],
)
def test_server_fields(name: str, version: str, mode: str, port: str) -> None:
    server = parse_server(parse_info_fields((FIXTURES / name).read_text()))
    assert (server.redis_version, server.redis_mode, server.tcp_port) == (version, mode, port)
    assert len(server.run_id) == 40
    assert server.uptime_in_seconds is not None


@pytest.mark.parametrize(
    "text",
    ["role:master\nthis line has no colon", "role:master\nslave0:ip=1.2.3.4", "slave0:a,b"],
)
def test_malformed_input_raises_parse_error(text: str) -> None:
    with pytest.raises(InfoParseError):
        parse_replication(parse_info_fields(text))


def test_missing_role_is_a_parse_error() -> None:
    with pytest.raises(InfoParseError, match="role"):
        parse_replication({"connected_slaves": "0"})


@given(st.text())
def test_no_text_crashes_the_parsers(text: str) -> None:
    try:
        fields = parse_info_fields(text)
        server = parse_server(fields)
        repl = parse_replication(fields)
    except InfoParseError:
        return
    assert server.redis_version == fields.get("redis_version", "")
    assert repl.role == fields["role"]
    assert (repl.link is not None) == (repl.role == "slave")


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "role",
                "slave0",
                "slave1",
                "master_host",
                "master_repl_offset",
                "slave_repl_offset",
                "master_link_status",
            ]
        ),
        st.text(),
    )
)
def test_no_field_values_crash_the_replication_parser(fields: dict[str, str]) -> None:
    try:
        repl = parse_replication(fields)
    except InfoParseError:
        return
    assert repl.role == fields["role"]
    assert len(repl.replicas) == sum(k in fields for k in ("slave0", "slave1"))
