"""Benchmark (``make bench``): what one host's monitoring costs, ours against what the seeds run.

Today a host runs Debian's prometheus-redis-exporter twice (one for Redis, one for Sentinel,
redis_exporter issue #963); we run one process for both plus the event stream. Both are scraped
the same number of times; the figures are printed, not asserted (timing goals live here, not in
unit tests). Run: ``make bench`` (or ``pytest -m slow -s tests/bench``).

The Redis has served ``redis-benchmark``'s default tests first, so its ``INFO ALL`` carries a
realistic commandstats and latencystats (about twenty commands) and keys in a database. The
second benchmark compares the work on the Redis alone: ``INFO ALL``, ``CONFIG``, ``SLOWLOG`` and
``LATENCY`` read, parsed and exposed, ours against redis_exporter's; the third shows where our
scrape of that Redis spends its CPU (collect, families, text and OpenMetrics exposition), for
the issue that decides how the exposition is written.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from prometheus_client.exposition import generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

from harness.exporter import reference_exporter, run_exporter
from harness.process import HOST, binary, cpu_seconds, http_get, rss_bytes
from harness.topology import Node, Topology
from redis_ha_exporter.families import build_families, registry_of
from redis_ha_exporter.scrape import Scraper
from redis_ha_exporter.targets import Kind, parse_target

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


def serve_benchmark(node: Node) -> None:
    """``redis-benchmark``'s default tests against ``node``: a realistic commandstats."""
    command = [binary("redis-benchmark"), "-h", HOST, "-p", str(node.port), "-n", "2000", "-q"]
    subprocess.run(command, capture_output=True, check=True, timeout=300)


def report(title: str, rows: Sequence[tuple[str, dict[str, float]]]) -> None:
    print(f"\n{title}, {SCRAPES} scrapes:")
    for name, figures in rows:
        print(f"  {name:32s} " + "  ".join(f"{k}={v:.2f}" for k, v in figures.items()))


def test_one_redis_ours_against_redis_exporter(tmp_path: Path) -> None:
    with Topology(tmp_path / "topo", groups=("app-cache",), replicas=0, sentinels=0) as topo:
        (node,) = topo.redis
        serve_benchmark(node)
        with run_exporter(["--redis.addr", node.uri, "--sentinel.addr="], tmp_path) as ours:
            mine = measure([ours.url + "/metrics"], [ours.proc.pid])
        with reference_exporter(node.uri, tmp_path) as theirs:
            reference = measure([theirs.url], [theirs.proc.pid])
    report(
        "one Redis (INFO ALL, CONFIG, SLOWLOG, LATENCY)",
        [("redis-ha-exporter", mine), ("prometheus-redis-exporter", reference)],
    )
    assert mine["p50_ms"] > 0
    assert reference["p50_ms"] > 0


def test_one_host_ours_against_two_redis_exporters(tmp_path: Path) -> None:
    with Topology(tmp_path / "topo", groups=("app-cache",)) as topo:
        redis_node, sentinel = topo.redis[0], topo.sentinels[0]
        serve_benchmark(redis_node)
        args = ["--redis.addr", redis_node.uri, "--sentinel.addr", sentinel.uri]
        with run_exporter(args, tmp_path) as ours:
            mine = measure([ours.url + "/metrics"], [ours.proc.pid])
        with (
            reference_exporter(redis_node.uri, tmp_path) as a,
            reference_exporter(sentinel.uri, tmp_path) as b,
        ):
            theirs = measure([a.url, b.url], [a.proc.pid, b.proc.pid])
    report(
        "one host (Redis + Sentinel)",
        [("redis-ha-exporter (1 process)", mine), ("prometheus-redis-exporter x2", theirs)],
    )
    assert mine["p50_ms"] > 0
    assert theirs["p50_ms"] > 0


async def stages(uri: str, rounds: int) -> dict[str, float]:
    """CPU milliseconds per scrape of each stage, in this process: collect (fetch + parse),
    families, and the text and OpenMetrics expositions."""
    scraper = Scraper([parse_target(uri, Kind.REDIS)], 5.0, 10)
    try:
        collection = await scraper.collect(5.0)
        started = time.process_time()
        for _ in range(rounds):
            collection = await scraper.collect(5.0)
        collected = time.process_time()
        for _ in range(rounds):
            families = build_families(collection)
        built = time.process_time()
        for _ in range(rounds):
            generate_latest(registry_of(families))
        texted = time.process_time()
        for _ in range(rounds):
            generate_openmetrics(registry_of(families))  # type: ignore[no-untyped-call]
        done = time.process_time()
    finally:
        await scraper.close()
    return {
        "collect_ms": 1000 * (collected - started) / rounds,
        "families_ms": 1000 * (built - collected) / rounds,
        "text_ms": 1000 * (texted - built) / rounds,
        "openmetrics_ms": 1000 * (done - texted) / rounds,
        "samples": float(sum(len(f.samples) for f in families)),
    }


def test_where_one_scrape_of_a_redis_spends_its_cpu(tmp_path: Path) -> None:
    with Topology(tmp_path / "topo", groups=("app-cache",), replicas=0, sentinels=0) as topo:
        (node,) = topo.redis
        serve_benchmark(node)
        figures = asyncio.run(stages(node.uri, SCRAPES))
    report("one Redis, in process, per stage", [("redis-ha-exporter", figures)])
    assert figures["samples"] > 200
