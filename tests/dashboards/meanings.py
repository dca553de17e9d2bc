"""What every panel query of the dashboards must show, given what is true of the seeds' hosts.

The end-to-end test of the seeds' layout (tests/e2e/test_oncall_e2e.py) describes each phase as a
:class:`World` — which host's Redis is master, which are dead, which replica lost its link, which
Sentinel sees the master down, how many failovers — and :func:`survey` evaluates every query of
every dashboard in a real Prometheus and compares the answer with what the world means: which
series (one per host's Redis, per host's Sentinel, per group…) with which values. "Returns data"
is not enough: "Targets up" must show six targets with the dead one at 0, "Replica links down"
must count the cut replica.

:data:`MEANINGS` has an entry for every query, keyed by dashboard file and panel title, one
:data:`Check` per query of the panel in order; tests/dashboards/test_dashboards.py keeps it
complete, so a new panel needs a meaning before it ships.

Every host's exporter runs with its defaults: ``addr`` is ``localhost:6379`` (Redis) or
``localhost:26379`` (Sentinel) on every host, ``instance`` is ``<host ip>:9121``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dashboards.queries import APPLICATION_KEYS, panel_queries
from harness.stack import Prometheus, StackError

GROUP = "mymaster"
REDIS_ADDR = "localhost:6379"
SENTINEL_ADDR = "localhost:26379"
#: The default repl-backlog-size of redis-server 7.
BACKLOG_BYTES = 1048576.0
#: The maxmemory dashboards.queries.use_like_an_application sets (256mb).
MAXMEMORY_BYTES = 256 * 1024 * 1024
#: Grafana's built-ins for a 10-minute range at 1 s scrapes.
INTERVALS = {"__rate_interval": "30s", "__interval": "15s", "__range": "10m", "__range_s": "600"}


@dataclass(frozen=True)
class World:
    """What is true of the three hosts in a phase (hosts by index: 0, 1, 2)."""

    ips: tuple[str, ...]
    master: int
    dead: frozenset[int] = frozenset()  # hosts whose Redis is killed
    links_down: frozenset[int] = frozenset()  # replicas whose link to the master is down
    sdown_by: frozenset[int] = frozenset()  # hosts whose Sentinel sees the master s_down
    sentinels_ok: tuple[int, ...] = (3, 3, 3)  # Sentinels each host's Sentinel sees ok
    failovers: int = 0
    just_failed_over: bool = False  # within the failover annotation's 2 minutes
    full_resyncs: frozenset[int] = frozenset()  # hosts that served a full resync in the range
    firing: frozenset[str] = frozenset()  # Redis alerts that must be firing

    def instance(self, host: int) -> str:
        return f"{self.ips[host]}:9121"

    def address(self, host: int) -> str:
        return f"{self.ips[host]}:6379"

    @property
    def hosts(self) -> range:
        return range(len(self.ips))

    @property
    def running(self) -> list[int]:
        """Hosts whose Redis answers."""
        return [h for h in self.hosts if h not in self.dead]

    @property
    def replicas(self) -> list[int]:
        """Running replicas."""
        return [h for h in self.running if h != self.master]

    @property
    def linked(self) -> list[int]:
        """Running replicas whose link is up."""
        return [h for h in self.replicas if h not in self.links_down]


# --------------------------------------------------------------------------------------
# Expected answers
# --------------------------------------------------------------------------------------

#: A value check: an exact number, a (low, high) range (inclusive), or a predicate.
Value = float | tuple[float, float] | Callable[[float], bool]
Key = tuple[str, ...]
Sample = tuple[dict[str, str], float]
#: A query's meaning: the series it must return (by the values of some labels) and their
#: values, or a verdict of its own (a function of the world and the samples: None when right).
Check = Callable[[World, list[Sample]], "str | None"]


def matches(value: float, expected: Value) -> bool:
    if callable(expected):
        return bool(expected(value))
    if isinstance(expected, tuple):
        return expected[0] <= value <= expected[1]
    return math.isclose(value, expected)


def series(labels: tuple[str, ...], expected: Callable[[World], Mapping[Key, Value]]) -> Check:
    """Exactly the series ``expected(world)`` names (by the values of ``labels``), with those
    values."""

    def check(world: World, samples: list[Sample]) -> str | None:
        want = expected(world)
        got = {tuple(lab.get(name, "") for name in labels): value for lab, value in samples}
        if len(got) != len(samples):
            return f"{len(samples)} series for {len(got)} distinct {labels}: {samples}"
        if set(got) != set(want):
            return f"series {sorted(got)} instead of {sorted(want)}"
        wrong = {k: v for k, v in got.items() if not matches(v, want[k])}
        return f"values {wrong} instead of { ({k: want[k] for k in wrong}) }" if wrong else None

    return check


TARGET = ("instance", "addr")


def redis(value: Callable[[World, int], Value], hosts: str = "running") -> Check:
    """One series per host's Redis among ``hosts`` (``running``, ``replicas``, ``linked``,
    ``master``, or ``all``: a query over a range also sees a Redis that has just died),
    identified by instance and addr."""

    def expected(world: World) -> dict[Key, Value]:
        chosen = {"master": [world.master], "all": list(world.hosts)}.get(hosts)
        chosen = getattr(world, hosts) if chosen is None else chosen
        return {(world.instance(h), REDIS_ADDR): value(world, h) for h in chosen}

    return series(TARGET, expected)


def redis_in_range(value: Callable[[World, int], Value]) -> Check:
    """Rates and increases: one series per running Redis, and maybe one for a Redis killed
    within the query's window (its last samples are still in it)."""

    def check(world: World, samples: list[Sample]) -> str | None:
        keys = {(labels.get("instance", ""), labels.get("addr", "")) for labels, _ in samples}
        hosts = {h for h in world.hosts if (world.instance(h), REDIS_ADDR) in keys}
        if len(keys) != len(samples) or len(hosts) != len(keys):
            return f"series other than one per host's Redis: {samples}"
        if not set(world.running) <= hosts:
            return f"no series for running {sorted(set(world.running) - hosts)}"
        wrong = [s for s in samples for h in hosts if s[0]["instance"] == world.instance(h)
                 and not matches(s[1], value(world, h))]  # fmt: skip
        return f"values {wrong}" if wrong else None

    return check


