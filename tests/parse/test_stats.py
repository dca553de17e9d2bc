"""Table tests on recorded ``INFO ALL`` outputs (Redis 7.0 master and replica, recorded live; the
seeds' Redis 3.2 layout, built by hand) and property tests: no fields make
``parse_instance_stats`` raise anything but InfoParseError."""

from __future__ import annotations

import contextlib
import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redis_ha_exporter.catalogue import INFO_FIELDS
from redis_ha_exporter.parse import read_float
from redis_ha_exporter.parse.info import InfoParseError, parse_info_fields
from redis_ha_exporter.parse.stats import (
    CommandStat,
    DbKeyspace,
    ErrorStat,
    InstanceStats,
    parse_instance_stats,
    read_info_number,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "info"
INFO_ALL = ["redis7-master-all.txt", "redis7-replica-all.txt", "redis32-master-all.txt"]


def stats(name: str) -> InstanceStats:
    return parse_instance_stats(parse_info_fields((FIXTURES / name).read_text()), INFO_FIELDS)


def lines(name: str) -> dict[str, str]:
    """``{field: value}`` of a fixture by plain splitting, independent of the parser."""
    text = (FIXTURES / name).read_text()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def pairs(value: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in value.split(","))


@pytest.mark.parametrize("name", INFO_ALL)
def test_every_wanted_field_present_is_read(name: str) -> None:
    raw = lines(name)
    numbers = stats(name).numbers
    assert set(numbers) == set(raw) & set(INFO_FIELDS)
    for field, value in numbers.items():
        word = {"ok": 1.0, "err": 0.0}.get(raw[field])
        assert value == (word if word is not None else float(raw[field])), field


@pytest.mark.parametrize("name", INFO_ALL)
def test_keyspace_commandstats_errorstats_latencystats(name: str) -> None:
    raw = lines(name)
    parsed = stats(name)
    dbs = {k: pairs(v) for k, v in raw.items() if re.fullmatch(r"db\d+", k)}
    assert {d.db: (d.keys, d.expires, d.avg_ttl_ms) for d in parsed.keyspace} == {
        k: (int(p["keys"]), int(p["expires"]), int(p["avg_ttl"])) for k, p in dbs.items()
    }
    commands = {k[8:]: pairs(v) for k, v in raw.items() if k.startswith("cmdstat_")}
    assert [c.cmd for c in parsed.commands] == list(commands)
    for command in parsed.commands:
        recorded = commands[command.cmd]
        assert (command.calls, command.usec) == (int(recorded["calls"]), int(recorded["usec"]))
        rejected = recorded.get("rejected_calls")
        assert command.rejected_calls == (None if rejected is None else int(rejected))
    errors = {k[10:]: int(pairs(v)["count"]) for k, v in raw.items() if k.startswith("errorstat_")}
    assert {e.err: e.count for e in parsed.errors} == errors
    latencies = [k[25:] for k in raw if k.startswith("latency_percentiles_usec_")]
    assert [lat.cmd for lat in parsed.latencies] == latencies


def test_redis7_master() -> None:
    parsed = stats("redis7-master-all.txt")
    db0 = parsed.keyspace[0]
    assert (db0.db, db0.keys, db0.expires) == ("db0", 26, 5)  # what the recorder wrote
    assert db0.avg_ttl_ms is not None
    assert 0 < db0.avg_ttl_ms <= 3_600_000
    assert {e.err for e in parsed.errors} == {"ERR", "WRONGTYPE"}
    (incr,) = [c for c in parsed.commands if c.cmd == "incr"]
    assert (incr.calls, incr.rejected_calls, incr.failed_calls) == (1, 0, 1)  # INCR of a list
    (get,) = [lat for lat in parsed.latencies if lat.cmd == "get"]
    assert [q for q, _ in get.percentiles] == ["50", "99", "99.9"]
    assert "config|set" in {c.cmd for c in parsed.commands}
    assert parsed.numbers["maxmemory"] == 64 * 2**20
    assert parsed.numbers["rdb_last_bgsave_status"] == 1.0


def test_redis32_layout_has_no_extended_stats() -> None:
    parsed = stats("redis32-master-all.txt")
    assert parsed.keyspace == (DbKeyspace("db0", 1002, 12, 86398762),)
    assert parsed.commands[0] == CommandStat("get", 1275, 5100, None, None)
    assert parsed.errors == ()
    assert parsed.latencies == ()
    assert parsed.numbers["aof_last_write_status"] == 0.0  # err
    assert parsed.numbers["used_cpu_sys"] == 0.51
    assert parsed.numbers["mem_fragmentation_ratio"] == 4.04
    assert "maxclients" not in parsed.numbers  # INFO clients has no maxclients before 5.0


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"errorstat_NOPERM": "count=3"}, (ErrorStat("NOPERM", 3),)),
        ({"db15": "keys=1,expires=0,avg_ttl=0,subexpiry=0"}, (DbKeyspace("db15", 1, 0, 0),)),
        ({"db0": "keys=1,expires=0"}, (DbKeyspace("db0", 1, 0, None),)),  # before avg_ttl
        ({"dbsize": "7"}, ()),  # not a database line
    ],
)
def test_prefixed_fields(fields: dict[str, str], expected: tuple[object, ...]) -> None:
    parsed = parse_instance_stats(fields, ())
    assert (*parsed.keyspace, *parsed.errors) == expected


