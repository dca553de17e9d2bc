"""Shared helpers for end-to-end tests: run the exporter as a real process and read its output."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from redis_ha_exporter.topology import HOST, free_port

Labels = frozenset[tuple[str, str]]


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


def http_get(
    url: str, headers: Mapping[str, str] | None = None, timeout: float = 30.0
) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@dataclass
class ExporterProcess:
    """A running ``python -m redis_ha_exporter`` on a free loopback port."""

    proc: subprocess.Popen[str]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> tuple[int, str]:
        return http_get(self.url + path, headers)

    def scrape(self, path: str = "/metrics", timeout_header: float | None = None) -> Samples:
        headers = {}
        if timeout_header is not None:
            headers["X-Prometheus-Scrape-Timeout-Seconds"] = str(timeout_header)
        status, text = self.get(path, headers)
        assert status == 200, text
        return Samples.parse(text)

    def log(self) -> str:
        return self.log_path.read_text()


@contextlib.contextmanager
def run_exporter(
    args: Sequence[str], workdir: Path, env: Mapping[str, str] | None = None
) -> Iterator[ExporterProcess]:
    """Start the exporter with ``args`` (listen address added), wait for /health, stop after."""
    port = free_port()
    log_path = workdir / f"exporter-{port}.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "redis_ha_exporter",
            "--web.listen-address",
            f"{HOST}:{port}",
            *args,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    exporter = ExporterProcess(proc, port, log_path)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, f"exporter exited: {log_path.read_text()}"
            with contextlib.suppress(OSError):
                if http_get(exporter.url + "/health", timeout=1)[0] == 200:
                    break
            assert time.monotonic() < deadline, "exporter did not become healthy"
            time.sleep(0.05)
        yield exporter
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def wait_for(predicate: object, timeout: float = 30.0, interval: float = 0.2) -> None:
    """Poll ``predicate()`` until truthy (assertion errors count as false)."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except AssertionError as exc:
            last = exc
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s: {last}")


@contextlib.contextmanager
def reference_exporter(redis_uri: str, workdir: Path) -> Iterator[str]:
    """Debian's prometheus-redis-exporter (oliver006/redis_exporter 1.45) on ``redis_uri``;
    yields its /metrics URL."""
    binary = shutil.which("prometheus-redis-exporter")
    assert binary, "prometheus-redis-exporter missing: make test installs the Debian package"
    port = free_port()
    log = (workdir / f"reference-{port}.log").open("w")
    proc = subprocess.Popen(
        [binary, "--redis.addr", redis_uri, "--web.listen-address", f"{HOST}:{port}"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://{HOST}:{port}/metrics"
    try:
        for _ in range(100):
            with contextlib.suppress(OSError):
                if http_get(url, timeout=1)[0] == 200:
                    break
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