def per_command(world: World, samples: list[Sample]) -> str | None:
    """Commands per second by command: every series is a host's Redis (never a Sentinel, never
    two hosts merged) with a ``cmd``, never negative; every running Redis has some."""
    targets = {(world.instance(h), REDIS_ADDR): h for h in world.hosts}
    seen = set()
    for labels, value in samples:
        key = (labels.get("instance", ""), labels.get("addr", ""))
        if key not in targets or not labels.get("cmd") or value < 0:
            return f"not a host's Redis command rate: {labels} {value}"
        seen.add(targets[key])
    missing = set(world.running) - seen
    return f"no commands of {sorted(missing)}" if missing else None


def sentinels(
    value: Callable[[World, int], Value], *, master_name: bool = False, names: bool = False
) -> Check:
    """One series per host's Sentinel, identified by instance and addr (and ``master_name``
    ``mymaster``; with ``names``, the ``master_address`` it names: the current master)."""
    more = ["master_name"] if master_name or names else []
    more += ["master_address"] if names else []

    def expected(world: World) -> dict[Key, Value]:
        extra = [GROUP if m == "master_name" else world.address(world.master) for m in more]
        return {(world.instance(h), SENTINEL_ADDR, *extra): value(world, h) for h in world.hosts}

    return series((*TARGET, *more), expected)


def group(value: Callable[[World], Value], *, address: bool = False) -> Check:
    """One series for the group ``mymaster`` (and the current master's address)."""

    def expected(world: World) -> dict[Key, Value]:
        key = (GROUP, world.address(world.master)) if address else (GROUP,)
        return {key: value(world)}

    return series(("master_name", "master_address") if address else ("master_name",), expected)


def scalar(value: Callable[[World], Value]) -> Check:
    """One series without labels (``count(...) or vector(0)``)."""
    return series((), lambda world: {(): value(world)})


def targets_up() -> Check:
    """Every host's Redis and Sentinel: six series, a killed Redis at 0."""

    def expected(world: World) -> dict[Key, Value]:
        found: dict[Key, Value] = {}
        for h in world.hosts:
            found[world.instance(h), REDIS_ADDR] = 0.0 if h in world.dead else 1.0
            found[world.instance(h), SENTINEL_ADDR] = 1.0
        return found

    return series(TARGET, expected)


