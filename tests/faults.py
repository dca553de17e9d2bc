"""What the fault tests, the chaos run and the soak share: a client that scrapes all the time and
keeps the record, HTTP clients that misbehave, and the exporter's own connections to a server.

:class:`Prober` scrapes a URL several times a second in a thread, as a Prometheus with a short
interval would, and keeps for every answer its status, how long it took and the values of the
series the test watches; the test asks it what it saw::

    with Prober(exporter.url + "/metrics", timeout=2.0) as prober:
        host.partition(); ...; healed = time.monotonic(); host.heal()
        prober.late_or_failed()                     # [] : every answer 200, within the deadline
        prober.reached(healed, lambda v: v[f'redis_up{{addr="{addr}"}}'] == 1)  # seconds
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import redis

from harness.process import http_get

#: The series a :class:`Prober` keeps from every answer (the samples of these families).
WATCHED = (
    "redis_up",
    "redis_sentinel_event_stream_up",
    "redis_sentinel_failovers_total",
    "redis_sentinel_event_stream_reconnects_total",
    "redis_sentinel_master_failover_in_progress",
    "redis_instance_info",
)
Values = dict[str, float]


def up(addr: str) -> str:
    """The key of ``addr``'s ``redis_up`` in :class:`Values`."""
    return f'redis_up{{addr="{addr}"}}'


def stream(addr: str) -> str:
    """The key of Sentinel ``addr``'s ``redis_sentinel_event_stream_up``."""
    return f'redis_sentinel_event_stream_up{{addr="{addr}"}}'


def failovers(addr: str, master_name: str) -> str:
    """The key of the failovers Sentinel ``addr`` counted of ``master_name``."""
    return f'redis_sentinel_failovers_total{{addr="{addr}",master_name="{master_name}"}}'


def watched_values(text: str, names: Sequence[str] = WATCHED) -> Values:
    """``{'redis_up{addr="h:1"}': 1.0, ...}`` for the samples of ``names`` in an exposition."""
    prefixes = tuple(f"{name}{{" for name in names) + tuple(f"{name} " for name in names)
    values: Values = {}
    for line in text.splitlines():
        if line.startswith(prefixes):
            key, _, value = line.rpartition(" ")
            values[key] = float(value)
    return values


@dataclass
class Probe:
    """One scrape: when it started (``time.monotonic()``), its HTTP status (0: no answer at
    all), how long it took, and the watched values of its body."""

    started: float
    status: int
    seconds: float
    values: Values = field(default_factory=dict)


class Prober:
    """Scrapes ``url`` every ``interval`` seconds in a thread, sending Prometheus' timeout
    header (``timeout``); a context manager that stops on leaving."""

    def __init__(self, url: str, *, timeout: float = 2.0, interval: float = 0.2) -> None:
        self.url = url
        self.timeout = timeout
        self.interval = interval
        self.probes: list[Probe] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(self.timeout + 30)

    def _run(self) -> None:
        headers = {"X-Prometheus-Scrape-Timeout-Seconds": str(self.timeout)}
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                status, body = http_get(self.url, headers, timeout=self.timeout + 30)
            except OSError:
                status, body = 0, ""
            probe = Probe(started, status, time.monotonic() - started, watched_values(body))
            with self._lock:
                self.probes.append(probe)
            self._stop.wait(max(self.interval - probe.seconds, 0.0))

    def record(self, since: float = 0.0) -> list[Probe]:
        with self._lock:
            return [p for p in self.probes if p.started >= since]

    def wait_probes(self, count: int, timeout: float = 60.0) -> None:
        """Wait until ``count`` more scrapes have been answered."""
        target = len(self.record()) + count
        deadline = time.monotonic() + timeout
        while len(self.record()) < target:
            assert time.monotonic() < deadline, f"fewer than {count} scrapes in {timeout}s"
            time.sleep(0.05)

    def late_or_failed(self, since: float = 0.0) -> list[Probe]:
        """Answers that were not 200, or came later than the timeout Prometheus would wait."""
        return [p for p in self.record(since) if p.status != 200 or p.seconds > self.timeout]

    def reached(
        self, since: float, healthy: Callable[[Values], bool], timeout: float = 60.0
    ) -> float:
        """Seconds from ``since`` to the end of the first scrape started after it whose values
        satisfy ``healthy`` (a missing series does not), as every later one does — two at least
        (waits up to ``timeout`` for them)."""
        deadline = time.monotonic() + timeout
        while True:
            probes = self.record(since)
            good = [p.status == 200 and _safe(healthy, p.values) for p in probes]
            for i, probe in enumerate(probes):
                if all(good[i:]) and len(probes) - i >= 3:
                    return probe.started + probe.seconds - since
            if time.monotonic() > deadline:
                raise AssertionError(f"not reached within {timeout}s: {probes[-1:]}")
            time.sleep(0.1)

    def summary(self, since: float = 0.0) -> str:
        probes = self.record(since)
        worst = max((p.seconds for p in probes), default=0.0)
        bad = len(self.late_or_failed(since))
        return f"{len(probes)} scrapes, {bad} not 200 or late, slowest {worst:.2f}s"


