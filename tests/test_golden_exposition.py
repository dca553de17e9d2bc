"""Golden exposition: recorded INFO outputs in, the exact /metrics text out, promtool-clean.

Regenerate after an intended change with ``UPDATE_GOLDEN=1 pytest tests/test_golden_exposition.py``.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import generate_latest

from redis_ha_exporter.families import StaticCollector, build_families
from redis_ha_exporter.parse.info import parse_info_fields, parse_replication, parse_server
from redis_ha_exporter.snapshot import Collection, TargetSnapshot
from redis_ha_exporter.targets import Kind, parse_target

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = FIXTURES / "golden" / "replication.prom"


def fixture_snapshot(addr: str, server: str, replication: str) -> TargetSnapshot:
    text = (FIXTURES / "info" / server).read_text()
    repl = (FIXTURES / "info" / replication).read_text()
    return TargetSnapshot(
        parse_target(addr, Kind.REDIS),
        up=True,
        duration_seconds=0.002,
        server=parse_server(parse_info_fields(text)),
        replication=parse_replication(parse_info_fields(repl)),
    )


def exposition() -> str:
    collection = Collection(
        targets=(
            fixture_snapshot("192.168.0.61:6379", "redis32-server.txt", "redis32-master.txt"),
            fixture_snapshot("192.168.0.62:6379", "redis32-server.txt", "redis32-replica.txt"),
            fixture_snapshot("[::1]:18001", "redis7-server.txt", "redis7-master-ipv6.txt"),
            TargetSnapshot(parse_target("192.168.0.63:6379", Kind.REDIS), False, 1.5),
        ),
        scrapes_total=7,
    )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StaticCollector(build_families(collection)))
    text = generate_latest(registry).decode()
    return text.replace(f'python_version="{platform.python_version()}"', 'python_version="X"')


def test_exposition_matches_the_golden_file() -> None:
    text = exposition()
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()


def test_golden_file_passes_promtool_check_metrics() -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing: make test installs the Debian prometheus package"
    result = subprocess.run(
        [promtool, "check", "metrics"],
        input=GOLDEN.read_text(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
