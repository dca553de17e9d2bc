"""``make demo``: the seeds' topology on loopback, one exporter per "host", and — when the Debian
``prometheus`` and ``prometheus-alertmanager`` packages are installed — Prometheus with our rules
and Alertmanager, so a newcomer sees an alert fire after ``kill -9`` of the master.

Everything runs in a scratch directory and stops on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from harness.process import HOST, die_with_parent
from harness.topology import Topology

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "alerts" / "redis-ha.rules.yml"
ALERTMANAGER_CONFIG = REPO / "alerts" / "alertmanager.example.yml"
GROUP = "app-cache"


def prometheus_config(exporter_ports: list[int], alertmanager_port: int | None) -> str:
    targets = ", ".join(f"'{HOST}:{port}'" for port in exporter_ports)
    lines = [
        "global:",
        "  scrape_interval: 5s",
        "  evaluation_interval: 5s",
        "scrape_configs:",
        "  - job_name: redis_exporter",
        f"    static_configs: [{{targets: [{targets}]}}]",
    ]
    if RULES.exists():
        lines += ["rule_files:", f"  - {RULES}"]
    if alertmanager_port is not None:
        lines += [
            "alerting:",
            "  alertmanagers:",
            f"    - static_configs: [{{targets: ['{HOST}:{alertmanager_port}']}}]",
        ]
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    try:
        yield started
    finally:
        for proc in started:
            proc.terminate()
        for proc in started:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()


class DemoError(RuntimeError):
    """A demo process did not come up; the message says which and why."""


def wait_healthy(
    exporters: list[subprocess.Popen[bytes]], ports: list[int], logs: list[Path]
) -> None:
    """Wait until every exporter answers /health; fail at once, with its last log line, when
    one exits (a port already taken, say) and after 30 s when one never answers."""
    deadline = time.monotonic() + 30.0
    for proc, port, log in zip(exporters, ports, logs, strict=True):
        while True:
            if proc.poll() is not None:
                lines = log.read_text(errors="replace").splitlines() or ["(no output)"]
                raise DemoError(f"the exporter for :{port} exited: {lines[-1]}")
            try:
                with urllib.request.urlopen(f"http://{HOST}:{port}/health", timeout=1):
                    break
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise DemoError(f"the exporter for :{port} did not answer: {exc}") from exc
                time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--base-port",
        type=int,
        default=9121,
        help="first exporter port (default 9121; then +1, +2)",
    )
    parser.add_argument("--prometheus-port", type=int, default=9090)
    parser.add_argument("--alertmanager-port", type=int, default=9093)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="redis-ha-demo-"))
    print(f"starting 1 master, 2 replicas, 3 Sentinels (quorum 2) in {workdir} …", flush=True)
    with (
        Topology(
            workdir / "topology", groups=(GROUP,), down_after_ms=3000, failover_timeout_ms=20000
        ) as topo,
        processes() as running,
    ):
        ports = [args.base_port + i for i in range(3)]
        logs = [workdir / f"exporter-{port}.log" for port in ports]
        for host, port in enumerate(ports):
            redis_node, sentinel = topo.redis[host], topo.sentinels[host]
            with logs[host].open("wb") as log:
                running.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "redis_ha_exporter",
                            "--web.listen-address",
                            f"{HOST}:{port}",
                            "--redis.addr",
                            redis_node.uri,
                            "--sentinel.addr",
                            sentinel.uri,
                        ],
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        preexec_fn=die_with_parent,
                    )
                )
        prometheus, alertmanager = (
            shutil.which("prometheus"),
            shutil.which("prometheus-alertmanager"),
        )
        am_port = args.alertmanager_port if alertmanager else None
        if alertmanager and ALERTMANAGER_CONFIG.exists():
            running.append(
                subprocess.Popen(
                    [
                        alertmanager,
                        f"--config.file={ALERTMANAGER_CONFIG}",
                        f"--storage.path={workdir / 'alertmanager'}",
                        f"--web.listen-address={HOST}:{am_port}",
                        "--cluster.listen-address=",
                        "--log.level=warn",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    preexec_fn=die_with_parent,
                )
            )
        if prometheus:
            config = workdir / "prometheus.yml"
            config.write_text(prometheus_config(ports, am_port))
            running.append(
                subprocess.Popen(
                    [
                        prometheus,
                        f"--config.file={config}",
                        f"--storage.tsdb.path={workdir / 'prometheus'}",
                        f"--web.listen-address={HOST}:{args.prometheus_port}",
                        "--log.level=warn",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    preexec_fn=die_with_parent,
                )
            )
        try:
            wait_healthy(running[:3], ports, logs)
        except DemoError as exc:
            print(f"demo: {exc} (logs in {workdir})", file=sys.stderr)
            return 1
        master, sentinel = topo.redis[0], topo.sentinels[0]
        print("\nready. Each exporter watches one host's Redis and Sentinel:")
        for host, port in enumerate(ports):
            print(
                f"  host {host + 1}: curl -s http://{HOST}:{port}/metrics   "
                f"(redis {topo.redis[host].addr}, sentinel {topo.sentinels[host].addr})"
            )
        print(f"  recent Sentinel events: curl -s http://{HOST}:{ports[0]}/events")
        if prometheus:
            print(
                f"  Prometheus: http://{HOST}:{args.prometheus_port}/alerts   (rules: {RULES.name})"
            )
        if am_port:
            print(f"  Alertmanager: http://{HOST}:{am_port}")
        print("\ntrigger a failover:")
        print(f"  redis-cli -p {sentinel.port} sentinel failover {GROUP}")
        print(
            f"  kill -9 {master.pid}      # the master's redis-server: the Sentinels fail it over"
            " within seconds and RedisSentinelFailover fires"
        )
        print(f"  redis-cli -p {sentinel.port} sentinel get-master-addr-by-name {GROUP}")
        print("\nCtrl-C stops everything.", flush=True)
        stop = False

        def request_stop(*_: object) -> None:
            nonlocal stop
            stop = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        while not stop:
            time.sleep(0.2)
            if any(p.poll() is not None for p in running[:3]):
                print("an exporter exited; see its log in", workdir, file=sys.stderr)
                return 1
    shutil.rmtree(workdir, ignore_errors=True)
    print("stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
