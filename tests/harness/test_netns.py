"""The seeds' three hosts as network namespaces: Redis, Sentinel and our exporter on each host's
own addresses, reached from the root namespace; faults that drop packets; nothing left behind."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.exporter import ExporterProcess, run_exporter
from harness.netns import Hosts, ip, ours
from harness.process import wait_for
from harness.topology import Node, Topology

pytestmark = pytest.mark.e2e

GROUP = "mymaster"
# A replica notices a silent master after repl-timeout (60 s by default); the master pings
# every repl-ping-replica-period, which must stay below it.
FAST_LINK_TIMEOUT = ("repl-timeout 5", "repl-ping-replica-period 1")
# What a connect reports, run in any namespace: connected, refused or timeout.
PROBE = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), float(sys.argv[3])).close()
except TimeoutError:
    print("timeout")
except ConnectionRefusedError:
    print("refused")
else:
    print("connected")
"""


@dataclass
class Seeds:
    hosts: Hosts
    topo: Topology
    exporters: list[ExporterProcess]


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeds]:
    workdir = tmp_path_factory.mktemp("seeds")
    with contextlib.ExitStack() as stack:
        hosts = stack.enter_context(Hosts(3))
        topo = Topology(workdir / "topo", hosts=hosts, redis_args=FAST_LINK_TIMEOUT)
        stack.enter_context(topo)
        exporters = [
            stack.enter_context(run_exporter([], workdir, host=host, wait=False)) for host in hosts
        ]
        for exporter in exporters:
            exporter.wait_healthy()
        yield Seeds(hosts, topo, exporters)


