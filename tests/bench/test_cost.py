"""Benchmark (``make bench``): what one host's monitoring costs, ours against what the seeds run.

Today a host runs Debian's prometheus-redis-exporter twice (one for Redis, one for Sentinel,
redis_exporter issue #963); we run one process for both plus the event stream. Both are scraped
the same number of times; the figures are printed, not asserted (timing goals live here, not in
unit tests). Run: ``make bench`` (or ``pytest -m slow -s tests/bench``).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from harness.exporter import reference_exporter, run_exporter
from harness.process import cpu_seconds, http_get, rss_bytes
from harness.topology import Topology

pytestmark = pytest.mark.slow

SCRAPES = 300


def measure(urls: Sequence[str], pids: Sequence[int]) -> dict[str, float]:
    for url in urls:  # warm up
        assert http_get(url)[0] == 200
    cpu_before = sum(cpu_seconds(p) for p in pids)
    latencies = []
    size = 0
    for _ in range(SCRAPES):
        started = time.perf_counter()
        for url in urls:
            status, body = http_get(url)
            assert status == 200
            size = max(size, len(body))
        latencies.append(time.perf_counter() - started)
    cpu = sum(cpu_seconds(p) for p in pids) - cpu_before
    latencies.sort()
    return {
        "cpu_ms_per_scrape": 1000 * cpu / SCRAPES,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * len(latencies)) - 1],
        "rss_mib": sum(rss_bytes(p) for p in pids) / 2**20,
    }


def test_one_host_ours_against_two_redis_exporters(tmp_path: Path) -> None:
    with Topology(tmp_path / "topo", groups=("app-cache",)) as topo:
        redis_node, sentinel = topo.redis[0], topo.sentinels[0]
        args = ["--redis.addr", redis_node.uri, "--sentinel.addr", sentinel.uri]
        with run_exporter(args, tmp_path) as ours:
            mine = measure([ours.url + "/metrics"], [ours.proc.pid])
        with (
            reference_exporter(redis_node.uri, tmp_path) as a,
            reference_exporter(sentinel.uri, tmp_path) as b,
        ):
            theirs = measure([a.url, b.url], [a.proc.pid, b.proc.pid])
    print(f"\none host, {SCRAPES} scrapes (Redis + Sentinel):")
    for name, figures in (
        ("redis-ha-exporter (1 process)", mine),
        ("prometheus-redis-exporter x2", theirs),
    ):
        print(f"  {name:32s} " + "  ".join(f"{k}={v:.2f}" for k, v in figures.items()))
    assert mine["p50_ms"] > 0
    assert theirs["p50_ms"] > 0
