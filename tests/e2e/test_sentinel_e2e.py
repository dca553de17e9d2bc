"""End to end: Sentinel state from real Sentinels, through real failures."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.exporter import ExporterProcess, Samples, reference_exporter, run_exporter
from harness.process import http_get, wait_for
from harness.topology import Topology
from redis_ha_exporter.catalogue import CATALOGUE
from support import promtool_lint

pytestmark = pytest.mark.e2e

GROUPS = ("app-cache", "sessions")


@pytest.fixture
def topo(tmp_path: Path) -> Iterator[Topology]:
    with Topology(tmp_path / "topo", groups=GROUPS) as topology:
        yield topology


@pytest.fixture
def exporter(topo: Topology, tmp_path: Path) -> Iterator[ExporterProcess]:
    """One host's exporter: its Redis and its Sentinel, as in the seeds."""
    args = [
        "--redis.addr",
        topo.redis[0].uri,
        "--sentinel.addr",
        topo.sentinels[0].uri,
        "--no-sentinel.events",
    ]
    with run_exporter(args, tmp_path) as process:
        yield process


def sentinel_masters(topo: Topology) -> dict[str, dict[str, Any]]:
    with topo.sentinels[0].client() as client:
        return {m["name"]: m for m in client.sentinel_masters().values()}


def test_healthy_state_matches_sentinel_masters(topo: Topology, exporter: ExporterProcess) -> None:
    samples = exporter.scrape()
    s = topo.sentinels[0].addr
    # One process serves the host's Redis and its Sentinel in one scrape.
    assert samples.value("redis_up", addr=topo.redis[0].addr) == 1
    assert samples.value("redis_up", addr=s) == 1
    assert samples.value("redis_connected_slaves", addr=topo.redis[0].addr) == 2
    assert samples.value("redis_sentinel_masters", addr=s) == 2
    for name, master in sentinel_masters(topo).items():
        where = {"addr": s, "master_name": name}
        address = f"{master['ip']}:{master['port']}"
        assert (
            samples.value(
                "redis_sentinel_master_status", master_address=address, master_status="ok", **where
            )
            == 1
        )
        assert samples.value("redis_sentinel_master_setting_ckquorum", **where) == master["quorum"]
        assert (
            samples.value("redis_sentinel_master_config_epoch", **where) == master["config-epoch"]
        )
        assert (
            samples.value("redis_sentinel_master_setting_down_after_milliseconds", **where)
            == master["down-after-milliseconds"]
        )
        assert samples.value("redis_sentinel_master_slaves", **where) == master["num-slaves"]
        assert samples.value("redis_sentinel_master_ok_slaves", **where) == 2
        assert samples.value("redis_sentinel_master_sentinels", **where) == 3
        assert samples.value("redis_sentinel_master_ok_sentinels", **where) == 3
        assert samples.value("redis_sentinel_master_ckquorum_ok", **where) == 1
        assert samples.value("redis_sentinel_master_sdown", **where) == 0
        assert samples.value("redis_sentinel_master_odown", **where) == 0
        replicas = samples.find("redis_sentinel_replica_up", **where)
        assert {lab["replica_address"] for lab, _ in replicas} == {
            n.addr for n in topo.group_members(name)[1:]
        }
        assert all(value == 1 for _, value in replicas)


def test_two_masters_monitored_by_the_same_sentinels_are_separate(
    topo: Topology, exporter: ExporterProcess
) -> None:
    samples = exporter.scrape()
    statuses = samples.find("redis_sentinel_master_status", addr=topo.sentinels[0].addr)
    by_name = {lab["master_name"]: lab["master_address"] for lab, _ in statuses}
    assert by_name == {g: topo.master_of_group(g, initial=True).addr for g in GROUPS}


