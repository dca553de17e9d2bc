"""End to end: a real topology, the exporter as a real process, real faults."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.exporter import ExporterProcess, Samples, run_exporter
from harness.process import free_port, wait_for
from harness.topology import Node, Topology
from support import promtool_lint

pytestmark = pytest.mark.e2e

GROUP = "app-cache"


@pytest.fixture
def topo(tmp_path: Path) -> Iterator[Topology]:
    with Topology(tmp_path / "topo", groups=(GROUP,)) as topology:
        yield topology


@pytest.fixture
def exporter(topo: Topology, tmp_path: Path) -> Iterator[ExporterProcess]:
    args = [arg for node in topo.redis for arg in ("--redis.addr", node.uri)]
    with run_exporter([*args, "--sentinel.addr="], tmp_path) as process:
        yield process


def info(node: Node) -> dict[str, Any]:
    with node.client() as client:
        return dict(client.info("replication"))


def test_values_equal_what_info_replication_says(topo: Topology, exporter: ExporterProcess) -> None:
    master, replica, _ = topo.redis
    with master.client() as client:
        for i in range(100):
            client.set(f"key:{i}", "x" * 100)
    before = {n.addr: info(n) for n in topo.redis}
    samples = exporter.scrape()
    after = {n.addr: info(n) for n in topo.redis}
    m = master.addr
    assert samples.value("redis_up", addr=m) == 1
    assert samples.value("redis_connected_slaves", addr=m) == before[m]["connected_slaves"] == 2
    assert (
        samples.value("redis_replication_backlog_bytes", addr=m) == before[m]["repl_backlog_size"]
    )
    assert (
        before[m]["master_repl_offset"]
        <= samples.value("redis_master_repl_offset", addr=m)
        <= after[m]["master_repl_offset"]
    )
    ours = samples.find("redis_connected_slave_offset_bytes", addr=m)
    assert {(lab["slave_port"], lab["slave_state"]) for lab, _ in ours} == {
        (str(n.port), "online") for n in topo.redis[1:]
    }
    r = replica.addr
    link = {"addr": r, "master_host": "127.0.0.1", "master_port": str(master.port)}
    assert samples.value("redis_master_link_up", **link) == 1
    assert samples.value("redis_slave_info", read_only="1", **link) == 1
    assert (
        before[r]["slave_repl_offset"]
        <= samples.value("redis_slave_repl_offset", **link)
        <= after[r]["slave_repl_offset"]
    )
    assert samples.value("redis_slave_priority", addr=r) == before[r]["slave_priority"]
    info_line = samples.find("redis_instance_info", addr=r)[0][0]
    assert (info_line["role"], info_line["tcp_port"]) == ("slave", str(replica.port))


def test_after_a_sentinel_failover_roles_follow_within_one_scrape(
    topo: Topology, exporter: ExporterProcess
) -> None:
    old = topo.redis[0]
    new_addr = topo.sentinel_failover(GROUP)
    new = next(n for n in topo.redis if n.addr == new_addr)
    new_port = str(new.port)

    def processes_report_new_roles() -> bool:
        return info(new)["role"] == "master" and all(
            info(n).get("master_port") == new.port and info(n)["master_link_status"] == "up"
            for n in topo.redis
            if n is not new
        )

    wait_for(processes_report_new_roles)
    samples = exporter.scrape()  # the very next scrape
    roles = {lab["addr"]: lab["role"] for lab, _ in samples.find("redis_instance_info")}
    assert roles[new.addr] == "master"
    assert roles[old.addr] == "slave"
    for node in topo.redis:
        if node is not new:
            assert samples.value("redis_master_link_up", addr=node.addr) == 1
            ((labels, _),) = samples.find("redis_slave_info", addr=node.addr)
            assert (labels["master_host"], labels["master_port"]) == ("127.0.0.1", new_port)
    assert samples.value("redis_connected_slaves", addr=new.addr) == 2


def test_killing_a_replica_lowers_connected_slaves(
    topo: Topology, exporter: ExporterProcess
) -> None:
    master, replica, _ = topo.redis
    assert exporter.scrape().value("redis_connected_slaves", addr=master.addr) == 2
    topo.kill(replica, signal.SIGKILL)
    wait_for(lambda: info(master)["connected_slaves"] == 1)
    samples = exporter.scrape()
    assert samples.value("redis_connected_slaves", addr=master.addr) == 1
    assert samples.value("redis_up", addr=replica.addr) == 0
    assert samples.value("redis_exporter_last_scrape_error", addr=replica.addr) == 1
    assert "scrape failed" in exporter.log()
    assert f"addr={replica.addr}" in exporter.log()


def test_hung_and_unreachable_targets_are_down_within_the_deadline(
    topo: Topology, tmp_path: Path
) -> None:
    master, stopped, sleeping = topo.redis
    closed = f"redis://127.0.0.1:{free_port()}"
    args = [a for n in topo.redis for a in ("--redis.addr", n.uri)]
    with run_exporter([*args, "--redis.addr", closed, "--sentinel.addr="], tmp_path) as exporter:
        topo.kill(stopped, signal.SIGSTOP)
        blocker = threading.Thread(target=topo.debug_sleep, args=(sleeping, 4))
        blocker.start()
        time.sleep(0.2)
        try:
            started = time.monotonic()
            samples = exporter.scrape(timeout_header=2)
            elapsed = time.monotonic() - started
        finally:
            topo.kill(stopped, signal.SIGCONT)
            blocker.join()
        # Recovered targets answer again, and no late reply of the timed-out requests is taken
        # for the answer to a new one (that would show the wrong role or port).
        for _ in range(3):
            recovered = exporter.scrape(timeout_header=2)
            for node in (stopped, sleeping):
                assert recovered.value("redis_up", addr=node.addr) == 1
                ((labels, _),) = recovered.find("redis_instance_info", addr=node.addr)
                assert (labels["role"], labels["tcp_port"]) == ("slave", str(node.port))
    assert elapsed < 3.5, f"scrape took {elapsed:.2f}s with a 2s deadline"
    assert samples.value("redis_up", addr=stopped.addr) == 0
    assert samples.value("redis_up", addr=sleeping.addr) == 0
    assert samples.value("redis_up", addr=closed.removeprefix("redis://")) == 0
    assert samples.value("redis_up", addr=master.addr) == 1
    assert samples.value("redis_connected_slaves", addr=master.addr) == 2
    assert samples.find("redis_connected_slave_offset_bytes", addr=master.addr)


def test_concurrent_scrapes_share_one_collection(topo: Topology, exporter: ExporterProcess) -> None:
    before = exporter.scrape().value("redis_exporter_scrapes_total")
    sleeping = topo.redis[2]
    blocker = threading.Thread(target=topo.debug_sleep, args=(sleeping, 1))
    blocker.start()
    time.sleep(0.1)
    results: list[Samples] = []
    scrapers = [
        threading.Thread(target=lambda: results.append(exporter.scrape())) for _ in range(5)
    ]
    for thread in scrapers:
        thread.start()
    for thread in scrapers:
        thread.join()
    blocker.join()
    counts = {s.value("redis_exporter_scrapes_total") for s in results}
    assert len(results) == 5
    assert counts == {before + 1}, counts


def test_live_exposition_passes_promtool(exporter: ExporterProcess) -> None:
    status, text = exporter.get("/metrics")
    assert status == 200
    assert promtool_lint(text) == []


def test_scrape_endpoint_serves_one_target(topo: Topology, exporter: ExporterProcess) -> None:
    replica = topo.redis[1]
    samples = exporter.scrape(f"/scrape?target={replica.uri}")
    assert {lab["addr"] for lab, _ in samples.find("redis_up")} == {replica.addr}
    assert samples.value("redis_master_link_up", addr=replica.addr) == 1
    status, body = exporter.get("/scrape?target=http://nope")
    assert status == 400
    assert "scheme" in body


def test_landing_page_and_switching_off_scrape(topo: Topology, tmp_path: Path) -> None:
    args = ["--redis.addr", topo.redis[0].uri, "--sentinel.addr="]
    with run_exporter(args, tmp_path) as exporter:
        status, page = exporter.get("/")
        assert status == 200
        for path in ("/metrics", "/scrape?target=", "/sd", "/events", "/health"):
            assert path in page, path
        assert topo.redis[0].addr in page
    with run_exporter([*args, "--no-web.scrape-endpoint"], tmp_path) as exporter:
        assert exporter.get(f"/scrape?target={topo.redis[0].uri}")[0] == 404
        assert "/scrape?target=" not in exporter.get("/")[1]
