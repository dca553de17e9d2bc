"""Metric families from snapshots: pure, driven by the catalogue, no I/O, no text formatting.

:func:`fill` puts every sample of a collection into a :class:`Samples` sink, which checks it
against :mod:`redis_ha_exporter.catalogue` (name, type, label names), so a metric cannot be
emitted unless it is catalogued and documented. Two sinks take them: :class:`FamilyBuilder`
makes prometheus_client's metric families (:func:`build_families`: for its encoders, for
``registry.get_sample_value`` in the tests), and :class:`~redis_ha_exporter.exposition.Exposition`
writes the lines of a scrape without them.

The parsers return only what the servers said; every value derived from it is computed here,
and only here, next to the metric it feeds:

* ``redis_connected_slave_lag_bytes``: the master's offset minus the replica's, at least 0;
* ``redis_master_link_down_since_seconds``: 0 while the link is up (Redis prints the field
  only while it is down, or ``-1``);
* ``redis_sentinel_master_ok_slaves`` / ``_ok_sentinels``: :func:`count_ok_slaves`,
  :func:`count_ok_sentinels`, counted the way redis_exporter counts them;
* ``redis_sentinel_replica_up``: :func:`replica_up`, our verdict from three flags;
* the ``instance`` group (:func:`add_instance`): the table-driven families, each one number over
  its catalogued divisor; ``redis_start_time_seconds`` (the collection's Unix time, in whole
  seconds, less the uptime); zeros for the empty databases; the latency summaries (percentiles
  from ``latencystats``, count and sum from ``commandstats``); units converted (µs, ms → s).
"""

from __future__ import annotations

import math
import platform
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import NoReturn, TypeVarTuple

from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
    SummaryMetricFamily,
    UnknownMetricFamily,
)
from prometheus_client.samples import Sample

from redis_ha_exporter import __version__
from redis_ha_exporter.catalogue import BY_NAME, CONFIG_FIELDS, INFO_FIELDS, Kind
from redis_ha_exporter.events.state import DEFAULT_FAILOVER_BUCKETS, EventSnapshot
from redis_ha_exporter.parse.info import Replication
from redis_ha_exporter.parse.sentinel import SentinelPeer, SentinelReplica
from redis_ha_exporter.parse.stats import CommandLatency, CommandStat, DbKeyspace
from redis_ha_exporter.snapshot import Collection, Instance, SentinelState, TargetSnapshot

PYTHON = platform.python_version()
_Args = TypeVarTuple("_Args")
#: Databases assumed when ``CONFIG GET databases`` is refused (Redis' default, as redis_exporter).
DEFAULT_DATABASES = 16


_FAMILY_TYPES = {
    "unknown": UnknownMetricFamily,
    Kind.GAUGE.value: GaugeMetricFamily,
    Kind.COUNTER.value: CounterMetricFamily,
    Kind.SUMMARY.value: SummaryMetricFamily,
    Kind.HISTOGRAM.value: HistogramMetricFamily,
}
#: Each catalogued name's family, empty: made (and its name checked by prometheus_client) once,
#: and copied for every scrape instead of being made and checked again.
PROTOTYPES: dict[str, Metric] = {
    name: _FAMILY_TYPES[spec.exposed_type](name, spec.help, labels=list(spec.labels))
    for name, spec in BY_NAME.items()
}
#: Each catalogued name's label names, checked against every sample's.
LABEL_NAMES: dict[str, frozenset[str]] = {
    name: frozenset(spec.labels) for name, spec in BY_NAME.items()
}
#: Each name's place in the catalogue, the order families are served in.
catalogue_order = {name: index for index, name in enumerate(BY_NAME)}.__getitem__
#: The table-driven ``INFO`` families: field → (name, divisor).
_INFO_TABLE: dict[str, tuple[str, float]] = {
    field: (spec.name, spec.field.divisor if spec.field else 1.0)
    for field, spec in INFO_FIELDS.items()
}


def refuse(name: str, labels: Mapping[str, str]) -> NoReturn:
    """The ValueError for a sample whose label names are not its family's in the catalogue."""
    expected = sorted(LABEL_NAMES[name])
    raise ValueError(f"{name}: labels {sorted(labels)} != catalogue {expected}")


