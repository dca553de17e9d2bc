"""Table tests on recorded INFO outputs (server, replication, sentinel sections), and property
tests: no text makes a parser raise anything but InfoParseError."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redis_ha_exporter.parse.info import (
    InfoParseError,
    SentinelInfo,
    parse_connected_replica,
    parse_info_fields,
    parse_info_pairs,
    parse_info_sentinel,
    parse_replication,
    parse_server,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "info"
SENTINEL_FIXTURES = Path(__file__).parent.parent / "fixtures" / "sentinel"


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
    assert repl.slave_priority == 100
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
    assert (replica.offset, replica.lag) == (None, None)  # 2.6 prints neither


def test_replica_priority_is_read_under_either_name() -> None:
    assert parse_replication({"role": "slave", "slave_priority": "10"}).slave_priority == 10
    assert parse_replication({"role": "master", "replica_priority": "0"}).slave_priority == 0
    assert parse_replication({"role": "master"}).slave_priority is None


# --- splitting, shared by every section ---------------------------------------------------


def test_fields_split_at_newlines_only_and_at_the_first_colon() -> None:
    text = "# Replication\r\nrole:master\r\n\r\nmaster_host:::1\nodd:a\rb\r\n"
    assert parse_info_fields(text) == {"role": "master", "master_host": "::1", "odd": "a\rb"}
    assert parse_info_fields(text.encode()) == parse_info_fields(text)


@pytest.mark.parametrize("line", ["no colon here", ":value without a field", " "])
def test_a_line_that_is_not_a_field_raises(line: str) -> None:
    with pytest.raises(InfoParseError):
        parse_info_fields(f"role:master\r\n{line}\r\n")


@pytest.mark.parametrize(
    ("line", "pairs"),
    [
        # The shapes of the sections a later parser reads (Redis 7.0 to 7.4).
        ("db0:keys=1,expires=0,avg_ttl=0,subexpiry=0", {"keys": "1", "avg_ttl": "0"}),
        (
            "cmdstat_get:calls=2,usec=15,usec_per_call=7.50,rejected_calls=0,failed_calls=0",
            {"calls": "2", "usec_per_call": "7.50"},
        ),
        ("errorstat_ERR:count=1", {"count": "1"}),
        (
            "latency_percentiles_usec_get:p50=1.003,p99=2.007,p99.9=2.007",
            {"p50": "1.003", "p99.9": "2.007"},
        ),
        ("slave0:ip=::1,port=18002,state=online,offset=50,lag=0", {"ip": "::1", "lag": "0"}),
    ],
)
def test_pairs_of_every_section_split_alike(line: str, pairs: dict[str, str]) -> None:
    ((field, value),) = parse_info_fields(line).items()
    split = parse_info_pairs(value)
    assert pairs.items() <= split.items(), field
    assert len(split) == value.count(",") + 1


@pytest.mark.parametrize("value", ["", "keys=1,,expires=0", "keys=1,expires", "=1"])
def test_malformed_pairs_raise(value: str) -> None:
    with pytest.raises(InfoParseError):
        parse_info_pairs(value)


# --- the number policy: absent is None, malformed raises ----------------------------------


@pytest.mark.parametrize("value", ["", "abc", "1.5", " 50", "+50", "5O", "\uff15\uff10", "nan"])
@pytest.mark.parametrize("field", ["master_repl_offset", "connected_slaves", "slave_priority"])
def test_a_present_but_malformed_number_raises_naming_the_field(field: str, value: str) -> None:
    with pytest.raises(InfoParseError, match=field):
        parse_replication({"role": "master", field: value})


def test_a_malformed_replica_offset_raises() -> None:
    with pytest.raises(InfoParseError, match="offset"):
        parse_connected_replica("ip=10.0.0.2,port=6379,state=online,offset=x,lag=0")


def test_absent_numbers_are_none() -> None:
    repl = parse_replication({"role": "master"})
    assert (repl.connected_slaves, repl.master_repl_offset, repl.repl_backlog_size) == (
        None,
        None,
        None,
    )
    assert parse_server({}).uptime_in_seconds is None


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


# --- INFO sentinel -----------------------------------------------------------------------

SCENARIOS = sorted({p.name.split(".")[0] for p in SENTINEL_FIXTURES.glob("*.info.txt")})


def info_sentinel(text: str | bytes) -> SentinelInfo:
    return parse_info_sentinel(parse_info_fields(text))


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_info_sentinel_fixture(scenario: str, protocol: int) -> None:
    # Recorded from redis-sentinel 7.0.15 beside the SENTINEL replies of tests/parse/
    # test_sentinel_parser.py (see tests/fixtures/sentinel/README.md).
    info = info_sentinel((SENTINEL_FIXTURES / f"{scenario}.resp{protocol}.info.txt").read_bytes())
    replies = json.loads((SENTINEL_FIXTURES / f"{scenario}.resp{protocol}.json").read_text())
    assert info.masters == len(replies["masters"]) == len(info.monitored)
    assert info.running_scripts == 0
    assert info.scripts_queue_length == 0
    assert info.simulate_failure_flags == 0
    if scenario == "tilt":
        assert info.tilt == 1
        assert info.tilt_since_seconds is not None
        assert info.tilt_since_seconds >= 0
    else:
        assert (info.tilt, info.tilt_since_seconds) == (0, -1)
    for im in info.monitored:
        assert im.sentinels == 3


# --- INFO sentinel: seed (Redis 3.2) and edge cases --------------------------------------

SEED_32 = (
    "# Sentinel\n"
    "sentinel_masters:1\n"
    "sentinel_tilt:0\n"
    "sentinel_running_scripts:0\n"
    "sentinel_scripts_queue_length:0\n"
    "sentinel_simulate_failure_flags:0\n"
    "master0:name={name},status=ok,address={address},slaves={slaves},sentinels={sentinels}\n"
)


@pytest.mark.parametrize(
    ("name", "address", "slaves", "sentinels"),
    [
        # The seed walkthrough (redis 3.2.12), as each host joins.
        ("mymaster", "127.0.0.1:6379", 0, 1),
        ("app-cache", "192.168.0.61:6379", 2, 1),
        ("mymaster", "127.0.0.1:6379", 0, 2),
        ("app-cache", "192.168.0.61:6379", 0, 2),
        ("app-cache", "192.168.0.61:6379", 0, 3),
        ("app-cache", "192.168.0.61:6379", 2, 3),
        ("app-cache", "192.168.0.62:6379", 2, 3),
    ],
)
def test_seed_redis_32_info(name: str, address: str, slaves: int, sentinels: int) -> None:
    text = SEED_32.format(name=name, address=address, slaves=slaves, sentinels=sentinels)
    info = info_sentinel(text)
    assert (info.masters, info.tilt, info.running_scripts, info.scripts_queue_length) == (
        1,
        0,
        0,
        0,
    )
    assert info.simulate_failure_flags == 0
    assert info.tilt_since_seconds is None  # Redis 3.2 does not send it
    (m,) = info.monitored
    assert (m.name, m.status, m.address, m.slaves, m.sentinels) == (
        name,
        "ok",
        address,
        slaves,
        sentinels,
    )


def test_seed_redis_32_no_masters() -> None:
    info = info_sentinel(
        "# Sentinel\r\nsentinel_masters:0\r\nsentinel_tilt:0\r\nsentinel_running_scripts:0\r\n"
        "sentinel_scripts_queue_length:0\r\nsentinel_simulate_failure_flags:0\r\n"
    )
    assert info.masters == 0
    assert info.monitored == ()


def test_info_without_simulate_failure_flags() -> None:
    info = info_sentinel(
        "sentinel_masters:0\nsentinel_tilt:1\nsentinel_running_scripts:2\n"
        "sentinel_scripts_queue_length:3\n"
    )
    assert (info.tilt, info.running_scripts, info.scripts_queue_length) == (1, 2, 3)
    assert info.simulate_failure_flags is None


HEAD = (
    "sentinel_masters:1\r\nsentinel_tilt:0\r\nsentinel_running_scripts:0\r\n"
    "sentinel_scripts_queue_length:0\r\n"
)


@pytest.mark.parametrize(
    ("line", "name", "address"),
    [
        (
            "name=a,b=c,status=ok,address=10.0.0.1:6379,slaves=1,sentinels=3",
            "a,b=c",
            "10.0.0.1:6379",
        ),
        ("name=x:y,status=ok,address=10.0.0.1:6379,slaves=1,sentinels=3", "x:y", "10.0.0.1:6379"),
        ("name=1,status=ok,address=10.0.0.1:6379,slaves=1,sentinels=3", "1", "10.0.0.1:6379"),
        ("name=,status=ok,address=::1:6379,slaves=1,sentinels=3", "", "::1:6379"),
        (
            "name=n,status=ok,address=fe80::1:2:26379,slaves=1,sentinels=3",
            "n",
            "fe80::1:2:26379",
        ),
        (
            "name=a,status=ok,address=1.1.1.1:1,slaves=0,sentinels=1,status=sdown,"
            "address=redis-1.example:6380,slaves=1,sentinels=3",
            "a,status=ok,address=1.1.1.1:1,slaves=0,sentinels=1",
            "redis-1.example:6380",
        ),
        ("name=sp ace,status=ok,address=h:1,slaves=1,sentinels=3", "sp ace", "h:1"),
    ],
)
def test_info_master_names_as_redis_prints_them(line: str, name: str, address: str) -> None:
    info = info_sentinel(HEAD + "master0:" + line + "\r\n")
    (m,) = info.monitored
    assert (m.name, m.address) == (name, address)


def test_info_full_reply_other_sections_ignored_and_bytes_accepted() -> None:
    text = (
        "# Server\r\nredis_version:7.0.15\r\nredis_mode:sentinel\r\nmaster_repl_offset:5\r\n\r\n"
        "#Sentinel\r\n" + HEAD + "sentinel_tilt_since_seconds:-1\r\n"
        "master0:name=m,status=odown,address=10.0.0.1:6379,slaves=2,sentinels=3\r\n"
        "master1:name=n,status=sdown,address=10.0.0.2:6379,slaves=0,sentinels=1\r\n"
    )
    info = info_sentinel(text.encode())
    assert [(m.name, m.status, m.ok) for m in info.monitored] == [
        ("m", "odown", False),
        ("n", "sdown", False),
    ]
    assert info.tilt_since_seconds == -1


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# Sentinel\r\n",
        HEAD.replace("sentinel_tilt:0\r\n", ""),
        HEAD + "garbage without colon\r\n",
        HEAD.replace("sentinel_tilt:0", "sentinel_tilt:zero"),
        HEAD.replace("sentinel_masters:1", "sentinel_masters:1.5"),
        HEAD.replace("sentinel_masters:1", "sentinel_masters:"),
        HEAD + "sentinel_simulate_failure_flags:x\r\n",
        HEAD + "master0:name=m,status=ok,address=10.0.0.1:6379,slaves=2\r\n",
        HEAD + "master0:name=m,status=ok,address=10.0.0.1,slaves=2,sentinels=3\r\n",
        HEAD + "master0:name=m,status=ok,address=10.0.0.1:6379,slaves=-1,sentinels=3\r\n",
        HEAD + "master0:status=ok,address=10.0.0.1:6379,slaves=2,sentinels=3\r\n",
        # a name holding a newline (SENTINEL MONITOR accepts it) splits the line in two
        HEAD + "master0:name=a\r\nb,status=ok,address=10.0.0.1:6379,slaves=2,sentinels=3\r\n",
    ],
)
def test_info_malformed(text: str) -> None:
    with pytest.raises(InfoParseError):
        info_sentinel(text)


def check_info(text: str | bytes) -> None:
    """Parse; on success the required keys were there and every master line was whole."""
    try:
        info = info_sentinel(text)
    except InfoParseError:
        return
    body = text if isinstance(text, str) else text.decode("utf-8", errors="replace")
    assert "sentinel_masters:" in body
    assert "sentinel_scripts_queue_length:" in body
    assert all(m.slaves >= 0 and m.sentinels >= 0 for m in info.monitored)
    assert all(":" in m.address for m in info.monitored)


@given(st.text())
def test_info_arbitrary_text(text: str) -> None:
    check_info(text)


INFO_LINE = st.one_of(
    st.sampled_from(
        [
            "# Sentinel",
            "",
            "sentinel_masters:1",
            "sentinel_tilt:0",
            "sentinel_running_scripts:0",
            "sentinel_scripts_queue_length:0",
            "sentinel_simulate_failure_flags:0",
            "sentinel_tilt_since_seconds:-1",
        ]
    ),
    st.builds(lambda k, v: f"{k}:{v}", st.sampled_from(["sentinel_tilt", "master0"]), st.text()),
    st.builds(
        lambda name, st_, addr, a, b: (
            f"master0:name={name},status={st_},address={addr},slaves={a},sentinels={b}"
        ),
        st.text(),
        st.text(),
        st.text(),
        st.text(),
        st.text(),
    ),
    st.text(),
)


@given(st.lists(INFO_LINE, max_size=12), st.sampled_from(["\n", "\r\n"]))
def test_info_structured_text(lines: list[str], eol: str) -> None:
    check_info(eol.join(lines))


@given(st.binary())
def test_info_arbitrary_bytes(data: bytes) -> None:
    check_info(data)


NO_NEWLINE = st.text().filter(lambda s: "\n" not in s)
HOSTS = st.sampled_from(["127.0.0.1", "::1", "fe80::1", "redis-1.example", "10.0.0.7"])


@given(NO_NEWLINE, st.sampled_from(["ok", "sdown", "odown"]), HOSTS, st.integers(0, 65535))
def test_info_master_name_round_trip(name: str, status: str, host: str, port: int) -> None:
    # Printed as sentinel.c prints it, with the name verbatim: any name without a newline
    # comes back unchanged.
    line = f"master0:name={name},status={status},address={host}:{port},slaves=2,sentinels=3"
    (m,) = info_sentinel(HEAD + line + "\r\n").monitored
    assert (m.name, m.status, m.address) == (name, status, f"{host}:{port}")
