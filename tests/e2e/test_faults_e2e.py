"""Faults against real processes while a client scrapes ``/metrics`` five times a second.

Each test runs the exporter as a real process, a :class:`~faults.Prober` scraping it with
Prometheus' timeout header (2 s) all along, and one fault: a host partitioned from the exporter
(network namespaces: packets dropped, so only the deadline saves a scrape), the exporter's own
connections killed, ``SENTINEL RESET``, ``SENTINEL REMOVE`` and ``MONITOR``, a Redis back with
another role, two failovers during one disconnect, a Sentinel configured under ``--redis.addr``.
Every one: no answer but 200, none later than the timeout, and how long the recovery took,
printed (``pytest -s``) and bounded. These are the short versions; ``make chaos`` runs them one
after another for minutes (tests/chaos).
"""

from __future__ import annotations

import contextlib
import json
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest
from redis.exceptions import ResponseError

from fakes import FIXTURES, redis_replies, sentinel_replies
from faults import (
    Prober,
    Values,
    failovers,
    idle_keepalive,
    kill_clients_of,
    open_fds,
    oversized_requests,
    raw_request,
    slow_readers,
    slow_writers,
    stream,
    up,
)
from harness.exporter import ExporterProcess, run_exporter
from harness.netns import Hosts
from harness.process import free_port, http_get, rss_bytes, wait_for
from harness.resp import Answer, RespServer, Stall, encode
from harness.topology import Topology
from support import TcpProxy

pytestmark = pytest.mark.e2e

GROUP = "mymaster"
TIMEOUT = 2.0  # what the prober sends as X-Prometheus-Scrape-Timeout-Seconds
RECOVERY = 2.0  # seconds from a fault's end to every series healthy again, at most
EXPORTER = (sys.executable, "-m", "redis_ha_exporter")
#: What a log must never show, even when the exporter is stopped in the middle of everything.
NEVER_LOGGED = (
    "Traceback",
    "level=error",
    "Task was destroyed",
    "never retrieved",
    "Unclosed",
    "was never awaited",
)


def all_up(redis: list[str], sentinels: list[str]) -> Callable[[Values], bool]:
    def healthy(values: Values) -> bool:
        return all(values[up(a)] == 1 for a in redis + sentinels) and all(
            values[stream(a)] == 1 for a in sentinels
        )

    return healthy


def exporter_args(topo: Topology) -> list[str]:
    return [
        *(a for n in topo.redis for a in ("--redis.addr", n.uri)),
        *(a for n in topo.sentinels for a in ("--sentinel.addr", n.uri)),
    ]


@dataclass
class Watched:
    topo: Topology
    exporter: ExporterProcess
    prober: Prober

    @property
    def redis(self) -> list[str]:
        return [n.addr for n in self.topo.redis]

    @property
    def sentinels(self) -> list[str]:
        return [n.addr for n in self.topo.sentinels]

    def wait_healthy(self) -> None:
        self.prober.reached(time.monotonic(), all_up(self.redis, self.sentinels), timeout=30)


@contextlib.contextmanager
def watching(
    topo: Topology,
    workdir: Path,
    args: list[str] | None = None,
    program: Sequence[str] = EXPORTER,
) -> Iterator[Watched]:
    with (
        run_exporter(
            exporter_args(topo) if args is None else args, workdir, program=program
        ) as exporter,
        Prober(exporter.url + "/metrics", timeout=TIMEOUT) as prober,
    ):
        yield Watched(topo, exporter, prober)
    bad = prober.late_or_failed()
    print(f"\n{prober.summary()}")
    assert bad == [], bad[:5]


@pytest.fixture
def topo(tmp_path: Path) -> Iterator[Topology]:
    with Topology(tmp_path / "topo", groups=(GROUP,)) as topology:
        yield topology


# --- the network ------------------------------------------------------------------------------


