"""redis_exporter's command line starts our exporter: seed 001's unit with only the binary path
changed scrapes the Redis it names (a real redis-server on loopback in place of localhost:6379)."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.exporter import run_exporter
from harness.topology import Node, Topology

pytestmark = pytest.mark.e2e

UNIT = Path(__file__).parent.parent / "fixtures" / "config" / "seed-001-redis_exporter.service"
# The installed entry point, as a unit would name it (pip puts it beside the interpreter).
ENTRY_POINT = str(Path(sys.executable).parent / "redis-ha-exporter")
SEED_ADDRESS = "redis://localhost:6379"


def exec_start(unit: Path) -> list[str]:
    """ExecStart= of ``unit`` split as systemd does for plain and double-quoted words:
    ``/bin/x -a "b c"`` -> ``["/bin/x", "-a", "b c"]``."""
    lines = [line for line in unit.read_text().splitlines() if line.startswith("ExecStart=")]
    assert len(lines) == 1, lines
    return shlex.split(lines[0].removeprefix("ExecStart="))


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    workdir = tmp_path_factory.mktemp("seed")
    with Topology(workdir / "topo", replicas=0, sentinels=0) as topo:
        yield topo.redis[0]


def test_seed_001_unit_with_only_the_binary_changed(redis: Node, tmp_path: Path) -> None:
    program, *args = exec_start(UNIT)
    assert (program, args) == ("/usr/local/bin/redis_exporter", ["-redis.addr", SEED_ADDRESS])
    # The test's Redis stands in for the host's; the port comes from redis_exporter's variable,
    # as an Environment= line beside the unchanged ExecStart would give it.
    args = [arg.replace(SEED_ADDRESS, redis.uri) for arg in args]
    with run_exporter(
        args,
        tmp_path,
        program=[ENTRY_POINT],
        listen_env="REDIS_EXPORTER_WEB_LISTEN_ADDRESS",
    ) as exporter:
        samples = exporter.scrape()
        assert samples.value("redis_up", addr=redis.addr) == 1
        assert {labels["addr"] for labels, _ in samples.find("redis_up")} == {redis.addr}
        info = samples.find("redis_instance_info", addr=redis.addr)
        assert [labels["tcp_port"] for labels, _ in info] == [str(redis.port)]
        assert "warn" not in exporter.log()


def test_ignored_redis_exporter_flags_are_logged_once_and_change_nothing(
    redis: Node, tmp_path: Path
) -> None:
    args = ["-redis.addr", redis.uri, "-include-system-metrics", "-log-format=json"]
    with run_exporter(args, tmp_path) as exporter:
        assert exporter.scrape().value("redis_up", addr=redis.addr) == 1
        log = exporter.log()
    warnings = [line for line in log.splitlines() if "-include-system-metrics" in line]
    assert len(warnings) == 1, log
    assert '"level": "warn"' in warnings[0]  # and in JSON, as -log-format asked