def test_master_kill_shows_sdown_then_odown_then_the_new_master(
    topo: Topology, tmp_path: Path
) -> None:
    """Seen across the three Sentinels (``max by (master_name)``, as the alerts do): a Sentinel
    that learns the new master from the leader before its own odown check never flags odown."""
    old = topo.master_of_group("app-cache", initial=True)
    args = [a for s in topo.sentinels for a in ("--sentinel.addr", s.uri)]
    with run_exporter([*args, "--redis.addr=", "--no-sentinel.events"], tmp_path) as exporter:
        topo.kill(old, signal.SIGKILL)
        seen: list[tuple[float, float, set[str]]] = []
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            samples = exporter.scrape()
            where = {"master_name": "app-cache"}
            addresses = {
                labels["master_address"]
                for labels, _ in samples.find("redis_sentinel_master_status", **where)
            }
            seen.append(
                (
                    max(v for _, v in samples.find("redis_sentinel_master_sdown", **where)),
                    max(v for _, v in samples.find("redis_sentinel_master_odown", **where)),
                    addresses,
                )
            )
            if old.addr not in addresses and len(addresses) == 1:
                break
            time.sleep(0.1)
        other = exporter.scrape().find("redis_sentinel_master_sdown", master_name="sessions")
    first_sdown = next(i for i, (sdown, _, _) in enumerate(seen) if sdown == 1)
    first_odown = next(i for i, (_, odown, _) in enumerate(seen) if odown == 1)
    (new_address,) = seen[-1][2]
    assert first_sdown <= first_odown
    assert all(seen[i][2] == {old.addr} for i in range(first_odown + 1))
    assert new_address in {n.addr for n in topo.group_members("app-cache")[1:]}
    # The other group is untouched.
    assert [value for _, value in other] == [0.0, 0.0, 0.0]


def test_stopped_replica_is_not_up(topo: Topology, exporter: ExporterProcess) -> None:
    replica = topo.group_members("app-cache")[1]
    where = {
        "addr": topo.sentinels[0].addr,
        "master_name": "app-cache",
        "replica_address": replica.addr,
    }
    topo.kill(replica, signal.SIGSTOP)
    try:
        wait_for(
            lambda: exporter.scrape().value("redis_sentinel_replica_up", **where) == 0, timeout=20
        )
        samples = exporter.scrape()
        assert (
            samples.value(
                "redis_sentinel_master_ok_slaves",
                addr=where["addr"],
                master_name="app-cache",
                master_address=topo.redis[0].addr,
            )
            == 1
        )
    finally:
        topo.kill(replica, signal.SIGCONT)
    wait_for(lambda: exporter.scrape().value("redis_sentinel_replica_up", **where) == 1, timeout=20)


def test_a_down_sentinel_is_down_for_its_addr_only(topo: Topology, tmp_path: Path) -> None:
    args = [a for s in topo.sentinels for a in ("--sentinel.addr", s.uri)]
    with run_exporter([*args, "--redis.addr=", "--no-sentinel.events"], tmp_path) as exporter:
        dead = topo.sentinels[2]
        topo.kill(dead, signal.SIGKILL)
        samples = exporter.scrape(timeout_header=3)
    assert samples.value("redis_up", addr=dead.addr) == 0
    assert not samples.find("redis_sentinel_masters", addr=dead.addr)
    for alive in topo.sentinels[:2]:
        assert samples.value("redis_up", addr=alive.addr) == 1
        assert samples.value("redis_sentinel_masters", addr=alive.addr) == 2


def test_sentinel_is_detected_behind_scrape_target(
    topo: Topology, exporter: ExporterProcess
) -> None:
    sentinel = topo.sentinels[1]
    samples = exporter.scrape(f"/scrape?target={sentinel.uri}")
    assert samples.value("redis_sentinel_masters", addr=sentinel.addr) == 2
    assert samples.find("redis_instance_info", addr=sentinel.addr, redis_mode="sentinel")


def test_max_masters_bounds_the_exposition_and_counts_the_rest(
    topo: Topology, tmp_path: Path
) -> None:
    sentinel = topo.sentinels[0]
    args = [
        "--sentinel.addr",
        sentinel.uri,
        "--redis.addr=",
        "--sentinel.max-masters",
        "1",
        "--no-sentinel.events",
    ]
    with run_exporter(args, tmp_path) as exporter:
        first = exporter.scrape()
        second = exporter.scrape()
    exported = {lab["master_name"] for lab, _ in first.find("redis_sentinel_master_sdown")}
    assert exported == {"app-cache"}  # sorted by name, first N kept
    assert first.value("redis_sentinel_masters", addr=sentinel.addr) == 2
    assert first.value("redis_sentinel_masters_dropped_total", addr=sentinel.addr) == 1
    assert second.value("redis_sentinel_masters_dropped_total", addr=sentinel.addr) == 2


