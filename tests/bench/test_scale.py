"""Benchmark (``make bench``): one exporter for a fleet — 100 Redis servers from a config file, and
a Sentinel monitoring 1000 masters.

For each size the exporter is a fresh process, scraped with Prometheus' request (OpenMetrics,
gzip) over a kept-alive connection. The figures: the scrape's wall time against the slowest
target's collection (``redis_exporter_last_scrape_duration_seconds`` in the same scrape: the
targets are collected concurrently, so the scrape should take that plus the time to write
them), the CPU per scrape (from ``/proc``) and its growth per target, the resident memory and
its growth per target. With 100 Redis servers the figures are taken again with one of them
answering 200 ms late (``CLIENT PAUSE`` before each scrape). Printed and written to
``bench/RESULTS.md``, never asserted.
"""

from __future__ import annotations

import functools
import re
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from bench.results import Row, Stamp, record, table
from harness.exporter import run_exporter
from harness.process import HOST, cpu_seconds, rss_bytes, wait_for
from harness.scraping import PROMETHEUS, Scrape
from harness.topology import Node, Topology
from redis_ha_exporter.fetch.redis import ADMIN_COMMANDS
from redis_ha_exporter.fetch.sentinel import OVERVIEW
from redis_ha_exporter.scrape import CONFIG_PARAMETERS

pytestmark = pytest.mark.slow

SCRAPES = 30
#: Seconds a scrape may take: Prometheus' timeout header says so (a Sentinel with a thousand
#: masters is slow to answer on a busy machine, and the figure is how slow, not a timeout).
TIMEOUT = 120.0
LONG_SCRAPES = {**PROMETHEUS, "X-Prometheus-Scrape-Timeout-Seconds": str(TIMEOUT)}
#: What a scrape asks a Redis server, as the exporter sends it.
REDIS_COMMANDS = (
    ("INFO", "ALL"),
    *(("CONFIG", "GET", parameter) for parameter in CONFIG_PARAMETERS),
    *ADMIN_COMMANDS,
)
MIB = 2**20
DURATION = re.compile(rb'^redis_exporter_last_scrape_duration_seconds\{addr="[^"]*"\} (\S+)', re.M)
PAUSE_MS = 200


@dataclass
class Size:
    """Figures of one exporter at one size."""

    targets: int
    samples: int
    wall_ms: float  # p50 of the scrape's wall time
    slowest_ms: float  # p50 of the slowest target's collection in the same scrape
    alone_ms: float  # the slowest target answering the same commands to the benchmark
    cpu_ms: float  # per scrape
    rss_mib: float
    target_cpu_ms: float  # the targets' own, all together, per scrape

    def row(self, base: Size | None) -> tuple[object, ...]:
        grows = base is not None and self.targets > base.targets
        extra = self.targets - base.targets if base is not None else 1
        per_cpu = (self.cpu_ms - base.cpu_ms) / extra if grows and base else float("nan")
        per_rss = 1024 * (self.rss_mib - base.rss_mib) / extra if grows and base else float("nan")
        return (
            self.targets,
            self.samples,
            self.wall_ms,
            self.slowest_ms,
            self.wall_ms - self.slowest_ms,
            self.alone_ms,
            self.cpu_ms,
            per_cpu,
            self.rss_mib,
            per_rss,
            self.target_cpu_ms,
        )


HEADER = (
    "{what}",
    "samples",
    "scrape p50 ms",
    "slowest target p50 ms",
    "difference ms",
    "slowest target alone ms",
    "CPU ms / scrape",
    "CPU ms per extra {one}",
    "RSS MiB",
    "RSS KiB per extra {one}",
    "the targets' CPU ms / scrape",
)


def measure(
    url: str,
    pid: int,
    size: int,
    targets: Sequence[Node],
    before_scrape: Callable[[], None] = lambda: None,
    *,
    alone: float = float("nan"),
    scrapes: int = SCRAPES,
    headers: Mapping[str, str] = PROMETHEUS,
) -> Size:
    """``scrapes`` scrapes after a warm-up of an exporter for ``size`` targets (Redis servers,
    or a Sentinel's masters); ``before_scrape`` runs before each (untimed). The CPU of the
    ``targets`` processes is measured too: on a shared machine it competes with the
    exporter's."""

    def targets_cpu() -> float:
        return sum(cpu_seconds(node.pid) for node in targets)

    walls, slowest = [], []
    with Scrape(url, headers, timeout=TIMEOUT) as scrape:
        for _ in range(2):
            before_scrape()
            scrape.get()
        cpu_before, targets_before = cpu_seconds(pid), targets_cpu()
        for _ in range(scrapes):
            before_scrape()
            walls.append(scrape.get())
            body = scrape.text().encode()
            slowest.append(max(float(v) for v in DURATION.findall(body)))
        cpu, targets_spent = cpu_seconds(pid) - cpu_before, targets_cpu() - targets_before
        samples = sum(1 for line in body.splitlines() if not line.startswith(b"#"))
    return Size(
        size,
        samples,
        1000 * statistics.median(walls),
        1000 * statistics.median(slowest),
        alone,
        1000 * cpu / scrapes,
        rss_bytes(pid) / MIB,
        1000 * targets_spent / scrapes,
    )


