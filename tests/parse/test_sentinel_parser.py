"""Tests for redis_ha_exporter.parse.sentinel.

Table tests run on replies recorded from real redis-server/redis-sentinel 7.0.15 processes
(tests/fixtures/sentinel/, see its README), in RESP2 and RESP3 shapes; hypothesis checks that
no input makes a parser raise anything but SentinelParseError. (``INFO sentinel`` is INFO text:
tests/parse/test_info.py. The values derived from these records: tests/test_families.py.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st

from redis_ha_exporter.parse.info import SentinelInfo, parse_info_fields, parse_info_sentinel
from redis_ha_exporter.parse.sentinel import (
    CkQuorum,
    SentinelMaster,
    SentinelParseError,
    SentinelPeer,
    SentinelReplica,
    normalise_flags,
    parse_ckquorum,
    parse_sentinel_master,
    parse_sentinel_masters,
    parse_sentinel_sentinels,
    parse_sentinel_slaves,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sentinel"
SCENARIOS = (
    "healthy",
    "replica_sdown",
    "master_sdown",
    "master_odown",
    "failover",
    "after_failover",
    "noquorum",
    "tilt",
    "two_masters",
)
PROTOCOLS = (2, 3)


def load(scenario: str, protocol: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{scenario}.resp{protocol}.json").read_text())
    return data


def load_info(scenario: str, protocol: int) -> bytes:
    return (FIXTURES / f"{scenario}.resp{protocol}.info.txt").read_bytes()


def as_dict(entry: Any) -> dict[str, str]:
    """Test oracle: one raw entry (RESP2 flat list or RESP3 dict) as a plain dict."""
    if isinstance(entry, dict):
        return dict(entry)
    return dict(zip(entry[0::2], entry[1::2], strict=True))


def ckquorum_reply(raw: Any) -> str | Exception:
    """A recorded CKQUORUM reply as the fetch layer hands it over (errors as exceptions)."""
    if isinstance(raw, dict):
        return redis.ResponseError(raw["error"])
    assert isinstance(raw, str)
    return raw


def all_fixtures() -> list[tuple[str, int]]:
    return [(s, p) for s in SCENARIOS for p in PROTOCOLS]


def test_every_fixture_file_is_used() -> None:
    recorded = {p.name.split(".")[0] for p in FIXTURES.glob("*.json")}
    assert recorded == set(SCENARIOS)
    for scenario, protocol in all_fixtures():
        assert (FIXTURES / f"{scenario}.resp{protocol}.info.txt").is_file()


def test_fixtures_have_both_reply_shapes() -> None:
    for scenario in SCENARIOS:
        assert all(isinstance(e, list) for e in load(scenario, 2)["masters"])
        assert all(isinstance(e, dict) for e in load(scenario, 3)["masters"])


# --- field mapping against the raw replies ---------------------------------------------


@pytest.mark.parametrize(("scenario", "protocol"), all_fixtures())
def test_masters_fields_match_raw_reply(scenario: str, protocol: int) -> None:
    raw = load(scenario, protocol)["masters"]
    masters = parse_sentinel_masters(raw)
    assert len(masters) == len(raw)
    for m, entry in zip(masters, map(as_dict, raw), strict=True):
        assert m.name == entry["name"]
        assert m.ip == entry["ip"]
        assert m.port == int(entry["port"])
        assert m.address == f"{entry['ip']}:{entry['port']}"
        assert m.runid == entry["runid"]
        assert m.flags == frozenset(entry["flags"].split(","))
        assert m.config_epoch == int(entry["config-epoch"])
        assert m.quorum == int(entry["quorum"])
        assert m.num_slaves == int(entry["num-slaves"])
        assert m.num_other_sentinels == int(entry["num-other-sentinels"])
        assert m.down_after_ms == int(entry["down-after-milliseconds"])
        assert m.failover_timeout_ms == int(entry["failover-timeout"])
        assert m.parallel_syncs == int(entry["parallel-syncs"])
        assert m.last_ok_ping_reply_ms == int(entry["last-ok-ping-reply"])
        assert m.failover_state == entry.get("failover-state")
        assert m.sdown == ("s_down" in entry["flags"])
        assert m.odown == ("o_down" in entry["flags"])
        assert m.failover_in_progress == ("failover_in_progress" in entry["flags"])
        if "s-down-time" in entry:
            assert m.s_down_time_ms == int(entry["s-down-time"])
        else:
            assert m.s_down_time_ms is None


@pytest.mark.parametrize(("scenario", "protocol"), all_fixtures())
def test_slaves_fields_match_raw_reply(scenario: str, protocol: int) -> None:
    data = load(scenario, protocol)
    for name, raw in data["slaves"].items():
        replicas = parse_sentinel_slaves(raw)
        assert len(replicas) == len(raw)
        for r, entry in zip(replicas, map(as_dict, raw), strict=True):
            flags = set(entry["flags"].split(","))
            assert r.name == entry["name"], name
            assert r.address == f"{entry['ip']}:{entry['port']}"
            assert r.flags == flags
            assert r.master_link_ok == (entry["master-link-status"] == "ok")
            assert r.repl_offset == int(entry["slave-repl-offset"])
            assert r.master_link_down_time_ms == int(entry["master-link-down-time"])
            assert r.slave_priority == int(entry["slave-priority"])
            assert r.replica_announced is (entry["replica-announced"] == "1")
            assert r.master_port == int(entry["master-port"])


@pytest.mark.parametrize(("scenario", "protocol"), all_fixtures())
def test_sentinels_fields_match_raw_reply(scenario: str, protocol: int) -> None:
    data = load(scenario, protocol)
    for raw in data["sentinels"].values():
        peers = parse_sentinel_sentinels(raw)
        assert len(peers) == len(raw)
        for p, entry in zip(peers, map(as_dict, raw), strict=True):
            flags = set(entry["flags"].split(","))
            assert p.name == entry["name"]
            assert p.runid == entry["runid"]
            assert p.address == f"{entry['ip']}:{entry['port']}"
            assert p.flags == flags
            assert p.voted_leader_epoch == int(entry["voted-leader-epoch"])


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_resp2_and_resp3_parse_alike(scenario: str) -> None:
    def stable(scenario: str, protocol: int) -> list[tuple[object, ...]]:
        data = load(scenario, protocol)
        rows: list[tuple[object, ...]] = []
        for m in parse_sentinel_masters(data["masters"]):
            rows.append((m.name, m.address, m.flags, m.config_epoch, m.quorum, m.num_slaves))
            for r in parse_sentinel_slaves(data["slaves"][m.name]):
                rows.append((r.address, r.flags, r.master_link_status, r.slave_priority))
            for p in parse_sentinel_sentinels(data["sentinels"][m.name]):
                rows.append((p.address, p.runid, p.flags))
            ck = parse_ckquorum(ckquorum_reply(data["ckquorum"][m.name]))
            rows.append((ck.ok, ck.usable_sentinels))
        return rows

    assert stable(scenario, 2) == stable(scenario, 3)


# --- scenario table -----------------------------------------------------------------------

# scenario -> master m1: (sdown, odown, failover_in_progress, info status, ckquorum)
M1_TABLE = {
    "healthy": (False, False, False, "ok", True),
    "replica_sdown": (False, False, False, "ok", True),
    "master_sdown": (True, False, False, "sdown", True),
    "master_odown": (True, True, True, "odown", True),
    "failover": (True, True, True, "odown", True),
    "after_failover": (False, False, False, "ok", True),
    "noquorum": (False, False, False, "ok", False),
    "tilt": (False, False, False, "ok", True),
    "two_masters": (False, False, False, "ok", True),
}


def info_sentinel(scenario: str, protocol: int) -> SentinelInfo:
    return parse_info_sentinel(parse_info_fields(load_info(scenario, protocol)))


@pytest.mark.parametrize(("scenario", "protocol"), all_fixtures())
def test_scenario_table(scenario: str, protocol: int) -> None:
    sdown, odown, failover, status, ck_ok = M1_TABLE[scenario]
    data = load(scenario, protocol)
    m1 = {m.name: m for m in parse_sentinel_masters(data["masters"])}["m1"]
    info = {im.name: im for im in info_sentinel(scenario, protocol).monitored}
    assert (m1.sdown, m1.odown, m1.failover_in_progress) == (sdown, odown, failover)
    assert info["m1"].status == status
    assert info["m1"].ok == (status == "ok")
    assert info["m1"].address == m1.address
    assert parse_ckquorum(ckquorum_reply(data["ckquorum"]["m1"])).ok is ck_ok


def test_failover_fixture_shows_state_and_new_master() -> None:
    during = parse_sentinel_masters(load("failover", 2)["masters"])[0]
    after = parse_sentinel_masters(load("after_failover", 2)["masters"])[0]
    assert during.failover_state not in (None, "wait_start")
    assert during.o_down_time_ms is not None
    assert after.failover_state is None
    assert after.config_epoch == during.config_epoch + 1
    assert after.address != during.address
    old = parse_sentinel_slaves(load("after_failover", 2)["slaves"]["m1"])
    assert [r.address for r in old if "s_down" in r.flags] == [during.address]


def test_two_masters_are_reported_separately() -> None:
    data = load("two_masters", 3)
    masters = parse_sentinel_masters(data["masters"])
    info = info_sentinel("two_masters", 3)
    assert sorted(m.name for m in masters) == ["m1", "m2"]
    assert info.masters == 2
    assert {(i.name, i.address, i.slaves) for i in info.monitored} == {
        (m.name, m.address, m.num_slaves) for m in masters
    }
    assert len({m.address for m in masters}) == 2


def test_noquorum_fixture() -> None:
    ck = parse_ckquorum(ckquorum_reply(load("noquorum", 2)["ckquorum"]["m1"]))
    assert ck == CkQuorum(
        ok=False,
        usable_sentinels=1,
        quorum_reachable=False,
        majority_reachable=False,
        message=load("noquorum", 2)["ckquorum"]["m1"]["error"],
    )


# --- SENTINEL MASTERS / SLAVES / SENTINELS: edge cases ------------------------------------


def healthy_master_entry() -> list[Any]:
    entry: list[Any] = load("healthy", 2)["masters"][0]
    return list(entry)


def test_bytes_replies_are_decoded() -> None:
    entry = [x.encode() for x in healthy_master_entry()]
    entry[entry.index(b"name") + 1] = b"caf\xc3\xa9\xff"
    m = parse_sentinel_master(entry)
    assert m.name == "café\ufffd"
    assert m.flags == frozenset({"master"})
    assert m.port == int(as_dict(healthy_master_entry())["port"])


def test_integer_values_and_flag_sets_are_accepted() -> None:
    d: dict[str, Any] = as_dict(healthy_master_entry())
    d["port"] = 6379
    d["quorum"] = 2
    d["flags"] = {"master", "s_down"}
    d["name"] = 1  # a parse_info-style number: kept as text
    m = parse_sentinel_master(d)
    assert (m.port, m.quorum, m.name, m.sdown) == (6379, 2, "1", True)


def test_tuple_reply_and_empty_reply() -> None:
    assert parse_sentinel_slaves(()) == ()
    assert parse_sentinel_sentinels([]) == ()
    masters = parse_sentinel_masters((tuple(healthy_master_entry()),))
    assert masters[0].name == "m1"


def test_unknown_fields_are_ignored_and_optional_fields_default_to_none() -> None:
    d: dict[str, Any] = as_dict(healthy_master_entry())
    d["some-future-field"] = "x"
    for key in ("last-ok-ping-reply", "role-reported", "runid"):
        del d[key]
    m = parse_sentinel_master(d)
    assert (m.last_ok_ping_reply_ms, m.role_reported, m.runid) == (None, None, "")


def test_old_replica_entry_without_offset_or_announced() -> None:
    entry = as_dict(load("healthy", 3)["slaves"]["m1"][0])
    del entry["slave-repl-offset"]
    del entry["replica-announced"]
    entry["master-host"] = "?"
    (r,) = parse_sentinel_slaves([entry])
    assert (r.repl_offset, r.replica_announced, r.master_host) == (None, None, None)


def test_peer_voted_leader() -> None:
    entry = as_dict(load("healthy", 3)["sentinels"]["m1"][0])
    assert parse_sentinel_sentinels([entry])[0].voted_leader is None
    entry["voted-leader"] = "abc"
    assert parse_sentinel_sentinels([entry])[0].voted_leader == "abc"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("name"),
        lambda d: d.pop("ip"),
        lambda d: d.pop("port"),
        lambda d: d.pop("flags"),
        lambda d: d.pop("quorum"),
        lambda d: d.pop("config-epoch"),
        lambda d: d.update(port="63a79"),
        lambda d: d.update(port="\uff16\uff13\uff17\uff19"),  # int() would accept these digits
        lambda d: d.update(quorum=" 2"),
        lambda d: d.update(quorum=True),
        lambda d: d.update(quorum=2.0),
        lambda d: d.update(quorum=None),
        lambda d: d.update(quorum="9" * 5000),
        lambda d: d.update(name=["m1"]),
        lambda d: d.update(flags=7),
        lambda d: d.update(flags=["master", ["s_down"]]),
        lambda d: d.update({"last-ok-ping-reply": "soon"}),
    ],
)
def test_master_entry_malformed(mutate: Any) -> None:
    d: dict[Any, Any] = as_dict(healthy_master_entry())
    mutate(d)
    with pytest.raises(SentinelParseError):
        parse_sentinel_master(d)


@pytest.mark.parametrize(
    "reply",
    [
        None,
        "OK",
        {"name": "m1"},
        [["name", "m1", "ip"]],
        [[1, "m1"]],
        [None],
        [{None: "x"}],
    ],
)
def test_reply_shape_malformed(reply: Any) -> None:
    for parse in (parse_sentinel_masters, parse_sentinel_slaves, parse_sentinel_sentinels):
        with pytest.raises(SentinelParseError):
            parse(reply)


@pytest.mark.parametrize("key", ["master-link-status", "master-link-down-time", "slave-priority"])
def test_replica_required_fields(key: str) -> None:
    entry = as_dict(load("healthy", 2)["slaves"]["m1"][0])
    del entry[key]
    with pytest.raises(SentinelParseError):
        parse_sentinel_slaves([entry])


# --- flags --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("s_down,master,disconnected", {"s_down", "master", "disconnected"}),
        (b"slave", {"slave"}),
        ("", set()),
        ("master,", {"master"}),
        ({"master", "o_down"}, {"master", "o_down"}),
        (frozenset({b"sentinel"}), {"sentinel"}),
        (["s_down", "slave"], {"s_down", "slave"}),
        (("a,b", "c"), {"a", "b", "c"}),
    ],
)
def test_normalise_flags(value: object, expected: set[str]) -> None:
    assert normalise_flags(value) == expected


@pytest.mark.parametrize("value", [None, 3, 1.5, {"a": "b"}, [1], [None]])
def test_normalise_flags_rejects(value: object) -> None:
    with pytest.raises(SentinelParseError):
        normalise_flags(value)


# --- CKQUORUM -----------------------------------------------------------------------------

NOQ = "Not enough available Sentinels to reach the specified quorum for this master"
NOMAJ = "Not enough available Sentinels to reach the majority and authorize a failover"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            "OK 3 usable Sentinels. Quorum and failover authorization can be reached",
            (True, 3, True, True),
        ),
        (
            b"OK 1 usable Sentinels. Quorum and failover authorization can be reached",
            (True, 1, True, True),
        ),
        (redis.ResponseError(f"NOQUORUM 1 usable Sentinels. {NOQ}"), (False, 1, False, True)),
        (redis.ResponseError(f"NOQUORUM 2 usable Sentinels. {NOMAJ}"), (False, 2, True, False)),
        (
            redis.ResponseError(f"NOQUORUM 1 usable Sentinels. {NOQ}. {NOMAJ}"),
            (False, 1, False, False),
        ),
        (f"NOQUORUM 1 usable Sentinels. {NOQ}", (False, 1, False, True)),
        (redis.ResponseError("No such master with that name"), (False, None, None, None)),
        (redis.ConnectionError("Connection closed by server."), (False, None, None, None)),
        (TimeoutError(), (False, None, None, None)),
    ],
)
def test_ckquorum(reply: str | bytes | BaseException, expected: tuple[object, ...]) -> None:
    ck = parse_ckquorum(reply)
    assert (ck.ok, ck.usable_sentinels, ck.quorum_reachable, ck.majority_reachable) == expected
    assert ck.message == (reply.decode() if isinstance(reply, bytes) else str(reply))


@pytest.mark.parametrize("reply", ["", "OK", "QUEUED", "OK x usable Sentinels."])
def test_ckquorum_unexpected_text(reply: str) -> None:
    with pytest.raises(SentinelParseError):
        parse_ckquorum(reply)


# --- properties: only SentinelParseError, ever ---------------------------------------------


SCALARS = st.one_of(
    st.text(max_size=20),
    st.binary(max_size=20),
    st.integers(),
    st.none(),
    st.booleans(),
    st.floats(),
)
NESTED = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=8),
        st.dictionaries(st.one_of(st.text(max_size=10), st.binary(max_size=10)), children),
        st.frozensets(st.text(max_size=5), max_size=3),
    ),
    max_leaves=30,
)


def check_parse(parse: Callable[[object], object], reply: object) -> None:
    """Parse; on success every record has clean flag names and an ``ip:port`` address."""
    try:
        result = parse(reply)
    except SentinelParseError:
        return
    records = result if isinstance(result, tuple) else (result,)
    for record in records:
        if isinstance(record, frozenset):
            flags: frozenset[object] = record
        else:
            assert isinstance(record, SentinelMaster | SentinelReplica | SentinelPeer)
            assert record.address == f"{record.ip}:{record.port}"
            flags = frozenset(record.flags)
        assert all(isinstance(f, str) and f and "," not in f for f in flags)


@given(NESTED)
def test_entries_arbitrary_nested(reply: object) -> None:
    for parse in (
        parse_sentinel_masters,
        parse_sentinel_slaves,
        parse_sentinel_sentinels,
        parse_sentinel_master,
        normalise_flags,
    ):
        check_parse(parse, reply)


def real_entries() -> list[tuple[str, Any]]:
    data = load("failover", 3)
    return [
        ("masters", as_dict(data["masters"][0])),
        ("slaves", as_dict(data["slaves"]["m1"][0])),
        ("sentinels", as_dict(data["sentinels"]["m1"][0])),
    ]


@given(st.sampled_from(real_entries()), st.data())
def test_mutated_real_entries(kind_entry: tuple[str, Any], data: st.DataObject) -> None:
    kind, entry = kind_entry
    entry = dict(entry)
    key = data.draw(st.sampled_from(sorted(entry)))
    if data.draw(st.booleans()):
        del entry[key]
    else:
        entry[key] = data.draw(NESTED)
    parse = {
        "masters": parse_sentinel_masters,
        "slaves": parse_sentinel_slaves,
        "sentinels": parse_sentinel_sentinels,
    }[kind]
    as_list = [x for pair in entry.items() for x in pair]
    for shape in (entry, as_list):
        check_parse(parse, [shape])


@given(st.one_of(st.text(), st.binary()))
def test_ckquorum_arbitrary_text(text: str | bytes) -> None:
    try:
        ck = parse_ckquorum(text)
    except SentinelParseError:
        return
    assert ck.ok == (ck.quorum_reachable is True and ck.majority_reachable is True)
    assert ck.ok == ck.message.startswith("OK ")


@given(st.text())
def test_ckquorum_any_exception_is_not_ok(message: str) -> None:
    ck = parse_ckquorum(redis.ResponseError(message))
    assert not ck.ok
    assert ck.message == message
