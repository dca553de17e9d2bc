"""The topology launcher's own guarantees: distinct ports, and no process outliving a killed
test run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from harness.process import free_ports, wait_for


def test_free_ports_are_distinct() -> None:
    ports = free_ports(300)
    assert len(set(ports)) == 300


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child of a live parent stays a zombie until reaped; that is not "running".
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_a_killed_runner_leaves_no_redis_behind(tmp_path: Path) -> None:
    runner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from harness.topology import Topology\n"
            f"with Topology({str(tmp_path)!r}, groups=('g',), replicas=1, sentinels=1) as t:\n"
            "    print(*(n.pid for n in t.redis + t.sentinels), flush=True)\n"
            "    time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert runner.stdout is not None
    pids = [int(p) for p in runner.stdout.readline().split()]
    assert len(pids) == 3
    assert all(alive(pid) for pid in pids)
    runner.send_signal(signal.SIGKILL)  # no teardown runs
    runner.wait(10)
    wait_for(lambda: not any(alive(pid) for pid in pids), timeout=10)
