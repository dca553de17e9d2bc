"""Benchmark (``make bench``): Sentinel events, in process and end to end.

First our own work per event, parse + state update: every recorded event payload replayed many
times through the same code the subscriber runs (``EventSubscriber.handle``), the mean and
worst-of-batches cost per event printed. Then 100 000 events published at full speed across
three event streams to a running exporter: all counted, and how long each took from publish to
counted (written to ``bench/RESULTS.md``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from bench.results import Row, Stamp, record, table
from harness.exporter import ExporterProcess, run_exporter
from harness.process import HOST, wait_for
from harness.topology import Node, Topology
from redis_ha_exporter.events.state import EventState
from redis_ha_exporter.events.subscriber import EventSubscriber
from redis_ha_exporter.targets import Kind, parse_target

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent.parent / "fixtures" / "events"
ROUNDS = 200
QUANTILES = (0.5, 0.9, 0.99, 0.999, 1.0)


def recorded_messages() -> list[tuple[str, str]]:
    messages = []
    for path in sorted(FIXTURES.glob("*.txt")):
        for line in path.read_text().splitlines():
            if line.startswith("#") or not line.strip():
                continue
            _, source, channel, payload = line.split("\t", 3)
            if source.startswith("s"):
                messages.append((channel, payload))
    return messages


def test_event_to_state_cost_per_event() -> None:
    messages = recorded_messages()
    state = EventState(ring_size=256)
    subscriber = EventSubscriber(parse_target("127.0.0.1:26379", Kind.SENTINEL), state)
    batches = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for channel, payload in messages:
            subscriber.handle(channel, payload)
        batches.append((time.perf_counter() - started) / len(messages))
    snapshot = state.snapshot()
    total = sum(snapshot.events.values())
    mean_us = 1e6 * sum(batches) / len(batches)
    print(
        f"\n{len(messages)} recorded events x {ROUNDS}: mean {mean_us:.1f} us/event, "
        f"worst batch {1e6 * max(batches):.1f} us/event, counted {total}"
    )
    # A master's counters go with it at -monitor (issue 13), so the last round's are what is
    # left; every event was read, none rejected.
    assert total > 0
    assert snapshot.parse_errors == 0


# --- 100 000 events across three Sentinels, end to end ----------------------------------

EVENTS = 100_000
STREAMS = 3
BATCH = 100  # PUBLISH commands per pipeline
PACED = 10_000.0  # events/s over the three streams, the paced run


def publish(node: Node, sequence: range, sent: dict[int, float], rate: float | None) -> None:
    """``+new-epoch <n>`` for every ``n`` of ``sequence`` in pipelines of ``BATCH`` over one
    redis-py connection, as fast as it goes or at ``rate`` events/s; ``sent[n]`` is when the
    pipeline carrying ``n`` was written to the socket. Each pipeline is encoded first and its
    time taken just before it is written (taken before encoding, a thread could wait for the
    GIL while the other publishers ran, and that wait was counted against the exporter)."""
    numbers = list(sequence)
    with redis.Redis(host=HOST, port=node.port, protocol=2) as client:
        connection = client.connection_pool.get_connection()
        started = time.monotonic()
        for start in range(0, len(numbers), BATCH):
            if rate is not None:
                time.sleep(max(started + start / rate - time.monotonic(), 0))
            batch = numbers[start : start + BATCH]
            packed = connection.pack_commands([("PUBLISH", "+new-epoch", n) for n in batch])
            now = time.time()
            connection.send_packed_command(packed, check_health=False)
            for n in batch:
                sent[n] = now
            receivers = [connection.read_response() for _ in batch]
            assert receivers == [1] * len(batch), "a message reached no subscriber"
        client.connection_pool.release(connection)


def counted(exporter: ExporterProcess) -> int:
    samples = exporter.scrape()
    return int(sum(v for _, v in samples.find("redis_sentinel_events_total", event="+new-epoch")))


@dataclass
class Run:
    """One publication of ``EVENTS`` events and what the exporter made of it."""

    rate: float | None  # events/s over all streams; None: as fast as the servers take them
    published_s: float
    counted_s: float
    total: int
    latencies: list[float]  # seconds, sorted

    @property
    def pace(self) -> str:
        return "full speed" if self.rate is None else f"paced at {self.rate:.0f} events/s"

    def ms(self, q: float) -> float:
        """The ``q`` quantile of the latencies, in milliseconds."""
        return 1000 * self.latencies[min(len(self.latencies) - 1, int(q * len(self.latencies)))]

    def summary(self) -> Row:
        p99 = self.ms(0.99)
        return (
            f"100 000 events across three Sentinels, {self.pace}: counted; p99 publish to "
            "counted (ms)",
            f"{self.total}; {p99:.1f}",
            "all; < 10",
            "yes" if self.total == EVENTS and p99 < 10 else "**no**",
        )

    def rows(self) -> list[tuple[str, str]]:
        pace = self.pace
        ms = [self.ms(q) for q in QUANTILES]
        return [
            (f"**{pace}**: published, counted", f"{EVENTS}, {self.total}"),
            ("published in", f"{self.published_s:.2f} s ({EVENTS / self.published_s:.0f}/s)"),
            ("all counted after", f"{self.counted_s:.2f} s ({EVENTS / self.counted_s:.0f}/s)"),
            *(
                (f"publish-to-counted p{100 * q:g}", f"{v:.2f} ms")
                for q, v in zip(QUANTILES, ms, strict=True)
            ),
        ]


def run(nodes: list[Node], tmp_path: Path, rate: float | None, program: Sequence[str]) -> Run:
    args = ["--redis.addr=", "--events.ring-size", str(EVENTS)]
    for node in nodes:
        args += ["--sentinel.addr", node.uri]
    with run_exporter(args, tmp_path, program=program) as exporter:
        wait_for(
            lambda: all(
                v == 1 for _, v in exporter.scrape().find("redis_sentinel_event_stream_up")
            ),
            timeout=30,
        )
        sent: dict[int, float] = {}
        each = None if rate is None else rate / len(nodes)
        threads = [
            threading.Thread(target=publish, args=(node, range(i, EVENTS, STREAMS), sent, each))
            for i, node in enumerate(nodes)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        published = time.monotonic() - started
        wait_for(lambda: counted(exporter) >= EVENTS, timeout=120, interval=0.1)
        all_counted = time.monotonic() - started
        total = counted(exporter)
        status, body = exporter.get(f"/events?limit={EVENTS}")
        assert status == 200
    events = json.loads(body)["events"]
    latencies = sorted(e["time"] - sent[int(e["payload"])] for e in events)
    return Run(rate, published, all_counted, total, latencies)


def test_a_hundred_thousand_events_across_three_sentinels(
    tmp_path: Path, installed: tuple[str, ...]
) -> None:
    """Three ``redis-server`` stand in for the Sentinels (a Sentinel takes ``PUBLISH`` of its
    hello messages only), as in the events load test; the exporter subscribes to each, the
    benchmark publishes from three threads, at full speed and then paced. Latency: from the
    moment a message's pipeline was sent to the time the exporter recorded the event (its
    ``/events`` ring, big enough to keep all of them), both from this machine's clock."""
    started = Stamp.now()
    groups = [f"stand-in-{i}" for i in range(STREAMS)]
    with Topology(tmp_path / "topo", groups=groups, replicas=0, sentinels=0) as topo:
        runs = [run(topo.redis, tmp_path, rate, installed) for rate in (None, PACED)]
    rows = [row for r in runs for row in r.rows()]
    body_md = table(("100 000 events, three Sentinels", ""), rows)
    print("\n" + body_md)
    record(
        "events",
        "## Sentinel events: 100 000 across three Sentinels\n\n"
        f"{started.line()} Three `redis-server` processes stand in for the Sentinels (a Sentinel "
        "accepts `PUBLISH` of its hello messages only; the events load test does the same); "
        "one exporter subscribes to all three; three threads publish `+new-epoch <n>` in "
        f"pipelines of {BATCH}, as fast as the servers take them, then paced at {PACED:.0f} "
        "events/s in all (a fresh exporter each time). Latency is from the moment the pipeline "
        "carrying an event was sent to the moment the exporter recorded it (its `/events` "
        "ring, sized to keep them all; the events of one read are recorded together, once all "
        "are counted), both on this machine's clock; at full speed it is "
        "mostly the queue of events published faster than the exporter counts them.\n\n" + body_md,
        [r.summary() for r in runs],
    )
    for r in runs:
        assert r.total == EVENTS
        assert len(r.latencies) == EVENTS