def replicas_seen(value: Callable[[World, int], Value]) -> Check:
    """One series per replica the Sentinels list (every host but the master, dead or not)."""

    def expected(world: World) -> dict[Key, Value]:
        return {
            (GROUP, world.address(h)): value(world, h) for h in world.hosts if h != world.master
        }

    return series(("master_name", "replica_address"), expected)


def lag_per_replica(value: Value) -> Check:
    """Seen from the master's host: one series per linked replica (its host as slave_ip)."""

    def expected(world: World) -> dict[Key, Value]:
        return {
            (world.instance(world.master), REDIS_ADDR, world.ips[h], "6379"): value
            for h in world.linked
        }

    return series((*TARGET, "slave_ip", "slave_port"), expected)


def failover_only(check: Check) -> Check:
    """Before the first failover: no series at all, or only NaN (an empty histogram)."""

    def wrapped(world: World, samples: list[Sample]) -> str | None:
        if world.failovers == 0:
            real = [s for s in samples if not math.isnan(s[1])]
            return f"data before any failover: {real}" if real else None
        return check(world, samples)

    return wrapped


def alerts_table(world: World, samples: list[Sample]) -> str | None:
    """The firing alerts: none when nothing should fire, else at least the expected ones."""
    names = {labels["alertname"] for labels, _ in samples}
    if not world.firing:
        return f"alerts {sorted(names)} on a healthy world" if names else None
    missing = world.firing - names
    return f"missing {sorted(missing)} among {sorted(names)}" if missing else None


def alerts_count(world: World, samples: list[Sample]) -> str | None:
    if len(samples) != 1:
        return f"{len(samples)} series"
    value = samples[0][1]
    if not world.firing:
        return None if value == 0 else f"{value} alerts firing on a healthy world"
    return None if value >= len(world.firing) else f"{value} alerts, {len(world.firing)} expected"


def failover_drawn(world: World, samples: list[Sample]) -> str | None:
    """The failover annotation: a point for the group while its failover is recent (its window
    is 2 minutes), nothing before any failover."""
    if world.failovers == 0 or not world.just_failed_over:
        allowed = () if world.failovers == 0 else ((GROUP,),)
        keys = {(labels.get("master_name", ""),) for labels, _ in samples}
        return None if keys <= set(allowed) else f"annotation {samples}"
    return group(lambda w: (1, 10))(world, samples)


def events(world: World, samples: list[Sample]) -> str | None:
    """Events by group and type: counts, never negative. (That a failover's +switch-master
    shows is checked at the time of the failover by the end-to-end test.)"""
    if any(value < 0 or "event" not in labels for labels, value in samples):
        return f"negative or unlabelled: {samples}"
    return None


def count_of(n: int) -> Check:
    def check(world: World, samples: list[Sample]) -> str | None:
        return None if len(samples) == n else f"{len(samples)} series, {n} expected"

    return check


# Reusable values
def one(world: World, host: int = 0) -> float:
    return 1.0


def zero(world: World, host: int = 0) -> float:
    return 0.0


def non_negative(value: float) -> bool:
    return value >= 0


def is_master(world: World, host: int) -> float:
    return 1.0 if host == world.master else 0.0


def link(world: World, host: int) -> float:
    return 0.0 if host in world.links_down else 1.0


def sees_down(world: World, host: int) -> float:
    return 1.0 if host in world.sdown_by else 0.0


def sees_ok(world: World, host: int) -> float:
    return 0.0 if host in world.sdown_by else 1.0


def replicas_connected(world: World, host: int) -> float:
    return float(len(world.linked)) if host == world.master else 0.0


def epoch(world: World) -> Value:
    return 0.0 if world.failovers == 0 else (1.0, 10.0)


def promoted(world: World, host: int) -> Value:
    """Replication ID switches: the promoted master switched; nobody before a failover."""
    return (1.0, 10.0) if world.failovers and host == world.master else (0.0, 10.0)


def last_failover(value: float) -> bool:
    return time.time() - 900 < value / 1000 <= time.time() + 5


