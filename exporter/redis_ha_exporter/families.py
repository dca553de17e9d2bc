"""Metric families from snapshots: pure, driven by the catalogue, no I/O, no text formatting.

:class:`FamilyBuilder` checks every sample against :mod:`redis_ha_exporter.catalogue` (name,
type, label names), so a metric cannot be emitted unless it is catalogued and documented.

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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

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
from redis_ha_exporter.snapshot import Collection, Instance, SentinelState, TargetSnapshot

#: Databases assumed when ``CONFIG GET databases`` is refused (Redis' default, as redis_exporter).
DEFAULT_DATABASES = 16


_FAMILY_TYPES = {
    "unknown": UnknownMetricFamily,
    Kind.GAUGE.value: GaugeMetricFamily,
    Kind.COUNTER.value: CounterMetricFamily,
    Kind.SUMMARY.value: SummaryMetricFamily,
    Kind.HISTOGRAM.value: HistogramMetricFamily,
}
#: Each catalogued name's family type, and its label names in catalogue order and as a set
#: (checked per sample): worked out once, not on every scrape.
_FAMILY: dict[str, type[Metric]] = {
    name: _FAMILY_TYPES[spec.exposed_type] for name, spec in BY_NAME.items()
}
_LABELS: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    name: (spec.labels, frozenset(spec.labels)) for name, spec in BY_NAME.items()
}


class FamilyBuilder:
    """Collects samples into one family per catalogued name, in catalogue label order."""

    def __init__(self) -> None:
        self._families: dict[str, Metric] = {}

    def _family(self, name: str) -> Metric:
        family = self._families.get(name)
        if family is None:
            make: Any = _FAMILY[name]
            family = make(name, BY_NAME[name].help, labels=list(_LABELS[name][0]))
            self._families[name] = family
        return family

    def _labels(self, name: str, labels: dict[str, str]) -> dict[str, str]:
        """``labels`` in catalogue order; a ValueError unless they are the catalogued ones."""
        order, expected = _LABELS[name]
        if labels.keys() != expected:
            raise ValueError(f"{name}: labels {sorted(labels)} != catalogue {sorted(expected)}")
        return {key: labels[key] for key in order}

    def _values(self, name: str, labels: dict[str, str]) -> list[str]:
        return list(self._labels(name, labels).values())

    def add(self, name: str, value: float | None, **labels: str) -> None:
        """Add one gauge or counter sample (named as catalogued: a counter's name holds its
        ``_total``); ``None`` (field absent) adds nothing."""
        if value is None:
            return
        family = self._families.get(name) or self._family(name)
        family.samples.append(Sample(name, self._labels(name, labels), float(value)))

    def add_histogram(
        self,
        name: str,
        buckets: Sequence[tuple[float, float]],
        total: float,
        **labels: str,
    ) -> None:
        """Add one histogram: cumulative ``(upper_bound, count)`` pairs ending with +Inf."""
        family = self._family(name)
        values = self._values(name, labels)
        bucket_pairs = [(_bound(upper), count) for upper, count in buckets]
        family.add_metric(values, bucket_pairs, total)  # type: ignore[attr-defined]

    def add_summary(
        self,
        name: str,
        quantiles: Iterable[tuple[str, float]],
        count: float,
        total: float,
        **labels: str,
    ) -> None:
        """Add one summary: ``(quantile label, value)`` pairs, its count and sum."""
        family = self._family(name)
        values = self._values(name, labels)
        for quantile, value in quantiles:
            family.add_sample(name, {**labels, "quantile": quantile}, float(value))
        family.add_metric(values, count, total)  # type: ignore[attr-defined]

    def families(self) -> list[Metric]:
        """The families that received samples, in catalogue order."""
        return [self._families[name] for name in BY_NAME if name in self._families]


def _bound(upper: float) -> str:
    return "+Inf" if upper == float("inf") else repr(float(upper))


def add_replication(out: FamilyBuilder, addr: str, repl: Replication) -> None:
    """``INFO replication`` → the replication families (compat names, plus ours)."""
    out.add("redis_connected_slaves", repl.connected_slaves, addr=addr)
    out.add("redis_master_repl_offset", repl.master_repl_offset, addr=addr)
    out.add("redis_second_repl_offset", repl.second_repl_offset, addr=addr)
    out.add("redis_replication_backlog_bytes", repl.repl_backlog_size, addr=addr)
    out.add("redis_repl_backlog_is_active", repl.repl_backlog_active, addr=addr)
    out.add("redis_repl_backlog_first_byte_offset", repl.repl_backlog_first_byte_offset, addr=addr)
    out.add("redis_repl_backlog_history_bytes", repl.repl_backlog_histlen, addr=addr)
    out.add("redis_slave_priority", repl.slave_priority, addr=addr)
    for replica in repl.replicas:
        slave = {"slave_ip": replica.ip, "slave_port": replica.port}
        state = {**slave, "slave_state": replica.state}
        out.add("redis_connected_slave_offset_bytes", replica.offset, addr=addr, **state)
        out.add("redis_connected_slave_lag_seconds", replica.lag, addr=addr, **state)
        if repl.master_repl_offset is not None and replica.offset is not None:
            lag = max(repl.master_repl_offset - replica.offset, 0)
            out.add("redis_connected_slave_lag_bytes", lag, addr=addr, **slave)
    link = repl.link
    if link is None:
        return
    where = {"master_host": link.host, "master_port": link.port}
    out.add("redis_master_link_up", 1.0 if link.link_up else 0.0, addr=addr, **where)
    out.add("redis_master_last_io_seconds_ago", link.last_io_seconds_ago, addr=addr, **where)
    out.add("redis_master_sync_in_progress", link.sync_in_progress, addr=addr, **where)
    out.add("redis_slave_repl_offset", link.slave_repl_offset, addr=addr, **where)
    out.add("redis_slave_info", 1.0, addr=addr, read_only=link.read_only, **where)
    down_since = 0.0 if link.link_up else link.link_down_since_seconds
    out.add("redis_master_link_down_since_seconds", down_since, addr=addr)


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


def add_sentinel(out: FamilyBuilder, addr: str, state: SentinelState, dropped_total: int) -> None:
    """A Sentinel's INFO and SENTINEL replies → the Sentinel families (compat, plus ours)."""
    info = state.info
    out.add("redis_sentinel_masters", info.masters, addr=addr)
    out.add("redis_sentinel_tilt", info.tilt, addr=addr)
    out.add("redis_sentinel_running_scripts", info.running_scripts, addr=addr)
    out.add("redis_sentinel_scripts_queue_length", info.scripts_queue_length, addr=addr)
    out.add("redis_sentinel_simulate_failure_flags", info.simulate_failure_flags, addr=addr)
    out.add("redis_sentinel_masters_dropped_total", dropped_total, addr=addr)
    for monitored in state.masters:
        name = monitored.name
        where = {"addr": addr, "master_name": name, "master_address": monitored.address}
        if monitored.info is not None:
            line = monitored.info
            out.add(
                "redis_sentinel_master_status",
                1.0 if line.ok else 0.0,
                master_status=line.status,
                **where,
            )
            out.add("redis_sentinel_master_slaves", line.slaves, **where)
            out.add("redis_sentinel_master_sentinels", line.sentinels, **where)
        # A SENTINEL subcommand refused by an ACL leaves out its families, never a made-up 0.
        if monitored.replicas is not None:
            out.add("redis_sentinel_master_ok_slaves", count_ok_slaves(monitored.replicas), **where)
        if monitored.peers is not None:
            out.add(
                "redis_sentinel_master_ok_sentinels", count_ok_sentinels(monitored.peers), **where
            )
        master = monitored.master
        if master is not None:
            out.add("redis_sentinel_master_config_epoch", master.config_epoch, **where)
            out.add("redis_sentinel_master_setting_ckquorum", master.quorum, **where)
            out.add(
                "redis_sentinel_master_setting_failover_timeout",
                master.failover_timeout_ms,
                **where,
            )
            out.add("redis_sentinel_master_setting_parallel_syncs", master.parallel_syncs, **where)
            out.add(
                "redis_sentinel_master_setting_down_after_milliseconds",
                master.down_after_ms,
                **where,
            )
            at_master = {"addr": addr, "master_name": name}
            out.add("redis_sentinel_master_sdown", float(master.sdown), **at_master)
            out.add("redis_sentinel_master_odown", float(master.odown), **at_master)
            out.add(
                "redis_sentinel_master_failover_in_progress",
                float(master.failover_in_progress),
                **at_master,
            )
        if monitored.ckquorum is not None:
            out.add(
                "redis_sentinel_master_ckquorum_ok",
                float(monitored.ckquorum.ok),
                addr=addr,
                master_name=name,
            )
        for replica in monitored.replicas or ():
            at = {"addr": addr, "master_name": name, "replica_address": replica.address}
            out.add("redis_sentinel_replica_up", float(replica_up(replica)), **at)
            out.add("redis_sentinel_replica_master_link_up", float(replica.master_link_ok), **at)
            out.add("redis_sentinel_replica_offset_bytes", replica.repl_offset, **at)


