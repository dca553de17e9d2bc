"""Pure parsers for ``INFO`` text: split once, then type each section's fields.

Input is the raw reply, exactly as ``redis-cli info replication`` prints it (``\\r\\n`` or
``\\n`` line endings)::

    # Replication
    role:master
    connected_slaves:1
    slave0:ip=10.0.0.2,port=6379,state=online,offset=193884,lag=0
    master_repl_offset:193884

:func:`parse_info_fields` splits any ``INFO`` reply — one section or all of them — into
``{field: value}``; :func:`parse_info_pairs` splits the ``k=v,k=v`` values some fields carry
(``slave0`` above, and ``db0:keys=1,expires=0,avg_ttl=0``, ``cmdstat_get:calls=2,usec=15,…``,
``errorstat_ERR:count=1``, ``latency_percentiles_usec_get:p50=1.003,p99=2.007,p99.9=2.007``).
The section parsers (:func:`parse_server`, :func:`parse_replication`,
:func:`parse_info_sentinel`) take those fields and raise only :class:`InfoParseError`, following
the rules of :mod:`redis_ha_exporter.parse`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from redis_ha_exporter.parse import ParseError, read_int

__all__ = [
    "ConnectedReplica",
    "InfoMaster",
    "InfoParseError",
    "MasterLink",
    "Replication",
    "SentinelInfo",
    "ServerInfo",
    "parse_connected_replica",
    "parse_info_fields",
    "parse_info_pairs",
    "parse_info_sentinel",
    "parse_replication",
    "parse_server",
]


class InfoParseError(ParseError):
    """The text is not an ``INFO`` reply we understand."""


# --- splitting ----------------------------------------------------------------------------


def parse_info_fields(text: str | bytes) -> dict[str, str]:
    """Split ``INFO`` text into ``{field: value}``; ``#`` lines and blank lines are skipped.

    Parses lines such as ``role:master`` or ``slave0:ip=::1,port=6380,state=online,offset=5,lag=0``.
    Lines end at ``\\n`` (a trailing ``\\r`` is dropped) and nowhere else, and only the first
    ``:`` separates field from value, so IPv6 addresses and Sentinel master names holding ``:``
    or ``\\r`` survive. Bytes are decoded as UTF-8 with ``errors="replace"``. A non-blank,
    non-comment line without ``:`` or without a field name raises :class:`InfoParseError`.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    fields: dict[str, str] = {}
    for line in text.split("\n"):
        key, sep, value = line.partition(":")
        if sep and key and key[0] != "#":  # most lines: a field, its \r dropped
            fields[key] = value.removesuffix("\r")
        elif line.startswith("#") or not line.removesuffix("\r"):
            continue
        else:
            shown = line.removesuffix("\r")[:60]
            raise InfoParseError(f"not an INFO line: {shown!r}")
    return fields


def parse_info_pairs(value: str) -> dict[str, str]:
    """Split a ``k=v,k=v`` field value into ``{k: v}``.

    ``ip=::1,port=6380,state=online,offset=5,lag=0`` → ``{"ip": "::1", "port": "6380", …}``;
    only the first ``=`` of an item separates key from value. An item without ``=`` or without
    a key raises :class:`InfoParseError`.
    """
    pairs: dict[str, str] = {}
    for item in value.split(","):
        key, sep, val = item.partition("=")
        if not sep or not key:
            raise InfoParseError(f"not a k=v list: {value[:60]!r}")
        pairs[key] = val
    return pairs


def _int(fields: Mapping[str, str], key: str) -> int | None:
    """The integer in field ``key``; None when the field is absent."""
    value = fields.get(key)
    return None if value is None else read_int(value, key, InfoParseError)


def _required(fields: Mapping[str, str], key: str, section: str) -> str:
    try:
        return fields[key]
    except KeyError:
        raise InfoParseError(f"INFO {section} has no {key} field") from None


# --- INFO server --------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerInfo:
    """What ``redis_instance_info`` and ``redis_uptime_in_seconds`` need: ``INFO server``, and
    from a full ``INFO`` also ``maxmemory_policy`` (memory) and ``master_replid``
    (replication); a field the reply does not hold is ``""``."""

    redis_version: str
    redis_build_id: str
    redis_mode: str
    os: str
    tcp_port: str
    run_id: str
    process_id: str
    maxmemory_policy: str
    master_replid: str
    uptime_in_seconds: int | None


