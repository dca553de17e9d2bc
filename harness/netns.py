"""Hosts as network namespaces: the seeds' three machines on one box, with real network faults.

``Hosts(count)`` creates a bridge in the root namespace and ``count`` network namespaces, each
joined to the bridge by a veth pair, on a private /24 of its own (chosen free, per run). The root
namespace — the test, Prometheus, Alertmanager — is ``hosts.gateway`` (``.1``) on the bridge;
host ``i`` is ``.(i + 2)`` on its ``eth0``, with its own loopback, so every host can run Redis on
``127.0.0.1:6379`` and an exporter on ``:9121`` like the seeds' machines. Needs root (CI runs as
root) and iproute2 only::

    with Hosts(3) as hosts, Topology(tmp_path, hosts=hosts) as topo:
        hosts[0].ip                 # "10.213.17.2": Redis on :6379, Sentinel on :26379 there
        topo.redis[0].addr          # "10.213.17.2:6379", the master, reached from the root
        with run_exporter([], tmp_path, host=hosts[1]) as exporter:   # its defaults, on :9121
            exporter.url            # "http://10.213.17.3:9121"
        hosts[2].partition()        # host 2 hears nobody: connects to and from it time out
        hosts[2].heal()
        hosts[1].cut_from(hosts[0]) # host 1 and host 0 no longer hear each other
        hosts[1].restore(hosts[0])
        hosts[0].run(["ip", "rule"]).stdout

A fault drops packets where they *arrive* at the host: an ``ip rule`` with the ``blackhole``
action for packets coming in on its ``eth0`` (from everyone for :meth:`Host.partition`, from one
address for :meth:`Host.cut_from`). A peer's SYN vanishes, and so does the answer to the host's
own SYN: both sides see a timeout, never a refusal (no RST, no ICMP), and the host's loopback is
untouched. (A blackhole *route* would make the host's own connects fail at once with ``EINVAL``,
and tc's drop actions — netem, matchall — are not in every kernel, this CI's included.)

Nothing outlives the run. Leaving the ``with`` block stops the processes started with
:meth:`Host.spawn` and deletes the links and namespaces, even when the test failed. When the
runner is killed, those processes die with it (``PR_SET_PDEATHSIG``) and a reaper — a shell in a
session of its own, reading a pipe from us — deletes the links and namespaces as the pipe closes.
Should the reaper die too, the next ``Hosts`` deletes every namespace and link named with our
prefix whose owner (the pid in the name) is gone.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import itertools
import json
import os
import re
import string
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import overload

from harness.process import HarnessError, binary, die_with_parent, spawn, terminate

PREFIX = "rhx"
"""Every namespace, bridge and veth we create is named ``rhx<owner pid><letter>[<host>]``."""
OWNED = re.compile(rf"^{PREFIX}(\d+)[a-z]\d*$")
POOL = ipaddress.IPv4Network("10.213.0.0/16")
"""The /24s a run may take: the first one no route of the root namespace overlaps."""
LOCK = Path("/run/lock/redis-ha-exporter-netns.lock")
"""Held while a run sweeps and chooses its names and subnet: concurrent runs never collide."""
DEVICE = "eth0"
"""The host's end of its veth pair, inside its namespace."""
LOCAL_RULE_PREF = 100
"""The ``lookup local`` rule moves here from 0, so that fault rules can come before it."""
PARTITION_PREF = 10
CUT_PREF = 20


