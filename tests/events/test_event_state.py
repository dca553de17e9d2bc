"""Tests of EventState: counting, failover tracking, reconciliation, the ring, the snapshot."""

from __future__ import annotations

import gc
import math
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redis_ha_exporter.events.state import (
    DEFAULT_FAILOVER_BUCKETS,
    DurationHistogram,
    EventState,
    MasterView,
)
from redis_ha_exporter.parse.events import (
    KNOWN_EVENTS,
    OTHER,
    EventParseError,
    SentinelEvent,
    is_event_channel,
    parse_event,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "events"
T0 = 1_700_000_000.0


def stream(name: str, source: str) -> list[tuple[float, str, str]]:
    """(seconds, channel, payload) published by one Sentinel in a recorded scenario."""
    out = []
    for line in (FIXTURES / f"{name}.txt").read_text(encoding="utf-8").split("\n"):
        if not line or line.startswith("#"):
            continue
        seconds, src, channel, payload = line.split("\t", 3)
        if src == source:
            out.append((float(seconds), channel, payload))
    return out


def replay(state: EventState, name: str, source: str, offset: float = T0) -> int:
    """Feed a recorded stream the way the subscriber does; return the number of events."""
    n = 0
    for seconds, channel, payload in stream(name, source):
        if not is_event_channel(channel):
            continue
        try:
            event = parse_event(channel, payload)
        except EventParseError:
            state.record_parse_error()
            continue
        state.apply(event, offset + seconds)
        n += 1
    return n


def ev(channel: str, payload: str) -> SentinelEvent:
    return parse_event(channel, payload)


A, B, C = "10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379"


def switch(old: str, new: str, master: str = "mymaster") -> SentinelEvent:
    oh, op = old.rsplit(":", 1)
    nh, np = new.rsplit(":", 1)
    return ev("+switch-master", f"{master} {oh} {op} {nh} {np}")


def on_master(channel: str, master: str = "mymaster", addr: str = A) -> SentinelEvent:
    host, port = addr.rsplit(":", 1)
    return ev(channel, f"master {master} {host} {port}")


# --- recorded streams -------------------------------------------------------------------------

SCENARIOS = sorted(p.stem for p in FIXTURES.glob("*.txt"))
STREAMS = [(name, src) for name in SCENARIOS for src in ("s0", "s1", "s2") if stream(name, src)]


@pytest.mark.parametrize(("name", "source"), STREAMS)
def test_event_counts_equal_an_independent_count_of_the_recording(name: str, source: str) -> None:
    state = EventState(ring_size=1000)
    replay(state, name, source)
    expected: Counter[tuple[str, str]] = Counter()
    for _, channel, _payload in stream(name, source):
        # the recordings monitor only "mymaster"; these payloads name no master
        master = "" if channel in {"+new-epoch", "+vote-for-leader", "+tilt", "-tilt",
                                   "-script-error"} else "mymaster"  # fmt: skip
        expected[(master, channel if channel in KNOWN_EVENTS else OTHER)] += 1
        if channel == "-monitor":  # the master is forgotten with its counters
            expected = Counter({k: n for k, n in expected.items() if k[0] != master})
    assert dict(state.snapshot().events) == dict(expected)
    assert state.snapshot().parse_errors == 0


@pytest.mark.parametrize("source", ["s0", "s1", "s2"])
@pytest.mark.parametrize("name", ["failover_command", "kill_master"])
def test_a_recorded_failover_is_counted_once_per_sentinel(name: str, source: str) -> None:
    state = EventState()
    replay(state, name, source)
    snap = state.snapshot()
    assert snap.failovers == {"mymaster": 1}
    switched = [s for s, ch, _ in stream(name, source) if ch == "+switch-master"]
    assert snap.last_failover == {"mymaster": T0 + switched[0]}
    assert snap.failovers_in_progress == {}


@pytest.mark.parametrize("name", ["failover_command", "kill_master"])
def test_the_leader_measures_the_failover_duration(name: str) -> None:
    # the leader is the Sentinel that published +try-failover and +failover-end
    leader = next(
        s for s in ("s0", "s1", "s2") if any(ch == "+failover-end" for _, ch, _ in stream(name, s))
    )
    events = stream(name, leader)
    start = next(t for t, ch, _ in events if ch == "+try-failover")
    end = next(t for t, ch, _ in events if ch == "+failover-end")
    state = EventState()
    replay(state, name, leader)
    hist = state.snapshot().durations["mymaster"]
    assert hist.count == 1
    assert hist.sum == pytest.approx(end - start)
    first_bucket = next(le for le in DEFAULT_FAILOVER_BUCKETS if end - start <= le)
    assert dict(hist.buckets)[first_bucket] == 1
    assert all(n == 0 for le, n in hist.buckets if le < first_bucket)
    # the other Sentinels saw no start: a failover counted, no duration
    for other in {"s0", "s1", "s2"} - {leader}:
        observer = EventState()
        replay(observer, name, other)
        assert observer.snapshot().failovers == {"mymaster": 1}
        assert "mymaster" not in observer.snapshot().durations


def test_recorded_abort_counts_no_failover_and_clears_the_tracker() -> None:
    events = stream("no_good_slave", "s0")
    assert any(ch == "-failover-abort-no-good-slave" for _, ch, _ in events)
    state = EventState()
    for seconds, channel, payload in events:
        state.apply(parse_event(channel, payload), T0 + seconds)
        if channel == "+try-failover":
            assert state.snapshot().failovers_in_progress == {"mymaster": T0 + seconds}
    snap = state.snapshot()
    assert snap.failovers == {}
    assert snap.failovers_in_progress == {}
    assert snap.durations == {}


# --- failover tracking by hand ----------------------------------------------------------------


def test_first_failover_state_starts_the_tracker_when_try_failover_was_missed() -> None:
    state = EventState()
    state.apply(on_master("+failover-state-select-slave"), 100.0)
    state.apply(ev("+failover-state-send-slaveof-noone",
                   f"slave {B} 10.0.0.2 6379 @ mymaster 10.0.0.1 6379"), 101.0)  # fmt: skip
    assert state.snapshot().failovers_in_progress == {"mymaster": 100.0}
    state.apply(switch(A, B), 107.0)
    hist = state.snapshot().durations["mymaster"]
    assert (hist.count, hist.sum) == (1, 7.0)


def test_try_failover_restarts_the_tracker() -> None:
    state = EventState()
    state.apply(on_master("+try-failover"), 100.0)
    state.apply(on_master("+try-failover"), 130.0)
    state.apply(on_master("+failover-state-select-slave"), 131.0)
    state.apply(on_master("+failover-end"), 140.0)
    assert state.snapshot().durations["mymaster"].sum == 10.0


def test_failover_end_then_switch_master_observes_one_duration_and_counts_one_failover() -> None:
    state = EventState()
    state.apply(on_master("+try-failover"), 100.0)
    state.apply(on_master("+failover-end-for-timeout"), 105.0)  # does not abort
    state.apply(on_master("+failover-end"), 105.0)
    state.apply(switch(A, B), 105.1)
    snap = state.snapshot()
    assert snap.failovers == {"mymaster": 1}
    assert snap.durations["mymaster"].count == 1
    assert snap.durations["mymaster"].sum == 5.0
    assert snap.last_failover == {"mymaster": 105.1}


@pytest.mark.parametrize(
    "abort",
    ["-failover-abort-not-elected", "-failover-abort-no-good-slave",
     "-failover-abort-slave-timeout"],
)  # fmt: skip
def test_abort_clears_the_tracker_without_counting(abort: str) -> None:
    state = EventState()
    state.apply(on_master("+try-failover"), 100.0)
    state.apply(on_master(abort), 110.0)
    state.apply(on_master("+failover-end"), 120.0)  # no start any more: nothing observed
    snap = state.snapshot()
    assert snap.failovers == {}
    assert snap.durations == {}
    assert snap.failovers_in_progress == {}


def test_trackers_are_per_master() -> None:
    state = EventState()
    state.apply(on_master("+try-failover", "m1"), 100.0)
    state.apply(on_master("+try-failover", "m2"), 110.0)
    state.apply(on_master("-failover-abort-not-elected", "m1"), 111.0)
    state.apply(switch(A, B, "m2"), 112.0)
    snap = state.snapshot()
    assert snap.failovers == {"m2": 1}
    assert snap.durations["m2"].sum == 2.0
    assert "m1" not in snap.durations


def test_disconnect_drops_failover_starts() -> None:
    state = EventState()
    state.mark_connected(99.0)
    state.apply(on_master("+try-failover"), 100.0)
    state.mark_disconnected(101.0)
    state.mark_connected(200.0)
    state.apply(switch(A, B), 201.0)
    snap = state.snapshot()
    assert snap.failovers == {"mymaster": 1}
    assert snap.durations == {}


def test_histogram_buckets_are_cumulative_and_end_with_inf() -> None:
    state = EventState(buckets=(1.0, 5.0, 10.0))
    for start, end in [(0.0, 0.5), (10.0, 13.0), (20.0, 25.0), (30.0, 100.0)]:
        state.apply(on_master("+try-failover"), start)
        state.apply(on_master("+failover-end"), end)
    hist = state.snapshot().durations["mymaster"]
    assert hist == DurationHistogram(
        buckets=((1.0, 1), (5.0, 3), (10.0, 3), (math.inf, 4)), sum=78.5, count=4
    )


def test_clock_going_backwards_observes_zero_not_a_negative_duration() -> None:
    state = EventState()
    state.apply(on_master("+try-failover"), 100.0)
    state.apply(on_master("+failover-end"), 90.0)
    hist = state.snapshot().durations["mymaster"]
    assert (hist.count, hist.sum, hist.buckets[0][1]) == (1, 0.0, 1)


# --- reconcile ----------------------------------------------------------------------------------


def at(address: str, epoch: int, in_progress: bool = False) -> MasterView:
    return MasterView(address, epoch, in_progress)


def test_first_reconcile_only_sets_the_baseline() -> None:
    state = EventState()
    assert state.reconcile({"mymaster": at(A, 5)}, 100.0) == []
    assert state.snapshot().failovers == {}


def test_reconcile_counts_a_missed_failover_exactly_once() -> None:
    state = EventState()
    state.mark_connected(0.0)
    state.reconcile({"mymaster": at(A, 1), "other": at(C, 3)}, 10.0)
    state.mark_disconnected(20.0)
    state.mark_connected(30.0)
    assert state.reconcile({"mymaster": at(B, 2), "other": at(C, 3)}, 31.0) == ["mymaster"]
    assert state.reconcile({"mymaster": at(B, 2), "other": at(C, 3)}, 40.0) == []
    snap = state.snapshot()
    assert snap.failovers == {"mymaster": 1}
    assert snap.reconciled_failovers == {"mymaster": 1}
    assert snap.last_failover == {"mymaster": 31.0}
    assert snap.events == {}  # no event was received
    newest = state.recent()[0]
    assert newest["reconciled"] is True
    assert newest["event"] == "+switch-master"
    assert (newest["master_name"], newest["old_address"], newest["new_address"]) == (
        "mymaster", A, B,
    )  # fmt: skip
    assert newest["time"] == 31.0


def test_two_failovers_back_to_the_old_address_in_one_gap_count_at_least_one() -> None:
    state = EventState()
    state.mark_connected(0.0)
    state.reconcile({"mymaster": at(A, 1)}, 10.0)
    state.mark_disconnected(20.0)  # A -> B (epoch 2), B -> A (epoch 3) while away
    state.mark_connected(30.0)
    assert state.reconcile({"mymaster": at(A, 3)}, 31.0) == ["mymaster"]
    assert state.snapshot().failovers == {"mymaster": 1}
    newest = state.recent()[0]
    assert (newest["reconciled"], newest["old_address"], newest["new_address"]) == (True, A, A)
    state.apply(switch(B, A), 31.5)  # the last one was in flight: it happened, it counts
    assert state.snapshot().failovers == {"mymaster": 2}


def test_reconcile_does_not_count_a_failover_already_seen_by_switch_master() -> None:
    state = EventState()
    state.reconcile({"mymaster": at(A, 1)}, 10.0)
    state.apply(switch(A, B), 20.0)
    assert state.needs_rebaseline
    state.rebaseline({"mymaster": at(B, 2)})
    assert not state.needs_rebaseline
    state.mark_disconnected(30.0)
    state.mark_connected(40.0)
    assert state.reconcile({"mymaster": at(B, 2)}, 41.0) == []
    assert state.snapshot().failovers == {"mymaster": 1}


def test_a_gap_after_a_live_failover_is_judged_by_the_epoch_read_after_it() -> None:
    state = EventState()
    state.reconcile({"mymaster": at(A, 1)}, 10.0)
    state.apply(switch(A, B), 20.0)  # live: counted, epoch 2 read just after
    state.rebaseline({"mymaster": at(B, 2)})
    state.mark_disconnected(30.0)  # B -> A -> B while away: the address is the same again
    state.mark_connected(40.0)
    assert state.reconcile({"mymaster": at(B, 4)}, 41.0) == ["mymaster"]
    assert state.snapshot().failovers == {"mymaster": 2}


def test_a_rebaseline_that_reads_a_later_failover_counts_it_once_as_an_event() -> None:
    state = EventState()
    state.reconcile({"mymaster": at(A, 1)}, 10.0)
    state.apply(switch(A, B), 20.0)
    state.rebaseline({"mymaster": at(A, 3)})  # B -> A done, its event not read yet
    state.apply(switch(B, A), 20.5)
    state.rebaseline({"mymaster": at(A, 3)})
    state.mark_disconnected(30.0)
    state.mark_connected(40.0)
    assert state.reconcile({"mymaster": at(A, 3)}, 41.0) == []
    assert state.snapshot().failovers == {"mymaster": 2}


def test_switch_master_in_flight_during_reconcile_is_not_counted_twice() -> None:
    state = EventState()
    state.reconcile({"mymaster": at(A, 1)}, 10.0)
    state.mark_disconnected(20.0)
    state.mark_connected(30.0)
    assert state.reconcile({"mymaster": at(B, 2)}, 31.0) == ["mymaster"]
    state.apply(switch(A, B), 31.01)  # published before SENTINEL MASTERS was read
    assert state.snapshot().failovers == {"mymaster": 1}
    state.apply(switch(B, C), 50.0)  # the next failover counts again
    assert state.snapshot().failovers == {"mymaster": 2}
    events = state.snapshot().events
    assert events[("mymaster", "+switch-master")] == 2  # both events still counted as events


def test_reconcile_needs_a_grown_epoch_and_forgets_removed_masters() -> None:
    state = EventState()
    state.reconcile({"mymaster": at(A, 3)}, 10.0)
    assert state.reconcile({"mymaster": at(B, 3)}, 20.0) == []  # same epoch: not a failover
    assert state.reconcile({}, 30.0) == []  # master removed: baseline forgotten
    assert state.reconcile({"mymaster": at(C, 9)}, 40.0) == []  # re-added: baseline again
    assert state.snapshot().failovers == {}


def test_switch_master_before_any_reconcile_gives_no_epoch_so_no_reconciled_count() -> None:
    state = EventState()
    state.apply(switch(A, B), 10.0)
    assert state.reconcile({"mymaster": at(C, 7)}, 20.0) == []
    assert state.reconcile({"mymaster": at(A, 8)}, 30.0) == ["mymaster"]
    assert state.snapshot().failovers == {"mymaster": 2}


def test_monitor_removal_forgets_the_master_and_frees_its_place() -> None:
    state = EventState(max_masters=1)
    state.reconcile({"mymaster": at(A, 1)}, 10.0)
    state.apply(switch(A, B), 10.5)
    state.apply(on_master("+try-failover"), 10.7)
    state.apply(on_master("-monitor"), 11.0)
    snap = state.snapshot()
    assert (snap.events, snap.failovers, snap.last_failover, snap.failovers_in_progress) == (
        {}, {}, {}, {},
    )  # fmt: skip
    assert not state.needs_rebaseline
    assert state.recent()[0]["event"] == "-monitor"  # /events still tells
    state.apply(on_master("+sdown", "renamed"), 12.0)  # the one place is free again
    assert state.snapshot().events == {("renamed", "+sdown"): 1}
    assert state.reconcile({"renamed": at(B, 2)}, 13.0) == []  # a new baseline, not a failover


def test_masters_no_longer_listed_are_forgotten_at_reconcile() -> None:
    state = EventState(max_masters=2)
    for name in ("m1", "m2"):
        state.apply(on_master("+sdown", name), 1.0)
    state.reconcile({"m2": at(A, 1)}, 2.0)
    state.apply(on_master("+sdown", "m3"), 3.0)
    assert state.snapshot().events == {("m2", "+sdown"): 1, ("m3", "+sdown"): 1}


# --- failover in progress ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "end",
    ["+failover-end", "-failover-abort-not-elected", "+reset-master", "-monitor"],
)
def test_a_failover_is_in_progress_from_try_failover_until_it_ends(end: str) -> None:
    state = EventState()
    state.apply(on_master("+try-failover"), 100.0)
    assert state.snapshot().failovers_in_progress == {"mymaster": 100.0}
    state.apply(on_master(end), 150.0)
    assert state.snapshot().failovers_in_progress == {}


