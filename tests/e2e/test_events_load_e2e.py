"""Load: thousands of Sentinel events per second, all counted, none lost, memory flat.

A plain ``redis-server`` stands in for a Sentinel: the exporter subscribes to it (its scrape
shows ``redis_up 0`` for that addr, since ``SENTINEL`` commands fail, and the subscriber skips
reconciliation) and the test ``PUBLISH``es real-format event payloads, pipelined in batches.
Every ``PUBLISH`` must reach exactly one subscriber (the exporter), and the exporter's counters
must equal what was published, exactly. Throughput and memory figures are printed
(``pytest -s``); only the memory growth is asserted, never the speed.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from harness.exporter import ExporterProcess, Samples, run_exporter
from harness.process import rss_bytes, wait_for
from harness.topology import Node, Topology

pytestmark = pytest.mark.e2e

RING_SIZE = 500
ROUND = 30_000  # well-formed events per round
BATCH = 1_000  # PUBLISH commands per pipeline
RSS_GROWTH_LIMIT = 10 * 1024 * 1024

# (channel, payload, master_name label) of well-formed events, in the format of sentinel.c
WELL_FORMED = [
    ("+sdown", "slave 127.0.0.1:6380 127.0.0.1 6380 @ m1 127.0.0.1 6379", "m1"),
    ("-sdown", "slave 127.0.0.1:6380 127.0.0.1 6380 @ m1 127.0.0.1 6379", "m1"),
    ("+sdown", "master m2 127.0.0.1 7379", "m2"),
    ("+odown", "master m2 127.0.0.1 7379 #quorum 2/2", "m2"),
    ("-odown", "master m2 127.0.0.1 7379", "m2"),
    ("-sdown", "master m2 127.0.0.1 7379", "m2"),
    ("+new-epoch", "7", ""),
    ("+slave", "slave 127.0.0.1:7380 127.0.0.1 7380 @ m2 127.0.0.1 7379", "m2"),
]
# Known event, malformed payload: a parse error each, never an event.
MALFORMED = [
    ("+odown", "\x00garbage \xff 12"),
    ("+odown", "master m1 127.0.0.1 6379"),  # no "#quorum k/q"
    ("+odown", "master m1 127.0.0.1 notaport #quorum 2/2"),
    ("+switch-master", "m1 127.0.0.1 6379"),
]
# Unknown event names: counted as "other", under the master only if it is already known
# (it is: the well-formed events of the round come first); garbage or an unknown master -> "".
UNKNOWN = [
    ("+nope", "slave 127.0.0.1:6380 127.0.0.1 6380 @ m1 127.0.0.1 6379", "m1"),
    ("+nope", "master m2 127.0.0.1 7379", "m2"),
    ("+nope", "slave 127.0.0.1:9 127.0.0.1 9 @ never-seen 127.0.0.1 9", ""),
    ("-nope", "complete garbage", ""),
]
# Not event channels at all: ignored, not even a parse error.
NOT_EVENTS = [("__sentinel__:hello", "127.0.0.1,26379,abc,0,m1,127.0.0.1,6379,0"), ("x", "y")]
EXTRA_EACH = 500  # of every MALFORMED / UNKNOWN / NOT_EVENTS entry per round


def round_messages() -> list[tuple[str, str]]:
    """One round: well-formed events first (so their masters are known), then the rest mixed."""
    messages = [WELL_FORMED[i % len(WELL_FORMED)][:2] for i in range(ROUND)]
    odd = [*MALFORMED, *((c, p) for c, p, _ in UNKNOWN), *NOT_EVENTS]
    messages += [odd[i % len(odd)] for i in range(EXTRA_EACH * len(odd))]
    messages.append(("+sdown", "master m1 127.0.0.1 6379 last-of-round"))  # marks the end
    return messages


def expected_counts(rounds: int) -> tuple[Counter[tuple[str, str]], int]:
    """What ``rounds`` rounds must add up to: (master_name, event) counts and parse errors."""
    counts: Counter[tuple[str, str]] = Counter()
    for i in range(ROUND):
        channel, _, master = WELL_FORMED[i % len(WELL_FORMED)]
        counts[(master, channel)] += rounds
    for _, _, master in UNKNOWN:
        counts[(master, "other")] += EXTRA_EACH * rounds
    counts[("m1", "+sdown")] += rounds  # the end marker
    return counts, EXTRA_EACH * len(MALFORMED) * rounds


def events_by_key(samples: Samples, addr: str) -> Counter[tuple[str, str]]:
    return Counter(
        {
            (labels["master_name"], labels["event"]): int(value)
            for labels, value in samples.find("redis_sentinel_events_total", addr=addr)
        }
    )


def publish_round(node: Node, messages: list[tuple[str, str]]) -> None:
    with redis.Redis(host="127.0.0.1", port=node.port, protocol=2) as client:
        for start in range(0, len(messages), BATCH):
            pipe = client.pipeline(transaction=False)
            for channel, payload in messages[start : start + BATCH]:
                pipe.publish(channel, payload.encode("utf-8", "surrogateescape"))
            receivers = pipe.execute()
            assert receivers == [1] * len(receivers), "a message did not reach the exporter"


def run_round(
    exporter: ExporterProcess, node: Node, messages: list[tuple[str, str]], rounds_done: int
) -> float:
    """Publish one round and wait until every event of it is counted; events/s achieved."""
    want, parse_errors = expected_counts(rounds_done + 1)
    total = sum(want.values()) + parse_errors
    started = time.monotonic()
    publish_round(node, messages)

    def counted_all() -> bool:
        samples = exporter.scrape()
        got = sum(events_by_key(samples, node.addr).values())
        errors = samples.value("redis_sentinel_event_parse_errors_total", addr=node.addr)
        return got + errors >= total

    wait_for(counted_all, timeout=60, interval=0.05)
    return len(messages) / (time.monotonic() - started)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Node]:
    with Topology(tmp_path / "topo", groups=("load",), replicas=0, sentinels=0) as topo:
        yield topo.redis[0]


def test_thousands_of_events_per_second_are_all_counted_with_flat_memory(
    server: Node, tmp_path: Path
) -> None:
    args = ["--sentinel.addr", server.uri, "--redis.addr=", "--events.ring-size", str(RING_SIZE)]
    messages = round_messages()
    with run_exporter(args, tmp_path) as exporter:
        wait_for(
            lambda: (
                exporter.scrape().value("redis_sentinel_event_stream_up", addr=server.addr) == 1
            ),
            timeout=20,
        )
        rates = [run_round(exporter, server, messages, 0)]  # warm-up
        rss_before = rss_bytes(exporter.proc.pid)
        for done in (1, 2):
            rates.append(run_round(exporter, server, messages, done))
        rss_after = rss_bytes(exporter.proc.pid)
        samples = exporter.scrape()
        status, body = exporter.get(f"/events?limit={10 * RING_SIZE}")
        log = exporter.log()
    print(
        f"\nload: {len(messages)} messages per round, "
        f"{', '.join(f'{r:,.0f}' for r in rates)} messages/s (publish to counted); "
        f"exporter RSS {rss_before / 2**20:.1f} MiB after warm-up, "
        f"{rss_after / 2**20:.1f} MiB after two more rounds "
        f"({(rss_after - rss_before) / 2**20:+.1f} MiB)"
    )
    want, parse_errors = expected_counts(3)
    assert events_by_key(samples, server.addr) == want
    assert samples.value("redis_sentinel_event_parse_errors_total", addr=server.addr) == (
        parse_errors
    )
    assert samples.value("redis_sentinel_event_stream_up", addr=server.addr) == 1
    assert samples.value("redis_sentinel_event_stream_reconnects_total", addr=server.addr) == 0
    assert samples.value("redis_up", addr=server.addr) == 0  # not a Sentinel: scrape fails
    assert "event stream lost" not in log
    assert rss_after - rss_before < RSS_GROWTH_LIMIT
    assert status == 200
    events = json.loads(body)["events"]
    assert len(events) == RING_SIZE
    newest = events[0]
    assert (newest["event"], newest["master_name"], newest["payload"]) == (
        "+sdown",
        "m1",
        "master m1 127.0.0.1 6379 last-of-round",
    )
    times = [e["time"] for e in events]
    assert times == sorted(times, reverse=True)
