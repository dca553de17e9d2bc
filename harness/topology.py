"""Topology launcher: real ``redis-server`` and ``redis-sentinel`` processes on loopback.

Used by the tests, ``make demo``, the benchmarks and the fixture recorders. It reproduces the
seeds' layout — per replication group one master and N replicas, and a set of Sentinels
monitoring every group with a quorum — on free loopback ports in a scratch directory, waits until
the Sentinels agree, and tears everything down (``SIGKILL`` after a short grace) even when the
caller failed::

    with Topology(tmp_path, groups=("app-cache",)) as topo:
        topo.redis[0].addr       # "127.0.0.1:40123", the first master
        topo.sentinel_failover("app-cache")

Or on the seeds' machines themselves, network namespaces of :mod:`harness.netns`: host ``i``
runs Redis ``i`` of the one group on ``6379`` (host 0 the master) and Sentinel ``i`` on ``26379``,
bound to ``127.0.0.1`` and the host's address, and every method works from the root namespace by
the hosts' addresses::

    with Hosts(3) as hosts, Topology(tmp_path, hosts=hosts) as topo:
        topo.redis[0].addr       # "10.213.17.2:6379", the master on host 0
        hosts[0].partition()
        topo.wait_new_master("mymaster", topo.redis[0].addr)

With ``tls=make_certificates(dir)`` (:mod:`harness.certs`) every process speaks TLS only, as a
TLS deployment does: replication and the Sentinels' own links too, and clients must present a
certificate of the CA (``tls-auth-clients yes``); ``node.uri`` is then ``rediss://``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import redis

from harness.certs import Certificates
from harness.process import HOST, HarnessError, binary, free_ports, spawn, terminate

if TYPE_CHECKING:
    from harness.netns import Host

SEED_REDIS_PORT, SEED_SENTINEL_PORT = 6379, 26379
"""The ports of the seeds' machines, each of which runs one Redis and one Sentinel."""


class TopologyError(HarnessError):
    """The topology did not come up (or settle) in time."""