def test_a_failover_under_way_at_reconnect_starts_then_and_is_not_timed() -> None:
    state = EventState()
    state.mark_connected(0.0)
    state.reconcile({"mymaster": at(A, 1)}, 1.0)
    state.apply(on_master("+try-failover"), 100.0)
    state.mark_disconnected(101.0)
    state.mark_connected(130.0)
    state.reconcile({"mymaster": at(A, 1, in_progress=True)}, 131.0)
    assert state.snapshot().failovers_in_progress == {"mymaster": 131.0}  # at least this old
    state.apply(on_master("+failover-state-select-slave"), 132.0)  # keeps the start
    assert state.snapshot().failovers_in_progress == {"mymaster": 131.0}
    state.apply(on_master("+failover-end"), 140.0)
    state.apply(switch(A, B), 140.1)
    snap = state.snapshot()
    assert snap.failovers_in_progress == {}
    assert snap.durations == {}  # its start is not known: no duration observed
    assert snap.failovers == {"mymaster": 1}


def test_reconcile_clears_a_failover_that_ended_while_away() -> None:
    state = EventState()
    state.mark_connected(0.0)
    state.reconcile({"mymaster": at(A, 1, in_progress=True)}, 1.0)
    state.mark_disconnected(2.0)
    state.mark_connected(3.0)
    state.reconcile({"mymaster": at(A, 1)}, 4.0)  # aborted while away
    assert state.snapshot().failovers_in_progress == {}