def parse_server(fields: Mapping[str, str]) -> ServerInfo:
    """Type the fields of ``INFO server`` (or of a full ``INFO``)::

        redis_version:7.0.15
        redis_build_id:ae4d7c971a948f0
        redis_mode:standalone
        os:Linux 6.1.0 x86_64
        process_id:1780
        run_id:7b3a9e0c0bd4e4bd45e0b2e4a4e2c1b0f2a0c9d1
        tcp_port:6379
        uptime_in_seconds:3601
        maxmemory_policy:noeviction
        master_replid:aa44d80840668dce8e3d951cab49b4a2aa386380

    Every field is optional; label fields default to ``""``, and ``redis_mode`` (missing
    before Redis 3.0) to ``standalone``.
    """
    return ServerInfo(
        redis_version=fields.get("redis_version", ""),
        redis_build_id=fields.get("redis_build_id", ""),
        redis_mode=fields.get("redis_mode", "standalone"),
        os=fields.get("os", ""),
        tcp_port=fields.get("tcp_port", ""),
        run_id=fields.get("run_id", ""),
        process_id=fields.get("process_id", ""),
        maxmemory_policy=fields.get("maxmemory_policy", ""),
        master_replid=fields.get("master_replid", ""),
        uptime_in_seconds=_int(fields, "uptime_in_seconds"),
    )


# --- INFO replication ---------------------------------------------------------------------

_SLAVE_KEY = re.compile(r"slave[0-9]+")


@dataclass(frozen=True)
class ConnectedReplica:
    """One ``slaveN:`` line of a master's ``INFO replication``; ``offset`` and ``lag`` are
    None when the line does not carry them (Redis 2.6)."""

    ip: str
    port: str
    state: str
    offset: int | None
    lag: int | None


@dataclass(frozen=True)
class MasterLink:
    """A replica's view of its master (the ``master_*`` fields of a replica)."""

    host: str
    port: str
    link_up: bool
    last_io_seconds_ago: int | None
    sync_in_progress: int | None
    slave_repl_offset: int | None
    link_down_since_seconds: int | None
    read_only: str


@dataclass(frozen=True)
class Replication:
    """Typed ``INFO replication``; ``link`` is set only for role ``slave``."""

    role: str
    connected_slaves: int | None
    master_repl_offset: int | None
    second_repl_offset: int | None
    repl_backlog_active: int | None
    repl_backlog_size: int | None
    repl_backlog_first_byte_offset: int | None
    repl_backlog_histlen: int | None
    slave_priority: int | None
    replicas: tuple[ConnectedReplica, ...]
    link: MasterLink | None


def parse_connected_replica(value: str) -> ConnectedReplica:
    """Parse the value of a ``slaveN`` field.

    ``ip=10.0.0.2,port=6379,state=online,offset=193884,lag=0`` (Redis >= 2.8) or the
    Redis 2.6 form ``10.0.0.2,6379,online``. IPv6 addresses come unbracketed (``ip=::1``).
    """
    if "=" not in value:
        parts = value.split(",")
        if len(parts) < 3:
            raise InfoParseError(f"not a replica line: {value[:60]!r}")
        return ConnectedReplica(ip=parts[0], port=parts[1], state=parts[2], offset=None, lag=None)
    pairs = parse_info_pairs(value)
    if "ip" not in pairs or "port" not in pairs:
        raise InfoParseError(f"replica line without ip/port: {value[:60]!r}")
    return ConnectedReplica(
        ip=pairs["ip"],
        port=pairs["port"],
        state=pairs.get("state", ""),
        offset=_int(pairs, "offset"),
        lag=_int(pairs, "lag"),
    )


def parse_replication(fields: Mapping[str, str]) -> Replication:
    """Type the fields of ``INFO replication`` (a master above; a replica)::

        role:slave
        master_host:::1
        master_port:18001
        master_link_status:up
        master_last_io_seconds_ago:1
        master_sync_in_progress:0
        slave_repl_offset:50
        slave_priority:100
        slave_read_only:1

    ``role`` is required; every other field is optional because old servers (3.2 prints no
    ``second_repl_offset``, 2.8 no ``slave_read_only``) and replicas in ``wait_bgsave`` omit
    some. ``slave_priority`` (``replica_priority`` on some versions) is read whatever the role.
    """
    role = _required(fields, "role", "replication")
    replicas = tuple(
        parse_connected_replica(value)
        for key, value in fields.items()
        if key.startswith("slave") and _SLAVE_KEY.fullmatch(key)
    )
    link = None
    if role == "slave":
        link = MasterLink(
            host=fields.get("master_host", ""),
            port=fields.get("master_port", ""),
            link_up=fields.get("master_link_status") == "up",
            last_io_seconds_ago=_int(fields, "master_last_io_seconds_ago"),
            sync_in_progress=_int(fields, "master_sync_in_progress"),
            slave_repl_offset=_int(fields, "slave_repl_offset"),
            link_down_since_seconds=_int(fields, "master_link_down_since_seconds"),
            read_only=fields.get("slave_read_only", fields.get("replica_read_only", "")),
        )
    priority = "slave_priority" if "slave_priority" in fields else "replica_priority"
    return Replication(
        role=role,
        connected_slaves=_int(fields, "connected_slaves"),
        master_repl_offset=_int(fields, "master_repl_offset"),
        second_repl_offset=_int(fields, "second_repl_offset"),
        repl_backlog_active=_int(fields, "repl_backlog_active"),
        repl_backlog_size=_int(fields, "repl_backlog_size"),
        repl_backlog_first_byte_offset=_int(fields, "repl_backlog_first_byte_offset"),
        repl_backlog_histlen=_int(fields, "repl_backlog_histlen"),
        slave_priority=_int(fields, priority),
        replicas=replicas,
        link=link,
    )


