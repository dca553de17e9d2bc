"""End to end: the Sentinel event stream against real Sentinels, checked by an independent client.

Every test runs the exporter as a real process watching Sentinels of a real topology, and
compares ``redis_sentinel_events_total`` with what a plain redis-py ``PSUBSCRIBE *`` client
(counting by channel name only, not through our parser) saw on the same Sentinel over the same
window: baseline scrape at rest, fault, wait until everything settled and went quiet, final
scrape, exact comparison of the deltas.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest
import redis

from harness.exporter import ExporterProcess, Samples, run_exporter
from harness.process import HOST, wait_for
from harness.topology import Node, Topology
from support import TcpProxy

pytestmark = pytest.mark.e2e

GROUP = "mymaster"
QUIET = 3.0  # seconds without any event on any independent subscriber = settled


class ChannelCounter:
    """An independent ``PSUBSCRIBE *`` client on one Sentinel, in a thread.

    Counts messages by channel name only (channels starting with ``+`` or ``-`` are events;
    ``__sentinel__:hello`` and the like are ignored) and remembers when the last event came.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.counts: Counter[str] = Counter()
        self.last_event = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(10), f"independent subscriber on {self.port} did not subscribe"

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        try:
            client = redis.Redis(host=HOST, port=self.port, protocol=2, decode_responses=True)
            with client, client.pubsub() as pubsub:  # type: ignore[no-untyped-call]
                pubsub.psubscribe("*")
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=0.2)
                    if message is None:
                        continue
                    if message["type"] == "psubscribe":
                        self._ready.set()
                        continue
                    channel = str(message["channel"])
                    if message["type"] == "pmessage" and channel[:1] in ("+", "-"):
                        with self._lock:
                            self.counts[channel] += 1
                            self.last_event = time.monotonic()
        except BaseException as exc:  # surfaced by snapshot()
            self._error = exc
            self._ready.set()

    def snapshot(self) -> dict[str, int]:
        assert self._error is None, f"independent subscriber failed: {self._error!r}"
        with self._lock:
            return dict(self.counts)

    def quiet_for(self) -> float:
        with self._lock:
            return time.monotonic() - self.last_event


@pytest.fixture
def topo(tmp_path: Path) -> Iterator[Topology]:
    with Topology(tmp_path / "topo", groups=(GROUP,)) as topology:
        yield topology


@pytest.fixture
def counters(topo: Topology) -> Iterator[dict[str, ChannelCounter]]:
    """One independent subscriber per Sentinel, keyed by the Sentinel's addr."""
    started: dict[str, ChannelCounter] = {}
    try:
        for sentinel in topo.sentinels:
            counter = ChannelCounter(sentinel.port)
            counter.start()
            started[sentinel.addr] = counter
        yield started
    finally:
        for counter in started.values():
            counter.stop()


def exporter_args(addrs: Sequence[str], *extra: str) -> list[str]:
    return [*(a for u in addrs for a in ("--sentinel.addr", u)), "--redis.addr=", *extra]


def stream_up(exporter: ExporterProcess, addr: str) -> float:
    return exporter.scrape().value("redis_sentinel_event_stream_up", addr=addr)


def wait_streams_up(exporter: ExporterProcess, addrs: Sequence[str]) -> None:
    wait_for(lambda: all(stream_up(exporter, a) == 1 for a in addrs), timeout=20)


def exporter_events(samples: Samples, addr: str) -> dict[str, float]:
    """``redis_sentinel_events_total`` of one Sentinel by event, summed over master_name."""
    out: dict[str, float] = {}
    for labels, value in samples.find("redis_sentinel_events_total", addr=addr):
        out[labels["event"]] = out.get(labels["event"], 0.0) + value
    return out


def delta(after: Mapping[str, float], before: Mapping[str, float]) -> dict[str, int]:
    diff = {k: int(v - before.get(k, 0.0)) for k, v in after.items()}
    return {k: v for k, v in diff.items() if v}


def wait_quiet(counters: dict[str, ChannelCounter], seconds: float = QUIET) -> None:
    wait_for(lambda: all(c.quiet_for() >= seconds for c in counters.values()), timeout=60)


def failovers(samples: Samples, addr: str, group: str = GROUP) -> float:
    return samples.value("redis_sentinel_failovers_total", addr=addr, master_name=group)