# --- connection, ring, snapshot, bounds ----------------------------------------------------------


def test_stream_up_and_reconnects() -> None:
    state = EventState()
    snap = state.snapshot()
    assert (snap.stream_up, snap.reconnects) == (False, 0)
    state.mark_connected(1.0)
    assert (state.snapshot().stream_up, state.snapshot().reconnects) == (True, 0)
    state.mark_disconnected(2.0)
    assert (state.snapshot().stream_up, state.snapshot().reconnects) == (False, 0)
    state.mark_connected(3.0)
    state.mark_connected(4.0)  # a loss that went unnoticed is still a reconnect
    assert (state.snapshot().stream_up, state.snapshot().reconnects) == (True, 2)
    assert state.stream_up


def test_parse_errors_are_counted() -> None:
    state = EventState()
    state.record_parse_error()
    state.record_parse_error()
    assert state.snapshot().parse_errors == 2


def test_ring_is_bounded_and_newest_first() -> None:
    state = EventState(ring_size=3)
    for i in range(5):
        state.apply(ev("+new-epoch", str(i)), float(i))
    recent = state.recent()
    assert [r["payload"] for r in recent] == ["4", "3", "2"]
    assert [r["time"] for r in recent] == [4.0, 3.0, 2.0]
    assert all(r["reconciled"] is False for r in recent)
    assert state.snapshot().events == {("", "+new-epoch"): 5}  # counters are not bounded by N