# --- INFO sentinel ------------------------------------------------------------------------


@dataclass(frozen=True)
class InfoMaster:
    """One ``masterN:`` line of ``INFO sentinel``.

    ``address`` is ``host:port`` exactly as printed (IPv6 unbracketed); ``sentinels`` counts
    this Sentinel too (Redis prints the number of known peers plus one).
    """

    name: str
    status: str  # "ok", "sdown" or "odown"
    address: str
    slaves: int
    sentinels: int

    @property
    def ok(self) -> bool:
        """``status == "ok"``: the value of ``redis_sentinel_master_status``."""
        return self.status == "ok"


@dataclass(frozen=True)
class SentinelInfo:
    """The ``INFO sentinel`` section.

    ``tilt_since_seconds`` (Redis >= 7.0; ``-1`` when not in TILT) and
    ``simulate_failure_flags`` (not sent before Redis 3.2) are ``None`` when the Sentinel does
    not send them.  ``monitored`` holds the ``masterN:`` lines in the order printed.
    """

    masters: int
    tilt: int
    running_scripts: int
    scripts_queue_length: int
    simulate_failure_flags: int | None
    tilt_since_seconds: int | None
    monitored: tuple[InfoMaster, ...]


# Redis prints: "master%d:name=%s,status=%s,address=%s:%d,slaves=%lu,sentinels=%lu" with the
# name verbatim (SENTINEL MONITOR accepts any name), so a name may contain ',', '=' or ':'.
# Everything after the name has a fixed shape with exactly four commas (status and address
# hold none): match it anchored at the end of the line and let the name take the rest, which
# makes the split unique.  Only a name holding a newline cannot be read back: its first half
# is a malformed master line, hence InfoParseError.
_MASTER_KEY = re.compile(r"master[0-9]+")
_MASTER_VALUE = re.compile(
    r"name=(?P<name>.*),status=(?P<status>[^,]*),address=(?P<address>[^,]+:[0-9]+),"
    r"slaves=(?P<slaves>[0-9]+),sentinels=(?P<sentinels>[0-9]+)",
    re.DOTALL,
)


def _info_master(value: str) -> InfoMaster:
    """``name=m1,status=ok,address=127.0.0.1:6379,slaves=2,sentinels=3``."""
    m = _MASTER_VALUE.fullmatch(value)
    if m is None:
        raise InfoParseError(f"INFO sentinel: bad master line: {value[:80]!r}")
    return InfoMaster(
        name=m["name"],
        status=m["status"],
        address=m["address"],
        slaves=read_int(m["slaves"], "slaves", InfoParseError),
        sentinels=read_int(m["sentinels"], "sentinels", InfoParseError),
    )


def parse_info_sentinel(fields: Mapping[str, str]) -> SentinelInfo:
    """Type the fields of ``INFO sentinel``::

        # Sentinel
        sentinel_masters:1
        sentinel_tilt:0
        sentinel_tilt_since_seconds:-1
        sentinel_running_scripts:0
        sentinel_scripts_queue_length:0
        sentinel_simulate_failure_flags:0
        master0:name=m1,status=ok,address=127.0.0.1:6379,slaves=2,sentinels=3

    Fields of other sections (a full ``INFO`` reply) are ignored. A malformed ``masterN:``
    line or a missing ``sentinel_masters``/``_tilt``/``_running_scripts``/
    ``_scripts_queue_length`` raises :class:`InfoParseError`.
    """

    def required(key: str) -> int:
        return read_int(_required(fields, key, "sentinel"), key, InfoParseError)

    return SentinelInfo(
        masters=required("sentinel_masters"),
        tilt=required("sentinel_tilt"),
        running_scripts=required("sentinel_running_scripts"),
        scripts_queue_length=required("sentinel_scripts_queue_length"),
        simulate_failure_flags=_int(fields, "sentinel_simulate_failure_flags"),
        tilt_since_seconds=_int(fields, "sentinel_tilt_since_seconds"),
        monitored=tuple(
            _info_master(value) for key, value in fields.items() if _MASTER_KEY.fullmatch(key)
        ),
    )