def add_events(
    out: FamilyBuilder, addr: str, events: EventSnapshot, sentinel: SentinelState | None = None
) -> None:
    """A Sentinel's event state → the event-stream families.

    With the Sentinel's collection (``sentinel``: its scrape succeeded), only the masters it
    monitors now are shown, so the series of a removed master end at the next scrape; their
    failover counters and duration histograms start at zero, so ``increase()`` sees the first
    failover too; and a failover the event state tracks is shown as started only while the
    Sentinel flags it ``failover_in_progress``. Without it, all the stream counted is shown.
    """
    out.add("redis_sentinel_event_stream_up", float(events.stream_up), addr=addr)
    out.add("redis_sentinel_event_stream_reconnects_total", events.reconnects, addr=addr)
    out.add("redis_sentinel_event_parse_errors_total", events.parse_errors, addr=addr)
    monitored = None if sentinel is None else {m.name for m in sentinel.masters}
    for (master_name, event), count in sorted(events.events.items()):
        if master_name and monitored is not None and master_name not in monitored:
            continue
        out.add(
            "redis_sentinel_events_total", count, addr=addr, master_name=master_name, event=event
        )
    counted = {*events.failovers, *events.durations}
    names = sorted(counted if monitored is None else monitored)
    empty = [(bound, 0.0) for bound in (*DEFAULT_FAILOVER_BUCKETS, float("inf"))]
    for name in names:
        out.add(
            "redis_sentinel_failovers_total",
            events.failovers.get(name, 0),
            addr=addr,
            master_name=name,
        )
        out.add(
            "redis_sentinel_last_failover_timestamp_seconds",
            events.last_failover.get(name),
            addr=addr,
            master_name=name,
        )
        histogram = events.durations.get(name)
        if histogram is None:
            out.add_histogram(
                "redis_sentinel_failover_duration_seconds", empty, 0.0, addr=addr, master_name=name
            )
        else:
            out.add_histogram(
                "redis_sentinel_failover_duration_seconds",
                [(b, float(n)) for b, n in histogram.buckets],
                histogram.sum,
                addr=addr,
                master_name=name,
            )
    for monitored_master in sentinel.masters if sentinel is not None else ():
        master = monitored_master.master  # None: SENTINEL MASTERS refused, the flag unknown
        if master is not None and master.failover_in_progress:
            out.add(
                "redis_sentinel_failover_started_timestamp_seconds",
                events.failovers_in_progress.get(monitored_master.name),
                addr=addr,
                master_name=monitored_master.name,
            )