def connect(address: str, port: int, timeout: float = 0.5) -> str:
    """``connected``, ``refused`` or ``timeout``, from the root namespace."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, address, str(port), str(timeout)],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def link(node: Node) -> str:
    with node.client() as client:
        return str(client.info("replication")["master_link_status"])


def test_sentinels_agree_on_one_master_and_two_replicas_by_host_address(seeds: Seeds) -> None:
    hosts = seeds.hosts
    assert [n.addr for n in seeds.topo.redis] == [f"{h.ip}:6379" for h in hosts]
    assert [n.addr for n in seeds.topo.sentinels] == [f"{h.ip}:26379" for h in hosts]
    for sentinel, host in zip(seeds.topo.sentinels, hosts, strict=True):
        with sentinel.client() as client:
            master = client.sentinel_master(GROUP)
            replicas = client.sentinel_slaves(GROUP)
            others = client.sentinel_sentinels(GROUP)
        assert (master["ip"], master["port"], master["flags"]) == (hosts[0].ip, 6379, "master")
        assert {(r["ip"], r["port"]) for r in replicas} == {
            (hosts[1].ip, 6379),
            (hosts[2].ip, 6379),
        }
        assert {o["ip"] for o in others} == {h.ip for h in hosts} - {host.ip}


def test_each_host_exporter_reads_its_own_redis_and_sentinel(seeds: Seeds) -> None:
    roles = []
    for exporter, host in zip(seeds.exporters, seeds.hosts, strict=True):
        assert exporter.url == f"http://{host.ip}:9121"
        samples = exporter.scrape()
        assert samples.value("redis_up", addr="localhost:6379") == 1
        assert samples.value("redis_up", addr="localhost:26379") == 1
        (info,) = samples.find("redis_instance_info", addr="localhost:6379")
        roles.append(info[0]["role"])
        status = samples.find("redis_sentinel_master_status", addr="localhost:26379")
        assert [labels["master_address"] for labels, _ in status] == [f"{seeds.hosts[0].ip}:6379"]
    assert roles == ["master", "slave", "slave"]


def test_a_partitioned_host_drops_packets_both_ways_and_heals(seeds: Seeds) -> None:
    host, master = seeds.hosts[2], seeds.hosts[0]
    assert connect(host.ip, 6379) == "connected"
    assert connect(host.ip, 1) == "refused"  # nothing listens there: an RST comes back
    host.partition()
    try:
        assert connect(host.ip, 6379) == "timeout"
        assert connect(host.ip, 1) == "timeout"  # no RST, no ICMP: only a deadline ends it
        outbound = host.run([sys.executable, "-c", PROBE, master.ip, "6379", "0.5"])
        assert outbound.stdout.strip() == "timeout"
        local = host.run([sys.executable, "-c", PROBE, "127.0.0.1", "6379", "0.5"])
        assert local.stdout.strip() == "connected"
        assert connect(master.ip, 6379) == "connected"  # the other hosts are untouched
    finally:
        host.heal()
    assert connect(host.ip, 6379) == "connected"
    seeds.topo.wait_ready()


def test_a_replica_cut_from_its_master_loses_its_link_alone(seeds: Seeds) -> None:
    hosts, (master, near, far) = seeds.hosts, seeds.topo.redis

    def link_up(exporter: ExporterProcess) -> float:
        return exporter.scrape().value("redis_master_link_up", addr="localhost:6379")

    hosts[2].cut_from(hosts[0])
    try:
        wait_for(lambda: link(far) == "down", timeout=20)
        wait_for(lambda: link_up(seeds.exporters[2]) == 0, timeout=10)
        assert link(near) == "up"
        assert link_up(seeds.exporters[1]) == 1
        assert connect(far.host, 6379) == "connected"  # the root namespace still reaches it
    finally:
        hosts[2].restore(hosts[0])
    wait_for(lambda: link(far) == "up", timeout=20)
    wait_for(lambda: link_up(seeds.exporters[2]) == 1, timeout=10)
    seeds.topo.wait_ready()
    assert seeds.topo.master_of_group(GROUP) is master


def owned_by(tag: str) -> list[str]:
    namespaces, links = ours()
    return [n for n in (*namespaces, *links) if n.startswith(tag)]


def test_runs_side_by_side_get_their_own_names_and_subnets_and_remove_them() -> None:
    with Hosts(1) as first, Hosts(2) as second:
        assert first.bridge != second.bridge
        assert not first.subnet.overlaps(second.subnet)
        assert sorted(owned_by(second.bridge)) == sorted(
            [second.bridge, *[h.name for h in second] * 2]  # each name: namespace and veth
        )
        assert first[0].ip in first[0].run(["ip", "-4", "-o", "addr", "show", "eth0"]).stdout
        sleeper = first[0].spawn(["sleep", "60"], Path("/dev/null"))
    assert owned_by(first.bridge) == owned_by(second.bridge) == []
    assert sleeper.poll() is not None


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_a_killed_runner_leaves_no_namespace_link_or_process_behind(tmp_path: Path) -> None:
    runner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\n"
            "from harness.netns import Hosts\n"
            "from harness.topology import Topology\n"
            "with Hosts(2) as hosts, Topology(\n"
            f"    {str(tmp_path)!r}, hosts=hosts, replicas=1, sentinels=1\n"
            ") as t:\n"
            "    print(hosts.bridge, *(n.pid for n in t.redis + t.sentinels), flush=True)\n"
            "    time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert runner.stdout is not None
    tag, *pids = runner.stdout.readline().split()
    assert len(pids) == 3
    assert all(alive(int(pid)) for pid in pids)
    assert len(owned_by(tag)) == 5  # the bridge, two namespaces, two veths
    runner.send_signal(signal.SIGKILL)  # no teardown runs
    runner.wait(10)
    wait_for(lambda: not any(alive(int(pid)) for pid in pids), timeout=10)
    wait_for(lambda: owned_by(tag) == [], timeout=10)


def test_a_new_run_sweeps_what_a_dead_run_left() -> None:
    finished = subprocess.Popen(["true"])
    finished.wait()
    tag = f"rhx{finished.pid}z"  # a run whose reaper died with it
    ip("netns", "add", f"{tag}0")
    ip("link", "add", tag, "type", "bridge")
    assert sorted(owned_by(tag)) == [tag, f"{tag}0"]
    with Hosts(1):
        assert owned_by(tag) == []
