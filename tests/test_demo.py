"""``make demo`` serves metrics from the seeds' topology, starts Prometheus with our rules and
Alertmanager when they are installed (the alert fires after ``kill -9`` of the master), and stops
cleanly on Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.error

import pytest

from redis_ha_exporter.topology import HOST, free_port
from support import Samples, http_get, wait_for

pytestmark = pytest.mark.e2e


def alerts(prometheus: str) -> set[tuple[str, str]]:
    body = json.loads(http_get(f"{prometheus}/api/v1/alerts", timeout=2)[1])
    return {(a["labels"]["alertname"], a["state"]) for a in body["data"]["alerts"]}


def test_demo_serves_every_host_fires_an_alert_and_stops_on_ctrl_c() -> None:
    base, prom_port, am_port = free_port(), free_port(), free_port()
    args = [
        sys.executable,
        "-m",
        "redis_ha_exporter.demo",
        "--base-port",
        str(base),
        "--prometheus-port",
        str(prom_port),
        "--alertmanager-port",
        str(am_port),
    ]
    demo = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert demo.stdout is not None
    printed = []
    try:
        for line in demo.stdout:
            printed.append(line)
            if "Ctrl-C stops everything" in line:
                break
        text = "".join(printed)
        for port in range(base, base + 3):
            samples = Samples.parse(http_get(f"http://{HOST}:{port}/metrics")[1])
            ups = [value for _, value in samples.find("redis_up")]
            assert ups == [1.0, 1.0], port  # the host's Redis and its Sentinel
            assert samples.find("redis_sentinel_master_status", master_name="app-cache")
        prometheus = f"http://{HOST}:{prom_port}"
        wait_for(lambda: http_get(f"{prometheus}/-/ready", timeout=2)[0] == 200, timeout=30)
        rules = json.loads(http_get(f"{prometheus}/api/v1/rules")[1])["data"]["groups"]
        assert any(r["name"] == "RedisSentinelMasterODown" for g in rules for r in g["rules"])
        assert http_get(f"http://{HOST}:{am_port}/-/ready", timeout=2)[0] == 200
        pid = int(re.search(r"kill -9 (\d+)", text).group(1))  # type: ignore[union-attr]
        os.kill(pid, signal.SIGKILL)
        wait_for(
            lambda: (
                ("RedisSentinelMasterODown", "pending") in alerts(prometheus)
                or ("RedisSentinelMasterODown", "firing") in alerts(prometheus)
            ),
            timeout=60,
        )
    finally:
        demo.send_signal(signal.SIGINT)
        output, _ = demo.communicate(timeout=30)
    assert demo.returncode == 0, "".join(printed) + output
    assert "sentinel failover app-cache" in text
    assert "stopped." in output
    with pytest.raises(urllib.error.URLError, match="refused"):
        http_get(f"http://{HOST}:{base}/health", timeout=1)
