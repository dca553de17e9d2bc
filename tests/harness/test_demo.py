"""``make demo`` serves metrics from the seeds' topology, starts Prometheus with our rules and
Alertmanager when they are installed (the failover alert reaches Alertmanager after ``kill -9`` of
the master), stops cleanly on Ctrl-C, says which exporter could not start, and refuses to start
without the rules it would load."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
from pathlib import Path

import pytest

from harness.exporter import Samples
from harness.process import HOST, http_get, wait_for
from harness.stack import REPO
from support import free_port_run

pytestmark = pytest.mark.e2e


def alerts(prometheus: str) -> set[tuple[str, str]]:
    body = json.loads(http_get(f"{prometheus}/api/v1/alerts", timeout=2)[1])
    return {(a["labels"]["alertname"], a["state"]) for a in body["data"]["alerts"]}


def demo_command(base: int) -> list[str]:
    """``make demo`` on ports base .. base+4: three exporters, Prometheus, Alertmanager."""
    return [
        sys.executable,
        "-m",
        "harness.demo",
        "--base-port",
        str(base),
        "--prometheus-port",
        str(base + 3),
        "--alertmanager-port",
        str(base + 4),
    ]


def run_demo(argv: list[str], scratch: Path) -> subprocess.CompletedProcess[str]:
    """The demo run to its end, its scratch directory under ``scratch``."""
    env = {**os.environ, "TMPDIR": str(scratch)}
    return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_demo_serves_every_host_fires_an_alert_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    base = free_port_run(5)
    prom_port, am_port = base + 3, base + 4
    demo = subprocess.Popen(
        demo_command(base),
        cwd=REPO,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert demo.stdout is not None
    printed = []
    try:
        for line in demo.stdout:
            printed.append(line)
            if "Ctrl-C stops everything" in line:
                break
        text = "".join(printed)
        assert "Ctrl-C stops everything" in text, text
        for port in range(base, base + 3):
            samples = Samples.parse(http_get(f"http://{HOST}:{port}/metrics")[1])
            ups = [value for _, value in samples.find("redis_up")]
            assert ups == [1.0, 1.0], port  # the host's Redis and its Sentinel
            assert samples.find("redis_sentinel_master_status", master_name="app-cache")
        prometheus = f"http://{HOST}:{prom_port}"
        wait_for(lambda: http_get(f"{prometheus}/-/ready", timeout=2)[0] == 200, timeout=30)
        rules = json.loads(http_get(f"{prometheus}/api/v1/rules")[1])["data"]["groups"]
        assert any(r["name"] == "RedisSentinelMasterODown" for g in rules for r in g["rules"])
        alertmanager = f"http://{HOST}:{am_port}"
        assert http_get(f"{alertmanager}/-/ready", timeout=2)[0] == 200
        pid = int(re.search(r"kill -9 (\d+)", text).group(1))  # type: ignore[union-attr]
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: ("RedisSentinelFailover", "firing") in alerts(prometheus), timeout=60)
        wait_for(
            lambda: "RedisSentinelFailover" in http_get(f"{alertmanager}/api/v2/alerts")[1],
            timeout=30,
        )
    finally:
        demo.send_signal(signal.SIGINT)
        output, _ = demo.communicate(timeout=30)
    assert demo.returncode == 0, "".join(printed) + output
    assert "sentinel failover app-cache" in text
    assert "stopped." in output
    with pytest.raises(urllib.error.URLError, match="refused"):
        http_get(f"http://{HOST}:{base}/health", timeout=1)
    assert not list(tmp_path.glob("redis-ha-demo-*")), "a clean stop removes the scratch directory"


def test_demo_names_the_exporter_that_cannot_bind_and_exits_1(tmp_path: Path) -> None:
    base = free_port_run(5)
    with socket.socket() as squatter:
        squatter.bind((HOST, base + 1))
        squatter.listen()
        demo = run_demo(demo_command(base), tmp_path)
    assert demo.returncode == 1, demo.stdout + demo.stderr
    assert f"the exporter for :{base + 1} exited" in demo.stderr
    assert "address already in use" in demo.stderr
    assert "Ctrl-C stops everything" not in demo.stdout
    assert (next(tmp_path.glob("redis-ha-demo-*")) / f"exporter-{base + 1}.log").exists()


@pytest.mark.parametrize("flag", ["--rules", "--alertmanager-config"])
def test_demo_without_its_rules_or_alertmanager_config_stops_with_one_line(
    tmp_path: Path, flag: str
) -> None:
    missing = tmp_path / "missing.yml"
    demo = run_demo([*demo_command(free_port_run(5)), flag, str(missing)], tmp_path)
    assert demo.returncode == 2, demo.stdout + demo.stderr
    assert demo.stderr.splitlines() == [
        f"demo: {missing} not found (run the demo from the repository)"
    ]
    assert demo.stdout == ""
    assert not list(tmp_path.glob("redis-ha-demo-*")), "nothing started"