def test_a_partitioned_host_is_down_within_the_deadline_and_back_soon_after_it_heals(
    tmp_path: Path,
) -> None:
    with (
        Hosts(3) as hosts,
        Topology(tmp_path / "topo", hosts=hosts) as topo,
        watching(topo, tmp_path) as watched,
    ):
        watched.wait_healthy()
        prober, victim = watched.prober, hosts[2]
        redis, sentinel = topo.redis[2].addr, topo.sentinels[2].addr
        others = [a for a in watched.redis + watched.sentinels if a not in (redis, sentinel)]
        victim.partition()
        cut = time.monotonic()
        down = prober.reached(cut, lambda v: v[up(redis)] == v[up(sentinel)] == 0)
        stream_down = prober.reached(cut, lambda v: v[stream(sentinel)] == 0, timeout=30)
        victim.heal()
        healed = time.monotonic()
        back = prober.reached(healed, lambda v: v[up(redis)] == v[up(sentinel)] == 1)
        stream_back = prober.reached(healed, all_up(watched.redis, watched.sentinels))
        during = prober.record(cut)
    print(
        f"partition: targets down after {down:.2f}s, event stream after {stream_down:.2f}s;"
        f" healed: targets up after {back:.2f}s, everything after {stream_back:.2f}s"
    )
    assert down <= 2 * TIMEOUT  # the scrape in flight, then one more deadline
    assert stream_back <= RECOVERY
    assert all(p.values[up(a)] == 1 for p in during for a in others)


# --- the exporter's own connections -----------------------------------------------------------


def test_killed_connections_of_the_exporter_are_replaced_without_a_missed_scrape(
    topo: Topology, tmp_path: Path
) -> None:
    master, sentinel = topo.master_of_group(GROUP), topo.sentinels[0]
    reconnects = f'redis_sentinel_event_stream_reconnects_total{{addr="{sentinel.addr}"}}'
    killed: list[str] = []
    with watching(topo, tmp_path) as watched:
        watched.wait_healthy()
        prober, pid = watched.prober, watched.exporter.proc.pid
        start = time.monotonic()
        for _ in range(5):
            prober.wait_probes(2)
            for node in (master, sentinel):
                with node.client() as client:
                    killed += kill_clients_of(pid, client)
        last = time.monotonic()
        back = prober.reached(last, all_up(watched.redis, watched.sentinels))
        during, after = prober.record(start), prober.record(last)[-1]
    print(f"CLIENT KILL x5 ({len(killed)} connections: {sorted(set(killed))}): back in {back:.2f}s")
    assert {"psubscribe", "ping"} & set(killed)  # the subscriber's connection
    assert {"latency|latest", "sentinel|ckquorum"} <= set(killed)  # the scrapes' connections
    # a killed scrape connection is replaced within the scrape (one retry): never down
    assert all(p.values[up(a)] == 1 for p in during for a in (master.addr, sentinel.addr))
    assert after.values[reconnects] >= 1
    assert back <= RECOVERY


# --- Sentinel commands ------------------------------------------------------------------------


def series_of(exporter: ExporterProcess, addr: str) -> set[str]:
    """Names of the series the exporter shows about ``GROUP`` as Sentinel ``addr`` sees it."""
    return {
        name
        for name, labels, _ in exporter.scrape().rows
        if labels.get("addr") == addr and labels.get("master_name") == GROUP
    }


def test_sentinel_reset_remove_and_monitor_again(topo: Topology, tmp_path: Path) -> None:
    sentinel = topo.sentinels[0]
    with watching(topo, tmp_path) as watched:
        watched.wait_healthy()
        exporter = watched.exporter
        before = series_of(exporter, sentinel.addr)
        with sentinel.client() as client:
            assert client.execute_command("SENTINEL", "RESET", GROUP) == 1
        topo.wait_ready(30)  # it found the replicas and the other Sentinels again
        wait_for(lambda: series_of(exporter, sentinel.addr) >= before, timeout=30)
        samples = exporter.scrape()
        assert samples.value("redis_sentinel_failovers_total", addr=sentinel.addr) == 0
        assert samples.value("redis_sentinel_master_slaves", addr=sentinel.addr) == 2
        master = topo.master_of_group(GROUP)
        with sentinel.client() as client:
            client.execute_command("SENTINEL", "REMOVE", GROUP)
        # /metrics is single-flight: this scrape may join a collection the prober began before
        # the REMOVE; the next one begins after it
        exporter.scrape()
        assert series_of(exporter, sentinel.addr) == set()
        assert series_of(exporter, topo.sentinels[1].addr) >= before  # the others still show
        with sentinel.client() as client:
            client.execute_command(
                "SENTINEL", "MONITOR", GROUP, master.host, str(master.port), str(topo.quorum)
            )
            for option, value in (
                ("down-after-milliseconds", topo.down_after_ms),
                ("failover-timeout", topo.failover_timeout_ms),
            ):
                client.execute_command("SENTINEL", "SET", GROUP, option, str(value))
        topo.wait_ready(60)
        wait_for(lambda: series_of(exporter, sentinel.addr) >= before, timeout=30)
        assert exporter.scrape().value("redis_sentinel_failovers_total", addr=sentinel.addr) == 0
        status, body = exporter.get("/events?limit=1000")
    assert status == 200
    seen = [e["event"] for e in json.loads(body)["events"] if e["sentinel"] == sentinel.addr]
    assert {"+reset-master", "-monitor", "+monitor"} <= set(seen)