def alone_ms(node: Node, commands: Sequence[tuple[str, ...]]) -> float:
    """The median of three round trips of ``commands`` to ``node`` from here: what the target
    takes to answer a scrape's commands, without the exporter."""
    with redis.Redis(host=HOST, port=node.port, protocol=2, socket_timeout=TIMEOUT) as client:
        times = []
        for _ in range(3):
            pipe = client.pipeline(transaction=False)
            for command in commands:
                pipe.execute_command(*command)
            started = time.perf_counter()
            pipe.execute(raise_on_error=False)
            times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def exercise(node: Node) -> None:
    """A few commands of several kinds, keys with and without a TTL: a commandstats and a
    keyspace like a small application's."""
    with redis.Redis(host=HOST, port=node.port, protocol=2) as client:
        pipe = client.pipeline(transaction=False)
        for i in range(20):
            pipe.set(f"key:{i}", "v", ex=3600 if i % 2 else None)
            pipe.get(f"key:{i}")
            pipe.incr("counter")
            pipe.lpush("list", i)
            pipe.hset("hash", f"f{i}", i)
        pipe.execute()


def report(title: str, what: str, one: str, sizes: Sequence[Size], note: str) -> str:
    header = [h.format(what=what, one=one) for h in HEADER]
    rows = [size.row(sizes[0] if i else None) for i, size in enumerate(sizes)]
    return f"### {title}\n\n{note}\n\n{table(header, rows)}"


def growth(what: str, one: str, sizes: Sequence[Size], late: Size | None = None) -> Row:
    """The summary: the largest size's scrape against its slowest target (and with one target
    late), how the CPU grows (linearly when the CPU per target is the same at the largest size
    as at the second: the smallest carries the fixed costs) and the RSS per extra target, from
    the smallest size to the largest."""
    first, second, last = sizes[0], sizes[1], sizes[-1]
    linear = (last.cpu_ms / last.targets) / (second.cpu_ms / second.targets)
    rss = 1024 * (last.rss_mib - first.rss_mib) / (last.targets - first.targets)
    late_text = (
        f" ({late.wall_ms - late.slowest_ms:.0f} with one {PAUSE_MS} ms late)" if late else ""
    )
    return (
        f"{what}: scrape p50 minus the slowest target's (ms); CPU per {one} at "
        f"{last.targets} / at {second.targets}; RSS per extra {one} (KiB)",
        f"{last.wall_ms - last.slowest_ms:.0f}{late_text}; {linear:.2f}; {rss:.0f}",
        "small; ≈ 1 (linear); stated",
        "—",
    )


def test_one_exporter_for_a_hundred_redis_servers(
    tmp_path: Path, installed: tuple[str, ...]
) -> None:
    started = Stamp.now()
    groups = [f"g{i:03d}" for i in range(100)]
    sizes = []
    with Topology(tmp_path / "topo", groups=groups, replicas=0, sentinels=0) as topo:
        for node in topo.redis:
            exercise(node)
        for count in (1, 10, 25, 50, 100):
            config = tmp_path / f"redis-{count}.yml"
            lines = "".join(f"  - {node.uri}\n" for node in topo.redis[:count])
            config.write_text(f"redis:\n{lines}")
            alone = max(alone_ms(node, REDIS_COMMANDS) for node in topo.redis[:count])
            with run_exporter(
                ["--config.file", str(config)], tmp_path, program=installed
            ) as exporter:
                url, pid = exporter.url + "/metrics", exporter.proc.pid
                sizes.append(measure(url, pid, count, topo.redis[:count], alone=alone))
        paused = topo.redis[-1]
        with (
            redis.Redis(host=HOST, port=paused.port, protocol=2) as pauser,
            run_exporter(["--config.file", str(config)], tmp_path, program=installed) as exporter,
        ):

            def pause() -> None:
                pauser.execute_command("CLIENT", "PAUSE", PAUSE_MS, "ALL")

            late = measure(exporter.url + "/metrics", exporter.proc.pid, 100, topo.redis, pause)
    body = report(
        "One exporter, 100 Redis servers",
        "Redis servers",
        "server",
        sizes,
        "Each Redis has served a few hundred commands of five kinds (keys with and without a "
        "TTL). The targets come from `--config.file`.",
    )
    late_row = table(
        ("one of 100 answers late", "scrape p50 ms", "slowest target p50 ms", "difference ms"),
        [(f"by {PAUSE_MS} ms", late.wall_ms, late.slowest_ms, late.wall_ms - late.slowest_ms)],
    )
    print(f"\n{body}\n\n{late_row}")
    record(
        "scale-redis",
        "## Scale\n\n"
        f"{started.line()} {SCRAPES} scrapes per size, each size a fresh exporter, Prometheus' "
        "request. *slowest target*: the largest `redis_exporter_last_scrape_duration_seconds` "
        "of the same scrape: its round trip and the parsing of its replies, in the exporter "
        "where the targets are collected concurrently, one process on one core (so with many "
        "targets it is mostly the CPU of reading them all); *difference*: the scrape's wall "
        "time less that, i.e. writing its exposition and the HTTP exchange; "
        "*slowest target alone*: the slowest of the targets answering the same commands to "
        "the benchmark, one at a time, without the exporter (median of three); "
        "*the targets' CPU*: what the Redis servers themselves spent per scrape, on the same "
        "two cores.\n\n"
        f"{body}\n\nThe same 100, one of them paused for {PAUSE_MS} ms (`CLIENT PAUSE`) before "
        f"each scrape:\n\n{late_row}",
        [growth("100 Redis servers in one exporter", "server", sizes, late)],
    )
    assert sizes[-1].samples > 50 * sizes[0].samples
    assert late.slowest_ms >= PAUSE_MS * 0.9