def replica_up(world: World, host: int) -> float:
    return 0.0 if host in world.dead else 1.0


def replica_linked(world: World, host: int) -> Value:
    return 1.0 if host in world.linked else 0.0


def positive(value: float) -> bool:
    return value > 0


def resyncs(world: World, host: int) -> Value:
    """Full resyncs a host served in the range (increase() extrapolates a little)."""
    return (0.5, 5) if host in world.full_resyncs else (0, 0.4)


MEANINGS: dict[tuple[str, str], list[Check]] = {
    # ---- overview: where is the master ------------------------------------------------------
    ("redis-ha-overview.json", "Replication groups and current master"): [
        group(lambda w: 1, address=True),
        group(lambda w: max(w.sentinels_ok), address=True),
        group(lambda w: 2, address=True),
        group(lambda w: 3, address=True),
        group(lambda w: len(w.replicas), address=True),
        group(lambda w: 2, address=True),
        group(epoch, address=True),
        group(lambda w: 3, address=True),
    ],
    ("redis-ha-overview.json", "Role per host"): [redis(is_master)],
    # ---- overview: happening now ------------------------------------------------------------
    ("redis-ha-overview.json", "Failover in progress"): [group(lambda w: 0)],
    ("redis-ha-overview.json", "Sentinels seeing the master down"): [
        group(lambda w: len(w.sdown_by))
    ],
    ("redis-ha-overview.json", "Objectively down"): [group(lambda w: 0)],
    ("redis-ha-overview.json", "Failovers in range"): [group(lambda w: w.failovers)],
    ("redis-ha-overview.json", "What each Sentinel sees"): [
        sentinels(sees_ok, names=True),
        sentinels(sees_down, names=True),
        sentinels(zero, names=True),
        sentinels(lambda w, h: w.sentinels_ok[h], names=True),
        sentinels(one, names=True),
    ],
    ("redis-ha-overview.json", "Master down per Sentinel"): [
        sentinels(sees_down, master_name=True)
    ],
    # ---- overview: replication ----------------------------------------------------------------
    ("redis-ha-overview.json", "Replica links down"): [scalar(lambda w: len(w.links_down))],
    ("redis-ha-overview.json", "Full syncs in progress"): [scalar(lambda w: 0)],
    ("redis-ha-overview.json", "Full resyncs in range"): [redis(resyncs, "all")],
    ("redis-ha-overview.json", "Worst lag / backlog"): [redis(lambda w, h: (0, 0.5), "master")],
    ("redis-ha-overview.json", "Worst replica lag (seconds)"): [
        redis(lambda w, h: (0, 5), "master")
    ],
    ("redis-ha-overview.json", "Replicas connected (Redis view)"): [
        redis(replicas_connected, "master")
    ],
    ("redis-ha-overview.json", "Replica links"): [redis(link, "replicas")],
    ("redis-ha-overview.json", "Sentinels ok vs quorum"): [
        group(lambda w: max(w.sentinels_ok) - 2)
    ],
    ("redis-ha-overview.json", "Replicas up (Sentinel view)"): [group(lambda w: len(w.replicas))],
    ("redis-ha-overview.json", "Replicas linked (Sentinel view)"): [group(lambda w: len(w.linked))],
    # ---- overview: health ----------------------------------------------------------------------
    ("redis-ha-overview.json", "Alerts firing"): [alerts_count],
    ("redis-ha-overview.json", "Firing alerts"): [alerts_table],
    ("redis-ha-overview.json", "Targets up"): [targets_up()],
    ("redis-ha-overview.json", "Sentinel event streams"): [sentinels(one)],
    # ---- replication -------------------------------------------------------------------------
    ("redis-replication.json", "Instances"): [
        redis(one),
        redis(replicas_connected),
        redis(link, "replicas"),
        redis(lambda w, h: 100, "replicas"),  # INFO has slave_priority on replicas only
        redis(lambda w, h: (0, 86400)),
    ],
    ("redis-replication.json", "Role over time"): [redis(is_master)],
    ("redis-replication.json", "Master link status"): [redis(link, "replicas")],
    ("redis-replication.json", "Link down for"): [
        redis(lambda w, h: (1, 600) if h in w.links_down else 0, "replicas")
    ],
    ("redis-replication.json", "Last I/O from master"): [
        redis(lambda w, h: -1 if h in w.links_down else (0, 5), "replicas")
    ],
    ("redis-replication.json", "Replication offsets"): [redis(lambda w, h: non_negative)],
    ("redis-replication.json", "Replication write rate"): [redis(lambda w, h: non_negative)],
    ("redis-replication.json", "Replica lag (bytes)"): [lag_per_replica(non_negative)],
    ("redis-replication.json", "Replica lag (seconds)"): [lag_per_replica((0, 5))],
    ("redis-replication.json", "Replication backlog"): [
        redis(lambda w, h: BACKLOG_BYTES),
        redis(lambda w, h: (0, BACKLOG_BYTES)),
    ],
    ("redis-replication.json", "Worst lag / backlog history"): [
        redis(lambda w, h: (0, 0.5), "master")
    ],
    ("redis-replication.json", "Backlog active"): [
        redis(lambda w, h: 1 if h == w.master else (0, 1))
    ],
    ("redis-replication.json", "Full sync in progress"): [redis(zero, "replicas")],
    ("redis-replication.json", "Replication ID switches in range"): [redis(promoted, "all")],
    ("redis-replication.json", "Resyncs"): [redis_in_range(lambda w, h: non_negative)] * 3,
    # ---- sentinel ------------------------------------------------------------------------------
    ("redis-sentinel.json", "Master status"): [group(lambda w: 1)],
    ("redis-sentinel.json", "CKQUORUM"): [group(lambda w: 1)],
    ("redis-sentinel.json", "Config epoch"): [group(epoch)],
    ("redis-sentinel.json", "Failover in progress"): [group(lambda w: 0)],
    ("redis-sentinel.json", "Master address per Sentinel"): [sentinels(sees_ok, names=True)],
    ("redis-sentinel.json", "Subjectively down (sdown)"): [group(lambda w: 1 if w.sdown_by else 0)],
    ("redis-sentinel.json", "Objectively down (odown)"): [group(lambda w: 0)],
    ("redis-sentinel.json", "Failover running"): [group(lambda w: 0)],
    ("redis-sentinel.json", "Sentinels ok vs quorum"): [
        group(lambda w: max(w.sentinels_ok)),
        group(lambda w: 2),
    ],
    ("redis-sentinel.json", "Replicas ok vs known"): [
        group(lambda w: len(w.replicas)),
        group(lambda w: 2),
    ],
    ("redis-sentinel.json", "Replicas as the Sentinels see them"): [
        replicas_seen(replica_up),
        replicas_seen(replica_linked),
        replicas_seen(lambda w, h: non_negative),
    ],
    ("redis-sentinel.json", "Events by type"): [events],
    ("redis-sentinel.json", "Failovers in range"): [group(lambda w: w.failovers)],
    ("redis-sentinel.json", "Last failover"): [failover_only(group(lambda w: last_failover))],
    ("redis-sentinel.json", "Failover duration in range (p90)"): [
        failover_only(group(lambda w: (0.01, 60)))
    ],
    ("redis-sentinel.json", "Failover duration (mean, since exporter start)"): [
        failover_only(group(lambda w: (0.01, 60)))
    ],
    ("redis-sentinel.json", "Failover durations (quantiles since exporter start)"): [
        failover_only(group(lambda w: (0.01, 60))),
        failover_only(group(lambda w: (0.01, 60))),
    ],
    ("redis-sentinel.json", "TILT mode"): [sentinels(zero)],
    # ---- instance: the rest of each host's Redis (dashboards.queries.use_like_an_application
    # has set a maxmemory, written keys and made lookups on every running server) ----------
    ("redis-instance.json", "Memory used vs maxmemory"): [
        redis(lambda w, h: positive),
        redis(lambda w, h: positive),
        redis(lambda w, h: MAXMEMORY_BYTES),
    ],
    ("redis-instance.json", "Memory used / maxmemory"): [redis(lambda w, h: (0.0001, 0.5))],
    ("redis-instance.json", "Clients vs maxclients"): [
        redis(lambda w, h: (1, 100)),
        redis(lambda w, h: 0),
        redis(lambda w, h: positive),
    ],
    ("redis-instance.json", "Connections received and rejected"): [
        redis_in_range(lambda w, h: non_negative),
        redis_in_range(lambda w, h: 0),
    ],
    ("redis-instance.json", "Commands per second by command"): [per_command],
    ("redis-instance.json", "Keyspace hits and misses"): [redis_in_range(lambda w, h: non_negative)]
    * 2,
    ("redis-instance.json", "Hit ratio in range"): [redis_in_range(lambda w, h: (0, 1))],
    ("redis-instance.json", "Network in and out"): [redis_in_range(lambda w, h: non_negative)] * 2,
    ("redis-instance.json", "Keys per database"): [
        series(
            (*TARGET, "db"),
            lambda w: {(w.instance(h), REDIS_ADDR, "db0"): APPLICATION_KEYS for h in w.running},
        )
    ],
    ("redis-instance.json", "Keys with a TTL per database"): [
        series(
            (*TARGET, "db"),
            lambda w: {
                (w.instance(h), REDIS_ADDR, "db0"): APPLICATION_KEYS // 2 for h in w.running
            },
        )
    ],
    ("redis-instance.json", "Expired and evicted keys"): [
        redis_in_range(lambda w, h: non_negative),
        redis_in_range(lambda w, h: 0),
    ],
    ("redis-instance.json", "Last RDB save and AOF writes"): [redis(one)] * 3,
    ("redis-instance.json", "Changes since last save"): [redis(lambda w, h: non_negative)],
    ("redis-instance.json", "Last successful save"): [
        redis(lambda w, h: lambda ms: time.time() - 86400 < ms / 1000 <= time.time() + 5)
    ],
    ("redis-instance.json", "Slow log length"): [redis(lambda w, h: non_negative)],
    ("redis-instance.json", "Last slow execution"): [redis(lambda w, h: non_negative)],
    ("redis-sentinel.json", "Event stream"): [sentinels(one)],
    ("redis-sentinel.json", "Event stream reconnects in range"): [sentinels(zero)],
}