class Samples:
    """A sink for samples: every family name catalogued, every sample with its family's
    catalogued label names (a ValueError otherwise, a KeyError for a name not catalogued).
    A subclass stores them (:meth:`_sample`)."""

    def add(self, name: str, value: float | None, **labels: str) -> None:
        """Add one gauge or counter sample (named as catalogued: a counter's name holds its
        ``_total``); ``None`` (field absent) adds nothing."""
        self.add_sample(name, labels, value)

    def add_sample(self, name: str, labels: dict[str, str], value: float | None) -> None:
        """:meth:`add` with the labels in a dict, which the sample keeps: samples with the same
        labels may share one (left unchanged afterwards)."""
        if value is None:
            return
        if labels.keys() != LABEL_NAMES[name]:
            refuse(name, labels)
        self._sample(name, name, labels, float(value))

    def add_samples(
        self, labels: dict[str, str], samples: Iterable[tuple[str, float | None]]
    ) -> None:
        """Several samples with the same labels (one dict, which they all keep): ``(name,
        value)`` pairs, each as :meth:`add_sample`."""
        for name, value in samples:
            self.add_sample(name, labels, value)

    def add_group(self, write: Callable[[Samples, *_Args], None], *args: *_Args) -> None:
        """The samples ``write(self, *args)`` adds, which follow from its arguments alone
        (hashable, compared by value: an address and a parsed record). A sink may keep them and
        add them again for equal arguments without calling ``write``:
        :class:`~redis_ha_exporter.exposition.Exposition` does, between scrapes (a command not
        run since the last scrape has the same line in ``commandstats``, and the same samples)."""
        write(self, *args)

    def add_histogram(
        self,
        name: str,
        buckets: Sequence[tuple[float, float]],
        total: float,
        **labels: str,
    ) -> None:
        """Add one histogram: cumulative ``(upper_bound, count)`` pairs ending with +Inf (no
        negative bounds), as prometheus_client's ``HistogramMetricFamily.add_metric`` does."""
        if labels.keys() != LABEL_NAMES[name]:
            refuse(name, labels)
        for upper, count in buckets:
            self._derived(name, name + "_bucket", labels, "le", _bound(upper), float(count))
        self._sample(name, name + "_count", labels, float(buckets[-1][1]))
        self._sample(name, name + "_sum", labels, float(total))

    def add_summary(
        self,
        name: str,
        quantiles: Iterable[tuple[str, float]],
        count: float,
        total: float,
        **labels: str,
    ) -> None:
        """Add one summary: ``(quantile label, value)`` pairs, its count and sum."""
        if labels.keys() != LABEL_NAMES[name]:
            refuse(name, labels)
        for quantile, value in quantiles:
            self._derived(name, name, labels, "quantile", quantile, float(value))
        self._sample(name, name + "_count", labels, float(count))
        self._sample(name, name + "_sum", labels, float(total))

    def _sample(self, family: str, name: str, labels: dict[str, str], value: float) -> None:
        """Store sample ``name`` of catalogued ``family``."""
        raise NotImplementedError

    def _derived(
        self, family: str, name: str, labels: dict[str, str], label: str, text: str, value: float
    ) -> None:
        """Store a sample whose labels are ``labels`` and ``label="text"`` (``le``,
        ``quantile``)."""
        self._sample(family, name, {**labels, label: text}, value)


class FamilyBuilder(Samples):
    """Collects samples into one prometheus_client metric family per catalogued name."""

    def __init__(self) -> None:
        self._families: dict[str, Metric] = {}

    def _sample(self, family: str, name: str, labels: dict[str, str], value: float) -> None:
        metric = self._families.get(family)
        if metric is None:
            prototype = PROTOTYPES[family]
            metric = object.__new__(type(prototype))
            metric.__dict__.update(prototype.__dict__)
            metric.samples = []
            self._families[family] = metric
        metric.samples.append(Sample(name, labels, value))

    def families(self) -> list[Metric]:
        """The families that received samples, in catalogue order."""
        return [self._families[name] for name in sorted(self._families, key=catalogue_order)]


def _bound(upper: float) -> str:
    return "+Inf" if upper == float("inf") else repr(float(upper))


