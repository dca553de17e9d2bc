"""What every launcher of the harness shares: free loopback ports, Debian binaries, starting and
stopping a process, waiting for it over HTTP, and what it costs (CPU time, memory).

A process is started with :func:`spawn` (output appended to a log file; the kernel kills it when
the starting process dies) and stopped with :func:`terminate` (SIGTERM, then SIGKILL after a
grace), so a killed test run leaves nothing behind::

    port = free_port()
    proc = spawn([binary("prometheus"), f"--web.listen-address={HOST}:{port}"], log_path)
    wait_for(lambda: http_get(f"http://{HOST}:{port}/-/ready")[0] == 200)
    terminate([proc])
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

HOST = "127.0.0.1"


class HarnessError(RuntimeError):
    """A process the harness starts is missing, or did not come up in time."""


def die_with_parent() -> None:
    """``preexec_fn`` for every process we start: the kernel sends it SIGKILL when the process
    that started it dies (``prctl(PR_SET_PDEATHSIG)``), so a test run killed by a timeout or
    Ctrl-C twice leaves no redis-server, Sentinel or Prometheus behind. Start such processes from
    the main thread: the signal follows the starting thread."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def free_ports(count: int, host: str = HOST) -> list[int]:
    """``count`` distinct TCP ports that were free on ``host`` a moment ago.

    All sockets stay bound until every port is chosen: ports picked one by one may repeat (the
    kernel hands a just-released port out again; 300 picks repeat a few), and two nodes of one
    topology on the same port is a flaky test.
    """
    with contextlib.ExitStack() as held:
        socks = [held.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind((host, 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def free_port(host: str = HOST) -> int:
    """A TCP port that was free on ``host`` a moment ago."""
    return free_ports(1, host)[0]


def binary(name: str) -> str:
    """Path of a Debian-packaged binary (``redis-server``, ``prometheus``, ...), also found in
    ``/usr/sbin`` when that is not on ``PATH``."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if found is None:
        raise HarnessError(f"{name} not found: install the Debian package ({name})")
    return found


def spawn(
    command: Sequence[str],
    log_path: Path,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``command`` with stdout and stderr appended to ``log_path`` and no stdin, in a
    session of its own (a terminal's Ctrl-C reaches only us, and we stop it); it dies with us
    (:func:`die_with_parent`)."""
    with log_path.open("ab") as log:
        return subprocess.Popen(
            list(command),
            cwd=cwd,
            env=None if env is None else dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )


def terminate(procs: Sequence[subprocess.Popen[bytes]], grace: float = 10.0) -> None:
    """Stop every process: SIGCONT (a stopped process cannot die), SIGTERM, and SIGKILL to those
    still running ``grace`` seconds later; each one is reaped."""
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGCONT)
            proc.terminate()
    deadline = time.monotonic() + grace
    for proc in procs:
        try:
            proc.wait(max(deadline - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def http_get(
    url: str,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    context: ssl.SSLContext | None = None,
) -> tuple[int, str]:
    """``(status, body)`` of a GET; an HTTP error status is returned, not raised (a refused
    connection raises ``OSError``)."""
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def last_line(path: Path) -> str:
    """The last non-blank line of a log file, or ``(no output)``."""
    lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def wait_ready(
    proc: subprocess.Popen[bytes],
    url: str,
    name: str,
    log_path: Path,
    *,
    timeout: float = 30.0,
    context: ssl.SSLContext | None = None,
) -> None:
    """Wait until ``GET url`` answers 200. Raises :class:`HarnessError` naming ``name`` at once,
    with the last line of its log, when the process exits (a port already taken, say), and after
    ``timeout`` seconds when it never answers."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise HarnessError(f"{name} exited: {last_line(log_path)}")
        with contextlib.suppress(OSError):
            if http_get(url, timeout=2, context=context)[0] == 200:
                return
        if time.monotonic() > deadline:
            raise HarnessError(f"{name} did not answer {url} within {timeout:.0f}s: see {log_path}")
        time.sleep(0.05)


def wait_for(predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.2) -> None:
    """Poll ``predicate()`` until truthy (assertion errors and refused connections count as
    false); raises ``AssertionError`` naming the last of them after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (AssertionError, OSError) as exc:
            last = exc
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s: {last}")


def rss_bytes(pid: int) -> int:
    """Resident memory of a running process (``VmRSS`` of ``/proc/PID/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise HarnessError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a running process has used (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
