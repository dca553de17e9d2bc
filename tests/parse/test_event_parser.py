"""Tests of the Sentinel event parser: recorded payloads, sentinel.c formats, properties."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redis_ha_exporter.parse.events import (
    INSTANCE_TYPES,
    KNOWN_EVENTS,
    LOG_ONLY_EVENTS,
    OTHER,
    EventParseError,
    SentinelEvent,
    is_event_channel,
    parse_event,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "events"


@dataclass(frozen=True)
class Recorded:
    file: str
    seconds: float
    source: str
    channel: str
    payload: str


def load(name: str) -> list[Recorded]:
    """Read ``<name>.txt``: ``seconds<TAB>source<TAB>channel<TAB>payload`` (payload kept verbatim,
    trailing spaces included: ``+set ... notification-script `` ends with one)."""
    out = []
    for line in (FIXTURES / f"{name}.txt").read_text(encoding="utf-8").split("\n"):
        if not line or line.startswith("#"):
            continue
        seconds, source, channel, payload = line.split("\t", 3)
        out.append(Recorded(name, float(seconds), source, channel, payload))
    return out


SCENARIOS = sorted(p.stem for p in FIXTURES.glob("*.txt"))
ALL = [rec for name in SCENARIOS for rec in load(name)]
SENTINEL_LINES = [rec for rec in ALL if rec.source.startswith("s")]
HELLO_LINES = [rec for rec in ALL if rec.source == "m"]

# Instance type each %@ event carries, per its sentinelEvent() call in sentinel.c (7.0.15).
INSTANCE_OF: dict[str, frozenset[str]] = {
    "+config-update-from": frozenset({"sentinel"}),
    "+convert-to-slave": frozenset({"slave"}),
    "+elected-leader": frozenset({"master"}),
    "+failover-end": frozenset({"master"}),
    "+failover-end-for-timeout": frozenset({"master"}),
    "+failover-state-reconf-slaves": frozenset({"master"}),
    "+failover-state-select-slave": frozenset({"master"}),
    "+failover-state-send-slaveof-noone": frozenset({"slave"}),
    "+failover-state-wait-promotion": frozenset({"slave"}),
    "+fix-slave-config": frozenset({"slave"}),
    "+monitor": frozenset({"master"}),
    "+odown": frozenset({"master"}),
    "+promoted-slave": frozenset({"slave"}),
    "+reboot": INSTANCE_TYPES,
    "+reset-master": frozenset({"master"}),
    "+role-change": frozenset({"master", "slave"}),
    "-role-change": frozenset({"master", "slave"}),
    "+sdown": INSTANCE_TYPES,
    "-sdown": INSTANCE_TYPES,
    "+selected-slave": frozenset({"slave"}),
    "+sentinel": frozenset({"sentinel"}),
    "+set": frozenset({"master"}),
    "+slave": frozenset({"slave"}),
    "+slave-reconf-done": frozenset({"slave"}),
    "+slave-reconf-inprog": frozenset({"slave"}),
    "+slave-reconf-sent": frozenset({"slave"}),
    "+slave-reconf-sent-be": frozenset({"slave"}),
    "+try-failover": frozenset({"master"}),
    "-failover-abort-no-good-slave": frozenset({"master"}),
    "-monitor": frozenset({"master"}),
    "-odown": frozenset({"master"}),
}
NO_INSTANCE = {
    "+new-epoch",
    "+vote-for-leader",
    "+switch-master",
    "-script-error",
    "+tilt",
    "-tilt",
}


def first_of_each_event() -> list[Recorded]:
    seen: dict[str, Recorded] = {}
    for rec in SENTINEL_LINES:
        seen.setdefault(rec.channel, rec)
    return [seen[k] for k in sorted(seen)]


def test_fixtures_cover_the_main_failover_and_flap_events() -> None:
    recorded = {rec.channel for rec in SENTINEL_LINES}
    must = {
        "+monitor", "+set", "+slave", "+sentinel", "+sdown", "-sdown", "+odown", "-odown",
        "+new-epoch", "+try-failover", "+vote-for-leader", "+elected-leader",
        "+failover-state-select-slave", "+selected-slave", "+failover-state-send-slaveof-noone",
        "+failover-state-wait-promotion", "+promoted-slave", "+failover-state-reconf-slaves",
        "+slave-reconf-sent", "+slave-reconf-inprog", "+slave-reconf-done", "+failover-end",
        "+failover-end-for-timeout", "+switch-master", "+config-update-from", "+convert-to-slave",
        "+role-change", "-role-change", "-failover-abort-no-good-slave", "+fix-slave-config",
        "-script-error", "+tilt", "-tilt", "+reset-master", "-monitor",
    }  # fmt: skip
    assert must <= recorded
    assert recorded <= KNOWN_EVENTS


@pytest.mark.parametrize("rec", SENTINEL_LINES, ids=lambda r: f"{r.file}:{r.channel}")
def test_every_recorded_sentinel_message_parses_as_a_known_event(rec: Recorded) -> None:
    assert is_event_channel(rec.channel)
    event = parse_event(rec.channel, rec.payload)
    assert event.known
    assert event.event == rec.channel
    assert event.label == rec.channel
    assert event.payload == rec.payload


@pytest.mark.parametrize("rec", first_of_each_event(), ids=lambda r: r.channel)
def test_recorded_event_fields_match_the_sentinel_c_format(rec: Recorded) -> None:
    event = parse_event(rec.channel, rec.payload)
    if rec.channel in NO_INSTANCE:
        assert event.instance_type == ""
        assert event.instance_name == ""
        assert event.instance_address == ""
        return
    assert event.instance_type in INSTANCE_OF[rec.channel]
    # "<type> <name> <ip> <port>" rebuilt from the parsed fields is the payload's start
    host, port = event.instance_address.rsplit(":", 1)
    assert rec.payload.startswith(f"{event.instance_type} {event.instance_name} {host} {port}")
    assert event.master_name == "mymaster"  # the recordings monitor one master of that name
    if event.instance_type == "master":
        assert event.instance_name == event.master_name
        assert event.master_address == event.instance_address
    else:
        assert f" @ {event.master_name} " in rec.payload
        mhost, mport = event.master_address.rsplit(":", 1)
        assert f"@ mymaster {mhost} {mport}" in rec.payload
    if event.instance_type == "slave":
        assert event.instance_name == event.instance_address  # slaves are named ip:port
    if event.instance_type == "sentinel":
        assert len(event.instance_name) == 40  # Sentinels are named by run id


def test_recorded_switch_master_gives_old_and_new_address() -> None:
    recs = [r for r in SENTINEL_LINES if r.channel == "+switch-master"]
    assert recs
    for rec in recs:
        name, oldip, oldport, newip, newport = rec.payload.split(" ")
        event = parse_event(rec.channel, rec.payload)
        assert event.master_name == name
        assert event.old_address == f"{oldip}:{oldport}"
        assert event.new_address == f"{newip}:{newport}"
        assert event.master_address == event.new_address
        assert event.old_address != event.new_address


def test_recorded_odown_quorum_and_epochs_are_typed() -> None:
    odowns = [parse_event(r.channel, r.payload) for r in SENTINEL_LINES if r.channel == "+odown"]
    assert odowns
    for ev in odowns:
        assert ev.quorum == 2  # recorded with quorum 2
        assert ev.quorum_votes is not None
        assert ev.quorum_votes >= ev.quorum
        assert ev.detail == f"#quorum {ev.quorum_votes}/{ev.quorum}"
    epochs = [
        parse_event(r.channel, r.payload)
        for r in SENTINEL_LINES
        if r.channel in ("+new-epoch", "+vote-for-leader")
    ]
    assert epochs
    for ev in epochs:
        assert ev.epoch is not None
        assert ev.epoch >= 1
        assert ev.payload.endswith(str(ev.epoch))
        assert ev.master_name == ""  # these payloads name no master
    votes = [ev for ev in epochs if ev.event == "+vote-for-leader"]
    assert votes
    assert all(len(ev.leader) == 40 for ev in votes)


def test_recorded_set_keeps_option_text_including_empty_and_redacted_values() -> None:
    sets = [parse_event(r.channel, r.payload) for r in SENTINEL_LINES if r.channel == "+set"]
    details = {ev.detail for ev in sets}
    assert "down-after-milliseconds 1000" in details
    assert "auth-pass ******" in details
    assert "notification-script " in details  # value "" clears the script: trailing space


@pytest.mark.parametrize("rec", HELLO_LINES, ids=lambda r: r.channel)
def test_recorded_hello_messages_are_not_events(rec: Recorded) -> None:
    assert rec.channel == "__sentinel__:hello"
    assert not is_event_channel(rec.channel)
    with pytest.raises(EventParseError):
        parse_event(rec.channel, rec.payload)


# Events not produced by the recordings, payloads written from their sentinel.c format.
M = "@ mymaster 10.0.0.1 6379"
HAND_WRITTEN: list[tuple[str, str, dict[str, object]]] = [
    # sentinelEvent(LL_WARNING,"-failover-abort-not-elected",ri,"%@")
    ("-failover-abort-not-elected", "master mymaster 10.0.0.1 6379",
     {"instance_type": "master", "master_name": "mymaster", "master_address": "10.0.0.1:6379"}),
    # sentinelEvent(LL_WARNING,"-failover-abort-slave-timeout",ri,"%@")
    ("-failover-abort-slave-timeout", "master mymaster 10.0.0.1 6379",
     {"master_name": "mymaster", "instance_address": "10.0.0.1:6379"}),
    # sentinelEvent(LL_NOTICE,"-slave-reconf-sent-timeout",slave,"%@")
    ("-slave-reconf-sent-timeout", f"slave 10.0.0.2:6379 10.0.0.2 6379 {M}",
     {"instance_type": "slave", "instance_name": "10.0.0.2:6379", "master_name": "mymaster"}),
    # sentinelEvent(LL_NOTICE,"+reboot",ri,"%@")
    ("+reboot", f"slave 10.0.0.2:6379 10.0.0.2 6379 {M}",
     {"instance_type": "slave", "master_address": "10.0.0.1:6379"}),
    # sentinelEvent(LL_NOTICE,"+sentinel-invalid-addr",other,"%@")
    ("+sentinel-invalid-addr", f"sentinel {'a' * 40} 10.0.0.3 0 {M}",
     {"instance_type": "sentinel", "instance_address": "10.0.0.3:0"}),
    # sentinelEvent(LL_NOTICE,"+sentinel-address-switch",master,"%@ ip %s port %d for %s")
    ("+sentinel-address-switch",
     f"master mymaster 10.0.0.1 6379 ip 10.0.0.9 port 26379 for {'b' * 40}",
     {"instance_type": "master", "detail": f"ip 10.0.0.9 port 26379 for {'b' * 40}"}),
    # sentinelEvent(LL_NOTICE,"+sentinel-address-update",ri,"%@ %d additional matching instances")
    ("+sentinel-address-update",
     f"sentinel {'c' * 40} 10.0.0.3 26379 {M} 2 additional matching instances",
     {"instance_type": "sentinel", "master_name": "mymaster",
      "detail": "2 additional matching instances"}),
    # sentinelEvent(LL_WARNING,"-script-timeout",NULL,"%s %ld",sj->argv[0],(long)sj->pid)
    ("-script-timeout", "/etc/redis/notify.sh 4242",
     {"master_name": "", "instance_type": "", "detail": "/etc/redis/notify.sh 4242"}),
    # sentinelEvent(LL_WARNING,"-script-error",NULL,"%s %d %d",sj->argv[0],99,0): too many retries
    ("-script-error", "/etc/redis/notify.sh 99 0", {"master_name": ""}),
    # "+set" with a three-argument option: "%@ %s %s %s"
    ("+set", "master mymaster 10.0.0.1 6379 rename-command CONFIG XCONFIG",
     {"detail": "rename-command CONFIG XCONFIG"}),
    # +monitor "%@ quorum %d"
    ("+monitor", "master mymaster 10.0.0.1 6379 quorum 3", {"quorum": 3, "quorum_votes": None}),
    # IPv6: addresses unbracketed in the ip fields, the slave's name bracketed
    ("+sdown", "slave [::1]:6380 ::1 6380 @ mymaster ::1 6379",
     {"instance_name": "[::1]:6380", "instance_address": "::1:6380", "master_address": "::1:6379"}),
    ("+switch-master", "mymaster fe80::1 6379 fe80::2 6380",
     {"old_address": "fe80::1:6379", "new_address": "fe80::2:6380", "master_name": "mymaster"}),
    # announce-hostnames yes: host names in the ip fields
    ("+odown", "master mymaster redis-1.example 6379 #quorum 2/3",
     {"master_address": "redis-1.example:6379", "quorum_votes": 2, "quorum": 3}),
    ("+tilt", "#tilt mode entered", {"detail": "#tilt mode entered", "master_name": ""}),
]  # fmt: skip


@pytest.mark.parametrize(("channel", "payload", "expected"), HAND_WRITTEN, ids=lambda x: str(x))
def test_hand_written_sentinel_c_payloads(
    channel: str, payload: str, expected: dict[str, object]
) -> None:
    event = parse_event(channel, payload)
    assert event.known
    for field, value in expected.items():
        assert getattr(event, field) == value, field


MALFORMED: list[tuple[str, str]] = [
    ("+sdown", ""),
    ("+sdown", "master mymaster 10.0.0.1"),  # no port
    ("+sdown", "master mymaster 10.0.0.1 port"),
    ("+sdown", "master mymaster 10.0.0.1 65536"),
    ("+sdown", "replica 10.0.0.2:6379 10.0.0.2 6379 @ mymaster 10.0.0.1 6379"),  # unknown type
    ("+sdown", "slave 10.0.0.2:6379 10.0.0.2 6379"),  # a slave without its master
    ("+sdown", "slave 10.0.0.2:6379 10.0.0.2 6379 @ mymaster 10.0.0.1"),
    ("+sdown", "master mymaster 10.0.0.1 6379 @ other 10.0.0.2 6379"),  # a master with a master
    ("+sdown", "master  10.0.0.1 6379 x"),  # empty name
    ("+odown", "master mymaster 10.0.0.1 6379"),  # no quorum
    ("+odown", "master mymaster 10.0.0.1 6379 #quorum 2"),
    ("+monitor", "master mymaster 10.0.0.1 6379 quorum x"),
    ("+switch-master", "mymaster 10.0.0.1 6379 10.0.0.2"),
    ("+switch-master", "mymaster 10.0.0.1 6379 10.0.0.2 abc"),
    ("+new-epoch", "one"),
    ("+new-epoch", ""),
    ("+vote-for-leader", "abc"),
    ("+vote-for-leader", "abc -1"),
    ("-script-error", "/bin/notify x 1"),
    ("-script-timeout", "4242"),
    ("+sdown", "master mymaster 10.0.0.1 \uff16\uff13\uff17\uff19"),  # fullwidth digits
    ("__sentinel__:hello", "127.0.0.1,26379,abc,0,mymaster,127.0.0.1,6379,0"),
    ("", "x"),
    ("+", "x"),
    ("+bad name", "x"),
    ("+" + "x" * 200, "x"),
    ("+sdown", "master mymaster 10.0.0.1 6379 " + "x" * 5000),
]


@pytest.mark.parametrize(("channel", "payload"), MALFORMED)
def test_malformed_messages_raise_event_parse_error(channel: str, payload: str) -> None:
    with pytest.raises(EventParseError):
        parse_event(channel, payload)


def test_unknown_event_names_are_other_and_parsed_best_effort() -> None:
    ev = parse_event(
        "+brand-new-event", "slave 10.0.0.2:6379 10.0.0.2 6379 @ mymaster 10.0.0.1 6379"
    )
    assert not ev.known
    assert ev.label == OTHER
    assert ev.master_name == "mymaster"
    assert ev.instance_type == "slave"
    odd = parse_event("-weird", "anything at all")
    assert not odd.known
    assert odd.label == OTHER
    assert odd.master_name == ""
    assert odd.detail == "anything at all"


def test_log_only_events_are_not_known() -> None:
    assert not (LOG_ONLY_EVENTS & KNOWN_EVENTS)
    for name in LOG_ONLY_EVENTS:
        assert parse_event(name, "1234").label == OTHER


def test_known_events_catalogue_matches_the_redis_7_source() -> None:
    # the published sentinelEvent() names of sentinel.c 7.0.15 (LL_DEBUG ones excluded)
    assert len(KNOWN_EVENTS) == 44
    assert {"+sdown", "-sdown", "+odown", "-odown", "+switch-master", "+tilt", "-tilt"} <= (
        KNOWN_EVENTS
    )
    assert all(is_event_channel(name) for name in KNOWN_EVENTS)
    assert OTHER not in KNOWN_EVENTS


def test_is_event_channel() -> None:
    assert is_event_channel("+sdown")
    assert is_event_channel("-odown")
    assert not is_event_channel("__sentinel__:hello")
    assert not is_event_channel("__keyspace@0__:foo")
    assert not is_event_channel("")


# --- properties ----------------------------------------------------------------------------

channels = st.one_of(
    st.sampled_from(sorted(KNOWN_EVENTS | LOG_ONLY_EVENTS | {"__sentinel__:hello", "+x"})),
    st.text(max_size=80),
)
tokens = st.one_of(
    st.sampled_from(["master", "slave", "sentinel", "@", "mymaster", "::1", "6379", "#quorum",
                     "2/2", "quorum", "0", "99999", "-1", "", "10.0.0.1", "\uff11"]),
    st.text(max_size=12),
)  # fmt: skip
payloads = st.one_of(
    st.text(max_size=300),
    st.lists(tokens, max_size=12).map(" ".join),
)


@given(channel=channels, payload=payloads)
def test_parse_event_raises_nothing_but_event_parse_error(channel: str, payload: str) -> None:
    try:
        event = parse_event(channel, payload)
    except EventParseError:
        return
    assert isinstance(event, SentinelEvent)
    assert event.event == channel
    assert event.payload == payload
    assert event.known == (channel in KNOWN_EVENTS)
    assert event.label in KNOWN_EVENTS | {OTHER}
    assert event.instance_type in INSTANCE_TYPES | {""}
    for address in (event.instance_address, event.master_address):
        if address:
            assert 0 <= int(address.rsplit(":", 1)[1]) <= 65535


@given(
    itype=st.sampled_from(sorted(INSTANCE_TYPES)),
    name=st.text(st.characters(blacklist_characters=" "), min_size=1, max_size=20),
    host=st.text(st.characters(blacklist_characters=" "), min_size=1, max_size=20),
    port=st.integers(0, 65535),
    master=st.text(st.characters(blacklist_characters=" "), min_size=1, max_size=20),
    mport=st.integers(0, 65535),
)
def test_any_well_formed_instance_payload_round_trips(
    itype: str, name: str, host: str, port: int, master: str, mport: int
) -> None:
    suffix = "" if itype == "master" else f" @ {master} 10.9.8.7 {mport}"
    payload = f"{itype} {name} {host} {port}{suffix}"
    event = parse_event("+sdown", payload)
    assert event.instance_type == itype
    assert event.instance_name == name
    assert event.instance_address == f"{host}:{port}"
    if itype == "master":
        assert (event.master_name, event.master_address) == (name, f"{host}:{port}")
    else:
        assert (event.master_name, event.master_address) == (master, f"10.9.8.7:{mport}")


def test_every_known_event_has_its_own_parser() -> None:
    from redis_ha_exporter.parse import events

    assert set(events._PARSERS) == KNOWN_EVENTS