def add_replication(out: Samples, addr: str, repl: Replication) -> None:
    """``INFO replication`` → the replication families (compat names, plus ours)."""
    at = {"addr": addr}
    out.add_samples(
        at,
        (
            ("redis_connected_slaves", repl.connected_slaves),
            ("redis_master_repl_offset", repl.master_repl_offset),
            ("redis_second_repl_offset", repl.second_repl_offset),
            ("redis_replication_backlog_bytes", repl.repl_backlog_size),
            ("redis_repl_backlog_is_active", repl.repl_backlog_active),
            ("redis_repl_backlog_first_byte_offset", repl.repl_backlog_first_byte_offset),
            ("redis_repl_backlog_history_bytes", repl.repl_backlog_histlen),
            ("redis_slave_priority", repl.slave_priority),
        ),
    )
    for replica in repl.replicas:
        slave = {"addr": addr, "slave_ip": replica.ip, "slave_port": replica.port}
        state = {**slave, "slave_state": replica.state}
        out.add_samples(
            state,
            (
                ("redis_connected_slave_offset_bytes", replica.offset),
                ("redis_connected_slave_lag_seconds", replica.lag),
            ),
        )
        if repl.master_repl_offset is not None and replica.offset is not None:
            lag = max(repl.master_repl_offset - replica.offset, 0)
            out.add_sample("redis_connected_slave_lag_bytes", slave, lag)
    link = repl.link
    if link is None:
        return
    where = {"addr": addr, "master_host": link.host, "master_port": link.port}
    out.add_samples(
        where,
        (
            ("redis_master_link_up", 1.0 if link.link_up else 0.0),
            ("redis_master_last_io_seconds_ago", link.last_io_seconds_ago),
            ("redis_master_sync_in_progress", link.sync_in_progress),
            ("redis_slave_repl_offset", link.slave_repl_offset),
        ),
    )
    out.add_sample("redis_slave_info", {**where, "read_only": link.read_only}, 1.0)
    down_since = 0.0 if link.link_up else link.link_down_since_seconds
    out.add_sample("redis_master_link_down_since_seconds", at, down_since)


def _down_like_redis_exporter(flags: frozenset[str]) -> bool:
    # redis_exporter tests the comma-joined flags string with strings.Contains(flags,
    # "o_down") / (flags, "s_down"); neither needle holds a comma, so testing each name for
    # the substring gives the same answer for every input.
    return any("s_down" in f or "o_down" in f for f in flags)


def count_ok_slaves(replicas: Iterable[SentinelReplica]) -> int:
    """Value of ``redis_sentinel_master_ok_slaves``: replicas that are not down.

    Counted the way oliver006/redis_exporter counts it (the same in v1.45.0, Debian's
    ``prometheus-redis-exporter``, and in current releases; ``processSentinelSlaves`` in
    ``exporter/sentinels.go``): the number of ``SENTINEL SLAVES`` entries whose flags
    contain neither ``s_down`` nor ``o_down`` (substring test on the flags string).  A
    replica flagged only ``disconnected`` IS counted (unlike :func:`replica_up`).
    redis_exporter skips entries without ``flags``; our parser rejects such replies outright.
    When ``SENTINEL SLAVES`` fails, redis_exporter still exports 0 (an empty list here).
    """
    return sum(1 for r in replicas if not _down_like_redis_exporter(r.flags))


def count_ok_sentinels(peers: Iterable[SentinelPeer]) -> int:
    """Value of ``redis_sentinel_master_ok_sentinels``: this Sentinel plus the peers not down.

    Counted the way oliver006/redis_exporter counts it (v1.45.0 and current,
    ``processSentinelSentinels`` in ``exporter/sentinels.go``): it starts at 1 for the
    Sentinel being scraped and adds every ``SENTINEL SENTINELS`` entry whose flags contain
    neither ``s_down`` nor ``o_down`` (substring test on the flags string).  So with three
    healthy Sentinels the value is 3, and it is at least 1 even when ``SENTINEL SENTINELS``
    fails (redis_exporter then exports 1: pass an empty list).
    """
    return 1 + sum(1 for p in peers if not _down_like_redis_exporter(p.flags))


def replica_up(replica: SentinelReplica) -> bool:
    """Value of ``redis_sentinel_replica_up``: False when the Sentinel flags the replica
    ``s_down``, ``o_down`` or ``disconnected``."""
    return not replica.flags & {"s_down", "o_down", "disconnected"}


