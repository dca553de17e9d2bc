"""Benchmark (``make bench``): our own work per Sentinel event, parse + state update.

Replays every recorded event payload many times through the same code the subscriber runs
(``EventSubscriber.handle``) and prints the mean and worst-of-batches cost per event.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from redis_ha_exporter.events.state import EventState
from redis_ha_exporter.events.subscriber import EventSubscriber
from redis_ha_exporter.targets import Kind, parse_target

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent.parent / "fixtures" / "events"
ROUNDS = 200


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
    total = sum(state.snapshot().events.values())
    mean_us = 1e6 * sum(batches) / len(batches)
    print(
        f"\n{len(messages)} recorded events x {ROUNDS}: mean {mean_us:.1f} us/event, "
        f"worst batch {1e6 * max(batches):.1f} us/event, counted {total}"
    )
    assert total == len(messages) * ROUNDS
