"""Resource bounds in-process: the real app and scraper against a real topology, ``ROUNDS``
``/metrics`` and as many ``/scrape`` calls (100 each in ``make test``, 3000 in ``make soak``, which
sets ``SCRAPE_ROUNDS``); afterwards the exporter runs as many asyncio tasks, holds as many
descriptors and as many connections to the targets as after the warm-up. (``make soak`` also
watches a running exporter for minutes and measures its memory: tests/chaos/test_soak.py.)"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from faults import connections, open_fds
from harness.topology import Topology
from redis_ha_exporter.config import load_config
from redis_ha_exporter.server import EVENTS_KEY, build_app, scraper_for

pytestmark = pytest.mark.e2e

ROUNDS = int(os.environ.get("SCRAPE_ROUNDS", "100"))


@pytest.fixture
def topo(tmp_path: Path) -> Iterator[Topology]:
    with Topology(tmp_path / "topo") as topology:
        yield topology


def resources(targets: set[str]) -> tuple[int, int, Counter[str]]:
    """Tasks, open descriptors, and connections to each target, of this process."""
    to_targets = Counter(remote for _, remote in connections(os.getpid()) if remote in targets)
    return len(asyncio.all_tasks()), open_fds(os.getpid()), to_targets


async def test_tasks_descriptors_and_connections_stay_constant_over_thousands_of_scrapes(
    topo: Topology,
) -> None:
    nodes = [*topo.redis, *topo.sentinels]
    args = [
        *(a for n in topo.redis for a in ("--redis.addr", n.uri)),
        *(a for n in topo.sentinels for a in ("--sentinel.addr", n.uri)),
    ]
    config = load_config(args, {})
    app = build_app(config, scraper_for(config))
    targets = {n.addr for n in nodes}

    async def scrape(rounds: int) -> None:
        for i in range(rounds):
            response = await client.get("/metrics")
            assert response.status == 200
            assert "redis_up" in await response.text()
            response = await client.get(f"/scrape?target={nodes[i % len(nodes)].addr}")
            assert response.status == 200
            await response.read()

    async with TestClient(TestServer(app)) as client:
        await scrape(20)
        states = app[EVENTS_KEY].states.values()
        for _ in range(200):  # every event stream up
            if all(state.stream_up for state in states):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("event streams not up within 20 s")
        before = resources(targets)
        await scrape(ROUNDS)
        await asyncio.sleep(0.2)  # the last /scrape client closes
        after = resources(targets)
    print(f"\nafter warm-up and after {ROUNDS} more of each: (tasks, fds, connections) {before}")
    assert after == before
    tasks, _, to_targets = before
    # a connection per configured target; to each Sentinel two more, its subscriber's: the
    # subscription and the one that reads SENTINEL MASTERS
    assert to_targets == Counter({n.addr: 3 if n.kind == "sentinel" else 1 for n in nodes})
    assert tasks <= 2 + len(topo.sentinels)  # the test, the server's handler, the subscribers