def add_sentinel(out: Samples, addr: str, state: SentinelState, dropped_total: int) -> None:
    """A Sentinel's INFO and SENTINEL replies → the Sentinel families (compat, plus ours)."""
    info = state.info
    out.add_samples(
        {"addr": addr},
        (
            ("redis_sentinel_masters", info.masters),
            ("redis_sentinel_tilt", info.tilt),
            ("redis_sentinel_running_scripts", info.running_scripts),
            ("redis_sentinel_scripts_queue_length", info.scripts_queue_length),
            ("redis_sentinel_simulate_failure_flags", info.simulate_failure_flags),
            ("redis_sentinel_masters_dropped_total", dropped_total),
        ),
    )
    for monitored in state.masters:
        name = monitored.name
        where = {"addr": addr, "master_name": name, "master_address": monitored.address}
        if monitored.info is not None:
            line = monitored.info
            out.add_sample(
                "redis_sentinel_master_status",
                {**where, "master_status": line.status},
                1.0 if line.ok else 0.0,
            )
            out.add_samples(
                where,
                (
                    ("redis_sentinel_master_slaves", line.slaves),
                    ("redis_sentinel_master_sentinels", line.sentinels),
                ),
            )
        # A SENTINEL subcommand refused by an ACL leaves out its families, never a made-up 0.
        if monitored.replicas is not None:
            out.add_sample(
                "redis_sentinel_master_ok_slaves", where, count_ok_slaves(monitored.replicas)
            )
        if monitored.peers is not None:
            out.add_sample(
                "redis_sentinel_master_ok_sentinels", where, count_ok_sentinels(monitored.peers)
            )
        of_master = {"addr": addr, "master_name": name}
        master = monitored.master
        if master is not None:
            out.add_samples(
                where,
                (
                    ("redis_sentinel_master_config_epoch", master.config_epoch),
                    ("redis_sentinel_master_setting_ckquorum", master.quorum),
                    ("redis_sentinel_master_setting_failover_timeout", master.failover_timeout_ms),
                    ("redis_sentinel_master_setting_parallel_syncs", master.parallel_syncs),
                    ("redis_sentinel_master_setting_down_after_milliseconds", master.down_after_ms),
                ),
            )
            out.add_samples(
                of_master,
                (
                    ("redis_sentinel_master_sdown", float(master.sdown)),
                    ("redis_sentinel_master_odown", float(master.odown)),
                    (
                        "redis_sentinel_master_failover_in_progress",
                        float(master.failover_in_progress),
                    ),
                ),
            )
        if monitored.ckquorum is not None:
            out.add_sample(
                "redis_sentinel_master_ckquorum_ok", of_master, float(monitored.ckquorum.ok)
            )
        for replica in monitored.replicas or ():
            out.add_samples(
                {"addr": addr, "master_name": name, "replica_address": replica.address},
                (
                    ("redis_sentinel_replica_up", float(replica_up(replica))),
                    ("redis_sentinel_replica_master_link_up", float(replica.master_link_ok)),
                    ("redis_sentinel_replica_offset_bytes", replica.repl_offset),
                ),
            )