def _safe(healthy: Callable[[Values], bool], values: Values) -> bool:
    try:
        return bool(healthy(values))
    except KeyError:
        return False


# --- the exporter's own connections -----------------------------------------------------------


def _address(hex_address: str) -> str:
    """``0100007F:1F90`` (``/proc/net/tcp``, little-endian words) → ``127.0.0.1:8080``."""
    host, port = hex_address.split(":")
    raw = b"".join(bytes.fromhex(host[i : i + 8])[::-1] for i in range(0, len(host), 8))
    ip = ipaddress.ip_address(raw)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return f"{ip}:{int(port, 16)}"


def connections(pid: int) -> list[tuple[str, str]]:
    """``(local, remote)`` ``host:port`` pairs of the established TCP connections of ``pid``."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = fd.readlink().as_posix()
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes and fields[3] == "01":  # ESTABLISHED
                found.append((_address(fields[1]), _address(fields[2])))
    return found


def kill_clients_of(pid: int, server: redis.Redis) -> list[str]:
    """``CLIENT KILL`` every connection of process ``pid`` to ``server``; the last command of
    each connection killed."""
    ours = {local for local, _ in connections(pid)}
    killed = []
    for client in server.client_list():
        if client["addr"] in ours:
            server.execute_command("CLIENT", "KILL", "ID", client["id"])  # type: ignore[no-untyped-call]
            killed.append(str(client["cmd"]))
    return killed


def open_fds(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


# --- HTTP clients that misbehave --------------------------------------------------------------


def _connect(host: str, port: int) -> socket.socket:
    return socket.create_connection((host, port), timeout=10)


@contextlib.contextmanager
def idle_keepalive(host: str, port: int, count: int) -> Iterator[list[socket.socket]]:
    """``count`` connections that each made one keep-alive request (``/health``), read the
    answer and stay open, idle."""
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = _connect(host, port)
            socks.append(sock)
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
            assert b"200 OK" in sock.recv(4096)
        yield socks
    finally:
        for sock in socks:
            sock.close()


@contextlib.contextmanager
def slow_writers(
    host: str, port: int, count: int, paths: Sequence[str]
) -> Iterator[list[socket.socket]]:
    """``count`` connections sending a request's headers one byte a second, never finishing."""
    socks = [_connect(host, port) for _ in range(count)]
    stop = threading.Event()

    def trickle() -> None:
        for i, sock in enumerate(socks):
            with contextlib.suppress(OSError):
                sock.sendall(f"GET {paths[i % len(paths)]} HTTP/1.1\r\nHost: x\r\n".encode())
        while not stop.wait(1.0):
            for sock in socks:
                with contextlib.suppress(OSError):
                    sock.sendall(b"X")

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        yield socks
    finally:
        stop.set()
        thread.join(5)
        for sock in socks:
            sock.close()


@contextlib.contextmanager
def slow_readers(
    host: str, port: int, count: int, paths: Sequence[str]
) -> Iterator[list[socket.socket]]:
    """``count`` connections that send a whole request (keep-alive, pipelined three times) and
    never read the answers, with the smallest receive buffer the kernel gives."""
    socks = []
    try:
        for i in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
            sock.connect((host, port))
            socks.append(sock)
            request = f"GET {paths[i % len(paths)]} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
            sock.sendall(request * 3)
        yield socks
    finally:
        for sock in socks:
            sock.close()


def raw_request(host: str, port: int, request: bytes, timeout: float = 10.0) -> int:
    """Send ``request`` as it is; the status of the answer (0: the connection closed without
    one)."""
    with _connect(host, port) as sock:
        sock.settimeout(timeout)
        with contextlib.suppress(OSError):
            sock.sendall(request)
        try:
            head = sock.recv(64)
        except OSError:
            return 0
    parts = head.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def oversized_requests(path: str) -> dict[str, bytes]:
    """Requests for ``path`` that no server should take as they are: an oversized header, an
    oversized query string, too many headers."""
    joiner = "&" if "?" in path else "?"
    query = urllib.parse.quote("x" * 1_000_000)
    return {
        "64 KiB header": (
            f"GET {path} HTTP/1.1\r\nHost: x\r\nX-Big: {'a' * 65536}\r\n\r\n".encode()
        ),
        "1 MB query string": f"GET {path}{joiner}q={query} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
        "1000 headers": (
            f"GET {path} HTTP/1.1\r\nHost: x\r\n".encode()
            + b"".join(b"X-H%d: v\r\n" % i for i in range(1000))
            + b"\r\n"
        ),
    }