def monitor(sentinel: Node, masters: Sequence[Node], names: Sequence[str]) -> None:
    """``SENTINEL MONITOR`` each of ``names``, on the masters in turn (a Sentinel watches one
    address under several names as under one each). Each rewrites the Sentinel's config file:
    slow, so no socket timeout, and no retry that would monitor a name twice."""
    with redis.Redis(
        host=HOST, port=sentinel.port, protocol=2, socket_timeout=None, retry=Retry(NoBackoff(), 0)
    ) as client:
        pipe = client.pipeline(transaction=False)
        for i, name in enumerate(names):
            master = masters[i % len(masters)]
            pipe.execute_command("SENTINEL", "MONITOR", name, HOST, master.port, 1)
        pipe.execute()


def sentinel_commands(sentinel: Node) -> list[tuple[str, ...]]:
    """What a scrape asks the Sentinel, as the exporter sends it once it knows the masters."""
    with redis.Redis(host=HOST, port=sentinel.port, protocol=2, decode_responses=True) as client:
        masters = client.execute_command("SENTINEL", "MASTERS")
    names = [dict(zip(m[::2], m[1::2], strict=True))["name"] for m in masters]
    per_master = ("SLAVES", "SENTINELS", "CKQUORUM")
    return [*OVERVIEW, *(("SENTINEL", sub, name) for name in names for sub in per_master)]


def all_see_their_replica(sentinel: Node, count: int) -> bool:
    with redis.Redis(host=HOST, port=sentinel.port, protocol=2, decode_responses=True) as client:
        masters = client.execute_command("SENTINEL", "MASTERS")
    seen = [dict(zip(m[::2], m[1::2], strict=True)) for m in masters]
    return len(seen) == count and all(int(m["num-slaves"]) >= 1 for m in seen)


def test_one_exporter_for_a_sentinel_with_a_thousand_masters(
    tmp_path: Path, installed: tuple[str, ...]
) -> None:
    started = Stamp.now()
    groups = [f"m{i}" for i in range(10)]
    sizes = []
    with Topology(tmp_path / "topo", groups=groups, replicas=1, sentinels=1, quorum=1) as topo:
        (sentinel,) = topo.sentinels
        masters = [topo.master_of_group(g, initial=True) for g in groups]
        extra = [f"x{i:04d}" for i in range(990)]
        monitored = 10
        args = ["--sentinel.addr", sentinel.uri, "--redis.addr=", "--sentinel.max-masters=1000"]
        for count in (10, 100, 500, 1000):
            monitor(sentinel, masters, extra[monitored - 10 : count - 10])
            monitored = count
            wait_for(functools.partial(all_see_their_replica, sentinel, count), timeout=60)
            alone = alone_ms(sentinel, sentinel_commands(sentinel))
            with run_exporter(args, tmp_path, program=installed) as exporter:
                url, pid = exporter.url + "/metrics", exporter.proc.pid
                sizes.append(
                    measure(
                        url, pid, count, [sentinel], alone=alone, scrapes=10, headers=LONG_SCRAPES
                    )
                )
    body = report(
        "One exporter, a Sentinel monitoring 1000 masters",
        "masters",
        "master",
        sizes,
        "Ten replication groups (a master and a replica each), monitored under 10, 100, 500 "
        "and 1000 names by one Sentinel (`--sentinel.max-masters 1000`); every master's "
        "`SENTINEL SLAVES`, `SENTINELS` and `CKQUORUM` read on each scrape, and its events "
        f"stream subscribed; 10 scrapes per size, with a timeout of {TIMEOUT:.0f} s (the "
        "Sentinel's own answer grows long). *slowest target alone*: the Sentinel answering "
        f"the same commands to the benchmark, without the exporter. {started.line()}",
    )
    print("\n" + body)
    record("scale-sentinel", body, [growth("a Sentinel with 1000 masters", "master", sizes)])
    assert sizes[-1].samples > 50 * sizes[0].samples