def test_the_ring_is_left_alone_by_the_garbage_collector() -> None:
    """A flood fills the ring with up to ``--events.ring-size`` events; were they tracked, every
    full collection would walk them all, a pause of tens of milliseconds in the event stream."""
    state = EventState(ring_size=10)
    for i in range(10):
        state.apply(ev("+sdown", f"master m{i} 10.0.0.1 6379"), float(i))
    gc.collect()
    gc.collect()  # an entry is let go once what it holds was
    assert not any(gc.is_tracked(entry) for entry in state._ring)
    assert [r["master_name"] for r in state.recent()][:2] == ["m9", "m8"]


def test_recent_entries_are_json_ready_copies() -> None:
    import json

    state = EventState()
    state.apply(ev("+sdown", "slave 10.0.0.2:6379 10.0.0.2 6379 @ mymaster 10.0.0.1 6379"), 5.0)
    entry = state.recent()[0]
    assert json.loads(json.dumps(entry)) == entry
    assert entry["instance_type"] == "slave"
    assert entry["instance_address"] == "10.0.0.2:6379"
    assert entry["master_name"] == "mymaster"
    entry["event"] = "changed"
    assert state.recent()[0]["event"] == "+sdown"


def test_snapshot_is_cached_immutable_and_not_affected_by_later_changes() -> None:
    state = EventState()
    state.apply(on_master("+sdown"), 1.0)
    first = state.snapshot()
    assert state.snapshot() is first
    state.apply(on_master("-sdown"), 2.0)
    second = state.snapshot()
    assert second is not first
    assert first.events == {("mymaster", "+sdown"): 1}
    assert second.events == {("mymaster", "+sdown"): 1, ("mymaster", "-sdown"): 1}
    with pytest.raises(TypeError):
        first.events[("x", "y")] = 1  # type: ignore[index]