def ip(*args: str, check: bool = True) -> str:
    """Run ``ip ARGS`` and return its output; a failure raises ``HarnessError`` with its stderr."""
    done = subprocess.run([binary("ip"), *args], capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise HarnessError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def listed(*args: str) -> list[dict[str, str]]:
    """``ip -j ARGS`` parsed (``ip -j netns list`` prints nothing at all when there are none)."""
    text = ip("-j", *args).strip()
    return list(json.loads(text)) if text else []


def owner_gone(name: str) -> bool:
    """Whether the process whose pid the name ``rhx<pid>…`` carries has ended."""
    match = OWNED.match(name)
    assert match is not None, name
    return not Path(f"/proc/{match[1]}").exists()


def ours() -> tuple[list[str], list[str]]:
    """Names of the namespaces and root-namespace links with our prefix, of any owner."""
    namespaces = [n["name"] for n in listed("netns", "list") if OWNED.match(n["name"])]
    links = [n["ifname"] for n in listed("link", "show") if OWNED.match(n["ifname"])]
    return namespaces, links


def sweep() -> None:
    """Delete the namespaces and links of runs that died without cleaning up."""
    namespaces, links = ours()
    for link in filter(owner_gone, links):
        ip("link", "delete", link, check=False)
    for namespace in filter(owner_gone, namespaces):
        ip("netns", "delete", namespace, check=False)


class Host:
    """One machine: a network namespace named ``name`` whose ``eth0`` has the address ``ip``."""

    def __init__(self, name: str, address: str) -> None:
        self.name = name
        self.ip = address
        self.procs: list[subprocess.Popen[bytes]] = []
        self.partitioned = False
        self.cut: set[str] = set()

    def __repr__(self) -> str:
        return f"Host({self.name}, {self.ip})"

    def command(self, argv: Sequence[str]) -> list[str]:
        """``argv`` run inside the namespace (``ip netns exec`` execs it: same pid)."""
        return [binary("ip"), "netns", "exec", self.name, *argv]

    def run(self, argv: Sequence[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside the namespace to completion; its output is captured as text."""
        return subprocess.run(
            self.command(argv),
            capture_output=True,
            text=True,
            check=check,
            timeout=60,
            preexec_fn=die_with_parent,
        )

    def spawn(
        self,
        command: Sequence[str],
        log_path: Path,
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.Popen[bytes]:
        """:func:`harness.process.spawn` inside the namespace; stopped, if still running, when
        the ``Hosts`` block ends."""
        proc = spawn(self.command(command), log_path, cwd=cwd, env=env)
        self.procs.append(proc)
        return proc

    # --- faults -----------------------------------------------------------------------
    def partition(self) -> None:
        """Drop every packet reaching this host from outside (the hosts speak IPv4 only): it
        neither hears nor is heard, connects both ways time out; its loopback still works."""
        if not self.partitioned:
            self._rule("add", str(PARTITION_PREF))
            self.partitioned = True

    def cut_from(self, peer: Host | str) -> None:
        """Drop the packets between this host and ``peer`` (a host or an address), both ways."""
        address = peer.ip if isinstance(peer, Host) else peer
        if address not in self.cut:
            self._rule("add", str(CUT_PREF), "from", address)
            self.cut.add(address)

    def restore(self, peer: Host | str) -> None:
        """Undo :meth:`cut_from` for ``peer``."""
        address = peer.ip if isinstance(peer, Host) else peer
        if address in self.cut:
            self._rule("delete", str(CUT_PREF), "from", address)
            self.cut.discard(address)

    def heal(self) -> None:
        """Undo :meth:`partition` and every :meth:`cut_from`: the host's network is whole."""
        if self.partitioned:
            self._rule("delete", str(PARTITION_PREF))
            self.partitioned = False
        for address in sorted(self.cut):
            self.restore(address)

    def _rule(self, action: str, pref: str, *match: str) -> None:
        ip("-n", self.name, "rule", action, "pref", pref, "iif", DEVICE, *match, "blackhole")


class Hosts(Sequence[Host]):
    """``count`` hosts on a bridge of the root namespace; a context manager (see the module)."""

    def __init__(self, count: int = 3) -> None:
        if not 1 <= count <= 200:
            raise ValueError(f"count: 1 to 200 hosts, not {count}")
        self.size = count
        self.bridge = ""
        self.subnet = ipaddress.IPv4Network("0.0.0.0/32")
        self.names: list[str] = []  # the hosts' namespaces, and their veths in the root namespace
        self.hosts: list[Host] = []
        self.reaper: subprocess.Popen[bytes] | None = None

    @property
    def gateway(self) -> str:
        """The root namespace's address on the bridge (the test, Prometheus, Alertmanager)."""
        return str(self.subnet[1])

    @overload
    def __getitem__(self, index: int) -> Host: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Host]: ...
    def __getitem__(self, index: int | slice) -> Host | Sequence[Host]:
        return self.hosts[index]

    def __len__(self) -> int:
        return len(self.hosts)

    def __iter__(self) -> Iterator[Host]:
        return iter(self.hosts)

    # --- lifecycle --------------------------------------------------------------------
    def __enter__(self) -> Hosts:
        self.create()
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def create(self) -> None:
        """Build the hosts; what was built is removed again when a step fails."""
        try:
            self._build()
        except BaseException:
            self.remove()
            raise

    def _build(self) -> None:
        """Choose free names and a free /24 (under a lock shared by every run), then build."""
        if os.geteuid() != 0:
            raise HarnessError("network namespaces (ip netns) need root")
        LOCK.parent.mkdir(parents=True, exist_ok=True)
        with LOCK.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            sweep()
            taken = {name.rstrip(string.digits) for name in itertools.chain(*ours())}
            tags = (f"{PREFIX}{os.getpid()}{letter}" for letter in string.ascii_lowercase)
            self.bridge = next(tag for tag in tags if tag not in taken)
            self.subnet = self._free_subnet()
            self.names = [f"{self.bridge}{i}" for i in range(self.size)]
            self._start_reaper()
            ip("link", "add", self.bridge, "type", "bridge")
            ip("address", "add", f"{self.gateway}/24", "dev", self.bridge)
            ip("link", "set", self.bridge, "up")
        for i, name in enumerate(self.names):
            self.hosts.append(self._add_host(i, name))

    def _free_subnet(self) -> ipaddress.IPv4Network:
        used = [
            ipaddress.IPv4Network(route["dst"], strict=False)
            for route in listed("-4", "route", "show", "table", "all")
            if route.get("dst", "default") != "default"
        ]
        subnets = list(POOL.subnets(new_prefix=24))
        start = os.getpid() % len(subnets)
        for subnet in itertools.islice(itertools.cycle(subnets), start, start + len(subnets)):
            if not any(subnet.overlaps(u) for u in used):
                return subnet
        raise HarnessError(f"no free /24 left in {POOL}")

    def _add_host(self, index: int, name: str) -> Host:
        host = Host(name, str(self.subnet[index + 2]))
        ip("netns", "add", name)
        ip("link", "add", name, "type", "veth", "peer", "name", DEVICE, "netns", name)
        ip("link", "set", name, "master", self.bridge, "up")
        ip("-n", name, "link", "set", "lo", "up")
        ip("-n", name, "address", "add", f"{host.ip}/24", "dev", DEVICE)
        ip("-n", name, "link", "set", DEVICE, "up")
        ip("-n", name, "rule", "add", "pref", str(LOCAL_RULE_PREF), "lookup", "local")
        ip("-n", name, "rule", "delete", "pref", "0", "lookup", "local")
        return host

    def _start_reaper(self) -> None:
        """A shell that deletes our links and namespaces unless we say ``done`` first: when we
        die, our end of its stdin closes and its ``read`` returns."""
        command = binary("ip")
        deletions = [
            *(f"{command} link delete {n}" for n in (*self.names, self.bridge)),
            *(f"{command} netns delete {n}" for n in self.names),
        ]
        script = 'read -r said; [ "$said" = done ] && exit 0; ' + "; ".join(deletions)
        self.reaper = subprocess.Popen(
            ["sh", "-c", script],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def remove(self) -> None:
        """Stop what runs in the namespaces, delete every link and namespace of this run."""
        terminate([p for h in self.hosts for p in h.procs], grace=3.0)
        for name in self.names:
            ip("link", "delete", name, check=False)
            ip("netns", "delete", name, check=False)
        if self.bridge:
            ip("link", "delete", self.bridge, check=False)
        if self.reaper is not None and self.reaper.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                self.reaper.stdin.write(b"done\n")
                self.reaper.stdin.close()
            self.reaper.wait(10)
        self.hosts, self.names, self.reaper = [], [], None