def add_instance(out: FamilyBuilder, addr: str, instance: Instance) -> None:
    """A Redis server's full ``INFO`` and admin replies → the ``instance`` group's families
    (``redis_start_time_seconds`` aside), driven by the catalogue's field tables."""
    stats = instance.stats
    for field, value in stats.numbers.items():
        spec = INFO_FIELDS[field]
        out.add(spec.name, value / spec.field.divisor if spec.field else value, addr=addr)
    config = instance.config or {}
    for parameter, spec in CONFIG_FIELDS.items():
        if parameter in config:
            out.add(spec.name, config[parameter], addr=addr)
    present = set()
    for db in stats.keyspace:
        present.add(db.db)
        out.add("redis_db_keys", db.keys, addr=addr, db=db.db)
        out.add("redis_db_keys_expiring", db.expires, addr=addr, db=db.db)
        if db.avg_ttl_ms is not None:
            out.add("redis_db_avg_ttl_seconds", db.avg_ttl_ms / 1e3, addr=addr, db=db.db)
    databases = int(config.get("databases", 0)) or DEFAULT_DATABASES
    for index in range(databases):
        if f"db{index}" not in present:
            out.add("redis_db_keys", 0, addr=addr, db=f"db{index}")
            out.add("redis_db_keys_expiring", 0, addr=addr, db=f"db{index}")
    calls = {}
    for command in stats.commands:
        cmd = command.cmd
        calls[cmd] = command
        out.add("redis_commands_total", command.calls, addr=addr, cmd=cmd)
        out.add("redis_commands_duration_seconds_total", command.usec / 1e6, addr=addr, cmd=cmd)
        out.add("redis_commands_rejected_calls_total", command.rejected_calls, addr=addr, cmd=cmd)
        out.add("redis_commands_failed_calls_total", command.failed_calls, addr=addr, cmd=cmd)
    for error in stats.errors:
        out.add("redis_errors_total", error.count, addr=addr, err=error.err)
    for latency in stats.latencies:
        counted = calls.get(latency.cmd)
        if counted is not None:
            out.add_summary(
                "redis_latency_percentiles_usec",
                latency.percentiles,
                counted.calls,
                counted.usec,
                addr=addr,
                cmd=latency.cmd,
            )
    out.add("redis_slowlog_length", instance.slowlog_length, addr=addr)
    if instance.slowlog is not None:
        newest = instance.slowlog[0] if instance.slowlog else None
        out.add("redis_slowlog_last_id", newest.id if newest else 0, addr=addr)
        duration = newest.duration_us / 1e6 if newest else 0.0
        out.add("redis_last_slow_execution_duration_seconds", duration, addr=addr)
    for spike in instance.latency or ():
        event = {"addr": addr, "event_name": spike.event}
        out.add("redis_latency_spike_last", spike.last_timestamp, **event)
        out.add("redis_latency_spike_duration_seconds", spike.latest_ms / 1e3, **event)


