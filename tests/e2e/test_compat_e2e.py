"""Side by side with Debian's prometheus-redis-exporter (oliver006/redis_exporter): every compat
replication metric has the same name, labels (plus ``addr``) and value."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from harness.exporter import Samples, reference_exporter, run_exporter
from harness.process import http_get
from harness.topology import Topology
from redis_ha_exporter.catalogue import CATALOGUE

pytestmark = pytest.mark.e2e

COMPAT_REDIS = [s for s in CATALOGUE if s.compat and s.group == "redis"]
# Labels of redis_instance_info that redis_exporter adds and we leave out (os, pids, build ids):
# we keep the documented subset so no series carries free text.
INFO_ONLY_THEIRS = {"maxmemory_policy", "os", "process_id", "redis_build_id"}


def comparable(
    samples: Samples, addr: str | None
) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    names = {s.name for s in COMPAT_REDIS}
    for name, labels, value in samples.rows:
        if name not in names or name == "redis_uptime_in_seconds":
            continue
        if addr is not None:
            if labels.pop("addr", None) != addr:
                continue
        elif name == "redis_instance_info":
            labels = {k: v for k, v in labels.items() if k not in INFO_ONLY_THEIRS}
        out[(name, frozenset(labels.items()))] = value
    return out


def test_compat_replication_metrics_match_redis_exporter(tmp_path: Path) -> None:
    with Topology(tmp_path / "topo", groups=("app-cache",), sentinels=0) as topo:
        args = [a for n in topo.redis for a in ("--redis.addr", n.uri)]
        with run_exporter([*args, "--sentinel.addr="], tmp_path) as ours:
            for node in topo.redis:
                with reference_exporter(node.uri, tmp_path) as reference:
                    mismatch: object = None
                    for _ in range(10):  # lag seconds may tick between the two reads
                        theirs = comparable(Samples.parse(http_get(reference.url)[1]), None)
                        mine = comparable(ours.scrape(), node.addr)
                        if theirs == mine:
                            break
                        mismatch = sorted(set(theirs.items()) ^ set(mine.items()))
                        time.sleep(0.3)
                    else:
                        pytest.fail(f"{node.name}: differs from redis_exporter: {mismatch}")
                    names = {name for name, _ in mine}
                    assert "redis_master_repl_offset" in names
                    if node is topo.redis[0]:
                        assert "redis_connected_slave_offset_bytes" in names
                    else:
                        assert "redis_master_link_up" in names