def test_unknown_events_count_as_other_and_only_name_known_masters() -> None:
    state = EventState()
    state.apply(ev("+future-event", "master ghost 10.0.0.9 6379"), 1.0)
    state.apply(on_master("+sdown"), 2.0)
    state.apply(ev("+future-event", "master mymaster 10.0.0.1 6379"), 3.0)
    assert state.snapshot().events == {
        ("", OTHER): 1,
        ("mymaster", "+sdown"): 1,
        ("mymaster", OTHER): 1,
    }


def test_masters_beyond_the_limit_are_counted_without_a_master_name() -> None:
    state = EventState(max_masters=2)
    for name in ("m1", "m2", "m3"):
        state.apply(on_master("+sdown", name), 1.0)
    state.apply(switch(A, B, "m3"), 2.0)
    snap = state.snapshot()
    assert snap.events == {("m1", "+sdown"): 1, ("m2", "+sdown"): 1, ("", "+sdown"): 1,
                           ("", "+switch-master"): 1}  # fmt: skip
    assert snap.failovers == {}


@pytest.mark.parametrize(
    "kwargs",
    [{"ring_size": 0}, {"max_masters": 0}, {"buckets": ()}, {"buckets": (1.0, 1.0)},
     {"buckets": (1.0, math.inf)}],
)  # fmt: skip
def test_bad_construction_arguments_are_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must"):
        EventState(**kwargs)  # type: ignore[arg-type]