def test_compat_sentinel_metrics_match_redis_exporter(topo: Topology, tmp_path: Path) -> None:
    compat = {s.name for s in CATALOGUE if s.compat and s.group == "sentinel"}
    sentinel = topo.sentinels[0]

    def pick(samples: Samples, with_addr: bool) -> dict[object, float]:
        out: dict[object, float] = {}
        for name, labels, value in samples.rows:
            if name not in compat:
                continue
            if with_addr:
                assert labels.pop("addr") == sentinel.addr
            out[(name, frozenset(labels.items()))] = value
        return out

    args = ["--sentinel.addr", sentinel.uri, "--redis.addr=", "--no-sentinel.events"]
    with (
        run_exporter(args, tmp_path) as ours,
        reference_exporter(sentinel.uri, tmp_path) as reference,
    ):
        theirs = pick(Samples.parse(http_get(reference.url)[1]), with_addr=False)
        mine = pick(ours.scrape(), with_addr=True)
    shared = {key for key in theirs if key[0] in {k[0] for k in mine}}  # type: ignore[index]
    assert len({k[0] for k in shared}) >= 9  # type: ignore[index]
    assert {k: theirs[k] for k in shared} == {k: mine[k] for k in shared}
    # Names only this newer exporter and redis_exporter >= 1.56 have are not in 1.45 (Debian):
    newer = {k[0] for k in mine} - {k[0] for k in theirs}  # type: ignore[index]
    assert newer <= {n for n in compat if "setting" in n or "config_epoch" in n}


def test_sd_lists_every_master_replica_and_sentinel(
    topo: Topology, exporter: ExporterProcess
) -> None:
    status, body = exporter.get("/sd")
    assert status == 200
    groups = {
        (g["labels"]["__meta_redis_master_name"], g["labels"]["__meta_redis_role"]): set(
            g["targets"]
        )
        for g in json.loads(body)
    }
    for group in GROUPS:
        members = topo.group_members(group)
        assert groups[(group, "master")] == {members[0].addr}
        assert groups[(group, "replica")] == {n.addr for n in members[1:]}
    assert groups[(",".join(sorted(GROUPS)), "sentinel")] == {s.addr for s in topo.sentinels}
    assert len(groups) == 2 * len(GROUPS) + 1


def test_live_sentinel_exposition_passes_promtool(
    topo: Topology, exporter: ExporterProcess
) -> None:
    status, text = exporter.get("/metrics")
    assert status == 200
    assert "redis_sentinel_master_status" in text
    assert promtool_lint(text) == []


def test_a_sentinel_with_hundreds_of_masters(tmp_path: Path) -> None:
    """300 monitored masters (at addresses where nothing listens, so all are s_down): the scrape
    works, exports the first 100 by name, and counts the other 200 as dropped."""
    with Topology(tmp_path / "topo", groups=(), sentinels=1) as topo:
        sentinel = topo.sentinels[0]
        with sentinel.client() as client:
            for i in range(300):
                client.execute_command(
                    "SENTINEL", "MONITOR", f"m{i:03d}", "127.0.0.1", 20000 + i, 1
                )
        args = [
            "--sentinel.addr",
            sentinel.uri,
            "--redis.addr=",
            "--sentinel.max-masters",
            "100",
            "--no-sentinel.events",
        ]
        with run_exporter(args, tmp_path) as exporter:
            samples = exporter.scrape(timeout_header=5)
    where = {"addr": sentinel.addr}
    assert samples.value("redis_up", **where) == 1
    assert samples.value("redis_sentinel_masters", **where) == 300
    exported = {lab["master_name"] for lab, _ in samples.find("redis_sentinel_master_sdown")}
    assert exported == {f"m{i:03d}" for i in range(100)}
    assert samples.value("redis_sentinel_masters_dropped_total", **where) == 200
    assert len(samples.find("redis_sentinel_master_status", **where)) == 100