def add_events(
    out: Samples, addr: str, events: EventSnapshot, masters: EventMasters = (None, ())
) -> None:
    """A Sentinel's event state → the event-stream families.

    With the Sentinel's collection (``masters``: those it monitors now, and those of them it
    flags ``failover_in_progress``; see :func:`event_masters`), only the masters it monitors now
    are shown, so the series of a removed master end at the next scrape; their failover
    counters and duration histograms start at zero, so ``increase()`` sees the first failover
    too; and a failover the event state tracks is shown as started only while the Sentinel
    flags it ``failover_in_progress``. Without it (``None``: its scrape failed), all the stream
    counted is shown.
    """
    monitored, in_progress = masters
    out.add_samples(
        {"addr": addr},
        (
            ("redis_sentinel_event_stream_up", float(events.stream_up)),
            ("redis_sentinel_event_stream_reconnects_total", events.reconnects),
            ("redis_sentinel_event_parse_errors_total", events.parse_errors),
        ),
    )
    shown = None if monitored is None else set(monitored)
    for (master_name, event), count in sorted(events.events.items()):
        if master_name and shown is not None and master_name not in shown:
            continue
        at = {"addr": addr, "master_name": master_name, "event": event}
        out.add_sample("redis_sentinel_events_total", at, count)
    names = sorted({*events.failovers, *events.durations} if monitored is None else monitored)
    empty = [(bound, 0.0) for bound in (*DEFAULT_FAILOVER_BUCKETS, float("inf"))]
    for name in names:
        of_master = {"addr": addr, "master_name": name}
        out.add_samples(
            of_master,
            (
                ("redis_sentinel_failovers_total", events.failovers.get(name, 0)),
                ("redis_sentinel_last_failover_timestamp_seconds", events.last_failover.get(name)),
            ),
        )
        histogram = events.durations.get(name)
        if histogram is None:
            buckets, total = empty, 0.0
        else:
            buckets, total = [(b, float(n)) for b, n in histogram.buckets], histogram.sum
        out.add_histogram("redis_sentinel_failover_duration_seconds", buckets, total, **of_master)
    for name in in_progress:
        out.add_sample(
            "redis_sentinel_failover_started_timestamp_seconds",
            {"addr": addr, "master_name": name},
            events.failovers_in_progress.get(name),
        )


def add_instance(out: Samples, addr: str, instance: Instance) -> None:
    """A Redis server's full ``INFO`` and admin replies → the ``instance`` group's families
    (``redis_start_time_seconds`` aside), driven by the catalogue's field tables. Samples with
    the same labels share one label dict."""
    stats = instance.stats
    at = {"addr": addr}
    table = _INFO_TABLE
    out.add_samples(at, [(table[f][0], v / table[f][1]) for f, v in stats.numbers.items()])
    config = instance.config or {}
    out.add_samples(at, [(s.name, config[p]) for p, s in CONFIG_FIELDS.items() if p in config])
    databases = int(config.get("databases", 0)) or DEFAULT_DATABASES
    out.add_group(_add_keyspace, addr, stats.keyspace, databases)
    calls = {}
    for command in stats.commands:
        calls[command.cmd] = command
        out.add_group(_add_command, addr, command)
    for error in stats.errors:
        out.add_sample("redis_errors_total", {"addr": addr, "err": error.err}, error.count)
    for latency in stats.latencies:
        counted = calls.get(latency.cmd)
        if counted is not None:
            out.add_group(_add_latency, addr, latency, counted)
    out.add_sample("redis_slowlog_length", at, instance.slowlog_length)
    if instance.slowlog is not None:
        newest = instance.slowlog[0] if instance.slowlog else None
        out.add_sample("redis_slowlog_last_id", at, newest.id if newest else 0)
        duration = newest.duration_us / 1e6 if newest else 0.0
        out.add_sample("redis_last_slow_execution_duration_seconds", at, duration)
    for spike in instance.latency or ():
        event = {"addr": addr, "event_name": spike.event}
        out.add_sample("redis_latency_spike_last", event, spike.last_timestamp)
        out.add_sample("redis_latency_spike_duration_seconds", event, spike.latest_ms / 1e3)


def _add_keyspace(
    out: Samples, addr: str, keyspace: tuple[DbKeyspace, ...], databases: int
) -> None:
    """``dbN`` lines, and zeros for the other databases up to ``databases``."""
    present = set()
    for db in keyspace:
        present.add(db.db)
        ttl = None if db.avg_ttl_ms is None else db.avg_ttl_ms / 1e3
        out.add_samples(
            {"addr": addr, "db": db.db},
            (
                ("redis_db_keys", db.keys),
                ("redis_db_keys_expiring", db.expires),
                ("redis_db_avg_ttl_seconds", ttl),
            ),
        )
    for index in range(databases):
        if f"db{index}" not in present:
            empty = {"addr": addr, "db": f"db{index}"}
            out.add_samples(empty, (("redis_db_keys", 0), ("redis_db_keys_expiring", 0)))


def _add_command(out: Samples, addr: str, command: CommandStat) -> None:
    """One ``cmdstat_*`` line."""
    out.add_samples(
        {"addr": addr, "cmd": command.cmd},
        (
            ("redis_commands_total", command.calls),
            ("redis_commands_duration_seconds_total", command.usec / 1e6),
            ("redis_commands_rejected_calls_total", command.rejected_calls),
            ("redis_commands_failed_calls_total", command.failed_calls),
        ),
    )


