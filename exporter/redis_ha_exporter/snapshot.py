"""What one collection gathered: typed records per target, no I/O, no formatting.

The scrape path fills these in (fetch -> parse), the metric families code reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from redis_ha_exporter.parse.admin import LatencySpike, SlowlogEntry
from redis_ha_exporter.parse.info import InfoMaster, Replication, SentinelInfo, ServerInfo
from redis_ha_exporter.parse.sentinel import (
    CkQuorum,
    SentinelMaster,
    SentinelPeer,
    SentinelReplica,
)
from redis_ha_exporter.parse.stats import InstanceStats
from redis_ha_exporter.targets import Target


@dataclass(frozen=True)
class MonitoredMaster:
    """Everything one Sentinel says about one master it monitors.

    ``name`` and ``address`` come from ``SENTINEL MASTERS``, or from the ``INFO sentinel`` line
    when an ACL refused ``SENTINEL MASTERS`` (``master`` is then None). ``replicas``/``peers``
    are None when the Sentinel refused ``SENTINEL SLAVES``/``SENTINELS``, ``ckquorum`` when an
    ACL refused ``SENTINEL CKQUORUM``.
    """

    name: str
    address: str
    master: SentinelMaster | None
    info: InfoMaster | None
    replicas: tuple[SentinelReplica, ...] | None
    peers: tuple[SentinelPeer, ...] | None
    ckquorum: CkQuorum | None


@dataclass(frozen=True)
class SentinelState:
    """A Sentinel's view: its INFO, and the masters kept under ``--sentinel.max-masters``
    (``dropped``: how many were left out of this collection). ``refused`` names each
    ``SENTINEL`` subcommand the Sentinel refused with the error it gave."""

    info: SentinelInfo
    masters: tuple[MonitoredMaster, ...]
    dropped: int
    refused: Mapping[str, BaseException] = field(default_factory=dict)


@dataclass(frozen=True)
class Instance:
    """A Redis server's figures beyond replication: its full ``INFO`` and the admin commands.

    ``config`` (``CONFIG GET`` parameter → number), ``slowlog_length``, ``slowlog`` (the newest
    entry, or none) and ``latency`` (``LATENCY LATEST``) are None when the command was refused
    (renamed away, disabled, denied by an ACL) or not sent; ``refused`` names each refused
    command with the error the server gave (as redis-py raised it: ``NoPermissionError`` for
    an ACL).
    """

    stats: InstanceStats
    config: Mapping[str, float] | None = None
    slowlog_length: int | None = None
    slowlog: tuple[SlowlogEntry, ...] | None = None
    latency: tuple[LatencySpike, ...] | None = None
    refused: Mapping[str, BaseException] = field(default_factory=dict)


@dataclass(frozen=True)
class TargetSnapshot:
    """The result of collecting one target; ``up`` is False when anything failed.
    ``collected_at`` is the Unix time the collection started; ``instance`` is set for a Redis
    server, never for a Sentinel."""

    target: Target
    up: bool
    duration_seconds: float
    server: ServerInfo | None = None
    replication: Replication | None = None
    sentinel: SentinelState | None = None
    instance: Instance | None = None
    collected_at: float = 0.0

    @property
    def addr(self) -> str:
        return self.target.addr


@dataclass(frozen=True)
class Collection:
    """One collection of every target, shared by concurrent scrapes; ``masters_dropped_total``
    adds up ``SentinelState.dropped`` per Sentinel over the exporter's life; ``prepared`` holds,
    per target, what the scraper's ``prepare`` made of its snapshot as soon as it was collected
    (empty without one)."""

    targets: tuple[TargetSnapshot, ...]
    scrapes_total: int
    masters_dropped_total: Mapping[str, int] = field(default_factory=dict)
    prepared: tuple[object, ...] = ()