# --- failovers: a Redis back with another role, two during one disconnect ----------------------


def role(values: Values, addr: str) -> str:
    (key,) = [k for k in values if k.startswith("redis_instance_info{") and f'addr="{addr}"' in k]
    return key.split('role="', 1)[1].split('"', 1)[0]


def test_a_master_back_after_a_failover_is_shown_in_the_role_it_is_given(
    topo: Topology, tmp_path: Path
) -> None:
    with watching(topo, tmp_path) as watched:
        watched.wait_healthy()
        prober, old = watched.prober, topo.master_of_group(GROUP)
        topo.kill(old, signal.SIGKILL)
        killed = time.monotonic()
        down = prober.reached(killed, lambda v: v[up(old.addr)] == 0)
        new = topo.wait_new_master(GROUP, old.addr)
        topo.restart(old)  # its redis.conf says master: Sentinel turns it into a replica
        restarted = time.monotonic()
        back = prober.reached(restarted, lambda v: v[up(old.addr)] == 1)
        demoted = prober.reached(restarted, lambda v: role(v, old.addr) == "slave", timeout=60)
        counted = prober.reached(
            killed,
            lambda v: all(v[failovers(a, GROUP)] == 1 for a in watched.sentinels),
            timeout=60,
        )
        final = prober.record()[-1].values
    print(
        f"kill -9 of the master: down after {down:.2f}s; restarted: up after {back:.2f}s,"
        f" a replica after {demoted:.2f}s; failover counted by every Sentinel {counted:.2f}s"
        " after the kill"
    )
    assert down <= 2 * TIMEOUT
    assert back <= RECOVERY
    new_addr = next(n.addr for n in topo.redis if n.addr == new)
    assert role(final, new_addr) == "master"
    assert [role(final, a) for a in watched.redis].count("master") == 1


def test_two_failovers_back_to_the_old_master_during_one_disconnect_are_counted(
    topo: Topology, tmp_path: Path
) -> None:
    a, b, c = topo.group_members(GROUP)
    with c.client() as client:  # only b, then a, can be promoted
        client.config_set("replica-priority", 0)
    cut_off = topo.sentinels[2]
    with TcpProxy(cut_off.port) as proxy:
        args = [
            *(x for n in topo.redis for x in ("--redis.addr", n.uri)),
            *(x for n in topo.sentinels[:2] for x in ("--sentinel.addr", n.uri)),
            *("--sentinel.addr", proxy.uri),
        ]
        with watching(topo, tmp_path, args) as watched:
            prober = watched.prober
            sentinels = [*watched.sentinels[:2], proxy.addr]
            prober.reached(time.monotonic(), lambda v: all(v[stream(s)] == 1 for s in sentinels))
            proxy.cut()
            prober.reached(time.monotonic(), lambda v: v[stream(proxy.addr)] == 0)
            assert topo.sentinel_failover(GROUP) == b.addr
            topo.wait_ready(60)  # a is b's replica now, in sync
            assert topo.sentinel_failover(GROUP) == a.addr
            topo.wait_ready(60)
            proxy.restore()
            restored = time.monotonic()
            counted = prober.reached(
                restored,
                lambda v: (
                    v[failovers(proxy.addr, GROUP)] >= 1
                    and all(v[failovers(s, GROUP)] == 2 for s in sentinels[:2])
                ),
            )
            time.sleep(1.0)  # nothing counted twice later
            final = prober.record()[-1].values
            status, body = watched.exporter.get("/events?limit=1000")
    print(f"A -> B -> A while cut off: reconciled {counted:.2f}s after the stream was restored")
    assert final[failovers(proxy.addr, GROUP)] == 1  # at least one of the two; never more than two
    assert max(final[failovers(s, GROUP)] for s in sentinels) == 2
    assert counted <= RECOVERY
    assert status == 200
    (entry,) = [
        e
        for e in json.loads(body)["events"]
        if e["sentinel"] == proxy.addr and e["event"] == "+switch-master"
    ]
    assert (entry["reconciled"], entry["old_address"], entry["new_address"]) == (
        True,
        a.addr,
        a.addr,
    )