# --- properties -------------------------------------------------------------------------------

RECORDED = [
    (channel, payload)
    for name in SCENARIOS
    for src in ("s0", "s1", "s2")
    for _, channel, payload in stream(name, src)
]
messages = st.one_of(
    st.sampled_from(RECORDED),
    st.tuples(st.sampled_from(sorted(KNOWN_EVENTS)), st.text(max_size=60)),
    st.tuples(st.text(max_size=20), st.text(max_size=60)),
)
times = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False)
masters_maps = st.dictionaries(
    st.sampled_from(["mymaster", "m2"]),
    st.builds(MasterView, st.sampled_from([A, B, C]), st.integers(0, 5), st.booleans()),
)


@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("msg"), messages, times),
            st.tuples(st.just("reconcile"), masters_maps, times),
            st.tuples(st.just("connected"), st.none(), times),
            st.tuples(st.just("disconnected"), st.none(), times),
            st.tuples(st.just("rebaseline"), masters_maps, times),
        ),
        max_size=60,
    ),
    ring=st.integers(1, 10),
)
def test_apply_never_raises_and_invariants_hold(
    steps: list[tuple[str, object, float]], ring: int
) -> None:
    state = EventState(ring_size=ring)
    applied = errors = 0
    forgot = False
    for kind, arg, now in steps:
        if kind == "msg":
            assert isinstance(arg, tuple)
            channel, payload = arg
            if not is_event_channel(channel):
                continue
            try:
                event = parse_event(channel, payload)
            except EventParseError:
                state.record_parse_error()
                errors += 1
                continue
            state.apply(event, now)
            applied += 1
            forgot = forgot or event.event == "-monitor"
        elif kind == "reconcile":
            assert isinstance(arg, dict)
            forgot = True
            assert set(state.reconcile(arg, now)) <= set(arg)
            assert {m for m, _ in state.snapshot().events} <= {*arg, ""}
        elif kind == "rebaseline":
            assert isinstance(arg, dict)
            state.rebaseline(arg)
            assert not state.needs_rebaseline
        elif kind == "connected":
            state.mark_connected(now)
        else:
            state.mark_disconnected(now)
    snap = state.snapshot()
    if forgot:  # a -monitor or a reconcile forgets masters, counters and all
        assert sum(snap.events.values()) <= applied
    else:
        assert sum(snap.events.values()) == applied
    assert snap.parse_errors == errors
    assert len(state.recent()) <= ring
    assert all(label in KNOWN_EVENTS | {OTHER} for _, label in snap.events)
    for master, hist in snap.durations.items():
        assert hist.count == hist.buckets[-1][1]
        assert hist.sum >= 0
        assert any(m == master for m, _ in snap.events)
    for master, n in snap.failovers.items():
        assert n >= snap.reconciled_failovers.get(master, 0)
        assert master in snap.last_failover