def compare_window(
    exporter: ExporterProcess,
    counters: dict[str, ChannelCounter],
    baseline: tuple[Samples, dict[str, dict[str, int]]],
) -> tuple[Samples, dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """Final scrape once the independent counts are stable across it; both sides' deltas.

    Retries (briefly) only when an event arrived on an independent subscriber during the final
    scrape, so the two sides describe the same window; a lasting difference still fails.
    """
    before_samples, before_counts = baseline
    for _ in range(20):
        first = {addr: c.snapshot() for addr, c in counters.items()}
        samples = exporter.scrape()
        second = {addr: c.snapshot() for addr, c in counters.items()}
        if first == second:
            break
        time.sleep(0.5)
    else:
        raise AssertionError("the event stream never went quiet")
    ours = {
        addr: delta(exporter_events(samples, addr), exporter_events(before_samples, addr))
        for addr in counters
    }
    theirs = {addr: delta(second[addr], before_counts[addr]) for addr in counters}
    return samples, ours, theirs


def take_baseline(
    exporter: ExporterProcess, counters: dict[str, ChannelCounter]
) -> tuple[Samples, dict[str, dict[str, int]]]:
    """At rest: nothing in flight on any Sentinel, then a scrape and the independent counts."""
    wait_quiet(counters, 1.5)
    counts = {addr: c.snapshot() for addr, c in counters.items()}
    samples = exporter.scrape()
    assert counts == {addr: c.snapshot() for addr, c in counters.items()}, "not at rest"
    return samples, counts


def master_node(topo: Topology, group: str = GROUP) -> Node:
    return topo.master_of_group(group)


@pytest.mark.parametrize("trigger", ["sentinel-failover", "kill-9"])
def test_failover_counted_once_per_sentinel_and_events_match_an_independent_subscriber(
    trigger: str, topo: Topology, counters: dict[str, ChannelCounter], tmp_path: Path
) -> None:
    addrs = [s.addr for s in topo.sentinels]
    with run_exporter(exporter_args([s.uri for s in topo.sentinels]), tmp_path) as exporter:
        wait_streams_up(exporter, addrs)
        baseline = take_baseline(exporter, counters)
        old = master_node(topo)
        if trigger == "sentinel-failover":
            topo.sentinel_failover(GROUP)
            replicas = 2  # the old master comes back as a replica
        else:
            topo.kill(old, signal.SIGKILL)
            topo.wait_new_master(GROUP, old.addr)
            replicas = 1
        topo.wait_ready(60, replicas=replicas)
        wait_quiet(counters)
        samples, ours, theirs = compare_window(exporter, counters, baseline)
        print(f"{trigger}: events per Sentinel: {theirs}")
        before = baseline[0]
        for addr in addrs:
            assert theirs[addr].get("+switch-master") == 1, (addr, theirs[addr])
            assert failovers(samples, addr) - failovers(before, addr) == 1, addr
            assert ours[addr] == theirs[addr], addr
            assert (
                samples.value("redis_sentinel_event_parse_errors_total", addr=addr)
                == before.value("redis_sentinel_event_parse_errors_total", addr=addr)
                == 0
            )
            assert samples.value("redis_sentinel_event_stream_reconnects_total", addr=addr) == 0
        # The leader (the one Sentinel publishing +failover-end) observes one duration; another
        # Sentinel only if it had started a failover of its own (+try-failover, lost the vote).
        leaders = [a for a in addrs if theirs[a].get("+failover-end")]
        assert len(leaders) == 1, theirs
        for addr in addrs:
            observed = samples.value(
                "redis_sentinel_failover_duration_seconds_count", addr=addr, master_name=GROUP
            )
            if addr in leaders:
                assert observed == 1, addr
            else:
                assert observed <= min(1, theirs[addr].get("+try-failover", 0)), addr
        status, body = exporter.get("/events?limit=1000")
        assert status == 200
        switches = [e for e in json.loads(body)["events"] if e["event"] == "+switch-master"]
        assert sorted(e["sentinel"] for e in switches) == sorted(addrs)
        assert not any(e["reconciled"] for e in switches)


def test_an_sdown_shorter_than_a_scrape_interval_is_counted(
    topo: Topology, counters: dict[str, ChannelCounter], tmp_path: Path
) -> None:
    addrs = [s.addr for s in topo.sentinels]
    replica = topo.group_members(GROUP)[1]
    with run_exporter(exporter_args([s.uri for s in topo.sentinels]), tmp_path) as exporter:
        wait_streams_up(exporter, addrs)
        baseline = take_baseline(exporter, counters)
        topo.kill(replica, signal.SIGSTOP)
        try:
            # sdown after down-after-milliseconds, for about 1.5 s; no scrape in between
            time.sleep(topo.down_after_ms / 1000 + 1.5)
        finally:
            topo.kill(replica, signal.SIGCONT)
        topo.wait_ready(30)
        wait_quiet(counters)
        samples, ours, theirs = compare_window(exporter, counters, baseline)
    for addr in addrs:
        for event in ("+sdown", "-sdown"):
            got = samples.value(
                "redis_sentinel_events_total", addr=addr, master_name=GROUP, event=event
            )
            was = baseline[0].find(
                "redis_sentinel_events_total", addr=addr, master_name=GROUP, event=event
            )
            assert got - sum(v for _, v in was) == 1, (addr, event)
            assert theirs[addr][event] == 1, (addr, theirs[addr])
        assert ours[addr] == theirs[addr], addr


def test_restarted_sentinel_is_resubscribed_and_a_failover_in_its_downtime_counted_once(
    topo: Topology, counters: dict[str, ChannelCounter], tmp_path: Path
) -> None:
    addrs = [s.addr for s in topo.sentinels]
    victim = topo.sentinels[2]
    with run_exporter(exporter_args([s.uri for s in topo.sentinels]), tmp_path) as exporter:
        wait_streams_up(exporter, addrs)
        before = exporter.scrape()
        reconnects = before.value("redis_sentinel_event_stream_reconnects_total", addr=victim.addr)
        topo.kill(victim, signal.SIGKILL)
        wait_for(lambda: stream_up(exporter, victim.addr) == 0, timeout=15)
        old = master_node(topo).addr
        new = topo.sentinel_failover(GROUP)  # through sentinels[0], while the victim is down
        topo.restart(victim)
        wait_for(lambda: stream_up(exporter, victim.addr) == 1, timeout=30)
        after = exporter.scrape()
        assert (
            after.value("redis_sentinel_event_stream_reconnects_total", addr=victim.addr)
            > reconnects
        )
        topo.wait_ready(60)  # the restarted Sentinel learnt the new master too
        assert topo.sentinel_master_address(GROUP, victim) == new != old
        wait_for(lambda: failovers(exporter.scrape(), victim.addr) == 1, timeout=30)
        wait_quiet(counters)
        samples = exporter.scrape()
        status, body = exporter.get("/events?limit=1000")
        assert status == 200
        switches = [
            (e["reconciled"], e["old_address"], e["new_address"])
            for e in json.loads(body)["events"]
            if e["sentinel"] == victim.addr and e["event"] == "+switch-master"
        ]
        print(f"restarted Sentinel's +switch-master entries (reconciled, old, new): {switches}")
        assert switches  # live (+switch-master once it learnt the new config) or reconciled
        assert {to for _, _, to in switches} == {new}
        for addr in addrs:
            assert failovers(samples, addr) == 1, addr
            assert samples.value("redis_sentinel_event_stream_up", addr=addr) == 1


def test_a_failover_while_the_stream_is_cut_is_reconciled_and_counted_once(
    topo: Topology, tmp_path: Path
) -> None:
    sentinel = topo.sentinels[2]
    with TcpProxy(sentinel.port) as proxy:
        args = exporter_args([proxy.uri, topo.sentinels[0].uri])
        with run_exporter(args, tmp_path) as exporter:
            wait_streams_up(exporter, [proxy.addr, topo.sentinels[0].addr])
            before = exporter.scrape()
            assert failovers(before, proxy.addr) == 0
            reconnects = before.value(
                "redis_sentinel_event_stream_reconnects_total", addr=proxy.addr
            )
            proxy.cut()
            wait_for(lambda: stream_up(exporter, proxy.addr) == 0, timeout=15)
            old = master_node(topo).addr
            new = topo.sentinel_failover(GROUP)  # through sentinels[0]; all three agree
            assert topo.sentinel_master_address(GROUP, sentinel) == new != old
            proxy.restore()
            wait_for(lambda: stream_up(exporter, proxy.addr) == 1, timeout=30)
            topo.wait_ready(60)
            time.sleep(QUIET)  # anything late (a second count) would show up here
            samples = exporter.scrape()
            status, body = exporter.get("/events?limit=1000")
            log = exporter.log()
    assert samples.value("redis_sentinel_event_stream_reconnects_total", addr=proxy.addr) > (
        reconnects
    )
    assert failovers(samples, proxy.addr) == 1
    assert failovers(samples, topo.sentinels[0].addr) == 1  # seen live, for comparison
    assert samples.find(
        "redis_sentinel_events_total", addr=topo.sentinels[0].addr, event="+switch-master"
    )
    # The gap's +switch-master never reached the exporter: no event counted, one failover.
    assert not samples.find("redis_sentinel_events_total", addr=proxy.addr, event="+switch-master")
    assert status == 200
    entries = [
        e
        for e in json.loads(body)["events"]
        if e["sentinel"] == proxy.addr and e["event"] == "+switch-master"
    ]
    assert len(entries) == 1, entries
    assert entries[0]["reconciled"] is True
    assert entries[0]["master_name"] == GROUP
    assert (entries[0]["old_address"], entries[0]["new_address"]) == (old, new)
    assert "failover reconciled" in log
    assert f"master_name={GROUP}" in log