@pytest.mark.parametrize(
    ("value", "label"),
    [("p50=1", "50"), ("p99.9=1", "99.9"), ("p50.000=1", "50"), ("p99.99=1", "99.99")],
)
def test_percentile_labels_as_redis_exporter_prints_them(value: str, label: str) -> None:
    (latency,) = parse_instance_stats({"latency_percentiles_usec_get": value}, ()).latencies
    assert latency.percentiles == ((label, 1.0),)


@pytest.mark.parametrize(
    "fields",
    [
        {"used_memory": "1.09M"},
        {"used_memory": ""},
        {"rdb_last_bgsave_status": "maybe"},
        {"db0": "keys=x,expires=0"},
        {"db0": "expires=0,avg_ttl=0"},
        {"db0": "keys"},
        {"cmdstat_get": "calls=1"},
        {"cmdstat_get": "calls=1,usec=2,rejected_calls=-"},
        {"errorstat_ERR": "count=1.5"},
        {"latency_percentiles_usec_get": "x50=1"},
        {"latency_percentiles_usec_get": "p50=fast"},
    ],
)
def test_malformed(fields: dict[str, str]) -> None:
    with pytest.raises(InfoParseError):
        parse_instance_stats(fields, ["used_memory", "rdb_last_bgsave_status"])


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", 1.0), ("-1", -1.0), ("1.09", 1.09), ("0.036410", 0.03641), ("1e+20", 1e20)],
)
def test_read_float(text: str, value: float) -> None:
    assert read_float(text, "f", InfoParseError) == value


@pytest.mark.parametrize("text", ["nan", "-nan", "inf", "-inf"])
def test_read_float_takes_what_printf_prints_for_non_finite_ratios(text: str) -> None:
    value = read_info_number(text, "allocator_frag_ratio")
    assert math.isnan(value) or math.isinf(value)


@pytest.mark.parametrize("text", ["", " 1", "+1", "1_000", "\u0661", "1.09M", "0x10", "infinity"])
def test_read_float_refuses(text: str) -> None:
    with pytest.raises(InfoParseError, match="f: not a number"):
        read_float(text, "f", InfoParseError)


KEYS = st.one_of(
    st.sampled_from(["db0", "db15", "cmdstat_get", "errorstat_ERR", "used_memory", "dbx"]),
    st.builds(
        lambda prefix, rest: prefix + rest,
        st.sampled_from(["cmdstat_", "errorstat_", "latency_percentiles_usec_", "db"]),
        st.text(max_size=8),
    ),
    st.text(max_size=12),
)
VALUES = st.one_of(
    st.sampled_from(["keys=1,expires=0,avg_ttl=0", "calls=1,usec=2", "count=1", "p50=1.0", "ok"]),
    st.text(max_size=30),
    st.lists(
        st.builds(lambda k, v: f"{k}={v}", st.text(max_size=6), st.text(max_size=6)), max_size=5
    ).map(",".join),
)


@given(st.dictionaries(KEYS, VALUES, max_size=10))
def test_no_fields_crash_the_parser(fields: dict[str, str]) -> None:
    try:
        parsed = parse_instance_stats(fields, ["used_memory", "ok"])
    except InfoParseError:
        return
    assert set(parsed.numbers) <= {"used_memory", "ok"}
    assert all(d.db in fields for d in parsed.keyspace)


@given(st.text())
def test_no_text_crashes_split_then_parse(text: str) -> None:
    with contextlib.suppress(InfoParseError):
        parse_instance_stats(parse_info_fields(text), INFO_FIELDS)