@pytest.mark.parametrize(("name", "source"), [("kill_master", "s1"), ("failover_command", "s2")])
def test_a_batch_counts_and_tracks_as_its_events_one_by_one(name: str, source: str) -> None:
    """``apply_all`` is ``apply`` for each event in turn at the batch's time: counters, the
    failover tracker and the ring come out the same, whatever the cut into batches."""
    events = [
        parse_event(channel, payload)
        for _, channel, payload in stream(name, source)
        if is_event_channel(channel)
    ]
    one_by_one, batched = EventState(ring_size=64), EventState(ring_size=64)
    for i, start in enumerate(range(0, len(events), 3)):
        batch = events[start : start + 3]
        for event in batch:
            one_by_one.apply(event, T0 + i)
        batched.apply_all(batch, T0 + i)
    assert batched.snapshot() == one_by_one.snapshot()
    assert batched.recent() == one_by_one.recent()
    assert sum(batched.snapshot().failovers.values()) == 1


def test_a_batch_is_one_change_with_one_time() -> None:
    state = EventState()
    before = state.snapshot()
    state.apply_all([ev("+sdown", "master m1 10.0.0.1 6379"), ev("+new-epoch", "7")], 5.0)
    after = state.snapshot()
    assert after is not before
    assert after.events == {("m1", "+sdown"): 1, ("", "+new-epoch"): 1}
    assert [r["time"] for r in state.recent()] == [5.0, 5.0]
    state.apply_all([], 6.0)
    assert state.snapshot().events == after.events