def test_a_sentinel_configured_under_redis_addr_gets_an_event_stream(
    topo: Topology, tmp_path: Path
) -> None:
    sentinel = topo.sentinels[0]
    with watching(topo, tmp_path, ["--redis.addr", sentinel.uri, "--sentinel.addr="]) as watched:
        prober = watched.prober
        prober.reached(time.monotonic(), lambda v: v[stream(sentinel.addr)] == 1)
        topo.sentinel_failover(GROUP)
        prober.reached(time.monotonic(), lambda v: v[failovers(sentinel.addr, GROUP)] == 1)
        assert "a Redis target is a Sentinel" in watched.exporter.log()


# --- servers that are not what they seem ------------------------------------------------------


def redis_answering(info: str | Stall | bytes) -> Answer:
    """A Redis whose ``INFO ALL`` is ``info`` (text; or a stall, or raw bytes), the rest from
    recorded replies."""
    replies = redis_replies()
    info_reply = encode(info) if isinstance(info, str) else info

    def answer(command: list[str]) -> bytes | Stall | None:
        if command[0].upper() == "INFO":
            return info_reply
        return encode(replies.get(tuple(command), ResponseError("ERR unknown command")))

    return answer


def sentinel_answering(replicas: int) -> Answer:
    """A Sentinel reporting ``replicas`` replicas of its master m1 (a subscriber is welcome)."""
    replies = sentinel_replies("healthy")
    entry = cast(list[object], replies["SENTINEL", "SLAVES", "m1"])[0]
    replies["SENTINEL", "SLAVES", "m1"] = [entry] * replicas

    def answer(command: list[str]) -> bytes:
        name = command[0].upper()
        if name == "PSUBSCRIBE":
            return encode(["psubscribe", command[1], 1])
        if name == "PING":
            return encode(["pong", ""])
        return encode(replies.get(tuple(command), ResponseError("ERR unknown command")))

    return answer


