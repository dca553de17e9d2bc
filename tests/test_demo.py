"""``make demo`` serves metrics from the seeds' topology and stops cleanly on Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import urllib.error

import pytest

from redis_ha_exporter.topology import HOST, free_port
from support import Samples, http_get, wait_for

pytestmark = pytest.mark.e2e


def test_demo_serves_every_host_and_stops_on_ctrl_c() -> None:
    base = free_port()  # and the next two: free on a quiet test machine
    args = [
        sys.executable,
        "-m",
        "redis_ha_exporter.demo",
        "--base-port",
        str(base),
        "--prometheus-port",
        str(free_port()),
        "--alertmanager-port",
        str(free_port()),
    ]
    demo = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(
            lambda: http_get(f"http://{HOST}:{base + 2}/health", timeout=1)[0] == 200, timeout=60
        )
        for port in range(base, base + 3):
            samples = Samples.parse(http_get(f"http://{HOST}:{port}/metrics")[1])
            ups = [value for _, value in samples.find("redis_up")]
            assert ups == [1.0, 1.0], port  # the host's Redis and its Sentinel
            assert samples.find("redis_sentinel_master_status", master_name="app-cache")
    finally:
        demo.send_signal(signal.SIGINT)
        output, _ = demo.communicate(timeout=30)
    assert demo.returncode == 0, output
    assert "sentinel failover app-cache" in output
    assert "stopped." in output
    with pytest.raises(urllib.error.URLError, match="refused"):
        http_get(f"http://{HOST}:{base}/health", timeout=1)
