"""The one catalogue of every metric the exporter serves.

Each entry names a metric exactly as it is exposed, its type, help text, labels (``addr``
included where the series is about one Redis or Sentinel process) and where its value comes
from.  The metric families code, ``docs/metrics.md`` and the tests are all driven by this table:
add a metric here first.

``compat`` marks names kept from oliver006/redis_exporter with its labels and meaning (plus
``addr``), so that existing queries keep working.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """Prometheus metric type."""

    GAUGE = "gauge"
    COUNTER = "counter"
    HISTOGRAM = "histogram"


@dataclass(frozen=True)
class MetricSpec:
    """One exposed metric: its full name (counters end in ``_total``), type, help and labels."""

    name: str
    kind: Kind
    help: str
    labels: tuple[str, ...]
    source: str
    group: str
    compat: bool = False


ADDR = ("addr",)
SLAVE = ("addr", "slave_ip", "slave_port", "slave_state")
LINK = ("addr", "master_host", "master_port")
MASTER = ("addr", "master_name", "master_address")
MASTER_NAME = ("addr", "master_name")
REPLICA = ("addr", "master_name", "replica_address")

G, C, H = Kind.GAUGE, Kind.COUNTER, Kind.HISTOGRAM
REDIS, SENTINEL, EVENTS, SELF = "redis", "sentinel", "events", "exporter"

CATALOGUE: tuple[MetricSpec, ...] = (
    # --- every target -------------------------------------------------------------------
    MetricSpec(
        "redis_up",
        G,
        "1 if the last scrape of this Redis or Sentinel succeeded, else 0.",
        ADDR,
        "connection + INFO",
        REDIS,
        compat=True,
    ),
    MetricSpec(
        "redis_instance_info",
        G,
        "Information about the Redis or Sentinel process (always 1).",
        ("addr", "role", "redis_version", "redis_mode", "tcp_port", "run_id"),
        "INFO server: redis_version, redis_mode, tcp_port, run_id; INFO replication: role",
        REDIS,
        compat=True,
    ),
    MetricSpec(
        "redis_uptime_in_seconds",
        G,
        "Seconds since the process started.",
        ADDR,
        "INFO server: uptime_in_seconds",
        REDIS,
        compat=True,
    ),
    # --- Redis: replication -------------------------------------------------------------
    MetricSpec(
        "redis_connected_slaves",
        G,
        "Number of connected replicas.",
        ADDR,
        "INFO replication: connected_slaves",
        REDIS,
        compat=True,
    ),
    MetricSpec(
        "redis_master_repl_offset",
        G,
        "Replication offset of this instance.",
        ADDR,
        "INFO replication: master_repl_offset",
        REDIS,
        compat=True,
    ),
    MetricSpec(
        "redis_second_repl_offset",
        G,
        "Offset up to which the previous replication ID is accepted (-1 when none).",
        ADDR,
        "INFO replication: second_repl_offset",
        REDIS,
        compat=True,
    ),
    MetricSpec(
        "redis_replication_backlog_bytes",
        G,
        "Size of the replication backlog buffer.",
        ADDR,
        "INFO replication: repl_backlog_size",
        REDIS,
        compat=True,
    ),
    MetricSpec(
        "redis_repl_backlog_is_active",
        G,
        "1 if the replication backlog is active.",
        ADDR,
        "INFO replication: repl_backlog_active",
        REDIS,
        compat=True,
    ),
    MetricSpec(
        "redis_repl_backlog_first_byte_offset",
        G,
        "Master offset of the first byte in the replication backlog.",
        ADDR,
        "INFO replication: repl_backlog_first_byte_offset",
        REDIS,
        compat=True,
    ),
    MetricSpec(
        "redis_repl_backlog_history_bytes",
        G,
        "Bytes of data in the replication backlog.",
        ADDR,
        "INFO replication: repl_backlog_histlen",
        REDIS,
        compat=True,
    ),
    MetricSpec(
        "redis_connected_slave_offset_bytes",
        G,
        "Replication offset acknowledged by a connected replica (seen from its master).",
        SLAVE,
        "INFO replication: slaveN offset=",
        REDIS,
        compat=True,
    ),
    MetricSpec(
        "redis_connected_slave_lag_seconds",
        G,
        "Seconds since a connected replica last acknowledged (seen from its master).",
        SLAVE,
        "INFO replication: slaveN lag=",
        REDIS,
        compat=True,
    ),
    MetricSpec(
        "redis_connected_slave_lag_bytes",
        G,
        "Bytes a connected replica is behind: "
        "master_repl_offset minus the replica's acknowledged offset.",
        ("addr", "slave_ip", "slave_port"),
        "INFO replication: master_repl_offset - slaveN offset=",
        REDIS,
    ),
    MetricSpec(
        "redis_master_link_up",
        G,
        "1 if this replica's link to its master is up.",
        LINK,
        "INFO replication: master_link_status",
        REDIS,
        compat=True,
    ),
    MetricSpec(
        "redis_master_last_io_seconds_ago",
        G,
        "Seconds since this replica last heard from its master (-1 when never).",
        LINK,
        "INFO replication: master_last_io_seconds_ago",
        REDIS,
        compat=True,
    ),
    MetricSpec(
        "redis_master_sync_in_progress",
        G,
        "1 while this replica is syncing from its master.",
        LINK,
        "INFO replication: master_sync_in_progress",
        REDIS,
        compat=True,
    ),
    MetricSpec(
        "redis_slave_repl_offset",
        G,
        "Replication offset of this replica.",
        LINK,
        "INFO replication: slave_repl_offset",
        REDIS,
        compat=True,
    ),
    MetricSpec(
        "redis_slave_info",
        G,
        "Information about this replica (always 1).",
        ("addr", "master_host", "master_port", "read_only"),
        "INFO replication: master_host, master_port, slave_read_only",
        REDIS,
        compat=True,
    ),
    MetricSpec(
        "redis_slave_priority",
        G,
        "Replica priority used by Sentinel to pick a new master (0 = never).",
        ADDR,
        "INFO replication: slave_priority",
        REDIS,
        compat=True,
    ),
    MetricSpec(
        "redis_master_link_down_since_seconds",
        G,
        "Seconds the link to the master has been down (0 while it is up).",
        ADDR,
        "INFO replication: master_link_down_since_seconds",
        REDIS,
    ),
    # --- Sentinel: INFO sentinel --------------------------------------------------------
    MetricSpec(
        "redis_sentinel_masters",
        G,
        "Number of masters this Sentinel monitors.",
        ADDR,
        "INFO sentinel: sentinel_masters",
        SENTINEL,
        compat=True,
    ),
    MetricSpec(
        "redis_sentinel_tilt",
        G,
        "1 while this Sentinel is in TILT mode.",
        ADDR,
        "INFO sentinel: sentinel_tilt",
        SENTINEL,
        compat=True,
    ),
    MetricSpec(
        "redis_sentinel_running_scripts",
        G,
        "Scripts this Sentinel is running.",
        ADDR,
        "INFO sentinel: sentinel_running_scripts",
        SENTINEL,
        compat=True,
    ),
    MetricSpec(
        "redis_sentinel_scripts_queue_length",
        G,
        "Scripts queued by this Sentinel.",
        ADDR,
        "INFO sentinel: sentinel_scripts_queue_length",
        SENTINEL,
        compat=True,
    ),
    MetricSpec(
        "redis_sentinel_simulate_failure_flags",
        G,
        "Failure simulation flags (SENTINEL SIMULATE-FAILURE).",
        ADDR,
        "INFO sentinel: sentinel_simulate_failure_flags",
        SENTINEL,
        compat=True,
    ),
    MetricSpec(
        "redis_sentinel_master_status",
        G,
        "1 if the Sentinel reports the master ok.",
        ("addr", "master_name", "master_address", "master_status"),
        "INFO sentinel: masterN status=",
        SENTINEL,
        compat=True,
    ),
    MetricSpec(
        "redis_sentinel_master_slaves",
        G,
        "Replicas the Sentinel knows for the master.",
        MASTER,
        "INFO sentinel: masterN slaves=",
        SENTINEL,
        compat=True,
    ),
    MetricSpec(
        "redis_sentinel_master_sentinels",
        G,
        "Sentinels monitoring the master, this one included.",
        MASTER,
        "INFO sentinel: masterN sentinels=",
        SENTINEL,
        compat=True,
    ),
    MetricSpec(
        "redis_sentinel_master_ok_slaves",
        G,
        "Replicas of the master that are neither s_down nor o_down.",
        MASTER,
        "SENTINEL SLAVES: flags",
        SENTINEL,
        compat=True,
    ),
    MetricSpec(
        "redis_sentinel_master_ok_sentinels",
        G,
        "Sentinels of the master that are neither s_down nor o_down, this one included.",
        MASTER,
        "SENTINEL SENTINELS: flags",
        SENTINEL,
        compat=True,
    ),
    MetricSpec(
        "redis_sentinel_master_config_epoch",
        G,
        "Configuration epoch of the master.",
        MASTER,
        "SENTINEL MASTERS: config-epoch",
        SENTINEL,
        compat=True,
    ),
    MetricSpec(
        "redis_sentinel_master_setting_ckquorum",
        G,
        "Configured quorum of the master.",
        MASTER,
        "SENTINEL MASTERS: quorum",
        SENTINEL,
        compat=True,
    ),
    MetricSpec(
        "redis_sentinel_master_setting_failover_timeout",
        G,
        "Configured failover-timeout of the master, in milliseconds.",
        MASTER,
        "SENTINEL MASTERS: failover-timeout",
        SENTINEL,
        compat=True,
    ),
    MetricSpec(
        "redis_sentinel_master_setting_parallel_syncs",
        G,
        "Configured parallel-syncs of the master.",
        MASTER,
        "SENTINEL MASTERS: parallel-syncs",
        SENTINEL,
        compat=True,
    ),
    MetricSpec(
        "redis_sentinel_master_setting_down_after_milliseconds",
        G,
        "Configured down-after-milliseconds of the master.",
        MASTER,
        "SENTINEL MASTERS: down-after-milliseconds",
        SENTINEL,
        compat=True,
    ),
    MetricSpec(
        "redis_sentinel_master_sdown",
        G,
        "1 while this Sentinel sees the master subjectively down.",
        MASTER_NAME,
        "SENTINEL MASTERS: flags s_down",
        SENTINEL,
    ),
    MetricSpec(
        "redis_sentinel_master_odown",
        G,
        "1 while this Sentinel sees the master objectively down.",
        MASTER_NAME,
        "SENTINEL MASTERS: flags o_down",
        SENTINEL,
    ),
    MetricSpec(
        "redis_sentinel_master_failover_in_progress",
        G,
        "1 while a failover of the master is in progress.",
        MASTER_NAME,
        "SENTINEL MASTERS: flags failover_in_progress",
        SENTINEL,
    ),
    MetricSpec(
        "redis_sentinel_master_ckquorum_ok",
        G,
        "1 if SENTINEL CKQUORUM says quorum and failover authorisation can be reached.",
        MASTER_NAME,
        "SENTINEL CKQUORUM",
        SENTINEL,
    ),
    MetricSpec(
        "redis_sentinel_replica_up",
        G,
        "1 if the Sentinel sees the replica up (0 when s_down, o_down or disconnected).",
        REPLICA,
        "SENTINEL SLAVES: flags",
        SENTINEL,
    ),
    MetricSpec(
        "redis_sentinel_replica_master_link_up",
        G,
        "1 if the replica reports its link to the master ok.",
        REPLICA,
        "SENTINEL SLAVES: master-link-status",
        SENTINEL,
    ),
    MetricSpec(
        "redis_sentinel_replica_offset_bytes",
        G,
        "Replication offset of the replica as last reported to the Sentinel.",
        REPLICA,
        "SENTINEL SLAVES: slave-repl-offset",
        SENTINEL,
    ),
    MetricSpec(
        "redis_sentinel_masters_dropped_total",
        C,
        "Monitored masters left out of the exposition by --sentinel.max-masters.",
        ADDR,
        "SENTINEL MASTERS",
        SENTINEL,
    ),
    # --- Sentinel: event stream ---------------------------------------------------------
    MetricSpec(
        "redis_sentinel_events_total",
        C,
        "Events published by this Sentinel, by master "
        'and event name (unknown names counted as "other").',
        ("addr", "master_name", "event"),
        "pub/sub PSUBSCRIBE *",
        EVENTS,
    ),
    MetricSpec(
        "redis_sentinel_event_parse_errors_total",
        C,
        "Event messages that could not be parsed.",
        ADDR,
        "pub/sub PSUBSCRIBE *",
        EVENTS,
    ),
    MetricSpec(
        "redis_sentinel_failovers_total",
        C,
        "Failovers this Sentinel saw complete "
        "(+switch-master), including ones reconciled after a disconnect.",
        MASTER_NAME,
        "pub/sub +switch-master; SENTINEL MASTERS after reconnect",
        EVENTS,
    ),
    MetricSpec(
        "redis_sentinel_last_failover_timestamp_seconds",
        G,
        "Unix time of the last failover this Sentinel saw.",
        MASTER_NAME,
        "pub/sub +switch-master",
        EVENTS,
    ),
    MetricSpec(
        "redis_sentinel_failover_duration_seconds",
        H,
        "Duration of failovers led by this Sentinel, from +try-failover (or the first "
        "+failover-state-*) to +failover-end or +switch-master, whichever comes first.",
        MASTER_NAME,
        "pub/sub +try-failover .. +switch-master",
        EVENTS,
    ),
    MetricSpec(
        "redis_sentinel_event_stream_up",
        G,
        "1 while the exporter is subscribed to this Sentinel's event stream.",
        ADDR,
        "pub/sub connection",
        EVENTS,
    ),
    MetricSpec(
        "redis_sentinel_event_stream_reconnects_total",
        C,
        "Times the event stream subscription was re-established.",
        ADDR,
        "pub/sub connection",
        EVENTS,
    ),
    # --- the exporter itself ------------------------------------------------------------
    MetricSpec(
        "redis_exporter_build_info",
        G,
        "Exporter version (always 1).",
        ("version", "python_version"),
        "build",
        SELF,
    ),
    MetricSpec(
        "redis_exporter_last_scrape_duration_seconds",
        G,
        "Seconds the last collection of this target took.",
        ADDR,
        "scrape timing",
        SELF,
    ),
    MetricSpec(
        "redis_exporter_last_scrape_error",
        G,
        "1 if the last collection of this target failed, else 0.",
        ADDR,
        "scrape result",
        SELF,
    ),
    MetricSpec(
        "redis_exporter_scrapes_total",
        C,
        "Collections run (concurrent HTTP scrapes share one).",
        (),
        "scrape count",
        SELF,
    ),
)

BY_NAME: dict[str, MetricSpec] = {spec.name: spec for spec in CATALOGUE}


def spec(name: str) -> MetricSpec:
    """Return the catalogue entry for ``name`` (KeyError if it is not catalogued)."""
    return BY_NAME[name]