def test_servers_that_send_garbage_stall_or_flood_are_down_and_cost_little(
    tmp_path: Path,
) -> None:
    info = (FIXTURES / "info" / "redis7-master-all.txt").read_text()
    slave = "slave{0}:ip=10.0.{1}.{2},port=6379,state=online,offset=1,lag=0\r\n"
    broken = {
        "not RESP": lambda _: b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
        "stalls mid-reply": redis_answering(Stall(encode(info)[: len(info) // 2])),
        "10 MB INFO": redis_answering(info + "x_field:1\r\n" * 1_000_000),
        "5000 replicas": redis_answering(
            info + "".join(slave.format(i, i // 250, i % 250) for i in range(5000))
        ),
    }
    with contextlib.ExitStack() as stack:
        servers = {name: stack.enter_context(RespServer(a)) for name, a in broken.items()}
        sentinel = stack.enter_context(RespServer(sentinel_answering(5000)))
        healthy = stack.enter_context(Topology(tmp_path / "topo", replicas=0, sentinels=0)).redis[0]
        args = [
            *(x for s in servers.values() for x in ("--redis.addr", s.uri)),
            *("--redis.addr", healthy.uri, "--sentinel.addr", sentinel.uri),
        ]
        watched = stack.enter_context(watching(Topology(tmp_path / "unused"), tmp_path, args))
        prober, pid = watched.prober, watched.exporter.proc.pid
        prober.wait_probes(3)
        rss_before = rss_bytes(pid)
        start = time.monotonic()
        prober.wait_probes(6)
        rss_after = rss_bytes(pid)
        probes = prober.record(start)
        log = watched.exporter.log()
    print(
        f"broken servers: {len(probes)} scrapes; exporter RSS {rss_before / 2**20:.1f} MiB,"
        f" then {rss_after / 2**20:.1f} MiB"
    )
    for probe in probes:
        assert probe.values[up(healthy.addr)] == 1
        assert all(probe.values[up(s.addr)] == 0 for s in (*servers.values(), sentinel))
        assert probe.values[stream(sentinel.addr)] == 1  # its event stream is fine
    for reason in ("InvalidResponse", "timeout", "ReplyTooLarge", "TooManyEntries"):
        assert f"reason={reason}" in log
    assert rss_after - rss_before < 16 * 2**20


# --- HTTP clients that misbehave --------------------------------------------------------------


def test_misbehaving_http_clients_on_every_endpoint_cost_the_others_nothing(
    tmp_path: Path,
) -> None:
    # systemd gives a service a soft limit of 1024 open files; 256 here, so that a few hundred
    # idle clients would take every descriptor were the limit not raised
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    program = ("prlimit", f"--nofile=256:{hard}", *EXPORTER)
    with (
        Topology(tmp_path / "topo", groups=(GROUP,), replicas=1, sentinels=1) as topo,
        watching(topo, tmp_path, program=program) as watched,
    ):
        watched.wait_healthy()
        exporter, prober = watched.exporter, watched.prober
        host, port, pid = exporter.host, exporter.port, exporter.proc.pid
        paths = [
            "/",
            "/metrics",
            f"/scrape?target={topo.redis[0].addr}",
            "/events",
            "/sd",
            "/sd?targets=exporter",
            "/health",
        ]
        fds = open_fds(pid)
        start = time.monotonic()
        with (
            idle_keepalive(host, port, 300),
            slow_writers(host, port, 100, paths),
            slow_readers(host, port, 100, paths),
        ):
            statuses = {
                (path, name): raw_request(host, port, request)
                for path in paths
                for name, request in oversized_requests(path).items()
            }
            prober.wait_probes(10)
            held = open_fds(pid) - fds
            during = prober.summary(start)
        wait_for(lambda: open_fds(pid) <= fds + 2, timeout=10)
        log = exporter.log()
    print(f"misbehaving clients: {held} sockets held; meanwhile {during}")
    assert set(statuses.values()) == {400}, statuses
    assert held >= 480  # they were all served, none refused for want of a descriptor
    assert not [line for line in log.splitlines() if any(s in line for s in NEVER_LOGGED)]


# --- stopping ---------------------------------------------------------------------------------


@pytest.mark.parametrize("moment", ["idle", "mid-scrape", "subscriber reconnecting"])
def test_sigterm_stops_the_exporter_within_a_second(moment: str, tmp_path: Path) -> None:
    with contextlib.ExitStack() as stack:
        if moment == "idle":
            topo = stack.enter_context(Topology(tmp_path / "topo", replicas=0, sentinels=1))
            args = exporter_args(topo)
        else:
            hung = stack.enter_context(RespServer(lambda _: Stall()))
            refused = f"redis://127.0.0.1:{free_port()}"
            if moment == "mid-scrape":
                args = ["--redis.addr", hung.uri, "--sentinel.addr="]
            else:  # one Sentinel takes connections and never answers, one refuses them
                args = ["--redis.addr=", "--sentinel.addr", hung.uri, "--sentinel.addr", refused]
        exporter = stack.enter_context(run_exporter(args, tmp_path))
        if moment == "mid-scrape":
            for path in ("/metrics", f"/scrape?target={hung.addr}"):
                url = exporter.url + path
                threading.Thread(target=_get_quietly, args=(url,), daemon=True).start()
        time.sleep(2.0)  # scrapes in flight (for 10 s); subscribers connecting, backing off
        started = time.monotonic()
        exporter.proc.send_signal(signal.SIGTERM)
        status = exporter.proc.wait(10)
        took = time.monotonic() - started
        log = exporter.log()
    print(f"SIGTERM {moment}: exit {status} after {took:.2f}s")
    assert status == 0
    assert took < 1.0
    assert not [line for line in log.splitlines() if any(s in line for s in NEVER_LOGGED)]


def _get_quietly(url: str) -> None:
    with contextlib.suppress(OSError):
        http_get(url, timeout=30)
