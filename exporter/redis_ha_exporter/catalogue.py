"""The one catalogue of every metric the exporter serves.

Each entry names a metric exactly as it is exposed, its type, help text, labels (``addr``
included where the series is about one Redis or Sentinel process) and where its value comes
from.  The metric families code, ``docs/metrics.md`` and the tests are all driven by this table:
add a metric here first.

``compat`` marks names kept from oliver006/redis_exporter with its labels, type and meaning (plus
``addr``), so that existing queries keep working; they follow its release v1.88.0 (and every name
Debian's 1.45 exports from a Redis is among them). A compat counter keeps redis_exporter's name
even where it does not end in ``_total`` (``redis_total_error_replies``), and a gauge where it
does (``redis_migrate_cached_sockets_total``); such a counter is exposed untyped
(:attr:`MetricSpec.exposed_type`).

The families of the ``instance`` group are exported for Redis targets only (never for a
Sentinel), so that a host's sums by ``instance`` are its Redis server's. Most of them read one
number each: their ``field`` names the ``INFO`` field or ``CONFIG`` parameter and the divisor
that converts it, and :mod:`redis_ha_exporter.families` emits them from that table
(:data:`INFO_FIELDS`, :data:`CONFIG_FIELDS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """Prometheus metric type."""

    GAUGE = "gauge"
    COUNTER = "counter"
    HISTOGRAM = "histogram"
    SUMMARY = "summary"


class Reply(StrEnum):
    """The reply a table-driven family reads its value from."""

    INFO = "INFO"
    CONFIG = "CONFIG GET"


@dataclass(frozen=True)
class Field:
    """The one value of a table-driven family: ``name`` (an ``INFO`` field or a ``CONFIG``
    parameter) read as a number, divided by ``divisor`` (``1e6``: microseconds to seconds, the
    division redis_exporter does, so the values are the same to the last bit)."""

    reply: Reply
    name: str
    divisor: float = 1.0


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
    field: Field | None = None

    @property
    def exposed_type(self) -> str:
        """The type in the exposition: the kind's, except that a counter whose name does not
        end in ``_total`` (one of redis_exporter's) is exposed untyped, value and name as they
        are, for client_python would expose a counter as ``NAME_total``."""
        if self.kind is Kind.COUNTER and not self.name.endswith("_total"):
            return "unknown"
        return self.kind.value


ADDR = ("addr",)
SLAVE = ("addr", "slave_ip", "slave_port", "slave_state")
LINK = ("addr", "master_host", "master_port")
MASTER = ("addr", "master_name", "master_address")
MASTER_NAME = ("addr", "master_name")
REPLICA = ("addr", "master_name", "replica_address")

G, C, H, S = Kind.GAUGE, Kind.COUNTER, Kind.HISTOGRAM, Kind.SUMMARY
REDIS, INSTANCE, SENTINEL, EVENTS, SELF = "redis", "instance", "sentinel", "events", "exporter"
_UNITS = {1e6: ", µs → s", 1e3: ", ms → s"}


def _info(
    name: str, kind: Kind, section: str, field: str, help: str, divisor: float = 1.0
) -> MetricSpec:
    """A compat family of the ``instance`` group whose value is INFO ``field`` / ``divisor``."""
    source = f"INFO {section}: {field}{_UNITS.get(divisor, '')}"
    return MetricSpec(
        name, kind, help, ADDR, source, INSTANCE, True, Field(Reply.INFO, field, divisor)
    )


def _config(name: str, parameter: str, help: str) -> MetricSpec:
    """A compat gauge of the ``instance`` group whose value is ``CONFIG GET parameter``."""
    source = f"CONFIG GET {parameter}"
    return MetricSpec(name, G, help, ADDR, source, INSTANCE, True, Field(Reply.CONFIG, parameter))


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
        (
            "addr",
            "role",
            "redis_version",
            "redis_build_id",
            "redis_mode",
            "os",
            "maxmemory_policy",
            "tcp_port",
            "run_id",
            "process_id",
            "master_replid",
        ),
        "INFO server: redis_version, redis_build_id, redis_mode, os, tcp_port, run_id, "
        "process_id; INFO memory: maxmemory_policy; INFO replication: role, master_replid",
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
    # --- Redis: the rest of the instance (Redis targets only) ---------------------------
    # INFO server
    _info("redis_process_id", G, "server", "process_id", "Process id of the Redis server."),
    _info(
        "redis_io_threads_active",
        G,
        "server",
        "io_threads_active",
        "1 while I/O threads are active.",
    ),
    _info("redis_hz", G, "server", "hz", "Current frequency of background tasks, per second."),
    _info(
        "redis_configured_hz",
        G,
        "server",
        "configured_hz",
        "Configured frequency of background tasks, per second.",
    ),
    MetricSpec(
        "redis_start_time_seconds",
        G,
        "Unix time the Redis server started.",
        ADDR,
        "INFO server: uptime_in_seconds, subtracted from the scrape's Unix time (whole seconds)",
        INSTANCE,
        compat=True,
    ),
    # INFO clients
    _info(
        "redis_connected_clients",
        G,
        "clients",
        "connected_clients",
        "Client connections, replicas excluded.",
    ),
    _info(
        "redis_cluster_connections",
        G,
        "clients",
        "cluster_connections",
        "Connections of the cluster bus.",
    ),
    _info(
        "redis_max_clients",
        G,
        "clients",
        "maxclients",
        "Maximum number of client connections (maxclients).",
    ),
    _info(
        "redis_client_recent_max_input_buffer_bytes",
        G,
        "clients",
        "client_recent_max_input_buffer",
        "Biggest input buffer of a client lately.",
    ),
    _info(
        "redis_client_recent_max_output_buffer_bytes",
        G,
        "clients",
        "client_recent_max_output_buffer",
        "Biggest output buffer of a client lately.",
    ),
    _info(
        "redis_client_longest_output_list",
        G,
        "clients",
        "client_longest_output_list",
        "Longest output list of a client (Redis < 5).",
    ),
    _info(
        "redis_client_biggest_input_buf",
        G,
        "clients",
        "client_biggest_input_buf",
        "Biggest input buffer of a client, in bytes (Redis < 5).",
    ),
    _info(
        "redis_blocked_clients",
        G,
        "clients",
        "blocked_clients",
        "Clients waiting on a blocking command.",
    ),
    _info(
        "redis_tracking_clients", G, "clients", "tracking_clients", "Clients with key tracking on."
    ),
    _info(
        "redis_clients_in_timeout_table",
        G,
        "clients",
        "clients_in_timeout_table",
        "Blocked clients with a timeout.",
    ),
    _info("redis_pubsub_clients", G, "clients", "pubsub_clients", "Clients in pub/sub mode."),
    _info(
        "redis_watching_clients", G, "clients", "watching_clients", "Clients watching keys (WATCH)."
    ),
    _info("redis_total_watched_keys", G, "clients", "total_watched_keys", "Keys being watched."),
    _info(
        "redis_total_blocking_keys",
        G,
        "clients",
        "total_blocking_keys",
        "Keys clients are blocked on.",
    ),
    _info(
        "redis_total_blocking_keys_on_nokey",
        G,
        "clients",
        "total_blocking_keys_on_nokey",
        "Keys clients are blocked on that also unblock them when deleted.",
    ),
    # INFO memory
    _info("redis_memory_used_bytes", G, "memory", "used_memory", "Bytes allocated by Redis."),
    _info(
        "redis_memory_used_rss_bytes",
        G,
        "memory",
        "used_memory_rss",
        "Resident set size of the server, as the OS reports it.",
    ),
    _info("redis_memory_used_peak_bytes", G, "memory", "used_memory_peak", "Peak of used_memory."),
    _info(
        "redis_memory_used_overhead_bytes",
        G,
        "memory",
        "used_memory_overhead",
        "Bytes allocated for the server's own structures.",
    ),
    _info(
        "redis_memory_used_startup_bytes",
        G,
        "memory",
        "used_memory_startup",
        "Bytes allocated at startup.",
    ),
    _info(
        "redis_memory_used_dataset_bytes",
        G,
        "memory",
        "used_memory_dataset",
        "Bytes allocated for the data (used_memory less overhead).",
    ),
    _info(
        "redis_memory_used_lua_bytes",
        G,
        "memory",
        "used_memory_lua",
        "Bytes used by the Lua engine.",
    ),
    _info(
        "redis_memory_used_vm_eval_bytes",
        G,
        "memory",
        "used_memory_vm_eval",
        "Bytes used by the engine of EVAL scripts.",
    ),
    _info(
        "redis_memory_used_scripts_eval_bytes",
        G,
        "memory",
        "used_memory_scripts_eval",
        "Bytes of overhead for EVAL scripts.",
    ),
    _info(
        "redis_memory_used_vm_functions_bytes",
        G,
        "memory",
        "used_memory_vm_functions",
        "Bytes used by the engine of functions.",
    ),
    _info(
        "redis_memory_used_functions_bytes",
        G,
        "memory",
        "used_memory_functions",
        "Bytes of overhead for functions.",
    ),
    _info(
        "redis_memory_used_vm_total",
        G,
        "memory",
        "used_memory_vm_total",
        "Bytes used by the script engines (vm_eval plus vm_functions).",
    ),
    _info(
        "redis_memory_used_scripts_bytes",
        G,
        "memory",
        "used_memory_scripts",
        "Bytes of overhead for scripts and functions.",
    ),
    _info(
        "redis_number_of_cached_scripts",
        G,
        "memory",
        "number_of_cached_scripts",
        "EVAL scripts cached.",
    ),
    _info("redis_number_of_functions", G, "memory", "number_of_functions", "Functions loaded."),
    _info(
        "redis_number_of_libraries",
        G,
        "memory",
        "number_of_libraries",
        "Function libraries loaded.",
    ),
    _info(
        "redis_memory_max_bytes",
        G,
        "memory",
        "maxmemory",
        "Memory limit (maxmemory); 0 when there is none.",
    ),
    _info(
        "redis_allocator_allocated_bytes",
        G,
        "memory",
        "allocator_allocated",
        "Bytes allocated, as the allocator counts them.",
    ),
    _info(
        "redis_allocator_active_bytes",
        G,
        "memory",
        "allocator_active",
        "Bytes in the allocator's active pages.",
    ),
    _info(
        "redis_allocator_resident_bytes",
        G,
        "memory",
        "allocator_resident",
        "Bytes resident in the allocator.",
    ),
    _info(
        "redis_allocator_muzzy_bytes",
        G,
        "memory",
        "allocator_muzzy",
        "Bytes in the allocator's muzzy pages.",
    ),
    _info(
        "redis_allocator_frag_ratio",
        G,
        "memory",
        "allocator_frag_ratio",
        "Allocator fragmentation: active over allocated.",
    ),
    _info(
        "redis_allocator_frag_bytes",
        G,
        "memory",
        "allocator_frag_bytes",
        "Allocator fragmentation: active less allocated, in bytes.",
    ),
    _info(
        "redis_allocator_rss_ratio",
        G,
        "memory",
        "allocator_rss_ratio",
        "Resident over active allocator pages.",
    ),
    _info(
        "redis_allocator_rss_bytes",
        G,
        "memory",
        "allocator_rss_bytes",
        "Resident less active allocator pages, in bytes.",
    ),
    _info(
        "redis_mem_fragmentation_ratio",
        G,
        "memory",
        "mem_fragmentation_ratio",
        "Resident set size over used_memory.",
    ),
    _info(
        "redis_mem_fragmentation_bytes",
        G,
        "memory",
        "mem_fragmentation_bytes",
        "Resident set size less used_memory, in bytes.",
    ),
    _info(
        "redis_mem_not_counted_for_eviction_bytes",
        G,
        "memory",
        "mem_not_counted_for_evict",
        "Bytes not counted against maxmemory (replica and AOF buffers).",
    ),
    _info(
        "redis_mem_replication_backlog_bytes",
        G,
        "memory",
        "mem_replication_backlog",
        "Bytes of the replication backlog.",
    ),
    _info(
        "redis_mem_total_replication_buffers_bytes",
        G,
        "memory",
        "mem_total_replication_buffers",
        "Bytes of all replication buffers.",
    ),
    _info(
        "redis_mem_clients_slaves",
        G,
        "memory",
        "mem_clients_slaves",
        "Bytes used by replica clients.",
    ),
    _info(
        "redis_mem_clients_normal",
        G,
        "memory",
        "mem_clients_normal",
        "Bytes used by normal clients.",
    ),
    _info(
        "redis_mem_cluster_links_bytes",
        G,
        "memory",
        "mem_cluster_links",
        "Bytes used by cluster bus links.",
    ),
    _info("redis_mem_aof_buffer_bytes", G, "memory", "mem_aof_buffer", "Bytes of the AOF buffers."),
    _info(
        "redis_mem_overhead_db_hashtable_rehashing_bytes",
        G,
        "memory",
        "mem_overhead_db_hashtable_rehashing",
        "Bytes of database hash tables being rehashed.",
    ),
    _info(
        "redis_active_defrag_running",
        G,
        "memory",
        "active_defrag_running",
        "CPU percentage active defragmentation is aiming for (0 when idle).",
    ),
    _info(
        "redis_lazyfree_pending_objects",
        G,
        "memory",
        "lazyfree_pending_objects",
        "Objects waiting to be freed in the background.",
    ),
    _info(
        "redis_lazyfreed_objects",
        G,
        "memory",
        "lazyfreed_objects",
        "Objects freed in the background.",
    ),
    # INFO persistence
    _info(
        "redis_loading_dump_file",
        G,
        "persistence",
        "loading",
        "1 while a dump file is being loaded.",
    ),
    _info(
        "redis_async_loading",
        G,
        "persistence",
        "async_loading",
        "1 while a replication dataset is loaded asynchronously.",
    ),
    _info(
        "redis_rdb_changes_since_last_save",
        G,
        "persistence",
        "rdb_changes_since_last_save",
        "Changes since the last RDB save.",
    ),
    _info(
        "redis_rdb_bgsave_in_progress",
        G,
        "persistence",
        "rdb_bgsave_in_progress",
        "1 while an RDB save is in progress.",
    ),
    _info(
        "redis_rdb_last_save_timestamp_seconds",
        G,
        "persistence",
        "rdb_last_save_time",
        "Unix time of the last successful RDB save.",
    ),
    _info(
        "redis_rdb_last_bgsave_status",
        G,
        "persistence",
        "rdb_last_bgsave_status",
        "1 if the last RDB save succeeded (ok), 0 if it failed.",
    ),
    _info(
        "redis_rdb_last_bgsave_duration_sec",
        G,
        "persistence",
        "rdb_last_bgsave_time_sec",
        "Seconds the last RDB save took (-1 when none).",
    ),
    _info(
        "redis_rdb_current_bgsave_duration_sec",
        G,
        "persistence",
        "rdb_current_bgsave_time_sec",
        "Seconds the running RDB save has taken (-1 when none).",
    ),
    _info("redis_rdb_saves_total", G, "persistence", "rdb_saves", "RDB saves since startup."),
    _info(
        "redis_rdb_last_cow_size_bytes",
        G,
        "persistence",
        "rdb_last_cow_size",
        "Copy-on-write bytes of the last RDB save.",
    ),
    _info(
        "redis_rdb_last_load_expired_keys",
        G,
        "persistence",
        "rdb_last_load_keys_expired",
        "Keys found expired while loading the last RDB.",
    ),
    _info(
        "redis_rdb_last_load_loaded_keys",
        G,
        "persistence",
        "rdb_last_load_keys_loaded",
        "Keys loaded from the last RDB.",
    ),
    _info("redis_aof_enabled", G, "persistence", "aof_enabled", "1 when AOF is on."),
    _info(
        "redis_aof_rewrite_in_progress",
        G,
        "persistence",
        "aof_rewrite_in_progress",
        "1 while an AOF rewrite is in progress.",
    ),
    _info(
        "redis_aof_rewrite_scheduled",
        G,
        "persistence",
        "aof_rewrite_scheduled",
        "1 while an AOF rewrite waits for an RDB save to end.",
    ),
    _info(
        "redis_aof_last_rewrite_duration_sec",
        G,
        "persistence",
        "aof_last_rewrite_time_sec",
        "Seconds the last AOF rewrite took (-1 when none).",
    ),
    _info(
        "redis_aof_current_rewrite_duration_sec",
        G,
        "persistence",
        "aof_current_rewrite_time_sec",
        "Seconds the running AOF rewrite has taken (-1 when none).",
    ),
    _info(
        "redis_aof_last_bgrewrite_status",
        G,
        "persistence",
        "aof_last_bgrewrite_status",
        "1 if the last AOF rewrite succeeded (ok), 0 if it failed.",
    ),
    _info(
        "redis_aof_last_write_status",
        G,
        "persistence",
        "aof_last_write_status",
        "1 if the last AOF write succeeded (ok), 0 if it failed.",
    ),
    _info(
        "redis_aof_last_cow_size_bytes",
        G,
        "persistence",
        "aof_last_cow_size",
        "Copy-on-write bytes of the last AOF rewrite.",
    ),
    _info(
        "redis_aof_current_size_bytes",
        G,
        "persistence",
        "aof_current_size",
        "Current AOF size (AOF on).",
    ),
    _info(
        "redis_aof_base_size_bytes",
        G,
        "persistence",
        "aof_base_size",
        "AOF size at the last rewrite or startup (AOF on).",
    ),
    _info(
        "redis_aof_pending_rewrite",
        G,
        "persistence",
        "aof_pending_rewrite",
        "1 while an AOF rewrite is pending (AOF on).",
    ),
    _info(
        "redis_aof_buffer_length",
        G,
        "persistence",
        "aof_buffer_length",
        "Bytes in the AOF buffer (AOF on).",
    ),
    _info(
        "redis_aof_rewrite_buffer_length",
        G,
        "persistence",
        "aof_rewrite_buffer_length",
        "Bytes in the AOF rewrite buffer (AOF on, Redis < 7).",
    ),
    _info(
        "redis_aof_pending_bio_fsync",
        G,
        "persistence",
        "aof_pending_bio_fsync",
        "fsync jobs waiting in the background queue (AOF on).",
    ),
    _info(
        "redis_aof_delayed_fsync",
        G,
        "persistence",
        "aof_delayed_fsync",
        "Delayed fsync calls (AOF on).",
    ),
    _info(
        "redis_module_fork_in_progress",
        G,
        "persistence",
        "module_fork_in_progress",
        "1 while a module's fork runs.",
    ),
    _info(
        "redis_module_fork_last_cow_size",
        G,
        "persistence",
        "module_fork_last_cow_size",
        "Copy-on-write bytes of the last module fork.",
    ),
    # INFO stats
    _info(
        "redis_connections_received_total",
        C,
        "stats",
        "total_connections_received",
        "Connections accepted.",
    ),
    _info(
        "redis_commands_processed_total",
        C,
        "stats",
        "total_commands_processed",
        "Commands processed.",
    ),
    _info(
        "redis_net_input_bytes_total",
        C,
        "stats",
        "total_net_input_bytes",
        "Bytes read from the network.",
    ),
    _info(
        "redis_net_output_bytes_total",
        C,
        "stats",
        "total_net_output_bytes",
        "Bytes written to the network.",
    ),
    _info(
        "redis_net_repl_input_bytes_total",
        C,
        "stats",
        "total_net_repl_input_bytes",
        "Bytes read from the network for replication.",
    ),
    _info(
        "redis_net_repl_output_bytes_total",
        C,
        "stats",
        "total_net_repl_output_bytes",
        "Bytes written to the network for replication.",
    ),
    _info(
        "redis_rejected_connections_total",
        C,
        "stats",
        "rejected_connections",
        "Connections refused because of maxclients.",
    ),
    _info(
        "redis_replica_resyncs_full",
        G,
        "stats",
        "sync_full",
        "Full resynchronisations with replicas.",
    ),
    _info(
        "redis_replica_partial_resync_accepted",
        G,
        "stats",
        "sync_partial_ok",
        "Partial resynchronisation requests accepted.",
    ),
    _info(
        "redis_replica_partial_resync_denied",
        G,
        "stats",
        "sync_partial_err",
        "Partial resynchronisation requests denied.",
    ),
    _info("redis_expired_keys_total", C, "stats", "expired_keys", "Keys expired."),
    _info("redis_expired_subkeys_total", C, "stats", "expired_subkeys", "Hash fields expired."),
    _info(
        "redis_expired_stale_percentage",
        G,
        "stats",
        "expired_stale_perc",
        "Estimated percentage of keys that are expired but not yet deleted.",
    ),
    _info(
        "redis_expired_time_cap_reached_total",
        C,
        "stats",
        "expired_time_cap_reached_count",
        "Active expire cycles stopped early by their time limit.",
    ),
    _info(
        "redis_expire_cycle_cpu_time_ms_total",
        C,
        "stats",
        "expire_cycle_cpu_milliseconds",
        "Milliseconds of CPU spent in active expire cycles.",
    ),
    _info(
        "redis_evicted_keys_total", C, "stats", "evicted_keys", "Keys evicted because of maxmemory."
    ),
    _info(
        "redis_evicted_clients_total",
        C,
        "stats",
        "evicted_clients",
        "Clients evicted because of maxmemory-clients.",
    ),
    _info(
        "redis_evicted_scripts_total",
        C,
        "stats",
        "evicted_scripts",
        "EVAL scripts evicted from the script cache.",
    ),
    _info(
        "redis_eviction_exceeded_time_ms_total",
        C,
        "stats",
        "total_eviction_exceeded_time",
        "Milliseconds used_memory has been above maxmemory.",
    ),
    _info(
        "redis_current_eviction_exceeded_time_ms",
        G,
        "stats",
        "current_eviction_exceeded_time",
        "Milliseconds since used_memory went above maxmemory (0 when below).",
    ),
    _info(
        "redis_keyspace_hits_total", C, "stats", "keyspace_hits", "Key lookups that found the key."
    ),
    _info(
        "redis_keyspace_misses_total",
        C,
        "stats",
        "keyspace_misses",
        "Key lookups that did not find the key.",
    ),
    _info(
        "redis_pubsub_channels", G, "stats", "pubsub_channels", "Pub/sub channels with subscribers."
    ),
    _info(
        "redis_pubsub_patterns", G, "stats", "pubsub_patterns", "Pub/sub patterns with subscribers."
    ),
    _info(
        "redis_pubsubshard_channels",
        G,
        "stats",
        "pubsubshard_channels",
        "Shard channels with subscribers.",
    ),
    _info(
        "redis_latest_fork_seconds",
        G,
        "stats",
        "latest_fork_usec",
        "Seconds the latest fork took.",
        1e6,
    ),
    _info(
        "redis_migrate_cached_sockets_total",
        G,
        "stats",
        "migrate_cached_sockets",
        "Sockets open for MIGRATE.",
    ),
    _info(
        "redis_slave_expires_tracked_keys",
        G,
        "stats",
        "slave_expires_tracked_keys",
        "Keys a writable replica tracks for expiry.",
    ),
    _info(
        "redis_defrag_hits",
        G,
        "stats",
        "active_defrag_hits",
        "Values moved by active defragmentation.",
    ),
    _info(
        "redis_defrag_misses",
        G,
        "stats",
        "active_defrag_misses",
        "Values active defragmentation skipped.",
    ),
    _info(
        "redis_defrag_key_hits",
        G,
        "stats",
        "active_defrag_key_hits",
        "Keys active defragmentation defragmented.",
    ),
    _info(
        "redis_defrag_key_misses",
        G,
        "stats",
        "active_defrag_key_misses",
        "Keys active defragmentation skipped.",
    ),
    _info(
        "redis_tracking_total_keys",
        G,
        "stats",
        "tracking_total_keys",
        "Keys tracked for client-side caching.",
    ),
    _info(
        "redis_tracking_total_items",
        G,
        "stats",
        "tracking_total_items",
        "Client entries tracked for client-side caching.",
    ),
    _info(
        "redis_tracking_total_prefixes",
        G,
        "stats",
        "tracking_total_prefixes",
        "Prefixes tracked for client-side caching (broadcast mode).",
    ),
    _info(
        "redis_unexpected_error_replies",
        C,
        "stats",
        "unexpected_error_replies",
        "Unexpected error replies (AOF load, replication).",
    ),
    _info("redis_total_error_replies", C, "stats", "total_error_replies", "Error replies sent."),
    _info(
        "redis_dump_payload_sanitizations",
        C,
        "stats",
        "dump_payload_sanitizations",
        "Deep checks of RESTORE payloads.",
    ),
    _info(
        "redis_total_reads_processed", C, "stats", "total_reads_processed", "Read events processed."
    ),
    _info(
        "redis_total_writes_processed",
        C,
        "stats",
        "total_writes_processed",
        "Write events processed.",
    ),
    _info(
        "redis_io_threaded_reads_processed",
        C,
        "stats",
        "io_threaded_reads_processed",
        "Read events processed by I/O threads.",
    ),
    _info(
        "redis_io_threaded_writes_processed",
        C,
        "stats",
        "io_threaded_writes_processed",
        "Write events processed by I/O threads.",
    ),
    _info(
        "redis_client_query_buffer_limit_disconnections_total",
        C,
        "stats",
        "client_query_buffer_limit_disconnections",
        "Clients disconnected for exceeding the query buffer limit.",
    ),
    _info(
        "redis_client_output_buffer_limit_disconnections_total",
        C,
        "stats",
        "client_output_buffer_limit_disconnections",
        "Clients disconnected for exceeding the output buffer limit.",
    ),
    _info(
        "redis_reply_buffer_shrinks_total",
        C,
        "stats",
        "reply_buffer_shrinks",
        "Reply buffers shrunk.",
    ),
    _info(
        "redis_reply_buffer_expands_total",
        C,
        "stats",
        "reply_buffer_expands",
        "Reply buffers expanded.",
    ),
    _info("redis_eventloop_cycles_total", C, "stats", "eventloop_cycles", "Event loop cycles."),
    _info(
        "redis_eventloop_duration_sum_usec_total",
        C,
        "stats",
        "eventloop_duration_sum",
        "Microseconds spent in the event loop.",
    ),
    _info(
        "redis_eventloop_duration_cmd_sum_usec_total",
        C,
        "stats",
        "eventloop_duration_cmd_sum",
        "Microseconds the event loop spent running commands.",
    ),
    _info(
        "redis_instantaneous_eventloop_cycles_per_sec",
        G,
        "stats",
        "instantaneous_eventloop_cycles_per_sec",
        "Event loop cycles per second, lately.",
    ),
    _info(
        "redis_instantaneous_eventloop_duration_usec",
        G,
        "stats",
        "instantaneous_eventloop_duration_usec",
        "Microseconds an event loop cycle took, lately.",
    ),
    _info(
        "redis_acl_access_denied_auth_total",
        C,
        "stats",
        "acl_access_denied_auth",
        "Authentications refused.",
    ),
    _info(
        "redis_acl_access_denied_cmd_total",
        C,
        "stats",
        "acl_access_denied_cmd",
        "Commands refused by an ACL.",
    ),
    _info(
        "redis_acl_access_denied_key_total",
        C,
        "stats",
        "acl_access_denied_key",
        "Key accesses refused by an ACL.",
    ),
    _info(
        "redis_acl_access_denied_channel_total",
        C,
        "stats",
        "acl_access_denied_channel",
        "Channel accesses refused by an ACL.",
    ),
    # INFO cpu, cluster
    _info(
        "redis_cpu_sys_seconds_total", C, "cpu", "used_cpu_sys", "System CPU seconds of the server."
    ),
    _info(
        "redis_cpu_user_seconds_total", C, "cpu", "used_cpu_user", "User CPU seconds of the server."
    ),
    _info(
        "redis_cpu_sys_children_seconds_total",
        C,
        "cpu",
        "used_cpu_sys_children",
        "System CPU seconds of forked children.",
    ),
    _info(
        "redis_cpu_user_children_seconds_total",
        C,
        "cpu",
        "used_cpu_user_children",
        "User CPU seconds of forked children.",
    ),
    _info(
        "redis_cpu_sys_main_thread_seconds_total",
        C,
        "cpu",
        "used_cpu_sys_main_thread",
        "System CPU seconds of the main thread.",
    ),
    _info(
        "redis_cpu_user_main_thread_seconds_total",
        C,
        "cpu",
        "used_cpu_user_main_thread",
        "User CPU seconds of the main thread.",
    ),
    _info("redis_cluster_enabled", G, "cluster", "cluster_enabled", "1 in cluster mode."),
    # INFO keyspace, commandstats, errorstats, latencystats
    MetricSpec(
        "redis_db_keys",
        G,
        "Keys in the database; 0 for every empty database below CONFIG databases (16 when "
        "CONFIG is refused).",
        ("addr", "db"),
        "INFO keyspace: dbN keys=; CONFIG GET databases",
        INSTANCE,
        compat=True,
    ),
    MetricSpec(
        "redis_db_keys_expiring",
        G,
        "Keys with a TTL in the database; 0 for every empty database, as redis_db_keys.",
        ("addr", "db"),
        "INFO keyspace: dbN expires=; CONFIG GET databases",
        INSTANCE,
        compat=True,
    ),
    MetricSpec(
        "redis_db_avg_ttl_seconds",
        G,
        "Average TTL of the keys with one, estimated by the expire cycle (0 when unknown); "
        "only for databases that hold keys.",
        ("addr", "db"),
        "INFO keyspace: dbN avg_ttl=, ms → s",
        INSTANCE,
        compat=True,
    ),
    MetricSpec(
        "redis_commands_total",
        C,
        'Calls of the command (a subcommand is cmd="config|get").',
        ("addr", "cmd"),
        "INFO commandstats: cmdstat_CMD calls=",
        INSTANCE,
        compat=True,
    ),
    MetricSpec(
        "redis_commands_duration_seconds_total",
        C,
        "Seconds spent running the command.",
        ("addr", "cmd"),
        "INFO commandstats: cmdstat_CMD usec=, µs → s",
        INSTANCE,
        compat=True,
    ),
    MetricSpec(
        "redis_commands_rejected_calls_total",
        C,
        "Calls of the command refused before running (unknown arguments, ACL, OOM; Redis >= 6.2).",
        ("addr", "cmd"),
        "INFO commandstats: cmdstat_CMD rejected_calls=",
        INSTANCE,
        compat=True,
    ),
    MetricSpec(
        "redis_commands_failed_calls_total",
        C,
        "Calls of the command that failed while running (Redis >= 6.2).",
        ("addr", "cmd"),
        "INFO commandstats: cmdstat_CMD failed_calls=",
        INSTANCE,
        compat=True,
    ),
    MetricSpec(
        "redis_errors_total",
        C,
        "Error replies by error code (ERR, WRONGTYPE, NOPERM, ...; Redis >= 6.2).",
        ("addr", "err"),
        "INFO errorstats: errorstat_ERR count=",
        INSTANCE,
        compat=True,
    ),
    MetricSpec(
        "redis_latency_percentiles_usec",
        S,
        'Latency percentiles of the command in microseconds (quantile="99.9" is p99.9); '
        "_count and _sum are its calls and microseconds (Redis >= 7.0).",
        ("addr", "cmd"),
        "INFO latencystats: latency_percentiles_usec_CMD; INFO commandstats: calls=, usec=",
        INSTANCE,
        compat=True,
    ),
    # CONFIG GET, SLOWLOG, LATENCY LATEST
    _config("redis_config_maxclients", "maxclients", "Configured maxclients."),
    _config("redis_config_maxmemory", "maxmemory", "Configured maxmemory in bytes (0 = none)."),
    _config("redis_config_io_threads", "io-threads", "Configured io-threads (Redis >= 6.0)."),
    _config(
        "redis_config_repl_backlog_size",
        "repl-backlog-size",
        "Configured repl-backlog-size in bytes.",
    ),
    MetricSpec(
        "redis_slowlog_length",
        G,
        "Entries in the slow log.",
        ADDR,
        "SLOWLOG LEN",
        INSTANCE,
        compat=True,
    ),
    MetricSpec(
        "redis_slowlog_last_id",
        G,
        "Id of the newest slow log entry (0 when the log is empty).",
        ADDR,
        "SLOWLOG GET 1: id",
        INSTANCE,
        compat=True,
    ),
    MetricSpec(
        "redis_last_slow_execution_duration_seconds",
        G,
        "Seconds the newest slow log entry took (0 when the log is empty).",
        ADDR,
        "SLOWLOG GET 1: duration, µs → s",
        INSTANCE,
        compat=True,
    ),
    MetricSpec(
        "redis_latency_spike_last",
        G,
        "Unix time of the event's latest latency spike.",
        ("addr", "event_name"),
        "LATENCY LATEST: time",
        INSTANCE,
        compat=True,
    ),
    MetricSpec(
        "redis_latency_spike_duration_seconds",
        G,
        "Seconds the event's latest latency spike lasted.",
        ("addr", "event_name"),
        "LATENCY LATEST: latest, ms → s",
        INSTANCE,
        compat=True,
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
        "masters beyond --sentinel.max-masters",
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
        "redis_sentinel_failover_started_timestamp_seconds",
        G,
        "Unix time the failover in progress began (+try-failover on this Sentinel's event "
        "stream; when it began before the stream was (re)connected, the time it was: it is at "
        "least that old). Only while SENTINEL MASTERS flags the master failover_in_progress.",
        MASTER_NAME,
        "pub/sub +try-failover; SENTINEL MASTERS after reconnect",
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
#: The table-driven families: ``INFO`` field (``CONFIG`` parameter) → catalogue entry.
INFO_FIELDS: dict[str, MetricSpec] = {
    s.field.name: s for s in CATALOGUE if s.field is not None and s.field.reply is Reply.INFO
}
CONFIG_FIELDS: dict[str, MetricSpec] = {
    s.field.name: s for s in CATALOGUE if s.field is not None and s.field.reply is Reply.CONFIG
}


def spec(name: str) -> MetricSpec:
    """Return the catalogue entry for ``name`` (KeyError if it is not catalogued)."""
    return BY_NAME[name]