#: The same in every dashboard: the failover annotation and the variables' series.
COMMON: dict[str, list[Check]] = {
    "annotation: Failovers": [failover_drawn],
    "variable: job": [count_of(6)],
    "variable: cluster": [count_of(6)],
    "variable: instance": [count_of(6)],
    "variable: master_name": [count_of(3)],
}


def checks_of(board_name: str, title: str) -> list[Check]:
    """The checks of one panel (or annotation, or variable) of one dashboard."""
    return COMMON.get(title) or MEANINGS[board_name, title]


def queries_by_panel(
    board_name: str, board: Mapping[str, Any], variables: Mapping[str, str]
) -> list[tuple[str, str, Check]]:
    """``(title, expr, check)`` for every query of a dashboard, the i-th query of a panel
    paired with its i-th check."""
    seen: dict[str, int] = {}
    found = []
    for title, expr in panel_queries(board, variables):
        index = seen.get(title, 0)
        seen[title] = index + 1
        found.append((title, expr, checks_of(board_name, title)[index]))
    return found


def describe(findings: Mapping[str, str], world: World) -> str:
    """A failure message: what was expected and which panels said otherwise."""
    lines = [f"{why}: {where}" for where, why in findings.items()]
    return f"panels that do not show {world}:\n" + "\n".join(lines)


def survey(
    prometheus: Prometheus, boards: Mapping[str, Mapping[str, Any]], world: World
) -> dict[str, str]:
    """``{"file | title | expr": what is wrong}`` over every query of every dashboard (variables
    at All, job ``redis_exporter``), compared with what ``world`` means."""
    from dashboards.queries import default_variables

    found: dict[str, str] = {}
    for name, board in boards.items():
        variables = default_variables(board) | {"job": "redis_exporter"} | INTERVALS
        for title, expr, check in queries_by_panel(name, board, variables):
            try:
                samples = prometheus.query(expr)
            except StackError as exc:
                found[f"{name} | {title} | {expr}"] = f"error: {exc}"
                continue
            verdict = check(world, samples)
            if verdict is not None:
                found[f"{name} | {title} | {expr}"] = verdict
    return found
