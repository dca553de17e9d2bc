"""Pure parsers for the text of ``INFO server`` and ``INFO replication``.

Input is the raw reply text, exactly as ``redis-cli info replication`` prints it::

    # Replication
    role:master
    connected_slaves:1
    slave0:ip=10.0.0.2,port=6379,state=online,offset=193884,lag=0
    master_repl_offset:193884

Nothing here touches a socket; every function is total on ``str`` and raises only
:class:`InfoParseError` (a ``ValueError``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_SLAVE_KEY = re.compile(r"slave\d+")


class InfoParseError(ValueError):
    """The text is not an ``INFO`` reply we understand."""


def parse_info_fields(text: str) -> dict[str, str]:
    """Split ``INFO`` text into ``{field: value}``; comments and blank lines are skipped.

    Parses lines such as ``role:master`` or ``slave0:ip=::1,port=6380,state=online,offset=5,lag=0``
    (only the first ``:`` separates field from value, so IPv6 addresses survive). A non-empty,
    non-comment line without ``:`` raises :class:`InfoParseError`.
    """
    fields: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep or not key:
            raise InfoParseError(f"not an INFO line: {line[:60]!r}")
        fields[key] = value
    return fields


@dataclass(frozen=True)
class ServerInfo:
    """The ``INFO server`` fields the exporter needs."""

    redis_version: str
    redis_mode: str
    tcp_port: str
    run_id: str
    uptime_in_seconds: float | None


@dataclass(frozen=True)
class ConnectedReplica:
    """One ``slaveN:`` line of a master's ``INFO replication``."""

    ip: str
    port: str
    state: str
    offset: float
    lag: float | None


@dataclass(frozen=True)
class MasterLink:
    """A replica's view of its master (the ``master_*`` fields of a replica)."""

    host: str
    port: str
    link_up: bool
    last_io_seconds_ago: float | None
    sync_in_progress: float | None
    slave_repl_offset: float | None
    link_down_since_seconds: float | None
    read_only: str
    slave_priority: float | None


@dataclass(frozen=True)
class Replication:
    """Typed ``INFO replication``; ``link`` is set only for role ``slave``."""

    role: str
    connected_slaves: float | None
    master_repl_offset: float | None
    second_repl_offset: float | None
    repl_backlog_active: float | None
    repl_backlog_size: float | None
    repl_backlog_first_byte_offset: float | None
    repl_backlog_histlen: float | None
    slave_priority: float | None
    replicas: tuple[ConnectedReplica, ...]
    link: MasterLink | None


def _number(value: str | None) -> float | None:
    """``"42"`` -> 42.0; absent or non-numeric -> None (older servers lack some fields)."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number else None  # drop NaN


def parse_server(fields: Mapping[str, str]) -> ServerInfo:
    """Pick ``redis_version``, ``redis_mode``, ``tcp_port``, ``run_id``, ``uptime_in_seconds``.

    ``redis_mode`` is missing before Redis 3.0 (``standalone`` is assumed then).
    """
    return ServerInfo(
        redis_version=fields.get("redis_version", ""),
        redis_mode=fields.get("redis_mode", "standalone"),
        tcp_port=fields.get("tcp_port", ""),
        run_id=fields.get("run_id", ""),
        uptime_in_seconds=_number(fields.get("uptime_in_seconds")),
    )


def parse_connected_replica(value: str) -> ConnectedReplica:
    """Parse the value of a ``slaveN`` field.

    ``ip=10.0.0.2,port=6379,state=online,offset=193884,lag=0`` (Redis >= 2.8) or the
    Redis 2.6 form ``10.0.0.2,6379,online``. IPv6 addresses come unbracketed (``ip=::1``).
    """
    if "=" not in value:
        parts = value.split(",")
        if len(parts) < 3:
            raise InfoParseError(f"not a replica line: {value[:60]!r}")
        return ConnectedReplica(ip=parts[0], port=parts[1], state=parts[2], offset=0.0, lag=None)
    pairs: dict[str, str] = {}
    for item in value.split(","):
        key, sep, val = item.partition("=")
        if not sep:
            raise InfoParseError(f"not a replica line: {value[:60]!r}")
        pairs[key] = val
    if "ip" not in pairs or "port" not in pairs:
        raise InfoParseError(f"replica line without ip/port: {value[:60]!r}")
    return ConnectedReplica(
        ip=pairs["ip"],
        port=pairs["port"],
        state=pairs.get("state", ""),
        offset=_number(pairs.get("offset")) or 0.0,
        lag=_number(pairs.get("lag")),
    )


def parse_replication(fields: Mapping[str, str]) -> Replication:
    """Type the fields of ``INFO replication``.

    ``role`` is required; every numeric field is optional because old servers (3.2 prints no
    ``second_repl_offset``, 2.8 no ``slave_read_only``) and replicas in ``wait_bgsave`` omit some.
    """
    role = fields.get("role")
    if role is None:
        raise InfoParseError("INFO replication has no role field")
    replicas = tuple(
        parse_connected_replica(value) for key, value in fields.items() if _SLAVE_KEY.fullmatch(key)
    )
    link = None
    if role == "slave":
        link = MasterLink(
            host=fields.get("master_host", ""),
            port=fields.get("master_port", ""),
            link_up=fields.get("master_link_status") == "up",
            last_io_seconds_ago=_number(fields.get("master_last_io_seconds_ago")),
            sync_in_progress=_number(fields.get("master_sync_in_progress")),
            slave_repl_offset=_number(fields.get("slave_repl_offset")),
            link_down_since_seconds=_number(fields.get("master_link_down_since_seconds")),
            read_only=fields.get("slave_read_only", fields.get("replica_read_only", "")),
            slave_priority=_number(fields.get("slave_priority", fields.get("replica_priority"))),
        )
    return Replication(
        role=role,
        connected_slaves=_number(fields.get("connected_slaves")),
        master_repl_offset=_number(fields.get("master_repl_offset")),
        second_repl_offset=_number(fields.get("second_repl_offset")),
        repl_backlog_active=_number(fields.get("repl_backlog_active")),
        repl_backlog_size=_number(fields.get("repl_backlog_size")),
        repl_backlog_first_byte_offset=_number(fields.get("repl_backlog_first_byte_offset")),
        repl_backlog_histlen=_number(fields.get("repl_backlog_histlen")),
        slave_priority=_number(fields.get("slave_priority", fields.get("replica_priority"))),
        replicas=replicas,
        link=link,
    )