def add_target(out: FamilyBuilder, snap: TargetSnapshot, dropped_total: int = 0) -> None:
    """One target's snapshot → its families (``redis_up`` and the exporter's view always)."""
    addr = snap.addr
    out.add("redis_up", 1.0 if snap.up else 0.0, addr=addr)
    out.add("redis_exporter_last_scrape_duration_seconds", snap.duration_seconds, addr=addr)
    out.add("redis_exporter_last_scrape_error", 0.0 if snap.up else 1.0, addr=addr)
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
        out.add("redis_uptime_in_seconds", uptime, addr=addr)
        if snap.instance is not None and uptime is not None:
            started = math.floor(snap.collected_at) - uptime
            out.add("redis_start_time_seconds", started, addr=addr)
    if snap.replication is not None:
        add_replication(out, addr, snap.replication)
    if snap.instance is not None:
        add_instance(out, addr, snap.instance)
    if snap.sentinel is not None:
        add_sentinel(out, addr, snap.sentinel, dropped_total)


def build_families(
    collection: Collection, events: Mapping[str, EventSnapshot] | None = None
) -> list[Metric]:
    """Every family for a collection: per-target metrics, event streams, the exporter's own."""
    out = FamilyBuilder()
    sentinels: dict[str, SentinelState] = {}
    for snap in collection.targets:
        add_target(out, snap, collection.masters_dropped_total.get(snap.addr, 0))
        if snap.sentinel is not None:
            sentinels[snap.addr] = snap.sentinel
    for addr, snapshot in (events or {}).items():
        add_events(out, addr, snapshot, sentinels.get(addr))
    out.add(
        "redis_exporter_build_info",
        1.0,
        version=__version__,
        python_version=platform.python_version(),
    )
    out.add("redis_exporter_scrapes_total", float(collection.scrapes_total))
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