def _add_latency(out: Samples, addr: str, latency: CommandLatency, counted: CommandStat) -> None:
    """One ``latency_percentiles_usec_*`` line, its count and sum from ``cmdstat_*``."""
    out.add_summary(
        "redis_latency_percentiles_usec",
        latency.percentiles,
        counted.calls,
        counted.usec,
        addr=addr,
        cmd=latency.cmd,
    )


def add_target(out: Samples, snap: TargetSnapshot, dropped_total: int = 0) -> None:
    """One target's snapshot → its families (``redis_up`` and the exporter's view always)."""
    addr = snap.addr
    at = {"addr": addr}
    out.add_samples(
        at,
        (
            ("redis_up", 1.0 if snap.up else 0.0),
            ("redis_exporter_last_scrape_duration_seconds", snap.duration_seconds),
            ("redis_exporter_last_scrape_error", 0.0 if snap.up else 1.0),
        ),
    )
    if not snap.up:
        return
    server = snap.server
    if server is not None:
        role = snap.replication.role if snap.replication is not None else ""
        out.add(
            "redis_instance_info",
            1.0,
            addr=addr,
            role=role,
            redis_version=server.redis_version,
            redis_build_id=server.redis_build_id,
            redis_mode=server.redis_mode,
            os=server.os,
            maxmemory_policy=server.maxmemory_policy,
            tcp_port=server.tcp_port,
            run_id=server.run_id,
            process_id=server.process_id,
            master_replid=server.master_replid,
        )
        uptime = server.uptime_in_seconds
        out.add_sample("redis_uptime_in_seconds", at, uptime)
        if snap.instance is not None and uptime is not None:
            started = math.floor(snap.collected_at) - uptime
            out.add_sample("redis_start_time_seconds", at, started)
    if snap.replication is not None:
        add_replication(out, addr, snap.replication)
    if snap.instance is not None:
        add_instance(out, addr, snap.instance)
    if snap.sentinel is not None:
        add_sentinel(out, addr, snap.sentinel, dropped_total)


def fill(
    out: Samples, collection: Collection, events: Mapping[str, EventSnapshot] | None = None
) -> None:
    """Every sample of a collection: per-target metrics, event streams, the exporter's own."""
    for snap in collection.targets:
        add_target(out, snap, collection.masters_dropped_total.get(snap.addr, 0))
    masters = event_masters(collection)
    for addr, snapshot in (events or {}).items():
        add_events(out, addr, snapshot, masters.get(addr, (None, ())))
    add_own(out, collection)


#: What a Sentinel's event-stream samples show besides its event state: the masters it monitors
#: now (None when its collection failed) and those of them it flags ``failover_in_progress``.
EventMasters = tuple[tuple[str, ...] | None, tuple[str, ...]]


def event_masters(collection: Collection) -> dict[str, EventMasters]:
    """The :data:`EventMasters` of each Sentinel the collection read, by its ``addr``."""
    return {
        snap.addr: (
            tuple(m.name for m in snap.sentinel.masters),
            tuple(
                m.name
                for m in snap.sentinel.masters
                if m.master is not None and m.master.failover_in_progress  # None: unknown
            ),
        )
        for snap in collection.targets
        if snap.sentinel is not None
    }


def add_own(out: Samples, collection: Collection) -> None:
    """The exporter's own samples."""
    out.add("redis_exporter_build_info", 1.0, version=__version__, python_version=PYTHON)
    out.add("redis_exporter_scrapes_total", float(collection.scrapes_total))


def build_families(
    collection: Collection, events: Mapping[str, EventSnapshot] | None = None
) -> list[Metric]:
    """Every family for a collection, as prometheus_client metric families."""
    out = FamilyBuilder()
    fill(out, collection, events)
    return out.families()


def registry_of(families: Sequence[Metric]) -> CollectorRegistry:
    """A private registry serving ``families`` (for prometheus_client's encoders)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StaticCollector(families))
    return registry


class StaticCollector:
    """A collector over families built in advance: ``collect()`` does no I/O."""

    def __init__(self, families: Sequence[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)
