"""``make demo``: the seeds' topology on loopback, one exporter per "host", and — when the Debian
``prometheus`` and ``prometheus-alertmanager`` packages are installed — Prometheus with our rules
and Alertmanager with our example configuration, so a newcomer sees an alert fire after
``kill -9`` of the master.

Run it from the repository (``make demo``, or ``python -m harness.demo`` at its root): the rules
and the Alertmanager example are read from there, and a missing one stops the demo with one line
before anything starts. Everything runs in a scratch directory and stops on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path

import yaml

from harness.exporter import ExporterProcess, run_exporter
from harness.process import HOST, HarnessError, binary, last_line
from harness.stack import (
    ALERTMANAGER_EXAMPLE,
    JOB,
    RULES,
    host_exporter_args,
    run_alertmanager,
    run_prometheus,
    static_job,
)
from harness.topology import Topology

GROUP = "app-cache"


def installed(name: str) -> bool:
    try:
        binary(name)
    except HarnessError:
        return False
    return True


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__)
    parser.add_argument(
        "--base-port",
        type=int,
        default=9121,
        help="first exporter port (default 9121; then +1, +2)",
    )
    parser.add_argument("--prometheus-port", type=int, default=9090)
    parser.add_argument("--alertmanager-port", type=int, default=9093)
    parser.add_argument("--rules", type=Path, default=RULES, help="Prometheus rule file")
    parser.add_argument(
        "--alertmanager-config", type=Path, default=ALERTMANAGER_EXAMPLE, help="Alertmanager config"
    )
    return parser.parse_args(argv)


def wait_for_stop(exporters: list[ExporterProcess]) -> None:
    """Return on Ctrl-C or SIGTERM; raise ``HarnessError`` when an exporter exits first."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(0.2):
        for exporter in exporters:
            if exporter.proc.poll() is not None:
                raise HarnessError(
                    f"the exporter for :{exporter.port} exited: {last_line(exporter.log_path)}"
                )


def run(args: argparse.Namespace, workdir: Path) -> None:
    print(f"starting 1 master, 2 replicas, 3 Sentinels (quorum 2) in {workdir} …", flush=True)
    with contextlib.ExitStack() as stack:
        topo = stack.enter_context(
            Topology(
                workdir / "topology", groups=(GROUP,), down_after_ms=3000, failover_timeout_ms=20000
            )
        )
        exporters = [
            stack.enter_context(
                run_exporter(host_exporter_args(topo, i), workdir, port=port, wait=False)
            )
            for i, port in enumerate(range(args.base_port, args.base_port + 3))
        ]
        for exporter in exporters:
            exporter.wait_healthy()
        alertmanager = None
        if installed("prometheus-alertmanager"):
            config = yaml.safe_load(args.alertmanager_config.read_text())
            alertmanager = stack.enter_context(
                run_alertmanager(workdir / "alertmanager", config, port=args.alertmanager_port)
            )
        prometheus = None
        if installed("prometheus"):
            prometheus = stack.enter_context(
                run_prometheus(
                    workdir / "prometheus",
                    [static_job(JOB, [f"{HOST}:{e.port}" for e in exporters])],
                    rule_files=[args.rules],
                    alertmanagers=[alertmanager.address] if alertmanager else [],
                    interval="5s",
                    port=args.prometheus_port,
                )
            )
        master, sentinel = topo.redis[0], topo.sentinels[0]
        print("\nready. Each exporter watches one host's Redis and Sentinel:")
        for host, exporter in enumerate(exporters):
            print(
                f"  host {host + 1}: curl -s {exporter.url}/metrics   "
                f"(redis {topo.redis[host].addr}, sentinel {topo.sentinels[host].addr})"
            )
        print(f"  recent Sentinel events: curl -s {exporters[0].url}/events")
        if prometheus:
            print(f"  Prometheus: {prometheus.url}/alerts   (rules: {args.rules.name})")
        if alertmanager:
            print(f"  Alertmanager: {alertmanager.url}")
        print("\ntrigger a failover:")
        print(f"  redis-cli -p {sentinel.port} sentinel failover {GROUP}")
        print(
            f"  kill -9 {master.pid}      # the master's redis-server: the Sentinels fail it over"
            " within seconds and RedisSentinelFailover fires"
        )
        print(f"  redis-cli -p {sentinel.port} sentinel get-master-addr-by-name {GROUP}")
        print("\nCtrl-C stops everything.", flush=True)
        wait_for_stop(exporters)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for path in (args.rules, args.alertmanager_config):
        if not path.is_file():
            print(f"demo: {path} not found (run the demo from the repository)", file=sys.stderr)
            return 2
    workdir = Path(tempfile.mkdtemp(prefix="redis-ha-demo-"))
    try:
        run(args, workdir)
    except HarnessError as exc:
        print(f"demo: {exc} (logs in {workdir})", file=sys.stderr)
        return 1
    shutil.rmtree(workdir, ignore_errors=True)
    print("stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
