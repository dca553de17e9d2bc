"""Families are built only from catalogued names with catalogued labels, and every value the
servers did not print is derived here: lag bytes, link-down time, ok-counts, replica up."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from fakes import redis_snapshot
from redis_ha_exporter.catalogue import CATALOGUE, INFO_FIELDS
from redis_ha_exporter.events.state import EventState
from redis_ha_exporter.families import (
    FamilyBuilder,
    build_families,
    count_ok_sentinels,
    count_ok_slaves,
    registry_of,
    replica_up,
)
from redis_ha_exporter.parse.events import parse_event
from redis_ha_exporter.parse.info import parse_info_fields, parse_replication, parse_server
from redis_ha_exporter.parse.sentinel import SentinelPeer, SentinelReplica, normalise_flags
from redis_ha_exporter.snapshot import Collection, TargetSnapshot
from redis_ha_exporter.targets import Kind, parse_target
from test_discovery import sentinel_snapshot

INFO = Path(__file__).parent / "fixtures" / "info"
ADDR = "10.0.0.1:6379"
SENTINEL = "127.0.0.1:26379"


def registry(*snaps: TargetSnapshot, scrapes_total: int = 1) -> CollectorRegistry:
    return registry_of(build_families(Collection(snaps, scrapes_total=scrapes_total)))


def snapshot(replication: str, up: bool = True) -> TargetSnapshot:
    """A Redis at ADDR whose ``INFO replication`` is ``replication`` (a fixture name or text)."""
    target = parse_target(f"redis://{ADDR}", Kind.REDIS)
    if not up:
        return TargetSnapshot(target, up=False, duration_seconds=0.5)
    text = (INFO / replication).read_text() if replication.endswith(".txt") else replication
    return TargetSnapshot(
        target,
        up=True,
        duration_seconds=0.01,
        server=parse_server(parse_info_fields((INFO / "redis32-server.txt").read_text())),
        replication=parse_replication(parse_info_fields(text)),
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
    reg = registry(snapshot(fixture))
    master_offset, replicas = replica_lines((INFO / fixture).read_text())
    assert replicas
    for replica in replicas:
        labels = {"addr": ADDR, "slave_ip": replica["ip"], "slave_port": replica["port"]}
        lag = reg.get_sample_value("redis_connected_slave_lag_bytes", labels)
        assert lag == master_offset - int(replica["offset"]), replica


def test_replica_link_metrics_carry_master_host_and_port() -> None:
    reg = registry(snapshot("redis32-replica.txt"))
    link = {"addr": ADDR, "master_host": "192.168.0.61", "master_port": "6379"}
    assert reg.get_sample_value("redis_master_link_up", link) == 1
    assert reg.get_sample_value("redis_slave_repl_offset", link) == 126519
    assert reg.get_sample_value("redis_slave_info", {**link, "read_only": "1"}) == 1
    assert reg.get_sample_value("redis_slave_priority", {"addr": ADDR}) == 100
    assert reg.get_sample_value("redis_master_link_down_since_seconds", {"addr": ADDR}) == 0


def test_a_down_target_gives_up_zero_and_error_one_only() -> None:
    reg = registry(snapshot("", up=False), scrapes_total=3)
    assert reg.get_sample_value("redis_up", {"addr": ADDR}) == 0
    assert reg.get_sample_value("redis_exporter_last_scrape_error", {"addr": ADDR}) == 1
    assert reg.get_sample_value("redis_exporter_scrapes_total", {}) == 3
    names = {m.name for m in reg.collect()}
    assert "redis_instance_info" not in names
    assert "redis_connected_slaves" not in names


# --- derived from INFO replication --------------------------------------------------------

MASTER = (
    "role:master\r\nconnected_slaves:3\r\n"
    "slave0:ip=10.0.0.2,port=6379,state=online,offset=400,lag=1\r\n"
    "slave1:ip=::1,port=6380,state=online,offset=1000,lag=0\r\n"
    "slave2:ip=10.0.0.4,port=6379,state=online,offset=1200,lag=0\r\n"
    "master_repl_offset:1000\r\n"
)


@pytest.mark.parametrize(
    ("ip", "port", "lag_bytes"),
    [
        ("10.0.0.2", "6379", 600),  # behind: master offset minus the replica's
        ("::1", "6380", 0),  # in step
        ("10.0.0.4", "6379", 0),  # acknowledged past the offset INFO printed first: not < 0
    ],
)
def test_lag_bytes_is_master_offset_minus_replica_offset(
    ip: str, port: str, lag_bytes: int
) -> None:
    reg = registry(snapshot(MASTER))
    slave = {"addr": ADDR, "slave_ip": ip, "slave_port": port}
    assert reg.get_sample_value("redis_connected_slave_lag_bytes", slave) == lag_bytes
    state = {**slave, "slave_state": "online"}
    offset = reg.get_sample_value("redis_connected_slave_offset_bytes", state)
    assert offset == {"10.0.0.2": 400, "::1": 1000, "10.0.0.4": 1200}[ip]


def test_no_lag_bytes_without_both_offsets() -> None:
    old = snapshot("role:master\r\nslave0:10.0.0.2,6379,online\r\n")  # Redis 2.6: no offsets
    no_master_offset = snapshot(MASTER.replace("master_repl_offset:1000\r\n", ""))
    for reg in (registry(old), registry(no_master_offset)):
        names = {s.name for m in reg.collect() for s in m.samples}
        assert "redis_connected_slave_lag_bytes" not in names
    assert "redis_connected_slave_offset_bytes" not in {m.name for m in registry(old).collect()}


def test_link_down_since_is_zero_while_up_and_what_redis_says_while_down() -> None:
    replica = "role:slave\r\nmaster_host:10.0.0.1\r\nmaster_port:6379\r\n"
    up = registry(snapshot(replica + "master_link_status:up\r\n"))
    down = registry(
        snapshot(replica + "master_link_status:down\r\nmaster_link_down_since_seconds:42\r\n")
    )
    name = "redis_master_link_down_since_seconds"
    assert up.get_sample_value(name, {"addr": ADDR}) == 0
    assert down.get_sample_value(name, {"addr": ADDR}) == 42


# --- derived from SENTINEL replies --------------------------------------------------------

# scenario -> master m1: (ok slaves (compat), replicas up (ours), ok sentinels (compat))
M1_TABLE = {
    "healthy": (2, 2, 3),
    "replica_sdown": (1, 1, 3),
    "master_sdown": (2, 2, 3),
    "master_odown": (2, 2, 3),
    "failover": (2, 2, 3),
    "after_failover": (1, 1, 3),
    "noquorum": (1, 1, 1),
    "tilt": (1, 1, 3),
    "two_masters": (1, 1, 3),
}


@pytest.mark.parametrize("scenario", sorted(M1_TABLE))
def test_sentinel_counts_from_recorded_replies(scenario: str) -> None:
    ok_slaves, up, ok_sentinels = M1_TABLE[scenario]
    snap = sentinel_snapshot(scenario, SENTINEL)
    assert snap.sentinel is not None
    (m1,) = [m for m in snap.sentinel.masters if m.name == "m1"]
    reg = registry(snap)
    where = {"addr": SENTINEL, "master_name": "m1", "master_address": m1.address}
    assert reg.get_sample_value("redis_sentinel_master_ok_slaves", where) == ok_slaves
    assert reg.get_sample_value("redis_sentinel_master_ok_sentinels", where) == ok_sentinels
    replicas_up = [
        reg.get_sample_value(
            "redis_sentinel_replica_up",
            {"addr": SENTINEL, "master_name": "m1", "replica_address": r.address},
        )
        for r in m1.replicas or ()
    ]
    assert sum(v or 0 for v in replicas_up) == up
    assert None not in replicas_up


def test_sigstopped_replica_is_down_though_its_last_link_report_is_ok() -> None:
    snap = sentinel_snapshot("replica_sdown", SENTINEL)
    assert snap.sentinel is not None
    (m1,) = snap.sentinel.masters
    (stopped,) = [r for r in m1.replicas or () if "s_down" in r.flags]
    at = {"addr": SENTINEL, "master_name": "m1", "replica_address": stopped.address}
    reg = registry(snap)
    assert reg.get_sample_value("redis_sentinel_replica_up", at) == 0
    assert reg.get_sample_value("redis_sentinel_replica_master_link_up", at) == 1


def replica(flags: str) -> SentinelReplica:
    return SentinelReplica(
        name="r",
        ip="10.0.0.1",
        port=6379,
        runid="",
        flags=normalise_flags(flags),
        master_link_status="ok",
        master_link_down_time_ms=0,
        slave_priority=100,
    )


def peer(flags: str) -> SentinelPeer:
    return SentinelPeer(name="p", ip="10.0.0.1", port=26379, runid="", flags=normalise_flags(flags))


def test_ok_slaves_counts_disconnected_like_redis_exporter_but_up_does_not() -> None:
    replicas = [
        replica("slave"),
        replica("slave,disconnected"),
        replica("s_down,slave"),
        replica("s_down,o_down,slave,disconnected"),
    ]
    assert count_ok_slaves(replicas) == 2
    assert [replica_up(r) for r in replicas] == [True, False, False, False]


def test_ok_sentinels_includes_this_sentinel() -> None:
    assert count_ok_sentinels([]) == 1
    assert count_ok_sentinels([peer("sentinel"), peer("sentinel,master_down")]) == 3
    assert count_ok_sentinels([peer("s_down,sentinel"), peer("sentinel,disconnected")]) == 2
    assert count_ok_sentinels([peer("o_down,sentinel")]) == 1


FLAG_NAMES = st.sampled_from(
    [
        "s_down",
        "o_down",
        "master",
        "slave",
        "sentinel",
        "disconnected",
        "master_down",
        "failover_in_progress",
        "promoted",
        "reconf_sent",
        "reconf_inprog",
        "reconf_done",
        "force_failover",
        "script_kill_sent",
        "xs_downx",
        "no_down",
    ]
)


@given(st.lists(st.lists(FLAG_NAMES, max_size=5, unique=True), max_size=6))
def test_counts_equal_redis_exporter_substring_rule(flag_lists: list[list[str]]) -> None:
    # redis_exporter: strings.Contains(flagsString, "o_down") / "s_down" on the string Redis
    # sends, i.e. the names joined with ",".
    joined = [",".join(f) for f in flag_lists]
    expected = sum(1 for s in joined if "o_down" not in s and "s_down" not in s)
    assert count_ok_slaves([replica(s) for s in joined]) == expected
    assert count_ok_sentinels([peer(s) for s in joined]) == 1 + expected


# --- the rest of a Redis server: the instance group ---------------------------------------

INSTANCE_NAMES = {spec.name for spec in CATALOGUE if spec.group == "instance"}


def info_lines(name: str) -> dict[str, str]:
    """``{field: value}`` of a recorded INFO text by plain splitting (not the parser's)."""
    text = (INFO / name).read_text()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def names(reg: CollectorRegistry) -> set[str]:
    return {m.name for m in reg.collect()}


@pytest.mark.parametrize(
    "info", ["redis7-master-all.txt", "redis7-replica-all.txt", "redis32-master-all.txt"]
)
def test_each_table_field_is_its_family_over_the_divisor(info: str) -> None:
    recorded = "redis32-replies.json" if info.startswith("redis32") else "redis7-replies.json"
    reg = registry(redis_snapshot(ADDR, info, recorded))
    raw = info_lines(info)
    emitted = 0
    for field, spec in INFO_FIELDS.items():
        value = reg.get_sample_value(spec.name, {"addr": ADDR})
        if field not in raw:
            assert value is None, spec.name  # a field the server does not print: no series
            continue
        number = {"ok": 1.0, "err": 0.0}.get(raw[field])
        expected = (float(raw[field]) if number is None else number) / (
            spec.field.divisor if spec.field else 1.0
        )
        assert value == expected, spec.name
        emitted += 1
    assert emitted > 40


def test_fork_time_is_converted_to_seconds_like_redis_exporter() -> None:
    reg = registry(redis_snapshot(ADDR, "redis32-master-all.txt", "redis32-replies.json"))
    assert reg.get_sample_value("redis_latest_fork_seconds", {"addr": ADDR}) == 1520 / 1e6


def test_config_families_and_the_database_count() -> None:
    reg = registry(redis_snapshot(ADDR))
    at = {"addr": ADDR}
    assert reg.get_sample_value("redis_config_maxmemory", at) == 64 * 2**20
    assert reg.get_sample_value("redis_config_maxclients", at) == 10000
    assert reg.get_sample_value("redis_config_io_threads", at) == 1
    assert reg.get_sample_value("redis_config_repl_backlog_size", at) == 2**20
    dbs = {
        s.labels["db"]: s.value
        for m in reg.collect()
        for s in m.samples
        if s.name == "redis_db_keys"
    }
    assert set(dbs) == {f"db{i}" for i in range(16)}
    assert (dbs["db0"], dbs["db3"], dbs["db1"]) == (26, 1, 0)
    assert reg.get_sample_value("redis_db_keys_expiring", {**at, "db": "db0"}) == 5
    assert reg.get_sample_value("redis_db_keys_expiring", {**at, "db": "db15"}) == 0
    # redis_exporter gives an average TTL only to the databases INFO keyspace lists.
    assert reg.get_sample_value("redis_db_avg_ttl_seconds", {**at, "db": "db1"}) is None
    (db0,) = [line for key, line in info_lines("redis7-master-all.txt").items() if key == "db0"]
    ttl_ms = int(db0.rsplit("avg_ttl=", 1)[1])
    assert reg.get_sample_value("redis_db_avg_ttl_seconds", {**at, "db": "db0"}) == ttl_ms / 1e3


def test_the_configured_number_of_databases_gets_zeros() -> None:
    snap = redis_snapshot(ADDR)
    assert snap.instance is not None
    config = {**(snap.instance.config or {}), "databases": 4.0}
    four = dataclasses.replace(snap, instance=dataclasses.replace(snap.instance, config=config))
    keys = [
        s.labels["db"]
        for m in registry(four).collect()
        for s in m.samples
        if s.name == "redis_db_keys"
    ]
    assert sorted(keys) == ["db0", "db1", "db2", "db3"]


def test_commandstats_errorstats_and_the_latency_summary() -> None:
    reg = registry(redis_snapshot(ADDR))
    raw = info_lines("redis7-master-all.txt")
    get = dict(p.split("=") for p in raw["cmdstat_get"].split(","))
    at = {"addr": ADDR, "cmd": "get"}
    assert reg.get_sample_value("redis_commands_total", at) == int(get["calls"])
    assert reg.get_sample_value("redis_commands_duration_seconds_total", at) == (
        int(get["usec"]) / 1e6
    )
    assert reg.get_sample_value("redis_commands_rejected_calls_total", at) == 0
    failed = {"addr": ADDR, "cmd": "incr"}
    assert reg.get_sample_value("redis_commands_failed_calls_total", failed) == 1
    assert reg.get_sample_value("redis_errors_total", {"addr": ADDR, "err": "WRONGTYPE"}) == 1
    percentiles = dict(p.split("=") for p in raw["latency_percentiles_usec_get"].split(","))
    summary = "redis_latency_percentiles_usec"
    for quantile in ("50", "99", "99.9"):
        value = reg.get_sample_value(summary, {**at, "quantile": quantile})
        assert value == float(percentiles[f"p{quantile}"])
    assert reg.get_sample_value(f"{summary}_count", at) == int(get["calls"])
    assert reg.get_sample_value(f"{summary}_sum", at) == int(get["usec"])


def test_redis32_has_no_rejected_failed_errors_or_latencies() -> None:
    reg = registry(redis_snapshot(ADDR, "redis32-master-all.txt", "redis32-replies.json"))
    present = names(reg)
    assert {"redis_commands", "redis_commands_duration_seconds"} <= present
    for absent in (
        "redis_commands_rejected_calls",
        "redis_commands_failed_calls",
        "redis_errors",
        "redis_latency_percentiles_usec",
        "redis_config_io_threads",  # CONFIG GET io-threads: an empty list on 3.2
        "redis_latency_spike_last",  # nothing crossed the threshold
    ):
        assert absent not in present, absent
    assert reg.get_sample_value("redis_aof_last_write_status", {"addr": ADDR}) == 0
    assert reg.get_sample_value("redis_slowlog_last_id", {"addr": ADDR}) == 1131
    duration = reg.get_sample_value("redis_last_slow_execution_duration_seconds", {"addr": ADDR})
    assert duration == 12873 / 1e6


def test_slowlog_and_latency_spikes() -> None:
    reg = registry(redis_snapshot(ADDR))
    at = {"addr": ADDR}
    assert reg.get_sample_value("redis_slowlog_length", at) == 1
    assert reg.get_sample_value("redis_slowlog_last_id", at) == 0
    slow = reg.get_sample_value("redis_last_slow_execution_duration_seconds", at)
    assert slow is not None
    assert slow >= 0.02
    event = {"addr": ADDR, "event_name": "command"}
    assert (reg.get_sample_value("redis_latency_spike_duration_seconds", event) or 0) >= 0.02
    assert (reg.get_sample_value("redis_latency_spike_last", event) or 0) > 1.7e9


def test_an_empty_slow_log_is_zero_like_redis_exporter() -> None:
    snap = redis_snapshot(ADDR)
    assert snap.instance is not None
    empty = dataclasses.replace(snap, instance=dataclasses.replace(snap.instance, slowlog=()))
    reg = registry(empty)
    assert reg.get_sample_value("redis_slowlog_last_id", {"addr": ADDR}) == 0
    assert reg.get_sample_value("redis_last_slow_execution_duration_seconds", {"addr": ADDR}) == 0


@pytest.mark.parametrize(
    ("refused", "missing"),
    [
        ("renamed", {"redis_config_maxmemory", "redis_config_maxclients"}),
        (
            "noperm",
            {
                "redis_config_maxmemory",
                "redis_slowlog_length",
                "redis_slowlog_last_id",
                "redis_last_slow_execution_duration_seconds",
                "redis_latency_spike_last",
            },
        ),
    ],
)
def test_a_refused_command_leaves_out_only_its_families(refused: str, missing: set[str]) -> None:
    allowed = names(registry(redis_snapshot(ADDR)))
    reg = registry(redis_snapshot(ADDR, refused=refused))
    assert reg.get_sample_value("redis_up", {"addr": ADDR}) == 1
    assert allowed - names(reg) >= missing
    config_and_admin = {
        spec.name
        for spec in CATALOGUE
        if spec.source.startswith(("CONFIG", "SLOWLOG", "LATENCY LATEST"))
    }
    assert allowed - names(reg) <= config_and_admin  # nothing else is lost
    # Without CONFIG GET databases, the 16 of Redis' default config get their zeros.
    assert reg.get_sample_value("redis_db_keys", {"addr": ADDR, "db": "db15"}) == 0


def test_start_time_is_the_collection_time_less_the_uptime() -> None:
    snap = redis_snapshot(ADDR, collected_at=1796021050.7)
    assert snap.server is not None
    assert snap.server.uptime_in_seconds is not None
    started = registry(snap).get_sample_value("redis_start_time_seconds", {"addr": ADDR})
    assert started == 1796021050 - snap.server.uptime_in_seconds


def test_a_sentinel_gets_none_of_the_instance_families() -> None:
    server = parse_server(parse_info_fields((INFO / "redis7-sentinel-server.txt").read_text()))
    reg = registry(dataclasses.replace(sentinel_snapshot("healthy", SENTINEL), server=server))
    assert not names(reg) & {n.removesuffix("_total") for n in INSTANCE_NAMES} - {"redis"}
    assert reg.get_sample_value("redis_uptime_in_seconds", {"addr": SENTINEL}) is not None
    (info,) = [s for m in reg.collect() for s in m.samples if s.name == "redis_instance_info"]
    assert (info.labels["redis_mode"], info.labels["role"]) == ("sentinel", "")


def event_state_of_two_masters() -> EventState:
    """A stream that counted events and a failover of m1 and of m2 (since removed)."""
    state = EventState()
    state.mark_connected(100.0)
    for name in ("m1", "m2"):
        state.apply(parse_event("+sdown", f"master {name} 10.0.0.1 6379"), 101.0)
        state.apply(parse_event("+switch-master", f"{name} 10.0.0.1 6379 10.0.0.2 6379"), 102.0)
    return state


def test_event_series_of_a_master_the_sentinel_no_longer_monitors_disappear() -> None:
    snap = sentinel_snapshot("healthy", SENTINEL)  # monitors m1 only
    events = {SENTINEL: event_state_of_two_masters().snapshot()}
    reg = registry_of(build_families(Collection((snap,), 1), events))
    for name, shown in (("m1", 1.0), ("m2", None)):
        at = {"addr": SENTINEL, "master_name": name}
        assert reg.get_sample_value("redis_sentinel_failovers_total", at) == shown
        assert reg.get_sample_value("redis_sentinel_events_total", {**at, "event": "+sdown"}) == (
            shown
        )
    # the Sentinel's scrape failed: what is monitored is unknown, all the stream counted shows
    down = TargetSnapshot(parse_target(SENTINEL, Kind.SENTINEL), up=False, duration_seconds=1.0)
    reg = registry_of(build_families(Collection((down,), 1), events))
    at = {"addr": SENTINEL, "master_name": "m2"}
    assert reg.get_sample_value("redis_sentinel_failovers_total", at) == 1


def test_failover_start_is_shown_only_while_the_sentinel_flags_it_in_progress() -> None:
    state = EventState()
    state.mark_connected(100.0)
    state.apply(parse_event("+try-failover", "master m1 127.0.0.1 49569"), 105.0)
    events = {SENTINEL: state.snapshot()}
    at = {"addr": SENTINEL, "master_name": "m1"}
    name = "redis_sentinel_failover_started_timestamp_seconds"
    failing = registry_of(
        build_families(Collection((sentinel_snapshot("failover", SENTINEL),), 1), events)
    )
    assert failing.get_sample_value(name, at) == 105.0
    done = registry_of(
        build_families(Collection((sentinel_snapshot("after_failover", SENTINEL),), 1), events)
    )
    assert done.get_sample_value(name, at) is None
    not_tracked = registry_of(
        build_families(
            Collection((sentinel_snapshot("failover", SENTINEL),), 1),
            {SENTINEL: EventState().snapshot()},
        )
    )
    assert not_tracked.get_sample_value(name, at) is None
