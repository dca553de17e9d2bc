"""Exporters as real processes: ours (``python -m redis_ha_exporter``) and, for comparison,
Debian's ``prometheus-redis-exporter`` (oliver006/redis_exporter 1.45); and their exposition
parsed.

Each runs on a loopback port (free, unless one is given), logs to ``WORKDIR/exporter-PORT.log``
and is stopped on leaving the ``with`` block::

    with run_exporter(["--redis.addr", node.uri], tmp_path) as exporter:
        exporter.scrape().value("redis_up", addr=node.addr)     # 1.0

Or on a host of :mod:`harness.netns`, as the seeds run it — its defaults, ``:9121`` — logging to
``WORKDIR/exporter-HOSTNAME.log``::

    with run_exporter([], tmp_path, host=hosts[0]) as exporter:
        exporter.scrape().value("redis_up", addr="localhost:6379")
"""

from __future__ import annotations

import contextlib
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client.parser import text_string_to_metric_families

from harness.process import (
    HOST,
    HarnessError,
    binary,
    free_port,
    http_get,
    spawn,
    terminate,
    wait_ready,
)

if TYPE_CHECKING:
    from harness.netns import Host

DEFAULT_PORT = 9121
"""The port of the exporter's default listen address, ``:9121``."""
#: The hosts' own Python: Debian's ``python3``, which the Ansible role makes the exporter's venv
#: with (``redis_ha_exporter_python``).
SYSTEM_PYTHON = "/usr/bin/python3"
#: The wheelhouse ``make wheel`` builds (``WHEELHOUSE`` names another), relative to the repository.
WHEELHOUSE = Path(__file__).resolve().parents[1] / os.environ.get("WHEELHOUSE", "dist/wheelhouse")


def install_from_wheelhouse(
    venv: Path, wheelhouse: Path = WHEELHOUSE, python: str = SYSTEM_PYTHON
) -> tuple[str, ...]:
    """The exporter installed as the Ansible role installs it on a host: ``python -m venv``,
    then ``pip install`` from the wheelhouse without an index (kept when ``venv`` already has
    it). Returns the program to run it with (``run_exporter(..., program=...)``)."""
    interpreter = venv / "bin" / "python"
    if not (venv / "bin" / "redis-ha-exporter").exists():
        for command in (
            [python, "-m", "venv", str(venv)],
            [str(interpreter), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--no-index", "--find-links", str(wheelhouse), "redis-ha-exporter"],
        ):  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                raise HarnessError(f"{' '.join(command)}: {done.stderr.strip()[-500:]}")
    return (str(interpreter), "-m", "redis_ha_exporter")


@dataclass
class Samples:
    """Parsed exposition: ``value(name, **labels)`` finds the one sample matching the labels."""

    text: str
    rows: list[tuple[str, dict[str, str], float]] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> Samples:
        rows = [
            (s.name, dict(s.labels), s.value)
            for family in text_string_to_metric_families(text)
            for s in family.samples
        ]
        return cls(text, rows)

    def find(self, name: str, **labels: str) -> list[tuple[dict[str, str], float]]:
        return [
            (lab, value)
            for n, lab, value in self.rows
            if n == name and all(lab.get(k) == v for k, v in labels.items())
        ]

    def value(self, name: str, **labels: str) -> float:
        found = self.find(name, **labels)
        assert len(found) == 1, f"{name}{labels}: {len(found)} samples: {found}"
        return found[0][1]

    def names(self) -> set[str]:
        return {n for n, _, _ in self.rows}


@dataclass
class ExporterProcess:
    """A running ``python -m redis_ha_exporter`` on ``host:port``."""

    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    scheme: str = "http"
    ssl_context: ssl.SSLContext | None = None
    host: str = HOST

    @property
    def address(self) -> str:
        """``host:port``, a scrape target."""
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.address}"

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> tuple[int, str]:
        return http_get(self.url + path, headers, context=self.ssl_context)

    def scrape(self, path: str = "/metrics", timeout_header: float | None = None) -> Samples:
        headers = {}
        if timeout_header is not None:
            headers["X-Prometheus-Scrape-Timeout-Seconds"] = str(timeout_header)
        status, text = self.get(path, headers)
        assert status == 200, text
        return Samples.parse(text)

    def log(self) -> str:
        return self.log_path.read_text()

    def wait_healthy(self, timeout: float = 30.0) -> None:
        """Wait for ``/health``; raises ``HarnessError`` ("the exporter for :PORT exited: <its
        last log line>") when it exits first, e.g. because the port is taken."""
        wait_ready(
            self.proc,
            self.url + "/health",
            f"the exporter for :{self.port}",
            self.log_path,
            timeout=timeout,
            context=self.ssl_context,
        )


@contextlib.contextmanager
def run_exporter(
    args: Sequence[str],
    workdir: Path,
    env: Mapping[str, str] | None = None,
    scheme: str = "http",
    ssl_context: ssl.SSLContext | None = None,
    *,
    program: Sequence[str] = (sys.executable, "-m", "redis_ha_exporter"),
    listen_env: str | None = None,
    port: int | None = None,
    wait: bool = True,
    host: Host | None = None,
) -> Iterator[ExporterProcess]:
    """Start ``program`` with ``args`` and ``env`` added to our environment, wait for /health
    (unless ``wait`` is false: start several, then call ``wait_healthy`` on each), stop it
    after. The listen address is added as a first flag, or given in the variable ``listen_env``
    so that ``args`` stay as they are (a unit's command line). With ``host`` it runs inside that
    network namespace on its default listen address (``:port`` when a port is given)."""
    if host is None:
        port = free_port() if port is None else port
        listen: str | None = f"{HOST}:{port}"
        log_path = workdir / f"exporter-{port}.log"
    else:
        listen = None if port is None else f":{port}"
        port = DEFAULT_PORT if port is None else port
        log_path = workdir / f"exporter-{host.name}.log"
    flag = ["--web.listen-address", listen] if listen and not listen_env else []
    argv = [*program, *flag, *args]
    env = {**os.environ, **(env or {}), **({listen_env: listen} if listen_env and listen else {})}
    proc = (spawn if host is None else host.spawn)(argv, log_path, env=env)
    exporter = ExporterProcess(
        proc, port, log_path, scheme, ssl_context, HOST if host is None else host.ip
    )
    try:
        if wait:
            exporter.wait_healthy()
        yield exporter
    finally:
        terminate([proc])


@dataclass
class ReferenceExporter:
    """A running Debian ``prometheus-redis-exporter``; ``url`` is its /metrics."""

    proc: subprocess.Popen[bytes]
    url: str


@contextlib.contextmanager
def reference_exporter(redis_uri: str, workdir: Path) -> Iterator[ReferenceExporter]:
    """Debian's prometheus-redis-exporter (oliver006/redis_exporter 1.45) on ``redis_uri``."""
    port = free_port()
    log_path = workdir / f"reference-{port}.log"
    command = [
        binary("prometheus-redis-exporter"),
        "--redis.addr",
        redis_uri,
        "--web.listen-address",
        f"{HOST}:{port}",
    ]
    proc = spawn(command, log_path)
    url = f"http://{HOST}:{port}/metrics"
    try:
        wait_ready(proc, url, "prometheus-redis-exporter", log_path)
        yield ReferenceExporter(proc, url)
    finally:
        terminate([proc])