@dataclass
class Node:
    """One running process of the topology."""

    name: str
    kind: str  # "redis" or "sentinel"
    port: int
    workdir: Path
    group: str = ""
    password: str | None = field(default=None, repr=False)
    tls: Certificates | None = None
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    stopped: bool = False
    host: str = HOST  # the address it is reached at
    netns: Host | None = field(default=None, repr=False)  # the namespace it runs in, if any

    @property
    def addr(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def uri(self) -> str:
        return f"{'rediss' if self.tls else 'redis'}://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def client(self, timeout: float = 2.0) -> redis.Redis:
        tls = self.tls
        return redis.Redis(
            host=self.host,
            port=self.port,
            password=self.password,
            protocol=2,
            decode_responses=True,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            ssl=tls is not None,
            ssl_ca_certs=str(tls.ca) if tls else None,
            ssl_certfile=str(tls.client_cert) if tls else None,
            ssl_keyfile=str(tls.client_key) if tls else None,
        )

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class Topology:
    """Replication groups and Sentinels on loopback; a context manager.

    ``down_after_ms`` defaults to 2000, not lower: a Sentinel pings every min(down-after, 1 s),
    so at 1000 ms a single late PONG from a just-promoted master marks it sdown and starts a
    second failover (seen on a busy two-core runner).

    ``redis_args`` and ``sentinel_args`` are extra lines of every ``redis.conf`` and
    ``sentinel.conf``. With ``monitor=False`` the Sentinels start monitoring nothing (the caller
    sends ``SENTINEL MONITOR``, to record the discovery, say) and :meth:`start` waits for the
    replication only. ``password`` is the Redis servers' (``requirepass``, and the Sentinels'
    ``auth-pass``); ``sentinel_password`` the Sentinels' own (they use it among themselves too).

    With ``hosts`` (network namespaces, :class:`harness.netns.Hosts`) there is one group, Redis
    ``i`` and Sentinel ``i`` run on host ``i`` on the seeds' ports, and ``replicas + 1`` and
    ``sentinels`` must not exceed the number of hosts.
    """

    def __init__(
        self,
        workdir: Path | str,
        *,
        groups: Sequence[str] = ("mymaster",),
        replicas: int = 2,
        sentinels: int = 3,
        quorum: int = 2,
        down_after_ms: int = 2000,
        failover_timeout_ms: int = 6000,
        redis_args: Sequence[str] = (),
        sentinel_args: Sequence[str] = (),
        monitor: bool = True,
        password: str | None = None,
        sentinel_password: str | None = None,
        tls: Certificates | None = None,
        hosts: Sequence[Host] | None = None,
    ) -> None:
        self.workdir = Path(workdir)
        self.groups = tuple(groups)
        self.replicas_per_group = replicas
        self.quorum = quorum
        self.down_after_ms = down_after_ms
        self.failover_timeout_ms = failover_timeout_ms
        self.redis_args = tuple(redis_args)
        self.sentinel_args = tuple(sentinel_args)
        self.monitor = monitor
        self.password = password
        self.sentinel_password = sentinel_password
        self.tls = tls
        self.redis: list[Node] = []
        self.sentinels: list[Node] = []
        if hosts is None:
            ports = iter(free_ports(len(self.groups) * (replicas + 1) + sentinels))
        elif len(self.groups) != 1 or replicas + 1 > len(hosts) or sentinels > len(hosts):
            raise ValueError(
                f"on {len(hosts)} hosts: one group, at most {len(hosts)} Redis servers and"
                f" {len(hosts)} Sentinels; not {self.groups}, {replicas + 1}, {sentinels}"
            )
        else:
            ports = iter([SEED_REDIS_PORT] * (replicas + 1) + [SEED_SENTINEL_PORT] * sentinels)
        for g, group in enumerate(self.groups):
            for i in range(replicas + 1):
                name = f"redis-{g}-{i}"
                node = Node(name, "redis", next(ports), self.workdir / name, group, password, tls)
                self.redis.append(node)
        for i in range(sentinels):
            name = f"sentinel-{i}"
            self.sentinels.append(
                Node(name, "sentinel", next(ports), self.workdir / name, "", sentinel_password, tls)
            )
        for nodes in (self.redis, self.sentinels):
            for node, host in zip(nodes, hosts or (), strict=False):
                node.host, node.netns = host.ip, host

    # --- lifecycle --------------------------------------------------------------------
    def __enter__(self) -> Topology:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self, timeout: float = 30.0) -> None:
        """Start every process, then wait for replication and Sentinel agreement."""
        for node in self.redis:
            self._write_redis_conf(node)
            self._spawn(node)
        for node in self.sentinels:
            self._write_sentinel_conf(node)
            self._spawn(node)
        self.wait_ready(timeout)

    def stop(self) -> None:
        """Stop every process (SIGTERM, SIGKILL after 3 s)."""
        nodes = [n for n in (*self.sentinels, *self.redis) if n.proc is not None]
        terminate([n.proc for n in nodes if n.proc is not None], grace=3.0)
        for node in nodes:
            node.proc = None

    def _spawn(self, node: Node) -> None:
        conf = node.workdir / f"{node.kind}.conf"
        server = "redis-sentinel" if node.kind == "sentinel" else "redis-server"
        launch = spawn if node.netns is None else node.netns.spawn
        node.proc = launch(
            [binary(server), str(conf)],
            node.workdir / "stdout.log",
            cwd=node.workdir,
        )
        node.stopped = False
        self._wait_ping(node, 10.0)

    def _wait_ping(self, node: Node, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if not node.alive:
                raise TopologyError(f"{node.name} exited: see {node.workdir}/stdout.log")
            try:
                with node.client(0.5) as client:
                    client.ping()
                return
            except redis.RedisError as exc:
                if time.monotonic() > deadline:
                    raise TopologyError(f"{node.name} does not answer PING: {exc}") from None
                time.sleep(0.05)

    def _write_redis_conf(self, node: Node) -> None:
        node.workdir.mkdir(parents=True, exist_ok=True)
        master = self.master_of_group(node.group, initial=True)
        lines = [
            *self._listen(node),
            f"dir {node.workdir}",
            "save ''",
            "appendonly no",
            "daemonize no",
            f"enable-debug-command {'local' if node.netns is None else 'yes'}",
            f"logfile {node.workdir}/redis.log",
            "repl-diskless-sync yes",
            "repl-diskless-sync-delay 0",
            *self.redis_args,
        ]
        if self.password is not None:
            lines += [f"requirepass {self.password}", f"masterauth {self.password}"]
        if node is not master:
            lines.append(f"replicaof {master.host} {master.port}")
        (node.workdir / "redis.conf").write_text("\n".join(lines) + "\n")

    def _write_sentinel_conf(self, node: Node) -> None:
        node.workdir.mkdir(parents=True, exist_ok=True)
        lines = [
            *self._listen(node),
            f"dir {node.workdir}",
            "daemonize no",
            f"logfile {node.workdir}/sentinel.log",
            *self.sentinel_args,
        ]
        if self.sentinel_password is not None:
            lines.append(f"requirepass {self.sentinel_password}")
        for group in self.groups if self.monitor else ():
            master = self.master_of_group(group, initial=True)
            lines += [
                f"sentinel monitor {group} {master.host} {master.port} {self.quorum}",
                f"sentinel down-after-milliseconds {group} {self.down_after_ms}",
                f"sentinel failover-timeout {group} {self.failover_timeout_ms}",
                f"sentinel parallel-syncs {group} 1",
            ]
            if self.password is not None:
                lines.append(f"sentinel auth-pass {group} {self.password}")
        (node.workdir / "sentinel.conf").write_text("\n".join(lines) + "\n")

    def _listen(self, node: Node) -> list[str]:
        """Where a node listens: on loopback; or on a host, on loopback and the host's address,
        which the root namespace and the other hosts reach (``DEBUG`` too, and no protected
        mode: a private network the test made). With ``tls``, on TLS only."""
        port = [f"port {node.port}"]
        if self.tls is not None:
            port = [
                "port 0",
                f"tls-port {node.port}",
                f"tls-cert-file {self.tls.server_cert}",
                f"tls-key-file {self.tls.server_key}",
                f"tls-ca-cert-file {self.tls.ca}",
                "tls-auth-clients yes",
                "tls-replication yes",
            ]
        if node.netns is None:
            return [f"bind {HOST}", *port]
        return [f"bind 127.0.0.1 {node.host}", *port, "protected-mode no"]

    # --- queries ----------------------------------------------------------------------
    def master_of_group(self, group: str, *, initial: bool = False) -> Node:
        """The group's master: the configured first node, or (default) what Sentinels say now."""
        members = [n for n in self.redis if n.group == group]
        if initial:
            return members[0]
        address = self.sentinel_master_address(group)
        for node in members:
            if node.addr == address:
                return node
        raise TopologyError(f"{group}: Sentinels name unknown master {address}")

    def group_members(self, group: str) -> list[Node]:
        return [n for n in self.redis if n.group == group]

    def sentinel_master_address(self, group: str, sentinel: Node | None = None) -> str:
        """``host:port`` of the group's master according to one Sentinel (the first running)."""
        node = sentinel or next(s for s in self.sentinels if s.alive and not s.stopped)
        with node.client() as client:
            host, port = client.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", group)
        return f"{host}:{port}"

    def _group_settled(self, group: str, sentinels: Sequence[Node], replicas: int) -> bool:
        addresses = set() if sentinels else {self.master_of_group(group, initial=True).addr}
        for sentinel in sentinels:
            with sentinel.client() as client:
                state = client.execute_command("SENTINEL", "MASTER", group)
            info = dict(zip(state[::2], state[1::2], strict=False))
            if info.get("flags") != "master":
                return False
            if int(info.get("num-other-sentinels", -1)) != len(sentinels) - 1:
                return False
            if int(info.get("num-slaves", -1)) < replicas:
                return False
            addresses.add(f"{info['ip']}:{info['port']}")
        if len(addresses) != 1:
            return False
        master = next(n for n in self.group_members(group) if n.addr in addresses)
        with master.client() as client:
            repl = client.info("replication")
        online = [
            k
            for k, v in repl.items()
            if k.startswith("slave") and isinstance(v, dict) and v.get("state") == "online"
        ]
        return repl.get("role") == "master" and len(online) >= replicas

    def wait_ready(self, timeout: float = 30.0, *, replicas: int | None = None) -> None:
        """Wait until every running Sentinel knows the others, sees the same healthy master of
        each group with ``replicas`` (default: all) replicas, and those replicas are online
        (Sentinels that monitor nothing: only the replicas)."""
        want = self.replicas_per_group if replicas is None else replicas
        deadline = time.monotonic() + timeout
        running = [s for s in self.sentinels if s.alive and not s.stopped] if self.monitor else []
        while True:
            try:
                if all(self._group_settled(g, running, want) for g in self.groups):
                    return
            except (redis.RedisError, StopIteration, KeyError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise TopologyError(f"Sentinels did not agree within {timeout:.0f}s")
            time.sleep(0.1)

    # --- faults -----------------------------------------------------------------------
    def sentinel_failover(self, group: str, timeout: float = 30.0) -> str:
        """``SENTINEL FAILOVER`` and wait for a new master; returns its address."""
        before = self.sentinel_master_address(group)
        with self.sentinels[0].client() as client:
            client.execute_command("SENTINEL", "FAILOVER", group)
        return self.wait_new_master(group, before, timeout)

    def wait_new_master(self, group: str, old: str, timeout: float = 30.0) -> str:
        """Wait until every running Sentinel names a master other than ``old``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                seen = {
                    self.sentinel_master_address(group, s)
                    for s in self.sentinels
                    if s.alive and not s.stopped
                }
                if len(seen) == 1 and old not in seen:
                    return seen.pop()
            time.sleep(0.1)
        raise TopologyError(f"{group}: no new master within {timeout:.0f}s")

    def kill(self, node: Node, sig: signal.Signals = signal.SIGKILL) -> None:
        """Send ``sig`` (SIGKILL, SIGSTOP, SIGCONT, …) to one process."""
        os.kill(node.pid, sig)
        if sig == signal.SIGSTOP:
            node.stopped = True
        elif sig == signal.SIGCONT:
            node.stopped = False
        elif sig in (signal.SIGKILL, signal.SIGTERM):
            assert node.proc is not None
            node.proc.wait(5)

    def debug_sleep(self, node: Node, seconds: float) -> None:
        """Block ``node`` with ``DEBUG SLEEP`` (returns when the server wakes up)."""
        with node.client(timeout=seconds + 10) as client:
            client.execute_command("DEBUG", "SLEEP", str(seconds))

    def restart(self, node: Node) -> None:
        """Start a killed process again with its (possibly rewritten) config."""
        if node.alive:
            self.kill(node, signal.SIGKILL)
        self._spawn(node)

    def nodes(self) -> Iterator[Node]:
        yield from self.redis
        yield from self.sentinels
